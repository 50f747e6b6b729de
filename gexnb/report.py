"""Plain-words conclusions of a run, generated from its ``metrics.json``.

Each notebook ends with :func:`conclusion`: which model is best on the notebook's main metric,
how far each deep model is behind it, whether any deep model beats the classical baselines and
the predict-the-mean baseline, with a banner when the data are synthetic or the run is a smoke
run (the quick profile's tiny models and few epochs). :func:`run_kind` tells a smoke run from
a real one by comparing the notebook's model parameters with its ``quick`` profile's.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gexnb.errors import ParameterError
from gexnb.io import read_metrics, write_text_atomic
from gexnb.models.baselines import CONSTANT_BASELINES
from gexnb.models.registry import model_kind

__all__ = [
    "conclusion",
    "conclude",
    "conclude_data",
    "run_kind",
    "data_conclusion",
    "write_conclusion",
]

#: The predict-the-mean baseline every model must beat, and the predict-the-median one
#: (notebook 03): the constant of least absolute error.
MEAN, MEDIAN = CONSTANT_BASELINES
#: Notebook 03's reference on a second data set: that set's own gene means (from its truth),
#: which a model carried over from the training data should beat to be of use there.
OWN_MEANS = "mean_own"
#: The other metrics a conclusion checks its ranking against: (metric, lower is better).
CROSS_CHECKS = (("mae", True), ("rmse", True), ("r2", False), ("pearson", False))

#: The two kinds of data notebook 01 prepares, as its conclusion names them.
DATA_PARTS = ("promoter sequences", "expression data")
SYNTHETIC_BANNER = (
    "> **Synthetic data.** These numbers check that the analysis runs and recovers what was "
    "planted; they say nothing about biology."
)
SMOKE_BANNER = (
    "> **Smoke run** (the quick profile's tiny models and few epochs). The ranking below checks "
    "the pipeline end to end; it is not a result. Run the `real` or `paper` profile for one."
)


#: Parameters that choose the data, the evaluation (splits, folds, the task and its number
#: of input genes) or what is kept, not the models' sizes or training length:
#: :func:`run_kind` does not compare them (nor names ending ``_path`` or ``_list``), so the
#: quick profile's tiny models on your own data still get the smoke banner.
DATA_PARAMETERS = frozenset(
    {"synthetic", "seed", "split", "splits", "fractions", "counts", "n_train", "targets",
     "folds", "task", "k_genes", "input_genes", "models", "baselines", "data_efficiency",
     "motif_discovery", "precision", "distribution", "output_dir", "sample_annotation",
     "group_column", "cross", "save", "viewer_model", "data_checks", "transform",
     "if_data_missing", "resume"}
)  # fmt: skip


def run_kind(notebook: str, values: Mapping[str, Any], *, project_dir: Any = None) -> str:
    """``"quick"`` (a smoke run) when the notebook's models are the ``quick`` profile's: every
    parameter of that profile outside :data:`DATA_PARAMETERS` has its value in ``values``
    (the notebook's globals), whatever the data and the profile's name; else ``"custom"``.

    Parameters
    ----------
    notebook
        The notebook's stem, e.g. ``"02_bigru_training"``.
    values
        The notebook's parameter values (pass ``globals()``).
    project_dir
        The project folder; None: the one ``gexnb run`` names to its kernel
        (:data:`gexnb.rundir.PROJECT_ENV`), else found from the working directory.

    Returns
    -------
    str
        ``"quick"`` or ``"custom"``; ``"custom"`` also when no project or ``quick`` profile
        is found, or when that profile sets no model parameter (notebook 01).
    """
    from gexnb.runner.project import load_profile

    try:
        from gexnb.rundir import PROJECT_ENV, find_project_dir

        told = project_dir if project_dir is not None else os.environ.get(PROJECT_ENV)
        quick = load_profile(find_project_dir(told), notebook, "quick")
    except Exception:  # noqa: BLE001 - no project beside the notebook: nothing to compare
        return "custom"
    sizes = {
        name: value
        for name, value in quick.items()
        if name not in DATA_PARAMETERS and not name.endswith(("_path", "_list"))
    }
    same = all(_same(values.get(name, object()), value) for name, value in sizes.items())
    return "quick" if sizes and same else "custom"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12)
    return bool(a == b)


def _banners(*, synthetic: bool, smoke: bool) -> list[str]:
    return [b for b, on in ((SYNTHETIC_BANNER, synthetic), (SMOKE_BANNER, smoke)) if on]


def _family(model: str) -> str:
    if model.startswith((MEAN, MEDIAN)):
        return "constant"
    try:
        return model_kind(model)
    except ParameterError:
        return "classical"


def _format(value: float) -> str:
    return f"{value:#.4g}"


def _worse(value: float, best: float, lower_is_better: bool) -> str:
    """``"11% worse"``; ``"level with the best"`` for an equal score; the difference, not a
    percentage, when the best is 0 (it printed "inf% worse"; a reviewer's finding)."""
    if value == best:
        return "level with the best"
    if best == 0:
        return f"worse by {_format(abs(value - best))}"
    gap = (value - best) / abs(best) if lower_is_better else (best - value) / abs(best)
    return f"{gap:.0%} worse"


def _nan_policy_said(get: Any) -> str:
    """What the NaN policy did with the file's missing values, e.g. `` (2 genes left out)``."""
    done = [
        f"{int(n):,} {what} {verb}"
        for key, what, verb in (
            ("n_genes_dropped_for_nan", "genes", "left out"),
            ("n_samples_dropped_for_nan", "samples", "left out"),
            ("n_values_imputed", "values", "filled with gene means"),
        )
        if (n := get(f"data/all/{key}", 0))
    ]
    return f" ({'; '.join(done)})" if done else ""


def _percent(share: float) -> str:
    """A share as a percentage that never rounds a shortfall up to 100 % (942 of 943
    landmarks printed "100% of the list"; a reviewer's finding): ``"99.8%"``, ``"85%"``."""
    if not share < 1:  # 1, or NaN
        return f"{share:.0%}"
    if round(share * 100) < 100:  # rounds to less than 100 %: as any percentage
        return f"{share:.0%}"
    return f"{math.floor(share * 1000 + 1e-9) / 10:.1f}%"  # 99.5 % and above: 1 decimal, down


def conclusion(
    metrics: Mapping[str, float],
    *,
    split: str,
    metric: str,
    lower_is_better: bool,
    label: str = "",
    synthetic: bool = False,
    smoke: bool = False,
) -> str:
    """A short Markdown conclusion ranking the models of ``metrics`` on ``split``/``metric``.

    Parameters
    ----------
    metrics
        Flat ``<model>/<split>/<metric>`` mapping (``metrics.json``).
    split, metric
        What to rank on, e.g. ``"test"`` and ``"mae"``.
    lower_is_better
        True for errors (MAE, RMSE), False for R^2 and correlations.
    label
        How to name the metric in the text (``"test MAE"``); ``"<split> <metric>"`` by default.
    synthetic, smoke
        Add the synthetic-data or smoke-run banner.

    Returns
    -------
    str
        Markdown: the banners, then one paragraph; when no model has the metric, a sentence
        that says so.

    Examples
    --------
    >>> text = conclusion({"ridge/test/mae": 0.27, "dgex/test/mae": 0.30, "mean/test/mae": 0.5},
    ...                   split="test", metric="mae", lower_is_better=True)
    >>> for sentence in text.split(". "):
    ...     print(sentence)
    **Conclusion** (test mae, lower is better): **ridge** is best (0.2700)
    dgex 0.3000, 11% worse
    No deep model beats the best classical model (ridge)
    Every model beats predicting the mean.
    """
    scores = _scores(metrics, split, metric)
    label = label or f"{split} {metric}"
    banners = _banners(synthetic=synthetic, smoke=smoke)
    if not scores:
        return "\n\n".join([*banners, f"**Conclusion**: no model has a {label} in metrics.json."])
    order = sorted(scores, key=lambda m: scores[m], reverse=not lower_is_better)
    best = order[0]
    direction = "lower" if lower_is_better else "higher"
    parts = [
        f"**Conclusion** ({label}, {direction} is better): **{best}** is best "
        f"({_format(scores[best])})."
    ]
    families = {m: _family(m) for m in scores}
    deep = [m for m in order if families[m] == "deep"]
    classical = [m for m in order if families[m] == "classical"]
    for model in deep:
        if model != best:
            worse = _worse(scores[model], scores[best], lower_is_better)
            parts.append(f"{model} {_format(scores[model])}, {worse}.")
    if deep and classical:
        if scores[deep[0]] == scores[classical[0]]:  # a tie: neither beats, whatever the order
            parts.append(
                f"The best deep model ({deep[0]}) and the best classical model "
                f"({classical[0]}) are level."
            )
        elif order.index(deep[0]) < order.index(classical[0]):
            below = [
                c for c in (MEAN, MEDIAN) if c in scores and order.index(c) < order.index(deep[0])
            ]
            parts.append(
                f"{deep[0]} ranks above every classical model (best: {classical[0]}), but below "
                f"predicting {_listed([_constant_name(c) for c in below])}."
                if below
                else f"{deep[0]} beats every classical model (best: {classical[0]})."
            )
        else:
            parts.append(f"No deep model beats the best classical model ({classical[0]}).")
    models = [m for m in order if families[m] != "constant"]
    all_beaten, close = [], []
    for constant in (MEAN, MEDIAN):
        if constant in scores and models:
            beaten = _beats(scores, constant, lower_is_better)
            losers = [m for m in models if not beaten[m]]
            what = _constant_name(constant)
            if losers:
                parts.append(f"Not better than predicting {what}: {', '.join(losers)}.")
            else:
                all_beaten.append(what)
            close += _fold_wins(metrics, split, metric, constant, beaten, lower_is_better)
    if all_beaten:
        parts.append(f"Every model beats predicting {_listed(all_beaten)}.")
    if OWN_MEANS in scores and models:  # a second data set: its own means, from its truth
        beaten = _beats(scores, OWN_MEANS, lower_is_better)
        losers = [m for m in models if not beaten[m]]
        parts.append(
            f"Not better than that data set's own means ({OWN_MEANS}, a reference that "
            f"knows its truth): {', '.join(losers)}."
            if losers
            else f"Every model beats that data set's own means too ({OWN_MEANS})."
        )
    parts += close
    parts += _other_metrics(metrics, split=split, metric=metric, best=best)
    return "\n\n".join([*banners, " ".join(parts)])


def _constant_name(constant: str) -> str:
    return "the mean" if constant == MEAN else "the median"


#: What a ``<kind>_mean`` split averages over, for :func:`_fold_wins`.
AVERAGED_OVER = {"cv": "folds", "loso": "left-out groups"}


def _fold_wins(
    metrics: Mapping[str, float],
    split: str,
    metric: str,
    constant: str,
    beaten: Mapping[str, bool],
    lower: bool,
) -> list[str]:
    """A sentence naming the models that beat ``constant`` on a mean over folds or groups
    (``cv_mean``, ``loso_mean``) but not in every one of them, fold by fold (paired: folds
    vary in difficulty for every model alike). Folds: notebook 04's
    ``<model>/cv_folds_ahead_of_<constant>/<metric>`` of ``<model>/cv_mean/n_folds``;
    groups: counted from the ``loso_<group>`` keys."""
    kind = split.removesuffix("_mean")
    if kind == split or kind not in AVERAGED_OVER:
        return []
    if kind == "cv":
        wins = _scores(metrics, f"cv_folds_ahead_of_{constant}", metric)
        totals = _scores(metrics, "cv_mean", "n_folds")
    else:
        from gexnb.data.landmark import LOSO_SUMMARY_SPLITS

        groups = {k.split("/")[1] for k in metrics if k.count("/") == 2
                  and k.split("/")[1].startswith("loso_")
                  and k.split("/")[1] not in LOSO_SUMMARY_SPLITS}  # fmt: skip
        per_group = {g: _scores(metrics, g, metric) for g in sorted(groups)}
        wins, totals = {}, {}
        for model in beaten:
            paired = [s for s in per_group.values() if model in s and constant in s]
            totals[model] = float(len(paired))
            wins[model] = float(sum(
                (s[model] < s[constant]) if lower else (s[model] > s[constant]) for s in paired
            ))  # fmt: skip
    some = [
        f"{m} {int(wins[m])} of {int(totals[m])}"
        for m, ahead in beaten.items()
        if ahead and m != constant and _family(m) != "constant"
        and m in wins and m in totals and wins[m] < totals[m]
    ]  # fmt: skip
    if not some:
        return []
    return [
        f"Ahead of predicting {_constant_name(constant)} in only some {AVERAGED_OVER[kind]}: "
        f"{', '.join(some)}."
    ]


def _scores(metrics: Mapping[str, float], split: str, metric: str) -> dict[str, float]:
    """Model -> its finite ``<model>/<split>/<metric>`` value."""
    return {
        key.split("/")[0]: float(value)
        for key, value in metrics.items()
        if key.count("/") == 2 and key.split("/")[1:] == [split, metric]
        and isinstance(value, (int, float)) and math.isfinite(value)
    }  # fmt: skip


def _other_metrics(
    metrics: Mapping[str, float], *, split: str, metric: str, best: str
) -> list[str]:
    """A sentence naming the other metrics of :data:`CROSS_CHECKS` by which another model
    than ``best`` is best on ``split`` (a ranking on one metric must not read as the whole
    story), or none. The constant baselines and ``mean_own`` (references, not models) lead
    no metric."""
    others: dict[str, list[str]] = {}
    for name, lower in CROSS_CHECKS:
        if name == metric:
            continue
        scores = {
            m: v for m, v in _scores(metrics, split, name).items()
            if _family(m) != "constant" or m == best
        }  # fmt: skip
        if best in scores and len(scores) > 1:
            leader = (min if lower else max)(scores, key=lambda m: scores[m])
            if leader != best and scores[leader] != scores[best]:
                others.setdefault(leader, []).append(name)
    if not others:
        return []
    said = "; ".join(f"by {_listed(names)}, {leader} is" for leader, names in others.items())
    return [f"But {said} best."]


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _beats(scores: Mapping[str, float], reference: str, lower_is_better: bool) -> dict[str, bool]:
    ref = scores[reference]
    return {m: (v < ref) if lower_is_better else (v > ref) for m, v in scores.items()}


def data_conclusion(
    metrics: Mapping[str, float], *, synthetic: bool | Sequence[str] = False
) -> str:
    """Notebook 01's conclusion: what was loaded and whether it is fit for the next notebooks.

    Parameters
    ----------
    metrics
        Flat ``metrics.json`` mapping of notebook 01 (``data/<split>/<statistic>`` keys).
    synthetic
        True when all the data are synthetic, or the names of the parts that are
        (e.g. ``["promoter sequences"]`` beside a real expression file), which the banner
        names.

    Returns
    -------
    str
        Markdown: the synthetic banner if any, then the conclusion paragraph.
    """
    get = metrics.get
    parts = []
    n_sequences = get("data/all/n_sequences")
    if n_sequences is not None:
        parts.append(
            f"{int(n_sequences):,} promoter sequences "
            f"({int(get('data/all/min_length', 0))}-{int(get('data/all/max_length', 0))} nt, "
            f"GC {get('data/all/gc_fraction', math.nan):.0%}, "
            f"{int(get('data/all/n_with_n', 0)):,} with N); "
            f"{int(get('data/train/n_sequences', 0)):,} train / "
            f"{int(get('data/val/n_sequences', 0)):,} validation / "
            f"{int(get('data/test/n_sequences', 0)):,} test."
        )
    n_samples = get("data/all/n_samples")
    if n_samples is not None:
        coverage = get("data/all/landmark_coverage")
        genes = (
            "no landmark or target lists"
            if coverage is None
            else f"{int(get('data/all/n_landmarks', 0)):,} landmarks ({_percent(coverage)} of "
            f"the list), {int(get('data/all/n_targets', 0)):,} targets "
            f"({_percent(get('data/all/target_coverage', math.nan))})"
        )
        parts.append(
            f"{int(n_samples):,} expression samples x "
            f"{int(get('data/all/n_genes', 0)):,} genes: {genes}; "
            f"{int(get('data/all/n_nan', 0)):,} missing values{_nan_policy_said(get)}, "
            f"{int(get('data/all/n_zero_variance_genes', 0)):,} constant genes"
            + _transform_said(get("data/all/log2_transformed"))
        )
        if coverage is not None and coverage < 1:
            parts.append("Landmark genes are missing: notebook 03 refuses them unless allowed.")
    parts_synthetic = list(DATA_PARTS) if synthetic is True else list(synthetic or [])
    banner = []
    if len(parts_synthetic) == len(DATA_PARTS):
        banner = [SYNTHETIC_BANNER]
    elif parts_synthetic:
        real = " and ".join(p for p in DATA_PARTS if p not in parts_synthetic)
        banner = [
            f"> **Partly synthetic.** The {' and '.join(parts_synthetic)} are the synthetic "
            "embedded default: their numbers check that the analysis runs and say nothing about "
            f"biology. The {real} are your data."
        ]
    return "\n\n".join([*banner, "**Conclusion**: " + " ".join(parts or ["no data loaded."])])


def _transform_said(log2_transformed: float | None) -> str:
    """The end of notebook 01's expression sentence: the ``transform`` applied, if known."""
    if log2_transformed is None:  # metrics of a run from before the key
        return "."
    return "; log2 taken of its values." if log2_transformed else "; its values used as they are."


def write_conclusion(output_dir: str | os.PathLike, *texts: str) -> Path:
    """Write the conclusion(s) to ``conclusion.md`` in the run folder (atomically).

    Parameters
    ----------
    output_dir
        The run folder.
    *texts
        Markdown paragraphs, separated by a blank line in the file.

    Returns
    -------
    pathlib.Path
        ``<output_dir>/conclusion.md``.
    """
    return write_text_atomic(Path(output_dir) / "conclusion.md", "\n\n".join(texts) + "\n")


def conclude(
    output_dir: str | os.PathLike,
    *,
    notebook: str,
    values: Mapping[str, Any],
    rankings: Sequence[tuple[str, str, bool, str]],
    synthetic: bool = False,
    extra: Sequence[str] = (),
) -> str:
    """The end of a notebook: rank the models of this run's ``metrics.json``, write
    ``conclusion.md``, display it (under IPython) and return its Markdown.

    Parameters
    ----------
    output_dir
        The run folder (its ``metrics.json`` is read).
    notebook, values
        For :func:`run_kind` (pass ``globals()``): a quick-profile run gets the smoke banner.
    rankings
        ``(split, metric, lower_is_better, label)`` per paragraph, e.g.
        ``[("test", "mae", True, "test MAE")]``; splits absent from the metrics are skipped.
    synthetic
        Whether the data are the synthetic default (banner).
    extra
        Further paragraphs after the rankings (empty ones are skipped), e.g. notebook 02's
        data-efficiency crossover (:func:`gexnb.pipelines.efficiency.crossover`).

    Returns
    -------
    str
        The Markdown written to ``conclusion.md``.
    """
    metrics = read_metrics(output_dir)
    smoke = run_kind(notebook, values) == "quick"
    texts = []
    for split, metric, lower, label in rankings:
        if any(k.split("/")[1:] == [split, metric] for k in metrics if k.count("/") == 2):
            texts.append(conclusion(metrics, split=split, metric=metric, lower_is_better=lower,
                                    label=label))  # fmt: skip
    banners = _banners(synthetic=synthetic, smoke=smoke)
    texts += [t for t in extra if t]
    text = "\n\n".join([*banners, *(texts or ["**Conclusion**: no model was scored."])])
    write_conclusion(output_dir, text)
    _display_markdown(text)
    return text


def _display_markdown(text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython comes with the notebooks
        return
    if get_ipython() is not None:
        display(Markdown(text))


def conclude_data(
    output_dir: str | os.PathLike, *, sequence_path: str = "", expression_path: str = ""
) -> str:
    """Notebook 01's end: :func:`data_conclusion` of this run's ``metrics.json``, written to
    ``conclusion.md``, displayed under IPython and returned. An empty path means that part
    of the data is synthetic, and the banner says which.

    Parameters
    ----------
    output_dir
        The run folder (its ``metrics.json`` is read).
    sequence_path, expression_path
        The promoter-sequence and expression files the notebook loaded; empty for synthetic.

    Returns
    -------
    str
        The Markdown written to ``conclusion.md``.
    """
    given = dict(zip(DATA_PARTS, (sequence_path, expression_path), strict=True))
    synthetic = [part for part, path in given.items() if not path]
    text = data_conclusion(read_metrics(output_dir), synthetic=synthetic)
    write_conclusion(output_dir, text)
    _display_markdown(text)
    return text

"""Notebook 02's data-efficiency curve: held-out Pearson r against the training-set size.

How many sequences does a recurrent or convolutional model need before it beats k-mers? Each
model of notebook 02 (the Metformin-121 BiGRU, the DREAM 2022 winners of ``models``
and the k-mer ridge) is trained again, with the same settings, on nested random subsets of
the training rows (for instance 10 %, 25 %, 50 % and 100 %), several seeds each (the subset
and the initialisation change with the seed), and scored on the same held-out rows. The
validation rows (best-epoch choice) stay the same at every size. This is gexnb's design of
the experiment: the seeds publish no such curve.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb import metrics as gm
from gexnb.data.promoters import PromoterSet
from gexnb.io import ensure_output_dir, write_metrics, write_table_atomic
from gexnb.pipelines import promoter
from gexnb.pipelines.dream_models import train_sequence_model
from gexnb.pipelines.params import EfficiencyPlan

__all__ = [
    "EfficiencyPlan",
    "EfficiencyCurve",
    "curve",
    "subsample",
    "split_name",
    "summarise",
    "crossover",
]

#: The reference of the crossover sentence: the classical model the deep ones must beat.
REFERENCE = promoter.KMER


@dataclass
class EfficiencyCurve:
    """Result of :func:`curve`.

    Parameters
    ----------
    table, summary, scored_on, text
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    table
        One row per model, fraction and seed: ``model, fraction, n_train, seed, pearson,
        spearman, reused`` (``reused``: the notebook's own full-data model, not retrained).
    summary
        One row per model and fraction (:func:`summarise`).
    scored_on
        The rows scored: ``"test file (all rows)"`` (public-leaderboard rows included, as the
        k-mer ridge's 0.703 in the data set's README), ``"held-out split"`` (the split's
        test rows) or ``"validation"`` (then also the rows that chose the best epoch).
    text
        The crossover sentences (:func:`crossover`), empty without a curve.
    """

    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    scored_on: str = ""
    text: str = ""


def split_name(fraction: float) -> str:
    """The ``metrics.json`` split of a fraction: ``0.1 -> "efficiency_10pct"``.

    Parameters
    ----------
    fraction
        Share of the training rows (0 to 1).

    Returns
    -------
    str
        ``efficiency_<percent>pct``.
    """
    return f"efficiency_{fraction * 100:.10g}pct"


def subsample(train_rows: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A seeded random ``fraction`` of ``train_rows`` (sorted; at least 2 rows).

    Subsets of one seed are nested: the 10 % rows are among the 25 % rows, and so on, so the
    curve measures more data, not other data.

    Parameters
    ----------
    train_rows
        The training rows to draw from.
    fraction
        Share of ``train_rows`` kept (0 to 1; rounded up).
    seed
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        The rows kept, sorted.
    """
    order = np.random.default_rng(seed).permutation(np.asarray(train_rows))
    n = min(len(order), max(2, math.ceil(fraction * len(order))))
    return np.sort(order[:n])


def _held_out(
    data: promoter.PromoterData, test: tuple[pd.DataFrame, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray, str]:
    if test is not None:
        frame, codes = test
        return codes, frame["expression"].to_numpy(dtype="float64"), "test file (all rows)"
    if len(data.test_idx):
        return data.codes[data.test_idx], data.expression[data.test_idx], "held-out split"
    return data.codes[data.val_idx], data.expression[data.val_idx], "validation"


def _train_point(
    sub: promoter.PromoterData,
    *,
    folder: Path,
    seed: int,
    bigru_params: Mapping[str, Any],
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Every model of notebook 02 trained on ``sub`` with the notebook's settings."""
    settings = {"verbose": 0, **bigru_params}
    bigru = promoter.train_bigru(sub, output_dir=folder, seed=seed, **settings)
    fitted: dict[str, Any] = {promoter.BIGRU: bigru.trained}
    for name in models:
        fitted[name] = train_sequence_model(
            sub, name, output_dir=folder, params=model_params.get(name), seed=seed
        )
    kmer_params = model_params.get(promoter.KMER)
    fitted[promoter.KMER] = promoter.fit_kmer(sub, params=kmer_params, seed=seed)
    return fitted


def curve(
    promoters: PromoterSet,
    *,
    plan: EfficiencyPlan | Mapping[str, Any] | None,
    bigru_params: Mapping[str, Any],
    models: Sequence[str] = (),
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    trained: Mapping[str, Any] | None = None,
    test: tuple[pd.DataFrame, np.ndarray] | None = None,
    target_normalization: str = promoter.DEFAULT_TARGET_NORMALIZATION,
    output_dir: str | os.PathLike,
    seed: int = 0,
    progress: bool = True,
) -> EfficiencyCurve:
    """Train notebook 02's models on growing subsets of the training rows and score each.

    Parameters
    ----------
    promoters
        The promoter set and split of the notebook (:func:`gexnb.data.promoters.load_promoters`).
    plan
        :class:`EfficiencyPlan` or its mapping (``{"fractions": [0.1, 0.5, 1.0], "seeds": 3}``);
        no fractions: an empty curve, nothing trained.
    bigru_params
        Keyword arguments of :func:`gexnb.pipelines.promoter.train_bigru` (architecture and
        training settings), as the notebook's own BiGRU.
    models, model_params
        As :func:`gexnb.pipelines.dream_models.train_models`; ``model_params["kmer_ridge"]``
        for :func:`gexnb.pipelines.promoter.fit_kmer`.
    trained
        The notebook's models trained on all training rows with ``seed``: re-used for the
        100 % point of the first seed instead of training them again (when every model of
        the curve is there).
    test
        ``(frame, codes)`` of :func:`gexnb.pipelines.promoter.load_test`: the rows scored.
        Without it, the split's held-out test rows, else the validation rows.
    target_normalization
        As the notebook's (:func:`gexnb.pipelines.promoter.normalize_targets`).
    output_dir
        The run folder: ``data_efficiency.tsv`` (every run; rewritten after each training
        point, so a long curve can be followed), ``metrics.json`` keys
        ``<model>/efficiency_<pct>pct/pearson_mean`` (and ``pearson_sd``, ``n_train``,
        ``n_seeds``, ``n_undefined``; :func:`summarise`). ``n_train`` is the subset's size;
        a k-mer ridge with ``max_train`` below it fits on a seeded sample of the subset.
        Each point's checkpoints go to ``data_efficiency/`` and are removed once scored.
    seed
        The first seed (the notebook's).
    progress
        Show a ``tqdm.auto`` bar over the training points.

    Returns
    -------
    EfficiencyCurve
    """
    from tqdm.auto import tqdm

    plan = plan if isinstance(plan, EfficiencyPlan) else EfficiencyPlan.from_mapping(plan)
    if not plan.fractions:
        return EfficiencyCurve()
    out = ensure_output_dir(output_dir)
    data = promoter.normalize_targets(promoters, target_normalization=target_normalization)
    codes, truth, scored_on = _held_out(data, test)
    names = [promoter.BIGRU, *models, promoter.KMER]
    rows = []
    for fraction, point_seed in tqdm(plan.points(seed), desc="data efficiency", unit="point",
                                     disable=not progress):  # fmt: skip
        train_rows = subsample(data.train_idx, fraction, point_seed)
        reuse = fraction == 1.0 and point_seed == seed and set(names) <= set(trained or {})
        scale = data  # the normalisation the point's models predict on
        if reuse:
            fitted = {name: (trained or {})[name] for name in names}
        else:
            splits = {**promoters.splits, "train": train_rows}
            scale = promoter.normalize_targets(  # the whole training set was checked above
                replace(promoters, splits=splits), target_normalization=target_normalization,
                check_range=False,
            )  # fmt: skip
            folder = out / "data_efficiency" / f"{split_name(fraction)}_seed{point_seed}"
            fitted = _train_point(
                scale, folder=folder, seed=point_seed, bigru_params=bigru_params,
                models=models, model_params=model_params or {},
            )  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)
        for name in names:
            pred = scale.denormalize(promoter.predict_model(fitted[name], codes))
            report = gm.regression_report(truth, pred)
            rows.append({"model": name, "fraction": fraction, "n_train": len(train_rows),
                         "seed": point_seed, "pearson": report["pearson"],
                         "spearman": report["spearman"], "reused": reuse})  # fmt: skip
        # the runs so far, readable while a long curve trains (the summary comes at the end)
        write_table_atomic(out / "data_efficiency.tsv", pd.DataFrame(rows), index=False)
    shutil.rmtree(out / "data_efficiency", ignore_errors=True)
    table = pd.DataFrame(rows)  # data_efficiency.tsv already holds it (the loop's last write)
    summary = summarise(table)
    write_metrics(out, _flat(summary))
    return EfficiencyCurve(
        table, summary, scored_on, crossover(summary, table, scored_on=scored_on)
    )


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation across seeds of the Pearson r, per model and fraction.

    Parameters
    ----------
    table
        :attr:`EfficiencyCurve.table` (``model, fraction, n_train, seed, pearson``).

    Returns
    -------
    pandas.DataFrame
        ``model, fraction, n_train, pearson_mean, pearson_sd, n_seeds, n_undefined``: a run
        whose predictions are constant has no Pearson r (``n_undefined``) and makes the mean
        undefined too (NaN), rather than leaving the curve to the runs that worked; the sd
        is NaN with one seed.
    """
    grouped = table.groupby(["model", "fraction"], sort=False)
    summary = grouped.agg(
        n_train=("n_train", "max"),
        pearson_mean=("pearson", lambda r: r.mean(skipna=False)),
        pearson_sd=("pearson", lambda r: r.std(skipna=False)),
        n_seeds=("seed", "nunique"),
        n_undefined=("pearson", lambda r: int(r.isna().sum())),
    )
    return summary.reset_index()


def _flat(summary: pd.DataFrame) -> dict[str, float]:
    flat: dict[str, float] = {}
    for row in summary.itertuples(index=False):
        split = split_name(row.fraction)
        for metric in ("n_train", "pearson_mean", "pearson_sd", "n_seeds", "n_undefined"):
            value = getattr(row, metric)
            if np.isfinite(value):
                flat[f"{row.model}/{split}/{metric}"] = value
    return flat


def crossover(
    summary: pd.DataFrame,
    table: pd.DataFrame | None = None,
    *,
    scored_on: str = "test",
    reference: str = REFERENCE,
) -> str:
    """Sentences saying from which training-set size each model beats ``reference``.

    Parameters
    ----------
    summary
        :func:`summarise`'s table: a model beats the reference at a size where its mean r
        is higher.
    table
        The per-seed table: each sentence then says in how many seeds (same subset, same
        seed for both models) the model was ahead, since a mean over few seeds can lead by
        chance.
    scored_on
        The rows scored, for the text.
    reference
        The model to beat (the k-mer ridge).

    Returns
    -------
    str
        The sentences, one per model, or ``""`` when ``summary`` is empty or lacks
        ``reference``.

    Examples
    --------
    >>> s = pd.DataFrame({"model": ["kmer_ridge"] * 2 + ["legnet"] * 2, "fraction": [0.5, 1] * 2,
    ...                   "n_train": [50, 100] * 2, "pearson_mean": [0.5, 0.6, 0.4, 0.65]})
    >>> import textwrap
    >>> print(textwrap.fill(crossover(s), 80))
    Data efficiency (mean Pearson r, test): legnet beats kmer_ridge from 100
    training sequences (100% of them) upward, 0.650 vs 0.600.
    """
    if summary.empty or reference not in set(summary["model"]):
        return ""
    ref = summary[summary["model"] == reference].set_index("fraction")["pearson_mean"]
    sentences = []
    for model, rows in summary[summary["model"] != reference].groupby("model", sort=False):
        rows = rows.sort_values("fraction")
        ahead = rows[rows["pearson_mean"].to_numpy() > ref.reindex(rows["fraction"]).to_numpy()]
        undefined = int(rows.get("n_undefined", pd.Series(0, index=rows.index)).sum())
        note = f"; {undefined} run(s) with constant predictions (no r)" if undefined else ""
        if ahead.empty:
            last = rows.iloc[-1]
            sentences.append(
                f"{model} never beats {reference} at the sizes tried "
                f"({last['pearson_mean']:.3f} vs {ref[last['fraction']]:.3f} "
                f"with {int(last['n_train']):,} sequences{note})"
            )
            continue
        first = ahead.iloc[0]
        stays = len(ahead) == int((rows["fraction"] >= first["fraction"]).sum())
        sentences.append(
            f"{model} beats {reference} from {int(first['n_train']):,} training sequences "
            f"({first['fraction'] * 100:g}% of them)"
            f"{' upward' if stays else ', but not at every larger size'}, "
            f"{first['pearson_mean']:.3f} vs {ref[first['fraction']]:.3f}"
            f"{_seeds_ahead(table, model, reference, first['fraction'])}{note}"
        )
    return f"Data efficiency (mean Pearson r, {scored_on}): " + "; ".join(sentences) + "."


def _seeds_ahead(table: pd.DataFrame | None, model: str, reference: str, fraction: float) -> str:
    """``" (ahead in 2 of 3 seeds)"``: the paired per-seed comparison at one size."""
    if table is None or table.empty:
        return ""
    at = table[table["fraction"] == fraction].pivot(index="seed", columns="model", values="pearson")
    if model not in at or reference not in at:
        return ""
    ahead = int((at[model] > at[reference]).sum())
    return f" (ahead in {ahead} of {len(at)} seed{'s' if len(at) > 1 else ''})"

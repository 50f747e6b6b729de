"""Notebook 03: landmark -> target gene inference, D-GEX / TAAF / E-GEX against the baselines.

The LINCS setting of D-GEX (Chen et al., *Bioinformatics* 2016): ~1,000 landmark genes are
measured, the other (target) genes are inferred. This module loads the data (a matrix plus
landmark/target gene lists, or the synthetic embedded default), normalises it (quantile
normalisation + per-gene z-scores, statistics from the training split or, as in the paper,
from all samples), splits it (random fractions, fixed counts, or leave-one-study-out), trains
every requested model on the same splits, and tabulates the errors: MAE, relative improvement
over linear regression and the share of genes improved (the paper's two headline numbers).

Notebook use::

    data = load_landmark_data(expression_path, landmark_list=..., target_list=...)
    result = run_landmark_comparison(data, models=[...], output_dir=...)
    result.table
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from gexnb import train
from gexnb.data.expression import DataChecks
from gexnb.data.landmark import (
    LOSO_SUMMARY_SPLITS,
    LandmarkData,
    PreparedSplit,
    common_genes,
    hold_out_study,
    load_landmark_data,
    make_splits,
    prepare_cross_dataset,
    prepare_split,
)
from gexnb.data.synthetic import LANDMARK_SYNTHETIC
from gexnb.errors import ParameterError
from gexnb.io import ensure_output_dir, write_json_atomic, write_metrics, write_table_atomic
from gexnb.metrics import per_gene_mae, regression_report, relative_improvement, share_improved
from gexnb.models import available, build
from gexnb.models.baselines import CONSTANT_BASELINES, seeded
from gexnb.models.landmark import set_linear_path
from gexnb.models.registry import get_factory
from gexnb.pipelines.landmark_predictor import predictor_from_split
from gexnb.pipelines.landmark_sizing import (
    DEEP_MODELS,
    data_is_missing,
    describe_paper_models,
    paper_dry_run,
)
from gexnb.pipelines.params import (
    DATA_CHECK_DEFAULTS,
    TRAINING_KEYS,
    check_model_params,
    split_params,
    with_defaults,
)
from gexnb.rundir import package_versions
from gexnb.train import TrainingConfig
from gexnb.train.config import PREDICT_BATCH_SIZE, SHORT_EPOCH_CHECKPOINT_SECONDS

__all__ = [
    "SYNTHETIC_OPTIONS",
    "LandmarkData",
    "PreparedSplit",
    "ModelRun",
    "ComparisonResult",
    "DEEP_MODELS",
    "CONSTANT_BASELINES",
    "TRAINING_KEYS",
    "load_landmark_data",
    "make_splits",
    "prepare_split",
    "prepare_cross_dataset",
    "hold_out_study",
    "fit_model",
    "evaluate_runs",
    "run_landmark_comparison",
    "write_predictions",
    "saved_model_cost",
    "SAVED_KEY",
    "SAVE_DEFAULTS",
    "check_plan",
    "workload",
    "describe_paper_models",
    "data_is_missing",
    "paper_dry_run",
    "DATA_CHECK_DEFAULTS",
    "CROSS_DEFAULTS",
    "with_defaults",
]

log = logging.getLogger(__name__)

#: Notebook 03's ``data_checks`` parameter takes every key of
#: :data:`gexnb.pipelines.params.DATA_CHECK_DEFAULTS` (see :func:`load_landmark_data` and
#: :func:`prepare_split`).
#: Options of notebook 03's ``cross`` parameter (the cross-platform test set).
CROSS_DEFAULTS: dict[str, Any] = {
    "expression_path": "",
    "study": "",
    "transform": "auto",
    "gene_mismatch": "error",
}


#: Notebook 03's ``save`` parameter, what a run keeps beside its metrics: ``predictions``
#: (each model's held-out predictions, :func:`write_predictions`) and ``models`` (saved with
#: their split's preprocessing for ``gexnb predict``); :func:`run_landmark_comparison`'s
#: defaults too.
SAVE_DEFAULTS: dict[str, Any] = {"predictions": True, "models": ["ridge", "dgex"]}

#: scikit-learn baselines: the registry's classical models of the ``tabular`` task.
CLASSICAL_MODELS = tuple(available(kind="classical", task="tabular"))


@dataclass
class ModelRun:
    """One fitted model: predictions per split, training history and timing.

    Parameters
    ----------
    name, predictions, target_indices, history, fit_seconds, n_params, model
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    name
        Model name.
    predictions
        Input name (``train``, ``val``, ``test``, and extra inputs such as ``cross``) ->
        predictions (samples x predicted targets) on the normalised scale.
    target_indices
        Columns of the targets predicted (all, unless ``max_targets`` subsampled them).
    history
        Training history of a deep model (E-GEX: also per phase, ``<phase>_<metric>``).
    fit_seconds
        Wall-clock seconds of the fit.
    n_params
        Number of weights of a deep model, else None.
    model
        The fitted model.
    """

    name: str
    predictions: dict[str, np.ndarray]
    target_indices: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    fit_seconds: float = 0.0
    n_params: int | None = None
    model: Any = None


@dataclass
class ComparisonResult:
    """Outcome of :func:`run_landmark_comparison`.

    Parameters
    ----------
    table, metrics, per_gene, histories, output_dir
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    table
        Metrics indexed by (model, split) (:func:`evaluate_runs`).
    metrics
        The ``metrics.json`` entries written, ``<model>/<split>/<metric>``.
    per_gene
        Model -> split -> per-gene MAE.
    histories
        Deep model -> split -> training history.
    output_dir
        Folder of the outputs.
    """

    table: pd.DataFrame
    metrics: dict[str, float]
    per_gene: dict[str, dict[str, pd.Series]]
    histories: dict[str, dict[str, dict[str, list[float]]]]
    output_dir: Path


def fit_model(
    name: str,
    data: PreparedSplit,
    *,
    params: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    output_dir: str | os.PathLike,
    seed: int = 0,
    verbose: Any = 0,
    extra_inputs: Mapping[str, np.ndarray] | None = None,
) -> ModelRun:
    """Fit one model on ``data.x/y["train"]`` and predict every split.

    Deep models (:data:`DEEP_MODELS`) are built with ``gexnb.models.build(name,
    n_landmarks=..., n_targets=..., **architecture)`` and trained with
    :func:`gexnb.train.fit` (E-GEX with :func:`gexnb.train.train_egex`), on the
    validation split, keeping the best-validation weights (``ridge_dgex`` starts from the
    ridge regression of the training samples). Baselines use ``fit(X, Y)``.

    Parameters
    ----------
    name
        A model of :data:`DEEP_MODELS` or :data:`CLASSICAL_MODELS`.
    data
        The normalised split.
    params
        The model's own parameters: architecture keys plus training keys
        (:data:`TRAINING_KEYS`: ``epochs``, ``batch_size``, ``loss`` (``mae``/``mse``),
        ``optimizer`` (``sgd`` with momentum as D-GEX, ``nadam`` as the TAAF demonstrator,
        ``adam``), ``learning_rate``, ``momentum``, ``decay_rate`` + ``decay_steps`` (step
        decay), ``early_stopping``, ``finetune_lr_factor`` (E-GEX phase 3)).
    defaults
        Training keys used where ``params`` has none.
    output_dir
        Checkpoints and histories of deep models go to ``<output_dir>/<name>``.
    seed
        Seed of the initialisation and of the training.
    verbose
        Keras verbosity of a deep model's training (:class:`gexnb.train.TrainingConfig`).
    extra_inputs
        Further landmark matrices to predict (e.g. ``{"cross": X2}``).

    Returns
    -------
    ModelRun
        The fitted model with its predictions of every split and extra input.

    Raises
    ------
    ParameterError
        For an unknown model name.
    """
    arch, train_kw = split_params(dict(params or {}), name)
    config = TrainingConfig.from_mapping(
        {
            "checkpoint_seconds": SHORT_EPOCH_CHECKPOINT_SECONDS,
            **dict(defaults or {}),
            **train_kw,
            "seed": seed,
            "verbose": verbose,
        }
    )
    inputs = {**data.x, **dict(extra_inputs or {})}
    start = time.perf_counter()
    history: dict[str, list[float]] = {}
    n_params = None
    if name in CLASSICAL_MODELS:
        model = seeded(build(name, **arch), seed, arch).fit(data.x["train"], data.y["train"])
        target_idx = np.asarray(model.target_indices_)
        predict = model.predict
    elif name in DEEP_MODELS:
        keras.utils.set_random_seed(int(seed))
        n_lm, n_tg = data.x["train"].shape[1], data.y["train"].shape[1]
        model = build(name, n_landmarks=n_lm, n_targets=n_tg, **arch)
        if name == "ridge_dgex":  # its linear path starts as the ridge of the same samples
            ridge = build("ridge").fit(data.x["train"], data.y["train"])
            set_linear_path(model, ridge.estimator_.coef_, ridge.estimator_.intercept_)
        n_params = int(model.count_params())
        val = (data.x["val"], data.y["val"]) if "val" in data.x else None
        out = Path(output_dir) / name
        train_xy = (data.x["train"], data.y["train"])
        if name == "egex":
            phased = train.train_egex(model, train_xy, val, output_dir=out, config=config)
            history = phased.histories.get("end_to_end", {})
            history = {
                **history,
                **{
                    f"{phase}_{k}": v for phase, h in phased.histories.items() for k, v in h.items()
                },
            }
        else:
            res = train.fit(model, train_xy, val, output_dir=out, config=config)
            model, history = res.model, res.history
        target_idx = np.arange(n_tg)

        def predict(x: np.ndarray) -> np.ndarray:
            return np.asarray(
                train.predict(model, x, batch_size=PREDICT_BATCH_SIZE), dtype="float64"
            )
    else:
        raise ParameterError(
            f"unknown model {name!r} for notebook 03; "
            f"use one of {', '.join(DEEP_MODELS + CLASSICAL_MODELS)}"
        )
    seconds = time.perf_counter() - start
    preds = {k: predict(v) for k, v in inputs.items()}
    return ModelRun(name, preds, target_idx, history, seconds, n_params, model)


def evaluate_runs(
    runs: Mapping[str, ModelRun],
    truth: Mapping[str, np.ndarray],
    *,
    targets: Sequence[str],
    split_names: Sequence[str] = ("val", "test"),
    baseline: str = "linear",
    y_scale: np.ndarray | Mapping[str, np.ndarray | None] | None = None,
) -> tuple[pd.DataFrame, dict[str, dict[str, pd.Series]]]:
    """Tabulate the errors of every run on every split, against ``baseline``.

    For each model and split: ``mae``, ``rmse``, ``r2``, ``pearson`` (flattened),
    ``mae_median`` (median over genes of the per-gene MAE, robust to a few badly predicted
    genes), the MAE on the expression scale before z-scoring (``mae_expr`` and
    ``mae_expr_median``, when ``y_scale`` is given: one array of target sds for every split,
    or a mapping split -> sds, for splits normalised with their own statistics such as a
    second study),
    ``rel_improvement_vs_linear`` ((MAE_linear - MAE_model) / MAE_linear, the D-GEX headline)
    and ``share_genes_improved_vs_linear`` (share of target genes with a lower per-gene MAE),
    both on the genes the model predicts (all, unless ``max_targets`` subsampled them,
    reported in ``n_genes``).

    Parameters
    ----------
    runs
        Model name -> fitted run.
    truth
        Split -> true targets (samples x all targets, normalised).
    targets
        Target gene names, the columns of ``truth``.
    split_names
        Splits scored (those a run or ``truth`` lacks are skipped).
    baseline
        The model the improvements are measured against.
    y_scale
        Target sds for ``mae_expr``: one array for every split, a mapping split -> sds (or
        None), or None for no expression-scale errors.

    Returns
    -------
    table, per_gene
        Table indexed by (model, split); per-gene MAE Series by model and split.
    """
    rows: list[dict[str, Any]] = []
    per_gene: dict[str, dict[str, pd.Series]] = {}
    targets = list(targets)
    for name, run in runs.items():
        per_gene[name] = {}
        idx = run.target_indices
        for split in split_names:
            if split not in run.predictions or split not in truth:
                continue
            y_true = truth[split][:, idx]
            y_pred = run.predictions[split]
            rep = regression_report(y_true, y_pred)
            genes = per_gene_mae(y_true, y_pred)
            per_gene[name][split] = pd.Series(genes, index=[targets[i] for i in idx])
            row = {
                "model": name,
                "split": split,
                "mae": rep["mae"],
                "mae_median": float(np.median(genes)),
                "rmse": rep["rmse"],
                "r2": rep["r2"],
                "pearson": rep["pearson"],
                "n": rep["n"],
                "n_genes": int(len(idx)),
                "fit_seconds": run.fit_seconds,
            }
            if isinstance(getattr(run.model, "k_", None), int):  # KNN-GE's k, chosen or given
                row["k"] = run.model.k_
            scale = y_scale.get(split) if isinstance(y_scale, Mapping) else y_scale
            if scale is not None:
                genes_expr = genes * np.asarray(scale)[idx]
                row["mae_expr"] = float(np.mean(genes_expr))
                row["mae_expr_median"] = float(np.median(genes_expr))
            if baseline in runs and split in runs[baseline].predictions:
                base_genes = per_gene_mae(truth[split], runs[baseline].predictions[split])[idx]
                row["rel_improvement_vs_linear"] = relative_improvement(
                    genes.mean(), base_genes.mean()
                )
                row["share_genes_improved_vs_linear"] = share_improved(genes, base_genes)
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["model", "split"]) if rows else pd.DataFrame()
    return table, per_gene


def _table_metrics(table: pd.DataFrame, split_label: Mapping[str, str]) -> dict[str, float]:
    keys = (
        "mae",
        "mae_median",
        "rmse",
        "r2",
        "pearson",
        "mae_expr",
        "mae_expr_median",
        "rel_improvement_vs_linear",
        "share_genes_improved_vs_linear",
        "n_genes",
        "fit_seconds",
        "k",
        SAVED_KEY,
    )
    out: dict[str, float] = {}
    for (model, split), row in table.iterrows():
        for key in keys:
            if key in row and pd.notna(row[key]):
                out[f"{model}/{split_label.get(split, split)}/{key}"] = float(row[key])
    return out


#: Notebook 03's ``synthetic`` options (:data:`gexnb.data.synthetic.LANDMARK_SYNTHETIC`, shared
#: with notebook 01).
SYNTHETIC_OPTIONS: Mapping[str, Any] = LANDMARK_SYNTHETIC

#: Builder arguments notebook 03 sets from the data; ``model_params`` may not set them.
FIXED_BUILD_ARGS = ("n_landmarks", "n_targets")


def _comparison_models(
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]] | None,
    *,
    warn: bool = True,
) -> list[str]:
    """The models to run, the constant baselines (:data:`CONSTANT_BASELINES`) first; odd
    requests are logged when ``warn``."""
    models = list(models)
    if not models:
        raise ParameterError("models is empty")
    models = [*(c for c in CONSTANT_BASELINES if c not in models), *models]
    known = DEEP_MODELS + CLASSICAL_MODELS
    for what, names in (("models", models), ("model_params", list(model_params or {}))):
        unknown = [n for n in names if n not in known]
        if unknown:  # a typo: notebook 03's models named, not the whole registry's
            close = difflib.get_close_matches(str(unknown[0]), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(
                f"unknown model {unknown[0]!r} in {what} for notebook 03{hint}; "
                f"use one of {', '.join(known)}"
            )
    unknown_params = set(model_params or {}) - set(models)
    if unknown_params and warn:
        log.warning("model_params for models not in the run ignored: %s", sorted(unknown_params))
    for name in models:  # an unknown name is refused there, with the valid ones
        check_model_params(name, (model_params or {}).get(name), fixed=FIXED_BUILD_ARGS)
    if "linear" not in models and warn:
        log.warning("'linear' not in models: no improvement over linear regression is computed")
    return models


#: Metric of a saved model: its test MAE on the expression scale when the held-out samples
#: are processed as ``gexnb predict`` processes new ones (landmark-only quantile
#: normalisation), beside the notebook's own ``mae_expr`` of the same samples.
SAVED_KEY = "mae_expr_saved"


def _input_range(data: LandmarkData) -> tuple[float, float | None]:
    """The largest landmark value of the training file as given (before its log2; its
    :func:`~gexnb.data.expression.normalize.robust_max`, a few stray values left out, as
    ``transform: auto`` leaves them), and the smallest when no log2 was taken (None after
    one: the file's own values are not known)."""
    from gexnb.data.expression.normalize import robust_max

    values = data.X.to_numpy()
    largest = robust_max(values)
    if str(data.report.get("transform", "")).startswith("log2"):
        return float(2.0**largest), None
    return largest, float(np.nanmin(values))


def _save_models(
    names: Sequence[str],
    runs: Mapping[str, ModelRun],
    prepared: PreparedSplit,
    data: LandmarkData,
    parts: Mapping[str, np.ndarray],
    out: Path,
    *,
    seed: int,
) -> dict[str, float]:
    """Save each model of ``names`` with the split's preprocessing and score it on the test
    samples as ``gexnb predict`` would see them (:data:`SAVED_KEY`)."""
    test = np.asarray(parts["test"])
    raw = data.X.iloc[test]  # after the transform, before any normalisation
    measured = prepared.to_expression(prepared.y["test"])
    source = {
        "notebook": "03_landmark_models",
        "gexnb": package_versions(("gexnb",)).get("gexnb", "unknown"),
        "data": data.report.get("source", data.name),
        "seed": seed,
    }
    input_max, input_min = _input_range(data) if names else (None, None)
    scores = {}
    for name in names:
        run = runs[name]
        predictor = predictor_from_split(
            name, run.model, prepared, landmark_ids=data.landmark_ids,
            target_indices=run.target_indices, report=data.report, source=source,
            input_max=input_max, input_min=input_min,
        )  # fmt: skip
        predictor.save(out / "models" / prepared.name / name)
        predicted = predictor.predict(raw, transformed=True).to_numpy()
        truth = measured[:, np.asarray(run.target_indices)]
        scores[name] = float(np.mean(np.abs(predicted - truth)))
    return scores


def saved_model_cost(table: pd.DataFrame) -> pd.DataFrame:
    """The saved models' test MAE as the notebook predicted and as ``gexnb predict`` would.

    Parameters
    ----------
    table
        :attr:`ComparisonResult.table`.

    Returns
    -------
    pandas.DataFrame
        Per saved model and test split (and the mean over left-out studies): ``mae_expr``
        (the notebook's; its ``mae`` when the run did not normalise, the same scale),
        :data:`SAVED_KEY` and their difference in percent; empty when no model was saved.
    """
    if SAVED_KEY not in table:
        return pd.DataFrame(columns=["mae_expr", SAVED_KEY, "difference_%"])
    shown = table.dropna(subset=[SAVED_KEY])
    shown = shown[shown.index.get_level_values("split") != "loso_sd"]
    # without normalisation (no target sds) the notebook's MAE is on the expression scale
    notebook = shown["mae_expr"] if "mae_expr" in shown else shown["mae"]
    return pd.DataFrame(
        {
            "mae_expr": notebook,
            SAVED_KEY: shown[SAVED_KEY],
            "difference_%": 100 * (shown[SAVED_KEY] / notebook - 1),
        }
    )


def _check_save_models(save_models: Sequence[str]) -> None:
    """``save: {models: ...}`` is a list of registered model names."""
    if isinstance(save_models, str):
        raise ParameterError(f"models to save must be a list of names, got {save_models!r}")
    for name in save_models:
        get_factory(name)  # an unknown name (a typo): one line, with the valid names


def _models_to_save(save_models: Sequence[str], models: Sequence[str]) -> list[str]:
    """The models of ``save_models`` that the run trains; the others are logged."""
    _check_save_models(save_models)
    left_out = [m for m in save_models if m not in models]
    if left_out:
        log.info("models to save but not run, not saved: %s", ", ".join(left_out))
    return [m for m in dict.fromkeys(save_models) if m in models]


def _prepare_cross(
    cross_data: LandmarkData | None, *, normalization: str, quantile: bool, min_relative_sd: float
) -> PreparedSplit | None:
    """The second data set, normalised with its own statistics (all its samples are test)."""
    if cross_data is None:
        return None
    n2 = len(cross_data.X)
    return prepare_split(
        cross_data,
        {"train": np.arange(n2), "test": np.arange(n2)},
        name="cross",
        normalization="all" if normalization != "none" else "none",
        quantile=quantile,
        joint_quantile=normalization == "all",  # the D-GEX paper's preprocessing
        zero_variance="drop",
        min_relative_sd=min_relative_sd,
    )


def _on_common_landmarks(
    prepare: Any,
    data: LandmarkData,
    prepared: PreparedSplit,
    cross_data: Any,
    cross: PreparedSplit,
    prepare_cross: Any,
) -> tuple[PreparedSplit, PreparedSplit]:
    """A split and the second data set on the genes both keep (:func:`common_genes`, which
    reports the genes left out), each normalised again over the landmarks both keep when
    one set left some out and the landmarks are quantile-normalised alone: a landmark's
    value depends on the others it is normalised with, so a model trained on landmarks
    normalised among more would not meet its inputs again in the second set, nor in
    ``gexnb predict`` (a review: saved ridge 3.1 % off the notebook's MAE).

    Parameters
    ----------
    prepare
        :func:`prepare_split` with the split's settings, taking the data.
    data, prepared
        The primary data set and its prepared split.
    cross_data, cross
        The second data set and its preparation.
    prepare_cross
        :func:`_prepare_cross` with the run's settings, taking the data.

    Returns
    -------
    prepared, cross
        Both on the genes both keep.
    """
    prepared_both, cross_both = common_genes(prepared, cross, data.report)
    alone = prepared.x_reference is not None and prepared.normalization != "all"
    for _ in range(len(data.X.columns)):
        landmarks = list(prepared_both.landmarks)
        if not alone or (
            landmarks == prepared.landmarks and set(landmarks) == set(cross.landmarks)
        ):
            break
        prepared = prepare(dataclasses.replace(data, X=data.X.loc[:, landmarks]))
        cross = prepare_cross(dataclasses.replace(cross_data, X=cross_data.X.loc[:, landmarks]))
        prepared_both, cross_both = common_genes(prepared, cross, {})
    return prepared_both, cross_both


def _fit_split(
    prepared: PreparedSplit,
    cross_here: PreparedSplit | None,
    split_name: str,
    *,
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]] | None,
    training: Mapping[str, Any] | None,
    output_dir: Path,
    seed: int,
    verbose: Any,
    bar: Any,
) -> tuple[dict[str, ModelRun], dict[str, np.ndarray]]:
    """Fit every model on one split; return the runs and the truth of each scored split."""
    extra, truth = {}, dict(prepared.y)
    if cross_here is not None:
        extra["cross"] = cross_here.x["test"]
        truth["cross"] = cross_here.y["test"]
    runs = {}
    for name in models:
        bar.set_postfix_str(f"{split_name}: {name}")
        log.info("split %s: fitting %s", split_name, name)
        runs[name] = fit_model(
            name,
            prepared,
            params=(model_params or {}).get(name, {}),
            defaults=training,
            output_dir=output_dir / "models" / split_name,
            seed=seed,
            verbose=verbose,
            extra_inputs=extra,
        )
        bar.update()
    if cross_here is not None:
        _cross_mean_baselines(runs, prepared, cross_here, truth["cross"])
    return runs, truth


def _score_split(
    runs: dict[str, ModelRun],
    truth: dict[str, np.ndarray],
    prepared: PreparedSplit,
    cross_here: PreparedSplit | None,
    split: str,
    split_name: str,
) -> tuple[pd.DataFrame, dict[str, dict[str, pd.Series]]]:
    """Metrics table and per-gene MAE of one split's runs (LOSO splits named by study)."""
    split_names = ["val", "test", "cross"] if split != "loso" else ["test", "cross"]
    scales = {k: prepared.y_scale for k in ("train", "val", "test")}
    scales["cross"] = None if cross_here is None else cross_here.y_scale
    table, per_gene = evaluate_runs(
        runs, truth, targets=prepared.targets, split_names=split_names, y_scale=scales
    )
    table = table.reset_index()

    def label(scored: str) -> str:
        """A LOSO split's sample sets by study: ``loso_<study>``, ``cross_loso_<study>``."""
        if split != "loso":
            return scored
        return split_name if scored == "test" else f"{scored}_{split_name}"

    table["split"] = table["split"].map(label)
    # per gene as in the table: each study's cross scores kept, not the last study's alone
    labelled = {
        name: {label(s): series for s, series in by_split.items()}
        for name, by_split in per_gene.items()
    }
    return table, labelled


def _with_loso_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Append the summary rows over the left-out studies (:data:`LOSO_SUMMARY_SPLITS`).

    ``loso_mean`` and ``loso_sd``: each study counts once, however few its samples (a small
    study's noisy ``r2`` can dominate the mean). ``loso_weighted``: the studies weighted by
    their samples (``n``), so that ``mae`` and ``mae_expr`` are those of every left-out
    sample pooled (each in its own fold's units), ``rmse`` the root of the weighted mean
    square, ``rel_improvement_vs_linear`` that of the weighted MAEs (linear regression's on
    the same genes), ``n`` the samples left out in all; ``fit_seconds`` and ``k`` are not
    weighted (left empty).
    """
    folds = table[table["split"].str.startswith("loso_")]
    num = folds.drop(columns=["split"]).groupby("model").agg(["mean", "std"])
    for stat, label in zip(("mean", "std"), LOSO_SUMMARY_SPLITS[:2], strict=True):
        summary = num.xs(stat, axis=1, level=1).reset_index()
        summary["split"] = label
        table = pd.concat([table, summary], ignore_index=True)
    return pd.concat([table, _loso_weighted(folds)], ignore_index=True)


def _loso_weighted(folds: pd.DataFrame) -> pd.DataFrame:
    """The ``loso_weighted`` row of each model (see :func:`_with_loso_summary`)."""
    rows = []
    for model, own in folds.groupby("model", sort=False):
        n = own["n"].to_numpy(dtype=float)
        row: dict[str, Any] = {"model": model, "split": LOSO_SUMMARY_SPLITS[2]}
        for column in own.columns.drop(["model", "split", "n", "fit_seconds", "k"], "ignore"):
            values = pd.to_numeric(own[column], errors="coerce").to_numpy(dtype=float)
            if column == "rmse":
                values = values**2
            known = np.isfinite(values)
            if known.any():
                mean = float(np.average(values[known], weights=n[known]))
                row[column] = float(np.sqrt(mean)) if column == "rmse" else mean
        row["n"] = int(n.sum())
        rel = "rel_improvement_vs_linear"
        if rel in own and own[rel].notna().all() and (own[rel] < 1).all():
            # linear regression's MAE on this model's genes, fold by fold: mae / (1 - rel)
            base = float(np.average(own["mae"] / (1 - own[rel]), weights=n))
            row[rel] = relative_improvement(row["mae"], base)
        rows.append(row)
    return pd.DataFrame(rows)


def _write_comparison(
    out: Path,
    split: str,
    table: pd.DataFrame,
    per_gene: dict[str, dict[str, pd.Series]],
    histories: dict[str, dict[str, Any]],
    report: dict[str, Any],
) -> dict[str, float]:
    """Write metrics.json and the comparison files of one split kind; return the metrics."""
    metrics = _table_metrics(table, {})
    write_metrics(out, metrics)
    write_table_atomic(out / f"comparison_{split}.tsv", table)
    gene_frame = pd.DataFrame(
        {f"{m}/{s}": series for m, by in per_gene.items() for s, series in by.items()}
    )
    write_table_atomic(out / f"per_gene_mae_{split}.tsv", gene_frame)
    write_json_atomic(out / f"histories_{split}.json", histories)
    write_json_atomic(out / "data_report.json", report)
    return metrics


def check_plan(
    *,
    splits: Sequence[str],
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    save_models: Sequence[str] = (),
    warn: bool = True,
) -> list[str]:
    """Notebook 03's splits, models and ``model_params`` checked before any data are read, so
    that a typo stops the run at once, not after the data are loaded.

    Parameters
    ----------
    splits
        Split kinds: ``"random"``, ``"counts"``, ``"loso"``.
    models, model_params
        As for :func:`run_landmark_comparison`.
    save_models
        Notebook 03's ``save: {models: ...}``: the names must be models of the registry.
    warn
        Log model parameters of models not in the run, and a run without ``linear``.

    Returns
    -------
    list of str
        The models that will run, the constant baselines first.

    Raises
    ------
    ParameterError
        Unknown split kinds, or ``random`` with ``counts`` (both write ``val`` and ``test``
        keys); unknown models, model parameters or models to save.
    """
    if isinstance(splits, str) or not splits:
        raise ParameterError(f"splits must be a non-empty list, got {splits!r}")
    unknown = [s for s in splits if s not in ("random", "counts", "loso")]
    if unknown:
        raise ParameterError(f"split must be 'random', 'counts' or 'loso', got {unknown[0]!r}")
    if "random" in splits and "counts" in splits:  # one metrics.json: counts overwrote random's
        raise ParameterError(
            "splits random and counts both score val and test (<model>/test/<metric>): one "
            "run's metrics would overwrite the other's; run them in two output folders"
        )
    names = _comparison_models(models, model_params, warn=warn)
    _check_save_models(save_models)
    return names


def workload(
    data: LandmarkData,
    *,
    splits: Sequence[str],
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    epochs: int = 10,
) -> str:
    """The planned work of notebook 03 (splits x models, each deep model's epochs), printed
    before it starts.

    Parameters
    ----------
    data
        The data set (its groups count the ``loso`` splits).
    splits
        Split kinds: ``"random"``, ``"counts"``, ``"loso"``.
    models, model_params
        As for :func:`run_landmark_comparison`.
    epochs
        Epochs of a deep model whose ``model_params`` set none.

    Returns
    -------
    str
        One line: splits, models, number of fits and each deep model's epochs.

    Raises
    ------
    ParameterError
        As :func:`check_plan`.
    """
    names = check_plan(splits=splits, models=models, model_params=model_params, warn=False)
    n_splits = {
        s: (len(set(data.groups)) if s == "loso" and data.groups is not None else 1) for s in splits
    }
    deep = []
    for m in (m for m in names if m in DEEP_MODELS):
        n = split_params(dict((model_params or {}).get(m, {})), m)[1].get("epochs", epochs)
        deep.append(f"{m} {'3 phases x ' if m == 'egex' else ''}{n} epochs")
    total = sum(n_splits.values())
    return (
        f"{total} split(s) ({', '.join(f'{s}: {n}' for s, n in n_splits.items())}) x "
        f"{len(names)} models = {total * len(names)} fits; deep: {', '.join(deep) or 'none'}"
    )


def run_landmark_comparison(
    data: LandmarkData,
    *,
    models: Sequence[str] = ("linear", "knn_ge", "dgex"),
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    training: Mapping[str, Any] | None = None,
    split: str = "random",
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    counts: Sequence[int] = (88807, 11101, 11101),
    normalization: str = "train",
    quantile: bool = True,
    zero_variance: str = DataChecks.zero_variance,
    min_relative_sd: float = DataChecks.min_relative_sd,
    cross_data: LandmarkData | None = None,
    output_dir: str | os.PathLike,
    seed: int = 0,
    verbose: Any = 0,
    progress: bool = True,
    save_predictions: bool = SAVE_DEFAULTS["predictions"],
    save_models: Sequence[str] = tuple(SAVE_DEFAULTS["models"]),
) -> ComparisonResult:
    """Train every model on the same split(s) and compare them (notebook 03).

    For ``split="random"``/``"counts"`` the metrics are written as ``<model>/val/<metric>``
    and ``<model>/test/<metric>``; for ``split="loso"`` as ``<model>/loso_<study>/<metric>``
    (test set = the left-out study) plus ``<model>/loso_mean/<metric>`` and
    ``<model>/loso_sd/<metric>`` across studies. With ``cross_data`` (already aligned by
    :func:`prepare_cross_dataset`), the models trained on ``data`` also predict the whole
    second data set, normalised with its own statistics: ``<model>/cross/<metric>``, its
    expression-scale errors back-transformed with its own sds.

    Every comparison includes the predict-a-constant baselines ``mean`` and ``median``
    (:data:`CONSTANT_BASELINES`, added when not in ``models``): the training means and
    medians. On the second data set they are carried over on the expression scale, and
    ``mean_own`` is that set's own means (which uses its truth: a reference, not a model).
    Genes of low variance (``min_relative_sd``, see :func:`prepare_split`) are left out;
    genes left out of only one of the two data sets (constant or low-variance there, e.g.
    after its quantile normalisation) are left out of both, and every gene left out is
    listed in ``data_report.json``.

    A progress bar (``tqdm.auto``: a widget in JupyterLab) counts the models fitted
    (``progress=False`` to hide it). Writes (merges) ``metrics.json`` and writes
    ``comparison_<split>.tsv``, ``per_gene_mae_<split>.tsv``, ``histories_<split>.json``
    and ``data_report.json`` to ``output_dir``.

    Parameters
    ----------
    data
        Raw landmark and target matrices (its ``report`` gains the genes left out).
    models
        Models to compare (:data:`DEEP_MODELS`, :data:`CLASSICAL_MODELS`).
    model_params
        Model name -> its ``params`` of :func:`fit_model`.
    training
        Training keys of the deep models where their ``model_params`` have none
        (:func:`fit_model`'s ``defaults``).
    split, fractions, counts
        The split (:func:`gexnb.data.landmark.make_splits`).
    normalization, quantile, zero_variance, min_relative_sd
        The normalisation of each split (:func:`gexnb.data.landmark.prepare_split`).
    cross_data
        A second data set aligned by :func:`prepare_cross_dataset`, or None.
    output_dir
        Folder of the outputs; the deep models' checkpoints go to
        ``<output_dir>/models/<split>``.
    seed
        Seed of the split and of the training.
    verbose
        Keras verbosity of the deep models' training.
    progress
        Show the progress bar.
    save_predictions
        Write every model's predictions of the held-out samples, on the expression scale
        (the split's log2, quantile-normalised values), with the measured values beside
        them (:func:`write_predictions`); about 0.4 GB per model at the D-GEX paper's size.
    save_models
        Models (of ``models``) saved with their split's preprocessing as
        ``<output_dir>/models/<split>/<model>/predictor.json`` plus the model, for ``gexnb
        predict`` on new samples (:mod:`gexnb.pipelines.landmark_predictor`); a name not
        among ``models`` is skipped (logged), an unknown model an error.

    Returns
    -------
    ComparisonResult
    """
    models = _comparison_models(models, model_params)
    save_models = _models_to_save(save_models, models)
    if "knn_ge_genes" in models and normalization == "none":
        warnings.warn(
            "knn_ge_genes compares landmark and target genes by Euclidean distance on one "
            "scale; with normalization 'none' it finds genes of like level, not like profile "
            "(use 'train' or 'all' for per-gene z-scores)",
            stacklevel=2,
        )
    out = ensure_output_dir(output_dir)
    splits = make_splits(
        len(data.X), split=split, fractions=fractions, counts=counts, groups=data.groups, seed=seed
    )
    bar = tqdm(total=len(splits) * len(models), desc="models", unit="model", disable=not progress)
    tables: list[pd.DataFrame] = []
    per_gene_all: dict[str, dict[str, pd.Series]] = {}
    histories: dict[str, dict[str, Any]] = {}
    cross_prepared = _prepare_cross(
        cross_data, normalization=normalization, quantile=quantile, min_relative_sd=min_relative_sd
    )
    if cross_prepared is not None:
        data.report["cross_left_out"] = cross_prepared.dropped
    for split_name, parts in splits:
        prepare = functools.partial(
            prepare_split,
            parts=parts,
            name=split_name,
            normalization=normalization,
            quantile=quantile,
            joint_quantile=normalization == "all",  # the D-GEX paper's preprocessing
            zero_variance=zero_variance,
            min_relative_sd=min_relative_sd,
        )
        prepared = prepare(data)
        if prepared.dropped:
            data.report.setdefault("left_out", {})[split_name] = prepared.dropped
        cross_here = None
        if cross_prepared is not None:
            prepared, cross_here = _on_common_landmarks(
                prepare, data, prepared, cross_data, cross_prepared,
                lambda d: _prepare_cross(d, normalization=normalization, quantile=quantile,
                                         min_relative_sd=min_relative_sd),
            )  # fmt: skip
        runs, truth = _fit_split(
            prepared, cross_here, split_name, models=models, model_params=model_params,
            training=training, output_dir=out, seed=seed, verbose=verbose, bar=bar,
        )  # fmt: skip
        for name, run in runs.items():
            if name in models:
                histories.setdefault(name, {})[split_name] = run.history
        saved = _save_models(save_models, runs, prepared, data, parts, out, seed=seed)
        if save_predictions:
            ids: dict[str, Sequence[str]] = {
                kept: data.X.index[np.asarray(parts[kept])]
                for kept in ("val", "test")
                if kept in parts
            }
            if cross_data is not None:
                ids["cross"] = cross_data.X.index
            write_predictions(out, split_name, runs, truth, prepared, cross_here, ids)
        table, per_gene = _score_split(runs, truth, prepared, cross_here, split, split_name)
        test_label = split_name if split == "loso" else "test"
        for name, value in saved.items():
            table.loc[(table["model"] == name) & (table["split"] == test_label), SAVED_KEY] = value
        tables.append(table)
        for name, by_split in per_gene.items():
            per_gene_all.setdefault(name, {}).update(by_split)
    bar.close()
    table = pd.concat(tables, ignore_index=True)
    if split == "loso":
        table = _with_loso_summary(table)
    table = table.set_index(["model", "split"])
    metrics = _write_comparison(out, split, table, per_gene_all, histories, data.report)
    return ComparisonResult(table, metrics, per_gene_all, histories, out)


def write_predictions(
    output_dir: Path,
    split_name: str,
    runs: Mapping[str, ModelRun],
    truth: Mapping[str, np.ndarray],
    prepared: PreparedSplit,
    cross: PreparedSplit | None,
    sample_ids: Mapping[str, Sequence[str]],
) -> list[Path]:
    """Write each model's held-out predictions and the measured values, samples x genes.

    Files ``predictions/<split_name>/<set>_<model>.parquet`` and
    ``predictions/<split_name>/<set>_measured.parquet`` (float32, sample ids as the index,
    target genes as columns), ``<set>`` being ``val`` (the validation samples), ``test``
    (the split's test samples; for a leave-one-study-out split the left-out study) and
    ``cross`` (the second data set): every held-out metric of ``metrics.json`` can be
    computed again from them. The values are on the expression scale each set was
    normalised from (its log2 values after the quantile normalisation, when on): their mean
    absolute difference is the model's ``mae_expr``. ``mae`` and the other metrics are on
    the z-scored scale, ``(value - center) / scale`` with the rows ``center`` and ``scale``
    of ``predictions/<split_name>/<set>_scale.parquet`` (the training samples' statistics;
    the second data set's own), written when the targets were z-scored.

    Parameters
    ----------
    output_dir
        The run folder.
    split_name
        The split (``random``, ``counts``, ``loso_<study>``).
    runs
        The fitted models of the split (:func:`fit_model`).
    truth
        Set -> measured targets on the normalised scale.
    prepared, cross
        The split and the second data set (None without one), whose statistics undo the
        normalisation.
    sample_ids
        Set -> the ids of its samples, in row order.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = Path(output_dir) / "predictions" / split_name
    written = []
    for kept in ("val", "test", "cross"):
        scale = cross if kept == "cross" else prepared
        if kept not in truth or kept not in sample_ids or scale is None:
            continue
        if len(sample_ids[kept]) != len(truth[kept]) or not len(truth[kept]):
            continue  # no held-out samples (a split without test samples)
        index = pd.Index([str(i) for i in sample_ids[kept]], name="sample")
        frames = {"measured": (truth[kept], np.arange(len(prepared.targets)))}
        frames.update({name: (run.predictions[kept], np.asarray(run.target_indices))
                       for name, run in runs.items() if kept in run.predictions})  # fmt: skip
        center, spread = scale.y_center, scale.y_scale
        if center is not None and spread is not None:
            stats = pd.DataFrame([center, spread], index=["center", "scale"],
                                 columns=list(prepared.targets))  # fmt: skip
            written.append(write_table_atomic(folder / f"{kept}_scale.parquet", stats))
        for name, (values, columns) in frames.items():
            values = scale.to_expression(values, columns)
            frame = pd.DataFrame(values.astype(np.float32), index=index,
                                 columns=[prepared.targets[i] for i in columns])  # fmt: skip
            written.append(write_table_atomic(folder / f"{kept}_{name}.parquet", frame))
    return written


def _cross_mean_baselines(
    runs: dict[str, ModelRun],
    prepared: PreparedSplit,
    cross: PreparedSplit,
    cross_truth: np.ndarray,
) -> None:
    """Put the constant baselines of the second data set on its own scale (see the caller)."""
    for name in CONSTANT_BASELINES:
        constant = runs.get(name)
        if constant is not None and "cross" in constant.predictions:
            training_values = prepared.to_expression(constant.predictions["cross"])
            constant.predictions["cross"] = cross.from_expression(training_values)
    own = np.broadcast_to(cross_truth.mean(axis=0, dtype="float64"), cross_truth.shape)
    runs["mean_own"] = ModelRun(
        "mean_own", {"cross": np.array(own)}, np.arange(cross_truth.shape[1])
    )

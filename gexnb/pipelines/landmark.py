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

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.data.expression import DEFAULT_MIN_RELATIVE_SD
from gexnb.data.landmark import (
    LandmarkData,
    PreparedSplit,
    _common_genes,
    hold_out_study,
    load_landmark_data,
    make_splits,
    prepare_cross_dataset,
    prepare_split,
)
from gexnb.errors import InputError, ParameterError
from gexnb.io import ensure_output_dir, write_json_atomic, write_metrics, write_table_atomic
from gexnb.train.config import SHORT_EPOCH_CHECKPOINT_SECONDS

__all__ = [
    "LandmarkData",
    "PreparedSplit",
    "ModelRun",
    "ComparisonResult",
    "DEEP_MODELS",
    "TRAINING_KEYS",
    "load_landmark_data",
    "make_splits",
    "prepare_split",
    "prepare_cross_dataset",
    "hold_out_study",
    "fit_model",
    "evaluate_runs",
    "run_landmark_comparison",
    "describe_paper_models",
    "data_is_missing",
    "paper_dry_run",
    "DATA_CHECK_DEFAULTS",
    "CROSS_DEFAULTS",
    "with_defaults",
]

log = logging.getLogger(__name__)

#: Input-check policies of notebook 03's ``data_checks`` parameter (see
#: :func:`load_landmark_data` and :func:`prepare_split`).
DATA_CHECK_DEFAULTS: dict[str, Any] = {
    "nan": "error",
    "duplicates": "mean",
    "zero_variance": "error",
    "min_relative_sd": DEFAULT_MIN_RELATIVE_SD,
    "max_missing_landmarks": 0.0,
    "max_missing_targets": 1.0,
}
#: Options of notebook 03's ``cross`` parameter (the cross-platform test set).
CROSS_DEFAULTS: dict[str, Any] = {
    "expression_path": "",
    "study": "",
    "transform": "auto",
    "gene_mismatch": "error",
}


def with_defaults(options: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Fill a partial option mapping from ``defaults``, refusing unknown keys.

    Parameters
    ----------
    options
        What the user gave (a notebook parameter or a YAML profile may name only some keys).
    defaults
        The complete mapping of valid keys and their default values.

    Raises
    ------
    ParameterError
        If ``options`` holds a key that ``defaults`` does not, naming the valid ones.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ParameterError(
            f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(defaults)}"
        )
    return {**defaults, **options}


#: Keras models trained through :func:`gexnb.train.fit`.
DEEP_MODELS = ("dgex", "taaf_dgex", "egex")
#: Keys of a model's parameter mapping that configure its training, not its architecture:
#: the fields of :class:`gexnb.train.TrainingConfig`.
TRAINING_KEYS = (
    "epochs",
    "batch_size",
    "loss",
    "optimizer",
    "learning_rate",
    "momentum",
    "decay_rate",
    "decay_steps",
    "early_stopping",
    "finetune_lr_factor",
    "precision",
    "distribution",
    "checkpoint_seconds",
    "lr_scales",
    "decay_on_rise",
    "min_learning_rate",
)


@dataclass
class ModelRun:
    """One fitted model: predictions per split, training history and timing."""

    name: str
    predictions: dict[str, np.ndarray]
    target_indices: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    fit_seconds: float = 0.0
    n_params: int | None = None
    model: Any = None


@dataclass
class ComparisonResult:
    """Outcome of :func:`run_landmark_comparison`."""

    table: pd.DataFrame
    metrics: dict[str, float]
    per_gene: dict[str, dict[str, pd.Series]]
    histories: dict[str, dict[str, dict[str, list[float]]]]
    output_dir: Path


# --------------------------------------------------------------------------------------- data


# ------------------------------------------------------------------------------------- models


def _split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    arch = {k: v for k, v in params.items() if k not in TRAINING_KEYS}
    train = {k: v for k, v in params.items() if k in TRAINING_KEYS}
    for key in ("hidden", "encoder_hidden", "mapper_hidden"):
        if key in arch:
            arch[key] = tuple(int(h) for h in arch[key])
    return arch, train


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
    validation split, keeping the best-validation weights. Baselines use ``fit(X, Y)``.

    Parameters
    ----------
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
    extra_inputs
        Further landmark matrices to predict (e.g. ``{"cross": X2}``).
    """
    from gexnb.models import build
    from gexnb.models.baselines import BASELINE_NAMES
    from gexnb.train import TrainingConfig

    arch, train_kw = _split_params(dict(params or {}))
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
    if name in BASELINE_NAMES:
        model = build(name, **arch).fit(data.x["train"], data.y["train"])
        target_idx = np.asarray(model.target_indices_)
        predict = model.predict
    elif name in DEEP_MODELS:
        import keras

        from gexnb import train as gtrain

        keras.utils.set_random_seed(int(seed))
        n_lm, n_tg = data.x["train"].shape[1], data.y["train"].shape[1]
        model = build(name, n_landmarks=n_lm, n_targets=n_tg, **arch)
        n_params = int(model.count_params())
        val = (data.x["val"], data.y["val"]) if "val" in data.x else None
        out = Path(output_dir) / name
        train_xy = (data.x["train"], data.y["train"])
        if name == "egex":
            res = gtrain.train_egex(model, train_xy, val, output_dir=out, config=config)
            history = res.histories.get("end_to_end", {})
            history = {
                **history,
                **{f"{phase}_{k}": v for phase, h in res.histories.items() for k, v in h.items()},
            }
        else:
            res = gtrain.fit(model, train_xy, val, output_dir=out, config=config)
            model, history = res.model, res.history
        target_idx = np.arange(n_tg)

        def predict(x: np.ndarray) -> np.ndarray:
            return np.asarray(gtrain.predict(model, x, batch_size=4096), dtype="float64")
    else:
        raise ParameterError(
            f"unknown model {name!r} for notebook 03; use {DEEP_MODELS + BASELINE_NAMES}"
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

    Returns
    -------
    table, per_gene
        Table indexed by (model, split); per-gene MAE Series by model and split.
    """
    from gexnb.metrics import per_gene_mae, regression_report, relative_improvement, share_improved

    rows, per_gene = [], {}
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
    )
    out: dict[str, float] = {}
    for (model, split), row in table.iterrows():
        for key in keys:
            if key in row and pd.notna(row[key]):
                out[f"{model}/{split_label.get(split, split)}/{key}"] = float(row[key])
    return out


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
    zero_variance: str = "error",
    min_relative_sd: float = DEFAULT_MIN_RELATIVE_SD,
    cross_data: LandmarkData | None = None,
    output_dir: str | os.PathLike,
    seed: int = 0,
    verbose: Any = 0,
    progress: bool = True,
) -> ComparisonResult:
    """Train every model on the same split(s) and compare them (notebook 03).

    For ``split="random"``/``"counts"`` the metrics are written as ``<model>/val/<metric>``
    and ``<model>/test/<metric>``; for ``split="loso"`` as ``<model>/loso_<study>/<metric>``
    (test set = the left-out study) plus ``<model>/loso_mean/<metric>`` and
    ``<model>/loso_sd/<metric>`` across studies. With ``cross_data`` (already aligned by
    :func:`prepare_cross_dataset`), the models trained on ``data`` also predict the whole
    second data set, normalised with its own statistics: ``<model>/cross/<metric>``, its
    expression-scale errors back-transformed with its own sds.

    Every comparison includes the predict-the-mean baseline ``mean`` (added when not in
    ``models``): the training means. On the second data set they are carried over on the
    expression scale, and ``mean_own`` is that set's own means (which uses its truth: a
    reference, not a model). Genes of low variance (``min_relative_sd``, see
    :func:`prepare_split`) are left out; genes left out of only one of the two data sets
    (constant or low-variance there, e.g. after its quantile normalisation) are left out of
    both, and every gene left out is listed in ``data_report.json``.

    A progress bar (``tqdm.auto``: a widget in JupyterLab) counts the models fitted
    (``progress=False`` to hide it). Writes (merges) ``metrics.json`` and writes
    ``comparison_<split>.tsv``, ``per_gene_mae_<split>.tsv``, ``histories_<split>.json``
    and ``data_report.json`` to ``output_dir``.

    Returns
    -------
    ComparisonResult
    """
    models = list(models)
    if not models:
        raise ParameterError("models is empty")
    if "mean" not in models:
        models = ["mean", *models]
    unknown_params = set(model_params or {}) - set(models)
    if unknown_params:
        log.warning("model_params for models not in the run ignored: %s", sorted(unknown_params))
    if "linear" not in models:
        log.warning("'linear' not in models: no improvement over linear regression is computed")
    out = ensure_output_dir(output_dir)
    splits = make_splits(
        len(data.X),
        split=split,
        fractions=fractions,
        counts=counts,
        groups=data.groups,
        seed=seed,
    )
    from tqdm.auto import tqdm

    bar = tqdm(total=len(splits) * len(models), desc="models", unit="model", disable=not progress)
    tables, per_gene_all, histories = [], {}, {}
    cross_prepared = None
    if cross_data is not None:
        n2 = len(cross_data.X)
        cross_prepared = prepare_split(
            cross_data,
            {"train": np.arange(n2), "test": np.arange(n2)},
            name="cross",
            normalization="all" if normalization != "none" else "none",
            quantile=quantile,
            zero_variance="drop",
            min_relative_sd=min_relative_sd,
        )
        data.report["cross_left_out"] = cross_prepared.dropped
    for split_name, parts in splits:
        prepared = prepare_split(
            data,
            parts,
            name=split_name,
            normalization=normalization,
            quantile=quantile,
            zero_variance=zero_variance,
            min_relative_sd=min_relative_sd,
        )
        if prepared.dropped:
            data.report.setdefault("left_out", {})[split_name] = prepared.dropped
        cross_here = None
        if cross_prepared is not None:
            prepared, cross_here = _common_genes(prepared, cross_prepared, data.report)
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
                output_dir=out / "models" / split_name,
                seed=seed,
                verbose=verbose,
                extra_inputs=extra,
            )
            histories.setdefault(name, {})[split_name] = runs[name].history
            bar.update()
        if cross_here is not None:
            _cross_mean_baselines(runs, prepared, cross_here, truth["cross"])
        split_names = ["val", "test", "cross"] if split != "loso" else ["test", "cross"]
        scales = {k: prepared.y_scale for k in ("train", "val", "test")}
        scales["cross"] = None if cross_here is None else cross_here.y_scale
        table, per_gene = evaluate_runs(
            runs,
            truth,
            targets=prepared.targets,
            split_names=split_names,
            y_scale=scales,
        )
        table = table.reset_index()
        if split == "loso":
            table["split"] = table["split"].map(
                lambda s, n=split_name: n if s == "test" else f"{s}_{n}"
            )
        tables.append(table)
        for name, by_split in per_gene.items():
            for s, series in by_split.items():
                label = split_name if (split == "loso" and s == "test") else s
                per_gene_all.setdefault(name, {})[label] = series
    bar.close()
    table = pd.concat(tables, ignore_index=True)
    if split == "loso":
        folds = table[table["split"].str.startswith("loso_")]
        num = folds.drop(columns=["split"]).groupby("model").agg(["mean", "std"])
        for stat, label in (("mean", "loso_mean"), ("std", "loso_sd")):
            summary = num.xs(stat, axis=1, level=1).reset_index()
            summary["split"] = label
            table = pd.concat([table, summary], ignore_index=True)
    table = table.set_index(["model", "split"])
    metrics = _table_metrics(table, {})
    write_metrics(out, metrics)
    write_table_atomic(out / f"comparison_{split}.tsv", table)
    gene_frame = pd.DataFrame(
        {f"{m}/{s}": series for m, by in per_gene_all.items() for s, series in by.items()}
    )
    write_table_atomic(out / f"per_gene_mae_{split}.tsv", gene_frame)
    write_json_atomic(out / f"histories_{split}.json", histories)
    write_json_atomic(out / "data_report.json", data.report)
    return ComparisonResult(table, metrics, per_gene_all, histories, out)


def _cross_mean_baselines(
    runs: dict[str, ModelRun],
    prepared: PreparedSplit,
    cross: PreparedSplit,
    cross_truth: np.ndarray,
) -> None:
    """Put the mean baselines of the second data set on its own scale (see the caller)."""
    mean = runs.get("mean")
    if mean is not None and "cross" in mean.predictions:
        training_means = prepared.to_expression(mean.predictions["cross"])
        mean.predictions["cross"] = cross.from_expression(training_means)
    own = np.broadcast_to(cross_truth.mean(axis=0, dtype="float64"), cross_truth.shape)
    runs["mean_own"] = ModelRun(
        "mean_own", {"cross": np.array(own)}, np.arange(cross_truth.shape[1])
    )


def describe_paper_models(
    n_landmarks: int,
    n_targets: int,
    *,
    models: Sequence[str] = ("dgex",),
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    batch_size: int = 200,
    build_models: bool = True,
    output_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Parameter counts and training-memory estimates of the deep models, without training.

    Used by the ``paper`` profile when the D-GEX GEO data (111,009 profiles) are absent: the
    943 -> 9,520 network with 3 x 9,000 units is built (``build_models``) and its parameter
    count and memory need are reported (:func:`gexnb.models.landmark.estimate_training_memory`).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``n_params``, ``n_params_built`` (when built), memory in GiB.
    """
    from gexnb.models import build
    from gexnb.models.landmark import chunk_sizes, dgex_param_count, estimate_training_memory

    rows = []
    metrics: dict[str, float] = {}
    for name in models:
        if name not in DEEP_MODELS:
            continue
        arch, train_kw = _split_params(dict((model_params or {}).get(name, {})))
        row: dict[str, Any] = {"model": name}
        hidden = tuple(arch.get("hidden", (9000, 9000, 9000)))
        chunks = int(arch.get("target_chunks", 1))
        if name == "dgex":
            row["n_params"] = dgex_param_count(n_landmarks, n_targets, hidden, target_chunks=chunks)
        widths = [n_landmarks, *(list(hidden) * chunks), n_targets]
        if name == "egex":
            enc = tuple(arch.get("encoder_hidden", (3000,)))
            widths = [n_landmarks, *arch.get("mapper_hidden", (3000,)), *enc[::-1], n_targets]
        if build_models:
            start = time.perf_counter()
            model = build(name, n_landmarks=n_landmarks, n_targets=n_targets, **arch)
            row["n_params_built"] = int(model.count_params())
            row["build_seconds"] = time.perf_counter() - start
            row.setdefault("n_params", row["n_params_built"])
            del model
        mem = estimate_training_memory(
            int(row["n_params"]),
            batch_size=batch_size,
            layer_widths=widths,
            optimizer=str(train_kw.get("optimizer", "sgd")),
        )
        row.update({f"memory_{k}_gib": v / 2**30 for k, v in mem.items()})
        row["target_chunks"] = chunks
        row["chunk_sizes"] = (
            ",".join(map(str, chunk_sizes(n_targets, chunks))) if name != "egex" else ""
        )
        rows.append(row)
        for key in ("n_params", "n_params_built", "memory_total_gib", "memory_weights_gib"):
            if key in row:
                metrics[f"{name}/paper/{key}"] = float(row[key])
    table = pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()
    if output_dir is not None:
        out = ensure_output_dir(output_dir)
        write_metrics(out, metrics)
        write_table_atomic(out / "paper_models.tsv", table)
    return table


def data_is_missing(expression_path: str, *, if_data_missing: str = "error") -> bool:
    """Whether to skip training because the data file is absent (``paper`` profile).

    Parameters
    ----------
    expression_path
        The matrix path (``""`` = synthetic, never missing).
    if_data_missing
        ``"error"``: raise when the file is absent; ``"build_only"``: return True so the
        notebook only builds the models and reports their size (:func:`paper_dry_run`).

    Raises
    ------
    InputError
        The file is absent and ``if_data_missing="error"``.
    """
    if if_data_missing not in ("error", "build_only"):
        raise ParameterError(
            f"if_data_missing must be 'error' or 'build_only', got {if_data_missing!r}"
        )
    if not expression_path or Path(expression_path).is_file():
        return False
    if if_data_missing == "error":
        raise InputError("expression matrix not found", path=str(expression_path))
    log.warning("%s is absent: building the models and reporting sizes only", expression_path)
    return True


def paper_dry_run(
    landmark_list: str,
    target_list: str,
    *,
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    batch_size: int = 200,
    counts: Sequence[int] = (88807, 11101, 11101),
    output_dir: str | os.PathLike,
    build_models: bool = True,
) -> pd.DataFrame:
    """Size the paper-scale models from the gene lists alone (no expression data needed).

    Counts the genes of the landmark and target lists (D-GEX: 943 and 9,520), builds the
    deep models at that size, and writes their parameter counts and memory need
    (``<model>/paper/n_params``, ``<model>/paper/memory_total_gib``) plus
    ``data/paper/n_train`` etc. for the split ``counts`` to ``metrics.json``.
    """
    from gexnb.data.expression import read_gene_list

    n_lm = len(read_gene_list(landmark_list))
    n_tg = len(read_gene_list(target_list))
    table = describe_paper_models(
        n_lm,
        n_tg,
        models=models,
        model_params=model_params,
        batch_size=batch_size,
        build_models=build_models,
        output_dir=output_dir,
    )
    names = ("n_train", "n_val", "n_test")
    extra = {f"data/paper/{k}": float(v) for k, v in zip(names, counts, strict=True)}
    extra.update({"data/paper/n_landmarks": float(n_lm), "data/paper/n_targets": float(n_tg)})
    write_metrics(output_dir, extra)
    return table

"""Notebook 04: attention-LSTM analysis of seed 004 with k-fold cross-validation.

Seed 004 (M. Zannat, "Gene expression prediction using deep learning") predicts target genes
from the 50 most variable genes and compares a DNN, an LSTM, a GRU, an attention-LSTM and an
attention-GRU on MAE, RMSE, MSE and R^2 under cross-validation. This module does that, adds the
classical baselines of the review in seed 002 (linear, ridge, random forest, SVR, gradient
boosting) on the same folds, and reads the attention weights per gene.

Leakage: in every fold the top-k most variable genes, the input z-scoring and the target
scaling are computed on the training samples of that fold only; the held-out samples are
never seen before they are predicted. Targets are excluded from the candidate inputs. The
metrics are reported on the targets' scale after the ``transform`` (log2 of linear-scale
data).
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from gexnb.data.expression import (
    DEFAULT_TRANSFORM,
    DataChecks,
    check_gene_list,
    check_not_imputed,
    gene_symbol_table,
    read_expression,
    rename_genes,
    rows_hold_genes,
    standardised_warning,
    top_variable_genes,
    transform_expression,
)
from gexnb.data.splits import kfold_splits
from gexnb.data.synthetic import synthetic_expression
from gexnb.errors import InputError, ParameterError
from gexnb.explain import attention_weights, has_attention
from gexnb.io import ensure_output_dir, write_json_atomic, write_metrics, write_table_atomic
from gexnb.metrics import regression_report
from gexnb.models import available, build
from gexnb.models.baselines import CONSTANT_BASELINES, seeded
from gexnb.plot.attention import attention_vs_correlation, cv_boxplots
from gexnb.plot.common import save_figure
from gexnb.train import TrainingConfig, fit, predict
from gexnb.train.config import PREDICT_BATCH_SIZE, SHORT_EPOCH_CHECKPOINT_SECONDS

log = logging.getLogger(__name__)

__all__ = [
    "DEEP_MODELS",
    "BASELINE_MODELS",
    "METRICS",
    "ModelSizes",
    "FoldResult",
    "GeneAttentionResult",
    "load_expression",
    "SYNTHETIC_OPTIONS",
    "DATA_CHECKS",
    "check_targets",
    "cross_validate",
    "workload",
    "ranking_label",
    "summary_table",
    "cv_metrics",
    "target_table",
    "attention_by_gene",
    "write_outputs",
]

#: The deep models of seed 004 (DNN, LSTM, GRU, attention-LSTM, attention-GRU): the
#: registry's deep models of the ``gene_set`` task.
DEEP_MODELS = tuple(available(kind="deep", task="gene_set"))
#: Classical baselines (seed 002) run on the same folds, and the predict-the-mean floor: the
#: registry's classical models of the ``tabular`` task.
BASELINE_MODELS = tuple(available(kind="classical", task="tabular"))
#: Readings of seed 004's "top 50" (see :func:`cross_validate`).
TASKS = ("single", "joint")
#: Metrics of the seed's table.
METRICS = ("mae", "rmse", "mse", "r2")


@dataclass
class FoldResult:
    """Everything one cross-validation fold produced (used by the viewers).

    Parameters
    ----------
    fold, train_idx, test_idx, genes, x_test, y_test, predictions, models, targets
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    fold
        Fold number (from 0).
    train_idx, test_idx
        Row positions of the training and held-out samples in the matrix.
    genes
        Input genes of the fold.
    x_test
        float32 held-out inputs (samples x genes), z-scored with the training statistics.
    y_test
        Held-out targets (samples x targets) on the expression scale.
    predictions
        Model name -> held-out predictions (samples x targets) on the expression scale.
    models
        Deep model name -> trained model (``keep_models`` of :func:`cross_validate`).
    targets
        Target genes of the fold (chosen per fold under ``task="joint"``).
    """

    fold: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    genes: list[str]
    x_test: np.ndarray
    y_test: np.ndarray
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)


@dataclass
class GeneAttentionResult:
    """Cross-validation result: per-fold metrics, predictions, attention and fold details.

    Parameters
    ----------
    targets, fold_metrics, predictions, attention, folds, sample_ids
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    targets
        Target genes (those of the first fold under ``task="joint"``).
    fold_metrics
        One row per model and fold: ``model``, ``fold``, :data:`METRICS` (averaged over the
        targets) and ``fit_seconds``.
    predictions
        Held-out predictions, one row per model, fold, sample and target: ``model``,
        ``fold``, ``sample``, ``target``, ``y_true``, ``y_pred``.
    attention
        Held-out attention weights of the attention models, one row per model, fold, sample
        and input gene: ``model``, ``fold``, ``sample``, ``gene``, ``weight`` (empty
        without an attention model).
    folds
        The :class:`FoldResult` of each fold.
    sample_ids
        Sample names of the matrix, in row order.
    """

    targets: list[str]
    fold_metrics: pd.DataFrame
    predictions: pd.DataFrame
    attention: pd.DataFrame
    folds: list[FoldResult]
    sample_ids: list[str]


#: Gene-symbol column of a probe table (genefu's ``probes.tsv``).
PROBE_SYMBOL_COLUMN = "HUGO.gene.symbol"


def _probe_table(path: str | os.PathLike, column: str = PROBE_SYMBOL_COLUMN) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", dtype=str)
    for needed in ("probe", column):
        if needed not in table.columns:
            raise InputError(f"probe table has no column {needed!r}", path=str(path))
    return table[["probe", column]]


def _genes_of_probes(
    kept: dict[str, list[str]], table: pd.DataFrame, columns: set[str]
) -> dict[str, list[str]]:
    """The probes filled by ``nan: mean`` or dropped for NaN, as the genes the probe table
    maps them to (as :func:`~gexnb.data.expression.rename_genes` maps them): a gene averaged
    from a filled probe is filled; a gene is dropped when none of its probes is left."""
    named = table.dropna().drop_duplicates("probe")
    gene = dict(zip(named["probe"], named[PROBE_SYMBOL_COLUMN], strict=True))
    out = {}
    if "imputed_genes" in kept:
        out["imputed_genes"] = list(dict.fromkeys(gene.get(p, p) for p in kept["imputed_genes"]))
    if "dropped_for_nan" in kept:
        dropped = dict.fromkeys(gene.get(p, p) for p in kept["dropped_for_nan"])
        out["dropped_for_nan"] = [g for g in dropped if g not in columns]
    return out


def _stored_symbols(path: str, frame: pd.DataFrame, targets: Sequence[str]) -> Any:
    """The file's own gene symbols as a probe table (:func:`~gexnb.data.expression.
    gene_symbol_table`: a GTEx GCT's ``Description``, an ``.h5ad`` file's ``feature_name``),
    when the targets name none of its columns but are among those symbols (logged); else
    None. A trial's targets by symbol matched no gene of a GCT named by Ensembl ids."""
    wanted = {str(t).strip() for t in targets}
    if not wanted or wanted & set(map(str, frame.columns)):
        return None
    stored = gene_symbol_table(path)
    if stored is None or not wanted & set(stored["symbol"]):
        return None
    log.warning(
        "%s: the targets are gene symbols the file stores beside its ids: its genes are "
        "named by those symbols (%d ids, of which several for one symbol are averaged)",
        path, len(stored),
    )  # fmt: skip
    table = stored.rename(columns={"id": "probe", "symbol": PROBE_SYMBOL_COLUMN})
    table.attrs["symbols"] = "the file's gene symbols"
    return table


def load_expression(
    path: str = "",
    *,
    probes: str = "",
    n_samples: int = 120,
    n_genes: int = 16,
    seed: int = 0,
    transform: str = DEFAULT_TRANSFORM,
    orientation: str = DataChecks.orientation,
    nan: str = DataChecks.nan,
    duplicates: str = DataChecks.duplicates,
    targets: Sequence[str] = (),
) -> pd.DataFrame:
    """Samples x genes expression for notebook 04.

    Parameters
    ----------
    path
        Expression matrix readable by :func:`gexnb.data.expression.read_expression`; ``""``
        gives the synthetic embedded default (:func:`gexnb.data.synthetic.synthetic_expression`
        with 3 latent factors, noise 0.2, ``n_genes - 4`` landmark genes and 4 target genes
        "TG00001"... that are non-linear functions of the factors).
    probes
        Optional probe table (TSV with ``probe`` and :data:`PROBE_SYMBOL_COLUMN`) mapping the
        matrix's probe columns to gene symbols with
        :func:`gexnb.data.expression.rename_genes` (probes of one gene averaged, probes
        without a symbol kept). Without one, a GCT or ``.h5ad`` file's own symbols are used
        the same way when ``targets`` names none of its genes but some of those symbols.
    n_samples, n_genes, seed
        Size and seed of the synthetic default.
    transform
        :func:`gexnb.data.expression.transform_expression` of a file's values (``"auto"``:
        log2 when values above 100 are not rare, as notebooks 01 and 03 read the same file;
        the synthetic default is already on a log2-like scale).
    orientation, nan, duplicates
        Passed to :func:`gexnb.data.expression.read_expression` (notebook 04's
        ``data_checks``, :data:`DATA_CHECKS`).
    targets
        The target genes: under ``orientation="auto"`` a file whose row ids hold more of
        them than its column ids is read genes x samples (logged;
        :func:`gexnb.data.expression.rows_hold_genes`), as notebook 03 tells it from its
        landmark list (a trial had to set the orientation by hand).

    Returns
    -------
    pandas.DataFrame
        Samples x genes; ``attrs[REPORT_ATTR]`` holds what was read and done (source,
        transform, counts), written as ``data_report.json`` by :func:`write_outputs`.
    """
    if not path:
        if n_genes < 6:
            raise ParameterError(f"n_genes must be >= 6 for the synthetic default, got {n_genes}")
        frame = synthetic_expression(
            n_samples=int(n_samples),
            n_landmarks=int(n_genes) - 4,
            n_targets=4,
            seed=int(seed),
            n_factors=3,
            noise=0.2,
        )
        report = {"source": "synthetic_expression", "n_samples": int(n_samples),
                  "n_genes": int(n_genes), "seed": int(seed)}  # fmt: skip
        frame.attrs = {**frame.attrs, REPORT_ATTR: report}
        return frame
    told = rows_hold_genes(list(targets), path=path) if len(targets) else None
    frame = read_expression(
        path, orientation=orientation, nan=nan, duplicates=duplicates, genes_in_rows=told
    )
    kept = {k: frame.attrs[k] for k in ("dropped_for_nan", "imputed_genes") if k in frame.attrs}
    report = {
        "source": str(path),
        "duplicate_ids_merged": len(frame.attrs.get("duplicates_merged", [])),
        "genes_dropped_for_nan": len(kept.get("dropped_for_nan", [])),
        "values_imputed": int(frame.attrs.get("values_imputed", 0)),
    }
    frame, applied = transform_expression(frame, transform, source=str(path))  # logs auto's
    table = _probe_table(probes) if probes else _stored_symbols(path, frame, targets)
    if table is not None:
        if not set(table["probe"]) & set(map(str, frame.columns)):
            rows = set(table["probe"]) & set(map(str, frame.index))
            hint = (
                f"; {len(rows)} of its row ids do (the file's rows are probes): set "
                "data_checks: {orientation: genes_x_samples}"
                if rows
                else ""
            )
            raise InputError(
                f"no expression column matches a probe of the table{hint}", path=probes
            )
        # probe -> symbol; probes of one gene averaged, probes without a symbol kept as is
        n_columns = frame.shape[1]
        frame = rename_genes(frame, table, duplicates="mean", unmapped="keep")
        kept = _genes_of_probes(kept, table, set(map(str, frame.columns)))
        report.update(
            probes=str(probes) if probes else f"{path} ({table.attrs['symbols']})",
            probe_columns=n_columns,
            genes_after_probes=frame.shape[1],
            # genes whose several probes were averaged (the log's "averaging 190 ...")
            genes_from_several_probes=len(frame.attrs.get("duplicates_merged", [])),
        )
    report.update(transform=applied, n_samples=frame.shape[0], n_genes=frame.shape[1])
    scaled = standardised_warning(frame, str(path))
    if scaled:  # the inputs are the most variable genes: meaningless on z-scores
        log.warning(scaled)
    # the counts, and the genes dropped or filled that check_targets names (one list of ids
    # each: attrs travel with every copy)
    frame.attrs = {REPORT_ATTR: report, **kept}
    return frame


#: ``DataFrame.attrs`` key of what :func:`load_expression` read and did (``data_report.json``).
REPORT_ATTR = "data_report"

#: The keys of notebook 04's ``data_checks`` (those of notebook 03 that apply to reading a
#: matrix; :data:`gexnb.pipelines.params.DATA_CHECK_DEFAULTS` holds their defaults).
DATA_CHECKS = ("orientation", "nan", "duplicates")

#: Notebook 04's ``synthetic`` options -> the :func:`load_expression` parameter whose default
#: completes them (:func:`gexnb.data.synthetic.synthetic_options`).
SYNTHETIC_OPTIONS = {
    "n_samples": (load_expression, "n_samples"),
    "n_genes": (load_expression, "n_genes"),
}


def check_targets(
    frame: pd.DataFrame,
    targets: str | Sequence[str],
    *,
    k_genes: int,
    folds: int,
    input_genes: Sequence[str] | None = None,
    task: str = "single",
) -> list[str]:
    """Validate the targets and the cross-validation sizes; return the target list.

    With ``task="joint"`` (see :func:`cross_validate`) the targets are chosen per fold:
    ``targets`` must be empty and the matrix needs ``2 * k_genes`` genes; ``[]`` is returned.

    Parameters
    ----------
    frame
        Samples x genes expression.
    targets
        Target gene name(s); blank names are ignored.
    k_genes, folds
        Inputs per fold (at least 1, at most the candidate input genes) and number of folds
        (at least 2, at most the samples).
    input_genes
        Fixed input genes, or None for the per-fold top ``k_genes``.
    task
        ``"single"`` or ``"joint"`` (:data:`TASKS`).

    Returns
    -------
    list of str
        The target genes (as matched in ``frame``), or ``[]`` for ``task="joint"``.

    Raises
    ------
    InputError
        If a target is not a column of ``frame`` or is among ``input_genes``, or an input
        gene is missing.
    ParameterError
        If ``k_genes`` exceeds the candidate genes, there are fewer samples than folds, or
        a target is named twice.
    """
    names = [targets] if isinstance(targets, str) else list(targets)
    names = [t.strip() for t in names if t and t.strip()]
    if task not in TASKS:
        raise ParameterError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if task == "joint":
        return _check_joint(frame, names, k_genes=k_genes, folds=folds, input_genes=input_genes)
    if not names:
        raise ParameterError("give at least one target gene")
    twice = [t for t in dict.fromkeys(names) if names.count(t) > 1]
    if twice:  # one model output each, scored twice and averaged in (a new-user trial)
        raise ParameterError(f"targets named more than once: {', '.join(twice)}")
    columns = set(map(str, frame.columns))
    source = (frame.attrs.get(REPORT_ATTR) or {}).get("source")
    path = source if source and source != "synthetic_expression" else None
    if any(t not in columns for t in names):  # why, as notebook 03 says it (versions matched)
        dropped = frame.attrs.get("dropped_for_nan", ())  # named as dropped, not as absent
        names = check_gene_list(frame, names, label="target", path=path, dropped=dropped).found
    check_not_imputed(
        frame, names, path=path,
        fix="remove the samples without a value from the file, or choose another target",
    )  # fmt: skip
    if input_genes:
        overlap = [t for t in names if t in set(input_genes)]
        if overlap:
            raise InputError(f"target gene(s) {', '.join(overlap)} are among the input genes")
        absent = [g for g in input_genes if g not in columns]
        if absent:
            raise InputError(f"input gene(s) {', '.join(absent[:5])} not in the expression matrix")
        n_candidates = len(input_genes)
    else:
        n_candidates = frame.shape[1] - len(names)
    if int(k_genes) < 1:
        raise ParameterError(f"k_genes must be at least 1, got {k_genes}")
    if int(k_genes) > n_candidates:
        raise ParameterError(
            f"k_genes={k_genes} but only {n_candidates} candidate input genes (targets excluded)"
        )
    _check_folds(folds, len(frame))
    if frame[names].isna().any().any():
        raise InputError(f"target gene(s) {', '.join(names)} contain missing values", path=path)
    constant = [t for t in names if frame[t].nunique() < 2]
    if constant:  # nothing to predict: every fold's R^2 would be undefined after training
        raise InputError(
            f"target gene(s) {', '.join(constant)} have one value in every sample: nothing to "
            "predict; choose another target",
            path=path,
        )
    return names


@dataclass(frozen=True)
class ModelSizes:
    """Architecture of the seed-004 deep models, one default each.

    Seed 004 publishes no architecture (only "custom attention layer"): these sizes are
    gexnb's choices (see :mod:`gexnb.models.gene_sequence`).

    Parameters
    ----------
    units, hidden, embedding_dim, dropout
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    units
        LSTM/GRU width.
    hidden
        DNN hidden layer widths (the name of MLP widths everywhere in gexnb).
    embedding_dim
        Learned per-gene embedding of the recurrent models (0: none, the plainest reading).
    dropout
        Dropout rate.
    """

    units: int = 32
    hidden: tuple[int, ...] = (128, 64)
    embedding_dim: int = 0
    dropout: float = 0.1

    def build(self, name: str, n_genes: int, n_targets: int) -> Any:
        """Build deep model ``name`` for ``n_genes`` inputs and ``n_targets`` outputs."""
        common = {"n_genes": n_genes, "n_targets": n_targets, "dropout": self.dropout}
        if name == "dnn":  # the builders check the sizes (units=2.5 was truncated here)
            hidden = tuple(self.hidden) if isinstance(self.hidden, list) else self.hidden
            return build(name, hidden=hidden, **common)
        return build(name, units=self.units, embedding_dim=self.embedding_dim, **common)


def _check_joint(
    frame: pd.DataFrame,
    names: list[str],
    *,
    k_genes: int,
    folds: int,
    input_genes: Sequence[str] | None,
) -> list[str]:
    if names or input_genes:
        raise ParameterError(
            "task='joint' predicts the top-k_genes genes of each training fold from the next "
            "k_genes: set targets to [] (and no input_genes)"
        )
    if int(k_genes) < 1 or 2 * int(k_genes) > frame.shape[1]:
        raise ParameterError(
            f"task='joint' needs 2 x k_genes = {2 * int(k_genes)} genes, the matrix has "
            f"{frame.shape[1]}"
        )
    filled = set(frame.attrs.get("imputed_genes", ())) & set(map(str, frame.columns))
    if filled:
        if frame.shape[1] - len(filled) < int(k_genes):
            raise InputError(
                f"task='joint' needs k_genes={k_genes} target genes without missing values; "
                f"data_checks {{nan: mean}} filled {len(filled)} of the {frame.shape[1]}"
            )
        log.info("%d gene(s) filled by data_checks {nan: mean} are never targets, only "
                 "inputs", len(filled))  # fmt: skip
    _check_folds(folds, len(frame))
    return []


#: Held-out samples per fold below which :func:`_check_folds` warns that R^2 is unstable.
MIN_FOLD_SAMPLES = 10


def _check_folds(folds: int, n_samples: int) -> None:
    """Refuse fewer than 2 folds or more folds than samples."""
    if int(folds) < 2 or n_samples < int(folds):
        raise ParameterError(f"folds={folds} needs 2 <= folds <= {n_samples} (the samples)")


def _warn_small_folds(folds: int, n_samples: int) -> None:
    """Warn, before training, when the smallest held-out fold has fewer than
    :data:`MIN_FOLD_SAMPLES` samples: R^2 over a few samples swings far below 0 (the mean
    baseline's too), and is undefined over one sample or a constant fold."""
    smallest, largest = n_samples // int(folds), -(-n_samples // int(folds))
    if smallest < MIN_FOLD_SAMPLES:
        sizes = str(smallest) if smallest == largest else f"{smallest}-{largest}"
        # one sample per fold (leave-one-out): its RMSE is its absolute error (a trial)
        by = "MAE (over one sample RMSE is the absolute error)" if smallest == 1 else "RMSE"
        log.warning(
            "folds=%d holds out %s of %d samples per fold: R^2 over so few samples is "
            "unstable (the mean baseline's can be far below 0) or undefined; compare models "
            "by %s, or use fewer folds",
            int(folds), sizes, n_samples, by,
        )  # fmt: skip


def _report(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """:data:`METRICS` averaged over the targets; a metric undefined for a target of the fold
    (R^2 of one constant in it) is averaged over the others, as :func:`regression_report`
    does for a matrix, and is NaN only when undefined for every target."""
    reports = [regression_report(y_true[:, j], y_pred[:, j]) for j in range(y_true.shape[1])]
    out = {}
    for m in METRICS:
        values = np.array([r[m] for r in reports], dtype=np.float64)
        out[m] = (
            float(np.mean(values[np.isfinite(values)])) if np.isfinite(values).any() else np.nan
        )
    return out


def _check_models(models: Sequence[str], baselines: Sequence[str]) -> list[str]:
    """Baselines with ``mean`` first; unknown names refused, listing the valid ones."""
    baselines = list(baselines)
    if "mean" not in baselines:
        baselines = ["mean", *baselines]
    unknown = [m for m in models if m not in DEEP_MODELS]
    unknown += [b for b in baselines if b not in BASELINE_MODELS]
    if unknown:
        raise ParameterError(
            f"unknown model(s) {', '.join(unknown)}; deep: {', '.join(DEEP_MODELS)}; "
            f"baselines: {', '.join(BASELINE_MODELS)}"
        )
    return baselines


@dataclass
class _FoldData:
    """One fold's inputs and targets, scaled with training statistics only."""

    result: FoldResult
    x_train: np.ndarray
    y_train: np.ndarray
    y_scaler: StandardScaler
    test_samples: list[str]


def _fold_data(
    frame: pd.DataFrame,
    targets: list[str],
    fold: int,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    *,
    k_genes: int,
    input_genes: Sequence[str] | None,
) -> _FoldData:
    """Inputs (top-k genes of the training samples, or ``input_genes``) and targets of a fold,
    z-scored with the training samples' statistics. No ``targets`` (``task="joint"``): the
    top-k genes of the training samples are the targets and the next k the inputs; genes
    that ``nan: mean`` filled (``attrs["imputed_genes"]``) are never targets."""
    train, test = frame.iloc[train_idx], frame.iloc[test_idx]
    if not targets:  # genes filled by nan: mean are never targets (they may be inputs)
        filled = [g for g in frame.attrs.get("imputed_genes", ()) if g in train.columns]
        targets = list(top_variable_genes(train.drop(columns=filled), int(k_genes)))
        genes = list(top_variable_genes(train.drop(columns=targets), int(k_genes)))
    elif input_genes:
        genes = list(input_genes)
    else:
        genes = list(top_variable_genes(train.drop(columns=targets), int(k_genes)))
    x_scaler = StandardScaler().fit(train[genes].to_numpy(np.float64))
    y_scaler = StandardScaler().fit(train[targets].to_numpy(np.float64))
    x_tr = x_scaler.transform(train[genes].to_numpy(np.float64)).astype(np.float32)
    y_tr = y_scaler.transform(train[targets].to_numpy(np.float64)).astype(np.float32)
    x_te = x_scaler.transform(test[genes].to_numpy(np.float64)).astype(np.float32)
    y_te = test[targets].to_numpy(np.float64)
    result = FoldResult(fold, np.asarray(train_idx), np.asarray(test_idx), genes, x_te, y_te)
    result.targets = list(targets)
    return _FoldData(result, x_tr, y_tr, y_scaler, [str(s) for s in test.index])


#: |Pearson r| over a fold's training samples from which an input gene is taken for a copy
#: of a target (:func:`_warn_near_copies`).
NEAR_COPY_R = 0.95


def _warn_near_copies(train: pd.DataFrame, fold: FoldResult, warned: set[tuple[str, str]]) -> None:
    """Warn of input genes that nearly copy a target over the fold's training samples
    (|r| >= :data:`NEAR_COPY_R`): another probe of the target's gene in a probe-level matrix
    read without ``probes``, which "targets are never inputs" does not exclude (found by a
    new-user trial: genefu's top 50 probes hold 3 of GATA3, 5 of CA12). One line per fold
    that adds pairs not named before, the strongest first."""
    x = train[fold.genes].to_numpy(np.float64)
    y = train[fold.targets].to_numpy(np.float64)
    xs, ys = x - x.mean(axis=0), y - y.mean(axis=0)
    norms = np.outer(np.linalg.norm(xs, axis=0), np.linalg.norm(ys, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.nan_to_num((xs.T @ ys) / norms)
    rows, cols = np.nonzero(np.abs(r) >= NEAR_COPY_R)
    new = [
        (fold.genes[i], fold.targets[j], float(r[i, j]))
        for i, j in zip(rows, cols, strict=True)
        if (fold.genes[i], fold.targets[j]) not in warned
    ]
    if not new:
        return
    warned.update((g, t) for g, t, _ in new)
    new.sort(key=lambda pair: -abs(pair[2]))
    shown = ", ".join(f"{g} ~ {t} (r = {c:.3f})" for g, t, c in new[:3])
    more = f" and {len(new) - 3} more" if len(new) > 3 else ""
    mapped = bool((train.attrs.get(REPORT_ATTR) or {}).get("probes"))
    hint = "" if mapped else "; other probes of the same gene? give probes_path to map probes"
    log.warning(
        "fold %d: %d input gene(s) nearly copy a target over its training samples (|r| >= "
        "%.2f): %s%s%s",
        fold.fold + 1, len(new), NEAR_COPY_R, shown, more, hint,
    )  # fmt: skip


def _attention_frame(name: str, data: _FoldData, model: Any) -> pd.DataFrame:
    """Long table of the held-out samples' attention per input gene."""
    weights = attention_weights(model, data.result.x_test)
    genes = data.result.genes
    return pd.DataFrame(
        {
            "model": name,
            "fold": data.result.fold,
            "sample": np.tile(data.test_samples, len(genes)),
            "gene": np.repeat(genes, len(data.test_samples)),
            "weight": np.asarray(weights).T.ravel(),
        }
    )


def _fit_one(
    name: str,
    data: _FoldData,
    *,
    sizes: ModelSizes,
    cfg: TrainingConfig,
    validation_fraction: float,
    output_dir: Path,
    baseline_params: dict[str, dict[str, Any]],
    baseline_threads: int | None,
) -> tuple[np.ndarray, Any]:
    """Train model ``name`` on a fold; return its held-out predictions (scaled) and model."""
    x_te = data.result.x_test
    if name in DEEP_MODELS:
        keras.utils.set_random_seed(int(cfg.seed or 0))
        # the validation rows are the last rows: a random draw of the fold's training
        # samples, not its last samples in the matrix' order (one study, in a matrix
        # stacked by study, in every fold)
        order = np.random.default_rng(int(cfg.seed or 0)).permutation(len(data.x_train))
        model = fit(
            functools.partial(sizes.build, name, x_te.shape[1], data.y_train.shape[1]),
            (data.x_train[order], data.y_train[order]),
            float(validation_fraction) if validation_fraction else None,
            output_dir=output_dir / "training" / f"{name}_fold{data.result.fold}",
            config=cfg,
        ).model
        raw = np.asarray(predict(model, x_te, batch_size=PREDICT_BATCH_SIZE))
    else:
        given = baseline_params.get(name, {})
        model = seeded(build(name, **given), int(cfg.seed or 0), given)
        with threadpool_limits(limits=baseline_threads):
            model.fit(data.x_train, data.y_train)
            raw = np.asarray(model.predict(x_te))
    return raw.reshape(len(x_te), -1), model


def _prediction_frame(
    name: str, data: _FoldData, targets: list[str], y_hat: np.ndarray
) -> pd.DataFrame:
    """Long table of one model's held-out predictions, one row per sample and target."""
    n = len(data.test_samples)
    return pd.DataFrame(
        {
            "model": name,
            "fold": data.result.fold,
            "sample": np.tile(data.test_samples, len(targets)),
            "target": np.repeat(targets, n),
            "y_true": data.result.y_test.T.ravel(),
            "y_pred": y_hat.T.ravel(),
        }
    )


def cross_validate(
    frame: pd.DataFrame,
    targets: str | Sequence[str],
    *,
    k_genes: int = 50,
    folds: int = 5,
    models: Sequence[str] = DEEP_MODELS,
    baselines: Sequence[str] = BASELINE_MODELS,
    input_genes: Sequence[str] | None = None,
    task: str = "single",
    sizes: ModelSizes | None = None,
    validation_fraction: float = 0.0,
    seed: int = 0,
    output_dir: str | os.PathLike | None = None,
    keep_models: bool = True,
    baseline_params: dict[str, dict[str, Any]] | None = None,
    baseline_threads: int | None = 1,
    training: TrainingConfig | None = None,
    progress: bool = True,
    **settings: Any,
) -> GeneAttentionResult:
    """k-fold cross-validation of the seed-004 models and the classical baselines.

    In each fold (:func:`gexnb.data.splits.kfold_splits`): the ``k_genes`` most variable genes
    of the training samples (:func:`gexnb.data.expression.top_variable_genes`, targets
    excluded) or ``input_genes`` are the inputs; inputs and targets are z-scored with training
    statistics; deep models are trained with :func:`gexnb.train.fit` (MSE, Adam) for
    ``epochs``; baselines with their ``fit``; predictions are returned to the target scale and
    scored with :func:`gexnb.metrics.regression_report` (averaged over targets).

    Parameters
    ----------
    frame
        Samples x genes expression.
    targets
        Target gene name(s).
    k_genes, folds
        Inputs per fold and number of folds (seed 004: 50 genes; cross-validation).
    models, baselines
        Deep models (:data:`DEEP_MODELS`) and baselines (:data:`BASELINE_MODELS`) to run.
        The predict-the-mean baseline ``mean`` (training-fold mean of each target) is
        always run, added when not in ``baselines``: the floor every model must beat.
    input_genes
        Fixed input genes instead of the per-fold top-k (must not contain a target).
    task
        The two readings of seed 004's "top 50" (its table has a "Single" and a "Top 50"
        column; the code is not published, both readings are gexnb's): ``"single"``: the
        ``k_genes`` most variable genes predict ``targets``; ``"joint"``: the ``k_genes``
        most variable genes of each training fold are the targets, predicted jointly by one
        multi-output model from the next ``k_genes`` most variable genes (``targets=[]``).
        Metrics average over the targets.
    sizes
        Architecture of the deep models (:class:`ModelSizes`; its defaults when None).
    validation_fraction
        If > 0, this share of each training fold's samples, drawn at random (seed ``seed +
        i``), validates the deep models: the weights of the best validation epoch are kept
        (:func:`gexnb.train.fit`); the held-out fold is never used for this.
    seed
        Seed of the fold split and of the training (fold ``i`` trains with ``seed + i``).
    output_dir
        Training checkpoints go under ``output_dir/training``; a temporary folder if None.
    keep_models
        Keep the trained deep models in the result (needed by the viewers).
    baseline_params
        Hyperparameters per baseline name, passed to :func:`gexnb.models.build`.
    baseline_threads
        OpenMP/BLAS threads of the baselines (``threadpoolctl``); 1 by default because the
        data are small and OpenMP spin-waiting on a busy machine made a 100-sample
        gradient-boosting fit 100x slower; None leaves the libraries' default.
    progress
        Show a progress bar over folds x models (``tqdm.auto``: a widget in JupyterLab).
    training, **settings
        Training of the deep models: a :class:`gexnb.train.TrainingConfig` (its defaults
        when None) and overrides of its fields (``epochs=100, batch_size=32,
        early_stopping=10``); the loss is MSE, the optimizer Adam unless set.

    Returns
    -------
    GeneAttentionResult

    Examples
    --------
    >>> from gexnb.pipelines import attention_lstm
    >>> frame = attention_lstm.load_expression("", n_samples=40, n_genes=10)
    >>> result = attention_lstm.cross_validate(
    ...     frame, "TG00001", k_genes=4, folds=2, models=[], baselines=["ridge"], progress=False
    ... )
    >>> sorted(result.fold_metrics["model"].unique())
    ['mean', 'ridge']
    """
    names = check_targets(
        frame, targets, k_genes=k_genes, folds=folds, input_genes=input_genes, task=task
    )
    _warn_small_folds(folds, len(frame))
    cfg = TrainingConfig.from_mapping(
        {"verbose": 0, "checkpoint_seconds": SHORT_EPOCH_CHECKPOINT_SECONDS, **settings},
        base=training,
    )
    names_run = (*models, *_check_models(models, baselines))
    sizes = sizes or ModelSizes()
    root = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="gexnb-cv-"))
    rows, pred_frames, att_frames, fold_results = [], [], [], []
    warned: set[tuple[str, str]] = set()
    bar = tqdm(total=folds * len(names_run), desc="cross-validation", unit="model",
               disable=not progress)  # fmt: skip
    for fold, (train_idx, test_idx) in enumerate(kfold_splits(len(frame), k=folds, seed=seed)):
        data = _fold_data(frame, names, fold, train_idx, test_idx, k_genes=k_genes,
                          input_genes=input_genes)  # fmt: skip
        used = list(dict.fromkeys([*data.result.genes, *data.result.targets]))
        _warn_near_copies(frame[used].iloc[train_idx], data.result, warned)
        for name in names_run:
            bar.set_postfix_str(f"fold {fold + 1}/{folds}: {name}")
            start = time.perf_counter()
            raw, model = _fit_one(
                name, data, sizes=sizes, cfg=cfg.replace(seed=int(seed) + fold),
                validation_fraction=validation_fraction, output_dir=root,
                baseline_params=baseline_params or {}, baseline_threads=baseline_threads,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            bar.update()
            if name in DEEP_MODELS and keep_models:
                data.result.models[name] = model
            if name in DEEP_MODELS and has_attention(model):
                att_frames.append(_attention_frame(name, data, model))
            y_hat = data.y_scaler.inverse_transform(raw.astype(np.float64))
            data.result.predictions[name] = y_hat
            report = _report(data.result.y_test, y_hat)
            rows.append({"model": name, "fold": fold, **report, "fit_seconds": seconds})
            pred_frames.append(_prediction_frame(name, data, data.result.targets, y_hat))
        fold_results.append(data.result)
    bar.close()
    attention = (
        pd.concat(att_frames, ignore_index=True)
        if att_frames
        else pd.DataFrame(columns=["model", "fold", "sample", "gene", "weight"])
    )
    return GeneAttentionResult(
        targets=names or fold_results[0].targets,
        fold_metrics=pd.DataFrame(rows),
        predictions=pd.concat(pred_frames, ignore_index=True),
        attention=attention,
        folds=fold_results,
        sample_ids=[str(s) for s in frame.index],
    )


def ranking_label(targets: Sequence[str], *, task: str = "single", k_genes: int = 0) -> str:
    """How notebook 04's conclusion names the metric it ranks on: the cross-validated RMSE,
    said to be a mean over the targets when there are several (a trial read "RMSE 2.09" of
    two targets as one gene's).

    Parameters
    ----------
    targets
        The target genes (:func:`check_targets`; empty under ``task="joint"``).
    task, k_genes
        Under ``"joint"`` the targets are each fold's ``k_genes`` most variable genes.

    Returns
    -------
    str
        E.g. ``"cross-validated RMSE (the mean over 2 targets)"``.
    """
    n = int(k_genes) if task == "joint" else len(targets)
    each = "each fold's " if task == "joint" else ""
    return "cross-validated RMSE" + (f" (the mean over {each}{n} targets)" if n > 1 else "")


def workload(*, folds: int, models: Sequence[str], baselines: Sequence[str], epochs: int) -> str:
    """The planned work of :func:`cross_validate`, printed before it starts.

    Parameters
    ----------
    folds
        Number of folds.
    models, baselines
        Deep models and baselines to run (``mean`` counted once whether listed or not).
    epochs
        Training epochs of each deep model.

    Returns
    -------
    str
        One line: folds, models, epochs and the number of fits.

    Examples
    --------
    >>> workload(folds=5, models=["lstm", "gru"], baselines=["ridge"], epochs=100)
    '5 folds x (2 deep models x 100 epochs + 2 baselines, the mean included) = 20 fits'
    """
    n_base = len(set(baselines) | {"mean"})
    fits = int(folds) * (len(models) + n_base)
    return (
        f"{folds} folds x ({len(models)} deep models x {epochs} epochs + {n_base} baselines, "
        f"the mean included) = {fits} fits"
    )


def summary_table(fold_metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample standard deviation over folds of MAE, RMSE, MSE and R^2 per model.

    Returns a frame indexed by model (in first-seen order) with columns ``<metric>_mean`` and
    ``<metric>_sd``, sorted by mean RMSE.

    Parameters
    ----------
    fold_metrics
        :attr:`GeneAttentionResult.fold_metrics`: one row per model and fold.

    Returns
    -------
    pandas.DataFrame
        Per model, ``<metric>_mean`` and ``<metric>_sd`` of :data:`METRICS` (NaN when the
        metric is undefined in a fold; the sd NaN for a single fold), and ``n_folds``,
        lowest mean RMSE first.
    """
    return _over_folds(fold_metrics, ["model"]).sort_values("rmse_mean")


def _over_folds(per_fold: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean and sample sd over folds of :data:`METRICS` per ``keys``, and ``n_folds``.

    A metric undefined in any fold (R^2 of a held-out fold whose target is constant, or of
    one sample) has no mean (NaN), rather than the mean of the other folds; one fold has no
    sd (NaN), rather than 0.
    """
    grouped = per_fold.groupby(keys, sort=False)[list(METRICS)]
    size = grouped.size()
    incomplete = grouped.count().lt(size, axis=0)
    mean = grouped.mean().mask(incomplete).add_suffix("_mean")
    sd = grouped.std(ddof=1).mask(incomplete).add_suffix("_sd")
    table = pd.concat([mean, sd], axis=1)
    table = table[[c for m in METRICS for c in (f"{m}_mean", f"{m}_sd")]]
    return table.assign(n_folds=size)


def target_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over folds of :data:`METRICS` per model and target gene: what the
    averages over targets of :func:`summary_table` hide (a model good for one target and
    below the mean for another).

    Parameters
    ----------
    predictions
        :attr:`GeneAttentionResult.predictions`: one row per model, fold, sample and target.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``target`` and ``model`` (targets in first-seen order, the models of each
        lowest mean RMSE first): ``<metric>_mean`` and ``<metric>_sd``.
    """
    rows = [
        {"model": model, "target": target, "fold": fold,
         **regression_report(part["y_true"].to_numpy(), part["y_pred"].to_numpy())}
        for (model, target, fold), part in predictions.groupby(
            ["model", "target", "fold"], sort=False
        )
    ]  # fmt: skip
    table = _over_folds(pd.DataFrame(rows), ["target", "model"]).reset_index()
    first_seen = {t: i for i, t in enumerate(dict.fromkeys(table["target"]))}
    table["order"] = table["target"].map(first_seen)
    table = table.sort_values(["order", "rmse_mean"], kind="stable").drop(columns="order")
    return table.set_index(["target", "model"])


def cv_metrics(fold_metrics: pd.DataFrame) -> dict[str, float]:
    """Flat ``<model>/cv_mean/<metric>`` and ``<model>/cv_sd/<metric>`` mapping for metrics.json.

    Parameters
    ----------
    fold_metrics
        :attr:`GeneAttentionResult.fold_metrics`: one row per model and fold.

    Returns
    -------
    dict
        ``<model>/cv_mean/<metric>`` and ``<model>/cv_sd/<metric>`` for :data:`METRICS`
        (:func:`summary_table`), ``<model>/cv_mean/fit_seconds``, ``<model>/cv_mean/n_folds``
        and the paired fold counts of :func:`_folds_ahead`; a metric undefined
        in a fold (R^2 of a constant held-out target) is left out, with a warning, and so
        is the sd of a single fold.
    """
    table = summary_table(fold_metrics)
    out: dict[str, float] = {}
    undefined: dict[str, list[str]] = {}
    for model, row in table.iterrows():
        for metric in METRICS:
            for stat in ("mean", "sd"):
                value = float(row[f"{metric}_{stat}"])
                if np.isfinite(value):
                    out[f"{model}/cv_{stat}/{metric}"] = value
                elif stat == "mean":
                    undefined.setdefault(metric, []).append(str(model))
    for metric, models in undefined.items():
        folds = fold_metrics[fold_metrics["model"] == models[0]]
        n_bad = int(folds[metric].isna().sum())
        log.warning(
            "%s is undefined in %d of %d folds (a held-out fold whose target is constant, or "
            "of one sample): cv_mean/%s left out for %s; see cv_folds.tsv",
            metric, n_bad, len(folds), metric, ", ".join(models),
        )  # fmt: skip
    seconds = fold_metrics.groupby("model")["fit_seconds"].mean()
    for model, value in seconds.items():
        out[f"{model}/cv_mean/fit_seconds"] = float(value)
    out.update(_folds_ahead(fold_metrics))
    return out


def _folds_ahead(fold_metrics: pd.DataFrame) -> dict[str, float]:
    """Per model and constant baseline (``mean``, ``median`` when run): in how many folds the
    model beats it, fold by fold (``<model>/cv_folds_ahead_of_<baseline>/<metric>``, of
    ``<model>/cv_mean/n_folds``). Folds vary in difficulty for every model alike, so a lead
    in the mean over folds is judged by these paired counts, not by the sd over folds."""
    wide = fold_metrics.pivot_table(index="fold", columns="model", values=list(METRICS),
                                    dropna=False)  # fmt: skip
    out: dict[str, float] = {}
    models = list(dict.fromkeys(fold_metrics["model"]))
    for model in models:
        out[f"{model}/cv_mean/n_folds"] = float(fold_metrics["model"].eq(model).sum())
    for constant in (c for c in CONSTANT_BASELINES if c in models):
        for model in (m for m in models if m not in CONSTANT_BASELINES):
            for metric in METRICS:
                ours, theirs = wide[(metric, model)], wide[(metric, constant)]
                ahead = ours > theirs if metric == "r2" else ours < theirs
                out[f"{model}/cv_folds_ahead_of_{constant}/{metric}"] = float(ahead.sum())
    return out


def attention_by_gene(
    result: GeneAttentionResult, frame: pd.DataFrame, *, model: str | None = None
) -> pd.DataFrame:
    """Mean attention per input gene against its absolute Pearson correlation with the target.

    Attention is averaged over held-out samples and folds (a gene that is an input in only
    some folds is averaged over those); ``abs_corr`` is the absolute Pearson correlation
    with the target over all samples, the mean of those with each target when there are
    several, and with ``task="joint"`` with each fold's own targets, averaged over the
    folds where the gene was an input (descriptive, not used for training). ``n_folds``
    counts the folds where the gene was an input.

    Parameters
    ----------
    result
        Output of :func:`cross_validate`.
    frame
        The expression matrix given to :func:`cross_validate`.
    model
        Attention model to read; the first attention model of the result by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by gene: ``model``, ``mean_attention``, ``n_folds`` and ``abs_corr``,
        highest mean attention first.

    Raises
    ------
    ParameterError
        If the result holds no attention weights, or none of ``model``.
    """
    att = result.attention
    if att.empty:
        raise ParameterError("the result holds no attention model (run attention_lstm/_gru)")
    model = model or str(att["model"].iloc[0])
    if model not in set(att["model"]):
        raise ParameterError(f"no attention weights for model {model!r}")
    sub = att[att["model"] == model]
    per_gene = sub.groupby("gene").agg(
        mean_attention=("weight", "mean"), n_folds=("fold", "nunique")
    )
    # each fold's own targets (task "joint": they change from fold to fold), over the folds
    # where the gene was an input
    fold_targets = result.predictions.groupby("fold")["target"].unique()
    folds_of = sub.groupby("gene")["fold"].unique()

    def corr(gene: str) -> float:
        per_fold = [
            np.mean([abs(float(frame[gene].corr(frame[t]))) for t in fold_targets[f]])
            for f in folds_of[gene]
        ]
        return float(np.mean(per_fold))

    per_gene["abs_corr"] = [corr(g) for g in per_gene.index]
    per_gene.insert(0, "model", model)
    return per_gene.sort_values("mean_attention", ascending=False)


def write_outputs(
    result: GeneAttentionResult, frame: pd.DataFrame, output_dir: str | os.PathLike
) -> dict[str, Path]:
    """Write metrics.json, the tables and the figures of notebook 04 into ``output_dir``.

    Files: ``metrics.json`` (``<model>/cv_mean|cv_sd/<metric>``), ``cv_folds.tsv``,
    ``cv_summary.tsv``, ``cv_targets.tsv`` (:func:`target_table`, with several targets),
    ``predictions.parquet``, ``attention_by_gene.tsv``,
    ``cv_boxplots.png``, ``attention_vs_correlation.png``, and ``data_report.json`` (what
    :func:`load_expression` read and did: source, transform, merged duplicate ids, genes
    dropped for NaN, the probe mapping) when ``frame`` came from it.

    Parameters
    ----------
    result
        Output of :func:`cross_validate`.
    frame
        The expression matrix given to :func:`cross_validate`.
    output_dir
        Folder of the outputs (created if needed).

    Returns
    -------
    dict
        File kind (``metrics``, ``folds``, ``summary``, ``predictions``, ``boxplots``, and
        ``targets``, ``attention_table``, ``attention_figure``, ``data_report`` when
        written) -> path.
    """
    out = ensure_output_dir(output_dir)
    paths = {
        "metrics": write_metrics(out, cv_metrics(result.fold_metrics)),
        "folds": write_table_atomic(out / "cv_folds.tsv", result.fold_metrics, index=False),
        "summary": write_table_atomic(out / "cv_summary.tsv", summary_table(result.fold_metrics)),
        "predictions": write_table_atomic(out / "predictions.parquet", result.predictions),
    }
    if result.predictions["target"].nunique() > 1:
        table = target_table(result.predictions)
        paths["targets"] = write_table_atomic(out / "cv_targets.tsv", table)
    fig = cv_boxplots(result.fold_metrics)
    paths["boxplots"] = save_figure(fig, out / "cv_boxplots.png")
    plt.close(fig)
    if not result.attention.empty:
        table = attention_by_gene(result, frame)
        paths["attention_table"] = write_table_atomic(out / "attention_by_gene.tsv", table)
        fig = attention_vs_correlation(table)
        paths["attention_figure"] = save_figure(fig, out / "attention_vs_correlation.png")
        plt.close(fig)
    if REPORT_ATTR in frame.attrs:
        paths["data_report"] = write_json_atomic(out / "data_report.json", frame.attrs[REPORT_ATTR])
    return paths

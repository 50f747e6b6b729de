"""Notebook 01 workflow: load, validate, summarise and save promoters and expression data.

Two kinds of data are prepared, each either from a file or from the synthetic embedded default
(:mod:`gexnb.data.synthetic`, fixed seed, known ground truth):

- **promoter sequences** (DREAM Challenge 2022, Rafi et al., Nat Biotechnol 2024): a
  :class:`gexnb.data.promoters.PromoterSet` from :func:`gexnb.data.promoters.load_promoters`
  (the loader notebook 02 uses too), split at random or by row order (the seed's first-rows
  split), by default 90 % training and 10 % validation
  (:data:`gexnb.data.promoters.PROMOTER_FRACTIONS`);
- **expression matrices** (D-GEX, Chen et al., Bioinformatics 2016): samples x genes from
  :func:`gexnb.data.expression.read_expression`, optionally ``log2(max(x, 1))``, landmark and
  target genes selected from gene lists (the D-GEX maps ``map_lm.txt`` / ``map_tg.txt``) with
  :func:`gexnb.data.expression.select_landmarks_targets`, samples split at random (80/10/10).

Processed outputs (written atomically under ``<output_dir>/processed/``; read them back with
:func:`load_processed`):

``promoters.npz``
    ``codes`` uint8 ``(n, length)`` (``T=0, C=1, G=2, A=3, N=4, PAD=5``), ``expression``
    float32 ``(n,)`` (raw scale), ``train``, ``val``, ``test`` int64 row indices.
``expression.parquet``
    samples x genes float32: the landmark columns, then the target columns found.
``expression_splits.npz``
    ``train``, ``val``, ``test`` int64 sample (row) indices into ``expression.parquet``.
``landmarks.txt``, ``targets.txt``
    gene ids, one per line, in the column order of ``expression.parquet``; only with gene
    lists (without them the matrix is written whole and has neither landmarks nor targets).

and, beside ``processed/``, ``data_report.json``: the expression file, the ``transform``
applied and what the gene selection found and missed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.data import summary
from gexnb.data.expression.defaults import DEFAULT_TRANSFORM, DataChecks
from gexnb.data.promoters import SPLITS, PromoterSet, load_promoters
from gexnb.data.synthetic import LANDMARK_SYNTHETIC
from gexnb.errors import InputError, ParameterError
from gexnb.io import atomic_path, write_json_atomic, write_table_atomic, write_text_atomic

log = logging.getLogger(__name__)

__all__ = [
    "PromoterSet",
    "ExpressionData",
    "ProcessedData",
    "load_expression",
    "SYNTHETIC_OPTIONS",
    "DATA_CHECKS",
    "data_metrics",
    "write_processed",
    "load_processed",
]

#: Summary entries left out of metrics.json (redundant or only useful in the notebook tables).
_NOT_METRICS = frozenset(
    {
        "promoter_expression_n",
        "promoter_expression_n_nan",
        "value_min",
        "value_q25",
        "value_q75",
        "value_max",
    }
)


@dataclass
class ExpressionData:
    """Samples x genes matrix restricted to landmarks then targets, with its summary inputs.

    Parameters
    ----------
    frame, landmarks, targets, splits, source
        Set the attributes of the same names (see Attributes).
    requested_landmarks, requested_targets, full, report
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    frame
        float32 samples x (landmarks, then targets).
    landmarks, targets
        The landmark and target genes found, in column order.
    splits
        ``"train"``, ``"val"``, ``"test"`` -> int64 row indices (80/10/10).
    source
        The file, or a description of the synthetic data.
    requested_landmarks, requested_targets
        Sizes of the gene lists asked for (coverage is found / requested).
    full
        The file's matrix (after ``transform``) before gene selection, without the columns
        of its probe groups (for summaries: its genes are the file's), or None.
    report
        What the gene selection found and missed, and the transform applied.
    """

    frame: pd.DataFrame
    landmarks: list[str]
    targets: list[str]
    splits: dict[str, np.ndarray]
    source: str
    requested_landmarks: int
    requested_targets: int
    full: pd.DataFrame | None = None  # the matrix before gene selection (for summaries)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def landmark_columns(self) -> list[str]:
        """The columns of :attr:`full` behind the landmarks: a probe group's probes, an
        unversioned Ensembl id's versioned column (:func:`gexnb.data.expression.matrix_columns`);
        the landmarks themselves without :attr:`full`."""
        from gexnb.data.expression import matrix_columns

        if self.full is None:
            return list(self.landmarks)
        behind = matrix_columns(self.landmarks, self.full.columns)
        return list(dict.fromkeys(c for columns in behind.values() for c in columns))


@dataclass
class ProcessedData:
    """Everything :func:`write_processed` wrote (``None`` for the parts that are absent).

    Parameters
    ----------
    codes, expression, splits, frame, landmarks, targets, expression_splits
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    codes, expression, splits
        The promoters: uint8 codes, float32 expression and split name -> row indices
        (``None``, ``None`` and ``{}`` without ``promoters.npz``).
    frame, landmarks, targets, expression_splits
        The expression matrix, its landmark and target genes and split name -> row indices
        (``None``, ``[]``, ``[]`` and ``{}`` without ``expression.parquet``).
    """

    codes: np.ndarray | None
    expression: np.ndarray | None
    splits: dict[str, np.ndarray]
    frame: pd.DataFrame | None
    landmarks: list[str]
    targets: list[str]
    expression_splits: dict[str, np.ndarray]


def _gene_list(path: str) -> pd.DataFrame:
    from gexnb.data import expression as expr

    if not Path(path).is_file():
        raise InputError("gene list not found", path=str(path))
    return expr.read_gene_list(path)


def load_expression(
    expression_path: str | os.PathLike = "",
    *,
    landmark_list: str | os.PathLike = "",
    target_list: str | os.PathLike = "",
    synthetic: Mapping[str, Any] | None = None,
    transform: str = DEFAULT_TRANSFORM,
    orientation: str = DataChecks.orientation,
    nan: str = DataChecks.nan,
    duplicates: str = DataChecks.duplicates,
    max_missing_landmarks: float = DataChecks.max_missing_landmarks,
    max_missing_targets: float = DataChecks.max_missing_targets,
    probe_groups: str = DataChecks.probe_groups,
    seed: int = 0,
) -> ExpressionData:
    """Read an expression matrix (or make a synthetic one) and select landmarks and targets.

    Parameters
    ----------
    expression_path
        Samples x genes file (TSV/CSV/parquet/HDF5/GCT/GCTX/h5ad); ``""`` for the synthetic
        latent-factor data of :func:`gexnb.data.synthetic.synthetic_expression`.
    landmark_list, target_list
        Gene lists (D-GEX ``map_lm.txt``/``map_tg.txt``, or one id per line); ``""`` uses the
        synthetic names (``LM*`` landmarks, ``TG*`` targets).
    synthetic
        Options of the synthetic data (:func:`gexnb.data.synthetic.synthetic_expression`'s
        keywords but ``seed``), completed with
        :data:`gexnb.data.synthetic.LANDMARK_SYNTHETIC`, so that by default they are
        notebook 03's synthetic data; notebook 01's ``synthetic`` may be given whole (its
        ``n_sequences``, the promoters', is not used here).
    transform
        :func:`gexnb.data.expression.transform_expression`: ``"log2"`` (linear-scale MAS5
        signal, as D-GEX's preprocessing), ``"none"`` or ``"auto"`` (log2 when values
        above 100 are not rare: 0.01 % of them, two at least), as notebook 03 reads the same
        file.
    orientation, nan, duplicates
        Passed to :func:`gexnb.data.expression.read_expression` (notebook 01's
        ``data_checks``, the same keys as notebook 03's).
    max_missing_landmarks, max_missing_targets
        Fractions of the listed landmarks (D-GEX needs all of them: 0) and targets allowed to
        be absent.
    probe_groups
        A list row naming several probes: their mean (``"mean"``) or one id (``"none"``;
        :attr:`gexnb.data.expression.DataChecks.probe_groups`).
    seed
        Seed of the synthetic data and of the 80/10/10 sample split.

    Returns
    -------
    ExpressionData
        The selected matrix, its genes, the split and the selection report.

    Raises
    ------
    InputError
        Missing file, or too many landmark genes missing (named by the selection).
    """
    from gexnb.data import expression as expr

    if str(expression_path):
        path = Path(expression_path)
        if not path.is_file():
            raise InputError("expression file not found", path=str(path))
        told = expr.rows_hold_genes(str(landmark_list), path=path) if str(landmark_list) else None
        lists = [str(g) for g in (landmark_list, target_list) if str(g)]
        frame = expr.read_expression(
            path,
            orientation=orientation,
            nan=nan,
            duplicates=duplicates,
            genes_in_rows=told,
            # drop_samples: a missing value in a gene the lists do not name drops no sample
            used_genes=expr.list_genes(*lists) if len(lists) == 2 else None,
        )
        if str(landmark_list):  # an L1000 GCTX: Entrez ids, symbols stored beside them
            frame = expr.name_by_stored_symbols(
                frame, path, str(landmark_list), duplicates=duplicates
            )
        source = str(path)
    else:
        from gexnb.data.synthetic import synthetic_expression, synthetic_options

        given = {k: v for k, v in (synthetic or {}).items() if k != "n_sequences"}
        options = synthetic_options(given, LANDMARK_SYNTHETIC)
        frame = synthetic_expression(**options, seed=seed)
        source = (
            "synthetic expression ("
            + ", ".join(f"{k}={v}" for k, v in {**options, "seed": seed}.items())
            + ")"
        )
    attrs = dict(frame.attrs)
    frame, applied = expr.transform_expression(
        frame, transform, source=source if str(expression_path) else None
    )
    scaled = expr.standardised_warning(frame, source) if str(expression_path) else ""
    if scaled:  # k_genes lists the most variable genes: meaningless on z-scores
        log.warning(scaled)
    columns = [str(c) for c in frame.columns]
    n_file_columns = len(columns)  # add_probe_groups appends its columns after these
    # without lists: the synthetic data's own genes (LM*, TG*); a file's genes are not
    # guessed from their names (LMNA, TGFB1 are human genes)
    synthetic_data = not str(expression_path)
    if str(landmark_list):
        landmarks: Any = _gene_list(str(landmark_list))
    elif synthetic_data:
        landmarks = list(attrs.get("landmarks") or [c for c in columns if c.startswith("LM")])
    else:
        landmarks = []
    if str(target_list):
        targets: Any = _gene_list(str(target_list))
    elif synthetic_data:
        targets = list(attrs.get("targets") or [c for c in columns if c.startswith("TG")])
    else:
        targets = []
    if len(landmarks) == 0 and len(targets) == 0 and not synthetic_data:
        # no lists, as notebook 04 takes none: the whole matrix is summarised
        log.info(
            "%s: no landmark_list nor target_list: the matrix is summarised as a whole (give "
            "both to check notebook 03's genes)",
            source,
        )
        x, y = frame.iloc[:, :0], frame  # every gene as it is, none a landmark
        report: dict[str, Any] = {"gene_lists": "none"}
    elif len(landmarks) == 0 or len(targets) == 0:
        raise ParameterError(
            "give both landmark_list and target_list (or neither, to summarise the whole "
            "matrix) for a matrix whose genes are not named LM*/TG*"
        )
    else:
        if probe_groups == "mean":  # the groups' columns in the summarised matrix too, and
            frame = expr.add_probe_groups(frame, landmarks, targets)  # made once, not again
            probe_groups = "none"  # by select_landmarks_targets
        x, y, report = expr.select_landmarks_targets(
            frame,
            landmarks,
            targets,
            max_missing_landmarks=max_missing_landmarks,
            max_missing_targets=max_missing_targets,
            path=Path(expression_path) if str(expression_path) else None,
            probe_groups=probe_groups,
        )
    report = {**report, "transform": applied}
    file_matrix = frame.iloc[:, :n_file_columns]  # the file's genes, not the groups'
    if attrs.get("duplicates_merged"):  # ids with several columns, merged by data_checks
        report["duplicate_ids_merged"] = len(attrs["duplicates_merged"])
    selected = pd.concat([x, y], axis=1).astype(np.float32)
    from gexnb.data import splits

    parts = splits.random_split(len(selected), fractions=(0.8, 0.1, 0.1), seed=seed)
    return ExpressionData(
        frame=selected,
        landmarks=[str(c) for c in x.columns],
        targets=[] if "gene_lists" in report else [str(c) for c in y.columns],
        splits={k: np.asarray(parts[k], dtype=np.int64) for k in SPLITS},
        source=source,
        requested_landmarks=int(report.get("landmarks_total", len(landmarks))),
        requested_targets=int(report.get("targets_total", len(targets))),
        full=file_matrix,
        report=report,
    )


#: The keys of notebook 01's ``data_checks`` (those of notebook 03 that apply to reading
#: and selecting; :data:`gexnb.pipelines.params.DATA_CHECK_DEFAULTS` holds their defaults).
DATA_CHECKS = (
    "orientation", "nan", "duplicates", "max_missing_landmarks", "max_missing_targets",
    "probe_groups",
)  # fmt: skip

#: Notebook 01's ``synthetic`` options -> their default, or the loader parameter whose default
#: it is (:func:`gexnb.data.synthetic.synthetic_options`).
SYNTHETIC_OPTIONS: dict[str, Any] = {
    "n_sequences": (load_promoters, "n_synthetic"),
    **LANDMARK_SYNTHETIC,  # notebook 03's synthetic data, described here
}


def _keep(table: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k not in _NOT_METRICS}


def data_metrics(
    promoters: PromoterSet | None = None, expression: ExpressionData | None = None
) -> dict[str, float]:
    """Metrics for ``metrics.json``: ``data/<split>/<name>`` from the data summaries.

    Sequence metrics (``n_sequences``, lengths, GC and N content, the promoters' measured
    expression as ``promoter_expression_<stat>``) are given for ``all`` and for each split.
    Expression-matrix metrics are given for ``all`` plus the sample counts per split: the
    file's whole matrix after ``transform`` (``n_samples``, ``n_genes``, ``n_nan``, the
    variances, ``value_<stat>``, ``n_zero_variance_genes``; a probe group of the gene lists is
    not a gene of the file), the gene lists' ``n_landmarks``, ``n_targets``,
    ``landmark_coverage`` and ``target_coverage``, and ``log2_transformed`` (1 when
    ``transform`` took the log, as ``auto`` may choose, else 0).

    Parameters
    ----------
    promoters
        The promoter set, or None.
    expression
        The expression data, or None.

    Returns
    -------
    dict
        ``data/<split>/<name>`` -> number.
    """
    metrics: dict[str, float] = {}
    if promoters is not None:
        info = _keep(summary.sequence_summary(promoters.codes, promoters.expression))
        metrics.update(summary.summary_metrics(info, split="all"))
        for name, idx in promoters.splits.items():
            metrics[f"data/{name}/n_sequences"] = int(len(idx))
            if len(idx):
                metrics[f"data/{name}/promoter_expression_mean"] = float(
                    np.mean(promoters.expression[idx])
                )
    if expression is not None:
        full = expression.full if expression.full is not None else expression.frame
        info = summary.expression_summary(
            full,
            landmarks=expression.landmarks,
            targets=expression.targets,
            requested_landmarks=expression.requested_landmarks,
            requested_targets=expression.requested_targets,
        )
        metrics.update(summary.summary_metrics(_keep(info), split="all"))
        applied = expression.report.get("transform")
        if applied is not None:  # the transform used (``auto`` chooses): 1 log2, 0 none
            metrics["data/all/log2_transformed"] = int(applied != "none")
        for name, idx in expression.splits.items():
            metrics[f"data/{name}/n_samples"] = int(len(idx))
    return metrics


def write_processed(
    output_dir: str | os.PathLike,
    promoters: PromoterSet | None = None,
    expression: ExpressionData | None = None,
) -> dict[str, Path]:
    """Write the processed data under ``<output_dir>/processed/`` (atomically; see module doc).

    Parameters
    ----------
    output_dir
        The run folder (``processed/`` is created in it).
    promoters
        Written as ``promoters.npz`` (codes, expression, splits), unless None.
    expression
        Written as ``expression.parquet``, ``expression_splits.npz``, ``landmarks.txt`` and
        ``targets.txt`` (with gene lists only), and ``<output_dir>/data_report.json``, unless
        None.

    Returns
    -------
    dict
        File kind -> path written.
    """
    folder = Path(output_dir) / "processed"
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if promoters is not None:
        target = folder / "promoters.npz"
        with atomic_path(target) as tmp:
            np.savez(
                tmp,
                codes=promoters.codes.astype(np.uint8, copy=False),
                expression=promoters.expression.astype(np.float32, copy=False),
                **promoters.splits,  # type: ignore[arg-type]  # split names: train, val, test
            )
        written["promoters"] = target
    if expression is not None:
        written["expression"] = write_table_atomic(folder / "expression.parquet", expression.frame)
        target = folder / "expression_splits.npz"
        with atomic_path(target) as tmp:
            np.savez(tmp, **expression.splits)  # type: ignore[arg-type]  # split names
        written["expression_splits"] = target
        if "gene_lists" not in expression.report:  # no lists given: no landmarks, no targets
            for name, genes in (
                ("landmarks", expression.landmarks),
                ("targets", expression.targets),
            ):
                written[name] = write_text_atomic(
                    folder / f"{name}.txt", "".join(f"{g}\n" for g in genes)
                )
        report = {"source": expression.source, **expression.report}
        written["data_report"] = write_json_atomic(Path(output_dir) / "data_report.json", report)
    return written


def load_processed(directory: str | os.PathLike) -> ProcessedData:
    """Read what :func:`write_processed` wrote.

    Parameters
    ----------
    directory
        The run folder of notebook 01, or its ``processed/`` sub-folder.

    Returns
    -------
    ProcessedData
        What was found (``None`` or empty for the absent parts).

    Raises
    ------
    InputError
        If the folder holds neither ``promoters.npz`` nor ``expression.parquet``.
    """
    folder = Path(directory)
    if (folder / "processed").is_dir():
        folder = folder / "processed"
    prom, expr_file = folder / "promoters.npz", folder / "expression.parquet"
    if not prom.is_file() and not expr_file.is_file():
        raise InputError(
            "no processed data (promoters.npz or expression.parquet); run notebook 01 first",
            path=str(folder),
        )
    codes = expression = None
    splits: dict[str, np.ndarray] = {}
    if prom.is_file():
        with np.load(prom) as data:
            codes, expression = data["codes"], data["expression"]
            splits = {k: data[k] for k in SPLITS if k in data}
    frame, landmarks, targets, expr_splits = None, [], [], {}
    if expr_file.is_file():
        frame = pd.read_parquet(expr_file)
        landmarks, targets = (
            (folder / name).read_text(encoding="utf-8").splitlines()
            if (folder / name).is_file()
            else []  # a matrix summarised without gene lists
            for name in ("landmarks.txt", "targets.txt")
        )
        with np.load(folder / "expression_splits.npz") as data:
            expr_splits = {k: data[k] for k in SPLITS if k in data}
    return ProcessedData(codes, expression, splits, frame, landmarks, targets, expr_splits)

"""Landmark/target data sets: loading, splits, normalisation, a second data set.

The data half of notebook 03 (the LINCS inference setting of D-GEX, Chen et al. 2016):
:func:`load_landmark_data` reads a matrix and the landmark/target gene lists with the
readers' checks (:mod:`gexnb.data.expression`), :func:`make_splits` gives random,
fixed-count or leave-one-study-out splits, :func:`prepare_split` quantile-normalises and
z-scores with training statistics, and :func:`prepare_cross_dataset` /
:func:`hold_out_study` set up a second data set evaluated with its own statistics.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.data.expression.defaults import DEFAULT_TRANSFORM, DataChecks
from gexnb.errors import InputError, ParameterError

__all__ = [
    "common_genes",
    "LandmarkData",
    "PreparedSplit",
    "load_landmark_data",
    "make_splits",
    "loso_split_names",
    "LOSO_SUMMARY_SPLITS",
    "prepare_split",
    "hold_out_study",
    "prepare_cross_dataset",
]

log = logging.getLogger(__name__)


@dataclass
class LandmarkData:
    """Raw (not yet normalised) landmark and target matrices of one data set.

    Parameters
    ----------
    X, Y, groups, report, name, landmark_ids
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    X, Y
        Samples x landmark genes and samples x target genes (same sample order).
    groups
        Study (or other group) label of each sample, or None.
    report
        What was found/missing/transformed, for the notebook and ``data_report.json``.
    name
        Short label of the data set.
    landmark_ids
        The landmark list's rows of the columns of ``X``: an ``id`` column (the column name)
        and the list's identifiers (``symbol``, ``ensembl``, ``probe``), so that a saved model
        finds its inputs in a matrix named by any of them
        (:mod:`gexnb.pipelines.landmark_predictor`); None: the column names only.
    """

    X: pd.DataFrame
    Y: pd.DataFrame
    groups: np.ndarray | None = None
    report: dict[str, Any] = field(default_factory=dict)
    name: str = "data"
    landmark_ids: pd.DataFrame | None = None


@dataclass
class PreparedSplit:
    """Normalised float32 arrays of one split, with the gene names kept.

    Parameters
    ----------
    name, x, y, landmarks, targets, description, y_scale, y_center, dropped, x_scale, \
x_center, quantile, normalization, x_reference
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    name
        Name of the split (e.g. ``"random"``, ``"counts"``, ``"loso_<group>"``).
    x, y
        ``"train"``/``"val"``/``"test"`` -> float32 samples x landmark genes and samples x
        target genes, normalised.
    landmarks, targets
        Gene names of the columns of ``x`` and of ``y``.
    description
        The normalisation applied, in words.
    y_scale, y_center
        The targets' sds and means (to go back to the expression scale), or None when not
        normalised.
    dropped
        ``"zero_variance"``/``"low_variance"`` -> the genes left out.
    x_scale, x_center
        The landmarks' sds and means, or None when not normalised (a saved model applies
        them to new samples: :mod:`gexnb.pipelines.landmark_predictor`).
    quantile
        Whether the samples were quantile-normalised before the z-scores.
    normalization
        Where the statistics came from: ``"train"``, ``"all"`` samples, or ``"none"``.
    x_reference
        The sorted landmark profile a new sample's landmarks are quantile-normalised onto
        (:mod:`gexnb.pipelines.landmark_predictor`); None without quantile normalisation,
        or after :meth:`restrict` dropped landmarks (the reference is then recomputed from
        the rows).
    """

    name: str
    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    landmarks: list[str]
    targets: list[str]
    description: str
    y_scale: np.ndarray | None = None
    y_center: np.ndarray | None = None
    dropped: dict[str, list[str]] = field(default_factory=dict)
    x_scale: np.ndarray | None = None
    x_center: np.ndarray | None = None
    quantile: bool = False
    normalization: str = "train"
    x_reference: np.ndarray | None = None

    def restrict(self, landmarks: Sequence[str], targets: Sequence[str]) -> PreparedSplit:
        """The same split on a subset of its genes (in the order given)."""
        li = [self.landmarks.index(g) for g in landmarks]
        ti = [self.targets.index(g) for g in targets]
        return PreparedSplit(
            self.name,
            {k: v[:, li] for k, v in self.x.items()},
            {k: v[:, ti] for k, v in self.y.items()},
            list(landmarks),
            list(targets),
            self.description,
            None if self.y_scale is None else self.y_scale[ti],
            None if self.y_center is None else self.y_center[ti],
            dict(self.dropped),
            None if self.x_scale is None else self.x_scale[li],
            None if self.x_center is None else self.x_center[li],
            self.quantile,
            self.normalization,
            self.x_reference if len(li) == len(self.landmarks) else None,
        )

    def to_expression(self, y: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """Targets on this split's normalised scale back on the expression scale (``y``'s
        columns the targets at positions ``columns``, default all of them)."""
        if self.y_scale is None or self.y_center is None:
            return np.asarray(y, dtype="float64")
        at = slice(None) if columns is None else columns
        return np.asarray(y, dtype="float64") * self.y_scale[at] + self.y_center[at]

    def from_expression(self, y: np.ndarray) -> np.ndarray:
        """Targets on the expression scale on this split's normalised scale."""
        if self.y_scale is None or self.y_center is None:
            return np.asarray(y, dtype="float64")
        return (np.asarray(y, dtype="float64") - self.y_center) / self.y_scale


def _read_groups(path: str | os.PathLike, column: str, samples: Sequence[str]) -> np.ndarray:
    """Each sample's group (study) label from a sample annotation file.

    A table of sample ids (first column) and ``column``, tab- or comma-separated (the
    first line tells: a tab in it, else a comma; compressed too, by the suffix); spaces
    around ids and labels are not part of them. Refused, each naming the ids: a sample
    annotated twice, a sample of the matrix not annotated (with the annotation's own ids,
    and a hint when they differ in letter case), an empty label, and labels that differ
    only in letter case (``chowdary``, ``Chowdary``: one study written two ways would be
    left out in parts, the rest of it in training).

    Parameters
    ----------
    path
        The annotation file.
    column
        The column of labels (``group_column``).
    samples
        The matrix' sample ids, in its order.

    Returns
    -------
    numpy.ndarray
        The label of each sample, in ``samples``' order.

    Raises
    ------
    InputError
        As above, and a file not found or without ``column``.
    """
    from gexnb.data.expression._common import _preview

    p = Path(path)
    if not p.is_file():
        raise InputError("sample annotation file not found", path=str(p))

    def read(sep: str, **options: Any) -> pd.DataFrame:
        try:  # pandas opens any compression by the suffix (.gz, .bz2, .xz, .zip)
            return pd.read_csv(p, sep=sep, index_col=0, dtype=str, keep_default_na=False,
                               na_values=[""], **options)  # fmt: skip
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", path=str(p)) from None
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            raise InputError(f"cannot read the sample annotation ({exc})", path=str(p)) from None

    sep = "\t"
    header = read(sep, nrows=0)
    if len(header.columns) == 0 and "," in str(header.index.name):
        sep = ","  # no tab in the first line, a comma: comma-separated whatever the suffix
    table = read(sep)
    table.columns = table.columns.map(lambda c: str(c).strip())
    if column not in table.columns:
        kind = "tab" if sep == "\t" else "comma"
        raise InputError(
            f"column {column!r} not in the sample annotation (read {kind}-separated; "
            f"columns: {list(table.columns)})",
            path=str(p),
        )
    table.index = table.index.map(lambda i: str(i).strip())
    twice = table.index[table.index.duplicated()].unique()
    if len(twice):
        raise InputError(
            f"{len(twice)} sample(s) annotated more than once: {_preview(list(twice))}",
            path=str(p),
        )
    missing = [s for s in samples if s not in table.index]
    if missing:
        folded = {str(i).lower() for i in table.index}
        case = sum(str(s).lower() in folded for s in missing)
        hint = f"; {case} of them differ in letter case only" if case else ""
        raise InputError(
            f"{len(missing)} sample(s) of the matrix are not annotated, e.g. "
            f"{_preview(missing)} (the annotation's ids: {_preview(list(table.index))}){hint}",
            path=str(p),
        )
    labels = table.loc[list(samples), column].map(lambda v: v if pd.isna(v) else str(v).strip())
    empty = labels.isna() | (labels == "")
    if empty.any():
        raise InputError(
            f"empty {column!r} for sample(s) {_preview(list(labels.index[empty]))}", path=str(p)
        )
    by_case: dict[str, set[str]] = {}
    for label in labels.unique():
        by_case.setdefault(str(label).lower(), set()).add(str(label))
    clash = [sorted(v) for v in by_case.values() if len(v) > 1]
    if clash:
        shown = "; ".join(" and ".join(repr(v) for v in group) for group in clash[:3])
        raise InputError(
            f"{column!r} labels that differ only in letter case: {shown}. One study written "
            "two ways would be left out in parts, the rest of it trained on: write each "
            "study's label one way",
            path=str(p),
        )
    return labels.to_numpy(dtype=object)


#: Fewest samples a landmark data set may have: a training, a validation and a test sample.
MIN_SAMPLES = 3


def _no_list(gene_list: Any) -> bool:
    """Whether a gene list argument is left out (None, ``""`` or empty)."""
    if gene_list is None or isinstance(gene_list, (str, os.PathLike)):
        return gene_list is None or str(gene_list) == ""
    return len(gene_list) == 0


def load_landmark_data(
    expression: str | os.PathLike | pd.DataFrame = "",
    *,
    landmark_list: Any = "",
    target_list: Any = "",
    transform: str = DEFAULT_TRANSFORM,
    orientation: str = DataChecks.orientation,
    sample_annotation: str = "",
    group_column: str = "study",
    nan: str = DataChecks.nan,
    duplicates: str = DataChecks.duplicates,
    max_missing_landmarks: float = DataChecks.max_missing_landmarks,
    max_missing_targets: float = DataChecks.max_missing_targets,
    probe_groups: str = DataChecks.probe_groups,
    synthetic: Mapping[str, Any] | None = None,
    name: str = "data",
    min_samples: int = MIN_SAMPLES,
) -> LandmarkData:
    """Load the landmark/target matrices (D-GEX setting), or the synthetic embedded default.

    Parameters
    ----------
    expression
        ``""``: :func:`gexnb.data.synthetic.synthetic_expression` with ``synthetic`` as its
        keyword arguments (landmarks/targets/studies from its ``attrs``). Otherwise a matrix
        file read by :func:`gexnb.data.expression.read_expression`, or a samples x genes
        DataFrame.
    landmark_list, target_list
        Gene lists (D-GEX ``map_lm.txt`` / ``map_tg.txt``: symbol, Ensembl id, probe id; or one
        id per line), matched on whichever identifier matches most
        (:func:`gexnb.data.expression.select_landmarks_targets`; Ensembl ids match ignoring a
        ``.<version>``). Required for real data.
    transform
        ``"log2"`` (``log2(max(x, 1))`` for linear-scale signal such as MAS5), ``"none"``, or
        ``"auto"``: log2 when values above 100 (clearly not a log scale) are not rare: 0.01 %
        of the values, two at least (fewer are outliers, kept and warned of).
    sample_annotation, group_column
        Optional TSV with sample ids in the first column and a ``group_column`` (e.g.
        ``study``) for leave-one-group-out evaluation.
    orientation
        Passed to ``read_expression``: ``"genes_x_samples"`` for a file whose rows are genes.
    nan, duplicates
        Passed to ``read_expression``: NaN handling (``error``, ``drop_genes``,
        ``drop_samples``, ``mean``; under ``drop_samples`` only a missing value in a gene
        the lists name drops a sample, the other genes with one are left out) and
        duplicated gene ids (``mean``, ``first``, ``error``).
    max_missing_landmarks, max_missing_targets
        Largest tolerated fraction of listed genes absent from the matrix (missing ones are
        counted in ``report``, listed there in full as ``missing_landmarks`` and
        ``missing_targets``, and logged with the first ones named; genes dropped for NaN
        values told apart; a missing gene that equals a matrix column but for letter case is
        named as a likely slip).
    probe_groups
        A list row naming several probes: their mean (``"mean"``) or one id (``"none"``;
        :attr:`gexnb.data.expression.DataChecks.probe_groups`).
    synthetic
        Keyword arguments of ``synthetic_expression`` (``n_samples``, ``n_landmarks``, ...);
        one it lacks takes that function's default, an unknown one is refused
        (:func:`gexnb.data.synthetic.synthetic_options`).
    name
        Label of the data set.
    min_samples
        Fewest samples accepted (:data:`MIN_SAMPLES`: a training, a validation and a test
        sample; 2 for a second data set that is only predicted and normalised with its own
        statistics).

    Returns
    -------
    LandmarkData

    Raises
    ------
    InputError
        Missing files, too many missing genes, NaN values, duplicated ids (by policy), groups
        not annotated, fewer than ``min_samples`` samples.
    """
    from gexnb.data import expression as ex

    report: dict[str, Any] = {"name": name}
    groups = None
    if isinstance(expression, str) and expression == "":
        from gexnb.data.synthetic import (
            EXPRESSION_OPTIONS,
            synthetic_expression,
            synthetic_options,
        )

        kwargs = synthetic_options(synthetic, EXPRESSION_OPTIONS)
        frame = synthetic_expression(**kwargs)
        lm, tg = list(frame.attrs["landmarks"]), list(frame.attrs["targets"])
        x, y = frame.loc[:, lm].astype("float64"), frame.loc[:, tg].astype("float64")
        groups = np.asarray(frame.attrs.get("study", ["s0"] * len(frame)), dtype=object)
        report.update(
            source="synthetic_expression",
            synthetic=kwargs,
            landmarks_found=len(lm),
            targets_found=len(tg),
            transform="none (synthetic values are log2-like)",
        )
        return LandmarkData(x, y, groups, report, name)
    path: Path | None = None
    # drop_samples: a missing value in a gene the lists do not name drops no sample
    lists = (landmark_list, target_list)
    used = None if any(_no_list(g) for g in lists) else ex.list_genes(*lists)
    if isinstance(expression, pd.DataFrame):
        frame = expression.copy()
        frame.columns = frame.columns.map(str)
        frame.index = frame.index.map(str)
        report["source"] = "DataFrame"
        frame = ex.apply_policies(frame, nan=nan, duplicates=duplicates, used_genes=used)
    else:
        path = Path(expression)
        told = None if _no_list(landmark_list) else ex.rows_hold_genes(landmark_list, path=path)
        frame = ex.read_expression(
            path,
            orientation=orientation,
            nan=nan,
            duplicates=duplicates,
            genes_in_rows=told,
            used_genes=used,
        )
        if not _no_list(landmark_list):  # an L1000 GCTX: Entrez ids, symbols stored beside
            frame = ex.name_by_stored_symbols(frame, path, landmark_list, duplicates=duplicates)
        report["source"] = str(path)
    if len(frame) < min_samples:
        raise InputError(
            f"{len(frame)} sample(s) x {frame.shape[1]:,} genes: too few samples (at least "
            f"{min_samples}); if the file's rows are genes and its columns "
            "samples, in the notebooks set "
            "data_checks: {orientation: genes_x_samples}",
            path=path,
        )
    merged = list(frame.attrs.get("duplicates_merged", []))
    if merged:  # ids with several columns, merged by data_checks duplicates
        report["duplicate_ids_merged"] = len(merged)
    if frame.attrs.get("values_imputed"):  # nan: mean (input genes only: targets refused)
        report["values_imputed"] = int(frame.attrs["values_imputed"])
        report["genes_imputed"] = len(frame.attrs["imputed_genes"])
    frame, report["transform"] = ex.transform_expression(
        frame, transform, source=None if report["source"] == "DataFrame" else report["source"]
    )
    if any(_no_list(g) for g in (landmark_list, target_list)):
        raise ParameterError("real data needs landmark_list and target_list (gene list files)")
    x, y, sel = ex.select_landmarks_targets(
        frame,
        landmark_list,
        target_list,
        max_missing_landmarks=max_missing_landmarks,
        max_missing_targets=max_missing_targets,
        probe_groups=probe_groups,
        path=path,  # genes dropped for NaN: frame.attrs, kept by the transform
    )
    # the missing genes are logged by select_landmarks_targets (the first ones named) and
    # listed in full in the report (missing_landmarks, missing_targets: data_report.json)
    report.update(sel)
    report["n_samples"] = int(frame.shape[0])
    if sample_annotation:
        groups = _read_groups(sample_annotation, group_column, list(frame.index))
        report["groups"] = {str(k): int(v) for k, v in pd.Series(groups).value_counts().items()}
    ids = ex.gene_list_rows(landmark_list, sel["landmark_id_type"], x.columns)
    return LandmarkData(x, y, groups, report, name, ids)


def make_splits(
    n: int,
    *,
    split: str = "random",
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    counts: Sequence[int] = (88807, 11101, 11101),
    groups: Sequence[Any] | np.ndarray | None = None,
    seed: int = 0,
) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Train/val/test index splits, each named.

    Parameters
    ----------
    n
        Number of samples.
    split
        ``"random"`` (``fractions``), ``"counts"`` (D-GEX's 88,807 / 11,101 / 11,101, or
        ``counts``), or ``"loso"``: leave one group (study) out: for each group, its samples are
        the test set and the others are split randomly into train/val in the ratio
        ``fractions[0] : fractions[1]``.
    fractions
        ``(train, val, test)`` fractions of the ``"random"`` split; ``"loso"`` uses the first
        two as its train/val ratio.
    counts
        ``(train, val, test)`` sample counts of the ``"counts"`` split.
    groups
        Group label per sample (``"loso"`` only).
    seed
        Seed of the random assignment.

    Returns
    -------
    list of (name, {"train", "val", "test"})
        One entry named ``"random"``/``"counts"``, or one ``"loso_<group>"`` per group.
    """
    from gexnb.data import splits as sp

    if split == "random":
        return [("random", sp.random_split(n, fractions=tuple(fractions), seed=seed))]
    if split == "counts":
        if sum(int(c) for c in counts) > n:
            raise ParameterError(
                f"split counts {tuple(counts)} need {sum(counts)} samples but the data has {n}"
            )
        return [("counts", sp.count_split(n, counts=tuple(int(c) for c in counts), seed=seed))]
    if split == "loso":
        if groups is None:
            raise ParameterError(
                "the loso split needs sample groups: give sample_annotation (a TSV of sample "
                "ids with a group_column, e.g. study)"
            )
        labels = np.asarray(groups, dtype=object)
        if len(labels) != n:
            raise InputError(f"{len(labels)} group labels for {n} samples")
        if not float(fractions[0]) > 0 or float(fractions[1]) < 0:
            raise ParameterError(
                f"the loso split trains on fractions[0] of the other studies' samples and "
                f"validates on fractions[1]: they must be > 0 and >= 0, got {tuple(fractions)}"
            )
        val_share = float(fractions[1]) / float(fractions[0] + fractions[1])
        held_out = sp.leave_one_group_out(labels, val_fraction=val_share, seed=seed)
        names = loso_split_names([group for group, _ in held_out])
        small = {str(g): len(parts["test"]) for g, parts in held_out if len(parts["test"]) < 10}
        if small:  # a new-user trial: a study of one sample, its R^2 silently left out
            log.warning(
                "left-out studies of fewer than 10 samples: %s; their R^2 is unstable "
                "(undefined for one sample), and each counts as much as a large study in "
                "loso_mean (loso_weighted weighs them by their samples)",
                ", ".join(f"{g} ({n})" for g, n in small.items()),
            )
        return [(names[group], parts) for group, parts in held_out]
    raise ParameterError(f"split must be 'random', 'counts' or 'loso', got {split!r}")


#: Split names of the summary rows over the left-out groups (each group's mean and sd, and
#: the mean weighted by the groups' samples): no group's split takes them.
LOSO_SUMMARY_SPLITS = ("loso_mean", "loso_sd", "loso_weighted")


def loso_split_names(groups: Sequence[Any]) -> dict[Any, str]:
    """The split name of each left-out group: ``loso_<group>``, with every character that
    is not a letter, digit, ``.``, ``+`` or ``-`` as ``_``.

    The name is a folder (``models/<split>/``, ``predictions/<split>/``) and part of each
    metric key (``<model>/<split>/<metric>``), so a group label such as ``CD4+/CD25 T Reg``
    (a cell type) or ``../x`` must not reach them as it is: it becomes
    ``loso_CD4+_CD25_T_Reg``. Two groups that would share a name, also one differing only
    in letter case (``CD4``, ``cd4``: one folder on macOS's and Windows' file systems), or a
    group named like a summary row (``mean``, ``sd``, ``weighted``:
    :data:`LOSO_SUMMARY_SPLITS`), get
    ``_2``, ``_3``, ... Each renamed group is logged.

    Parameters
    ----------
    groups
        The group labels, in split order.

    Returns
    -------
    dict
        Group label -> split name.

    Examples
    --------
    >>> loso_split_names(["GSE1", "CD4+/CD25 T Reg", "mean"])
    {'GSE1': 'loso_GSE1', 'CD4+/CD25 T Reg': 'loso_CD4+_CD25_T_Reg', 'mean': 'loso_mean_2'}
    """
    taken = {name.lower() for name in LOSO_SUMMARY_SPLITS}
    names: dict[Any, str] = {}
    for group in groups:
        stem = "loso_" + (re.sub(r"[^A-Za-z0-9.+-]+", "_", str(group)) or "group")
        name, k = stem, 1
        while name.lower() in taken:
            k += 1
            name = f"{stem}_{k}"
        taken.add(name.lower())
        names[group] = name
        if name != f"loso_{group}":
            log.info("left-out group %r is the split %s", group, name)
    return names


def _gene_ranges(
    frame: pd.DataFrame, rows: np.ndarray, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of each gene over ``rows`` (positional indices), read
    ``chunk`` rows at a time so that no copy of the whole matrix is made."""
    rows = np.asarray(rows)
    bottom = np.full(frame.shape[1], np.inf)
    top = np.full(frame.shape[1], -np.inf)
    for start in range(0, len(rows), chunk):
        block = frame.iloc[rows[start : start + chunk]].to_numpy(dtype=np.float64)
        np.minimum(bottom, block.min(axis=0, initial=np.inf), out=bottom)
        np.maximum(top, block.max(axis=0, initial=-np.inf), out=top)
    return bottom, top


def _at_log2_floor(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Genes of a ``log2(max(x, 1))`` matrix (no value below 0) that are 0, the floor, in
    every row of ``rows`` (positional indices)."""
    if not len(rows):
        return []
    top = _gene_ranges(frame, rows)[1]
    return [str(g) for g in frame.columns[top <= 0.0]]


def _constant_genes(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Genes with one value (max == min) in every row of ``rows`` (positional indices)."""
    if not len(rows):
        return []
    bottom, top = _gene_ranges(frame, rows)
    return [str(g) for g in frame.columns[top <= bottom]]


def prepare_split(
    data: LandmarkData,
    parts: Mapping[str, np.ndarray],
    *,
    name: str = "split",
    normalization: str = "train",
    quantile: bool = True,
    joint_quantile: bool = False,
    zero_variance: str = DataChecks.zero_variance,
    min_relative_sd: float = DataChecks.min_relative_sd,
) -> PreparedSplit:
    """Normalise one split: quantile normalisation and per-gene z-scores (D-GEX).

    Parameters
    ----------
    data
        Raw matrices.
    parts
        ``train``/``val``/``test`` index arrays.
    name
        Name of the split (in the result and in the errors).
    normalization
        ``"train"``: the quantile references and the gene means/sds come from the training
        samples only (the default). ``"all"``: from all samples, the D-GEX paper's mode,
        labelled as such. ``"none"``: raw values.
    quantile
        Quantile-normalise each sample before z-scoring (Bolstad et al. 2003, as D-GEX).
        The targets (the truth) are normalised over each sample's landmarks and targets
        together, onto the reference of the statistics' samples. The landmarks (the
        models' inputs) are normalised alone, onto those samples' landmarks' own mean
        sorted profile (:attr:`PreparedSplit.x_reference`), unless ``joint_quantile``:
        so a held-out sample's inputs do not depend on its own target values (gexnb's
        choice; ``gexnb predict`` normalises a new sample's landmarks the same way, and
        gives the notebook's held-out predictions).
    joint_quantile
        The inputs too are normalised over landmarks and targets together, as the D-GEX
        paper normalised its whole data set: every sample's landmark values then depend on
        its target values (all samples share one distribution, so a sample's mean target
        follows from its landmarks), a leak into the held-out samples' inputs that only
        the paper's own recipe (``normalization="all"``) should take.
    zero_variance
        Constant genes in the statistics' samples: ``"error"`` or ``"drop"`` (logged). They
        are found on the values as given, before the quantile normalisation (which would
        give a constant gene varying values); a landmark constant once the landmarks are
        normalised alone (ranked the same among them in every sample) is dropped too.
    min_relative_sd
        Low-variance filter (see :class:`gexnb.data.expression.GeneScaler`): genes whose sd
        in the statistics' samples is below this fraction of the median gene sd are left out,
        listed in ``dropped["low_variance"]``.

    Returns
    -------
    PreparedSplit
        float32 arrays per split; ``y_center`` and ``y_scale`` hold the targets' means and
        sds (to express errors on the (log2) expression scale).
    """
    from gexnb.data import expression as ex

    if normalization not in ("train", "all", "none"):
        raise ParameterError(
            f"normalization must be 'train', 'all' or 'none', got {normalization!r}"
        )
    full = pd.concat([data.X, data.Y], axis=1)
    lm, tg = list(data.X.columns), list(data.Y.columns)
    train_idx = np.asarray(parts["train"])
    y_scale = y_center = x_scale = x_center = x_reference = None
    dropped: dict[str, list[str]] = {}
    if normalization == "none":
        description = "no normalisation"
    else:
        fit_rows = train_idx if normalization == "train" else np.arange(len(full))
        if zero_variance == "error" and str(data.report.get("transform", "")).startswith("log2"):
            # genes at log2(max(x, 1))'s floor in every fitting sample, named in the error
            full.attrs = {**full.attrs, ex.AT_LOG2_FLOOR: _at_log2_floor(full, fit_rows)}
        # constant genes found here, naming the split (a gene constant only in the samples
        # outside one left-out group), and before quantile normalisation, which would give
        # a constant gene varying values
        constant = _constant_genes(full, fit_rows)
        if constant and zero_variance == "error":
            raise ex.zero_variance_error(constant, full.attrs.get(ex.AT_LOG2_FLOOR), split=name)
        if constant:
            log.warning("split %s: dropping %d zero-variance gene(s): %s", name, len(constant),
                        ", ".join(constant[:10]))  # fmt: skip
            full = full.drop(columns=constant)
            lm = [g for g in lm if g not in constant]
            tg = [g for g in tg if g not in constant]
        scaler, full, lm, tg, x_reference, earlier = _normalise(
            full, lm, tg, fit_rows, train_idx, normalization=normalization, quantile=quantile,
            joint_quantile=joint_quantile, zero_variance=zero_variance,
            min_relative_sd=min_relative_sd, split=name,
        )  # fmt: skip
        if scaler.dropped_ or constant or any(earlier.values()):
            low = set(scaler.low_variance_)
            dropped = {
                "zero_variance": constant
                + earlier["zero_variance"]
                + [g for g in scaler.dropped_ if g not in low],
                "low_variance": earlier["low_variance"] + list(scaler.low_variance_),
            }
            if not lm or not tg:
                raise InputError(
                    f"split {name!r}: every landmark or every target gene has zero or low variance"
                )
        assert scaler.mean_ is not None and scaler.scale_ is not None  # fitted just above
        y_scale = scaler.scale_.loc[tg].to_numpy(dtype="float64")
        y_center = scaler.mean_.loc[tg].to_numpy(dtype="float64")
        x_scale = scaler.scale_.loc[lm].to_numpy(dtype="float64")
        x_center = scaler.mean_.loc[lm].to_numpy(dtype="float64")
        how = "over landmarks and targets" if joint_quantile else "landmarks alone"
        description = (f"quantile normalisation ({how}) + " if quantile else "") + (
            scaler.description
        )
    xs = full.loc[:, lm].to_numpy(dtype="float32")
    ys = full.loc[:, tg].to_numpy(dtype="float32")
    x = {k: xs[np.asarray(v)] for k, v in parts.items()}
    y = {k: ys[np.asarray(v)] for k, v in parts.items()}
    for key in ("train", "val", "test"):
        if key in x and len(x[key]) == 0:
            raise InputError(f"split {name!r}: the {key} set is empty")
    return PreparedSplit(
        name,
        x,
        y,
        lm,
        tg,
        description,
        y_scale,
        y_center,
        dropped,
        x_scale,
        x_center,
        quantile and normalization != "none",
        normalization,
        x_reference,
    )


def _normalise(
    full: pd.DataFrame,
    lm: list[str],
    tg: list[str],
    fit_rows: np.ndarray,
    train_idx: np.ndarray,
    *,
    normalization: str,
    quantile: bool,
    joint_quantile: bool,
    zero_variance: str,
    min_relative_sd: float,
    split: str,
) -> tuple[Any, pd.DataFrame, list[str], list[str], np.ndarray | None, dict[str, list[str]]]:
    """:func:`prepare_split`'s quantile normalisation and z-scores of ``full`` (landmarks
    ``lm`` then targets ``tg``, no constant gene in ``fit_rows``).

    When the landmarks are normalised alone and the z-scores leave some out (constant once
    normalised: ranked the same among the landmarks in every sample; or of low variance),
    the landmarks are normalised again without them, so that the landmarks a model takes
    are the ones normalised together, as a new sample's are.

    Returns
    -------
    tuple
        The fitted :class:`~gexnb.data.expression.GeneScaler`, the normalised frame, the
        landmarks and targets kept, the landmark reference (None without quantile
        normalisation) and the landmarks left out before the last normalisation
        (``"zero_variance"``, ``"low_variance"``).
    """
    from gexnb.data import expression as ex

    earlier: dict[str, list[str]] = {"zero_variance": [], "low_variance": []}
    joint = full
    if quantile:
        joint = ex.quantile_normalize(full, reference=ex.quantile_reference(full.iloc[fit_rows]))
    alone = quantile and not joint_quantile
    while True:
        frame = joint.loc[:, lm + tg]
        if alone:
            # the landmarks' own mean sorted profile: no target reaches it (from the
            # landmarks normalised with the targets, a second data set's reference, over
            # all its samples, moved with its targets: a review)
            reference = ex.quantile_reference(full.iloc[fit_rows][lm])
            inputs = ex.quantile_normalize(full.loc[:, lm], reference=reference)
            frame = pd.concat([inputs, joint.loc[:, tg]], axis=1)
        scaler = ex.GeneScaler(
            mode=normalization,
            # a landmark constant once the landmarks are normalised alone is no fault of
            # the data: left out below; a target constant is refused as before
            zero_variance="drop" if alone else zero_variance,
            min_relative_sd=min_relative_sd,
        )
        scaled = scaler.fit_transform(frame, rows=train_idx)
        gone, low = set(scaler.dropped_), set(scaler.low_variance_)
        constant_tg = [g for g in tg if g in gone and g not in low]
        if alone and constant_tg and zero_variance == "error":
            raise ex.zero_variance_error(constant_tg, split=split)
        lost = [g for g in lm if g in gone]
        kept_lm, kept_tg = [g for g in lm if g not in gone], [g for g in tg if g not in gone]
        if alone and not kept_lm and not set(lost) & low:
            raise InputError(
                f"split {split!r}: the {len(lm)} landmark gene(s) quantile-normalised alone "
                "keep the same values in every sample (too few landmarks, or always in the "
                "same order); set quantile: false (in Python quantile=False)"
            )
        if not (alone and lost and kept_lm):
            x_reference = None
            if alone:
                x_reference = reference
            elif quantile and kept_lm:  # the statistics' samples' landmarks, normalised
                # with the targets: where a new sample's landmarks alone are mapped
                x_reference = ex.quantile_reference(joint.iloc[fit_rows][kept_lm])
            return scaler, scaled, kept_lm, kept_tg, x_reference, earlier
        for key, genes in (
            ("low_variance", [g for g in lost if g in low]),
            ("zero_variance", [g for g in lost if g not in low]),
        ):
            earlier[key] += genes
        log.warning(
            "split %s: normalising the landmarks again without the %d left out by the "
            "z-scores (constant once normalised alone, or of low variance): %s",
            split, len(lost), ", ".join(lost[:10]),
        )  # fmt: skip
        lm = kept_lm


def hold_out_study(data: LandmarkData, study: str) -> tuple[LandmarkData, LandmarkData]:
    """Split off the samples of one study as a second data set (a held-out study).

    Unlike the ``loso`` split, which normalises the held-out study with the training
    statistics, the held-out study is then evaluated as a second data set
    (:func:`run_landmark_comparison`'s ``cross_data``): normalised with its own statistics,
    as a study from another lab would be.

    Parameters
    ----------
    data
        Raw matrices with study labels (``groups``).
    study
        Label of the study held out.

    Returns
    -------
    rest, second
        The other studies' samples (``report`` notes the held-out study), and the held-out
        study's samples named after it (no groups, empty report).

    Raises
    ------
    InputError
        No study labels (``sample_annotation``), or no sample or every sample in ``study``.
    """
    if data.groups is None:
        raise InputError(
            f"cross study {study!r} needs study labels: give sample_annotation and group_column"
        )
    held = np.asarray(data.groups).astype(str) == str(study)
    if not held.any() or held.all():
        labels = sorted({str(g) for g in data.groups})
        problem = "no" if not held.any() else "every"
        raise InputError(f"{problem} sample is in study {study!r}; studies: {labels}")
    report = {**data.report, "cross_study": str(study), "cross_study_samples": int(held.sum())}
    rest = LandmarkData(
        data.X[~held],
        data.Y[~held],
        np.asarray(data.groups)[~held],
        report,
        data.name,
        data.landmark_ids,
    )
    second = LandmarkData(data.X[held], data.Y[held], None, {}, str(study))
    return rest, second


def prepare_cross_dataset(
    primary: LandmarkData,
    second: LandmarkData,
    *,
    gene_mismatch: str = "error",
) -> tuple[LandmarkData, LandmarkData]:
    """Align a second data set (cross-platform evaluation) with the primary one.

    Parameters
    ----------
    primary
        The training data set.
    second
        The second data set, evaluated with the models trained on ``primary``.
    gene_mismatch
        ``"error"``: raise if the second set lacks any landmark or target gene of the primary
        set. ``"intersect"``: keep only the genes both sets have (both sets are restricted,
        so the models are trained on the common genes; logged).

    Returns
    -------
    primary, second
        Copies of both sets on the common landmark and target genes, in the primary set's
        order (the primary report counts them).

    Raises
    ------
    InputError
        Genes missing under ``"error"``, or no common landmark/target genes.
    """
    if gene_mismatch not in ("error", "intersect"):
        raise ParameterError(f"gene_mismatch must be 'error' or 'intersect': {gene_mismatch!r}")
    out = []
    for label, a, b in (
        ("landmark", primary.X, second.X),
        ("target", primary.Y, second.Y),
    ):
        missing = [g for g in a.columns if g not in set(b.columns)]
        if missing and gene_mismatch == "error":
            raise InputError(
                f"the second data set {second.name!r} lacks {len(missing)} of the "
                f"{a.shape[1]} {label} genes of {primary.name!r} (e.g. {missing[:5]}); to "
                "evaluate on the common genes, in notebook 03 set cross: {expression_path: "
                "..., gene_mismatch: intersect}; in Python prepare_cross_dataset(..., "
                "gene_mismatch='intersect')"
            )
        common = [g for g in a.columns if g in set(b.columns)]
        if not common:
            raise InputError(
                f"no {label} genes in common between {primary.name!r} and {second.name!r}"
            )
        if missing:
            log.warning(
                "cross-platform: keeping %d common %s genes of %d", len(common), label, a.shape[1]
            )
        out.append(common)
    lm, tg = out
    p = LandmarkData(
        primary.X[lm],
        primary.Y[tg],
        primary.groups,
        dict(primary.report),
        primary.name,
        primary.landmark_ids,
    )
    s = LandmarkData(second.X[lm], second.Y[tg], second.groups, dict(second.report), second.name)
    p.report["cross_common_landmarks"], p.report["cross_common_targets"] = len(lm), len(tg)
    return p, s


def common_genes(
    prepared: PreparedSplit, cross: PreparedSplit, report: dict[str, Any]
) -> tuple[PreparedSplit, PreparedSplit]:
    """Restrict a split and the second data set to the genes both kept (reported).

    Parameters
    ----------
    prepared
        The primary data set's prepared split.
    cross
        The second data set, prepared.
    report
        Data report; genes kept in one set only are listed under
        ``report["cross_reconciled"][prepared.name]`` (updated in place).

    Returns
    -------
    prepared, cross
        Both restricted to the landmark and target genes both kept, in ``prepared``'s order.

    Raises
    ------
    InputError
        No landmark or no target gene kept in both.
    """
    both_lm, both_tg = set(cross.landmarks), set(cross.targets)
    lm = [g for g in prepared.landmarks if g in both_lm]
    tg = [g for g in prepared.targets if g in both_tg]
    if not lm or not tg:
        raise InputError(
            f"split {prepared.name!r}: no landmark or no target gene is kept in both data sets "
            "(constant or low-variance genes left out)"
        )
    gone = {
        "landmarks_left_out_in_second_set": [g for g in prepared.landmarks if g not in both_lm],
        "targets_left_out_in_second_set": [g for g in prepared.targets if g not in both_tg],
        "landmarks_left_out_in_training_set": [
            g for g in cross.landmarks if g not in set(prepared.landmarks)
        ],
        "targets_left_out_in_training_set": [
            g for g in cross.targets if g not in set(prepared.targets)
        ],
    }
    gone = {k: v for k, v in gone.items() if v}
    if gone:
        report.setdefault("cross_reconciled", {})[prepared.name] = gone
        log.warning(
            "split %s: %s left out of both data sets (kept in one only)",
            prepared.name,
            ", ".join(f"{len(v)} {k.split('_')[0]}" for k, v in gone.items()),
        )
    return prepared.restrict(lm, tg), cross.restrict(lm, tg)

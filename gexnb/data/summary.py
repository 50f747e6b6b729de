"""Descriptive summaries of promoter sequences and expression matrices (notebook 01).

Sequence summaries work on the uint8 codes of :mod:`gexnb.data.sequences` (``T=0, C=1, G=2,
A=3, N=4, PAD=5``; sequences left-padded), so they scale to the 6.7 M-row DREAM 2022 training
file (Rafi et al., Nat Biotechnol 2024) without holding strings: lengths are the number of
non-padding codes and base composition is counted per aligned position (the 3' ends line up
because of the left padding, as in the Metformin-121 encoding). Expression summaries follow the
D-GEX set-up (Chen et al., Bioinformatics 2016): samples x genes, landmark/target coverage of
the gene lists, per-gene variance and the most variable genes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gexnb.data.expression._common import _non_numeric_column, _require_frame
from gexnb.data.sequences import check_codes
from gexnb.errors import InputError, ParameterError

__all__ = [
    "BASE_ORDER",
    "sequence_lengths",
    "length_distribution",
    "base_composition",
    "base_composition_by_position",
    "expression_distribution",
    "sequence_summary",
    "gene_variance",
    "expression_summary",
    "summary_metrics",
]

#: Columns of the composition tables, in the seed's channel order plus N.
BASE_ORDER = ("T", "C", "G", "A", "N")
_PAD = 5  # gexnb.data.sequences.PAD_CODE (contract in docs/architecture.md)


def _codes(codes: Any) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise InputError(f"sequence codes must be a 2-D (n, length) array, got shape {arr.shape}")
    return check_codes(arr, what="sequence codes")  # integers in 0..5


def sequence_lengths(codes: Any) -> np.ndarray:
    """Length of each encoded sequence: the number of non-padding codes per row.

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` (``T=0, C=1, G=2, A=3, N=4, PAD=5``), left-padded.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` integer lengths.

    Raises
    ------
    InputError
        ``codes`` not 2-D, or a code outside 0..5 (the first one's row and position named).
    ParameterError
        ``codes`` not an integer array.
    """
    return (_codes(codes) != _PAD).sum(axis=1)


def length_distribution(codes: Any) -> pd.Series:
    """Number of sequences per length (index: length, sorted).

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` (``T=0, C=1, G=2, A=3, N=4, PAD=5``), left-padded.

    Returns
    -------
    pandas.Series
        ``n_sequences`` per ``length``.

    Raises
    ------
    InputError
        ``codes`` not 2-D, or a code outside 0..5 (the first one's row and position named).
    ParameterError
        ``codes`` not an integer array.
    """
    lengths = sequence_lengths(codes)
    values, counts = np.unique(lengths, return_counts=True)
    return pd.Series(counts, index=pd.Index(values, name="length"), name="n_sequences")


def _counts(arr: np.ndarray, axis: int | None) -> np.ndarray:
    return np.stack([(arr == code).sum(axis=axis) for code in range(len(BASE_ORDER))], axis=-1)


def base_composition(codes: Any) -> pd.Series:
    """Overall fraction of T, C, G, A and N among the non-padding positions.

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` (``T=0, C=1, G=2, A=3, N=4, PAD=5``), left-padded.

    Returns
    -------
    pandas.Series
        ``fraction`` per base of :data:`BASE_ORDER` (NaN when there is no base at all).

    Raises
    ------
    InputError
        ``codes`` not 2-D, or a code outside 0..5 (the first one's row and position named).
    ParameterError
        ``codes`` not an integer array.
    """
    arr = _codes(codes)
    counts = _counts(arr, axis=None).astype(float)
    total = counts.sum()
    fractions = counts / total if total else np.full(len(BASE_ORDER), np.nan)
    return pd.Series(fractions, index=list(BASE_ORDER), name="fraction")


def base_composition_by_position(codes: Any, *, min_coverage: float = 0.0) -> pd.DataFrame:
    """Fraction of each base at each aligned position (rows: positions, columns T C G A N).

    Padding is excluded. A position covered (not padded) in no sequence, or in a fraction of
    the sequences below ``min_coverage``, gets NaN (few long sequences make noisy fractions).

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` (``T=0, C=1, G=2, A=3, N=4, PAD=5``), left-padded.
    min_coverage
        Smallest fraction (0 to 1) of the sequences that must cover a position.

    Returns
    -------
    pandas.DataFrame
        ``(length, 5)`` fractions, index ``position``, columns :data:`BASE_ORDER`.

    Raises
    ------
    InputError
        ``codes`` not 2-D, or a code outside 0..5 (the first one's row and position named).
    ParameterError
        ``codes`` not an integer array.
    """
    if not 0.0 <= float(min_coverage) <= 1.0:  # 2 made every cell NaN
        raise ParameterError(f"min_coverage is a fraction in [0, 1], got {min_coverage!r}")
    arr = _codes(codes)
    counts = _counts(arr, axis=0).astype(float)  # (length, 5)
    total = counts.sum(axis=1, keepdims=True)
    enough = (total > 0) & (total >= min_coverage * max(arr.shape[0], 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = np.where(enough, counts / np.where(total > 0, total, 1), np.nan)
    return pd.DataFrame(
        fractions, index=pd.RangeIndex(arr.shape[1], name="position"), columns=list(BASE_ORDER)
    )


def expression_distribution(values: Any) -> dict[str, float]:
    """Count, NaN count, mean, standard deviation (ddof=1), min, quartiles and max of values.

    Parameters
    ----------
    values
        Numbers of any shape (flattened); NaN and infinite values are counted in ``n_nan``
        and left out of the statistics.

    Returns
    -------
    dict
        ``n``, ``n_nan`` and, when any value is finite, ``mean``, ``sd``, ``min``, ``q25``,
        ``median``, ``q75`` and ``max``.
    """
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise InputError(f"expression values must be numbers: {exc}") from None
    finite = arr[np.isfinite(arr)]
    out: dict[str, float] = {"n": int(arr.size), "n_nan": int(arr.size - finite.size)}
    if finite.size:
        q25, median, q75 = np.percentile(finite, [25, 50, 75])
        out.update(
            mean=float(finite.mean()),
            sd=float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
            min=float(finite.min()),
            q25=float(q25),
            median=float(median),
            q75=float(q75),
            max=float(finite.max()),
        )
    return out


def _gc_content(composition: Any) -> float:
    """(G + C) / (A + C + G + T) of a :func:`base_composition` (NaN without any base)."""
    bases = float(sum(composition[b] for b in "ACGT"))
    return float(composition["G"] + composition["C"]) / bases if bases > 0 else float("nan")


def sequence_summary(codes: Any, expression: Any = None) -> dict[str, float]:
    """Counts, lengths, base content and (optionally) the expression distribution.

    Parameters
    ----------
    codes
        uint8 codes (n, length), left-padded.
    expression
        Measured expression per sequence, or ``None``.

    Returns
    -------
    dict
        ``n_sequences``, ``min_length``, ``max_length``, ``mean_length``, ``median_length``,
        ``gc_fraction`` ((G + C) / (A + C + G + T), N left out), ``n_fraction``, ``n_with_n``
        (sequences holding an N), ``n_bases_n``
        and, with ``expression``, ``promoter_expression_<stat>`` from
        :func:`expression_distribution` (the sequences' measured values, named apart from an
        expression matrix's statistics).

    Raises
    ------
    InputError
        ``codes`` not 2-D, or a code outside 0..5 (the first one's row and position named).
    ParameterError
        ``codes`` not an integer array.
    """
    arr = _codes(codes)
    lengths = sequence_lengths(arr)
    composition = base_composition(arr)
    has_n = (arr == 4).any(axis=1)
    out: dict[str, float] = {
        "n_sequences": int(arr.shape[0]),
        "min_length": int(lengths.min()) if lengths.size else 0,
        "max_length": int(lengths.max()) if lengths.size else 0,
        "mean_length": float(lengths.mean()) if lengths.size else float("nan"),
        "median_length": float(np.median(lengths)) if lengths.size else float("nan"),
        # GC content of the bases: N is no base (GCAT + NNNN is 0.5, not 0.25)
        "gc_fraction": _gc_content(composition),
        "n_fraction": float(composition["N"]),
        "n_with_n": int(has_n.sum()),
        "n_bases_n": int((arr == 4).sum()),
    }
    if expression is not None:
        expr = np.asarray(expression, dtype=float).ravel()
        if expr.size != arr.shape[0]:
            raise InputError(f"{expr.size} expression values for {arr.shape[0]} sequences")
        distribution = expression_distribution(expr)
        out.update({f"promoter_expression_{k}": v for k, v in distribution.items()})
    return out


def gene_variance(frame: pd.DataFrame) -> pd.Series:
    """Per-gene variance over samples (ddof=1, NaN ignored), highest first.

    Parameters
    ----------
    frame
        Samples x genes expression.

    Returns
    -------
    pandas.Series
        ``variance`` per gene, sorted in decreasing order (ties keep column order).

    Raises
    ------
    InputError
        Not a DataFrame, or a column that is not numbers (named).
    """
    frame = _require_frame(frame)
    error = _non_numeric_column(frame)
    if error is not None:
        raise error
    return frame.var(axis=0, ddof=1).sort_values(ascending=False, kind="stable").rename("variance")


def expression_summary(
    frame: pd.DataFrame,
    *,
    landmarks: Sequence[str] = (),
    targets: Sequence[str] = (),
    requested_landmarks: int | None = None,
    requested_targets: int | None = None,
    k_genes: int = 10,
) -> dict[str, Any]:
    """Shape, gene-list coverage and variance of a samples x genes matrix.

    Parameters
    ----------
    frame
        Samples x genes expression: the file's matrix, whose genes are counted.
    landmarks, targets
        Landmark and target genes found in ``frame``; a probe group of the gene lists (a
        comma-separated field naming several probes, the mean of those of them in ``frame``:
        :func:`gexnb.data.expression.add_probe_groups`) counts as found when one of its
        probes is a column, and an Ensembl id when a column is that id with a
        ``.<version>``.
    requested_landmarks, requested_targets
        Sizes of the gene lists asked for (default: as many as found); coverage is
        found / requested, as in the D-GEX gene maps (943 landmarks, 9,520 targets).
    k_genes
        Number of most variable genes listed under ``top_variable_genes``.

    Returns
    -------
    dict
        ``n_samples``, ``n_genes``, ``n_landmarks``, ``n_targets``, ``landmark_coverage``,
        ``target_coverage`` (left out when no genes were requested), ``n_nan`` (the missing
        values of the file as read: ``attrs["nan_values_read"]`` of
        :func:`gexnb.data.expression.read_expression`), ``n_genes_dropped_for_nan``,
        ``n_samples_dropped_for_nan`` and ``n_values_imputed`` (what the NaN policy did),
        ``mean_gene_variance``, ``median_gene_variance``, ``n_zero_variance_genes`` (genes
        with one value in every sample),
        ``value_<stat>`` and ``top_variable_genes`` (a list).
    """
    variance = gene_variance(frame)
    from gexnb.data.expression.genes import matrix_columns

    behind = matrix_columns([*landmarks, *targets], frame.columns)
    missing_columns = [g for g, found in behind.items() if not found]
    if missing_columns:
        raise InputError(f"genes not in the expression matrix: {', '.join(missing_columns[:5])}")
    req_lm = len(landmarks) if requested_landmarks is None else requested_landmarks
    req_tg = len(targets) if requested_targets is None else requested_targets
    values = frame.to_numpy(dtype=float)
    out: dict[str, Any] = {
        "n_samples": int(frame.shape[0]),
        "n_genes": int(frame.shape[1]),
        "n_landmarks": len(landmarks),
        "n_targets": len(targets),
        # the file's missing values as read, before the NaN policy removed or filled them
        "n_nan": int(frame.attrs.get("nan_values_read", np.isnan(values).sum())),
        "n_genes_dropped_for_nan": len(frame.attrs.get("dropped_for_nan", ())),
        "n_samples_dropped_for_nan": len(frame.attrs.get("samples_dropped_for_nan", ())),
        "n_values_imputed": int(frame.attrs.get("values_imputed", 0)),
        "mean_gene_variance": float(variance.mean()),
        "median_gene_variance": float(variance.median()),
        # one value in every sample, as notebook 03 calls a gene constant (an absolute
        # variance cutoff called a gene on a 1e-7 scale constant; the review)
        "n_zero_variance_genes": int((frame.max() == frame.min()).sum()),
    }
    for name, found, requested in (("landmark", landmarks, req_lm), ("target", targets, req_tg)):
        if requested:  # no list given (notebook 01 on a matrix for notebook 04): no coverage
            out[f"{name}_coverage"] = len(found) / requested
    dist = expression_distribution(values)
    out.update({f"value_{k}": v for k, v in dist.items() if k not in ("n", "n_nan")})
    out["top_variable_genes"] = list(variance.index[:k_genes])
    return out


def summary_metrics(summary: Mapping[str, Any], *, split: str = "all") -> dict[str, int | float]:
    """Numeric entries of a summary as metrics keys ``data/<split>/<name>`` (Python numbers).

    Parameters
    ----------
    summary
        A summary, e.g. of :func:`sequence_summary` or :func:`expression_summary`; its
        non-numeric and boolean entries are left out.
    split
        Name of the split, the middle part of the keys.

    Returns
    -------
    dict
        ``data/<split>/<name>`` -> int or float.
    """
    return {
        f"data/{split}/{key}": value.item() if isinstance(value, np.generic) else value
        for key, value in summary.items()
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    }

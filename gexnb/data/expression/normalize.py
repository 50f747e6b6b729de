"""Normalisation: log2, quantile normalisation, per-gene z-scores, variable genes."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from gexnb.data.expression._common import (
    _choice,
    _non_numeric_column,
    _preview,
    _require_frame,
    _whole_number,
)
from gexnb.data.expression.defaults import DEFAULT_TRANSFORM, DataChecks
from gexnb.errors import InputError, ParameterError

log = logging.getLogger(__name__)


def _values(frame: pd.DataFrame, name: str = "matrix") -> np.ndarray:
    try:
        values = np.asarray(frame, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        error = _non_numeric_column(frame, name) if isinstance(frame, pd.DataFrame) else None
        raise error or InputError(f"{name} holds values that are not numbers ({exc})") from None
    if values.ndim != 2:
        raise InputError(f"{name} must be 2-D (samples x genes), got shape {values.shape}")
    if not np.isfinite(values).all():
        raise InputError(f"{name} holds NaN or infinite values")
    return values


def quantile_reference(frame: pd.DataFrame) -> np.ndarray:
    """Mean sorted profile across samples: the target distribution of quantile normalisation.

    Parameters
    ----------
    frame
        Samples x genes matrix (finite values).

    Returns
    -------
    numpy.ndarray
        The mean, over samples, of each sample's sorted values (length n genes).
    """
    return np.sort(_values(frame), axis=1).mean(axis=0)


def quantile_normalize(frame: pd.DataFrame, *, reference: np.ndarray | None = None) -> pd.DataFrame:
    """Quantile normalisation across samples (Bolstad et al. 2003), as used by D-GEX.

    Each sample (row) is mapped onto the mean sorted profile: the value of rank ``k`` becomes
    the ``k``-th value of the reference. Ties get their average rank
    (``scipy.stats.rankdata(method="average")``) and the reference is linearly interpolated at
    that (possibly fractional) rank.

    Parameters
    ----------
    frame
        Samples x genes matrix without NaN.
    reference
        Sorted target profile of length n genes (e.g. :func:`quantile_reference` of the
        training samples); defaults to the mean sorted profile of ``frame``.

    Returns
    -------
    pandas.DataFrame
        Same labels; every row has the reference's distribution.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame or holds NaN; ``reference`` is not one value per gene or
        holds NaN or infinite values.
    """
    values = _values(_require_frame(frame))
    ref = (
        quantile_reference(frame) if reference is None else np.asarray(reference, dtype=np.float64)
    )
    if ref.shape != (values.shape[1],):
        raise InputError(f"reference has shape {ref.shape}, expected ({values.shape[1]},)")
    if not np.isfinite(ref).all():
        first = int(np.flatnonzero(~np.isfinite(ref))[0])
        raise InputError(f"reference holds NaN or infinite values (first at position {first})")
    ranks = rankdata(values, method="average", axis=1) - 1.0
    out = np.interp(ranks.ravel(), np.arange(ref.size), np.sort(ref)).reshape(values.shape)
    result = pd.DataFrame(out, index=frame.index, columns=frame.columns)
    result.attrs = dict(frame.attrs)
    return result


#: ``DataFrame.attrs`` key: genes whose every value (in the samples a :class:`GeneScaler` is
#: fitted on) sits at the floor of ``log2(max(x, 1))``, i.e. was at most 1 before the log;
#: set by :func:`gexnb.data.landmark.prepare_split`, named as such in the zero-variance error.
AT_LOG2_FLOOR = "at_log2_floor"


def _floor_note(names: list[str], at_floor: Any) -> str:
    """``; GENE1 ... at the log2 floor ...`` for the constant genes that sit at the floor of
    ``log2(max(x, 1))`` in every fitting sample, else ``""``."""
    floored = set(at_floor or ())
    hit = [g for g in names if g in floored]
    if not hit:
        return ""
    if len(hit) == len(names):
        which = "it sits" if len(names) == 1 else "they all sit"
    else:
        which = f"{_preview(hit)} sit{'s' if len(hit) == 1 else ''}"
    return (
        f"; {which} at the floor of transform's log2(max(x, 1)) in every fitting sample: "
        "each value is at most 1 (e.g. TPM below 1), which the log sets to 0"
    )


def zero_variance_error(names: list[str], at_floor: Any = None, *, split: str = "") -> InputError:
    """The error for genes that are constant in the fitting samples (``zero_variance:
    error``), naming them, the ``log2(max(x, 1))`` floor when that made them constant
    (``at_floor``: the genes at the floor), and the setting that leaves them out.

    Parameters
    ----------
    names
        The constant genes.
    at_floor
        The genes at the ``log2(max(x, 1))`` floor in every fitting sample, or None.
    split
        The split whose fitting samples these are (named in the message), or ``""``.

    Returns
    -------
    InputError
        The error to raise (not raised here).
    """
    where = f" of split {split!r}" if split else ""
    return InputError(
        f"{len(names)} gene(s) have zero variance in the fitting samples{where}: "
        f"{_preview(names)}{_floor_note(names, at_floor)} "
        "(to leave them out, in the notebooks set data_checks: {zero_variance: "
        "drop}; in Python zero_variance='drop')"
    )


def _rows(rows: Any, frame: pd.DataFrame) -> np.ndarray:
    """``rows`` as positional indices (or a boolean mask) of ``frame``, each checked."""
    index = np.asarray(rows)
    n = frame.shape[0]
    if index.dtype == bool:
        if index.shape != (n,):
            raise ParameterError(
                f"rows is a boolean mask of shape {index.shape} for {n} samples; give one "
                "value per sample, or positional indices"
            )
        return index
    if index.size and index.dtype.kind in "iuf":
        bad = index[(index >= n) | (index < -n)]
        if bad.size:
            raise ParameterError(f"rows: row {bad[0].item()} is out of range ({n} samples)")
    return index


class GeneScaler:
    """Per-gene z-scoring, ``(x - mean) / sd``, with statistics from the training samples.

    D-GEX (Chen et al. 2016) z-scored each gene with statistics over **all** samples
    (``mode="all"``, kept for reproducing the paper and labelled as such in
    :attr:`description`); the default ``mode="train"`` uses only the rows given for training,
    which avoids leaking test statistics.

    Parameters
    ----------
    mode
        ``"train"`` or ``"all"``.
    zero_variance
        Genes with zero standard deviation: ``"error"`` (raise, naming them, and saying which
        sit at the floor of ``log2(max(x, 1))`` when ``frame.attrs[AT_LOG2_FLOOR]`` lists
        them) or ``"drop"`` (left out of :meth:`transform`'s output, listed in
        :attr:`dropped_`, logged).
    ddof
        Delta degrees of freedom of the standard deviation (0 as scikit-learn's StandardScaler);
        a whole number from 0 to the number of fitting samples - 1.
    min_relative_sd
        Low-variance filter: genes whose sd is below this fraction of the median gene sd
        (of the fitting samples, zero-variance genes aside) are dropped too, listed in
        :attr:`low_variance_` and logged. A near-constant gene (a probe at the detection
        floor) has z-scores that are mostly noise and can dominate mean errors. 0 keeps
        every gene with non-zero variance. Relative, so that it means the same on any scale.
        Default: :attr:`DataChecks.min_relative_sd <gexnb.data.expression.DataChecks>` (0.1),
        as in the notebooks.

    Attributes
    ----------
    mean_, scale_
        Per-gene mean and sd of the kept genes.
    dropped_
        Every gene left out (zero-variance and low-variance).
    low_variance_
        Genes left out by ``min_relative_sd``.

    Raises
    ------
    ParameterError
        An unknown ``mode`` or ``zero_variance``, ``ddof`` not a whole number >= 0, or
        ``min_relative_sd`` outside [0, 1).
    """

    def __init__(
        self,
        *,
        mode: str = "train",
        zero_variance: str = DataChecks.zero_variance,
        ddof: int = 0,
        min_relative_sd: float = DataChecks.min_relative_sd,
    ):
        self.mode = _choice(mode, ("train", "all"), "mode")
        self.zero_variance = _choice(zero_variance, ("error", "drop"), "zero_variance")
        self.ddof = _whole_number(ddof, "ddof")
        if self.ddof < 0:
            raise ParameterError(f"ddof must be >= 0, got {ddof!r}")
        if isinstance(min_relative_sd, bool) or not 0.0 <= float(min_relative_sd) < 1.0:
            raise ParameterError(f"min_relative_sd must be in [0, 1), got {min_relative_sd!r}")
        self.min_relative_sd = float(min_relative_sd)
        self.mean_: pd.Series | None = None
        self.scale_: pd.Series | None = None
        self.dropped_: list[str] = []
        self.low_variance_: list[str] = []
        self.n_samples_: int = 0

    @property
    def description(self) -> str:
        """Human-readable label of where the statistics come from."""
        if self.mean_ is None:
            return "unfitted"
        if self.mode == "all":
            text = (
                f"z-score per gene, all-samples statistics (D-GEX paper mode, n={self.n_samples_})"
            )
        else:
            text = f"z-score per gene, training-sample statistics (n={self.n_samples_})"
        if self.min_relative_sd > 0:
            text += (
                f"; {len(self.low_variance_)} gene(s) with sd < {self.min_relative_sd:g} x the "
                "median gene sd left out"
            )
        return text

    def fit(self, frame: pd.DataFrame, *, rows: Any = None) -> GeneScaler:
        """Compute per-gene mean and sd.

        Parameters
        ----------
        frame
            Samples x genes matrix.
        rows
            Positional indices of the training rows (``mode="train"``); all rows when None.
            Ignored in ``mode="all"``.

        Returns
        -------
        GeneScaler
            ``self``, fitted.

        Raises
        ------
        InputError
            Fewer than 2 fitting samples, NaN values, or genes of zero variance (under
            ``zero_variance="error"``).
        ParameterError
            A row index out of range, or ``ddof`` not below the number of fitting samples.
        """
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        data = frame if rows is None or self.mode == "all" else frame.iloc[_rows(rows, frame)]
        values = _values(data)
        if values.shape[0] < 2:
            raise InputError(f"need at least 2 samples to fit a scaler, got {values.shape[0]}")
        if self.ddof >= values.shape[0]:
            raise ParameterError(
                f"ddof must be in 0..{values.shape[0] - 1} (n_samples - 1 for the "
                f"{values.shape[0]} fitting samples), got {self.ddof}"
            )
        mean = values.mean(axis=0)
        sd = values.std(axis=0, ddof=self.ddof)
        zero = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
        genes = [str(c) for c in frame.columns]
        if zero.any():
            names = [g for g, z in zip(genes, zero, strict=True) if z]
            if self.zero_variance == "error":
                raise zero_variance_error(names, frame.attrs.get(AT_LOG2_FLOOR))
            log.warning("dropping %d zero-variance gene(s): %s", len(names), _preview(names))
        low = np.zeros_like(zero)
        if self.min_relative_sd > 0 and (~zero).any():
            floor = self.min_relative_sd * float(np.median(sd[~zero]))
            low = ~zero & (sd < floor)
            if low.any():
                names = [g for g, z in zip(genes, low, strict=True) if z]
                log.warning(
                    "dropping %d low-variance gene(s) (sd < %.3g = %g x the median gene sd): %s",
                    len(names),
                    floor,
                    self.min_relative_sd,
                    _preview(names),
                )
        self.low_variance_ = [g for g, z in zip(genes, low, strict=True) if z]
        self.dropped_ = [g for g, z in zip(genes, zero | low, strict=True) if z]
        keep = ~(zero | low)
        if not keep.any():
            raise InputError("every gene has zero or low variance in the fitting samples")
        self.mean_ = pd.Series(mean[keep], index=[g for g, k in zip(genes, keep, strict=True) if k])
        self.scale_ = pd.Series(sd[keep], index=self.mean_.index)
        self.n_samples_ = values.shape[0]
        return self

    def _aligned(self, frame: Any) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
        if self.mean_ is None or self.scale_ is None:
            raise ParameterError("GeneScaler is not fitted; call fit() first")
        if not isinstance(frame, pd.DataFrame):
            values = np.asarray(frame, dtype=np.float64)
            if values.ndim != 2 or values.shape[1] != len(self.mean_):
                raise InputError(
                    f"array has shape {values.shape}; expected (n, {len(self.mean_)}) for the "
                    "fitted genes"
                )
            return pd.DataFrame(values, columns=self.mean_.index), self.mean_, self.scale_
        cols = [str(c) for c in frame.columns]
        kept = [c for c in cols if c not in self.dropped_]
        unknown = [c for c in kept if c not in self.mean_.index]
        if unknown:
            raise InputError(
                f"{len(unknown)} gene(s) were not in the fitted data: {_preview(unknown)}"
            )
        sub = frame.loc[:, [c not in self.dropped_ for c in cols]]
        return sub, self.mean_.loc[kept], self.scale_.loc[kept]

    def transform(self, frame: Any) -> Any:
        """Z-score ``frame`` (DataFrame: by gene name, any subset of the fitted genes; array:
        all kept genes in fitted order). Returns the same type."""
        sub, mean, scale = self._aligned(frame)
        out = (sub.to_numpy(dtype=np.float64) - mean.to_numpy()) / scale.to_numpy()
        if isinstance(frame, pd.DataFrame):
            return pd.DataFrame(out, index=sub.index, columns=sub.columns)
        return out

    def fit_transform(self, frame: pd.DataFrame, *, rows: Any = None) -> pd.DataFrame:
        """:meth:`fit`, then :meth:`transform` of the whole ``frame``."""
        return self.fit(frame, rows=rows).transform(frame)

    def inverse_transform(self, frame: Any) -> Any:
        """Undo :meth:`transform`: ``z * sd + mean`` (same input conventions)."""
        sub, mean, scale = self._aligned(frame)
        out = sub.to_numpy(dtype=np.float64) * scale.to_numpy() + mean.to_numpy()
        if isinstance(frame, pd.DataFrame):
            return pd.DataFrame(out, index=sub.index, columns=sub.columns)
        return out


def top_variable_genes(frame: pd.DataFrame, k: int, *, exclude: Iterable[str] = ()) -> list[str]:
    """The ``k`` genes with the largest sample variance, as in the attention-LSTM study's
    top-50 most variable genes (seed 004). Ties keep column order.

    Parameters
    ----------
    frame
        Samples x genes matrix (use the training samples only to avoid leakage).
    k
        Number of genes.
    exclude
        Genes not eligible (e.g. the prediction target).

    Returns
    -------
    list of str
        The ``k`` gene names, largest variance first.

    Raises
    ------
    ParameterError
        If ``k`` is not a whole number, ``k < 1`` or ``k`` exceeds the eligible genes.
    InputError
        If ``frame`` is not a DataFrame, or holds NaN or non-numeric values.
    """
    _require_frame(frame)
    k = _whole_number(k, "k")
    excluded = {str(e) for e in exclude}
    cols = [c for c in frame.columns if str(c) not in excluded]
    if k < 1 or k > len(cols):
        raise ParameterError(f"k={k} genes requested but {len(cols)} are available")
    var = (
        np.var(_values(frame.loc[:, cols]), axis=0, ddof=1)
        if frame.shape[0] > 1
        else np.zeros(len(cols))
    )
    order = np.argsort(-var, kind="stable")[:k]
    return [str(cols[i]) for i in order]


def standardised_warning(frame: pd.DataFrame, source: str = "") -> str:
    """A warning when ``frame`` looks z-scored per gene (every gene centred on 0 with an sd
    near 1, as scanpy's ``sc.pp.scale`` leaves an ``.h5ad``'s ``X``): its most variable
    genes are then chosen by noise and clipping, not biology. ``""`` otherwise.

    The test: the median gene sd within 0.8-1.25 and the median ``|mean| / sd`` below 0.1
    (log expression has means of several sds). Log ratios centred per gene whose sds happen
    to be near 1 are warned of too: for them the choice by variance is sound, and the
    warning can be ignored.

    Parameters
    ----------
    frame
        Samples x genes matrix.
    source
        The file, named in the message.

    Returns
    -------
    str
        The message (logged by the caller), or ``""``.
    """
    if frame.shape[0] < 3 or frame.shape[1] < 2:
        return ""
    values = _values(frame)
    sd = np.nanstd(values, axis=0, ddof=1)
    mean = np.nanmean(values, axis=0)
    ok = sd > 0
    if not ok.any():
        return ""
    median_sd = float(np.median(sd[ok]))
    centred = float(np.median(np.abs(mean[ok]) / sd[ok]))
    if not (0.8 <= median_sd <= 1.25 and centred < 0.1):
        return ""
    where = f"{source}: " if source else ""
    return (
        f"{where}the genes look z-scored (median gene sd {median_sd:.2f}, means near 0): the "
        "most variable genes of a scaled matrix are picked by noise, not biology; give the "
        "values before scaling (of an .h5ad, adata.raw.to_adata() or the layer of "
        "log-normalised values)"
    )


def log2_transform(frame: pd.DataFrame, *, floor: float = 1.0) -> pd.DataFrame:
    """``log2(max(x, floor))``, the usual transform of linear-scale MAS5 signal.

    Every value below ``floor`` (1 by default) becomes ``log2(floor)`` (0): there is no
    pseudo-count, so TPM or counts below 1 all become 0, and a gene whose values are all at
    most ``floor`` becomes constant (an error under ``data_checks: {zero_variance: error}``
    in notebook 03). For ``log2(x + 1)``, transform the matrix yourself and read it with
    ``transform: none``.

    Parameters
    ----------
    frame
        Samples x genes matrix (linear scale).
    floor
        Smallest value kept before the logarithm; must be positive.

    Returns
    -------
    pandas.DataFrame
        The log2 matrix, same index, columns and ``attrs``.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame, or holds NaN or non-numeric values.
    ParameterError
        ``floor`` is not positive.
    """
    _require_frame(frame)
    if not floor > 0:
        raise ParameterError(f"floor={floor} must be > 0")
    values = np.log2(np.maximum(_values(frame), floor))
    result = pd.DataFrame(values, index=frame.index, columns=frame.columns)
    result.attrs = dict(frame.attrs)
    return result


#: Choices of the notebooks' ``transform`` parameter.
TRANSFORMS = ("auto", "log2", "none")
#: ``transform="auto"`` takes the log when values above this (clearly not log2) are not
#: rare: :data:`AUTO_LOG_SHARE` of the values, and two at least.
AUTO_LOG_ABOVE = 100.0
#: The share of the values above :data:`AUTO_LOG_ABOVE` from which ``transform="auto"``
#: reads a matrix as linear-scale; fewer are outliers of a log-scale matrix, kept and
#: named (a new-user trial: one stray 250 in a log2 matrix had the whole matrix logged again).
AUTO_LOG_SHARE = 1e-4
#: A log2 expression value rarely exceeds this (2**30 on the linear scale): ``"auto"`` warns
#: when 1 % of the values do and it keeps the matrix as given.
LOG2_PLAUSIBLE_MAX = 30.0


def _linear_count(n_values: int) -> int:
    """How many of ``n_values`` must exceed :data:`AUTO_LOG_ABOVE` for ``transform: auto``
    to read a matrix as linear-scale: :data:`AUTO_LOG_SHARE` of them, two at least."""
    return int(np.ceil(max(2.0, AUTO_LOG_SHARE * n_values)))


def robust_max(values: np.ndarray) -> float:
    """The largest of ``values`` but its rare outliers, as ``transform: auto`` sees them: the
    ``m``-th largest finite value, ``m`` the count of values above :data:`AUTO_LOG_ABOVE`
    from which ``auto`` takes the log (:data:`AUTO_LOG_SHARE` of them, two at least), so
    that ``auto`` takes the log exactly when this exceeds :data:`AUTO_LOG_ABOVE`. ``gexnb
    predict`` compares a file's scale with the training file's on it (a review: one stray
    value made a log2 training file look linear-scale, and a log2 file to predict too).

    Parameters
    ----------
    values
        Any array (NaN and infinite values are left out).

    Returns
    -------
    float
        NaN when no value is finite.
    """
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return float("nan")
    m = min(finite.size, _linear_count(finite.size))
    return float(np.partition(finite, finite.size - m)[finite.size - m])


def transform_expression(
    frame: pd.DataFrame, transform: str = DEFAULT_TRANSFORM, *, source: str | None = None
) -> tuple[pd.DataFrame, str]:
    """Notebooks 01, 03 and 04's ``transform`` parameter: the matrix on a log2 scale.

    Parameters
    ----------
    frame
        Samples x genes matrix.
    transform
        ``"log2"``: :func:`log2_transform`, ``log2(max(x, 1))`` (linear-scale signal such as
        MAS5, as D-GEX's preprocessing); ``"none"``: as given; ``"auto"``: the same
        ``log2(max(x, 1))`` when values above :data:`AUTO_LOG_ABOVE` are not rare (a log2
        expression scale stays below about 20): :data:`AUTO_LOG_SHARE` of the values, and two
        at least; fewer are kept as given, as outliers, and warned of, and so is a matrix
        kept as given of which 1 % of the values exceed :data:`LOG2_PLAUSIBLE_MAX` (TPM
        below 100?); the decision is logged. The log floors every value below 1 at 0 (no
        pseudo-count): TPM or counts below 1 all become 0, and a gene with no value above 1
        becomes constant. For ``log2(x + 1)``, transform the matrix yourself and pass
        ``"none"``. Negative values cannot be linear-scale signal: with them ``"auto"``
        never takes the log, and refuses to guess when values above the threshold come with
        them (log ratios with an outlier, or counts after a batch correction); ``"log2"``
        warns that it floors them at 0. A matrix of whole numbers taken to the log is
        warned of as raw counts, whose library sizes the log does not normalise.
    source
        The file the matrix came from, named in the error.

    Returns
    -------
    frame, applied
        The matrix and what was done (``"log2(max(x, 1))"`` or ``"none"``), for the report.

    Raises
    ------
    InputError
        ``"auto"`` on a matrix with both negative values and values above
        :data:`AUTO_LOG_ABOVE`.
    """
    if transform not in TRANSFORMS:
        raise ParameterError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
    if transform == "none":
        return frame, "none"
    values = _values(frame)
    n_negative = int(np.count_nonzero(values < 0))
    if transform == "auto":
        largest = float(np.nanmax(values))
        where = f"{source}: " if source else ""
        finite = int(np.count_nonzero(np.isfinite(values)))
        if largest <= AUTO_LOG_ABOVE:
            high = int(np.count_nonzero(values > LOG2_PLAUSIBLE_MAX))
            if high and high >= 0.01 * finite:
                log.warning(
                    "%stransform: auto keeps the values as given (none above %g), but %.1f %% "
                    "of them exceed %g, which a log2 scale rarely does: linear-scale values "
                    "(TPM?)? transform: log2 takes the log",
                    where, AUTO_LOG_ABOVE, 100 * high / finite, LOG2_PLAUSIBLE_MAX,
                )  # fmt: skip
            return frame, "none"
        above = int(np.count_nonzero(values > AUTO_LOG_ABOVE))
        if above < _linear_count(finite) and not n_negative:
            log.warning(
                "%stransform: auto keeps the values as given: only %d of %d exceed %g (max "
                "%.3g), outliers of a log scale; transform: log2 if the matrix is linear-scale",
                where, above, finite, AUTO_LOG_ABOVE, largest,
            )  # fmt: skip
            return frame, "none"
        if n_negative:
            raise InputError(
                f"transform: auto cannot tell the scale: {n_negative:,} negative value(s) (min "
                f"{float(np.nanmin(values)):.3g}), which linear-scale signal cannot have, and "
                f"values above {AUTO_LOG_ABOVE:g} (max {largest:.3g}), which a log scale rarely "
                "has; set transform: none (already log or centred) or transform: log2 (every "
                "value below 1, the negative ones included, becomes 0)",
                path=source,
            )
    elif n_negative:
        warnings.warn(
            f"{source + ': ' if source else ''}transform: log2 floors {n_negative:,} negative "
            "value(s) at 0 (log2(max(x, 1))); transform: none keeps them",
            stacklevel=2,
        )
    if transform == "auto":
        log.warning(
            "%sthe values look linear-scale (%d of %d above %g): log2(max(x, 1)) applied "
            "(transform: none keeps them as given)",
            where, above, finite, AUTO_LOG_ABOVE,
        )  # fmt: skip
    if _whole_numbers(values):
        log.warning(
            "%severy value is a whole number: raw counts? log2(max(x, 1)) does not "
            "normalise library sizes, so genes would partly measure sequencing depth; give "
            "counts normalised per sample (CPM, TPM, DESeq2's or edgeR's) with transform: "
            "log2, or their log with transform: none",
            f"{source}: " if source else "",
        )  # fmt: skip
    return log2_transform(frame), "log2(max(x, 1))"


def _whole_numbers(values: np.ndarray) -> bool:
    """Whether every finite value of ``values`` is a whole number (raw read counts)."""
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(np.all(finite == np.round(finite)))

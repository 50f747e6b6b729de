"""Regression metrics, per-gene errors and the DREAM Challenge 2022 scores.

Conventions
-----------
- ``y_true`` / ``y_pred`` are 1-D (one target) or 2-D (samples x genes) array-likes
  (numpy arrays or pandas objects). Missing values are bad input: a NaN or infinite value
  raises :class:`gexnb.errors.InputError` naming how many there are and where the first one is.
- For 2-D inputs, :func:`regression_report` computes MAE, MSE and RMSE over all entries,
  R^2 as scikit-learn's ``r2_score(..., multioutput="uniform_average")`` (the mean of the
  per-gene R^2 values) and Pearson/Spearman correlations on the flattened arrays.
- The D-GEX papers (Chen et al. 2016, Bioinformatics 32:1832) report the mean absolute error
  per target gene, averaged over genes, the relative improvement over linear regression and the
  share of genes where a model beats linear regression: :func:`per_gene_mae`,
  :func:`relative_improvement` and :func:`share_improved`.
- :func:`dream_score` implements the Random Promoter DREAM Challenge 2022 scores
  (Rafi et al. 2024, Nat Biotechnol): weighted Pearson r^2 and Spearman rho over test subsets,
  with paired subsets (SNV, motif perturbation, motif tiling) scored on alt - ref differences.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import r2_score

from gexnb.errors import InputError, ParameterError

__all__ = [
    "DREAM_WEIGHTS",
    "DREAM_WEIGHT_TOTAL",
    "DREAM_PAIRED_SUBSETS",
    "regression_report",
    "per_gene_mae",
    "relative_improvement",
    "share_improved",
    "prefixed",
    "dream_score",
    "parse_dream_subsets",
]

#: Subset weights of the DREAM Challenge 2022 organisers (Rafi et al. 2024). The weighted sum is
#: divided by :data:`DREAM_WEIGHT_TOTAL` (4.65).
DREAM_WEIGHTS: dict[str, float] = {
    "all": 1.0,
    "high_exp": 0.3,
    "low_exp": 0.3,
    "yeast": 0.3,
    "all_random": 0.3,
    "challenging": 0.5,
    "SNV": 1.25,
    "motif_perturbation": 0.3,
    "motif_tiling": 0.4,
}

#: Sum of :data:`DREAM_WEIGHTS`, the organisers' normaliser.
DREAM_WEIGHT_TOTAL: float = 4.65

#: Subsets the organisers score on differences between paired (alt, ref) sequences.
DREAM_PAIRED_SUBSETS: tuple[str, ...] = ("SNV", "motif_perturbation", "motif_tiling")


def _as_float_array(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} is not numeric ({exc})") from exc
    if arr.ndim == 0 or arr.ndim > 2:
        raise InputError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
    if arr.size == 0:
        raise InputError(f"{name} is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"index {first[0]}" if arr.ndim == 1 else f"row {first[0]}, column {first[1]}"
        raise InputError(
            f"{name} holds {int(bad.sum())} NaN or infinite value(s), first at {where}"
        )
    return arr


def _first_label_mismatch(a: pd.Index, b: pd.Index) -> tuple[Any, Any] | None:
    """First position where two equally long label indexes differ (``None`` when equal)."""
    if a.equals(b):
        return None
    for x, y in zip(a, b, strict=True):
        both_missing = pd.api.types.is_scalar(x) and pd.api.types.is_scalar(y)
        if both_missing and pd.isna(x) and pd.isna(y):
            continue
        if not (x == y):
            return x, y
    return None


def _check_labels(
    first: Any, second: Any, names: tuple[str, str] = ("y_true", "y_pred"), *, ordered: bool = True
) -> None:
    """Refuse two pandas objects holding the same labels in a different order.

    Positional arrays are compared element by element, so two pandas objects with the same
    row (or column) labels in another order would be silently compared row against wrong
    row. Labels that differ as sets (sample ids against a default ``RangeIndex``, a column
    ``expression`` against ``prediction``) are compared by position, as arrays are; two
    sets that only partly overlap get a warning. With ``ordered=False`` (for inputs that are
    only averaged) the order does not matter. A single column on both sides is not checked.
    Call after the shape check: labels of different lengths are left to it.
    """
    frames = (pd.Series, pd.DataFrame)
    if not (isinstance(first, frames) and isinstance(second, frames)):
        return
    axes = [("row", first.index, second.index)]
    if isinstance(first, pd.DataFrame) and isinstance(second, pd.DataFrame):
        if first.shape[1] > 1 or second.shape[1] > 1:
            axes.append(("column", first.columns, second.columns))
    for kind, a, b in axes:
        if len(a) != len(b) or a.equals(b):
            continue
        common = len(set(a) & set(b))
        if common == len(a) == len(set(a)):  # the same labels
            mismatch = _first_label_mismatch(a, b) if ordered else None
            if mismatch is not None:
                raise InputError(
                    f"{names[0]} and {names[1]} have the same {kind} labels in another order "
                    f"(first: {mismatch[0]!r} vs {mismatch[1]!r}); align them "
                    f"({names[1]}.reindex_like({names[0]}))"
                )
        elif common:
            warnings.warn(
                f"{names[0]} and {names[1]} share {common} of {len(a)} {kind} labels: they "
                "are compared by position; align them first if the labels name the same "
                "samples or genes",
                stacklevel=3,
            )


def _pair(y_true: Any, y_pred: Any, *, one_d: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``y_true``/``y_pred`` as float arrays of one shape, checked for NaN and label alignment.

    A single-column 2-D input next to a 1-D one is squeezed; with ``one_d`` both must be 1-D
    (a single column is squeezed).
    """
    t = _as_float_array(y_true, "y_true")
    p = _as_float_array(y_pred, "y_pred")
    if one_d:
        t, p = _one_d(t, "y_true"), _one_d(p, "y_pred")
    if t.ndim == 2 and t.shape[1] == 1 and p.ndim == 1:
        t = t[:, 0]
    if p.ndim == 2 and p.shape[1] == 1 and t.ndim == 1:
        p = p[:, 0]
    if t.shape != p.shape:
        raise InputError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    _check_labels(y_true, y_pred)
    return t, p


def _one_d(arr: np.ndarray, name: str) -> np.ndarray:
    """A 1-D array, or a single column squeezed to 1-D; anything else is refused."""
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


#: A prediction whose range (max - min) is at most this fraction of the truth's is constant
#: for :func:`_corr`, on purpose: below float32's resolution of the truth's scale, its
#: variation is rounding (the predict-the-mean baseline of z-scored float32 targets varies
#: by about 1e-8 between genes, which gave Pearson r values of +-0.01 that changed with the
#: row order; found by an audit recomputing every metric). A prediction a million times
#: flatter than the truth (``t * 1e-7``) is treated alike, though its r is 1: such a model
#: predicts a constant for any practical use. The truth is measured, never rounding: it is
#: constant only when all its values are equal, so that predictions on a far larger scale
#: (a test set measured on another one) keep their correlations (a reviewer found them NaN
#: for predictions 1e7 times the truth's range).
_CONSTANT_RELATIVE_RANGE = 1e-6


def _corr(func: Any, truth: np.ndarray, pred: np.ndarray) -> float:
    """Correlation that is NaN (without a warning) for fewer than 2 points or constant input:
    equal values, or a prediction whose range is at most :data:`_CONSTANT_RELATIVE_RANGE`
    of the truth's."""
    if truth.size < 2 or np.all(truth == truth[0]) or np.all(pred == pred[0]):
        return math.nan
    if float(np.ptp(pred)) <= _CONSTANT_RELATIVE_RANGE * float(np.ptp(truth)):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(func(truth, pred)[0])


def regression_report(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Standard regression metrics of predictions against measured values.

    Parameters
    ----------
    y_true, y_pred
        1-D (one target) or 2-D (samples x genes) arrays of the same shape.

    Returns
    -------
    dict
        ``mae``, ``mse``, ``rmse`` (over all entries), ``r2`` (coefficient of determination;
        for 2-D inputs the uniform average of the per-gene R^2, the convention of the D-GEX
        and attention-LSTM papers; a gene whose measured values are constant has no R^2 (no
        variance to explain) and is left out of the average, and R^2 is NaN when every gene
        is constant, not scikit-learn's silent 0.0), ``pearson`` and ``spearman`` (on the
        flattened arrays; NaN when either side is constant) and ``n`` (number of samples,
        i.e. rows).

    Raises
    ------
    InputError
        On shape mismatch, empty input, NaN/infinite values, or two pandas objects whose row
        (or column) labels differ (compared by position, they would pair the wrong values).
    """
    t, p = _pair(y_true, y_pred)
    err = p - t
    mse = float(np.mean(err**2))
    if t.shape[0] < 2:
        r2 = math.nan
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            per_gene = np.atleast_1d(
                r2_score(t, p, multioutput="raw_values", force_finite=False)
            ).astype(float)
        finite = per_gene[np.isfinite(per_gene)]
        r2 = float(finite.mean()) if finite.size else math.nan
    flat_t, flat_p = t.ravel(), p.ravel()
    return {
        "mae": float(np.mean(np.abs(err))),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": r2,
        "pearson": _corr(stats.pearsonr, flat_t, flat_p),
        "spearman": _corr(stats.spearmanr, flat_t, flat_p),
        "n": int(t.shape[0]),
    }


def per_gene_mae(y_true: Any, y_pred: Any) -> np.ndarray:
    """Mean absolute error of each target gene (column), as reported by D-GEX (Chen et al. 2016).

    Parameters
    ----------
    y_true, y_pred
        2-D (samples x genes) arrays of the same shape; a 1-D input counts as one gene.

    Returns
    -------
    numpy.ndarray
        float64 array with one MAE per gene (length 1 for 1-D input).

    Raises
    ------
    InputError
        On shape mismatch, empty input, NaN/infinite values, or two pandas objects whose row
        (or column) labels differ.
    """
    t, p = _pair(y_true, y_pred)
    if t.ndim == 1:
        t, p = t[:, None], p[:, None]
    return np.mean(np.abs(p - t), axis=0)


def _errors(value: Any, name: str) -> np.ndarray:
    """Errors (MAE/MSE-like, so >= 0) as a float array: a scalar or a 1-D per-gene array."""
    arr = _as_float_array(np.atleast_1d(value), name)
    if arr.ndim == 2 and arr.shape[1] == 1:  # a single column of per-gene errors
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be a scalar or a 1-D array of per-gene errors, got shape {arr.shape}"
        )
    negative = np.flatnonzero(arr < 0)
    if negative.size:
        raise InputError(
            f"{name} holds {negative.size} negative value(s), first at index {int(negative[0])} "
            f"({arr[negative[0]]:g}); errors (MAE, MSE) are >= 0"
        )
    return arr


def relative_improvement(model_error: Any, baseline_error: Any) -> float:
    """Relative improvement of a model over a baseline: ``(baseline - model) / baseline``.

    D-GEX (Chen et al. 2016) reports its improvement over linear regression this way
    (e.g. 15.33% lower overall MAE). Array inputs (per-gene errors) are averaged first.

    Parameters
    ----------
    model_error, baseline_error
        Error of the model and of the baseline (MAE/MSE-like, so >= 0): scalars, or 1-D
        per-gene arrays of the same length (the same genes) that are averaged; a scalar may
        stand next to an array. Two pandas Series must hold the same gene labels.

    Returns
    -------
    float
        Positive when the model's error is lower; 0.2 means 20% lower error.

    Raises
    ------
    InputError
        If the baseline error is zero, an input is NaN or negative, or two arrays differ in
        length or gene labels.
    """
    model = _errors(model_error, "model_error")
    base = _errors(baseline_error, "baseline_error")
    if model.size > 1 and base.size > 1 and model.shape != base.shape:  # size 1: a scalar
        raise InputError(
            f"model_error has {model.size} per-gene errors but baseline_error has {base.size}"
        )
    _check_labels(model_error, baseline_error, ("model_error", "baseline_error"), ordered=False)
    model_mean, base_mean = float(np.mean(model)), float(np.mean(base))
    if base_mean == 0.0:
        raise InputError("baseline error is 0: relative improvement is undefined")
    return (base_mean - model_mean) / base_mean


def share_improved(model_per_gene: Any, baseline_per_gene: Any) -> float:
    """Share of genes whose error under the model is strictly lower than under the baseline.

    The D-GEX paper [1]_ reports that D-GEX beats linear regression on 99.97% of target
    genes; ties count as not improved.

    Parameters
    ----------
    model_per_gene, baseline_per_gene
        1-D arrays of per-gene errors (e.g. from :func:`per_gene_mae`; >= 0), same length,
        compared gene by gene (two pandas Series must hold the same labels in the same order).

    Returns
    -------
    float
        Fraction in [0, 1].

    Raises
    ------
    InputError
        If an input is not 1-D, is empty, holds NaN or negative values, or the two differ in
        length or labels.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    m = _as_float_array(model_per_gene, "model_per_gene")
    b = _as_float_array(baseline_per_gene, "baseline_per_gene")
    m, b = (
        arr[:, 0] if arr.ndim == 2 and arr.shape[1] == 1 else arr  # a single column
        for arr in (m, b)
    )
    for arr, name in ((m, "model_per_gene"), (b, "baseline_per_gene")):
        if arr.ndim != 1:
            raise InputError(f"{name} must be 1-D (one error per gene), got shape {arr.shape}")
        _errors(arr, name)
    if m.shape != b.shape:
        raise InputError(f"model has {m.size} per-gene errors but the baseline has {b.size}")
    _check_labels(model_per_gene, baseline_per_gene, ("model_per_gene", "baseline_per_gene"))
    return float(np.mean(m < b))


def prefixed(report: Mapping[str, Any], model: str, split: str) -> dict[str, float]:
    """Flatten a report into ``metrics.json`` keys ``<model>/<split>/<metric>``.

    Finite numeric values are kept (booleans, strings and lists are skipped, and so are NaN
    values: an undefined metric, such as the Pearson correlation of the constant predictions
    of the predict-the-mean baseline, is left out rather than written). A nested ``subsets``
    mapping, as returned by :func:`dream_score`, becomes keys ``<model>/<split>_<subset>/<metric>``
    with ``r`` written as ``pearson`` and ``rho`` as ``spearman``, following the architecture's
    named-subset splits (``test_all_random``).

    Parameters
    ----------
    report
        Flat mapping of metric name -> number (or a :func:`dream_score` result).
    model, split
        Model name and split name (``train``, ``val``, ``test``, ...); no ``/`` allowed.

    Returns
    -------
    dict
        ``<model>/<split>/<metric>`` -> value, for :func:`gexnb.io.write_metrics`.

    Raises
    ------
    ParameterError
        If ``report`` (or an entry of its ``subsets``) is not a mapping, or the model, split,
        subset or metric name of a written key is empty or contains ``/``.
    """
    for label, value in (("model", model), ("split", split)):
        if not value or "/" in str(value):
            raise ParameterError(f"{label} name {value!r} must be non-empty and contain no '/'")
    if not isinstance(report, Mapping):
        raise ParameterError(
            f"report must be a mapping of metric name -> number, got {type(report).__name__}"
        )
    out: dict[str, float] = {}
    rename = {"r": "pearson", "rho": "spearman"}
    for key, value in report.items():
        if key == "subsets" and isinstance(value, Mapping):
            for subset, sub in value.items():
                if not isinstance(sub, Mapping):
                    raise ParameterError(
                        f"report['subsets'][{subset!r}] must be a mapping of metric name -> "
                        f"number, got {type(sub).__name__}"
                    )
                for metric, v in sub.items():
                    if _is_number(v):
                        _check_key_part(subset, "subset name")
                        _check_key_part(metric, "metric name")
                        out[f"{model}/{split}_{subset}/{rename.get(metric, metric)}"] = _num(v)
        elif _is_number(value):
            _check_key_part(key, "metric name")
            out[f"{model}/{split}/{key}"] = _num(value)
    return out


def _check_key_part(value: Any, label: str) -> None:
    """One part of a ``<model>/<split>/<metric>`` key: non-empty, no ``/``."""
    if value is None or value == "" or "/" in str(value):
        raise ParameterError(f"{label} {value!r} must be non-empty and contain no '/'")


def _is_number(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isfinite(value))


def _num(value: Any) -> float:
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def _index_array(idx: Any, n: int, name: str, *, unique: bool = True) -> np.ndarray:
    try:
        arr = np.asarray(idx)
    except ValueError as exc:  # ragged nested lists
        raise InputError(f"indices of subset {name!r} are not a 1-D array ({exc})") from exc
    if arr.ndim != 1:
        what = "a scalar" if arr.ndim == 0 else f"shape {arr.shape}"
        raise InputError(
            f"indices of subset {name!r} must be a 1-D array of integers or a boolean mask, "
            f"got {what}"
        )
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise InputError(f"boolean mask of subset {name!r} has length {arr.size}, expected {n}")
        return np.flatnonzero(arr)
    if arr.size == 0:
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"indices of subset {name!r} must be integers or a boolean mask")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n:
        raise InputError(f"subset {name!r} has indices outside 0..{n - 1}")
    if unique and _has_repeats(arr, n):
        values, counts = np.unique(arr, return_counts=True)
        if (counts > 1).any():
            repeated = values[counts > 1]
            hint = " (0/1 values? pass a boolean mask)" if np.isin(arr, (0, 1)).all() else ""
            raise InputError(
                f"subset {name!r} repeats {repeated.size} index(es), first {int(repeated[0])}: "
                f"each row is scored once{hint}"
            )
    return arr


def _has_repeats(arr: np.ndarray, n: int) -> bool:
    """Whether the non-negative integers ``arr`` (all below ``n``) repeat a value: at once
    for sorted indices (``parse_dream_subsets`` writes them sorted), else by counting."""
    if arr.size < 2 or bool((arr[1:] > arr[:-1]).all()):
        return False
    if n <= 16 * arr.size:
        return bool(np.bincount(arr, minlength=0).max() > 1)
    return bool(np.unique(arr).size < arr.size)


def _pair_indices(value: Any, n: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(ref_idx, alt_idx)`` of a paired subset, checked for form, range and repeated pairs."""
    form = f"pairs[{name!r}] must be a (ref_idx, alt_idx) pair of index arrays"
    if isinstance(value, (str, bytes, Mapping)):
        raise ParameterError(f"{form}, got a {type(value).__name__}")
    try:
        ref, alt = value
    except (TypeError, ValueError):
        what = f" of length {len(value)}" if hasattr(value, "__len__") else ""
        raise ParameterError(f"{form}, got a {type(value).__name__}{what}") from None
    if not all(isinstance(v, Iterable) and not isinstance(v, (str, bytes)) for v in (ref, alt)):
        raise ParameterError(
            f"{form}, got a {type(value).__name__} of {type(ref).__name__} and {type(alt).__name__}"
        )
    r_ix = _index_array(ref, n, name, unique=False)
    a_ix = _index_array(alt, n, name, unique=False)
    if r_ix.shape != a_ix.shape:
        raise InputError(f"subset {name!r} has {r_ix.size} ref but {a_ix.size} alt indices")
    keys = r_ix * n + a_ix  # one number per (ref, alt) pair
    if r_ix.size and _has_repeats(keys, n * n):
        values, counts = np.unique(keys, return_counts=True)
        repeated = values[counts > 1]
        if repeated.size:
            first = (int(repeated[0] // n), int(repeated[0] % n))
            raise InputError(
                f"subset {name!r} repeats {len(repeated)} (ref, alt) pair(s), first {first}: "
                "each pair is scored once"
            )
    return r_ix, a_ix


def _check_weights(weights: Any) -> None:
    if not isinstance(weights, Mapping):
        raise ParameterError(
            f"weights must be a mapping of subset name -> weight, got {type(weights).__name__}"
        )
    for name, w in weights.items():
        ok = isinstance(w, (int, float, np.integer, np.floating)) and not isinstance(
            w, (bool, np.bool_)
        )
        if not ok or not math.isfinite(w) or w < 0:  # 0: reported, not counted
            raise ParameterError(f"weight of subset {name!r} must be finite and >= 0, got {w!r}")
    if not any(w > 0 for w in weights.values()):
        raise ParameterError("weights must give at least one subset a positive weight")


def dream_score(
    y_true: Any,
    y_pred: Any,
    *,
    subsets: Mapping[str, Any],
    pairs: Mapping[str, tuple[Any, Any]] | None = None,
    weights: Mapping[str, float] = DREAM_WEIGHTS,
) -> dict[str, Any]:
    """Weighted Pearson and Spearman scores of the Random Promoter DREAM Challenge 2022.

    The organisers' scores (Rafi et al. 2024) are ``sum_s w_s r_s^2 / 4.65`` (Pearson score)
    and ``sum_s w_s rho_s / 4.65`` (Spearman score) over the subsets of :data:`DREAM_WEIGHTS`;
    the SNV, motif-perturbation and motif-tiling subsets are scored on the differences
    ``y[alt] - y[ref]`` of paired sequences (measured and predicted alike).

    Parameters
    ----------
    y_true, y_pred
        1-D measured and predicted expression of the test sequences (a single column is
        accepted); two pandas objects must hold the same row labels in the same order.
    subsets
        Subset name -> integer indices (or boolean mask) into ``y_true``, scored directly.
        ``"all"`` must be given explicitly (e.g. ``np.arange(n)``) to be scored. Each index
        may appear once per subset (0/1 integers are indices, not a mask: pass booleans).
    pairs
        Subset name -> ``(ref_idx, alt_idx)`` of equal length, scored on ``alt - ref``. A ref
        (or alt) index may serve several pairs; a (ref, alt) pair may appear once.
    weights
        Subset weights, each finite and positive; the official normaliser is their sum (4.65
        for the default).

    Returns
    -------
    dict
        ``subsets``: name -> ``{"r", "rho", "n", "weight", "paired"}``;
        ``pearson_score``/``spearman_score``: the official scores, computed only when every
        weighted subset is present and every paired subset is paired (NaN otherwise, so that a
        partial score is never passed off as the official one);
        ``pearson_score_available``/``spearman_score_available``: the same sums renormalised over
        the weights of the subsets that are present and scored as the challenge scores them
        (a paired subset scored unpaired, on levels, is left out: level correlations are far
        easier than those of alt - ref differences); ``missing``: weighted subsets not given;
        ``unpaired``: subsets the organisers pair but that were scored unpaired here;
        ``complete``: whether the official scores could be computed.
        Subsets not in ``weights`` are reported with weight 0 and do not enter the scores.

    Raises
    ------
    InputError
        On NaN values, inputs that are not 1-D or differ in length or row labels, bad or
        repeated indices, or a subset given both paired and unpaired.
    ParameterError
        If ``subsets``, ``pairs`` or ``weights`` is not a mapping, a ``pairs`` value is not a
        ``(ref_idx, alt_idx)`` pair, or a weight is not finite and positive.
    """
    if not isinstance(subsets, Mapping):
        raise ParameterError(
            "subsets must be a mapping of subset name -> indices or boolean mask "
            f"(e.g. {{'all': np.arange(n)}}), got {type(subsets).__name__}"
        )
    if pairs is not None and not isinstance(pairs, Mapping):
        raise ParameterError(
            "pairs must be None or a mapping of subset name -> (ref_idx, alt_idx), "
            f"got {type(pairs).__name__}"
        )
    _check_weights(weights)
    t, p = _pair(y_true, y_pred, one_d=True)
    n = t.size
    pairs = dict(pairs or {})
    both = sorted(set(subsets) & set(pairs))
    if both:
        raise InputError(f"subsets given both paired and unpaired: {both}")
    results: dict[str, dict[str, Any]] = {}
    for name, idx in subsets.items():
        ix = _index_array(idx, n, name)
        results[name] = _subset_entry(t[ix], p[ix], weights.get(name, 0.0), paired=False)
    for name, value in pairs.items():
        r_ix, a_ix = _pair_indices(value, n, name)
        dt, dp = t[a_ix] - t[r_ix], p[a_ix] - p[r_ix]
        results[name] = _subset_entry(dt, dp, weights.get(name, 0.0), paired=True)

    total = float(sum(weights.values()))
    missing = [s for s, w in weights.items() if w > 0 and s not in results]
    unpaired = [s for s in DREAM_PAIRED_SUBSETS if s in results and not results[s]["paired"]]
    # a subset the organisers pair, scored here on levels (much easier than alt - ref
    # differences), is reported but kept out of the scores
    scored = [s for s in results if weights.get(s, 0.0) > 0 and s not in unpaired]
    nan_subsets = [
        s for s in scored if math.isnan(results[s]["r"]) or math.isnan(results[s]["rho"])
    ]
    avail_w = sum(weights[s] for s in scored)
    pearson_sum = sum(weights[s] * results[s]["r"] ** 2 for s in scored)
    spearman_sum = sum(weights[s] * results[s]["rho"] for s in scored)
    complete = not missing and not unpaired and not nan_subsets
    return {
        "subsets": results,
        "pearson_score": pearson_sum / total if complete else math.nan,
        "spearman_score": spearman_sum / total if complete else math.nan,
        "pearson_score_available": pearson_sum / avail_w if avail_w else math.nan,
        "spearman_score_available": spearman_sum / avail_w if avail_w else math.nan,
        "weight_available": avail_w,
        "weight_total": total,
        "missing": missing,
        "unpaired": unpaired,
        "complete": complete,
    }


def _subset_entry(t: np.ndarray, p: np.ndarray, weight: float, *, paired: bool) -> dict[str, Any]:
    return {
        "r": _corr(stats.pearsonr, t, p),
        "rho": _corr(stats.spearmanr, t, p),
        "n": int(t.size),
        "weight": float(weight),
        "paired": paired,
    }


def parse_dream_subsets(
    frame: pd.DataFrame | Iterable[str] | Sequence[str], *, column: str = "subsets"
) -> dict[str, Any]:
    """Subset indices from the ``subsets`` column of ``test_measured.tsv``.

    Each cell holds ``;``-joined subset names (empty or missing: in no subset). Names ending in
    ``_alt`` / ``_ref`` are halves of a paired subset (``motif_perturbation_alt``). The file holds
    no pairing between alt and ref rows (no ``alt_pos``/``ref_pos`` columns; see its README), and
    most ref rows are absent, so the two halves are merged into one subset (``motif_perturbation``)
    that :func:`dream_score` scores unpaired and reports under ``unpaired``.

    Parameters
    ----------
    frame
        DataFrame with a ``subsets`` column, or the column itself.
    column
        Name of the column.

    Returns
    -------
    dict
        ``subsets``: name -> sorted positional indices (``"all"`` = every row);
        ``halves``: half name (``motif_tiling_alt``) -> indices; ``unpaired``: merged subset names;
        ``pairs``: always empty here (kept for the :func:`dream_score` signature).

    Raises
    ------
    ParameterError
        If ``frame`` is a plain string (not a column of names).
    InputError
        If the DataFrame has no such column, or a cell is not a single value (a list or array).
    """
    if isinstance(frame, (str, bytes)):
        raise ParameterError(
            f"frame: expected a DataFrame or a column of subset names, not a string ({frame!r:.40})"
        )
    if isinstance(frame, pd.DataFrame):
        if column not in frame.columns:
            raise InputError(f"no column {column!r} (columns: {list(frame.columns)})")
        cells, where = frame[column], f"the {column!r} column"
    else:
        cells, where = pd.Series(list(frame), dtype=object), "frame"
    members: dict[str, list[int]] = {}
    for i, cell in enumerate(cells.tolist()):
        if not isinstance(cell, str):
            if not pd.api.types.is_scalar(cell):
                raise InputError(
                    f"row {i} of {where} is a {type(cell).__name__}, "
                    "not a string of ';'-joined subset names"
                )
            if pd.isna(cell):  # None, NaN, pd.NA: in no subset
                continue
        for name in str(cell).split(";"):
            name = name.strip()
            if name:
                members.setdefault(name, []).append(i)
    halves = {k: np.asarray(v) for k, v in members.items() if k.endswith(("_alt", "_ref"))}
    out: dict[str, np.ndarray] = {"all": np.arange(len(cells))}
    for name, idx in members.items():
        if name in halves:
            base = name.rsplit("_", 1)[0]
            out[base] = np.union1d(out.get(base, np.array([], dtype=np.int64)), idx)
        else:
            out[name] = np.unique(idx)  # a name twice in one cell ("high;high") counts once
    unpaired = sorted({k.rsplit("_", 1)[0] for k in halves})
    return {"subsets": out, "halves": halves, "unpaired": unpaired, "pairs": {}}

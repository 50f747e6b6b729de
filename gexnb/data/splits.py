"""Train/validation/test splits as integer index arrays.

- :func:`row_order_split`: the DREAM 2022 Metformin-121 seed (first 6,000,000 rows train,
  the remaining 739,258 validation).
- :func:`random_split` and :func:`count_split`: seeded random splits by fractions or by counts
  (D-GEX, Chen et al. 2016: 88,807 / 11,101 / 11,101 GEO profiles).
- :func:`kfold_splits`: k-fold cross-validation (scikit-learn ``KFold``, shuffled).
- :func:`group_splits`: leave-one-group-out, e.g. one study held out at a time (scikit-learn
  ``LeaveOneGroupOut``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, LeaveOneGroupOut

from gexnb.checks import is_whole
from gexnb.errors import InputError, ParameterError

__all__ = [
    "row_order_split",
    "random_split",
    "count_split",
    "kfold_splits",
    "group_splits",
    "leave_one_group_out",
]

_SPLIT_NAMES = ("train", "val", "test")


def _is_count(value: Any) -> bool:
    """Whether ``value`` is a non-negative whole number (an integral float too)."""
    return is_whole(value) and value >= 0


def _check_n(n: int) -> int:
    if not _is_count(n):
        raise ParameterError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def _is_triple(values: Any) -> bool:
    """Whether ``values`` is a sequence of three items (train, val, test)."""
    try:
        return not isinstance(values, str) and len(values) == 3
    except TypeError:
        return False


def _check_seed(seed: Any, maximum: int | None = None) -> Any:
    """A seed: ``None``, a ``numpy.random.Generator`` (used as it is) or a non-negative
    integer (at most ``maximum``)."""
    if seed is None or (maximum is None and isinstance(seed, np.random.Generator)):
        return seed
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or seed < 0
        or (maximum is not None and seed > maximum)
    ):
        most = "" if maximum is None else f" up to {maximum}"
        raise ParameterError(f"seed must be a non-negative integer{most}, got {seed!r}")
    return int(seed)


def _warn_empty(parts: dict[str, np.ndarray], wanted: Sequence[float], n: int) -> None:
    """Warn about each split asked for (``wanted`` > 0) that received no row."""
    empty = [
        name
        for name, want in zip(_SPLIT_NAMES, wanted, strict=True)
        if want > 0 and not len(parts[name])
    ]
    if empty:
        warnings.warn(
            f"the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty "
            f"({n} rows); use more rows or larger fractions",
            stacklevel=3,
        )


def row_order_split(n: int, *, n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """Split by row order, as the DREAM 2022 Metformin-121 seed: first ``n_train`` rows train.

    Parameters
    ----------
    n
        Number of rows.
    n_train
        Rows used for training (the seed: 6,000,000 of 6,739,258); the rest is validation.

    Returns
    -------
    train_idx, val_idx : numpy.ndarray
        int64 indices ``0..n_train-1`` and ``n_train..n-1``.
    """
    n = _check_n(n)
    if not _is_count(n_train) or not 0 < int(n_train) <= n:
        raise ParameterError(
            f"n_train must be an integer in 1..{n} (the number of rows), got {n_train!r}"
        )
    n_train = int(n_train)
    return np.arange(n_train, dtype=np.int64), np.arange(n_train, n, dtype=np.int64)


def _split_by_counts(n: int, counts: Sequence[int], seed: int) -> dict[str, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    bounds = np.cumsum([0, *counts])
    return {name: np.sort(order[bounds[i] : bounds[i + 1]]) for i, name in enumerate(_SPLIT_NAMES)}


def random_split(
    n: int, *, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> dict[str, np.ndarray]:
    """Seeded random split into train / val / test by fractions.

    Counts are ``floor(fraction * n)`` for val and test, the rest goes to train, so every row
    is used exactly once when the fractions sum to 1.

    Parameters
    ----------
    n
        Number of rows.
    fractions
        Fractions ``(train, val, test)``, each in [0, 1], summing to at most 1 (a sum below 1
        leaves the remaining rows out).
    seed
        Seed of the permutation.

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted int64 index arrays, pairwise disjoint.

    Raises
    ------
    ParameterError
        ``n`` not a non-negative integer; fractions not three numbers in [0, 1] with a
        positive sum of at most 1; ``seed`` not a non-negative integer.

    Warns
    -----
    UserWarning
        A split with a positive fraction receives no row (``n`` too small).
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    if not _is_triple(fractions):
        raise ParameterError(f"fractions must be (train, val, test), got {fractions!r}")
    try:
        fr = np.asarray(fractions, dtype=float)
    except (TypeError, ValueError):
        fr = np.full(3, np.nan)
    if (
        not np.isfinite(fr).all()
        or (fr < 0).any()
        or (fr > 1).any()
        or fr.sum() > 1 + 1e-9
        or fr.sum() <= 0
    ):
        raise ParameterError(
            f"fractions must lie in [0, 1] and sum to more than 0 and at most 1, got {fractions!r}"
        )
    n_val, n_test = int(np.floor(fr[1] * n)), int(np.floor(fr[2] * n))
    if abs(fr.sum() - 1) <= 1e-9:
        n_train = n - n_val - n_test
    else:
        n_train = int(np.floor(fr[0] * n))
    parts = _split_by_counts(n, (n_train, n_val, n_test), seed)
    _warn_empty(parts, fr.tolist(), n)
    return parts


def count_split(
    n: int, *, counts: Sequence[int] = (88807, 11101, 11101), seed: int = 0
) -> dict[str, np.ndarray]:
    """Seeded random split with fixed counts (D-GEX: 88,807 / 11,101 / 11,101 profiles).

    Parameters
    ----------
    n
        Number of rows.
    counts
        ``(n_train, n_val, n_test)``; their sum must not exceed ``n``.
    seed
        Seed of the permutation.

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted int64 index arrays, pairwise disjoint.

    Raises
    ------
    ParameterError
        ``n`` not a non-negative integer; counts not three non-negative integers, or summing
        to more than ``n``; ``seed`` not a non-negative integer.
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    if not _is_triple(counts) or not all(_is_count(c) for c in counts):
        raise ParameterError(f"counts must be three non-negative integers, got {counts!r}")
    if sum(counts) > n:
        raise ParameterError(
            f"counts {tuple(int(c) for c in counts)} need {sum(counts)} rows but only {n} exist"
        )
    return _split_by_counts(n, [int(c) for c in counts], seed)


def kfold_splits(n: int, *, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled k-fold cross-validation folds (scikit-learn ``KFold``).

    Parameters
    ----------
    n
        Number of rows.
    k
        Number of folds (at least 2, at most ``n``).
    seed
        Seed of the shuffle.

    Returns
    -------
    list of (train_idx, test_idx)
        ``k`` pairs; the test parts partition ``0..n-1``.

    Raises
    ------
    ParameterError
        ``n`` not a non-negative integer, ``k`` not an integer in ``2..n``, ``seed`` not an
        integer in ``0..2**32 - 1`` (scikit-learn's range).
    """
    n = _check_n(n)
    seed = _check_seed(seed, maximum=2**32 - 1)
    if isinstance(k, bool) or int(k) != k or int(k) < 2:
        raise ParameterError(f"k must be an integer >= 2, got {k!r}")
    if n < k:
        raise ParameterError(f"k-fold needs at least k={k} samples, got {n}")
    folds = KFold(n_splits=int(k), shuffle=True, random_state=seed).split(np.zeros((n, 1)))
    return [(tr.astype(np.int64), te.astype(np.int64)) for tr, te in folds]


def group_splits(groups: Sequence[Any] | np.ndarray) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """Leave-one-group-out splits (scikit-learn ``LeaveOneGroupOut``), e.g. per study.

    Parameters
    ----------
    groups
        Group label of each row (at least two distinct labels).

    Returns
    -------
    list of (group, train_idx, test_idx)
        One entry per group (in sorted label order): the rows of that group are the test part.

    Raises
    ------
    ParameterError
        ``groups`` not a non-empty 1-D sequence, with fewer than 2 distinct labels.
    InputError
        A missing label (None or NaN); the message names its row.
    """
    labels = np.asarray(groups)
    if labels.ndim != 1 or labels.size == 0:
        raise ParameterError("groups must be a non-empty 1-D sequence of labels")
    missing = pd.isna(labels)
    if missing.any():
        row = int(np.argmax(missing))
        value = labels[row].item() if isinstance(labels[row], np.generic) else labels[row]
        raise InputError(
            f"groups: row {row} has no group label ({value!r}); give every row a group"
        )
    if np.unique(labels).size < 2:
        raise ParameterError("leave-one-group-out needs at least 2 distinct groups")
    out = []
    for tr, te in LeaveOneGroupOut().split(np.zeros((labels.size, 1)), groups=labels):
        label = labels[te[0]]
        out.append(
            (
                label.item() if hasattr(label, "item") else label,
                tr.astype(np.int64),
                te.astype(np.int64),
            )
        )
    return out


def leave_one_group_out(
    groups: Sequence[Any] | np.ndarray, *, val_fraction: float, seed: int = 0
) -> list[tuple[Any, dict[str, np.ndarray]]]:
    """Leave-one-group-out (e.g. leave-one-study-out) train/val/test splits.

    For each group (:func:`group_splits` order), its samples are the test set and the other
    samples are split at random into train and validation (``val_fraction`` of them, at
    least one, validate), one seeded generator for all groups.

    Parameters
    ----------
    groups
        Group label of each sample.
    val_fraction
        Fraction (0 to 1) of the other groups' samples in the validation set.
    seed
        Seed of the random train/val assignment.

    Returns
    -------
    list of (group, {"train", "val", "test"})
        Sorted index arrays.

    Raises
    ------
    ParameterError
        Fewer than two groups, or ``seed`` not a non-negative integer.
    InputError
        A missing group label (None or NaN); the message names its row.
    """
    seed = _check_seed(seed)
    labels = np.asarray(groups, dtype=object)
    if len(set(labels.tolist())) < 2:
        raise ParameterError("leave-one-study-out needs at least two groups")
    rng = np.random.default_rng(seed)
    out = []
    for group, train_idx, test_idx in group_splits(labels):
        perm = rng.permutation(train_idx)
        n_val = max(1, int(round(float(val_fraction) * len(perm))))
        parts = {
            "train": np.sort(perm[n_val:]),
            "val": np.sort(perm[:n_val]),
            "test": np.sort(np.asarray(test_idx)),
        }
        out.append((group, parts))
    return out

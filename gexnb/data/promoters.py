"""Promoter sets: encoded promoter sequences, their expression and a split, from a file or
synthetic; the one loader of notebooks 01 and 02.

The DREAM Challenge 2022 data (Rafi et al., Nat Biotechnol 2024): ``sequence<TAB>expression``
files read and encoded in streaming blocks by :func:`gexnb.data.sequences.read_encoded`
(uint8 codes, left padding to 142 as the Metformin-121 seed), or the synthetic promoters of
:func:`gexnb.data.synthetic.synthetic_promoters` (planted motifs, known ground truth).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gexnb.checks import is_whole
from gexnb.data import sequences, splits
from gexnb.errors import InputError, ParameterError

__all__ = ["PromoterSet", "load_promoters", "split_rows", "SPLITS", "PROMOTER_FRACTIONS"]

SPLITS = ("train", "val", "test")


@dataclass
class PromoterSet:
    """Encoded promoters with their measured expression and a train/val/test split.

    Parameters
    ----------
    codes, expression, splits, source, synthetic, truth
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    codes
        uint8 ``(n, length)`` codes (``T=0, C=1, G=2, A=3, N=4, PAD=5``).
    expression
        float64 ``(n,)`` expression on the file's scale.
    splits
        ``"train"``, ``"val"``, ``"test"`` -> int64 row indices (``test`` may be empty).
    source
        The file, or a description of the synthetic set.
    synthetic
        Whether the sequences are synthetic (planted motifs known).
    truth
        Synthetic only: the frame of :func:`gexnb.data.synthetic.synthetic_promoters`
        (``sequence``, ``expression``, planted-motif columns, ``attrs["motifs"]``).
    """

    codes: np.ndarray
    expression: np.ndarray
    splits: dict[str, np.ndarray]
    source: str
    synthetic: bool = False
    truth: pd.DataFrame | None = None

    @property
    def length(self) -> int:
        """Encoded length (positions per row)."""
        return int(self.codes.shape[1])

    def sequences(self, rows: np.ndarray | None = None) -> list[str]:
        """The sequences of ``rows`` (all when ``None``) as encoded (padding removed)."""
        codes = self.codes if rows is None else self.codes[rows]
        return sequences.decode_sequences(codes)


#: The promoter split of notebooks 01 and 02 (one default, so that the rows 01 writes as test
#: are never the rows 02 chooses its best epoch on): 90 % training and 10 % validation rows,
#: team Metformin-121's proportions, no test rows (the DREAM test set is a separate file).
PROMOTER_FRACTIONS = (0.9, 0.1, 0.0)


def split_rows(
    n: int,
    *,
    method: str = "random",
    fractions: Sequence[float] = PROMOTER_FRACTIONS,
    n_train: int = 0,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train/val/test row indices of a promoter set.

    Parameters
    ----------
    n
        Number of rows.
    method
        ``"random"``: seeded split by ``fractions`` (:func:`gexnb.data.splits.random_split`);
        ``"row_order"``: the Metformin-121 seed's split, the first ``n_train`` rows train, the
        rest validate, no test (:func:`gexnb.data.splits.row_order_split`).
    fractions
        ``(train, val, test)`` fractions of the random split.
    n_train
        Training rows of the ``row_order`` split; 0 means 90 % of ``n`` (the seed used
        6,000,000 of 6,739,258).
    seed
        Seed of the random split.

    Returns
    -------
    dict
        ``"train"``, ``"val"``, ``"test"`` -> int64 row indices (``test`` empty for
        ``row_order``).

    Raises
    ------
    ParameterError
        Unknown method, or ``n_train`` outside ``1..n-1``.
    InputError
        The validation split is empty.
    """
    if method == "random":
        parts = splits.random_split(n, fractions=tuple(fractions), seed=seed)
    elif method == "row_order":
        count = int(n_train) if n_train else int(round(0.9 * n))
        if not 0 < count < n:
            raise ParameterError(f"n_train={n_train} must lie between 1 and {n - 1} for {n} rows")
        train, val = splits.row_order_split(n, n_train=count)
        parts = {"train": train, "val": val, "test": np.empty(0, dtype=np.int64)}
    else:
        raise ParameterError(f"split must be 'random' or 'row_order', got {method!r}")
    if len(parts["val"]) == 0:
        raise InputError(f"the validation split is empty ({n} rows, split={method!r})")
    return {k: np.asarray(parts[k], dtype=np.int64) for k in SPLITS}


def _row_hashes(codes: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of ``codes`` (equal rows, equal hashes; callers compare the
    rows of equal hashes, as two different rows may collide)."""
    return pd.util.hash_pandas_object(pd.DataFrame(codes), index=False).to_numpy()


def duplicate_groups(codes: np.ndarray) -> np.ndarray:
    """The group of each row among identical rows of ``codes`` (the same model input).

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)``.

    Returns
    -------
    numpy.ndarray
        int64 ``(n,)``: for each row, the index of the first row identical to it (itself
        when it is the first or unique).
    """
    codes = np.ascontiguousarray(codes)
    if len(codes) == 0:
        return np.empty(0, dtype=np.int64)
    frame = pd.DataFrame({"hash": _row_hashes(codes), "row": np.arange(len(codes))})
    first = frame.groupby("hash", sort=False)["row"].transform("min").to_numpy(np.int64)
    # a 64-bit hash collision would join different rows: such rows stay on their own
    later = np.flatnonzero(first != np.arange(len(codes)))
    differ = later[(codes[later] != codes[first[later]]).any(axis=1)]
    first[differ] = differ
    return first


def rows_in(codes: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Which rows of ``codes`` are also rows of ``reference`` (the same model input).

    Parameters
    ----------
    codes, reference
        uint8 codes ``(n, length)`` and ``(m, length)``.

    Returns
    -------
    numpy.ndarray
        bool ``(n,)``.
    """
    codes, reference = np.ascontiguousarray(codes), np.ascontiguousarray(reference)
    if len(codes) == 0 or len(reference) == 0 or codes.shape[1] != reference.shape[1]:
        return np.zeros(len(codes), dtype=bool)

    ref = pd.Series(np.arange(len(reference)), index=_row_hashes(reference))
    ref = ref[~ref.index.duplicated()]
    mine = _row_hashes(codes)
    found = np.flatnonzero(pd.Index(mine).isin(ref.index))
    match = ref.loc[mine[found]].to_numpy()
    same = (codes[found] == reference[match]).all(axis=1)  # no 64-bit hash collision
    out = np.zeros(len(codes), dtype=bool)
    out[found[same]] = True
    return out


def keep_copies_together(
    codes: np.ndarray, parts: dict[str, np.ndarray], *, move: bool = True
) -> dict[str, np.ndarray]:
    """A split in which every copy of a repeated sequence is in the split of its first copy.

    Replicate rows (an MPRA's elements measured twice) split at random put one copy in
    training and another in validation, whose scores then measure memory (a new user's
    trial: k-mer ridge validation R^2 0.94 against 0.81 without the copies). A split without
    repeated sequences is returned unchanged.

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` of every row.
    parts
        ``"train"``, ``"val"``, ``"test"`` -> row indices.
    move
        False: only warn (the ``row_order`` split, the Metformin-121 team's own, keeps its
        rows).

    Returns
    -------
    dict
        The split, each copy moved to its first copy's split (sorted indices).

    Warns
    -----
    UserWarning
        Repeated sequences across splits: how many rows, and whether they were moved.
    """
    group = duplicate_groups(codes)
    repeated = group != np.arange(len(codes))
    if not repeated.any():
        return parts
    where = np.full(len(codes), -1, dtype=np.int64)
    names = list(parts)
    for i, name in enumerate(names):
        where[np.asarray(parts[name], dtype=np.int64)] = i
    # each group's anchor: its first copy in a split (fractions summing below 1 leave rows
    # out of every split, the first copy among them perhaps)
    in_split = np.flatnonzero(where >= 0)
    anchor = pd.Series(in_split).groupby(group[in_split]).min()
    home = np.full(len(codes), -1, dtype=np.int64)
    home[anchor.index.to_numpy()] = where[anchor.to_numpy()]
    target = home[group]
    apart = (where >= 0) & (target >= 0) & (where != target)
    n_groups = len(np.unique(group[repeated]))
    if not apart.any():
        return parts
    if not move:
        warnings.warn(
            f"{int(apart.sum()):,} row(s) repeat a sequence of another split ({n_groups:,} "
            "sequences occur more than once): their validation scores measure memory, not "
            "prediction (split: random keeps the copies together)",
            stacklevel=2,
        )
        return parts
    where[apart] = target[apart]
    moved = {name: int((where == i).sum()) for i, name in enumerate(names)}
    emptied = [n for n in names if len(parts[n]) and not moved[n]]
    if emptied:
        raise InputError(
            f"every {' and '.join(emptied)} row repeats a sequence of another split "
            f"({n_groups:,} sequences occur more than once): no held-out sequence is left; "
            "give the file's distinct sequences"
        )
    warnings.warn(
        f"{int(repeated.sum()):,} row(s) repeat an earlier sequence ({n_groups:,} sequences "
        f"occur more than once); {int(apart.sum()):,} of them moved to the split of their "
        "first copy, so that no validation or test sequence is also a training one",
        stacklevel=2,
    )
    return {name: np.flatnonzero(where == i).astype(np.int64) for i, name in enumerate(names)}


def load_promoters(
    sequence_path: str | os.PathLike = "",
    *,
    n_synthetic: int = 2000,
    length: int = sequences.DEFAULT_LENGTH,
    too_long: str = "error",
    split: str = "random",
    fractions: Sequence[float] = PROMOTER_FRACTIONS,
    n_train: int = 0,
    max_rows: int = 0,
    seed: int = 0,
    expression_column: str = "",
) -> PromoterSet:
    """Read and encode a DREAM-style sequence file, or generate synthetic promoters, and split.

    Parameters
    ----------
    sequence_path
        ``sequence<TAB>expression`` file (``.gz`` too); ``""`` for ``n_synthetic`` synthetic
        promoters with planted motifs.
    n_synthetic
        Number of synthetic sequences (a whole number, at least 10).
    length, too_long
        Encoding options of :func:`gexnb.data.sequences.encode_sequences`.
    split, fractions, n_train
        See :func:`split_rows`; under ``"random"`` the copies of a repeated sequence are
        kept in one split (:func:`keep_copies_together`), under ``"row_order"`` they are
        warned of.
    max_rows
        Keep only the first ``max_rows`` data lines of the file (0: all).
    seed
        Seed of the synthetic data and of the random split.
    expression_column
        The file header's name of the measured column (e.g. DeepSTARR's
        ``Dev_log2_enrichment``; case ignored); ``""``: the column ``expression``, or the one
        the reader finds (:func:`gexnb.data.sequence_files.read_sequences`). Only with a
        ``sequence_path``.

    Returns
    -------
    PromoterSet
        The encoded rows, their expression and the split (``truth`` for synthetic data).

    Raises
    ------
    InputError
        Missing file or bad content (file and line named by the reader).
    ParameterError
        Bad options (e.g. ``n_synthetic`` not a whole number of at least 10;
        ``expression_column`` without a ``sequence_path``).

    Examples
    --------
    >>> from gexnb.data.promoters import load_promoters
    >>> promoters = load_promoters("", n_synthetic=100, seed=0)
    >>> promoters.codes.shape, sorted(promoters.splits)
    ((100, 142), ['test', 'train', 'val'])
    """
    if isinstance(max_rows, bool) or int(max_rows) != max_rows or max_rows < 0:
        raise ParameterError(f"max_rows must be a non-negative integer, got {max_rows!r}")
    truth = None
    if str(sequence_path):
        path = Path(sequence_path)
        if not path.is_file():
            raise InputError("sequence file not found", path=str(path))
        codes, expression = sequences.read_encoded(
            path,
            length=length,
            too_long=too_long,
            max_rows=int(max_rows) or None,
            expression_column=expression_column,
        )
        source = str(path)
    else:
        from gexnb.data import synthetic

        if expression_column:
            raise ParameterError(
                f"expression_column is {expression_column!r}, but sequence_path is empty "
                "(synthetic promoters, whose column is expression): give the file, or leave "
                "expression_column empty"
            )
        if not is_whole(n_synthetic) or n_synthetic < 10:
            raise ParameterError(
                f"n_synthetic={n_synthetic!r} (the notebooks' synthetic: {{n_sequences}}): use "
                "a whole number, at least 10"
            )
        truth = synthetic.synthetic_promoters(int(n_synthetic), seed=int(seed))
        if max_rows:
            truth = truth.iloc[: int(max_rows)].reset_index(drop=True)
        codes = sequences.encode_sequences(
            truth["sequence"].tolist(), length=length, too_long=too_long
        )
        expression = truth["expression"].to_numpy(dtype=np.float64)
        source = f"synthetic promoters (n={len(truth)}, seed={seed})"
    parts = split_rows(len(codes), method=split, fractions=fractions, n_train=n_train, seed=seed)
    parts = keep_copies_together(codes, parts, move=split == "random")
    return PromoterSet(
        codes, np.asarray(expression, dtype=np.float64), parts, source, truth is not None, truth
    )

"""Promoter sets: encoded promoter sequences, their expression and a split, from a file or
synthetic; the one loader of notebooks 01 and 02.

The DREAM Challenge 2022 data (Rafi et al., Nat Biotechnol 2024): ``sequence<TAB>expression``
files read and encoded in streaming blocks by :func:`gexnb.data.sequences.read_encoded`
(uint8 codes, left padding to 142 as the Metformin-121 seed), or the synthetic promoters of
:func:`gexnb.data.synthetic.synthetic_promoters` (planted motifs, known ground truth).
"""

from __future__ import annotations

import os
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
        See :func:`split_rows`.
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
    return PromoterSet(
        codes, np.asarray(expression, dtype=np.float64), parts, source, truth is not None, truth
    )

"""K-mer count ridge regression (``kmer_ridge``): the classical baseline for promoter data.

Counts every k-mer (k = 1..6 by default: 4 + 16 + ... + 4096 = 5,460 features) in each
sequence, straight from the uint8 codes of :mod:`gexnb.data.sequences` (windows touching
padding or ``N`` are skipped), into a sparse matrix, then fits scikit-learn's ``RidgeCV`` on
standardized counts (efficient leave-one-out choice of the penalty). Matrices up to
``DENSE_LIMIT`` entries are densified (centered and scaled), larger ones stay sparse (scaled
only; the unpenalized intercept absorbs the centering). Bag-of-k-mer linear
models are the classical baseline of the DREAM 2022 promoter challenge (Rafi et al., Nat
Biotechnol 2024; de Boer et al., Nat Biotechnol 2020 used k-mer/motif models on the same kind
of random-promoter data).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from gexnb.errors import InputError, ParameterError
from gexnb.models.registry import register_model

__all__ = ["kmer_counts", "n_kmer_features", "KmerRidge", "build_kmer_ridge"]

#: Default penalty grid of the ridge regression.
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-1, 6, 15))
#: Largest ``n * features`` fitted on a dense matrix (above it the sparse path is used).
DENSE_LIMIT = 64_000_000


def n_kmer_features(ks: Sequence[int]) -> int:
    """Number of k-mer features for the sizes ``ks`` (``sum 4**k``; 5,460 for k = 1..6)."""
    return int(sum(4**k for k in ks))


def kmer_counts(codes: np.ndarray, *, ks: Sequence[int] = (1, 2, 3, 4, 5, 6)) -> sp.csr_matrix:
    """Sparse k-mer count matrix of uint8 sequence codes.

    Parameters
    ----------
    codes
        ``(n, length)`` codes ``T=0, C=1, G=2, A=3`` (``N=4`` and ``PAD=5`` break windows).
    ks
        K-mer sizes. Columns are ordered by k, then by the base-4 index of the k-mer with
        the first base most significant (``TT..T`` first, ``AA..A`` last).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n, sum 4**k)`` float32 counts.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise InputError(f"codes must be a 2-D (n, length) array, got shape {codes.shape}")
    ks = [int(k) for k in ks]
    if not ks or min(ks) < 1:
        raise ParameterError(f"k-mer sizes must be >= 1, got {ks}")
    n, length = codes.shape
    valid = codes < 4
    c = codes.astype(np.int64)
    blocks = []
    for k in ks:
        width = length - k + 1
        if width < 1:
            blocks.append(sp.csr_matrix((n, 4**k), dtype=np.float32))
            continue
        index = np.zeros((n, width), dtype=np.int64)
        ok = np.ones((n, width), dtype=bool)
        for j in range(k):
            index = index * 4 + c[:, j : j + width]
            ok &= valid[:, j : j + width]
        rows = np.broadcast_to(np.arange(n)[:, None], (n, width))[ok]
        matrix = sp.coo_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, index[ok])), shape=(n, 4**k)
        ).tocsr()
        matrix.sum_duplicates()
        blocks.append(matrix)
    return sp.hstack(blocks, format="csr", dtype=np.float32)


class KmerRidge:
    """Ridge regression on standardized k-mer counts, fit/predict on uint8 codes.

    ``StandardScaler(with_mean=False)`` scales each count to unit variance (centering is
    absorbed by the unpenalized intercept, so the sparse matrix stays sparse) and
    ``RidgeCV`` picks the penalty by efficient leave-one-out cross-validation.

    Parameters
    ----------
    ks
        K-mer sizes (default 1..6: 5,460 features).
    alphas
        Penalty grid for ``RidgeCV``.
    """

    def __init__(
        self, *, ks: Sequence[int] = (1, 2, 3, 4, 5, 6), alphas: Sequence[float] = DEFAULT_ALPHAS
    ) -> None:
        self.ks = tuple(int(k) for k in ks)
        self.alphas = tuple(float(a) for a in alphas)
        self.pipeline_: Any = None
        self.dense_ = False

    def fit(self, codes: np.ndarray, y: np.ndarray) -> KmerRidge:
        """Fit on ``(n, length)`` codes and targets ``y`` (n,)."""
        features = kmer_counts(codes, ks=self.ks)
        y = np.asarray(y, dtype="float64").ravel()
        if features.shape[0] != len(y):
            raise InputError(f"codes have {features.shape[0]} rows but y has {len(y)}")
        if features.shape[0] < 2:
            raise InputError("k-mer ridge needs at least 2 training sequences")
        self.pipeline_ = make_pipeline(StandardScaler(with_mean=False), RidgeCV(alphas=self.alphas))
        self.pipeline_.fit(features, y)
        return self

    @property
    def alpha_(self) -> float:
        """Penalty chosen by cross-validation."""
        return float(self.pipeline_[-1].alpha_)

    def predict(self, codes: np.ndarray) -> np.ndarray:
        """Predict float32 targets ``(n,)`` for ``(n, length)`` codes."""
        if self.pipeline_ is None:
            raise ParameterError("KmerRidge.predict called before fit")
        features = kmer_counts(codes, ks=self.ks)
        if self.dense_:
            features = features.toarray()
        return self.pipeline_.predict(features).astype("float32")


@register_model("kmer_ridge")
def build_kmer_ridge(
    *, k_min: int = 1, k_max: int = 6, alphas: Sequence[float] = DEFAULT_ALPHAS
) -> KmerRidge:
    """Build the k-mer count ridge baseline (k = ``k_min``..``k_max``); see :class:`KmerRidge`."""
    if not 1 <= int(k_min) <= int(k_max) <= 10:
        raise ParameterError(f"need 1 <= k_min <= k_max <= 10, got {k_min}, {k_max}")
    return KmerRidge(ks=range(int(k_min), int(k_max) + 1), alphas=alphas)

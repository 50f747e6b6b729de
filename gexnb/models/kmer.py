"""K-mer count ridge regression (``kmer_ridge``): the classical baseline for promoter data.

Counts every k-mer (k = 1..6 by default: 4 + 16 + ... + 4096 = 5,460 features) in each
sequence, straight from the uint8 codes of :mod:`gexnb.data.sequences` (windows touching
padding or ``N`` are skipped), and fits a ridge regression on standardized counts. Two
solvers give the same model (``StandardScaler`` then ``Ridge(alpha)``) and differ only in how
the penalty is chosen and how much memory they need:

* ``"loo-kernel"``, up to ``loo_max_rows`` sequences (by default as many as there are
  features, 5,460 for k = 1..6): the sparse count matrix, scaled to unit variance, goes to
  scikit-learn's ``RidgeCV``, whose efficient leave-one-out choice of the penalty costs one
  eigendecomposition of the ``n x n`` kernel matrix. Above the number of features that
  path switches to the covariance form with a cost of ``n * features**2`` *per penalty*
  (245 s on the 6,370-sequence DREAM demonstrator file, against 28 s for the next solver;
  ``benchmarks/bench_kmer.py``), so gexnb uses the next solver there.
* ``"loo-gram"``, above it: the counts are streamed in chunks into the Gram matrix
  ``X^T X`` (features x features, float64), eigendecomposed once, and a second streamed
  pass computes the exact leave-one-out errors of every penalty (``(y_i - fitted_i) /
  (1 - h_ii)``, with the unpenalized intercept in ``h_ii``), the same criterion as
  ``RidgeCV``. Memory stays near 2 GB whatever the number of sequences.

Training sets larger than ``max_train`` sequences are subsampled (seeded) before fitting:
5,460 coefficients do not need 6 million sequences, and the number used is kept in
``n_fit_``. Bag-of-k-mer linear models are the classical baseline of the DREAM 2022 promoter
challenge (Rafi et al., Nat Biotechnol 2024; de Boer et al., Nat Biotechnol 2020 used
k-mer/motif models on the same kind of random-promoter data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import StandardScaler

from gexnb.data.sequences import check_codes
from gexnb.errors import InputError, ParameterError
from gexnb.models.registry import register_model

__all__ = ["kmer_counts", "n_kmer_features", "KmerRidge", "build_kmer_ridge"]

#: Default penalty grid of the ridge regression.
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-1, 6, 15))
#: Largest number of training sequences used by default (larger sets are subsampled).
DEFAULT_MAX_TRAIN = 200_000


def n_kmer_features(ks: Sequence[int]) -> int:
    """Number of k-mer features for the sizes ``ks`` (``sum 4**k``; 5,460 for k = 1..6).

    Parameters
    ----------
    ks
        The k-mer sizes.

    Returns
    -------
    int
        The number of features.
    """
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

    Raises
    ------
    InputError
        ``codes`` not 2-D, or a code outside 0..5 (the first one's row and position named).
    ParameterError
        ``codes`` not an integer array, or a k-mer size below 1.
    """
    codes = _check_kmer_codes(codes)
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


def _check_kmer_codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise InputError(f"codes must be a 2-D (n, length) array, got shape {codes.shape}")
    return check_codes(codes)  # integers 0..5: a float, negative or larger code is refused


class KmerRidge:
    """Ridge regression on standardized k-mer counts, fit/predict on uint8 codes.

    Equivalent to ``make_pipeline(StandardScaler(), Ridge(alpha_))`` on
    :func:`kmer_counts`; the penalty is chosen from ``alphas`` by exact leave-one-out
    cross-validation, through scikit-learn's ``RidgeCV`` (up to ``loo_max_rows`` sequences)
    or a streamed Gram solver (above), see the module docstring. After fitting, the model is
    kept as coefficients on the raw counts (``coef_``, ``intercept_``), so prediction streams
    sparse count chunks.

    Parameters
    ----------
    ks
        K-mer sizes (default 1..6: 5,460 features).
    alphas
        Penalty grid.
    max_train
        Largest number of training sequences used; larger sets are subsampled (seeded).
    loo_max_rows
        Largest number of sequences fitted with the leave-one-out solver (``None``: the
        number of features).
    chunk_rows
        Rows per chunk when streaming counts (Gram accumulation and prediction).
    seed
        Seed of the subsample.
    """

    def __init__(
        self,
        *,
        ks: Sequence[int] = (1, 2, 3, 4, 5, 6),
        alphas: Sequence[float] = DEFAULT_ALPHAS,
        max_train: int = DEFAULT_MAX_TRAIN,
        loo_max_rows: int | None = None,
        chunk_rows: int = 8192,
        seed: int = 0,
    ) -> None:
        self.ks = tuple(int(k) for k in ks)
        self.alphas = tuple(float(a) for a in alphas)
        if not self.alphas or min(self.alphas) <= 0:
            raise ParameterError(f"alphas must be positive, got {self.alphas}")
        if int(max_train) < 2:
            raise ParameterError(f"max_train must be >= 2, got {max_train}")
        self.max_train = int(max_train)
        self.loo_max_rows = loo_max_rows
        self.chunk_rows = max(1, int(chunk_rows))
        self.seed = int(seed)
        self.coef_: np.ndarray | None = None
        self.intercept_ = 0.0
        self.alpha_ = float("nan")
        self.n_fit_ = 0
        self.solver_ = ""

    def fit(self, codes: np.ndarray, y: np.ndarray) -> KmerRidge:
        """Fit on ``(n, length)`` codes and targets ``y`` (n,).

        Parameters
        ----------
        codes
            ``(n, length)`` integer codes 0..5 (:mod:`gexnb.data.sequences`).
        y
            ``(n,)`` finite targets (an ``(n, 1)`` column too).

        Returns
        -------
        KmerRidge
            The fitted model.

        Raises
        ------
        InputError
            ``codes`` not 2-D or with a code outside 0..5; ``y`` not one target per row
            (more than one column, or another number of rows), NaN or infinite; fewer than
            2 rows.
        ParameterError
            ``codes`` not an integer array.
        """
        codes = _check_kmer_codes(codes)
        y = np.asarray(y, dtype="float64")
        if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
            raise InputError(f"y must be 1-D (one target per sequence), got shape {y.shape}")
        y = y.ravel()
        if codes.shape[0] != len(y):
            raise InputError(f"codes have {codes.shape[0]} rows but y has {len(y)}")
        if len(y) < 2:
            raise InputError("k-mer ridge needs at least 2 training sequences")
        if not np.all(np.isfinite(y)):
            raise InputError("k-mer ridge targets contain NaN or infinite values")
        rng = np.random.default_rng(self.seed)
        if len(y) > self.max_train:
            keep = np.sort(rng.choice(len(y), self.max_train, replace=False))
            codes, y = codes[keep], y[keep]
        self.n_fit_ = len(y)
        loo_max_rows = n_kmer_features(self.ks) if self.loo_max_rows is None else self.loo_max_rows
        if len(y) <= loo_max_rows:
            self._fit_loo(codes, y)
        else:
            self._fit_gram(codes, y)
        return self

    def _fit_loo(self, codes: np.ndarray, y: np.ndarray) -> None:
        counts = kmer_counts(codes, ks=self.ks)
        # unit variance without centering keeps the matrix sparse; the unpenalized
        # intercept absorbs the centering, so this is the same model as full standardizing
        scaler = StandardScaler(with_mean=False).fit(counts)
        ridge = RidgeCV(alphas=self.alphas).fit(scaler.transform(counts), y)
        self.coef_ = ridge.coef_ / scaler.scale_
        self.intercept_ = float(ridge.intercept_)
        self.alpha_ = float(ridge.alpha_)
        self.solver_ = "loo-kernel"

    def _gram(self, codes: np.ndarray, y: np.ndarray) -> _GramStats:
        n_features = n_kmer_features(self.ks)
        stats = _GramStats(
            gram=np.zeros((n_features, n_features)),
            sums=np.zeros(n_features),
            xty=np.zeros(n_features),
            y_sum=float(y.sum()),
            n=len(y),
        )
        for start in range(0, len(y), self.chunk_rows):
            counts = kmer_counts(codes[start : start + self.chunk_rows], ks=self.ks)
            block = counts.toarray()
            stats.gram += block.T @ block  # float32 product per chunk, float64 accumulation
            stats.sums += np.asarray(counts.sum(axis=0), dtype=np.float64).ravel()
            stats.xty += counts.T @ y[start : start + self.chunk_rows]
        return stats

    def _fit_gram(self, codes: np.ndarray, y: np.ndarray) -> None:
        stats = self._gram(codes, y)
        gram, rhs, mean, scale, y_mean = stats.standardized()
        values, vectors = np.linalg.eigh(gram)
        del gram
        values = np.maximum(values, 0.0)
        projected = vectors.T @ rhs
        alphas = np.asarray(self.alphas)
        inverse = 1.0 / (values[:, None] + alphas[None, :])  # (features, penalties)
        weights = projected[:, None] * inverse
        # exact leave-one-out errors of ridge with an unpenalized intercept:
        # (y_i - fitted_i) / (1 - h_ii), h_ii = 1/n + sum_j z_ij^2 / (value_j + alpha),
        # z = standardized centered counts projected on the eigenvectors (a second pass)
        squared_errors = np.zeros(len(alphas))
        step = max(1, self.chunk_rows // 2)
        for start in range(0, len(y), step):
            counts = kmer_counts(codes[start : start + step], ks=self.ks).toarray()
            projected_rows = ((counts - mean) / scale) @ vectors
            fitted = y_mean + projected_rows @ weights
            hat = 1.0 / stats.n + (projected_rows**2) @ inverse
            residual = (y[start : start + step, None] - fitted) / (1.0 - hat)
            squared_errors += np.sum(residual**2, axis=0)
        best = int(np.argmin(squared_errors))
        self.alpha_ = self.alphas[best]
        self.loo_mse_ = squared_errors / stats.n
        self.coef_ = (vectors @ weights[:, best]) / scale
        self.intercept_ = float(y_mean - mean @ self.coef_)
        self.solver_ = "loo-gram"

    def predict(self, codes: np.ndarray) -> np.ndarray:
        """Predict float32 targets ``(n,)`` for ``(n, length)`` codes, in row chunks.

        Parameters
        ----------
        codes
            ``(n, length)`` integer codes 0..5 (:mod:`gexnb.data.sequences`).

        Returns
        -------
        numpy.ndarray
            ``(n,)`` float32 predictions.

        Raises
        ------
        ParameterError
            Called before :meth:`fit`, or ``codes`` not an integer array.
        InputError
            ``codes`` not 2-D or with a code outside 0..5.
        """
        if self.coef_ is None:
            raise ParameterError("KmerRidge.predict called before fit")
        codes = _check_kmer_codes(codes)
        out = np.empty(len(codes), dtype=np.float32)
        step = 8 * self.chunk_rows
        for start in range(0, len(codes), step):
            counts = kmer_counts(codes[start : start + step], ks=self.ks)
            out[start : start + step] = counts @ self.coef_ + self.intercept_
        return out

    def to_keras(self, length: int, *, name: str = "kmer_ridge") -> Any:
        """The fitted model as a Keras model on ``(n, length)`` uint8 codes.

        :class:`gexnb.models.layers.KmerCounts` counts the k-mers in the graph and a
        ``Dense(1)`` holds ``coef_`` and ``intercept_``: the predictions of :meth:`predict`
        (float32 sums), in a ``.keras`` file that ``gexnb predict`` and the explanations
        take like any sequence model.

        Parameters
        ----------
        length
            Positions per sequence (the training codes' width).
        name
            Name of the Keras model.

        Returns
        -------
        keras.Model
            Output ``(n, 1)``.

        Raises
        ------
        ParameterError
            Called before :meth:`fit`, or ``length`` below 1.
        """
        import keras

        from gexnb.models.layers import KmerCounts

        if self.coef_ is None:
            raise ParameterError("KmerRidge.to_keras called before fit")
        if int(length) < 1:
            raise ParameterError(f"length must be >= 1, got {length!r}")
        codes = keras.Input(shape=(int(length),), dtype="uint8", name="codes")
        counts = KmerCounts(self.ks, dtype="float32", name="kmer_counts")(codes)
        ridge = keras.layers.Dense(1, dtype="float32", name="ridge")
        model = keras.Model(codes, ridge(counts), name=name)
        weights = np.asarray(self.coef_, dtype=np.float32).reshape(-1, 1)
        ridge.set_weights([weights, np.array([self.intercept_], dtype=np.float32)])
        return model


@dataclass
class _GramStats:
    """Sufficient statistics of a ridge regression on counts (sums over rows)."""

    gram: np.ndarray
    sums: np.ndarray
    xty: np.ndarray
    y_sum: float
    n: int

    def standardized(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        """Gram matrix and ``X^T y`` of the centered, unit-variance counts.

        Returns ``(gram, rhs, mean, scale, y_mean)``; ``scale`` is 1 for constant features,
        as in :class:`sklearn.preprocessing.StandardScaler`.
        """
        mean = self.sums / self.n
        gram = self.gram.copy()
        gram -= self.n * np.outer(mean, mean)
        scale = np.sqrt(np.maximum(np.diag(gram) / self.n, 0.0))
        scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
        gram /= scale[:, None]
        gram /= scale[None, :]
        y_mean = self.y_sum / self.n
        rhs = (self.xty - mean * self.y_sum) / scale
        return gram, rhs, mean, scale, y_mean


@register_model("kmer_ridge", kind="classical", task="sequence")
def build_kmer_ridge(
    *,
    k_min: int = 1,
    k_max: int = 6,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    max_train: int = DEFAULT_MAX_TRAIN,
    seed: int = 0,
) -> KmerRidge:
    """Build the k-mer count ridge baseline (k = ``k_min``..``k_max``); see :class:`KmerRidge`.

    ``max_train`` caps the training sequences (seeded subsample, ``seed``). Bag-of-k-mer
    linear models are the classical baseline of the DREAM 2022 promoter challenge (Rafi et
    al. [1]_); this configuration (k = 1..6, standardized counts, ridge with the penalty
    chosen by leave-one-out) is gexnb's choice, not a published model's.

    Parameters
    ----------
    k_min, k_max
        Smallest and largest k-mer size (``1 <= k_min <= k_max <= 10``).
    alphas
        Penalty grid of the ridge regression.
    max_train
        Largest number of training sequences used; larger sets are subsampled.
    seed
        Seed of the subsample.

    Returns
    -------
    KmerRidge
        An unfitted model.

    Raises
    ------
    ParameterError
        If the k-mer sizes are outside ``1 <= k_min <= k_max <= 10``.

    References
    ----------
    .. [1] Rafi et al., "A community effort to optimize sequence-based deep learning models of
       gene regulation", Nat Biotechnol (2024).
    """
    if not 1 <= int(k_min) <= int(k_max) <= 10:
        raise ParameterError(f"need 1 <= k_min <= k_max <= 10, got {k_min}, {k_max}")
    return KmerRidge(
        ks=range(int(k_min), int(k_max) + 1), alphas=alphas, max_train=max_train, seed=seed
    )

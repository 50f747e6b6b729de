"""Tests of the k-mer count ridge baseline."""

from __future__ import annotations

import numpy as np
import pytest

from gexnb.data.sequences import encode_sequences
from gexnb.data.synthetic import synthetic_promoters
from gexnb.errors import InputError, ParameterError
from gexnb.models import build
from gexnb.models.kmer import KmerRidge, kmer_counts, n_kmer_features


def test_feature_count():
    assert n_kmer_features(range(1, 7)) == 5_460
    assert kmer_counts(np.zeros((2, 10), dtype=np.uint8)).shape == (2, 5_460)


def test_counts_by_hand_ignore_padding_and_n():
    # "TTCA" left-padded to 7, then "TNT": codes T=0 C=1 G=2 A=3 N=4 PAD=5.
    codes = encode_sequences(["TTCA", "TNT"], length=7)
    counts = kmer_counts(codes, ks=(1, 2)).toarray()
    mono, di = counts[:, :4], counts[:, 4:]
    np.testing.assert_array_equal(mono[0], [2, 1, 0, 1])
    np.testing.assert_array_equal(mono[1], [2, 0, 0, 0])  # N is no base
    expected = np.zeros(16)
    expected[0 * 4 + 0] = 1  # TT
    expected[0 * 4 + 1] = 1  # TC
    expected[1 * 4 + 3] = 1  # CA
    np.testing.assert_array_equal(di[0], expected)
    np.testing.assert_array_equal(di[1], np.zeros(16))  # TN, NT skipped
    assert kmer_counts(codes, ks=(3,)).toarray()[0].sum() == 2  # TTC, TCA


def test_ridge_recovers_planted_signal():
    frame = synthetic_promoters(1500, seed=1)
    codes = encode_sequences(frame["sequence"], length=142)
    y = frame["expression"].to_numpy()
    model = build("kmer_ridge", k_max=4).fit(codes[:1200], y[:1200])
    r = np.corrcoef(model.predict(codes[1200:]), y[1200:])[0, 1]
    assert r > 0.5
    assert model.alpha_ > 0


def test_errors():
    with pytest.raises(ParameterError):
        build("kmer_ridge", k_min=3, k_max=2)
    with pytest.raises(ParameterError, match="before fit"):
        KmerRidge().predict(np.zeros((1, 5), dtype=np.uint8))
    with pytest.raises(InputError, match="rows"):
        KmerRidge(ks=(1,)).fit(np.zeros((3, 5), dtype=np.uint8), np.zeros(2))
    with pytest.raises(InputError, match="2-D"):
        kmer_counts(np.zeros(5, dtype=np.uint8))


def _standardized_ridge(codes: np.ndarray, y: np.ndarray, alpha: float, ks=(1, 2, 3)):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = kmer_counts(codes, ks=ks).toarray().astype(np.float64)
    return make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(features, y), features


@pytest.fixture(scope="module")
def small_promoters():
    frame = synthetic_promoters(600, seed=3)
    return encode_sequences(frame["sequence"], length=142), frame["expression"].to_numpy()


def test_kernel_solver_matches_scaled_ridge(small_promoters):
    codes, y = small_promoters
    model = KmerRidge(ks=(1, 2, 3), alphas=(1.0, 30.0, 1000.0), loo_max_rows=600).fit(codes, y)
    assert model.solver_ == "loo-kernel" and model.n_fit_ == 600
    reference, features = _standardized_ridge(codes, y, model.alpha_)
    np.testing.assert_allclose(model.predict(codes), reference.predict(features), rtol=1e-4)


def test_streamed_gram_solver_matches_sklearn_leave_one_out(small_promoters):
    """The large-data solver (forced by loo_max_rows=0): same LOO errors, penalty and model."""
    from sklearn.linear_model import RidgeCV
    from sklearn.preprocessing import StandardScaler

    codes, y = small_promoters
    alphas = (0.3, 30.0, 3000.0)
    model = KmerRidge(ks=(1, 2, 3), alphas=alphas, loo_max_rows=0, chunk_rows=97).fit(codes, y)
    assert model.solver_ == "loo-gram"
    features = StandardScaler().fit_transform(kmer_counts(codes, ks=(1, 2, 3)).toarray())
    reference = RidgeCV(alphas=alphas, store_cv_results=True).fit(features, y)
    np.testing.assert_allclose(model.loo_mse_, reference.cv_results_.mean(axis=0), rtol=1e-5)
    assert model.alpha_ == reference.alpha_
    fitted, features = _standardized_ridge(codes, y, model.alpha_)
    np.testing.assert_allclose(model.predict(codes), fitted.predict(features), rtol=1e-4)


def test_subsample_above_max_train(small_promoters):
    codes, y = small_promoters
    model = KmerRidge(ks=(1, 2), max_train=100, seed=5).fit(codes, y)
    assert model.n_fit_ == 100
    again = KmerRidge(ks=(1, 2), max_train=100, seed=5).fit(codes, y)
    np.testing.assert_array_equal(model.predict(codes), again.predict(codes))


def test_bad_settings_and_targets():
    with pytest.raises(ParameterError, match="alphas"):
        KmerRidge(alphas=(0.0,))
    with pytest.raises(InputError, match="NaN"):
        KmerRidge(ks=(1,)).fit(np.zeros((3, 5), dtype=np.uint8), np.array([1.0, np.nan, 2.0]))


def test_codes_and_targets_are_checked():
    # review C13/B16: float codes were truncated, out-of-range codes counted or fitted the mean
    model = build("kmer_ridge", k_min=1, k_max=2)
    codes = np.random.default_rng(0).integers(0, 4, size=(4, 10)).astype(np.uint8)
    y = np.arange(1.0, 5.0)
    with pytest.raises(ParameterError, match="integer array of codes, got dtype float64"):
        kmer_counts(np.array([[1.7, 0.2, 1, 2]]), ks=(1,))
    with pytest.raises(InputError, match="code -1 at row 0, position 2"):
        kmer_counts(np.array([[0, -1]], dtype=np.int8))
    with pytest.raises(ParameterError, match="integer array"):
        model.fit(codes + 0.3, y)
    with pytest.raises(InputError, match="code 9 at row 0, position 1"):
        model.fit(np.full((4, 10), 9), y)
    with pytest.raises(InputError, match=r"y must be 1-D .*got shape \(2, 2\)"):
        model.fit(codes, y.reshape(2, 2))
    fitted = model.fit(codes, y.reshape(4, 1))  # one column is one target per row
    with pytest.raises(InputError, match="code 9"):
        fitted.predict(np.full((1, 10), 9))
    with pytest.raises(ParameterError, match="integer array"):
        fitted.predict(np.full((1, 10), np.nan))

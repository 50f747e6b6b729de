"""Tests of the classical baselines (gexnb.models.baselines): known answers, shapes, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gexnb.errors import InputError, ParameterError
from gexnb.models import available, build
from gexnb.models.baselines import BASELINE_NAMES


def _data(n=60, p=5, q=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    w = rng.normal(size=(p, q))
    y = x @ w + 0.5 + 0.1 * rng.normal(size=(n, q))
    return x, y


def test_all_registered():
    assert set(BASELINE_NAMES) <= set(available())


def test_linear_equals_closed_form_lstsq():
    x, y = _data()
    model = build("linear").fit(x, y)
    design = np.hstack([np.ones((x.shape[0], 1)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    x_new = np.random.default_rng(1).normal(size=(7, x.shape[1]))
    expected = np.hstack([np.ones((7, 1)), x_new]) @ coef
    np.testing.assert_allclose(model.predict(x_new), expected, rtol=1e-9, atol=1e-9)


def test_knn_ge_hand_checked():
    # 1-D landmark space: training points at 0, 1, 2, 10; targets chosen by hand.
    x = np.array([[0.0], [1.0], [2.0], [10.0]])
    y = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 30.0], [100.0, 0.0]])
    model = build("knn_ge", k=2).fit(x, y)
    # query 0.4: nearest are 0 (d=0.4) and 1 (d=0.6) -> mean of rows 0 and 1
    # query 9: nearest are 10 (d=1) and 2 (d=7) -> mean of rows 3 and 2
    pred = model.predict(np.array([[0.4], [9.0]]))
    np.testing.assert_allclose(pred, [[2.0, 15.0], [52.5, 15.0]])


def test_knn_ge_k_larger_than_samples():
    x, y = _data(n=5)
    with pytest.raises(ParameterError, match="k=10"):
        build("knn_ge", k=10).fit(x, y)


def test_knn_ge_genes_hand_checked():
    # Three landmark genes over four training samples; each target's profile lies nearest to
    # two of them (Euclidean over the samples), so it is predicted as their mean.
    x = np.array([[0.0, 1.0, 5.0], [1.0, 2.0, 5.0], [2.0, 3.0, 5.0], [3.0, 4.0, 5.0]])
    y = np.array([[0.4, 4.0], [1.4, 4.5], [2.4, 5.0], [3.4, 5.5]])
    model = build("knn_ge_genes", k=2).fit(x, y)
    # target 0 is nearest landmarks 0 and 1; target 1 nearest landmarks 2 and 1
    assert [sorted(n) for n in model.estimator_.neighbours_.tolist()] == [[0, 1], [1, 2]]
    pred = model.predict(np.array([[10.0, 20.0, 30.0]]))
    np.testing.assert_allclose(pred, [[15.0, 25.0]])
    one = build("knn_ge_genes", k=1).fit(x, y[:, 1]).predict(np.array([[10.0, 20.0, 30.0]]))
    np.testing.assert_allclose(one, [30.0])


def test_knn_ge_genes_k_larger_than_landmarks():
    x, y = _data(n=40, p=5)
    with pytest.raises(ParameterError, match="k=6 exceeds the 5 landmark genes"):
        build("knn_ge_genes", k=6).fit(x, y)
    with pytest.raises(ParameterError, match=r"knn_ge_genes: k must be an integer >= 1"):
        build("knn_ge_genes", k=2.5).fit(x, y)


def test_knn_ge_genes_data_frames_clone_and_pickle():
    import pickle

    from sklearn.base import clone

    x, y = _data(n=40, p=6)
    frame = pd.DataFrame(x, columns=[f"g{i}" for i in range(6)])
    model = build("knn_ge_genes", k=2).fit(frame, y)
    np.testing.assert_allclose(model.predict(frame.iloc[:3]), model.predict(x[:3]))
    with pytest.raises(InputError, match="select them in the fitted order"):
        model.predict(frame[frame.columns[::-1]])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict(x[:3]), model.predict(x[:3]))
    assert clone(model).get_params() == {"k": 2, "n_jobs": None, "random_state": 0}
    with pytest.raises(ParameterError, match="knn_ge_genes: .*'max_targets'"):
        build("knn_ge_genes", max_targets=3)


@pytest.mark.parametrize("name", ["knn_ge", "knn_ge_genes", "linear"])
def test_ragged_or_empty_matrices_are_gexnb_errors(name):
    x, y = _data(n=20, p=4)
    hp = {} if name == "linear" else {"k": 1}
    with pytest.raises(InputError, match="must hold numbers"):
        build(name, **hp).fit([[1.0, 2.0], [3.0]], [1.0, 2.0])  # was numpy's bare ValueError
    with pytest.raises(InputError, match=r"X \(landmark matrix\) has no columns"):
        build(name, **hp).fit(np.zeros((20, 0)), y)
    with pytest.raises(InputError, match=r"Y \(target matrix\) has no columns"):
        build(name, **hp).fit(x, np.zeros((20, 0)))


@pytest.mark.parametrize("name", ["knn_ge", "knn_ge_genes"])
def test_knn_ge_k_is_chosen_by_cross_validation_among_candidates(name):
    from sklearn.model_selection import GridSearchCV, KFold

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 30))
    y = np.stack([x[:, [1, 2, 3]].mean(1), x[:, [5, 6, 7]].mean(1)], 1)
    y = y + 0.3 * rng.normal(size=y.shape)
    model = build(name, k=[1, 3, 10]).fit(x, y)
    # the same choice as a plain grid search over the estimator with the given k
    param = "n_neighbors" if name == "knn_ge" else "k"
    search = GridSearchCV(
        build(name, k=1).fit(x, y).estimator_,
        {param: [1, 3, 10]},
        cv=KFold(5, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    ).fit(x, y)
    assert model.k_ == search.best_params_[param]
    np.testing.assert_allclose(
        model.predict(x[:5]), build(name, k=model.k_).fit(x, y).predict(x[:5])
    )
    assert build(name, k=3).fit(x, y).k_ == 3 and build(name, k=[3]).fit(x, y).k_ == 3
    for bad, message in (([], "a list of them"), ([3, 3], "twice"), ([1, 2.5], ">= 1")):
        with pytest.raises(ParameterError, match=message):
            build(name, k=bad).fit(x, y)
    with pytest.raises(ParameterError, match="at least 5 training samples"):
        build(name, k=[1, 2]).fit(x[:4], y[:4])


def test_knn_ge_genes_chooses_the_planted_neighbour_count():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 40))
    y = np.stack([x[:, [1, 2, 3]].mean(1), x[:, [5, 6, 7]].mean(1)], 1)
    y = y + 0.3 * rng.normal(size=y.shape)
    assert build("knn_ge_genes", k=[1, 3, 10]).fit(x, y).k_ == 3


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_one_and_many_targets(name):
    hp = {"n_estimators": 5} if name == "random_forest" else {}
    if name == "gradient_boosting":
        hp = {"max_iter": 5}
    if name == "knn_ge_genes":
        hp = {"k": 2}  # at most the 5 landmarks
    x, y = _data(n=40)
    many = build(name, **hp).fit(x, y)
    assert many.predict(x[:4]).shape == (4, 3)
    one = build(name, **hp).fit(x, y[:, 0])
    assert one.predict(x[:4]).shape == (4,)


@pytest.mark.parametrize("name", ["ridge", "svr", "random_forest", "gradient_boosting"])
def test_baselines_fit_linear_signal(name):
    hp = {"n_estimators": 30} if name == "random_forest" else {}
    x, y = _data(n=200, q=1)
    model = build(name, **hp).fit(x[:150], y[:150, 0])
    err = np.mean(np.abs(model.predict(x[150:]) - y[150:, 0]))
    mean_err = np.mean(np.abs(y[150:, 0] - y[:150, 0].mean()))
    assert err < 0.6 * mean_err


def test_max_targets_subset():
    x, y = _data(n=40, q=6)
    model = build("svr", max_targets=2, random_state=3).fit(x, y)
    assert model.is_subset
    assert model.target_indices_.shape == (2,)
    assert np.all(np.diff(model.target_indices_) > 0)
    assert model.predict(x).shape == (40, 2)
    full = build("svr").fit(x, y)
    np.testing.assert_allclose(
        model.predict(x), full.predict(x)[:, model.target_indices_], rtol=1e-8
    )
    with pytest.raises(ParameterError, match="max_targets"):
        build("svr", max_targets=0).fit(x, y)


def test_bad_inputs():
    x, y = _data()
    x_nan = x.copy()
    x_nan[3, 2] = np.nan
    with pytest.raises(InputError, match="sample 3, column 2"):
        build("linear").fit(x_nan, y)
    with pytest.raises(InputError, match="paired"):
        build("linear").fit(x, y[:-1])
    model = build("linear").fit(x, y)
    with pytest.raises(InputError, match="landmark columns"):
        model.predict(x[:, :2])
    with pytest.raises(ParameterError, match="not fitted"):
        build("ridge").predict(x)


def test_baselines_name_what_they_were_given_wrongly():
    """Columns in another order were predicted by position; scikit-learn's own errors and
    a LinAlgError came through bare (found by an API fault sweep)."""
    x, y = _data()
    frame = pd.DataFrame(x, columns=[f"g{i}" for i in range(x.shape[1])])
    model = build("linear").fit(frame, y)
    np.testing.assert_allclose(model.predict(frame), model.predict(x))
    with pytest.raises(InputError, match="X has columns .*first: 'g4' where the fit had 'g0'"):
        model.predict(frame[list(frame.columns[::-1])])
    with pytest.raises(ParameterError, match="random_forest: .*n_estimators"):
        build("random_forest", n_estimators=0).fit(x, y)
    with pytest.raises(ParameterError, match="svr: .*'C'"):
        build("svr", C=-1.0).fit(x, y)
    for alphas in [(), (-1.0,)]:
        with pytest.raises(ParameterError, match="ridge: alphas must be one or more positive"):
            build("ridge", alphas=alphas).fit(x, y)
    with np.errstate(all="ignore"), pytest.raises(InputError, match="ridge: the fit failed"):
        build("ridge").fit(x * 1e200, y)
    with pytest.raises(ParameterError, match="ridge: .*unexpected keyword argument 'alpha'"):
        build("ridge", alpha=1)
    with pytest.raises(ParameterError, match="kind must be one of"):
        available(kind="bogus")  # an empty list before
    with pytest.raises(ParameterError, match=r"knn_ge: k must be an integer >= 1, got 2\.5"):
        build("knn_ge", k=2.5).fit(x, y)  # used as 2 before
    with pytest.raises(ParameterError, match=r"max_targets must be an integer >= 1, got 1\.5"):
        build("svr", max_targets=1.5).fit(x, y)
    with pytest.raises(InputError, match=r"X \(landmark matrix\) must hold numbers"):
        build("linear").fit(np.array([["a", "b", "c"]] * 12), y[:12])


def test_median_baseline_is_each_targets_training_median():
    """The MAE's constant floor: on zero-inflated targets far below the mean's."""
    rng = np.random.default_rng(0)
    y = np.where(rng.random((101, 3)) < 0.7, 0.0, rng.exponential(2.0, (101, 3)))
    x = rng.normal(size=(101, 2)).astype("float32")
    predicted = build("median").fit(x, y).predict(x[:4])
    np.testing.assert_allclose(predicted, np.broadcast_to(np.median(y, axis=0), (4, 3)))
    mae = {name: np.abs(build(name).fit(x, y).predict(x) - y).mean() for name in ("mean", "median")}
    assert mae["median"] < 0.8 * mae["mean"]


def test_fitting_every_target_holds_no_copy_of_them():
    """Baseline.fit copied Y (``y[:, every index]``) before the estimator's own work: one
    more target matrix in memory for every baseline (9,520 x 88,807 float64 is 6.8 GB)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4000, 5)), rng.normal(size=(4000, 500))
    tracemalloc.start()
    try:
        build("mean").fit(x, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.25 * y.nbytes, f"peak {peak:,} B for a Y of {y.nbytes:,} B"
    subset = build("svr", max_targets=2).fit(x[:200], y[:200])
    assert subset.predict(x[:3]).shape == (3, 2)  # a subset is still taken


def test_knn_ge_candidates_too_large_for_the_data_are_left_out(caplog):
    """``k: [1, 3, 5, 10, 20, 50]`` on 12 training samples refused the whole run ("k=10
    exceeds the 8 training samples of a fold", a new-user trial); the candidates that fit
    are now chosen among, the others logged. A single k too large is still refused."""
    import logging

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 4)), rng.normal(size=(12, 3))
    with caplog.at_level(logging.WARNING, logger="gexnb.models.baselines"):
        model = build("knn_ge", k=[1, 3, 5, 10, 20, 50]).fit(x, y)
    assert model.k_ in (1, 3, 5)
    assert any("k=10,20,50 exceed the 9 training samples of a fold" in m for m in caplog.messages)
    genes = build("knn_ge_genes", k=[1, 2, 8]).fit(x, y)
    assert genes.k_ in (1, 2)
    with pytest.raises(ParameterError, match="k=20 exceeds the 12 training samples"):
        build("knn_ge", k=20).fit(x, y)


def test_linear_ignores_a_direction_the_normalisation_fixed():
    """Landmarks quantile-normalised alone have the same values in every sample, so their
    sum is fixed: plain least squares gave that direction weights of up to 18.6 on GPL96's
    97 shared landmarks, and a second data set normalised with its own statistics (on which
    the sum is not the same) was predicted with an MAE of 6.59 instead of 0.83. The
    weakest directions (below LSTSQ_COND of the strongest) now get no weight."""
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    reference = np.sort(rng.normal(0, 1, 20))
    x = np.array([rng.permutation(reference) for _ in range(200)])
    x += rng.normal(0, 1e-5, x.shape)  # ties and rounding: nearly, not exactly, fixed
    y = x[:, :3] @ np.array([[1.0], [-0.5], [0.25]]) + rng.normal(0, 0.1, (200, 1))
    other = rng.normal(0, 1, (50, 20))  # another data set: the sum varies
    truth = other[:, :3] @ np.array([[1.0], [-0.5], [0.25]])
    plain = LinearRegression().fit(x, y)
    ours = build("linear").fit(x, y)
    assert np.abs(plain.coef_).max() > 50 and np.abs(ours.estimator_.coef_).max() < 2
    assert ours.estimator_.rank_ == 19
    np.testing.assert_allclose(ours.predict(x), plain.predict(x), atol=0.05)
    assert (
        np.abs(ours.predict(other) - truth).mean()
        < 0.5
        < np.abs(plain.predict(other) - truth).mean()
    )


def test_linear_does_not_depend_on_the_inputs_units():
    """The cutoff was applied to the raw centred inputs: a landmark of a 2,000 times smaller
    spread (values not z-scored) lost its weight, MAE 0.83 against least squares' 0.009 (a
    review). Least squares does not depend on the columns' units; gexnb's neither."""
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    weights = np.array([1.0, -1.0, 0.5, 2.0, 1.0])
    x = rng.normal(size=(500, 5))
    y = x @ weights + rng.normal(0, 0.1, 500)
    x[:, 4] *= 5e-4
    test = rng.normal(size=(200, 5))
    truth = test @ weights
    test[:, 4] *= 5e-4
    ours = build("linear").fit(x, y).predict(test)
    np.testing.assert_allclose(ours, LinearRegression().fit(x, y).predict(test), atol=1e-8)
    assert np.abs(ours - truth).mean() < 0.02

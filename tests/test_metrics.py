"""Metrics against hand-computed values (gexnb.metrics)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gexnb.errors import InputError, ParameterError
from gexnb.metrics import (
    DREAM_WEIGHT_TOTAL,
    DREAM_WEIGHTS,
    dream_score,
    parse_dream_subsets,
    per_gene_mae,
    prefixed,
    regression_report,
    relative_improvement,
    share_improved,
)


def test_regression_report_1d_hand_computed():
    # errors 0, 1, -1, 1 -> MAE 3/4, MSE 3/4; SS_res 3, SS_tot 5 -> R2 0.4;
    # Pearson: cov 5.5 / sqrt(5 * 8.75); Spearman: ranks (1,2,3,4) vs (1,3,2,4) -> 1 - 6*2/60.
    rep = regression_report([1, 2, 3, 4], [1, 3, 2, 5])
    assert rep["mae"] == pytest.approx(0.75)
    assert rep["mse"] == pytest.approx(0.75)
    assert rep["rmse"] == pytest.approx(math.sqrt(0.75))
    assert rep["r2"] == pytest.approx(0.4)
    assert rep["pearson"] == pytest.approx(5.5 / math.sqrt(5 * 8.75))
    assert rep["spearman"] == pytest.approx(0.8)
    assert rep["n"] == 4
    assert set(rep) == {"mae", "mse", "rmse", "r2", "pearson", "spearman", "n"}


def test_regression_report_2d_hand_computed():
    t = np.array([[1, 10], [2, 20], [3, 30]], dtype=float)
    p = np.array([[1, 12], [3, 20], [3, 28]], dtype=float)
    rep = regression_report(t, p)
    # entries' errors: 0, 1, 0 and 2, 0, -2
    assert rep["mae"] == pytest.approx(5 / 6)
    assert rep["mse"] == pytest.approx(1.5)
    # per-gene R2: 1 - 1/2 and 1 - 8/200, uniform average
    assert rep["r2"] == pytest.approx((0.5 + 0.96) / 2)
    flat_r = np.corrcoef(t.ravel(), p.ravel())[0, 1]
    assert rep["pearson"] == pytest.approx(flat_r)
    assert rep["n"] == 3
    np.testing.assert_allclose(per_gene_mae(t, p), [1 / 3, 4 / 3])


def test_regression_report_accepts_pandas_and_column_vectors():
    t = pd.Series([1.0, 2.0, 3.0])
    p = np.array([[1.0], [3.0], [2.0]])
    rep = regression_report(t, p)
    assert rep["pearson"] == pytest.approx(0.5)
    assert rep["spearman"] == pytest.approx(0.5)


def test_constant_prediction_gives_nan_correlation():
    rep = regression_report([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert math.isnan(rep["pearson"]) and math.isnan(rep["spearman"])
    assert rep["r2"] == pytest.approx(0.0)


def test_prediction_constant_but_for_float_rounding_gives_nan_correlation():
    """The predict-the-mean baseline of z-scored float32 targets predicts means of about 1e-8
    that differ by rounding: its Pearson r was written (+-0.01, changing with the row order),
    though the docstring of ``prefixed`` says it is left out (found by an audit recomputing
    every metric from the saved files)."""
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(200, 30))
    rounding = np.tile(rng.normal(scale=1e-8, size=30), (200, 1))
    rep = regression_report(truth, rounding)
    assert math.isnan(rep["pearson"]) and math.isnan(rep["spearman"])
    assert "pearson" not in prefixed(rep, "mean", "test")
    # small values with a real pattern are still correlated, whatever their unit
    tiny = regression_report(truth * 1e-9, (truth + rng.normal(size=truth.shape)) * 1e-9)
    assert tiny["pearson"] == pytest.approx(1 / np.sqrt(2), abs=0.05)
    # predictions on a far larger scale than the truth (a test set measured on another
    # scale) keep their correlations: the truth was called constant (a reviewer's finding)
    pred = truth + rng.normal(size=truth.shape)
    same = regression_report(truth, pred)
    for factor in (1e7, 1e12):
        rep = regression_report(truth, pred * factor)
        assert rep["pearson"] == pytest.approx(same["pearson"], rel=1e-9), factor
        assert rep["spearman"] == pytest.approx(same["spearman"], rel=1e-9), factor


@pytest.mark.parametrize(
    ("t", "p", "match"),
    [
        ([1.0, np.nan, 3.0], [1.0, 2.0, 3.0], "y_true holds 1 NaN.*index 1"),
        ([1.0, 2.0, 3.0], [[1.0, 2.0], [np.inf, 1.0]], "y_pred"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], "shape"),
        ([], [], "empty"),
        (["a", "b"], [1.0, 2.0], "not numeric"),
    ],
)
def test_bad_inputs_raise(t, p, match):
    with pytest.raises(InputError, match=match):
        regression_report(t, p)


def test_nan_in_2d_names_row_and_column():
    t = np.ones((3, 2))
    t[2, 1] = np.nan
    with pytest.raises(InputError, match="row 2, column 1"):
        per_gene_mae(t, np.ones((3, 2)))


def test_relative_improvement_and_share_improved():
    assert relative_improvement(0.8, 1.0) == pytest.approx(0.2)
    assert relative_improvement(1.2, 1.0) == pytest.approx(-0.2)
    # arrays are averaged: mean 0.3 vs 0.4
    assert relative_improvement([0.2, 0.4], [0.4, 0.4]) == pytest.approx(0.25)
    with pytest.raises(InputError, match="baseline error is 0"):
        relative_improvement(0.1, 0.0)
    # strictly lower only: tie at index 1 is not an improvement
    assert share_improved([0.1, 0.5, 0.9, 0.2], [0.2, 0.5, 0.8, 0.3]) == pytest.approx(0.5)
    with pytest.raises(InputError, match="per-gene errors"):
        share_improved([0.1, 0.2], [0.1])


def test_prefixed_keys_follow_contract():
    rep = regression_report([1, 2, 3, 4], [1, 3, 2, 5])
    flat = prefixed(rep, "linear", "test")
    assert flat["linear/test/mae"] == pytest.approx(0.75)
    assert flat["linear/test/n"] == 4 and isinstance(flat["linear/test/n"], int)
    assert len(flat) == 7
    with pytest.raises(ParameterError):
        prefixed(rep, "a/b", "test")


def test_dream_weights_are_the_organisers():
    assert DREAM_WEIGHTS["SNV"] == 1.25 and DREAM_WEIGHTS["challenging"] == 0.5
    assert sum(DREAM_WEIGHTS.values()) == pytest.approx(DREAM_WEIGHT_TOTAL)


def _full_subsets(n: int) -> tuple[dict, dict]:
    idx = np.arange(n)
    subsets = {
        name: idx
        for name in DREAM_WEIGHTS
        if name not in ("SNV", "motif_perturbation", "motif_tiling")
    }
    half = n // 2
    pairs = {
        name: (idx[:half], idx[half : 2 * half])
        for name in ("SNV", "motif_perturbation", "motif_tiling")
    }
    return subsets, pairs


def test_dream_score_perfect_prediction_is_one():
    rng = np.random.default_rng(0)
    y = rng.normal(size=20)
    subsets, pairs = _full_subsets(20)
    res = dream_score(y, y, subsets=subsets, pairs=pairs)
    assert res["complete"] and res["missing"] == [] and res["unpaired"] == []
    assert res["pearson_score"] == pytest.approx(1.0)
    assert res["spearman_score"] == pytest.approx(1.0)


def test_dream_score_weighted_formula_by_hand():
    # subset a: r = rho = 1; subset b: predictions reversed, r = rho = -1 (r^2 = 1)
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    pred = np.array([1.0, 2.0, 3.0, 6.0, 5.0, 4.0])
    res = dream_score(
        y, pred, subsets={"a": [0, 1, 2], "b": [3, 4, 5]}, weights={"a": 1.0, "b": 3.0}
    )
    assert res["subsets"]["b"]["r"] == pytest.approx(-1.0)
    assert res["pearson_score"] == pytest.approx((1 + 3 * 1) / 4)
    assert res["spearman_score"] == pytest.approx((1 - 3) / 4)
    # 3-point hand case: t = (1,2,3), p = (1,3,2) -> r = rho = 0.5, r^2 = 0.25
    res = dream_score([1, 2, 3], [1, 3, 2], subsets={"a": [0, 1, 2]}, weights={"a": 2.0})
    assert res["pearson_score"] == pytest.approx(0.25)
    assert res["spearman_score"] == pytest.approx(0.5)


def test_dream_paired_subsets_use_differences():
    ref, alt = [0, 1, 2], [3, 4, 5]
    y = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])  # alt - ref = 1, 2, 3
    pred = np.array([0.0, 5.0, 10.0, 1.0, 7.0, 13.0])  # alt - ref = 1, 2, 3 as well
    paired = dream_score(y, pred, subsets={}, pairs={"SNV": (ref, alt)})
    assert paired["subsets"]["SNV"]["r"] == pytest.approx(1.0)
    assert paired["subsets"]["SNV"]["n"] == 3 and paired["subsets"]["SNV"]["paired"]
    unpaired = dream_score(y, pred, subsets={"SNV": ref + alt})
    assert unpaired["subsets"]["SNV"]["r"] < 0.9
    assert unpaired["unpaired"] == ["SNV"]
    assert math.isnan(unpaired["pearson_score"])


def test_dream_partial_subsets_renormalised_not_official():
    y = np.arange(10, dtype=float)
    res = dream_score(y, y**2, subsets={"all": np.arange(10), "high_exp": [5, 6, 7, 8, 9]})
    assert not res["complete"]
    assert math.isnan(res["pearson_score"]) and math.isnan(res["spearman_score"])
    assert set(res["missing"]) == set(DREAM_WEIGHTS) - {"all", "high_exp"}
    assert res["weight_available"] == pytest.approx(1.3)
    r_all = np.corrcoef(y, y**2)[0, 1]
    r_high = np.corrcoef(y[5:], y[5:] ** 2)[0, 1]
    expected = (r_all**2 + 0.3 * r_high**2) / 1.3
    assert res["pearson_score_available"] == pytest.approx(expected)
    assert res["spearman_score_available"] == pytest.approx(1.0)  # monotone on 0..9
    flat = prefixed(res, "kmer_ridge", "test")
    assert flat["kmer_ridge/test_high_exp/pearson"] == pytest.approx(r_high)
    assert flat["kmer_ridge/test_all/n"] == 10
    assert "kmer_ridge/test/pearson_score_available" in flat


def test_dream_bad_indices():
    with pytest.raises(InputError, match="outside"):
        dream_score([1.0, 2.0], [1.0, 2.0], subsets={"all": [0, 5]})
    with pytest.raises(InputError, match="ref but"):
        dream_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], subsets={}, pairs={"SNV": ([0], [1, 2])})


def test_parse_dream_subsets_hand_case():
    frame = pd.DataFrame(
        {"subsets": ["all_random;high_exp", None, "motif_tiling_alt", "motif_tiling_ref", ""]}
    )
    parsed = parse_dream_subsets(frame)
    assert parsed["subsets"]["all"].tolist() == [0, 1, 2, 3, 4]
    assert parsed["subsets"]["high_exp"].tolist() == [0]
    assert parsed["subsets"]["motif_tiling"].tolist() == [2, 3]
    assert parsed["unpaired"] == ["motif_tiling"]
    assert parsed["pairs"] == {}


def test_parse_dream_subsets_real_file(shared_data):
    path = shared_data / "dream2022_yeast_promoters" / "test_measured.tsv"
    frame = pd.read_csv(path, sep="\t")
    parsed = parse_dream_subsets(frame)
    sizes = {k: len(v) for k, v in parsed["subsets"].items()}
    # counts of the `subsets` column of the real file (4,871 rows; no SNV subset, no pairing)
    assert sizes["all"] == 4871
    assert sizes["all_random"] == 864 and sizes["high_exp"] == 99 and sizes["low_exp"] == 145
    assert (
        sizes["motif_perturbation"] == 338 and sizes["motif_tiling"] == 271
    )  # 269 alt + 3 ref, one row in both
    assert "alt_pos" not in frame.columns and "ref_pos" not in frame.columns
    y = frame["expression"].to_numpy()
    res = dream_score(y, y, subsets=parsed["subsets"])
    assert res["missing"] == ["SNV"]
    assert res["unpaired"] == ["motif_perturbation", "motif_tiling"]
    assert math.isnan(res["pearson_score"])
    assert res["pearson_score_available"] == pytest.approx(1.0)


def test_r2_of_a_constant_target_is_undefined_not_zero():
    import warnings

    from gexnb.metrics import regression_report

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(regression_report(np.ones(5), np.arange(5.0))["r2"])
        mixed = regression_report(
            np.c_[np.ones(5), np.arange(5.0)], np.c_[np.zeros(5), np.arange(5.0) + 0.1]
        )
    assert mixed["r2"] == pytest.approx(1 - 5 * 0.01 / 10)  # the constant gene is left out


# --- misuse is refused with gexnb's own errors -------------------------------------------------


def test_pandas_inputs_with_reordered_labels_are_refused():
    t = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"))
    p = pd.Series([4.0, 3.0, 2.0, 1.0], index=list("dcba"))  # a perfect prediction by label
    msg = (
        r"same row labels in another order \(first: 'a' vs 'd'\); align them \(y_pred.reindex_like"
    )
    with pytest.raises(InputError, match=msg):
        regression_report(t, p)
    with pytest.raises(InputError, match="same row labels in another order"):
        per_gene_mae(t, p)
    with pytest.raises(InputError, match="same row labels in another order"):
        dream_score(t, p, subsets={"all": np.arange(4)})
    # aligned by label, the same data is a perfect prediction
    assert regression_report(t, p.reindex_like(t))["pearson"] == pytest.approx(1.0)
    tdf = pd.DataFrame({"g1": [1.0, 2.0, 3.0], "g2": [3.0, 1.0, 2.0]})
    with pytest.raises(InputError, match=r"same column labels in another order \(first: 'g1'"):
        regression_report(tdf, tdf[["g2", "g1"]])
    with pytest.raises(InputError, match="same column labels in another order"):
        per_gene_mae(tdf, tdf[["g2", "g1"]])
    # labels that differ as sets are compared by position, as arrays (found by a review):
    # sample ids against a default RangeIndex, one column named differently on each side
    assert regression_report(t, pd.Series([1.0, 2.0, 3.0, 4.0]))["r2"] == pytest.approx(1.0)
    one = regression_report(t.to_frame("expression"), t.to_frame("prediction").to_numpy())
    assert one["r2"] == pytest.approx(1.0)
    named = regression_report(t.to_frame("expression"), t.to_frame("prediction"))
    assert named["r2"] == pytest.approx(1.0)
    with pytest.warns(UserWarning, match="share 2 of 4 row labels: they are compared by position"):
        regression_report(t, pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abxy")))
    # same labels in the same order, or one side plain: unchanged
    assert regression_report(tdf, tdf.copy())["r2"] == pytest.approx(1.0)
    assert regression_report(t, p.to_numpy())["pearson"] == pytest.approx(-1.0)


def test_per_gene_errors_with_misaligned_labels_are_refused():
    m = pd.Series([0.1, 0.5], index=["g1", "g2"])
    b = pd.Series([0.6, 0.2], index=["g2", "g1"])  # both genes improved, by label
    with pytest.raises(InputError, match="model_per_gene and baseline_per_gene have the same"):
        share_improved(m, b)
    assert share_improved(m, b.reindex_like(m)) == pytest.approx(1.0)
    # averaged: the same genes in another order are fine, other genes are not
    assert relative_improvement(m, b) == pytest.approx(0.25)
    with pytest.warns(UserWarning, match="model_error and baseline_error share 1 of 2 row"):
        relative_improvement(m, pd.Series([0.4, 0.2], index=["g1", "g3"]))


def test_error_comparisons_refuse_shape_mismatch_and_negative_errors():
    with pytest.raises(InputError, match=r"model_per_gene must be 1-D.*\(2, 3\)"):
        share_improved(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(InputError, match="3 per-gene errors but baseline_error has 2"):
        relative_improvement([0.1, 0.2, 0.3], [0.2, 0.3])
    # a length-1 list is a scalar, a single column is per-gene errors (found by a review)
    assert relative_improvement([0.1, 0.2, 0.3], [0.4]) == pytest.approx(0.5)
    assert share_improved(np.array([[0.1], [0.5]]), np.array([0.2, 0.4])) == pytest.approx(0.5)
    assert relative_improvement(np.array([[0.1], [0.3]]), [0.4, 0.4]) == pytest.approx(0.5)
    with pytest.raises(InputError, match=r"model_error holds 1 negative.*>= 0"):
        relative_improvement(-0.1, 0.2)
    with pytest.raises(InputError, match="baseline_error holds 1 negative"):
        relative_improvement([0.1], [1.0, -1.0])
    with pytest.raises(InputError, match="model_per_gene holds 2 negative"):
        share_improved([-1.0, -2.0], [1.0, 2.0])
    with pytest.raises(InputError, match="must be a scalar or a 1-D array"):
        relative_improvement(np.ones((2, 2)), 1.0)
    # a scalar next to per-gene errors is still averaged
    assert relative_improvement(0.3, [0.2, 0.4]) == pytest.approx(0.0)


def test_prefixed_refuses_bad_metric_names_and_non_mappings():
    with pytest.raises(ParameterError, match="metric name 'a/b' must be non-empty and contain no"):
        prefixed({"a/b": 1.0}, "m", "t")
    with pytest.raises(ParameterError, match="report must be a mapping"):
        prefixed([1, 2], "m", "t")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="subset name 'x/y'"):
        prefixed({"subsets": {"x/y": {"r": 0.5}}}, "m", "t")
    with pytest.raises(ParameterError, match=r"report\['subsets'\]\['x'\] must be a mapping"):
        prefixed({"subsets": {"x": 0.5}}, "m", "t")
    # a skipped (non-numeric) entry is not written, so its name is not checked
    assert prefixed({"a/b": "text", "c": 1.0}, "m", "t") == {"m/t/c": 1.0}


def test_dream_score_refuses_repeated_indices_with_a_mask_hint():
    y = np.arange(6, dtype=float)
    with pytest.raises(
        InputError, match=r"repeats .*first 0.*\(0/1 values\? pass a boolean mask\)"
    ):
        dream_score(y, y, subsets={"all": [1, 0, 1, 1, 0, 1]})
    with pytest.raises(InputError, match="subset 'a' repeats 1 index") as info:
        dream_score(y, y, subsets={"a": [2, 3, 3]})
    assert "boolean mask" not in str(info.value)
    mask = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    assert dream_score(y, y, subsets={"all": mask})["subsets"]["all"]["n"] == 4
    # paired: a ref may serve several alts, but a (ref, alt) pair is scored once
    ok = dream_score(y, y, subsets={}, pairs={"SNV": ([0, 0, 1], [2, 3, 4])})
    assert ok["subsets"]["SNV"]["n"] == 3
    with pytest.raises(InputError, match=r"repeats 1 \(ref, alt\) pair\(s\), first \(0, 2\)"):
        dream_score(y, y, subsets={}, pairs={"SNV": ([0, 0], [2, 2])})


def test_dream_score_refuses_2d_input():
    rng = np.random.default_rng(0)
    y = rng.normal(size=20)
    with pytest.raises(InputError, match=r"y_true must be 1-D, got shape \(20, 2\)"):
        dream_score(np.c_[y, y], np.c_[y, y], subsets={"all": np.arange(20)})
    with pytest.raises(InputError, match=r"y_pred must be 1-D, got shape \(20, 2\)"):
        dream_score(y, np.c_[y, y], subsets={"all": np.arange(20)})
    # a single column (a Keras prediction) is still accepted
    res = dream_score(y, y[:, None], subsets={"all": np.arange(20)})
    assert res["subsets"]["all"]["r"] == pytest.approx(1.0)
    with pytest.raises(InputError, match=r"must be a 1-D array of integers.*shape \(2, 2\)"):
        dream_score(y, y, subsets={"all": np.arange(4).reshape(2, 2)})


@pytest.mark.parametrize("weight", [-1.0, math.nan, math.inf, "1"])
def test_dream_score_weights_must_be_finite_and_not_negative(weight):
    y = np.arange(5, dtype=float)
    with pytest.raises(ParameterError, match="weight of subset 'all' must be finite and >= 0"):
        dream_score(y, y, subsets={"all": np.arange(5)}, weights={"all": weight})


def test_a_subset_of_weight_zero_is_reported_not_counted():
    """A weight of 0 was refused though a subset left out of weights counts 0 (a review)."""
    y = np.arange(6, dtype=float)
    subsets = {"all": np.arange(6), "low": np.arange(3)}
    zero = dream_score(y, y[::-1], subsets=subsets, weights={"all": 1.0, "low": 0.0})
    left_out = dream_score(y, y[::-1], subsets=subsets, weights={"all": 1.0})
    assert zero["pearson_score"] == left_out["pearson_score"]
    assert "low" in zero["subsets"]
    with pytest.raises(ParameterError, match="at least one subset a positive weight"):
        dream_score(y, y, subsets=subsets, weights={"all": 0.0})


def test_dream_score_refuses_malformed_subsets_pairs_and_weights():
    y = np.arange(5, dtype=float)
    with pytest.raises(ParameterError, match=r"pairs\['SNV'\] must be a \(ref_idx, alt_idx\) pair"):
        dream_score(y, y, subsets={}, pairs={"SNV": [1, 2, 3]})
    with pytest.raises(ParameterError, match=r"pairs\['SNV'\] must be a \(ref_idx, alt_idx\) pair"):
        dream_score(y, y, subsets={}, pairs={"SNV": [1, 2]})  # two scalars, not two arrays
    with pytest.raises(ParameterError, match="subsets must be a mapping of subset name"):
        dream_score(y, y, subsets=None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="subsets must be a mapping.*got list"):
        dream_score(y, y, subsets=[0, 1, 2])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="pairs must be None or a mapping"):
        dream_score(y, y, subsets={}, pairs=[([0], [1])])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="at least one subset a positive weight"):
        dream_score(y, y, subsets={"all": np.arange(5)}, weights={})


def test_parse_dream_subsets_refuses_a_string_and_skips_missing_cells():
    with pytest.raises(ParameterError, match="expected a DataFrame or a column of subset names"):
        parse_dream_subsets("abc")
    parsed = parse_dream_subsets(pd.Series(["a", pd.NA, "b", None], dtype="string"))
    assert set(parsed["subsets"]) == {"all", "a", "b"}  # missing: in no subset
    assert parsed["subsets"]["all"].tolist() == [0, 1, 2, 3]
    with pytest.raises(InputError, match="row 1 of frame is a list"):
        parse_dream_subsets(["a", ["b", "c"]])


def test_a_subset_named_twice_in_one_cell_counts_the_row_once():
    """'high;high' made dream_score refuse its own parser's output (found by a review)."""
    frame = pd.DataFrame({"subsets": ["high;high", "low", "high"]})
    parsed = parse_dream_subsets(frame)
    np.testing.assert_array_equal(parsed["subsets"]["high"], [0, 2])
    y = np.array([1.0, 2.0, 3.0])
    assert dream_score(y, y, subsets=parsed["subsets"])["subsets"]["high"]["n"] == 2


def test_a_paired_subset_scored_on_levels_stays_out_of_the_available_score():
    """Unpaired motif subsets (levels, r ~ 0.8) entered the 'available' DREAM score with the
    weight the challenge gives to alt - ref differences, which are far harder (a science
    review)."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    p = y + rng.normal(scale=2.0, size=40)
    p[20:] = y[20:]  # the motif rows: perfect on levels
    subsets = {"all": np.arange(40), "motif_perturbation": np.arange(20, 40)}
    res = dream_score(y, p, subsets=subsets)
    assert res["unpaired"] == ["motif_perturbation"]
    assert res["subsets"]["motif_perturbation"]["r"] == pytest.approx(1.0)  # still reported
    assert res["pearson_score_available"] == pytest.approx(res["subsets"]["all"]["r"] ** 2)
    assert res["weight_available"] == DREAM_WEIGHTS["all"]

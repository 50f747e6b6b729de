"""Cross-study correctness of notebook 03 (Trustworthy results; see docs/reliability.md).

A held-out study normalised with its own statistics: its expression-scale errors use its
own sds (checked against a hand computation), genes constant or near-constant in one data
set only are left out of both and reported, and the predict-the-mean baselines are there.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gexnb.data.expression import GeneScaler
from gexnb.errors import InputError, ParameterError
from gexnb.pipelines import landmark as pl

LM = [f"L{i}" for i in range(6)]
TG = [f"T{i}" for i in range(5)]


def _study(n: int, seed: int, *, scale: float, shift: float) -> pl.LandmarkData:
    """Targets linear in the landmarks; the second study has other means and spreads."""
    rng = np.random.default_rng(seed)
    x = rng.normal(8.0, 1.0, size=(n, len(LM)))
    w = np.random.default_rng(99).normal(size=(len(LM), len(TG))) / 3
    y = shift + scale * ((x - 8.0) @ w) + rng.normal(0, 0.2 * scale, size=(n, len(TG))) + 6.0
    ids = [f"s{seed}_{i}" for i in range(n)]
    return pl.LandmarkData(
        pd.DataFrame(x, index=ids, columns=LM), pd.DataFrame(y, index=ids, columns=TG)
    )


def _run(tmp_path, first, second, **kw):
    first, second = pl.prepare_cross_dataset(first, second)
    return pl.run_landmark_comparison(
        first, models=["linear"], quantile=False, cross_data=second, output_dir=tmp_path,
        seed=0, **kw,
    )  # fmt: skip


def test_expression_scale_errors_of_the_second_study_use_its_own_sds(tmp_path):
    first = _study(200, 0, scale=1.0, shift=0.0)
    second = _study(120, 1, scale=3.0, shift=2.0)  # three times the spread of the first
    res = _run(tmp_path, first, second)
    truth = second.Y.to_numpy()
    # By hand: the second study's own means, and the training means (first study, training
    # rows of the random split), as predictions on the expression scale.
    own = np.abs(truth - truth.mean(axis=0)).mean(axis=0)
    train_rows = pl.make_splits(len(first.X), seed=0)[0][1]["train"]
    train_means = first.Y.to_numpy()[train_rows].mean(axis=0)
    carried = np.abs(truth - train_means).mean(axis=0)
    table = res.table
    assert table.loc[("mean_own", "cross"), "mae_expr"] == pytest.approx(own.mean(), rel=1e-6)
    assert table.loc[("mean_own", "cross"), "mae_expr_median"] == pytest.approx(
        np.median(own), rel=1e-6
    )
    assert table.loc[("mean", "cross"), "mae_expr"] == pytest.approx(carried.mean(), rel=1e-6)
    # The training means miss the second study's shift: worse than its own means.
    assert table.loc[("mean", "cross"), "mae_expr"] > table.loc[("mean_own", "cross"), "mae_expr"]
    # Linear regression's expression-scale error uses the second study's sds too.
    sd2 = truth.std(axis=0)
    per_gene = res.per_gene["linear"]["cross"].reindex(TG).to_numpy()
    assert table.loc[("linear", "cross"), "mae_expr"] == pytest.approx(
        np.mean(per_gene * sd2), rel=1e-6
    )
    assert table.loc[("linear", "cross"), "mae_median"] == pytest.approx(np.median(per_gene))
    assert "mean/test/mae" in res.metrics and "mean_own/cross/mae_expr" in res.metrics


def test_gene_constant_in_the_second_study_only_is_left_out_of_both(tmp_path):
    first = _study(200, 0, scale=1.0, shift=0.0)
    second = _study(120, 1, scale=1.0, shift=0.0)
    second.Y["T2"] = 3.0  # a probe at the detection floor in the held-out study
    second.X["L4"] = 5.0
    res = _run(tmp_path, first, second)
    assert res.per_gene["linear"]["test"].index.tolist() == ["T0", "T1", "T3", "T4"]
    report = json.loads((tmp_path / "data_report.json").read_text())
    gone = report["cross_reconciled"]["random"]
    assert gone["targets_left_out_in_second_set"] == ["T2"]
    assert gone["landmarks_left_out_in_second_set"] == ["L4"]
    assert report["cross_left_out"]["zero_variance"] == ["L4", "T2"]


def test_low_variance_genes_are_left_out_and_reported(tmp_path):
    first = _study(200, 0, scale=1.0, shift=0.0)
    second = _study(120, 1, scale=1.0, shift=0.0)
    rng = np.random.default_rng(5)
    second.Y["T3"] = 3.0 + rng.normal(0, 0.001, size=len(second.Y))  # near-constant there
    res = _run(tmp_path, first, second)
    assert "T3" not in res.per_gene["linear"]["cross"].index
    report = json.loads((tmp_path / "data_report.json").read_text())
    assert report["cross_left_out"]["low_variance"] == ["T3"]
    kept = _run(tmp_path / "all", first, second, min_relative_sd=0.0)
    assert "T3" in kept.per_gene["linear"]["cross"].index


def test_gene_scaler_low_variance_filter():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 5.001, 5.0], "c": [0.0, 2.0, 4.0]})
    scaler = GeneScaler(min_relative_sd=0.1).fit(frame)
    assert scaler.low_variance_ == ["b"] and list(scaler.mean_.index) == ["a", "c"]
    assert "1 gene(s) with sd < 0.1 x the median gene sd" in scaler.description
    with pytest.raises(ParameterError, match="min_relative_sd"):
        GeneScaler(min_relative_sd=1.5)
    with pytest.raises(InputError, match="every gene has zero or low variance"):
        GeneScaler(zero_variance="drop").fit(pd.DataFrame({"d": [7.0, 7.0], "e": [1.0, 1.0]}))


def test_held_out_study_is_a_second_data_set(tmp_path):
    data = pl.load_landmark_data(
        "", synthetic={"n_samples": 240, "n_landmarks": 8, "n_targets": 10, "n_studies": 3}
    )
    labels = sorted({str(g) for g in data.groups})
    rest, held = pl.hold_out_study(data, labels[-1])
    assert len(rest.X) + len(held.X) == len(data.X) and held.name == labels[-1]
    assert labels[-1] not in {str(g) for g in rest.groups}
    assert rest.report["cross_study_samples"] == len(held.X)
    res = pl.run_landmark_comparison(
        rest, models=["ridge"], cross_data=held, output_dir=tmp_path, seed=0
    )
    assert {"ridge/cross/mae_expr", "mean/cross/mae", "mean_own/cross/mae"} <= set(res.metrics)
    with pytest.raises(InputError, match=r"no sample is in study 'nope'; studies: \["):
        pl.hold_out_study(data, "nope")
    data.groups = None
    with pytest.raises(InputError, match="needs study labels"):
        pl.hold_out_study(data, labels[0])


def test_a_dataframe_gets_the_readers_checks():
    """A matrix given as a DataFrame: infinite values and all-NaN genes are refused as for
    a file (the pipeline used to keep its own, weaker copy of the checks)."""
    genes = [*LM, *TG]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(8, 1, (30, len(genes))), columns=genes)
    bad = frame.copy()
    bad.loc[3, "T1"] = np.inf
    with pytest.raises(InputError, match=r"infinite values in 1 gene\(s\): T1"):
        pl.load_landmark_data(bad, landmark_list=LM, target_list=TG, max_missing_landmarks=0)
    empty = frame.copy()
    empty["T2"] = np.nan
    with pytest.raises(InputError, match="no value to impute a mean from: T2"):
        pl.load_landmark_data(empty, landmark_list=LM, target_list=TG, nan="mean")
    twice = pd.concat([frame, frame[["T0"]]], axis=1)
    data = pl.load_landmark_data(twice, landmark_list=LM, target_list=TG)
    assert list(data.Y.columns) == TG

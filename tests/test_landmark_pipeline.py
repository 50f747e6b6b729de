"""Tests of notebook 03's pipeline (gexnb.pipelines.landmark) and figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gexnb.errors import InputError, ParameterError
from gexnb.io import read_metrics
from gexnb.pipelines import landmark as pl

SYN = {"n_samples": 300, "n_landmarks": 12, "n_targets": 16, "n_factors": 4, "noise": 0.1}


@pytest.fixture(scope="module")
def synthetic_data():
    return pl.load_landmark_data("", synthetic={**SYN, "n_studies": 3, "seed": 0})


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    genes = [f"g{i}" for i in range(8)]
    return pd.DataFrame(
        rng.normal(8, 1, size=(n, 8)), index=[f"s{i}" for i in range(n)], columns=genes
    )


def test_deep_model_beats_linear_on_nonlinear_synthetic(tmp_path):
    """The synthetic targets hold products/|.| of factors: D-GEX must beat least squares."""
    data = pl.load_landmark_data("", synthetic={**SYN, "n_samples": 600, "seed": 0})
    parts = pl.make_splits(len(data.X), seed=0)[0][1]
    prep = pl.prepare_split(data, parts)
    params = {
        "hidden": [64, 64],
        "dropout": 0.0,
        "epochs": 25,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "loss": "mae",
    }
    dgex = pl.fit_model("dgex", prep, params=params, output_dir=tmp_path, seed=0)
    linear = pl.fit_model("linear", prep, output_dir=tmp_path)
    table, per_gene = pl.evaluate_runs(
        {"linear": linear, "dgex": dgex}, prep.y, targets=prep.targets
    )
    assert table.loc[("dgex", "test"), "rel_improvement_vs_linear"] > 0.05
    assert table.loc[("dgex", "test"), "share_genes_improved_vs_linear"] > 0.6
    assert table.loc[("linear", "test"), "rel_improvement_vs_linear"] == 0.0
    assert list(per_gene["dgex"]["test"].index) == prep.targets


def test_comparison_writes_metrics_and_loso(synthetic_data, tmp_path):
    res = pl.run_landmark_comparison(
        synthetic_data,
        models=["linear", "knn_ge", "svr"],
        split="loso",
        model_params={"svr": {"max_targets": 5}},
        output_dir=tmp_path,
    )
    metrics = read_metrics(tmp_path)
    studies = sorted(set(synthetic_data.groups))
    for study in studies:
        assert f"knn_ge/loso_{study}/mae" in metrics
    maes = [metrics[f"knn_ge/loso_{s}/mae"] for s in studies]
    assert metrics["knn_ge/loso_mean/mae"] == pytest.approx(np.mean(maes))
    assert metrics["knn_ge/loso_sd/mae"] == pytest.approx(np.std(maes, ddof=1))
    assert metrics["svr/loso_mean/n_genes"] == 5
    assert (tmp_path / "comparison_loso.tsv").exists()
    # the left-out study is the test set and is never trained on
    splits = pl.make_splits(300, split="loso", groups=synthetic_data.groups)
    for name, parts in splits:
        test_groups = set(synthetic_data.groups[parts["test"]])
        assert test_groups == {name.removeprefix("loso_")}
        assert not test_groups & set(synthetic_data.groups[parts["train"]])
    assert res.table.loc[("linear", "loso_mean"), "rel_improvement_vs_linear"] == 0.0
    # loso_weighted: each study weighted by its samples, so mae is that of every left-out
    # sample pooled, and the improvement is that of the pooled MAEs
    n = np.array([(synthetic_data.groups == s).sum() for s in studies], dtype=float)
    assert len(set(n)) > 1, "the test needs studies of unequal sizes"
    folds = res.table.loc["knn_ge"].loc[[f"loso_{s}" for s in studies]]
    weighted = res.table.loc[("knn_ge", "loso_weighted")]
    assert weighted["mae"] == pytest.approx(np.average(maes, weights=n))
    assert metrics["knn_ge/loso_weighted/mae"] == pytest.approx(weighted["mae"])
    assert weighted["rmse"] == pytest.approx(np.sqrt(np.average(folds["rmse"] ** 2, weights=n)))
    assert weighted["r2"] == pytest.approx(np.average(folds["r2"], weights=n))
    assert weighted["n"] == n.sum() and "knn_ge/loso_weighted/k" not in metrics
    linear = np.average(res.table.loc["linear"].loc[folds.index, "mae"], weights=n)
    assert weighted["rel_improvement_vs_linear"] == pytest.approx(1 - weighted["mae"] / linear)
    assert res.table.loc[("linear", "loso_weighted"), "rel_improvement_vs_linear"] == 0.0


def test_group_labels_that_are_not_folder_names(synthetic_data, tmp_path):
    """Cell-type labels such as 'CD4+/CD25 T Reg' became folders and metric keys as they
    were: every fold trained, then write_metrics refused the key; '../' in a label wrote
    predictions and a saved model outside the run folder (new-user trial on scanpy's
    pbmc68k, 2026-11-30)."""
    hostile = {"study1": "CD4+/CD25 T Reg", "study2": "a/../../ESCAPED", "study3": "weighted"}
    groups = np.array([hostile.get(str(g), str(g)) for g in synthetic_data.groups], dtype=object)
    assert set(groups) == set(hostile.values())
    data = dataclasses.replace(synthetic_data, groups=groups)
    out = tmp_path / "run"
    pl.run_landmark_comparison(
        data, models=["linear"], split="loso", output_dir=out, save_models=["linear"]
    )
    metrics = read_metrics(out)
    names = ["loso_CD4+_CD25_T_Reg", "loso_a_.._.._ESCAPED", "loso_weighted_2"]
    for name in names:
        assert f"linear/{name}/mae" in metrics
        assert (out / "predictions" / name / "test_linear.parquet").is_file()
        assert (out / "models" / name / "linear" / "predictor.json").is_file()
    assert metrics["linear/loso_mean/mae"] == pytest.approx(
        np.mean([metrics[f"linear/{n}/mae"] for n in names])
    )
    assert not (tmp_path / "ESCAPED").exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "run"
    ]


def test_group_labels_differing_only_in_case_get_two_folders():
    """'CD4' and 'cd4' were the splits loso_CD4 and loso_cd4: one folder on a file system
    that folds case (macOS, Windows), so the second fold's predictions replaced the
    first's (left from the seventh session)."""
    from gexnb.data.landmark import loso_split_names

    names = loso_split_names(["CD4", "cd4", "MEAN", "x y", "x_Y"])
    assert names == {
        "CD4": "loso_CD4",
        "cd4": "loso_cd4_2",
        "MEAN": "loso_MEAN_2",
        "x y": "loso_x_y",
        "x_Y": "loso_x_Y_2",
    }
    assert len({n.lower() for n in names.values()}) == len(names)


def test_random_split_metric_keys_and_figures(synthetic_data, tmp_path):
    from gexnb.plot import landmark as plots

    res = pl.run_landmark_comparison(
        synthetic_data,
        models=["linear", "ridge", "dgex"],
        model_params={"dgex": {"hidden": [8], "epochs": 2}},
        training={"batch_size": 64},
        output_dir=tmp_path,
    )
    metrics = read_metrics(tmp_path)
    for key in (
        "dgex/test/mae",
        "dgex/test/rel_improvement_vs_linear",
        "dgex/test/share_genes_improved_vs_linear",
        "ridge/val/mae",
        "linear/test/mae_expr",
    ):
        assert key in metrics
    assert len(res.histories["dgex"]["random"]["loss"]) == 2
    for fig in (
        plots.per_gene_mae_distribution(res.per_gene),
        plots.per_gene_scatter(res.per_gene),
        plots.landmark_learning_curves(res.histories),
    ):
        assert any(ax.has_data() for ax in fig.axes)
    # the box plot shows one box per model, labelled; the learning curves the 2 epochs of dgex
    box = plots.per_gene_mae_distribution(res.per_gene).axes[0]
    assert [t.get_text() for t in box.get_xticklabels()] == list(res.per_gene)
    curves = plots.landmark_learning_curves(res.histories).axes[0]
    assert "dgex" in curves.get_title() and len(curves.get_lines()[0].get_xdata()) == 2


def test_held_out_predictions_are_written_on_the_metrics_scale(synthetic_data, tmp_path):
    """Notebook 03 wrote per-gene errors but no per-sample predictions. Each model's test
    predictions and the measured values are written, samples x genes, on the expression scale
    (their MAE is the model's test mae_expr); a leave-one-study-out split's
    test samples are the left-out study's, and the second data set's are all of its own."""
    res = pl.run_landmark_comparison(
        synthetic_data, models=["linear", "knn_ge", "svr"], output_dir=tmp_path,
        model_params={"svr": {"max_targets": 5}},
    )  # fmt: skip
    folder = tmp_path / "predictions" / "random"
    measured = pd.read_parquet(folder / "test_measured.parquet")
    parts = dict(pl.make_splits(len(synthetic_data.X), split="random"))["random"]
    assert list(measured.index) == list(synthetic_data.X.index[parts["test"]])
    for model in ("linear", "knn_ge", "mean"):
        predicted = pd.read_parquet(folder / f"test_{model}.parquet")
        assert predicted.shape == measured.shape and predicted.dtypes.eq(np.float32).all()
        mae = np.abs(predicted - measured).to_numpy().mean()
        assert mae == pytest.approx(res.metrics[f"{model}/test/mae_expr"], rel=1e-5)
    assert pd.read_parquet(folder / "test_svr.parquet").shape[1] == 5  # its max_targets
    # every held-out metric can be computed again from the files: the validation predictions
    # were not written (an audit recomputing every metric), nor the z-scale's statistics
    for kept in ("val", "test"):
        truth = pd.read_parquet(folder / f"{kept}_measured.parquet")
        stats = pd.read_parquet(folder / f"{kept}_scale.parquet")
        assert list(stats.index) == ["center", "scale"] and list(stats.columns) == list(truth)
        parts_ids = synthetic_data.X.index[parts[kept]]
        assert list(truth.index) == list(parts_ids)
        z_truth = ((truth - stats.loc["center"]) / stats.loc["scale"]).to_numpy()
        z_pred = ((pd.read_parquet(folder / f"{kept}_linear.parquet") - stats.loc["center"])
                  / stats.loc["scale"]).to_numpy()  # fmt: skip
        assert np.abs(z_pred - z_truth).mean() == pytest.approx(
            res.metrics[f"linear/{kept}/mae"], rel=1e-5
        )
        r = np.corrcoef(z_truth.ravel(), z_pred.ravel())[0, 1]
        assert r == pytest.approx(res.metrics[f"linear/{kept}/pearson"], rel=1e-5)
    pl.run_landmark_comparison(synthetic_data, models=["linear"], split="loso",
                               output_dir=tmp_path / "loso")  # fmt: skip
    study = sorted(set(synthetic_data.groups))[0]
    loso = pd.read_parquet(
        tmp_path / "loso" / "predictions" / f"loso_{study}" / "test_linear.parquet"
    )
    rows = synthetic_data.groups == study
    assert list(loso.index) == list(synthetic_data.X.index[rows])
    pl.run_landmark_comparison(synthetic_data, models=["linear"], output_dir=tmp_path / "none",
                               save_predictions=False)  # fmt: skip
    assert not (tmp_path / "none" / "predictions").exists()


def test_normalisation_modes(synthetic_data):
    parts = pl.make_splits(300, seed=1)[0][1]
    train = pl.prepare_split(synthetic_data, parts, normalization="train")
    assert np.allclose(train.y["train"].mean(axis=0), 0, atol=1e-4)
    assert not np.allclose(train.y["test"].mean(axis=0), 0, atol=1e-3)
    both = pl.prepare_split(synthetic_data, parts, normalization="all")
    assert "all-samples" in both.description
    all_y = np.concatenate([both.y[k] for k in ("train", "val", "test")])
    assert np.allclose(all_y.mean(axis=0), 0, atol=1e-4)
    with pytest.raises(ParameterError):
        pl.prepare_split(synthetic_data, parts, normalization="bogus")


def test_held_out_inputs_do_not_depend_on_their_targets(synthetic_data):
    """Quantile normalisation over landmarks and targets together gave every sample the same
    values, so a test sample's landmark inputs followed from its own targets (a reviewer's
    check: test targets +3 moved the test inputs by up to 1.7, and each test sample's mean
    target was a linear function of its inputs). The inputs are now the landmarks normalised
    alone: a held-out sample's targets change nothing in anyone's inputs. The D-GEX paper's
    joint normalisation (``joint_quantile``, the paper profile's) still leaks, as it did."""
    from gexnb.data.landmark import LandmarkData

    parts = pl.make_splits(len(synthetic_data.X), seed=1)[0][1]
    held_out = np.concatenate([parts["val"], parts["test"]])
    y = synthetic_data.Y.copy()
    y.iloc[held_out] += 3.0
    shifted = LandmarkData(synthetic_data.X, y, synthetic_data.groups, synthetic_data.report)
    for joint in (False, True):
        before = pl.prepare_split(synthetic_data, parts, joint_quantile=joint)
        after = pl.prepare_split(shifted, parts, joint_quantile=joint)
        np.testing.assert_array_equal(before.x["train"], after.x["train"])
        np.testing.assert_array_equal(before.y["train"], after.y["train"])
        same = all(np.array_equal(before.x[k], after.x[k]) for k in ("val", "test"))
        assert same is not joint, joint
        assert ("landmarks alone" in before.description) is not joint
    prepared = pl.prepare_split(synthetic_data, parts)
    ref = prepared.x_reference
    assert ref is not None and ref.shape == (len(prepared.landmarks),)
    train = prepared.x["train"] * prepared.x_scale + prepared.x_center
    np.testing.assert_allclose(np.sort(train, axis=1), np.broadcast_to(ref, train.shape),
                               rtol=1e-5)  # fmt: skip


def test_a_landmark_constant_once_normalised_alone_is_left_out(synthetic_data):
    """A landmark above every other landmark in every sample is constant once the landmarks
    are normalised alone: it is left out (not refused, the data are not at fault) and the
    landmarks are normalised again without it, so that the reference has one value per
    landmark the models take."""
    from gexnb.data.landmark import LandmarkData

    x = synthetic_data.X.copy()
    top = x.columns[0]
    x[top] = x.to_numpy().max() + 1.0 + np.random.default_rng(0).random(len(x))
    data = LandmarkData(x, synthetic_data.Y, synthetic_data.groups, synthetic_data.report)
    parts = pl.make_splits(len(x), seed=1)[0][1]
    prepared = pl.prepare_split(data, parts)
    assert top not in prepared.landmarks and top in prepared.dropped["zero_variance"]
    assert prepared.x_reference is not None
    assert prepared.x_reference.shape == (len(prepared.landmarks),)
    assert top in pl.prepare_split(data, parts, joint_quantile=True).landmarks


def test_loso_with_a_second_data_set_keeps_each_studys_cross_scores_per_gene(tmp_path):
    """Leave-one-study-out with a second data set scored the second set once per left-out
    study, and the table kept each (``cross_loso_<study>``), but the per-gene MAEs kept
    them all under ``cross``: each study's overwrote the last, and
    ``per_gene_mae_loso.tsv`` had the last study's alone (a review found it)."""
    from gexnb.data.landmark import hold_out_study, prepare_cross_dataset

    data = pl.load_landmark_data("", synthetic={**SYN, "n_studies": 4, "seed": 0})
    rest, second = hold_out_study(data, sorted(set(map(str, data.groups)))[-1])
    rest, second = prepare_cross_dataset(rest, second)
    res = pl.run_landmark_comparison(
        rest, models=["linear"], split="loso", cross_data=second, output_dir=tmp_path,
        progress=False, save_predictions=False, save_models=[],
    )  # fmt: skip
    studies = sorted(set(map(str, rest.groups)))
    keys = {f"loso_{g}" for g in studies} | {f"cross_loso_{g}" for g in studies}
    assert set(res.per_gene["linear"]) == keys
    for g in studies:
        per_gene = res.per_gene["linear"][f"cross_loso_{g}"]
        assert per_gene.mean() == pytest.approx(res.table.loc[("linear", f"cross_loso_{g}"), "mae"])
    written = pd.read_csv(tmp_path / "per_gene_mae_loso.tsv", sep="\t", index_col=0)
    assert {f"linear/{k}" for k in keys} <= set(written.columns)


def test_real_style_loading_and_bad_inputs(tmp_path):
    frame = _frame()
    lm = tmp_path / "lm.txt"
    tg = tmp_path / "tg.txt"
    lm.write_text("A\tENSG1\tg0\nB\tENSG2\tg1\nC\tENSG3\tg2\n")
    tg.write_text("D\tENSG4\tg3\nE\tENSG5\tg4\nF\tENSG6\tmissing_at\n")
    data = pl.load_landmark_data(frame, landmark_list=lm, target_list=tg, transform="none")
    assert list(data.X.columns) == ["g0", "g1", "g2"]
    assert list(data.Y.columns) == ["g3", "g4"]
    assert data.report["targets_missing"] == 1
    # missing landmark genes: clear error naming them
    lm2 = tmp_path / "lm2.txt"
    lm2.write_text("A\tENSG1\tg0\nZ\tENSG9\tnot_there_at\n")
    with pytest.raises(InputError, match="not_there_at"):
        pl.load_landmark_data(frame, landmark_list=lm2, target_list=tg, transform="none")
    # NaN values
    bad = frame.copy()
    bad.iloc[2, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        pl.load_landmark_data(bad, landmark_list=lm, target_list=tg, transform="none")
    fixed = pl.load_landmark_data(bad, landmark_list=lm, target_list=tg, nan="mean")
    assert np.isfinite(fixed.X.to_numpy()).all()
    assert fixed.report["values_imputed"] == 1 and fixed.report["genes_imputed"] == 1
    # a target's missing value is not filled and then scored as measured (a new-user trial)
    # a target's missing value is not filled and then scored as measured (a new-user trial):
    # the target is left out, within max_missing_targets (the review: "nan: drop_genes"
    # then refused the landmark with a missing value)
    bad_target = bad.copy()
    bad_target.iloc[2, 3] = np.nan
    kept = pl.load_landmark_data(bad_target, landmark_list=lm, target_list=tg, nan="mean")
    assert list(kept.X.columns) == ["g0", "g1", "g2"] and list(kept.Y.columns) == ["g4"]
    assert kept.report["targets_filled_left_out"] == 1 and kept.report["values_imputed"] == 2
    with pytest.raises(InputError, match=r"1 target gene\(s\) have missing values, .*fills in "
                       r"input genes only.*: g3; left out, 2 of 3 targets"):  # fmt: skip
        pl.load_landmark_data(bad_target, landmark_list=lm, target_list=tg, nan="mean",
                              max_missing_targets=0.5)  # fmt: skip
    # duplicated gene ids
    dup = frame.rename(columns={"g5": "g0"})
    with pytest.raises(InputError, match="duplicated"):
        pl.load_landmark_data(dup, landmark_list=lm, target_list=tg, duplicates="error")
    merged = pl.load_landmark_data(dup, landmark_list=lm, target_list=tg, duplicates="mean")
    np.testing.assert_allclose(merged.X["g0"], (frame["g0"] + frame["g5"]) / 2)
    # constant genes: error by default, dropped on request
    const = frame.copy()
    const["g4"] = 5.0
    cdata = pl.load_landmark_data(const, landmark_list=lm, target_list=tg, transform="none")
    parts = pl.make_splits(40, seed=0)[0][1]
    with pytest.raises(InputError, match="g4"):
        pl.prepare_split(cdata, parts)
    dropped = pl.prepare_split(cdata, parts, zero_variance="drop")
    assert dropped.targets == ["g3"]
    # lists are required for real data; unknown transform
    with pytest.raises(ParameterError, match="landmark_list"):
        pl.load_landmark_data(frame)
    with pytest.raises(ParameterError, match="transform"):
        pl.load_landmark_data(frame, landmark_list=lm, target_list=tg, transform="sqrt")


def test_cross_dataset_gene_mismatch(tmp_path):
    a = pl.LandmarkData(_frame()[["g0", "g1"]], _frame()[["g2", "g3"]], name="a")
    b = pl.LandmarkData(_frame(seed=1)[["g0"]], _frame(seed=1)[["g2", "g3"]], name="b")
    with pytest.raises(InputError, match="lacks 1 of the 2 landmark genes"):
        pl.prepare_cross_dataset(a, b)
    a2, b2 = pl.prepare_cross_dataset(a, b, gene_mismatch="intersect")
    assert list(a2.X.columns) == list(b2.X.columns) == ["g0"]
    res = pl.run_landmark_comparison(
        a2,
        models=["linear", "knn_ge"],
        model_params={"knn_ge": {"k": 3}},
        cross_data=b2,
        output_dir=tmp_path,
        quantile=False,  # one landmark quantile-normalised alone is constant
    )
    assert "knn_ge/cross/mae" in res.metrics
    with pytest.raises(InputError, match="1 landmark gene.*quantile-normalised alone.*quantile"):
        pl.run_landmark_comparison(a2, models=["linear"], output_dir=tmp_path / "q")
    assert res.metrics["knn_ge/cross/n_genes"] == 2
    folder = tmp_path / "predictions" / "random"
    cross = pd.read_parquet(folder / "cross_knn_ge.parquet")
    measured = pd.read_parquet(folder / "cross_measured.parquet")
    assert list(cross.index) == list(b2.X.index) and list(cross.columns) == ["g2", "g3"]
    mae = np.abs(cross - measured).to_numpy().mean()
    assert mae == pytest.approx(res.metrics["knn_ge/cross/mae_expr"], rel=1e-5)


def test_split_and_dry_run_parameters(tmp_path):
    with pytest.raises(ParameterError, match="88807"):
        pl.make_splits(100, split="counts")
    with pytest.raises(ParameterError, match="groups"):
        pl.make_splits(100, split="loso")
    with pytest.raises(ParameterError, match="split"):
        pl.make_splits(100, split="kfold")
    assert pl.data_is_missing("") is False
    with pytest.raises(InputError, match="not found"):
        pl.data_is_missing(str(tmp_path / "absent.gctx"))
    assert pl.data_is_missing(str(tmp_path / "absent.gctx"), if_data_missing="build_only")
    lm, tg = tmp_path / "lm.txt", tmp_path / "tg.txt"
    lm.write_text("".join(f"S{i}\tENSG{i}\tp{i}_at\n" for i in range(9)))
    tg.write_text("".join(f"T{i}\tENSGT{i}\tq{i}_at\n" for i in range(7)))
    table = pl.paper_dry_run(
        lm,
        tg,
        models=["linear", "dgex"],
        model_params={"dgex": {"hidden": [5], "target_chunks": 2}},
        output_dir=tmp_path,
    )
    metrics = read_metrics(tmp_path)
    assert metrics["dgex/paper/n_params"] == (9 * 5 + 5 + 5 * 4 + 4) + (9 * 5 + 5 + 5 * 3 + 3)
    assert metrics["dgex/paper/n_params_built"] == metrics["dgex/paper/n_params"]
    assert metrics["data/paper/n_train"] == 88807
    assert table.loc["dgex", "chunk_sizes"] == "4,3"


def test_gpl96_real_data_selection(shared_data):
    """The D-GEX maps on the GPL96 matrix: all 943 landmarks and all 9,520 targets, 3,755
    of them listed with several probes (comma-separated) and averaged as D-GEX did (they
    were left out, 5,765 found; a new-user trial)."""
    folder = shared_data / "gpl96_microarray_3studies"
    maps = shared_data / "dgex_gene_maps"
    data = pl.load_landmark_data(
        folder / "expression_mas5_signal.tsv.gz",
        landmark_list=maps / "map_lm.txt",
        target_list=maps / "map_tg.txt",
        sample_annotation=str(folder / "samples.tsv"),
    )
    assert data.X.shape == (240, 943)
    assert data.Y.shape == (240, 9520)
    group = "38398_at,210252_s_at"  # MADD
    raw = pl.load_landmark_data(
        folder / "expression_mas5_signal.tsv.gz", landmark_list=maps / "map_lm.txt",
        target_list=["38398_at", "210252_s_at"],
    ).Y  # fmt: skip
    np.testing.assert_allclose(data.Y[group], raw.mean(axis=1))
    before = pl.load_landmark_data(  # the README's GPL96 tables: probe_groups none
        folder / "expression_mas5_signal.tsv.gz", landmark_list=maps / "map_lm.txt",
        target_list=maps / "map_tg.txt", probe_groups="none",
    )  # fmt: skip
    assert before.Y.shape == (240, 5765)
    assert data.report["transform"] == "log2(max(x, 1))"
    assert data.report["landmark_id_type"] == "probe"
    assert data.report["groups"] == {"nakayama": 105, "chowdary": 104, "borovecki": 31}
    assert float(data.X.to_numpy().max()) < 17  # log2 of the largest MAS5 signal (85,552)


def test_option_groups_fill_defaults_and_refuse_unknown_keys():
    checks = pl.with_defaults({"zero_variance": "drop"}, pl.DATA_CHECK_DEFAULTS)
    assert checks["zero_variance"] == "drop"
    assert checks["nan"] == "error"
    with pytest.raises(ParameterError, match="valid: orientation, nan"):
        pl.with_defaults({"nans": "mean"}, pl.DATA_CHECK_DEFAULTS)


def test_workload_line(synthetic_data):
    line = pl.workload(synthetic_data, splits=["random", "loso"], models=["linear", "dgex", "egex"],
                       model_params={"egex": {"epochs": 4}}, epochs=9)  # fmt: skip
    assert line.startswith("4 split(s) (random: 1, loso: 3) x 5 models = 20 fits")
    assert line.endswith("deep: dgex 9 epochs, egex 3 phases x 4 epochs")
    # random and counts both write <model>/test/<metric>: counts overwrote random's silently
    with pytest.raises(ParameterError, match="random and counts both score val and test"):
        pl.workload(synthetic_data, splits=["random", "counts"], models=["linear"])
    with pytest.raises(ParameterError, match="got 'loos'"):
        pl.workload(synthetic_data, splits=["random", "loos"], models=["linear"])


def test_ridge_dgex_starts_as_the_ridge_and_learns_a_residual(tmp_path):
    """gexnb's ridge + D-GEX residual: untrained it is the ridge of the training samples;
    trained on targets with non-linear parts it improves on the ridge."""
    from gexnb.models import build
    from gexnb.models.landmark import set_linear_path
    from gexnb.train import predict

    data = pl.load_landmark_data("", synthetic={**SYN, "n_samples": 600, "seed": 0})
    prep = pl.prepare_split(data, pl.make_splits(len(data.X), seed=0)[0][1])
    x, y = prep.x["train"], prep.y["train"]
    ridge = build("ridge").fit(x, y)
    model = build("ridge_dgex", n_landmarks=x.shape[1], n_targets=y.shape[1], hidden=[16])
    set_linear_path(model, ridge.estimator_.coef_, ridge.estimator_.intercept_)
    np.testing.assert_allclose(predict(model, prep.x["test"]), ridge.predict(prep.x["test"]),
                               rtol=1e-4, atol=1e-4)  # fmt: skip
    assert not model.get_layer("linear_path").trainable
    with pytest.raises(ParameterError, match="cannot take coefficients"):
        set_linear_path(model, np.zeros((3, 2)), np.zeros(3))
    params = {"hidden": [64, 64], "dropout": 0.0, "epochs": 25, "batch_size": 32,
              "learning_rate": 3e-3, "loss": "mae"}  # fmt: skip
    run = pl.fit_model("ridge_dgex", prep, params=params, output_dir=tmp_path, seed=0)
    ridge_run = pl.fit_model("ridge", prep, output_dir=tmp_path)
    table, _ = pl.evaluate_runs({"ridge": ridge_run, "ridge_dgex": run}, prep.y,
                                targets=prep.targets)  # fmt: skip
    assert table.loc[("ridge_dgex", "test"), "mae"] < 0.95 * table.loc[("ridge", "test"), "mae"]
    # the frozen linear path kept the ridge's weights through training
    kernel = run.model.get_layer("linear_path").get_weights()[0]
    np.testing.assert_allclose(kernel, ridge.estimator_.coef_.T, rtol=1e-5, atol=1e-6)


def test_model_params_typos_are_refused_before_training(synthetic_data):
    with pytest.raises(ParameterError, match="model_params of dgex: unknown key.*hiden;.*hidden"):
        pl.workload(synthetic_data, splits=["random"], models=["dgex"],
                    model_params={"dgex": {"hiden": [8]}})  # fmt: skip
    with pytest.raises(ParameterError, match="model_params of egex: unknown key.*n_targets"):
        pl.workload(synthetic_data, splits=["random"], models=["egex"],
                    model_params={"egex": {"n_targets": 3}})  # fmt: skip
    with pytest.raises(
        ParameterError,
        match=r"unknown model 'dgexx' in models for notebook 03 \(did you mean 'dgex'\?\); use one "
        r"of dgex",
    ):
        pl.workload(synthetic_data, splits=["random"], models=["dgexx"])
    with pytest.raises(ParameterError, match="model_params of ridge: .*unexpected keyword "
                       "argument 'alpha'"):  # fmt: skip
        pl.workload(
            synthetic_data,
            splits=["random"],
            models=["ridge"],
            model_params={"ridge": {"alpha": 3}},
        )  # a scikit-learn wrapper: alphas
    params = {"dgex": {"hidden": [8], "epochs": 2}, "ridge": {"alphas": [3.0]}}
    plan = pl.workload(synthetic_data, splits=["random"], models=["dgex", "ridge"],
                       model_params=params)  # fmt: skip
    assert "dgex 2 epochs" in plan


def test_model_params_of_an_unknown_model_is_refused_of_a_model_not_run_ignored(synthetic_data):
    with pytest.raises(
        ParameterError,
        match=r"unknown model 'dgx' in model_params for notebook 03 \(did you mean 'dgex'\?\)",
    ):
        pl.workload(synthetic_data, splits=["random"], models=["dgex"], model_params={"dgx": {}})
    plan = pl.workload(synthetic_data, splits=["random"], models=["linear"],
                       model_params={"dgex": {"hidden": [8]}})  # fmt: skip
    assert "3 models" in plan  # mean, median and linear; dgex's settings are logged as not used


def test_a_classical_models_own_learning_rate_reaches_it(synthetic_data, tmp_path):
    """gradient_boosting's learning_rate was taken for the Keras optimizer's and dropped, and
    early_stopping=False was refused as a patience (found by a defaults audit)."""
    prep = pl.prepare_split(synthetic_data, pl.make_splits(len(synthetic_data.X), seed=0)[0][1])
    params = {"learning_rate": 0.05, "early_stopping": False, "max_iter": 3, "max_targets": 2}
    pl.workload(synthetic_data, splits=["random"], models=["gradient_boosting"],
                model_params={"gradient_boosting": params})  # fmt: skip
    run = pl.fit_model("gradient_boosting", prep, params=params, output_dir=tmp_path)
    booster = run.model.estimator_.estimators_[0]
    assert (booster.learning_rate, booster.early_stopping) == (0.05, False)
    with pytest.raises(ParameterError, match="model_params of ridge: .*'epochs'"):
        pl.workload(synthetic_data, splits=["random"], models=["ridge"],
                    model_params={"ridge": {"epochs": 3}})  # fmt: skip


def test_dry_run_sizes_models_as_they_build_and_train():
    """The dry run took 3 x 9,000 units for any model without `hidden` (TAAF builds 2 x 300)
    and SGD's one optimizer slot whatever the run's optimizer (found by a defaults audit)."""
    from gexnb.models.landmark import estimate_training_memory

    table = pl.describe_paper_models(9, 7, models=["taaf_dgex"],
                                     training={"optimizer": "adam", "batch_size": 10})  # fmt: skip
    want = estimate_training_memory(int(table.loc["taaf_dgex", "n_params_built"]), batch_size=10,
                                    layer_widths=[9, 300, 300, 7], optimizer="adam")  # fmt: skip
    assert table.loc["taaf_dgex", "memory_total_gib"] == pytest.approx(want["total"] / 2**30)
    assert want["optimizer"] == 2 * want["weights"]
    with pytest.raises(ParameterError, match="hidden must be a sequence of positive integers"):
        pl.describe_paper_models(9, 7, models=["dgex"], model_params={"dgex": {"hidden": "64"}},
                                 build_models=False)  # fmt: skip


def test_knn_ge_genes_without_normalisation_is_warned_about(synthetic_data, tmp_path):
    with pytest.warns(UserWarning, match="knn_ge_genes compares .* normalization 'none'"):
        res = pl.run_landmark_comparison(
            synthetic_data,
            models=["linear", "knn_ge_genes"],
            model_params={"knn_ge_genes": {"k": 3}},
            normalization="none",
            output_dir=tmp_path,
            progress=False,
        )
    assert ("knn_ge_genes", "test") in res.table.index


def test_knn_ge_k_chosen_among_candidates_is_reported(synthetic_data, tmp_path):
    res = pl.run_landmark_comparison(
        synthetic_data,
        models=["linear", "knn_ge", "knn_ge_genes"],
        model_params={"knn_ge": {"k": [1, 5, 20]}, "knn_ge_genes": {"k": 3}},
        output_dir=tmp_path,
        progress=False,
    )
    metrics = read_metrics(tmp_path)
    assert metrics["knn_ge/test/k"] in (1, 5, 20) and metrics["knn_ge_genes/test/k"] == 3
    assert "linear/test/k" not in metrics
    assert res.table.loc[("knn_ge", "test"), "k"] == metrics["knn_ge/test/k"]


def test_notebook_03_checks_its_models_before_it_reads_the_data(caplog):
    """A typo in models stopped notebook 03 only after the data cell (minutes on a large
    file; trial, 2026-11-30): check_plan needs no data and runs in the setup cell."""
    import nbformat

    from tests.conftest import PROJECT_DIR

    with pytest.raises(ParameterError, match=r"unknown model 'dgexx' in models.*'dgex'"):
        pl.check_plan(splits=["random"], models=["dgexx"])
    with pytest.raises(ParameterError, match="random and counts both score"):
        pl.check_plan(splits=["random", "counts"], models=["linear"])
    with pytest.raises(ParameterError, match="dgexx"):
        pl.check_plan(splits=["random"], models=["linear"], save_models=["ridge", "dgexx"])
    with caplog.at_level("WARNING", logger="gexnb"):
        assert pl.check_plan(splits=["loso"], models=["dgex"]) == ["mean", "median", "dgex"]
        pl.check_plan(splits=["loso"], models=["dgex"], warn=False)
    assert [r.getMessage() for r in caplog.records].count(
        "'linear' not in models: no improvement over linear regression is computed"
    ) == 1
    cells = nbformat.read(PROJECT_DIR / "notebooks" / "03_landmark_models.ipynb", 4).cells
    source = [c.source for c in cells if c.cell_type == "code"]
    first = next(i for i, s in enumerate(source) if "landmark.check_plan(" in s)
    assert first < next(i for i, s in enumerate(source) if "load_landmark_data(" in s)
    assert "models=models, model_params=model_params" in source[first]
    assert 'save_models=saving["models"]);' in source[first]  # checked, and no list shown


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("random_forest", {"n_estimators": 5}),
        ("gradient_boosting", {"max_iter": 5, "max_targets": 3}),
        ("knn_ge", {"k": [1, 3, 5]}),
    ],
)
def test_the_run_seed_reaches_the_classical_baselines(synthetic_data, tmp_path, name, params):
    """Random forest, gradient boosting (and its ``max_targets`` subset) and KNN-GE's folds
    were seeded with 0 whatever the run's seed, so a sweep over seeds fitted them alike (a
    review found it). They now follow the run's seed, unless ``random_state`` is given."""
    parts = pl.make_splits(len(synthetic_data.X), seed=1)[0][1]
    prepared = pl.prepare_split(synthetic_data, parts)

    def fitted(seed, **extra):
        run = pl.fit_model(
            name, prepared, params={**params, **extra}, output_dir=tmp_path, seed=seed
        )
        return run.model.get_params()["random_state"], run.predictions["test"]

    state0, at0 = fitted(0)
    state7, at7 = fitted(7)
    assert (state0, state7) == (0, 7)
    if name != "knn_ge":  # KNN-GE's folds may choose the same k
        assert not np.array_equal(at0, at7)
    given = [fitted(seed, random_state=3) for seed in (0, 7)]
    assert given[0][0] == given[1][0] == 3
    np.testing.assert_array_equal(given[0][1], given[1][1])


def test_sample_annotations_as_users_write_them(tmp_path):
    """A new-user trial's annotations: labels of one study written ``chowdary``,
    ``Chowdary`` and ``chowdary `` made three left-out "studies", the rest of each trained
    on (ridge's MAE 0.54-0.61 against 0.76); a sample annotated twice gave "241 group
    labels for 240 samples"; ids with a trailing space were "not annotated", naming none
    of the annotation's ids; a comma-separated ``.txt`` had "columns: []"."""
    frame = _frame(n=6)
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t", index_label="sample")
    samples = list(frame.index)

    def groups(text, name="a.tsv"):
        annotation = tmp_path / name
        annotation.write_text(text)
        data = pl.load_landmark_data(
            path, landmark_list=["g0", "g1"], target_list=["g2"], transform="none",
            sample_annotation=str(annotation),
        )  # fmt: skip
        return list(data.groups)

    rows = [f"{s}\t{'A' if i < 3 else 'B'}" for i, s in enumerate(samples)]
    assert groups("id\tstudy\n" + "\n".join(rows) + "\n") == ["A"] * 3 + ["B"] * 3
    spaced = [f" {s} \t {'A' if i < 3 else 'B'} " for i, s in enumerate(samples)]
    assert groups("id\tstudy\n" + "\n".join(spaced) + "\n") == ["A"] * 3 + ["B"] * 3
    commas = [r.replace("\t", ",") for r in rows]
    assert groups("id,study\n" + "\n".join(commas) + "\n", "a.txt") == ["A"] * 3 + ["B"] * 3
    with pytest.raises(InputError, match=r"differ only in letter case: 'A' and 'a'"):
        groups("id\tstudy\n" + "\n".join([*rows[:5], f"{samples[5]}\ta"]) + "\n")
    with pytest.raises(InputError, match=rf"1 sample\(s\) annotated more than once: {samples[0]}"):
        groups("id\tstudy\n" + "\n".join([*rows, rows[0]]) + "\n")
    upper = [r.replace(s, s.upper()) for r, s in zip(rows, samples, strict=True)]
    with pytest.raises(InputError, match=r"not annotated.*annotation's ids: S0.*6 of them differ "
                       r"in letter case only"):  # fmt: skip
        groups("id\tstudy\n" + "\n".join(upper) + "\n")
    with pytest.raises(InputError, match=r"read tab-separated; columns: \['cohort'\]"):
        groups("id\tcohort\n" + "\n".join(rows) + "\n")
    # compressed as pandas reads it (a review: .bz2 raised a bare UnicodeDecodeError)
    import bz2

    (tmp_path / "a.tsv.bz2").write_bytes(bz2.compress(("id,study\n" + "\n".join(commas)).encode()))
    data = pl.load_landmark_data(
        path, landmark_list=["g0", "g1"], target_list=["g2"], transform="none",
        sample_annotation=str(tmp_path / "a.tsv.bz2"),
    )  # fmt: skip
    assert list(data.groups) == ["A"] * 3 + ["B"] * 3
    (tmp_path / "latin1.tsv").write_bytes("id\tstudy\nS0\tK\xf6ln\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        pl.load_landmark_data(
            path, landmark_list=["g0", "g1"], target_list=["g2"], transform="none",
            sample_annotation=str(tmp_path / "latin1.tsv"),
        )  # fmt: skip


def test_a_small_left_out_study_is_warned_of(caplog):
    """A study of one sample in ``loso``: its R^2 dropped out silently and it counted as
    a full study in ``loso_mean`` (a new-user trial); it is now named before training."""
    import logging

    groups = ["a"] * 30 + ["b"] * 29 + ["c"]
    with caplog.at_level(logging.WARNING, logger="gexnb.data.landmark"):
        splits = pl.make_splits(60, split="loso", groups=groups)
    assert [name for name, _ in splits] == ["loso_a", "loso_b", "loso_c"]
    (message,) = [m for m in caplog.messages if "fewer than 10 samples" in m]
    assert "c (1)" in message and "a (" not in message


def test_a_genes_x_samples_file_is_told_by_its_landmark_genes(tmp_path, caplog):
    """A GEO-style matrix (genes in rows) needed data_checks: {orientation: genes_x_samples}
    in the notebooks, where gexnb predict told it from its landmark genes (a new-user
    trial); the landmark list now tells it, logged. A samples x genes file is read as before."""
    import logging

    frame = _frame(n=12)
    path = tmp_path / "genes_in_rows.tsv"
    frame.T.to_csv(path, sep="\t", index_label="gene")
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.genes"):
        data = pl.load_landmark_data(path, landmark_list=["g0", "g1", "g2"],
                                     target_list=["g3", "g4"], transform="none")  # fmt: skip
    assert data.X.shape == (12, 3) and list(data.X.index) == list(frame.index)
    np.testing.assert_allclose(data.X.to_numpy(), frame[["g0", "g1", "g2"]].to_numpy())
    assert any("3 landmark gene(s) are row ids (0 column ids)" in m for m in caplog.messages)
    caplog.clear()
    wide = tmp_path / "samples_in_rows.tsv"
    frame.to_csv(wide, sep="\t", index_label="sample")
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.genes"):
        same = pl.load_landmark_data(wide, landmark_list=["g0", "g1", "g2"],
                                     target_list=["g3", "g4"], transform="none")  # fmt: skip
    pd.testing.assert_frame_equal(same.X, data.X, check_names=False)
    assert not [m for m in caplog.messages if "row ids" in m]


def test_loso_fractions_without_training_are_refused():
    """``fractions: [0, 0, 1]`` with ``loso`` raised a bare ZeroDivisionError (a review)."""
    with pytest.raises(ParameterError, match=r"loso split trains on fractions\[0\].*\(0, 0, 1\)"):
        pl.make_splits(6, split="loso", groups=["a"] * 3 + ["b"] * 3, fractions=(0, 0, 1))


def test_a_second_data_set_keeps_its_inputs_and_the_saved_model_its_figures():
    """A review of the landmark-alone normalisation: (1) a second data set, normalised with
    its own statistics over all its samples, took its landmark reference from the landmarks
    normalised with its targets, so its targets moved every sample's inputs (+3 on 20
    samples' targets moved the others' inputs by up to 0.149); (2) when it left a landmark
    out, the model trained on landmarks normalised among more than the saved model then
    normalises, 3.1 % off the notebook's MAE. Now neither."""
    import tempfile

    from gexnb.data.landmark import LandmarkData, hold_out_study, prepare_cross_dataset

    data = pl.load_landmark_data("", synthetic={**SYN, "n_studies": 3, "seed": 0})
    rest, second = hold_out_study(data, sorted(set(map(str, data.groups)))[-1])
    rest, second = prepare_cross_dataset(rest, second)
    everything = {"train": np.arange(len(second.X)), "test": np.arange(len(second.X))}

    def cross_inputs(d):
        return pl.prepare_split(d, everything, name="cross", normalization="all").x["test"]

    y = second.Y.copy()
    y.iloc[:20] += 3.0
    shifted = LandmarkData(second.X, y, second.groups, second.report)
    np.testing.assert_array_equal(cross_inputs(second), cross_inputs(shifted))
    x = second.X.copy()
    x[x.columns[3]] = 5.0  # constant in the second set: left out there
    second = LandmarkData(x, second.Y, second.groups, second.report)
    with tempfile.TemporaryDirectory() as folder:
        res = pl.run_landmark_comparison(
            rest, models=["linear", "ridge"], cross_data=second, output_dir=folder,
            progress=False, save_models=["ridge"], save_predictions=False,
        )  # fmt: skip
    cost = pl.saved_model_cost(res.table)
    np.testing.assert_allclose(cost[pl.SAVED_KEY], cost["mae_expr"], rtol=1e-5)
    # the landmark the second set left out is still reported (the first preparation's)
    gone = rest.report["cross_reconciled"]["random"]["landmarks_left_out_in_second_set"]
    assert gone == [x.columns[3]]

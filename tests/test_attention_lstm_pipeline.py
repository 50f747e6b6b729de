"""gexnb.pipelines.attention_lstm: parameter checks, leakage-free folds, CV tables, outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gexnb.errors import InputError, ParameterError
from gexnb.io import read_metrics
from gexnb.pipelines import attention_lstm as ga


@pytest.fixture(scope="module")
def frame():
    return ga.load_expression("", n_samples=60, n_genes=10, seed=0)


def test_synthetic_default(frame):
    assert frame.shape == (60, 10)
    assert "TG00001" in frame.columns and "LM0001" in frame.columns


@pytest.mark.parametrize(
    ("targets", "kwargs", "error", "match"),
    [
        ("NOPE", {}, InputError, "no id of the target list matches any column of the matrix"),
        ("TG00001", {"input_genes": ["LM0001", "TG00001"]}, InputError, "among the input genes"),
        ("TG00001", {"input_genes": ["LM0001", "XYZ"]}, InputError, "XYZ"),
        ("TG00001", {"k_genes": 10}, ParameterError, "k_genes=10 but only 9"),
        ("TG00001", {"k_genes": 0}, ParameterError, "k_genes must be at least 1, got 0"),
        ("TG00001", {"folds": 61}, ParameterError, r"folds=61 needs 2 <= folds <= 60"),
        ("TG00001", {"folds": 1}, ParameterError, r"folds=1 needs 2 <= folds"),
        ("", {}, ParameterError, "at least one target"),
        # a new-user trial: two outputs of one gene, each sample's pair scored twice
        (["TG00001", "TG00002", "TG00001"], {}, ParameterError, "more than once: TG00001"),
    ],
)
def test_bad_parameters(frame, targets, kwargs, error, match):
    options = {"k_genes": 5, "folds": 3, **kwargs}
    with pytest.raises(error, match=match):
        ga.check_targets(frame, targets, **options)


def test_targets_are_matched_and_explained_as_in_notebook_03(tmp_path):
    """Notebook 04 said only "not in the expression matrix", without the file, for targets
    notebook 03 matches or explains: an unversioned Ensembl id, a transposed matrix, a constant
    target (which trained, then failed on an undefined R^2); found by a fault sweep."""
    rng = np.random.default_rng(0)
    genes = [f"ENSG{i:011d}.3" for i in range(10)]
    matrix = pd.DataFrame(rng.normal(7, 1, (30, 10)), columns=genes,
                          index=[f"S{i}" for i in range(30)])  # fmt: skip
    path = tmp_path / "expr.tsv"
    matrix.to_csv(path, sep="\t")
    frame = ga.load_expression(str(path), transform="none")
    assert ga.check_targets(frame, "ENSG00000000005", k_genes=4, folds=3) == [genes[5]]
    matrix.T.to_csv(path, sep="\t")  # genes x samples
    frame = ga.load_expression(str(path), transform="none")
    with pytest.raises(InputError, match=r"expr\.tsv: .*transposed\? 1 of them are in the row "
                       r"index.*data_checks: \{orientation: genes_x_samples\}"):  # fmt: skip
        ga.check_targets(frame, genes[5], k_genes=4, folds=3)
    matrix[genes[5]] = 7.0
    matrix.to_csv(path, sep="\t")
    frame = ga.load_expression(str(path), transform="none")
    with pytest.raises(InputError, match=r"expr\.tsv: target gene\(s\) ENSG00000000005\.3 have "
                       r"one value in every sample"):  # fmt: skip
        ga.check_targets(frame, genes[5], k_genes=4, folds=3)


def test_unknown_model_rejected(frame):
    with pytest.raises(ParameterError, match="unknown model"):
        ga.cross_validate(frame, "TG00001", k_genes=4, folds=2, models=["transformer"])


def test_summary_table_and_metric_keys_by_hand():
    folds = pd.DataFrame(
        {
            "model": ["a", "a", "a", "b", "b", "b"],
            "fold": [0, 1, 2, 0, 1, 2],
            "mae": [1.0, 2.0, 3.0, 0.5, 0.5, 0.5],
            "rmse": [1.0, 2.0, 3.0, 1.0, 1.0, 1.0],
            "mse": [1.0, 4.0, 9.0, 1.0, 1.0, 1.0],
            "r2": [0.1, 0.2, 0.3, 0.5, 0.5, 0.5],
            "fit_seconds": [1.0] * 6,
        }
    )
    table = ga.summary_table(folds)
    assert list(table.index) == ["b", "a"]  # sorted by mean RMSE
    assert table.loc["a", "mae_mean"] == pytest.approx(2.0)
    assert table.loc["a", "mae_sd"] == pytest.approx(1.0)  # sample sd of 1, 2, 3
    assert table.loc["a", "mse_sd"] == pytest.approx(np.std([1, 4, 9], ddof=1))
    metrics = ga.cv_metrics(folds)
    assert metrics["a/cv_mean/r2"] == pytest.approx(0.2)
    assert metrics["b/cv_sd/mae"] == 0.0
    assert {"a/cv_mean/mae", "a/cv_sd/rmse", "b/cv_mean/mse", "b/cv_mean/fit_seconds"} <= set(
        metrics
    )


def test_a_target_with_missing_values_is_neither_filled_nor_called_absent(tmp_path):
    """nan: mean filled MKI67's 40 missing values with its mean over all samples and scored
    them as measured; nan: drop_genes said "no id of the target list matches" (trial)."""
    frame = ga.load_expression("", n_samples=40, n_genes=10)
    frame.iloc[3, frame.columns.get_loc("TG00001")] = np.nan
    frame.iloc[5, frame.columns.get_loc("LM0001")] = np.nan
    path = tmp_path / "na.tsv"
    frame.to_csv(path, sep="\t")
    filled = ga.load_expression(str(path), nan="mean", transform="none")
    assert filled.attrs[ga.REPORT_ATTR]["values_imputed"] == 2
    ga.check_targets(filled, "TG00002", k_genes=4, folds=2)  # LM0001 filled: an input
    with pytest.raises(InputError, match=r"TG00001; .*fills input genes only.*remove the samp"):
        ga.check_targets(filled, "TG00001", k_genes=4, folds=2)
    dropped = ga.load_expression(str(path), nan="drop_genes", transform="none")
    with pytest.raises(InputError, match=r"1 left out for their NaN values .*TG00001"):
        ga.check_targets(dropped, "TG00001", k_genes=4, folds=2)
    # through a probe table: the probes' genes (the review: the probe ids never matched)
    probes = tmp_path / "probes.tsv"
    probes.write_text("probe\tHUGO.gene.symbol\nTG00001\tGATA3\nTG00002\tESR1\n")
    mapped = ga.load_expression(str(path), probes=str(probes), nan="mean", transform="none")
    with pytest.raises(InputError, match=r"GATA3; .*fills input genes only"):
        ga.check_targets(mapped, "GATA3", k_genes=4, folds=2)
    mapped = ga.load_expression(str(path), probes=str(probes), nan="drop_genes", transform="none")
    with pytest.raises(InputError, match=r"1 left out for their NaN values .*GATA3"):
        ga.check_targets(mapped, "GATA3", k_genes=4, folds=2)
    # task joint: a filled gene is never one of a fold's targets
    filled["TG00001"] *= 50.0  # the most variable gene
    joint = ga.cross_validate(filled, [], task="joint", k_genes=2, folds=2, models=[],
                              baselines=["ridge"], progress=False)  # fmt: skip
    assert all("TG00001" not in f.targets for f in joint.folds)
    assert any("TG00001" in f.genes for f in joint.folds)


def test_a_metric_undefined_in_a_fold_has_no_mean_over_folds(caplog):
    """R^2 of a fold whose held-out target was constant (or one sample) is undefined: its
    mean over folds was that of the other folds, its sd 0 from one fold, and leave-one-out
    failed after training on "metric 'mean/cv_mean/r2' is not a number" (new-user trial)."""
    folds = pd.DataFrame(
        {
            "model": ["a", "a", "a", "b"],
            "fold": [0, 1, 2, 0],
            "mae": [1.0, 2.0, 3.0, 0.5],
            "rmse": [1.0, 2.0, 3.0, 1.0],
            "mse": [1.0, 4.0, 9.0, 1.0],
            "r2": [np.nan, np.nan, -0.03, 0.5],
            "fit_seconds": [1.0] * 4,
        }
    )
    table = ga.summary_table(folds)
    assert np.isnan(table.loc["a", "r2_mean"]) and np.isnan(table.loc["a", "r2_sd"])
    assert table.loc["a", "mae_mean"] == pytest.approx(2.0)
    assert np.isnan(table.loc["b", "mae_sd"])  # one fold: no sd
    assert table["n_folds"].to_dict() == {"b": 1, "a": 3}
    with caplog.at_level("WARNING", logger="gexnb.pipelines.attention_lstm"):
        metrics = ga.cv_metrics(folds)
    assert "a/cv_mean/r2" not in metrics and "a/cv_sd/r2" not in metrics
    assert "b/cv_sd/mae" not in metrics and metrics["b/cv_mean/r2"] == 0.5
    assert "r2 is undefined in 2 of 3 folds" in caplog.text and "for a;" in caplog.text
    from gexnb.plot.attention import cv_boxplots

    loo = folds.assign(r2=np.nan, model=folds["model"].map({"a": "dnn", "b": "ridge"}))
    # the box plot of R^2 failed inside seaborn
    texts = [t.get_text() for ax in cv_boxplots(loo).axes for t in ax.texts]
    assert "undefined in every fold" in texts


def test_small_folds_are_warned_of(caplog):
    with caplog.at_level("WARNING", logger="gexnb.pipelines.attention_lstm"):
        ga._warn_small_folds(3, 60)
        assert "unstable" not in caplog.text
        ga._warn_small_folds(60, 60)  # leave-one-out
    assert "folds=60 holds out 1 of 60 samples per fold: R^2" in caplog.text
    # over one sample RMSE is the absolute error: not the metric to compare by (a trial)
    assert "compare models by MAE (over one sample RMSE is the absolute error)" in caplog.text
    caplog.clear()
    ga._warn_small_folds(5, 47)
    assert "folds=5 holds out 9-10 of 47 samples" in caplog.text
    assert "compare models by RMSE" in caplog.text
    # a target constant in a fold leaves the fold's R^2 to the other targets (the review)
    r2 = ga._report(np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]),
                    np.array([[0.0, 1.0], [1.0, 1.0], [2.1, 1.0]]))["r2"]  # fmt: skip
    assert np.isfinite(r2) and r2 > 0.99


def test_top_genes_chosen_on_training_folds_only(monkeypatch):
    """Spy on top_variable_genes: it must only ever see training rows, never a target."""
    frame = ga.load_expression("", n_samples=40, n_genes=10, seed=1)
    seen = []
    original = ga.top_variable_genes

    def spy(sub, k, **kw):
        seen.append((list(sub.index), list(sub.columns)))
        return original(sub, k, **kw)

    monkeypatch.setattr(ga, "top_variable_genes", spy)
    result = ga.cross_validate(
        frame, ["TG00001", "TG00002"], k_genes=4, folds=4, models=[], baselines=["ridge"]
    )
    assert len(seen) == 4
    for (rows, columns), fold in zip(seen, result.folds, strict=True):
        assert rows == [frame.index[i] for i in fold.train_idx]
        assert not set(rows) & {frame.index[i] for i in fold.test_idx}
        assert "TG00001" not in columns and "TG00002" not in columns
        assert len(fold.genes) == 4
    assert set(result.predictions["target"]) == {"TG00001", "TG00002"}
    # every sample predicted exactly once per model and target
    assert result.predictions.groupby("target")["sample"].nunique().eq(40).all()


def test_cross_validation_end_to_end(tmp_path):
    """Tiny run: ridge must beat predicting the mean; outputs and attention are complete."""
    frame = ga.load_expression("", n_samples=80, n_genes=10, seed=0)
    result = ga.cross_validate(
        frame,
        "TG00001",
        k_genes=6,
        folds=2,
        models=["dnn", "attention_gru"],
        baselines=["linear", "ridge"],
        epochs=2,
        sizes=ga.ModelSizes(units=4, hidden=(8,), embedding_dim=2),
        output_dir=tmp_path,
    )
    fm = result.fold_metrics
    assert len(fm) == 2 * 5 and set(fm["fold"]) == {0, 1}  # 4 models + the mean baseline
    assert (fm.loc[fm["model"] == "ridge", "r2"] > 0.1).all()
    # The predict-the-mean baseline is the training-fold mean: R^2 at most about 0.
    assert (fm.loc[fm["model"] == "mean", "r2"] < 0.05).all()
    np.testing.assert_allclose(fm["rmse"] ** 2, fm["mse"], rtol=1e-12)  # one target: exact
    # every fold metric is the one of the saved predictions, computed by hand
    for (model, fold), rows in result.predictions.groupby(["model", "fold"]):
        err = rows["y_pred"].to_numpy() - rows["y_true"].to_numpy()
        row = fm[(fm["model"] == model) & (fm["fold"] == fold)].iloc[0]
        assert row["mae"] == pytest.approx(np.abs(err).mean(), rel=1e-12)
        assert row["mse"] == pytest.approx((err**2).mean(), rel=1e-12)
        held_out = [frame.index[i] for i in result.folds[fold].test_idx]
        assert rows["sample"].tolist() == held_out
        np.testing.assert_array_equal(rows["y_true"], frame.loc[held_out, "TG00001"])
    att = result.attention
    assert set(att["model"]) == {"attention_gru"}
    sums = att.groupby(["fold", "sample"])["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-5)
    assert len(sums) == 80
    paths = ga.write_outputs(result, frame, tmp_path)
    metrics = read_metrics(tmp_path)
    for model in ("dnn", "attention_gru", "linear", "ridge", "mean"):
        for metric in ga.METRICS:
            assert f"{model}/cv_mean/{metric}" in metrics and f"{model}/cv_sd/{metric}" in metrics
    for key in ("boxplots", "attention_figure", "summary", "predictions"):
        assert paths[key].exists() and paths[key].stat().st_size > 0
    table = ga.attention_by_gene(result, frame)
    assert table["abs_corr"].between(0, 1).all()
    assert table["mean_attention"].sum() > 0


def test_several_targets_are_each_scored_and_named(tmp_path):
    """With three targets, metrics.json and cv_summary.tsv gave only their average (a dnn
    with R^2 0.15 for CD3E and below 0 for MS4A1 read 0.08), the viewer's title did not say
    which target it showed, and abs_corr was silently the first target's (new-user trial on
    pbmc68k, 2026-11-30)."""
    from gexnb.widgets import GeneAttentionViewer

    frame = ga.load_expression("", n_samples=60, n_genes=12, seed=0)
    targets = ["TG00001", "TG00002", "TG00003"]
    result = ga.cross_validate(
        frame, targets, k_genes=5, folds=2, models=["attention_lstm"], baselines=["ridge"],
        epochs=1, sizes=ga.ModelSizes(units=4, hidden=(4,), embedding_dim=0), progress=False,
    )  # fmt: skip
    paths = ga.write_outputs(result, frame, tmp_path)
    table = pd.read_csv(paths["targets"], sep="\t", index_col=[0, 1])
    assert sorted(table.index.get_level_values("target").unique()) == targets
    assert set(table.index.get_level_values("model")) == {"attention_lstm", "ridge", "mean"}
    per_target = ga.target_table(result.predictions)
    averaged = per_target.groupby(level="model")["r2_mean"].mean()
    summary = ga.summary_table(result.fold_metrics)
    np.testing.assert_allclose(averaged[summary.index], summary["r2_mean"], rtol=1e-9)
    corr = ga.attention_by_gene(result, frame)["abs_corr"]
    gene = corr.index[0]
    expected = np.mean([abs(frame[gene].corr(frame[t])) for t in targets])
    assert corr.iloc[0] == pytest.approx(expected)
    viewer = GeneAttentionViewer.from_cv(result, model="attention_lstm", target="TG00002")
    assert "TG00002 (target 2 of 3) true" in viewer._describe()
    first = result.folds[0]
    np.testing.assert_array_equal(viewer.folds[0].y_true, first.y_test[:, 1])
    assert "TG00001 (target 1 of 3)" in GeneAttentionViewer.from_cv(result)._describe()
    with pytest.raises(ParameterError, match=r"target 'MKI67' is not a target of fold 0"):
        GeneAttentionViewer.from_cv(result, model="attention_lstm", target="MKI67")


def test_probe_mapping_averages_probes(tmp_path):
    probes = tmp_path / "probes.tsv"
    probes.write_text("probe\tHUGO.gene.symbol\np1\tESR1\np2\tESR1\np3\tMKI67\n")
    frame = pd.DataFrame(
        {"p1": [1.0, 3.0], "p2": [3.0, 5.0], "p3": [7.0, 8.0], "p9": [0.0, 1.0]},
        index=["S1", "S2"],
    )
    matrix = tmp_path / "m.tsv"
    frame.to_csv(matrix, sep="\t", index_label="sample")
    mapped = ga.load_expression(str(matrix), probes=str(probes))
    assert list(mapped.columns) == ["ESR1", "MKI67", "p9"]
    np.testing.assert_allclose(mapped["ESR1"], [2.0, 4.0])
    report = mapped.attrs[ga.REPORT_ATTR]  # data_report.json said 0 merged (trial)
    assert report["genes_from_several_probes"] == 1 and report["duplicate_ids_merged"] == 0
    transposed = tmp_path / "t.tsv"
    frame.T.to_csv(transposed, sep="\t", index_label="probe")
    with pytest.raises(InputError, match=r"3 of its row ids do .*orientation: genes_x_samples"):
        ga.load_expression(str(transposed), probes=str(probes))
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tsymbol\n")
    with pytest.raises(InputError, match="no column 'probe'"):
        ga.load_expression(str(matrix), probes=str(bad))


def test_real_expo_target_outside_top50(shared_data):
    folder = shared_data / "genefu_expos_breast"
    frame = ga.load_expression(
        str(folder / "expression_log2.tsv.gz"), probes=str(folder / "probes.tsv")
    )
    assert frame.shape[0] == 353
    from gexnb.data.expression import top_variable_genes

    top = top_variable_genes(frame, 50)
    assert "MKI67" in frame.columns and "MKI67" not in top
    assert ga.check_targets(frame, "MKI67", k_genes=50, folds=5) == ["MKI67"]


def test_joint_reading_predicts_each_folds_top_genes_from_the_next(tmp_path):
    """task='joint': the top-k genes of each training fold are the targets (chosen without
    the held-out samples), the next k the inputs; one model predicts them all."""
    frame = ga.load_expression("", n_samples=60, n_genes=12, seed=2)
    with pytest.raises(ParameterError, match="set targets to"):
        ga.check_targets(frame, ["TG00001"], k_genes=3, folds=2, task="joint")
    with pytest.raises(ParameterError, match="needs 2 x k_genes = 14 genes"):
        ga.check_targets(frame, [], k_genes=7, folds=2, task="joint")
    result = ga.cross_validate(frame, [], k_genes=3, folds=2, task="joint", models=["lstm"],
                               baselines=["ridge"], epochs=1, output_dir=tmp_path,
                               progress=False)  # fmt: skip
    for fold in result.folds:
        train = frame.iloc[fold.train_idx]
        ranked = list(ga.top_variable_genes(train, 6))
        assert fold.targets == ranked[:3] and fold.genes == ranked[3:]
        assert fold.y_test.shape == (len(fold.test_idx), 3)
        assert fold.predictions["lstm"].shape == (len(fold.test_idx), 3)
    assert result.targets == result.folds[0].targets
    preds = result.predictions
    assert set(preds["target"]) == {t for f in result.folds for t in f.targets}
    assert len(preds) == 3 * len(frame) * 3  # 3 models (lstm, mean, ridge) x samples x targets


def test_joint_attention_table_correlates_with_each_folds_own_targets(tmp_path):
    """abs_corr was taken against fold 0's targets for every fold (trial)."""
    frame = ga.load_expression("", n_samples=60, n_genes=16, seed=2)
    result = ga.cross_validate(frame, [], k_genes=3, folds=3, task="joint",
                               models=["attention_lstm"], baselines=[], epochs=1,
                               output_dir=tmp_path, progress=False)  # fmt: skip
    assert len({tuple(f.targets) for f in result.folds}) > 1  # the targets change
    table = ga.attention_by_gene(result, frame)
    for gene, row in table.iterrows():
        folds = [f for f in result.folds if gene in f.genes]
        expected = np.mean(
            [np.mean([abs(frame[gene].corr(frame[t])) for t in f.targets]) for f in folds]
        )
        assert row["abs_corr"] == pytest.approx(expected) and row["n_folds"] == len(folds)


def test_an_input_that_nearly_copies_a_target_is_warned_of(caplog):
    """Another probe of the target's gene (GATA3's 209603_at for 209602_s_at, r = 0.975) was
    an input without a word, though "targets are never inputs" (new-user trial)."""
    frame = ga.load_expression("", n_samples=60, n_genes=10, seed=1)
    rng = np.random.default_rng(0)
    frame["TG00001_probe2"] = frame["TG00001"] + rng.normal(0, 0.01, len(frame))
    with caplog.at_level("WARNING", logger="gexnb.pipelines.attention_lstm"):
        ga.cross_validate(frame, "TG00001", input_genes=["LM0001", "TG00001_probe2"], folds=3,
                          k_genes=2, models=[], baselines=["ridge"], progress=False)  # fmt: skip
    lines = [r.getMessage() for r in caplog.records if "nearly copy" in r.getMessage()]
    assert len(lines) == 1  # once per pair, not per fold
    assert lines[0].startswith(
        "fold 1: 1 input gene(s) nearly copy a target over its training "
        "samples (|r| >= 0.95): TG00001_probe2 ~ TG00001 (r = 1.000)"
    )
    assert lines[0].endswith("give probes_path to map probes")


def test_workload_line():
    assert ga.workload(folds=3, models=["dnn", "lstm"], baselines=["mean", "ridge"], epochs=7) == (
        "3 folds x (2 deep models x 7 epochs + 2 baselines, the mean included) = 12 fits"
    )


def test_model_sizes_are_checked_by_the_builders_not_truncated():
    """ModelSizes int()-ed its sizes, so units=2.5 built 2 units (API fault sweep)."""
    from gexnb.pipelines.attention_lstm import ModelSizes

    with pytest.raises(ParameterError, match=r"units\[0\] must be an integer >= 1, got 2\.5"):
        ModelSizes(units=2.5).build("lstm", 4, 1)
    assert ModelSizes(hidden=[8]).build("dnn", 4, 1).count_params() == 4 * 8 + 8 + 8 + 1


def test_validation_rows_are_drawn_across_each_training_fold(monkeypatch):
    """The deep models' validation rows were the last rows of each training fold, in the
    matrix' order: on a matrix stacked by study, one study validated in every fold (a review
    found it on GPL96: borovecki's 19 samples, fold after fold). They are now a random draw
    of the fold's training samples, another in each fold."""
    frame = ga.load_expression("", n_samples=60, n_genes=10, seed=0)
    seen = []
    original = ga.fit

    def spy(build, train, validation, **kw):
        seen.append(train[0][-int(round(len(train[0]) * validation)) :])
        return original(build, train, validation, **kw)

    monkeypatch.setattr(ga, "fit", spy)
    result = ga.cross_validate(
        frame, ["TG00001"], k_genes=4, folds=3, models=["dnn"], baselines=[],
        validation_fraction=0.25, epochs=1,
    )  # fmt: skip
    assert len(seen) == 3
    for rows, fold in zip(seen, result.folds, strict=True):
        assert len(rows) == 10
        # the last 10 training rows in the matrix' order validated before
        last = ga._fold_data(frame, ["TG00001"], fold.fold, fold.train_idx, fold.test_idx,
                             k_genes=4, input_genes=None).x_train[-10:]  # fmt: skip
        assert {tuple(r) for r in rows} != {tuple(r) for r in last}


def test_the_conclusion_says_a_metric_of_several_targets_is_their_mean():
    """A trial read "cross-validated RMSE 2.09" of two targets as one gene's."""
    assert ga.ranking_label(["MKI67"]) == "cross-validated RMSE"
    assert ga.ranking_label(["MKI67", "TOP2A"]) == "cross-validated RMSE (the mean over 2 targets)"
    assert ga.ranking_label([], task="joint", k_genes=8) == (
        "cross-validated RMSE (the mean over each fold's 8 targets)"
    )


def test_targets_by_symbol_match_a_gct_or_h5ad_file_named_by_ensembl_ids(tmp_path, caplog):
    """A trial's GTEx-like GCT (Name: Ensembl ids, Description: symbols) and a CELLxGENE-like
    .h5ad (var feature_name) matched no target given by symbol without a probe table."""
    rng = np.random.default_rng(0)
    ids = [f"ENSG{i:011d}.{i % 3 + 1}" for i in range(12)]
    symbols = ["MKI67", "TOP2A", *[f"G{i}" for i in range(9)], "G0"]  # G0 twice: averaged
    values = rng.normal(5, 1, size=(12, 30))
    samples = [f"GTEX-{i:04d}" for i in range(30)]
    lines = ["#1.2", "12\t30", "\t".join(["Name", "Description", *samples])]
    lines += ["\t".join([i, s, *map(str, row)]) for i, s, row in zip(ids, symbols, values,
                                                                     strict=True)]  # fmt: skip
    gct = tmp_path / "gtex.gct"
    gct.write_text("\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="gexnb.pipelines.attention_lstm"):
        frame = ga.load_expression(str(gct), transform="none", targets=["MKI67"])
    assert "the targets are gene symbols the file stores beside its ids" in caplog.text
    assert frame.shape == (30, 11) and "MKI67" in frame.columns
    np.testing.assert_allclose(frame["G0"], (values[2] + values[11]) / 2)
    assert list(ga.load_expression(str(gct), transform="none").columns) == ids  # no targets
    anndata = pytest.importorskip("anndata")
    import pandas as pd

    adata = anndata.AnnData(values.T, obs=pd.DataFrame(index=samples),
                            var=pd.DataFrame({"feature_name": symbols}, index=ids))  # fmt: skip
    adata.write_h5ad(tmp_path / "cells.h5ad")
    frame = ga.load_expression(str(tmp_path / "cells.h5ad"), transform="none", targets=["TOP2A"])
    np.testing.assert_allclose(frame["TOP2A"], values[1])
    import h5py  # a LINCS GCTX: Entrez row ids, pr_gene_symbol in the row metadata

    with h5py.File(tmp_path / "l1000.gctx", "w") as h5:
        h5["/0/DATA/0/matrix"] = values.T.astype("float32")  # cmapPy: samples x genes
        h5["/0/META/ROW/id"] = np.array([str(4288 + i) for i in range(12)], dtype="S")
        h5["/0/META/ROW/pr_gene_symbol"] = np.array(symbols, dtype="S")
        h5["/0/META/COL/id"] = np.array(samples, dtype="S")
    frame = ga.load_expression(str(tmp_path / "l1000.gctx"), transform="none", targets=["MKI67"])
    np.testing.assert_allclose(frame["MKI67"], values[0], rtol=1e-6)

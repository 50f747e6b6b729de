"""gexnb.report: generated conclusions and the smoke-run test."""

from __future__ import annotations

from pathlib import Path

import pytest

from gexnb import report
from gexnb.io import write_metrics
from gexnb.runner import load_profile

PROJECT = Path(__file__).resolve().parents[1]


def test_ranking_gaps_and_baselines_by_hand():
    metrics = {
        "ridge/test/mae": 0.25,
        "dgex/test/mae": 0.30,  # 20 % worse than ridge
        "egex/test/mae": 0.55,  # worse than the mean
        "mean/test/mae": 0.50,
        "dgex/val/mae": 0.01,  # another split: ignored
        "linear/test/r2": 0.9,  # another metric: ignored
    }
    text = report.conclusion(metrics, split="test", metric="mae", lower_is_better=True)
    assert "**ridge** is best (0.2500)" in text
    assert "dgex 0.3000, 20% worse." in text and "egex 0.5500, 120% worse." in text
    assert "No deep model beats the best classical model (ridge)." in text
    assert "Not better than predicting the mean: egex." in text
    assert "linear" not in text and "banner" not in text


def test_higher_is_better_and_a_deep_winner():
    metrics = {"metformin_bigru/val/r2": 0.8, "kmer_ridge/val/r2": 0.6, "mean/val/r2": 0.0}
    text = report.conclusion(metrics, split="val", metric="r2", lower_is_better=False)
    assert "**metformin_bigru** is best (0.8000)" in text
    assert "metformin_bigru beats every classical model (best: kmer_ridge)." in text
    assert "Every model beats predicting the mean." in text


def test_the_median_and_the_other_metrics_are_checked():
    """On pbmc68k's log values the training median (MAE 0.474) beat every model, while the
    conclusion named knn_ge best and said every model beat the mean; on its scaled matrix
    dgex was 'best' by MAE and worse than ridge by RMSE, R^2 and Pearson, without a word
    (new-user trial, 2026-11-30)."""
    metrics = {
        "knn_ge/test/mae": 0.495, "ridge/test/mae": 0.510, "dgex/test/mae": 0.500,
        "mean/test/mae": 0.577, "median/test/mae": 0.474,
        "dgex/test/rmse": 1.007, "ridge/test/rmse": 0.975, "knn_ge/test/rmse": 0.99,
        "dgex/test/r2": -0.064, "ridge/test/r2": -0.051, "knn_ge/test/r2": -0.07,
        "dgex/test/pearson": 0.111, "ridge/test/pearson": 0.233, "knn_ge/test/pearson": 0.1,
        "median/test/r2": -0.2,
    }  # fmt: skip
    text = report.conclusion(metrics, split="test", metric="mae", lower_is_better=True)
    assert "**median** is best (0.4740)" in text
    assert "Every model beats predicting the mean." in text
    assert "Not better than predicting the median: knn_ge, dgex, ridge." in text
    assert text.endswith("But by r2, ridge is best.")  # the constants lead no other metric
    del metrics["median/test/mae"]
    text = report.conclusion(metrics, split="test", metric="mae", lower_is_better=True)
    assert "**knn_ge** is best (0.4950)" in text and "median" not in text
    assert text.endswith("But by rmse, r2 and pearson, ridge is best.")
    metrics["knn_ge/test/pearson"] = 0.3
    text = report.conclusion(metrics, split="test", metric="mae", lower_is_better=True)
    assert text.endswith("But by rmse and r2, ridge is best.")


def test_banners_and_missing_metric():
    text = report.conclusion({}, split="test", metric="mae", lower_is_better=True, synthetic=True,
                             smoke=True)  # fmt: skip
    assert text.startswith(report.SYNTHETIC_BANNER) and report.SMOKE_BANNER in text
    assert "no model has a test mae" in text
    nan = report.conclusion({"a/test/mae": float("nan")}, split="test", metric="mae",
                            lower_is_better=True)  # fmt: skip
    assert "no model has" in nan


def test_run_kind_compares_with_the_quick_profile():
    values = load_profile(PROJECT, "04_attention_lstm", "quick")
    assert report.run_kind("04_attention_lstm", values, project_dir=PROJECT) == "quick"
    changed = {**values, "epochs": values["epochs"] + 50}
    assert report.run_kind("04_attention_lstm", changed, project_dir=PROJECT) == "custom"
    assert report.run_kind("04_attention_lstm", {}, project_dir=PROJECT) == "custom"


def test_run_kind_finds_the_project_of_a_run_written_outside_it(tmp_path, monkeypatch):
    """`gexnb run 04 --profile quick -o /elsewhere` lost its smoke-run banner: the kernel
    runs in the output folder, where no project is found (a new-user trial)."""
    import os

    from gexnb.rundir import PROJECT_ENV
    from gexnb.runner.execute import _managed_folder

    values = load_profile(PROJECT, "04_attention_lstm", "quick")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(PROJECT_ENV, raising=False)
    assert report.run_kind("04_attention_lstm", values) == "custom"  # no project found
    with _managed_folder(tmp_path, PROJECT):  # what gexnb run tells its kernel
        assert os.environ[PROJECT_ENV] == str(PROJECT)
        assert report.run_kind("04_attention_lstm", values) == "quick"
    assert PROJECT_ENV not in os.environ


def test_the_smoke_banner_follows_the_model_sizes_not_the_data_or_profile_name():
    """The banner followed the profile's name: `extends: quick` with a data path got none,
    `--profile quick -p epochs=50 ...` got it (found by a new-user trial)."""
    values = load_profile(PROJECT, "04_attention_lstm", "quick")
    own_data = {**values, "expression_path": "mine.tsv", "targets": ["MKI67"], "seed": 3}
    assert report.run_kind("04_attention_lstm", own_data, project_dir=PROJECT) == "quick"
    other_design = {**own_data, "folds": 5, "k_genes": 50, "task": "joint"}  # (the review)
    assert report.run_kind("04_attention_lstm", other_design, project_dir=PROJECT) == "quick"
    bigger = {**own_data, "units": 64, "output_dir": "runs/quick/04_attention_lstm"}
    assert report.run_kind("04_attention_lstm", bigger, project_dir=PROJECT) == "custom"
    quick03 = load_profile(PROJECT, "03_landmark_models", "quick")
    fewer = {**quick03, "models": ["dgex"], "splits": ["random", "loso"]}
    assert report.run_kind("03_landmark_models", fewer, project_dir=PROJECT) == "quick"
    quick01 = load_profile(PROJECT, "01_data_prep", "quick")  # no model parameters
    assert report.run_kind("01_data_prep", quick01, project_dir=PROJECT) == "custom"


def test_conclude_writes_conclusion_md(tmp_path):
    write_metrics(tmp_path, {"ridge/cv_mean/rmse": 0.4, "lstm/cv_mean/rmse": 0.5})
    text = report.conclude(
        tmp_path, notebook="04_attention_lstm", values={"epochs": 999}, synthetic=True,
        rankings=[("cv_mean", "rmse", True, "CV RMSE"), ("test", "mae", True, "absent")],
    )  # fmt: skip
    assert (tmp_path / "conclusion.md").read_text().strip() == text
    assert report.SYNTHETIC_BANNER in text and report.SMOKE_BANNER not in text
    assert "(CV RMSE, lower is better): **ridge**" in text and "absent" not in text
    assert "lstm 0.5000, 25% worse." in text


def test_ties_and_a_best_score_of_zero():
    """A deep and a classical model at the same score: the verdict followed the key order
    ("dgex beats every classical model" one way, "No deep model beats" the other); a best
    R^2 of 0 gave "inf% worse" (a reviewer's findings)."""
    for keys in (("dgex", "ridge"), ("ridge", "dgex")):
        metrics = {f"{k}/test/mae": 0.5 for k in keys} | {"mean/test/mae": 0.9}
        text = report.conclusion(metrics, split="test", metric="mae", lower_is_better=True)
        assert "The best deep model (dgex) and the best classical model (ridge) are level." in text
        assert "beats every classical" not in text and "No deep model" not in text
    metrics = {"mean/test/r2": 0.0, "dgex/test/r2": -0.5, "lstm/test/r2": 0.0}
    text = report.conclusion(metrics, split="test", metric="r2", lower_is_better=False)
    assert "inf" not in text and "dgex -0.5000, worse by 0.5000." in text
    assert "lstm 0.000, level with the best." in text


def test_a_coverage_short_of_the_whole_list_is_not_rounded_to_100_percent():
    metrics = {"data/all/n_samples": 10, "data/all/n_genes": 5, "data/all/n_landmarks": 942,
               "data/all/landmark_coverage": 942 / 943, "data/all/n_targets": 9519,
               "data/all/target_coverage": 9519 / 9520}  # fmt: skip
    text = report.data_conclusion(metrics)
    assert "942 landmarks (99.8% of the list), 9,519 targets (99.9%)" in text
    assert "100%" not in text
    # and no share is printed 1 % short (floor of 0.57 * 100 is 56; the review)
    assert [report._percent(x) for x in (0.29, 0.57, 0.58, 0.9949, 0.996)] == [
        "29%", "57%", "58%", "99%", "99.6%"
    ]  # fmt: skip


@pytest.mark.parametrize("coverage", [1.0, 0.5])
def test_data_conclusion(coverage):
    metrics = {
        "data/all/n_samples": 10,
        "data/all/n_genes": 5,
        "data/all/landmark_coverage": coverage,
    }
    text = report.data_conclusion(metrics)
    assert "10 expression samples x 5 genes" in text
    assert ("Landmark genes are missing" in text) == (coverage < 1)


def test_data_conclusion_names_the_synthetic_part(tmp_path):
    from gexnb.io import write_metrics

    write_metrics(tmp_path, {"data/all/n_samples": 10, "data/all/n_genes": 5})
    partly = report.conclude_data(tmp_path, expression_path="mine.tsv")
    assert partly.startswith("> **Partly synthetic.** The promoter sequences are the synthetic")
    assert "The expression data are your data." in partly
    assert report.conclude_data(tmp_path).startswith(report.SYNTHETIC_BANNER)
    real = report.conclude_data(tmp_path, sequence_path="s.txt", expression_path="e.tsv")
    assert real.startswith("**Conclusion**")


def test_both_constants_beaten_in_one_sentence():
    metrics = {"ridge/test/mae": 0.2, "mean/test/mae": 0.5, "median/test/mae": 0.4}
    text = report.conclusion(metrics, split="test", metric="mae", lower_is_better=True)
    assert text.endswith("Every model beats predicting the mean and the median.")


def test_a_reference_leads_no_other_metric():
    """mean_own uses the second data set's truth: a reference, not a model (review)."""
    metrics = {"ridge/cross/mae": 0.60, "ridge/cross/r2": -0.2, "ridge/cross/rmse": 0.8,
               "mean/cross/mae": 0.7, "mean/cross/r2": -0.5, "mean/cross/rmse": 0.9,
               "mean_own/cross/mae": 0.62, "mean_own/cross/r2": 0.0, "mean_own/cross/rmse": 0.7,
               "dgex/cross/mae": 0.65, "dgex/cross/r2": -0.1, "dgex/cross/rmse": 0.85}  # fmt: skip
    text = report.conclusion(metrics, split="cross", metric="mae", lower_is_better=True)
    assert "mean_own is" not in text and text.endswith("But by r2, dgex is best.")
    # the held-out study's conclusion said "Every model beats predicting the mean" (the
    # training means carried over) and nothing of the study's own means, which D-GEX,
    # E-GEX and TAAF did not beat (the README said so; the notebook did not)
    assert (
        "Not better than that data set's own means (mean_own, a reference that knows its "
        "truth): dgex." in text
    )
    metrics["dgex/cross/mae"] = 0.61
    text = report.conclusion(metrics, split="cross", metric="mae", lower_is_better=True)
    assert "Every model beats that data set's own means too (mean_own)." in text


def test_a_lead_over_the_mean_is_judged_fold_by_fold_and_a_mean_ranked_first_is_said():
    """A trial's conclusion said "lstm beats every classical model" beside "mean is best",
    and "every model beats predicting the mean" for a lead a fifth of the fold sd."""
    best_is_mean = {"mean/cv_mean/rmse": 0.067, "lstm/cv_mean/rmse": 0.068,
                    "ridge/cv_mean/rmse": 0.070}  # fmt: skip
    text = report.conclusion(best_is_mean, split="cv_mean", metric="rmse", lower_is_better=True)
    assert (
        "lstm ranks above every classical model (best: ridge), but below predicting the mean."
        in text
    )
    assert "beats every classical" not in text
    # a lead in the mean over folds judged fold by fold (paired), not by the sd over folds
    close = {"ridge/cv_mean/rmse": 0.64, "lstm/cv_mean/rmse": 1.188, "mean/cv_mean/rmse": 1.207,
             "lstm/cv_sd/rmse": 0.27, "lstm/cv_folds_ahead_of_mean/rmse": 2,
             "ridge/cv_folds_ahead_of_mean/rmse": 3, "lstm/cv_mean/n_folds": 3,
             "ridge/cv_mean/n_folds": 3, "mean/cv_mean/n_folds": 3}  # fmt: skip
    text = report.conclusion(close, split="cv_mean", metric="rmse", lower_is_better=True)
    assert text.endswith(
        "Every model beats predicting the mean. Ahead of predicting the mean in only some "
        "folds: lstm 2 of 3."
    )
    every_fold = {**close, "lstm/cv_folds_ahead_of_mean/rmse": 3}  # large sd, every fold won
    text = report.conclusion(every_fold, split="cv_mean", metric="rmse", lower_is_better=True)
    assert "only some" not in text
    loso = {"ridge/loso_mean/r2": 0.5, "lstm/loso_mean/r2": 0.2, "mean/loso_mean/r2": 0.1,
            "ridge/loso_a/r2": 0.5, "lstm/loso_a/r2": 0.5, "mean/loso_a/r2": 0.1,
            "ridge/loso_b/r2": 0.5, "lstm/loso_b/r2": -0.1, "mean/loso_b/r2": 0.1}  # fmt: skip
    assert report.conclusion(loso, split="loso_mean", metric="r2", lower_is_better=False).endswith(
        "Ahead of predicting the mean in only some left-out groups: lstm 1 of 2."
    )
    test_split = {k.replace("cv_mean", "test"): v for k, v in close.items()}
    assert "only some" not in report.conclusion(
        test_split, split="test", metric="rmse", lower_is_better=True
    )

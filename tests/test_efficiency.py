"""Notebook 02's data-efficiency curve (gexnb.pipelines.efficiency)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gexnb.data.promoters import load_promoters
from gexnb.data.synthetic import PROMOTER_MOTIFS
from gexnb.errors import ParameterError
from gexnb.pipelines import efficiency, promoter
from gexnb.pipelines.params import EfficiencyPlan

BIGRU = {"n_layers": 1, "units": 4, "dropout": 0.0, "epochs": 1, "batch_size": 64,
         "learning_rate": 0.01, "recalibrate_batchnorm": False}  # fmt: skip
TINY_CNN = {"dream_cnn": {"first_filters": 4, "core_sizes": [4], "epochs": 1, "batch_size": 64,
                          "extra_channels": 2},
            "kmer_ridge": {"k_max": 3}}  # fmt: skip


def test_plan_is_checked_and_sorted():
    plan = EfficiencyPlan.from_mapping({"fractions": [1, 0.25, 0.25], "seeds": 2})
    assert plan.fractions == (0.25, 1.0) and plan.seeds == 2
    assert plan.points(5) == [(0.25, 5), (0.25, 6), (1.0, 5), (1.0, 6)]
    assert EfficiencyPlan.from_mapping({}).fractions == ()
    assert EfficiencyPlan.from_mapping({"fractions": [0.5]}).seeds == 3  # one default, stated once
    for bad, message in [({"fraction": [0.5]}, "unknown data_efficiency key"),
                         ({"fractions": [0.0]}, r"in \(0, 1\]"), ({"fractions": [1.5]}, "in"),
                         ({"fractions": [0.5], "seeds": 0}, "at least 1"),
                         ({"fractions": [0.5], "seeds": 2.7}, "whole number of seeds"),
                         ({"fractions": "half"}, "list of fractions")]:  # fmt: skip
        with pytest.raises(ParameterError, match=message):
            EfficiencyPlan.from_mapping(bad)


def test_subsets_are_nested_sorted_and_seeded():
    rows = np.arange(100, 300)
    small, large = (efficiency.subsample(rows, f, seed=3) for f in (0.1, 0.5))
    assert len(small) == 20 and len(large) == 100
    assert set(small) <= set(large) and (np.diff(large) > 0).all()
    np.testing.assert_array_equal(small, efficiency.subsample(rows, 0.1, seed=3))
    assert not np.array_equal(small, efficiency.subsample(rows, 0.1, seed=4))
    assert len(efficiency.subsample(rows, 1e-6, seed=0)) == 2  # never fewer than 2 rows
    assert efficiency.split_name(0.1) == "efficiency_10pct"
    assert efficiency.split_name(0.025) == "efficiency_2.5pct"


def _summary(values):
    rows = []
    for model, scores in values.items():
        for (fraction, n), r in zip([(0.1, 10), (0.5, 50), (1.0, 100)], scores, strict=True):
            rows.append({"model": model, "fraction": fraction, "n_train": n, "pearson_mean": r})
    return pd.DataFrame(rows)


def test_crossover_sentences():
    scores = {"kmer_ridge": [0.5, 0.6, 0.7], "up": [0.2, 0.65, 0.8], "never": [0.1, 0.2, 0.3],
              "blip": [0.6, 0.5, 0.6]}  # fmt: skip
    text = efficiency.crossover(_summary(scores))
    assert text.startswith("Data efficiency (mean Pearson r, test): ")
    assert (
        "up beats kmer_ridge from 50 training sequences (50% of them) upward, 0.650 vs 0.600"
        in text
    )
    assert (
        "never never beats kmer_ridge at the sizes tried (0.300 vs 0.700 with 100 sequences)"
        in text
    )
    assert (
        "blip beats kmer_ridge from 10 training sequences (10% of them), but not at every" in text
    )
    assert efficiency.crossover(_summary({"up": [0.1, 0.2, 0.3]})) == ""  # no reference


def test_crossover_counts_the_seeds_ahead_and_undefined_runs():
    table = pd.DataFrame({
        "model": ["kmer_ridge"] * 3 + ["cnn"] * 3, "fraction": 1.0, "n_train": 100,
        "seed": [0, 1, 2] * 2, "pearson": [0.5, 0.5, 0.5, 0.9, 0.45, 0.6],
    })  # fmt: skip
    text = efficiency.crossover(efficiency.summarise(table), table)
    assert "cnn beats kmer_ridge from 100 training sequences (100% of them) upward, 0.650 vs " \
           "0.500 (ahead in 2 of 3 seeds)" in text  # fmt: skip
    # a run with constant predictions (no r) is not dropped: the mean is undefined, and said
    table.loc[3, "pearson"] = np.nan
    summary = efficiency.summarise(table)
    cnn = summary[summary["model"] == "cnn"].iloc[0]
    assert np.isnan(cnn["pearson_mean"]) and cnn["n_undefined"] == 1 and cnn["n_seeds"] == 3
    assert "cnn never beats kmer_ridge" in efficiency.crossover(summary, table)
    assert "1 run(s) with constant predictions (no r)" in efficiency.crossover(summary, table)
    one = efficiency.summarise(table[table["seed"] == 1])
    assert one["pearson_sd"].isna().all()  # one seed: no spread


@pytest.fixture(scope="module")
def promoters():
    return load_promoters("", n_synthetic=240, length=120, seed=2, fractions=(0.8, 0.1, 0.1))


def test_curve_retrains_every_model_and_reuses_the_full_models(promoters, tmp_path):
    data = promoter.normalize_targets(promoters)
    full = promoter.train_bigru(data, output_dir=tmp_path / "full", seed=0, verbose=0, **BIGRU)
    trained = {"metformin_bigru": full.trained,
               **promoter.train_models(data, ["dream_cnn"], output_dir=tmp_path / "full",
                                       model_params=TINY_CNN, progress=False),
               "kmer_ridge": promoter.fit_kmer(data, params=TINY_CNN["kmer_ridge"])}  # fmt: skip
    out = tmp_path / "run"
    curve = efficiency.curve(
        promoters, plan={"fractions": [0.5, 1.0], "seeds": 2}, bigru_params=BIGRU,
        models=["dream_cnn"], model_params=TINY_CNN, trained=trained, output_dir=out,
        seed=0, progress=False,
    )  # fmt: skip
    table = curve.table
    assert len(table) == 3 * 4 and curve.scored_on == "held-out split"  # the split's test
    n_train = len(data.train_idx)
    assert sorted(table["n_train"].unique()) == [int(np.ceil(n_train / 2)), n_train]
    reused = table[table["reused"]]
    assert set(reused["fraction"]) == {1.0} and set(reused["seed"]) == {0} and len(reused) == 3
    # the re-used rows are the notebook's own models scored on the held-out rows
    truth, codes = data.expression[data.test_idx], data.codes[data.test_idx]
    for name, model in trained.items():
        pred = data.denormalize(promoter.predict_model(model, codes))
        expected = np.corrcoef(truth, pred)[0, 1]
        row = reused[reused["model"] == name].iloc[0]
        assert row["pearson"] == pytest.approx(expected, rel=1e-6)
    # everything else was trained again: a seed-1 BiGRU on all rows is another network
    retrained = table[(table["fraction"] == 1.0) & (table["seed"] == 1)]
    bigru_rows = retrained[retrained["model"] == "metformin_bigru"]
    assert (
        bigru_rows["pearson"].iloc[0]
        != reused[reused["model"] == "metformin_bigru"]["pearson"].iloc[0]
    )
    # the table, the metrics and no leftover checkpoints
    on_disk = pd.read_csv(out / "data_efficiency.tsv", sep="\t")
    assert len(on_disk) == len(table)
    metrics = json.loads((out / "metrics.json").read_text())
    half = table[(table["fraction"] == 0.5) & (table["model"] == "dream_cnn")]["pearson"]
    assert metrics["dream_cnn/efficiency_50pct/pearson_mean"] == pytest.approx(half.mean())
    assert metrics["dream_cnn/efficiency_50pct/pearson_sd"] == pytest.approx(half.std(ddof=1))
    assert metrics["kmer_ridge/efficiency_100pct/n_train"] == n_train
    assert not (out / "data_efficiency").exists()
    assert "beats kmer_ridge" in curve.text or "never beats kmer_ridge" in curve.text


def test_no_fractions_trains_nothing(promoters, tmp_path):
    curve = efficiency.curve(promoters, plan={}, bigru_params=BIGRU, output_dir=tmp_path)
    assert curve.table.empty and curve.text == "" and not list(tmp_path.iterdir())


def test_workload_counts_the_curve(promoters):
    data = promoter.normalize_targets(promoters)
    text = promoter.workload(data, epochs=3, data_efficiency={"fractions": [0.25, 1.0], "seeds": 2})
    assert text.endswith("data-efficiency curve: 2 sizes x 2 seeds, 3 more trainings of every "
                         "model (about 1.5 x the training above)")  # fmt: skip
    assert "curve" not in promoter.workload(data, epochs=3, data_efficiency={})


def test_motif_discovery_can_be_turned_off(promoters, tmp_path):
    data = promoter.normalize_targets(promoters)
    result = promoter.find_motifs(None, data, output_dir=tmp_path, n_sequences=0)
    assert result.motifs == [] and "off" in result.note and not list(tmp_path.iterdir())
    with pytest.raises(ParameterError, match=">= 0"):
        promoter.find_motifs(None, data, output_dir=tmp_path, n_sequences=-1)


def test_a_planted_motif_counts_as_recovered_only_with_its_effects_sign(
    promoters, tmp_path, monkeypatch
):
    """The recovery count took any motif similar to a planted one: with every effect
    inverted, the repressor found raising the prediction and the activator lowering it
    still counted 3 of 3 (a reviewer's finding). Now the sign must be the planted one's."""
    from gexnb.explain import Motif, MotifResult, consensus_matrix

    data = promoter.normalize_targets(promoters)
    found: list = []

    def discover(model, codes, **options):
        return MotifResult(found, len(codes), options["method"])

    monkeypatch.setattr(promoter, "discover_motifs", discover)
    for signs, expected in (({"activator": 1, "repressor": -1, "tata": 1}, 3),
                            ({"activator": -1, "repressor": 1, "tata": 1}, 1)):  # fmt: skip
        found[:] = []
        for i, (name, sign) in enumerate(signs.items()):
            ppm = consensus_matrix(PROMOTER_MOTIFS[name][0])
            motif = Motif(f"m{i}", sign, ppm, ppm, ppm, 20)
            motif.best_match, motif.similarity = name, 1.0
            found.append(motif)
        promoter.find_motifs(None, data, output_dir=tmp_path, n_sequences=10)
        metrics = json.loads((tmp_path / "metrics.json").read_text())
        assert metrics["metformin_bigru/val/planted_motifs_recovered"] == expected


def test_motif_contributions_are_in_expression_units(promoters, tmp_path, monkeypatch):
    """The model explained predicts the normalised target: the logos were in its units
    (a z-score's sd units) beside the viewer's expression-scale changes (a new user's
    trial). They are now times the normalisation's slope."""
    from gexnb.explain import Motif, MotifResult, consensus_matrix

    ppm = consensus_matrix("TATAAA")

    def discover(model, codes, **options):
        return MotifResult([Motif("pos_0", 1, ppm, ppm.copy(), ppm.copy(), 20)], len(codes), "ism")

    monkeypatch.setattr(promoter, "discover_motifs", discover)
    for normalization in ("zscore", "half_median"):
        data = promoter.normalize_targets(promoters, target_normalization=normalization)
        slope = data.denormalize(np.array([1.0]))[0] - data.denormalize(np.array([0.0]))[0]
        result = promoter.find_motifs(None, data, output_dir=tmp_path, n_sequences=10)
        np.testing.assert_allclose(result.motifs[0].contributions, ppm * slope)
        np.testing.assert_allclose(result.motifs[0].hypothetical, ppm * slope)
        assert slope > 1.0  # the expression's sd, or twice its median: not a no-op


def test_motif_discovery_options_take_find_motifs_defaults(promoters):
    options = promoter.motif_options({"motif_file": "yeast.meme"})
    assert options == {"n_sequences": 1000, "motif_file": "yeast.meme", "method": "ism"}
    with pytest.raises(ParameterError, match="unknown motif_discovery option.*valid: n_sequences"):
        promoter.motif_options({"sequences": 10})
    data = promoter.normalize_targets(promoters)
    n_val = len(data.val_idx)
    assert f"motif discovery on {n_val} sequences" in promoter.workload(data, epochs=1)
    assert "motif" not in promoter.workload(data, epochs=1, motif_discovery={"n_sequences": 0})

"""Synthetic promoters and expression: shape, determinism, planted truth, non-linearity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from gexnb.data.sequences import encode_sequences
from gexnb.data.synthetic import (
    ADAPTER_3,
    ADAPTER_5,
    PROMOTER_MOTIFS,
    planted_positions,
    synthetic_expression,
    synthetic_promoters,
)
from gexnb.errors import ParameterError


@pytest.fixture(scope="module")
def promoters() -> pd.DataFrame:
    return synthetic_promoters(4000, seed=7)


def test_promoters_are_dream_shaped(promoters):
    seqs = promoters["sequence"]
    assert seqs.str.startswith(ADAPTER_5).all() and seqs.str.endswith(ADAPTER_3).all()
    lengths = seqs.str.len()
    assert (lengths == 110).mean() > 0.95
    assert lengths.min() >= 100 and lengths.max() <= 115 and lengths.nunique() > 1
    assert set("".join(seqs)) <= set("ACGT")
    assert promoters["expression"].dtype == np.float32
    assert promoters["expression"].between(0, 17).all()
    assert 6 < promoters["expression"].median() < 12
    assert promoters.columns.tolist() == [
        "sequence",
        "expression",
        *[f"{name}_pos" for name in PROMOTER_MOTIFS],
    ]
    assert set(promoters.attrs["motifs"]) == set(PROMOTER_MOTIFS)


def test_promoters_are_deterministic():
    a = synthetic_promoters(300, seed=3)
    b = synthetic_promoters(300, seed=3)
    c = synthetic_promoters(300, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert a["sequence"].tolist() != c["sequence"].tolist()


def test_planted_positions_match_the_strings(promoters):
    for name, (motif, _) in PROMOTER_MOTIFS.items():
        pos = promoters[f"{name}_pos"].to_numpy()
        present = pos >= 0
        assert 0.4 < present.mean() < 0.6
        assert all(
            seq[p : p + len(motif)] == motif
            for seq, p in zip(promoters["sequence"][present], pos[present], strict=True)
        )
        # inside the random core, never in the adapters
        assert (pos[present] >= len(ADAPTER_5)).all()
        lengths = promoters["sequence"].str.len().to_numpy()[present]
        assert (pos[present] + len(motif) <= lengths - len(ADAPTER_3)).all()


def test_planted_positions_in_encoded_coordinates(promoters):
    codes = encode_sequences(promoters["sequence"], length=142)
    positions = planted_positions(promoters, length=142)
    for name, (motif, _) in PROMOTER_MOTIFS.items():
        pos = positions[name]
        expected = encode_sequences([motif], length=len(motif))[0]
        rows = np.flatnonzero(pos >= 0)
        window = codes[rows[:, None], pos[rows][:, None] + np.arange(len(motif))]
        assert (window == expected).all()
        assert np.array_equal(pos < 0, promoters[f"{name}_pos"].to_numpy() < 0)


def test_planted_effects_explain_most_variance(promoters):
    features = []
    for name in PROMOTER_MOTIFS:
        pos = promoters[f"{name}_pos"].to_numpy()
        present = (pos >= 0).astype(float)
        features += [present, present * np.where(pos >= 0, pos, 0) / 110]
    act = promoters["activator_pos"].to_numpy() >= 0
    tata = promoters["tata_pos"].to_numpy() >= 0
    features.append((act & tata).astype(float))
    x = np.column_stack(features)
    y = promoters["expression"].to_numpy()
    r2 = LinearRegression().fit(x, y).score(x, y)
    assert r2 > 0.8
    # and the position dependence is real: presence alone explains clearly less
    r2_presence = LinearRegression().fit(x[:, ::2], y).score(x[:, ::2], y)
    assert r2 - r2_presence > 0.03


def test_promoter_parameters_are_checked():
    with pytest.raises(ParameterError):
        synthetic_promoters(0)
    with pytest.raises(ParameterError):
        synthetic_promoters(10, presence=1.5)


def test_expression_shape_names_and_determinism():
    df = synthetic_expression(200, 30, 40, seed=1)
    assert df.shape == (200, 70) and (df.dtypes == np.float32).all()
    assert df.columns[0] == "LM0001" and df.columns[30] == "TG00001"
    assert df.attrs["landmarks"] == df.columns[:30].tolist()
    assert df.attrs["targets"] == df.columns[30:].tolist()
    assert df.attrs["study"] == ["study1"] * 200
    pd.testing.assert_frame_equal(df, synthetic_expression(200, 30, 40, seed=1))
    assert not df.equals(synthetic_expression(200, 30, 40, seed=2))
    assert 2 < float(df.to_numpy().mean()) < 14


def test_default_shape_is_dgex_like():
    df = synthetic_expression(20, seed=0)
    assert len(df.attrs["landmarks"]) == 943 and len(df.attrs["targets"]) == 9520


def test_targets_are_non_linear_in_the_landmarks():
    n, n_train = 1500, 1200
    noisy = synthetic_expression(n, 60, 40, seed=5)
    truth = synthetic_expression(n, 60, 40, seed=5, noise=0.0)
    x = noisy[noisy.attrs["landmarks"]].to_numpy()
    y = noisy[noisy.attrs["targets"]].to_numpy()
    linear = LinearRegression().fit(x[:n_train], y[:n_train])
    linear_mse = float(((linear.predict(x[n_train:]) - y[n_train:]) ** 2).mean())
    # the noise-free truth is a non-linear function of the same factors
    truth_mse = float(
        ((truth[noisy.attrs["targets"]].to_numpy()[n_train:] - y[n_train:]) ** 2).mean()
    )
    variance = float(y[n_train:].var(axis=0).mean())
    assert linear_mse > 3 * truth_mse
    assert linear_mse > 0.5 * variance  # linear regression leaves most of the variance
    # but the landmarks do carry the factors: they are linear in them (low residual)
    lm_truth = truth[noisy.attrs["landmarks"]].to_numpy()
    assert float(((lm_truth - x) ** 2).mean()) < 0.2 * float(x.var(axis=0).mean())


def test_studies_add_batch_shifts():
    df = synthetic_expression(600, 20, 10, seed=2, n_studies=3, study_shift=1.0)
    labels = pd.Series(df.attrs["study"], index=df.index)
    assert set(labels) == {"study1", "study2", "study3"}
    means = df.groupby(labels).mean()
    # per-gene differences between study means are far larger than sampling error
    spread = float((means.max() - means.min()).mean())
    assert spread > 0.8
    single = synthetic_expression(600, 20, 10, seed=2)
    single_means = single.groupby(labels).mean()
    assert float((single_means.max() - single_means.min()).mean()) < spread / 2


def test_expression_parameters_are_checked():
    with pytest.raises(ParameterError):
        synthetic_expression(0)
    with pytest.raises(ParameterError):
        synthetic_expression(10, 5, 5, noise=-1)


def test_sizes_must_be_whole_numbers_in_range():
    # review C12: one sample gave NaN targets; 2.5 sequences gave 2
    with pytest.raises(ParameterError, match="n_samples must be an integer >= 2, got 1"):
        synthetic_expression(1, seed=0)
    with pytest.raises(ParameterError, match="n_factors must be a positive integer, got 2.5"):
        synthetic_expression(10, 5, 5, n_factors=2.5)
    with pytest.raises(ParameterError, match="seed must be a non-negative integer, got -1"):
        synthetic_expression(10, 5, 5, seed=-1)
    for bad in (2.5, -1, "3"):
        with pytest.raises(ParameterError, match="n must be a positive integer"):
            synthetic_promoters(bad)
    with pytest.raises(ParameterError, match="noise must be >= 0, got nan"):
        synthetic_promoters(3, noise=float("nan"))
    assert len(synthetic_expression(2, 3, 2, seed=0)) == 2
    assert not synthetic_expression(2, 3, 2, seed=0).isna().any().any()
    assert len(synthetic_promoters(3.0, seed=0)) == 3  # a whole float is a size


def test_promoter_loader_refuses_a_fractional_synthetic_size():
    from gexnb.data.promoters import load_promoters

    message = r"n_synthetic=10\.5 \(the notebooks' synthetic: \{n_sequences\}\): use a whole"
    with pytest.raises(ParameterError, match=message):
        load_promoters("", n_synthetic=10.5)
    assert len(load_promoters("", n_synthetic=12.0, length=120).codes) == 12


def test_synthetic_options_are_checked_and_completed_per_notebook():
    from pathlib import Path

    from gexnb import runner
    from gexnb.data.synthetic import synthetic_options
    from gexnb.pipelines import attention_lstm, data_prep, promoter
    from gexnb.pipelines import landmark as landmark_pipeline

    options = {
        "01_data_prep": data_prep.SYNTHETIC_OPTIONS,
        "02_bigru_training": promoter.SYNTHETIC_OPTIONS,
        "03_landmark_models": landmark_pipeline.SYNTHETIC_OPTIONS,
        "04_attention_lstm": attention_lstm.SYNTHETIC_OPTIONS,
    }
    project = Path(__file__).resolve().parent.parent
    for notebook, keys in options.items():
        declared = runner.notebook_parameters(project / "notebooks" / f"{notebook}.ipynb")
        default = declared["synthetic"].default
        # a key left out of a partial -p mapping takes the notebook's own value
        completed = synthetic_options({}, keys)
        assert {k: completed[k] for k in default} == default, notebook
        some = next(iter(default))
        partial = synthetic_options({some: 7}, keys)
        assert partial == {**completed, some: 7}, notebook
    with pytest.raises(ParameterError, match=r"unknown synthetic option\(s\) n_sample; valid: "
                       r"n_samples, n_genes"):  # fmt: skip
        synthetic_options({"n_sample": 5}, attention_lstm.SYNTHETIC_OPTIONS)
    with pytest.raises(ParameterError, match=r"unknown synthetic option\(s\) seed"):
        synthetic_options({"seed": 5}, landmark_pipeline.SYNTHETIC_OPTIONS)  # the notebook's seed
    # notebook 03 hands its mapping to the generator: a typo is gexnb's error, not a TypeError
    with pytest.raises(ParameterError, match="unknown synthetic option.*n_landmark;"):
        landmark_pipeline.load_landmark_data("", synthetic={"n_samples": 40, "n_landmark": 5})


def test_notebook_01_describes_notebook_03s_synthetic_data():
    """Notebook 01's synthetic expression was 300 x (50 + 200) of one study, notebook 03's
    600 x (60 + 120) of three: notebook 01 described data no notebook used (trial,
    2026-11-30)."""
    from gexnb.data.synthetic import synthetic_options
    from gexnb.pipelines import data_prep
    from gexnb.pipelines import landmark as landmark_pipeline

    ours = data_prep.load_expression("", seed=3)
    options = synthetic_options({}, landmark_pipeline.SYNTHETIC_OPTIONS)
    theirs = landmark_pipeline.load_landmark_data("", synthetic={**options, "seed": 3})
    assert ours.landmarks == list(theirs.X.columns) and ours.targets == list(theirs.Y.columns)
    np.testing.assert_allclose(
        ours.frame[ours.landmarks].to_numpy(), theirs.X.to_numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(ours.frame[ours.targets].to_numpy(), theirs.Y.to_numpy(), rtol=1e-6)
    small = data_prep.load_expression("", synthetic={"n_sequences": 5, "n_samples": 40}, seed=3)
    assert small.frame.shape == (40, 180) and "n_studies=3" in small.source
    with pytest.raises(ParameterError, match="unknown synthetic option.*n_sample;"):
        data_prep.load_expression("", synthetic={"n_sample": 40})

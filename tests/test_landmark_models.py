"""Tests of D-GEX, TAAF D-GEX and E-GEX (gexnb.models.landmark)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gexnb.errors import ParameterError
from gexnb.models import build
from gexnb.models.landmark import (
    EGEX,
    chunk_sizes,
    dgex_param_count,
    estimate_training_memory,
)
from gexnb.train import make_optimizer, train_egex


def test_demonstrator_parameter_counts():
    """The TAAF authors' model summaries: 664,408 (TAAF) and 659,752 (classical)."""
    taaf = build("taaf_dgex", n_landmarks=942, n_targets=952, hidden=(300, 300))
    assert taaf.count_params() == 664_408
    classical = build(
        "dgex",
        n_landmarks=942,
        n_targets=952,
        hidden=(300, 300),
        activation="sigmoid",
        dropout=0.25,
    )
    assert classical.count_params() == 659_752
    assert dgex_param_count(942, 952, (300, 300)) == 659_752


def test_paper_size_count_without_building():
    # 943*9000+9000 + 2*(9000*9000+9000) + 9000*9520+9520
    assert dgex_param_count(943, 9520, (9000, 9000, 9000)) == 256_203_520
    assert chunk_sizes(9520, 2) == [4760, 4760]
    assert chunk_sizes(7, 3) == [3, 2, 2]
    with pytest.raises(ParameterError, match="target_chunks"):
        chunk_sizes(3, 4)


@pytest.mark.parametrize("name", ["dgex", "taaf_dgex"])
def test_chunked_and_whole_same_shapes(name):
    whole = build(name, n_landmarks=12, n_targets=9, hidden=(8, 6), dropout=0.1)
    chunked = build(name, n_landmarks=12, n_targets=9, hidden=(8, 6), target_chunks=2)
    x = np.random.default_rng(0).normal(size=(5, 12)).astype("float32")
    assert whole.output_shape == chunked.output_shape == (None, 9)
    assert whole.predict(x, verbose=0).shape == chunked.predict(x, verbose=0).shape == (5, 9)
    if name == "dgex":
        assert chunked.count_params() == dgex_param_count(12, 9, (8, 6), target_chunks=2)


def test_chunks_are_independent_and_ordered():
    """Zeroing chunk 1's output layer changes only targets 5..8."""
    model = build("dgex", n_landmarks=4, n_targets=9, hidden=(3,), target_chunks=2)
    x = np.random.default_rng(3).normal(size=(2, 4)).astype("float32")
    before = model.predict(x, verbose=0)
    layer = model.get_layer("chunk1_outputs")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    after = model.predict(x, verbose=0)
    np.testing.assert_array_equal(before[:, :5], after[:, :5])
    np.testing.assert_array_equal(after[:, 5:], 0.0)


@pytest.mark.parametrize(
    "name,hp",
    [
        ("dgex", {"hidden": (5,), "target_chunks": 2}),
        ("taaf_dgex", {"hidden": (5, 4)}),
        ("egex", {"code_size": 3, "encoder_hidden": (5,), "mapper_hidden": (4,)}),
    ],
)
def test_keras_round_trip(tmp_path, name, hp):
    model = build(name, n_landmarks=6, n_targets=7, **hp)
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert loaded.count_params() == model.count_params()


def test_bad_hyperparameters():
    with pytest.raises(ParameterError, match="dropout"):
        build("dgex", n_landmarks=3, n_targets=2, hidden=(2,), dropout=1.5)
    with pytest.raises(ParameterError, match="activation"):
        build("dgex", n_landmarks=3, n_targets=2, hidden=(2,), activation="nope")
    with pytest.raises(ParameterError, match="n_landmarks must be an integer >= 1"):
        build("taaf_dgex", n_landmarks=0, n_targets=2)


def test_optimizer_step_decay():
    opt = make_optimizer("nadam", learning_rate=5e-4, decay_rate=0.5, decay_steps=10)
    schedule = opt.learning_rate if callable(opt.learning_rate) else opt._learning_rate
    assert float(schedule(9)) == pytest.approx(5e-4)
    assert float(schedule(10)) == pytest.approx(2.5e-4)
    assert float(schedule(25)) == pytest.approx(1.25e-4)
    sgd = make_optimizer("sgd", learning_rate=0.1, momentum=0.5)
    assert float(sgd.momentum) == 0.5
    with pytest.raises(ParameterError, match="decay"):
        make_optimizer("sgd", decay_rate=0.5)


def test_memory_estimate():
    est = estimate_training_memory(1000, batch_size=10, layer_widths=[5, 5], optimizer="adam")
    assert est["weights"] == 4000
    assert est["optimizer"] == 8000
    assert est["activations"] == 3 * 10 * 10 * 4
    assert est["total"] == 4000 + 4000 + 8000 + 1200


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_egex_phases_change_the_right_weights(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(6, 10))).astype("float32")
    model = build(
        "egex",
        n_landmarks=6,
        n_targets=10,
        code_size=3,
        encoder_hidden=(8,),
        mapper_hidden=(8,),
        dropout=0.0,
    )
    assert isinstance(model, EGEX)
    kw = {"batch_size": 16, "learning_rate": 1e-2, "loss": "mae", "verbose": 0, "seed": 0}

    snap = {k: _weights(getattr(model, k)) for k in ("encoder", "decoder", "mapper")}
    res = train_egex(
        model, (x, y), (x[:16], y[:16]), epochs=(2, 0, 0), output_dir=tmp_path / "p1", **kw
    )
    assert list(res.histories) == ["autoencoder"]
    assert len(res.histories["autoencoder"]["loss"]) == 2
    assert _changed(snap["encoder"], model.encoder) and _changed(snap["decoder"], model.decoder)
    assert not _changed(snap["mapper"], model.mapper)

    snap = {k: _weights(getattr(model, k)) for k in ("encoder", "decoder", "mapper")}
    codes = model.encoder.predict(y, verbose=0)
    res = train_egex(model, (x, y), epochs=(0, 2, 0), output_dir=tmp_path / "p2", **kw)
    assert _changed(snap["mapper"], model.mapper)
    assert not _changed(snap["encoder"], model.encoder)  # frozen: its codes are the labels
    assert not _changed(snap["decoder"], model.decoder)
    # phase 2 lowers the mapper's error on the encoder's codes
    assert res.histories["mapper"]["loss"][-1] < res.histories["mapper"]["loss"][0]
    mapped = model.mapper.predict(x, verbose=0)
    assert np.mean(np.abs(mapped - codes)) == pytest.approx(
        res.histories["mapper"]["loss"][-1], rel=0.5
    )

    snap = {k: _weights(getattr(model, k)) for k in ("encoder", "decoder", "mapper")}
    res = train_egex(model, (x, y), epochs=(0, 0, 2), output_dir=tmp_path / "p3", **kw)
    assert _changed(snap["mapper"], model.mapper) and _changed(snap["decoder"], model.decoder)
    assert not _changed(snap["encoder"], model.encoder)
    assert model.predict(x, verbose=0).shape == (64, 10)
    with pytest.raises(ParameterError, match="epochs"):
        train_egex(model, (x, y), epochs=(1, 1), output_dir=tmp_path / "p4")

"""Tests of the Metformin-121 BiGRU: parameter count, cuDNN conditions, one-hot, precision,
save/load in a fresh process, learning the planted synthetic signal."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb import train  # noqa: E402
from gexnb.data.sequences import ONE_HOT_TABLE, encode_sequences, normalize_target  # noqa: E402
from gexnb.data.synthetic import synthetic_promoters  # noqa: E402
from gexnb.errors import ParameterError  # noqa: E402
from gexnb.models import build  # noqa: E402
from gexnb.models.layers import ContextAttention  # noqa: E402
from gexnb.models.promoter import PAPER_PARAMETERS, OneHotCodes, cudnn_eligible  # noqa: E402


def _grus(model):
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer
            yield layer.backward_layer


def test_faithful_parameter_count_and_layers():
    model = build("metformin_bigru")
    assert model.count_params() == PAPER_PARAMETERS == 565_633
    assert model.inputs[0].dtype == "uint8" and tuple(model.inputs[0].shape) == (None, 142)
    assert len(list(_grus(model))) == 16
    assert sum(isinstance(x, ContextAttention) for x in model.layers) == 1
    assert model.get_layer("attention").count_params() == 16_640
    assert model.get_layer("leaky_relu").negative_slope == pytest.approx(0.3)
    assert model.get_layer("dropout").rate == pytest.approx(0.2)
    assert model.get_layer("output").activation.__name__ == "sigmoid"


def test_every_gru_is_cudnn_eligible():
    model = build("metformin_bigru", n_layers=3, units=8)
    grus = list(_grus(model))
    assert len(grus) == 6
    for gru in grus:
        assert gru.activation.__name__ == "tanh"
        assert gru.recurrent_activation.__name__ == "sigmoid"
        assert gru.recurrent_dropout == 0 and not gru.unroll and gru.use_bias and gru.reset_after
        assert cudnn_eligible(gru)
    bad = keras.layers.GRU(4, recurrent_dropout=0.1)
    assert not cudnn_eligible(bad)


def test_one_hot_inside_model_matches_table():
    codes = np.array([[0, 1, 2, 3, 4, 5]], dtype=np.uint8)
    out = keras.ops.convert_to_numpy(OneHotCodes()(codes))
    np.testing.assert_array_equal(out[0], ONE_HOT_TABLE)
    np.testing.assert_array_equal(out[0, 4], [1, 1, 1, 1])  # N
    np.testing.assert_array_equal(out[0, 5], [0, 0, 0, 0])  # padding


def test_mixed_precision_keeps_attention_and_output_float32():
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model = build("metformin_bigru", length=20, n_layers=1, units=4)
    finally:
        keras.mixed_precision.set_dtype_policy(previous)
    assert model.get_layer("bigru_1").compute_dtype == "float16"
    assert model.get_layer("attention").compute_dtype == "float32"
    assert model.get_layer("output").compute_dtype == "float32"
    out = model(np.zeros((2, 20), dtype=np.uint8))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


def test_attention_weights_are_a_distribution():
    model = build("metformin_bigru", length=30, n_layers=1, units=4)
    layer = model.get_layer("attention")
    hidden = keras.Model(model.inputs[0], layer.input)(np.zeros((3, 30), dtype=np.uint8))
    weights = keras.ops.convert_to_numpy(layer.attention_weights(hidden))
    assert weights.shape == (3, 30)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)


def test_bad_hyperparameters():
    with pytest.raises(ParameterError, match="n_layers"):
        build("metformin_bigru", n_layers=0)
    with pytest.raises(ParameterError, match="dropout"):
        build("metformin_bigru", dropout=1.5)


def test_save_load_in_fresh_process(tmp_path):
    model = build("metformin_bigru", length=40, n_layers=2, units=4)
    codes = np.random.default_rng(0).integers(0, 6, size=(16, 40)).astype(np.uint8)
    expected = train.predict(model, codes, batch_size=8)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "codes.npy", codes)
    script = textwrap.dedent(
        f"""
        import numpy as np
        from gexnb.train import load_model, predict
        model = load_model({str(tmp_path / "m.keras")!r})
        codes = np.load({str(tmp_path / "codes.npy")!r})
        np.save({str(tmp_path / "pred.npy")!r}, predict(model, codes, batch_size=8))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    np.testing.assert_allclose(np.load(tmp_path / "pred.npy"), expected, rtol=1e-6, atol=1e-7)


def test_small_model_learns_planted_motifs(tmp_path):
    frame = synthetic_promoters(1400, seed=0)
    codes = encode_sequences(frame["sequence"], length=142)
    y, _ = normalize_target(frame["expression"].to_numpy())
    result = train.fit(
        lambda: build("metformin_bigru", n_layers=1, units=16, dropout=0.0),
        (codes[:1000], y[:1000]),
        epochs=3, batch_size=32, learning_rate=1e-2, output_dir=tmp_path, seed=0, verbose=0,
    )  # fmt: skip
    pred = train.predict(result.model, codes[1000:])
    r = np.corrcoef(pred, y[1000:])[0, 1]
    assert r > 0.5, f"Pearson r {r:.3f} on held-out planted-motif data"

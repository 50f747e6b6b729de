"""Tests of the TAAF units (gexnb.models.taaf): arithmetic, config and .keras round trip."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gexnb.models.taaf import TAAFUnit, taaf_dense


def test_unit_weights_and_arithmetic():
    unit = TAAFUnit("top")
    x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
    unit.build(x.shape)
    assert [w.name for w in unit.weights] == ["alpha", "delta"]
    assert unit.count_params() == 6
    unit.set_weights([np.array([2.0, 3.0, -1.0]), np.array([0.5, 0.0, 1.0])])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(unit(x)), [[2.5, -6.0, -2.0]])
    bottom = TAAFUnit("bottom")
    bottom.build(x.shape)
    assert [w.name for w in bottom.weights] == ["beta", "gamma"]
    with pytest.raises(ValueError, match="bottom"):
        TAAFUnit("middle")


def test_taaf_dense_formula():
    """alpha * g(beta * (W x) + gamma) + delta, checked by hand in numpy."""
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, taaf_dense(inputs, 3, activation="sigmoid", name="L"))
    assert [layer.name for layer in model.layers[1:]] == [
        "L_Dense",
        "L_AdaptiveTAAF_Bottom",
        "L_Activation",
        "L_AdaptiveTAAF_Top",
    ]
    assert model.count_params() == 4 * 3 + 2 * 3 + 2 * 3
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype("float32")
    beta, gamma, alpha, delta = (rng.normal(size=3).astype("float32") for _ in range(4))
    model.get_layer("L_Dense").set_weights([w])
    model.get_layer("L_AdaptiveTAAF_Bottom").set_weights([beta, gamma])
    model.get_layer("L_AdaptiveTAAF_Top").set_weights([alpha, delta])
    x = rng.normal(size=(5, 4)).astype("float32")
    expected = alpha / (1 + np.exp(-(beta * (x @ w) + gamma))) + delta
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_untrained_taaf_equals_plain_activation():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, taaf_dense(inputs, 2, activation="tanh", name="L"))
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    (w,) = model.get_layer("L_Dense").get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), np.tanh(x @ w), rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_save(tmp_path):
    unit = TAAFUnit("top", scale_initializer="zeros", name="u")
    clone = TAAFUnit.from_config(unit.get_config())
    assert clone.position == "top"
    assert clone.name == "u"
    assert isinstance(clone.scale_initializer, keras.initializers.Zeros)
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, taaf_dense(inputs, 2, name="L"))
    model.get_layer("L_AdaptiveTAAF_Top").set_weights([np.array([2.0, -1.0]), np.array([1.0, 3.0])])
    path = tmp_path / "taaf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert isinstance(loaded.get_layer("L_AdaptiveTAAF_Top"), TAAFUnit)

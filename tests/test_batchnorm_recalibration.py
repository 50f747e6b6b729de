"""Tests of BatchNorm recalibration ("precise BN") in gexnb.train."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gexnb import train
from gexnb.errors import InputError


def _bn_model() -> keras.Model:
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, name="dense")(inputs)
    normalized = keras.layers.BatchNormalization(name="bn")(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, name="out")(normalized))


def test_moving_statistics_become_the_input_statistics():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(500, 3)) * 5 + 2).astype("float32")
    model = _bn_model()
    hidden = keras.ops.convert_to_numpy(model.get_layer("dense")(x))
    assert train.recalibrate_batchnorm(model, x, batch_size=64, max_samples=None) == 1
    bn = model.get_layer("bn")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(bn.moving_mean), hidden.mean(0), rtol=1e-4
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(bn.moving_variance), hidden.var(0), rtol=1e-4
    )
    # inference output is now the batch-normalized output over the same rows
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x, training=False)),
        keras.ops.convert_to_numpy(model(x, training=True)),
        rtol=1e-3,
        atol=1e-3,
    )


def test_max_samples_uses_leading_rows_and_models_without_bn_are_untouched():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 3)).astype("float32")
    x[:10] += 50.0
    model = _bn_model()
    train.recalibrate_batchnorm(model, x, max_samples=10)
    hidden = keras.ops.convert_to_numpy(model.get_layer("dense")(x[:10]))
    bn = model.get_layer("bn")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(bn.moving_mean), hidden.mean(0), rtol=1e-4
    )
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    assert train.recalibrate_batchnorm(plain, x) == 0
    with pytest.raises(InputError, match="at least one"):
        train.recalibrate_batchnorm(model, x[:0])


def test_callback_recalibrates_before_validation(tmp_path):
    """Short training: without the callback the moving variance is still near its start."""
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(256, 3)) * 0.01).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    callback = train.BatchNormRecalibration(x, batch_size=128)
    result = train.fit(
        _bn_model,
        (x, y),
        (x[:64], y[:64]),
        epochs=1,
        batch_size=128,
        output_dir=tmp_path,
        distribution="none",
        seed=0,
        verbose=0,
        callbacks=[callback],
    )
    bn = result.model.get_layer("bn")
    hidden = keras.ops.convert_to_numpy(result.model.get_layer("dense")(x))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(bn.moving_variance), hidden.var(0), rtol=1e-3
    )
    assert float(np.max(hidden.var(0))) < 0.1  # while the untouched start value is 1.0

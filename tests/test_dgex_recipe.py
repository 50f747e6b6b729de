"""The D-GEX training recipe: per-layer learning rates, decay on a rising training MAE."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb.errors import ParameterError  # noqa: E402
from gexnb.models import build  # noqa: E402
from gexnb.train import (  # noqa: E402
    DecayOnRise,
    ScaledSGD,
    dgex_recipe,
    fit,
    load_model,
    make_optimizer,
)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def test_scaled_sgd_scales_the_step_of_matching_variables():
    a = keras.Variable(np.zeros(2, "float32"), name="kernel")
    b = keras.Variable(np.zeros(2, "float32"), name="bias")
    opt = ScaledSGD({"kernel": 3.0}, learning_rate=0.1, momentum=0.0)
    opt.apply([np.ones(2, "float32"), np.ones(2, "float32")], [a, b])
    np.testing.assert_allclose(_np(a), [-0.3, -0.3], rtol=1e-6)
    np.testing.assert_allclose(_np(b), [-0.1, -0.1], rtol=1e-6)
    assert ScaledSGD.from_config(opt.get_config()).lr_scales == {"kernel": 3.0}
    with pytest.raises(ParameterError, match="lr_scales needs optimizer 'sgd'"):
        make_optimizer("adam", lr_scales={"kernel": 3.0})


def test_decay_on_rise_lowers_the_rate_only_when_the_training_mae_rises():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    x = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    y = np.zeros((50, 1), "float32")
    callback = DecayOnRise(x, y, factor=0.9, min_learning_rate=0.44)
    callback.set_model(model)
    logs: dict = {}
    callback.on_epoch_end(0, logs)  # first epoch: nothing to compare with
    assert logs["learning_rate"] == pytest.approx(0.5)
    model.set_weights([w * 0 + 1.0 for w in model.get_weights()])  # predictions get worse
    callback.on_epoch_end(1, logs)
    assert float(_np(model.optimizer.learning_rate)) == pytest.approx(0.45)
    model.set_weights([w * 0 + 2.0 for w in model.get_weights()])
    callback.on_epoch_end(2, logs)
    assert float(_np(model.optimizer.learning_rate)) == pytest.approx(0.44)  # the floor
    model.set_weights([w * 0 for w in model.get_weights()])  # better: unchanged
    callback.on_epoch_end(3, logs)
    assert float(_np(model.optimizer.learning_rate)) == pytest.approx(0.44)


def test_dgex_recipe_trains_saves_and_resumes(tmp_path):
    cfg = dgex_recipe(3, epochs=2)
    assert (cfg.learning_rate, cfg.momentum, cfg.batch_size, cfg.loss) == (
        3e-4,
        0.5,
        200,
        "summed_squared_error",
    )
    assert dgex_recipe(1).learning_rate == 5e-4
    with pytest.raises(ParameterError, match="1, 2 or 3 hidden layers"):
        dgex_recipe(4)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(6, 4))).astype("float32")
    model = build("dgex", n_landmarks=6, n_targets=4, hidden=(8, 8, 8), target_chunks=2)
    result = fit(model, (x, y), 0.2, output_dir=tmp_path, config=cfg, verbose=0, seed=0)
    assert len(result.history["monitor_mae"]) == 2 and "learning_rate" in result.history
    optimizer = result.model.optimizer
    assert isinstance(optimizer, ScaledSGD)
    scaled = {v.path for v in result.model.trainable_variables if optimizer.scale_of(v.path) == 3}
    assert scaled == {
        f"chunk{c}_{layer}/kernel" for c in (0, 1) for layer in ("H1", "H2", "outputs")
    }
    last = load_model(tmp_path / "last.keras")  # the optimizer is saved and loads back
    assert isinstance(last.optimizer, ScaledSGD)
    resumed = fit(model, (x, y), 0.2, output_dir=tmp_path, config=cfg.replace(epochs=3),
                  resume=True, verbose=0)  # fmt: skip
    assert len(resumed.history["loss"]) == 3


def test_the_recipe_sums_the_squared_error_over_the_outputs_as_pylearn2(tmp_path):
    """Keras's "mse" averages over the outputs: with the recipe's plain SGD every gradient was
    1/n_outputs of the authors' (1/4,760 per chunk), and D-GEX barely trained (a science
    review; pylearn2's Linear cost sums over the outputs and averages over the batch)."""
    import subprocess
    import sys

    import keras

    from gexnb.train.losses import summed_squared_error

    y_true = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], "float32")
    y_pred = np.array([[1.0, 1.0, 0.0], [1.0, 3.0, 1.0]], "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(summed_squared_error(y_true, y_pred)),
                               [5.0, 4.0])  # fmt: skip
    assert dgex_recipe(1).loss == "summed_squared_error"
    model = build("dgex", n_landmarks=3, n_targets=2, hidden=[4])
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    fit(model, (x, x[:, :2]), config=dgex_recipe(1, epochs=1), verbose=0, output_dir=tmp_path)
    script = "import sys, keras, gexnb.models\nkeras.saving.load_model(sys.argv[1])\n"
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "last.keras")],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]

"""Every Keras model of the zoo saves to ``.keras`` and loads in a fresh process with plain
``keras.saving.load_model`` after ``import gexnb.models`` (all custom classes registered)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb.models import build  # noqa: E402

#: Small instances of every Keras model in the zoo, with an input of the right kind.
ZOO = {
    "metformin_bigru": ({"length": 12, "n_layers": 1, "units": 4}, ("uint8", (3, 12))),
    "dgex": ({"n_landmarks": 5, "n_targets": 7, "hidden": (6,)}, ("float32", (3, 5))),
    "ridge_dgex": ({"n_landmarks": 5, "n_targets": 7, "hidden": (6,)}, ("float32", (3, 5))),
    "taaf_dgex": ({"n_landmarks": 5, "n_targets": 7, "hidden": (6,)}, ("float32", (3, 5))),
    "egex": (
        {
            "n_landmarks": 5,
            "n_targets": 7,
            "code_size": 3,
            "encoder_hidden": (4,),
            "mapper_hidden": (4,),
        },
        ("float32", (3, 5)),
    ),  # fmt: skip
    "dnn": ({"n_genes": 6, "hidden": (4,)}, ("float32", (3, 6))),
    "lstm": ({"n_genes": 6, "units": 4}, ("float32", (3, 6))),
    "gru": ({"n_genes": 6, "units": 4}, ("float32", (3, 6))),
    "attention_lstm": ({"n_genes": 6, "units": 4, "embedding_dim": 2}, ("float32", (3, 6))),
    "attention_gru": ({"n_genes": 6, "units": 4}, ("float32", (3, 6))),
    "legnet": ({"length": 12, "block_sizes": (8, 8, 4), "kernel_size": 3}, ("uint8", (3, 12))),
    "dream_cnn": (
        {"length": 12, "first_filters": 8, "core_sizes": (4,), "kernel_size": 3},
        ("uint8", (3, 12)),
    ),
}

_LOAD = """
import sys
from pathlib import Path
import keras, numpy as np
import gexnb.models  # registers every gexnb class
for name in sys.argv[2:]:
    folder = Path(sys.argv[1]) / name
    model = keras.saving.load_model(folder / "m.keras")
    y = np.asarray(model.predict(np.load(folder / "x.npy"), verbose=0), dtype="float32")
    np.save(folder / "y.npy", y)
"""


def test_zoo_covers_every_keras_model():
    from gexnb.models import available, get_factory

    keras_models = [n for n in available() if "baselines" not in get_factory(n).__module__]
    assert sorted(n for n in keras_models if n != "kmer_ridge") == sorted(ZOO)


def test_saved_models_load_in_a_fresh_process(tmp_path):
    expected = {}
    rng = np.random.default_rng(0)
    for name, (hparams, (dtype, shape)) in ZOO.items():
        model = build(name, **hparams)
        x = rng.integers(0, 4, size=shape) if dtype == "uint8" else rng.normal(size=shape)
        x = x.astype(dtype)
        (tmp_path / name).mkdir()
        model.save(tmp_path / name / "m.keras")
        np.save(tmp_path / name / "x.npy", x)
        expected[name] = np.asarray(model.predict(x, verbose=0), dtype="float32")
    script = tmp_path / "load.py"
    script.write_text(_LOAD)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path), *ZOO],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    for name, want in expected.items():
        got = np.load(tmp_path / name / "y.npy")
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_checkpoints_with_gexnbs_optimizers_load_after_import_gexnb_models(tmp_path):
    """A best.keras of the D-GEX recipe (ScaledSGD) or of Prix Fixe (OneCycle) failed to load
    after `import gexnb.models` ("Could not locate class 'ScaledSGD'"; found by a docs audit)."""
    from gexnb.train import make_optimizer

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    optimizers = {
        "scaled_sgd": make_optimizer("sgd", learning_rate=0.01, lr_scales={"*": 2.0}),
        "one_cycle": make_optimizer("adamw", schedule="one_cycle", total_steps=10),
    }
    for name, optimizer in optimizers.items():
        model = build("dgex", n_landmarks=3, n_targets=2, hidden=(4,))
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, epochs=1, verbose=0)
        model.save(tmp_path / f"{name}.keras")
    script = "import sys, keras, gexnb.models\n" + "".join(
        f"keras.saving.load_model(sys.argv[1] + '/{name}.keras')\n" for name in optimizers
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

"""Tests of gexnb.train: fit, checkpoints, resume, history files, clear errors, predict."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from gexnb import train  # noqa: E402
from gexnb.errors import InputError, ParameterError  # noqa: E402
from gexnb.models import build  # noqa: E402

LENGTH = 24


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random codes; the target is the share of A (code 3) in the sequence: learnable."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, LENGTH), dtype=np.uint8)
    y = (codes == 3).mean(axis=1).astype("float32")
    return codes, y


def _tiny() -> keras.Model:
    return build("metformin_bigru", length=LENGTH, n_layers=1, units=8, dropout=0.0)


def test_fit_writes_checkpoints_and_history(tmp_path):
    x, y = _data(256)
    # BatchNorm statistics recomputed before each validation: 18 steps are far too few for
    # the moving averages, and whether validation looked trained was the seed's luck.
    recalibrate = train.BatchNormRecalibration(x[:192], batch_size=64)
    result = train.fit(
        _tiny, (x, y), validation=0.25, epochs=3, batch_size=32, learning_rate=1e-2,
        output_dir=tmp_path, seed=1, verbose=0, callbacks=[recalibrate],
    )  # fmt: skip
    assert set(result.history) >= {"loss", "val_loss"}
    assert len(result.history["loss"]) == 3
    assert result.best_epoch == int(np.argmin(result.history["val_loss"])) + 1
    for name in ("best.keras", "last.keras", "last.json", "history.json", "history.csv"):
        assert (tmp_path / name).is_file(), name
    assert json.loads((tmp_path / "last.json").read_text())["epoch"] == 3
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["val_loss"] == pytest.approx(result.history["val_loss"])
    csv = (tmp_path / "history.csv").read_text().splitlines()
    assert csv[0].startswith("epoch,") and len(csv) == 4
    # The returned model holds the best-epoch weights.
    best = train.load_model(tmp_path / "best.keras")
    np.testing.assert_allclose(
        train.predict(result.model, x[:50]), train.predict(best, x[:50]), rtol=1e-5, atol=1e-6
    )
    # Training reduced the validation loss below the loss of predicting the mean.
    yv = y[192:]
    mse_mean = float(np.mean((yv - y[:192].mean()) ** 2))
    assert min(result.history["val_loss"]) < mse_mean


def test_resume_continues_from_next_epoch(tmp_path):
    x, y = _data(128, seed=2)
    steps = 128 // 32
    first = train.fit(
        _tiny,
        (x, y),
        validation=(x[:32], y[:32]),
        epochs=1,
        batch_size=32,
        output_dir=tmp_path,
        seed=3,
        verbose=0,
    )  # fmt: skip  (the "killed" run: stopped after epoch 1)
    assert int(first.model.optimizer.iterations.numpy()) == steps
    resumed = train.fit(
        _tiny, (x, y), validation=(x[:32], y[:32]), epochs=2, batch_size=32,
        output_dir=tmp_path, seed=3, verbose=0, resume=True,
    )  # fmt: skip
    assert len(resumed.history["loss"]) == 2
    assert resumed.history["loss"][0] == pytest.approx(first.history["loss"][0])
    assert json.loads((tmp_path / "last.json").read_text())["epoch"] == 2
    last = train.load_model(tmp_path / "last.keras")
    # The optimizer state travelled with the checkpoint: two epochs of steps in total.
    assert int(last.optimizer.iterations.numpy()) == 2 * steps
    # Resuming a finished run trains nothing more.
    again = train.fit(
        _tiny, (x, y), validation=(x[:32], y[:32]), epochs=2, batch_size=32,
        output_dir=tmp_path, verbose=0, resume=True,
    )  # fmt: skip
    assert len(again.history["loss"]) == 2


def test_fresh_run_clears_old_checkpoints(tmp_path):
    (tmp_path / "last.json").write_text('{"epoch": 7}')
    x, y = _data(64)
    result = train.fit(_tiny(), (x, y), epochs=1, batch_size=32, output_dir=tmp_path, verbose=0)
    assert json.loads((tmp_path / "last.json").read_text())["epoch"] == 1
    assert list(result.history) == ["loss"] and result.best_epoch == 1


def test_early_stopping_and_optimizers(tmp_path):
    """With a learning rate of 0 nothing improves: training stops after patience + 1 epochs.
    The model has no BatchNorm, whose moving statistics would still change the loss."""
    x, y = _data(64)
    x = x.astype("float32")

    def dense() -> keras.Model:
        return keras.Sequential([keras.Input((LENGTH,)), keras.layers.Dense(1)])

    result = train.fit(
        dense, (x, y), validation=(x, np.zeros_like(y) + 5.0), epochs=20, batch_size=64,
        learning_rate=0.0, optimizer="sgd", output_dir=tmp_path, early_stopping=1, verbose=0,
    )  # fmt: skip
    assert len(result.history["loss"]) == 2
    with pytest.raises(ParameterError, match="optimizer"):
        train.fit(_tiny, (x, y), epochs=1, batch_size=8, optimizer="bogus", output_dir=tmp_path)


def test_clear_errors(tmp_path):
    x, y = _data(40)
    with pytest.raises(InputError, match="empty"):
        train.fit(_tiny, (x, y), validation=(x[:0], y[:0]), epochs=1, batch_size=8,
                  output_dir=tmp_path)  # fmt: skip
    with pytest.raises(InputError, match="empty"):
        train.fit(_tiny, (x, y), validation=0.001, epochs=1, batch_size=8, output_dir=tmp_path)
    long_x = np.zeros((40, LENGTH + 3), dtype=np.uint8)
    with pytest.raises(InputError, match="longer than the model length"):
        train.fit(_tiny, (long_x, y), epochs=1, batch_size=8, output_dir=tmp_path)
    with pytest.raises(InputError, match="39"):
        train.fit(_tiny, (x, y[:39]), epochs=1, batch_size=8, output_dir=tmp_path)
    bad_y = y.copy()
    bad_y[5] = np.nan
    with pytest.raises(InputError, match="row 5"):
        train.fit(_tiny, (x, bad_y), epochs=1, batch_size=8, output_dir=tmp_path)
    with pytest.raises(ParameterError, match="precision"):
        train.fit(_tiny, (x, y), epochs=1, batch_size=8, output_dir=tmp_path, precision="fp8")
    with pytest.raises(ParameterError, match="distribution"):
        train.fit(_tiny, (x, y), epochs=1, batch_size=8, output_dir=tmp_path, distribution="x")
    with pytest.raises(InputError, match="longer than the model length"):
        train.predict(_tiny(), long_x)


def test_load_model_rejects_foreign_files(tmp_path):
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match="junk.keras"):
        train.load_model(junk)
    with pytest.raises(InputError, match="not found"):
        train.load_model(tmp_path / "missing.keras")
    inputs = keras.Input(shape=(3,))
    plain = keras.Model(inputs, keras.layers.Dense(1)(inputs), name="someone_elses")
    plain.save(tmp_path / "plain.keras")
    with pytest.raises(InputError, match="not a gexnb model"):
        train.load_model(tmp_path / "plain.keras")


def test_precision_resolution(monkeypatch):
    from gexnb.train import distribute

    monkeypatch.setattr(distribute, "_gpus", lambda: ["GPU:0"])
    assert train.resolve_precision("auto") == "mixed_float16"
    monkeypatch.setattr(distribute, "_gpus", lambda: [])
    assert train.resolve_precision("auto") == "float32"
    assert train.resolve_precision("mixed_bfloat16") == "mixed_bfloat16"
    with pytest.raises(ParameterError, match="precision must be one of"):
        train.resolve_precision("float64")


def test_predict_streams_chunks():
    model = _tiny()
    x, _ = _data(70)
    whole = train.predict(model, x, batch_size=16)
    assert whole.shape == (70,) and whole.dtype == np.float32
    chunked = train.predict(model, (x[i : i + 25] for i in range(0, 70, 25)), batch_size=16)
    np.testing.assert_allclose(whole, chunked, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(whole, model.predict(x, verbose=0)[:, 0], rtol=1e-4, atol=1e-5)


class _Recorder(keras.callbacks.Callback):
    """Keeps each epoch's weights, and whether a checkpoint was on disk before that epoch's."""

    def __init__(self, folder, diverge_after: int) -> None:
        super().__init__()
        self.folder = folder
        self.diverge_after = diverge_after
        self.weights: list[list[np.ndarray]] = []
        self.on_disk: list[bool] = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([np.array(w) for w in self.model.get_weights()])
        self.on_disk.append((self.folder / "last.json").exists())
        if epoch + 1 == self.diverge_after:  # later epochs worse (best != last), still finite
            self.model.optimizer.learning_rate.assign(0.2)


def _linear_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=(256, 4)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]


def _linear() -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])


@pytest.mark.parametrize("checkpoint_seconds", [0.0, 3600.0])
def test_checkpoint_seconds_keeps_the_best_weights(tmp_path, checkpoint_seconds):
    x, y = _linear_data()
    recorder = _Recorder(tmp_path, diverge_after=3)
    result = train.fit(
        _linear, (x, y), (x[:64], y[:64]), epochs=6, batch_size=64, learning_rate=0.01,
        optimizer="sgd", output_dir=tmp_path, seed=0, verbose=0, callbacks=[recorder],
        checkpoint_seconds=checkpoint_seconds,
    )  # fmt: skip
    losses = result.history["val_loss"]
    assert len(losses) == 6 and result.best_epoch < 6  # the test needs best != last
    assert np.isfinite(result.history["loss"]).all()  # worse, not diverged (last.json kept)
    best_weights = recorder.weights[result.best_epoch - 1]
    for got, want in zip(result.model.get_weights(), best_weights, strict=True):
        np.testing.assert_array_equal(got, want)
    state = json.loads((tmp_path / "last.json").read_text())
    assert state["epoch"] == 6 and state["best"] == pytest.approx(min(losses))
    assert len(json.loads((tmp_path / "history.json").read_text())["loss"]) == 6
    # every epoch: a checkpoint exists from the second epoch on; an hour apart: none mid-run
    assert recorder.on_disk == ([False] + [True] * 5 if checkpoint_seconds == 0 else [False] * 6)


def test_cudnn_report_says_which_recurrent_layers_are_fused(monkeypatch):
    from gexnb.train import cudnn
    from gexnb.train.cudnn import cudnn_report

    bigru = build("metformin_bigru", length=LENGTH, n_layers=2, units=4)
    inputs = keras.Input((5, 3))
    lstm = keras.Model(inputs, keras.layers.LSTM(4, recurrent_dropout=0.1)(inputs))
    monkeypatch.setattr(cudnn, "_gpu_available", lambda: True)
    report = cudnn_report(bigru)
    assert list(report["kind"]) == ["GRU", "GRU"] and report["bidirectional"].all()
    expected = keras.backend.backend() in ("tensorflow", "torch")
    assert report["fused"].tolist() == [expected, expected]
    slow = cudnn_report(lstm).iloc[0]
    assert not slow["fused"] and "recurrent_dropout > 0" in slow["why_not"]
    monkeypatch.setattr(cudnn.keras.backend, "backend", lambda: "jax")
    assert "no fused GRU kernel" in cudnn_report(bigru).iloc[0]["why_not"]
    monkeypatch.setattr(cudnn, "_gpu_available", lambda: False)
    assert "no GPU" in cudnn_report(lstm).iloc[0]["why_not"]


def test_auto_verbosity_is_one_line_per_epoch_under_gexnb_run(monkeypatch):
    from gexnb.rundir import MANAGED_ENV
    from gexnb.train.fit import _verbose

    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # as inside a Jupyter kernel
    monkeypatch.delenv(MANAGED_ENV, raising=False)
    assert _verbose("auto") == 1  # JupyterLab: a live progress bar
    monkeypatch.setenv(MANAGED_ENV, "/runs/quick/02")
    assert _verbose("auto") == 2  # papermill via gexnb run: no redrawn bars saved
    assert _verbose(0) == 0


def test_fit_names_what_it_was_given_wrongly(tmp_path):
    """Bare Keras/NumPy/optree errors before (found by an API fault sweep)."""
    model = build("dgex", n_landmarks=3, n_targets=2, hidden=[4])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)).astype("float32"), rng.normal(size=(20, 2)).astype("float32")
    kw = {"epochs": 1, "verbose": 0, "output_dir": tmp_path}
    result = train.fit(model, (x, y), np.float32(0.25), **kw)  # a NumPy fraction: IndexError
    assert len(result.history["val_loss"]) == 1
    with pytest.raises(ParameterError, match=r"validation fraction must be in \(0, 1\), got 1"):
        train.fit(model, (x, y), 1, **kw)
    with pytest.raises(InputError, match="validation must be an .x, y. pair .* got ndarray"):
        train.fit(model, (x, y), x, **kw)
    with pytest.raises(InputError, match="train must be .* got ndarray: the targets are missing"):
        train.fit(model, x, **kw)
    with pytest.raises(InputError, match="train must be an .x, y. pair .* got dict"):
        train.fit(model, {"x": x, "y": y}, **kw)
    with pytest.raises(InputError, match="train: x has dtype object; the model takes numbers"):
        train.fit(model, (x.astype(object), y), **kw)
    with pytest.raises(InputError, match="train: x has dtype <U"):
        train.fit(model, (x.astype(str), y), **kw)
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(b="text")
    with pytest.raises(InputError, match="train: x column 'b' is not numeric"):
        train.fit(model, (frame, y), **kw)
    with pytest.raises(ParameterError, match="seed must be a whole number"):
        train.fit(model, (x, y), seed=-1, **kw)
    repeated = pd.DataFrame(x, columns=["a", "b", "a"])  # before collapse_duplicates: trains
    assert len(train.fit(model, (repeated, y), **kw).history["loss"]) == 1
    kw2 = {**kw, "epochs": 2.0}  # a whole float (YAML, JSON) is a number of epochs
    assert len(train.fit(model, (x, y), **kw2).history["loss"]) == 2


def test_fit_warns_of_targets_a_sigmoid_cannot_reach_and_of_empty_sequences(tmp_path):
    """Raw expression up to 900 trained a sigmoid-output BiGRU (loss 444,634), and rows of
    all padding trained, without a word (a re-run of the API fault sweep)."""
    from gexnb.data.sequences import PAD_CODE

    model = build("metformin_bigru", length=8, n_layers=1, units=2)
    codes = np.random.default_rng(0).integers(0, 4, size=(16, 8)).astype(np.uint8)
    kw = {"epochs": 1, "verbose": 0, "output_dir": tmp_path}
    with pytest.warns(UserWarning, match=r"100% of the targets lie outside 0\.\.1"):
        train.fit(model, (codes, np.linspace(10, 900, 16)), **kw)
    codes[:2] = PAD_CODE
    with pytest.warns(UserWarning, match="2 of 16 sequences are all padding"):
        train.fit(model, (codes, np.full(16, 0.5)), **kw)

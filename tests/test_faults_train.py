"""Fault tests of gexnb.train.fit's checkpoints and resume.

Each test failed on gexnb before the issue "Trustworthy results" (see docs/reliability.md):
a crash at any moment, a damaged or incomplete checkpoint folder, or a different model must
never make a resumed run train an epoch twice, lose files or silently start over.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb import train  # noqa: E402
from gexnb.errors import InputError  # noqa: E402
from gexnb.train import callbacks  # noqa: E402

N, BATCH = 128, 32
STEPS = N // BATCH


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 4)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]


def _linear() -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)], name="linear")


def _wider() -> keras.Model:
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1)], name="wider"
    )


def _fit(folder: Path, epochs: int, *, resume: bool = False, model=_linear, **kw):
    x, y = _data()
    return train.fit(
        model, (x, y), (x[:32], y[:32]), epochs=epochs, batch_size=BATCH, learning_rate=0.01,
        optimizer="sgd", output_dir=folder, seed=0, verbose=0, resume=resume, **kw,
    )  # fmt: skip


def _steps(path: Path) -> int:
    model = keras.saving.load_model(path)
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


def _committed(folder: Path) -> int:
    state = train.checkpoint_state(folder / "last.keras")
    assert state is not None
    return int(state["epoch"])


class _Crash(Exception):
    pass


def test_other_architecture_is_refused_naming_both(tmp_path):
    _fit(tmp_path, 2)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    with pytest.raises(InputError, match=r"last\.keras: holds a Sequential 'linear' with 5 par"):
        _fit(tmp_path, 4, resume=True, model=_wider)
    with pytest.raises(InputError, match=r"given to fit is a Sequential 'wider' with 19 par"):
        _fit(tmp_path, 4, resume=True, model=_wider())
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert len(_fit(tmp_path, 3, resume=True).history["loss"]) == 3  # same model: resumes


def test_crash_between_checkpoint_and_record_trains_no_epoch_twice(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = callbacks.write_json_atomic

    def crash_on_third(path, data):
        if Path(path).name == "last.json":
            calls["n"] += 1
            if calls["n"] == 3:
                raise _Crash("killed after last.keras, before last.json")
        return real(path, data)

    monkeypatch.setattr(callbacks, "write_json_atomic", crash_on_third)
    with pytest.raises(_Crash):
        _fit(tmp_path, 5)
    # last.json still says 2 epochs; last.keras holds 3, and says so itself.
    assert json.loads((tmp_path / "last.json").read_text())["epoch"] == 2
    assert _committed(tmp_path) == 3 and _steps(tmp_path / "last.keras") == 3 * STEPS
    monkeypatch.setattr(callbacks, "write_json_atomic", real)
    result = _fit(tmp_path, 5, resume=True)
    assert len(result.history["loss"]) == 5
    assert _steps(tmp_path / "last.keras") == 5 * STEPS  # not 6: no epoch trained twice
    assert json.loads((tmp_path / "history.json").read_text())["loss"] == result.history["loss"]


def test_crash_between_last_and_best_recovers_the_best(tmp_path, monkeypatch):
    real = callbacks._save_best
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise _Crash("killed after last.keras, before best.keras")
        return real(*args, **kwargs)

    monkeypatch.setattr(callbacks, "_save_best", crash_on_second)
    with pytest.raises(_Crash):
        _fit(tmp_path, 4)
    assert train.checkpoint_state(tmp_path / "best.keras")["epoch"] == 1
    assert train.checkpoint_state(tmp_path / "last.keras")["best_epoch"] == 2
    monkeypatch.setattr(callbacks, "_save_best", real)
    result = _fit(tmp_path, 2, resume=True)  # nothing left to train: the best is restored
    best = keras.saving.load_model(tmp_path / "best.keras")
    last = keras.saving.load_model(tmp_path / "last.keras")
    assert train.checkpoint_state(tmp_path / "best.keras")["epoch"] == 2
    for a, b, c in zip(
        best.get_weights(), last.get_weights(), result.model.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_missing_checkpoint_with_record_is_refused_and_nothing_deleted(tmp_path):
    _fit(tmp_path, 2)
    (tmp_path / "last.keras").unlink()
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert {"best.keras", "history.json", "history.csv"} <= set(kept)
    with pytest.raises(InputError, match=r"last\.json: records 2 epochs but last\.keras is miss"):
        _fit(tmp_path, 4, resume=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == kept


def test_damaged_files_are_named(tmp_path):
    _fit(tmp_path, 1)
    (tmp_path / "last.keras").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match=r"last\.keras: not a readable checkpoint"):
        _fit(tmp_path, 2, resume=True)
    (tmp_path / "last.keras").unlink()
    (tmp_path / "last.json").write_text('{"epoch": 1, "mon')
    with pytest.raises(InputError, match=r"last\.json: damaged checkpoint record"):
        _fit(tmp_path, 2, resume=True)


def test_checkpoint_of_an_earlier_gexnb_resumes_and_damage_is_named(tmp_path):
    """last.keras without its own state (gexnb before this change) + last.json/history.json."""
    x, y = _data()
    model = _linear()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    model.save(tmp_path / "last.keras")
    (tmp_path / "last.json").write_text('{"epoch": 1, "monitor": "val_loss", "best": 9.0}')
    (tmp_path / "history.json").write_text('{"loss": [1.0], "val_loss": [9.0]')  # truncated
    with pytest.raises(InputError, match=r"history\.json: damaged checkpoint record"):
        _fit(tmp_path, 2, resume=True)
    (tmp_path / "history.json").write_text('{"loss": [1.0], "val_loss": [9.0]}')
    result = _fit(tmp_path, 2, resume=True)
    assert result.history["loss"][0] == 1.0 and len(result.history["loss"]) == 2
    assert _steps(tmp_path / "last.keras") == 2 * STEPS
    (tmp_path / "last.json").unlink()
    model.save(tmp_path / "last.keras")
    with pytest.raises(InputError, match=r"last\.keras: has no training state"):
        _fit(tmp_path, 3, resume=True)


def test_a_checkpoint_with_an_earlier_optimizer_resumes_with_a_warning(tmp_path):
    """A one-cycle AdamW checkpoint of a gexnb before beta_1 cycled resumed silently with
    its fixed-beta_1 optimizer: the run mixed two (the review of 2026-12-02)."""
    from gexnb.train.optimizers import OneCycle

    x, y = _data()
    model = _linear()
    schedule = OneCycle(0.01, 3 * STEPS)
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.01), loss="mse")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    model.save(tmp_path / "last.keras")
    (tmp_path / "last.json").write_text('{"epoch": 1, "monitor": "val_loss", "best": 9.0}')
    (tmp_path / "history.json").write_text('{"loss": [1.0], "val_loss": [9.0]}')

    def one_cycle(folder: Path, epochs: int, resume: bool) -> None:
        train.fit(_linear, (x, y), (x[:32], y[:32]), epochs=epochs, batch_size=BATCH,
                  learning_rate=0.01, optimizer="adamw", weight_decay=0.01,
                  schedule="one_cycle", output_dir=folder, seed=0, verbose=0,
                  resume=resume)  # fmt: skip

    with pytest.warns(UserWarning, match=r"optimizer AdamW, where these settings now build "
                      r"OneCycleAdamW"):  # fmt: skip
        one_cycle(tmp_path, 3, True)
    with warnings.catch_warnings():  # a checkpoint of this gexnb: nothing to say
        warnings.simplefilter("error", UserWarning)
        one_cycle(tmp_path / "new", 1, False)
        one_cycle(tmp_path / "new", 2, True)


def test_fewer_epochs_than_done_says_so(tmp_path):
    _fit(tmp_path, 3)
    with pytest.warns(UserWarning, match=r"already trained 3 epochs, more than epochs=2"):
        result = _fit(tmp_path, 2, resume=True)
    assert len(result.history["loss"]) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _fit(tmp_path, 3, resume=True)  # a finished run resumed: nothing to say


def test_leftover_temporary_files_are_removed(tmp_path):
    _fit(tmp_path, 1)
    leftovers = [".last.keras.4242-0123456789ab.tmp.keras", ".best.keras.17-abcdefabcdef.tmp"]
    for name in leftovers:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / ".notes.txt").write_text("mine")  # not ours: kept
    _fit(tmp_path, 2, resume=True)
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & set(leftovers) and ".notes.txt" in names
    for name in leftovers:
        (tmp_path / name).write_bytes(b"")
    _fit(tmp_path, 1)  # a fresh run cleans them too
    assert not {p.name for p in tmp_path.iterdir()} & set(leftovers)


def test_restoring_the_best_keeps_the_optimizer_state(tmp_path):
    class Diverge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.optimizer.learning_rate.assign(5.0)  # later epochs get worse

    result = _fit(tmp_path, 5, callbacks=[Diverge()])
    assert result.best_epoch < 5
    net = result.model
    assert int(keras.ops.convert_to_numpy(net.optimizer.iterations)) == 5 * STEPS
    last = keras.saving.load_model(tmp_path / "last.keras")
    for a, b in zip(net.optimizer.variables, last.optimizer.variables, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    best = keras.saving.load_model(tmp_path / "best.keras", compile=False)
    for a, b in zip(net.get_weights(), best.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


_KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    import keras, numpy as np
    from gexnb import train

    class Slow(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.01)

    rng = np.random.default_rng(0)
    x = rng.normal(size=({n}, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]
    model = lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)], name="linear")
    print("started", flush=True)
    train.fit(model, (x, y), (x[:32], y[:32]), epochs={epochs}, batch_size={batch},
              learning_rate=0.01, optimizer="sgd", output_dir=sys.argv[1], seed=0, verbose=0,
              resume=True, callbacks=[Slow()])
    """
)


def test_kill_9_at_random_moments_then_resume(tmp_path):
    """SIGKILL a training process 4 times at random moments; each resume is exact."""
    epochs = 40
    script = tmp_path / "run.py"
    script.write_text(_KILLED_RUN.format(n=N, epochs=epochs, batch=BATCH))
    folder = tmp_path / "out"
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
    rng = np.random.default_rng(1)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert proc.stdout.readline().strip() == b"started"
        time.sleep(float(rng.uniform(0.5, 2.5)))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if (folder / "last.keras").exists():
            done = _committed(folder)
            assert _steps(folder / "last.keras") == done * STEPS
            history = train.checkpoint_state(folder / "last.keras")["history"]
            assert len(history["loss"]) == done
    assert kills >= 2
    result = subprocess.run(
        [sys.executable, str(script), str(folder)], capture_output=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert _committed(folder) == epochs and _steps(folder / "last.keras") == epochs * STEPS
    assert len(json.loads((folder / "history.json").read_text())["loss"]) == epochs
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]


# second fault sweep (2026-11-30): bad values reach fit as one-line errors, not raw ones


def test_non_finite_targets_and_inputs_are_named_with_row_and_column(tmp_path):
    x, y = _data()
    three = np.repeat(y, 3, axis=1)
    three[5, 2] = np.nan  # was an IndexError: ~ bound tighter than .any()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(InputError, match="train: target is NaN or infinite at row 5, column 2"):
        train.fit(model, (x, three), (x[:8], np.ones((8, 3))), output_dir=tmp_path, verbose=0)
    bad_x = x.copy()
    bad_x[7, 0] = np.inf  # was trained on, then a raw ValueError and a NaN last.keras
    with pytest.raises(InputError, match="train: input is NaN or infinite at row 7, column 0"):
        train.fit(_linear(), (bad_x, y), (x[:8], y[:8]), output_dir=tmp_path, verbose=0)
    with pytest.raises(InputError, match="y has 1 target.s. per row, the model predicts 3"):
        train.fit(model, (x, y), (x[:8], y[:8]), output_dir=tmp_path, verbose=0)
    assert not list(tmp_path.iterdir())


def test_a_loss_that_turns_nan_stops_with_an_error_and_no_resumable_checkpoint(tmp_path):
    x, y = _data()
    with pytest.raises(
        InputError,
        match=r"loss became NaN or infinite in epoch 1, before any finite val_loss; lower ",
    ):
        train.fit(_linear(), (x * 1e18, y * 1e18), (x[:8], y[:8]), output_dir=tmp_path,
                  optimizer="sgd", learning_rate=1e10, epochs=3, verbose=0)  # fmt: skip
    assert not (tmp_path / "last.keras").exists() and not (tmp_path / "last.json").exists()


def test_a_loss_that_turns_nan_after_finite_epochs_keeps_best_and_drops_last(tmp_path):
    """A run that diverged in epoch 2 kept last.keras with the diverged weights: a resume
    started from them (left alone in an earlier session, fixed now)."""
    x, y = _data()

    class Diverge(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

    kept = r"best epoch's weights are kept \(best\.keras\), the diverged last"
    with pytest.warns(UserWarning, match=r"NaN or infinite in epoch 2 and training stopped; the "
                      + kept):  # fmt: skip
        result = train.fit(_linear(), (x, y), (x[:8], y[:8]), output_dir=tmp_path, epochs=4,
                           optimizer="sgd", learning_rate=0.01, verbose=0,
                           checkpoint_seconds=0.0, callbacks=[Diverge()])  # fmt: skip
    assert result.best_epoch == 1 and np.isfinite(result.model.predict(x[:4], verbose=0)).all()
    assert (tmp_path / "best.keras").exists()
    assert not (tmp_path / "last.keras").exists() and not (tmp_path / "last.json").exists()


def test_resume_refuses_other_settings_or_data_and_allows_more_epochs(tmp_path):
    # a resumed run used to continue the old checkpoint with another seed, data set and
    # learning rate, mixing both runs' epochs in one history (fault sweep, 2026-11-30)
    _fit(tmp_path, 2)
    with pytest.raises(InputError, match=r"last\.keras: was trained with other settings or data:"
                       r" learning_rate 0\.01 -> 0\.05; seed 0 -> 1\. resume only"):  # fmt: skip
        x, y = _data()
        train.fit(_linear, (x, y), (x[:32], y[:32]), epochs=3, batch_size=BATCH, learning_rate=0.05,
                  optimizer="sgd", output_dir=tmp_path, seed=1, verbose=0, resume=True)  # fmt: skip
    x, y = _data()
    with pytest.raises(InputError, match=r"other train data \(96 rows, was 128\)"):
        train.fit(_linear, (x[:96], y[:96]), (x[:32], y[:32]), epochs=3, batch_size=BATCH,
                  learning_rate=0.01, optimizer="sgd", output_dir=tmp_path, seed=0, verbose=0,
                  resume=True)  # fmt: skip
    y_other = y.copy()
    y_other[0] += 1
    with pytest.raises(InputError, match=r"other train data \(same 128 rows\)"):
        train.fit(_linear, (x, y_other), (x[:32], y[:32]), epochs=3, batch_size=BATCH,
                  learning_rate=0.01, optimizer="sgd", output_dir=tmp_path, seed=0, verbose=0,
                  resume=True)  # fmt: skip
    assert _committed(tmp_path) == 2  # nothing trained, nothing deleted
    result = _fit(tmp_path, 3, resume=True, checkpoint_seconds=0.0)  # more epochs: allowed
    assert len(result.history["loss"]) == 3 and _committed(tmp_path) == 3


def test_resume_check_reads_earlier_records_and_compares_values(tmp_path, monkeypatch):
    # review: a record whose settings are values (not JSON text) was refused as all-changed
    new = callbacks.training_setup(train.TrainingConfig(learning_rate=1, seed=None), None, None)
    saved = {"settings": {"batch_size": 32, "learning_rate": 1.0, "loss": "mse", "seed": 3,
                          "a_later_field": 1}, "train": None, "validation": None}  # fmt: skip
    monkeypatch.setattr(callbacks, "checkpoint_state", lambda path: {"setup": saved})
    callbacks._check_same_setup(tmp_path / "last.keras", new)  # 1 == 1.0, seed None, no raise
    saved["validation"] = {"rows": 8, "digest": "x"}
    with pytest.raises(InputError, match="validation data left out"):
        callbacks._check_same_setup(tmp_path / "last.keras", new)

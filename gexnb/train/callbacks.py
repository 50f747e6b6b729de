"""Training callbacks: BatchNorm recalibration, and the checkpoints that make resume exact.

The checkpoint files of a :func:`gexnb.train.fit` output folder are named here:
``best.keras`` (best monitored loss), ``last.keras`` (full state, with its own epoch count
and history inside the archive: one atomic checkpoint), ``last.json`` (a readable copy of
that state), ``history.json`` and ``history.csv``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gexnb.errors import InputError, ParameterError
from gexnb.io import (
    BEST_NAME,
    CHECKPOINT_FILES,
    HISTORY_CSV,
    HISTORY_JSON,
    LAST_NAME,
    LAST_STATE_NAME,
    atomic_path,
    is_temporary_name,
    write_json_atomic,
    write_text_atomic,
)
from gexnb.models.saving import _load
from gexnb.train.config import PREDICT_BATCH_SIZE
from gexnb.train.inputs import _architecture, _describe, with_reverse_complements

#: Entry of a checkpoint's ``.keras`` zip archive holding the training state saved with it.
STATE_ENTRY = "gexnb_checkpoint.json"


def _batchnorm_moments(values: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, int]:
    moved = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    return flat.sum(axis=0), np.square(flat).sum(axis=0), len(flat)


def recalibrate_batchnorm(
    model: Any, x: Any, *, batch_size: int = PREDICT_BATCH_SIZE, max_samples: int | None = 20_000
) -> int:
    """Set the moving statistics of every BatchNormalization layer to those of ``x``.

    "Precise BatchNorm" (Wu and Johnson, *Rethinking "Batch" in BatchNorm*, arXiv:2105.07576,
    2021): the moving mean and variance that a BatchNormalization layer uses at inference
    are an exponential average (momentum 0.99 in Keras) that needs several hundred training
    steps to forget its initial values (mean 0, variance 1). After a short run (the real
    profile of notebook 02 trains 45 steps per epoch) they are far from the statistics of
    the layer's inputs, which compresses or shifts every prediction (in the DREAM 2022
    BiGRU: validation R^2 0.02 at Pearson 0.50; 0.27 after recalibration). This replaces
    them by the population mean and (biased) variance of the layer inputs over ``x``, layer
    after layer in model order, with the weights unchanged. The team's full-scale run
    (2,930 steps per epoch) is essentially unaffected.

    Parameters
    ----------
    model
        A functional ``keras.Model``; its top-level BatchNormalization layers are updated.
    x
        Model inputs (for example training rows), an array or a list of arrays.
    batch_size
        Rows per forward pass.
    max_samples
        Use at most this many leading rows of ``x`` (None: all).

    Returns
    -------
    int
        The number of BatchNormalization layers updated.
    """
    return _recalibrate(_batchnorm_probes(model), x, batch_size, max_samples)


def _batchnorm_probes(model: Any) -> list[tuple[Any, Any]]:
    """``(layer, sub-model from the inputs to the layer's input)`` per top-level BatchNorm."""
    model_inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return [
        (layer, keras.Model(model_inputs, layer.input))
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def _recalibrate(
    probes: list[tuple[Any, Any]], x: Any, batch_size: int, max_samples: int | None
) -> int:
    if not probes:
        return 0
    inputs = x if isinstance(x, (list, tuple)) else [x]
    n_rows = len(inputs[0]) if max_samples is None else min(len(inputs[0]), int(max_samples))
    if n_rows < 1:
        raise InputError("recalibrate_batchnorm needs at least one input row")
    step = max(1, int(batch_size))
    chunk = 16 * step  # compiled predict over chunks bounds the memory of the hidden states
    for layer, hidden_model in probes:  # in model order: later inputs see earlier updates
        total = squares = np.zeros(())  # float64 sums over the chunks
        count = 0
        for start in range(0, n_rows, chunk):
            batch = [np.asarray(a[start : min(start + chunk, n_rows)]) for a in inputs]
            hidden = hidden_model.predict(
                batch[0] if len(batch) == 1 else batch, batch_size=step, verbose=0
            )
            part_sum, part_squares, part_count = _batchnorm_moments(hidden, layer.axis)
            total, squares, count = total + part_sum, squares + part_squares, count + part_count
        mean = total / count
        variance = np.maximum(squares / count - np.square(mean), 0.0)
        layer.moving_mean.assign(mean.astype(layer.moving_mean.dtype))
        layer.moving_variance.assign(variance.astype(layer.moving_variance.dtype))
    return len(probes)


class BatchNormRecalibration(keras.callbacks.Callback):
    """Recalibrate BatchNorm statistics on training rows before every validation pass.

    Runs :func:`recalibrate_batchnorm` in ``on_test_begin``, so that the validation loss
    (and the best-epoch choice and checkpoints that follow it) use the statistics of the
    inputs, not a moving average still close to its initial values: "precise BatchNorm"
    (Wu and Johnson [1]_).

    Parameters
    ----------
    x
        Training inputs (only the first ``max_samples`` rows are used).
    batch_size, max_samples
        As in :func:`recalibrate_batchnorm`.

    References
    ----------
    .. [1] Y. Wu and J. Johnson, *Rethinking "Batch" in BatchNorm*, arXiv:2105.07576 (2021).
    """

    def __init__(
        self, x: Any, *, batch_size: int = PREDICT_BATCH_SIZE, max_samples: int = 20_000
    ) -> None:
        super().__init__()
        self.x = x
        self.batch_size = int(batch_size)
        self.max_samples = int(max_samples)
        self._probes: list[tuple[Any, Any]] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._probes = _batchnorm_probes(self.model)  # built once: predict compiles once

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._probes is None:
            self._probes = _batchnorm_probes(self.model)
        _recalibrate(self._probes, self.x, self.batch_size, self.max_samples)


class _Checkpoints(keras.callbacks.Callback):
    """Atomic best-so-far and full-state checkpoints plus the history as JSON and CSV.

    With ``every_seconds`` 0 both are written after every epoch. Otherwise they are written
    when at least ``every_seconds`` have passed since the last write, and at the end of
    training; in between, the weights of a new best epoch are kept in memory.
    """

    def __init__(
        self,
        output_dir: Path,
        monitor: str,
        history: dict[str, list[float]],
        best: float,
        write: bool,
        every_seconds: float = 0.0,
        best_epoch: int | None = None,
        setup: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.setup = setup
        self.output_dir = output_dir
        self.monitor = monitor
        self.history = history
        self.best = best
        self.write = write
        self.every_seconds = float(every_seconds)
        self._last_write = time.monotonic()
        self.best_epoch = best_epoch
        self._best_weights: list[np.ndarray] | None = None
        self._unsaved_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        value = logs.get(self.monitor)
        improved = value is not None and bool(np.isfinite(value)) and value < self.best
        if improved and value is not None:
            self.best = float(value)
            self.best_epoch = epoch + 1
        self._unsaved_epoch = epoch
        if self.every_seconds > 0:
            if improved:
                self._best_weights = [np.array(w) for w in self.model.get_weights()]
            if time.monotonic() - self._last_write < self.every_seconds:
                return
        self._save(epoch, improved)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._unsaved_epoch is not None:
            self._save(self._unsaved_epoch, improved=False)

    def _save(self, epoch: int, improved: bool) -> None:
        self._unsaved_epoch = None
        self._last_write = time.monotonic()
        best_weights, self._best_weights = self._best_weights, None
        save_best = improved or best_weights is not None
        if not self.write:
            # Non-chief workers of a multi-worker run take part in the collective reads of
            # ``save`` too (TensorFlow's multi-worker checkpoint rule), into a scratch folder.
            with tempfile.TemporaryDirectory() as scratch:
                for _ in range(2 if save_best else 1):
                    self.model.save(Path(scratch) / LAST_NAME)
            return
        state = {"epoch": epoch + 1, "monitor": self.monitor, "best": self.best}
        state["best_epoch"] = self.best_epoch
        if self.setup is not None:
            state["setup"] = self.setup
        # last.keras carries its own training state and history (one atomic file), so a
        # crash between two writes can never pair a model with another epoch's record. It
        # is written before best.keras: after a crash in between, resume recovers the best
        # weights from last.keras when the last epoch was the best (see _resume_state).
        _save_checkpoint(
            self.model, self.output_dir / LAST_NAME, {**state, "history": self.history}
        )
        if best_weights is not None:
            current = self.model.get_weights()
            self.model.set_weights(best_weights)
            _save_best(self.model, self.output_dir, self.best_epoch, self.best, self.monitor)
            self.model.set_weights(current)
        elif improved:
            _save_best(self.model, self.output_dir, self.best_epoch, self.best, self.monitor)
        write_json_atomic(self.output_dir / LAST_STATE_NAME, state)  # for people to read
        _write_history(self.output_dir, self.history)


def _save_checkpoint(model: Any, path: Path, state: dict[str, Any]) -> None:
    """Save ``model`` (with its optimizer) and ``state`` into one ``.keras`` file, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(STATE_ENTRY, json.dumps(state))


def _save_best(model: Any, out: Path, epoch: int | None, value: float, monitor: str) -> None:
    _save_checkpoint(model, out / BEST_NAME, {"epoch": epoch, "best": value, "monitor": monitor})


def checkpoint_state(path: str | os.PathLike) -> dict[str, Any] | None:
    """The training state saved inside a checkpoint written by :func:`fit`.

    Parameters
    ----------
    path
        ``best.keras`` or ``last.keras`` of a :func:`fit` output folder.

    Returns
    -------
    dict or None
        ``epoch`` (epochs completed when it was written), ``monitor``, ``best`` (best
        monitored value so far), ``best_epoch`` and, for ``last.keras``, ``history``; None
        for a ``.keras`` file without a gexnb training state (e.g. saved by hand).

    Raises
    ------
    InputError
        The file is not a readable ``.keras`` archive or its state is damaged.
    """
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as archive:
            if STATE_ENTRY not in archive.namelist():
                return None
            state = json.loads(archive.read(STATE_ENTRY).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise InputError(f"not a readable checkpoint ({exc})", path=str(p)) from exc
    if not isinstance(state, dict) or not isinstance(state.get("epoch"), int):
        raise InputError("checkpoint state has no epoch count", path=str(p))
    return state


def _write_history(output_dir: Path, history: dict[str, list[float]]) -> None:
    write_json_atomic(output_dir / HISTORY_JSON, history)
    keys = list(history)
    n = max((len(v) for v in history.values()), default=0)
    lines = [",".join(["epoch", *keys])]
    for i in range(n):
        row = [str(i + 1)] + [repr(history[k][i]) if i < len(history[k]) else "" for k in keys]
        lines.append(",".join(row))
    write_text_atomic(output_dir / HISTORY_CSV, "\n".join(lines) + "\n")


def _remove_temporary_files(out: Path) -> None:
    """Remove temporary checkpoint files left by a killed run (see :func:`gexnb.io.atomic_path`)."""
    for path in out.iterdir():
        if is_temporary_name(path.name) and any(
            path.name.startswith(f".{name}.") for name in CHECKPOINT_FILES
        ):
            path.unlink(missing_ok=True)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"damaged checkpoint record ({exc}); move the folder away, or resume=False to "
            "start over",
            path=str(path),
        ) from exc


def _resume_state(
    out: Path, monitor: str | None = None
) -> tuple[int, dict[str, list[float]], float, int | None] | None:
    """Epochs done, history, best value and best epoch of the checkpoint in ``out``.

    None when ``out`` holds no checkpoint at all. Refuses (InputError, nothing deleted) when
    the checkpoint is incomplete, so that a resume never silently starts over, or when it
    chose its best epoch by another quantity than ``monitor`` (its best value would be
    compared with another measure's: a review).
    """
    last, record = out / LAST_NAME, out / LAST_STATE_NAME
    if not last.exists():
        if record.exists():
            state = _read_json(record)
            done = state.get("epoch", "?") if isinstance(state, dict) else "?"
            raise InputError(
                f"records {done} epochs but {LAST_NAME} is missing: refusing to resume "
                "(nothing was deleted); restore the file, or resume=False to start over",
                path=str(record),
            )
        return None
    state = checkpoint_state(last)
    if state is not None:
        history = state.get("history") or {}
    else:  # written by gexnb before checkpoints carried their state
        if not record.exists():
            raise InputError(
                f"has no training state and {LAST_STATE_NAME} is missing: cannot tell how "
                "many epochs it holds; resume=False to start over",
                path=str(last),
            )
        state = _read_json(record)
        history = _read_json(out / HISTORY_JSON) if (out / HISTORY_JSON).exists() else {}
    if not isinstance(state, dict) or not isinstance(state.get("epoch"), int):
        raise InputError("checkpoint record has no epoch count", path=str(record))
    done = int(state["epoch"])
    history = {str(k): [float(v) for v in list(vals)[:done]] for k, vals in history.items()}
    kept_by = state.get("monitor")
    if monitor is not None and kept_by is not None and kept_by != monitor:
        raise InputError(
            f"chose its best epoch by {kept_by}, this run by {monitor} (TrainingConfig."
            "monitor): resume with the same monitor, or start over (resume=False)",
            path=str(last),
        )
    best = float("inf") if state.get("best") is None else float(state["best"])
    best_epoch = state.get("best_epoch")
    best_path = out / BEST_NAME
    best_state = checkpoint_state(best_path) if best_path.exists() else None
    on_disk = best_state["epoch"] if best_state is not None else None
    legacy_best = best_path.exists() and best_state is None
    if best_epoch is not None and not legacy_best and on_disk != best_epoch:
        if best_epoch == done:  # killed between last.keras and best.keras: same weights
            _save_best(_load(last, compile=False), out, best_epoch, best, str(state["monitor"]))
        elif best_state is not None:  # the newer best weights were lost: go on from the
            best, best_epoch = float(best_state["best"]), on_disk  # best that is on disk
        else:
            best, best_epoch = float("inf"), None
    return done, history, best, best_epoch


#: The :class:`~gexnb.train.TrainingConfig` fields a resumed run may change: how long and
#: where it trains and what it prints, not what it learns from.
RESUMABLE_CHANGES = ("epochs", "verbose", "checkpoint_seconds", "early_stopping",
                     "distribution", "precision")  # fmt: skip


def _fingerprint(data: Any) -> dict[str, Any] | None:
    """Rows and a BLAKE2 digest of an ``(x, y)`` pair of arrays (``x`` may be ``(codes,
    flags)``); None for a Keras dataset, which cannot be read without consuming it."""
    if not isinstance(data, (tuple, list)):
        return None
    x, y = data
    digest = hashlib.blake2b(digest_size=16)
    for array in (*(x if isinstance(x, tuple) else (x,)), y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]  # a buffer
    return {"rows": len(y), "digest": digest.hexdigest()}


def _plain(value: Any) -> str:
    """A setting as JSON text (so that NaN equals NaN and a tuple its list); an object (a
    Keras loss or optimizer instance) by its class name; what JSON cannot hold by its repr."""
    if not isinstance(value, (str, int, float, bool, type(None), list, tuple, dict)):
        return type(value).__name__
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def training_setup(config: Any, train: Any, validation: Any) -> dict[str, Any]:
    """What a resumed run must share with the checkpoint it continues: the training settings
    but :data:`RESUMABLE_CHANGES`, and the training and validation data (rows and digest).

    Parameters
    ----------
    config
        The run's :class:`~gexnb.train.TrainingConfig`.
    train, validation
        The ``(x, y)`` arrays (``x`` may be ``(codes, flags)``); a Keras dataset, or no
        validation (None), is recorded as None.

    Returns
    -------
    dict
        ``settings`` (name -> JSON text, or class name for an object), ``train`` and
        ``validation`` (``{"rows", "digest"}`` or None).
    """
    settings = {}
    for name, value in dataclasses.asdict(config).items():
        if name not in RESUMABLE_CHANGES:
            settings[name] = _plain(value)
    return {"settings": settings, "train": _fingerprint(train),
            "validation": _fingerprint(validation)}  # fmt: skip


def _setting(value: Any) -> Any:
    """A recorded setting as a value: JSON text read back (``"32"`` -> 32), anything else
    (a class name, a value recorded before settings were kept as text) as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _check_same_setup(path: Path, setup: dict[str, Any]) -> None:
    """Refuse to resume ``path`` (``last.keras``) with other settings or data than it was
    trained with; a checkpoint written before setups were recorded is not checked."""
    saved = (checkpoint_state(path) or {}).get("setup")
    if not isinstance(saved, dict):
        return
    changes = []
    old, new = saved.get("settings") or {}, setup["settings"]
    for name in sorted(set(old) & set(new)):  # a setting one version lacks is not compared
        before, now = _setting(old[name]), _setting(new[name])
        if name == "seed" and now is None:  # no seed given: the checkpoint's goes on
            continue
        if not (before == now or before != before and now != now):  # NaN equals NaN here
            changes.append(f"{name} {old[name]} -> {new[name]}")
    for part in ("train", "validation"):
        before, now = saved.get(part), setup[part]
        if part == "validation" and (before is None) != (now is None):
            changes.append("validation data " + ("given" if before is None else "left out"))
        elif before is not None and now is not None and before != now:
            rows = f"{now['rows']} rows, was {before['rows']}"
            changes.append(f"other {part} data ({rows})" if before["rows"] != now["rows"]
                           else f"other {part} data (same {now['rows']} rows)")  # fmt: skip
    if changes:
        raise InputError(
            f"was trained with other settings or data: {'; '.join(changes)}. resume only "
            "continues the same run: resume=False to start over, or another output_dir",
            path=str(path),
        )


def _check_same_architecture(path: Path, saved: Any, given: Any) -> None:
    """Refuse to resume a checkpoint into a model of another architecture."""
    if given is None:
        return
    candidate = given() if callable(given) and not isinstance(given, keras.Model) else given
    if not isinstance(candidate, keras.Model):
        raise ParameterError("model must be a keras.Model or a callable returning one")
    kind, shapes = _architecture(candidate)
    saved_kind, saved_shapes = _architecture(saved)
    if kind != saved_kind or (shapes and shapes != saved_shapes):
        raise InputError(
            f"holds {_describe(saved)}, but the model given to fit is {_describe(candidate)}: "
            "refusing to resume another architecture; use another output_dir, or "
            "resume=False to start over",
            path=str(path),
        )


#: History key of :class:`ValidationPearson`'s 1 - r, the quantity ``fit`` minimises when
#: :attr:`~gexnb.train.TrainingConfig.monitor` is ``"val_pearson"``.
PEARSON_DISTANCE = "val_pearson_distance"


class ValidationPearson(keras.callbacks.Callback):
    """Log the Pearson r of the validation predictions after every epoch: ``val_pearson``,
    and ``val_pearson_distance`` (1 - r; 1 for constant predictions), which
    :func:`gexnb.train.fit` minimises under ``monitor="val_pearson"``.

    The epoch choice of the Prix Fixe framework of the DREAM 2022 winners' models (Rafi et
    al., *Nat Biotechnol* 2024): its base ``Trainer`` keeps the epoch of the highest Pearson
    r over the pooled validation rows, each strand a row of its own. An epoch whose
    predictions are constant (no r) counts as r = 0 here; Prix Fixe never keeps such an
    epoch (gexnb's departure, so that a run whose every epoch is constant still returns
    one).

    Parameters
    ----------
    x, y
        Validation inputs and targets, one value per row after ``to_scalar``.
    both_strands
        Score every row and its reverse complement as rows of their own
        (:func:`gexnb.train.inputs.with_reverse_complements`; ``fit`` sets it under
        ``reverse_complement``).
    model
        The model whose predictions are scored, sharing its weights with the one trained (a
        soft-bin model's expression output while its logits are trained); None: the model
        trained.
    batch_size
        Rows per forward pass.
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        both_strands: bool = False,
        model: Any = None,
        batch_size: int = PREDICT_BATCH_SIZE,
    ) -> None:
        super().__init__()
        if not isinstance(x, (np.ndarray, tuple)) or isinstance(y, (tuple, list)):
            raise ParameterError(
                "monitor 'val_pearson' needs the validation data as (x, y) arrays, not a "
                f"{type(x).__name__}"
            )
        if both_strands:
            x, y = with_reverse_complements((x, y), "validation")
        self.x, self.y = x, np.asarray(y, dtype=np.float64).reshape(len(np.asarray(y)), -1)
        self.scored = model
        self.batch_size = int(batch_size)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        from scipy.stats import pearsonr

        from gexnb.metrics import _corr

        x = list(self.x) if isinstance(self.x, tuple) else self.x
        scored = self.model if self.scored is None else self.scored
        pred = np.asarray(scored.predict(x, batch_size=self.batch_size, verbose=0))
        pred = pred.astype(np.float64).reshape(len(self.y), -1)
        r = _corr(pearsonr, self.y.ravel(), pred.ravel())
        if logs is not None:  # the same dict reaches the checkpoints after this callback
            logs["val_pearson"] = r
            logs[PEARSON_DISTANCE] = 1.0 if np.isnan(r) else 1.0 - r


class DecayOnRise(keras.callbacks.Callback):
    """Multiply the learning rate by ``factor`` whenever the training MAE rises.

    The rule of D-GEX (Chen et al. 2016; the authors' ``H*_*.py`` scripts): after each epoch
    the mean absolute error on a fixed random sample of the training rows (5,000 there;
    predicted without dropout) is compared with the previous epoch's, and when it rose the
    learning rate is multiplied by 0.9, never below a floor (1e-5 there). The MAE is logged
    as ``monitor_mae`` and the rate as ``learning_rate``.

    Parameters
    ----------
    x, y
        Training inputs and targets.
    factor, min_learning_rate
        Multiplier and floor of the learning rate.
    max_rows, seed
        Size and seed of the fixed sample of training rows.
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        factor: float = 0.9,
        min_learning_rate: float = 0.0,
        max_rows: int = 5000,
        seed: int = 0,
    ) -> None:
        super().__init__()
        rows = np.arange(len(x))
        if len(rows) > max_rows:
            rows = np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))
        self.x, self.y = np.asarray(x)[rows], np.asarray(y, dtype=np.float64)[rows]
        self.factor, self.min_learning_rate = float(factor), float(min_learning_rate)
        self.previous: float | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pred = np.asarray(
            self.model.predict(self.x, batch_size=PREDICT_BATCH_SIZE, verbose=0), np.float64
        )
        mae = float(np.mean(np.abs(pred.reshape(self.y.shape) - self.y)))
        lr_var = self.model.optimizer.learning_rate
        rate = float(keras.ops.convert_to_numpy(lr_var))
        if self.previous is not None and mae > self.previous:
            rate = max(rate * self.factor, self.min_learning_rate)
            self.model.optimizer.learning_rate.assign(rate)
        self.previous = mae
        if logs is not None:
            logs["monitor_mae"] = mae
            logs["learning_rate"] = rate

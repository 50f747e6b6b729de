"""Training engine: ``fit``, ``predict``, ``predict_file``, ``load_model``.

Keras ``Model.fit`` underneath, with what a long run needs: a best-validation checkpoint
(``best.keras``), a full per-epoch checkpoint with the optimizer state (``last.keras`` and
``last.json``) so that ``resume=True`` continues a killed run from the next epoch, the history
written as JSON and CSV after every epoch (atomically), a progress bar, early stopping, seeds,
mixed precision on GPUs and data-parallel distribution (``tf.distribute.MirroredStrategy``,
``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``, or ``keras.distribution.DataParallel`` on
JAX). The training recipe is the one of DREAM 2022 team Metformin-121 (Rafi et al. 2024):
MSE loss, Adam with learning rate 1e-3, keep the weights with the best validation loss.

Sequence inputs stay uint8 codes (one byte per base) all the way into the model, which
one-hots them in the graph (see :mod:`gexnb.models.promoter`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gexnb.errors import InputError, ParameterError
from gexnb.io import (
    atomic_path,
    ensure_output_dir,
    is_temporary_name,
    write_json_atomic,
    write_text_atomic,
)

__all__ = [
    "TrainResult",
    "fit",
    "predict",
    "predict_file",
    "load_model",
    "checkpoint_state",
    "check_model_input",
    "takes_sequence_codes",
    "resolve_precision",
    "recalibrate_batchnorm",
    "BatchNormRecalibration",
]

BEST_NAME = "best.keras"
LAST_NAME = "last.keras"
LAST_STATE_NAME = "last.json"
HISTORY_JSON = "history.json"
HISTORY_CSV = "history.csv"
#: Files :func:`fit` owns in its output folder.
CHECKPOINT_FILES = (BEST_NAME, LAST_NAME, LAST_STATE_NAME, HISTORY_JSON, HISTORY_CSV)
#: Entry of a checkpoint's ``.keras`` zip archive holding the training state saved with it.
STATE_ENTRY = "gexnb_checkpoint.json"

_PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
_DISTRIBUTIONS = ("auto", "none", "mirrored", "multiworker", "data_parallel")


@dataclass
class TrainResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    model
        The trained model, holding the weights of the best epoch (lowest monitored loss).
    history
        Metric name -> list of per-epoch values (all epochs, resumed runs included).
    best_epoch
        1-based epoch with the lowest monitored loss (``val_loss``, else ``loss``).
    output_dir
        Folder with ``best.keras``, ``last.keras``, ``last.json``, ``history.json/.csv``.
    replicas
        Number of replicas that trained in sync (devices times workers).
    """

    model: Any
    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    output_dir: Path | None = None
    replicas: int = 1


# --------------------------------------------------------------------------- devices


def _gpus() -> list[Any]:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.config.list_physical_devices("GPU")
    if keras.backend.backend() == "jax":
        import jax

        return [d for d in jax.devices() if d.platform == "gpu"]
    if keras.backend.backend() == "torch":
        import torch

        return list(range(torch.cuda.device_count()))
    return []


def _memory_growth() -> None:
    """Let TensorFlow allocate GPU memory as needed instead of all of it at start."""
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # devices already initialised: keep the current setting
            pass


def resolve_precision(precision: str = "auto") -> str:
    """Keras dtype policy for ``precision``.

    ``"auto"`` gives ``"mixed_float16"`` when a GPU is visible and ``"float32"`` otherwise
    (mixed precision: Micikevicius et al. 2018); ``"float32"``, ``"mixed_float16"`` and
    ``"mixed_bfloat16"`` are returned as given.

    Raises
    ------
    ParameterError
        For any other value.
    """
    if precision not in _PRECISIONS:
        raise ParameterError(f"precision must be one of {_PRECISIONS}, got {precision!r}")
    if precision == "auto":
        return "mixed_float16" if _gpus() else "float32"
    return precision


def _strategy(distribution: Any) -> Any:
    """A ``tf.distribute`` strategy (TF backend), or None; sets DataParallel on JAX."""
    if distribution is None:
        distribution = "none"
    if not isinstance(distribution, str):
        return distribution  # a tf.distribute.Strategy given by the caller
    if distribution not in _DISTRIBUTIONS:
        raise ParameterError(f"distribution must be one of {_DISTRIBUTIONS}, got {distribution!r}")
    backend = keras.backend.backend()
    if distribution == "none":
        return None
    if backend == "jax":
        import jax

        if distribution == "auto" and len(jax.devices()) < 2:
            return None
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        return None
    if backend != "tensorflow":
        if distribution == "auto":
            return None
        raise ParameterError(
            f"distribution={distribution!r} needs the TensorFlow or JAX backend, not {backend}"
        )
    import tensorflow as tf

    if distribution == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else None
    if distribution == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if distribution == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise ParameterError("distribution='multiworker' needs the TF_CONFIG variable")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ParameterError("distribution='data_parallel' needs the JAX backend")


def _is_chief() -> bool:
    """True unless TF_CONFIG names this process as a non-chief worker."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    config = json.loads(raw)
    task = config.get("task", {})
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    if kind == "chief":
        return True
    has_chief = bool(config.get("cluster", {}).get("chief"))
    return kind == "worker" and index == 0 and not has_chief


# --------------------------------------------------------------------------- callbacks


def _batchnorm_moments(values: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, int]:
    moved = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    return flat.sum(axis=0), np.square(flat).sum(axis=0), len(flat)


def recalibrate_batchnorm(
    model: Any, x: Any, *, batch_size: int = 2048, max_samples: int | None = 20_000
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
        total = squares = 0.0
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
    inputs, not a moving average still close to its initial values.

    Parameters
    ----------
    x
        Training inputs (only the first ``max_samples`` rows are used).
    batch_size, max_samples
        As in :func:`recalibrate_batchnorm`.
    """

    def __init__(self, x: Any, *, batch_size: int = 2048, max_samples: int = 20_000) -> None:
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
    ) -> None:
        super().__init__()
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
        improved = value is not None and np.isfinite(value) and value < self.best
        if improved:
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


# --------------------------------------------------------------------------- data


def _model_length(model: Any) -> int | None:
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError):
        return None
    if len(shape) == 2 and shape[1] is not None:
        return int(shape[1])
    return None


def takes_sequence_codes(model: Any) -> bool:
    """Whether ``model``'s (first) input is integer sequence codes (a sequence model)."""
    try:
        dtype = model.inputs[0].dtype
    except (AttributeError, IndexError, TypeError):
        return False
    return np.dtype(keras.backend.standardize_dtype(dtype)).kind in "ui"


def check_model_input(model: Any, x: Any, *, what: str = "inputs") -> np.ndarray:
    """Check ``x`` against ``model``'s input: per-sample shape, and codes 0..5 for sequences.

    Parameters
    ----------
    model
        A Keras model (a subclassed model without symbolic inputs is not checked).
    x
        Inputs, samples along the first axis.
    what
        Name of ``x`` in the error message.

    Returns
    -------
    numpy.ndarray
        ``x`` as an array.

    Raises
    ------
    InputError
        Wrong per-sample shape; float inputs or a code outside 0..5 for a sequence model.
    """
    arr = np.asarray(x)
    try:
        expected = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError):
        return arr
    given = arr.shape[1:]
    if len(given) != len(expected) or any(
        e is not None and int(e) != g for e, g in zip(expected, given, strict=True)
    ):
        if takes_sequence_codes(model) and arr.ndim == 2 and len(expected) == 1:
            problem = "longer" if given[0] > expected[0] else "shorter"
            raise InputError(
                f"{what}: sequences have length {given[0]}, {problem} than the model length "
                f"{expected[0]}; encode with length={expected[0]} (too_long='trim' to cut "
                "longer ones)"
            )
        raise InputError(
            f"{what}: each sample has shape {given}, but the model expects "
            f"{tuple(None if e is None else int(e) for e in expected)}"
        )
    if takes_sequence_codes(model):
        from gexnb.data.sequences import check_codes

        if arr.dtype.kind not in "ui":
            raise InputError(
                f"{what}: the model takes uint8 sequence codes, got {arr.dtype} values "
                "(encode with gexnb.data.sequences.encode_sequences)"
            )
        check_codes(arr, what=what)
    return arr


def _check_xy(data: Any, what: str, model: Any) -> Any:
    if not isinstance(data, (tuple, list)):
        return data  # a keras PyDataset or another iterable: handed to Keras as is
    if len(data) != 2:
        raise InputError(f"{what} must be an (x, y) pair, got {len(data)} items")
    x, y = data
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    y = np.asarray(y, dtype="float32")
    if len(x) == 0:
        raise InputError(f"{what} split is empty (0 rows)")
    if len(x) != len(y):
        raise InputError(f"{what}: x has {len(x)} rows but y has {len(y)}")
    if not np.all(np.isfinite(y)):
        bad = int(np.flatnonzero(~np.isfinite(y.reshape(len(y), -1)).any(axis=1))[0])
        raise InputError(f"{what}: target is NaN or infinite at row {bad}")
    check_model_input(model, x, what=what)
    return x, y


def _split_validation(train: Any, validation: Any) -> tuple[Any, Any]:
    if isinstance(validation, float):
        if not 0.0 < validation < 1.0:
            raise ParameterError(f"validation fraction must be in (0, 1), got {validation}")
        if not isinstance(train, (tuple, list)):
            raise ParameterError("a validation fraction needs train as an (x, y) pair")
        x, y = train
        n_val = int(round(len(x) * validation))
        if n_val == 0 or n_val == len(x):
            raise InputError(
                f"validation fraction {validation} of {len(x)} rows gives an empty split"
            )
        cut = len(x) - n_val  # row order, as the Metformin-121 split (last rows validate)
        return (x[:cut], y[:cut]), (x[cut:], y[cut:])
    return train, validation


def _optimizer(optimizer: Any, learning_rate: float) -> Any:
    if not isinstance(optimizer, str):
        return optimizer
    name = optimizer.lower()
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate)
    if name == "nadam":
        return keras.optimizers.Nadam(learning_rate=learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    raise ParameterError(
        f"optimizer must be 'adam', 'nadam', 'sgd' or a keras optimizer: {optimizer!r}"
    )


def _verbose(verbose: Any) -> int:
    if verbose == "auto":
        interactive = sys.stdout.isatty() or "ipykernel" in sys.modules
        return 1 if interactive else 2
    return int(verbose)


# --------------------------------------------------------------------------- fit


def fit(
    model: Any,
    train: Any,
    validation: Any = None,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float = 1e-3,
    loss: Any = "mse",
    optimizer: Any = "adam",
    output_dir: str | os.PathLike,
    resume: bool = False,
    precision: str = "auto",
    distribution: Any = "auto",
    seed: int | None = None,
    early_stopping: int | None = None,
    verbose: Any = "auto",
    callbacks: Iterable[Any] = (),
    checkpoint_seconds: float = 0.0,
) -> TrainResult:
    """Train a Keras model with checkpoints, resume, history files and distribution.

    Implements the training recipe of DREAM 2022 team Metformin-121 (Rafi et al., Nat
    Biotechnol 2024): MSE loss, Adam (lr 1e-3), batch 2048, keep the best-validation weights,
    with the machinery for long multi-GPU runs.

    Parameters
    ----------
    model
        A ``keras.Model`` or a zero-argument callable that builds one. Pass a callable when
        a distribution strategy is used: the model must be built inside its scope.
    train
        ``(x, y)`` numpy arrays (``x`` uint8 sequence codes or a float matrix) or an iterable
        Keras accepts (e.g. a ``keras.utils.PyDataset``).
    validation
        ``(x, y)``, a fraction in (0, 1) of the last training rows (row-order split), or None.
    epochs, batch_size, learning_rate
        Total epochs (a resumed run trains up to the same total), global batch size, rate.
    loss, optimizer
        Keras loss; ``"adam"``, ``"nadam"``, ``"sgd"`` (momentum 0.9) or an optimizer object.
    output_dir
        Folder for ``best.keras`` (best monitored loss), ``last.keras`` + ``last.json`` (full
        state after every epoch), ``history.json`` and ``history.csv``.
    resume
        Continue from ``last.keras`` in ``output_dir`` (from the epoch after the last completed
        one), with its optimizer state; the model given must have the same architecture.
        ``last.keras`` carries its epoch count and history inside (one atomic file), so a
        run killed at any moment resumes exactly after its last completed checkpoint.
        Without any checkpoint there, training starts from scratch (with a warning); an
        incomplete one (``last.json`` without ``last.keras``, a damaged file) is refused
        with nothing deleted.
    precision
        ``"auto"`` (mixed_float16 on GPU, else float32), ``"float32"``, ``"mixed_float16"``,
        ``"mixed_bfloat16"``. Applies to models built by a callable ``model``.
    distribution
        ``"auto"`` (MirroredStrategy if more than one GPU on TensorFlow, DataParallel on JAX with
        several devices), ``"none"``, ``"mirrored"`` (all GPUs, else all logical CPUs),
        ``"multiworker"`` (MultiWorkerMirroredStrategy from ``TF_CONFIG``), ``"data_parallel"``
        (JAX), or a ``tf.distribute.Strategy``.
    seed
        Seed for Python, NumPy and the backend (``keras.utils.set_random_seed``).
    early_stopping
        Patience in epochs on the monitored loss, or None.
    verbose
        ``"auto"`` (progress bar when interactive, one line per epoch otherwise), 0, 1 or 2.
    callbacks
        Extra Keras callbacks, run before the checkpoints (e.g.
        :class:`BatchNormRecalibration`, so that validation and checkpoints see
        recalibrated statistics).
    checkpoint_seconds
        0 (default): write ``best.keras`` and ``last.keras`` after every epoch. Above 0:
        write them at most this often and at the end of training, keeping a new best
        epoch's weights in memory in between; for short epochs, where writing the files
        costs as much as the epoch. An interrupted run then resumes from the last write.
        Ignored (every epoch) under MultiWorkerMirroredStrategy.

    Returns
    -------
    TrainResult

    Raises
    ------
    InputError
        Empty or mismatched splits, NaN targets, sequences longer than the model length; on
        resume, a checkpoint of another architecture or an incomplete or damaged one.
    ParameterError
        Unknown precision, distribution or optimizer; epochs or batch size below 1.

    Warns
    -----
    UserWarning
        ``resume=True`` without a checkpoint; a checkpoint with more epochs than ``epochs``.
    """
    if int(epochs) < 1 or int(batch_size) < 1:
        raise ParameterError(f"epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
    out = ensure_output_dir(output_dir)
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    _memory_growth()
    policy = resolve_precision(precision)
    strategy = _strategy(distribution)
    train, validation = _split_validation(train, validation)
    monitor = "val_loss" if validation is not None else "loss"

    _remove_temporary_files(out)
    resumed = _resume_state(out) if resume else None
    if resumed is None:
        if resume:
            warnings.warn(
                f"resume=True but no checkpoint in {out}: training from scratch", stacklevel=2
            )
        # a fresh run: files of an earlier run in this folder would mislead
        for name in CHECKPOINT_FILES:
            (out / name).unlink(missing_ok=True)
        initial_epoch, history, best, best_epoch = 0, {}, float("inf"), None
    else:
        initial_epoch, history, best, best_epoch = resumed
        if initial_epoch > int(epochs):
            warnings.warn(
                f"{out / LAST_NAME} has already trained {initial_epoch} epochs, more than "
                f"epochs={int(epochs)}: nothing is trained (raise epochs to continue)",
                stacklevel=2,
            )

    previous_policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        scope = strategy.scope() if strategy is not None else _null_scope()
        with scope:
            if resumed is not None:
                net = _load(out / LAST_NAME, compile=True)
                _check_same_architecture(out / LAST_NAME, net, model)
            else:
                net = model() if callable(model) and not isinstance(model, keras.Model) else model
                if not isinstance(net, keras.Model):
                    raise ParameterError("model must be a keras.Model or a callable returning one")
                net.compile(optimizer=_optimizer(optimizer, learning_rate), loss=loss)
        train = _check_xy(train, "train", net)
        if validation is not None:
            validation = _check_xy(validation, "validation", net)
        every_seconds = 0.0 if _collective(strategy) else max(0.0, float(checkpoint_seconds))
        checkpoints = _Checkpoints(
            out,
            monitor,
            history,
            best,
            write=_is_chief(),
            every_seconds=every_seconds,
            best_epoch=best_epoch,
        )
        callbacks = [*callbacks, checkpoints, keras.callbacks.TerminateOnNaN()]
        if early_stopping is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(monitor=monitor, patience=int(early_stopping))
            )
        if initial_epoch < int(epochs):
            kwargs: dict[str, Any] = {}
            if _collective(strategy):
                train = _collective_dataset(train, int(batch_size), shuffle=True, seed=seed)
                validation = _collective_dataset(validation, int(batch_size))
            if isinstance(train, tuple):
                x, y = train
                kwargs.update(x=x, y=y, batch_size=int(batch_size), shuffle=True)
            else:
                kwargs.update(x=train)
            if _collective(strategy):
                _prebuild_for_collective(net, strategy, train)
            fit_scope = strategy.scope() if _collective(strategy) else _null_scope()
            with fit_scope:
                net.fit(
                    **kwargs,
                    validation_data=validation,
                    epochs=int(epochs),
                    initial_epoch=initial_epoch,
                    callbacks=callbacks,
                    verbose=_verbose(verbose),
                )
        if (out / BEST_NAME).exists():
            # The best epoch's weights only: its optimizer state would roll back a model
            # that the caller goes on training.
            net.set_weights(_load(out / BEST_NAME, compile=False).get_weights())
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)
    losses = history.get(monitor, [])
    best_epoch = int(np.nanargmin(losses)) + 1 if losses else None
    replicas = int(strategy.num_replicas_in_sync) if strategy is not None else 1
    return TrainResult(
        model=net, history=history, best_epoch=best_epoch, output_dir=out, replicas=replicas
    )


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


def _resume_state(out: Path) -> tuple[int, dict[str, list[float]], float, int | None] | None:
    """Epochs done, history, best value and best epoch of the checkpoint in ``out``.

    None when ``out`` holds no checkpoint at all. Refuses (InputError, nothing deleted) when
    the checkpoint is incomplete, so that a resume never silently starts over.
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
    best, best_epoch = float(state.get("best") or float("inf")), state.get("best_epoch")
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


def _architecture(model: Any) -> tuple[str, list[tuple[int, ...]]]:
    shapes = [tuple(int(d) for d in w.shape) for w in getattr(model, "weights", [])]
    return type(model).__name__, shapes


def _describe(model: Any) -> str:
    kind, shapes = _architecture(model)
    n = sum(int(np.prod(s)) for s in shapes)
    return f"a {kind} '{getattr(model, 'name', '?')}' with {n:,} parameters"


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


def _collective(strategy: Any) -> bool:
    if strategy is None:
        return False
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _collective_dataset(data: Any, batch_size: int, *, shuffle: bool = False, seed: Any = None):
    """tf.data input for MultiWorkerMirroredStrategy, codes widened to int32 per batch.

    Keras 3 all-reduces one input batch across workers to build the model, and collective
    ops have no uint8 kernel (keras-team/keras#20585), so each batch is cast after batching:
    the arrays in memory stay one byte per base.
    """
    if not isinstance(data, tuple):
        return data
    import tensorflow as tf

    x, y = data
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    widen = x.dtype.kind in "ui" and x.dtype.itemsize < 4
    dataset = dataset.batch(batch_size)
    if widen:
        dataset = dataset.map(lambda a, b: (tf.cast(a, tf.int32), b))
    return dataset.prefetch(2)


def _prebuild_for_collective(net: Any, strategy: Any, dataset: Any) -> None:
    """Build model, optimizer and loss before ``fit`` under MultiWorkerMirroredStrategy.

    Keras 3 builds the model in ``fit`` from a batch obtained with an eager
    ``strategy.reduce`` that fails for ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585).
    We build from one local batch inside the strategy scope instead and let ``fit`` find the
    strategy from the enclosing scope (``tf.distribute.get_strategy()``).
    """
    batch = next(iter(dataset))
    with strategy.scope():
        net._symbolic_build(data_batch=(batch[0], batch[1], None))
    net._distribute_strategy = None
    _patch_multiworker_reduce()


def _patch_multiworker_reduce() -> None:
    """Keras 3 reduces scalar metrics over workers with ``axis=0``, which fails on rank-0
    values under MultiWorkerMirroredStrategy; reduce those with ``axis=None`` instead.

    This replaces a private Keras function (pinned Keras 3.5-3.x); if a Keras release
    renames it, a warning says the workaround was not applied instead of failing.
    """
    try:
        from keras.src.backend.tensorflow import trainer as tf_trainer

        if getattr(tf_trainer.reduce_per_replica, "_gexnb_patched", False):
            return
    except (ImportError, AttributeError) as exc:
        warnings.warn(
            f"gexnb: Keras {keras.__version__} has no trainer.reduce_per_replica ({exc}); the "
            "MultiWorkerMirroredStrategy metric-reduction workaround was not applied",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        import tensorflow as tf

        if reduction in ("auto", "mean") and isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy
        ):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica._gexnb_patched = True  # type: ignore[attr-defined]
    tf_trainer.reduce_per_replica = reduce_per_replica


class _null_scope:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


# --------------------------------------------------------------------------- load / predict


def _is_gexnb_model(model: Any) -> bool:
    from gexnb.models.registry import available

    if getattr(model, "name", None) in available():
        return True
    for layer in getattr(model, "_flatten_layers", lambda: [])():
        registered = keras.saving.get_registered_name(type(layer))
        if registered.startswith("gexnb>"):
            return True
    return False


def _load(p: Path, *, compile: bool) -> Any:
    import gexnb.models.registry as registry

    registry.available()  # import the zoo so that every custom layer is registered
    if not p.is_file():
        raise InputError("model file not found", path=str(p))
    try:
        return keras.saving.load_model(p, compile=compile)
    except Exception as exc:  # any failure means "not a model file we can read"
        raise InputError(
            f"not a readable Keras model file ({type(exc).__name__}: {exc})", path=str(p)
        ) from exc


def load_model(path: str | os.PathLike, *, compile: bool = True) -> Any:
    """Load a ``.keras`` model saved by gexnb (custom layers registered).

    Raises
    ------
    InputError
        If the file does not exist, cannot be read as a Keras model, or holds a model without
        gexnb layers or a gexnb model name (not a gexnb model).
    """
    p = Path(path)
    model = _load(p, compile=compile)
    if not isinstance(model, keras.Model) or not _is_gexnb_model(model):
        raise InputError("the file holds a Keras model that is not a gexnb model", path=str(p))
    return model


def predict(model: Any, x: Any, *, batch_size: int = 2048) -> np.ndarray:
    """Predict in batches of ``batch_size`` (only one batch of inputs is converted at a time).

    Parameters
    ----------
    model
        A Keras model (or a path to a ``.keras`` file, loaded with :func:`load_model`).
    x
        An array (e.g. uint8 codes ``(n, length)``) or an iterable of such arrays (chunks).

    Returns
    -------
    numpy.ndarray
        Float32 predictions, shape ``(n,)`` for a single output, else ``(n, outputs)``.
    """
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model, compile=False)
    if int(batch_size) < 1:
        raise ParameterError(f"batch_size must be >= 1, got {batch_size}")
    chunks = [x] if isinstance(x, np.ndarray) else x
    parts = [p for p in _predict_chunks(model, chunks, int(batch_size))]
    if not parts:
        return np.zeros((0,), dtype="float32")
    return np.concatenate(parts)


def _predict_chunks(model: Any, chunks: Iterable[Any], batch_size: int) -> Iterator[np.ndarray]:
    length = _model_length(model)
    for chunk in chunks:
        arr = np.asarray(chunk)
        if length is not None and arr.ndim == 2 and arr.shape[1] != length:
            raise InputError(f"sequences have length {arr.shape[1]} but the model expects {length}")
        for start in range(0, len(arr), batch_size):
            out = np.asarray(model.predict_on_batch(arr[start : start + batch_size]), "float32")
            yield out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


def predict_file(
    model_path: str | os.PathLike,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    batch_size: int = 2048,
    too_long: str = "error",
    chunk_size: int = 100_000,
) -> int:
    """Predict every sequence of a file and write ``sequence<TAB>prediction`` TSV.

    Streams: the input is read ``chunk_size`` lines at a time
    (:func:`gexnb.data.sequences.iter_sequence_chunks`), encoded to uint8 codes at the model
    length and predicted in batches, so memory does not grow with the file. The output is
    written to a temporary file and renamed when complete. Predictions are on the model's
    output scale (for ``metformin_bigru``, the training target ``y / (2 median y)``).

    Parameters
    ----------
    model_path
        A ``.keras`` file saved by gexnb.
    input_path
        Sequences, one per line (``sequence`` or ``sequence<TAB>expression``; see
        :func:`gexnb.data.sequences.read_sequences`).
    output_path
        TSV to write (header ``sequence<TAB>prediction``).
    too_long
        ``"error"`` or ``"trim"`` for sequences longer than the model length.

    Returns
    -------
    int
        Number of sequences predicted.

    Raises
    ------
    InputError
        A bad line (invalid base, too long): the message names the file and line number.
    """
    from gexnb.data.sequences import encode_sequences, iter_sequence_chunks

    if too_long not in ("error", "trim"):
        raise ParameterError(f"too_long must be 'error' or 'trim', got {too_long!r}")
    output = Path(output_path)
    if output.is_dir():
        raise InputError("is a folder; give the name of the TSV file to write", path=str(output))
    if output.parent.exists() and not output.parent.is_dir():
        raise InputError(f"{output.parent} is a file, not a folder", path=str(output))
    if not output.parent.exists():
        raise InputError(f"folder {output.parent} does not exist", path=str(output))
    if output.exists() and Path(input_path).exists() and output.samefile(input_path):
        raise InputError("is the input file; give another output name", path=str(output))
    model = load_model(model_path, compile=False)
    length = _model_length(model)
    if length is None or not takes_sequence_codes(model):
        raise InputError(
            f"holds {_describe(model)} that does not take DNA sequences "
            "(gexnb predict is for sequence models such as metformin_bigru)",
            path=str(model_path),
        )
    if len(model.outputs) != 1 or tuple(model.outputs[0].shape[1:]) not in ((), (1,)):
        shapes = ", ".join(str(tuple(o.shape[1:])) for o in model.outputs)
        raise InputError(
            f"the model predicts {shapes} per sequence; gexnb predict writes one value per "
            "sequence (use gexnb.train.predict for several outputs)",
            path=str(model_path),
        )
    n = 0
    with atomic_path(output_path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write("sequence\tprediction\n")
        for first_line, frame in iter_sequence_chunks(
            input_path, chunk_size=chunk_size, require_expression=False
        ):
            seqs = frame["sequence"].astype(str).tolist()
            try:
                codes = encode_sequences(seqs, length=length, too_long=too_long)
            except InputError as exc:
                raise _locate(exc, seqs, first_line, length, too_long, input_path) from None
            preds = predict(model, codes, batch_size=batch_size)
            handle.writelines(f"{s}\t{p:.6g}\n" for s, p in zip(seqs, preds, strict=True))
            n += len(seqs)
    return n


def _locate(
    exc: InputError, seqs: list[str], first_line: int, length: int, too_long: str, path: Any
) -> InputError:
    """Turn an encoding error of a chunk into one naming the file and line."""
    if exc.line is not None and exc.path is not None:
        return exc
    valid = set("ACGTNacgtn")
    for i, s in enumerate(seqs):
        if len(s) > length and too_long == "error":
            return InputError(
                f"sequence of length {len(s)} is longer than the model length {length} "
                "(use too_long='trim')",
                path=str(path),
                line=first_line + i,
            )
        bad = set(s) - valid
        if bad:
            return InputError(
                f"invalid base(s) {''.join(sorted(bad))!r} in sequence",
                path=str(path),
                line=first_line + i,
            )
    return InputError(str(exc), path=str(path), line=first_line)

"""``fit``: Keras ``Model.fit`` with checkpoints, exact resume, history files and distribution.

The training recipe is the one of DREAM 2022 team Metformin-121 (Rafi et al. 2024): MSE
loss, Adam with learning rate 1e-3, keep the weights with the best validation loss.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError
from gexnb.io import (
    ensure_output_dir,
)
from gexnb.train.callbacks import (
    BEST_NAME,
    CHECKPOINT_FILES,
    LAST_NAME,
    _check_same_architecture,
    _Checkpoints,
    _remove_temporary_files,
    _resume_state,
)
from gexnb.train.distribute import (
    _collective,
    _collective_dataset,
    _is_chief,
    _memory_growth,
    _null_scope,
    _prebuild_for_collective,
    _strategy,
    resolve_precision,
)
from gexnb.train.inputs import _check_xy, _split_validation
from gexnb.train.optimizers import make_optimizer
from gexnb.train.predict import _load


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


def _verbose(verbose: Any) -> int:
    if verbose == "auto":
        interactive = sys.stdout.isatty() or "ipykernel" in sys.modules
        return 1 if interactive else 2
    return int(verbose)


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
                net.compile(
                    optimizer=make_optimizer(optimizer, learning_rate=learning_rate), loss=loss
                )
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

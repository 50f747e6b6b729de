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
from typing import Any, cast

import keras
import numpy as np

from gexnb.checks import is_whole
from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import LAST_STATE_NAME, ensure_output_dir
from gexnb.models.saving import _load
from gexnb.train.callbacks import (
    BEST_NAME,
    CHECKPOINT_FILES,
    LAST_NAME,
    PEARSON_DISTANCE,
    DecayOnRise,
    ValidationPearson,
    _check_same_architecture,
    _check_same_setup,
    _Checkpoints,
    _remove_temporary_files,
    _resume_state,
    training_setup,
)
from gexnb.train.config import TrainingConfig
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
from gexnb.train.inputs import _check_xy, _split_validation, with_reverse_complements
from gexnb.train.losses import resolve_loss


@dataclass
class TrainResult:
    """Outcome of :func:`fit`.

    Parameters
    ----------
    model, history, best_epoch, output_dir, replicas
        See Attributes.

    Attributes
    ----------
    model
        The trained model, holding the weights of the best epoch (lowest monitored loss).
    history
        Metric name -> list of per-epoch values (all epochs, resumed runs included).
    best_epoch
        1-based epoch with the lowest monitored loss (``val_loss``, else ``loss``; under
        ``monitor="val_pearson"``, ``val_pearson_distance``: the highest validation r).
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
    """Keras ``verbose`` for ``"auto"``: a live progress bar in a terminal or JupyterLab, one
    line per epoch in a log or in a notebook run by ``gexnb run`` (whose saved outputs would
    otherwise hold every redrawn bar)."""
    if verbose == "auto":
        from gexnb.rundir import MANAGED_ENV

        batch = bool(os.environ.get(MANAGED_ENV))
        interactive = sys.stdout.isatty() or "ipykernel" in sys.modules
        return 1 if interactive and not batch else 2
    return int(verbose)


def fit(
    model: Any,
    train: Any,
    validation: Any = None,
    *,
    output_dir: str | os.PathLike,
    config: TrainingConfig | None = None,
    resume: bool = False,
    callbacks: Iterable[Any] = (),
    **settings: Any,
) -> TrainResult:
    """Train a Keras model with checkpoints, resume, history files and distribution.

    Implements the training recipe of DREAM 2022 team Metformin-121 (Rafi et al., Nat
    Biotechnol 2024) by default: MSE loss, Adam (lr 1e-3), keep the best-validation weights,
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
    output_dir
        Folder for ``best.keras`` (best monitored loss), ``last.keras`` (full state after
        every epoch, with its epoch count and history inside), ``last.json`` (a readable
        copy of that state), ``history.json`` and ``history.csv``.
    config
        The training settings (:class:`TrainingConfig`: epochs, batch size, learning rate,
        loss, optimizer, precision, distribution, seed, early stopping, verbosity,
        checkpoint interval); its defaults when None.
    resume
        Continue from ``last.keras`` in ``output_dir`` (from the epoch after the last completed
        one), with its optimizer state; the model given must have the same architecture.
        ``last.keras`` carries its epoch count and history inside (one atomic file), so a
        run killed at any moment resumes exactly after its last completed checkpoint.
        Without any checkpoint there, training starts from scratch (with a warning); an
        incomplete one (``last.json`` without ``last.keras``, a damaged file) is refused
        with nothing deleted.
    callbacks
        Extra Keras callbacks, run before the checkpoints (e.g.
        :class:`BatchNormRecalibration`, so that validation and checkpoints see
        recalibrated statistics).
    **settings
        Fields of :class:`TrainingConfig` overriding ``config`` (``epochs=30,
        batch_size=2048``). ``precision`` applies to models built by a callable ``model``.
        ``distribution`` by backend: TensorFlow: ``"mirrored"`` (all GPUs, else all CPUs),
        ``"multiworker"`` (``TF_CONFIG``) or a ``tf.distribute.Strategy``; JAX:
        ``"data_parallel"`` (``keras.distribution.DataParallel`` over all devices, reset
        after training); PyTorch: single device only (a distributed option is refused with
        a clear error). ``"auto"`` is MirroredStrategy with more than one GPU on TensorFlow,
        DataParallel with several devices on JAX, and one device otherwise.
        ``checkpoint_seconds`` above 0 writes the checkpoints at most that often (and at
        the end), keeping a new best epoch's weights in memory in between, ignored under
        MultiWorkerMirroredStrategy.

    Returns
    -------
    TrainResult

    Raises
    ------
    InputError
        Empty or mismatched splits, NaN or infinite targets or inputs (row and column named),
        targets per row other than the model's outputs, sequences longer than the model
        length; a loss that is NaN before any finite epoch (the broken last checkpoint is
        removed); on resume, a checkpoint of another architecture, an incomplete or damaged
        one, or one trained with other settings or data
        (:func:`~gexnb.train.callbacks.training_setup`: all :class:`TrainingConfig` fields
        but ``epochs``, ``verbose``, ``checkpoint_seconds``, ``early_stopping``,
        ``distribution`` and ``precision``; the training and validation arrays, compared by
        a BLAKE2 digest), or one whose best epoch was chosen by another ``monitor``.
    ParameterError
        Unknown precision, distribution or optimizer; epochs or batch size below 1;
        ``monitor="val_pearson"`` without validation ``(x, y)`` arrays.

    Warns
    -----
    UserWarning
        ``resume=True`` without a checkpoint; a checkpoint with more epochs than ``epochs``;
        a loss that turned NaN after finite epochs (the best epoch's weights are returned).
    """
    cfg = TrainingConfig.from_mapping(settings, base=config)
    callbacks = list(callbacks)
    given: Any = cfg.epochs
    if not is_whole(given):
        raise ParameterError(f"epochs must be an integer >= 1, got {given!r}")
    cfg = cfg.replace(epochs=int(given))  # 2.0 (YAML, JSON) is 2
    if int(given) < 1:
        raise ParameterError(
            f"epochs and batch_size must be >= 1, got {cfg.epochs}, {cfg.batch_size}"
        )
    out = ensure_output_dir(output_dir)
    if cfg.seed is not None:
        keras.utils.set_random_seed(int(cfg.seed))
    _memory_growth()
    policy = resolve_precision(cfg.precision)
    previous_distribution = keras.distribution.distribution()
    if cfg.monitor == "val_pearson" and validation is None:  # before a global distribution
        raise ParameterError("monitor 'val_pearson' needs validation data")
    strategy = _strategy(cfg.distribution)  # on JAX, may set a global DataParallel
    train, validation = _split_validation(train, validation)
    if cfg.reverse_complement:
        train = with_reverse_complements(train)
    monitor = "val_loss" if validation is not None else "loss"
    if cfg.monitor == "val_pearson":
        monitor = PEARSON_DISTANCE
    initial_epoch, history, best, best_epoch, resumed = _start(out, resume, int(given), monitor)
    previous_policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        net = _model_to_train(
            model, cfg, strategy, out if resumed else None, _total_steps(train, cfg)
        )
        train = _check_xy(train, "train", net)
        if validation is not None:
            validation = _check_xy(validation, "validation", net)
        setup = training_setup(cfg, train, validation)
        if resumed:
            _check_same_setup(out / LAST_NAME, setup)
        every_seconds = 0.0 if _collective(strategy) else max(0.0, float(cfg.checkpoint_seconds))
        checkpoints = _Checkpoints(
            out,
            monitor,
            history,
            best,
            write=_is_chief(),
            every_seconds=every_seconds,
            best_epoch=best_epoch,
            setup=setup,
        )
        if cfg.decay_on_rise is not None and isinstance(train, tuple):
            if isinstance(train[0], tuple):
                raise ParameterError("decay_on_rise needs x as one array, not (codes, flags)")
            decay = DecayOnRise(
                *train, factor=cfg.decay_on_rise, min_learning_rate=cfg.min_learning_rate
            )
            callbacks = [*callbacks, decay]
        if cfg.monitor == "val_pearson" and not any(
            isinstance(c, ValidationPearson) for c in callbacks
        ):
            if not (isinstance(validation, tuple) and len(validation) == 2):
                raise ParameterError(
                    "monitor 'val_pearson' needs the validation data as (x, y) arrays, not "
                    f"a {type(validation).__name__}"
                )
            pearson = ValidationPearson(*validation, both_strands=cfg.reverse_complement)
            callbacks = [*callbacks, pearson]
        callbacks = [*callbacks, checkpoints, keras.callbacks.TerminateOnNaN()]
        if cfg.early_stopping is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=monitor, patience=int(cfg.early_stopping), mode="min"
                )
            )
        if initial_epoch < int(given):
            _keras_fit(net, train, validation, cfg, strategy, callbacks, initial_epoch)
        if (out / BEST_NAME).exists():
            # The best epoch's weights only: its optimizer state would roll back a model
            # that the caller goes on training.
            net.set_weights(_load(out / BEST_NAME, compile=False).get_weights())
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)
        keras.distribution.set_distribution(previous_distribution)
    _check_finite_loss(history, monitor, out)
    losses = history.get(monitor, [])
    best_epoch = int(np.nanargmin(losses)) + 1 if losses else None
    replicas = int(strategy.num_replicas_in_sync) if strategy is not None else 1
    return TrainResult(
        model=net, history=history, best_epoch=best_epoch, output_dir=out, replicas=replicas
    )


def _check_finite_loss(history: dict[str, list[float]], monitor: str, out: Path) -> None:
    """A training loss that ended NaN or infinite (Keras' TerminateOnNaN stopped the run).

    The last checkpoint holds the diverged weights, which a resume would start from: it is
    removed. With no finite value of ``monitor`` at all there is no model to return, and the
    run stops with a one-line error. After finite epochs, the best epoch's weights are what
    ``fit`` returns (as always, and ``best.keras`` stays); a warning says the run diverged.
    """
    losses = history.get("loss", [])
    if not losses or np.isfinite(losses[-1]):
        return
    advice = "lower learning_rate, or look for extreme values in the inputs"
    if _is_chief():  # a resume would continue from the diverged weights
        for name in (LAST_NAME, LAST_STATE_NAME):
            (out / name).unlink(missing_ok=True)
    if not np.isfinite(history.get(monitor, [np.nan])).any():
        raise InputError(
            f"{out}: the training loss became NaN or infinite in epoch {len(losses)}, before "
            f"any finite {monitor}; {advice}"
        )
    warnings.warn(
        f"{out}: the training loss became NaN or infinite in epoch {len(losses)} and training "
        f"stopped; the best epoch's weights are kept ({BEST_NAME}), the diverged last "
        f"checkpoint removed ({advice})",
        stacklevel=3,
    )


def _start(
    out: Path, resume: bool, epochs: int, monitor: str
) -> tuple[int, dict[str, list[float]], float, int | None, bool]:
    """Epochs done, history, best value and epoch, and whether a checkpoint is resumed."""
    _remove_temporary_files(out)
    resumed = _resume_state(out, monitor) if resume else None
    if resumed is None:
        if resume:
            warnings.warn(
                f"resume=True but no checkpoint in {out}: training from scratch", stacklevel=3
            )
        # a fresh run: files of an earlier run in this folder would mislead
        for name in CHECKPOINT_FILES:
            (out / name).unlink(missing_ok=True)
        return 0, {}, float("inf"), None, False
    initial_epoch, history, best, best_epoch = resumed
    if initial_epoch > epochs:
        warnings.warn(
            f"{out / LAST_NAME} has already trained {initial_epoch} epochs, more than "
            f"epochs={epochs}: nothing is trained (raise epochs to continue)",
            stacklevel=3,
        )
    return initial_epoch, history, best, best_epoch, True


def _epochs(cfg: TrainingConfig) -> int:
    """``cfg.epochs``, which :func:`fit` has checked is one integer (a tuple is E-GEX's
    per-phase epochs, :func:`gexnb.train.recipes.train_egex`)."""
    return int(cast(int, cfg.epochs))


def _total_steps(train: Any, cfg: TrainingConfig) -> int | None:
    """Optimizer steps of the whole training (for the one-cycle schedule), when known."""
    if isinstance(train, tuple):
        x = train[0]
        n = len(x[0]) if isinstance(x, tuple) else len(x)
    else:
        try:
            return _epochs(cfg) * len(train)
        except TypeError:
            return None
    return _epochs(cfg) * -(-n // int(cfg.batch_size))


def _model_to_train(
    model: Any,
    cfg: TrainingConfig,
    strategy: Any,
    resume_from: Path | None,
    total_steps: int | None = None,
) -> Any:
    """The checkpoint in ``resume_from``, or ``model`` (built if a callable) compiled."""
    scope = strategy.scope() if strategy is not None else _null_scope()
    with scope:
        if resume_from is not None:
            net = _load(resume_from / LAST_NAME, compile=True)
            _check_same_architecture(resume_from / LAST_NAME, net, model)
            _warn_other_optimizer(resume_from / LAST_NAME, net, cfg, total_steps)
            return net
        net = model() if callable(model) and not isinstance(model, keras.Model) else model
        if not isinstance(net, keras.Model):
            raise ParameterError("model must be a keras.Model or a callable returning one")
        net.compile(
            optimizer=cfg.make_optimizer(total_steps=total_steps), loss=resolve_loss(cfg.loss)
        )
        return net


def _warn_other_optimizer(
    path: Path, net: Any, cfg: TrainingConfig, total_steps: int | None
) -> None:
    """A warning when a resumed checkpoint's optimizer is not the one these settings build
    now: a checkpoint written by an earlier gexnb (one-cycle AdamW before its beta_1
    cycled) goes on with its own optimizer, and the run mixes two (the review)."""
    saved = getattr(net.optimizer, "inner_optimizer", net.optimizer)
    try:
        fresh = cfg.make_optimizer(total_steps=total_steps)
    except GexnbError:
        return
    fresh = getattr(fresh, "inner_optimizer", fresh)
    if type(saved) is not type(fresh):
        warnings.warn(
            f"{path}: resumed with the checkpoint's optimizer {type(saved).__name__}, where "
            f"these settings now build {type(fresh).__name__} (a checkpoint of an earlier "
            "gexnb): the rest of the run goes on with the checkpoint's",
            stacklevel=4,
        )


def _keras_fit(
    net: Any,
    train: Any,
    validation: Any,
    cfg: TrainingConfig,
    strategy: Any,
    callbacks: list[Any],
    initial_epoch: int,
) -> None:
    """``net.fit`` from ``initial_epoch`` to ``cfg.epochs`` (collective datasets if needed)."""
    batch_size = int(cfg.batch_size)
    kwargs: dict[str, Any] = {}
    if _collective(strategy):
        train = _collective_dataset(train, batch_size, shuffle=True, seed=cfg.seed)
        validation = _collective_dataset(validation, batch_size)
    if isinstance(train, tuple):
        x, y = train
        kwargs.update(x=x, y=y, batch_size=batch_size, shuffle=True)
    else:
        kwargs.update(x=train)
    if _collective(strategy):
        _prebuild_for_collective(net, strategy, train)
    fit_scope = strategy.scope() if _collective(strategy) else _null_scope()
    with fit_scope:
        net.fit(
            **kwargs,
            validation_data=validation,
            epochs=_epochs(cfg),
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=_verbose(cfg.verbose),
        )

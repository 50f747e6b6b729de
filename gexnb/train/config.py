"""``TrainingConfig``: every training setting of gexnb, each with its one default."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gexnb.errors import ParameterError

__all__ = [
    "TrainingConfig",
    "PRECISIONS",
    "DISTRIBUTIONS",
    "SHORT_EPOCH_CHECKPOINT_SECONDS",
    "PREDICT_BATCH_SIZE",
]

#: ``checkpoint_seconds`` of the notebooks whose epochs take a fraction of a second (the
#: landmark and attention-LSTM comparisons), where writing a checkpoint after every epoch
#: would cost as much as the training: at most once a minute, and at the end.
SHORT_EPOCH_CHECKPOINT_SECONDS = 60.0

#: Sequences (rows) per forward pass when gexnb predicts, recalibrates BatchNorm statistics or
#: scores a model, unless told otherwise: large enough to keep a GPU busy, small enough for
#: its memory. Inference results do not depend on it.
PREDICT_BATCH_SIZE = 2048

#: Values of :attr:`TrainingConfig.precision`.
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
#: Values of :attr:`TrainingConfig.schedule`.
SCHEDULES = (None, "one_cycle")
#: Values of :attr:`TrainingConfig.monitor`.
MONITORS = ("val_loss", "val_pearson")
#: Named values of :attr:`TrainingConfig.distribution` (a ``tf.distribute.Strategy`` works too).
DISTRIBUTIONS = ("auto", "none", "mirrored", "multiworker", "data_parallel")


@dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    """How a model is trained: the single place where every training default is stated.

    :func:`gexnb.train.fit` and the recipes (:func:`gexnb.train.train_egex`) take a
    ``config`` and keyword overrides of its fields; the notebooks build one from their
    parameters. The defaults are gexnb's own general-purpose choices (Adam at 1e-3 with MSE,
    as DREAM 2022 team Metformin-121, Rafi et al. 2024); the papers' recipes are named
    configs in :mod:`gexnb.train.recipes` and the ``paper`` profiles.

    Parameters
    ----------
    epochs, batch_size, learning_rate, loss, optimizer, momentum, decay_rate, decay_steps
        See Attributes (keyword-only, as every setting).
    early_stopping, finetune_lr_factor, precision, distribution, seed, verbose
        See Attributes.
    checkpoint_seconds, lr_scales, decay_on_rise, min_learning_rate, weight_decay
        See Attributes.
    schedule, reverse_complement, monitor
        See Attributes.

    Attributes
    ----------
    epochs
        Training epochs (a resumed run trains up to the same total). :func:`train_egex`
        also accepts three values, one per phase.
    batch_size
        Global batch size (all replicas together).
    learning_rate
        Initial learning rate.
    loss
        Keras loss (``"mse"``, ``"mae"``, or a loss object).
    optimizer
        ``"adam"``, ``"nadam"``, ``"sgd"`` or a Keras optimizer (see
        :func:`gexnb.train.make_optimizer`).
    momentum
        Momentum of ``"sgd"``.
    decay_rate, decay_steps
        Optional step decay of the learning rate (both or neither).
    early_stopping
        Patience in epochs on the monitored loss, or None.
    finetune_lr_factor
        E-GEX's end-to-end phase trains at ``learning_rate * finetune_lr_factor``.
    precision
        One of :data:`PRECISIONS`; ``"auto"`` is mixed_float16 on a GPU, else float32.
    distribution
        One of :data:`DISTRIBUTIONS` or a ``tf.distribute.Strategy``.
    seed
        Seed of Python, NumPy and the backend, or None.
    verbose
        ``"auto"`` (progress bar when interactive, one line per epoch otherwise), 0, 1 or 2.
    checkpoint_seconds
        0: checkpoints after every epoch; above 0: at most this often, and at the end.
    lr_scales
        Per-variable learning-rate factors, ``{path pattern: factor}`` (SGD only; D-GEX's
        ``W_lr_scale``, see :class:`gexnb.train.ScaledSGD`).
    decay_on_rise
        D-GEX's rule: after each epoch the MAE on a fixed sample of (up to 5,000) training
        rows is measured, and when it rose the learning rate is multiplied by this factor
        (:class:`gexnb.train.DecayOnRise`); None: off.
    min_learning_rate
        Floor of ``decay_on_rise``.
    weight_decay
        Decoupled weight decay of ``"adamw"`` (Loshchilov and Hutter 2019; LegNet's recipe).
    schedule
        None (constant rate, or the step decay) or ``"one_cycle"``: the learning rate rises
        from ``learning_rate / 25`` to ``learning_rate`` over the first 30 % of the steps and
        falls to ``learning_rate / 25e4`` by the last (Smith and Topin 2019; PyTorch's
        ``OneCycleLR`` defaults, as the DREAM 2022 winners trained), see
        :class:`gexnb.train.OneCycle`.
    reverse_complement
        Train on every sequence and its reverse complement (uint8 code inputs only; DREAM
        2022 LegNet and Prix Fixe recipes). Predict with
        ``gexnb.train.predict(..., reverse_complement=True)`` to average both strands.
    monitor
        What chooses the epoch kept (and early stopping): ``"val_loss"``, the lowest
        validation loss (the training loss without validation data), or ``"val_pearson"``,
        the highest Pearson r between the validation predictions and targets, over both
        strands as separate rows under ``reverse_complement`` (the Prix Fixe trainer of
        the DREAM 2022 winners, Rafi et al. 2024; :class:`gexnb.train.ValidationPearson`,
        logged as ``val_pearson`` and monitored as ``val_pearson_distance``, 1 - r).
    """

    epochs: int | tuple[int, ...] = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    loss: Any = "mse"
    optimizer: Any = "adam"
    momentum: float = 0.9
    decay_rate: float | None = None
    decay_steps: int | None = None
    early_stopping: int | None = None
    finetune_lr_factor: float = 0.1
    precision: str = "auto"
    distribution: Any = "auto"
    seed: int | None = None
    verbose: Any = "auto"
    checkpoint_seconds: float = 0.0
    lr_scales: Any = None
    decay_on_rise: float | None = None
    min_learning_rate: float = 0.0
    weight_decay: float = 0.0
    schedule: str | None = None
    reverse_complement: bool = False
    monitor: str = "val_loss"

    def __post_init__(self) -> None:
        _whole("batch_size", self.batch_size, minimum=1)
        _whole("early_stopping", self.early_stopping, minimum=1, none=True)
        _whole("decay_steps", self.decay_steps, minimum=1, none=True)
        _whole("seed", self.seed, minimum=0, maximum=2**32 - 1, none=True)
        reals = ("learning_rate", "momentum", "weight_decay", "min_learning_rate")
        for name in (*reals, "checkpoint_seconds", "finetune_lr_factor"):
            # PyYAML reads 1e-3 (no dot) as the text "1e-3": taken as the number it reads as
            above = name == "finetune_lr_factor"
            value = _real(name, getattr(self, name), minimum=0.0, open_minimum=above)
            object.__setattr__(self, name, value)
        if isinstance(self.verbose, (bool, np.bool_)):  # Keras takes True/False for 1/0
            object.__setattr__(self, "verbose", int(self.verbose))
        if self.momentum > 1:  # Keras: "momentum must be a float between [0, 1]", at fit
            raise ParameterError(f"momentum must be in [0, 1], got {self.momentum!r}")
        if isinstance(self.loss, str):
            _check_loss(self.loss)
        if self.verbose not in ("auto", 0, 1, 2):
            raise ParameterError(f"verbose must be 'auto', 0, 1 or 2, got {self.verbose!r}")
        if not isinstance(self.reverse_complement, (bool, np.bool_)):
            raise ParameterError(
                f"reverse_complement must be true or false, got {self.reverse_complement!r}"
            )
        object.__setattr__(self, "reverse_complement", bool(self.reverse_complement))
        if self.precision not in PRECISIONS:
            raise ParameterError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if isinstance(self.distribution, str) and self.distribution not in DISTRIBUTIONS:
            raise ParameterError(
                f"distribution must be one of {DISTRIBUTIONS} or a tf.distribute.Strategy, "
                f"got {self.distribution!r}"
            )
        if self.decay_on_rise is not None:
            _real("decay_on_rise", self.decay_on_rise, minimum=0.0, open_minimum=True)
            if float(self.decay_on_rise) > 1:
                raise ParameterError(
                    f"decay_on_rise must be in (0, 1] or None: {self.decay_on_rise!r}"
                )
        if self.decay_rate is not None:
            _real("decay_rate", self.decay_rate, minimum=0.0, open_minimum=True)
        if self.monitor not in MONITORS:
            raise ParameterError(f"monitor must be one of {MONITORS}, got {self.monitor!r}")
        if self.schedule not in SCHEDULES:
            raise ParameterError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.schedule is not None and self.decay_rate is not None:
            raise ParameterError("use either schedule or decay_rate/decay_steps, not both")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of the settings, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, Any] | None, *, base: TrainingConfig | None = None
    ) -> TrainingConfig:
        """``base`` (the defaults when None) with the settings of a mapping.

        Parameters
        ----------
        settings
            Setting name -> value (any field of the config), or None for none.
        base
            Config whose other settings are kept (default: the defaults).

        Returns
        -------
        TrainingConfig
            A new config.

        Raises
        ------
        ParameterError
            A key that is not a setting, naming the valid ones.
        """
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(cls.field_names()))
        if unknown:
            raise ParameterError(
                f"unknown training setting(s) {', '.join(unknown)}; valid: "
                f"{', '.join(cls.field_names())}"
            )
        return dataclasses.replace(base or cls(), **settings)

    def replace(self, **settings: Any) -> TrainingConfig:
        """A copy with some settings changed (unknown names refused, see :meth:`from_mapping`).

        Parameters
        ----------
        **settings
            New values of the settings, by field name.

        Returns
        -------
        TrainingConfig
            A new config; this one is unchanged.
        """
        return type(self).from_mapping(settings, base=self)

    def make_optimizer(
        self, *, learning_rate: float | None = None, total_steps: int | None = None
    ) -> Any:
        """The optimizer of this config (at ``learning_rate`` when given; ``total_steps``:
        optimizer steps of the whole training, needed by ``schedule="one_cycle"``).

        Parameters
        ----------
        learning_rate
            Initial learning rate instead of :attr:`learning_rate` (e.g. a fine-tuning
            phase's).
        total_steps
            Optimizer steps of the whole training, or None.

        Returns
        -------
        keras.optimizers.Optimizer
            From :func:`gexnb.train.make_optimizer` with this config's settings.
        """
        from gexnb.train.optimizers import make_optimizer

        return make_optimizer(
            self.optimizer,
            learning_rate=self.learning_rate if learning_rate is None else learning_rate,
            momentum=self.momentum,
            decay_rate=self.decay_rate,
            decay_steps=self.decay_steps,
            lr_scales=self.lr_scales,
            weight_decay=self.weight_decay,
            schedule=self.schedule,
            total_steps=total_steps,
        )


def _whole(
    name: str,
    value: Any,
    *,
    minimum: int,
    maximum: int | None = None,
    none: bool = False,
) -> None:
    """Refuse a setting that is not a whole number in ``[minimum, maximum]`` (None allowed
    with ``none``): ``batch_size=2.5`` was used as 2, ``seed=-1`` failed deep in NumPy."""
    if value is None and none:
        return
    try:
        whole = not isinstance(value, (bool, str)) and float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        whole = False
    bounds = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
    if not whole or int(value) < minimum or (maximum is not None and int(value) > maximum):
        raise ParameterError(
            f"{name} must be a whole number {bounds}{' or None' if none else ''}, got {value!r}"
        )


def _real(name: str, value: Any, *, minimum: float, open_minimum: bool = False) -> float:
    """``value`` as a float, refusing one that is not a finite number ``>= minimum``
    (``> minimum`` with ``open_minimum``): ``learning_rate=None`` or ``"fast"`` was a bare
    TypeError. A numeric text (``"1e-3"``, as PyYAML reads ``1e-3``) is its number."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    low = number > minimum if open_minimum else number >= minimum
    if not (math.isfinite(number) and low):
        raise ParameterError(
            f"{name} must be a finite number {'>' if open_minimum else '>='} {minimum:g}, "
            f"got {value!r}"
        )
    return number


def _check_loss(name: str) -> None:
    """Refuse a loss name Keras does not know (a bare Keras error at compile before)."""
    import keras

    from gexnb.train.losses import LOSSES

    if name in LOSSES:
        return
    try:
        keras.losses.get(name)
    except (ValueError, TypeError):
        raise ParameterError(
            f"loss: unknown loss {name!r} (a Keras loss such as 'mse', 'mae', or one of "
            f"gexnb's: {', '.join(LOSSES)})"
        ) from None

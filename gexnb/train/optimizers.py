"""One factory for the optimizers of every gexnb recipe, and per-layer learning rates."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError

__all__ = ["make_optimizer", "OPTIMIZERS", "ScaledSGD", "OneCycle", "OneCycleAdamW"]


@keras.saving.register_keras_serializable(package="gexnb")
class ScaledSGD(keras.optimizers.SGD):
    """SGD (with momentum) whose learning rate is multiplied per variable.

    pylearn2's ``W_lr_scale``, as used by D-GEX (Chen et al. 2016; the authors' ``H*_*.py``
    scripts): the weights of the upper layers learn ``lr_scale`` times faster than the rest.
    With momentum, scaling a variable's step is the same as scaling its learning rate.

    Parameters
    ----------
    lr_scales
        Variable path pattern (``fnmatch``, e.g. ``"H1/kernel"`` or ``"*outputs*/kernel"``)
        -> factor; the first matching pattern wins, variables matching none keep factor 1.
    **kwargs
        Arguments of :class:`keras.optimizers.SGD`.
    """

    def __init__(self, lr_scales: Mapping[str, float] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lr_scales = {str(k): float(v) for k, v in dict(lr_scales or {}).items()}
        self._scales: list[float] = []

    def build(self, variables: Any) -> None:
        super().build(variables)
        self._scales = [self.scale_of(v.path) for v in variables]

    def scale_of(self, path: str) -> float:
        """The factor of the variable at ``path``.

        Parameters
        ----------
        path
            The variable's path (``variable.path``, e.g. ``"H1/kernel"``).

        Returns
        -------
        float
            The factor of the first matching pattern of :attr:`lr_scales`, else 1.0.
        """
        for pattern, factor in self.lr_scales.items():
            if fnmatch.fnmatch(path, pattern):
                return factor
        return 1.0

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        scale = self._scales[self._get_variable_index(variable)] if self._scales else 1.0
        if scale != 1.0:
            learning_rate = keras.ops.multiply(learning_rate, scale)
        super().update_step(gradient, variable, learning_rate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lr_scales": dict(self.lr_scales)}


@keras.saving.register_keras_serializable(package="gexnb")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The one-cycle learning rate (Smith and Topin 2019), as PyTorch's ``OneCycleLR`` with
    its defaults and cosine annealing, used by the DREAM 2022 winners (LegNet, Prix Fixe).

    From ``max_learning_rate / div_factor`` the rate rises along a cosine to
    ``max_learning_rate`` at step ``pct_start * total_steps``, then falls along a cosine to
    ``max_learning_rate / (div_factor * final_div_factor)`` at the last step. Its
    :meth:`momentum` is the other half of PyTorch's default (``cycle_momentum=True``):
    Adam's ``beta_1`` falling from ``max_momentum`` to ``base_momentum`` while the rate
    rises, and back (:class:`OneCycleAdamW` reads it).

    Parameters
    ----------
    max_learning_rate
        The peak rate.
    total_steps
        Optimizer steps of the whole training (epochs x batches per epoch).
    pct_start, div_factor, final_div_factor
        PyTorch's names and defaults (0.3, 25, 1e4).
    base_momentum, max_momentum
        PyTorch's names and defaults (0.85, 0.95).
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
    ) -> None:
        if int(total_steps) < 2 or not 0 < float(pct_start) < 1:
            raise ParameterError(
                f"one_cycle needs total_steps >= 2 and 0 < pct_start < 1, got {total_steps}, "
                f"{pct_start}"
            )
        self.max_learning_rate = float(max_learning_rate)
        self.total_steps = int(total_steps)
        self.pct_start = float(pct_start)
        self.div_factor = float(div_factor)
        self.final_div_factor = float(final_div_factor)
        self.base_momentum = float(base_momentum)
        self.max_momentum = float(max_momentum)

    def _phases(self, step: Any, start: float, peak: float, end: float) -> Any:
        """``start`` -> ``peak`` along a cosine until ``pct_start``, then -> ``end``."""
        ops = keras.ops
        up_end = float(self.pct_start * self.total_steps) - 1.0
        down_end = float(self.total_steps) - 1.0
        step = ops.cast(step, "float32")

        def cosine(a: float, b: float, fraction: Any) -> Any:
            return b + (a - b) / 2.0 * (1.0 + ops.cos(np.pi * fraction))

        rising = cosine(start, peak, ops.clip(step / up_end, 0.0, 1.0))
        falling = cosine(peak, end, ops.clip((step - up_end) / (down_end - up_end), 0.0, 1.0))
        return ops.where(step <= up_end, rising, falling)

    def __call__(self, step: Any) -> Any:
        initial = self.max_learning_rate / self.div_factor
        final = initial / self.final_div_factor
        return self._phases(step, initial, self.max_learning_rate, final)

    def momentum(self, step: Any) -> Any:
        """Adam's ``beta_1`` at ``step``: ``max_momentum`` where the rate is lowest,
        ``base_momentum`` at its peak (PyTorch's ``cycle_momentum``).

        Parameters
        ----------
        step
            Optimizer step (0 for the first update).

        Returns
        -------
        tensor
            float32 scalar.
        """
        return self._phases(step, self.max_momentum, self.base_momentum, self.max_momentum)

    def get_config(self) -> dict[str, Any]:
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "base_momentum": self.base_momentum,
            "max_momentum": self.max_momentum,
        }


@keras.saving.register_keras_serializable(package="gexnb")
class OneCycleAdamW(keras.optimizers.AdamW):
    """AdamW whose ``beta_1`` cycles with its :class:`OneCycle` learning rate.

    PyTorch's ``OneCycleLR`` cycles the momentum by default (``cycle_momentum=True``), and for
    Adam the momentum is ``beta_1``: 0.95 at the start and end, 0.85 at the learning rate's
    peak. The DREAM 2022 winners trained so (autosome.org's LegNet ``train.py`` and the Prix
    Fixe ``prixfixe/autosome/trainer.py``, Rafi et al., Nat Biotechnol 2024); Keras's Adam
    keeps ``beta_1`` fixed. The update is Adam's with the step's ``beta_1`` in the moment and
    in its bias correction (``1 - beta_1 ** t``, as PyTorch's ``AdamW`` computes it with the
    current ``beta_1``), and Keras's decoupled weight decay. ``epsilon`` defaults to
    PyTorch's 1e-8 (Keras: 1e-7).

    Parameters
    ----------
    learning_rate
        A :class:`OneCycle` (its :meth:`OneCycle.momentum` gives ``beta_1``), or any rate
        (``beta_1`` then stays fixed, as in ``keras.optimizers.AdamW``).
    epsilon
        Added to the root of the second moment.
    **kwargs
        Arguments of :class:`keras.optimizers.AdamW` (``weight_decay``, ``beta_2``, ...).
    """

    def __init__(self, learning_rate: Any = 0.001, epsilon: float = 1e-8, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, epsilon=epsilon, **kwargs)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        ops = keras.ops
        schedule = self._learning_rate
        beta_1_now = (
            schedule.momentum(self.iterations) if isinstance(schedule, OneCycle) else self.beta_1
        )
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        beta_1 = ops.cast(beta_1_now, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        alpha = lr * ops.sqrt(1 - ops.power(beta_2, step)) / (1 - ops.power(beta_1, step))
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        self.assign_sub(
            variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon))
        )


#: Optimizer names :func:`make_optimizer` accepts.
OPTIMIZERS = ("adam", "adamw", "nadam", "sgd")


def make_optimizer(
    optimizer: Any = "adam",
    *,
    learning_rate: float = 1e-3,
    momentum: float = 0.9,
    decay_rate: float | None = None,
    decay_steps: int | None = None,
    lr_scales: Mapping[str, float] | None = None,
    weight_decay: float = 0.0,
    schedule: str | None = None,
    total_steps: int | None = None,
) -> Any:
    """A Keras optimizer by name, with an optional step decay of the learning rate.

    ``"adam"`` (Adam, the recipe of DREAM 2022 team Metformin-121, Rafi et al. 2024),
    ``"nadam"`` (Nadam, the TAAF demonstrator of Kunc and Klema) or ``"sgd"`` (SGD with
    ``momentum``, D-GEX of Chen et al. 2016). With ``decay_rate`` and ``decay_steps`` the
    learning rate is multiplied by ``decay_rate`` every ``decay_steps`` optimizer steps
    (``keras.optimizers.schedules.ExponentialDecay(staircase=True)``, a step decay).

    Parameters
    ----------
    optimizer
        A name of :data:`OPTIMIZERS` (any case) or a Keras optimizer, returned as is.
    learning_rate, momentum
        Initial learning rate; momentum of ``"sgd"``.
    decay_rate, decay_steps
        Step decay (both or neither).
    lr_scales
        Per-variable learning-rate factors (``"sgd"`` only; see :class:`ScaledSGD`).
    weight_decay
        Decoupled weight decay of ``"adamw"`` (Loshchilov and Hutter 2019).
    schedule, total_steps
        ``"one_cycle"`` (:class:`OneCycle` peaking at ``learning_rate``) over ``total_steps``;
        with ``"adam"`` or ``"adamw"`` the optimizer is a :class:`OneCycleAdamW`, whose
        ``beta_1`` cycles as PyTorch's ``OneCycleLR`` cycles it (``"sgd"`` and ``"nadam"``
        keep a fixed momentum: a departure from PyTorch, where SGD's momentum cycles too).

    Returns
    -------
    keras.optimizers.Optimizer
        A new optimizer (:class:`ScaledSGD` with ``lr_scales``), or ``optimizer`` itself when
        it is not a name.

    Raises
    ------
    ParameterError
        On an unknown name, a negative or NaN learning rate, a momentum outside [0, 1], or
        an incomplete or invalid decay.
    """
    if not isinstance(optimizer, str):
        return optimizer
    for name, value, low, high in (("learning_rate", learning_rate, 0.0, np.inf),
                                   ("momentum", momentum, 0.0, 1.0)):  # fmt: skip
        if not low <= float(value) <= high:  # NaN too; Keras took a negative rate
            raise ParameterError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")
    lr: Any = float(learning_rate)
    if (decay_rate is None) != (decay_steps is None):
        raise ParameterError("step decay needs both decay_rate and decay_steps (or neither)")
    if decay_rate is not None and decay_steps is not None:  # both or neither (checked above)
        if not 0 < float(decay_rate) <= 1 or int(decay_steps) < 1:
            raise ParameterError(
                f"decay_rate must be in (0, 1] and decay_steps >= 1, got {decay_rate}, "
                f"{decay_steps}"
            )
        lr = keras.optimizers.schedules.ExponentialDecay(
            float(learning_rate), int(decay_steps), float(decay_rate), staircase=True
        )
    if schedule == "one_cycle":
        if total_steps is None:
            raise ParameterError("schedule='one_cycle' needs the number of training steps")
        lr = OneCycle(float(learning_rate), int(total_steps))
    elif schedule is not None:
        raise ParameterError(f"schedule must be None or 'one_cycle', got {schedule!r}")
    name = optimizer.lower()
    if lr_scales:
        if name != "sgd":
            raise ParameterError(f"lr_scales needs optimizer 'sgd', not {optimizer!r}")
        return ScaledSGD(lr_scales, learning_rate=lr, momentum=float(momentum))
    if name in ("adam", "adamw") and isinstance(lr, OneCycle):  # beta_1 cycles, as PyTorch's
        wd = float(weight_decay) if name == "adamw" else 0.0
        return OneCycleAdamW(learning_rate=lr, weight_decay=wd)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=float(weight_decay))
    if name == "nadam":
        return keras.optimizers.Nadam(learning_rate=lr)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=float(momentum))
    raise ParameterError(
        f"optimizer must be one of {', '.join(OPTIMIZERS)} or a keras optimizer: {optimizer!r}"
    )

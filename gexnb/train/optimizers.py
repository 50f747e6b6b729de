"""One factory for the optimizers of every gexnb recipe."""

from __future__ import annotations

from typing import Any

import keras

from gexnb.errors import ParameterError

__all__ = ["make_optimizer", "OPTIMIZERS"]

#: Optimizer names :func:`make_optimizer` accepts.
OPTIMIZERS = ("adam", "nadam", "sgd")


def make_optimizer(
    optimizer: Any = "adam",
    *,
    learning_rate: float = 1e-3,
    momentum: float = 0.9,
    decay_rate: float | None = None,
    decay_steps: int | None = None,
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

    Raises
    ------
    ParameterError
        On an unknown name or an incomplete or invalid decay.
    """
    if not isinstance(optimizer, str):
        return optimizer
    lr: Any = float(learning_rate)
    if (decay_rate is None) != (decay_steps is None):
        raise ParameterError("step decay needs both decay_rate and decay_steps (or neither)")
    if decay_rate is not None:
        if not 0 < float(decay_rate) <= 1 or int(decay_steps) < 1:
            raise ParameterError(
                f"decay_rate must be in (0, 1] and decay_steps >= 1, got {decay_rate}, "
                f"{decay_steps}"
            )
        lr = keras.optimizers.schedules.ExponentialDecay(
            float(learning_rate), int(decay_steps), float(decay_rate), staircase=True
        )
    name = optimizer.lower()
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "nadam":
        return keras.optimizers.Nadam(learning_rate=lr)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=float(momentum))
    raise ParameterError(
        f"optimizer must be 'adam', 'nadam', 'sgd' or a keras optimizer: {optimizer!r}"
    )

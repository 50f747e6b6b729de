"""Checks of model hyperparameters shared by the zoo's builders (sizes, counts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gexnb.checks import is_whole
from gexnb.errors import ParameterError

__all__ = ["check_int", "check_sizes", "check_layer_widths", "check_fraction", "check_activation"]


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int, or :class:`ParameterError` if not an integer ``>= minimum``.

    Parameters
    ----------
    name
        The hyperparameter, named in the message.
    value
        Its value: a Python or NumPy integer, or a whole float (``64.0`` from a YAML or
        JSON file); not a bool, a fraction (``2.5``) or a string.
    minimum
        The smallest allowed value.

    Returns
    -------
    int
        ``value``.
    """
    if not is_whole(value) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_sizes(name: str, values: Any, min_len: int = 1) -> tuple[int, ...]:
    """A sequence of positive ints as a tuple, or :class:`ParameterError`.

    Parameters
    ----------
    name
        The hyperparameter (a list of layer widths), named in the message.
    values
        A sequence (not a string) or a 1-D array of integers ``>= 1``.
    min_len
        The fewest entries allowed.

    Returns
    -------
    tuple of int
        ``values``.
    """
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ParameterError(f"{name} must be a sequence of positive integers, got {values!r}")
    if len(values) < min_len:
        raise ParameterError(f"{name} needs at least {min_len} entries, got {list(values)!r}")
    return tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(values))


def check_layer_widths(name: str, values: Any) -> tuple[int, ...]:
    """:func:`check_sizes` of a builder's layer widths; one integer is one layer.

    Parameters
    ----------
    name
        The hyperparameter (``hidden``, ``units``), named in the message.
    values
        An integer or a sequence of integers ``>= 1`` (``"64"`` is refused: it was read as
        layers of 6 and 4 units).

    Returns
    -------
    tuple of int
        The widths.
    """
    if isinstance(values, (int, np.integer, float, np.floating)) and not isinstance(values, bool):
        values = (values,)
    return check_sizes(name, values, min_len=0)


def check_fraction(name: str, value: Any) -> float:
    """``value`` as a float in ``[0, 1)`` (a dropout rate), or :class:`ParameterError`.

    Parameters
    ----------
    name
        The hyperparameter, named in the message.
    value
        Its value (NaN, strings and None are refused).

    Returns
    -------
    float
        ``value``.
    """
    try:
        rate = float(value) if not isinstance(value, (bool, str)) else float("nan")
    except (TypeError, ValueError):
        rate = float("nan")
    if not 0.0 <= rate < 1.0:  # NaN too
        raise ParameterError(f"{name} must be in [0, 1), got {value!r}")
    return rate


def check_activation(name: str, value: Any) -> None:
    """Refuse an activation Keras does not know, naming the hyperparameter.

    Parameters
    ----------
    name
        The hyperparameter (``activation``, ``output_activation``).
    value
        A Keras activation name or callable.
    """
    import keras

    try:
        keras.activations.get(value)
    except (ValueError, TypeError):
        raise ParameterError(f"{name}: unknown activation {value!r}") from None

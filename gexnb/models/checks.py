"""Checks of model hyperparameters shared by the zoo's builders (sizes, counts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gexnb.errors import ParameterError

__all__ = ["check_int", "check_sizes"]


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int, or :class:`ParameterError` if not an integer ``>= minimum``.

    Parameters
    ----------
    name
        The hyperparameter, named in the message.
    value
        Its value: a Python or NumPy integer (not a bool, a float or a string).
    minimum
        The smallest allowed value.

    Returns
    -------
    int
        ``value``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_sizes(name: str, values: Any, min_len: int = 1) -> tuple[int, ...]:
    """A sequence of positive ints as a tuple, or :class:`ParameterError`.

    Parameters
    ----------
    name
        The hyperparameter (a list of layer widths), named in the message.
    values
        A sequence (not a string) of integers ``>= 1``.
    min_len
        The fewest entries allowed.

    Returns
    -------
    tuple of int
        ``values``.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ParameterError(f"{name} must be a sequence of positive integers, got {values!r}")
    if len(values) < min_len:
        raise ParameterError(f"{name} needs at least {min_len} entries, got {list(values)!r}")
    return tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(values))

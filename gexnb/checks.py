"""Checks of argument values shared by every layer of gexnb (no heavy imports)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_whole"]


def is_whole(value: Any) -> bool:
    """Whether ``value`` is a whole number: a Python or NumPy integer, or a finite float with
    no fractional part (``64.0`` from a YAML or JSON file); never a bool or a string.

    Parameters
    ----------
    value
        The argument to check.

    Returns
    -------
    bool
        True for ``3``, ``np.int64(3)``, ``3.0``; False for ``2.5``, ``True``, ``"3"``, NaN.
    """
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and bool(np.isfinite(value))
        and int(value) == value
    )

"""Helpers shared by the expression modules."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gexnb.errors import InputError, ParameterError


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r} is not one of {list(allowed)}")
    return value


def _require_frame(frame: Any, name: str = "expression") -> pd.DataFrame:
    """Refuse anything but a DataFrame where gene names (columns) and sample ids are needed.

    Parameters
    ----------
    frame
        The argument to check.
    name
        Its name in the message.

    Returns
    -------
    pandas.DataFrame
        ``frame``.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame (an array has no gene names).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{name} must be a pandas DataFrame (samples x genes), got {type(frame).__name__}"
        )
    return frame


def _non_numeric_column(frame: pd.DataFrame, name: str = "expression") -> InputError | None:
    """The error naming the first column of ``frame`` that holds a value that is not a number
    (a text column: sample annotations, gene symbols), or None when every column is numeric.

    Parameters
    ----------
    frame
        Samples x genes matrix.
    name
        Its name in the message.

    Returns
    -------
    InputError or None
        The error to raise (not raised here).
    """
    for pos in range(frame.shape[1]):
        column = frame.iloc[:, pos]
        if pd.api.types.is_numeric_dtype(column.dtype):
            continue
        numbers = pd.to_numeric(column, errors="coerce")
        bad = numbers.isna() & column.notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            return InputError(
                f"{name}: column {frame.columns[pos]!r} holds a value that is not a number "
                f"({column.iloc[row]!r} in row {frame.index[row]!r})"
            )
    return None


def _whole_number(value: Any, name: str) -> int:
    """``value`` as an int; ParameterError for a fraction, a bool or a non-number.

    Parameters
    ----------
    value
        The argument (an int, or a float with no fractional part).
    name
        Its name in the message.

    Returns
    -------
    int
        ``value``.

    Raises
    ------
    ParameterError
        ``value`` is not a whole number.
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(f"{name} must be a whole number, got {value!r}") from None
    if number != value:
        raise ParameterError(f"{name} must be a whole number, got {value!r}")
    return number


def _preview(items: Sequence[Any], k: int = 10) -> str:
    items = list(items)
    shown = ", ".join(str(x) for x in items[:k])
    return shown + (f", ... ({len(items)} in all)" if len(items) > k else "")


def _require_file(path: Path, not_found: str = "file not found") -> None:
    """Refuse a path that is not a readable regular file, saying what it is instead.

    Parameters
    ----------
    path
        The file to read.
    not_found
        The message when nothing is at ``path``.

    Raises
    ------
    InputError
        ``path`` is a directory, a symbolic link loop, a broken symbolic link or missing.
    """
    if path.is_file():
        return
    if path.is_dir():
        raise InputError("is a directory, not a file: give the file inside it", path=path)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                "symbolic link loop (the link, or a folder on its path, leads back to itself): "
                "point it at the real file",
                path=path,
            ) from None
    if path.is_symlink():
        raise InputError(
            f"{not_found} (a broken symbolic link to {os.readlink(path)!r})", path=path
        )
    if path.exists():
        raise InputError("is not a regular file (a device, pipe or socket?)", path=path)
    raise InputError(not_found, path=path)

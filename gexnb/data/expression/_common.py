"""Helpers shared by the expression modules."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gexnb.errors import InputError, ParameterError


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r} is not one of {list(allowed)}")
    return value


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

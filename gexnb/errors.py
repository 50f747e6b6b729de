"""Exceptions raised by gexnb for bad input, each naming what was wrong and where."""

from __future__ import annotations

import os

__all__ = ["GexnbError", "InputError", "ParameterError"]


class GexnbError(Exception):
    """Base class of every error gexnb raises on purpose."""


class InputError(GexnbError, ValueError):
    """Bad input data: the message names the file, line or gene and the problem.

    Parameters
    ----------
    message
        What is wrong.
    path
        File the problem was found in, if any (kept as text).
    line
        1-based line number in ``path``, if known.
    """

    def __init__(
        self, message: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None
    ):
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class ParameterError(GexnbError, ValueError):
    """A notebook or function parameter that is unknown or out of range."""

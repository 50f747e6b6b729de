"""Exceptions raised by gexnb for bad input, each naming what was wrong and where."""

from __future__ import annotations

import os

__all__ = ["GexnbError", "InputError", "ParameterError"]


class GexnbError(Exception):
    """Base class of every error gexnb raises on purpose.

    In IPython (JupyterLab, a papermill run) the error is shown as its one line, which names
    what was wrong and where, without the traceback through gexnb's code: a notebook's cell
    output, and plain papermill's report of the failed cell, read ``ParameterError:
    parameter 'length' expects int, got 'abc' (str)``. ``%xmode Verbose`` brings the
    traceback back (``%tb`` then prints it).
    """

    def _render_traceback_(self) -> list[str]:
        """IPython's display of the error (its hook for exceptions that render themselves).

        Returns
        -------
        list of str
            ``["<class name>: <message>"]``; under ``%xmode Verbose``, IPython's traceback.
        """
        try:
            from IPython import get_ipython
        except ImportError:  # not called outside IPython; kept safe anyway
            shell = None
        else:
            shell = get_ipython()
        formatter = getattr(shell, "InteractiveTB", None)
        if formatter is not None and getattr(formatter, "mode", "") == "Verbose":
            stb: list[str] = formatter.structured_traceback(type(self), self, self.__traceback__)
            return stb
        return [f"{type(self).__name__}: {self}"]


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

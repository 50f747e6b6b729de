"""Exceptions raised by gexnb for bad input, each naming what was wrong and where."""

from __future__ import annotations

import os
from types import TracebackType

__all__ = ["GexnbError", "InputError", "ParameterError"]


class GexnbError(Exception):
    """Base class of every error gexnb raises on purpose.

    In IPython (JupyterLab, a papermill run) the error is shown as its one line, which names
    what was wrong and where, without the traceback through gexnb's code, followed by the
    line of the cell that raised it and the error it was raised from, if any: a notebook's
    cell output, and plain papermill's report of the failed cell, read ``ParameterError:
    parameter 'length' expects int, got 'abc' (str)`` then ``  in the cell, line 15: out =
    begin_run(...)``. ``%xmode Verbose`` brings the traceback back (``%tb`` then prints it).
    """

    def _render_traceback_(self) -> list[str]:
        """IPython's display of the error (its hook for exceptions that render themselves).

        Returns
        -------
        list of str
            ``"<class name>: <message>"``, then the cell's line and the cause when known;
            under ``%xmode Verbose``, IPython's traceback.
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
        shown = [f"{type(self).__name__}: {self}"]
        cell = _cell_line(self.__traceback__)
        if cell:
            shown.append(cell)
        if self.__cause__ is not None:
            shown.append(f"  raised from {type(self.__cause__).__name__}: {self.__cause__}")
        return shown


def _cell_line(tb: TracebackType | None) -> str:
    """``  in the cell, line N: <code>`` for the last frame of ``tb`` in a notebook cell
    (IPython names a cell's code ``.../ipykernel_<pid>/<hash>.py`` or ``<ipython-input-...>``
    and keeps its text for :mod:`linecache`); ``""`` when none is."""
    import linecache
    import re

    found = ""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if re.search(r"[/\\]ipykernel_\d+[/\\]\d+\.py$|^<ipython-input-", name):
            code = linecache.getline(name, tb.tb_lineno).strip()
            found = f"  in the cell, line {tb.tb_lineno}" + (f": {code}" if code else "")
        tb = tb.tb_next
    return found


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

"""Figure helpers shared by every plotting submodule.

Single-panel plot functions take ``ax=``: given an axes they draw on it (the caller owns the
figure and its layout), otherwise they make a new figure in the gexnb style. Multi-panel
figures (box-plot grids, viewers, logos) always make their own figure. Every plot function
returns the figure; :func:`show_figure` saves it, shows it in a notebook and closes it, the
one call the notebooks use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib

if not os.environ.get("MPLBACKEND") and not os.environ.get("JPY_PARENT_PID"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gexnb.errors import InputError, ParameterError  # noqa: E402
from gexnb.io import atomic_path  # noqa: E402

__all__ = ["save_figure", "new_figure", "figure_axes", "show_figure"]


def check_not_empty(size: int, what: str) -> None:
    """InputError ``nothing to plot: <what> is empty`` when ``size`` is 0.

    Parameters
    ----------
    size
        Number of items (values, rows, models) there are to draw.
    what
        Name of the argument in the message.

    Raises
    ------
    InputError
        ``size`` is 0.
    """
    if size == 0:
        raise InputError(f"nothing to plot: {what} is empty")


def check_same_length(**arrays: Any) -> None:
    """InputError naming the arguments when the sized objects given do not have one length.

    Parameters
    ----------
    **arrays
        Argument name -> values paired element by element (e.g. ``y_true``, ``y_pred``).

    Raises
    ------
    InputError
        Two lengths differ.
    """
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise InputError(f"{listed} values; they must be paired one to one")


def plot_values(values: Any, what: str, *, ndim: int | None = None) -> np.ndarray:
    """``values`` as a float array, refused when empty, of the wrong rank or all NaN.

    Parameters
    ----------
    values
        Numbers to draw.
    what
        Name of the argument in the messages.
    ndim
        Required number of dimensions, or None for any.

    Returns
    -------
    numpy.ndarray
        float64 array of ``values``.

    Raises
    ------
    InputError
        Wrong rank, no value at all, or no finite value.
    """
    arr = np.asarray(values, dtype=float)
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{what} must be a {ndim}-D array, got shape {arr.shape}")
    check_not_empty(arr.size, what)
    if not np.isfinite(arr).any():
        raise InputError(f"nothing to plot: {what} has no finite value (all NaN or infinite)")
    return arr


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 5.0, height: float = 4.0, **kwargs: Any
) -> Any:
    """Return ``(figure, axes)`` in the gexnb style (seaborn ``ticks`` theme); ``kwargs`` go
    to ``matplotlib.pyplot.subplots``.

    Parameters
    ----------
    ncols, nrows
        Number of panel columns and rows.
    width, height
        Size of one panel in inches (the figure is ``width * ncols`` x ``height * nrows``).
    **kwargs
        Passed to ``matplotlib.pyplot.subplots`` (e.g. ``layout="tight"``, ``sharex=True``).

    Returns
    -------
    figure, axes
        The :class:`matplotlib.figure.Figure` and a 2-D array ``(nrows, ncols)`` of its axes
        (also for a single panel).
    """
    sns.set_theme(style="ticks", context="notebook")
    size = (width * ncols, height * nrows)
    return plt.subplots(nrows, ncols, figsize=size, squeeze=False, **kwargs)


def figure_axes(ax: Any = None, *, width: float = 5.0, height: float = 4.0) -> tuple[Any, Any]:
    """Return ``(figure, axes)`` a single-panel plot draws on: ``ax`` and its figure when
    given (its figure's layout is the caller's), else a new ``width`` x ``height`` inch
    figure from :func:`new_figure` with matplotlib's tight layout.

    Parameters
    ----------
    ax
        Axes to draw on, or None for a new figure.
    width, height
        Size of the new figure in inches (ignored when ``ax`` is given).

    Returns
    -------
    figure, axes
        The figure and the single axes to draw on.
    """
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(width=width, height=height, layout="tight")
    return fig, axes[0, 0]


def show_figure(figure: Any, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Save ``figure`` as PNG (:func:`save_figure`), display it when running under IPython,
    close it (so it is not drawn twice) and return the path.

    Parameters
    ----------
    figure
        A matplotlib figure.
    path
        PNG file to write.
    dpi
        Resolution in dots per inch.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ParameterError
        ``figure`` is not a matplotlib figure (see :func:`save_figure`).
    """
    target = save_figure(figure, path, dpi=dpi)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebooks
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(figure)
    plt.close(figure)
    return target


def save_figure(figure: Any, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Save ``figure`` as PNG atomically (temporary name, then rename) and return the path.

    Parameters
    ----------
    figure
        A matplotlib figure; saved with ``bbox_inches="tight"``.
    path
        PNG file to write (PNG whatever its extension).
    dpi
        Resolution in dots per inch.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ParameterError
        ``figure`` is not a matplotlib figure (e.g. None).
    """
    if not isinstance(figure, Figure):
        raise ParameterError(
            f"figure must be a matplotlib Figure (what the gexnb.plot functions return), "
            f"got {type(figure).__name__}"
        )
    target = Path(path)
    with atomic_path(target) as tmp:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return target

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
import seaborn as sns  # noqa: E402

from gexnb.io import atomic_path  # noqa: E402

__all__ = ["save_figure", "new_figure", "figure_axes", "show_figure"]


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
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return target

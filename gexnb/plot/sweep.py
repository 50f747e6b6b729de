"""Figure of a parameter sweep (``gexnb sweep``): the main metric against each swept value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import seaborn as sns

from gexnb.plot.common import new_figure

__all__ = ["sweep_figure"]


def sweep_figure(
    table: pd.DataFrame, swept: Sequence[str], metric: str, *, lower_is_better: bool = True
) -> Any:
    """One panel per swept parameter: ``metric`` of every point (dots) and their mean per
    value (line), values in the order of the grid; failed points are left out.

    Parameters
    ----------
    table
        ``sweep.csv`` as a frame (columns: the swept parameters, ``status``, the metrics).
    swept
        The swept parameter names.
    metric
        Metric column, e.g. ``dgex/test/mae``.
    lower_is_better
        Said on the y axis.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per swept parameter.
    """
    done = table[table[metric].notna()].copy()
    fig, axes = new_figure(len(swept), width=4.0, height=3.5)
    for ax, name in zip(axes[0], swept, strict=True):
        order = list(dict.fromkeys(done[name].astype(str)))
        done[f"{name} "] = done[name].astype(str)
        sns.stripplot(data=done, x=f"{name} ", y=metric, order=order, ax=ax, color="#1f77b4",
                      size=6, jitter=0.05)  # fmt: skip
        sns.pointplot(data=done, x=f"{name} ", y=metric, order=order, ax=ax, color="black",
                      errorbar=None, markers="_")  # fmt: skip
        ax.set_xlabel(name)
        ax.set_ylabel(metric.rsplit("/", 1)[-1] if ax is axes[0][0] else "")
    direction = "lower" if lower_is_better else "higher"
    fig.suptitle(f"Sweep: {metric}, {direction} is better ({len(done)} runs)")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig

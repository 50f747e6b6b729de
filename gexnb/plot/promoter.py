"""Figures of notebook 02 (DREAM 2022 promoter -> expression, Metformin-121 BiGRU)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError
from gexnb.plot.common import check_same_length, figure_axes, plot_values

__all__ = [
    "learning_curves",
    "predicted_vs_measured",
    "error_by_expression",
    "attention_profile",
    "data_efficiency",
]


def learning_curves(
    history: Mapping[str, Sequence[float]], *, title: str = "", ax: Any = None
) -> Any:
    """Training and validation loss per epoch (``history`` from :func:`gexnb.train.fit`),
    whole-number epoch ticks, and the best epoch (lowest validation loss, the weights kept)
    marked.

    Parameters
    ----------
    history
        ``loss`` and ``val_loss`` per epoch; a missing or empty key is not drawn.
    title
        Title of the axes (default: "Learning curves").
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    InputError
        Nothing to plot: no ``loss`` or ``val_loss`` value, or every one NaN or infinite (a
        run that diverged). When only the validation loss is all NaN, no best epoch is
        marked.
    """
    from matplotlib.ticker import MaxNLocator

    drawn = [k for k in ("loss", "val_loss") if k in history and len(history[k])]
    if not drawn:
        raise InputError("nothing to plot: history has no loss or val_loss values")
    if not any(np.isfinite(np.asarray(history[k], dtype=float)).any() for k in drawn):
        raise InputError(
            f"nothing to plot: every {' and '.join(drawn)} value in history is NaN or infinite "
            "(the training diverged?)"
        )
    fig, ax = figure_axes(ax)
    for key in drawn:
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], marker="o", label=key.replace("val_", "validation "))
    monitored = history.get("val_loss") or history.get("loss") or []
    if np.isfinite(np.asarray(monitored, dtype=float)).any():
        best = int(np.nanargmin(monitored)) + 1
        ax.axvline(best, color="grey", ls="--", lw=1, label=f"best epoch ({best}, kept)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MSE, normalised target)")
    ax.set_title(title or "Learning curves")
    ax.legend()
    return fig


#: Below this many points, :func:`predicted_vs_measured` draws a scatter, not a hexbin.
SCATTER_MAX_POINTS = 3000


def predicted_vs_measured(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    title: str = "",
    gridsize: int = 40,
    ax: Any = None,
) -> Any:
    """Predicted against measured expression with the Pearson r in the title: a scatter up
    to :data:`SCATTER_MAX_POINTS` points, a hexbin of densities above.

    Parameters
    ----------
    y_true, y_pred
        Measured and predicted expression, one value per sequence.
    title
        Start of the title (the Pearson r is appended).
    gridsize
        Hexagons across the x axis of the hexbin.
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    InputError
        ``y_true`` and ``y_pred`` of different lengths, empty, or without a finite value.
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    check_same_length(y_true=y_true, y_pred=y_pred)
    plot_values(y_true, "y_true")
    plot_values(y_pred, "y_pred")
    fig, ax = figure_axes(ax)
    if len(y_true) <= SCATTER_MAX_POINTS:
        ax.scatter(y_true, y_pred, s=10, alpha=0.6, color="#1f77b4", edgecolors="none")
    else:
        hb = ax.hexbin(y_true, y_pred, gridsize=gridsize, mincnt=1, cmap="viridis")
        fig.colorbar(hb, ax=ax, label="sequences")
    with np.errstate(invalid="ignore", divide="ignore"):  # constant values: r undefined
        r = np.corrcoef(y_true, y_pred)[0, 1] if len(y_true) > 1 else float("nan")
    ax.set_xlabel("measured expression")
    ax.set_ylabel("predicted expression")
    ax.set_title(f"{title} (Pearson r = {r:.3f})".strip())
    return fig


def error_by_expression(
    y_true: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    *,
    bins: int = 8,
    ax: Any = None,
) -> Any:
    """Mean absolute error per bin of measured expression (quantile bins), one line per model.

    Parameters
    ----------
    y_true
        Measured expression, one value per sequence.
    predictions
        Model name -> predictions aligned with ``y_true``.
    bins
        Number of quantile bins (fewer when quantiles coincide).
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    InputError
        ``y_true`` empty or with NaN or infinite values (the bins are its quantiles), no
        model in ``predictions``, or a model's predictions not one per value of ``y_true``.
    ParameterError
        ``bins`` < 1.
    """
    if isinstance(bins, bool) or int(bins) != bins or bins < 1:
        raise ParameterError(f"bins must be a whole number >= 1, got {bins!r}")
    bins = int(bins)
    y_true = plot_values(y_true, "y_true")
    if not np.isfinite(y_true).all():
        first = int(np.flatnonzero(~np.isfinite(y_true))[0])
        raise InputError(f"y_true is NaN or infinite at index {first}")
    if not predictions:
        raise InputError("nothing to plot: predictions is empty (no model)")
    for name, pred in predictions.items():
        check_same_length(y_true=y_true, **{f"predictions[{name!r}]": np.asarray(pred)})
    edges = np.unique(np.quantile(y_true, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, y_true, side="right") - 1, 0, len(edges) - 2)
    centres = [(edges[i] + edges[i + 1]) / 2 for i in range(len(edges) - 1)]
    fig, ax = figure_axes(ax)
    for name, pred in predictions.items():
        err = np.abs(np.asarray(pred, float) - y_true)
        mae = pd.Series(err).groupby(which).mean().reindex(range(len(centres)))
        ax.plot(centres, mae.to_numpy(), marker="o", label=name)
    ax.set_xlabel("measured expression (bin centre)")
    ax.set_ylabel("mean absolute error")
    ax.set_title("Error by expression level")
    ax.legend()
    return fig


def attention_profile(
    weights: np.ndarray,
    *,
    planted: Mapping[str, np.ndarray] | None = None,
    title: str = "Mean attention by position",
    ax: Any = None,
) -> Any:
    """Mean attention weight per sequence position; planted motif starts as a histogram.

    Parameters
    ----------
    weights
        ``(n, length)`` attention weights.
    planted
        Motif name -> start position per sequence (-1 absent), e.g. from
        :func:`gexnb.data.synthetic.planted_positions`; drawn as motif-start densities.
    title
        Title of the axes.
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    InputError
        ``weights`` not 2-D, without rows or positions, or all NaN.
    """
    weights = plot_values(weights, "weights", ndim=2)
    fig, ax = figure_axes(ax, width=8.0)
    ax.plot(np.arange(weights.shape[1]), weights.mean(axis=0), color="black", label="attention")
    ax.axhline(1.0 / weights.shape[1], color="grey", ls=":", label="uniform")
    ax.set_xlabel("position (left-padded)")
    ax.set_ylabel("mean attention weight")
    if planted:
        twin = ax.twinx()
        for name, starts in planted.items():
            starts = np.asarray(starts)
            starts = starts[starts >= 0]
            if starts.size:
                twin.hist(starts, bins=np.arange(0, weights.shape[1] + 1, 2), alpha=0.3,
                          label=f"{name} start")  # fmt: skip
        twin.set_ylabel("planted motif starts")
        handles = ax.get_legend_handles_labels()
        extra = twin.get_legend_handles_labels()
        ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper center",
                  bbox_to_anchor=(0.5, -0.18), ncol=5, frameon=False)  # fmt: skip
    else:
        ax.legend(loc="upper left")
    ax.set_title(title)
    return fig


def data_efficiency(
    table: pd.DataFrame, *, scored_on: str = "test", title: str = "", ax: Any = None
) -> Any:
    """Pearson r against the number of training sequences, one line per model: the mean over
    seeds with +-1 standard deviation bars (``table`` of
    :func:`gexnb.pipelines.efficiency.curve`: ``model``, ``n_train``, ``pearson``, ``seed``);
    logarithmic x axis.

    Parameters
    ----------
    table
        One row per model, training size and seed (columns above); empty: a placeholder
        figure.
    scored_on
        Split the Pearson r was computed on, named on the y axis.
    title
        Title of the axes (default: says the number of seeds).
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    import seaborn as sns

    fig, ax = figure_axes(ax, width=6.5)
    if table.empty:
        ax.text(0.5, 0.5, "no data-efficiency curve", ha="center", va="center")
        ax.set_axis_off()
        return fig
    sns.lineplot(data=table, x="n_train", y="pearson", hue="model", marker="o",
                 errorbar="sd", err_style="bars", ax=ax)  # fmt: skip
    ax.set_xscale("log")
    sizes = sorted(table["n_train"].unique())
    ax.set_xticks(sizes, [f"{int(n):,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training sequences (log scale)")
    ax.set_ylabel(f"Pearson r, {scored_on}")
    seeds = int(table["seed"].nunique())
    ax.set_title(title or f"Data efficiency (mean +- sd over {seeds} seed(s))")
    return fig

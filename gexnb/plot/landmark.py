"""Figures of notebook 03 (landmark -> target genes): per-gene errors and learning curves.

D-GEX (Chen et al., *Bioinformatics* 2016) compares models through the distribution of the
per-gene mean absolute error and a per-gene scatter of each model against linear regression;
these functions draw the same views from :func:`gexnb.pipelines.landmark.run_landmark_comparison`
results. Each returns a ``matplotlib.figure.Figure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns

from gexnb.errors import InputError
from gexnb.plot.common import figure_axes, new_figure

__all__ = ["per_gene_mae_distribution", "per_gene_scatter", "landmark_learning_curves"]


def per_gene_mae_distribution(
    per_gene: Mapping[str, Mapping[str, pd.Series]], *, split: str = "test", ax: Any = None
) -> Any:
    """Box plot of the per-gene MAE of every model on ``split`` (D-GEX, Fig. 3 style).

    Parameters
    ----------
    per_gene
        ``model -> split -> Series`` of per-gene MAE (``ComparisonResult.per_gene``).
    split
        Split to show (``test``, ``val``, ``cross`` or ``loso_<study>``).
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    InputError
        Nothing to plot: no model has per-gene MAE for ``split``.
    """
    frames = [
        pd.DataFrame({"model": name, "mae": np.asarray(by[split], dtype=float)})
        for name, by in per_gene.items()
        if split in by
    ]
    if not frames:
        has = sorted({str(s) for by in per_gene.values() for s in by})
        raise InputError(
            f"nothing to plot: no model has per-gene MAE for split {split!r}"
            + (f" (splits present: {', '.join(has)})" if has else " (per_gene is empty)")
        )
    fig, ax = figure_axes(ax, width=max(5.0, 1.1 * len(frames) + 2), height=4.0)
    data = pd.concat(frames, ignore_index=True)
    sns.boxplot(data=data, x="model", y="mae", hue="model", ax=ax, showfliers=False)
    ax.tick_params(axis="x", rotation=30)
    ax.set_ylabel("per-gene MAE")
    ax.set_title(f"Per-gene MAE ({split})")
    return fig


def per_gene_scatter(
    per_gene: Mapping[str, Mapping[str, pd.Series]],
    *,
    split: str = "test",
    baseline: str = "linear",
    max_cols: int = 3,
) -> object:
    """Per-gene MAE of each model (y) against ``baseline`` (x); points below the diagonal are
    genes the model predicts better (the D-GEX paper's per-gene comparison).

    Parameters
    ----------
    per_gene
        ``model -> split -> Series`` of per-gene MAE (``ComparisonResult.per_gene``).
    split
        Split to show.
    baseline
        Model on the x axis of every panel; no panel is drawn when it lacks ``split``.
    max_cols
        Most panels per row (one panel per other model with ``split``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per model other than ``baseline``.
    """
    base = per_gene.get(baseline, {}).get(split)
    others = [m for m in per_gene if m != baseline and split in per_gene[m]]
    n = max(1, len(others))
    ncols = min(max_cols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = new_figure(ncols, nrows, width=4.0, height=4.0)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(others) or base is None:
            ax.set_visible(k < len(others))
            continue
        name = others[k]
        model = per_gene[name][split]
        b = base.reindex(model.index)
        ax.scatter(b, model, s=6, alpha=0.5)
        lo = float(np.nanmin([b.min(), model.min()]))
        hi = float(np.nanmax([b.max(), model.max()]))
        ax.plot([lo, hi], [lo, hi], color="black", lw=1)
        share = float(np.mean(model.to_numpy() < b.to_numpy()))
        ax.set_xlabel(f"{baseline} per-gene MAE")
        ax.set_ylabel(f"{name} per-gene MAE")
        ax.set_title(f"{name}: better on {share:.1%} of genes")
    fig.tight_layout()
    return fig


def landmark_learning_curves(
    histories: Mapping[str, Mapping[str, Mapping[str, list]]], *, split: str | None = None
) -> object:
    """Training and validation loss per epoch of every deep model (one panel per model).

    Parameters
    ----------
    histories
        ``model -> split name -> history dict`` (``ComparisonResult.histories``); models
        without a history (baselines) are skipped.
    split
        Split name to draw (default: the first one of each model).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per model with a ``loss`` history.
    """
    curves = {}
    for name, by_split in histories.items():
        if not by_split:
            continue
        key = split if split is not None and split in by_split else next(iter(by_split))
        hist = by_split[key]
        if hist and "loss" in hist:
            curves[name] = hist
    n = max(1, len(curves))
    fig, axes = new_figure(n, 1, width=4.0, height=3.5)
    for ax, (name, hist) in zip(axes.ravel(), curves.items(), strict=False):
        epochs = np.arange(1, len(hist["loss"]) + 1)
        ax.plot(epochs, hist["loss"], label="train")
        if "val_loss" in hist:
            ax.plot(epochs, hist["val_loss"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(name)
        ax.legend()
    if not curves:
        axes[0, 0].set_title("no deep model trained")
    fig.tight_layout()
    return fig

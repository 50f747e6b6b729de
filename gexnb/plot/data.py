"""Data-preparation figures for notebook 01 (seaborn; each function returns a Figure).

Sequence figures follow the DREAM 2022 promoter data (Rafi et al., Nat Biotechnol 2024):
length distribution, base composition along the left-padded (3'-aligned) positions and the
expression distribution. Expression figures follow the D-GEX set-up (Chen et al.,
Bioinformatics 2016): per-gene variance and the sample-by-sample correlation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns

from gexnb.errors import InputError
from gexnb.plot.common import check_not_empty, figure_axes, plot_values

__all__ = [
    "plot_length_histogram",
    "plot_base_composition",
    "plot_expression_histogram",
    "plot_gene_variance",
    "plot_sample_correlation",
]


def plot_length_histogram(lengths: Any, *, title: str = "Sequence length", ax: Any = None) -> Any:
    """Histogram of sequence lengths (one bar per length).

    Parameters
    ----------
    lengths
        Length of each sequence (nt).
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
        Nothing to plot: ``lengths`` empty or all NaN.
    """
    plot_values(lengths, "lengths")
    fig, ax = figure_axes(ax)
    lengths = np.asarray(lengths)
    sns.histplot(x=lengths, discrete=True, ax=ax, color="tab:blue")
    ax.set(xlabel="length (nt)", ylabel="sequences", title=title)
    return fig


def plot_base_composition(
    by_position: pd.DataFrame, *, title: str = "Base composition", ax: Any = None
) -> Any:
    """Fraction of each base along the aligned positions (lines, one per base).

    Parameters
    ----------
    by_position
        Rows: positions, columns: bases, values: fractions in [0, 1]
        (:func:`gexnb.data.summary.base_composition_by_position`).
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
        Nothing to plot: ``by_position`` has no position or no base.
    """
    check_not_empty(by_position.size, "by_position")
    fig, ax = figure_axes(ax, width=9.0)
    long = by_position.reset_index().melt(
        id_vars=by_position.index.name or "index", var_name="base", value_name="fraction"
    )
    x = by_position.index.name or "index"
    sns.lineplot(data=long, x=x, y="fraction", hue="base", ax=ax)
    ax.set(xlabel="position (left-padded, 3' aligned)", ylabel="fraction", title=title)
    ax.set_ylim(0, 1)
    return fig


def plot_expression_histogram(
    values: Any,
    *,
    title: str = "Expression",
    xlabel: str = "expression",
    max_points: int = 100_000,
    seed: int = 0,
    ax: Any = None,
) -> Any:
    """Histogram (with a kernel density estimate) of expression values, NaN dropped.

    Above ``max_points`` finite values a seeded random subset is drawn (the density estimate
    is quadratic in the number of points).

    Parameters
    ----------
    values
        Expression values of any shape (flattened).
    title, xlabel
        Title and x-axis label of the axes.
    max_points
        Most finite values drawn.
    seed
        Seed of the random subset.
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    InputError
        Nothing to plot: ``values`` empty or without a finite value.
    """
    arr = plot_values(values, "values").ravel()
    fig, ax = figure_axes(ax)
    arr = arr[np.isfinite(arr)]
    if arr.size > max_points:
        arr = np.random.default_rng(seed).choice(arr, size=max_points, replace=False)
    sns.histplot(x=arr, bins=50, kde=True, ax=ax, color="tab:green")
    ax.set(xlabel=xlabel, ylabel="count", title=title)
    return fig


def plot_gene_variance(
    variance: pd.Series,
    *,
    landmarks: Any = (),
    title: str = "Per-gene variance",
    ax: Any = None,
) -> Any:
    """Distribution of per-gene variance (log10 scale); landmark genes drawn separately, each
    group normalised to its own density.

    Parameters
    ----------
    variance
        Variance of each gene, indexed by gene; genes with variance 0 are left out (no log).
    landmarks
        Landmark gene names (index labels of ``variance``); none: a single group.
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
        Nothing to plot: ``variance`` empty, or no gene with a variance above 0.
    """
    check_not_empty(len(variance), "variance")
    frame = pd.DataFrame({"variance": variance.to_numpy(dtype=float)}, index=variance.index)
    frame = frame[frame["variance"] > 0]
    if frame.empty:
        raise InputError(
            f"nothing to plot: none of the {len(variance)} genes has a variance above 0 "
            "(constant genes, or one sample only)"
        )
    fig, ax = figure_axes(ax)
    frame["log10 variance"] = np.log10(frame["variance"])
    marked = set(landmarks)
    frame["genes"] = ["landmark" if g in marked else "other" for g in frame.index]
    hue = "genes" if marked else None
    sns.histplot(
        data=frame,
        x="log10 variance",
        hue=hue,
        bins=50,
        ax=ax,
        element="step",
        stat="density",
        common_norm=False,
    )
    ax.set(ylabel="density of genes", title=title)
    return fig


def plot_sample_correlation(
    frame: pd.DataFrame,
    *,
    max_samples: int = 200,
    max_genes: int = 1000,
    seed: int = 0,
    title: str = "Sample correlation (Pearson)",
    ax: Any = None,
) -> Any:
    """Heat map of the Pearson correlation between samples, on the most variable genes.

    At most ``max_samples`` samples (a seeded random subset, original order kept) and the
    ``max_genes`` most variable genes are used so the figure stays readable and fast.

    Parameters
    ----------
    frame
        Expression matrix, rows: samples, columns: genes.
    max_samples, max_genes
        Most samples and genes used.
    seed
        Seed of the random subset of samples.
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
        ``frame`` is not a DataFrame, has fewer than 2 samples or no gene.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"frame must be a pandas DataFrame (samples x genes), got {type(frame).__name__}"
        )
    if frame.shape[0] < 2:
        raise InputError(
            f"nothing to plot: a sample correlation needs at least 2 samples, got {frame.shape[0]}"
        )
    if frame.shape[1] == 0:
        raise InputError("nothing to plot: frame has no gene column")
    data = frame
    if data.shape[0] > max_samples:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(data.shape[0], size=max_samples, replace=False))
        data = data.iloc[keep]
    genes = data.var(axis=0).sort_values(ascending=False).index[:max_genes]
    corr = np.corrcoef(data[genes].to_numpy(dtype=float))
    fig, ax = figure_axes(ax, width=6.0, height=5.0)
    sns.heatmap(corr, ax=ax, cmap="vlag", center=0, xticklabels=False, yticklabels=False)
    ax.set(xlabel="samples", ylabel="samples", title=title)
    return fig

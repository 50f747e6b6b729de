"""Figures of notebook 04 and of the attention viewers (seed 004; DREAM 2022 BiGRU attention).

- :func:`cv_boxplots`: per-fold MAE / RMSE / MSE / R^2 of every model as box plots.
- :func:`attention_vs_correlation`: mean attention per gene against its |correlation| with the
  target.
- :func:`gene_attention_figure`: one sample's attention per gene and prediction vs truth.
- :func:`sequence_attention_figure`: one sequence's bases coloured by attention, the attention
  track, the in-silico mutagenesis heatmap and predicted vs measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError
from gexnb.models.registry import model_kind
from gexnb.plot.common import check_not_empty, figure_axes, new_figure

__all__ = [
    "cv_boxplots",
    "attention_vs_correlation",
    "gene_attention_figure",
    "sequence_attention_figure",
]

_BASES = "TCGA"
_BASE_COLOURS = {"T": "#d62728", "C": "#1f77b4", "G": "#ff7f0e", "A": "#2ca02c", "N": "#7f7f7f"}


#: Colours of the model families in :func:`cv_boxplots`.
FAMILY_COLOURS = {"deep": "#f4b183", "classical": "#cfe2f3", "baseline": "#d9d9d9"}


def cv_boxplots(
    fold_metrics: pd.DataFrame, *, metrics: Sequence[str] = ("mae", "rmse", "mse", "r2")
) -> Any:
    """Box plots (with the fold points) of each metric per model, models sorted by mean RMSE;
    deep models, classical baselines and the predict-the-mean baseline in their own colours
    (:data:`FAMILY_COLOURS`). Folds where a metric is undefined (NaN) are not drawn; a metric
    undefined in every fold gets a panel saying so.

    Parameters
    ----------
    fold_metrics
        Long table with columns ``model``, ``fold`` and the metric columns
        (:func:`gexnb.pipelines.attention_lstm.cross_validate`).
    metrics
        Metric columns to draw, one panel each.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric.

    Raises
    ------
    InputError
        ``fold_metrics`` is empty or lacks the ``model``, ``rmse`` or a metric column.
    """
    import seaborn as sns

    check_not_empty(len(fold_metrics), "fold_metrics")
    needed = list(dict.fromkeys(["model", "rmse", *metrics]))
    missing = [c for c in needed if c not in fold_metrics.columns]
    if missing:
        raise InputError(
            f"fold_metrics lacks column(s) {', '.join(missing)} (it has "
            f"{', '.join(map(str, fold_metrics.columns))})"
        )
    order = fold_metrics.groupby("model")["rmse"].mean().sort_values().index.tolist()

    def family(model: str) -> str:
        return "baseline" if model == "mean" else model_kind(model)

    palette = {m: FAMILY_COLOURS[family(m)] for m in order}
    fig, axes = new_figure(len(metrics), width=4.0, height=0.35 * len(order) + 1.5)
    for ax, metric in zip(axes[0], metrics, strict=True):
        ax.set_title(metric.upper() if metric != "r2" else "R²")
        if not fold_metrics[metric].notna().any():  # R^2 of one-sample folds (leave-one-out)
            ax.text(0.5, 0.5, "undefined in every fold", ha="center", va="center",
                    transform=ax.transAxes)  # fmt: skip
            ax.set_yticks([])
            continue
        sns.boxplot(data=fold_metrics, x=metric, y="model", order=order, ax=ax, hue="model",
                    palette=palette, legend=False)  # fmt: skip
        sns.stripplot(data=fold_metrics, x=metric, y="model", order=order, ax=ax, color="k", size=3)
        ax.set_xlabel("")
        if ax is not axes[0][0]:
            ax.set_ylabel("")
    from matplotlib.patches import Patch

    fig.legend(
        handles=[Patch(color=c, label=k) for k, c in FAMILY_COLOURS.items()],
        loc="lower center",
        ncol=3,
        frameon=False,
    )
    fig.suptitle("Cross-validation (one point per fold)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def attention_vs_correlation(table: pd.DataFrame, *, annotate: int = 8, ax: Any = None) -> Any:
    """Scatter of mean attention per gene against |Pearson r| with the target.

    Parameters
    ----------
    table
        Output of :func:`gexnb.pipelines.attention_lstm.attention_by_gene` (index: gene;
        columns ``mean_attention``, ``abs_corr``, ``model``).
    annotate
        Label this many genes with the highest attention.
    ax
        Axes to draw on, or None for a new figure (see :func:`gexnb.plot.figure_axes`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    from scipy.stats import spearmanr

    fig, ax = figure_axes(ax, width=5.5, height=4.5)
    ax.scatter(table["abs_corr"], table["mean_attention"], s=18, color="#1f77b4")
    top = table.sort_values("mean_attention", ascending=False).head(annotate)
    for gene, row in top.iterrows():
        ax.annotate(str(gene), (row["abs_corr"], row["mean_attention"]), fontsize=7)
    if len(table) > 2:
        rho = spearmanr(table["abs_corr"], table["mean_attention"]).statistic
        ax.set_title(f"{table['model'].iloc[0]}: Spearman rho = {rho:.2f}")
    ax.axhline(1.0 / max(len(table), 1), color="grey", lw=0.8, ls="--", label="uniform")
    ax.set_xlabel("|correlation with target|")
    ax.set_ylabel("mean attention weight")
    ax.legend(loc="best", fontsize=8)
    return fig


#: Genes drawn (highest attention first) by :func:`gene_attention_figure`.
GENES_SHOWN = 30


def gene_attention_figure(
    weights: np.ndarray,
    genes: Sequence[str],
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    selected: int,
    title: str = "",
) -> Any:
    """One sample's attention per gene (bars) and predicted vs true values of all samples.

    Parameters
    ----------
    weights
        ``(n_genes,)`` attention of the selected sample.
    genes
        Gene names in input order.
    y_true, y_pred
        ``(n,)`` truth and prediction of every sample; the selected one is highlighted.
    selected
        Index of the selected sample.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: attention per gene (at most :data:`GENES_SHOWN`), predicted vs true.
    """
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(-weights, kind="stable")[:GENES_SHOWN]
    fig, axes = new_figure(2, width=5.5, height=max(4.0, 0.22 * len(order) + 1.2))
    ax = axes[0][0]
    ax.barh(np.arange(len(order)), weights[order], color="#1f77b4")
    ax.axvline(1.0 / max(len(genes), 1), color="grey", lw=0.8, ls="--", label="uniform")
    ax.set_yticks(np.arange(len(order)))
    ax.set_yticklabels([str(genes[i]) for i in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("attention weight")
    shown = f"top {len(order)} of {len(genes)} genes" if len(order) < len(genes) else "genes"
    ax.set_title(f"attention per gene ({shown})")
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[0][1]
    ax.scatter(y_true, y_pred, s=10, color="#9ecae1")
    ax.scatter([y_true[selected]], [y_pred[selected]], s=60, color="#d62728", zorder=3)
    lo = float(min(np.min(y_true), np.min(y_pred)))
    hi = float(max(np.max(y_true), np.max(y_pred)))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8)
    ax.set_xlabel("measured")
    ax.set_ylabel("predicted")
    ax.set_title(f"true {y_true[selected]:.3f}, predicted {y_pred[selected]:.3f}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _contribution_logo(ax: Any, sequence: str, mutagenesis: np.ndarray, length: int) -> None:
    """Logo of the contribution of each base of ``sequence`` (mean-centred ISM, the
    hypothetical contributions of :func:`gexnb.explain.centre_scores` at the sequence's
    bases)."""
    import logomaker

    from gexnb.data.sequences import encode_sequences
    from gexnb.explain import centre_scores, sequence_one_hot

    codes = encode_sequences([sequence], length=length)  # left-padded, as the model input
    values = centre_scores(np.asarray(mutagenesis)[None], codes) * sequence_one_hot(codes)
    frame = pd.DataFrame(values[0], columns=list("ACGT"))
    logomaker.Logo(frame, ax=ax, color_scheme="classic", flip_below=False)
    ax.axhline(0.0, color="0.6", lw=0.5)
    ax.set_ylabel("contribution")
    ax.set_title("contribution of each base (mean-centred mutagenesis)")


def sequence_attention_figure(
    sequence: str,
    attention: np.ndarray,
    mutagenesis: np.ndarray,
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    selected: int,
    title: str = "",
) -> Any:
    """One sequence: bases coloured by attention, attention track, contribution logo, ISM
    heatmap, predicted against measured.

    The contribution logo draws each base at the height of its contribution: the mean-centred
    in-silico mutagenesis at the base of the sequence (how much better the prediction is with
    this base than with the average base here), as the hypothetical contributions that
    TF-MoDISco reads (:func:`gexnb.explain.hypothetical_contributions`).

    Parameters
    ----------
    sequence
        The decoded sequence (padding stripped), aligned to the last ``len(sequence)``
        positions of ``attention`` and ``mutagenesis`` (left padding).
    attention
        ``(length,)`` attention weights.
    mutagenesis
        ``(length, 4)`` in-silico mutagenesis deltas (bases T, C, G, A).
    y_true, y_pred
        All sequences' measured and predicted values; the selected one is highlighted.
    selected
        Index of the selected sequence.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The sequence, attention, logo and heatmap panels, and the scatter on the right.
    """
    import matplotlib.pyplot as plt

    length = len(attention)
    offset = length - len(sequence)
    fig = plt.figure(figsize=(14, 8.5))
    grid = fig.add_gridspec(4, 4, height_ratios=[1.0, 1.4, 1.4, 1.6])
    ax_seq = fig.add_subplot(grid[0, :3])
    ax_att = fig.add_subplot(grid[1, :3], sharex=ax_seq)
    ax_logo = fig.add_subplot(grid[2, :3], sharex=ax_seq)
    ax_ism = fig.add_subplot(grid[3, :3], sharex=ax_seq)
    ax_sc = fig.add_subplot(grid[:, 3])
    positions = np.arange(length)
    scale = float(np.max(attention)) or 1.0
    for i, base in enumerate(sequence):
        pos = offset + i
        ax_seq.bar(pos, 1.0, width=1.0, color="#d62728", alpha=float(attention[pos]) / scale)
        ax_seq.text(
            pos, 0.5, base, ha="center", va="center", fontsize=6, color=_BASE_COLOURS.get(base, "k")
        )
    ax_seq.set_yticks([])
    ax_seq.set_title("bases (background: attention)")
    ax_att.plot(positions, attention, color="#1f77b4")
    ax_att.set_ylabel("attention")
    _contribution_logo(ax_logo, sequence, mutagenesis, length)
    bound = float(np.max(np.abs(mutagenesis))) or 1.0
    image = ax_ism.imshow(
        mutagenesis.T,
        aspect="auto",
        cmap="RdBu_r",
        vmin=-bound,
        vmax=bound,
        extent=(-0.5, length - 0.5, 3.5, -0.5),
        interpolation="nearest",
    )
    ax_ism.set_yticks(range(4))
    ax_ism.set_yticklabels(list(_BASES))
    ax_ism.set_xlabel("position")
    ax_ism.set_title("in-silico mutagenesis (prediction change)")
    fig.colorbar(image, ax=ax_ism, fraction=0.02, pad=0.01, label="prediction change")
    ax_sc.scatter(y_true, y_pred, s=8, color="#9ecae1")
    ax_sc.scatter([y_true[selected]], [y_pred[selected]], s=60, color="#d62728", zorder=3)
    ax_sc.set_xlabel("measured")
    ax_sc.set_ylabel("predicted")
    ax_sc.set_title(f"measured {y_true[selected]:.3f}\npredicted {y_pred[selected]:.3f}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

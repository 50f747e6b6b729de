"""gexnb.plot: single-panel functions draw on a given ``ax``; show_figure saves and closes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from gexnb import plot

RNG = np.random.default_rng(0)
TABLE = pd.DataFrame(
    {"abs_corr": RNG.random(6), "mean_attention": RNG.random(6) / 6, "model": "attention_lstm"},
    index=[f"G{i}" for i in range(6)],
)
CALLS = {
    "plot_length_histogram": lambda ax: plot.plot_length_histogram([3, 4, 4, 5], ax=ax),
    "plot_base_composition": lambda ax: plot.plot_base_composition(
        pd.DataFrame(RNG.dirichlet(np.ones(4), 10), columns=list("ACGT")), ax=ax
    ),
    "plot_expression_histogram": lambda ax: plot.plot_expression_histogram(RNG.random(50), ax=ax),
    "plot_gene_variance": lambda ax: plot.plot_gene_variance(
        pd.Series(RNG.random(20) + 0.1, index=[f"g{i}" for i in range(20)]), landmarks=["g1"], ax=ax
    ),
    "plot_sample_correlation": lambda ax: plot.plot_sample_correlation(
        pd.DataFrame(RNG.random((8, 12))), ax=ax
    ),
    "learning_curves": lambda ax: plot.learning_curves(
        {"loss": [3, 2, 1], "val_loss": [3, 1, 2]}, ax=ax
    ),
    "predicted_vs_measured": lambda ax: plot.predicted_vs_measured(
        np.arange(9.0), np.arange(9.0), ax=ax
    ),
    "error_by_expression": lambda ax: plot.error_by_expression(
        np.arange(40.0), {"a": np.arange(40.0) + 1}, bins=4, ax=ax
    ),
    "attention_profile": lambda ax: plot.attention_profile(RNG.dirichlet(np.ones(12), 5), ax=ax),
    "per_gene_mae_distribution": lambda ax: plot.per_gene_mae_distribution(
        {"linear": {"test": pd.Series([0.1, 0.2])}, "dgex": {"test": pd.Series([0.3, 0.1])}}, ax=ax
    ),
    "attention_vs_correlation": lambda ax: plot.attention_vs_correlation(TABLE, ax=ax),
    "data_efficiency": lambda ax: plot.data_efficiency(
        pd.DataFrame(
            {
                "model": ["a", "a", "b", "b"] * 2,
                "n_train": [10, 20] * 4,
                "seed": [0] * 4 + [1] * 4,
                "pearson": RNG.random(8),
            }
        ),
        ax=ax,
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_single_panel_functions_draw_on_the_given_axes(name):
    plt.close("all")  # figures other tests left open
    fig, (left, right) = plt.subplots(1, 2)
    try:
        returned = CALLS[name](right)
        assert returned is fig  # the caller's figure, no new one
        assert not left.has_data() and right.has_data()  # drawn where asked, nowhere else
        assert plt.get_fignums() == [fig.number]
    finally:
        plt.close("all")


@pytest.mark.parametrize("name", sorted(CALLS))
def test_single_panel_functions_make_their_own_figure_without_ax(name):
    try:
        fig = CALLS[name](None)
        assert fig.axes[0].has_data()
        assert fig.axes[0].get_title() or fig.axes[0].get_xlabel()
    finally:
        plt.close("all")


def test_show_figure_saves_and_closes(tmp_path):
    fig = plot.learning_curves({"loss": [2.0, 1.0]})
    path = plot.show_figure(fig, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()


def test_data_efficiency_draws_the_mean_and_sd_bars_per_model():
    table = pd.DataFrame({"model": ["a"] * 4, "n_train": [10, 10, 20, 20], "seed": [0, 1, 0, 1],
                          "pearson": [0.1, 0.3, 0.5, 0.5]})  # fmt: skip
    try:
        ax = plot.data_efficiency(table).axes[0]
        line = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2][0]  # [1]: the legend
        np.testing.assert_allclose(line.get_ydata(), [0.2, 0.5])  # the mean over seeds
        bars = [c for c in ax.collections if c.get_segments()]
        spans = sorted(float(np.ptp(seg[:, 1])) for c in bars for seg in c.get_segments())
        np.testing.assert_allclose(spans, [0.0, 2 * np.std([0.1, 0.3], ddof=1)])  # +-1 sd
        assert ax.get_xscale() == "log"
    finally:
        plt.close("all")

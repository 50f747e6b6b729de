"""gexnb.plot: single-panel functions draw on a given ``ax``; show_figure saves and closes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from gexnb import plot
from gexnb.errors import InputError, ParameterError

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


# ---------------------------------------------------------------- faults found by an API sweep

NOTHING = {
    "learning_curves empty": (lambda: plot.learning_curves({}), "history has no loss"),
    "learning_curves all NaN": (
        lambda: plot.learning_curves({"loss": [np.nan, np.nan]}),
        "every loss value in history is NaN",
    ),
    "predicted_vs_measured empty": (
        lambda: plot.predicted_vs_measured(np.array([]), np.array([])),
        "y_true is empty",
    ),
    "predicted_vs_measured all NaN": (
        lambda: plot.predicted_vs_measured([np.nan, np.nan], [1.0, 2.0]),
        "y_true has no finite value",
    ),
    "error_by_expression empty": (
        lambda: plot.error_by_expression(np.array([]), {}),
        "y_true is empty",
    ),
    "error_by_expression no model": (
        lambda: plot.error_by_expression(np.arange(10.0), {}),
        "predictions is empty",
    ),
    "attention_profile empty": (
        lambda: plot.attention_profile(np.zeros((0, 10))),
        "weights is empty",
    ),
    "plot_length_histogram empty": (lambda: plot.plot_length_histogram([]), "lengths is empty"),
    "plot_base_composition empty": (
        lambda: plot.plot_base_composition(pd.DataFrame()),
        "by_position is empty",
    ),
    "plot_expression_histogram all NaN": (
        lambda: plot.plot_expression_histogram([np.nan] * 3),
        "values has no finite value",
    ),
    "plot_gene_variance empty": (
        lambda: plot.plot_gene_variance(pd.Series(dtype=float)),
        "variance is empty",
    ),
    "plot_gene_variance all zero": (
        lambda: plot.plot_gene_variance(pd.Series([0.0, 0.0], index=["a", "b"])),
        "none of the 2 genes has a variance above 0",
    ),
    "plot_sample_correlation empty": (
        lambda: plot.plot_sample_correlation(pd.DataFrame()),
        "at least 2 samples, got 0",
    ),
    "plot_sample_correlation one sample": (
        lambda: plot.plot_sample_correlation(pd.DataFrame(np.ones((1, 3)))),
        "at least 2 samples, got 1",
    ),
    "per_gene_mae_distribution empty": (
        lambda: plot.per_gene_mae_distribution({}),
        "no model has per-gene MAE for split 'test'",
    ),
    "cv_boxplots empty": (lambda: plot.cv_boxplots(pd.DataFrame()), "fold_metrics is empty"),
}


@pytest.mark.parametrize("case", sorted(NOTHING))
def test_nothing_to_plot_is_an_error_not_a_blank_figure(case):
    call, message = NOTHING[case]
    plt.close("all")
    try:
        with pytest.raises(InputError, match="nothing to plot: .*" + message):
            call()
        assert plt.get_fignums() == []  # refused before a figure was made
    finally:
        plt.close("all")


def test_unpaired_or_misshapen_plot_inputs_are_named():
    try:
        with pytest.raises(InputError, match="y_true has 5, y_pred has 3 values"):
            plot.predicted_vs_measured(np.arange(5.0), np.arange(3.0))
        with pytest.raises(InputError, match=r"y_true has 10, predictions\['m'\] has 5 values"):
            plot.error_by_expression(np.arange(10.0), {"m": np.arange(5.0)})
        with pytest.raises(InputError, match="y_true is NaN or infinite at index 2"):
            plot.error_by_expression([1.0, 2.0, np.nan], {"m": [1.0, 2.0, 3.0]})
        with pytest.raises(ParameterError, match="bins must be a whole number >= 1, got 0"):
            plot.error_by_expression(np.arange(10.0), {"m": np.arange(10.0)}, bins=0)
        with pytest.raises(InputError, match=r"weights must be a 2-D array, got shape \(10,\)"):
            plot.attention_profile(np.ones(10))
        with pytest.raises(InputError, match="fold_metrics lacks column.*rmse"):
            plot.cv_boxplots(pd.DataFrame({"model": ["a"], "mae": [1.0]}), metrics=("mae",))
        with pytest.raises(InputError, match="ppm holds NaN"):
            plot.information_content(np.full((3, 4), np.nan))
        with pytest.raises(InputError, match="ppm holds negative values"):
            plot.information_content(-np.ones((3, 4)))  # all zeros before
        with pytest.raises(ParameterError, match="kinds must be among"):
            plot.motif_logos([], kinds=["shape"])
    finally:
        plt.close("all")


def test_learning_curves_without_a_finite_validation_loss_mark_no_best_epoch():
    try:
        ax = plot.learning_curves({"loss": [2.0, 1.0], "val_loss": [np.nan, np.nan]}).axes[0]
        assert not any("best epoch" in text.get_text() for text in ax.get_legend().get_texts())
    finally:
        plt.close("all")


def test_save_figure_refuses_what_is_not_a_figure(tmp_path):
    with pytest.raises(ParameterError, match="figure must be a matplotlib Figure.*NoneType"):
        plot.save_figure(None, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()

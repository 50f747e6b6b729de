"""ipywidgets viewers of attention: genes (seed 004) and promoter positions (DREAM 2022 BiGRU).

- :class:`GeneAttentionViewer`: choose a fold (Dropdown) and a held-out sample (IntSlider);
  shows the attention weight of every input gene as bars and predicted against true values.
- :class:`SequenceAttentionViewer`: choose a sequence by index or by error rank; shows the
  bases coloured by attention, the attention track, the in-silico mutagenesis heatmap and
  predicted against measured.

Both render matplotlib figures to PNG inside an ``ipywidgets.Image`` (no bqplot, no
interactive matplotlib backend needed), so they are live in JupyterLab; an ``HTML`` label
states the selection in words. In non-interactive runs (papermill) the viewers also save a
static PNG: :meth:`save_static` writes the current view, and with ``output_dir`` given it is
written on construction. Their ``_repr_mimebundle_`` carries the PNG next to the widget view,
so an executed notebook is readable without a kernel.

Viewer state is plain Python: set ``viewer.slider.value`` (or ``viewer.fold_dropdown.value``,
``viewer.order.value``) and :meth:`current` and the label change immediately.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gexnb.data.sequences import PAD_CODE
from gexnb.errors import InputError, ParameterError

__all__ = ["GeneAttentionViewer", "SequenceAttentionViewer", "GeneFold"]

_DECODE = np.array(list("TCGAN"))


def _figure_png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _require_attention(model: Any) -> None:
    from gexnb.explain import find_attention_layer

    find_attention_layer(model)  # raises ParameterError with a clear message


@dataclass
class GeneFold:
    """Data of one fold shown by :class:`GeneAttentionViewer`.

    Parameters
    ----------
    label, weights, genes, y_true, y_pred, sample_ids, target
        See Attributes.

    Attributes
    ----------
    label
        Name of the fold in the Dropdown (``"fold 1"``).
    weights
        ``(n, n_genes)`` attention weights, one row per held-out sample.
    genes
        Gene names in input order.
    y_true, y_pred
        ``(n,)`` truth and prediction of every sample.
    sample_ids
        ``n`` sample names shown in the label.
    target
        The target gene whose truth and prediction are shown (``""``: not named).
    """

    label: str
    weights: np.ndarray  # (n, n_genes)
    genes: list[str]
    y_true: np.ndarray  # (n,)
    y_pred: np.ndarray  # (n,)
    sample_ids: list[str]
    target: str = ""


class _Viewer:
    """Shared widget plumbing: an Image, an HTML label and static PNG output."""

    filename = "viewer.png"

    def _init_widgets(self, controls: list[Any]) -> None:
        import ipywidgets as widgets

        self.label = widgets.HTML(value="")
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([widgets.HBox(controls), self.label, self.image])

    def _figure(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def refresh(self, *_: Any) -> None:
        """Redraw the figure and the label for the current selection.

        While the figure is computed (in-silico mutagenesis takes seconds) the label says so;
        the new label comes with the new figure, never over the old one. The controls stay
        live, so that arrow keys can step several sequences at once.

        Parameters
        ----------
        *_
            Ignored (the change an ipywidgets observer passes).
        """
        self.label.value = "<i>computing the new view...</i>"
        png = _figure_png(self._figure())
        self._png = png
        self.image.value = png
        self.label.value = self._describe()

    def save_static(self, path: str | os.PathLike) -> Path:
        """Save the current view as PNG (atomically) and return the path.

        Parameters
        ----------
        path
            PNG file to write.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        from gexnb.plot.common import save_figure

        fig = self._figure()
        try:
            return save_figure(fig, path)
        finally:
            import matplotlib.pyplot as plt

            plt.close(fig)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = base64.b64encode(self._png).decode("ascii")
        bundle["text/plain"] = self._describe()
        return bundle


class GeneAttentionViewer(_Viewer):
    """Attention per gene for one held-out sample, fold by fold (seed 004 attention-LSTM).

    Parameters
    ----------
    folds
        One :class:`GeneFold` per fold (see :meth:`from_model` and :meth:`from_cv`).
    output_dir
        If given, the first view is saved there as ``gene_attention_viewer.png``.

    Attributes
    ----------
    fold_dropdown, slider, label, image, widget
        The ipywidgets (Dropdown of folds, IntSlider of samples, HTML label, PNG Image, VBox).
    """

    filename = "gene_attention_viewer.png"

    def __init__(self, folds: list[GeneFold], *, output_dir: str | os.PathLike | None = None):
        import ipywidgets as widgets

        if not folds:
            raise ParameterError("GeneAttentionViewer needs at least one fold")
        for fold in folds:
            if fold.weights.shape != (len(fold.y_true), len(fold.genes)) or len(fold.y_true) == 0:
                raise InputError(
                    f"fold {fold.label}: weights {fold.weights.shape} do not match "
                    f"{len(fold.y_true)} samples x {len(fold.genes)} genes"
                )
        self.folds = folds
        self.fold_dropdown = widgets.Dropdown(
            options=[(f.label, i) for i, f in enumerate(folds)], value=0, description="fold"
        )
        self.slider = widgets.IntSlider(
            value=0,
            min=0,
            max=len(folds[0].y_true) - 1,
            description="sample",
            continuous_update=False,
        )
        self._init_widgets([self.fold_dropdown, self.slider])
        self.fold_dropdown.observe(self._on_fold, names="value")
        self.slider.observe(self.refresh, names="value")
        self.refresh()
        if output_dir:
            self.save_static(Path(output_dir) / self.filename)

    @classmethod
    def from_model(
        cls,
        model: Any,
        x: np.ndarray,
        y_true: np.ndarray,
        *,
        genes: list[str] | None = None,
        sample_ids: list[str] | None = None,
        y_pred: np.ndarray | None = None,
        label: str = "all",
        batch_size: int = 1024,
        output_dir: str | os.PathLike | None = None,
    ) -> GeneAttentionViewer:
        """Viewer of one attention model on one data set (a single "fold").

        Parameters
        ----------
        model
            A gene-input model with a ContextAttention layer (e.g. ``attention_lstm``).
        x
            Float matrix ``(n, n_genes)`` of the samples to show.
        y_true
            ``(n,)`` truth (of a multi-output target, the first column is shown).
        genes
            Gene names in input order (default ``gene0``, ``gene1``, ...).
        sample_ids
            Sample names (default the row numbers).
        y_pred
            ``(n,)`` predictions; computed with ``model`` if None.
        label
            Name of the single fold.
        batch_size
            Batch size of predictions and attention.
        output_dir
            If given, the first view is saved there as ``gene_attention_viewer.png``.

        Returns
        -------
        GeneAttentionViewer
            With one fold.

        Raises
        ------
        ParameterError
            If ``model`` has no attention layer.
        """
        from gexnb.explain import attention_weights

        _require_attention(model)
        x = np.asarray(x, dtype=np.float32)
        y_true = np.asarray(y_true, dtype=np.float64).reshape(len(x), -1)[:, 0]
        if y_pred is None:
            from gexnb.train.predict import predict_output

            y_pred = predict_output(model, x, batch_size=batch_size)
        genes = list(genes) if genes is not None else [f"gene{i}" for i in range(x.shape[1])]
        ids = list(sample_ids) if sample_ids is not None else [str(i) for i in range(len(x))]
        fold = GeneFold(
            label,
            attention_weights(model, x, batch_size=batch_size),
            genes,
            y_true,
            np.asarray(y_pred, dtype=np.float64).reshape(len(x), -1)[:, 0],
            ids,
        )
        return cls([fold], output_dir=output_dir)

    @classmethod
    def from_cv(
        cls,
        result: Any,
        *,
        model: str = "attention_lstm",
        target: str | None = None,
        output_dir: str | os.PathLike | None = None,
    ) -> GeneAttentionViewer:
        """Viewer of a :func:`gexnb.pipelines.attention_lstm.cross_validate` result.

        Parameters
        ----------
        result
            The cross-validation result; its folds must have kept the trained models.
        model
            Name of the attention model in the result.
        target
            The target gene whose truth and prediction are shown beside the attention (one
            attention serves every target of a multi-output model); the first target by
            default. Named in the viewer's title.
        output_dir
            If given, the first view is saved there as ``gene_attention_viewer.png``.

        Returns
        -------
        GeneAttentionViewer
            One fold per cross-validation fold (its held-out samples).

        Raises
        ------
        ParameterError
            If ``model`` was not trained (kept) in the result or has no attention layer, or
            ``target`` is not one of its targets.
        """
        from gexnb.explain import attention_weights

        folds = []
        for fold in result.folds:
            names = [str(t) for t in fold.targets]
            column = 0 if target is None else _target_column(names, target, fold.fold)
            if model not in fold.models:
                raise ParameterError(
                    f"model {model!r} is not in the cross-validation result "
                    f"(kept: {', '.join(fold.models) or 'none'})"
                )
            trained = fold.models[model]
            _require_attention(trained)
            folds.append(
                GeneFold(
                    f"fold {fold.fold}",
                    attention_weights(trained, fold.x_test),
                    list(fold.genes),
                    fold.y_test[:, column],
                    fold.predictions[model][:, column],
                    [result.sample_ids[i] for i in fold.test_idx],
                    _target_label(names, column),
                )
            )
        return cls(folds, output_dir=output_dir)

    def _on_fold(self, change: Any) -> None:
        fold = self.folds[self.fold_dropdown.value]
        with self.slider.hold_trait_notifications():
            self.slider.value = min(self.slider.value, len(fold.y_true) - 1)
            self.slider.max = len(fold.y_true) - 1
        self.refresh()

    def current(self) -> dict[str, Any]:
        """The data on display: fold label, sample id, weights, genes, truth and prediction.

        Returns
        -------
        dict
            Keys ``fold``, ``index`` (slider value), ``sample``, ``weights`` (the sample's
            ``(n_genes,)`` attention), ``genes``, ``y_true``, ``y_pred`` and ``top_gene``
            (the gene with the highest attention).
        """
        fold = self.folds[self.fold_dropdown.value]
        i = int(self.slider.value)
        return {
            "fold": fold.label,
            "index": i,
            "sample": fold.sample_ids[i],
            "weights": fold.weights[i],
            "genes": fold.genes,
            "y_true": float(fold.y_true[i]),
            "y_pred": float(fold.y_pred[i]),
            "top_gene": fold.genes[int(np.argmax(fold.weights[i]))],
        }

    def _describe(self) -> str:
        c = self.current()
        fold = self.folds[self.fold_dropdown.value]
        what = f"{fold.target} " if fold.target else ""
        return (
            f"{c['fold']}, sample {c['sample']} (#{c['index']}): {what}true {c['y_true']:.4f}, "
            f"predicted {c['y_pred']:.4f}, top gene {c['top_gene']} "
            f"({float(np.max(c['weights'])):.3f})"
        )

    def _figure(self) -> Any:
        from gexnb.plot.attention import gene_attention_figure

        fold = self.folds[self.fold_dropdown.value]
        return gene_attention_figure(
            fold.weights[self.slider.value],
            fold.genes,
            y_true=fold.y_true,
            y_pred=fold.y_pred,
            selected=int(self.slider.value),
            title=self._describe(),
        )


def _target_column(names: list[str], target: str, fold: Any) -> int:
    """The column of ``target`` among a fold's target genes, or a ParameterError."""
    if target not in names:
        raise ParameterError(
            f"target {target!r} is not a target of fold {fold} (targets: {', '.join(names)})"
        )
    return names.index(target)


def _target_label(names: list[str], column: int) -> str:
    """``CD3E``, or ``CD3E (target 1 of 3)`` when the model predicts several."""
    if not names:
        return ""
    return names[column] + (f" (target {column + 1} of {len(names)})" if len(names) > 1 else "")


class SequenceAttentionViewer(_Viewer):
    """Attention and in-silico mutagenesis of one promoter sequence (DREAM 2022 BiGRU).

    Parameters
    ----------
    model
        A model taking uint8 codes with a ContextAttention layer (``metformin_bigru``).
    codes
        uint8 codes ``(n, length)`` (left padding = code 5).
    measured
        ``(n,)`` measured expression: on the model's output scale, or on the scale
        ``to_measured`` brings the outputs to.
    predicted
        ``(n,)`` predictions on the scale of ``measured``; computed with ``model`` (and
        ``to_measured``) if None.
    to_measured
        The function from the model's outputs to ``measured``'s scale (notebook 02:
        ``data.denormalize``, the expression scale of the file), or None when ``measured``
        is on the output scale. The mutagenesis (heatmap, contribution logo) is then the
        change of the prediction on that scale too, not of the normalised output (a
        reviewer found them 2 x median apart, in one figure).
    batch_size
        Batch size of predictions, attention and mutagenesis.
    output_dir
        If given, the first view is saved there as ``sequence_attention_viewer.png``.

    Attributes
    ----------
    order, slider, label, image, widget
        ToggleButtons ("index" / "error rank"), IntSlider, HTML label, PNG Image, VBox. With
        "error rank", slider value 0 is the sequence with the largest absolute error.

    Raises
    ------
    ParameterError
        If ``model`` has no attention layer.
    """

    filename = "sequence_attention_viewer.png"

    def __init__(
        self,
        model: Any,
        codes: np.ndarray,
        measured: np.ndarray,
        *,
        predicted: np.ndarray | None = None,
        to_measured: Callable[[np.ndarray], np.ndarray] | None = None,
        batch_size: int = 256,
        output_dir: str | os.PathLike | None = None,
    ) -> None:
        import ipywidgets as widgets

        from gexnb.explain import attention_weights
        from gexnb.train.predict import predict_output

        _require_attention(model)
        codes = np.asarray(codes)
        if codes.ndim != 2 or len(codes) == 0 or not np.issubdtype(codes.dtype, np.integer):
            raise InputError(f"codes must be a non-empty 2-D integer array, got {codes.shape}")
        measured = np.asarray(measured, dtype=np.float64).reshape(-1)
        if len(measured) != len(codes):
            raise InputError(f"{len(measured)} measured values for {len(codes)} sequences")
        self.model = model
        self.codes = codes.astype(np.uint8)
        self.measured = measured
        self.batch_size = int(batch_size)
        self.to_measured = to_measured
        self.outputs: np.ndarray | None = None  # the mutagenesis' reference outputs
        if predicted is None or to_measured is not None:
            outputs = predict_output(model, self.codes, batch_size=self.batch_size)
            self.outputs = np.asarray(outputs, dtype=np.float64).reshape(-1)
            if predicted is None:
                predicted = self.outputs if to_measured is None else to_measured(self.outputs)
        self.predicted = np.asarray(predicted, dtype=np.float64).reshape(-1)
        if len(self.predicted) != len(codes):
            raise InputError(f"{len(self.predicted)} predictions for {len(codes)} sequences")
        self.attention = attention_weights(model, self.codes, batch_size=self.batch_size)
        self.error_rank = np.argsort(-np.abs(self.predicted - self.measured), kind="stable")
        self._ism: dict[int, np.ndarray] = {}
        self.order = widgets.ToggleButtons(
            options=["index", "error rank"], value="index", description="order"
        )
        self.slider = widgets.IntSlider(
            value=0, min=0, max=len(codes) - 1, description="sequence", continuous_update=False
        )
        self._init_widgets([self.order, self.slider])
        self.order.observe(self.refresh, names="value")
        self.slider.observe(self.refresh, names="value")
        self.refresh()
        if output_dir:
            self.save_static(Path(output_dir) / self.filename)

    @property
    def index(self) -> int:
        """Index (row of ``codes``) of the sequence on display."""
        value = int(self.slider.value)
        return int(self.error_rank[value]) if self.order.value == "error rank" else value

    def mutagenesis(self, index: int) -> np.ndarray:
        """In-silico mutagenesis ``(length, 4)`` of sequence ``index`` (cached).

        Parameters
        ----------
        index
            Row of ``codes``.

        Returns
        -------
        numpy.ndarray
            float32 ``(length, 4)`` prediction changes, bases T, C, G, A (see
            :func:`gexnb.explain.in_silico_mutagenesis`), on ``measured``'s scale (through
            ``to_measured``).
        """
        from gexnb.explain import in_silico_mutagenesis

        if index not in self._ism:
            delta = in_silico_mutagenesis(
                self.model, self.codes[index : index + 1], batch_size=self.batch_size
            )[0]
            if self.to_measured is not None and self.outputs is not None:
                reference = self.outputs[index : index + 1]
                mutant = np.asarray(self.to_measured(reference + delta.ravel()), dtype=np.float64)
                base = float(np.asarray(self.to_measured(reference), dtype=np.float64)[0])
                delta = (mutant - base).reshape(delta.shape).astype(np.float32)
            self._ism[index] = delta
        return self._ism[index]

    def current(self) -> dict[str, Any]:
        """The data on display: index, sequence, attention, mutagenesis, measured, predicted.

        Returns
        -------
        dict
            Keys ``index`` (row of ``codes``), ``sequence`` (decoded, padding stripped),
            ``attention`` ``(length,)``, ``mutagenesis`` ``(length, 4)``, ``measured`` and
            ``predicted``.
        """
        i = self.index
        row = self.codes[i]
        return {
            "index": i,
            "sequence": "".join(_DECODE[row[row != PAD_CODE]]),
            "attention": self.attention[i],
            "mutagenesis": self.mutagenesis(i),
            "measured": float(self.measured[i]),
            "predicted": float(self.predicted[i]),
        }

    def _describe(self) -> str:
        i = self.index
        rank = int(np.nonzero(self.error_rank == i)[0][0])
        return (
            f"sequence #{i} (error rank {rank}): measured {self.measured[i]:.4f}, "
            f"predicted {self.predicted[i]:.4f}, peak attention at position "
            f"{int(np.argmax(self.attention[i]))}"
        )

    def _figure(self) -> Any:
        from gexnb.plot.attention import sequence_attention_figure

        c = self.current()
        return sequence_attention_figure(
            c["sequence"],
            c["attention"],
            c["mutagenesis"],
            y_true=self.measured,
            y_pred=self.predicted,
            selected=c["index"],
            title=self._describe(),
        )

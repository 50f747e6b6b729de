"""gexnb.widgets: the viewers react to interaction in Python and save static PNGs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from gexnb.data.sequences import ONE_HOT_TABLE, encode_sequences
from gexnb.errors import InputError, ParameterError
from gexnb.explain import attention_weights
from gexnb.models import build
from gexnb.models.layers import ContextAttention
from gexnb.widgets import GeneAttentionViewer, GeneFold, SequenceAttentionViewer


@pytest.fixture(scope="module")
def gene_model():
    keras.utils.set_random_seed(0)
    return build("attention_lstm", n_genes=6, units=4, embedding_dim=2, dropout=0.0)


@pytest.fixture(scope="module")
def gene_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 6)).astype("float32")
    return x, x[:, 0] * 2.0


def test_gene_viewer_reacts_to_slider(gene_model, gene_data, tmp_path):
    x, y = gene_data
    viewer = GeneAttentionViewer.from_model(
        gene_model, x, y, genes=list("ABCDEF"), output_dir=tmp_path
    )
    assert (tmp_path / "gene_attention_viewer.png").stat().st_size > 1000
    first_label, first_png = viewer.label.value, viewer.image.value
    expected = attention_weights(gene_model, x)
    np.testing.assert_allclose(viewer.current()["weights"], expected[0], atol=1e-6)
    assert viewer.slider.max == 11
    viewer.slider.value = 5
    state = viewer.current()
    assert state["index"] == 5 and state["sample"] == "5"
    assert state["y_true"] == pytest.approx(y[5])
    np.testing.assert_allclose(state["weights"], expected[5], atol=1e-6)
    assert state["y_pred"] == pytest.approx(float(gene_model(x[5:6])[0, 0]), abs=1e-5)
    assert viewer.label.value != first_label and "sample 5" in viewer.label.value
    assert viewer.image.value != first_png
    bundle = viewer._repr_mimebundle_()
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    path = viewer.save_static(tmp_path / "again.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_gene_viewer_fold_dropdown_rescales_slider():
    rng = np.random.default_rng(1)

    def fold(label, n):
        w = rng.random((n, 3))
        return GeneFold(
            label,
            w / w.sum(1, keepdims=True),
            ["g1", "g2", "g3"],
            rng.normal(size=n),
            rng.normal(size=n),
            [f"{label}-{i}" for i in range(n)],
        )

    viewer = GeneAttentionViewer([fold("f0", 10), fold("f1", 4)])
    viewer.slider.value = 9
    viewer.fold_dropdown.value = 1
    assert viewer.slider.max == 3 and viewer.slider.value == 3
    assert viewer.current()["sample"] == "f1-3"
    assert "f1" in viewer.label.value
    with pytest.raises(InputError, match="do not match"):
        GeneAttentionViewer(
            [GeneFold("bad", np.ones((2, 2)), ["a"], np.ones(2), np.ones(2), ["x", "y"])]
        )


def test_viewers_refuse_models_without_attention(gene_data):
    x, y = gene_data
    plain = build("lstm", n_genes=6, units=4)
    with pytest.raises(ParameterError, match="no attention layer"):
        GeneAttentionViewer.from_model(plain, x, y)
    with pytest.raises(ParameterError, match="no attention layer"):
        SequenceAttentionViewer(plain, np.zeros((2, 6), "uint8"), np.zeros(2))


class _OneHot(keras.layers.Layer):
    def call(self, codes):
        return ops.take(ops.convert_to_tensor(ONE_HOT_TABLE), ops.cast(codes, "int32"), axis=0)

    def compute_output_shape(self, shape):
        return (*shape, 4)


def test_sequence_viewer_index_and_error_rank(tmp_path):
    length = 12
    keras.utils.set_random_seed(0)
    inp = keras.Input((length,), dtype="uint8")
    h = keras.layers.Conv1D(4, 3, padding="same")(_OneHot()(inp))
    out = keras.layers.Dense(1)(ContextAttention()(h))
    model = keras.Model(inp, out)
    codes = encode_sequences(["ACGTACGTAC", "TTTTGGGGCCCA", "GATTACA", "CCCCC"], length=length)
    measured = np.array([0.0, 1.0, 5.0, -3.0])
    predicted = np.array([0.1, 1.0, 0.0, -2.0])  # errors 0.1, 0, 5, 1 -> rank order 2, 3, 0, 1
    viewer = SequenceAttentionViewer(
        model, codes, measured, predicted=predicted, output_dir=tmp_path
    )
    assert (tmp_path / "sequence_attention_viewer.png").exists()
    assert viewer.current()["sequence"] == "ACGTACGTAC"
    viewer.slider.value = 2
    state = viewer.current()
    assert state["index"] == 2 and state["sequence"] == "GATTACA"
    assert state["mutagenesis"].shape == (length, 4)
    np.testing.assert_array_equal(state["mutagenesis"][:5], 0.0)  # padding skipped
    np.testing.assert_allclose(state["attention"].sum(), 1.0, atol=1e-5)
    label = viewer.label.value
    viewer.order.value = "error rank"
    viewer.slider.value = 0
    assert viewer.index == 2 and "error rank 0" in viewer.label.value
    viewer.slider.value = 1
    assert viewer.index == 3 and viewer.label.value != label
    assert viewer.current()["measured"] == -3.0
    with pytest.raises(InputError, match="measured values"):
        SequenceAttentionViewer(model, codes, measured[:2])


def test_sequence_viewer_shows_mutagenesis_on_the_scale_of_the_predictions(tmp_path):
    """Notebook 02 gave the viewer expression-scale values while its mutagenesis heatmap
    and contribution logo were changes of the normalised output (y / (2 median)): one
    figure, two scales 2 x median apart (a reviewer's finding). With ``to_measured`` both
    are on the expression scale: a mutation's heatmap cell is the change of the
    prediction shown."""
    from gexnb.explain import in_silico_mutagenesis
    from gexnb.train.predict import predict_output

    length = 12
    keras.utils.set_random_seed(0)
    inp = keras.Input((length,), dtype="uint8")
    h = keras.layers.Conv1D(4, 3, padding="same")(_OneHot()(inp))
    model = keras.Model(inp, keras.layers.Dense(1)(ContextAttention()(h)))
    codes = encode_sequences(["ACGTACGTAC", "TTTTGGGGCCCA"], length=length)

    def to_measured(y):
        return np.asarray(y) * 17.66 + 1.0  # a denormalisation: 2 x median, plus a shift

    viewer = SequenceAttentionViewer(model, codes, np.array([9.0, 5.0]), to_measured=to_measured)
    raw = predict_output(model, codes).reshape(-1)
    np.testing.assert_allclose(viewer.predicted, to_measured(raw), rtol=1e-5)
    ism = in_silico_mutagenesis(model, codes[:1])[0]
    np.testing.assert_allclose(viewer.current()["mutagenesis"], ism * 17.66, rtol=1e-4, atol=1e-6)
    mutant = codes[:1].copy()
    mutant[0, 5] = 1
    change = to_measured(predict_output(model, mutant).reshape(-1))[0] - viewer.predicted[0]
    assert viewer.current()["mutagenesis"][5, 1] == pytest.approx(change, rel=1e-3, abs=1e-5)


def test_viewer_says_it_is_busy_and_never_mixes_views(gene_model, gene_data):
    x, y = gene_data
    viewer = GeneAttentionViewer.from_model(gene_model, x, y, genes=list("ABCDEF"))
    seen = {}
    original = viewer._figure

    def spy():
        seen["label"] = viewer.label.value
        seen["image"] = viewer.image.value
        return original()

    before = viewer.image.value
    viewer._figure = spy
    viewer.slider.value = 5
    assert "computing" in seen["label"]
    assert seen["image"] == before  # the old figure stays until the new one is ready
    assert viewer.label.value == viewer._describe() and viewer.image.value != before


def test_jupyterlab_saves_widget_state_in_the_notebook():
    """make install ships the widget manager's saveState setting into this environment's
    JupyterLab (its app settings overrides), so a reopened notebook shows the viewers."""
    import json
    import sys
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[1] / "jupyter" / "overrides.json"
    setting = json.loads(shipped.read_text())["@jupyter-widgets/jupyterlab-manager:plugin"]
    assert setting == {"saveState": True}
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(installed.read_text()) == json.loads(shipped.read_text())

"""gexnb.explain: attention extraction, in-silico mutagenesis and gradient x input."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from gexnb.data.sequences import ONE_HOT_TABLE, PAD_CODE, encode_sequences
from gexnb.errors import InputError, ParameterError
from gexnb.explain import attention_weights, gradient_x_input, in_silico_mutagenesis
from gexnb.models.layers import ContextAttention

LENGTH = 5
# Hand-set weights of a linear model on one-hot: f(seq) = sum_p W[p, base_p] (channels T,C,G,A).
W = np.array(
    [
        [1.0, 2.0, 3.0, 4.0],
        [0.5, -0.5, 0.0, 0.0],
        [0.0, 0.0, 10.0, 0.0],
        [-1.0, 1.0, -2.0, 2.0],
        [0.25, 0.0, 0.0, 0.0],
    ],
    dtype="float32",
)


class OneHot(keras.layers.Layer):
    def call(self, codes):
        return ops.take(ops.convert_to_tensor(ONE_HOT_TABLE), ops.cast(codes, "int32"), axis=0)

    def compute_output_shape(self, shape):
        return (*shape, 4)


def linear_one_hot_model() -> keras.Model:
    inp = keras.Input((LENGTH,), dtype="uint8")
    x = OneHot(name="one_hot")(inp)
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(1, use_bias=False, name="w")(x)
    model = keras.Model(inp, out)
    model.get_layer("w").set_weights([W.reshape(-1, 1)])
    return model


def test_mutagenesis_of_a_linear_model_by_hand():
    model = linear_one_hot_model()
    # "TGN" left-padded to 5: [PAD, PAD, T, G, N] -> codes [5, 5, 0, 2, 4]
    codes = encode_sequences(["TGN", "CCGAT"], length=LENGTH)
    np.testing.assert_array_equal(codes[0], [PAD_CODE, PAD_CODE, 0, 2, 4])
    delta = in_silico_mutagenesis(model, codes, batch_size=3)
    assert delta.shape == (2, LENGTH, 4) and delta.dtype == np.float32
    # sequence 0: padding positions are skipped (0)
    np.testing.assert_array_equal(delta[0, :2], 0.0)
    # position 2 holds T (W = 0,0,10,0 -> ref 0): substitutions give 0, 0, 10, 0
    np.testing.assert_allclose(delta[0, 2], [0.0, 0.0, 10.0, 0.0])
    # position 3 holds G (-1, 1, -2, 2; ref -2): deltas 1, 3, 0, 4
    np.testing.assert_allclose(delta[0, 3], [1.0, 3.0, 0.0, 4.0])
    # position 4 holds N (all four channels on, 0.25 total): deltas W - 0.25
    np.testing.assert_allclose(delta[0, 4], [0.0, -0.25, -0.25, -0.25])
    # sequence 1 "CCGAT": general formula W[p, b] - W[p, ref_p]
    ref = np.array([1, 1, 2, 3, 0])
    expected = W - W[np.arange(LENGTH), ref][:, None]
    np.testing.assert_allclose(delta[1], expected, atol=1e-6)
    # reference base gets exactly zero
    assert (delta[1][np.arange(LENGTH), ref] == 0).all()
    # batching does not change the answer
    np.testing.assert_allclose(in_silico_mutagenesis(model, codes, batch_size=1000), delta)


def test_mutagenesis_bad_input():
    model = linear_one_hot_model()
    with pytest.raises(InputError):
        in_silico_mutagenesis(model, np.zeros(5, dtype="uint8"))
    with pytest.raises(InputError):
        in_silico_mutagenesis(model, np.full((1, LENGTH), 7, dtype="uint8"))
    with pytest.raises(ParameterError):
        in_silico_mutagenesis(model, np.zeros((1, LENGTH), dtype="uint8"), batch_size=0)


def test_gradient_x_input_linear_models():
    # float input: d(w.x)/dx * x = w * x
    w = np.array([2.0, -1.0, 0.5], dtype="float32")
    inp = keras.Input((3,))
    dense = keras.layers.Dense(1, use_bias=True)
    model = keras.Model(inp, dense(inp))
    dense.set_weights([w[:, None], np.array([3.0], "float32")])
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]], dtype="float32")
    np.testing.assert_allclose(gradient_x_input(model, x, batch_size=1), w * x, rtol=1e-6)
    # code input: gradient w.r.t. the one-hot layer, times the one-hot -> W at each base, in
    # base order A, C, G, T (gexnb's channels are T, C, G, A) and zero at N and padding (the
    # model's N is a quarter of each base: it was non-zero there; a reviewer's finding)
    codes = encode_sequences(["CCGAT", "TGN"], length=LENGTH)
    gxi = gradient_x_input(linear_one_hot_model(), codes)
    assert gxi.shape == (2, LENGTH, 4)
    acgt = [3, 1, 2, 0]  # the channel of A, C, G, T
    np.testing.assert_allclose(gxi[0], (W * ONE_HOT_TABLE[codes[0]])[:, acgt], atol=1e-6)
    np.testing.assert_allclose(gxi[0].sum(axis=1), W[np.arange(LENGTH), codes[0]], atol=1e-6)
    np.testing.assert_array_equal(gxi[1, [0, 1, 4]], 0.0)  # padding, padding, N


def test_attention_weights_errors():
    with pytest.raises(ParameterError, match="no attention layer"):
        attention_weights(linear_one_hot_model(), np.zeros((1, LENGTH), "uint8"))
    with pytest.raises(ParameterError):
        attention_weights(object(), np.zeros((1, 3)))


def _motif_model(length: int) -> keras.Model:
    inp = keras.Input((length,), dtype="uint8")
    x = OneHot()(inp)
    x = keras.layers.Conv1D(16, 9, padding="same", activation="relu")(x)
    x = ContextAttention(name="attention")(x)
    out = keras.layers.Dense(1)(x)
    return keras.Model(inp, out)


def test_planted_motif_found_by_attention_and_mutagenesis():
    """A small conv + context-attention model trained ~20 s on synthetic promoters.

    The planted motifs (gexnb.data.synthetic) drive the expression, so the attention mass and
    the mutagenesis effects must concentrate in the planted windows.
    """
    from gexnb.data.synthetic import planted_positions, synthetic_promoters

    length = 120
    frame = synthetic_promoters(3000, seed=1, noise=0.3)
    codes = encode_sequences(frame["sequence"], length=length, too_long="trim")
    y = frame["expression"].to_numpy("float32")
    y = (y - y.mean()) / y.std()
    keras.utils.set_random_seed(0)
    model = _motif_model(length)
    model.compile(optimizer=keras.optimizers.Adam(0.005), loss="mse")
    model.fit(codes[:2800], y[:2800], epochs=6, batch_size=64, verbose=0)
    test = slice(2800, 3000)
    positions = planted_positions(frame, length=length)
    widths = {name: len(info["motif"]) for name, info in frame.attrs["motifs"].items()}
    inside = np.zeros((200, length), dtype=bool)
    act = positions["activator"][test]
    for name, pos in positions.items():
        for row, start in enumerate(pos[test]):
            if start >= 0:
                inside[row, max(start - 2, 0) : start + widths[name] + 2] = True
    att = attention_weights(model, codes[test], batch_size=64)
    np.testing.assert_allclose(att.sum(axis=1), 1.0, atol=1e-5)
    with_motif = inside.any(axis=1)
    ratio = att[inside].mean() / att[~inside & (codes[test] != PAD_CODE)].mean()
    assert ratio > 2.0, ratio
    # mutagenesis on 30 sequences carrying the activator: strongest effects inside its window
    rows = np.flatnonzero(act >= 0)[:30]
    ism = np.abs(in_silico_mutagenesis(model, codes[test][rows], batch_size=2048)).sum(axis=2)
    hits = 0
    for k, row in enumerate(rows):
        peak = int(np.argmax(ism[k]))
        hits += bool(inside[row, peak])
        assert with_motif[row]
    assert hits >= 0.8 * len(rows), hits
    window = np.zeros_like(ism, dtype=bool)
    for k, row in enumerate(rows):
        window[k, act[row] : act[row] + widths["activator"]] = True
    assert ism[window].mean() > 3.0 * ism[~window].mean()


def test_promoter_bigru_explained():
    """The promoter BiGRU (uint8 codes in) works with every explanation."""
    from gexnb.models import build

    model = build("metformin_bigru", length=20, n_layers=1, units=4)
    codes = encode_sequences(["ACGTACGTACGTAC", "GATTACAGATTACAGATTAC"], length=20)
    att = attention_weights(model, codes)
    assert att.shape == (2, 20)
    np.testing.assert_allclose(att.sum(axis=1), 1.0, atol=1e-5)
    ism = in_silico_mutagenesis(model, codes, batch_size=16)
    assert ism.shape == (2, 20, 4)
    np.testing.assert_array_equal(ism[0, :6], 0.0)  # left padding
    assert np.abs(ism[1]).sum() > 0
    # ISM of one position equals the explicit prediction difference
    mutant = codes[1:2].copy()
    mutant[0, 7] = 1
    delta = float(model(mutant)[0, 0] - model(codes[1:2])[0, 0])
    assert ism[1, 7, 1] == pytest.approx(delta, abs=1e-6)
    gxi = gradient_x_input(model, codes)
    assert gxi.shape == (2, 20, 4) and np.isfinite(gxi).all()
    np.testing.assert_array_equal(gxi[0, :6], 0.0)


# ---------------------------------------------------------------- faults found by an API sweep


def _float_model(width: int = 3) -> keras.Model:
    """A landmark-style model: a float matrix in (not sequence codes)."""
    inp = keras.Input((width,), name="landmarks")
    return keras.Model(inp, keras.layers.Dense(2)(inp), name="landmark_mlp")


def test_sequence_explanations_refuse_a_model_that_does_not_take_codes():
    from gexnb.explain import hypothetical_contributions

    model, codes = _float_model(), np.ones((2, 3), dtype=np.uint8)
    expected = (
        r"needs a sequence model \(input of uint8 codes\); model 'landmark_mlp' takes float32 "
        r"input of shape \(3,\)"
    )
    with pytest.raises(ParameterError, match="in_silico_mutagenesis " + expected):
        in_silico_mutagenesis(model, codes)
    for method in ("ism", "gradient"):
        with pytest.raises(ParameterError, match="hypothetical_contributions " + expected):
            hypothetical_contributions(model, codes, method=method)


@pytest.mark.parametrize("model", [None, np.zeros((2, LENGTH, 4)), "model.keras"])
def test_explanations_refuse_what_is_not_a_keras_model(model):
    codes = encode_sequences(["CCGAT"], length=LENGTH)
    with pytest.raises(ParameterError, match="in_silico_mutagenesis: model must be a Keras model"):
        in_silico_mutagenesis(model, codes)
    with pytest.raises(ParameterError, match="gradient_x_input: model must be a Keras model"):
        gradient_x_input(model, codes)


def test_nan_inputs_are_refused_naming_the_row():
    x = np.array([[1.0, 2.0, 3.0], [np.nan, 1.0, 2.0]], dtype="float32")
    with pytest.raises(InputError, match="inputs is NaN or infinite at row 1, column 0"):
        gradient_x_input(_float_model(), x)
    inp = keras.Input((4,))
    hidden = keras.layers.Dense(8)(keras.layers.Reshape((4, 1))(inp))
    attention = keras.Model(inp, keras.layers.Dense(1)(ContextAttention()(hidden)))
    x = np.ones((3, 4), dtype="float32")
    assert attention_weights(attention, x).shape == (3, 4)
    x[2, 1] = np.inf
    with pytest.raises(InputError, match="inputs is NaN or infinite at row 2, column 1"):
        attention_weights(attention, x)


def test_centre_scores_checks_shapes_and_values():
    from gexnb.explain import centre_scores

    codes = encode_sequences(["CCGAT", "TGN"], length=LENGTH)
    scores = np.arange(2 * LENGTH * 4, dtype=float).reshape(2, LENGTH, 4)
    assert centre_scores(scores, codes).shape == (2, LENGTH, 4)
    with pytest.raises(InputError, match=r"codes have shape \(1, 5\) but the scores are for"):
        centre_scores(scores, codes[:1])
    with pytest.raises(InputError, match=r"scores must be \(n, length, 4\).*\(2, 5, 3\)"):
        centre_scores(scores[..., :3], codes)
    scores[1, 3, 2] = np.nan
    with pytest.raises(InputError, match="scores is NaN or infinite at row 1, position 3"):
        centre_scores(scores, codes)

"""ContextAttention (Metformin-121 attention pooling) and the model registry."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from gexnb.errors import ParameterError
from gexnb.models import available, build
from gexnb.models.layers import ContextAttention, GroupedConv1D, TAAFUnit


def _tiny_model(return_attention: bool = False) -> keras.Model:
    inputs = keras.Input((7, 3))
    out = ContextAttention(return_attention=return_attention, name="attention")(inputs)
    return keras.Model(inputs, out)


def test_weights_shape_and_count():
    layer = ContextAttention()
    layer.build((None, 142, 128))
    assert [tuple(w.shape) for w in layer.weights] == [(128, 128), (128,), (128,)]
    assert sum(int(np.prod(w.shape)) for w in layer.weights) == 16_640


def test_matches_hand_computation():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2, 5, 3)).astype("float32")
    layer = ContextAttention(return_attention=True)
    context, weights = layer(hidden)
    w, b, u = (keras.ops.convert_to_numpy(v) for v in layer.weights)
    logits = np.tanh(hidden @ w + b) @ u
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(context),
        (hidden * expected[..., None]).sum(1),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights).sum(1), 1.0, rtol=1e-6)


def test_softmax_stable_for_huge_scores():
    layer = ContextAttention()
    layer.build((None, 4, 2))
    layer.u.assign(np.array([1e4, 1e4], dtype="float32"))
    layer.W.assign(np.eye(2, dtype="float32"))
    weights = keras.ops.convert_to_numpy(
        layer.attention_weights(np.full((1, 4, 2), 50.0, "float32"))
    )
    assert np.all(np.isfinite(weights))
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-6)


def test_masked_steps_get_zero_weight():
    layer = ContextAttention()
    hidden = np.ones((1, 4, 2), "float32")
    mask = np.array([[False, True, True, False]])
    layer.build(hidden.shape)
    weights = keras.ops.convert_to_numpy(layer.attention_weights(hidden, mask=mask))
    np.testing.assert_allclose(weights, [[0.0, 0.5, 0.5, 0.0]], atol=1e-6)


def test_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = ContextAttention()
        out = layer(np.ones((1, 3, 2), "float16"))
        assert layer.compute_dtype == "float32"
        assert keras.backend.standardize_dtype(out.dtype) == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_keras_save_load_round_trip(tmp_path):
    model = _tiny_model(return_attention=True)
    x = np.random.default_rng(1).normal(size=(4, 7, 3)).astype("float32")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert loaded.get_layer("attention").get_config()["return_attention"] is True


def test_registry_rejects_unknown_names_and_lists_valid_ones():
    with pytest.raises(ParameterError, match="available models"):
        build("no_such_model")
    assert isinstance(available(), list)


def test_attention_context_vector_starts_as_in_the_teams_keras2_code():
    """u ~ U(+-sqrt(3 / sqrt(features))): Keras 2's glorot_uniform for a 1-D weight."""
    keras.utils.set_random_seed(0)
    layer = ContextAttention()
    layer.build((None, 10, 128))
    u = keras.ops.convert_to_numpy(layer.u)
    limit = np.sqrt(3.0 / np.sqrt(128))
    assert limit == pytest.approx(0.515, abs=1e-3)
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.9 * limit
    assert u.std() == pytest.approx(limit / np.sqrt(3), rel=0.2)


def test_reverse_strand_matches_numpy_reverse_complement():
    from gexnb.data.sequences import encode_sequences, reverse_complement
    from gexnb.models.layers import ReverseStrand

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), size=n)) for n in (1, 5, 12, 12, 0 + 7)]
    codes = encode_sequences(seqs, length=12)
    out = keras.ops.convert_to_numpy(ReverseStrand()(codes))
    np.testing.assert_array_equal(out, reverse_complement(codes, pad="left"))
    assert out.dtype == np.uint8
    twice = keras.ops.convert_to_numpy(ReverseStrand()(out))
    np.testing.assert_array_equal(twice, codes)
    flags = np.array([[0, 1], [0, 0], [1, 1], [0, 1], [0, 0]], "float32")
    _, reverse_flags = ReverseStrand()([codes, flags])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(reverse_flags),
                                  [[1, 1], [1, 0], [1, 1], [1, 1], [1, 0]])  # fmt: skip


def test_strand_averaged_model_saves_and_averages(tmp_path):
    from gexnb.data.sequences import encode_sequences, reverse_complement
    from gexnb.models import build
    from gexnb.models.layers import strand_averaged
    from gexnb.train import load_model, predict

    codes = encode_sequences(["ACGTTGCA", "GGA", "TTTTACG"], length=10)
    net = build("dream_cnn", length=10, first_filters=4, core_sizes=[4])
    both = strand_averaged(net)
    forward = predict(net, codes)
    reverse = predict(net, reverse_complement(codes, pad="left"))
    np.testing.assert_allclose(predict(both, codes), (forward + reverse) / 2, rtol=1e-5)
    assert both.count_params() == net.count_params()
    both.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(predict(again, codes), predict(both, codes), rtol=1e-6)


@pytest.mark.parametrize("layer", [ContextAttention(), TAAFUnit(), GroupedConv1D(4, 3, groups=2)])
def test_an_unknown_last_dimension_is_named(layer):
    """Found by mypy: ``int(None)`` was a bare TypeError from inside Keras' build."""
    with pytest.raises(ValueError, match=r"needs a known last input dimension, got shape \(None"):
        layer.build((None, 7, None))

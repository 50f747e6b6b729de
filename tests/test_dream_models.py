"""DREAM 2022 winning sequence models: autosome.org's LegNet and the Prix Fixe DREAM-CNN.

Parameter counts against the authors' code, layer settings, the bilinear squeeze-excitation
against an explicit tensor contraction, short fits, ``.keras`` round trips, the registry and
hyperparameter checks.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb.errors import ParameterError  # noqa: E402
from gexnb.models import available, build  # noqa: E402
from gexnb.models import dream_cnn as dream_cnn_module  # noqa: E402
from gexnb.models import legnet as legnet_module  # noqa: E402
from gexnb.models.layers import (  # noqa: E402
    GroupedConv1D,
    SoftBinExpectation,
    SqueezeExcite1D,
)
from gexnb.models.legnet import (  # noqa: E402
    bin_logits_model,
    se_bilinear_rank,
    soft_bin_targets,
)

SMALL_LEGNET = {"length": 40, "block_sizes": (16, 8, 8), "kernel_size": 5}
SMALL_CNN = {"length": 40, "first_filters": 16, "core_sizes": (8, 8), "kernel_size": 5}


@cache
def _full_size(name: str, extra_channels: int = 0) -> keras.Model:
    """The full-size model with its defaults, built once per test session."""
    return build(name, extra_channels=extra_channels)


def _trainable(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _bn(channels: int) -> int:
    return 2 * channels  # gamma, beta (PyTorch keeps the running statistics as buffers)


def _legnet_stage(c_in: int, c_out: int, *, ks: int = 7, bilinear: bool = True) -> int:
    """Trainable parameters of one stage of the authors' SeqNN / AutosomeCoreBlock.

    inv_res_blc: Conv1d(c_in, 4c_out, 1, bias=False) + BN; Conv1d(4c_out, 4c_out, ks,
    groups=2c_out, bias=False) + BN (2 input channels per group); SE; Conv1d(4c_out, c_in, 1,
    bias=False) + BN. resize_blc: Conv1d(2c_in, c_out, ks, bias=False) + BN.
    SE (LegNet, ``SELayer(inp=c_in, oup=4c_out, reduction=4)``), h = c_in // 4, q = h // 2:
    Linear(4c_out, h), Linear(h, h), Bilinear = tltorch TRL((h, h), (q,), rank=0.5, bias)
    = CP weights (R) + factors (h + h + q) x R + bias q with R = round(0.5 h*h*q / (2h + q))
    (tensorly validate_cp_rank), Linear(h + q, 4c_out).
    SE (Prix Fixe ``SELayerSimple``): Linear(4c_out, h), Linear(h, 4c_out).
    """
    inner, h = 4 * c_out, c_in // 4
    n = c_in * inner + _bn(inner) + inner * 2 * ks + _bn(inner) + inner * c_in + _bn(c_in)
    if bilinear:
        q = h // 2
        rank = round(0.5 * h * h * q / (2 * h + q))
        n += (inner * h + h) + (h * h + h) + (rank + (2 * h + q) * rank + q)
        n += (h + q) * inner + inner
    else:
        n += (inner * h + h) + (h * inner + inner)
    return n + 2 * c_in * c_out * ks + _bn(c_out)


def _authors_legnet_parameters() -> int:
    """SeqNN of the DREAM submission (model.py + train.sh): 6 input channels, blocks
    256 128 128 64 64 64 64, ks 7, final_ch 18 -> 1,852,846 (also printed by their train.py's
    ``parameter_count``, which sums ``named_parameters``)."""
    blocks = (256, 128, 128, 64, 64, 64, 64)
    n = 6 * 256 * 7 + _bn(256)  # blc0: Conv1d(6, 256, 7, bias=False) + BN
    n += sum(_legnet_stage(a, b) for a, b in zip(blocks[:-1], blocks[1:], strict=True))
    return n + 64 * 18 + 18  # mapper: Conv1d(64, 18, 1) with bias


def _authors_dream_cnn_parameters() -> int:
    """DREAM-CNN of DREAMNets_BuildModel_Train_and_Predict.ipynb: BHIFirstLayersBlock(6 ->
    320, kernels 9, 15: Conv1d(6, 160, k) with bias each), AutosomeCoreBlock(320 -> 64:
    stages 320-128-128-64-64-64-64, simple SE), AutosomeFinalLayersBlock(Conv1d(64, 18, 1)).
    The notebook's torchinfo summary prints the same total, 1,933,970."""
    n = (6 * 160 * 9 + 160) + (6 * 160 * 15 + 160)
    sizes = (320, 128, 128, 64, 64, 64, 64)
    n += sum(
        _legnet_stage(a, b, bilinear=False) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    )
    return n + 64 * 18 + 18


def test_legnet_parameter_count_matches_authors():
    assert _authors_legnet_parameters() == legnet_module.PAPER_PARAMETERS == 1_852_846
    model = _full_size("legnet", 2)
    assert _trainable(model) == 1_852_846
    # plus the BatchNorm moving mean and variance, which Keras counts in count_params()
    bn = [x for x in model.layers if isinstance(x, keras.layers.BatchNormalization)]
    moving = sum(2 * int(x.gamma.shape[0]) for x in bn)
    assert model.count_params() == 1_852_846 + moving
    # one code input: 4 instead of 6 stem input channels
    assert _trainable(_full_size("legnet")) == 1_852_846 - 2 * 256 * 7


def test_dream_cnn_parameter_count_matches_authors():
    assert _authors_dream_cnn_parameters() == dream_cnn_module.PAPER_PARAMETERS == 1_933_970
    assert _trainable(_full_size("dream_cnn", 2)) == 1_933_970
    assert _trainable(_full_size("dream_cnn")) == 1_933_970 - 2 * 160 * (9 + 15)


def test_legnet_layers_follow_the_submission():
    model = _full_size("legnet")
    assert model.inputs[0].dtype == "uint8" and tuple(model.inputs[0].shape) == (None, 150)
    assert tuple(model.output.shape) == (None, 1)
    group = model.get_layer("stage0_group_conv")
    assert group.kernel_size == 7 and group.groups == 256
    assert tuple(group.kernel.shape) == (7, 2, 512) and len(group.weights) == 1  # no bias
    assert model.get_layer("stage0_expand_conv").filters == 512
    assert model.get_layer("stage0_project_conv").filters == 256
    assert model.get_layer("stage0_resize_conv").kernel_size == (7,)
    bn = model.get_layer("stage3_resize_bn")
    assert bn.momentum == pytest.approx(0.9) and bn.epsilon == pytest.approx(1e-5)
    ranks = [model.get_layer(f"stage{i}_se").bilinear_rank for i in range(6)]
    assert ranks == [410, 102, 102, 26, 26, 26]
    assert [se_bilinear_rank(h, h // 2) for h in (64, 32, 16)] == [410, 102, 26]
    assert model.get_layer("mapper").filters == 18
    assert model.get_layer("mapper_act").activation.__name__ == "silu"
    assert model.get_layer("logits").output.shape[-1] == 18


def test_dream_cnn_layers_follow_prix_fixe():
    model = _full_size("dream_cnn")
    assert [model.get_layer(f"first{j}_conv").kernel_size for j in (0, 1)] == [(9,), (15,)]
    assert model.get_layer("first0_conv").filters == 160
    assert model.get_layer("first1_dropout").rate == pytest.approx(0.2)
    assert [model.get_layer(f"core{i}_resize_conv").filters for i in range(6)] == [
        128,
        128,
        64,
        64,
        64,
        64,
    ]
    assert all(model.get_layer(f"core{i}_se").bilinear_units == 0 for i in range(6))
    assert model.get_layer("core0_se").hidden_units == 80
    names = [x.name for x in model.layers]
    assert "mapper_act" not in names  # the final block has no activation after the mapper


def test_bilinear_se_equals_full_tensor_contraction():
    rng = np.random.default_rng(0)
    layer = SqueezeExcite1D(4, bilinear_units=2, bilinear_rank=3)
    x = rng.normal(size=(3, 5, 6)).astype("float32")
    layer.build(x.shape)
    weights = [rng.normal(scale=0.5, size=tuple(w.shape)).astype("float32") for w in layer.weights]
    layer.set_weights(weights)
    w1, b1, w2, b2, cw, a, b, c, cb, w3, b3 = (w.astype("float64") for w in weights)

    def silu(v):
        return v / (1 + np.exp(-v))

    z = silu(x.mean(axis=1) @ w1 + b1) @ w2 + b2
    full = np.einsum("r,jr,kr,ir->jki", cw, a, b, c)  # CP tensor (h, h, q)
    bil = np.einsum("bj,bk,jki->bi", z, z, full) + cb  # TRL on the outer product z z^T
    gate = 1 / (1 + np.exp(-(silu(np.concatenate([z, bil], axis=1)) @ w3 + b3)))
    expected = x * gate[:, None, :]
    got = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert sum(int(np.prod(w.shape)) for w in layer.weights) == (
        6 * 4 + 4 + 4 * 4 + 4 + 3 + (4 + 4 + 2) * 3 + 2 + 6 * 6 + 6
    )


def test_grouped_conv_matches_keras_conv1d_groups():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 9, 12)).astype("float32")
    ours = GroupedConv1D(8, 3, groups=4)
    ours.build(x.shape)
    reference = keras.layers.Conv1D(8, 3, groups=4, padding="same", use_bias=False)
    reference.build(x.shape)
    kernel = rng.normal(size=(3, 3, 8)).astype("float32")
    ours.set_weights([kernel])
    reference.set_weights([kernel])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)),
        keras.ops.convert_to_numpy(reference(x)),
        rtol=1e-5,
        atol=1e-5,
    )


def test_soft_bins_expectation_and_targets():
    logits = np.array([[0.0, 0.0, 0.0], [10.0, -10.0, -10.0]], dtype="float32")
    out = keras.ops.convert_to_numpy(SoftBinExpectation()(logits))
    np.testing.assert_allclose(out, [[1.0], [0.0]], atol=1e-4)
    targets = soft_bin_targets([3.0, 10.2, 0.0, 17.0], 18, shift=0.5, scale=0.5)
    assert targets.shape == (4, 18) and targets.dtype == np.float32
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, atol=1e-6)
    assert targets[0].argmax() == 3 and targets[1].argmax() == 10
    # the top bin is open-ended: P(N(17.5, 0.5) > 17) = Phi(1)
    assert targets[3, 17] == pytest.approx(0.841345, abs=1e-5)
    with pytest.raises(ParameterError):
        soft_bin_targets([np.nan])


def _codes(n: int, length: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 6, size=(n, length)).astype(np.uint8)


@pytest.mark.parametrize(
    ("name", "hparams"),
    [
        ("legnet", SMALL_LEGNET),
        ("legnet", {**SMALL_LEGNET, "output": "linear", "bilinear_se": False}),
        ("dream_cnn", SMALL_CNN),
    ],
)
def test_small_models_fit_two_epochs(name, hparams):
    keras.utils.set_random_seed(0)
    x = _codes(48, 40)
    y = np.random.default_rng(1).uniform(0, 17, size=(48, 1)).astype("float32")
    model = build(name, **hparams)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))
    pred = model.predict(x, verbose=0)
    assert pred.shape == (48, 1) and pred.dtype == np.float32 and np.all(np.isfinite(pred))
    if hparams.get("output", "bins") == "bins":
        assert np.all((pred >= 0) & (pred <= 17))


@pytest.mark.parametrize("name", ["legnet", "dream_cnn"])
def test_keras_file_round_trip(tmp_path, name):
    small = SMALL_LEGNET if name == "legnet" else SMALL_CNN
    model = build(name, **small, extra_channels=2)
    assert [tuple(t.shape) for t in model.inputs] == [(None, 40), (None, 2)]
    x = [_codes(8, 40, seed=2), np.tile([[0.0, 1.0]], (8, 1)).astype("float32")]
    rng = np.random.default_rng(4)  # every weight away from its initial value, variances > 0
    model.set_weights([rng.uniform(0.05, 0.3, size=w.shape) for w in model.get_weights()])
    before = model.predict(x, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    assert before.shape == (8, 1)


def test_logits_model_shares_weights():
    model = build("legnet", **SMALL_LEGNET)
    logits_model = bin_logits_model(model)
    x = _codes(4, 40, seed=3)
    logits = keras.ops.convert_to_numpy(logits_model.predict(x, verbose=0))
    assert logits.shape == (4, 18)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        model.predict(x, verbose=0)[:, 0], probs @ np.arange(18), rtol=1e-5, atol=1e-5
    )
    logits_model.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=True))
    logits_model.fit(x, soft_bin_targets(np.array([1.0, 5.0, 9.0, 16.0])), epochs=1, verbose=0)
    with pytest.raises(ParameterError):
        bin_logits_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))


def test_registry_lists_and_builds_both():
    assert {"legnet", "dream_cnn"} <= set(available())
    assert build("legnet", **SMALL_LEGNET).name == "legnet"
    model = build("dream_cnn", **SMALL_CNN, output="linear")
    assert model.name == "dream_cnn" and isinstance(model.get_layer("output"), keras.layers.Dense)
    pred = model.predict(_codes(5, 40), verbose=0)
    assert pred.shape == (5, 1) and np.all(np.isfinite(pred))


def test_mixed_precision_output_is_float32():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build("legnet", **SMALL_LEGNET)
    finally:
        keras.config.set_dtype_policy(previous)
    assert model.get_layer("stage0_expand_conv").compute_dtype == "float16"
    for layer in ("mapper", "logits", "output"):
        assert model.get_layer(layer).compute_dtype == "float32"
    assert model.output.dtype == "float32"


@pytest.mark.parametrize(
    ("name", "hparams"),
    [
        ("legnet", {"length": 0}),
        ("legnet", {"length": 1.5}),
        ("legnet", {"extra_channels": -1}),
        ("legnet", {"block_sizes": (64,)}),
        ("legnet", {"block_sizes": (64, 0)}),
        ("legnet", {"block_sizes": "256"}),
        ("legnet", {"kernel_size": 0}),
        ("legnet", {"filters_per_group": 3}),
        ("legnet", {"se_reduction": 0}),
        ("legnet", {"block_sizes": (4, 4)}),  # SE width 1: no room for the bilinear term
        ("legnet", {"n_bins": 1}),
        ("legnet", {"output": "softmax"}),
        ("legnet", {"mapper_activation": "no_such_activation"}),
        ("legnet", {"resize_factor": True}),
        ("dream_cnn", {"first_filters": 321}),
        ("dream_cnn", {"first_kernel_sizes": ()}),
        ("dream_cnn", {"first_dropout": 1.0}),
        ("dream_cnn", {"first_dropout": "x"}),
        ("dream_cnn", {"core_sizes": (8, -8)}),
        ("dream_cnn", {"se_reduction": 400}),
        ("dream_cnn", {"output": "bins2"}),
        ("dream_cnn", {"length": None}),
    ],
)
def test_bad_hyperparameters_raise(name, hparams):
    with pytest.raises(ParameterError):
        build(name, **hparams)

"""Promoter sequence -> expression: autosome.org's LegNet (``legnet``), DREAM 2022 winner.

LegNet won the Random Promoter DREAM Challenge 2022 (team autosome.org; Penzar et al.,
"LegNet: a best-in-class deep learning model for short DNA regulatory regions",
Bioinformatics 2023; Rafi et al., Nat Biotechnol 2024). This module re-implements in Keras 3
the network of the team's submission, read from ``SeqNN`` in
``dream_submissions/autosome.org/code/model.py`` of de-Boer-Lab/random-promoter-dream-challenge-2022
(identical to ``legnet/model.py`` of autosome-ru/LegNet) with the hyperparameters of its
``train.sh`` (``--ks 7 --blocks 256 128 128 64 64 64 64 --resize_factor 4 --se_reduction 4
--final_ch 18 --use_single_channel``):

- stem: Conv1D(256, 7, "same", no bias) -> BatchNorm -> SiLU;
- six stages, one per pair ``(c_in, c_out)`` of consecutive block sizes, each an
  EfficientNetV2-like inverted bottleneck whose output is *concatenated* to its input::

      h = SiLU(BN(Conv1D(4 c_out, 1)(x)))                      # expand, no bias
      h = SiLU(BN(Conv1D(4 c_out, 7, groups=2 c_out)(h)))      # 2 filters per group
      h = SqueezeExcite1D(c_in // 4, bilinear)(h)              # LegNet SE (below)
      h = SiLU(BN(Conv1D(c_in, 1)(h)))                         # project back to c_in
      x = SiLU(BN(Conv1D(c_out, 7)(concat([x, h]))))           # "resize" block, 2 c_in -> c_out

- head: Conv1D(18, 1, bias) -> SiLU -> global average over positions = 18 logits over the
  expression bins 0..17; prediction = ``softmax(logits) . [0, ..., 17]``.

The squeeze-excitation (:class:`gexnb.models.layers.SqueezeExcite1D`) is the team's: its
width is ``c_in // 4`` (the block *input* channels divided by the reduction), and it holds a
``Linear -> concat(z, Bilinear(z))`` step whose bilinear term is a CP-factorised tensor
regression (``tltorch.TRL``, ``rank=0.5``: CP rank ``round(0.5 h^2 q / (2h + q))`` for
``h = c_in // 4`` inputs and ``q = h // 2`` outputs, as tensorly's ``validate_cp_rank``).

Parameter count. The submission counts 1,852,846 trainable parameters with its 6 input
channels (4 nucleotides + reverse-complement flag + singleton flag), derived layer by layer
in ``tests/test_dream_models.py``; ``build_legnet(extra_channels=2)`` has exactly these as
trainable weights (plus the BatchNorm moving statistics, which PyTorch keeps as buffers). The
default single-input model has ``2 * 7 * 256 = 3,584`` fewer (4 input channels).

Authors' choices kept: layer order, SiLU everywhere (also after the 18-channel mapper),
BatchNorm after every convolution (PyTorch ``momentum=0.1``, ``eps=1e-5`` -> Keras
``momentum=0.9``, ``epsilon=1e-5``), grouped convolution with 2 filters per group, the
bilinear SE, average pooling, 18 bins, and the initialisation of their ``initialize_weights``
(convolutions ``N(0, sqrt(2 / (kernel_size * filters)))`` with zero bias, BatchNorm 1/0, SE
dense layers ``N(0, 0.001)``).

gexnb's choices: the input is the uint8 codes of :mod:`gexnb.data.sequences` one-hot encoded
inside the graph (:class:`gexnb.models.layers.OneHotCodes`: channel order T, C, G, A, ``N`` =
all ones, left padding = all zeros) instead of the team's A, G, C, T one-hot with ``N`` =
0.25 and the plasmid sequence as left padding; the two per-sequence flags are an optional
second input (``extra_channels``) broadcast along the positions; the bilinear CP rank is at
least 1 (the authors' formula gives 0 only for SE widths below 3, never at their sizes);
``output="linear"`` (a Dense(1) read-out of the 18 pooled logits) is a gexnb option. The
grouped convolution is :class:`gexnb.models.layers.GroupedConv1D` (same function and kernel
layout as ``Conv1D(groups=...)``, but fast on TensorFlow CPU).

Training recipe (not part of the model): the team fit the log-softmax of the logits to a
discretised normal around each measured bin (KL divergence, ``--shift 0.5 --scale 0.5``; see
:func:`soft_bin_targets` and :func:`bin_logits_model`) with AdamW and a one-cycle schedule,
on every sequence and its reverse complement, and averaged the predictions of both strands.
With gexnb's default MSE loop (:func:`gexnb.train.fit`) the targets should be in bin units
(0..17), the range of the ``"bins"`` output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from scipy.special import ndtr

from gexnb.errors import ParameterError
from gexnb.models.checks import check_int, check_sizes
from gexnb.models.layers import (
    GroupedConv1D,
    OneHotCodes,
    SoftBinExpectation,
    SqueezeExcite1D,
)
from gexnb.models.registry import register_model

__all__ = [
    "build_legnet",
    "sequence_inputs",
    "effnet_stage",
    "bins_head",
    "bin_logits_model",
    "soft_bin_targets",
    "dream_flags",
    "FLAG_NAMES",
    "se_bilinear_rank",
    "PAPER_BLOCK_SIZES",
    "PAPER_PARAMETERS",
    "OUTPUTS",
]

#: Block sizes of the submission (``--blocks 256 128 128 64 64 64 64``).
PAPER_BLOCK_SIZES = (256, 128, 128, 64, 64, 64, 64)

#: Trainable parameters of the submission (6 input channels): see tests/test_dream_models.py.
PAPER_PARAMETERS = 1_852_846

#: Read-outs: ``"bins"`` (expected bin of the softmax, the authors') or ``"linear"``.
OUTPUTS = ("bins", "linear")

#: PyTorch BatchNorm1d(momentum=0.1, eps=1e-5) in Keras terms.
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5


def check_output(output: Any, n_bins: Any) -> tuple[str, int]:
    """Validate the read-out name and the number of bins."""
    if output not in OUTPUTS:
        raise ParameterError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    return str(output), check_int("n_bins", n_bins, minimum=2)


def se_bilinear_rank(hidden: int, units: int, fraction: float = 0.5) -> int:
    """CP rank of the LegNet SE bilinear term: ``round(fraction * h*h*q / (2h + q))``, >= 1.

    tensorly's ``validate_cp_rank`` for a weight tensor ``(h, h, q)`` and a float rank keeps
    ``fraction`` of the full tensor's parameters, rounding half to even (``np.round``).

    Parameters
    ----------
    hidden
        ``h``, the size of the two bilinear inputs.
    units
        ``q``, the number of output units.
    fraction
        Fraction of the full tensor's parameters kept.

    Returns
    -------
    int
        The rank, at least 1.
    """
    full = hidden * hidden * units
    return max(1, int(np.round(full * fraction / (2 * hidden + units))))


def conv_initializer() -> keras.initializers.Initializer:
    """``N(0, sqrt(2 / (kernel_size * filters)))``: the authors' convolution initialisation."""
    return keras.initializers.VarianceScaling(
        scale=2.0, mode="fan_out", distribution="untruncated_normal"
    )


def _conv_bn_silu(x: Any, filters: int, kernel_size: int, name: str, *, groups: int = 1) -> Any:
    if groups > 1:
        conv = GroupedConv1D(
            filters,
            kernel_size,
            groups,
            kernel_initializer=conv_initializer(),
            name=f"{name}_conv",
        )
    else:
        conv = keras.layers.Conv1D(
            filters,
            kernel_size,
            padding="same",
            use_bias=False,
            kernel_initializer=conv_initializer(),
            name=f"{name}_conv",
        )
    x = conv(x)
    x = keras.layers.BatchNormalization(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_bn"
    )(x)
    return keras.layers.Activation("silu", name=f"{name}_silu")(x)


def sequence_inputs(length: int, extra_channels: int) -> tuple[list[Any], Any]:
    """Model inputs and the one-hot tensor ``(batch, length, 4 + extra_channels)``.

    Input ``codes``: ``(batch, length)`` uint8 sequence codes, one-hot encoded inside the
    graph. With ``extra_channels > 0`` a second input ``extra`` of shape ``(batch,
    extra_channels)`` (one value per sequence, e.g. the DREAM reverse-complement and singleton
    flags) is repeated along the positions and appended as channels after the 4 bases.

    Parameters
    ----------
    length
        Sequence length (positions).
    extra_channels
        Number of per-sequence values appended as channels (0: none, no second input).

    Returns
    -------
    inputs, x
        The list of ``keras.Input`` (``[codes]`` or ``[codes, extra]``) and the
        ``(batch, length, 4 + extra_channels)`` tensor.
    """
    codes = keras.Input(shape=(length,), dtype="uint8", name="codes")
    x = OneHotCodes(name="one_hot")(codes)
    if not extra_channels:
        return [codes], x
    extra = keras.Input(shape=(extra_channels,), dtype="float32", name="extra")
    flags = keras.layers.RepeatVector(length, name="extra_broadcast")(extra)
    x = keras.layers.Concatenate(axis=-1, name="input_channels")([x, flags])
    return [codes, extra], x


def effnet_stage(
    x: Any,
    in_channels: int,
    out_channels: int,
    *,
    kernel_size: int,
    resize_factor: int,
    filters_per_group: int,
    se_hidden: int,
    se_bilinear_units: int,
    se_rank: int,
    name: str,
) -> Any:
    """One LegNet stage: inverted bottleneck with SE, concatenated to its input, then resize.

    ``x`` has ``in_channels`` channels; the result has ``out_channels``. The bottleneck
    expands to ``resize_factor * out_channels`` (1x1), mixes positions with a grouped
    convolution (``filters_per_group`` filters per group), gates the channels
    (:class:`SqueezeExcite1D`), projects back to ``in_channels`` (1x1); its output is
    concatenated after ``x`` and a ``kernel_size`` convolution maps the ``2 * in_channels``
    channels to ``out_channels``. Every convolution is bias-free and followed by
    BatchNormalization and SiLU. One stage of the LegNet ``SeqNN`` [1]_ (and of the Prix
    Fixe autosome.org core block [2]_).

    Parameters
    ----------
    x
        Symbolic Keras tensor ``(batch, steps, in_channels)``.
    in_channels
        Channels of ``x`` (and of the bottleneck's projection back).
    out_channels
        Channels of the stage output.
    kernel_size
        Kernel of the grouped and resize convolutions (7 in LegNet).
    resize_factor
        Expansion of the inverted bottleneck: ``resize_factor * out_channels`` channels.
    filters_per_group
        Filters per group of the grouped convolution (2 in LegNet).
    se_hidden
        Width of the squeeze-excitation (:class:`SqueezeExcite1D` ``hidden_units``).
    se_bilinear_units
        Outputs of the SE bilinear term (0: the plain SE of Prix Fixe's DREAM-CNN).
    se_rank
        CP rank of the SE bilinear term (:func:`se_bilinear_rank`; 0 without it).
    name
        Prefix of the stage's layer names.

    Returns
    -------
    keras tensor
        The stage output ``(batch, steps, out_channels)``.

    References
    ----------
    .. [1] Penzar et al., "LegNet: a best-in-class deep learning model for short DNA regulatory
       regions", Bioinformatics (2023).
    .. [2] Rafi et al., "A community effort to optimize sequence-based deep learning models of
       gene regulation", Nat Biotechnol (2024).
    """
    inner = resize_factor * out_channels
    h = _conv_bn_silu(x, inner, 1, f"{name}_expand")
    h = _conv_bn_silu(h, inner, kernel_size, f"{name}_group", groups=inner // filters_per_group)
    h = SqueezeExcite1D(
        se_hidden, bilinear_units=se_bilinear_units, bilinear_rank=se_rank, name=f"{name}_se"
    )(h)
    h = _conv_bn_silu(h, in_channels, 1, f"{name}_project")
    x = keras.layers.Concatenate(axis=-1, name=f"{name}_concat")([x, h])
    return _conv_bn_silu(x, out_channels, kernel_size, f"{name}_resize")


def bins_head(x: Any, *, n_bins: int, output: str, mapper_activation: str | None) -> Any:
    """Read-out of the DREAM bin models; returns the ``(batch, 1)`` float32 output tensor.

    Conv1D(``n_bins``, 1, bias) [-> ``mapper_activation``] -> mean over positions: the layer
    ``"logits"`` ``(batch, n_bins)``; then ``output="bins"``: :class:`SoftBinExpectation`
    (expected bin, in ``[0, n_bins - 1]``), ``output="linear"``: Dense(1). The head computes
    in float32 under mixed precision; the last layer is named ``"output"``. This is the
    LegNet head [1]_ (SiLU after the mapper) and, with ``mapper_activation=None``, the Prix
    Fixe autosome.org final block [2]_.

    Parameters
    ----------
    x
        Symbolic Keras tensor ``(batch, steps, channels)``, the last stage's output.
    n_bins
        Number of expression bins, i.e. mapper channels and logits (18 in DREAM 2022).
    output
        ``"bins"`` (expected bin, the authors') or ``"linear"`` (Dense(1), gexnb option).
    mapper_activation
        Activation after the 1x1 mapper convolution (``"silu"`` in LegNet), or None.

    Returns
    -------
    keras tensor
        The ``(batch, 1)`` float32 output of the layer ``"output"``.

    References
    ----------
    .. [1] Penzar et al., "LegNet: a best-in-class deep learning model for short DNA regulatory
       regions", Bioinformatics (2023).
    .. [2] Rafi et al., "A community effort to optimize sequence-based deep learning models of
       gene regulation", Nat Biotechnol (2024).
    """
    x = keras.layers.Conv1D(
        n_bins,
        1,
        padding="same",
        use_bias=True,
        kernel_initializer=conv_initializer(),
        dtype="float32",
        name="mapper",
    )(x)
    if mapper_activation not in (None, "linear"):
        x = keras.layers.Activation(mapper_activation, dtype="float32", name="mapper_act")(x)
    logits = keras.layers.GlobalAveragePooling1D(dtype="float32", name="logits")(x)
    if output == "bins":
        return SoftBinExpectation(name="output")(logits)
    return keras.layers.Dense(1, dtype="float32", name="output")(logits)


def bin_logits_model(model: keras.Model) -> keras.Model:
    """A model sharing ``model``'s layers whose output is its ``"logits"`` ``(batch, n_bins)``.

    For training a ``legnet`` or ``dream_cnn`` as the authors did, on bin probabilities:
    ``bin_logits_model(m).compile(opt, keras.losses.CategoricalCrossentropy(from_logits=True))``
    and fit on :func:`soft_bin_targets` (cross-entropy with soft targets differs from the
    authors' KL divergence by the targets' entropy, a constant: same gradients). The weights
    are shared, so ``m.predict`` then gives the expected bin.

    Parameters
    ----------
    model
        A model with a layer named ``"logits"``.

    Returns
    -------
    keras.Model
        The model from ``model``'s inputs to its logits, named ``<name>_logits``.

    Raises
    ------
    ParameterError
        If ``model`` has no ``"logits"`` layer.
    """
    try:
        logits = model.get_layer("logits").output
    except ValueError:
        raise ParameterError(f"model {model.name!r} has no 'logits' layer") from None
    return keras.Model(model.inputs, logits, name=f"{model.name}_logits")


def soft_bin_targets(
    y: Any, n_bins: int = 18, *, shift: float = 0.5, scale: float = 0.5
) -> np.ndarray:
    """Bin probabilities ``(n, n_bins)`` for measured expression ``y`` in bin units.

    The LegNet [1]_ training target: a normal distribution centred at ``y + shift`` with standard
    deviation ``scale``, integrated over the bins ``(-inf, 1], (1, 2], ..., (n_bins - 1,
    inf)`` (the team's ``SeqDatasetRevProb`` with ``--shift 0.5 --scale 0.5``). Rows sum to 1.

    Parameters
    ----------
    y
        Measured expression in bin units (any shape; flattened to ``n`` values, all finite).
    n_bins
        Number of bins (18 in DREAM 2022).
    shift
        Offset added to ``y`` to centre the normal (``--shift``).
    scale
        Standard deviation of the normal, positive (``--scale``).

    Returns
    -------
    numpy.ndarray
        ``(n, n_bins)`` float32 bin probabilities.

    Raises
    ------
    ParameterError
        For ``n_bins < 2``, a non-positive ``scale`` or non-finite ``y``.

    References
    ----------
    .. [1] Penzar et al., "LegNet: a best-in-class deep learning model for short DNA regulatory
       regions", Bioinformatics (2023).
    """
    n_bins = check_int("n_bins", n_bins, minimum=2)
    if not float(scale) > 0:
        raise ParameterError(f"scale must be positive, got {scale!r}")
    values = np.asarray(y, dtype="float64").reshape(-1, 1)
    if not np.all(np.isfinite(values)):
        raise ParameterError("soft_bin_targets: y has non-finite values")
    edges = np.concatenate([[-np.inf], np.arange(1, n_bins, dtype="float64"), [np.inf]])
    cdf = ndtr((edges[None, :] - (values + float(shift))) / float(scale))
    return np.diff(cdf, axis=1).astype("float32")


#: The per-sequence flags of the DREAM 2022 winners' extra input channels, in the LegNet
#: team's order (``dream_ablation/dream_dataset.py``: the reverse channel, then the singleton
#: channel): ``build_legnet(extra_channels=2)`` / ``build_dream_cnn(extra_channels=2)``.
FLAG_NAMES = ("reverse_strand", "singleton")


def dream_flags(y: Any = None, n: int | None = None) -> np.ndarray:
    """The ``(n, 2)`` float32 flags of :data:`FLAG_NAMES` for forward-strand sequences.

    ``singleton`` is 1 where the measured expression ``y`` is a whole number: in the DREAM
    2022 training data such a value is the bin of a sequence seen in a single cell (the
    LegNet team's ``infer_singleton``; 57.9 % of the training rows of notebook 02's real
    profile). Without ``y`` (test sequences, or any sequence to predict) every row gets 0
    for "not a singleton", as the team predicted with ``singleton_mode="no_singletons"``.
    ``reverse_strand`` is 0 here; :func:`gexnb.train.fit` and :func:`gexnb.train.predict` set
    it to 1 for the reverse complements they add.

    Parameters
    ----------
    y
        Measured expression per sequence, or None.
    n
        Number of rows when ``y`` is None (all flags 0).

    Returns
    -------
    numpy.ndarray
        float32 ``(n, 2)`` flags, columns in :data:`FLAG_NAMES` order.

    Raises
    ------
    ParameterError
        If neither ``y`` nor ``n`` is given.
    """
    if y is None:
        if n is None:
            raise ParameterError("dream_flags needs the measured values y or a number of rows n")
        return np.zeros((int(n), len(FLAG_NAMES)), dtype="float32")
    values = np.asarray(y, dtype="float64").reshape(-1)
    flags = np.zeros((len(values), len(FLAG_NAMES)), dtype="float32")
    flags[:, 1] = np.isfinite(values) & (values == np.round(values))
    return flags


@register_model("legnet", kind="deep", task="sequence")
def build_legnet(
    *,
    length: int = 150,
    extra_channels: int = 0,
    block_sizes: Sequence[int] = PAPER_BLOCK_SIZES,
    kernel_size: int = 7,
    resize_factor: int = 4,
    filters_per_group: int = 2,
    se_reduction: int = 4,
    bilinear_se: bool = True,
    n_bins: int = 18,
    output: str = "bins",
    mapper_activation: str | None = "silu",
    name: str = "legnet",
) -> keras.Model:
    """Build autosome.org's LegNet (DREAM Challenge 2022, 1st place) on uint8 sequence codes.

    LegNet as published by Penzar et al. [1]_ and compared in the challenge paper [2]_. Stem ->
    ``len(block_sizes) - 1`` stages (:func:`effnet_stage`) -> :func:`bins_head`; see the
    module docstring for the layer-by-layer description and what is the authors' and what
    is gexnb's. With the defaults and ``extra_channels=2`` the trainable parameters are
    the submission's 1,852,846 (:data:`PAPER_PARAMETERS`).

    Parameters
    ----------
    length
        Sequence length after padding (the team used 150: 80-nt random region, 57 nt of
        plasmid before it and the right adapter).
    extra_channels
        Number of per-sequence values given as a second input ``extra`` of shape ``(batch,
        extra_channels)`` and broadcast along the positions (the team used 2: reverse
        complement flag and "singleton" flag, 1 for sequences with an integer measured
        bin). 0 (default): one input, the codes, as :func:`gexnb.train.fit` feeds.
    block_sizes
        Channels of the stem and of each stage's output (the team's ``--blocks``).
    kernel_size
        Kernel of the stem, grouped and resize convolutions (``--ks 7``).
    resize_factor
        Expansion of the inverted bottleneck (``--resize_factor 4``).
    filters_per_group
        Filters per group of the grouped convolution (2 in the authors' code).
    se_reduction
        SE width = stage input channels // ``se_reduction`` (``--se_reduction 4``).
    bilinear_se
        Keep the bilinear term of the SE (the authors'); ``False`` gives the plain SE.
    n_bins
        Number of expression bins, i.e. logits (``--final_ch 18``).
    output
        ``"bins"``: output the expected bin ``softmax(logits) . [0..n_bins-1]`` (the
        authors'); ``"linear"``: Dense(1) on the pooled logits (gexnb option).
    mapper_activation
        Activation after the ``n_bins``-channel 1x1 convolution (SiLU in the submission).
    name
        Model name (the registry name by default; :func:`gexnb.train.load_model` uses it).

    Returns
    -------
    keras.Model
        Uncompiled model with output ``(batch, 1)`` float32 (the layer ``"output"``); the
        pooled logits are the layer ``"logits"`` (:func:`bin_logits_model`).

    Raises
    ------
    ParameterError
        For a non-positive size, fewer than two block sizes, a bottleneck width not divisible
        by ``filters_per_group``, an SE width below 1 (below 2 with ``bilinear_se``), or an
        unknown ``output`` / ``mapper_activation``.

    References
    ----------
    .. [1] Penzar et al., "LegNet: a best-in-class deep learning model for short DNA regulatory
       regions", Bioinformatics (2023).
    .. [2] Rafi et al., "A community effort to optimize sequence-based deep learning models of
       gene regulation", Nat Biotechnol (2024).
    """
    length = check_int("length", length)
    extra_channels = check_int("extra_channels", extra_channels, minimum=0)
    sizes = check_sizes("block_sizes", block_sizes, min_len=2)
    kernel_size = check_int("kernel_size", kernel_size)
    resize_factor = check_int("resize_factor", resize_factor)
    filters_per_group = check_int("filters_per_group", filters_per_group)
    se_reduction = check_int("se_reduction", se_reduction)
    output, n_bins = check_output(output, n_bins)
    _check_activation(mapper_activation)
    plan = []
    for i, (c_in, c_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        if (resize_factor * c_out) % filters_per_group:
            raise ParameterError(
                f"stage {i}: bottleneck width {resize_factor * c_out} is not divisible by "
                f"filters_per_group={filters_per_group}"
            )
        hidden = c_in // se_reduction
        units = hidden // 2 if bilinear_se else 0
        if hidden < 1 or (bilinear_se and units < 1):
            raise ParameterError(
                f"stage {i}: SE width {c_in} // se_reduction={se_reduction} = {hidden} is too "
                f"small (needs >= {2 if bilinear_se else 1})"
            )
        rank = se_bilinear_rank(hidden, units) if units else 0
        plan.append((c_in, c_out, hidden, units, rank))

    inputs, x = sequence_inputs(length, extra_channels)
    x = _conv_bn_silu(x, sizes[0], kernel_size, "stem")
    for i, (c_in, c_out, hidden, units, rank) in enumerate(plan):
        x = effnet_stage(
            x,
            c_in,
            c_out,
            kernel_size=kernel_size,
            resize_factor=resize_factor,
            filters_per_group=filters_per_group,
            se_hidden=hidden,
            se_bilinear_units=units,
            se_rank=rank,
            name=f"stage{i}",
        )
    outputs = bins_head(x, n_bins=n_bins, output=output, mapper_activation=mapper_activation)
    return keras.Model(inputs if extra_channels else inputs[0], outputs, name=name)


def _check_activation(activation: Any) -> None:
    if activation is None:
        return
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ParameterError(f"unknown activation {activation!r}") from None

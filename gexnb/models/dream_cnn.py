"""Promoter sequence -> expression: the Prix Fixe DREAM-CNN (``dream_cnn``).

DREAM-CNN is the best convolutional combination of the "Prix Fixe" framework (Rafi et al.,
"A community effort to optimize sequence-based deep learning models of gene regulation",
Nat Biotechnol 2024), which recombines the blocks of the Random Promoter DREAM Challenge
2022 teams. Re-implemented in Keras 3 from the de Boer lab repository
de-Boer-Lab/random-promoter-dream-challenge-2022: the "DREAM-CNN Model" cell of
``DREAMNets_BuildModel_Train_and_Predict.ipynb`` and the blocks it combines,
``prixfixe/bhi/first_layers_block.py`` + ``prixfixe/bhi/add_blocks.py`` (first layers,
team BHI), ``prixfixe/autosome/coreblock.py`` + ``prixfixe/autosome/add_blocks.py`` (core,
team autosome.org) and ``prixfixe/autosome/final_layers_block.py`` (final layers):

- first layers (BHI): for each kernel size in (9, 15), Conv1D(160, k, "same", bias) -> ReLU
  -> MaxPool(1) (a no-op, omitted here) -> Dropout(0.2); the two outputs are concatenated
  (320 channels, ``out_channels=320`` split evenly over the kernel sizes);
- core (autosome.org's LegNet core, ``out_channels=64``): six stages for the channel pairs
  (320, 128), (128, 128), (128, 64), (64, 64), (64, 64), (64, 64), each the LegNet stage of
  :func:`gexnb.models.legnet.effnet_stage` (1x1 expand to 4 c_out -> BN -> SiLU, grouped
  Conv1D(4 c_out, 7, 2 filters per group) -> BN -> SiLU, squeeze-excitation, 1x1 project to
  c_in -> BN -> SiLU, concatenated to the stage input, Conv1D(c_out, 7) -> BN -> SiLU), but
  with the plain SE (``SELayerSimple``: Linear(c_in // 4) -> SiLU -> Linear -> Sigmoid, no
  bilinear term);
- final layers (autosome.org): Conv1D(18, 1, bias) with *no* activation (the SiLU of LegNet's
  mapper is commented out there) -> mean over positions = 18 logits -> expected bin
  ``softmax(logits) . [0, ..., 17]``.

With the notebook's 6 input channels (4 nucleotides + reverse-complement flag + singleton
flag; ``build_dream_cnn(extra_channels=2)``) the trainable parameters are 1,933,970, the
total ``torchinfo.summary`` prints in that notebook (derived layer by layer in
``tests/test_dream_models.py``).

Authors' choices kept: the block configuration above; BatchNorm ``momentum=0.1``, ``eps=1e-5``
(PyTorch) -> Keras ``momentum=0.9``, ``epsilon=1e-5``; initialisation: the BHI convolutions
keep PyTorch's default (kernel and bias uniform in ``+-1/sqrt(fan_in)``), the autosome core
and final blocks get ``initialize_weights`` (convolutions ``N(0, sqrt(2 / (kernel_size *
filters)))``, zero bias, SE dense ``N(0, 0.001)``).

gexnb's choices: uint8 codes one-hot encoded inside the graph (channels T, C, G, A, ``N`` =
all ones, padding all zeros; Prix Fixe: A, G, C, T with ``N`` all zeros and plasmid
padding); the flags as an optional second input ``extra`` (``extra_channels``); the no-op
MaxPool(1) left out; ``output="linear"`` (Dense(1) on the pooled logits) as an option. The
Prix Fixe trainer's recipe (KL divergence to soft bins when ``y_probs`` is given, AdamW,
one-cycle learning rate, reverse-complement augmentation) is not part of the model; see
:func:`gexnb.models.legnet.bin_logits_model` and :func:`gexnb.models.legnet.soft_bin_targets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError
from gexnb.models.legnet import (
    bins_head,
    check_int,
    check_output,
    check_sizes,
    effnet_stage,
    sequence_inputs,
)
from gexnb.models.registry import register_model

__all__ = ["build_dream_cnn", "PAPER_CORE_SIZES", "PAPER_PARAMETERS"]

#: Output channels of the six core stages (AutosomeCoreBlock ``[128, 128, 64, 64, 64] + [64]``).
PAPER_CORE_SIZES = (128, 128, 64, 64, 64, 64)

#: Trainable parameters with 6 input channels (the notebook's ``torchinfo`` total).
PAPER_PARAMETERS = 1_933_970


def _torch_default_conv(in_channels: int, kernel_size: int) -> dict[str, Any]:
    """PyTorch's default Conv1d initialisation: kernel and bias uniform in ``+-1/sqrt(fan_in)``."""
    limit = float(1.0 / np.sqrt(in_channels * kernel_size))
    return {
        "kernel_initializer": keras.initializers.VarianceScaling(
            scale=1.0 / 3.0, mode="fan_in", distribution="uniform"
        ),
        "bias_initializer": keras.initializers.RandomUniform(-limit, limit),
    }


@register_model("dream_cnn", kind="deep", task="sequence")
def build_dream_cnn(
    *,
    length: int = 150,
    extra_channels: int = 0,
    first_filters: int = 320,
    first_kernel_sizes: Sequence[int] = (9, 15),
    first_dropout: float = 0.2,
    core_sizes: Sequence[int] = PAPER_CORE_SIZES,
    kernel_size: int = 7,
    resize_factor: int = 4,
    filters_per_group: int = 2,
    se_reduction: int = 4,
    n_bins: int = 18,
    output: str = "bins",
    name: str = "dream_cnn",
) -> keras.Model:
    """Build the Prix Fixe DREAM-CNN [1]_ (BHI first layers, LegNet [2]_ core, autosome.org head).

    Input ``(batch, length)`` uint8 codes (and ``(batch, extra_channels)`` flags if
    ``extra_channels > 0``) -> one-hot -> ``len(first_kernel_sizes)`` parallel
    Conv1D(``first_filters // len(first_kernel_sizes)``, k) -> ReLU -> Dropout, concatenated
    -> one LegNet stage (plain SE) per entry of ``core_sizes`` -> Conv1D(``n_bins``, 1) ->
    mean over positions (layer ``"logits"``) -> expected bin (``output="bins"``) or Dense(1)
    (``output="linear"``). See the module docstring for the sources and for what is the
    authors' and what is gexnb's. With the defaults and ``extra_channels=2`` the trainable
    parameters are the authors' 1,933,970 (:data:`PAPER_PARAMETERS`).

    Parameters
    ----------
    length
        Sequence length after padding (150 in Prix Fixe).
    extra_channels
        Per-sequence values given as a second input ``extra`` ``(batch, extra_channels)``
        and broadcast along the positions (Prix Fixe: 2, reverse-complement and singleton
        flags). 0 (default): the codes are the only input, as :func:`gexnb.train.fit` feeds.
    first_filters
        Channels after the first layers block, split evenly over the kernel sizes (320).
    first_kernel_sizes
        Kernel sizes of the parallel first convolutions ((9, 15)).
    first_dropout
        Dropout after each first convolution (0.2).
    core_sizes
        Output channels of the core stages (128, 128, 64, 64, 64, 64).
    kernel_size
        Kernel of the grouped and resize convolutions of the core (7).
    resize_factor
        Expansion of the inverted bottleneck (4).
    filters_per_group
        Filters per group of the grouped convolution (2).
    se_reduction
        SE width = stage input channels // ``se_reduction`` (4).
    n_bins
        Number of expression bins, i.e. logits (18).
    output
        ``"bins"`` (expected bin, the authors') or ``"linear"`` (Dense(1), gexnb option).
    name
        Model name (the registry name by default).

    Returns
    -------
    keras.Model
        Uncompiled model with output ``(batch, 1)`` float32 (layer ``"output"``) and the
        pooled logits as layer ``"logits"``.

    Raises
    ------
    ParameterError
        For a non-positive size, ``first_filters`` not divisible by the number of kernel
        sizes, a dropout outside ``[0, 1)``, a bottleneck width not divisible by
        ``filters_per_group``, an SE width below 1 or an unknown ``output``.

    References
    ----------
    .. [1] Rafi et al., "A community effort to optimize sequence-based deep learning models of
       gene regulation", Nat Biotechnol (2024): the Prix Fixe framework and its DREAM-CNN.
    .. [2] Penzar et al., "LegNet: a best-in-class deep learning model for short DNA
       regulatory regions", Bioinformatics (2023): the core stages (autosome.org's LegNet).
    """
    length = check_int("length", length)
    extra_channels = check_int("extra_channels", extra_channels, minimum=0)
    first_filters = check_int("first_filters", first_filters)
    kernels = check_sizes("first_kernel_sizes", first_kernel_sizes)
    sizes = check_sizes("core_sizes", core_sizes)
    kernel_size = check_int("kernel_size", kernel_size)
    resize_factor = check_int("resize_factor", resize_factor)
    filters_per_group = check_int("filters_per_group", filters_per_group)
    se_reduction = check_int("se_reduction", se_reduction)
    output, n_bins = check_output(output, n_bins)
    if first_filters % len(kernels):
        raise ParameterError(
            f"first_filters={first_filters} must be divisible by the number of kernel sizes "
            f"({len(kernels)})"
        )
    try:
        dropout = float(first_dropout)
    except (TypeError, ValueError):
        raise ParameterError(f"first_dropout must be a number, got {first_dropout!r}") from None
    if not 0.0 <= dropout < 1.0:
        raise ParameterError(f"first_dropout must be in [0, 1), got {first_dropout!r}")
    channels = (first_filters, *sizes)
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:], strict=False)):
        if (resize_factor * c_out) % filters_per_group:
            raise ParameterError(
                f"core stage {i}: bottleneck width {resize_factor * c_out} is not divisible "
                f"by filters_per_group={filters_per_group}"
            )
        if c_in // se_reduction < 1:
            raise ParameterError(
                f"core stage {i}: SE width {c_in} // se_reduction={se_reduction} is 0"
            )

    inputs, x = sequence_inputs(length, extra_channels)
    in_channels = 4 + extra_channels
    each = first_filters // len(kernels)
    branches = []
    for j, k in enumerate(kernels):
        h = keras.layers.Conv1D(
            each,
            k,
            padding="same",
            activation="relu",
            name=f"first{j}_conv",
            **_torch_default_conv(in_channels, k),
        )(x)
        branches.append(keras.layers.Dropout(dropout, name=f"first{j}_dropout")(h))
    if len(branches) > 1:
        x = keras.layers.Concatenate(axis=-1, name="first_concat")(branches)
    else:
        x = branches[0]
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:], strict=False)):
        x = effnet_stage(
            x,
            c_in,
            c_out,
            kernel_size=kernel_size,
            resize_factor=resize_factor,
            filters_per_group=filters_per_group,
            se_hidden=c_in // se_reduction,
            se_bilinear_units=0,
            se_rank=0,
            name=f"core{i}",
        )
    outputs = bins_head(x, n_bins=n_bins, output=output, mapper_activation=None)
    return keras.Model(inputs if extra_channels else inputs[0], outputs, name=name)

"""Transformative adaptive activation functions (TAAF) for D-GEX.

Kunc and Klema ("On transformative adaptive activation functions in neural networks for gene
expression inference", seed 003) replace an activation ``g`` by

    ``TAAF(x) = alpha * g(beta * x + gamma) + delta``

with ``alpha``, ``beta``, ``gamma`` and ``delta`` learned per neuron. Their implementation builds
a TAAF layer as ``Dense`` without bias -> a "bottom" adaptive unit ``beta * x + gamma`` -> the
activation ``g`` -> a "top" adaptive unit ``alpha * x + delta``. Each unit holds two vectors
of one value per neuron (``2 * units`` weights: 600 for 300 neurons), as in the demonstrator's
model summary (``H0_AdaptiveTAAF_Bottom (ATU) ... 600``).

The bottom unit's ``gamma`` plays the role of the Dense bias, which is why the Dense layer has
none. Scales start at one and shifts at zero, so an untrained TAAF layer equals the classical
``g(W x)`` layer.
"""

from __future__ import annotations

from typing import Any

import keras

from gexnb.models.layers import TAAFUnit

__all__ = ["TAAFUnit", "taaf_dense"]


def taaf_dense(
    inputs: Any,
    units: int,
    *,
    activation: str = "sigmoid",
    name: str = "taaf",
    kernel_initializer: Any = "glorot_uniform",
    dtype: Any = None,
) -> Any:
    """Apply one TAAF layer: ``Dense(no bias) -> bottom ATU -> activation -> top ATU``.

    The transformative adaptive activation function ``alpha * g(beta * x + gamma) + delta``
    of Kunc and Klema [1]_, with the Dense bias replaced by the bottom unit's ``gamma``.
    Layer names follow the TAAF demonstrator: ``<name>_Dense``, ``<name>_AdaptiveTAAF_Bottom``,
    ``<name>_Activation``, ``<name>_AdaptiveTAAF_Top``.

    Parameters
    ----------
    inputs
        Symbolic Keras tensor.
    units
        Number of neurons.
    activation
        The inner activation ``g`` (the paper found ``sigmoid`` better than ``tanh``).
    name
        Prefix of the four layer names.
    kernel_initializer
        Initializer of the Dense kernel.
    dtype
        Optional dtype policy for the four layers (e.g. ``"float32"`` for an output layer
        under mixed precision).

    Returns
    -------
    keras tensor
        The layer output, shape ``(..., units)``.

    References
    ----------
    .. [1] Kunc and Klema, "On transformative adaptive activation functions in neural networks
       for gene expression inference" (seed 003, the README of the authors' TAAF code, which
       gives no venue or year).
    """
    extra = {} if dtype is None else {"dtype": dtype}
    x = keras.layers.Dense(
        units,
        use_bias=False,
        kernel_initializer=kernel_initializer,
        name=f"{name}_Dense",
        **extra,
    )(inputs)
    x = TAAFUnit("bottom", name=f"{name}_AdaptiveTAAF_Bottom", **extra)(x)
    x = keras.layers.Activation(activation, name=f"{name}_Activation", **extra)(x)
    return TAAFUnit("top", name=f"{name}_AdaptiveTAAF_Top", **extra)(x)

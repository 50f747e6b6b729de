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
from keras import ops

__all__ = ["TAAFUnit", "taaf_dense"]

_WEIGHT_NAMES = {"bottom": ("beta", "gamma"), "top": ("alpha", "delta")}


@keras.saving.register_keras_serializable(package="gexnb")
class TAAFUnit(keras.layers.Layer):
    """Per-neuron affine adaptive transformation unit (ATU) of a TAAF.

    Computes ``scale * x + shift`` along the last axis with learned vectors ``scale`` and
    ``shift`` of length ``units`` (the size of the last input axis): ``beta * x + gamma``
    for the ``"bottom"`` unit (before the activation) and ``alpha * x + delta`` for the
    ``"top"`` unit (after it). Kunc and Klema, TAAF for D-GEX (seed 003).

    Parameters
    ----------
    position
        ``"bottom"`` (weights ``beta``, ``gamma``) or ``"top"`` (weights ``alpha``, ``delta``).
    scale_initializer, shift_initializer
        Keras initializers of the scale (default ones) and shift (default zeros).
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(
        self,
        position: str = "bottom",
        scale_initializer: Any = "ones",
        shift_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if position not in _WEIGHT_NAMES:
            raise ValueError(f"TAAFUnit position must be 'bottom' or 'top', got {position!r}")
        self.position = position
        self.scale_initializer = keras.initializers.get(scale_initializer)
        self.shift_initializer = keras.initializers.get(shift_initializer)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        units = int(input_shape[-1])
        scale_name, shift_name = _WEIGHT_NAMES[self.position]
        self.scale = self.add_weight(
            name=scale_name, shape=(units,), initializer=self.scale_initializer
        )
        self.shift = self.add_weight(
            name=shift_name, shape=(units,), initializer=self.shift_initializer
        )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        return ops.add(ops.multiply(inputs, self.scale), self.shift)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "position": self.position,
                "scale_initializer": keras.initializers.serialize(self.scale_initializer),
                "shift_initializer": keras.initializers.serialize(self.shift_initializer),
            }
        )
        return config


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

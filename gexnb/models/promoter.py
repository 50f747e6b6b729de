"""Promoter sequence -> expression: the DREAM 2022 Metformin-121 BiGRU (``metformin_bigru``).

The network of team Metformin-121 in the Random Promoter DREAM Challenge 2022 (Rafi et al.,
Nat Biotechnol 2024; the team's notebook in ``../shared/seeds/000_*``): one-hot encoded
promoters (channels T, C, G, A, left-padded to 142 nt) -> 8 stacked
``Bidirectional(GRU(64, return_sequences=True))`` -> context attention -> BatchNormalization ->
LeakyReLU(0.3) -> Dropout(0.2) -> Dense(1, sigmoid), 565,633 parameters.

Here the model takes the uint8 sequence codes of :mod:`gexnb.data.sequences` (one byte per
base) and one-hots them inside the graph (:class:`OneHotCodes`), so millions of training
sequences never exist as float32 one-hot arrays.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError
from gexnb.models.checks import check_activation, check_fraction, check_int
from gexnb.models.layers import ContextAttention, OneHotCodes
from gexnb.models.registry import register_model

__all__ = ["OneHotCodes", "build_metformin_bigru", "cudnn_eligible", "PAPER_PARAMETERS"]

#: Parameter count of the team's network with the default hyperparameters.
PAPER_PARAMETERS = 565_633


@register_model("metformin_bigru", kind="deep", task="sequence")
def build_metformin_bigru(
    *,
    length: int = 142,
    n_layers: int = 8,
    units: int = 64,
    dropout: float = 0.2,
    leaky_slope: float = 0.3,
    batch_norm: bool = True,
    output_activation: str = "sigmoid",
    name: str = "metformin_bigru",
) -> keras.Model:
    """Build the Metformin-121 BiGRU (DREAM Challenge 2022) on uint8 sequence codes.

    Input ``(batch, length)`` uint8 codes -> one-hot (:class:`OneHotCodes`) -> ``n_layers`` x
    ``Bidirectional(GRU(units, return_sequences=True))`` -> :class:`ContextAttention`
    (``u . tanh(W h + b)``, softmax over positions, weighted sum) -> BatchNormalization ->
    LeakyReLU(``leaky_slope``) -> Dropout(``dropout``) -> Dense(1, ``output_activation``).
    With the defaults the model has 565,633 parameters, the team's count. The GRUs keep the
    settings for which Keras uses the fused cuDNN kernel (see :func:`cudnn_eligible`); the
    attention and the output layer compute in float32 under mixed precision. The sigmoid
    output matches the team's target ``y / (2 * median(y_train))`` in (0, 1).

    Parameters
    ----------
    length
        Sequence length after padding (the team used 142).
    n_layers, units
        Number of stacked bidirectional GRU layers and units per direction.
    dropout
        Dropout rate before the output layer.
    leaky_slope
        Negative slope of the LeakyReLU.
    batch_norm
        Keep the BatchNormalization layer.
    output_activation
        Activation of the output unit (``"sigmoid"`` as the team; ``"linear"`` for raw targets).
    name
        Model name (the registry name by default; :func:`gexnb.train.load_model` uses it).

    Returns
    -------
    keras.Model
        Uncompiled model; output shape ``(batch, 1)``.
    """
    length = check_int("length", length)
    n_layers = check_int("n_layers", n_layers)
    units = check_int("units", units)
    dropout = check_fraction("dropout", dropout)
    number = isinstance(leaky_slope, (int, float, np.number)) and not isinstance(leaky_slope, bool)
    if not number or not np.isfinite(leaky_slope):
        raise ParameterError(f"leaky_slope must be a finite number, got {leaky_slope!r}")
    check_activation("output_activation", output_activation)
    inputs = keras.Input(shape=(length,), dtype="uint8", name="codes")
    x = OneHotCodes(name="one_hot")(inputs)
    for i in range(n_layers):
        gru = keras.layers.GRU(
            units,
            return_sequences=True,
            activation="tanh",
            recurrent_activation="sigmoid",
            recurrent_dropout=0.0,
            unroll=False,
            use_bias=True,
            reset_after=True,
            name=f"gru_{i + 1}",
        )
        x = keras.layers.Bidirectional(gru, name=f"bigru_{i + 1}")(x)
    x = ContextAttention(name="attention")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="batch_norm")(x)
    x = keras.layers.LeakyReLU(negative_slope=float(leaky_slope), name="leaky_relu")(x)
    x = keras.layers.Dropout(float(dropout), name="dropout")(x)
    outputs = keras.layers.Dense(1, activation=output_activation, dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def cudnn_eligible(layer: Any) -> bool:
    """True if a Keras GRU layer meets the conditions for the fused cuDNN kernel.

    Keras uses cuDNN for ``GRU`` only with ``activation="tanh"``,
    ``recurrent_activation="sigmoid"``, ``recurrent_dropout=0``, ``unroll=False``,
    ``use_bias=True`` and ``reset_after=True`` (Keras GRU documentation).

    Parameters
    ----------
    layer
        A ``keras.layers.GRU``.

    Returns
    -------
    bool
        Whether all the conditions hold.
    """
    return (
        getattr(layer.activation, "__name__", "") == "tanh"
        and getattr(layer.recurrent_activation, "__name__", "") == "sigmoid"
        and float(layer.recurrent_dropout) == 0.0
        and not layer.unroll
        and bool(layer.use_bias)
        and bool(layer.reset_after)
    )

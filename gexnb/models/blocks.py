"""Reusable blocks of the zoo's functional models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

__all__ = ["mlp"]


def mlp(
    x: Any,
    hidden: Sequence[int],
    out_units: int,
    *,
    activation: str,
    dropout: float,
    output_activation: str | None = None,
    output_dtype: str | None = None,
    hidden_name: str = "H{j}",
    dropout_name: str = "dropout_{j}",
    output_name: str = "outputs",
) -> Any:
    """Dense layers of widths ``hidden`` (each followed by dropout when ``dropout > 0``),
    then a dense output layer of ``out_units``: the multilayer perceptron of D-GEX (Chen et
    al. 2016), of E-GEX's encoder, decoder and mapper, and of seed 004's DNN.

    Parameters
    ----------
    x
        Input tensor.
    hidden
        Hidden layer widths (may be empty).
    out_units
        Output width.
    activation, dropout
        Hidden activation and dropout rate.
    output_activation, output_dtype
        Output layer activation (None: linear) and dtype (``"float32"`` keeps regression
        outputs exact under mixed precision).
    hidden_name, dropout_name, output_name
        Layer names; ``{j}`` is the hidden layer's index. The names are part of saved models
        and of per-layer options (``TrainingConfig.lr_scales`` patterns).

    Returns
    -------
    The output tensor.
    """
    for j, units in enumerate(hidden):
        x = keras.layers.Dense(int(units), activation=activation, name=hidden_name.format(j=j))(x)
        if dropout and float(dropout) > 0:
            x = keras.layers.Dropout(float(dropout), name=dropout_name.format(j=j))(x)
    kwargs: dict[str, Any] = {"activation": output_activation, "name": output_name}
    if output_dtype is not None:
        kwargs["dtype"] = output_dtype
    return keras.layers.Dense(int(out_units), **kwargs)(x)

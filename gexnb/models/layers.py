"""Every custom Keras layer of gexnb, registered for ``.keras`` saving.

- :class:`ContextAttention`: attention pooling (Yang et al. 2016), used by the promoter BiGRU
  of DREAM 2022 team Metformin-121 and the attention-LSTM/GRU of seed 004.
- :class:`OneHotCodes`: uint8 sequence codes -> one-hot inside the graph.
- :class:`TAAFUnit`: the adaptive unit of transformative adaptive activation functions
  (Kunc and Klema, seed 003).
- :class:`GeneEmbedding`: a learned per-gene embedding for the gene-sequence models.

All layers use ``keras.ops`` only, so they run on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = ["ContextAttention", "OneHotCodes", "TAAFUnit", "GeneEmbedding"]


@keras.saving.register_keras_serializable(package="gexnb")
class ContextAttention(keras.layers.Layer):
    """Context (additive) attention pooling over the time axis.

    For hidden states ``h_t`` (shape ``(batch, steps, features)``) the layer computes
    ``e_t = u . tanh(W h_t + b)``, ``a = softmax(e)`` over the steps, and returns the weighted
    sum ``sum_t a_t h_t`` (shape ``(batch, features)``). This is the attention layer of the
    DREAM Challenge 2022 team Metformin-121 (Chen et al., after Yang et al. 2016, "Hierarchical
    attention networks"), with ``W`` of shape ``(features, features)`` and ``b``, ``u`` of
    shape ``(features,)``: with 128 features it holds 16,640 weights.

    Initialisation as in the team's Keras 2 code: ``W`` Glorot-uniform, ``b`` zeros, and ``u``
    uniform in ``+-sqrt(3 / sqrt(features))`` (+-0.515 for 128 features), which is what Keras
    2's ``glorot_uniform`` gives a 1-D weight (it takes ``sqrt(features)`` as both fans); Keras
    3 takes ``features`` as both fans (+-0.153), a start three times narrower.

    The computation runs in float32 whatever the dtype policy of the surrounding model, so the
    softmax stays accurate under mixed precision; ``keras.ops.softmax`` subtracts the maximum
    before exponentiating (numerically stable).

    Parameters
    ----------
    return_attention
        If true, ``call`` returns ``(context, weights)`` with weights of shape
        ``(batch, steps)``; otherwise only the context vector.
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).
    """

    def __init__(self, return_attention: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.return_attention = bool(return_attention)
        self.supports_masking = True

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = int(input_shape[-1])
        self.W = self.add_weight(
            name="W", shape=(features, features), initializer="glorot_uniform", dtype="float32"
        )
        self.b = self.add_weight(name="b", shape=(features,), initializer="zeros", dtype="float32")
        limit = float(np.sqrt(3.0 / np.sqrt(features)))  # Keras 2 glorot_uniform of a 1-D weight
        self.u = self.add_weight(
            name="u",
            shape=(features,),
            initializer=keras.initializers.RandomUniform(-limit, limit),
            dtype="float32",
        )
        super().build(input_shape)

    def attention_weights(self, hidden: Any, mask: Any = None) -> Any:
        """Softmax attention weights ``(batch, steps)`` for hidden states ``hidden``.

        Masked steps (``mask`` false) get weight zero.
        """
        hidden = ops.cast(hidden, "float32")
        scores = ops.tanh(ops.matmul(hidden, self.W) + self.b)
        logits = ops.matmul(scores, ops.expand_dims(self.u, -1))[..., 0]
        if mask is not None:
            logits = ops.where(ops.cast(mask, "bool"), logits, ops.full_like(logits, -1e9))
        return ops.softmax(logits, axis=-1)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        hidden = ops.cast(inputs, "float32")
        weights = self.attention_weights(hidden, mask=mask)
        context = ops.sum(hidden * ops.expand_dims(weights, -1), axis=1)
        if self.return_attention:
            return context, weights
        return context

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> Any:
        context_shape = (input_shape[0], input_shape[-1])
        if self.return_attention:
            return context_shape, (input_shape[0], input_shape[1])
        return context_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"return_attention": self.return_attention})
        return config


def _one_hot_table() -> np.ndarray:
    try:
        from gexnb.data.sequences import ONE_HOT_TABLE

        return np.asarray(ONE_HOT_TABLE, dtype="float32")
    except ImportError:  # documented constants (docs/architecture.md, "Sequence codes")
        table = np.zeros((6, 4), dtype="float32")
        table[:4] = np.eye(4, dtype="float32")  # T, C, G, A
        table[4] = 1.0  # N
        return table  # PAD (code 5) stays all zero


@keras.saving.register_keras_serializable(package="gexnb")
class OneHotCodes(keras.layers.Layer):
    """One-hot encode uint8 sequence codes with ``gexnb.data.sequences.ONE_HOT_TABLE``.

    Codes ``T=0, C=1, G=2, A=3, N=4, PAD=5`` map to rows of the (6, 4) table (channel order
    T, C, G, A as in the Metformin-121 notebook; ``N`` = all ones, padding = all zeros) with
    ``keras.ops.take``. Codes above 5 are clipped to the padding row.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._table = _one_hot_table()

    def call(self, inputs: Any) -> Any:
        codes = ops.clip(ops.cast(inputs, "int32"), 0, self._table.shape[0] - 1)
        table = ops.convert_to_tensor(self._table, dtype=self.compute_dtype)
        return ops.take(table, codes, axis=0)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape, self._table.shape[1])

    def get_config(self) -> dict[str, Any]:
        return super().get_config()


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


@keras.saving.register_keras_serializable(package="gexnb")
class GeneEmbedding(keras.layers.Layer):
    """Concatenate a learned embedding of each gene (step) to the per-step input.

    Input ``(batch, n_genes, channels)``; output ``(batch, n_genes, channels + embedding_dim)``.
    The embedding table ``(n_genes, embedding_dim)`` is shared by all samples: it tells a
    recurrent network which gene it is reading at each step (a positional/identity encoding).

    Parameters
    ----------
    n_genes
        Number of steps (genes).
    embedding_dim
        Size of each gene's embedding vector.
    """

    def __init__(self, n_genes: int, embedding_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_genes = int(n_genes)
        self.embedding_dim = int(embedding_dim)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.table = self.add_weight(
            name="table",
            shape=(self.n_genes, self.embedding_dim),
            initializer="glorot_uniform",
        )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        batch = ops.shape(inputs)[0]
        table = ops.cast(self.table, inputs.dtype)
        tiled = ops.broadcast_to(
            ops.expand_dims(table, 0), (batch, self.n_genes, self.embedding_dim)
        )
        return ops.concatenate([inputs, tiled], axis=-1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[1], input_shape[2] + self.embedding_dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"n_genes": self.n_genes, "embedding_dim": self.embedding_dim})
        return config

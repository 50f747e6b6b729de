"""Custom Keras layers shared by the gexnb models, registered for ``.keras`` saving.

All layers use ``keras.ops`` only, so they run on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["ContextAttention"]


@keras.saving.register_keras_serializable(package="gexnb")
class ContextAttention(keras.layers.Layer):
    """Context (additive) attention pooling over the time axis.

    For hidden states ``h_t`` (shape ``(batch, steps, features)``) the layer computes
    ``e_t = u . tanh(W h_t + b)``, ``a = softmax(e)`` over the steps, and returns the weighted
    sum ``sum_t a_t h_t`` (shape ``(batch, features)``). This is the attention layer of the
    DREAM Challenge 2022 team Metformin-121 (Chen et al., after Yang et al. 2016, "Hierarchical
    attention networks"), with ``W`` of shape ``(features, features)`` and ``b``, ``u`` of
    shape ``(features,)``: with 128 features it holds 16,640 weights.

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
        self.u = self.add_weight(
            name="u", shape=(features,), initializer="glorot_uniform", dtype="float32"
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

"""Every custom Keras layer of gexnb, registered for ``.keras`` saving.

- :class:`ContextAttention`: attention pooling (Yang et al. 2016), used by the promoter BiGRU
  of DREAM 2022 team Metformin-121 and the attention-LSTM/GRU of seed 004.
- :class:`OneHotCodes`: uint8 sequence codes -> one-hot inside the graph.
- :class:`TAAFUnit`: the adaptive unit of transformative adaptive activation functions
  (Kunc and Klema, seed 003).
- :class:`GeneEmbedding`: a learned per-gene embedding for the gene-sequence models.
- :class:`GroupedConv1D`: grouped 1-D convolution that is fast on every backend (TensorFlow's
  own grouped convolution takes minutes for one backward pass on CPU).
- :class:`SqueezeExcite1D`: channel gating of the DREAM 2022 LegNet / Prix Fixe blocks, with
  the optional low-rank bilinear term of autosome.org's LegNet.
- :class:`SoftBinExpectation`: expected bin ``softmax(logits) . [0, 1, ..., n_bins - 1]``.
- :class:`ReverseStrand`: the reverse complement of left-padded uint8 codes inside the graph
  (and the reverse-strand flag set), for models that average both strands when they predict.

All layers use ``keras.ops`` only, so they run on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "ContextAttention",
    "OneHotCodes",
    "TAAFUnit",
    "GeneEmbedding",
    "GroupedConv1D",
    "SqueezeExcite1D",
    "SoftBinExpectation",
    "ReverseStrand",
    "KmerCounts",
    "strand_averaged",
]


def _last_dim(layer: keras.layers.Layer, input_shape: tuple[int | None, ...]) -> int:
    """The last (feature or channel) dimension of ``input_shape``, which ``layer`` needs known."""
    dim = input_shape[-1]
    if dim is None:
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r} needs a known last input dimension, "
            f"got shape {tuple(input_shape)}"
        )
    return int(dim)


@keras.saving.register_keras_serializable(package="gexnb")
class ContextAttention(keras.layers.Layer):
    """Context (additive) attention pooling over the time axis.

    For hidden states ``h_t`` (shape ``(batch, steps, features)``) the layer computes
    ``e_t = u . tanh(W h_t + b)``, ``a = softmax(e)`` over the steps, and returns the weighted
    sum ``sum_t a_t h_t`` (shape ``(batch, features)``). This is the attention layer of the
    DREAM Challenge 2022 team Metformin-121 (Chen et al. [2]_, after Yang et al. 2016 [1]_,
    "Hierarchical attention networks"), with ``W`` of shape ``(features, features)`` and
    ``b``, ``u`` of shape ``(features,)``: with 128 features it holds 16,640 weights.

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

    References
    ----------
    .. [1] Z. Yang, D. Yang, C. Dyer, X. He, A. J. Smola and E. H. Hovy, "Hierarchical attention
       networks for document classification", HLT-NAACL (2016).
    .. [2] T.-M. Chen, C.-H. Huang, H.-K. Wang, E. S. C. Shih, S.-H. Chen, C.-H. Wu, J.-Y. Chen
       and K.-L. Huang (team Metformin-121), "DREAM Challenge 2022 Predicting gene expression
       using millions of random promoter sequences by Metformin-121", challenge write-up
       (seed 000); the challenge: Rafi et al., "A community effort to optimize sequence-based
       deep learning models of gene regulation", Nat Biotechnol (2024).
    """

    def __init__(self, return_attention: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.return_attention = bool(return_attention)
        self.supports_masking = True

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = _last_dim(self, input_shape)
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

    Parameters
    ----------
    **kwargs
        Keyword arguments of ``keras.layers.Layer`` (e.g. ``name``).
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
    ``"top"`` unit (after it). Kunc and Klema, TAAF for D-GEX [1]_.

    Parameters
    ----------
    position
        ``"bottom"`` (weights ``beta``, ``gamma``) or ``"top"`` (weights ``alpha``, ``delta``).
    scale_initializer, shift_initializer
        Keras initializers of the scale (default ones) and shift (default zeros).
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    References
    ----------
    .. [1] Kunc and Klema, "On transformative adaptive activation functions in neural networks
       for gene expression inference" (seed 003, the README of the authors' TAAF code, which
       gives no venue or year).
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
        units = _last_dim(self, input_shape)
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
    **kwargs
        Keyword arguments of ``keras.layers.Layer`` (e.g. ``name``).
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
        features = input_shape[2]
        return (
            input_shape[0],
            input_shape[1],
            None if features is None else features + self.embedding_dim,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"n_genes": self.n_genes, "embedding_dim": self.embedding_dim})
        return config


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@keras.saving.register_keras_serializable(package="gexnb")
class SqueezeExcite1D(keras.layers.Layer):
    """Squeeze-and-excitation gating of the channels of a ``(batch, steps, channels)`` tensor.

    Squeeze-and-excitation after Hu et al. [1]_, in the variants of the DREAM 2022 models:
    LegNet's SE with a bilinear term [2]_ and the plain SE of the Prix Fixe core block [3]_.
    The gate is computed from the mean over the steps, ``s`` (shape ``(batch, channels)``)::

        z = silu(s W1 + b1)                                  # hidden_units
        # only with bilinear_units > 0 (autosome.org's LegNet):
        z = z W2 + b2                                        # hidden_units, no activation
        z = silu(concat([z, bilinear(z)]))                   # hidden_units + bilinear_units
        gate = sigmoid(z W3 + b3)                            # channels
        output = inputs * gate                               # broadcast over the steps

    ``bilinear(z)_i = c_i + sum_r w_r C[i, r] (z . A[:, r]) (z . B[:, r])`` is a tensor
    regression of the outer product ``z z^T`` on ``bilinear_units`` outputs whose weight tensor
    ``(hidden, hidden, bilinear_units)`` is held as a rank-``bilinear_rank`` CP decomposition
    (weights ``w``, factors ``A``, ``B``, ``C``) plus a bias ``c``: the ``Bilinear`` module
    (``tltorch.TRL`` with CP factorization) of the LegNet SE layer. Computing it through the
    two projections ``z A`` and ``z B`` gives the same numbers as contracting ``z z^T`` with
    the reconstructed tensor, without materialising either.

    With ``bilinear_units == 0`` the layer is the plain SE of EfficientNet (``Linear -> SiLU
    -> Linear -> Sigmoid``), the ``SELayerSimple`` of the Prix Fixe autosome core block.

    Initialisation follows the authors' training code: the dense kernels ``W1``, ``W2``,
    ``W3`` from ``N(0, 0.001)`` with zero biases; the CP weights ``w`` ones, the factors from
    ``N(0, (0.00075 / sqrt(rank)) ** (1/3))`` (tensorly-torch's ``CPTensor.normal_(std=
    0.00075)``) and the bilinear bias ``c`` uniform in ``[-1, 1]`` (``TRL.init_from_random``).

    Parameters
    ----------
    hidden_units
        Width of the squeeze layer (the authors use ``block_input_channels // reduction``,
        not the gated channels divided by the reduction).
    bilinear_units
        Outputs of the bilinear term (LegNet: ``hidden_units // 2``); 0 for the plain SE.
    bilinear_rank
        CP rank of the bilinear weight tensor (needed when ``bilinear_units > 0``).
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    References
    ----------
    .. [1] J. Hu, L. Shen and G. Sun, "Squeeze-and-excitation networks", IEEE/CVF Conference
       on Computer Vision and Pattern Recognition (CVPR) (2018).
    .. [2] Penzar et al., "LegNet: a best-in-class deep learning model for short DNA regulatory
       regions", Bioinformatics (2023).
    .. [3] Rafi et al., "A community effort to optimize sequence-based deep learning models of
       gene regulation", Nat Biotechnol (2024).
    """

    def __init__(
        self,
        hidden_units: int,
        bilinear_units: int = 0,
        bilinear_rank: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hidden_units = _positive_int("hidden_units", hidden_units)
        self.bilinear_units = _positive_int("bilinear_units", bilinear_units, minimum=0)
        self.bilinear_rank = _positive_int("bilinear_rank", bilinear_rank, minimum=0)
        if self.bilinear_units and not self.bilinear_rank:
            raise ValueError("bilinear_rank must be >= 1 when bilinear_units > 0")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = _last_dim(self, input_shape)
        hidden = self.hidden_units
        dense_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.001)
        self.squeeze_kernel = self.add_weight(
            name="squeeze_kernel", shape=(channels, hidden), initializer=dense_init
        )
        self.squeeze_bias = self.add_weight(
            name="squeeze_bias", shape=(hidden,), initializer="zeros"
        )
        excite_in = hidden
        if self.bilinear_units:
            rank, units = self.bilinear_rank, self.bilinear_units
            factor_std = float((0.00075 / np.sqrt(rank)) ** (1.0 / 3.0))
            factor_init = keras.initializers.RandomNormal(mean=0.0, stddev=factor_std)
            self.mix_kernel = self.add_weight(
                name="mix_kernel", shape=(hidden, hidden), initializer=dense_init
            )
            self.mix_bias = self.add_weight(name="mix_bias", shape=(hidden,), initializer="zeros")
            self.cp_weights = self.add_weight(name="cp_weights", shape=(rank,), initializer="ones")
            self.cp_left = self.add_weight(
                name="cp_left", shape=(hidden, rank), initializer=factor_init
            )
            self.cp_right = self.add_weight(
                name="cp_right", shape=(hidden, rank), initializer=factor_init
            )
            self.cp_out = self.add_weight(
                name="cp_out", shape=(units, rank), initializer=factor_init
            )
            self.cp_bias = self.add_weight(
                name="cp_bias",
                shape=(units,),
                initializer=keras.initializers.RandomUniform(-1.0, 1.0),
            )
            excite_in += units
        self.excite_kernel = self.add_weight(
            name="excite_kernel", shape=(excite_in, channels), initializer=dense_init
        )
        self.excite_bias = self.add_weight(
            name="excite_bias", shape=(channels,), initializer="zeros"
        )
        super().build(input_shape)

    def bilinear(self, z: Any) -> Any:
        """The low-rank bilinear term ``(batch, bilinear_units)`` of hidden vectors ``z``."""
        left = ops.matmul(z, self.cp_left)
        right = ops.matmul(z, self.cp_right)
        return ops.matmul(left * right * self.cp_weights, ops.transpose(self.cp_out)) + self.cp_bias

    def gate(self, inputs: Any) -> Any:
        """Gate ``(batch, channels)`` in (0, 1) of ``inputs`` ``(batch, steps, channels)``."""
        pooled = ops.mean(inputs, axis=1)
        z = ops.silu(ops.matmul(pooled, self.squeeze_kernel) + self.squeeze_bias)
        if self.bilinear_units:
            z = ops.matmul(z, self.mix_kernel) + self.mix_bias
            z = ops.silu(ops.concatenate([z, self.bilinear(z)], axis=-1))
        return ops.sigmoid(ops.matmul(z, self.excite_kernel) + self.excite_bias)

    def call(self, inputs: Any) -> Any:
        return inputs * ops.expand_dims(self.gate(inputs), 1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "hidden_units": self.hidden_units,
            "bilinear_units": self.bilinear_units,
            "bilinear_rank": self.bilinear_rank,
        }


@keras.saving.register_keras_serializable(package="gexnb")
class SoftBinExpectation(keras.layers.Layer):
    """Expected bin under ``softmax(logits)``: ``sum_k softmax(logits)_k * k``, ``(batch, 1)``.

    The read-out of the DREAM 2022 models trained on expression bins (autosome.org's LegNet,
    the Prix Fixe final block): the logits over ``n_bins`` bins ``0 .. n_bins - 1`` give a
    probability per bin, and the prediction is its mean, a float in ``[0, n_bins - 1]``.
    Computed in float32 whatever the dtype policy of the model (``keras.ops.softmax`` is
    numerically stable).

    Parameters
    ----------
    **kwargs
        Keyword arguments of ``keras.layers.Layer`` (e.g. ``name``); ``dtype`` defaults to
        ``"float32"``.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        logits = ops.cast(inputs, "float32")
        bins = ops.cast(ops.arange(ops.shape(logits)[-1]), "float32")
        probs = ops.softmax(logits, axis=-1)
        return ops.sum(probs * bins, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config()}


@keras.saving.register_keras_serializable(package="gexnb")
class GroupedConv1D(keras.layers.Layer):
    """Grouped 1-D convolution, stride 1, ``"same"`` padding, no bias.

    The same function and the same kernel layout, ``(kernel_size, in_channels // groups,
    filters)``, as ``keras.layers.Conv1D(filters, kernel_size, groups=groups,
    padding="same", use_bias=False)``: output channel ``o`` of group ``g = o // (filters //
    groups)`` sums the convolutions of the ``in_channels // groups`` input channels of group
    ``g``. (PyTorch's ``Conv1d(groups=...)`` weight ``(filters, in // groups, k)`` is this
    kernel transposed.)

    On the TensorFlow backend the layer computes it as a depthwise convolution with
    ``depth_multiplier = filters // groups`` followed by a sum over each group's inputs,
    because TensorFlow's grouped convolution has no fast CPU kernel (one backward pass of the
    LegNet 512-channel layer takes minutes); the other backends call ``keras.ops.conv``,
    which runs a native grouped convolution. Both paths use the same kernel, so a saved model
    is portable between backends.

    Parameters
    ----------
    filters
        Output channels (divisible by ``groups``).
    kernel_size
        Width of the convolution window.
    groups
        Number of groups (must divide the input channels and ``filters``).
    kernel_initializer
        Keras initializer of the kernel.
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        groups: int,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = _positive_int("filters", filters)
        self.kernel_size = _positive_int("kernel_size", kernel_size)
        self.groups = _positive_int("groups", groups)
        if self.filters % self.groups:
            raise ValueError(f"filters={filters} is not divisible by groups={groups}")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = _last_dim(self, input_shape)
        if channels % self.groups:
            raise ValueError(f"input channels {channels} are not divisible by groups={self.groups}")
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
        )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        if keras.backend.backend() != "tensorflow":
            return ops.conv(inputs, self.kernel, strides=1, padding="same")
        k, per_in = self.kernel_size, int(self.kernel.shape[1])
        per_out = self.filters // self.groups
        # kernel[t, i, g * per_out + j] -> depthwise[t, g * per_in + i, j]
        depthwise = ops.reshape(self.kernel, (k, per_in, self.groups, per_out))
        depthwise = ops.reshape(
            ops.transpose(depthwise, (0, 2, 1, 3)), (k, self.groups * per_in, per_out)
        )
        y = ops.depthwise_conv(inputs, depthwise, strides=1, padding="same")
        shape = ops.shape(y)
        y = ops.reshape(y, (shape[0], shape[1], self.groups, per_in, per_out))
        return ops.reshape(ops.sum(y, axis=3), (shape[0], shape[1], self.filters))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "groups": self.groups,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


#: Complement of each code (T<->A, C<->G, N and padding unchanged), as
#: :func:`gexnb.data.sequences.reverse_complement`.
_COMPLEMENT_CODES = (3, 2, 1, 0, 4, 5)
_PAD_CODE = 5


@keras.saving.register_keras_serializable(package="gexnb")
class ReverseStrand(keras.layers.Layer):
    """The reverse strand of left-padded uint8 codes, inside the graph.

    Each row's bases are reversed and complemented in place and its padding stays on the
    left, exactly as :func:`gexnb.data.sequences.reverse_complement` (``pad="left"``) does
    in NumPy. Called on ``[codes, flags]`` (a model with the DREAM 2022 flags input) it
    also returns the flags with column 0, the reverse-strand flag, set to 1.

    Parameters
    ----------
    *args, **kwargs
        Arguments of ``keras.layers.Layer`` (e.g. ``name``).
    """

    def call(self, inputs: Any) -> Any:
        codes = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        x = ops.cast(codes, "int32")
        width = ops.shape(x)[1]
        n_pad = ops.sum(ops.cast(ops.equal(x, _PAD_CODE), "int32"), axis=1, keepdims=True)
        position = ops.expand_dims(ops.arange(width, dtype="int32"), 0)
        source = ops.clip((width - 1) + n_pad - position, 0, width - 1)
        table = ops.convert_to_tensor(np.array(_COMPLEMENT_CODES, dtype="int32"))
        complement = ops.take(table, ops.take_along_axis(x, source, axis=1), axis=0)
        reverse = ops.where(position < n_pad, _PAD_CODE, complement)
        reverse = ops.cast(reverse, codes.dtype)
        if not isinstance(inputs, (list, tuple)):
            return reverse
        flags = inputs[1]
        strand = ops.ones_like(flags[:, :1])
        return [reverse, ops.concatenate([strand, flags[:, 1:]], axis=-1)]

    def compute_output_spec(self, inputs: Any) -> Any:
        if isinstance(inputs, (list, tuple)):
            return [keras.KerasTensor(i.shape, dtype=i.dtype) for i in inputs]
        return keras.KerasTensor(inputs.shape, dtype=inputs.dtype)


@keras.saving.register_keras_serializable(package="gexnb")
class KmerCounts(keras.layers.Layer):
    """Counts of every k-mer of uint8 sequence codes, in the graph: the features of
    :func:`gexnb.models.kmer.kmer_counts`, column for column.

    Each k-mer is a fixed one-hot filter of width ``k``; a window matches it when all ``k``
    positions do (a window touching ``N`` or padding, whose one-hot rows are zeros, never
    does), and the matches are summed over the positions. Made so that the k-mer ridge
    baseline saves as a ``.keras`` model that ``gexnb predict`` runs (de Boer et al., Nat
    Biotechnol 2020; Rafi et al., Nat Biotechnol 2024 use such k-mer models).

    Parameters
    ----------
    ks
        K-mer sizes; columns are ordered by k, then by the base-4 index of the k-mer with the
        first base most significant (codes ``T=0, C=1, G=2, A=3``).
    **kwargs
        Arguments of ``keras.layers.Layer`` (e.g. ``name``).
    """

    def __init__(self, ks: Any = (1, 2, 3, 4, 5, 6), **kwargs: Any):
        super().__init__(**kwargs)
        self.ks = tuple(int(k) for k in ks)
        if not self.ks or min(self.ks) < 1:
            raise ValueError(f"k-mer sizes must be >= 1, got {ks!r}")

    @staticmethod
    def _kernel(k: int) -> np.ndarray:
        """``(k, 4, 4**k)`` one-hot filters, k-mer index base 4, first base most significant."""
        index = np.arange(4**k)
        kernel = np.zeros((k, 4, 4**k), dtype="float32")
        for j in range(k):
            kernel[j, (index // 4 ** (k - 1 - j)) % 4, index] = 1.0
        return kernel

    def call(self, codes: Any) -> Any:
        onehot = ops.one_hot(ops.cast(codes, "int32"), 6)[..., :4]  # N, padding: zeros
        onehot = ops.cast(onehot, self.compute_dtype)
        width = int(codes.shape[1])
        counts = []
        for k in self.ks:
            if width < k:
                counts.append(ops.zeros((ops.shape(codes)[0], 4**k), dtype=self.compute_dtype))
                continue
            kernel = ops.convert_to_tensor(self._kernel(k), dtype=self.compute_dtype)
            matches = ops.conv(onehot, kernel, strides=1, padding="valid")
            counts.append(ops.sum(ops.relu(matches - (k - 1)), axis=1))
        return ops.concatenate(counts, axis=-1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], sum(4**k for k in self.ks))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ks": list(self.ks)}


def strand_averaged(model: keras.Model, *, name: str | None = None) -> keras.Model:
    """``model`` whose prediction is the mean over the sequence and its reverse complement.

    The DREAM 2022 winners' test-time averaging (LegNet, Prix Fixe) built into the saved
    model, so every use of it (``gexnb predict``, explanations) gives the averaged value.
    Same weights as ``model`` (it is called twice); inputs: uint8 codes, and the flags
    when ``model`` has a second input (:class:`ReverseStrand` sets the strand flag).

    Parameters
    ----------
    model
        A sequence model: input uint8 codes, and optionally the flags as a second input.
    name
        Name of the new model (default: ``model``'s name).

    Returns
    -------
    keras.Model
        The model averaging ``model``'s predictions on both strands.
    """
    inputs = [
        keras.Input(shape=tuple(t.shape[1:]), dtype=t.dtype, name=t.name.split(":")[0])
        for t in model.inputs
    ]
    feed = inputs if len(inputs) > 1 else inputs[0]
    reverse = ReverseStrand(name="reverse_strand")(feed)
    mean = keras.layers.Average(name="strand_average")([model(feed), model(reverse)])
    return keras.Model(feed, mean, name=name or model.name)

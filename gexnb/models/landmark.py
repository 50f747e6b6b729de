"""Landmark -> target gene models: D-GEX, D-GEX with TAAF units, and E-GEX.

- ``dgex``: the multilayer perceptron of D-GEX (Chen, Li, Narayan, Subramanian and Xie,
  "Gene expression inference with deep learning", *Bioinformatics* 32(12), 2016): 943 landmark
  genes -> 1-3 hidden layers of 3,000/6,000/9,000 ``tanh`` units with dropout -> a linear output
  per target gene (9,520 in the paper). Because of GPU memory the paper trained two networks of
  4,760 targets each; ``target_chunks=k`` does the same inside one Keras model.
- ``taaf_dgex``: D-GEX whose layers, output layer included, use transformative adaptive
  activation functions (Kunc and Klema, seed 003; see :mod:`gexnb.models.taaf`).
- ``egex``: E-GEX (Bhukya and Ashok, IAJIT, seed 001): a deep autoencoder of the target profile,
  an MLP from the landmarks to its code, and the decoder back to all targets in one model,
  trained in three phases by :func:`gexnb.train.train_egex`.

Every factory returns an uncompiled ``keras.Model`` built from ``keras.layers``/``keras.ops``
only (TensorFlow, JAX and PyTorch backends). The output layers run in float32 so that a mixed
precision policy keeps the regression outputs exact enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError
from gexnb.models.blocks import mlp
from gexnb.models.checks import check_fraction, check_int, check_layer_widths
from gexnb.models.registry import register_model
from gexnb.models.taaf import TAAFUnit, taaf_dense

__all__ = [
    "build_dgex",
    "build_taaf_dgex",
    "build_ridge_dgex",
    "set_linear_path",
    "build_egex",
    "EGEX",
    "chunk_sizes",
    "dgex_param_count",
    "estimate_training_memory",
    "TAAFUnit",
]

_ACTIVATIONS = ("tanh", "sigmoid", "relu", "elu", "linear", "softplus", "selu", "gelu")


def _check_sizes(
    n_landmarks: int, n_targets: int, dropout: float, **widths: Any
) -> tuple[tuple[int, ...], ...]:
    """Check the sizes of a landmark model; return each of ``widths`` (``hidden=...``) as a
    tuple of int (a single int is one layer). ``hidden="64"`` was read as layers of 6 and 4
    units, and ``n_landmarks=2.7`` as 2 (found by an API fault sweep)."""
    check_int("n_landmarks", n_landmarks)
    check_int("n_targets", n_targets)
    check_fraction("dropout", dropout)
    return tuple(check_layer_widths(name, value) for name, value in widths.items())


def _check_activation(activation: str) -> None:
    if activation not in _ACTIVATIONS:
        raise ParameterError(f"unknown activation {activation!r}; use one of {_ACTIVATIONS}")


def chunk_sizes(n_targets: int, target_chunks: int) -> list[int]:
    """Sizes of ``target_chunks`` contiguous target chunks (``numpy.array_split`` rule).

    D-GEX split its 9,520 targets into two sets of 4,760; ``chunk_sizes(9520, 2)`` gives
    ``[4760, 4760]``. The first ``n_targets % target_chunks`` chunks hold one target more.

    Parameters
    ----------
    n_targets
        Number of target genes.
    target_chunks
        Number of chunks.

    Returns
    -------
    list of int
        The number of targets in each chunk, in order.

    Raises
    ------
    ParameterError
        If ``target_chunks`` is not between 1 and ``n_targets``.
    """
    k = int(target_chunks)
    if k < 1 or k > int(n_targets):
        raise ParameterError(f"target_chunks must be in [1, n_targets={n_targets}], got {k}")
    base, extra = divmod(int(n_targets), k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def dgex_param_count(
    n_landmarks: int, n_targets: int, hidden: Sequence[int], *, target_chunks: int = 1
) -> int:
    """Number of weights of :func:`build_dgex` computed without building the model.

    Each chunk's sub-network has ``sum(fan_in * fan_out + fan_out)`` weights over its layers.
    For the paper's 943 -> 3 x 9,000 -> 9,520 network this is 256,203,520 weights.

    Parameters
    ----------
    n_landmarks, n_targets
        Numbers of input (landmark) and output (target) genes.
    hidden
        Width of each hidden layer.
    target_chunks
        Number of sub-networks, each predicting one chunk of the targets
        (:func:`chunk_sizes`).

    Returns
    -------
    int
        The number of weights and biases.
    """
    total = 0
    for size in chunk_sizes(n_targets, target_chunks):
        widths = [int(n_landmarks), *[int(h) for h in hidden], size]
        total += sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=False))
    return total


def estimate_training_memory(
    n_params: int,
    *,
    batch_size: int,
    layer_widths: Sequence[int],
    optimizer: str = "sgd",
    bytes_per_value: int = 4,
) -> dict[str, float]:
    """Rough memory need (bytes) of training a dense network.

    weights + gradients + optimizer slots (SGD with momentum: 1 per weight; Adam/Nadam: 2)
    + activations (about 3 values per unit and sample: pre-activation, activation and dropout
    mask). Framework workspace and fragmentation come on top.

    Parameters
    ----------
    n_params
        Number of weights of the network.
    batch_size
        Samples per training batch.
    layer_widths
        Number of units of each layer (their sum sizes the activations).
    optimizer
        Optimizer name (case-insensitive): ``"sgd"`` and ``"rmsprop"`` keep one slot per
        weight, ``"adam"``, ``"nadam"``, ``"adamw"`` and any other name two.
    bytes_per_value
        Bytes per number (4 for float32).

    Returns
    -------
    dict
        ``weights``, ``gradients``, ``optimizer``, ``activations`` and ``total`` in bytes.
    """
    slots = {"sgd": 1, "adam": 2, "nadam": 2, "adamw": 2, "rmsprop": 1}.get(optimizer.lower(), 2)
    weights = float(n_params) * bytes_per_value
    activations = 3.0 * float(batch_size) * float(sum(layer_widths)) * bytes_per_value
    out = {
        "weights": weights,
        "gradients": weights,
        "optimizer": slots * weights,
        "activations": activations,
    }
    out["total"] = sum(out.values())
    return out


def _mlp_head(
    inputs: Any,
    widths: Sequence[int],
    out_units: int,
    *,
    activation: str,
    dropout: float,
    prefix: str,
    output_activation: str,
) -> Any:
    return mlp(
        inputs,
        widths,
        out_units,
        activation=activation,
        dropout=dropout,
        output_activation=output_activation,
        output_dtype="float32",
        hidden_name=f"{prefix}H{{j}}",
        dropout_name=f"{prefix}dropout_{{j}}",
        output_name=f"{prefix}outputs",
    )


@register_model("dgex", kind="deep", task="landmark")
def build_dgex(
    n_landmarks: int = 943,
    n_targets: int = 9520,
    *,
    hidden: Sequence[int] = (9000, 9000, 9000),
    activation: str = "tanh",
    dropout: float = 0.1,
    target_chunks: int = 1,
    output_activation: str = "linear",
) -> keras.Model:
    """D-GEX multilayer perceptron (Chen et al., *Bioinformatics* 2016 [1]_).

    ``Input(n_landmarks) -> [Dense(h, activation) -> Dropout(dropout)] x len(hidden) ->
    Dense(n_targets, linear)``. The paper's best network has three hidden layers of 9,000 tanh
    units and 10 % dropout (256,203,520 weights for 943 -> 9,520 in one network).

    With ``target_chunks=k`` the model holds ``k`` independent sub-networks with the same
    hidden sizes, all reading the same landmarks; sub-network ``i`` predicts the ``i``-th
    contiguous chunk of targets (:func:`chunk_sizes`) and the outputs are concatenated in
    target order, so the model still maps landmarks to all ``n_targets`` targets. This is the
    paper's two-networks-of-4,760-targets setting (``target_chunks=2``); note that it has
    more weights than the single network (each chunk repeats the hidden layers).

    Parameters
    ----------
    n_landmarks, n_targets
        Input and output widths.
    hidden
        Hidden layer sizes (1-3 layers in the paper; any number allowed).
    activation
        Hidden activation (``tanh`` in D-GEX).
    dropout
        Dropout rate after each hidden layer (0, 0.1 or 0.25 in the paper).
    target_chunks
        Number of target chunks / sub-networks (1: one network for all targets).
    output_activation
        Output activation (``linear`` in D-GEX and in the TAAF demonstrator's classical
        network; the parameter count does not depend on it).

    Returns
    -------
    keras.Model
        Named ``dgex``, input ``landmarks`` and output of shape ``(batch, n_targets)``.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    (hidden,) = _check_sizes(n_landmarks, n_targets, dropout, hidden=hidden)
    _check_activation(activation)
    _check_activation(output_activation)
    sizes = chunk_sizes(n_targets, target_chunks)
    inputs = keras.Input(shape=(int(n_landmarks),), name="landmarks")
    if len(sizes) == 1:
        outputs = _mlp_head(
            inputs,
            hidden,
            sizes[0],
            activation=activation,
            dropout=dropout,
            prefix="",
            output_activation=output_activation,
        )
    else:
        heads = [
            _mlp_head(
                inputs,
                hidden,
                size,
                activation=activation,
                dropout=dropout,
                prefix=f"chunk{i}_",
                output_activation=output_activation,
            )
            for i, size in enumerate(sizes)
        ]
        outputs = keras.layers.Concatenate(axis=-1, name="targets", dtype="float32")(heads)
    return keras.Model(inputs, outputs, name="dgex")


@register_model("ridge_dgex", kind="deep", task="landmark")
def build_ridge_dgex(
    n_landmarks: int = 943,
    n_targets: int = 9520,
    *,
    hidden: Sequence[int] = (300, 300),
    activation: str = "tanh",
    dropout: float = 0.1,
    train_linear: bool = False,
) -> keras.Model:
    """Ridge regression plus a D-GEX residual: gexnb's own variant, in no seed.

    ``outputs = linear_path(x) + residual(x)``: ``linear_path`` is one Dense layer meant to
    hold a ridge regression fitted on the training samples (:func:`set_linear_path`; frozen
    unless ``train_linear``) and ``residual`` a D-GEX network (``hidden`` tanh layers with
    dropout) whose output layer starts at zero, so the untrained model is the ridge and
    training (with the best-validation epoch kept) can only add what the network finds beyond
    it. The residual network is D-GEX's [1]_ and linear regression its reference baseline;
    adding the two in one model is gexnb's choice. Built to close the gap between D-GEX and
    ridge regression on small real cohorts (issue #12); notebook 03 fits the ridge
    (:class:`gexnb.models.baselines.RidgeBaseline`, the same alphas) before training.

    Parameters
    ----------
    n_landmarks, n_targets
        Input and output widths.
    hidden, activation, dropout
        The residual D-GEX network (:func:`build_dgex`).
    train_linear
        Let training change the ridge weights too (False: they stay the ridge's).

    Returns
    -------
    keras.Model
        Named ``ridge_dgex``, input ``landmarks``, output ``(batch, n_targets)``.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    (hidden,) = _check_sizes(n_landmarks, n_targets, dropout, hidden=hidden)
    _check_activation(activation)
    inputs = keras.Input(shape=(int(n_landmarks),), name="landmarks")
    linear = keras.layers.Dense(
        int(n_targets), name="linear_path", trainable=bool(train_linear), dtype="float32"
    )(inputs)
    residual = _mlp_head(inputs, hidden, int(n_targets), activation=activation, dropout=dropout,
                         prefix="residual_", output_activation="linear")  # fmt: skip
    outputs = keras.layers.Add(name="targets", dtype="float32")([linear, residual])
    model = keras.Model(inputs, outputs, name="ridge_dgex")
    out_layer = model.get_layer("residual_outputs")
    out_layer.set_weights([np.zeros_like(w) for w in out_layer.get_weights()])
    return model


def set_linear_path(model: keras.Model, coef: np.ndarray, intercept: np.ndarray) -> None:
    """Put a fitted linear model (``coef`` ``(n_targets, n_landmarks)``, scikit-learn's
    layout, and ``intercept`` ``(n_targets,)``) into ``model``'s ``linear_path`` layer.

    Parameters
    ----------
    model
        A model with a ``linear_path`` dense layer (changed in place).
    coef
        Coefficients ``(n_targets, n_landmarks)`` (1-D for one target).
    intercept
        Intercepts ``(n_targets,)``.

    Raises
    ------
    ParameterError
        If the shapes do not match the layer's.
    """
    layer = model.get_layer("linear_path")
    kernel, bias = layer.get_weights()
    intercept = np.asarray(intercept, "float32").reshape(-1)
    coef = np.asarray(coef, "float32").reshape(intercept.size, -1)  # one target: 1-D coef_
    if coef.T.shape != kernel.shape or intercept.shape != bias.shape:
        raise ParameterError(
            f"linear path of shape {kernel.shape} cannot take coefficients {coef.shape}"
        )
    layer.set_weights([coef.T, intercept])


@register_model("taaf_dgex", kind="deep", task="landmark")
def build_taaf_dgex(
    n_landmarks: int = 943,
    n_targets: int = 9520,
    *,
    hidden: Sequence[int] = (300, 300),
    activation: str = "sigmoid",
    dropout: float = 0.25,
    target_chunks: int = 1,
) -> keras.Model:
    """D-GEX with transformative adaptive activation functions (Kunc and Klema [1]_).

    Every layer, the output layer included, is ``Dense(no bias) -> bottom ATU
    (beta * x + gamma) -> activation -> top ATU (alpha * x + delta)``
    (:func:`gexnb.models.taaf.taaf_dense`) in the D-GEX network [2]_; hidden layers are
    followed by dropout. The defaults are the authors' demonstrator (2 x 300 sigmoid units,
    dropout 0.25); with ``n_landmarks=942, n_targets=952`` it has 664,408 weights, as in
    their model summary. ``target_chunks`` works as in :func:`build_dgex`.

    Parameters
    ----------
    n_landmarks, n_targets, hidden, dropout, target_chunks
        As in :func:`build_dgex`.
    activation
        Inner activation ``g`` of every TAAF (``sigmoid`` beat ``tanh`` in the paper).

    Returns
    -------
    keras.Model
        Named ``taaf_dgex``.

    References
    ----------
    .. [1] Kunc and Klema, "On transformative adaptive activation functions in neural networks
       for gene expression inference" (seed 003, the README of the authors' TAAF code, which
       gives no venue or year).
    .. [2] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    (hidden,) = _check_sizes(n_landmarks, n_targets, dropout, hidden=hidden)
    _check_activation(activation)
    sizes = chunk_sizes(n_targets, target_chunks)
    inputs = keras.Input(shape=(int(n_landmarks),), name="landmarks")
    heads = []
    for i, size in enumerate(sizes):
        prefix = "" if len(sizes) == 1 else f"chunk{i}_"
        x = inputs
        for j, units in enumerate(hidden):
            x = taaf_dense(x, int(units), activation=activation, name=f"{prefix}H{j}")
            if dropout > 0:
                x = keras.layers.Dropout(float(dropout), name=f"{prefix}dropout_{j}")(x)
        heads.append(
            taaf_dense(x, size, activation=activation, name=f"{prefix}outputs", dtype="float32")
        )
    if len(heads) == 1:
        outputs = heads[0]
    else:
        outputs = keras.layers.Concatenate(axis=-1, name="targets", dtype="float32")(heads)
    return keras.Model(inputs, outputs, name="taaf_dgex")


def _dense_stack(
    in_dim: int,
    widths: Sequence[int],
    out_dim: int,
    *,
    activation: str,
    dropout: float,
    out_activation: str,
    name: str,
) -> keras.Model:
    inputs = keras.Input(shape=(int(in_dim),), name=f"{name}_in")
    outputs = mlp(
        inputs,
        widths,
        out_dim,
        activation=activation,
        dropout=dropout,
        output_activation=out_activation,
        output_dtype="float32",
        hidden_name=f"{name}_H{{j}}",
        dropout_name=f"{name}_dropout_{{j}}",
        output_name=f"{name}_out",
    )
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="gexnb")
class EGEX(keras.Model):
    """E-GEX: autoencoder of the targets + landmark-to-code MLP + shared decoder.

    Bhukya and Ashok, "Gene expression prediction using deep neural networks", IAJIT [1]_
    (seed 001) describe E-GEX only in their abstract: "a combination of deep autoencoder and
    MLP", predicting all targets in one model instead of D-GEX's [2]_ separate target sets,
    16.64 % better than D-GEX on GEO. Everything else here is an assumption of gexnb,
    documented so it can be changed:

    - **Autoencoder.** A symmetric dense autoencoder on the (z-scored) target profile:
      ``encoder``: ``n_targets -> encoder_hidden... -> code_size`` (linear code), ``decoder``:
      ``code_size -> reversed(encoder_hidden)... -> n_targets`` (linear output). Hidden layers
      use ``activation`` (default ``tanh``, as D-GEX) and ``dropout``. The code size and
      hidden sizes are parameters; the defaults (code 1,000, one hidden layer of 3,000) are
      our choice, of the same order as the ~1,000 landmarks.
    - **Mapper.** An MLP ``n_landmarks -> mapper_hidden... -> code_size`` (linear output),
      with D-GEX-like hidden layers.
    - **Prediction.** ``decoder(mapper(landmarks))``; the encoder is used only in training.
    - **Training** (:func:`train_egex`): (1) the autoencoder on the target profiles
      (input = label = targets), (2) the mapper on ``(landmarks, encoder(targets))`` with the
      encoder frozen (its codes are the labels), (3) fine-tuning of mapper + decoder end to end
      on ``(landmarks, targets)``, by default with a tenth of the learning rate. The loss is
      the same in every phase (MAE or MSE, a parameter).

    The three sub-models are attributes (``encoder``, ``decoder``, ``mapper``), saved with the
    model in ``.keras`` files.

    Parameters
    ----------
    n_landmarks, n_targets
        Input and output widths.
    code_size
        Width of the autoencoder's code.
    encoder_hidden
        Hidden widths of the encoder (the decoder mirrors them).
    mapper_hidden
        Hidden widths of the landmark -> code MLP.
    activation, dropout
        Hidden activation and dropout rate of all three parts.
    **kwargs
        Passed to :class:`keras.Model` (``name``...).

    References
    ----------
    .. [1] R. Bhukya and A. Ashok, "Gene expression prediction using deep neural networks",
       The International Arab Journal of Information Technology (IAJIT) (seed 001; the copy
       gives no volume or year).
    .. [2] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016) (D-GEX).
    """

    def __init__(
        self,
        n_landmarks: int = 943,
        n_targets: int = 9520,
        code_size: int = 1000,
        encoder_hidden: Sequence[int] = (3000,),
        mapper_hidden: Sequence[int] = (3000,),
        activation: str = "tanh",
        dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", "egex")
        super().__init__(**kwargs)
        encoder_hidden, mapper_hidden = _check_sizes(
            n_landmarks,
            n_targets,
            dropout,
            encoder_hidden=encoder_hidden,
            mapper_hidden=mapper_hidden,
        )
        _check_activation(activation)
        check_int("code_size", code_size)
        self.n_landmarks = int(n_landmarks)
        self.n_targets = int(n_targets)
        self.code_size = int(code_size)
        self.encoder_hidden = tuple(int(h) for h in encoder_hidden)
        self.mapper_hidden = tuple(int(h) for h in mapper_hidden)
        self.activation = activation
        self.dropout = float(dropout)
        common: dict[str, Any] = {
            "activation": activation, "dropout": self.dropout, "out_activation": "linear"
        }  # fmt: skip
        self.encoder = _dense_stack(
            self.n_targets, self.encoder_hidden, self.code_size, name="egex_encoder", **common
        )
        self.decoder = _dense_stack(
            self.code_size,
            tuple(reversed(self.encoder_hidden)),
            self.n_targets,
            name="egex_decoder",
            **common,
        )
        self.mapper = _dense_stack(
            self.n_landmarks, self.mapper_hidden, self.code_size, name="egex_mapper", **common
        )

    def build(self, input_shape: Any = None) -> None:
        # The three sub-models are functional models, built when created.
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return self.decoder(self.mapper(inputs, training=training), training=training)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return (input_shape[0], self.n_targets)

    def autoencoder(self) -> keras.Model:
        """A functional ``targets -> decoder(encoder(targets))`` model sharing the weights."""
        inputs = keras.Input(shape=(self.n_targets,), name="targets_in")
        return keras.Model(inputs, self.decoder(self.encoder(inputs)), name="egex_autoencoder")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "n_landmarks": self.n_landmarks,
                "n_targets": self.n_targets,
                "code_size": self.code_size,
                "encoder_hidden": list(self.encoder_hidden),
                "mapper_hidden": list(self.mapper_hidden),
                "activation": self.activation,
                "dropout": self.dropout,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EGEX:
        config = dict(config)
        config.pop("trainable", None)
        config.pop("dtype", None)
        return cls(**config)


@register_model("egex", kind="deep", task="landmark")
def build_egex(
    n_landmarks: int = 943,
    n_targets: int = 9520,
    *,
    code_size: int = 1000,
    encoder_hidden: Sequence[int] = (3000,),
    mapper_hidden: Sequence[int] = (3000,),
    activation: str = "tanh",
    dropout: float = 0.1,
) -> EGEX:
    """Build an :class:`EGEX` model (E-GEX [1]_; see its docstring for the assumptions).

    The model is called once on a zero batch, so its weights exist when it is returned.

    Parameters
    ----------
    n_landmarks, n_targets
        Input and output widths.
    code_size
        Width of the autoencoder's code.
    encoder_hidden
        Hidden widths of the encoder (the decoder mirrors them).
    mapper_hidden
        Hidden widths of the landmark -> code MLP.
    activation, dropout
        Hidden activation and dropout rate of the encoder, decoder and mapper.

    Returns
    -------
    EGEX
        Named ``egex``, uncompiled and built; output ``(batch, n_targets)``.

    References
    ----------
    .. [1] R. Bhukya and A. Ashok, "Gene expression prediction using deep neural networks",
       The International Arab Journal of Information Technology (IAJIT) (seed 001; the copy
       gives no volume or year).
    """
    model = EGEX(
        n_landmarks,
        n_targets,
        code_size=code_size,
        encoder_hidden=encoder_hidden,
        mapper_hidden=mapper_hidden,
        activation=activation,
        dropout=dropout,
    )
    model(np.zeros((1, int(n_landmarks)), dtype="float32"))
    return model

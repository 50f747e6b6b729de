"""Gene-sequence models: ``dnn``, ``lstm``, ``gru``, ``attention_lstm``, ``attention_gru``.

These are the five architectures compared in seed 004 ("Gene expression prediction using deep
learning", M. Zannat, University of Hull): from the expression of the top-50 most variable genes
predict one or several target genes. The recurrent models read the input genes as a sequence,
one step per gene (the data are not temporal; the order is the column order of the input
matrix), optionally with a learned per-gene embedding concatenated to each step so that the
network knows which gene it is reading. The attention variants pool the hidden states with
:class:`gexnb.models.layers.ContextAttention` (Yang et al. 2016, "Hierarchical attention
networks"), whose softmax weights give one attention weight per input gene and sample
(:func:`gexnb.explain.attention_weights`).

The seed names the five models, the top-50 genes, a custom attention layer and
cross-validation, and publishes no architecture: the reading of genes as a sequence, the
attention pooling, the gene embedding and every size here are gexnb's own choices.

Every factory returns an uncompiled ``keras.Model`` taking a float matrix ``(batch, n_genes)``
and returning ``(batch, n_targets)``; only ``keras.layers`` / ``keras.ops`` are used, so the
models run on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from gexnb.errors import ParameterError
from gexnb.models.blocks import mlp
from gexnb.models.checks import check_activation, check_fraction, check_int, check_layer_widths
from gexnb.models.layers import ContextAttention, GeneEmbedding
from gexnb.models.registry import register_model

__all__ = [
    "GeneEmbedding",
    "build_dnn",
    "build_lstm",
    "build_gru",
    "build_attention_lstm",
    "build_attention_gru",
    "GENE_SEQUENCE_MODELS",
    "ATTENTION_LAYER_NAME",
]

#: Names of the five models of seed 004, in the order of its results table.
GENE_SEQUENCE_MODELS = ("dnn", "lstm", "gru", "attention_lstm", "attention_gru")
#: Name given to the :class:`ContextAttention` layer of the attention variants.
ATTENTION_LAYER_NAME = "attention"


def _check_common(n_genes: int, n_targets: int, dropout: float, embedding_dim: int) -> None:
    check_int("n_genes", n_genes)
    check_int("n_targets", n_targets)
    check_fraction("dropout", dropout)
    check_int("embedding_dim", embedding_dim, minimum=0)


def _units_list(units: int | Sequence[int], name: str) -> list[int]:
    values = list(check_layer_widths(f"{name}: units", units))
    if not values:
        raise ParameterError(f"{name}: units must be positive integers, got {units!r}")
    return values


@register_model("dnn", kind="deep", task="gene_set")
def build_dnn(
    n_genes: int = 50,
    n_targets: int = 1,
    *,
    hidden: int | Sequence[int] = (128, 64),
    dropout: float = 0.1,
    embedding_dim: int = 0,
    activation: str = "relu",
) -> keras.Model:
    """Dense network of seed 004 [1]_ ("multiple dense layers with ReLU activations").

    The seed publishes no sizes: the layer widths and dropout are gexnb's choices.

    Parameters
    ----------
    n_genes, n_targets
        Input genes and predicted genes.
    hidden
        Hidden layer sizes (an int means one hidden layer), the name D-GEX and E-GEX use.
    dropout
        Dropout rate after each hidden layer.
    embedding_dim
        Accepted for a uniform interface with the recurrent models; must be 0 (a dense
        network already knows each gene by its input position).
    activation
        Hidden activation.

    Returns
    -------
    keras.Model
        Uncompiled, named ``dnn``: input ``genes`` ``(batch, n_genes)``, output
        ``(batch, n_targets)``.

    References
    ----------
    .. [1] M. Zannat, "Gene expression prediction using deep learning", MSc project (AI & Data
       Science), University of Hull (seed 004, the project's README; no year given).
    """
    _check_common(n_genes, n_targets, dropout, embedding_dim)
    check_activation("activation", activation)
    if embedding_dim:
        raise ParameterError("dnn: embedding_dim must be 0 (genes are input columns)")
    inputs = keras.Input(shape=(int(n_genes),), name="genes")
    outputs = mlp(
        inputs,
        _units_list(hidden, "dnn"),
        n_targets,
        activation=activation,
        dropout=dropout,
        hidden_name="dense_{j}",
        dropout_name="dropout_{j}",
        output_name="output",
    )
    return keras.Model(inputs, outputs, name="dnn")


def _recurrent(
    kind: str,
    *,
    attention: bool,
    n_genes: int,
    n_targets: int,
    units: int | Sequence[int],
    dropout: float,
    embedding_dim: int,
) -> keras.Model:
    name = f"attention_{kind}" if attention else kind
    _check_common(n_genes, n_targets, dropout, embedding_dim)
    widths = _units_list(units, name)
    layer_cls = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    inputs = keras.Input(shape=(int(n_genes),), name="genes")
    x = keras.layers.Reshape((int(n_genes), 1), name="genes_as_steps")(inputs)
    if embedding_dim:
        x = GeneEmbedding(int(n_genes), int(embedding_dim), name="gene_embedding")(x)
    for i, width in enumerate(widths):
        last = i == len(widths) - 1
        x = layer_cls(
            width, return_sequences=attention or not last, dropout=dropout, name=f"{kind}_{i}"
        )(x)
    if attention:
        x = ContextAttention(name=ATTENTION_LAYER_NAME)(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(int(n_targets), name="output")(x)
    return keras.Model(inputs, outputs, name=name)


@register_model("lstm", kind="deep", task="gene_set")
def build_lstm(
    n_genes: int = 50,
    n_targets: int = 1,
    *,
    units: int | Sequence[int] = 32,
    dropout: float = 0.1,
    embedding_dim: int = 0,
) -> keras.Model:
    """LSTM over the genes as steps, prediction from the last hidden state (seed 004 [1]_).

    Reading the genes as a sequence, the gene embedding and the sizes are gexnb's choices.

    Parameters
    ----------
    n_genes, n_targets
        Input genes (steps) and predicted genes.
    units
        LSTM width; a sequence stacks several LSTM layers.
    dropout
        Input dropout of the recurrent layers and dropout before the output layer.
    embedding_dim
        Size of the learned per-gene embedding concatenated to each step (0: none).

    Returns
    -------
    keras.Model
        Uncompiled, named ``lstm``: input ``genes`` ``(batch, n_genes)``, output
        ``(batch, n_targets)``.

    References
    ----------
    .. [1] M. Zannat, "Gene expression prediction using deep learning", MSc project (AI & Data
       Science), University of Hull (seed 004, the project's README; no year given).
    """
    return _recurrent(
        "lstm",
        attention=False,
        n_genes=n_genes,
        n_targets=n_targets,
        units=units,
        dropout=dropout,
        embedding_dim=embedding_dim,
    )


@register_model("gru", kind="deep", task="gene_set")
def build_gru(
    n_genes: int = 50,
    n_targets: int = 1,
    *,
    units: int | Sequence[int] = 32,
    dropout: float = 0.1,
    embedding_dim: int = 0,
) -> keras.Model:
    """GRU over the genes as steps, prediction from the last hidden state (seed 004 [1]_).

    Reading the genes as a sequence, the gene embedding and the sizes are gexnb's choices.

    Parameters
    ----------
    n_genes, n_targets, units, dropout, embedding_dim
        As in :func:`build_lstm` (``units`` is the GRU width).

    Returns
    -------
    keras.Model
        Uncompiled, named ``gru``: input ``genes`` ``(batch, n_genes)``, output
        ``(batch, n_targets)``.

    References
    ----------
    .. [1] M. Zannat, "Gene expression prediction using deep learning", MSc project (AI & Data
       Science), University of Hull (seed 004, the project's README; no year given).
    """
    return _recurrent(
        "gru",
        attention=False,
        n_genes=n_genes,
        n_targets=n_targets,
        units=units,
        dropout=dropout,
        embedding_dim=embedding_dim,
    )


@register_model("attention_lstm", kind="deep", task="gene_set")
def build_attention_lstm(
    n_genes: int = 50,
    n_targets: int = 1,
    *,
    units: int | Sequence[int] = 32,
    dropout: float = 0.1,
    embedding_dim: int = 0,
) -> keras.Model:
    """Attention-LSTM of seed 004: LSTM states of every gene pooled by context attention.

    The :class:`~gexnb.models.layers.ContextAttention` layer (Yang et al. 2016 [2]_) is named
    ``"attention"``; its softmax weights (one per input gene, summing to one per sample) are
    read with :func:`gexnb.explain.attention_weights`. The seed [1]_ names the model but
    publishes no architecture: the attention pooling and the sizes are gexnb's choices.

    Parameters
    ----------
    n_genes, n_targets, units, dropout, embedding_dim
        As in :func:`build_lstm`.

    Returns
    -------
    keras.Model
        Uncompiled, named ``attention_lstm``: input ``genes`` ``(batch, n_genes)``, output
        ``(batch, n_targets)``.

    References
    ----------
    .. [1] M. Zannat, "Gene expression prediction using deep learning", MSc project (AI & Data
       Science), University of Hull (seed 004, the project's README; no year given).
    .. [2] Z. Yang, D. Yang, C. Dyer, X. He, A. J. Smola and E. H. Hovy, "Hierarchical attention
       networks for document classification", HLT-NAACL (2016).
    """
    return _recurrent(
        "lstm",
        attention=True,
        n_genes=n_genes,
        n_targets=n_targets,
        units=units,
        dropout=dropout,
        embedding_dim=embedding_dim,
    )


@register_model("attention_gru", kind="deep", task="gene_set")
def build_attention_gru(
    n_genes: int = 50,
    n_targets: int = 1,
    *,
    units: int | Sequence[int] = 32,
    dropout: float = 0.1,
    embedding_dim: int = 0,
) -> keras.Model:
    """Attention-GRU of seed 004 (GRU states pooled by context attention).

    As :func:`build_attention_lstm` with GRU layers: the seed [1]_ names the model, the
    :class:`~gexnb.models.layers.ContextAttention` pooling (Yang et al. 2016 [2]_) and the
    sizes are gexnb's choices.

    Parameters
    ----------
    n_genes, n_targets, units, dropout, embedding_dim
        As in :func:`build_lstm` (``units`` is the GRU width).

    Returns
    -------
    keras.Model
        Uncompiled, named ``attention_gru``: input ``genes`` ``(batch, n_genes)``, output
        ``(batch, n_targets)``.

    References
    ----------
    .. [1] M. Zannat, "Gene expression prediction using deep learning", MSc project (AI & Data
       Science), University of Hull (seed 004, the project's README; no year given).
    .. [2] Z. Yang, D. Yang, C. Dyer, X. He, A. J. Smola and E. H. Hovy, "Hierarchical attention
       networks for document classification", HLT-NAACL (2016).
    """
    return _recurrent(
        "gru",
        attention=True,
        n_genes=n_genes,
        n_targets=n_targets,
        units=units,
        dropout=dropout,
        embedding_dim=embedding_dim,
    )

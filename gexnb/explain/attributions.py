"""Attributions: attention weights, in-silico mutagenesis, gradient x input, hypothetical
contributions.

- :func:`attention_weights` reads the softmax weights of the
  :class:`~gexnb.models.layers.ContextAttention` layer of any gexnb model (the promoter BiGRU
  of DREAM 2022 team Metformin-121, whose input is uint8 sequence codes, and the
  attention-LSTM/GRU of seed 004, whose input is a gene-expression matrix).
- :func:`in_silico_mutagenesis` predicts every single-base substitution of each sequence
  (Alipanahi et al. 2015, DeepBind "mutation maps"; Zhou & Troyanskaya 2015, DeepSEA).
- :func:`gradient_x_input` is the gradient of the prediction times the input
  (Shrikumar et al. 2016, "Not just a black box"), with TensorFlow, JAX and PyTorch paths.
- :func:`hypothetical_contributions` gives the per-base scores TF-MoDISco needs (Shrikumar
  et al. 2018): mean-centred ISM, or the input gradient mean-centred over the four bases
  (Majdandzic et al. 2023), in base order A, C, G, T beside :func:`sequence_one_hot`.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

from gexnb.data.sequences import PAD_CODE, check_codes
from gexnb.errors import InputError, ParameterError
from gexnb.models.layers import ContextAttention
from gexnb.train import check_model_input, takes_sequence_codes
from gexnb.train.inputs import _check_finite
from gexnb.train.predict import predict_output

__all__ = [
    "find_attention_layer",
    "has_attention",
    "attention_weights",
    "in_silico_mutagenesis",
    "gradient_x_input",
    "hypothetical_contributions",
    "centre_scores",
    "sequence_one_hot",
    "ACGT",
]

#: Base order of :func:`hypothetical_contributions`, :func:`sequence_one_hot` and the motifs
#: (the order of TF-MoDISco, MEME files and logos).
ACGT = ("A", "C", "G", "T")
#: Channel of each of A, C, G, T in gexnb's code/one-hot order (T=0, C=1, G=2, A=3).
_TO_ACGT = [3, 1, 2, 0]

#: Number of bases (codes T=0, C=1, G=2, A=3 of :mod:`gexnb.data.sequences`).
_N_BASES = 4


def _iter_layers(model: Any) -> Any:
    for layer in getattr(model, "layers", ()):
        yield layer
        if isinstance(layer, keras.Model):
            yield from _iter_layers(layer)


def find_attention_layer(model: Any) -> ContextAttention:
    """Return the (first) :class:`ContextAttention` layer of ``model``.

    Parameters
    ----------
    model
        A Keras model; nested sub-models are searched too.

    Returns
    -------
    ContextAttention
        The first attention layer found, depth first in layer order.

    Raises
    ------
    ParameterError
        If ``model`` is not a Keras model or holds no attention layer.
    """
    if not isinstance(model, keras.Model):
        raise ParameterError(
            f"expected a keras.Model with a ContextAttention layer, got {type(model).__name__}"
        )
    for layer in _iter_layers(model):
        if isinstance(layer, ContextAttention):
            return layer
    raise ParameterError(
        f"model {model.name!r} has no attention layer (ContextAttention); attention weights "
        "exist only for attention models such as 'attention_lstm', 'attention_gru' or "
        "'metformin_bigru'"
    )


def has_attention(model: Any) -> bool:
    """True if ``model`` is a Keras model holding a :class:`ContextAttention` layer.

    Parameters
    ----------
    model
        Any object; anything other than a Keras model gives False.

    Returns
    -------
    bool
        Whether :func:`find_attention_layer` finds a layer.
    """
    try:
        find_attention_layer(model)
    except ParameterError:
        return False
    return True


def _check_output(model: Any, output: int) -> None:
    try:
        n = int(np.prod(model.outputs[0].shape[1:]))
    except (AttributeError, IndexError, TypeError):
        return
    if not 0 <= int(output) < n:
        raise ParameterError(
            f"output must be in 0..{n - 1} (the model has {n} outputs), got {output}"
        )


def _check_batch_size(batch_size: int) -> int:
    if int(batch_size) < 1:
        raise ParameterError(f"batch_size must be >= 1, got {batch_size}")
    return int(batch_size)


def _require_keras_model(model: Any, func: str) -> None:
    """ParameterError unless ``model`` is a Keras model (not a path, an array, None)."""
    if not isinstance(model, keras.Model):
        hint = (
            " (load a .keras file with gexnb.models.load_model first)"
            if isinstance(model, (str, os.PathLike))
            else ""
        )
        raise ParameterError(
            f"{func}: model must be a Keras model{hint}, got {type(model).__name__}"
        )


def _require_sequence_model(model: Any, func: str) -> None:
    """ParameterError unless ``model`` is a Keras model whose input is integer sequence codes
    (a subclassed model without symbolic inputs cannot be told, and is let through)."""
    _require_keras_model(model, func)
    try:
        first = model.inputs[0]
    except (AttributeError, IndexError, TypeError):
        return
    if takes_sequence_codes(model):
        return
    dtype = keras.backend.standardize_dtype(first.dtype)
    shape = tuple(None if e is None else int(e) for e in first.shape[1:])
    raise ParameterError(
        f"{func} needs a sequence model (input of uint8 codes); model {model.name!r} takes "
        f"{dtype} input of shape {shape}"
    )


def _check_finite_input(x: np.ndarray, what: str = "inputs") -> None:
    """InputError at the first NaN or infinite value of float model inputs (naming the row)."""
    if np.issubdtype(x.dtype, np.floating):
        _check_finite(x, what)


def attention_weights(model: Any, inputs: Any, *, batch_size: int = 1024) -> np.ndarray:
    """Per-sample attention weights of a model's :class:`ContextAttention` layer.

    Builds ``keras.Model(model.inputs, layer.input)`` to get the hidden states that enter the
    attention layer, then applies :meth:`ContextAttention.attention_weights` batch by batch
    (Yang et al. 2016 attention, as used by DREAM 2022 team Metformin-121 and seed 004).

    Parameters
    ----------
    model
        A functional gexnb model with an attention layer.
    inputs
        What the model takes: uint8 sequence codes ``(n, length)`` for the promoter BiGRU,
        a float matrix ``(n, n_genes)`` for the gene-sequence models.
    batch_size
        Samples per forward pass.

    Returns
    -------
    numpy.ndarray
        ``(n, steps)`` float32 weights; each row sums to one.

    Raises
    ------
    ParameterError
        If the model has no attention layer or ``batch_size`` < 1.
    InputError
        If ``inputs`` is empty, does not fit the model, or holds NaN or infinite values (the
        message names the row).
    """
    layer = find_attention_layer(model)
    batch_size = _check_batch_size(batch_size)
    inputs = np.asarray(inputs)
    if inputs.ndim < 2 or len(inputs) == 0:
        raise InputError(f"inputs must be a non-empty (samples, ...) array, got {inputs.shape}")
    check_model_input(model, inputs)
    _check_finite_input(inputs)
    model_inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    hidden_model = keras.Model(model_inputs, layer.input)
    out = []
    for start in range(0, len(inputs), batch_size):
        hidden = hidden_model(inputs[start : start + batch_size], training=False)
        out.append(keras.ops.convert_to_numpy(layer.attention_weights(hidden)))
    return np.concatenate(out, axis=0).astype(np.float32)


def in_silico_mutagenesis(
    model: Any, codes: Any, *, batch_size: int = 1024, output: int = 0, progress: bool = False
) -> np.ndarray:
    """Predicted effect of every single-base substitution (in-silico saturation mutagenesis).

    For each sequence and each non-padding position, each of the four bases (codes T=0, C=1,
    G=2, A=3) is put in turn at that position and the model's prediction compared with the
    prediction for the unmodified sequence (DeepBind mutation maps, Alipanahi et al. 2015).
    All mutants are predicted in batches of ``batch_size``.

    Parameters
    ----------
    model
        A Keras model taking uint8 codes ``(n, length)`` (e.g. ``metformin_bigru``).
    codes
        uint8 codes ``(n, length)``; padding (code 5) positions are skipped.
    batch_size
        Mutant sequences per forward pass.
    output
        Which model output column to explain (multi-target models).
    progress
        Show a progress bar (``tqdm.auto``: a widget in JupyterLab) over the sequences.

    Returns
    -------
    numpy.ndarray
        float32 ``(n, length, 4)``: ``delta[i, p, b] = f(seq_i with base b at p) - f(seq_i)``;
        the reference base of each position gets 0, padding positions 0.

    Raises
    ------
    InputError
        If ``codes`` is not a 2-D integer array of codes 0..5.
    ParameterError
        If ``model`` is not a Keras model, or is one whose input is not sequence codes (a
        landmark model such as ``dgex``); ``output`` or ``batch_size`` out of range.
    """
    _require_sequence_model(model, "in_silico_mutagenesis")
    batch_size = _check_batch_size(batch_size)
    codes = np.asarray(codes)
    if codes.ndim != 2 or not np.issubdtype(codes.dtype, np.integer):
        raise InputError(
            f"codes must be a 2-D integer array (n, length), got {codes.dtype} {codes.shape}"
        )
    check_model_input(model, codes, what="codes")
    _check_output(model, output)
    codes = check_codes(codes).astype(np.uint8)
    n, length = codes.shape
    deltas = np.zeros((n, length, _N_BASES), dtype=np.float32)
    if n == 0:
        return deltas
    reference = predict_output(model, codes, batch_size=batch_size, output=output)
    # Sequences per chunk so that one chunk holds about 8 batches of mutants.
    per_chunk = max(1, (8 * batch_size) // max(1, length * _N_BASES))
    bases = np.arange(_N_BASES, dtype=np.uint8)
    from tqdm.auto import tqdm

    bar = tqdm(total=n, desc="in-silico mutagenesis", unit="seq", disable=not progress)
    for start in range(0, n, per_chunk):
        block = codes[start : start + per_chunk]
        bar.update(len(block))
        seq_idx, pos = np.nonzero(block != PAD_CODE)
        if len(seq_idx) == 0:
            continue
        mutants = np.repeat(block[seq_idx], _N_BASES, axis=0)
        rows = np.arange(len(mutants))
        mutants[rows, np.repeat(pos, _N_BASES)] = np.tile(bases, len(seq_idx))
        pred = predict_output(model, mutants, batch_size=batch_size, output=output)
        pred = pred.reshape(len(seq_idx), _N_BASES)
        delta = pred - reference[start + seq_idx][:, None]
        ref_base = block[seq_idx, pos]
        is_base = ref_base < _N_BASES
        delta[np.nonzero(is_base)[0], ref_base[is_base]] = 0.0
        deltas[start + seq_idx, pos] = delta
    bar.close()
    return deltas


def _gradient(model: Any, x: np.ndarray, output: int) -> np.ndarray:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = model(xt, training=False)
            target = tf.reduce_sum(tf.reshape(y, (tf.shape(y)[0], -1))[:, output])
        return tape.gradient(target, xt).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def total(xj: Any) -> Any:
            y = model(xj, training=False)
            return jnp.sum(jnp.reshape(y, (y.shape[0], -1))[:, output])

        return np.asarray(jax.grad(total)(jnp.asarray(x)))
    if backend == "torch":
        # the backend's own placement (GPU when there is one); Keras 3 has no get_device
        xt = keras.ops.convert_to_tensor(x).detach().clone().requires_grad_(True)
        y = model(xt, training=False)
        y.reshape(y.shape[0], -1)[:, output].sum().backward()
        return xt.grad.detach().cpu().numpy()
    raise ParameterError(
        f"gradient_x_input supports the tensorflow, jax and torch backends, not {backend}"
    )


def _one_hot_split(model: Any, length: int) -> tuple[Any, Any]:
    """Split a code-input model into (codes -> one-hot, one-hot -> output) parts."""
    for layer in model.layers[1:]:
        shape = tuple(layer.output.shape) if hasattr(layer, "output") else ()
        if len(shape) == 3 and shape[1] == length and shape[2] == _N_BASES:
            try:
                head = keras.Model(model.inputs[0], layer.output)
                try:  # any functional graph that depends on the input only through the one-hot
                    outputs = model.outputs[0] if len(model.outputs) == 1 else model.outputs
                    tail = keras.Model(layer.output, outputs)
                except Exception:  # noqa: BLE001 - fall back to re-applying a chain of layers
                    tail = _rebuild_from(model, layer, keras.Input(shape=shape[1:]))
                return head, tail
            except Exception as exc:  # pragma: no cover - depends on model topology
                raise ParameterError(
                    f"cannot split model {model.name!r} after its one-hot layer "
                    f"{layer.name!r}: {exc}"
                ) from exc
    raise ParameterError(
        f"model {model.name!r} takes integer codes but has no (length, 4) one-hot layer to "
        "take gradients against"
    )


def _rebuild_from(model: Any, start_layer: Any, new_input: Any) -> Any:
    """Re-apply the layers after ``start_layer`` of a linear (chain) model to ``new_input``."""
    layers = model.layers
    index = layers.index(start_layer)
    x = new_input
    for layer in layers[index + 1 :]:
        x = layer(x)
    return keras.Model(new_input, x)


def gradient_x_input(
    model: Any, inputs: Any, *, batch_size: int = 256, output: int = 0
) -> np.ndarray:
    """Gradient of the prediction with respect to the input, times the input.

    Shrikumar et al. (2016), "Not just a black box: learning important features through
    propagating activation differences". For float inputs (gene-expression matrices) the
    result has the shape of ``inputs``. For models taking uint8 sequence codes the gradient is
    taken with respect to the model's one-hot layer (the first layer with output
    ``(length, 4)``; the model must be a simple chain after it, as ``metformin_bigru`` is) and
    multiplied by :func:`sequence_one_hot`: the result is ``(n, length, 4)`` in base order
    A, C, G, T (:data:`ACGT`), zero except at each position's base (all zero at N and
    padding, which are no base), as the hypothetical contributions and logos read it.

    The gradient uses the backend's own autodiff: ``tf.GradientTape`` on TensorFlow,
    ``jax.grad`` on JAX, ``torch.autograd`` on PyTorch.

    Parameters
    ----------
    model
        A Keras model.
    inputs
        Float matrix or uint8 codes.
    batch_size
        Samples per gradient evaluation.
    output
        Model output column to explain.

    Returns
    -------
    numpy.ndarray
        float32 gradient x input.

    Raises
    ------
    ParameterError
        If ``model`` is not a Keras model, ``output`` or ``batch_size`` is out of range, or a
        model taking codes has no one-hot layer.
    InputError
        If ``inputs`` is empty, does not fit the model, or holds NaN or infinite values (the
        message names the row).
    """
    _require_keras_model(model, "gradient_x_input")
    batch_size = _check_batch_size(batch_size)
    x = np.asarray(inputs)
    if x.ndim < 2 or len(x) == 0:
        raise InputError(f"inputs must be a non-empty (samples, ...) array, got {x.shape}")
    _check_finite_input(x)
    grads, inputs = _input_gradients(model, x, batch_size, output)
    if np.issubdtype(x.dtype, np.integer):  # gexnb's channels T, C, G, A -> A, C, G, T
        return (grads[..., _TO_ACGT] * sequence_one_hot(x)).astype(np.float32)
    return (grads * inputs).astype(np.float32)


def _input_gradients(
    model: Any, x: np.ndarray, batch_size: int, output: int, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients with respect to the input (the one-hot for code inputs), and that input."""
    from tqdm.auto import tqdm

    check_model_input(model, x)
    _check_output(model, output)
    head = None
    model_for_grad = model
    if np.issubdtype(x.dtype, np.integer):
        head, model_for_grad = _one_hot_split(model, x.shape[1])
    grads, inputs = [], []
    for start in tqdm(
        range(0, len(x), batch_size), desc="gradients", unit="batch", disable=not progress
    ):
        chunk = x[start : start + batch_size]
        if head is not None:
            chunk = keras.ops.convert_to_numpy(head(chunk, training=False))
        chunk = np.asarray(chunk, dtype=np.float32)
        grads.append(np.asarray(_gradient(model_for_grad, chunk, output), dtype=np.float32))
        inputs.append(chunk)
    return np.concatenate(grads, axis=0), np.concatenate(inputs, axis=0)


def sequence_one_hot(codes: Any) -> np.ndarray:
    """One-hot of uint8 codes in base order A, C, G, T; N and padding are all-zero rows.

    The layout TF-MoDISco and logo tools expect (an N is no base, so it contributes nothing).

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` (T=0, C=1, G=2, A=3, N=4, padding=5); checked with
        :func:`gexnb.data.sequences.check_codes`.

    Returns
    -------
    numpy.ndarray
        float32 ``(n, length, 4)``.
    """
    codes = check_codes(np.asarray(codes))
    table = np.zeros((PAD_CODE + 1, _N_BASES), dtype=np.float32)
    table[:_N_BASES] = np.eye(_N_BASES, dtype=np.float32)[:, _TO_ACGT]
    return table[codes]


def hypothetical_contributions(
    model: Any,
    codes: Any,
    *,
    method: str = "ism",
    batch_size: int = 1024,
    output: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """Per-base hypothetical contributions of a sequence model, the input of TF-MoDISco.

    For every position and each of the four bases, the contribution that base would make
    there (Shrikumar et al. 2018, TF-MoDISco); the actual contribution is this times
    :func:`sequence_one_hot`. ``method="ism"``: in-silico mutagenesis mean-centred over the
    four bases at each position (a base scores how much better it does than the average
    base there). ``method="gradient"``: the gradient of the prediction with respect to the
    one-hot input, mean-centred over the four bases (the correction of Majdandzic et al.,
    2023, which removes the off-simplex gradient component). ISM is exact and costs
    ``3 x length`` predictions per sequence; gradients cost one backward pass.

    Parameters
    ----------
    model
        Any gexnb sequence model (uint8 codes in, one-hot inside).
    codes
        uint8 codes ``(n, length)``.
    method
        ``"ism"`` or ``"gradient"``.
    batch_size, output, progress
        Samples per pass, output column explained, progress bar (``tqdm.auto``).

    Returns
    -------
    numpy.ndarray
        float32 ``(n, length, 4)`` in base order A, C, G, T (:data:`ACGT`); zero at padding
        and at N.

    Raises
    ------
    ParameterError
        If ``model`` is not a Keras model taking sequence codes, or ``method`` is unknown.
    InputError
        If ``codes`` is not a 2-D integer array of codes 0..5.
    """
    _require_sequence_model(model, "hypothetical_contributions")
    codes = np.asarray(codes)
    if method == "ism":
        scores = in_silico_mutagenesis(
            model, codes, batch_size=batch_size, output=output, progress=progress
        )
    elif method == "gradient":
        if codes.ndim != 2 or not np.issubdtype(codes.dtype, np.integer):
            raise InputError(f"codes must be a 2-D integer array, got {codes.dtype} {codes.shape}")
        scores, _ = _input_gradients(model, codes, _check_batch_size(batch_size), output, progress)
    else:
        raise ParameterError(f"method must be 'ism' or 'gradient', got {method!r}")
    return centre_scores(scores, codes)


def centre_scores(scores: Any, codes: Any) -> np.ndarray:
    """Per-base scores in gexnb's code order -> hypothetical contributions in A, C, G, T.

    Each position's four scores (ISM deltas or input gradients, channels T, C, G, A) are
    mean-centred, set to zero at N and padding, and put in base order A, C, G, T: the last
    step of :func:`hypothetical_contributions`, for scores computed elsewhere (a viewer's
    cached mutagenesis).

    Parameters
    ----------
    scores
        ``(n, length, 4)`` in code order T, C, G, A.
    codes
        uint8 codes ``(n, length)`` of the same sequences.

    Returns
    -------
    numpy.ndarray
        float32 ``(n, length, 4)``, A, C, G, T.

    Raises
    ------
    InputError
        If ``scores`` is not ``(n, length, 4)``, ``codes`` is not ``(n, length)`` for the same
        ``n`` and ``length``, or ``scores`` holds NaN or infinite values (the message names
        the row and position).
    """
    scores = np.asarray(scores, dtype=np.float64)
    codes = np.asarray(codes)
    if scores.ndim != 3 or scores.shape[2] != _N_BASES:
        raise InputError(
            f"scores must be (n, length, 4) (bases T, C, G, A), got shape {scores.shape}"
        )
    if codes.shape != scores.shape[:2]:
        raise InputError(
            f"codes have shape {codes.shape} but the scores are for {scores.shape[:2]} "
            "(sequences, positions); give the codes of the scored sequences"
        )
    if not np.isfinite(scores).all():
        row, pos, _ = (int(i) for i in np.argwhere(~np.isfinite(scores))[0])
        raise InputError(f"scores is NaN or infinite at row {row}, position {pos}")
    centred = scores - scores.mean(axis=2, keepdims=True)
    centred[codes >= _N_BASES] = 0.0  # N and padding: no base, no contribution
    return np.ascontiguousarray(centred[..., _TO_ACGT], dtype=np.float32)

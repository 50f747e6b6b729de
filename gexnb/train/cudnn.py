"""Will Keras use the fused cuDNN kernel for each recurrent layer? A self-check.

Keras runs a GRU or LSTM with the fast fused cuDNN kernel only when the layer's settings
allow it, the backend has such a kernel and a GPU is there; otherwise it silently falls back
to a loop that can be an order of magnitude slower. :func:`cudnn_report` says, per layer,
which way it will go and why (read from Keras 3's backends: TensorFlow and PyTorch have fused
GRU and LSTM kernels, JAX an LSTM one only; a mask given at call time also disables PyTorch's).
"""

from __future__ import annotations

from typing import Any

import keras

from gexnb.errors import ParameterError

__all__ = ["cudnn_report"]

#: Backend -> recurrent layer kinds with a fused cuDNN kernel in Keras 3.
FUSED_KERNELS = {"tensorflow": ("GRU", "LSTM"), "torch": ("GRU", "LSTM"), "jax": ("LSTM",)}


def _gpu_available() -> bool:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from gexnb.train.distribute import _gpus

        return bool(_gpus())
    if backend == "torch":
        import torch

        return bool(torch.cuda.is_available() and torch.backends.cudnn.is_available())
    if backend == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    return False


def _recurrent_layers(model: Any) -> list[tuple[str, Any, bool]]:
    found = []
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Bidirectional):
            found.append((layer.name, layer.forward_layer, True))
        elif isinstance(layer, (keras.layers.GRU, keras.layers.LSTM)):
            if not any(layer is inner for _, inner, _ in found) and not _inside_bidirectional(
                model, layer
            ):
                found.append((layer.name, layer, False))
    return found


def _inside_bidirectional(model: Any, layer: Any) -> bool:
    for outer in model._flatten_layers(include_self=False):
        if isinstance(outer, keras.layers.Bidirectional) and layer in (
            outer.forward_layer,
            outer.backward_layer,
        ):
            return True
    return False


def _unmet(layer: Any) -> list[str]:
    cell = getattr(layer, "cell", layer)
    reasons = []
    if getattr(cell.activation, "__name__", "") != "tanh":
        reasons.append("activation is not tanh")
    if getattr(cell.recurrent_activation, "__name__", "") != "sigmoid":
        reasons.append("recurrent_activation is not sigmoid")
    if float(getattr(cell, "recurrent_dropout", 0.0)) > 0:
        reasons.append("recurrent_dropout > 0")
    if getattr(layer, "unroll", False):
        reasons.append("unroll=True")
    if not getattr(cell, "use_bias", True):
        reasons.append("use_bias=False")
    if isinstance(layer, keras.layers.GRU) and not getattr(cell, "reset_after", True):
        reasons.append("reset_after=False")
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    return reasons


def cudnn_report(model: Any) -> Any:
    """Per GRU/LSTM layer of ``model``: will the fused cuDNN kernel run, and if not, why.

    Parameters
    ----------
    model
        A built Keras model; recurrent layers nested in sub-models count too.

    Returns
    -------
    pandas.DataFrame
        One row per recurrent layer (a ``Bidirectional`` wrapper counts once): ``layer``,
        ``kind`` (GRU or LSTM), ``bidirectional``, ``backend``, ``gpu``, ``fused`` (True when
        cuDNN will be used) and ``why_not`` (the unmet conditions, empty when fused).
    """
    import pandas as pd

    if not isinstance(model, keras.Model):
        raise ParameterError(f"cudnn_report needs a Keras model, got {type(model).__name__}")
    backend = keras.backend.backend()
    gpu = _gpu_available()
    rows = []
    for name, layer, bidirectional in _recurrent_layers(model):
        kind = "GRU" if isinstance(layer, keras.layers.GRU) else "LSTM"
        reasons = _unmet(layer)
        if kind not in FUSED_KERNELS.get(backend, ()):
            reasons.append(f"the {backend} backend has no fused {kind} kernel")
        if not gpu:
            reasons.append("no GPU")
        rows.append(
            {
                "layer": name,
                "kind": kind,
                "bidirectional": bidirectional,
                "backend": backend,
                "gpu": gpu,
                "fused": not reasons,
                "why_not": "; ".join(reasons),
            }
        )
    columns = ["layer", "kind", "bidirectional", "backend", "gpu", "fused", "why_not"]
    return pd.DataFrame(rows, columns=columns)

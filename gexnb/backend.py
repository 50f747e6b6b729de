"""Which Keras backend gexnb runs on: ``$KERAS_BACKEND``, else the first that is installed.

TensorFlow is an optional dependency (``pip install gexnb[tensorflow]``, ``[jax]`` or
``[torch]``). Keras reads ``KERAS_BACKEND`` when it is first imported; :func:`choose_backend`
sets it, when unset, to the first of :data:`BACKENDS` that can be imported, and importing
:mod:`gexnb` calls it, so ``import gexnb`` before ``import keras`` is all a user needs. This
module imports no backend itself.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["BACKENDS", "choose_backend"]

#: Backends in order of preference when ``KERAS_BACKEND`` is not set.
BACKENDS = ("tensorflow", "jax", "torch")


def choose_backend() -> str | None:
    """Set ``KERAS_BACKEND`` to the first installed backend unless it is set; return it.

    Returns
    -------
    str or None
        The backend Keras will use, or None when none of :data:`BACKENDS` is installed
        (importing Keras then fails with Keras's own message).
    """
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:
        return chosen
    for name in BACKENDS:
        if importlib.util.find_spec(name) is not None:
            os.environ["KERAS_BACKEND"] = name
            return name
    return None

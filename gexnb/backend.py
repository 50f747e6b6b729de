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
import sys
import tempfile

__all__ = ["BACKENDS", "choose_backend", "import_backend_quietly"]

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


def import_backend_quietly() -> None:
    """Import Keras and start its backend with the C++ start-up lines kept out of sight.

    TensorFlow writes a dozen lines to the process's stderr when it loads and first looks for
    devices (oneDNN, CPU features, "failed call to cuInit" on machines without a GPU), past
    ``TF_CPP_MIN_LOG_LEVEL``; in JupyterLab they show as red output under the first cell.
    Here file descriptor 2 goes to a temporary file while Keras is imported and the devices
    are listed, and comes back afterwards; if the import fails, what was written is replayed
    before the exception; TensorFlow's Python logger is set to errors only. Nothing happens
    when Keras is already imported. :mod:`gexnb` calls this when imported inside a Jupyter
    kernel (unless ``GEXNB_QUIET_IMPORT=0``, which keeps every line).
    """
    if "keras" in sys.modules:
        return
    try:
        saved = os.dup(2)
    except OSError:  # no stderr descriptor: nothing to hide
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_logical_devices()
                # TensorFlow's Python warnings (tf.function retracing, deprecations) too
                tf.get_logger().setLevel("ERROR")
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)

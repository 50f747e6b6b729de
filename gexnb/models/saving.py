"""Loading the ``.keras`` files gexnb writes.

Importing :mod:`gexnb.models` registers every gexnb Keras class, so plain
``keras.saving.load_model`` reads gexnb's files; :func:`load_model` adds gexnb's checks
(the file exists, is a Keras model, and is a gexnb model) with one-line errors.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import keras

from gexnb.errors import InputError
from gexnb.models.registry import available

__all__ = ["load_model"]


def _is_gexnb_model(model: Any) -> bool:
    if getattr(model, "name", None) in available():
        return True
    for layer in getattr(model, "_flatten_layers", lambda: [])():
        registered = keras.saving.get_registered_name(type(layer))
        if registered.startswith("gexnb>"):
            return True
    return False


def _load(p: Path, *, compile: bool) -> Any:
    available()  # import the whole zoo (the Keras layers are registered on import)
    if not p.is_file():
        raise InputError("model file not found", path=str(p))
    if p.suffix == ".keras" and not zipfile.is_zipfile(p):
        raise InputError(
            "not a .keras archive (a .keras file is a zip archive; this one is truncated, "
            "damaged or another kind of file)",
            path=str(p),
        )
    try:
        return keras.saving.load_model(p, compile=compile)
    except Exception as exc:  # any failure means "not a model file we can read"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if len(detail) > 160:  # Keras quotes whole layer configs
            detail = detail[:160] + " ..."
        raise InputError(
            f"not a readable Keras model file ({type(exc).__name__}: {detail})", path=str(p)
        ) from exc


def load_model(path: str | os.PathLike, *, compile: bool = True) -> Any:
    """Load a ``.keras`` model saved by gexnb (custom layers registered).

    Parameters
    ----------
    path
        The ``.keras`` file.
    compile
        Passed to ``keras.saving.load_model``: restore the saved training configuration
        (optimizer, loss, metrics).

    Returns
    -------
    keras.Model
        The model.

    Raises
    ------
    InputError
        If the file does not exist, cannot be read as a Keras model, or holds a model without
        gexnb layers or a gexnb model name (not a gexnb model).
    """
    p = Path(path)
    model = _load(p, compile=compile)
    if not isinstance(model, keras.Model) or not _is_gexnb_model(model):
        raise InputError("the file holds a Keras model that is not a gexnb model", path=str(p))
    return model

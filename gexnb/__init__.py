"""gexnb: gene-expression prediction as parameterized notebooks and a tested package.

Submodules are imported lazily so that ``import gexnb`` stays cheap (TensorFlow is only
loaded when a model is built or trained)::

    import gexnb
    gexnb.data.synthetic_promoters(1000, seed=0)
    gexnb.models.build("metformin_bigru")
"""

from __future__ import annotations

import importlib
from typing import Any

from gexnb.backend import choose_backend

__version__ = "0.1.0"

choose_backend()  # KERAS_BACKEND, else the first installed of tensorflow, jax, torch

_SUBMODULES = (
    "data",
    "models",
    "train",
    "metrics",
    "plot",
    "widgets",
    "explain",
    "runner",
    "cli",
    "errors",
    "io",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"gexnb.{name}")
    raise AttributeError(f"module 'gexnb' has no attribute {name!r}")

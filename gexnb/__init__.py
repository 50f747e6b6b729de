"""gexnb: gene-expression prediction as parameterized notebooks and a tested package.

Submodules are imported lazily so that ``import gexnb`` stays cheap (TensorFlow is only
loaded when a model is built or trained; inside a Jupyter kernel it is loaded at once, with
its start-up lines hidden, see :func:`gexnb.backend.import_backend_quietly`)::

    import gexnb
    gexnb.data.synthetic_promoters(1000, seed=0)
    gexnb.models.build("metformin_bigru")
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from gexnb.backend import choose_backend, import_backend_quietly

__version__ = "0.1.0"

choose_backend()  # KERAS_BACKEND, else the first installed of tensorflow, jax, torch
if "ipykernel" in sys.modules and os.environ.get("GEXNB_QUIET_IMPORT", "1") != "0":
    import_backend_quietly()  # no TensorFlow start-up lines under the first notebook cell

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

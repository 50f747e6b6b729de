"""Data layer: sequences, expression matrices, splits and the synthetic embedded default.

Names are resolved lazily from the submodules:

- :mod:`gexnb.data.sequences`: read, validate and encode promoter sequences (uint8 codes).
- :mod:`gexnb.data.expression`: expression-matrix readers, gene lists, normalisation.
- :mod:`gexnb.data.splits`: row-order, random, count-based, k-fold and grouped splits.
- :mod:`gexnb.data.synthetic`: synthetic promoters and expression with a known ground truth.
- :mod:`gexnb.data.landmark`: landmark/target data sets, their splits and normalisation.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("sequences", "expression", "splits", "synthetic", "summary", "landmark")


def _exports() -> dict[str, str]:
    table: dict[str, str] = {}
    for sub in _SUBMODULES:
        try:
            module = importlib.import_module(f"gexnb.data.{sub}")
        except ModuleNotFoundError as exc:
            if exc.name != f"gexnb.data.{sub}":
                raise
            continue
        for name in getattr(module, "__all__", ()):
            table[name] = sub
    return table


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"gexnb.data.{name}")
    table = _exports()
    if name in table:
        return getattr(importlib.import_module(f"gexnb.data.{table[name]}"), name)
    raise AttributeError(f"module 'gexnb.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*_SUBMODULES, *_exports()])

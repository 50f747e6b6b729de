"""Seaborn figures used by the notebooks, one submodule per analysis.

- :mod:`gexnb.plot.data`: data-preparation summaries (notebook 01).
- :mod:`gexnb.plot.promoter`: learning curves, predicted vs measured, attention by position (02).
- :mod:`gexnb.plot.landmark`: per-gene error distributions and scatter plots (03).
- :mod:`gexnb.plot.attention`: cross-validation box plots, attention per gene (04).
- :mod:`gexnb.plot.motifs`: sequence logos of discovered motifs (02).

Every public function returns a ``matplotlib.figure.Figure``; :func:`save_figure` writes one
atomically as PNG.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("common", "data", "promoter", "landmark", "attention", "motifs", "sweep")


def _exports() -> dict[str, str]:
    table: dict[str, str] = {}
    for sub in _SUBMODULES:
        try:
            module = importlib.import_module(f"gexnb.plot.{sub}")
        except ModuleNotFoundError as exc:
            if exc.name != f"gexnb.plot.{sub}":
                raise
            continue
        for name in getattr(module, "__all__", ()):
            table[name] = sub
    return table


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"gexnb.plot.{name}")
    table = _exports()
    if name in table:
        return getattr(importlib.import_module(f"gexnb.plot.{table[name]}"), name)
    raise AttributeError(f"module 'gexnb.plot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*_SUBMODULES, *_exports()])

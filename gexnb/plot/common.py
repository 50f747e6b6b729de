"""Figure helpers shared by every plotting submodule."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib

if not os.environ.get("MPLBACKEND") and not os.environ.get("JPY_PARENT_PID"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from gexnb.io import atomic_path  # noqa: E402

__all__ = ["save_figure", "new_figure"]


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 5.0, height: float = 4.0) -> Any:
    """Return ``(figure, axes)`` in the gexnb style (seaborn ``ticks`` theme)."""
    sns.set_theme(style="ticks", context="notebook")
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)


def save_figure(figure: Any, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Save ``figure`` as PNG atomically (temporary name, then rename) and return the path."""
    target = Path(path)
    with atomic_path(target) as tmp:
        figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return target

"""Sequence logos of the motifs of :func:`gexnb.explain.discover_motifs` (logomaker)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError
from gexnb.plot.common import new_figure

__all__ = ["motif_logos", "information_content"]

_KINDS = ("contribution", "information")


def information_content(ppm: np.ndarray, *, pseudocount: float = 1e-3) -> np.ndarray:
    """Letter heights of an information-content logo: ``p * (2 - H)`` per column (bits).

    Parameters
    ----------
    ppm
        Position probability matrix ``(width, 4)``; each row is renormalized after adding
        ``pseudocount``.
    pseudocount
        Added to every probability, so that a zero does not make the entropy undefined.

    Returns
    -------
    numpy.ndarray
        ``(width, 4)`` letter heights in bits (each row sums to at most 2).

    Raises
    ------
    InputError
        ``ppm`` is not ``(width, 4)`` or holds NaN or infinite values.
    """
    p = np.asarray(ppm, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 4:
        raise InputError(f"ppm must be a (width, 4) matrix (A, C, G, T), got shape {p.shape}")
    if not np.isfinite(p).all():
        row = int(np.nonzero(~np.isfinite(p).all(axis=1))[0][0])
        raise InputError(f"ppm holds NaN or infinite values (first at position {row})")
    if (p < 0).any():  # probabilities or counts: a negative one gave 0 or NaN bits
        row = int(np.nonzero((p < 0).any(axis=1))[0][0])
        raise InputError(f"ppm holds negative values (first at position {row}); it holds "
                         "probabilities or counts")  # fmt: skip
    p = p + pseudocount
    p = p / p.sum(axis=1, keepdims=True)
    entropy = -(p * np.log2(p)).sum(axis=1, keepdims=True)
    return p * (2.0 - entropy)


def motif_logos(
    motifs: Sequence[Any],
    *,
    kinds: Sequence[str] = _KINDS,
    max_motifs: int = 6,
    trim: bool = True,
) -> Any:
    """One row per motif: its contribution logo and its information-content logo.

    Parameters
    ----------
    motifs
        :class:`gexnb.explain.Motif` objects (the first ``max_motifs`` are drawn).
    kinds
        ``"contribution"`` (mean contribution of each base; letters below the axis lower
        the prediction) and/or ``"information"`` (bits, from the position probabilities).
    max_motifs
        Number of motifs drawn at most (the first ones of ``motifs``).
    trim
        Draw the trimmed motif (:meth:`~gexnb.explain.Motif.trimmed`), without the flanks.

    Returns
    -------
    matplotlib.figure.Figure
        One row per motif; a placeholder saying "no motif found" when ``motifs`` is empty.

    Raises
    ------
    ParameterError
        ``kinds`` empty or with another kind.
    """
    import logomaker

    kinds = list(kinds)
    bad = [k for k in kinds if k not in _KINDS]
    if bad or not kinds:
        raise ParameterError(f"kinds must be among {_KINDS}, got {kinds}")
    shown = list(motifs)[: int(max_motifs)]
    fig, axes = new_figure(len(kinds), max(1, len(shown)), width=4.5, height=1.8)
    if not shown:
        axes[0, 0].text(0.5, 0.5, "no motif found", ha="center", va="center")
        axes[0, 0].set_axis_off()
        return fig
    for row, motif in enumerate(shown):
        m = motif.trimmed() if trim else motif
        for col, kind in enumerate(kinds):
            ax = axes[row, col]
            values = m.contributions if kind == "contribution" else information_content(m.ppm)
            frame = pd.DataFrame(values, columns=list("ACGT"))
            logomaker.Logo(frame, ax=ax, color_scheme="classic")
            ax.set_xticks([])
            label = f"{m.name} ({m.n_seqlets} seqlets)"
            if kind == "contribution":
                match = f"; {m.best_match} {m.similarity:.2f}" if m.best_match else ""
                ax.set_title(label + match, fontsize=9)
                ax.set_ylabel("contribution", fontsize=8)
            else:
                ax.set_ylim(0, 2)
                ax.set_title(f"{m.consensus}", fontsize=9)
                ax.set_ylabel("bits", fontsize=8)
    fig.tight_layout()
    return fig

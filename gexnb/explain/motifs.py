"""From attributions to motifs: TF-MoDISco on a sequence model, and known-motif matching.

:func:`discover_motifs` computes hypothetical contributions of a gexnb sequence model
(:func:`gexnb.explain.hypothetical_contributions`), runs TF-MoDISco (Shrikumar et al. 2018,
"Technical note on TF-MoDISco"; the maintained ``modisco-lite`` implementation) on them and
returns the motifs it finds: position probability matrix, contribution and hypothetical
contribution matrices, number of seqlets and sign (raises or lowers the prediction).
:func:`match_motifs` compares them with known motifs (a MEME file, read with ``memelite``, or
consensus strings) with :func:`motif_similarity`.

All matrices are ``(width, 4)`` in base order A, C, G, T.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError
from gexnb.explain.attributions import (
    ACGT,
    _require_sequence_model,
    hypothetical_contributions,
    sequence_one_hot,
)

__all__ = [
    "Motif",
    "MotifResult",
    "discover_motifs",
    "match_motifs",
    "motif_similarity",
    "read_meme_motifs",
    "consensus_matrix",
    "MODISCO_DEFAULTS",
    "MATCH_SIMILARITY",
]

log = logging.getLogger(__name__)

#: TF-MoDISco settings of :func:`discover_motifs` (gexnb's choices for promoter-length
#: sequences and a few hundred to a few thousand of them; modisco-lite's own defaults are
#: sized for genome-wide ChIP data: 21-bp windows, 100 seqlets per metacluster, 500
#: neighbours). Any key can be overridden through ``modisco_options``.
MODISCO_DEFAULTS: dict[str, Any] = {
    "sliding_window_size": 15,
    "flank_size": 5,
    "min_metacluster_size": 20,
    "final_min_cluster_size": 20,
    "max_seqlets_per_metacluster": 2000,
    "target_seqlet_fdr": 0.05,
    "nearest_neighbors_to_compute": 100,
    "trim_to_window_size": 15,
    "initial_flank_to_add": 5,
    "min_num_to_trim_to": 20,
    "n_leiden_runs": 10,
}


@dataclass
class Motif:
    """One motif found by TF-MoDISco.

    A TF-MoDISco pattern [1]_ as the maintained ``modisco-lite`` implementation (package
    ``modiscolite``) returns it, converted to NumPy arrays.

    Parameters
    ----------
    name, sign, ppm, contributions, hypothetical, n_seqlets, best_match, similarity
        See Attributes.

    Attributes
    ----------
    name
        ``pos_<i>`` (raises the prediction) or ``neg_<i>`` (lowers it), in TF-MoDISco's
        order (most seqlets first).
    sign
        +1 or -1.
    ppm
        Position probability matrix ``(width, 4)``, A, C, G, T.
    contributions
        Mean actual contribution per position and base (the contribution logo).
    hypothetical
        Mean hypothetical contribution per position and base.
    n_seqlets
        Number of seqlets (sequence windows) merged into the motif.
    best_match, similarity
        Best known motif (``""`` below :data:`MATCH_SIMILARITY`) and the closest known
        motif's :func:`motif_similarity` (after :func:`match_motifs`).

    References
    ----------
    .. [1] A. Shrikumar et al., "Technical note on transcription factor motif discovery from
       importance scores (TF-MoDISco)", arXiv:1811.00416 (2018).
    """

    name: str
    sign: int
    ppm: np.ndarray
    contributions: np.ndarray
    hypothetical: np.ndarray
    n_seqlets: int
    best_match: str = ""
    similarity: float = float("nan")

    @property
    def consensus(self) -> str:
        """Most likely base per position of the trimmed motif."""
        trimmed = self.trimmed()
        return "".join(ACGT[i] for i in trimmed.ppm.argmax(axis=1))

    def trimmed(self, fraction: float = 0.3) -> Motif:
        """The motif cut to the span of positions whose contribution is at least
        ``fraction`` of the largest (TF-MoDISco's patterns keep flanks around the core).

        Parameters
        ----------
        fraction
            Threshold on a position's summed absolute contribution, relative to the
            largest position's; the span runs from the first to the last position above it.

        Returns
        -------
        Motif
            A new motif with the same name, sign, seqlet count and match; the motif itself
            if every contribution is zero.
        """
        weight = np.abs(self.contributions).sum(axis=1)
        keep = (
            np.flatnonzero(weight >= fraction * weight.max())
            if weight.max() > 0
            else np.empty(0, dtype=np.intp)
        )
        if len(keep) == 0:
            return self
        start, end = int(keep[0]), int(keep[-1]) + 1
        return Motif(
            self.name,
            self.sign,
            self.ppm[start:end],
            self.contributions[start:end],
            self.hypothetical[start:end],
            self.n_seqlets,
            self.best_match,
            self.similarity,
        )


@dataclass
class MotifResult:
    """Outcome of :func:`discover_motifs`.

    Parameters
    ----------
    motifs, n_sequences, method, note, options
        See Attributes.

    Attributes
    ----------
    motifs
        The motifs found, positive ones (``pos_<i>``) first; empty when TF-MoDISco found none.
    n_sequences
        Number of sequences explained.
    method
        Attribution method (``"ism"`` or ``"gradient"``), or ``"given"`` for precomputed
        hypothetical contributions.
    note
        Why no motif was found (empty when motifs were found).
    options
        TF-MoDISco settings used: :data:`MODISCO_DEFAULTS` with the ``modisco_options``
        overrides.
    """

    motifs: list[Motif]
    n_sequences: int
    method: str
    note: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per motif: ``motif, sign, consensus, n_seqlets, best_match, similarity``.

        Returns
        -------
        pandas.DataFrame
            One row per motif in :attr:`motifs` order; ``consensus`` is that of the trimmed
            motif.
        """
        columns = ["motif", "sign", "consensus", "n_seqlets", "best_match", "similarity"]
        rows = [
            [m.name, m.sign, m.consensus, m.n_seqlets, m.best_match, m.similarity]
            for m in self.motifs
        ]
        return pd.DataFrame(rows, columns=columns)


def consensus_matrix(sequence: str) -> np.ndarray:
    """One-hot ``(width, 4)`` matrix (A, C, G, T) of a consensus string (N: 0.25 each).

    Parameters
    ----------
    sequence
        Consensus of A, C, G, T and N (case-insensitive).

    Returns
    -------
    numpy.ndarray
        float64 ``(len(sequence), 4)``.

    Raises
    ------
    InputError
        If ``sequence`` is empty or holds another letter.
    """
    text = str(sequence).upper()
    bad = set(text) - set("ACGTN")
    if not text or bad:
        raise InputError(f"motif {sequence!r}: only A, C, G, T, N are allowed")
    out = np.zeros((len(text), 4), dtype=np.float64)
    for i, base in enumerate(text):
        if base == "N":
            out[i] = 0.25
        else:
            out[i, ACGT.index(base)] = 1.0
    return out


def _column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * b).sum(axis=1) / denom
    return np.where(denom > 0, r, 0.0)


def _check_motif(matrix: np.ndarray, what: str) -> None:
    """InputError for a ``(width, 4)`` matrix of width 0 or with NaN or infinite values."""
    if len(matrix) == 0:
        raise InputError(f"{what} is empty (0 positions)")
    if not np.isfinite(matrix).all():
        row = int(np.nonzero(~np.isfinite(matrix).all(axis=1))[0][0])
        raise InputError(f"{what} holds NaN or infinite values (first at position {row})")


#: Similarity (:func:`motif_similarity`) from which a found motif is named after a known
#: one (:func:`match_motifs`); below it ``best_match`` stays empty and ``similarity`` gives
#: the closest score (a new user's table named ``TG`` after AP-1 at 0.33). A gexnb choice.
MATCH_SIMILARITY = 0.7

#: Fewest aligned columns a motif similarity is averaged over (:func:`motif_similarity`):
#: a shorter motif's missing columns count 0, so that a 3-base core cannot match a known
#: motif perfectly (a reviewer found ``TA`` scoring 1.00 against ``TTACCCGG``). Six bases,
#: the core of most transcription-factor binding sites; a gexnb choice.
MIN_ALIGNED_COLUMNS = 6


def motif_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Similarity of two motifs: the best mean column-wise Pearson correlation.

    The shorter matrix is slid along the longer one (fully inside it), on both strands
    (the reverse complement of an A, C, G, T matrix is ``m[::-1, ::-1]``); for each
    placement the Pearson correlations of the pairs of aligned columns are summed (a column
    without variation, such as a uniform one, counts 0) and divided by the shorter width,
    or by :data:`MIN_ALIGNED_COLUMNS` (or the longer width, if less) when the shorter
    matrix is narrower: a short motif's missing columns count 0. 1 means identical base
    preferences at every aligned position, over six columns at least; a gexnb choice,
    simpler than TOMTOM's p-values and on a fixed scale.

    Parameters
    ----------
    a, b
        ``(width, 4)`` matrices (probabilities or contributions), A, C, G, T.

    Returns
    -------
    float
        In [-1, 1].

    Raises
    ------
    ParameterError
        If either is not a ``(width, 4)`` matrix.
    InputError
        If either is empty (width 0) or holds NaN or infinite values.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != 4 or b.shape[1] != 4:
        raise ParameterError(f"motifs must be (width, 4) matrices, got {a.shape} and {b.shape}")
    _check_motif(a, "motif a")
    _check_motif(b, "motif b")
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    columns = max(len(short), min(len(long_), MIN_ALIGNED_COLUMNS))
    best = -1.0
    for strand in (long_, long_[::-1, ::-1]):
        for offset in range(len(strand) - len(short) + 1):
            r = _column_correlations(short, strand[offset : offset + len(short)])
            best = max(best, float(r.sum()) / columns)
    return best


def read_meme_motifs(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Motifs of a MEME-format file as ``name -> (width, 4)`` probability matrices.

    Read with ``memelite.io.read_meme`` (the motif I/O of modisco-lite's authors). The file
    format is the MEME Suite's motif format [1]_, described at
    https://meme-suite.org/meme/doc/meme-format.html; memelite gives each matrix as
    ``(4, width)``, transposed here (also a motif 4 bases wide).

    Parameters
    ----------
    path
        Path of the MEME motif file (e.g. a JASPAR or HOCOMOCO export).

    Returns
    -------
    dict of str to numpy.ndarray
        Motif name -> float64 ``(width, 4)`` matrix, columns A, C, G, T.

    Raises
    ------
    InputError
        Missing or unreadable file, or a file without motifs; the message names it.

    References
    ----------
    .. [1] T. L. Bailey, M. Boden, F. A. Buske, M. Frith, C. E. Grant, L. Clementi, J. Ren,
       W. W. Li and W. S. Noble, "MEME SUITE: tools for motif discovery and searching",
       Nucleic Acids Research 37, W202-W208 (2009).
    """
    from memelite.io import read_meme

    p = Path(path)
    if not p.is_file():
        raise InputError("motif file not found", path=str(p))
    try:
        raw = read_meme(str(p))
    except Exception as exc:  # any parse failure: not a MEME file we can read
        raise InputError(f"not a readable MEME motif file ({exc})", path=str(p)) from exc
    motifs = {}
    for name, matrix in raw.items():
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != 4:
            raise InputError(f"motif {name!r} is not a 4-row matrix: {m.shape}", path=str(p))
        motifs[str(name)] = np.ascontiguousarray(m.T)  # memelite: (4, width), A, C, G, T
    if not motifs:
        raise InputError(
            "no MOTIF entries in the file: a MEME-format motif file is expected (JASPAR and "
            "HOCOMOCO export it; the MEME suite's jaspar2meme or transfac2meme convert others)",
            path=str(p),
        )
    return motifs


def match_motifs(motifs: list[Motif], known: Mapping[str, Any] | str | os.PathLike) -> list[Motif]:
    """Set each motif's ``best_match`` and ``similarity`` against known motifs.

    ``similarity`` is the closest known motif's score; ``best_match`` names it only from
    :data:`MATCH_SIMILARITY` on (else ``""``: no known motif is like it).

    Parameters
    ----------
    motifs
        Found motifs; each is trimmed (:meth:`Motif.trimmed`) before comparing.
    known
        ``name -> (width, 4) matrix or consensus string``, or the path of a MEME file.

    Returns
    -------
    list of Motif
        The same objects.

    Raises
    ------
    InputError
        A known motif (named) or a found one that is empty or holds NaN or infinite values.
    """
    if isinstance(known, (str, os.PathLike)):
        known = read_meme_motifs(known)
    targets = {
        str(name): consensus_matrix(m) if isinstance(m, str) else np.asarray(m, float)
        for name, m in known.items()
    }
    for name, m in targets.items():
        if m.ndim == 2 and m.shape[1] == 4:  # other shapes: motif_similarity's own error
            _check_motif(m, f"known motif {name!r}")
    for motif in motifs:
        core = motif.trimmed().ppm
        if targets and core.ndim == 2 and core.shape[1] == 4:
            _check_motif(core, f"motif {motif.name!r}")
        scores = {name: motif_similarity(core, m) for name, m in targets.items()}
        if scores:
            name = max(scores, key=lambda k: scores[k])
            matched = scores[name] >= MATCH_SIMILARITY
            motif.best_match, motif.similarity = (name if matched else ""), scores[name]
    return motifs


def _patterns(patterns: Any, sign: int) -> list[Motif]:
    out = []
    for i, pattern in enumerate(patterns or []):
        out.append(
            Motif(
                name=f"{'pos' if sign > 0 else 'neg'}_{i}",
                sign=sign,
                ppm=np.asarray(pattern.sequence, dtype=np.float64),
                contributions=np.asarray(pattern.contrib_scores, dtype=np.float64),
                hypothetical=np.asarray(pattern.hypothetical_contribs, dtype=np.float64),
                n_seqlets=len(pattern.seqlets),
            )
        )
    return out


def discover_motifs(
    model: Any,
    codes: Any,
    *,
    method: str = "ism",
    hypothetical: np.ndarray | None = None,
    known: Mapping[str, Any] | str | os.PathLike | None = None,
    batch_size: int = 1024,
    output: int = 0,
    progress: bool = False,
    modisco_options: Mapping[str, Any] | None = None,
) -> MotifResult:
    """Motifs a sequence model has learned: attributions, then TF-MoDISco, then matching.

    Runs TF-MoDISco [1]_ through ``modisco-lite`` (``modiscolite.tfmodisco.TFMoDISco``, the
    maintained implementation) with gexnb's settings :data:`MODISCO_DEFAULTS`.

    Parameters
    ----------
    model
        Any gexnb sequence model (uint8 codes in).
    codes
        uint8 codes ``(n, length)`` of the sequences to explain (e.g. validation rows).
    method
        Attribution method of :func:`gexnb.explain.hypothetical_contributions` (``"ism"`` or
        ``"gradient"``); ignored when ``hypothetical`` is given.
    hypothetical
        Precomputed hypothetical contributions ``(n, length, 4)`` (A, C, G, T).
    known
        Known motifs to match (see :func:`match_motifs`), or None.
    batch_size, output, progress
        As for :func:`gexnb.explain.hypothetical_contributions`.
    modisco_options
        Overrides of :data:`MODISCO_DEFAULTS` (any argument of modisco-lite's
        ``TFMoDISco``).

    Returns
    -------
    MotifResult
        The motifs (positive ones first) and a ``note`` when TF-MoDISco found no cluster of
        seqlets (too few sequences, or a model whose attributions carry no recurring
        pattern): then ``motifs`` is empty and the note says why.

    Raises
    ------
    ParameterError
        If ``model`` is not a Keras model taking sequence codes (when ``hypothetical`` is
        not given), or an unknown TF-MoDISco option.
    InputError
        If ``codes`` are not sequence codes, or ``hypothetical`` does not match them.

    References
    ----------
    .. [1] A. Shrikumar et al., "Technical note on transcription factor motif discovery from
       importance scores (TF-MoDISco)", arXiv:1811.00416 (2018).

    Examples
    --------
    >>> result = discover_motifs(model, codes[val_idx], known={"tata": "TATAAA"})  # doctest: +SKIP
    >>> result.table()  # doctest: +SKIP
    """
    from modiscolite.tfmodisco import TFMoDISco

    if hypothetical is None:
        _require_sequence_model(model, "discover_motifs")
    codes = np.asarray(codes)
    one_hot = sequence_one_hot(codes)
    # N and padding (variable-length promoters are left-padded) count as "any base": their
    # contribution stays zero, and a seqlet reaching into them gets a uniform column
    # instead of an all-zero one that TF-MoDISco would divide by.
    one_hot[codes >= 4] = 0.25
    source = method if hypothetical is None else "given"
    if hypothetical is None:
        hypothetical = hypothetical_contributions(
            model, codes, method=method, batch_size=batch_size, output=output, progress=progress
        )
    hypothetical = np.asarray(hypothetical, dtype=np.float32)
    if hypothetical.shape != one_hot.shape:
        raise InputError(
            f"hypothetical contributions have shape {hypothetical.shape}, the sequences "
            f"{one_hot.shape}"
        )
    unknown = sorted(set(modisco_options or {}) - set(_modisco_arguments()))
    if unknown:
        raise ParameterError(f"unknown TF-MoDISco option(s): {', '.join(unknown)}")
    options = {**MODISCO_DEFAULTS, **dict(modisco_options or {})}
    note = ""
    positive = negative = None
    if not np.any(hypothetical[codes < 4]):
        note = (
            "TF-MoDISco found nothing to cluster: every contribution is zero (the prediction "
            "does not depend on the sequence)"
        )
        log.warning("%s", note)
    else:
        try:
            positive, negative = TFMoDISco(one_hot, hypothetical, **options)
        except ValueError as exc:  # modisco-lite stops when no seqlets survive its filters
            note = f"TF-MoDISco found no cluster of seqlets ({exc})"
            log.warning("%s", note)
    motifs = _patterns(positive, +1) + _patterns(negative, -1)
    if not motifs and not note:
        note = (
            f"TF-MoDISco found no motif with at least {options['final_min_cluster_size']} "
            f"seqlets in {len(codes)} sequences"
        )
    if known is not None and motifs:
        match_motifs(motifs, known)
    return MotifResult(motifs, len(codes), source, note, options)


def _modisco_arguments() -> list[str]:
    import inspect

    from modiscolite.tfmodisco import TFMoDISco

    params = inspect.signature(TFMoDISco).parameters
    return [n for n in params if n not in ("one_hot", "hypothetical_contribs")]

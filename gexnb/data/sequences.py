"""Promoter sequences: read, validate, encode as uint8 codes, one-hot, normalise targets.

The encoding follows the DREAM Challenge 2022 team Metformin-121 (Rafi et al., *Nat Biotechnol*
2024; the seed's method description): one-hot channels in the order T, C, G, A, ``N`` as
(1, 1, 1, 1), sequences left-padded with all-zero rows to length 142, and the target divided
by twice its median. Sequences are stored as one byte per base (:data:`BASE_CODES`,
:data:`PAD_CODE`) and only turned into float one-hot inside a model (or by :func:`one_hot` for
small arrays), so the 6.7 M-row training file fits in about 1 GB instead of two 3.8 GB arrays.

Files are read by :mod:`gexnb.data.sequence_files` (a vectorised byte-level reader); its
:func:`read_sequences`, :func:`iter_sequence_chunks` and :func:`read_encoded` are available
here too.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError

__all__ = [  # noqa: F822 (the file readers come from gexnb.data.sequence_files, __getattr__)
    "BASE_CODES",
    "N_CODE",
    "check_codes",
    "PAD_CODE",
    "ONE_HOT_TABLE",
    "DEFAULT_LENGTH",
    "read_sequences",
    "iter_sequence_chunks",
    "read_encoded",
    "encode_sequences",
    "decode_sequences",
    "one_hot",
    "reverse_complement",
    "normalize_target",
    "denormalize_target",
]

#: uint8 code of each base (the seed's channel order T, C, G, A), ``N`` and padding.
BASE_CODES: dict[str, int] = {"T": 0, "C": 1, "G": 2, "A": 3, "N": 4}
N_CODE: int = 4
PAD_CODE: int = 5
#: Padded length used by the seed (the longest training sequence plus margin).
DEFAULT_LENGTH: int = 142

#: Code -> one-hot row, channels T, C, G, A (seed): N = (1, 1, 1, 1), padding = (0, 0, 0, 0).
ONE_HOT_TABLE: np.ndarray = np.array(
    [
        [1, 0, 0, 0],  # T
        [0, 1, 0, 0],  # C
        [0, 0, 1, 0],  # G
        [0, 0, 0, 1],  # A
        [1, 1, 1, 1],  # N
        [0, 0, 0, 0],  # padding
    ],
    dtype=np.float32,
)
ONE_HOT_TABLE.setflags(write=False)

_INVALID = 255
#: 256-entry byte -> code lookup table; 255 marks a byte outside ACGTN (any case).
_LUT = np.full(256, _INVALID, dtype=np.uint8)
for _base, _code in BASE_CODES.items():
    _LUT[ord(_base)] = _code
    _LUT[ord(_base.lower())] = _code
_LUT.setflags(write=False)
_LUT_BYTES = _LUT.tobytes()  # the same table for bytes.translate (a C loop, no index array)
#: code -> complementary code (T<->A, C<->G, N and padding unchanged).
_COMPLEMENT = np.array([3, 2, 1, 0, N_CODE, PAD_CODE], dtype=np.uint8)
#: code -> letter, with padding as "." (stripped by decode_sequences).
_LETTERS = np.frombuffer(b"TCGAN.", dtype=np.uint8)

_TAB, _NL, _CR = 9, 10, 13
_BLOCK_BYTES = 8 << 20


# --------------------------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------------------------


def _gather_spans(buf: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Index grid ``starts[:, None] + arange(width)`` (int32 when the buffer allows)."""
    dtype = np.int32 if len(buf) < 2**31 - width else np.int64
    return starts.astype(dtype)[:, None] + np.arange(width, dtype=dtype)[None, :]


class _BadBase(Exception):
    """Internal: position of the first invalid character (row, 0-based column, character) and
    every row with one (``rows``, increasing)."""

    def __init__(self, row: int, column: int, char: str, rows: np.ndarray):
        super().__init__(row, column, char)
        self.row, self.column, self.char, self.rows = row, column, char, rows


class _TooLong(Exception):
    """Internal: the first row longer than the length, its size, and every such row."""

    def __init__(self, row: int, size: int, rows: np.ndarray):
        super().__init__(row, size)
        self.row, self.size, self.rows = row, size, rows


def _also_in(
    rows: np.ndarray,
    labels: np.ndarray | None,
    what: str,
    *,
    checked_to: int | None = None,
    shown: int = 5,
) -> str:
    """The other offenders of an error, for its one line: ``"; also lines 8, 9 and 40 more"``.

    Parameters
    ----------
    rows
        Indices of every offending row, increasing; the first is the one the error names.
    labels
        Row labels (file line numbers), indexed by ``rows``; ``None``: the indices themselves.
    what
        Plural label word (``"lines"``, ``"sequences"``).
    checked_to
        The last line read, said when there are others (a file is checked block by block and
        the error raised at its first bad block, so later lines are not counted).
    shown
        How many other labels to list before counting the rest.

    Returns
    -------
    str
        Empty when the first row is the only one.
    """
    named = rows if labels is None else np.asarray(labels)[rows]
    others = [f"{int(label):,}" for label in named[1 : 1 + shown]]
    if not others:
        return ""
    rest = len(rows) - 1 - len(others)
    where = "" if checked_to is None else f" (file checked to line {int(checked_to):,})"
    if rest:
        return f"; also {what} {', '.join(others)} and {rest:,} more{where}"
    listed = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
    return f"; also {what[:-1] if len(others) == 1 else what} {listed}{where}"


def _encode_spans(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    length: int,
    pad: str,
    too_long: str,
) -> np.ndarray:
    """Encode the byte spans ``buf[starts[i]:ends[i]]`` into a ``(n, length)`` uint8 array.

    Vectorised gather: the whole buffer goes once through the 256-entry lookup table, then each
    output row takes the ``length`` codes that end at its span's end (left padding; the start
    for right padding) and positions outside the span become padding. With left padding a
    span longer than ``length`` therefore keeps its last ``length`` bytes (``too_long="trim"``).
    Raises :class:`_BadBase` or :class:`_TooLong` (converted to InputError by the callers, which
    know the file/line or index).
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    lengths = ends - starts
    if too_long == "error" and len(lengths):
        over = np.flatnonzero(lengths > length)
        if over.size:
            raise _TooLong(int(over[0]), int(lengths[over[0]]), over)
    # codes of the whole buffer, with `length` padding codes on both sides so every window
    # of `length` codes ending at a span's end (or starting at its start) exists
    ext = np.full(len(buf) + 2 * length, PAD_CODE, dtype=np.uint8)
    ext[length : length + len(buf)] = np.frombuffer(
        buf.tobytes().translate(_LUT_BYTES), dtype=np.uint8
    )
    windows = np.lib.stride_tricks.sliding_window_view(ext, length)
    # left padding: the window ending at the span's end; right: the one starting at its start
    out = windows[ends] if pad == "left" else windows[starts + length]
    kept = np.minimum(lengths, length)
    # positions outside the span become padding: one slice assignment per distinct length
    order = np.argsort(kept, kind="stable")
    sorted_kept = kept[order]
    bounds = np.flatnonzero(np.diff(sorted_kept)) + 1
    for group in np.split(order, bounds):
        size = int(kept[group[0]])
        if size < length:
            if pad == "left":
                out[group, : length - size] = PAD_CODE
            else:
                out[group, size:] = PAD_CODE
    bad = out == _INVALID
    if bad.any():
        row, col = divmod(int(np.argmax(bad)), length)
        pos = int(ends[row]) - length + col if pad == "left" else int(starts[row]) + col
        char = bytes(buf[pos : pos + 4]).decode("utf-8", errors="ignore")[:1]
        rows = np.flatnonzero(bad.any(axis=1))
        raise _BadBase(row, pos - int(starts[row]), char or chr(int(buf[pos])), rows)
    return out


def _check_encode_options(length: int, pad: str, too_long: str) -> None:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise ParameterError(
            f"length must be a positive integer, got {length!r} ({type(length).__name__})"
        )
    if int(length) < 1:
        raise ParameterError(f"length must be a positive integer, got {length!r}")
    if pad not in ("left", "right"):
        raise ParameterError(f"pad must be 'left' or 'right', got {pad!r}")
    if too_long not in ("error", "trim"):
        raise ParameterError(f"too_long must be 'error' or 'trim', got {too_long!r}")


def encode_sequences(
    seqs: Iterable[str],
    *,
    length: int = DEFAULT_LENGTH,
    pad: str = "left",
    too_long: str = "error",
) -> np.ndarray:
    """Encode DNA strings as uint8 codes (``T=0, C=1, G=2, A=3, N=4``, padding ``5``).

    Implements the seed's encoding (DREAM 2022, Metformin-121): each sequence, adapters
    included, becomes a row of ``length`` (142) positions, shorter sequences padded at the
    front (``pad="left"``). Vectorised: the strings are joined into one bytes buffer, mapped
    through a 256-entry lookup table (``bytes.translate``), and each row is one
    ``length``-wide window of that code buffer (a strided view indexed by the sequence ends),
    its positions before the sequence start set to padding; no loop per base or per sequence.

    Parameters
    ----------
    seqs
        Sequences over ``ACGTN`` in any case (a list, tuple, numpy array or pandas Series).
    length
        Number of positions per row.
    pad
        ``"left"`` (the seed: padding before the sequence) or ``"right"``.
    too_long
        ``"error"``: a sequence longer than ``length`` raises :class:`InputError` naming its
        index and length. ``"trim"``: keep its **last** ``length`` bases (the 3' end, which
        sits next to the promoter's transcription start; consistent with left padding, which
        aligns all sequences at their 3' end). Only the kept bases are validated.

    Returns
    -------
    numpy.ndarray
        uint8 array of shape ``(n, length)``.

    Raises
    ------
    InputError
        Invalid character (index, 1-based position and character named), an empty, missing
        (None/NaN) or non-string item, or a too-long sequence.
    ParameterError
        A ``length`` that is not a positive integer, an unknown ``pad`` or ``too_long``.
    """
    _check_encode_options(length, pad, too_long)
    if isinstance(seqs, str):
        raise ParameterError("encode_sequences expects a sequence of strings, not one string")
    items = seqs.tolist() if isinstance(seqs, (np.ndarray, pd.Series)) else list(seqs)
    if not items:
        return np.empty((0, int(length)), dtype=np.uint8)
    try:
        text = "".join(items)
        joined = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as exc:
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        ends = np.cumsum(lengths)
        row = int(np.searchsorted(ends, exc.start, side="right"))
        col = exc.start - int(ends[row] - lengths[row])
        raise InputError(
            f"sequence {row}: invalid character {text[exc.start]!r} at position {col + 1} "
            "(allowed: A, C, G, T, N in any case)"
        ) from None
    except TypeError:
        bad = next(i for i, s in enumerate(items) if not isinstance(s, str))
        missing = " (a missing value)" if items[bad] is None or items[bad] != items[bad] else ""
        raise InputError(
            f"sequence {bad} is {type(items[bad]).__name__}{missing}, not a string"
        ) from None
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    if not lengths.all():
        raise InputError(f"sequence {int(np.flatnonzero(lengths == 0)[0])} is empty")
    ends = np.cumsum(lengths)
    try:
        return _encode_spans(
            joined, ends - lengths, ends, length=int(length), pad=pad, too_long=too_long
        )
    except _BadBase as err:
        raise InputError(
            f"sequence {err.row}: invalid character {err.char!r} at position {err.column + 1} "
            "(allowed: A, C, G, T, N in any case)" + _also_in(err.rows, None, "sequences")
        ) from None
    except _TooLong as err:
        raise InputError(
            f"sequence {err.row} has {err.size} bases, longer than length={length}; "
            "to keep its last bases set too_long: trim (too_long='trim' in Python), or raise "
            "length" + _also_in(err.rows, None, "sequences")
        ) from None


def check_codes(
    codes: Any, *, what: str = "codes", ndims: tuple[int, ...] | None = None
) -> np.ndarray:
    """Check that ``codes`` is an integer array of base codes 0..5 (T, C, G, A, N, padding).

    Models one-hot their codes in the graph and would clip an out-of-range code silently,
    so every entry point that takes codes (training, prediction, explanations) checks them.

    Parameters
    ----------
    codes
        Array of codes (any shape, unless ``ndims`` is given).
    what
        Name of the array in the error message.
    ndims
        Numbers of dimensions allowed, e.g. ``(1, 2)`` for one row or a batch of rows;
        ``None``: any.

    Returns
    -------
    numpy.ndarray
        ``codes`` as an array (not copied).

    Raises
    ------
    ParameterError
        ``codes`` is not an integer array.
    InputError
        A code outside 0..5 (the message names the first one's row and position), or a number
        of dimensions not in ``ndims``.
    """
    arr = np.asarray(codes)
    if ndims is not None and arr.ndim not in ndims:
        allowed = " or ".join(f"{n}-D" for n in ndims)
        raise InputError(f"{what} must be {allowed}, got shape {arr.shape}")
    if arr.dtype.kind not in "ui":
        raise ParameterError(f"{what} must be an integer array of codes, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > PAD_CODE):
        where = np.argwhere((arr < 0) | (arr > PAD_CODE))[0]
        place = f"row {where[0]}" + (f", position {where[1] + 1}" if len(where) > 1 else "")
        raise InputError(
            f"{what}: code {arr[tuple(where)]} at {place}; codes must lie in 0..{PAD_CODE} "
            "(T, C, G, A, N, padding)"
        )
    return arr


def decode_sequences(codes: np.ndarray) -> list[str]:
    """Turn uint8 codes back into upper-case strings; padding (code 5) is dropped.

    Inverse of :func:`encode_sequences` up to case.

    Parameters
    ----------
    codes
        Integer array ``(n, length)`` (or one row ``(length,)``) of codes 0..5.

    Returns
    -------
    list of str

    Raises
    ------
    ParameterError
        ``codes`` is not an integer array.
    InputError
        A code outside 0..5, or ``codes`` neither 1-D nor 2-D.
    """
    arr = check_codes(codes, ndims=(1, 2))
    if arr.ndim == 1:
        arr = arr[None, :]
    letters = _LETTERS[arr.astype(np.intp)]
    width = letters.shape[1]
    raw = letters.tobytes().decode("ascii")
    return [raw[i * width : (i + 1) * width].replace(".", "") for i in range(letters.shape[0])]


def one_hot(codes: np.ndarray) -> np.ndarray:
    """Float32 one-hot of codes exactly as the seed: channels T, C, G, A; N = 1, 1, 1, 1.

    Padding rows are all zero. For millions of sequences keep the codes and one-hot inside
    the model (``keras.ops.take(ONE_HOT_TABLE, codes, axis=0)``) instead.

    Parameters
    ----------
    codes
        Integer array of codes 0..5, any shape.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``codes.shape + (4,)``.
    """
    arr = check_codes(codes)
    return ONE_HOT_TABLE[arr.astype(np.intp)]


def reverse_complement(codes: np.ndarray, *, pad: str = "left") -> np.ndarray:
    """Reverse complement of encoded sequences (T<->A, C<->G, N stays N).

    Padding stays padding and stays on the side given by ``pad`` (left, as
    :func:`encode_sequences` writes it): the bases of each row are reversed and complemented
    in place, so applying the function twice gives the input back. Used for strand
    augmentation of promoter models (e.g. DREAM 2022 top teams).

    Parameters
    ----------
    codes
        uint8 codes ``(n, length)`` or one row ``(length,)``, padded on one side.
    pad
        Side of the padding, ``"left"`` or ``"right"``; it must be the side ``codes`` are
        padded on (a row without padding, or all padding, fits either side).

    Returns
    -------
    numpy.ndarray
        uint8 array of the same shape.

    Raises
    ------
    ParameterError
        An unknown ``pad``, or ``codes`` not an integer array.
    InputError
        Codes outside 0..5, ``codes`` neither 1-D nor 2-D, or a row whose padding is not all
        on the ``pad`` side (e.g. right-padded codes with ``pad="left"``, which would
        otherwise come back as all padding); the message names the first such row.
    """
    if pad not in ("left", "right"):
        raise ParameterError(f"pad must be 'left' or 'right', got {pad!r}")
    arr = check_codes(codes, ndims=(1, 2)).astype(np.uint8, copy=False)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    width = arr.shape[1]
    is_pad = arr == PAD_CODE
    n_pad = is_pad.sum(axis=1)
    # padded on the stated side only: the first base (left) or the first padding (right) comes
    # right after (before) all the padding of the row; rows of all padding or none fit both
    if width == 0:
        misplaced = np.zeros(len(arr), dtype=bool)
    elif pad == "left":
        misplaced = (np.argmin(is_pad, axis=1) != n_pad) & (n_pad < width)
    else:
        misplaced = (np.argmax(is_pad, axis=1) != width - n_pad) & (n_pad > 0)
    if misplaced.any():
        row = int(np.argmax(misplaced))
        _refuse_padding(is_pad[row], row, pad)
    comp = _COMPLEMENT[arr][:, ::-1]
    j = np.arange(width)[None, :]
    if pad == "left":
        # after reversal the padding sits on the right: shift each row right by its pad count
        src = np.clip(j - n_pad[:, None], 0, width - 1)
        out = np.take_along_axis(comp, src, axis=1)
        out[j < n_pad[:, None]] = PAD_CODE
    else:
        src = np.clip(j + n_pad[:, None], 0, width - 1)
        out = np.take_along_axis(comp, src, axis=1)
        out[j >= (width - n_pad)[:, None]] = PAD_CODE
    return out[0] if single else out


def _refuse_padding(is_pad: np.ndarray, row: int, pad: str) -> None:
    """Raise InputError for ``row`` of codes (its padding mask ``is_pad``), padded off ``pad``."""
    other, end, edge = ("right", "ends", -1) if pad == "left" else ("left", "starts", 0)
    if is_pad[edge]:
        raise InputError(
            f"codes are padded on the {other} (row {row} {end} with padding) but pad={pad!r}; "
            f"encode with pad={pad!r} or pass pad={other!r}"
        )
    # the first padding after a base (left) or the last one before a base (right)
    if pad == "left":
        inner = np.flatnonzero(is_pad[1:] > is_pad[:-1]) + 1
    else:
        inner = np.flatnonzero(is_pad[:-1] > is_pad[1:])
    raise InputError(
        f"codes: row {row} has padding between bases (position {int(inner[0]) + 1}); padding "
        f"must all be on the {pad} (pad={pad!r})"
    )


# --------------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------------

_METHODS = ("half_median", "zscore", "log", "none")
#: The statistics each normalisation keeps in its ``stats``.
_STATS_KEYS: dict[str, tuple[str, ...]] = {
    "half_median": ("median",),
    "zscore": ("mean", "sd"),
    "log": (),
    "none": (),
}
#: Share of the values ``half_median`` may map outside 0..1 (below 0 or above 2 x median, out
#: of a sigmoid output's reach) before it warns; notebook 02 refuses such training data
#: (:data:`gexnb.pipelines.promoter.HALF_MEDIAN_TOLERANCE`).
_HALF_MEDIAN_TOLERANCE = 0.01


def _target_values(y: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must be numbers: {exc}") from None


def _check_stats(stats: Any) -> str:
    """The method of normalisation statistics, after checking they hold what it needs."""
    if not isinstance(stats, Mapping):
        raise ParameterError(
            f"stats must be the dict returned by normalize_target, got {type(stats).__name__}"
        )
    method = stats.get("method")
    if isinstance(method, np.ndarray) and method.ndim == 0:  # stats saved with np.savez
        method = method.item()
    if not isinstance(method, str) or method not in _METHODS:
        raise ParameterError(f"unknown normalisation method in stats: {method!r}")
    for key in _STATS_KEYS[method]:
        if key not in stats:
            raise ParameterError(
                f"stats of method {method!r} lack the key {key!r} (use the stats returned by "
                "normalize_target)"
            )
        value = stats[key]
        if isinstance(value, np.ndarray) and value.ndim == 0:  # stats saved with numpy
            value = value[()]
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, bool
        )
        if not ok or not np.isfinite(value) or (key in ("median", "sd") and value <= 0):
            need = "a positive number" if key in ("median", "sd") else "a finite number"
            raise ParameterError(
                f"stats[{key!r}] of method {method!r} must be {need}, got {value!r}"
            )
    return str(method)


def _half_median(values: np.ndarray) -> dict[str, Any]:
    """Statistics of ``half_median``: refuse a median <= 0, warn on values out of 0..1."""
    median = float(np.median(values))
    span = f"the targets range {values.min():.3g} to {values.max():.3g}"
    if median <= 0:
        why = "reverses their order" if median < 0 else "is undefined"
        raise InputError(
            f"half_median normalisation needs targets with a positive median, got median "
            f"{median:.3g} ({span}; y / (2 median) {why}); use method='zscore'"
        )
    outside = float(np.mean((values < 0) | (values > 2 * median)))
    if outside > _HALF_MEDIAN_TOLERANCE:
        warnings.warn(
            f"half_median normalisation maps {outside:.0%} of the targets outside 0..1 (below 0 "
            f"or above 2 x median {median:.3g}; {span}), out of a sigmoid output's reach; "
            "method='zscore' suits data on any scale",
            stacklevel=3,
        )
    return {"method": "half_median", "median": median}


def normalize_target(
    y: Sequence[float] | np.ndarray,
    *,
    method: str = "half_median",
    stats: dict[str, Any] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Normalise expression targets; statistics come from ``y`` or are reused from ``stats``.

    Methods: ``"half_median"`` is the seed's ``y / (2 * median(y))`` (DREAM 2022,
    Metformin-121; it maps the 0-17 training scale to about 0-0.8 for a sigmoid output);
    ``"zscore"`` is ``(y - mean) / sd``; ``"log"`` is ``log1p(y)`` (requires y > -1);
    ``"none"`` is the identity. Compute the statistics on the training split and pass the
    returned ``stats`` for the validation/test splits.

    Parameters
    ----------
    y
        Targets.
    method
        One of ``half_median``, ``zscore``, ``log``, ``none``; ignored when ``stats`` is given
        (``stats["method"]`` is used).
    stats
        Statistics returned by an earlier call.

    Returns
    -------
    y_norm : numpy.ndarray
        float32 normalised targets.
    stats : dict
        ``{"method": ..., ...}``, JSON-serialisable, for :func:`denormalize_target`.

    Raises
    ------
    InputError
        Targets that are not numbers, NaN or infinite, empty (statistics computed from
        ``y``); ``half_median`` statistics from targets whose median is not positive (the
        order would reverse); ``log`` on targets <= -1.
    ParameterError
        An unknown ``method``; ``stats`` that are not such a dict, lack a key of their
        method, or hold a median or sd that is not a positive number.

    Warns
    -----
    UserWarning
        ``half_median`` statistics from targets more than 1 % of which fall outside 0..1
        once normalised (below 0 or above 2 x median), out of a sigmoid output's reach.
    """
    values = _target_values(y, "targets")
    if not np.isfinite(values).all():
        raise InputError("targets contain NaN or infinite values")
    if stats is None:
        if method not in _METHODS:
            raise ParameterError(f"method must be one of {_METHODS}, got {method!r}")
        if values.size == 0:
            raise InputError("cannot compute normalisation statistics from an empty target")
        if method == "half_median":
            stats = _half_median(values)
        elif method == "zscore":
            sd = float(values.std())
            stats = {"method": method, "mean": float(values.mean()), "sd": sd if sd > 0 else 1.0}
        else:
            stats = {"method": method}
    method = _check_stats(stats)  # the given stats' own method
    if method == "half_median":
        out = values / (2.0 * stats["median"])
    elif method == "zscore":
        out = (values - stats["mean"]) / stats["sd"]
    elif method == "log":
        if values.size and values.min() <= -1:
            raise InputError("log normalisation needs targets > -1 (log1p)")
        out = np.log1p(values)
    else:
        out = values
    return out.astype(np.float32), dict(stats)


def denormalize_target(y_norm: Sequence[float] | np.ndarray, stats: dict[str, Any]) -> np.ndarray:
    """Invert :func:`normalize_target` with its ``stats``; returns float64 on the original scale.

    Parameters
    ----------
    y_norm
        Normalised values (e.g. model predictions).
    stats
        The statistics returned by :func:`normalize_target`.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    InputError
        ``y_norm`` not numbers.
    ParameterError
        ``stats`` that are not such a dict, name an unknown method, lack a key of their
        method, or hold a median or sd that is not a positive number.
    """
    values = _target_values(y_norm, "normalised targets")
    method = _check_stats(stats)
    if method == "half_median":
        return values * (2.0 * stats["median"])
    if method == "zscore":
        return values * stats["sd"] + stats["mean"]
    if method == "log":
        return np.expm1(values)
    return values


_FILE_READERS = ("read_sequences", "iter_sequence_chunks", "read_encoded")


def __getattr__(name: str) -> Any:
    # The file readers live in gexnb.data.sequence_files (which imports this module).
    if name in _FILE_READERS:
        from gexnb.data import sequence_files

        return getattr(sequence_files, name)
    raise AttributeError(f"module 'gexnb.data.sequences' has no attribute {name!r}")

"""Promoter sequences: read, validate, encode as uint8 codes, one-hot, normalise targets.

The encoding follows the DREAM Challenge 2022 team Metformin-121 (Rafi et al., *Nat Biotechnol*
2024; the seed's method description): one-hot channels in the order T, C, G, A, ``N`` as
(1, 1, 1, 1), sequences left-padded with all-zero rows to length 142, and the target divided
by twice its median. Sequences are stored as one byte per base (:data:`BASE_CODES`,
:data:`PAD_CODE`) and only turned into float one-hot inside a model (or by :func:`one_hot` for
small arrays), so the 6.7 M-row training file fits in about 1 GB instead of two 3.8 GB arrays.

Files are parsed with a vectorised byte-level reader (numpy over blocks of complete lines):
no Python loop per base or per line on the :func:`read_encoded` path.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError

__all__ = [
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
    """Internal: position of the first invalid character (row, 0-based column, character)."""

    def __init__(self, row: int, column: int, char: str):
        super().__init__(row, column, char)
        self.row, self.column, self.char = row, column, char


class _TooLong(Exception):
    def __init__(self, row: int, size: int):
        super().__init__(row, size)
        self.row, self.size = row, size


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
            raise _TooLong(int(over[0]), int(lengths[over[0]]))
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
        raise _BadBase(row, pos - int(starts[row]), char or chr(int(buf[pos])))
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
            "(allowed: A, C, G, T, N in any case)"
        ) from None
    except _TooLong as err:
        raise InputError(
            f"sequence {err.row} has {err.size} bases, longer than length={length}; "
            "use too_long='trim' to keep its last bases or raise `length`"
        ) from None


def check_codes(codes: Any, *, what: str = "codes") -> np.ndarray:
    """Check that ``codes`` is an integer array of base codes 0..5 (T, C, G, A, N, padding).

    Models one-hot their codes in the graph and would clip an out-of-range code silently,
    so every entry point that takes codes (training, prediction, explanations) checks them.

    Parameters
    ----------
    codes
        Array of codes (any shape).
    what
        Name of the array in the error message.

    Returns
    -------
    numpy.ndarray
        ``codes`` as an array (not copied).

    Raises
    ------
    ParameterError
        ``codes`` is not an integer array.
    InputError
        A code outside 0..5; the message names the first one's row and position.
    """
    arr = np.asarray(codes)
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
    """
    arr = check_codes(codes)
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
        Side of the padding, ``"left"`` or ``"right"``.

    Returns
    -------
    numpy.ndarray
        uint8 array of the same shape.
    """
    if pad not in ("left", "right"):
        raise ParameterError(f"pad must be 'left' or 'right', got {pad!r}")
    arr = check_codes(codes).astype(np.uint8, copy=False)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    comp = _COMPLEMENT[arr][:, ::-1]
    width = arr.shape[1]
    n_pad = (arr == PAD_CODE).sum(axis=1)
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


# --------------------------------------------------------------------------------------------
# file reading
# --------------------------------------------------------------------------------------------


def _open_binary(path: Path) -> IO[bytes]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - returned to the caller, closed there
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a sequence file", path=str(path)) from None
    magic = handle.peek(2)[:2] if hasattr(handle, "peek") else b""
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


#: What a damaged gzip stream raises while it is read.
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn a damaged gzip stream into an InputError naming the file."""
    try:
        yield
    except _GZIP_ERRORS as exc:
        raise InputError(
            f"truncated or corrupt gzip file ({type(exc).__name__}: {exc})", path=str(path)
        ) from None


def _preview(text: str | bytes, limit: int = 40) -> str:
    """A short, escaped quote of user content for an error message."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    shown = repr(text[:limit])
    return shown + ("..." if len(text) > limit else "")


_SEQUENCE_FIELD = re.compile(rb"^[ACGTNacgtn]+$")


def _iter_line_blocks(
    handle: IO[bytes],
    *,
    max_lines: int | None,
    block_bytes: int = _BLOCK_BYTES,
    first_line: int = 1,
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(first_line_number, block)``; a block holds complete lines (1-based numbers)."""
    line_no = first_line
    carry = b""
    eof = False
    while not eof or carry:
        if not eof and (max_lines is None or carry.count(b"\n") < max_lines):
            data = handle.read(block_bytes)
            if not data:
                eof = True
            block = carry + data
        else:
            block = carry
        if not block:
            break
        if max_lines is None:
            last = block.rfind(b"\n")
            newlines = np.array([last] if last >= 0 else [], dtype=np.int64)
        else:
            newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == _NL)
        if max_lines is not None and len(newlines) >= max_lines:
            cut = int(newlines[max_lines - 1]) + 1
        elif len(newlines) and not eof:
            cut = int(newlines[-1]) + 1
        elif eof:
            cut = len(block)
        else:  # no newline yet: read more
            carry = block
            continue
        out, carry = block[:cut], block[cut:]
        yield line_no, out
        line_no += out.count(b"\n")
        if eof and not carry:
            break


class _Parsed:
    """Field boundaries of the non-blank lines of one block."""

    __slots__ = ("buf", "line_numbers", "starts", "ends")

    def __init__(
        self, buf: np.ndarray, line_numbers: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ):
        self.buf = buf
        self.line_numbers = line_numbers  # (n,) 1-based
        self.starts = starts  # (n, n_fields)
        self.ends = ends  # (n, n_fields)

    def __len__(self) -> int:
        return len(self.line_numbers)

    def head(self, n: int) -> _Parsed:
        """The first ``n`` lines."""
        return _Parsed(self.buf, self.line_numbers[:n], self.starts[:n], self.ends[:n])

    def field_strings(self, k: int) -> np.ndarray:
        """Field ``k`` of every line as a numpy bytes array (``S<width>``)."""
        starts, ends = self.starts[:, k], self.ends[:, k]
        widths = ends - starts
        width = max(int(widths.max()) if len(widths) else 1, 1)
        index = _gather_spans(self.buf, starts, width)
        grid = np.take(self.buf, index, mode="clip")
        grid[index >= ends[:, None]] = 0
        return grid.view(f"S{width}").ravel()


def _parse_block(block: bytes, first_line: int, n_fields: int, path: str) -> _Parsed:
    """Split a block of complete lines into fields; ragged lines raise InputError."""
    buf = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _NL)
    ends = newlines if (len(buf) and buf[-1] == _NL) else np.append(newlines, len(buf))
    starts = np.concatenate(([0], newlines[: len(ends) - 1] + 1)).astype(np.int64)
    ends = ends.astype(np.int64)
    line_numbers = first_line + np.arange(len(ends), dtype=np.int64)
    # strip a carriage return (Windows line ends)
    has_cr = ends > starts
    has_cr[has_cr] = buf[ends[has_cr] - 1] == _CR
    ends = ends - has_cr
    # drop blank lines
    keep = ends > starts
    if not keep.all():
        starts, ends, line_numbers = starts[keep], ends[keep], line_numbers[keep]
    tabs = np.flatnonzero(buf == _TAB)
    line_of_tab = np.searchsorted(starts, tabs, side="right") - 1
    counts = np.bincount(line_of_tab, minlength=len(starts))
    bad = np.flatnonzero(counts != n_fields - 1)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"expected {n_fields} tab-separated fields, found {int(counts[i]) + 1}",
            path=path,
            line=int(line_numbers[i]),
        )
    tabs = tabs.reshape(len(starts), n_fields - 1)
    field_starts = np.empty((len(starts), n_fields), dtype=np.int64)
    field_ends = np.empty((len(starts), n_fields), dtype=np.int64)
    field_starts[:, 0] = starts
    field_starts[:, 1:] = tabs + 1
    field_ends[:, :-1] = tabs
    field_ends[:, -1] = ends
    return _Parsed(buf, line_numbers, field_starts, field_ends)


class _Layout:
    """Header and column positions of a sequence file."""

    def __init__(self, path: Path, *, require_expression: bool):
        self.path = path
        with _open_binary(path) as handle, _reading(path):
            first, line_no = b"", 0
            for raw in handle:
                line_no += 1
                first = raw.rstrip(b"\r\n")
                if first.strip():
                    break
        if not first.strip():
            raise InputError("empty file: no sequence lines", path=str(path))
        if b"\x00" in first:
            raise InputError(
                f"binary content, not a text sequence file (starts {_preview(first)})",
                path=str(path),
                line=line_no,
            )
        if b"\r" in first:
            raise InputError(
                "CR-only line ends (classic Mac text): convert them, e.g. "
                f"tr '\\r' '\\n' < {path.name} > fixed.txt",
                path=str(path),
                line=line_no,
            )
        self.first_line_number = line_no
        fields = first.decode("utf-8", errors="replace").split("\t")
        self.n_fields = len(fields)
        lowered = [f.strip().lower() for f in fields]
        # A header is a line whose sequence field is not a sequence; any other first line is
        # data, checked like every other line (its expression may well be bad: an error).
        self.header = "sequence" in lowered or not _SEQUENCE_FIELD.match(
            first.split(b"\t")[0].strip()
        )
        if self.header and len(fields) == 2 and "sequence" not in lowered:
            # a two-column file with its own header names: (sequence, expression) by position
            lowered = ["sequence", "expression"]
        if self.header:
            if "sequence" not in lowered:
                raise InputError(
                    f"first line {_preview(first)} is neither a header naming a 'sequence' "
                    "column nor a sequence line",
                    path=str(path),
                    line=line_no,
                )
            self.columns = [f.strip() for f in fields]
            self.seq_col = lowered.index("sequence")
            self.expr_col = lowered.index("expression") if "expression" in lowered else None
            if self.expr_col is None and require_expression:
                raise InputError(
                    f"header {_preview(first)} has no 'expression' column",
                    path=str(path),
                    line=line_no,
                )
        else:
            if len(fields) == 1 and require_expression:
                raise InputError(
                    "expected 2 tab-separated fields (sequence, expression), found 1",
                    path=str(path),
                    line=line_no,
                )
            if len(fields) > 2:
                raise InputError(
                    f"expected 2 tab-separated fields (sequence, expression), found {len(fields)}"
                    " (files with more columns need a header naming 'sequence' and 'expression')",
                    path=str(path),
                    line=line_no,
                )
            self.columns = ["sequence", "expression"][: len(fields)]
            self.seq_col = 0
            self.expr_col = 1 if len(fields) == 2 else None

    def blocks(
        self, *, max_lines: int | None, block_bytes: int = _BLOCK_BYTES
    ) -> Iterator[_Parsed]:
        with _open_binary(self.path) as handle, _reading(self.path):
            first_data_line = self.first_line_number + (1 if self.header else 0)
            for _ in range(first_data_line - 1):  # blank lines before the header, the header
                handle.readline()
            for first_line, block in _iter_line_blocks(
                handle, max_lines=max_lines, block_bytes=block_bytes, first_line=first_data_line
            ):
                parsed = _parse_block(block, first_line, self.n_fields, str(self.path))
                if len(parsed):
                    yield parsed


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_expression(parsed: _Parsed, col: int, path: str) -> np.ndarray:
    raw = parsed.field_strings(col)
    try:
        values = raw.astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        for i, item in enumerate(raw.tolist()):
            text = item.decode("utf-8", errors="replace").strip()
            try:
                value = float(text)
            except ValueError:
                problem = "empty expression" if not text else f"non-numeric expression {text!r}"
                raise InputError(problem, path=path, line=int(parsed.line_numbers[i])) from None
            if not np.isfinite(value):
                raise InputError(
                    f"expression is {text!r}; expected a finite number",
                    path=path,
                    line=int(parsed.line_numbers[i]),
                )
    return values


def _check_empty_sequences(parsed: _Parsed, col: int, path: str) -> None:
    empty = np.flatnonzero(parsed.ends[:, col] == parsed.starts[:, col])
    if empty.size:
        raise InputError("empty sequence", path=path, line=int(parsed.line_numbers[empty[0]]))


def _encode_parsed(
    parsed: _Parsed, col: int, path: str, *, length: int, too_long: str, pad: str = "left"
) -> np.ndarray:
    _check_empty_sequences(parsed, col, path)
    try:
        return _encode_spans(
            parsed.buf,
            parsed.starts[:, col],
            parsed.ends[:, col],
            length=length,
            pad=pad,
            too_long=too_long,
        )
    except _BadBase as err:
        raise InputError(
            f"invalid character {err.char!r} in the sequence at column {err.column + 1} "
            "(allowed: A, C, G, T, N in any case)",
            path=path,
            line=int(parsed.line_numbers[err.row]),
        ) from None
    except _TooLong as err:
        raise InputError(
            f"sequence of {err.size} bases is longer than length={length} "
            "(use too_long='trim' or a larger length)",
            path=path,
            line=int(parsed.line_numbers[err.row]),
        ) from None


def _frame_from_parsed(parsed: _Parsed, layout: _Layout) -> pd.DataFrame:
    path = str(layout.path)
    col = layout.seq_col
    lengths = parsed.ends[:, col] - parsed.starts[:, col]
    width = max(int(lengths.max()), 1)
    # validates (empty sequence, alphabet with line and column) and gives the upper-case text
    codes = _encode_parsed(parsed, col, path, length=width, too_long="error", pad="right")
    text = _LETTERS[codes].tobytes().decode("ascii")
    data: dict[str, Any] = {
        "sequence": [text[i * width : i * width + n] for i, n in enumerate(lengths.tolist())]
    }
    if layout.expr_col is not None:
        data["expression"] = _parse_expression(parsed, layout.expr_col, path)
    else:
        data["expression"] = np.full(len(parsed), np.nan)
    for k, name in enumerate(layout.columns):
        if k in (layout.seq_col, layout.expr_col):
            continue
        values = pd.Series(parsed.field_strings(k)).str.decode("utf-8")
        try:
            data[name] = pd.to_numeric(values)
        except (ValueError, TypeError):
            data[name] = values.astype(object)
    return pd.DataFrame(data)


def iter_sequence_chunks(
    path: str | os.PathLike[str],
    *,
    chunk_size: int = 1_000_000,
    require_expression: bool = True,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Read a sequence file in chunks of at most ``chunk_size`` rows.

    Same format and validation as :func:`read_sequences`.

    Parameters
    ----------
    path
        DREAM-style file (``sequence<TAB>expression``, with or without header, ``.gz`` too).
    chunk_size
        Maximum number of lines per chunk.
    require_expression
        If False, a file with only a sequence column is accepted (expression is NaN).

    Yields
    ------
    tuple of (int, pandas.DataFrame)
        1-based line number of the chunk's first data line and the chunk's rows.
    """
    if int(chunk_size) < 1:
        raise ParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    layout = _Layout(Path(path), require_expression=require_expression)
    for parsed in layout.blocks(max_lines=int(chunk_size)):
        yield int(parsed.line_numbers[0]), _frame_from_parsed(parsed, layout)


def read_sequences(
    path: str | os.PathLike[str], *, require_expression: bool = True
) -> pd.DataFrame:
    """Read a DREAM Challenge 2022 sequence file into a DataFrame.

    Accepted formats (Rafi et al. 2024, challenge data): ``sequence<TAB>expression`` lines with
    no header; the same with a header line (detected when the first line's second field is not
    a number, or a field is named ``sequence``); a TSV whose header names ``sequence`` and
    ``expression`` among other columns (the extra columns are kept, converted to numbers when
    they all parse). Gzip-compressed files are detected from their content. Blank lines are
    skipped; Windows line ends are accepted. Sequences are returned in upper case.

    Parameters
    ----------
    path
        The file.
    require_expression
        If False, a file with only a sequence column is accepted (expression is NaN).

    Returns
    -------
    pandas.DataFrame
        Columns ``sequence`` (str), ``expression`` (float64), then any extra columns.

    Raises
    ------
    InputError
        Empty file; a line with the wrong number of fields; an invalid base (file, line, column
        and character named); an empty sequence; an empty, non-numeric, NaN or infinite
        expression (file and line named).
    """
    layout = _Layout(Path(path), require_expression=require_expression)
    frames = [_frame_from_parsed(p, layout) for p in layout.blocks(max_lines=None)]
    if not frames:
        raise InputError("no data lines after the header", path=str(path))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with _open_binary(path) as handle, _reading(path):
        while data := handle.read(_BLOCK_BYTES):
            count += data.count(b"\n")
            last = data[-1:]
    return count + (last != b"\n")


def read_encoded(
    path: str | os.PathLike[str],
    *,
    length: int = DEFAULT_LENGTH,
    too_long: str = "error",
    block_bytes: int = _BLOCK_BYTES,
    max_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read and encode a sequence file in streaming blocks: uint8 codes and float64 targets.

    Made for the full DREAM 2022 training file (6,739,258 lines): the lines are counted
    first, the ``(n, length)`` uint8 output is preallocated, and blocks of about
    ``block_bytes`` are parsed and encoded with numpy only (no Python string per line), so
    memory is the output (about ``length`` bytes per sequence) plus a constant per block.
    Same format and validation as :func:`read_sequences`; padding and trimming as
    :func:`encode_sequences` with ``pad="left"``.

    Parameters
    ----------
    path
        DREAM-style file (``.gz`` too).
    length
        Positions per row (142 in the seed).
    too_long
        ``"error"`` or ``"trim"`` (keep the last ``length`` bases).
    block_bytes
        Bytes read per block.
    max_rows
        Read only the first ``max_rows`` data lines (``None``: all).

    Returns
    -------
    codes : numpy.ndarray
        uint8 ``(n, length)``.
    expression : numpy.ndarray
        float64 ``(n,)``, as :func:`read_sequences` reads it.
    """
    _check_encode_options(length, "left", too_long)
    if isinstance(block_bytes, bool) or not isinstance(block_bytes, (int, np.integer)):
        raise ParameterError(f"block_bytes must be a positive integer, got {block_bytes!r}")
    if block_bytes < 1:
        raise ParameterError(f"block_bytes must be a positive integer, got {block_bytes!r}")
    path = Path(path)
    layout = _Layout(path, require_expression=True)
    if max_rows is not None and (
        isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1
    ):
        raise ParameterError(f"max_rows must be a positive integer or None, got {max_rows!r}")
    capacity = _count_lines(path)
    if max_rows is not None:
        capacity = min(capacity, int(max_rows))
    codes = np.empty((capacity, int(length)), dtype=np.uint8)
    expression = np.empty(capacity, dtype=np.float64)
    n = 0
    lines_per_block = None if max_rows is None else min(int(max_rows), 1 << 16)
    for parsed in layout.blocks(max_lines=lines_per_block, block_bytes=int(block_bytes)):
        if n == capacity:
            break
        parsed = parsed.head(capacity - n)
        rows = len(parsed)
        codes[n : n + rows] = _encode_parsed(
            parsed, layout.seq_col, str(path), length=int(length), too_long=too_long
        )
        expression[n : n + rows] = _parse_expression(parsed, layout.expr_col, str(path))
        n += rows
    if n == 0:
        raise InputError("no data lines after the header", path=str(path))
    if n < capacity:  # header or blank lines: shrink in place (no copy of the codes)
        codes.resize((n, int(length)), refcheck=False)
        expression.resize(n, refcheck=False)
    return codes, expression


# --------------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------------

_METHODS = ("half_median", "zscore", "log", "none")


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
    """
    values = np.asarray(y, dtype=np.float64)
    if not np.isfinite(values).all():
        raise InputError("targets contain NaN or infinite values")
    if stats is None:
        if method not in _METHODS:
            raise ParameterError(f"method must be one of {_METHODS}, got {method!r}")
        if values.size == 0:
            raise InputError("cannot compute normalisation statistics from an empty target")
        if method == "half_median":
            median = float(np.median(values))
            if median == 0:
                raise InputError("median of the targets is 0: half_median is undefined")
            stats = {"method": method, "median": median}
        elif method == "zscore":
            sd = float(values.std())
            stats = {"method": method, "mean": float(values.mean()), "sd": sd if sd > 0 else 1.0}
        else:
            stats = {"method": method}
    method = stats.get("method")
    if method == "half_median":
        out = values / (2.0 * stats["median"])
    elif method == "zscore":
        out = (values - stats["mean"]) / stats["sd"]
    elif method == "log":
        if values.size and values.min() <= -1:
            raise InputError("log normalisation needs targets > -1 (log1p)")
        out = np.log1p(values)
    elif method == "none":
        out = values
    else:
        raise ParameterError(f"unknown normalisation method in stats: {method!r}")
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
    """
    values = np.asarray(y_norm, dtype=np.float64)
    method = stats.get("method")
    if method == "half_median":
        return values * (2.0 * stats["median"])
    if method == "zscore":
        return values * stats["sd"] + stats["mean"]
    if method == "log":
        return np.expm1(values)
    if method == "none":
        return values
    raise ParameterError(f"unknown normalisation method in stats: {method!r}")

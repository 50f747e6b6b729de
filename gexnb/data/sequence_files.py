"""Sequence files: DREAM Challenge 2022 ``sequence<TAB>expression`` files read, validated and
encoded with a vectorised byte-level reader (numpy over blocks of complete lines; no Python
loop per base or per line on the :func:`read_encoded` path). The names are re-exported by
:mod:`gexnb.data.sequences`.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import logging
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from gexnb.data.sequences import (
    _BLOCK_BYTES,
    _CR,
    _LETTERS,
    _NL,
    _TAB,
    DEFAULT_LENGTH,
    _also_in,
    _BadBase,
    _check_encode_options,
    _encode_spans,
    _gather_spans,
    _TooLong,
)
from gexnb.errors import InputError, ParameterError

__all__ = ["read_sequences", "iter_sequence_chunks", "read_encoded"]

log = logging.getLogger(__name__)

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
#: Data lines read after a header to find which column holds the sequences.
_SAMPLE_LINES = 50
#: A header field this long made of A/C/G/T/N is a sequence: the first line is data.
_MIN_SEQUENCE = 8


#: Characters of a sequence with errors (:func:`_sequence_with_errors`): the IUPAC
#: nucleotide codes, U, and the gap characters of an alignment.
_SEQUENCE_LIKE = frozenset("ACGTUNRYSWKMBDHV-.")


def _sequence_with_errors(field: str) -> bool:
    """A first field that is a sequence with a few other characters (an IUPAC code such as R
    or Y, an RNA sequence's U, an alignment gap ``-``): at least :data:`_MIN_SEQUENCE`
    characters, every one an IUPAC code, U or a gap (:data:`_SEQUENCE_LIKE`, any case), two
    thirds of them A/C/G/T/U/N. Such a first line is data, to be refused as any later line
    with that character is, not a header whose loss would go unnoticed (found by new-user
    trials). Header words fail the first test: ``annotation`` has an O and an I,
    ``GC_content`` an underscore."""
    if len(field) < _MIN_SEQUENCE or not set(field.upper()) <= _SEQUENCE_LIKE:
        return False
    return sum(field.upper().count(base) for base in "ACGTUN") >= len(field) * 2 / 3


#: What a file that is not UTF-8 text should become (in error messages).
_SAVE_AS_UTF8 = "not UTF-8 text; save the file as UTF-8"


def _first_undecodable(data: bytes) -> int | None:
    """Offset of the first byte of ``data`` that is not valid UTF-8, or None if it decodes."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return int(exc.start)
    return None


def _bad_character(buf: np.ndarray, pos: int) -> str:
    """``invalid character 'X'`` for the character starting at byte ``pos`` of ``buf``, or
    ``invalid byte 0xe9 (not UTF-8 text)`` when no UTF-8 character starts there."""
    data = bytes(buf[pos : pos + 4])
    for size in range(1, len(data) + 1):
        try:
            char = data[:size].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return f"invalid character {char!r}"
    return f"invalid byte 0x{data[0]:02x} (not UTF-8 text)"


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

    __slots__ = ("buf", "line_numbers", "starts", "ends", "quoted")

    def __init__(
        self,
        buf: np.ndarray,
        line_numbers: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        quoted: np.ndarray,
    ):
        self.buf = buf
        self.line_numbers = line_numbers  # (n,) 1-based
        self.starts = starts  # (n, n_fields), after an opening quote
        self.ends = ends  # (n, n_fields), before a closing quote
        # (n, n_fields) bool: wrapped in double quotes on a line following RFC 4180, so a
        # doubled quote inside is one
        self.quoted = quoted

    def __len__(self) -> int:
        return len(self.line_numbers)

    def head(self, n: int) -> _Parsed:
        """The first ``n`` lines."""
        return _Parsed(
            self.buf, self.line_numbers[:n], self.starts[:n], self.ends[:n], self.quoted[:n]
        )

    def field_strings(self, k: int) -> np.ndarray:
        """Field ``k`` of every line as a numpy bytes array (``S<width>``)."""
        starts, ends = self.starts[:, k], self.ends[:, k]
        widths = ends - starts
        width = max(int(widths.max()) if len(widths) else 1, 1)
        index = _gather_spans(self.buf, starts, width)
        grid = np.take(self.buf, index, mode="clip")
        grid[index >= ends[:, None]] = 0
        return grid.view(f"S{width}").ravel()


#: Field separators a sequence file may use, found from its first line (see :class:`_Layout`).
_SEPARATORS = {_TAB: "tab", ord(","): "comma", ord(";"): "semicolon"}
_QUOTE = ord('"')


def _parse_block(
    block: bytes, first_line: int, n_fields: int, path: str, sep: int = _TAB
) -> _Parsed:
    """Split a block of complete lines into fields at ``sep``; ragged lines raise InputError.

    A field wrapped in double quotes (R's ``write.csv``/``write.table``, Excel, pandas) is
    read without them. On a line whose quotes follow RFC 4180 (each field either without
    quotes or wrapped in them, a quote inside written twice), a separator inside the quotes
    belongs to the field and a doubled quote is one quote (the last done by
    :func:`_text_field`); on any other line (a hand-written ``5" UTR``) every separator
    splits and the quotes inside a field are characters, as :func:`_split_fields` does. A
    line break inside quotes is not supported.
    """
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
    tabs = np.flatnonzero(buf == sep)
    rfc = np.zeros(len(starts), dtype=bool)  # lines whose quotes follow RFC 4180
    quotes = np.flatnonzero(buf == _QUOTE)
    if quotes.size:
        line_of_quote = np.searchsorted(starts, quotes, side="right") - 1
        rank = np.arange(len(quotes)) - np.searchsorted(line_of_quote, line_of_quote)
        # an opening quote (even rank in its line) starts a field or follows a quote (""),
        # a closing one ends a field or precedes a quote
        before = np.where(quotes > starts[line_of_quote], buf[np.maximum(quotes - 1, 0)], sep)
        after = np.where(quotes + 1 < ends[line_of_quote],
                         buf[np.minimum(quotes + 1, len(buf) - 1)], sep)  # fmt: skip
        fits = np.where(rank % 2 == 0, before, after)
        fits = (fits == sep) | (fits == _QUOTE)
        count = np.bincount(line_of_quote, minlength=len(starts))
        misfits = np.bincount(line_of_quote, weights=~fits, minlength=len(starts))
        rfc = (count > 0) & (count % 2 == 0) & (misfits == 0)
        # a separator after an odd number of such a line's quotes is inside a quoted field
        kept = quotes[rfc[line_of_quote]]
        tabs = tabs[np.searchsorted(kept, tabs) % 2 == 0]
    line_of_tab = np.searchsorted(starts, tabs, side="right") - 1
    counts = np.bincount(line_of_tab, minlength=len(starts))
    bad = np.flatnonzero(counts != n_fields - 1)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"expected {n_fields} {_SEPARATORS[sep]}-separated fields, found {int(counts[i]) + 1}",
            path=path,
            line=int(line_numbers[i]),
        )
    separators = tabs.reshape(len(starts), n_fields - 1)
    field_starts = np.empty((len(starts), n_fields), dtype=np.int64)
    field_ends = np.empty((len(starts), n_fields), dtype=np.int64)
    field_starts[:, 0] = starts
    field_starts[:, 1:] = separators + 1
    field_ends[:, :-1] = separators
    field_ends[:, -1] = ends
    quoted = field_ends - field_starts >= 2
    quoted[quoted] = (buf[field_starts[quoted]] == _QUOTE) & (buf[field_ends[quoted] - 1] == _QUOTE)
    field_starts += quoted
    field_ends -= quoted
    return _Parsed(buf, line_numbers, field_starts, field_ends, quoted & rfc[:, None])


_FORMAT = (
    "gexnb reads sequence<TAB>expression text files: one sequence and its expression per "
    "line (tab-, comma- or semicolon-separated), optionally under a header line such as "
    "'sequence<TAB>expression'"
)


def _check_format(path: Path, first: bytes, line_no: int) -> None:
    """Refuse a FASTA file (first line starts with ``>``), saying what it looks like, with an
    :class:`~gexnb.errors.InputError` naming the file and the line."""
    if first.lstrip().startswith(b">"):
        raise InputError(
            f"looks like FASTA (first line starts with '>': {_preview(first)}); {_FORMAT}. "
            "Join a FASTA file with the table of its measured values: gexnb join-fasta "
            "SEQUENCES.fa VALUES.tsv -o joined.tsv (gexnb predict reads FASTA directly)",
            path=str(path),
            line=line_no,
        )


def _separator(first: bytes) -> int:
    """The field separator of a sequence file, from its first line: a tab if there is one,
    else a semicolon (Excel's and R ``write.csv2``'s, whose numbers have decimal commas),
    else a comma (a one-column file: a tab, which it does not contain)."""
    for sep in (_TAB, ord(";"), ord(",")):
        if bytes([sep]) in first:
            return sep
    return _TAB


def _unquote(field: str, *, rfc: bool = True) -> str:
    """A field without surrounding white space and double quotes (on a line following RFC
    4180, ``rfc``, a doubled quote inside them read as one)."""
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"') if rfc else field[1:-1]
    return field


def _follows_rfc4180(line: str, sep: str) -> bool:
    """Whether the quotes of ``line`` follow RFC 4180, as :func:`_parse_block` decides: an
    even number, each opening one at a field's start or after a quote, each closing one at
    a field's end or before a quote."""
    at = [i for i, char in enumerate(line) if char == '"']
    if not at or len(at) % 2:
        return False
    for rank, i in enumerate(at):
        near = (line[i - 1] if i > 0 else sep) if rank % 2 == 0 else (
            line[i + 1] if i + 1 < len(line) else sep
        )  # fmt: skip
        if near not in (sep, '"'):
            return False
    return True


def _split_fields(line: str, sep: int) -> list[str]:
    """The unquoted fields of one line, split as :func:`_parse_block` splits them: at
    ``sep`` outside double quotes on a line following RFC 4180, else at every ``sep``."""
    if not _follows_rfc4180(line, chr(sep)):
        return [_unquote(f, rfc=False) for f in line.split(chr(sep))]
    fields, start, inside = [], 0, False
    for i, char in enumerate(line):
        if char == '"':
            inside = not inside
        elif char == chr(sep) and not inside:
            fields.append(line[start:i])
            start = i + 1
    fields.append(line[start:])
    return [_unquote(f) for f in fields]


#: Header names of a column of row identifiers, never taken as the expression column.
_IDENTIFIER_COLUMNS = frozenset(
    {"id", "name", "index", "row", "rowname", "rownames", "seq_id", "sequence_id"}
)
#: Columns of a sequence file, beside its sequences, that describe them rather than measure
#: them: never taken for the expression column of a header that does not name one.
_ANNOTATION_COLUMNS = _IDENTIFIER_COLUMNS | frozenset(
    {"element", "element_id", "oligo", "oligo_id", "barcode", "variant", "variant_id",
     "construct", "gene", "gene_id", "label", "description", "chr", "chrom", "chromosome",
     "start", "end", "stop", "pos", "position", "strand", "length", "len", "gc",
     "gc_content"}
)  # fmt: skip


class _Layout:
    """Header and column positions of a sequence file."""

    def __init__(self, path: Path, *, require_expression: bool, expression_column: str = ""):
        self.path = path
        with _open_binary(path) as handle, _reading(path):
            first, line_no, comments = b"", 0, 0
            for raw in handle:  # blank lines and '#' comment lines before the header skipped
                line_no += 1
                first = raw.rstrip(b"\r\n")
                body = first.removeprefix(codecs.BOM_UTF8) if line_no == 1 else first
                if body.lstrip().startswith(b"#"):
                    header = body.lstrip()[1:].strip()
                    words = {f.strip().strip(b'"').lower() for f in re.split(rb"[\t,;]", header)}
                    if words & {b"sequence", b"seq"}:  # "#sequence<TAB>expression": the header
                        first = (codecs.BOM_UTF8 if body is not first else b"") + header
                        break
                    comments += 1
                    first = b""
                    continue
                if first.strip():
                    break
            if comments:
                log.info("%s: %d comment line(s) ('#') before the header skipped", path, comments)
            sample: list[bytes] = []  # the lines after it: which column holds sequences
            for raw in handle:
                if raw.strip():
                    sample.append(raw.rstrip(b"\r\n"))
                if len(sample) == _SAMPLE_LINES:
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
        # a UTF-8 byte order mark (Excel, Notepad) is skipped
        self.bom = line_no == 1 and first.startswith(codecs.BOM_UTF8)
        if self.bom:
            first = first[len(codecs.BOM_UTF8) :]
        _check_format(path, first, line_no)
        bad = _first_undecodable(first)
        if bad is not None:
            raise InputError(
                f"byte 0x{first[bad]:02x} at column {len(first[:bad].decode()) + 1} is "
                f"{_SAVE_AS_UTF8}",
                path=str(path),
                line=line_no,
            )
        self.first_line_number = line_no
        self.sep = _separator(first)
        sep_name = _SEPARATORS[self.sep]
        fields = _split_fields(first.decode("utf-8"), self.sep)
        self.n_fields = len(fields)
        lowered = [f.lower() for f in fields]
        # A header is a line whose sequence field is not a sequence; any other first line is
        # data, checked like every other line (its expression may well be bad: an error).
        self.header = "sequence" in lowered or not (
            _SEQUENCE_FIELD.match(fields[0].encode()) or _sequence_with_errors(fields[0])
        )
        found: list[int] = []
        if self.header and "sequence" not in lowered:
            found = self._sequence_columns(sample, len(fields))
            data_at = [k for k in found if _sequence_with_errors(fields[k])]
            if data_at:
                raise InputError(
                    f"first line {_preview(first)} holds a sequence in column {data_at[0] + 1}, "
                    "not 1: a file without a header is read as sequence, expression; give it "
                    "a header naming the 'sequence' and 'expression' columns",
                    path=str(path),
                    line=line_no,
                )
            if len(found) == 1:
                log.info(
                    "%s: header %s names no 'sequence' column; its column %r holds the sequences",
                    path,
                    _preview(first),
                    fields[found[0]] or f"column_{found[0] + 1}",
                )
                lowered[found[0]] = "sequence"
            elif len(fields) == 2 and self._first_column_sequences(sample):
                # a two-column file with its own header names: (sequence, expression), its
                # sequences with errors (an R, a U) refused line by line; not an id column
                # (a new user's id, activity table read ids as sequences: "invalid 'e'")
                lowered = ["sequence", "expression"]
        if self.header:
            if "sequence" not in lowered:
                named = ", ".join(repr(fields[k] or f"column_{k + 1}") for k in found)
                why = (
                    f"its columns {named} all hold sequences"
                    if len(found) > 1
                    else "no column of the lines after it holds sequences (A, C, G, T, N); "
                    "the values of a FASTA file's sequences? gexnb join-fasta SEQUENCES.fa "
                    "VALUES.tsv -o joined.tsv joins them"
                )
                raise InputError(
                    f"first line {_preview(first)} is neither a header naming a 'sequence' "
                    f"column nor a sequence line, and {why}; name the sequence column "
                    "'sequence'",
                    path=str(path),
                    line=line_no,
                )
            # R's write.csv names its row-name column ""
            self.columns = [f or f"column_{k + 1}" for k, f in enumerate(fields)]
            self.unnamed: set[int] = {k for k, f in enumerate(fields) if not f}
            names = [c.lower() for c in self.columns]
            repeated = sorted({c for c in self.columns if names.count(c.lower()) > 1})
            if repeated:
                raise InputError(
                    f"header {_preview(first)} names column(s) "
                    f"{', '.join(repr(c) for c in repeated)} more than once; give each column "
                    "its own name",
                    path=str(path),
                    line=line_no,
                )
            self.seq_col = lowered.index("sequence")
            self.expr_col = lowered.index("expression") if "expression" in lowered else None
            if expression_column:
                self.expr_col = self._named_column(expression_column, names, first, line_no)
            elif self.expr_col is None and require_expression:
                self.expr_col = self._measured_column(first, line_no)
        else:
            if expression_column:
                raise InputError(
                    f"expression_column is {expression_column!r}, but the file has no header "
                    f"(its first line {_preview(first)} is a sequence line): give it one, or "
                    "leave expression_column empty to read it as sequence, expression",
                    path=str(path),
                    line=line_no,
                )
            if len(fields) == 1 and require_expression:
                raise InputError(
                    f"expected 2 {sep_name}-separated fields (sequence, expression), found 1",
                    path=str(path),
                    line=line_no,
                )
            if len(fields) > 2:
                raise InputError(
                    f"expected 2 {sep_name}-separated fields (sequence, expression), found "
                    f"{len(fields)} (files with more columns need a header naming 'sequence' and "
                    "'expression')",
                    path=str(path),
                    line=line_no,
                )
            self.columns = ["sequence", "expression"][: len(fields)]
            self.unnamed = set()
            self.seq_col = 0
            self.expr_col = 1 if len(fields) == 2 else None
        # a semicolon file's decimal comma is settled by a value that can only hold one
        # (2,59): in the first lines, or in any block read (:func:`_parse_expression`)
        self.decimal_settled = False
        if self.sep == ord(";") and self.expr_col is not None:
            for line in sample if self.header else [first, *sample]:
                fields = _split_fields(line.decode("utf-8", errors="replace"), self.sep)
                if len(fields) == self.n_fields and _DECIMAL_COMMA.match(
                    fields[self.expr_col].encode()
                ):
                    self.decimal_settled = True
                    break

    def _first_column_sequences(self, lines: list[bytes]) -> bool:
        """Whether most of the two-field sample ``lines`` start with a sequence, perhaps with
        errors (:func:`_sequence_with_errors`); True without any (lines of another length
        are left to the parser's error)."""
        rows = [_split_fields(line.decode("utf-8", errors="replace"), self.sep)
                for line in lines]  # fmt: skip
        firsts = [r[0] for r in rows if len(r) == 2]
        hits = sum(bool(_SEQUENCE_FIELD.match(f.encode())) or _sequence_with_errors(f)
                   for f in firsts)  # fmt: skip
        return not firsts or hits >= len(firsts) / 2

    def _sequence_columns(self, lines: list[bytes], n_fields: int) -> list[int]:
        """The columns that hold DNA sequences in at least 90 % of the data ``lines`` with
        ``n_fields`` fields (lines of another length are left to the parser's error). ``N``,
        ``NA`` and ``NaN`` are missing values, not sequences."""
        hits = np.zeros(n_fields, dtype=int)
        counted = 0
        for line in lines:
            text = line.decode("utf-8", errors="replace")
            fields = _split_fields(text, self.sep)
            if len(fields) != n_fields:
                continue
            counted += 1
            hits += [
                bool(_SEQUENCE_FIELD.match(f.encode())) and f.upper() not in ("N", "NA", "NAN")
                for f in fields
            ]
        if not counted:
            return []
        return [k for k in range(n_fields) if hits[k] >= 0.9 * counted]

    def _named_column(self, name: str, names: list[str], first: bytes, line_no: int) -> int:
        """The column ``expression_column`` names (case ignored); refused: a name the header
        lacks, the sequence column, and a file whose column ``expression`` would then be
        another column (its name is the measured values' own)."""
        found = ", ".join(repr(c) for c in self.columns)
        if name.lower() not in names:
            raise InputError(
                f"header {_preview(first)} has no column {name!r} (expression_column); its "
                f"columns: {found}",
                path=str(self.path),
                line=line_no,
            )
        k = names.index(name.lower())
        if k == self.seq_col:
            raise InputError(
                f"expression_column {name!r} is the sequence column; name the column holding "
                f"the measured values (columns: {found})",
                path=str(self.path),
                line=line_no,
            )
        if "expression" in names and names.index("expression") != k:
            raise InputError(
                f"expression_column is {name!r}, but the header also has an 'expression' "
                "column; rename one of them",
                path=str(self.path),
                line=line_no,
            )
        log.info(
            "%s: column %r holds the expression (expression_column)", self.path, self.columns[k]
        )
        return k

    def _measured_column(self, first: bytes, line_no: int) -> int:
        """The expression column of a header with no ``expression`` column: the other column
        of two unless it names row identifiers; of more, the one that is named and not like
        row identifiers or annotations (:data:`_ANNOTATION_COLUMNS`: ``id``, ``name``,
        ``start``, ``length``, ...), logged; else an InputError naming the columns found and
        saying to rename the measured one to ``expression``."""
        other = [k for k in range(self.n_fields) if k != self.seq_col]
        # the other column of two is the measurement unless it names row ids (sequence,
        # label); among more, annotations (length, start, ...) are no candidates either
        excluded = _IDENTIFIER_COLUMNS if len(other) == 1 else _ANNOTATION_COLUMNS
        usable = [
            k for k in other if self.columns[k].lower() not in excluded and k not in self.unnamed
        ]
        found = ", ".join(repr(c) for c in self.columns)
        if len(usable) == 1:
            log.info(
                "%s: header has no 'expression' column; taking its column %r as the expression",
                self.path,
                self.columns[usable[0]],
            )
            return usable[0]
        if len(other) == 1:
            name = self.columns[other[0]]
            problem = f"and its other column {name!r} looks like row names or identifiers"
        else:
            problem = f"(columns found: {found})"
        raise InputError(
            f"header {_preview(first)} has no 'expression' column {problem}; name the "
            "column holding the measured values with expression_column (notebooks 01 and "
            "02; load_promoters), or rename it 'expression'",
            path=str(self.path),
            line=line_no,
        )

    def blocks(
        self, *, max_lines: int | None, block_bytes: int = _BLOCK_BYTES
    ) -> Iterator[_Parsed]:
        with _open_binary(self.path) as handle, _reading(self.path):
            first_data_line = self.first_line_number + (1 if self.header else 0)
            if self.bom and first_data_line == 1:
                handle.read(len(codecs.BOM_UTF8))
            for _ in range(first_data_line - 1):  # blank lines before the header, the header
                handle.readline()
            for first_line, block in _iter_line_blocks(
                handle, max_lines=max_lines, block_bytes=block_bytes, first_line=first_data_line
            ):
                parsed = _parse_block(block, first_line, self.n_fields, str(self.path), self.sep)
                if len(parsed):
                    yield parsed


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: A number that reads both as thousands (1,234) and with a decimal comma (1.234).
_THOUSANDS = re.compile(rb"^[-+]?[1-9]\d{0,2}(,\d{3})+$")
#: A number whose comma can only be a decimal comma (2,59; 0,846; 1,23456): in the same
#: column, it settles that 1,846 is 1.846.
_DECIMAL_COMMA = re.compile(rb"^[-+]?(\d*,(\d{1,2}|\d{4,})|0,\d+)([eE][-+]?\d+)?$")


#: How a missing value is written (R, pandas, Excel), for the hint of :func:`_parse_expression`.
_MISSING_MARKS = frozenset({"", "NA", "N/A", "NAN", "NULL", "NONE", "#N/A", "-", "."})


#: What a missing value's refusal adds (:func:`_parse_expression`).
_MISSING_HINT = (
    " (a missing value: a sequence is trained on or scored only with its measured value, so "
    "leave such rows out of the file)"
)


def _parse_expression(parsed: _Parsed, layout: _Layout, path: str) -> np.ndarray:
    """The expression column of ``parsed`` as float64, every bad value an InputError naming
    the line. A semicolon file's values take a decimal comma (1,5 is 1.5); one that also
    reads with a thousands separator (1,846) is refused unless a value of the file's first
    lines, of this block or of an earlier one settles it (``layout.decimal_settled``)."""
    assert layout.expr_col is not None
    raw = parsed.field_strings(layout.expr_col)
    name = layout.columns[layout.expr_col] if layout.header else "expression"
    column = "" if name.lower() == "expression" else f" (column {name!r})"  # one found or chosen
    if layout.sep == ord(";"):  # a semicolon file (Excel, R write.csv2): 1,5 is 1.5
        items = [item.strip() for item in raw.tolist()]
        if not layout.decimal_settled:  # once settled, no value of the file is ambiguous
            layout.decimal_settled = any(_DECIMAL_COMMA.match(item) for item in items)
        ambiguous = (
            [] if layout.decimal_settled
            else [i for i, item in enumerate(items) if _THOUSANDS.match(item)]
        )  # fmt: skip
        if ambiguous:
            i = ambiguous[0]
            raise InputError(
                f"expression {items[i].decode('ascii', 'replace')!r} reads as a thousands "
                "separator or as a decimal comma, and no value read so far settles which "
                "(such as 2,59): write it with a decimal point (1.846) or without the "
                f"separator (1846){column}",
                path=path,
                line=int(parsed.line_numbers[i]),
            )
        raw = np.char.replace(raw, b",", b".")
    try:
        values = raw.astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        # row by row: the line of the first bad value, and values numpy's parser refuses but
        # Python reads (a no-break space from a spreadsheet around the number)
        parsed_values = np.empty(len(raw), dtype=np.float64)
        for i, item in enumerate(raw.tolist()):
            text = item.decode("utf-8", errors="replace").strip()
            try:
                value = float(text)
            except ValueError:
                problem = "empty expression" if not text else f"non-numeric expression {text!r}"
                if text.upper() in _MISSING_MARKS:
                    problem += _MISSING_HINT
                raise InputError(
                    problem + column, path=path, line=int(parsed.line_numbers[i])
                ) from None
            if not np.isfinite(value):
                hint = _MISSING_HINT if text.upper() in _MISSING_MARKS else ""
                raise InputError(
                    f"expression is {text!r}; expected a finite number{column}{hint}",
                    path=path,
                    line=int(parsed.line_numbers[i]),
                )
            parsed_values[i] = value
        values = parsed_values
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
        # the character again from the file's bytes: err.char skips a byte that is not UTF-8
        pos = int(parsed.starts[err.row, col]) + err.column
        raise InputError(
            f"{_bad_character(parsed.buf, pos)} in the sequence at column {err.column + 1} "
            "(allowed: A, C, G, T, N in any case)"
            + _also_in(err.rows, parsed.line_numbers, "lines", checked_to=parsed.line_numbers[-1]),
            path=path,
            line=int(parsed.line_numbers[err.row]),
        ) from None
    except _TooLong as err:
        raise InputError(
            f"sequence of {err.size} bases is longer than length={length} (to keep its last "
            f"{length} bases, in the notebooks set too_long: trim, in Python too_long='trim'; "
            "or use a larger length)"
            + _also_in(err.rows, parsed.line_numbers, "lines", checked_to=parsed.line_numbers[-1]),
            path=path,
            line=int(parsed.line_numbers[err.row]),
        ) from None


def _frame_from_parsed(parsed: _Parsed, layout: _Layout, *, as_text: bool = False) -> pd.DataFrame:
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
    if as_text:
        for k, name in enumerate(layout.columns if layout.header else ()):
            if k != col:
                data[name] = _text_field(parsed, k, name, path)
        return pd.DataFrame(data)
    if layout.expr_col is not None:
        data["expression"] = _parse_expression(parsed, layout, path)
    else:
        data["expression"] = np.full(len(parsed), np.nan)
    for k, name in enumerate(layout.columns):
        if k in (layout.seq_col, layout.expr_col):
            continue
        values = _text_field(parsed, k, name, path)
        try:
            data[name] = pd.to_numeric(values)
        except (ValueError, TypeError):
            data[name] = values.astype(object)
    return pd.DataFrame(data)


def _text_field(parsed: _Parsed, k: int, name: str, path: str) -> pd.Series:
    """Column ``k`` of a parsed block as text (an error naming line and column if a field is
    not UTF-8); a doubled quote inside a quoted field is read as one (RFC 4180)."""
    raw = parsed.field_strings(k)
    try:
        text = pd.Series(raw).str.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8_field(raw, parsed, name, path) from None
    quoted = parsed.quoted[:, k]
    if quoted.any():
        text[quoted] = text[quoted].str.replace('""', '"', regex=False)
    return text


def _not_utf8_field(raw: np.ndarray, parsed: _Parsed, name: str, path: str) -> InputError:
    """The error for the first field of ``raw`` (column ``name``) that is not UTF-8."""
    for i, item in enumerate(raw.tolist()):
        bad = _first_undecodable(item)
        if bad is not None:
            return InputError(
                f"column {name!r}: byte 0x{item[bad]:02x} at character "
                f"{len(item[:bad].decode()) + 1} of the field is {_SAVE_AS_UTF8}",
                path=path,
                line=int(parsed.line_numbers[i]),
            )
    return InputError(f"column {name!r} is {_SAVE_AS_UTF8}", path=path)


def iter_sequence_chunks(
    path: str | os.PathLike[str],
    *,
    chunk_size: int = 1_000_000,
    require_expression: bool = True,
    as_text: bool = False,
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
    as_text
        Chunks of ``sequence`` (upper case) and, for a file with a header, its other columns
        under their names, in the file's order, as written (``007`` stays ``007``; the
        expression not parsed, nor named ``expression``): what ``gexnb predict`` copies
        beside its predictions.

    Yields
    ------
    tuple of (int, pandas.DataFrame)
        1-based line number of the chunk's first data line and the chunk's rows, indexed by
        their 1-based line numbers in the file (index name ``line``; blank lines skipped).

    Raises
    ------
    InputError
        As :func:`read_sequences`, also for a file with a header but no data lines (once
        the header is read).
    """
    if int(chunk_size) < 1:
        raise ParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    layout = _Layout(Path(path), require_expression=require_expression)
    empty = True
    for parsed in layout.blocks(max_lines=int(chunk_size)):
        empty = False
        frame = _frame_from_parsed(parsed, layout, as_text=as_text)
        frame.index = pd.Index(parsed.line_numbers, name="line")
        yield int(parsed.line_numbers[0]), frame
    if empty:
        raise InputError("no data lines after the header", path=str(path))


def read_sequences(
    path: str | os.PathLike[str], *, require_expression: bool = True, expression_column: str = ""
) -> pd.DataFrame:
    """Read a DREAM Challenge 2022 sequence file into a DataFrame.

    Accepted formats (Rafi et al. 2024, challenge data): ``sequence<TAB>expression`` lines with
    no header; the same with a header line (detected when the first line's first field is not
    a sequence, or a field is named ``sequence``); a TSV whose header names ``sequence`` and
    ``expression`` among other columns (the extra columns are kept, converted to numbers when
    they all parse). A header that names no ``sequence`` column has it found by content: the
    one column made of A, C, G, T and N only in at least 90 % of the first 50 data lines
    (``name,seq,log2_ratio``; logged at INFO); a two-column header without one such column is
    read as (sequence, expression); several such columns (a barcode beside the sequence) are
    refused, naming them. A header without an ``expression`` column has it found as its other
    column of two, unless it is unnamed or named like row identifiers (``id``, ``name``,
    ``index``), or among more columns as the one named and not like row identifiers or
    sequence annotations (``element``, ``start``, ``length``, ...; logged at INFO); with none
    or several such columns (DeepSTARR's ``Dev_log2_enrichment`` and ``Hk_log2_enrichment``),
    ``expression_column`` names the measured one. The separator
    is a tab, or a comma or semicolon when the first line has no tab (pandas ``to_csv``, R
    ``write.csv``, Excel); double-quoted fields are read without their quotes, a separator
    or a doubled quote inside them as a character (RFC 4180), and R's
    unnamed row-name column is kept as ``column_1``. Gzip-compressed files are detected from
    their content. A UTF-8 byte order mark and blank lines are skipped; Windows line ends
    are accepted. Sequences are returned in upper case.

    Parameters
    ----------
    path
        The file.
    require_expression
        If False, a file with only a sequence column is accepted (expression is NaN), and a
        header without an ``expression`` column keeps its other columns under their names.
    expression_column
        The header's name of the measured column (case ignored), read as ``expression``;
        ``""``: a column named ``expression``, else found as above. A file without a header,
        a name the header lacks, or a file that also has an ``expression`` column is refused.

    Returns
    -------
    pandas.DataFrame
        Columns ``sequence`` (str), ``expression`` (float64), then any extra columns.

    Raises
    ------
    InputError
        Empty file or no data lines after the header; a header naming a column twice; a line
        with the wrong number of fields; an invalid base (file, line, column and character
        named, and the other such lines of the lines read so far); bytes that are not UTF-8
        (file, line and byte named); an empty sequence; an empty, non-numeric, NaN or
        infinite expression (file and line named).
    """
    layout = _Layout(
        Path(path), require_expression=require_expression, expression_column=expression_column
    )
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
    expression_column: str = "",
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
    expression_column
        The measured column's header name, as for :func:`read_sequences`.

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
    layout = _Layout(path, require_expression=True, expression_column=expression_column)
    if max_rows is not None and (
        isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1
    ):
        raise ParameterError(f"max_rows must be a positive integer or None, got {max_rows!r}")
    capacity = _count_lines(path)
    if max_rows is not None:
        capacity = min(capacity, int(max_rows))
    codes = np.empty((capacity, int(length)), dtype=np.uint8)
    expression = np.empty(capacity, dtype=np.float64)
    n = trimmed = longest = 0
    lines_per_block = None if max_rows is None else min(int(max_rows), 1 << 16)
    for parsed in layout.blocks(max_lines=lines_per_block, block_bytes=int(block_bytes)):
        if n == capacity:
            break
        parsed = parsed.head(capacity - n)
        rows = len(parsed)
        sizes = parsed.ends[:, layout.seq_col] - parsed.starts[:, layout.seq_col]
        trimmed += int(np.count_nonzero(sizes > int(length)))
        longest = max(longest, int(sizes.max(initial=0)))
        codes[n : n + rows] = _encode_parsed(
            parsed, layout.seq_col, str(path), length=int(length), too_long=too_long
        )
        expression[n : n + rows] = _parse_expression(parsed, layout, str(path))
        n += rows
    if n == 0:
        raise InputError("no data lines after the header", path=str(path))
    if trimmed:  # too_long="trim" (else the first one was an error)
        log.warning(
            "%s: %d of %d sequences (%.1f %%) longer than length=%d lost their first bases "
            "(too_long: trim keeps the last %d; the longest had %d)",
            path, trimmed, n, 100 * trimmed / n, int(length), int(length), longest,
        )  # fmt: skip
    if n < capacity:  # header or blank lines: shrink in place (no copy of the codes)
        codes.resize((n, int(length)), refcheck=False)
        expression.resize(n, refcheck=False)
    return codes, expression

"""FASTA files: sequences read with their names, and joined with a table of measured values.

Enhancer and promoter screens are often published as a FASTA file of the sequences beside a
table of their activities (DeepSTARR, de Almeida et al., *Nat Genet* 2022:
``Sequences_Train.fa`` and ``Sequences_activity_Train.txt``, rows in the FASTA's order).
:func:`join_fasta` turns such a pair into the ``id``, ``sequence``, values table that the
sequence reader (:func:`gexnb.data.sequence_files.read_sequences`), the notebooks and
``gexnb predict`` read; ``gexnb join-fasta`` writes it. ``gexnb predict`` also reads a FASTA
file directly (:func:`read_fasta`).

The reader is gexnb's own, not a library's, so that each refusal names the file and the line
(the house style of every reader of the package).
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from gexnb.data.sequence_files import _open_binary, _preview, _reading
from gexnb.errors import InputError, ParameterError

__all__ = ["is_fasta", "iter_fasta", "read_fasta", "join_fasta"]

log = logging.getLogger(__name__)


def is_fasta(path: str | os.PathLike[str]) -> bool:
    """Whether the first line of ``path`` that is neither blank nor a ``;`` comment starts
    with ``>`` (a FASTA file).

    Parameters
    ----------
    path
        A file, gzip-compressed or not.

    Returns
    -------
    bool
        True for a FASTA file.
    """
    with _open_binary(Path(path)) as handle, _reading(Path(path)):
        for raw in handle:
            line = raw.lstrip(b"\xef\xbb\xbf").strip()
            if line and not line.startswith(b";"):  # comment lines, as iter_fasta skips
                return line.startswith(b">")
    return False


def iter_fasta(path: str | os.PathLike[str]) -> Iterator[tuple[str, str, int]]:
    """The records of a FASTA file, one at a time.

    A record is a ``>`` line, whose first word is the name, and the sequence lines below it,
    joined (wrapped FASTA too). Blank lines and ``;`` comment lines are skipped; Windows line
    ends, a UTF-8 byte order mark and gzip compression are accepted.

    Parameters
    ----------
    path
        The FASTA file.

    Yields
    ------
    name : str
        The first word after ``>`` (``""`` for a bare ``>``).
    sequence : str
        The record's sequence, in upper case.
    line : int
        The line number of its ``>`` line.

    Raises
    ------
    InputError
        Text before the first ``>`` line, a record without sequence, a character other than
        A, C, G, T or N in a sequence line (its column and record named), or bytes that are
        not UTF-8, naming the file and the line.
    """
    where = Path(path)
    name: str | None = None
    parts: list[str] = []
    start = 0
    with _open_binary(where) as handle, _reading(where):
        for line_no, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8").lstrip("\ufeff").strip()
            except UnicodeDecodeError:
                raise InputError(
                    f"bytes that are not UTF-8 text: {_preview(raw)}", path=str(where), line=line_no
                ) from None
            if not text or text.startswith(";"):
                continue
            if text.startswith(">"):
                if name is not None:
                    yield _record(name, parts, start, where)
                words = text[1:].split()
                name, parts, start = (words[0] if words else ""), [], line_no
            elif name is None:
                raise InputError(
                    f"text before the first '>' line ({_preview(text)}): not a FASTA file",
                    path=str(where),
                    line=line_no,
                )
            elif bad := _BAD_BASE.search(text):
                what = "a space" if bad.group().isspace() else repr(bad.group())
                raise InputError(
                    f"invalid base {what} at column {bad.start() + 1} of record {name!r}: "
                    "gexnb reads A, C, G, T and N, in any case",
                    path=str(where),
                    line=line_no,
                )
            else:
                parts.append(text)
    if name is not None:
        yield _record(name, parts, start, where)


#: A number of a semicolon-separated table, with a decimal comma or none (``-0,25``, ``3``).
_DECIMAL_COMMA_NUMBER = r"[-+]?\d*,?\d+(?:[eE][-+]?\d+)?"

#: A character of a sequence line that is not a base gexnb encodes (IUPAC codes, RNA's U,
#: alignment gaps, spaces, digits).
_BAD_BASE = re.compile(r"[^ACGTNacgtn]")


def _record(name: str, parts: list[str], line: int, path: Path) -> tuple[str, str, int]:
    sequence = "".join(parts).upper()
    if not sequence:
        raise InputError(f"record {name!r} has no sequence", path=str(path), line=line)
    return name, sequence, line


def read_fasta(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a FASTA file into a table of names and sequences.

    Parameters
    ----------
    path
        The FASTA file (:func:`iter_fasta`).

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` and ``sequence`` (upper case), indexed by each record's ``>`` line
        number (``line``), in the file's order.

    Raises
    ------
    InputError
        A bad record (:func:`iter_fasta`) or a file without records.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gexnb.data.fasta import read_fasta
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.fa"
    >>> _ = path.write_text(">a first\\nACGT\\nAC\\n>b\\nggcc\\n")
    >>> read_fasta(path).to_dict("list")
    {'id': ['a', 'b'], 'sequence': ['ACGTAC', 'GGCC']}
    """
    records = list(iter_fasta(path))
    if not records:
        raise InputError("no FASTA record ('>' line) in the file", path=str(path))
    names, sequences, lines = zip(*records, strict=True)
    return pd.DataFrame(
        {"id": list(names), "sequence": list(sequences)}, index=pd.Index(lines, name="line")
    )


def _read_values(path: Path) -> pd.DataFrame:
    """The table of measured values, every field as text (the sequence reader parses the
    numbers later and names the line of a bad one); tab-, semicolon- or comma-separated, by
    the header line. A header one field short of the data lines is R's ``write.table`` with
    row names (the first column kept as ``column_1``, as the sequence reader keeps it) or a
    separator at the end of every data line (the empty last field dropped); any other
    mismatch, and a column named twice, is refused."""
    with open(path, "rb") as raw_handle:  # gzip by its content, as _open_binary tells it
        packed = raw_handle.read(2) == b"\x1f\x8b"
    with _open_binary(path) as handle, _reading(path):
        first, skip = b"", 0
        for raw in handle:
            if raw.strip():
                first = raw
                break
            skip += 1
    if not first:
        raise InputError("empty table of values", path=str(path))
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    sep = next((s for s in ("\t", ";", ",") if s in text), "\t")
    header = [h.strip() for h in next(csv.reader([text], delimiter=sep))]
    try:
        with _reading(path):
            frame = pd.read_csv(
                path, sep=sep, header=None, skiprows=skip + 1, dtype=str,
                keep_default_na=False, compression="gzip" if packed else None,
                skip_blank_lines=True,
            )  # fmt: skip
    except pd.errors.EmptyDataError:
        raise InputError("no data lines after the header", path=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read as a table ({exc})", path=str(path)) from None
    if frame.shape[1] == len(header) + 1:
        if (frame.iloc[:, -1].str.strip() == "").all():  # a separator ending every line
            frame = frame.iloc[:, :-1]
        else:  # R's write.table: row names under no header field
            header = ["column_1", *header]
            log.info("%s: the header is one field short: the first column is read as "
                     "column_1 (R's row names)", path)  # fmt: skip
    if frame.shape[1] != len(header):
        raise InputError(
            f"the header has {len(header)} field(s), the data lines {frame.shape[1]}",
            path=str(path),
            line=skip + 2,
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(
            f"the header names column(s) {', '.join(map(repr, twice))} more than once",
            path=str(path),
            line=skip + 1,
        )
    frame.columns = header
    if sep == ";":  # Excel's and R write.csv2's tables: numbers with a decimal comma
        for column in frame.columns:
            text = frame[column].str.strip()
            filled = text[text != ""]
            if len(filled) and filled.str.fullmatch(_DECIMAL_COMMA_NUMBER).all():
                frame[column] = text.str.replace(",", ".", regex=False)
    return frame


def join_fasta(
    fasta_path: str | os.PathLike[str],
    values_path: str | os.PathLike[str],
    *,
    id_column: str = "",
) -> pd.DataFrame:
    """Join a FASTA file with the table of its sequences' measured values.

    The rows are matched by name when a column of the table holds the FASTA names
    (``id_column``, or the column not made of numbers holding the most of them, logged):
    every record needs its row, and rows without a record are left out (logged). When no
    such column holds a FASTA name, the
    rows are matched by order, as DeepSTARR's activity tables are (de Almeida et al. 2022),
    which needs as many rows as records (logged at WARNING: the order is not checked).

    Parameters
    ----------
    fasta_path
        The sequences (:func:`read_fasta`).
    values_path
        A table with a header line, tab-, semicolon- or comma-separated (``.gz`` too).
    id_column
        The table's column of FASTA names; ``""``: found as above.

    Returns
    -------
    pandas.DataFrame
        ``id`` (the FASTA name), ``sequence``, then the table's columns but the one of names,
        as text, in the FASTA's order; notebooks 01 and 02 read it written as TSV, with
        ``expression_column`` naming the measured column when there are several.

    Raises
    ------
    InputError
        A bad FASTA file or table; a table with a ``sequence`` or ``id`` column of its own
        (other than its column of names); duplicated names; records without a row; a table
        with as many rows as records matched by neither names nor order.
    ParameterError
        ``id_column`` is not a column of the table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gexnb.data.fasta import join_fasta
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.fa").write_text(">e1\\nACGT\\n>e2\\nTTGA\\n")
    >>> _ = (folder / "v.tsv").write_text("name\\tactivity\\ne2\\t0.5\\ne1\\t1.5\\n")
    >>> join_fasta(folder / "s.fa", folder / "v.tsv").to_dict("list")
    {'id': ['e1', 'e2'], 'sequence': ['ACGT', 'TTGA'], 'activity': ['1.5', '0.5']}
    """
    fasta_path, values_path = Path(fasta_path), Path(values_path)
    records = read_fasta(fasta_path)
    values = _read_values(values_path)
    names = records["id"].to_numpy(dtype=str)
    if id_column and id_column not in values.columns:
        raise ParameterError(
            f"id_column (gexnb join-fasta --id-column) {id_column!r} is not a column of "
            f"{values_path}; its columns: "
            f"{', '.join(map(repr, values.columns[:8]))}"
        )
    key = id_column or _name_column(values, names)
    for clash in ("sequence", "id"):
        if clash in values.columns and clash != key:
            hint = "read it as a sequence file" if clash == "sequence" else "rename it"
            raise InputError(
                f"the table has a {clash!r} column of its own: {hint}", path=str(values_path)
            )
    if key:
        if not id_column:
            log.info("%s: rows matched to the records of %s by column %r", values_path,
                     fasta_path.name, key)  # fmt: skip
        joined = _join_by_name(records, values, key, fasta_path, values_path)
    elif len(values) == len(records):
        _check_row_order(values, names, values_path)
        log.warning(
            "%s: no column holds the names of %s; its %d rows are matched to the records by "
            "order (as DeepSTARR's activity tables): check that they list the same sequences "
            "in the same order",
            values_path, fasta_path.name, len(values),
        )  # fmt: skip
        joined = pd.concat([records.reset_index(drop=True), values.reset_index(drop=True)], axis=1)
    else:
        raise InputError(
            f"{len(values):,} rows (the first line read as the header) for {len(records):,} "
            f"FASTA records, and no column holds the FASTA names (such as {str(names[0])!r}):"
            " give a column of names (--id-column) or one row per record, in the FASTA's order",
            path=str(values_path),
        )
    return joined.reset_index(drop=True)


def _ids(column: pd.Series) -> pd.Series:
    """A table column as FASTA names: spaces around them and a leading ``>`` removed."""
    return column.str.strip().str.removeprefix(">").str.strip()


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.to_numeric(column.str.strip(), errors="coerce").notna().all())


def _check_row_order(values: pd.DataFrame, names: np.ndarray, path: Path) -> None:
    """Refuse a match by order that the table itself contradicts: a column of distinct
    names none of which is a FASTA name (another naming of the same sequences), or a column
    numbering the rows 0 or 1 to n out of order (a shuffled table; a trial found both
    matched by order, most values on the wrong sequence)."""
    n = len(values)
    for column in values.columns:
        text = values[column].str.strip()
        if n < 2 or not text.is_unique:
            continue
        if not _is_numeric(values[column]):
            raise InputError(
                f"column {column!r} holds {n:,} distinct names, none of them a FASTA name (its "
                f"{text.iloc[0]!r}, the FASTA's {str(names[0])!r}): matching the rows by order "
                "would ignore them; give the column of the FASTA names (--id-column), or "
                "leave this column out",
                path=str(path),
            )
        numbers = pd.to_numeric(text)
        ranked = np.sort(numbers.to_numpy())
        for first in (0, 1):
            if np.array_equal(ranked, np.arange(first, first + n)) and not (
                numbers.is_monotonic_increasing
            ):
                raise InputError(
                    f"column {column!r} numbers the rows {first} to {first + n - 1} out of "
                    "order: the rows are not in the FASTA's order? Sort the table by it, or "
                    "give a column of the FASTA names (--id-column)",
                    path=str(path),
                )


def _name_column(values: pd.DataFrame, names: np.ndarray) -> str:
    """The column of ``values`` holding the most FASTA ``names`` among those not made of
    numbers (``""``: none holds any). A column of numbers is never taken for names, even
    when the records are named ``1``, ``2``, ... (a count column matched them and re-ordered
    the rows: a review); ``id_column`` names such a column."""
    wanted = set(names.tolist())
    hits = {
        c: int(_ids(values[c]).isin(wanted).sum())
        for c in values.columns
        if not _is_numeric(values[c])
    }
    best = max(hits, key=lambda c: hits[c], default="")
    return best if best and hits[best] else ""


def _join_by_name(
    records: pd.DataFrame, values: pd.DataFrame, key: str, fasta_path: Path, values_path: Path
) -> pd.DataFrame:
    """The records with their rows of ``values``, matched on the column ``key``."""
    for frame, column, where in ((records, "id", fasta_path), (values, key, values_path)):
        twice = _ids(frame[column])
        twice = twice[twice.duplicated()]
        if len(twice):
            raise InputError(
                f"{twice.nunique()} name(s) appear more than once ({_preview(twice.iloc[0])}"
                f"{', ...' if twice.nunique() > 1 else ''}): rows cannot be matched by name",
                path=str(where),
            )
    table = values.assign(**{key: _ids(values[key])}).set_index(key)
    missing = ~records["id"].isin(table.index)
    if missing.any():
        first = records.loc[missing]
        raise InputError(
            f"{int(missing.sum())} of {len(records):,} records have no row in {values_path.name} "
            f"(column {key!r}), the first {first['id'].iloc[0]!r}",
            path=str(fasta_path),
            line=int(first.index[0]),
        )
    extra = len(table) - len(records)
    if extra:
        log.info("%s: %d row(s) name no record of %s, left out", values_path, extra,
                 fasta_path.name)  # fmt: skip
    matched = table.loc[records["id"].to_numpy()].reset_index(drop=True)
    return pd.concat([records.reset_index(drop=True), matched], axis=1)

"""Expression-matrix readers and writer (see :mod:`gexnb.data.expression` for the formats)."""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import io
import itertools
import logging
import os
import re
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from gexnb.data.expression._common import _choice, _preview, _require_file, _require_frame
from gexnb.data.expression.defaults import DataChecks
from gexnb.errors import InputError, ParameterError
from gexnb.io import atomic_path

log = logging.getLogger(__name__)

_T = TypeVar("_T")


EXPRESSION_FORMATS: dict[str, tuple[str, ...]] = {
    "tsv": (".tsv", ".txt", ".tab"),
    "csv": (".csv",),
    "parquet": (".parquet", ".pq"),
    "hdf5": (".h5", ".hdf5", ".hdf"),
    "gct": (".gct",),
    "gctx": (".gctx",),
    "h5ad": (".h5ad",),
}


_ORIENTATIONS = ("auto", "samples_x_genes", "genes_x_samples")


_NAN_POLICIES = ("error", "drop_genes", "drop_samples", "mean")


_DUPLICATE_POLICIES = ("mean", "first", "error")


def _format_of(path: Path, format: str) -> str:
    """``format``, or the one of ``path``'s extension for ``"auto"``."""
    if format == "auto":
        return _detect_format(path)
    return _choice(format, list(EXPRESSION_FORMATS), "format")


def _detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for fmt, exts in EXPRESSION_FORMATS.items():
        if name.endswith(exts):
            return fmt
    known = ", ".join(e for exts in EXPRESSION_FORMATS.values() for e in exts)
    raise InputError(
        f"unknown expression file extension (known: {known}, text also .gz)", path=path
    )


def read_expression(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    orientation: str = DataChecks.orientation,
    nan: str = DataChecks.nan,
    duplicates: str = DataChecks.duplicates,
    genes_in_rows: Callable[[pd.Index, pd.Index], bool] | None = None,
    used_genes: Callable[[pd.Index], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Read an expression matrix as a samples x genes float DataFrame.

    Parameters
    ----------
    path
        File in one of :data:`EXPRESSION_FORMATS` (see the module docstring for each layout).
        Text files may start with a UTF-8 byte order mark; a header line without the
        format's separator but with one other (tab, comma, semicolon) sets the separator;
        decimal commas are read in files not separated by commas; a header with one field
        fewer than the rows (R's ``write.table``) leaves the row ids unnamed; comment lines
        (``#``) before the header are skipped, and so is a separator ending every line; a
        featureCounts table loses its annotation columns (:data:`FEATURECOUNTS_COLUMNS`) and
        is read genes x samples.
        A parquet file without a stored index takes its sample ids from a first column of
        text or of distinct integers; an HDF5 file may also be a pandas ``to_hdf`` frame
        (fixed format, numbers only).
    format
        ``"auto"`` (from the extension) or one of ``tsv, csv, parquet, hdf5, gct, gctx, h5ad``.
    orientation
        ``"auto"`` (the format's convention), ``"samples_x_genes"`` or ``"genes_x_samples"``
        (the file's rows are genes; the result is transposed).
    nan
        Missing values: ``"error"`` (raise, naming the genes and the count, and the samples
        with no value at all), ``"drop_genes"`` (drop genes with any NaN, logged),
        ``"drop_samples"`` (drop samples with any NaN, logged: a failed array, an empty
        column) or ``"mean"`` (impute the gene's mean, logged; a sample with no value at all
        is refused).
    duplicates
        Duplicated gene ids: ``"mean"`` (average them per sample, as D-GEX did for probes of the
        same gene), ``"first"`` (keep the first) or ``"error"``.
    genes_in_rows
        Under ``orientation="auto"``, called with the file's row and column ids once they
        are read, before any check of the sample ids: True reads the rows as genes
        (:func:`~gexnb.data.expression.rows_hold_genes`: the landmark genes are row ids).
        None: the format's convention.
    used_genes
        Under ``nan="drop_samples"``, called with the matrix's gene ids, True for those the
        caller uses (:func:`~gexnb.data.expression.list_genes`: the genes the landmark and
        target lists name): only a missing value in one of these drops a sample; a gene
        not used that has missing values is left out instead (logged). None: every gene.

    Returns
    -------
    pandas.DataFrame
        Samples x genes, ``float64``, string index and columns (spaces around ids removed).
        A file with missing values has their number in ``attrs["nan_values_read"]``. Under
        ``nan="drop_genes"``, ``attrs["dropped_for_nan"]`` lists the genes dropped (not
        those with another, kept column of the same id; under ``drop_samples`` with
        ``used_genes``, the genes not used that were left out), under ``drop_samples``
        ``attrs["samples_dropped_for_nan"]`` the samples dropped; under ``nan="mean"``,
        ``attrs["imputed_genes"]`` the genes filled and ``attrs["values_imputed"]`` the
        number of values (pipelines refuse such genes as targets). An ``.h5ad`` whose
        ``adata.raw`` has
        more genes than ``X`` sets ``attrs["h5ad_raw_genes"]`` to that number.

    Raises
    ------
    InputError
        Unknown extension, empty file, ragged row, non-numeric cell (naming the file, line, row
        id and column), NaN under ``nan="error"``, duplicated ids under ``duplicates="error"``.
    ParameterError
        Unknown option value.
    """
    _choice(nan, _NAN_POLICIES, "nan")
    _choice(duplicates, _DUPLICATE_POLICIES, "duplicates")
    path = Path(path)
    frame = _read_stored(path, format, orientation, genes_in_rows=genes_in_rows)
    frame = _apply_nan_policy(frame, nan, path, used_genes)
    return _apply_duplicates(frame, duplicates, path)  # keeps attrs["dropped_for_nan"]


def read_expression_keeping_nan(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    orientation: str = DataChecks.orientation,
    duplicates: str = DataChecks.duplicates,
    genes: Collection[str] | None = None,
    genes_in_rows: Callable[[pd.Index, pd.Index], bool] | None = None,
) -> pd.DataFrame:
    """:func:`read_expression` with the NaN values left in, for a caller that needs some of
    the genes only and handles their values itself (``gexnb predict``: a landmark model
    reads its landmark genes, whatever the other genes hold; infinite values are not refused
    here either).

    Parameters
    ----------
    path, format, orientation
        As for :func:`read_expression`.
    duplicates
        As for :func:`read_expression`; under ``"mean"`` a sample's value of a duplicated id
        is the mean of its columns measured in that sample, missing only where none is (as
        D-GEX averaged the probes of a gene).
    genes
        Only these gene ids are returned (None: all). A GCTX file read in its own
        orientation (rows are genes) has only their rows read from the disk, so that a
        landmark model's 978 genes of an L1000 file's 12,328 take a twelfth of the memory,
        and an ``.h5ad`` file read in its own orientation (``var`` are genes) only their
        columns of ``X``, before a sparse ``X`` is made dense (a single-cell file of 30,000
        genes would otherwise be densified whole), a parquet file only their columns
        (and its sample-id column) when its schema tells the sample ids
        (:func:`_parquet_plan`), an HDF5 file in gexnb's layout only their columns, and a
        plain GCT file (numbers, no quotes but around its ids) only their rows' values
        parsed; :func:`expression_gene_ids` gives the ids of these without reading the
        values. A
        plain numeric text table (tab- or comma-separated, decimal points, no quotes but
        around its ids, as R's ``write.csv`` writes them) has only the values of these
        genes' rows (when its rows are genes: ``orientation``, or ``genes_in_rows`` asked
        with the file's ids before the values are read) or columns parsed;
        :func:`expression_table_ids` gives its row and column ids. The genes not read are
        not checked: a text value among them is not an error. Any other file is read whole
        first.
    genes_in_rows
        Under ``orientation="auto"``, called with the file's row ids and column ids (spaces
        around them removed) before any check of the sample ids; when it returns True the
        rows are read as genes, whatever the format's convention (``gexnb predict``: the
        landmark genes are row ids), so that a genes x samples file whose gene ids repeat is
        read once, and not refused for duplicated sample ids. None: the format's convention.
        Asked once. A text table gives it every id before its values are parsed; a GCTX,
        ``.h5ad``, parquet or HDF5 file read for ``genes`` alone gives it the ids of the
        rows and columns read (so ``genes`` should be ids of the format's own gene axis, as
        :func:`expression_gene_ids` gives them).

    Returns
    -------
    pandas.DataFrame
        Samples x genes, ``float64``, NaN where the file has no value.

    Raises
    ------
    InputError
        As for :func:`read_expression`, but for NaN and infinite values.
    ParameterError
        Unknown option value.
    """
    _choice(duplicates, _DUPLICATE_POLICIES, "duplicates")
    path = Path(path)
    wanted = None if genes is None else {str(g).strip() for g in genes}
    frame = _read_stored(path, format, orientation, genes=wanted, genes_in_rows=genes_in_rows)
    if wanted is not None:
        frame = frame.loc[:, frame.columns.isin(wanted)]
    return _apply_duplicates(frame, duplicates, path)


def expression_gene_ids(path: str | os.PathLike, *, format: str = "auto") -> list[str] | None:
    """A GCTX or GCT file's gene (row) ids, an ``.h5ad`` file's (``var_names``), a parquet
    file's (its columns, when its schema tells the sample-id column: :func:`_parquet_plan`)
    or an HDF5 file's in gexnb's layout (dataset ``genes``), read without the values; None
    for other formats, other parquet files, other HDF5 files (pandas ``to_hdf``) and a GCT
    file whose ids hold quotes (but around them).

    Parameters
    ----------
    path
        The expression file.
    format
        As for :func:`read_expression`.

    Returns
    -------
    list of str or None
        The gene ids, spaces around them removed, in the file's order (duplicates kept).

    Raises
    ------
    InputError
        A GCTX file without row ids, a GCT file whose first lines are not GCT's, a file not
        readable.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if fmt not in ("gctx", "gct", "h5ad", "parquet", "hdf5"):
        return None
    _require_file(path)
    if fmt == "gct":
        return _read_guarded(lambda: _gct_ids(path), path, fmt)
    if fmt == "parquet":
        plan = _parquet_plan(path)
        return None if plan is None else [str(g).strip() for g in plan[0]]
    if fmt == "h5ad":
        with _backed_h5ad(path) as adata:
            return [str(i).strip() for i in adata.var_names]
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if fmt == "hdf5":
                if any(k not in h5 for k in _HDF5_NODES):
                    return None  # a pandas to_hdf frame, or a file the reader refuses
                return [i.strip() for i in _decode(h5["genes"][()])]
            if _GCTX_NODES[1] not in h5:
                raise InputError(f"not a GCTX file: missing {_GCTX_NODES[1]}", path=path)
            return [i.strip() for i in _decode(h5[_GCTX_NODES[1]][()])]
    except OSError as exc:
        raise InputError(f"not a readable HDF5 file ({exc})", path=path) from exc


def expression_table_ids(
    path: str | os.PathLike, *, format: str = "auto"
) -> tuple[list[str], list[str]] | None:
    """A plain numeric text table's row ids and column ids, read without the values: the
    ids among which :func:`read_expression_keeping_nan` can take some genes' rows or
    columns alone (a tab- or comma-separated file, ``.gz`` too, whose numbers have a decimal
    point and whose ids hold no quote but around them, as R's ``write.csv`` writes them);
    None for other files.

    Parameters
    ----------
    path
        The expression file.
    format
        As for :func:`read_expression`.

    Returns
    -------
    tuple of (list of str, list of str) or None
        The row ids (each line's first field) and the column ids (the header's fields after
        the first), quotes and spaces around them removed, in the file's order (duplicates
        kept).

    Raises
    ------
    InputError
        A file not readable as text, or whose separator is unclear.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if fmt not in ("tsv", "csv"):
        return None
    _require_file(path)

    def scan() -> tuple[list[str], list[str]] | None:
        if _is_series_matrix(path):
            return None  # its own reader reads it whole
        sep = "\t" if fmt == "tsv" else ","
        skip = _comment_lines(path, sep, quiet=True)  # the reader logs what it finds
        sep, decimal = _sniff_table(path, sep, skip, quiet=True)
        if decimal != ".":
            return None
        ids = _table_ids(path, sep, skip)
        return None if ids is None else (list(ids[0]), list(ids[1]))

    return _read_guarded(scan, path, fmt)


def _read_stored(
    path: Path,
    format: str,
    orientation: str,
    *,
    genes: set[str] | None = None,
    genes_in_rows: Callable[[pd.Index, pd.Index], bool] | None = None,
) -> pd.DataFrame:
    """The file's matrix as samples x genes, checked for shape, numbers and sample ids;
    NaN values and duplicated gene ids as stored. ``genes``: a GCTX file read in its own
    orientation has only those rows read, an ``.h5ad`` file only those columns, a parquet
    file only those columns when :func:`_parquet_plan` allows, an HDF5 file in gexnb's layout
    only those columns, a plain numeric text table only those rows or columns
    (:func:`_read_table`), a plain GCT file read in its own orientation only those rows
    (:func:`_read_gct`); other files are read whole.
    ``genes_in_rows``: as for :func:`read_expression_keeping_nan`."""
    _choice(orientation, _ORIENTATIONS, "orientation")
    fmt = _format_of(path, format)
    rows = genes if orientation in ("auto", "genes_x_samples") else None
    columns = genes if orientation in ("auto", "samples_x_genes") else None
    _require_file(path)
    if path.stat().st_size == 0:
        raise InputError("empty file", path=path)
    told = functools.partial(
        _read_table, path, genes=genes, orientation=orientation, genes_in_rows=genes_in_rows
    )
    readers = {
        "tsv": lambda: told("\t"),
        "csv": lambda: told(","),
        "parquet": lambda: _read_parquet(path, columns=columns),
        "hdf5": lambda: _read_hdf5(path, columns=columns),
        "gct": lambda: _read_gct(path, rows=rows),
        "gctx": lambda: _read_gctx(path, rows=rows),
        "h5ad": lambda: _read_h5ad(path, columns=columns),
    }
    stored, native_rows_are_genes = _read_guarded(readers[fmt], path, fmt)
    answered = stored.attrs.pop("rows_are_genes", None)  # genes_in_rows, asked by the reader
    # ``stored`` is as in the file (rows = file rows); transpose when the file's rows are genes.
    stored, featurecounts = _drop_annotation_columns(stored, path)
    native_rows_are_genes = native_rows_are_genes or featurecounts  # genes x samples, always
    frame = _check_numeric(stored, path)
    frame.attrs.pop("decimal", None)
    # spaces around an id (" TP53 ") are not part of it; ids that become equal are duplicates
    frame.index = frame.index.map(lambda v: str(v).strip())
    frame.columns = frame.columns.map(lambda v: str(v).strip())
    if orientation != "auto":
        rows_are_genes = orientation == "genes_x_samples"
    elif answered is not None:
        rows_are_genes = answered or native_rows_are_genes
    elif genes_in_rows is not None and genes_in_rows(frame.index, frame.columns):
        rows_are_genes = True
    else:
        rows_are_genes = native_rows_are_genes
    if rows_are_genes:
        frame = frame.T
    frame.index.name, frame.columns.name = "sample", "gene"
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"no data: {frame.shape[0]} samples x {frame.shape[1]} genes", path=path)
    _check_not_sequences(frame, path)
    dup_samples = frame.index.duplicated(keep=False)
    if dup_samples.any():
        names = list(dict.fromkeys(frame.index[dup_samples]))
        raise InputError(
            f"{len(names)} duplicated sample id(s): {_preview(names)} (each sample needs its "
            "own id; a matrix given genes x samples? in the notebooks set data_checks: "
            "{orientation: genes_x_samples}; in Python read_expression(..., orientation=...))",
            path=path,
        )
    return frame


_DNA = re.compile(r"^[ACGTNacgtn]{8,}$")


def _check_not_sequences(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a promoter sequence file read as a matrix (its ids would be DNA sequences)."""
    ids = [str(i) for i in frame.index[:20]]
    if ids and all(_DNA.match(i) for i in ids):
        raise InputError(
            "this looks like a sequence file (sequence<TAB>expression), not an expression "
            "matrix: its row ids are DNA sequences",
            path=path,
        )


def _read_guarded(reader: Callable[[], _T], path: Path, fmt: str) -> _T:
    """Run a format reader; damaged files become one InputError naming the file."""
    try:
        return reader()
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise _undecodable(path, fmt, exc) from None
    except gzip.BadGzipFile:
        raise InputError("not a valid gzip file (the name ends in .gz)", path=path) from None
    except (EOFError, zlib.error) as exc:
        raise InputError(f"truncated or corrupt gzip file ({exc})", path=path) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"cannot read as a {fmt} matrix ({type(exc).__name__}: {str(exc)[:120]})", path=path
        ) from None


def _undecodable(path: Path, fmt: str, exc: UnicodeDecodeError) -> InputError:
    """The error for a text matrix that is not UTF-8: the line (and field) of the first byte
    that is not, found by reading the file again as bytes.

    Parameters
    ----------
    path
        The matrix (``.gz`` too).
    fmt
        Its format, for the message.
    exc
        The decoding error (its offset is within a block of the file, not the file).

    Returns
    -------
    InputError
        Naming the file and, when the file can be read again, the line.
    """
    byte = exc.object[exc.start]
    where: tuple[int, int, int] | None = None
    try:
        opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as handle:
            data = handle.read()
        data.decode("utf-8")
    except UnicodeDecodeError as again:
        start = again.start
        line_start = data.rfind(b"\n", 0, start) + 1
        sep = b"," if fmt == "csv" else b"\t"
        where = (data.count(b"\n", 0, start) + 1, data.count(sep, line_start, start) + 1, start)
        byte = data[start]
    except (OSError, EOFError, zlib.error):
        pass
    if where is None:
        return InputError(
            f"binary or non-UTF-8 bytes (byte 0x{byte:02x} at byte {exc.start} of a block): "
            f"not a text {fmt} matrix",
            path=path,
        )
    line, column, offset = where
    error = InputError(
        f"binary or non-UTF-8 bytes (byte 0x{byte:02x} on line {line}, field {column}; byte "
        f"{offset} of the file): not a UTF-8 text {fmt} matrix (latin-1 or another encoding? "
        "save it as UTF-8)",
        path=path,
    )
    error.line = line  # named in the message, after the file (as this error always read)
    return error


def _open_text(path: Path) -> io.TextIOBase:
    """Open a text file (``.gz`` too) as UTF-8, skipping a leading byte order mark (BOM)."""
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115


def _header(path: Path, sep: str, skip: int = 0) -> list[str]:
    with _open_text(path) as handle:
        for _ in range(skip):
            handle.readline()
        line = handle.readline()
    if not line.strip():
        raise InputError("empty file (no header line)", path=path, line=skip + 1)
    return next(csv.reader([line.rstrip("\r\n")], delimiter=sep))


#: Field separators a text matrix may use, with their names for messages.
_SEPARATORS: dict[str, str] = {"\t": "tab", ",": "comma", ";": "semicolon"}

#: A number written with a decimal comma (``1,5``, ``-0,25``, ``1,5E-3``).
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$")
#: An integer written with thousands separators (``1,234``, ``12,345,678``): ambiguous.
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+$")
#: A number written with a decimal point.
_DECIMAL_POINT = re.compile(r"^[-+]?\d*\.\d+(?:[eE][-+]?\d+)?$")

#: Data lines looked at to tell the decimal mark.
_SNIFF_LINES = 50

#: First header fields that name the row-id column (so the header is not R's write.table one).
_ID_COLUMN_NAMES = frozenset(
    (
        "sample", "samples", "sample_id", "sample_name", "id", "id_ref", "gene", "genes",
        "gene_id", "gene_name", "gene_symbol", "symbol", "hugo", "name", "probe", "probe_id",
        "probeset", "probeset_id", "ensembl", "ensembl_id", "ensembl_gene_id",
    )
)  # fmt: skip


def _width(line: str, sep: str) -> int:
    """Number of fields of ``line`` split by ``sep`` outside double quotes."""
    return len(next(csv.reader([line], delimiter=sep)))


def _fits(sep: str, header: str, lines: list[str]) -> bool:
    """True when ``sep`` gives the data lines one width and the header that width (or one
    less, R's ``write.table``), with more than one field."""
    widths = {_width(line, sep) for line in lines if line.strip()}
    if len(widths) > 1:
        return False
    width = widths.pop() if widths else _width(header, sep)
    return width > 1 and _width(header, sep) in (width, width - 1)


def _sniff_table(path: Path, sep: str, skip: int = 0, *, quiet: bool = False) -> tuple[str, str]:
    """Separator and decimal mark of a text matrix, from its header line and first data lines.

    The separator of the format (``sep``) is kept when the header line holds it. A header
    without it but with exactly one other separator (tab, comma, semicolon) is read with that
    one, e.g. a European Excel export saved as ``.csv`` (``sample;GENE1``). In a file not
    separated by commas, values written with a decimal comma (``1,5``) and none with a decimal
    point in the first data lines make the comma the decimal mark.

    Parameters
    ----------
    path
        Text matrix (``.gz`` too).
    sep
        Separator of the format the file was named as.
    skip
        Comment lines before the header (:func:`_comment_lines`).
    quiet
        Log nothing (a look at the file before the reader, which logs).

    Returns
    -------
    tuple of (str, str)
        The separator and the decimal mark.

    Raises
    ------
    InputError
        The header has no ``sep`` but several other separators, so the separator is unclear.
    """
    with _open_text(path) as handle:
        for _ in range(skip):
            handle.readline()
        header = handle.readline().rstrip("\r\n")
        lines = [line.rstrip("\r\n") for line in itertools.islice(handle, _SNIFF_LINES)]
    if not _fits(sep, header, lines[:10]):
        seen = [c for c in _SEPARATORS if c != sep and _fits(c, header, lines[:10])]
        seen = seen or [c for c in _SEPARATORS if c in header and sep not in header]
        if len(seen) > 1:
            names = " and ".join(f"{_SEPARATORS[c]}s" for c in seen)
            raise InputError(
                f"the header line has no {_SEPARATORS[sep]}s but both {names}: cannot tell "
                "the field separator; save the matrix tab-separated (.tsv) or "
                "comma-separated (.csv)",
                path=path,
                line=skip + 1,
            )
        if seen and not quiet:
            log.warning(
                "%s: the header has no %ss but %ss: reading the file %s-separated",
                path,
                _SEPARATORS[sep],
                _SEPARATORS[seen[0]],
                _SEPARATORS[seen[0]],
            )
            sep = seen[0]
    decimal = "."
    if sep != "," and any("," in line for line in lines):
        values = [field.strip().strip('"') for line in lines for field in line.split(sep)[1:]]
        commas = [v for v in values if _DECIMAL_COMMA.match(v) or _THOUSANDS.match(v)]
        if commas and not any(_DECIMAL_POINT.match(v) for v in values):
            if all(_THOUSANDS.match(v) for v in commas):
                raise InputError(
                    f"values such as {commas[0]!r} may use a thousands separator or a decimal "
                    "comma: save the matrix with plain numbers (no thousands separators, a "
                    "decimal point)",
                    path=path,
                )
            if not quiet:
                log.warning("%s: values such as '1,5' use a decimal comma: reading them so", path)
            decimal = ","
    return sep, decimal


#: Lines looked at for comment lines before the header (featureCounts writes one).
_MAX_COMMENT_LINES = 100


def _comment_lines(path: Path, sep: str, *, quiet: bool = False) -> int:
    """Number of comment lines (starting with ``#``) before the header line of a text matrix.

    featureCounts, for one, writes ``# Program:featureCounts v2.0.1; Command:...`` above its
    header. Leading ``#`` lines are comments when the lines after them form a table (by
    :func:`_fits`, with ``sep`` or another separator) that the last of them does not fit: a
    ``#`` line as wide as the header (or one field fewer, but not a single field) is the header
    itself (``#gene<TAB>s1<TAB>s2``), and a GCT version line (``#1.2``) is left to the error it
    gets today.

    Parameters
    ----------
    path
        Text matrix (``.gz`` too).
    sep
        Separator of the format the file was named as.
    quiet
        Log nothing (a look at the file before the reader, which logs).

    Returns
    -------
    int
        Lines to skip before the header (0 when there are none, or when unclear).
    """
    with _open_text(path) as handle:
        head = [line.rstrip("\r\n") for line in itertools.islice(handle, _MAX_COMMENT_LINES + 11)]
    n = next((i for i, line in enumerate(head) if not line.startswith("#")), len(head))
    if n == 0 or n >= len(head) or re.match(r"^#1\.\d\s*$", head[0]):
        return 0
    header, lines = head[n], head[n + 1 : n + 11]
    fitting = [c for c in (sep, *_SEPARATORS) if _fits(c, header, lines)]
    width = _width(header, fitting[0]) if fitting else 0
    last = _width(head[n - 1], fitting[0]) if fitting else 0
    if not fitting or last == width or last == width - 1 > 1:
        return 0  # the last "#" line is the header (of R's write.table: one field fewer)
    if not quiet:
        log.warning("%s: skipping %d comment line(s) (#) before the header", path, n)
    return n


#: Values parsed at a time by :func:`_parse_rows` (about 64 MB as float64).
_BLOCK_VALUES = 8_000_000


def _parse_rows(
    path: Path,
    sep: str,
    skip: int,
    n_fields: int,
    *,
    decimal: str = ".",
    unnamed_row_ids: bool = False,
    trailing: bool = False,
    nrows: int | None = None,
) -> pd.DataFrame:
    """Data rows as strings-or-floats with integer columns (the header is handled separately).

    Parameters
    ----------
    path
        Text file (``.gz`` too).
    sep
        Field separator.
    skip
        Lines before the first data row.
    n_fields
        Fields in the header line.
    decimal
        Decimal mark (``"."`` or ``","``).
    unnamed_row_ids
        Also accept rows with one field more than the header, whose row-id column has no
        name (R's ``write.table``); the caller adds the name.
    trailing
        Also accept rows with one field fewer than the header (whose last field is empty: a
        separator at the end of the header line only); the caller drops that field.
    nrows
        Data rows to read (None: to the end of the file).

    Returns
    -------
    pandas.DataFrame
        ``attrs["first_line"]`` is the line number of the first row.

    Raises
    ------
    InputError
        No data rows, a ragged row (its line named), or rows whose field count does not match
        the header.
    """
    try:
        # in blocks of rows, about _BLOCK_VALUES values each: pandas holds a block's text
        # fields while it converts them (the whole file's, read at once: 2.6x the values'
        # memory; benchmarks/bench_text_read.py)
        blocks = pd.read_csv(
            path,
            sep=sep,
            decimal=decimal,
            header=None,
            skiprows=skip,
            nrows=nrows,
            index_col=None,
            converters={0: str},  # ids as written: "NA" or "" is no missing value
            low_memory=False,
            compression="infer",
            chunksize=max(1, _BLOCK_VALUES // max(n_fields, 1)),
        )
        with blocks:
            frame = pd.concat(list(blocks))
    except pd.errors.EmptyDataError as exc:
        raise InputError("no data rows after the header", path=path) from exc
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            raise InputError(
                f"ragged row: expected {match.group(1)} fields, saw {match.group(3)}",
                path=path,
                line=int(match.group(2)),
            ) from exc
        raise InputError(f"cannot parse ({exc})", path=path) from exc
    allowed = {n_fields}
    if unnamed_row_ids:
        allowed.add(n_fields + 1)
    if trailing:
        allowed.add(n_fields - 1)
    if frame.shape[1] not in allowed:
        raise InputError(
            f"the header has {n_fields} fields but the data rows have {frame.shape[1]} "
            f"(read {_SEPARATORS.get(sep, repr(sep))}-separated)",
            path=path,
        )
    frame.attrs["first_line"] = skip + 1
    return frame


def _labelled(
    rows: pd.DataFrame, header: list[str], first_line: int, skip: int = 1
) -> pd.DataFrame:
    """The rows of :func:`_parse_rows` as a frame: the first field of each row its id, the
    fields from ``skip`` on its values, named by ``header`` (the header's first field names
    the ids); ``first_line``, the file line of the first row, for error messages."""
    frame = rows.iloc[:, skip:]
    frame.index = pd.Index(rows.iloc[:, 0].astype(str), name=header[0] or None)
    frame.columns = header[skip:]
    frame.attrs["first_line"] = first_line
    return frame


def _unquoted(field: str) -> str | None:
    """``field`` without the double quotes around it (R's ``write.csv`` and ``write.table``
    quote names and ids); ``field`` itself when it holds no quote; None when it holds one
    otherwise (a quoted separator, a doubled quote, a space outside the quotes: pandas'
    quoting rules decide). Stricter than the gene lists' ``genes._unquote`` and the sequence
    files' ``sequence_files._unquote``, which strip spaces and keep inner quotes: a field this
    parser takes must read as pandas reads it."""
    if '"' not in field:
        return field
    if len(field) >= 2 and field[0] == field[-1] == '"' and '"' not in field[1:-1]:
        return field[1:-1]
    return None


def _fast_table(
    path: Path,
    sep: str,
    skip: int = 0,
    *,
    rows: Collection[str] | None = None,
    columns: Collection[str] | None = None,
    annotations: int = 0,
    after_header: int = 0,
) -> pd.DataFrame | None:
    """Plain numeric tables parsed line by line with numpy, for some of their rows or
    columns (a whole table is read by pandas, :func:`_parse_rows`, in about half this
    parser's time: ``benchmarks/bench_text_read.py``); None at the first irregularity
    (quotes but around the names and row ids, ragged rows, non-numeric or empty cells), so
    that the pandas path reports the problem precisely. ``skip``: comment lines before the header.

    ``rows`` (or ``columns``): only the rows (columns) of these ids (spaces around them
    removed) are parsed and returned, the others' values are never converted (a landmark
    model's 978 genes of 12,328 take a twelfth of the memory); every line is still checked
    for its width and quotes. None when no row (column) has one of these ids.
    ``annotations``: text fields after each row's id that are not values (a GCT file's
    Description, or its row metadata), left out; ``after_header``: lines between the header
    and the first row, skipped (a GCT 1.3 file's column metadata). The frame's
    ``attrs["lines"]`` is the number of data lines (all of them, parsed or not; empty lines,
    which pandas skips too, are not counted).
    """
    start = 1 + annotations
    with _open_text(path) as handle:
        for _ in range(skip):
            handle.readline()
        first = handle.readline().rstrip("\r\n")
        unquoted = [_unquoted(name) for name in first.split(sep)]
        if not first.strip() or any(name is None for name in unquoted):
            return None
        header = [str(name) for name in unquoted]
        names = header[start:]
        take: list[int] | None = None
        if columns is not None:
            take = [i for i, name in enumerate(header) if i >= start and name.strip() in columns]
            if not take:
                return None
            names = [header[i] for i in take]
        for _ in range(after_header):
            handle.readline()
        ids: list[str] = []
        values: list[np.ndarray] = []
        lines = 0
        width = len(header) - 1  # separators in a line
        for line in handle:
            line = line.rstrip("\r\n")
            if not line:
                continue  # as pandas skips it
            lines += 1
            if line.count(sep) != width:
                return None
            row_id = line[: line.find(sep)] if width else line
            if '"' in line:  # quotes around the row id alone (R's write.csv)
                inner = _unquoted(row_id)
                if inner is None or '"' in line[len(row_id) :]:
                    return None
                row_id = inner
            if rows is not None and row_id.strip() not in rows:
                continue  # its values are never split, let alone converted
            fields = line.split(sep)
            kept = fields[start:] if take is None else [fields[i] for i in take]
            try:
                values.append(np.array(kept, dtype=np.float64))
            except ValueError:
                return None
            ids.append(row_id)
    if not values:
        return None
    frame = pd.DataFrame(np.vstack(values), index=pd.Index(ids, name=header[0] or None))
    frame.columns = pd.Index(names, dtype=object)
    frame.attrs["lines"] = lines
    return frame


#: The first characters of a GEO series matrix file (``GSExxx_series_matrix.txt.gz``).
_SERIES_MATRIX_START = "!Series_"
#: The lines around a GEO series matrix's expression table.
_SERIES_TABLE = ("!series_matrix_table_begin", "!series_matrix_table_end")


def _is_series_matrix(path: Path) -> bool:
    """Whether ``path`` is a GEO series matrix file (its first line ``!Series_...``)."""
    with _open_text(path) as handle:
        return handle.readline().startswith(_SERIES_MATRIX_START)


def _series_matrix(path: Path) -> tuple[int, int, dict[str, str]] | None:
    """Where a GEO series matrix file keeps its expression table; None for another file.

    Parameters
    ----------
    path
        Text file (``.gz`` too).

    Returns
    -------
    tuple of (int, int, dict) or None
        The number of lines before the table's header line, the number of data rows, and
        the series' accession and platform (``!Series_geo_accession``,
        ``!Series_platform_id``), for the log.

    Raises
    ------
    InputError
        A series matrix without its table's begin or end line (a truncated download), or
        with no data rows (an RNA-seq series keeps its counts in supplementary files).
    """
    if not _is_series_matrix(path):
        return None
    with _open_text(path) as handle:
        handle.readline()
        about: dict[str, str] = {}
        begin = end = None
        for number, line in enumerate(handle, start=2):
            if begin is None:
                key, _, value = line.rstrip("\r\n").partition("\t")
                if key in ("!Series_geo_accession", "!Series_platform_id"):
                    about[key[8:]] = value.strip('"')
                if key.strip().lower() == _SERIES_TABLE[0]:
                    begin = number
            elif line.strip().lower() == _SERIES_TABLE[1]:
                end = number
                break
    if begin is None or end is None:
        missing = _SERIES_TABLE[0] if begin is None else _SERIES_TABLE[1]
        raise InputError(
            f"a GEO series matrix without its {missing!r} line: a truncated download? "
            "download it again",
            path=path,
        )
    n_rows = end - begin - 2  # the header line and the end line are no data rows
    if n_rows < 1:
        raise InputError(
            f"a GEO series matrix ({about.get('geo_accession', '?')}) whose expression table "
            "is empty: an RNA-seq series keeps its counts in the series' supplementary files "
            "on GEO; download those and give the count matrix",
            path=path,
            line=begin,
        )
    return begin, n_rows, about


def _read_series_matrix(path: Path, place: tuple[int, int, dict[str, str]]) -> pd.DataFrame:
    """The expression table of a GEO series matrix (:func:`_series_matrix`): probes (or
    genes) x samples, the samples' GSM accessions as column ids."""
    begin, n_rows, about = place
    header = _header(path, "\t", skip=begin)
    rows = _parse_rows(path, "\t", begin + 1, len(header), nrows=n_rows)
    log.warning(
        "%s: a GEO series matrix (%s, platform %s): reading its expression table, %d rows "
        "(probes or genes) x %d samples",
        path,
        about.get("geo_accession", "?"),
        about.get("platform_id", "?"),
        n_rows,
        len(header) - 1,
    )
    return _labelled(rows, header, begin + 2)


def _table_ids(path: Path, sep: str, skip: int = 0) -> tuple[pd.Index, pd.Index] | None:
    """A text matrix's row ids (the first field of each line after the header) and column
    ids (the header's fields after the first), quotes around them (:func:`_unquoted`) and
    spaces removed, read without the values; None when an id holds a quote otherwise.
    ``skip``: comment lines before the header. The last two files' ids are kept
    while the file is unchanged (``gexnb predict`` asks before the reader does: a ``.gz``
    file is then decompressed once for both)."""
    stat = path.stat()
    return _table_ids_of(path.resolve(), sep, skip, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _table_ids_of(
    path: Path, sep: str, skip: int, mtime_ns: int, size: int
) -> tuple[pd.Index, pd.Index] | None:
    """:func:`_table_ids` of the file as it is (``mtime_ns`` and ``size`` key the cache)."""
    with _open_text(path) as handle:
        for _ in range(skip):
            handle.readline()
        header = [_unquoted(h) for h in handle.readline().rstrip("\r\n").split(sep)[1:]]
        rows = [_unquoted(line.split(sep, 1)[0]) for line in handle if line.strip()]
    if any(i is None for i in itertools.chain(header, rows)):
        return None
    stripped = [str(i).strip() for i in rows], [str(i).strip() for i in header]
    return pd.Index(stripped[0], dtype=object), pd.Index(stripped[1], dtype=object)


def _read_table(
    path: Path,
    sep: str,
    *,
    genes: Collection[str] | None = None,
    orientation: str = "auto",
    genes_in_rows: Callable[[pd.Index, pd.Index], bool] | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Read a delimited text matrix: row ids in the first column, column names in the header.

    The separator and decimal mark are checked first (:func:`_sniff_table`). A header with one
    field fewer than the rows is R's ``write.table`` layout (no name for the row-name column):
    the first field of each row is its id. Comment lines (``#``) before the header are
    skipped (:func:`_comment_lines`). A separator at the end of every line (an unnamed last
    column, empty in every row) is dropped.

    ``genes``: a plain numeric table (:func:`_fast_table`) has only the rows or the columns
    of these ids parsed: the rows when they are genes (``orientation``, or under ``"auto"``
    ``genes_in_rows`` called with the file's ids, :func:`_table_ids`), else the columns. Any
    other table is read whole. The frame's ``attrs["rows_are_genes"]`` is
    ``genes_in_rows``'s answer when it was asked (once: it may log), else None.
    """
    series = _series_matrix(path)
    if series is not None:
        return _read_series_matrix(path, series), True  # rows are probes or genes
    skip = _comment_lines(path, sep)
    sep, decimal = _sniff_table(path, sep, skip)
    in_rows: bool | None = None  # genes_in_rows's answer, when asked
    fast = None  # a whole table: pandas reads it faster (benchmarks/bench_text_read.py)
    partial = genes is not None and decimal == "."
    ask = partial and orientation == "auto" and genes_in_rows is not None
    ids = _table_ids(path, sep, skip) if ask else ()
    if partial and ids is not None:  # None: ids pandas unquotes, genes_in_rows asked after
        if ids and genes_in_rows is not None:
            in_rows = genes_in_rows(*ids)
        by_rows = in_rows if in_rows is not None else orientation == "genes_x_samples"
        fast = _fast_table(
            path, sep, skip, rows=genes if by_rows else None, columns=None if by_rows else genes
        )
    if fast is not None:
        fast.attrs["rows_are_genes"] = in_rows
        return fast, False
    header = _header(path, sep, skip)
    rows = _parse_rows(
        path,
        sep,
        skip + 1,
        len(header),
        decimal=decimal,
        unnamed_row_ids=True,
        trailing=len(header) > 1 and not header[-1].strip(),
    )
    header, rows = _drop_trailing_separator(header, rows, path, sep, skip)
    if rows.shape[1] == len(header) + 1:
        if header[0].strip().lower() in _ID_COLUMN_NAMES:
            raise InputError(
                f"the header has one field fewer than the rows ({len(header)} against "
                f"{rows.shape[1]}), as R's write.table writes, but its first field "
                f"{header[0]!r} names the id column: a column name is missing from the header "
                "(in R, write.table(x, file, sep='\\t', col.names=NA) writes a matching header)",
                path=path,
                line=skip + 1,
            )
        log.warning(
            "%s: the header has one field fewer than the rows (R's write.table): the first "
            "field of each row is its id",
            path,
        )
        header = ["", *header]
    frame = _labelled(rows, header, skip + 2)
    frame.attrs["rows_are_genes"] = in_rows
    if decimal != ".":
        frame.attrs["decimal"] = decimal  # for _check_numeric's message; dropped after it
    return frame, False


def _all_end_with(path: Path, sep: str, skip: int) -> bool:
    """True when every non-blank line after the first ``skip`` ends with ``sep``."""
    with _open_text(path) as handle:
        lines = (line.rstrip("\r\n") for line in itertools.islice(handle, skip, None))
        return all(line.endswith(sep) for line in lines if line.strip())


def _drop_trailing_separator(
    header: list[str], rows: pd.DataFrame, path: Path, sep: str, skip: int
) -> tuple[list[str], pd.DataFrame]:
    """Drop the empty last field that a separator at the end of each line makes.

    Parameters
    ----------
    header
        Fields of the header line.
    rows
        Data rows from :func:`_parse_rows` (integer columns).
    path
        The file.
    sep
        Field separator.
    skip
        Comment lines before the header.

    Returns
    -------
    header, rows
        Without the trailing field: of the header when its last field is empty and the rows
        have one field fewer; of the rows when every data line ends with the separator (an
        empty last field, not ``NA``) and the header has no name for that field (its last
        field is empty, or it has one field fewer and its first field names the id column).
    """
    width = rows.shape[1]
    unnamed_last = len(header) > 1 and not header[-1].strip()
    if unnamed_last and width == len(header) - 1:
        log.warning("%s: dropping the empty field after the last column of the header", path)
        return header[:-1], rows
    if width > 2 and rows.iloc[:, -1].isna().all() and _all_end_with(path, sep, skip + 1):
        if unnamed_last and width == len(header):
            header = header[:-1]
        elif width != len(header) + 1 or header[0].strip().lower() not in _ID_COLUMN_NAMES:
            # one field more than a header that names no id column: R's write.table header
            # (row ids unnamed) whose last sample may be empty in every row; not dropped
            return header, rows
        log.warning(
            "%s: every line ends with a separator: dropping the empty column after the last", path
        )
        rows = rows.iloc[:, :-1]
    return header, rows


def _gct_layout(path: Path) -> tuple[int, int, int, list[str]]:
    """A GCT 1.2 or 1.3 file's layout, checked: its number of data rows, of row-metadata
    fields after each row's id (Description in 1.2), of column-metadata lines after the
    header (none in 1.2), and its header's fields.

    Raises
    ------
    InputError
        Not a GCT 1.2/1.3 file, a bad dimension line, a header of another width than the
        dimensions say (the line named).
    """
    with _open_text(path) as handle:
        version = handle.readline().strip()
        dims = handle.readline().strip().split("\t")
    if version not in ("#1.2", "#1.3"):
        raise InputError(f"not a GCT 1.2/1.3 file (first line {version!r})", path=path, line=1)
    try:
        n_rows, n_cols = int(dims[0]), int(dims[1])
        n_rhd = int(dims[2]) if version == "#1.3" else 1
        n_chd = int(dims[3]) if version == "#1.3" else 0
    except (IndexError, ValueError) as exc:
        raise InputError(f"bad GCT dimension line {dims!r}", path=path, line=2) from exc
    header = _header(path, "\t", skip=2)
    expected = 1 + n_rhd + n_cols
    if len(header) != expected:
        hint = (
            " (a GCT file has Name and Description columns before the samples: is "
            "Description missing?)"
            if len(header) == expected - 1 and version == "#1.2"
            else ""
        )
        raise InputError(
            f"GCT header has {len(header)} fields; dimensions say {expected}{hint}",
            path=path,
            line=3,
        )
    return n_rows, n_rhd, n_chd, header


def _gct_ids(path: Path) -> list[str] | None:
    """A GCT file's row (gene) ids, read without the values; None when an id holds a quote
    but around it (:func:`_unquoted`)."""
    _, _, n_chd, _ = _gct_layout(path)
    ids = _table_ids(path, "\t", skip=2)
    return None if ids is None else list(ids[0][n_chd:])


def _read_gct(path: Path, rows: Collection[str] | None = None) -> tuple[pd.DataFrame, bool]:
    """Read a GCT 1.2/1.3 file (rows are genes); ``rows``: only the values of these row ids
    are parsed when the file is plain (:func:`_fast_table`), else the file is read whole."""
    n_rows, n_rhd, n_chd, header = _gct_layout(path)
    if rows is not None:
        some = _fast_table(path, "\t", 2, rows=rows, annotations=n_rhd, after_header=n_chd)
        if some is not None:
            held = some.attrs.pop("lines")
            if held != n_rows:
                raise InputError(f"GCT says {n_rows} rows but holds {held}", path=path)
            return some, True
    parsed = _parse_rows(path, "\t", 3 + n_chd, len(header))
    if parsed.shape[0] != n_rows:
        raise InputError(f"GCT says {n_rows} rows but holds {parsed.shape[0]}", path=path)
    return _labelled(parsed, header, 4 + n_chd, skip=1 + n_rhd), True


def _parquet_plan(path: Path) -> tuple[list[str], str | None] | None:
    """The gene columns of a parquet file and its sample-id column (None: the ids are a
    stored index, or the rows are unnamed), from its schema alone, as
    :func:`_read_parquet` would find them from the values; None when that needs the values
    (:func:`_parquet_id_column`: a first column of integers, booleans or categories without
    a stored index), or when the file has no columns.

    Raises
    ------
    InputError
        The schema is not readable.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types
        raise InputError(f"cannot read parquet ({exc})", path=path) from exc
    stored = (schema.pandas_metadata or {}).get("index_columns", [])
    index = {c for c in stored if isinstance(c, str)}  # a RangeIndex is a dict: no column
    fields = [f for f in schema if f.name not in index]
    if not fields:
        return None
    if index:
        return [f.name for f in fields], None
    first = fields[0].type
    if pa.types.is_string(first) or pa.types.is_large_string(first):
        return [f.name for f in fields[1:]], fields[0].name
    if pa.types.is_floating(first):
        return [f.name for f in fields], None
    return None


def _read_parquet(path: Path, columns: set[str] | None = None) -> tuple[pd.DataFrame, bool]:
    """Read a parquet matrix; without a stored index, a first column of text, or of distinct
    integers among decimal columns, holds the sample ids (:func:`_parquet_id_column`). With
    ``columns``, only those gene columns are read when :func:`_parquet_plan` tells the
    sample ids from the schema (else the file is read whole)."""
    plan = None if columns is None else _parquet_plan(path)
    if plan is not None and columns is not None:
        genes, id_column = plan
        keep = [g for g in genes if str(g).strip() in columns]
        try:
            frame = pd.read_parquet(path, columns=([id_column] if id_column else []) + keep)
        except Exception as exc:  # pyarrow raises several types
            raise InputError(f"cannot read parquet ({exc})", path=path) from exc
        if id_column is not None:
            frame = frame.set_index(id_column)
            frame.index = frame.index.map(str)
        return frame, False
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types
        raise InputError(f"cannot read parquet ({exc})", path=path) from exc
    if isinstance(frame.index, pd.RangeIndex) and frame.shape[1] > 0:
        first = frame.columns[0]
        if _parquet_id_column(frame, path):
            frame = frame.set_index(first)
            frame.index = frame.index.map(str)
    return frame, False


def _parquet_id_column(frame: pd.DataFrame, path: Path) -> bool:
    """Whether the first column of a parquet table without a stored index holds sample ids.

    Text columns do (as written by ``frame.reset_index().to_parquet(path, index=False)``);
    decimal (float) columns are genes. A column of integers among decimal columns does when
    its values are distinct, and is refused when some repeat; among integer columns (a count
    matrix) it does only when its values are distinct and the column is named as an id
    column (``sample_id``...): a gene's counts may be distinct and increasing too.

    Raises
    ------
    InputError
        An integer first column with repeated values among decimal columns.
    """
    first = frame.columns[0]
    column = frame[first]
    types = pd.api.types
    if not types.is_numeric_dtype(column):
        return True
    if not types.is_integer_dtype(column) or types.is_bool_dtype(column):
        return False
    rest_integer = all(types.is_integer_dtype(dt) for dt in frame.dtypes.iloc[1:])
    if column.is_unique:
        named = str(first).strip().lower() in _ID_COLUMN_NAMES
        return not rest_integer or named
    if rest_integer:
        return False
    raise InputError(
        f"the first column {str(first)!r} holds integers, some repeated, while the others hold "
        "decimals: sample ids or a gene? Store the sample ids as the index "
        "(frame.set_index(column).to_parquet(path)) or as text, or give each sample its own id",
        path=path,
    )


def _decode(values: np.ndarray) -> list[str]:
    return [
        v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()
    ]


#: The datasets of gexnb's own HDF5 layout.
_HDF5_NODES = ("matrix", "samples", "genes")


def _read_hdf5(path: Path, columns: set[str] | None = None) -> tuple[pd.DataFrame, bool]:
    """Read gexnb's HDF5 layout (datasets ``matrix``, ``samples``, ``genes``) or a DataFrame
    that pandas wrote with ``to_hdf`` in its fixed format (:func:`_read_pandas_hdf`). With
    ``columns``, only the columns of ``matrix`` of those gene ids are read from the disk in
    gexnb's layout (all of them when none is one; a pandas frame is read whole)."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            missing = [k for k in _HDF5_NODES if k not in h5]
            pandas_groups = [k for k in h5 if "pandas_type" in h5[k].attrs]
            if missing and pandas_groups:
                return _read_pandas_hdf(h5, pandas_groups, path), False
            if missing:
                raise InputError(
                    f"HDF5 layout needs datasets 'matrix' (samples x genes), 'samples' and "
                    f"'genes'; missing {missing} (found {list(h5.keys())})",
                    path=path,
                )
            samples, genes = _decode(h5["samples"][()]), _decode(h5["genes"][()])
            data = h5["matrix"]
            if not isinstance(data, h5py.Dataset):
                raise InputError("'matrix' is a group, not a dataset of numbers", path=path)
            if tuple(data.shape) != (len(samples), len(genes)):
                raise InputError(
                    f"'matrix' has shape {tuple(data.shape)} but there are {len(samples)} "
                    f"samples and {len(genes)} genes",
                    path=path,
                )
            keep = [k for k, g in enumerate(genes) if g.strip() in columns] if columns else []
            if 0 < len(keep) < len(genes):  # h5py reads the columns asked for, in order
                genes = [genes[k] for k in keep]
                matrix = np.asarray(data[:, keep], dtype=np.float64)
            else:
                matrix = np.asarray(data[()], dtype=np.float64)
    except OSError as exc:
        raise InputError(f"not a readable HDF5 file ({exc})", path=path) from exc
    return pd.DataFrame(matrix, index=samples, columns=genes), False


def _read_pandas_hdf(h5: Any, groups: list[str], path: Path) -> pd.DataFrame:
    """A DataFrame written by pandas ``to_hdf`` in its fixed format, read with h5py.

    The group holds ``axis0`` (column labels), ``axis1`` (row labels) and one
    ``block<i>_values`` / ``block<i>_items`` pair per dtype; a matrix of numbers is one
    block, stored rows x columns (attribute ``transposed``).

    Parameters
    ----------
    h5
        The open ``h5py.File``.
    groups
        Its top-level groups with a ``pandas_type`` attribute.
    path
        The file, named in errors.

    Returns
    -------
    pandas.DataFrame
        As stored (rows = file rows).

    Raises
    ------
    InputError
        Several frames, the table format, several blocks (columns of several types) or a
        block that is not numeric; each with how to re-save the matrix.
    """
    resave = (
        "re-save it with gexnb.data.expression.write_expression(frame, 'x.h5') or "
        "frame.to_parquet('x.parquet')"
    )
    if len(groups) > 1:
        raise InputError(
            f"a pandas to_hdf file with {len(groups)} frames ({_preview(groups)}): {resave}",
            path=path,
        )
    group = h5[groups[0]]
    kind = _decode(np.atleast_1d(group.attrs["pandas_type"]))[0]
    if kind != "frame" or not all(k in group for k in ("axis0", "axis1", "block0_values")):
        raise InputError(
            f"a pandas to_hdf file in a layout gexnb does not read ({kind!r}; the table format "
            f"or not a DataFrame): {resave}",
            path=path,
        )
    if "block1_values" in group:
        raise InputError(
            f"a pandas to_hdf frame whose columns have several types (not one numeric matrix): "
            f"{resave}",
            path=path,
        )
    block = group["block0_values"]
    if block.dtype.kind not in "fiub":
        raise InputError(f"a pandas to_hdf frame with non-numeric values: {resave}", path=path)
    values = np.asarray(block[()], dtype=np.float64)
    if not bool(block.attrs.get("transposed", True)):
        values = values.T
    columns, index = _decode(group["axis0"][()]), _decode(group["axis1"][()])
    items = _decode(group["block0_items"][()]) if "block0_items" in group else columns
    if values.shape != (len(index), len(items)) or sorted(items) != sorted(columns):
        raise InputError(
            f"a pandas to_hdf frame whose values ({values.shape}) do not match its "
            f"{len(index)} rows and {len(columns)} columns: {resave}",
            path=path,
        )
    log.info("%s: reading a pandas to_hdf (fixed format) frame with h5py", path)
    frame = pd.DataFrame(values, index=index, columns=items)
    return frame if items == columns else frame.loc[:, columns]


#: A GCTX file's matrix, row (gene) ids and column (sample) ids (cmapPy's layout).
_GCTX_NODES = ("/0/DATA/0/matrix", "/0/META/ROW/id", "/0/META/COL/id")


def _read_gctx(path: Path, rows: set[str] | None = None) -> tuple[pd.DataFrame, bool]:
    """A GCTX file as stored (rows are genes); with ``rows``, only the rows of those ids
    are read from the disk."""
    import h5py

    nodes = _GCTX_NODES
    try:
        with h5py.File(path, "r") as h5:
            missing = [n for n in nodes if n not in h5]
            if missing:
                raise InputError(f"not a GCTX file: missing {missing}", path=path)
            rid, cid = _decode(h5[nodes[1]][()]), _decode(h5[nodes[2]][()])
            data = h5[nodes[0]]
            shape = tuple(data.shape)
            # cmapPy convention: the HDF5 matrix is (n columns, n rows) = (samples, genes)
            genes_axis = 1 if shape == (len(cid), len(rid)) else 0
            if shape not in ((len(cid), len(rid)), (len(rid), len(cid))):
                raise InputError(
                    f"GCTX matrix shape {shape} matches neither {len(cid)} column ids x "
                    f"{len(rid)} row ids nor its transpose",
                    path=path,
                )
            if rows is None:
                matrix = np.asarray(data[()], dtype=np.float64)
            else:  # h5py reads the rows asked for, in increasing order
                keep = [k for k, i in enumerate(rid) if i.strip() in rows]
                rid = [rid[k] for k in keep]
                part = data[:, keep] if genes_axis == 1 else data[keep, :]
                matrix = np.asarray(part, dtype=np.float64)
    except OSError as exc:
        raise InputError(f"not a readable HDF5 file ({exc})", path=path) from exc
    if genes_axis == 1:
        return pd.DataFrame(matrix.T, index=rid, columns=cid), True  # as in a GCT
    log.warning("%s: GCTX matrix is stored rows x columns (not cmapPy's transpose)", path)
    return pd.DataFrame(matrix, index=rid, columns=cid), True


def _open_h5ad(path: Path, backed: str | None = None) -> Any:
    """``anndata.read_h5ad(path, backed=backed)``; its failures, and anndata missing, as one
    InputError naming the file."""
    try:
        import anndata
    except ImportError as exc:
        raise InputError("reading .h5ad needs the 'anndata' package", path=path) from exc
    try:
        return anndata.read_h5ad(path, backed=backed)
    except Exception as exc:  # anndata/h5py raise several types
        raise InputError(f"cannot read h5ad ({exc})", path=path) from exc


@contextlib.contextmanager
def _backed_h5ad(path: Path) -> Iterator[Any]:
    """An ``.h5ad`` file opened with anndata in backed mode (``obs`` and ``var`` in memory,
    ``X`` on the disk), closed on leaving."""
    adata = _open_h5ad(path, backed="r")
    try:
        yield adata
    finally:
        adata.file.close()


def _read_h5ad(path: Path, columns: set[str] | None = None) -> tuple[pd.DataFrame, bool]:
    """An ``.h5ad`` file's ``X`` (samples x genes); with ``columns``, only the genes of those
    ids are read from the disk, and made dense when ``X`` is sparse."""
    if columns is None:
        adata = _open_h5ad(path)
        x, genes, samples, raw = adata.X, list(adata.var_names), list(adata.obs_names), adata.raw
        raw_genes = None if raw is None else int(raw.n_vars)
    else:
        with _backed_h5ad(path) as adata:
            keep = [k for k, g in enumerate(adata.var_names) if str(g).strip() in columns]
            try:
                x = adata[:, keep].X
            except Exception as exc:  # anndata/h5py raise several types
                raise InputError(f"cannot read h5ad ({exc})", path=path) from exc
            genes, samples = [adata.var_names[k] for k in keep], list(adata.obs_names)
            raw_genes = None if adata.raw is None else int(adata.raw.n_vars)
    x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    frame = pd.DataFrame(x, index=samples, columns=genes)
    n_vars = len(adata.var_names)
    if raw_genes is not None and raw_genes > n_vars:
        # X keeps a subset of the genes (e.g. highly variable ones): said when list genes miss
        log.warning("%s: reading X (%d genes); adata.raw has %d genes", path, n_vars, raw_genes)
        frame.attrs["h5ad_raw_genes"] = raw_genes
    elif raw_genes is not None:
        log.info(
            "%s: reading X; adata.raw holds other values of its genes (often the unscaled "
            "ones: adata.raw.to_adata().write_h5ad(...) to read those)",
            path,
        )
    return frame, False


#: Names (letter case aside) of the gene-symbol annotation of a GCT file's row metadata
#: (GCT 1.2's ``Description``, as GTEx writes it) or of an ``.h5ad`` file's ``var`` columns
#: (CELLxGENE's ``feature_name``, scanpy's ``gene_symbols``), in order of preference.
SYMBOL_ANNOTATIONS = (
    "feature_name", "gene_symbols", "gene_symbol", "gene_name", "symbol", "pr_gene_symbol",
    "description",
)  # fmt: skip


def gene_symbol_table(path: str | os.PathLike) -> pd.DataFrame | None:
    """The gene symbols a GCT, GCTX or ``.h5ad`` file stores beside its gene ids, if any.

    A GTEx GCT file names its genes by Ensembl id with the symbol in ``Description``; a LINCS
    GCTX file by Entrez id with ``pr_gene_symbol`` in its row metadata; an ``.h5ad`` file
    from CELLxGENE or scanpy keeps them in ``var`` (``feature_name``, ``gene_symbols``):
    :data:`SYMBOL_ANNOTATIONS`.

    Parameters
    ----------
    path
        An expression file.

    Returns
    -------
    pandas.DataFrame or None
        Columns ``id`` (the file's gene id) and ``symbol``, one row per gene with a
        symbol; None for another format or a file without such an annotation.
    """
    path = Path(path)
    fmt = _detect_format(path)
    if fmt == "gct":
        _, n_rhd, n_chd, header = _gct_layout(path)
        fields = [h.strip().lower() for h in header[1 : 1 + n_rhd]]
        found = next((n for n in SYMBOL_ANNOTATIONS if n in fields), None)
        if found is None:
            return None
        column = 1 + fields.index(found)
        table = _read_guarded(
            lambda: pd.read_csv(path, sep="\t", skiprows=3 + n_chd, header=None,
                                usecols=[0, column], dtype=str, keep_default_na=False),
            path, fmt,
        )  # fmt: skip
        table.columns = ["id", "symbol"]
    elif fmt == "gctx":  # LINCS: row ids are Entrez ids, pr_gene_symbol in the row metadata
        import h5py

        with _read_guarded(lambda: h5py.File(path, "r"), path, fmt) as h5:
            meta = h5.get("/0/META/ROW")
            names = {} if meta is None else {str(k).lower(): k for k in meta.keys()}
            found = next((names[n] for n in SYMBOL_ANNOTATIONS if n in names and n != "id"), None)
            if found is None or "id" not in names:
                return None
            table = pd.DataFrame(
                {"id": _decode(meta[names["id"]][()]), "symbol": _decode(meta[found][()])}
            )
    elif fmt == "h5ad":
        with _backed_h5ad(path) as adata:
            var = adata.var
            names = {str(c).lower(): c for c in var.columns}
            found = next((names[n] for n in SYMBOL_ANNOTATIONS if n in names), None)
            if found is None:
                return None
            table = pd.DataFrame(
                {"id": list(map(str, adata.var_names)), "symbol": var[found].astype(str).tolist()}
            )
    else:
        return None
    table = table.apply(lambda c: c.str.strip())
    table = table[(table["symbol"] != "") & (table["symbol"].str.lower() != "nan")]
    return table.reset_index(drop=True) if len(table) else None


def _decimal_hint(value: Any, attrs: Mapping[str, Any]) -> str:
    """Why a number-like cell did not parse: a decimal mark other than the file's."""
    text = str(value).strip()
    if _DECIMAL_COMMA.match(text):
        return (
            " (a decimal comma: write the values with decimal points, or decimal commas "
            "throughout in a tab- or semicolon-separated file)"
        )
    if _DECIMAL_POINT.match(text) and attrs.get("decimal") == ",":
        return " (a decimal point, but the first lines use decimal commas: use one mark)"
    return ""


#: The annotation columns featureCounts (Subread; Liao, Smyth and Shi, Bioinformatics 30(7),
#: 923-930, 2014) writes between ``Geneid`` and the samples' counts.
FEATURECOUNTS_COLUMNS = ("Chr", "Start", "End", "Strand", "Length")


def _drop_annotation_columns(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, bool]:
    """A featureCounts table without its annotation columns (:data:`FEATURECOUNTS_COLUMNS`),
    logged, as a table without its leading gene annotation columns
    (:func:`_drop_gene_annotation`); any other table as it is. Such tables are genes x
    samples.

    Parameters
    ----------
    frame
        The table as stored in the file.
    path
        The file, for the log line.

    Returns
    -------
    frame, featurecounts
        The samples' columns only, and whether annotation columns were left out.
    """
    head = tuple(str(c).strip() for c in frame.columns[: len(FEATURECOUNTS_COLUMNS)])
    if head != FEATURECOUNTS_COLUMNS:
        return _drop_gene_annotation(frame, path)
    log.warning(
        "%s: a featureCounts table: its columns %s are left out (gene annotation, not samples)",
        path,
        ", ".join(FEATURECOUNTS_COLUMNS),
    )
    kept = frame.drop(columns=frame.columns[: len(FEATURECOUNTS_COLUMNS)])
    kept.attrs = dict(frame.attrs)
    return kept, True


#: Names (letter case aside) of the gene annotation columns a counts table often carries
#: beside its gene ids (GENCODE/Ensembl exports, GDC, tximport summaries). Not
#: ``description``, which a samples x genes table may hold about its samples.
GENE_ANNOTATION_COLUMNS = frozenset({
    "gene_name", "gene_symbol", "symbol", "hgnc_symbol", "external_gene_name", "gene_type",
    "gene_biotype", "biotype",
})  # fmt: skip


def _drop_gene_annotation(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, bool]:
    """A table without its leading gene annotation columns (:data:`GENE_ANNOTATION_COLUMNS`,
    holding text), logged; then the table is genes x samples (its rows are genes). A trial's
    ``gene_id, gene_name, samples...`` counts table was refused for 'non-numeric value'."""
    leading = 0
    for column in frame.columns:
        values = frame[column]
        if str(column).strip().lower() not in GENE_ANNOTATION_COLUMNS or (
            pd.api.types.is_numeric_dtype(values.dtype)
        ):
            break
        leading += 1
    if not leading:
        return frame, False
    names = [str(c).strip() for c in frame.columns[:leading]]
    log.warning(
        "%s: its column(s) %s are left out (gene annotation, not samples); the genes are "
        "named by the first column (to name them by %s, make it the first column)",
        path, ", ".join(names), names[0],
    )  # fmt: skip
    kept = frame.drop(columns=frame.columns[:leading])
    kept.attrs = dict(frame.attrs)
    return kept, True


def _check_numeric(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Convert every column to float; name the first non-numeric cell (file, line, row, column).

    ``frame`` is as stored in the file (rows = file rows), so ``attrs["first_line"]`` gives the
    line number of a row.
    """
    is_num = [
        pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)
        for dt in frame.dtypes
    ]
    if all(is_num):
        return frame.astype(np.float64)
    frame = frame.copy()
    first_line = frame.attrs.get("first_line")
    for pos in np.flatnonzero(~np.asarray(is_num)):
        values = frame.iloc[:, pos]
        if pd.api.types.is_bool_dtype(values.dtype) or (
            values.dtype == object and values.map(lambda v: isinstance(v, bool)).any()
        ):
            raise InputError(
                f"column {frame.columns[pos]!r} holds True/False values, not expression values",
                path=path,
            )
        converted = pd.to_numeric(values, errors="coerce")
        bad = (converted.isna() & values.notna()).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"non-numeric value {values.iloc[i]!r} in row {frame.index[i]!r}, "
                f"column {frame.columns[pos]!r}{_decimal_hint(values.iloc[i], frame.attrs)}",
                path=path,
                line=None if first_line is None else first_line + i,
            )
        frame.isetitem(int(pos), converted.astype(np.float64))
    return frame.astype(np.float64)


def apply_policies(
    frame: pd.DataFrame,
    *,
    nan: str = DataChecks.nan,
    duplicates: str = DataChecks.duplicates,
    path: str | os.PathLike | None = None,
    used_genes: Callable[[pd.Index], np.ndarray] | None = None,
) -> pd.DataFrame:
    """The readers' checks on a matrix that did not come from a file (a DataFrame).

    Infinite values (always an error) and NaN values by ``nan`` (``"error"``,
    ``"drop_genes"``, ``"drop_samples"``, ``"mean"``; a gene or a sample with no value at all
    cannot be mean-imputed), then
    duplicated gene ids by ``duplicates`` (``"mean"``, ``"first"``, ``"error"``), as
    :func:`read_expression` applies them, in that order: a NaN in one column of a duplicated id
    is not hidden by the average (genes dropped: ``attrs["dropped_for_nan"]``).

    Parameters
    ----------
    frame
        Samples x genes matrix.
    nan
        NaN policy: ``"error"``, ``"drop_genes"``, ``"drop_samples"`` or ``"mean"``.
    duplicates
        Duplicated gene id policy: ``"mean"``, ``"first"`` or ``"error"``.
    path
        File named in the errors, or None.
    used_genes
        As for :func:`read_expression`.

    Returns
    -------
    pandas.DataFrame
        The matrix after both checks.

    Raises
    ------
    InputError
        Names the genes (and ``path`` when given); ``frame`` is not a DataFrame.
    """
    _require_frame(frame)
    where = None if path is None else Path(path)
    _choice(duplicates, _DUPLICATE_POLICIES, "duplicates")
    frame = _apply_nan_policy(frame, _choice(nan, _NAN_POLICIES, "nan"), where, used_genes)
    return _apply_duplicates(frame, duplicates, where)


def _refuse_infinite(frame: pd.DataFrame, path: Path | None) -> None:
    infinite = np.isinf(frame.to_numpy())
    if infinite.any():
        genes = frame.columns[infinite.any(axis=0)]
        raise InputError(f"infinite values in {len(genes)} gene(s): {_preview(genes)}", path=path)


def _apply_nan_policy(
    frame: pd.DataFrame,
    nan: str,
    path: Path | None,
    used_genes: Callable[[pd.Index], np.ndarray] | None = None,
) -> pd.DataFrame:
    """``frame`` after the NaN policy ``nan`` (:func:`read_expression`); infinite values
    are refused first. The samples with no value at all (an empty column of a genes x
    samples file, a failed array) are named in every refusal: they made every gene look
    incomplete, and ``drop_genes`` left no gene (a new-user trial). Under ``drop_samples``
    with ``used_genes``, the genes not used that have missing values are left out first."""
    _refuse_infinite(frame, path)
    values = frame.to_numpy()
    missing = np.isnan(values)
    if not missing.any():
        return frame
    # the file as read, for the summaries (notebook 01 counted 0 missing values after any
    # policy had removed them; a reviewer's finding); not on the caller's own DataFrame
    frame = frame.copy(deep=False)
    frame.attrs = {**frame.attrs, NAN_VALUES_READ: int(missing.sum())}
    if nan == "drop_samples" and used_genes is not None:
        unused = ~np.asarray(used_genes(frame.columns), dtype=bool) & missing.any(axis=0)
        if unused.any():
            log.warning(
                "%s: %d gene(s) the gene lists do not name have missing values, left out "
                "(their missing values drop no sample): %s",
                path or "matrix", int(unused.sum()), _preview(frame.columns[unused]),
            )  # fmt: skip
            gone = [str(g) for g in dict.fromkeys(frame.columns[unused])]
            frame = frame.loc[:, ~unused]
            frame.attrs = {**frame.attrs, "dropped_for_nan": gone}
            values = values[:, ~unused]
            missing = missing[:, ~unused]
            if not missing.any():
                return frame
    per_gene = missing.sum(axis=0)
    per_sample = missing.sum(axis=1)
    genes = frame.columns[per_gene > 0]
    what = f"{int(missing.sum())} NaN value(s) in {len(genes)} gene(s): {_preview(genes)}"
    empty = frame.index[per_sample == frame.shape[1]]
    if len(empty):
        what += f"; {len(empty)} sample(s) have no value at all: {_preview(empty)}"
    if nan == "error":
        # a sample with no value gives every gene a missing value (drop_genes would leave
        # none) and cannot be filled with means: only drop_samples applies (a trial)
        options = ["drop_samples"] if len(empty) else ["drop_genes", "drop_samples", "mean"]
        said = " or ".join(f"{{nan: {o}}}" for o in options)
        raise InputError(
            what + f" (in the notebooks set data_checks: {said}; in Python "
            f"read_expression(..., nan={options[0]!r}))",
            path=path,
        )
    if nan == "drop_samples":
        rows = per_sample > 0
        if rows.all():
            raise InputError(
                what + ": every sample has a missing value (genes with no value at all? "
                "data_checks: {nan: drop_genes} leaves out the genes instead)",
                path=path,
            )
        log.warning(
            "%s: dropping %d of %d sample(s) with NaN: %s",
            path or "matrix", int(rows.sum()), len(rows), _preview(frame.index[rows]),
        )  # fmt: skip
        kept = frame.loc[~rows]
        kept.attrs = {**frame.attrs, "samples_dropped_for_nan": [str(i) for i in frame.index[rows]]}
        return kept
    if nan == "drop_genes":
        if (per_gene > 0).all():
            raise InputError(
                what + ": every gene has a missing value (data_checks: {nan: drop_samples} "
                "leaves out the samples instead)",
                path=path,
            )
        log.warning("%s: dropping genes with NaN: %s", path or "matrix", what)
        kept = frame.loc[:, per_gene == 0]
        # Kept for the landmark/target selection, which tells these from genes not in the file;
        # an id with another column left (a duplicated id) is not dropped.
        left = set(kept.columns)
        gone = [str(g) for g in dict.fromkeys(genes) if g not in left]
        kept.attrs = {**frame.attrs, "dropped_for_nan": gone}
        return kept
    if len(empty):
        raise InputError(
            f"{len(empty)} sample(s) have no value at all: {_preview(empty)}; gene means "
            "would make them up whole (data_checks: {nan: drop_samples} leaves them out)",
            path=path,
        )
    all_nan = frame.columns[per_gene == frame.shape[0]]
    if len(all_nan):
        raise InputError(
            f"genes with no value to impute a mean from: {_preview(all_nan)}", path=path
        )
    log.warning("%s: imputing per-gene means for %s", path or "matrix", what)
    # by position: each column's own mean, also for the columns of a duplicated id
    filled = np.where(missing, np.nanmean(values, axis=0), values)
    out = pd.DataFrame(filled, index=frame.index, columns=frame.columns)
    # the column positions filled and their counts: _apply_duplicates, which always follows,
    # turns them into the genes filled (pipelines refuse them as targets, as a filled value
    # would be scored as measured) once it knows which columns of a duplicated id are kept
    positions = {int(k): int(per_gene[k]) for k in np.flatnonzero(per_gene)}
    out.attrs = {**frame.attrs, _IMPUTED_POSITIONS: positions}
    return out


#: ``attrs`` key of the number of missing values in a matrix as read, before the NaN policy
#: (:func:`read_expression`; absent when it has none).
NAN_VALUES_READ = "nan_values_read"

#: ``attrs`` key of :func:`_apply_nan_policy`'s column positions filled and their counts,
#: resolved into ``imputed_genes`` and ``values_imputed`` by :func:`_apply_duplicates`.
_IMPUTED_POSITIONS = "_imputed_positions"


def _resolve_imputed(attrs: dict[str, Any], columns: pd.Index, kept: np.ndarray) -> None:
    """Replace the filled column positions of ``attrs`` by the genes and counts of the
    columns ``kept`` (a duplicated id's first column with ``duplicates: first``; every
    column with ``mean``, which averages the filled values in)."""
    positions = attrs.pop(_IMPUTED_POSITIONS, None)
    if positions is None:
        return
    hit = {p: n for p, n in positions.items() if kept[p]}
    attrs["imputed_genes"] = list(dict.fromkeys(str(columns[p]) for p in hit))
    attrs["values_imputed"] = int(sum(hit.values()))


def _apply_duplicates(frame: pd.DataFrame, duplicates: str, path: Path | None) -> pd.DataFrame:
    dup = frame.columns.duplicated(keep=False)
    if not dup.any():
        _resolve_imputed(frame.attrs, frame.columns, np.ones(frame.shape[1], dtype=bool))
        return frame
    names = list(dict.fromkeys(frame.columns[dup]))
    what = f"{len(names)} duplicated gene id(s): {_preview(names)}"
    if duplicates == "error":
        raise InputError(
            what + " (in the notebooks set data_checks: {duplicates: mean} or {duplicates: "
            "first}; in Python read_expression(..., duplicates='mean') or 'first')",
            path=path,
        )
    attrs = dict(frame.attrs)
    first = ~frame.columns.duplicated(keep="first")
    every = np.ones(frame.shape[1], dtype=bool)  # mean: the filled values are averaged in
    _resolve_imputed(attrs, frame.columns, first if duplicates == "first" else every)
    if duplicates == "first":
        log.warning("%s: keeping the first column of %s", path or "matrix", what)
        merged = frame.loc[:, first]
    else:
        log.warning("%s: averaging %s (to change, set data_checks: {duplicates: first} or "
                    "{duplicates: error})", path or "matrix", what)  # fmt: skip
        merged = collapse_duplicates(frame)
    # which ids were merged, for the notebooks' data reports (not only a log line)
    merged.attrs = {**attrs, "duplicates_merged": names}
    return merged


def collapse_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Average the columns that share a gene id, keeping the order of first appearance.

    D-GEX (Chen et al. 2016) averaged the probes measuring the same gene; this is that step.

    Parameters
    ----------
    frame
        Samples x genes matrix whose column names may repeat.

    Returns
    -------
    pandas.DataFrame
        One column per distinct gene id.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame.
    """
    _require_frame(frame)
    if not frame.columns.duplicated().any():
        return frame
    order = list(dict.fromkeys(frame.columns))
    out = frame.T.groupby(level=0, sort=False).mean().T
    out = out.loc[:, order]
    out.columns.name = frame.columns.name
    return out


def rename_genes(
    frame: pd.DataFrame,
    mapping: Mapping[str, str] | pd.Series | pd.DataFrame,
    *,
    duplicates: str = DataChecks.duplicates,
    unmapped: str = "keep",
) -> pd.DataFrame:
    """Relabel gene columns with an annotation table (e.g. probe id -> gene symbol).

    Parameters
    ----------
    frame
        Samples x genes matrix.
    mapping
        dict or Series old id -> new id, or a two-column DataFrame (old, new) such as
        ``probes.tsv[["probe", "NCBI.gene.symbol"]]``. Empty/NaN new ids count as unmapped.
    duplicates
        Columns that end up with the same id: ``"mean"`` (average, as D-GEX did for probes of
        one gene), ``"first"`` or ``"error"``.
    unmapped
        Columns without a new id: ``"keep"`` their old id, ``"drop"`` them (logged), or
        ``"error"``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame, or ``unmapped="error"`` and a column has no new name.
    ParameterError
        An unknown policy, or a mapping DataFrame without exactly two columns.
    """
    _require_frame(frame)
    _choice(duplicates, _DUPLICATE_POLICIES, "duplicates")
    _choice(unmapped, ("keep", "drop", "error"), "unmapped")
    if isinstance(mapping, pd.DataFrame):
        if mapping.shape[1] != 2:
            raise ParameterError("a mapping DataFrame needs exactly two columns (old id, new id)")
        mapping = pd.Series(mapping.iloc[:, 1].to_numpy(), index=mapping.iloc[:, 0].astype(str))
    series = pd.Series(mapping, dtype=object)
    series = series[series.notna() & (series.astype(str).str.strip() != "")].astype(str)
    series = series[~series.index.duplicated(keep="first")]
    new = pd.Series(frame.columns, index=frame.columns).map(series)
    lost = list(frame.columns[new.isna().to_numpy()])
    if lost and unmapped == "error":
        raise InputError(f"{len(lost)} gene id(s) have no new name: {_preview(lost)}")
    out = frame
    if lost and unmapped == "drop":
        log.warning("dropping %d column(s) without a new name: %s", len(lost), _preview(lost))
        keep = new.notna().to_numpy()
        out, new = frame.loc[:, keep], new[keep]
    labels = [
        n if isinstance(n, str) else old for old, n in zip(out.columns, new.tolist(), strict=True)
    ]
    out = out.copy()
    out.columns = pd.Index(labels, name=frame.columns.name)
    return _apply_duplicates(out, duplicates, None)


#: The formats :func:`write_expression` writes (of :data:`EXPRESSION_FORMATS`).
WRITTEN_FORMATS = ("tsv", "csv", "parquet", "hdf5")


def writable_format(path: str | os.PathLike) -> str:
    """The format :func:`write_expression` would write ``path`` in, checked before any work.

    Parameters
    ----------
    path
        The file to write.

    Returns
    -------
    str
        One of :data:`WRITTEN_FORMATS`.

    Raises
    ------
    InputError
        An extension of a format that is read but not written, or an unknown one.
    """
    name = Path(path).name.lower()
    fmt = next(
        (f for f, exts in EXPRESSION_FORMATS.items() if name.removesuffix(".gz").endswith(exts)),
        None,
    )
    if fmt not in WRITTEN_FORMATS or (name.endswith(".gz") and fmt not in ("tsv", "csv")):
        written = ", ".join(e for f in WRITTEN_FORMATS for e in EXPRESSION_FORMATS[f])
        raise InputError(
            f"cannot be written: the extensions written are {written} (text also .gz)", path=path
        )
    return str(fmt)


def write_expression(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a samples x genes matrix atomically, in a layout :func:`read_expression` reads back.

    ``.tsv``/``.csv`` (``.gz`` too), ``.parquet`` or ``.h5``/``.hdf5`` (datasets ``matrix``,
    ``samples``, ``genes``; h5py only).

    Parameters
    ----------
    frame
        Samples x genes matrix.
    path
        Output file; its suffix chooses the format.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame, or the extension of ``path`` is not a format written
        (:func:`writable_format`).
    """
    frame = _require_frame(frame)
    return write_expression_chunks([frame], path, n_samples=len(frame))


def write_expression_chunks(
    chunks: Iterable[pd.DataFrame], path: str | os.PathLike, *, n_samples: int | None = None
) -> Path:
    """Write a samples x genes matrix given as consecutive blocks of samples, as
    :func:`write_expression` writes it whole, holding one block in memory at a time.

    Parameters
    ----------
    chunks
        Samples x genes blocks with the same columns and column types, in sample order (at
        least one), indexed by sample ids (for parquet, a RangeIndex only in a single block).
    path
        Output file; its suffix chooses the format (:func:`writable_format`).
    n_samples
        The number of samples in all blocks; required for HDF5, whose matrix is laid out
        whole before the first block is written (a growing one cannot fail cleanly on a full
        disk).

    Returns
    -------
    pathlib.Path
        The file written, atomically: nothing is left at ``path`` if a block fails.

    Raises
    ------
    InputError
        An extension of a format not written, no block, blocks whose columns (or, for
        parquet, column types or index) differ, or other than ``n_samples`` samples.
    ParameterError
        HDF5 without ``n_samples``.
    """
    target = Path(path)
    fmt = writable_format(target)
    if fmt == "hdf5" and n_samples is None:
        raise ParameterError("write_expression_chunks needs n_samples to write HDF5")
    with atomic_path(target) as tmp:
        writer = _BlockWriter(tmp, fmt, target=target, n_samples=n_samples)
        try:
            for chunk in chunks:
                writer.write(chunk)
                del chunk  # one block in memory while the next is computed
            writer.finish()
        finally:
            writer.close()
    return target


class _BlockWriter:
    """Appends blocks of samples to a matrix file in :func:`write_expression`'s layout."""

    def __init__(self, path: Path, fmt: str, *, target: Path, n_samples: int | None) -> None:
        self.path, self.fmt, self.target, self.n_samples = path, fmt, target, n_samples
        self.columns: pd.Index | None = None
        self.rows = 0
        self._samples: list[str] = []
        self._handle: Any = None

    def write(self, chunk: pd.DataFrame) -> None:
        if self.columns is not None and not chunk.columns.equals(self.columns):
            raise InputError("blocks with different columns", path=self.target)
        first = self.columns is None
        self.columns = chunk.columns
        if self.fmt in ("tsv", "csv"):
            if first:
                gz = self.path.name.lower().endswith(".gz")
                self._handle = (gzip.open if gz else open)(self.path, "wt", encoding="utf-8")
            chunk.to_csv(self._handle, sep="\t" if self.fmt == "tsv" else ",", header=first)
        elif self.fmt == "parquet":
            self._write_parquet(chunk, first)
        else:
            self._write_hdf5(chunk, first)
        self.rows += len(chunk)

    def _write_parquet(self, chunk: pd.DataFrame, first: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not first and isinstance(chunk.index, pd.RangeIndex):
            raise InputError(
                "blocks after the first need sample ids, not a RangeIndex", path=self.target
            )
        table = pa.Table.from_pandas(chunk, preserve_index=None)  # as DataFrame.to_parquet
        if first:
            self._handle = pq.ParquetWriter(self.path, table.schema)
        elif not table.schema.equals(self._handle.schema, check_metadata=False):
            raise InputError(
                "blocks with different column types or index (parquet keeps the first block's)",
                path=self.target,
            )
        self._handle.write_table(table.replace_schema_metadata(self._handle.schema.metadata))

    def _write_hdf5(self, chunk: pd.DataFrame, first: bool) -> None:
        import h5py

        assert self.n_samples is not None  # checked by write_expression_chunks
        values = chunk.to_numpy(dtype=np.float64)
        if first:  # contiguous, laid out whole: a full disk fails as an OSError
            self._handle = h5py.File(self.path, "w")
            self._handle.create_dataset("matrix", (self.n_samples, values.shape[1]), "f8")
        if self.rows + len(values) > self.n_samples:
            raise InputError(f"more than the {self.n_samples} samples announced", path=self.target)
        self._handle["matrix"][self.rows : self.rows + len(values)] = values
        self._samples.extend(chunk.index.map(str))

    def finish(self) -> None:
        """Check the blocks and complete the file (HDF5: its sample and gene ids)."""
        if self.columns is None:
            raise InputError("nothing to write (no samples)", path=self.target)
        if self.n_samples is not None and self.rows != self.n_samples:
            raise InputError(
                f"{self.rows} samples written, {self.n_samples} announced", path=self.target
            )
        if self.fmt == "hdf5":
            self._handle.create_dataset("samples", data=np.array(self._samples, dtype="S"))
            self._handle.create_dataset("genes", data=np.array(self.columns.map(str), dtype="S"))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

"""Gene lists, identifier matching and landmark/target selection."""

from __future__ import annotations

import csv
import gzip
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.data.expression._common import _choice, _preview, _require_file
from gexnb.data.expression.defaults import DataChecks
from gexnb.data.expression.readers import _open_text, gene_symbol_table, rename_genes
from gexnb.errors import InputError, ParameterError

log = logging.getLogger(__name__)


ID_TYPES = ("symbol", "ensembl", "probe")


_HEADER_WORDS = {
    "symbol",
    "gene",
    "genes",
    "gene_symbol",
    "ensembl",
    "ensembl_id",
    "probe",
    "probe_id",
    "id",
}


#: An Ensembl gene or transcript id of any species (ENSG, ENST, ENSMUSG, ...) with its
#: optional trailing ``.<version>``; group 1 is the id without the version.
_ENSEMBL = re.compile(r"^(ENS[A-Z]*[GT]\d+)(?:\.\d+)?$")

_ID_WORDS = {"symbol": "gene symbols", "ensembl": "Ensembl ids", "probe": "probe ids"}

#: Sample ids of the usual sources: TCGA barcodes, GEO samples (GSM), SRA/ENA/DDBJ runs and
#: samples, GTEx sample ids.
_SAMPLE_ID = re.compile(
    r"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}|GSM\d+|[SED]R[RS]\d+|SAM[NED][A-Z]?\d+|GTEX-[A-Z0-9]+)",
    re.IGNORECASE,
)
#: What a gene symbol looks like (HGNC ``NKX2-1``, ``HLA-A``, ``C1orf43``; mouse ``Mki67``).
_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+){0,2}$")


def _unversioned(ids: Iterable[str]) -> pd.Index:
    """The ids with the ``.<version>`` of Ensembl ids removed (other ids unchanged)."""
    index = pd.Index([str(i) for i in ids], dtype=object)
    if index.empty:
        return index
    return pd.Index(index.str.replace(_ENSEMBL, r"\1", regex=True), dtype=object)


def matrix_columns(names: Iterable[str], columns: Iterable[str]) -> dict[str, list[str]]:
    """The matrix columns behind each gene the landmark/target selection names.

    :func:`select_landmarks_targets` names a selected gene by its list id, which is not
    always a column of the file: a probe group (a comma-separated list field, the mean of
    those of its probes the matrix has: :func:`add_probe_groups`) stands for its probes, and
    an Ensembl id without a version for the column that has one (``ENSG00000141510.16``).

    Parameters
    ----------
    names
        Selected genes (``ExpressionData.landmarks``, ``.targets``, ``LandmarkData``'s
        columns).
    columns
        The file's matrix columns.

    Returns
    -------
    dict
        Each name -> the columns it stands for, in the matrix's order (empty: not in the
        matrix).
    """
    cols = [str(c) for c in columns]
    present = set(cols)
    by_unversioned: dict[str, list[str]] = {}
    for column, bare in zip(cols, _unversioned(cols), strict=True):
        if bare != column:
            by_unversioned.setdefault(bare, []).append(column)
    out: dict[str, list[str]] = {}
    for name in map(str, names):
        if name in present:
            out[name] = [name]
        elif "," in name:
            probes = {p.strip() for p in name.split(",")}
            out[name] = [c for c in cols if c in probes]
        else:
            out[name] = by_unversioned.get(name, [])
    return out


def _guess_id_type(ids: Iterable[str]) -> str:
    ids = [str(i) for i in ids][:200]
    ens = sum(bool(_ENSEMBL.match(i)) for i in ids)
    probe = sum(bool(re.search(r"_at$|_st$", i)) for i in ids)
    if ens >= max(probe, 1) and ens >= len(ids) / 2:
        return "ensembl"
    if probe >= len(ids) / 2 and probe:
        return "probe"
    return "symbol"


def read_gene_list(path: str | os.PathLike) -> pd.DataFrame:
    """Read a gene list: the D-GEX map files or a one-identifier-per-line list.

    D-GEX's ``map_lm.txt`` / ``map_tg.txt`` (Chen et al. 2016) have three tab-separated columns
    without header: gene symbol, Ensembl gene id, Affymetrix probe id. A one-column file gets its
    identifier type guessed (``ENSG...``/``ENST...`` of any species -> ensembl, ``..._at`` ->
    probe, otherwise symbol); the other columns are then empty. A two-column list (tab- or
    comma-separated, e.g. symbol and description) gives its first column. A first line made of
    words such as ``symbol``/``probe`` is a header and skipped; another first id that looks
    like a header (``x`` from R, ``Gene Symbol``) is kept in ``attrs["header_like"]``, named
    when it is missing from a matrix. Spaces and double quotes around ids are removed. A UTF-8
    byte order mark is skipped (the readers' ``_open_text``).

    Parameters
    ----------
    path
        The list (``.gz`` too).

    Returns
    -------
    pandas.DataFrame
        Columns ``symbol``, ``ensembl``, ``probe`` (object; None where unknown), in file order.

    Raises
    ------
    InputError
        A missing or empty list, a directory or symbolic link loop, ragged lines, a file that
        cannot be read (permissions, a truncated or corrupt ``.gz``) or that is not UTF-8 text
        (an Excel workbook, latin-1 text: the file, and the line when known, named).
    """
    path = Path(path)
    _require_file(path, "gene list not found")
    try:
        lines = _read_lines(path)
    except gzip.BadGzipFile as exc:
        raise InputError(
            f"not a valid gzip file ({exc}; the name ends in .gz)", path=path
        ) from None
    except (EOFError, zlib.error) as exc:
        raise InputError(f"truncated or corrupt gzip file ({exc})", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the gene list ({exc.strerror or exc})", path=path) from None
    rows = [ln.split("\t") for ln in lines if ln.strip()]
    if rows and all(_unquote(f).lower() in _HEADER_WORDS for f in rows[0]):
        rows = rows[1:]
    if not rows:
        raise InputError("empty gene list", path=path)
    if len(rows[0]) == 1 and len(rows) > 1 and all(_two_by_comma(r) for r in rows):
        rows = [next(csv.reader(r)) for r in rows]
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise InputError(
                f"expected {width} tab-separated fields, saw {len(r)}", path=path, line=i + 1
            )
    if width == 3:
        frame = pd.DataFrame(rows, columns=list(ID_TYPES))
    elif width in (1, 2):
        if width == 2:
            log.warning("%s: a gene list with two columns: reading the first", path)
        ids = [_unquote(r[0]) for r in rows]
        frame = pd.DataFrame({t: [None] * len(ids) for t in ID_TYPES}, dtype=object)
        frame[_guess_id_type(ids)] = ids
    else:
        raise InputError(f"a gene list has 1, 2 or 3 tab-separated columns, not {width}", path=path)
    for col in ID_TYPES:
        frame[col] = frame[col].map(
            lambda v: _unquote(v) if isinstance(v, str) and _unquote(v) else None
        )
    frame.attrs["path"] = str(path)
    first = _unquote(rows[0][0])
    if first.lower() in _HEADER_LIKE or " " in first:
        frame.attrs["header_like"] = first  # named if this id is missing from a matrix
    return frame


def _read_lines(path: Path) -> list[str]:
    """The lines of a text file (``.gz`` too), or the error saying it is not UTF-8 text
    (:func:`_not_text`); damaged or unreadable files raise the ``OSError``, ``EOFError`` or
    ``zlib.error`` of reading them."""
    try:
        with _open_text(path) as handle:
            return [ln.rstrip("\r\n") for ln in handle]
    except UnicodeDecodeError:
        raise _not_text(path) from None


#: First ids of a gene list that are rather a header line (R's write.table writes ``x``).
_HEADER_LIKE = frozenset({"x", "gene", "genes", "symbol", "symbols", "id", "ids", "name"})


def _unquote(field: str) -> str:
    """A field without surrounding spaces and double quotes (``"TP53"`` -> ``TP53``)."""
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        field = field[1:-1].strip()
    return field


def _two_by_comma(row: list[str]) -> bool:
    """True for a line of two comma-separated fields, the first an id (``TP53,tumor p53``)."""
    fields = next(csv.reader(row))
    return len(fields) == 2 and bool(_unquote(fields[0])) and " " not in _unquote(fields[0])


#: Starts of binary files a gene list is mistaken for, and what to call them.
_BINARY_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)


def _not_text(path: Path) -> InputError:
    """The error for a gene list that does not decode as UTF-8: what it looks like, or the
    line and byte that is not UTF-8."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            return InputError(
                f"looks like {kind}, not a text gene list; save it as UTF-8 text, one gene "
                "per line (or tab-separated symbol, Ensembl id, probe id)",
                path=path,
            )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return InputError(
            f"byte 0x{data[exc.start]:02x} is not UTF-8 text (latin-1 or another encoding?); "
            "save the gene list as UTF-8",
            path=path,
            line=line,
        )
    return InputError("is not UTF-8 text; save the gene list as UTF-8", path=path)


@dataclass
class GeneMatch:
    """Result of :func:`match_genes`.

    Parameters
    ----------
    found, missing, id_type, counts, labels, dropped
        Set the attributes of the same names (see Attributes); ``labels`` left empty
        becomes a copy of ``found``.

    Attributes
    ----------
    found
        Matrix column names matched, in gene-list order (no repeats).
    missing
        Gene-list identifiers (of ``id_type``) not in the matrix, in list order; those in
        ``dropped`` included.
    id_type
        Identifier type used: ``symbol``, ``ensembl`` or ``probe``.
    counts
        Number of list genes matched under each identifier type that was tried.
    labels
        The gene-list identifier of each ``found`` column (the column name itself, unless the
        two differ only in an Ensembl ``.<version>``).
    dropped
        The ``missing`` identifiers whose column the matrix file has but the input checks
        removed (NaN values under ``nan="drop_genes"``).
    """

    found: list[str]
    missing: list[str]
    id_type: str
    counts: dict[str, int] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.labels:
            self.labels = list(self.found)

    @property
    def n_total(self) -> int:
        """Number of genes in the list (found + missing)."""
        return len(self.found) + len(self.missing)

    @property
    def absent(self) -> list[str]:
        """The ``missing`` identifiers that the matrix file does not have at all."""
        gone = set(self.dropped)
        return [i for i in self.missing if i not in gone]


def _as_gene_list(gene_list: Any) -> pd.DataFrame:
    if isinstance(gene_list, pd.DataFrame):
        if not set(ID_TYPES) & set(gene_list.columns):
            raise ParameterError(f"gene list DataFrame needs columns among {ID_TYPES}")
        return gene_list
    if isinstance(gene_list, (str, os.PathLike)):
        return read_gene_list(gene_list)
    ids = [str(g) for g in gene_list]
    frame = pd.DataFrame({t: [None] * len(ids) for t in ID_TYPES}, dtype=object)
    frame[_guess_id_type(ids)] = ids
    return frame


def rows_hold_genes(
    gene_list: Any, *, path: str | os.PathLike | None = None
) -> Callable[[Sequence[str], Sequence[str]], bool]:
    """A ``genes_in_rows`` answer for :func:`~gexnb.data.expression.read_expression`: whether
    more of ``gene_list``'s genes are among a matrix's row ids than among its column ids, so
    that a genes x samples matrix (as GEO writes them) is read as such under ``orientation:
    auto`` (a new-user trial had to set the orientation; ``gexnb predict`` already told it
    from its landmark genes). Logged when it says so.

    Parameters
    ----------
    gene_list
        The landmark list (as :func:`match_genes` takes it).
    path
        The matrix's file, for the log.

    Returns
    -------
    callable
        ``(row ids, column ids) -> bool``.
    """
    table = _as_gene_list(gene_list)

    def answer(rows: Sequence[str], columns: Sequence[str]) -> bool:
        try:
            in_rows = len(match_genes(list(rows), table).found)
            in_columns = len(match_genes(list(columns), table).found)
        except InputError:  # ids the selection names precisely
            return False
        if in_rows <= in_columns:
            return False
        log.warning(
            "%s: %d landmark gene(s) are row ids (%d column ids): read as genes x samples "
            "(data_checks: {orientation: genes_x_samples} says so)",
            path or "matrix", in_rows, in_columns,
        )  # fmt: skip
        return True

    return answer


def list_genes(*gene_lists: Any) -> Callable[[pd.Index], np.ndarray]:
    """A ``used_genes`` answer for :func:`~gexnb.data.expression.read_expression`: which of a
    matrix's gene ids the lists name, under any of their identifiers (symbol, Ensembl id
    with or without its version, probe id, a probe of a comma-separated probe group), so
    that ``nan: drop_samples`` drops a sample for a missing value in a gene the notebook
    uses, not in any of the file's other genes (a reviewer's finding).

    Parameters
    ----------
    *gene_lists
        As :func:`match_genes`: list files, :func:`read_gene_list` DataFrames or ids.

    Returns
    -------
    callable
        ``gene ids -> boolean array``, True where a list names the gene.
    """
    named: set[str] = set()
    for gene_list in gene_lists:
        table = _as_gene_list(gene_list)
        for column in (c for c in ID_TYPES if c in table.columns):
            for value in table[column].dropna():
                named.update(p.strip() for p in str(value).split(","))
    keys = set(_unversioned(named))

    def answer(ids: pd.Index) -> np.ndarray:
        return np.asarray(_unversioned(ids).isin(keys), dtype=bool)

    return answer


def gene_list_rows(gene_list: Any, id_type: str, ids: Iterable[str]) -> pd.DataFrame:
    """The rows of a gene list that named the given ids (every identifier of each gene).

    Parameters
    ----------
    gene_list
        As :func:`match_genes`: a list file, a :func:`read_gene_list` DataFrame or ids.
    id_type
        The identifier column the ids are from (``GeneMatch.id_type``).
    ids
        Identifiers of that column (e.g. the columns of a matrix matched on the list).

    Returns
    -------
    pandas.DataFrame
        Column ``id`` (the given ids, in order) and the list's identifier columns
        (``symbol``, ``ensembl``, ``probe``; None where the list has none), one row per id:
        the list's first row of that id (an id the list lacks keeps only ``id``).
    """
    table = _as_gene_list(gene_list).reset_index(drop=True).copy()
    for column in ID_TYPES:
        if column not in table:
            table[column] = None
    ids = [str(i) for i in ids]
    first = table.drop_duplicates(subset=[id_type]).set_index(id_type, drop=False)
    rows = first.reindex(ids).astype(object)
    rows = rows.where(rows.notna(), None)
    rows[id_type] = ids
    rows.insert(0, "id", ids)
    return rows.reset_index(drop=True).loc[:, ["id", *ID_TYPES]]


def _resolve(ids: Iterable[str], columns: Iterable[str]) -> tuple[pd.Series, dict[str, list[str]]]:
    """The matrix column of each list id: the same name, else one equal but for an Ensembl version.

    Parameters
    ----------
    ids
        List identifiers (repeats are dropped).
    columns
        Matrix column names.

    Returns
    -------
    resolved, ambiguous
        Series list id -> matrix column (NaN where none), in list order; and the list ids
        without a column of their exact name that match several columns differing only in
        their versions (``ENSG1`` against ``ENSG1.1`` and ``ENSG1.2``), with those columns.
    """
    wanted = pd.Index(list(dict.fromkeys(ids)), dtype=object)
    cols = pd.Index(list(dict.fromkeys(str(c) for c in columns)), dtype=object)
    col_keys = _unversioned(cols)
    by_key = pd.Series(cols, index=col_keys)
    n_per_key = col_keys.value_counts()
    first_per_key = by_key[~col_keys.duplicated()]
    keys = _unversioned(wanted)
    exact = pd.Series(wanted.isin(cols), index=wanted)
    n_cols = pd.Series(keys.map(n_per_key), index=wanted, dtype="float64").fillna(0)
    unclear = ~exact & (n_cols > 1)
    resolved = pd.Series(keys.map(first_per_key), index=wanted, dtype=object)
    resolved = resolved.where(~unclear).mask(exact, pd.Series(wanted, index=wanted))
    ambiguous = {
        str(i): [str(c) for c in by_key.loc[[k]]]
        for i, k in zip(wanted[unclear.to_numpy()], keys[unclear.to_numpy()], strict=True)
    }
    return resolved, ambiguous


def name_by_stored_symbols(
    frame: pd.DataFrame, path: str | os.PathLike, gene_list: Any, *, duplicates: str = "mean"
) -> pd.DataFrame:
    """``frame`` with its genes named by the symbols its file stores beside their ids
    (:func:`~gexnb.data.expression.gene_symbol_table`: a LINCS GCTX's ``pr_gene_symbol``
    beside its Entrez ids, a GTEx GCT's ``Description``), when ``gene_list`` matches more of
    those symbols than of the ids (logged); else ``frame`` unchanged. Ids of one symbol are
    combined by ``duplicates``; ids without a symbol keep their id. An L1000 GCTX, named by
    Entrez ids, matched no gene of D-GEX's lists (symbol, Ensembl id, probe).

    Parameters
    ----------
    frame
        Samples x genes, as read from ``path``.
    path
        Its file.
    gene_list
        The genes wanted (as :func:`match_genes` takes them).
    duplicates
        ``"mean"`` or ``"first"`` for ids of one symbol (:func:`rename_genes`).

    Returns
    -------
    pandas.DataFrame
        Renamed, or ``frame`` itself.
    """
    stored = gene_symbol_table(path)
    if stored is None:
        return frame
    by_id = len(match_genes(frame, gene_list).found)
    by_symbol = len(match_genes(list(dict.fromkeys(stored["symbol"])), gene_list).found)
    if by_symbol <= by_id:
        return frame
    log.warning(
        "%s: the gene list matches %d of the symbols the file stores beside its ids, %d of "
        "its ids: its genes are named by those symbols",
        path, by_symbol, by_id,
    )  # fmt: skip
    renamed = rename_genes(frame, stored, duplicates=duplicates, unmapped="keep")
    renamed.attrs = {**frame.attrs, **renamed.attrs}
    return renamed


def match_genes(
    gene_ids: Any,
    gene_list: Any,
    *,
    id_type: str = "auto",
    dropped: Iterable[str] = (),
    path: str | os.PathLike | None = None,
) -> GeneMatch:
    """Find the genes of a list among a matrix's gene ids.

    Ensembl gene and transcript ids (``ENSG``, ``ENST``, ``ENSMUSG``, ...) match ignoring a
    trailing ``.<version>`` on either side when the exact id is not a column.

    Parameters
    ----------
    gene_ids
        The matrix's gene ids (a DataFrame's columns are used).
    gene_list
        DataFrame from :func:`read_gene_list`, a path to such a file, or a sequence of ids.
    id_type
        ``"auto"``: the identifier column with the most matches (ties: probe, ensembl, symbol);
        or ``"symbol"``, ``"ensembl"``, ``"probe"``.
    dropped
        Gene ids the input checks removed from the matrix (NaN values): listed genes among
        them are reported in ``GeneMatch.dropped``.
    path
        The matrix's file, named in errors.

    Returns
    -------
    GeneMatch

    Raises
    ------
    InputError
        A list id that matches several columns differing only in their Ensembl versions.
    """
    _choice(id_type, ("auto", *ID_TYPES), "id_type")
    columns = gene_ids.columns if isinstance(gene_ids, pd.DataFrame) else gene_ids
    columns = [str(c) for c in columns]
    table = _as_gene_list(gene_list)
    candidates = [id_type] if id_type != "auto" else ["probe", "ensembl", "symbol"]
    candidates = [c for c in candidates if c in table.columns]
    resolved = {
        col: _resolve((i for i in table[col] if isinstance(i, str)), columns) for col in candidates
    }
    counts = {col: int(resolved[col][0].notna().sum()) for col in candidates}
    usable = [c for c in candidates if table[c].notna().any()] or candidates
    chosen = max(usable, key=lambda c: counts[c]) if id_type == "auto" else id_type
    columns_of, ambiguous = resolved[chosen]
    if ambiguous:
        gene, cols = next(iter(ambiguous.items()))
        raise InputError(
            f"{len(ambiguous)} gene(s) of the list match several matrix columns that differ only "
            f"in their Ensembl version, e.g. {gene} -> {', '.join(cols)}: give versioned ids in "
            "the list or keep one column per gene in the matrix",
            path=path,
        )
    hits = columns_of.dropna()
    repeated = hits.duplicated()
    if repeated.any():
        log.warning(
            "%d list id(s) match a column already matched by another id of the list "
            "(Ensembl versions), counted once: %s",
            int(repeated.sum()),
            _preview(list(hits.index[repeated.to_numpy()])),
        )
        hits = hits[~repeated]
    renamed = int((hits.index != hits.to_numpy()).sum())
    if renamed:
        log.info("%d gene(s) matched ignoring their Ensembl version", renamed)
    missing = [str(i) for i in columns_of.index[columns_of.isna().to_numpy()]]
    lost: list[str] = []
    dropped = [str(d) for d in dropped]
    if missing and dropped:
        in_dropped = _resolve(missing, dropped)[0]
        lost = [str(i) for i in in_dropped.index[in_dropped.notna().to_numpy()]]
    return GeneMatch(
        found=[str(c) for c in hits],
        missing=missing,
        id_type=chosen,
        counts=counts,
        labels=[str(i) for i in hits.index],
        dropped=lost,
    )


def _list_source(gene_list: Any) -> str:
    """`` of <file>`` for a gene list read from a file, else ``""``."""
    if isinstance(gene_list, (str, os.PathLike)):
        return f" of {gene_list}"
    if isinstance(gene_list, pd.DataFrame) and gene_list.attrs.get("path"):
        return f" of {gene_list.attrs['path']}"
    return ""


#: What the message for a gene list that matches nothing calls a list of whole numbers (a
#: new-user trial's Entrez ids were called "gene symbols"); gexnb matches symbols, Ensembl
#: and probe ids. A matrix' whole-number ids are :data:`_WHOLE_NUMBERS`.
_ENTREZ_WORDS = "Entrez (NCBI gene) ids, which gexnb does not match: map them to symbols"


def _entrez(ids: Sequence[str]) -> bool:
    """Whether most of ``ids`` are whole numbers (Entrez gene ids)."""
    return bool(ids) and sum(i.isdigit() for i in ids) >= len(ids) / 2


def _describe_ids(ids: Iterable[str]) -> tuple[str, str]:
    """What most of (the first 200 of) ``ids`` look like, and one of them that does so:
    ``("sample ids", "TCGA-76-1000-01A")``, ``("gene symbols", "TP53")``, ``("Ensembl ids",
    ...)``, ``("probe ids", ...)`` or ``("ids of no kind gexnb knows", <the first>)``."""
    ids = [str(i) for i in ids][:200]
    if not ids:  # a matrix of no samples (gexnb predict's look at a file's gene ids alone)
        return "ids of no kind gexnb knows", ""
    kind = _guess_id_type(ids)
    tests = {
        "ensembl": ("Ensembl ids", _ENSEMBL.match),
        "probe": ("probe ids", re.compile(r"_at$|_st$").search),
    }
    if kind in tests:
        word, test = tests[kind]
    elif sum(bool(_SAMPLE_ID.match(i)) for i in ids) >= len(ids) / 2:
        word, test = "sample ids", _SAMPLE_ID.match
    elif _entrez(ids):  # of a matrix: sample numbers as likely as Entrez ids (a review)
        return _WHOLE_NUMBERS, next(i for i in ids if i.isdigit())
    elif sum(bool(_SYMBOL.match(i)) for i in ids) >= len(ids) / 2:
        word, test = "gene symbols", _SYMBOL.match
    else:
        return "ids of no kind gexnb knows", ids[0] if ids else ""
    return word, next((i for i in ids if test(i)), ids[0])


#: What :func:`_describe_ids` calls a matrix' ids that are whole numbers.
_WHOLE_NUMBERS = "whole numbers (sample numbers, or Entrez gene ids, which gexnb does not match)"
#: What :func:`_describe_ids` calls ids that are no gene ids gexnb matches.
_NOT_GENES = ("sample ids", "ids of no kind gexnb knows", _WHOLE_NUMBERS)


def _rows_look_like_genes(expression: pd.DataFrame) -> str:
    """A hint when a matrix's columns look like no gene ids but its row ids do: a genes x
    samples matrix whose genes the list names by another identifier (a new-user trial got
    only "the matrix columns look like ids of no kind gexnb knows"); ``""`` otherwise."""
    if _describe_ids(expression.columns)[0] not in _NOT_GENES:
        return ""
    kind, example = _describe_ids(expression.index)
    if kind in _NOT_GENES:
        return ""
    return (
        f"; its row ids look like {kind} (e.g. {example!r}): a genes x samples matrix? (in "
        "the notebooks data_checks: {orientation: genes_x_samples}), with a list that names "
        "its genes by those ids"
    )


def _nothing_matches(
    label: str, match: GeneMatch, gene_list: Any, columns: pd.Index, *, transposed: bool
) -> str:
    """Why no id of a gene list is a matrix column: the id kinds of each, one example each
    (``transposed``: the list's genes are the matrix's row ids, so its columns are samples)."""
    table = _as_gene_list(gene_list)
    kinds = [t for t in ID_TYPES if t in table.columns and table[t].notna().any()]
    given = [
        f"{_ENTREZ_WORDS if _entrez(list(map(str, table[t].dropna()))[:200]) else _ID_WORDS[t]}"
        f" (e.g. {table[t].dropna().iloc[0]!r})"
        for t in kinds
    ]
    matrix_kind, example = _describe_ids(columns)
    if transposed and matrix_kind != "sample ids":
        matrix_kind = "sample ids, not genes"
    hint = ""
    if matrix_kind in ("Ensembl ids", "probe ids") and all(
        _ID_WORDS[t] != matrix_kind for t in kinds
    ):
        hint = (
            f"; to name genes by another id than the matrix's, give a table of its {matrix_kind} "
            "and their symbols (notebook 04: probes_path, columns probe and HUGO.gene.symbol; "
            "notebooks 01 and 03: a gene list with both columns, as D-GEX's map_lm.txt)"
        )
    return (
        f"no id of the {label} list{_list_source(gene_list)} matches any column of the matrix "
        f"({match.n_total} {label} genes, tried {' and '.join(_ID_WORDS[t] for t in kinds)}): "
        f"the list gives {' and '.join(given)}, the matrix columns look like {matrix_kind} "
        f"(e.g. {example!r}){hint}"
    )


def _missing_detail(match: GeneMatch, k: int = 10, *, list_is_fixed: bool = False) -> str:
    """The missing genes (the first ``k`` named), split into those absent from the file and
    those dropped for NaN (``list_is_fixed``: a saved model's inputs, which ``gexnb predict``
    reads without data_checks: every value is needed)."""
    absent = match.absent
    if not match.dropped:
        return f"first missing: {_first(absent, k)}"
    parts = [f"{len(absent)} absent from the file (first: {_first(absent, k)})"] if absent else []
    parts.append(
        f"{len(match.dropped)} with missing values (first: {_first(match.dropped, k)}): the "
        "model needs every landmark value of every sample; fill them, or leave out the "
        "samples that lack them"
        if list_is_fixed
        else f"{len(match.dropped)} left out for their NaN values by data_checks nan "
        f"(first: {_first(match.dropped, k)})"
    )
    return "; ".join(parts)


def _first(ids: Sequence[str], k: int) -> str:
    """The first ``k`` of ``ids``, then ``and N more``."""
    shown = ", ".join(str(i) for i in ids[:k])
    return shown + (f" and {len(ids) - k} more" if len(ids) > k else "")


def case_suggestions(missing: Iterable[str], columns: Iterable[str]) -> dict[str, list[str]]:
    """Matrix columns equal to a missing list id but for letter case.

    Gene matching is case-sensitive (``Mki67``, the mouse symbol, is not ``MKI67``); a
    listed gene that differs from a column only in case is most often a typing or species
    slip, worth naming in the message about the missing genes. Nothing is matched here.

    Parameters
    ----------
    missing
        List ids not found in the matrix.
    columns
        The matrix's gene ids.

    Returns
    -------
    dict
        Missing id -> the columns it equals ignoring case (list order; ids with none left out).
    """
    by_folded: dict[str, list[str]] = {}
    for col in dict.fromkeys(str(c) for c in columns):
        by_folded.setdefault(col.casefold(), []).append(col)
    found = {str(i): by_folded.get(str(i).casefold(), []) for i in missing}
    return {i: cols for i, cols in found.items() if cols}


def _did_you_mean(
    missing: Iterable[str], columns: Iterable[str], k: int = 3, *, list_is_fixed: bool = False
) -> str:
    """``; gene matching is case-sensitive: did you mean MKI67 (listed as Mki67)?`` for the
    first ``k`` missing ids that equal a column but for case, else ``""``. With
    ``list_is_fixed`` (a saved model's list, which the user cannot change) the matrix's
    columns are the ones to rename."""
    hints = case_suggestions(missing, columns)
    if not hints:
        return ""
    more = f" and {len(hints) - k} more" if len(hints) > k else ""
    if list_is_fixed:
        shown = [f"{' or '.join(cols)} for {i}" for i, cols in list(hints.items())[:k]]
        return (
            f"; gene matching is case-sensitive: the matrix has {', '.join(shown)}{more}; "
            "rename its columns as the model lists them"
        )
    shown = [f"{' or '.join(cols)} (listed as {i})" for i, cols in list(hints.items())[:k]]
    return f"; gene matching is case-sensitive: did you mean {', '.join(shown)}{more}?"


_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
#: A gene symbol that a spreadsheet turned into a date (SEPT2 -> 2-Sep, MARCH1 -> 1-Mar).
_EXCEL_DATE = re.compile(rf"^(?:\d{{1,2}}-(?:{_MONTHS})|(?:{_MONTHS})-\d{{1,2}})$", re.IGNORECASE)


def _excel_dates(columns: Iterable[str]) -> str:
    """``; the matrix has 3 ids that look like Excel dates (...)`` when some matrix ids look
    like gene symbols a spreadsheet converted to dates, else ``""``."""
    dates = [str(c) for c in columns if _EXCEL_DATE.match(str(c))]
    if not dates:
        return ""
    return (
        f"; the matrix has {len(dates)} id(s) that look like Excel dates ({_first(dates, 3)}): "
        "genes such as SEPT2, MARCH1 converted by a spreadsheet; re-export the matrix "
        "without that conversion (import the gene column as text)"
    )


def _missing_hints(match: GeneMatch, gene_list: Any, expression: pd.DataFrame) -> str:
    """Hints on why list genes are missing, beyond their case (:func:`_did_you_mean`): a
    header line or comma-joined ids in the list, spreadsheet dates among the matrix ids, and
    the further genes of an ``.h5ad``'s ``adata.raw``; ``""`` when none applies."""
    hints = [_excel_dates(expression.columns)]
    absent = set(match.absent)
    commas = [i for i in match.absent if "," in i]
    if commas:
        hints.append(
            f"; list ids such as {commas[0]!r} hold commas: comma-separated? give one gene "
            "per line (or tab-separated symbol, Ensembl id, probe id)"
        )
    header = None
    if isinstance(gene_list, (str, os.PathLike, pd.DataFrame)):
        try:
            header = _as_gene_list(gene_list).attrs.get("header_like")
        except InputError:
            header = None
    if header is not None and header in absent:
        hints.append(
            f"; line 1{_list_source(gene_list)} ({header!r}) looks like a header: remove it "
            "(a list holds one gene per line)"
        )
    raw = expression.attrs.get("h5ad_raw_genes")
    if raw and absent:
        hints.append(
            f"; the .h5ad file's X holds {expression.shape[1]:,} genes but adata.raw has "
            f"{int(raw):,}: write adata.raw.to_adata() to its own file to use them"
        )
    return "".join(hints)


def check_gene_list(
    expression: pd.DataFrame,
    gene_list: Any,
    *,
    label: str,
    max_missing: float = 0.0,
    setting: str | None = None,
    id_type: str = "auto",
    dropped: Iterable[str] = (),
    path: str | os.PathLike | None = None,
    list_is_fixed: bool = False,
) -> GeneMatch:
    """:func:`match_genes`, refusing a list with too many genes missing from the matrix.

    The error says why the genes are missing where it can tell: a transposed matrix (the
    genes are row ids), letter case, a header line or commas in the list, spreadsheet dates
    among the matrix ids, an ``.h5ad``'s fuller ``adata.raw``, genes dropped for NaN values,
    or ids of different kinds in the list and the matrix.

    Parameters
    ----------
    expression
        Samples x genes matrix.
    gene_list
        As :func:`match_genes`.
    label
        What the genes are (``"landmark"``, ``"target"``), for the message.
    max_missing
        Largest allowed fraction of the list absent from the matrix.
    setting
        The notebook setting of ``max_missing`` named in the message (e.g.
        ``"max_missing_targets"``); None when there is none: every gene must be there.
    id_type, dropped, path
        As :func:`match_genes`.
    list_is_fixed
        The list is a saved model's, not the user's: a hint on letter case asks to rename
        the matrix's columns, not to correct the list, and genes with missing values are
        said to need filling (``gexnb predict`` has no data_checks to drop them).

    Returns
    -------
    GeneMatch

    Raises
    ------
    InputError
        An empty list, or more than ``max_missing`` of it (or every gene) missing.
    """
    match = match_genes(expression, gene_list, id_type=id_type, dropped=dropped, path=path)
    if match.n_total == 0:
        raise InputError(f"the {label} list is empty")
    frac = len(match.missing) / match.n_total
    if match.found and frac <= max_missing:
        return match
    in_rows = match_genes(list(expression.index), gene_list)
    transposed = len(in_rows.found) > len(match.found)
    hint = (
        f"; transposed? {len(in_rows.found)} of them are in the row index (e.g. "
        f"{in_rows.found[0]!r}): the rows are genes, but the matrix must be samples x "
        "genes (in the notebooks set data_checks: {orientation: genes_x_samples}; in "
        "Python read_expression(..., orientation='genes_x_samples'))"
        if transposed
        else ""
    )
    case = _did_you_mean(match.absent, expression.columns, list_is_fixed=list_is_fixed)
    case += _missing_hints(match, gene_list, expression) if match.absent else ""
    source = _list_source(gene_list)
    if not match.found and not match.dropped:
        message = _nothing_matches(
            label, match, gene_list, expression.columns, transposed=transposed
        )
        hint = hint or _rows_look_like_genes(expression)
    elif not match.found:
        message = (
            f"none of the {match.n_total} {label} genes{source} is left in "
            f"the matrix (matched by {match.id_type}): "
            f"{_missing_detail(match, list_is_fixed=list_is_fixed)}"
        )
    elif setting is None:
        message = (
            f"{len(match.missing)} of {match.n_total} {label} genes{source} are missing from "
            f"the matrix (matched by {match.id_type}); "
            f"{_missing_detail(match, list_is_fixed=list_is_fixed)}"
        )
    else:
        message = (
            f"{len(match.missing)} of {match.n_total} {label} genes{source} "
            f"({frac:.1%}) are missing from the matrix (matched by {match.id_type}; "
            f"data_checks: {{{setting}: {max_missing:g}}} allows {max_missing:.1%}); "
            f"{_missing_detail(match)}"
        )
    raise InputError(message + case + hint, path=path)


def check_not_imputed(
    expression: pd.DataFrame, targets: Sequence[Any], *, path: Any = None, fix: str = ""
) -> None:
    """Refuse target genes whose missing values ``nan: mean`` filled
    (``expression.attrs["imputed_genes"]``): their filled values would be trained on and
    scored as measured ones.

    Parameters
    ----------
    expression
        The matrix as read.
    targets
        Its target columns.
    path
        File named in the error.
    fix
        What to do instead; by default, ``nan: drop_genes`` to leave them out.

    Raises
    ------
    InputError
        Naming the genes.
    """
    filled = set(expression.attrs.get("imputed_genes", ()))
    hit = [str(t) for t in targets if str(t) in filled]
    if hit:
        raise InputError(
            f"{len(hit)} target gene(s) have missing values: {_preview(hit)}; data_checks "
            "{nan: mean} fills input genes only, as a filled target value would be scored "
            "as a measured one; " + (fix or "set {nan: drop_genes} to leave those targets out"),
            path=path,
        )


def _without_filled_targets(
    tg: GeneMatch, expression: pd.DataFrame, max_missing: float, path: Any
) -> tuple[GeneMatch, list[str]]:
    """The target match without the genes ``nan: mean`` filled (``attrs["imputed_genes"]``):
    their filled values would be trained on and scored as measured ones. They join the
    missing targets, within ``max_missing_targets``, and are logged; also the left-out ids.
    """
    filled_columns = set(expression.attrs.get("imputed_genes", ()))
    gone = [label for c, label in zip(tg.found, tg.labels, strict=True) if c in filled_columns]
    if not gone:
        return tg, []
    kept = [(c, label) for c, label in zip(tg.found, tg.labels, strict=True)
            if c not in filled_columns]  # fmt: skip
    tg = GeneMatch(
        found=[c for c, _ in kept], missing=[*tg.missing, *gone], id_type=tg.id_type,
        counts=tg.counts, labels=[label for _, label in kept], dropped=[*tg.dropped, *gone],
    )  # fmt: skip
    why = (
        f"{len(gone)} target gene(s) have missing values, which data_checks {{nan: mean}} "
        f"fills in input genes only, as a filled target value would be scored as a measured "
        f"one: {_preview(gone)}"
    )
    frac = len(tg.missing) / tg.n_total
    if not tg.found or frac > max_missing:
        raise InputError(
            f"{why}; left out, {len(tg.missing)} of {tg.n_total} targets ({frac:.1%}) are "
            f"missing, data_checks: {{max_missing_targets: {max_missing:g}}} allows "
            f"{max_missing:.1%}",
            path=path,
        )
    log.warning("%s: %s; they are left out", path or "matrix", why)
    return tg, gone


def add_probe_groups(expression: pd.DataFrame, *gene_lists: Any) -> pd.DataFrame:
    """The matrix with one column per probe group of the lists: a list row whose probe field
    names several probes, comma-separated (D-GEX's ``map_tg.txt`` lists 3,755 of its 9,520
    targets so: ``MADD ... 38398_at,210252_s_at``), gets a column named by that field, the
    mean of those of its probes the matrix has, as D-GEX averaged a gene's probes (Chen et
    al., Bioinformatics 2016). A group whose probes are all absent gets none.

    Parameters
    ----------
    expression
        Samples x genes matrix.
    *gene_lists
        As :func:`match_genes`: list files, :func:`read_gene_list` DataFrames or ids.

    Returns
    -------
    pandas.DataFrame
        ``expression`` itself when no list has a probe group among the matrix's probes; else
        a copy with the group columns appended (its ``attrs`` kept; a group with a probe that
        ``nan: mean`` filled is filled: ``attrs["imputed_genes"]``).
    """
    columns = set(map(str, expression.columns))
    groups: dict[str, list[str]] = {}
    for gene_list in gene_lists:
        table = _as_gene_list(gene_list)
        if "probe" not in table.columns:
            continue
        for field_ in table["probe"]:
            if not isinstance(field_, str) or "," not in field_ or field_ in columns:
                continue
            present = [p for p in (q.strip() for q in field_.split(",")) if p in columns]
            if present:
                groups[field_] = present
    if not groups:
        return expression
    block = pd.DataFrame(
        {name: expression[members].mean(axis=1) for name, members in groups.items()},
        index=expression.index,
    )
    out = pd.concat([expression, block], axis=1)
    attrs = dict(expression.attrs)
    filled = set(attrs.get("imputed_genes", ()))
    if filled:
        grouped = [g for g, members in groups.items() if filled & set(members)]
        attrs["imputed_genes"] = [*attrs["imputed_genes"], *grouped]
    out.attrs = attrs
    partial = sum(len(m) < len(g.split(",")) for g, m in groups.items())
    log.info(
        "%d list genes named by several probes (comma-separated) are their probes' mean%s",
        len(groups),
        f"; {partial} of them with only some of their probes in the matrix" if partial else "",
    )
    return out


def select_landmarks_targets(
    expression: pd.DataFrame,
    landmarks: Any,
    targets: Any,
    *,
    max_missing_landmarks: float = DataChecks.max_missing_landmarks,
    max_missing_targets: float = DataChecks.max_missing_targets,
    id_type: str = "auto",
    path: str | os.PathLike | None = None,
    dropped: Iterable[str] | None = None,
    probe_groups: str = DataChecks.probe_groups,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Split a samples x genes matrix into landmark inputs X and target outputs Y.

    The LINCS / D-GEX setting (Chen et al. 2016): ~1,000 landmark genes predict the others.

    Parameters
    ----------
    expression
        Samples x genes matrix.
    landmarks, targets
        Gene lists (see :func:`match_genes`).
    max_missing_landmarks, max_missing_targets
        Largest allowed fraction of list genes absent from the matrix.
    id_type
        Identifier type for both lists (``"auto"`` chooses per list).
    path
        The matrix's file, named in errors.
    dropped
        Gene ids the input checks removed from the matrix (``nan="drop_genes"``), reported
        apart from the genes absent from the file; None: ``expression.attrs["dropped_for_nan"]``
        (set by :func:`~gexnb.data.expression.read_expression`), if any.
    probe_groups
        ``"mean"``: a list row naming several probes is their mean (:func:`add_probe_groups`);
        ``"none"``: matched as one id (:attr:`DataChecks.probe_groups`).

    Returns
    -------
    X, Y, report
        X and Y keep the list order, their columns named by the lists' ids (a matrix column
        ``ENSG...``.12 matched by a list's ``ENSG...`` is named ``ENSG...``). ``report``:
        ``landmarks_found``, ``landmarks_missing``, ``landmarks_total``, ``targets_found``,
        ``targets_missing``, ``targets_total``, ``landmark_id_type``, ``target_id_type``,
        ``landmarks_dropped_nan`` and ``targets_dropped_nan`` (counts among the missing),
        ``missing_landmarks`` and ``missing_targets`` (the ids).

    Raises
    ------
    InputError
        Too many genes missing (naming how many, the first ones, and which were dropped for NaN
        values), no id of a list matching any column (naming the id kinds of both), or genes
        that are both landmarks and targets.
    """
    for name, value in (
        ("max_missing_landmarks", max_missing_landmarks),
        ("max_missing_targets", max_missing_targets),
    ):
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"{name}={value} must lie in [0, 1]")
    if dropped is None:
        dropped = expression.attrs.get("dropped_for_nan", ())
    dropped = list(dropped)
    _choice(probe_groups, ("mean", "none"), "probe_groups")
    if probe_groups == "mean":
        expression = add_probe_groups(expression, landmarks, targets)
    lm, tg = (
        check_gene_list(
            expression,
            given,
            label=label,
            max_missing=allowed,
            setting=f"max_missing_{label}s",
            id_type=id_type,
            dropped=dropped,
            path=path,
        )  # fmt: skip
        for label, allowed, given in (
            ("landmark", max_missing_landmarks, landmarks),
            ("target", max_missing_targets, targets),
        )
    )
    label_of = dict(zip(lm.found, lm.labels, strict=True))
    tg, filled = _without_filled_targets(tg, expression, max_missing_targets, path)
    target_label_of = dict(zip(tg.found, tg.labels, strict=True))
    shared = set(lm.found) & set(tg.found)
    overlap = sorted(label_of[c] for c in shared)
    if overlap:
        columns = sorted(shared)
        rows = [
            gene_list_rows(given, match.id_type, [labels[c] for c in columns])
            .loc[:, list(ID_TYPES)]
            .itertuples(index=False)
            for given, match, labels in ((landmarks, lm, label_of), (targets, tg, target_label_of))
        ]
        in_both = sorted(  # one row of the two lists, every identifier alike
            label_of[c] for c, a, b in zip(columns, *rows, strict=True) if tuple(a) == tuple(b)
        )
        if in_both:
            why = (
                f" ({_preview(in_both)} in both lists: give each gene in one of them, as "
                "a landmark or as a target)"
            )
        elif lm.id_type == "symbol" or tg.id_type == "symbol":
            why = (
                f" (matched by {lm.id_type}: several probes of one gene collapse onto one "
                "column of a gene-level matrix; give lists whose ids are those of the "
                "matrix, without a gene in both)"
            )
        else:
            why = ""
        raise InputError(
            f"{len(overlap)} gene(s) are both landmarks and targets: {_preview(overlap)}{why}",
            path=path,
        )
    report = {
        "landmarks_found": len(lm.found),
        "landmarks_missing": len(lm.missing),
        "landmarks_total": lm.n_total,
        "targets_found": len(tg.found),
        "targets_missing": len(tg.missing),
        "targets_total": tg.n_total,
        "landmark_id_type": lm.id_type,
        "target_id_type": tg.id_type,
        "landmarks_dropped_nan": len(lm.dropped),
        "targets_dropped_nan": len(tg.dropped),
        "missing_landmarks": lm.missing,
        "missing_targets": tg.missing,
        "targets_filled_left_out": len(filled),
    }
    log.info(
        "landmarks %d/%d, targets %d/%d found",
        len(lm.found),
        lm.n_total,
        len(tg.found),
        tg.n_total,
    )
    for label, match, given in (("landmark", lm, landmarks), ("target", tg, targets)):
        if match.missing:
            log.warning(
                "%d of %d %s genes%s missing from the matrix (matched by %s; allowed by "
                "max_missing_%ss): %s; the %d present are used%s",
                len(match.missing),
                match.n_total,
                label,
                _list_source(given),
                match.id_type,
                label,
                _missing_detail(match, k=5).removeprefix("first missing: "),
                len(match.found),
                _did_you_mean(match.absent, expression.columns)
                + (_missing_hints(match, given, expression) if match.absent else ""),
            )
    x = expression.loc[:, lm.found]
    y = expression.loc[:, tg.found]
    x.columns = pd.Index(lm.labels, name=expression.columns.name)
    y.columns = pd.Index(tg.labels, name=expression.columns.name)
    return x, y, report

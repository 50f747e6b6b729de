"""Expression matrices: readers, gene lists, landmark/target selection and normalisation.

Every reader returns a **samples x genes** ``float64`` DataFrame (index: sample ids, columns:
gene ids, both ``str``). Supported formats (chosen from the extension, ``.gz`` allowed for text):

- ``tsv`` (``.tsv .txt .tab``) and ``csv`` (``.csv``): first column = sample ids, header =
  gene ids.
- ``parquet`` (``.parquet .pq``): the index, or a first non-numeric column, = sample ids.
- ``hdf5`` (``.h5 .hdf5 .hdf``): the gexnb layout, read with h5py alone (no PyTables):
  datasets ``matrix`` (float, samples x genes), ``samples`` and ``genes`` (strings or bytes).
  :func:`write_expression` writes it.
- ``gct`` (``.gct``): GCT 1.2 text (``#1.2``, dimensions line, header ``Name  Description
  <samples>``, one row per gene) or GCT 1.3 (row/column metadata skipped).
- ``gctx`` (``.gctx``): HDF5 with ``/0/DATA/0/matrix``, ``/0/META/ROW/id`` (genes) and
  ``/0/META/COL/id`` (samples). As in cmapPy's ``parse_gctx``, the HDF5 matrix is stored
  transposed relative to the row/col metadata, i.e. with shape (n samples, n genes).
- ``h5ad`` (``.h5ad``): AnnData (needs ``anndata``): ``obs`` = samples, ``var`` = genes.

``orientation="genes_x_samples"`` says the file's rows are genes (transposed relative to the
tables' convention); ``"samples_x_genes"`` says its rows are samples.

Normalisation follows the D-GEX paper (Chen et al. 2016, Bioinformatics 32:1832): quantile
normalisation across samples, then per-gene z-scoring (:class:`GeneScaler`); duplicated probes of a
gene are averaged. Missing genes, duplicated ids, NaN values and constant genes are bad input with
explicit, logged handling chosen by parameter.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import os
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from gexnb.errors import InputError, ParameterError
from gexnb.io import atomic_path

__all__ = [
    "EXPRESSION_FORMATS",
    "DEFAULT_MIN_RELATIVE_SD",
    "read_expression",
    "write_expression",
    "rename_genes",
    "collapse_duplicates",
    "read_gene_list",
    "GeneMatch",
    "match_genes",
    "select_landmarks_targets",
    "quantile_reference",
    "quantile_normalize",
    "GeneScaler",
    "top_variable_genes",
    "log2_transform",
]

log = logging.getLogger(__name__)

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
_NAN_POLICIES = ("error", "drop_genes", "mean")
_DUPLICATE_POLICIES = ("mean", "first", "error")
ID_TYPES = ("symbol", "ensembl", "probe")
#: Default low-variance filter of the notebooks (:class:`GeneScaler`'s ``min_relative_sd``):
#: genes whose sd is below a tenth of the median gene sd are left out (gexnb's choice: a
#: probe at the detection floor has near-constant values, and z-scoring turns them into
#: noise that dominates mean errors; a tenth keeps every gene of ordinary spread).
DEFAULT_MIN_RELATIVE_SD = 0.1


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r} is not one of {list(allowed)}")
    return value


def _preview(items: Sequence[Any], k: int = 10) -> str:
    items = list(items)
    shown = ", ".join(str(x) for x in items[:k])
    return shown + (f", ... ({len(items)} in all)" if len(items) > k else "")


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


# --------------------------------------------------------------------------------------------
# readers


def read_expression(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    orientation: str = "auto",
    nan: str = "error",
    duplicates: str = "mean",
) -> pd.DataFrame:
    """Read an expression matrix as a samples x genes float DataFrame.

    Parameters
    ----------
    path
        File in one of :data:`EXPRESSION_FORMATS` (see the module docstring for each layout).
    format
        ``"auto"`` (from the extension) or one of ``tsv, csv, parquet, hdf5, gct, gctx, h5ad``.
    orientation
        ``"auto"`` (the format's convention), ``"samples_x_genes"`` or ``"genes_x_samples"``
        (the file's rows are genes; the result is transposed).
    nan
        Missing values: ``"error"`` (raise, naming the genes and the count), ``"drop_genes"``
        (drop genes with any NaN, logged) or ``"mean"`` (impute the gene's mean, logged).
    duplicates
        Duplicated gene ids: ``"mean"`` (average them per sample, as D-GEX did for probes of the
        same gene), ``"first"`` (keep the first) or ``"error"``.

    Returns
    -------
    pandas.DataFrame
        Samples x genes, ``float64``, string index and columns.

    Raises
    ------
    InputError
        Unknown extension, empty file, ragged row, non-numeric cell (naming the file, line, row
        id and column), NaN under ``nan="error"``, duplicated ids under ``duplicates="error"``.
    ParameterError
        Unknown option value.
    """
    path = Path(path)
    _choice(orientation, _ORIENTATIONS, "orientation")
    _choice(nan, _NAN_POLICIES, "nan")
    _choice(duplicates, _DUPLICATE_POLICIES, "duplicates")
    fmt = (
        _detect_format(path)
        if format == "auto"
        else _choice(format, list(EXPRESSION_FORMATS), "format")
    )
    if not path.is_file():
        raise InputError("file not found", path=path)
    if path.stat().st_size == 0:
        raise InputError("empty file", path=path)
    readers = {
        "tsv": lambda: _read_table(path, "\t"),
        "csv": lambda: _read_table(path, ","),
        "parquet": lambda: _read_parquet(path),
        "hdf5": lambda: _read_hdf5(path),
        "gct": lambda: _read_gct(path),
        "gctx": lambda: _read_gctx(path),
        "h5ad": lambda: _read_h5ad(path),
    }
    stored, native_rows_are_genes = _read_guarded(readers[fmt], path, fmt)
    # ``stored`` is as in the file (rows = file rows); transpose when the file's rows are genes.
    frame = _check_numeric(stored, path)
    rows_are_genes = (
        native_rows_are_genes if orientation == "auto" else orientation == "genes_x_samples"
    )
    if rows_are_genes:
        frame = frame.T
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    frame.index.name, frame.columns.name = "sample", "gene"
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"no data: {frame.shape[0]} samples x {frame.shape[1]} genes", path=path)
    _check_not_sequences(frame, path)
    dup_samples = frame.index.duplicated(keep=False)
    if dup_samples.any():
        names = list(dict.fromkeys(frame.index[dup_samples]))
        raise InputError(
            f"{len(names)} duplicated sample id(s): {_preview(names)} (each sample needs its "
            "own id; a matrix given genes x samples? see orientation=)",
            path=path,
        )
    frame = _apply_nan_policy(frame, nan, path)
    return _apply_duplicates(frame, duplicates, path)


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


def _read_guarded(reader: Any, path: Path, fmt: str) -> tuple[pd.DataFrame, bool]:
    """Run a format reader; damaged files become one InputError naming the file."""
    try:
        return reader()
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(
            f"binary or non-UTF-8 bytes (byte 0x{exc.object[exc.start]:02x} at byte "
            f"{exc.start} of a block): not a text {fmt} matrix",
            path=path,
        ) from None
    except gzip.BadGzipFile:
        raise InputError("not a valid gzip file (the name ends in .gz)", path=path) from None
    except (EOFError, zlib.error) as exc:
        raise InputError(f"truncated or corrupt gzip file ({exc})", path=path) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"cannot read as a {fmt} matrix ({type(exc).__name__}: {str(exc)[:120]})", path=path
        ) from None


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115


def _header(path: Path, sep: str, skip: int = 0) -> list[str]:
    with _open_text(path) as handle:
        for _ in range(skip):
            handle.readline()
        line = handle.readline()
    if not line.strip():
        raise InputError("empty file (no header line)", path=path, line=skip + 1)
    return next(csv.reader([line.rstrip("\r\n")], delimiter=sep))


def _parse_rows(path: Path, sep: str, skip: int, n_fields: int) -> pd.DataFrame:
    """Data rows as strings-or-floats with integer columns (the header is handled separately)."""
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            skiprows=skip,
            index_col=None,
            dtype={0: str},
            low_memory=False,
            compression="infer",
        )
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
    if frame.shape[1] != n_fields:
        raise InputError(
            f"the header has {n_fields} fields but the data rows have {frame.shape[1]}", path=path
        )
    frame.attrs["first_line"] = skip + 1
    return frame


def _fast_table(path: Path, sep: str) -> pd.DataFrame | None:
    """Plain numeric tables parsed line by line with numpy (about twice as fast as pandas on
    wide matrices such as 240 x 22,283); None at the first irregularity (quotes, ragged rows,
    non-numeric or empty cells), so that the pandas path reports the problem precisely."""
    with _open_text(path) as handle:
        first = handle.readline().rstrip("\r\n")
        if not first.strip() or '"' in first:
            return None
        header = first.split(sep)
        ids: list[str] = []
        rows: list[np.ndarray] = []
        for line in handle:
            fields = line.rstrip("\r\n").split(sep)
            if len(fields) != len(header) or '"' in line:
                return None
            try:
                rows.append(np.array(fields[1:], dtype=np.float64))
            except ValueError:
                return None
            ids.append(fields[0])
    if not rows:
        return None
    frame = pd.DataFrame(np.vstack(rows), index=pd.Index(ids, name=header[0] or None))
    frame.columns = header[1:]
    return frame


def _read_table(path: Path, sep: str) -> tuple[pd.DataFrame, bool]:
    fast = _fast_table(path, sep)
    if fast is not None:
        return fast, False
    header = _header(path, sep)
    rows = _parse_rows(path, sep, 1, len(header))
    frame = rows.iloc[:, 1:]
    frame.index = pd.Index(rows.iloc[:, 0].astype(str), name=header[0] or None)
    frame.columns = header[1:]
    frame.attrs["first_line"] = 2
    return frame, False


def _read_gct(path: Path) -> tuple[pd.DataFrame, bool]:
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
        raise InputError(
            f"GCT header has {len(header)} fields; dimensions say {expected}", path=path, line=3
        )
    rows = _parse_rows(path, "\t", 3 + n_chd, expected)
    if rows.shape[0] != n_rows:
        raise InputError(f"GCT says {n_rows} rows but holds {rows.shape[0]}", path=path)
    frame = rows.iloc[:, 1 + n_rhd :]
    frame.index = pd.Index(rows.iloc[:, 0].astype(str))
    frame.columns = header[1 + n_rhd :]
    frame.attrs["first_line"] = 4 + n_chd
    return frame, True


def _read_parquet(path: Path) -> tuple[pd.DataFrame, bool]:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types
        raise InputError(f"cannot read parquet ({exc})", path=path) from exc
    if isinstance(frame.index, pd.RangeIndex) and frame.shape[1] > 0:
        first = frame.columns[0]
        if not pd.api.types.is_numeric_dtype(frame[first]):
            frame = frame.set_index(first)
    return frame, False


def _decode(values: np.ndarray) -> list[str]:
    return [
        v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()
    ]


def _read_hdf5(path: Path) -> tuple[pd.DataFrame, bool]:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            missing = [k for k in ("matrix", "samples", "genes") if k not in h5]
            if missing:
                raise InputError(
                    f"HDF5 layout needs datasets 'matrix' (samples x genes), 'samples' and "
                    f"'genes'; missing {missing} (found {list(h5.keys())})",
                    path=path,
                )
            matrix = np.asarray(h5["matrix"][()], dtype=np.float64)
            samples, genes = _decode(h5["samples"][()]), _decode(h5["genes"][()])
    except OSError as exc:
        raise InputError(f"not a readable HDF5 file ({exc})", path=path) from exc
    if matrix.shape != (len(samples), len(genes)):
        raise InputError(
            f"'matrix' has shape {matrix.shape} but there are {len(samples)} samples and "
            f"{len(genes)} genes",
            path=path,
        )
    return pd.DataFrame(matrix, index=samples, columns=genes), False


def _read_gctx(path: Path) -> tuple[pd.DataFrame, bool]:
    import h5py

    nodes = ("/0/DATA/0/matrix", "/0/META/ROW/id", "/0/META/COL/id")
    try:
        with h5py.File(path, "r") as h5:
            missing = [n for n in nodes if n not in h5]
            if missing:
                raise InputError(f"not a GCTX file: missing {missing}", path=path)
            matrix = np.asarray(h5[nodes[0]][()], dtype=np.float64)
            rid, cid = _decode(h5[nodes[1]][()]), _decode(h5[nodes[2]][()])
    except OSError as exc:
        raise InputError(f"not a readable HDF5 file ({exc})", path=path) from exc
    # cmapPy convention: the HDF5 matrix has shape (n columns, n rows) = (samples, genes).
    if matrix.shape == (len(cid), len(rid)):
        stored = pd.DataFrame(matrix.T, index=rid, columns=cid)
    elif matrix.shape == (len(rid), len(cid)):
        log.warning("%s: GCTX matrix is stored rows x columns (not cmapPy's transpose)", path)
        stored = pd.DataFrame(matrix, index=rid, columns=cid)
    else:
        raise InputError(
            f"GCTX matrix shape {matrix.shape} matches neither {len(cid)} column ids x "
            f"{len(rid)} row ids nor its transpose",
            path=path,
        )
    return stored, True  # as in a GCT: rows are genes


def _read_h5ad(path: Path) -> tuple[pd.DataFrame, bool]:
    try:
        import anndata
    except ImportError as exc:
        raise InputError("reading .h5ad needs the 'anndata' package", path=path) from exc
    try:
        adata = anndata.read_h5ad(path)
    except Exception as exc:  # anndata/h5py raise several types
        raise InputError(f"cannot read h5ad ({exc})", path=path) from exc
    x = adata.X
    x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    return pd.DataFrame(x, index=list(adata.obs_names), columns=list(adata.var_names)), False


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
                f"column {frame.columns[pos]!r}",
                path=path,
                line=None if first_line is None else first_line + i,
            )
        frame.isetitem(int(pos), converted.astype(np.float64))
    return frame.astype(np.float64)


def _apply_nan_policy(frame: pd.DataFrame, nan: str, path: Path | None) -> pd.DataFrame:
    values = frame.to_numpy()
    if np.isinf(values).any():
        genes = frame.columns[np.isinf(values).any(axis=0)]
        raise InputError(f"infinite values in {len(genes)} gene(s): {_preview(genes)}", path=path)
    missing = np.isnan(values)
    if not missing.any():
        return frame
    per_gene = missing.sum(axis=0)
    genes = frame.columns[per_gene > 0]
    what = f"{int(missing.sum())} NaN value(s) in {len(genes)} gene(s): {_preview(genes)}"
    if nan == "error":
        raise InputError(what + " (use nan='drop_genes' or nan='mean')", path=path)
    if nan == "drop_genes":
        log.warning("%s: dropping genes with NaN: %s", path or "matrix", what)
        return frame.loc[:, per_gene == 0]
    all_nan = frame.columns[per_gene == frame.shape[0]]
    if len(all_nan):
        raise InputError(
            f"genes with no value to impute a mean from: {_preview(all_nan)}", path=path
        )
    log.warning("%s: imputing per-gene means for %s", path or "matrix", what)
    return frame.fillna(frame.mean(axis=0))


def _apply_duplicates(frame: pd.DataFrame, duplicates: str, path: Path | None) -> pd.DataFrame:
    dup = frame.columns.duplicated(keep=False)
    if not dup.any():
        return frame
    names = list(dict.fromkeys(frame.columns[dup]))
    what = f"{len(names)} duplicated gene id(s): {_preview(names)}"
    if duplicates == "error":
        raise InputError(what + " (use duplicates='mean' or 'first')", path=path)
    if duplicates == "first":
        log.warning("%s: keeping the first column of %s", path or "matrix", what)
        return frame.loc[:, ~frame.columns.duplicated(keep="first")]
    log.info("%s: averaging %s", path or "matrix", what)
    return collapse_duplicates(frame)


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
    """
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
    duplicates: str = "mean",
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
    """
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


def write_expression(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a samples x genes matrix atomically, in a layout :func:`read_expression` reads back.

    ``.tsv``/``.csv`` (``.gz`` too), ``.parquet`` or ``.h5``/``.hdf5`` (datasets ``matrix``,
    ``samples``, ``genes``; h5py only).
    """
    target = Path(path)
    fmt = _detect_format(target)
    with atomic_path(target) as tmp:
        if fmt in ("tsv", "csv"):
            frame.to_csv(tmp, sep="\t" if fmt == "tsv" else ",", compression="infer")
        elif fmt == "parquet":
            frame.to_parquet(tmp)
        elif fmt == "hdf5":
            import h5py

            with h5py.File(tmp, "w") as h5:
                h5.create_dataset("matrix", data=frame.to_numpy(dtype=np.float64))
                h5.create_dataset("samples", data=np.array(frame.index.map(str), dtype="S"))
                h5.create_dataset("genes", data=np.array(frame.columns.map(str), dtype="S"))
        else:
            raise InputError(f"write_expression does not write {fmt!r}", path=target)
    return target


# --------------------------------------------------------------------------------------------
# gene lists


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


def _guess_id_type(ids: Iterable[str]) -> str:
    ids = [str(i) for i in ids][:200]
    ens = sum(bool(re.match(r"^ENS[A-Z]*G\d+", i)) for i in ids)
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
    identifier type guessed (``ENSG...`` -> ensembl, ``..._at`` -> probe, otherwise symbol); the
    other columns are then empty. A first line made of words such as ``symbol``/``probe`` is a
    header and skipped.

    Returns
    -------
    pandas.DataFrame
        Columns ``symbol``, ``ensembl``, ``probe`` (object; None where unknown), in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("gene list not found", path=path)
    with _open_text(path) as handle:
        lines = [ln.rstrip("\r\n") for ln in handle]
    rows = [ln.split("\t") for ln in lines if ln.strip()]
    if rows and all(f.strip().lower() in _HEADER_WORDS for f in rows[0]):
        rows = rows[1:]
    if not rows:
        raise InputError("empty gene list", path=path)
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise InputError(
                f"expected {width} tab-separated fields, saw {len(r)}", path=path, line=i + 1
            )
    if width == 3:
        frame = pd.DataFrame(rows, columns=list(ID_TYPES))
    elif width == 1:
        ids = [r[0].strip() for r in rows]
        frame = pd.DataFrame({t: [None] * len(ids) for t in ID_TYPES}, dtype=object)
        frame[_guess_id_type(ids)] = ids
    else:
        raise InputError(f"a gene list has 1 or 3 tab-separated columns, not {width}", path=path)
    for col in ID_TYPES:
        frame[col] = frame[col].map(
            lambda v: v.strip() if isinstance(v, str) and v.strip() else None
        )
    frame.attrs["path"] = str(path)
    return frame


@dataclass
class GeneMatch:
    """Result of :func:`match_genes`.

    Attributes
    ----------
    found
        Matrix column names matched, in gene-list order (no repeats).
    missing
        Gene-list identifiers (of ``id_type``) not in the matrix, in list order.
    id_type
        Identifier type used: ``symbol``, ``ensembl`` or ``probe``.
    counts
        Number of list genes matched under each identifier type that was tried.
    """

    found: list[str]
    missing: list[str]
    id_type: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n_total(self) -> int:
        """Number of genes in the list (found + missing)."""
        return len(self.found) + len(self.missing)


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


def match_genes(gene_ids: Any, gene_list: Any, *, id_type: str = "auto") -> GeneMatch:
    """Find the genes of a list among a matrix's gene ids.

    Parameters
    ----------
    gene_ids
        The matrix's gene ids (a DataFrame's columns are used).
    gene_list
        DataFrame from :func:`read_gene_list`, a path to such a file, or a sequence of ids.
    id_type
        ``"auto"``: the identifier column with the most matches (ties: probe, ensembl, symbol);
        or ``"symbol"``, ``"ensembl"``, ``"probe"``.

    Returns
    -------
    GeneMatch
    """
    _choice(id_type, ("auto", *ID_TYPES), "id_type")
    columns = gene_ids.columns if isinstance(gene_ids, pd.DataFrame) else gene_ids
    available = {str(c) for c in columns}
    table = _as_gene_list(gene_list)
    candidates = [id_type] if id_type != "auto" else ["probe", "ensembl", "symbol"]
    candidates = [c for c in candidates if c in table.columns]
    counts: dict[str, int] = {}
    for col in candidates:
        ids = [i for i in table[col] if isinstance(i, str)]
        counts[col] = sum(i in available for i in dict.fromkeys(ids))
    usable = [c for c in candidates if table[c].notna().any()] or candidates
    chosen = max(usable, key=lambda c: counts[c]) if id_type == "auto" else id_type
    ids = list(dict.fromkeys(i for i in table[chosen] if isinstance(i, str)))
    return GeneMatch(
        found=[i for i in ids if i in available],
        missing=[i for i in ids if i not in available],
        id_type=chosen,
        counts=counts,
    )


def select_landmarks_targets(
    expression: pd.DataFrame,
    landmarks: Any,
    targets: Any,
    *,
    max_missing_landmarks: float = 0.0,
    max_missing_targets: float = 1.0,
    id_type: str = "auto",
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

    Returns
    -------
    X, Y, report
        X and Y keep the list order. ``report``: ``landmarks_found``, ``landmarks_missing``,
        ``landmarks_total``, ``targets_found``, ``targets_missing``, ``targets_total``,
        ``landmark_id_type``, ``target_id_type``, ``missing_landmarks`` and
        ``missing_targets`` (the ids).

    Raises
    ------
    InputError
        Too many genes missing (naming how many and the first ones), or genes that are both
        landmarks and targets.
    """
    for name, value in (
        ("max_missing_landmarks", max_missing_landmarks),
        ("max_missing_targets", max_missing_targets),
    ):
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"{name}={value} must lie in [0, 1]")
    lm = match_genes(expression, landmarks, id_type=id_type)
    tg = match_genes(expression, targets, id_type=id_type)
    for label, match, allowed in (
        ("landmark", lm, max_missing_landmarks),
        ("target", tg, max_missing_targets),
    ):
        if match.n_total == 0:
            raise InputError(f"the {label} list is empty")
        frac = len(match.missing) / match.n_total
        if frac > allowed or not match.found:
            in_rows = match_genes(
                list(expression.index), landmarks if label == "landmark" else targets
            )
            hint = (
                f"; transposed? {len(in_rows.found)} of them are in the row index (the matrix "
                "must be samples x genes: read it with orientation='genes_x_samples')"
                if len(in_rows.found) > len(match.found)
                else ""
            )
            raise InputError(
                f"{len(match.missing)} of {match.n_total} {label} genes ({frac:.1%}) are missing "
                f"from the matrix (matched by {match.id_type}; allowed {allowed:.1%}); first "
                f"missing: {_preview(match.missing)}{hint}"
            )
    overlap = sorted(set(lm.found) & set(tg.found))
    if overlap:
        raise InputError(
            f"{len(overlap)} gene(s) are both landmarks and targets: {_preview(overlap)}"
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
        "missing_landmarks": lm.missing,
        "missing_targets": tg.missing,
    }
    log.info(
        "landmarks %d/%d, targets %d/%d found",
        len(lm.found),
        lm.n_total,
        len(tg.found),
        tg.n_total,
    )
    return expression.loc[:, lm.found], expression.loc[:, tg.found], report


# --------------------------------------------------------------------------------------------
# normalisation


def _values(frame: pd.DataFrame, name: str = "matrix") -> np.ndarray:
    values = np.asarray(frame, dtype=np.float64)
    if values.ndim != 2:
        raise InputError(f"{name} must be 2-D (samples x genes), got shape {values.shape}")
    if not np.isfinite(values).all():
        raise InputError(f"{name} holds NaN or infinite values")
    return values


def quantile_reference(frame: pd.DataFrame) -> np.ndarray:
    """Mean sorted profile across samples: the target distribution of quantile normalisation."""
    return np.sort(_values(frame), axis=1).mean(axis=0)


def quantile_normalize(frame: pd.DataFrame, *, reference: np.ndarray | None = None) -> pd.DataFrame:
    """Quantile normalisation across samples (Bolstad et al. 2003), as used by D-GEX.

    Each sample (row) is mapped onto the mean sorted profile: the value of rank ``k`` becomes
    the ``k``-th value of the reference. Ties get their average rank
    (``scipy.stats.rankdata(method="average")``) and the reference is linearly interpolated at
    that (possibly fractional) rank.

    Parameters
    ----------
    frame
        Samples x genes matrix without NaN.
    reference
        Sorted target profile of length n genes (e.g. :func:`quantile_reference` of the
        training samples); defaults to the mean sorted profile of ``frame``.

    Returns
    -------
    pandas.DataFrame
        Same labels; every row has the reference's distribution.
    """
    values = _values(frame)
    ref = (
        quantile_reference(frame) if reference is None else np.asarray(reference, dtype=np.float64)
    )
    if ref.shape != (values.shape[1],):
        raise InputError(f"reference has shape {ref.shape}, expected ({values.shape[1]},)")
    ranks = rankdata(values, method="average", axis=1) - 1.0
    out = np.interp(ranks.ravel(), np.arange(ref.size), np.sort(ref)).reshape(values.shape)
    result = pd.DataFrame(out, index=frame.index, columns=frame.columns)
    result.attrs = dict(frame.attrs)
    return result


class GeneScaler:
    """Per-gene z-scoring, ``(x - mean) / sd``, with statistics from the training samples.

    D-GEX (Chen et al. 2016) z-scored each gene with statistics over **all** samples
    (``mode="all"``, kept for reproducing the paper and labelled as such in
    :attr:`description`); the default ``mode="train"`` uses only the rows given for training,
    which avoids leaking test statistics.

    Parameters
    ----------
    mode
        ``"train"`` or ``"all"``.
    zero_variance
        Genes with zero standard deviation: ``"error"`` (raise, naming them) or ``"drop"``
        (left out of :meth:`transform`'s output, listed in :attr:`dropped_`, logged).
    ddof
        Delta degrees of freedom of the standard deviation (0 as scikit-learn's StandardScaler).
    min_relative_sd
        Low-variance filter: genes whose sd is below this fraction of the median gene sd
        (of the fitting samples, zero-variance genes aside) are dropped too, listed in
        :attr:`low_variance_` and logged. A near-constant gene (a probe at the detection
        floor) has z-scores that are mostly noise and can dominate mean errors. 0 (the
        default here) keeps every gene with non-zero variance; the notebooks' default is
        :data:`DEFAULT_MIN_RELATIVE_SD`. Relative, so that it means the same on any scale.

    Attributes
    ----------
    mean_, scale_
        Per-gene mean and sd of the kept genes.
    dropped_
        Every gene left out (zero-variance and low-variance).
    low_variance_
        Genes left out by ``min_relative_sd``.
    """

    def __init__(
        self,
        *,
        mode: str = "train",
        zero_variance: str = "error",
        ddof: int = 0,
        min_relative_sd: float = 0.0,
    ):
        self.mode = _choice(mode, ("train", "all"), "mode")
        self.zero_variance = _choice(zero_variance, ("error", "drop"), "zero_variance")
        self.ddof = ddof
        if isinstance(min_relative_sd, bool) or not 0.0 <= float(min_relative_sd) < 1.0:
            raise ParameterError(f"min_relative_sd must be in [0, 1), got {min_relative_sd!r}")
        self.min_relative_sd = float(min_relative_sd)
        self.mean_: pd.Series | None = None
        self.scale_: pd.Series | None = None
        self.dropped_: list[str] = []
        self.low_variance_: list[str] = []
        self.n_samples_: int = 0

    @property
    def description(self) -> str:
        """Human-readable label of where the statistics come from."""
        if self.mean_ is None:
            return "unfitted"
        if self.mode == "all":
            text = (
                f"z-score per gene, all-samples statistics (D-GEX paper mode, n={self.n_samples_})"
            )
        else:
            text = f"z-score per gene, training-sample statistics (n={self.n_samples_})"
        if self.min_relative_sd > 0:
            text += (
                f"; {len(self.low_variance_)} gene(s) with sd < {self.min_relative_sd:g} x the "
                "median gene sd left out"
            )
        return text

    def fit(self, frame: pd.DataFrame, *, rows: Any = None) -> GeneScaler:
        """Compute per-gene mean and sd.

        Parameters
        ----------
        frame
            Samples x genes matrix.
        rows
            Positional indices of the training rows (``mode="train"``); all rows when None.
            Ignored in ``mode="all"``.
        """
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        data = frame if rows is None or self.mode == "all" else frame.iloc[np.asarray(rows)]
        values = _values(data)
        if values.shape[0] < 2:
            raise InputError(f"need at least 2 samples to fit a scaler, got {values.shape[0]}")
        mean = values.mean(axis=0)
        sd = values.std(axis=0, ddof=self.ddof)
        zero = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
        genes = [str(c) for c in frame.columns]
        if zero.any():
            names = [g for g, z in zip(genes, zero, strict=True) if z]
            if self.zero_variance == "error":
                raise InputError(
                    f"{len(names)} gene(s) have zero variance in the fitting samples: "
                    f"{_preview(names)} (use zero_variance='drop')"
                )
            log.warning("dropping %d zero-variance gene(s): %s", len(names), _preview(names))
        low = np.zeros_like(zero)
        if self.min_relative_sd > 0 and (~zero).any():
            floor = self.min_relative_sd * float(np.median(sd[~zero]))
            low = ~zero & (sd < floor)
            if low.any():
                names = [g for g, z in zip(genes, low, strict=True) if z]
                log.warning(
                    "dropping %d low-variance gene(s) (sd < %.3g = %g x the median gene sd): %s",
                    len(names),
                    floor,
                    self.min_relative_sd,
                    _preview(names),
                )
        self.low_variance_ = [g for g, z in zip(genes, low, strict=True) if z]
        self.dropped_ = [g for g, z in zip(genes, zero | low, strict=True) if z]
        keep = ~(zero | low)
        if not keep.any():
            raise InputError("every gene has zero or low variance in the fitting samples")
        self.mean_ = pd.Series(mean[keep], index=[g for g, k in zip(genes, keep, strict=True) if k])
        self.scale_ = pd.Series(sd[keep], index=self.mean_.index)
        self.n_samples_ = values.shape[0]
        return self

    def _aligned(self, frame: Any) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
        if self.mean_ is None or self.scale_ is None:
            raise ParameterError("GeneScaler is not fitted; call fit() first")
        if not isinstance(frame, pd.DataFrame):
            values = np.asarray(frame, dtype=np.float64)
            if values.ndim != 2 or values.shape[1] != len(self.mean_):
                raise InputError(
                    f"array has shape {values.shape}; expected (n, {len(self.mean_)}) for the "
                    "fitted genes"
                )
            return pd.DataFrame(values, columns=self.mean_.index), self.mean_, self.scale_
        cols = [str(c) for c in frame.columns]
        kept = [c for c in cols if c not in self.dropped_]
        unknown = [c for c in kept if c not in self.mean_.index]
        if unknown:
            raise InputError(
                f"{len(unknown)} gene(s) were not in the fitted data: {_preview(unknown)}"
            )
        sub = frame.loc[:, [c not in self.dropped_ for c in cols]]
        return sub, self.mean_.loc[kept], self.scale_.loc[kept]

    def transform(self, frame: Any) -> Any:
        """Z-score ``frame`` (DataFrame: by gene name, any subset of the fitted genes; array:
        all kept genes in fitted order). Returns the same type."""
        sub, mean, scale = self._aligned(frame)
        out = (sub.to_numpy(dtype=np.float64) - mean.to_numpy()) / scale.to_numpy()
        if isinstance(frame, pd.DataFrame):
            return pd.DataFrame(out, index=sub.index, columns=sub.columns)
        return out

    def fit_transform(self, frame: pd.DataFrame, *, rows: Any = None) -> pd.DataFrame:
        """:meth:`fit`, then :meth:`transform` of the whole ``frame``."""
        return self.fit(frame, rows=rows).transform(frame)

    def inverse_transform(self, frame: Any) -> Any:
        """Undo :meth:`transform`: ``z * sd + mean`` (same input conventions)."""
        sub, mean, scale = self._aligned(frame)
        out = sub.to_numpy(dtype=np.float64) * scale.to_numpy() + mean.to_numpy()
        if isinstance(frame, pd.DataFrame):
            return pd.DataFrame(out, index=sub.index, columns=sub.columns)
        return out


def top_variable_genes(frame: pd.DataFrame, k: int, *, exclude: Iterable[str] = ()) -> list[str]:
    """The ``k`` genes with the largest sample variance, as in the attention-LSTM study's
    top-50 most variable genes (seed 004). Ties keep column order.

    Parameters
    ----------
    frame
        Samples x genes matrix (use the training samples only to avoid leakage).
    k
        Number of genes.
    exclude
        Genes not eligible (e.g. the prediction target).

    Raises
    ------
    ParameterError
        If ``k < 1`` or ``k`` exceeds the eligible genes.
    """
    excluded = {str(e) for e in exclude}
    cols = [c for c in frame.columns if str(c) not in excluded]
    if k < 1 or k > len(cols):
        raise ParameterError(f"k={k} genes requested but {len(cols)} are available")
    var = (
        np.var(_values(frame.loc[:, cols]), axis=0, ddof=1)
        if frame.shape[0] > 1
        else np.zeros(len(cols))
    )
    order = np.argsort(-var, kind="stable")[:k]
    return [str(cols[i]) for i in order]


def log2_transform(frame: pd.DataFrame, *, floor: float = 1.0) -> pd.DataFrame:
    """``log2(max(x, floor))``, the usual transform of linear-scale MAS5 signal.

    Parameters
    ----------
    frame
        Samples x genes matrix (linear scale).
    floor
        Smallest value kept before the logarithm; must be positive.
    """
    if not floor > 0:
        raise ParameterError(f"floor={floor} must be > 0")
    values = np.log2(np.maximum(_values(frame), floor))
    result = pd.DataFrame(values, index=frame.index, columns=frame.columns)
    result.attrs = dict(frame.attrs)
    return result

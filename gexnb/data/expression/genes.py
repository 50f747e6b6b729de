"""Gene lists, identifier matching and landmark/target selection."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gexnb.data.expression._common import _choice, _preview
from gexnb.data.expression.readers import _open_text
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


def _unversioned(ids: Iterable[str]) -> pd.Index:
    """The ids with the ``.<version>`` of Ensembl ids removed (other ids unchanged)."""
    index = pd.Index([str(i) for i in ids], dtype=object)
    if index.empty:
        return index
    return pd.Index(index.str.replace(_ENSEMBL, r"\1", regex=True), dtype=object)


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
    probe, otherwise symbol); the other columns are then empty. A first line made of words such
    as ``symbol``/``probe`` is a header and skipped. A UTF-8 byte order mark is removed.

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
    if lines and lines[0].startswith("\ufeff"):  # byte order mark (Excel, Notepad)
        lines[0] = lines[0][1:]
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

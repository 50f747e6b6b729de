"""Expression matrices: readers, gene lists, landmark/target selection and normalisation.

Modules: :mod:`~gexnb.data.expression.readers` (formats below),
:mod:`~gexnb.data.expression.genes` (gene lists, id matching, landmark/target selection),
:mod:`~gexnb.data.expression.normalize` (log2, quantile normalisation, z-scores).

Every reader returns a **samples x genes** ``float64`` DataFrame (index: sample ids, columns:
gene ids, both ``str``). Supported formats (chosen from the extension, ``.gz`` allowed for text):

- ``tsv`` (``.tsv .txt .tab``) and ``csv`` (``.csv``): first column = sample ids, header =
  gene ids. A GEO series matrix (``GSExxx_series_matrix.txt.gz``, its first line
  ``!Series_...``) is read as its expression table: probes (or genes) x samples (GSM ids).
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

from gexnb.data.expression.defaults import DEFAULT_TRANSFORM, DataChecks
from gexnb.data.expression.genes import (
    GeneMatch,
    add_probe_groups,
    case_suggestions,
    check_gene_list,
    check_not_imputed,
    gene_list_rows,
    list_genes,
    match_genes,
    matrix_columns,
    name_by_stored_symbols,
    read_gene_list,
    rows_hold_genes,
    select_landmarks_targets,
)
from gexnb.data.expression.normalize import (
    AT_LOG2_FLOOR,
    GeneScaler,
    log2_transform,
    quantile_normalize,
    quantile_reference,
    standardised_warning,
    top_variable_genes,
    transform_expression,
    zero_variance_error,
)
from gexnb.data.expression.readers import (
    EXPRESSION_FORMATS,
    apply_policies,
    collapse_duplicates,
    expression_gene_ids,
    expression_table_ids,
    gene_symbol_table,
    read_expression,
    read_expression_keeping_nan,
    rename_genes,
    writable_format,
    write_expression,
    write_expression_chunks,
)

__all__ = [
    "apply_policies",
    "standardised_warning",
    "EXPRESSION_FORMATS",
    "DataChecks",
    "DEFAULT_TRANSFORM",
    "read_expression",
    "expression_gene_ids",
    "expression_table_ids",
    "gene_symbol_table",
    "read_expression_keeping_nan",
    "writable_format",
    "write_expression",
    "write_expression_chunks",
    "rename_genes",
    "collapse_duplicates",
    "read_gene_list",
    "GeneMatch",
    "gene_list_rows",
    "list_genes",
    "match_genes",
    "name_by_stored_symbols",
    "rows_hold_genes",
    "matrix_columns",
    "add_probe_groups",
    "check_gene_list",
    "check_not_imputed",
    "case_suggestions",
    "select_landmarks_targets",
    "quantile_reference",
    "quantile_normalize",
    "GeneScaler",
    "AT_LOG2_FLOOR",
    "top_variable_genes",
    "log2_transform",
    "transform_expression",
    "zero_variance_error",
]

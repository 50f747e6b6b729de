"""Expression-matrix and gene-list inputs found faulty by a fault sweep of the readers.

Each test failed before its fix: a wrong result read silently, a bare Python exception, or a
message that did not say what was wrong.
"""

from __future__ import annotations

import gzip
import logging
import os
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from gexnb.data import expression as ex
from gexnb.data.expression import genes as genes_module
from gexnb.errors import InputError


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _matrix(n_samples: int = 6, n_genes: int = 4, seed: int = 0) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(7.0, 1.0, (n_samples, n_genes))
    return pd.DataFrame(
        values,
        index=[f"S{i}" for i in range(n_samples)],
        columns=[f"G{j}" for j in range(n_genes)],
    )


# ------------------------------------------------------ 1. parquet with an integer id column


def test_parquet_integer_sample_id_column_is_the_index(tmp_path):
    frame = _matrix(100, 12)
    table = frame.rename_axis("sid").reset_index().assign(sid=range(1001, 1101))
    path = tmp_path / "i.parquet"
    table.to_parquet(path, index=False)
    read = ex.read_expression(path)
    assert list(read.columns) == list(frame.columns)
    assert list(read.index) == [str(i) for i in range(1001, 1101)]
    np.testing.assert_allclose(read.to_numpy(), frame.to_numpy())


def test_parquet_float_first_column_stays_a_gene(tmp_path):
    frame = _matrix()
    path = tmp_path / "f.parquet"
    frame.to_parquet(path, index=False)
    assert list(ex.read_expression(path).columns) == list(frame.columns)


def test_parquet_repeated_integer_first_column_is_refused(tmp_path):
    table = _matrix().reset_index(drop=True).assign(batch=[1, 1, 2, 2, 3, 3])
    table = table[["batch", *table.columns[:-1]]]
    path = tmp_path / "r.parquet"
    table.to_parquet(path, index=False)
    with pytest.raises(InputError, match=r"r\.parquet: the first column 'batch' holds integers"):
        ex.read_expression(path)


def test_parquet_integer_count_matrix_keeps_its_first_gene(tmp_path):
    counts = pd.DataFrame({"A": [5, 3, 9], "B": [1, 2, 3], "C": [0, 4, 4]})
    path = tmp_path / "c.parquet"
    counts.to_parquet(path, index=False)
    assert list(ex.read_expression(path).columns) == ["A", "B", "C"]
    # a first gene whose counts are distinct and increasing stays a gene (found by a review)
    counts[["B", "A", "C"]].to_parquet(path, index=False)
    assert list(ex.read_expression(path).columns) == ["B", "A", "C"]
    counts.rename(columns={"B": "sample_id"})[["sample_id", "A", "C"]].to_parquet(path, index=False)
    assert list(ex.read_expression(path).index) == ["1", "2", "3"]


# ------------------------------------------ 2. / 14. NaN policy before averaging duplicates


def _duplicated_with_nan() -> pd.DataFrame:
    return pd.DataFrame(
        [[1.0, np.nan, 3.0], [2.0, 5.0, 4.0], [3.0, 6.0, 7.0]],
        index=["s1", "s2", "s3"],
        columns=["A", "A", "B"],
    )


def test_apply_policies_nan_in_one_copy_of_a_duplicated_gene_is_an_error():
    with pytest.raises(InputError, match=r"1 NaN value\(s\) in 1 gene\(s\): A"):
        ex.apply_policies(_duplicated_with_nan(), nan="error")


def test_drop_genes_does_not_report_a_gene_whose_other_copy_is_kept(tmp_path):
    frame = ex.apply_policies(_duplicated_with_nan(), nan="drop_genes")
    assert list(frame.columns) == ["A", "B"]
    assert frame.attrs["dropped_for_nan"] == []
    path = tmp_path / "d.tsv"
    _duplicated_with_nan().to_csv(path, sep="\t")
    assert ex.read_expression(path, nan="drop_genes").attrs["dropped_for_nan"] == []


def test_mean_imputation_uses_each_copy_of_a_duplicated_gene():
    frame = ex.apply_policies(_duplicated_with_nan(), nan="mean")
    # the NaN copy gets its own mean (5.5), then the copies are averaged
    assert frame.loc["s1", "A"] == pytest.approx((1.0 + 5.5) / 2)


# ----------------------------------------------------------- 3. symbolic link loops, folders


def test_symbolic_link_loop_is_named(tmp_path):
    link = tmp_path / "m.tsv"
    os.symlink(link, link)
    with pytest.raises(InputError, match=r"m\.tsv: symbolic link loop"):
        ex.read_expression(link)
    with pytest.raises(InputError, match="symbolic link loop"):
        ex.read_gene_list(link)


def test_directory_is_not_called_missing(tmp_path):
    folder = tmp_path / "data.tsv"
    folder.mkdir()
    with pytest.raises(InputError, match=r"data\.tsv: is a directory, not a file"):
        ex.read_expression(folder)
    with pytest.raises(InputError, match="is a directory, not a file"):
        ex.read_gene_list(folder)


# ------------------------------------------------------------ 4. unreadable gene list files


def test_truncated_gzip_gene_list(tmp_path):
    data = gzip.compress(("\n".join(f"GENE{i}" for i in range(2000)) + "\n").encode())
    path = _write(tmp_path / "lm.txt.gz", data[: len(data) // 2])
    with pytest.raises(InputError, match=r"lm\.txt\.gz: truncated or corrupt gzip"):
        ex.read_gene_list(path)


def test_corrupt_gzip_gene_list(tmp_path):
    data = bytearray(gzip.compress(b"TP53\nMYC\n" * 50))
    data[12:20] = b"\xff" * 8
    path = _write(tmp_path / "lm.txt.gz", bytes(data))
    with pytest.raises(InputError, match=r"lm\.txt\.gz: "):
        ex.read_gene_list(path)
    not_gzip = _write(tmp_path / "plain.txt.gz", "TP53\nMYC\n")
    with pytest.raises(InputError, match="not a valid gzip file"):
        ex.read_gene_list(not_gzip)


def test_unreadable_gene_list(tmp_path, monkeypatch):
    path = _write(tmp_path / "lm.txt", "TP53\nMYC\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(genes_module, "_open_text", refuse)
    with pytest.raises(InputError, match=r"lm\.txt: cannot read the gene list"):
        ex.read_gene_list(path)


# ------------------------------------------------------ 5. comment lines before the header


def test_featurecounts_comment_line_is_skipped(tmp_path):
    lines = [
        '# Program:featureCounts v2.0.1; Command:"featureCounts" "-a" "genes.gtf" "-o" "x"',
        "gene\tS1\tS2\tS3",
        "G1\t1\t2\t3",
        "G2\t4\t5\t6",
    ]
    path = _write(tmp_path / "counts.txt", "\n".join(lines) + "\n")
    frame = ex.read_expression(path, orientation="genes_x_samples")
    assert list(frame.index) == ["S1", "S2", "S3"] and list(frame.columns) == ["G1", "G2"]
    assert frame.loc["S3", "G2"] == 6.0
    quoted = _write(tmp_path / "q.txt", "\n".join([*lines[:2], 'G1\t1\t2\t"3"', lines[3]]))
    assert ex.read_expression(quoted).shape == (2, 3)  # the pandas path skips it too
    bad = _write(tmp_path / "bad.txt", "\n".join([*lines[:3], "G2\t4\tx\t6"]) + "\n")
    with pytest.raises(InputError, match=r"bad\.txt, line 4: non-numeric value 'x'"):
        ex.read_expression(bad)


def test_featurecounts_table_as_it_writes_it(tmp_path):
    """featureCounts' own layout: Geneid, then Chr, Start, End, Strand, Length (with
    'chr1;chr1' for a gene of several exons), then the counts: 'non-numeric value' before
    (found by a review). The annotation columns are left out and the table is genes x
    samples whatever data_checks orientation says under auto."""
    lines = [
        '# Program:featureCounts v2.0.1; Command:"featureCounts" "-o" "counts.txt" "a.bam"',
        "Geneid\tChr\tStart\tEnd\tStrand\tLength\ta.bam\tb.bam\tc.bam",
        "ENSG01\tchr1;chr1\t100;300\t200;400\t+;+\t200\t10\t0\t5",
        "ENSG02\tchr2\t500\t900\t-\t400\t3\t7\t1",
    ]
    frame = ex.read_expression(_write(tmp_path / "counts.txt", "\n".join(lines) + "\n"),
                               format="tsv")  # fmt: skip
    assert list(frame.index) == ["a.bam", "b.bam", "c.bam"]
    assert list(frame.columns) == ["ENSG01", "ENSG02"]
    np.testing.assert_array_equal(frame.to_numpy(), [[10, 3], [0, 7], [5, 1]])


def test_commented_header_is_still_the_header(tmp_path):
    path = _write(tmp_path / "m.tsv", "#sample\tA\tB\nS1\t1\t2\nS2\t3\t4\n")
    frame = ex.read_expression(path)
    assert list(frame.columns) == ["A", "B"] and list(frame.index) == ["S1", "S2"]
    r_style = _write(tmp_path / "r.tsv", "#A\tB\nS1\t1\t2\nS2\t3\t4\n")  # write.table
    assert list(ex.read_expression(r_style).index) == ["S1", "S2"]


# ------------------------------------------------------ 6. a separator ending every line


def test_trailing_tab_on_every_line_is_dropped(tmp_path):
    text = "sample\tA\tB\t\nS1\t1\t2\t\nS2\t3\t4\t\n"
    frame = ex.read_expression(_write(tmp_path / "m.tsv", text))
    assert list(frame.columns) == ["A", "B"]
    np.testing.assert_array_equal(frame.to_numpy(), [[1.0, 2.0], [3.0, 4.0]])
    rows_only = _write(tmp_path / "r.tsv", "sample\tA\tB\nS1\t1\t2\t\nS2\t3\t4\t\n")
    assert list(ex.read_expression(rows_only).columns) == ["A", "B"]
    header_only = _write(tmp_path / "h.tsv", "sample\tA\tB\t\nS1\t1\t2\nS2\t3\t4\n")
    assert list(ex.read_expression(header_only).columns) == ["A", "B"]


def test_r_write_table_with_an_all_na_last_gene_is_not_shifted(tmp_path):
    # R's write.table header (one field fewer); the last gene is NA everywhere, not empty
    path = _write(tmp_path / "r.tsv", "A\tB\nS1\t1\tNA\nS2\t3\tNA\n")
    with pytest.raises(InputError, match=r"NaN value\(s\) in 1 gene\(s\): B"):
        ex.read_expression(path)
    # written with na="": the empty last field is gene C, not a trailing separator (every
    # value was labelled one gene to the left; found by a review)
    path = _write(tmp_path / "e.tsv", "A\tB\tC\nS1\t1\t2\t\nS2\t3\t4\t\n")
    with pytest.raises(InputError, match=r"NaN value\(s\) in 1 gene\(s\): C"):
        ex.read_expression(path)


# ------------------------------------------------------------ 7. spaces around the ids


def test_spaces_around_ids_are_removed(tmp_path):
    path = _write(tmp_path / "m.csv", "sample, TP53 ,MYC \n S1 ,1,2\nS2,3,4\n")
    frame = ex.read_expression(path)
    assert list(frame.columns) == ["TP53", "MYC"] and list(frame.index) == ["S1", "S2"]
    dup = _write(tmp_path / "d.tsv", "sample\tTP53\t TP53\nS1\t1\t3\nS2\t3\t5\n")
    assert ex.read_expression(dup)["TP53"].tolist() == [2.0, 4.0]
    with pytest.raises(InputError, match="duplicated gene id"):
        ex.read_expression(dup, duplicates="error")
    listed = _write(tmp_path / "lm.txt", " TP53 \n  MYC\n")
    assert ex.read_gene_list(listed)["symbol"].tolist() == ["TP53", "MYC"]


def test_a_text_table_has_some_genes_read_alone(tmp_path):
    """``read_expression_keeping_nan(genes=...)`` on a plain text table parses those genes'
    columns (rows, when its rows are genes) alone: spaces around ids, a trailing tab and a
    repeated gene as in the whole read; a text value in another gene is not read."""
    wide = "sample\t TP53 \tMYC\tTP53\tEGFR\t\nS1\t1\tabc\t3\t5\t\nS2\t2\tx\t4\t6\t\n"
    path = _write(tmp_path / "w.tsv", wide)
    with pytest.raises(InputError, match="MYC"):
        ex.read_expression(path)  # read whole: the text values are an error
    part = ex.read_expression_keeping_nan(path, genes=["TP53", "EGFR", "absent"])
    assert list(part.columns) == ["TP53", "EGFR"] and list(part.index) == ["S1", "S2"]
    assert part.to_numpy().tolist() == [[2.0, 5.0], [3.0, 6.0]]  # the two TP53s' mean
    tall = _write(tmp_path / "t.tsv", "gene\tS1\tS2\n TP53\t1\t2\nMYC\tabc\tx\nEGFR\t5\t6\n")
    asked = []

    def genes_in_rows(rows, columns):
        asked.append((list(rows), list(columns)))
        return "TP53" in rows

    for told in ({"orientation": "genes_x_samples"}, {"genes_in_rows": genes_in_rows}):
        part = ex.read_expression_keeping_nan(tall, genes=["TP53", "EGFR"], **told)
        assert part.to_numpy().tolist() == [[1.0, 5.0], [2.0, 6.0]]
    assert asked == [(["TP53", "MYC", "EGFR"], ["S1", "S2"])]  # once, with every id
    asked.clear()
    quoted = _write(tmp_path / "q.tsv", '"gene"\t"S1"\t"S2"\n"TP53"\t1\t2\n"EGFR"\t5\t6\n')
    part = ex.read_expression_keeping_nan(quoted, genes=["TP53"], genes_in_rows=genes_in_rows)
    assert list(part.index) == ["S1", "S2"] and part.to_numpy().tolist() == [[1.0], [2.0]]
    dup = _write(tmp_path / "d.tsv", "gene\tS1\tS1\nTP53\t1\t2\n")
    with pytest.raises(InputError, match="duplicated sample id"):
        ex.read_expression_keeping_nan(dup, genes=["TP53"], orientation="genes_x_samples")
    assert ex.expression_table_ids(tall) == (["TP53", "MYC", "EGFR"], ["S1", "S2"])
    assert ex.expression_table_ids(_write(tmp_path / "q.csv", '"s","A"\n"S1",1\n')) == (
        ["S1"],
        ["A"],
    )  # quotes around ids taken (R's write.csv); other quotes: test_r_write_csv_quotes...
    _write(tall, "gene\tS1\tS2\nKRAS\t1\t2\n")  # the file changed: its ids read again
    assert ex.expression_table_ids(tall) == (["KRAS"], ["S1", "S2"])


def test_r_write_csv_quotes_are_taken_by_the_partial_read(tmp_path, monkeypatch):
    """R's write.csv quotes the names and row ids: a partial read takes them (the line parser,
    not pandas), the same frame as the whole read; a quoted separator in an id is left to
    pandas."""
    from gexnb.data.expression import readers

    text = '"","TP53","MYC","EGFR"\n"S1",1,2,3\n"S2",4,5,6\n'
    path = _write(tmp_path / "r.csv", text)
    whole = ex.read_expression_keeping_nan(path)
    assert ex.expression_table_ids(path) == (["S1", "S2"], ["TP53", "MYC", "EGFR"])

    def no_pandas(*args, **kwargs):
        raise AssertionError("read by pandas")

    with monkeypatch.context() as mp:
        mp.setattr(readers, "_parse_rows", no_pandas)
        part = ex.read_expression_keeping_nan(path, genes=["TP53", "EGFR"])
    pd.testing.assert_frame_equal(part, whole[["TP53", "EGFR"]])
    odd = _write(tmp_path / "o.csv", '"","TP53","MYC"\n"S,1",1,2\n"S2",4,5\n')
    assert ex.expression_table_ids(odd) is None
    part = ex.read_expression_keeping_nan(odd, genes=["TP53"])
    assert list(part.index) == ["S,1", "S2"] and part["TP53"].tolist() == [1.0, 4.0]


def test_a_table_read_in_several_blocks_is_the_table_read_at_once(tmp_path, monkeypatch):
    """pandas reads a whole text table in blocks of rows: a column of integers in one block
    and decimals in another is one float column, a missing value stays missing, and a text
    cell in a later block is named by its own line."""
    from gexnb.data.expression import readers

    text = "sample\tA\tB\nS1\t1\t2\nS2\t3\t4.5\nS3\t\t6\nS4\t7\t8\n"
    path = _write(tmp_path / "m.tsv", text)
    at_once = ex.read_expression_keeping_nan(path)
    monkeypatch.setattr(readers, "_BLOCK_VALUES", 3)  # one row (3 fields) per block
    blocks = ex.read_expression_keeping_nan(path)
    pd.testing.assert_frame_equal(blocks, at_once)
    assert blocks.loc["S3", "A"] != blocks.loc["S3", "A"] and blocks.loc["S2", "B"] == 4.5
    bad = _write(tmp_path / "b.tsv", text.replace("S4\t7", "S4\tx7"))
    with pytest.raises(InputError, match=r"line 5.*'x7'"):
        ex.read_expression_keeping_nan(bad)


def test_ids_that_pandas_takes_for_missing_are_kept_as_written(tmp_path):
    """A row id "NA" or "null" stays as written when the table is read by pandas (here for
    its empty cell), as the line-by-line parser keeps it; it became the string 'nan'."""
    path = _write(tmp_path / "m.tsv", "gene\tS1\tS2\nNA\t1\t\nnull\t4\t5\n")
    frame = ex.read_expression_keeping_nan(path, orientation="genes_x_samples")
    assert list(frame.columns) == ["NA", "null"]


_SERIES_HEAD = (
    '!Series_title\t"A study"\n!Series_geo_accession\t"GSE1"\n!Series_platform_id\t"GPL96"\n'
    '\n!Sample_title\t"ctrl 1"\t"ctrl 2"\n!Sample_geo_accession\t"GSM1"\t"GSM2"\n'
    "!series_matrix_table_begin\n"
)


@pytest.mark.parametrize("suffix", ["txt", "txt.gz"])
def test_a_geo_series_matrix_is_read(tmp_path, caplog, suffix):
    """GEO's GSExxx_series_matrix.txt.gz: the table between its begin and end lines, probes
    x samples (GSM ids), 'null' missing; it was a ragged-row error on the metadata lines."""
    text = (
        _SERIES_HEAD + '"ID_REF"\t"GSM1"\t"GSM2"\n"1007_s_at"\t7.1\t8.2\n"1053_at"\t5.5\tnull\n'
        '"117_at"\t6\t6.1\n!series_matrix_table_end\n'
    )
    data = gzip.compress(text.encode()) if suffix.endswith("gz") else text
    path = _write(tmp_path / f"GSE1_series_matrix.{suffix}", data)
    frame = ex.read_expression_keeping_nan(path)
    assert list(frame.index) == ["GSM1", "GSM2"]
    assert list(frame.columns) == ["1007_s_at", "1053_at", "117_at"]
    np.testing.assert_array_equal(frame.to_numpy(), [[7.1, 5.5, 6.0], [8.2, np.nan, 6.1]])
    assert any("GEO series matrix (GSE1, platform GPL96)" in m for m in caplog.messages)
    assert ex.expression_table_ids(path) is None  # quoted ids: read whole
    with pytest.raises(InputError, match="1053_at"):
        ex.read_expression(path)  # the NaN policy as for any matrix


def test_a_truncated_or_empty_geo_series_matrix_is_named(tmp_path):
    truncated = _write(tmp_path / "t.txt", _SERIES_HEAD + '"ID_REF"\t"GSM1"\n"A"\t1\n')
    with pytest.raises(InputError, match="truncated download"):
        ex.read_expression(truncated)
    empty = _write(tmp_path / "e.txt", _SERIES_HEAD + '"ID_REF"\n!series_matrix_table_end\n')
    with pytest.raises(InputError, match="RNA-seq series keeps its counts"):
        ex.read_expression(empty)


def test_an_hdf5_matrix_that_is_a_group_is_named(tmp_path):
    path = tmp_path / "g.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("matrix")
        h5["samples"], h5["genes"] = np.array([b"S1"]), np.array([b"G1"])
    for genes in (None, ["G1"]):
        with pytest.raises(InputError, match="'matrix' is a group"):
            ex.read_expression_keeping_nan(path, genes=genes)


# ------------------------------------------------------- 8. gene symbols turned into dates


def test_excel_dates_among_matrix_ids_are_named():
    frame = pd.DataFrame(np.ones((3, 5)), columns=["TP53", "2-Sep", "1-Mar", "Sep-02", "MYC"])
    with pytest.raises(InputError) as err:
        ex.select_landmarks_targets(frame, ["TP53", "SEPT2", "MARCH1"], ["MYC"])
    message = str(err.value)
    assert "3 id(s) that look like Excel dates (2-Sep, 1-Mar, Sep-02)" in message
    assert "SEPT2, MARCH1 converted by a spreadsheet" in message
    plain = pd.DataFrame(np.ones((3, 2)), columns=["TP53", "MYC"])
    with pytest.raises(InputError) as err:
        ex.select_landmarks_targets(plain, ["TP53", "SEPT2"], ["MYC"])
    assert "Excel" not in str(err.value)


# ---------------------------------------------------------------- 9. pandas to_hdf files


def _pandas_hdf(path: Path, frame: pd.DataFrame, *, blocks: int = 1) -> Path:
    """The layout of ``frame.to_hdf(path, key="df")`` (fixed format), written with h5py."""
    with h5py.File(path, "w") as h5:
        group = h5.create_group("df")
        group.attrs["pandas_type"] = np.bytes_(b"frame")
        group.attrs["nblocks"] = blocks
        group["axis0"] = np.array(frame.columns, dtype="S")
        group["axis1"] = np.array(frame.index, dtype="S")
        if blocks == 1:
            group["block0_values"] = frame.to_numpy()
            group["block0_values"].attrs["transposed"] = np.bool_(True)
            group["block0_items"] = np.array(frame.columns, dtype="S")
        else:
            for i, cols in enumerate((frame.columns[:1], frame.columns[1:])):
                group[f"block{i}_values"] = frame[cols].to_numpy()
                group[f"block{i}_items"] = np.array(cols, dtype="S")
    return path


def test_pandas_to_hdf_layout_is_read(tmp_path):
    frame = _matrix()
    read = ex.read_expression(_pandas_hdf(tmp_path / "p.h5", frame))
    assert list(read.index) == list(frame.index) and list(read.columns) == list(frame.columns)
    np.testing.assert_allclose(read.to_numpy(), frame.to_numpy())
    assert ex.expression_gene_ids(tmp_path / "p.h5") is None  # some genes: read whole
    part = ex.read_expression_keeping_nan(tmp_path / "p.h5", genes=["G1", "G3"])
    np.testing.assert_allclose(part.to_numpy(), frame[["G1", "G3"]].to_numpy())


def test_pandas_to_hdf_with_several_blocks_is_refused_with_a_hint(tmp_path):
    path = _pandas_hdf(tmp_path / "p.h5", _matrix(), blocks=2)
    with pytest.raises(InputError, match=r"p\.h5: a pandas to_hdf frame .*write_expression"):
        ex.read_expression(path)


# ------------------------------------------------------- 10. h5ad whose raw has more genes


def test_h5ad_raw_with_more_genes_is_named_when_genes_are_missing(tmp_path):
    anndata = pytest.importorskip("anndata")
    full = _matrix(5, 8)
    adata = anndata.AnnData(full.to_numpy())
    adata.obs_names, adata.var_names = list(full.index), list(full.columns)
    adata.raw = adata
    adata = adata[:, ["G0", "G1", "G2"]].copy()
    path = tmp_path / "cells.h5ad"
    adata.write_h5ad(path)
    frame = ex.read_expression(path)
    assert list(frame.columns) == ["G0", "G1", "G2"]
    with pytest.raises(InputError) as err:
        ex.select_landmarks_targets(frame, ["G0", "G5"], ["G1"], path=path)
    assert "adata.raw has 8: write adata.raw.to_adata() to its own file" in str(err.value)


# ------------------------------------------------- 11. gene-list headers, quotes and commas


def test_quoted_ids_in_a_gene_list(tmp_path):
    path = _write(tmp_path / "lm.txt", '"TP53"\n"MYC"\n')
    assert ex.read_gene_list(path)["symbol"].tolist() == ["TP53", "MYC"]


def test_header_line_of_a_gene_list_is_named(tmp_path):
    frame = pd.DataFrame(np.ones((2, 2)), columns=["TP53", "MYC"])
    for header in ('"x"', "Gene Symbol"):
        path = _write(tmp_path / "lm.txt", f"{header}\nTP53\n")
        with pytest.raises(InputError, match=r"line 1 of .*lm\.txt \('.*'\) looks like a header"):
            ex.select_landmarks_targets(frame, path, ["MYC"])


def test_comma_joined_gene_list_is_named(tmp_path):
    frame = pd.DataFrame(np.ones((2, 3)), columns=["TP53", "MYC", "EGFR"])
    path = _write(tmp_path / "lm.txt", "TP53,MYC,EGFR\n")
    with pytest.raises(InputError, match=r"'TP53,MYC,EGFR' hold commas: comma-separated\?"):
        ex.select_landmarks_targets(frame, path, ["MYC"])


def test_two_column_gene_lists_take_the_first_column(tmp_path):
    tab = _write(tmp_path / "t.txt", "TP53\ttumor protein p53\nMYC\tmyc proto-oncogene\n")
    assert ex.read_gene_list(tab)["symbol"].tolist() == ["TP53", "MYC"]
    comma = _write(tmp_path / "c.csv", 'TP53,"tumor protein p53"\nMYC,myc\n')
    assert ex.read_gene_list(comma)["symbol"].tolist() == ["TP53", "MYC"]


# ------------------------------------------------------------ 12. GCT without Description


def test_gct_without_description_column_is_named(tmp_path):
    text = "#1.2\n2\t3\nName\ta\tb\tc\ng1\t1\t2\t3\ng2\t4\t5\t6\n"
    path = _write(tmp_path / "m.gct", text)
    with pytest.raises(InputError, match="is Description missing"):
        ex.read_expression(path)


# ------------------------------------------------------------ 13. latin-1 text matrices


def test_latin1_matrix_names_the_line(tmp_path):
    lines = ["sample\tA\tB", *(f"S{i}\t1\t2" for i in range(5000)), "S\xc4\t1\t2"]
    path = _write(tmp_path / "m.tsv", ("\n".join(lines) + "\n").encode("latin-1"))
    with pytest.raises(InputError, match=r"byte 0xc4 on line 5002, field 1") as err:
        ex.read_expression(path)
    assert err.value.line == 5002


def test_log_says_the_comment_lines_were_skipped(tmp_path, caplog):
    path = _write(tmp_path / "c.tsv", "# made by a tool; v1\nsample\tA\nS1\t1\n")
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.readers"):
        assert list(ex.read_expression(path).columns) == ["A"]
    assert "skipping 1 comment line(s)" in caplog.text


def test_the_genes_filled_are_those_of_the_columns_kept():
    """With duplicates: first, a NaN in the discarded column of a duplicated id made the
    kept, fully measured column count as filled (the review)."""
    frame = pd.DataFrame([[1.0, np.nan, 3.0], [2.0, 5.0, 4.0], [3.0, 6.0, 5.0]],
                         columns=["A", "A", "B"], index=["s1", "s2", "s3"])  # fmt: skip
    first = ex.apply_policies(frame, nan="mean", duplicates="first")
    assert first.attrs["imputed_genes"] == [] and first.attrs["values_imputed"] == 0
    averaged = ex.apply_policies(frame, nan="mean", duplicates="mean")
    assert averaged.attrs["imputed_genes"] == ["A"] and averaged.attrs["values_imputed"] == 1
    assert not any(k.startswith("_") for k in averaged.attrs)


def test_a_sample_with_no_value_at_all_is_named_and_can_be_left_out(tmp_path):
    """A genes x samples file with one empty sample column (a failed array): every gene
    had a NaN, the error named genes only, ``nan: drop_genes`` left no gene and crashed in
    the transform (``ValueError: zero-size array``), ``nan: mean`` made the sample up from
    gene means (a new-user trial). The sample is now named, ``drop_samples`` leaves it out,
    ``drop_genes`` and ``mean`` refuse, naming it."""
    from gexnb.data.landmark import load_landmark_data

    read_expression = ex.read_expression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(8, 1, (6, 5)), index=[f"g{i}" for i in range(6)],
        columns=[f"s{i}" for i in range(5)],
    )  # fmt: skip
    frame["s3"] = np.nan
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t", index_label="gene")
    told = {"orientation": "genes_x_samples"}
    # the one policy that applies is suggested (drop_genes would leave no gene: a trial)
    with pytest.raises(InputError, match=r"1 sample\(s\) have no value at all: s3 \(in the "
                       r"notebooks set data_checks: \{nan: drop_samples\}; in Python"):  # fmt: skip
        read_expression(path, **told)
    with pytest.raises(InputError, match=r"no value at all: s3: every gene has a missing value"):
        read_expression(path, nan="drop_genes", **told)
    with pytest.raises(InputError, match=r"s3; gene means would make them up whole"):
        read_expression(path, nan="mean", **told)
    kept = read_expression(path, nan="drop_samples", **told)
    assert list(kept.index) == ["s0", "s1", "s2", "s4"] and kept.shape == (4, 6)
    data = load_landmark_data(path, landmark_list=["g0", "g1"], target_list=["g2", "g3"],
                              transform="none", nan="drop_samples", **told)  # fmt: skip
    assert list(data.X.index) == ["s0", "s1", "s2", "s4"]
    frame.loc[:, :] = np.nan
    frame.to_csv(path, sep="\t", index_label="gene")
    with pytest.raises(InputError, match=r"every sample has a missing value.*nan: drop_genes"):
        read_expression(path, nan="drop_samples", **told)


def test_drop_samples_drops_a_sample_only_for_a_gene_the_lists_name(tmp_path, caplog):
    """``nan: drop_samples`` dropped a sample for a missing value in any gene of the file,
    also one the notebook never uses (a GEO matrix's stray empty probe cost whole samples).
    Now, with gene lists, only a missing value in a gene they name (by any identifier: an
    Ensembl id without its version, a probe of a comma-separated group) drops a sample; the
    other genes with missing values are left out, logged."""
    from gexnb.data.landmark import load_landmark_data
    from gexnb.pipelines.data_prep import load_expression

    rng = np.random.default_rng(1)
    genes = ["ENSG01.3", "p1", "p2", "T1", "T2", "other1", "other2"]
    frame = pd.DataFrame(rng.normal(8, 1, (10, len(genes))), columns=genes,
                         index=[f"s{i}" for i in range(10)])  # fmt: skip
    frame.loc["s1", "other1"] = np.nan  # genes no list names
    frame.loc["s4", "other2"] = np.nan
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t", index_label="sample")
    lm = tmp_path / "lm.txt"
    lm.write_text("symbol\tensembl\tprobe\nA\tENSG01\t\nB\t\tp1,p2\n")
    tg = tmp_path / "tg.txt"
    tg.write_text("T1\nT2\n")
    with caplog.at_level("WARNING"):
        data = load_landmark_data(path, landmark_list=str(lm), target_list=str(tg),
                                  transform="none", nan="drop_samples")  # fmt: skip
    assert len(data.X) == 10 and "2 gene(s) the gene lists do not name" in caplog.text
    prepared = load_expression(path, landmark_list=str(lm), target_list=str(tg),
                               transform="none", nan="drop_samples")  # fmt: skip
    assert len(prepared.frame) == 10
    for gene, sample in (("p2", "s2"), ("ENSG01.3", "s3"), ("T2", "s5")):
        frame.loc[sample, gene] = np.nan  # a probe of a group, an Ensembl id, a target
    frame.to_csv(path, sep="\t", index_label="sample")
    data = load_landmark_data(path, landmark_list=str(lm), target_list=str(tg),
                              transform="none", nan="drop_samples")  # fmt: skip
    assert list(data.X.index) == ["s0", "s1", "s4", "s6", "s7", "s8", "s9"]
    # without lists (a matrix read on its own) every gene counts, as before
    assert list(ex.read_expression(path, nan="drop_samples").index) == [
        "s0",
        "s6",
        "s7",
        "s8",
        "s9",
    ]


def test_gene_annotation_columns_of_a_counts_table_are_left_out(tmp_path, caplog):
    """A trial's counts table 'gene_id, gene_name, samples...' was refused: "non-numeric
    value 'ABAT' ... column 'gene_name'". The annotation is left out, the rows are genes."""
    text = (
        "gene_id\tgene_name\tgene_type\tS1\tS2\tS3\n"
        "ENSG00000183044.12\tABAT\tprotein_coding\t10\t0\t5\n"
        "ENSG00000141510.17\tTP53\tprotein_coding\t3\t7\t1\n"
    )
    with caplog.at_level("WARNING", logger="gexnb.data.expression.readers"):
        frame = ex.read_expression(_write(tmp_path / "counts.tsv", text))
    assert "column(s) gene_name, gene_type are left out (gene annotation" in caplog.text
    assert list(frame.index) == ["S1", "S2", "S3"]
    assert list(frame.columns) == ["ENSG00000183044.12", "ENSG00000141510.17"]
    # a samples x genes table's description of its samples is not gene annotation
    about = _write(tmp_path / "s.tsv", "sample\tdescription\tA\tB\nS1\tliver\t1\t2\n")
    with pytest.raises(InputError, match="non-numeric value 'liver'"):
        ex.read_expression(about)

"""Hints of the readers and checks, found by a new-user trial: a ``sequence<TAB>log2_ratio``
header is read, a setting to change is given in the notebooks' parameter syntax
(``data_checks: {zero_variance: drop}``) beside the Python keyword, a constant gene made so by
``log2(max(x, 1))`` says so, and a genes x samples matrix is described correctly."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gexnb.data import expression as ex
from gexnb.data import sequences as sq
from gexnb.data.landmark import (
    LandmarkData,
    load_landmark_data,
    make_splits,
    prepare_cross_dataset,
    prepare_split,
)
from gexnb.errors import InputError, ParameterError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ sequence file headers


def test_two_column_header_naming_sequence_takes_the_other_as_expression(tmp_path, caplog):
    path = _write(tmp_path / "mpra.tsv", "sequence\tlog2_ratio\nACGT\t-0.5\nGGA\t1.25\n")
    with caplog.at_level(logging.INFO, logger="gexnb.data.sequence_files"):
        frame = sq.read_sequences(path)
    assert list(frame.columns) == ["sequence", "expression"]
    assert frame["expression"].tolist() == [-0.5, 1.25]
    assert "taking its column 'log2_ratio' as the expression" in caplog.text
    codes, y = sq.read_encoded(path, length=4)
    assert codes.shape == (2, 4) and y.tolist() == [-0.5, 1.25]
    swapped = _write(tmp_path / "b.csv", "log2_ratio,sequence\n0.5,ACGT\n")
    assert sq.read_sequences(swapped)["expression"].tolist() == [0.5]


def test_two_column_header_keeps_the_column_without_require_expression(tmp_path):
    path = _write(tmp_path / "mpra.tsv", "sequence\tlog2_ratio\nACGT\t-0.5\n")
    frame = sq.read_sequences(path, require_expression=False)
    assert frame["expression"].isna().all() and frame["log2_ratio"].tolist() == [-0.5]


def test_wider_header_without_expression_names_its_columns(tmp_path):
    text = "id\tsequence\trep1\trep2\n1\tACGT\t0.5\t0.7\n"
    path = _write(tmp_path / "a.tsv", text)
    with pytest.raises(InputError) as err:
        sq.read_sequences(path)
    message = str(err.value)
    assert "a.tsv, line 1:" in message and "no 'expression' column" in message
    assert "(columns found: 'id', 'sequence', 'rep1', 'rep2')" in message
    assert "name the column holding the measured values with expression_column" in message
    # an annotation beside one measured column is no second candidate; two annotations and
    # no measurement are refused, not read as expression
    one = _write(tmp_path / "b.tsv", "id\tsequence\tlength\tlog2_ratio\n1\tACGT\t4\t0.5\n")
    assert sq.read_sequences(one)["expression"].tolist() == [0.5]
    none = _write(tmp_path / "c.tsv", "id\tsequence\tlength\n1\tACGT\t4\n")
    with pytest.raises(InputError, match=r"columns found: 'id', 'sequence', 'length'"):
        sq.read_sequences(none)


def test_expression_column_names_the_measured_column(tmp_path, caplog):
    """DeepSTARR's two activity columns: the file had to be edited to name one 'expression'
    (2026-12-01); ``expression_column`` names it, in every reader and in the notebooks."""
    from gexnb.data.promoters import load_promoters
    from gexnb.pipelines.promoter import load_test

    text = (
        "ID\tSequence\tDev_log2_enrichment\tHk_log2_enrichment\n"
        "e1\tACGTAC\t1.5\t-0.25\ne2\tGGATT\t0.5\t2.0\n"
    )
    path = _write(tmp_path / "deepstarr.tsv", text)
    with pytest.raises(InputError, match="no 'expression' column.*expression_column"):
        sq.read_sequences(path)
    with caplog.at_level(logging.INFO, logger="gexnb.data.sequence_files"):
        frame = sq.read_sequences(path, expression_column="hk_log2_enrichment")
    assert "column 'Hk_log2_enrichment' holds the expression" in caplog.text  # the header's
    with pytest.raises(InputError, match=r"line 2: non-numeric expression 'e1' \(column 'ID'\)"):
        sq.read_sequences(path, expression_column="id")  # a wrong choice is named
    assert list(frame.columns) == ["sequence", "expression", "ID", "Dev_log2_enrichment"]
    assert frame["expression"].tolist() == [-0.25, 2.0]
    codes, y = sq.read_encoded(path, length=6, expression_column="Dev_log2_enrichment")
    assert codes.shape == (2, 6) and y.tolist() == [1.5, 0.5]
    distinct = ["ACG" + "ACGT"[k % 4] + "ACGT"[k // 4 % 4] + "ACGT"[k // 16] for k in range(20)]
    rows = "".join(f"e{k}\t{seq}\t{k}\t{-k}\n" for k, seq in enumerate(distinct))
    longer = _write(tmp_path / "longer.tsv", text.splitlines(keepends=True)[0] + rows)
    chosen = load_promoters(longer, length=6, expression_column="Hk_log2_enrichment")
    assert chosen.expression.tolist() == [-k for k in range(20)]
    test, _ = load_test(str(path), length=6, expression_column="Hk_log2_enrichment")
    assert test["expression"].tolist() == [-0.25, 2.0]
    refusals = [
        (path, "Dev", r"has no column 'Dev' \(expression_column\); its columns: 'ID'"),
        (path, "sequence", "is the sequence column"),
        (_write(tmp_path / "both.tsv", "sequence\texpression\tother\nACGT\t1\t2\n"), "other",
         "also has an 'expression' column"),
        (_write(tmp_path / "plain.tsv", "ACGT\t1\n"), "Dev_log2_enrichment", "has no header"),
    ]  # fmt: skip
    for where, name, message in refusals:
        with pytest.raises(InputError, match=message):
            sq.read_sequences(where, expression_column=name)
    with pytest.raises(ParameterError, match="expression_column is 'x', but sequence_path is"):
        load_promoters("", n_synthetic=20, expression_column="x")


@pytest.mark.parametrize(
    ("text", "sequences"),
    [
        ("name,seq,log2_ratio\nel1,ACGTAC,-0.5\nel2,GGATT,1.25\n", ["ACGTAC", "GGATT"]),
        ('"element"\t"oligo_sequence"\t"activity"\n"e1"\t"acgtn"\t2\n', ["ACGTN"]),
        ("name;DNA;signal\nx;TTTT;1,5\n", ["TTTT"]),
    ],
)
def test_sequence_column_found_by_content_under_any_name(tmp_path, caplog, text, sequences):
    """An MPRA table whose header calls the sequence column 'seq' (or anything else) was
    refused as 'neither a header naming a sequence column nor a sequence line' (a new-user
    trial with a human MPRA table, 2026-11-30)."""
    path = _write(tmp_path / "mpra.csv", text)
    with caplog.at_level(logging.INFO, logger="gexnb.data.sequence_files"):
        frame = sq.read_sequences(path)
    assert frame["sequence"].tolist() == sequences
    assert "names no 'sequence' column; its column" in caplog.text
    assert "as the expression" in caplog.text
    codes, y = sq.read_encoded(path, length=8)
    assert len(codes) == len(sequences) and y.tolist() == frame["expression"].tolist()


def test_sequence_column_by_content_needs_one_sequence_field(tmp_path):
    # two fields of the line after the header look like DNA: nothing is guessed
    path = _write(tmp_path / "a.tsv", "allele\tseq\tvalue\nA\tACGT\t1\n")
    with pytest.raises(InputError, match=r"its columns 'allele', 'seq' all hold sequences"):
        sq.read_sequences(path)
    # a barcode beside the sequence, whose first line has an IUPAC base: not the barcode
    # taken silently (review, 2026-11-30), both named
    barcode = "id\tbarcode\tseq\tactivity\n1\tACGTAC\tACGTRYACGT\t1.0\n"
    barcode += "".join(f"{i}\tGGTTAA\tACGTACGT\t2.0\n" for i in range(2, 12))
    path = _write(tmp_path / "bc.tsv", barcode)
    with pytest.raises(InputError, match=r"columns 'barcode', 'seq' all hold sequences"):
        sq.read_sequences(path, require_expression=False)
    # one column, with a header (a prediction input): found too
    one = _write(tmp_path / "one.txt", "seq\nACGT\nGGTT\n")
    assert sq.read_sequences(one, require_expression=False)["sequence"].tolist() == [
        "ACGT",
        "GGTT",
    ]
    # two-column headers read before stay read: the other column of two is the measurement
    # unless it names row ids, whatever else it is called; a header word made of A/C/G/T
    # (gc, tag, act) is no sequence
    for text in ("sequence,label\nACGT,1.5\n", "seq,len\nACGT,1.5\n", "seq\ttag\nACGT\t1.5\n"):
        assert sq.read_sequences(_write(tmp_path / "two.txt", text))["expression"].tolist() == [1.5]
    gc = _write(tmp_path / "gc.csv", "name,seq,gc,log2_ratio\ne1,ACGTAC,0.5,1.5\n")
    assert sq.read_sequences(gc)["expression"].tolist() == [1.5]
    # R's write.table: the header one field short of the data lines (no IndexError)
    short = _write(tmp_path / "r.txt", '"expr"\t"seq"\n"1"\t1.5\t"ACGT"\n')
    with pytest.raises(
        InputError, match=r"r\.txt, line 2: expected 2 tab-separated fields, found 3"
    ):
        sq.read_sequences(short)
    # a missing expression on that line is no second sequence
    missing = _write(tmp_path / "m.csv", "name,seq,log2_ratio\nel1,ACGT,NA\n")
    with pytest.raises(InputError, match=r"line 2: non-numeric expression 'NA'"):
        sq.read_sequences(missing)
    # a file without a header whose sequences are not in column 1
    data = _write(tmp_path / "b.tsv", "el1\tACGTACGTAC\t0.5\nel2\tGGATTACA\t1\n")
    with pytest.raises(InputError, match=r"line 1: .* holds a sequence in column 2, not 1"):
        sq.read_sequences(data)
    # an id, activity table (the activities of a FASTA's sequences): no sequence column,
    # said so; it was read as (sequence, expression): "invalid character 'e'" (a trial)
    ids = _write(tmp_path / "ids.tsv", "id\tactivity\nelem_00001\t1.5\nelem_00002\t-0.3\n")
    with pytest.raises(InputError, match=r"no column of the lines after it holds sequences"):
        sq.read_sequences(ids)
    with pytest.raises(InputError, match=r"gexnb join-fasta SEQUENCES.fa VALUES.tsv"):
        sq.read_sequences(ids)
    # a two-column header whose names say nothing: (sequence, expression) as before
    plain = _write(tmp_path / "c.tsv", "x\ty\nACGT\tNA\n")
    with pytest.raises(InputError, match=r"line 2: non-numeric expression 'NA' \(a missing "
                       "value: .* leave such rows out of the file"):  # fmt: skip
        sq.read_sequences(plain)
    nan = _write(tmp_path / "n.tsv", "x\ty\nACGT\tNaN\n")  # pandas' mark: parsed as a float
    with pytest.raises(InputError, match=r"expression is 'NaN'; expected a finite number .*\(a "
                       "missing value"):  # fmt: skip
        sq.read_sequences(nan)
    # sequences only (gexnb predict): the other columns kept under their names
    only = _write(tmp_path / "d.csv", "name,seq\nel1,ACGT\n")
    frame = sq.read_sequences(only, require_expression=False)
    assert frame["sequence"].tolist() == ["ACGT"] and frame["name"].tolist() == ["el1"]
    with pytest.raises(InputError, match=r"'name' looks like row names"):
        sq.read_sequences(only)


@pytest.mark.parametrize(
    ("text", "column"), [("id\tsequence\n1\tACGT\n", "'id'"), ('"","sequence"\n"1","ACGT"\n', "")]
)
def test_row_ids_beside_the_sequence_are_not_taken_as_expression(tmp_path, text, column):
    path = _write(tmp_path / "a.txt", text)
    with pytest.raises(InputError, match=r"looks like row names or identifiers; name the") as err:
        sq.read_sequences(path)
    assert column in str(err.value)


def test_too_long_hint_gives_the_notebook_setting(tmp_path):
    path = _write(tmp_path / "a.txt", "ACGTACG\t1\n")
    with pytest.raises(InputError, match=r"line 1: .*too_long: trim, in Python too_long='trim'"):
        sq.read_encoded(path, length=5)


# ------------------------------------------------------------------ constant genes, log2 floor


def _tpm_data(tmp_path: Path) -> LandmarkData:
    """TPM-like values; TG2 never exceeds 1 (a log2(max(x, 1)) floor gene), TG3 is 7 always."""
    rng = np.random.default_rng(0)
    genes = ["LM0", "LM1", "LM2", "TG0", "TG1", "TG2", "TG3"]
    values = rng.uniform(2.0, 500.0, size=(20, len(genes)))
    values[:, 5] = rng.uniform(0.0, 0.9, size=20)
    frame = pd.DataFrame(values, index=[f"S{i}" for i in range(20)], columns=genes)
    return load_landmark_data(
        frame, landmark_list=genes[:3], target_list=genes[3:6], transform="auto"
    )


def test_zero_variance_error_names_the_log2_floor_and_the_notebook_setting(tmp_path):
    data = _tpm_data(tmp_path)
    assert data.report["transform"] == "log2(max(x, 1))"
    parts = make_splits(len(data.X), seed=0)[0][1]
    with pytest.raises(InputError) as err:
        prepare_split(data, parts)
    message = str(err.value)
    assert "1 gene(s) have zero variance in the fitting samples of split 'split': TG2" in message
    assert "it sits at the floor of transform's log2(max(x, 1))" in message
    assert "at most 1 (e.g. TPM below 1)" in message
    assert "data_checks: {zero_variance: drop}" in message
    assert "use zero_variance='drop'" not in message
    assert prepare_split(data, parts, zero_variance="drop").dropped["zero_variance"] == ["TG2"]
    # the split is named: a gene constant only outside one left-out group (pbmc68k's
    # EGFL7 with louvain group 10 held out) was reported as if constant in the file
    with pytest.raises(InputError, match=r"fitting samples of split 'loso_10': TG2"):
        prepare_split(data, parts, name="loso_10", quantile=False)


def test_a_constant_gene_is_found_before_the_quantile_normalisation():
    """A gene constant at a value inside the range of the others: the quantile normalisation
    gave it varying values (its rank changes from sample to sample), so zero_variance:
    error never fired and the gene was trained and scored (found by a fault sweep)."""
    rng = np.random.default_rng(0)
    genes = ["LM0", "LM1", "LM2", "TG0", "TG1", "TG2"]
    frame = pd.DataFrame(rng.normal(7, 1, size=(30, 6)), columns=genes,
                         index=[f"S{i}" for i in range(30)])  # fmt: skip
    frame["TG1"] = 7.0
    data = load_landmark_data(frame, landmark_list=genes[:3], target_list=genes[3:])
    parts = make_splits(len(data.X), seed=0)[0][1]
    with pytest.raises(InputError, match=r"1 gene\(s\) have zero variance.*: TG1 \(to leave"):
        prepare_split(data, parts)
    prepared = prepare_split(data, parts, zero_variance="drop")
    assert prepared.dropped["zero_variance"] == ["TG1"] and prepared.targets == ["TG0", "TG2"]
    without = prepare_split(data, parts, zero_variance="drop", quantile=False)
    assert without.dropped["zero_variance"] == ["TG1"]


def test_a_single_sample_is_named_with_the_file(tmp_path):
    """One sample: "need at least 2 samples to fit a scaler, got 1", no file, after the gene
    lists were matched (found by a fault sweep)."""
    path = tmp_path / "one.tsv"
    pd.DataFrame([[1.0, 2.0, 3.0, 4.0]], index=["S1"], columns=["A", "B", "C", "D"]).to_csv(
        path, sep="\t"
    )
    with pytest.raises(InputError, match=r"one\.tsv: 1 sample\(s\) x 4 genes: too few samples"
                       r".*data_checks: \{orientation: genes_x_samples\}"):  # fmt: skip
        load_landmark_data(path, landmark_list=["A", "B"], target_list=["C", "D"])


def test_zero_variance_not_at_the_floor_says_nothing_of_it():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "flat": [7.0, 7.0, 7.0]})
    with pytest.raises(InputError) as err:
        ex.GeneScaler().fit(frame)
    message = str(err.value)
    assert "flat" in message and "floor" not in message
    assert "in the notebooks set data_checks: {zero_variance: drop}" in message
    assert "in Python zero_variance='drop'" in message


def test_transform_docs_state_the_floor():
    for func in (ex.transform_expression, ex.log2_transform):
        doc = " ".join((func.__doc__ or "").split())
        assert "log2(max(x, 1))" in doc or "log2(max(x, floor))" in doc
        assert "no pseudo-count" in doc and "below 1 all become 0" in doc


def test_auto_never_takes_the_log_of_negative_values(tmp_path):
    """Log ratios centred on 0 with one outlier above 100, or counts with negatives after a
    batch correction: auto took log2(max(x, 1)) and set every negative value to 0, exit 0
    (found by a fault sweep: 76 % of the cells of a centred file)."""
    rng = np.random.default_rng(0)
    centred = pd.DataFrame(rng.normal(0, 1, (20, 5)), columns=[f"G{i}" for i in range(5)])
    assert ex.transform_expression(centred, "auto")[1] == "none"  # log scale: unchanged
    centred.iloc[0, 0] = 150.0
    with pytest.raises(
        InputError,
        match=r"x\.tsv: transform: auto cannot tell the scale: "
        r"\d+ negative value\(s\).*set transform: none .* or transform: log2",
    ):
        ex.transform_expression(centred, "auto", source="x.tsv")
    kept, applied = ex.transform_expression(centred, "none")
    assert applied == "none" and kept.equals(centred)
    with pytest.warns(UserWarning, match=r"transform: log2 floors \d+ negative value\(s\) at 0"):
        logged, applied = ex.transform_expression(centred, "log2")
    assert applied == "log2(max(x, 1))" and (logged.to_numpy() >= 0).all()
    linear = centred.abs() * 100  # linear scale, no negatives: auto logs as before
    assert ex.transform_expression(linear, "auto")[1] == "log2(max(x, 1))"
    path = tmp_path / "expr.tsv"
    centred.rename(index=lambda i: f"S{i}").to_csv(path, sep="\t")
    with pytest.raises(InputError, match=r"expr\.tsv: transform: auto cannot tell"):
        load_landmark_data(path, landmark_list=["G0", "G1"], target_list=["G2", "G3"])


def test_auto_reads_the_scale_from_many_values_not_one(caplog):
    """A new-user trial: one stray 250 in a log2 matrix (values 0-15) had the whole matrix
    logged a second time, notebook 03 saying nothing; TPM values all below 100 were kept as
    given without a word. A few values above 100 are now outliers, kept and named; a matrix
    kept as given with many values above 30 is warned of; every decision is logged."""
    rng = np.random.default_rng(0)
    logged = pd.DataFrame(rng.uniform(0, 15, (200, 60)), columns=[f"G{i}" for i in range(60)])
    logged.iloc[3, 4] = 250.0
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.normalize"):
        kept, applied = ex.transform_expression(logged, "auto", source="x.tsv")
    assert applied == "none" and kept.equals(logged)
    assert any("x.tsv: transform: auto keeps the values as given: only 1 of 12000 exceed 100"
               in m for m in caplog.messages)  # fmt: skip
    caplog.clear()
    tpm = logged.clip(upper=15) * 6  # 0-90: linear values, none above 100
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.normalize"):
        assert ex.transform_expression(tpm, "auto")[1] == "none"
    assert any("exceed 30, which a log2 scale rarely does" in m for m in caplog.messages)
    caplog.clear()
    linear = 2.0 ** logged.clip(upper=15)
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.normalize"):
        assert ex.transform_expression(linear, "auto")[1] == "log2(max(x, 1))"
    assert any("the values look linear-scale" in m for m in caplog.messages)


# ------------------------------------------------------------------ other settings' hints


def test_duplicates_warning_gives_the_notebook_setting(tmp_path, caplog):
    path = _write(tmp_path / "m.tsv", "sample\tA\tA\tB\nS1\t1\t2\t3\nS2\t4\t5\t6\n")
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.readers"):
        ex.read_expression(path)
    assert "set data_checks: {duplicates: first} or {duplicates: error}" in caplog.text


def test_loso_without_groups_names_the_notebook_parameter():
    with pytest.raises(ParameterError, match=r"loso split needs sample groups: give "
                       r"sample_annotation"):  # fmt: skip
        make_splits(10, split="loso")


def test_cross_gene_mismatch_hint_gives_the_cross_option():
    rng = np.random.default_rng(0)
    a = LandmarkData(
        pd.DataFrame(rng.normal(size=(4, 2)), columns=["L1", "L2"]),
        pd.DataFrame(rng.normal(size=(4, 2)), columns=["T1", "T2"]),
    )
    b = LandmarkData(
        pd.DataFrame(rng.normal(size=(4, 1)), columns=["L1"]),
        pd.DataFrame(rng.normal(size=(4, 2)), columns=["T1", "T2"]),
        name="cross",
    )
    with pytest.raises(InputError) as err:
        prepare_cross_dataset(a, b)
    message = str(err.value)
    assert "cross: {expression_path: ..., gene_mismatch: intersect}" in message
    assert "prepare_cross_dataset(..., gene_mismatch='intersect')" in message
    assert "cross_gene_mismatch" not in message


# ------------------------------------------------------------------ genes x samples matrices


def test_genes_x_samples_matrix_columns_are_called_sample_ids(tmp_path):
    samples = ["TCGA-76-1000-01A", "TCGA-85-1001-01A", "TCGA-28-1002-01A"]
    frame = pd.DataFrame(
        np.arange(12.0).reshape(4, 3), index=["ACTB", "TP53", "MKI67", "GAPDH"], columns=samples
    )
    with pytest.raises(InputError) as err:
        ex.select_landmarks_targets(frame, ["ACTB", "TP53"], ["MKI67"])
    message = str(err.value)
    assert "the matrix columns look like sample ids (e.g. 'TCGA-76-1000-01A')" in message
    assert "gene symbols (e.g. 'TCGA" not in message
    assert "2 of them are in the row index (e.g. 'ACTB')" in message
    assert "data_checks: {orientation: genes_x_samples}" in message


def test_columns_of_no_known_kind_are_not_called_gene_symbols():
    frame = pd.DataFrame(np.arange(6.0).reshape(2, 3), columns=["sample 1", "sample 2", "sample 3"])
    with pytest.raises(InputError, match=r"columns look like ids of no kind gexnb knows "
                       r"\(e.g. 'sample 1'\)"):  # fmt: skip
        ex.select_landmarks_targets(frame, ["ACTB"], ["TP53"])


def test_entrez_ids_are_not_called_gene_symbols():
    """A new-user trial's list of Entrez ids was "gene symbols (e.g. '11065')"."""
    frame = pd.DataFrame(np.arange(6.0).reshape(2, 3), columns=["ACTB", "TP53", "MKI67"])
    with pytest.raises(InputError, match=r"the list gives Entrez \(NCBI gene\) ids, which "
                       r"gexnb does not match: map them to symbols \(e.g. '60'\)"):  # fmt: skip
        ex.select_landmarks_targets(frame, ["60", "7157"], ["4288"])
    columns = pd.DataFrame(np.arange(6.0).reshape(2, 3), columns=["60", "7157", "4288"])
    # a matrix' whole-number columns may be sample numbers as well (a review)
    with pytest.raises(InputError, match=r"the matrix columns look like whole numbers \(sample "
                       r"numbers, or Entrez gene ids"):  # fmt: skip
        ex.select_landmarks_targets(columns, ["ACTB", "TP53"], ["MKI67"])


def test_a_genes_x_samples_matrix_named_by_other_ids_gets_the_orientation_hint():
    """Row ids of probes, column ids of samples, a list of symbols: "the matrix columns look
    like ids of no kind gexnb knows" said nothing of the rows (a new-user trial)."""
    frame = pd.DataFrame(
        np.arange(12.0).reshape(3, 4), index=["1007_s_at", "1053_at", "117_at"],
        columns=["chowdary_001", "chowdary_002", "chowdary_003", "chowdary_004"],
    )  # fmt: skip
    with pytest.raises(InputError, match=r"its row ids look like probe ids \(e.g. '1007_s_at'\): "
                       r"a genes x samples matrix\?"):  # fmt: skip
        ex.select_landmarks_targets(frame, ["ACTB", "TP53"], ["MKI67"])


def _stderr_of(code: str, path: Path) -> str:
    """The standard error of ``python -c code path`` (a fresh process: no logging set up)."""
    run = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return run.stderr


def test_gexnb_messages_are_shown_once_without_a_logging_setup(tmp_path):
    """The column choices above were logged at INFO, which only notebook 03 (its own
    logging.basicConfig) showed: in 01, 02 and 04 they were dropped. begin_run now shows
    gexnb's messages in every notebook (show_gexnb_messages), once however often it runs."""
    path = _write(tmp_path / "mpra.csv", "name,seq,log2_ratio\nel1,ACGT,0.5\n")
    code = (
        "import logging, sys\n"
        "from gexnb.data.sequences import read_sequences\n"
        "from gexnb.rundir import show_gexnb_messages\n"
        "read_sequences(sys.argv[1])\n"  # no setup: dropped, as Python does
        "print('--', file=sys.stderr)\n"
        "show_gexnb_messages(); show_gexnb_messages()\n"
        "read_sequences(sys.argv[1])\n"
        "print('--', file=sys.stderr)\n"
        "logging.basicConfig(format='ROOT %(message)s'); show_gexnb_messages()\n"
        "read_sequences(sys.argv[1])\n"
    )
    before, shown, configured = _stderr_of(code, path).split("--\n")
    assert before == ""
    assert shown.count("INFO gexnb.data.sequence_files: ") == 2  # the two choices, once each
    assert "its column 'seq' holds the sequences" in shown and "'log2_ratio'" in shown
    assert "INFO gexnb" not in configured and configured.count("ROOT ") == 2
    # a logging setup after the first cell: each line once, through it; a level the user
    # gave the gexnb logger is kept (review, 2026-11-30)
    later = (
        "import logging, sys\n"
        "from gexnb.data.sequences import read_sequences\n"
        "from gexnb.rundir import show_gexnb_messages\n"
        "show_gexnb_messages()\n"
        "logging.basicConfig(format='ROOT %(message)s')\n"
        "read_sequences(sys.argv[1])\n"
        "print('--', file=sys.stderr)\n"
        "logging.getLogger().handlers.clear(); logging.getLogger('gexnb').handlers.clear()\n"
        "logging.getLogger('gexnb').setLevel(logging.ERROR); show_gexnb_messages()\n"
        "read_sequences(sys.argv[1])\n"
    )
    through_root, silenced = _stderr_of(later, path).split("--\n")
    assert through_root.count("ROOT ") == 2 and "INFO gexnb" not in through_root
    assert silenced == ""


def test_a_z_scored_matrix_is_warned_of(tmp_path, caplog):
    """Notebook 04 picked its inputs by variance on scanpy's scaled X (every gene sd about
    1): noise genes, R^2 0.05 where the log values gave 0.9 (new-user trial, 2026-11-30)."""
    from gexnb.pipelines import attention_lstm

    rng = np.random.default_rng(0)
    logs = pd.DataFrame(
        rng.gamma(2.0, 1.5, size=(40, 12)) * rng.uniform(0.2, 3, 12),
        index=[f"c{i}" for i in range(40)],
        columns=[f"G{i}" for i in range(12)],
    )
    assert ex.standardised_warning(logs) == ""
    assert ex.standardised_warning(logs - logs.mean()) == ""  # centred, sds of their own
    scaled = (logs - logs.mean()) / logs.std()
    message = ex.standardised_warning(scaled.clip(upper=10), "x.h5ad")
    assert message.startswith("x.h5ad: the genes look z-scored (median gene sd 1.00")
    assert "adata.raw.to_adata()" in message
    path = tmp_path / "scaled.tsv"
    scaled.to_csv(path, sep="\t")
    with caplog.at_level(logging.WARNING, logger="gexnb"):
        attention_lstm.load_expression(str(path))
    assert "the genes look z-scored" in caplog.text


def test_notebooks_01_and_02_pass_expression_column_to_every_sequence_reader():
    """Notebook 02 had no ``expression_column``: a DeepSTARR-like file with two activity
    columns could not be trained on without renaming one (2026-12-03)."""
    import ast
    import json
    from pathlib import Path

    from gexnb import runner

    project = Path(__file__).resolve().parent.parent
    readers = {"load_promoters", "load_test"}
    for stem in ("01_data_prep", "02_bigru_training"):
        path = project / "notebooks" / f"{stem}.ipynb"
        assert "expression_column" in runner.notebook_parameters(path), stem
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        calls = [
            node for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in readers
        ]  # fmt: skip
        assert calls, stem
        for call in calls:
            passed = {k.arg: ast.unparse(k.value) for k in call.keywords}
            assert passed.get("expression_column") == "expression_column", (stem, passed)


def test_symbols_against_ensembl_columns_point_to_a_table_of_both():
    """A trial's RNA-seq matrix had Ensembl columns, its targets symbols: the message did
    not say how to match them (notebook 04's probes_path)."""
    frame = pd.DataFrame(
        np.arange(6.0).reshape(2, 3),
        columns=["ENSG00000141510.17", "ENSG00000148773.14", "ENSG00000075624.17"],
    )
    with pytest.raises(InputError, match=r"look like Ensembl ids \(e.g. 'ENSG00000141510.17'\); "
                       r"to name genes by another id .*notebook 04: probes_path"):  # fmt: skip
        ex.select_landmarks_targets(frame, ["TP53", "ACTB"], ["MKI67"])

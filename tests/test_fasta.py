"""Tests of gexnb.data.fasta and ``gexnb join-fasta``: FASTA files with a table of values."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pandas as pd
import pytest

from gexnb.cli import main
from gexnb.data.fasta import is_fasta, join_fasta, read_fasta
from gexnb.data.promoters import load_promoters
from gexnb.data.sequences import encode_sequences
from gexnb.errors import InputError, ParameterError

RNG = np.random.default_rng(0)
SEQS = ["".join(RNG.choice(list("ACGT"), size=30)) for _ in range(12)]


def _fasta(path, names=None, *, width=0):
    names = names or [f"chr2L_{i}_+_peak" for i in range(len(SEQS))]
    lines = []
    for name, seq in zip(names, SEQS, strict=False):
        lines.append(f">{name} some description")
        parts = [seq[i : i + width] for i in range(0, len(seq), width)] if width else [seq]
        lines += [p.lower() if k % 2 else p for k, p in enumerate(parts)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _activity(path, n=None):
    """DeepSTARR's layout: two activity columns, rows in the FASTA's order, no names."""
    n = len(SEQS) if n is None else n
    dev = np.round(np.linspace(-1, 3, n), 3)
    pd.DataFrame({"Dev_log2_enrichment": dev, "Hk_log2_enrichment": -dev}).to_csv(
        path, sep="\t", index=False
    )
    return path, dev


def test_wrapped_lower_case_records_are_read_with_their_lines(tmp_path):
    path = _fasta(tmp_path / "s.fa", width=7)
    frame = read_fasta(path)
    assert frame["sequence"].tolist() == SEQS  # joined and upper case
    assert frame["id"].iloc[0] == "chr2L_0_+_peak"  # the first word
    assert frame.index[:2].tolist() == [1, 7]  # the '>' lines: 1 + 5 sequence lines
    packed = tmp_path / "s.fa.gz"
    packed.write_bytes(gzip.compress(("; comment\r\n\r\n" + path.read_text()).encode()))
    assert is_fasta(packed) and not is_fasta(_activity(tmp_path / "a.tsv")[0])
    assert read_fasta(packed)["sequence"].tolist() == SEQS


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ACGT\n>a\nACGT\n", r"s\.fa, line 1: text before the first '>' line"),
        (">a\nACGT\n>b\n\n>c\nAC\n", r"s\.fa, line 3: record 'b' has no sequence"),
        ("\n\n", "no FASTA record"),
    ],
)
def test_bad_fasta_names_the_line(tmp_path, text, problem):
    path = tmp_path / "s.fa"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        read_fasta(path)


def test_deepstarr_pair_joined_by_order_trains_on_the_chosen_column(tmp_path, caplog):
    fasta = _fasta(tmp_path / "Sequences_Train.fa")
    values, dev = _activity(tmp_path / "Sequences_activity_Train.txt")
    out = tmp_path / "train.tsv"
    with caplog.at_level(logging.WARNING, logger="gexnb.data.fasta"):
        assert main(["join-fasta", str(fasta), str(values), "-o", str(out)]) == 0
    assert "matched to the records by order" in caplog.text
    joined = pd.read_csv(out, sep="\t")
    assert list(joined.columns) == ["id", "sequence", "Dev_log2_enrichment", "Hk_log2_enrichment"]
    promoters = load_promoters(out, length=30, fractions=[0.5, 0.5, 0.0],
                               expression_column="Hk_log2_enrichment")  # fmt: skip
    np.testing.assert_array_equal(promoters.expression, -dev)
    np.testing.assert_array_equal(promoters.codes, encode_sequences(SEQS, length=30))


def test_rows_are_matched_by_the_column_of_names(tmp_path, caplog):
    names = [f"e{i}" for i in range(len(SEQS))]
    fasta = _fasta(tmp_path / "s.fa", names)
    order = RNG.permutation(len(SEQS))
    table = pd.DataFrame({"element": [names[i] for i in order] + ["not_in_fasta"],
                          "activity": [float(i) for i in order] + [9.0]})  # fmt: skip
    table.to_csv(tmp_path / "v.csv", index=False)
    with caplog.at_level(logging.INFO, logger="gexnb.data.fasta"):
        joined = join_fasta(fasta, tmp_path / "v.csv")
    assert "1 row(s) name no record" in caplog.text
    assert joined["id"].tolist() == names
    assert joined["activity"].astype(float).tolist() == list(range(len(SEQS)))
    assert joined["sequence"].tolist() == SEQS
    with pytest.raises(
        ParameterError, match=r"id_column \(gexnb join-fasta --id-column\) 'name' is not a column"
    ):
        join_fasta(fasta, tmp_path / "v.csv", id_column="name")


def test_records_without_a_row_or_names_twice_are_refused(tmp_path):
    names = [f"e{i}" for i in range(len(SEQS))]
    fasta = _fasta(tmp_path / "s.fa", names)
    pd.DataFrame({"name": names[1:], "y": 1.0}).to_csv(tmp_path / "v.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"s\.fa, line 1: 1 of 12 records have no row in v\.tsv"
                       r" \(column 'name'\), the first 'e0'"):  # fmt: skip
        join_fasta(fasta, tmp_path / "v.tsv")
    pd.DataFrame({"name": names + ["e3"], "y": 1.0}).to_csv(tmp_path / "v.tsv", sep="\t",
                                                            index=False)  # fmt: skip
    with pytest.raises(InputError, match=r"v\.tsv: 1 name\(s\) appear more than once \('e3'"):
        join_fasta(fasta, tmp_path / "v.tsv")


def test_a_table_matched_by_neither_names_nor_order_is_refused(tmp_path):
    fasta = _fasta(tmp_path / "s.fa")
    values, _ = _activity(tmp_path / "a.txt", n=len(SEQS) - 1)
    problem = r"a\.txt: 11 rows \(the first line read as the header\) for 12 FASTA records"
    with pytest.raises(InputError, match=problem + ", and no column holds the FASTA names"):
        join_fasta(fasta, values)
    out = tmp_path / "s.fa"
    assert main(["join-fasta", str(fasta), str(values), "-o", str(out)]) == 2  # not over input
    assert read_fasta(fasta)["sequence"].tolist() == SEQS


def test_gexnb_predict_reads_a_fasta_file(tmp_path, model_path):
    pytest.importorskip("keras")
    from gexnb import train
    from tests.conftest import PREDICT_LENGTH

    seqs = [s[:PREDICT_LENGTH] for s in SEQS]
    fasta = tmp_path / "new.fa"
    fasta.write_text("".join(f">n{i} x\n{s[:7]}\n{s[7:]}\n" for i, s in enumerate(seqs)))
    out = tmp_path / "pred.tsv"
    assert train.predict_file(model_path, fasta, out, chunk_size=5) == len(seqs)
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["sequence", "id", "prediction"]
    assert table["id"].tolist() == [f"n{i}" for i in range(len(seqs))]
    expected = train.predict(
        train.load_model(model_path), encode_sequences(seqs, length=PREDICT_LENGTH)
    )
    np.testing.assert_allclose(table["prediction"], expected, rtol=1e-5, atol=1e-6)
    fasta.write_text(">n0\nACGT\nACGTXX\n")  # the line of the bad base, not the record's
    with pytest.raises(InputError, match=r"new\.fa, line 3: invalid base 'X' at column 5 of "
                       "record 'n0'"):  # fmt: skip
        train.predict_file(model_path, fasta, out)


def test_tables_as_r_and_spreadsheets_write_them_are_joined_right(tmp_path):
    """A review and a trial: R's row names and a separator ending every line shifted the
    columns or doubled the rows (exit 0); a count column was taken for the names; a
    semicolon table kept its decimal commas; ids written '>name' were not matched."""
    names = [f"e{i}" for i in range(4)]
    fasta = _fasta(tmp_path / "s.fa", names)
    r_rows = tmp_path / "r.txt"  # write.table(df): row names under no header field
    r_rows.write_text('"Dev"\t"Hk"\n' + "".join(f'"{n}"\t{i}.5\t-{i}\n' for i, n in
                                                   enumerate(reversed(names))))  # fmt: skip
    joined = join_fasta(fasta, r_rows)
    assert joined["id"].tolist() == names and joined["Dev"].tolist() == ["3.5", "2.5", "1.5", "0.5"]
    trailing = tmp_path / "t.tsv"
    trailing.write_text("Dev\tHk\n" + "".join(f"{i}\t{-i}\t\n" for i in range(4)))
    joined = join_fasta(fasta, trailing)
    assert joined["Dev"].tolist() == ["0", "1", "2", "3"] and list(joined.columns)[2:] == [
        "Dev",
        "Hk",
    ]
    semicolon = tmp_path / "x.csv"
    semicolon.write_text("Dev;label\n" + "".join(f"-0,{i}5;a\n" for i in range(4)))
    assert join_fasta(fasta, semicolon)["Dev"].tolist() == ["-0.05", "-0.15", "-0.25", "-0.35"]
    gt = tmp_path / "gt.tsv"
    gt.write_text("name\tDev\n" + "".join(f">{n} \t{i}\n" for i, n in enumerate(names[::-1])))
    assert join_fasta(fasta, gt)["Dev"].tolist() == ["3", "2", "1", "0"]
    numbered = _fasta(tmp_path / "n.fa", ["1", "2", "3", "4"])
    counts = tmp_path / "c.tsv"
    counts.write_text("counts\tactivity\n3\t0.7\n1\t0.9\n5\t0.5\n2\t0.1\n")
    assert join_fasta(numbered, counts)["activity"].tolist() == ["0.7", "0.9", "0.5", "0.1"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name\tDev\n" + "".join(f"x{i}\t{i}\n" for i in range(12)),
         r"column 'name' holds 12 distinct names, none of them a FASTA name"),
        ("\tDev\n" + "".join(f"{i}\t{i}\n" for i in [3, 0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]),
         r"numbers the rows 0 to 11 out of order"),
        ("Dev\tDev\n1\t2\n", r"line 1: the header names column\(s\) 'Dev' more than once"),
        ("Dev\tHk\n1\t2\t3\t4\n", r"line 2: the header has 2 field\(s\), the data lines 4"),
    ],
)  # fmt: skip
def test_tables_that_cannot_be_matched_are_refused(tmp_path, text, problem):
    fasta = _fasta(tmp_path / "s.fa")
    table = tmp_path / "v.tsv"
    table.write_text(text)
    with pytest.raises(InputError, match=problem):
        join_fasta(fasta, table)


def test_a_truncated_gzip_table_is_named(tmp_path):
    fasta = _fasta(tmp_path / "s.fa")
    values, _ = _activity(tmp_path / "a.txt")
    packed = gzip.compress(values.read_bytes())
    (tmp_path / "a.txt.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match=r"a\.txt\.gz: truncated or corrupt gzip file"):
        join_fasta(fasta, tmp_path / "a.txt.gz")
    (tmp_path / "a.txt.zipped").write_bytes(packed)  # gzip told by content, not by name
    assert list(join_fasta(fasta, tmp_path / "a.txt.zipped").columns)[2:] == [
        "Dev_log2_enrichment", "Hk_log2_enrichment"
    ]  # fmt: skip

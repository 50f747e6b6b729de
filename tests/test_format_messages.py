"""Files in a neighbouring format: read when unambiguous, else one InputError that says why.

Expression matrices (gexnb.data.expression.read_expression): semicolon separators and
decimal commas (European Excel), R's write.table header, a UTF-8 byte order mark. Sequence
files (gexnb.data.sequences): comma- and semicolon-separated, quoted fields (R), a byte order
mark; FASTA refused.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gexnb.data import sequences
from gexnb.data.expression import read_expression
from gexnb.errors import InputError

BOM = b"\xef\xbb\xbf"
EXPECTED = pd.DataFrame(
    [[1.5, 2.25], [-0.5, 3.0]],
    index=pd.Index(["S1", "S2"], name="sample"),
    columns=pd.Index(["GENE1", "GENE2"], name="gene"),
)


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    data = (BOM if bom else b"") + text.encode("utf-8")
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# expression matrices
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["m.csv", "m.tsv", "m.csv.gz"])
def test_semicolon_decimal_comma_is_read(tmp_path, name):
    path = _write(tmp_path / name, "sample;GENE1;GENE2\nS1;1,5;2,25\nS2;-0,5;3\n")
    frame = read_expression(path)
    pd.testing.assert_frame_equal(frame, EXPECTED)
    assert "decimal" not in frame.attrs


def test_semicolon_decimal_point_is_read(tmp_path):
    path = _write(tmp_path / "m.csv", "sample;GENE1;GENE2\nS1;1.5;2.25\nS2;-0.5;3\n")
    pd.testing.assert_frame_equal(read_expression(path), EXPECTED)


def test_tab_decimal_comma_is_read(tmp_path):
    path = _write(tmp_path / "m.tsv", "sample\tGENE1\tGENE2\nS1\t1,5\t2,25\nS2\t-0,5\t3\n")
    pd.testing.assert_frame_equal(read_expression(path), EXPECTED)


def test_tab_separated_file_named_csv_is_read(tmp_path):
    path = _write(tmp_path / "m.csv", "sample\tGENE1\tGENE2\nS1\t1.5\t2.25\nS2\t-0.5\t3\n")
    pd.testing.assert_frame_equal(read_expression(path), EXPECTED)


def test_header_with_two_foreign_separators_is_refused(tmp_path):
    # both semicolons and commas split every line into the same number of fields
    path = _write(tmp_path / "m.tsv", "sample;GENE,1\nS1;1,2\n")
    with pytest.raises(InputError, match=r"m\.tsv, line 1: the header line has no tabs but both"):
        read_expression(path)
    # a comma inside a gene name is no separator when semicolons split every line alike
    named = _write(tmp_path / "n.tsv", "sample;GENE,1;GENE2\nS1;1;2\n")
    assert list(read_expression(named).columns) == ["GENE,1", "GENE2"]


def test_mixed_decimal_marks_name_the_cell(tmp_path):
    # decimal points in the first lines, a decimal comma later: not guessed, named with a hint
    path = _write(tmp_path / "m.csv", "sample;GENE1;GENE2\nS1;1.5;2.25\nS2;-0,5;3\n")
    with pytest.raises(InputError, match=r"m\.csv, line 3: non-numeric value '-0,5'.*decimal"):
        read_expression(path)


def test_r_write_table_header_is_read(tmp_path):
    text = '"GENE1"\t"GENE2"\n"S1"\t1.5\t2.25\n"S2"\t-0.5\t3\n'
    pd.testing.assert_frame_equal(read_expression(_write(tmp_path / "m.txt", text)), EXPECTED)


def test_r_write_table_header_unquoted_is_read(tmp_path):
    text = "GENE1,GENE2\nS1,1.5,2.25\nS2,-0.5,3\n"
    pd.testing.assert_frame_equal(read_expression(_write(tmp_path / "m.csv", text)), EXPECTED)


def test_header_one_short_with_id_column_name_is_refused(tmp_path):
    path = _write(tmp_path / "m.tsv", "sample\tGENE1\nS1\t1.5\t2.25\n")
    with pytest.raises(InputError, match="one field fewer than the rows.*write.table"):
        read_expression(path)


def test_field_count_message_names_the_separator(tmp_path):
    path = _write(tmp_path / "m.tsv", "sample\tGENE1\tGENE2\tGENE3\nS1\t1\t2\n")
    with pytest.raises(InputError, match=r"header has 4 fields .* have 3 \(read tab-separated\)"):
        read_expression(path)


@pytest.mark.parametrize("name", ["m.tsv", "m.tsv.gz", "m.csv"])
def test_bom_is_stripped_from_tables(tmp_path, name):
    sep = "," if name.endswith(".csv") else "\t"
    text = "\n".join(sep.join(r) for r in [["sample", "GENE1", "GENE2"], ["S1", "1.5", "2.25"]])
    frame = read_expression(_write(tmp_path / name, text + "\n", bom=True))
    assert list(frame.columns) == ["GENE1", "GENE2"]
    assert frame.index.tolist() == ["S1"]


@pytest.mark.parametrize("name", ["m.gct", "m.gct.gz"])
def test_bom_is_stripped_from_gct(tmp_path, name):
    text = "#1.2\n2\t2\nName\tDescription\tS1\tS2\nGENE1\td\t1.5\t-0.5\nGENE2\td\t2.25\t3\n"
    frame = read_expression(_write(tmp_path / name, text, bom=True))
    pd.testing.assert_frame_equal(frame, EXPECTED)


# --------------------------------------------------------------------------------------------
# sequence files
# --------------------------------------------------------------------------------------------

SEQ = "ACGTACGTAC"


def _readers():
    return {
        "read_sequences": sequences.read_sequences,
        "read_encoded": sequences.read_encoded,
        "iter_sequence_chunks": lambda p: list(sequences.iter_sequence_chunks(p)),
    }


@pytest.mark.parametrize("reader", list(_readers()))
@pytest.mark.parametrize(
    "text",
    [
        f"sequence,expression\n{SEQ},1.5\n{SEQ[::-1]},-2\n",  # pandas to_csv
        f"{SEQ},1.5\n{SEQ[::-1]},-2\n",  # no header
        f'"","sequence","expression"\n"1","{SEQ}",1.5\n"2","{SEQ[::-1]}",-2\n',  # R write.csv
        f"sequence;expression\r\n{SEQ};1.5\r\n{SEQ[::-1]};-2\r\n",  # Excel, Windows
        f'"sequence"\t"expression"\n"{SEQ}"\t1.5\n"{SEQ[::-1]}"\t"-2"\n',  # R write.table
        # a spreadsheet's no-break space before a number: numpy refuses it, Python reads it
        # (the expression came back None, so read_encoded wrote NaN; found by a typing audit)
        f"sequence,expression\n{SEQ},\u00a01.5\n{SEQ[::-1]},-2\n",
    ],
)
def test_comma_semicolon_and_quoted_sequence_files_read(tmp_path, reader, text):
    path = _write(tmp_path / "seqs.csv", text)
    result = _readers()[reader](path)
    if reader == "read_encoded":
        codes, expression = result
        expected_codes, _ = sequences.read_encoded(_write(tmp_path / "ref.tsv", f"{SEQ}\t1.5\n"))
        np.testing.assert_array_equal(codes[0], expected_codes[0])
    else:
        frame = result if reader == "read_sequences" else pd.concat(f for _, f in result)
        assert frame["sequence"].tolist() == [SEQ, SEQ[::-1]]
        expression = frame["expression"].to_numpy()
    np.testing.assert_allclose(expression, [1.5, -2])


def test_r_write_csv_row_names_column_is_kept_with_a_name(tmp_path):
    path = _write(tmp_path / "r.csv", f'"","sequence","expression"\n"1","{SEQ}",1.5\n')
    frame = sequences.read_sequences(path)
    assert frame.columns.tolist() == ["sequence", "expression", "column_1"]


def test_separators_and_doubled_quotes_inside_quoted_fields(tmp_path):
    """An annotation column that R's write.csv or pandas quoted because it holds a comma or a
    quote was a ragged-line error, and a doubled quote stayed doubled (left from the seventh
    session); a stray quote in an unquoted field stays a character."""
    text = (
        '"","sequence","expression","note"\n'
        f'"1","{SEQ}",1.5,"chr2L:100-349,+"\n'
        f'"2","{SEQ}",-2,"say ""hi"", twice"\n'
        f'"3","{SEQ}",0.5,5" UTR\n'
    )
    path = _write(tmp_path / "r.csv", text)
    frame = sequences.read_sequences(path)
    assert frame["note"].tolist() == ["chr2L:100-349,+", 'say "hi", twice', '5" UTR']
    np.testing.assert_allclose(frame["expression"], [1.5, -2, 0.5])
    header = _write(tmp_path / "h.csv", f'"seq","the ""level"", log2"\n"{SEQ}",1.5\n')
    assert sequences.read_sequences(header)["expression"].tolist() == [1.5]
    # quotes inside unquoted fields are characters, and every separator splits such a line
    # (two of them hid the tab between them: found by the session's review)
    stray = _write(tmp_path / "s.tsv", f'sequence\texpression\tn1\tn2\n{SEQ}\t1.5\t5" a\t3" b\n')
    assert sequences.read_sequences(stray)[["n1", "n2"]].values.tolist() == [['5" a', '3" b']]
    mixed = _write(tmp_path / "m.csv", f'sequence,expression,a,b\n{SEQ},1,"",""""\n')
    ((_, text),) = sequences.iter_sequence_chunks(mixed, as_text=True)
    assert text[["a", "b"]].values.tolist() == [["", '"']]


def test_ragged_comma_line_names_the_separator(tmp_path):
    path = _write(tmp_path / "seqs.csv", f"sequence,expression\n{SEQ},1.5\n{SEQ},1,5\n")
    with pytest.raises(InputError, match=r"seqs\.csv, line 3: expected 2 comma-separated fields"):
        sequences.read_sequences(path)


@pytest.mark.parametrize("reader", list(_readers()))
@pytest.mark.parametrize("name", ["seqs.fa", "seqs.fa.gz"])
def test_fasta_is_named(tmp_path, reader, name):
    path = _write(tmp_path / name, f"\n>seq0 1.5\n{SEQ}\n>seq1 2\n{SEQ}\n")
    message = re.escape(f"{path}, line 2: looks like FASTA (first line starts with '>'")
    with pytest.raises(InputError, match=message + r".*sequence<TAB>expression.*gexnb join-fasta"):
        _readers()[reader](path)


@pytest.mark.parametrize("reader", list(_readers()))
def test_bom_before_a_sequence_line_is_skipped(tmp_path, reader):
    # the first sequence line must be read as data, not taken for a header and dropped
    path = _write(tmp_path / "seqs.tsv", f"{SEQ}\t1.5\n{SEQ}\t2\n", bom=True)
    result = _readers()[reader](path)
    n = (
        len(result[0])
        if reader == "read_encoded"
        else len(result if reader == "read_sequences" else result[0][1])
    )
    assert n == 2


def test_bom_before_a_two_column_header_still_reads(tmp_path):
    path = _write(tmp_path / "seqs.tsv", f"sequence\texpression\n{SEQ}\t1.5\n", bom=True)
    frame = sequences.read_sequences(path)
    assert frame["sequence"].tolist() == [SEQ]
    np.testing.assert_allclose(frame["expression"], [1.5])


def test_tab_separated_with_commas_elsewhere_still_reads(tmp_path):
    path = _write(tmp_path / "seqs.tsv", f"sequence\texpression\tnote\n{SEQ}\t1.5\ta,b\n")
    assert sequences.read_sequences(path)["note"].tolist() == ["a,b"]


def test_missing_sequence_file_keeps_the_reader_message(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        sequences.read_sequences(tmp_path / "absent.tsv")


def test_bom_before_r_write_table_header(tmp_path):
    # the byte order mark must not stick to the first gene name of a header without row ids
    text = "GENE1\tGENE2\nS1\t1.5\t2.25\nS2\t-0.5\t3\n"
    frame = read_expression(_write(tmp_path / "m.tsv", text, bom=True))
    pd.testing.assert_frame_equal(frame, EXPECTED)


# review findings: guesses that could misread a file are refused, and each one is a warning


def test_thousands_separators_are_refused_not_read_as_decimal_commas(tmp_path):
    path = _write(tmp_path / "a.tsv", "sample\tG1\tG2\nS1\t1,234\t12\nS2\t2,500\t7\n")
    with pytest.raises(InputError, match="'1,234' may use a thousands separator or a decimal"):
        read_expression(path)


def test_a_quoted_comma_in_a_semicolon_header_is_not_a_separator(tmp_path):
    path = _write(tmp_path / "eu.csv", 'sample;"HLA-A,B";G2\nS1;1,5;2,0\nS2;-0,5;3\n')
    frame = read_expression(path)
    assert list(frame.columns) == ["HLA-A,B", "G2"] and frame.loc["S1", "HLA-A,B"] == 1.5


def test_a_named_id_column_over_rows_one_field_longer_is_refused(tmp_path):
    path = _write(tmp_path / "e.tsv", "gene_symbol\tS1\tS2\nTP53\t1\t2\t3\nMKI67\t4\t5\t6\n")
    with pytest.raises(InputError, match="names the id column: a column name is missing"):
        read_expression(path)


def test_reinterpretations_are_warnings(tmp_path, caplog):
    read_expression(_write(tmp_path / "m.csv", "sample;GENE1;GENE2\nS1;1,5;2,25\nS2;-0,5;3\n"))
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("semicolon-separated" in m for m in warned)
    assert any("decimal comma" in m for m in warned)


# --------------------------------------------------------------------------------------------
# sequence files that are not UTF-8, headers naming a column twice, no data lines


@pytest.mark.parametrize("reader", list(_readers()))
def test_latin1_byte_in_a_sequence_is_named_not_the_next_character(tmp_path, reader):
    path = tmp_path / "l1.txt"
    path.write_bytes(f"sequence\texpression\n{SEQ}\t1\nACGTAC\xe9\t2\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"l1\.txt, line 3: invalid byte 0xe9 .* at column 7"):
        _readers()[reader](path)


def test_utf8_letter_in_a_sequence_is_named(tmp_path):
    path = _write(tmp_path / "u.txt", f"{SEQ}\t1\nACGé\t2\n")
    with pytest.raises(InputError, match=r"u\.txt, line 2: invalid character 'é' .* column 4"):
        sequences.read_sequences(path)


@pytest.mark.parametrize("reader", ["read_sequences", "iter_sequence_chunks"])
def test_latin1_byte_in_an_extra_column_names_line_and_column(tmp_path, reader):
    path = tmp_path / "l1.txt"
    text = f"sequence\texpression\tcomment\n{SEQ}\t1\tok\n{SEQ}\t2\tcaf\xe9\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError, match=r"l1\.txt, line 3: column 'comment': byte 0xe9"):
        _readers()[reader](path)


def test_latin1_header_is_refused_not_replaced(tmp_path):
    path = tmp_path / "h.txt"
    path.write_bytes(f"sequence\texpression\tcaf\xe9\n{SEQ}\t1\tx\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"h\.txt, line 1: byte 0xe9 at column 24 is not UTF-8"):
        sequences.read_sequences(path)


@pytest.mark.parametrize("reader", list(_readers()))
@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("sequence\tsequence", "'sequence'"),
        ("Sequence\texpression\tsequence", "'Sequence', 'sequence'"),
        ("sequence\texpression\tid\tid", "'id'"),
    ],
)
def test_header_naming_a_column_twice_is_refused(tmp_path, reader, header, named):
    n = header.count("\t") + 1
    path = _write(tmp_path / "d.txt", f"{header}\n" + "\t".join([SEQ] + ["1"] * (n - 1)) + "\n")
    with pytest.raises(InputError, match=rf"d\.txt, line 1: header .* column\(s\) {named} more"):
        _readers()[reader](path)


def test_header_only_file_is_refused_by_the_chunk_reader(tmp_path):
    path = _write(tmp_path / "h.txt", "sequence\texpression\n\n")
    with pytest.raises(InputError, match=r"h\.txt: no data lines after the header"):
        list(sequences.iter_sequence_chunks(path))


@pytest.mark.parametrize("reader", list(_readers()))
@pytest.mark.parametrize(
    "text",
    [f"{SEQ};1,5\n{SEQ[::-1]};-2\n", f"sequence;expression\n{SEQ};1,5\n{SEQ[::-1]};-2,0\n"],
)
def test_semicolon_files_with_decimal_commas_read(tmp_path, reader, text):
    # review: Excel's and R write.csv2's format was taken for comma-separated
    result = _readers()[reader](_write(tmp_path / "eu.csv", text))
    if reader == "read_encoded":
        expression = result[1]
    else:
        frame = result if reader == "read_sequences" else pd.concat(f for _, f in result)
        expression = frame["expression"].to_numpy()
    np.testing.assert_allclose(expression, [1.5, -2])


def test_a_thousands_separator_in_a_semicolon_file_is_refused(tmp_path):
    path = _write(tmp_path / "eu.csv", f"sequence;expression\n{SEQ};1,234\n")
    with pytest.raises(InputError, match=r"eu\.csv, line 2: expression '1,234' reads as a thou"
                       r".*with a decimal point \(1\.846\) or without the separator"):  # fmt: skip
        sequences.read_sequences(path)
    # another value with a decimal comma settles it (2,59 cannot hold a thousands separator):
    # the trial's Excel file was refused with advice that made no sense for a decimal
    for other in ("2,59", "0,846", "-1,5"):
        path = _write(tmp_path / "eu2.csv", f"sequence;expression\n{SEQ};1,846\n{SEQ};{other}\n")
        expected = float(other.replace(",", "."))
        assert sequences.read_sequences(path)["expression"].tolist() == [1.846, expected]
        # settled for the whole file, not per block (found by the session's review)
        chunks = sequences.iter_sequence_chunks(path, chunk_size=1)
        assert [c["expression"].item() for _, c in chunks] == [1.846, expected]
        later = _write(tmp_path / "eu3.csv", f"sequence;expression\n{SEQ};{other}\n{SEQ};1,846\n")
        chunks = sequences.iter_sequence_chunks(later, chunk_size=1)
        assert [c["expression"].item() for _, c in chunks] == [expected, 1.846]

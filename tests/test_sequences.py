"""Sequence reading, validation, encoding (seed's one-hot), reverse complement, targets."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gexnb.data import sequences as sq
from gexnb.errors import InputError, ParameterError

DREAM = "dream2022_yeast_promoters"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------- constants


def test_constants_match_the_seed_channel_order():
    assert sq.BASE_CODES == {"T": 0, "C": 1, "G": 2, "A": 3, "N": 4}
    assert sq.PAD_CODE == 5 and sq.N_CODE == 4
    assert sq.ONE_HOT_TABLE.dtype == np.float32 and sq.ONE_HOT_TABLE.shape == (6, 4)
    assert sq.ONE_HOT_TABLE[sq.N_CODE].tolist() == [1, 1, 1, 1]
    assert sq.ONE_HOT_TABLE[sq.PAD_CODE].tolist() == [0, 0, 0, 0]


# -------------------------------------------------------------------------------- encoding


def test_one_hot_rows_exactly_as_the_seed():
    # seed: 'T':[1,0,0,0], 'C':[0,1,0,0], 'G':[0,0,1,0], 'A':[0,0,0,1], 'N':[1,1,1,1],
    # zero rows filled in front up to 142
    x = sq.one_hot(sq.encode_sequences(["TCGAN"]))
    assert x.shape == (1, 142, 4) and x.dtype == np.float32
    assert not x[0, :137].any()
    assert x[0, 137:].tolist() == [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [1, 1, 1, 1],
    ]


def test_codes_for_mixed_case_and_left_padding():
    codes = sq.encode_sequences(["aCgT", "nNTt"], length=6)
    assert codes.dtype == np.uint8
    assert codes.tolist() == [[5, 5, 3, 1, 2, 0], [5, 5, 4, 4, 0, 0]]


def test_right_padding_and_variable_lengths():
    codes = sq.encode_sequences(["A", "ACGTA", "GG"], length=5, pad="right")
    assert codes.tolist() == [[3, 5, 5, 5, 5], [3, 1, 2, 0, 3], [2, 2, 5, 5, 5]]


def test_encode_accepts_series_and_arrays_and_empty_input():
    seqs = ["ACGT", "TTT"]
    expected = sq.encode_sequences(seqs, length=8)
    assert np.array_equal(sq.encode_sequences(pd.Series(seqs), length=8), expected)
    assert np.array_equal(sq.encode_sequences(np.array(seqs, dtype=object), length=8), expected)
    assert sq.encode_sequences([], length=8).shape == (0, 8)


def test_too_long_error_names_index_and_length():
    with pytest.raises(InputError, match=r"sequence 1 has 7 bases, longer than length=5"):
        sq.encode_sequences(["ACG", "ACGTACG"], length=5)


def test_too_long_trim_keeps_the_three_prime_end():
    codes = sq.encode_sequences(["ACGTACG", "AC"], length=5, too_long="trim")
    assert sq.decode_sequences(codes) == ["GTACG", "AC"]


def test_trimmed_sequences_of_a_file_are_counted(tmp_path, caplog):
    """too_long: trim cut the 5' end of nearly every sequence of a 117-275 nt file while the
    notebook said '1,500 promoter sequences (117-142 nt)' (found by a new-user trial)."""
    path = tmp_path / "long.txt"
    path.write_text("ACGTACGTAC\t1\nACG\t2\nACGTACGTACGTACGT\t3\n")
    with caplog.at_level("WARNING", logger="gexnb.data.sequence_files"):
        codes, _ = sq.read_encoded(path, length=8, too_long="trim")
    assert codes.shape == (3, 8)
    assert "2 of 3 sequences (66.7 %) longer than length=8 lost their first bases" in caplog.text
    assert "the longest had 16" in caplog.text


def test_invalid_character_named_with_index_and_position():
    with pytest.raises(InputError, match=r"sequence 1: invalid character 'X' at position 3"):
        sq.encode_sequences(["ACGT", "ACXT"], length=8)
    with pytest.raises(InputError, match=r"sequence 0: invalid character 'é' at position 2"):
        sq.encode_sequences(["AéT"], length=8)


def test_bad_options_raise_parameter_error():
    with pytest.raises(ParameterError):
        sq.encode_sequences(["A"], pad="middle")
    with pytest.raises(ParameterError):
        sq.encode_sequences(["A"], too_long="drop")
    with pytest.raises(ParameterError):
        sq.encode_sequences("ACGT")


def test_encode_decode_round_trip_random():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), size=rng.integers(1, 40))) for _ in range(300)]
    assert sq.decode_sequences(sq.encode_sequences(seqs, length=40)) == seqs


def test_one_hot_matches_a_per_character_reference():
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGTN"), size=rng.integers(5, 30))) for _ in range(50)]
    table = {"T": [1, 0, 0, 0], "C": [0, 1, 0, 0], "G": [0, 0, 1, 0], "A": [0, 0, 0, 1]}
    table["N"] = [1, 1, 1, 1]
    reference = np.array([[[0] * 4] * (30 - len(s)) + [table[c] for c in s] for s in seqs])
    assert np.array_equal(sq.one_hot(sq.encode_sequences(seqs, length=30)), reference)


def test_one_hot_rejects_out_of_range_codes():
    with pytest.raises(InputError, match="0..5"):
        sq.one_hot(np.array([[0, 6]], dtype=np.uint8))


# ---------------------------------------------------------------------- reverse complement


def test_reverse_complement_keeps_padding_on_the_left():
    codes = sq.encode_sequences(["AACGN", "T"], length=7)
    rc = sq.reverse_complement(codes)
    assert sq.decode_sequences(rc) == ["NCGTT", "A"]
    assert (rc[0, :2] == sq.PAD_CODE).all() and (rc[1, :6] == sq.PAD_CODE).all()
    one = sq.reverse_complement(codes[0])
    assert np.array_equal(one, rc[0])


def test_reverse_complement_twice_is_identity():
    rng = np.random.default_rng(2)
    seqs = ["".join(rng.choice(list("ACGTN"), size=rng.integers(1, 20))) for _ in range(100)]
    for pad in ("left", "right"):
        codes = sq.encode_sequences(seqs, length=20, pad=pad)
        rc = sq.reverse_complement(codes, pad=pad)
        assert not np.array_equal(rc, codes)
        assert np.array_equal(sq.reverse_complement(rc, pad=pad), codes)


def test_reverse_complement_refuses_padding_on_the_other_side():
    # review C1: right-padded codes under the default pad='left' came back as all padding
    right = sq.encode_sequences(["ACGT", "GGA"], length=8, pad="right")
    message = r"padded on the right \(row 0 ends with padding\) but pad='left'; encode with"
    with pytest.raises(InputError, match=message):
        sq.reverse_complement(right)
    left = sq.encode_sequences(["ACGT", "GGA"], length=8)
    with pytest.raises(InputError, match=r"padded on the left \(row 0 starts with padding\)"):
        sq.reverse_complement(left, pad="right")
    with pytest.raises(InputError, match="row 1 has padding between bases"):
        sq.reverse_complement(np.array([[5, 0, 1, 2], [5, 0, 5, 2]], dtype=np.uint8))
    assert sq.decode_sequences(sq.reverse_complement(right, pad="right")) == ["ACGT", "TCC"]
    # a row without padding, or of padding only, fits either side
    full_and_empty = np.array([[0, 1, 2, 3], [5, 5, 5, 5]], dtype=np.uint8)
    for pad in ("left", "right"):
        rc = sq.reverse_complement(full_and_empty, pad=pad)
        assert rc.tolist() == [[0, 1, 2, 3], [5, 5, 5, 5]]


def test_reverse_complement_and_decode_need_one_or_two_dimensions():
    for bad in (np.zeros((2, 2, 2), dtype=np.uint8), np.uint8(3)):
        with pytest.raises(InputError, match=r"codes must be 1-D or 2-D, got shape \("):
            sq.reverse_complement(bad)
        with pytest.raises(InputError, match=r"codes must be 1-D or 2-D, got shape \("):
            sq.decode_sequences(bad)


def test_summaries_check_their_codes():
    # review C21: only the largest code was checked, so -1 and 0.5 were counted as bases
    from gexnb.data import summary

    with pytest.raises(InputError, match="code -1 at row 0, position 2"):
        summary.sequence_lengths(np.array([[0, -1]]))
    with pytest.raises(ParameterError, match="integer array"):
        summary.sequence_lengths(np.array([[0.5, 1.2]]))
    with pytest.raises(InputError, match="code -1 at row 0, position 1"):
        summary.base_composition(np.array([[-1, -1, 0]]))


# --------------------------------------------------------------------------------- reading


def test_read_without_header(tmp_path):
    path = write(tmp_path / "a.txt", "ACGT\t1.5\nacgn\t2\n")
    df = sq.read_sequences(path)
    assert df.columns.tolist() == ["sequence", "expression"]
    assert df["sequence"].tolist() == ["ACGT", "ACGN"]
    assert df["expression"].tolist() == [1.5, 2.0]


def test_read_with_header_crlf_blank_lines_and_no_final_newline(tmp_path):
    path = write(tmp_path / "a.txt", "sequence\texpression\r\nACGT\t1.5\r\n\r\nTTT\t-3")
    df = sq.read_sequences(path)
    assert df["sequence"].tolist() == ["ACGT", "TTT"]
    assert df["expression"].tolist() == [1.5, -3.0]


def test_comment_lines_above_the_header_are_skipped(tmp_path):
    """A file starting with a '#' comment line (a lab's export, with Windows line ends) was
    refused: "no column of the lines after it holds sequences" (a new user's trial)."""
    text = "\ufeff# MPRA run 3, log2(RNA/DNA)\r\n#\r\nid,seq,log2FC\r\ne1,ACGT,1.5\r\ne2,TTT,-3\r\n"
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode("utf-8"))
    df = sq.read_sequences(path)
    assert df["sequence"].tolist() == ["ACGT", "TTT"]
    assert df["expression"].tolist() == [1.5, -3.0]
    codes, y = sq.read_encoded(path, length=4)
    assert codes.tolist() == [[3, 1, 2, 0], [5, 0, 0, 0]] and y.tolist() == [1.5, -3.0]
    no_header = write(tmp_path / "b.txt", "# comment\nACGT\t1.5\n")
    assert sq.read_sequences(no_header)["expression"].tolist() == [1.5]
    # a header written after a '#' (as many tools write it) is the header, not a comment
    for head in ("#id\tsequence\texpression", "# id\tseq\texpression"):
        hashed = write(tmp_path / "c.txt", f"## made by a tool\n{head}\nx1\tACGT\t1.5\n")
        df = sq.read_sequences(hashed)
        assert df["sequence"].tolist() == ["ACGT"] and df["expression"].tolist() == [1.5]


def test_read_gzip_equals_plain(tmp_path):
    text = "seq\tvalue\nACGT\t1.5\nGGA\t2.25\n"
    plain = write(tmp_path / "a.txt", text)
    packed = tmp_path / "a.txt.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write(text)
    pd.testing.assert_frame_equal(sq.read_sequences(packed), sq.read_sequences(plain))
    codes, y = sq.read_encoded(packed, length=6)
    assert codes.tolist() == [[5, 5, 3, 1, 2, 0], [5, 5, 5, 2, 2, 3]]
    assert y.tolist() == [1.5, 2.25]


def test_header_without_expression_column_is_refused(tmp_path):
    path = write(tmp_path / "a.tsv", "id\tsequence\n1\tACGT\n")
    with pytest.raises(InputError, match="no 'expression' column"):
        sq.read_sequences(path)
    df = sq.read_sequences(path, require_expression=False)
    assert df["sequence"].tolist() == ["ACGT"] and df["expression"].isna().all()
    assert df["id"].tolist() == [1]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("ACGT\t1\nACXT\t2\n", r"bad\.txt, line 2: invalid character 'X' .* column 3"),
        ("sequence\texpression\nACGT\t1\nAC-T\t2\n", r"line 3: invalid character '-' .* column 3"),
        ("ACGT\t1\nACGT\t2\t3\n", r"line 2: expected 2 tab-separated fields, found 3"),
        ("ACGT\t1\nAAéT\t2\n", r"line 2: invalid character 'é' .* column 3"),
        ("ACGT\t1\nACGT\n", r"line 2: expected 2 tab-separated fields, found 1"),
        ("ACGT\t1\nACGT\tabc\n", r"line 2: non-numeric expression 'abc'"),
        ("ACGT\t1\n\nACGT\tNaN\n", r"line 3: expression is 'NaN'"),
        ("ACGT\t1\nACGT\t\n", r"line 2: empty expression"),
        ("ACGT\t1\n\t2\n", r"line 2: empty sequence"),
        ("", r"bad\.txt: empty file"),
        ("\n\n", r"empty file"),
        ("sequence\texpression\n", r"no data lines"),
    ],
)
def test_bad_files_name_file_line_and_problem(tmp_path, text, pattern):
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(InputError, match=pattern):
        sq.read_sequences(path)
    with pytest.raises(InputError, match=pattern):
        sq.read_encoded(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        sq.read_sequences(tmp_path / "nope.txt")


def test_errors_late_in_a_large_file_have_the_right_line(tmp_path):
    lines = ["ACGTACGT\t1.0"] * 5000
    lines[4321] = "ACGTAZGT\t1.0"
    path = write(tmp_path / "big.txt", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 4322: invalid character 'Z' .* column 6"):
        sq.read_encoded(path, block_bytes=997)
    with pytest.raises(InputError, match=r"line 4322"):
        list(sq.iter_sequence_chunks(path, chunk_size=700))


def test_read_encoded_too_long(tmp_path):
    path = write(tmp_path / "a.txt", "ACGT\t1\nACGTACGT\t2\n")
    with pytest.raises(InputError, match=r"a\.txt, line 2: sequence of 8 bases is longer"):
        sq.read_encoded(path, length=5)
    codes, _ = sq.read_encoded(path, length=5, too_long="trim")
    assert sq.decode_sequences(codes) == ["ACGT", "TACGT"]


def test_every_bad_line_read_is_counted(tmp_path):
    """Only the first bad line was named: a user fixed one line per run."""
    lines = ["ACGTACGT\t1.0"] * 30
    for i in (3, 9, 11, 14, 20, 22, 25):
        lines[i] = "ACGTACGTACGT\t1.0"
    lines[27] = ""
    path = write(tmp_path / "long.txt", "\n".join(lines) + "\n")
    with pytest.raises(
        InputError,
        match=r"line 4: sequence of 12 bases .*; also lines 10, 12, 15, 21, 23 and 1 more "
        r"\(file checked to line 30\)$",
    ):
        sq.read_encoded(path, length=8)
    lines[3] = lines[9] = "ACGTAZGT\t1.0"
    path = write(tmp_path / "bad.txt", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 4: invalid .*; also line 10 \(file checked"):
        sq.read_sequences(path)
    # checked block by block: lines after the first bad block are not counted
    with pytest.raises(InputError, match=r"line 4: invalid .* column 6 .*\)$"):
        list(sq.iter_sequence_chunks(path, chunk_size=5))
    with pytest.raises(InputError, match=r"sequence 0 has .*; also sequences 2 and 3$"):
        sq.encode_sequences(["ACGTA", "AC", "ACGTAC", "ACGTAC"], length=4)


def test_small_blocks_and_chunks_give_the_same_result(tmp_path):
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGT"), size=rng.integers(5, 30))) for _ in range(500)]
    values = rng.normal(size=500).round(4)
    text = "sequence\texpression\n" + "".join(
        f"{s}\t{v}\n" for s, v in zip(seqs, values, strict=True)
    )
    path = write(tmp_path / "a.txt", text)
    codes, y = sq.read_encoded(path, length=30, block_bytes=333)
    assert np.array_equal(codes, sq.encode_sequences(seqs, length=30))
    assert np.allclose(y, values)
    chunks = list(sq.iter_sequence_chunks(path, chunk_size=64))
    assert [first for first, _ in chunks][:3] == [2, 66, 130]
    assert all(len(chunk) <= 64 for _, chunk in chunks)
    joined = pd.concat([chunk for _, chunk in chunks], ignore_index=True)
    assert joined["sequence"].tolist() == seqs
    pd.testing.assert_frame_equal(joined, sq.read_sequences(path))


# ------------------------------------------------------------------------------- real data


def test_real_train_demo(shared_data):
    path = shared_data / DREAM / "train_demo.txt"
    df = sq.read_sequences(path)
    assert len(df) == 6370 and df.columns.tolist() == ["sequence", "expression"]
    lengths = df["sequence"].str.len()
    assert lengths.min() == 87 and lengths.max() == 135 and (lengths == 110).sum() == 5219
    assert df["sequence"].str.startswith("TGCATTTTTTTCACATC").mean() > 0.99
    assert df["expression"].iloc[0] == pytest.approx(15.182384)
    assert 0 <= df["expression"].min() and df["expression"].max() <= 17
    codes, y = sq.read_encoded(path)
    assert codes.shape == (6370, 142)
    assert np.array_equal(codes, sq.encode_sequences(df["sequence"]))
    assert np.allclose(y, df["expression"], rtol=1e-6)
    assert sq.decode_sequences(codes) == df["sequence"].tolist()


def test_real_test_measured_keeps_extra_columns(shared_data):
    path = shared_data / DREAM / "test_measured.tsv"
    df = sq.read_sequences(path)
    assert len(df) == 4871
    assert set(df.columns) == {
        "sequence",
        "expression",
        "test_index",
        "subsets",
        "source",
        "in_public_leaderboard",
    }
    assert (df["sequence"].str.len() == 110).all()
    assert df["in_public_leaderboard"].sum() == 2303
    assert df["expression"].min() == pytest.approx(-1.40, abs=0.01)
    reference = pd.read_csv(path, sep="\t")
    assert df["test_index"].tolist() == reference["test_index"].tolist()
    assert np.allclose(df["expression"], reference["expression"])
    assert df["subsets"].fillna("").tolist() == reference["subsets"].fillna("").tolist()


# --------------------------------------------------------------------------------- targets


def test_half_median_as_the_seed_and_stats_reused():
    train = np.array([2.0, 4.0, 6.0, 10.0])
    y, stats = sq.normalize_target(train)
    assert stats == {"method": "half_median", "median": 5.0}
    assert y.dtype == np.float32 and np.allclose(y, train / 10.0)
    other, _ = sq.normalize_target([20.0], stats=stats)
    assert other.tolist() == [2.0]
    assert np.allclose(sq.denormalize_target(y, stats), train)


@pytest.mark.parametrize("method", ["zscore", "log", "none"])
def test_other_normalisations_invert(method):
    train = np.array([0.5, 3.0, 7.0, 11.0])
    y, stats = sq.normalize_target(train, method=method)
    assert np.allclose(sq.denormalize_target(y, stats), train, rtol=1e-6)
    if method == "zscore":
        assert abs(float(y.mean())) < 1e-6 and float(y.std()) == pytest.approx(1.0)
        test, _ = sq.normalize_target([train.mean()], stats=stats)
        assert test.tolist() == [0.0]
    if method == "log":
        assert np.allclose(y, np.log1p(train))


def test_bad_targets():
    with pytest.raises(InputError, match="NaN"):
        sq.normalize_target([1.0, np.nan])
    with pytest.raises(InputError, match="median"):
        sq.normalize_target([0.0, 0.0, 1.0])
    with pytest.raises(ParameterError):
        sq.normalize_target([1.0], method="minmax")
    with pytest.raises(InputError, match="> -1"):
        sq.normalize_target([-2.0, 1.0], method="log")

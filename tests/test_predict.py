"""Tests of gexnb.train.predict_file: streaming TSV output, bad lines, atomic output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from gexnb import train  # noqa: E402
from gexnb.data.sequences import encode_sequences, iter_sequence_chunks  # noqa: E402
from gexnb.errors import InputError  # noqa: E402
from gexnb.models import build  # noqa: E402
from tests.conftest import PREDICT_LENGTH as LENGTH  # noqa: E402 (fixture model_path)


def _write(path, seqs):
    path.write_text("".join(f"{s}\t1.0\n" for s in seqs))
    return path


def test_predict_file_streams_in_chunks(tmp_path, model_path):
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), size=rng.integers(10, LENGTH + 1))) for _ in range(53)]
    src = _write(tmp_path / "in.txt", seqs)
    out = tmp_path / "pred.tsv"
    n = train.predict_file(model_path, src, out, batch_size=8, chunk_size=10)
    assert n == 53
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["sequence", "prediction"]
    assert table["sequence"].tolist() == seqs
    model = train.load_model(model_path)
    expected = train.predict(model, encode_sequences(seqs, length=LENGTH))
    np.testing.assert_allclose(table["prediction"], expected, rtol=1e-5, atol=1e-6)


def test_a_headers_columns_are_written_beside_the_predictions(tmp_path, model_path, caplog):
    """An MPRA table's element names were dropped from gexnb predict's output, so the
    predictions could only be matched back by sequence (new-user trial, 2026-11-30)."""
    src = tmp_path / "mpra.csv"
    src.write_text('name,seq,log2_ratio,Prediction\n007,acgtac,-0.50,x\n"e 2",GGATT,NA,y\n')
    out = tmp_path / "pred.tsv"
    with caplog.at_level("WARNING", logger="gexnb.train.predict"):
        assert train.predict_file(model_path, src, out, chunk_size=1) == 2
    assert "its column 'Prediction' is not copied" in caplog.text
    table = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["sequence", "name", "log2_ratio", "prediction"]
    assert table["name"].tolist() == ["007", "e 2"]  # as written, not numbers
    assert table["log2_ratio"].tolist() == ["-0.50", "NA"]
    assert table["sequence"].tolist() == ["ACGTAC", "GGATT"]
    expected = train.predict(
        train.load_model(model_path), encode_sequences(["ACGTAC", "GGATT"], length=LENGTH)
    )
    np.testing.assert_allclose(table["prediction"].astype(float), expected, rtol=1e-5)


def test_csv_output_and_trimmed_sequences_are_said(tmp_path, model_path, caplog):
    """--output x.csv got tab-separated text, and --too-long trim cut sequences without a
    word (found by a new-user trial)."""
    src = _write(tmp_path / "long.txt", ["ACGT" * 10, "ACGT"])
    out = tmp_path / "pred.csv"
    with caplog.at_level("WARNING", logger="gexnb.train.predict"):
        assert train.predict_file(model_path, src, out, too_long="trim") == 2
    assert f"1 of 2 sequences longer than the model's {LENGTH} bases" in caplog.text
    table = pd.read_csv(out)
    assert list(table.columns) == ["sequence", "prediction"] and len(table) == 2
    for name in ("pred.parquet", "pred.h5", "pred"):
        with pytest.raises(InputError, match="written as text: name the file .tsv, .txt or .csv"):
            train.predict_file(model_path, src, tmp_path / name)
        assert not (tmp_path / name).exists()


def test_sequence_only_file(tmp_path, model_path):
    src = tmp_path / "only.txt"
    src.write_text("ACGT\nTTTT\n")
    assert train.predict_file(model_path, src, tmp_path / "o.tsv") == 2


def test_bad_lines_named_and_no_partial_output(tmp_path, model_path):
    seqs = ["ACGT"] * 12 + ["ACXT"] + ["ACGT"]
    out = tmp_path / "pred.tsv"
    with pytest.raises(InputError, match="line 13"):
        train.predict_file(model_path, _write(tmp_path / "bad.txt", seqs), out, chunk_size=5)
    assert not out.exists()
    assert not list(tmp_path.glob(".pred.tsv*"))  # no temporary file left behind
    long = ["ACGT"] * 3 + ["A" * (LENGTH + 5)]
    with pytest.raises(InputError, match="line 4.*longer"):
        train.predict_file(model_path, _write(tmp_path / "long.txt", long), out, chunk_size=2)
    n = train.predict_file(model_path, tmp_path / "long.txt", out, too_long="trim")
    assert n == 4 and out.exists()
    # blank lines inside a chunk: the line named is the file's (it was counted from the chunk's
    # first line, 13 for 16)
    blank = tmp_path / "blank.txt"
    blank.write_text("ACGT\t1\n\nACGT\t1\n\n\nACGT\t1\n" + ("A" * (LENGTH + 5) + "\t1\n") * 2)
    with pytest.raises(
        InputError, match=r"line 7\b.*longer.*; also line 8 \(file checked to line 8"
    ):
        train.predict_file(model_path, blank, out, chunk_size=100)
    ((first, chunk),) = iter_sequence_chunks(blank, require_expression=False)
    assert first == 1 and chunk.index.tolist() == [1, 3, 6, 7, 8]


def test_not_a_gexnb_model(tmp_path):
    bogus = tmp_path / "bogus.keras"
    bogus.write_text("hello")
    with pytest.raises(InputError, match="bogus.keras"):
        train.predict_file(bogus, _write(tmp_path / "in.txt", ["ACGT"]), tmp_path / "o.tsv")


def test_predict_pads_batches_to_few_shapes():
    """A model sees at most log2(batch_size / 32) + 1 input shapes, so TensorFlow traces its
    predict function a few times, not once per chunk length; padding changes no output."""
    from gexnb.train.predict import _padded

    shapes = {len(_padded(np.zeros((n, 3), np.uint8), 2048)) for n in range(1, 2049)}
    assert shapes == {32, 64, 128, 256, 512, 1024, 2048}
    assert len(_padded(np.zeros((5000, 3), np.uint8), 2048)) == 5000  # full batches untouched
    model = build("metformin_bigru", length=LENGTH, n_layers=1, units=4)
    codes = np.random.default_rng(0).integers(0, 6, size=(45, LENGTH)).astype(np.uint8)
    direct = keras.ops.convert_to_numpy(model(codes, training=False))[:, 0]
    np.testing.assert_allclose(train.predict(model, codes, batch_size=16), direct, rtol=1e-5)

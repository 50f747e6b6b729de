"""Fault tests of prediction (gexnb.train.predict, predict_file, ``gexnb predict``): outputs
that must not be replaced, SIGTERM, inputs without data, and misshapen arrays."""

from __future__ import annotations

import os
import signal
import stat
import time

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from gexnb import cli, train  # noqa: E402
from gexnb.errors import InputError, ParameterError  # noqa: E402
from gexnb.models import build  # noqa: E402
from tests.conftest import PREDICT_LENGTH as LENGTH  # noqa: E402 (fixture model_path)


@pytest.fixture
def seqs(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("".join(f"ACGTACGT{'ACGT'[i % 4]}\t1.0\n" for i in range(30)))
    return path


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if ".tmp" in p.name]


# ------------------------------------------------------------------ outputs never replaced


def test_output_that_is_the_model_file_is_refused(tmp_path, model_path, seqs):
    model = tmp_path / "models" / "victim.keras"
    model.parent.mkdir()
    model.write_bytes(model_path.read_bytes())
    (tmp_path / "link.tsv").symlink_to(model)
    os.link(model, tmp_path / "hard.keras")
    before = model.read_bytes()
    for output in (
        model,
        tmp_path / "models" / ".." / "models" / "victim.keras",
        tmp_path / "link.tsv",
        tmp_path / "hard.keras",
    ):
        with pytest.raises(InputError, match=r"is the model file .*give another output name"):
            train.predict_file(model, seqs, output)
    assert model.read_bytes() == before
    assert (tmp_path / "link.tsv").is_symlink()
    assert not _leftovers(tmp_path) and not _leftovers(model.parent)


def test_output_that_is_a_named_pipe_is_refused(tmp_path, model_path, seqs, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"pipe: is a named pipe \(FIFO\), not a regular file"):
        train.predict_file(model_path, seqs, fifo)
    args = ["predict", "--model", str(model_path), "--input", str(seqs), "--output", str(fifo)]
    assert cli.main(args) == 2
    assert "named pipe (FIFO), not a regular file" in capsys.readouterr().err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the pipe, not replaced by a file
    assert not _leftovers(tmp_path)


def test_ordinary_output_is_still_replaced(tmp_path, model_path, seqs):
    out = tmp_path / "o.tsv"
    out.write_text("old\n")
    assert train.predict_file(model_path, seqs, out) == 30
    assert out.read_text().startswith("sequence\tprediction\n")


# ------------------------------------------------------------------ inputs without data


@pytest.mark.parametrize("header", ["sequence\texpression\n", "sequence\n\n\n"])
def test_header_only_input_is_an_error_and_writes_nothing(tmp_path, model_path, header):
    src = tmp_path / "h.txt"
    src.write_text(header)
    out = tmp_path / "o.tsv"
    with pytest.raises(InputError, match=r"h\.txt: no data lines after the header"):
        train.predict_file(model_path, src, out)
    assert not out.exists() and not _leftovers(tmp_path)


def test_bad_batch_size_is_refused_before_reading(tmp_path, model_path):
    src = tmp_path / "h.txt"
    src.write_text("sequence\n")
    with pytest.raises(ParameterError, match="batch_size must be >= 1, got 0"):
        train.predict_file(model_path, src, tmp_path / "o.tsv", batch_size=0)


def test_duplicate_sequence_columns_are_refused(tmp_path, model_path):
    src = tmp_path / "d.txt"
    src.write_text("sequence\tsequence\nACGT\tTTTT\n")
    with pytest.raises(InputError, match=r"d\.txt, line 1: .*'sequence' more than once"):
        train.predict_file(model_path, src, tmp_path / "o.tsv")


def test_latin1_input_names_file_line_and_byte(tmp_path, model_path):
    src = tmp_path / "l1.txt"
    src.write_bytes("sequence\tcomment\nACGT\tok\nACGT\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"l1\.txt, line 3: column 'comment': byte 0xe9"):
        train.predict_file(model_path, src, tmp_path / "o.tsv")
    src.write_bytes("sequence\nACGTACGT\nACGTAC\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"l1\.txt, line 3: invalid byte 0xe9 .* at column 7"):
        train.predict_file(model_path, src, tmp_path / "o.tsv")


# ------------------------------------------------------------------ SIGTERM


def test_sigterm_stops_predict_like_ctrl_c(tmp_path, model_path, seqs, monkeypatch, capsys):
    """SIGTERM while predicting: exit 143, one line, no temporary file, no output."""
    import importlib

    import gexnb.train

    predict_module = importlib.import_module("gexnb.train.predict")  # the attribute: the function

    real_predict, real_predict_file = predict_module.predict, predict_module.predict_file
    calls = []

    def predict_then_sigterm(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the temporary output holds the first chunk by now
            signal.raise_signal(signal.SIGTERM)
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(predict_module, "predict", predict_then_sigterm)
    monkeypatch.setattr(
        gexnb.train, "predict_file", lambda *a, **k: real_predict_file(*a, **k, chunk_size=10)
    )
    out = tmp_path / "o.tsv"
    args = ["predict", "--model", str(model_path), "--input", str(seqs), "--output", str(out)]
    # without gexnb's handler SIGTERM must not kill the test run: this one notes it
    survived: list[int] = []

    def note(signum, frame):
        survived.append(signum)

    previous = signal.signal(signal.SIGTERM, note)
    try:
        code = cli.main(args)
        restored = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not survived and len(calls) == 2
    assert code == 143
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gexnb: interrupted (SIGTERM): stopped predict, {out} not written"]
    assert not out.exists() and not _leftovers(tmp_path)
    assert restored is note  # the handler before gexnb predict is back


# ------------------------------------------------------------------ Python API


def test_predict_takes_a_dataframe_or_series():
    model = build("dgex", n_landmarks=6, n_targets=3, hidden=[4])
    x = np.random.default_rng(0).normal(size=(10, 6)).astype("float32")
    expected = train.predict(model, x)
    np.testing.assert_allclose(train.predict(model, pd.DataFrame(x)), expected, rtol=1e-6)
    one = build("dgex", n_landmarks=1, n_targets=2, hidden=[4])
    np.testing.assert_allclose(
        train.predict(one, pd.DataFrame(x[:, :1])), train.predict(one, x[:, :1]), rtol=1e-6
    )
    with pytest.raises(ParameterError, match=r"x has shape \(10,\); .*shape \(n, 1\)"):
        train.predict(one, pd.Series(x[:, 0]))


def test_predict_wrong_rank_names_the_expected_shape():
    model = build("dgex", n_landmarks=6, n_targets=3, hidden=[4])
    x = np.zeros((4, 6), "float32")
    with pytest.raises(ParameterError, match=r"x has shape \(6,\); the model expects .*\(n, 6\)"):
        train.predict(model, x[0])
    with pytest.raises(ParameterError, match=r"x has shape \(1, 4, 6\)"):
        train.predict(model, x[None])
    with pytest.raises(ParameterError, match=r"chunk 1 of x has shape \(6,\)"):
        train.predict(model, [x, x[0]])
    with pytest.raises(ParameterError, match="dtype object; the model takes numbers"):
        train.predict(model, pd.DataFrame(x).astype(str))
    assert train.predict(model, x[:0]).shape[0] == 0
    seq = build("metformin_bigru", length=LENGTH, n_layers=1, units=4)
    with pytest.raises(ParameterError, match=rf"\(n, {LENGTH}\)"):
        train.predict(seq, np.zeros(LENGTH, np.uint8))


def test_predict_checks_values_as_fit_does():
    """predict returned numbers for NaN inputs, codes outside 0..5 and float codes, which fit
    refuses; a landmark model was told of "sequences" (found by an API fault sweep)."""
    model = build("dgex", n_landmarks=3, n_targets=2, hidden=[4])
    x = np.ones((4, 3), "float32")
    x[1, 2] = np.nan
    with pytest.raises(InputError, match="x is NaN or infinite at row 1, column 2"):
        train.predict(model, x)
    with pytest.raises(InputError, match=r"each sample has shape \(5,\), but the model expects"):
        train.predict(model, np.ones((2, 5), "float32"))
    rows = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]  # nested lists: one array, not two chunks
    np.testing.assert_allclose(train.predict(model, rows), train.predict(model, np.array(rows)))
    frames = [pd.DataFrame(np.array(rows)), pd.DataFrame(np.array(rows)[:1])]  # chunks
    assert train.predict(model, frames).shape == (3, 2)
    seq = build("metformin_bigru", length=LENGTH, n_layers=1, units=4)
    with pytest.raises(InputError, match="code 9"):
        train.predict(seq, np.full((2, LENGTH), 9, np.uint8))
    with pytest.raises(InputError, match="takes uint8 sequence codes, got float64"):
        train.predict(seq, np.ones((2, LENGTH)))
    with pytest.raises(ParameterError, match="model must be a Keras model .* got NoneType"):
        train.predict(None, x)


def test_a_killed_predicts_temporary_file_is_removed_by_the_next(tmp_path, model_path, seqs):
    # fault sweep: a SIGKILLed predict left its hidden temporary file for good
    dead = _a_dead_pid()
    out = tmp_path / "p.tsv"
    left = tmp_path / f".p.tsv.{dead}-0123456789ab.tmp.tsv"
    live = tmp_path / f".p.tsv.{os.getpid()}-0123456789ab.tmp.tsv"  # a writer still running
    fresh = tmp_path / f".p.tsv.{dead}-abcdefabcdef.tmp.tsv"  # maybe another machine's writer
    for path in (left, live, fresh):
        path.write_text("partial\n")
    old = time.time() - 3600
    os.utime(left, (old, old))
    os.utime(live, (old, old))
    train.predict_file(model_path, seqs, out)
    assert not left.exists() and live.exists() and fresh.exists() and out.is_file()


def _a_dead_pid() -> int:
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_predict_and_predict_file_name_what_they_got_wrongly(tmp_path):
    """A re-run of the API fault sweep: values beyond float32 gave NaN; an empty input to a
    two-output model gave shape (0,); predict_file of a model object was a pathlib error;
    int64 codes were refused with reverse_complement."""
    model = build("dgex", n_landmarks=3, n_targets=2, hidden=[4])
    with pytest.raises(InputError, match="beyond float32's range"):
        train.predict(model, np.full((2, 3), 1e39))
    assert train.predict(model, np.zeros((0, 3), "float32")).shape == (0, 2)
    with pytest.raises(ParameterError, match="model_path must be the path of a .keras file"):
        train.predict_file(model, tmp_path / "in.txt", tmp_path / "out.tsv")
    seq = build("metformin_bigru", length=LENGTH, n_layers=1, units=4)
    codes = np.random.default_rng(0).integers(0, 4, size=(3, LENGTH))
    np.testing.assert_allclose(
        train.predict(seq, codes, reverse_complement=True),
        train.predict(seq, codes.astype(np.uint8), reverse_complement=True),
    )
    with pytest.raises(ParameterError, match="cudnn_report needs a Keras model"):
        train.cudnn_report(None)

"""Atomic writes and the metrics.json contract (gexnb.io)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gexnb.errors import InputError
from gexnb.io import (
    atomic_path,
    ensure_output_dir,
    read_metrics,
    write_json_atomic,
    write_metrics,
    write_table_atomic,
)


def test_atomic_path_leaves_target_untouched_on_error(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.txt"]


def test_atomic_path_keeps_suffix_for_writers_that_dispatch_on_it(tmp_path):
    with atomic_path(tmp_path / "model.keras") as tmp:
        assert tmp.name.endswith(".keras")
        tmp.write_bytes(b"x")
    assert (tmp_path / "model.keras").read_bytes() == b"x"


def test_write_json_converts_numpy_and_nan(tmp_path):
    path = write_json_atomic(tmp_path / "a.json", {"x": np.float32(1.5), "y": float("nan")})
    assert json.loads(path.read_text()) == {"x": 1.5, "y": None}


def test_write_metrics_validates_keys_and_merges(tmp_path):
    write_metrics(tmp_path, {"linear/test/mae": 0.5})
    write_metrics(tmp_path, {"dgex/test/mae": np.float64(0.25)})
    assert read_metrics(tmp_path) == {"linear/test/mae": 0.5, "dgex/test/mae": 0.25}
    with pytest.raises(InputError, match="model>/<split>/<metric"):
        write_metrics(tmp_path, {"mae": 1.0})
    with pytest.raises(InputError, match="not a number"):
        write_metrics(tmp_path, {"a/b/c": "high"})


@pytest.mark.parametrize("name", ["t.tsv", "t.csv", "t.parquet"])
def test_write_table_round_trip(tmp_path, name):
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="id"))
    path = write_table_atomic(tmp_path / name, frame)
    if name.endswith(".parquet"):
        back = pd.read_parquet(path)
    else:
        back = pd.read_csv(path, sep="\t" if name.endswith("tsv") else ",", index_col=0)
    pd.testing.assert_frame_equal(back, frame)


def test_unwritable_output_dir_is_named(tmp_path, monkeypatch):
    """A folder that refuses writes (simulated: root ignores chmod) is named in the error."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(InputError, match="not writable.*Permission denied") as info:
        ensure_output_dir(tmp_path / "sub")
    assert str(tmp_path / "sub") in str(info.value)


def test_output_dir_that_is_a_file_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match=str(blocker)):
        ensure_output_dir(blocker / "out")

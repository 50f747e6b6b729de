"""The GPU benchmark driver: its plan, its budget and its projected paper-profile times."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(bench, *argv):
    parser_args = bench.argparse.Namespace(
        out="/tmp/x", parts="/tmp/x/parts", backends=list(argv) or ["torch", "jax"],
        n=32768, quick=False,
    )  # fmt: skip
    return parser_args


def test_plan_puts_torch_float32_bigru_first_and_has_no_duplicates(bench):
    keys = [key for key, _, _ in bench._plan(_args(bench))]
    assert keys[:3] == ["env/torch", "env/jax", "bigru/torch/float32"]
    assert len(keys) == len(set(keys))
    single = [key for key, _, _ in bench._plan(_args(bench, "jax"))]
    assert len(single) == len(set(single)) and all("torch" not in key for key in single)
    for key, backend, command in bench._plan(_args(bench)):
        assert backend in key
        if key.startswith("bigru/"):
            assert command[command.index("--batch") + 1] == "2048"  # the team's batch


def test_projections_follow_the_paper_profiles(bench):
    results = {
        "bigru/torch/float32": {"status": "ok", "result": {
            "settings": {"batch": 2048},
            "arms": {"uint8": {"arm": "uint8", "us_per_sequence": 10.0, "input_share": 0.05}},
        }},
        "dgex/torch/float32/4760": {"status": "ok", "result": {
            "batch_size": 200, "dgex_full": {"samples_per_s": 8880.7, "epoch_s_88807": 10.0},
        }},
        "dgex/jax/float32/9520": {"status": "failed (exit 1)", "error": ["E: out | of memory"]},
    }  # fmt: skip
    text = "\n".join(bench._rows(results))
    # 10 us x 6,000,000 sequences x 30 epochs = 1,800 s; 10 s x 200 epochs x 2 networks = 4,000 s
    assert "torch float32: 0.50 h of training passes" in text
    assert "torch float32: 1.11 h" in text
    assert "input pipeline 5.0% of the epoch" in text
    assert "failed (exit 1): E: out / of memory" in text


def test_a_spent_budget_skips_and_still_writes_the_record(bench, tmp_path: Path, monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())  # main sets it if unset
    assert bench.main(["--out", str(tmp_path), "--budget-s", "0", "--backends", "jax"]) == 0
    record = json.loads((tmp_path / "gpu.json").read_text())
    assert record["results"]["bigru/jax/float32"] == {"status": "skipped (budget)"}
    assert "skipped (budget)" in (tmp_path / "gpu.md").read_text()

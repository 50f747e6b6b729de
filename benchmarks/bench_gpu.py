"""Every GPU figure of issue 13 in one call on the lent GPU machine, within a time budget.

The GPU machine has PyTorch and JAX but no TensorFlow and no package registry; ``make
gpu-wheels`` puts the Keras wheel and the two it needs there into ``.whl/`` (git-ignored), and
the command that runs this script on the machine is in ``docs/benchmarks/gpu.md``. Each
measurement runs in its own child process (one Keras backend and dtype policy per process)
by calling the other scripts of this folder:

1. ``env``: the GPU, driver, library versions, and :func:`gexnb.train.cudnn_report` of the
   Metformin-121 BiGRU on each backend (is the fused cuDNN GRU kernel used?).
2. ``bigru``: the team's BiGRU (8 x 64, 565,633 weights, length 142) at their batch 2048 on
   uint8 codes, per backend in float32, mixed bfloat16 and mixed float16: microseconds per
   sequence per epoch (4 epochs, the first and the last untimed) and the input pipeline's
   share of the epoch (shuffled batches copied to the device, without training; see
   ``bench_bigru_train.py``).
3. ``dgex``: full-size D-GEX (943 -> 3 x 9,000 -> 9,520, 256 M weights) and the paper
   profile's chunk network (-> 4,760 targets; the profile trains two), batch 200, SGD.
4. ``sequence_models``: LegNet and DREAM-CNN at paper size beside the BiGRU, batch 1024.
5. ``bigru_gexnb_fit``: the bfloat16 BiGRU trained by :func:`gexnb.train.fit` (checkpoints and
   history written every epoch) instead of plain ``model.fit``: the cost of gexnb's own loop.
6. ``bigru_onehot``: the same network fed float32 one-hot (16 bytes per base), float32.

The order interleaves these so that the figures the issue asks for first (torch, float32 and
bfloat16) come first, and a second call can take the rest with ``--only``.

Results go to ``<out>/gpu.json`` after every measurement (a timeout keeps what finished) and,
at the end, to ``<out>/gpu.md``: one table, and the projected wall time of the paper profiles
(training passes only: 6,000,000 sequences x 30 epochs for the BiGRU; 200 epochs x 88,807
profiles x 2 chunk networks for D-GEX). A measurement that would start past ``--budget-s`` is
skipped and listed as such. Usage::

    python benchmarks/bench_gpu.py --out benchmarks/out --quick   # CPU smoke run, minutes
    python3 benchmarks/bench_gpu.py --out "$OUT" --budget-s 420        # on the GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _paper(notebook: str) -> dict:
    """The paper profile of ``notebook`` (its sizes are the projections' only source)."""
    import yaml

    path = HERE.parent / "parameters" / notebook / "paper.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


_BIGRU, _DGEX = _paper("02_bigru_training"), _paper("03_landmark_models")
BIGRU_PAPER_SEQUENCES = int(_BIGRU["n_train"])
BIGRU_PAPER_EPOCHS = int(_BIGRU["epochs"])
DGEX_PAPER_SAMPLES = int(_DGEX["counts"][0])
DGEX_PAPER_EPOCHS = int(_DGEX["epochs"])
DGEX_PAPER_CHUNKS = int(_DGEX["model_params"]["dgex"]["target_chunks"])
DGEX_CHUNK_TARGETS = 9520 // DGEX_PAPER_CHUNKS  # the chunk network bench_dgex measures
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")

ENV_PROBE = """
import json, keras
from gexnb.models import build
from gexnb.train import cudnn_report
backend = keras.backend.backend()
info = {"backend": backend, "keras": keras.__version__}
if backend == "torch":
    import torch
    info.update(torch=torch.__version__, cuda=torch.version.cuda,
                device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                cudnn=torch.backends.cudnn.version() if torch.cuda.is_available() else None)
elif backend == "jax":
    import jax
    info.update(jax=jax.__version__, device=str(jax.devices()[0]))
else:
    import tensorflow as tf
    info.update(tensorflow=tf.__version__, device=str(tf.config.list_logical_devices()[-1]))
report = cudnn_report(build("metformin_bigru", length=142))
info["cudnn_fused_layers"] = int(report["fused"].sum())
info["recurrent_layers"] = int(len(report))
info["cudnn_why_not"] = sorted({str(w) for w in report["why_not"] if str(w)})
print(json.dumps(info))
"""


def _plan(args: argparse.Namespace) -> list[tuple[str, str, list[str]]]:
    """(key, backend, command) per measurement, most wanted first (torch first: it has cuDNN)."""
    py = sys.executable
    quick = ["--quick"] if args.quick else []
    bigru_size = ["--n", str(args.n), "--batch", "2048", "--epochs", "4"]
    seq_size = ["--n", "16384", "--batch", "1024"]
    dgex_steps = ["--steps", "20"]
    if args.quick:
        bigru_size = ["--n", "512", "--batch", "256", "--epochs", "2"]
        seq_size, dgex_steps = ["--n", "256", "--batch", "64"], ["--steps", "2"]

    def bigru(backend: str, precision: str, arm: str = "uint8") -> tuple[str, list[str]]:
        return f"bigru{'' if arm == 'uint8' else '_' + arm}/{backend}/{precision}", [
            str(HERE / "bench_bigru_train.py"),
            "--backend",
            backend,
            "--precision",
            precision,
            "--arms",
            arm,
            *bigru_size,
        ]

    def dgex(backend: str, precision: str, targets: int) -> tuple[str, list[str]]:
        return f"dgex/{backend}/{precision}/{targets}", [
            str(HERE / "bench_dgex.py"),
            "--backend",
            backend,
            "--precision",
            precision,
            "--n-targets",
            str(targets),
            *dgex_steps,
        ]

    def sequence_models(backend: str) -> tuple[str, list[str]]:
        return f"sequence_models/{backend}/mixed_bfloat16", [
            str(HERE / "bench_sequence_models.py"),
            "--precision",
            "mixed_bfloat16",
            *seq_size,
        ]

    first, second = (args.backends + args.backends)[:2]
    wanted = [
        bigru(first, "float32"),
        bigru(first, "mixed_bfloat16"),
        bigru(second, "float32"),
        dgex(first, "float32", 9520),
        dgex(first, "float32", DGEX_CHUNK_TARGETS),
        sequence_models(first),
        bigru(first, "mixed_bfloat16", "gexnb_fit"),
        bigru(first, "mixed_float16"),
        bigru(second, "mixed_bfloat16"),
        bigru(second, "mixed_float16"),
        bigru(first, "float32", "onehot"),
        bigru(second, "float32", "onehot"),
        dgex(second, "float32", 9520),
        dgex(second, "float32", DGEX_CHUNK_TARGETS),
        dgex(first, "mixed_bfloat16", DGEX_CHUNK_TARGETS),
        dgex(second, "mixed_bfloat16", DGEX_CHUNK_TARGETS),
        sequence_models(second),
    ]
    plan = [(f"env/{backend}", backend, [py, "-c", ENV_PROBE]) for backend in args.backends]
    seen = set()
    for key, command in wanted:
        if key in seen:  # one backend given: the second is the first
            continue
        seen.add(key)
        part = Path(args.parts) / (key.replace("/", "_") + ".json")
        plan.append((key, key.split("/")[1], [py, *command, *quick, "--json", str(part)]))
    return plan


def _run(key: str, backend: str, command: list[str], timeout: float) -> dict:
    import gexnb

    here = str(Path(gexnb.__file__).resolve().parent.parent)  # the children use this gexnb
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=path)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": f"timed out after {timeout:.0f} s"}
    seconds = round(time.perf_counter() - start, 1)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"status": f"failed (exit {done.returncode})", "error": tail, "seconds": seconds}
    json_at = command.index("--json") + 1 if "--json" in command else None
    if json_at is not None:
        result = json.loads(Path(command[json_at]).read_text())
    else:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"status": "ok", "seconds": seconds, "result": result}


def _rows(results: dict) -> list[str]:
    """The markdown table of the measurements that finished, and the paper projections."""
    lines = ["| measurement | backend | precision | figure |", "|---|---|---|---|"]
    projections = []
    for key, entry in results.items():
        if entry.get("status") != "ok":
            why = (entry.get("error") or [""])[-1].replace("|", "/")
            lines.append(f"| {key} | | | {entry.get('status')}{': ' + why if why else ''} |")
            continue
        kind, backend, *rest = key.split("/")
        result = entry["result"]
        if kind == "env":
            lines.append(
                f"| env | {backend} | | {result.get('device')}; cuDNN-fused recurrent "
                f"layers {result['cudnn_fused_layers']} of "
                f"{result['recurrent_layers']} |"
            )
        elif kind.startswith("bigru"):
            arm = next(iter(result["arms"].values()))
            lines.append(
                f"| BiGRU {arm['arm']}, batch {result['settings']['batch']} | {backend} "
                f"| {rest[0]} | {arm['us_per_sequence']:.1f} us/seq/epoch; input "
                f"pipeline {arm['input_share']:.1%} of the epoch |"
            )
            if kind == "bigru":
                hours = arm["us_per_sequence"] * 1e-6 * BIGRU_PAPER_SEQUENCES * BIGRU_PAPER_EPOCHS
                projections.append(
                    f"- BiGRU paper profile ({BIGRU_PAPER_SEQUENCES:,} sequences x "
                    f"{BIGRU_PAPER_EPOCHS} epochs), {backend} {rest[0]}: "
                    f"{hours / 3600:.2f} h of training passes"
                )
        elif kind == "dgex":
            full = result["dgex_full"]
            lines.append(
                f"| D-GEX 943 -> 3 x 9,000 -> {rest[1]}, batch {result['batch_size']} | "
                f"{backend} | {rest[0]} | {full['samples_per_s']:,.0f} samples/s; epoch "
                f"of 88,807 {full['epoch_s_88807']:.1f} s |"
            )
            if rest[1] == str(DGEX_CHUNK_TARGETS):
                hours = (
                    full["epoch_s_88807"]
                    * DGEX_PAPER_SAMPLES
                    / 88_807
                    * DGEX_PAPER_EPOCHS
                    * DGEX_PAPER_CHUNKS
                    / 3600
                )
                projections.append(
                    f"- D-GEX paper profile ({DGEX_PAPER_EPOCHS} epochs x "
                    f"{DGEX_PAPER_CHUNKS} networks of {DGEX_CHUNK_TARGETS:,} targets), {backend} "
                    f"{rest[0]}: {hours:.2f} h"
                )
        elif kind == "sequence_models":
            for row in result["results"]:
                lines.append(
                    f"| {row['model']}, batch {result['batch']} | {backend} | {rest[0]} "
                    f"| {row['us_per_sequence']} us/seq/epoch |"
                )
    return lines + ["", "Projected (training passes only, no validation):", *projections]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "out"), help="folder for gpu.json, gpu.md")
    parser.add_argument(
        "--budget-s", type=float, default=420.0, help="start no measurement after this many seconds"
    )
    parser.add_argument(
        "--backends", nargs="+", default=["torch", "jax"], choices=["torch", "jax", "tensorflow"]
    )
    parser.add_argument(
        "--item-timeout-s",
        type=float,
        default=150.0,
        help="stop one measurement after this many seconds",
    )
    parser.add_argument("--n", type=int, default=32768, help="BiGRU sequences per epoch")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        help="run only measurements whose key starts with one of these",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a CPU smoke run")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KERAS_BACKEND", args.backends[0])  # the parent trains nothing
    args.parts = tempfile.mkdtemp(prefix="bench_gpu_")  # per-measurement files; gpu.json has all
    from gexnb.io import write_json_atomic, write_text_atomic

    started = time.perf_counter()
    results: dict[str, dict] = {}
    header = {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs",
        "python": sys.version.split()[0],
        "argv": sys.argv[1:],
    }
    for key, backend, command in _plan(args):
        if args.only and not any(key.startswith(prefix) for prefix in args.only):
            continue
        left = args.budget_s - (time.perf_counter() - started)
        if left <= 0:
            results[key] = {"status": "skipped (budget)"}
            continue
        print(f"[{time.perf_counter() - started:6.0f} s] {key}", flush=True)
        timeout = max(min(left, args.item_timeout_s), 30.0)
        results[key] = _run(key, backend, command, timeout=timeout)
        print(
            f"         {results[key]['status']} ({results[key].get('seconds', '-')} s)", flush=True
        )
        write_json_atomic(out / "gpu.json", {**header, "results": results})
    write_json_atomic(out / "gpu.json", {**header, "results": results})
    table = "\n".join(_rows(results))
    if args.quick:
        table = (
            "QUICK SMOKE RUN: tiny models and sizes; no figure below is a paper-size one.\n\n"
            + table
        )
    write_text_atomic(
        out / "gpu.md",
        f"{header['machine']}; command: bench_gpu.py {' '.join(header['argv'])}\n\n{table}\n",
    )
    print(table)
    return 0 if all(r["status"] in ("ok", "skipped (budget)") for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark sequence encoding: throughput against the seed's loop, and DREAM-scale reading.

(a) Encoding throughput: :func:`gexnb.data.sequences.encode_sequences` against the seed's
    approach (a Python loop over every character building one-hot lists, as the DREAM 2022
    Metformin-121 notebook did) on the same sequences; prints the speed-up (goal >= 100x) and
    checks that both give the same one-hot.
(b) DREAM scale: writes a synthetic 6,739,258-line ``sequence<TAB>expression`` file shaped
    like the challenge training file (about 110 nt, lengths 87-135) once (cached), then times
    :func:`gexnb.data.sequences.read_encoded` in a child process and reads its peak resident
    memory with ``resource.getrusage(RUSAGE_CHILDREN)``; targets: <= 60 s and <= 2.0 GB.

Usage::

    python benchmarks/bench_encode.py                 # full size
    python benchmarks/bench_encode.py --quick         # 200,000 lines, 5,000 sequences
    python benchmarks/bench_encode.py --n-lines 1000000 --path /tmp/dream.txt
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gexnb.data.sequences import DEFAULT_LENGTH, encode_sequences, one_hot
from gexnb.data.synthetic import ADAPTER_3, ADAPTER_5, synthetic_promoters

DREAM_LINES = 6_739_258
TIME_TARGET_S = 60.0
MEMORY_TARGET_GB = 2.0

_SEED_CHANNELS = {
    "T": [1, 0, 0, 0],
    "C": [0, 1, 0, 0],
    "G": [0, 0, 1, 0],
    "A": [0, 0, 0, 1],
    "N": [1, 1, 1, 1],
}


def seed_one_hot(seqs: list[str], length: int = DEFAULT_LENGTH) -> np.ndarray:
    """The seed's encoding: a Python loop per character, zero rows padded in front."""
    rows = []
    for seq in seqs:
        row = [[0, 0, 0, 0] for _ in range(length - len(seq))]
        for char in seq:
            row.append(_SEED_CHANNELS[char])
        rows.append(row)
    return np.array(rows, dtype=np.float32)


def bench_throughput(n: int, repeats: int = 3) -> dict[str, float]:
    """Time the seed's loop and encode_sequences (and encode + one_hot) on ``n`` sequences."""
    seqs = synthetic_promoters(n, seed=0)["sequence"].tolist()
    start = time.perf_counter()
    reference = seed_one_hot(seqs)
    seed_s = time.perf_counter() - start
    best_codes = best_onehot = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        codes = encode_sequences(seqs)
        best_codes = min(best_codes, time.perf_counter() - start)
        start = time.perf_counter()
        dense = one_hot(encode_sequences(seqs))
        best_onehot = min(best_onehot, time.perf_counter() - start)
    if not np.array_equal(dense, reference):
        raise SystemExit("encode_sequences + one_hot differs from the seed's encoding")
    del codes
    return {
        "n_sequences": n,
        "seed_loop_s": seed_s,
        "encode_s": best_codes,
        "encode_one_hot_s": best_onehot,
        "speedup_codes": seed_s / best_codes,
        "speedup_one_hot": seed_s / best_onehot,
    }


def write_dream_like(path: Path, n_lines: int, *, seed: int = 0, chunk: int = 100_000) -> None:
    """Write ``n_lines`` DREAM-shaped lines (vectorised, chunk by chunk) to ``path``."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    a5 = np.frombuffer(ADAPTER_5.encode(), dtype=np.uint8)
    a3 = np.frombuffer(ADAPTER_3.encode(), dtype=np.uint8)
    max_len, expr_width = 135, 9  # "dd.dddddd"
    width = max_len + 1 + expr_width + 1
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        for first in range(0, n_lines, chunk):
            m = min(chunk, n_lines - first)
            lengths = np.full(m, 110, dtype=np.int64)
            varied = rng.random(m) < 0.18  # the demo file: 5,219 of 6,370 rows are 110 nt
            lengths[varied] = rng.integers(87, max_len + 1, size=int(varied.sum()))
            grid = letters[rng.integers(0, 4, size=(m, width), dtype=np.uint8)]
            grid[:, : len(a5)] = a5
            cols = np.arange(width)[None, :]
            rel = cols - (lengths - len(a3))[:, None]
            in_a3 = (rel >= 0) & (rel < len(a3))
            grid[in_a3] = np.broadcast_to(a3, (m, len(a3))).ravel()
            grid[np.arange(m), lengths] = ord("\t")
            value = rng.integers(0, 17, size=m)
            frac = rng.integers(0, 1_000_000, size=m)
            digits = np.stack(
                [
                    value // 10,
                    value % 10,
                    np.full(m, -2),
                    *[(frac // 10**p) % 10 for p in range(5, -1, -1)],
                ],
                axis=1,
            )
            text = (digits + ord("0")).astype(np.uint8)  # -2 + '0' == '.'
            expr_cols = lengths[:, None] + 1 + np.arange(expr_width)[None, :]
            grid[np.arange(m)[:, None], expr_cols] = text
            grid[np.arange(m), lengths + 1 + expr_width] = ord("\n")
            handle.write(grid[cols <= (lengths + 1 + expr_width)[:, None]].tobytes())
    os.replace(tmp, path)


_CHILD = """
import json, sys, time
from gexnb.data.sequences import read_encoded
start = time.perf_counter()
codes, y = read_encoded(sys.argv[1])
elapsed = time.perf_counter() - start
hwm_kb = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            hwm_kb = int(line.split()[1])
print(json.dumps({"seconds": elapsed, "rows": int(codes.shape[0]), "shape": list(codes.shape),
                  "codes_gb": codes.nbytes / 1e9, "vmhwm_gb": hwm_kb * 1024 / 1e9}))
"""


def bench_read(path: Path, n_lines: int) -> dict[str, float]:
    """Time read_encoded on ``path`` in a child process and measure its peak memory."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"read_encoded failed:\n{result.stderr}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["rows"] != n_lines:
        raise SystemExit(f"read {figures['rows']} rows, expected {n_lines}")
    # ru_maxrss of a child also counts the parent's pages at fork time, so this script runs
    # the read before anything large is allocated here. It is the maximum over all children
    # (the file writer too, when it ran); the read child's own VmHWM is the exact figure.
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    figures["children_maxrss_gb"] = peak_kb * 1024 / 1e9
    figures["peak_gb"] = figures["vmhwm_gb"]
    figures["file_gb"] = path.stat().st_size / 1e9
    seed_elements = n_lines * DEFAULT_LENGTH * 4
    figures["seed_one_hot_float32_gb"] = seed_elements * 4 / 1e9
    figures["seed_one_hot_int8_gb"] = seed_elements / 1e9
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n-lines", type=int, default=DREAM_LINES, help="lines of the DREAM-like file"
    )
    parser.add_argument("--n-sequences", type=int, default=20_000, help="sequences for (a)")
    parser.add_argument("--path", type=Path, default=None, help="cached DREAM-like file")
    parser.add_argument("--quick", action="store_true", help="200,000 lines and 5,000 sequences")
    parser.add_argument("--skip-read", action="store_true", help="only run the throughput part")
    parser.add_argument("--write-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.n_lines, args.n_sequences = 200_000, 5_000
    path = args.path or Path(tempfile.gettempdir()) / f"gexnb_bench_dream_{args.n_lines}.txt"
    if args.write_only:
        write_dream_like(path, args.n_lines)
        return 0

    print(f"machine: {os.cpu_count()} CPU cores (shared), python {sys.version.split()[0]}")
    ok = True
    if not args.skip_read:
        wrote = not path.exists()
        if wrote:
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--write-only",
                    "--n-lines",
                    str(args.n_lines),
                    "--path",
                    str(path),
                ],
                check=True,
            )
            size_gb = path.stat().st_size / 1e9
            print(f"wrote {path} ({size_gb:.2f} GB) in {time.perf_counter() - start:.1f} s")
        else:
            print(f"using cached {path} ({path.stat().st_size / 1e9:.2f} GB)")
        b = bench_read(path, args.n_lines)
        ok_time = b["seconds"] <= TIME_TARGET_S
        ok_mem = b["peak_gb"] <= MEMORY_TARGET_GB
        ok = ok_time and ok_mem
        print(
            f"(b) read_encoded {b['rows']:,} lines ({b['file_gb']:.2f} GB file) -> codes "
            f"{tuple(b['shape'])} uint8 ({b['codes_gb']:.2f} GB): {b['seconds']:.1f} s "
            f"(target <= {TIME_TARGET_S:.0f} s: {'OK' if ok_time else 'MISSED'}), peak RSS "
            f"(VmHWM of the read process) {b['peak_gb']:.2f} GB (target <= "
            f"{MEMORY_TARGET_GB} GB: {'OK' if ok_mem else 'MISSED'}); "
            f"getrusage(RUSAGE_CHILDREN).ru_maxrss {b['children_maxrss_gb']:.2f} GB"
            f"{' (includes the file writer)' if wrote else ''}"
        )
        print(
            f"    seed's one-hot (N, 142, 4) for the same rows: "
            f"{b['seed_one_hot_float32_gb']:.1f} GB as float32 "
            f"({b['seed_one_hot_int8_gb']:.1f} GB at one byte per element)"
        )
    a = bench_throughput(args.n_sequences)
    print(
        f"(a) {a['n_sequences']:,} sequences: seed per-character loop {a['seed_loop_s']:.3f} s; "
        f"encode_sequences {a['encode_s'] * 1e3:.1f} ms -> speed-up {a['speedup_codes']:.0f}x "
        f"(goal >= 100x); encode + one_hot {a['encode_one_hot_s'] * 1e3:.1f} ms -> "
        f"{a['speedup_one_hot']:.0f}x; identical one-hot: yes"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

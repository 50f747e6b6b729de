"""Time and memory of gexnb's two parsers of a plain numeric text matrix, whole and in part.

gexnb has two parsers of a tab- or comma-separated matrix: a line-by-line one
(``readers._fast_table``: numpy converts each line), which ``gexnb predict`` uses to parse only
the landmark columns (``_fast_table(columns=...)``), and pandas (``readers._parse_rows``),
which reads whole tables. This script
measures, on a synthetic ``--n`` samples x ``--genes`` genes TSV (values ``%.3f`` as GEO writes
them, or full precision with ``--digits full``), each in its own child process so that peak
memory (``ru_maxrss``) is per arm:

- ``fast``: ``_fast_table`` of the whole file (gexnb's path for a plain table);
- ``pandas``: ``_parse_rows`` of the whole file (gexnb's path for a whole table since the
  thirteenth session: ``pandas.read_csv`` in blocks of about 8 million values);
- ``pandas_low_memory``: one ``pandas.read_csv`` call, ``low_memory=True``;
- ``fast_columns``: ``_fast_table`` of one gene in 13 (943 of 12,328, a landmark model's share);
- ``pandas_usecols``: ``pandas.read_csv(usecols=...)`` of the same genes;
- ``read_expression``: ``gexnb.data.expression.read_expression`` of the file, end to end (the
  only arm that runs on the code of any session: with ``--arms read_expression`` and
  ``PYTHONPATH`` set to an older checkout, it measures that code; ``--file`` reads a file of
  your own instead of the synthetic one).

It prints each arm's time and the child's peak memory (the imports' share given), and the
ratios against ``fast`` (whole) and ``fast_columns`` (in part) when those ran. Usage::

    python benchmarks/bench_text_read.py            # 4,000 samples x 12,328 genes
    python benchmarks/bench_text_read.py --quick    # 500 samples x 12,328 genes
    python benchmarks/bench_text_read.py --arms read_expression --file my_matrix.tsv.gz
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARMS = (
    "fast",
    "pandas",
    "pandas_low_memory",
    "fast_columns",
    "pandas_usecols",
    "read_expression",
)
#: The arm each arm's ratios are taken against.
BASE = {"fast_columns": "fast_columns", "pandas_usecols": "fast_columns"}
#: One gene in this many is parsed by the partial arms (943 of 12,328 genes).
EVERY = 13


def _genes(n_genes: int) -> list[str]:
    return [f"G{i:05d}" for i in range(0, n_genes, EVERY)]


def _write(path: Path, n: int, n_genes: int, digits: str) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(8, 2, (n, n_genes)),
        index=[f"S{i:06d}" for i in range(n)],
        columns=[f"G{i:05d}" for i in range(n_genes)],
    )
    float_format = "%.3f" if digits == "3" else None
    frame.to_csv(path, sep="\t", float_format=float_format, index_label="id")


def _child(arm: str, path: Path, n_genes: int) -> dict:
    import pandas as pd

    from gexnb.data.expression import read_expression, readers

    start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    if arm == "fast":
        shape = readers._fast_table(path, "\t").shape
    elif arm == "pandas":
        shape = readers._parse_rows(path, "\t", 1, n_genes + 1).shape
    elif arm == "pandas_low_memory":
        kwargs = {"header": None, "skiprows": 1, "converters": {0: str}, "low_memory": True}
        shape = pd.read_csv(path, sep="\t", **kwargs).shape
    elif arm == "fast_columns":
        shape = readers._fast_table(path, "\t", columns=set(_genes(n_genes))).shape
    elif arm == "pandas_usecols":
        shape = pd.read_csv(path, sep="\t", usecols=["id", *_genes(n_genes)], index_col=0).shape
    else:
        shape = read_expression(path).shape
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "arm": arm,
        "seconds": seconds,
        "peak_mb": peak_mb,
        "start_mb": start_mb,
        "shape": shape,
    }


def main() -> None:
    """Write the matrix, run every arm in a child process, print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="samples (rows)")
    parser.add_argument("--genes", type=int, default=12_328, help="genes (columns)")
    parser.add_argument("--digits", choices=("3", "full"), default="3", help="decimals written")
    parser.add_argument("--quick", action="store_true", help="500 samples")
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS), help="arms run")
    parser.add_argument("--file", type=Path, help="read this file (read_expression arm only)")
    parser.add_argument("--child", nargs=2, metavar=("ARM", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], Path(args.child[1]), args.genes)))
        return
    if args.file and args.arms != ["read_expression"]:
        parser.error("--file is read by the read_expression arm alone: add --arms read_expression")
    n = 500 if args.quick else args.n
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "matrix.tsv"
        if not args.file:
            _write(path, n, args.genes, args.digits)
        size_mb = path.stat().st_size / 1e6
        results = {}
        for arm in args.arms:
            command = [sys.executable, __file__, "--child", arm, str(path)]
            done = subprocess.run(
                [*command, "--genes", str(args.genes)], check=True, capture_output=True, text=True
            )
            results[arm] = json.loads(done.stdout.strip().splitlines()[-1])
    what = f"{n:,} samples x {args.genes:,} genes TSV, {args.digits} decimals"
    print(f"{args.file or what} ({size_mb:,.0f} MB)")
    for arm, r in results.items():
        base = results.get(BASE.get(arm, "fast"))
        ratios = (
            f"time {r['seconds'] / base['seconds']:.2f}x, peak "
            f"{r['peak_mb'] / base['peak_mb']:.2f}x of {base['arm']}"
            if base
            else ""
        )
        print(
            f"  {arm:18s} {r['seconds']:7.2f} s  peak {r['peak_mb']:7,.0f} MB  {ratios}  "
            f"{list(r['shape'])}"
        )
    start = max(r["start_mb"] for r in results.values())
    print(f"  (peak: the child process's; {start:,.0f} MB of it before the read, the imports)")


if __name__ == "__main__":
    main()

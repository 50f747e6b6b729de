"""Run every benchmark script in this folder, one after the other, and stop on the first failure.

Usage: ``python benchmarks/run_all.py [--quick]`` (``--quick`` passes ``--quick`` to the scripts
whose ``--help`` lists it, for a smoke run in minutes). ``bench_gpu.py`` is left out: it runs the
others on every Keras backend for the lent GPU machine (see ``docs/benchmarks/gpu.md``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    for script in sorted(HERE.glob("bench_*.py")):
        if script.name == "bench_gpu.py":
            continue
        command = [sys.executable, str(script)]
        if args.quick:
            helptext = subprocess.run(
                [*command, "--help"], capture_output=True, text=True, check=False
            ).stdout
            if "--quick" in helptext:
                command.append("--quick")
        print(f"=== {script.name}: {' '.join(command[1:])}", flush=True)
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            print(f"{script.name} failed with exit code {result.returncode}", file=sys.stderr)
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())

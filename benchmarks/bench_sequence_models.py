"""Training throughput of the sequence models of notebook 02 against the BiGRU, same run.

Each model (paper sizes by default: the Metformin-121 BiGRU 8 x 64, LegNet and DREAM-CNN with
the DREAM submissions' channels) trains on the same random uint8 codes with plain
``model.fit`` (MSE, Adam), so that only the network differs. The first epoch (tracing and
compilation) is excluded; the figure is microseconds per sequence per epoch over the timed
epochs, and its ratio to the BiGRU measured in the same run. Usage::

    python benchmarks/bench_sequence_models.py                  # paper sizes, n=512, batch 64
    python benchmarks/bench_sequence_models.py --quick          # tiny models, seconds
    KERAS_BACKEND=jax python benchmarks/bench_sequence_models.py --n 4096 --batch 1024
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

QUICK = {
    "metformin_bigru": {"n_layers": 1, "units": 8},
    "legnet": {"block_sizes": [16, 16, 8]},
    "dream_cnn": {"first_filters": 16, "core_sizes": [16, 8]},
}


def measure(name: str, hparams: dict, args: argparse.Namespace) -> dict:
    """Seconds per timed epoch of ``name`` and its microseconds per sequence."""
    import keras
    import numpy as np

    from gexnb.models import build

    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_dtype_policy(args.precision)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(args.n, args.length), dtype=np.uint8)
    y = rng.random(args.n, dtype=np.float32)
    model = build(name, length=args.length, **hparams)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(codes, y, batch_size=args.batch, epochs=1, verbose=0)  # tracing, compilation
    start = time.perf_counter()
    model.fit(codes, y, batch_size=args.batch, epochs=args.epochs, verbose=0)
    per_epoch = (time.perf_counter() - start) / args.epochs
    return {
        "model": name,
        "parameters": int(model.count_params()),
        "seconds_per_epoch": round(per_epoch, 3),
        "us_per_sequence": round(per_epoch / args.n * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--length", type=int, default=142)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--precision", default="float32",
                        choices=["float32", "mixed_float16", "mixed_bfloat16"])  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny models (a smoke test)")
    parser.add_argument("--json", default="", help="also write the results to this JSON file")
    parser.add_argument("--models", nargs="+", default=["metformin_bigru", "legnet", "dream_cnn"])
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    rows = [measure(m, QUICK[m] if args.quick else {}, args) for m in args.models]
    base = next((r for r in rows if r["model"] == "metformin_bigru"), rows[0])
    for row in rows:
        row["ratio_to_" + base["model"]] = round(
            row["us_per_sequence"] / base["us_per_sequence"], 2
        )
    summary = {
        "backend": keras.backend.backend(), "precision": args.precision,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "n": args.n, "length": args.length, "batch": args.batch, "quick": args.quick,
        "results": rows,
    }  # fmt: skip
    print(json.dumps(summary, indent=1))
    if args.json:
        from gexnb.io import write_json_atomic

        write_json_atomic(args.json, summary)


if __name__ == "__main__":
    main()

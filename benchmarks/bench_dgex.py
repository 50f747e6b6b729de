"""Benchmark D-GEX training throughput at the paper's size, against a small network.

(a) Full-size D-GEX (Chen et al. 2016): 943 landmarks -> 3 x 9,000 tanh units -> 9,520
    targets in one network (256,203,520 weights), SGD with momentum, MAE loss, dropout 0.1.
    A few hundred random samples are trained for ``--steps`` batches after a warm-up step;
    the script prints samples/s and projects the time of one epoch of the paper's 88,807
    training profiles.
(b) Baseline in the same run: the TAAF demonstrator's classical network (942 -> 2 x 300
    sigmoid -> 952, 659,752 weights), same batch size, optimizer and loss; the ratio of the
    two throughputs is printed.

Usage::

    python benchmarks/bench_dgex.py                        # CPU, float32, batch 200
    python benchmarks/bench_dgex.py --quick                # 1,000-unit layers, 2 steps
    KERAS_BACKEND=torch python benchmarks/bench_dgex.py --backend torch --precision mixed_float16

``--backend`` sets ``KERAS_BACKEND`` before Keras is imported (tensorflow, jax, torch);
``--precision`` sets the Keras dtype policy (float32, mixed_float16, mixed_bfloat16).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

PAPER_TRAIN = 88_807


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    p.add_argument("--precision", default="float32")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument(
        "--steps", type=int, default=3, help="timed batches of the full model (baseline: >= 30)"
    )
    p.add_argument("--hidden", type=int, default=9000)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--n-landmarks", type=int, default=943)
    p.add_argument("--n-targets", type=int, default=9520)
    p.add_argument("--quick", action="store_true", help="1,000-unit layers, 2 steps")
    p.add_argument("--json", default="", help="also write the results to this JSON file")
    return p.parse_args()


def _throughput(model, x, y, *, batch_size: int, steps: int) -> tuple[float, float]:
    import numpy as np

    n = len(x)
    model.train_on_batch(x[:batch_size], y[:batch_size])  # warm-up: graph build, allocation
    start = time.perf_counter()
    for i in range(steps):
        lo = (i * batch_size) % max(1, n - batch_size + 1)
        model.train_on_batch(x[lo : lo + batch_size], y[lo : lo + batch_size])
    elapsed = time.perf_counter() - start
    _ = np.asarray(model.predict(x[:2], verbose=0))  # sync device work
    return steps * batch_size / elapsed, elapsed


def main() -> int:
    args = _parse()
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.quick:
        args.hidden, args.steps = 1000, 2
    import keras
    import numpy as np

    from gexnb.models import build
    from gexnb.models.landmark import dgex_param_count
    from gexnb.train import make_optimizer

    keras.mixed_precision.set_dtype_policy(args.precision)
    rng = np.random.default_rng(0)
    n = 3 * args.batch_size
    results: dict[str, object] = {
        "backend": keras.backend.backend(),
        "precision": args.precision,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "machine": f"{platform.machine()} {os.cpu_count()} logical CPUs",
        "python": sys.version.split()[0],
        "keras": keras.__version__,
    }
    hidden = (args.hidden,) * args.layers
    runs = {
        "dgex_full": dict(
            n_landmarks=args.n_landmarks, n_targets=args.n_targets, hidden=hidden, dropout=0.1
        ),
        "baseline_small": dict(
            n_landmarks=942, n_targets=952, hidden=(300, 300), activation="sigmoid", dropout=0.25
        ),
    }
    for label, hp in runs.items():
        keras.utils.set_random_seed(0)
        t0 = time.perf_counter()
        model = build("dgex", **hp)
        build_s = time.perf_counter() - t0
        model.compile(optimizer=make_optimizer("sgd", learning_rate=5e-4), loss="mae")
        x = rng.normal(size=(n, hp["n_landmarks"])).astype("float32")
        y = rng.normal(size=(n, hp["n_targets"])).astype("float32")
        steps = args.steps if label == "dgex_full" else max(30, 10 * args.steps)
        sps, elapsed = _throughput(model, x, y, batch_size=args.batch_size, steps=steps)
        n_params = int(model.count_params())
        assert n_params == dgex_param_count(hp["n_landmarks"], hp["n_targets"], hp["hidden"])
        results[label] = {
            "n_params": n_params,
            "build_s": round(build_s, 2),
            "timed_steps": steps,
            "timed_s": round(elapsed, 2),
            "samples_per_s": round(sps, 1),
            "epoch_s_88807": round(PAPER_TRAIN / sps, 1),
        }
        print(
            f"{label:15s} params {n_params:>13,d}  {sps:10.1f} samples/s  "
            f"projected epoch (88,807) {PAPER_TRAIN / sps:10.1f} s",
            flush=True,
        )
        del model
    full, small = results["dgex_full"], results["baseline_small"]
    ratio = small["samples_per_s"] / full["samples_per_s"]  # type: ignore[index]
    results["slowdown_full_vs_small"] = round(ratio, 1)
    print(f"full-size D-GEX is {ratio:.1f}x slower per sample than the 659,752-weight baseline")
    print(json.dumps(results, indent=2))
    if args.json:
        from gexnb.io import write_json_atomic

        write_json_atomic(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training throughput of the Metformin-121 BiGRU: gexnb's uint8 pipeline vs float32 one-hot.

Two arms, each in its own child process (so peak memory, ``ru_maxrss``, is per arm):

- ``uint8``: the gexnb model (``build("metformin_bigru")``) fed uint8 codes (one byte per
  base); the one-hot happens inside the model. Both arms call ``model.fit`` so that the
  checkpoint writing of ``gexnb.train.fit`` does not enter the timing.
- ``onehot``: the same network without the one-hot layer, fed a float32 one-hot array
  (``(n, 142, 4)``, 16 bytes per base) with plain ``model.fit``, as in the team's notebook.
- ``gexnb_fit`` (only when asked for with ``--arms``): the ``uint8`` arm trained by
  :func:`gexnb.train.fit` instead of ``model.fit``, with its checkpoints (``best.keras``,
  ``last.keras``) and history files written after every epoch: the cost of gexnb's loop.

Throughput is sequences per second over the timed epochs (the first epoch, with tracing and
compilation, is excluded, and with 3 or more epochs the last, which runs to the end of the fit
call), also given as microseconds per sequence per epoch (the team
measured about 303 us on a P100). Usage::

    python benchmarks/bench_bigru_train.py                       # 8 x 64, n=2048, batch 256
    python benchmarks/bench_bigru_train.py --quick               # tiny, seconds
    KERAS_BACKEND=torch python benchmarks/bench_bigru_train.py --backend torch \\
        --precision mixed_float16 --n 65536 --batch 2048 --epochs 3   # on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ARMS = ["uint8", "onehot", "gexnb_fit"]


def _child(args: argparse.Namespace) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    from gexnb.data.sequences import ONE_HOT_TABLE
    from gexnb.models import build

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(args.n, args.length), dtype=np.uint8)
    y = rng.random(args.n, dtype=np.float32)
    keras.mixed_precision.set_dtype_policy(args.precision)
    model = build("metformin_bigru", length=args.length, n_layers=args.layers, units=args.units)
    if args.arm == "onehot":
        x = ONE_HOT_TABLE[codes]  # float32 (n, length, 4), as plain Keras code would hold it
        inputs = keras.Input(shape=(args.length, 4), dtype="float32")
        h = inputs
        for layer in model.layers[2:]:  # skip the input and one-hot layers
            h = layer(h)
        model = keras.Model(inputs, h)
    else:
        x = codes
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")

    class Timer(keras.callbacks.Callback):
        """Epoch starts; an epoch's time runs to the next start (or the end of the fit call),
        so that callbacks run after this one (gexnb's checkpoints) are counted."""

        def __init__(self) -> None:
            super().__init__()
            self.starts: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.starts.append(time.perf_counter())

    timer = Timer()
    if args.arm == "gexnb_fit":  # gexnb's loop: checkpoints, history files, every epoch
        import tempfile

        from gexnb.train import fit

        with tempfile.TemporaryDirectory() as folder:
            fit(model, (x, y), output_dir=folder, epochs=args.epochs, batch_size=args.batch,
                precision=args.precision, verbose=0, callbacks=[timer])  # fmt: skip
    else:
        model.fit(x, y, batch_size=args.batch, epochs=args.epochs, verbose=0,
                  callbacks=[timer], shuffle=True)  # fmt: skip
    ends = [*timer.starts[1:], time.perf_counter()]
    times = [end - start for start, end in zip(timer.starts, ends, strict=True)]
    # untimed: the first epoch (tracing, compilation) and, given 3 or more, the last one, which
    # runs to the end of the fit call (gexnb's fit restores the best weights after training)
    timed = times[1:-1] if len(times) > 2 else times[1:] or times
    seconds = sum(timed) / len(timed)
    input_seconds = _input_epoch_seconds(x, args.batch)
    return {
        "arm": args.arm,
        "backend": keras.backend.backend(),
        "precision": args.precision,
        "params": int(model.count_params()),
        "input_bytes": int(x.nbytes),
        "epoch_seconds": seconds,
        "sequences_per_s": args.n / seconds,
        "us_per_sequence": 1e6 * seconds / args.n,
        "input_seconds": input_seconds,
        "input_share": input_seconds / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _input_epoch_seconds(x, batch: int) -> float:
    """Seconds to shuffle ``x`` into batches and copy each to the backend's default device.

    This is the host side of one epoch as Keras' array adapter does it (a shuffled gather per
    batch, then a tensor on the device), without the training step; compared with the epoch
    time it bounds the input pipeline's share of step time. The last tensor is read back to
    wait for the copies on an asynchronous device.
    """
    import keras
    import numpy as np

    order = np.random.default_rng(1).permutation(len(x))
    keras.ops.convert_to_numpy(keras.ops.convert_to_tensor(x[order[:batch]])[:1])  # warm-up
    start = time.perf_counter()
    tensor = None
    for lo in range(0, len(x), batch):
        tensor = keras.ops.convert_to_tensor(x[order[lo : lo + batch]])
    if tensor is not None:
        keras.ops.convert_to_numpy(tensor[:1])
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2, help="first epoch is not timed")
    parser.add_argument("--length", type=int, default=142)
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                        choices=["tensorflow", "jax", "torch"])  # fmt: skip
    parser.add_argument("--precision", default="float32",
                        choices=["float32", "mixed_float16", "mixed_bfloat16"])  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny settings (seconds)")
    parser.add_argument("--arms", nargs="+", default=["uint8", "onehot"],
                        choices=ARMS, help="arms to run (default uint8 onehot)")  # fmt: skip
    parser.add_argument("--json", default="", help="also write the results to this JSON file")
    parser.add_argument("--arm", choices=ARMS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.layers, args.units, args.n, args.batch = 1, 8, 256, 64
    if args.arm:
        print(json.dumps(_child(args)))
        return 0
    results = {}
    env = dict(os.environ, KERAS_BACKEND=args.backend, TF_CPP_MIN_LOG_LEVEL="2")
    for arm in args.arms:
        cmd = [sys.executable, __file__, "--arm", arm, *_forward(args)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        results[arm] = json.loads(done.stdout.strip().splitlines()[-1])
    params = next(iter(results.values()))["params"]
    print(f"Metformin-121 BiGRU {args.layers}x{args.units}, n={args.n}, batch={args.batch}, "
          f"backend={args.backend}, precision={args.precision}, params={params:,}")  # fmt: skip
    print(f"{'arm':8} {'seq/s':>10} {'us/seq':>9} {'input share':>12} {'input MB':>9} "
          f"{'peak RSS MB':>12}")  # fmt: skip
    for arm, r in results.items():
        print(f"{arm:8} {r['sequences_per_s']:10.1f} {r['us_per_sequence']:9.1f} "
              f"{r['input_share']:12.1%} {r['input_bytes'] / 2**20:9.2f} "
              f"{r['peak_rss_mb']:12.1f}")  # fmt: skip
    if "uint8" in results and "onehot" in results:
        ratio = results["uint8"]["sequences_per_s"] / results["onehot"]["sequences_per_s"]
        size = results["onehot"]["input_bytes"] / results["uint8"]["input_bytes"]
        print(f"throughput ratio uint8/onehot: {ratio:.2f}; input bytes ratio onehot/uint8: "
              f"{size:.0f}")  # fmt: skip
    if "uint8" in results and "gexnb_fit" in results:
        ratio = results["gexnb_fit"]["epoch_seconds"] / results["uint8"]["epoch_seconds"]
        print(f"epoch time ratio gexnb.train.fit / model.fit: {ratio:.2f}")
    if args.json:
        from gexnb.io import write_json_atomic

        write_json_atomic(args.json, {"settings": vars(args), "arms": results})
    return 0


def _forward(args: argparse.Namespace) -> list[str]:
    return [
        "--layers", str(args.layers), "--units", str(args.units), "--n", str(args.n),
        "--batch", str(args.batch), "--epochs", str(args.epochs), "--length", str(args.length),
        "--backend", args.backend, "--precision", args.precision,
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

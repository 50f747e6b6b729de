"""Benchmark the k-mer ridge baseline: gexnb's solvers against scikit-learn's sparse RidgeCV.

(a) Same data, same model: :class:`gexnb.models.kmer.KmerRidge` (k = 1..6, 5,460 standardized
    count features) against the plain library pipeline ``StandardScaler(with_mean=False)`` +
    ``RidgeCV`` on the sparse count matrix (what gexnb used before), on the real DREAM 2022
    demonstrator file ``train_demo.txt`` (6,370 sequences) when it is found under
    ``$GEXNB_DATA`` (default ``../shared/data``), else on synthetic promoters. Prints both
    times, the speed-up, the penalties chosen and the correlation of the two models'
    predictions.
(b) Scale: the streamed Gram solver on ``--n-large`` synthetic promoters (200,000 by default,
    the ``max_train`` cap of the paper profile): fit time and the process's peak resident
    memory.

Usage::

    python benchmarks/bench_kmer.py            # (a) on train_demo.txt, (b) on 200,000 sequences
    python benchmarks/bench_kmer.py --quick    # 1,500 and 20,000 synthetic sequences
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from gexnb.data.sequences import encode_sequences, read_sequences
from gexnb.data.synthetic import synthetic_promoters
from gexnb.models.kmer import DEFAULT_ALPHAS, KmerRidge, kmer_counts

TRAIN_DEMO = "dream2022_yeast_promoters/train_demo.txt"


def load_codes(n_synthetic: int, *, use_real: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """Codes and targets of train_demo.txt (when present and wanted) or synthetic promoters."""
    path = Path(os.environ.get("GEXNB_DATA", "../shared/data")) / TRAIN_DEMO
    if use_real and path.is_file():
        frame = read_sequences(path)
        source = f"{path} ({len(frame):,} real sequences)"
    else:
        frame = synthetic_promoters(n_synthetic, seed=0)
        source = f"synthetic promoters ({n_synthetic:,})"
    codes = encode_sequences(frame["sequence"], length=142, too_long="trim")
    return codes, frame["expression"].to_numpy(dtype="float64"), source


def sklearn_sparse_ridgecv(codes: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """The plain library baseline: scaled sparse counts into ``RidgeCV``; (seconds, alpha, pred)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    counts = kmer_counts(codes)
    pipeline = make_pipeline(StandardScaler(with_mean=False), RidgeCV(alphas=DEFAULT_ALPHAS))
    pipeline.fit(counts, y)
    seconds = time.perf_counter() - start
    return seconds, float(pipeline[-1].alpha_), pipeline.predict(counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small synthetic sizes")
    parser.add_argument("--n-large", type=int, default=200_000, help="sequences for (b)")
    parser.add_argument("--skip-baseline", action="store_true", help="skip the sklearn baseline")
    args = parser.parse_args()
    n_large = 20_000 if args.quick else args.n_large

    codes, y, source = load_codes(1_500, use_real=not args.quick)
    print(f"(a) {source}: k = 1..6, {len(DEFAULT_ALPHAS)} penalties", flush=True)
    start = time.perf_counter()
    model = KmerRidge().fit(codes, y)
    ours = time.perf_counter() - start
    figures: dict[str, object] = {
        "source": source,
        "gexnb_seconds": round(ours, 1),
        "gexnb_solver": model.solver_,
        "gexnb_alpha": model.alpha_,
    }
    print(f"    gexnb KmerRidge ({model.solver_} solver): {ours:.1f} s, alpha {model.alpha_:g}")
    if not args.skip_baseline:
        base_seconds, base_alpha, base_pred = sklearn_sparse_ridgecv(codes, y)
        agreement = float(np.corrcoef(model.predict(codes), base_pred)[0, 1])
        print(f"    sklearn sparse RidgeCV: {base_seconds:.1f} s, alpha {base_alpha:g}")
        print(
            f"    speed-up {base_seconds / ours:.1f}x; prediction correlation {agreement:.6f}",
            flush=True,
        )
        figures.update(
            sklearn_seconds=round(base_seconds, 1),
            sklearn_alpha=base_alpha,
            speedup=round(base_seconds / ours, 2),
            prediction_correlation=agreement,
        )

    frame = synthetic_promoters(n_large, seed=1)
    large = encode_sequences(frame["sequence"], length=142)
    start = time.perf_counter()
    big = KmerRidge().fit(large, frame["expression"].to_numpy())
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"(b) {n_large:,} synthetic sequences, {big.solver_} solver: {seconds:.1f} s, "
        f"alpha {big.alpha_:g}, process peak memory {peak_gb:.2f} GB"
    )
    figures.update(large_n=n_large, large_seconds=round(seconds, 1), peak_gb=round(peak_gb, 2))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

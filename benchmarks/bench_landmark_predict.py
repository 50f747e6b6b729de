"""Memory and time of ``gexnb predict`` for a landmark model: block-by-block against whole.

A D-GEX-shaped predictor (943 landmark genes -> 9,520 target genes, one hidden layer, random
weights, the training statistics of a quantile-normalised run) predicts a synthetic matrix of
``--n`` samples. Two arms, each in its own child process so that peak memory (``ru_maxrss``)
is per arm:

- ``blocks``: :func:`gexnb.pipelines.landmark_predictor.predict_landmark_file`, which predicts
  and writes :data:`~gexnb.pipelines.landmark_predictor.BLOCK_SAMPLES` samples at a time;
- ``whole``: the plain way, ``load_predictor(...).predict(read_expression(...))`` then
  ``write_expression``: every prediction in memory at once.

Both write parquet; the script checks that the two files hold the same values and prints each
arm's wall time and peak memory with the ratios whole / blocks (the input is written by a
third child: Linux keeps a process's peak memory across fork and exec, so a parent that had
held it would lend that peak to both arms). With ``--gctx`` the input is
an L1000-shaped GCTX file (the landmarks among 12,328 genes, rows are genes), of which
``gexnb predict`` reads the landmark rows alone and the ``whole`` arm every row. With
``--h5ad`` it is a single-cell-shaped ``.h5ad`` file (the landmarks among 30,000 genes, a
sparse ``X``: the landmarks measured in every cell, 5 % of the other values non-zero), of
which ``gexnb predict`` makes the landmark columns alone dense and the ``whole`` arm every
column. With ``--wide-parquet`` it is a parquet file of the same 12,328 genes as ``--gctx``
(sample ids as its stored index), of which ``gexnb predict`` reads the landmark columns
alone. With ``--wide-tsv`` (samples x genes) and ``--tall-tsv`` (genes x samples, as GEO
writes) it is a tab-separated text file of those genes, values with three decimals, of which
``gexnb predict`` parses the landmark columns (rows) alone, and with ``--wide-hdf5`` an HDF5
file of them in gexnb's layout, of which it reads the landmark columns alone. With
``--gct`` it is a GCT 1.2 text file of those genes (genes x samples, a Description column),
of which ``gexnb predict`` parses the landmark rows alone. Usage::

    python benchmarks/bench_landmark_predict.py             # 30,000 samples
    python benchmarks/bench_landmark_predict.py --quick     # 3,000 samples
    python benchmarks/bench_landmark_predict.py --gctx      # 30,000 samples x 12,328 genes
    python benchmarks/bench_landmark_predict.py --h5ad      # 30,000 cells x 30,000 genes
    python benchmarks/bench_landmark_predict.py --wide-parquet  # 30,000 x 12,328 genes
    python benchmarks/bench_landmark_predict.py --wide-tsv --n 10000  # 10,000 x 12,328 genes
    python benchmarks/bench_landmark_predict.py --tall-tsv --n 10000  # 12,328 genes x 10,000
    python benchmarks/bench_landmark_predict.py --wide-hdf5  # 30,000 x 12,328 genes
    python benchmarks/bench_landmark_predict.py --gct --n 10000  # 12,328 genes x 10,000
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
from typing import Any

N_LANDMARKS, N_TARGETS, HIDDEN = 943, 9520, 256
#: Genes of an L1000 GCTX file (Level 3: the landmarks and the genes inferred from them).
N_GCTX_GENES = 12_328
#: Genes of a single-cell ``.h5ad`` file (``--h5ad``), and its share of non-zero values
#: beyond the landmarks.
N_H5AD_GENES, H5AD_DENSITY = 30_000, 0.05
#: The orientation of ``--tall-tsv``'s file.
TALL = "genes_x_samples"


def _write_gctx(frame: Any, path: Path) -> Path:
    """``frame`` (samples x genes) as a GCTX file in cmapPy's layout (float32)."""
    import h5py
    import numpy as np

    with h5py.File(path, "w") as h5:
        h5["/0/DATA/0/matrix"] = frame.to_numpy(dtype="float32")  # samples x genes
        h5["/0/META/ROW/id"] = np.array(list(frame.columns), dtype="S")
        h5["/0/META/COL/id"] = np.array(list(frame.index), dtype="S")
    return path


def _write_h5ad(landmarks: Any, n_genes: int, path: Path, seed: int = 1) -> Path:
    """``landmarks`` (samples x landmark genes, every value measured) beside ``n_genes`` minus
    theirs other genes of :data:`H5AD_DENSITY` non-zero values, as an ``.h5ad`` with a sparse
    (CSR, float32) ``X``."""
    import anndata
    import pandas as pd
    import scipy.sparse

    n, n_other = landmarks.shape[0], n_genes - landmarks.shape[1]
    rest = scipy.sparse.random(
        n, n_other, density=H5AD_DENSITY, format="csr", dtype="float32", random_state=seed
    )
    x = scipy.sparse.hstack([scipy.sparse.csr_matrix(landmarks.to_numpy("float32")), rest])
    genes = [*landmarks.columns, *(f"G{i:05d}" for i in range(n_other))]
    var = pd.DataFrame(index=pd.Index(genes, dtype=object))
    anndata.AnnData(x.tocsr(), obs=pd.DataFrame(index=landmarks.index), var=var).write_h5ad(path)
    return path


#: The inputs the script can write (``--gctx``, ``--h5ad``, ``--wide-parquet``; none: a
#: parquet of the landmarks), as printed.
INPUTS = {
    "landmarks": "parquet of the landmarks",
    "gctx": f"GCTX of {N_GCTX_GENES:,} genes",
    "h5ad": f"sparse h5ad of {N_H5AD_GENES:,} genes",
    "wide_parquet": f"parquet of {N_GCTX_GENES:,} genes",
    "wide_tsv": f"TSV of {N_GCTX_GENES:,} genes, samples x genes",
    "tall_tsv": f"TSV of {N_GCTX_GENES:,} genes, genes x samples",
    "wide_hdf5": f"HDF5 (gexnb's layout) of {N_GCTX_GENES:,} genes",
    "gct": f"GCT 1.2 text of {N_GCTX_GENES:,} genes",
}


def _setup(folder: Path, n: int, kind: str = "landmarks") -> tuple[Path, Path]:
    """A saved predictor and an input matrix of ``n`` samples in ``folder`` (``kind``: a key
    of :data:`INPUTS`)."""
    import numpy as np
    import pandas as pd

    from gexnb.data.expression import write_expression
    from gexnb.models import build
    from gexnb.pipelines.landmark_predictor import LandmarkPredictor

    rng = np.random.default_rng(0)
    landmarks = [f"LM{i:04d}" for i in range(N_LANDMARKS)]
    ids = pd.DataFrame(
        {"id": landmarks, "symbol": landmarks, "ensembl": None, "probe": None}, dtype=object
    )
    model = build("dgex", n_landmarks=N_LANDMARKS, n_targets=N_TARGETS, hidden=[HIDDEN])
    predictor = LandmarkPredictor(
        "dgex",
        model,
        ids,
        [f"TG{i:05d}" for i in range(N_TARGETS)],
        "none",
        np.sort(rng.normal(8, 2, N_LANDMARKS)),
        np.full(N_LANDMARKS, 8.0),
        np.full(N_LANDMARKS, 2.0),
        np.full(N_TARGETS, 7.0),
        np.full(N_TARGETS, 1.5),
        {"benchmark": "bench_landmark_predict"},
        16.0,
    )
    predictor.save(folder / "model")
    genes = (
        landmarks + [f"G{i:05d}" for i in range(N_GCTX_GENES - N_LANDMARKS)]
        if kind in ("gctx", "wide_parquet", "wide_tsv", "tall_tsv", "wide_hdf5", "gct")
        else landmarks
    )
    values = rng.normal(8, 2, size=(n, len(genes))).clip(0, 16)
    frame = pd.DataFrame(values, index=[f"S{i:07d}" for i in range(n)], columns=genes)
    if kind == "h5ad":
        return folder / "model", _write_h5ad(frame, N_H5AD_GENES, folder / "input.h5ad")
    if kind == "gctx":
        return folder / "model", _write_gctx(frame, folder / "input.gctx")
    if kind in ("wide_tsv", "tall_tsv"):
        # three decimals, as a GEO series matrix writes them
        # the name tells the whole arm the orientation (gexnb predict recognises it)
        path = folder / ("input.tsv" if kind == "wide_tsv" else f"input.{TALL}.tsv")
        table = frame if kind == "wide_tsv" else frame.T
        table.to_csv(path, sep="\t", float_format="%.3f", index_label="id")
        return folder / "model", path
    if kind == "gct":
        path = folder / "input.gct"
        with path.open("w") as handle:
            handle.write(f"#1.2\n{len(genes)}\t{n}\n")
            table = frame.T
            table.insert(0, "Description", "na")
            table.to_csv(handle, sep="\t", float_format="%.3f", index_label="Name")
        return folder / "model", path
    suffix = "h5" if kind == "wide_hdf5" else "parquet"
    return folder / "model", write_expression(frame, folder / f"input.{suffix}")


def _child(arm: str, folder: Path) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from gexnb.data.expression import read_expression, write_expression
    from gexnb.pipelines.landmark_predictor import load_predictor, predict_landmark_file

    out = folder / f"{arm}.parquet"
    (source,) = folder.glob("input.*")
    start = time.perf_counter()
    if arm == "blocks":
        predict_landmark_file(folder / "model", source, out)
    else:
        predictor = load_predictor(folder / "model")
        orientation = TALL if TALL in source.name else "auto"
        write_expression(predictor.predict(read_expression(source, orientation=orientation)), out)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"arm": arm, "seconds": seconds, "peak_mb": peak_mb}


def main() -> None:
    """Run both arms and print their figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="samples predicted")
    parser.add_argument("--quick", action="store_true", help="3,000 samples")
    inputs = parser.add_mutually_exclusive_group()
    for kind in list(INPUTS)[1:]:
        inputs.add_argument(
            f"--{kind.replace('_', '-')}", action="store_true", help=f"input: a {INPUTS[kind]}"
        )
    parser.add_argument("--child", nargs=2, metavar=("ARM", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    kind = next((k for k in list(INPUTS)[1:] if getattr(args, k)), "landmarks")
    if args.child and args.child[0] == "setup":
        _setup(Path(args.child[1]), args.n, kind)
        return
    if args.child:
        print(json.dumps(_child(args.child[0], Path(args.child[1]))))
        return
    n = 3000 if args.quick else args.n
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # in a child too: Linux keeps a process's peak memory across fork and exec, so a
        # parent that had held the input would lend its peak to every arm
        setup = [sys.executable, __file__, "--child", "setup", str(folder), "--n", str(n)]
        option = [] if kind == "landmarks" else [f"--{kind.replace('_', '-')}"]
        subprocess.run(setup + option, check=True)
        results = {}
        for arm in ("blocks", "whole"):
            done = subprocess.run(
                [sys.executable, __file__, "--child", arm, str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[arm] = json.loads(done.stdout.strip().splitlines()[-1])
        import numpy as np

        from gexnb.data.expression import read_expression

        same = np.allclose(
            read_expression(folder / "blocks.parquet").to_numpy(),
            read_expression(folder / "whole.parquet").to_numpy(),
            rtol=1e-12,
        )
    source = INPUTS[kind]
    print(
        f"{n:,} samples ({source}), {N_LANDMARKS} -> {N_TARGETS:,} genes; same predictions: {same}"
    )
    for arm, r in results.items():
        print(f"  {arm:6s}  {r['seconds']:7.1f} s   peak {r['peak_mb']:8,.0f} MB")
    b, w = results["blocks"], results["whole"]
    print(
        f"  whole / blocks: time {w['seconds'] / b['seconds']:.2f}x, "
        f"peak memory {w['peak_mb'] / b['peak_mb']:.2f}x"
    )


if __name__ == "__main__":
    main()

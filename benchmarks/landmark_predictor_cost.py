"""What a saved landmark model loses on new samples: ``gexnb predict`` against the notebook.

Notebook 03 quantile-normalises each sample over its landmark and target genes together; a
saved model (``save_models``, :mod:`gexnb.pipelines.landmark_predictor`) sees new samples
with landmarks only and maps them onto the training landmarks' own distribution. This script
applies every model a notebook 03 run saved to that run's own held-out samples, read raw from
its expression file, and prints the mean absolute error of both against the measured values
(expression scale), per split and model, with the relative difference. Without quantile
normalisation the two are the same predictions (``tests/test_landmark_predictor.py``).
Usage::

    gexnb run 03 --profile real
    python benchmarks/landmark_predictor_cost.py runs/real/03_landmark_models
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    """Print the table for the run folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a notebook 03 run folder with saved models")
    parser.add_argument(
        "--expression", default=None, help="its expression file (default: from run.json)"
    )
    args = parser.parse_args()
    from gexnb.data.expression import read_expression
    from gexnb.pipelines.landmark_predictor import load_predictor, saved_predictors

    params = json.loads((args.run / "run.json").read_text())["parameters"]
    raw = read_expression(args.expression or params["expression_path"])
    rows = []
    for folder in saved_predictors(args.run):
        split, model = folder.parent.name, folder.name
        held = args.run / "predictions" / split
        notebook = pd.read_parquet(held / f"test_{model}.parquet")
        measured = pd.read_parquet(held / "test_measured.parquet").loc[:, notebook.columns]
        saved = load_predictor(folder).predict(raw.loc[notebook.index]).loc[:, notebook.columns]
        mae_nb = float(np.abs(notebook - measured).to_numpy().mean())
        mae_saved = float(np.abs(saved - measured).to_numpy().mean())
        rows.append(
            {
                "split": split,
                "model": model,
                "samples": len(notebook),
                "mae_notebook": round(mae_nb, 4),
                "mae_gexnb_predict": round(mae_saved, 4),
                "difference_%": round(100 * (mae_saved / mae_nb - 1), 2),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()

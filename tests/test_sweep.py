"""gexnb sweep: grid parsing, one executed notebook per point, resumability, sweep.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gexnb.cli import main
from gexnb.errors import ParameterError
from gexnb.runner.sweep import grid_points, parse_grid, point_folder, run_sweep

PROJECT = Path(__file__).resolve().parents[1]


def test_parse_grid_values_are_yaml_and_lists_stay_whole():
    grid = parse_grid(["epochs=3,10", "hidden=[16],[32, 16]", "loss=mae,'mse'"])
    assert grid == {"epochs": [3, 10], "hidden": [[16], [32, 16]], "loss": ["mae", "mse"]}
    points = grid_points(grid)
    assert len(points) == 8 and points[0] == {"epochs": 3, "hidden": [16], "loss": "mae"}
    assert point_folder({"epochs": 3, "hidden": [32, 16]}) == "epochs-3_hidden-32+16"
    for bad in (["epochs"], ["epochs="], ["epochs=1,,2"], ["a=1", "a=2"], []):
        with pytest.raises(ParameterError):
            parse_grid(bad)


@pytest.mark.notebooks
def test_sweep_runs_each_point_once_and_resumes(tmp_path, capsys):
    out = tmp_path / "sweep"
    fixed = {"synthetic": {"n_sequences": 200, "n_samples": 40}}
    first = run_sweep("01", {"seed": [0, 1]}, out, overrides=fixed, project_dir=PROJECT,
                      metric="data/all/expression_mean", progress=False)  # fmt: skip
    assert (first.n_run, first.n_skipped, first.n_failed) == (2, 0, 0)
    table = pd.read_csv(out / "sweep.csv")
    assert table["seed"].tolist() == [0, 1] and (table["status"] == "ok").all()
    assert (table["data/all/n_sequences"] == 200).all()
    assert table["data/all/expression_mean"].nunique() == 2  # two seeds, two data sets
    assert first.figure_path is not None and first.figure_path.stat().st_size > 1000
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"seed-0", "seed-1"}
    # resumed: both points are done with the same parameters, nothing runs again
    again = run_sweep("01", {"seed": [0, 1]}, out, overrides=fixed, project_dir=PROJECT,
                      progress=False)  # fmt: skip
    assert (again.n_run, again.n_skipped) == (0, 2)
    assert pd.read_csv(out / "sweep.csv")["data/all/expression_mean"].tolist() == (
        table["data/all/expression_mean"].tolist()
    )
    # a changed fixed parameter is a different point: it runs again
    other = {"synthetic": {"n_sequences": 200, "n_samples": 50}}
    changed = run_sweep("01", {"seed": [0]}, out, overrides=other, project_dir=PROJECT,
                        progress=False)  # fmt: skip
    assert changed.n_run == 1
    capsys.readouterr()
    assert main(["sweep", "01", "--project-dir", str(PROJECT), "-g", "nope=1,2",
                 "-o", str(tmp_path / "bad")]) == 2  # fmt: skip
    assert "01_data_prep has no parameter 'nope'" in capsys.readouterr().err


def test_sweep_refuses_unknown_parameters(tmp_path):
    with pytest.raises(ParameterError, match="has no parameter 'units'"):
        run_sweep("01", {"units": [1]}, tmp_path, project_dir=PROJECT, progress=False)


def test_no_figure_is_explained_and_an_old_one_removed(tmp_path):
    from gexnb.runner import sweep

    (tmp_path / "sweep.png").write_bytes(b"an earlier sweep's figure")
    rows = [{"epochs": 3, "status": "ok", "dnn/cv_mean/rmse": 0.5},
            {"epochs": 5, "status": "ok", "dnn/cv_mean/rmse": 0.4}]  # fmt: skip
    table, _, figure = sweep._write_table(tmp_path, rows, "attention_lstm/cv_mean/rmse", ["epochs"])
    assert figure is None and not (tmp_path / "sweep.png").exists()
    note = sweep._no_figure_note(table, "attention_lstm/cv_mean/rmse")
    assert note == (
        "no sweep.png: no point reported attention_lstm/cv_mean/rmse; pass --metric with one "
        "they did, e.g. dnn/cv_mean/rmse"
    )
    _, _, figure = sweep._write_table(tmp_path, rows, "dnn/cv_mean/rmse", ["epochs"])
    assert figure is not None and figure.stat().st_size > 1000

"""gexnb sweep: grid parsing, one executed notebook per point, resumability, sweep.csv."""

from __future__ import annotations

import hashlib
import json
import types
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from gexnb.cli import main
from gexnb.errors import ParameterError
from gexnb.rundir import RunRecord
from gexnb.runner import sweep
from gexnb.runner.project import resolve_parameters
from gexnb.runner.sweep import grid_points, parse_grid, point_folder, run_sweep

PROJECT = Path(__file__).resolve().parents[1]


def _project(root: Path) -> Path:
    """A project with one notebook ``01_toy`` and the profiles ``quick`` and ``tiny``."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'output_dir: str = "."  # run folder\nseed: int = 0  # random seed\n'
        "top_k: int = 20  # genes listed\n"
        'sequence_path: str = ""  # input file, "" means synthetic\n'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    (root / "notebooks").mkdir(parents=True)
    nbformat.write(nb, root / "notebooks" / "01_toy.ipynb")
    (root / "parameters" / "01_toy").mkdir(parents=True)
    (root / "parameters" / "01_toy" / "quick.yaml").write_text("seed: 0\n")
    (root / "parameters" / "01_toy" / "tiny.yaml").write_text("top_k: 3\n")
    return root


def _record_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the kernel run by one that resolves the parameters and writes run.json as
    ``run_notebook`` does; returns the list of folders run."""
    calls: list[str] = []

    def fake_run(
        notebook: Path,
        *,
        profile: str,
        overrides: Any,
        output_dir: Path,
        project_dir: Path,
        **_: Any,
    ) -> Any:
        path, params, out = resolve_parameters(
            notebook,
            profile=profile,
            overrides=overrides,
            output_dir=output_dir,
            project_dir=project_dir,
        )
        RunRecord(out, path.stem, profile, dict(params)).finish("ok")
        calls.append(out.name)
        return types.SimpleNamespace(seconds=0.0)

    monkeypatch.setattr(sweep, "run_notebook", fake_run)
    return calls


def test_parse_grid_values_are_yaml_and_lists_stay_whole():
    grid = parse_grid(["epochs=3,10", "hidden=[16],[32, 16]", "loss=mae,'mse'"])
    assert grid == {"epochs": [3, 10], "hidden": [[16], [32, 16]], "loss": ["mae", "mse"]}
    points = grid_points(grid)
    assert len(points) == 8 and points[0] == {"epochs": 3, "hidden": [16], "loss": "mae"}
    assert point_folder({"epochs": 3, "hidden": [32, 16]}).startswith("epochs-3_hidden-32+16~")
    for bad in (["epochs"], ["epochs="], ["epochs=1,,2"], ["a=1", "a=2"], []):
        with pytest.raises(ParameterError):
            parse_grid(bad)


@pytest.mark.notebooks
def test_sweep_runs_each_point_once_and_resumes(tmp_path, capsys):
    out = tmp_path / "sweep"
    fixed = {"synthetic": {"n_sequences": 200, "n_samples": 40}}
    first = run_sweep("01", {"seed": [0, 1]}, out, overrides=fixed, project_dir=PROJECT,
                      metric="data/all/promoter_expression_mean", progress=False)  # fmt: skip
    assert (first.n_run, first.n_skipped, first.n_failed) == (2, 0, 0)
    table = pd.read_csv(out / "sweep.csv")
    assert table["seed"].tolist() == [0, 1] and (table["status"] == "ok").all()
    assert (table["data/all/n_sequences"] == 200).all()
    assert table["data/all/promoter_expression_mean"].nunique() == 2  # two seeds, two data sets
    assert first.figure_path is not None and first.figure_path.stat().st_size > 1000
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"seed-0", "seed-1"}
    seeds = pd.read_csv(first.seeds_path).set_index("metric")
    assert seeds.loc["data/all/promoter_expression_mean", "n"] == 2
    assert seeds.loc["data/all/promoter_expression_mean", "mean"] == pytest.approx(
        table["data/all/promoter_expression_mean"].mean()
    )
    # resumed: both points are done with the same parameters, nothing runs again
    again = run_sweep("01", {"seed": [0, 1]}, out, overrides=fixed, project_dir=PROJECT,
                      progress=False)  # fmt: skip
    assert (again.n_run, again.n_skipped) == (0, 2)
    assert pd.read_csv(out / "sweep.csv")["data/all/promoter_expression_mean"].tolist() == (
        table["data/all/promoter_expression_mean"].tolist()
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


def test_seed_summary_per_combination_of_the_other_values(tmp_path):
    rows = [
        {"epochs": 3, "seed": 0, "folder": "a", "status": "ok", "seconds": 1.0, "m/test/mae": 1.0},
        {"epochs": 3, "seed": 1, "folder": "b", "status": "ok (earlier run)", "seconds": None,
         "m/test/mae": 3.0},
        {"epochs": 3, "seed": 2, "folder": "c", "status": "failed", "seconds": None,
         "m/test/mae": None, "error": "boom"},
        {"epochs": 5, "seed": 0, "folder": "d", "status": "ok", "seconds": 1.0, "m/test/mae": 0.5},
    ]  # fmt: skip
    summary = sweep.seed_summary(pd.DataFrame(rows), ["epochs", "seed"])
    assert summary.columns.tolist() == ["epochs", "metric", "mean", "sd", "min", "max", "n",
                                        "seeds"]  # fmt: skip
    assert summary["metric"].tolist() == ["m/test/mae", "m/test/mae"]  # not seconds
    three, five = summary.iloc[0], summary.iloc[1]
    assert (three["epochs"], three["mean"], three["min"], three["max"], three["n"]) == (
        3,
        2.0,
        1.0,
        3.0,
        2,
    )
    assert three["sd"] == pytest.approx(2**0.5) and three["seeds"] == "0, 1"  # failed left out
    assert five["n"] == 1 and pd.isna(five["sd"])
    only_seed = sweep.seed_summary(pd.DataFrame(rows).drop(columns="epochs"), ["seed"])
    assert only_seed.columns[0] == "metric" and only_seed["n"].tolist() == [3]
    with pytest.raises(ParameterError, match="needs 'seed'"):
        sweep.seed_summary(pd.DataFrame(rows), ["epochs"])
    # the file is written only when the seed is swept (run_sweep removes an earlier one first)
    path = sweep._write_seed_summary(tmp_path, pd.DataFrame(rows), ["epochs", "seed"])
    assert path is not None and pd.read_csv(path)["n"].tolist() == [2, 1]
    assert sweep._write_seed_summary(tmp_path / "other", pd.DataFrame(rows), ["epochs"]) is None


def test_seed_summary_keeps_failed_combinations_and_unreported_metrics():
    rows = [
        {"epochs": 3, "seed": 0, "status": "ok", "a/test/mae": 1.0, "b/test/mae": None},
        {"epochs": 3, "seed": 1, "status": "ok", "a/test/mae": 2.0, "b/test/mae": 0.7},
        {"epochs": 5, "seed": 0, "status": "failed", "error": "boom"},
        {"epochs": 5, "seed": 1, "status": "failed", "error": "boom"},
    ]  # fmt: skip
    summary = sweep.seed_summary(pd.DataFrame(rows), ["epochs", "seed"])
    by = summary.set_index(["epochs", "metric"])
    assert by.loc[(3, "b/test/mae"), "n"] == 1 and by.loc[(3, "b/test/mae"), "seeds"] == "1"
    assert by.loc[(3, "a/test/mae"), "seeds"] == "0, 1"
    assert by.loc[(5, "a/test/mae"), "n"] == 0 and pd.isna(by.loc[(5, "a/test/mae"), "mean"])
    rows[1]["b/test/mae"] = None  # no seed reported it: still a row, n 0
    summary = sweep.seed_summary(pd.DataFrame(rows), ["epochs", "seed"])
    assert summary.set_index(["epochs", "metric"]).loc[(3, "b/test/mae"), "n"] == 0


def test_a_value_given_twice_is_refused():
    for bad in (["seed=0,0"], ["seed=0,0.0"], ["hidden=[8],[8]"], ["loss=mae,'mae'"]):
        with pytest.raises(ParameterError, match="is given twice"):
            parse_grid(bad)
    assert parse_grid(["flag=1,true"]) == {"flag": [1, True]}


def test_a_sweep_leaves_no_earlier_seed_summary(tmp_path, monkeypatch):
    project = _project(tmp_path / "project")
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep_seeds.csv").write_text("metric,mean\nold,1\n")

    def interrupted(*_: Any, **__: Any) -> Any:
        raise sweep.RunInterrupted(2)  # SIGINT

    monkeypatch.setattr(sweep, "run_notebook", interrupted)
    with pytest.raises(sweep.RunInterrupted):
        run_sweep("01", {"seed": [5, 6]}, out, project_dir=project, progress=False)
    assert not (out / "sweep_seeds.csv").exists()
    # a finished sweep without seeds leaves none either
    (out / "sweep_seeds.csv").write_text("metric,mean\nold,1\n")
    _record_runs(monkeypatch)
    result = run_sweep("01", {"top_k": [3, 4]}, out, project_dir=project, progress=False)
    assert result.seeds_path is None and not (out / "sweep_seeds.csv").exists()


def test_point_folders_are_unique_per_value_and_stable():
    values = ["/tmp/a/set_1.txt", "/tmp/a/set1.txt", "a/b", "ab", "32+16", [32, 16], [[32], 16],
              3, "3", True, "true", None, "null", "A", "a", "", {"a": 1}, "x" * 300,
              "x" * 300 + "y", "x" * 199]  # fmt: skip
    folders = [point_folder({"sequence_path": v}) for v in values]
    # distinct also where the file system ignores case
    assert len({f.lower() for f in folders}) == len(values)
    assert all(len(f) <= sweep.MAX_FOLDER_LENGTH and "/" not in f for f in folders)
    # the name depends only on the value (a re-run finds the folder), readable where it can be
    assert point_folder({"sequence_path": "/tmp/a/set_1.txt"}) == folders[0]
    digest = hashlib.sha256(b"/tmp/a/set_1.txt").hexdigest()[: sweep.HASH_LENGTH]
    assert folders[0] == f"sequence_path-tmpaset1.txt~{digest}"
    assert point_folder({"epochs": 3, "lr": 0.001}) == "epochs-3_lr-0.001"


def test_a_point_is_reused_only_with_the_same_profile_and_parameters(tmp_path, monkeypatch):
    project = _project(tmp_path / "p")
    calls = _record_runs(monkeypatch)

    def runs(profile: str = "quick", **fixed: Any) -> tuple[int, int]:
        calls.clear()
        result = run_sweep("01", {"seed": [0]}, tmp_path / "s", profile=profile,
                           overrides=fixed, project_dir=project, progress=False)  # fmt: skip
        assert len(calls) == result.n_run
        return result.n_run, result.n_skipped

    assert runs(top_k=5) == (1, 0)
    assert runs(top_k=5) == (0, 1)  # the same point: resumed
    assert runs() == (1, 0)  # the earlier run had -p top_k=5, this one has not
    assert runs(top_k=20) == (1, 0)  # the notebook's default, but not the profile's
    assert runs(profile="tiny") == (1, 0)  # another profile
    assert runs(profile="tiny") == (0, 1)
    (project / "parameters" / "01_toy" / "same.yaml").write_text("extends: tiny\n")
    assert runs(profile="same") == (1, 0)  # same values, another profile name
    (project / "parameters" / "01_toy" / "same.yaml").write_text("extends: tiny\ntop_k: 4\n")
    assert runs(profile="same") == (1, 0)  # the profile was edited
    manifest = tmp_path / "s" / "seed-0" / "run.json"
    record = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**record, "status": "failed"}))
    assert runs(profile="same") == (1, 0)  # the earlier run did not end ok
    record = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**record, "parameters": {**record["parameters"], "x": 1}}))
    assert runs(profile="same") == (1, 0)  # the earlier run set a parameter this one does not
    assert sweep._canonical({"a": True}) != sweep._canonical({"a": 1})
    # the same parameters on an input file since changed, or by other gexnb code: run again
    # (a sweep took such points as done; a reviewer's finding)
    data = tmp_path / "promoters.txt"
    data.write_text("ACGT\t1.0\n")
    assert runs(sequence_path=str(data)) == (1, 0)
    assert runs(sequence_path=str(data)) == (0, 1)
    data.write_text("ACGTACGT\t2.0\n")
    assert runs(sequence_path=str(data)) == (1, 0)
    assert runs(sequence_path=str(data)) == (0, 1)
    record = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**record, "code": "0" * 16}))
    assert runs(sequence_path=str(data)) == (1, 0)


def test_bad_input_is_refused_before_any_point_runs(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path / "p")
    calls = _record_runs(monkeypatch)
    cases = {
        ("--profile", "nope", "-g", "seed=0,1"): "no profile 'nope' for 01_toy",
        ("-p", "sed=0", "-g", "seed=0,1"): "unknown parameter 'sed' for 01_toy",
        ("-p", "top_k=abc", "-g", "seed=0,1"): "parameter 'top_k' expects int, got 'abc'",
        ("-g", "top_k=5,abc"): "parameter 'top_k' expects int, got 'abc'",  # the second point
        ("-g", f"sequence_path={tmp_path / 'absent.txt'}"): "not found (parameter sequence_path)",
    }
    for args, message in cases.items():
        code = main(["sweep", "01", "--project-dir", str(project), *args,
                     "-o", str(tmp_path / "new" / "s")])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("gexnb: error: ") and err.count("\n") == 1, err
        assert message in err
    assert calls == [] and not (tmp_path / "new").exists()  # no point ran, no folder is left
    with pytest.raises(ParameterError, match="at least one value"):
        run_sweep("01", {"seed": []}, tmp_path / "s", project_dir=project, progress=False)
    file = tmp_path / "file.txt"
    file.write_text("x")
    code = main(["sweep", "01", "--project-dir", str(project), "-g", "seed=0", "-o", str(file)])
    assert code == 2 and calls == [] and file.read_text() == "x"
    assert capsys.readouterr().err == (
        f"gexnb: error: {file}: is not a folder; give a folder for the sweep (-o)\n"
    )


def test_output_dir_and_a_name_in_both_p_and_g_are_refused(tmp_path):
    # review: -p output_dir passed the up-front check and failed every point; -p x with -g x
    # let the grid win silently

    project = Path(__file__).resolve().parent.parent
    with pytest.raises(ParameterError, match="own folder under -o: output_dir cannot be given"):
        run_sweep("01", grid={"seed": [0]}, overrides={"output_dir": str(tmp_path)},
                  output_dir=tmp_path, project_dir=project, progress=False)  # fmt: skip
    with pytest.raises(ParameterError, match="seed given with both -p and -g"):
        run_sweep("01", grid={"seed": [0]}, overrides={"seed": 1}, output_dir=tmp_path,
                  project_dir=project, progress=False)  # fmt: skip

"""Notebooks run by plain papermill, without gexnb's runner (found by a new-user trial):
``-p`` text for a mapping is read as YAML, a gexnb profile that papermill cannot expand is
refused naming ``gexnb params``, and ``run.json`` records a failed run as ``failed`` with its
parameters."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml

from gexnb import cli
from gexnb.errors import ParameterError
from gexnb.rundir import RunRecord
from gexnb.runner import check_namespace
from tests.test_runner import make_project


def _namespace(**values):
    annotations = {"data_checks": dict, "models": list, "epochs": int, "path": str}
    return {"__annotations__": annotations, **values}


def test_text_for_a_mapping_or_list_is_read_as_yaml_and_types_are_checked():
    ns = _namespace(data_checks="{nan: mean}", models="[dnn, lstm]", epochs="3", path="a.tsv")
    check_namespace(ns)
    assert ns["data_checks"] == {"nan": "mean"} and ns["models"] == ["dnn", "lstm"]
    assert ns["epochs"] == 3
    with pytest.raises(ParameterError, match="'epochs' expects int, got 'abc'"):
        check_namespace(_namespace(epochs="abc"))
    with pytest.raises(ParameterError, match="'data_checks' expects dict, got the text"):
        check_namespace(_namespace(data_checks="{nan: [mean"))
    with pytest.raises(ParameterError, match=r"'data_checks' expects dict, got 'mean'"):
        check_namespace(_namespace(data_checks="mean"))


def test_an_unexpanded_profile_value_names_gexnb_params():
    with pytest.raises(ParameterError, match=r"'path' is '\$\{GEXNB_DATA\}/x.tsv': plain "
                       "papermill does not expand .*gexnb params NOTEBOOK --profile"):  # fmt: skip
        check_namespace(_namespace(path="${GEXNB_DATA}/x.tsv"))
    with pytest.raises(ParameterError, match=r"'data_checks.file' is"):
        check_namespace(_namespace(data_checks={"file": "${HOME}/x"}))


def test_a_parameter_under_its_old_name_is_refused_in_the_kernel():
    """papermill -f with a file from before the rename (compare_models: []) only warned, and
    notebook 02 trained LegNet and DREAM-CNN anyway (found by a review)."""
    with pytest.raises(ParameterError, match="'compare_models' was renamed 'models'"):
        check_namespace(_namespace(models=["legnet"], compare_models=[]), names=["models"])
    check_namespace(_namespace(models=["dnn"], compare_models=[]), names=["epochs"])  # not 02


def test_gexnb_params_prints_the_resolved_profile(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "proj")
    monkeypatch.setenv("GEXNB_DATA", "/some/data")
    assert cli.main(["params", "01", "--project-dir", str(project), "-p", "seed=4"]) == 0
    values = yaml.safe_load(capsys.readouterr().out)
    assert values == {"scale": 2.0, "label": "/some/data", "seed": 4}
    assert not (project / "runs").exists()  # prints only


def test_an_interactive_run_that_stopped_on_an_error_is_recorded_as_failed(tmp_path):
    record = RunRecord(tmp_path, "04_x", "interactive", {"epochs": 1})
    record.last_error = "InputError: x.tsv: file not found"
    record.end()
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved["status"] == "failed" and saved["error"].startswith("InputError: x.tsv")
    record.last_error = None
    record.end()
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "ended"


@pytest.mark.notebooks
def test_plain_papermill_failure_leaves_a_failed_run_json_with_its_parameters(tmp_path):
    import papermill

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('output_dir: str = ""\nchecks: dict = {}\n')
    params.metadata["tags"] = ["parameters"]
    start = 'from gexnb.rundir import begin_run\nout = begin_run(output_dir, notebook="09_t")'
    fail = 'raise ValueError(f"boom {checks}")'
    nb.cells = [params, nbformat.v4.new_code_cell(start), nbformat.v4.new_code_cell(fail)]
    nb.metadata["kernelspec"] = {"name": "gexnb", "display_name": "gexnb", "language": "python"}
    source = tmp_path / "09_t.ipynb"
    nbformat.write(nb, source)
    out = tmp_path / "run"
    with pytest.raises(papermill.PapermillExecutionError):
        papermill.execute_notebook(
            str(source), str(tmp_path / "executed.ipynb"), kernel_name="gexnb",
            parameters={"output_dir": str(out), "checks": "{a: 1}"}, progress_bar=False,
        )  # fmt: skip
    saved = json.loads((out / "run.json").read_text())
    assert saved["status"] == "failed" and saved["error"] == "ValueError: boom {'a': 1}"
    assert saved["parameters"] == {"output_dir": str(out), "checks": {"a": 1}}


def test_a_gexnb_error_renders_as_its_one_line_outside_a_kernel():
    assert ParameterError("epochs must be >= 1")._render_traceback_() == [
        "ParameterError: epochs must be >= 1"
    ]
    try:  # the error it was raised from is said (a review: the one line hid it)
        raise ParameterError("bad plan") from ValueError("no such key")
    except ParameterError as error:
        shown = error._render_traceback_()
    assert shown == ["ParameterError: bad plan", "  raised from ValueError: no such key"]


@pytest.mark.notebooks
def test_a_gexnb_error_is_one_line_in_the_notebook_and_in_papermills_report(tmp_path):
    """A wrong-typed ``-p`` value showed gexnb's line under 30 lines of traceback through
    begin_run and check_namespace, in the cell and in papermill's report (2026-12-01)."""
    import papermill

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('output_dir: str = ""\nchecks: dict = {}\n')
    params.metadata["tags"] = ["parameters"]
    verbose = "%xmode Verbose\nfrom gexnb.errors import InputError\nraise InputError('x')"
    start = 'from gexnb.rundir import begin_run\nout = begin_run(output_dir, notebook="09_t")'
    nb.metadata["kernelspec"] = {"name": "gexnb", "display_name": "gexnb", "language": "python"}
    for cells, name in (([], "one_line"), ([nbformat.v4.new_code_cell(verbose)], "verbose")):
        nb.cells = [params, *cells, nbformat.v4.new_code_cell(start)]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        given = {"output_dir": str(tmp_path / name), "checks": "mean"}
        with pytest.raises(papermill.PapermillExecutionError) as info:
            papermill.execute_notebook(
                str(tmp_path / f"{name}.ipynb"), str(tmp_path / f"{name}_run.ipynb"),
                parameters=given, kernel_name="gexnb", progress_bar=False,
            )  # fmt: skip
        executed = nbformat.read(tmp_path / f"{name}_run.ipynb", as_version=4)
        (error,) = [o for c in executed.cells for o in c.get("outputs", [])
                    if o.get("output_type") == "error"]  # fmt: skip
        if name == "one_line":
            line = "ParameterError: parameter 'checks' expects dict, got 'mean' (str)"
            where = '  in the cell, line 2: out = begin_run(output_dir, notebook="09_t")'
            assert error["traceback"] == [line, where]  # which call of the cell failed
            assert str(info.value).rstrip().endswith(where) and "File " not in str(info.value)
        else:  # %xmode Verbose: the traceback, for a user who wants it
            assert error["ename"] == "InputError" and len(error["traceback"]) > 1


def test_only_the_notebooks_parameters_are_checked_and_bool_text_is_read():
    # review: a kernel's __annotations__ also holds the user's own annotated variables
    ns = {"__annotations__": {"resume": bool, "k": int}, "resume": "true", "k": 2.5}
    check_namespace(ns, names=["resume"])
    assert ns["resume"] is True and ns["k"] == 2.5


def test_a_failed_begin_run_leaves_the_folder_unlocked(tmp_path, monkeypatch):
    from gexnb import rundir

    def broken(self):
        raise OSError("disk full")

    monkeypatch.setattr(rundir.RunRecord, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        rundir.begin_run(tmp_path, notebook="09_t", parameters={})
    monkeypatch.undo()
    assert rundir.begin_run(tmp_path, notebook="09_t", parameters={}) == tmp_path.resolve()
    rundir._end_interactive_runs()


def test_gexnb_params_makes_output_dir_absolute_and_refuses_two(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    args = ["params", "01", "--project-dir", str(project), "-p", "output_dir=rel/x"]
    assert cli.main(args) == 0
    assert yaml.safe_load(capsys.readouterr().out)["output_dir"] == str(tmp_path / "rel" / "x")
    assert cli.main([*args, "-o", "other"]) == 2
    assert "two run folders" in capsys.readouterr().err

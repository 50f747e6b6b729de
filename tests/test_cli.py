"""The ``gexnb`` command: argument wiring, clean one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from gexnb import cli


def _project(root: Path, *, failing: bool = False) -> Path:
    def notebook(name: str, params: str, *cells: str) -> None:
        nb = nbformat.v4.new_notebook()
        first = nbformat.v4.new_code_cell(params)
        first.metadata["tags"] = ["parameters"]
        nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
        (root / "notebooks").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
        (root / "parameters" / name).mkdir(parents=True, exist_ok=True)
        (root / "parameters" / name / "quick.yaml").write_text("seed: 1\n")

    notebook(
        "01_ok",
        'output_dir: str = "."  # run folder\nseed: int = 0  # random seed\n',
        "from gexnb.io import write_metrics\n"
        'write_metrics(output_dir, {"lin/test/mae": 0.5 + seed})',
    )
    if failing:
        notebook("02_bad", 'output_dir: str = "."\nseed: int = 0\n', "1 / 0")
    return root


def test_list_shows_notebooks_profiles_parameters(tmp_path, capsys):
    project = _project(tmp_path / "p")
    assert cli.main(["list", "--project-dir", str(project)]) == 0
    out = capsys.readouterr().out
    assert "01_ok  (profiles: quick)" in out
    assert "    seed: int = 0  # random seed" in out


def test_unknown_parameter_is_one_clean_line(tmp_path, capsys):
    project = _project(tmp_path / "p")
    code = cli.main(["run", "01", "--project-dir", str(project), "-p", "sede=3"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "gexnb: error: unknown parameter 'sede' for 01_ok (did you mean 'seed'?); valid names: "
        "output_dir, seed"
    ]


def test_unwritable_output_is_one_clean_line(tmp_path, capsys):
    project = _project(tmp_path / "p")
    (tmp_path / "file").write_text("x")
    code = cli.main(["run", "01", "--project-dir", str(project), "-o", str(tmp_path / "file/o")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("gexnb: error: ") and "is a file, not a folder" in err
    assert "Traceback" not in err


def test_a_parameter_twice_or_two_run_folders_are_refused(tmp_path, capsys):
    # fault sweep 2026-11-30: the last -p won silently, -p output_dir was ignored
    project = _project(tmp_path / "p")
    code = cli.main(["run", "01", "--project-dir", str(project), "-p", "seed=0", "-p", "seed=1"])
    assert code == 2 and "seed given more than once with -p" in capsys.readouterr().err
    args = ["run", "01", "--project-dir", str(project), "-p", f"output_dir={tmp_path / 'a'}"]
    assert cli.main([*args, "-o", str(tmp_path / "b")]) == 2
    assert "two run folders" in capsys.readouterr().err
    from gexnb import runner

    _, values, out = runner.resolve_parameters(
        "01", overrides={"output_dir": str(tmp_path / "a")}, project_dir=project
    )
    assert out == (tmp_path / "a").resolve() and values["output_dir"] == str(out)


@pytest.mark.notebooks
def test_a_notebook_stopping_on_bad_input_exits_2(tmp_path, capsys):
    project = tmp_path / "p"
    _project(project)
    nb = nbformat.read(project / "notebooks" / "01_ok.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "from gexnb.errors import InputError\nraise InputError('no such gene: XYZ', path='lm.txt')"
    ))  # fmt: skip
    nbformat.write(nb, project / "notebooks" / "01_ok.ipynb")
    code = cli.main(["run", "01", "--project-dir", str(project)])
    err = capsys.readouterr().err
    assert code == 2  # bad input, as for an error before the kernel starts
    assert "InputError: lm.txt: no such gene: XYZ" in err and "Traceback" not in err
    from gexnb.runner import NotebookExecutionError

    def failure(ename):
        return NotebookExecutionError("n", cell_index=0, exec_count=1, ename=ename, evalue="x",
                                      executed_path=tmp_path)  # fmt: skip

    assert failure("ParameterError").bad_input and failure("OutOfSpaceError").bad_input is False
    assert not failure("ZeroDivisionError").bad_input
    # run-all: 2 when every failed notebook stopped on bad input (here the only failure)
    code = cli.main(["run-all", "--profile", "quick", "--project-dir", str(project)])
    assert code == 2 and "InputError" in capsys.readouterr().err


@pytest.mark.notebooks
def test_run_all_exit_code_and_summary(tmp_path, capsys):
    project = _project(tmp_path / "p", failing=True)
    code = cli.main(["run-all", "--profile", "quick", "--project-dir", str(project)])
    captured = capsys.readouterr()
    assert code == 1
    assert "== 01_ok / test ==" in captured.out and "1.5" in captured.out  # 0.5 + seed 1
    assert "02_bad" in captured.out and "FAILED" in captured.out
    assert "gexnb: error: notebook 02_bad failed at cell 3 (In [3]): ZeroDivisionError" in (
        captured.err
    )
    lines = (project / "runs" / "quick" / "summary.csv").read_text().splitlines()
    assert lines[0] == "notebook,model,split,metric,value,status,run_started"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        "01_ok,lin,test,mae,1.5,ok",
        "02_bad,,,,,failed",
    ]


@pytest.mark.notebooks
def test_a_failed_run_leaves_no_earlier_success_in_the_summary(tmp_path, capsys):
    """After a failed ``gexnb run``, summary.csv kept the earlier run's rows as ``ok``, and
    ``run-all`` printed an earlier run's metrics above its own FAILED line (a reviewer's
    findings). Both now say the notebook failed."""
    project = _project(tmp_path / "p")
    summary = project / "runs" / "quick" / "summary.csv"
    assert cli.main(["run", "01", "--project-dir", str(project)]) == 0
    assert "01_ok,lin,test,mae,1.5,ok" in summary.read_text()
    (project / "parameters" / "01_ok" / "quick.yaml").write_text("seed: many\n")
    assert cli.main(["run", "01", "--project-dir", str(project)]) == 2  # refused, not started
    assert summary.read_text().splitlines()[1:] == ["01_ok,,,,,failed,"]
    (project / "parameters" / "01_ok" / "quick.yaml").write_text("seed: 1\n")
    assert cli.main(["run", "01", "--project-dir", str(project)]) == 0
    capsys.readouterr()
    code = cli.main(["run-all", "--profile", "quick", "--project-dir", str(project),
                     "--kernel", "no-such-kernel"])  # fmt: skip
    out = capsys.readouterr().out
    assert code != 0 and "01_ok" in out and "FAILED" in out
    assert "== 01_ok / test ==" not in out and "1.5" not in out
    assert summary.read_text().splitlines()[1:] == ["01_ok,,,,,failed,"]


def test_models_lists_registry(monkeypatch, capsys):
    import gexnb.models

    monkeypatch.setattr(gexnb.models, "available", lambda: ["dgex", "linear"])
    assert cli.main(["models"]) == 0
    assert capsys.readouterr().out.split() == ["dgex", "linear"]


def test_models_name_shows_hyperparameters_and_defaults(capsys):
    assert cli.main(["models", "dgex"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("dgex (deep, landmark): D-GEX multilayer perceptron")
    assert "  n_landmarks: 943" in out and "  hidden: (9000, 9000, 9000)" in out
    assert cli.main(["models", "dgx"]) == 2
    assert "unknown model 'dgx'; available models:" in capsys.readouterr().err


def test_models_name_shows_a_baselines_own_hyperparameters(capsys):
    # the scikit-learn baselines' builders take **hparams: their class's keywords are shown
    assert cli.main(["models", "knn_ge_genes"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("knn_ge_genes (classical, tabular): KNN-GE of D-GEX read over")
    assert "[1]_" not in out[0] and out[1:3] == ["  k: 10", "  n_jobs: None"]
    assert out[3:] == ["  random_state: 0 (the run's seed in the notebooks)"]
    assert cli.main(["models", "ridge"]) == 0
    assert "  alphas: (0.1, 1.0, 10.0, 100.0, 1000.0)" in capsys.readouterr().out.splitlines()


def test_predict_wires_arguments(monkeypatch, tmp_path, capsys):
    calls = []

    def predict_file(model_path, input_path, output_path, *, too_long="error", batch_size=2048):
        calls.append((model_path, input_path, output_path, batch_size, too_long))
        return Path(output_path)

    fake = types.ModuleType("gexnb.train")
    fake.predict_file = predict_file
    monkeypatch.setitem(sys.modules, "gexnb.train", fake)
    args = ["predict", "--model", "m.keras", "--input", "in.txt", "--output", "o.tsv"]
    assert cli.main([*args, "--batch-size", "64", "--too-long", "trim"]) == 0
    assert cli.main(args) == 0
    assert calls == [
        ("m.keras", "in.txt", "o.tsv", 64, "trim"),
        ("m.keras", "in.txt", "o.tsv", 2048, "error"),
    ]
    assert "predictions written to o.tsv" in capsys.readouterr().out
    assert cli.main([*args, "--orientation", "auto"]) == 2  # landmark models only
    assert "--orientation is for landmark models" in capsys.readouterr().err
    assert cli.main([*args, "--nan", "mean"]) == 2
    assert "--nan is for landmark models" in capsys.readouterr().err
    assert len(calls) == 2


def test_predict_error_is_clean(monkeypatch, capsys):
    from gexnb.errors import InputError

    def predict_file(*args, **kwargs):
        raise InputError("invalid base 'X' at column 3", path="in.txt", line=7)

    fake = types.ModuleType("gexnb.train")
    fake.predict_file = predict_file
    monkeypatch.setitem(sys.modules, "gexnb.train", fake)
    code = cli.main(["predict", "--model", "m", "--input", "in.txt", "--output", "o.tsv"])
    assert code == 2
    assert capsys.readouterr().err == "gexnb: error: in.txt, line 7: invalid base 'X' at column 3\n"


def test_usage_errors_from_argparse(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["predict", "--model", "m", "--input", "i", "--output", "o", "--too-long", "x"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        cli.main([])


def test_console_entry_point_runs(tmp_path):
    project = _project(tmp_path / "p")
    proc = subprocess.run(
        [sys.executable, "-m", "gexnb.cli", "run", "01", "-p", "x=1"],
        cwd=project / "notebooks",  # the project is found from a sub-folder
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "gexnb: error: unknown parameter 'x' for 01_ok; valid names: output_dir, seed"
    )


def test_prepare_writes_a_parameterized_copy_and_keeps_edits(tmp_path, capsys):
    project = _project(tmp_path / "p")
    shipped = (project / "notebooks" / "01_ok.ipynb").read_bytes()
    out = tmp_path / "explore"
    args = ["prepare", "01", "--project-dir", str(project), "-o", str(out)]
    assert cli.main([*args, "-p", "seed=7"]) == 0
    copy = out / "01_ok.ipynb"
    assert str(copy) in capsys.readouterr().out
    nb = nbformat.read(copy, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "seed = 7" in injected[0].source
    assert f'output_dir = "{out.resolve()}"' in injected[0].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # not executed
    assert not (out / "metrics.json").exists()
    assert (project / "notebooks" / "01_ok.ipynb").read_bytes() == shipped
    assert cli.main(args) == 2  # an existing copy (maybe edited) is kept
    assert "exists (it may hold your edits)" in capsys.readouterr().err
    assert cli.main([*args, "--force"]) == 0
    assert "seed = 1" in nbformat.read(copy, as_version=4).cells[1].source
    assert cli.main([*args, "--force", "-p", "sede=1"]) == 2
    capsys.readouterr()
    from gexnb.rundir import OutputLock

    with OutputLock(out, what="JupyterLab kernel running 01_ok"):  # the copy open and running
        assert cli.main([*args, "--force", "-p", "seed=3"]) != 0
    assert "in use by JupyterLab kernel running 01_ok" in capsys.readouterr().err
    assert "seed = 1" in nbformat.read(copy, as_version=4).cells[1].source


@pytest.mark.notebooks
def test_a_runs_warnings_reach_the_console(tmp_path, capsys):
    """papermill keeps a cell's stderr in the executed notebook: a target left out for its
    missing values was said there only (notebook 01 trial, 2026-11-30)."""
    project = _project(tmp_path / "p")
    nb = nbformat.read(project / "notebooks" / "01_ok.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import logging, warnings\n"
        "from gexnb.rundir import show_gexnb_messages\n"
        "show_gexnb_messages()\n"
        "logging.getLogger('gexnb.x').info('informed only')\n"
        "logging.getLogger('gexnb.x').warning('TG7 left out:\\nall its values missing')\n"
        "logging.getLogger('gexnb.x').warning('TG7 left out:\\nall its values missing')\n"
        "warnings.warn('from the cell')\n"
        "warnings.warn('from the cell:\\nits second line')\n"
        "warnings.warn_explicit('a library speaks', UserWarning, '/lib/site-packages/x.py', 3)"
    ))  # fmt: skip
    nbformat.write(nb, project / "notebooks" / "01_ok.ipynb")
    assert cli.main(["run", "01", "--project-dir", str(project)]) == 0
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[0].startswith("01_ok: 3 warnings (also in ") and lines[0].endswith("01_ok.ipynb):")
    assert lines[1:] == [
        "  WARNING gexnb.x: TG7 left out:",
        "  all its values missing",
        "  UserWarning: from the cell",
        "  UserWarning: from the cell:",
        "  its second line",
    ]
    from gexnb import runner

    assert runner.notebook_warnings(tmp_path / "absent.ipynb") == []
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('it broke')"))
    nbformat.write(nb, project / "notebooks" / "01_ok.ipynb")
    assert cli.main(["run", "01", "--project-dir", str(project)]) == 1  # the warnings explain
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("01_ok: 3 warnings") and lines[-1].startswith("gexnb: error: ")

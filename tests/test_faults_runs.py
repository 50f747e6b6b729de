"""Fault tests of notebook runs: stale results, Ctrl-C, concurrent runs, full disk, file modes.

Each test here failed on gexnb before runs owned their output folder (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from gexnb import runner
from gexnb.errors import InputError, ParameterError
from gexnb.io import OutOfSpaceError, write_json_atomic, write_text_atomic
from gexnb.rundir import LOCK_NAME, OutputLock, RunLockedError

pytestmark = pytest.mark.notebooks

GEXNB = str(Path(sys.executable).with_name("gexnb"))

METRICS_CELL = (
    "from gexnb.io import write_metrics\n"
    "write_metrics(output_dir, {f'{m}/test/mae': 0.5 for m in models.split(',')})\n"
    "for m in models.split(','):\n"
    "    open(f'{m}_predictions.tsv', 'w').write('x\\n')\n"
)
SLEEP_CELLS = (
    "import os, time\nopen('kernel.pid', 'w').write(str(os.getpid()))",
    "for _ in range(int(seconds * 10)):\n    time.sleep(0.1)",
    "open('finished.txt', 'w').write('x')",
)


def _notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "gexnb", "display_name": "gexnb", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    profile = path.parents[1] / "parameters" / path.stem / "quick.yaml"
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text("{}\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    _notebook(
        root / "notebooks" / "01_models.ipynb",
        'output_dir: str = "."\nmodels: str = "linear,ridge,dgex"\nfail: bool = False\n',
        METRICS_CELL,
        "if fail:\n    raise RuntimeError('failed on purpose')",
    )
    _notebook(
        root / "notebooks" / "02_sleep.ipynb",
        'output_dir: str = "."\nseconds: float = 60.0\n',
        *SLEEP_CELLS,
    )
    return root


def _wait_for(path: Path, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > end:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.1)


def _start_run(project: Path, *args: str) -> subprocess.Popen:
    """``gexnb run`` in its own session, as a terminal runs it (Ctrl-C goes to the group)."""
    return subprocess.Popen(
        [GEXNB, "run", *args, "--project-dir", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "GEXNB_KERNEL": "gexnb"},
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ------------------------------------------------------------------ stale results


def test_rerun_with_fewer_models_reports_only_those(project):
    out = project / "runs" / "quick" / "01_models"
    runner.run_notebook("01", project_dir=project, progress_bar=False)
    assert set(json.loads((out / "metrics.json").read_text())) == {
        "linear/test/mae",
        "ridge/test/mae",
        "dgex/test/mae",
    }
    runner.run_notebook("01", project_dir=project, overrides={"models": "ridge"})
    assert json.loads((out / "metrics.json").read_text()) == {"ridge/test/mae": 0.5}
    # the other models' result files went with their metrics
    assert sorted(p.name for p in out.glob("*_predictions.tsv")) == ["ridge_predictions.tsv"]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "ok" and manifest["parameters"]["models"] == "ridge"
    assert manifest["notebook"] == "01_models" and manifest["profile"] == "quick"
    assert {"gexnb", "keras", "numpy", "papermill", "python"} <= set(manifest["versions"])
    assert manifest["started"] <= manifest["finished"] and manifest["seconds"] > 0
    assert "metrics.json" in manifest["files"] and "01_models.ipynb" in manifest["files"]
    assert not (out / LOCK_NAME).exists()


def test_failed_rerun_leaves_no_earlier_success_behind(project):
    out = project / "runs" / "quick" / "01_models"
    runner.run_notebook("01", project_dir=project, progress_bar=False)
    with pytest.raises(runner.NotebookExecutionError):
        runner.run_notebook("01", project_dir=project, overrides={"models": "ridge", "fail": True})
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "failed" and "failed on purpose" in manifest["error"]
    assert set(json.loads((out / "metrics.json").read_text())) == {"ridge/test/mae"}


def test_run_all_summary_lists_this_invocation_only(project, tmp_path):
    root = tmp_path / "runs"
    runner.run_all(
        project_dir=project,
        notebooks=["01"],
        runs_dir=root,
        log=open(os.devnull, "w"),  # noqa: SIM115
    )
    # an old folder of another notebook must not leak into this invocation's summary
    (root / "09_old").mkdir()
    (root / "09_old" / "metrics.json").write_text(json.dumps({"old/test/mae": 9.0}))
    runner.run_all(
        project_dir=project,
        notebooks=["01"],
        overrides={"fail": True},
        runs_dir=root,
        log=open(os.devnull, "w"),  # noqa: SIM115
    )
    import pandas as pd

    summary = pd.read_csv(root / "summary.csv")
    assert set(summary["notebook"]) == {"01_models"}
    assert set(summary["status"]) == {"failed"}  # marked failed, not its old rows as a success


def test_killed_run_files_are_cleared_by_the_next_run(project):
    out = project / "runs" / "quick" / "01_models"
    out.mkdir(parents=True)
    from gexnb.rundir import RunRecord

    RunRecord(out, "01_models", "quick", {}).write()  # the manifest of a run killed mid-way
    (out / "orphan_figure.png").write_bytes(b"x")
    (out / ".metrics.json.123-0123456789ab.tmp.json").write_text("{")  # a killed writer's temp
    runner.run_notebook("01", project_dir=project, progress_bar=False)
    assert not (out / "orphan_figure.png").exists()
    assert not list(out.glob(".*.tmp*"))


# ------------------------------------------------------------------ signals


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_kernel_keeps_valid_partial_notebook(project, signum, code):
    out = project / "runs" / "quick" / "02_sleep"
    proc = _start_run(project, "02")
    try:
        _wait_for(out / "kernel.pid")
        time.sleep(0.5)
        kernel_pid = int((out / "kernel.pid").read_text())
        os.killpg(proc.pid, signum)  # as Ctrl-C in a terminal: the whole foreground group
        _, err = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == code, err
    lines = [line for line in err.splitlines() if line.startswith("gexnb")]
    assert lines == [lines[0]] and "interrupted" in lines[0] and "Traceback" not in err
    assert "without encryption" not in err  # the kernel's own log goes to kernel.log
    assert (out / runner.KERNEL_LOG).is_file()
    assert not (out / "finished.txt").exists()
    nb = nbformat.read(out / "02_sleep.ipynb", as_version=4)
    nbformat.validate(nb)
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    end = time.monotonic() + 15
    while _pid_alive(kernel_pid) and time.monotonic() < end:
        time.sleep(0.2)
    assert not _pid_alive(kernel_pid), "the kernel survived the interrupt"
    assert not (out / LOCK_NAME).exists()


# ------------------------------------------------------------------ concurrent runs


def test_second_run_into_same_folder_is_refused(project):
    out = project / "runs" / "quick" / "02_sleep"
    proc = _start_run(project, "02")
    try:
        _wait_for(out / "kernel.pid")
        second = subprocess.run(
            [GEXNB, "run", "02", "--project-dir", str(project), "-p", "seconds=0"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2
        assert f"in use by gexnb run 02_sleep --profile quick (pid {proc.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        assert (out / "kernel.pid").exists()  # the first run's files are untouched
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=60)


def test_stale_lock_of_dead_process_is_taken_over(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    info = {"pid": dead.pid, "host": os.uname().nodename, "started": "yesterday", "what": "x"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(info))
    with OutputLock(tmp_path, what="test") as lock:
        assert lock.taken_over == info
        with pytest.raises(RunLockedError, match="in use by test"):
            OutputLock(tmp_path).acquire()
    assert "taking over a stale lock" in capsys.readouterr().err
    assert not (tmp_path / LOCK_NAME).exists()


# ------------------------------------------------------------------ full disk


@contextlib.contextmanager
def _tiny_disk(path: Path, size: str = "256k"):
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)])
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root for a tmpfs")
def test_full_disk_atomic_write_names_the_file(tmp_path):
    with _tiny_disk(tmp_path / "disk") as disk:
        target = disk / "metrics.json"
        write_text_atomic(target, "{}\n")
        with pytest.raises(OutOfSpaceError, match=r"metrics\.json: no space left on device"):
            write_text_atomic(target, "x" * 400_000)
        assert target.read_text() == "{}\n"  # the earlier file is intact
        assert [p.name for p in disk.iterdir()] == ["metrics.json"]  # no temporary left


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root for a tmpfs")
def test_full_disk_during_run_is_one_line_and_notebook_stays_valid(project, tmp_path):
    _notebook(
        project / "notebooks" / "03_big.ipynb",
        'output_dir: str = "."\n',
        "from gexnb.io import write_text_atomic\nwrite_text_atomic('big.txt', 'x' * 600_000)",
    )
    with _tiny_disk(tmp_path / "disk", size="512k") as disk:
        done = subprocess.run(
            [GEXNB, "run", "03", "--project-dir", str(project), "-o", str(disk / "out")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode in (1, 2)
        lines = [line for line in done.stderr.splitlines() if line.startswith("gexnb")]
        assert len(lines) == 1 and "no space left on device" in lines[0], done.stderr
        assert "big.txt" in lines[0] and "Traceback" not in done.stderr
        executed = disk / "out" / "03_big.ipynb"
        if executed.exists():
            nbformat.validate(nbformat.read(executed, as_version=4))
        assert not list((disk / "out").glob(".*.tmp*"))


# ------------------------------------------------------------------ file modes


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_outputs_respect_umask(project, tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_json_atomic(tmp_path / "a.json", {"x": 1})
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == mode
        out = tmp_path / f"run{umask}"
        runner.run_notebook("01", project_dir=project, output_dir=out, progress_bar=False)
    finally:
        os.umask(old)
    for name in ("metrics.json", "run.json", "01_models.ipynb"):
        assert (out / name).stat().st_mode & 0o777 == mode, name


def test_gexnb_on_path():
    assert shutil.which(GEXNB) or Path(GEXNB).exists()


# ------------------------------------------------------------------ the command line


@pytest.mark.parametrize(
    "error, code, text",
    [
        (RuntimeError("unexpected"), 3, "gexnb: internal error: RuntimeError: unexpected"),
        (PermissionError(13, "Permission denied", "/x/y.tsv"), 2, "/x/y.tsv: Permission denied"),
    ],
)
def test_cli_unexpected_errors_are_one_line(monkeypatch, capsys, error, code, text):
    from gexnb import cli

    def boom(args):
        raise error

    monkeypatch.delenv("GEXNB_DEBUG", raising=False)
    monkeypatch.setitem(cli._COMMANDS, "list", boom)
    assert cli.main(["list"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and text in err and "Traceback" not in err


# ------------------------------------------------------------------ JupyterLab runs


def test_interactive_rerun_reports_only_its_models(tmp_path, monkeypatch):
    from gexnb import rundir
    from gexnb.io import write_metrics

    monkeypatch.delenv(rundir.MANAGED_ENV, raising=False)
    out = tmp_path / "interactive"
    try:
        rundir.begin_run(out, notebook="01_models", parameters={"models": "linear,ridge"})
        write_metrics(out, {"linear/test/mae": 1.0, "ridge/test/mae": 0.5})
        with pytest.raises(RunLockedError, match="in use by JupyterLab kernel running 01_models"):
            OutputLock(out).acquire()  # another kernel or a batch run is refused
        # Run All again in the same kernel, with one model
        rundir.begin_run(out, notebook="01_models", parameters={"models": "ridge"})
        write_metrics(out, {"ridge/test/mae": 0.5})
        assert json.loads((out / "metrics.json").read_text()) == {"ridge/test/mae": 0.5}
        manifest = json.loads((out / "run.json").read_text())
        assert manifest["profile"] == "interactive" and manifest["status"] == "running"
        assert manifest["parameters"] == {"models": "ridge"}
    finally:
        rundir._end_interactive_runs()
    assert json.loads((out / "run.json").read_text())["status"] == "ended"
    assert not (out / LOCK_NAME).exists()


def test_interactive_runs_keep_the_last_good_results_and_the_open_notebook(tmp_path, monkeypatch):
    """JupyterLab: a Run All in which a cell raised (then a later one succeeded) counted as
    good, so the next Run All deleted the good run's set-aside results; and the notebook the
    user has open in the run folder (gexnb prepare) was listed as a result, moved and deleted
    (found by a review)."""
    from gexnb import rundir
    from gexnb.io import write_metrics

    monkeypatch.delenv(rundir.MANAGED_ENV, raising=False)
    out = tmp_path / "prepared"
    notebook = out / "03_landmark_models.ipynb"
    try:
        rundir.begin_run(out, notebook="03", parameters={"seed": 0})  # run A: good
        notebook.write_text("{}")  # JupyterLab saves the open notebook during the run
        write_metrics(out, {"dgex/test/mae": 0.5})
        rundir.begin_run(out, notebook="03", parameters={"seed": 1})  # run B
        aside = out / rundir.PREVIOUS_DIR
        assert json.loads((aside / "metrics.json").read_text()) == {"dgex/test/mae": 0.5}
        record = rundir._interactive[out.resolve()][1]
        record.first_error = "InputError: bad.tsv: NaN"  # a cell of run B raised ...
        record.last_error = None  # ... and a later cell succeeded
        write_metrics(out, {"dgex/test/mae": 9.0})
        rundir.begin_run(out, notebook="03", parameters={"seed": 0})  # run C
        assert json.loads((aside / "metrics.json").read_text()) == {"dgex/test/mae": 0.5}
        assert not (out / "metrics.json").exists()  # run B's result went, not into aside
        assert notebook.read_text() == "{}"  # never moved
    finally:
        rundir._end_interactive_runs()
    assert not (out / rundir.PREVIOUS_DIR).exists()  # run C ended without an error


def test_rerun_removes_checkpoints_of_models_it_no_longer_trains(tmp_path, monkeypatch):
    from gexnb import rundir

    monkeypatch.delenv(rundir.MANAGED_ENV, raising=False)
    out = tmp_path / "run"

    def checkpoints(folder=out):
        found = (p.relative_to(folder).as_posix() for p in folder.rglob("best.keras"))
        return sorted(p for p in found if not p.startswith(rundir.PREVIOUS_DIR))

    (out / "training").mkdir(parents=True)
    (out / "training" / "notes.txt").write_text("the user's own file")  # before any run
    os.utime(out / "training" / "notes.txt", (1e9, 1e9))
    try:
        rundir.begin_run(out, notebook="04", parameters={"models": "dnn,lstm"})
        for model in ("dnn", "lstm"):
            (out / "training" / model).mkdir(parents=True)
            (out / "training" / model / "best.keras").write_bytes(b"x")
        # a resumed re-run keeps every checkpoint for fit to continue from
        rundir.begin_run(out, notebook="04", parameters={"models": "dnn", "resume": True})
        assert checkpoints() == ["training/dnn/best.keras", "training/lstm/best.keras"]
        # a fresh re-run with fewer models leaves no checkpoint of the dropped one behind
        rundir.begin_run(out, notebook="04", parameters={"models": "dnn"})
        assert checkpoints() == [] and not (out / "training" / "lstm").exists()
        # the earlier results are set aside until this run ends well, its checkpoints are not
        # (gigabytes at paper scale, and a run that does not resume never reads them)
        assert checkpoints(out / rundir.PREVIOUS_DIR) == []
        assert (out / "training" / "notes.txt").read_text() == "the user's own file"
        # a file named like a checkpoint outside a fit folder, and a run nested in this one
        (out / "mydata").mkdir()
        (out / "mydata" / "history.csv").write_text("the user's table")
        nested = out / "sweep" / "point-1"
        (nested / "bigru").mkdir(parents=True)
        (nested / "run.json").write_text("{}")
        (nested / "bigru" / "best.keras").write_bytes(b"x")
        os.utime(out / "mydata" / "history.csv", (1e9, 1e9))
        for path in (nested / "run.json", nested / "bigru" / "best.keras"):
            os.utime(path, (1e9, 1e9))
        rundir.begin_run(out, notebook="04", parameters={"models": "dnn"})
        assert (out / "mydata" / "history.csv").exists()
        assert (nested / "bigru" / "best.keras").exists()
    finally:
        rundir._end_interactive_runs()
    # a folder no gexnb run has written (no run.json) keeps its files
    other = tmp_path / "mine"
    (other / "old").mkdir(parents=True)
    (other / "old" / "best.keras").write_bytes(b"x")
    assert rundir.remove_previous_outputs(other, checkpoints=True) == []
    assert (other / "old" / "best.keras").exists()


def test_a_jupyterlab_run_refuses_a_folder_of_the_users_own(tmp_path, monkeypatch):
    """begin_run merged its metrics into a metrics.json of the user's, and would set aside
    the files another tool's run.json lists; gexnb run refused both (found by a review)."""
    from gexnb import rundir

    monkeypatch.delenv(rundir.MANAGED_ENV, raising=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "metrics.json").write_text('{"my/score": 1}')
    with pytest.raises(InputError, match=r"metrics\.json: a metrics\.json without gexnb's run"):
        rundir.begin_run(mine, notebook="01_models", parameters={})
    assert json.loads((mine / "metrics.json").read_text()) == {"my/score": 1}
    assert not (mine / LOCK_NAME).exists() and not (mine / "run.json").exists()
    other = tmp_path / "other_tool"
    other.mkdir()
    (other / "run.json").write_text('{"files": ["data.csv"]}')
    (other / "data.csv").write_text("1")
    with pytest.raises(InputError, match=r"run\.json: a run\.json gexnb did not write"):
        rundir.begin_run(other, notebook="01_models", parameters={})
    assert (other / "data.csv").exists()
    out = tmp_path / "run"
    try:  # Run All again in the same kernel, reading the first Run All's result
        rundir.begin_run(out, notebook="01_models", parameters={})
        (out / "predictions.tsv").write_text("x\n")
        with pytest.raises(InputError, match=r"parameter expression_path reads a result"):
            given = {"expression_path": str(out / "predictions.tsv")}
            rundir.begin_run(out, notebook="01_models", parameters=given)
        assert (out / "predictions.tsv").exists() and not (out / LOCK_NAME).exists()
    finally:
        rundir._end_interactive_runs()


def test_begin_run_under_the_runner_leaves_the_folder_to_it(tmp_path, monkeypatch):
    from gexnb import rundir

    (tmp_path / "metrics.json").write_text('{"a/test/mae": 1}')
    monkeypatch.setenv(rundir.MANAGED_ENV, str(tmp_path))
    assert rundir.begin_run(tmp_path, notebook="x") == tmp_path.resolve()
    assert (tmp_path / "metrics.json").exists() and not (tmp_path / "run.json").exists()


def test_interactive_runs_write_under_the_project_whatever_the_kernel_folder(tmp_path, monkeypatch):
    """One output convention: output_dir "" is <project>/runs/interactive/<notebook>."""
    from gexnb import rundir

    monkeypatch.delenv(rundir.MANAGED_ENV, raising=False)
    project = tmp_path / "project"
    for folder in ("notebooks", "parameters", "notebooks/sub"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    expected = (project / "runs" / "interactive" / "02_x").resolve()
    try:
        for cwd in (project / "notebooks", project / "notebooks" / "sub", project):
            monkeypatch.chdir(cwd)
            assert rundir.begin_run("", notebook="02_x", parameters={}) == expected
    finally:
        rundir._end_interactive_runs()
    monkeypatch.chdir(tmp_path)  # outside any project: under the kernel's folder
    assert rundir.interactive_output_dir("02_x") == tmp_path.resolve() / "runs/interactive/02_x"
    with pytest.raises(ParameterError, match="needs the notebook name"):
        rundir.begin_run("", parameters={})


# ------------------------------------------------------------------ the user's own files


def test_a_run_touches_only_what_gexnb_runs_wrote(project, tmp_path):
    """Found by a fault sweep of run folders (all lost silently before): a model of the
    user's own in a folder holding best.keras; a file the user edited or created while a run
    went on (listed by mtime as the run's); a notebook of gexnb prepare that gexnb run
    replaced; another tool's run.json and a user's metrics.json; a user's previous_run/."""
    from gexnb import rundir

    out = project / "runs" / "quick" / "01_models"

    def run(**overrides):
        return runner.run_notebook("01", project_dir=project, overrides=overrides,
                                   output_dir=out, progress_bar=False)  # fmt: skip

    run()
    mine = out / "my_finetuned"
    mine.mkdir()
    for name in ("best.keras", "last.json", "history.csv"):
        (mine / name).write_text("the user's")
    run()
    assert (mine / "best.keras").read_text() == "the user's"
    edits = tmp_path / "edits"
    edits.mkdir()
    (edits / "plan.txt").write_text("a")
    record = rundir.RunRecord(edits, "01_models", "quick", {})  # a run in progress ...
    (edits / "plan.txt").write_text("a, edited during the run")  # ... while the user edits
    (edits / "new_result.tsv").write_text("x\n")  # a file new in the folder: the run's
    record.finish("ok")
    assert record.files == ["new_result.tsv"]
    prepared = project / "runs" / "prep"
    runner.prepare_notebook("01", prepared, project_dir=project)
    with pytest.raises(InputError, match=r"01_models\.ipynb: exists and no earlier run wrote it"):
        runner.run_notebook("01", project_dir=project, output_dir=prepared, progress_bar=False)
    other = tmp_path / "other_tool"
    other.mkdir()
    (other / "run.json").write_text('{"files": ["data.csv"]}')
    (other / "data.csv").write_text("1")
    with pytest.raises(InputError, match=r"run\.json: a run\.json gexnb did not write"):
        runner.run_notebook("01", project_dir=project, output_dir=other, progress_bar=False)
    assert (other / "data.csv").exists()
    (other / "run.json").unlink()
    (other / "metrics.json").write_text("{}")
    with pytest.raises(InputError, match=r"metrics\.json: a metrics\.json without gexnb's run"):
        runner.run_notebook("01", project_dir=project, output_dir=other, progress_bar=False)
    (out / rundir.PREVIOUS_DIR).mkdir()  # the user's own folder of that name
    with pytest.warns(UserWarning, match="previous_run is not gexnb's: the earlier run's results"):
        run()


def test_an_input_among_the_results_to_set_aside_is_refused(project):
    """Notebook 03 reading notebook 01's processed/ files from the same folder: the set-aside
    moved its input away, then "not found" (found by a fault sweep)."""
    _notebook(project / "notebooks" / "03_reads.ipynb",
              'output_dir: str = "."\nexpression_path: str = ""\n', "x = 1")  # fmt: skip
    out = project / "runs" / "shared"
    runner.run_notebook("01", project_dir=project, output_dir=out, progress_bar=False)
    with pytest.raises(InputError, match=r"parameter expression_path reads a result of the "
                       r"earlier run in this folder \(01_models\)"):  # fmt: skip
        runner.run_notebook(
            "03",
            project_dir=project,
            output_dir=out,
            progress_bar=False,
            overrides={"expression_path": str(out / "linear_predictions.tsv")},
        )
    assert (out / "linear_predictions.tsv").exists()


def test_an_interrupted_rerun_names_the_set_aside_results(tmp_path):
    """Ctrl-C during a re-run said nothing of the earlier results in previous_run/, unlike a
    failure (found by a fault sweep)."""
    from gexnb import rundir

    aside = tmp_path / rundir.PREVIOUS_DIR
    aside.mkdir()
    rundir.RunRecord(aside, "01_models", "quick", {}).finish("ok")
    error = runner.RunInterrupted(signal.SIGINT, notebook="01_models",
                                  executed_path=tmp_path / "01_models.ipynb")  # fmt: skip
    assert str(error).endswith(f"; the earlier run's results are in {aside}/")
    (aside / "run.json").unlink()  # not a good run's: not named
    assert "earlier" not in str(runner.RunInterrupted(signal.SIGINT, executed_path=tmp_path / "x"))


def test_results_are_set_aside_across_file_systems(tmp_path, monkeypatch):
    """A subfolder on another mount: the rename failed half-way with "Invalid cross-device
    link", leaving a previous_run/ without run.json (found by a fault sweep)."""
    import errno

    from gexnb import rundir

    out = tmp_path / "run"
    out.mkdir()
    record = rundir.RunRecord(out, "01", "quick", {})
    (out / "processed").mkdir()
    (out / "processed" / "expression.parquet").write_text("x")
    (out / "metrics.json").write_text("{}")
    record.finish("ok")
    for name in ("rename", "replace"):  # what a move within one file system calls
        real = getattr(os, name)

        def cross_device(src, dst, real=real):
            if "processed" in str(src):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            return real(src, dst)

        monkeypatch.setattr(os, name, cross_device)
    rundir.remove_previous_outputs(out, aside=True)
    aside = out / rundir.PREVIOUS_DIR
    assert (aside / "processed" / "expression.parquet").read_text() == "x"
    assert rundir.good_run(rundir.read_manifest(aside)) and not (out / "processed").exists()

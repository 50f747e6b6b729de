"""Execute one notebook with papermill: atomic writes of the executed notebook, the gexnb
kernel's environment, Ctrl-C and SIGTERM handling, and prepare-only copies."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import ensure_output_dir, write_text_atomic
from gexnb.rundir import (
    MANAGED_ENV,
    PROJECT_ENV,
    OutputLock,
    RunRecord,
    check_run_folder,
    find_project_dir,
    kept_checkpoints,
    remove_previous_outputs,
    resumes,
    set_aside_results,
)
from gexnb.runner.project import (
    DEFAULT_KERNEL,
    check_inputs,
    check_inputs_outside_results,
    data_dir,
    resolve_parameters,
)

#: Seconds a kernel gets to stop after an interrupt before it is killed.
INTERRUPT_GRACE_SECONDS = 10.0


def _error_names(*bases: type) -> frozenset[str]:
    names, todo = set(), list(bases)
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return frozenset(names)


class NotebookExecutionError(GexnbError):
    """A notebook raised an exception in one of its cells.

    Parameters
    ----------
    notebook, cell_index, exec_count, ename, evalue, executed_path
        See Attributes.

    Attributes
    ----------
    notebook
        Stem of the notebook (``01_data_prep``).
    cell_index
        0-based index of the failing cell in the executed notebook.
    exec_count
        Execution count shown as ``In [n]`` (``None`` if unknown).
    ename, evalue
        Exception class name and message raised in the cell.
    executed_path
        Executed notebook holding the traceback.
    warnings
        gexnb's warnings printed before the failure (:func:`notebook_warnings`).
    """

    def __init__(
        self,
        notebook: str,
        *,
        cell_index: int | None,
        exec_count: int | None,
        ename: str,
        evalue: str,
        executed_path: Path,
    ):
        self.notebook = notebook
        self.cell_index = cell_index
        self.exec_count = exec_count
        self.ename = ename
        self.evalue = evalue
        self.executed_path = Path(executed_path)
        self.warnings: list[str] = []  # the run's warnings (notebook_warnings), set by the runner
        where = "" if cell_index is None else f" at cell {cell_index + 1}"
        if exec_count is not None:
            where += f" (In [{exec_count}])"
        kept = set_aside_results(self.executed_path.parent)
        earlier = f"; the earlier run's results are in {kept}/" if kept is not None else ""
        super().__init__(
            f"notebook {notebook} failed{where}: {ename}: {evalue} (see {self.executed_path})"
            + earlier
        )

    @property
    def bad_input(self) -> bool:
        """True when the cell raised gexnb's own error about the data or the parameters
        (:class:`~gexnb.errors.InputError`, :class:`~gexnb.errors.ParameterError` or a
        subclass), not an unexpected failure: ``gexnb run`` then exits with status 2."""
        return self.ename in _error_names(InputError, ParameterError)


class RunInterrupted(GexnbError):
    """A run was stopped by SIGINT (Ctrl-C) or SIGTERM; the kernel was stopped.

    Parameters
    ----------
    signum, notebook, executed_path
        See Attributes.

    Attributes
    ----------
    signum
        The signal received.
    exit_code
        The conventional exit status: 128 + the signal number (130 for Ctrl-C, 143 for
        SIGTERM).
    executed_path
        The partial executed notebook (valid, up to the interrupted cell), if known.
    notebook
        Stem of the interrupted notebook (empty if unknown).
    """

    def __init__(self, signum: int, *, notebook: str = "", executed_path: Path | None = None):
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
        self.notebook = notebook
        self.executed_path = executed_path
        name = signal.Signals(self.signum).name
        where = f" {notebook}" if notebook else ""
        partial = f"; partial notebook: {executed_path}" if executed_path else ""
        kept = None if executed_path is None else set_aside_results(executed_path.parent)
        earlier = f"; the earlier run's results are in {kept}/" if kept is not None else ""
        super().__init__(f"interrupted ({name}): stopped{where}{partial}{earlier}")


@dataclass
class RunResult:
    """Outcome of one notebook run (see :func:`run_notebook` and :func:`run_all`).

    Parameters
    ----------
    notebook, output_dir, executed_path, parameters, seconds, error, warnings
        See Attributes.

    Attributes
    ----------
    notebook
        Stem of the notebook (``01_data_prep``).
    output_dir
        The run folder.
    executed_path
        The executed notebook, ``<output_dir>/<stem>.ipynb``.
    parameters
        The parameter values the notebook ran with (empty for a notebook that did not run).
    seconds
        Wall-clock duration of the run.
    error
        The failure of a notebook that failed or was interrupted, else None.
    warnings
        gexnb's warnings in the executed notebook's output (:func:`notebook_warnings`), for
        the console: papermill keeps a cell's output in the notebook only.
    """

    notebook: str
    output_dir: Path
    executed_path: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: GexnbError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the notebook ran to the end."""
        return self.error is None


# --------------------------------------------------------------------------- execution


def _check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel as exc:
        raise GexnbError(
            f"Jupyter kernel {kernel!r} is not installed: run `make install` (it registers the "
            f"'gexnb' kernel), or pass --kernel / set GEXNB_KERNEL"
        ) from exc


def run_notebook(
    notebook: str | os.PathLike,
    *,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    output_dir: str | os.PathLike | None = None,
    project_dir: str | os.PathLike | None = None,
    kernel: str | None = None,
    progress_bar: bool | None = None,
    ignore_unknown_overrides: bool = False,
) -> RunResult:
    """Execute one notebook with a parameter profile through papermill.

    Parameters
    ----------
    notebook
        Path, stem (``01_data_prep``) or number (``01``).
    profile
        Name of ``parameters/<stem>/<profile>.yaml``.
    overrides
        Parameter values that replace the profile's (``-p key=value``).
    output_dir
        Run folder; default ``<project>/runs/<profile>/<stem>/``.
    project_dir
        Project folder; default: found from the current directory.
    kernel
        Jupyter kernel; default ``$GEXNB_KERNEL`` or ``gexnb``.
    progress_bar
        Show papermill's progress bar; default: only when stderr is a terminal.
    ignore_unknown_overrides
        Skip overrides the notebook does not declare (used by :func:`run_all`).

    Returns
    -------
    RunResult
        With the executed notebook at ``<output_dir>/<stem>.ipynb``.

    Raises
    ------
    NotebookExecutionError
        If a cell raises; the message names the cell, the exception and the executed notebook.
    ParameterError, InputError
        For bad parameters or an unwritable output folder (nothing is executed).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    project = find_project_dir(project_dir)
    path, params, out = resolve_parameters(
        notebook,
        profile=profile,
        overrides=overrides,
        output_dir=output_dir,
        project_dir=project,
        ignore_unknown_overrides=ignore_unknown_overrides,
    )
    check_inputs(params)  # before the kernel starts and before the folder's earlier results go
    kernel = kernel or os.environ.get("GEXNB_KERNEL") or DEFAULT_KERNEL
    _check_kernel(kernel)
    if progress_bar is None:
        progress_bar = sys.stderr.isatty()
    executed = out / f"{path.stem}.ipynb"
    start = time.perf_counter()
    ensure_output_dir(out)  # only now: a run refused above leaves no empty folder
    with OutputLock(out, what=f"gexnb run {path.stem} --profile {profile}"):
        check_run_folder(out, executed=executed)
        check_inputs_outside_results(params, out)
        kept = kept_checkpoints(out) if resumes(params) else []
        remove_previous_outputs(out, checkpoints=not resumes(params), aside=True)
        record = RunRecord(out, path.stem, profile, dict(params), kept=kept)
        record.write()
        try:
            with (
                _kernel_environment(GEXNB_DATA=str(data_dir(project))),
                _managed_folder(out, project),
            ):
                _interruptible(
                    lambda: papermill.execute_notebook(
                        str(path),
                        _ATOMIC_SCHEME + str(executed),
                        parameters=params,
                        kernel_name=kernel,
                        language="python",
                        cwd=str(out),
                        progress_bar=progress_bar,
                        log_output=False,
                        engine_name=_ENGINE,
                        kernel_log=str(out / KERNEL_LOG),
                    ),
                    notebook=path.stem,
                    executed_path=executed,
                )
        except PapermillExecutionError as exc:
            error = NotebookExecutionError(
                path.stem,
                cell_index=exc.cell_index,
                exec_count=exc.exec_count,
                ename=exc.ename,
                evalue=exc.evalue,
                executed_path=executed,
            )
            error.warnings = notebook_warnings(executed)  # they may explain the failure
            record.finish("failed", error=str(error))
            raise error from None
        except RunInterrupted as exc:
            record.finish("interrupted", error=str(exc))
            raise
        except BaseException as exc:
            record.finish("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        record.finish("ok")
    seconds = time.perf_counter() - start
    return RunResult(
        path.stem, out, executed, params, seconds, warnings=notebook_warnings(executed)
    )


#: A line of gexnb's log in a cell's stderr (:func:`gexnb.rundir.show_gexnb_messages`' format;
#: its further lines are indented).
_LOG_LINE = re.compile(r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) gexnb[\w.]*: ")
#: A Python warning as printed to stderr: ``<file>:<line>: <Category>: <message>``.
_PY_WARNING = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<text>\w*Warning: .*)$")
#: The file of a notebook cell's code in an IPython kernel (``/tmp/ipykernel_<pid>/<n>.py``).
_CELL_FILE = re.compile(r"[/\\]ipykernel_\d+[/\\]\d+\.py$")


#: The gexnb package folder, whose files' warnings are gexnb's own.
_PACKAGE = Path(__file__).resolve().parent.parent


def _ours(file: str) -> bool:
    """A Python warning's file is gexnb's own code or a notebook cell."""
    if _CELL_FILE.search(file):
        return True
    try:
        return Path(file).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):
        return False


def notebook_warnings(executed: str | os.PathLike) -> list[str]:
    """gexnb's warnings in an executed notebook's cell output, in order, without repeats.

    Under papermill a cell's stderr goes to the executed notebook only, so a run's warnings
    (a target left out for missing values, a small fold) were never on the console. Taken:
    gexnb's log records of level WARNING and above, with their indented further lines, and
    Python warnings whose reported file is in the gexnb package or a notebook cell (a
    library's warning about gexnb's call of it is reported at gexnb's line and is taken;
    warnings reported inside other libraries stay in the notebook).

    Parameters
    ----------
    executed
        The executed notebook.

    Returns
    -------
    list of str
        One entry per warning (``"WARNING gexnb.x: ..."``, ``"ERROR gexnb.x: ..."`` or
        ``"UserWarning: ..."``); empty when the notebook cannot be read.
    """
    import nbformat

    try:
        notebook = nbformat.read(os.fspath(executed), as_version=4)
    except (OSError, ValueError):
        return []
    found: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream" or output.get("name") != "stderr":
                continue
            record: list[str] | None = None  # the gexnb warning whose further lines follow
            # a Python warning's lines so far, and the source line Python prints after them
            python_message: list[str] | None = None
            source_line: str | None = None
            for line in str(output.get("text", "")).splitlines():
                if record is not None and line.startswith("  "):
                    record.append(line[2:])
                    found[-1] = "\n".join(record)
                    continue
                record = None
                logged, python = _LOG_LINE.match(line), _PY_WARNING.match(line)
                if python_message is not None and not (logged or python):
                    # a message's further lines come as they are, up to its source line;
                    # without that line (not known, or not printed) only the first is taken
                    if line == source_line:
                        found[-1] = "\n".join(python_message)
                        python_message = None
                    else:
                        python_message.append(line)
                    continue
                python_message = None
                if logged and logged["level"] not in ("DEBUG", "INFO"):
                    record = [line]
                    found.append(line)
                elif python and _ours(python["file"]):
                    python_message = [python["text"]]
                    found.append(python["text"])
                    code = _source_line(python["file"], int(python["line"]), cell.source)
                    source_line = f"  {code}" if code else None
    return list(dict.fromkeys(found))


def _source_line(file: str, number: int, cell_source: str) -> str:
    """The code line Python prints (stripped, indented by two) after a warning reported at
    ``file``:``number``: a line of gexnb's file, or of the cell whose output holds it."""
    if _CELL_FILE.search(file):
        lines = cell_source.splitlines()
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""
    import linecache

    return linecache.getline(file, number).strip()


def warnings_heading(result_or_error: Any) -> str:
    """``<notebook>: 1 error and 2 warnings (also in <executed notebook>):`` for the console.

    Parameters
    ----------
    result_or_error
        A :class:`RunResult` or :class:`NotebookExecutionError` with its ``warnings``.

    Returns
    -------
    str
        The line that comes before the warnings themselves.
    """
    found = result_or_error.warnings
    errors = sum(w.startswith(("ERROR ", "CRITICAL ")) for w in found)
    counts = [(errors, "error"), (len(found) - errors, "warning")]
    said = " and ".join(f"{n} {what}{'s' if n > 1 else ''}" for n, what in counts if n)
    return f"{result_or_error.notebook}: {said} (also in {result_or_error.executed_path}):"


def prepare_notebook(
    notebook: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    project_dir: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """Write a copy of a notebook with a profile's parameters injected, nothing executed.

    The copy, ``<output_dir>/<stem>.ipynb``, is for exploring in JupyterLab: papermill's
    prepare-only mode adds an ``injected-parameters`` cell after the parameters cell, and the
    copy's ``output_dir`` is ``output_dir``, so its results land next to it. The shipped
    notebooks are never edited.

    Parameters
    ----------
    notebook
        Path, stem (``01_data_prep``) or number (``01``).
    output_dir
        Folder for the copy and, when it is run, its results (created).
    profile, overrides
        As for :func:`run_notebook`.
    project_dir
        Project folder; default: found from the current directory.
    force
        Overwrite an existing copy (which may hold the user's edits). The folder's lock is
        taken either way: a run or a kernel writing there refuses the copy.

    Returns
    -------
    pathlib.Path
        The prepared notebook.

    Raises
    ------
    InputError
        The copy exists and ``force`` is False; or an unknown notebook or profile.
    ParameterError
        An unknown parameter.
    RunLockedError
        A run or a JupyterLab kernel holds the folder.
    """
    import papermill

    project = find_project_dir(project_dir)
    path, params, out = resolve_parameters(
        notebook, profile=profile, overrides=overrides, output_dir=output_dir, project_dir=project
    )
    target = out / f"{path.stem}.ipynb"
    _register_atomic_io()
    ensure_output_dir(out)
    with OutputLock(out, what=f"gexnb prepare {path.stem} --profile {profile}"):
        if target.exists() and not force:
            raise InputError(
                "exists (it may hold your edits); remove it or use --force to overwrite",
                path=str(target),
            )
        papermill.execute_notebook(
            str(path),
            _ATOMIC_SCHEME + str(target),
            parameters=params,
            prepare_only=True,
            kernel_name=DEFAULT_KERNEL,
            language="python",
            progress_bar=False,
            log_output=False,
        )
    return target


# Papermill writes the executed notebook after every cell; through this I/O handler each
# write goes to a temporary name and is renamed, so the file on disk is always a valid
# notebook (also after Ctrl-C, a kill or a full disk).
_ATOMIC_SCHEME = "gexnb-atomic://"
#: papermill engine that writes the kernel process's stderr to :data:`KERNEL_LOG`.
_ENGINE = "gexnb"
#: Log of the kernel process (start-up and library messages) inside the run folder.
KERNEL_LOG = "kernel.log"


class _AtomicNotebookIO:
    """papermill I/O handler for ``gexnb-atomic://<path>``: atomic local writes."""

    @staticmethod
    def _local(path: str) -> str:
        return path[len(_ATOMIC_SCHEME) :] if path.startswith(_ATOMIC_SCHEME) else path

    @classmethod
    def read(cls, path: str) -> str:
        return Path(cls._local(path)).read_text(encoding="utf-8")

    @classmethod
    def write(cls, buf: str, path: str) -> None:
        write_text_atomic(cls._local(path), buf)

    @classmethod
    def listdir(cls, path: str) -> list[str]:
        local = cls._local(path)
        return [os.path.join(local, name) for name in os.listdir(local)]

    @classmethod
    def pretty_path(cls, path: str) -> str:
        return cls._local(path)


def _register_atomic_io() -> None:
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import papermill_io

    if not any(scheme == _ATOMIC_SCHEME for scheme, _ in papermill_io._handlers):
        papermill_io.register(_ATOMIC_SCHEME, _AtomicNotebookIO)

    class _QuietKernelEngine(NBClientEngine):
        """papermill's nbclient engine with the kernel process's own stderr in a log file.

        Cell output reaches the executed notebook through Jupyter messages either way; the
        kernel *process* stderr only carries start-up and library logs (ipykernel's transport
        warning, TensorFlow's CUDA/oneDNN lines), which went to the console on every run.
        """

        @classmethod
        def execute_managed_notebook(
            cls, nb_man: Any, kernel_name: str, kernel_log: str | None = None, **kwargs: Any
        ) -> Any:
            from papermill.clientwrap import PapermillNotebookClient

            if kernel_log is None:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            kwargs.pop("input_path", None)
            start_timeout = kwargs.pop("start_timeout", 60)
            execution_timeout = kwargs.pop("execution_timeout", None)
            kwargs.pop("timeout", None)
            kwargs.pop("startup_timeout", None)
            client = PapermillNotebookClient(
                nb_man,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                **kwargs,
            )
            with open(kernel_log, "ab") as stderr:
                return client.execute(stderr=stderr)

    papermill_engines.register(_ENGINE, _QuietKernelEngine)


def _kernel_processes() -> list[Any]:
    """Jupyter kernels started by this process (children running ``ipykernel``)."""
    import psutil

    kernels = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any("ipykernel" in part for part in child.cmdline()):
                kernels.append(child)
    return kernels


def _signal_kernels(signum: int) -> None:
    import psutil

    for kernel in _kernel_processes():
        with contextlib.suppress(psutil.Error):
            kernel.send_signal(signum)


def _interruptible(run: Any, *, notebook: str, executed_path: Path) -> Any:
    """Call ``run()`` so that SIGINT/SIGTERM stop the kernel and raise :class:`RunInterrupted`.

    Jupyter kernels run in their own session, so Ctrl-C in a terminal never reaches them, and
    nbclient turns the signal into a kernel shutdown that a busy kernel may ignore (the run
    then went on and exited 0). Here ``run`` executes in a worker thread while the main
    thread takes the signals: the first one interrupts the kernel (like JupyterLab's stop
    button: the cell raises ``KeyboardInterrupt`` and papermill saves the notebook up to
    there); a kernel still running after :data:`INTERRUPT_GRACE_SECONDS`, or a second signal,
    kills it.
    """
    _register_atomic_io()
    if threading.current_thread() is not threading.main_thread():
        return run()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = run()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    received: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        received.append(signum)
        _signal_kernels(signal.SIGINT if len(received) == 1 else signal.SIGKILL)

    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, on_signal) for s in handled}
    worker = threading.Thread(target=target, name=f"gexnb-{notebook}", daemon=True)
    try:
        worker.start()
        deadline: float | None = None
        while worker.is_alive():
            worker.join(0.2)
            if received and deadline is None:
                deadline = time.monotonic() + INTERRUPT_GRACE_SECONDS
            if deadline is not None and time.monotonic() > deadline:
                _signal_kernels(signal.SIGKILL)
                deadline = float("inf")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if received:
        partial = executed_path if executed_path.is_file() else None
        raise RunInterrupted(received[0], notebook=notebook, executed_path=partial)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@contextlib.contextmanager
def _managed_folder(out: Path, project: Path) -> Iterator[None]:
    """Tell the kernel that this runner owns ``out`` (see :func:`gexnb.rundir.begin_run`)
    and which project the run belongs to (:func:`gexnb.report.run_kind`: a run written
    outside the project lost its smoke-run banner, a new-user trial)."""
    told = {MANAGED_ENV: str(out), PROJECT_ENV: str(project)}
    previous = {name: os.environ.get(name) for name in told}
    os.environ.update(told)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _kernel_environment(**defaults: str) -> Iterator[None]:
    """Set environment defaults for the kernel a run starts, restoring ``os.environ`` after.

    The kernel inherits the environment; setting ``GEXNB_DATA`` only for the duration of the
    run keeps the calling process (a test session, a notebook) unchanged.
    """
    added = [name for name in defaults if name not in os.environ]
    for name in added:
        os.environ[name] = defaults[name]
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)

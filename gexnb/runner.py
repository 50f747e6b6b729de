"""Run the gexnb notebooks with papermill and named parameter profiles; collect the results.

A *project* is a folder holding ``notebooks/NN_name.ipynb`` and
``parameters/NN_name/<profile>.yaml``. A run of notebook ``NN_name`` with profile ``P``:

1. reads the notebook's cell tagged ``parameters`` (lines ``name: type = value  # comment``)
   to learn the valid parameter names, their types and defaults;
2. loads ``parameters/NN_name/P.yaml`` (a top-level mapping), expands ``${GEXNB_DATA}`` and
   other ``${VAR}`` environment variables in its string values (``GEXNB_DATA`` defaults to
   ``<project>/../shared/data``), and merges the ``-p key=value`` overrides (YAML-parsed);
3. refuses any name that is not in the parameters cell (papermill alone only warns) and values
   whose type does not match the declared one (:class:`~gexnb.errors.ParameterError`);
4. sets ``output_dir`` to ``runs/P/NN_name/`` (or a folder given by the user), checks that it is
   writable, and executes the notebook there with the ``gexnb`` Jupyter kernel, writing the
   executed notebook to ``runs/P/NN_name/NN_name.ipynb``;
5. after the runs, gathers every ``metrics.json`` (keys ``<model>/<split>/<metric>``) into
   ``runs/P/summary.csv`` with columns ``notebook, model, split, metric, value``.

A failing notebook raises :class:`NotebookExecutionError` naming the failing cell, the exception
and the executed notebook to open; :func:`run_all` reports it and goes on with the others.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import ensure_output_dir, read_metrics, write_table_atomic, write_text_atomic
from gexnb.rundir import (
    MANAGED_ENV,
    OutputLock,
    RunRecord,
    find_project_dir,
    read_manifest,
    remove_previous_outputs,
)

__all__ = [
    "PROFILES",
    "DEFAULT_KERNEL",
    "NotebookParameter",
    "NotebookExecutionError",
    "RunInterrupted",
    "RunResult",
    "find_project_dir",
    "list_notebooks",
    "resolve_notebook",
    "notebook_parameters",
    "list_profiles",
    "load_profile",
    "expand_env",
    "data_dir",
    "parse_override",
    "resolve_parameters",
    "run_notebook",
    "prepare_notebook",
    "run_all",
    "collect_summary",
    "write_summary",
    "format_summary",
]

#: Profiles every notebook ships (``quick``: synthetic CPU minutes; ``real``: data under
#: ``${GEXNB_DATA}``; ``paper``: the seeds' full-scale settings).
PROFILES = ("quick", "real", "paper")
#: Name of the Jupyter kernel that ``make install`` registers.
DEFAULT_KERNEL = "gexnb"
SUMMARY_COLUMNS = ["notebook", "model", "split", "metric", "value", "status", "run_started"]
#: Seconds a kernel gets to stop after an interrupt before it is killed.
INTERRUPT_GRACE_SECONDS = 10.0

_NOTEBOOK_PATTERN = re.compile(r"^\d\d_.+\.ipynb$")
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class NotebookExecutionError(GexnbError):
    """A notebook raised an exception in one of its cells.

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
        where = "" if cell_index is None else f" at cell {cell_index + 1}"
        if exec_count is not None:
            where += f" (In [{exec_count}])"
        super().__init__(
            f"notebook {notebook} failed{where}: {ename}: {evalue} (see {self.executed_path})"
        )


class RunInterrupted(GexnbError):
    """A run was stopped by SIGINT (Ctrl-C) or SIGTERM; the kernel was stopped.

    Attributes
    ----------
    signum
        The signal received.
    exit_code
        The conventional exit status: 128 + the signal number (130 for Ctrl-C, 143 for
        SIGTERM).
    executed_path
        The partial executed notebook (valid, up to the interrupted cell), if known.
    """

    def __init__(self, signum: int, *, notebook: str = "", executed_path: Path | None = None):
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
        self.notebook = notebook
        self.executed_path = executed_path
        name = signal.Signals(self.signum).name
        where = f" {notebook}" if notebook else ""
        partial = f"; partial notebook: {executed_path}" if executed_path else ""
        super().__init__(f"interrupted ({name}): stopped{where}{partial}")


@dataclass(frozen=True)
class NotebookParameter:
    """One line ``name: type = value  # comment`` of a notebook's parameters cell."""

    name: str
    type: str | None
    default: Any
    comment: str = ""


@dataclass
class RunResult:
    """Outcome of one notebook run (see :func:`run_notebook` and :func:`run_all`)."""

    notebook: str
    output_dir: Path
    executed_path: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: GexnbError | None = None

    @property
    def ok(self) -> bool:
        """True when the notebook ran to the end."""
        return self.error is None


# --------------------------------------------------------------------------- project layout


def list_notebooks(project_dir: str | os.PathLike) -> list[Path]:
    """Sorted paths of ``notebooks/NN_*.ipynb`` in ``project_dir``."""
    folder = Path(project_dir) / "notebooks"
    return sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_PATTERN.match(p.name))


def resolve_notebook(name: str | os.PathLike, project_dir: str | os.PathLike) -> Path:
    """Find a notebook by path, stem (``01_data_prep``) or number prefix (``01``).

    Raises
    ------
    InputError
        If nothing or more than one notebook matches.
    """
    text = str(name)
    path = Path(text)
    if path.suffix == ".ipynb" and path.is_file():
        return path.resolve()
    notebooks = list_notebooks(project_dir)
    stem = path.stem if path.suffix == ".ipynb" else text
    matches = [p for p in notebooks if p.stem == stem]
    if not matches:
        matches = [p for p in notebooks if p.stem.startswith(stem + "_") or p.stem[:2] == stem]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in notebooks) or "none"
        problem = "matches several notebooks" if matches else "is not a notebook"
        raise InputError(f"{text!r} {problem}; notebooks: {names}", path=str(project_dir))
    return matches[0]


# --------------------------------------------------------------------------- parameters


def notebook_parameters(notebook: str | os.PathLike) -> dict[str, NotebookParameter]:
    """Parameters declared in the cell tagged ``parameters`` of ``notebook``.

    Read with papermill's own parser (its Python translator's ``inspect``, which
    ``papermill.inspect_notebook`` uses: names, annotated types and the ``# comment`` of each
    line), without needing a kernel name in the notebook; each default must be a Python
    literal (``ast.literal_eval``).

    Returns
    -------
    dict
        Parameter name -> :class:`NotebookParameter`, in the order of the cell.

    Raises
    ------
    InputError
        If the file is not a notebook or has no cell tagged ``parameters``.
    ParameterError
        If the cell is not valid Python or a default is not a literal.
    """
    import nbformat
    from papermill.translators import PythonTranslator

    path = Path(notebook)
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read notebook ({exc})", path=str(path)) from exc
    cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        raise InputError("no code cell tagged 'parameters'", path=str(path))
    try:
        ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise ParameterError(f"{path}: parameters cell line {exc.lineno}: {exc.msg}") from exc
    found: dict[str, NotebookParameter] = {}
    for info in PythonTranslator.inspect(cells[0]):
        try:
            default = ast.literal_eval(info.default)
        except (ValueError, SyntaxError) as exc:
            raise ParameterError(
                f"{path}: default of parameter {info.name!r} is not a literal: {info.default}"
            ) from exc
        kind = info.inferred_type_name
        found[info.name] = NotebookParameter(
            info.name, None if kind in (None, "None") else kind, default, info.help or ""
        )
    return found


def list_profiles(project_dir: str | os.PathLike, notebook: str) -> list[str]:
    """Profiles available for ``notebook`` (stem): the YAML files in ``parameters/<stem>/``."""
    folder = Path(project_dir) / "parameters" / notebook
    return sorted(p.stem for p in folder.glob("*.yaml"))


def data_dir(project_dir: str | os.PathLike) -> Path:
    """``$GEXNB_DATA`` if set, else ``<project>/../shared/data``, as an absolute path."""
    value = os.environ.get("GEXNB_DATA")
    if value:
        return Path(value).expanduser().resolve()
    return (Path(project_dir).resolve().parent / "shared" / "data").resolve()


def expand_env(value: Any, env: Mapping[str, str]) -> Any:
    """Replace ``${NAME}`` in every string of ``value`` (nested lists/dicts too) by ``env[NAME]``.

    Raises
    ------
    ParameterError
        If a referenced variable is not defined.
    """
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ParameterError(f"environment variable {name} is not set (in {value!r})")
            return env[name]

        return _ENV_PATTERN.sub(substitute, value)
    if isinstance(value, list):
        return [expand_env(v, env) for v in value]
    if isinstance(value, dict):
        return {k: expand_env(v, env) for k, v in value.items()}
    return value


def load_profile(
    project_dir: str | os.PathLike,
    notebook: str,
    profile: str,
    *,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Read ``parameters/<notebook>/<profile>.yaml`` and expand environment variables.

    Parameters
    ----------
    project_dir
        Project folder.
    notebook
        Notebook stem (``01_data_prep``).
    profile
        Profile name (``quick``, ``real``, ``paper``).
    env
        Variables for ``${NAME}`` expansion; default: ``os.environ`` plus ``GEXNB_DATA``
        (see :func:`data_dir`).

    Raises
    ------
    ParameterError
        If the file is missing, is not valid YAML or is not a top-level mapping.
    """
    path = Path(project_dir) / "parameters" / notebook / f"{profile}.yaml"
    if not path.is_file():
        known = ", ".join(list_profiles(project_dir, notebook)) or "none"
        raise ParameterError(f"{path}: no profile {profile!r} for {notebook} (profiles: {known})")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({exc})") from exc
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise ParameterError(
            f"{path}: a profile must be a mapping of parameter names to values, "
            f"got {type(content).__name__}"
        )
    if env is None:
        env = {**os.environ, "GEXNB_DATA": str(data_dir(project_dir))}
    return {str(k): expand_env(v, env) for k, v in content.items()}


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value`` (a ``-p`` option); the value is parsed as YAML (``3``, ``0.5``,
    ``true``, ``[1, 2]``; anything else stays a string).

    Raises
    ------
    ParameterError
        If there is no ``=`` or the key is empty.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ParameterError(f"parameter override {text!r} does not read key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def _number_from_text(value: Any, kind: type) -> Any:
    """``"1e-3"`` -> 0.001 (YAML 1.1 reads exponents without a dot as strings)."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            return value
    return value


def _check_type(param: NotebookParameter, value: Any) -> Any:
    """Return ``value`` converted to the declared type where lossless; raise if it cannot be."""
    declared = (param.type or "").replace(" ", "")
    if not declared or value is None and ("None" in declared or "Optional" in declared):
        return value
    base = declared.split("[", 1)[0].split("|", 1)[0]
    ok = True
    if base == "str":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        ok = isinstance(value, str)
    elif base == "int":
        value = _number_from_text(value, int)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif base == "float":
        value = _number_from_text(value, float)
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        ok = isinstance(value, float)
    elif base == "bool":
        ok = isinstance(value, bool)
    elif base in ("list", "tuple"):
        if isinstance(value, tuple):
            value = list(value)
        ok = isinstance(value, list)
    elif base == "dict":
        ok = isinstance(value, dict)
    if not ok:
        raise ParameterError(
            f"parameter {param.name!r} expects {param.type}, got {value!r} ({type(value).__name__})"
        )
    return value


def resolve_parameters(
    notebook: str | os.PathLike,
    *,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    output_dir: str | os.PathLike | None = None,
    project_dir: str | os.PathLike | None = None,
    ignore_unknown_overrides: bool = False,
) -> tuple[Path, dict[str, Any], Path]:
    """Merge the profile and the overrides into the parameters of one run.

    Returns
    -------
    tuple
        ``(notebook path, parameters, output folder)``; ``parameters["output_dir"]`` is the
        absolute output folder.

    Raises
    ------
    ParameterError
        On an unknown name (the message lists the valid ones) or a value of the wrong type.
    InputError
        If the notebook is not found or the output folder is not writable.
    """
    project = find_project_dir(project_dir)
    path = resolve_notebook(notebook, project)
    stem = path.stem
    declared = notebook_parameters(path)
    valid = ", ".join(declared)
    values = load_profile(project, stem, profile)
    unknown = [k for k in values if k not in declared]
    if unknown:
        raise ParameterError(
            f"parameters/{stem}/{profile}.yaml: unknown parameter(s) {', '.join(unknown)} "
            f"for {stem}; valid names: {valid}"
        )
    for key, value in (overrides or {}).items():
        if key not in declared:
            if ignore_unknown_overrides:
                continue
            raise ParameterError(f"unknown parameter {key!r} for {stem}; valid names: {valid}")
        values[key] = value
    values = {k: _check_type(declared[k], v) for k, v in values.items()}
    if output_dir is None:
        out = project / "runs" / profile / stem
    else:
        out = Path(output_dir).expanduser().resolve()
    out = ensure_output_dir(out)
    if "output_dir" in declared:
        values["output_dir"] = str(out)
    return path, values, out


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
    kernel = kernel or os.environ.get("GEXNB_KERNEL") or DEFAULT_KERNEL
    _check_kernel(kernel)
    if progress_bar is None:
        progress_bar = sys.stderr.isatty()
    executed = out / f"{path.stem}.ipynb"
    start = time.perf_counter()
    with OutputLock(out, what=f"gexnb run {path.stem} --profile {profile}"):
        remove_previous_outputs(out)
        record = RunRecord(out, path.stem, profile, dict(params))
        record.write()
        try:
            with _kernel_environment(GEXNB_DATA=str(data_dir(project))), _managed_folder(out):
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
            record.finish("failed", error=str(error))
            raise error from None
        except RunInterrupted as exc:
            record.finish("interrupted", error=str(exc))
            raise
        except BaseException as exc:
            record.finish("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        record.finish("ok")
    return RunResult(path.stem, out, executed, params, time.perf_counter() - start)


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
    force
        Overwrite an existing copy (which may hold the user's edits).

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
    """
    import papermill

    project = find_project_dir(project_dir)
    path, params, out = resolve_parameters(
        notebook, profile=profile, overrides=overrides, output_dir=output_dir, project_dir=project
    )
    target = out / f"{path.stem}.ipynb"
    _register_atomic_io()
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
        def execute_managed_notebook(  # type: ignore[override]
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
def _managed_folder(out: Path) -> Iterator[None]:
    """Tell the kernel that this runner owns ``out`` (see :func:`gexnb.rundir.begin_run`)."""
    previous = os.environ.get(MANAGED_ENV)
    os.environ[MANAGED_ENV] = str(out)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MANAGED_ENV, None)
        else:
            os.environ[MANAGED_ENV] = previous


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


def run_all(
    *,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    project_dir: str | os.PathLike | None = None,
    notebooks: Sequence[str] | None = None,
    kernel: str | None = None,
    progress_bar: bool | None = None,
    runs_dir: str | os.PathLike | None = None,
    log: Any = None,
) -> list[RunResult]:
    """Run every notebook (or ``notebooks``) with ``profile``; a failure does not stop the rest.

    Each override applies to the notebooks that declare it; a name no notebook declares is
    refused. Results go to ``<runs_dir>/<stem>/`` (default ``<project>/runs/<profile>``) and the
    metrics are gathered in ``<runs_dir>/summary.csv`` (see :func:`write_summary`).

    Returns
    -------
    list of RunResult
        One per notebook; ``result.error`` holds the failure of a notebook that failed.
    """
    project = find_project_dir(project_dir)
    paths = (
        [resolve_notebook(n, project) for n in notebooks] if notebooks else list_notebooks(project)
    )
    if not paths:
        raise InputError("no notebooks (notebooks/NN_*.ipynb) found", path=str(project))
    overrides = dict(overrides or {})
    declared = {p.stem: notebook_parameters(p) for p in paths}
    for key in overrides:
        if not any(key in params for params in declared.values()):
            valid = sorted({name for params in declared.values() for name in params})
            raise ParameterError(
                f"unknown parameter {key!r}: no notebook declares it; valid names: "
                + ", ".join(valid)
            )
    root = Path(runs_dir).resolve() if runs_dir is not None else project / "runs" / profile
    log = log if log is not None else sys.stderr
    results: list[RunResult] = []
    try:
        for path in paths:
            print(f"[gexnb] running {path.stem} (profile {profile}) ...", file=log, flush=True)
            out = root / path.stem
            start = time.perf_counter()
            try:
                result = run_notebook(
                    path,
                    profile=profile,
                    overrides=overrides,
                    output_dir=out,
                    project_dir=project,
                    kernel=kernel,
                    progress_bar=progress_bar,
                    ignore_unknown_overrides=True,
                )
                print(f"[gexnb] {path.stem}: ok in {result.seconds:.1f} s", file=log, flush=True)
            except RunInterrupted as exc:
                results.append(
                    RunResult(
                        path.stem,
                        out,
                        out / f"{path.stem}.ipynb",
                        seconds=time.perf_counter() - start,
                        error=exc,
                    )
                )
                raise
            except Exception as exc:  # report every failure, then go on with the next notebook
                if not isinstance(exc, GexnbError):
                    exc = GexnbError(
                        f"notebook {path.stem} could not run: {type(exc).__name__}: {exc}"
                    )
                result = RunResult(
                    path.stem,
                    out,
                    out / f"{path.stem}.ipynb",
                    seconds=time.perf_counter() - start,
                    error=exc,
                )
                print(f"[gexnb] {path.stem}: FAILED: {exc}", file=log, flush=True)
            results.append(result)
    finally:  # the summary of this invocation only, also after an interrupt
        if results:
            write_summary(root, notebooks=[r.notebook for r in results])
    return results


# --------------------------------------------------------------------------- summary


def collect_summary(runs_dir: str | os.PathLike, *, notebooks: Iterable[str] | None = None) -> Any:
    """Gather ``<runs_dir>/<notebook>/metrics.json`` into a long DataFrame.

    Parameters
    ----------
    runs_dir
        Folder holding one run folder per notebook.
    notebooks
        Only these notebooks (default: every folder with a ``metrics.json`` or ``run.json``).

    Returns
    -------
    pandas.DataFrame
        Columns ``notebook, model, split, metric, value, status, run_started``, sorted;
        ``status`` and ``run_started`` come from each folder's ``run.json``. A notebook that
        failed or was interrupted before writing metrics gets one row with its status and
        empty model/split/metric, so it is never mistaken for an earlier success.

    Raises
    ------
    InputError
        If a metrics file is not valid JSON or a key does not read ``model/split/metric``.
    """
    import json

    import pandas as pd

    root = Path(runs_dir)
    if notebooks is None:
        folders = sorted(
            {p.parent for p in root.glob("*/metrics.json")}
            | {p.parent for p in root.glob("*/run.json")}
        )
    else:
        folders = [root / name for name in notebooks]
    rows: list[dict[str, Any]] = []
    for folder in folders:
        manifest = read_manifest(folder) or {}
        status = manifest.get("status") or "unknown"
        started = manifest.get("started") or ""
        path = folder / "metrics.json"
        metrics: dict[str, Any] = {}
        if path.is_file():
            try:
                metrics = read_metrics(path)
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"cannot read metrics ({exc})", path=str(path)) from exc
        for key, value in metrics.items():
            parts = str(key).split("/")
            if len(parts) != 3:
                raise InputError(
                    f"metric key {key!r} does not read model/split/metric", path=str(path)
                )
            model, split, metric = parts
            rows.append(
                {
                    "notebook": folder.name,
                    "model": model,
                    "split": split,
                    "metric": metric,
                    "value": float("nan") if value is None else float(value),
                    "status": status,
                    "run_started": started,
                }
            )
        if not metrics and status != "ok":
            rows.append(
                dict.fromkeys(SUMMARY_COLUMNS, "")
                | {"notebook": folder.name, "value": float("nan"), "status": status}
                | {"run_started": started}
            )
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return frame.sort_values(SUMMARY_COLUMNS[:4], kind="stable").reset_index(drop=True)


def write_summary(runs_dir: str | os.PathLike, *, notebooks: Iterable[str] | None = None) -> Path:
    """Write :func:`collect_summary` to ``<runs_dir>/summary.csv`` atomically."""
    frame = collect_summary(runs_dir, notebooks=notebooks)
    return write_table_atomic(Path(runs_dir) / "summary.csv", frame, index=False)


def format_summary(frame: Any, *, notebooks: Iterable[str] | None = None) -> str:
    """Readable pivot of a summary: one table (models x metrics) per notebook and split."""
    if frame is None or len(frame) == 0:
        return "(no metrics)"
    import pandas as pd

    wanted = set(notebooks) if notebooks is not None else None
    blocks: list[str] = []
    if "status" in frame:
        runs = frame.drop_duplicates("notebook").set_index("notebook")["status"]
        for notebook, status in runs.items():
            shown = wanted is None or notebook in wanted
            if shown and status not in ("ok", "ended", "", "unknown"):
                blocks.append(f"== {notebook}: {str(status).upper()} (its metrics are partial) ==")
        frame = frame[frame["metric"].astype(str) != ""]
    with pd.option_context(
        "display.width", 160, "display.max_columns", 30, "display.float_format", "{:.4g}".format
    ):
        for (notebook, split), group in frame.groupby(["notebook", "split"], sort=True):
            if wanted is not None and notebook not in wanted:
                continue
            table = group.pivot_table(
                index="model", columns="metric", values="value", aggfunc="first"
            )
            table.columns.name = None
            if table.shape[1] > 8 and table.shape[1] > table.shape[0]:
                table = table.T  # many metrics, few models: metrics as rows
                table.index.name = "metric"
            blocks.append(f"== {notebook} / {split} ==\n{table.to_string()}")
    return "\n\n".join(blocks) if blocks else "(no metrics)"

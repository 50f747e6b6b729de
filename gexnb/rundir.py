"""A run owns its output folder: a lock, a manifest (``run.json``) and no stale results.

Every notebook run (through :mod:`gexnb.runner`, or a notebook started in JupyterLab that
calls :func:`begin_run`) goes through three steps:

1. **Lock.** :class:`OutputLock` takes ``<output_dir>/.gexnb.lock`` (an exclusive
   ``flock``, released by the operating system when the process dies). A second run into the
   same folder is refused at once with a message naming the holder (pid, host, start time);
   a lock file left by a process that is gone is taken over with a note.
2. **Clean.** The results an earlier run listed in its ``run.json`` (and any
   ``metrics.json``) leave the folder before the run starts, so nothing stale survives: a
   re-run with fewer models reports only those models. They are set aside in
   ``previous_run/`` (:data:`PREVIOUS_DIR`, replacing an older one), so that a re-run that
   stops on bad input does not cost the last results, and removed when the new run ends
   ``ok``. Training checkpoints (``best.keras``, ``last.keras``, ``last.json``,
   ``history.*``) go aside too, unless the run resumes (its ``resume`` parameter is true):
   then they stay for :func:`gexnb.train.fit` to continue from, those of models the run no
   longer trains included.
3. **Manifest.** ``run.json`` records the notebook, profile, parameters, package versions,
   host, pid, start and end time, status (``running``, ``ok``, ``failed``, ``interrupted``;
   ``ended`` for a JupyterLab session, see :func:`begin_run`),
   the error if any and the files the run wrote. It is written atomically at the start and
   at the end.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import errno
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import socket
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import (
    CHECKPOINT_FILES,
    is_temporary_name,
    pid_alive,
    write_json_atomic,
)

try:  # POSIX advisory locks; elsewhere the pid in the lock file is checked instead
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "CHECKPOINT_NAMES",
    "RunLockedError",
    "OutputLock",
    "RunRecord",
    "package_versions",
    "previous_outputs",
    "remove_previous_outputs",
    "remove_set_aside",
    "check_run_folder",
    "is_run_folder",
    "kept_checkpoints",
    "good_run",
    "set_aside_results",
    "PREVIOUS_DIR",
    "resumes",
    "written_files",
    "read_manifest",
    "begin_run",
    "find_project_dir",
    "interactive_output_dir",
    "MANAGED_ENV",
]

#: Lock file inside a run's output folder.
LOCK_NAME = ".gexnb.lock"
#: Manifest of a run inside its output folder.
MANIFEST_NAME = "run.json"
#: Subfolder of a run folder holding the earlier run's results while a new run goes on
#: (:func:`remove_previous_outputs` with ``aside``); it has that run's ``run.json``.
PREVIOUS_DIR = "previous_run"
#: Statuses of a run that ended without an error (``ended``: a JupyterLab session's).
GOOD_STATUSES = ("ok", "ended")
#: Files :func:`gexnb.train.fit` owns (kept for ``resume=True``; it clears them itself).
CHECKPOINT_NAMES = frozenset(CHECKPOINT_FILES)
#: Packages whose versions a manifest records.
VERSION_PACKAGES = (
    "gexnb",
    "keras",
    "tensorflow",
    "jax",
    "torch",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "papermill",
)


class RunLockedError(GexnbError):
    """Another live run holds the output folder."""


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _describe_holder(info: Mapping[str, Any]) -> str:
    pid = info.get("pid", "?")
    host = info.get("host", "?")
    started = info.get("started", "?")
    what = info.get("what") or "a gexnb run"
    return f"{what} (pid {pid} on {host}, started {started})"


class OutputLock:
    """Exclusive lock on a run's output folder (``<output_dir>/.gexnb.lock``).

    Parameters
    ----------
    output_dir
        The run folder (must exist).
    what
        Short description of the holder written into the lock, e.g. ``"gexnb run 03"``.
    log
        Stream for the note printed when a stale lock is taken over (default stderr).

    Raises
    ------
    RunLockedError
        From :meth:`acquire` when a live process holds the folder.

    Examples
    --------
    >>> with OutputLock(folder, what="gexnb run 03"):  # doctest: +SKIP
    ...     run()
    """

    def __init__(
        self, output_dir: str | os.PathLike, *, what: str = "", log: TextIO | None = None
    ) -> None:
        self.path = Path(output_dir) / LOCK_NAME
        self.what = what
        self.log = log
        self._fd: int | None = None
        self.taken_over: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> OutputLock:
        """Take the lock, or raise :class:`RunLockedError` naming the live holder.

        Returns
        -------
        OutputLock
            This lock, now held (so that ``lock = OutputLock(folder).acquire()`` works).
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                raise RunLockedError(
                    f"{self.path.parent}: output folder is in use by "
                    f"{_describe_holder(self._read())}; wait for it, stop it, or choose "
                    f"another output folder"
                ) from None
        previous = self._read()
        if previous:
            pid = int(previous.get("pid") or 0)
            same_host = previous.get("host") == socket.gethostname()
            if fcntl is None and same_host and pid != os.getpid() and pid_alive(pid):
                os.close(fd)
                raise RunLockedError(
                    f"{self.path.parent}: output folder is in use by {_describe_holder(previous)}"
                )
            self.taken_over = previous
            print(
                f"[gexnb] note: taking over a stale lock on {self.path.parent} left by "
                f"{_describe_holder(previous)}, which is no longer running",
                file=self.log if self.log is not None else sys.stderr,
                flush=True,
            )
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _now(),
            "what": self.what,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and release the lock (idempotent)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def package_versions(packages: Iterable[str] = VERSION_PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` (those not installed are left out) and Python's.

    Parameters
    ----------
    packages
        Distribution names (default :data:`VERSION_PACKAGES`).

    Returns
    -------
    dict
        Name -> version string; ``"python"`` first.
    """
    versions = {"python": platform.python_version()}
    for name in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    return versions


def previous_outputs(output_dir: str | os.PathLike) -> list[Path]:
    """Result files an earlier run left in ``output_dir`` (to remove before a new run).

    These are the files listed in the earlier ``run.json``, every ``metrics.json`` and the
    earlier manifest itself, plus temporary files of killed writers; never the training
    checkpoints (:data:`CHECKPOINT_NAMES`), which :func:`gexnb.train.fit` manages.

    Parameters
    ----------
    output_dir
        The run folder.

    Returns
    -------
    list of pathlib.Path
        Existing files, sorted; none inside ``previous_run/`` (:data:`PREVIOUS_DIR`).
    """
    out = Path(output_dir)
    return _previous_outputs(out, _listed_files(out, read_manifest(out)))


def _previous_outputs(out: Path, listed: list[Path] | None) -> list[Path]:
    """:func:`previous_outputs` from the earlier run's listed files (:func:`_listed_files`;
    None: not a gexnb run folder)."""
    found = set(listed or [])
    if listed is not None:  # the earlier run's manifest and metrics (not a user's own)
        found |= {out / MANIFEST_NAME, out / "metrics.json"}
    for path in out.rglob("*"):
        if is_temporary_name(path.name):
            found.add(path)
    aside = out / PREVIOUS_DIR
    return sorted(
        p
        for p in found
        if p.name not in CHECKPOINT_NAMES and p.is_file() and not p.is_relative_to(aside)
    )


def is_run_folder(output_dir: str | os.PathLike) -> bool:
    """Whether ``output_dir`` holds a ``run.json`` that gexnb wrote (notebook, status and
    versions in it), not one of another tool's.

    Parameters
    ----------
    output_dir
        The folder.

    Returns
    -------
    bool
    """
    return _is_gexnb_manifest(read_manifest(output_dir))


def _is_gexnb_manifest(manifest: Any) -> bool:
    return isinstance(manifest, dict) and {"notebook", "status", "versions"} <= set(manifest)


def _listed_files(out: Path, earlier: Any) -> list[Path] | None:
    """The files the earlier gexnb run in ``out`` (its manifest ``earlier``) listed in its
    ``run.json`` (a run killed before it could list them: what was written since it
    started), inside ``out``; None when ``earlier`` is not a gexnb manifest."""
    if not _is_gexnb_manifest(earlier):
        return None
    try:
        listed = [str(name) for name in earlier.get("files") or []]
        if earlier.get("status") == "running" and earlier.get("start_epoch"):
            listed += written_files(out, float(earlier["start_epoch"]))
    except (TypeError, ValueError):
        listed = []
    found = []
    for name in listed:
        rel = Path(name)
        if not rel.is_absolute() and ".." not in rel.parts:  # never outside the folder
            found.append(out / rel)
    return found


def check_run_folder(output_dir: str | os.PathLike, *, executed: Path | None = None) -> None:
    """Refuse a folder whose files a run would take for an earlier run's and replace.

    Parameters
    ----------
    output_dir
        The run folder.
    executed
        The executed notebook the run will write (``gexnb run``), if any.

    Raises
    ------
    InputError
        A ``run.json`` that gexnb did not write, a ``metrics.json`` without gexnb's
        ``run.json`` (the run would merge its metrics into it), or an ``executed`` notebook
        that no earlier run wrote (one of ``gexnb prepare``, maybe with the user's edits).
    """
    out = Path(output_dir)
    gexnb_folder = is_run_folder(out)
    if (out / MANIFEST_NAME).exists() and not gexnb_folder:
        raise InputError(
            "a run.json gexnb did not write: this folder is not a gexnb run folder; give the "
            "run another folder (-o)",
            path=out / MANIFEST_NAME,
        )
    if (out / "metrics.json").exists() and not gexnb_folder:
        raise InputError(
            "a metrics.json without gexnb's run.json: the run would merge its metrics into it; "
            "give the run another folder (-o), or move the file",
            path=out / "metrics.json",
        )
    if executed is not None and executed.exists() and executed not in previous_outputs(out):
        raise InputError(
            "exists and no earlier run wrote it (a notebook of gexnb prepare, maybe with your "
            "edits): gexnb run would replace it; run it in JupyterLab, or give another -o",
            path=executed,
        )


def kept_checkpoints(output_dir: str | os.PathLike) -> list[str]:
    """The training checkpoints the earlier run in ``output_dir`` listed that still exist
    (relative paths): a resumed run continues from them, and lists them as its own.

    Parameters
    ----------
    output_dir
        The run folder, before :func:`remove_previous_outputs`.

    Returns
    -------
    list of str
    """
    out = Path(output_dir)
    return sorted(
        p.relative_to(out).as_posix()
        for p in _listed_files(out, read_manifest(out)) or []
        if p.name in CHECKPOINT_NAMES and p.is_file()
    )


def remove_previous_outputs(
    output_dir: str | os.PathLike,
    *,
    checkpoints: bool = False,
    aside: bool = False,
    keep_notebooks: bool = False,
) -> list[Path]:
    """Delete :func:`previous_outputs` and return what was removed.

    With ``checkpoints`` the training checkpoints (:data:`CHECKPOINT_NAMES`) the earlier
    run listed go too, with the folders they leave empty: a run that does not resume trains
    every model from scratch, and one it no longer trains must not leave its checkpoints
    behind. Checkpoints no gexnb run listed (a model of the user's own) are never touched.
    With ``aside`` the results (not the checkpoints, which are deleted: at paper scale they
    are gigabytes, and a run that does not resume would not read them) are moved, at the
    same relative paths, into ``<output_dir>/previous_run/`` (:data:`PREVIOUS_DIR`) instead
    of deleted, when the earlier run ended without an error (:func:`good_run`; an older
    ``previous_run/`` is removed first, :func:`remove_set_aside`); the results of an earlier
    run that failed are deleted, and a ``previous_run/`` of the last good run stays.
    Temporary files of killed writers are deleted either way.

    Parameters
    ----------
    output_dir
        The run folder.
    checkpoints
        Also remove (or set aside) the training checkpoints.
    aside
        Move the results into ``previous_run/`` instead of deleting them (as above).
    keep_notebooks
        Leave ``.ipynb`` files and ``.ipynb_checkpoints/`` alone: a JupyterLab run's folder
        may hold the notebook the user has open (one of ``gexnb prepare``).

    Returns
    -------
    list of pathlib.Path
        The removed files, at their former paths.
    """
    out = Path(output_dir)
    earlier = read_manifest(out)
    listed = _listed_files(out, earlier)  # read once: previous_run/ may take run.json away
    if aside:  # only a good run's results, into a previous_run/ of gexnb's own
        good = good_run(earlier)
        if good:  # else the set-aside results stay: the last good run's
            remove_set_aside(out)
        aside = good and not (out / PREVIOUS_DIR).exists()
        if good and not aside:
            warnings.warn(
                f"{out / PREVIOUS_DIR} is not gexnb's: the earlier run's results are deleted, "
                "not set aside (rename that folder to keep them next time)",
                stacklevel=2,
            )
    targets = _previous_outputs(out, listed)
    if keep_notebooks:
        targets = [p for p in targets if not _is_notebook(p.relative_to(out).as_posix())]
    if checkpoints:
        targets += [p for p in listed or [] if p.name in CHECKPOINT_NAMES and p.is_file()]
    removed = []
    for path in targets:
        with contextlib.suppress(FileNotFoundError):
            if aside and not is_temporary_name(path.name) and path.name not in CHECKPOINT_NAMES:
                kept = out / PREVIOUS_DIR / path.relative_to(out)
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, kept)  # a rename; a copy across file systems (a mount)
            else:
                path.unlink()
            removed.append(path)
    folders = {p.parent for p in removed if p.parent != out}
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        for empty in (folder, *folder.parents):
            if empty == out or not empty.is_relative_to(out):
                break
            try:
                empty.rmdir()  # only if empty
            except OSError:
                break
    return removed


def good_run(manifest: Mapping[str, Any] | None) -> bool:
    """Whether a ``run.json`` is that of a run that ended without an error: status ``ok``,
    or ``ended`` (a JupyterLab session) with no cell that raised.

    Parameters
    ----------
    manifest
        The manifest (:func:`read_manifest`), or None.

    Returns
    -------
    bool
    """
    if not manifest:
        return False
    return manifest.get("status") in GOOD_STATUSES and not manifest.get("error")


def set_aside_results(output_dir: str | os.PathLike) -> Path | None:
    """``<output_dir>/previous_run/`` when it holds a good earlier run's results
    (:func:`good_run`), else None: what a failed run's message may point to.

    Parameters
    ----------
    output_dir
        The run folder.

    Returns
    -------
    pathlib.Path or None
    """
    aside = Path(output_dir) / PREVIOUS_DIR
    return aside if good_run(read_manifest(aside)) else None


def _is_notebook(relative: str) -> bool:
    """A notebook or JupyterLab's checkpoint of one (a path relative to the run folder)."""
    return relative.endswith(".ipynb") or ".ipynb_checkpoints" in relative.split("/")


def remove_set_aside(output_dir: str | os.PathLike) -> bool:
    """Delete ``<output_dir>/previous_run/`` (:data:`PREVIOUS_DIR`) if gexnb made it (it holds
    a ``run.json``; a folder of the user's with that name is left alone). Returns whether it
    was removed.

    Parameters
    ----------
    output_dir
        The run folder.

    Returns
    -------
    bool
        True if ``previous_run/`` was there and is now gone.
    """
    aside = Path(output_dir) / PREVIOUS_DIR
    if not (aside / MANIFEST_NAME).is_file():
        return False
    shutil.rmtree(aside, ignore_errors=True)
    return not aside.exists()


def resumes(parameters: Mapping[str, Any]) -> bool:
    """True when a notebook's parameters ask it to continue from its checkpoints.

    Parameters
    ----------
    parameters
        The notebook's parameter values; its ``resume`` value decides (absent: False).

    Returns
    -------
    bool
        Whether ``parameters["resume"]`` is true.
    """
    return bool(parameters.get("resume"))


def written_files(output_dir: str | os.PathLike, since: float) -> list[str]:
    """Files under ``output_dir`` modified at or after ``since`` (relative, sorted).

    Parameters
    ----------
    output_dir
        The run folder; its lock file, temporary files and ``previous_run/`` are left out.
    since
        POSIX timestamp (seconds); files modified up to one second earlier count too.

    Returns
    -------
    list of str
        Paths relative to ``output_dir``, with ``/`` separators.
    """
    out = Path(output_dir)
    aside = out / PREVIOUS_DIR
    files = []
    for path in out.rglob("*"):
        if not path.is_file() or path.name == LOCK_NAME or is_temporary_name(path.name):
            continue
        if path.is_relative_to(aside):
            continue
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= since - 1.0:
                files.append(path.relative_to(out).as_posix())
    return sorted(files)


def input_files(parameters: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The files a run's parameters name, with their size and modification time: what
    ``run.json`` records, so that a sweep does not take a point run on another version of
    its input file for a current one (a reviewer's finding).

    Parameters
    ----------
    parameters
        Parameter values (nested mappings and lists are searched); every string naming an
        existing file counts, ``output_dir`` excepted.

    Returns
    -------
    dict
        Absolute path -> ``{"size": bytes, "mtime_ns": ...}``, sorted by path.
    """
    found: dict[str, dict[str, int]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, str) and value and len(value) < 4096:
            with contextlib.suppress(OSError, ValueError):
                path = Path(value)
                if path.is_file():
                    stat = path.stat()
                    found[str(path.resolve())] = {
                        "size": int(stat.st_size), "mtime_ns": int(stat.st_mtime_ns)
                    }  # fmt: skip

    visit({k: v for k, v in parameters.items() if k != "output_dir"})
    return dict(sorted(found.items()))


@functools.cache
def code_digest() -> str:
    """A digest of the gexnb package's source (every ``.py`` file under it, with its path),
    recorded in ``run.json`` so that a sweep re-runs a point made by other code.

    Returns
    -------
    str
        16 hexadecimal digits (BLAKE2b), computed once per process.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class RunRecord:
    """The manifest of one run, written to ``<output_dir>/run.json``.

    Parameters
    ----------
    output_dir, notebook, profile, parameters, status, error, started, finished, seconds
        See Attributes.
    files, start_time, last_error, interrupted, kept
        See Attributes.

    Attributes
    ----------
    output_dir
        The run folder.
    notebook, profile
        What ran (``profile`` is ``"interactive"`` for a JupyterLab session).
    parameters
        The parameter values the notebook ran with.
    status
        ``running``, ``ok``, ``failed`` or ``interrupted``.
    error
        The error of a failed run, else None.
    started, finished
        Start and end time (ISO 8601 with the time zone, to the second); ``finished`` is
        None until :meth:`finish`.
    seconds
        Duration of the run, None until :meth:`finish`.
    files
        Files the run wrote, relative to ``output_dir`` (:func:`written_files`, without
        ``run.json``), set by :meth:`finish`.
    start_time
        Start as a POSIX timestamp (``start_epoch`` in ``run.json``).
    last_error
        The error of the last cell the kernel ran (interactive runs; None after a success).
    interrupted
        Whether that error was a ``KeyboardInterrupt``.
    kept
        Checkpoints of the earlier run that a resumed run continues from
        (:func:`kept_checkpoints`): listed as this run's files.

    Files that were in the folder when the record was made (the user's own; the earlier
    run's results have left by then) are never listed, even if changed during the run, so
    that no later run sets them aside or removes them; :attr:`kept` excepted.
    """

    output_dir: Path
    notebook: str
    profile: str
    parameters: dict[str, Any]
    status: str = "running"
    error: str | None = None
    started: str = field(default_factory=_now)
    finished: str | None = None
    seconds: float | None = None
    files: list[str] = field(default_factory=list)
    start_time: float = field(default_factory=lambda: _dt.datetime.now().timestamp())
    #: The error of the last cell the kernel ran (interactive runs; None after a success).
    last_error: str | None = field(default=None, repr=False)
    #: The error of the first cell of the run that raised (interactive runs).
    first_error: str | None = field(default=None, repr=False, init=False)
    kept: list[str] = field(default_factory=list, repr=False)
    #: Files in the folder when the record was made (relative paths), never listed.
    preexisting: frozenset[str] = field(default=frozenset(), repr=False, init=False)
    #: The input files of the parameters when the record was made (:func:`input_files`).
    inputs: dict[str, dict[str, int]] = field(default_factory=dict, repr=False, init=False)

    def __post_init__(self) -> None:
        self.inputs = input_files(self.parameters or {})
        out = Path(self.output_dir)
        self.preexisting = frozenset(
            p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
        )

    interrupted: bool = field(default=False, repr=False)

    def end(self) -> None:
        """Record an interactive run's end: ``failed`` (or ``interrupted``) when the last
        cell the kernel ran raised (a papermill run stops there), else ``ended``."""
        if self.last_error is None:  # a cell that raised earlier is kept as the error, so
            # that the run does not count as good (its results may lack what that cell made)
            earlier = self.first_error
            self.finish("ended", error=None if earlier is None else f"a cell raised {earlier}")
        else:
            self.finish("interrupted" if self.interrupted else "failed", error=self.last_error)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of the manifest.

        Returns
        -------
        dict
            The fields above (``start_time`` as ``start_epoch``), the host, the pid,
            :func:`package_versions`, the :func:`code_digest` (``code``) and the input files
            (``inputs``, :func:`input_files`).
        """
        return {
            "notebook": self.notebook,
            "profile": self.profile,
            "status": self.status,
            "error": self.error,
            "parameters": self.parameters,
            "started": self.started,
            "start_epoch": self.start_time,
            "finished": self.finished,
            "seconds": self.seconds,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "versions": package_versions(),
            "code": code_digest(),
            "inputs": self.inputs,
            "files": self.files,
        }

    def write(self) -> Path:
        """Write ``run.json`` atomically.

        Returns
        -------
        pathlib.Path
            ``<output_dir>/run.json``.
        """
        return write_json_atomic(Path(self.output_dir) / MANIFEST_NAME, self.as_dict())

    def finish(self, status: str, *, error: str | None = None, write: bool = True) -> None:
        """Record the end of the run (status, error, end time, files written). A run that
        ended without an error removes the earlier run's results it had set aside
        (:func:`remove_set_aside`).

        Parameters
        ----------
        status
            ``ok``, ``failed``, ``interrupted`` or ``ended``.
        error
            The error message, for a run that did not end well.
        write
            Write ``run.json`` afterwards.
        """
        if status in GOOD_STATUSES and error is None:
            remove_set_aside(self.output_dir)
        self.status = status
        self.error = error
        self.finished = _now()
        self.seconds = round(_dt.datetime.now().timestamp() - self.start_time, 3)
        kept = [f for f in self.kept if (Path(self.output_dir) / f).is_file()]
        self.files = sorted(
            {
                f
                for f in written_files(self.output_dir, self.start_time)
                if f != MANIFEST_NAME
                and f not in self.preexisting
                and not (self.profile == "interactive" and _is_notebook(f))
            }  # a JupyterLab run's own notebook, saved in the folder, is the user's
            | set(kept)
        )
        if write:
            self.write()


def read_manifest(output_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The ``run.json`` of a run folder, or None when there is none (or it is unreadable).

    Parameters
    ----------
    output_dir
        The run folder.

    Returns
    -------
    dict or None
        The manifest (see :meth:`RunRecord.as_dict`).
    """
    path = Path(output_dir) / MANIFEST_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


#: Environment variable the runner sets for the kernel: the folder it already owns.
MANAGED_ENV = "GEXNB_RUN_DIR"

#: Environment variable the runner sets for the kernel: the project the run belongs to (the
#: kernel runs in the output folder, which may lie outside it: ``gexnb run -o /elsewhere``).
PROJECT_ENV = "GEXNB_PROJECT_DIR"

_interactive: dict[Path, tuple[OutputLock, RunRecord]] = {}


def find_project_dir(start: str | os.PathLike | None = None) -> Path:
    """Return the project folder: ``start`` (default: cwd) or its nearest parent holding
    both ``notebooks/`` and ``parameters/``.

    Parameters
    ----------
    start
        Folder to start from (default: the working directory).

    Returns
    -------
    pathlib.Path
        The project folder, resolved.

    Raises
    ------
    InputError
        If no such folder is found.
    """
    here = Path(start if start is not None else os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "notebooks").is_dir() and (candidate / "parameters").is_dir():
            return candidate
    raise InputError(
        "no gexnb project here: no folder with notebooks/ and parameters/ in it or its parents "
        "(use --project-dir)",
        path=str(here),
    )


def interactive_output_dir(notebook: str, start: str | os.PathLike | None = None) -> Path:
    """``<project>/runs/interactive/<notebook>``: where a notebook run from JupyterLab writes.

    The project is found from ``start`` (default: the kernel's working folder, the
    notebook's folder in JupyterLab) as in :func:`find_project_dir`; outside a project, the
    folder is ``runs/interactive/<notebook>`` under ``start``.

    Parameters
    ----------
    notebook
        Notebook stem, e.g. ``"03_landmark_models"``.
    start
        Folder to search the project from (default: the working directory).

    Returns
    -------
    pathlib.Path
        The folder (not created).
    """
    try:
        root = find_project_dir(start)
    except InputError:
        root = Path(start if start is not None else os.getcwd()).resolve()
    return root / "runs" / "interactive" / notebook


#: Marks the handler :func:`show_gexnb_messages` adds, so that a second call replaces it.
_NOTEBOOK_HANDLER = "gexnb-notebook"


class _IndentingFormatter(logging.Formatter):
    """``LEVEL name: message`` with a message's further lines indented by two spaces, so that
    :func:`gexnb.runner.notebook_warnings` tells them from other programs' lines."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\n  ")


def show_gexnb_messages(level: int = logging.INFO) -> None:
    """Show gexnb's log messages of ``level`` and above in the notebook (its stderr), in
    every notebook alike: the choices gexnb makes and says it logs (a column taken as the
    expression, genes matched without their Ensembl version, the model being fitted) would
    otherwise be dropped, since Python shows only warnings without a logging setup.

    Adds one handler to the ``gexnb`` logger (a second call replaces it) and sets that
    logger's level, unless logging is already configured: the root logger has a handler (the
    user's own ``logging.basicConfig``, pytest's capture), or the ``gexnb`` logger a level
    of its own; the user's setup then decides. The handler stays silent once the root
    logger has a handler (a ``basicConfig`` after the first cell), so no line is shown
    twice.

    Parameters
    ----------
    level
        The least level shown (``logging.INFO``).
    """
    logger = logging.getLogger("gexnb")
    ours = [h for h in logger.handlers if h.get_name() == _NOTEBOOK_HANDLER]
    for handler in ours:
        logger.removeHandler(handler)
    configured = logging.getLogger().handlers or (logger.level != logging.NOTSET and not ours)
    if configured:
        return
    logger.setLevel(level)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_NOTEBOOK_HANDLER)
    handler.setFormatter(_IndentingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(lambda record: not logging.getLogger().handlers)
    logger.addHandler(handler)


def begin_run(
    output_dir: str | os.PathLike,
    *,
    notebook: str = "",
    parameters: Mapping[str, Any] | None = None,
) -> Path:
    """Start a run in ``output_dir`` from a notebook; return the folder (created).

    Called by each notebook right after its parameters cell. Under ``gexnb run`` (or
    ``run-all``) the runner already owns the folder and this only creates it. In JupyterLab,
    where no runner is involved, it does what the runner does: takes the folder's lock for the
    kernel's lifetime, removes the results of the earlier run (an earlier Run All of the same
    kernel included) and writes ``run.json`` with profile ``interactive`` and status
    ``running``; the run is recorded at the next :func:`begin_run` into the folder or when
    the kernel exits, with the files it wrote and status ``ended``, or ``failed`` with the
    error when the last cell the kernel ran raised one (as in a plain papermill run that
    stopped on an error). Before it removes anything it refuses, as ``gexnb run`` does, a
    folder whose files are not an earlier gexnb run's (:func:`check_run_folder`: another
    tool's ``run.json``, a ``metrics.json`` of the user's) and an input path among the
    results it would set aside. In every mode the parameter values are first checked against the
    parameters cell's annotations (:func:`gexnb.runner.check_namespace`: plain papermill's
    ``-p`` text for a mapping or list is read as YAML). gexnb's INFO messages are shown in
    the notebook from here on (:func:`show_gexnb_messages`).

    Parameters
    ----------
    output_dir
        The notebook's ``output_dir`` parameter; ``""`` means
        :func:`interactive_output_dir` (``<project>/runs/interactive/<notebook>``, whatever
        the kernel's working folder).
    notebook
        Notebook name, for the manifest, the lock and the default folder.
    parameters
        The notebook's parameter values, for the manifest. Default: the values, in the
        caller's namespace, of the names annotated in its parameters cell (else those
        ``notebooks/<notebook>.ipynb`` declares; empty when neither is found).

    Returns
    -------
    pathlib.Path
        The output folder, created and resolved.

    Raises
    ------
    RunLockedError
        If another process (a batch run, another kernel) holds the folder.

    Examples
    --------
    >>> out = begin_run(output_dir, notebook="03_landmark_models")  # doctest: +SKIP
    """
    from gexnb.io import ensure_output_dir
    from gexnb.runner import check_namespace
    from gexnb.runner.project import check_inputs_outside_results

    show_gexnb_messages()
    namespace = sys._getframe(1).f_globals
    names: list[str] = []
    if parameters is None:
        names = _parameter_names(notebook, namespace)
        check_namespace(namespace, names=names)
    if not str(output_dir):
        if not notebook:
            raise ParameterError("begin_run needs the notebook name when output_dir is ''")
        output_dir = interactive_output_dir(notebook)
    out = ensure_output_dir(output_dir).resolve()
    managed = os.environ.get(MANAGED_ENV)
    if managed and Path(managed).resolve() == out:
        return out
    previous = _interactive.pop(out, None)
    if previous is not None:
        lock, record = previous
        record.end()
    else:
        lock = OutputLock(out, what=f"JupyterLab kernel running {notebook or 'a notebook'}")
        lock.acquire()
        _register_hooks()
    try:
        if parameters is None:
            parameters = {name: namespace[name] for name in names if name in namespace}
        if previous is None:  # this kernel's own earlier Run All is a gexnb run
            check_run_folder(out)
        check_inputs_outside_results(parameters, out)
        kept = kept_checkpoints(out) if resumes(parameters) else []
        remove_previous_outputs(
            out, checkpoints=not resumes(parameters), aside=True, keep_notebooks=True
        )
        record = RunRecord(out, notebook, "interactive", dict(parameters), kept=kept)
        record.write()
    except BaseException:  # no record: the folder must not stay locked by this kernel
        lock.release()
        raise
    _interactive[out] = (lock, record)
    return out


def _parameter_names(notebook: str, namespace: Mapping[str, Any]) -> list[str]:
    """The parameters ``notebook`` declares in its parameters cell: read from
    ``notebooks/<notebook>.ipynb`` of the project around the working folder, else of the
    project gexnb is installed from; else the names annotated in ``namespace`` (which also
    holds any annotation a user cell made in this kernel)."""
    from gexnb.runner import find_project_dir, notebook_parameters, resolve_notebook

    for start in (None, Path(__file__).resolve().parents[1]):
        try:
            return list(notebook_parameters(resolve_notebook(notebook, find_project_dir(start))))
        except Exception:  # not in a gexnb project, or no such notebook there
            continue
    return list(namespace.get("__annotations__") or {})


_hooks: list[bool] = []


def _register_hooks() -> None:
    """Once per process: end the interactive runs at exit, and watch each cell's outcome."""
    if not _hooks:
        atexit.register(_end_interactive_runs)
        _watch_cells()
        _hooks.append(True)


def _watch_cells() -> None:
    """Keep, for the interactive runs' records, the outcome of each cell the kernel runs."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def after_cell(result: Any) -> None:
        error = result.error_in_exec or result.error_before_exec
        for _, record in _interactive.values():
            record.last_error = None if error is None else f"{type(error).__name__}: {error}"
            record.interrupted = isinstance(error, KeyboardInterrupt)
            if error is not None and record.first_error is None:
                record.first_error = record.last_error

    shell.events.register("post_run_cell", after_cell)


def _end_interactive_runs() -> None:
    for lock, record in list(_interactive.values()):
        with contextlib.suppress(Exception):
            record.end()
        lock.release()
    _interactive.clear()

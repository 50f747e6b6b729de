"""Atomic output helpers shared by notebooks, training and the runner.

Every file gexnb writes goes to a temporary name in the same folder and is then renamed,
so an interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gexnb.errors import GexnbError, InputError

__all__ = [
    "atomic_path",
    "OutOfSpaceError",
    "is_out_of_space",
    "out_of_space",
    "is_temporary_name",
    "write_text_atomic",
    "write_json_atomic",
    "write_table_atomic",
    "write_metrics",
    "read_metrics",
    "ensure_output_dir",
    "METRIC_KEY_PATTERN",
    "CHECKPOINT_FILES",
]

#: Checkpoint files of :func:`gexnb.train.fit` in its output folder (best weights, the last
#: epoch with its state, the history), named here so that run folders
#: (:mod:`gexnb.rundir`) know them without importing Keras.
BEST_NAME = "best.keras"
LAST_NAME = "last.keras"
LAST_STATE_NAME = "last.json"
HISTORY_JSON = "history.json"
HISTORY_CSV = "history.csv"
#: Files :func:`gexnb.train.fit` owns (kept for ``resume=True``; it clears them itself).
CHECKPOINT_FILES = (BEST_NAME, LAST_NAME, LAST_STATE_NAME, HISTORY_JSON, HISTORY_CSV)

#: ``<model>/<split>/<metric>``, e.g. ``metformin_bigru/test/pearson`` (see DESIGN, contracts).
METRIC_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.+-]+/[A-Za-z0-9_.+-]+/[A-Za-z0-9_.+^-]+$")


def check_output_dir(path: str | os.PathLike) -> Path:
    """Check that ``path`` could be created and written to, creating nothing.

    Used where a run is checked before it starts (``gexnb run``, ``run-all``, ``sweep``,
    ``prepare``), so that a run refused for another reason leaves no empty folder behind.

    Parameters
    ----------
    path
        Output folder, existing or not.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputError
        If ``path`` or a folder above it is a file, or the nearest existing folder is not
        writable.
    """
    out = Path(path)
    blocker = next((p for p in (out, *out.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        what = "is a file, not a folder" if blocker == out else f"{blocker} is a file, not a folder"
        raise InputError(f"output folder: {what}", path=str(out))
    if blocker is not None and not os.access(blocker, os.W_OK | os.X_OK):
        raise InputError(
            f"output folder is not writable (Permission denied: {blocker})", path=str(out)
        )
    return out


def ensure_output_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and parents) and check that it is writable.

    Parameters
    ----------
    path
        Output folder; an existing one is kept as it is.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputError
        If the folder cannot be created or written to.
    """
    out = check_output_dir(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".gexnb-write-test-"):
            pass
    except OSError as exc:
        raise InputError(
            f"output folder is not writable ({exc.strerror or exc})", path=str(out)
        ) from exc
    return out


class OutOfSpaceError(GexnbError, OSError):
    """The disk (or quota) holding an output file is full; the message names the file."""


_NO_SPACE = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}


def is_out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) reports a full disk or quota.

    Parameters
    ----------
    exc
        The exception; its ``__cause__``/``__context__`` chain is followed too.

    Returns
    -------
    bool
        True for an :class:`OSError` with ``ENOSPC`` or ``EDQUOT``, or a message containing
        "no space left on device", anywhere in the chain.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_SPACE:
            return True
        if "no space left on device" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False


def out_of_space(path: str | os.PathLike) -> OutOfSpaceError:
    """The one-line error for a full disk while writing ``path`` (free space included).

    Parameters
    ----------
    path
        The file that could not be written.

    Returns
    -------
    OutOfSpaceError
        With ``errno.ENOSPC``; the free bytes are left out when the disk cannot be asked.
    """
    target = Path(path)
    try:
        free = shutil.disk_usage(target.parent if target.parent.exists() else ".").free
        tail = f" ({free:,} bytes free)"
    except OSError:
        tail = ""
    return OutOfSpaceError(errno.ENOSPC, f"{target}: no space left on device{tail}")


def _temporary_name(target: Path, suffix: str | None) -> Path:
    """A unique, not yet existing name next to ``target`` (hidden, with ``.tmp`` in it)."""
    ending = suffix if suffix is not None else "".join(target.suffixes)
    token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    return target.with_name(f".{target.name}.{token}.tmp{ending}")


def is_temporary_name(name: str) -> bool:
    """Whether ``name`` is a temporary file of :func:`atomic_path` (left by a killed writer).

    Parameters
    ----------
    name
        A file name, without its folder.

    Returns
    -------
    bool
        True if ``name`` has the form ``.<name>.<pid>-<12 hex digits>.tmp[<suffix>]``.
    """
    return _TEMPORARY_PATTERN.match(name) is not None


_TEMPORARY_PATTERN = re.compile(r"^\..+\.\d+-[0-9a-f]{12}\.tmp(\..*)?$")

#: A temporary file untouched this long, whose writer's process is gone, was left by a
#: killed writer (a live writer on another machine keeps touching its file).
STALE_TEMPORARY_SECONDS = 600.0


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files :func:`atomic_path` left next to ``path`` when its writer
    was killed (SIGKILL, a crash): those whose process no longer runs on this machine and
    that were not modified for :data:`STALE_TEMPORARY_SECONDS`. Returns what was removed."""
    target = Path(path)
    prefix = f".{target.name}."
    removed: list[Path] = []
    try:
        candidates = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    now = time.time()
    for candidate in candidates:
        if not is_temporary_name(candidate.name):
            continue
        pid = int(candidate.name[len(prefix) :].split("-", 1)[0])
        with contextlib.suppress(OSError):
            if pid_alive(pid) or now - candidate.stat().st_mtime < STALE_TEMPORARY_SECONDS:
                continue
            candidate.unlink()
            removed.append(candidate)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (another user's counts; so does one that
    cannot be asked about)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary path is not created in advance (writers create it, with the permissions
    of the user's umask, so colleagues sharing the folder can read the result) and keeps
    the suffix of ``path`` (or ``suffix``) so that writers that dispatch on the extension
    (``.keras``, ``.parquet``, ``.png``) still work. Its contents are flushed to disk before
    the rename. On an exception the temporary file is removed and ``path`` is left
    untouched; a full disk becomes :class:`OutOfSpaceError` naming ``path``.

    Parameters
    ----------
    path
        The final file (or folder); its parent folders are created.
    suffix
        Ending of the temporary name (default: all suffixes of ``path``, e.g. ``.tsv.gz``).

    Yields
    ------
    pathlib.Path
        The temporary path to write to.

    Raises
    ------
    OutOfSpaceError
        If the disk or quota is full.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if is_out_of_space(exc):
            raise out_of_space(target) from None
        raise
    tmp = _temporary_name(target, suffix)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        if isinstance(exc, Exception) and is_out_of_space(exc):
            raise out_of_space(target) from None
        raise
    finally:
        with contextlib.suppress(OSError):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp)
            else:
                tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a written file to disk (a no-op for folders and where fsync is unsupported)."""
    if not path.is_file():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise
    finally:
        os.close(fd)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path.

    Parameters
    ----------
    path
        The file to write.
    text
        Its contents, written as UTF-8.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (numpy scalars converted, NaN/inf as null), atomically.

    Parameters
    ----------
    path
        The file to write.
    obj
        JSON-serializable data; mappings (keys as strings), lists, tuples, paths and numpy
        scalars are converted; keys are sorted.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_text_atomic(path, json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n")


def write_table_atomic(path: str | os.PathLike, frame: Any, **kwargs: Any) -> Path:
    """Write a DataFrame to ``.tsv``/``.csv``/``.parquet`` (by extension), atomically.

    Parameters
    ----------
    path
        The file to write; ``.parquet``, ``.csv``, or tab-separated for ``.tsv``, ``.txt``
        and ``.tsv.gz``.
    frame
        A pandas DataFrame.
    **kwargs
        Passed to ``frame.to_parquet`` or ``frame.to_csv`` (e.g. ``index=False``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        If the extension is none of these.
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        name = target.name.lower()
        if name.endswith(".parquet"):
            frame.to_parquet(tmp, **kwargs)
        elif name.endswith(".csv"):
            frame.to_csv(tmp, **kwargs)
        elif name.endswith((".tsv", ".txt", ".tsv.gz")):
            frame.to_csv(tmp, sep="\t", **kwargs)
        else:
            raise InputError(
                "unsupported table extension (use .tsv, .csv or .parquet)", path=str(target)
            )
    return target


def write_metrics(
    output_dir: str | os.PathLike, metrics: Mapping[str, float], *, merge: bool = True
) -> Path:
    """Write ``metrics.json`` (flat ``<model>/<split>/<metric>`` -> number) into ``output_dir``.

    Parameters
    ----------
    output_dir
        Folder of the notebook run.
    metrics
        Flat mapping; each key must read ``<model>/<split>/<metric>``.
    merge
        Keep keys already in the file that ``metrics`` does not override.

    Returns
    -------
    pathlib.Path
        The written ``<output_dir>/metrics.json``.

    Raises
    ------
    InputError
        If a key does not follow the pattern or a value is not a number.
    """
    for key, value in metrics.items():
        if not METRIC_KEY_PATTERN.match(str(key)):
            raise InputError(f"metric key {key!r} does not read '<model>/<split>/<metric>'")
        if value is not None and not isinstance(_jsonable(value), (int, float)):
            raise InputError(f"metric {key!r} is not a number: {value!r}")
    path = Path(output_dir) / "metrics.json"
    current: dict[str, Any] = read_metrics(path) if merge and path.exists() else {}
    current.update({str(k): _jsonable(v) for k, v in metrics.items()})
    return write_json_atomic(path, current)


def read_metrics(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``metrics.json`` written by :func:`write_metrics` (file or its folder).

    Parameters
    ----------
    path
        The ``metrics.json`` file, or the folder holding it.

    Returns
    -------
    dict
        Metric key -> number (None for a NaN or infinite value).
    """
    p = Path(path)
    if p.is_dir():
        p = p / "metrics.json"
    return json.loads(p.read_text(encoding="utf-8"))

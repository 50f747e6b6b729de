"""Atomic output helpers shared by notebooks, training and the runner.

Every file gexnb writes goes to a temporary name in the same folder and is then renamed,
so an interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gexnb.errors import InputError

__all__ = [
    "atomic_path",
    "write_text_atomic",
    "write_json_atomic",
    "write_table_atomic",
    "write_metrics",
    "read_metrics",
    "ensure_output_dir",
    "METRIC_KEY_PATTERN",
]

#: ``<model>/<split>/<metric>``, e.g. ``metformin_bigru/test/pearson`` (see DESIGN, contracts).
METRIC_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.+-]+/[A-Za-z0-9_.+-]+/[A-Za-z0-9_.+^-]+$")


def ensure_output_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and parents) and check that it is writable.

    Raises
    ------
    InputError
        If the folder cannot be created or written to.
    """
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".gexnb-write-test-"):
            pass
    except OSError as exc:
        raise InputError(
            f"output folder is not writable ({exc.strerror or exc})", path=str(out)
        ) from exc
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary file keeps the suffix of ``path`` (or ``suffix``) so that writers that
    dispatch on the extension (``.keras``, ``.parquet``, ``.png``) still work. On an exception
    the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=suffix or "".join(target.suffixes)
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
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
    """Write ``obj`` as indented JSON (numpy scalars converted, NaN/inf as null), atomically."""
    return write_text_atomic(path, json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n")


def write_table_atomic(path: str | os.PathLike, frame: Any, **kwargs: Any) -> Path:
    """Write a DataFrame to ``.tsv``/``.csv``/``.parquet`` (by extension), atomically."""
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
    """Read a ``metrics.json`` written by :func:`write_metrics` (file or its folder)."""
    p = Path(path)
    if p.is_dir():
        p = p / "metrics.json"
    return json.loads(p.read_text(encoding="utf-8"))

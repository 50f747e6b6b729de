"""Run every notebook of a profile and gather their ``metrics.json`` into one summary table."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import read_metrics, write_table_atomic
from gexnb.rundir import (
    find_project_dir,
    read_manifest,
)
from gexnb.runner.execute import (
    RunInterrupted,
    RunResult,
    run_notebook,
)
from gexnb.runner.project import (
    is_profile_file,
    list_notebooks,
    notebook_parameters,
    profile_file,
    profile_name,
    resolve_notebook,
    resolve_parameters,
    unknown_parameter_hint,
)

SUMMARY_COLUMNS = ["notebook", "model", "split", "metric", "value", "status", "run_started"]


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

    An override ``NAME`` applies to every notebook that declares it (``models`` reaches
    notebooks 02, 03 and 04, and a line says so); ``NB:NAME`` (``02:models``, ``NB`` a
    notebook's number or name) to that notebook only. A name no notebook declares is
    refused. Every notebook's parameters are resolved (profile, names, types) before the
    first one runs, so a bad value stops the whole run at once; a notebook without
    ``profile`` is reported as failed and not run (no notebook with it: an error). Results
    go to ``<runs_dir>/<stem>/`` (default ``<project>/runs/<profile>``) and the metrics are
    gathered in ``<runs_dir>/summary.csv`` (see :func:`write_summary`).

    Parameters
    ----------
    profile
        Name of ``parameters/<stem>/<profile>.yaml``.
    overrides
        Parameter values that replace the profiles' (``-p key=value``, ``-p NB:key=value``
        for one notebook); ``output_dir`` is refused.
    project_dir
        Project folder; default: found from the current directory.
    notebooks
        Paths, stems or numbers of the notebooks to run (default: every notebook, in order).
    kernel, progress_bar
        As for :func:`run_notebook`.
    runs_dir
        Folder of the run folders; default ``<project>/runs/<profile>``.
    log
        Stream for the progress lines (default stderr).

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
    if "output_dir" in overrides:
        raise ParameterError(
            f"run-all writes each notebook's results to <runs folder>/<notebook> "
            f"(default runs/{profile}/): output_dir cannot be given with -p"
        )
    declared = {p.stem: notebook_parameters(p) for p in paths}
    log = log if log is not None else sys.stderr
    scoped = _scoped_overrides(overrides, declared, log)
    root = (
        Path(runs_dir).resolve()
        if runs_dir is not None
        else project / "runs" / profile_name(profile)
    )
    refused = _check_all(paths, project, profile, scoped, root)
    began = time.time()
    results: list[RunResult] = []
    not_run: set[str] = set()  # stopped before their run started: no run.json of this run
    try:
        for path in paths:
            out = root / path.stem
            if path.stem in refused:
                exc = refused[path.stem]
                print(f"[gexnb] {path.stem}: FAILED: {exc}", file=log, flush=True)
                results.append(RunResult(path.stem, out, out / f"{path.stem}.ipynb", error=exc))
                not_run.add(path.stem)
                continue
            print(f"[gexnb] running {path.stem} (profile {profile}) ...", file=log, flush=True)
            start = time.perf_counter()
            try:
                result = run_notebook(
                    path,
                    profile=profile,
                    overrides=scoped[path.stem],
                    output_dir=out,
                    project_dir=project,
                    kernel=kernel,
                    progress_bar=progress_bar,
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
                started = (read_manifest(out) or {}).get("start_epoch") or 0.0
                if float(started) < began:
                    not_run.add(path.stem)
            results.append(result)
    finally:  # the summary of this invocation only, also after an interrupt
        if results:
            write_summary(root, notebooks=[r.notebook for r in results], not_run=sorted(not_run))
    return results


def _scoped_overrides(
    overrides: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], log: Any
) -> dict[str, dict[str, Any]]:
    """``run-all``'s ``-p`` values per notebook: ``NAME`` for every notebook that declares it
    (a line names them when there are several), ``NB:NAME`` for notebook ``NB`` (its number
    or name) only.

    Parameters
    ----------
    overrides
        The ``-p`` values, keyed ``NAME`` or ``NB:NAME``.
    declared
        Notebook stem -> its declared parameters.
    log
        Stream for the line naming the notebooks a shared name reaches.

    Returns
    -------
    dict
        Notebook stem -> the values that reach it.

    Raises
    ------
    ParameterError
        A name no notebook declares (``NB:NAME``: that notebook does not), or an ``NB`` that
        names no notebook of the run.
    """
    scoped: dict[str, dict[str, Any]] = {stem: {} for stem in declared}
    valid = sorted({name for params in declared.values() for name in params})
    # NB:NAME after NAME, whatever the order given: the narrower value wins
    for key, value in sorted(overrides.items(), key=lambda item: ":" in item[0]):
        prefix, colon, name = key.rpartition(":")
        if colon and name == "output_dir":
            raise ParameterError("run-all writes each notebook's results to <runs folder>/"
                                 "<notebook>: output_dir cannot be given with -p")  # fmt: skip
        if colon:
            stems = [s for s in declared if s == prefix or s.split("_", 1)[0] == prefix]
            if len(stems) != 1:
                raise ParameterError(
                    f"-p {key}: {prefix!r} names no notebook of this run ({', '.join(declared)})"
                )
            if name not in declared[stems[0]]:
                raise ParameterError(
                    f"unknown parameter {name!r} for {stems[0]}"
                    f"{unknown_parameter_hint(name, declared[stems[0]])}; valid names: "
                    + ", ".join(declared[stems[0]])
                )
            scoped[stems[0]][name] = value
            continue
        reached = [stem for stem, params in declared.items() if key in params]
        if not reached:
            raise ParameterError(
                f"unknown parameter {key!r}: no notebook declares it"
                f"{unknown_parameter_hint(key, valid)} (-p NB:NAME=VALUE sets one notebook's); "
                "valid names: " + ", ".join(valid)
            )
        if len(reached) > 1 and key not in SHARED_EVERYWHERE:
            print(f"[gexnb] -p {key} sets it in {', '.join(reached)} (-p NB:{key}=... for one)",
                  file=log, flush=True)  # fmt: skip
        for stem in reached:
            scoped[stem][key] = value
    return scoped


#: Parameters that mean the same in every notebook: ``-p`` of one reaching several notebooks
#: goes without a note.
SHARED_EVERYWHERE = frozenset({"seed", "expression_path", "sequence_path", "transform"})


def _check_all(
    paths: Sequence[Path],
    project: Path,
    profile: str,
    overrides: Mapping[str, Mapping[str, Any]],
    root: Path,
) -> dict[str, GexnbError]:
    """Resolve every notebook's parameters before any runs.

    Returns the notebooks that have no ``profile`` (each with its error, reported as failed
    and not run). Raises the first other error (a wrong type, an unknown name in a profile),
    naming the notebook, and a :class:`ParameterError` when no notebook has ``profile``.
    """
    missing: dict[str, GexnbError] = {}
    for path in paths:
        if not profile_file(project, path.stem, profile).is_file():
            missing[path.stem] = ParameterError(f"no profile {profile!r} for {path.stem}")
            continue
        try:
            resolve_parameters(path, profile=profile, overrides=overrides[path.stem],
                               output_dir=root / path.stem, project_dir=project)  # fmt: skip
        except GexnbError as exc:
            kind = InputError if isinstance(exc, InputError) else ParameterError
            raise kind(f"{path.stem}: {exc}") from None
    if len(missing) == len(paths):
        where = profile if is_profile_file(profile) else f"parameters/<notebook>/{profile}.yaml"
        raise ParameterError(f"no notebook has a profile {profile!r} ({where})")
    return missing


# --------------------------------------------------------------------------- summary


def collect_summary(
    runs_dir: str | os.PathLike,
    *,
    notebooks: Iterable[str] | None = None,
    not_run: Iterable[str] = (),
) -> Any:
    """Gather ``<runs_dir>/<notebook>/metrics.json`` into a long DataFrame.

    Parameters
    ----------
    runs_dir
        Folder holding one run folder per notebook.
    notebooks
        Only these notebooks (default: every folder with a ``metrics.json`` or ``run.json``).
    not_run
        Notebooks of this invocation that failed before their run started (a refused
        parameter, a missing input): one ``failed`` row each, whatever an earlier run left
        in their folder.

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
    not_run = set(not_run)
    for folder in folders:
        if folder.name in not_run:
            rows.append(
                dict.fromkeys(SUMMARY_COLUMNS, "")
                | {"notebook": folder.name, "value": float("nan"), "status": "failed"}
            )
            continue
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


def write_summary(
    runs_dir: str | os.PathLike,
    *,
    notebooks: Iterable[str] | None = None,
    not_run: Iterable[str] = (),
) -> Path:
    """Write :func:`collect_summary` to ``<runs_dir>/summary.csv`` atomically.

    Parameters
    ----------
    runs_dir, notebooks, not_run
        As for :func:`collect_summary`.

    Returns
    -------
    pathlib.Path
        ``<runs_dir>/summary.csv``.
    """
    frame = collect_summary(runs_dir, notebooks=notebooks, not_run=not_run)
    return write_table_atomic(Path(runs_dir) / "summary.csv", frame, index=False)


def read_summary(path: str | os.PathLike) -> Any:
    """A ``summary.csv`` (:func:`write_summary`) read back as :func:`collect_summary` made it.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`; ``value`` float (NaN where empty), the others text
        (``""`` where empty).

    Raises
    ------
    InputError
        A missing or unreadable file.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError("summary not found", path=str(p))
    text = {c: str for c in SUMMARY_COLUMNS if c != "value"}
    try:
        frame = pd.read_csv(p, dtype=text, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the summary ({exc})", path=str(p)) from exc
    frame["value"] = pd.to_numeric(frame["value"].replace("", "nan"), errors="coerce")
    return frame.loc[:, list(SUMMARY_COLUMNS)]


def format_summary(frame: Any, *, notebooks: Iterable[str] | None = None) -> str:
    """Readable pivot of a summary: one table (models x metrics) per notebook and split.

    Parameters
    ----------
    frame
        A :func:`collect_summary` table, or None.
    notebooks
        Only these notebooks (default: all in ``frame``).

    Returns
    -------
    str
        The tables (metrics as rows when there are many), each under a ``== notebook / split
        ==`` line, after a line per notebook whose run did not end ``ok``; ``"(no metrics)"``
        when there is nothing to show.
    """
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

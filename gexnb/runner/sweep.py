"""Parameter sweeps: run one notebook over a grid of parameter values, resumably.

``gexnb sweep NB --profile P -g name=v1,v2 [-g ...] [-p k=v] -o DIR`` runs every point of the
grid (the cartesian product of the ``-g`` values) as one executed notebook in its own folder
``DIR/<name>-<value>_.../`` (see :func:`point_folder`), skips the points whose folder already
holds a run that ended ok with the same notebook, profile and resolved parameters (so an
interrupted sweep resumes), and writes ``DIR/sweep.csv`` (one row per point: the swept values,
status, seconds, folder, then every metric of the point's ``metrics.json``) and
``DIR/sweep.png`` (the main metric against each swept parameter). When ``seed`` is among the
swept parameters, ``DIR/sweep_seeds.csv`` summarises every metric over the seeds for each
combination of the other swept values (:func:`seed_summary`): the spread a single run hides.

Every point's parameters are resolved (profile, names, types, input files) before the first
point runs, as ``gexnb run`` does, so bad input stops the sweep at once with one error.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import _jsonable, read_metrics, write_table_atomic
from gexnb.rundir import find_project_dir, read_manifest
from gexnb.runner.execute import RunInterrupted, run_notebook
from gexnb.runner.project import (
    check_inputs,
    notebook_parameters,
    resolve_notebook,
    resolve_parameters,
    unknown_parameter_hint,
)

__all__ = [
    "parse_grid",
    "grid_points",
    "point_folder",
    "run_sweep",
    "seed_summary",
    "SweepResult",
    "MAIN_METRICS",
    "SEED_PARAMETER",
]

#: The metric a sweep figure shows by default per notebook (key, lower is better).
MAIN_METRICS: dict[str, tuple[str, bool]] = {
    "02_bigru_training": ("metformin_bigru/val/r2", False),
    "03_landmark_models": ("dgex/test/mae", True),
    "04_attention_lstm": ("attention_lstm/cv_mean/rmse", True),
}

#: The parameter whose swept values are replicates, summarised in ``sweep_seeds.csv``.
SEED_PARAMETER = "seed"
#: The seed summary's file in the sweep folder.
SEEDS_CSV = "sweep_seeds.csv"
#: The columns of ``sweep.csv`` that are not metrics.
_BOOKKEEPING = ("folder", "status", "seconds", "error")


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`: the table written to ``sweep.csv`` and its files.

    Parameters
    ----------
    table, csv_path, figure_path, n_run, n_skipped, n_failed, note, seeds_path
        See Attributes.

    Attributes
    ----------
    table
        pandas DataFrame of ``sweep.csv``: one row per point.
    csv_path
        ``<output_dir>/sweep.csv``.
    figure_path
        ``<output_dir>/sweep.png``, or None when no figure was drawn.
    n_run, n_skipped, n_failed
        Points run now, skipped (an earlier run ended ok with the same parameters) and
        failed.
    note
        Why there is no figure, when there is none.
    seeds_path
        ``<output_dir>/sweep_seeds.csv`` when ``seed`` was swept (:func:`seed_summary`), else
        None.
    """

    table: Any
    csv_path: Path
    figure_path: Path | None
    n_run: int
    n_skipped: int
    n_failed: int
    note: str = ""  # why there is no figure, when there is none
    seeds_path: Path | None = None


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes (``[16],[32,16]`` -> two items)."""
    items: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items]


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """Parse ``-g name=v1,v2`` items (values YAML-parsed; lists in brackets) into a grid.

    Parameters
    ----------
    items
        The ``-g`` texts, ``name=value1,value2``; commas inside brackets or quotes do not
        split.

    Returns
    -------
    dict
        Parameter name -> list of parsed values, in the order given.

    Raises
    ------
    ParameterError
        An item without ``=``, an empty value, a parameter swept twice, a value given twice
        for one parameter (``seed=0,0`` or ``0,0.0``: one run counted twice).
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ParameterError(f"grid item {item!r}: use name=value1,value2")
        if name in grid:
            raise ParameterError(f"parameter {name!r} is swept twice")
        parsed = []
        for text in _split_top_level(values):
            if not text:
                raise ParameterError(f"grid item {item!r}: empty value")
            try:
                parsed.append(yaml.safe_load(text))
            except yaml.YAMLError:
                raise ParameterError(f"grid item {item!r}: {text!r} is not valid YAML") from None
        for number, value in enumerate(parsed):
            if any(_same_value(value, earlier) for earlier in parsed[:number]):
                raise ParameterError(f"grid item {item!r}: the value {value!r} is given twice")
        grid[name] = parsed
    if not grid:
        raise ParameterError("give at least one -g name=value1,value2")
    return grid


def _same_value(a: Any, b: Any) -> bool:
    """Whether two grid values are one point's (``0`` and ``0.0`` are; ``1`` and ``True`` not)."""

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    return _canonical(a) == _canonical(b) or (number(a) and number(b) and a == b)


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in the order given.

    Parameters
    ----------
    grid
        Parameter name -> values (:func:`parse_grid`).

    Returns
    -------
    list of dict
        One ``{name: value}`` per point; the last parameter varies fastest.
    """
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]


#: Longest point folder name (file systems allow 255 bytes).
MAX_FOLDER_LENGTH = 200
#: Hex digits of the hash that keeps a sanitised or shortened folder name unique.
HASH_LENGTH = 10


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def point_folder(point: Mapping[str, Any]) -> str:
    """Folder name of a grid point: ``epochs-3_units-8``, unique per distinct point.

    Each value is written as YAML; characters outside ``A-Za-z0-9.+-`` are dropped (a comma
    becomes ``+``). When that changes the text, or the text has capitals (a case-insensitive
    file system would merge ``A`` and ``a``), ``~`` and a hash of the exact YAML text follow
    (``sequence_path-tmpaset1.txt~1f2e...``), so ``set_1.txt`` and ``set1.txt``, or the list
    ``[32, 16]`` and the string ``'32+16'``, get different folders. A name longer than
    :data:`MAX_FOLDER_LENGTH` is cut and ends in ``~`` and a hash of the whole name. The name
    depends only on the point, so a re-run finds the same folder.

    Parameters
    ----------
    point
        Parameter name -> value of one grid point (:func:`grid_points`).

    Returns
    -------
    str
        The folder name (not a path).
    """
    parts = []
    for name, value in point.items():
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        clean = re.sub(r"[^A-Za-z0-9.+-]+", "", text.replace(",", "+"))
        if clean != text or text != text.lower():
            clean += f"~{_digest(text)}"
        parts.append(f"{name}-{clean}")
    folder = "_".join(parts)
    if len(folder) > MAX_FOLDER_LENGTH:
        folder = f"{folder[: MAX_FOLDER_LENGTH - HASH_LENGTH - 1]}~{_digest(folder)}"
    return folder


def _canonical(parameters: Any) -> str:
    """``parameters`` as ``run.json`` records them (JSON, sorted keys; ``True`` is not 1)."""
    return json.dumps(_jsonable(parameters), sort_keys=True)


def _finished(folder: Path, notebook: str, profile: str, parameters: Mapping[str, Any]) -> bool:
    """Whether ``folder`` holds a run of ``notebook`` that ended ok with exactly ``profile``
    and the resolved ``parameters`` (as :func:`_resolve_point` gives them), by the same
    gexnb code, on the same input files (size and modification time): a point run on an
    input file since changed, or by other code, was taken as done (a reviewer's finding)."""
    from gexnb.rundir import code_digest, input_files

    manifest = read_manifest(folder) or {}
    return (
        manifest.get("status") == "ok"
        and manifest.get("notebook") == notebook
        and manifest.get("profile") == profile
        and _canonical(manifest.get("parameters")) == _canonical(parameters)
        and manifest.get("code") == code_digest()
        and manifest.get("inputs") == input_files(parameters)
    )


def _resolve_point(
    path: Path, project: Path, profile: str, overrides: Mapping[str, Any], root: Path, folder: str
) -> dict[str, Any]:
    """The parameters ``run_notebook`` will run (and record) for one point in ``root/folder``.

    Raises
    ------
    ParameterError
        An unknown profile or parameter name, or a value of the wrong type.
    InputError
        An input file that does not exist, or an unwritable sweep folder.
    """
    _, values, out = resolve_parameters(
        path, profile=profile, overrides=overrides, output_dir=root, project_dir=project
    )
    if "output_dir" in values:  # resolved as run_notebook resolves the point's folder
        values["output_dir"] = str((out / folder).resolve())
    check_inputs(values)
    return values


def run_sweep(
    notebook: str,
    grid: Mapping[str, Sequence[Any]],
    output_dir: str | os.PathLike,
    *,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    project_dir: str | os.PathLike | None = None,
    kernel: str | None = None,
    metric: str | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run ``notebook`` once per grid point (see the module doc); failures are recorded and
    the sweep goes on.

    Parameters
    ----------
    notebook
        Path, stem or number of the notebook.
    grid
        Parameter -> values (from :func:`parse_grid`); each name must be a notebook parameter.
    output_dir
        Sweep folder (one sub-folder per point, ``sweep.csv``, ``sweep.png``).
    profile, overrides
        Profile and fixed ``-p`` overrides shared by every point (a swept name wins).
    project_dir
        Project folder; default: found from the current directory.
    kernel
        Jupyter kernel, as for :func:`run_notebook`.
    metric
        Key drawn in ``sweep.png`` (:data:`MAIN_METRICS` of the notebook by default).
    progress
        Show a progress bar; False prints one line per point to stderr instead.

    Returns
    -------
    SweepResult
        The table, its files and the counts of points run, skipped and failed.

    Raises
    ------
    ParameterError
        A swept name that is not a parameter of the notebook, a swept parameter without
        values, an unknown profile or ``-p`` name, or a value of the wrong type (checked for
        every point before the first one runs).
    InputError
        ``output_dir`` is not a writable folder, or a point's input file does not exist.
    RunInterrupted
        Ctrl-C or SIGTERM: the finished points stay, the sweep resumes from them.
    """
    from tqdm.auto import tqdm

    project = find_project_dir(project_dir)
    path = resolve_notebook(notebook, project)
    declared = notebook_parameters(path)
    unknown = [name for name in grid if name not in declared]
    if unknown:
        raise ParameterError(
            f"{path.stem} has no parameter {', '.join(map(repr, unknown))}"
            f"{''.join(unknown_parameter_hint(name, declared) for name in unknown)}; "
            f"valid: {', '.join(declared)}"
        )
    if not grid or not all(grid.values()):
        raise ParameterError("give at least one value for each swept parameter")
    if "output_dir" in grid or "output_dir" in (overrides or {}):
        raise ParameterError(
            "a sweep gives each point its own folder under -o: output_dir cannot be given "
            "with -p or -g"
        )
    both = sorted(set(grid) & set(overrides or {}))
    if both:
        raise ParameterError(f"{', '.join(both)} given with both -p and -g; give one")
    root = Path(output_dir).expanduser()
    if root.exists() and not root.is_dir():
        raise InputError("is not a folder; give a folder for the sweep (-o)", path=str(root))
    points = grid_points(grid)
    planned = []  # (point, folder, resolved parameters), all checked before any point runs
    for point in points:  # creating nothing: a refused sweep leaves no empty folders behind
        name = point_folder(point)
        parameters = {**dict(overrides or {}), **point}
        resolved = _resolve_point(path, project, profile, parameters, root, name)
        planned.append((point, root / name, resolved))
    rows: list[dict[str, Any]] = []
    counts = {"run": 0, "skipped": 0, "failed": 0}
    if root.is_dir():  # an earlier sweep's summary must not outlive this one, interrupted or not
        (root / SEEDS_CSV).unlink(missing_ok=True)
    bar = tqdm(planned, desc=f"sweep {path.stem}", unit="run", disable=not progress)
    for number, (point, folder, resolved) in enumerate(bar, start=1):
        if not progress:  # plain lines in logs and pipes, a bar on a terminal
            print(f"[gexnb] sweep {number}/{len(points)}: {folder.name}", file=sys.stderr)
        parameters = {**dict(overrides or {}), **point}
        row: dict[str, Any] = {**{k: _cell(v) for k, v in point.items()}, "folder": folder.name}
        bar.set_postfix_str(folder.name)
        if _finished(folder, path.stem, profile, resolved):
            counts["skipped"] += 1
            row.update(status="ok (earlier run)", seconds=float("nan"))
        else:
            try:
                result = run_notebook(path, profile=profile, overrides=parameters,
                                      output_dir=folder, project_dir=project, kernel=kernel,
                                      progress_bar=False)  # fmt: skip
                counts["run"] += 1
                row.update(status="ok", seconds=round(result.seconds, 1))
            except RunInterrupted:
                _write_table(root, rows, metric or MAIN_METRICS.get(path.stem, ("", True))[0])
                raise
            except GexnbError as exc:
                counts["failed"] += 1
                row.update(status="failed", seconds=float("nan"), error=str(exc).splitlines()[0])
        row.update(_metrics_of(folder) if row["status"].startswith("ok") else {})
        rows.append(row)
        _write_table(root, rows, None)
    bar.close()
    key, lower = MAIN_METRICS.get(path.stem, ("", True))
    table, csv_path, figure = _write_table(root, rows, metric or key, list(grid), lower)
    note = "" if figure else _no_figure_note(table, metric or key)
    seeds_path = _write_seed_summary(root, table, list(grid))
    return SweepResult(
        table, csv_path, figure, counts["run"], counts["skipped"], counts["failed"], note,
        seeds_path,
    )  # fmt: skip


def seed_summary(table: Any, swept: Sequence[str]) -> Any:
    """Every metric of a sweep summarised over its seeds, per combination of the other values.

    Only the points that ended ok count; a combination whose every seed failed, and a metric
    no seed reported (``metrics.json`` writes NaN as null), still get their rows, with
    ``n`` 0. The standard deviation is the sample one (``ddof=1``, NaN for a single seed).

    Parameters
    ----------
    table
        The sweep table (``sweep.csv``: the swept values, status, seconds, folder, metrics).
    swept
        The swept parameter names; must include :data:`SEED_PARAMETER`.

    Returns
    -------
    pandas.DataFrame
        One row per combination of the other swept values and metric: those values, then
        ``metric``, ``mean``, ``sd``, ``min``, ``max``, ``n`` (the seeds that reported the
        metric) and ``seeds`` (those seeds, as text).

    Raises
    ------
    ParameterError
        ``seed`` is not among ``swept``.
    """
    import pandas as pd

    if SEED_PARAMETER not in swept:
        raise ParameterError(f"a seed summary needs {SEED_PARAMETER!r} among the swept values")
    others = [name for name in swept if name != SEED_PARAMETER]
    columns = [*others, "metric", "mean", "sd", "min", "max", "n", "seeds"]
    metrics = [c for c in table.columns if c not in (*swept, *_BOOKKEEPING) and _numeric(table[c])]
    if table.empty or not metrics:
        return pd.DataFrame(columns=columns)
    ok = (
        table["status"].astype(str).str.startswith("ok")
        if "status" in table
        else pd.Series(True, index=table.index)
    )
    groups = table.groupby(others, sort=False, dropna=False) if others else [((), table)]
    rows = []
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        good = group[ok.loc[group.index]]
        for name in metrics:
            column = pd.to_numeric(good[name], errors="coerce")
            reported = column.notna()
            rows.append({
                **dict(zip(others, values, strict=True)), "metric": name,
                "mean": column.mean(), "sd": column.std(ddof=1), "min": column.min(),
                "max": column.max(), "n": int(reported.sum()),
                "seeds": ", ".join(str(v) for v in good.loc[reported, SEED_PARAMETER]),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _numeric(column: Any) -> bool:
    """Whether a ``sweep.csv`` column holds numbers (or only nulls): a metric to summarise."""
    import pandas as pd

    values = column.dropna()
    return bool(pd.to_numeric(values, errors="coerce").notna().all()) and not (
        values.map(lambda v: isinstance(v, bool)).any()
    )


def _write_seed_summary(root: Path, table: Any, swept: Sequence[str]) -> Path | None:
    """Write ``sweep_seeds.csv`` when the seed was swept (:func:`run_sweep` removed an
    earlier sweep's before its first point ran)."""
    if SEED_PARAMETER not in swept:
        return None
    return write_table_atomic(root / SEEDS_CSV, seed_summary(table, swept), index=False)


def _no_figure_note(table: Any, metric: str) -> str:
    """Why a sweep has no ``sweep.png``, naming metrics the points did report."""
    if not metric:
        return "no sweep.png: this notebook has no main metric; pass --metric"
    reported = [c for c in table.columns if c.count("/") == 2 and table[c].notna().any()]
    if not reported:
        return "no sweep.png: no point wrote a metric"
    return (
        f"no sweep.png: no point reported {metric}; pass --metric with one they did, e.g. "
        + ", ".join(reported[:3])
    )


def _cell(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def _metrics_of(folder: Path) -> dict[str, Any]:
    try:
        return dict(read_metrics(folder))
    except (OSError, ValueError, GexnbError):
        return {}


def _write_table(
    root: Path,
    rows: list[dict[str, Any]],
    metric: str | None,
    swept: Sequence[str] = (),
    lower_is_better: bool = True,
) -> tuple[Any, Path, Path | None]:
    import pandas as pd

    table = pd.DataFrame(rows)
    csv_path = write_table_atomic(root / "sweep.csv", table, index=False)
    figure = None
    if swept:  # the final table: an earlier sweep's figure must not outlive it
        (root / "sweep.png").unlink(missing_ok=True)
    if metric and swept and metric in table and table[metric].notna().any():
        from gexnb.plot.common import save_figure
        from gexnb.plot.sweep import sweep_figure

        fig = sweep_figure(table, swept, metric, lower_is_better=lower_is_better)
        figure = save_figure(fig, root / "sweep.png")
        import matplotlib.pyplot as plt

        plt.close(fig)
    return table, csv_path, figure

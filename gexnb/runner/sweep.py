"""Parameter sweeps: run one notebook over a grid of parameter values, resumably.

``gexnb sweep NB --profile P -g name=v1,v2 [-g ...] [-p k=v] -o DIR`` runs every point of the
grid (the cartesian product of the ``-g`` values) as one executed notebook in its own folder
``DIR/<name>-<value>_.../``, skips the points whose folder already holds a finished run with the
same parameters (so an interrupted sweep resumes), and writes ``DIR/sweep.csv`` (one row per
point: the swept values, status, seconds, folder, then every metric of the point's
``metrics.json``) and ``DIR/sweep.png`` (the main metric against each swept parameter).
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gexnb.errors import GexnbError, ParameterError
from gexnb.io import read_metrics, write_table_atomic
from gexnb.rundir import find_project_dir, read_manifest
from gexnb.runner.execute import RunInterrupted, run_notebook
from gexnb.runner.project import notebook_parameters, resolve_notebook

__all__ = ["parse_grid", "grid_points", "point_folder", "run_sweep", "SweepResult", "MAIN_METRICS"]

#: The metric a sweep figure shows by default per notebook (key, lower is better).
MAIN_METRICS: dict[str, tuple[str, bool]] = {
    "02_bigru_training": ("metformin_bigru/val/r2", False),
    "03_landmark_models": ("dgex/test/mae", True),
    "04_attention_lstm": ("attention_lstm/cv_mean/rmse", True),
}


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`: the table written to ``sweep.csv`` and its files."""

    table: Any
    csv_path: Path
    figure_path: Path | None
    n_run: int
    n_skipped: int
    n_failed: int
    note: str = ""  # why there is no figure, when there is none


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes (``[16],[32,16]`` -> two items)."""
    items, depth, quote, current = [], 0, "", []
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

    Raises
    ------
    ParameterError
        An item without ``=``, an empty value, a parameter swept twice.
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
        grid[name] = parsed
    if not grid:
        raise ParameterError("give at least one -g name=value1,value2")
    return grid


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in the order given."""
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]


def point_folder(point: Mapping[str, Any]) -> str:
    """Folder name of a grid point: ``epochs-3_units-8`` (unsafe characters replaced)."""
    parts = []
    for name, value in point.items():
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        parts.append(f"{name}-{re.sub(r'[^A-Za-z0-9.+-]+', '', text.replace(',', '+'))}")
    return "_".join(parts)[:200]


def _finished(folder: Path, parameters: Mapping[str, Any]) -> bool:
    manifest = read_manifest(folder) or {}
    if manifest.get("status") != "ok":
        return False
    done = manifest.get("parameters") or {}
    return all(done.get(k) == v for k, v in parameters.items())


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
    metric
        Key drawn in ``sweep.png`` (:data:`MAIN_METRICS` of the notebook by default).

    Raises
    ------
    ParameterError
        A swept name that is not a parameter of the notebook.
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
            f"{path.stem} has no parameter {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(declared)}"
        )
    root = Path(output_dir)
    root.mkdir(parents=True, exist_ok=True)
    rows, counts = [], {"run": 0, "skipped": 0, "failed": 0}
    points = grid_points(grid)
    bar = tqdm(points, desc=f"sweep {path.stem}", unit="run", disable=not progress)
    for number, point in enumerate(bar, start=1):
        folder = root / point_folder(point)
        if not progress:  # plain lines in logs and pipes, a bar on a terminal
            print(f"[gexnb] sweep {number}/{len(points)}: {folder.name}", file=sys.stderr)
        parameters = {**dict(overrides or {}), **point}
        row: dict[str, Any] = {**{k: _cell(v) for k, v in point.items()}, "folder": folder.name}
        bar.set_postfix_str(folder.name)
        if _finished(folder, parameters):
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
    return SweepResult(
        table, csv_path, figure, counts["run"], counts["skipped"], counts["failed"], note
    )


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

"""Run the gexnb notebooks with papermill and named parameter profiles; collect the results.

A *project* is a folder holding ``notebooks/NN_name.ipynb`` and
``parameters/NN_name/<profile>.yaml``. A run of notebook ``NN_name`` with profile ``P``:

1. reads the notebook's cell tagged ``parameters`` (lines ``name: type = value  # comment``)
   to learn the valid parameter names, their types and defaults;
2. loads ``parameters/NN_name/P.yaml`` (a top-level mapping; ``extends: Q`` starts it from
   profile ``Q``, whose top-level keys it replaces), expands ``${GEXNB_DATA}`` and
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

from gexnb.rundir import find_project_dir
from gexnb.runner.execute import (
    KERNEL_LOG,
    NotebookExecutionError,
    RunInterrupted,
    RunResult,
    _kernel_environment,  # noqa: F401  (tests set the kernel environment)
    notebook_warnings,
    prepare_notebook,
    run_notebook,
    warnings_heading,
)
from gexnb.runner.project import (
    DEFAULT_KERNEL,
    PER_MODEL_PARAMETERS,
    PROFILES,
    RENAMED_PARAMETERS,
    NotebookParameter,
    check_namespace,
    data_dir,
    expand_env,
    list_notebooks,
    list_profiles,
    load_profile,
    merged_per_model,
    notebook_parameters,
    parse_override,
    profile_file,
    profile_name,
    profile_values,
    resolve_notebook,
    resolve_parameters,
    run_folder,
    unknown_parameter_hint,
)
from gexnb.runner.summary import (
    collect_summary,
    format_summary,
    read_summary,
    run_all,
    write_summary,
)
from gexnb.runner.sweep import parse_grid, run_sweep

__all__ = [
    "PROFILES",
    "PER_MODEL_PARAMETERS",
    "merged_per_model",
    "DEFAULT_KERNEL",
    "NotebookParameter",
    "NotebookExecutionError",
    "RunInterrupted",
    "RunResult",
    "notebook_warnings",
    "warnings_heading",
    "find_project_dir",
    "list_notebooks",
    "resolve_notebook",
    "notebook_parameters",
    "list_profiles",
    "load_profile",
    "expand_env",
    "data_dir",
    "parse_override",
    "profile_file",
    "profile_name",
    "profile_values",
    "run_folder",
    "check_namespace",
    "RENAMED_PARAMETERS",
    "unknown_parameter_hint",
    "resolve_parameters",
    "run_notebook",
    "prepare_notebook",
    "run_all",
    "collect_summary",
    "read_summary",
    "write_summary",
    "format_summary",
    "KERNEL_LOG",
    "parse_grid",
    "run_sweep",
]

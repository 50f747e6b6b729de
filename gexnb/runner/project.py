"""A gexnb project's notebooks, their parameters cells and parameter profiles: what a run
may set, and the values it sets."""

from __future__ import annotations

import ast
import difflib
import logging
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gexnb.errors import InputError, ParameterError
from gexnb.io import check_output_dir
from gexnb.rundir import (
    find_project_dir,
)

log = logging.getLogger(__name__)

#: Profiles every notebook ships (``quick``: synthetic CPU minutes; ``real``: data under
#: ``${GEXNB_DATA}``; ``paper``: the seeds' full-scale settings).
PROFILES = ("quick", "real", "paper")
#: Name of the Jupyter kernel that ``make install`` registers.
DEFAULT_KERNEL = "gexnb"

_NOTEBOOK_PATTERN = re.compile(r"^\d\d_.+\.ipynb$")
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class NotebookParameter:
    """One line ``name: type = value  # comment`` of a notebook's parameters cell.

    Parameters
    ----------
    name, type, default, comment
        See Attributes.

    Attributes
    ----------
    name
        The parameter's name.
    type
        Its annotated type as written (``"int"``, ``"dict[str, float]"``), or None when not
        annotated.
    default
        The value in the cell (a Python literal).
    comment
        The line's ``# comment`` (empty if none).
    """

    name: str
    type: str | None
    default: Any
    comment: str = ""


# --------------------------------------------------------------------------- project layout


def list_notebooks(project_dir: str | os.PathLike) -> list[Path]:
    """Sorted paths of ``notebooks/NN_*.ipynb`` in ``project_dir``.

    Parameters
    ----------
    project_dir
        Project folder.

    Returns
    -------
    list of pathlib.Path
        The notebooks whose name starts with two digits and an underscore, sorted by name.
    """
    folder = Path(project_dir) / "notebooks"
    return sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_PATTERN.match(p.name))


def resolve_notebook(name: str | os.PathLike, project_dir: str | os.PathLike) -> Path:
    """Find a notebook by path, stem (``01_data_prep``) or number prefix (``01``).

    Parameters
    ----------
    name
        Path of an existing ``.ipynb`` file (any folder), stem or number prefix of a notebook
        in ``notebooks/``.
    project_dir
        Project folder.

    Returns
    -------
    pathlib.Path
        The notebook.

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

    Parameters
    ----------
    notebook
        Path of the ``.ipynb`` file.

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
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise ParameterError(f"{path}: parameters cell line {exc.lineno}: {exc.msg}") from exc
    found: dict[str, NotebookParameter] = {}
    assigned: dict[str, int] = {}  # every top-level name the cell assigns, with its line
    for node in tree.body:
        target = (
            node.target if isinstance(node, ast.AnnAssign)
            else node.targets[0] if isinstance(node, ast.Assign) else None
        )  # fmt: skip
        if isinstance(target, ast.Name):
            assigned[target.id] = node.lineno
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
    missed = {name: line for name, line in assigned.items() if name not in found}
    if missed:  # papermill skips a line it cannot parse (e.g. '=' in its comment) with a log
        name, line = next(iter(missed.items()))
        text = cells[0].source.splitlines()[line - 1].strip()
        raise ParameterError(
            f"{path}: parameters cell line {line}: papermill cannot read parameter {name!r} "
            f"from {text[:80]!r} (write 'name: type = literal  # comment' on one line)"
        )
    return found


def list_profiles(project_dir: str | os.PathLike, notebook: str) -> list[str]:
    """Profiles available for ``notebook`` (stem): the YAML files in ``parameters/<stem>/``.

    Parameters
    ----------
    project_dir
        Project folder.
    notebook
        Notebook stem (``01_data_prep``).

    Returns
    -------
    list of str
        Profile names, sorted; empty when the folder is missing.
    """
    folder = Path(project_dir) / "parameters" / notebook
    return sorted(p.stem for p in folder.glob("*.yaml"))


def data_dir(project_dir: str | os.PathLike) -> Path:
    """``$GEXNB_DATA`` if set, else ``<project>/../shared/data``, as an absolute path.

    Parameters
    ----------
    project_dir
        Project folder.

    Returns
    -------
    pathlib.Path
        The data folder, resolved (it need not exist).
    """
    value = os.environ.get("GEXNB_DATA")
    if value:
        return Path(value).expanduser().resolve()
    return (Path(project_dir).resolve().parent / "shared" / "data").resolve()


def expand_env(value: Any, env: Mapping[str, str]) -> Any:
    """Replace ``${NAME}`` in every string of ``value`` (nested lists/dicts too) by ``env[NAME]``.

    Parameters
    ----------
    value
        A profile value: a string, list, dict or anything else (returned as it is).
    env
        Variable name -> value.

    Returns
    -------
    Any
        ``value`` with the variables expanded (new lists and dicts).

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


#: Profile key naming another profile of the same notebook whose values this one starts from.
EXTENDS_KEY = "extends"


def is_profile_file(profile: str) -> bool:
    """Whether ``profile`` is the path of a profile file of one's own (``.yaml``/``.yml``),
    not the name of a profile of ``parameters/<notebook>/``.

    Parameters
    ----------
    profile
        A ``--profile`` value.

    Returns
    -------
    bool
    """
    return str(profile).endswith((".yaml", ".yml"))


def profile_name(profile: str) -> str:
    """The name of a profile: itself, or the stem of a profile given as a YAML file's path
    (``--profile ~/mpra.yaml`` runs into ``runs/mpra/``).

    Parameters
    ----------
    profile
        A profile name (``quick``), or the path of a ``.yaml``/``.yml`` file.

    Returns
    -------
    str
        The name the run folders and summaries use.
    """
    return Path(str(profile)).stem if is_profile_file(profile) else str(profile)


def profile_file(project_dir: str | os.PathLike, notebook: str, profile: str) -> Path:
    """The file of a profile: ``parameters/<notebook>/<profile>.yaml``, or the profile
    itself when it is the path of a ``.yaml``/``.yml`` file of one's own.

    Parameters
    ----------
    project_dir
        Project folder.
    notebook
        Notebook stem.
    profile
        Profile name or file path.

    Returns
    -------
    pathlib.Path
        The file (it need not exist).
    """
    if is_profile_file(profile):
        return Path(profile).expanduser().resolve()
    return Path(project_dir) / "parameters" / notebook / f"{profile}.yaml"


def load_profile(
    project_dir: str | os.PathLike,
    notebook: str,
    profile: str,
    *,
    env: Mapping[str, str] | None = None,
    _chain: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Read ``parameters/<notebook>/<profile>.yaml`` and expand environment variables.

    A ``profile`` ending in ``.yaml`` or ``.yml`` is the path of a profile file of one's own,
    anywhere (a new user's trial had to copy the project to use one); its ``extends:`` names
    a profile of ``parameters/<notebook>/``.

    A profile with ``extends: <other>`` starts from the other profile's values (itself
    possibly extending a third) and replaces the top-level keys it sets; a mapping such as
    ``model_params`` is replaced whole, not merged, so what a variant states is what runs
    (an override given on the command line is merged: :data:`PER_MODEL_PARAMETERS`).
    A variant with its own data input must also set the other's files that describe that
    input (:data:`COMPANION_INPUTS`).

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
    _chain
        Internal: the profiles that extend this one, to detect a circle; leave it empty.

    Returns
    -------
    dict
        Parameter name -> value, with the values of the profiles it extends.

    Raises
    ------
    ParameterError
        If the file (or one it extends) is missing, is not valid YAML or is not a top-level
        mapping, or profiles extend each other in a circle.
    """
    own_file = is_profile_file(profile)
    path = profile_file(project_dir, notebook, profile)
    if not path.is_file():
        known = ", ".join(list_profiles(project_dir, notebook)) or "none"
        what = "profile file not found" if own_file else f"no profile {profile!r} for {notebook}"
        raise ParameterError(f"{path}: {what} (profiles: {known})")
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
    values = {str(k): expand_env(v, env) for k, v in content.items()}
    if EXTENDS_KEY not in values:
        return values
    base = values.pop(EXTENDS_KEY)
    if not isinstance(base, str) or not base:
        raise ParameterError(f"{path}: '{EXTENDS_KEY}' must name a profile, got {base!r}")
    if base == profile or base in _chain:
        cycle = " -> ".join([*_chain, profile, base])
        raise ParameterError(f"{path}: profiles extend each other in a circle ({cycle})")
    inherited = load_profile(project_dir, notebook, base, env=env, _chain=(*_chain, profile))
    _check_companions(base, inherited, values, where=str(path))
    return {**inherited, **values}


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value`` (a ``-p`` option); the value is parsed as YAML (``3``, ``0.5``,
    ``true``, ``[1, 2]``; anything else stays a string).

    Parameters
    ----------
    text
        The ``key=value`` text; the key is stripped of spaces.

    Returns
    -------
    key, value
        The parameter name and its parsed value (``""`` for an empty value).

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
    glued = _glued_key(value)
    if glued is not None:  # {n_sequences:0} is YAML for {"n_sequences:0": null}
        name, _, rest = glued.partition(":")
        raise ParameterError(
            f"-p {key}: {glued!r} reads as one key without a value; YAML needs a space after "
            f"the colon: {{{name}: {rest}}}"
        )
    return key, value


def _glued_key(value: Any) -> str | None:
    """A mapping key (at any depth) such as ``n_sequences:0`` holding no value, or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            if v is None and isinstance(k, str) and ":" in k:
                return k
            found = _glued_key(v)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _glued_key(item)
            if found is not None:
                return found
    return None


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


#: Notebook parameters renamed so that the same thing has the same name in every notebook
#: (old name -> new name): a profile, ``-p`` or ``-g`` with the old name is refused with the new.
RENAMED_PARAMETERS = {
    "compare_models": "models",
    "top_k": "k_genes",
    "save_predictions": "save",  # notebook 03: save: {predictions: ..., models: [...]}
}


def unknown_parameter_hint(name: str, valid: Iterable[str]) -> str:
    """The hint after an unknown parameter ``name``: its new name if it was renamed
    (:data:`RENAMED_PARAMETERS`), else the closest valid name, else ``""``.

    Parameters
    ----------
    name
        The unknown parameter name.
    valid
        The names the notebook (or notebooks) declare.

    Returns
    -------
    str
        Text to append to the error message, starting with a space; ``""`` when there is no
        hint.

    Examples
    --------
    >>> unknown_parameter_hint("compare_models", ["models", "seed"])
    " ('compare_models' was renamed 'models')"
    >>> unknown_parameter_hint("epoch", ["epochs", "seed"])
    " (did you mean 'epochs'?)"
    """
    names = list(valid)
    new = RENAMED_PARAMETERS.get(name)
    if new in names:
        return f" ({name!r} was renamed {new!r})"
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_namespace(
    namespace: MutableMapping[str, Any], *, names: Iterable[str] | None = None
) -> None:
    """Check, in the kernel, the parameter values a notebook received, whoever injected them.

    The declared parameters are the names annotated in the notebook's parameters cell
    (``namespace["__annotations__"]``; only ``names`` when given, since a kernel's annotations
    also hold those of the user's own cells). Plain papermill passes ``-p data_checks '{nan:
    mean}'`` as text: a ``dict``, ``list`` or ``bool`` parameter given as text is read as YAML (as
    ``gexnb run -p`` reads every value) and the parsed value replaces the text in
    ``namespace``. Then each value is checked against its declared type as
    :func:`resolve_parameters` checks it.

    Parameters
    ----------
    namespace
        The kernel's globals (``globals()``); parsed values are written back into it.
    names
        The parameter names to check (default: every annotated name in ``namespace``).

    Raises
    ------
    ParameterError
        A value of the wrong type (text that is not YAML of the declared kind included),
        or text holding ``${...}``: a gexnb profile given to plain papermill, which does
        not expand variables (the message names ``gexnb params``), or a value under a
        parameter's old name (:data:`RENAMED_PARAMETERS`).
    """
    wanted = None if names is None else set(names)
    annotated = dict(namespace.get("__annotations__") or {})
    for old, new in RENAMED_PARAMETERS.items():  # papermill only warns of an unknown name
        if old in namespace and new in annotated and (wanted is None or new in wanted):
            raise ParameterError(
                f"parameter {old!r} was renamed {new!r}: give {new} instead (a parameters file "
                "from before the rename? gexnb params NOTEBOOK --profile NAME writes a new one)"
            )
    for name, kind in annotated.items():
        if name not in namespace or (wanted is not None and name not in wanted):
            continue
        type_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
        value = namespace[name]
        if type_name.split("[", 1)[0] in ("dict", "list", "bool") and isinstance(value, str):
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                raise ParameterError(
                    f"parameter {name!r} expects {type_name}, got the text {value!r}, which is "
                    "not YAML (papermill: -y 'NAME: {...}' passes a mapping as YAML)"
                ) from None
        _refuse_unexpanded(name, value)
        namespace[name] = _check_type(NotebookParameter(name, type_name, None), value)


def _refuse_unexpanded(name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_unexpanded(f"{name}.{key}", item)
    elif isinstance(value, str) and "${" in value:
        raise ParameterError(
            f"parameter {name!r} is {value!r}: plain papermill does not expand ${{...}} nor "
            "read a profile's extends:; run it with gexnb run, or give papermill -f the "
            "profile as gexnb resolves it: gexnb params NOTEBOOK --profile NAME > params.yaml"
        )


#: Parameter names (top level, or keys inside a mapping such as ``cross``) that hold a path
#: to read: ``*_path``, ``*_list`` (gene list files), ``*_file`` and ``sample_annotation``.
PATH_SUFFIXES = ("_path", "_list", "_file")
PATH_NAMES = frozenset({"sample_annotation"})


def _absolute_paths(name: str, value: Any, base: Path) -> Any:
    """``value`` with every relative input path made absolute against ``base`` (recursively).

    The notebook's kernel runs in the output folder, so a relative path has to be anchored
    where the user wrote it: the working folder for ``-p`` overrides, the project folder for
    a profile.
    """
    if isinstance(value, dict):
        return {k: _absolute_paths(str(k), v, base) for k, v in value.items()}
    if _is_input_path(name, value):
        path = Path(value).expanduser()
        # absolute without following links: a link keeps its own name (a git-annex or DVC
        # link's target has no extension), and a link loop is reported by check_inputs
        return str(path) if path.is_absolute() else os.path.abspath(base / path)
    return value


def _is_input_path(name: str, value: Any) -> bool:
    """A parameter naming an input file (:data:`PATH_SUFFIXES`, :data:`PATH_NAMES`), given."""
    return (
        (name.endswith(PATH_SUFFIXES) or name in PATH_NAMES)
        and isinstance(value, str)
        and bool(value)
    )


def missing_inputs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(parameter, path)`` of every input path in ``params`` (top level or inside a
    mapping such as ``cross``) that is given but does not exist, so that a run can stop
    before its kernel starts. Notebook 03's ``expression_path`` may be missing when its
    ``if_data_missing`` is not ``"error"`` (the paper profile's dry run).

    Parameters
    ----------
    params
        A run's parameter values (:func:`resolve_parameters`).

    Returns
    -------
    list of tuple of (str, str)
        Parameter name (``cross.expression_path`` inside a mapping) and the missing path, in
        the order of ``params``.
    """
    allowed = {"expression_path"} if params.get("if_data_missing", "error") != "error" else set()
    return [
        (name, path)
        for name, path in input_paths(params)
        if not Path(path).exists() and name not in allowed
    ]


def input_paths(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(parameter, path)`` of every input path given in ``params`` (:data:`PATH_SUFFIXES`,
    :data:`PATH_NAMES`; inside a mapping such as ``cross`` named ``cross.expression_path``).

    Parameters
    ----------
    params
        A run's parameter values.

    Returns
    -------
    list of tuple of (str, str)
        In the order of ``params``.
    """
    found = []

    def visit(prefix: str, name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(f"{prefix}{name}.", str(key), item)
        elif _is_input_path(name, value):
            found.append((prefix + name, value))

    for name, value in params.items():
        visit("", name, value)
    return found


def check_inputs_outside_results(params: Mapping[str, Any], output_dir: str | os.PathLike) -> None:
    """Refuse an input path that is a result of the earlier run in ``output_dir``: the new
    run sets those aside before it starts, so it would not find its own input.

    Parameters
    ----------
    params
        The run's parameter values.
    output_dir
        Its run folder.

    Raises
    ------
    InputError
        Naming the parameter and the earlier run's notebook.
    """
    from gexnb.rundir import previous_outputs, read_manifest

    results = {os.path.realpath(p) for p in previous_outputs(output_dir)}
    for name, path in input_paths(params):
        if os.path.realpath(path) in results:
            earlier = (read_manifest(output_dir) or {}).get("notebook", "an earlier run")
            raise InputError(
                f"parameter {name} reads a result of the earlier run in this folder ({earlier}),"
                " which this run sets aside before it starts: give this run another folder (-o)",
                path=path,
            )


def check_inputs(params: Mapping[str, Any]) -> None:
    """Raise :class:`~gexnb.errors.InputError` for the first input path of
    :func:`missing_inputs`, naming its parameter (and how many more are missing).

    Parameters
    ----------
    params
        A run's parameter values (:func:`resolve_parameters`).

    Raises
    ------
    InputError
        If an input path is missing (or is a broken link).
    """
    absent = missing_inputs(params)
    if absent:
        name, where = absent[0]
        more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
        what = "a broken symbolic link or a link loop" if Path(where).is_symlink() else "not found"
        raise InputError(f"{what} (parameter {name}){more}", path=where)


#: A profile's input files that describe another of its inputs (input -> its companions):
#: with an input of the user's own (``-p sequence_path=mine.tsv``), the profile's companion
#: would pair the user's data with the profile's (the DREAM yeast test set scoring a model
#: of Drosophila enhancers, found by a new-user trial), so it must be given too.
COMPANION_INPUTS: dict[str, tuple[str, ...]] = {
    "sequence_path": ("test_path",),
    "expression_path": ("sample_annotation", "probes_path"),
}


def _check_companions(
    profile: str,
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any],
    *,
    where: str | None = None,
) -> None:
    """Refuse another input beside a profile's file that describes the profile's own
    (:data:`COMPANION_INPUTS`), naming the parameter to give: with ``-p`` (``where`` None)
    or in the profile ``where`` that extends ``profile``."""
    for key, companions in COMPANION_INPUTS.items():
        if key not in overrides or overrides[key] == defaults.get(key):
            continue
        for other in companions:
            if other in overrides or not defaults.get(other):
                continue
            fix = (
                f"give -p {other}=<your file> or -p {other}='' (none)"
                if where is None
                else f"set {other} in {where} too (your file, or '' for none)"
            )
            raise ParameterError(
                f"profile {profile}'s {other} ({Path(str(defaults[other])).name}) belongs to "
                f"its own {key}; with another {key}, {fix}"
            )


def profile_values(
    notebook: str | os.PathLike,
    *,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    project_dir: str | os.PathLike | None = None,
    ignore_unknown_overrides: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """The profile (``extends`` merged, ``${...}`` expanded) with ``overrides``, input paths
    absolute and every value checked against its declared type; ``output_dir`` left out.
    An input of the user's own beside the profile's file that describes the profile's input
    (:data:`COMPANION_INPUTS`: a ``test_path``, ``sample_annotation``, ``probes_path``) is
    refused unless that file is given too.

    What :func:`resolve_parameters` runs, and what ``gexnb params`` prints for plain
    papermill (``-f``). Raises as :func:`resolve_parameters`.

    Parameters
    ----------
    notebook
        Path, stem (``01_data_prep``) or number (``01``).
    profile
        Name of ``parameters/<stem>/<profile>.yaml``.
    overrides
        Parameter values that replace the profile's (``-p key=value``).
    project_dir
        Project folder; default: found from the current directory.
    ignore_unknown_overrides
        Skip overrides the notebook does not declare (used by :func:`run_all`).

    Returns
    -------
    notebook, values
        The notebook's path and the parameter values.
    """
    project = find_project_dir(project_dir)
    path = resolve_notebook(notebook, project)
    stem = path.stem
    declared = notebook_parameters(path)
    valid = ", ".join(declared)
    source = profile_file(project, stem, profile)
    # relative paths: against the project for its profiles, beside a profile file of one's own
    base = source.parent if is_profile_file(profile) else project
    values = {
        k: _absolute_paths(k, v, base) for k, v in load_profile(project, stem, profile).items()
    }
    defaults = dict(values)
    unknown = [k for k in values if k not in declared]
    if unknown:
        hints = "".join(unknown_parameter_hint(k, declared) for k in unknown)
        where = source if is_profile_file(profile) else f"parameters/{stem}/{profile}.yaml"
        raise ParameterError(
            f"{where}: unknown parameter(s) {', '.join(unknown)} "
            f"for {stem}{hints}; valid names: {valid}"
        )
    for key, value in (overrides or {}).items():
        if key not in declared:
            if ignore_unknown_overrides:
                continue
            scoped = " (NB:NAME is run-all's, for one notebook)" if ":" in key else ""
            raise ParameterError(
                f"unknown parameter {key!r} for {stem}{unknown_parameter_hint(key, declared)}"
                f"{scoped}; valid names: {valid}"
            )
        if key in PER_MODEL_PARAMETERS:
            value = merged_per_model(values.get(key, declared[key].default), value, key)
        values[key] = _absolute_paths(key, value, Path.cwd())
    _check_companions(profile, defaults, {k: values[k] for k in overrides or {} if k in values})
    values = {k: _check_type(declared[k], v) for k, v in values.items()}
    return path, values


#: Parameters of per-model settings: an override (``-p``, a sweep's grid) is merged into the
#: profile's value model by model (:func:`merged_per_model`), so that setting one model
#: does not send the others back to their builders' defaults (a new-user trial: ``-p
#: 'model_params={knn_ge: {k: 3}}'`` on the quick profile trained D-GEX at 3 x 9,000 units).
PER_MODEL_PARAMETERS = frozenset({"model_params"})


def merged_per_model(base: Any, override: Any, name: str = "model_params") -> Any:
    """``override`` merged into ``base`` model by model: a model's keys given replace the
    profile's for that model, its other keys and the other models keep the profile's; a
    model given as None (``{dgex: null}``) drops the profile's settings for it, and ``{}``
    all of them (every model at its builder's defaults).

    Parameters
    ----------
    base
        The profile's (or the notebook's) value: model name -> settings.
    override
        The value given (``-p``); anything but a mapping replaces ``base`` (and is then
        refused by the type check).
    name
        The parameter's name, for the log.

    Returns
    -------
    Any
        The merged mapping.
    """
    if not isinstance(base, Mapping) or not isinstance(override, Mapping) or not override:
        return override  # {}: every model at its builder's defaults, as the value says
    merged = {k: dict(v) if isinstance(v, Mapping) else v for k, v in base.items()}
    for model, settings in override.items():
        if settings is None:
            merged.pop(model, None)
        elif isinstance(settings, Mapping) and isinstance(merged.get(model), Mapping):
            merged[model] = {**merged[model], **settings}
        else:
            merged[model] = settings
    kept = [m for m in base if m not in override]
    if kept:
        log.info("%s: %s keep the profile's settings (%s: null drops them)", name,
                 ", ".join(map(str, kept)), kept[0])  # fmt: skip
    return merged


def run_folder(
    overrides: Mapping[str, Any] | None, output_dir: str | os.PathLike | None
) -> Path | None:
    """The run folder given by ``-o`` (``output_dir``) or ``-p output_dir=X`` (the same),
    absolute; None when neither is given.

    Parameters
    ----------
    overrides
        Parameter overrides (their ``output_dir``), or None.
    output_dir
        The ``-o`` folder, or None.

    Returns
    -------
    pathlib.Path or None
        The folder, resolved (not created).

    Raises
    ------
    ParameterError
        Both given, naming two different folders.
    """
    given = [
        str(f) for f in ((overrides or {}).get("output_dir"), output_dir) if f not in (None, "")
    ]
    folders = {Path(f).expanduser().resolve() for f in given}
    if len(folders) > 1:
        raise ParameterError(
            f"two run folders: -p output_dir={given[0]} and -o {given[1]}; give one"
        )
    return folders.pop() if folders else None


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

    Input paths (:data:`PATH_SUFFIXES`, :data:`PATH_NAMES`, also inside mappings) are made
    absolute: relative ones in ``overrides`` against the working folder (where the user typed
    them; the kernel itself runs in the output folder), in the profile against the project.

    Parameters
    ----------
    notebook
        Path, stem (``01_data_prep``) or number (``01``).
    profile
        Name of ``parameters/<stem>/<profile>.yaml``.
    overrides
        Parameter values that replace the profile's (``-p key=value``).
    output_dir
        Run folder (checked, not created: the run creates it once every check has
        passed); default ``<project>/runs/<profile>/<stem>/``.
    project_dir
        Project folder; default: found from the current directory.
    ignore_unknown_overrides
        Skip overrides the notebook does not declare (used by :func:`run_all`).

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
    folder = run_folder(overrides, output_dir)
    project = find_project_dir(project_dir)
    path, values = profile_values(
        notebook, profile=profile, overrides=overrides, project_dir=project,
        ignore_unknown_overrides=ignore_unknown_overrides,
    )  # fmt: skip
    stem = path.stem
    declared = notebook_parameters(path)
    out = check_output_dir(folder or project / "runs" / profile_name(profile) / stem)
    if "output_dir" in declared:
        values["output_dir"] = str(out)
    return path, values, out

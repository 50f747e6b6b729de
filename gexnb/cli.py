"""The ``gexnb`` command: run notebooks with parameter profiles, list them, predict from a model.

Examples
--------
::

    gexnb list
    gexnb run 01 --profile quick -p 'synthetic={n_sequences: 500}'
    gexnb run-all --profile quick
    gexnb sweep 04 --profile quick -g epochs=3,10 -g units=8,16 -o sweeps/04_epochs
    gexnb prepare 03 --profile real -p epochs=5 -o explore/03_real
    gexnb models
    gexnb predict --model runs/real/02_bigru_training/metformin_bigru.keras \\
        --input my_sequences.txt --output predictions.tsv
    gexnb predict --model runs/quick/03_landmark_models/models/random/dgex \\
        --input my_landmarks.tsv --output targets.tsv
    gexnb join-fasta Sequences_Train.fa Sequences_activity_Train.txt -o train.tsv

Errors raised on purpose by gexnb (:class:`~gexnb.errors.GexnbError`) print one line
``gexnb: error: ...`` and exit with status 2, also when a notebook stops on one of them (bad
input or parameters); a notebook that fails otherwise exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from gexnb.errors import GexnbError, ParameterError

__all__ = ["main", "build_parser"]


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        default="quick",
        help="parameter profile: parameters/<notebook>/<profile>.yaml (quick, real, paper; "
        "default quick), or the path of a .yaml file of your own (it may start with "
        "'extends: real'; results in runs/<its name>/)",
    )
    parser.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one parameter (value parsed as YAML); repeatable",
    )
    parser.add_argument(
        "--project-dir",
        default=None,
        help="project folder with notebooks/ and parameters/ (default: found from the cwd)",
    )
    parser.add_argument(
        "--kernel", default=None, help="Jupyter kernel (default: $GEXNB_KERNEL or gexnb)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gexnb`` command.

    Returns
    -------
    argparse.ArgumentParser
        With the sub-commands ``run``, ``prepare``, ``params``, ``run-all``, ``sweep``, ``list``,
        ``models``, ``predict`` and ``join-fasta``; the chosen one is in ``args.command``.
    """
    parser = argparse.ArgumentParser(
        prog="gexnb",
        description="Parameterized gene-expression notebooks: run, list, predict.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="execute one notebook with a parameter profile")
    run.add_argument("notebook", help="notebook path, stem (01_data_prep) or number (01)")
    _add_run_options(run)
    run.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help="run folder (default runs/<profile>/<notebook>/)",
    )

    prepare = sub.add_parser(
        "prepare",
        help="write a copy of a notebook with a profile's parameters, to open in JupyterLab",
    )
    prepare.add_argument("notebook", help="notebook path, stem (01_data_prep) or number (01)")
    _add_run_options(prepare)
    prepare.add_argument(
        "-o",
        "--output-dir",
        required=True,
        help="folder for the copy <notebook>.ipynb and, when you run it, its results",
    )
    prepare.add_argument("--force", action="store_true", help="overwrite an existing copy")

    params = sub.add_parser(
        "params",
        help="print a profile's parameters as gexnb resolves them (YAML, for papermill -f)",
    )
    params.add_argument("notebook", help="notebook path, stem (01_data_prep) or number (01)")
    _add_run_options(params)
    params.add_argument(
        "-o", "--output-dir", default=None, help="run folder to write into output_dir (absolute)"
    )

    run_all = sub.add_parser(
        "run-all",
        help="execute every notebook and print the summary",
        epilog="-p NAME=VALUE sets NAME in every notebook that has it (models: 02, 03 and 04); "
        "-p NB:NAME=VALUE in notebook NB only, e.g. -p 02:models=[]",
    )
    _add_run_options(run_all)

    sweep = sub.add_parser(
        "sweep",
        help="run a notebook over a grid of parameter values (resumable); writes sweep.csv",
    )
    sweep.add_argument("notebook", help="notebook path, stem (01_data_prep) or number (01)")
    _add_run_options(sweep)
    sweep.add_argument(
        "-g",
        "--grid",
        dest="grid",
        action="append",
        required=True,
        metavar="NAME=V1,V2",
        help="values of one swept parameter (YAML each; lists in brackets: hidden=[16],[32,16]); "
        "repeatable, the grid is every combination",
    )
    sweep.add_argument(
        "-o", "--output-dir", required=True, help="sweep folder (one sub-folder per point)"
    )
    sweep.add_argument(
        "--metric", default=None, help="metric key of sweep.png (default: the notebook's main one)"
    )

    listing = sub.add_parser("list", help="notebooks, their profiles and parameters")
    listing.add_argument("--project-dir", default=None)

    models = sub.add_parser("models", help="model names accepted by gexnb.models.build")
    models.add_argument(
        "name", nargs="?", default=None, help="show this model's hyperparameters and defaults"
    )

    predict = sub.add_parser(
        "predict",
        help="predict expression for a sequence file, or target genes from landmark genes",
        description="With a sequence model (.keras, notebook 02): one prediction per sequence, "
        "written after the sequence and the input header's other columns (ids, measurements). "
        "With a landmark model notebook 03 saved (its save parameter's models: the folder "
        "models/<split>/<model> holding predictor.json): every target gene of each sample "
        "of an expression matrix, from its landmark genes.",
    )
    predict.add_argument(
        "--model",
        required=True,
        help="trained model: a .keras sequence model, or a landmark model's folder",
    )
    predict.add_argument(
        "--input",
        required=True,
        help="sequences (one per line, TSV or FASTA), or an expression matrix for a landmark model "
        "(TSV/CSV, .gz too, GEO series matrix, parquet, HDF5, GCT, GCTX or h5ad; samples x "
        "genes, or genes x samples, recognised by its landmark row ids)",
    )
    predict.add_argument(
        "--output",
        required=True,
        help="predictions: .tsv, .txt or .csv (sequences); .tsv, .csv, .parquet or .h5 (genes)",
    )
    predict.add_argument(
        "--batch-size", type=int, default=None, help="samples per forward pass (default 2048)"
    )
    predict.add_argument(
        "--orientation",
        choices=("auto", "samples_x_genes", "genes_x_samples"),
        default=None,
        help="landmark models: the input matrix's layout; auto (default: the format's "
        "convention, or genes x samples when the landmark genes are its row ids)",
    )
    predict.add_argument(
        "--nan",
        choices=("error", "mean", "drop_samples"),  # landmark_predictor.MISSING_LANDMARK_VALUES
        default=None,
        help="landmark models: a sample's missing landmark value: error (default), mean (the "
        "gene's mean over the file's samples) or drop_samples (such samples not predicted)",
    )
    predict.add_argument(
        "--too-long",
        choices=("error", "trim"),
        default=None,
        help="sequence models: sequences longer than the model input: fail (default) or trim",
    )
    join = sub.add_parser(
        "join-fasta",
        help="join a FASTA file with the table of its measured values, for notebooks 01 and 02",
        description="Writes id, sequence and the table's columns, one row per FASTA record in "
        "its order (a TSV, .tsv.gz or CSV by the name): rows matched by the table's column "
        "of FASTA names, or by order when it has none (as DeepSTARR's Sequences_activity "
        "tables). Give the result to sequence_path, with expression_column naming the "
        "measured column when the table has several.",
    )
    join.add_argument("fasta", help="the sequences: FASTA, .gz too")
    join.add_argument("values", help="the measured values: a table with a header line")
    join.add_argument("-o", "--output", required=True, help="the table to write (.tsv, .csv)")
    join.add_argument(
        "--id-column", default="", help="the table's column of FASTA names (default: found)"
    )
    return parser


def _overrides(items: Sequence[str]) -> dict[str, Any]:
    """``-p`` options as a mapping; a name given twice is refused (which one was meant?)."""
    from gexnb.runner import parse_override

    parsed = [parse_override(item) for item in items]
    names = [name for name, _ in parsed]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ParameterError(f"parameter(s) {', '.join(twice)} given more than once with -p")
    return dict(parsed)


def _print_warnings(result: Any) -> None:
    """A run's warnings on stderr, which papermill kept in the executed notebook only."""
    from gexnb.runner import warnings_heading

    if getattr(result, "warnings", None):
        print(warnings_heading(result), file=sys.stderr)
        for warning in result.warnings:
            print("  " + warning.replace("\n", "\n  "), file=sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    from gexnb import runner

    began = time.time()
    try:
        result = runner.run_notebook(
            args.notebook,
            profile=args.profile,
            overrides=_overrides(args.params),
            output_dir=args.output_dir,
            project_dir=args.project_dir,
            kernel=args.kernel,
        )
    except Exception:
        if args.output_dir is None:  # summary.csv says it failed, not the earlier run's rows
            _summary_after_failure(args, began)
        raise
    print(f"{result.notebook}: ok in {result.seconds:.1f} s; outputs in {result.output_dir}")
    _print_warnings(result)
    if args.output_dir is None:
        runner.write_summary(result.output_dir.parent)
    frame = runner.collect_summary(result.output_dir.parent, notebooks=[result.output_dir.name])
    if len(frame):
        print(runner.format_summary(frame))
    return 0


def _summary_after_failure(args: argparse.Namespace, began: float) -> None:
    """``runs/<profile>/summary.csv`` rewritten after a failed ``gexnb run``: the notebook's
    row says ``failed`` (its run folder's own ``run.json``, or, when it failed before its run
    started, a ``failed`` row), where the earlier run's metrics stood as ``ok`` (a
    reviewer's finding)."""
    from gexnb import runner
    from gexnb.rundir import read_manifest

    try:
        project = runner.find_project_dir(args.project_dir)
        stem = runner.resolve_notebook(args.notebook, project).stem
    except Exception:  # noqa: BLE001 - no such notebook or project: no summary to correct
        return
    root = project / "runs" / runner.profile_name(args.profile)
    if not (root / "summary.csv").is_file():
        return
    started = float((read_manifest(root / stem) or {}).get("start_epoch") or 0.0)
    runner.write_summary(root, not_run=[stem] if started < began else [])


def _cmd_prepare(args: argparse.Namespace) -> int:
    from gexnb import runner

    path = runner.prepare_notebook(
        args.notebook,
        args.output_dir,
        profile=args.profile,
        overrides=_overrides(args.params),
        project_dir=args.project_dir,
        force=args.force,
    )
    print(f"{path}: parameters of profile {args.profile!r} injected; open it in JupyterLab")
    return 0


def _cmd_run_all(args: argparse.Namespace) -> int:
    from gexnb import runner

    results = runner.run_all(
        profile=args.profile,
        overrides=_overrides(args.params),
        project_dir=args.project_dir,
        kernel=args.kernel,
    )
    if results:  # the summary run_all wrote for this invocation, not every folder's
        root = results[0].output_dir.parent
        print(runner.format_summary(runner.read_summary(root / "summary.csv")))
        print(f"\nsummary: {root / 'summary.csv'}")
    failed = [r for r in results if not r.ok]
    for result in results:
        status = "ok" if result.ok else "FAILED"
        print(f"  {result.notebook:<28} {status:<7} {result.seconds:7.1f} s")
    for result in results:
        _print_warnings(result if result.ok else result.error)
    for result in failed:
        print(f"gexnb: error: {result.error}", file=sys.stderr)
    if not failed:
        return 0
    from gexnb.runner import NotebookExecutionError

    def bad_input(error: Exception | None) -> bool:
        return not isinstance(error, NotebookExecutionError) or error.bad_input

    # 2 when every failure is bad input or parameters (as for gexnb run), else 1
    return 2 if all(bad_input(r.error) for r in failed) else 1


def _cmd_sweep(args: argparse.Namespace) -> int:
    from gexnb.runner.sweep import parse_grid, run_sweep

    result = run_sweep(
        args.notebook,
        parse_grid(args.grid),
        args.output_dir,
        profile=args.profile,
        overrides=_overrides(args.params),
        project_dir=args.project_dir,
        kernel=args.kernel,
        metric=args.metric,
        progress=sys.stderr.isatty(),
    )
    print(
        f"sweep: {result.n_run} run, {result.n_skipped} already done, {result.n_failed} failed; "
        f"{result.csv_path}"
        + (f", {result.figure_path}" if result.figure_path else "")
        + (f", {result.seeds_path}" if result.seeds_path else "")
    )
    if result.note:
        print(f"gexnb: {result.note}", file=sys.stderr)
    return 1 if result.n_failed else 0


def _cmd_params(args: argparse.Namespace) -> int:
    """``gexnb params``: the profile with ``extends`` merged, ``${...}`` expanded, input paths
    absolute and types checked, as YAML on stdout for ``papermill -f``."""
    import yaml

    from gexnb import runner

    overrides = _overrides(args.params)
    _, values = runner.profile_values(
        args.notebook, profile=args.profile, overrides=overrides, project_dir=args.project_dir
    )
    folder = runner.run_folder(overrides, args.output_dir)  # absolute, as gexnb run makes it
    if folder is not None:
        values["output_dir"] = str(folder)
    sys.stdout.write(yaml.safe_dump(values, sort_keys=False, default_flow_style=None))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from gexnb import runner

    project = runner.find_project_dir(args.project_dir)
    notebooks = runner.list_notebooks(project)
    if not notebooks:
        print(f"no notebooks in {project / 'notebooks'}")
    for path in notebooks:
        profiles = ", ".join(runner.list_profiles(project, path.stem)) or "none"
        print(f"{path.stem}  (profiles: {profiles})")
        try:
            params = runner.notebook_parameters(path)
        except GexnbError as exc:
            print(f"    {exc}")
            continue
        for p in params.values():
            comment = f"  # {p.comment}" if p.comment else ""
            print(f"    {p.name}: {p.type or '?'} = {p.default!r}{comment}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    """``gexnb models``: the names; ``gexnb models NAME``: its kind, task, the first line of
    its builder's docstring and each hyperparameter with its default (as ``build`` takes
    them, e.g. in a notebook's ``model_params``)."""
    import inspect

    from gexnb.backend import import_backend_quietly

    import_backend_quietly()
    from gexnb.models import available
    from gexnb.models.registry import _INFO, get_factory

    if args.name is None:
        for name in available():
            print(name)
        return 0
    factory = get_factory(args.name)
    kind, task = _INFO[args.name]
    summary = (inspect.getdoc(factory) or "").split("\n", 1)[0]
    summary = re.sub(r" ?\[\d+\]_", "", summary).replace("``", "`")  # reST marks, for a terminal
    print(f"{args.name} ({kind}, {task}): {summary}")
    signature = inspect.signature(factory, eval_str=True)
    parameters = list(signature.parameters.values())
    returned = signature.return_annotation
    if all(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters) and inspect.isclass(
        returned
    ):  # a builder that passes its keywords on (the scikit-learn baselines): the class's
        parameters = list(inspect.signature(returned).parameters.values())
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            print(f"  **{parameter.name}")
        elif parameter.default is inspect.Parameter.empty:
            print(f"  {parameter.name} (required)")
        elif parameter.name == "random_state":  # baselines.seeded: the notebooks' seed
            print(f"  {parameter.name}: {parameter.default!r} (the run's seed in the notebooks)")
        else:
            print(f"  {parameter.name}: {parameter.default!r}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    """``gexnb predict``; SIGTERM stops it like Ctrl-C (the temporary output is removed),
    then :class:`~gexnb.runner.RunInterrupted` gives ``gexnb run``'s message and status 143."""
    from gexnb.backend import import_backend_quietly

    import_backend_quietly()  # no TensorFlow start-up lines before the one line of output
    from gexnb.pipelines.landmark_predictor import (
        check_model_path,
        is_predictor,
        predict_landmark_file,
    )
    from gexnb.runner import RunInterrupted
    from gexnb.train import predict_file

    received: list[int] = []

    def on_sigterm(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt  # unwinds as Ctrl-C does, through the atomic write's cleanup

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
        installed = True
    except ValueError:  # not the main thread: signals stay as they are
        previous, installed = None, False
    try:
        sized = {} if args.batch_size is None else {"batch_size": args.batch_size}
        check_model_path(args.model)
        if is_predictor(args.model):
            if args.too_long is not None:
                raise ParameterError("--too-long is for sequence models, not landmark models")
            laid = {} if args.orientation is None else {"orientation": args.orientation}
            if args.nan is not None:
                laid["nan"] = args.nan
            n, predictor = predict_landmark_file(
                args.model, args.input, args.output, **laid, **sized
            )
            print(
                f"{n} samples x {len(predictor.targets)} target genes ({predictor.model_name}, "
                f"split {predictor.source.get('split', '?')}) written to {args.output}"
            )
            return 0
        for option in ("orientation", "nan"):
            if getattr(args, option) is not None:
                raise ParameterError(f"--{option} is for landmark models, not sequence models")
        trimmed = {} if args.too_long is None else {"too_long": args.too_long}
        out = predict_file(args.model, args.input, args.output, **trimmed, **sized)
    except KeyboardInterrupt:
        if received:
            where = f"predict, {args.output} not written"
            raise RunInterrupted(received[0], notebook=where) from None
        raise
    finally:
        if installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    print(f"{out} predictions written to {args.output}")
    return 0


def _cmd_join_fasta(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gexnb.data.fasta import join_fasta
    from gexnb.errors import InputError
    from gexnb.io import write_table_atomic

    output = Path(args.output)
    if output.resolve() in (Path(args.fasta).resolve(), Path(args.values).resolve()):
        raise InputError("the output would replace an input file", path=str(output))
    if not output.name.lower().endswith((".tsv", ".txt", ".tsv.gz", ".csv")):
        raise InputError("name the output .tsv, .txt, .tsv.gz or .csv", path=str(output))
    joined = join_fasta(args.fasta, args.values, id_column=args.id_column)
    write_table_atomic(output, joined, index=False)
    columns = ", ".join(joined.columns[2:])
    print(f"{len(joined):,} sequences with {columns} written to {output}")
    return 0


_COMMANDS = {
    "run": _cmd_run,
    "run-all": _cmd_run_all,
    "prepare": _cmd_prepare,
    "params": _cmd_params,
    "list": _cmd_list,
    "models": _cmd_models,
    "predict": _cmd_predict,
    "sweep": _cmd_sweep,
    "join-fasta": _cmd_join_fasta,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gexnb`` command; returns the exit status.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 if a notebook failed, 2 for a usage or input error (also one a
        notebook stopped on: :attr:`NotebookExecutionError.bad_input`), 3 for an
        unexpected internal error (one line; ``GEXNB_DEBUG=1`` shows the traceback), 130 after
        Ctrl-C (SIGINT) and 143 after SIGTERM.
    """
    from gexnb.runner import NotebookExecutionError, RunInterrupted

    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except RunInterrupted as exc:
        print(f"gexnb: {exc}", file=sys.stderr)
        return exc.exit_code
    except NotebookExecutionError as exc:
        _print_warnings(exc)
        print(f"gexnb: error: {exc}", file=sys.stderr)
        return 2 if exc.bad_input else 1
    except GexnbError as exc:
        print(f"gexnb: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gexnb: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file gexnb did not expect to fail: name it, no traceback
        from gexnb.io import is_out_of_space, out_of_space

        where = exc.filename or ""
        if is_out_of_space(exc) and where:
            print(f"gexnb: error: {out_of_space(where)}", file=sys.stderr)
        else:
            reason = exc.strerror or str(exc)
            print(
                f"gexnb: error: {where}: {reason}" if where else f"gexnb: error: {reason}",
                file=sys.stderr,
            )
        return 2
    except Exception as exc:
        if os.environ.get("GEXNB_DEBUG"):
            raise
        print(
            f"gexnb: internal error: {type(exc).__name__}: {exc} (a gexnb bug: please report "
            f"it; GEXNB_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())

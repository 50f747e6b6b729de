"""Notebook 03 without data: the paper-size models' parameters and memory (a dry run).

When the D-GEX compendium is absent (``if_data_missing="build_only"``), notebook 03 builds
the paper's models (D-GEX 943 -> 9,520 with 3 x 9,000 hidden units, TAAF, E-GEX) and reports
their sizes and the training memory they would need, instead of training. Re-exported by
:mod:`gexnb.pipelines.landmark`.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gexnb.data.expression import read_gene_list
from gexnb.errors import InputError, ParameterError
from gexnb.io import ensure_output_dir, write_metrics, write_table_atomic
from gexnb.models import available, build, get_factory
from gexnb.models.checks import check_layer_widths
from gexnb.models.landmark import chunk_sizes, dgex_param_count, estimate_training_memory
from gexnb.pipelines.params import split_params
from gexnb.train import TrainingConfig

__all__ = ["describe_paper_models", "data_is_missing", "paper_dry_run"]

log = logging.getLogger("gexnb.pipelines.landmark")

#: Keras models of notebook 03, trained through :func:`gexnb.train.fit`: the registry's deep
#: models of the ``landmark`` task (D-GEX, TAAF, E-GEX).
DEEP_MODELS = tuple(available(kind="deep", task="landmark"))


def describe_paper_models(
    n_landmarks: int,
    n_targets: int,
    *,
    models: Sequence[str] = ("dgex",),
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    training: Mapping[str, Any] | None = None,
    build_models: bool = True,
    output_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Parameter counts and training-memory estimates of the deep models, without training.

    Used by the ``paper`` profile when the D-GEX GEO data (111,009 profiles) are absent: the
    943 -> 9,520 network with 3 x 9,000 units is built (``build_models``) and its parameter
    count and memory need are reported (:func:`gexnb.models.landmark.estimate_training_memory`).

    Parameters
    ----------
    n_landmarks, n_targets
        Numbers of landmark and target genes.
    models
        Models to describe; those not in :data:`DEEP_MODELS` are skipped.
    model_params
        Model name -> architecture and training keys (``hidden``, ``target_chunks``,
        ``optimizer``, ...); an architecture key left out is the builder's default.
    training
        The run's training settings (:class:`gexnb.train.TrainingConfig` fields; a model's
        own training keys override them): the batch size and optimizer of the memory
        estimate, as the model would train.
    build_models
        Build each model to count its parameters (``n_params_built``); else counted only
        for ``dgex``.
    output_dir
        When given, ``metrics.json`` (``<model>/paper/<key>``) and ``paper_models.tsv``
        are written there.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``n_params``, ``n_params_built`` (when built), memory in GiB.
    """
    rows = []
    metrics: dict[str, float] = {}
    for name in models:
        if name not in DEEP_MODELS:
            continue
        arch, train_kw = split_params(dict((model_params or {}).get(name, {})), name)
        config = TrainingConfig.from_mapping({**dict(training or {}), **train_kw})
        sizes = {**_builder_defaults(name), **arch}  # as the model is built
        row: dict[str, Any] = {"model": name}
        chunks = int(sizes.get("target_chunks", 1))
        if name == "egex":
            enc, mapper = (
                check_layer_widths(k, sizes[k]) for k in ("encoder_hidden", "mapper_hidden")
            )
            widths = [n_landmarks, *mapper, *enc[::-1], n_targets]
        else:
            hidden = check_layer_widths("hidden", sizes["hidden"])
            widths = [n_landmarks, *(list(hidden) * chunks), n_targets]
        if name == "dgex":
            row["n_params"] = dgex_param_count(n_landmarks, n_targets, hidden, target_chunks=chunks)
        if build_models:
            start = time.perf_counter()
            model = build(name, n_landmarks=n_landmarks, n_targets=n_targets, **arch)
            row["n_params_built"] = int(model.count_params())
            row["build_seconds"] = time.perf_counter() - start
            row.setdefault("n_params", row["n_params_built"])
            del model
        mem = estimate_training_memory(
            int(row["n_params"]),
            batch_size=config.batch_size,
            layer_widths=widths,
            optimizer=str(config.optimizer),
        )
        row.update({f"memory_{k}_gib": v / 2**30 for k, v in mem.items()})
        row["target_chunks"] = chunks
        row["chunk_sizes"] = (
            ",".join(map(str, chunk_sizes(n_targets, chunks))) if name != "egex" else ""
        )
        rows.append(row)
        for key in ("n_params", "n_params_built", "memory_total_gib", "memory_weights_gib"):
            if key in row:
                metrics[f"{name}/paper/{key}"] = float(row[key])
    table = pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()
    if output_dir is not None:
        out = ensure_output_dir(output_dir)
        write_metrics(out, metrics)
        write_table_atomic(out / "paper_models.tsv", table)
    return table


def _builder_defaults(name: str) -> dict[str, Any]:
    """The keyword defaults of a model's builder (its layer widths when a profile omits
    them: D-GEX's 3 x 9,000, TAAF's 2 x 300, E-GEX's 3,000)."""
    parameters = inspect.signature(get_factory(name)).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def data_is_missing(expression_path: str, *, if_data_missing: str = "error") -> bool:
    """Whether to skip training because the data file is absent (``paper`` profile).

    Parameters
    ----------
    expression_path
        The matrix path (``""`` = synthetic, never missing).
    if_data_missing
        ``"error"``: raise when the file is absent; ``"build_only"``: return True so the
        notebook only builds the models and reports their size (:func:`paper_dry_run`).

    Returns
    -------
    bool
        True when the file is absent under ``"build_only"``, else False.

    Raises
    ------
    InputError
        The file is absent and ``if_data_missing="error"``.
    """
    if if_data_missing not in ("error", "build_only"):
        raise ParameterError(
            f"if_data_missing must be 'error' or 'build_only', got {if_data_missing!r}"
        )
    if not expression_path or Path(expression_path).is_file():
        return False
    if if_data_missing == "error":
        raise InputError("expression matrix not found", path=str(expression_path))
    log.warning("%s is absent: building the models and reporting sizes only", expression_path)
    return True


def paper_dry_run(
    landmark_list: str,
    target_list: str,
    *,
    models: Sequence[str],
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    training: Mapping[str, Any] | None = None,
    counts: Sequence[int] = (88807, 11101, 11101),
    output_dir: str | os.PathLike,
    build_models: bool = True,
) -> pd.DataFrame:
    """Size the paper-scale models from the gene lists alone (no expression data needed).

    Counts the genes of the landmark and target lists (D-GEX: 943 and 9,520), builds the
    deep models at that size, and writes their parameter counts and memory need
    (``<model>/paper/n_params``, ``<model>/paper/memory_total_gib``) plus
    ``data/paper/n_train`` etc. for the split ``counts`` to ``metrics.json``.

    Parameters
    ----------
    landmark_list, target_list
        Gene list files (:func:`gexnb.data.expression.read_gene_list`).
    models, model_params, training
        As for :func:`describe_paper_models`.
    counts
        ``(train, val, test)`` sample counts reported (D-GEX's 88,807 / 11,101 / 11,101).
    output_dir
        Folder of ``metrics.json`` and ``paper_models.tsv``.
    build_models
        As for :func:`describe_paper_models`.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`describe_paper_models`.
    """
    n_lm = len(read_gene_list(landmark_list))
    n_tg = len(read_gene_list(target_list))
    table = describe_paper_models(
        n_lm,
        n_tg,
        models=models,
        model_params=model_params,
        training=training,
        build_models=build_models,
        output_dir=output_dir,
    )
    names = ("n_train", "n_val", "n_test")
    extra = {f"data/paper/{k}": float(v) for k, v in zip(names, counts, strict=True)}
    extra.update({"data/paper/n_landmarks": float(n_lm), "data/paper/n_targets": float(n_tg)})
    write_metrics(output_dir, extra)
    return table

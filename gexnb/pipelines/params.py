"""Notebook parameters of nested options: fill partial mappings from their defaults, and split
a model's parameter mapping into its architecture and its training settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gexnb.errors import ParameterError
from gexnb.train.config import TrainingConfig

__all__ = ["with_defaults", "split_params", "TRAINING_KEYS"]

#: Keys of a model's parameter mapping that configure its training, not its architecture:
#: the fields of :class:`gexnb.train.TrainingConfig` but ``seed`` and ``verbose`` (set per run).
TRAINING_KEYS = tuple(
    f.name for f in dataclasses.fields(TrainingConfig) if f.name not in ("seed", "verbose")
)
#: Architecture keys holding a list of layer widths.
_WIDTH_KEYS = ("hidden", "encoder_hidden", "mapper_hidden")


def with_defaults(options: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Fill a partial option mapping from ``defaults``, refusing unknown keys.

    Parameters
    ----------
    options
        What the user gave (a notebook parameter or a YAML profile may name only some keys).
    defaults
        The complete mapping of valid keys and their default values.

    Raises
    ------
    ParameterError
        If ``options`` holds a key that ``defaults`` does not, naming the valid ones.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ParameterError(
            f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(defaults)}"
        )
    return {**defaults, **options}


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a model's parameters into ``(architecture, training)`` by :data:`TRAINING_KEYS`;
    layer-width lists become tuples of int."""
    arch = {k: v for k, v in params.items() if k not in TRAINING_KEYS}
    train = {k: v for k, v in params.items() if k in TRAINING_KEYS}
    for key in _WIDTH_KEYS:
        if key in arch:
            arch[key] = tuple(int(h) for h in arch[key])
    return arch, train

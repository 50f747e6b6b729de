"""Notebook parameters of nested options: fill partial mappings from their defaults, split
a model's parameter mapping into its architecture and its training settings, and notebook 02's
``data_efficiency`` plan."""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Iterable, Mapping
from typing import Any

from gexnb.data.expression import DataChecks
from gexnb.errors import ParameterError
from gexnb.train.config import TrainingConfig

__all__ = [
    "with_defaults",
    "split_params",
    "check_model_params",
    "DATA_CHECK_DEFAULTS",
    "data_check_options",
    "TRAINING_KEYS",
    "EfficiencyPlan",
]

#: Keys of a model's parameter mapping that configure its training, not its architecture:
#: the fields of :class:`gexnb.train.TrainingConfig` but ``seed`` and ``verbose`` (set per run).
TRAINING_KEYS = tuple(
    f.name for f in dataclasses.fields(TrainingConfig) if f.name not in ("seed", "verbose")
)
#: Architecture keys holding a list of layer widths.
_WIDTH_KEYS = ("hidden", "encoder_hidden", "mapper_hidden")


#: The ``data_checks`` parameter of notebooks 01, 03 and 04: how an expression file is read
#: and checked, the fields of :class:`gexnb.data.expression.DataChecks` (their one statement,
#: shared with the loaders' keyword defaults). Each notebook takes the keys that apply to it
#: (:func:`data_check_options`).
DATA_CHECK_DEFAULTS: dict[str, Any] = dataclasses.asdict(DataChecks())


def data_check_options(given: Mapping[str, Any] | None, keys: Iterable[str]) -> dict[str, Any]:
    """A notebook's ``data_checks``: ``keys`` of :data:`DATA_CHECK_DEFAULTS` (the ones that
    apply to that notebook), completed with their defaults; any other key is refused.

    Parameters
    ----------
    given
        The notebook's ``data_checks`` value (``None`` or ``{}``: all defaults).
    keys
        The keys of :data:`DATA_CHECK_DEFAULTS` that apply to the notebook.

    Returns
    -------
    dict
        Each of ``keys`` -> the given value, else its default.
    """
    defaults = {key: DATA_CHECK_DEFAULTS[key] for key in keys}
    return with_defaults(given, defaults, name="data_checks")


def with_defaults(
    options: Mapping[str, Any] | None, defaults: Mapping[str, Any], *, name: str = ""
) -> dict[str, Any]:
    """Fill a partial option mapping from ``defaults``, refusing unknown keys.

    Parameters
    ----------
    options
        What the user gave (a notebook parameter or a YAML profile may name only some keys).
    defaults
        The complete mapping of valid keys and their default values.
    name
        The parameter, named in the error (``motif_discovery``, ``data_checks``).

    Returns
    -------
    dict
        ``defaults`` updated with ``options``.

    Raises
    ------
    ParameterError
        If ``options`` holds a key that ``defaults`` does not, naming the valid ones.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        what = f"{name} option(s)" if name else "option(s)"
        raise ParameterError(f"unknown {what} {', '.join(unknown)}; valid: {', '.join(defaults)}")
    return {**defaults, **options}


def split_params(
    params: Mapping[str, Any], name: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a model's parameters into ``(architecture, training)`` by :data:`TRAINING_KEYS`;
    layer-width lists become tuples.

    Parameters
    ----------
    params
        A model's ``model_params`` entry.
    name
        The registered model; a classical one (scikit-learn, not trained by
        :func:`gexnb.train.fit`) takes every key as its own: ``learning_rate`` of
        ``gradient_boosting`` is the boosting's, not a Keras optimizer's.

    Returns
    -------
    architecture, training
        The keys not in :data:`TRAINING_KEYS` (lists of widths as tuples) and those in it.
    """
    keys = _training_keys(name)
    arch = {k: v for k, v in params.items() if k not in keys}
    train = {k: v for k, v in params.items() if k in keys}
    for key in _WIDTH_KEYS:  # a YAML list as a tuple; the builder checks the widths
        if isinstance(arch.get(key), list):
            arch[key] = tuple(arch[key])
    return arch, train


def _training_keys(name: str | None) -> tuple[str, ...]:
    """:data:`TRAINING_KEYS`, or none for a classical model (see :func:`split_params`)."""
    from gexnb.models.registry import model_kind

    return () if name is not None and model_kind(name) == "classical" else TRAINING_KEYS


def check_model_params(
    name: str,
    params: Mapping[str, Any] | None,
    *,
    fixed: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> None:
    """Refuse a key of ``model_params[name]`` that neither the model's builder nor training
    takes, before anything trains (a typo such as ``hiden`` was a bare ``TypeError`` at build).

    Parameters
    ----------
    name
        Registered model name (:func:`gexnb.models.registry.get_factory`).
    params
        Its ``model_params`` entry: architecture keys plus :data:`TRAINING_KEYS` (a
        classical model's keys are all its own, :func:`split_params`).
    fixed
        Builder arguments the pipeline sets from the data (``length``, ``n_landmarks``...),
        which a notebook may not set.
    extra
        Keys the pipeline itself consumes (e.g. ``soft_bins``).

    Raises
    ------
    ParameterError
        Naming the model, the unknown keys and the valid ones.
    """
    from gexnb.models.registry import get_factory

    factory = get_factory(name)
    signature = inspect.signature(factory).parameters
    keys = _training_keys(name)
    if any(p.kind is p.VAR_KEYWORD for p in signature.values()):
        # a scikit-learn wrapper: building it only stores its keywords, so build it to check
        arch = {k: v for k, v in (params or {}).items() if k not in keys}
        try:
            factory(**arch)
        except TypeError as exc:
            raise ParameterError(f"model_params of {name}: {exc}") from None
        return
    fixed = set(fixed)
    allowed = [k for k in signature if k not in fixed and k not in ("name", "seed")]
    allowed += list(extra)
    unknown = sorted(set(params or {}) - set(keys) - set(allowed))
    if unknown:
        training = f"; training: {', '.join(keys)}" if keys else " (a classical model)"
        raise ParameterError(
            f"model_params of {name}: unknown key(s) {', '.join(unknown)}; architecture: "
            f"{', '.join(allowed)}{training}"
        )


@dataclasses.dataclass(frozen=True)
class EfficiencyPlan:
    """What the curve trains: notebook 02's ``data_efficiency`` parameter.

    Parameters
    ----------
    fractions, seeds
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    fractions
        Fractions of the training rows, each in ``(0, 1]``; none means no curve.
    seeds
        Repeats per fraction (seeds ``seed, seed + 1, ...``): a new random subset and a new
        initialisation each; the spread across them gives the error bars.
    """

    fractions: tuple[float, ...] = ()
    seeds: int = 3

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> EfficiencyPlan:
        """The plan of a ``{"fractions": [...], "seeds": n}`` mapping; other keys are refused."""
        mapping = dict(mapping or {})
        unknown = sorted(set(mapping) - {"fractions", "seeds"})
        if unknown:
            raise ParameterError(
                f"unknown data_efficiency key(s) {', '.join(unknown)}; valid: fractions, seeds"
            )
        try:
            fractions = tuple(sorted({float(f) for f in mapping.get("fractions", ())}))
            raw_seeds = mapping.get("seeds", cls.seeds)
            seeds = int(raw_seeds)
            if isinstance(raw_seeds, bool) or seeds != raw_seeds:
                raise ValueError(raw_seeds)
        except (TypeError, ValueError):
            raise ParameterError(
                f"data_efficiency needs a list of fractions and a whole number of seeds, "
                f"not {mapping!r}"
            ) from None
        bad = [f for f in fractions if not 0.0 < f <= 1.0 or not math.isfinite(f)]
        if bad:
            raise ParameterError(f"data_efficiency fractions must lie in (0, 1], not {bad}")
        if seeds < 1:
            raise ParameterError(f"data_efficiency seeds must be at least 1, not {seeds}")
        return cls(fractions, seeds)

    def points(self, seed: int) -> list[tuple[float, int]]:
        """``(fraction, seed)`` of every training run, smallest fraction first."""
        return [(f, seed + k) for f in self.fractions for k in range(self.seeds)]

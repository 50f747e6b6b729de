"""Registry of model factories: ``build(name, **hparams) -> keras.Model``.

Each zoo module decorates its ``build_<name>`` factory with :func:`register_model`, naming
the model's ``kind`` (``"deep"``: a Keras model trained with :func:`gexnb.train.fit`;
``"classical"``: a scikit-learn-style ``fit``/``predict`` object) and ``task`` (the input it
takes: ``"sequence"`` promoter codes, ``"landmark"`` landmark -> target genes, ``"gene_set"``
genes read as a sequence, ``"tabular"`` any samples x features matrix). Pipelines choose their
models with :func:`available` (``available(kind="deep", task="landmark")``), never with lists
of their own.
The zoo modules not yet imported (the scikit-learn ones; :mod:`gexnb.models` imports those
defining Keras classes) are imported on the first :func:`build` or :func:`available` call.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from gexnb.errors import ParameterError

__all__ = ["register_model", "build", "available", "get_factory", "model_kind", "KINDS", "TASKS"]

#: Kinds of model (how they are trained).
KINDS = ("deep", "classical")
#: Tasks (what a model takes as input).
TASKS = ("sequence", "landmark", "gene_set", "tabular")

#: Zoo modules imported to fill the registry (each registers its factories on import).
ZOO_MODULES = (
    "gexnb.models.promoter",
    "gexnb.models.landmark",
    "gexnb.models.gene_sequence",
    "gexnb.models.baselines",
    "gexnb.models.kmer",
)

_REGISTRY: dict[str, Callable[..., Any]] = {}
_INFO: dict[str, tuple[str, str]] = {}
_LOADED = False


def register_model(
    name: str, *, kind: str, task: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``factory`` under ``name`` for :func:`build`.

    Parameters
    ----------
    name
        The model's name in :func:`build`, notebooks and ``metrics.json``.
    kind
        One of :data:`KINDS`.
    task
        One of :data:`TASKS`.

    Returns
    -------
    callable
        The decorator, which registers the factory and returns it unchanged.

    Raises
    ------
    ParameterError
        For an unknown ``kind`` or ``task``, or (when decorating) a name registered twice.
    """
    if kind not in KINDS or task not in TASKS:
        raise ParameterError(f"model {name!r}: kind must be one of {KINDS}, task one of {TASKS}")

    def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ParameterError(f"model name {name!r} is registered twice")
        _REGISTRY[name] = factory
        _INFO[name] = (kind, task)
        return factory

    return decorator


def _load_zoo() -> None:
    global _LOADED
    if _LOADED:
        return
    for module in ZOO_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a zoo module not written yet
            if exc.name != module:
                raise
    _LOADED = True


def available(*, kind: str | None = None, task: str | None = None) -> list[str]:
    """Names accepted by :func:`build`, sorted; only those of ``kind`` and ``task`` when given.

    Parameters
    ----------
    kind
        One of :data:`KINDS`, or None for all.
    task
        One of :data:`TASKS`, or None for all.

    Returns
    -------
    list of str
        The model names.

    Examples
    --------
    >>> from gexnb.models import available
    >>> available(kind="deep", task="landmark")
    ['dgex', 'egex', 'taaf_dgex']
    """
    if kind not in (None, *KINDS) or task not in (None, *TASKS):
        raise ParameterError(f"kind must be one of {KINDS}, task one of {TASKS} (or None)")
    _load_zoo()
    return sorted(
        name
        for name, (k, t) in _INFO.items()
        if (kind is None or k == kind) and (task is None or t == task)
    )


def model_kind(name: str) -> str:
    """``"deep"`` or ``"classical"`` for a registered model (:class:`ParameterError` otherwise).

    Parameters
    ----------
    name
        A registered model name.

    Returns
    -------
    str
        The model's kind.
    """
    get_factory(name)
    return _INFO[name][0]


def get_factory(name: str) -> Callable[..., Any]:
    """Return the factory registered under ``name``.

    Parameters
    ----------
    name
        A registered model name.

    Returns
    -------
    callable
        The factory: hyperparameters as keyword arguments, the model returned.

    Raises
    ------
    ParameterError
        If no model has that name; the message lists the valid names.
    """
    _load_zoo()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(
            f"unknown model {name!r}; available models: {', '.join(sorted(_REGISTRY))}"
        ) from None


def build(name: str, **hparams: Any) -> Any:
    """Build the model registered as ``name`` with hyperparameters ``hparams``.

    Deep models come back as an uncompiled ``keras.Model``; classical baselines as an object
    with ``fit(x, y)`` / ``predict(x)`` (see :mod:`gexnb.models.baselines`). ``help`` of the
    factory (:func:`get_factory`) lists each model's hyperparameters.

    Parameters
    ----------
    name
        A registered model name (:func:`available`).
    **hparams
        Hyperparameters, passed to the factory as keyword arguments.

    Returns
    -------
    keras.Model or Baseline
        The new, unfitted model.

    Raises
    ------
    ParameterError
        For an unknown name, or a hyperparameter the factory does not take (the message
        lists the ones it does).
    """
    factory = get_factory(name)
    parameters = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = sorted(set(hparams) - set(parameters))
    if unknown and not takes_any:
        raise ParameterError(
            f"{name}: unknown hyperparameter(s) {', '.join(unknown)}; it takes "
            f"{', '.join(parameters)}"
        )
    try:
        return factory(**hparams)
    except TypeError as exc:  # a scikit-learn wrapper's keywords are checked only here
        if "unexpected keyword" not in str(exc):
            raise
        raise ParameterError(f"{name}: {exc}") from None

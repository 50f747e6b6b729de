"""Registry of model factories: ``build(name, **hparams) -> keras.Model``.

Each zoo module decorates its ``build_<name>`` factory with :func:`register_model`.
The zoo modules not yet imported (the scikit-learn ones; :mod:`gexnb.models` imports those
defining Keras classes) are imported on the first :func:`build` or :func:`available` call.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from gexnb.errors import ParameterError

__all__ = ["register_model", "build", "available", "get_factory"]

#: Zoo modules imported to fill the registry (each registers its factories on import).
ZOO_MODULES = (
    "gexnb.models.promoter",
    "gexnb.models.landmark",
    "gexnb.models.gene_sequence",
    "gexnb.models.baselines",
    "gexnb.models.kmer",
)

_REGISTRY: dict[str, Callable[..., Any]] = {}
_LOADED = False


def register_model(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``factory`` under ``name`` for :func:`build`."""

    def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ParameterError(f"model name {name!r} is registered twice")
        _REGISTRY[name] = factory
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


def available() -> list[str]:
    """Names accepted by :func:`build`, sorted."""
    _load_zoo()
    return sorted(_REGISTRY)


def get_factory(name: str) -> Callable[..., Any]:
    """Return the factory registered under ``name``.

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
    with ``fit(x, y)`` / ``predict(x)`` (see :mod:`gexnb.models.baselines`).
    """
    return get_factory(name)(**hparams)

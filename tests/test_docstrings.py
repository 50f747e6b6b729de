"""The public API is numpydoc-documented: numpydoc's own validator, run over every public
function and class of the package.

Every object needs a docstring (GL08) whose Parameters section documents every parameter
(PR01) and only parameters that exist (PR02: a renamed argument leaves no stale entry
behind), and a Returns section when it returns something (RT01).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from numpydoc.validate import validate

import gexnb

#: numpydoc's checks: a docstring, every parameter and only those, the return value.
CHECKS = ("GL08", "PR01", "PR02", "RT01")


def _public_objects() -> list[str]:
    """Qualified names of the public functions and classes each module defines (its
    ``__all__``, else its names without a leading underscore)."""
    found: set[str] = set()
    for info in pkgutil.walk_packages(gexnb.__path__, "gexnb."):
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if n[0] != "_"]
        for name in names:
            obj = getattr(module, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and (
                obj.__module__ == module.__name__
            ):
                found.add(f"{obj.__module__}.{obj.__qualname__}")
    return sorted(found)


def test_public_api_docstrings():
    problems = []
    objects = _public_objects()
    assert len(objects) > 250  # the walk found the package
    for name in objects:
        problems += [f"{name}: {code} {text}" for code, text in validate(name)["errors"]
                     if code in CHECKS]  # fmt: skip
    assert not problems, "\n".join(problems)

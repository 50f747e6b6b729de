"""Helpers shared by the expression modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gexnb.errors import ParameterError


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r} is not one of {list(allowed)}")
    return value


def _preview(items: Sequence[Any], k: int = 10) -> str:
    items = list(items)
    shown = ", ".join(str(x) for x in items[:k])
    return shown + (f", ... ({len(items)} in all)" if len(items) > k else "")

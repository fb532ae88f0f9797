"""Native implementations, one small module per backend, imported on first use.

Each is taken only where it is proven equal to the generic implementation by tests
(values, NaN and infinities included) and where it adds something the generic code
cannot: correct gradients (JAX) or speed shown by the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from arrayshrink._lib import _compat

__all__ = ["native"]

_CACHE: dict[tuple[str, str], Callable[..., Any] | None] = {}


def _lookup(name: str, xp: ModuleType) -> Callable[..., Any] | None:
    if _compat.backend_name(xp) == "jax":
        from arrayshrink._backends import _jax

        return getattr(_jax, name, None)
    return None


def native(name: str, xp: ModuleType) -> Callable[..., Any] | None:
    """The native implementation of function ``name`` for namespace ``xp``, if any."""
    key = (name, xp.__name__)
    try:
        return _CACHE[key]
    except KeyError:
        implementation = _CACHE[key] = _lookup(name, xp)
        return implementation

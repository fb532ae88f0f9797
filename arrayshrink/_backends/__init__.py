"""Native implementations, one small module per backend, imported on first use.

Each is taken only where it is proven equal to the generic implementation by tests
(values, NaN and infinities included) and where it adds something the generic code
cannot: correct gradients (JAX) or speed shown by the benchmark.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from arrayshrink._lib import _compat

__all__ = ["fast", "native"]

Kernel = Callable[..., Any]

# Two hooks, both looked up once and cached:
# - fast(name, x): called with the raw arguments before any validation. It returns the
#   result only in the common case it fully handles (a real input and a valid scalar
#   threshold), and None otherwise, so the general path validates and computes.
# - native(name, xp): called with validated arguments, in place of the generic code.
_FAST_MODULES = {"numpy": "_numpy", "torch": "_torch"}
_NATIVE_MODULES = {"jax": "_jax", "dask": "_dask"}
_FAST: dict[tuple[str, type], Kernel | None] = {}
_NATIVE: dict[tuple[str, str], Kernel | None] = {}


def _kernel(modules: dict[str, str], backend: str, name: str) -> Kernel | None:
    module_name = modules.get(backend)
    if module_name is None:
        return None
    module = importlib.import_module(f"arrayshrink._backends.{module_name}")
    return getattr(module, name, None)


def fast(name: str, x: Any) -> Kernel | None:
    """The fast kernel of function ``name`` for the type of ``x``, if any."""
    key = (name, type(x))
    try:
        return _FAST[key]
    except KeyError:
        pass
    xp = _compat.namespace_for(x)
    backend = None if xp is None else _compat.backend_name(xp)
    kernel = None if backend is None else _kernel(_FAST_MODULES, backend, f"fast_{name}")
    _FAST[key] = kernel
    return kernel


def native(name: str, xp: ModuleType) -> Kernel | None:
    """The native implementation of function ``name`` for namespace ``xp``, if any."""
    key = (name, xp.__name__)
    try:
        return _NATIVE[key]
    except KeyError:
        kernel = _NATIVE[key] = _kernel(_NATIVE_MODULES, _compat.backend_name(xp), name)
        return kernel

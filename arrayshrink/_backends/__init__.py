"""Native implementations, one small module per backend, imported on first use.

Each is taken only where it is proven equal to the generic implementation by tests
(values, NaN and infinities included) and where it adds something the generic code
cannot: correct gradients (JAX) or speed shown by the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from arrayshrink._agnostic._loops import Loops
from arrayshrink._backends._profiles import Profile, profile
from arrayshrink._lib import _compat

__all__ = [
    "Profile",
    "fast_kernels",
    "fast_module",
    "has_float64",
    "native",
    "persist",
    "profile",
    "solver_loops",
    "stop_gradient",
]

Kernel = Callable[..., Any]

# Two hooks, both looked up once and cached:
# - fast_kernels(name): per array type, the module's fast_<name>(x, lambd), or
#   fast_tanhshrink(x), where it exists, called with the raw arguments before any
#   validation. It returns the result only in the common case it fully handles (for
#   softshrink and hardshrink a real input and a valid scalar threshold; for tanhshrink
#   the dtypes it computes as the generic code does), and None otherwise, so that the
#   general path validates and computes.
# - native(name, xp): called with validated arguments, in place of the generic code.
_FAST: dict[type, ModuleType | None] = {}
_NATIVE: dict[tuple[str, str], Kernel | None] = {}


# Plain import statements, not importlib: torch.compile traces the first call of a
# process too, and Dynamo can follow an import statement but not importlib.
def _module_for(backend: str) -> ModuleType | None:
    """The module of native code for a backend, if it has one."""
    if backend == "numpy":
        from arrayshrink._backends import _numpy

        return _numpy
    if backend == "torch":
        from arrayshrink._backends import _torch

        return _torch
    if backend == "jax":
        from arrayshrink._backends import _jax

        return _jax
    if backend == "dask":
        from arrayshrink._backends import _dask

        return _dask
    return None


def fast_module(x: Any) -> ModuleType | None:
    """The module of native code for arrays of the type of ``x``, if any."""
    kind = type(x)
    try:
        return _FAST[kind]
    except KeyError:
        pass
    xp = _compat.namespace_for(x)
    module = _FAST[kind] = None if xp is None else _module_for(_compat.backend_name(xp))
    return module


def fast_kernels(name: str) -> tuple[dict[type, Kernel | None], Callable[[Any], Kernel | None]]:
    """For function ``name``: a dict of its fast kernel (or None) per array type, filled
    as types are seen, and the function that finds one for an unseen type. The hot path
    is one lookup in a plain dict, the fastest lookup Python has."""
    table: dict[type, Kernel | None] = {}

    def learn(x: Any) -> Kernel | None:
        module = fast_module(x)
        kernel = table[type(x)] = getattr(module, f"fast_{name}", None)
        return kernel

    return table, learn


def native(name: str, xp: ModuleType) -> Kernel | None:
    """The native implementation of function ``name`` for namespace ``xp``, if any."""
    key = (name, xp.__name__)
    try:
        return _NATIVE[key]
    except KeyError:
        pass
    module = _module_for(_compat.backend_name(xp))
    kernel = _NATIVE[key] = None if module is None else getattr(module, name, None)
    return kernel


# --- what the solvers ask of a backend (each imports the backend on first use) -----


def solver_loops(backend: Profile) -> Loops | None:
    """The backend's traced loops (JAX's lax loops), or None: Python loops."""
    if backend.loops == "jax":
        from arrayshrink._backends import _jax_loops

        return _jax_loops.LOOPS
    return None


def stop_gradient(backend: Profile) -> Callable[[Any], Any]:
    """The backend's way to treat a value as a constant under differentiation."""
    if backend.autodiff == "jax":
        from arrayshrink._backends import _jax_loops

        return _jax_loops.stop_gradient
    if backend.autodiff == "torch":
        return _detach
    return _unchanged


def persist(backend: Profile) -> Callable[..., tuple[Any, ...]]:
    """How a solve keeps its iterates: persisted for a lazy backend (Dask), so that the
    graph does not grow with the iterations; as they are otherwise."""
    if backend.lazy:
        import dask

        return dask.persist  # type: ignore[no-any-return]
    return _as_they_are


def has_float64(backend: Profile, device: Any) -> bool:
    """Whether float64 arithmetic is available now, on ``device``."""
    if backend.float64 == "x64":
        import jax

        return bool(jax.config.jax_enable_x64)
    if backend.float64 == "not on mps":
        return getattr(device, "type", None) != "mps"
    return backend.float64 == "always"


def _detach(tensor: Any) -> Any:
    return tensor.detach()


def _unchanged(a: Any) -> Any:
    return a


def _as_they_are(*arrays: Any) -> tuple[Any, ...]:
    return arrays

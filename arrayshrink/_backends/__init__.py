"""Backend code, one small module per array library, imported on first use.

What each library has is declared in its profile (:mod:`._profiles`): which kernels
(fast, native, dispatched or not), which loops, how to persist and stop gradients.
This module turns those declarations into code. A kernel is taken only where it is
proven equal to the generic implementation by tests (values, NaN and infinities
included) and where it adds something the generic code cannot: correct gradients
(JAX) or speed shown by the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from arrayshrink._agnostic._drivers import as_they_are
from arrayshrink._agnostic._lasso import Steps
from arrayshrink._agnostic._loops import Loops
from arrayshrink._backends._profiles import FUNCTIONS, PROFILES, Profile, profile
from arrayshrink._lib import _compat
from arrayshrink._lib._typing import ArrayT

__all__ = [
    "KINDS",
    "Dispatch",
    "Kernel",
    "Profile",
    "adopt",
    "column_solver",
    "declared_kernels",
    "has_float64",
    "iteration_steps",
    "kernel_name",
    "lazy_lipschitz",
    "load_kernel",
    "persist",
    "profile",
    "solver_loops",
    "stop_gradient",
]


class Kernel(Protocol):
    """A kernel: an array in (and the threshold), an array of its type out, or None
    where the kernel declines the call."""

    def __call__(self, x: ArrayT, /, *args: Any) -> ArrayT | None: ...


# The two kinds of kernel (see _profiles.Kernels): "fast" is called with the raw
# arguments before validation and handles the common case; "native" is called with
# validated arguments in place of the generic code. Either returns None to decline.
KINDS = ("fast", "native")


def kernel_name(function: str, kind: str) -> str:
    """The name of a kernel in its backend module: ``fast_softshrink``, ``softshrink``."""
    return f"fast_{function}" if kind == "fast" else function


# Plain import statements, not importlib: torch.compile traces the first call of a
# process too, and Dynamo can follow an import statement but not importlib.
def _module(backend: Profile) -> ModuleType:
    """The backend module a profile names, imported on first use."""
    if backend.module == "numpy":
        from arrayshrink._backends import _numpy

        return _numpy
    if backend.module == "torch":
        from arrayshrink._backends import _torch

        return _torch
    if backend.module == "jax":
        from arrayshrink._backends import _jax

        return _jax
    if backend.module == "dask":
        from arrayshrink._backends import _dask

        return _dask
    if backend.module == "cupy":
        from arrayshrink._backends import _cupy

        return _cupy
    raise LookupError(f"{backend.display} has no backend module")


def declared_kernels() -> list[tuple[str, str, str]]:
    """Every kernel the profiles declare, dispatched or not.

    Returns
    -------
    list of (backend, function, kind)
        The profile name ("numpy", ...), the function ("softshrink", ...) and the
        kind, "fast" or "native".
    """
    return [
        (name, function, kind)
        for name, backend in PROFILES.items()
        for function in FUNCTIONS
        for kind in KINDS
        if getattr(backend.kernels_of(function), kind)
    ]


def load_kernel(backend: str, function: str, kind: str) -> Kernel:
    """A kernel declared in the profile of ``backend``, its module imported.

    Raises
    ------
    LookupError
        If the profile declares no such kernel.
    ImportError
        If the array library is not installed.
    """
    found = PROFILES[backend]
    if kind not in KINDS or not getattr(found.kernels_of(function), kind):
        raise LookupError(f"{found.display} declares no {kind} kernel for {function}")
    return _load(found, function, kind)


def _load(backend: Profile, function: str, kind: str) -> Kernel:
    kernel: Kernel = getattr(_module(backend), kernel_name(function, kind))
    return kernel


def _dispatched(function: str, x: Any) -> tuple[Kernel | None, Kernel | None]:
    """The fast and native kernels that calls of ``function`` on arrays of the type of
    ``x`` take: those the profile declares and dispatches."""
    xp = _compat.namespace_for(x)
    if xp is None:
        return None, None
    backend = profile(xp)
    declared = backend.kernels_of(function)
    if not declared.dispatched:
        return None, None
    fast = _load(backend, function, "fast") if declared.fast else None
    native = _load(backend, function, "native") if declared.native else None
    # torch's jagged nested tensors have a Python type of their own, which torch's
    # kernels compute on: kept off the fast path, so that the general path rejects
    # them with a clear error. (A strided nested tensor is a plain Tensor; torch's
    # kernels decline it, and the general path sees it too.)
    if type(x).__name__ == "NestedTensor":
        fast = None
    return fast, native


class Dispatch:
    """The kernels one function takes, per array type, found when a type is first seen.

    ``fast`` maps an array type to its fast kernel (or None): the hot path of a call is
    one lookup in this plain dict, the fastest lookup Python has. ``native`` maps it to
    the native kernel (or None), looked up after validation.
    """

    __slots__ = ("fast", "function", "native")

    def __init__(self, function: str) -> None:
        self.function = function
        self.fast: dict[type, Kernel | None] = {}
        self.native: dict[type, Kernel | None] = {}

    def learn(self, x: Any) -> Kernel | None:
        """Find the kernels for the type of ``x``; return its fast kernel."""
        fast, native = _dispatched(self.function, x)
        self.native[type(x)] = native
        self.fast[type(x)] = fast
        return fast

    def native_kernel(self, x: Any) -> Kernel | None:
        """The native kernel for the type of ``x``, if one is dispatched."""
        try:
            return self.native[type(x)]
        except KeyError:
            self.learn(x)
            return self.native[type(x)]


# --- what the solvers ask of a backend (each imports the backend on first use) -----


def solver_loops(backend: Profile) -> Loops | None:
    """The backend's traced loops (JAX's lax loops), or None: Python loops."""
    if backend.loops == "jax":
        from arrayshrink._backends import _jax_loops

        return _jax_loops.LOOPS
    return None


def iteration_steps(backend: Profile) -> Steps | None:
    """The backend's fused elementwise steps of the solvers' iteration, or None: the
    generic ones. For real float32/float64 problems only (the caller checks)."""
    if backend.steps == "numpy":
        from arrayshrink._backends import _numpy_steps as steps

        return Steps(steps.soft_gradient_step, steps.moved, steps.extrapolate)
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
    return as_they_are


def adopt(backend: Profile, A: Any, like: Any) -> Any:
    """Matrix ``A``, of the library of the chunks of the lazy array ``like`` (an
    allowed mix of libraries), as an array of ``like``'s library: for Dask, chunked
    along its rows as ``like`` is."""
    if backend.lazy:
        from arrayshrink._backends import _dask_solve

        return _dask_solve.adopt(A, like)
    raise TypeError(f"{backend.display} adopts no array of another library")


def column_solver(backend: Profile, A: Any, b: Any) -> Callable[..., Any] | None:
    """Where the columns of a lazy batch ``b`` are solved chunk by chunk, each in one
    task by the eager solver of the chunk's library (Dask, ``b`` chunked along its
    columns only and ``A`` a matrix of one chunk): the function that maps an eager
    solve over the chunks (see :mod:`._dask_solve`); None elsewhere."""
    if not backend.lazy:
        return None
    from arrayshrink._backends import _dask_solve

    return _dask_solve.solve_columns if _dask_solve.fits(A, b) else None


def lazy_lipschitz(backend: Profile, A: Any) -> float | None:
    """||A||^2 of a matrix ``A`` of a lazy backend, exactly and in one pass where the
    backend can (Dask, A^H A small); None where power iterations must estimate it."""
    if backend.lazy and _compat.namespace_for(A) is not None:
        from arrayshrink._backends import _dask_solve

        return _dask_solve.gram_lipschitz(A)
    return None


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

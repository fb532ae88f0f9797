"""One profile per array library: what arrayshrink needs to know about it, as data.

Dispatch, the solvers, validation messages, the test suite's markers and the backend
table of the documentation all read these profiles instead of asking for a library by
name. This module imports no array library: the facts are plain data, and the code a
profile names (kernels, loops, persist, stop-gradient) is imported on first use by
:mod:`arrayshrink._backends`.

To add a library: add its profile to ``PROFILES`` (an unknown library gets the generic
profile: no kernels, Python loops, eager), and, for kernels, a module
``_backends/_<name>.py`` that declares them (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from arrayshrink._lib import _compat
from arrayshrink._lib._typing import Namespace

__all__ = ["FUNCTIONS", "PROFILES", "Kernels", "Profile", "profile"]

# The functions that may have backend kernels.
FUNCTIONS = ("softshrink", "hardshrink", "tanhshrink")


@dataclass(frozen=True)
class Kernels:
    """The kernels a backend module declares for one function.

    ``fast``: ``fast_<function>(x, lambd)`` (or ``(x)``), called with the raw arguments
    before any validation; it handles the common case and returns None otherwise.
    ``native``: ``<function>(x, lambd)``, called with validated arguments in place of
    the generic code; it may return None to decline. ``dispatched``: False for a kernel
    that is written and tested but not taken until a benchmark shows it faster.
    """

    fast: bool = False
    native: bool = False
    dispatched: bool = True


_NONE = Kernels()


@dataclass(frozen=True)
class Profile:
    """The facts of one array library (one namespace)."""

    name: str  # the short name: "numpy", "torch", ... (ARRAYSHRINK_BACKENDS uses it)
    display: str  # the library's name in messages and docs: "NumPy", "PyTorch", ...
    # Values cannot be read without computing a graph (Dask): no bool() or float()
    # on data, and iterates are persisted so that a solve's graph does not grow.
    lazy: bool = False
    # Tracers a call may run under, by the names users know them ("jax.jit", ...).
    tracers: tuple[str, ...] = ()
    # Every new array shape compiles anew, even outside a trace (JAX's eager ops):
    # a batch's finished columns are masked rather than taken out.
    new_shapes_compile: bool = False
    # The loops of a solve under a tracer: "python", or "jax" (lax.while_loop, ...).
    loops: str = "python"
    # Automatic differentiation, whose step sizes the solvers stop: "torch", "jax".
    autodiff: str | None = None
    # When float64 is available for the certificate: "always", "x64" (JAX with
    # jax_enable_x64), "not on mps" (torch), "never".
    float64: str = "always"
    # Runs only with a GPU (CuPy): the tests skip it cleanly without one.
    needs_gpu: bool = False
    # The backend module of kernels and hooks, arrayshrink._backends._<module>, if any.
    module: str | None = None
    kernels: Mapping[str, Kernels] = field(default_factory=dict)
    # The solvers' iteration takes the backend's fused elementwise steps (for real
    # float32/float64 problems): "numpy" (_backends/_numpy_steps.py), or None.
    steps: str | None = None

    @property
    def splits_batches(self) -> bool:
        """Whether a batch's settled columns may be taken out (eager, shape-free)."""
        return not self.lazy and not self.new_shapes_compile

    def kernels_of(self, function: str) -> Kernels:
        """The kernels declared for ``function`` (none by default)."""
        return self.kernels.get(function, _NONE)


# Plain dicts, read-only by convention, wherever dispatch reads them: torch.compile
# traces a first call's lookups, and reading a MappingProxyType breaks its graph once
# any dict has been written in the trace.
def _kernels(**declared: Kernels) -> Mapping[str, Kernels]:
    return declared


_FAST = Kernels(fast=True)

_BY_NAME: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            "numpy",
            "NumPy",
            module="numpy",
            kernels=_kernels(softshrink=_FAST, hardshrink=_FAST, tanhshrink=_FAST),
            steps="numpy",
        ),
        Profile("array_api_strict", "array-api-strict"),
        Profile(
            "torch",
            "PyTorch",
            tracers=("torch.compile", "torch.func"),
            autodiff="torch",
            float64="not on mps",
            module="torch",
            kernels=_kernels(softshrink=_FAST, hardshrink=_FAST, tanhshrink=_FAST),
        ),
        Profile(
            "jax",
            "JAX",
            tracers=("jax.jit", "jax.grad", "jax.vmap"),
            new_shapes_compile=True,
            loops="jax",
            autodiff="jax",
            float64="x64",
            module="jax",
            kernels=_kernels(
                softshrink=Kernels(fast=True, native=True),
                hardshrink=_FAST,
                tanhshrink=_FAST,
            ),
        ),
        Profile(
            "dask",
            "Dask",
            lazy=True,
            module="dask",
            kernels=_kernels(
                softshrink=Kernels(native=True),
                hardshrink=Kernels(native=True),
                tanhshrink=Kernels(native=True),
            ),
        ),
        Profile(
            "cupy",
            "CuPy",
            needs_gpu=True,
            module="cupy",
            # Written and tested for equality; taken once the GPU benchmark
            # (benchmarks/gpu_check.sh) shows it faster than the generic path.
            kernels=_kernels(softshrink=Kernels(native=True, dispatched=False)),
        ),
    )
}
# Read-only for everyone else; profile() reads the plain dict (see _kernels).
PROFILES: Mapping[str, Profile] = MappingProxyType(_BY_NAME)

# Resolved once per namespace (a module name is a cheap, stable key).
_RESOLVED: dict[str, Profile] = {}


def profile(xp: Namespace) -> Profile:
    """The profile of namespace ``xp``; a library without one gets the generic profile."""
    try:
        return _RESOLVED[xp.__name__]
    except KeyError:
        pass
    name = _compat.backend_name(xp)
    found = _BY_NAME.get(name) or Profile(name, name)
    _RESOLVED[xp.__name__] = found
    return found

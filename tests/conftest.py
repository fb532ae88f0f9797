"""The ``xp`` and ``device`` fixtures: every test runs on every installed backend.

``ARRAYSHRINK_BACKENDS=torch,jax`` restricts the run to the named backends; a named
backend that is not installed is an error, never a silent skip. CuPy without a usable
GPU is skipped, with the reason shown.

Tests say where they do not apply with markers, never with a skip in their body
(as array-api-extra's tests do). The ``xp`` fixture, and the one-library fixtures
``jax``, ``torch`` and ``da``, apply them:

- ``skip_xp_backend("dask", reason=...)`` / ``xfail_xp_backend("dask", reason=...,
  strict=True)``: by library name;
- ``eager_only(reason=...)``, ``lazy_only(...)``, ``needs_autodiff(...)``,
  ``needs_tracers(...)``: by a fact of the library's profile
  (``arrayshrink._backends._profiles``), the same facts dispatch and the solvers read.

A test that takes ``jax``, ``torch`` or ``da``, or is marked ``backend(name)`` (its
library is then the ``backend_library`` fixture), runs only where that library is under
test (it is deselected elsewhere), and JAX is set up once, with float64 enabled, at the
start of the session (``_setup_jax``). A test that takes ``client`` (a LocalCluster of
worker processes) or is marked ``distributed`` runs where Dask is under test and
dask.distributed and zarr are installed (the ``distributed`` nox session).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _support import array_libraries
from array_api_extra.testing import patch_lazy_xp_functions
from hypothesis import HealthCheck, settings

from arrayshrink._backends._profiles import PROFILES, Profile

BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy")

# `xp` is function-scoped but is only a module: reusing it across examples is safe.
_REUSED_FIXTURES = [HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=_REUSED_FIXTURES,
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=_REUSED_FIXTURES
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _requested() -> tuple[str, ...]:
    value = os.environ.get("ARRAYSHRINK_BACKENDS", "").strip()
    if not value:
        return BACKENDS
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(set(names) - set(BACKENDS))
    if unknown:
        raise pytest.UsageError(f"ARRAYSHRINK_BACKENDS names unknown backends {unknown}")
    return names


REQUESTED = _requested()
# The typed user script is checked by mypy in the lint session, never imported here
# (--doctest-modules would import every .py file below tests/).
collect_ignore = ["typing"]
EXPLICIT = bool(os.environ.get("ARRAYSHRINK_BACKENDS", "").strip())

# The tests of a dask.distributed cluster (the ``client`` fixture or the ``distributed``
# marker) run where their dependencies are installed: the ``distributed`` nox session.
HAS_CLUSTER_DEPENDENCIES = all(
    importlib.util.find_spec(name) is not None for name in ("distributed", "zarr")
)

# The one-library fixtures and the library each one gives.
SINGLE = {"jax": "jax", "torch": "torch", "da": "dask"}


def _setup_jax() -> None:
    """float64 for every JAX array of the session (JAX's default is float32 only).

    Set once, before any test; a test of the float32-only mode uses the ``jax_x32``
    fixture, which restores it."""
    if importlib.util.find_spec("jax") is None:
        return
    import jax

    jax.config.update("jax_enable_x64", True)


class _PackageDoctests:
    """For ``--pyargs arrayshrink --doctest-modules``: the package's modules that import
    an array library this run does not test (or lacks) are not collected.

    Registered as a plugin, not as conftest hooks: a conftest's hooks apply only below
    its directory, and the installed package lies elsewhere."""

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        if collection_path.suffix != ".py" or "arrayshrink" not in collection_path.parts[:-1]:
            return None
        libraries = array_libraries(collection_path)
        untested = {name for name in libraries if name not in REQUESTED}
        missing = {name for name in libraries if importlib.util.find_spec(name) is None}
        return True if untested or missing else None


def pytest_configure(config: pytest.Config) -> None:
    _setup_jax()
    config.pluginmanager.register(_PackageDoctests(), "arrayshrink-package-doctests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests of one library (fixtures jax, torch, da, or a ``backend``
    marker) that is not under test."""
    kept, dropped = [], []
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        libraries = {SINGLE[name] for name in fixtures if name in SINGLE}
        libraries.update(marker.args[0] for marker in item.iter_markers("backend"))
        cluster = "client" in fixtures or item.get_closest_marker("distributed") is not None
        if cluster:
            libraries.add("dask")
        runs = libraries <= set(REQUESTED) and (not cluster or HAS_CLUSTER_DEPENDENCIES)
        (kept if runs else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# --- markers ---------------------------------------------------------------------------

# Markers that test a fact of the profile: name -> (the fact holds, what is missing).
_FACTS = {
    "eager_only": (lambda p: not p.lazy, "is lazy"),
    "lazy_only": (lambda p: p.lazy, "is eager"),
    "needs_autodiff": (lambda p: p.autodiff is not None, "has no automatic differentiation"),
    "needs_tracers": (lambda p: bool(p.tracers), "has no tracers"),
}


def _profile(name: str) -> Profile:
    return PROFILES.get(name) or Profile(name, name)


def _apply_markers(request: pytest.FixtureRequest, name: str) -> None:
    """Skip or xfail the case of library ``name`` as the test's markers say."""
    node = request.node
    for marker_name, act in (
        ("skip_xp_backend", pytest.skip),
        ("xfail_xp_backend", None),
    ):
        for marker in node.iter_markers(marker_name):
            if len(marker.args) != 1 or marker.args[0] not in BACKENDS:
                raise TypeError(f"{marker_name} takes one backend name of {BACKENDS}")
            allowed = {"reason"} if act else {"reason", "strict"}
            if set(marker.kwargs) - allowed or "reason" not in marker.kwargs:
                raise TypeError(f"{marker_name} takes reason= (and strict= for xfail)")
            if marker.args[0] != name:
                continue
            reason = f"{name}: {marker.kwargs['reason']}"
            if act is not None:
                act(reason)
            else:
                strict = marker.kwargs.get("strict", True)
                node.add_marker(pytest.mark.xfail(reason=reason, strict=strict))
    facts = _profile(name)
    for marker_name, (holds, missing) in _FACTS.items():
        for marker in node.iter_markers(marker_name):
            if not holds(facts):
                reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
                pytest.skip(f"{facts.display} {missing}: {reason}" if reason else missing)


def _import_backend(name: str) -> ModuleType:
    """The raw library module of a backend, or a skip (an error when it was requested)."""
    module_name = {"dask": "dask.array"}.get(name, name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if EXPLICIT and not _profile(name).needs_gpu:
            raise pytest.UsageError(
                f"ARRAYSHRINK_BACKENDS asks for {name}, which does not import: {exc}"
            ) from exc
        pytest.skip(f"{name} is not installed")
    if _profile(name).needs_gpu and not module.is_available():
        pytest.skip(f"{_profile(name).display} is installed but no CUDA GPU is usable here")
    return module


def _namespace(name: str, module: ModuleType) -> ModuleType:
    """The array-API namespace that ``array_namespace`` returns for the backend."""
    if name == "array_api_strict":
        return module
    if name == "jax":
        return importlib.import_module("jax.numpy")
    if name == "dask":
        return importlib.import_module("array_api_compat.dask.array")
    return importlib.import_module(f"array_api_compat.{name}")


@pytest.fixture(params=REQUESTED)
def library(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test, once the test's markers are applied."""
    name: str = request.param
    _apply_markers(request, name)
    return name


@pytest.fixture
def xp(library: str, request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The array namespace under test; lazy backends run tagged functions lazily."""
    namespace = _namespace(library, _import_backend(library))
    with patch_lazy_xp_functions(request, xp=namespace):
        yield namespace


def _one_library(name: str, request: pytest.FixtureRequest) -> ModuleType:
    _apply_markers(request, name)
    return _import_backend(name)


@pytest.fixture
def jax(request: pytest.FixtureRequest) -> ModuleType:
    """The ``jax`` module (float64 enabled), for the tests of JAX alone."""
    _one_library("jax", request)
    return importlib.import_module("jax")


@pytest.fixture
def torch(request: pytest.FixtureRequest) -> ModuleType:
    """The ``torch`` module, for the tests of PyTorch alone."""
    return _one_library("torch", request)


@pytest.fixture
def da(request: pytest.FixtureRequest) -> ModuleType:
    """The ``dask.array`` module, for the tests of Dask alone."""
    return _one_library("dask", request)


@pytest.fixture
def backend_library(request: pytest.FixtureRequest) -> ModuleType:
    """The library of the test's ``backend(name)`` marker (a parameter's, say)."""
    marker = request.node.get_closest_marker("backend")
    if marker is None or len(marker.args) != 1 or marker.args[0] not in BACKENDS:
        raise TypeError(f"backend_library needs a backend(name) marker, name in {BACKENDS}")
    return _one_library(marker.args[0], request)


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """A dask.distributed client of a LocalCluster of two single-threaded worker
    processes, shared by the session's cluster tests (it takes seconds to start).
    The workers keep arrays up to 32 MiB on the heap, as docs/dask.md recommends."""
    import dask
    from dask.distributed import Client, LocalCluster

    heap = {"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 32 * 2**20}
    with (
        dask.config.set(heap),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as started,
    ):
        yield started


@pytest.fixture
def jax_x32(jax: ModuleType) -> Iterator[ModuleType]:
    """JAX in its default mode (float64 disabled) for one test, restored after it."""
    with jax.enable_x64(False):
        yield jax


@pytest.fixture
def device(xp: ModuleType) -> Any:
    """A device to create inputs on: a GPU where one is usable, else a non-default one."""
    from array_api_compat import is_array_api_strict_namespace, is_jax_namespace, is_torch_namespace

    if is_torch_namespace(xp):
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    if is_jax_namespace(xp):
        import jax

        return jax.devices()[-1]
    if is_array_api_strict_namespace(xp):
        return xp.Device("device1")
    return None

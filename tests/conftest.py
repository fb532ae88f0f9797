"""The ``xp`` and ``device`` fixtures: every test runs on every installed backend.

``ARRAYSHRINK_BACKENDS=torch,jax`` restricts the run to the named backends; a named
backend that is not installed is an error, never a silent skip. CuPy without a usable
GPU is skipped, with the reason shown.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from array_api_extra.testing import patch_lazy_xp_functions
from hypothesis import HealthCheck, settings

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
EXPLICIT = bool(os.environ.get("ARRAYSHRINK_BACKENDS", "").strip())


def _import_backend(name: str) -> ModuleType:
    """The raw library module of a backend, or a skip (an error when it was requested)."""
    module_name = {"dask": "dask.array"}.get(name, name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if EXPLICIT and name != "cupy":
            raise pytest.UsageError(
                f"ARRAYSHRINK_BACKENDS asks for {name}, which does not import: {exc}"
            ) from exc
        pytest.skip(f"{name} is not installed")
    if name == "cupy" and not module.is_available():
        pytest.skip("CuPy is installed but no CUDA GPU is usable here")
    if name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
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
def xp(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The array namespace under test; lazy backends run tagged functions lazily."""
    name = request.param
    namespace = _namespace(name, _import_backend(name))
    with patch_lazy_xp_functions(request, xp=namespace):
        yield namespace


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

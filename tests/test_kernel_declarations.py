"""The kernels the backend profiles declare are the kernels the backend modules define,
and dispatch takes exactly the declared kernels that are dispatched."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from types import MappingProxyType, ModuleType
from typing import Any

import pytest

from arrayshrink._backends import (
    KINDS,
    Dispatch,
    _profiles,
    declared_kernels,
    kernel_name,
    load_kernel,
)
from arrayshrink._backends._profiles import FUNCTIONS, PROFILES

WITH_MODULE = [name for name, backend in PROFILES.items() if backend.module is not None]


def _backend_module(backend: str) -> ModuleType:
    """The backend module of a profile; the test skips where its library is missing."""
    library = PROFILES[backend].module
    assert library is not None
    pytest.importorskip(library)
    return importlib.import_module(f"arrayshrink._backends._{library}")


def _declared_names(backend: str) -> set[str]:
    return {kernel_name(f, k) for b, f, k in declared_kernels() if b == backend}


def test_declared_kernels_lists_every_declaration() -> None:
    expected = {
        (name, function, kind)
        for name, backend in PROFILES.items()
        for function in FUNCTIONS
        for kind in KINDS
        if getattr(backend.kernels_of(function), kind)
    }
    found = declared_kernels()
    assert len(found) == len(set(found))
    assert set(found) == expected
    # The CuPy kernel is listed although dispatch does not take it yet.
    assert ("cupy", "softshrink", "native") in found
    assert not PROFILES["cupy"].kernels_of("softshrink").dispatched


@pytest.mark.parametrize(("backend", "function", "kind"), declared_kernels())
def test_every_declared_kernel_exists(backend: str, function: str, kind: str) -> None:
    module = _backend_module(backend)
    kernel = load_kernel(backend, function, kind)
    assert callable(kernel)
    assert kernel is getattr(module, kernel_name(function, kind))


@pytest.mark.parametrize("backend", WITH_MODULE)
def test_a_module_defines_only_declared_kernels(backend: str) -> None:
    module = _backend_module(backend)
    names = {kernel_name(f, k) for f in FUNCTIONS for k in KINDS}
    defined = {name for name in names if callable(getattr(module, name, None))}
    declared = _declared_names(backend)
    assert defined == declared
    # The module states its kernels at its top: __all__ and the docstring.
    assert set(module.__all__) == declared
    assert module.__doc__ is not None
    assert all(f"``{name}``" in module.__doc__ for name in declared)


def test_load_kernel_refuses_what_is_not_declared() -> None:
    with pytest.raises(LookupError, match="declares no fast kernel for softshrink"):
        load_kernel("dask", "softshrink", "fast")
    with pytest.raises(LookupError, match="declares no native kernel"):
        load_kernel("array_api_strict", "softshrink", "native")
    with pytest.raises(LookupError):
        load_kernel("numpy", "softshrink", "compiled")


def _arrays() -> list[tuple[str, Any]]:
    """One small array of each installed CPU backend that declares kernels."""
    np = pytest.importorskip("numpy")
    found: list[tuple[str, Any]] = [("numpy", np.ones(3))]
    with contextlib.suppress(ImportError):
        import torch

        found.append(("torch", torch.ones(3, dtype=torch.float64)))
    with contextlib.suppress(ImportError):
        import jax.numpy as jnp

        found.append(("jax", jnp.ones(3)))
    with contextlib.suppress(ImportError):
        import dask.array as da

        found.append(("dask", da.ones(3, chunks=2)))
    return found


@pytest.mark.parametrize("function", FUNCTIONS)
def test_dispatch_takes_the_dispatched_declared_kernels(function: str) -> None:
    for backend, x in _arrays():
        declared = PROFILES[backend].kernels_of(function)
        dispatch = Dispatch(function)
        fast = dispatch.learn(x)
        native = dispatch.native_kernel(x)
        expect_fast = load_kernel(backend, function, "fast") if declared.fast else None
        expect_native = load_kernel(backend, function, "native") if declared.native else None
        assert (fast, native) == (expect_fast, expect_native), backend
        assert dispatch.fast == {type(x): fast}


def test_dispatch_skips_a_kernel_that_is_not_dispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """A declared kernel with dispatched=False (CuPy's today) is never taken."""
    np = pytest.importorskip("numpy")
    import array_api_compat.numpy as xp

    numpy = PROFILES["numpy"]
    held_back = dataclasses.replace(
        numpy,
        kernels=MappingProxyType(
            {f: dataclasses.replace(numpy.kernels_of(f), dispatched=False) for f in FUNCTIONS}
        ),
    )
    monkeypatch.setitem(_profiles._RESOLVED, xp.__name__, held_back)
    dispatch = Dispatch("softshrink")
    assert dispatch.learn(np.ones(3)) is None
    assert dispatch.native_kernel(np.ones(3)) is None


def test_a_library_without_a_profile_gets_no_kernels() -> None:
    dispatch = Dispatch("softshrink")
    assert dispatch.learn([1.0, 2.0]) is None  # not an array
    assert dispatch.native_kernel([1.0, 2.0]) is None

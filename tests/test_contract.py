"""The output contract: library, dtype, device and shape kept; inputs never mutated."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import from_numpy, hard_reference, soft_reference, to_numpy
from array_api_compat import (
    device as device_of,
)
from array_api_compat import (
    is_dask_namespace,
    is_numpy_namespace,
    is_torch_namespace,
)
from array_api_extra.testing import assert_close, assert_equal, lazy_xp_function

import arrayshrink
from arrayshrink import group_softshrink, hardshrink, softshrink, tanhshrink

lazy_xp_function(softshrink)
lazy_xp_function(hardshrink)
lazy_xp_function(tanhshrink)
lazy_xp_function(group_softshrink)


def _call(name: str, x: Any) -> Any:
    """Call by name at call time, so that lazy backends see the patched functions."""
    if name == "tanhshrink":
        return tanhshrink(x)
    if name == "group_softshrink":
        return group_softshrink(x, 0.5)
    return {"softshrink": softshrink, "hardshrink": hardshrink}[name](x, 0.5)


def _group_reference(x: np.ndarray, lambd: float) -> np.ndarray:
    """Block soft-thresholding along the last axis, in float64 (a 0-d x: one element)."""
    wide = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    norm = np.abs(wide) if wide.ndim == 0 else np.linalg.norm(wide, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return wide * np.where(norm > lambd, 1 - lambd / np.where(norm > 0, norm, 1), 0.0)


NAMES = ["softshrink", "hardshrink", "tanhshrink", "group_softshrink"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_library_dtype_device_shape_kept(
    xp: ModuleType, device: Any, name: str, shape: tuple[int, ...], dtype: str
) -> None:
    rng = np.random.default_rng(0)
    x_np = np.asarray(rng.standard_normal(shape) * 2, dtype=dtype)
    if dtype.startswith("complex"):
        # astype again: NumPy 1.x promotes 0-d complex64 times a Python complex.
        x_np = (x_np + 1j * np.asarray(rng.standard_normal(shape), dtype=dtype)).astype(dtype)
    x = from_numpy(xp, x_np, device)
    out = _call(name, x)
    if name == "tanhshrink":
        expected = x_np - np.tanh(x_np)
        assert_close(out, from_numpy(xp, expected, device), rtol=1e-5, atol=1e-6)
    elif name == "group_softshrink":
        expected = _group_reference(x_np, 0.5).astype(dtype)
        assert_close(out, from_numpy(xp, expected, device), rtol=1e-5, atol=1e-6)
    else:
        reference = soft_reference if name == "softshrink" else hard_reference
        expected = reference(x_np, 0.5).astype(dtype)
        assert_close(out, from_numpy(xp, expected, device), rtol=1e-6, atol=1e-7)
    assert out.shape == x.shape
    assert out.dtype == x.dtype
    assert device_of(out) == device_of(x)


@pytest.mark.parametrize("name", NAMES)
def test_input_is_never_mutated(xp: ModuleType, name: str) -> None:
    x_np = np.asarray([-2.0, -0.5, 0.0, 0.3, 1.0, np.inf, np.nan])
    x = xp.asarray(x_np.copy())
    _call(name, x)
    np.testing.assert_array_equal(to_numpy(x), x_np)


def test_read_only_numpy_input() -> None:
    x = np.asarray([-2.0, 0.1, 3.0])
    x.flags.writeable = False
    assert_equal(softshrink(x, 0.5), np.asarray([-1.5, 0.0, 2.5]))
    assert_equal(hardshrink(x, 0.5), np.asarray([-2.0, 0.0, 3.0]))
    assert tanhshrink(x).shape == (3,)
    assert not x.flags.writeable


def test_numpy_scalar_input_is_accepted() -> None:
    assert float(softshrink(np.float64(2.0), 0.5)) == 1.5


@pytest.mark.skip_xp_backend("jax", reason="JAX arrays have no strides")
@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_input(xp: ModuleType, name: str) -> None:
    base_np = np.arange(-12.0, 12.0).reshape(4, 6) / 4
    if is_torch_namespace(xp):
        import torch

        base = torch.asarray(base_np)
        views = [base[:, ::2], base.T, base.flip(0)[::2]]
    elif is_numpy_namespace(xp) or is_dask_namespace(xp):
        views = [xp.asarray(base_np[:, ::2]), xp.asarray(base_np.T), xp.asarray(base_np[::-2])]
    else:
        base = xp.asarray(base_np)
        views = [base[:, ::2], xp.permute_dims(base, (1, 0)), base[::2, :]]
    for view in views:
        view_np = to_numpy(view)
        out = _call(name, view)
        if name == "tanhshrink":
            expected = view_np - np.tanh(view_np)
        elif name == "group_softshrink":
            expected = _group_reference(view_np, 0.5)
        else:
            reference = soft_reference if name == "softshrink" else hard_reference
            expected = reference(view_np, 0.5)
        np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-12, atol=1e-15)


def test_concurrent_calls_agree(xp: ModuleType) -> None:
    rng = np.random.default_rng(11)
    inputs = [rng.standard_normal(1000) * 3 for _ in range(16)]
    expected = [soft_reference(a, 0.25) for a in inputs]
    barrier = threading.Barrier(8)

    def work(i: int) -> Any:
        if i < 8:
            barrier.wait(timeout=10)  # the first eight calls start together
        # Through the package, not the patched global: the lazy-backend test wrappers
        # (jit, Dask compute guard) are themselves not thread-safe.
        return arrayshrink.softshrink(xp.asarray(inputs[i]), 0.25)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_array_equal(to_numpy(got), want)

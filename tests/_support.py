"""Helpers for the tests: independent references and conversions to NumPy."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from array_api_compat import (
    is_array_api_strict_namespace,
    is_cupy_array,
    is_dask_array,
    is_dask_namespace,
    is_jax_namespace,
    is_torch_array,
    is_torch_namespace,
)

SPECIAL = [0.0, -0.0, 0.5, -0.5, 0.25, -0.75, 1.0, -3.0, 1e30, -1e-30, np.inf, -np.inf, np.nan]


def array_libraries(path: Path) -> set[str]:
    """The array libraries (backend names) that the module at ``path`` imports at its
    top level, read from its source without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots & {"numpy", "array_api_strict", "torch", "jax", "dask", "cupy"}


def to_numpy(a: Any) -> np.ndarray:
    """Any backend's array as a NumPy array (bfloat16 widened to float32, exactly)."""
    if is_torch_array(a):
        a = a.detach().cpu().resolve_conj()
        if str(a.dtype) == "torch.bfloat16":
            a = a.float()
        return a.numpy()
    if is_cupy_array(a):
        return a.get()
    if is_dask_array(a):
        return np.asarray(a.compute())
    out = np.asarray(a)
    if out.dtype.name == "bfloat16":
        out = out.astype(np.float32)
    return out


def from_numpy(xp: ModuleType, a: np.ndarray, device: Any = None, dtype: Any = None) -> Any:
    """A NumPy array on backend ``xp`` (on ``device`` where given)."""
    kwargs = {} if device is None else {"device": device}
    out = xp.asarray(a, **kwargs)
    return out if dtype is None else xp.astype(out, dtype)


def soft_reference(x: np.ndarray, lambd: Any) -> np.ndarray:
    """softshrink straight from its three-case definition, in float64 or complex128."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        z = x.astype(np.complex128)
        modulus = np.abs(z)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(modulus > lambd, z * (1 - lambd / modulus), 0)
        return np.where(np.isnan(modulus) | np.isinf(modulus), z, out)
    x64 = x.astype(np.float64)
    lam = np.asarray(lambd, dtype=np.float64)
    out = np.select([x64 > lam, x64 < -lam], [x64 - lam, x64 + lam], 0.0)
    return np.where(np.isnan(x64), np.nan, out)


def hard_reference(x: np.ndarray, lambd: Any) -> np.ndarray:
    """hardshrink from its definition, in float64 or complex128."""
    x = np.asarray(x)
    wide = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    kept = np.where(np.abs(wide) > lambd, wide, 0)
    return np.where(np.isnan(np.abs(wide)), wide, kept)


def half_dtypes(xp: ModuleType) -> list[str]:
    """The 16-bit float dtypes this backend has."""
    names = ["float16"] if not is_array_api_strict_namespace(xp) else []
    if is_torch_namespace(xp) or is_jax_namespace(xp):
        names.append("bfloat16")
    return names


def all_half_values(xp: ModuleType, name: str, device: Any = None) -> Any:
    """Every one of the 65,536 bit patterns of a 16-bit float dtype, on ``xp``."""
    bits = np.arange(2**16, dtype=np.uint16).view(np.int16)
    if is_torch_namespace(xp):
        import torch

        return torch.from_numpy(bits.copy()).view(getattr(torch, name)).to(device or "cpu")
    if is_jax_namespace(xp):
        import jax
        import jax.numpy as jnp

        out = jnp.asarray(bits).view(getattr(jnp, name))
        return out if device is None else jax.device_put(out, device)
    values = bits.view(np.float16)
    if is_dask_namespace(xp):
        import dask.array as da

        return da.from_array(values, chunks=2**14)
    return xp.asarray(values)


def round_to(reference: np.ndarray, name: str) -> np.ndarray:
    """Round a float64 reference once to a 16-bit dtype, then widen it to float32."""
    if name == "float16":
        return reference.astype(np.float16).astype(np.float32)
    try:
        import ml_dtypes  # ships with JAX
    except ImportError:
        import torch

        return torch.from_numpy(reference).to(torch.bfloat16).float().numpy()
    return reference.astype(ml_dtypes.bfloat16).astype(np.float32)


def as_computed_by(xp: ModuleType, expected: np.ndarray) -> np.ndarray:
    """``expected`` as the backend can represent it in arithmetic.

    XLA on the CPU flushes subnormal results (and inputs) of float32 and float64
    arithmetic to zero; every JAX computation does this, arrayshrink's included.
    """
    if not is_jax_namespace(xp):
        return expected
    tiny = np.finfo(expected.dtype if expected.dtype.kind == "f" else np.float32).smallest_normal
    flushed = expected.copy()
    flushed[np.abs(flushed) < tiny] = 0.0
    return flushed


def flush_tolerance(xp: ModuleType) -> float:
    """Absolute error that XLA's flushing of float64 subnormals can introduce (else 0)."""
    return float(np.finfo(np.float64).smallest_normal) if is_jax_namespace(xp) else 0.0


def load_example(name: str) -> Any:
    """The module of docs/examples/<name>.py, so that the tests run the documented code."""
    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A lazy backend (Dask) computes at every check point of a solve: thousands of
# iterations take minutes there. Its solves are covered by the short ones.
long_solve = pytest.mark.eager_only(
    reason="a long solve computes at every check point; the short solves cover it"
)


@contextmanager
def counting_dask_computes() -> Iterator[list[int]]:
    """Count the graphs Dask is asked to compute (each a round trip on a cluster), on
    the synchronous scheduler."""
    import dask

    counts: list[int] = []

    def get(graph: Any, keys: Any, **kwargs: Any) -> Any:
        counts.append(1)
        return dask.get(graph, keys, **kwargs)

    with dask.config.set(scheduler=get):
        yield counts

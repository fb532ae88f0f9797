"""Dask: each function adds exactly one blockwise layer to the graph.

The generic code would add one layer per elementwise operation (clip, then subtract);
here each block is computed by the NumPy implementation in a single ``map_blocks`` or
``blockwise`` call, which computes nothing (and keeps the chunks of ``x`` where an
array threshold is chunked as ``x`` is). An array threshold is matched to ``x`` block
by block, which also works where the chunk sizes are unknown (NaN, after boolean
indexing) and the generic code's shape arithmetic cannot run.

Kernels declared in the Dask profile (``_profiles.PROFILES``), all native:
``softshrink``, ``hardshrink``, ``tanhshrink``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import array_api_compat.numpy as np_xp
import dask.array as da

from arrayshrink import _agnostic
from arrayshrink._backends import _numpy

__all__ = ["hardshrink", "softshrink", "tanhshrink"]


def _soft_block(block: Any, lambd: Any) -> Any:
    out = _numpy.fast_softshrink(block, lambd)
    return _agnostic.softshrink(block, lambd, xp=np_xp) if out is None else out


def _hard_block(block: Any, lambd: Any) -> Any:
    out = _numpy.fast_hardshrink(block, lambd)
    return _agnostic.hardshrink(block, lambd, xp=np_xp) if out is None else out


def _tanh_block(block: Any) -> Any:
    return _agnostic.tanhshrink(block, xp=np_xp)


def _numpy_backed(x: Any) -> bool:
    return type(getattr(x, "_meta", None)).__module__ == "numpy"


def _with_array_threshold(block_func: Callable[..., Any], x: Any, lambd: Any) -> Any:
    """One blockwise layer of ``block_func`` over matching blocks of ``x`` and ``lambd``
    (broadcast along the leading and the size-1 dimensions of ``lambd``)."""
    index = tuple(range(x.ndim))
    return da.blockwise(
        block_func,
        index,
        x,
        index,
        lambd,
        index[x.ndim - lambd.ndim :],
        dtype=x.dtype,
        meta=x._meta,
    )


def _shrink(block_func: Callable[..., Any], x: Any, lambd: Any) -> Any:
    if not _numpy_backed(x):
        return None
    if isinstance(lambd, float):
        func = functools.partial(block_func, lambd=lambd)
        return x.map_blocks(func, dtype=x.dtype, meta=x._meta)
    if isinstance(lambd, da.Array) and _numpy_backed(lambd):
        return _with_array_threshold(block_func, x, lambd)
    return None


def softshrink(x: Any, lambd: Any) -> Any:
    """One-layer softshrink of a NumPy-backed Dask array, with a scalar threshold or
    a NumPy-backed Dask array of them."""
    return _shrink(_soft_block, x, lambd)


def hardshrink(x: Any, lambd: Any) -> Any:
    """One-layer hardshrink of a NumPy-backed Dask array, with a scalar threshold or
    a NumPy-backed Dask array of them."""
    return _shrink(_hard_block, x, lambd)


def tanhshrink(x: Any) -> Any:
    """One-layer tanhshrink of a NumPy-backed Dask array."""
    if not _numpy_backed(x):
        return None
    return x.map_blocks(_tanh_block, dtype=x.dtype, meta=x._meta)

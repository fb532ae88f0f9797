"""Dask: each function adds exactly one blockwise layer to the graph.

The generic code would add one layer per elementwise operation (clip, then subtract);
here each block is computed by the NumPy implementation in a single ``map_blocks``
call, which keeps the chunks and computes nothing.
"""

from __future__ import annotations

import functools
from typing import Any

import array_api_compat.numpy as np_xp

from arrayshrink import _agnostic
from arrayshrink._backends import _numpy

__all__ = ["hardshrink", "softshrink", "tanhshrink"]


def _soft_block(block: Any, lambd: float) -> Any:
    out = _numpy.fast_softshrink(block, lambd)
    return _agnostic.softshrink(block, lambd, xp=np_xp) if out is None else out


def _hard_block(block: Any, lambd: float) -> Any:
    out = _numpy.fast_hardshrink(block, lambd)
    return _agnostic.hardshrink(block, lambd, xp=np_xp) if out is None else out


def _tanh_block(block: Any) -> Any:
    return _agnostic.tanhshrink(block, xp=np_xp)


def _numpy_backed(x: Any) -> bool:
    return type(getattr(x, "_meta", None)).__module__ == "numpy"


def softshrink(x: Any, lambd: Any) -> Any:
    """One-layer softshrink of a NumPy-backed Dask array with a scalar threshold."""
    if not isinstance(lambd, float) or not _numpy_backed(x):
        return None
    return x.map_blocks(functools.partial(_soft_block, lambd=lambd), dtype=x.dtype, meta=x._meta)


def hardshrink(x: Any, lambd: Any) -> Any:
    """One-layer hardshrink of a NumPy-backed Dask array with a scalar threshold."""
    if not isinstance(lambd, float) or not _numpy_backed(x):
        return None
    return x.map_blocks(functools.partial(_hard_block, lambd=lambd), dtype=x.dtype, meta=x._meta)


def tanhshrink(x: Any) -> Any:
    """One-layer tanhshrink of a NumPy-backed Dask array."""
    if not _numpy_backed(x):
        return None
    return x.map_blocks(_tanh_block, dtype=x.dtype, meta=x._meta)

"""Columns of a batch: take some out, put them back, in pure Array API code.

A batch b of shape (m, k) holds k independent problems; per-column quantities have
shape (k,), iterates (n, k). Take and where, not item assignment, which JAX lacks.
"""

from __future__ import annotations

from typing import Any

from arrayshrink._lib import _compat
from arrayshrink._lib._typing import Array, Namespace

__all__ = [
    "as_array",
    "device_of",
    "index_dtype",
    "kth_smallest",
    "positions",
    "put_columns",
    "replace_columns",
    "take_columns",
]


def take_columns(v: Array, index: Array, xp: Namespace) -> Array:
    """The columns ``index`` of a per-column vector (k,) or a matrix (n, k)."""
    return xp.take(v, index, axis=v.ndim - 1)


def index_dtype(xp: Namespace) -> Any:
    """The namespace's default integer dtype for indices."""
    return xp.__array_namespace_info__().default_dtypes()["indexing"]


def positions(mask: Array, xp: Namespace) -> Array:
    """For each column, its position among the columns where ``mask`` holds."""
    return xp.clip(xp.cumulative_sum(xp.astype(mask, index_dtype(xp))) - 1, min=0)


def put_columns(full: Array, mask: Array, part: Array, position: Array, xp: Namespace) -> Array:
    """``full`` with its columns where ``mask`` replaced, in order, by those of ``part``
    (``position`` from positions(mask))."""
    return xp.where(mask, take_columns(part, position, xp), full)


def replace_columns(
    full: Array,
    mask: Array,
    part: Array,
    position: Array,
    index: Array,
    xp: Namespace,
    *,
    owned: bool,
) -> Array:
    """put_columns (``index``: where ``mask`` holds). Where ``full`` is ``owned`` (made
    by the caller, seen by nobody else) and writable in place, it is written where it
    is: a pass over the replaced columns only, instead of two over the whole batch."""
    if owned and _compat.is_writable_in_place(full):
        full[..., index] = part
        return full
    return put_columns(full, mask, part, position, xp)


def kth_smallest(values: Array, k: int, xp: Namespace) -> Array:
    """The k-th smallest of a 1-d array (from 0; NaN above every number), as a 0-d
    array: ``xp.sort(values)[k]``, by a partition for NumPy, which the standard lacks
    (linear time, not a sort of all the values)."""
    if _compat.is_numpy_array(values):
        import numpy as np

        return np.partition(values, k)[k, ...]
    return xp.sort(values, stable=False)[k]


def device_of(a: Array) -> Any:
    """The device of ``a`` (None for libraries without devices)."""
    return getattr(a, "device", None)


def as_array(v: Array, xp: Namespace) -> Array:
    """``v`` as an array: NumPy reduces 1-d data to a NumPy scalar, not a 0-d array."""
    return xp.asarray(v) if _compat.is_numpy_scalar(v) else v

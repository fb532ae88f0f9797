"""Generic shrinkage written against the Array API standard.

Each function takes a validated input ``x`` of a floating dtype, a threshold that is
a Python float already rounded to the compute dtype or an array of the compute dtype,
and the namespace ``xp``. The compute dtype is the real dtype of ``x``, except for
softshrink of float16 and bfloat16, computed in float32 and rounded once as torch
does. See the public functions in :mod:`arrayshrink._shrink` for the full contracts.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

__all__ = ["hardshrink", "softshrink", "tanhshrink"]

Array = Any


def _is_half(x: Array, xp: ModuleType) -> bool:
    """float16 and bfloat16 are computed in float32 and rounded once, as torch does."""
    # Not `x.dtype in (xp.float16, ...)`: some namespaces lack the attribute (Dask), and
    # a NumPy dtype compares equal to None. Every floating dtype of two bytes is a half.
    itemsize = getattr(x.dtype, "itemsize", None)
    if isinstance(itemsize, int):
        return itemsize == 2
    # Dtypes without an itemsize (ndonnx): finfo's bits of a floating dtype.
    try:
        return int(xp.finfo(x.dtype).bits) == 16
    except (TypeError, ValueError):
        return False


def softshrink(x: Array, lambd: Array | float, *, xp: ModuleType) -> Array:
    """Generic soft-thresholding; see :func:`arrayshrink.softshrink`."""
    # Halves first: NumPy's isdtype does not know ml_dtypes.bfloat16 (no complex dtype
    # of two bytes exists).
    if _is_half(x, xp):
        return xp.astype(softshrink(xp.astype(x, xp.float32), lambd, xp=xp), x.dtype)
    if xp.isdtype(x.dtype, "complex floating"):
        return _complex_softshrink(x, lambd, xp=xp)
    # Keeps NaN and ±inf, and is 0 in the dead zone, with no branch to select.
    return x - xp.clip(x, -lambd, lambd)


def _complex_softshrink(z: Array, lambd: Array | float, *, xp: ModuleType) -> Array:
    """z * max(0, 1 - lambd/|z|), exact on the real and imaginary axes."""
    modulus = xp.abs(z)  # used in conditions only, so no gradient flows through it
    active = (modulus > lambd) & xp.isfinite(modulus)
    # Elements that are not shrunk are replaced by 1 before any arithmetic: no 0/0 or
    # inf - inf is ever evaluated (they would warn, or poison gradients through where).
    safe = xp.where(active, z, xp.ones_like(z))
    safe_modulus = xp.abs(safe)
    re, im = xp.real(safe), xp.imag(safe)
    # re - lambd * re / |z| is exactly re - lambd when im == 0, and likewise for im.
    shrunk = _complex_from_parts(
        re - lambd * (re / safe_modulus), im - lambd * (im / safe_modulus), z.dtype, xp=xp
    )
    # The dead zone is 0; infinite moduli stay as they are and NaN propagates.
    untouched = xp.where(modulus <= lambd, xp.zeros_like(z), z)
    return xp.where(active, shrunk, untouched)


def _complex_from_parts(re: Array, im: Array, dtype: Any, *, xp: ModuleType) -> Array:
    """re + i*im without rounding, for finite parts (the standard has no `complex`)."""
    # (im + 0j) * 1j is exactly 0 + im*1j for finite im. The cast undoes NumPy 1.x's
    # promotion of 0-d complex64 arrays by Python scalars; it copies nothing otherwise.
    return xp.astype(xp.astype(re, dtype) + xp.astype(im, dtype) * 1j, dtype, copy=False)


def hardshrink(x: Array, lambd: Array | float, *, xp: ModuleType) -> Array:
    """Generic hard-thresholding; see :func:`arrayshrink.hardshrink`."""
    # abs(NaN) <= lambd is False, so NaN is kept; the sign of zero is kept too.
    magnitude = xp.abs(x)
    if _is_half(x, xp):
        # lambd is rounded to the dtype of x, so comparing in float32 answers the same;
        # and the comparisons of NumPy's bfloat16 (ml_dtypes) warn at NaN.
        magnitude = xp.astype(magnitude, xp.float32)
    return xp.where(magnitude <= lambd, xp.zeros_like(x), x)


def tanhshrink(x: Array, *, xp: ModuleType) -> Array:
    """Generic tanh-shrinkage; see :func:`arrayshrink.tanhshrink`."""
    if _is_half(x, xp):
        return xp.astype(tanhshrink(xp.astype(x, xp.float32), xp=xp), x.dtype)
    return x - xp.tanh(x)

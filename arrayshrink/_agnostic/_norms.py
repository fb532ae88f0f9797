"""Norms and products per column, real and complex alike, and a safe ratio."""

from __future__ import annotations

import math
from typing import Any

from arrayshrink._lib._typing import Array, Namespace

__all__ = ["bounded_share", "dual_scale", "ratio", "real_dot", "real_product", "sq_norm", "widen"]


def real_product(u: Array, v: Array, xp: Namespace) -> Array:
    """Re(conj(u) v), elementwise."""
    if xp.isdtype(u.dtype, "complex floating"):
        return xp.real(u) * xp.real(v) + xp.imag(u) * xp.imag(v)
    return u * v


def real_dot(u: Array, v: Array, xp: Namespace) -> Array:
    """Re <u, v> per column."""
    return xp.sum(real_product(u, v, xp), axis=0)


def sq_norm(v: Array, xp: Namespace) -> Array:
    """Squared Euclidean norm of each column (of the whole vector when 1-d)."""
    return real_dot(v, v, xp)


def ratio(num: Array, den: Array, xp: Namespace) -> Array:
    """num / den for num, den >= 0, with 0/0 = 0 and num/0 = inf."""
    positive = den > 0
    zero_or_inf = xp.where(num > 0, xp.full_like(num, math.inf), xp.zeros_like(num))
    return xp.where(positive, num / xp.where(positive, den, xp.ones_like(den)), zero_or_inf)


def bounded_share(magnitude: Array, bound: Array, xp: Namespace) -> Array:
    """bound / max(magnitude, bound) elementwise, for magnitude, bound >= 0 of one
    shape: the largest s <= 1 with s * magnitude <= bound (1 where both are 0). Never
    above 1, so nothing overflows however small the bound; NaN in magnitude gives NaN.
    A dual scale is the smallest of them over the coefficients."""
    top = xp.maximum(magnitude, bound)
    unbound = top == 0
    ones = xp.ones_like(top)
    return xp.where(unbound, ones, bound / xp.where(unbound, ones, top))


def dual_scale(
    magnitude: Array, lambd: Array | float, xp: Namespace, free: Array | None = None
) -> Array:
    """Per column, the largest s <= 1 with s * magnitude_j <= lambd_j for every j where
    ``free`` does not hold (``magnitude`` >= 0; ``lambd`` a number or an array that
    broadcasts to it): the smallest of :func:`bounded_share`, 1 with no coefficient.
    With one threshold, lambd / max(max_j magnitude_j, lambd): the same number (lambd / v
    decreases with v, and rounding keeps that order), with one division per column."""
    if magnitude.shape[0] == 0:  # no coefficient at all: nothing to scale
        shape, device = magnitude.shape[1:], getattr(magnitude, "device", None)
        return xp.ones(shape, dtype=magnitude.dtype, device=device)
    if isinstance(lambd, float) and lambd > 0 and free is None:
        top = xp.max(magnitude, axis=0)
        threshold = xp.full_like(top, lambd)
        return threshold / xp.maximum(top, threshold)
    each = bounded_share(magnitude, lambd + xp.zeros_like(magnitude), xp)
    if free is not None:
        each = xp.where(free, xp.ones_like(each), each)  # no constraint there
    return xp.min(each, axis=0)


def widen(v: Array, wide: Any, xp: Namespace) -> Array:
    """``v`` in the real dtype ``wide`` (its complex counterpart for complex v)."""
    if xp.isdtype(v.dtype, "complex floating"):
        wide = xp.complex128 if wide == xp.float64 else xp.complex64
    return xp.astype(v, wide, copy=False)

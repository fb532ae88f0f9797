"""The thresholding rules of PyWavelets and TensorFlow Addons, in pure Array API code.

Each keeps NaN (every comparison with NaN is False, so a NaN takes the branch whose
formula propagates it), keeps infinities where the rule does, and never divides where
the quotient is not used (a division by a safe denominator instead), so that torch
autograd and JAX give finite gradients everywhere, 0 in the dead zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arrayshrink._agnostic._formulas import _complex_from_parts, softshrink
from arrayshrink._lib._typing import Array, Namespace

__all__ = ["asymmetric_softshrink", "threshold", "threshold_firm"]


def _magnitude(x: Array, xp: Namespace) -> Array:
    """|x| (the modulus, overflow-free, for complex x)."""
    return xp.abs(x)


def _scaled(x: Array, factor: Array, xp: Namespace) -> Array:
    """x times a real factor; for complex x part by part (a complex product would
    compute inf * 0 = NaN for an infinite part)."""
    if not xp.isdtype(x.dtype, "complex floating"):
        return x * factor
    return _complex_from_parts(xp.real(x) * factor, xp.imag(x) * factor, x.dtype, xp=xp)


def _substituted(out: Array, drop: Array, substitute: Any, xp: Namespace) -> Array:
    """``out`` with ``substitute`` where ``drop`` holds (nothing to do for 0, which
    every rule already gives there)."""
    if substitute == 0:
        return out
    return xp.where(drop, xp.full_like(out, substitute), out)


def _garrote(x: Array, value: Any, xp: Namespace) -> Array:
    """x (1 - value^2 / |x|^2) where |x| > value, else 0."""
    magnitude = _magnitude(x, xp)
    dead = magnitude <= value  # False for NaN: it takes the formula and stays NaN
    safe = xp.where(dead, xp.ones_like(magnitude), magnitude)
    ratio = xp.where(dead, xp.zeros_like(magnitude), value / safe)  # < 1: no overflow
    return xp.where(dead, xp.zeros_like(x), _scaled(x, 1 - ratio * ratio, xp))


def threshold(
    x: Array,
    value: Any,
    mode: str,
    substitute: Any,
    *,
    xp: Namespace,
    soft: Callable[[Array, Any], Array] | None = None,
) -> Array:
    """Generic thresholding; see :func:`arrayshrink.threshold`. ``soft(x, value)``:
    the soft-thresholding to use (default: the generic one; the public layer passes
    the dispatched softshrink, whose JAX kernel has the derivative 0 at +-value)."""
    if mode == "greater":
        return xp.where(x < value, xp.full_like(x, substitute), x)
    if mode == "less":
        return xp.where(x > value, xp.full_like(x, substitute), x)
    below = _magnitude(x, xp) < value
    if mode == "hard":
        return xp.where(below, xp.full_like(x, substitute), x)
    if mode == "soft":
        out = softshrink(x, value, xp=xp) if soft is None else soft(x, value)
    else:
        out = _garrote(x, value, xp)
    return _substituted(out, below, substitute, xp)


def threshold_firm(x: Array, low: float, high: float, *, xp: Namespace) -> Array:
    """Generic firm thresholding; see :func:`arrayshrink.threshold_firm`."""
    magnitude = _magnitude(x, xp)
    dead = magnitude <= low
    kept = magnitude > high
    # high (|x| - low) / (high - low) |x| / x, as 1 - low / |x| over 1 - low / high:
    # finite for high = inf (soft thresholding); unused when high == low.
    slope = 1.0 if high == low else 1.0 / (1.0 - low / high)
    safe = xp.where(dead, xp.ones_like(magnitude), magnitude)
    # Kept entries out of the product: slope > 1 would overflow the largest ones.
    inner = xp.where(kept, xp.zeros_like(x), x)
    middle = _scaled(inner, (1.0 - low / safe) * slope, xp)
    return xp.where(dead, xp.zeros_like(x), xp.where(kept, x, middle))


def asymmetric_softshrink(x: Array, lower: float, upper: float, *, xp: Namespace) -> Array:
    """Generic asymmetric soft-thresholding; see
    :func:`arrayshrink.asymmetric_softshrink`."""
    # x - clip(x) keeps NaN and infinities; the dead zone, bounds included, is a
    # constant 0, so the derivative there is 0 under every autodiff (JAX's clip
    # would give 1/2 at a bound).
    inside = (x >= lower) & (x <= upper)
    return xp.where(inside, xp.zeros_like(x), x - xp.clip(x, lower, upper))

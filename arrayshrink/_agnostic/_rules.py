"""The thresholding rules of PyWavelets and TensorFlow Addons, in pure Array API code.

Each keeps NaN (every comparison with NaN is False, so a NaN takes the branch whose
formula propagates it), keeps infinities where the rule does, and never divides where
the quotient is not used (a division by a safe denominator instead), so that torch
autograd and JAX give finite gradients everywhere, 0 in the dead zone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from arrayshrink._agnostic._formulas import _complex_from_parts, _is_half, softshrink
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


def _widened(rule: Callable[..., Array]) -> Callable[..., Array]:
    """The rule computed in float32 for 16-bit x (float16, bfloat16, NumPy's
    ml_dtypes.bfloat16) and rounded once, as softshrink computes them."""

    @functools.wraps(rule)
    def rule_of(x: Array, *args: Any, xp: Namespace, **kwargs: Any) -> Array:
        if not _is_half(x, xp):
            return rule(x, *args, xp=xp, **kwargs)
        wide = rule(xp.astype(x, xp.float32), *args, xp=xp, **kwargs)
        return xp.astype(wide, x.dtype)

    return rule_of


def _finite_only(x: Array, rule: Callable[[Array], Array], xp: Namespace) -> Array:
    """rule(x) where |x| is finite, x itself elsewhere (infinite and NaN entries: both
    rules keep them, and the formula would make NaN of an infinite complex part, or a
    NaN derivative of inf * 0); the formula sees 0 there."""
    finite = xp.isfinite(_magnitude(x, xp))
    safe = xp.where(finite, x, xp.zeros_like(x))
    return xp.where(finite, rule(safe), x)


def _garrote(x: Array, value: Any, xp: Namespace) -> Array:
    """x (1 - value^2 / |x|^2) where |x| > value, else 0."""
    return _finite_only(x, lambda v: _finite_garrote(v, value, xp), xp)


def _finite_garrote(x: Array, value: Any, xp: Namespace) -> Array:
    magnitude = _magnitude(x, xp)
    dead = magnitude <= value  # False for NaN: it takes the formula and stays NaN
    safe = xp.where(dead, xp.ones_like(magnitude), magnitude)
    ratio = xp.where(dead, xp.zeros_like(magnitude), value / safe)  # < 1: no overflow
    return xp.where(dead, xp.zeros_like(x), _scaled(x, 1 - ratio * ratio, xp))


@_widened
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


@_widened
def threshold_firm(x: Array, low: Any, high: float, *, xp: Namespace) -> Array:
    """Generic firm thresholding; see :func:`arrayshrink.threshold_firm`. ``low``: a
    number, or a 0-d array (a symbolic torch.compile value)."""
    return _finite_only(x, lambda v: _finite_firm(v, low, high, xp), xp)


def _finite_firm(x: Array, low: Any, high: float, xp: Namespace) -> Array:
    magnitude = _magnitude(x, xp)
    dead = magnitude <= low
    kept = magnitude > high
    # high (|x| - low) / (high - low) |x| / x, as 1 - low / |x| over 1 - low / high:
    # finite for high = inf (soft thresholding); unused when high == low.
    if isinstance(low, float | int):
        slope: Any = 1.0 if high == low else 1.0 / (1.0 - low / high)
    else:  # an array: no Python branch on its value
        room = 1.0 - low / high
        slope = 1.0 / xp.where(room > 0, room, xp.ones_like(room))
    safe = xp.where(dead, xp.ones_like(magnitude), magnitude)
    # Kept entries out of the product: slope > 1 would overflow the largest ones.
    inner = xp.where(kept, xp.zeros_like(x), x)
    middle = _scaled(inner, (1.0 - low / safe) * slope, xp)
    return xp.where(dead, xp.zeros_like(x), xp.where(kept, x, middle))


@_widened
def asymmetric_softshrink(x: Array, lower: Any, upper: Any, *, xp: Namespace) -> Array:
    """Generic asymmetric soft-thresholding; see
    :func:`arrayshrink.asymmetric_softshrink`. The bounds: numbers, or arrays that
    broadcast to x."""
    # Selections of x - upper and x - lower (TensorFlow Addons' values, bit for bit);
    # the dead zone, bounds included, is a constant 0, so the derivative there is 0
    # under every autodiff; NaN is put back where the comparisons dropped it. No clip:
    # Dask's needs known chunk sizes.
    out = xp.where(x > upper, x - upper, xp.where(x < lower, x - lower, xp.zeros_like(x)))
    return xp.where(xp.isnan(x), x, out)

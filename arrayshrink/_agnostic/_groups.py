"""Group (block) soft-thresholding: x * max(0, 1 - lambd / ||x_g||_2) per group.

The scale lives here once: ``group_softshrink`` (groups along axes), the solvers'
label groups and multi-task rows (norms from their own reductions) all use it.
"""

from __future__ import annotations

from arrayshrink._agnostic._formulas import _is_half
from arrayshrink._lib._typing import Array, Namespace

__all__ = ["group_norm", "group_scale", "group_softshrink"]


def group_scale(norm: Array, lambd: Array | float, *, xp: Namespace) -> Array:
    """max(0, 1 - lambd / norm), 0 where norm <= lambd (a zero group included) without
    dividing by zero, so that gradients stay finite there; NaN where the norm or lambd is NaN."""
    active = norm > lambd
    safe = xp.where(active, norm, xp.ones_like(norm))
    # 0, or NaN where a comparison fails: a NaN norm or a NaN threshold (an invalid
    # value that could not be read now).
    idle = xp.where(norm <= lambd, xp.zeros_like(norm), norm + lambd)
    return xp.where(active, 1.0 - lambd / safe, idle)


def group_norm(x: Array, axis: tuple[int, ...], *, xp: Namespace) -> Array:
    """The Euclidean norm over ``axis`` (kept as size-1 axes), scaled by the largest
    modulus of each group so that squares neither overflow nor underflow (float16
    values above 256, float32 above 1e19); inf for a group holding inf, NaN for NaN."""
    modulus = xp.abs(x)
    largest = xp.max(modulus, axis=axis, keepdims=True)
    usable = (largest > 0) & xp.isfinite(largest)
    # Groups of 0, inf or NaN take their largest modulus as their norm below: their
    # squares are not taken (an entry of 1e300 beside inf would overflow).
    unit = xp.where(usable, modulus, xp.zeros_like(modulus)) / xp.where(
        usable, largest, xp.ones_like(largest)
    )
    # At least one entry of a usable group is 1: the sum is >= 1, and sqrt's gradient
    # is finite; a zero group is given 1, then 0.
    squares = xp.sum(unit * unit, axis=axis, keepdims=True)
    squares = xp.where(usable, squares, xp.ones_like(squares))
    norm = largest * xp.sqrt(squares)
    # A group holding inf (and no NaN) has an infinite norm; NaN stays NaN.
    return xp.where(usable | (largest == 0), norm, largest)


def group_softshrink(
    x: Array, lambd: Array | float, axis: tuple[int, ...], *, xp: Namespace
) -> Array:
    """Generic group soft-thresholding; see :func:`arrayshrink.group_softshrink`."""
    if any(size == 0 for size in x.shape):
        return xp.zeros_like(x)  # no element: no group norm to take (max has no identity)
    if _is_half(x, xp):  # halves: computed in float32, rounded once
        wide = group_softshrink(xp.astype(x, xp.float32), lambd, axis, xp=xp)
        return xp.astype(wide, x.dtype)
    return x * group_scale(group_norm(x, axis, xp=xp), lambd, xp=xp)

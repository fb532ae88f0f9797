"""JAX: softshrink with torch's gradient at the kinks, compiled once per shape and dtype.

``x - jnp.clip(x, -lambd, lambd)`` has the right values, but ``jnp.clip`` splits the
gradient at ties, which gives 0.5 at exactly ``|x| == lambd`` where torch gives 0. A
``custom_jvp`` states the derivative directly; it stays linear in the tangents, so
reverse mode, ``vmap``, ``jacfwd``, ``jacrev`` and ``hessian`` all follow from it.

Kernels declared in the JAX profile (``_profiles.PROFILES``): ``softshrink`` (native:
array thresholds too), ``fast_softshrink``, ``fast_hardshrink``, ``fast_tanhshrink``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp

from arrayshrink import _agnostic

__all__ = [
    "fast_hardshrink",
    "fast_softshrink",
    "fast_tanhshrink",
    "softshrink",
]


@jax.custom_jvp
def _softshrink(x: Any, lambd: Any) -> Any:
    return x - jnp.clip(x, -lambd, lambd)


@_softshrink.defjvp
def _softshrink_jvp(primals: tuple[Any, Any], tangents: tuple[Any, Any]) -> tuple[Any, Any]:
    x, lambd = primals
    dx, dlambd = tangents
    magnitude = jnp.abs(x)
    # d/dx is 1 outside [-lambd, lambd] and at NaN (as torch), 0 inside and at the ends.
    d_x = jnp.where(magnitude <= lambd, jnp.zeros_like(dx), dx)
    # d/dlambd is -sign(x) where |x| > lambd, 0 elsewhere.
    d_lambd = jnp.where(magnitude > lambd, -jnp.sign(x) * dlambd, jnp.zeros_like(dlambd))
    return _softshrink(x, lambd), d_x + d_lambd


@jax.jit
def _real_softshrink(x: Any, lambd: Any) -> Any:
    if x.dtype in (jnp.float16, jnp.bfloat16):
        # As torch: computed in float32, rounded once.
        return _softshrink(x.astype(jnp.float32), lambd).astype(x.dtype)
    return _softshrink(x, lambd)


def softshrink(x: Any, lambd: Any) -> Any:
    """softshrink of real JAX input ``x``; ``lambd`` as validated by the public layer."""
    return _real_softshrink(x, lambd)


@jax.jit
def _real_hardshrink(x: Any, lambd: Any) -> Any:
    # A Python-float lambd is weakly typed: it is rounded to the dtype of x, as torch does.
    return jnp.where(jnp.abs(x) <= lambd, jnp.zeros_like(x), x)


_REAL = frozenset(jnp.dtype(t) for t in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64))
_FLOATING = _REAL | frozenset(jnp.dtype(t) for t in (jnp.complex64, jnp.complex128))
# float16's largest value, the smallest of any floating dtype: valid for every input.
_ALWAYS_VALID = 65504.0
_NUMBERS = (float, int)


def _usable(x: Any, lambd: Any) -> bool:
    return type(lambd) in _NUMBERS and 0.0 <= lambd <= _ALWAYS_VALID and x.dtype in _REAL


def fast_softshrink(x: Any, lambd: Any) -> Any:
    """The jitted kernel for a real array and a valid scalar threshold, else None.

    Validation and dispatch in Python cost more than a small array's computation;
    this path skips them in the common case (the general path gives the same values).
    """
    return _real_softshrink(x, float(lambd)) if _usable(x, lambd) else None


def fast_hardshrink(x: Any, lambd: Any) -> Any:
    """The jitted hardshrink for a real array and a valid scalar threshold, else None."""
    return _real_hardshrink(x, float(lambd)) if _usable(x, lambd) else None


# tanhshrink: the generic code itself, compiled once per shape and dtype, so that it runs
# as one fused kernel instead of two dispatches and an intermediate array.
_tanhshrink = jax.jit(partial(_agnostic.tanhshrink, xp=jnp))


def fast_tanhshrink(x: Any) -> Any:
    """The jitted tanhshrink for a floating array, else None."""
    return _tanhshrink(x) if x.dtype in _FLOATING else None

"""NumPy: softshrink and hardshrink in one pass over memory, with no temporary array.

The output doubles as the scratch space, and large arrays are processed in blocks
small enough to stay in the CPU cache, so ``x`` is read from memory once and the
output written once: the same traffic as ``np.add(x, 0)``. The peak extra memory is
the output alone (``x - np.clip(x, ...)`` needs a second array of the same size).
tanhshrink is compute-bound and not blocked; its fast path skips the general path's
dispatch (most of a small array's time) and the temporary of ``x - np.tanh(x)``.

Kernels declared in the NumPy profile (``_profiles.PROFILES``): ``fast_softshrink``,
``fast_hardshrink``, ``fast_tanhshrink``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = ["fast_hardshrink", "fast_softshrink", "fast_tanhshrink"]

# float32 and float64 only: float16 is computed in float32 (the generic path does it).
_LARGEST = {np.dtype(t): float(np.finfo(t).max) for t in (np.float32, np.float64)}
_BLOCK_BYTES = 1 << 18  # 256 KiB: a block of x and of the output stay in L2 together

# The ufunc behind np.clip, called directly: np.clip's Python-level argument handling
# costs several microseconds per call, more than clipping 100 elements.
_umath = getattr(getattr(np, "_core", None), "umath", None)  # NumPy 2
if _umath is None:  # NumPy 1.x (whose numpy._core is an empty shim)
    _umath = np.core.umath  # type: ignore[attr-defined,unused-ignore]
_clip = _umath.clip


def _usable(x: Any, lambd: Any) -> bool:
    """Whether the fast path gives exactly what the general path would."""
    if type(x) is not np.ndarray or type(lambd) not in (float, int):
        return False
    largest = _LARGEST.get(x.dtype)
    return largest is not None and 0.0 <= lambd <= largest


def _block_size(x: np.ndarray) -> int:
    return _BLOCK_BYTES // x.itemsize


def _blocked(x: np.ndarray) -> bool:
    """Large contiguous arrays are processed in blocks; the rest in one go."""
    return x.size > _block_size(x) and (x.flags.c_contiguous or x.flags.f_contiguous)


def _blocks(x: np.ndarray, out: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Matching 1-d blocks of ``x`` and ``out`` (both contiguous in the same order)."""
    order: Literal["C", "F"] = "F" if x.flags.f_contiguous and not x.flags.c_contiguous else "C"
    flat_x, flat_out = x.ravel(order=order), out.ravel(order=order)
    size = _block_size(x)
    return [
        (flat_x[start : start + size], flat_out[start : start + size])
        for start in range(0, flat_x.size, size)
    ]


def _new_output(x: np.ndarray) -> np.ndarray:
    return np.empty_like(x, order="K")


def _small_output(x: np.ndarray) -> np.ndarray | None:
    """The output for an array processed in one go: None lets the first ufunc allocate
    it (np.empty_like costs a noticeable part of a 100-element call), except for 0-d
    input, for which a ufunc would return a NumPy scalar rather than an array."""
    return None if x.ndim else _new_output(x)


def _soft_into(x: np.ndarray, lambd: float, out: np.ndarray | None) -> np.ndarray:
    # NaN stays NaN. dtype: NumPy 1.x would compute in float64 for a float32 x and a
    # bound that its value-based casting finds too large for float32 (3.4e38).
    out = _clip(x, -lambd, lambd, out=out, dtype=x.dtype)
    np.subtract(x, out, out=out)
    return out


def fast_softshrink(x: Any, lambd: Any) -> np.ndarray | None:
    """softshrink of a float32/float64 ndarray with a scalar threshold, else None."""
    if not _usable(x, lambd):
        return None
    if not _blocked(x):
        return _soft_into(x, lambd, _small_output(x))
    out = _new_output(x)
    for x_block, out_block in _blocks(x, out):
        _soft_into(x_block, lambd, out_block)
    return out


def _hard_into(
    x: np.ndarray, lambd: float, out: np.ndarray | None, keep: np.ndarray | None
) -> np.ndarray:
    out = np.abs(x, out=out)
    keep = np.greater(out, lambd, out=keep)  # False at NaN: NaN * 0 is still NaN
    np.multiply(x, keep, out=out)
    np.add(out, 0.0, out=out)  # -0.0 (from x * 0 with x < 0) becomes +0.0
    return out


def fast_hardshrink(x: Any, lambd: Any) -> np.ndarray | None:
    """hardshrink of a float32/float64 ndarray with a scalar threshold, else None."""
    if not _usable(x, lambd):
        return None
    if not _blocked(x):
        return _hard_into(x, lambd, _small_output(x), None)
    out = _new_output(x)
    keep = np.empty(_block_size(x), dtype=bool)
    for x_block, out_block in _blocks(x, out):
        _hard_into(x_block, lambd, out_block, keep[: x_block.size])
    return out


def fast_tanhshrink(x: Any) -> np.ndarray | None:
    """tanhshrink of a float32/float64 ndarray, else None: tanh is computed into the
    output and subtracted in place, so the peak extra memory is the output alone."""
    if type(x) is not np.ndarray or x.dtype not in _LARGEST:
        return None
    out = np.tanh(x, out=_small_output(x))
    np.subtract(x, out, out=out)
    return out

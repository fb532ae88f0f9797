"""CuPy: softshrink as one fused elementwise kernel (one read, one write per element).

Not dispatched yet: a native path is taken only once the GPU benchmark
(``benchmarks/gpu_check.sh``) shows it faster than the generic path, and the equality
tests in ``tests/test_native.py`` have run on a GPU. Until then CuPy arrays take the
generic path, which is correct but makes two passes and one temporary.
"""

from __future__ import annotations

import functools
from typing import Any

import cupy

__all__ = ["softshrink"]


@functools.cache
def _kernel() -> Any:
    # The threshold is a float (float32 kernel) or a double; x - clamp(x) keeps NaN
    # whatever fmin/fmax do with NaN, since x itself is NaN there.
    return cupy.ElementwiseKernel(
        "T x, T lambd",
        "T y",
        "y = x - min(max(x, -lambd), lambd)",
        "arrayshrink_softshrink",
    )


def softshrink(x: Any, lambd: float) -> Any:
    """softshrink of a float32/float64 CuPy array with a scalar threshold, else None."""
    if x.dtype not in (cupy.float32, cupy.float64) or not isinstance(lambd, float):
        return None
    return _kernel()(x, x.dtype.type(lambd))

"""CuPy: softshrink as one fused elementwise kernel (one read, one write per element).

Kernels declared in the CuPy profile (``_profiles.PROFILES``): ``softshrink``
(native), declared with ``dispatched=False``: dispatch does not take it yet, and CuPy
arrays take the generic path, which is correct but makes two passes and one temporary.
``load_kernel("cupy", "softshrink", "native")`` reaches it for the tests and the
benchmark.

To dispatch it: run ``benchmarks/gpu_check.sh`` on a machine with an NVIDIA GPU. Its
tests (``tests/test_native.py`` on CuPy) check the kernel against the generic path,
and its benchmark prints, per size, ``cupy kernel / generic``: the kernel's time over
the generic code's. Where that ratio is below 1 at every size and the tests pass, set
``dispatched=True`` in the CuPy profile's ``Kernels`` and regenerate the backend tables
(``python tools/backend_table.py``).
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

"""PyTorch: torch's own fused kernels, in eager mode only.

``F.softshrink`` and ``F.hardshrink`` are what arrayshrink reproduces, so in eager
mode they are used directly (one fused kernel, torch's own backward). Under
``torch.compile`` they are not: torch 2.13's compiled softshrink turns NaN into 0, so
the generic formula, which keeps NaN, is traced instead. tanhshrink's fast path is
the generic formula itself, reached without the general path's dispatch.

Kernels declared in the PyTorch profile (``_profiles.PROFILES``): ``fast_softshrink``,
``fast_hardshrink``, ``fast_tanhshrink``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["fast_hardshrink", "fast_softshrink", "fast_tanhshrink"]

# float16's largest value, the smallest of any floating dtype: a threshold in [0, 65504]
# is valid for every input dtype, so no per-dtype lookup is needed on the fast path.
_ALWAYS_VALID = 65504.0
_NUMBERS = (float, int)
# torch.compiler.is_compiling(), inlined: it costs about 0.2 µs, a fifth of this path's
# budget at 1e4 elements. Dynamo answers is_dynamo_compiling() with True itself (and then
# never reads the flag, so it adds no guard); the other tracers (non-strict export) set
# the flag that is_compiling() reads.
if hasattr(torch.compiler, "is_dynamo_compiling") and hasattr(torch.compiler, "_is_compiling_flag"):
    _is_dynamo_compiling = torch.compiler.is_dynamo_compiling
    _flags: Any = torch.compiler
else:  # a torch without them: the public function, under the same two names
    _is_dynamo_compiling = torch.compiler.is_compiling
    _flags = SimpleNamespace(_is_compiling_flag=False)
# tanhshrink computes float16/bfloat16 in float32 and rounds once; torch's x - tanh(x)
# rounds twice, so only these two dtypes take the fast path.
_TANHSHRINK_DTYPES = (torch.float32, torch.float64)


def _eager_only(kernel: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The fast path to one of torch's kernels: taken for a valid scalar threshold in
    eager mode. The checks are inlined and the dtype and layout are left to torch (it
    raises NotImplementedError for integer, boolean, complex and float8 tensors and
    for COO and strided nested ones, RuntimeError for the compressed sparse layouts;
    the general path then gives arrayshrink's own error): this runs on every call,
    where a microsecond is a tenth of a 1e4-element kernel."""

    def fast(x: Any, lambd: Any) -> Any:
        # The tracing check before the range check: under torch.compile a Python-float
        # lambd may be symbolic, and comparing it here would guard on its value.
        if (
            type(lambd) in _NUMBERS
            and not (_is_dynamo_compiling() or _flags._is_compiling_flag)
            and 0.0 <= lambd <= _ALWAYS_VALID
        ):
            try:
                return kernel(x, lambd)
            except NotImplementedError:
                return None
            except RuntimeError:
                if x.layout is torch.strided:
                    raise
                return None
        return None

    fast.__name__ = fast.__qualname__ = f"fast_{kernel.__name__}"
    fast.__doc__ = f"F.{kernel.__name__} for a real tensor and a valid threshold, in eager mode."
    return fast


fast_softshrink = _eager_only(F.softshrink)
fast_hardshrink = _eager_only(F.hardshrink)


def fast_tanhshrink(x: Any) -> Any:
    """x - tanh(x) for a float32 or float64 tensor (in eager mode and under tracing
    alike: no kernel of torch's is involved), else None.

    The layout is left to torch, as in the other two fast paths: a COO sparse or a
    strided nested tensor is computed by torch's own elementwise operations (correctly:
    tanhshrink(0) is 0), where checking the layout would cost 2% of a small call; the
    layouts they reject (RuntimeError) go to the general path, which names them."""
    if x.dtype in _TANHSHRINK_DTYPES:
        try:
            return x - x.tanh()
        except RuntimeError:
            if x.layout is torch.strided:
                raise
            return None
    return None

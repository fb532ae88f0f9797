"""PyTorch: torch's own fused kernels, in eager mode only.

``F.softshrink`` and ``F.hardshrink`` are what arrayshrink reproduces, so in eager
mode they are used directly (one fused kernel, torch's own backward). Under
``torch.compile`` they are not: torch 2.13's compiled softshrink turns NaN into 0, so
the generic formula, which keeps NaN, is traced instead.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["fast_hardshrink", "fast_softshrink"]

_LARGEST = {
    dtype: float(torch.finfo(dtype).max)
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64)
}


def _usable(x: Any, lambd: Any) -> bool:
    if type(lambd) not in (float, int) or torch.compiler.is_compiling():
        return False
    largest = _LARGEST.get(x.dtype)
    return largest is not None and 0.0 <= lambd <= largest


def fast_softshrink(x: Any, lambd: Any) -> Any:
    """F.softshrink for a real tensor and a valid scalar threshold in eager mode."""
    return F.softshrink(x, lambd) if _usable(x, lambd) else None


def fast_hardshrink(x: Any, lambd: Any) -> Any:
    """F.hardshrink for a real tensor and a valid scalar threshold in eager mode."""
    return F.hardshrink(x, lambd) if _usable(x, lambd) else None

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

# float16's largest value, the smallest of any floating dtype: a threshold in [0, 65504]
# is valid for every input dtype, so no per-dtype lookup is needed on the fast path.
_ALWAYS_VALID = 65504.0
_NUMBERS = (float, int)
_is_compiling = torch.compiler.is_compiling


def _usable(x: Any, lambd: Any) -> bool:
    return (
        type(lambd) in _NUMBERS
        and 0.0 <= lambd <= _ALWAYS_VALID
        and x.is_floating_point()  # False for complex, integer and boolean tensors
        and not _is_compiling()
    )


def fast_softshrink(x: Any, lambd: Any) -> Any:
    """F.softshrink for a real tensor and a valid scalar threshold in eager mode."""
    return F.softshrink(x, lambd) if _usable(x, lambd) else None


def fast_hardshrink(x: Any, lambd: Any) -> Any:
    """F.hardshrink for a real tensor and a valid scalar threshold in eager mode."""
    return F.hardshrink(x, lambd) if _usable(x, lambd) else None

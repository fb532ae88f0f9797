"""Input validation for the public layer: every error message lives here."""

from __future__ import annotations

import contextlib
import math
import numbers
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from arrayshrink._lib import _compat

__all__ = [
    "FloatFormat",
    "check_floating",
    "float_format",
    "namespace_of",
    "real_dtype",
    "threshold",
]

_SUPPORTED = "NumPy, CuPy, PyTorch, JAX, Dask or array-api-strict"


_DISPLAY_NAMES = {
    "numpy": "NumPy",
    "torch": "PyTorch",
    "jax": "JAX",
    "dask": "Dask",
    "cupy": "CuPy",
}


def _library(xp: ModuleType) -> str:
    """The name of the library behind namespace ``xp``, for error messages."""
    name = _compat.backend_name(xp)
    return _DISPLAY_NAMES.get(name, name)


def namespace_of(x: Any, lambd: Any, func: str) -> ModuleType:
    """Infer the array namespace of ``x`` (and of ``lambd`` when it is an array)."""
    xp = _compat.namespace_for(x)
    if xp is None:
        raise TypeError(
            f"{func}(): x must be an array from {_SUPPORTED}; got {type(x).__name__}. "
            "Convert it first, e.g. with numpy.asarray(x, dtype=float)."
        )
    if lambd is None or isinstance(lambd, numbers.Number):
        return xp
    lambd_xp = _compat.namespace_for(lambd)
    if lambd_xp is not None and lambd_xp is not xp:
        raise TypeError(
            f"{func}(): lambd is a {_library(lambd_xp)} array but x is a {_library(xp)} "
            "array; pass both from the same array library."
        )
    return xp


def check_floating(x: Any, xp: ModuleType, func: str) -> bool:
    """Reject non-floating inputs with a TypeError; return whether ``x`` is complex."""
    if xp.isdtype(x.dtype, "complex floating"):
        return True
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(
            f"{func}(): x must have a real or complex floating dtype; got {x.dtype}. "
            "Convert it first, e.g. xp.astype(x, xp.float64)."
        )
    return False


def real_dtype(dtype: Any, xp: ModuleType) -> Any:
    """The real floating dtype of the same precision as ``dtype``."""
    if xp.isdtype(dtype, "complex floating"):
        return xp.float32 if dtype == xp.complex64 else xp.float64
    return dtype


def _round(value: float, digits: int, min_exponent: int) -> float:
    """Round a non-negative finite ``value`` to ``digits`` significand bits, ties to even."""
    if value == 0.0 or digits >= 53:
        return value
    exponent = max(math.frexp(value)[1], min_exponent)
    quantum = exponent - digits
    return math.ldexp(round(math.ldexp(value, -quantum)), quantum)


@dataclass(frozen=True, slots=True)
class FloatFormat:
    """What torch needs to know about a dtype to bound and round a threshold."""

    name: str
    max: float
    half: bool  # float16 or bfloat16
    digits: int  # significand bits, the implicit one included
    min_exponent: int  # frexp exponent of the smallest normal number

    def round(self, value: float, *, widen_half: bool) -> float:
        """Round ``value`` to this dtype, or to float32 for a half with ``widen_half``."""
        if widen_half and self.half:
            return _round(value, _FLOAT32_DIGITS, _FLOAT32_MIN_EXPONENT)
        return _round(value, self.digits, self.min_exponent)


_FLOAT32_DIGITS = 24
_FLOAT32_MIN_EXPONENT = -125
_FORMATS: dict[Any, FloatFormat] = {}


def float_format(dtype: Any, xp: ModuleType) -> FloatFormat:
    """The :class:`FloatFormat` of a real floating ``dtype`` (cached per dtype)."""
    key = (xp.__name__, dtype)
    try:
        return _FORMATS[key]
    except (KeyError, TypeError):
        pass
    info = xp.finfo(dtype)
    fmt = FloatFormat(
        name=str(dtype).rsplit(".", 1)[-1],  # "torch.float16" -> "float16"
        max=float(info.max),
        half=int(info.bits) == 16,
        digits=2 - math.frexp(float(info.eps))[1],
        min_exponent=math.frexp(float(info.smallest_normal))[1],
    )
    with contextlib.suppress(TypeError):  # an unhashable dtype object: skip the cache
        _FORMATS[key] = fmt
    return fmt


def _range_error(func: str, fmt: FloatFormat, found: str) -> ValueError:
    return ValueError(
        f"{func}(): lambd must be in the range [0, {fmt.max:g}] for input dtype "
        f"{fmt.name}; got {found}."
    )


def _scalar_threshold(lambd: Any, fmt: FloatFormat, func: str, widen_half: bool) -> float:
    if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real):
        raise TypeError(
            f"{func}(): lambd must be a real number or an array of the same library as x; "
            f"got {type(lambd).__name__} {lambd!r:.60}."
        )
    value = float(lambd)
    # `not (0 <= value <= max)` also rejects NaN.
    if not 0.0 <= value <= fmt.max:
        raise _range_error(func, fmt, repr(lambd))
    return fmt.round(value, widen_half=widen_half) + 0.0  # + 0.0 turns -0.0 into +0.0


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy's broadcast of two shapes, or None where they do not broadcast."""
    shape = []
    for i in range(1, max(len(a), len(b)) + 1):
        m = a[-i] if i <= len(a) else 1
        n = b[-i] if i <= len(b) else 1
        if m != n and 1 not in (m, n):
            return None
        shape.append(n if m == 1 else m)
    return tuple(reversed(shape))


def _array_threshold(
    lambd: Any, x: Any, dtype: Any, fmt: FloatFormat, xp: ModuleType, func: str, widen_half: bool
) -> tuple[Any, Any | None]:
    if not xp.isdtype(lambd.dtype, "real floating"):
        raise TypeError(
            f"{func}(): an array lambd must have a real floating dtype; got {lambd.dtype}."
        )
    if _broadcast_shape(tuple(lambd.shape), tuple(x.shape)) != tuple(x.shape):
        raise ValueError(
            f"{func}(): lambd of shape {tuple(lambd.shape)} does not broadcast to the "
            f"shape {tuple(x.shape)} of x; one threshold per element, per row or per "
            "column is allowed, but the output always has the shape of x."
        )
    valid = (lambd >= 0) & (lambd <= fmt.max)  # False at NaN
    if _compat.is_concrete(lambd, xp):
        if not bool(xp.all(valid)):
            bad = lambd[~valid]
            nan = " (NaN included)" if bool(xp.any(xp.isnan(bad))) else ""
            found = (
                f"{int(_compat.size(bad))} invalid entries{nan}, "
                f"e.g. {float(xp.min(xp.where(xp.isnan(bad), xp.inf, bad)))}"
            )
            raise _range_error(func, fmt, found)
        invalid = None
    else:
        # Values cannot be read under jit, torch.compile or on Dask: rather than
        # failing silently, invalid entries turn the matching outputs into NaN.
        invalid = ~valid
    compute_dtype = xp.float32 if widen_half and fmt.half else dtype
    if lambd.dtype != compute_dtype:
        lambd = xp.astype(lambd, compute_dtype)
    return lambd, invalid


def threshold(
    lambd: Any, x: Any, xp: ModuleType, func: str, *, widen_half: bool
) -> tuple[Any, Any | None]:
    """Validate ``lambd`` against ``x`` and round it as torch does.

    torch bounds the threshold by the largest value of the dtype of ``x``, and rounds
    it to the dtype its kernel computes in: the real dtype of ``x``, except that
    softshrink (``widen_half=True``) computes float16 and bfloat16 in float32.

    Returns the rounded threshold, a Python float or an array of that dtype; and for
    arrays whose values cannot be inspected now, a boolean mask of the entries that
    break ``0 <= lambd <= finfo(dtype).max`` (else None).
    """
    dtype = real_dtype(x.dtype, xp)
    fmt = float_format(dtype, xp)
    if not isinstance(lambd, numbers.Number) and _compat.namespace_for(lambd) is not None:
        return _array_threshold(lambd, x, dtype, fmt, xp, func, widen_half)
    return _scalar_threshold(lambd, fmt, func, widen_half), None

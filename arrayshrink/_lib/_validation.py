"""Input validation for the public layer: every error message lives here or in
:mod:`arrayshrink._lib._arrays` (the array checks, re-exported here).

:func:`check_threshold` is the one validator of a threshold: softshrink, hardshrink,
the classes (at construction, when the dtype of the input is not known yet) and the
solvers all call it, so that a bad ``lambd`` gets the same error everywhere.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from dataclasses import dataclass
from typing import Any

from arrayshrink._backends import _profiles
from arrayshrink._lib import _compat
from arrayshrink._lib._arrays import (
    broadcasts_to,
    check_array,
    check_device,
    check_floating,
    check_known_shape,
    check_namespace,
    check_same_library,
    is_array,
    library_name,
    namespace_of,
    namespace_or_none,
    real_dtype,
    under_torch_compile,
    unsupported_dtype,
)
from arrayshrink._lib._typing import Array, Namespace

__all__ = [
    "FloatFormat",
    "broadcasts_to",
    "check_array",
    "check_device",
    "check_floating",
    "check_known_shape",
    "check_namespace",
    "check_same_library",
    "check_threshold",
    "float_format",
    "is_array",
    "library_name",
    "namespace_of",
    "namespace_or_none",
    "real_dtype",
    "threshold",
    "under_torch_compile",
]

_ROUNDING = (None, "dtype", "widen-half")


def _round(value: float, digits: int, min_exponent: int) -> float:
    """Round a non-negative finite ``value`` to ``digits`` significand bits, ties to even."""
    if value == 0.0 or digits >= 53:
        return value
    exponent = max(math.frexp(value)[1], min_exponent)
    quantum = exponent - digits
    return math.ldexp(round(math.ldexp(value, -quantum)), quantum)


@dataclass(frozen=True, slots=True)
class FloatFormat:
    """What a threshold check needs to know about a real floating dtype."""

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


def float_format(dtype: Any, xp: Namespace, *, cached: bool = True) -> FloatFormat:
    """The :class:`FloatFormat` of a real floating ``dtype`` (cached per dtype).

    ``cached=False`` under torch.compile: Dynamo reads the floats of a cached object as
    symbolic values (with ``dynamic=True``), where a format built in the trace from
    ``finfo`` is made of constants.
    """
    key = (xp.__name__, dtype)
    if cached:
        try:
            return _FORMATS[key]
        except (KeyError, TypeError):
            pass
    info = _compat.finfo(dtype, xp)
    fmt = FloatFormat(
        name=str(dtype).rsplit(".", 1)[-1],  # "torch.float16" -> "float16"
        max=float(info.max),
        half=int(info.bits) == 16,
        digits=2 - math.frexp(float(info.eps))[1],
        min_exponent=math.frexp(float(info.smallest_normal))[1],
    )
    if cached:
        with contextlib.suppress(TypeError):  # an unhashable dtype object: skip the cache
            _FORMATS[key] = fmt
    return fmt


def _shown(value: Any) -> str:
    """``value`` for an error message, short even for a 400-digit integer."""
    if isinstance(value, numbers.Integral):
        digits = str(abs(int(value)))
        if len(digits) > 20:
            sign = "-" if value < 0 else ""
            return f"{sign}{digits[0]}.{digits[1:7]}e+{len(digits) - 1}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _range_error(
    func: str, name: str, fmt: FloatFormat | None, found: str, *, array: bool = False
) -> ValueError:
    if fmt is None:
        what = "finite and >= 0 everywhere" if array else "a finite number >= 0"
        return ValueError(f"{func}(): {name} must be {what}; got {found}.")
    return ValueError(
        f"{func}(): {name} must be in the range [0, {fmt.max:g}] for input dtype "
        f"{fmt.name}; got {found}."
    )


def _compute_dtype(dtype: Any, fmt: FloatFormat, round_to: str, xp: Namespace) -> Any:
    """The dtype a threshold is rounded to: ``dtype``, or float32 for a widened half."""
    return xp.float32 if round_to == "widen-half" and fmt.half else dtype


def _scalar_threshold(
    lambd: Any,
    func: str,
    name: str,
    data_name: str,
    xp: Namespace | None,
    dtype: Any,
    fmt: FloatFormat | None,
    round_to: str | None,
    device: Any,
) -> tuple[float | Array, Array | None]:
    # Inside a Dynamo trace a symbolic float (torch.compile's dynamic λ) is seen as a
    # float too: the comparisons below tell the two apart, with no guard on its value.
    value: Any = lambd
    if type(lambd) is not float and not _compat.is_symbolic_scalar(lambd):
        if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real):
            raise TypeError(
                f"{func}(): {name} must be a real number or an array of the same library "
                f"as {data_name}; got {type(lambd).__name__} {lambd!r:.60}."
            )
        try:
            value = float(lambd)
        except OverflowError:  # 10**400, Fraction(10**400): beyond every dtype
            value = math.inf if lambd > 0 else -math.inf  # type: ignore[operator]
    bound = math.inf if fmt is None else fmt.max
    # `&`, not `and`: a Python bool for numbers, a symbolic bool for a symbolic float.
    # Also False at NaN; `< inf` when no dtype bounds the value yet.
    within: Any = (value >= 0.0) & ((value < bound) if fmt is None else (value <= bound))
    if within is True:
        if fmt is not None and round_to is not None:
            value = fmt.round(value, widen_half=round_to == "widen-half")
        return value + 0.0, None  # + 0.0 turns -0.0 into +0.0
    if within is False:
        raise _range_error(func, name, fmt, _shown(lambd))
    return _symbolic_threshold(value, xp, dtype, fmt, round_to, device)


def _symbolic_threshold(
    value: Any,
    xp: Namespace | None,
    dtype: Any,
    fmt: FloatFormat | None,
    round_to: str | None,
    device: Any,
) -> tuple[Array, Array | None]:
    """A symbolic torch scalar (``torch.compile(..., dynamic=True)``): checked in the
    graph, so that one graph serves every value; an invalid one flags the outputs.

    The value becomes a 0-d float64 tensor (which holds any Python float exactly), and
    is cast to the compute dtype in the graph: torch rounds it there as the Python
    rounding would, with no guard on its value.
    """
    if xp is None:  # class construction: checked again at each call, on the data
        return value, None
    wide = xp.full((), value, dtype=xp.float64, device=device)
    bound = float(xp.finfo(xp.float64).max) if fmt is None else fmt.max
    invalid = ~((wide >= 0.0) & (wide <= bound))
    wide = xp.where(invalid, xp.zeros_like(wide), wide)  # as for arrays: see there
    if fmt is None or round_to is None:
        return wide, invalid
    return xp.astype(wide, _compute_dtype(dtype, fmt, round_to, xp)), invalid


def _within(lambd: Array, xp: Namespace, fmt: FloatFormat | None, *, cached: bool) -> Array:
    """``0 <= lambd <= fmt.max`` (finite when ``fmt`` is None), False at NaN, compared
    in a dtype that holds both the values of ``lambd`` and the bound exactly."""
    own = float_format(lambd.dtype, xp, cached=cached)
    if own.half:
        # float32 holds every 16-bit value and both 16-bit bounds exactly. (It also
        # spares NumPy's bfloat16 of ml_dtypes, whose comparisons raise the invalid
        # flag at NaN: a RuntimeWarning.)
        lambd = xp.astype(lambd, xp.float32)
        own = float_format(xp.float32, xp, cached=cached)
    if fmt is None or own.max <= fmt.max:
        # Every finite value of lambd's dtype is within the bound: the check is
        # "finite", written against lambd's own largest value (exact in its dtype).
        return (lambd >= 0) & (lambd <= own.max)
    # float64 or float32 against a smaller bound, which they hold exactly.
    return (lambd >= 0) & (lambd <= fmt.max)


def _count(mask: Array, xp: Namespace) -> int:
    return int(xp.count_nonzero(mask))


def _describe_invalid(lambd: Array, valid: Array, xp: Namespace) -> str:
    """How many entries are invalid, how many of them NaN, and one that is not NaN."""
    flat = xp.reshape(lambd, (-1,))
    bad = ~xp.reshape(valid, (-1,))
    nan = xp.isnan(flat)
    n_bad, n_nan = _count(bad, xp), _count(nan, xp)
    entries = f"{n_bad} invalid {'entry' if n_bad == 1 else 'entries'}"
    if n_nan == n_bad:
        return f"{entries}, {'NaN' if n_bad == 1 else 'all NaN'}"
    example = float(flat[bad & ~nan][0])
    nan_note = f" ({n_nan} NaN)" if n_nan else ""
    return f"{entries}{nan_note}, e.g. {example!r}"


def _array_threshold(
    lambd: Array,
    lambd_xp: Namespace,
    func: str,
    name: str,
    data_name: str,
    xp: Namespace | None,
    dtype: Any,
    fmt: FloatFormat | None,
    round_to: str | None,
    *,
    cached: bool,
) -> tuple[Array, Array | None]:
    if xp is not None:
        check_same_library(lambd, lambd_xp, xp, func, name, data_name)
    else:  # class construction: the namespace is lambd's own
        cached = not under_torch_compile(lambd_xp)
    xp = lambd_xp
    check_array(lambd, xp, func, name)
    category = _compat.dtype_category(lambd.dtype, xp)
    if category == "unsupported floating":
        raise unsupported_dtype(func, name, lambd.dtype)
    if category != "real floating":
        raise TypeError(
            f"{func}(): an array {name} must have a real floating dtype; got {lambd.dtype}. "
            f"Convert it first, e.g. xp.astype({name}, xp.float64)."
        )
    valid = _within(lambd, xp, fmt, cached=cached)
    invalid = None
    # The reduction too must be concrete: inside a jax.jit trace, a concrete lambd
    # closed over by the traced function still gives traced results.
    all_valid = xp.all(valid) if _compat.is_concrete(lambd) else None
    if all_valid is not None and _compat.is_concrete(all_valid):
        if not bool(all_valid):
            found = _describe_invalid(lambd, valid, xp)
            raise _range_error(func, name, fmt, found, array=True)
    else:
        # Values cannot be read under jit, torch.compile, on Dask or on the meta
        # device: rather than failing silently, invalid entries turn the matching
        # outputs into NaN. They are replaced by 0 here, so that they are never cast
        # or computed with (1e300 cast to float32 and inf - inf warn on NumPy blocks).
        invalid = ~valid
        lambd = xp.where(invalid, xp.zeros_like(lambd), lambd)
    if fmt is not None and round_to is not None:
        target = _compute_dtype(dtype, fmt, round_to, xp)
        if lambd.dtype != target:
            lambd = xp.astype(lambd, target)
    return lambd, invalid


def check_threshold(
    lambd: Any,
    func: str,
    *,
    xp: Namespace | None,
    dtype: Any | None,
    name: str = "lambd",
    round_to: str | None = None,
    data_name: str = "x",
    device: Any = None,
) -> tuple[float | Array, Array | None]:
    """Check a threshold ``lambd`` and round it for the computation.

    Parameters
    ----------
    lambd : real number or array
        A Python or NumPy real number (not a bool), or an array of a real floating
        dtype. A symbolic torch scalar (``torch.compile(..., dynamic=True)``) is
        accepted too.
    func : str
        The public function or class, for messages: ``"softshrink"``, ``"fista"``...
    xp : namespace or None
        The namespace of the data the threshold applies to; an array ``lambd`` must be
        of this library. None when unknown (class construction): any library then.
    dtype : dtype or None
        The real floating dtype of the data (of namespace ``xp``), whose largest value
        bounds ``lambd``. None: any finite value >= 0 is valid.
    name, data_name : str
        The names of the threshold and of the data in messages ("lambd", "x").
    round_to : {None, "dtype", "widen-half"}
        None: no rounding (an array is returned as it is). "dtype": a number is
        rounded to ``dtype`` (as torch's hardshrink does), an array cast to it.
        "widen-half": the same, except that for a 16-bit ``dtype`` the target is
        float32 (softshrink computes halves in float32). Ignored when ``dtype`` is None.
    device : device, optional
        Where the 0-d tensor of a symbolic torch scalar is created.

    Returns
    -------
    threshold : float or array
        A Python float (-0.0 returned as +0.0), or the array, cast as ``round_to``
        says. For a symbolic torch scalar, a 0-d tensor (float64 when not rounded).
    invalid : array or None
        None when every value was checked now. For an array whose values cannot be
        read now (Dask, JAX tracers, torch under ``torch.compile`` or ``torch.func``,
        torch meta tensors) and for a symbolic torch scalar: a boolean array, True
        where ``lambd`` is invalid, which the caller turns into NaN outputs. The
        returned threshold is 0 at those entries (never inf or NaN to compute with).

    Raises
    ------
    TypeError
        ``lambd`` is a bool, not a real number or an array, an array of another
        library than ``xp`` (naming both), of a non-floating dtype, a masked array,
        or a sparse or nested torch tensor.
    ValueError
        ``lambd`` (or a readable entry of it) is NaN, negative, infinite or above the
        largest value of ``dtype``; the message names ``name``, the value (for an
        array, how many entries are invalid and how many of them are NaN), the range
        and the dtype.
    """
    if round_to not in _ROUNDING:
        raise ValueError(f"round_to must be one of {_ROUNDING}; got {round_to!r}")
    if dtype is not None and xp is None:
        raise ValueError("check_threshold(): a dtype needs its namespace xp")
    # Under torch.compile the format is built in the trace: see float_format.
    cached = not under_torch_compile(xp)
    fmt = None if dtype is None else float_format(dtype, xp, cached=cached)  # type: ignore[arg-type]
    lambd_xp = namespace_or_none(lambd)
    if lambd_xp is not None:
        return _array_threshold(
            lambd, lambd_xp, func, name, data_name, xp, dtype, fmt, round_to, cached=cached
        )
    return _scalar_threshold(lambd, func, name, data_name, xp, dtype, fmt, round_to, device)


def threshold(
    lambd: Any, x: Any, xp: Namespace, func: str, *, widen_half: bool
) -> tuple[Any, Any | None]:
    """Validate ``lambd`` against ``x`` and round it as torch does.

    torch bounds the threshold by the largest value of the dtype of ``x``, and rounds
    it to the dtype its kernel computes in: the real dtype of ``x``, except that
    softshrink (``widen_half=True``) computes float16 and bfloat16 in float32. An
    array threshold must also broadcast to the shape of ``x``.

    Returns what :func:`check_threshold` returns.
    """
    if is_array(lambd) and not broadcasts_to(tuple(lambd.shape), tuple(x.shape)):
        raise ValueError(
            f"{func}(): lambd of shape {tuple(lambd.shape)} does not broadcast to the "
            f"shape {tuple(x.shape)} of x; one threshold per element, per row or per "
            "column is allowed, but the output always has the shape of x."
        )
    if is_array(lambd):
        check_device(func, "lambd", lambd, x, data_name="x")
    return check_threshold(
        lambd,
        func,
        xp=xp,
        dtype=real_dtype(x.dtype, xp),
        round_to="widen-half" if widen_half else "dtype",
        # Only a symbolic scalar (torch.compile's) needs it; a JAX tracer has no
        # device to ask.
        device=x.device if "torch.compile" in _profiles.profile(xp).tracers else None,
    )

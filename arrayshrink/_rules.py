"""Public thresholding rules of PyWavelets and TensorFlow Addons: docstrings,
validation and dispatch to :mod:`arrayshrink._agnostic._rules`."""

from __future__ import annotations

import math
import numbers
from typing import Any

from arrayshrink import _sparse
from arrayshrink._agnostic import _rules
from arrayshrink._lib import _compat, _validation
from arrayshrink._lib._typing import ArrayT, Namespace
from arrayshrink._shrink import _as_given, _flag_invalid, _from_numpy_scalar, softshrink

__all__ = ["asymmetric_softshrink", "threshold", "threshold_firm"]

# PyWavelets' modes; "garotte" is its misspelled alias, kept for drop-in use.
_MODES = ("soft", "hard", "garrote", "greater", "less")
_ALIASES = {"garotte": "garrote"}


def _prepared(func: str, x: Any, xp: Namespace | None, related: Any = None) -> tuple[Any, ...]:
    """x as an array (a NumPy scalar as 0-d), whether it was a scalar, its namespace
    and whether it is complex. ``related``: the array `value`, of x's library."""
    array, scalar = _from_numpy_scalar(x)
    inferred = _validation.namespace_of(array, related, func, lambd_name="value")
    xp = _validation.check_namespace(func, xp, inferred, data_name="x")
    is_complex = _validation.check_floating(array, xp, func)
    return array, scalar, xp, is_complex


def _as_float(value: Any) -> float:
    """float(value), with integers beyond every float (10**400) as +-inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _real_number(func: str, name: str, value: Any, dtype: Any, xp: Namespace) -> Any:
    """A finite real number within the range of ``dtype`` (of either sign); a symbolic
    torch.compile scalar as it is (its value cannot be read while tracing)."""
    if _compat.is_symbolic_scalar(value):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}(): {name} must be a real number; got {type(value).__name__}.")
    number = _as_float(value)
    largest = float(_validation.float_format(dtype, xp).max)
    # Comparisons, not math.isfinite: inside a Dynamo trace a dynamic float is a float
    # whose comparisons are symbolic (neither True nor False: it cannot be checked).
    within: Any = (number >= -largest) & (number <= largest)  # False for NaN
    if within is True:
        return number + 0.0
    if within is not False:
        return number
    raise ValueError(
        f"{func}(): {name} must be finite and within +-{largest:.4g} (the range of "
        f"{_dtype_name(dtype)}); got {value!r}."
    )


def _dtype_name(dtype: Any) -> str:
    return str(dtype).rsplit(".", 1)[-1]


def _substitute(func: str, substitute: Any, is_complex: bool, dtype: Any, xp: Namespace) -> Any:
    """The replacement value: a number (complex only for complex x), NaN allowed,
    within the range of ``dtype`` where finite (both parts of a complex one)."""
    if _compat.is_symbolic_scalar(substitute):
        return substitute
    if isinstance(substitute, bool) or not isinstance(substitute, numbers.Number):
        raise TypeError(f"{func}(): substitute must be a number; got {type(substitute).__name__}.")
    if not isinstance(substitute, numbers.Real):
        if not is_complex:
            raise TypeError(
                f"{func}(): substitute {substitute!r} is complex but x is real; give a real number."
            )
        number: Any = complex(substitute)  # type: ignore[call-overload]
        parts = [number.real, number.imag]
    else:
        try:
            number = float(substitute)
        except OverflowError:  # 10**400: an integer beyond every dtype
            raise _beyond(func, substitute, dtype, xp) from None
        parts = [number]
    largest = float(_validation.float_format(dtype, xp).max)
    # Finite and beyond the dtype (NaN and inf are valid substitutes). Comparisons only,
    # as in _real_number: under a Dynamo trace they are symbolic and pass unchecked.
    beyond: Any = False
    for part in parts:
        beyond = beyond | ((part > largest) & (part < math.inf))
        beyond = beyond | ((part < -largest) & (part > -math.inf))
    if beyond is True:
        raise _beyond(func, substitute, dtype, xp)
    return number


def _beyond(func: str, substitute: Any, dtype: Any, xp: Namespace) -> ValueError:
    largest = float(_validation.float_format(dtype, xp).max)
    return ValueError(
        f"{func}(): substitute {substitute!r:.40} is outside the range of "
        f"{_dtype_name(dtype)} (+-{largest:.4g})."
    )


def _finished(out: Any, x: Any, scalar: bool, xp: Namespace) -> Any:
    """The result in the dtype of x (NumPy 1.x promotes 0-d arrays by Python floats by
    value), as a NumPy scalar for a NumPy scalar x."""
    return _as_given(xp.astype(out, x.dtype, copy=False), scalar)


def _mode(func: str, mode: Any) -> str:
    if not isinstance(mode, str):
        raise TypeError(f"{func}(): mode must be a string; got {type(mode).__name__}.")
    name: str = _ALIASES.get(mode, mode)
    if name not in _MODES:
        listed = ", ".join(repr(m) for m in _MODES)
        raise ValueError(f"{func}(): mode must be one of {listed}; got {mode!r}.")
    return name


def threshold(
    x: ArrayT,
    /,
    value: float | Any,
    mode: str = "soft",
    substitute: float | complex = 0,
    *,
    xp: Namespace | None = None,
) -> ArrayT:
    r"""PyWavelets' thresholding (:func:`pywt.threshold`) on any array library.

    With :math:`v` = `value` and :math:`s` = `substitute`:

    =============  =========================================================
    mode           result
    =============  =========================================================
    ``"soft"``     :math:`s` where :math:`|x| < v`, else
                   :math:`x \max(0, 1 - v/|x|)` (:func:`softshrink`)
    ``"hard"``     :math:`s` where :math:`|x| < v`, else :math:`x`
    ``"garrote"``  :math:`s` where :math:`|x| < v`, else
                   :math:`x \max(0, 1 - v^2/|x|^2)` (the non-negative garrote)
    ``"greater"``  :math:`s` where :math:`x < v`, else :math:`x` (real `x`)
    ``"less"``     :math:`s` where :math:`x > v`, else :math:`x` (real `x`)
    =============  =========================================================

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype (real for ``"greater"`` and
        ``"less"``), of any library :func:`softshrink` takes, or a NumPy scalar. It
        is never modified.
    value : float or array
        The threshold :math:`v`. For ``"soft"``, ``"hard"`` and ``"garrote"``, checked
        as :func:`softshrink` checks `lambd` (:math:`v \ge 0`, finite; an array of the
        library of `x` that broadcasts to it gives one threshold per element, row or
        column). For ``"greater"`` and ``"less"``, any finite real number.
    mode : {"soft", "hard", "garrote", "greater", "less"}, default: "soft"
        The rule (PyWavelets' misspelled alias ``"garotte"`` is accepted).
    substitute : float or complex, default: 0
        The value of the entries the rule removes (NaN allowed; complex only for
        complex `x`).
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        Of the same library, dtype, device and shape as `x`.

    Raises
    ------
    TypeError
        `x` as for :func:`softshrink`; `mode` not a string; `value` or `substitute`
        not a number (a complex `substitute` for real `x`).
    ValueError
        An unknown `mode` (the message lists the modes); complex `x` with
        ``"greater"`` or ``"less"`` (as PyWavelets); `value` negative, NaN, infinite
        or beyond the dtype of `x` (any sign for ``"greater"``/``"less"``); a
        finite `substitute` beyond the dtype of `x`.

    See Also
    --------
    softshrink, hardshrink, threshold_firm, Threshold

    Notes
    -----
    - Ties: an entry with :math:`|x| = v` is *kept* by ``"hard"`` (PyWavelets'
      rule), while :func:`hardshrink` (torch's) zeroes it; ``"soft"`` and
      ``"garrote"`` give 0 there, and :math:`s` only strictly below :math:`v`.
    - ``"soft"`` is :func:`softshrink` exactly (:math:`x - v` above :math:`v`,
      exact to the last bit where :math:`|x| \le 2v`); PyWavelets computes
      :math:`x (1 - v/|x|)`, which agrees to rounding. ``"garrote"`` computes
      :math:`x (1 - (v/|x|)^2)` only where :math:`|x| > v`, so it neither overflows
      nor underflows. At :math:`v = 0` both give :math:`x` (PyWavelets gives NaN at
      :math:`x = 0`: 0/0).
    - NaN stays NaN in every mode; :math:`\pm\infty` is kept. Gradients (torch,
      JAX) are finite everywhere and 0 where the rule removes the entry.
    - Complex input: ``"soft"`` and ``"garrote"`` shrink the modulus and keep the
      phase; ``"hard"`` compares the modulus.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import _sparse, threshold
    >>> data = np.linspace(1, 4, 7)
    >>> threshold(data, 2, "soft")
    array([0. , 0. , 0. , 0.5, 1. , 1.5, 2. ])
    >>> threshold(data, 2, "hard")
    array([0. , 0. , 2. , 2.5, 3. , 3.5, 4. ])
    >>> threshold(data, 2, "less", substitute=-1)
    array([ 1. ,  1.5,  2. , -1. , -1. , -1. , -1. ])
    """
    func = "threshold"
    if _sparse.is_sparse(x):
        return _sparse.elementwise(  # type: ignore[no-any-return]
            func, x, lambda data: threshold(data, value, mode, substitute), {"value": value}
        )
    mode = _mode(func, mode)
    related = value if _validation.is_array(value) else None
    array, scalar, xp, is_complex = _prepared(func, x, xp, related)
    real = _validation.real_dtype(array.dtype, xp)
    fill = _substitute(func, substitute, is_complex, real, xp)
    invalid = None
    if mode in ("greater", "less"):
        if is_complex:
            raise ValueError(
                f"{func}(): mode {mode!r} needs real x (complex numbers have no order); "
                f"got {_dtype_name(array.dtype)}."
            )
        if _validation.is_array(value):
            raise TypeError(
                f"{func}(): value for mode {mode!r} must be a real number; got an array."
            )
        level: Any = _real_number(func, "value", value, real, xp)
    else:
        level, invalid = _checked_value(func, value, array, xp, widen_half=mode == "soft")

    def soft(v: Any, lambd: Any) -> Any:
        return softshrink(v, lambd, xp=xp)

    out = _rules.threshold(array, level, mode, fill, xp=xp, soft=soft)
    result: ArrayT = _finished(_flag_invalid(out, invalid, xp), array, scalar, xp)
    return result


def _checked_value(
    func: str, value: Any, x: Any, xp: Namespace, *, widen_half: bool
) -> tuple[Any, Any]:
    """A threshold >= 0 named ``value``, checked and rounded as softshrink's."""
    if _validation.is_array(value):
        if not _validation.broadcasts_to(tuple(value.shape), tuple(x.shape)):
            raise ValueError(
                f"{func}(): value of shape {tuple(value.shape)} does not broadcast to "
                f"the shape {tuple(x.shape)} of x."
            )
        _validation.check_device(func, "value", value, x, data_name="x")
    return _validation.check_threshold(
        value,
        func,
        xp=xp,
        dtype=_validation.real_dtype(x.dtype, xp),
        name="value",
        round_to="widen-half" if widen_half else "dtype",
    )


def threshold_firm(
    x: ArrayT, /, value_low: float, value_high: float, *, xp: Namespace | None = None
) -> ArrayT:
    r"""Firm thresholding (PyWavelets' :func:`pywt.threshold_firm`) on any library.

    .. math::

        \operatorname{firm}(x) =
        \begin{cases} 0 & |x| \le v_l \\
        \frac{x}{|x|} \, v_h \frac{|x| - v_l}{v_h - v_l} & v_l < |x| \le v_h \\
        x & |x| > v_h \end{cases}

    Continuous like soft thresholding, unbiased for large values like hard
    thresholding (Gao and Bruce 1997); :math:`v_h = v_l` is hard thresholding (with
    :math:`|x| = v_l` zeroed), :math:`v_h = \infty` soft thresholding.

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype, or a NumPy scalar. It is never
        modified.
    value_low : float
        :math:`v_l \ge 0`, finite: entries of modulus up to it become 0.
    value_high : float
        :math:`v_h \ge v_l`, possibly ``inf``: entries of modulus above it are kept.
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        Of the same library, dtype, device and shape as `x`.

    Raises
    ------
    TypeError
        `x` as for :func:`softshrink`; a threshold that is not a real number.
    ValueError
        `value_low` negative, NaN, infinite or beyond the dtype of `x`; `value_high`
        NaN or below `value_low` (the message gives both).

    See Also
    --------
    threshold, ThresholdFirm

    Notes
    -----
    At :math:`v_l = 0` and :math:`x = 0` the result is 0 (PyWavelets returns NaN
    there: 0/0), and :math:`v_h = \infty` gives soft thresholding (PyWavelets: NaN,
    :math:`\infty/\infty`). NaN stays NaN; gradients (torch, JAX) are finite, 0 in
    the dead zone. Complex input keeps the phase.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import threshold_firm
    >>> threshold_firm(np.asarray([0.5, 1.5, 2.5, 4.0]), 1.0, 3.0)
    array([0.  , 0.75, 2.25, 4.  ])
    """
    func = "threshold_firm"
    if _sparse.is_sparse(x):
        return _sparse.elementwise(  # type: ignore[no-any-return]
            func,
            x,
            lambda data: threshold_firm(data, value_low, value_high),
            {"value_low": value_low, "value_high": value_high},
        )
    array, scalar, xp, _ = _prepared(func, x, xp)
    real = _validation.real_dtype(array.dtype, xp)
    if _validation.is_array(value_low) or _validation.is_array(value_high):
        raise TypeError(f"{func}(): value_low and value_high must be real numbers.")
    low, _ = _validation.check_threshold(value_low, func, xp=xp, dtype=real, name="value_low")
    given: Any = value_high  # typed float, but any object may come
    if isinstance(given, bool) or not isinstance(given, numbers.Real):
        raise TypeError(f"{func}(): value_high must be a real number; got {type(given).__name__}.")
    high = _as_float(given)
    readable = not _validation.is_array(low)  # a symbolic value_low is a 0-d tensor
    if not high >= (float(low) if readable else 0.0):  # also False for NaN
        raise ValueError(
            f"{func}(): value_high must be >= value_low; got value_low={value_low!r}, "
            f"value_high={value_high!r}."
        )
    if high > float(_validation.float_format(real, xp).max):
        high = math.inf  # beyond the dtype: nothing is kept unshrunk, as for inf
    out = _rules.threshold_firm(array, float(low) if readable else low, high, xp=xp)
    result: ArrayT = _finished(out, array, scalar, xp)
    return result


def asymmetric_softshrink(
    x: ArrayT,
    /,
    lower: float = -0.5,
    upper: float = 0.5,
    *,
    xp: Namespace | None = None,
) -> ArrayT:
    r"""Soft-thresholding with its own bound on each side (TensorFlow Addons'
    ``tfa.activations.softshrink``).

    .. math::

        \operatorname{asymmetric\_softshrink}(x) =
        \begin{cases} x - u & x > u \\ x - l & x < l \\ 0 & l \le x \le u \end{cases}

    Equal to :func:`softshrink` with :math:`\lambda = u` when :math:`l = -u`.

    Parameters
    ----------
    x : array
        Input of a real floating dtype, or a NumPy scalar. It is never modified.
    lower, upper : float, default: -0.5, 0.5
        The bounds :math:`l \le u` of the dead zone: finite real numbers within the
        range of the dtype of `x` (either may be of either sign).
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        Of the same library, dtype, device and shape as `x`.

    Raises
    ------
    TypeError
        `x` as for :func:`softshrink`, or complex (complex numbers have no order); a
        bound that is not a real number.
    ValueError
        A bound that is NaN, infinite or beyond the dtype of `x`; `lower > upper`
        (the message gives both).

    See Also
    --------
    softshrink, AsymmetricSoftshrink

    Notes
    -----
    NaN stays NaN and :math:`\pm\infty` stays :math:`\pm\infty` (TensorFlow Addons'
    formula, nested ``where`` selections, turns NaN into 0). The derivative is 1
    outside the dead zone and 0 inside it, bounds included, under torch autograd and
    JAX alike, as :func:`softshrink`'s. The bounds are rounded to the dtype of `x`.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import asymmetric_softshrink
    >>> asymmetric_softshrink(np.asarray([-2.0, -0.5, 0.5, 1.5]), -1.0, 0.5)
    array([-1.,  0.,  0.,  1.])
    """
    func = "asymmetric_softshrink"
    if _sparse.is_sparse(x):
        return _sparse.elementwise(  # type: ignore[no-any-return]
            func,
            x,
            lambda data: asymmetric_softshrink(data, lower, upper),
            {"lower": lower, "upper": upper},
        )
    array, scalar, xp, is_complex = _prepared(func, x, xp)
    if is_complex:
        raise TypeError(
            f"{func}(): x must be real (complex numbers have no order); got "
            f"{_dtype_name(array.dtype)}."
        )
    low = _real_number(func, "lower", lower, array.dtype, xp)
    high = _real_number(func, "upper", upper, array.dtype, xp)
    if low > high:
        raise ValueError(f"{func}(): lower must be <= upper; got lower={lower!r}, upper={upper!r}.")
    out = _rules.asymmetric_softshrink(array, low, high, xp=xp)
    result: ArrayT = _finished(out, array, scalar, xp)
    return result

"""Public shrinkage functions: docstrings, validation and dispatch."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from arrayshrink import _agnostic, _backends
from arrayshrink._lib import _compat, _validation

__all__ = ["hardshrink", "softshrink", "tanhshrink"]

Array = Any


def _fast_kernels(name: str) -> tuple[dict[type, Any], Any]:
    """The fast-kernel table of function ``name`` (see arrayshrink._backends), whose
    learning step keeps torch's jagged nested tensors off the fast path: they have a
    Python type of their own, and the general path rejects them with a clear error."""
    table, learn = _backends.fast_kernels(name)

    def learn_type(x: Array) -> Any:
        kernel = learn(x)
        # By type alone (a strided nested tensor is a plain Tensor, which torch's own
        # kernels decline, so the general path sees it too).
        if kernel is not None and type(x).__name__ == "NestedTensor":
            kernel = table[type(x)] = None
        return kernel

    return table, learn_type


# Per array type, the kernel that handles the common case before any validation (see
# arrayshrink._backends): a real input and a valid scalar threshold (for tanhshrink, an
# input of a dtype the kernel computes exactly as the generic code does).
_FAST_SOFTSHRINK, _learn_softshrink = _fast_kernels("softshrink")
_FAST_HARDSHRINK, _learn_hardshrink = _fast_kernels("hardshrink")
_FAST_TANHSHRINK, _learn_tanhshrink = _fast_kernels("tanhshrink")


def _prepare(
    func: str, x: Array, lambd: Array | float, xp: ModuleType | None, *, widen_half: bool
) -> tuple[ModuleType, bool, Array | float, Array | None]:
    """Namespace, complexness, validated threshold and lazy-invalid mask of a call."""
    if xp is None:
        xp = _validation.namespace_of(x, lambd, func)
    is_complex = _validation.check_floating(x, xp, func)
    threshold, invalid = _validation.threshold(lambd, x, xp, func, widen_half=widen_half)
    return xp, is_complex, threshold, invalid


def _flag_invalid(out: Array, invalid: Array | None, xp: ModuleType) -> Array:
    """NaN wherever a threshold could not be checked eagerly and turned out invalid."""
    if invalid is None:
        return out
    return xp.where(invalid, xp.full_like(out, xp.nan), out)


def _from_numpy_scalar(x: Array) -> tuple[Array, bool]:
    """A NumPy scalar as a 0-d array, and whether it was one (its result is one too)."""
    if _compat.is_numpy_scalar(x):
        import numpy as np

        return np.asarray(x), True
    return x, False


def _as_given(out: Array, scalar: bool) -> Array:
    """NumPy scalar in, NumPy scalar out; a 0-d array in, a 0-d array out (NumPy's
    arithmetic on 0-d arrays returns scalars, which the promise does not allow)."""
    if _compat.is_numpy_scalar(out):
        if scalar:
            return out
        import numpy as np

        return np.asarray(out)
    return out[()] if scalar else out


def _thresholding(
    name: str, x: Array, lambd: Array | float, xp: ModuleType | None, *, widen_half: bool
) -> Array:
    """Validation, then the native or the generic code."""
    x, scalar = _from_numpy_scalar(x)
    xp, is_complex, threshold, invalid = _prepare(name, x, lambd, xp, widen_half=widen_half)
    native = None if is_complex else _backends.native(name, xp)
    out = None if native is None else native(x, threshold)
    if out is None:
        out = getattr(_agnostic, name)(x, threshold, xp=xp)
    return _as_given(_flag_invalid(out, invalid, xp), scalar)


def softshrink(x: Array, /, lambd: float | Array = 0.5, *, xp: ModuleType | None = None) -> Array:
    r"""Soft-thresholding: shrink every element towards zero by ``lambd``.

    .. math::

        \operatorname{softshrink}(x) =
        \begin{cases} x - \lambda & x > \lambda \\ x + \lambda & x < -\lambda \\
        0 & \text{otherwise} \end{cases}

    This is :func:`torch.nn.functional.softshrink`, the proximal operator of
    :math:`\lambda\|x\|_1`, for any array library that follows the Array API standard.

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype, from NumPy, CuPy, PyTorch, JAX,
        Dask or array-api-strict (NumPy arrays of ``ml_dtypes.bfloat16`` included),
        or a NumPy scalar. It is never modified.
    lambd : float or array, default: 0.5
        The threshold :math:`\lambda \ge 0`. A Python or NumPy real number, or an
        array of a real floating dtype and of the same library as `x` whose shape
        broadcasts to the shape of `x` (one threshold per element, row or column, as
        in weighted L1). It is rounded as torch rounds it: to the dtype of `x` (its
        real dtype for complex `x`), or to float32 for float16 and bfloat16 `x`, which
        are computed in float32.
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        An array of the same library, dtype, device and shape as `x`; a NumPy scalar
        of the same dtype for a NumPy scalar `x`.

    Raises
    ------
    TypeError
        If `x` is not an array, has an integer or boolean dtype, or a floating dtype
        of 8 bits or fewer (torch's and ml_dtypes' float8, torch's complex32); if `x`
        or `lambd` is a :mod:`numpy.ma` masked array (call ``.filled(value)`` first),
        or a sparse or nested torch tensor; if `lambd` is a bool, not a real number or
        array, an array of a non-floating dtype, or an array of another library than
        `x` (the message names both).
    ValueError
        If `lambd` is NaN, negative, infinite or above the largest finite value of the
        dtype of `x` (also for an empty `x`, and for a huge integer such as
        ``10**400``); for an array `lambd`, if any entry is, the message counting the
        invalid entries and the NaN among them. Also if an array `lambd` does not
        broadcast to `x`.

    See Also
    --------
    hardshrink, tanhshrink, Softshrink

    Notes
    -----
    - Exactly :math:`\pm\lambda` maps to 0, NaN stays NaN and :math:`\pm\infty` stays
      :math:`\pm\infty`. The sign of a zero result is not part of the contract.
    - float16 and bfloat16 are computed in float32 and rounded once, as torch's CPU
      kernel does, so results equal torch's on every one of the 65,536 inputs.
    - Complex input (which torch rejects) shrinks the modulus and keeps the phase,
      :math:`z \max(0, 1 - \lambda/|z|)`; values on the real and imaginary axes are
      exactly those of the real function.
    - An array `lambd` is checked against the bound in a dtype that holds it: a
      float32 `lambd` holding inf is invalid for float64 `x` (float64's largest
      value is inf in float32).
    - For an array `lambd` whose values cannot be read without computing (Dask,
      torch meta tensors, or inside ``jax.jit``, ``torch.compile`` or a
      ``torch.func`` transform), invalid entries cannot raise; the matching outputs
      are NaN instead. Dask arrays of unknown chunk sizes (after boolean indexing)
      are handled lazily too.
    - Under ``torch.compile``: a Python-float `lambd` is not specialised (with
      ``dynamic=True``, or from the second value on by default), so one graph serves
      every value, as for ``F.softshrink``; it is then cast to the compute dtype in
      the graph rather than rounded in Python. A constant (specialised) `lambd` that
      is invalid raises at trace time: the ``ValueError`` above without
      ``fullgraph``; with ``fullgraph=True`` Dynamo wraps it and raises
      ``torch._dynamo.exc.Unsupported`` ("Observed exception", a ``RuntimeError``)
      whose ``__cause__`` carries the ``ValueError``'s message. Dynamo always
      specialises NaN and infinities. A symbolic `lambd` that is invalid gives NaN
      outputs, the rule for values that cannot be read.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import softshrink
    >>> softshrink(np.asarray([-2.0, -0.5, 0.25, 1.0, np.inf]), 0.5)
    array([-1.5,  0. ,  0. ,  0.5,  inf])
    >>> softshrink(np.asarray([3 + 4j]), 1.0)
    array([2.4+3.2j])
    """
    # The fast path first, inlined (in all three functions): for a small array
    # a function call or a validation costs a noticeable part of the whole call.
    try:
        fast = _FAST_SOFTSHRINK[type(x)]
    except KeyError:
        fast = _learn_softshrink(x)
    if fast is not None and (out := fast(x, lambd)) is not None:
        return out
    return _thresholding("softshrink", x, lambd, xp, widen_half=True)


def hardshrink(x: Array, /, lambd: float | Array = 0.5, *, xp: ModuleType | None = None) -> Array:
    r"""Hard-thresholding: zero every element whose magnitude is at most ``lambd``.

    .. math::

        \operatorname{hardshrink}(x) =
        \begin{cases} x & |x| > \lambda \\ 0 & \text{otherwise} \end{cases}

    This is :func:`torch.nn.functional.hardshrink` for any array library that follows
    the Array API standard.

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype, or a NumPy scalar, as for
        :func:`softshrink`. It is never modified.
    lambd : float or array, default: 0.5
        The threshold :math:`\lambda \ge 0`, a Python or NumPy real number or an
        array that broadcasts to `x`, rounded to the (real) dtype of `x` as torch
        does, also for float16 and bfloat16.
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        An array of the same library, dtype, device and shape as `x`; a NumPy scalar
        of the same dtype for a NumPy scalar `x`.

    Raises
    ------
    TypeError
        As :func:`softshrink`.
    ValueError
        As :func:`softshrink`. torch accepts a negative ``lambd`` here (and then keeps
        every element); arrayshrink rejects it, as torch's own softshrink does.

    See Also
    --------
    softshrink, tanhshrink, Hardshrink

    Notes
    -----
    Exactly :math:`\pm\lambda` maps to 0, NaN and :math:`\pm\infty` are kept. Complex
    `x` keeps the elements whose modulus exceeds `lambd`. Thresholds that cannot be
    read (lazy, traced, meta) and ``torch.compile`` behave as for :func:`softshrink`.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import hardshrink
    >>> hardshrink(np.asarray([-2.0, -0.5, 0.25, 1.0]), 0.5)
    array([-2.,  0.,  0.,  1.])
    """
    try:
        fast = _FAST_HARDSHRINK[type(x)]
    except KeyError:
        fast = _learn_hardshrink(x)
    if fast is not None and (out := fast(x, lambd)) is not None:
        return out
    # torch compares 16-bit inputs with the threshold rounded to their own dtype.
    return _thresholding("hardshrink", x, lambd, xp, widen_half=False)


def tanhshrink(x: Array, /, *, xp: ModuleType | None = None) -> Array:
    r"""Tanh-shrinkage: :math:`x - \tanh(x)`.

    This is :func:`torch.nn.functional.tanhshrink` for any array library that follows
    the Array API standard.

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype, or a NumPy scalar, as for
        :func:`softshrink`. It is never modified.
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        An array of the same library, dtype, device and shape as `x`; a NumPy scalar
        of the same dtype for a NumPy scalar `x`.

    Raises
    ------
    TypeError
        If `x` is not an array, has an integer, boolean or 8-bit floating dtype, or is
        a :mod:`numpy.ma` masked array, a sparse or nested torch tensor (except the
        COO sparse and strided nested float32/float64 tensors of the Notes).

    See Also
    --------
    softshrink, hardshrink, Tanhshrink

    Notes
    -----
    float16 and bfloat16 are computed in float32 and rounded once. Near zero the
    result is a small difference of nearly equal numbers, exactly as in torch: its
    absolute error is a few ulp of `x`, its relative error can be large. float32 and
    float64 torch tensors go straight to torch's elementwise operations, which also
    compute COO sparse and strided nested tensors (tanhshrink(0) is 0, so the
    result is right); the other two functions reject those layouts.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import tanhshrink
    >>> tanhshrink(np.asarray([0.0, 1.0]))
    array([0.        , 0.23840584])
    """
    try:
        fast = _FAST_TANHSHRINK[type(x)]
    except KeyError:
        fast = _learn_tanhshrink(x)
    if fast is not None and (out := fast(x)) is not None:
        return out
    x, scalar = _from_numpy_scalar(x)
    if xp is None:
        xp = _validation.namespace_of(x, None, "tanhshrink")
    _validation.check_floating(x, xp, "tanhshrink")
    native = _backends.native("tanhshrink", xp)
    out = None if native is None else native(x)
    return _as_given(_agnostic.tanhshrink(x, xp=xp) if out is None else out, scalar)

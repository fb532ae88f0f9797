"""Public shrinkage functions: docstrings, validation and dispatch."""

from __future__ import annotations

import numbers as _numbers
from typing import Any

from arrayshrink import _agnostic, _sparse
from arrayshrink._agnostic._groups import group_scale
from arrayshrink._backends import Dispatch
from arrayshrink._lib import _compat, _validation
from arrayshrink._lib._typing import Array, ArrayT, Namespace

__all__ = ["group_softshrink", "hardshrink", "softshrink", "tanhshrink"]

# Per array type, the kernels each function takes, as the backend profiles declare them
# (see arrayshrink._backends.Dispatch). The fast kernel handles the common case before
# any validation (a real input and a valid scalar threshold; for tanhshrink, an input
# of a dtype the kernel computes exactly as the generic code does) and returns None
# otherwise; its table is read with one dict lookup, inlined in each function.
_SOFTSHRINK = Dispatch("softshrink")
_HARDSHRINK = Dispatch("hardshrink")
_TANHSHRINK = Dispatch("tanhshrink")
_FAST_SOFTSHRINK = _SOFTSHRINK.fast
_FAST_HARDSHRINK = _HARDSHRINK.fast
_FAST_TANHSHRINK = _TANHSHRINK.fast

# tanhshrink's threshold: it has none (None is a threshold, an invalid one).
_NO_THRESHOLD: Any = object()


def _flag_invalid(out: Array, invalid: Array | None, xp: Namespace) -> Array:
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


def _general(
    dispatch: Dispatch,
    x: ArrayT,
    lambd: float | Array,
    xp: Namespace | None,
    *,
    widen_half: bool = False,
) -> ArrayT:
    """The general path of all three functions: validation, then the native kernel
    where one is dispatched and accepts the call, else the generic code.

    ``lambd`` is ``_NO_THRESHOLD`` for tanhshrink. ``widen_half``: the
    threshold of 16-bit input is rounded to float32, the dtype softshrink computes
    them in (as torch does), rather than to their own dtype.
    """
    function = dispatch.function
    thresholded = lambd is not _NO_THRESHOLD
    if _sparse.is_sparse(x):
        _sparse.no_other_namespace(function, x, xp)
        given = {"lambd": lambd} if thresholded else {}
        return _sparse.elementwise(  # type: ignore[no-any-return]
            function,
            x,
            lambda data: _general(dispatch, data, lambd, None, widen_half=widen_half),
            given,
        )
    array, scalar = _from_numpy_scalar(x)
    inferred = _validation.namespace_of(array, lambd if thresholded else None, function)
    xp = _validation.check_namespace(function, xp, inferred, data_name="x")
    is_complex = _validation.check_floating(array, xp, function)
    args: tuple[Array, ...] = ()
    invalid = None
    if thresholded:
        threshold, invalid = _validation.threshold(
            lambd, array, xp, function, widen_half=widen_half
        )
        args = (threshold,)
    # Complex input always takes the generic code.
    native = None if is_complex else dispatch.native_kernel(array)
    out = None if native is None else native(array, *args)
    if out is None:
        out = getattr(_agnostic, function)(array, *args, xp=xp)
    result: ArrayT = _as_given(_flag_invalid(out, invalid, xp), scalar)
    return result


def softshrink(x: ArrayT, /, lambd: float | Array = 0.5, *, xp: Namespace | None = None) -> ArrayT:
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
        The namespace of `x` (or its library's own module); inferred when omitted.
        Another library's raises :class:`TypeError`.

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
        fast = _SOFTSHRINK.learn(x)
    if fast is not None and xp is None and (out := fast(x, lambd)) is not None:
        return out
    return _general(_SOFTSHRINK, x, lambd, xp, widen_half=True)


def hardshrink(x: ArrayT, /, lambd: float | Array = 0.5, *, xp: Namespace | None = None) -> ArrayT:
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
        The namespace of `x` (or its library's own module); inferred when omitted.
        Another library's raises :class:`TypeError`.

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
        fast = _HARDSHRINK.learn(x)
    if fast is not None and xp is None and (out := fast(x, lambd)) is not None:
        return out
    # torch compares 16-bit inputs with the threshold rounded to their own dtype.
    return _general(_HARDSHRINK, x, lambd, xp)


def tanhshrink(x: ArrayT, /, *, xp: Namespace | None = None) -> ArrayT:
    r"""Tanh-shrinkage: :math:`x - \tanh(x)`.

    This is :func:`torch.nn.functional.tanhshrink` for any array library that follows
    the Array API standard.

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype, or a NumPy scalar, as for
        :func:`softshrink`. It is never modified.
    xp : array namespace, optional
        The namespace of `x` (or its library's own module); inferred when omitted.
        Another library's raises :class:`TypeError`.

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
        fast = _TANHSHRINK.learn(x)
    if fast is not None and xp is None and (out := fast(x)) is not None:
        return out
    return _general(_TANHSHRINK, x, _NO_THRESHOLD, xp)


def _sparse_group_softshrink(x: Any, lambd: Any, axis: Any) -> Any:
    """group_softshrink of a scipy.sparse or pydata sparse x (arrayshrink._sparse)."""
    import array_api_compat.numpy as np_xp
    import numpy as np

    func = "group_softshrink"
    _sparse.number_thresholds(func, {"lambd": lambd})
    axes = _group_axes(axis, len(x.shape), func)
    dtype = np.dtype(x.dtype)
    # The checks of the dense function, on an empty array of x's dtype.
    group_softshrink(np.zeros((0,) * len(x.shape), dtype=dtype), lambd, axis=axis)
    if all(x.shape[a] == 1 for a in axes):
        # Groups of one element: the norm is the modulus, and softshrink is exact.
        return softshrink(x, lambd)
    threshold = float(lambd)
    return _sparse.grouped(func, x, axes, lambda norm: group_scale(norm, threshold, xp=np_xp))


def _group_axes(axis: Any, ndim: int, func: str) -> tuple[int, ...]:
    """``axis`` (an int or a tuple of ints) as sorted non-negative axes of an array of
    ``ndim`` dimensions."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if ndim == 0 and axes in ((), (0,), (-1,)):
        return ()  # a 0-d array (or NumPy scalar) is a group of one element
    if not all(isinstance(a, int | _numbers.Integral) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"{func}(): axis must be an int or a tuple of ints; got {axis!r}.")
    if any(not -ndim <= int(a) < ndim for a in axes):
        raise ValueError(
            f"{func}(): axis {axis!r} is out of range for x of {ndim} dimension"
            f"{'' if ndim == 1 else 's'}."
        )
    normal = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(normal)) != len(normal):
        raise ValueError(f"{func}(): axis {axis!r} repeats an axis.")
    return normal


def group_softshrink(
    x: ArrayT,
    /,
    lambd: float | Array = 0.5,
    *,
    axis: int | tuple[int, ...] = -1,
    xp: Namespace | None = None,
) -> ArrayT:
    r"""Group (block) soft-thresholding: shrink each group's Euclidean norm by ``lambd``.

    .. math::

        \operatorname{group\_softshrink}(x)_g = x_g \max\left(0,\,
        1 - \frac{\lambda}{\|x_g\|_2}\right)

    where a group :math:`x_g` is a slice of `x` along `axis` (one group per index of
    the other axes). This is the proximal operator of :math:`\lambda \sum_g
    \|x_g\|_2`, the :math:`\ell_{2,1}` norm of the group Lasso, multi-task Lasso
    and multichannel sparse coding: a group is kept or zeroed as a whole.

    Parameters
    ----------
    x : array
        Input of a real or complex floating dtype, of any library that
        :func:`~arrayshrink.softshrink` takes, or a NumPy scalar. It is never
        modified.
    lambd : float or array, default: 0.5
        The threshold :math:`\lambda \ge 0`, checked as by
        :func:`~arrayshrink.softshrink`: a number, or an array of the library of `x`
        that broadcasts to the shape of the group norms, which is that of `x` with
        the axes of `axis` of size 1 (one threshold per group). For `x` of shape
        (C, N) and ``axis=-1``, one threshold per row has shape (C, 1).
    axis : int or tuple of ints, default: -1
        The axes that make up a group. ``axis=()`` makes every element a group of its
        own: then, as for any group of one element, the result is exactly
        :func:`~arrayshrink.softshrink`'s. A 0-d `x` (or NumPy scalar) is one group of
        one element, with the default `axis` too.
    xp : array namespace, optional
        The namespace of `x`; inferred when omitted.

    Returns
    -------
    array or NumPy scalar
        Of the same library, dtype, device and shape as `x`.

    Raises
    ------
    TypeError
        As :func:`~arrayshrink.softshrink` (bad `x` or `lambd`), and if `axis` is not
        an int or a tuple of ints.
    ValueError
        As :func:`~arrayshrink.softshrink` for `lambd`; if an array `lambd` does not
        broadcast to the group norms' shape; if `axis` is out of range or repeats an
        axis.

    See Also
    --------
    softshrink, GroupSoftshrink, fista : ``groups=`` and ``multitask=True`` solve
        with this penalty.

    Notes
    -----
    - A zero group (and any group with :math:`\|x_g\|_2 \le \lambda`) gives 0, with
      zero and finite gradients (torch autograd, JAX): the division by the norm is
      never evaluated there.
    - The norm is computed scaled by the group's largest modulus, so it neither
      overflows nor underflows for any finite input (float16 above 256 included).
      float16 and bfloat16 are computed in float32 and rounded once.
    - Complex input shrinks the moduli by the group's real scale and keeps each
      element's phase.
    - NaN in a group makes the whole group NaN; a group holding inf (and no NaN) has
      an infinite norm and is returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import group_softshrink
    >>> x = np.asarray([[3.0, 4.0], [0.3, 0.4]])
    >>> group_softshrink(x, 1.0)  # rows are groups: norms 5 and 0.5
    array([[2.4, 3.2],
           [0. , 0. ]])
    >>> group_softshrink(x, 1.0, axis=0)  # columns: norms 3.015 and 4.020
    array([[2.00496281, 3.00496281],
           [0.20049628, 0.30049628]])
    """
    func = "group_softshrink"
    if _sparse.is_sparse(x):
        _sparse.no_other_namespace(func, x, xp)
        return _sparse_group_softshrink(x, lambd, axis)  # type: ignore[no-any-return]
    array, scalar = _from_numpy_scalar(x)
    inferred = _validation.namespace_of(array, lambd, func)
    xp = _validation.check_namespace(func, xp, inferred, data_name="x")
    _validation.check_floating(array, xp, func)
    axes = _group_axes(axis, array.ndim, func)
    if all(array.shape[a] == 1 for a in axes):
        # Groups of one element: the norm is the modulus, and softshrink is exact.
        out: ArrayT = softshrink(x, lambd, xp=xp)
        return out
    norm_shape = tuple(1 if i in axes else n for i, n in enumerate(array.shape))
    lambd_shape = tuple(getattr(lambd, "shape", ()))
    if not _validation.broadcasts_to(lambd_shape, norm_shape):
        raise ValueError(
            f"{func}(): lambd of shape {lambd_shape} does not broadcast to the "
            f"shape {norm_shape} of the group norms (x of shape {tuple(array.shape)} "
            f"with axis {axis!r} of size 1): give one threshold per group."
        )
    threshold, invalid = _validation.threshold(lambd, array, xp, func, widen_half=True)
    result = _agnostic.group_softshrink(array, threshold, axes, xp=xp)
    return _as_given(_flag_invalid(result, invalid, xp), scalar)  # type: ignore[no-any-return]

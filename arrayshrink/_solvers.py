"""Public Lasso solvers: ISTA and FISTA on any Array API backend."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from arrayshrink import _backends
from arrayshrink._agnostic import _solvers
from arrayshrink._agnostic._solvers import LassoResult
from arrayshrink._lib import _compat, _validation

__all__ = ["LassoResult", "LinearOperator", "fista", "ista", "lambda_max"]

Array = Any


@runtime_checkable
class LinearOperator(Protocol):
    """What a matrix-free dictionary provides: ``A`` in ``fista(A, b, ...)``.

    ``forward(x)`` computes A @ x and ``adjoint(r)`` computes A^H @ r, for x of shape
    (n,) or (n, k) and r of shape (m,) or (m, k); ``shape`` is (m, n).
    """

    shape: tuple[int, int]

    def forward(self, x: Array) -> Array: ...

    def adjoint(self, r: Array) -> Array: ...


def _operator(A: Any, b: Array, xp: ModuleType, func: str) -> _solvers.Operator:
    """Wrap a matrix or a LinearOperator as forward/adjoint products."""
    if _compat.namespace_for(A) is not None:
        if A.ndim != 2:
            raise ValueError(f"{func}(): A must be a 2-d array; got shape {tuple(A.shape)}.")
        if A.shape[0] != b.shape[0]:
            raise ValueError(
                f"{func}(): A of shape {tuple(A.shape)} and b of shape {tuple(b.shape)} do "
                "not match: A must have as many rows as b."
            )
        complex_A = xp.isdtype(A.dtype, "complex floating")
        A_conj = xp.conj(A) if complex_A else A
        if b.ndim == 1:
            # A^H r as the row-vector product r @ conj(A): under jax.jit it runs many
            # times faster than the product with the transposed matrix.
            return _solvers.Operator(lambda x: A @ x, lambda r: r @ A_conj, tuple(A.shape))
        # For a batch, A^H @ r itself: (r^T @ conj(A))^T would hand a transposed,
        # non-contiguous array to every elementwise operation after it.
        A_adjoint = xp.matrix_transpose(A_conj)
        return _solvers.Operator(lambda x: A @ x, lambda r: A_adjoint @ r, tuple(A.shape))
    if isinstance(A, LinearOperator):
        if A.shape[0] != b.shape[0]:
            raise ValueError(
                f"{func}(): the operator of shape {tuple(A.shape)} and b of shape "
                f"{tuple(b.shape)} do not match."
            )
        return _solvers.Operator(A.forward, A.adjoint, (int(A.shape[0]), int(A.shape[1])))
    raise TypeError(
        f"{func}(): A must be a 2-d array or an object with forward(x), adjoint(r) and "
        f"shape; got {type(A).__name__}."
    )


def _materializer(xp: ModuleType) -> Callable[..., tuple[Array, ...]]:
    """Dask: persist the iterates, so that the graph does not grow with the iterations."""
    if _compat.backend_name(xp) != "dask":
        return lambda *arrays: arrays
    import dask

    return lambda *arrays: dask.persist(*arrays)


def _check_number(func: str, name: str, value: Any, *, minimum: float, integer: bool) -> None:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"{func}(): {name} must be {expected}; got {value!r}.")
    if not (float(value) >= minimum and math.isfinite(float(value))):
        raise ValueError(f"{func}(): {name} must be a finite number >= {minimum}; got {value!r}.")


def _threshold(lambd: Any, x_shape: tuple[int, ...], dtype: Any, xp: ModuleType, func: str) -> Any:
    """lambd as an array of the real dtype of x that broadcasts to x's shape."""
    real = _validation.real_dtype(dtype, xp)
    if isinstance(lambd, bool):
        raise TypeError(f"{func}(): lambd must be a real number or an array; got bool.")
    if isinstance(lambd, numbers.Real):
        if not 0.0 <= float(lambd) < math.inf:
            raise ValueError(f"{func}(): lambd must be a finite number >= 0; got {lambd!r}.")
        return float(lambd)
    if _compat.namespace_for(lambd) is not xp:
        raise TypeError(
            f"{func}(): lambd must be a real number or an array of the same library as b; "
            f"got {type(lambd).__name__}."
        )
    if _validation._broadcast_shape(tuple(lambd.shape), x_shape) != x_shape:
        raise ValueError(
            f"{func}(): lambd of shape {tuple(lambd.shape)} does not broadcast to the shape "
            f"{x_shape} of x: give one value per column (k,), per coefficient (n, 1), or both."
        )
    if _compat.is_concrete(lambd, xp) and not bool(xp.all(lambd >= 0)):
        raise ValueError(f"{func}(): lambd must be >= 0 everywhere.")
    # One value per column, (k,), becomes (1, k): the solver takes columns of lambd.
    missing = len(x_shape) - lambd.ndim
    return xp.reshape(xp.astype(lambd, real), (1,) * missing + tuple(lambd.shape))


def _solve(
    func: str,
    A: Any,
    b: Array,
    lambd: Any,
    *,
    accelerate: bool,
    restart: bool,
    x0: Array | None,
    max_iter: int,
    tol: float,
    check_every: int,
    lipschitz: float | None,
    unroll: bool,
    positive: bool,
    l2: float,
    callback: Callable[[LassoResult], Any] | None,
    history: bool,
    xp: ModuleType | None,
) -> LassoResult:
    if xp is None:
        xp = _validation.namespace_of(b, None, func)
    is_complex = _validation.check_floating(b, xp, func)
    if b.ndim not in (1, 2):
        raise ValueError(f"{func}(): b must have shape (m,) or (m, k); got {tuple(b.shape)}.")
    op = _operator(A, b, xp, func)
    if not is_complex and _compat.namespace_for(A) is not None:
        is_complex = bool(xp.isdtype(A.dtype, "complex floating"))
    _check_number(func, "max_iter", max_iter, minimum=1, integer=True)
    _check_number(func, "check_every", check_every, minimum=1, integer=True)
    _check_number(func, "tol", tol, minimum=0.0, integer=False)
    _check_number(func, "l2", l2, minimum=0.0, integer=False)
    if lipschitz is not None:
        _check_number(func, "lipschitz", lipschitz, minimum=0.0, integer=False)
        if lipschitz == 0:
            raise ValueError(f"{func}(): lipschitz must be > 0; got 0.")
    if positive and is_complex:
        raise ValueError(f"{func}(): positive=True needs real A and b.")
    n = op.shape[1]
    x_shape = (n, *b.shape[1:])
    dtype = b.dtype
    if _compat.namespace_for(A) is not None and A.dtype != b.dtype:
        dtype = xp.result_type(A.dtype, b.dtype)
        b = xp.astype(b, dtype)
    if x0 is None:
        x0 = xp.zeros(x_shape, dtype=dtype, device=_compat.device(b))
    elif tuple(x0.shape) != x_shape:
        raise ValueError(f"{func}(): x0 must have shape {x_shape}; got {tuple(x0.shape)}.")
    else:
        x0 = xp.astype(x0, dtype)
    if unroll and lipschitz is None:
        raise ValueError(
            f"{func}(): unroll=True needs lipschitz, the fixed step 1/lipschitz: "
            "backtracking decides on the values, which differentiation cannot follow."
        )
    eps = float(xp.finfo(_validation.real_dtype(dtype, xp)).eps)
    problem = _solvers.Problem(
        op,
        b,
        _threshold(lambd, x_shape, dtype, xp, func),
        l2,
        positive,
        xp,
        negligible=(64 * eps) ** 2,
    )
    options = _solvers.Options(
        max_iter, tol, check_every, lipschitz, accelerate, restart, bool(unroll)
    )
    loops = _traced_loops(xp, A, b, lambd, x0)
    if loops is not None and (callback is not None or history):
        raise ValueError(
            f"{func}(): callback and history need concrete values, which traced arrays "
            "(inside jax.jit or jax.grad) do not have; read result.gap and result.n_iter."
        )
    return _solvers.solve(
        problem,
        x0,
        options,
        loops=loops,
        split_batches=all(_compat.is_concrete(a, xp) for a in (b, x0)) and _splits(xp),
        callback=callback,
        history=history,
        materialize=_materializer(xp),
    )


def _splits(xp: ModuleType) -> bool:
    """Whether taking columns out of a batch pays: not on Dask (unknown chunk sizes) nor
    on JAX (every new shape compiles anew)."""
    return _compat.backend_name(xp) not in ("dask", "jax")


def _traced_loops(xp: ModuleType, *arrays: Any) -> _solvers.Loops | None:
    """The backend's own loops when any input is traced (JAX inside jit or grad)."""
    if _compat.backend_name(xp) != "jax":
        return None
    if all(_compat.is_concrete(a, xp) for a in arrays if _compat.namespace_for(a) is xp):
        return None
    loops = _backends.native("solver_loops", xp)
    assert loops is None or isinstance(loops, _solvers.Loops)
    return loops


_PARAMETERS = """
    Parameters
    ----------
    A : array of shape (m, n), or LinearOperator
        The dictionary: a real or complex matrix of the same library as `b`, or an
        object with ``forward(x)`` (A @ x), ``adjoint(r)`` (A^H @ r) and ``shape``, so
        that FFT, convolution or wavelet dictionaries need no matrix.
    b : array of shape (m,) or (m, k)
        The signal, or k signals solved as independent problems at once.
    lambd : float or array
        The L1 weight, >= 0: a number, one value per column (shape (k,)), one weight
        per coefficient (shape (n, 1) or (n,) for 1-d `b`), or both (shape (n, k)).
    x0 : array, optional
        A warm start, of the shape of x: (n,) or (n, k). Zeros by default.
    max_iter : int, default: 1000
        The most iterations to run.
    tol : float, default: 1e-6
        Stop when the relative duality gap (P(x) - D(theta)) / P(x) is at most `tol`
        in every column. It bounds the relative suboptimality of `x`.
    check_every : int, default: 10
        Iterations between gap checks (a check costs one more adjoint product).
    lipschitz : float, optional
        A Lipschitz constant of the gradient, ||A||_2^2 + l2, for the fixed step
        1/lipschitz. By default the step is found by backtracking, per column, and
        allowed to grow again after each successful iteration.
    unroll : bool, default: False
        Run exactly `max_iter` iterations with the step 1/`lipschitz` (required),
        without gap checks or early stop, so that reverse-mode differentiation
        (``jax.grad``, torch autograd) can go through the solver; under JAX the
        iterations run in ``lax.fori_loop``. The gap is computed once, at the end.
    positive : bool, default: False
        Constrain x >= 0 (real problems only).
    l2 : float, default: 0
        An elastic-net term l2/2 ||x||^2 added to the objective.
    callback : callable, optional
        Called at each check point with the current LassoResult; returning True stops.
    history : bool, default: False
        Keep the objective and the gap at each check point in ``result.history``.
    xp : array namespace, optional
        The namespace of `b`; inferred when omitted.

    Returns
    -------
    LassoResult
        ``x``, ``n_iter``, ``gap`` (relative, per column), ``converged`` (per column),
        ``objective`` (per column) and ``history``.
"""

_PROBLEM = r"""
    Minimizes, for each column of `b`,

    .. math:: \frac12 \|A x - b\|_2^2 + \frac{\ell_2}{2}\|x\|_2^2 + \sum_j \lambda_j |x_j|

    Conversions: scikit-learn's ``Lasso(alpha=lambd / n_samples)`` solves the same
    problem (it divides the quadratic term by n_samples); ``sparse_encode`` and
    ``SparseCoder`` with ``alpha=lambd`` take lambd itself; PyLops' ISTA drops the
    1/2, so its ``eps`` is 2 * lambd here.
"""


def fista(
    A: Any,
    b: Array,
    /,
    lambd: Any,
    *,
    x0: Array | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    check_every: int = 10,
    lipschitz: float | None = None,
    unroll: bool = False,
    restart: bool = True,
    positive: bool = False,
    l2: float = 0.0,
    callback: Callable[[LassoResult], Any] | None = None,
    history: bool = False,
    xp: ModuleType | None = None,
) -> LassoResult:
    return _solve(
        "fista",
        A,
        b,
        lambd,
        accelerate=True,
        restart=restart,
        x0=x0,
        max_iter=max_iter,
        tol=tol,
        check_every=check_every,
        lipschitz=lipschitz,
        unroll=unroll,
        positive=positive,
        l2=l2,
        callback=callback,
        history=history,
        xp=xp,
    )


fista.__doc__ = (
    "Lasso by FISTA, with adaptive restart and backtracking, on any Array API backend.\n"
    + _PROBLEM
    + _PARAMETERS.replace(
        "    positive : bool",
        "    restart : bool, default: True\n        Adaptive gradient restart "
        "(O'Donoghue and Candes): reset the momentum\n        of a column when its step "
        "goes against it.\n    positive : bool",
    )
    + """
    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import fista, lambda_max
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 100))
    >>> b = A[:, :3] @ np.asarray([1.0, -2.0, 3.0])
    >>> result = fista(A, b, 0.1 * float(lambda_max(A, b)))
    >>> bool(result.converged), np.flatnonzero(np.abs(result.x) > 0.1).tolist()
    (True, [0, 1, 2])
    """
)


def ista(
    A: Any,
    b: Array,
    /,
    lambd: Any,
    *,
    x0: Array | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    check_every: int = 10,
    lipschitz: float | None = None,
    unroll: bool = False,
    positive: bool = False,
    l2: float = 0.0,
    callback: Callable[[LassoResult], Any] | None = None,
    history: bool = False,
    xp: ModuleType | None = None,
) -> LassoResult:
    return _solve(
        "ista",
        A,
        b,
        lambd,
        accelerate=False,
        restart=False,
        x0=x0,
        max_iter=max_iter,
        tol=tol,
        check_every=check_every,
        lipschitz=lipschitz,
        unroll=unroll,
        positive=positive,
        l2=l2,
        callback=callback,
        history=history,
        xp=xp,
    )


ista.__doc__ = (
    "Lasso by ISTA (proximal gradient) with backtracking, on any Array API backend.\n"
    + _PROBLEM
    + _PARAMETERS
    + "\n    See Also\n    --------\n    fista : the accelerated method, usually much faster.\n"
)


def lambda_max(A: Any, b: Array, /, *, xp: ModuleType | None = None) -> Array:
    """The smallest lambd for which x = 0 solves the Lasso: max_j |A^H b|_j, per column.

    Parameters
    ----------
    A : array of shape (m, n), or LinearOperator
    b : array of shape (m,) or (m, k)
    xp : array namespace, optional

    Returns
    -------
    array
        Of shape () for 1-d `b`, (k,) for 2-d `b`.
    """
    if xp is None:
        xp = _validation.namespace_of(b, None, "lambda_max")
    _validation.check_floating(b, xp, "lambda_max")
    return _solvers.lambda_max(_operator(A, b, xp, "lambda_max"), b, xp=xp)

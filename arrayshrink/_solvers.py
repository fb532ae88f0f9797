"""Public Lasso solvers: ISTA and FISTA on any Array API backend."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from arrayshrink import _backends
from arrayshrink._agnostic import _solvers
from arrayshrink._agnostic._result import LassoResult
from arrayshrink._lib import _compat, _validation

__all__ = ["ConvergenceWarning", "LassoResult", "LinearOperator", "fista", "ista", "lambda_max"]

Array = Any


class ConvergenceWarning(UserWarning):
    """A solve stopped before its certificate met ``tol``, or ``tol`` is below what the
    dtype can certify. The result is returned all the same: read ``result.converged``
    and ``result.gap`` to see which columns are not certified."""


@runtime_checkable
class LinearOperator(Protocol):
    """What a matrix-free dictionary provides: ``A`` in ``fista(A, b, ...)``.

    ``forward(x)`` computes A @ x and ``adjoint(r)`` computes A^H @ r, for x of shape
    (n,) or (n, k) and r of shape (m,) or (m, k); ``shape`` is (m, n). Both must
    return arrays of the library of ``b``, of shape (m,) or (m, k) and (n,) or (n, k):
    a product of another shape raises ValueError at its first call.
    """

    shape: tuple[int, int]

    def forward(self, x: Array) -> Array: ...

    def adjoint(self, r: Array) -> Array: ...


# Pairs of (A's library, b's library) accepted together on purpose; every other mix of
# libraries among A, b, x0 and an array lambd raises TypeError.
_ALLOWED_MIXES: frozenset[tuple[str, str]] = frozenset()

# A certificate is computed to a few units of the dtype's rounding: a tolerance below
# this many epsilons cannot be certified.
_TOL_FLOOR_EPS = 4


def _checked_namespace(func: str, given: Any, inferred: ModuleType) -> ModuleType:
    """The namespace of the data; an ``xp`` argument must name the same library."""
    if given is not None and (
        not isinstance(given, ModuleType)
        or _compat.backend_name(given) != _compat.backend_name(inferred)
    ):
        raise TypeError(
            f"{func}(): xp={given!r} is not the namespace of b, which is "
            f"{_validation.library_name(inferred)}; omit xp to infer it."
        )
    return inferred


def _namespace(func: str, b: Any, A: Any, x0: Any, lambd: Any) -> ModuleType:
    """The namespace of b, after checking that A, x0 and an array lambd share it (a
    Python or NumPy number lambd is not an array)."""
    xp = _validation.namespace_of(b, None, func, name="b")
    for name, value in (("A", A), ("x0", x0), ("lambd", lambd)):
        other = _validation.namespace_or_none(value)
        if other is None or other is xp:
            continue
        if (
            name == "A"
            and (_compat.backend_name(other), _compat.backend_name(xp)) in _ALLOWED_MIXES
        ):
            continue
        _validation.check_same_library(value, other, xp, func, name, "b")
    return xp


def _read(compute: Callable[[], Array], a: Array, xp: ModuleType) -> Array | None:
    """``compute()`` from array ``a`` where its result can be read now, else None: not
    for lazy or traced ``a``, nor inside a jax.jit trace, where even a concrete array
    closed over by the traced function gives traced results."""
    if not _compat.is_concrete(a, xp):
        return None
    value = compute()
    return value if _compat.is_concrete(value, xp) else None


def _finite(func: str, name: str, a: Array, xp: ModuleType) -> None:
    """Non-finite data that can be read now raises; lazily it gives a NaN result."""
    finite = _read(lambda: xp.isfinite(a), a, xp)
    if finite is not None and not bool(xp.all(finite)):
        count = int(xp.sum(xp.astype(~finite, xp.int64)))
        raise ValueError(
            f"{func}(): {name} must be finite; it holds {count} NaN or infinite "
            f"value{'s' if count > 1 else ''}. Remove or impute them first."
        )


def _checked_product(
    func: str,
    method: str,
    product: Callable[[Array], Array],
    shape: tuple[int, int],
    xp: ModuleType,
) -> Callable[[Array], Array]:
    """A user's forward/adjoint, checked at every call for the shape it must return."""
    rows = shape[0] if method == "forward" else shape[1]

    def call(v: Array) -> Array:
        out = product(v)
        expected = (rows, *tuple(v.shape[1:]))
        if _compat.namespace_for(out) is not xp:
            raise TypeError(
                f"{func}(): A.{method} must return an array of the library of b; got "
                f"{type(out).__name__}."
            )
        _validation.check_floating(out, xp, func, name=f"the output of A.{method}")
        if xp.isdtype(out.dtype, "complex floating") and not xp.isdtype(
            v.dtype, "complex floating"
        ):
            raise TypeError(
                f"{func}(): A.{method} returned {out.dtype} for real input; a complex "
                "operator needs complex b (or x0), e.g. b + 0j."
            )
        if tuple(out.shape) != expected:
            raise ValueError(
                f"{func}(): A.{method} returned shape {tuple(out.shape)} for an input of "
                f"shape {tuple(v.shape)}; expected {expected}, as A.shape is {shape}."
            )
        return out

    return call


def _operator(A: Any, b: Array, xp: ModuleType, func: str) -> tuple[_solvers.Operator, Array]:
    """Wrap a matrix or a LinearOperator as forward/adjoint products; also returns b,
    promoted to the common dtype of A and b as NumPy would."""
    if _compat.namespace_for(A) is not None:
        if A.ndim != 2:
            raise ValueError(f"{func}(): A must be a 2-d array; got shape {tuple(A.shape)}.")
        _validation.check_floating(A, xp, func, name="A")
        _check_shape(func, tuple(A.shape), b, "A")
        dtype = xp.result_type(A.dtype, b.dtype)
        A = A if A.dtype == dtype else xp.astype(A, dtype)
        b = b if b.dtype == dtype else xp.astype(b, dtype)
        complex_A = xp.isdtype(A.dtype, "complex floating")
        A_conj = xp.conj(A) if complex_A else A
        if b.ndim == 1:
            # A^H r as the row-vector product r @ conj(A): under jax.jit it runs many
            # times faster than the product with the transposed matrix.
            return _solvers.Operator(lambda x: A @ x, lambda r: r @ A_conj, tuple(A.shape)), b
        # For a batch, A^H @ r itself: (r^T @ conj(A))^T would hand a transposed,
        # non-contiguous array to every elementwise operation after it.
        A_adjoint = xp.matrix_transpose(A_conj)
        return _solvers.Operator(lambda x: A @ x, lambda r: A_adjoint @ r, tuple(A.shape)), b
    if isinstance(A, LinearOperator):
        shape = _operator_shape(func, A.shape)
        _check_shape(func, shape, b, "the operator A")
        forward = _checked_product(func, "forward", A.forward, shape, xp)
        adjoint = _checked_product(func, "adjoint", A.adjoint, shape, xp)
        return _solvers.Operator(forward, adjoint, shape), b
    raise TypeError(
        f"{func}(): A must be a 2-d array or an object with forward(x), adjoint(r) and "
        f"shape; got {type(A).__name__}."
    )


def _operator_shape(func: str, shape: Any) -> tuple[int, int]:
    """A LinearOperator's shape: two non-negative integers (m, n)."""
    if (
        not isinstance(shape, tuple | list)
        or len(shape) != 2
        or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in shape)
        or min(shape) < 0
    ):
        raise TypeError(
            f"{func}(): A.shape must be a pair of non-negative integers (m, n); got {shape!r}."
        )
    return int(shape[0]), int(shape[1])


def _check_shape(func: str, shape: tuple[int, int], b: Array, what: str) -> None:
    if shape[1] < 1:
        raise ValueError(
            f"{func}(): A must have at least one column (one coefficient); {what} has "
            f"shape {shape}."
        )
    if shape[0] != b.shape[0]:
        raise ValueError(
            f"{func}(): {what} of shape {shape} and b of shape {tuple(b.shape)} do not "
            "match: A must have as many rows as b."
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
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (number >= minimum and math.isfinite(number)):
        raise ValueError(f"{func}(): {name} must be a finite number >= {minimum}; got {value!r}.")


def _check_flag(func: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{func}(): {name} must be True or False; got {value!r}.")


def _threshold(lambd: Any, x_shape: tuple[int, ...], real: Any, xp: ModuleType, func: str) -> Any:
    """lambd as a float, or an array of dtype ``real`` that broadcasts to x's shape (a
    per-column (k,) array becomes (1, k)); entries that cannot be checked now and are
    invalid become NaN, which makes the solve NaN and not converged."""
    value, invalid = _validation.check_threshold(
        lambd, func, xp=xp, dtype=real, name="lambd", data_name="b"
    )
    if isinstance(value, float):
        return value
    if not _validation.broadcasts_to(tuple(value.shape), x_shape):
        hint = (
            f"for 1-d b, a number or one weight per coefficient, shape ({x_shape[0]},)"
            if len(x_shape) == 1
            else f"one value per column ({x_shape[1]},), per coefficient ({x_shape[0]}, 1), "
            f"or both {x_shape}"
        )
        raise ValueError(
            f"{func}(): lambd of shape {tuple(value.shape)} does not fit x of shape "
            f"{x_shape}: give {hint}."
        )
    value = xp.astype(value, real, copy=False)
    if invalid is not None:
        value = xp.where(invalid, xp.full_like(value, math.nan), value)
    # One value per column, (k,), becomes (1, k): the solver takes columns of lambd.
    missing = len(x_shape) - value.ndim
    return xp.reshape(value, (1,) * missing + tuple(value.shape))


def _free_coefficients(lambd: Any, l2: float, xp: ModuleType) -> bool | None:
    """Whether some coefficients are unpenalised with l2 = 0 (None: cannot be read)."""
    if l2 > 0:
        return False
    if isinstance(lambd, float):
        return lambd == 0
    any_free = _read(lambda: xp.any(lambd == 0), lambd, xp)
    return None if any_free is None else bool(any_free)


def _free_basis(A: Any, threshold: Any, dtype: Any, xp: ModuleType) -> Array | None:
    """An orthonormal basis of the span of the unpenalised columns of a matrix ``A``, for
    a true duality gap with unpenalised coefficients; None where there is no matrix, the
    pattern differs between columns of a batch, or the values cannot be read."""
    if _compat.namespace_for(A) is not xp or not _compat.is_concrete(A, xp):
        return None
    if isinstance(threshold, float):
        free = xp.arange(A.shape[1], device=_compat.device(A))
    else:
        if threshold.ndim == 2 and threshold.shape[-1] != 1:
            return None  # one pattern per column of the batch
        weights = xp.reshape(threshold, (-1,))
        if weights.shape[0] == 1:
            free = xp.arange(A.shape[1], device=_compat.device(A))
        else:
            mask = _read(lambda: weights == 0, weights, xp)
            if mask is None:
                return None
            free = xp.nonzero(mask)[0]
    if not _compat.is_concrete(free, xp) or not hasattr(xp, "linalg"):
        return None
    columns = xp.take(xp.astype(A, dtype, copy=False), free, axis=1)
    return xp.linalg.qr(columns)[0]


def _stop_gradient(xp: ModuleType) -> Callable[[Array], Array]:
    """The backend's way to treat a value as a constant under differentiation."""
    backend = _compat.backend_name(xp)
    if backend == "jax":
        import jax

        return jax.lax.stop_gradient  # type: ignore[no-any-return]
    if backend == "torch":
        return lambda tensor: tensor.detach()
    return lambda a: a


def _accumulation_dtype(xp: ModuleType, real: Any, device: Any) -> Any:
    """float64 where the backend computes in it, for the certificate; else ``real``."""
    backend = _compat.backend_name(xp)
    if backend == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return real
    if backend == "torch" and getattr(device, "type", None) == "mps":
        return real
    return xp.float64


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
    verbose: bool,
    xp: ModuleType | None,
) -> LassoResult:
    flags = {"restart": restart, "unroll": unroll, "positive": positive}
    for name, flag in {**flags, "history": history, "verbose": verbose}.items():
        _check_flag(func, name, flag)
    _check_number(func, "max_iter", max_iter, minimum=1, integer=True)
    _check_number(func, "check_every", check_every, minimum=1, integer=True)
    _check_number(func, "tol", tol, minimum=0.0, integer=False)
    _check_number(func, "l2", l2, minimum=0.0, integer=False)
    if lipschitz is not None:
        _check_number(func, "lipschitz", lipschitz, minimum=0.0, integer=False)
        if lipschitz == 0:
            raise ValueError(f"{func}(): lipschitz must be > 0; got 0.")
    if unroll and lipschitz is None:
        raise ValueError(
            f"{func}(): unroll=True needs lipschitz, the fixed step 1/lipschitz: "
            "backtracking decides on the values, which differentiation cannot follow."
        )
    if callback is not None and not callable(callback):
        raise TypeError(f"{func}(): callback must be callable; got {callback!r}.")
    if unroll and (callback is not None or history or verbose):
        raise ValueError(
            f"{func}(): callback, history and verbose act at check points, which "
            "unroll=True does not have (it runs max_iter iterations, then certifies once)."
        )
    xp = _checked_namespace(func, xp, _namespace(func, b, A, x0, lambd))
    _validation.check_floating(b, xp, func, name="b")
    if b.ndim not in (1, 2):
        raise ValueError(f"{func}(): b must have shape (m,) or (m, k); got {tuple(b.shape)}.")
    if x0 is not None:
        _validation.check_floating(x0, xp, func, name="x0")
        if x0.dtype != b.dtype:  # A, b and x0 promote together, as in NumPy
            b = xp.astype(b, xp.result_type(x0.dtype, b.dtype), copy=False)
    op, b = _operator(A, b, xp, func)
    dtype = b.dtype
    if positive and xp.isdtype(dtype, "complex floating"):
        raise ValueError(f"{func}(): positive=True needs real A, b and x0.")
    x_shape = (op.shape[1], *b.shape[1:])
    if x0 is None:
        x0 = xp.zeros(x_shape, dtype=dtype, device=_compat.device(b))
    else:
        if tuple(x0.shape) != x_shape:
            raise ValueError(f"{func}(): x0 must have shape {x_shape}; got {tuple(x0.shape)}.")
        x0 = xp.astype(x0, dtype, copy=False)
    for name, value in (("b", b), ("A", A), ("x0", x0)):
        if _compat.namespace_for(value) is xp:
            _finite(func, name, value, xp)
    real = _validation.real_dtype(dtype, xp)
    threshold = _threshold(lambd, x_shape, real, xp, func)
    eps = float(xp.finfo(real).eps)
    _warn_unreachable_tol(func, tol, eps, real, unroll)
    free = _free_coefficients(threshold, l2, xp)
    problem = _solvers.Problem(
        op,
        b,
        threshold,
        float(l2),
        positive,
        xp,
        negligible=(64 * eps) ** 2,
        real=real,
        wide=_accumulation_dtype(xp, real, _compat.device(b)),
        free=free,
        constant=_stop_gradient(xp),
        free_basis=_free_basis(A, threshold, dtype, xp) if free else None,
    )
    options = _solvers.Options(
        max_iter, float(tol), check_every, lipschitz, accelerate, restart, unroll
    )
    loops = _traced_loops(xp, A, b, lambd, x0)
    if loops is not None and (callback is not None or history or verbose):
        raise ValueError(
            f"{func}(): callback, history and verbose need concrete values, which traced "
            "arrays (inside jax.jit or jax.grad) do not have; read result.gap, "
            "result.converged and result.n_iter."
        )
    result = _solvers.solve(
        problem,
        x0,
        options,
        loops=loops,
        split_batches=all(_compat.is_concrete(a, xp) for a in (b, x0)) and _splits(xp),
        callback=callback,
        monitor=_printer(func, xp) if verbose else None,
        history=history,
        materialize=_materializer(xp),
    )
    if not unroll:
        _warn_unconverged(func, result, tol, max_iter, xp)
    return result


def _warn_unreachable_tol(func: str, tol: float, eps: float, real: Any, unroll: bool) -> None:
    """tol = 0 asks for max_iter iterations on purpose; a tiny positive tol is a mistake."""
    floor = _TOL_FLOOR_EPS * eps
    if 0 < tol < floor and not unroll:
        name = str(real).rsplit(".", 1)[-1]
        hint = "" if name == "float64" else " Solve in float64 for a tighter certificate."
        warnings.warn(
            f"{func}(): tol={tol:g} is below what {name} can certify: the smallest "
            f"attainable relative gap is about {floor:.2g} ({_TOL_FLOOR_EPS} eps of "
            f"{name}).{hint}",
            ConvergenceWarning,
            stacklevel=4,
        )


def _warn_unconverged(
    func: str, result: LassoResult, tol: float, max_iter: int, xp: ModuleType
) -> None:
    """The ConvergenceWarning of a solve whose verdict can be read (not traced, not lazy)."""
    converged = result.converged
    if not _compat.is_concrete(converged, xp) or bool(xp.all(converged)):
        return
    non_finite = ~converged & xp.isnan(result.gap)
    # Columns a callback stopped early are the user's decision, not a failure.
    failed = (~converged & (result.n_iter >= max_iter)) | non_finite
    if not bool(xp.any(failed)):
        return
    count = int(xp.sum(xp.astype(failed, xp.int64)))
    broken = int(xp.sum(xp.astype(non_finite, xp.int64)))
    gaps = xp.where(failed & ~non_finite, result.gap, xp.zeros_like(result.gap))
    what = f"{count} of {_compat.size(converged)} columns" if converged.ndim else "the solve"
    message = f"{func}(): {what} did not converge"
    if count > broken:
        message += (
            f" in {max_iter} iterations (worst relative gap {float(xp.max(gaps)):.3g}, tol={tol:g})"
        )
    if broken:
        message += (
            f"{';' if count > broken else ':'} {broken} stopped on a non-finite objective "
            "or certificate (NaN or inf in the data or in the operator's products, "
            "overflow or underflow from data scaled near the limits of the dtype, or a "
            "diverging step such as a too-small lipschitz)"
        )
    warnings.warn(
        message + ". Read result.converged and result.gap; raise max_iter or tol to go on.",
        ConvergenceWarning,
        stacklevel=4,
    )


def _printer(func: str, xp: ModuleType) -> _solvers.Monitor:
    """verbose=True: one line per check point."""

    def monitor(n_iter: int, check: Any) -> None:
        if not _compat.size(check.converged):
            return  # an empty batch
        left = int(xp.sum(xp.astype(~check.converged, xp.int64)))
        total = _compat.size(check.converged)
        print(
            f"{func}: iteration {n_iter:>6}  not converged {left:>4}/{total}  worst gap "
            f"{float(xp.max(check.gap)):.3e}  objective {float(xp.sum(check.objective)):.6e}"
        )

    return monitor


def _splits(xp: ModuleType) -> bool:
    """Whether taking columns out of a batch pays: not on Dask (unknown chunk sizes) nor
    on JAX (every new shape compiles anew)."""
    return _compat.backend_name(xp) not in ("dask", "jax")


def _traced_loops(xp: ModuleType, *arrays: Any) -> _solvers.Loops | None:
    """The backend's own loops when any input is traced (JAX inside jit or grad), or
    when the solve runs inside a trace on concrete arrays (closed over by a jitted
    function), where every result is traced all the same."""
    if _compat.backend_name(xp) != "jax":
        return None
    concrete = all(_compat.is_concrete(a, xp) for a in arrays if _compat.namespace_for(a) is xp)
    if concrete and _compat.is_concrete(xp.zeros(()), xp):
        return None
    return _backends.solver_loops(_backends.profile(xp))


_PARAMETERS = """
    Parameters
    ----------
    A : array of shape (m, n), or LinearOperator
        The dictionary: a real or complex floating matrix of the same library as `b`
        (mixed float dtypes promote as in NumPy), or an object with ``forward(x)``
        (A @ x), ``adjoint(r)`` (A^H @ r) and ``shape``, so that FFT, convolution or
        wavelet dictionaries need no matrix. At least one column.
    b : array of shape (m,) or (m, k)
        The signal, or k signals solved as independent problems at once.
    lambd : float or array
        The L1 weight, finite and >= 0: a number, one value per column (shape (k,)),
        one weight per coefficient (shape (n, 1), or (n,) for 1-d `b`), or both (shape
        (n, k)); a zero weight leaves its coefficient unpenalised (an intercept column,
        least squares, ridge with `l2`).
    x0 : array, optional
        A warm start, of the shape of x: (n,) or (n, k). Zeros by default.
    max_iter : int, default: 1000
        The most iterations to run.
    tol : float, default: 1e-6
        Stop a column when its certificate ``gap`` is at most `tol`: the relative
        duality gap (P(x) - D) / P(x), which bounds the relative suboptimality of `x`
        (or, absolutely, P(x) - D <= tol * ||b||^2 / 2, so that exact fits stop). A
        `tol` below 4 eps of the dtype (4.8e-7 in float32) cannot be certified and warns.
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
        iterations run in ``lax.fori_loop``. The gap is computed once, at the end,
        and no ConvergenceWarning is given. Without `unroll`, ``jax.grad`` (reverse
        mode) through a solve fails with JAX's own error about ``while_loop`` after the
        solve; forward mode (``jax.jvp``, ``jax.jacfwd``) works without it.
    positive : bool, default: False
        Constrain x >= 0 (real problems only).
    l2 : float, default: 0
        An elastic-net term l2/2 ||x||^2 added to the objective.
    callback : callable, optional
        Called at each check point with the current LassoResult; returning True stops.
    history : bool, default: False
        Keep the objective and the gap at each check point in ``result.history``.
    verbose : bool, default: False
        Print, at each check point, the iteration, how many columns have not
        converged, the worst gap and the objective (summed over columns).
    xp : array namespace, optional
        The namespace of `b`; inferred when omitted.

    Returns
    -------
    LassoResult
        ``x``, ``gap`` (relative, per column), ``objective``, ``converged`` and
        ``n_iter`` (per column), and ``history``: arrays of the library of `b`.

    Raises
    ------
    TypeError
        If `A`, `b`, `x0` or an array `lambd` is not an array of a floating dtype, if
        they come from different libraries, or if a flag is not a bool.
    ValueError
        If shapes do not match, if `lambd` is negative, NaN or infinite, or if `A`,
        `b` or `x0` hold NaN or inf (where their values can be read: inside
        ``jax.jit`` or on Dask the result is NaN and not converged instead).

    Warns
    -----
    ConvergenceWarning
        If a column stops at `max_iter` without converging (the message says how many
        columns and the worst gap), or if `tol` cannot be certified in the dtype.
        Not inside ``jax.jit``, on Dask or with `unroll`: read ``result.converged``.
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
    verbose: bool = False,
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
        verbose=verbose,
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
    verbose: bool = False,
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
        verbose=verbose,
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
    xp = _checked_namespace("lambda_max", xp, _namespace("lambda_max", b, A, None, None))
    _validation.check_floating(b, xp, "lambda_max", name="b")
    if b.ndim not in (1, 2):
        raise ValueError(f"lambda_max(): b must have shape (m,) or (m, k); got {tuple(b.shape)}.")
    op, b = _operator(A, b, xp, "lambda_max")
    for name, value in (("b", b), ("A", A)):
        if _compat.namespace_for(value) is xp:
            _finite("lambda_max", name, value, xp)
    return _solvers.lambda_max(op, b, xp=xp)

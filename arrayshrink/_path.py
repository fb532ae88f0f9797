"""lasso_path: the Lasso solved along a decreasing grid of thresholds, warm-started.

The public layer of the path: its own arguments are checked here once (the grid, the
weights, the flags), A and b once through the solvers' checks, then each threshold of
the grid is solved by the public solver warm-started from the previous solution. A
Python loop on eager arrays and on Dask (where each solve adds one task per chunk of
columns to a lazy chain); the backend's traced loop under ``jax.jit``, so that the
solver is compiled twice (the first threshold, then the loop body), not once per
threshold.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple

from arrayshrink import _backends, _problem, _sparse
from arrayshrink._agnostic._homotopy import homotopy
from arrayshrink._agnostic._penalties import lambda_max_of
from arrayshrink._agnostic._result import LassoResult
from arrayshrink._lib import _compat, _validation
from arrayshrink._lib._typing import Array, ArrayT, Namespace
from arrayshrink._solvers import ConvergenceWarning, fista, ista, lambda_max

__all__ = ["LassoPath", "lasso_path"]

_FUNC = "lasso_path"

# The per-threshold fields of a solve, in the order of LassoPath after `lambdas`.
_FIELDS = ("x", "gap", "objective", "converged", "n_iter")

# At most this many thresholds are listed by value in a warning.
_LISTED = 5

# The homotopy stops after this many events per row or column of A (the smaller), plus
# the floor: a path rarely has more than about twice its largest support's events.
_HOMOTOPY_EVENTS = 4
_HOMOTOPY_EVENTS_FLOOR = 100
# A batch of at most this many signals starts each point from its columns' homotopies
# (one per column, in Python: more columns are cheaper in the batched solve alone).
_HOMOTOPY_COLUMNS = 8


class LassoPath(NamedTuple, Generic[ArrayT]):
    """The solutions of a Lasso regularization path and their certificates.

    Every field is an array of the library of `b`, on its device; the last axis runs
    along the path (L thresholds, from the largest). "Per threshold" means of shape
    (L,) for 1-d `b` (and for ``multitask=True``) and (k, L) for a batch of k columns.

    Attributes
    ----------
    lambdas : array
        The thresholds, strictly decreasing: (L,) for 1-d `b`, for ``multitask=True``
        and for thresholds given by the caller (shared by every column of a batch);
        (k, L) for a batch whose grid is computed, each column from its own λ_max.
    x : array
        The solutions: (n, L) for 1-d `b`, (n, k, L) for a batch; ``x[..., i]``
        solves the problem at ``lambdas[..., i]``.
    gap : array
        Per threshold, the relative certificate of that solution (see
        :class:`LassoResult`).
    objective : array
        Per threshold, the objective at that solution, with the threshold of that
        point (times `weights`).
    converged : array
        Per threshold (boolean): the certificate met ``tol``.
    n_iter : array
        Per threshold (integer): the iterations of that solve from its starting point
        (0 where the homotopy's solution met ``tol``; see :func:`lasso_path`).
    """

    lambdas: ArrayT
    x: ArrayT
    gap: ArrayT
    objective: ArrayT
    converged: ArrayT
    n_iter: ArrayT

    def __repr__(self) -> str:
        """Shapes and the verdict, never the arrays themselves."""
        parts = [f"{name}: {_describe(getattr(self, name))}" for name in ("lambdas", "x")]
        converged: Any = self.converged
        gap: Any = self.gap
        xp = _compat.namespace_for(converged)
        if xp is not None and _compat.is_concrete(converged) and _compat.is_concrete(gap):
            done = int(xp.sum(xp.astype(converged, xp.int32)))
            parts.append(f"converged: {done} of {_compat.size(converged)}")
            if _compat.size(gap):
                gap = gap.detach() if hasattr(gap, "detach") else gap
                parts.append(f"worst gap: {float(xp.max(gap)):.3g}")
        return f"LassoPath({', '.join(parts)})"


def _describe(a: Any) -> str:
    dtype = str(getattr(a, "dtype", "")).rsplit(".", 1)[-1]
    return f"{dtype} array of shape {tuple(a.shape)}"


def lasso_path(
    A: Any,
    b: ArrayT,
    /,
    lambdas: Any = None,
    *,
    n_lambdas: int = 100,
    eps: float = 1e-3,
    weights: Any = None,
    positive: bool = False,
    l2: float = 0.0,
    groups: Any = None,
    group_weights: Any = None,
    multitask: bool = False,
    x0: Any = None,
    tol: float = 1e-6,
    max_iter: int = 1000,
    check_every: int = 10,
    lipschitz: float | None = None,
    restart: bool = True,
    solver: str = "fista",
    xp: Namespace | None = None,
) -> LassoPath[ArrayT]:
    """The Lasso along a decreasing grid of thresholds, each solve warm-started.

    Solves, for each threshold λ of the path, ::

        minimize ½‖A x - b‖² + (l2/2)‖x‖² + λ Σⱼ wⱼ |xⱼ|

    (or the group or multi-task penalty times λ), from λ_max, the smallest threshold
    whose solution is 0, down to ``eps * λ_max`` on a geometric grid of `n_lambdas`
    values, or along the given `lambdas`.

    For one real signal `b` of an eager backend and `A` a matrix of its library and
    dtype (with the L1 penalty, weighted with all weights > 0, `positive` or not,
    `l2` or not), the exact path is followed from λ_max downwards (the Lasso
    homotopy, LARS with the Lasso modification): the solution is piecewise linear in
    λ, and each event where a coefficient joins or leaves the support costs one
    product with Aᵀ on the features the sequential strong rule keeps (all of them are
    checked at every threshold). Each threshold's solve starts from the homotopy's
    solution there and certifies it before any iteration: where it meets `tol`, that
    point costs one certificate. Elsewhere, and past a point where the homotopy stops
    (a numerically singular support, or more than 4·min(m, n) + 100 events), each
    solve starts from the solution at the previous threshold, so the path costs a few
    single solves, not L of them.

    Parameters
    ----------
    A : array of shape (m, n), or LinearOperator
        The dictionary, as for :func:`fista`.
    b : array of shape (m,) or (m, k)
        One signal, or k signals each with its own path (or, with ``multitask=True``,
        k tasks sharing one path).
    lambdas : sequence of numbers or 1-d array, optional
        The thresholds, strictly decreasing and positive; shared by every column of a
        batch. An array must be of the library of `b`. Default: the geometric grid
        from λ_max (``lambda_max(A, b, ...)``, per column of a batch) down to
        ``eps * λ_max``.
    n_lambdas : int, default 100
        The length of the computed grid (ignored when `lambdas` is given).
    eps : float, default 1e-3
        The ratio of the smallest to the largest threshold of the computed grid, in
        (0, 1) (ignored when `lambdas` is given).
    weights : array of shape (n,) or (n, 1), or sequence, optional
        Per-coefficient weights wⱼ ≥ 0 (at least one > 0): the solve at λ takes
        ``lambd = λ * weights``, and λ_max is max over wⱼ > 0 of \\|Aᴴ r\\|ⱼ / wⱼ
        with r = b. Coefficients with wⱼ = 0 are free (never penalised): the path
        then starts where only they are nonzero, at their fit alone (least squares,
        as :func:`lambda_max` takes it; ridge with `l2`, non-negative with
        `positive`, which then also starts the first solve), and r is its residual.
        That fit needs `A` as a matrix and weights whose values can be read (a
        sequence, or an eager array); with a LinearOperator give `lambdas`. Traced
        or lazy weights are taken as having no zeros for λ_max.
    positive, l2 : bool, float
        x ≥ 0, and the elastic-net term, as for :func:`fista`. With ``positive``,
        λ_max is the largest positive correlation (Aᴴb)ⱼ / wⱼ.
    groups, group_weights, multitask
        The group Lasso and the multi-task Lasso, as for :func:`fista`; λ_max comes
        from :func:`lambda_max` with the same options. With ``multitask=True`` the
        path is one for the whole `b`: `lambdas` and the per-threshold fields have
        shape (L,).
    x0 : array, optional
        The starting point of the first solve (default 0, or the homotopy's solution
        there).
    tol, max_iter, check_every, lipschitz : optional
        As for :func:`fista`, for each solve of the path.
    restart : bool, default True
        FISTA's adaptive restart (``solver="fista"`` only).
    solver : {"fista", "ista"}, default "fista"
        The solver of each threshold.
    xp : array namespace, optional
        The namespace of `b`, as for :func:`fista`.

    Returns
    -------
    LassoPath
        ``(lambdas, x, gap, objective, converged, n_iter)``: the thresholds, the
        solutions stacked along the last axis, and per threshold the certificate,
        the objective, the verdict and the iterations.

    Raises
    ------
    TypeError
        An argument of the wrong type (`lambdas` or `weights` of another library
        than `b`, a non-integer `n_lambdas`, an unknown `solver`), and unknown
        keyword arguments: ``callback``, ``history``, ``verbose`` and ``unroll`` of
        the solvers are not taken (a path has no single sequence of check points).
    ValueError
        `lambdas` not 1-d, empty, not finite, not positive or not strictly
        decreasing; `n_lambdas` < 1; `eps` outside (0, 1); `weights` of the wrong
        shape, negative, not finite or all zero; and every error of :func:`fista`.

    Warns
    -----
    ConvergenceWarning
        Once, naming the thresholds whose solve ended at `max_iter` without meeting
        `tol` (where the verdict can be read: not under ``jax.jit`` nor on Dask,
        whose result carries it in `converged`).

    Notes
    -----
    The first computed threshold equals λ_max exactly, so its solution is 0 (or the
    fit of the free coefficients). On Dask, a batch chunked along its columns (with
    `A` in one chunk) gives lazy fields in which each chunk of columns is one chain of
    L tasks, one per threshold, each warm-started from the previous: computing them
    together (``dask.compute(*path)``) solves each chunk's path once. A 1-d Dask `b`
    computes at the check points of each solve, as :func:`fista` does. Under
    ``jax.jit`` the path runs in the backend's loop: the solver is compiled twice,
    whatever L. scikit-learn's ``lasso_path(A, b, alphas=lambdas / m)`` solves the
    same problems (it returns ``alphas`` in increasing order of position, decreasing
    values, and coefficients of shape (n, L) too).

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import lasso_path
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((30, 60))
    >>> b = A[:, :3] @ np.asarray([1.0, -2.0, 3.0])
    >>> path = lasso_path(A, b, n_lambdas=10, eps=1e-2)
    >>> path.lambdas.shape, path.x.shape
    ((10,), (60, 10))
    >>> bool(np.all(path.x[:, 0] == 0)), bool(np.all(path.converged))
    (True, True)
    >>> [int(np.count_nonzero(path.x[:, i])) for i in (0, 4, 9)]
    [0, 3, 3]
    """
    solve = _solver(solver, restart)
    _check_grid(n_lambdas, eps)
    for name, flag in (("positive", positive), ("multitask", multitask)):
        _problem.check_flag(_FUNC, name, flag)
    structured = _given(groups=groups, group_weights=group_weights, multitask=multitask)
    options = _solve_options(x0, tol, max_iter, check_every, lipschitz, positive, l2, structured)
    data: Any = b  # the checks accept anything (the type variable is unbound)
    xp = _problem.checked_namespace(_FUNC, xp, _problem.namespace(_FUNC, data, A, x0, None))
    _check_data(A, data, xp)
    real = _validation.real_dtype(data.dtype, xp)
    n = int(A.shape[1])
    w, free = (None, []) if weights is None else _weights(weights, n, real, b, xp, structured)
    if lambdas is None:
        top = None
        if free and _compat.namespace_for(A) is None and not _sparse.is_sparse(A):
            raise ValueError(
                f"{_FUNC}(): zero weights (free coefficients) need A as a matrix to find "
                "where the path starts; with a LinearOperator, give lambdas."
            )
        # A ridge or NNLS fit, or weights lambda_max cannot read (lazy): fitted here.
        if free and (l2 or positive or not _readable(w)):
            start, residual = _free_fit(A, data, free, l2, positive, options, xp)
            options["x0"] = start if x0 is None else x0
            top = _top_after(A, residual, w, positive, xp)
        if top is None:
            top = _lambda_max(A, data, w, positive, structured, xp)
        grid = _geometric(top, n_lambdas, eps, real, xp)
    else:
        grid = _given_lambdas(lambdas, real, b, xp)
    thresholds = _thresholds(grid, w, data.ndim == 2 and not multitask, xp)
    return _run(solve, A, b, grid, thresholds, options, xp, w)


# --- the arguments ----------------------------------------------------------------------


def _solver(name: Any, restart: Any) -> Callable[..., LassoResult[Any]]:
    """The public solver of each threshold, with `restart` bound for FISTA."""
    _problem.check_flag(_FUNC, "restart", restart)
    if name == "fista":
        return lambda A, b, lambd, **o: fista(A, b, lambd, restart=restart, **o)
    if name == "ista":
        if not restart:
            raise ValueError(f"{_FUNC}(): restart applies to solver='fista' only.")
        return ista
    raise ValueError(f"{_FUNC}(): solver must be 'fista' or 'ista'; got {name!r}.")


def _check_grid(n_lambdas: Any, eps: Any) -> None:
    _problem.check_number(_FUNC, "n_lambdas", n_lambdas, minimum=1, integer=True)
    _problem.check_number(_FUNC, "eps", eps, minimum=0.0, integer=False)
    if not 0 < float(eps) < 1:
        raise ValueError(f"{_FUNC}(): eps must be in (0, 1); got {eps!r}.")


def _given(groups: Any, group_weights: Any, multitask: bool) -> dict[str, Any]:
    """The structured options the caller gave (not at their defaults): only those are
    passed on, so that the path runs with solvers that do not take the others."""
    given = {"groups": groups, "group_weights": group_weights}
    options = {name: value for name, value in given.items() if value is not None}
    if multitask:
        options["multitask"] = True
    return options


def _solve_options(
    x0: Any,
    tol: Any,
    max_iter: Any,
    check_every: Any,
    lipschitz: Any,
    positive: bool,
    l2: Any,
    structured: dict[str, Any],
) -> dict[str, Any]:
    """The keyword arguments of every solve of the path (the solver checks them; the
    first solve raises on an invalid one, before any work)."""
    options = {"tol": tol, "max_iter": max_iter, "check_every": check_every, "x0": x0}
    options.update(lipschitz=lipschitz, l2=l2, **structured)
    if positive:
        options["positive"] = True
    return options


def _check_data(A: Any, b: Any, xp: Namespace) -> None:
    """b and A as the solvers check them, once, with this function's name."""
    _validation.check_floating(b, xp, _FUNC, name="b")
    if b.ndim not in (1, 2):
        raise ValueError(f"{_FUNC}(): b must have shape (m,) or (m, k); got {tuple(b.shape)}.")
    _validation.check_known_shape(_FUNC, "b", b)
    _problem.operator(A, b, xp, _FUNC)
    for name, value in (("b", b), ("A", A)):
        if _compat.namespace_for(value) is xp:
            _problem.finite(_FUNC, name, value, xp)


def _readable(a: Array) -> bool:
    """Whether the values of `a` can be checked now (not lazy, not traced)."""
    return _problem.read(lambda: a, a) is not None


def _given_lambdas(lambdas: Any, real: Any, b: Any, xp: Namespace) -> Array:
    """The caller's thresholds, checked where their values can be read."""
    nested = (
        isinstance(lambdas, Sequence)
        and not isinstance(lambdas, str)
        and any(isinstance(v, Sequence) or _validation.is_array(v) for v in lambdas)
    )
    grid = None if nested else _problem.real_array(_FUNC, "lambdas", lambdas, real, b, xp)
    if grid is None or grid.ndim != 1 or grid.shape[0] == 0:
        shape = "nested" if grid is None else f"shape {tuple(grid.shape)}"
        raise ValueError(
            f"{_FUNC}(): lambdas must be 1-d and non-empty (shared by every column of a "
            f"batch); got {shape}."
        )
    if _validation.is_array(lambdas):
        if not _readable(grid):
            return grid  # traced or lazy: an invalid value gives NaN solutions
        values = [float(grid[i]) for i in range(grid.shape[0])]
    else:
        values = [float(v) for v in lambdas]
    _check_lambdas(values)
    return grid


def _check_lambdas(values: list[float]) -> None:
    shown = ", ".join(f"{v:.4g}" for v in values[:_LISTED])
    shown = f"[{shown}{', ...' if len(values) > _LISTED else ''}]"
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{_FUNC}(): lambdas must be finite; got {shown}.")
    if not all(v > 0 for v in values):
        raise ValueError(f"{_FUNC}(): lambdas must be > 0; got {shown}.")
    if not all(later < earlier for earlier, later in itertools.pairwise(values)):
        raise ValueError(
            f"{_FUNC}(): lambdas must be strictly decreasing (the path is warm-started "
            f"from the largest); got {shown}."
        )


def _weights(
    weights: Any, n: int, real: Any, b: Any, xp: Namespace, structured: dict[str, Any]
) -> tuple[Array, list[int] | None]:
    """The per-coefficient weights as an (n,) array, checked where readable, and the
    free coefficients (zero weights; None where the values cannot be read now)."""
    if "groups" in structured:
        raise ValueError(
            f"{_FUNC}(): weights (per coefficient) and groups do not combine; give "
            "group_weights (per group)."
        )
    w = _problem.real_array(_FUNC, "weights", weights, real, b, xp)
    if tuple(w.shape) not in ((n,), (n, 1)):
        raise ValueError(
            f"{_FUNC}(): weights must have shape ({n},) or ({n}, 1), one per coefficient; "
            f"got {tuple(w.shape)}."
        )
    w = xp.reshape(w, (n,))
    if not _validation.is_array(weights):
        values = [float(v) for v in weights]
        valid, some, free = (
            all(math.isfinite(v) and v >= 0 for v in values),
            any(v > 0 for v in values),
            [j for j, v in enumerate(values) if v == 0],
        )
    elif _readable(w):
        valid, some = bool(xp.all(xp.isfinite(w) & (w >= 0))), bool(xp.any(w > 0))
        free = [int(j) for j in xp.nonzero(w == 0)[0]] if valid and some else []
    else:
        return w, None  # traced or lazy: an invalid weight gives NaN solutions
    if not valid:
        raise ValueError(f"{_FUNC}(): weights must be finite and >= 0.")
    if not some:
        raise ValueError(
            f"{_FUNC}(): weights are all 0: no coefficient is penalised, so there is "
            "no path (solve the least-squares problem once)."
        )
    return w, free


# --- the grid ---------------------------------------------------------------------------


def _lambda_max(
    A: Any, b: Any, w: Array | None, positive: bool, structured: dict[str, Any], xp: Namespace
) -> Array:
    """λ_max from :func:`lambda_max` with the options the caller gave (per column of a
    batch, one for a multi-task b); with zero weights, after the least-squares fit of
    the free coefficients."""
    extra: dict[str, Any] = {"positive": True} if positive else {}
    if w is not None:
        extra["weights"] = w
    return lambda_max(A, b, **structured, **extra, xp=xp)


def _top_after(A: Any, residual: Any, w: Array, positive: bool, xp: Namespace) -> Array:
    """λ_max at the start of a path whose free coefficients hold a ridge or NNLS fit:
    the largest correlation of a penalised column with its residual, over its weight."""
    op, residual = _problem.operator(A, residual, xp, _FUNC)
    column = w if residual.ndim == 1 else w[:, None]
    correlation = op.adjoint(residual)
    return lambda_max_of(correlation, column, None, positive=positive, rows=False, xp=xp)


def _free_fit(
    A: Any,
    b: Any,
    free: list[int],
    l2: Any,
    positive: bool,
    options: dict[str, Any],
    xp: Namespace,
) -> tuple[Array, Array]:
    """The fit of b by the free coefficients alone (ridge with l2, non-negative with
    positive), as a full x with the others 0, and its residual."""
    if _sparse.is_sparse(A):
        columns: Any = _sparse.columns(A, free)
    else:
        A_xp: Any = _compat.namespace_for(A)
        columns = A_xp.take(A, A_xp.asarray(free, device=_compat.device(A)), axis=1)
    # Tighter than the path's tol: λ_max is read from this residual.
    real = _validation.real_dtype(b.dtype, xp)
    tol = max(min(float(options["tol"]), 1e-10), 8 * float(xp.finfo(real).eps))
    keywords: dict[str, Any] = {"max_iter": max(int(options["max_iter"]), 10_000), "tol": tol}
    fit = fista(columns, b, 0.0, l2=l2, positive=positive, **keywords).x
    op, b = _problem.operator(columns, b, xp, _FUNC)
    # x with the fit at the free coefficients: a gather from [fit, 0].
    n = A.shape[1]
    slot = {j: i for i, j in enumerate(free)}
    gather = xp.asarray([slot.get(j, len(free)) for j in range(n)], device=_compat.device(b))
    padded = xp.concat([fit, xp.zeros_like(fit[:1, ...])], axis=0)
    return xp.take(padded, gather, axis=0), b - op.forward(fit)


def _geometric(top: Array, count: int, eps: float, real: Any, xp: Namespace) -> Array:
    """top · eps^t for t from 0 to 1 in `count` steps: the first value is top itself
    (eps^0 = 1 exactly), per column for a (k,) top."""
    t = xp.linspace(0.0, 1.0, count, dtype=real, device=_compat.device(top))
    factors = xp.asarray(eps, dtype=real, device=_compat.device(top)) ** t
    return xp.astype(top, real)[..., None] * factors


def _thresholds(grid: Array, w: Array | None, per_column: bool, xp: Namespace) -> Array:
    """The solver's lambd at every point, stacked along the last axis: grid (L,) or
    (k, L) times the weights (n,) where given; (k, L) grids become (1, k, L), per
    column."""
    if per_column and grid.ndim == 2:
        grid = grid[None, ...]  # (1, k, L): one value per column
    if w is None:
        return grid
    if grid.ndim == 1:
        return w[:, None] * grid  # (n, L)
    return w[:, None, None] * grid  # (n, k, L)


# --- the solves -------------------------------------------------------------------------


def _run(
    solve: Callable[..., LassoResult[Any]],
    A: Any,
    b: Any,
    grid: Array,
    thresholds: Array,
    options: dict[str, Any],
    xp: Namespace,
    w: Array | None,
) -> LassoPath[Any]:
    loops = _backends.solver_loops(_backends.profile(xp))
    traced = loops is not None and not all(
        _compat.is_concrete(a) for a in (b, thresholds, xp.zeros(()))
    )
    if traced:
        fields = _traced_path(solve, A, b, thresholds, options, loops, xp)
    elif _one_chunk_column(A, b, xp):
        # A lazy 1-d b as a batch of one column: its whole path is one chain of tasks,
        # each an eager solve, not a persisted solve with a round trip per check point.
        x0 = options["x0"]
        options = {**options, "x0": None if x0 is None else x0[:, None]}
        per_coefficient = thresholds.ndim == 2
        column = thresholds[:, None, :] if per_coefficient else thresholds
        fields = _python_path(solve, A, b[:, None], column, options, xp)
        fields = [fields[0][:, 0, :], *(field[0, :] for field in fields[1:])]
    else:
        starts = _homotopy_starts(A, b, grid, w, options, xp)
        fields = _python_path(solve, A, b, thresholds, options, xp, starts)
    path = LassoPath(grid, *fields)
    if not traced:
        _warn_unconverged(path, options, xp)
    return path


def _one_chunk_column(A: Any, b: Any, xp: Namespace) -> bool:
    """Whether b is a lazy 1-d array whose batch of one column the backend solves
    chunk by chunk (Dask: A in one chunk)."""
    backend = _backends.profile(xp)
    if not backend.lazy or b.ndim != 1:
        return False
    return _backends.column_solver(backend, A, b[:, None]) is not None


def _at(thresholds: Array, i: Any, xp: Namespace) -> Any:
    """The solver's lambd at point i: a Python float where it is one readable number
    (the solver's fastest threshold), else an array ((k,) per column, (n,) or (n, k)
    per coefficient)."""
    lambd = thresholds[..., i]
    if lambd.ndim == 2 and lambd.shape[0] == 1:
        lambd = lambd[0, :]  # (k,): one value per column
    if lambd.ndim == 0 and _compat.is_concrete(lambd):
        return float(lambd)
    return lambd


def _homotopy_starts(
    A: Any, b: Any, grid: Array, w: Array | None, options: dict[str, Any], xp: Namespace
) -> list[Array | None] | None:
    """The homotopy's solutions at the grid's thresholds, the starting points of their
    certified solves (arrayshrink._agnostic._homotopy), where it applies: one real
    eager signal, or a batch of at most _HOMOTOPY_COLUMNS (one homotopy per column),
    of a backend where new shapes cost nothing (not JAX, which compiles
    each operation again for each new support size), no gradient asked through it (its
    steps are Python numbers), A a matrix of its library and dtype with a linalg
    extension, the L1 penalty (weighted, all weights > 0; x >= 0; with a ridge); else
    None. A batch's point has a start where every column's homotopy reached it."""
    if (
        (b.ndim == 2 and b.shape[1] > _HOMOTOPY_COLUMNS)
        or not _backends.profile(xp).splits_batches  # lazy, or new shapes compile
        or any(getattr(a, "requires_grad", False) for a in (A, b, w))
        or _compat.namespace_for(A) is not xp
        or A.dtype != b.dtype
        or not xp.isdtype(b.dtype, "real floating")
        or not hasattr(xp, "linalg")
        or any(name in options for name in ("groups", "group_weights", "multitask"))
        or (w is not None and not bool(xp.all(w > 0)))
    ):
        return None
    events = _HOMOTOPY_EVENTS * min(A.shape) + _HOMOTOPY_EVENTS_FLOOR
    positive = bool(options.get("positive", False))
    ridge = float(options["l2"])

    def starts(signal: Array, grid: Array) -> list[Array | None]:
        mus = [float(grid[i]) for i in range(grid.shape[0])]
        return homotopy(A, signal, mus, w, ridge, positive, events, xp=xp)

    if b.ndim == 1:
        return starts(b, grid)
    # A batch: each column along its own grid (k, L), or along the shared one (L,).
    columns = [starts(b[:, j], grid[j, :] if grid.ndim == 2 else grid) for j in range(b.shape[1])]
    return [
        None if any(x is None for x in point) else xp.stack(point, axis=1)
        for point in zip(*columns, strict=True)
    ]


def _python_path(
    solve: Callable[..., LassoResult[Any]],
    A: Any,
    b: Any,
    thresholds: Array,
    options: dict[str, Any],
    xp: Namespace,
    starts: list[Array | None] | None = None,
) -> list[Array]:
    """Solve point after point, each from the homotopy's solution there where given
    (the caller's x0 first), else from the previous point's solution; the solvers'
    warnings are kept back (the path warns once for all its points) and any other
    warning is passed on once."""
    results = []
    x = options["x0"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(thresholds.shape[-1]):
            if starts is not None and starts[i] is not None and (i or x is None):
                x = starts[i]
            result = solve(A, b, _at(thresholds, i, xp), **{**options, "x0": x})
            results.append(result)
            x = result.x
    _pass_on(caught)
    return [xp.stack([getattr(r, field) for r in results], axis=-1) for field in _FIELDS]


def _pass_on(caught: list[warnings.WarningMessage]) -> None:
    """Warnings of the solves, each distinct one once; the solvers' "did not converge"
    is replaced by the path's own warning."""
    seen = set()
    for record in caught:
        text = str(record.message)
        if issubclass(record.category, ConvergenceWarning) and "did not converge" in text:
            continue
        if (record.category, text) not in seen:
            seen.add((record.category, text))
            warnings.warn(text.replace("fista()", f"{_FUNC}()"), record.category, stacklevel=5)


def _traced_path(
    solve: Callable[..., LassoResult[Any]],
    A: Any,
    b: Any,
    thresholds: Array,
    options: dict[str, Any],
    loops: Any,
    xp: Namespace,
) -> list[Array]:
    """The path in the backend's loop: the first point solved on its own (it gives
    the fields' dtypes), the others in one loop body, each written into its slot."""
    count = thresholds.shape[-1]
    first = solve(A, b, _at(thresholds, 0, xp), **options)
    slots = xp.arange(count, device=_compat.device(b))
    start = tuple(
        xp.where(slots == 0, value[..., None], xp.zeros_like(value[..., None]))
        for value in first[:5]
    )

    def body(state: tuple[Any, Any, tuple[Array, ...]]) -> tuple[Any, Any, tuple[Array, ...]]:
        i, x, fields = state
        lambd = xp.take(thresholds, xp.reshape(i, (1,)), axis=thresholds.ndim - 1)
        lambd = xp.reshape(lambd, tuple(lambd.shape[:-1]))
        if lambd.ndim == 2 and lambd.shape[0] == 1:
            lambd = lambd[0, :]
        result = solve(A, b, lambd, **{**options, "x0": x})
        here = slots == i
        fields = tuple(
            xp.where(here, value[..., None], old)
            for value, old in zip(result[:5], fields, strict=True)
        )
        return i + 1, result.x, fields

    one = xp.asarray(1, dtype=slots.dtype, device=_compat.device(b))
    _, _, fields = loops.fori_loop(count - 1, body, (one, first.x, start))
    return list(fields)


def _warn_unconverged(path: LassoPath[Any], options: dict[str, Any], xp: Namespace) -> None:
    """One ConvergenceWarning for the points whose solve failed, where readable."""
    converged, gap, n_iter = path.converged, path.gap, path.n_iter
    if not _compat.is_concrete(converged) or bool(xp.all(converged)):
        return
    failed = ~converged & ((n_iter >= options["max_iter"]) | xp.isnan(gap))
    if failed.ndim == 2:  # a batch: a point fails where any of its columns does
        failed = xp.any(failed, axis=0)
    points = [i for i in range(failed.shape[0]) if bool(failed[i])]
    if not points:
        return
    lambdas = path.lambdas if path.lambdas.ndim == 1 else xp.max(path.lambdas, axis=0)
    listed = ", ".join(f"#{i} ({float(lambdas[i]):.3g})" for i in points[:_LISTED])
    more = f" and {len(points) - _LISTED} more" if len(points) > _LISTED else ""
    worst = float(xp.max(xp.where(xp.isnan(gap), xp.zeros_like(gap), gap)))
    warnings.warn(
        f"{_FUNC}(): the solves at {len(points)} of {failed.shape[0]} thresholds did not "
        f"converge in {options['max_iter']} iterations: {listed}{more} (worst relative gap "
        f"{worst:.3g}, tol={float(options['tol']):g}). Read path.converged and path.gap; "
        "raise max_iter or tol to go on.",
        ConvergenceWarning,
        stacklevel=4,
    )

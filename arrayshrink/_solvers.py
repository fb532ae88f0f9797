"""Public Lasso solvers: ISTA and FISTA on any Array API backend.

The arguments are checked and turned into a problem in arrayshrink._problem; the
generic layer (arrayshrink._agnostic._drivers) solves it, with the backend's facts
(loops, persist, stop-gradient, float64) from its profile.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypedDict, Unpack

from arrayshrink import _backends, _problem, _solver_docs, _sparse
from arrayshrink._agnostic import _drivers
from arrayshrink._agnostic._columns import as_array
from arrayshrink._agnostic._lasso import Options, Problem, power_lipschitz
from arrayshrink._agnostic._loops import Loops
from arrayshrink._agnostic._penalties import GroupL1, UserProx, lambda_max_of
from arrayshrink._agnostic._result import LassoResult
from arrayshrink._lib import _compat, _validation
from arrayshrink._lib._typing import Array, ArrayT, Namespace
from arrayshrink._problem import LinearOperator

__all__ = [
    "ConvergenceWarning",
    "LassoResult",
    "LinearOperator",
    "SolverOptions",
    "fista",
    "ista",
    "lambda_max",
]


class ConvergenceWarning(UserWarning):
    """A solve stopped before its certificate met ``tol``, or ``tol`` is below what the
    dtype can certify. The result is returned all the same: read ``result.converged``
    and ``result.gap`` to see which columns are not certified."""


class SolverOptions(TypedDict, total=False):
    """The keyword arguments that :func:`fista` and :func:`ista` share (see either's
    Parameters for their meaning and defaults)."""

    x0: Any
    max_iter: int
    tol: float
    check_every: int
    lipschitz: float | None
    unroll: bool
    positive: bool
    l2: float
    groups: Any
    group_weights: Any
    multitask: bool
    prox: Callable[[Any, Any], Any] | None
    callback: Callable[[LassoResult[Any]], Any] | None
    history: bool
    verbose: bool
    xp: Namespace | None


# The defaults of SolverOptions, in one place (the docstrings state the same values).
_DEFAULTS: dict[str, Any] = {
    "x0": None,
    "max_iter": 1000,
    "tol": 1e-6,
    "check_every": 10,
    "lipschitz": None,
    "unroll": False,
    "positive": False,
    "l2": 0.0,
    "groups": None,
    "group_weights": None,
    "multitask": False,
    "prox": None,
    "callback": None,
    "history": False,
    "verbose": False,
    "xp": None,
}

# A certificate is computed to a few units of the dtype's rounding: a tolerance below
# this many epsilons cannot be certified.
_TOL_FLOOR_EPS = 4

Monitor = _drivers.Monitor


def _options(func: str, given: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments with their defaults; an unknown name raises as Python does."""
    for name in given:
        if name not in _DEFAULTS:
            raise TypeError(f"{func}() got an unexpected keyword argument {name!r}")
    return {**_DEFAULTS, **given}


def _check_options(func: str, o: dict[str, Any]) -> None:
    for name in ("restart", "unroll", "positive", "history", "verbose", "multitask"):
        _problem.check_flag(func, name, o[name])
    _check_structure(func, o)
    _problem.check_number(func, "max_iter", o["max_iter"], minimum=1, integer=True)
    _problem.check_number(func, "check_every", o["check_every"], minimum=1, integer=True)
    _problem.check_number(func, "tol", o["tol"], minimum=0.0, integer=False)
    _problem.check_number(func, "l2", o["l2"], minimum=0.0, integer=False)
    if o["lipschitz"] is not None:
        _problem.check_number(func, "lipschitz", o["lipschitz"], minimum=0.0, integer=False)
        if o["lipschitz"] == 0:
            raise ValueError(f"{func}(): lipschitz must be > 0; got 0.")
    if o["unroll"] and o["lipschitz"] is None:
        raise ValueError(
            f"{func}(): unroll=True needs lipschitz, the fixed step 1/lipschitz: "
            "backtracking decides on the values, which differentiation cannot follow."
        )
    if o["callback"] is not None and not callable(o["callback"]):
        raise TypeError(f"{func}(): callback must be callable; got {o['callback']!r}.")
    if o["unroll"] and (o["callback"] is not None or o["history"] or o["verbose"]):
        raise ValueError(
            f"{func}(): callback, history and verbose act at check points, which "
            "unroll=True does not have (it runs max_iter iterations, then certifies once)."
        )


def _check_structure(func: str, o: dict[str, Any]) -> None:
    """The penalties that exclude each other: a user prox replaces the penalty, and
    multi-task rows are groups of their own."""
    if o["prox"] is not None and not callable(o["prox"]):
        raise TypeError(f"{func}(): prox must be callable as prox(v, t); got {o['prox']!r}.")
    given = {
        "prox": o["prox"] is not None,
        "multitask": bool(o["multitask"]),
        "groups": o["groups"] is not None,
        "positive": bool(o["positive"]),
    }
    for first, second in (
        ("prox", "positive"),
        ("prox", "groups"),
        ("prox", "multitask"),
        ("multitask", "groups"),
        ("multitask", "positive"),
    ):
        if given[first] and given[second]:
            raise ValueError(
                f"{func}(): {first} and {second} cannot be combined"
                + (
                    ": the prox is the whole penalty; put the constraint in it."
                    if first == "prox"
                    else ": the rows of x are the groups of the multi-task penalty."
                )
            )
    if o["group_weights"] is not None and o["groups"] is None:
        raise ValueError(f"{func}(): group_weights needs groups (the label of each coefficient).")


def _data(func: str, A: Any, b: Array, lambd: Any, o: dict[str, Any]) -> tuple[Any, ...]:
    """The namespace, the operator, b and x0 (promoted together), checked."""
    xp = _problem.checked_namespace(func, o["xp"], _problem.namespace(func, b, A, o["x0"], lambd))
    _validation.check_floating(b, xp, func, name="b")
    if b.ndim not in (1, 2):
        raise ValueError(f"{func}(): b must have shape (m,) or (m, k); got {tuple(b.shape)}.")
    if o["multitask"] and b.ndim != 2:
        raise ValueError(
            f"{func}(): multitask=True needs b of shape (m, k), one column per task; got "
            f"shape {tuple(b.shape)}."
        )
    _validation.check_known_shape(func, "b", b)
    x0 = o["x0"]
    if x0 is not None:
        if not _validation.is_array(x0):
            raise TypeError(
                f"{func}(): x0 must be an array of the library of b "
                f"({_validation.library_name(xp)}); got {type(x0).__name__}."
            )
        _validation.check_floating(x0, xp, func, name="x0")
        if x0.dtype != b.dtype:  # A, b and x0 promote together, as in NumPy
            b = xp.astype(b, xp.result_type(x0.dtype, b.dtype), copy=False)
    op, b = _problem.operator(A, b, xp, func)
    if o["positive"] and xp.isdtype(b.dtype, "complex floating"):
        raise ValueError(f"{func}(): positive=True needs real A, b and x0.")
    x_shape = (op.shape[1], *b.shape[1:])
    if x0 is None:
        x0 = xp.zeros(x_shape, dtype=b.dtype, device=_compat.device(b))
    else:
        if tuple(x0.shape) != x_shape:
            raise ValueError(f"{func}(): x0 must have shape {x_shape}; got {tuple(x0.shape)}.")
        x0 = xp.astype(x0, b.dtype, copy=False)
    arrays = {"b": b, "A": A, "x0": x0, "lambd": lambd}
    for name, value in arrays.items():
        value_xp = _compat.namespace_for(value)
        if value_xp is None or (name == "A" and _sparse.is_sparse(value)):
            continue  # a LinearOperator, a number lambd, a sparse A (checked already)
        if value_xp is xp:  # else the matrix of an allowed mix, on the chunks' device
            _validation.check_device(func, name, value, b, data_name="b")
        if name != "lambd":  # lambd's values are checked by the threshold validator
            _problem.finite(func, name, value, value_xp)
    return xp, op, b, x0


def _solve(func: str, A: Any, b: Any, lambd: Any, accelerate: bool, o: dict[str, Any]) -> Any:
    """Check the arguments, solve (chunk by chunk for a Dask batch that allows it), warn
    if unconverged."""
    _check_options(func, o)
    xp, op, b, x0 = _data(func, A, b, lambd, o)
    backend = _backends.profile(xp)
    real = _validation.real_dtype(b.dtype, xp)
    threshold = _threshold(func, lambd, tuple(x0.shape), real, xp, o)
    tol, unroll = float(o["tol"]), o["unroll"]
    _warn_unreachable_tol(func, tol, float(xp.finfo(real).eps), real, unroll)
    per_check_point = o["callback"] is not None or o["history"] or o["verbose"]
    if o["groups"] is not None:
        # Checked here, before any chunk's task: the labels travel as a list.
        n = int(x0.shape[0])
        _problem.group_structure(func, o["groups"], o["group_weights"], n, real, xp, b)
        o = {**o, "groups": _problem.label_values(func, o["groups"])}
    # Multi-task columns are one problem; group weights of a Dask array stay in the graph.
    coupled = per_check_point or o["multitask"] or _validation.is_array(o["group_weights"])
    solve_columns = None if coupled else _backends.column_solver(backend, A, b)
    if solve_columns is not None:
        # Lazy, like every Dask result: the verdict is read from the result, no warning.
        block = functools.partial(_solve_block, func, accelerate, {**o, "x0": None})
        result: LassoResult[Any] = solve_columns(block, A, b, threshold, x0)
        return result
    result = _run(func, xp, A, op, b, threshold, x0, accelerate, o)
    if not unroll:
        _warn_unconverged(func, result, tol, o["max_iter"], xp)
    return result


def _threshold(
    func: str, lambd: Any, x_shape: tuple[int, ...], real: Any, xp: Namespace, o: dict[str, Any]
) -> Any:
    """lambd checked and shaped for the penalty: with groups, a number or one per column
    (the groups are weighted by group_weights); with multitask, a number or one weight
    per row of x, shape (n,)."""
    if o["multitask"]:
        n = x_shape[0]
        shape = tuple(lambd.shape) if _validation.is_array(lambd) else ()
        if shape not in ((), (1,), (n,)):
            raise ValueError(
                f"{func}(): with multitask=True, lambd is a number or one weight per row "
                f"of x, shape ({n},); got shape {shape} (the tasks share one penalty)."
            )
        return _problem.threshold(lambd, (n,), real, xp, func)
    threshold = _problem.threshold(lambd, x_shape, real, xp, func)
    if o["groups"] is not None and not isinstance(threshold, float) and threshold.shape[0] != 1:
        raise ValueError(
            f"{func}(): with groups, lambd is a number or one value per column of b; got "
            f"shape {tuple(lambd.shape)}. Weight the groups with group_weights."
        )
    return threshold


def _solve_block(
    func: str, accelerate: bool, o: dict[str, Any], A: Any, b: Any, threshold: Any, x0: Any
) -> LassoResult[Any]:
    """The solve of one chunk of columns of a Dask batch, inside its task: eager arrays
    of the chunk's library, already checked (as a whole), with the threshold's invalid
    entries NaN. Like the lazy solve, NaN data gives a NaN, unconverged column."""
    xp = _validation.namespace_of(b, None, func, name="b")
    op, b = _problem.operator(A, b, xp, func)
    x0 = xp.astype(x0, b.dtype, copy=False)
    return _run(func, xp, A, op, b, threshold, x0, accelerate, o)


def _lazy_lipschitz(
    backend: _backends.Profile, A: Any, problem: Problem, materialize: Any
) -> float:
    """The Lipschitz constant of the smooth part's gradient on a lazy backend: exact
    from A^H A where the backend computes it in one pass, else by power iterations."""
    squared_norm = _backends.lazy_lipschitz(backend, A)
    if squared_norm is None:
        return power_lipschitz(problem, materialize)
    lipschitz = squared_norm + float(problem.penalty.ridge)
    return lipschitz if lipschitz != 0 else 1.0  # A = 0: any step is exact


def _run(
    func: str,
    xp: Namespace,
    A: Any,
    op: Any,
    b: Any,
    threshold: Any,
    x0: Any,
    accelerate: bool,
    o: dict[str, Any],
) -> LassoResult[Any]:
    """Build the problem of checked arguments and run the driver."""
    backend = _backends.profile(xp)
    real = _validation.real_dtype(b.dtype, xp)
    eps = float(xp.finfo(real).eps)
    wide = xp.float64 if _backends.has_float64(backend, _compat.device(b)) else real
    tasks = tuple(x0.shape) if o["multitask"] else None
    if tasks is not None:  # one problem on the flattened coefficients, rows as groups
        op, b, x0 = _problem.flatten_tasks(op, b, x0, xp)
    penalty = _penalty(func, A, threshold, b, x0, o, xp, tasks)
    problem = Problem(
        op,
        b,
        penalty,
        xp,
        (64 * eps) ** 2,
        real,
        wide,
        _backends.stop_gradient(backend),
        _backends.iteration_steps(backend) if b.dtype in (xp.float32, xp.float64) else None,
    )
    materialize = _backends.persist(backend)
    lipschitz = o["lipschitz"]
    if lipschitz is None and backend.lazy:
        # Backtracking decides on values, a round trip per iteration on lazy arrays: a
        # fixed step instead, so that a check point is the only time values are read.
        lipschitz = _lazy_lipschitz(backend, A, problem, materialize)
    options = Options(
        o["max_iter"],
        float(o["tol"]),
        o["check_every"],
        lipschitz,
        accelerate,
        o["restart"],
        o["unroll"],
    )
    loops = _traced_loops(xp, A, b, threshold, x0)
    if loops is not None and (o["callback"] is not None or o["history"] or o["verbose"]):
        raise ValueError(
            f"{func}(): callback, history and verbose need concrete values, which traced "
            "arrays (inside jax.jit or jax.grad) do not have; read result.gap, "
            "result.converged and result.n_iter."
        )
    eager = all(_compat.is_concrete(a) for a in (b, x0))
    if not (
        eager or loops or backend.lazy or options.unroll or _validation.under_torch_compile(xp)
    ):
        raise ValueError(
            f"{func}(): the values of b cannot be read here (a torch meta tensor, or a "
            "torch.func transform such as vmap), and a solve decides from them when to "
            "stop; solve outside the transform, or run a fixed number of iterations with "
            "unroll=True and lipschitz."
        )
    hooks = _drivers.Hooks(
        split_batches=eager and backend.splits_batches,
        callback=_checked_callback(func, o["callback"], xp, backend.lazy, tasks),
        monitor=_printer(func, xp) if o["verbose"] else None,
        history=o["history"],
        materialize=materialize,
    )
    result = _drivers.solve(problem, x0, options, loops=loops, hooks=hooks)
    if tasks is not None:
        result = result._replace(x=xp.reshape(result.x, tasks))
    return result


def _penalty(
    func: str,
    A: Any,
    threshold: Any,
    b: Any,
    x0: Any,
    o: dict[str, Any],
    xp: Namespace,
    tasks: tuple[int, int] | None,
) -> Any:
    """The penalty the options ask for: a user prox, groups of labels, multi-task rows
    (``tasks`` = (n, k), on the flattened coefficients), or the L1 family."""
    l2, positive = float(o["l2"]), bool(o["positive"])
    device = _compat.device(b)
    if o["prox"] is not None:
        return UserProx(o["prox"], threshold, xp, l2, _checked_prox(func, xp))
    if tasks is not None:
        n, k = tasks
        ones = xp.ones((n,), dtype=_validation.real_dtype(b.dtype, xp), device=device)
        scale = ones * threshold
        return GroupL1(
            scale, _problem.row_groups(n, k, xp, device), xp, False, l2, _any_zero(scale, xp)
        )
    if o["groups"] is None:
        return _problem.penalty(A, threshold, l2=l2, positive=positive, dtype=b.dtype, xp=xp)
    real = _validation.real_dtype(b.dtype, xp)
    groups, weights = _problem.group_structure(
        func, o["groups"], o["group_weights"], int(x0.shape[0]), real, xp, b
    )
    if x0.ndim == 1:
        scale = weights * threshold  # threshold: a number, or shape (1,)
    else:  # one value per column (1, k), or a number
        column = (
            threshold
            if not isinstance(threshold, float)
            else xp.asarray([[threshold]], dtype=real, device=device)
        )
        scale = weights[:, None] * column
    return GroupL1(scale, groups, xp, positive, l2, _any_zero(scale, xp))


def _any_zero(scale: Any, xp: Namespace) -> bool | None:
    """Whether any group is free (weight 0); None where the weights cannot be read."""
    found = _problem.read(lambda: xp.any(scale == 0), scale)
    return None if found is None else bool(found)


def _checked_prox(func: str, xp: Namespace) -> Callable[[Any, Any], Any]:
    """A check of the user's prox output: an array of b's library and v's shape."""

    def check(out: Any, v: Any) -> Any:
        if _compat.namespace_for(out) is not xp:
            raise TypeError(
                f"{func}(): prox(v, t) must return an array of the library of b; got "
                f"{type(out).__name__}."
            )
        if tuple(out.shape) != tuple(v.shape):
            raise ValueError(
                f"{func}(): prox(v, t) returned shape {tuple(out.shape)} for v of shape "
                f"{tuple(v.shape)}; the proximal point has the shape of v."
            )
        return out if out.dtype == v.dtype else xp.astype(out, v.dtype)

    return check


def _copy(a: Array, xp: Namespace) -> Array:
    """A copy of ``a`` (reshape's copy keeps torch's autograd without a warning)."""
    return xp.reshape(a, tuple(a.shape), copy=True)


# The arrays of a LassoResult, copied for a callback.
_PER_COLUMN = ("x", "gap", "objective", "converged", "n_iter")


def _checked_callback(
    func: str,
    callback: Callable[[LassoResult[Any]], Any] | None,
    xp: Namespace,
    lazy: bool,
    tasks: tuple[int, ...] | None,
) -> Callable[[LassoResult[Any]], bool] | None:
    """The user's callback, given a copy of the solve's state (changing it cannot change
    the solve; a multi-task x in its shape (n, k)), and whose answer must be a truth
    value."""
    if callback is None:
        return None

    def call(result: LassoResult[Any]) -> bool:
        if not lazy:  # lazy arrays (Dask) are immutable
            result = result._replace(**{f: _copy(getattr(result, f), xp) for f in _PER_COLUMN})
        if tasks is not None:
            result = result._replace(x=xp.reshape(result.x, tasks))
        answer = callback(result)
        try:
            return bool(answer)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(
                f"{func}(): callback must return True to stop, or False or None to go on; "
                f"got {type(answer).__name__}."
            ) from exc

    return call


def _traced_loops(xp: Namespace, *arrays: Any) -> Loops | None:
    """The backend's own loops when any input is traced (JAX inside jit or grad), or
    when the solve runs inside a trace on concrete arrays (closed over by a jitted
    function), where every result is traced all the same."""
    loops = _backends.solver_loops(_backends.profile(xp))
    if loops is None:
        return None
    concrete = all(_compat.is_concrete(a) for a in arrays if _compat.namespace_for(a) is xp)
    return None if concrete and _compat.is_concrete(xp.zeros(())) else loops


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
    func: str, result: LassoResult[Array], tol: float, max_iter: int, xp: Namespace
) -> None:
    """The ConvergenceWarning of a solve whose verdict can be read (not traced, not lazy)."""
    converged = result.converged
    if not _compat.is_concrete(converged) or bool(xp.all(converged)):
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


def _printer(func: str, xp: Namespace) -> Monitor:
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


def fista(
    A: Any, b: ArrayT, /, lambd: Any, *, restart: bool = True, **options: Unpack[SolverOptions]
) -> LassoResult[ArrayT]:
    result: LassoResult[ArrayT] = _solve(
        "fista", A, b, lambd, True, {**_options("fista", dict(options)), "restart": restart}
    )
    return result


def ista(A: Any, b: ArrayT, /, lambd: Any, **options: Unpack[SolverOptions]) -> LassoResult[ArrayT]:
    result: LassoResult[ArrayT] = _solve(
        "ista", A, b, lambd, False, {**_options("ista", dict(options)), "restart": False}
    )
    return result


fista.__doc__ = _solver_docs.DOCSTRING.substitute(
    summary="Lasso by FISTA, with adaptive restart and backtracking, on any Array API backend.",
    restart=_solver_docs.RESTART,
    tail=_solver_docs.FISTA_TAIL,
)
ista.__doc__ = _solver_docs.DOCSTRING.substitute(
    summary="Lasso by ISTA (proximal gradient) with backtracking, on any Array API backend.",
    restart="",
    tail=_solver_docs.ISTA_TAIL,
)


def _signature(restart: bool) -> Any:
    """The full signature, for help(), IDEs and the API docs (the code takes the
    shared options as typed keyword arguments)."""
    import inspect

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("A", inspect.Parameter.POSITIONAL_ONLY),
        inspect.Parameter("b", inspect.Parameter.POSITIONAL_ONLY),
        inspect.Parameter("lambd", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]
    names = list(_DEFAULTS)
    if restart:
        names.insert(names.index("positive"), "restart")
    defaults = {**_DEFAULTS, "restart": True}
    params += [inspect.Parameter(name, keyword, default=defaults[name]) for name in names]
    return inspect.Signature(params)


fista.__signature__ = _signature(restart=True)  # type: ignore[attr-defined]
ista.__signature__ = _signature(restart=False)  # type: ignore[attr-defined]


def lambda_max(
    A: Any,
    b: ArrayT,
    /,
    *,
    positive: bool = False,
    weights: Any = None,
    groups: Any = None,
    group_weights: Any = None,
    multitask: bool = False,
    xp: Namespace | None = None,
) -> ArrayT:
    """The smallest lambd for which x = 0 is the solution, per column of `b`.

    For the Lasso, ``max_j |A^H b|_j / w_j``; with ``positive=True`` only positive
    correlations count; with `groups`, ``max_g ||(A^H b)_g||_2 / w_g`` (the group weights);
    with ``multitask=True``, ``max_i ||(A^H B)_i,:||_2 / w_i`` over the rows, one value for
    the whole batch. At and above it, :func:`fista` with the same options returns 0,
    and :func:`lasso_path` starts there.

    Parameters
    ----------
    A : array of shape (m, n), or LinearOperator
    b : array of shape (m,) or (m, k)
    positive : bool, default: False
        As in :func:`fista` (real problems).
    weights : array or sequence, optional
        Per-coefficient weights (n,) or (n, 1), as an array `lambd` of :func:`fista`
        (one weight per row (n,) with `multitask`): the result is then the scale of
        the weights. Coefficients of weight 0 are unpenalised: `b` is first projected
        off the span of their columns (their least-squares fit), which needs `A` as a
        matrix whose values can be read.
    groups, group_weights :
        As in :func:`fista`: the label of each coefficient, and a weight per group.
        Groups of weight 0 are unpenalised, as coefficients of weight 0 are.
    multitask : bool, default: False
        The multi-task penalty of :func:`fista` (rows of x as groups).
    xp : array namespace, optional

    Returns
    -------
    array
        Of shape () for 1-d `b` or with `multitask`, (k,) for 2-d `b` otherwise.

    Raises
    ------
    TypeError, ValueError
        As :func:`fista` for the same arguments; ValueError for unpenalised
        coefficients beside a LinearOperator or values that cannot be read.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import lambda_max
    >>> A = np.asarray([[1.0, 2.0], [0.0, -3.0]])
    >>> float(lambda_max(A, np.asarray([1.0, 1.0])))
    1.0
    >>> float(lambda_max(A, np.asarray([1.0, 1.0]), groups=[0, 0]))  # ||(1, -1)||
    1.4142135623730951
    """
    func, data = "lambda_max", _as_array(b)
    o = {
        **_DEFAULTS,
        "positive": positive,
        "groups": groups,
        "group_weights": group_weights,
        "multitask": multitask,
    }
    for name in ("positive", "multitask"):
        _problem.check_flag(func, name, o[name])
    _check_structure(func, o)
    if weights is not None and groups is not None:
        raise ValueError(
            f"{func}(): weights (per coefficient) and groups do not combine; weight the "
            "groups with group_weights."
        )
    inferred = _problem.namespace(func, data, A, None, weights, lambd_name="weights")
    xp = _problem.checked_namespace(func, xp, inferred)
    _validation.check_floating(data, xp, func, name="b")
    if data.ndim not in (1, 2) or (multitask and data.ndim != 2):
        expected = "(m, k) with multitask=True" if multitask else "(m,) or (m, k)"
        raise ValueError(f"{func}(): b must have shape {expected}; got {tuple(data.shape)}.")
    op, data = _problem.operator(A, data, xp, func)
    for name, value in (("b", data), ("A", A)):
        if _compat.namespace_for(value) is xp:
            _problem.finite(func, name, value, xp)
    if positive and xp.isdtype(data.dtype, "complex floating"):
        raise ValueError(f"{func}(): positive=True needs real A and b.")
    out: ArrayT = _structured_lambda_max(func, A, op, data, weights, o, xp)
    return out


def _structured_lambda_max(
    func: str, A: Any, op: Any, b: Any, weights: Any, o: dict[str, Any], xp: Namespace
) -> Any:
    """lambda_max's computation, with unpenalised coefficients fitted first."""
    real = _validation.real_dtype(b.dtype, xp)
    n = op.shape[1]
    per_coefficient = None  # the weight of each coefficient, for the free fit
    if weights is not None:
        value = _problem.weight_array(func, "weights", weights, real, b, xp)
        if tuple(value.shape) not in ((n,), (n, 1)):
            raise ValueError(
                f"{func}(): weights must have shape ({n},) or ({n}, 1), one per "
                f"coefficient; got {tuple(value.shape)}."
            )
        shape = (n,) if o["multitask"] or b.ndim == 1 else (n, 1)
        per_coefficient = value = xp.reshape(value, shape)
    groups = None
    if o["groups"] is not None:
        groups, value = _problem.group_structure(
            func, o["groups"], o["group_weights"], n, real, xp, b
        )
        per_coefficient = groups.spread(value, xp)
        value = value if b.ndim == 1 else value[:, None]
    residual = _free_residual(func, A, b, per_coefficient, xp)
    c = op.adjoint(residual)
    weights_used = value if (weights is not None or groups is not None) else None
    peak = lambda_max_of(
        c, weights_used, groups, positive=bool(o["positive"]), rows=o["multitask"], xp=xp
    )
    return as_array(peak, xp)


def _free_residual(func: str, A: Any, b: Any, weights: Any, xp: Namespace) -> Any:
    """b minus its least-squares fit by the columns of weight 0 (b itself if none)."""
    if weights is None:
        return b
    any_free = _problem.read(lambda: xp.any(weights == 0), weights)
    if any_free is None or not bool(any_free):
        return b
    basis = _problem.free_basis(A, xp.reshape(weights, (-1,)), b.dtype, xp)
    if basis is None:
        raise ValueError(
            f"{func}(): weights of 0 (unpenalised coefficients) need A as a matrix whose "
            "values can be read: lambda_max is taken after their least-squares fit."
        )
    return b - basis @ (xp.conj(xp.matrix_transpose(basis)) @ b)


def _as_array(b: ArrayT) -> Array:
    """``b`` for the checks, which accept anything (the type variable is unbound)."""
    return b

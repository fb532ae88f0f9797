"""The problem the solvers iterate on, its certificate, and one iteration.

Problem: minimize over x   1/2 ||A x - b||^2 + g(x)
for b of shape (m,) or (m, k) (k independent problems), x of shape (n,) or (n, k),
and a penalty g (arrayshrink._agnostic._penalties) whose smooth part, its ridge, is
taken in the gradient step. Every quantity "per column" has the batch shape
b.shape[1:]: () or (k,). Inputs are validated by the public layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from arrayshrink._agnostic._columns import (
    as_array,
    device_of,
    index_dtype,
    positions,
    put_columns,
    replace_columns,
    take_columns,
)
from arrayshrink._agnostic._loops import Loops
from arrayshrink._agnostic._norms import ratio, real_dot, sq_norm
from arrayshrink._agnostic._penalties import L1, DualData, Penalty, UserProx, columns_of
from arrayshrink._lib._typing import Array, Namespace

__all__ = [
    "Backtrack",
    "Check",
    "Columns",
    "DenseColumns",
    "GramSolver",
    "Iterate",
    "Operator",
    "Options",
    "Problem",
    "Steps",
    "backtrack_columns",
    "backtrack_masked",
    "certify",
    "certify_correlated",
    "dense_operator",
    "fixed_step",
    "iteration",
    "power_lipschitz",
    "start",
]

_STEP_GROWTH = 1.25  # the step may grow again after a successful iteration
_STEP_SHRINK = 0.5  # backtracking: halve the step until the sufficient decrease holds
_STEP_MARGIN = 0.9  # ... or go straight below the inverse curvature measured, if shorter
_MAX_HALVINGS = 60  # a safety net: 2**-60 of a step is no step at all


class Columns(Protocol):
    """The columns of a matrix, dense or sparse, for what needs them (working sets,
    screening, the support's Newton step)."""

    def norms(self) -> Array:
        """The Euclidean norm of each column, shape (n,)."""
        ...

    def restrict(self, index: Array, batched: bool) -> Operator:
        """The operator of the columns ``index`` alone (with their Columns)."""
        ...

    def gram(self) -> Array:
        """A^H A of these columns, a dense array of the problem's library (taken of a
        support's columns: at most m)."""
        ...

    def entries(self) -> int:
        """How many entries the matrix stores (m n where dense): what a product costs."""
        ...

    def gram_solver(self, gram: Array) -> GramSolver:
        """The solves of the principal sub-blocks of ``gram``, a Gram matrix (symmetric,
        positive semi-definite) of some of these columns: see :class:`GramSolver`."""
        ...


# solve(keep, rhs): z with gram[keep][:, keep] z = rhs[keep] (``keep`` an index array
# in increasing order); raises ValueError or RuntimeError where that block is singular.
GramSolver = Callable[[Array, Array], Array]


@dataclass(frozen=True)
class Operator:
    """A linear map given by its forward and adjoint products, and its shape (m, n);
    ``matrix`` is the matrix itself where it is an array of the problem's library (in
    its dtype), ``columns`` its columns where there is a matrix, dense or sparse; both
    None for a LinearOperator."""

    forward: Callable[[Array], Array]
    adjoint: Callable[[Array], Array]
    shape: tuple[int, int]
    matrix: Array | None = None
    columns: Columns | None = None


@dataclass(frozen=True)
class DenseColumns:
    """The Columns of a dense matrix of the problem's library."""

    A: Array
    xp: Namespace

    def norms(self) -> Array:
        return self.xp.sqrt(self.xp.sum(self.A * self.A, axis=0))

    def restrict(self, index: Array, batched: bool) -> Operator:
        return dense_operator(self.xp.take(self.A, index, axis=1), batched, self.xp)

    def gram(self) -> Array:
        xp, A = self.xp, self.A
        A_conj = xp.conj(A) if xp.isdtype(A.dtype, "complex floating") else A
        return xp.matrix_transpose(A_conj) @ A

    def entries(self) -> int:
        return math.prod(self.A.shape)

    def gram_solver(self, gram: Array) -> GramSolver:
        xp = self.xp

        def solve(keep: Array, rhs: Array) -> Array:
            block = xp.take(xp.take(gram, keep, axis=0), keep, axis=1)
            return xp.linalg.solve(block, xp.take(rhs, keep, axis=0))

        return solve


def dense_operator(A: Array, batched: bool, xp: Namespace) -> Operator:
    """The operator of a real or complex matrix A of the problem's library."""
    complex_A = xp.isdtype(A.dtype, "complex floating")
    A_conj = xp.conj(A) if complex_A else A
    columns = DenseColumns(A, xp)
    if not batched:
        # A^H r as the row-vector product r @ conj(A): under jax.jit it runs many
        # times faster than the product with the transposed matrix.
        return Operator(lambda x: A @ x, lambda r: r @ A_conj, tuple(A.shape), A, columns)
    # For a batch, A^H @ r itself: (r^T @ conj(A))^T would hand a transposed,
    # non-contiguous array to every elementwise operation after it.
    A_adjoint = xp.matrix_transpose(A_conj)
    return Operator(lambda x: A @ x, lambda r: A_adjoint @ r, tuple(A.shape), A, columns)


@dataclass(frozen=True)
class Options:
    """How to iterate; validated by the public layer."""

    max_iter: int
    tol: float
    check_every: int
    lipschitz: float | None
    accelerate: bool
    restart: bool
    unroll: bool = False


class Steps(NamedTuple):
    """A backend's fused elementwise steps of the iteration (arrayshrink._backends):
    each computes exactly what the generic code at its point of use computes, with
    fewer temporary arrays. For real float32/float64 problems."""

    # softshrink(y - step * gradient, step * lambd): the L1 prox of a gradient step.
    soft_gradient_step: Callable[[Array, Array, Array, float], Array]
    # (||x_new - y||^2, ||y||^2) per column.
    moved: Callable[[Array, Array], tuple[Array, Array]]
    # (x_new + beta' (x_new - x), restarted) with beta' = 0 where restarted.
    extrapolate: Callable[[Array, Array, Array, Array], tuple[Array, Array]]


@dataclass(frozen=True)
class Problem:
    """The data of the problem: the operator, b and the penalty.

    ``real`` is the real dtype of x, ``wide`` the real dtype the certificate
    accumulates in (float64 where the backend has it).
    """

    op: Operator
    b: Array
    penalty: Penalty
    xp: Namespace
    negligible: float  # a relative squared move below this is rounding noise
    real: Any
    wide: Any
    # The backend's stop-gradient: step sizes are decisions, not functions to
    # differentiate (a derivative through the measured curvature is meaningless).
    constant: Callable[[Array], Array] = field(default=lambda a: a)
    steps: Steps | None = None  # the backend's fused steps, or None: the generic code

    @property
    def batched(self) -> bool:
        return bool(self.b.ndim == 2)

    def columns(self, index: Array) -> Problem:
        """The problem restricted to the columns ``index`` of a batch."""
        xp = self.xp
        return replace(
            self, b=take_columns(self.b, index, xp), penalty=columns_of(self.penalty, index, xp)
        )


# Power iterations: the estimate is read every _POWER_CHECK iterations (a round trip on
# lazy arrays) and stops once it moves by less than _POWER_RTOL; as they approach
# ||A||^2 from below, the step takes a margin.
_POWER_CHECK = 10
_POWER_MAX = 200
_POWER_RTOL = 1e-4
_POWER_MARGIN = 1.05


def power_lipschitz(problem: Problem, materialize: Callable[..., tuple[Array, ...]]) -> float:
    """A Lipschitz constant of the gradient of the smooth part, ||A||^2 + ridge, by power
    iterations on A^H A (times a margin), for a fixed step where backtracking would
    read values at every iteration (lazy arrays). ``materialize`` keeps the iterates.

    NaN where A holds NaN (the solve then gives NaN, never a certificate); a zero A
    gives the ridge, or 1.
    """
    xp, op = problem.xp, problem.op
    n = op.shape[1]
    # A fixed start with no structure, so no singular vector of a real A is likely
    # orthogonal to it (a constant vector is, for A with zero-mean rows).
    angles = xp.arange(n, dtype=problem.real, device=device_of(problem.b)) * 2.399963229728653
    v = xp.astype(xp.cos(angles) + 0.5 * xp.sin(3 * angles + 1), problem.b.dtype)
    v = v / xp.sqrt(sq_norm(v, xp))
    estimate = math.inf
    for count in range(1, _POWER_MAX + 1):
        w = op.adjoint(op.forward(v))
        norm = xp.sqrt(sq_norm(w, xp))
        v = w / xp.where(norm > 0, norm, xp.ones_like(norm))
        if count % _POWER_CHECK:
            continue
        v, norm = materialize(v, norm)
        previous, estimate = estimate, float(norm)
        if not math.isfinite(estimate) or abs(estimate - previous) <= _POWER_RTOL * estimate:
            break
    ridge = float(problem.penalty.ridge)
    if estimate == 0:
        return ridge if ridge > 0 else 1.0
    return _POWER_MARGIN * estimate + ridge


class Check(NamedTuple):
    """The certificate at a check point, per column."""

    objective: Array
    gap: Array
    converged: Array
    n_iter: Array


def certify(
    problem: Problem,
    x: Array,
    Ax: Array,
    tol: float,
    n_iter: Array | int,
    step: Array | None = None,
    *,
    adjoint: Callable[[Array], Array] | None = None,
) -> Check:
    """The objective and the relative certificate of x, per column.

    The penalty gives the duality gap (every term >= 0, accumulated in
    ``problem.wide``), or for coefficients without a dual point their relative
    optimality residual, which must meet ``tol`` too. A column converges when its
    objective and gap are finite and the gap meets ``tol`` relatively, or absolutely
    against P(0) = ||b||^2 / 2 (so that exact fits converge). ``step`` is the
    iteration's step per column, for penalties certified by a fixed-point residual.
    ``adjoint``: the adjoint product the gap uses, where a caller keeps what it
    computes (default: the problem's).
    """
    xp = problem.xp
    adjoint = problem.op.adjoint if adjoint is None else adjoint
    dual = DualData(problem.b - Ax, adjoint, problem.b, problem.wide, xp, step)
    x_w = dual.widen(x)
    primal = 0.5 * sq_norm(dual.widen(dual.rho), xp) + problem.penalty.value(x_w, dual)
    gap, residual = problem.penalty.gap(x_w, dual)

    b_w = dual.widen(problem.b)
    half_b = 0.5 * sq_norm(b_w, xp)
    # Squares of data near the smallest float underflow to 0 and would certify anything.
    finite = xp.isfinite(primal) & xp.isfinite(gap) & ~((half_b == 0) & xp.any(b_w != 0, axis=0))
    relative = ratio(gap, primal, xp)
    met = (gap <= tol * primal) | (gap <= tol * half_b)
    if residual is not None:
        relative = xp.maximum(relative, residual)
        met = met & (residual <= tol)
    relative = xp.where(finite, relative, xp.full_like(relative, math.nan))
    real = problem.real
    n_iter = n_iter + xp.zeros(primal.shape, dtype=index_dtype(xp), device=device_of(primal))
    return Check(
        *(
            as_array(v, xp)
            for v in (xp.astype(primal, real), xp.astype(relative, real), finite & met, n_iter)
        )
    )


def certify_correlated(
    problem: Problem, x: Array, Ax: Array, tol: float, n_iter: Array | int
) -> tuple[Check, Array]:
    """The certificate of x (see :func:`certify`) and c = A^H rho (rho = b - A x), the
    product the gap computes, kept for screening and working sets: for penalties whose
    dual point is rho itself (no unpenalised coefficients), the gap's first adjoint
    product is that one."""
    kept: list[Array] = []

    def adjoint(r: Array) -> Array:
        out = problem.op.adjoint(r)
        kept.append(out)
        return out

    check = certify(problem, x, Ax, tol, n_iter, adjoint=adjoint)
    return check, kept[0]


class Iterate(NamedTuple):
    """The state of the iteration (a NamedTuple: JAX's loops carry it as a pytree)."""

    x: Array
    Ax: Array
    y: Array
    Ay: Array
    step: Array
    momentum: Array

    def columns(self, index: Array, xp: Namespace) -> Iterate:
        return Iterate(*(take_columns(v, index, xp) for v in self))


def start(problem: Problem, x0: Array, options: Options) -> Iterate:
    """The first iterate: x0, and a first step."""
    xp, op = problem.xp, problem.op
    Ax = op.forward(x0)
    per_column = sq_norm(x0, xp)
    if options.lipschitz is not None:
        step = xp.full_like(per_column, 1.0 / options.lipschitz)
    else:
        # 1 / (curvature along the first gradient): never below 1/L; backtracking fixes it.
        ridge = problem.penalty.ridge
        g = op.adjoint(Ax - problem.b) + ridge * x0
        g_norm = sq_norm(g, xp)
        curvature = sq_norm(op.forward(g), xp) + ridge * g_norm
        usable = (curvature > 0) & (g_norm > 0)
        step = problem.constant(xp.where(usable, g_norm / xp.where(usable, curvature, 1.0), 1.0))
    return Iterate(x0, Ax, x0, Ax, step, xp.ones_like(per_column))


# --- one iteration ------------------------------------------------------------------

Backtrack = Callable[[Problem, Iterate, Array], tuple[Array, Array, Array]]


def _candidate(problem: Problem, y: Array, gradient: Array, step: Array) -> tuple[Array, Array]:
    """The proximal-gradient point from y with ``step``, and its image under A."""
    lambd = _plain_l1_threshold(problem.penalty)
    if problem.steps is not None and lambd is not None:
        x_new = problem.steps.soft_gradient_step(y, gradient, step, lambd)
    else:
        x_new = problem.penalty.prox(y - step * gradient, step)
    return x_new, problem.op.forward(x_new)


def _plain_l1_threshold(penalty: Penalty) -> float | None:
    """lambd of the plain L1 penalty with one threshold (its prox is softshrink with
    step * lambd), else None."""
    if type(penalty) is L1 and isinstance(penalty.lambd, float):
        return penalty.lambd
    return None


def _too_long(
    problem: Problem, y: Array, Ay: Array, x_new: Array, Ax_new: Array, step: Array
) -> tuple[Array, Array]:
    """Per column: whether the step fails the sufficient decrease of the smooth part,
    ||A d||^2 + ridge ||d||^2 <= ||d||^2 / step for d = x_new - y; and the shorter
    step to try where it fails: a fraction of the inverse curvature measured along d."""
    xp = problem.xp
    if problem.steps is not None:
        d_norm, y_norm = problem.steps.moved(x_new, y)
    else:
        d_norm, y_norm = sq_norm(x_new - y, xp), sq_norm(y, xp)
    curvature = sq_norm(Ax_new - Ay, xp)
    if problem.penalty.ridge:
        curvature = curvature + problem.penalty.ridge * d_norm
    too_long = curvature * step > d_norm * (1 + 1e-9)
    # A move at the rounding level of y says nothing about the step: without this,
    # rounding noise in ||A d|| would halve the step of a converged column forever.
    too_long = too_long & (d_norm > problem.negligible * y_norm)
    measured = d_norm / xp.where(too_long, curvature, 1.0)
    shorter = xp.where(too_long, xp.minimum(_STEP_SHRINK * step, _STEP_MARGIN * measured), step)
    return too_long, problem.constant(shorter)


def fixed_step(problem: Problem, it: Iterate, gradient: Array) -> tuple[Array, Array, Array]:
    """No backtracking: the step 1/lipschitz."""
    return (*_candidate(problem, it.y, gradient, it.step), it.step)


def backtrack_masked(loops: Loops) -> Backtrack:
    """Backtracking that recomputes every column while any needs a shorter step:
    branch-free, so that it runs in a backend's traced loop or on lazy arrays."""

    def backtrack(problem: Problem, it: Iterate, gradient: Array) -> tuple[Array, Array, Array]:
        xp = problem.xp
        x_new, Ax_new = _candidate(problem, it.y, gradient, it.step)
        too_long, shorter = _too_long(problem, it.y, it.Ay, x_new, Ax_new, it.step)

        def cond(state: tuple[Array, ...]) -> Array:
            return xp.any(state[3]) & (state[5] < _MAX_HALVINGS)

        def body(state: tuple[Array, ...]) -> tuple[Array, ...]:
            x_new, Ax_new, _, too_long, step, halvings = state
            x_try, Ax_try = _candidate(problem, it.y, gradient, step)
            retry, shorter = _too_long(problem, it.y, it.Ay, x_try, Ax_try, step)
            x_new = xp.where(too_long, x_try, x_new)
            Ax_new = xp.where(too_long, Ax_try, Ax_new)
            return x_new, Ax_new, step, too_long & retry, shorter, halvings + 1

        halvings = xp.zeros((), dtype=index_dtype(xp), device=device_of(it.step))
        state = (x_new, Ax_new, it.step, too_long, shorter, halvings)
        state = loops.while_loop(cond, body, state)
        return state[0], state[1], state[2]

    return backtrack


def backtrack_columns(problem: Problem, it: Iterate, gradient: Array) -> tuple[Array, Array, Array]:
    """Backtracking on eager arrays: each retry recomputes only the columns that need it
    (in a batch of many signals, a few columns fail at almost every iteration)."""
    xp = problem.xp
    x_new, Ax_new = _candidate(problem, it.y, gradient, it.step)
    too_long, shorter = _too_long(problem, it.y, it.Ay, x_new, Ax_new, it.step)
    step = it.step
    # The candidates are this iteration's own arrays where the prox and the products
    # are arrayshrink's: retried columns may be written into them in place.
    owned = _own_candidates(problem)
    for _ in range(_MAX_HALVINGS):
        if not bool(xp.any(too_long)):
            break
        step = shorter
        if not problem.batched:
            x_new, Ax_new = _candidate(problem, it.y, gradient, step)
            too_long, shorter = _too_long(problem, it.y, it.Ay, x_new, Ax_new, step)
            continue
        index = xp.nonzero(too_long)[0]
        part = problem.columns(index)
        y, Ay = take_columns(it.y, index, xp), take_columns(it.Ay, index, xp)
        part_step = take_columns(step, index, xp)
        x_try, Ax_try = _candidate(part, y, take_columns(gradient, index, xp), part_step)
        retry, part_shorter = _too_long(part, y, Ay, x_try, Ax_try, part_step)
        position = positions(too_long, xp)
        x_new = replace_columns(x_new, too_long, x_try, position, index, xp, owned=owned)
        Ax_new = replace_columns(Ax_new, too_long, Ax_try, position, index, xp, owned=owned)
        shorter = put_columns(step, too_long, part_shorter, position, xp)
        too_long = put_columns(xp.zeros_like(too_long), too_long, retry, position, xp)
    return x_new, Ax_new, step


def _own_candidates(problem: Problem) -> bool:
    """Whether _candidate's results are new arrays no one else holds: a matrix A
    (dense or sparse, not a user's LinearOperator) and a built-in penalty (not a
    user's prox, which may return an array it keeps)."""
    return problem.op.columns is not None and not isinstance(problem.penalty, UserProx)


def iteration(problem: Problem, it: Iterate, options: Options, backtrack: Backtrack) -> Iterate:
    """One proximal-gradient step from y, then FISTA's momentum (or none: ISTA)."""
    xp = problem.xp
    gradient = problem.op.adjoint(it.Ay - problem.b)
    if problem.penalty.ridge:  # a Python float: no pass over y for the plain Lasso
        gradient = gradient + problem.penalty.ridge * it.y
    x_new, Ax_new, step = backtrack(problem, it, gradient)
    if options.accelerate:
        momentum = (1 + xp.sqrt(1 + 4 * it.momentum**2)) / 2
        beta = (it.momentum - 1) / momentum
        if options.restart and problem.steps is not None:
            y, against = problem.steps.extrapolate(x_new, it.x, it.y, beta)
            momentum = xp.where(against, 1.0, momentum)
            beta = xp.where(against, 0.0, beta)
        else:
            move = x_new - it.x
            if options.restart:
                # O'Donoghue and Candes: restart where the step goes against the momentum.
                against = real_dot(it.y - x_new, move, xp) > 0
                momentum = xp.where(against, 1.0, momentum)
                beta = xp.where(against, 0.0, beta)
            y = x_new + beta * move
        Ay = Ax_new + beta * (Ax_new - it.Ax)
    else:
        momentum, y, Ay = it.momentum, x_new, Ax_new
    if options.lipschitz is None:
        step = step * _STEP_GROWTH
    return Iterate(x_new, Ax_new, y, Ay, step, momentum)

"""Proximal-gradient Lasso solvers (ISTA, FISTA) in pure Array API code.

Problem: minimize over x   1/2 ||A x - b||^2 + l2/2 ||x||^2 + sum_j lambd_j |x_j|
for b of shape (m,) or (m, k) (k independent problems), x of shape (n,) or (n, k).
Every quantity "per column" has the batch shape b.shape[1:]: () or (k,).
See arrayshrink.fista for the full contract; inputs here are already validated.

Three drivers share one iteration and one certificate:
- eager arrays: a Python loop; a backtracking retry recomputes only the columns that
  need it, and settled columns (converged, or with a non-finite objective) leave the
  batch at check points;
- lazy arrays (Dask), and JAX arrays outside a trace (where every new shape compiles):
  a Python loop over whole batches; Dask's iterates are persisted each time;
- traced arrays (inside jax.jit or jax.grad): the backend's own loops (``Loops``); a
  large batch moves its settled columns aside and runs the rest at a smaller static
  size once they fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, NamedTuple

from arrayshrink._agnostic._loops import PYTHON_LOOPS, Loops
from arrayshrink._agnostic._result import LassoResult
from arrayshrink._agnostic._formulas import softshrink

__all__ = ["LassoResult", "Loops", "Operator", "Options", "Problem", "lambda_max", "solve"]

Array = Any
Monitor = Callable[[int, "_Check"], None]

_STEP_GROWTH = 1.25  # the step may grow again after a successful iteration
_STEP_SHRINK = 0.5  # backtracking: halve the step until the sufficient decrease holds
_STEP_MARGIN = 0.9  # ... or go straight below the inverse curvature measured, if shorter
_MAX_HALVINGS = 60  # a safety net: 2**-60 of a step is no step at all


@dataclass(frozen=True)
class Operator:
    """A linear map given by its forward and adjoint products, and its shape (m, n)."""

    forward: Callable[[Array], Array]
    adjoint: Callable[[Array], Array]
    shape: tuple[int, int]


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


def _sq_norm(v: Array, xp: ModuleType) -> Array:
    """Squared Euclidean norm of each column (of the whole vector when 1-d)."""
    if xp.isdtype(v.dtype, "complex floating"):
        re, im = xp.real(v), xp.imag(v)
        return xp.sum(re * re + im * im, axis=0)
    return xp.sum(v * v, axis=0)


def _real_dot(u: Array, v: Array, xp: ModuleType) -> Array:
    """Re <u, v> per column."""
    if xp.isdtype(u.dtype, "complex floating"):
        return xp.sum(xp.real(u) * xp.real(v) + xp.imag(u) * xp.imag(v), axis=0)
    return xp.sum(u * v, axis=0)


def lambda_max(op: Operator, b: Array, *, xp: ModuleType) -> Array:
    """max_j |A^H b|_j per column: the smallest lambd for which x = 0 is optimal."""
    return xp.max(xp.abs(op.adjoint(b)), axis=0)


def _prox(v: Array, threshold: Array, positive: bool, xp: ModuleType) -> Array:
    """The prox of threshold * ||.||_1, plus the constraint x >= 0 when positive."""
    if positive:
        return xp.clip(v - threshold, min=0.0)
    return softshrink(v, threshold, xp=xp)


def _take_columns(v: Array, index: Array, xp: ModuleType) -> Array:
    """The columns ``index`` of a per-column vector (k,) or a matrix (n, k)."""
    return xp.take(v, index, axis=v.ndim - 1)


def _positions(mask: Array, xp: ModuleType) -> Array:
    """For each column, its position among the columns where ``mask`` holds."""
    return xp.clip(xp.cumulative_sum(xp.astype(mask, _index_dtype(xp))) - 1, min=0)


def _put_columns(full: Array, mask: Array, part: Array, position: Array, xp: ModuleType) -> Array:
    """``full`` with its columns where ``mask`` replaced, in order, by those of ``part``
    (``position`` from _positions(mask)). Take and where, not item assignment, which
    JAX arrays lack."""
    return xp.where(mask, _take_columns(part, position, xp), full)


def _index_dtype(xp: ModuleType) -> Any:
    return xp.__array_namespace_info__().default_dtypes()["indexing"]


@dataclass(frozen=True)
class Problem:
    """The data of the Lasso problem; ``lambd`` is a number or an array of x's ndim.

    ``wide`` is the real dtype the certificate accumulates in (float64 where the
    backend has it), ``real`` the real dtype of x; ``free`` tells whether some
    coefficients are unpenalised (lambd_j = 0) with l2 = 0: True, False, or None when
    the values of lambd cannot be read (traced), in which case both cases are covered.
    """

    op: Operator
    b: Array
    lambd: Any
    l2: float
    positive: bool
    xp: ModuleType
    negligible: float  # a relative squared move below this is rounding noise
    real: Any
    wide: Any
    free: bool | None
    # The backend's stop-gradient: step sizes are decisions, not functions to
    # differentiate (a derivative through the measured curvature is meaningless).
    constant: Callable[[Array], Array] = field(default=lambda a: a)
    # With unpenalised coefficients (free, l2 = 0) of a matrix A: an orthonormal basis
    # of the span of their columns, off which the dual point is projected (else None).
    free_basis: Array | None = None

    @property
    def batched(self) -> bool:
        return bool(self.b.ndim == 2)

    def columns(self, index: Array) -> Problem:
        """The problem restricted to the columns ``index`` of a batch."""
        xp, lambd = self.xp, self.lambd
        if not isinstance(lambd, float) and lambd.shape[-1] != 1:
            lambd = _take_columns(lambd, index, xp)
        return replace(self, b=_take_columns(self.b, index, xp), lambd=lambd)


class _Check(NamedTuple):
    """The certificate at a check point, per column."""

    objective: Array
    gap: Array
    converged: Array
    n_iter: Array


def _widen(v: Array, problem: Problem) -> Array:
    """``v`` in the accumulation precision (its complex counterpart for complex v)."""
    xp, wide = problem.xp, problem.wide
    if xp.isdtype(v.dtype, "complex floating"):
        wide = xp.complex128 if wide == xp.float64 else xp.complex64
    return xp.astype(v, wide, copy=False)


def _real_product(u: Array, v: Array, xp: ModuleType) -> Array:
    """Re(conj(u) v), elementwise."""
    if xp.isdtype(u.dtype, "complex floating"):
        return xp.real(u) * xp.real(v) + xp.imag(u) * xp.imag(v)
    return u * v


def _magnitude(v: Array, positive: bool, xp: ModuleType) -> Array:
    """|v|, or its positive part where x >= 0 is imposed (only v_j > 0 binds then)."""
    return xp.clip(v, min=0.0) if positive else xp.abs(v)


def _ratio(num: Array, den: Array, xp: ModuleType) -> Array:
    """num / den for num, den >= 0, with 0/0 = 0 and num/0 = inf."""
    positive = den > 0
    zero_or_inf = xp.where(num > 0, xp.full_like(num, math.inf), xp.zeros_like(num))
    return xp.where(positive, num / xp.where(positive, den, xp.ones_like(den)), zero_or_inf)


def _certify(problem: Problem, x: Array, Ax: Array, tol: float, n_iter: Array | int) -> _Check:
    """The objective and the relative certificate of x, per column.

    The duality gap is written as a sum of terms that are each >= 0 in exact
    arithmetic (clipped at 0 against rounding), so that it cannot cancel or go
    negative; it is accumulated in ``problem.wide``. With rho = b - Ax, c = A^H rho:
    - the dual point s * rho, rescaled into the feasible set (|c_j - l2 x_j| <= s lambd_j):
      P - D = 1/2 (1 - s)^2 (||rho||^2 + l2 ||x||^2) + sum_j (lambd_j |x_j| - s Re(c'_j* x_j));
    - with l2 > 0 also the elastic-net dual at rho itself, which needs no rescaling and
      exists for lambd_j = 0 (Fenchel-Young terms g(x_j) + g*(c_j) - Re(c_j* x_j));
      the smaller of the two gaps is kept, both being valid bounds;
    - with l2 = 0 and unpenalised coefficients F of a matrix A, the dual point must be
      orthogonal to their columns: theta = rho - w, w the projection of rho onto their
      span, and P - D = 1/2 ||w||^2 + 1/2 (1 - s)^2 ||theta||^2 + sum_{j not in F} (...);
    - with unpenalised coefficients of an operator, or a pattern that differs between
      columns, no dual point is at hand: the gap is taken over the penalised
      coefficients and the others must have a small gradient, |c_j| <= tol *
      max_i |(A^H b)_i| (the relative optimality residual, not a bound).
    """
    xp = problem.xp
    rho = problem.b - Ax
    basis = problem.free_basis
    if basis is None:
        dual_rho, projected = rho, 0.0
    else:
        # The dual point must be orthogonal to the free columns: rho minus its projection.
        onto = basis @ (xp.conj(xp.matrix_transpose(basis)) @ rho)
        dual_rho, projected = rho - onto, _sq_norm(_widen(onto, problem), xp)
    c = _widen(problem.op.adjoint(dual_rho), problem)
    x_w, rho_w = _widen(x, problem), _widen(rho, problem)
    lambd = problem.lambd
    if not isinstance(lambd, float):
        lambd = xp.astype(lambd, problem.wide)
    l2 = problem.l2
    abs_x = xp.abs(x_w)
    quadratic = _sq_norm(rho_w, xp) + l2 * _sq_norm(x_w, xp)
    penalty = lambd * abs_x
    primal = 0.5 * quadratic + xp.sum(penalty, axis=0)

    correlation = c - l2 * x_w if l2 else c
    magnitude = _magnitude(correlation, problem.positive, xp)
    free = _free_mask(problem, lambd, magnitude, xp)
    ratio = _ratio(magnitude, lambd + xp.zeros_like(magnitude), xp)
    if free is not None:
        ratio = xp.where(free, xp.zeros_like(ratio), ratio)  # they carry no constraint
    worst = xp.max(ratio, axis=0)
    s = 1.0 / xp.maximum(worst, xp.ones_like(worst))
    terms = xp.clip(penalty - s * _real_product(correlation, x_w, xp), min=0.0)
    if free is not None:
        terms = xp.where(free, xp.zeros_like(terms), terms)
    dual_quadratic = quadratic if basis is None else _sq_norm(_widen(dual_rho, problem), xp)
    gap = 0.5 * projected + 0.5 * (1.0 - s) ** 2 * dual_quadratic + xp.sum(terms, axis=0)
    if l2:
        excess = xp.clip(_magnitude(c, problem.positive, xp) - lambd, min=0.0)
        fenchel_young = (
            0.5 * l2 * abs_x**2 + penalty - _real_product(c, x_w, xp) + excess**2 / (2.0 * l2)
        )
        gap = xp.minimum(gap, xp.sum(xp.clip(fenchel_young, min=0.0), axis=0))

    b_w = _widen(problem.b, problem)
    half_b = 0.5 * _sq_norm(b_w, xp)
    # Squares of data near the smallest float underflow to 0 and would certify anything.
    finite = xp.isfinite(primal) & xp.isfinite(gap) & ~((half_b == 0) & xp.any(b_w != 0, axis=0))
    relative = _ratio(gap, primal, xp)
    # Relatively, or absolutely against P(0) = ||b||^2 / 2, so that exact fits converge.
    met = (gap <= tol * primal) | (gap <= tol * half_b)
    if free is not None and basis is None:
        residual = _free_residual(problem, c, x_w, free, xp)
        relative = xp.maximum(relative, residual)
        met = met & (residual <= tol)
    relative = xp.where(finite, relative, xp.full_like(relative, math.nan))
    converged = finite & met
    real = problem.real
    return _Check(
        xp.astype(primal, real),
        xp.astype(relative, real),
        converged,
        n_iter + xp.zeros(primal.shape, dtype=_index_dtype(xp), device=_device(primal)),
    )


def _free_mask(problem: Problem, lambd: Any, like: Array, xp: ModuleType) -> Array | None:
    """Where the coefficients are unpenalised with l2 = 0 (None: nowhere)."""
    if problem.free is False or problem.l2:
        return None
    if isinstance(lambd, float):
        return xp.ones_like(like, dtype=xp.bool) if lambd == 0 else None
    return (lambd == 0) & xp.ones_like(like, dtype=xp.bool)


def _free_residual(problem: Problem, c: Array, x: Array, free: Array, xp: ModuleType) -> Array:
    """max |gradient| over the unpenalised coefficients, relative to max |A^H b|: the
    gradient's size at x = 0 (with x >= 0 imposed, a negative gradient at x_j = 0 is
    optimal)."""
    gradient = xp.where(x > 0, xp.abs(c), xp.clip(c, min=0.0)) if problem.positive else xp.abs(c)
    gradient = xp.where(free, gradient, xp.zeros_like(gradient))
    scale = xp.abs(_widen(problem.op.adjoint(problem.b), problem))
    return _ratio(xp.max(gradient, axis=0), xp.max(scale, axis=0), xp)


class _Iterate(NamedTuple):
    """The state of the iteration (a NamedTuple: JAX's loops carry it as a pytree)."""

    x: Array
    Ax: Array
    y: Array
    Ay: Array
    step: Array
    momentum: Array

    def columns(self, index: Array, xp: ModuleType) -> _Iterate:
        return _Iterate(*(_take_columns(v, index, xp) for v in self))


def _start(problem: Problem, x0: Array, options: Options) -> _Iterate:
    xp, op = problem.xp, problem.op
    Ax = op.forward(x0)
    per_column = _sq_norm(x0, xp)
    if options.lipschitz is not None:
        step = xp.full_like(per_column, 1.0 / options.lipschitz)
    else:
        # 1 / (curvature along the first gradient): never below 1/L; backtracking fixes it.
        g = op.adjoint(Ax - problem.b) + problem.l2 * x0
        g_norm = _sq_norm(g, xp)
        curvature = _sq_norm(op.forward(g), xp) + problem.l2 * g_norm
        usable = (curvature > 0) & (g_norm > 0)
        step = problem.constant(xp.where(usable, g_norm / xp.where(usable, curvature, 1.0), 1.0))
    return _Iterate(x0, Ax, x0, Ax, step, xp.ones_like(per_column))


# --- one iteration ------------------------------------------------------------------

Backtrack = Callable[[Problem, _Iterate, Array], tuple[Array, Array, Array]]


def _candidate(problem: Problem, y: Array, gradient: Array, step: Array) -> tuple[Array, Array]:
    """The proximal-gradient point from y with ``step``, and its image under A."""
    x_new = _prox(y - step * gradient, step * problem.lambd, problem.positive, problem.xp)
    return x_new, problem.op.forward(x_new)


def _too_long(
    problem: Problem, y: Array, Ay: Array, x_new: Array, Ax_new: Array, step: Array
) -> tuple[Array, Array]:
    """Per column: whether the step fails the sufficient decrease of the quadratic part,
    ||A d||^2 + l2 ||d||^2 <= ||d||^2 / step for d = x_new - y; and the shorter step
    to try where it fails: a fraction of the inverse curvature measured along d."""
    xp = problem.xp
    d_norm = _sq_norm(x_new - y, xp)
    curvature = _sq_norm(Ax_new - Ay, xp) + problem.l2 * d_norm
    too_long = curvature * step > d_norm * (1 + 1e-9)
    # A move at the rounding level of y says nothing about the step: without this,
    # rounding noise in ||A d|| would halve the step of a converged column forever.
    too_long = too_long & (d_norm > problem.negligible * _sq_norm(y, xp))
    measured = d_norm / xp.where(too_long, curvature, 1.0)
    shorter = xp.where(too_long, xp.minimum(_STEP_SHRINK * step, _STEP_MARGIN * measured), step)
    shorter = problem.constant(shorter)
    return too_long, shorter


def _fixed_step(problem: Problem, it: _Iterate, gradient: Array) -> tuple[Array, Array, Array]:
    return (*_candidate(problem, it.y, gradient, it.step), it.step)


def _backtrack_masked(loops: Loops) -> Backtrack:
    """Backtracking that recomputes every column while any needs a shorter step:
    branch-free, so that it runs in a backend's traced loop or on lazy arrays."""

    def backtrack(problem: Problem, it: _Iterate, gradient: Array) -> tuple[Array, Array, Array]:
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

        halvings = xp.zeros((), dtype=_index_dtype(xp), device=_device(it.step))
        state = (x_new, Ax_new, it.step, too_long, shorter, halvings)
        state = loops.while_loop(cond, body, state)
        return state[0], state[1], state[2]

    return backtrack


def _backtrack_columns(
    problem: Problem, it: _Iterate, gradient: Array
) -> tuple[Array, Array, Array]:
    """Backtracking on eager arrays: each retry recomputes only the columns that need it
    (in a batch of many signals, a few columns fail at almost every iteration)."""
    xp = problem.xp
    x_new, Ax_new = _candidate(problem, it.y, gradient, it.step)
    too_long, shorter = _too_long(problem, it.y, it.Ay, x_new, Ax_new, it.step)
    step = it.step
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
        y, Ay = _take_columns(it.y, index, xp), _take_columns(it.Ay, index, xp)
        part_step = _take_columns(step, index, xp)
        x_try, Ax_try = _candidate(part, y, _take_columns(gradient, index, xp), part_step)
        retry, part_shorter = _too_long(part, y, Ay, x_try, Ax_try, part_step)
        position = _positions(too_long, xp)
        x_new = _put_columns(x_new, too_long, x_try, position, xp)
        Ax_new = _put_columns(Ax_new, too_long, Ax_try, position, xp)
        shorter = _put_columns(step, too_long, part_shorter, position, xp)
        too_long = _put_columns(xp.zeros_like(too_long), too_long, retry, position, xp)
    return x_new, Ax_new, step


def _iteration(problem: Problem, it: _Iterate, options: Options, backtrack: Backtrack) -> _Iterate:
    xp = problem.xp
    gradient = problem.op.adjoint(it.Ay - problem.b) + problem.l2 * it.y
    x_new, Ax_new, step = backtrack(problem, it, gradient)
    if options.accelerate:
        momentum = (1 + xp.sqrt(1 + 4 * it.momentum**2)) / 2
        beta = (it.momentum - 1) / momentum
        if options.restart:
            # O'Donoghue and Candes: restart where the step goes against the momentum.
            against = _real_dot(it.y - x_new, x_new - it.x, xp) > 0
            momentum = xp.where(against, 1.0, momentum)
            beta = xp.where(against, 0.0, beta)
        y = x_new + beta * (x_new - it.x)
        Ay = Ax_new + beta * (Ax_new - it.Ax)
    else:
        momentum, y, Ay = it.momentum, x_new, Ax_new
    if options.lipschitz is None:
        step = step * _STEP_GROWTH
    return _Iterate(x_new, Ax_new, y, Ay, step, momentum)


# --- drivers -------------------------------------------------------------------------


def _device(a: Array) -> Any:
    return getattr(a, "device", None)


@dataclass
class _Retired:
    """Columns of a batch that settled and left it, and where they belong."""

    xp: ModuleType
    index: list[Array] = field(default_factory=list)
    x: list[Array] = field(default_factory=list)
    check: list[_Check] = field(default_factory=list)

    def add(self, index: Array, x: Array, check: _Check) -> None:
        self.index.append(index)
        self.x.append(x)
        self.check.append(check)

    def _order(self, index: Array) -> Array:
        return self.xp.argsort(self.xp.concat([*self.index, index]))

    def merge(self, index: Array | None, check: _Check) -> _Check:
        """The certificate of the whole batch, in its order: retired and active columns."""
        if not self.index or index is None:
            return check
        xp, order = self.xp, self._order(index)
        return _Check(
            *(
                xp.take(xp.concat([c[i] for c in (*self.check, check)]), order)
                for i in range(len(check))
            )
        )

    def merge_x(self, index: Array | None, x: Array) -> Array:
        """The solution of the whole batch, in its order."""
        if not self.index or index is None:
            return x
        xp = self.xp
        return _take_columns(xp.concat([*self.x, x], axis=-1), self._order(index), xp)


def _solve_python(
    problem: Problem,
    x0: Array,
    options: Options,
    *,
    split_batches: bool,
    callback: Callable[[LassoResult], Any] | None,
    monitor: Monitor | None,
    history: bool,
    materialize: Callable[..., tuple[Array, ...]],
) -> LassoResult:
    """The Python-loop driver, for eager and for lazy (Dask) arrays; with
    ``split_batches``, a batch's columns are retried and retired apart."""
    xp = problem.xp
    if options.lipschitz is not None:
        backtrack: Backtrack = _fixed_step
    else:
        backtrack = _backtrack_columns if split_batches else _backtrack_masked(PYTHON_LOOPS)
    it = _Iterate(*materialize(*_start(problem, x0, options)))
    records: dict[str, list[Any]] | None = (
        {"iteration": [], "objective": [], "gap": []} if history else None
    )
    # In an eager batch, settled columns retire at check points: the rest iterate on.
    retire = split_batches and problem.batched and not options.unroll
    active = xp.arange(problem.b.shape[1], device=_device(problem.b)) if retire else None
    retired = _Retired(xp)
    check, n_iter = None, 0
    last_it, last_check = it, _unchecked(it, xp)  # where settled columns are kept
    for n_iter in range(1, options.max_iter + 1):
        it = _Iterate(*materialize(*_iteration(problem, it, options, backtrack)))
        if options.unroll or not (n_iter % options.check_every == 0 or n_iter == options.max_iter):
            continue
        active_check = _certify(problem, it.x, it.Ax, options.tol, n_iter)
        if not retire:
            it, active_check = _freeze(last_check, last_it, it, active_check, xp)
            last_it, last_check = it, active_check
        check = retired.merge(active, active_check)
        if records is not None:
            records["iteration"].append(n_iter)
            records["objective"].append(check.objective)
            records["gap"].append(check.gap)
        if monitor is not None:
            monitor(n_iter, check)
        done = bool(xp.all(_settled(check, xp)))
        if callback is not None:
            x = retired.merge_x(active, it.x)
            done = bool(callback(_result(x, check, records))) or done
        if done:
            break
        settled = _settled(active_check, xp)
        if active is not None and bool(xp.any(settled)):
            finished = xp.nonzero(settled)[0]
            retired.add(
                _take_columns(active, finished, xp),
                _take_columns(it.x, finished, xp),
                _Check(*(_take_columns(v, finished, xp) for v in active_check)),
            )
            keep = xp.nonzero(~settled)[0]
            active = _take_columns(active, keep, xp)
            problem = problem.columns(keep)
            it = it.columns(keep, xp)
    if check is None:  # unroll: one certificate, at the end
        check = _certify(problem, it.x, it.Ax, options.tol, n_iter)
    return _result(retired.merge_x(active, it.x), check, records)


def _freeze(
    check: _Check, it: _Iterate, new_it: _Iterate, new_check: _Check, xp: ModuleType
) -> tuple[_Iterate, _Check]:
    """The iterate and certificate after a block of iterations, except that columns
    which had settled (per ``check``) keep ``it`` and ``check``: a certified column
    does not move again (in float32 further iterations can even lose its certificate)."""
    settled = _settled(check, xp)
    return (
        _Iterate(*(xp.where(settled, old, new) for old, new in zip(it, new_it, strict=True))),
        _Check(*(xp.where(settled, old, new) for old, new in zip(check, new_check, strict=True))),
    )


def _settled(check: _Check, xp: ModuleType) -> Array:
    """Columns that need no more iterations: converged, or with a non-finite objective
    (NaN in the data, or a diverging iteration), which no iteration can repair."""
    return check.converged | xp.isnan(check.gap)


def _result(x: Array, check: _Check, history: dict[str, list[Any]] | None = None) -> LassoResult:
    return LassoResult(x, check.gap, check.objective, check.converged, check.n_iter, history)


def _solve_traced(problem: Problem, x0: Array, options: Options, loops: Loops) -> LassoResult:
    """The driver for traced arrays: the backend's loops, in blocks between gap checks."""
    backtrack = _fixed_step if options.lipschitz is not None else _backtrack_masked(loops)
    it = _start(problem, x0, options)
    if options.unroll:
        it = loops.fori_loop(
            options.max_iter, lambda it: _iteration(problem, it, options, backtrack), it
        )
        return _result(it.x, _certify(problem, it.x, it.Ax, options.tol, options.max_iter))
    if problem.batched and problem.b.shape[1] >= _MIN_BUCKETED:
        return _solve_traced_batch(problem, it, options, loops, backtrack)
    xp = problem.xp

    def running(state: tuple[_Iterate, Array, _Check]) -> Array:
        _, n_iter, check = state
        return (n_iter < options.max_iter) & ~xp.all(_settled(check, xp))

    def block(state: tuple[_Iterate, Array, _Check]) -> tuple[_Iterate, Array, _Check]:
        it, n_iter, check = state
        count = xp.minimum(n_iter + options.check_every, options.max_iter) - n_iter
        new = loops.fori_loop(count, lambda it: _iteration(problem, it, options, backtrack), it)
        n_iter = n_iter + count
        new_check = _certify(problem, new.x, new.Ax, options.tol, n_iter)
        it, check = _freeze(check, it, new, new_check, xp)
        return it, n_iter, check

    n_iter = xp.zeros((), dtype=_index_dtype(xp), device=_device(problem.b))
    it, n_iter, check = loops.while_loop(running, block, (it, n_iter, _unchecked(it, xp)))
    return _result(it.x, check)


def _unchecked(it: _Iterate, xp: ModuleType) -> _Check:
    """The certificate before the first check: nothing converged."""
    never = xp.zeros_like(it.step, dtype=xp.bool)
    n_iter = xp.zeros_like(it.step, dtype=_index_dtype(xp))
    return _Check(xp.zeros_like(it.step), xp.full_like(it.step, math.inf), never, n_iter)


# A traced batch of at least _MIN_BUCKETED columns iterates at two static sizes: all
# its columns, then the first k / _BUCKET_RATIO once the others have converged. Each
# size compiles its own copy of the loop (about a second each on a CPU), so two only.
_MIN_BUCKETED = 64
_BUCKET_RATIO = 8


class _Batch(NamedTuple):
    """The loop state of a traced batch; its columns are kept unsettled-first."""

    it: _Iterate
    b: Array
    lambd: Any  # the per-column threshold, or None when it is shared by every column
    order: Array  # the original index of each column
    n_iter: Array
    check: _Check


def _solve_traced_batch(
    problem: Problem, it: _Iterate, options: Options, loops: Loops, backtrack: Backtrack
) -> LassoResult:
    """Static shapes cannot drop settled columns, so the columns still iterating are
    moved to the front at each check point, and the next block runs on the first k/8
    columns once they hold them all; the others keep their certified state."""
    xp, k = problem.xp, problem.b.shape[1]
    per_column = not isinstance(problem.lambd, float) and problem.lambd.shape[-1] != 1
    small = -(-k // _BUCKET_RATIO)

    def block_of(size: int) -> Callable[[tuple[Any, ...]], tuple[_Iterate, _Check]]:
        def block(operand: tuple[Any, ...]) -> tuple[_Iterate, _Check]:
            it, b, lambd, check, count, n_iter = operand
            head = replace(
                problem, b=b[:, :size], lambd=lambd[..., :size] if per_column else problem.lambd
            )
            before = _Iterate(*(v[..., :size] for v in it))
            part = loops.fori_loop(
                count, lambda part: _iteration(head, part, options, backtrack), before
            )
            part_check = _certify(head, part.x, part.Ax, options.tol, n_iter)
            head_check = _Check(*(v[..., :size] for v in check))
            part, part_check = _freeze(head_check, before, part, part_check, xp)
            return (
                _Iterate(*(_join(new, old, size, xp) for new, old in zip(part, it, strict=True))),
                _Check(
                    *(_join(new, old, size, xp) for new, old in zip(part_check, check, strict=True))
                ),
            )

        return block

    blocks = [block_of(k), block_of(small)]

    def running(state: _Batch) -> Array:
        return (state.n_iter < options.max_iter) & ~xp.all(_settled(state.check, xp))

    def step(state: _Batch) -> _Batch:
        # Unsettled columns first (a stable sort keeps the rest in order).
        settled = xp.astype(_settled(state.check, xp), _index_dtype(xp))
        first = xp.argsort(settled, stable=True)
        it = state.it.columns(first, xp)
        b = _take_columns(state.b, first, xp)
        lambd = _take_columns(state.lambd, first, xp) if per_column else None
        check = _Check(*(_take_columns(v, first, xp) for v in state.check))
        active = k - xp.sum(settled)
        fits = xp.astype(active <= small, _index_dtype(xp))  # 1: run the small block
        count = xp.minimum(state.n_iter + options.check_every, options.max_iter) - state.n_iter
        n_iter = state.n_iter + count
        it, check = loops.switch(fits, blocks, (it, b, lambd, check, count, n_iter))
        order = _take_columns(state.order, first, xp)
        return _Batch(it, b, lambd, order, n_iter, check)

    order = xp.arange(k, dtype=_index_dtype(xp), device=_device(problem.b))
    n_iter = xp.zeros((), dtype=_index_dtype(xp), device=_device(problem.b))
    lambd = problem.lambd if per_column else None
    state = _Batch(it, problem.b, lambd, order, n_iter, _unchecked(it, xp))
    state = loops.while_loop(running, step, state)
    back = xp.argsort(state.order)
    check = _Check(*(_take_columns(v, back, xp) for v in state.check))
    return _result(_take_columns(state.it.x, back, xp), check)


def _join(head: Array, whole: Array, size: int, xp: ModuleType) -> Array:
    """``whole`` with its first ``size`` columns replaced by ``head``."""
    return xp.concat([head, whole[..., size:]], axis=-1)


def solve(
    problem: Problem,
    x0: Array,
    options: Options,
    *,
    loops: Loops | None,
    split_batches: bool,
    callback: Callable[[LassoResult], Any] | None,
    monitor: Monitor | None,
    history: bool,
    materialize: Callable[..., tuple[Array, ...]],
) -> LassoResult:
    """ISTA (accelerate=False) or FISTA, with per-column steps, restart and gaps.

    ``loops``: the backend's loops when the arrays are traced, else None.
    ``split_batches``: whether a batch's columns may be computed apart (eager arrays of
    a backend where new shapes cost nothing to compile).
    ``monitor(n_iter, check)``: called at each check point of a Python-loop driver.
    """
    if loops is not None:
        return _solve_traced(problem, x0, options, loops)
    return _solve_python(
        problem,
        x0,
        options,
        split_batches=split_batches,
        callback=callback,
        monitor=monitor,
        history=history,
        materialize=materialize,
    )

"""The drivers: the loops that run the iterations of a solve, and its result.

Three drivers share one iteration and one certificate (arrayshrink._agnostic._lasso):
- eager arrays: a Python loop; a backtracking retry recomputes only the columns that
  need it, and settled columns (converged, or with a non-finite objective) leave the
  batch at check points;
- lazy arrays (Dask), and JAX arrays outside a trace (where every new shape compiles):
  a Python loop over whole batches; Dask's iterates and certificate are persisted
  together at each check point (its steps are fixed, so nothing is read in between);
- traced arrays (inside jax.jit or jax.grad): the backend's own loops (``Loops``); a
  large batch moves its settled columns aside and runs the rest at a smaller static
  size once they fit.

``solve`` is the internal solve: no validation, any penalty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from arrayshrink._agnostic import _working_set
from arrayshrink._agnostic._columns import device_of, index_dtype, take_columns
from arrayshrink._agnostic._lasso import (
    Backtrack,
    Check,
    Iterate,
    Options,
    Problem,
    backtrack_columns,
    backtrack_masked,
    certify,
    fixed_step,
    iteration,
    start,
)
from arrayshrink._agnostic._loops import PYTHON_LOOPS, Loops
from arrayshrink._agnostic._penalties import first_columns
from arrayshrink._agnostic._result import LassoResult
from arrayshrink._lib._typing import Array, Namespace

__all__ = ["Hooks", "Monitor", "as_they_are", "solve"]

Monitor = Callable[[int, Check], None]

# A traced batch of at least _MIN_BUCKETED columns iterates at two static sizes: all
# its columns, then the first k / _BUCKET_RATIO once the others have converged. Each
# size compiles its own copy of the loop (about a second each on a CPU), so two only.
_MIN_BUCKETED = 64
_BUCKET_RATIO = 8


def as_they_are(*arrays: Array) -> tuple[Array, ...]:
    """Iterates kept as they are (eager arrays); Dask's are persisted instead."""
    return arrays


@dataclass(frozen=True)
class Hooks:
    """What the Python-loop driver does besides iterating.

    ``split_batches``: whether a batch's columns may be computed apart (eager arrays of
    a backend where new shapes cost nothing to compile). ``callback(result)`` at each
    check point stops the solve when it returns True; ``monitor(n_iter, check)`` is
    told each check point; ``history`` keeps the certificates of the check points;
    ``materialize(*arrays)`` keeps the iterates (Dask persists them).
    """

    split_batches: bool = False
    callback: Callable[[LassoResult[Array]], bool] | None = None
    monitor: Monitor | None = None
    history: bool = False
    materialize: Callable[..., tuple[Array, ...]] = as_they_are


@dataclass
class _Retired:
    """Columns of a batch that settled and left it, and where they belong."""

    xp: Namespace
    index: list[Array] = field(default_factory=list)
    x: list[Array] = field(default_factory=list)
    check: list[Check] = field(default_factory=list)

    def add(self, index: Array, x: Array, check: Check) -> None:
        self.index.append(index)
        self.x.append(x)
        self.check.append(check)

    def _order(self, index: Array) -> Array:
        return self.xp.argsort(self.xp.concat([*self.index, index]))

    def merge(self, index: Array | None, check: Check) -> Check:
        """The certificate of the whole batch, in its order: retired and active columns."""
        if not self.index or index is None:
            return check
        xp, order = self.xp, self._order(index)
        return Check(
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
        return take_columns(xp.concat([*self.x, x], axis=-1), self._order(index), xp)


def _settled(check: Check, xp: Namespace) -> Array:
    """Columns that need no more iterations: converged, or with a non-finite objective
    (NaN in the data, or a diverging iteration), which no iteration can repair."""
    return check.converged | xp.isnan(check.gap)


def _freeze(
    check: Check, it: Iterate, new_it: Iterate, new_check: Check, xp: Namespace
) -> tuple[Iterate, Check]:
    """The iterate and certificate after a block of iterations, except that columns
    which had settled (per ``check``) keep ``it`` and ``check``: a certified column
    does not move again (in float32 further iterations can even lose its certificate)."""
    settled = _settled(check, xp)
    return (
        Iterate(*(xp.where(settled, old, new) for old, new in zip(it, new_it, strict=True))),
        Check(*(xp.where(settled, old, new) for old, new in zip(check, new_check, strict=True))),
    )


def _result(
    x: Array, check: Check, history: dict[str, list[Any]] | None = None
) -> LassoResult[Array]:
    return LassoResult(x, check.gap, check.objective, check.converged, check.n_iter, history)


def _unchecked(it: Iterate, xp: Namespace) -> Check:
    """The certificate before the first check: nothing converged."""
    never = xp.zeros_like(it.step, dtype=xp.bool)
    n_iter = xp.zeros_like(it.step, dtype=index_dtype(xp))
    return Check(xp.zeros_like(it.step), xp.full_like(it.step, math.inf), never, n_iter)


def _solve_python(
    problem: Problem, x0: Array, options: Options, hooks: Hooks
) -> LassoResult[Array]:
    """The Python-loop driver, for eager and for lazy (Dask) arrays; with
    ``hooks.split_batches``, a batch's columns are retried and retired apart."""
    xp = problem.xp
    split_batches, callback, monitor = hooks.split_batches, hooks.callback, hooks.monitor
    history, materialize = hooks.history, hooks.materialize
    if options.lipschitz is not None:
        backtrack: Backtrack = fixed_step
    else:
        backtrack = backtrack_columns if split_batches else backtrack_masked(PYTHON_LOOPS)
    it = Iterate(*materialize(*start(problem, x0, options)))
    records: dict[str, list[Any]] | None = (
        {"iteration": [], "objective": [], "gap": []} if history else None
    )
    # In an eager batch, settled columns retire at check points: the rest iterate on.
    retire = split_batches and problem.batched and not options.unroll
    active = xp.arange(problem.b.shape[1], device=device_of(problem.b)) if retire else None
    retired = _Retired(xp)
    check, n_iter = None, 0
    last_it, last_check = it, _unchecked(it, xp)  # where settled columns are kept
    for n_iter in range(1, options.max_iter + 1):
        it = iteration(problem, it, options, backtrack)
        if not (n_iter % options.check_every == 0 or n_iter == options.max_iter):
            continue
        if options.unroll:
            it = Iterate(*materialize(*it))
            continue
        active_check = certify(problem, it.x, it.Ax, options.tol, n_iter, it.step)
        if not retire:
            it, active_check = _freeze(last_check, last_it, it, active_check, xp)
        # Lazy iterates and their certificate are kept together, once per check point:
        # later graphs start from them, and no task is submitted twice.
        kept = materialize(*it, *active_check)
        it, active_check = Iterate(*kept[: len(it)]), Check(*kept[len(it) :])
        if not retire:
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
                take_columns(active, finished, xp),
                take_columns(it.x, finished, xp),
                Check(*(take_columns(v, finished, xp) for v in active_check)),
            )
            keep = xp.nonzero(~settled)[0]
            active = take_columns(active, keep, xp)
            problem = problem.columns(keep)
            it = it.columns(keep, xp)
    if check is None:  # unroll: one certificate, at the end
        check = certify(problem, it.x, it.Ax, options.tol, n_iter, it.step)
    return _result(retired.merge_x(active, it.x), check, records)


class _Batch(NamedTuple):
    """The loop state of a traced batch; its columns are kept unsettled-first."""

    it: Iterate
    b: Array
    weights: Any  # the penalty's per-column weights, or None when shared by all columns
    order: Array  # the original index of each column
    n_iter: Array
    check: Check


def _join(head: Array, whole: Array, size: int, xp: Namespace) -> Array:
    """``whole`` with its first ``size`` columns replaced by ``head``."""
    return xp.concat([head, whole[..., size:]], axis=-1)


def _solve_traced_batch(
    problem: Problem, it: Iterate, options: Options, loops: Loops, backtrack: Backtrack
) -> LassoResult[Array]:
    """Static shapes cannot drop settled columns, so the columns still iterating are
    moved to the front at each check point, and the next block runs on the first k/8
    columns once they hold them all; the others keep their certified state."""
    xp, k = problem.xp, problem.b.shape[1]
    per_column = problem.penalty.per_column is not None
    small = -(-k // _BUCKET_RATIO)

    def block_of(size: int) -> Callable[[tuple[Any, ...]], tuple[Iterate, Check]]:
        def block(operand: tuple[Any, ...]) -> tuple[Iterate, Check]:
            it, b, weights, check, count, n_iter = operand
            penalty = problem.penalty.with_per_column(weights) if per_column else problem.penalty
            head = replace(problem, b=b[:, :size], penalty=first_columns(penalty, size))
            before = Iterate(*(v[..., :size] for v in it))
            part = loops.fori_loop(
                count, lambda part: iteration(head, part, options, backtrack), before
            )
            part_check = certify(head, part.x, part.Ax, options.tol, n_iter, part.step)
            head_check = Check(*(v[..., :size] for v in check))
            part, part_check = _freeze(head_check, before, part, part_check, xp)
            return (
                Iterate(*(_join(new, old, size, xp) for new, old in zip(part, it, strict=True))),
                Check(
                    *(_join(new, old, size, xp) for new, old in zip(part_check, check, strict=True))
                ),
            )

        return block

    blocks = [block_of(k), block_of(small)]

    def running(state: _Batch) -> Array:
        return (state.n_iter < options.max_iter) & ~xp.all(_settled(state.check, xp))

    def step(state: _Batch) -> _Batch:
        # Unsettled columns first (a stable sort keeps the rest in order).
        settled = xp.astype(_settled(state.check, xp), index_dtype(xp))
        first = xp.argsort(settled, stable=True)
        it = state.it.columns(first, xp)
        b = take_columns(state.b, first, xp)
        weights = take_columns(state.weights, first, xp) if per_column else None
        check = Check(*(take_columns(v, first, xp) for v in state.check))
        active = k - xp.sum(settled)
        fits = xp.astype(active <= small, index_dtype(xp))  # 1: run the small block
        count = xp.minimum(state.n_iter + options.check_every, options.max_iter) - state.n_iter
        n_iter = state.n_iter + count
        it, check = loops.switch(fits, blocks, (it, b, weights, check, count, n_iter))
        order = take_columns(state.order, first, xp)
        return _Batch(it, b, weights, order, n_iter, check)

    order = xp.arange(k, dtype=index_dtype(xp), device=device_of(problem.b))
    n_iter = xp.zeros((), dtype=index_dtype(xp), device=device_of(problem.b))
    weights = problem.penalty.per_column
    state = _Batch(it, problem.b, weights, order, n_iter, _unchecked(it, xp))
    state = loops.while_loop(running, step, state)
    back = xp.argsort(state.order)
    check = Check(*(take_columns(v, back, xp) for v in state.check))
    return _result(take_columns(state.it.x, back, xp), check)


def _solve_traced(
    problem: Problem, x0: Array, options: Options, loops: Loops
) -> LassoResult[Array]:
    """The driver for traced arrays: the backend's loops, in blocks between gap checks."""
    backtrack = fixed_step if options.lipschitz is not None else backtrack_masked(loops)
    it = start(problem, x0, options)
    if options.unroll:
        it = loops.fori_loop(
            options.max_iter, lambda it: iteration(problem, it, options, backtrack), it
        )
        return _result(it.x, certify(problem, it.x, it.Ax, options.tol, options.max_iter, it.step))
    if problem.batched and problem.b.shape[1] >= _MIN_BUCKETED:
        return _solve_traced_batch(problem, it, options, loops, backtrack)
    xp = problem.xp

    def running(state: tuple[Iterate, Array, Check]) -> Array:
        _, n_iter, check = state
        return (n_iter < options.max_iter) & ~xp.all(_settled(check, xp))

    def block(state: tuple[Iterate, Array, Check]) -> tuple[Iterate, Array, Check]:
        it, n_iter, check = state
        count = xp.minimum(n_iter + options.check_every, options.max_iter) - n_iter
        new = loops.fori_loop(count, lambda it: iteration(problem, it, options, backtrack), it)
        n_iter = n_iter + count
        new_check = certify(problem, new.x, new.Ax, options.tol, n_iter, new.step)
        it, check = _freeze(check, it, new, new_check, xp)
        return it, n_iter, check

    n_iter = xp.zeros((), dtype=index_dtype(xp), device=device_of(problem.b))
    it, n_iter, check = loops.while_loop(running, block, (it, n_iter, _unchecked(it, xp)))
    return _result(it.x, check)


def solve(
    problem: Problem, x0: Array, options: Options, *, loops: Loops | None, hooks: Hooks
) -> LassoResult[Array]:
    """ISTA (accelerate=False) or FISTA, with per-column steps, restart and gaps: the
    internal solve, without validation, for any penalty.

    ``loops``: the backend's loops when the arrays are traced, else None (the Python
    loop, with ``hooks``). An eager Lasso on a matrix with many columns is solved on
    working sets (arrayshrink._agnostic._working_set); ``n_iter`` then counts the
    iterations of every inner solve.
    """
    if loops is not None:
        return _solve_traced(problem, x0, options, loops)
    if _takes_working_sets(hooks) and _working_set.applies(problem, options):
        plain = Hooks(split_batches=True)
        return _working_set.solve_working_set(
            problem, x0, options, lambda p, x, o: _solve_python(p, x, o, plain)
        )
    if _reports_nothing(hooks) and _certified_start(problem, options):
        check = certify(problem, x0, problem.op.forward(x0), options.tol, 0)
        if bool(problem.xp.all(check.converged)):
            return _result(x0, check)
    return _solve_python(problem, x0, options, hooks)


def _certified_start(problem: Problem, options: Options) -> bool:
    """Whether x0 is certified before the first iteration (a lasso_path threshold
    starts at the homotopy's solution; 0 solves a threshold above lambda_max): for the
    L1 problems (whose certificate needs no step), with tol > 0 (tol = 0 asks for
    max_iter iterations), and not where torch autograd differentiates through the
    iterations."""
    differentiated = any(getattr(a, "requires_grad", False) for a in (problem.b, problem.op.matrix))
    return (
        options.tol > 0
        and not options.unroll
        and not differentiated
        and _working_set.l1_part(problem.penalty) is not None
    )


def _reports_nothing(hooks: Hooks) -> bool:
    """Eager arrays, and nothing that reports each check point of the iterations."""
    return (
        hooks.materialize is as_they_are
        and hooks.callback is None
        and hooks.monitor is None
        and not hooks.history
    )


def _takes_working_sets(hooks: Hooks) -> bool:
    """Working sets where they are safe: eager arrays of a backend that computes a
    batch's columns apart (new shapes cost nothing to compile), and nothing that
    reports each check point of one sequence of iterations."""
    return (
        hooks.split_batches
        and hooks.materialize is as_they_are
        and hooks.callback is None
        and hooks.monitor is None
        and not hooks.history
    )

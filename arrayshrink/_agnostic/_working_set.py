"""Working sets and gap-safe screening: the eager Lasso solve on a few columns of A.

Most coefficients of a Lasso solution are zero. An outer loop (as celer and skglm do)
solves the problem restricted to a working set of columns, the ones most likely
active, with the plain driver, to a tolerance tighter than the current gap; then it
certifies x on the *full* problem, so the result's gap and verdict are those of the
full problem. Until the full certificate meets tol, the set is rebuilt from the
features closest to violating their dual constraint and grows.

At x, with rho = b - A x, c = A^H rho and the dual scale s (so that theta = s rho is
dual feasible), the gap G bounds the distance to the dual optimum: the dual
D(theta) = 1/2 ||b||^2 - 1/2 ||b - theta||^2 is 1-strongly concave, so
||theta - theta*|| <= sqrt(2 G). Coefficient j is then zero at every optimum when
(Fercoq, Gramfort and Salmon 2015, for the unscaled objective with weights lambd_j)

    s |c_j| + ||A_j|| sqrt(2 G) < lambd_j        (s max(c_j, 0) + ... for x >= 0),

and it leaves the candidates for the rest of the solve (gap-safe screening), tested
once the gap is small (_SCREENING): only the tests need the column norms ||A_j||, a
pass over A taken then. The others are ranked by d_j = lambd_j - |c_j|, how far
feature j is from violating its constraint (negative where it does): the most
violated first, the current support always in. Not the distance of the dual point
s rho to the constraint, (lambd_j - s |c_j|) / ||A_j||: far from the optimum s is
small, and that ranks by the column norms alone (on the sparse problem of
benchmarks/bench_solvers.py, whose column norms vary, the first set of 1000 held 141
of the 314 features of the solution this way, 281 by d_j). Near the optimum, with
columns of one norm, the two orders agree.

For a batch, one working set serves every column still unsettled: the union of
their supports and, feature by feature, the smallest d_j of any column.

Used where it pays off and is safe: eager arrays, a matrix A (not a LinearOperator),
real data, tol > 0, and the L1 penalties without unpenalised coefficients (x >= 0
or not, with or without a ridge); see :func:`applies`. ``n_iter`` counts the iterations of
every inner solve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from arrayshrink._agnostic._columns import (
    device_of,
    index_dtype,
    kth_smallest,
    positions,
    put_columns,
    take_columns,
)
from arrayshrink._agnostic._lasso import (
    Check,
    Columns,
    GramSolver,
    Options,
    Problem,
    certify_correlated,
)
from arrayshrink._agnostic._norms import dual_scale, ratio
from arrayshrink._agnostic._penalties import L1, ElasticNet, Penalty, PositiveL1
from arrayshrink._agnostic._result import LassoResult
from arrayshrink._lib._compat import is_writable_in_place
from arrayshrink._lib._typing import Array, Namespace

__all__ = ["applies", "l1_part", "solve_working_set"]

Solve = Callable[[Problem, Array, Options], LassoResult[Array]]

# The first working set has this many features (or twice the support of x0), or more
# where its columns are sparse: see _first_size.
_FIRST_SIZE = 100
# Working sets pay off when A has at least this many columns and
# _FIRST_SIZE * _WORTH of them would still be a fraction of A.
_MIN_FEATURES = 400
# Each inner solve stops at this fraction of the full problem's current relative gap
# (celer's choice), and never asks for less than _INNER_FLOOR * tol.
_INNER_RATIO = 0.3
_INNER_FLOOR = 0.1
# The set doubles when an inner solve left the full gap above this fraction of the last.
_STALLED = 0.5
# A set of more than 1/_DENSE of the (unscreened) features saves too little: from
# there, the plain solve of the whole problem, warm-started.
_DENSE = 2
# A screening test passes by this relative margin only, against rounding in c.
_SCREEN_MARGIN = 1e-9
# Screening is tested once the worst relative gap is at most this: above it the
# sphere of the dual optimum holds the constraint of every feature but those whose
# column is tiny against the data (whose exclusion saves little), and the tests
# would need the column norms, a pass over A.
_SCREENING = 1e-2
# At most this many Newton steps on the support, each dropping the coefficients that
# reach zero (a linear solve each, on a support of at most m coefficients).
_SUPPORT_ROUNDS = 20
# Where the features that violate their dual constraint number at most this fraction of
# the support, a round is Newton steps with them entering (_newton_round) instead of an
# inner FISTA solve: at most _ENTERING_STEPS of them, each of at most _ENTERING_ROUNDS
# linear solves (where more coefficients cross zero, FISTA sorts them better).
_ENTERING = 0.25
_ENTERING_STEPS = 3
_ENTERING_ROUNDS = 3


def applies(problem: Problem, options: Options) -> bool:
    """Whether the working-set solve takes this problem (the driver checks the rest:
    eager arrays, no callback, history or monitor)."""
    xp, op = problem.xp, problem.op
    return (
        op.columns is not None
        and not options.unroll
        and options.tol > 0  # tol = 0 asks for max_iter iterations of one sequence
        and op.shape[1] >= _MIN_FEATURES
        and not xp.isdtype(problem.b.dtype, "complex floating")
        and l1_part(problem.penalty) is not None
    )


def l1_part(penalty: Penalty) -> L1 | None:
    """The L1 penalty of the kinds known here (exact types: a new penalty class keeps
    the plain solve), without unpenalised coefficients; else None."""
    l1 = penalty.l1 if type(penalty) is ElasticNet else penalty
    if type(l1) not in (L1, PositiveL1):
        return None
    assert isinstance(l1, L1)
    return l1 if l1.free is False else None


def _restricted_penalty(penalty: Penalty, index: Array, xp: Namespace) -> Penalty:
    """The penalty of the coefficients ``index``: per-coefficient weights taken along."""
    if isinstance(penalty, ElasticNet):
        return replace(penalty, l1=_restricted_l1(penalty.l1, index, xp))
    assert isinstance(penalty, L1)
    return _restricted_l1(penalty, index, xp)


def _restricted_l1(penalty: L1, index: Array, xp: Namespace) -> L1:
    lambd = penalty.lambd
    if isinstance(lambd, float) or lambd.shape[0] == 1:
        return penalty
    return replace(penalty, lambd=xp.take(lambd, index, axis=0))


def _features(v: Array, xp: Namespace, reduce: Callable[..., Array]) -> Array:
    """A per-feature value (n,) from one of shape (n,) or (n, k)."""
    return v if v.ndim == 1 else reduce(v, axis=1)


class _State:
    """The outer loop's state: x on the full problem, its image, its certificate
    (whose ``n_iter`` counts the inner iterations of each column so far)."""

    def __init__(self, problem: Problem, x: Array, Ax: Array, n_iter: Array | int, tol: float):
        self.x, self.Ax, self.xp = x, Ax, problem.xp
        self.check, self.c = certify_correlated(problem, x, Ax, tol, n_iter)

    @property
    def n_iter(self) -> int:
        """The most inner iterations of any column."""
        return int(self.xp.max(self.check.n_iter))


class _Norms:
    """The column norms, in the shape of x's rows, for the screening tests: a pass over
    A, taken on first use (a solve that ends before its gap is small needs none)."""

    def __init__(self, columns: Columns, batched: bool) -> None:
        self.columns, self.batched = columns, batched
        self.taken: Array | None = None

    @property
    def norms(self) -> Array:
        if self.taken is None:
            norms = self.columns.norms()
            self.taken = norms[:, None] if self.batched else norms
        return self.taken


def _ranking(
    problem: Problem, state: _State, l1: L1, norms: _Norms, screened: Array
) -> tuple[Array, Array]:
    """Each feature's priority, smallest for the most likely active (the support at
    -inf, screened ones at +inf), and the new screened mask."""
    xp = problem.xp
    lambd = l1.lambd
    ridge = problem.penalty.ridge
    magnitude = l1.magnitude(state.c - ridge * state.x if ridge else state.c)
    if type(problem.penalty) is not ElasticNet and _worst_gap(state.check, xp) <= _SCREENING:
        # The absolute gap of the full problem, and the sphere of the dual optimum
        # around the dual point s rho.
        gap = xp.clip(state.check.gap * state.check.objective, min=0.0)
        radius = xp.sqrt(2.0 * gap)
        correlation = dual_scale(magnitude, lambd, xp) * magnitude
        safe = correlation + norms.norms * radius < lambd * (1.0 - _SCREEN_MARGIN)
        screened = screened | _features(safe, xp, xp.all)
    support = _features(state.x != 0, xp, xp.any)
    priority = _features(lambd - magnitude, xp, xp.min)  # module docstring
    priority = xp.where(support, xp.full_like(priority, -math.inf), priority)
    priority = xp.where(screened, xp.full_like(priority, math.inf), priority)
    return priority, screened


def _chosen(priority: Array, screened: Array, size: int, xp: Namespace) -> Array:
    """The working set as a mask: the ``size`` features of smallest priority (a few
    more where priorities tie at the boundary), never a screened one: the ``size``-th
    smallest priority, and no permutation to invert."""
    if size == 0:
        return xp.zeros_like(screened)
    return (priority <= kth_smallest(priority, size - 1, xp)) & ~screened


def _scatter(x_ws: Array, chosen: Array, xp: Namespace) -> Array:
    """The full x from its rows on the working set ``chosen`` (a mask; the rows in index
    order), zero elsewhere: written into new zeros where the library writes in place
    (NumPy, CuPy), else a take of [x_ws; 0] (no item assignment)."""
    device = device_of(x_ws)
    zeros = xp.zeros((chosen.shape[0], *x_ws.shape[1:]), dtype=x_ws.dtype, device=device)
    if is_writable_in_place(zeros):
        zeros[xp.nonzero(chosen)[0], ...] = x_ws
        return zeros
    outside = xp.full(chosen.shape, x_ws.shape[0], dtype=index_dtype(xp), device=device)
    position = xp.where(chosen, positions(chosen, xp), outside)
    return xp.take(xp.concat([x_ws, zeros[:1, ...]], axis=0), position, axis=0)


def _result(state: _State) -> LassoResult[Array]:
    c = state.check
    return LassoResult(state.x, c.gap, c.objective, c.converged, c.n_iter)


def _settled(check: Check, xp: Namespace) -> Array:
    """Columns that need no more iterations (as the driver says)."""
    return check.converged | xp.isnan(check.gap)


def _worst_gap(check: Check, xp: Namespace) -> float:
    open_gaps = xp.where(check.converged, xp.zeros_like(check.gap), check.gap)
    return float(xp.max(open_gaps))


def solve_working_set(
    problem: Problem, x0: Array, options: Options, solve: Solve
) -> LassoResult[Array]:
    """The working-set solve (module docstring); ``solve(problem, x0, options)`` is the
    plain driver, used for the inner solves and where the set would be all of A."""
    xp, columns = problem.xp, problem.op.columns
    assert columns is not None
    l1 = l1_part(problem.penalty)
    assert l1 is not None
    n = problem.op.shape[1]
    state = _State(problem, x0, problem.op.forward(x0), 0, options.tol)
    if not bool(xp.all(xp.isfinite(state.check.gap))):
        return solve(problem, x0, options)  # NaN data: the plain solve says so
    if bool(xp.all(_settled(state.check, xp))):
        return _result(state)  # x0 is certified (a path's proposal): no work
    screened = xp.zeros((n,), dtype=xp.bool, device=device_of(state.x))
    ranked = _Norms(columns, problem.batched)
    first, size, gap = _first_size(problem.op.shape, columns.entries()), 0, math.inf
    newton = False  # whether the next round may be a Newton round
    while not bool(xp.all(_settled(state.check, xp))):
        # With the iterations spent, a Newton round (which takes none) may still follow
        # the last inner solve: its support step.
        spent = state.n_iter >= options.max_iter
        if spent and not newton:
            break
        priority, screened = _ranking(problem, state, l1, ranked, screened)
        available = n - int(xp.sum(xp.astype(screened, index_dtype(xp))))
        support = int(xp.sum(xp.astype(_features(state.x != 0, xp, xp.any), index_dtype(xp))))
        # The set holds twice the support, and doubles when the last inner solve did not
        # bring the full gap down enough: features outside it still violate.
        stalled = _worst_gap(state.check, xp) > _STALLED * gap
        size = min(available, max(first, 2 * support, 2 * size if stalled else size))
        gap = _worst_gap(state.check, xp)
        budget = replace(options, max_iter=options.max_iter - state.n_iter)
        if size * _DENSE > n and not spent:  # a dense solution: the plain solve of A
            result = solve(problem, state.x, budget)
            return result._replace(n_iter=result.n_iter + state.check.n_iter)
        chosen = _chosen(priority, screened, size, xp)
        stepped = _newton_round(problem, state, l1, chosen, options.tol) if newton else None
        if stepped is not None:
            # Another only after one that halved the gap: no loop without iterations.
            newton = not spent and _worst_gap(stepped.check, xp) <= _STALLED * gap
            state = stepped  # certified on the full problem: kept either way
            continue
        if spent:
            break
        state = _inner(problem, state, chosen, budget, solve)
        newton = not problem.batched
    return _result(state)


def _first_size(shape: tuple[int, int], entries: int) -> int:
    """The first working set's size: _FIRST_SIZE, or as many columns as store m entries
    on average where more (a sparse A). An inner iteration works on several vectors of
    length m besides its products, so a set whose columns store fewer entries than
    that costs little more than a smaller one, and it saves rounds, each a product
    with all of A (on the sparse problem of benchmarks/bench_solvers.py, a first set of
    100 columns needs five rounds, one of 1000 three). For a dense A, m n / entries = 1."""
    m, n = shape
    return max(_FIRST_SIZE, m * n // max(entries, 1))


def _inner(
    problem: Problem, state: _State, chosen: Array, options: Options, solve: Solve
) -> _State:
    """One inner solve on the working set ``chosen`` (a mask), to a fraction of the
    current gap, then the full problem's certificate."""
    xp, columns = problem.xp, problem.op.columns
    assert columns is not None
    ws = xp.nonzero(chosen)[0]
    inner = replace(
        problem,
        op=columns.restrict(ws, problem.batched),
        penalty=_restricted_penalty(problem.penalty, ws, xp),
    )
    tol = max(_INNER_RATIO * _worst_gap(state.check, xp), _INNER_FLOOR * options.tol)
    x_ws, n_iter = xp.take(state.x, ws, axis=0), state.check.n_iter
    if not problem.batched:
        # The support step that may follow is the next round's (a Newton round), with
        # the features that the certificate finds violating.
        result = solve(inner, x_ws, replace(options, tol=tol))
        x_ws, n_iter = result.x, n_iter + result.n_iter
        return _State(
            problem, _scatter(x_ws, chosen, xp), inner.op.forward(x_ws), n_iter, options.tol
        )
    # Settled columns keep their x: only the others are solved again.
    open_ = ~_settled(state.check, xp)
    index = xp.nonzero(open_)[0]
    result = solve(inner.columns(index), take_columns(x_ws, index, xp), replace(options, tol=tol))
    where = positions(open_, xp)
    x_ws = put_columns(x_ws, open_, result.x, where, xp)
    n_iter = put_columns(n_iter, open_, _n_iter_after(result, n_iter, index, xp), where, xp)
    x = _scatter(x_ws, chosen, xp)
    return _State(problem, x, inner.op.forward(x_ws), n_iter, options.tol)


def _n_iter_after(result: LassoResult[Array], n_iter: Array, index: Array, xp: Namespace) -> Array:
    """The iterations so far of the columns ``index``, after the inner solve."""
    return take_columns(n_iter, index, xp) + xp.astype(result.n_iter, n_iter.dtype)


def _newton_round(
    problem: Problem, state: _State, l1: L1, chosen: Array, tol: float
) -> _State | None:
    """A round without FISTA, where few features violate their dual constraint (at most
    _ENTERING of the support): on the working set ``chosen`` with them, support steps
    (:func:`_newton`) with the violating features entering, each with the sign of its
    correlation, until none of the set violates (its correlations alone) or a step is
    cut short by a sign change, at most _ENTERING_STEPS times; then the full
    certificate. Where none violates, the first step is the support step alone (x as
    an inner solve left it, moved to the minimizer on its support). None where no step
    was taken.

    FISTA finds a superset of the support long before it converges on an
    ill-conditioned support, and the support step finishes in a few linear solves; once
    it has solved the problem on its support, the last features to enter are found in a
    few more, where an inner solve would iterate on thousands of columns to add them.
    The inner solve is not followed by a support step of its own: the certificate that
    follows it finds the features to enter with it."""
    xp, columns = problem.xp, problem.op.columns
    assert columns is not None
    outside = state.x == 0
    violating = outside & (l1.magnitude(state.c) > l1.lambd)  # x_j = 0: no ridge term
    count = int(xp.sum(xp.astype(violating, index_dtype(xp))))
    support = state.x.shape[0] - int(xp.sum(xp.astype(outside, index_dtype(xp))))
    if support == 0 or count > _ENTERING * support:
        return None
    # The violating features (screened ones too, and more than a set of this size
    # holds), and all of x's support, screened coefficients too: the step is taken from
    # x itself.
    chosen = chosen | violating | ~outside
    ws = xp.nonzero(chosen)[0]
    inner = replace(
        problem,
        op=columns.restrict(ws, False),
        penalty=_restricted_penalty(problem.penalty, ws, xp),
    )
    inner_l1 = l1_part(inner.penalty)
    assert inner_l1 is not None
    x, c = xp.take(state.x, ws, axis=0), xp.take(state.c, ws, axis=0)
    Ax = None
    for step in range(_ENTERING_STEPS):
        entering = (x == 0) & (inner_l1.magnitude(c) > inner_l1.lambd)
        if bool(xp.any(entering)):
            rounds = _ENTERING_ROUNDS
        elif step == 0:  # none violates: the support step alone
            rounds = _SUPPORT_ROUNDS
        else:
            break
        stepped, Ax_stepped, full = _newton(inner, x, entering, c, rounds)
        if stepped is x:
            break
        x, Ax = stepped, Ax_stepped
        if not full:  # coefficients still cross zero: the certificate, then FISTA
            break
        c = inner.op.adjoint(problem.b - Ax)  # the set's correlations: no full product
    if Ax is None:
        return None
    return _State(problem, _scatter(x, chosen, xp), Ax, state.check.n_iter, tol)


def _newton(
    problem: Problem,
    x: Array,
    entering: Array | None = None,
    c: Array | None = None,
    rounds: int = _SUPPORT_ROUNDS,
) -> tuple[Array, Array, bool]:
    """x moved towards the minimizer with x's support and signs (a Newton step on the
    support, where the objective is quadratic), up to the first sign change: the
    objective decreases along that segment. The coefficients that reach zero leave the
    support and the step is taken again on the rest (the Gram matrix's sub-block), up
    to ``rounds`` times or until a full step: FISTA finds a superset of the support
    long before it converges on an ill-conditioned support, and this finishes in a few
    linear solves. ``entering`` (a mask of zero coefficients) joins the support with
    the signs of the correlations ``c``; one whose minimizer has the other sign crosses
    zero at once and leaves. Returns x, A x and whether the last step was a full one
    (x is then the minimizer on its support); x itself where no step is taken (a
    support of more than m coefficients, a singular system, or no decrease)."""
    xp, columns = problem.xp, problem.op.columns
    assert columns is not None
    nonzero = x != 0
    inside = nonzero if entering is None else nonzero | entering
    support = xp.nonzero(inside)[0]  # in index order; no sort of all n coefficients
    size = int(support.shape[0])
    A_S = columns.restrict(support, False)  # the support's products
    x_S = xp.take(x, support, axis=0)
    if not 0 < size <= problem.op.shape[0] or not _solves_in(x_S.dtype, xp):
        return x, A_S.forward(x_S), False
    sign = xp.sign(x_S)
    if entering is not None:
        assert c is not None
        sign = xp.where(x_S != 0, sign, xp.sign(xp.take(c, support, axis=0)))
    l1 = l1_part(problem.penalty)
    assert l1 is not None
    lambd = _restricted_l1(l1, support, xp).lambd + xp.zeros_like(x_S)
    ridge = problem.penalty.ridge
    assert A_S.columns is not None
    gram = A_S.columns.gram()
    if ridge:
        gram = gram + ridge * xp.eye(size, dtype=gram.dtype, device=device_of(gram))
    # The gradient of the quadratic at 0, with the L1 term of the signs.
    linear = A_S.adjoint(problem.b) - lambd * sign

    def objective(v: Array, Av: Array) -> float:
        fit = 0.5 * xp.sum((Av - problem.b) ** 2)
        return float(fit + xp.sum(lambd * xp.abs(v)) + 0.5 * ridge * xp.sum(v**2))

    A_old = A_S.forward(x_S)
    v, active, full = x_S, sign != 0, False
    solve = A_S.columns.gram_solver(gram)
    for _ in range(rounds):
        v, active, full = _step_on_support(solve, linear, v, active, sign, xp)
        if full:
            break
    A_new = A_S.forward(v)
    if not objective(v, A_new) < objective(x_S, A_old):
        return x, A_old, False
    return _scatter(v, inside, xp), A_new, full


def _solves_in(dtype: object, xp: Namespace) -> bool:
    """Whether the namespace has linear solves in ``dtype``: float32 and float64 (not
    NumPy's longdouble, which its linalg rejects, nor half precision)."""
    return hasattr(xp, "linalg") and dtype in (xp.float32, xp.float64)


def _step_on_support(
    solve: GramSolver,
    linear: Array,
    v: Array,
    active: Array,
    sign: Array,
    xp: Namespace,
) -> tuple[Array, Array, bool]:
    """One step of :func:`_newton` from v, on the ``active`` coefficients (v's
    nonzero ones, and any entering at zero) with their ``sign``: v moved to the
    minimizer of the quadratic there (True), or up to the first coefficient that
    reaches zero, which leaves ``active`` (False); one entering with the other sign
    reaches zero at once. v unchanged (True) where the system is singular or no
    coefficient is left. ``solve`` solves the system (a sub-block of the support's
    Gram matrix)."""
    size = int(xp.sum(xp.astype(active, index_dtype(xp))))
    if size == 0:  # every coefficient reached zero: nothing left to step on
        return v, active, True
    order = xp.argsort(xp.astype(~active, index_dtype(xp)), stable=True)  # active first
    keep = order[:size]
    v_k = xp.take(v, keep, axis=0)
    try:
        z = solve(keep, linear)  # keep: in increasing order (a stable sort)
    except (ValueError, RuntimeError):  # singular: NumPy's LinAlgError, torch's
        return v, active, True
    crossing = z * xp.take(sign, keep, axis=0) <= 0
    reach = ratio(xp.abs(v_k), xp.abs(v_k - z), xp)
    reach = xp.where(crossing, reach, xp.full_like(reach, math.inf))
    t = min(1.0, float(xp.min(reach)))
    moved = v_k + t * (z - v_k)
    left = crossing & (reach <= t)
    moved = xp.where(left, xp.zeros_like(moved), moved)
    rest = xp.zeros((v.shape[0] - size,), dtype=v.dtype, device=device_of(v))
    back = xp.argsort(order)
    stays = xp.concat([~left, xp.zeros(rest.shape, dtype=xp.bool, device=device_of(v))])
    return (
        xp.take(xp.concat([moved, rest]), back, axis=0),
        xp.take(stays, back, axis=0),
        t >= 1.0,
    )

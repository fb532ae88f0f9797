"""The Lasso homotopy: the exact path of solutions, followed from lambda_max downwards.

For the (weighted, elastic-net, optionally non-negative) Lasso

    minimize 1/2 ||A x - b||^2 + (l2/2) ||x||^2 + mu sum_j w_j |x_j|

the solution is piecewise linear in mu (Osborne, Presnell and Turlach 2000; Efron et
al.'s LARS with the Lasso modification). On a stretch where the support S and its signs
s are fixed, x_S(mu) solves (G_S + l2 I) x_S = A_S^T b - mu (w s)_S, so as mu decreases
by g, x_S moves by g d with d = (G_S + l2 I)^{-1} (w s)_S, and every correlation
c_j = A_j^T (b - A x) moves by -g a_j with a = A^T A_S d. The stretch ends where an
inactive correlation reaches +-mu w_j (that feature joins) or an active coefficient
reaches zero (it leaves). Each event costs one product with A^T and one with A_S;
the inverse of the support's Gram matrix is updated, not refactored (a bordered
inverse when a feature joins, a Schur complement when one leaves).

Between two thresholds mu_t > mu_{t+1} of the grid, the homotopy follows only the
features of the strong set (Tibshirani et al. 2012: the active ones and those with
|c_j| >= (2 mu_{t+1} - mu_t) w_j at mu_t), so each event's product with A^T runs over
those columns; at mu_{t+1} every correlation is computed afresh, and a feature outside
the set that violates its bound (the rule is a heuristic) joins the set and the stretch
is followed again from mu_t. The fresh correlations also clear the rounding that the
updates built up.

The path reads off x at the thresholds it is asked for, exactly (up to rounding), and
uses them as the starting points of the certified solves (arrayshrink._path): the
homotopy proposes, the solvers' duality gap decides. So the homotopy may stop early
and safely: on a singular support (as many coefficients as rows, without a ridge), on
rounding it can no longer correct, or after ``max_events``; the thresholds it did not
reach get no proposal.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from arrayshrink._agnostic._columns import device_of
from arrayshrink._lib._typing import Array, Namespace

__all__ = ["homotopy"]

# The linear system of the direction is trusted while its relative residual stays below
# this power of the dtype's epsilon; above it the inverse is rebuilt from the Gram
# matrix once, and the homotopy stops if that does not help.
_RESIDUAL_POWER = 0.5
# A feature outside the strong set violates its bound when its correlation exceeds it
# by more than this relative margin (rounding in the fresh correlations).
_VIOLATION = 1e-9
# Joins kept as a low-rank term of the inverse before it is formed (see _Inverse).
_PENDING = 32
# Thresholds this many machine epsilons (relative) below lambda_max count as equal to it.
_TIED = 16
# A joining feature whose Schur complement is below this fraction of its squared norm
# makes the support's Gram matrix numerically singular: the homotopy stops there.
_SINGULAR = 1e-10


class _Inverse(NamedTuple):
    """The inverse H of the support's G_S + l2 I, with the changes since it was last
    formed kept as a low-rank term: H = [[base, 0], [0, 0]] + V diag(scale) V^T, V of
    shape (size, changes). A join borders H by one row and column; a leave is the
    downdate H - h h^T / h_p (h = H e_p), whose row and column p are zero, so the slot
    stays, dead, until the support is compacted. Forming H is a pass over k^2 entries:
    it is done once per _PENDING changes, not once per event."""

    base: Array
    V: Array
    scale: Array

    @classmethod
    def of(cls, base: Array, xp: Namespace) -> _Inverse:
        size = base.shape[0]
        V = xp.zeros((size, 0), dtype=base.dtype, device=device_of(base))
        return cls(base, V, xp.zeros((0,), dtype=base.dtype, device=device_of(base)))

    def apply(self, t: Array, xp: Namespace) -> Array:
        """H t."""
        size = self.base.shape[0]
        if not self.pending:
            return self.base @ t
        head = self.base @ t[:size]
        if t.shape[0] > size:  # joined since H was formed
            tail = xp.zeros((t.shape[0] - size,), dtype=t.dtype, device=device_of(t))
            head = xp.concat([head, tail])
        return head + self.V @ (self.scale * (t @ self.V))

    def border(self, u: Array, schur: float, xp: Namespace) -> _Inverse:
        """The inverse after a join whose column gives u = H g and the Schur complement:
        [[H, 0], [0, 0]] + v v^T / schur with v = (u, -1)."""
        v = xp.concat([u, -xp.ones((1,), dtype=u.dtype, device=device_of(u))])
        row = xp.zeros((1, self.V.shape[1]), dtype=u.dtype, device=device_of(u))
        V = xp.concat([xp.concat([self.V, row], axis=0), v[:, None]], axis=1)
        new_scale = xp.full((1,), 1.0 / schur, dtype=u.dtype, device=device_of(u))
        scale = xp.concat([self.scale, new_scale])
        return _Inverse(self.base, V, scale)

    def downdate(self, h: Array, corner: float, xp: Namespace) -> _Inverse:
        """H - h h^T / corner (h = H e_p, corner = h_p): slot p leaves."""
        V = xp.concat([self.V, h[:, None]], axis=1)
        new_scale = xp.full((1,), -1.0 / corner, dtype=h.dtype, device=device_of(h))
        return _Inverse(self.base, V, xp.concat([self.scale, new_scale]))

    @property
    def pending(self) -> int:
        return int(self.V.shape[1])

    def formed(self, xp: Namespace) -> Array:
        """H as one matrix."""
        if not self.pending:
            return self.base
        grown = self.V.shape[0] - self.base.shape[0]
        low_rank = (self.V * self.scale) @ xp.matrix_transpose(self.V)
        return _bordered(self.base, grown, xp) + low_rank


class _Support:
    """The active features in order of joining: their indices, signs, coefficients, the
    columns A_S and the inverse H of G_S + l2 I (arrays of A's library, never mutated,
    so a copy of the object is a snapshot; the indices, signs and which slots are live
    as Python lists). A feature that leaves keeps its slot, dead (coefficient 0, and
    its row and column of H 0), until the support is compacted."""

    def __init__(self, A: Array, w: Array, ridge: float, xp: Namespace):
        self.A, self.w, self.ridge, self.xp = A, w, ridge, xp
        m, n = A.shape
        self.index: list[int] = []
        self.sign: list[float] = []
        self.x = xp.zeros((0,), dtype=A.dtype, device=device_of(A))
        self.target = xp.zeros((0,), dtype=A.dtype, device=device_of(A))  # (w s)_S
        self.columns = xp.zeros((m, 0), dtype=A.dtype, device=device_of(A))
        self.inverse = _Inverse.of(xp.zeros((0, 0), dtype=A.dtype, device=device_of(A)), xp)
        self.features = xp.arange(n, device=device_of(A))
        self.mask = xp.zeros((n,), dtype=xp.bool, device=device_of(A))
        self.live: list[bool] = []
        self.alive = xp.zeros((0,), dtype=xp.bool, device=device_of(A))

    def snapshot(self) -> _Support:
        copy = _Support.__new__(_Support)
        lists = {"index": list(self.index), "sign": list(self.sign), "live": list(self.live)}
        copy.__dict__.update(self.__dict__, **lists)
        return copy

    @property
    def count(self) -> int:
        """The number of active features."""
        return sum(self.live)

    def join(self, j: int, sign: float) -> bool:
        """Feature j joins with its sign (coefficient 0); False where the support's
        Gram matrix would be numerically singular (nothing changes then)."""
        xp = self.xp
        column = self.A[:, j]
        g = column @ self.columns  # A_S^T A_j
        u = self.inverse.apply(g, xp)
        own = float(xp.sum(column * column)) + self.ridge
        schur = own - float(xp.sum(g * u))
        if not schur > _SINGULAR * own:
            return False
        self.inverse = self.inverse.border(u, schur, xp)
        self.columns = xp.concat([self.columns, column[:, None]], axis=1)
        self.x = xp.concat([self.x, xp.zeros((1,), dtype=self.x.dtype, device=device_of(self.x))])
        self.target = xp.concat([self.target, sign * self.w[j : j + 1]])
        self.mask = self.mask | (self.features == j)
        self.alive = xp.concat([self.alive, xp.ones((1,), dtype=xp.bool, device=device_of(u))])
        self.index.append(j)
        self.sign.append(sign)
        self.live.append(True)
        self._compact_when_due()
        return True

    def leave(self, p: int) -> None:
        """The feature at position p of the support leaves (its coefficient is 0)."""
        xp = self.xp
        slots = xp.arange(len(self.index), device=device_of(self.x))
        here = slots == p
        h = self.inverse.apply(xp.astype(here, self.x.dtype), xp)
        self.inverse = self.inverse.downdate(h, float(h[p]), xp)
        self.x = xp.where(here, xp.zeros_like(self.x), self.x)
        self.alive = self.alive & ~here
        self.mask = self.mask & (self.features != self.index[p])
        self.live[p] = False
        self._compact_when_due()

    def _compact_when_due(self) -> None:
        if self.inverse.pending >= _PENDING:
            self.compact()

    def compact(self) -> None:
        """H formed, and the dead slots dropped."""
        xp = self.xp
        H = self.inverse.formed(xp)
        if not all(self.live):
            keep = xp.asarray(
                [i for i, alive in enumerate(self.live) if alive], device=device_of(H)
            )
            H = xp.take(xp.take(H, keep, axis=0), keep, axis=1)
            self.columns = xp.take(self.columns, keep, axis=1)
            self.x = xp.take(self.x, keep, axis=0)
            self.target = xp.take(self.target, keep, axis=0)
            self.alive = xp.take(self.alive, keep, axis=0)
            self.index = [j for j, alive in zip(self.index, self.live, strict=True) if alive]
            self.sign = [s for s, alive in zip(self.sign, self.live, strict=True) if alive]
            self.live = [True] * len(self.index)
        self.inverse = _Inverse.of(H, xp)

    def rebuild(self) -> bool:
        """H refactored from A_S (after rounding built up); False where singular."""
        xp = self.xp
        self.compact()
        gram = xp.matrix_transpose(self.columns) @ self.columns
        size = len(self.index)
        gram = gram + self.ridge * xp.eye(size, dtype=gram.dtype, device=device_of(gram))
        try:
            H = xp.linalg.inv(gram)
        except (ValueError, RuntimeError):  # singular: NumPy's LinAlgError, torch's
            return False
        self.inverse = _Inverse.of(H, xp)
        return bool(xp.all(xp.isfinite(H)))

    def full(self, n: int) -> Array:
        """x as a vector of all n coefficients (zero off the support): a gather."""
        xp = self.xp
        slot = [len(self.index)] * n
        for position, j in enumerate(self.index):
            if self.live[position]:
                slot[j] = position
        padded = xp.concat([self.x, xp.zeros((1,), dtype=self.x.dtype, device=device_of(self.x))])
        return xp.take(padded, xp.asarray(slot, device=device_of(self.x)), axis=0)


def _bordered(H: Array, count: int, xp: Namespace) -> Array:
    """[[H, 0], [0, 0]] with `count` zero rows and columns: zero rows appended twice,
    the second time to the transpose (rows are contiguous blocks; columns are not)."""
    size = H.shape[0]
    rows = xp.concat([H, xp.zeros((count, size), dtype=H.dtype, device=device_of(H))], axis=0)
    more = xp.zeros((count, size + count), dtype=H.dtype, device=device_of(H))
    return xp.matrix_transpose(xp.concat([xp.matrix_transpose(rows), more], axis=0))


class _Stretch(NamedTuple):
    """The data of one stretch of the path: the candidate features (indices into A),
    their columns, weights and correlations at the stretch's start."""

    features: Array
    columns: Array
    w: Array
    c: Array


def homotopy(
    A: Array,
    b: Array,
    mus: list[float],
    weights: Array | None,
    ridge: float,
    positive: bool,
    max_events: int,
    *,
    xp: Namespace,
) -> list[Array | None]:
    """The solutions at the decreasing thresholds ``mus`` (threshold mu times the
    positive `weights`, or mu alone), each an (n,) array, or None for the thresholds
    the homotopy did not reach (module docstring). A real (m, n) and b (m,), eager."""
    n = A.shape[1]
    w = xp.ones((n,), dtype=A.dtype, device=device_of(A)) if weights is None else weights
    c = b @ A  # the correlations at x = 0
    reach = _magnitude(c, positive, xp) / w
    top = int(xp.argmax(reach))
    mu = float(reach[top])
    proposals: list[Array | None] = [None] * len(mus)
    t = 0
    # A threshold within rounding of lambda_max (computed by another product, a batch's
    # A^T B, whose last bits differ) is lambda_max: its solution is 0, not a step of
    # rounding size.
    tied = mu * (1.0 - _TIED * float(xp.finfo(A.dtype).eps))
    while t < len(mus) and (mus[t] >= tied or not mu > 0):
        proposals[t] = xp.zeros((n,), dtype=A.dtype, device=device_of(A))
        t += 1
    support = _Support(A, w, ridge, xp)
    if t == len(mus) or not support.join(top, 1.0 if float(c[top]) >= 0 else -1.0):
        return proposals
    events = _Budget(max_events)
    while t < len(mus):
        start = support.snapshot()
        strong = _strong_set(c, w, mu, mus[t], support.mask, positive, xp)
        while True:
            index = xp.nonzero(strong)[0]
            stretch = _Stretch(
                index, xp.take(A, index, axis=1), xp.take(w, index, axis=0), xp.take(c, index)
            )
            if not _follow(support, stretch, mu, mus[t], positive, events):
                return proposals
            at_end = (b - support.columns @ support.x) @ A  # afresh, on every feature
            bound = mus[t] * w * (1.0 + _VIOLATION)
            missed = ~strong & (_magnitude(at_end, positive, xp) > bound)
            if not bool(xp.any(missed)):
                break
            strong, support = strong | missed, start.snapshot()
        c, mu = at_end, mus[t]
        proposals[t] = support.full(n)
        t += 1
    return proposals


def _strong_set(
    c: Array, w: Array, mu: float, end: float, active: Array, positive: bool, xp: Namespace
) -> Array:
    """The features followed from mu to end: the active ones and those the sequential
    strong rule keeps, |c_j| >= (2 end - mu) w_j (a heuristic: the caller checks every
    feature at the end)."""
    return active | (_magnitude(c, positive, xp) >= (2.0 * end - mu) * w)


class _Budget:
    """The events left to the homotopy."""

    def __init__(self, events: int):
        self.left = events

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _magnitude(c: Array, positive: bool, xp: Namespace) -> Array:
    """How far each correlation is toward its bound: c_j for x >= 0, else |c_j|."""
    return c if positive else xp.abs(c)


def _follow(
    support: _Support, stretch: _Stretch, mu: float, end: float, positive: bool, events: _Budget
) -> bool:
    """The path from mu down to end on the stretch's features, event after event;
    False where it cannot go on (singular support, rounding, the budget spent)."""
    xp = support.xp
    tolerance = float(xp.finfo(stretch.columns.dtype).eps) ** _RESIDUAL_POWER
    # The feature that left last cannot join again at once on the side it left from
    # (its correlation sits at that bound); it may reach the other one.
    c, left, left_sign = stretch.c, -1, 0.0
    blocked: list[int] = []  # features whose join would make the support singular
    while True:
        step = _direction(support, stretch, tolerance)
        if step is None:
            return False
        d, a = step
        active = xp.take(support.mask, stretch.features, axis=0)
        excluded = _Excluded(left, left_sign, blocked)
        gamma_join, joining, sign = _next_join(c, a, stretch, mu, active, excluded, positive, xp)
        gamma_leave, leaving = _next_leave(support.x, d, xp)
        gamma = min(gamma_join, gamma_leave, mu - end)
        support.x = support.x + gamma * d
        if gamma == mu - end:  # the end of the stretch, before any event
            return True
        c, mu = c - gamma * a, mu - gamma
        if not events.spend():
            return False
        if gamma == gamma_leave:
            left, left_sign = support.index[leaving], support.sign[leaving]
            support.leave(leaving)
            if not support.count:
                return False
            continue
        feature = int(stretch.features[joining])
        if support.join(feature, sign):
            left, left_sign = -1, 0.0
        else:
            # In the span of the support (a copy of an active column, or a saturated
            # support): its correlation stays at the bound without it.
            blocked.append(feature)


def _direction(
    support: _Support, stretch: _Stretch, tolerance: float
) -> tuple[Array, Array] | None:
    """d = H (w s)_S (0 at dead slots) and a = A^T A_S d on the stretch's features,
    with H rebuilt once where the system's residual on the live slots (a_S + l2 d
    against (w s)_S: a_S is G_S d) shows rounding; None where it stays."""
    xp = support.xp
    for attempt in range(2):
        live = [i for i, alive in enumerate(support.live) if alive]
        index = xp.asarray(
            [support.index[i] for i in live],
            dtype=stretch.features.dtype,
            device=device_of(support.x),
        )
        on_support = xp.searchsorted(stretch.features, index)  # the support is in it
        target = support.target
        d = support.inverse.apply(target, xp)
        if len(live) < len(support.live):
            d = xp.where(support.alive, d, xp.zeros_like(d))
            slots = xp.asarray(live, device=device_of(d))
            d_live, target = xp.take(d, slots, axis=0), xp.take(target, slots, axis=0)
        else:
            d_live = d
        a = (support.columns @ d) @ stretch.columns
        residual = xp.take(a, on_support, axis=0) + support.ridge * d_live - target
        scale = float(xp.max(xp.abs(target)))
        if float(xp.max(xp.abs(residual))) <= tolerance * scale:
            return d, a
        if attempt == 0 and not support.rebuild():
            return None
    return None


class _Excluded(NamedTuple):
    """The features that may not join now: the one that left last, on the side of its
    sign, and the blocked ones."""

    left: int
    left_sign: float
    blocked: list[int]

    def allowed(self, features: Array, inactive: Array, side: float, xp: Namespace) -> Array:
        """``inactive`` without the features excluded from the bound of ``side``."""
        for j in self.blocked:
            inactive = inactive & (features != j)
        if self.left >= 0 and self.left_sign == side:
            inactive = inactive & (features != self.left)
        return inactive


def _next_join(
    c: Array,
    a: Array,
    stretch: _Stretch,
    mu: float,
    active: Array,
    excluded: _Excluded,
    positive: bool,
    xp: Namespace,
) -> tuple[float, int, float]:
    """The decrease of mu at which the next inactive feature of the stretch reaches its
    bound, its position in the stretch and its sign (inf, 0, 0 where none ever does).
    A correlation already past its bound (by rounding) joins at once."""
    w, features = stretch.w, stretch.features
    inf = xp.full_like(c, math.inf)
    # c_j - g a_j = +(mu - g) w_j, and = -(mu - g) w_j (not for x >= 0).
    rising = excluded.allowed(features, ~active, 1.0, xp)
    upper = _first_crossing(xp.clip(mu * w - c, min=0.0), w - a, rising, inf, xp)
    j_upper = int(xp.argmin(upper))
    g_upper = float(upper[j_upper])
    if positive:
        return g_upper, j_upper, 1.0
    falling = excluded.allowed(features, ~active, -1.0, xp)
    lower = _first_crossing(xp.clip(mu * w + c, min=0.0), w + a, falling, inf, xp)
    j_lower = int(xp.argmin(lower))
    g_lower = float(lower[j_lower])
    if g_upper <= g_lower:
        return g_upper, j_upper, 1.0
    return g_lower, j_lower, -1.0


def _first_crossing(room: Array, speed: Array, inactive: Array, inf: Array, xp: Namespace) -> Array:
    """room / speed where an inactive feature approaches its bound (speed > 0), else
    inf."""
    moving = inactive & (speed > 0)
    return xp.where(moving, room / xp.where(moving, speed, xp.ones_like(speed)), inf)


def _next_leave(x: Array, d: Array, xp: Namespace) -> tuple[float, int]:
    """The decrease of mu at which the next coefficient reaches zero, and its position
    on the support (inf, -1 where none does)."""
    toward_zero = ((x < 0) & (d > 0)) | ((x > 0) & (d < 0))  # no product: no underflow
    safe_d = xp.where(toward_zero, d, xp.ones_like(d))
    reach = xp.where(toward_zero, -x / safe_d, xp.full_like(x, math.inf))
    p = int(xp.argmin(reach))
    return float(reach[p]), p

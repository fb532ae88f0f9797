"""Penalties of the proximal-gradient solvers: what the iteration and the certificate
need to know about g in  minimize 1/2 ||A x - b||^2 + g(x).

A penalty knows its proximal step, its value, and how to make a dual point feasible,
which gives it a duality gap. The solvers never look inside one: L1 (one weight, one
per coefficient, column or both), x >= 0 and the elastic net are penalties, not flags.

The gap at the dual point s * theta (theta = rho = b - A x, or rho projected so that
the dual constraints of unpenalised coefficients hold) is written as a sum of terms
each >= 0, so that it cannot cancel or go negative:

    P - D = 1/2 ||w||^2 + 1/2 (1 - s)^2 ||theta||^2
            + sum_j (g_j(x_j) + g_j*(s c_j) - s Re(conj(c_j) x_j)),   c = A^H theta,

where w = rho - theta and s in (0, 1] is the dual scaling that makes g*(s c) finite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from arrayshrink._agnostic._columns import device_of, take_columns
from arrayshrink._agnostic._formulas import softshrink
from arrayshrink._agnostic._groups import group_norm, group_scale
from arrayshrink._agnostic._norms import (
    dual_scale,
    ratio,
    real_product,
    sq_norm,
    widen,
)
from arrayshrink._lib._typing import Array, Namespace

__all__ = [
    "L1",
    "DualData",
    "ElasticNet",
    "Gap",
    "GroupL1",
    "Groups",
    "Penalty",
    "PositiveL1",
    "UserProx",
    "columns_of",
    "first_columns",
    "lambda_max_of",
]


class Gap(NamedTuple):
    """A penalty's certificate per column: the duality gap P - D (absolute), and where
    no dual point is at hand for some coefficients, their relative optimality residual
    (not a bound), which must meet tol too; else None."""

    value: Array
    residual: Array | None = None


@dataclass(frozen=True)
class DualData:
    """What a penalty's gap needs from the problem at x: rho = b - A x (in the working
    dtype), the adjoint product, b, the accumulation dtype ``wide``, and the
    iteration's step per column (None where there is none)."""

    rho: Array
    adjoint: Callable[[Array], Array]
    b: Array
    wide: Any
    xp: Namespace
    step: Array | None = None

    def widen(self, v: Array) -> Array:
        return widen(v, self.wide, self.xp)


class Penalty(Protocol):
    """The interface of a penalty g (see the module docstring)."""

    @property
    def per_column(self) -> Array | None:
        """Weights that differ between the columns of a batch, shape (..., k), which
        the drivers take along with the columns; None when shared by all columns."""

    @property
    def has_finite_gap(self) -> bool | None:
        """Whether ``gap`` is a true duality gap (None: decided by values not at hand)."""

    @property
    def ridge(self) -> float:
        """The weight r of a smooth part r/2 ||x||^2 of g, which the iteration takes
        in its gradient step (0 for none); ``prox`` is then the map of the rest."""

    def with_per_column(self, weights: Array) -> Penalty:
        """The penalty with its per-column weights replaced (columns taken, permuted)."""

    def prox(self, v: Array, step: Array) -> Array:
        """The proximal map of step * g at v (step per column), g without its ridge."""

    def value(self, x: Array, dual: DualData) -> Array:
        """g(x) per column, for x in the accumulation dtype."""

    def gap(self, x: Array, dual: DualData) -> Gap:
        """The duality gap at x (in the accumulation dtype), per column."""


def columns_of(penalty: Penalty, index: Array, xp: Namespace) -> Penalty:
    """The penalty restricted to the columns ``index`` of a batch."""
    weights = penalty.per_column
    return penalty if weights is None else penalty.with_per_column(take_columns(weights, index, xp))


def first_columns(penalty: Penalty, size: int) -> Penalty:
    """The penalty of the first ``size`` columns of a batch."""
    weights = penalty.per_column
    return penalty if weights is None else penalty.with_per_column(weights[..., :size])


@dataclass(frozen=True)
class L1:
    """g(x) = sum_j lambd_j |x_j|, with ``lambd`` a number or an array that broadcasts
    to x: one weight per coefficient (n, 1), per column (1, k), or both (n, k).

    A zero weight leaves its coefficient free (unpenalised). ``free`` says whether any
    is (None: the weights cannot be read, as under a trace); ``free_basis`` is an
    orthonormal basis of the span of the free columns of a matrix A, off which the dual
    point is projected (None: no matrix, and the free coefficients are certified by
    their relative optimality residual instead).
    """

    lambd: Any
    xp: Namespace
    free: bool | None = False
    free_basis: Array | None = None
    ridge: float = 0.0

    @property
    def per_column(self) -> Array | None:
        lambd = self.lambd
        return None if isinstance(lambd, float) or lambd.shape[-1] == 1 else lambd

    @property
    def has_finite_gap(self) -> bool | None:
        if self.free is None:
            return None
        return not self.free or self.free_basis is not None

    def with_per_column(self, weights: Array) -> L1:
        return replace(self, lambd=weights)

    def prox(self, v: Array, step: Array) -> Array:
        return softshrink(v, step * self.lambd, xp=self.xp)

    def magnitude(self, v: Array) -> Array:
        """The part of a dual correlation that the weights bound: |v|."""
        return self.xp.abs(v)

    def weights(self, dual: DualData) -> Any:
        lambd = self.lambd
        return lambd if isinstance(lambd, float) else self.xp.astype(lambd, dual.wide)

    def value(self, x: Array, dual: DualData) -> Array:
        return self.xp.sum(self.weights(dual) * self.xp.abs(x), axis=0)

    def free_mask(self, like: Array) -> Array | None:
        """Where the coefficients are unpenalised (None: nowhere)."""
        xp, lambd = self.xp, self.lambd
        if self.free is False:
            return None
        if isinstance(lambd, float):
            return xp.ones_like(like, dtype=xp.bool) if lambd == 0 else None
        return (lambd == 0) & xp.ones_like(like, dtype=xp.bool)

    def dual_scale(self, c: Array, dual: DualData, free: Array | None) -> Array:
        """The largest s <= 1 with |s c_j| <= lambd_j wherever a weight binds: the
        smallest lambd_j / max(|c_j|, lambd_j) (1 where both are 0). Each ratio is at
        most 1, so nothing overflows, however small lambd or large c; NaN in c gives
        NaN."""
        magnitude = self.xp.astype(self.magnitude(c), dual.wide, copy=False)
        return dual_scale(magnitude, self.weights(dual), self.xp, free)

    def gap(self, x: Array, dual: DualData) -> Gap:
        xp = self.xp
        rho, basis = dual.rho, self.free_basis
        if basis is None:
            theta, projected = rho, 0.0
        else:
            # The dual point must be orthogonal to the free columns: rho minus its
            # projection onto their span.
            onto = basis @ (xp.conj(xp.matrix_transpose(basis)) @ rho)
            theta, projected = rho - onto, sq_norm(dual.widen(onto), xp)
        c = dual.widen(dual.adjoint(theta))
        free = self.free_mask(c)
        s = self.dual_scale(c, dual, free)
        terms = xp.clip(self.weights(dual) * xp.abs(x) - s * real_product(c, x, xp), min=0.0)
        if free is not None:
            terms = xp.where(free, xp.zeros_like(terms), terms)
        value = (
            0.5 * projected
            + 0.5 * (1.0 - s) ** 2 * sq_norm(dual.widen(theta), xp)
            + xp.sum(terms, axis=0)
        )
        if free is None or basis is not None:
            return Gap(value)
        return Gap(value, self.free_residual(c, x, free, dual))

    def free_gradient(self, c: Array, x: Array) -> Array:
        """The size of the gradient of a free coefficient, |c_j|."""
        return self.xp.abs(c)

    def free_residual(self, c: Array, x: Array, free: Array, dual: DualData) -> Array:
        """max |gradient| over the unpenalised coefficients, relative to max |A^H b|
        (the gradient's size at x = 0): the relative optimality residual."""
        xp = self.xp
        gradient = xp.where(free, self.free_gradient(c, x), xp.zeros_like(c, dtype=dual.wide))
        scale = xp.abs(dual.widen(dual.adjoint(dual.b)))
        if gradient.shape[0] == 0:
            return xp.zeros(gradient.shape[1:], dtype=dual.wide)
        return ratio(xp.max(gradient, axis=0), xp.max(scale, axis=0), xp)


@dataclass(frozen=True)
class PositiveL1(L1):
    """g(x) = sum_j lambd_j x_j for x >= 0 (+inf elsewhere): the L1 penalty with the
    constraint x >= 0, for real problems."""

    def prox(self, v: Array, step: Array) -> Array:
        return self.xp.clip(v - step * self.lambd, min=0.0)

    def magnitude(self, v: Array) -> Array:
        # Only a positive correlation binds: g*(u) is finite for u_j <= lambd_j.
        return self.xp.clip(v, min=0.0)

    def free_gradient(self, c: Array, x: Array) -> Array:
        # With x >= 0 imposed, a negative gradient at x_j = 0 is optimal.
        xp = self.xp
        return xp.where(x > 0, xp.abs(c), xp.clip(c, min=0.0))


@dataclass(frozen=True)
class ElasticNet:
    """g(x) = l1(x) + l2/2 ||x||^2, for an L1 penalty ``l1`` (with or without x >= 0)
    and l2 > 0. The ridge is smooth: the iteration takes it in the gradient step, and
    ``prox`` is that of ``l1``. The conjugate of g is finite everywhere, so a gap exists
    without rescaling (and for zero weights); the gap of the rescaled dual of the
    equivalent Lasso on [A; sqrt(l2) I] is often much smaller far from the optimum,
    and the smaller of the two valid bounds is kept."""

    l1: L1
    l2: float

    @property
    def per_column(self) -> Array | None:
        return self.l1.per_column

    @property
    def has_finite_gap(self) -> bool:
        return True

    @property
    def ridge(self) -> float:
        return self.l2

    def with_per_column(self, weights: Array) -> ElasticNet:
        return replace(self, l1=self.l1.with_per_column(weights))

    def prox(self, v: Array, step: Array) -> Array:
        return self.l1.prox(v, step)

    def value(self, x: Array, dual: DualData) -> Array:
        return self.l1.value(x, dual) + 0.5 * self.l2 * sq_norm(x, self.l1.xp)

    def gap(self, x: Array, dual: DualData) -> Gap:
        xp, l1, l2 = self.l1.xp, self.l1, self.l2
        c = dual.widen(dual.adjoint(dual.rho))
        lambd = l1.weights(dual)
        penalty = lambd * xp.abs(x)
        # The Lasso on [A; sqrt(l2) I]: residual (rho, -sqrt(l2) x), correlation c - l2 x.
        shifted = c - l2 * x
        s = l1.dual_scale(shifted, dual, None)
        terms = xp.clip(penalty - s * real_product(shifted, x, xp), min=0.0)
        quadratic = sq_norm(dual.widen(dual.rho), xp) + l2 * sq_norm(x, xp)
        rescaled = 0.5 * (1.0 - s) ** 2 * quadratic + xp.sum(terms, axis=0)
        # Fenchel-Young at rho itself: g(x) + g*(c) - Re(c* x), term by term.
        excess = xp.clip(l1.magnitude(c) - lambd, min=0.0)
        fenchel_young = (
            0.5 * l2 * xp.abs(x) ** 2 + penalty - real_product(c, x, xp) + excess**2 / (2.0 * l2)
        )
        return Gap(xp.minimum(rescaled, xp.sum(xp.clip(fenchel_young, min=0.0), axis=0)))


@dataclass(frozen=True)
class Groups:
    """How the coefficients form groups, for norms per group in pure Array API code.

    ``members`` (G, s) holds the coefficients of each group, padded with the index n,
    which points at a zero appended to the vector (``padded``); ``labels`` (n,) the
    group of each coefficient. Sums over a group are sums of gathered entries, so a
    sum of non-negative terms never cancels.
    """

    members: Array
    labels: Array
    padded: bool

    @property
    def count(self) -> int:
        return int(self.members.shape[0])

    def sums(self, v: Array, xp: Namespace) -> Array:
        """Per group, the sum of the entries of ``v`` (n,) or (n, k): (G,) or (G, k)."""
        if self.padded:
            v = xp.concat([v, xp.zeros((1, *v.shape[1:]), dtype=v.dtype, device=device_of(v))])
        flat = xp.reshape(self.members, (-1,))
        gathered = xp.take(v, flat, axis=0)
        return xp.sum(xp.reshape(gathered, (*self.members.shape, *v.shape[1:])), axis=1)

    def gathered(self, v: Array, xp: Namespace) -> Array:
        """The entries of ``v`` (n,) or (n, k) by group: (G, s) or (G, s, k), the
        padding entries 0."""
        if self.padded:
            v = xp.concat([v, xp.zeros((1, *v.shape[1:]), dtype=v.dtype, device=device_of(v))])
        flat = xp.reshape(self.members, (-1,))
        return xp.reshape(xp.take(v, flat, axis=0), (*self.members.shape, *v.shape[1:]))

    def spread(self, g: Array, xp: Namespace) -> Array:
        """A value per group (G,) or (G, k) given to each coefficient: (n,) or (n, k)."""
        return xp.take(g, self.labels, axis=0)


def _norms(groups: Groups, v: Array, xp: Namespace) -> Array:
    """The Euclidean norm of each group of ``v``, scaled by the group's largest modulus
    so that squares neither overflow nor underflow (entries near 1e200 in float64)."""
    return xp.squeeze(group_norm(groups.gathered(v, xp), (1,), xp=xp), axis=1)


@dataclass(frozen=True)
class GroupL1:
    """g(x) = sum_g scale_g ||x_g||_2 (+ ridge/2 ||x||^2), scale_g = lambd * w_g: the
    group Lasso (label groups) and, on the flattened coefficients of a batch, the
    multi-task Lasso (rows as groups). With ``positive``, x >= 0 as well: the prox is
    the group shrink of the positive part, and only positive correlations bind.

    ``scale`` has shape (G,) for 1-d x, (G, 1) or (G, k) for a batch. A group with
    scale 0 is free: with ridge 0 it is certified by its optimality residual.
    """

    scale: Array
    groups: Groups
    xp: Namespace
    positive: bool = False
    ridge: float = 0.0
    free: bool | None = False

    @property
    def per_column(self) -> Array | None:
        scale = self.scale
        return scale if scale.ndim == 2 and scale.shape[-1] != 1 else None

    @property
    def has_finite_gap(self) -> bool | None:
        if self.ridge > 0:
            return True
        return None if self.free is None else not self.free

    def with_per_column(self, weights: Array) -> GroupL1:
        return replace(self, scale=weights)

    def _magnitude(self, c: Array) -> Array:
        return self.xp.clip(c, min=0.0) if self.positive else c

    def prox(self, v: Array, step: Array) -> Array:
        xp, groups = self.xp, self.groups
        if self.positive:
            v = xp.clip(v, min=0.0)
        factor = group_scale(_norms(groups, v, xp), step * self.scale, xp=xp)
        return v * groups.spread(factor, xp)

    def value(self, x: Array, dual: DualData) -> Array:
        xp = self.xp
        scale = xp.astype(self.scale, dual.wide)
        norms = _norms(self.groups, x, xp)
        return xp.sum(scale * norms, axis=0) + 0.5 * self.ridge * sq_norm(x, xp)

    def _scaled_terms(self, c: Array, x: Array, scale: Array, free: Array) -> tuple[Array, Array]:
        """The dual scaling s for correlation c, and the gap's terms per group."""
        xp, groups = self.xp, self.groups
        norms = _norms(groups, self._magnitude(c), xp)
        s = dual_scale(norms, scale + xp.zeros_like(free, dtype=scale.dtype), xp, free)
        inner = groups.sums(real_product(c, x, xp), xp)
        terms = xp.clip(scale * _norms(groups, x, xp) - s * inner, min=0.0)
        return s, xp.where(free, xp.zeros_like(terms), terms)

    def gap(self, x: Array, dual: DualData) -> Gap:
        xp, groups = self.xp, self.groups
        scale = xp.astype(self.scale, dual.wide)
        c = dual.widen(dual.adjoint(dual.rho))
        rho_norm = sq_norm(dual.widen(dual.rho), xp)
        if self.ridge > 0:
            return Gap(self._ridge_gap(c, x, scale, rho_norm))
        free = (scale == 0) & xp.ones((groups.count, *x.shape[1:]), dtype=xp.bool)
        s, terms = self._scaled_terms(c, x, scale, free)
        value = 0.5 * (1.0 - s) ** 2 * rho_norm + xp.sum(terms, axis=0)
        if self.free is False:
            return Gap(value)
        return Gap(value, self._free_residual(c, x, groups.spread(free, xp), dual))

    def _ridge_gap(self, c: Array, x: Array, scale: Array, rho_norm: Array) -> Array:
        """The smaller of two valid bounds, as for ElasticNet: the rescaled dual of the
        group Lasso on [A; sqrt(ridge) I], and Fenchel-Young at rho itself."""
        xp, groups, ridge = self.xp, self.groups, self.ridge
        never = xp.zeros((groups.count, *x.shape[1:]), dtype=xp.bool)
        s, terms = self._scaled_terms(c - ridge * x, x, scale, never)
        rescaled = 0.5 * (1.0 - s) ** 2 * (rho_norm + ridge * sq_norm(x, xp)) + xp.sum(
            terms, axis=0
        )
        excess = xp.clip(_norms(groups, self._magnitude(c), xp) - scale, min=0.0)
        x_norms = _norms(groups, x, xp)
        fenchel_young = (
            scale * x_norms
            + 0.5 * ridge * x_norms**2
            + excess**2 / (2.0 * ridge)
            - groups.sums(real_product(c, x, xp), xp)
        )
        return xp.minimum(rescaled, xp.sum(xp.clip(fenchel_young, min=0.0), axis=0))

    def _free_residual(self, c: Array, x: Array, free: Array, dual: DualData) -> Array:
        """max |gradient| over the coefficients of free groups, relative to max |A^H b|."""
        xp = self.xp
        size = xp.where(x > 0, xp.abs(c), xp.clip(c, min=0.0)) if self.positive else xp.abs(c)
        gradient = xp.where(free, size, xp.zeros_like(size))
        scale = xp.abs(dual.widen(dual.adjoint(dual.b)))
        return ratio(xp.max(gradient, axis=0), xp.max(scale, axis=0), xp)


@dataclass(frozen=True)
class UserProx:
    """Any penalty lambd * h given by its proximal map ``function(v, t)``, the proximal
    point of t * h at v (t = step * lambd). Its value is unknown: the objective is the
    smooth part alone, and the certificate is the relative fixed-point residual
    ||x - prox(x - t grad)|| / max(||x||, tiny) at the iteration's step."""

    function: Callable[[Array, Array], Array]
    lambd: Any
    xp: Namespace
    ridge: float = 0.0
    check: Callable[[Array, Array], Array] = field(default=lambda out, v: out)

    @property
    def per_column(self) -> Array | None:
        lambd = self.lambd
        return None if isinstance(lambd, float) or lambd.shape[-1] == 1 else lambd

    @property
    def has_finite_gap(self) -> bool:
        return False

    def with_per_column(self, weights: Array) -> UserProx:
        return replace(self, lambd=weights)

    def prox(self, v: Array, step: Array) -> Array:
        return self.check(self.function(v, step * self.lambd), v)

    def value(self, x: Array, dual: DualData) -> Array:
        return 0.5 * self.ridge * sq_norm(x, self.xp)

    def gap(self, x: Array, dual: DualData) -> Gap:
        xp = self.xp
        if dual.step is None:
            raise RuntimeError("a fixed-point residual needs the iteration's step")
        x_w = xp.astype(x, dual.rho.dtype)
        gradient = self.ridge * x_w - dual.adjoint(dual.rho)
        moved = x_w - self.prox(x_w - dual.step * gradient, dual.step)
        residual = xp.sqrt(sq_norm(dual.widen(moved), xp))
        norm = xp.sqrt(sq_norm(x, xp))
        tiny = float(xp.finfo(dual.wide).smallest_normal)
        relative = residual / xp.maximum(norm, xp.full_like(norm, tiny))
        return Gap(xp.zeros_like(relative), relative)


def lambda_max_of(
    c: Array,
    weights: Array | None,
    groups: Groups | None,
    *,
    positive: bool,
    rows: bool,
    xp: Namespace,
) -> Array:
    """The smallest scale of the weights for which x = 0 is optimal, given c = A^H b:
    max over coefficients |c_j| / w_j, over groups ||c_g|| / w_g, or, with ``rows``, over
    rows ||c_i,:|| / w_i (one value for the whole batch). Coefficients of weight 0 do
    not bound it (the caller takes c at the fit of those coefficients)."""
    magnitude = xp.clip(c, min=0.0) if positive else xp.abs(c)
    if rows:
        if magnitude.shape[1] == 0:  # no task: every row has norm 0
            magnitude = xp.zeros(magnitude.shape[:1], dtype=magnitude.dtype)
        else:
            magnitude = xp.reshape(group_norm(magnitude, (1,), xp=xp), (-1,))
    elif groups is not None:
        magnitude = _norms(groups, magnitude, xp)
    if weights is not None:
        weights = weights + xp.zeros_like(magnitude)
        bound = ratio(magnitude, weights, xp)
        magnitude = xp.where(weights == 0, xp.zeros_like(bound), bound)
        # An invalid weight that could not be read now (NaN) gives NaN, not a bound.
        magnitude = xp.where(weights == weights, magnitude, weights)
    if magnitude.shape[0] == 0:
        return xp.zeros(magnitude.shape[1:], dtype=magnitude.dtype)
    return xp.max(magnitude, axis=0)

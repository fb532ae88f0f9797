"""Proximal-gradient Lasso solvers (ISTA, FISTA) in pure Array API code.

Problem: minimize over x   1/2 ||A x - b||^2 + l2/2 ||x||^2 + sum_j lambd_j |x_j|
for b of shape (m,) or (m, k) (k independent problems), x of shape (n,) or (n, k).
Every quantity "per column" has the batch shape b.shape[1:]: () or (k,).
See arrayshrink.fista for the full contract; inputs here are already validated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from arrayshrink._agnostic._shrink import softshrink

__all__ = ["LassoResult", "Operator", "lambda_max", "proximal_gradient"]

Array = Any

_STEP_GROWTH = 1.25  # the step may grow again after a successful iteration
_STEP_SHRINK = 0.5  # backtracking: halve the step until the sufficient decrease holds
_MAX_HALVINGS = 60  # a safety net: 2**-60 of a step is no step at all


@dataclass(frozen=True)
class Operator:
    """A linear map given by its forward and adjoint products, and its shape (m, n)."""

    forward: Callable[[Array], Array]
    adjoint: Callable[[Array], Array]
    shape: tuple[int, int]


@dataclass(frozen=True)
class LassoResult:
    """The solution and how it was reached.

    Attributes
    ----------
    x : array
        The solution, of shape (n,) or (n, k).
    n_iter : int
        Iterations run.
    gap : array
        The relative duality gap (P(x) - D(theta)) / P(x) at `x`, per column: an
        upper bound on the relative suboptimality of `x`.
    converged : array
        Per column, whether the gap reached `tol`.
    objective : array
        P(x) per column.
    history : dict or None
        With ``history=True``: the lists "iteration", "objective" and "gap" (arrays
        per column) at each check point.
    """

    x: Array
    n_iter: int
    gap: Array
    converged: Array
    objective: Array
    history: dict[str, list[Any]] | None = field(default=None, repr=False)


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


@dataclass
class _Problem:
    op: Operator
    b: Array
    lambd: Array  # broadcastable to x
    l2: float
    positive: bool
    xp: ModuleType
    negligible: float = 0.0  # (64 eps)^2 for the dtype: a relative move below this is noise

    def objective(self, x: Array, residual: Array) -> Array:
        """P(x) per column, from the residual Ax - b."""
        xp = self.xp
        penalty = xp.sum(self.lambd * xp.abs(x), axis=0)
        return 0.5 * _sq_norm(residual, xp) + 0.5 * self.l2 * _sq_norm(x, xp) + penalty

    def gap(self, x: Array, residual: Array) -> tuple[Array, Array]:
        """(P(x), P(x) - D(theta)) per column, theta the scaled residual (dual point)."""
        xp = self.xp
        rho = -residual  # b - A x
        correlation = self.op.adjoint(rho) - self.l2 * x
        # With x >= 0, only positive correlations bound the dual point.
        magnitude = xp.clip(correlation, min=0.0) if self.positive else xp.abs(correlation)
        lambd = self.lambd + xp.zeros_like(magnitude)
        positive_lambd = xp.where(lambd > 0, lambd, xp.ones_like(lambd))
        ratio = xp.where(
            lambd > 0,
            magnitude / positive_lambd,
            xp.where(magnitude > 0, xp.full_like(magnitude, math.inf), xp.zeros_like(magnitude)),
        )
        worst = xp.max(ratio, axis=0)
        scale = xp.where(worst > 1, 1 / xp.where(worst > 1, worst, 1.0), 1.0)
        primal = self.objective(x, residual)
        dual = scale * _real_dot(rho, self.b, xp) - 0.5 * scale**2 * (
            _sq_norm(rho, xp) + self.l2 * _sq_norm(x, xp)
        )
        return primal, primal - dual


def _initial_step(problem: _Problem, x: Array, Ax: Array) -> Array:
    """1 / (curvature along the first gradient): never below 1/L, backtracking fixes it."""
    xp = problem.xp
    g = problem.op.adjoint(Ax - problem.b) + problem.l2 * x
    g_norm = _sq_norm(g, xp)
    curvature = _sq_norm(problem.op.forward(g), xp) + problem.l2 * g_norm
    usable = (curvature > 0) & (g_norm > 0)
    return xp.where(usable, g_norm / xp.where(usable, curvature, 1.0), 1.0)


def proximal_gradient(
    problem: _Problem,
    x0: Array,
    *,
    max_iter: int,
    tol: float,
    check_every: int,
    lipschitz: float | None,
    accelerate: bool,
    restart: bool,
    callback: Callable[[LassoResult], Any] | None,
    history: bool,
    materialize: Callable[..., tuple[Array, ...]],
) -> LassoResult:
    """ISTA (accelerate=False) or FISTA, with per-column steps, restart and gaps."""
    xp, op = problem.xp, problem.op
    x = x0
    Ax = op.forward(x)
    if lipschitz is not None:
        step = xp.full_like(_sq_norm(x, xp), 1.0 / lipschitz)
    else:
        step = _initial_step(problem, x, Ax)
    y, Ay = x, Ax
    momentum = xp.ones_like(step)
    records: dict[str, list[Any]] | None = (
        {"iteration": [], "objective": [], "gap": []} if history else None
    )
    n_iter, relative_gap, converged, primal = 0, None, None, None
    for n_iter in range(1, max_iter + 1):
        gradient = op.adjoint(Ay - problem.b) + problem.l2 * y
        halvings = 0
        while True:
            x_new = _prox(y - step * gradient, step * problem.lambd, problem.positive, xp)
            Ax_new = op.forward(x_new)
            if lipschitz is not None:
                break
            d = x_new - y
            d_norm = _sq_norm(d, xp)
            # Sufficient decrease of the quadratic part: ||A d||^2 + l2 ||d||^2 <= ||d||^2/t.
            lhs = _sq_norm(Ax_new - Ay, xp) + problem.l2 * d_norm
            too_long = lhs * step > d_norm * (1 + 1e-9)
            # A move at the rounding level of y says nothing about the step: without this,
            # rounding noise in ||A d|| would halve the step of a converged column forever.
            too_long = too_long & (d_norm > problem.negligible * _sq_norm(y, xp))
            (too_long,) = materialize(too_long)
            halvings += 1
            if halvings > _MAX_HALVINGS or not bool(xp.any(too_long)):
                break
            step = xp.where(too_long, step * _STEP_SHRINK, step)
        if accelerate:
            next_momentum = (1 + xp.sqrt(1 + 4 * momentum**2)) / 2
            beta = (momentum - 1) / next_momentum
            if restart:
                # O'Donoghue and Candes: restart where the step goes against the momentum.
                against = _real_dot(y - x_new, x_new - x, xp) > 0
                next_momentum = xp.where(against, 1.0, next_momentum)
                beta = xp.where(against, 0.0, beta)
            y = x_new + beta * (x_new - x)
            Ay = Ax_new + beta * (Ax_new - Ax)
            momentum = next_momentum
        else:
            y, Ay = x_new, Ax_new
        x, Ax = x_new, Ax_new
        if lipschitz is None:
            step = step * _STEP_GROWTH
        x, Ax, y, Ay, step, momentum = materialize(x, Ax, y, Ay, step, momentum)
        if n_iter % check_every == 0 or n_iter == max_iter:
            primal, gap = problem.gap(x, Ax - problem.b)
            scale = xp.where(primal > 0, primal, 1.0)
            relative_gap = xp.where(primal > 0, gap / scale, 0.0)
            converged = relative_gap <= tol
            if records is not None:
                records["iteration"].append(n_iter)
                records["objective"].append(primal)
                records["gap"].append(relative_gap)
            done = bool(xp.all(converged))
            if callback is not None:
                stop = callback(LassoResult(x, n_iter, relative_gap, converged, primal, records))
                done = done or bool(stop)
            if done:
                break
    assert relative_gap is not None
    return LassoResult(x, n_iter, relative_gap, converged, primal, records)

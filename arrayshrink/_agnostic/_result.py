"""LassoResult: what a solve returns (a NamedTuple, so a JAX pytree by construction)."""

from __future__ import annotations

import math
from typing import Any, Generic, NamedTuple

from arrayshrink._lib import _compat
from arrayshrink._lib._typing import Array, ArrayT

__all__ = ["LassoResult"]


class LassoResult(NamedTuple, Generic[ArrayT]):
    """The solution of a Lasso problem and the certificate of how good it is.

    Every field but `history` is an array of the library of `b`, on its device; "per
    column" means of shape () for 1-d `b` and (k,) for a batch of k columns.

    Attributes
    ----------
    x : array
        The solution, of shape (n,) or (n, k).
    gap : array
        Per column, the relative certificate of `x` (see the solver guide for which
        certificate each problem gets): the relative duality gap (P(x) - D)/P(x), an
        upper bound on the relative suboptimality of `x`, where a finite dual exists;
        with unpenalised coefficients and ``l2 = 0``, the larger of that gap over the
        penalised coefficients and the relative optimality residual of the others;
        with ``prox=f``, the relative fixed-point residual
        ||x - f(x - t grad, t)|| / ||x||, which is not a bound. Never negative; NaN or
        inf where the objective is not finite. With ``multitask=True`` every per-column
        field is a single value (the tasks are one problem).
    objective : array
        Per column, the objective P(x) at `x` (with ``prox``, its smooth part alone).
    converged : array
        Per column (boolean): the objective and the gap are finite, and the gap meets
        ``tol`` (relatively, or absolutely: P(x) - D <= tol * ||b||^2 / 2).
    n_iter : array
        Per column (integer): the iterations that produced that column of `x`; 0
        where `x0` already met `tol` (checked before the first iteration on eager
        arrays, for the L1 penalties).
    history : dict or None
        With ``history=True``: lists "iteration", "objective" and "gap" (arrays per
        column) with one entry per check point.
    """

    x: ArrayT
    gap: ArrayT
    objective: ArrayT
    converged: ArrayT
    n_iter: ArrayT
    history: dict[str, list[Any]] | None = None

    def __repr__(self) -> str:
        """Shapes and the verdict, never the arrays themselves."""
        parts = [f"x: {_describe(self.x)}"]
        summary = _summary(self.converged, self.gap, self.n_iter)
        parts.extend(summary if summary else [f"converged: {_describe(self.converged)}"])
        if self.history is not None:
            parts.append(f"history: {len(self.history.get('iteration', []))} check points")
        return f"LassoResult({', '.join(parts)})"


def _describe(a: Array) -> str:
    shape = getattr(a, "shape", None)
    dtype = str(getattr(a, "dtype", type(a).__name__)).rsplit(".", 1)[-1]
    return f"{dtype} array of shape {tuple(shape)}" if shape is not None else repr(a)


def _summary(converged: Array, gap: Array, n_iter: Array) -> list[str] | None:
    """The verdict in words, where the values can be read without computing."""
    xp = _compat.namespace_for(converged)
    if xp is None or not all(_compat.is_concrete(a) for a in (converged, gap, n_iter)):
        return None
    gap = gap.detach() if hasattr(gap, "detach") else gap  # torch: no autograd warning
    count = int(_compat.size(converged) or 0)
    done = int(xp.sum(xp.astype(converged, xp.int32)))
    worst = float(xp.max(gap)) if count else math.nan
    most = int(xp.max(n_iter)) if count else 0
    return [
        f"converged: {done} of {count}" if gap.ndim else f"converged: {bool(converged)}",
        f"worst gap: {worst:.3g}" if gap.ndim else f"gap: {worst:.3g}",
        f"n_iter: {most}" if not gap.ndim else f"n_iter: up to {most}",
    ]

"""Random Lasso problems: one generator for the solver tests and the benchmarks.

``benchmarks/bench_solvers.py`` imports this module too (it puts ``tests/`` on
``sys.path``), so that a benchmark times the problems the tests check. The module
needs NumPy alone.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np


class LassoProblem(NamedTuple):
    """A Lasso problem ``min 0.5 ||A x - b||^2 + lambd ||x||_1`` and the truth behind b."""

    A: np.ndarray
    b: np.ndarray
    lambd: float
    truth: np.ndarray


def lasso_problem(
    rng: np.random.Generator | int,
    m: int,
    n: int,
    k: int | None = None,
    *,
    sparsity: float = 0.05,
    noise: float = 0.01,
    unit_columns: bool = True,
    lambd_ratio: float = 0.1,
    dtype: Any = np.float64,
) -> LassoProblem:
    """A random m x n problem, with one signal (``k=None``) or a batch of ``k``.

    ``A`` is Gaussian, with unit-norm columns (``unit_columns``) or entries of variance
    ``1/m``. The truth has a ``sparsity`` fraction of standard normal entries (none
    drawn for ``sparsity=0``: then ``b`` is pure noise), and
    ``b = A @ truth + noise * N(0, 1)``. ``lambd`` is ``lambd_ratio`` times the
    smallest threshold with the zero solution, ``max |A^T b|`` over every column.
    Everything is drawn in float64, in that order, and cast to ``dtype`` at the end:
    a float32 problem is the rounded float64 one. ``rng``: a Generator or a seed.
    """
    rng = np.random.default_rng(rng)
    A = rng.standard_normal((m, n))
    if unit_columns:
        A /= np.linalg.norm(A, axis=0)
    else:
        A /= math.sqrt(m)
    shape = (n,) if k is None else (n, k)
    if sparsity:
        truth = rng.standard_normal(shape) * (rng.random(shape) < sparsity)
    else:
        truth = np.zeros(shape)
    b = A @ truth + noise * rng.standard_normal((m,) if k is None else (m, k))
    lambd = lambd_ratio * float(np.max(np.abs(A.T @ b), initial=0.0))
    return LassoProblem(A.astype(dtype), b.astype(dtype), lambd, truth)

"""Hostile cases of the working sets' repeated Newton step on the support
(arrayshrink._agnostic._working_set._newton), through the public API only:
problems with n >= 400 columns, on every backend (the working sets run on the eager
ones; the others check the plain solve).

References: the optimum is 0 for lambd >= lambda_max = max |A^T b| (computed with
NumPy); elsewhere scikit-learn's Lasso run to a tight tolerance.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import from_numpy, to_numpy
from sklearn.linear_model import Lasso

from arrayshrink import fista

M, N = 100, 500  # N >= the size from which working sets apply

single_on_dask = pytest.mark.skip_xp_backend(
    "dask", reason="one lazy problem takes the persisted path (tests/test_dask_solve.py)"
)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((M, N))
    A /= np.linalg.norm(A, axis=0)
    return A, rng.standard_normal(M)


def _objective(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambd: Any) -> float:
    r = A @ x - b
    return float(0.5 * r @ r + np.sum(lambd * np.abs(x)))


def _sklearn_objective(A: np.ndarray, b: np.ndarray, lambd: Any, **kwargs: Any) -> float:
    w = np.asarray(lambd, dtype=float) * np.ones(A.shape[1])  # weights rescale the columns
    model = Lasso(alpha=1.0 / A.shape[0], fit_intercept=False, tol=1e-14, max_iter=10**6, **kwargs)
    x = model.fit(A / w, b).coef_ / w
    return _objective(A, b, x, lambd)


# A warm start with one coefficient, at a threshold above lambda_max: the inner solve
# leaves that coefficient nonzero, and the Newton step on it crosses zero. The support
# is then empty, and a further round must not run (its minimum of an empty array
# would raise out of fista).
@single_on_dask
@pytest.mark.parametrize("j", [100, 150, 250])
def test_one_coefficient_warm_start_whose_newton_step_crosses_zero(xp: ModuleType, j: int) -> None:
    A, b = _data()
    lambd = 1.01 * float(np.max(np.abs(A.T @ b)))  # above lambda_max: the optimum is 0
    x0 = np.zeros(N)
    x0[j] = 1.0
    result = fista(
        from_numpy(xp, A), from_numpy(xp, b), lambd, x0=from_numpy(xp, x0), check_every=1
    )
    x = to_numpy(result.x)
    assert np.all(np.isfinite(x))
    assert bool(to_numpy(result.converged))
    assert _objective(A, b, x, lambd) <= 0.5 * b @ b * (1 + 1e-6)  # P(0) is the optimum


@single_on_dask
@pytest.mark.skip_xp_backend(
    "jax", reason="eager JAX solves without working sets: one iteration stays unconverged"
)
def test_one_iteration_from_a_one_coefficient_warm_start(xp: ModuleType) -> None:
    """max_iter=1: never an exception; the Newton step reaches the optimum, 0, which
    the certificate then confirms (so no warning)."""
    A, b = _data()
    lambd = 1.01 * float(np.max(np.abs(A.T @ b)))
    x0 = np.zeros(N)
    x0[100] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fista(
            from_numpy(xp, A), from_numpy(xp, b), lambd, x0=from_numpy(xp, x0), max_iter=1
        )
    np.testing.assert_array_equal(to_numpy(result.x), 0.0)
    assert bool(to_numpy(result.converged))


# Cases that pass (kept as regression tests of the repeated Newton step).


def _check(A: np.ndarray, b: np.ndarray, result: Any, lambd: Any, reference: float) -> None:
    x = to_numpy(result.x).astype(np.float64)
    assert np.all(np.isfinite(x))
    assert bool(to_numpy(result.converged))
    bound = 1e-6 * max(reference, 0.5 * float(b @ b))
    assert _objective(A, b, x, lambd) - reference <= bound


@single_on_dask
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_duplicated_support_columns(xp: ModuleType, dtype: Any, sign: float) -> None:
    """Columns of the support repeated (sign 1) or negated (sign -1): a singular Gram
    matrix on the support."""
    rng = np.random.default_rng(1)
    A, _ = _data(1)
    support = rng.choice(N // 2, 10, replace=False)
    b = A[:, support] @ rng.standard_normal(10) + 0.1 * rng.standard_normal(M)
    A[:, support + N // 2] = sign * A[:, support]
    A, b = A.astype(dtype), b.astype(dtype)
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    lambd = 0.01 * float(np.max(np.abs(A64.T @ b64)))
    A_in, b_in = from_numpy(xp, A), from_numpy(xp, b)
    result = fista(A_in, b_in, lambd, max_iter=20_000)
    _check(A64, b64, result, lambd, _sklearn_objective(A64, b64, lambd))
    np.testing.assert_array_equal(to_numpy(A_in), A)  # inputs untouched
    np.testing.assert_array_equal(to_numpy(b_in), b)


@single_on_dask
def test_zero_columns_give_no_division_warning(xp: ModuleType) -> None:
    """All-zero columns of A: the working sets' ranking divides by the column norms
    (_working_set._ranking, before this change too), and NumPy warns of a division by
    zero from fista."""
    A, b = _data(2)
    A[:, ::7] = 0.0
    lambd = 0.05 * float(np.max(np.abs(A.T @ b)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, tol=1e-10)
    _check(A, b, result, lambd, _sklearn_objective(A, b, lambd))
    assert not np.any(to_numpy(result.x)[::7])


@single_on_dask
def test_huge_weights_on_the_support(xp: ModuleType) -> None:
    rng = np.random.default_rng(2)
    A, b = _data(2)
    peak = float(np.max(np.abs(A.T @ b)))
    w = rng.uniform(0.5, 2.0, N)
    w[np.argsort(-np.abs(A.T @ b))[:5]] = 1e12  # the most correlated features
    lambd = 0.05 * peak * w
    result = fista(from_numpy(xp, A), from_numpy(xp, b), from_numpy(xp, lambd), tol=1e-10)
    _check(A, b, result, lambd, _sklearn_objective(A, b, lambd))


@single_on_dask
def test_positive_with_a_small_threshold(xp: ModuleType) -> None:
    A, b = _data(3)
    lambd = 0.001 * float(np.max(A.T @ b))
    result = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, positive=True, max_iter=20_000)
    x = to_numpy(result.x)
    assert np.all(x >= 0)
    _check(A, b, result, lambd, _sklearn_objective(A, b, lambd, positive=True))


@pytest.mark.backend("numpy")
def test_longdouble_data_solve_without_newton_steps() -> None:
    """NumPy's linalg rejects longdouble (a TypeError): the working sets solve such a
    problem without Newton steps, to scikit-learn's optimum, in longdouble."""
    A, b = _data(3)
    lambd = 0.1 * float(np.max(np.abs(A.T @ b)))
    result = fista(A.astype(np.longdouble), b.astype(np.longdouble), lambd)
    assert result.x.dtype == np.longdouble
    assert bool(result.converged)
    x = result.x.astype(np.float64)
    reference = _sklearn_objective(A, b, lambd)
    assert _objective(A, b, x, lambd) - reference <= 1e-6 * reference

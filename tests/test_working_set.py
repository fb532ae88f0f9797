"""Working sets and gap-safe screening (arrayshrink._agnostic._working_set): the eager
Lasso with many columns is solved on a few of them, and certified on the full problem.

References: scikit-learn (Lasso, ElasticNet) run to a tight tolerance. Where the
working sets apply (eager backends that split batches: NumPy, torch, array-api-strict),
a spy checks that they ran; elsewhere the same tests check the plain solve.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _problems import lasso_problem
from _support import from_numpy, to_numpy
from sklearn.linear_model import ElasticNet, Lasso

import arrayshrink
from arrayshrink import fista, lambda_max
from arrayshrink._agnostic import _working_set

M, N = 150, 800  # N >= the size from which working sets apply


def _sklearn(A: np.ndarray, b: np.ndarray, lambd: Any, **kwargs: Any) -> np.ndarray:
    model = Lasso(
        alpha=lambd / A.shape[0], fit_intercept=False, tol=1e-14, max_iter=10**6, **kwargs
    )
    return model.fit(A, b).coef_


def _objective(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambd: Any, l2: float = 0.0) -> Any:
    r = A @ x - b
    return (
        0.5 * np.sum(r**2, axis=0)
        + np.sum(lambd * np.abs(x), axis=0)
        + 0.5 * l2 * np.sum(x**2, axis=0)
    )


# One Dask problem takes the persisted path, a long solve covered in test_dask_solve.py.
single_on_dask = pytest.mark.skip_xp_backend(
    "dask", reason="one lazy problem takes the persisted path (tests/test_dask_solve.py)"
)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Counts the working-set solves and inner solves, and records the screened masks."""
    record: dict[str, Any] = {"solves": 0, "inner": 0, "screened": []}
    solve, inner, ranking = (
        _working_set.solve_working_set,
        _working_set._inner,
        _working_set._ranking,
    )

    def counted_solve(*args: Any) -> Any:
        record["solves"] += 1
        return solve(*args)

    def counted_inner(*args: Any) -> Any:
        record["inner"] += 1
        return inner(*args)

    def recorded_ranking(*args: Any) -> Any:
        order, screened = ranking(*args)
        record["screened"].append(to_numpy(screened))
        return order, screened

    monkeypatch.setattr(_working_set, "solve_working_set", counted_solve)
    monkeypatch.setattr(_working_set, "_inner", counted_inner)
    monkeypatch.setattr(_working_set, "_ranking", recorded_ranking)
    return record


def _takes_working_sets(xp: ModuleType) -> bool:
    name = xp.__name__
    return not any(lazy_or_jit in name for lazy_or_jit in ("jax", "dask"))


@single_on_dask
def test_single_problem_equals_sklearn_and_grows_its_set(xp: ModuleType, spy: dict) -> None:
    A, b, _, _ = lasso_problem(0, M, N, sparsity=0.1)
    lambd = 0.02 * float(lambda_max(A, b))  # a support of well over 100 features
    result = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, tol=1e-10, max_iter=20_000)
    x_ref = _sklearn(A, b, lambd)
    x = to_numpy(result.x)
    assert bool(to_numpy(result.converged))
    assert _objective(A, b, x, lambd) <= _objective(A, b, x_ref, lambd) * (1 + 1e-9)
    # The certificate is the full problem's (relative, or against ||b||^2 / 2).
    gap = float(to_numpy(result.gap))
    assert gap <= 1e-10 or gap * float(to_numpy(result.objective)) <= 1e-10 * 0.5 * b @ b
    if _takes_working_sets(xp):
        assert spy["solves"] == 1
        assert spy["inner"] >= 2  # the set had to grow
        assert np.count_nonzero(x) > 100


def test_screening_never_removes_a_feature_of_the_optimum(spy: dict) -> None:
    A, b, _, _ = lasso_problem(1, M, N)
    lambd = 0.3 * float(lambda_max(A, b))
    # Screening needs a small gap: a warm start near the optimum (as along a path).
    optimum = _sklearn(A, b, lambd)
    support = optimum != 0
    fista(A, b, lambd, x0=optimum * 1.01, tol=1e-12)
    assert spy["screened"]
    assert spy["screened"][-1].any()  # screening did remove features
    for screened in spy["screened"]:
        assert not np.any(screened & support)


@single_on_dask
@pytest.mark.parametrize("kind", ["weights", "positive", "elastic net"])
def test_weights_positive_and_elastic_net_equal_sklearn(
    xp: ModuleType, spy: dict, kind: str
) -> None:
    A, b, _, _ = lasso_problem(2, M, N)
    lambd = 0.1 * float(lambda_max(A, b))
    if kind == "weights":
        w = np.random.default_rng(0).uniform(0.5, 2.0, N)
        result = fista(from_numpy(xp, A), from_numpy(xp, b), from_numpy(xp, lambd * w), tol=1e-10)
        reference = _sklearn(A / w, b, lambd) / w  # weights rescale the columns
        weights, l2 = lambd * w, 0.0
    elif kind == "positive":
        result = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, positive=True, tol=1e-10)
        reference, weights, l2 = _sklearn(A, b, lambd, positive=True), lambd, 0.0
    else:
        l2 = 0.5
        result = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, l2=l2, tol=1e-10)
        net = ElasticNet(
            alpha=(lambd + l2) / M,
            l1_ratio=lambd / (lambd + l2),
            fit_intercept=False,
            tol=1e-14,
            max_iter=10**6,
        )
        reference, weights = net.fit(A, b).coef_, lambd
    x = to_numpy(result.x)
    assert bool(to_numpy(result.converged))
    assert _objective(A, b, x, weights, l2) <= _objective(A, b, reference, weights, l2) * (1 + 1e-9)
    assert spy["solves"] == (1 if _takes_working_sets(xp) else 0)


def test_batch_equals_separate_sklearn_solves(xp: ModuleType, spy: dict) -> None:
    A, B, _, _ = lasso_problem(3, M, N, 4)
    lambd = np.asarray([0.05, 0.1, 0.2, 0.4]) * to_numpy(lambda_max(A, B))
    result = fista(from_numpy(xp, A), from_numpy(xp, B), from_numpy(xp, lambd), tol=1e-10)
    x = to_numpy(result.x)
    assert bool(np.all(to_numpy(result.converged)))
    for j in range(4):
        reference = _sklearn(A, B[:, j], lambd[j])
        assert _objective(A, B[:, j], x[:, j], lambd[j]) <= _objective(
            A, B[:, j], reference, lambd[j]
        ) * (1 + 1e-9)
    if "dask" in xp.__name__:
        # A batch of one chunk is solved by NumPy's eager solve inside its task.
        assert spy["solves"] >= 1
    else:
        assert spy["solves"] == (1 if _takes_working_sets(xp) else 0)


def test_zero_and_dense_solutions(xp: ModuleType) -> None:
    A, b, _, _ = lasso_problem(4, 1000, 400)
    peak = float(lambda_max(A, b))
    zero = fista(from_numpy(xp, A), from_numpy(xp, b), peak * (1 + 1e-9))
    assert not np.any(to_numpy(zero.x))
    assert bool(to_numpy(zero.converged))
    lambd = 1e-4 * peak  # m > n: almost every coefficient is nonzero
    dense = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, tol=1e-10, max_iter=20_000)
    x = to_numpy(dense.x)
    assert np.count_nonzero(x) > 350
    reference = _sklearn(A, b, lambd)
    assert _objective(A, b, x, lambd) <= _objective(A, b, reference, lambd) * (1 + 1e-9)


def test_max_iter_reached_warns_with_the_full_certificate() -> None:
    A, b, _, _ = lasso_problem(5, M, N)
    lambd = 0.01 * float(lambda_max(A, b))
    with pytest.warns(arrayshrink.ConvergenceWarning, match="did not converge in 5 iterations"):
        result = fista(A, b, lambd, max_iter=5)
    assert not bool(result.converged)
    assert int(result.n_iter) <= 5
    # The reported gap is the full problem's at the returned x (recomputed here).
    x = result.x
    rho = b - A @ x
    c = A.T @ rho
    s = min(1.0, lambd / np.max(np.abs(c)))
    primal = 0.5 * rho @ rho + lambd * np.abs(x).sum()
    dual = 0.5 * b @ b - 0.5 * np.sum((b - s * rho) ** 2)
    assert float(result.gap) == pytest.approx((primal - dual) / primal, rel=1e-6)


def test_data_near_the_largest_float_is_not_certified() -> None:
    A, b, _, _ = lasso_problem(6, M, N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow notices
        with pytest.warns(arrayshrink.ConvergenceWarning, match="non-finite"):
            result = fista(A, b * 1e300, 1e299)
    assert not bool(result.converged)


def _support_problem(A: np.ndarray, b: np.ndarray, lambd: float) -> Any:
    """The internal problem of fista(A, b, lambd) on NumPy (the Lasso, a matrix A)."""
    from arrayshrink._agnostic import _lasso, _penalties
    from arrayshrink._lib import _compat

    xp = _compat.array_namespace(A)
    operator = _lasso.dense_operator(A, False, xp)
    return _lasso.Problem(operator, b, _penalties.L1(lambd, xp), xp, 0.0, np.float64, np.float64)


def test_support_step_drops_extra_coefficients_to_reach_the_optimum() -> None:
    """From the optimum's support plus wrong coefficients (as FISTA leaves them before
    its support settles), the repeated Newton step on the support drops them one by
    one and lands on scikit-learn's optimum; the objective decreases."""
    A, b, _, _ = lasso_problem(4, 80, 120)
    lambd = 0.002 * float(lambda_max(A, b))  # a small threshold: a large support
    optimum = _sklearn(A, b, lambd)
    support = np.flatnonzero(optimum)
    assert 20 < support.size < 74
    rng = np.random.default_rng(4)
    extra = rng.choice(np.flatnonzero(optimum == 0), 6, replace=False)
    x = optimum.copy()
    x[extra] = 1e-3 * rng.choice([-1.0, 1.0], 6)
    x[support] *= 1.0 + 0.1 * rng.standard_normal(support.size)  # signs kept
    stepped, Ax, _ = _working_set._newton(_support_problem(A, b, lambd), x)
    np.testing.assert_allclose(stepped, optimum, atol=1e-9)
    np.testing.assert_allclose(Ax, A @ stepped, atol=1e-12)
    assert _objective(A, b, stepped, lambd) < _objective(A, b, x, lambd)


def test_support_step_of_more_than_m_coefficients_is_not_taken() -> None:
    """A support larger than m leaves a singular system: x comes back unchanged."""
    A, b, _, _ = lasso_problem(5, 20, 60)
    x = np.random.default_rng(5).standard_normal(60)
    stepped, Ax, _ = _working_set._newton(_support_problem(A, b, 0.1), x)
    np.testing.assert_array_equal(stepped, x)
    np.testing.assert_allclose(Ax, A @ x, atol=1e-12)


def test_newton_step_with_entering_features_reaches_the_optimum() -> None:
    """From the optimum with a third of its support set to zero (as an inner solve
    leaves it before the last features enter), Newton steps with the violating zero
    coefficients entering (and zero coefficients of the optimum too), each with the
    sign of its correlation, land on scikit-learn's optimum: an entrant whose
    minimizer has the other sign leaves at once, and the objective decreases."""
    A, b, _, _ = lasso_problem(4, 80, 120)
    lambd = 0.05 * float(lambda_max(A, b))
    optimum = _sklearn(A, b, lambd)
    support = np.flatnonzero(optimum)
    rng = np.random.default_rng(6)
    x = optimum.copy()
    x[rng.choice(support, support.size // 3, replace=False)] = 0.0
    outside = rng.choice(np.flatnonzero(optimum == 0), 5, replace=False)
    problem = _support_problem(A, b, lambd)
    for step in range(5):  # as _newton_round does: until no coefficient violates
        c = A.T @ (b - A @ x)
        entering = (x == 0) & (np.abs(c) > lambd)
        if step == 0:
            assert entering.any()
            entering[outside] = True
        if not entering.any():
            break
        stepped, Ax, full = _working_set._newton(problem, x, entering, c)
        assert full
        np.testing.assert_allclose(Ax, A @ stepped, atol=1e-12)
        assert _objective(A, b, stepped, lambd) < _objective(A, b, x, lambd)
        x = stepped
    np.testing.assert_allclose(x, optimum, atol=1e-9)
    assert not np.any(x[outside])


@single_on_dask
def test_last_features_enter_in_a_newton_round(xp: ModuleType, monkeypatch: Any) -> None:
    """Once few features violate, a round adds them by Newton steps alone (no inner
    FISTA solve); the result is certified on the full problem and equals scikit-learn's."""
    A, b, _, _ = lasso_problem(0, M, N, sparsity=0.1)
    lambd = 0.1 * float(lambda_max(A, b))
    taken: list[bool] = []
    newton_round = _working_set._newton_round

    def recorded(*args: Any) -> Any:
        state = newton_round(*args)
        taken.append(state is not None)
        return state

    monkeypatch.setattr(_working_set, "_newton_round", recorded)
    result = fista(from_numpy(xp, A), from_numpy(xp, b), lambd, tol=1e-10)
    x = to_numpy(result.x)
    assert bool(to_numpy(result.converged))
    x_ref = _sklearn(A, b, lambd)
    assert _objective(A, b, x, lambd) <= _objective(A, b, x_ref, lambd) * (1 + 1e-9)
    if _takes_working_sets(xp):
        assert any(taken)


def test_first_working_set_holds_m_entries_of_a_sparse_matrix() -> None:
    """A set of columns that store about m entries costs an inner iteration little more
    than its vectors of length m: the first set of a sparse A is that large."""
    assert _working_set._first_size((2000, 10_000), 2000 * 10_000) == _working_set._FIRST_SIZE
    assert _working_set._first_size((20_000, 50_000), 10**6) == 1000
    assert _working_set._first_size((30, 1000), 10**6) == _working_set._FIRST_SIZE

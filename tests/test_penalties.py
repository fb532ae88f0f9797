"""The solvers' penalties, through their interface: proximal maps against their closed
forms, duality gaps that are never negative and vanish at scikit-learn's optimum, and
the internal solve on an empty working set."""

from __future__ import annotations

from types import ModuleType

import array_api_compat.numpy as np_xp
import numpy as np
import pytest
from _support import from_numpy, to_numpy

from arrayshrink._agnostic import _drivers, _lasso, _penalties
from arrayshrink._agnostic._loops import PYTHON_LOOPS

sklearn = pytest.importorskip("sklearn.linear_model")


def _dual(A: np.ndarray, b: np.ndarray, x: np.ndarray) -> _penalties.DualData:
    return _penalties.DualData(b - A @ x, lambda r: A.T @ r, b, np.float64, np_xp)


def _problem(seed: int = 0, m: int = 30, n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    return A, A[:, :4] @ rng.standard_normal(4) + 0.1 * rng.standard_normal(m)


def _penalty_cases(lambd: float) -> list[_penalties.Penalty]:
    return [
        _penalties.L1(lambd, np_xp),
        _penalties.PositiveL1(lambd, np_xp),
        _penalties.ElasticNet(_penalties.L1(lambd, np_xp), 0.7),
        _penalties.ElasticNet(_penalties.PositiveL1(lambd, np_xp), 0.7),
    ]


def test_prox_matches_closed_forms(xp: ModuleType) -> None:
    """prox(v, t) of t*lambd*|.|_1 is soft-thresholding; with x >= 0 it is
    max(v - t*lambd, 0); an elastic net's prox leaves its ridge to the gradient step."""
    v_np = np.asarray([-3.0, -0.4, 0.0, 0.2, 0.5, 2.5, np.inf, -np.inf])
    v = from_numpy(xp, v_np)
    step, lambd = 0.5, 1.0
    expected = {
        "L1": np.sign(v_np) * np.maximum(np.abs(v_np) - step * lambd, 0),
        "PositiveL1": np.maximum(v_np - step * lambd, 0),
    }
    for penalty in (_penalties.L1(lambd, xp), _penalties.PositiveL1(lambd, xp)):
        out = to_numpy(penalty.prox(v, step))
        np.testing.assert_array_equal(out, expected[type(penalty).__name__])
        wrapped = _penalties.ElasticNet(penalty, 2.0)
        np.testing.assert_array_equal(to_numpy(wrapped.prox(v, step)), out)
        assert wrapped.ridge == 2.0
        assert penalty.ridge == 0.0


@pytest.mark.parametrize("kind", ["L1", "PositiveL1", "ElasticNet(L1)", "ElasticNet(PositiveL1)"])
def test_gap_vanishes_at_the_optimum_and_bounds_suboptimality(kind: str) -> None:
    """At scikit-learn's optimum (tol 1e-12) the gap is ~0 relative to P; at a
    perturbed point it is >= the true suboptimality P(x) - P(x*) (weak duality)."""
    A, b = _problem()
    lambd = 0.2 * float(np.max(np.abs(A.T @ b)))
    index = ["L1", "PositiveL1", "ElasticNet(L1)", "ElasticNet(PositiveL1)"].index(kind)
    penalty = _penalty_cases(lambd)[index]
    l2 = penalty.ridge
    m = A.shape[0]
    alpha, ratio = (lambd + l2) / m, lambd / (lambd + l2)
    model = sklearn.ElasticNet(
        alpha=alpha,
        l1_ratio=ratio,
        fit_intercept=False,
        tol=1e-14,
        max_iter=100_000,
        positive="Positive" in kind,
    )
    x_star = model.fit(A, b).coef_

    def primal(x: np.ndarray) -> float:
        value = penalty.value(x, _dual(A, b, x))
        return float(0.5 * np.sum((A @ x - b) ** 2) + value)

    gap_star = float(penalty.gap(x_star, _dual(A, b, x_star)).value)
    assert 0.0 <= gap_star <= 1e-9 * primal(x_star)
    rng = np.random.default_rng(1)
    for scale in (1e-3, 1e-1, 1.0):
        x = x_star + scale * rng.standard_normal(x_star.shape)
        if "Positive" in kind:
            x = np.maximum(x, 0.0)
        gap = float(penalty.gap(x, _dual(A, b, x)).value)
        assert gap >= primal(x) - primal(x_star) - 1e-9 * primal(x_star)


def test_free_coefficients_without_a_basis_report_a_residual() -> None:
    """Zero weights without a basis of their columns: no dual point, so the gap comes
    with the relative optimality residual of those coefficients, and the penalty says
    that its gap is not a bound."""
    A, b = _problem()
    weights = np.full((A.shape[1],), 0.5)
    weights[:3] = 0.0
    penalty = _penalties.L1(weights, np_xp, free=True)
    assert penalty.has_finite_gap is False
    x = np.zeros(A.shape[1])
    gap = penalty.gap(x, _dual(A, b, x))
    assert gap.residual is not None
    # At x = 0 the gradient of the free coefficients is A[:, :3]^T b.
    expected = np.max(np.abs(A[:, :3].T @ b)) / np.max(np.abs(A.T @ b))
    np.testing.assert_allclose(float(gap.residual), expected, rtol=1e-12)
    basis = np.linalg.qr(A[:, :3])[0]
    assert _penalties.L1(weights, np_xp, free=True, free_basis=basis).has_finite_gap
    assert _penalties.L1(weights, np_xp, free=None).has_finite_gap is None


def test_per_column_weights_follow_the_columns() -> None:
    """Weights of shape (1, k) are taken with the columns; shared ones are not."""
    weights = np.asarray([[0.1, 0.2, 0.3]])
    penalty = _penalties.ElasticNet(_penalties.L1(weights, np_xp), 1.0)
    index = np.asarray([2, 0])
    taken = _penalties.columns_of(penalty, index, np_xp)
    np.testing.assert_array_equal(taken.per_column, [[0.3, 0.1]])
    np.testing.assert_array_equal(_penalties.first_columns(penalty, 2).per_column, [[0.1, 0.2]])
    shared = _penalties.L1(np.full((4, 1), 0.5), np_xp)
    assert shared.per_column is None
    assert _penalties.columns_of(shared, index, np_xp) is shared


def test_internal_solve_of_an_empty_working_set() -> None:
    """No coefficient at all (a working set can be empty): x = 0 is the solution, the
    gap is 0, and the solve converges at its first check."""
    b = np.asarray([1.0, -2.0, 0.5])
    operator = _lasso.Operator(lambda x: np.zeros(3), lambda r: np.zeros(0), (3, 0))
    problem = _lasso.Problem(
        operator, b, _penalties.L1(0.5, np_xp), np_xp, 0.0, np.float64, np.float64
    )
    result = _drivers.solve(
        problem,
        np.zeros(0),
        _lasso.Options(100, 1e-10, 10, None, True, True),
        loops=None,
        hooks=_drivers.Hooks(split_batches=True),
    )
    assert result.x.shape == (0,)
    assert bool(result.converged)
    assert float(result.gap) == 0.0
    np.testing.assert_allclose(float(result.objective), 0.5 * float(b @ b))
    assert PYTHON_LOOPS.fori_loop(3, lambda n: n + 1, 0) == 3


@pytest.mark.parametrize("positive", [False, True])
def test_one_threshold_dual_scale_is_the_weighted_one(xp: ModuleType, positive: bool) -> None:
    """The dual scale of one threshold (max |c| / lambd) is bit for bit the general
    per-coefficient computation with every weight equal to it: with NaN, infinities,
    zeros, huge and tiny correlations, and columns that need no scaling."""
    c_np = np.asarray(
        [
            [0.3, np.nan, 0.0, 1e308, -5e-324, 2.0],
            [-2.5, 1.0, -0.0, -1e308, 0.0, np.inf],
            [1.7, -0.2, 0.0, 3.0, 1e-300, -np.inf],
        ]
    )
    c = from_numpy(xp, c_np)
    dual = _penalties.DualData(c, lambda r: r, c, c.dtype, xp)
    kind = _penalties.PositiveL1 if positive else _penalties.L1
    # XLA's vectorised division is not always correctly rounded (one ulp apart there),
    # and it flushes subnormal results to zero.
    on_jax = xp.__name__.startswith("jax")
    rtol, atol = (4e-16, np.finfo(np.float64).tiny) if on_jax else (0.0, 0.0)
    for lambd in (0.7, 1e-300, 3.0, 1e300):
        one = to_numpy(kind(lambd, xp).dual_scale(c, dual, None))
        weights = from_numpy(xp, np.full((3, 1), lambd))
        general = to_numpy(kind(weights, xp).dual_scale(c, dual, None))
        np.testing.assert_allclose(one, general, rtol=rtol, atol=atol)
        # And the mathematics: min(1, lambd / max |c_j|) in float64 NumPy.
        top = np.max(np.clip(c_np, 0, None) if positive else np.abs(c_np), axis=0)
        with np.errstate(over="ignore", divide="ignore"):
            expected = np.minimum(1.0, lambd / top)
        np.testing.assert_allclose(one, expected, rtol=4e-16, atol=atol)


def test_a_tiny_threshold_on_huge_data_warns_of_nothing(xp: ModuleType) -> None:
    """lambd = 1e-300 beside correlations near 1e10: the dual scale is about 1e-310,
    computed without overflow (the suite runs with warnings as errors). The problem is
    an exact fit (20 equations, 30 unknowns): it converges on the absolute gap."""
    import arrayshrink

    rng = np.random.default_rng(0)
    A = rng.standard_normal((20, 30))
    b = 1e10 * rng.standard_normal(20)
    for lambd in (1e-300, 5e-324):
        result = arrayshrink.fista(from_numpy(xp, A), from_numpy(xp, b), lambd, tol=1e-3)
        assert bool(result.converged)
        assert 0.0 <= float(result.gap) < float("inf")
        assert float(result.objective) <= 1e-3 * 0.5 * float(b @ b)


def test_dual_scale_of_one_weight_is_the_per_coefficient_formula() -> None:
    """With one weight, the dual scale reads max |c_j| once: bit for bit the result of
    the per-coefficient ratios (lambd / v decreases with v, and rounding keeps that
    order), on correlations spread over 200 orders of magnitude, 1-d and 2-d."""
    rng = np.random.default_rng(3)
    c = rng.standard_normal((200, 3)) * 10.0 ** rng.integers(-100, 100, (200, 3))
    dual = _penalties.DualData(np.zeros(5), lambda r: r, np.zeros(5), np.float64, np_xp)
    for cls in (_penalties.L1, _penalties.PositiveL1):
        for lambd in (1e-100, 1e-3, 0.7, 5.0, 1e100):
            for v in (c, c[:, 0]):
                fast = cls(lambd, np_xp).dual_scale(v, dual, None)
                weights = np.full((v.shape[0], *([1] if v.ndim == 2 else [])), lambd)
                general = cls(weights, np_xp).dual_scale(v, dual, None)
                np.testing.assert_array_equal(fast, general)

"""ISTA and FISTA: the optimum of scikit-learn on every backend, and the solver contract.

References: scikit-learn (Lasso, ElasticNet, SparseCoder) run to a tight tolerance, and
the optimality (KKT) conditions of the problem itself.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _problems import lasso_problem
from _support import long_solve, to_numpy
from sklearn.decomposition import SparseCoder
from sklearn.linear_model import ElasticNet, Lasso

import arrayshrink
from arrayshrink import fista, ista, lambda_max


def make_problem(m: int = 200, n: int = 600, k: int | None = None, seed: int = 0) -> tuple:
    """Gaussian A with unit columns, 5%-sparse truth, a little noise (the problems of
    benchmarks/bench_solvers.py too: tests/_problems.py)."""
    problem = lasso_problem(seed, m, n, k)
    return problem.A, problem.b


def objective(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambd: Any, l2: float = 0.0) -> Any:
    r = A @ x - b
    return (
        0.5 * np.sum(np.abs(r) ** 2, axis=0)
        + 0.5 * l2 * np.sum(np.abs(x) ** 2, axis=0)
        + (np.sum(lambd * np.abs(x), axis=0))
    )


def sklearn_lasso(A: np.ndarray, b: np.ndarray, lambd: float, **kwargs: Any) -> np.ndarray:
    model = Lasso(
        alpha=lambd / A.shape[0], fit_intercept=False, tol=1e-14, max_iter=200_000, **kwargs
    )
    return model.fit(A, b).coef_


@pytest.fixture(scope="module")
def problem() -> dict[str, Any]:
    A, b, lambd, _ = lasso_problem(0, 200, 600)  # lambd = 0.1 lambda_max
    x_ref = sklearn_lasso(A, b, lambd)
    return {"A": A, "b": b, "lambd": lambd, "x_ref": x_ref, "p_ref": objective(A, b, x_ref, lambd)}


# ISTA's thousands of iterations are a long solve on Dask; FISTA covers it there.
@pytest.mark.parametrize("solver", [fista, pytest.param(ista, marks=long_solve)])
def test_matches_sklearn_lasso_in_float64(xp: ModuleType, problem: dict, solver: Any) -> None:
    A, b, lambd = problem["A"], problem["b"], problem["lambd"]
    max_iter = 300 if solver is fista else 5000
    result = solver(xp.asarray(A), xp.asarray(b), lambd, tol=1e-9, max_iter=max_iter)
    x = to_numpy(result.x)
    assert bool(to_numpy(result.converged))
    p = objective(A, b, x, lambd)
    assert abs(p - problem["p_ref"]) <= 1e-6 * problem["p_ref"]
    support, ref_support = np.abs(x) > 1e-6, np.abs(problem["x_ref"]) > 1e-6
    np.testing.assert_array_equal(support, ref_support)
    # The reported gap bounds the true suboptimality.
    assert p - problem["p_ref"] <= float(to_numpy(result.gap)) * p + 1e-12 * p
    np.testing.assert_allclose(float(to_numpy(result.objective)), p, rtol=1e-12)


def test_float32_within_stated_tolerance(xp: ModuleType, problem: dict) -> None:
    A, b, lambd = problem["A"], problem["b"], problem["lambd"]
    result = fista(
        xp.asarray(A.astype(np.float32)),
        xp.asarray(b.astype(np.float32)),
        lambd,
        tol=1e-5,
        max_iter=500,
    )
    assert result.x.dtype == xp.float32
    assert bool(to_numpy(result.converged))
    p = objective(A, b, to_numpy(result.x).astype(np.float64), lambd)
    assert abs(p - problem["p_ref"]) <= 1e-5 * problem["p_ref"]


def test_fista_is_never_behind_ista(problem: dict) -> None:
    A, b, lambd = problem["A"], problem["b"], problem["lambd"]
    kwargs = {"tol": 0.0, "max_iter": 200, "check_every": 5, "history": True}
    with pytest.warns(arrayshrink.ConvergenceWarning, match="did not converge in 200"):
        fast = fista(A, b, lambd, **kwargs)
    with pytest.warns(arrayshrink.ConvergenceWarning, match="did not converge in 200"):
        slow = ista(A, b, lambd, **kwargs)
    fast_obj = np.asarray(fast.history["objective"])
    slow_obj = np.asarray(slow.history["objective"])
    assert np.all(fast_obj <= slow_obj * (1 + 1e-3))
    # Early on, FISTA is much closer to the optimum than ISTA (iteration 30 here).
    fast_excess, slow_excess = fast_obj[5] - problem["p_ref"], slow_obj[5] - problem["p_ref"]
    assert fast_excess < 0.5 * slow_excess


@long_solve
def test_batched_matches_sparse_coder(xp: ModuleType) -> None:
    rng = np.random.default_rng(1)
    dictionary = rng.standard_normal((64, 256))
    dictionary /= np.linalg.norm(dictionary, axis=0)
    codes = rng.standard_normal((256, 16)) * (rng.random((256, 16)) < 0.05)
    signals = dictionary @ codes + 0.01 * rng.standard_normal((64, 16))
    lambd = 0.05
    coder = SparseCoder(
        dictionary.T,
        transform_algorithm="lasso_cd",
        transform_alpha=lambd,
        transform_max_iter=100_000,
    )
    reference = coder.transform(signals.T).T
    result = fista(xp.asarray(dictionary), xp.asarray(signals), lambd, tol=1e-8, max_iter=2000)
    assert result.x.shape == (256, 16)
    assert np.all(to_numpy(result.converged))
    ours = objective(dictionary, signals, to_numpy(result.x), lambd)
    theirs = objective(dictionary, signals, reference, lambd)
    # SparseCoder's coordinate descent stops at its own default tolerance: ours is at
    # least as good, and both agree to 1e-5.
    assert np.all(ours <= theirs * (1 + 1e-9))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


@long_solve
def test_one_lambda_per_column_equals_separate_solves(xp: ModuleType) -> None:
    A, b = make_problem(60, 120, k=3, seed=2)
    lambdas = np.asarray([0.05, 0.2, 0.5])
    batched = fista(xp.asarray(A), xp.asarray(b), xp.asarray(lambdas), tol=1e-10, max_iter=3000)
    for column, lambd in enumerate(lambdas):
        single = sklearn_lasso(A, b[:, column], float(lambd))
        np.testing.assert_allclose(
            objective(A, b[:, column], to_numpy(batched.x)[:, column], lambd),
            objective(A, b[:, column], single, lambd),
            rtol=1e-7,
        )


@long_solve
def test_per_coefficient_weights(xp: ModuleType) -> None:
    """Weighted L1 equals the plain Lasso on A / w, in the variable w * x."""
    A, b = make_problem(60, 120, seed=3)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, 120)
    lambd = 0.1
    result = fista(
        xp.asarray(A), xp.asarray(b), xp.asarray(lambd * weights), tol=1e-10, max_iter=3000
    )
    rescaled = sklearn_lasso(A / weights, b, lambd) / weights
    np.testing.assert_allclose(
        objective(A, b, to_numpy(result.x), lambd * weights),
        objective(A, b, rescaled, lambd * weights),
        rtol=1e-7,
    )


@long_solve
def test_positive_matches_sklearn(xp: ModuleType) -> None:
    A, b = make_problem(80, 160, seed=4)
    lambd = 0.05
    result = fista(xp.asarray(A), xp.asarray(b), lambd, positive=True, tol=1e-10, max_iter=3000)
    x = to_numpy(result.x)
    assert np.all(x >= 0)
    reference = sklearn_lasso(A, b, lambd, positive=True)
    np.testing.assert_allclose(
        objective(A, b, x, lambd), objective(A, b, reference, lambd), rtol=1e-7
    )


@long_solve
def test_elastic_net_matches_sklearn(xp: ModuleType) -> None:
    A, b = make_problem(80, 160, seed=5)
    lambd, l2 = 0.05, 0.3
    m = A.shape[0]
    model = ElasticNet(
        alpha=(lambd + l2) / m,
        l1_ratio=lambd / (lambd + l2),
        fit_intercept=False,
        tol=1e-14,
        max_iter=200_000,
    ).fit(A, b)
    result = fista(xp.asarray(A), xp.asarray(b), lambd, l2=l2, tol=1e-10, max_iter=3000)
    np.testing.assert_allclose(
        objective(A, b, to_numpy(result.x), lambd, l2),
        objective(A, b, model.coef_, lambd, l2),
        rtol=1e-7,
    )


@long_solve
def test_complex_problem_satisfies_optimality(xp: ModuleType) -> None:
    rng = np.random.default_rng(6)
    A = rng.standard_normal((40, 80)) + 1j * rng.standard_normal((40, 80))
    truth = (rng.standard_normal(80) + 1j * rng.standard_normal(80)) * (rng.random(80) < 0.1)
    b = A @ truth
    lambd = 0.1 * float(to_numpy(lambda_max(xp.asarray(A), xp.asarray(b))))
    result = fista(xp.asarray(A), xp.asarray(b), lambd, tol=1e-10, max_iter=5000)
    x = to_numpy(result.x)
    assert np.iscomplexobj(x)
    correlation = A.conj().T @ (b - A @ x)
    active = np.abs(x) > 1e-8
    # KKT: A^H (b - Ax) = lambd x/|x| on the support, |A^H (b - Ax)| <= lambd elsewhere.
    np.testing.assert_allclose(
        correlation[active], lambd * x[active] / np.abs(x[active]), rtol=1e-4, atol=1e-6 * lambd
    )
    assert np.all(np.abs(correlation[~active]) <= lambd * (1 + 1e-6))


class _MatrixFree:
    """A dictionary given only by its products (here a matrix hidden behind closures)."""

    def __init__(self, matrix: Any) -> None:
        self._matrix = matrix
        self.shape = tuple(matrix.shape)

    def forward(self, x: Any) -> Any:
        return self._matrix @ x

    def adjoint(self, r: Any) -> Any:
        return self._matrix.T @ r


@long_solve
def test_linear_operator_gives_the_matrix_result(xp: ModuleType) -> None:
    A, b = make_problem(50, 100, seed=7)
    operator = _MatrixFree(xp.asarray(A))
    assert isinstance(operator, arrayshrink.LinearOperator)
    implicit = fista(operator, xp.asarray(b), 0.1, tol=1e-10, max_iter=3000)
    explicit = fista(xp.asarray(A), xp.asarray(b), 0.1, tol=1e-10, max_iter=3000)
    np.testing.assert_allclose(to_numpy(implicit.x), to_numpy(explicit.x), atol=1e-7)


def test_fixed_step_and_warm_start(problem: dict) -> None:
    A, b, lambd = problem["A"], problem["b"], problem["lambd"]
    lipschitz = float(np.linalg.norm(A, 2) ** 2)
    cold = fista(A, b, lambd, lipschitz=lipschitz, tol=1e-8, max_iter=3000)
    assert bool(cold.converged)
    warm = fista(A, b, lambd, x0=cold.x, tol=1e-8, check_every=5)
    assert bool(warm.converged)
    assert warm.n_iter <= 5


def test_lambda_max_is_the_zero_solution_threshold(xp: ModuleType) -> None:
    A, b = make_problem(40, 90, k=2, seed=8)
    top = to_numpy(lambda_max(xp.asarray(A), xp.asarray(b)))
    np.testing.assert_allclose(top, np.max(np.abs(A.T @ b), axis=0), rtol=1e-13)
    at_top = fista(xp.asarray(A), xp.asarray(b), xp.asarray(top), max_iter=50)
    np.testing.assert_array_equal(to_numpy(at_top.x), np.zeros((90, 2)))
    below = fista(xp.asarray(A), xp.asarray(b), xp.asarray(0.9 * top), max_iter=50)
    assert np.all(np.any(to_numpy(below.x) != 0, axis=0))


def test_callback_and_history(problem: dict) -> None:
    A, b, lambd = problem["A"], problem["b"], problem["lambd"]
    seen = []

    def stop_at_third(state: Any) -> bool:
        seen.append(state.n_iter)
        return len(seen) == 3

    result = fista(A, b, lambd, tol=0.0, check_every=7, callback=stop_at_third, history=True)
    assert seen == [7, 14, 21]
    assert result.n_iter == 21
    assert result.history["iteration"] == [7, 14, 21]
    assert len(result.history["gap"]) == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"lambd": -1.0},
            ValueError,
            r"lambd must be in the range \[0, 1.79769e\+308\] .*; got -1.0",
        ),
        ({"lambd": "a"}, TypeError, "lambd must be a real number or an array"),
        ({"max_iter": 0}, ValueError, "max_iter must be a finite number >= 1"),
        ({"tol": -1e-3}, ValueError, "tol must be a finite number >= 0"),
        ({"check_every": 1.5}, TypeError, "check_every must be an integer"),
        ({"lipschitz": 0.0}, ValueError, "lipschitz must be > 0"),
        ({"x0": np.zeros(3)}, ValueError, r"x0 must have shape \(30,\)"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    A, b = make_problem(20, 30, seed=9)
    arguments = {"lambd": 0.1, **kwargs}
    lambd = arguments.pop("lambd")
    with pytest.raises(error, match=match):
        fista(A, b, lambd, **arguments)


def test_bad_shapes_and_types() -> None:
    A, b = make_problem(20, 30, seed=9)
    with pytest.raises(ValueError, match=r"A of shape \(20, 30\) and b of shape \(19,\)"):
        fista(A, b[:19], 0.1)
    with pytest.raises(TypeError, match=r"A must be a 2-d array, a scipy\.sparse or pydata"):
        fista(A.tolist(), b, 0.1)
    with pytest.raises(ValueError, match="positive=True needs real A, b and x0"):
        fista(A + 0j, b + 0j, 0.1, positive=True)
    with pytest.raises(
        ValueError,
        match=r"lambd of shape \(7,\) does not fit x of shape \(30,\): give for 1-d b, a "
        r"number or one weight per coefficient, shape \(30,\)",
    ):
        fista(A, b, np.ones(7))


@long_solve
def test_batch_of_uneven_problems_retires_converged_columns(xp: ModuleType) -> None:
    """Columns that converge early leave the batch; each still meets its own optimum and
    the history keeps one value per column, in the order of b."""
    A, b = make_problem(60, 150, k=6, seed=12)
    b[:, 0] = 0.0  # converged at once
    b[:, 1] *= 50.0  # a harder, larger problem
    lambd = 0.05 * np.max(np.abs(A.T @ b[:, 1:]))
    result = fista(xp.asarray(A), xp.asarray(b), lambd, tol=1e-10, max_iter=5000, history=True)
    assert np.all(to_numpy(result.converged))
    assert all(tuple(gap.shape) == (6,) for gap in result.history["gap"])
    x = to_numpy(result.x)
    np.testing.assert_array_equal(x[:, 0], np.zeros(150))
    for column in range(1, 6):
        reference = sklearn_lasso(A, b[:, column], lambd)
        p_ref = objective(A, b[:, column], reference, lambd)
        assert objective(A, b[:, column], x[:, column], lambd) <= p_ref * (1 + 1e-8)
    # A column's objective in the result is the objective of its x.
    np.testing.assert_allclose(
        to_numpy(result.objective), objective(A, b, x, lambd), rtol=1e-12, atol=1e-300
    )


def _implicit_gradient(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d sum(x*) / d b at the Lasso optimum x*, from its optimality conditions: on the
    support S, A_S^T A_S x_S = A_S^T b - lambd sign(x_S), so dx_S/db = (A_S^T A_S)^-1 A_S^T."""
    support = np.abs(x) > 0
    A_S = A[:, support]
    return A_S @ np.linalg.solve(A_S.T @ A_S, np.ones(int(support.sum())))


@pytest.mark.usefixtures("jax")
class TestJax:
    """Inside jax.jit the solver runs in lax loops; unrolled, jax.grad goes through it."""

    def test_jit_matches_eager(self, problem: dict) -> None:
        import jax
        import jax.numpy as jnp

        A, b, lambd = jnp.asarray(problem["A"]), jnp.asarray(problem["b"]), problem["lambd"]
        for solver, max_iter in ((fista, 300), (ista, 5000)):
            eager = solver(A, b, lambd, max_iter=max_iter)
            jitted = jax.jit(lambda A, b, s=solver, n=max_iter: s(A, b, lambd, max_iter=n))(A, b)
            assert isinstance(jitted, arrayshrink.LassoResult)
            assert int(jitted.n_iter) == eager.n_iter
            assert bool(jitted.converged)
            assert float(jitted.objective) <= problem["p_ref"] * (1 + 1e-6)
            np.testing.assert_allclose(jitted.x, eager.x, atol=1e-9)

    def test_jit_batched_with_lambd_per_column(self) -> None:
        import jax
        import jax.numpy as jnp

        A, b = make_problem(40, 100, k=3, seed=13)
        lambd = 0.1 * np.max(np.abs(A.T @ b), axis=0)
        jitted = jax.jit(lambda A, b, lam: fista(A, b, lam, tol=1e-9, max_iter=3000))(
            jnp.asarray(A), jnp.asarray(b), jnp.asarray(lambd)
        )
        assert np.all(np.asarray(jitted.converged))
        for column in range(3):
            reference = sklearn_lasso(A, b[:, column], lambd[column])
            p_ref = objective(A, b[:, column], reference, lambd[column])
            p = objective(A, b[:, column], np.asarray(jitted.x)[:, column], lambd[column])
            assert p <= p_ref * (1 + 1e-8)

    def test_unrolled_gradient_matches_optimality_conditions(self, problem: dict) -> None:
        import jax
        import jax.numpy as jnp

        A, lambd = problem["A"], problem["lambd"]
        lipschitz = float(np.linalg.norm(A, 2) ** 2)

        def total(b: Any) -> Any:
            x = fista(jnp.asarray(A), b, lambd, lipschitz=lipschitz, unroll=True, max_iter=500).x
            return jnp.sum(x)

        expected = _implicit_gradient(A, problem["x_ref"])
        b = jnp.asarray(problem["b"])
        np.testing.assert_allclose(jax.grad(total)(b), expected, atol=1e-8)
        np.testing.assert_allclose(jax.jit(jax.grad(total))(b), expected, atol=1e-8)

    def test_result_is_a_pytree_that_keeps_its_history(self, problem: dict) -> None:
        import jax
        import jax.numpy as jnp

        result = fista(jnp.asarray(problem["A"]), jnp.asarray(problem["b"]), 0.5, history=True)
        doubled = jax.tree_util.tree_map(lambda a: 2 * a, result)
        assert isinstance(doubled, arrayshrink.LassoResult)
        np.testing.assert_array_equal(doubled.x, 2 * result.x)
        assert doubled.history is not None
        assert doubled.history["iteration"] == [2 * i for i in result.history["iteration"]]

    def test_callback_and_history_need_concrete_values(self, problem: dict) -> None:
        import jax
        import jax.numpy as jnp

        A, b = jnp.asarray(problem["A"]), jnp.asarray(problem["b"])
        for kwargs in ({"history": True}, {"verbose": True}, {"callback": print}):
            with pytest.raises(ValueError, match="callback, history and verbose need concrete"):
                jax.jit(lambda b, kw=kwargs: fista(A, b, 0.1, **kw).x)(b)


def test_unrolled_gradient_in_torch_matches_optimality_conditions(
    torch: ModuleType, problem: dict
) -> None:
    A, lambd = problem["A"], problem["lambd"]
    lipschitz = float(np.linalg.norm(A, 2) ** 2)
    b = torch.tensor(problem["b"], requires_grad=True)
    result = fista(torch.tensor(A), b, lambd, lipschitz=lipschitz, unroll=True, max_iter=500)
    assert result.n_iter == 500
    result.x.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), _implicit_gradient(A, problem["x_ref"]), atol=1e-8)


def test_unroll_runs_exactly_max_iter_and_needs_a_fixed_step(problem: dict) -> None:
    A, b, lambd = problem["A"], problem["b"], problem["lambd"]
    with pytest.raises(ValueError, match="unroll=True needs lipschitz"):
        fista(A, b, lambd, unroll=True)
    lipschitz = float(np.linalg.norm(A, 2) ** 2)
    unrolled = fista(A, b, lambd, lipschitz=lipschitz, unroll=True, max_iter=37)
    with pytest.warns(arrayshrink.ConvergenceWarning, match="did not converge in 37"):
        stepped = fista(A, b, lambd, lipschitz=lipschitz, tol=0.0, max_iter=37)
    assert unrolled.n_iter == 37
    np.testing.assert_array_equal(unrolled.x, stepped.x)
    np.testing.assert_array_equal(unrolled.gap, stepped.gap)


def test_jit_batch_moves_converged_columns_aside_and_restores_their_order(
    jax: ModuleType,
) -> None:
    """A traced batch of many columns runs its unconverged columns at a smaller static
    size once most have converged; every column still meets its own optimum, in place."""
    jnp = jax.numpy
    A, b = make_problem(30, 80, k=96, seed=14)
    b[:, ::7] *= 20.0  # harder columns, spread through the batch
    lambd = 0.05 * np.max(np.abs(A.T @ b), axis=0)
    jitted = jax.jit(lambda A, b, lam: fista(A, b, lam, tol=1e-9, max_iter=5000))(
        jnp.asarray(A), jnp.asarray(b), jnp.asarray(lambd)
    )
    eager = fista(A, b, lambd, tol=1e-9, max_iter=5000)
    x = np.asarray(jitted.x)
    assert np.all(np.asarray(jitted.converged))
    # Certified relatively, or absolutely against ||b||^2 / 2 (the documented rule).
    gap, p = np.asarray(jitted.gap), np.asarray(jitted.objective)
    assert np.all((gap <= 1e-9) | (gap * p <= 1e-9 * 0.5 * np.sum(b**2, axis=0)))
    np.testing.assert_allclose(np.asarray(jitted.objective), objective(A, b, x, lambd), rtol=1e-12)
    np.testing.assert_allclose(objective(A, b, x, lambd), eager.objective, rtol=1e-8)
    np.testing.assert_allclose(x, eager.x, atol=1e-6)


def test_traced_batch_driver_runs_the_tail_at_the_small_size() -> None:
    """The traced driver, run with Python control flow on NumPy and a switch that
    records its branches: the late blocks run at the small static size."""
    import array_api_compat.numpy as xp

    from arrayshrink._agnostic import _drivers, _lasso, _loops, _penalties

    A, b = make_problem(30, 80, k=96, seed=14)
    b[:, 5] *= 20.0  # one hard column: the rest converge long before it
    lambd = 0.05 * float(np.max(np.abs(A.T @ b)))
    branches_run = []

    def switch(index: Any, branches: list, operand: Any) -> Any:
        branches_run.append(int(index))
        return branches[int(index)](operand)

    loops = _loops.Loops(_loops._python_while, _loops._python_fori, switch)
    problem = _lasso.Problem(
        _lasso.Operator(lambda x: A @ x, lambda r: A.T @ r, A.shape),
        b,
        _penalties.L1(lambd, xp),
        xp,
        0.0,
        real=np.float64,
        wide=np.float64,
    )
    options = _lasso.Options(5000, 1e-10, 10, None, True, True)
    result = _drivers.solve(
        problem,
        np.zeros((80, 96)),
        options,
        loops=loops,
        hooks=_drivers.Hooks(split_batches=False),
    )
    assert branches_run[0] == 0
    assert branches_run[-1] == 1
    assert np.all(result.converged)
    for column in (0, 5, 95):
        reference = sklearn_lasso(A, b[:, column], lambd)
        p_ref = objective(A, b[:, column], reference, lambd)
        assert objective(A, b[:, column], result.x[:, column], lambd) <= p_ref * (1 + 1e-9)

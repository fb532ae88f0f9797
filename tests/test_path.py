"""lasso_path: scikit-learn's regularization paths on every backend, and its contract.

References: scikit-learn's ``lasso_path`` (alpha = lambda / m) and ``MultiTaskLasso``
run to a tight tolerance, float64 NumPy (lambda_max, least-squares fits, the
objective), and the group optimality (KKT) conditions.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _problems import lasso_problem
from _support import counting_dask_computes, to_numpy
from sklearn.linear_model import MultiTaskLasso
from sklearn.linear_model import lasso_path as sklearn_path

import arrayshrink
import arrayshrink._path
from arrayshrink import ConvergenceWarning, LassoPath, lasso_path

M, N, L = 40, 100, 12


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (40 x 100) with unit columns, one signal b and a batch B of three."""
    A, b, _, _ = lasso_problem(0, M, N)
    _, B, _, _ = lasso_problem(1, M, N, 3)
    return A, b, B


def objective(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambd: Any, l2: float = 0.0) -> Any:
    """½‖Ax - b‖² + (l2/2)‖x‖² + Σ λⱼ|xⱼ|, per column of x, in float64."""
    return (
        0.5 * np.sum((A @ x - b) ** 2, axis=0)
        + 0.5 * l2 * np.sum(x**2, axis=0)
        + np.sum(lambd * np.abs(x), axis=0)
    )


def reference_path(A: np.ndarray, b: np.ndarray, lambdas: np.ndarray, **kw: Any) -> np.ndarray:
    """scikit-learn's path on the same grid, to a tight tolerance: x of shape (n, L)."""
    _, coefs, _ = sklearn_path(A, b, alphas=lambdas / A.shape[0], tol=1e-13, max_iter=100_000, **kw)
    return np.asarray(coefs)


def assert_at_optimum(
    A: np.ndarray, b: np.ndarray, x: np.ndarray, x_ref: np.ndarray, lambdas: np.ndarray
) -> None:
    """Each point within 1e-6 relative objective of the reference's (x of shape (n, L))."""
    for i, lam in enumerate(lambdas):
        ours, best = objective(A, b, x[:, i], lam), objective(A, b, x_ref[:, i], lam)
        assert abs(ours - best) <= 1e-6 * best, (i, ours, best)


def geometric(top: float, count: int, eps: float) -> np.ndarray:
    return top * eps ** np.linspace(0.0, 1.0, count)


def test_matches_sklearn_lasso_path(xp: ModuleType, problem: tuple) -> None:
    A, b, _ = problem
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=L, eps=1e-2)
    assert isinstance(path, LassoPath)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    assert lambdas.shape == (L,)
    assert x.shape == (N, L)
    for field in ("gap", "objective", "converged", "n_iter"):
        assert to_numpy(getattr(path, field)).shape == (L,), field
    top = np.max(np.abs(A.T @ b))
    np.testing.assert_allclose(lambdas, geometric(top, L, 1e-2), rtol=1e-13)
    assert lambdas[0] == to_numpy(arrayshrink.lambda_max(xp.asarray(A), xp.asarray(b)))
    assert np.all(x[:, 0] == 0)  # the solution at lambda_max
    assert np.all(to_numpy(path.converged))
    assert_at_optimum(A, b, x, reference_path(A, b, lambdas), lambdas)
    np.testing.assert_allclose(
        to_numpy(path.objective), objective(A, b[:, None], x, lambdas[None, :]), rtol=1e-10
    )


def test_positive_matches_sklearn(xp: ModuleType, problem: tuple) -> None:
    A, b, _ = problem
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=8, eps=1e-2, positive=True)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    assert lambdas[0] == pytest.approx(np.max(A.T @ b), rel=1e-13)
    assert np.all(x >= 0)
    assert np.all(x[:, 0] == 0)
    assert_at_optimum(A, b, x, reference_path(A, b, lambdas, positive=True), lambdas)


def test_batch_is_a_path_per_column(xp: ModuleType, problem: tuple) -> None:
    A, _, B = problem
    path = lasso_path(xp.asarray(A), xp.asarray(B), n_lambdas=5, eps=1e-2)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    assert lambdas.shape == (3, 5)
    assert x.shape == (N, 3, 5)
    assert to_numpy(path.gap).shape == (3, 5)
    tops = np.max(np.abs(A.T @ B), axis=0)
    np.testing.assert_allclose(lambdas, geometric(tops[:, None], 5, 1e-2), rtol=1e-13)
    assert np.all(x[:, :, 0] == 0)
    for j in range(3):
        assert_at_optimum(A, B[:, j], x[:, j], reference_path(A, B[:, j], lambdas[j]), lambdas[j])


def test_given_lambdas_are_shared_by_the_columns(xp: ModuleType, problem: tuple) -> None:
    A, _, B = problem
    given = [2.0, 1.0, 0.5, 0.1]
    path = lasso_path(xp.asarray(A), xp.asarray(B), given)
    np.testing.assert_array_equal(to_numpy(path.lambdas), given)
    x = to_numpy(path.x)
    assert x.shape == (N, 3, 4)
    assert to_numpy(path.converged).shape == (3, 4)
    for j in range(3):
        assert_at_optimum(A, B[:, j], x[:, j], reference_path(A, B[:, j], np.asarray(given)), given)


def test_weights_are_the_lasso_of_rescaled_columns(xp: ModuleType, problem: tuple) -> None:
    # λ Σ wⱼ|xⱼ| is the plain Lasso in zⱼ = wⱼ xⱼ with columns Aⱼ / wⱼ.
    A, b, _ = problem
    w = np.random.default_rng(2).uniform(0.5, 2.0, N)
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=8, eps=1e-2, weights=xp.asarray(w))
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    assert lambdas[0] == pytest.approx(np.max(np.abs(A.T @ b) / w), rel=1e-13)
    assert np.all(x[:, 0] == 0)
    z_ref = reference_path(A / w, b, lambdas)
    assert_at_optimum(A / w, b, x * w[:, None], z_ref, lambdas)


def _weighted_kkt(A: np.ndarray, b: np.ndarray, x: np.ndarray, lam: float, w: np.ndarray) -> None:
    """The optimality conditions of the weighted Lasso: the gradient 0 at the free
    coefficients, at most λwⱼ in size at the others."""
    gradient = A.T @ (A @ x - b)
    scale = np.max(np.abs(A.T @ b))
    assert np.max(np.abs(gradient[w == 0])) <= 1e-3 * scale
    assert np.all(np.abs(gradient[w > 0]) <= lam * w[w > 0] * (1 + 1e-3) + 1e-6 * scale)


def test_zero_weights_start_at_the_fit_of_the_free_coefficients(
    xp: ModuleType, problem: tuple
) -> None:
    A, b, _ = problem
    w = np.ones(N)
    free = [3, 17, 60]
    w[free] = 0.0
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=6, eps=1e-2, weights=w.tolist())
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    fit, *_ = np.linalg.lstsq(A[:, free], b, rcond=None)
    residual = b - A[:, free] @ fit
    assert lambdas[0] == pytest.approx(np.max(np.abs(A[:, w > 0].T @ residual)), rel=1e-10)
    np.testing.assert_allclose(x[free, 0], fit, rtol=1e-4)
    assert np.max(np.abs(x[w > 0, 0])) <= 1e-4 * np.max(np.abs(fit))
    assert np.all(to_numpy(path.converged))
    for i, lam in enumerate(lambdas):
        _weighted_kkt(A, b, x[:, i], lam, w)


def test_zero_weights_with_l2_start_at_the_ridge_fit(xp: ModuleType, problem: tuple) -> None:
    A, b, _ = problem
    w, free, l2 = np.ones(N), [5, 50], 0.3
    w[free] = 0.0
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=3, eps=0.1, weights=w.tolist(), l2=l2)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    F = A[:, free]
    fit = np.linalg.solve(F.T @ F + l2 * np.eye(2), F.T @ b)
    assert lambdas[0] == pytest.approx(np.max(np.abs(A[:, w > 0].T @ (b - F @ fit))), rel=1e-6)
    np.testing.assert_allclose(x[free, 0], fit, rtol=1e-6)
    assert np.max(np.abs(x[w > 0, 0])) <= 1e-6 * np.max(np.abs(fit))


def test_elastic_net_points_match_sklearn(xp: ModuleType, problem: tuple) -> None:
    from sklearn.linear_model import ElasticNet

    A, b, _ = problem
    l2 = 0.5
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=4, eps=1e-2, l2=l2, tol=1e-8)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    assert np.all(x[:, 0] == 0)
    for i, lam in enumerate(lambdas[1:], start=1):
        model = ElasticNet(
            alpha=(lam + l2) / M, l1_ratio=lam / (lam + l2), fit_intercept=False, tol=1e-13
        )
        x_ref = model.set_params(max_iter=100_000).fit(A, b).coef_
        best = objective(A, b, x_ref, lam, l2)
        assert abs(objective(A, b, x[:, i], lam, l2) - best) <= 1e-6 * best


def test_one_point_is_lambda_max_and_zero(xp: ModuleType, problem: tuple) -> None:
    A, b, _ = problem
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=1)
    assert to_numpy(path.lambdas) == pytest.approx([np.max(np.abs(A.T @ b))], rel=1e-13)
    assert np.all(to_numpy(path.x) == 0)


def test_x0_starts_the_first_solve_and_inputs_are_not_changed(
    xp: ModuleType, problem: tuple
) -> None:
    A, b, _ = problem
    x0 = np.random.default_rng(3).standard_normal(N)
    A_xp, b_xp, x0_xp = xp.asarray(A), xp.asarray(b), xp.asarray(x0)
    given = xp.asarray([1.0, 0.3], dtype=xp.float64)
    path = lasso_path(A_xp, b_xp, given, x0=x0_xp, tol=1e-8)
    x = to_numpy(path.x)
    assert_at_optimum(A, b, x, reference_path(A, b, np.asarray([1.0, 0.3])), [1.0, 0.3])
    for before, after in ((A, A_xp), (b, b_xp), (x0, x0_xp), ([1.0, 0.3], given)):
        np.testing.assert_array_equal(to_numpy(after), before)


def test_float32_stays_float32(xp: ModuleType, problem: tuple) -> None:
    A, b, _ = problem
    path = lasso_path(
        xp.asarray(A.astype(np.float32)), xp.asarray(b.astype(np.float32)), n_lambdas=4, tol=1e-5
    )
    assert path.lambdas.dtype == xp.float32
    assert path.x.dtype == xp.float32
    assert np.all(to_numpy(path.converged))


# --- structured penalties: the options go to lambda_max and to the solver ---------------


def test_multitask_path_matches_sklearn(xp: ModuleType, problem: tuple) -> None:
    A, _, B = problem
    path = lasso_path(xp.asarray(A), xp.asarray(B), n_lambdas=3, eps=0.1, multitask=True)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    assert lambdas.shape == (3,)
    assert to_numpy(path.gap).shape == (3,)
    assert lambdas[0] == pytest.approx(np.max(np.linalg.norm(A.T @ B, axis=1)), rel=1e-12)
    assert np.max(np.abs(x[:, :, 0])) <= 1e-12  # 0, to the rounding of the row norms

    def value(X: np.ndarray, lam: float) -> float:
        return float(0.5 * np.sum((A @ X - B) ** 2) + lam * np.sum(np.linalg.norm(X, axis=1)))

    for i, lam in enumerate(lambdas[1:], start=1):
        model = MultiTaskLasso(alpha=lam / M, fit_intercept=False, tol=1e-12, max_iter=100_000)
        best = value(model.fit(A, B).coef_.T, lam)
        assert abs(value(x[:, :, i], lam) - best) <= 1e-6 * best


def test_group_path_satisfies_the_group_kkt_conditions(xp: ModuleType, problem: tuple) -> None:
    A, b, _ = problem
    groups = np.arange(N) // 4
    path = lasso_path(xp.asarray(A), xp.asarray(b), n_lambdas=5, eps=0.05, groups=groups, tol=1e-9)
    lambdas, x = to_numpy(path.lambdas), to_numpy(path.x)
    norms = [np.linalg.norm((A.T @ b)[groups == g]) for g in range(N // 4)]
    assert lambdas[0] == pytest.approx(max(norms), rel=1e-12)
    assert np.max(np.abs(x[:, 0])) <= 1e-12
    for i, lam in enumerate(lambdas):
        gradient = A.T @ (b - A @ x[:, i])
        for g in range(N // 4):
            xg, cg = x[groups == g, i], gradient[groups == g]
            if np.linalg.norm(xg) > 0:  # cg = λ xg / ‖xg‖
                np.testing.assert_allclose(cg, lam * xg / np.linalg.norm(xg), atol=1e-3 * lam)
            else:
                assert np.linalg.norm(cg) <= lam * (1 + 1e-6)


# --- the contract ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lambdas": [[1.0, 0.5]]}, ValueError, "lambdas must be 1-d"),
        ({"lambdas": []}, ValueError, "lambdas must be 1-d and non-empty"),
        ({"lambdas": [1.0, 1.0]}, ValueError, "strictly decreasing"),
        ({"lambdas": [0.5, 1.0]}, ValueError, "strictly decreasing"),
        ({"lambdas": [1.0, 0.0]}, ValueError, "lambdas must be > 0"),
        ({"lambdas": [1.0, -1.0]}, ValueError, "lambdas must be > 0"),
        ({"lambdas": [float("nan"), 1.0]}, ValueError, "lambdas must be finite"),
        ({"lambdas": [True, False]}, TypeError, "lambdas must hold real numbers"),
        ({"lambdas": "abc"}, TypeError, "lambdas must be a sequence"),
        ({"n_lambdas": 0}, ValueError, "n_lambdas"),
        ({"n_lambdas": 2.5}, TypeError, "n_lambdas must be an integer"),
        ({"eps": 0.0}, ValueError, r"eps must be in \(0, 1\)"),
        ({"eps": 1.0}, ValueError, r"eps must be in \(0, 1\)"),
        ({"eps": float("nan")}, ValueError, "eps"),
        ({"weights": [1.0] * 7}, ValueError, r"weights must have shape \(12,\)"),
        ({"weights": [1.0] * 11 + [-1.0]}, ValueError, "weights must be finite and >= 0"),
        ({"weights": [1.0] * 11 + [float("nan")]}, ValueError, "weights must be finite"),
        ({"weights": [0.0] * 12}, ValueError, "weights are all 0"),
        ({"weights": [1.0] * 12, "groups": [0] * 12}, ValueError, "group_weights"),
        ({"solver": "cd"}, ValueError, "solver must be 'fista' or 'ista'"),
        ({"solver": "ista", "restart": False}, ValueError, "restart applies to solver='fista'"),
        ({"positive": 1}, TypeError, "positive must be True or False"),
        ({"callback": print}, TypeError, "callback"),
        ({"history": True}, TypeError, "history"),
        ({"verbose": True}, TypeError, "verbose"),
        ({"unroll": True}, TypeError, "unroll"),
    ],
)
def test_invalid_arguments_raise_naming_them(
    xp: ModuleType, kwargs: dict[str, Any], error: type, match: str
) -> None:
    A = np.random.default_rng(0).standard_normal((8, 12))
    with pytest.raises(error, match=match):
        lasso_path(xp.asarray(A), xp.asarray(A[:, 0]), **kwargs)


def test_data_errors_name_lasso_path(xp: ModuleType) -> None:
    A = xp.asarray(np.ones((6, 12)))
    with pytest.raises(ValueError, match=r"lasso_path\(\): b must have shape"):
        lasso_path(A, xp.ones((6, 1, 1), dtype=xp.float64))
    with pytest.raises(ValueError, match=r"lasso_path\(\): A .* do not match"):
        lasso_path(A, xp.ones(8, dtype=xp.float64))


def test_lambdas_of_another_library_raise(xp: ModuleType) -> None:
    if xp.__name__.endswith("numpy"):
        other = pytest.importorskip("array_api_strict", reason="a second library is needed")
    else:
        other = np
    A = np.random.default_rng(0).standard_normal((8, 12))
    with pytest.raises(TypeError, match=r"lambdas is an? .* array but b is"):
        lasso_path(xp.asarray(A), xp.asarray(A[:, 0]), other.asarray([1.0, 0.5]))


@pytest.mark.eager_only(reason="the verdict of a lazy path is read from the result")
def test_unconverged_points_warn_once(xp: ModuleType, problem: tuple) -> None:
    # A batch too large for a homotopy per column: its solves start from the previous
    # point (the homotopy's exact starting points would converge at once).
    A, _, B = problem
    B = np.concatenate([B, 2 * B, 3 * B], axis=1)  # 9 columns
    assert B.shape[1] > arrayshrink._path._HOMOTOPY_COLUMNS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = lasso_path(
            xp.asarray(A), xp.asarray(B), n_lambdas=6, eps=1e-3, max_iter=2, check_every=1
        )
    assert len(caught) == 1
    assert caught[0].category is ConvergenceWarning
    message = str(caught[0].message)
    assert message.startswith("lasso_path(): the solves at ")
    unconverged = np.flatnonzero(~np.all(to_numpy(path.converged), axis=0))
    assert f"#{unconverged[0]} (" in message
    assert caught[0].filename == __file__


def test_repr_shows_shapes_and_verdict(problem: tuple) -> None:
    A, b, _ = problem
    text = repr(lasso_path(A, b, n_lambdas=3))
    assert text.startswith("LassoPath(lambdas: float64 array of shape (3,), x: float64 array")
    assert "converged: 3 of 3" in text


def test_ista_gives_the_same_path(problem: tuple) -> None:
    A, b, _ = problem
    given = [1.0, 0.5]
    path = lasso_path(A, b, given, solver="ista", max_iter=20_000)
    assert_at_optimum(A, b, path.x, reference_path(A, b, np.asarray(given)), given)


# --- JAX under jit, Dask lazily ----------------------------------------------------------


def test_jitted_path_equals_eager(jax: ModuleType, problem: tuple) -> None:
    import jax.numpy as jnp

    A, b, B = problem
    w = np.random.default_rng(2).uniform(0.5, 2.0, N)

    def run(A: Any, b: Any, w: Any) -> LassoPath:
        return lasso_path(A, b, n_lambdas=5, eps=1e-2, weights=w)

    for data in (b, B):
        args = (jnp.asarray(A), jnp.asarray(data), jnp.asarray(w))
        jitted, eager = jax.jit(run)(*args), run(*args)
        for field, value in zip(LassoPath._fields, jitted, strict=True):
            expected = getattr(eager, field)
            assert value.shape == expected.shape, field
            assert value.dtype == expected.dtype, field
        np.testing.assert_allclose(jitted.lambdas, eager.lambdas, rtol=1e-13)
        assert bool(jnp.all(jitted.converged))
        # Both certified to tol: the same optimum, reached along other iterations.
        np.testing.assert_allclose(jitted.objective, eager.objective, rtol=2e-6)
        # 0 at lambda_max, to rounding: XLA fuses the jitted products differently.
        assert float(jnp.max(jnp.abs(jitted.x[..., 0]))) <= 1e-14


def test_jitted_given_lambdas(jax: ModuleType, problem: tuple) -> None:
    import jax.numpy as jnp

    A, b, _ = problem
    given = jnp.asarray([1.0, 0.5, 0.2])
    path = jax.jit(lambda A, b, lambdas: lasso_path(A, b, lambdas))(
        jnp.asarray(A), jnp.asarray(b), given
    )
    assert_at_optimum(A, b, np.asarray(path.x), reference_path(A, b, np.asarray(given)), given)


def test_dask_batch_is_one_lazy_chain_per_chunk(
    da: ModuleType, problem: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dask

    from arrayshrink import _solvers

    A, _, B = problem
    B = np.concatenate([B, B[:, ::-1]], axis=1)  # six columns, in chunks of two
    solved: list[int] = []
    solve_block = _solvers._solve_block

    def counted(*args: Any) -> Any:
        solved.append(args[-3].shape[1])  # the chunk of b
        return solve_block(*args)

    monkeypatch.setattr(_solvers, "_solve_block", counted)
    with counting_dask_computes() as computes:
        path = lasso_path(A, da.from_array(B, chunks=(M, 2)), n_lambdas=5, eps=1e-2)
        assert computes == []  # nothing computed until asked
        assert all(isinstance(field, da.Array) for field in path)
        values = dask.compute(*path)
    assert computes == [1]
    assert solved == [2] * 15  # one solve per chunk and point
    expected = lasso_path(A, B, n_lambdas=5, eps=1e-2)
    np.testing.assert_allclose(values[0], expected.lambdas, rtol=1e-14)
    assert np.all(values[4])
    # Chunks certified to tol: the optimum of NumPy's batch, along other iterations.
    np.testing.assert_allclose(values[3], expected.objective, rtol=2e-6)


def test_dask_single_signal_is_one_lazy_chain(da: ModuleType, problem: tuple) -> None:
    import dask

    A, b, _ = problem
    with counting_dask_computes() as computes:
        path = lasso_path(A, da.from_array(b), n_lambdas=5, eps=1e-2)
        assert computes == []
        values = dask.compute(*path)
    assert computes == [1]
    assert values[1].shape == (N, 5)
    assert all(value.shape == (5,) for value in values[2:])
    assert values[0].shape == (5,)
    expected = lasso_path(A, b, n_lambdas=5, eps=1e-2)
    np.testing.assert_allclose(values[0], expected.lambdas, rtol=1e-14)
    np.testing.assert_allclose(values[3], expected.objective, rtol=2e-6)

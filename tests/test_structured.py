"""Structured penalties of fista/ista: multi-task, group Lasso, any prox; lambda_max.

References: scikit-learn (MultiTaskLasso, MultiTaskElasticNet, Lasso, ElasticNet), the
group KKT conditions, scipy.optimize.lsq_linear, and float64 NumPy formulas.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import from_numpy, to_numpy
from scipy.optimize import lsq_linear
from sklearn.linear_model import ElasticNet, Lasso, MultiTaskElasticNet, MultiTaskLasso

import arrayshrink
from arrayshrink import fista, ista, lambda_max


def _data(seed: int, m: int, n: int, k: int | None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    truth = rng.standard_normal((n, k or 1)) * (rng.random((n, 1)) < 0.2)
    b = A @ truth + 0.05 * rng.standard_normal((m, k or 1))
    return A, (b[:, 0] if k is None else b)


def _multitask_objective(
    A: np.ndarray, B: np.ndarray, X: np.ndarray, lambd: Any, l2: float = 0.0
) -> float:
    rows = np.linalg.norm(X, axis=1)
    return float(0.5 * np.sum((A @ X - B) ** 2) + np.sum(lambd * rows) + 0.5 * l2 * np.sum(X**2))


def _group_kkt(
    A: np.ndarray, b: np.ndarray, x: np.ndarray, labels: np.ndarray, scale: np.ndarray, tol: float
) -> None:
    """The group Lasso's optimality: A_g^T r = scale_g x_g/||x_g|| where x_g != 0, and
    ||A_g^T r|| <= scale_g where x_g = 0 (r = b - A x)."""
    correlation = A.T @ (b - A @ x)
    for g, weight in enumerate(scale):
        members = labels == g
        norm = np.linalg.norm(x[members])
        if norm > 1e-12:
            np.testing.assert_allclose(correlation[members], weight * x[members] / norm, atol=tol)
        else:
            assert np.linalg.norm(correlation[members]) <= weight * (1 + tol) + tol


# ------------------------------------------------------------------------ multi-task


def test_multitask_equals_sklearn(xp: ModuleType) -> None:
    A, B = _data(0, 60, 40, 4)
    lambd = 0.3 * float(lambda_max(A, B, multitask=True))
    result = fista(
        from_numpy(xp, A), from_numpy(xp, B), lambd, multitask=True, tol=1e-10, max_iter=5000
    )
    assert tuple(result.x.shape) == (40, 4)
    assert tuple(result.gap.shape) == ()
    assert bool(to_numpy(result.converged))
    model = MultiTaskLasso(alpha=lambd / 60, fit_intercept=False, tol=1e-14, max_iter=100_000)
    reference = model.fit(A, B).coef_.T
    x = to_numpy(result.x)
    p_ref = _multitask_objective(A, B, reference, lambd)
    assert _multitask_objective(A, B, x, lambd) <= p_ref * (1 + 1e-8)
    np.testing.assert_allclose(x, reference, atol=1e-5)
    # Whole rows are zero or not.
    nonzero = np.abs(x) > 0
    assert np.all(nonzero.all(axis=1) | ~nonzero.any(axis=1))
    assert float(to_numpy(result.objective)) == pytest.approx(
        _multitask_objective(A, B, x, lambd), rel=1e-10
    )


def test_multitask_row_weights_and_elastic_net() -> None:
    A, B = _data(1, 50, 30, 3)
    weights = np.linspace(0.5, 2.0, 30)
    lambd = 0.2 * float(lambda_max(A, B, multitask=True, weights=weights))
    result = fista(A, B, lambd * weights, multitask=True, tol=1e-10, max_iter=5000)
    # Row weights are a rescaling of the columns of A: x_i = x'_i / w_i.
    model = MultiTaskLasso(alpha=lambd / 50, fit_intercept=False, tol=1e-14, max_iter=100_000)
    reference = model.fit(A / weights, B).coef_.T / weights[:, None]
    np.testing.assert_allclose(result.x, reference, atol=1e-5)
    l2 = 0.5
    result = fista(A, B, lambd, multitask=True, l2=l2, tol=1e-13, max_iter=5000)
    net = MultiTaskElasticNet(
        alpha=(lambd + l2) / 50,
        l1_ratio=lambd / (lambd + l2),
        fit_intercept=False,
        tol=1e-14,
        max_iter=100_000,
    )
    reference = net.fit(A, B).coef_.T
    objective = _multitask_objective(A, B, result.x, lambd, l2)
    assert objective <= _multitask_objective(A, B, reference, lambd, l2) * (1 + 1e-12)
    np.testing.assert_allclose(result.x, reference, atol=1e-6)
    assert bool(result.converged)


def test_multitask_at_lambda_max_is_zero_and_below_is_not(xp: ModuleType) -> None:
    A, B = _data(2, 30, 20, 3)
    peak = lambda_max(from_numpy(xp, A), from_numpy(xp, B), multitask=True)
    assert tuple(peak.shape) == ()
    expected = np.max(np.linalg.norm(A.T @ B, axis=1))
    assert float(to_numpy(peak)) == pytest.approx(expected, rel=1e-12)
    above = fista(from_numpy(xp, A), from_numpy(xp, B), expected * (1 + 1e-9), multitask=True)
    assert not np.any(to_numpy(above.x))
    below = fista(from_numpy(xp, A), from_numpy(xp, B), expected * 0.95, multitask=True)
    assert np.any(to_numpy(below.x))


# ---------------------------------------------------------------------------- groups


def test_group_lasso_satisfies_the_group_kkt_conditions(xp: ModuleType) -> None:
    A, b = _data(3, 80, 36, None)
    labels = np.repeat(np.arange(9), 4)
    weights = np.sqrt(np.full(9, 4.0))  # the usual sqrt(group size)
    lambd = 0.25 * float(lambda_max(A, b, groups=labels, group_weights=weights))
    result = fista(
        from_numpy(xp, A),
        from_numpy(xp, b),
        lambd,
        groups=labels,
        group_weights=from_numpy(xp, weights),
        tol=1e-12,
        max_iter=10_000,
    )
    assert bool(to_numpy(result.converged))
    x = to_numpy(result.x)
    assert 0 < np.count_nonzero(np.linalg.norm(x.reshape(9, 4), axis=1)) < 9
    _group_kkt(A, b, x, labels, lambd * weights, tol=1e-5)


def test_unequal_groups_from_any_library_and_a_list(xp: ModuleType) -> None:
    A, b = _data(4, 50, 10, None)
    labels = [2, 0, 0, 1, 1, 1, 2, 2, 2, 2]  # sizes 2, 3, 5, in no order
    lambd = 0.3 * float(lambda_max(A, b, groups=labels))
    from_list = fista(
        from_numpy(xp, A), from_numpy(xp, b), lambd, groups=labels, tol=1e-12, max_iter=5000
    )
    from_array = fista(
        from_numpy(xp, A),
        from_numpy(xp, b),
        lambd,
        groups=np.asarray(labels),
        tol=1e-12,
        max_iter=5000,
    )
    np.testing.assert_array_equal(to_numpy(from_list.x), to_numpy(from_array.x))
    _group_kkt(A, b, to_numpy(from_list.x), np.asarray(labels), np.full(3, lambd), tol=1e-6)


def test_groups_of_one_are_the_lasso_and_the_elastic_net() -> None:
    A, b = _data(5, 60, 30, None)
    lambd = 0.1 * float(lambda_max(A, b))
    result = fista(A, b, lambd, groups=range(30), tol=1e-12, max_iter=5000)
    lasso = Lasso(alpha=lambd / 60, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(A, b)
    np.testing.assert_allclose(result.x, lasso.coef_, atol=1e-6)
    positive = fista(A, b, lambd, groups=range(30), positive=True, tol=1e-12, max_iter=5000)
    reference = Lasso(
        alpha=lambd / 60, fit_intercept=False, positive=True, tol=1e-14, max_iter=100_000
    )
    np.testing.assert_allclose(positive.x, reference.fit(A, b).coef_, atol=1e-6)
    l2 = 0.3
    net = fista(A, b, lambd, groups=range(30), l2=l2, tol=1e-12, max_iter=5000)
    enet = ElasticNet(
        alpha=(lambd + l2) / 60,
        l1_ratio=lambd / (lambd + l2),
        fit_intercept=False,
        tol=1e-14,
        max_iter=100_000,
    )
    np.testing.assert_allclose(net.x, enet.fit(A, b).coef_, atol=1e-6)


def test_batched_groups_equal_separate_solves(xp: ModuleType) -> None:
    A, B = _data(6, 40, 12, 3)
    labels = np.repeat(np.arange(4), 3)
    lambd = np.asarray([0.05, 0.1, 0.2])
    batch = fista(
        from_numpy(xp, A),
        from_numpy(xp, B),
        from_numpy(xp, lambd),
        groups=labels,
        tol=1e-12,
        max_iter=5000,
    )
    assert tuple(batch.gap.shape) == (3,)
    for j in range(3):
        single = fista(A, B[:, j], float(lambd[j]), groups=labels, tol=1e-12, max_iter=5000)
        np.testing.assert_allclose(to_numpy(batch.x)[:, j], single.x, atol=1e-7)


def test_a_free_group_is_certified_by_its_residual() -> None:
    A, b = _data(7, 40, 9, None)
    labels = np.repeat(np.arange(3), 3)
    result = fista(
        A, b, 5.0, groups=labels, group_weights=[0.0, 1.0, 1.0], tol=1e-10, max_iter=5000
    )
    assert bool(result.converged)
    correlation = A.T @ (b - A @ result.x)
    np.testing.assert_allclose(correlation[:3], 0.0, atol=1e-7)  # least squares on the free group
    _group_kkt(A, b, result.x, labels, np.asarray([0.0, 5.0, 5.0]), tol=1e-6)


def test_group_lambda_max(xp: ModuleType) -> None:
    A, B = _data(8, 30, 12, 2)
    labels = np.repeat(np.arange(4), 3)
    weights = np.asarray([1.0, 2.0, 0.5, 1.5])
    peak = to_numpy(
        lambda_max(
            from_numpy(xp, A),
            from_numpy(xp, B),
            groups=labels,
            group_weights=from_numpy(xp, weights),
        )
    )
    c = A.T @ B
    expected = np.max(np.linalg.norm(c.reshape(4, 3, 2), axis=1) / weights[:, None], axis=0)
    np.testing.assert_allclose(peak, expected, rtol=1e-12)
    for j in range(2):
        above = fista(A, B[:, j], expected[j] * (1 + 1e-9), groups=labels, group_weights=weights)
        assert not np.any(above.x)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"groups": [0, 1]}, ValueError, "one label per coefficient"),
        ({"groups": [0.0] * 6}, TypeError, "groups must hold integers"),
        ({"groups": np.zeros(6)}, TypeError, "integer labels"),
        ({"groups": [0, 0, 1, 1, -1, 2]}, ValueError, r"labels in \[0"),
        (
            {"groups": [0, 0, 1, 1, 2, 3], "group_weights": [1.0, 1.0, 1.0]},
            ValueError,
            r"len\(group_weights\) = 3",
        ),
        ({"groups": [0] * 6, "group_weights": [-1.0]}, ValueError, "group_weights"),
        ({"groups": [0] * 6, "group_weights": [float("nan")]}, ValueError, "group_weights"),
        ({"groups": "abcdef"}, TypeError, "sequence or a 1-d array"),
        ({"group_weights": [1.0]}, ValueError, "group_weights needs groups"),
        (
            {"multitask": True, "groups": [0] * 6},
            ValueError,
            "multitask and groups cannot be combined",
        ),
        ({"multitask": True, "positive": True}, ValueError, "multitask and positive"),
        ({"multitask": 1}, TypeError, "multitask must be True or False"),
        ({"prox": 3}, TypeError, "prox must be callable"),
        ({"prox": lambda v, t: v, "positive": True}, ValueError, "prox and positive"),
        ({"prox": lambda v, t: v, "groups": [0] * 6}, ValueError, "prox and groups"),
        ({"prox": lambda v, t: v, "multitask": True}, ValueError, "prox and multitask"),
    ],
)
def test_bad_structured_arguments(kwargs: dict, error: type, match: str) -> None:
    A, B = _data(9, 10, 6, 2)
    with pytest.raises(error, match=match):
        fista(A, B, 0.1, **kwargs)


def test_lambda_max_rejects_weights_with_groups() -> None:
    A, b = _data(19, 10, 6, None)
    with pytest.raises(ValueError, match=r"weights .* and groups do not combine"):
        lambda_max(A, b, weights=np.ones(6), groups=[0, 0, 1, 1, 2, 2])


def test_lambd_shapes_that_do_not_fit_the_penalty_raise() -> None:
    A, B = _data(10, 10, 6, 2)
    with pytest.raises(ValueError, match="with groups, lambd is a number or one value per column"):
        fista(A, B, np.ones((6, 1)), groups=[0, 0, 1, 1, 2, 2])
    with pytest.raises(
        ValueError, match="with multitask=True, lambd is a number or one weight per row"
    ):
        fista(A, B, np.ones(2), multitask=True)
    with pytest.raises(ValueError, match=r"multitask=True needs b of shape \(m, k\)"):
        fista(A, B[:, 0], 0.1, multitask=True)


def test_traced_or_lazy_labels_are_rejected(jax: ModuleType) -> None:
    A, b = _data(11, 10, 6, None)
    jnp = jax.numpy

    def solve(labels: Any) -> Any:
        return fista(jnp.asarray(A), jnp.asarray(b), 0.1, groups=labels).x

    with pytest.raises(TypeError, match="concrete labels"):
        jax.jit(solve)(jnp.asarray([0, 0, 1, 1, 2, 2]))
    # Concrete labels closed over by a jitted solve are static: that works.
    jitted = jax.jit(lambda A_, b_: fista(A_, b_, 0.1, groups=[0, 0, 1, 1, 2, 2], tol=1e-10).x)
    eager = fista(A, b, 0.1, groups=[0, 0, 1, 1, 2, 2], tol=1e-10).x
    np.testing.assert_allclose(np.asarray(jitted(jnp.asarray(A), jnp.asarray(b))), eager, atol=1e-8)


def test_jit_multitask_equals_eager(jax: ModuleType) -> None:
    A, B = _data(12, 30, 15, 3)
    lambd = 0.3 * float(lambda_max(A, B, multitask=True))
    eager = fista(A, B, lambd, multitask=True, tol=1e-10)
    jitted = jax.jit(lambda A_, B_: fista(A_, B_, lambd, multitask=True, tol=1e-10))(
        jax.numpy.asarray(A), jax.numpy.asarray(B)
    )
    np.testing.assert_allclose(np.asarray(jitted.x), eager.x, atol=1e-8)
    assert bool(jitted.converged)


def test_dask_group_batches_and_multitask_equal_numpy(da: ModuleType) -> None:
    A, B = _data(13, 30, 12, 4)
    labels = np.repeat(np.arange(4), 3)
    lazy_B = da.from_array(B, chunks=(30, 2))
    grouped = fista(A, lazy_B, 0.1, groups=labels, tol=1e-10)
    np.testing.assert_allclose(
        grouped.x.compute(), fista(A, B, 0.1, groups=labels, tol=1e-10).x, atol=1e-8
    )
    multi = fista(da.from_array(A), lazy_B, 0.5, multitask=True, tol=1e-10, max_iter=5000)
    reference = fista(A, B, 0.5, multitask=True, tol=1e-10, max_iter=5000)
    np.testing.assert_allclose(multi.x.compute(), reference.x, atol=1e-7)
    assert bool(multi.converged.compute())
    with pytest.raises(TypeError, match="concrete labels"):
        fista(A, lazy_B, 0.1, groups=da.from_array(labels))


# ------------------------------------------------------------------------------ prox


@pytest.mark.parametrize("solver", [fista, ista])
def test_box_projection_reproduces_lsq_linear(xp: ModuleType, solver: Any) -> None:
    A, b = _data(14, 40, 15, None)
    b = b * 5  # so that some bounds bind

    def box(v: Any, t: Any) -> Any:
        return xp.clip(v, 0.0, 1.0)

    result = solver(from_numpy(xp, A), from_numpy(xp, b), 1.0, prox=box, tol=1e-10, max_iter=50_000)
    assert bool(to_numpy(result.converged))
    reference = lsq_linear(A, b, bounds=(0.0, 1.0), tol=1e-14, method="bvls").x
    x = to_numpy(result.x)
    assert np.any(x == 1.0)
    assert np.any(x == 0.0)
    np.testing.assert_allclose(x, reference, atol=1e-7)
    # The objective is the smooth part alone.
    assert float(to_numpy(result.objective)) == pytest.approx(
        0.5 * np.sum((A @ x - b) ** 2), rel=1e-10
    )


def test_softshrink_as_a_prox_is_the_lasso(xp: ModuleType) -> None:
    A, b = _data(15, 50, 30, 2)
    lambd = 0.1 * float(np.min(to_numpy(lambda_max(A, b))))
    prox = fista(
        from_numpy(xp, A),
        from_numpy(xp, b),
        lambd,
        prox=arrayshrink.softshrink,
        tol=1e-10,
        max_iter=5000,
    )
    lasso = Lasso(alpha=lambd / 50, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(A, b)
    np.testing.assert_allclose(to_numpy(prox.x), lasso.coef_.T, atol=1e-7)
    assert tuple(prox.gap.shape) == (2,)
    assert bool(np.all(to_numpy(prox.converged)))


def test_l0_prox_reaches_a_fixed_point() -> None:
    A, b = _data(16, 40, 20, None)

    def hard(v: np.ndarray, t: np.ndarray) -> np.ndarray:  # prox of t * ||x||_0
        return np.where(np.abs(v) > np.sqrt(2 * t), v, 0.0)

    result = fista(A, b, 0.01, prox=hard, tol=1e-10, max_iter=20_000)
    assert bool(result.converged)
    support = result.x != 0
    # At a fixed point, the support's coefficients are the least-squares fit on it.
    fit = np.linalg.lstsq(A[:, support], b, rcond=None)[0]
    np.testing.assert_allclose(result.x[support], fit, atol=1e-7)


def test_bad_prox_outputs_raise() -> None:
    A, b = _data(17, 10, 5, None)
    with pytest.raises(ValueError, match=r"prox\(v, t\) returned shape \(4,\)"):
        fista(A, b, 1.0, prox=lambda v, t: v[:4])
    with pytest.raises(TypeError, match="must return an array of the library of b"):
        fista(A, b, 1.0, prox=lambda v, t: list(v))


def test_non_converged_prox_solve_warns() -> None:
    A, b = _data(18, 20, 10, None)
    with pytest.warns(arrayshrink.ConvergenceWarning, match="did not converge in 3"):
        fista(A, b, 1.0, prox=lambda v, t: np.clip(v, 0, 1), max_iter=3, tol=1e-12)

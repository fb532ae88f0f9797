"""The Lasso homotopy (arrayshrink._agnostic._homotopy) and its use by lasso_path.

The homotopy's solutions are the exact path: they are compared with scikit-learn's
``lars_path(method="lasso")`` (LARS with the Lasso modification, interpolated between
its knots), with the weighted and elastic-net problems mapped onto it (scaled columns;
rows of sqrt(l2) I appended), on every eager backend. lasso_path uses them as the
starting points of its certified solves; where the homotopy stops (a singular support,
its event budget), the path goes on from the previous solution.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import array_api_compat.numpy as npx
import numpy as np
import pytest
from _problems import lasso_problem
from _support import from_numpy, to_numpy
from sklearn.linear_model import lars_path

import arrayshrink
from arrayshrink import lasso_path
from arrayshrink._agnostic import _homotopy

pytestmark = [
    pytest.mark.skip_xp_backend(
        "dask", reason="the homotopy runs on eager arrays only (lasso_path keeps Dask lazy)"
    ),
    pytest.mark.skip_xp_backend(
        "jax",
        reason="lasso_path does not run the homotopy where new shapes compile (each event "
        "would compile anew); tests/test_path.py covers JAX's path",
    ),
]

M, N = 40, 120


class _MatrixFree:
    """A as a LinearOperator (products only)."""

    def __init__(self, A: np.ndarray):
        self.A, self.shape = A, A.shape

    def forward(self, x: Any) -> Any:
        return self.A @ x

    def adjoint(self, r: Any) -> Any:
        return self.A.T @ r


def _lars(A: np.ndarray, b: np.ndarray, mus: np.ndarray, positive: bool = False) -> np.ndarray:
    """scikit-learn's exact Lasso path at the thresholds mus (alpha = mu / m), (n, L)."""
    m = A.shape[0]
    alphas, _, coefs = lars_path(
        A, b, method="lasso", alpha_min=mus[-1] / m, max_iter=10_000, positive=positive
    )
    out = np.empty((A.shape[1], len(mus)))
    for i, alpha in enumerate(mus / m):
        k = np.searchsorted(-alphas, -alpha)  # alphas decrease
        if k == 0:
            out[:, i] = coefs[:, 0]
        elif k == len(alphas):
            out[:, i] = coefs[:, -1]
        else:
            t = (alphas[k - 1] - alpha) / (alphas[k - 1] - alphas[k])
            out[:, i] = (1 - t) * coefs[:, k - 1] + t * coefs[:, k]
    return out


def _grid(A: np.ndarray, b: np.ndarray, count: int, eps: float, w: Any = 1.0) -> np.ndarray:
    top = np.max(np.abs(A.T @ b) / w)
    return top * np.geomspace(1.0, eps, count)


def _run(xp: ModuleType, A: np.ndarray, b: np.ndarray, mus: np.ndarray, **kw: Any) -> list:
    options = {"weights": None, "ridge": 0.0, "positive": False, "max_events": 10_000} | kw
    w = options.pop("weights")
    out = _homotopy.homotopy(
        from_numpy(xp, A),
        from_numpy(xp, b),
        [float(mu) for mu in mus],
        None if w is None else from_numpy(xp, w),
        options.pop("ridge"),
        options.pop("positive"),
        options.pop("max_events"),
        xp=xp,
    )
    return [None if x is None else to_numpy(x) for x in out]


def _stacked(proposals: list) -> np.ndarray:
    assert all(x is not None for x in proposals)
    return np.stack(proposals, axis=1)


@pytest.fixture
def problem() -> tuple[np.ndarray, np.ndarray]:
    p = lasso_problem(7, M, N, sparsity=0.2)
    return p.A, p.b


def test_the_path_is_lars(xp: ModuleType, problem: tuple) -> None:
    A, b = problem
    mus = _grid(A, b, 20, 1e-2)
    got = _stacked(_run(xp, A, b, mus))
    np.testing.assert_allclose(got, _lars(A, b, mus), rtol=1e-9, atol=1e-11)
    assert np.all(got[:, 0] == 0)  # the first threshold is lambda_max


def test_non_negative_path_is_lars(xp: ModuleType, problem: tuple) -> None:
    A, b = problem
    top = np.max(A.T @ b)
    mus = top * np.geomspace(1.0, 1e-2, 15)
    got = _stacked(_run(xp, A, b, mus, positive=True))
    assert np.all(got >= 0)
    np.testing.assert_allclose(got, _lars(A, b, mus, positive=True), rtol=1e-9, atol=1e-11)


def test_weighted_path_is_lars_on_scaled_columns(xp: ModuleType, problem: tuple) -> None:
    # mu sum w_j |x_j| on A is mu ||z||_1 on A / w, with x = z / w.
    A, b = problem
    w = np.random.default_rng(1).uniform(0.3, 3.0, N)
    mus = _grid(A, b, 15, 1e-2, w)
    got = _stacked(_run(xp, A, b, mus, weights=w))
    expected = _lars(A / w, b, mus) / w[:, None]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


def test_ridge_path_is_lars_on_the_augmented_problem(xp: ModuleType, problem: tuple) -> None:
    # + (l2/2) ||x||^2 is the Lasso of [A; sqrt(l2) I] and [b; 0].
    A, b = problem
    l2 = 0.3
    augmented = np.concatenate([A, math.sqrt(l2) * np.eye(N)])
    padded = np.concatenate([b, np.zeros(N)])
    mus = _grid(A, b, 15, 1e-3)
    got = _stacked(_run(xp, A, b, mus, ridge=l2))
    np.testing.assert_allclose(got, _lars(augmented, padded, mus), rtol=1e-9, atol=1e-11)


def test_thresholds_above_lambda_max_give_zero(xp: ModuleType, problem: tuple) -> None:
    A, b = problem
    top = np.max(np.abs(A.T @ b))
    mus = np.asarray([4 * top, 2 * top, top, 0.5 * top])
    got = _stacked(_run(xp, A, b, mus))
    assert np.all(got[:, :3] == 0)
    np.testing.assert_allclose(got[:, 3], _lars(A, b, mus[3:])[:, 0], rtol=1e-9, atol=1e-12)


def test_zero_signal_gives_zero_everywhere(xp: ModuleType, problem: tuple) -> None:
    A, _ = problem
    got = _stacked(_run(xp, A, np.zeros(M), np.asarray([1.0, 0.1])))
    assert np.all(got == 0)


def test_strong_rule_misses_are_followed_again(
    monkeypatch: pytest.MonkeyPatch, problem: tuple
) -> None:
    # A strong set of the active features alone misses every joining feature: each
    # stretch is followed again with the features that violated their bound.
    A, b = problem
    mus = _grid(A, b, 12, 1e-2)
    calls = {"follow": 0}
    follow = _homotopy._follow

    def counted(*args: Any) -> Any:
        calls["follow"] += 1
        return follow(*args)

    monkeypatch.setattr(_homotopy, "_strong_set", lambda c, w, mu, end, active, *_: active)
    monkeypatch.setattr(_homotopy, "_follow", counted)
    got = _stacked(_run(npx, A, b, mus))
    np.testing.assert_allclose(got, _lars(A, b, mus), rtol=1e-9, atol=1e-11)
    assert calls["follow"] > len(mus) - 1  # some stretches were followed twice


def test_event_budget_leaves_the_rest_unproposed(problem: tuple) -> None:
    A, b = problem
    mus = _grid(A, b, 10, 1e-2)
    got = _run(npx, A, b, mus, max_events=3)
    reached = [x is not None for x in got]
    assert reached[0]
    assert not reached[-1]
    assert reached == sorted(reached, reverse=True)  # a prefix of the grid
    done = sum(reached)
    np.testing.assert_allclose(
        np.stack(got[:done], axis=1), _lars(A, b, mus)[:, :done], rtol=1e-9, atol=1e-11
    )


def test_saturated_support_is_exact(problem: tuple) -> None:
    # Fewer rows than columns and no ridge: the support never grows past m, and the
    # path down to nearly interpolation is still exact where the homotopy reaches.
    A, b = problem
    mus = _grid(A, b, 30, 1e-10)
    got = _run(npx, A, b, mus)
    done = sum(x is not None for x in got)
    assert done > 20
    assert all(np.count_nonzero(x) <= M for x in got[:done])
    np.testing.assert_allclose(
        np.stack(got[:done], axis=1), _lars(A, b, mus[:done]), rtol=1e-7, atol=1e-9
    )


def test_singular_join_stops_the_homotopy(xp: ModuleType) -> None:
    # A column in the span of the support (here: a copy of an active one) cannot join
    # without a ridge: the Schur complement is 0 and the support is left as it was.
    A = from_numpy(xp, np.asarray([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    support = _homotopy._Support(A, xp.ones(3, dtype=A.dtype), 0.0, xp)
    assert support.join(0, 1.0)
    assert not support.join(2, 1.0)
    assert support.index == [0]
    ridged = _homotopy._Support(A, xp.ones(3, dtype=A.dtype), 0.5, xp)
    assert ridged.join(0, 1.0)
    assert ridged.join(2, 1.0)
    # The bordered inverse is the inverse of G_S + l2 I.
    H = to_numpy(ridged.inverse.formed(xp))
    np.testing.assert_allclose(H, np.linalg.inv(np.asarray([[1.5, 1.0], [1.0, 1.5]])))


def test_duplicated_column_never_joins() -> None:
    # A copy of an active column reaches its bound with it but never passes it: the
    # path is the one without the copy.
    p = lasso_problem(3, 30, 50, sparsity=0.2)
    A = np.concatenate([p.A, p.A[:, :1]], axis=1)
    b = p.b + 3 * p.A[:, 0]  # column 0 (and its copy) join first
    mus = _grid(A, b, 8, 1e-2)
    got = _stacked(_run(npx, A, b, mus))
    assert np.all(got[50, :] == 0)
    np.testing.assert_allclose(got[:50], _lars(A[:, :50], b, mus), rtol=1e-9, atol=1e-11)


# --- lasso_path -------------------------------------------------------------------------


def _kkt_violation(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambd: float) -> float:
    """The largest violation of the Lasso's optimality conditions, relative to lambd."""
    c = A.T @ (b - A @ x)
    on = x != 0
    off = np.max(np.abs(c[~on]), initial=0.0) - lambd
    on_support = np.max(np.abs(c[on] - lambd * np.sign(x[on])), initial=0.0)
    return max(off, on_support) / lambd


def test_path_starts_every_solve_at_the_homotopy(xp: ModuleType, problem: tuple) -> None:
    A, b = problem
    path = lasso_path(from_numpy(xp, A), from_numpy(xp, b), n_lambdas=12, eps=1e-2)
    x, lambdas = to_numpy(path.x), to_numpy(path.lambdas)
    assert np.all(to_numpy(path.converged))
    assert np.all(to_numpy(path.n_iter) == 0)  # certified where it started
    np.testing.assert_allclose(x, _lars(A, b, lambdas), rtol=1e-9, atol=1e-11)


def test_small_batch_starts_each_column_at_its_homotopy(xp: ModuleType, problem: tuple) -> None:
    """A batch of a few signals is each signal's exact path, each along its own grid:
    every point certified where its columns' homotopies put it (no iteration)."""
    A, b = problem
    B = np.stack([b, -0.5 * b + 0.1 * A[:, 0], A[:, 1]], axis=1)
    path = lasso_path(from_numpy(xp, A), from_numpy(xp, B), n_lambdas=12, eps=1e-2)
    x, lambdas = to_numpy(path.x), to_numpy(path.lambdas)
    assert x.shape == (N, 3, 12)
    assert np.all(to_numpy(path.converged))
    assert np.all(to_numpy(path.n_iter) == 0)
    for j in range(3):
        expected = _lars(A, B[:, j], lambdas[j])
        np.testing.assert_allclose(x[:, j, :], expected, rtol=1e-9, atol=1e-11)


@pytest.mark.backend("numpy")
def test_path_goes_on_where_the_homotopy_stops(
    monkeypatch: pytest.MonkeyPatch, problem: tuple
) -> None:
    A, b = problem
    monkeypatch.setattr(arrayshrink._path, "_HOMOTOPY_EVENTS", 0)
    monkeypatch.setattr(arrayshrink._path, "_HOMOTOPY_EVENTS_FLOOR", 5)
    path = lasso_path(A, b, n_lambdas=12, eps=1e-2, tol=1e-10)
    n_iter, x, lambdas = path.n_iter, path.x, path.lambdas
    assert np.all(path.converged)
    assert n_iter[1] == 0
    assert n_iter[-1] > 0
    np.testing.assert_allclose(x, _lars(A, b, lambdas), rtol=1e-6, atol=1e-8)


@pytest.mark.backend("numpy")
@pytest.mark.parametrize(
    "case",
    ["large batch", "groups", "operator", "zero weight", "float32 A, float64 b"],
)
def test_homotopy_only_where_it_applies(
    case: str, monkeypatch: pytest.MonkeyPatch, problem: tuple
) -> None:
    A, b = problem
    called = []
    homotopy = _homotopy.homotopy

    def spy(*args: Any, **kwargs: Any) -> Any:
        called.append(True)
        return homotopy(*args, **kwargs)

    monkeypatch.setattr(arrayshrink._path, "homotopy", spy)
    options: dict[str, Any] = {"n_lambdas": 3, "eps": 0.1}
    if case == "large batch":  # more columns than homotopies worth running one by one
        b = np.stack([b * (j + 1) for j in range(arrayshrink._path._HOMOTOPY_COLUMNS + 1)], 1)
    elif case == "groups":
        options["groups"] = np.arange(N) // 4
    elif case == "operator":
        A = _MatrixFree(A)
    elif case == "zero weight":
        options["weights"] = np.r_[0.0, np.ones(N - 1)]
    else:
        A = A.astype(np.float32)
    lasso_path(A, b, **options)
    assert not called
    lasso_path(problem[0], problem[1], n_lambdas=3, eps=0.1)
    assert called  # the spy sees the plain case

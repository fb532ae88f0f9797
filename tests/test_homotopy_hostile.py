"""Hostile cases of the Lasso homotopy (arrayshrink._agnostic._homotopy) and of
lasso_path, which starts each threshold's certified solve at the homotopy's solution.

References, all independent of arrayshrink: scikit-learn's ``Lasso`` and
``lasso_path`` run to a tight tolerance (alpha = lambda / m), ``lars_path`` for the
exact path, the Lasso's optimality conditions checked in float64 NumPy
(|A_j^T r - l2 x_j| <= lambda w_j, with equality and the sign of x_j on the support),
the implicit derivative of the solution on its support ((A_S^T A_S)^{-1}), and the
same path computed with the homotopy switched off (``_homotopy_starts`` returning
None, which is how lasso_path ran before the homotopy).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from array_api_compat import array_namespace
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.linear_model import Lasso
from sklearn.linear_model import lasso_path as sklearn_lasso_path

import arrayshrink
from arrayshrink import lasso_path
from arrayshrink._agnostic import _homotopy

M, N = 40, 100

numpy_only = pytest.mark.backend("numpy")


# --- references -------------------------------------------------------------------------


def _data(seed: int = 0, m: int = M, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    b = A[:, :5] @ rng.standard_normal(5) + 0.05 * rng.standard_normal(m)
    return A, b


def _scaled(seed: int, m: int, n: int, spread: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian columns with log-normal norms (exp(spread * N(0, 1))): correlations
    that move faster than the threshold, which the strong rule and the sign changes of
    the path then meet."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) * np.exp(rng.standard_normal(n) * spread)
    return A, rng.standard_normal(m)


def _kkt(
    A: Any, b: Any, x: Any, lambd: float, w: Any = None, l2: float = 0.0, positive: bool = False
) -> float:
    """The largest violation of the optimality conditions at lambd, in float64,
    relative to max |A^T b| (the scale of the correlations)."""
    A, b, x = (np.asarray(v, dtype=np.float64) for v in (A, b, x))
    w = np.ones(A.shape[1]) if w is None else np.asarray(w, dtype=np.float64)
    g = A.T @ (b - A @ x) - l2 * x
    bound = lambd * w
    on = x != 0
    if positive:
        off = np.max(g[~on] - bound[~on], initial=0.0)
        on_support = np.max(np.abs(g[on] - bound[on]), initial=0.0)
        negative = np.max(-x, initial=0.0)
        scale = max(float(np.max(A.T @ b, initial=0.0)), np.finfo(float).tiny)
        return float(max(off, on_support) / scale + negative)
    off = np.max(np.abs(g[~on]) - bound[~on], initial=0.0)
    on_support = np.max(np.abs(g[on] - bound[on] * np.sign(x[on])), initial=0.0)
    scale = max(float(np.max(np.abs(A.T @ b), initial=0.0)), np.finfo(float).tiny)
    return float(max(off, on_support) / scale)


def _objective(A: Any, b: Any, x: Any, lambd: float, w: Any = None, l2: float = 0.0) -> float:
    A, b, x = (np.asarray(v, dtype=np.float64) for v in (A, b, x))
    w = np.ones(A.shape[1]) if w is None else np.asarray(w, dtype=np.float64)
    r = A @ x - b
    return float(0.5 * r @ r + 0.5 * l2 * x @ x + lambd * np.sum(w * np.abs(x)))


def _sklearn_objectives(A: np.ndarray, b: np.ndarray, lambdas: np.ndarray, **kw: Any) -> np.ndarray:
    """The optimal objectives along lambdas, from scikit-learn's lasso_path."""
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    m = A.shape[0]
    with warnings.catch_warnings():
        # Near-copies of columns slow coordinate descent: its gap stays ~1e-10, far
        # below what the objectives are compared to.
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        _, coefs, _ = sklearn_lasso_path(
            A64,
            b64,
            alphas=np.asarray(lambdas, dtype=np.float64) / m,
            tol=1e-14,
            max_iter=100_000,
            **kw,
        )
    return np.asarray([_objective(A64, b64, coefs[:, i], lam) for i, lam in enumerate(lambdas)])


def _objectives(A: Any, b: Any, path: Any, **kw: Any) -> np.ndarray:
    x, lambdas = np.asarray(path.x), np.asarray(path.lambdas)
    return np.asarray([_objective(A, b, x[:, i], lam, **kw) for i, lam in enumerate(lambdas)])


def _homotopy_np(
    A: np.ndarray,
    b: np.ndarray,
    mus: Any,
    *,
    w: Any = None,
    ridge: float = 0.0,
    positive: bool = False,
    max_events: int = 100_000,
) -> list[Any]:
    return _homotopy.homotopy(
        A, b, [float(mu) for mu in mus], w, ridge, positive, max_events, xp=array_namespace(A)
    )


@contextmanager
def _homotopy_off() -> Iterator[None]:
    """lasso_path as it ran before the homotopy: each solve from the previous one."""
    saved = arrayshrink._path._homotopy_starts
    arrayshrink._path._homotopy_starts = lambda *args, **kwargs: None
    try:
        yield
    finally:
        arrayshrink._path._homotopy_starts = saved


def _quiet_path(A: Any, b: Any, **kw: Any) -> Any:
    """lasso_path with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return lasso_path(A, b, **kw)


# --- bugs of the homotopy ----------------------------------------------------------------


def _sign_flip_problems() -> list[Any]:
    # The exact path (lars_path) of the 3 x 3 problem: column 1 joins with a negative
    # coefficient at 0.393, leaves at 0.326, and joins again with a positive one at
    # 0.249; the others are scaled Gaussian columns doing the same.
    tiny = (
        np.asarray([[0.1, -2.3, -0.3], [-1.1, 7.8, 0.7], [-0.1, 3.4, 0.2]]),
        np.asarray([-0.3, -0.8, 0.5]),
        0.03,
    )
    cases = [pytest.param(*tiny, id="3x3")]
    for seed, ratio in [(4, 0.1), (28, 0.03), (32, 0.03)]:
        cases.append(pytest.param(*_scaled(seed, 8, 10), ratio, id=f"8x10-seed{seed}"))
    return cases


@numpy_only
@pytest.mark.parametrize(("A", "b", "ratio"), _sign_flip_problems())
def test_a_coefficient_that_left_can_join_again_with_the_other_sign(
    A: np.ndarray, b: np.ndarray, ratio: float
) -> None:
    """A coefficient that reaches 0 and leaves has its correlation at +-mu; the path can
    drive that correlation to the opposite bound later in the same stretch, where the
    coefficient must join again with the opposite sign. The homotopy excludes the
    feature that left last from both bounds until the next join."""
    lmax = float(np.max(np.abs(A.T @ b)))
    lam = ratio * lmax
    got = _homotopy_np(A, b, [lmax, lam])[1]
    m = A.shape[0]
    ref = Lasso(alpha=lam / m, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(A, b).coef_
    assert _kkt(A, b, ref, lam) < 1e-9  # the reference itself
    assert got is not None
    assert _kkt(A, b, got, lam) < 1e-9
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)


@numpy_only
@pytest.mark.parametrize("spread", [1e120, 1e150])
def test_a_leave_is_seen_where_x_times_d_underflows(spread: float) -> None:
    """Columns of norm ~1e120: the coefficients are ~1e-120 and the direction
    ~1e-240, so their product underflows to 0 and ``x * d < 0`` misses every
    coefficient moving to 0. The path (a scaled copy of the unit-column one) must stay
    exact."""
    A, b = _data()
    unit = float(np.max(np.abs(A.T @ b))) * np.geomspace(1.0, 1e-3, 30)
    with np.errstate(under="ignore", over="ignore"):
        got = _homotopy_np(A * spread, b, unit * spread)
    assert all(x is not None for x in got)
    for x, mu in zip(got, unit, strict=True):
        # x solves the unit problem at mu after scaling back.
        assert _kkt(A, b, np.asarray(x) * spread, mu) < 1e-9


@numpy_only
def test_tiny_columns_raise_no_overflow_warning() -> None:
    """A * 1e-150: the coefficients are ~1e150 and the direction ~1e300; x * d
    overflows, and NumPy's RuntimeWarning leaks out of lasso_path (it does not with
    the homotopy off). The path itself must stay certified."""
    A, b = _data()
    path = _quiet_path(A * 1e-150, b, n_lambdas=20)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A * 1e-150, b, path.x[:, i], lam) < 1e-5


@numpy_only
def test_column_norms_over_twelve_decades_converge() -> None:
    """lasso_path's side of the sign-flip bug above: with column norms from 1e-6 to
    1e6, the homotopy's solutions past a coefficient's sign change are wrong, and 7 of
    the 20 thresholds end unconverged (ConvergenceWarning). With that feature allowed
    to join at the opposite bound, every threshold is certified at its start (n_iter
    0). (With the homotopy off, 8 of 20 fail: not a regression, but what the exact
    homotopy is there to deliver.)"""
    A, b = _data()
    A = A * np.geomspace(1e-6, 1e6, N)
    path = _quiet_path(A, b, n_lambdas=20)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam) < 1e-5


@pytest.mark.backend("torch")
def test_torch_gradient_through_the_path(torch: ModuleType) -> None:
    """torch autograd through lasso_path: the derivative of sum(x*) with respect to b
    is A_S (A_S^T A_S)^{-1} 1 on the support S. With the homotopy, each threshold
    starts at a point built from Python floats (no graph to b), certified before any
    iteration: backward raises or gives a wrong gradient. Switched off, each solve
    iterates from the previous solution and the gradient is exact to 1e-6."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 8))
    A /= np.linalg.norm(A, axis=0)
    b = A @ rng.standard_normal(8) + 0.1 * rng.standard_normal(30)

    def gradients() -> list[tuple[np.ndarray, np.ndarray]]:
        bt = torch.tensor(b, requires_grad=True)
        with warnings.catch_warnings():
            # With the homotopy, the path also passes on a torch UserWarning from the
            # solves ("Converting a tensor with requires_grad=True to a scalar").
            warnings.simplefilter("ignore", UserWarning)
            path = lasso_path(torch.tensor(A), bt, n_lambdas=10, eps=1e-2)
        out = []
        for i in (3, 9):
            (g,) = torch.autograd.grad(path.x[:, i].sum(), bt, retain_graph=True)
            x = path.x[:, i].detach().numpy()
            S = np.flatnonzero(x)
            out.append((g.numpy(), A[:, S] @ np.linalg.solve(A[:, S].T @ A[:, S], np.ones(S.size))))
        return out

    with _homotopy_off():
        for g, expected in gradients():  # the reference's own check
            np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-8)
    for g, expected in gradients():
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-8)


# --- the strong rule's second pass (fixed in c2a38e7) -----------------------------------


@numpy_only
@pytest.mark.parametrize("seed", [0, 55, 66, 198])
def test_a_stretch_followed_again_is_exact(seed: int) -> None:
    """Scaled columns make the strong rule miss features; each such stretch is
    followed again from its start. It must start from the correlations at its start
    (the first version reused those at the end of the failed pass: KKT violations up
    to 0.67 of the correlations' scale)."""
    A, b = _scaled(seed, 20, 40)
    mus = float(np.max(np.abs(A.T @ b))) * np.geomspace(1.0, 1e-2, 30)
    got = _homotopy_np(A, b, mus)
    assert all(x is not None for x in got)
    for x, mu in zip(got, mus, strict=True):
        assert _kkt(A, b, x, mu) < 1e-9


@numpy_only
def test_scaled_columns_path_converges_without_more_work() -> None:
    """The same on lasso_path: with those wrong starts, 2 of the 100 thresholds of this
    problem ended unconverged (a ConvergenceWarning), which they do not with the
    homotopy off (17090 iterations in all, 4.8 s, against 0 now)."""
    A, b = _scaled(3, 100, 400)
    b = A[:, :10] @ np.random.default_rng(3).standard_normal(10) + 0.1 * b
    path = _quiet_path(A, b, eps=1e-3)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam) < 1e-5


# --- degenerate designs ------------------------------------------------------------------


def _degenerate() -> list[Any]:
    A, b = _data()
    top = int(np.argmax(np.abs(A.T @ b)))
    cases = {
        "copies of 10 columns": np.concatenate([A, A[:, :10]], axis=1),
        "negated copy of the top column": np.concatenate([A, -A[:, top : top + 1]], axis=1),
        "near copy 1e-9": np.concatenate([A, A[:, top : top + 1] + 1e-9 * A[:, :1]], axis=1),
        "near copies 1e-4 of 5 columns": np.concatenate(
            [A, A[:, :5] + 1e-4 * np.random.default_rng(8).standard_normal((M, 5))], axis=1
        ),
        "zero columns": np.concatenate([A, np.zeros((M, 7))], axis=1),
        "a column equal to b": np.concatenate([A, b[:, None]], axis=1),
        "rank 5": A[:, :5] @ np.random.default_rng(1).standard_normal((5, N)),
    }
    return [pytest.param(value, b, id=key) for key, value in cases.items()]


@numpy_only
@pytest.mark.parametrize(("A", "b"), _degenerate())
def test_degenerate_designs_match_sklearn(
    A: np.ndarray, b: np.ndarray, request: pytest.FixtureRequest
) -> None:
    A0, b0 = A.copy(), b.copy()
    path = _quiet_path(A, b, n_lambdas=30, eps=1e-2)
    assert np.all(path.converged)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam) < 1e-5
    if request.node.callspec.id.startswith("near"):
        return  # slow for coordinate descent and for the path without the homotopy
    expected = _sklearn_objectives(A, b, np.asarray(path.lambdas))
    np.testing.assert_allclose(_objectives(A, b, path), expected, rtol=1e-6)
    with _homotopy_off(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plain path may not converge on these
        before = lasso_path(A, b, n_lambdas=30, eps=1e-2)
    assert int(np.sum(path.n_iter)) <= int(np.sum(before.n_iter))


@numpy_only
@pytest.mark.parametrize("signs", ["equal", "alternating"])
def test_every_feature_joins_at_lambda_max(signs: str) -> None:
    """An orthonormal design with |b_j| all equal: n correlations tie at lambda_max,
    and the solution is soft thresholding of b at every threshold."""
    b = np.ones(20) if signs == "equal" else np.resize([1.0, -1.0], 20)
    path = _quiet_path(np.eye(20), b, n_lambdas=10, eps=1e-3)
    assert np.all(path.converged)
    lambdas = np.asarray(path.lambdas)
    expected = np.sign(b)[:, None] * np.maximum(np.abs(b)[:, None] - lambdas, 0.0)
    np.testing.assert_allclose(path.x, expected, rtol=1e-9, atol=1e-12)


@numpy_only
def test_positive_with_no_positive_correlation_is_zero() -> None:
    rng = np.random.default_rng(2)
    A = np.abs(rng.standard_normal((M, N)))
    b = -np.abs(rng.standard_normal(M))  # A^T b < 0 everywhere: x = 0 for every lambda
    path = _quiet_path(A, b, positive=True, lambdas=[10.0, 1.0, 1e-3])
    assert np.all(path.converged)
    assert np.all(np.asarray(path.x) == 0)


@numpy_only
def test_zero_signal() -> None:
    A, _ = _data()
    path = _quiet_path(A, np.zeros(M), lambdas=[1.0, 0.1])
    assert np.all(path.converged)
    assert np.all(np.asarray(path.x) == 0)


# --- scales, weights, ridge, dtypes, shapes ----------------------------------------------


def _scales() -> list[Any]:
    A, b = _data()
    return [
        pytest.param(A, b * 1e-150, id="b*1e-150"),
        pytest.param(A, b * 1e150, id="b*1e150"),
        pytest.param(A * 1e-100, b, id="A*1e-100"),
        pytest.param(A * 1e100, b, id="A*1e100"),
    ]


@numpy_only
@pytest.mark.parametrize(("A", "b"), _scales())
def test_extreme_scales(A: np.ndarray, b: np.ndarray) -> None:
    path = _quiet_path(A, b, n_lambdas=20)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam) < 1e-5


@numpy_only
@pytest.mark.parametrize("positive", [False, True])
def test_weights_spanning_sixteen_decades(positive: bool) -> None:
    A, b = _data()
    w = np.geomspace(1e-8, 1e8, N)
    np.random.default_rng(3).shuffle(w)
    path = _quiet_path(A, b, weights=w, positive=positive, n_lambdas=30)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam, w=w, positive=positive) < 1e-5


@numpy_only
@pytest.mark.parametrize("l2", [1e-12, 0.1, 1e6])
def test_ridge_kkt(l2: float) -> None:
    A, b = _data()
    path = _quiet_path(A, b, l2=l2, n_lambdas=30, eps=1e-4)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam, l2=l2) < 1e-5


@numpy_only
def test_float32_path() -> None:
    A, b = _data()
    A32, b32 = A.astype(np.float32), b.astype(np.float32)
    path = _quiet_path(A32, b32, n_lambdas=30, eps=1e-2)
    assert path.x.dtype == np.float32
    assert np.all(path.converged)
    expected = _sklearn_objectives(A32, b32, np.asarray(path.lambdas))
    np.testing.assert_allclose(_objectives(A32, b32, path), expected, rtol=1e-5)


def _shapes() -> list[Any]:
    rng = np.random.default_rng(4)
    A, b = _data()
    tall = rng.standard_normal((2000, 20))
    wide = rng.standard_normal((10, 5000))
    return [
        pytest.param(A[:1], b[:1], 1e-3, id="m=1"),
        pytest.param(A[:, :1], b, 1e-3, id="n=1"),
        pytest.param(A[:1, :1], b[:1], 1e-3, id="m=n=1"),
        pytest.param(
            tall, tall @ rng.standard_normal(20) + rng.standard_normal(2000), 1e-8, id="2000x20"
        ),
        pytest.param(wide, rng.standard_normal(10), 1e-12, id="10x5000 saturated"),
        pytest.param(A, b, 1e-12, id="40x100 saturated"),
    ]


@numpy_only
@pytest.mark.parametrize(("A", "b", "eps"), _shapes())
def test_shapes(A: np.ndarray, b: np.ndarray, eps: float) -> None:
    path = _quiet_path(A, b, n_lambdas=30, eps=eps)
    assert np.all(path.converged)
    for i, lam in enumerate(np.asarray(path.lambdas)):
        assert _kkt(A, b, path.x[:, i], lam) < 1e-5


# --- the caller's thresholds, x0 and memory layouts ---------------------------------------


@numpy_only
def test_given_lambdas_above_lambda_max_single_and_x0() -> None:
    A, b = _data()
    lmax = float(np.max(np.abs(A.T @ b)))
    lambdas = [10 * lmax, 2 * lmax, lmax, 0.5 * lmax, 0.01 * lmax]
    x0 = np.random.default_rng(5).standard_normal(N)
    x0_copy = x0.copy()
    path = _quiet_path(A, b, lambdas=lambdas, x0=x0)
    np.testing.assert_array_equal(x0, x0_copy)
    assert np.all(path.converged)
    assert np.all(np.asarray(path.x)[:, :3] == 0)
    expected = _sklearn_objectives(A, b, np.asarray(lambdas))
    np.testing.assert_allclose(_objectives(A, b, path), expected, rtol=1e-6)
    single = _quiet_path(A, b, lambdas=[0.01 * lmax])
    np.testing.assert_allclose(_objectives(A, b, single), expected[-1:], rtol=1e-6)
    # Two thresholds far apart: the second stretch crosses most of the path at once.
    far = _quiet_path(A, b, lambdas=[0.9 * lmax, 1e-4 * lmax])
    assert _kkt(A, b, far.x[:, 1], 1e-4 * lmax) < 1e-5


class _Subclass(np.ndarray):
    pass


@numpy_only
@pytest.mark.parametrize(
    "layout", ["strided columns", "fortran", "strided b", "read-only", "subclass"]
)
def test_layouts_give_the_contiguous_path(layout: str) -> None:
    rng = np.random.default_rng(6)
    wide = rng.standard_normal((M, 2 * N))
    A, b = np.ascontiguousarray(wide[:, ::2]), rng.standard_normal(M)
    reference = _quiet_path(A, b, n_lambdas=15)
    if layout == "strided columns":
        A = wide[:, ::2]
    elif layout == "fortran":
        A = np.asfortranarray(A)
    elif layout == "strided b":
        b = np.repeat(b, 2)[::2]
    elif layout == "read-only":
        A, b = A.copy(), b.copy()
        A.flags.writeable = b.flags.writeable = False
    else:
        A, b = A.view(_Subclass), b.view(_Subclass)
    path = _quiet_path(A, b, n_lambdas=15)
    assert np.all(path.converged)
    np.testing.assert_allclose(path.x, reference.x, rtol=1e-9, atol=1e-12)


# --- torch --------------------------------------------------------------------------------


@pytest.mark.backend("torch")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_path_matches_numpy(torch: ModuleType, dtype: str) -> None:
    A, b = _data(7)
    A, b = A.astype(dtype), b.astype(dtype)
    At, bt = torch.from_numpy(A.copy()), torch.from_numpy(b.copy())
    path = _quiet_path(At, bt, n_lambdas=30, eps=1e-2)
    assert torch.equal(At, torch.from_numpy(A))
    assert torch.equal(bt, torch.from_numpy(b))
    assert bool(path.converged.all())
    got = _objectives(A, b, type(path)(*(f.numpy() for f in path)))
    expected = _sklearn_objectives(A, b, path.lambdas.numpy().astype(np.float64))
    np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == "float64" else 1e-4)

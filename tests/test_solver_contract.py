"""The solvers at their edges: a certificate that never lies, and errors that say why.

References are independent of the solver: closed forms (ridge, least squares), the
optimality conditions of the problem in float64 NumPy, and scikit-learn.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _problems import lasso_problem
from _support import long_solve, to_numpy
from array_api_compat import is_dask_namespace, is_jax_namespace

import arrayshrink
from arrayshrink import ConvergenceWarning, fista, ista, lambda_max


def _problem(m: int = 40, n: int = 60, k: int | None = None, seed: int = 0) -> tuple:
    """Gaussian A with entries of variance 1/m, and a b of pure noise."""
    problem = lasso_problem(seed, m, n, k, sparsity=0, noise=1.0, unit_columns=False)
    return problem.A, problem.b


def _objective(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambd: Any, l2: float = 0.0) -> Any:
    r = A @ x - b
    return (
        0.5 * np.sum(r**2, axis=0)
        + 0.5 * l2 * np.sum(x**2, axis=0)
        + np.sum(lambd * np.abs(x), axis=0)
    )


def _eager(xp: ModuleType) -> bool:
    return not is_dask_namespace(xp)


def _warns_unless_lazy(xp: ModuleType, match: str) -> Any:
    """A ConvergenceWarning where the verdict can be read; on Dask the result carries
    the verdict (in ``converged``) without computing it for a warning."""
    if is_dask_namespace(xp):
        return contextlib.nullcontext()
    return pytest.warns(ConvergenceWarning, match=match)


def _distance_bound(A: np.ndarray, l2: float, gap: Any, objective: Any) -> float:
    """||x - x*||^2 <= 2 (P(x) - P*) / mu <= 2 gap P(x) / mu for a mu-strongly convex P."""
    mu = l2 + float(np.linalg.eigvalsh(A.T @ A)[0])
    return 2.0 * float(gap) * float(objective) / mu


# --- non-finite data -------------------------------------------------------------


@pytest.mark.eager_only(reason="values are not read: test_non_finite_lazy_data_is_never_certified")
@pytest.mark.parametrize("name", ["A", "b", "x0", "lambd"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_eager_data_raises_naming_it(xp: ModuleType, name: str, bad: float) -> None:
    A, b = _problem()
    data = {"A": A, "b": b, "x0": np.zeros(60), "lambd": np.full(60, 0.1)}
    data[name] = data[name].copy()
    data[name][3] = bad
    arrays = {key: xp.asarray(value) for key, value in data.items()}
    with pytest.raises(ValueError, match=rf"fista\(\): {name} must be"):
        fista(arrays["A"], arrays["b"], arrays["lambd"], x0=arrays["x0"])


@pytest.mark.lazy_only(reason="eager backends raise instead")
def test_non_finite_lazy_data_is_never_certified(xp: ModuleType) -> None:
    """Where values cannot be read (Dask), NaN data gives a NaN, unconverged column."""
    A, b = _problem(k=3)
    b[5, 1] = math.nan
    result = fista(xp.asarray(A), xp.asarray(b), 0.5, max_iter=500)
    converged, gap, x = (to_numpy(v) for v in (result.converged, result.gap, result.x))
    np.testing.assert_array_equal(converged, [True, False, True])
    assert math.isnan(gap[1])
    assert np.all(np.isnan(x[:, 1]))


def test_non_finite_traced_data_is_never_certified(jax: ModuleType) -> None:
    import jax.numpy as jnp

    A, b = _problem(k=2)
    b[0, 0] = math.nan
    solve = jax.jit(lambda A, b: fista(A, b, 0.1, max_iter=200))
    result = solve(jnp.asarray(A), jnp.asarray(b))
    np.testing.assert_array_equal(np.asarray(result.converged), [False, True])
    assert np.all(np.isnan(np.asarray(result.x)[:, 0]))
    assert int(result.n_iter[0]) < 200  # a NaN column stops at its first check


@pytest.mark.parametrize("lambd", [-0.5, math.nan])
def test_invalid_traced_threshold_gives_nan_not_a_solution(jax: ModuleType, lambd: float) -> None:
    import jax.numpy as jnp

    A, b = _problem()
    weights = np.full(60, 0.1)
    weights[7] = lambd
    result = jax.jit(lambda lam: fista(jnp.asarray(A), jnp.asarray(b), lam, max_iter=100))(
        jnp.asarray(weights)
    )
    assert not bool(result.converged)
    assert np.all(np.isnan(np.asarray(result.x)))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_diverging_step_is_never_certified(xp: ModuleType) -> None:
    """A lipschitz far too small makes the iteration blow up: never "converged"."""
    A, b = _problem()
    with _warns_unless_lazy(xp, "non-finite objective.*too-small lipschitz"):
        result = fista(xp.asarray(A), xp.asarray(b), 0.1, lipschitz=1e-3, max_iter=300)
    assert not bool(to_numpy(result.converged))
    assert int(to_numpy(result.n_iter)) < 300  # stopped once the objective overflowed


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_overflowing_scale_is_never_certified(xp: ModuleType) -> None:
    A, b = _problem()
    with _warns_unless_lazy(xp, "did not converge"):
        result = fista(xp.asarray(A * 1e160), xp.asarray(b), 0.1, max_iter=50)
    assert not bool(to_numpy(result.converged))


# --- certificates that exist for lambd = 0, zero weights and exact fits -------------


def test_ridge_certifies_at_its_closed_form(xp: ModuleType) -> None:
    """lambd = 0 with l2 > 0 (ElasticNet with l1_ratio = 0): (A^T A + l2 I)^-1 A^T b."""
    A, b = _problem()
    result = fista(xp.asarray(A), xp.asarray(b), 0.0, l2=1.0, tol=1e-10)
    expected = np.linalg.solve(A.T @ A + np.eye(60), A.T @ b)
    assert bool(to_numpy(result.converged))
    assert int(to_numpy(result.n_iter)) < 200
    distance = np.sum((to_numpy(result.x) - expected) ** 2)
    assert distance <= _distance_bound(A, 1.0, to_numpy(result.gap), to_numpy(result.objective))


def test_least_squares_certifies_at_lstsq(xp: ModuleType) -> None:
    A, b = _problem(m=80, n=30)
    result = fista(xp.asarray(A), xp.asarray(b), 0.0, tol=1e-10, max_iter=5000)
    expected = np.linalg.lstsq(A, b, rcond=None)[0]
    assert bool(to_numpy(result.converged))
    gap = float(to_numpy(result.gap))
    assert gap <= 1e-10
    # The certificate bounds the suboptimality, and through strong convexity the error.
    x = to_numpy(result.x)
    excess = _objective(A, b, x, 0.0) - _objective(A, b, expected, 0.0)
    p = _objective(A, b, x, 0.0)
    assert excess <= gap * p * (1 + 1e-6) + 64 * np.finfo(float).eps * p  # rounding of P
    distance = np.sum((x - expected) ** 2)
    assert distance <= _distance_bound(A, 0.0, gap, to_numpy(result.objective)) * (1 + 1e-6)


@pytest.mark.parametrize("lambd", [0.0, 1e-12])
def test_exact_fit_converges(xp: ModuleType, lambd: float) -> None:
    """An optimum at (or next to) objective 0 still converges: the gap also counts
    absolutely, against ||b||^2 / 2."""
    A, _ = _problem(m=80, n=30)
    truth = np.random.default_rng(1).standard_normal(30)
    b = A @ truth
    result = fista(xp.asarray(A), xp.asarray(b), lambd, tol=1e-12, max_iter=5000)
    assert bool(to_numpy(result.converged))
    # P* <= P(truth) = lambd ||truth||_1, and P(x) - P* <= tol ||b||^2 / 2.
    excess = _objective(A, b, to_numpy(result.x), lambd) - lambd * np.sum(np.abs(truth))
    assert excess <= 1e-12 * 0.5 * np.sum(b**2) * (1 + 1e-6)


def test_zero_signal_converges_at_zero(xp: ModuleType) -> None:
    A, _ = _problem()
    for lambd in (0.0, 0.1):
        result = fista(xp.asarray(A), xp.zeros(40, dtype=xp.float64), lambd)
        assert bool(to_numpy(result.converged))
        np.testing.assert_array_equal(to_numpy(result.x), np.zeros(60))


@long_solve
def test_zero_weights_meet_the_optimality_conditions(xp: ModuleType) -> None:
    """Unpenalised coefficients (an intercept, say) beside penalised ones: at the
    certified x, A^T(b - Ax) is 0 on the free ones, lambd_j sign(x_j) on the support,
    and at most lambd_j elsewhere."""
    A, b = _problem(m=60, n=40, seed=2)
    A[:, 0] = 1.0  # an intercept column
    weights = np.full(40, 0.3)
    weights[[0, 5]] = 0.0
    result = fista(xp.asarray(A), xp.asarray(b), xp.asarray(weights), tol=1e-10, max_iter=20000)
    assert bool(to_numpy(result.converged))
    x = to_numpy(result.x)
    c = A.T @ (b - A @ x)
    scale = np.max(np.abs(A.T @ b))
    assert np.all(np.abs(c[[0, 5]]) <= 1e-8 * scale)
    support = (np.abs(x) > 1e-9) & (weights > 0)
    np.testing.assert_allclose(c[support], weights[support] * np.sign(x[support]), atol=1e-7)
    assert np.all(np.abs(c[~support]) <= weights[~support] + 1e-7)


@long_solve
def test_zero_lambda_column_in_a_batch(xp: ModuleType) -> None:
    """One column at lambd = 0 (least squares) beside Lasso columns."""
    A, b = _problem(m=80, n=30, k=3)
    lambdas = np.asarray([0.5, 0.0, 0.1])
    result = fista(xp.asarray(A), xp.asarray(b), xp.asarray(lambdas), tol=1e-10, max_iter=5000)
    assert np.all(to_numpy(result.converged))
    np.testing.assert_allclose(
        to_numpy(result.x)[:, 1], np.linalg.lstsq(A, b[:, 1], rcond=None)[0], atol=1e-7
    )


# --- float32: no cancellation, no negative gap, no false certificate ----------------


@long_solve
def test_float32_certificates_are_true(xp: ModuleType) -> None:
    """Each certified float32 column is within its certificate of the float64 optimum of
    the same (rounded) data; no gap is negative."""
    A, b = _problem(m=50, n=120, k=12, seed=3)
    A32, b32 = A.astype(np.float32), b.astype(np.float32)
    lambd = 0.1
    result = fista(xp.asarray(A32), xp.asarray(b32), lambd, max_iter=3000)
    gap = to_numpy(result.gap).astype(np.float64)
    assert np.all(gap >= 0)
    A64, b64 = A32.astype(np.float64), b32.astype(np.float64)
    optimum = fista(A64, b64, lambd, tol=1e-13, max_iter=100_000)
    p_star = to_numpy(optimum.objective)
    p = _objective(A64, b64, to_numpy(result.x).astype(np.float64), lambd)
    converged = to_numpy(result.converged)
    assert converged.all()
    # The rule: (P - D) <= tol P or <= tol ||b||^2 / 2; with float32 rounding on top.
    allowed = 1e-6 * np.maximum(p, 0.5 * np.sum(b64**2, axis=0)) + 1e-5 * p
    assert np.all(p - p_star <= allowed)
    # And the reported gap bounds the true suboptimality.
    assert np.all(p - p_star <= gap * p + 1e-5 * p)


def test_float32_default_tol_is_silent_and_a_lower_tol_warns(xp: ModuleType) -> None:
    A, b = _problem()
    A32, b32 = xp.asarray(A.astype(np.float32)), xp.asarray(b.astype(np.float32))
    fista(A32, b32, 0.5, max_iter=3000)  # warnings are errors in this suite
    with pytest.warns(ConvergenceWarning) as record:
        fista(A32, b32, 0.1, tol=1e-8, max_iter=20)
    assert "tol=1e-08 is below what float32 can certify" in str(record[0].message)
    assert "about 4.8e-07" in str(record[0].message)
    if not is_dask_namespace(xp):
        assert "did not converge in 20 iterations" in str(record[1].message)


# --- ConvergenceWarning, verbose, callback ---------------------------------------------


@pytest.mark.eager_only(
    reason="no warning where values are lazy: test_lazy_result_carries_the_verdict"
)
def test_warning_names_the_columns_and_the_worst_gap(xp: ModuleType) -> None:
    A, b = _problem(k=4)
    with pytest.warns(ConvergenceWarning) as record:
        result = fista(xp.asarray(A), xp.asarray(b), 0.01, max_iter=5, check_every=5)
    failed = ~to_numpy(result.converged)
    worst = np.max(to_numpy(result.gap)[failed])
    message = str(record[0].message)
    assert f"{int(failed.sum())} of 4 columns did not converge in 5 iterations" in message
    assert f"worst relative gap {worst:.3g}" in message
    assert record[0].filename == __file__  # points at the caller


@pytest.mark.lazy_only(
    reason="eager backends warn: test_warning_names_the_columns_and_the_worst_gap"
)
def test_lazy_result_carries_the_verdict(xp: ModuleType) -> None:
    """On Dask, an unconverged solve does not warn (that would compute the verdict
    again); ``converged`` says it."""
    A, b = _problem(k=4)
    result = fista(xp.asarray(A), xp.asarray(b), 0.01, max_iter=5, check_every=5)
    assert not np.any(to_numpy(result.converged))
    np.testing.assert_array_equal(to_numpy(result.n_iter), [5, 5, 5, 5])


def test_callback_stop_does_not_warn(xp: ModuleType) -> None:
    A, b = _problem()
    result = fista(xp.asarray(A), xp.asarray(b), 0.01, callback=lambda state: True)
    assert int(to_numpy(result.n_iter)) == 10
    assert not bool(to_numpy(result.converged))


def test_unroll_does_not_warn() -> None:
    A, b = _problem()
    lipschitz = float(np.linalg.norm(A, 2) ** 2)
    result = fista(A, b, 0.01, lipschitz=lipschitz, unroll=True, max_iter=3)
    assert not bool(result.converged)


def test_verbose_prints_each_check_point(xp: ModuleType, capsys: pytest.CaptureFixture) -> None:
    A, b = _problem(k=3)
    fista(xp.asarray(A), xp.asarray(b), 0.5, verbose=True, check_every=5)
    lines = capsys.readouterr().out.splitlines()
    assert lines
    first = lines[0].split()
    assert first[:3] == ["fista:", "iteration", "5"]
    assert "worst gap" in lines[0]
    assert "objective" in lines[0]
    assert lines[-1].split()[5] == "0/3"  # nothing left unconverged at the end


# --- LassoResult ---------------------------------------------------------------------


def test_result_fields_are_arrays_of_the_input_library(xp: ModuleType) -> None:
    A, b = _problem(k=5)
    b[:, 0] = 0.0  # converges at the first check point
    result = fista(xp.asarray(A), xp.asarray(b), 0.5)
    assert isinstance(result, tuple)
    assert result._fields == ("x", "gap", "objective", "converged", "n_iter", "history")
    for name in ("x", "gap", "objective", "converged", "n_iter"):
        value = getattr(result, name)
        assert arrayshrink._lib._compat.namespace_for(value) is not None, name
    assert tuple(result.x.shape) == (60, 5)
    for name in ("gap", "objective", "converged", "n_iter"):
        assert tuple(getattr(result, name).shape) == (5,), name
    assert xp.isdtype(result.n_iter.dtype, "integral")
    assert xp.isdtype(result.converged.dtype, "bool")
    n_iter = to_numpy(result.n_iter)
    if not (is_dask_namespace(xp) or is_jax_namespace(xp)):
        assert n_iter[0] == 10  # the zero column left the batch at the first check
        assert n_iter.max() > 10


def test_result_repr_is_short() -> None:
    A, b = _problem(m=100, n=10_000, k=2)
    with pytest.warns(ConvergenceWarning):
        result = fista(A, b, 0.01, max_iter=10, history=True)
    text = repr(result)
    assert len(text) < 250
    assert "float64 array of shape (10000, 2)" in text
    assert "converged: 0 of 2" in text
    assert "history: 1 check points" in text


@pytest.mark.usefixtures("jax")
def test_result_is_a_jax_pytree_in_a_fresh_process() -> None:
    code = (
        "import sys, jax, numpy as np\n"
        "from arrayshrink import fista\n"
        "r = fista(np.eye(3), np.ones(3), 0.1)\n"
        "assert 'arrayshrink._backends._jax' not in sys.modules\n"
        "leaves = jax.tree_util.tree_leaves(r)\n"
        "assert len(leaves) == 5, leaves\n"
        "print(type(jax.tree_util.tree_map(lambda a: a, r)).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "LassoResult"


# --- arguments -------------------------------------------------------------------------


def test_mixed_libraries_raise_naming_both(torch: ModuleType) -> None:
    A, b = _problem()
    tA, tb = torch.asarray(A), torch.asarray(b)
    cases = [
        ((A, tb, 0.1), {}, "A is a NumPy array but b is a PyTorch array"),
        ((tA, b, 0.1), {}, "A is a PyTorch array but b is a NumPy array"),
        ((tA, tb, np.full(60, 0.1)), {}, "lambd is a NumPy array but b is a PyTorch array"),
        ((tA, tb, 0.1), {"x0": np.zeros(60)}, "x0 is a NumPy array but b is a PyTorch array"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(TypeError, match=message):
            fista(*args, **kwargs)
    with pytest.raises(TypeError, match="A is a PyTorch array but b is a NumPy array"):
        lambda_max(tA, b)


def test_jax_matrix_with_numpy_signal_raises(jax: ModuleType) -> None:
    jnp = jax.numpy
    A, b = _problem()
    with pytest.raises(TypeError, match="A is a JAX array but b is a NumPy array"):
        fista(jnp.asarray(A), b, 0.1)


def test_mixed_float_dtypes_promote(xp: ModuleType) -> None:
    A, b = _problem()
    A32 = A.astype(np.float32)
    # The same 20 fixed steps: float32 A promoted to float64 gives the float64 iterates.
    kwargs = {"lipschitz": 2 * float(np.linalg.norm(A32, 2) ** 2), "tol": 0.0, "max_iter": 20}
    with _warns_unless_lazy(xp, "did not converge"):
        mixed = fista(xp.asarray(A32), xp.asarray(b), 0.5, **kwargs)
    with _warns_unless_lazy(xp, "did not converge"):
        wide = fista(xp.asarray(A32.astype(np.float64)), xp.asarray(b), 0.5, **kwargs)
    assert mixed.x.dtype == xp.float64
    np.testing.assert_allclose(to_numpy(mixed.x), to_numpy(wide.x), rtol=1e-12, atol=1e-15)
    x0 = xp.zeros(60, dtype=xp.float32)
    with _warns_unless_lazy(xp, "did not converge"):
        warm = fista(xp.asarray(A), xp.asarray(b), 0.5, x0=x0, **kwargs)
    assert warm.x.dtype == xp.float64


@pytest.mark.parametrize("name", ["A", "b", "x0"])
def test_integer_data_rejected(xp: ModuleType, name: str) -> None:
    A, b = _problem()
    data = {"A": xp.asarray(A), "b": xp.asarray(b), "x0": xp.zeros(60)}
    data[name] = xp.astype(data[name], xp.int64)
    with pytest.raises(TypeError, match=rf"{name} must have a real or complex floating dtype; got"):
        fista(data["A"], data["b"], 0.1, x0=data["x0"])


def test_integer_threshold_array_rejected(xp: ModuleType) -> None:
    A, b = _problem()
    with pytest.raises(TypeError, match="lambd"):
        fista(xp.asarray(A), xp.asarray(b), xp.ones(60, dtype=xp.int64))


def test_zero_columns_rejected(xp: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"A must have at least one column.*\(5, 0\)"):
        fista(xp.zeros((5, 0)), xp.ones(5), 0.1)


class _BadOperator:
    def __init__(self, forward_rows: int, adjoint_rows: int) -> None:
        self.shape = (40, 60)
        self._forward_rows, self._adjoint_rows = forward_rows, adjoint_rows

    def forward(self, x: Any) -> Any:
        return np.ones((self._forward_rows, *x.shape[1:]))

    def adjoint(self, r: Any) -> Any:
        return np.ones((self._adjoint_rows, *r.shape[1:]))


@pytest.mark.parametrize(
    ("rows", "method", "expected"),
    [((1, 60), "forward", r"\(40,\)"), ((40, 1), "adjoint", r"\(60,\)")],
)
def test_operator_with_wrong_shapes_raises_at_first_call(
    rows: tuple[int, int], method: str, expected: str
) -> None:
    _, b = _problem()
    with pytest.raises(ValueError, match=rf"A\.{method} returned shape .*; expected {expected}"):
        fista(_BadOperator(*rows), b, 0.1)


def test_operator_of_another_library_raises(torch: ModuleType) -> None:
    A, b = _problem()

    class TorchOperator:
        shape = (40, 60)

        def forward(self, x: Any) -> Any:
            return torch.asarray(A) @ torch.asarray(x)

        def adjoint(self, r: Any) -> Any:
            return torch.asarray(A).T @ torch.asarray(r)

    with pytest.raises(TypeError, match=r"A\.forward must return an array of the library of b"):
        fista(TorchOperator(), b, 0.1)


@pytest.mark.parametrize("flag", ["positive", "restart", "unroll", "history", "verbose"])
def test_flags_must_be_bool(flag: str) -> None:
    A, b = _problem()
    with pytest.raises(TypeError, match=rf"{flag} must be True or False; got 'yes'"):
        fista(A, b, 0.1, **{flag: "yes"})


def test_masked_arrays_rejected() -> None:
    A, b = _problem()
    with pytest.raises(TypeError, match=r"b is a numpy.ma masked array.*b.filled\(value\)"):
        fista(A, np.ma.masked_array(b, mask=b > 1), 0.1)
    with pytest.raises(TypeError, match=r"A is a numpy.ma masked array.*A.filled\(value\)"):
        fista(np.ma.masked_array(A), b, 0.1)


@pytest.mark.parametrize("bad", [10**400, math.inf, -1.0, math.nan])
def test_scalar_threshold_out_of_range(bad: float) -> None:
    A, b = _problem()
    with pytest.raises(ValueError, match="lambd"):
        fista(A, b, bad)


def test_reverse_mode_needs_unroll_and_forward_mode_works(jax: ModuleType) -> None:
    """As documented: jax.grad through a while_loop fails with JAX's own error, while
    forward mode differentiates the solve as it is."""
    import jax.numpy as jnp

    A, b = _problem(m=60, n=30)
    A_j = jnp.asarray(A)

    def total(b: Any) -> Any:
        return jnp.sum(fista(A_j, b, 0.05, tol=1e-12, max_iter=3000).x)

    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        jax.grad(total)(jnp.asarray(b))
    solve = jax.jit(lambda b: fista(A_j, b, 0.05, tol=1e-12, max_iter=3000).x)
    x = np.asarray(solve(jnp.asarray(b)))
    support = np.abs(x) > 0
    A_S = A[:, support]
    expected = A_S @ np.linalg.solve(A_S.T @ A_S, np.ones(int(support.sum())))
    np.testing.assert_allclose(jax.jit(jax.jacfwd(total))(jnp.asarray(b)), expected, atol=1e-6)


def test_ista_shares_the_contract(xp: ModuleType) -> None:
    A, b = _problem(m=80, n=30)
    result = ista(xp.asarray(A), xp.asarray(b), 0.0, l2=0.5, tol=1e-10, max_iter=5000)
    assert bool(to_numpy(result.converged))
    expected = np.linalg.solve(A.T @ A + 0.5 * np.eye(30), A.T @ b)
    distance = np.sum((to_numpy(result.x) - expected) ** 2)
    assert distance <= _distance_bound(A, 0.5, to_numpy(result.gap), to_numpy(result.objective))
    if _eager(xp):
        with pytest.raises(ValueError, match="b must be finite"):
            ista(xp.asarray(A), xp.asarray(np.full(80, math.nan)), 0.1)


def test_torch_autograd_through_the_default_solver(torch: ModuleType) -> None:
    """Steps are detached: autograd through a backtracking solve differentiates the
    solution, which at the optimum follows the optimality conditions."""
    A, b = _problem(m=60, n=30)
    b_t = torch.tensor(b, requires_grad=True)
    result = fista(torch.tensor(A), b_t, 0.05, tol=1e-12, max_iter=3000)
    result.x.sum().backward()
    x = result.x.detach().numpy()
    support = np.abs(x) > 0
    A_S = A[:, support]
    expected = A_S @ np.linalg.solve(A_S.T @ A_S, np.ones(int(support.sum())))
    np.testing.assert_allclose(b_t.grad.numpy(), expected, atol=1e-6)


@long_solve
def test_intercept_on_uncentred_data_is_certified_truly(xp: ModuleType) -> None:
    """An unpenalised intercept column beside uncentred features (an ill-conditioned
    free part): the reported gap bounds the true suboptimality against scikit-learn's
    fit_intercept=True Lasso, at the default tol."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(2)
    X = rng.standard_normal((100, 10)) + 5.0
    y = X @ rng.standard_normal(10) * 0.1 + 5 + rng.standard_normal(100)
    A = np.c_[np.ones(100), X]
    weights = np.r_[0.0, np.full(10, 0.5)]
    result = fista(xp.asarray(A), xp.asarray(y), xp.asarray(weights), max_iter=20_000)
    assert bool(to_numpy(result.converged))
    model = Lasso(alpha=0.5 / 100, tol=1e-14, max_iter=10**6).fit(X, y)
    p_star = _objective(A, y, np.r_[model.intercept_, model.coef_], weights)
    p = _objective(A, y, to_numpy(result.x), weights)
    assert p - p_star <= float(to_numpy(result.gap)) * p + 1e-12 * p
    assert p - p_star <= 1e-6 * max(p, 0.5 * float(y @ y))


@pytest.mark.parametrize("scale", [1e-170, 1e-200])
def test_underflowing_data_is_never_certified(scale: float) -> None:
    """||b||^2 underflows to 0: the certificate cannot be computed, so it is not given."""
    A, b = _problem()
    lambd = 0.1 * float(np.max(np.abs(A.T @ b)))
    with pytest.warns(ConvergenceWarning, match="underflow"):
        result = fista(A, b * scale, lambd * scale, max_iter=50)
    assert not bool(result.converged)


def test_wider_warm_start_promotes_everything(torch: ModuleType) -> None:
    A, b = _problem()
    A32, b32 = torch.tensor(A, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
    result = fista(A32, b32, 0.5, x0=torch.zeros(60, dtype=torch.float64))
    assert result.x.dtype == torch.float64
    with pytest.raises(ValueError, match="positive=True needs real A, b and x0"):
        fista(A, b, 0.5, x0=np.zeros(60, dtype=complex), positive=True)


def test_xp_must_name_the_library_of_b() -> None:
    A, b = _problem()
    with pytest.raises(TypeError, match=r"xp='numpy' is not the namespace of b, which is NumPy"):
        fista(A, b, 0.1, xp="numpy")
    with pytest.raises(TypeError, match="callback must be callable; got 1"):
        fista(A, b, 0.1, callback=1)


@pytest.mark.parametrize("shape", [(40,), None, (40, 60.5), ("40", "60"), (40, 60, 1), (-1, 60)])
def test_operator_shape_must_be_two_integers(shape: Any) -> None:
    _, b = _problem()
    operator = _BadOperator(40, 60)
    operator.shape = shape  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"A.shape must be a pair of non-negative integers"):
        fista(operator, b, 0.1)


def test_unroll_refuses_check_point_arguments() -> None:
    A, b = _problem()
    for kwargs in ({"callback": print}, {"history": True}, {"verbose": True}):
        with pytest.raises(ValueError, match="act at check points, which unroll=True"):
            fista(A, b, 0.1, lipschitz=10.0, unroll=True, **kwargs)


class _OutputOperator:
    """Products of the right shape whose output is transformed (dtype, mask)."""

    def __init__(self, matrix: np.ndarray, transform: Any) -> None:
        self.shape = matrix.shape
        self._matrix, self._transform = matrix, transform

    def forward(self, x: Any) -> Any:
        return self._transform(self._matrix @ x)

    def adjoint(self, r: Any) -> Any:
        return self._transform(self._matrix.T @ r)


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (lambda out: out.astype(np.int64), "output of A.forward must have a real or complex"),
        (lambda out: out + 0j, r"A.forward returned complex128 for real input"),
        (np.ma.masked_array, "output of A.forward is a numpy.ma masked array"),
    ],
)
def test_operator_outputs_must_be_dense_and_of_the_problem_kind(
    transform: Any, message: str
) -> None:
    A, b = _problem()
    with pytest.raises(TypeError, match=message):
        fista(_OutputOperator(A, transform), b, 0.1)


def test_concrete_arrays_closed_over_by_a_jitted_function(jax: ModuleType) -> None:
    """Inside jax.jit even concrete arrays give traced results: zero weights still get
    their certificate, and an invalid weight gives NaN (it cannot raise there)."""
    import jax.numpy as jnp

    A, b = _problem(m=60, n=10)
    weights = np.r_[0.0, np.full(9, 0.3)]
    A_j, w_j = jnp.asarray(A), jnp.asarray(weights)
    jitted = jax.jit(lambda b: fista(A_j, b, w_j, tol=1e-10, max_iter=5000))(jnp.asarray(b))
    eager = fista(A, b, weights, tol=1e-10, max_iter=5000)
    assert bool(jitted.converged)
    np.testing.assert_allclose(np.asarray(jitted.x), eager.x, atol=1e-6)
    bad = jnp.asarray(np.r_[-1.0, np.full(9, 0.3)])
    result = jax.jit(lambda b: fista(A_j, b, bad, max_iter=50))(jnp.asarray(b))
    assert not bool(result.converged)
    assert np.all(np.isnan(np.asarray(result.x)))


def test_jax_without_x64_certifies_in_float32(jax_x32: ModuleType) -> None:
    """JAX's default mode (no float64, restored after this test): a float32 solve is
    certified in float32, at the default tol, and near the float64 optimum."""
    jnp = jax_x32.numpy
    A, b = _problem()
    A32, b32 = A.astype(np.float32), b.astype(np.float32)
    result = fista(jnp.asarray(A32), jnp.asarray(b32), 0.5, max_iter=3000)
    assert result.x.dtype == jnp.float32
    assert bool(result.converged)
    optimum = fista(A32.astype(np.float64), b32.astype(np.float64), 0.5, tol=1e-12)
    p = _objective(A32.astype(np.float64), b32.astype(np.float64), np.asarray(result.x), 0.5)
    assert p - float(optimum.objective) <= 1e-5 * p

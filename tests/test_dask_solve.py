"""The solvers on Dask: batches solved chunk by chunk, a single problem persisted.

References: NumPy's solve of the same columns (the same eager code: equal bit for bit),
NumPy's solve of the whole batch (equal to the certified accuracy), NumPy's SVD for the
norm of A, and counts of the computes Dask is asked for.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import counting_dask_computes

from arrayshrink import fista, ista, lambda_max

FIELDS = ("x", "gap", "objective", "converged", "n_iter")


def _batch(m: int = 24, n: int = 48, k: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    truth = rng.standard_normal((n, k)) * (rng.random((n, k)) < 0.15)
    return A, A @ truth + 0.05 * rng.standard_normal((m, k))


def _columns_of(value: Any, columns: slice, k: int) -> Any:
    """The part of a per-column argument (lambd (k,) or (n, k), x0) for ``columns``."""
    if np.ndim(value) >= 1 and np.shape(value)[-1] == k:
        return value[..., columns]
    return value


def _per_chunk(solver: Any, A: np.ndarray, B: np.ndarray, widths: list[int], **kw: Any) -> Any:
    """NumPy's solve of each chunk of columns, concatenated field by field."""
    parts, start = [], 0
    for width in widths:
        columns = slice(start, start + width)
        args = {name: _columns_of(value, columns, B.shape[1]) for name, value in kw.items()}
        parts.append(solver(A, B[:, columns], **args))
        start += width
    return {field: np.concatenate([getattr(p, field) for p in parts], axis=-1) for field in FIELDS}


@pytest.mark.parametrize("solver", [fista, ista])
def test_batch_chunked_along_columns_is_numpy_on_each_chunk(da: ModuleType, solver: Any) -> None:
    A, B = _batch()
    widths = [8, 8, 8, 6]
    with counting_dask_computes() as computes:
        result = solver(A, da.from_array(B, chunks=(B.shape[0], 8)), 0.5, max_iter=5000)
    assert computes == []  # lazy: nothing computed until asked
    assert all(isinstance(getattr(result, f), da.Array) for f in FIELDS)
    assert result.history is None
    import dask

    computed = dask.compute(*result[:5])
    expected = _per_chunk(solver, A, B, widths, lambd=0.5, max_iter=5000)
    for field, value in zip(FIELDS, computed, strict=True):
        assert isinstance(value, np.ndarray)
        assert value.dtype == expected[field].dtype, field
        np.testing.assert_array_equal(value, expected[field], err_msg=field)
    assert bool(np.all(computed[3]))
    # The whole batch solved by NumPy at once: the same optimum, to the certificate.
    whole = solver(A, B, 0.5, max_iter=5000)
    np.testing.assert_allclose(computed[2], whole.objective, rtol=2e-6)


def test_computing_every_field_together_solves_each_chunk_once(
    da: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dask

    from arrayshrink import _solvers

    solved: list[int] = []
    solve_block = _solvers._solve_block

    def counted(*args: Any) -> Any:
        solved.append(args[-3].shape[1])  # the chunk of b
        return solve_block(*args)

    monkeypatch.setattr(_solvers, "_solve_block", counted)
    A, B = _batch(k=12)
    result = fista(A, da.from_array(B, chunks=(B.shape[0], 4)), 0.5)
    dask.compute(*result[:5])
    assert solved == [4, 4, 4]


@pytest.mark.parametrize(
    "lambd_shape", [(), (30,), (48, 1), (48, 30)], ids=["scalar", "per-column", "per-row", "both"]
)
def test_chunked_batch_thresholds_and_x0(da: ModuleType, lambd_shape: tuple[int, ...]) -> None:
    A, B = _batch()
    rng = np.random.default_rng(5)
    lambd = 0.5 if not lambd_shape else 0.2 + rng.random(lambd_shape)
    x0 = 0.1 * rng.standard_normal((48, 30))
    lambd_dask = lambd if not lambd_shape else da.from_array(lambd, chunks=7)
    b_dask, x0_dask = da.from_array(B, chunks=(24, 10)), da.from_array(x0, chunks=(12, 15))
    result = fista(A, b_dask, lambd_dask, x0=x0_dask, max_iter=20_000)
    expected = _per_chunk(fista, A, B, [10, 10, 10], lambd=lambd, x0=x0, max_iter=20_000)
    np.testing.assert_array_equal(result.x.compute(), expected["x"])
    np.testing.assert_array_equal(result.gap.compute(), expected["gap"])


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_chunked_batch_keeps_dtype(da: ModuleType, dtype: str) -> None:
    A, B = _batch(k=9)
    if dtype == "complex128":
        B = B + 0.5j * np.roll(B, 1, axis=0)
    A, B = A.astype("float32" if dtype == "float32" else "float64"), B.astype(dtype)
    result = fista(da.from_array(A), da.from_array(B, chunks=(24, 4)), 0.5)
    expected = _per_chunk(fista, A, B, [4, 4, 1], lambd=0.5)
    x = result.x.compute()
    assert x.dtype == np.dtype(dtype)
    assert result.x.dtype == np.dtype(dtype)
    assert result.gap.dtype == result.gap.compute().dtype == np.real(B).dtype
    np.testing.assert_array_equal(x, expected["x"])


def test_nan_in_one_column_leaves_the_others_certified(da: ModuleType) -> None:
    A, B = _batch(k=10)
    B[3, 4] = np.nan
    result = fista(A, da.from_array(B, chunks=(24, 5)), 0.5)
    converged, gap = result.converged.compute(), result.gap.compute()
    assert not converged[4]
    assert np.isnan(gap[4])
    assert converged[np.arange(10) != 4].all()
    clean = np.delete(B, 4, axis=1)
    # The same problems solved apart: equal to the certificate's accuracy, not to the
    # bit (BLAS rounds a product of 5 columns and one of 4 differently, and the
    # iterations stop at different check points).
    alone = fista(A, clean[:, :4], 0.5, tol=1e-10, max_iter=20_000).x
    np.testing.assert_allclose(
        np.delete(result.x.compute(), 4, axis=1)[:, :4], alone, rtol=0, atol=1e-3
    )


def test_invalid_lazy_threshold_gives_nan_columns(da: ModuleType) -> None:
    A, B = _batch(k=6)
    lambd = da.from_array(np.asarray([0.5, -1.0, 0.5, np.nan, 0.5, 0.5]), chunks=3)
    result = fista(A, da.from_array(B, chunks=(24, 3)), lambd)
    converged = result.converged.compute()
    np.testing.assert_array_equal(converged, [True, False, True, False, True, True])
    assert np.isnan(result.x.compute()[:, [1, 3]]).all()


# ------------------------------------------------------ libraries allowed together


def test_numpy_dictionary_beside_dask_batch(da: ModuleType) -> None:
    A, B = _batch(k=8)
    beside = fista(A, da.from_array(B, chunks=(24, 4)), 0.5)
    dask_A = fista(da.from_array(A), da.from_array(B, chunks=(24, 4)), 0.5)
    np.testing.assert_array_equal(beside.x.compute(), dask_A.x.compute())


def test_numpy_dictionary_beside_dask_signal_chunked_along_rows(da: ModuleType) -> None:
    A, B = _batch(m=60, n=20, k=1)
    b = B[:, 0]
    result = fista(A, da.from_array(b, chunks=15), 0.5)
    assert isinstance(result.x, da.Array)
    reference = fista(A, b, 0.5, tol=1e-10)
    assert bool(result.converged.compute())
    np.testing.assert_allclose(result.objective.compute(), reference.objective, rtol=1e-6)


def test_numpy_dictionary_with_nan_raises_beside_dask(da: ModuleType) -> None:
    A, B = _batch(k=4)
    A[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"^fista\(\): A must be finite; it holds 1 NaN"):
        fista(A, da.from_array(B), 0.5)


def test_other_mixes_still_raise(da: ModuleType) -> None:
    A, B = _batch(k=4)
    with pytest.raises(TypeError, match=r"A is a Dask array but b is a NumPy array"):
        fista(da.from_array(A), B, 0.5)
    with pytest.raises(TypeError, match=r"x0 is a NumPy array but b is a Dask array"):
        fista(A, da.from_array(B), 0.5, x0=np.zeros((48, 4)))
    with pytest.raises(TypeError, match=r"lambd is a NumPy array but b is a Dask array"):
        fista(A, da.from_array(B), np.full(4, 0.5))
    strict = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match=r"A is an array-api-strict array but b is a Dask"):
        fista(strict.asarray(A), da.from_array(B), 0.5)


# ------------------------------------------------ a single problem, A along its rows


def test_rows_chunked_problem_computes_only_at_check_points(da: ModuleType) -> None:
    A, B = _batch(m=400, n=40, k=1, seed=3)
    b = B[:, 0]
    A_dask, b_dask = da.from_array(A, chunks=(100, 40)), da.from_array(b, chunks=100)
    with counting_dask_computes() as computes:
        result = fista(A_dask, b_dask, 2.0, max_iter=60, check_every=20, tol=0.0)
    # The step (one pass over A) and the first iterate, then per check point the
    # persisted state and the verdict: never one per iteration.
    assert len(computes) == 2 + 2 * 3, len(computes)
    assert int(result.n_iter.compute()) == 60
    reference = fista(A, b, 2.0, tol=1e-12)
    np.testing.assert_allclose(result.objective.compute(), reference.objective, rtol=1e-8)


def test_rows_chunked_problem_with_operator_estimates_the_norm(da: ModuleType) -> None:
    A, B = _batch(m=200, n=30, k=1, seed=4)
    A_dask = da.from_array(A, chunks=(50, 30))

    class Operator:
        shape = A.shape

        def forward(self, x: Any) -> Any:
            return A_dask @ x

        def adjoint(self, r: Any) -> Any:
            return A_dask.T @ r

    result = fista(Operator(), da.from_array(B[:, 0], chunks=50), 1.0, tol=1e-8)
    reference = fista(A, B[:, 0], 1.0, tol=1e-12)
    assert bool(result.converged.compute())
    np.testing.assert_allclose(result.objective.compute(), reference.objective, rtol=1e-7)


def test_step_of_a_lazy_matrix_is_its_norm(da: ModuleType) -> None:
    from arrayshrink._backends import _dask_solve

    rng = np.random.default_rng(2)
    A = rng.standard_normal((300, 25)) + 1j * rng.standard_normal((300, 25))
    exact = np.linalg.norm(A, 2) ** 2
    for matrix in (A, da.from_array(A, chunks=(70, 25))):
        estimate = _dask_solve.gram_lipschitz(matrix)
        assert estimate is not None
        assert exact <= estimate <= exact * (1 + 1e-5)


def test_power_iterations_bound_the_norm(da: ModuleType) -> None:
    """The generic estimate (an operator on lazy arrays): at least ||A||^2, not far above."""
    import array_api_compat.dask.array as xp
    import dask

    from arrayshrink._agnostic._lasso import Operator, Problem, power_lipschitz
    from arrayshrink._agnostic._penalties import L1

    rng = np.random.default_rng(6)
    A = rng.standard_normal((120, 60)) @ np.diag(np.linspace(1, 3, 60))
    A_dask = da.from_array(A, chunks=(30, 60))
    b = da.from_array(rng.standard_normal(120), chunks=30)
    op = Operator(lambda x: A_dask @ x, lambda r: A_dask.T @ r, A.shape)
    problem = Problem(op, b, L1(1.0, xp), xp, 0.0, np.float64, np.float64)
    estimate = power_lipschitz(problem, dask.persist)
    exact = np.linalg.norm(A, 2) ** 2
    assert exact <= estimate <= 1.1 * exact


def test_lambda_max_beside_dask(da: ModuleType) -> None:
    A, B = _batch(k=5)
    lazy = lambda_max(A, da.from_array(B, chunks=(24, 2)))
    np.testing.assert_allclose(lazy.compute(), np.max(np.abs(A.T @ B), axis=0), rtol=1e-14)


def test_empty_batch(da: ModuleType) -> None:
    A, _ = _batch()
    result = fista(A, da.from_array(np.zeros((24, 0))), 0.5)
    assert result.x.compute().shape == (48, 0)
    assert result.converged.compute().shape == (0,)


def test_nan_in_a_lazy_matrix_is_never_certified(da: ModuleType) -> None:
    A, B = _batch(m=80, n=20, k=1)
    A[5, 3] = np.nan
    result = fista(da.from_array(A, chunks=(20, 20)), da.from_array(B[:, 0], chunks=20), 0.5)
    assert not bool(result.converged.compute())
    assert np.isnan(result.gap.compute())


def test_callback_on_a_chunked_batch_sees_every_column(da: ModuleType) -> None:
    """callback, history and verbose act at check points: the whole batch iterates."""
    A, B = _batch(k=6)
    seen: list[tuple[int, ...]] = []

    def callback(result: Any) -> bool:
        seen.append(tuple(result.x.shape))
        return False

    result = fista(A, da.from_array(B, chunks=(24, 3)), 0.5, callback=callback, tol=1e-8)
    assert seen
    assert set(seen) == {(48, 6)}
    reference = fista(A, B, 0.5, tol=1e-10)
    assert result.converged.compute().all()
    np.testing.assert_allclose(result.objective.compute(), reference.objective, rtol=1e-7)

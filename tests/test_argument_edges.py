"""Edges of the arguments: certificates with unpenalised coefficients under x >= 0 or
with repeated columns, callbacks that cannot change a solve, namespaces, devices,
values that cannot be read, and result types.

References: scipy.optimize.nnls and NumPy's least squares (float64), and the
mathematics of each case.
"""

from __future__ import annotations

import contextlib
import warnings
from types import ModuleType

import numpy as np
import pytest
from _support import from_numpy, to_numpy
from scipy.optimize import nnls

import arrayshrink
from arrayshrink import fista, ista, lambda_max, softshrink


@pytest.mark.eager_only("converged is read at once")
def test_nonnegative_least_squares_converges(xp: ModuleType) -> None:
    """lambd = 0 with positive=True is non-negative least squares: the certificate
    of the unpenalised coefficients (their dual constraint is c_j <= 0, not c_j = 0)
    closes, and x equals scipy's NNLS."""
    rng = np.random.default_rng(3)
    A, b = rng.standard_normal((30, 12)), rng.standard_normal(30)
    result = fista(from_numpy(xp, A), from_numpy(xp, b), 0.0, positive=True, tol=1e-10)
    assert bool(to_numpy(result.converged))
    np.testing.assert_allclose(to_numpy(result.x), nnls(A, b)[0], atol=1e-7)
    # One free coefficient whose optimum is 0 and one penalised: exact at x = 0.
    result = ista(
        from_numpy(xp, np.eye(2)),
        from_numpy(xp, np.asarray([-1.0, 0.5])),
        from_numpy(xp, np.asarray([0.0, 1.0])),
        positive=True,
    )
    assert bool(to_numpy(result.converged))
    np.testing.assert_array_equal(to_numpy(result.x), [0.0, 0.0])


@pytest.mark.eager_only("converged is read at once")
def test_repeated_and_zero_free_columns_converge(xp: ModuleType) -> None:
    """Unpenalised columns that repeat or are zero span less than their count: the
    dual point is projected off their span itself, and the gap closes."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 4))
    A[:, 1] = A[:, 0]
    b = rng.standard_normal(30)
    weights = np.asarray([0.0, 0.0, 1.0, 1.0])
    result = fista(from_numpy(xp, A), from_numpy(xp, b), from_numpy(xp, weights), tol=1e-9)
    assert bool(to_numpy(result.converged))
    x = to_numpy(result.x)
    # Optimality: the free columns are orthogonal to the residual.
    residual = b - A @ x
    assert np.max(np.abs(A[:, :2].T @ residual)) <= 1e-6 * np.max(np.abs(A.T @ b))
    zero_column = np.asarray([[0.0, 1.0], [0.0, 0.0]])
    result = fista(
        from_numpy(xp, zero_column),
        from_numpy(xp, np.asarray([1.0, 1.0])),
        from_numpy(xp, np.asarray([0.0, 0.1])),
    )
    assert bool(to_numpy(result.converged))
    np.testing.assert_allclose(to_numpy(result.x)[1], 0.9)


@pytest.mark.eager_only("a callback's arrays are copies where they can be changed")
def test_a_callback_cannot_change_the_solve(xp: ModuleType) -> None:
    """Writing into the result a callback is given leaves the solve as it was."""
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((20, 8)), rng.standard_normal(20)
    args = (from_numpy(xp, A), from_numpy(xp, b), 0.5)
    plain = fista(*args, tol=1e-10)

    def vandal(result: arrayshrink.LassoResult) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with contextlib.suppress(TypeError, ValueError):  # JAX's are immutable
                result.x[0] = 100.0

    touched = fista(*args, tol=1e-10, callback=vandal)
    np.testing.assert_array_equal(to_numpy(touched.x), to_numpy(plain.x))


def test_a_callback_must_answer_with_a_truth_value() -> None:
    A, b = np.eye(3), np.ones(3)
    with pytest.raises(TypeError, match="callback must return True to stop"):
        fista(A, b, 0.1, tol=0.0, max_iter=20, callback=lambda result: np.ones(3))


def test_the_xp_of_a_shrink_function_is_checked() -> None:
    """A wrong xp raises on every path, the fast one included; the library's own
    module and its array-API namespace are both accepted."""
    import array_api_compat.numpy as np_xp

    x = np.asarray([1.0, -2.0])
    for wrong in (1, "numpy"):
        for function in (arrayshrink.softshrink, arrayshrink.hardshrink):
            with pytest.raises(TypeError, match=r"xp=.* is not the namespace of x"):
                function(x, 0.5, xp=wrong)
        with pytest.raises(TypeError, match=r"xp=.* is not the namespace of x"):
            arrayshrink.tanhshrink(x, xp=wrong)
    for right in (np, np_xp):
        np.testing.assert_array_equal(softshrink(x, 0.5, xp=right), [0.5, -1.5])


def test_a_non_array_x0_names_x0() -> None:
    with pytest.raises(TypeError, match="x0 must be an array of the library of b"):
        fista(np.eye(3), np.ones(3), 0.1, x0=[0.0, 0.0, 0.0])


def test_numpy_bools_are_flags() -> None:
    A, b = np.eye(3), np.asarray([2.0, -1.0, 0.5])
    result = fista(A, b, 1.0, positive=np.True_, restart=np.False_)
    np.testing.assert_array_equal(result.x, [1.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="positive must be True or False"):
        fista(A, b, 1.0, positive=np.float64(1.0))


def test_dask_arrays_of_unknown_sizes_are_named(da: ModuleType) -> None:
    rng = np.random.default_rng(1)
    A = da.from_array(rng.standard_normal((20, 5)), chunks=5)
    b = da.from_array(rng.standard_normal((20, 2)), chunks=5)
    keep = da.from_array(rng.standard_normal(20) > 0, chunks=5)
    with pytest.raises(ValueError, match=r"b has unknown sizes.*compute_chunk_sizes"):
        fista(A[keep], b[keep], 0.5)
    with pytest.raises(ValueError, match=r"A has unknown sizes.*compute_chunk_sizes"):
        lambda_max(A[keep], b[keep].compute_chunk_sizes())


def test_arguments_on_another_device_are_named() -> None:
    strict = pytest.importorskip("array_api_strict")
    other = strict.Device("device1")
    A = strict.asarray(np.eye(3))
    b = strict.asarray(np.ones(3), device=other)
    with pytest.raises(ValueError, match=r"A is on device .* but b is on"):
        fista(A, b, 0.1)
    with pytest.raises(ValueError, match=r"lambd is on device .* but x is on"):
        softshrink(strict.asarray([1.0, 2.0]), strict.asarray(0.5, device=other))


def test_torch_values_that_cannot_be_read(torch: ModuleType) -> None:
    """Meta tensors and torch.func.vmap have no values to decide when to stop: a clear
    error; unroll=True runs a fixed number of iterations there."""
    A = torch.eye(3, dtype=torch.float64)
    with pytest.raises(ValueError, match="the values of b cannot be read here"):
        fista(A.to("meta"), torch.ones(3, dtype=torch.float64, device="meta"), 0.1)
    batch = torch.tensor([[2.0, 0.5, -1.0], [1.0, -3.0, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="the values of b cannot be read here"):
        torch.func.vmap(lambda b: fista(A, b, 0.1).x)(batch)
    unrolled = torch.func.vmap(
        lambda b: fista(A, b, 0.5, unroll=True, lipschitz=1.0, max_iter=5).x
    )(batch)
    np.testing.assert_allclose(to_numpy(unrolled), to_numpy(softshrink(batch, 0.5)))


def test_results_are_arrays_not_numpy_scalars() -> None:
    """Per-column fields of a 1-d solve are 0-d arrays, with or without unroll, and so
    is lambda_max (NumPy reduces 1-d data to NumPy scalars)."""
    A, b = np.eye(3), np.asarray([2.0, -1.0, 0.5])
    for result in (fista(A, b, 0.5), fista(A, b, 0.5, unroll=True, lipschitz=1.0)):
        for field in ("gap", "objective", "converged", "n_iter"):
            value = getattr(result, field)
            assert type(value) is np.ndarray, field
            assert value.shape == ()
    peak = lambda_max(A, b)
    assert type(peak) is np.ndarray
    assert float(peak) == 2.0

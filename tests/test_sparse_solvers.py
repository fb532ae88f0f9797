"""Sparse design matrices in the solvers: scipy.sparse arrays and matrices and pydata
sparse arrays as A beside a dense NumPy b give the dense solve's answers, without
densifying A; every other mix raises.

References: the same solve with A.toarray() (float64 NumPy, tight tolerances), and
scikit-learn's Lasso on the same sparse matrix.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from arrayshrink import fista, ista, lambda_max, lasso_path

pytestmark = pytest.mark.backend("numpy")

needs_pydata_sparse = pytest.mark.skipif(
    importlib.util.find_spec("sparse") is None, reason="pydata sparse is not installed"
)

FORMATS = ["csr_array", "csc_array", "coo_array", "csr_matrix", "csc_matrix", "coo_matrix"]


def _problem(m: int, n: int, k: int | None = None, seed: int = 0) -> tuple[Any, np.ndarray]:
    """A sparse Gaussian A (5% dense) in CSR, and b = A x_true + noise."""
    rng = np.random.default_rng(seed)
    A = sp.random_array((m, n), density=0.05, rng=rng, format="csr")
    truth = np.zeros((n,) if k is None else (n, k))
    truth[rng.choice(n, max(1, n // 40), replace=False)] = 1.0
    return A, A @ truth + 0.01 * rng.standard_normal((m,) if k is None else (m, k))


def _as(fmt: str, A: Any) -> Any:
    return getattr(sp, fmt)(A)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("n", [150, 600], ids=["plain", "working-sets"])
def test_every_scipy_format_gives_the_dense_solution(fmt: str, n: int) -> None:
    A, b = _problem(120, n)
    lambd = 0.1 * float(lambda_max(A.toarray(), b))
    dense = fista(A.toarray(), b, lambd, tol=1e-12, max_iter=50_000)
    result = fista(_as(fmt, A), b, lambd, tol=1e-12, max_iter=50_000)
    assert type(result.x) is np.ndarray
    assert bool(result.converged)
    np.testing.assert_allclose(result.x, dense.x, atol=1e-8)
    np.testing.assert_allclose(result.objective, dense.objective, rtol=1e-10)


@pytest.mark.parametrize("n", [150, 600], ids=["plain", "working-sets"])
def test_a_batch_gives_the_dense_solutions(n: int) -> None:
    A, B = _problem(100, n, k=6, seed=1)
    lambd = 0.1 * float(np.max(lambda_max(A.toarray(), B)))
    dense = fista(A.toarray(), B, lambd, tol=1e-12, max_iter=50_000)
    result = fista(A, B, lambd, tol=1e-12, max_iter=50_000)
    assert bool(np.all(result.converged))
    np.testing.assert_allclose(result.x, dense.x, atol=1e-8)


def test_lambda_max_and_the_path() -> None:
    A, b = _problem(120, 500, seed=2)
    dense_A = A.toarray()
    np.testing.assert_allclose(lambda_max(A, b), np.max(np.abs(dense_A.T @ b)), rtol=1e-13)
    np.testing.assert_allclose(lambda_max(A, b, positive=True), np.max(dense_A.T @ b), rtol=1e-13)
    path = lasso_path(A, b, n_lambdas=8, tol=1e-10)
    reference = lasso_path(dense_A, b, n_lambdas=8, tol=1e-10)
    assert bool(np.all(path.converged))
    np.testing.assert_allclose(path.lambdas, reference.lambdas, rtol=1e-13)
    np.testing.assert_allclose(path.x, reference.x, atol=1e-6)


@pytest.mark.parametrize(
    "options",
    [{"positive": True}, {"l2": 0.5}, {"positive": True, "l2": 0.1}, {}],
    ids=["positive", "elastic-net", "both", "weighted"],
)
def test_the_l1_variants(options: dict[str, Any]) -> None:
    A, b = _problem(100, 450, seed=3)
    top = float(lambda_max(A.toarray(), b))
    lambd: Any = 0.1 * top
    if not options:  # per-coefficient weights
        lambd = 0.1 * top * np.random.default_rng(3).uniform(0.5, 2.0, size=450)
    dense = fista(A.toarray(), b, lambd, tol=1e-12, max_iter=50_000, **options)
    result = fista(A, b, lambd, tol=1e-12, max_iter=50_000, **options)
    assert bool(result.converged)
    np.testing.assert_allclose(result.x, dense.x, atol=1e-8)


def test_ista_groups_and_multitask() -> None:
    A, B = _problem(80, 60, k=3, seed=4)
    lambd = 0.2 * float(np.max(lambda_max(A.toarray(), B)))
    for run in (
        lambda M: ista(M, B[:, 0], lambd, tol=1e-10, max_iter=100_000),
        lambda M: fista(M, B[:, 0], lambd, groups=np.arange(60) // 3, tol=1e-10),
        lambda M: fista(M, B, lambd, multitask=True, tol=1e-10),
    ):
        result, dense = run(A), run(A.toarray())
        assert bool(np.all(result.converged))
        np.testing.assert_allclose(result.x, dense.x, atol=1e-7)


def test_float32_and_complex() -> None:
    A, b = _problem(100, 200, seed=5)
    lambd = 0.1 * float(lambda_max(A.toarray(), b))
    single = fista(A.astype(np.float32), b.astype(np.float32), lambd)
    assert single.x.dtype == np.float32
    assert bool(single.converged)
    # A float32 A beside a float64 b: both promoted, as NumPy promotes them.
    assert fista(A.astype(np.float32), b, lambd).x.dtype == np.float64
    rng = np.random.default_rng(5)
    Z = A + 1j * sp.random_array(A.shape, density=0.05, rng=rng, format="csr")
    z = b + 1j * rng.standard_normal(b.shape)
    dense = fista(Z.toarray(), z, lambd, tol=1e-12, max_iter=50_000)
    result = fista(Z, z, lambd, tol=1e-12, max_iter=50_000)
    assert result.x.dtype == np.complex128
    np.testing.assert_allclose(result.x, dense.x, atol=1e-8)


def test_a_matrix_too_large_to_densify() -> None:
    """200,000 x 100,000 would take 160 GB dense: the solve runs on the stored values."""
    rng = np.random.default_rng(6)
    m, n = 200_000, 100_000
    A = sp.random_array((m, n), density=1e-5, rng=rng, format="csc")
    truth = np.zeros(n)
    truth[rng.choice(n, 50, replace=False)] = 1.0
    b = A @ truth + 0.001 * rng.standard_normal(m)
    result = fista(A, b, 0.1 * float(lambda_max(A, b)))
    assert bool(result.converged)
    assert np.count_nonzero(result.x) <= 200


def test_scikit_learn_on_the_same_sparse_matrix() -> None:
    from sklearn.linear_model import Lasso

    A, b = _problem(200, 800, seed=7)
    m = A.shape[0]
    lambd = 0.05 * float(lambda_max(A, b))
    theirs = Lasso(alpha=lambd / m, fit_intercept=False, tol=1e-12, max_iter=100_000)
    theirs.fit(A.tocsc(), b)
    ours = fista(A, b, lambd, tol=1e-12, max_iter=50_000)
    np.testing.assert_allclose(ours.x, theirs.coef_, atol=1e-7)


def _varied_norms_problem(seed: int) -> tuple[Any, np.ndarray, float]:
    """A 2000 x 6000 CSC design of Gaussian stored values at density 5e-3 (its column
    norms vary), b from 60 nonzero coefficients plus noise, lambd = 0.05 lambda_max."""
    rng = np.random.default_rng(seed)
    A = sp.random_array((2000, 6000), density=5e-3, rng=rng, format="csc")
    A.data = rng.standard_normal(A.data.size)
    truth = np.zeros(6000)
    truth[rng.choice(6000, 60, replace=False)] = rng.standard_normal(60)
    b = A @ truth + 0.01 * rng.standard_normal(2000)
    return A, b, 0.05 * float(lambda_max(A, b))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_first_working_set_holds_most_of_the_support(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gaussian stored values: the column norms vary. The first working set, ranked at
    x = 0 by how far each feature is from violating its constraint, lambd - |c_j|,
    holds well over half of the solution's support (a ranking by the scaled dual
    point's distance, (lambd - s |c_j|) / ||A_j|| with s = 0.05 here, ranks by the
    norms alone and holds under 45%); the solution is scikit-learn's."""
    from sklearn.linear_model import Lasso

    from arrayshrink._agnostic import _working_set

    A, b, lambd = _varied_norms_problem(seed)
    sets: list[np.ndarray] = []
    chosen = _working_set._chosen

    def recorded(*args: Any) -> Any:
        sets.append(chosen(*args))
        return sets[-1]

    monkeypatch.setattr(_working_set, "_chosen", recorded)
    x = fista(A, b, lambd, tol=1e-10).x
    theirs = Lasso(alpha=lambd / 2000, fit_intercept=False, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(x, theirs.fit(A, b).coef_, atol=1e-7)
    support = x != 0
    assert np.count_nonzero(sets[0] & support) >= 0.55 * np.count_nonzero(support)


def test_column_norms_are_taken_once_screening_is_tested(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The column norms (a pass over the stored values) serve the screening tests
    alone, which start once the relative gap is at most 1e-2: a cold solve whose
    rounds stop above it (gaps 0.9, 0.74, 0.021, then certified) takes none; a warm
    start near the optimum takes them once. Both give scikit-learn's solution."""
    from sklearn.linear_model import Lasso

    from arrayshrink import _sparse

    calls: list[int] = []
    norms = _sparse.SparseColumns.norms

    def counted(self: Any) -> Any:
        calls.append(1)
        return norms(self)

    monkeypatch.setattr(_sparse.SparseColumns, "norms", counted)
    A, b, lambd = _varied_norms_problem(0)
    theirs = Lasso(alpha=lambd / 2000, fit_intercept=False, tol=1e-12, max_iter=100_000)
    reference = theirs.fit(A, b).coef_
    cold = fista(A, b, lambd)
    assert bool(cold.converged)
    assert calls == []
    np.testing.assert_allclose(cold.x, reference, atol=1e-5)
    warm = fista(A, b, lambd, x0=cold.x * 1.001, tol=1e-12)
    assert bool(warm.converged)
    assert calls == [1]
    np.testing.assert_allclose(warm.x, reference, atol=1e-8)


def test_the_input_is_not_modified() -> None:
    A, b = _problem(80, 500, seed=8)
    data, indices, b_copy = A.data.copy(), A.indices.copy(), b.copy()
    fista(A, b, 0.1 * float(lambda_max(A, b)))
    np.testing.assert_array_equal(A.data, data)
    np.testing.assert_array_equal(A.indices, indices)
    np.testing.assert_array_equal(b, b_copy)


@needs_pydata_sparse
@pytest.mark.parametrize("fmt", ["COO", "GCXS"])
def test_pydata_sparse_gives_the_dense_solution(fmt: str) -> None:
    import sparse

    A, b = _problem(120, 600, seed=9)
    pydata = getattr(sparse, fmt).from_scipy_sparse(A)
    lambd = 0.1 * float(lambda_max(A.toarray(), b))
    dense = fista(A.toarray(), b, lambd, tol=1e-12, max_iter=50_000)
    result = fista(pydata, b, lambd, tol=1e-12, max_iter=50_000)
    assert type(result.x) is np.ndarray
    np.testing.assert_allclose(result.x, dense.x, atol=1e-8)
    np.testing.assert_allclose(lambda_max(pydata, b), lambda_max(A, b), rtol=1e-14)


# --- errors ------------------------------------------------------------------------


def test_integer_sparse_a_says_astype_float() -> None:
    A = sp.csr_array(np.eye(4, dtype=np.int64))
    message = r"fista\(\): A must have a floating dtype.*astype\(float\)"
    with pytest.raises(TypeError, match=message):
        fista(A, np.ones(4), 0.1)


def test_non_finite_stored_values_raise() -> None:
    A = sp.csr_array(np.eye(4))
    A.data[1] = np.nan
    with pytest.raises(ValueError, match=r"A must be finite.*1 NaN or infinite value\b"):
        fista(A, np.ones(4), 0.1)


def test_shapes_that_do_not_fit_raise() -> None:
    with pytest.raises(ValueError, match=r"A \(scipy.sparse csr_array\) of shape \(4, 3\)"):
        fista(sp.csr_array(np.ones((4, 3))), np.ones(5), 0.1)


def test_sparse_a_beside_another_library_raises() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"needs b as a dense NumPy array; got b from torch"):
        fista(sp.csr_array(np.eye(3)), torch.ones(3, dtype=torch.float64), 0.1)


def test_a_sparse_b_or_x0_raises() -> None:
    dense_message = r"b must be a dense array; got a scipy.sparse csr_array.*b.toarray\(\)"
    with pytest.raises(TypeError, match=dense_message):
        fista(np.eye(3), sp.csr_array(np.ones((3, 1))), 0.1)
    with pytest.raises(TypeError, match=r"x0 must be a dense array"):
        fista(sp.csr_array(np.eye(3)), np.ones(3), 0.1, x0=sp.csr_array(np.ones((3, 1))))


def test_the_error_for_other_objects_names_sparse_matrices() -> None:
    with pytest.raises(TypeError, match=r"a 2-d array, a scipy.sparse or pydata sparse matrix"):
        fista(object(), np.ones(3), 0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_sparse_columns_norms_gram_and_entries(dtype: Any) -> None:
    """The column norms (from the squares of the stored values, an empty column 0), the
    Gram matrix of some columns and the count of stored entries, as the dense ones."""
    import array_api_compat.numpy as np_xp

    from arrayshrink import _sparse

    rng = np.random.default_rng(0)
    D = sp.random_array((40, 30), density=0.2, rng=rng).toarray()
    if np.dtype(dtype).kind == "c":
        D = D + 1j * (D != 0) * rng.standard_normal(D.shape)
    D = D.astype(dtype)
    D[:, 3] = 0
    columns = _sparse.SparseColumns(sp.csc_array(D), np_xp)
    norms = columns.norms()
    assert norms.dtype == np.abs(D).dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(norms, np.linalg.norm(D, axis=0), rtol=rtol)
    assert norms[3] == 0
    assert columns.entries() == np.count_nonzero(D)
    index = np.array([0, 3, 5, 7])
    gram = columns.restrict(index, False).columns.gram()
    np.testing.assert_allclose(gram, D[:, index].conj().T @ D[:, index], rtol=rtol, atol=1e-12)


def test_sparse_gram_solves_by_cholesky_and_raises_where_singular() -> None:
    import array_api_compat.numpy as np_xp

    from arrayshrink import _sparse

    columns = _sparse.SparseColumns(sp.csc_array(np.eye(3)), np_xp)
    rng = np.random.default_rng(1)
    M = rng.standard_normal((6, 4))
    gram, rhs = M.T @ M, rng.standard_normal(4)
    every = np.arange(4)
    solve = columns.gram_solver(gram)
    np.testing.assert_allclose(solve(every, rhs), np.linalg.solve(gram, rhs))
    with pytest.raises(np.linalg.LinAlgError, match=r"[Ss]ingular"):  # for LU too
        columns.gram_solver(np.ones((3, 3)))(np.arange(3), np.ones(3))


@pytest.mark.parametrize("left_out", [0, 1, 2, 3, 9])
def test_sparse_gram_sub_blocks_equal_their_own_solve(left_out: int) -> None:
    """A block that leaves out a few rows is solved with the factorization of the whole
    Gram matrix (a bordered system), one that leaves out many by its own: both equal
    NumPy's solve of the block, solve after solve on one solver (float64 rounding)."""
    import array_api_compat.numpy as np_xp

    from arrayshrink import _sparse

    columns = _sparse.SparseColumns(sp.csc_array(np.eye(3)), np_xp)
    rng = np.random.default_rng(left_out)
    M = rng.standard_normal((40, 24))
    M[:, 5] += 0.9 * M[:, 6]  # correlated columns: a less tame G
    gram, rhs = M.T @ M, rng.standard_normal(24)
    solve = columns.gram_solver(gram)
    for seed in range(3):
        out = np.random.default_rng(seed).choice(24, left_out, replace=False)
        keep = np.setdiff1d(np.arange(24), out)
        expected = np.linalg.solve(gram[np.ix_(keep, keep)], rhs[keep])
        np.testing.assert_allclose(solve(keep, rhs), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("left_out", [1, 2, 3])
def test_float32_gram_sub_blocks_take_the_bordered_solve(
    left_out: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In float32 the bordered solve's residual is judged at float32's rounding: the
    whole matrix is factored once (no block factored anew), and each block's solution
    is float64 NumPy's within float32 accuracy."""
    import array_api_compat.numpy as np_xp
    import scipy.linalg

    from arrayshrink import _sparse

    columns = _sparse.SparseColumns(sp.csc_array(np.eye(3)), np_xp)
    rng = np.random.default_rng(left_out)
    M = rng.standard_normal((40, 24))
    gram, rhs = (M.T @ M).astype(np.float32), rng.standard_normal(24).astype(np.float32)
    solve = columns.gram_solver(gram)
    factored: list[int] = []
    cho_factor = scipy.linalg.cho_factor

    def counted(*args: Any, **kwargs: Any) -> Any:
        factored.append(1)
        return cho_factor(*args, **kwargs)

    monkeypatch.setattr(scipy.linalg, "cho_factor", counted)
    for seed in range(3):
        out = np.random.default_rng(seed).choice(24, left_out, replace=False)
        keep = np.setdiff1d(np.arange(24), out)
        block = gram[np.ix_(keep, keep)].astype(np.float64)
        expected = np.linalg.solve(block, rhs[keep].astype(np.float64))
        np.testing.assert_allclose(solve(keep, rhs), expected, rtol=1e-4, atol=1e-6)
    assert factored == [1]


def test_sparse_gram_of_duplicated_columns_solves_a_regular_block() -> None:
    """G singular (two equal columns) cannot be factored; a block without one of them
    is regular and is solved by its own factorization, and the singular block raises."""
    import array_api_compat.numpy as np_xp

    from arrayshrink import _sparse

    columns = _sparse.SparseColumns(sp.csc_array(np.eye(3)), np_xp)
    rng = np.random.default_rng(3)
    M = rng.standard_normal((30, 16))
    M[:, 7] = M[:, 2]
    gram, rhs = M.T @ M, rng.standard_normal(16)
    solve = columns.gram_solver(gram)
    keep = np.setdiff1d(np.arange(16), [7])
    expected = np.linalg.solve(gram[np.ix_(keep, keep)], rhs[keep])
    np.testing.assert_allclose(solve(keep, rhs), expected, rtol=1e-10)
    with pytest.raises(np.linalg.LinAlgError):
        solve(np.arange(16), rhs)


def test_sparse_gram_ill_conditioned_through_a_left_out_row() -> None:
    """G nearly singular through a column that the block leaves out (a factorization of
    G succeeds but is inaccurate there): the bordered solve's residual says so and the
    block, well conditioned, is factored on its own: NumPy's solve of the block."""
    import array_api_compat.numpy as np_xp

    from arrayshrink import _sparse

    columns = _sparse.SparseColumns(sp.csc_array(np.eye(3)), np_xp)
    rng = np.random.default_rng(4)
    M = rng.standard_normal((30, 16))
    M[:, 7] = M[:, 2] + 1e-9 * rng.standard_normal(30)
    gram, rhs = M.T @ M, rng.standard_normal(16)
    keep = np.setdiff1d(np.arange(16), [7])
    expected = np.linalg.solve(gram[np.ix_(keep, keep)], rhs[keep])
    np.testing.assert_allclose(
        columns.gram_solver(gram)(keep, rhs), expected, rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("cls", [sp.csc_array, sp.csc_matrix])
def test_a_canonical_csc_is_used_as_it_is(cls: Any) -> None:
    """SciPy keeps on A whether it is canonical: a canonical CSC A is neither checked
    again (O(nnz) per solve) nor copied."""
    from arrayshrink import _sparse

    A = cls(sp.random_array((50, 80), density=0.1, format="csc", rng=0))
    assert A.has_canonical_format
    csc = _sparse._as_csc("fista", A)
    assert csc.has_canonical_format
    assert np.shares_memory(csc.data, A.data)
    assert np.shares_memory(csc.indices, A.indices)


@pytest.mark.parametrize("shape", [(8,), (8, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_product_of_a_zero_x_equals_the_matrix_product(shape: tuple, dtype: Any) -> None:
    """A x for x = 0 (a cold start) is zeros without a product: A @ x's shape and dtype."""
    import array_api_compat.numpy as np_xp

    from arrayshrink import _sparse

    A = sp.random_array((5, 8), density=0.5, format="csc", rng=0).astype(np.float32)
    x = np.zeros(shape, dtype=dtype)
    got = _sparse.SparseColumns(A, np_xp)._forward(x)
    expected = A @ x
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)

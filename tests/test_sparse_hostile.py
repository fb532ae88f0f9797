"""Hostile review of sparse support (shrink family and solvers) and of ndonnx.

References: dense float64 NumPy (arrayshrink's dense results, checked elsewhere against
torch and PyWavelets) and the formulas. Each xfail(strict=True) is a bug found here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import arrayshrink

pytestmark = pytest.mark.backend("numpy")

FORMATS = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]
RULES = {
    "softshrink": lambda x: arrayshrink.softshrink(x, 0.5),
    "hardshrink": lambda x: arrayshrink.hardshrink(x, 0.5),
    "tanhshrink": arrayshrink.Tanhshrink(),
    "garrote": arrayshrink.Threshold(0.5, "garrote"),
    "hard threshold": lambda x: arrayshrink.threshold(x, 0.5, "hard"),
    "less": lambda x: arrayshrink.threshold(x, 0.5, "less", substitute=2.0),
    "firm": arrayshrink.ThresholdFirm(0.5, 1.0),
    "asymmetric": arrayshrink.AsymmetricSoftshrink(-0.5, 1.0),
}


def _dense(shape: tuple[int, ...] = (6, 7), seed: int = 1) -> np.ndarray:
    """Stored NaN, ±inf, -0.0, ties at ±0.5, huge and tiny values."""
    special = [np.nan, np.inf, -np.inf, -0.0, 0.5, -0.5, 1e300, 1e-300, 2.0, -3.0, 0.75]
    rng = np.random.default_rng(seed)
    D = np.zeros(shape)
    idx = rng.choice(D.size, D.size // 2, replace=False)
    D.flat[idx] = rng.choice(special, idx.size)
    return D


def _todense(x: Any) -> np.ndarray:
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x.todense())


def _problem(m: int = 30, n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((m, n)) * (rng.random((m, n)) < 0.2)
    D[:, 3] = 0.0  # an empty column
    D[5, :] = 0.0  # an empty row
    return D, rng.standard_normal(m)


# --- the shrink family -------------------------------------------------------------


@pytest.mark.parametrize("cls", [sp.csr_array, sp.csr_matrix])
@pytest.mark.parametrize("fmt", FORMATS)
def test_scipy_rules_equal_dense_in_class_and_format(cls: Any, fmt: str) -> None:
    D = _dense()
    x = cls(D).asformat(fmt)
    before = _todense(x)
    for name, rule in RULES.items():
        out = rule(x)
        assert type(out) is type(x), name
        assert out.format == fmt, name
        assert out.dtype == x.dtype, name
        np.testing.assert_array_equal(_todense(out), rule(D), err_msg=name)
        if fmt in ("csr", "csc", "coo"):
            assert not np.any(out.data == 0), name  # no explicit zeros
    np.testing.assert_array_equal(_todense(x), before)


def test_pydata_rules_equal_dense_1d_3d_gcxs_and_nan_fill() -> None:
    sparse = pytest.importorskip("sparse")
    D3 = _dense((2, 3, 4))
    cases = [sparse.COO.from_numpy(D3), sparse.GCXS.from_numpy(D3, compressed_axes=[2])]
    cases += [sparse.COO.from_numpy(D3[0, 0]), sparse.COO.from_numpy(D3, fill_value=np.nan)]
    for x in cases:
        for name, rule in RULES.items():
            out = rule(x)
            assert type(out) is type(x), name
            assert np.array_equal(out.fill_value, x.fill_value, equal_nan=True), name
            np.testing.assert_array_equal(out.todense(), rule(x.todense()), err_msg=name)
            assert not np.any(out.data == out.fill_value), name


def test_scipy_group_softshrink_equals_dense_except_documented_nan() -> None:
    D = _dense()
    D[D == 1e300] = 7.0  # inf beside a huge value: its own test below
    for axis in (0, 1, -1, -2):
        out = _todense(arrayshrink.GroupSoftshrink(0.5, axis=axis)(sp.csc_matrix(D)))
        ref = arrayshrink.group_softshrink(D, 0.5, axis=axis)
        unstored_nan = np.isnan(ref) & (D == 0)  # docs/sparse.md: these stay 0
        np.testing.assert_array_equal(out[unstored_nan], 0.0)
        np.testing.assert_allclose(out[~unstored_nan], ref[~unstored_nan], rtol=1e-14)


@pytest.mark.parametrize("case", ["scipy 2-d axis (0, 1)", "scipy 1-d", "pydata 1-d"])
def test_group_softshrink_over_every_axis(case: str) -> None:
    D = np.asarray([[0.0, 0.3, -2.0], [1.5, 0.0, 0.5]])
    if case == "pydata 1-d":
        D = D[0]
        x = pytest.importorskip("sparse").COO.from_numpy(D)
    else:
        x = sp.coo_array(D[0] if case == "scipy 1-d" else D)
        D = _todense(x)
    axis = (0, 1) if D.ndim == 2 else 0
    out = arrayshrink.group_softshrink(x, 0.5, axis=axis)
    norm = np.linalg.norm(D)
    np.testing.assert_allclose(_todense(out), D * (1 - 0.5 / norm), rtol=1e-15)


def test_group_softshrink_of_single_element_groups_is_softshrink() -> None:
    x = np.asarray([[0.3 + 1e-12, 0.3 * (1 + 2**-40), 1.0, -2.0]])
    expected = np.sign(x) * (np.abs(x) - 0.3)  # exact (Sterbenz) near 0.3
    np.testing.assert_array_equal(arrayshrink.group_softshrink(x, 0.3, axis=0), expected)
    out = arrayshrink.group_softshrink(sp.csr_array(x), 0.3, axis=0)
    np.testing.assert_allclose(_todense(out), expected, rtol=4e-16)


def test_group_with_inf_beside_a_huge_value() -> None:
    out = arrayshrink.group_softshrink(sp.csr_array(np.asarray([[np.inf, 1e300]])), 0.5)
    np.testing.assert_array_equal(_todense(out), [[np.inf, 1e300]])


def test_float16_pydata_softshrink_rounds_once_like_dense() -> None:
    sparse = pytest.importorskip("sparse")
    x = np.arange(2**16, dtype=np.uint16).view(np.float16)
    x = x[np.isfinite(x)]
    x32, lam = x.astype(np.float32), np.float32(0.3)
    expected = (x32 - np.clip(x32, -lam, lam)).astype(np.float16)  # torch's rule
    np.testing.assert_array_equal(arrayshrink.softshrink(x, 0.3), expected)
    out = arrayshrink.softshrink(sparse.COO.from_numpy(x), 0.3).todense()
    np.testing.assert_array_equal(out, expected)


def test_threshold_errors_with_sparse_x() -> None:
    x = sp.csr_array(np.asarray([[0.0, 0.3, -2.0]]))
    with pytest.raises(TypeError, match=r"toarray"):
        arrayshrink.softshrink(x, np.asarray([0.5, 0.5, 0.5]))
    with pytest.raises(TypeError, match=r"toarray"):
        arrayshrink.threshold(x, 0.5, "soft", substitute=1.0)
    with pytest.raises(TypeError, match=r"toarray"):
        arrayshrink.asymmetric_softshrink(x, 0.1, 1.0)
    for bad in (-0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="lambd"):
            arrayshrink.hardshrink(x, bad)
    out = arrayshrink.softshrink(x, np.float64(0.5))  # a NumPy number is a number
    np.testing.assert_array_equal(_todense(out), [[0.0, 0.0, -1.5]])
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"to_dense\(\)"):
        arrayshrink.Softshrink(0.5)(torch.tensor([[0.0, 1.0]]).to_sparse())


def test_xp_of_another_library_with_sparse_x_raises() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="xp"):
        arrayshrink.softshrink(sp.csr_array(np.eye(2)), 0.5, xp=torch)


class _MyCSR(sp.csr_array):
    """A user's subclass of a SciPy sparse array."""


def test_scipy_sparse_subclass_is_sparse() -> None:
    D, b = _problem()
    out = arrayshrink.softshrink(_MyCSR(D), 0.5)
    assert sp.issparse(out)
    np.testing.assert_array_equal(_todense(out), arrayshrink.softshrink(D, 0.5))
    result = arrayshrink.fista(_MyCSR(D), b, 0.3, tol=1e-10)
    np.testing.assert_allclose(result.x, arrayshrink.fista(D, b, 0.3, tol=1e-10).x, atol=1e-7)


def test_pydata_dok_keeps_its_class_and_solves() -> None:
    sparse = pytest.importorskip("sparse")
    D, b = _problem()
    x = sparse.DOK.from_numpy(D)
    assert type(arrayshrink.softshrink(x, 0.5)) is sparse.DOK
    out = arrayshrink.group_softshrink(x, 0.5)
    np.testing.assert_allclose(out.todense(), arrayshrink.group_softshrink(D, 0.5), rtol=1e-14)
    result = arrayshrink.fista(x, b, 0.3, tol=1e-10)
    np.testing.assert_allclose(result.x, arrayshrink.fista(D, b, 0.3, tol=1e-10).x, atol=1e-7)


# --- the solvers ---------------------------------------------------------------------


OPTIONS: list[dict[str, Any]] = [
    {},
    {"positive": True},
    {"l2": 0.3},
    {"groups": np.arange(50) // 5},
    {"check_every": 1, "history": True},
    {"prox": lambda v, t: np.clip(v, 0.0, 1.0)},
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_and_option_gives_the_dense_solution(fmt: str) -> None:
    D, b = _problem()
    B = np.stack([b, b[::-1]], axis=1)
    A = sp.csr_matrix(D).asformat(fmt)
    snapshot, b_before = _todense(A), b.copy()
    for options in OPTIONS:
        got = arrayshrink.fista(A, b, 0.2, tol=1e-10, **options)
        ref = arrayshrink.fista(D, b, 0.2, tol=1e-10, **options)
        assert isinstance(got.x, np.ndarray)
        assert bool(np.all(got.converged))
        np.testing.assert_allclose(got.x, ref.x, atol=1e-6, err_msg=str(options))
    got = arrayshrink.fista(A, B, 0.2, multitask=True, tol=1e-10)
    ref = arrayshrink.fista(D, B, 0.2, multitask=True, tol=1e-10)
    np.testing.assert_allclose(got.x, ref.x, atol=1e-6)
    for kw in ({}, {"positive": True}, {"groups": np.arange(50) // 5}):
        np.testing.assert_allclose(
            arrayshrink.lambda_max(A, b, **kw), arrayshrink.lambda_max(D, b, **kw)
        )
    np.testing.assert_array_equal(_todense(A), snapshot)
    np.testing.assert_array_equal(b, b_before)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_duplicate_entries_in_compressed_a_give_the_dense_solution(fmt: str) -> None:
    rng = np.random.default_rng(0)
    m, n, k = 60, 400, 50  # n >= 400: working sets and gap-safe screening
    S = sp.random_array((m, n), density=0.05, format="coo", rng=rng)
    D = S.toarray()
    x_true = np.zeros(n)
    x_true[rng.choice(n, 20, replace=False)] = 3 * rng.standard_normal(20)
    b = D @ x_true + 0.01 * rng.standard_normal(m)
    # Each stored value as k duplicates of value/k: the same matrix, not canonical.
    data, row, col = np.repeat(S.data / k, k), np.repeat(S.row, k), np.repeat(S.col, k)
    major, minor, size = (col, row, n) if fmt == "csc" else (row, col, m)
    order = np.lexsort((minor, major))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(major, minlength=size))])
    cls = sp.csc_array if fmt == "csc" else sp.csr_array
    A = cls((data[order], minor[order], indptr), shape=(m, n))
    assert not A.has_canonical_format
    np.testing.assert_allclose(A.toarray(), D, atol=1e-14)
    lambd = 0.3 * float(arrayshrink.lambda_max(D, b))
    got = arrayshrink.fista(A, b, lambd, tol=1e-8)
    np.testing.assert_allclose(got.x, arrayshrink.fista(D, b, lambd, tol=1e-8).x, atol=1e-6)


def test_errors_of_the_solvers() -> None:
    D, b = _problem()
    A = sp.csr_array(D)
    bad = sp.csr_array(D)
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="A must be finite"):
        arrayshrink.fista(bad, b, 0.1)
    for dtype in (int, bool):
        with pytest.raises(TypeError, match=r"astype\(float\)"):
            arrayshrink.lambda_max(sp.csr_array(D.astype(dtype)), b)
    with pytest.raises(ValueError, match="at least one column"):
        arrayshrink.fista(sp.csr_array((30, 0)), b, 0.1)
    with pytest.raises(TypeError, match="toarray"):
        arrayshrink.fista(A, b, 0.1, x0=sp.coo_array(np.ones(50)))
    for module, make in (
        ("torch", "tensor"),
        ("jax.numpy", "asarray"),
        ("dask.array", "from_array"),
    ):
        lib = pytest.importorskip(module)
        with pytest.raises(TypeError, match="got b from"):
            arrayshrink.fista(A, getattr(lib, make)(b), 0.1)


@pytest.mark.parametrize("library", ["scipy", "pydata"])
def test_one_dimensional_sparse_a_raises_value_error(library: str) -> None:
    v = np.ones(4)
    A = sp.coo_array(v) if library == "scipy" else pytest.importorskip("sparse").COO.from_numpy(v)
    with pytest.raises(ValueError, match="2-d"):
        arrayshrink.fista(A, v, 0.1)


def test_float16_pydata_a_solves_like_dense() -> None:
    sparse = pytest.importorskip("sparse")
    D, b = _problem()
    D16 = D.astype(np.float16)
    got = arrayshrink.fista(sparse.COO.from_numpy(D16), b, 0.2, tol=1e-10)
    np.testing.assert_allclose(got.x, arrayshrink.fista(D16, b, 0.2, tol=1e-10).x, atol=1e-7)


def test_pydata_a_with_nonzero_fill_value_raises_a_clear_error() -> None:
    sparse = pytest.importorskip("sparse")
    with pytest.raises((TypeError, ValueError), match=r"fista\(\).*fill"):
        arrayshrink.fista(sparse.COO.from_numpy(np.eye(4, 3), fill_value=1.0), np.ones(4), 0.1)


def test_sparse_weights_error_names_weights() -> None:
    with pytest.raises(TypeError, match="weights"):
        arrayshrink.lambda_max(np.eye(4, 3), np.ones(4), weights=sp.coo_array(np.ones(3)))


def _zero_weights() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    D, b = _problem()
    w = np.linspace(0.5, 1.5, 50)
    w[:3] = 0.0
    return D, b, w


def test_zero_weights_with_given_lambdas_on_sparse_a() -> None:
    D, b, w = _zero_weights()
    got = arrayshrink.lasso_path(sp.csc_array(D), b, [2.0, 0.5], weights=w, tol=1e-10)
    ref = arrayshrink.lasso_path(D, b, [2.0, 0.5], weights=w, tol=1e-10)
    np.testing.assert_allclose(got.x, ref.x, atol=1e-6)


def test_lambda_max_with_zero_weights_on_sparse_a() -> None:
    D, b, w = _zero_weights()
    got = arrayshrink.lambda_max(sp.csc_array(D), b, weights=w)
    np.testing.assert_allclose(got, arrayshrink.lambda_max(D, b, weights=w), rtol=1e-10)


def test_lasso_path_with_zero_weights_on_sparse_a() -> None:
    D, b, w = _zero_weights()
    got = arrayshrink.lasso_path(sp.csc_array(D), b, n_lambdas=4, eps=0.1, weights=w)
    ref = arrayshrink.lasso_path(D, b, n_lambdas=4, eps=0.1, weights=w)
    np.testing.assert_allclose(got.lambdas, ref.lambdas, rtol=1e-10)


# --- ndonnx ------------------------------------------------------------------------------


def test_ndonnx_symbolic_models_equal_numpy_with_known_shape() -> None:
    ndx = pytest.importorskip("ndonnx")
    ort = pytest.importorskip("onnxruntime")
    x = _dense((3, 4))
    x[x == 1e300] = 5.0
    x[x == 1e-300] = 0.25
    rules = {**RULES, "group": lambda v: arrayshrink.group_softshrink(v, 0.5, axis=0)}
    for name, rule in rules.items():
        arg = ndx.argument(shape=(3, 4), dtype=ndx.float64)
        model = ndx.build({"x": arg}, {"y": rule(arg)})
        out = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
        np.testing.assert_allclose(out, rule(x), rtol=1e-14, atol=1e-15, err_msg=name)
        eager = np.asarray(rule(ndx.asarray(x)).unwrap_numpy())
        np.testing.assert_allclose(eager, rule(x), rtol=1e-14, atol=1e-15, err_msg=name)


def test_ndonnx_symbolic_group_softshrink_with_unknown_size() -> None:
    ndx = pytest.importorskip("ndonnx")
    ort = pytest.importorskip("onnxruntime")
    arg = ndx.argument(shape=("N",), dtype=ndx.float64)
    model = ndx.build({"x": arg}, {"y": arrayshrink.group_softshrink(arg, 1.0)})
    out = ort.InferenceSession(model.SerializeToString()).run(None, {"x": np.asarray([3.0, 4.0])})
    np.testing.assert_allclose(out[0], [2.4, 3.2], rtol=1e-15)


@pytest.mark.xfail(strict=True, reason="eager ndonnx: invalid array lambd gives NaN, no ValueError")
def test_ndonnx_eager_invalid_array_lambd_raises() -> None:
    ndx = pytest.importorskip("ndonnx")
    x = ndx.asarray(np.asarray([1.0, 2.0], dtype=np.float32))
    with pytest.raises(ValueError, match="lambd"):
        arrayshrink.softshrink(x, ndx.asarray(np.asarray([-0.5, 0.2], dtype=np.float32)))


def test_ndonnx_float16_softshrink_rounds_once_like_numpy() -> None:
    ndx = pytest.importorskip("ndonnx")
    x = np.arange(2**16, dtype=np.uint16).view(np.float16)
    x = x[np.isfinite(x)]
    out = np.asarray(arrayshrink.softshrink(ndx.asarray(x), 0.3).unwrap_numpy())
    np.testing.assert_array_equal(out, arrayshrink.softshrink(x, 0.3))


@pytest.mark.xfail(strict=True, reason="eager ndonnx fista: error about torch meta tensors")
def test_ndonnx_eager_fista_solves_like_numpy() -> None:
    ndx = pytest.importorskip("ndonnx")
    A, b = np.eye(3), np.asarray([1.0, 2.0, 0.1])
    result = arrayshrink.fista(ndx.asarray(A), ndx.asarray(b), 0.5)
    np.testing.assert_allclose(np.asarray(result.x.unwrap_numpy()), [0.5, 1.5, 0.0], atol=1e-6)

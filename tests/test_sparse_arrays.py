"""Sparse arrays through the shrink family: scipy.sparse and pydata sparse arrays in,
sparse arrays of the same library and format out, computed on the stored values.

References: the formulas in float64 NumPy on the dense array (softshrink, hardshrink,
tanhshrink), and arrayshrink's dense results, which the rest of the suite checks
against torch and PyWavelets (the other rules).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import arrayshrink

pytestmark = pytest.mark.backend("numpy")

HAS_PYDATA = importlib.util.find_spec("sparse") is not None
needs_pydata = pytest.mark.skipif(not HAS_PYDATA, reason="pydata sparse is not installed")


def _dense() -> np.ndarray:
    """40% stored entries, with NaN, ±inf, ties at ±0.5 and a tiny value."""
    rng = np.random.default_rng(0)
    D = rng.standard_normal((12, 10)) * (rng.random((12, 10)) < 0.4)
    D[0, :4] = [np.nan, np.inf, -np.inf, 0.5]
    D[1, :3] = [-0.5, 1e-300, 3.0]
    return D


def _scipy(fmt: str) -> Callable[[np.ndarray], Any]:
    return lambda D: getattr(sp, fmt)(D)


def _pydata(fmt: str) -> Callable[[np.ndarray], Any]:
    def make(D: np.ndarray) -> Any:
        import sparse

        coo = sparse.COO.from_numpy(D)
        return coo if fmt == "COO" else sparse.GCXS.from_coo(coo, compressed_axes=[0])

    return make


MAKERS = [
    pytest.param(_scipy(fmt), id=fmt)
    for fmt in ("csr_array", "csc_array", "coo_array", "csr_matrix", "csc_matrix", "coo_matrix")
] + [pytest.param(_pydata(fmt), id=fmt, marks=needs_pydata) for fmt in ("COO", "GCXS")]


def _todense(a: Any) -> np.ndarray:
    return np.asarray(a.toarray() if hasattr(a, "toarray") else a.todense())


def _stored(a: Any) -> int:
    return int(a.nnz)


def _same_format(out: Any, x: Any) -> None:
    assert type(out) is type(x)
    if hasattr(x, "format"):
        assert out.format == x.format


FORMULAS: dict[str, tuple[Callable[[Any], Any], Callable[[np.ndarray], np.ndarray]]] = {
    "softshrink": (
        lambda x: arrayshrink.softshrink(x, 0.5),
        lambda D: np.where(np.isnan(D), np.nan, D - np.clip(D, -0.5, 0.5)),
    ),
    "hardshrink": (
        lambda x: arrayshrink.hardshrink(x, 0.5),
        lambda D: np.where(np.isnan(D) | (np.abs(D) > 0.5), D, 0.0),
    ),
    "tanhshrink": (
        arrayshrink.tanhshrink,
        lambda D: np.where(np.isinf(D), D, D - np.tanh(D)),
    ),
}


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("name", list(FORMULAS))
def test_torch_family_against_the_formulas(make: Callable[[np.ndarray], Any], name: str) -> None:
    D = _dense()
    x = make(D)
    rule, formula = FORMULAS[name]
    with np.errstate(invalid="ignore"):
        expected = formula(D)
    out = rule(x)
    _same_format(out, x)
    np.testing.assert_array_equal(_todense(out), expected)
    # Computed on the stored values only, and the zeros it creates are not stored.
    assert _stored(out) == np.count_nonzero(expected)


RULES: dict[str, Callable[[Any], Any]] = {
    "threshold soft": lambda x: arrayshrink.threshold(x, 0.5, "soft"),
    "threshold hard": lambda x: arrayshrink.threshold(x, 0.5, "hard"),
    "threshold garrote": lambda x: arrayshrink.threshold(x, 0.5, "garrote"),
    "threshold greater": lambda x: arrayshrink.threshold(x, 0.5, "greater"),
    "threshold less": lambda x: arrayshrink.threshold(x, -0.5, "less"),
    "threshold_firm": lambda x: arrayshrink.threshold_firm(x, 0.5, 1.5),
    "asymmetric_softshrink": lambda x: arrayshrink.asymmetric_softshrink(x, -0.3, 0.7),
    "Softshrink class": lambda x: arrayshrink.Softshrink(0.5)(x),
    "Threshold class": lambda x: arrayshrink.Threshold(0.5, "garrote")(x),
}


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("name", list(RULES))
def test_rules_equal_their_dense_results(make: Callable[[np.ndarray], Any], name: str) -> None:
    D = _dense()
    x = make(D)
    rule = RULES[name]
    out = rule(x)
    _same_format(out, x)
    expected = rule(D)
    np.testing.assert_array_equal(_todense(out), expected)
    assert _stored(out) == np.count_nonzero(expected)


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("axis", [0, 1])
def test_group_softshrink(make: Callable[[np.ndarray], Any], axis: int) -> None:
    rng = np.random.default_rng(1)
    D = rng.standard_normal((12, 10)) * (rng.random((12, 10)) < 0.4)
    D[:, 3] = 0.0  # an empty group along axis 0 (a column)
    x = make(D)
    out = arrayshrink.group_softshrink(x, 0.8, axis=axis)
    _same_format(out, x)
    # The group's norm, in float64 NumPy.
    norm = np.sqrt(np.sum(D * D, axis=axis, keepdims=True))
    expected = D * np.maximum(0.0, 1.0 - 0.8 / np.where(norm > 0, norm, 1.0))
    np.testing.assert_allclose(_todense(out), expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("make", MAKERS)
def test_group_softshrink_with_nan_and_huge_values(make: Callable[[np.ndarray], Any]) -> None:
    """Huge entries do not overflow their group's norm; a NaN makes its group's
    stored values NaN (its unstored entries stay 0: a sparse result cannot hold NaN
    there, where the dense result does)."""
    D = np.zeros((3, 4))
    D[0, :2] = [3e200, 4e200]
    D[1, 1] = np.nan
    D[1, 2] = 2.0
    D[2, 3] = 5.0
    out = _todense(arrayshrink.group_softshrink(make(D), 1.0, axis=1))
    np.testing.assert_allclose(out[0, :2], [3e200 - 0.6, 4e200 - 0.8], rtol=1e-14)
    assert np.isnan(out[1, 1])
    assert np.isnan(out[1, 2])
    assert out[1, 0] == 0.0
    np.testing.assert_array_equal(out[2], [0.0, 0.0, 0.0, 4.0])


@pytest.mark.parametrize("make", MAKERS)
def test_float32_and_complex(make: Callable[[np.ndarray], Any]) -> None:
    D = _dense()
    D[np.isnan(D) | np.isinf(D)] = 1.0
    single = arrayshrink.softshrink(make(D.astype(np.float32)), 0.5)
    assert single.dtype == np.float32
    np.testing.assert_array_equal(
        _todense(single), arrayshrink.softshrink(D.astype(np.float32), 0.5)
    )
    Z = D + 1j * np.where(D != 0, 1.0, 0.0)
    out = arrayshrink.softshrink(make(Z), 0.5)
    assert out.dtype == np.complex128
    np.testing.assert_allclose(_todense(out), arrayshrink.softshrink(Z, 0.5), rtol=1e-15)


@pytest.mark.parametrize("make", MAKERS)
def test_the_input_is_not_modified(make: Callable[[np.ndarray], Any]) -> None:
    D = _dense()
    x = make(D)
    arrayshrink.softshrink(x, 0.5)
    arrayshrink.group_softshrink(x, 0.5, axis=0)
    np.testing.assert_array_equal(_todense(x), D)


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (lambda x: arrayshrink.threshold(x, 0.5, "soft", substitute=1.0), "maps 0.0"),
        (lambda x: arrayshrink.asymmetric_softshrink(x, 0.1, 0.5), "maps 0.0"),
        (lambda x: arrayshrink.softshrink(x, np.full(10, 0.5)), "lambd must be a number"),
        (
            lambda x: arrayshrink.group_softshrink(x, np.full((12, 1), 0.5), axis=1),
            "lambd must be a number",
        ),
    ],
    ids=["substitute", "interval-without-0", "array-lambd", "array-group-lambd"],
)
def test_results_that_would_not_be_sparse_raise(
    make: Callable[[np.ndarray], Any], rule: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message) as info:
        rule(make(_dense()))
    assert "todense()" in str(info.value) or "toarray()" in str(info.value)


@pytest.mark.parametrize("make", MAKERS)
def test_invalid_thresholds_raise_as_for_dense_input(make: Callable[[np.ndarray], Any]) -> None:
    with pytest.raises(ValueError, match=r"softshrink\(\): lambd must be in the range"):
        arrayshrink.softshrink(make(_dense()), -1.0)
    with pytest.raises(ValueError, match=r"group_softshrink\(\): lambd"):
        arrayshrink.group_softshrink(make(_dense()), float("nan"), axis=0)


def test_integer_sparse_input_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"softshrink\(\).*dtype"):
        arrayshrink.softshrink(sp.csr_array(np.eye(3, dtype=np.int64)), 0.5)


def test_torch_sparse_tensors_stay_a_type_error() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"to_dense\(\)"):
        arrayshrink.softshrink(torch.eye(3).to_sparse(), 0.5)


def test_duplicate_coo_entries_are_summed_first() -> None:
    """A COO matrix may store one position twice; the rule applies to the sum."""
    x = sp.coo_array(([0.4, 0.4], ([0, 0], [1, 1])), shape=(2, 2))
    out = arrayshrink.softshrink(x, 0.5)
    np.testing.assert_allclose(out.toarray(), [[0.0, 0.3], [0.0, 0.0]], rtol=1e-15)

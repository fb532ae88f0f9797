"""Values of softshrink, hardshrink and tanhshrink on every backend.

References are independent of the code under test: the three-case definitions in
float64 NumPy (tests/_support.py), and mathematics for exactness claims.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import (
    SPECIAL,
    all_half_values,
    as_computed_by,
    from_numpy,
    half_dtypes,
    hard_reference,
    round_to,
    soft_reference,
    to_numpy,
)
from array_api_extra.testing import assert_close, assert_equal, lazy_xp_function

from arrayshrink import hardshrink, softshrink, tanhshrink

lazy_xp_function(softshrink)
lazy_xp_function(hardshrink)
lazy_xp_function(tanhshrink)

FLOATS = ["float32", "float64"]


def _values_equal(actual: Any, expected: np.ndarray) -> None:
    """Equal values (zero signs ignored, NaN equal to NaN), compared on the host."""
    np.testing.assert_array_equal(to_numpy(actual).astype(expected.dtype), expected)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lambd", [0.0, 0.5, 1.0, 0.3])
def test_softshrink_special_values(xp: ModuleType, device: Any, dtype: str, lambd: float) -> None:
    x_np = np.asarray(SPECIAL, dtype=dtype)
    x = from_numpy(xp, x_np, device)
    # lambd is rounded to the dtype of x first, as torch does.
    expected = soft_reference(x_np, float(np.asarray(lambd, dtype=dtype))).astype(dtype)
    assert_equal(softshrink(x, lambd), from_numpy(xp, expected, device))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lambd", [0.0, 0.5, 0.3])
def test_hardshrink_special_values(xp: ModuleType, device: Any, dtype: str, lambd: float) -> None:
    x_np = np.asarray(SPECIAL, dtype=dtype)
    expected = hard_reference(x_np, float(np.asarray(lambd, dtype=dtype))).astype(dtype)
    assert_equal(hardshrink(from_numpy(xp, x_np, device), lambd), from_numpy(xp, expected, device))


def test_boundaries_map_to_zero(xp: ModuleType) -> None:
    x = xp.asarray([-0.5, 0.5, -0.25, 0.25], dtype=xp.float64)
    assert_equal(softshrink(x, 0.5), xp.zeros(4, dtype=xp.float64))
    assert_equal(hardshrink(x, 0.5), xp.zeros(4, dtype=xp.float64))


@pytest.mark.parametrize("dtype", FLOATS)
def test_random_values_match_float64_reference(xp: ModuleType, dtype: str) -> None:
    rng = np.random.default_rng(1234)
    x_np = (rng.standard_normal(5000) * 3).astype(dtype)
    x = xp.asarray(x_np)
    lambd = 0.7
    lam = float(np.asarray(lambd, dtype=dtype))
    # One rounding of the exact difference: exactly what a correct x - lambd gives.
    assert_equal(softshrink(x, lambd), xp.asarray(soft_reference(x_np, lam).astype(dtype)))
    assert_equal(hardshrink(x, lambd), xp.asarray(hard_reference(x_np, lam).astype(dtype)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_tanhshrink_matches_float64_definition(xp: ModuleType, dtype: str) -> None:
    rng = np.random.default_rng(7)
    x_np = np.concatenate([rng.standard_normal(2000) * 4, [0.0, 20.0, -20.0]]).astype(dtype)
    expected = (x_np.astype(np.float64) - np.tanh(x_np.astype(np.float64))).astype(dtype)
    eps = float(np.finfo(dtype).eps)
    # x - tanh(x) cancels near 0: the error bound is a few ulp of x, not of the result.
    assert_close(tanhshrink(xp.asarray(x_np)), xp.asarray(expected), rtol=4 * eps, atol=4 * eps)


def test_tanhshrink_special_values(xp: ModuleType) -> None:
    x = xp.asarray([np.inf, -np.inf, np.nan, 0.0], dtype=xp.float64)
    expected = xp.asarray([np.inf, -np.inf, np.nan, 0.0], dtype=xp.float64)
    assert_equal(tanhshrink(x), expected)


# Some of the 65,536 bit patterns are signalling NaNs, which raise NumPy's invalid flag.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("lambd", [0.5, 0.3, 0.0, 1000.1])
def test_half_precision_exhaustive(xp: ModuleType, device: Any, lambd: float) -> None:
    """All 65,536 inputs of each 16-bit dtype, against one rounding of the exact result.

    As in torch, softshrink rounds the threshold to float32 (not to the 16-bit dtype),
    takes the difference in float32 and rounds the result once; hardshrink compares in
    the 16-bit dtype with the threshold rounded to it.
    """
    for name in half_dtypes(xp):
        x = all_half_values(xp, name, device)
        x_wide = to_numpy(x).astype(np.float64)
        soft = round_to(soft_reference(x_wide, float(np.float32(lambd))), name)
        # hardshrink compares in the 16-bit dtype itself, with lambd rounded to it.
        hard = round_to(hard_reference(x_wide, float(round_to(np.asarray(lambd), name))), name)
        # bfloat16 subnormals are float32 subnormals once widened, which XLA flushes.
        soft, hard = as_computed_by(xp, soft), as_computed_by(xp, hard)
        out = softshrink(x, lambd)
        assert out.dtype == x.dtype
        _values_equal(out, soft)
        _values_equal(hardshrink(x, lambd), hard)


@pytest.mark.skip_xp_backend("array_api_strict", reason="no float16 dtype")
def test_half_precision_differs_from_naive_formula(xp: ModuleType) -> None:
    """A plain float16 ``x - clip(x, -lambd, lambd)`` rounds lambd to float16 first."""
    x_np = np.arange(2**16, dtype=np.uint16).view(np.float16)
    x_np = x_np[np.isfinite(x_np)]
    naive = x_np - np.clip(x_np, -0.3, 0.3)
    correct = round_to(soft_reference(x_np, float(np.float32(0.3))), "float16")
    assert np.sum(naive.astype(np.float32) != correct) > 1000
    _values_equal(softshrink(xp.asarray(x_np), 0.3), correct)


def test_float32_threshold_stays_float32(xp: ModuleType) -> None:
    x = xp.asarray([1.0, -2.0], dtype=xp.float32)
    assert softshrink(x, 0.5).dtype == xp.float32
    assert hardshrink(x, 0.5).dtype == xp.float32
    assert tanhshrink(x).dtype == xp.float32


def test_integer_and_fraction_thresholds(xp: ModuleType) -> None:
    from fractions import Fraction

    x = xp.asarray([3.0, -0.25], dtype=xp.float64)
    assert_equal(softshrink(x, 1), xp.asarray([2.0, 0.0], dtype=xp.float64))
    assert_equal(softshrink(x, Fraction(1, 2)), xp.asarray([2.5, 0.0], dtype=xp.float64))
    assert_equal(softshrink(x, np.float32(0.5)), xp.asarray([2.5, 0.0], dtype=xp.float64))


@pytest.mark.parametrize("name", ["softshrink", "hardshrink"])
def test_array_threshold_per_element_and_per_column(xp: ModuleType, name: str) -> None:
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((4, 3))
    lam_np = np.asarray([0.1, 0.5, 2.0])
    # Looked up at call time: on lazy backends the module globals are jitted wrappers.
    func = {"softshrink": softshrink, "hardshrink": hardshrink}[name]
    reference = {"softshrink": soft_reference, "hardshrink": hard_reference}[name]
    expected = reference(x_np, lam_np)
    assert_equal(func(xp.asarray(x_np), xp.asarray(lam_np)), xp.asarray(expected))
    lam_full = rng.uniform(0, 1, (4, 3))
    assert_equal(
        func(xp.asarray(x_np), xp.asarray(lam_full)), xp.asarray(reference(x_np, lam_full))
    )


def test_array_threshold_is_rounded_to_dtype_of_x(xp: ModuleType) -> None:
    x = xp.asarray([1.0, -1.0], dtype=xp.float32)
    lam = xp.asarray([0.3, 0.3], dtype=xp.float64)
    lam32 = float(np.float32(0.3))
    expected = soft_reference(np.asarray([1.0, -1.0], dtype=np.float32), lam32)
    out = softshrink(x, lam)
    assert out.dtype == xp.float32
    assert_equal(out, xp.asarray(expected.astype(np.float32)))


def test_zero_threshold_is_identity_except_sign_of_zero(xp: ModuleType) -> None:
    x_np = np.asarray(SPECIAL)
    assert_equal(softshrink(xp.asarray(x_np), 0.0), xp.asarray(x_np))
    assert_equal(softshrink(xp.asarray(x_np), -0.0), xp.asarray(x_np))

"""Bad input gets the right exception and a message that names the argument."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from types import ModuleType

import numpy as np
import pytest
from array_api_extra.testing import assert_equal

from arrayshrink import Hardshrink, Softshrink, hardshrink, softshrink, tanhshrink
from arrayshrink._lib._validation import check_threshold

THRESHOLDED = [softshrink, hardshrink]


@pytest.mark.parametrize("func", THRESHOLDED)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1.0, -1e-300, 3.5e38])
@pytest.mark.parametrize("shape", [(3,), (0,)])
def test_scalar_threshold_out_of_range(
    xp: ModuleType, func: object, bad: float, shape: tuple[int, ...]
) -> None:
    x = xp.zeros(shape, dtype=xp.float32)
    pattern = (
        r"lambd must be in the range \[0, 3\.40282e\+38\] for input dtype float32; "
        rf"got {re.escape(repr(bad))}"
    )
    with pytest.raises(ValueError, match=pattern):
        func(x, bad)  # type: ignore[operator]


@pytest.mark.skip_xp_backend("array_api_strict", reason="no float16 dtype")
def test_half_threshold_range_is_the_half_range(xp: ModuleType) -> None:
    x = xp.asarray(np.zeros(2, dtype=np.float16))
    with pytest.raises(ValueError, match=r"\[0, 65504\] for input dtype float16; got 70000"):
        softshrink(x, 70000)
    softshrink(x, 65504.0)  # the largest float16 is allowed, as in torch


def test_complex_threshold_range_uses_the_real_dtype(xp: ModuleType) -> None:
    x = xp.zeros(2, dtype=xp.complex64)
    with pytest.raises(ValueError, match=r"for input dtype float32"):
        softshrink(x, 1e39)


def test_negative_zero_is_accepted(xp: ModuleType) -> None:
    """-0.0 is a valid threshold (as in torch), used as +0.0: nothing is shrunk and the
    dead zone is the zeros alone."""
    x_np = np.asarray([1.0, -2.0, 0.0, 1e-300, -np.inf, np.nan])
    x = xp.asarray(x_np)
    assert_equal(softshrink(x, -0.0), xp.asarray(x_np))
    assert_equal(hardshrink(x, -0.0), xp.asarray(x_np))
    assert_equal(softshrink(x, xp.asarray([-0.0])), xp.asarray(x_np))
    assert_equal(Softshrink(-0.0)(x), xp.asarray(x_np))
    assert_equal(Hardshrink(-0.0)(x), xp.asarray(x_np))
    value, invalid = check_threshold(-0.0, "softshrink", xp=xp, dtype=xp.float64)
    assert invalid is None
    assert value == 0.0
    assert math.copysign(1.0, value) == 1.0


@pytest.mark.parametrize("func", [softshrink, hardshrink, tanhshrink])
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_integer_and_boolean_input_rejected(xp: ModuleType, func: object, dtype: str) -> None:
    x = xp.zeros(3, dtype=getattr(xp, dtype))
    name = func.__name__  # type: ignore[attr-defined]
    with pytest.raises(
        TypeError, match=rf"{name}\(\): x must have a real or complex floating dtype; got .*{dtype}"
    ):
        func(x)  # type: ignore[operator]


@pytest.mark.parametrize("func", [softshrink, hardshrink, tanhshrink])
@pytest.mark.parametrize("bad", [[1.0, 2.0], 1.5, (1.0,), "abc", None])
def test_non_array_input_rejected(func: object, bad: object) -> None:
    with pytest.raises(
        TypeError, match=rf"x must be an array from NumPy, .*; got {type(bad).__name__}"
    ):
        func(bad)  # type: ignore[operator]


@pytest.mark.parametrize("func", THRESHOLDED)
@pytest.mark.parametrize(
    "bad", ["0.5", None, True, 1 + 2j, [0.5], np.bool_(True), np.complex128(1), Decimal("0.5")]
)
def test_non_number_threshold_rejected(xp: ModuleType, func: object, bad: object) -> None:
    x = xp.asarray([1.0, 2.0])
    with pytest.raises(
        TypeError, match=rf"lambd must be a real number or an array .*; got {type(bad).__name__}"
    ):
        func(x, bad)  # type: ignore[operator]


def test_mixed_libraries_rejected(torch: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"lambd is a PyTorch array but x is a NumPy array"):
        softshrink(np.asarray([1.0]), torch.asarray([0.5]))
    with pytest.raises(TypeError, match=r"lambd is a NumPy array but x is a PyTorch array"):
        hardshrink(torch.asarray([1.0]), np.asarray([0.5]))


@pytest.mark.parametrize(
    ("bad", "found"),
    [
        ([0.5, -1.0, 0.1], r"1 invalid entry, e\.g\. -1\.0"),
        ([0.5, math.nan, -2.0], r"2 invalid entries \(1 NaN\), e\.g\. -2\.0"),
        ([math.nan, 0.5, math.nan], r"2 invalid entries, all NaN"),
        ([math.nan], r"1 invalid entry, NaN"),
        ([math.inf, -math.inf], r"2 invalid entries, e\.g\. inf"),
    ],
)
@pytest.mark.eager_only(reason="values cannot raise lazily, they become NaN (test_lazy.py)")
def test_array_threshold_with_invalid_entries(xp: ModuleType, bad: list[float], found: str) -> None:
    x = xp.asarray([1.0, 2.0, 3.0][: len(bad)])
    for func in THRESHOLDED:
        with pytest.raises(ValueError, match=rf"lambd must be in the range .*; got {found}\.$"):
            func(x, xp.asarray(bad))


def test_array_threshold_bad_shape(xp: ModuleType) -> None:
    x = xp.zeros((4, 3))
    with pytest.raises(
        ValueError, match=r"lambd of shape \(4,\) does not broadcast to the shape \(4, 3\) of x"
    ):
        softshrink(x, xp.ones(4))
    with pytest.raises(ValueError, match=r"lambd of shape \(2, 4, 3\) does not broadcast"):
        softshrink(x, xp.ones((2, 4, 3)))


def test_array_threshold_bad_dtype(xp: ModuleType) -> None:
    x = xp.zeros(3)
    with pytest.raises(
        TypeError,
        match=r"an array lambd must have a real floating dtype; got .*int64\. Convert it "
        r"first, e\.g\. xp\.astype\(lambd, xp\.float64\)",
    ):
        softshrink(x, xp.ones(3, dtype=xp.int64))
    with pytest.raises(
        TypeError, match=r"an array lambd must have a real floating dtype; got .*complex"
    ):
        softshrink(x, xp.ones(3, dtype=xp.complex128))

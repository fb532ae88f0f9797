"""Hostile inputs to the shrink functions and classes, on every backend.

Every case is either right or loudly wrong. A valid threshold gives what a float64
NumPy reference gives (tests/_support.py), rounded as torch rounds; an invalid one
raises ``ValueError`` where its values can be read, and turns the outputs it applies
to into NaN where they cannot (Dask, and JAX under ``jax.jit``, which
``lazy_xp_function`` applies to the module-level names below). The references decide
validity on the exact float64 value of each threshold, independently of the code
under test.
"""

from __future__ import annotations

import importlib.util
import math
import re
import warnings
from collections.abc import Callable
from fractions import Fraction
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import hard_reference, soft_reference, to_numpy
from array_api_compat import (
    is_array_api_strict_namespace,
    is_cupy_namespace,
    is_dask_namespace,
    is_jax_namespace,
    is_numpy_namespace,
    is_torch_namespace,
)
from array_api_extra.testing import lazy_xp_function
from hypothesis import given
from hypothesis import strategies as st

import arrayshrink
from arrayshrink import Hardshrink, Softshrink, Tanhshrink, hardshrink, softshrink, tanhshrink

# Under the `xp` fixture these names run under jax.jit and forbid Dask computes; the
# `arrayshrink.*` attributes stay eager.
lazy_xp_function(softshrink)
lazy_xp_function(hardshrink)
lazy_xp_function(tanhshrink)

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_DASK = importlib.util.find_spec("dask") is not None
HAS_ML_DTYPES = importlib.util.find_spec("ml_dtypes") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch (the reference) is not installed")
needs_ml_dtypes = pytest.mark.skipif(not HAS_ML_DTYPES, reason="ml_dtypes is not installed")

HALVES = ("float16", "bfloat16")
X_VALUES = [-3.0, -0.75, -0.0, 0.0, 0.25, 0.5, 1.0, 2.5, math.inf, -math.inf, math.nan]
FUNCS = ["softshrink", "hardshrink"]


# ------------------------------------------------------------------------- helpers


def _lazy(xp: ModuleType) -> bool:
    """Whether the module-level functions cannot read threshold values here."""
    return is_dask_namespace(xp) or is_jax_namespace(xp)


def _lazy_func(name: str) -> Callable[..., Any]:
    """The module-level (lazily patched) function, looked up at call time."""
    return {"softshrink": softshrink, "hardshrink": hardshrink, "tanhshrink": tanhshrink}[name]


def floating_names(xp: ModuleType) -> list[str]:
    """Every real floating dtype of a backend (NumPy's bfloat16 from ml_dtypes)."""
    if is_array_api_strict_namespace(xp):
        return ["float32", "float64"]
    if is_torch_namespace(xp) or is_jax_namespace(xp):
        return ["float16", "bfloat16", "float32", "float64"]
    if is_numpy_namespace(xp) and HAS_ML_DTYPES:
        return ["float16", "bfloat16", "float32", "float64"]
    return ["float16", "float32", "float64"]


def _np_dtype(name: str) -> np.dtype[Any]:
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _finfo(name: str) -> Any:
    if name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.finfo(ml_dtypes.bfloat16)
    return np.finfo(name)


def _cast(values: Any, name: str) -> np.ndarray:
    """float64 values rounded (to nearest) to dtype ``name``, as float64 again."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values, dtype=np.float64).astype(_np_dtype(name)).astype(np.float64)


def _on(xp: ModuleType, values: Any, name: str) -> Any:
    """An array of dtype ``name`` on backend ``xp`` holding float64 ``values`` (which
    the callers choose representable, or accept rounded)."""
    values = np.asarray(values, dtype=np.float64)
    if is_torch_namespace(xp):
        import torch

        return torch.from_numpy(values.copy()).to(getattr(torch, name))
    if is_jax_namespace(xp):
        import jax.numpy as jnp

        return jnp.asarray(values).astype(getattr(jnp, name))
    with np.errstate(over="ignore"):
        return xp.asarray(values.astype(_np_dtype(name)))


def _as_float64(a: Any) -> np.ndarray:
    return to_numpy(a).astype(np.float64)


def _as_read_by(xp: ModuleType, lam: np.ndarray, lam_name: str) -> np.ndarray:
    """Thresholds as the backend reads them: XLA on the CPU flushes float32 and float64
    subnormals to zero (bfloat16 ones are float32 subnormals once widened), so there a
    negative subnormal is -0.0, a valid threshold."""
    if not is_jax_namespace(xp) or lam_name == "float16":
        return lam
    tiny = float(np.finfo(np.float64 if lam_name == "float64" else np.float32).smallest_normal)
    return np.where(np.abs(lam) < tiny, np.copysign(0.0, lam), lam)


def _valid(lam: np.ndarray, x_name: str) -> np.ndarray:
    """torch's rule on exact values: 0 <= lambd <= largest value of the input dtype."""
    with np.errstate(invalid="ignore"):
        return (lam >= 0) & (lam <= float(_finfo(x_name).max))


def _expected(func: str, x: np.ndarray, lam: Any, x_name: str) -> np.ndarray:
    """The float64 reference, with lambd rounded as torch rounds it: softshrink to
    float32 for halves (computed in float32) and to the dtype of x otherwise;
    hardshrink to the dtype of x. The result is rounded once to the dtype of x."""
    if func == "softshrink":
        lam = _cast(lam, "float32" if x_name in HALVES else x_name)
        return _cast(soft_reference(x, lam), x_name)
    return _cast(hard_reference(x, _cast(lam, x_name)), x_name)


def _check_values(out: Any, x: Any, expected: np.ndarray) -> None:
    """Same library, dtype and shape as ``x``; the values of ``expected`` (NaN equal
    to NaN, the sign of zero ignored)."""
    assert type(out) is type(x)
    assert out.dtype == x.dtype
    assert tuple(out.shape) == tuple(x.shape)
    np.testing.assert_array_equal(_as_float64(out), expected)


def _next_up(value: float, name: str) -> float:
    """The next value of dtype ``name`` above the positive finite ``value`` (of it)."""
    dtype = _np_dtype(name)
    uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dtype.itemsize]
    bits = np.asarray(value).astype(dtype).view(uint)
    return float(np.asarray(bits + uint(1)).view(dtype).astype(np.float64))


def _threshold_values(lam_name: str, x_name: str) -> list[float]:
    """Thresholds of dtype ``lam_name`` (exactly representable) against an input of
    dtype ``x_name``: special values, subnormals, negatives, the largest values of
    both dtypes, and the values of ``lam_name`` on either side of the bound."""
    info = _finfo(lam_name)
    tiny = float(info.smallest_subnormal)
    values = [0.5, 0.0, -0.0, tiny, -tiny, float(info.smallest_normal), 1.0, -1.0]
    values += [float(info.max), math.inf, -math.inf, math.nan]
    bound = float(_finfo(x_name).max)
    below = float(_cast(bound, lam_name)[()])
    if below > bound:  # rounded up: take the value of lam_name just below it
        dtype = _np_dtype(lam_name)
        uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dtype.itemsize]
        bits = np.asarray(below).astype(dtype).view(uint)
        below = float(np.asarray(bits - uint(1)).view(dtype).astype(np.float64))
    values.append(below)
    above = _next_up(below, lam_name)
    if math.isfinite(above):
        values.append(above)
    return values


# ------------------------------------------------------------- scalar thresholds

BAD_SCALARS: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    -1.0,
    -5e-324,
    10**400,
    -(10**400),
    Fraction(10**400, 3),
    np.float64(math.nan),
    np.float32(-0.5),
    np.float16(math.inf),
]
GOOD_SCALARS: list[Any] = [0.0, -0.0, 5e-324, 0.5, 1, Fraction(1, 4), np.float32(0.3), 2.5]


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("bad", BAD_SCALARS, ids=repr)
def test_bad_scalar_threshold_raises_on_every_dtype(xp: ModuleType, func: str, bad: Any) -> None:
    for name in floating_names(xp):
        x = _on(xp, X_VALUES, name)
        bound = f"{float(_finfo(name).max):g}".replace("+", r"\+")
        with pytest.raises(
            ValueError,
            match=rf"^{func}\(\): lambd must be in the range \[0, {bound}\] for input dtype "
            rf"{name}; got -?\S+\.(\n|$)",  # JAX adds a note to errors under jit
        ):
            _lazy_func(func)(x, bad)


@pytest.mark.parametrize("func", FUNCS)
def test_scalar_above_the_dtype_range_raises(xp: ModuleType, func: str) -> None:
    for name in floating_names(xp):
        largest = float(_finfo(name).max)
        x = _on(xp, X_VALUES, name)
        _lazy_func(func)(x, largest)  # the largest value itself is allowed, as in torch
        above = largest * (1 + 2**-20) if largest < 1e308 else 10**309
        with pytest.raises(ValueError, match=rf"for input dtype {name}; got "):
            _lazy_func(func)(x, above)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("good", GOOD_SCALARS, ids=repr)
def test_good_scalar_threshold_matches_reference(xp: ModuleType, func: str, good: Any) -> None:
    x64 = np.asarray(X_VALUES)
    for name in floating_names(xp):
        x = _on(xp, x64, name)
        # A NumPy scalar is converted to a Python float first (exactly).
        _check_values(_lazy_func(func)(x, good), x, _expected(func, x64, float(good), name))


def test_huge_integer_threshold_message_is_short(xp: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"got 1\.000000e\+400\.$"):
        arrayshrink.softshrink(xp.ones(2), 10**400)
    with pytest.raises(ValueError, match=r"got -1\.000000e\+400\.$"):
        arrayshrink.hardshrink(xp.ones(2), -(10**400))


# -------------------------------------------------------------- array thresholds


@pytest.mark.parametrize("func", FUNCS)
def test_array_thresholds_of_every_dtype(xp: ModuleType, func: str) -> None:
    """Thresholds of every floating dtype, of lower and higher precision than x, with
    inf, NaN, -0.0, subnormals, negatives and the values on both sides of the bound.

    Valid ones (alone) equal the reference; each invalid one raises where values can be
    read, and gives NaN in exactly its column where they cannot.
    """
    names = floating_names(xp)
    column = np.asarray(X_VALUES)[:, None]
    for x_name in names:
        for lam_name in names:
            values = np.asarray(_threshold_values(lam_name, x_name))
            read = _as_read_by(xp, values, lam_name)
            valid = _valid(read, x_name)
            x = _on(xp, np.repeat(column, np.count_nonzero(valid), axis=1), x_name)
            out = _lazy_func(func)(x, _on(xp, values[valid], lam_name))
            _check_values(out, x, _expected(func, _as_float64(x), read[valid], x_name))
            if _lazy(xp):
                x = _on(xp, np.repeat(column, values.size, axis=1), x_name)
                out = _lazy_func(func)(x, _on(xp, values, lam_name))
                safe = np.where(valid, read, 0.0)
                expected = np.where(valid, _expected(func, _as_float64(x), safe, x_name), np.nan)
                _check_values(out, x, expected)
                continue
            x = _on(xp, np.repeat(column, 2, axis=1), x_name)
            for bad in values[~valid]:
                with pytest.raises(
                    ValueError,
                    match=rf"lambd must be in the range .* for input dtype {x_name}; "
                    r"got 1 invalid entry",
                ):
                    _lazy_func(func)(x, _on(xp, [0.5, bad], lam_name))


def test_infinite_float32_threshold_on_float64_input(xp: ModuleType) -> None:
    """float64's largest value is inf in float32: the bound is compared in a dtype that
    holds it, so a float32 inf is invalid (and a valid float32 threshold never warns)."""
    x = xp.asarray([1.0, -2.0], dtype=xp.float64)
    lam = xp.asarray([math.inf, 0.5], dtype=xp.float32)
    if _lazy(xp):
        np.testing.assert_array_equal(_as_float64(softshrink(x, lam)), [math.nan, -1.5])
        return
    with pytest.raises(ValueError, match=r"1 invalid entry, e\.g\. inf\.$"):
        softshrink(x, lam)
    ok = xp.asarray([0.25, 0.5], dtype=xp.float32)
    np.testing.assert_array_equal(_as_float64(softshrink(x, ok)), [0.75, -1.5])


@pytest.mark.parametrize("func", FUNCS)
def test_all_nan_array_is_reported_as_nan(xp: ModuleType, func: str) -> None:
    x = xp.ones(3)
    lam = xp.full(3, math.nan)
    if _lazy(xp):
        np.testing.assert_array_equal(_as_float64(_lazy_func(func)(x, lam)), [math.nan] * 3)
        return
    with pytest.raises(ValueError, match=r"got 3 invalid entries, all NaN\.$"):
        _lazy_func(func)(x, lam)


@pytest.mark.parametrize("func", FUNCS)
def test_integer_and_bool_array_thresholds_rejected(xp: ModuleType, func: str) -> None:
    x = xp.ones(3)
    for dtype in (xp.int32, xp.int64, xp.bool):
        lam = xp.zeros(3, dtype=dtype)
        with pytest.raises(
            TypeError,
            match=r"an array lambd must have a real floating dtype; got \S+\. "
            r"Convert it first, e\.g\. xp\.astype\(lambd, xp\.float64\)\.$",
        ):
            getattr(arrayshrink, func)(x, lam)


# ------------------------------------------------------------- mixed libraries


def _other_libraries(xp: ModuleType) -> list[tuple[str, Any]]:
    """(display name, an array) of installed libraries other than that of ``xp``."""
    others: list[tuple[str, Any]] = []
    if not is_numpy_namespace(xp):
        others.append(("NumPy", np.asarray([0.5])))
    if HAS_TORCH and not is_torch_namespace(xp):
        import torch

        others.append(("PyTorch", torch.asarray([0.5])))
    if importlib.util.find_spec("jax") is not None and not is_jax_namespace(xp):
        import jax.numpy as jnp

        others.append(("JAX", jnp.asarray([0.5])))
    has_strict = importlib.util.find_spec("array_api_strict") is not None
    if has_strict and not is_array_api_strict_namespace(xp):
        import array_api_strict

        others.append(("array-api-strict", array_api_strict.asarray([0.5])))
    if HAS_DASK and not is_dask_namespace(xp):
        import dask.array as da

        others.append(("Dask", da.from_array(np.asarray([0.5]))))
    return others


def _a(noun: str) -> str:
    return ("an " if noun == "array-api-strict" else "a ") + noun


def _library_of(xp: ModuleType) -> str:
    for test, name in (
        (is_numpy_namespace, "NumPy"),
        (is_torch_namespace, "PyTorch"),
        (is_jax_namespace, "JAX"),
        (is_dask_namespace, "Dask"),
        (is_cupy_namespace, "CuPy"),
        (is_array_api_strict_namespace, "array-api-strict"),
    ):
        if test(xp):
            return name
    raise AssertionError(xp)


@pytest.mark.parametrize("func", FUNCS)
def test_threshold_from_another_library(xp: ModuleType, func: str) -> None:
    """Eager calls (a jitted wrapper would convert the foreign array itself)."""
    x = xp.asarray([1.0])
    for library, lam in _other_libraries(xp):
        with pytest.raises(
            TypeError,
            match=rf"^{func}\(\): lambd is {_a(library)} array but x is "
            rf"{re.escape(_a(_library_of(xp)))} array; pass both from the same array library\.$",
        ):
            getattr(arrayshrink, func)(x, lam)
    for cls in (Softshrink, Hardshrink):
        shrink = cls(np.asarray([0.5]))
        if not is_numpy_namespace(xp):
            with pytest.raises(TypeError, match=r"lambd is a NumPy array but x is a"):
                shrink(x)


# ---------------------------------------------------------------- masked arrays


@pytest.mark.parametrize("func", [*FUNCS, "tanhshrink"])
def test_masked_input_rejected(func: str) -> None:
    x = np.ma.masked_array([3.0, 0.3], mask=[True, False])
    with pytest.raises(
        TypeError, match=rf"^{func}\(\): x is a numpy\.ma masked array.*x\.filled\(value\)"
    ):
        getattr(arrayshrink, func)(x)


@pytest.mark.parametrize("func", FUNCS)
def test_masked_threshold_rejected(func: str) -> None:
    """A masked negative entry is never used (0.3 shrunk by -1 would give 1.3)."""
    lam = np.ma.masked_array([-1.0, 0.5], mask=[True, False])
    with pytest.raises(
        TypeError, match=rf"^{func}\(\): lambd is a numpy\.ma masked array.*lambd\.filled"
    ):
        getattr(arrayshrink, func)(np.asarray([0.3, 0.3]), lam)
    with pytest.raises(TypeError, match=r"masked array"):
        getattr(arrayshrink, func.capitalize())(lam)


# ---------------------------------------------------------------- NumPy scalars


def _numpy_scalar_types() -> list[Any]:
    types: list[Any] = [np.float64, np.float32, np.float16]
    if HAS_ML_DTYPES:
        import ml_dtypes

        types.append(ml_dtypes.bfloat16)
    return types


@pytest.mark.parametrize("kind", _numpy_scalar_types(), ids=lambda t: t.__name__)
@pytest.mark.parametrize("value", [1.5, -0.25, -3.0, math.inf, math.nan])
def test_numpy_scalar_in_numpy_scalar_out(kind: Any, value: float) -> None:
    """The three functions answer alike: a NumPy scalar of the same dtype."""
    x = kind(value)
    name = np.dtype(kind).name
    x64 = np.asarray([float(x)])
    expected = {
        "softshrink": _expected("softshrink", x64, 0.5, name),
        "hardshrink": _expected("hardshrink", x64, 0.5, name),
        "tanhshrink": x64 - np.tanh(x64),
    }
    for func, want in expected.items():
        args = () if func == "tanhshrink" else (0.5,)
        out = getattr(arrayshrink, func)(x, *args)
        assert isinstance(out, np.generic), (func, type(out))
        assert not isinstance(out, np.ndarray)
        assert out.dtype == np.dtype(kind)
        # x - tanh(x) cancels near 0: its error is a few ulp of x, not of the result.
        eps = float(_finfo(name).eps)
        tolerance = 4 * eps * abs(float(x)) if math.isfinite(float(x)) else 0.0
        np.testing.assert_allclose(float(out), want[0], rtol=eps, atol=tolerance)


@pytest.mark.parametrize("kind", [np.bool_, np.int64, np.uint8])
def test_numpy_scalar_of_a_non_floating_kind(kind: Any) -> None:
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink, arrayshrink.tanhshrink):
        with pytest.raises(TypeError, match=r"x must have a real or complex floating dtype"):
            func(kind(1))


def test_complex_numpy_scalar_gives_a_complex_numpy_scalar() -> None:
    for func, want in ((arrayshrink.softshrink, 0.6 + 0.8j), (arrayshrink.hardshrink, 0.6 + 0.8j)):
        out = func(np.complex64(0.6 + 0.8j), 0.0)
        assert type(out) is np.complex64
        np.testing.assert_allclose(out, want, rtol=1e-6)
    out = arrayshrink.softshrink(np.complex128(3 + 4j), 1.0)
    assert type(out) is np.complex128
    np.testing.assert_allclose(out, 2.4 + 3.2j, rtol=1e-15)


# ------------------------------------------------------------- empty, 0-d, read-only


@pytest.mark.parametrize("func", [*FUNCS, "tanhshrink"])
def test_empty_and_zero_d_input(xp: ModuleType, func: str) -> None:
    args = () if func == "tanhshrink" else (0.5,)
    for name in floating_names(xp):
        for shape in [(0,), (3, 0), ()]:
            x = _on(xp, np.full(shape, 1.5), name)
            out = _lazy_func(func)(x, *args)
            assert type(out) is type(x)  # a 0-d array stays an array (never a NumPy scalar)
            assert out.dtype == x.dtype
            assert tuple(out.shape) == shape
            if shape == ():
                want = {"softshrink": 1.0, "hardshrink": 1.5, "tanhshrink": 1.5 - math.tanh(1.5)}
                eps = float(_finfo(name).eps)
                np.testing.assert_allclose(_as_float64(out), want[func], rtol=eps)
        if func != "tanhshrink":  # torch checks the threshold even for empty input
            with pytest.raises(ValueError, match=r"lambd must be in the range"):
                _lazy_func(func)(_on(xp, np.empty((0, 2)), name), -1.0)


def test_read_only_input_is_accepted_and_kept() -> None:
    x = np.asarray(X_VALUES)
    x.flags.writeable = False
    lam = np.full(x.shape, 0.5)
    lam.flags.writeable = False
    for out in (
        arrayshrink.softshrink(x, 0.5),
        arrayshrink.softshrink(x, lam),
        arrayshrink.hardshrink(x, lam),
        arrayshrink.tanhshrink(x),
        Softshrink(lam)(x),
        arrayshrink.softshrink(x.astype(np.float16), 0.5),
    ):
        assert out.flags.writeable
    np.testing.assert_array_equal(arrayshrink.softshrink(x, lam), soft_reference(x, 0.5))


def test_read_only_numpy_blocks_in_dask(da: ModuleType) -> None:
    x_np = np.asarray(X_VALUES)
    x_np.flags.writeable = False
    x = da.from_array(x_np, chunks=4)
    lam = da.from_array(np.full(x_np.shape, 0.5), chunks=4)
    np.testing.assert_array_equal(
        arrayshrink.softshrink(x, lam).compute(), soft_reference(x_np, 0.5)
    )
    np.testing.assert_array_equal(
        arrayshrink.hardshrink(x, 0.5).compute(), hard_reference(x_np, 0.5)
    )


@pytest.mark.parametrize("func", [*FUNCS, "tanhshrink"])
def test_inputs_are_never_mutated(xp: ModuleType, func: str) -> None:
    shrink = _lazy_func(func)
    for name in floating_names(xp):
        x = _on(xp, X_VALUES, name)
        lam = _on(xp, np.linspace(0, 2, len(X_VALUES)), name)
        x_before, lam_before = _as_float64(x), _as_float64(lam)
        if func == "tanhshrink":
            shrink(x)
        else:
            shrink(x, lam)
            shrink(x, 0.3)
        np.testing.assert_array_equal(_as_float64(x), x_before)
        np.testing.assert_array_equal(_as_float64(lam), lam_before)


# --------------------------------------------------------------------- the classes


@pytest.mark.parametrize("cls", [Softshrink, Hardshrink])
def test_classes_reject_hostile_thresholds_at_construction(xp: ModuleType, cls: type) -> None:
    for bad in (math.nan, math.inf, -1.0, 10**400, np.float32(-0.0) - 1):
        with pytest.raises(ValueError, match=rf"^{cls.__name__}\(\): lambd must be a finite"):
            cls(bad)
    for bad_type in (True, np.bool_(False), "0.5", [0.5], 1j, np.complex64(1), None):
        with pytest.raises(TypeError, match=rf"^{cls.__name__}\(\): lambd must be a real number"):
            cls(bad_type)
    for name in floating_names(xp):
        bad = _on(xp, [0.5, math.inf], name)
        if is_dask_namespace(xp):
            # Not read at construction: the first call flags the column.
            out = cls(bad)(_on(xp, [[1.0, 1.0]], name))
            np.testing.assert_array_equal(_as_float64(out)[0, 1], math.nan)
            continue
        with pytest.raises(ValueError, match=r"must be finite and >= 0 everywhere; got 1 invalid"):
            cls(bad)


@pytest.mark.parametrize("cls", [Softshrink, Hardshrink])
def test_classes_check_the_dtype_bound_at_call(xp: ModuleType, cls: type) -> None:
    shrink = cls(1e39)  # finite: valid at construction, too large for float32 input
    with pytest.raises(ValueError, match=r"\[0, 3\.40282e\+38\] for input dtype float32; got"):
        shrink(xp.ones(2, dtype=xp.float32))
    x64 = np.asarray(X_VALUES)
    func = cls.__name__.lower()
    _check_values(shrink(xp.asarray(x64)), xp.asarray(x64), _expected(func, x64, 1e39, "float64"))


def test_tanhshrink_class_takes_numpy_scalars() -> None:
    out = Tanhshrink()(np.float32(2.0))
    assert type(out) is np.float32


# ------------------------------------------------------------------ NumPy bfloat16


@needs_ml_dtypes
@needs_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # signalling NaNs
@pytest.mark.parametrize("lambd", [0.5, 0.3, 0.0, 1000.1, 0.29997])
def test_numpy_bfloat16_equals_torch_on_every_bit_pattern(lambd: float) -> None:
    """NumPy arrays of ml_dtypes.bfloat16 (what np.asarray gives for a JAX bfloat16
    array) are computed like float16: equal to torch's bfloat16 kernels everywhere."""
    import ml_dtypes
    import torch
    import torch.nn.functional as F

    bits = np.arange(2**16, dtype=np.uint16)
    x = bits.view(ml_dtypes.bfloat16)
    x_torch = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16)
    for name in FUNCS:
        out = getattr(arrayshrink, name)(x, lambd)
        assert type(out) is np.ndarray
        assert out.dtype == x.dtype
        expected = getattr(F, name)(x_torch, lambd)
        np.testing.assert_array_equal(out.astype(np.float32), expected.float().numpy())


@needs_ml_dtypes
@needs_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # signalling NaNs
def test_numpy_bfloat16_tanhshrink_against_torch() -> None:
    """tanhshrink is computed in float32 and rounded once, as on torch (whose own
    F.tanhshrink rounds twice): within one bfloat16 eps of torch's, NaN where it is."""
    import ml_dtypes
    import torch
    import torch.nn.functional as F

    bits = np.arange(2**16, dtype=np.uint16)
    x = bits.view(ml_dtypes.bfloat16)
    out = arrayshrink.tanhshrink(x)
    assert out.dtype == x.dtype
    x_torch = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16)
    eps = float(ml_dtypes.finfo(ml_dtypes.bfloat16).eps)
    np.testing.assert_allclose(
        out.astype(np.float32), F.tanhshrink(x_torch).float().numpy(), rtol=eps, atol=eps
    )


@needs_ml_dtypes
def test_numpy_bfloat16_threshold_and_float8_input() -> None:
    import ml_dtypes

    x = np.asarray([1.0, -2.0, 0.25], dtype=np.float32)
    lam = np.asarray([0.5, 0.5, 0.5], dtype=ml_dtypes.bfloat16)
    np.testing.assert_array_equal(arrayshrink.softshrink(x, lam), [0.5, -1.5, 0.0])
    bad = np.asarray([0.5, np.inf, 0.5], dtype=ml_dtypes.bfloat16)
    with pytest.raises(ValueError, match=r"1 invalid entry, e\.g\. inf"):
        arrayshrink.hardshrink(x, bad)
    for dtype in (ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2):
        with pytest.raises(TypeError, match=rf"x has the dtype {np.dtype(dtype).name}, which"):
            arrayshrink.softshrink(np.zeros(2, dtype=dtype), 0.5)
        with pytest.raises(TypeError, match=rf"lambd has the dtype {np.dtype(dtype).name}"):
            arrayshrink.softshrink(x, np.zeros(3, dtype=dtype))
    with pytest.raises(TypeError, match=r"x must have a real or complex floating dtype; got int4"):
        arrayshrink.tanhshrink(np.zeros(2, dtype=ml_dtypes.int4))


# ------------------------------------------------------------------------ torch


def test_torch_meta_tensors_give_meta_results(torch: ModuleType) -> None:
    x = torch.empty(4, 3, device="meta")
    for lam in (torch.empty(3, device="meta"), torch.empty((), device="meta"), 0.5):
        for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
            out = func(x, lam)
            assert out.is_meta
            assert out.shape == x.shape
            assert out.dtype == x.dtype
    assert arrayshrink.tanhshrink(x).is_meta
    with pytest.raises(ValueError, match=r"lambd must be in the range"):
        arrayshrink.softshrink(x, -1.0)  # a number is always checked


@pytest.mark.parametrize(
    "dtype", ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"]
)
def test_torch_float8_rejected(torch: ModuleType, dtype: str) -> None:
    # Which float8 dtypes exist depends on the torch installed, known only once it is
    # imported: a marker, evaluated at collection, cannot say.
    if not hasattr(torch, dtype):
        pytest.skip(f"this torch has no {dtype}")
    x = torch.zeros(3, dtype=getattr(torch, dtype))
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink, arrayshrink.tanhshrink):
        with pytest.raises(TypeError, match=rf"x has the dtype torch\.{dtype}, which arrayshrink"):
            func(x)
    with pytest.raises(TypeError, match=rf"lambd has the dtype torch\.{dtype}"):
        arrayshrink.softshrink(torch.zeros(3), torch.zeros(3, dtype=getattr(torch, dtype)))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ComplexHalf support is experimental", UserWarning)
        complex32 = torch.zeros(3, dtype=torch.complex32)
    with pytest.raises(TypeError, match=r"x has the dtype torch\.complex32"):
        arrayshrink.softshrink(complex32)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta:UserWarning")
@pytest.mark.parametrize("layout", ["sparse_coo", "sparse_csr"])
def test_torch_sparse_rejected(torch: ModuleType, layout: str) -> None:
    dense = torch.eye(3)
    sparse = dense.to_sparse() if layout == "sparse_coo" else dense.to_sparse_csr()
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
        with pytest.raises(
            TypeError, match=rf"x has the sparse layout torch\.{layout}.*x\.to_dense\(\)"
        ):
            func(sparse)
    if layout == "sparse_csr":
        with pytest.raises(TypeError, match=r"x has the sparse layout torch\.sparse_csr"):
            arrayshrink.tanhshrink(sparse)
    else:
        # tanhshrink's fast path leaves the layout to torch's elementwise operations,
        # which compute a COO tensor correctly (tanhshrink(0) is 0): documented there.
        out = arrayshrink.tanhshrink(sparse)
        assert out.layout == torch.sparse_coo
        np.testing.assert_allclose(out.to_dense().numpy(), (dense - dense.tanh()).numpy())
    with pytest.raises(TypeError, match=rf"lambd has the sparse layout torch\.{layout}"):
        arrayshrink.softshrink(dense, sparse)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype:UserWarning")
def test_torch_nested_rejected(torch: ModuleType) -> None:
    parts = [torch.ones(2), torch.ones(3)]
    jagged = torch.nested.nested_tensor(parts, layout=torch.jagged)
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink, arrayshrink.tanhshrink):
        with pytest.raises(TypeError, match=r"x is a nested tensor \(layout torch\.jagged\)"):
            func(jagged)
    strided = torch.nested.nested_tensor(parts)
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
        with pytest.raises(TypeError, match=r"x is a nested tensor \(layout torch\.strided\)"):
            func(strided)
    # Dense tensors keep their fast path after a nested one was seen.
    np.testing.assert_array_equal(arrayshrink.softshrink(torch.ones(2), 0.5).numpy(), [0.5, 0.5])


def _compile_warm_up(func: Callable[..., Any], x: Any) -> None:
    """Eager calls that fill arrayshrink's per-type lookup tables (kernels, natives)
    first: a trace that fills them guards on them and is compiled again once."""
    import torch

    func(x, 0.5)
    func(x, torch.full((), 0.5, dtype=x.dtype))


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_torch_compile_one_graph_for_any_number_of_thresholds(
    torch: ModuleType, func: str, dtype: str
) -> None:
    """As F.softshrink: a Python-float lambd stays symbolic (no guard on its value, no
    recompilation per value), float64 included; values equal the eager ones."""
    from torch._dynamo.testing import CompileCounter

    x = torch.tensor(X_VALUES, dtype=getattr(torch, dtype))
    eager = getattr(arrayshrink, func)
    _compile_warm_up(eager, x)
    torch._dynamo.reset()
    counter = CompileCounter()
    compiled = torch.compile(eager, fullgraph=True, dynamic=True, backend=counter)
    x64 = _as_float64(x)
    for step in range(12):
        lambd = 0.1 + 0.173 * step
        np.testing.assert_array_equal(
            _as_float64(compiled(x, lambd)), _expected(func, x64, lambd, dtype)
        )
    assert counter.frame_count == 1
    torch._dynamo.reset()


def test_torch_compile_float64_with_inductor(torch: ModuleType) -> None:
    """The reported failure: fullgraph=True, dynamic=True on float64, with inductor."""

    torch._dynamo.reset()
    x = torch.tensor(X_VALUES, dtype=torch.float64)
    compiled = torch.compile(arrayshrink.softshrink, fullgraph=True, dynamic=True)
    x64 = _as_float64(x)
    for lambd in (0.5, 0.3):
        expected = _expected("softshrink", x64, lambd, "float64")
        np.testing.assert_array_equal(_as_float64(compiled(x, lambd)), expected)
    np.testing.assert_array_equal(_as_float64(compiled(x, -1.0)), [math.nan] * len(X_VALUES))
    torch._dynamo.reset()


@pytest.mark.parametrize("func", FUNCS)
def test_torch_compile_symbolic_invalid_threshold_gives_nan(torch: ModuleType, func: str) -> None:
    """A symbolic lambd cannot be read at trace time: invalid values give NaN outputs,
    in the same graph as the valid ones."""
    from torch._dynamo.testing import CompileCounter

    x32 = torch.tensor(X_VALUES, dtype=torch.float32)
    eager = getattr(arrayshrink, func)
    _compile_warm_up(eager, x32)
    torch._dynamo.reset()
    counter = CompileCounter()
    compiled = torch.compile(eager, fullgraph=True, dynamic=True, backend=counter)
    compiled(x32, 0.5)
    for bad in (-1.0, 1e39, -1e-300):  # 1e39 is above float32's largest value
        np.testing.assert_array_equal(_as_float64(compiled(x32, bad)), [math.nan] * len(X_VALUES))
    assert counter.frame_count == 1
    # A tensor threshold cannot be read under compile either: NaN where it is invalid.
    lam = torch.full((len(X_VALUES),), 0.5)
    lam[1] = -1.0
    lam[2] = math.inf
    out = _as_float64(compiled(x32, lam))
    assert np.isnan(out[1:3]).all()
    expected = _expected(func, _as_float64(x32), 0.5, "float32")
    np.testing.assert_array_equal(np.delete(out, [1, 2]), np.delete(expected, [1, 2]))
    torch._dynamo.reset()


@pytest.mark.parametrize("func", FUNCS)
def test_torch_compile_constant_invalid_threshold_raises_at_trace_time(
    torch: ModuleType, func: str
) -> None:
    """A constant (specialised) lambd is checked while tracing. Without fullgraph the
    ValueError itself propagates; with fullgraph=True Dynamo wraps it: it raises
    torch._dynamo.exc.Unsupported ("Observed exception"), whose __cause__ carries the
    ValueError's message. NaN and inf are always specialised by Dynamo."""

    x = torch.tensor(X_VALUES, dtype=torch.float32)
    eager = getattr(arrayshrink, func)
    message = rf"{func}\(\): lambd must be in the range \[0, 3\.40282e\+38\] for input dtype"
    for bad in (-1.0, math.nan):
        torch._dynamo.reset()
        with pytest.raises(ValueError, match=message):
            torch.compile(eager, dynamic=False, backend="eager")(x, bad)
        torch._dynamo.reset()
        with pytest.raises(torch._dynamo.exc.Unsupported) as caught:
            torch.compile(eager, fullgraph=True, dynamic=False, backend="eager")(x, bad)
        assert re.search(message, str(caught.value.__cause__))
    torch._dynamo.reset()
    with pytest.raises(torch._dynamo.exc.Unsupported) as caught:
        torch.compile(eager, fullgraph=True, dynamic=True, backend="eager")(x, math.inf)
    assert re.search(message, str(caught.value.__cause__))
    torch._dynamo.reset()


# ---------------------------------------------------------------- Dask, unknown sizes


@pytest.mark.parametrize("func", FUNCS)
def test_dask_unknown_chunk_sizes_with_array_threshold(da: ModuleType, func: str) -> None:
    import dask

    def forbid(*args: object, **kwargs: object) -> None:
        raise AssertionError("arrayshrink computed a Dask graph")

    data = np.arange(-12.0, 12.0).reshape(6, 4)
    x_all = da.from_array(data, chunks=(2, 2))
    rows = data[:, 0] > -5
    x = x_all[x_all[:, 0] > -5]  # rows of unknown number: chunk sizes NaN
    assert any(math.isnan(c) for c in x.chunks[0])
    per_column = np.asarray([0.5, 1.0, 2.0, 3.0])
    eager = getattr(arrayshrink, func)
    with dask.config.set(scheduler=forbid):
        outs = [
            (eager(x, da.from_array(per_column, chunks=2)), per_column),
            (eager(x, da.asarray(0.75)), 0.75),
            (eager(x, x * 0 + 0.5), 0.5),  # a threshold of unknown shape too
        ]
        flagged = eager(x, da.from_array(np.asarray([0.5, -1.0, math.nan, 0.5]), chunks=2))
    reference = soft_reference if func == "softshrink" else hard_reference
    for out, lam in outs:
        assert isinstance(out, da.Array)
        np.testing.assert_array_equal(out.compute(), reference(data[rows], lam))
    expected = reference(data[rows], np.asarray([0.5, 0.0, 0.0, 0.5]))
    expected[:, 1:3] = np.nan
    np.testing.assert_array_equal(flagged.compute(), expected)


# -------------------------------------------------------------------- hypothesis

_SPECIAL = [
    0.0,
    -0.0,
    0.5,
    1.0,
    -1.0,
    math.inf,
    -math.inf,
    math.nan,
    5e-324,
    -5e-324,
    1e-45,
    65504.0,
    65536.0,
    3.3895313892515355e38,
    3.4028234663852886e38,
    1e39,
    1.7976931348623157e308,
]


def _representable(value: float, name: str) -> bool:
    cast = float(_cast(value, name)[()])
    return (math.isnan(value) and math.isnan(cast)) or cast == value


@st.composite
def threshold_arrays(draw: st.DrawFn, name: str, size: int) -> np.ndarray:
    """float64 values exactly representable in dtype ``name``: any bit pattern of it
    (subnormals, infinities and NaN included) or a special value of any dtype."""
    dtype = _np_dtype(name)
    uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dtype.itemsize]
    specials = [v for v in _SPECIAL if _representable(v, name)]
    bits = st.integers(0, int(np.iinfo(uint).max)).map(
        lambda b: float(np.asarray(b, dtype=uint).view(dtype).astype(np.float64))
    )
    values = draw(st.lists(st.sampled_from(specials) | bits, min_size=size, max_size=size))
    return np.asarray(values, dtype=np.float64)  # NaN payloads become a quiet NaN


_X_ELEMENTS = st.sampled_from(X_VALUES) | st.floats(1e-3, 6e4) | st.floats(-6e4, -1e-3)


@given(data=st.data())
def test_hypothesis_thresholds_of_every_dtype(xp: ModuleType, data: st.DataObject) -> None:
    """Valid thresholds equal the reference; invalid ones raise ValueError where they
    can be read and give NaN in the outputs they apply to where they cannot."""
    names = floating_names(xp)
    x_name = data.draw(st.sampled_from(names), label="x dtype")
    lam_name = data.draw(st.sampled_from(names), label="lambd dtype")
    func = data.draw(st.sampled_from(FUNCS), label="function")
    size = data.draw(st.integers(1, 3), label="size")
    x_values = _cast(data.draw(st.lists(_X_ELEMENTS, min_size=size, max_size=size)), x_name)
    scalar_shape = data.draw(st.booleans(), label="0-d lambd")
    lam_values = data.draw(threshold_arrays(lam_name, 1 if scalar_shape else size))
    lam_values = lam_values.reshape(()) if scalar_shape else lam_values
    x, lam = _on(xp, x_values, x_name), _on(xp, lam_values, lam_name)
    lam_read = _as_read_by(xp, lam_values, lam_name)
    valid = np.broadcast_to(_valid(lam_read, x_name), x_values.shape)
    safe = np.where(_valid(lam_read, x_name), lam_read, 0.0)
    expected = np.where(valid, _expected(func, x_values, safe, x_name), np.nan)
    if valid.all() or _lazy(xp):
        _check_values(_lazy_func(func)(x, lam), x, expected)
    else:
        with pytest.raises(ValueError, match=rf"{func}\(\): lambd must be in the range"):
            _lazy_func(func)(x, lam)


def test_concrete_threshold_closed_over_by_jax_jit(jax: ModuleType) -> None:
    """Inside jax.jit a concrete threshold array gives traced comparisons: an invalid
    entry gives NaN there (it cannot raise), valid ones shrink as outside jit."""
    jnp = jax.numpy

    x = jnp.asarray([1.0, 2.0, -3.0])
    bad = jnp.asarray([-1.0, 0.5, 0.5])
    good = jnp.asarray([0.5, 0.5, 1.0])
    out = np.asarray(jax.jit(lambda x: softshrink(x, bad))(x))
    np.testing.assert_array_equal(np.isnan(out), [True, False, False])
    np.testing.assert_allclose(out[1:], [1.5, -2.5])
    np.testing.assert_allclose(
        np.asarray(jax.jit(lambda x: hardshrink(x, good))(x)), [1.0, 2.0, -3.0]
    )

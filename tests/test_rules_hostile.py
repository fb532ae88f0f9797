"""Hostile inputs for threshold, threshold_firm, asymmetric_softshrink and their classes.

Special values in x and in every argument, 16-bit and complex dtypes, 0-d, empty and
odd NumPy arrays, mixed libraries, lazy Dask (unknown chunk sizes included), jax.jit
and torch.compile (also with a second threshold, which Dynamo makes symbolic),
gradients at infinity and with respect to a learnable threshold.

References: live PyWavelets on the same data, and the formulas written out in float64
NumPy (complex128), with thresholds rounded as the docstrings say. tests/test_rules.py
covers the ordinary cases; nothing here repeats it.
"""

from __future__ import annotations

import itertools
import warnings
from fractions import Fraction
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import pywt
from _support import counting_dask_computes, from_numpy, half_dtypes, round_to, to_numpy

from arrayshrink import (
    AsymmetricSoftshrink,
    Threshold,
    ThresholdFirm,
    asymmetric_softshrink,
    softshrink,
    threshold,
    threshold_firm,
)

MODES = ["soft", "hard", "garrote", "greater", "less"]
INF, NAN = float("inf"), float("nan")

# One call of each rule, on real input.
RULES = {
    "soft": lambda x: threshold(x, 1.0, "soft", -4.0),
    "hard": lambda x: threshold(x, 1.0, "hard", -4.0),
    "garrote": lambda x: threshold(x, 1.0, "garrote", -4.0),
    "greater": lambda x: threshold(x, 1.0, "greater", -4.0),
    "less": lambda x: threshold(x, 1.0, "less", -4.0),
    "firm": lambda x: threshold_firm(x, 1.0, 2.5),
    "firm_inf": lambda x: threshold_firm(x, 1.0, INF),
    "asymmetric": lambda x: asymmetric_softshrink(x, -0.5, 1.5),
}


def _pywt(function: Any, *args: Any) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyWavelets' own 0/0 and inf * 0
        return np.asarray(function(*args))


_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7}


def _assert_close(
    got: Any, expected: np.ndarray, x: np.ndarray, ulps: float = 4, dtype: str | None = None
) -> None:
    """Equal, or within ``ulps`` ulp of |x| (of ``dtype``, else the dtype of ``got``);
    NaN where expected."""
    got = to_numpy(got)
    wide = got.astype(np.complex128 if np.iscomplexobj(got) else np.float64)
    expected = np.asarray(expected).astype(wide.dtype)
    real = got.real.dtype if np.iscomplexobj(got) else got.dtype
    eps = _EPS[dtype] if dtype in _EPS else float(np.finfo(real).eps)
    scale = np.where(np.isfinite(np.abs(x)), np.abs(x), 0.0).astype(np.float64)
    with np.errstate(invalid="ignore"):
        error = np.abs(wide - expected)
    both_nan = np.isnan(wide) & np.isnan(expected)
    ok = (wide == expected) | both_nan | (error <= ulps * eps * scale)
    assert np.all(ok), [(x[i], wide[i], expected[i]) for i in np.flatnonzero(~ok)[:5]]


# --- special values in x and in every argument ------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_special_substitutes_are_pywavelets(xp: ModuleType, mode: str) -> None:
    x = np.asarray([-3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, NAN, INF, -INF])
    for substitute in (NAN, INF, -INF, -0.0, 1e300):
        out = threshold(from_numpy(xp, x), 1.0, mode, substitute)
        _assert_close(out, _pywt(pywt.threshold, x, 1.0, mode, substitute), x)


@pytest.mark.parametrize("mode", MODES)
def test_negative_zero_value(xp: ModuleType, mode: str) -> None:
    # -0.0 is a valid threshold of every mode: soft, hard and garrote keep x (the
    # documented limit; PyWavelets gives NaN at x = 0), greater and less compare with 0.
    x = np.asarray([-2.0, -0.0, 0.0, 1e-300, 3.0, NAN, -INF])
    out = to_numpy(threshold(from_numpy(xp, x), -0.0, mode, 7.0))
    expected = x if mode in ("soft", "hard", "garrote") else _pywt(pywt.threshold, x, 0.0, mode, 7)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.backend("numpy")
def test_number_types_act_as_floats() -> None:
    x = np.asarray([-2.0, -0.5, 0.0, 0.25, 0.75, 3.0])
    for mode in MODES:
        expected = threshold(x, 0.5, mode, 2.0)
        for value in (np.float32(0.5), Fraction(1, 2), np.float16(0.5)):
            np.testing.assert_array_equal(threshold(x, value, mode, 2.0), expected)
        for substitute in (np.float32(2.0), np.uint8(2), Fraction(2), 2):
            np.testing.assert_array_equal(threshold(x, 0.5, mode, substitute), expected)
    np.testing.assert_array_equal(threshold(x, np.int64(1), "hard"), threshold(x, 1.0, "hard"))
    np.testing.assert_array_equal(
        threshold_firm(x, np.float32(0.5), Fraction(5, 2)), threshold_firm(x, 0.5, 2.5)
    )
    np.testing.assert_array_equal(
        asymmetric_softshrink(x, np.int8(-1), np.float32(0.5)), asymmetric_softshrink(x, -1, 0.5)
    )


_HUGE = 10**400  # a Python int beyond every float


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: threshold(x, _HUGE), "value"),
        (lambda x: threshold(x, _HUGE, "greater"), "value"),
        (lambda x: threshold(x, 1.0, "hard", _HUGE), "substitute"),
        (lambda x: threshold(x, 1.0, "hard", -_HUGE), "substitute"),
        (lambda x: threshold_firm(x, _HUGE, _HUGE), "value_low"),
        (lambda x: asymmetric_softshrink(x, -_HUGE), "lower"),
        (lambda x: Threshold(_HUGE), "value"),
        (lambda x: Threshold(_HUGE, "less"), "value"),
        (lambda x: ThresholdFirm(_HUGE, _HUGE), "value_low"),
        (lambda x: AsymmetricSoftshrink(-_HUGE), "lower"),
        (lambda x: AsymmetricSoftshrink(0.0, _HUGE), "upper"),
    ],
)
def test_huge_integers_raise_naming_the_argument(call: Any, name: str) -> None:
    # Not an OverflowError("int too large to convert to float") that names nothing.
    with pytest.raises(ValueError, match=name):
        call(np.asarray([1.0, -2.0]))


def test_huge_integer_value_high_is_infinite(xp: ModuleType) -> None:
    # value_high may be inf; an int beyond every float is soft thresholding too, not
    # an OverflowError ("int too large to convert to float") that names nothing.
    x = from_numpy(xp, np.asarray([0.5, 1.5, -3.0, 1e300]))
    expected = to_numpy(threshold_firm(x, 1.0, INF))
    np.testing.assert_array_equal(to_numpy(threshold_firm(x, 1.0, _HUGE)), expected)


# --- shapes, scalars and NumPy's odd arrays ---------------------------------------------


def test_zero_d_and_empty_keep_shape_dtype_library(xp: ModuleType) -> None:
    cases = [(np.asarray(-3.0), "float32"), (np.zeros((0, 3)), "float64")]
    for rule, (data, dtype) in itertools.product(RULES, cases):
        x = from_numpy(xp, data.astype(dtype))
        out = RULES[rule](x)
        assert type(out) is type(x)
        assert out.dtype == x.dtype
        assert tuple(out.shape) == data.shape
        expected = _reference(rule, data.astype(np.float64))
        np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-6, err_msg=rule)


def test_empty_input_with_a_value_per_column(xp: ModuleType) -> None:
    x = from_numpy(xp, np.zeros((0, 3)))
    value = from_numpy(xp, np.asarray([0.5, 1.0, 2.0]))
    for mode in ("soft", "hard", "garrote"):
        out = threshold(x, value, mode, 9.0)
        assert tuple(out.shape) == (0, 3)
        assert out.dtype == x.dtype


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("scalar", [np.float16(-1.5), np.float32(2.5), np.float64(0.25)])
def test_numpy_scalar_in_numpy_scalar_out(scalar: Any) -> None:
    for rule, call in RULES.items():
        out = call(scalar)
        assert type(out) is type(scalar), rule
        expected = _reference(rule, np.asarray(scalar, dtype=np.float64))
        np.testing.assert_allclose(out, expected, rtol=2e-3, err_msg=rule)
    z = np.complex64(1.5 + 2j)
    for mode in ("soft", "hard", "garrote"):
        assert type(threshold(z, 1.0, mode)) is np.complex64
    assert type(threshold_firm(z, 1.0, 2.0)) is np.complex64


@pytest.mark.backend("numpy")
def test_unsupported_inputs_raise_naming_x() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        matrix = np.matrix([[0.5, 3.0]])
    inputs = [
        matrix,
        np.ma.masked_array([0.5, 3.0], [0, 1]),
        np.arange(3),
        np.asarray([True, False]),
        1.5,
        [1.0, 2.0],
    ]
    for x in inputs:
        for call in RULES.values():
            with pytest.raises(TypeError, match=r"\(\): x "):
                call(x)


@pytest.mark.backend("numpy")
@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(
            rule,
            marks=pytest.mark.xfail(
                np.lib.NumpyVersion(np.__version__) >= "2.0.0",
                reason="softshrink (which soft mode is) reaches np.clip through "
                "array-api-compat, which with NumPy 2 refuses non-native byte order: a "
                "known limitation of the shrink family, not of threshold",
                strict=True,
            ),
        )
        if rule == "soft"
        else rule
        for rule in RULES
    ],
)
def test_big_endian_input(rule: str) -> None:
    # PyWavelets takes any byte order; "soft" and asymmetric_softshrink reach np.clip
    # through array-api-compat, which refuses '>f8' with casting='no'.
    native = np.asarray([-3.0, -0.75, 0.0, 0.5, 1.25, 2.0, NAN, INF])
    swapped = native.astype(">f8")
    np.testing.assert_array_equal(RULES[rule](swapped), RULES[rule](native))


@pytest.mark.skip_xp_backend("jax", reason="immutable arrays")
@pytest.mark.skip_xp_backend("dask", reason="immutable arrays")
def test_output_never_aliases_x(xp: ModuleType) -> None:
    x = from_numpy(xp, np.asarray([0.0, 1.5, -2.0, 0.25]))
    calls = [*RULES.values(), lambda x: threshold(x, 0.0), lambda x: threshold_firm(x, 0, 0)]
    for call in calls:
        out = call(x)
        assert out is not x
        if isinstance(x, np.ndarray):
            assert not np.shares_memory(out, x)
        elif hasattr(x, "data_ptr"):
            assert out.data_ptr() != x.data_ptr()


def test_value_from_another_library_is_named_value(torch: ModuleType) -> None:
    # The message names threshold's argument, not softshrink's ("lambd").
    x = torch.asarray([1.0, -2.0], dtype=torch.float64)
    value = np.asarray([1.0, 1.0])
    with pytest.raises(TypeError, match=r"threshold\(\): value is a NumPy array"):
        threshold(x, value, "garrote")
    with pytest.raises(TypeError, match=r"value is a NumPy array"):
        Threshold(value, "hard")(x)


def test_value_on_another_device(torch: ModuleType) -> None:
    x = torch.asarray([1.0, -2.0])
    with pytest.raises(ValueError, match=r"threshold\(\): value is on device meta"):
        threshold(x, torch.ones(2, device="meta"), "garrote")


# --- references ---------------------------------------------------------------------------


def _firm(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """threshold_firm from its three cases, in float64 or complex128."""
    magnitude = np.abs(x)
    with np.errstate(all="ignore"):
        if np.isinf(high):
            middle = x * (1 - low / magnitude)
        else:
            middle = x / magnitude * high * (magnitude - low) / (high - low)
    out = np.where(magnitude <= low, 0, np.where(magnitude > high, x, middle))
    return np.where(np.isnan(magnitude), np.nan, out)


def _reference(rule: str, x: np.ndarray) -> np.ndarray:
    """Each rule of RULES in float64 NumPy."""
    if rule in ("soft", "hard", "garrote", "greater", "less"):
        # PyWavelets' soft mode fails on 0-d input (ndarray.clip with out=).
        return _pywt(pywt.threshold, np.atleast_1d(x), 1.0, rule, -4.0).reshape(x.shape)
    if rule == "firm":
        return _firm(x, 1.0, 2.5)
    if rule == "firm_inf":
        return _firm(x, 1.0, INF)
    out = np.where(x < -0.5, x + 0.5, np.where(x > 1.5, x - 1.5, 0.0))
    return np.where(np.isnan(x), np.nan, out)


def _half_data() -> np.ndarray:
    rng = np.random.default_rng(7)
    edges = [0.7, -0.7, 0.3, 2.3, -2.3, 1.0, 0.0, -0.0, 6e4, -6e4, 1e-2, NAN, INF, -INF]
    return np.concatenate([rng.standard_normal(300) * 2, edges])


def _half_rules(name: str) -> dict[str, tuple[Any, Any]]:
    """Each rule, with its float64 reference (thresholds rounded as documented)."""

    def rounded(v: float) -> float:
        return float(round_to(np.asarray(v), name)[()])

    single = float(np.float32(0.7))  # soft computes 16-bit input in float32
    return {
        "soft": (lambda x: threshold(x, 0.7), lambda x: _pywt(pywt.threshold, x, single)),
        "hard": (
            lambda x: threshold(x, 0.7, "hard", 9.0),
            lambda x: _pywt(pywt.threshold, x, rounded(0.7), "hard", 9.0),
        ),
        "garrote": (
            lambda x: threshold(x, 0.7, "garrote"),
            lambda x: _pywt(pywt.threshold, x, rounded(0.7), "garrote"),
        ),
        "greater": (
            lambda x: threshold(x, 0.3, "greater", -1.0),
            lambda x: _pywt(pywt.threshold, x, rounded(0.3), "greater", -1.0),
        ),
        "firm": (lambda x: threshold_firm(x, 0.7, 2.3), lambda x: _firm(x, 0.7, 2.3)),
        "asymmetric": (
            lambda x: asymmetric_softshrink(x, -0.7, 0.3),
            lambda x: np.where(
                x < rounded(-0.7),
                x - rounded(-0.7),
                np.where(x > rounded(0.3), x - rounded(0.3), 0.0),
            ),
        ),
    }


def _half_array(xp: ModuleType, data: np.ndarray, name: str) -> Any:
    """``data`` (already representable) as a 16-bit array of ``xp`` (Dask's namespace
    has no float16 attribute: NumPy's dtype is passed on)."""
    if name == "float16":
        return from_numpy(xp, data.astype(np.float16))
    return from_numpy(xp, data.astype(np.float32), dtype=xp.bfloat16)


@pytest.mark.skip_xp_backend("array_api_strict", reason="no float16 dtype")
def test_half_precision(xp: ModuleType) -> None:
    """float16 and bfloat16: the dtype kept, within 2 ulp of |x| of the exact result."""
    for name, rule in itertools.product(half_dtypes(xp), _half_rules("float16")):
        data = np.asarray(round_to(_half_data(), name), dtype=np.float64)
        x = _half_array(xp, data, name)
        function, reference = _half_rules(name)[rule]
        out = function(x)
        assert out.dtype == x.dtype
        expected = reference(data)
        if rule == "asymmetric":
            expected = np.where(np.isnan(data), np.nan, expected)
        _assert_close(out, round_to(expected, name), data, ulps=2, dtype=name)


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("rule", ["soft", "hard", "garrote", "greater", "firm", "asymmetric"])
def test_numpy_bfloat16(rule: str) -> None:
    """NumPy arrays of ml_dtypes.bfloat16, which softshrink takes (README), for every
    rule: garrote and firm ask NumPy's isdtype about the dtype, asymmetric_softshrink
    np.clip, and both raise an internal TypeError."""
    import ml_dtypes

    data = np.asarray(round_to(_half_data(), "bfloat16"), dtype=np.float64)
    x = data.astype(ml_dtypes.bfloat16)
    function, reference = _half_rules("bfloat16")[rule]
    out = function(x)
    assert out.dtype == x.dtype
    expected = reference(data)
    if rule == "asymmetric":
        expected = np.where(np.isnan(data), np.nan, expected)
    _assert_close(out, round_to(expected, "bfloat16"), data, ulps=2, dtype="bfloat16")


@pytest.mark.skip_xp_backend("array_api_strict", reason="no float16 dtype")
def test_half_soft_substitute_same_for_scalar_and_array_value(xp: ModuleType) -> None:
    # The soft mode rounds a 16-bit input's threshold to float32 (as softshrink); an
    # entry strictly inside that dead zone must get the substitute whether the
    # threshold is a Python float or a 0-d array. float16(0.1) < float32(0.1).
    # Python float: the mask compares in float16 (no substitute at +-0.1); a 0-d float32
    # array: NumPy, JAX and Dask promote the comparison to float32 (substitute), torch not.
    x = from_numpy(xp, np.asarray([0.1, -0.1, 0.05, 0.2], dtype=np.float16))
    by_number = to_numpy(threshold(x, 0.1, "soft", 9.0))
    by_array = to_numpy(threshold(x, from_numpy(xp, np.asarray(0.1, np.float32)), "soft", 9.0))
    np.testing.assert_array_equal(by_number, by_array)


@pytest.mark.skip_xp_backend("jax", reason="XLA compiles every op per dtype (seconds)")
def test_random_data_is_pywavelets(xp: ModuleType) -> None:
    """Thresholds that no binary float holds (0.3, 0.7), a substitute, every mode."""
    cases = [("float32", 0.3), ("complex128", 0.7), *[(d, 0.7) for d in half_dtypes(xp)[:1]]]
    for dtype, value in cases:
        rng = np.random.default_rng(3)
        data = rng.standard_normal(64) * 2
        if dtype.startswith("complex"):
            data = data + 1j * rng.standard_normal(64) * 2
        data = data.astype(dtype)
        modes = MODES if not dtype.startswith("complex") else ["soft", "hard", "garrote"]
        for mode in modes:
            out = threshold(from_numpy(xp, data), value, mode, -1.25)
            assert out.dtype == from_numpy(xp, data).dtype
            # PyWavelets in the dtype itself: a Python float value is cast to it.
            _assert_close(out, _pywt(pywt.threshold, data, value, mode, -1.25), data, ulps=3)
        firm = threshold_firm(from_numpy(xp, data), value, 2.0)
        _assert_close(firm, _pywt(pywt.threshold_firm, data, value, 2.0), data, ulps=4)


# --- complex --------------------------------------------------------------------------------

_INFINITE_PARTS = [complex(0, INF), complex(INF, INF), complex(1, -INF), complex(INF, 0)]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda z: threshold(z, 1.0, "soft"), id="soft"),
        pytest.param(lambda z: threshold(z, 1.0, "hard"), id="hard"),
        pytest.param(lambda z: threshold(z, 1.0, "garrote"), id="garrote"),
        pytest.param(lambda z: threshold(z, 0.0, "garrote"), id="garrote-0"),
        pytest.param(lambda z: threshold_firm(z, 1.0, 2.0), id="firm"),
        pytest.param(lambda z: threshold_firm(z, 1.0, INF), id="firm-inf"),
    ],
)
def test_complex_infinite_parts_are_kept(xp: ModuleType, call: Any) -> None:
    # "NaN stays NaN; +-inf is kept": an infinite modulus is above every threshold and
    # every factor is 1 there. No NaN may appear in a part, and NumPy may not warn.
    z = np.asarray([*_INFINITE_PARTS, 3 + 4j], dtype=np.complex64)
    out = to_numpy(call(from_numpy(xp, z)))
    np.testing.assert_array_equal(out[:-1], z[:-1])


@pytest.mark.xfail(
    reason="the modulus of complex64 is computed in float32 and overflows to inf beyond "
    "its largest value (softshrink's complex formula too): a known limitation of the "
    "complex rules",
    strict=True,
)
@pytest.mark.parametrize("mode", ["soft", "garrote"])
def test_complex64_modulus_beyond_the_dtype(xp: ModuleType, mode: str) -> None:
    # |z| = 4.2e38 > float32's largest value, both parts finite: abs() overflows to
    # inf and the entry is returned unchanged instead of shrunk (garrote: halved).
    z = np.asarray([3e38 + 3e38j, 2.5e38 - 2.5e38j], dtype=np.complex64)
    value = float(np.float32(3e38))
    out = to_numpy(threshold(from_numpy(xp, z), value, mode))
    expected = _pywt(pywt.threshold, z.astype(np.complex128), value, mode)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_complex_substitute_beyond_the_dtype(xp: ModuleType) -> None:
    # A real substitute beyond float32 raises; a complex one must too (not overflow
    # to inf, with NumPy's RuntimeWarning).
    z = from_numpy(xp, np.asarray([0.5 + 0j, 3.0 + 0j], dtype=np.complex64))
    with pytest.raises(ValueError, match=r"substitute .* outside the range of float32"):
        threshold(z, 1.0, "hard", complex(1e39, 0))


# --- warnings -------------------------------------------------------------------------------


def test_value_high_beyond_the_dtype_is_soft(xp: ModuleType) -> None:
    # value_high may be inf; 1e39 > float32's largest value acts the same, silently
    # (NumPy warned "overflow encountered in cast" comparing with it).
    x = from_numpy(xp, np.asarray([0.5, 1.5, -3.0, 3e38, INF], dtype=np.float32))
    expected = to_numpy(threshold_firm(x, 1.0, INF))
    np.testing.assert_array_equal(to_numpy(threshold_firm(x, 1.0, 1e39)), expected)


def test_asymmetric_overflow_gives_infinity(xp: ModuleType) -> None:
    # Both bounds positive: x - lower moves x away from 0 and may exceed the dtype.
    # TF Addons (and torch, JAX) give -inf; NumPy's subtraction warns that it overflowed,
    # as documented (the value is right: the exact result is beyond float32).
    x = from_numpy(xp, np.asarray([-3.4e38, 3.4e38, 1.0], dtype=np.float32))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
        out = to_numpy(asymmetric_softshrink(x, 3e38, 3e38))
    big, bound = np.float32(3.4e38), np.float32(3e38)
    expected = np.asarray([-INF, big - bound, np.float32(1.0) - bound], np.float32)
    np.testing.assert_array_equal(out, expected)


# --- Dask -----------------------------------------------------------------------------------


def test_dask_stays_lazy(da: ModuleType) -> None:
    data = np.asarray([0.0, 0.5, -1.5, 2.0, 3.0, NAN, INF])
    x = da.from_array(data, chunks=3)
    good = da.from_array(np.full(7, 1.0), chunks=2)
    bad = da.from_array(np.asarray([1.0, -1.0, NAN, 1.0, 1.0, 1.0, 1.0]), chunks=2)
    with counting_dask_computes() as computes:
        outputs = [call(x) for call in RULES.values()]
        outputs += [threshold(x, good, mode, 7.0) for mode in ("soft", "hard", "garrote")]
        outputs += [threshold(x, bad, mode, 7.0) for mode in ("soft", "hard", "garrote")]
        outputs += [Threshold(good, "garrote")(x), ThresholdFirm(0.5, 2)(x)]
        assert computes == []
    for out in outputs:
        assert isinstance(out, da.Array)
    for out in outputs[-5:-2]:  # an invalid lazy threshold gives NaN where it is invalid
        np.testing.assert_array_equal(
            np.isnan(out.compute()), np.isnan(data) | [0, 1, 1, 0, 0, 0, 0]
        )


@pytest.mark.parametrize("rule", list(RULES))
def test_dask_unknown_chunk_sizes(da: ModuleType, rule: str) -> None:
    # After boolean indexing (softshrink's docstring: handled lazily too).
    data = np.asarray([0.5, 1.5, -3.0, NAN, 2.0, 4.0])
    base = da.from_array(data, chunks=2)
    x = base[base > 0]
    assert np.isnan(x.shape[0])
    out = RULES[rule](x)
    _assert_close(out, _reference(rule, data[data > 0]), data[data > 0])


# --- JAX ------------------------------------------------------------------------------------


def test_jit_with_a_traced_value(jax: ModuleType) -> None:
    import jax.numpy as jnp

    data = np.asarray([0.0, 0.5, -1.5, 2.0, 3.0, NAN, INF, -1e300])
    x = jnp.asarray(data)
    jitted = jax.jit(threshold, static_argnames=("mode", "substitute"))
    for mode in ("soft", "hard", "garrote"):
        eager = np.asarray(threshold(x, 1.0, mode, -2.0))
        got = jitted(x, jnp.asarray(1.0), mode=mode, substitute=-2.0)
        _assert_close(got, eager, data, ulps=1)
        # An invalid traced threshold cannot raise: NaN everywhere instead.
        assert np.all(np.isnan(np.asarray(jitted(x, jnp.asarray(-1.0), mode=mode))))
    for rule in ("greater", "firm", "firm_inf", "asymmetric"):  # XLA fuses: 1 ulp
        _assert_close(jax.jit(RULES[rule])(x), np.asarray(RULES[rule](x)), data, ulps=1)


@pytest.mark.parametrize("mode", ["soft", "garrote"])
def test_learnable_threshold_gradient(torch: ModuleType, jax: ModuleType, mode: str) -> None:
    import jax.numpy as jnp

    data = np.asarray([[0.5, 1.5, -3.0, 0.8], [2.0, -0.2, 4.0, -1.2]])
    rows = np.asarray([[0.7], [1.3]])
    x = torch.asarray(data)
    value = torch.asarray(rows, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: threshold(x, v, mode, 2.0), (value,))
    (expected,) = torch.autograd.grad(threshold(x, value, mode).sum(), value)
    if mode == "soft":  # JAX's soft mode is softshrink's kernel, with its own derivative
        grad = jax.grad(lambda v: jnp.sum(threshold(jnp.asarray(data), v, mode)))
        np.testing.assert_allclose(np.asarray(grad(jnp.asarray(rows))), expected.numpy())
    # A rule object holding a learnable tensor passes its gradient on.
    rule = Threshold(value, mode)
    rule(x).sum().backward()
    np.testing.assert_allclose(value.grad.numpy(), expected.numpy(), rtol=1e-14)


# --- torch ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["soft", "garrote", "firm", "firm_inf"])
def test_gradient_is_finite_at_infinity(torch: ModuleType, rule: str) -> None:
    # "Gradients (torch, JAX) are finite everywhere": the derivative at +-inf is 1
    # (as softshrink's); x * d(factor)/dx must not make inf * 0 = NaN there.
    x = torch.tensor([INF, -INF, 1e308, 3.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(RULES[rule](x).sum(), x)
    np.testing.assert_array_equal(grad.numpy()[:3], [1.0, 1.0, 1.0])


# Each case: a call with a float v, which Dynamo makes symbolic (a SymFloat) with
# dynamic=True, and by default from the second value on.
COMPILED = {
    "soft value": lambda x, v: threshold(x, v, "soft"),
    "garrote value": lambda x, v: threshold(x, v, "garrote"),
    "greater value": lambda x, v: threshold(x, v, "greater"),
    "less value": lambda x, v: threshold(x, v, "less"),
    "substitute": lambda x, v: threshold(x, 1.0, "garrote", v),
    "firm value_low": lambda x, v: threshold_firm(x, v, 2.5),
    "firm value_high": lambda x, v: threshold_firm(x, 0.5, v),
    "asymmetric bounds": lambda x, v: asymmetric_softshrink(x, -v, v),
}


@pytest.mark.parametrize("case", list(COMPILED))
def test_torch_compile_fullgraph_symbolic_float(torch: ModuleType, case: str) -> None:
    """torch.compile(fullgraph=True) with a symbolic float argument, which softshrink
    documents ("one graph serves every value"): math.isfinite(SymFloat) and float() of
    a 0-d tensor break the graph. (By default the second value of a float does the
    same as dynamic=True here.)"""
    torch._dynamo.reset()
    function = COMPILED[case]
    compiled = torch.compile(function, fullgraph=True, backend="eager", dynamic=True)
    x = torch.tensor([0.0, 0.5, -1.5, 2.0, 3.0, NAN, INF], dtype=torch.float64)
    try:
        got, expected = compiled(x, 2.0), function(x, 2.0)
        torch.testing.assert_close(got, expected, equal_nan=True, rtol=0, atol=0)
    finally:
        torch._dynamo.reset()


def test_torch_compile_fullgraph_constant_arguments(torch: ModuleType) -> None:
    # Constant (specialised) thresholds, the rule objects' included.
    x = torch.tensor([0.0, 0.5, -1.5, 2.0, 3.0, NAN, INF], dtype=torch.float64)
    calls = [*RULES.values(), Threshold(1.0, "garrote", 2.0), ThresholdFirm(1.0, 2.0)]
    calls += [AsymmetricSoftshrink(-1.0, 2.0), lambda x: threshold(torch.complex(x, -x), 1.0)]

    def every_rule(x: Any) -> list[Any]:
        return [call(x) for call in calls]

    torch._dynamo.reset()
    try:
        compiled = torch.compile(every_rule, fullgraph=True, backend="eager")
        torch.testing.assert_close(compiled(x), every_rule(x), equal_nan=True, rtol=0, atol=0)
    finally:
        torch._dynamo.reset()


def test_soft_mode_is_softshrink_on_halves(torch: ModuleType) -> None:
    x = torch.linspace(-3, 3, 101, dtype=torch.float16)
    for dtype in (torch.float16, torch.bfloat16):
        y = x.to(dtype)
        assert torch.equal(threshold(y, 0.3), softshrink(y, 0.3))

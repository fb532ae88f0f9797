"""threshold, threshold_firm and asymmetric_softshrink: the rules of PyWavelets and
TensorFlow Addons on every backend.

References: live PyWavelets (pywt.threshold, pywt.threshold_firm) on the same float64
data, ties, NaN and infinities included; TensorFlow Addons' softshrink formula written
out in float64 NumPy (its nested where selections, NaN excepted); softshrink and
hardshrink themselves where a rule reduces to them; torch's gradcheck and JAX's
gradients against torch's.
"""

from __future__ import annotations

import pickle
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import pywt
from _support import from_numpy, to_numpy

from arrayshrink import (
    AsymmetricSoftshrink,
    Threshold,
    ThresholdFirm,
    asymmetric_softshrink,
    hardshrink,
    softshrink,
    threshold,
    threshold_firm,
)

MODES = ["soft", "hard", "garrote", "greater", "less"]
VALUE = 2.0


def _data(dtype: str = "float64") -> np.ndarray:
    """Random values and every edge: ties at +-VALUE, 0, +-inf, NaN, tiny and huge."""
    rng = np.random.default_rng(0)
    info = np.finfo(dtype)
    edges = [VALUE, -VALUE, 0.0, -0.0, np.inf, -np.inf, np.nan, info.tiny, -info.max, 1.0, 3.0]
    return np.concatenate([rng.standard_normal(200) * 3, edges]).astype(dtype)


def _pywt(function: Any, *args: Any) -> np.ndarray:
    with np.errstate(all="ignore"):  # 0/0 and inf/inf inside PyWavelets
        return np.asarray(function(*args))


def _close(got: Any, expected: np.ndarray, x: np.ndarray, ulps: float = 4) -> None:
    """Equal to rounding: a few ulp of x (PyWavelets computes x (1 - v/|x|), which
    rounds differently from x - v), NaN where expected."""
    got = to_numpy(got)
    eps = np.finfo(got.dtype).eps if np.isrealobj(got) else np.finfo(got.real.dtype).eps
    scale = np.where(np.isfinite(x), np.abs(x), 0.0)
    with np.errstate(invalid="ignore"):
        error = np.abs(got - expected)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    assert np.all(same | (error <= ulps * eps * scale)), np.flatnonzero(~same)


# --- threshold against PyWavelets --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("substitute", [0, -7.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threshold_is_pywavelets(xp: ModuleType, mode: str, substitute: float, dtype: str) -> None:
    x = _data(dtype)
    out = threshold(from_numpy(xp, x), VALUE, mode, substitute)
    assert out.dtype == getattr(xp, dtype)
    assert tuple(out.shape) == x.shape
    expected = _pywt(pywt.threshold, x, VALUE, mode, substitute)
    if mode in ("hard", "greater", "less"):  # selections: exact
        np.testing.assert_array_equal(to_numpy(out), expected)
    else:
        _close(out, expected, x)


@pytest.mark.parametrize("mode", ["soft", "hard", "garrote"])
@pytest.mark.parametrize("substitute", [0, 1 - 1j])
def test_complex_threshold_is_pywavelets(xp: ModuleType, mode: str, substitute: complex) -> None:
    rng = np.random.default_rng(1)
    z = (rng.standard_normal(200) + 1j * rng.standard_normal(200)) * 2
    z = np.concatenate([z, [VALUE + 0j, 0j, -VALUE * 1j, 1.2 + 1.6j]])  # |z| = 2: ties
    out = threshold(from_numpy(xp, z), VALUE, mode, substitute)
    expected = _pywt(pywt.threshold, z, VALUE, mode, substitute)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-14, atol=1e-15)


def test_ties_are_pywavelets_not_torch(xp: ModuleType) -> None:
    # |x| = value is kept by PyWavelets' hard mode and zeroed by torch's hardshrink.
    x = from_numpy(xp, np.asarray([-2.0, -1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(to_numpy(threshold(x, 2.0, "hard")), [-2.0, 0.0, 2.0, 3.0])
    np.testing.assert_array_equal(to_numpy(hardshrink(x, 2.0)), [0.0, 0.0, 0.0, 3.0])
    # soft and garrote give 0 at the tie, and the substitute only strictly below.
    np.testing.assert_array_equal(to_numpy(threshold(x, 2.0, "soft", 9)), [0.0, 9.0, 0.0, 1.0])
    garrote = to_numpy(threshold(x, 2.0, "garrote", 9))
    np.testing.assert_allclose(garrote, [0.0, 9.0, 0.0, 3.0 - 4.0 / 3.0], rtol=1e-15)


def test_soft_mode_is_softshrink(xp: ModuleType) -> None:
    x = from_numpy(xp, _data())
    np.testing.assert_array_equal(to_numpy(threshold(x, VALUE)), to_numpy(softshrink(x, VALUE)))


def test_zero_value_keeps_x(xp: ModuleType) -> None:
    # PyWavelets gives NaN at x = 0 for soft and garrote (0/0); the limit is x.
    x = np.asarray([0.0, -1.5, 2.0])
    for mode in ("soft", "hard", "garrote"):
        np.testing.assert_array_equal(to_numpy(threshold(from_numpy(xp, x), 0.0, mode)), x)


def test_garrote_neither_overflows_nor_underflows(xp: ModuleType) -> None:
    x = np.asarray([1e300, -1e-300, 1e-150, 3e200])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = to_numpy(threshold(from_numpy(xp, x), 1e200, "garrote"))
    with np.errstate(over="ignore"):
        expected = x * np.maximum(0.0, 1 - (1e200 / np.abs(x)) ** 2)
    np.testing.assert_allclose(out, expected, rtol=1e-15)


def test_greater_and_less_take_any_sign(xp: ModuleType) -> None:
    x = np.asarray([-3.0, -1.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        to_numpy(threshold(from_numpy(xp, x), -1.0, "greater")), pywt.threshold(x, -1.0, "greater")
    )
    np.testing.assert_array_equal(
        to_numpy(threshold(from_numpy(xp, x), -1.0, "less", 5)), pywt.threshold(x, -1.0, "less", 5)
    )


def test_value_per_row(xp: ModuleType) -> None:
    x = np.random.default_rng(2).standard_normal((3, 8)) * 2
    value = np.asarray([[0.5], [1.0], [2.0]])
    out = to_numpy(threshold(from_numpy(xp, x), from_numpy(xp, value), "hard"))
    np.testing.assert_array_equal(out, np.where(np.abs(x) < value, 0.0, x))


def test_garrote_alias(xp: ModuleType) -> None:
    x = from_numpy(xp, _data())
    np.testing.assert_array_equal(
        to_numpy(threshold(x, 1.0, "garotte")), to_numpy(threshold(x, 1.0, "garrote"))
    )


# --- threshold_firm ---------------------------------------------------------------------


@pytest.mark.parametrize(("low", "high"), [(1.0, 3.0), (0.5, 0.6), (2.0, 2.0)])
def test_firm_is_pywavelets(xp: ModuleType, low: float, high: float) -> None:
    x = _data()
    out = threshold_firm(from_numpy(xp, x), low, high)
    expected = _pywt(pywt.threshold_firm, x, low, high)
    if low == high:  # PyWavelets: 0/0 = NaN at |x| = value_low; the rule (and limit) is 0
        expected[np.abs(x) == low] = 0.0
    _close(out, expected, x)


def test_firm_limits(xp: ModuleType) -> None:
    x = _data()
    # value_low = 0 at x = 0: 0 (PyWavelets: NaN).
    out = to_numpy(threshold_firm(from_numpy(xp, np.asarray([0.0, 1.0, 3.0])), 0.0, 2.0))
    np.testing.assert_allclose(out, [0.0, 1.0, 3.0])
    # value_high = inf: soft thresholding (PyWavelets: NaN, inf/inf).
    soft = threshold_firm(from_numpy(xp, x), VALUE, np.inf)
    _close(soft, to_numpy(softshrink(from_numpy(xp, x), VALUE)), x)


def test_firm_complex_keeps_the_phase(xp: ModuleType) -> None:
    z = np.asarray([0.3 + 0.4j, 1.2 + 1.6j, 3.0 + 4.0j])  # moduli 0.5, 2, 5
    out = to_numpy(threshold_firm(from_numpy(xp, z), 1.0, 3.0))
    np.testing.assert_allclose(out, _pywt(pywt.threshold_firm, z, 1.0, 3.0), rtol=1e-14)


# --- asymmetric_softshrink --------------------------------------------------------------


def _tfa(x: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """TensorFlow Addons' formula: x - lower below lower, x - upper above upper."""
    return np.where(x < lower, x - lower, np.where(x > upper, x - upper, 0.0))


@pytest.mark.parametrize(("lower", "upper"), [(-0.5, 0.5), (-2.0, 1.0), (0.5, 1.5), (-1, -1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_asymmetric_is_tensorflow_addons(
    xp: ModuleType, lower: float, upper: float, dtype: str
) -> None:
    x = _data(dtype)
    out = asymmetric_softshrink(from_numpy(xp, x), lower, upper)
    assert out.dtype == getattr(xp, dtype)
    expected = _tfa(x, np.asarray(lower, dtype), np.asarray(upper, dtype))
    expected[np.isnan(x)] = np.nan  # where TF Addons' selections lose NaN
    np.testing.assert_array_equal(to_numpy(out), expected)


def test_symmetric_bounds_are_softshrink(xp: ModuleType) -> None:
    x = from_numpy(xp, _data())
    np.testing.assert_array_equal(
        to_numpy(asymmetric_softshrink(x, -1.5, 1.5)), to_numpy(softshrink(x, 1.5))
    )


# --- errors and inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: threshold(x, 1.0, "medium"), ValueError, r"mode must be one of .*'medium'"),
        (lambda x: threshold(x, 1.0, None), TypeError, r"mode must be a string"),
        (lambda x: threshold(x, -1.0), ValueError, r"threshold\(\): value must be in"),
        (lambda x: threshold(x, float("nan"), "hard"), ValueError, r"value must be"),
        (lambda x: threshold(x, float("inf"), "less"), ValueError, r"value must be finite"),
        (lambda x: threshold(x, "1"), TypeError, r"value must be a real number"),
        (lambda x: threshold(x, 1.0, substitute=1j), TypeError, r"substitute 1j is complex"),
        (lambda x: threshold(x, 1.0, substitute=True), TypeError, r"substitute must be"),
        (lambda x: threshold_firm(x, 2.0, 1.0), ValueError, r"value_low=2.0, value_high=1.0"),
        (lambda x: threshold_firm(x, -1.0, 1.0), ValueError, r"value_low must be in"),
        (lambda x: threshold_firm(x, 0.5, float("nan")), ValueError, r"value_high must be >="),
        (lambda x: asymmetric_softshrink(x, 1.0, -1.0), ValueError, r"lower=1.0, upper=-1.0"),
        (lambda x: asymmetric_softshrink(x, float("nan")), ValueError, r"lower must be finite"),
        (lambda x: asymmetric_softshrink(x, upper=None), TypeError, r"upper must be a real"),
    ],
)
def test_bad_arguments_raise_naming_them(
    xp: ModuleType, call: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        call(from_numpy(xp, np.asarray([1.0, -2.0])))


def test_order_needs_real_input(xp: ModuleType) -> None:
    z = from_numpy(xp, np.asarray([1.0 + 1j]))
    with pytest.raises(ValueError, match=r"mode 'greater' needs real x"):
        threshold(z, 1.0, "greater")
    with pytest.raises(TypeError, match=r"asymmetric_softshrink\(\): x must be real"):
        asymmetric_softshrink(z)


def test_bounds_beyond_the_dtype_raise(xp: ModuleType) -> None:
    x = from_numpy(xp, np.asarray([1.0], dtype=np.float32))
    with pytest.raises(ValueError, match=r"upper must be finite and within .*float32"):
        asymmetric_softshrink(x, 0.0, 1e39)
    with pytest.raises(ValueError, match=r"substitute 1e\+39 is outside the range of float32"):
        threshold(x, 1.0, substitute=1e39)


@pytest.mark.eager_only(reason="mutation is checked on concrete arrays")
def test_inputs_are_not_modified(xp: ModuleType) -> None:
    data = _data()
    x = from_numpy(xp, data)
    for call in (
        lambda: threshold(x, 1.0, "garrote", 3.0),
        lambda: threshold_firm(x, 1.0, 2.0),
        lambda: asymmetric_softshrink(x, -1.0, 2.0),
    ):
        call()
        np.testing.assert_array_equal(to_numpy(x), data)


def test_numpy_scalar_in_numpy_scalar_out() -> None:
    out = threshold(np.float32(3.0), 1.0, "garrote")
    assert isinstance(out, np.float32)
    np.testing.assert_allclose(out, 3.0 - 1.0 / 3.0, rtol=1e-6)
    assert isinstance(asymmetric_softshrink(np.float64(2.0)), np.float64)


# --- gradients --------------------------------------------------------------------------

RULES = {
    "soft": lambda x: threshold(x, 1.0, "soft"),
    "garrote": lambda x: threshold(x, 1.0, "garrote"),
    "hard": lambda x: threshold(x, 1.0, "hard"),
    "firm": lambda x: threshold_firm(x, 1.0, 2.5),
    "asymmetric": lambda x: asymmetric_softshrink(x, -0.5, 1.5),
}
# Away from every kink (+-0.5, +-1, 1.5, +-2.5), and at them.
SMOOTH = [-3.0, -2.0, -1.7, -0.7, -0.2, 0.3, 0.8, 1.2, 1.8, 2.2, 3.5]
KINKS = [-1.0, -0.5, 1.0, 1.5]


@pytest.mark.parametrize("rule", list(RULES))
def test_torch_gradcheck(torch: ModuleType, rule: str) -> None:
    x = torch.tensor(SMOOTH, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(RULES[rule], (x,))
    assert torch.autograd.gradgradcheck(RULES[rule], (x,))


@pytest.mark.parametrize("rule", list(RULES))
def test_torch_gradient_is_finite_and_zero_in_the_dead_zone(torch: ModuleType, rule: str) -> None:
    x = torch.tensor([0.0, 0.2, -0.3, *KINKS], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(RULES[rule](x).sum(), x)
    assert bool(torch.all(torch.isfinite(grad)))
    assert grad[0] == 0  # x = 0 is removed by every rule


def test_asymmetric_gradient_is_zero_at_the_bounds(torch: ModuleType, jax: ModuleType) -> None:
    import jax.numpy as jnp

    points = [-0.5, 1.5, -0.6, 1.6]
    expected = [0.0, 0.0, 1.0, 1.0]
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(asymmetric_softshrink(x, -0.5, 1.5).sum(), x)
    np.testing.assert_array_equal(grad.numpy(), expected)
    jax_grad = jax.grad(lambda v: jnp.sum(asymmetric_softshrink(v, -0.5, 1.5)))
    np.testing.assert_array_equal(np.asarray(jax_grad(jnp.asarray(points))), expected)


@pytest.mark.parametrize("rule", list(RULES))
def test_jax_gradient_equals_torch(torch: ModuleType, jax: ModuleType, rule: str) -> None:
    import jax.numpy as jnp

    points = SMOOTH + KINKS + [0.0]
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(RULES[rule](x).sum(), x)
    got = jax.grad(lambda v: jnp.sum(RULES[rule](v)))(jnp.asarray(points))
    np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-14)


# --- the classes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "function"),
    [
        (lambda: Threshold(1.0, "garrote", -2.0), lambda x: threshold(x, 1.0, "garrote", -2.0)),
        (lambda: Threshold(-1.0, "less"), lambda x: threshold(x, -1.0, "less")),
        (lambda: ThresholdFirm(0.5, 2.0), lambda x: threshold_firm(x, 0.5, 2.0)),
        (lambda: AsymmetricSoftshrink(-1.0, 0.25), lambda x: asymmetric_softshrink(x, -1.0, 0.25)),
    ],
)
def test_classes_call_their_function(xp: ModuleType, rule: Any, function: Any) -> None:
    x = from_numpy(xp, _data())
    np.testing.assert_array_equal(to_numpy(rule()(x)), to_numpy(function(x)))


def test_classes_repr_compare_and_pickle() -> None:
    rules = [Threshold(2.0, "hard"), ThresholdFirm(1, np.inf), AsymmetricSoftshrink(-1, 0.5)]
    assert repr(rules[0]) == "Threshold(value=2.0, mode='hard', substitute=0)"
    assert repr(rules[1]) == "ThresholdFirm(value_low=1.0, value_high=inf)"
    assert repr(rules[2]) == "AsymmetricSoftshrink(lower=-1.0, upper=0.5)"
    for rule in rules:
        copy = pickle.loads(pickle.dumps(rule))
        assert copy == rule
        assert hash(copy) == hash(rule)
    assert Threshold(2.0, "hard") != Threshold(2.0, "soft")
    assert Threshold(2.0, "garotte").mode == "garrote"
    assert (rules[1].value_low, rules[2].upper) == (1.0, 0.5)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Threshold(-1.0), ValueError, r"Threshold\(\): value must be"),
        (lambda: Threshold(1.0, "medium"), ValueError, r"mode must be one of"),
        (lambda: Threshold(float("inf"), "greater"), ValueError, r"value must be finite"),
        (lambda: Threshold(1.0, substitute="0"), TypeError, r"substitute must be a number"),
        (lambda: ThresholdFirm(2.0, 1.0), ValueError, r"value_low=2.0, value_high=1.0"),
        (lambda: ThresholdFirm(-1.0, 1.0), ValueError, r"0 <= value_low"),
        (lambda: AsymmetricSoftshrink(1.0, 0.0), ValueError, r"lower=1.0, upper=0.0"),
        (lambda: AsymmetricSoftshrink(None), TypeError, r"lower must be a real number"),
    ],
)
def test_classes_check_at_construction(build: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        build()


def test_the_plotted_rules_are_the_references() -> None:
    from _support import load_example

    example = load_example("plot_thresholding")
    x = np.linspace(-4.0, 4.0, 161)
    rules = example.rules()
    np.testing.assert_array_equal(
        rules['threshold(x, 1, "hard") (PyWavelets: kept)'][0](x), pywt.threshold(x, 1.0, "hard")
    )
    _close(rules['threshold(x, 1, "garrote")'][0](x), _pywt(pywt.threshold, x, 1.0, "garrote"), x)
    _close(rules["threshold_firm(x, 1, 2.5)"][0](x), _pywt(pywt.threshold_firm, x, 1.0, 2.5), x)
    np.testing.assert_array_equal(
        rules["asymmetric_softshrink(x, -0.5, 1.5)"][0](x), _tfa(x, -0.5, 1.5)
    )

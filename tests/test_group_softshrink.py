"""group_softshrink: the block formula on every backend, gradients, edges and errors.

References: the formula x * max(0, 1 - lambd / ||x_g||) in float64 NumPy
(np.linalg.norm), softshrink for groups of one element, torch's gradcheck and JAX's
gradient against torch's.
"""

from __future__ import annotations

import pickle
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import from_numpy, to_numpy

import arrayshrink
from arrayshrink import GroupSoftshrink, group_softshrink, softshrink


def reference(x: np.ndarray, lambd: Any, axis: Any) -> np.ndarray:
    """The block formula in float64 (complex128), from NumPy's own norm."""
    wide = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    norm = (
        np.linalg.norm(wide.reshape(wide.shape), axis=axis, keepdims=True)
        if not isinstance(axis, tuple)
        else np.sqrt(np.sum(np.abs(wide) ** 2, axis=axis, keepdims=True))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norm > lambd, 1 - lambd / np.where(norm > 0, norm, 1), 0.0)
    return wide * scale


@pytest.mark.parametrize(
    ("shape", "axis"),
    [((7,), -1), ((4, 5), -1), ((4, 5), 0), ((3, 4, 5), (0, 2)), ((3, 4, 5), (-1, -2))],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_equals_the_block_formula(xp: ModuleType, shape: tuple, axis: Any, dtype: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    x[0] = 0.0  # a zero group or a zero in each group
    out = group_softshrink(from_numpy(xp, x), 1.5, axis=axis)
    assert out.dtype == getattr(xp, dtype)
    assert tuple(out.shape) == shape
    tol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(to_numpy(out), reference(x, 1.5, axis), rtol=tol, atol=tol)


def test_one_threshold_per_group(xp: ModuleType) -> None:
    x = np.random.default_rng(1).standard_normal((4, 6))
    lambd = np.asarray([[0.0], [1.0], [2.0], [10.0]])
    out = group_softshrink(from_numpy(xp, x), from_numpy(xp, lambd), axis=-1)
    np.testing.assert_allclose(to_numpy(out), reference(x, lambd, -1), rtol=1e-13)
    np.testing.assert_array_equal(to_numpy(out)[0], x[0])  # lambd = 0: unchanged
    np.testing.assert_array_equal(to_numpy(out)[3], 0.0)  # lambd above every norm


def test_groups_of_one_element_are_exactly_softshrink(xp: ModuleType) -> None:
    x = from_numpy(xp, np.linspace(-3, 3, 61).reshape(61, 1))
    expected = to_numpy(softshrink(x, 0.7))
    np.testing.assert_array_equal(to_numpy(group_softshrink(x, 0.7, axis=-1)), expected)
    np.testing.assert_array_equal(to_numpy(group_softshrink(x, 0.7, axis=())), expected)


def test_complex_shrinks_the_modulus_and_keeps_each_phase(xp: ModuleType) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    out = to_numpy(group_softshrink(from_numpy(xp, x), 1.0))
    np.testing.assert_allclose(out, reference(x, 1.0, -1), rtol=1e-13, atol=1e-15)


def test_huge_tiny_nan_and_inf(xp: ModuleType) -> None:
    huge = from_numpy(xp, np.asarray([3e300, 4e300]))
    np.testing.assert_allclose(to_numpy(group_softshrink(huge, 1e300)), [2.4e300, 3.2e300])
    tiny = from_numpy(xp, np.asarray([3e-300, 4e-300]))  # squares underflow to 0
    np.testing.assert_array_equal(to_numpy(group_softshrink(tiny, 0.0)), to_numpy(tiny))
    special = from_numpy(xp, np.asarray([[np.nan, 1.0], [np.inf, 1.0], [0.0, 0.0]]))
    out = to_numpy(group_softshrink(special, 0.5))
    assert np.isnan(out[0]).all()  # NaN makes the whole group NaN
    np.testing.assert_array_equal(out[1], [np.inf, 1.0])  # an infinite norm: unchanged
    np.testing.assert_array_equal(out[2], [0.0, 0.0])
    # inf beside a huge value: the group's norm is inf, and no square overflows (the
    # suite turns a NumPy overflow warning into an error).
    beside = from_numpy(xp, np.asarray([np.inf, 1e300]))
    np.testing.assert_array_equal(to_numpy(group_softshrink(beside, 0.5)), [np.inf, 1e300])


@pytest.mark.skip_xp_backend("array_api_strict", reason="no float16 dtype")
def test_float16_norm_does_not_overflow(xp: ModuleType) -> None:
    x = xp.asarray(np.asarray([300.0, 400.0], dtype=np.float16))  # 300**2 overflows
    out = group_softshrink(x, 100.0)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(to_numpy(out), np.asarray([240.0, 320.0], dtype=np.float16))


def test_input_is_not_modified(xp: ModuleType) -> None:
    x = np.asarray([[3.0, 4.0], [1.0, 0.0]])
    data = from_numpy(xp, x)
    group_softshrink(data, 1.0)
    np.testing.assert_array_equal(to_numpy(data), x)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lambd": -1.0}, ValueError, "lambd"),
        ({"lambd": float("nan")}, ValueError, "lambd"),
        ({"axis": 2}, ValueError, "axis 2 is out of range"),
        ({"axis": (0, -2)}, ValueError, "repeats an axis"),
        ({"axis": 0.5}, TypeError, "axis must be an int or a tuple"),
        ({"axis": True}, TypeError, "axis must be an int or a tuple"),
        ({"lambd": np.ones((3, 1))}, ValueError, "does not broadcast to the shape"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    x = np.ones((2, 3))
    with pytest.raises(error, match=match):
        group_softshrink(x, **{"lambd": 0.5, **kwargs})


def test_integer_input_and_mixed_libraries_raise(xp: ModuleType) -> None:
    with pytest.raises(TypeError, match="floating dtype"):
        group_softshrink(xp.asarray([1, 2, 3]))
    if xp.__name__ != "numpy" and "numpy" not in xp.__name__:
        with pytest.raises(TypeError, match="lambd"):
            group_softshrink(xp.asarray([1.0, 2.0]), np.asarray([0.5]))


def test_numpy_scalar_in_numpy_scalar_out() -> None:
    out = group_softshrink(np.float64(3.0), 1.0)  # a 0-d input is a group of one
    assert type(out) is np.float64
    assert out == 2.0
    assert group_softshrink(np.asarray(-3.0), 1.0, axis=()).shape == ()


def test_class_builds_checks_and_pickles() -> None:
    shrink = GroupSoftshrink(1.0, axis=0)
    assert repr(shrink) == "GroupSoftshrink(lambd=1.0, axis=0)"
    assert pickle.loads(pickle.dumps(shrink)) == shrink
    assert shrink != GroupSoftshrink(1.0, axis=1)
    assert shrink != arrayshrink.Softshrink(1.0)
    x = np.asarray([[3.0, 0.3], [4.0, 0.4]])
    np.testing.assert_array_equal(shrink(x), group_softshrink(x, 1.0, axis=0))
    with pytest.raises(ValueError, match="lambd"):
        GroupSoftshrink(-1.0)
    with pytest.raises(TypeError, match="axis"):
        GroupSoftshrink(1.0, axis="rows")  # type: ignore[arg-type]


def test_torch_gradients(torch: ModuleType) -> None:
    x = torch.tensor([[3.0, 4.0], [0.3, 0.4], [1.0, -2.0]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: group_softshrink(t, 1.0), (x,))
    assert torch.autograd.gradgradcheck(lambda t: group_softshrink(t, 1.0), (x,))
    lambd = torch.tensor([[1.0], [0.1], [0.5]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t, threshold: group_softshrink(t, threshold), (x, lambd))
    zero = torch.zeros((2, 3), dtype=torch.float64, requires_grad=True)
    group_softshrink(zero, 0.5).sum().backward()
    assert torch.equal(zero.grad, torch.zeros_like(zero))  # 0 and finite at a zero group


def test_jax_gradient_equals_torch(jax: ModuleType) -> None:
    torch = pytest.importorskip("torch")
    x = np.asarray([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0], [1.0, -2.0]])
    weights = np.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])

    def loss(t: Any) -> Any:
        return (group_softshrink(t, 1.0) * jax.numpy.asarray(weights)).sum()

    grad = np.asarray(jax.grad(loss)(jax.numpy.asarray(x)))
    xt = torch.tensor(x, requires_grad=True)
    (group_softshrink(xt, 1.0) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.isfinite(grad).all()
    jitted = jax.jit(lambda t: group_softshrink(t, 1.0))(jax.numpy.asarray(x))
    np.testing.assert_allclose(np.asarray(jitted), reference(x, 1.0, -1), rtol=1e-13)

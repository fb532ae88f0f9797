"""Differential tests against torch itself, the reference for values and errors."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from _support import to_numpy

import arrayshrink

# torch is the reference of every test here, and the library under test of all but the
# JAX one: those run in the torch session only (the `torch` fixture deselects them
# elsewhere), the JAX one in the JAX session, which installs torch beside JAX.
torch = pytest.importorskip("torch")
F = torch.nn.functional
under_test = pytest.mark.usefixtures("torch")

HALVES = ["float16", "bfloat16"]
LAMBDAS = [0.5, 0.3, 0.0, 1000.1, 0.1]


def _all_bit_patterns(name: str) -> object:
    bits = np.arange(2**16, dtype=np.uint16).view(np.int16)
    return torch.from_numpy(bits.copy()).view(getattr(torch, name))


def _same_values(actual: object, expected: object) -> None:
    """Equal values element for element; zero signs and NaN payloads are not compared."""
    np.testing.assert_array_equal(to_numpy(actual), to_numpy(expected))


@under_test
@pytest.mark.parametrize("name", HALVES)
@pytest.mark.parametrize("lambd", LAMBDAS)
def test_exhaustive_half_against_torch(name: str, lambd: float) -> None:
    x = _all_bit_patterns(name)
    _same_values(arrayshrink.softshrink(x, lambd), F.softshrink(x, lambd))
    _same_values(arrayshrink.hardshrink(x, lambd), F.hardshrink(x, lambd))


@under_test
def test_exhaustive_float16_on_numpy_against_torch() -> None:
    """The same 65,536 inputs on NumPy give torch's values too."""
    x = _all_bit_patterns("float16")
    expected = to_numpy(F.softshrink(x, 0.3))
    with np.errstate(invalid="ignore"):  # signalling NaN patterns
        np.testing.assert_array_equal(arrayshrink.softshrink(to_numpy(x), 0.3), expected)


@pytest.mark.parametrize("name", HALVES)
def test_exhaustive_half_on_jax_against_torch(jax: ModuleType, name: str) -> None:
    """The same 65,536 inputs on JAX give torch's values (torch is the reference here)."""
    jnp = jax.numpy
    x = _all_bit_patterns(name)
    expected = to_numpy(F.softshrink(x, 0.3))
    x_jax = jnp.asarray(np.asarray(x.view(torch.int16).numpy())).view(getattr(jnp, name))
    out = np.asarray(arrayshrink.softshrink(x_jax, 0.3)).astype(np.float32)
    normal = np.abs(expected) >= np.finfo(np.float32).smallest_normal  # XLA flushes the rest
    np.testing.assert_array_equal(out[normal], expected[normal])


@under_test
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("lambd", LAMBDAS)
def test_random_and_edge_values_against_torch(dtype: str, lambd: float) -> None:
    rng = np.random.default_rng(42)
    info = np.finfo(dtype)
    lam = float(np.asarray(lambd, dtype=dtype))
    edges = [
        0.0,
        -0.0,
        lam,
        -lam,
        np.nextafter(lam, 0),
        -np.nextafter(lam, 9),
        np.inf,
        -np.inf,
        np.nan,
        float(info.smallest_subnormal),
        -float(info.tiny),
        float(info.max),
        -float(info.max),
    ]
    values = np.concatenate(
        [rng.standard_normal(10_000) * 2, rng.uniform(-2, 2, 1000) * lambd, edges]
    )
    x = torch.from_numpy(values.astype(dtype))
    _same_values(arrayshrink.softshrink(x, lambd), F.softshrink(x, lambd))
    _same_values(arrayshrink.hardshrink(x, lambd), F.hardshrink(x, lambd))
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(
        to_numpy(arrayshrink.tanhshrink(x)), to_numpy(F.tanhshrink(x)), rtol=4 * eps, atol=4 * eps
    )


@under_test
def test_tanhshrink_half_against_torch() -> None:
    for name in HALVES:
        x = _all_bit_patterns(name)
        finite = torch.isfinite(x)
        eps = float(torch.finfo(x.dtype).eps)
        np.testing.assert_allclose(
            to_numpy(arrayshrink.tanhshrink(x[finite])),
            to_numpy(F.tanhshrink(x[finite])),
            rtol=eps,
            atol=eps,
        )


@under_test
def test_non_contiguous_and_zero_d_against_torch() -> None:
    base = torch.randn(6, 8, generator=torch.Generator().manual_seed(0)) * 2
    for x in (base.T, base[:, ::3], base[1:, 2:].flip(1), base[2, 3]):
        _same_values(arrayshrink.softshrink(x, 0.4), F.softshrink(x, 0.4))
        assert arrayshrink.softshrink(x, 0.4).shape == x.shape


@under_test
@pytest.mark.parametrize("lambd", [float("nan"), float("inf"), -1.0, 3.5e38])
def test_torch_rejects_the_same_thresholds(lambd: float) -> None:
    x = torch.zeros(0)
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        F.softshrink(x, lambd)
    with pytest.raises(ValueError, match="lambd must be in the range"):
        arrayshrink.softshrink(x, lambd)


@under_test
def test_half_bound_matches_torch() -> None:
    x = torch.zeros(1, dtype=torch.float16)
    with pytest.raises(RuntimeError, match=r"\[0, 65504\]"):
        F.softshrink(x, 70000.0)
    with pytest.raises(ValueError, match=r"\[0, 65504\]"):
        arrayshrink.softshrink(x, 70000.0)
    _same_values(arrayshrink.softshrink(x + 1, 65504.0), F.softshrink(x + 1, 65504.0))


@under_test
def test_requires_grad_input_is_not_modified() -> None:
    x = torch.tensor([1.0, -2.0, 0.1], requires_grad=True)
    before = x.detach().clone()
    out = arrayshrink.softshrink(x, 0.5)
    assert out.requires_grad
    assert torch.equal(x.detach(), before)


@under_test
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_cuda_matches_cpu_torch() -> None:
    for name in HALVES:
        x = _all_bit_patterns(name)
        out = arrayshrink.softshrink(x.cuda(), 0.3)
        assert out.device.type == "cuda"
        _same_values(out, F.softshrink(x, 0.3))
    x = torch.randn(100_000, dtype=torch.float64) * 3
    _same_values(arrayshrink.softshrink(x.cuda(), 0.7), F.softshrink(x, 0.7))

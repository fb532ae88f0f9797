"""Complex input: the modulus shrinks, the phase is kept (torch rejects complex)."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from _support import hard_reference, soft_reference, to_numpy
from array_api_extra.testing import assert_equal, lazy_xp_function

from arrayshrink import hardshrink, softshrink, tanhshrink

lazy_xp_function(softshrink)
lazy_xp_function(hardshrink)
lazy_xp_function(tanhshrink)

COMPLEX = ["complex64", "complex128"]


@pytest.mark.parametrize("dtype", COMPLEX)
def test_axes_are_exact(xp: ModuleType, dtype: str) -> None:
    """On the real and imaginary axes the result is exactly the real softshrink."""
    real_dtype = "float32" if dtype == "complex64" else "float64"
    rng = np.random.default_rng(5)
    values = (rng.standard_normal(500) * 4).astype(real_dtype)
    lam = 0.3
    lam_r = float(np.asarray(lam, dtype=real_dtype))
    exact = soft_reference(values, lam_r).astype(real_dtype)  # one rounding of x -/+ lambd
    on_real = xp.asarray(values.astype(dtype))
    on_imag = xp.asarray((1j * values).astype(dtype))
    out_real = to_numpy(softshrink(on_real, lam))
    out_imag = to_numpy(softshrink(on_imag, lam))
    np.testing.assert_array_equal(out_real.real, exact)
    np.testing.assert_array_equal(out_real.imag, np.zeros_like(exact))
    np.testing.assert_array_equal(out_imag.imag, exact)
    np.testing.assert_array_equal(out_imag.real, np.zeros_like(exact))


def test_minus_two_is_exactly_minus_one_and_a_half(xp: ModuleType) -> None:
    out = to_numpy(softshrink(xp.asarray([complex(-2)], dtype=xp.complex128), 0.5))
    assert out[0].real == -1.5
    assert out[0].imag == 0.0


@pytest.mark.parametrize("dtype", COMPLEX)
def test_general_values_within_a_few_ulp(xp: ModuleType, dtype: str) -> None:
    rng = np.random.default_rng(6)
    z = (rng.standard_normal(4000) + 1j * rng.standard_normal(4000)) * 3
    z = z.astype(dtype)
    lam = 0.5
    expected = soft_reference(z, lam)  # complex128 polar form
    out = to_numpy(softshrink(xp.asarray(z), lam)).astype(np.complex128)
    eps = np.finfo("float32" if dtype == "complex64" else "float64").eps
    # Away from the boundary |z| = lambd, where the problem itself is ill-conditioned.
    modulus = np.abs(z.astype(np.complex128))
    away = np.abs(modulus - lam) > 0.05
    error = np.abs(out - expected)[away] / np.abs(z)[away]
    assert error.max() <= 8 * eps
    assert np.all(out[modulus <= lam] == 0)
    # The phase is kept (checked where the result is not tiny: near |z| = lambd the
    # output is a small difference and its phase error grows as |z| / (|z| - lambd)).
    kept = modulus > 2 * lam
    np.testing.assert_allclose(np.angle(out[kept]), np.angle(z[kept]), rtol=0, atol=8 * eps)


def test_special_values(xp: ModuleType) -> None:
    z = np.asarray(
        [
            complex(np.inf, 0),
            complex(-np.inf, 2),
            complex(np.nan, 0),
            complex(0, np.nan),
            complex(3, 4),
            0j,
            complex(0.3, 0.3),
        ],
        dtype=np.complex128,
    )
    out = to_numpy(softshrink(xp.asarray(z), 1.0))
    assert out[0] == complex(np.inf, 0)
    assert np.isinf(out[1].real)
    assert out[1].real < 0
    assert np.isnan(out[2])
    assert np.isnan(out[3])
    np.testing.assert_allclose(out[4], complex(2.4, 3.2), rtol=1e-15)
    assert out[5] == 0
    assert out[6] == 0


@pytest.mark.parametrize("dtype", COMPLEX)
def test_hardshrink_keeps_large_moduli(xp: ModuleType, dtype: str) -> None:
    rng = np.random.default_rng(8)
    z = (rng.standard_normal(300) + 1j * rng.standard_normal(300)).astype(dtype)
    z = np.concatenate([z, np.asarray([complex(np.nan, 1), complex(0.3, 0.3)], dtype=dtype)])
    expected = hard_reference(z, 0.5).astype(dtype)
    assert_equal(hardshrink(xp.asarray(z), 0.5), xp.asarray(expected))


def test_tanhshrink_complex(xp: ModuleType) -> None:
    rng = np.random.default_rng(9)
    z = (rng.standard_normal(200) + 1j * rng.standard_normal(200)).astype(np.complex128)
    out = to_numpy(tanhshrink(xp.asarray(z)))
    np.testing.assert_allclose(out, z - np.tanh(z), rtol=1e-12, atol=1e-14)


def test_array_threshold_with_complex_input(xp: ModuleType) -> None:
    z = np.asarray([[3 + 4j, -2 + 0j], [0.1j, 1 + 1j]], dtype=np.complex128)
    lam = np.asarray([1.0, 0.5])
    out = softshrink(xp.asarray(z), xp.asarray(lam))
    np.testing.assert_allclose(to_numpy(out), soft_reference(z, lam), rtol=1e-14)

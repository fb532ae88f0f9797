"""Property tests: identities that hold for every input, checked with hypothesis."""

from __future__ import annotations

from types import ModuleType

import numpy as np
from _support import as_computed_by, flush_tolerance, to_numpy
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arrayshrink

finite = st.floats(
    allow_nan=False, allow_infinity=False, width=64, min_value=-1e300, max_value=1e300
)
arrays = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=6), elements=finite
)
any_float = hnp.arrays(
    np.float64, hnp.array_shapes(max_dims=2, max_side=6), elements=st.floats(width=64)
)
thresholds = st.floats(min_value=0.0, max_value=1e10, allow_nan=False)


# These tests call through the package (not lazily patched globals): hypothesis draws
# many examples, and the lazy wrappers recompile for each new shape.


@given(x=any_float)
def test_zero_threshold_is_identity(xp: ModuleType, x: np.ndarray) -> None:
    out = to_numpy(arrayshrink.softshrink(xp.asarray(x), 0.0))
    np.testing.assert_array_equal(out, as_computed_by(xp, x))


@given(x=any_float, lambd=thresholds)
def test_magnitude_never_grows_and_sign_is_kept(
    xp: ModuleType, x: np.ndarray, lambd: float
) -> None:
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
        out = to_numpy(func(xp.asarray(x), lambd))
        defined = ~np.isnan(x)
        assert np.all(np.abs(out[defined]) <= np.abs(x[defined]))
        assert np.all((np.sign(out) == np.sign(x))[defined] | (out[defined] == 0))
        np.testing.assert_array_equal(np.isnan(out), np.isnan(x))


@given(x=arrays, lambd=thresholds)
def test_moreau_decomposition(xp: ModuleType, x: np.ndarray, lambd: float) -> None:
    """prox of lambd*|.| plus projection onto [-lambd, lambd] gives back x (Moreau):
    softshrink(x) + clip(x, -lambd, lambd) == x, up to the rounding of x - lambd."""
    prox = to_numpy(arrayshrink.softshrink(xp.asarray(x), lambd))
    projection = np.clip(x, -lambd, lambd)
    np.testing.assert_allclose(
        prox + projection, x, rtol=2 * np.finfo(np.float64).eps, atol=flush_tolerance(xp)
    )
    # The prox is firmly non-expansive: it is 1-Lipschitz between any two points.
    if x.size >= 2:
        flat_x, flat_p = x.ravel(), prox.ravel()
        assert abs(flat_p[0] - flat_p[1]) <= abs(flat_x[0] - flat_x[1]) * (1 + 1e-15)


@given(x=arrays, lambd=thresholds)
def test_prox_optimality(xp: ModuleType, x: np.ndarray, lambd: float) -> None:
    """p = softshrink(x) minimizes 0.5 (p - x)^2 + lambd |p|: x - p is in lambd * d|p|."""
    p = to_numpy(arrayshrink.softshrink(xp.asarray(x), lambd))
    residual = x - p
    tol = 4 * np.finfo(np.float64).eps * np.maximum(np.abs(x), 1)
    nonzero = p != 0
    np.testing.assert_allclose(
        residual[nonzero], lambd * np.sign(p[nonzero]), rtol=0, atol=tol.max()
    )
    assert np.all(np.abs(residual[~nonzero]) <= lambd + tol[~nonzero])


@given(x=any_float, lambd=thresholds)
def test_hardshrink_keeps_or_zeroes(xp: ModuleType, x: np.ndarray, lambd: float) -> None:
    out = to_numpy(arrayshrink.hardshrink(xp.asarray(x), lambd))
    kept = np.abs(x) > lambd
    np.testing.assert_array_equal(out[kept], as_computed_by(xp, x)[kept])
    assert np.all(out[~kept & ~np.isnan(x)] == 0)

"""Lazy and traced backends: Dask stays lazy, JAX works under jit and vmap."""

from __future__ import annotations

from types import ModuleType

import numpy as np
from _support import hard_reference, soft_reference

import arrayshrink


def test_dask_stays_lazy_and_keeps_chunks(da: ModuleType) -> None:
    import dask

    x_np = np.linspace(-3, 3, 1000).reshape(40, 25)
    x = da.from_array(x_np, chunks=(10, 5))
    lam = da.from_array(np.full(25, 0.5), chunks=5)

    def forbid(*args: object, **kwargs: object) -> None:
        raise AssertionError("arrayshrink computed a Dask graph")

    with dask.config.set(scheduler=forbid):
        results = [
            arrayshrink.softshrink(x, 0.5),
            arrayshrink.hardshrink(x, 0.5),
            arrayshrink.tanhshrink(x),
            arrayshrink.softshrink(x, lam),
        ]
    for out in results:
        assert isinstance(out, da.Array)
        assert out.chunks == x.chunks
    np.testing.assert_array_equal(results[0].compute(), soft_reference(x_np, 0.5))
    np.testing.assert_array_equal(results[1].compute(), hard_reference(x_np, 0.5))
    np.testing.assert_array_equal(results[3].compute(), soft_reference(x_np, 0.5))


def test_dask_invalid_array_threshold_gives_nan_not_a_compute(da: ModuleType) -> None:
    x = da.from_array(np.asarray([1.0, 2.0, 3.0, -4.0]), chunks=2)
    lam = da.from_array(np.asarray([0.5, -1.0, np.nan, 0.5]), chunks=2)
    out = arrayshrink.softshrink(x, lam).compute()
    np.testing.assert_array_equal(out, [0.5, np.nan, np.nan, -3.5])
    out = arrayshrink.hardshrink(x, lam).compute()
    np.testing.assert_array_equal(out, [1.0, np.nan, np.nan, -4.0])


def test_jax_jit_vmap_and_traced_threshold(jax: ModuleType) -> None:
    jnp = jax.numpy
    x_np = np.linspace(-2, 2, 12).reshape(3, 4)
    x = jnp.asarray(x_np)
    jitted = jax.jit(arrayshrink.softshrink)
    np.testing.assert_array_equal(jitted(x, 0.5), soft_reference(x_np, 0.5))
    # A traced threshold: one compilation serves every value.
    np.testing.assert_array_equal(jitted(x, jnp.asarray(0.25)), soft_reference(x_np, 0.25))
    # vmap over rows, with a per-row threshold.
    lams = jnp.asarray([0.1, 0.5, 1.0])
    out = jax.vmap(arrayshrink.softshrink)(x, lams)
    expected = soft_reference(x_np, np.asarray([[0.1], [0.5], [1.0]]))
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    out = jax.vmap(arrayshrink.hardshrink, in_axes=(0, None))(x, 0.5)
    np.testing.assert_array_equal(out, hard_reference(x_np, 0.5))
    np.testing.assert_allclose(jax.jit(arrayshrink.tanhshrink)(x), x_np - np.tanh(x_np))


def test_jax_float32_stays_float32_under_jit(jax: ModuleType) -> None:
    x = jax.numpy.asarray([1.0, -2.0], dtype=jax.numpy.float32)
    assert jax.jit(arrayshrink.softshrink)(x, 0.5).dtype == jax.numpy.float32


def test_jax_invalid_traced_threshold_gives_nan(jax: ModuleType) -> None:
    jnp = jax.numpy
    x = jnp.asarray([1.0, 2.0, 3.0])
    out = jax.jit(arrayshrink.softshrink)(x, jnp.asarray([0.5, -1.0, jnp.nan]))
    np.testing.assert_array_equal(out, [0.5, np.nan, np.nan])


def test_jax_jit_lower_precision_threshold_checked_against_the_bound(jax: ModuleType) -> None:
    """float64's largest value is inf in float32: a float32 inf is still invalid for
    float64 input under jit (NaN), and a float32 threshold of float64's range is not."""
    jnp = jax.numpy
    x = jnp.asarray([1.0, 2.0, -3.0], dtype=jnp.float64)
    lam = jnp.asarray([jnp.inf, 0.5, 3.4e38], dtype=jnp.float32)
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
        out = np.asarray(jax.jit(func)(x, lam))
        assert np.isnan(out[0])
        assert out[2] == 0.0  # 3.4e38 is a valid float32 threshold for float64 input
    np.testing.assert_array_equal(np.asarray(jax.jit(arrayshrink.softshrink)(x, lam))[1], 1.5)


def test_torch_func_invalid_threshold_gives_nan(torch: ModuleType) -> None:
    """Inside a torch.func transform tensor values cannot be read: an invalid row
    threshold gives a NaN row, the others are computed."""
    rows = torch.tensor([[1.0, -2.0], [3.0, 0.1], [-1.0, 2.0]], dtype=torch.float64)
    lams = torch.tensor([0.5, -1.0, float("nan")], dtype=torch.float64)
    for func, reference in (
        (arrayshrink.softshrink, soft_reference),
        (arrayshrink.hardshrink, hard_reference),
    ):
        out = torch.func.vmap(func)(rows, lams).numpy()
        np.testing.assert_array_equal(out[0], reference(rows[0].numpy(), 0.5))
        assert np.isnan(out[1:]).all()

"""Every native and fast path gives exactly what the generic Array API path gives."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from _support import SPECIAL, to_numpy

import arrayshrink
from arrayshrink import _agnostic

LAMBDAS = [0.0, 0.3, 1, 0.5, 3.4e38]


def _same(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal values with NaN in the same places, and the same sign on every zero.

    Zero signs are compared on NumPy 2 only: on NumPy 1.x the generic path runs
    array_api_compat's own clip, which returns +0.0 for -0.0 where NumPy's keeps -0.0.
    (The sign of a zero result is not part of arrayshrink's contract.)
    """
    np.testing.assert_array_equal(actual, expected)
    if int(np.__version__.split(".")[0]) >= 2:
        finite = ~np.isnan(expected)
        np.testing.assert_array_equal(np.signbit(actual[finite]), np.signbit(expected[finite]))


def _numpy_inputs(dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    big = rng.standard_normal(300_007).astype(dtype)  # several blocks, and a ragged end
    big[::1000] = np.nan
    big[1::1000] = np.inf
    big[2::1000] = -np.inf
    grid = rng.standard_normal((301, 257)).astype(dtype)
    readonly = np.asarray(SPECIAL, dtype=dtype)
    readonly.flags.writeable = False
    return [
        np.asarray(SPECIAL, dtype=dtype),
        big,
        grid,
        np.asfortranarray(grid),
        grid[:, ::3],
        grid[::-2],
        np.asarray(2.5, dtype=dtype),
        np.empty((0, 3), dtype=dtype),
        readonly,
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softshrink", "hardshrink"])
def test_numpy_fast_path_equals_generic(dtype: str, name: str) -> None:
    import array_api_compat.numpy as xp

    from arrayshrink._backends import _numpy

    fast = getattr(_numpy, f"fast_{name}")
    generic = getattr(_agnostic, name)
    for x in _numpy_inputs(dtype):
        before = x.copy()
        for lambd in LAMBDAS:
            if lambd > np.finfo(dtype).max:
                assert fast(x, lambd) is None
                continue
            out = fast(x, lambd)
            assert type(out) is np.ndarray  # 0-d input included: not a NumPy scalar
            assert out.dtype == x.dtype
            assert out.shape == x.shape
            _same(out, np.asarray(generic(x, float(np.asarray(lambd, dtype=dtype)), xp=xp)))
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_fast_tanhshrink_equals_generic(dtype: str) -> None:
    import array_api_compat.numpy as xp

    from arrayshrink._backends import _numpy

    for x in _numpy_inputs(dtype):
        before = x.copy()
        out = _numpy.fast_tanhshrink(x)
        assert type(out) is np.ndarray
        assert out.dtype == x.dtype
        assert out.shape == x.shape
        _same(out, np.asarray(_agnostic.tanhshrink(x, xp=xp)))
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    "x",
    [
        np.zeros(3, dtype=np.float16),
        np.zeros(3, dtype=np.complex128),
        np.zeros(3, dtype=np.int64),
        np.zeros(3).view(np.matrix),
        [0.5],
    ],
)
def test_numpy_fast_tanhshrink_declines_what_it_does_not_handle(x: Any) -> None:
    from arrayshrink._backends import _numpy

    assert _numpy.fast_tanhshrink(x) is None


@pytest.mark.parametrize(
    "case",
    [
        (np.zeros(3, dtype=np.float16), 0.5),
        (np.zeros(3, dtype=np.complex128), 0.5),
        (np.zeros(3), -1.0),
        (np.zeros(3), math.nan),
        (np.zeros(3), math.inf),
        (np.zeros(3), True),
        (np.zeros(3), np.asarray(0.5)),
        (np.zeros(3, dtype=np.int64), 0.5),
        (np.zeros(3).view(np.matrix), 0.5),
        (np.ma.masked_array(np.zeros(3), mask=[True, False, False]), 0.5),
        (np.float64(1.5), 0.5),
        (np.zeros(3), np.ma.masked_array([0.5], mask=[True])),
    ],
)
def test_numpy_fast_path_declines_what_it_does_not_handle(case: tuple[Any, Any]) -> None:
    from arrayshrink._backends import _numpy

    x, lambd = case
    assert _numpy.fast_softshrink(x, lambd) is None
    assert _numpy.fast_hardshrink(x, lambd) is None


class TestTorch:
    @pytest.fixture(autouse=True)
    def _torch(self) -> None:
        pytest.importorskip("torch")

    def _inputs(self, dtype: Any) -> list[Any]:
        import torch

        if dtype in (torch.float16, torch.bfloat16):
            bits = np.arange(2**16, dtype=np.uint16).view(np.int16)
            everything = torch.from_numpy(bits.copy()).view(dtype)
        else:
            rng = np.random.default_rng(1)
            values = np.concatenate([rng.standard_normal(20_000) * 3, SPECIAL])
            everything = torch.from_numpy(values).to(dtype)
        grid = everything[: 120 * 100].reshape(120, 100)
        return [everything, grid.T, grid[:, ::7], everything[5], everything[:0]]

    @pytest.mark.parametrize("dtype_name", ["float16", "bfloat16", "float32", "float64"])
    @pytest.mark.parametrize("name", ["softshrink", "hardshrink"])
    def test_fast_path_equals_generic(self, dtype_name: str, name: str) -> None:
        import array_api_compat.torch as xp
        import torch

        from arrayshrink._backends import _torch
        from arrayshrink._lib import _validation

        dtype = getattr(torch, dtype_name)
        fast = getattr(_torch, f"fast_{name}")
        generic = getattr(_agnostic, name)
        for x in self._inputs(dtype):
            for lambd in (0.0, 0.3, 0.5, 2):
                out = fast(x, lambd)
                assert out is not None
                threshold, _ = _validation.threshold(
                    lambd, x, xp, name, widen_half=(name == "softshrink")
                )
                expected = generic(x, threshold, xp=xp)
                assert out.dtype == x.dtype
                np.testing.assert_array_equal(to_numpy(out), to_numpy(expected))

    @pytest.mark.parametrize("dtype_name", ["float32", "float64"])
    def test_fast_tanhshrink_equals_generic(self, dtype_name: str) -> None:
        import array_api_compat.torch as xp
        import torch

        from arrayshrink._backends import _torch

        for x in self._inputs(getattr(torch, dtype_name)):
            out = _torch.fast_tanhshrink(x)
            assert out is not None
            assert out.dtype == x.dtype
            np.testing.assert_array_equal(to_numpy(out), to_numpy(_agnostic.tanhshrink(x, xp=xp)))

    def test_fast_tanhshrink_leaves_other_dtypes_to_the_general_path(self) -> None:
        """float16 and bfloat16 are computed in float32 and rounded once by the generic
        code, where x - tanh(x) in half precision rounds twice: the results differ."""
        import torch

        from arrayshrink._backends import _torch

        for dtype in (torch.float16, torch.bfloat16, torch.complex64, torch.int64):
            assert _torch.fast_tanhshrink(torch.zeros(3, dtype=dtype)) is None
        half = self._inputs(torch.float16)[0]
        twice_rounded = half - half.tanh()
        once_rounded = arrayshrink.tanhshrink(half)
        assert not torch.equal(twice_rounded[~half.isnan()], once_rounded[~half.isnan()])

    def test_fast_path_declines_what_it_does_not_handle(self) -> None:
        import torch

        from arrayshrink._backends import _torch

        x = torch.zeros(3)
        for lambd in (-1.0, math.nan, math.inf, torch.tensor(0.5), True, 1e39):
            assert _torch.fast_softshrink(x, lambd) is None
        assert _torch.fast_softshrink(torch.zeros(3, dtype=torch.complex64), 0.5) is None
        assert _torch.fast_hardshrink(torch.zeros(3, dtype=torch.int64), 0.5) is None
        assert _torch.fast_hardshrink(torch.zeros(3, dtype=torch.float16), 70000.0) is None

    @pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta:UserWarning")
    def test_fast_paths_decline_layouts_torch_rejects(self) -> None:
        """torch raises RuntimeError (not NotImplementedError) for the compressed
        sparse layouts: the fast paths decline them, so that the general path names
        the layout; a RuntimeError on a dense tensor still propagates."""
        import torch

        from arrayshrink._backends import _torch

        csr = torch.eye(3).to_sparse_csr()
        assert _torch.fast_softshrink(csr, 0.5) is None
        assert _torch.fast_hardshrink(csr, 0.5) is None
        assert _torch.fast_tanhshrink(csr) is None

        def failing(x: Any, lambd: Any) -> Any:
            raise RuntimeError("a real failure")

        with pytest.raises(RuntimeError, match="a real failure"):
            _torch._eager_only(failing)(torch.ones(2), 0.5)

    @pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")
    def test_jagged_nested_tensors_have_no_fast_kernel(self) -> None:
        """A jagged nested tensor has a Python type of its own, kept off the fast path
        (whose kernel would accept it) so that every function rejects it alike."""
        import torch

        from arrayshrink import _shrink

        jagged = torch.nested.nested_tensor([torch.ones(2), torch.ones(3)], layout=torch.jagged)
        with pytest.raises(TypeError, match="nested tensor"):
            arrayshrink.softshrink(jagged, 0.5)
        assert _shrink._FAST_SOFTSHRINK[type(jagged)] is None
        arrayshrink.softshrink(torch.ones(2), 0.5)
        assert _shrink._FAST_SOFTSHRINK[torch.Tensor] is not None

    def test_fast_path_declines_while_torch_traces(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Tracers other than Dynamo (non-strict export) set the flag is_compiling()
        reads; the fast path then leaves the call to the generic code, as under compile."""
        import torch

        from arrayshrink._backends import _torch

        x = torch.tensor([math.nan, 2.0, 0.1])
        assert _torch.fast_softshrink(x, 0.5) is not None
        monkeypatch.setattr(torch.compiler, "_is_compiling_flag", True)
        assert torch.compiler.is_compiling()
        assert _torch.fast_softshrink(x, 0.5) is None
        assert _torch.fast_hardshrink(x, 0.5) is None

    def test_fast_path_is_used_in_eager_mode(self) -> None:
        """In eager mode one call of torch's fused kernel does the work (seen by a
        TorchFunctionMode, which records every torch function called)."""
        import torch
        from torch.overrides import TorchFunctionMode

        calls: list[Any] = []

        class Record(TorchFunctionMode):
            def __torch_function__(
                self, func: Any, types: Any, args: Any = (), kwargs: Any = None
            ) -> Any:
                calls.append(func)
                return func(*args, **(kwargs or {}))

        with Record():
            arrayshrink.softshrink(torch.ones(3), 0.5)
            arrayshrink.hardshrink(torch.ones(3), 0.5)
        fused = [torch.nn.functional.softshrink, torch.nn.functional.hardshrink]
        assert [f for f in calls if f not in (torch.ones,)] == fused


def test_dask_adds_exactly_one_layer_and_keeps_chunks() -> None:
    da = pytest.importorskip("dask.array")
    x_np = np.random.default_rng(2).standard_normal((40, 30))
    x_np[0, :3] = [np.nan, np.inf, -np.inf]
    x = da.from_array(x_np, chunks=(10, 7))
    lam_np = np.linspace(0, 1, 30)
    cases = [
        (arrayshrink.softshrink(x, 0.4), arrayshrink.softshrink(x_np, 0.4)),
        (arrayshrink.hardshrink(x, 0.4), arrayshrink.hardshrink(x_np, 0.4)),
        (arrayshrink.tanhshrink(x), arrayshrink.tanhshrink(x_np)),
    ]
    for out, expected in cases:
        assert len(out.dask.layers) == len(x.dask.layers) + 1
        assert out.chunks == x.chunks
        np.testing.assert_array_equal(out.compute(), expected)
    # Float16 blocks go through the generic NumPy code, in float32 as torch does.
    x16 = da.from_array(x_np.astype(np.float16), chunks=(10, 7))
    np.testing.assert_array_equal(
        arrayshrink.softshrink(x16, 0.3).compute(),
        arrayshrink.softshrink(x_np.astype(np.float16), 0.3),
    )
    # An array threshold is matched to x block by block (one blockwise layer, plus
    # the layers of its lazy validity check); chunked as x is, it keeps x's chunks.
    for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
        out = func(x, da.from_array(lam_np, chunks=7))
        assert out.chunks == x.chunks
        np.testing.assert_array_equal(out.compute(), func(x_np, lam_np))


def test_dask_array_threshold_path_equals_generic() -> None:
    """The blockwise path for an array threshold against the generic Array API code,
    on known and unknown (NaN) chunk sizes, per element, per column and 0-d."""
    da = pytest.importorskip("dask.array")
    import array_api_compat.numpy as np_xp

    from arrayshrink._backends import _dask

    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((12, 5)) * 2
    x_np[0, :3] = [np.nan, np.inf, -np.inf]
    x = da.from_array(x_np, chunks=(4, 2))
    unknown = x[da.ones(12, dtype=bool, chunks=4)]  # every row, in chunks of unknown size
    assert math.isnan(unknown.shape[0])
    for lam_np in (rng.uniform(0, 1, (12, 5)), rng.uniform(0, 1, 5), np.asarray(0.4)):
        for name in ("softshrink", "hardshrink"):
            generic = getattr(_agnostic, name)(x_np, lam_np, xp=np_xp)
            lam = da.from_array(lam_np)
            out = getattr(_dask, name)(x, lam)
            np.testing.assert_array_equal(out.compute(), generic)
            if lam_np.ndim < 2:  # a (12, 5) lambd cannot line up with unknown rows
                np.testing.assert_array_equal(getattr(_dask, name)(unknown, lam).compute(), generic)


@pytest.mark.parametrize(
    "dtype", ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
)
def test_jax_jitted_tanhshrink_equals_generic(dtype: str) -> None:
    pytest.importorskip("jax")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(5)
    values = 5 * rng.standard_normal(10_001)
    if dtype.startswith("complex"):
        values = values + 5j * rng.standard_normal(10_001)
    values[: len(SPECIAL)] = SPECIAL
    x = jnp.asarray(values).astype(dtype)
    native = arrayshrink.tanhshrink(x)
    generic = _agnostic.tanhshrink(x, xp=jnp)  # op by op, not compiled as one
    assert native.dtype == x.dtype
    np.testing.assert_array_equal(
        np.asarray(native.astype(jnp.complex128)), np.asarray(generic.astype(jnp.complex128))
    )


def test_jax_fast_tanhshrink_takes_floating_arrays_only() -> None:
    pytest.importorskip("jax")
    import jax.numpy as jnp

    from arrayshrink._backends import _jax

    for dtype in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.complex64):
        x = jnp.asarray([-2.0, 0.0, 1.5]).astype(dtype)
        np.testing.assert_array_equal(
            np.asarray(_jax.fast_tanhshrink(x)), np.asarray(_agnostic.tanhshrink(x, xp=jnp))
        )
    for dtype in (jnp.int32, jnp.bool_):
        assert _jax.fast_tanhshrink(jnp.zeros(3, dtype=dtype)) is None
    with pytest.raises(TypeError, match="tanhshrink"):
        arrayshrink.tanhshrink(jnp.zeros(3, dtype=jnp.int32))


@pytest.mark.parametrize("name", ["softshrink", "hardshrink", "tanhshrink"])
def test_jax_kernels_fuse_with_their_neighbours_inside_a_user_jit(name: str) -> None:
    """Inside a user's jit, the shrink and the operations around it compile to one
    loop: XLA inlines arrayshrink's own jitted kernels and fuses them."""
    pytest.importorskip("jax")
    import jax
    import jax.numpy as jnp

    shrink = getattr(arrayshrink, name)

    def pipeline(x: Any) -> Any:
        y = x * 2.0
        return (shrink(y) if name == "tanhshrink" else shrink(y, 0.5)) + 1.0

    compiled = jax.jit(pipeline).lower(jnp.ones(4096, jnp.float32)).compile().as_text()
    fusions = [line for line in compiled.splitlines() if " fusion(" in line]
    assert len(fusions) == 1, compiled


def test_cupy_fused_kernel_equals_generic() -> None:
    cupy = pytest.importorskip("cupy")
    if not cupy.is_available():
        pytest.skip("CuPy is installed but no CUDA GPU is usable here")
    import array_api_compat.cupy as xp

    from arrayshrink._backends import _cupy

    for dtype in ("float32", "float64"):
        values = np.concatenate(
            [np.asarray(SPECIAL), np.random.default_rng(3).standard_normal(100_000) * 3]
        ).astype(dtype)
        x = cupy.asarray(values)
        for lambd in (0.0, 0.3, 0.5):
            lam = float(np.asarray(lambd, dtype=dtype))
            fused = cupy.asnumpy(_cupy.softshrink(x, lam))
            generic = cupy.asnumpy(_agnostic.softshrink(x, lam, xp=xp))
            np.testing.assert_array_equal(fused, generic)

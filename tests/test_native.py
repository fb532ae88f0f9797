"""Every native and fast kernel gives exactly what the generic Array API path gives.

The kernels are those the backend profiles declare (``declared_kernels()``), each one
loaded as dispatch loads it (``load_kernel``), dispatched or not: each is checked
against ``arrayshrink._agnostic`` on the same battery of inputs (NaN, ±inf, ±0,
exactly ±lambd and its neighbours, huge and subnormal values; every bit pattern of the
16-bit dtypes), and checked to decline (return None) what it must leave to the
general path. A kernel of a library that is not under test is deselected; one that is
not installed, or needs a GPU that is not usable, is skipped.

Fast kernels take the raw arguments, before any validation; native kernels take the
validated ones (the threshold rounded as the public layer rounds it).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import SPECIAL, to_numpy
from array_api_compat import array_namespace

import arrayshrink
from arrayshrink import _agnostic
from arrayshrink._backends import declared_kernels, load_kernel
from arrayshrink._lib import _validation

LAMBDAS = [0.0, 0.3, 1, 0.5, 3.4e38]
# A fast kernel must take these (valid for every dtype): it is the common case.
COMMON = [0.0, 0.3, 0.5, 1, 2.0]
# Valid for float32 and float64, too large for the 16-bit dtypes.
LARGE = [1e30, 3.4e38]
# Invalid for every dtype: a fast kernel declines them (the general path raises).
HALF_MAX = 65504.0  # the largest float16 (bfloat16 goes further)
INVALID = [-1.0, -1e-300, math.nan, math.inf, -math.inf, 10**400]


def _kernels(*, fast: bool | None = None, thresholded: bool | None = None) -> list[Any]:
    """The declared kernels as parameters (of the fast or native kind, of a function
    with a threshold or not), each marked with its backend."""
    return [
        pytest.param(
            backend,
            function,
            kind,
            id=f"{backend}-{function}-{kind}",
            marks=pytest.mark.backend(backend),
        )
        for backend, function, kind in declared_kernels()
        if fast in (None, kind == "fast") and thresholded in (None, function != "tanhshrink")
    ]


KERNELS = _kernels()
THRESHOLDED = _kernels(thresholded=True)
FAST = _kernels(fast=True)
FAST_THRESHOLDED = _kernels(fast=True, thresholded=True)


def _dtypes(backend: str) -> list[str]:
    halves = ["float16", "bfloat16"] if backend in ("torch", "jax") else ["float16"]
    return [*halves, "float32", "float64"]


def _on(backend: str, library: ModuleType, values: np.ndarray, dtype: str | None = None) -> Any:
    """``values`` as an array of ``backend`` (of ``dtype``, rounded from float64:
    values beyond its range become ±inf)."""
    dtype = dtype or values.dtype.name
    with np.errstate(over="ignore"):
        values = values.astype(dtype if dtype != "bfloat16" else "float32")
    if backend == "torch":
        return library.from_numpy(np.ascontiguousarray(values)).to(getattr(library, dtype))
    if backend == "jax":
        return library.numpy.asarray(values).astype(dtype)
    if backend == "dask":
        chunks = tuple(max(size // 3, 1) for size in values.shape)
        return library.from_array(values, chunks=chunks)
    if backend == "cupy":
        return library.asarray(values)
    return values


def _battery(dtype: str) -> np.ndarray:
    """float64 values that the inputs of ``dtype`` are rounded from."""
    if dtype in ("float16", "bfloat16"):
        # Every bit pattern: each value once, NaN, ±inf, ±0 and subnormals included.
        bits = np.arange(2**16, dtype=np.uint16)
        if dtype == "float16":
            return bits.view(np.float16).astype(np.float64)
        return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    info = np.finfo(dtype)
    edges = [float(info.max), float(info.smallest_subnormal), float(info.smallest_normal)]
    around = []
    for lambd in [*LAMBDAS, *LARGE]:
        at = float(np.asarray(lambd, dtype=dtype))  # exactly lambd, as x of this dtype
        scalar = np.dtype(dtype).type
        around += [at, float(np.nextafter(scalar(at), scalar(np.inf)))]
        around += [float(np.nextafter(scalar(at), scalar(-np.inf)))]
    values = np.asarray([*SPECIAL, *edges, *around, 1e300, 5e-324], dtype=np.float64)
    values = np.concatenate([values, -values])
    random = np.random.default_rng(0).standard_normal(1000) * 3
    return np.concatenate([values, random])


def _layouts(x: Any) -> list[Any]:
    """x, and views of it: 2-d, transposed (strided), 0-d, empty."""
    n = x.shape[0] - x.shape[0] % 6
    grid = x[:n].reshape((6, n // 6))
    return [x, grid, grid.T, grid[:, ::3], x[3, ...], x[:0]]


def _generic(function: str, x: Any, lambd: Any) -> Any:
    """The generic path, with the threshold validated and rounded as the public layer
    does it (also the arguments a native kernel receives)."""
    xp = array_namespace(x)
    if function == "tanhshrink":
        return _agnostic.tanhshrink(x, xp=xp)
    # The thresholds given are valid: the lazy flag of invalid entries is not needed.
    threshold, _ = _validation.threshold(
        lambd, x, xp, function, widen_half=function == "softshrink"
    )
    return getattr(_agnostic, function)(x, threshold, xp=xp), threshold


def _call(kernel: Any, function: str, kind: str, x: Any, lambd: Any) -> tuple[Any, Any]:
    """The kernel's result (or None) and the generic result, for one input."""
    if function == "tanhshrink":
        return kernel(x), _generic(function, x, None)
    expected, threshold = _generic(function, x, lambd)
    return kernel(x, lambd if kind == "fast" else threshold), expected


def _equal(out: Any, expected: Any, x: Any, *, chunks: bool = True) -> None:
    """The same values (NaN in the same places; zero signs are not compared, as torch's
    depend on memory layout), dtype, shape and library as the generic result."""
    # The library of the generic result (which may be a NumPy scalar for 0-d input,
    # where the public layer makes it an array again).
    assert array_namespace(out) is array_namespace(expected)
    assert out.dtype == x.dtype
    assert tuple(out.shape) == tuple(x.shape)
    if chunks and hasattr(x, "chunks"):  # Dask: chunked as x
        assert out.chunks == x.chunks
    np.testing.assert_array_equal(to_numpy(out), to_numpy(expected))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # signalling NaN
@pytest.mark.parametrize(("backend", "function", "kind"), KERNELS)
def test_kernel_equals_generic(
    backend_library: ModuleType, backend: str, function: str, kind: str
) -> None:
    """Where a kernel answers, it answers what the generic code does; a fast kernel
    answers the common case of float32 and float64 (else it would never be taken)."""
    kernel = load_kernel(backend, function, kind)
    lambdas = [None] if function == "tanhshrink" else [*COMMON, -0.0, *LARGE]
    for dtype in _dtypes(backend):
        wide = dtype in ("float32", "float64")
        for x in _layouts(_on(backend, backend_library, _battery(dtype), dtype)):
            for lambd in lambdas:
                if lambd is not None and lambd > HALF_MAX and not wide:
                    continue  # invalid for a 16-bit x: test_kernel_declines_invalid_thresholds
                out, expected = _call(kernel, function, kind, x, lambd)
                if out is None:
                    assert not (wide and lambd in [*COMMON, None] and kind == "fast"), (
                        f"the fast kernel declines {dtype} input with lambd={lambd}"
                    )
                    continue
                _equal(out, expected, x)


@pytest.mark.parametrize(("backend", "function", "kind"), THRESHOLDED)
def test_kernel_takes_or_declines_array_thresholds(
    backend_library: ModuleType, backend: str, function: str, kind: str
) -> None:
    """A threshold per element, per column or 0-d, of the library of x: a fast kernel
    declines it (it takes scalars only); a native one declines it or equals generic."""
    kernel = load_kernel(backend, function, kind)
    rng = np.random.default_rng(1)
    x_np = _battery("float64")[-600:].reshape(100, 6)
    x = _on(backend, backend_library, x_np, "float64")
    for lam_np in (rng.uniform(0, 2, (100, 6)), rng.uniform(0, 2, 6), np.asarray(0.4)):
        lam = _on(backend, backend_library, lam_np, "float64")
        if kind == "fast":
            assert kernel(x, lam) is None
            continue
        expected, threshold = _generic(function, x, lam)
        out = kernel(x, threshold)
        if out is not None:
            _equal(out, expected, x, chunks=False)


@pytest.mark.parametrize(("backend", "function", "kind"), FAST_THRESHOLDED)
def test_kernel_declines_invalid_thresholds(
    backend_library: ModuleType, backend: str, function: str, kind: str
) -> None:
    """A fast kernel runs before any validation: it declines every threshold the
    general path must check (negative, NaN, infinite, too large for the dtype, not a
    real number), so that the general path raises. Native kernels are given validated
    thresholds only."""
    kernel = load_kernel(backend, function, kind)
    for dtype in _dtypes(backend):
        x = _on(backend, backend_library, np.asarray([1.0, -2.0, 0.25]), dtype)
        largest = HALF_MAX if dtype.endswith("16") else float(np.finfo(dtype).max)
        too_large = [lam for lam in [70000.0, *LARGE, 1e39] if lam > largest]
        for lambd in [*INVALID, *too_large, True, False, "0.5", 0.5j, None, [0.5]]:
            assert kernel(x, lambd) is None, f"{dtype} input, lambd={lambd!r}"


@pytest.mark.filterwarnings("ignore:Casting complex values to real:numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize(("backend", "function", "kind"), FAST)
def test_kernel_declines_other_dtypes(
    backend_library: ModuleType, backend: str, function: str, kind: str
) -> None:
    """Integer and boolean input is the general path's to reject, complex input its to
    compute (for tanhshrink, a kernel may compute complex input: then it equals generic)."""
    kernel = load_kernel(backend, function, kind)
    args = () if function == "tanhshrink" else (0.5,)
    for dtype in ("int64", "int32", "bool"):
        x = _on(backend, backend_library, np.asarray([1, 0, 3]).astype(dtype))
        assert kernel(x, *args) is None, dtype
    for dtype in ("complex64", "complex128"):
        values = np.asarray([3 + 4j, -0.1j, complex(math.inf, 1), complex(math.nan, 0)])
        x = _on(backend, backend_library, values.astype(dtype))
        out = kernel(x, *args)
        if function != "tanhshrink":
            assert out is None, dtype
        elif out is not None:
            xp = array_namespace(x)
            expected = _agnostic.tanhshrink(x, xp=xp)
            np.testing.assert_array_equal(to_numpy(out), to_numpy(expected))


def test_every_profile_kernel_is_declared() -> None:
    """The three functions have kernels on NumPy, torch, JAX and Dask, and the list
    is what the profiles say (the parametrization above runs over it)."""
    declared = {(backend, function) for backend, function, _ in declared_kernels()}
    for backend in ("numpy", "torch", "jax", "dask"):
        for function in ("softshrink", "hardshrink", "tanhshrink"):
            assert (backend, function) in declared
    assert ("jax", "softshrink", "native") in declared_kernels()


# --- what the parametrized tests cannot see: layouts and modes of one library ---------


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


@pytest.mark.usefixtures("torch")
class TestTorch:
    def test_fast_tanhshrink_leaves_other_dtypes_to_the_general_path(self) -> None:
        """float16 and bfloat16 are computed in float32 and rounded once by the generic
        code, where x - tanh(x) in half precision rounds twice: the results differ."""
        import torch

        from arrayshrink._backends import _torch

        for dtype in (torch.float16, torch.bfloat16, torch.complex64, torch.int64):
            assert _torch.fast_tanhshrink(torch.zeros(3, dtype=dtype)) is None
        bits = np.arange(2**16, dtype=np.uint16).view(np.int16)
        half = torch.from_numpy(bits.copy()).view(torch.float16)
        twice_rounded = half - half.tanh()
        once_rounded = arrayshrink.tanhshrink(half)
        assert not torch.equal(twice_rounded[~half.isnan()], once_rounded[~half.isnan()])

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


def test_dask_adds_exactly_one_layer_and_keeps_chunks(da: ModuleType) -> None:
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


def test_dask_array_threshold_path_equals_generic(da: ModuleType) -> None:
    """The blockwise path for an array threshold against the generic Array API code,
    on known and unknown (NaN) chunk sizes, per element, per column and 0-d."""
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


@pytest.mark.parametrize("name", ["softshrink", "hardshrink", "tanhshrink"])
def test_jax_kernels_fuse_with_their_neighbours_inside_a_user_jit(
    jax: ModuleType, name: str
) -> None:
    """Inside a user's jit, the shrink and the operations around it compile to one
    loop: XLA inlines arrayshrink's own jitted kernels and fuses them."""
    jnp = jax.numpy
    shrink = getattr(arrayshrink, name)

    def pipeline(x: Any) -> Any:
        y = x * 2.0
        return (shrink(y) if name == "tanhshrink" else shrink(y, 0.5)) + 1.0

    compiled = jax.jit(pipeline).lower(jnp.ones(4096, jnp.float32)).compile().as_text()
    fusions = [line for line in compiled.splitlines() if " fusion(" in line]
    assert len(fusions) == 1, compiled


# --- the in-place column writes of the batched backtracking ------------------------------


@pytest.mark.backend("numpy")
def test_columns_written_in_place_equal_the_generic_put() -> None:
    """Retried columns written into an owned NumPy batch give exactly the generic
    take-and-where result, NaN, infinities and signed zeros included; an array that is
    not owned, or not writable, is never written."""
    from arrayshrink._agnostic._columns import positions, put_columns, replace_columns
    from arrayshrink._lib._compat import array_namespace as namespace

    rng = np.random.default_rng(0)
    full = rng.standard_normal((5, 9))
    full[0, :] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-310, -1e308, 2.0, 3.0]
    mask = np.array([True, False, True, True, False, False, True, False, True])
    index = np.flatnonzero(mask)
    part = rng.standard_normal((5, index.size))
    part[1, :] = [np.nan, -np.inf, -0.0, np.inf, 1e-320]
    xp = namespace(full)
    position = positions(mask, xp)
    expected = put_columns(full, mask, part, position, xp)

    kept = full.copy()
    not_owned = replace_columns(full, mask, part, position, index, xp, owned=False)
    np.testing.assert_array_equal(full, kept)  # untouched
    frozen = full.copy()
    frozen.setflags(write=False)
    read_only = replace_columns(frozen, mask, part, position, index, xp, owned=True)
    np.testing.assert_array_equal(frozen, kept)
    owned = full.copy()
    written = replace_columns(owned, mask, part, position, index, xp, owned=True)
    assert written is owned  # in place
    for got in (not_owned, read_only, written):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.backend("numpy")
def test_a_user_prox_keeps_what_it_returned() -> None:
    """A user's prox may keep the arrays it returns: the batched backtracking never
    writes retried columns into them."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((20, 30))
    B = rng.standard_normal((20, 40))
    returned: list[tuple[np.ndarray, np.ndarray]] = []

    def box(v: np.ndarray, t: np.ndarray) -> np.ndarray:
        out = np.clip(v, 0.0, 1.0)
        returned.append((out, out.copy()))
        return out

    result = arrayshrink.fista(A, B, 1.0, prox=box, tol=1e-8, max_iter=5_000)
    assert bool(np.all(result.converged))
    retried = [kept for kept, _ in returned if kept.shape[1] < B.shape[1]]
    assert retried  # the backtracking retried some columns
    for kept, copy in returned:
        np.testing.assert_array_equal(kept, copy)


# --- the solvers' fused NumPy steps (arrayshrink/_backends/_numpy_steps.py) ---------------

_VALUES = np.asarray([*SPECIAL, 1e308, -1e308, 5e-324, -2.5e-310, 3.0, 0.1, -0.1])


def _steps_cases(dtype: Any) -> list[tuple[np.ndarray, ...]]:
    """(y, gradient, x, step) of one dtype: every pair of special values, as a batch
    (n, k) with per-column steps (zero, subnormal, huge and NaN among them) and as
    single columns with a 0-d step."""
    with np.errstate(over="ignore"):
        values = _VALUES.astype(dtype)
    grid_a, grid_b = np.meshgrid(values, values, indexing="ij")
    y, gradient = grid_a.reshape(-1, 8), grid_b.reshape(-1, 8)
    x = np.roll(y, 3)
    steps = np.asarray([0.5, 1e-3, 2.0, 0.0, 5e-324, 1e30, np.nan, 0.25])
    with np.errstate(over="ignore"):
        step = steps.astype(dtype)
    cases = [(y, gradient, x, step)]
    cases += [(y[:, j], gradient[:, j], x[:, j], np.asarray(step[j])) for j in (0, 3, 6)]
    return cases


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_steps_are_the_generic_iteration_bit_for_bit(dtype: Any) -> None:
    """Each fused step gives exactly (bits, NaN and signed zeros included) what the
    generic iteration computes at its point of use, for float32 and float64."""
    from arrayshrink._agnostic._norms import real_dot, sq_norm
    from arrayshrink._agnostic._penalties import L1
    from arrayshrink._backends import _numpy_steps as steps

    xp = array_namespace(np.zeros(1))
    for y, gradient, x, step in _steps_cases(dtype):
        with np.errstate(all="ignore"):
            for lambd in (0.5, 1e-30, 3e38, 0.0):
                expected = L1(lambd, xp).prox(y - step * gradient, step)
                got = steps.soft_gradient_step(y, gradient, step, lambd)
                assert got.dtype == expected.dtype
                np.testing.assert_array_equal(got, expected)
                np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
            x_new = expected
            d_norm, y_norm = steps.moved(x_new, y)
            np.testing.assert_array_equal(d_norm, sq_norm(x_new - y, xp))
            np.testing.assert_array_equal(y_norm, sq_norm(y, xp))
            beta = np.full(step.shape, 0.6, dtype=dtype)
            move = x_new - x
            against = real_dot(y - x_new, move, xp) > 0
            point = x_new + xp.where(against, 0.0, beta) * move
            got_point, got_against = steps.extrapolate(x_new, x, y, beta)
            np.testing.assert_array_equal(got_against, against)
            np.testing.assert_array_equal(got_point, point)
            np.testing.assert_array_equal(np.signbit(got_point), np.signbit(point))
        for given in (y, gradient, x, step):  # nothing written into the inputs
            assert given.flags.writeable


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("shape", [(), (40,)])
def test_solvers_with_fused_steps_equal_the_generic_solve(
    monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...]
) -> None:
    """fista and ista with and without the fused steps: the same iterates, so the same
    x, certificate and iteration counts, for one signal and a batch, the L1 penalty
    (fused prox) and x >= 0 (generic prox, fused norms and momentum)."""
    from arrayshrink import _backends

    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 60))
    b = rng.standard_normal((30, *shape))
    runs = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(_backends, "iteration_steps", lambda backend: None)
        runs.append(
            [
                solve(A, b, 0.3, positive=positive, tol=1e-7, max_iter=100_000)
                for solve in (arrayshrink.fista, arrayshrink.ista)
                for positive in (False, True)
            ]
        )
    for with_steps, generic in zip(*runs, strict=True):
        for field in ("x", "gap", "objective", "converged", "n_iter"):
            np.testing.assert_array_equal(getattr(with_steps, field), getattr(generic, field))


# --- the working sets' NumPy shortcuts -------------------------------------------------


@pytest.mark.backend("numpy")
def test_kth_smallest_by_partition_equals_the_sort() -> None:
    """The working set's k-th priority: NumPy's partition gives the sort's k-th value for
    every k, infinities, signed zeros, ties and NaN (above every number) included."""
    from arrayshrink._agnostic._columns import kth_smallest
    from arrayshrink._lib._compat import array_namespace as namespace

    rng = np.random.default_rng(2)
    values = rng.standard_normal(40)
    values[:9] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, 1.5, np.nan, -np.inf]
    rng.shuffle(values)
    reference = np.sort(values)
    for k in range(values.size):
        got = kth_smallest(values, k, namespace(values))
        assert got.shape == ()
        np.testing.assert_array_equal(got, reference[k])


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("batched", [False, True])
def test_scatter_written_in_place_equals_the_generic_take(batched: bool) -> None:
    """The full x from its rows on a working set: written into new NumPy zeros, exactly
    the generic take of [x_ws; 0] (run on array-api-strict), NaN, infinities and signed
    zeros included; x_ws is not modified."""
    strict = pytest.importorskip("array_api_strict")
    from arrayshrink._agnostic._working_set import _scatter
    from arrayshrink._lib._compat import array_namespace as namespace

    rng = np.random.default_rng(3)
    chosen = rng.random(30) < 0.4
    shape = (int(chosen.sum()), 3) if batched else (int(chosen.sum()),)
    x_ws = rng.standard_normal(shape)
    x_ws.reshape(-1)[:5] = [np.nan, np.inf, -np.inf, -0.0, 1e-310]
    kept = x_ws.copy()
    got = _scatter(x_ws, chosen, namespace(x_ws))
    generic = _scatter(strict.asarray(x_ws), strict.asarray(chosen), strict)
    expected = np.asarray(generic)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
    np.testing.assert_array_equal(got[~chosen], 0.0)
    np.testing.assert_array_equal(x_ws, kept)

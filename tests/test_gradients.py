"""Gradients: equal to torch eager's on torch and JAX, learnable thresholds, transforms.

References: torch's own F.softshrink / F.hardshrink backward, the mathematical
derivative, and central finite differences in float64.
"""

from __future__ import annotations

import importlib.util
import math
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _support import load_example, soft_reference

import arrayshrink

LAMBD = 0.5
BOUNDARY = [-math.inf, -2.0, -0.5, -0.25, -0.0, 0.0, 0.25, 0.5, 0.75, math.inf, math.nan]
# The derivative d/dx from the definitions, with torch's conventions at the kinks (0 at
# exactly +-lambd) and at NaN (the gradient passes: 1).
SOFT_DX = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
HARD_DX = SOFT_DX
# torch as the reference of the JAX tests (the JAX session installs it).
needs_torch_reference = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch (the reference) is not installed"
)


def _away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...], lambd: float) -> np.ndarray:
    x = rng.standard_normal(shape) * 2
    close = np.abs(np.abs(x) - lambd) < 1e-2
    return np.where(close, x + 0.05, x)


def _central_difference(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


# ---------------------------------------------------------------------------- torch


class TestTorch:
    @pytest.fixture(autouse=True)
    def _torch(self, torch: ModuleType) -> None:
        self.torch = torch

    def _grad(self, func: Any, values: list[float], *args: Any) -> np.ndarray:
        torch = self.torch
        x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        func(x, *args).sum().backward()
        return x.grad.numpy()

    @pytest.mark.parametrize(
        ("name", "expected"), [("softshrink", SOFT_DX), ("hardshrink", HARD_DX)]
    )
    def test_boundary_table_equals_torch(self, name: str, expected: list[float]) -> None:
        ours = self._grad(getattr(arrayshrink, name), BOUNDARY, LAMBD)
        theirs = self._grad(getattr(self.torch.nn.functional, name), BOUNDARY, LAMBD)
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(ours, expected)

    def test_tanhshrink_gradient_is_tanh_squared(self) -> None:
        values = [-3.0, -0.5, 0.0, 0.1, 2.0, math.inf, -math.inf]
        ours = self._grad(arrayshrink.tanhshrink, values)
        theirs = self._grad(self.torch.nn.functional.tanhshrink, values)
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)
        np.testing.assert_allclose(ours, np.tanh(values) ** 2, rtol=1e-14)

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
    def test_half_and_single_gradients_equal_torch(self, dtype: str) -> None:
        torch = self.torch
        values = torch.tensor(BOUNDARY, dtype=getattr(torch, dtype))
        for name in ("softshrink", "hardshrink"):
            grads = []
            for func in (getattr(arrayshrink, name), getattr(torch.nn.functional, name)):
                x = values.clone().requires_grad_(True)
                func(x, LAMBD).sum().backward()
                grads.append(x.grad.float().numpy())
            np.testing.assert_array_equal(*grads)

    def test_gradcheck_and_gradgradcheck(self) -> None:
        torch = self.torch
        rng = np.random.default_rng(0)
        x = torch.tensor(_away_from_kinks(rng, (5, 4), 0.3), requires_grad=True)
        lam = torch.tensor([0.3, 0.2, 0.4, 0.1], dtype=torch.float64, requires_grad=True)
        for func in (arrayshrink.softshrink, arrayshrink.hardshrink):
            assert torch.autograd.gradcheck(lambda a, f=func: f(a, 0.3), (x,))
            assert torch.autograd.gradgradcheck(lambda a, f=func: f(a, 0.3), (x,))
        x2 = torch.tensor(_away_from_kinks(rng, (5, 4), 0.4), requires_grad=True)
        assert torch.autograd.gradcheck(arrayshrink.softshrink, (x2, lam))
        assert torch.autograd.gradgradcheck(arrayshrink.softshrink, (x2, lam))
        assert torch.autograd.gradcheck(arrayshrink.tanhshrink, (x,))

    def test_learnable_threshold_against_finite_differences(self) -> None:
        torch = self.torch
        rng = np.random.default_rng(1)
        lam_np = np.asarray([0.2, 0.7, 1.1])
        x_np = _away_from_kinks(rng, (6, 3), 0.7)
        x_np = np.where(np.abs(np.abs(x_np) - lam_np) < 1e-2, x_np + 0.05, x_np)
        weights = rng.standard_normal((6, 3))
        lam = torch.tensor(lam_np, requires_grad=True)
        (torch.tensor(weights) * arrayshrink.softshrink(torch.tensor(x_np), lam)).sum().backward()

        def loss(lam_values: np.ndarray) -> float:
            return float(np.sum(weights * arrayshrink.softshrink(x_np, lam_values)))

        np.testing.assert_allclose(lam.grad.numpy(), _central_difference(loss, lam_np), rtol=1e-6)
        # And the closed form: -sign(x) where |x| > lambd, summed over the broadcast rows.
        closed = np.sum(-weights * np.sign(x_np) * (np.abs(x_np) > lam_np), axis=0)
        np.testing.assert_allclose(lam.grad.numpy(), closed, rtol=1e-12)

    def test_complex_gradients_follow_torch_convention(self) -> None:
        torch = self.torch
        rng = np.random.default_rng(2)
        z = rng.standard_normal(6) + 1j * rng.standard_normal(6)
        z = np.where(np.abs(np.abs(z) - 0.5) < 0.05, z * 1.2, z)
        zt = torch.tensor(z, requires_grad=True)
        lam = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(arrayshrink.softshrink, (zt, lam))
        loss = (arrayshrink.softshrink(zt, lam).abs() ** 2).sum()
        loss.backward()

        def f(re: np.ndarray, im: np.ndarray) -> float:
            return float(np.sum(np.abs(arrayshrink.softshrink(re + 1j * im, 0.5)) ** 2))

        d_re = _central_difference(lambda r: f(r, z.imag), z.real)
        d_im = _central_difference(lambda i: f(z.real, i), z.imag)
        # torch: the gradient of a real loss is dL/dRe + i dL/dIm.
        np.testing.assert_allclose(zt.grad.numpy(), d_re + 1j * d_im, rtol=1e-6, atol=1e-8)

    def test_torch_func_transforms(self) -> None:
        torch = self.torch
        x = torch.tensor(BOUNDARY[1:-1], dtype=torch.float64)
        grad = torch.func.grad(lambda a: arrayshrink.softshrink(a, LAMBD).sum())(x)
        np.testing.assert_array_equal(grad.numpy(), SOFT_DX[1:-1])
        rows = torch.tensor([[1.0, -0.2], [0.3, 2.0], [-1.0, 0.05]], dtype=torch.float64)
        lams = torch.tensor([[0.5], [0.1], [0.9]], dtype=torch.float64)
        out = torch.func.vmap(arrayshrink.softshrink)(rows, lams)
        np.testing.assert_allclose(out.numpy(), [[0.5, 0.0], [0.2, 1.9], [-0.1, 0.0]], rtol=1e-15)
        primal, tangent = torch.func.jvp(
            lambda a: arrayshrink.softshrink(a, LAMBD), (x,), (torch.ones_like(x),)
        )
        np.testing.assert_array_equal(tangent.numpy(), SOFT_DX[1:-1])
        np.testing.assert_array_equal(primal.numpy(), arrayshrink.softshrink(x.numpy(), LAMBD))

    def test_compile_fullgraph_keeps_nan_and_follows_threshold(self) -> None:
        torch = self.torch
        from torch._dynamo.testing import CompileCounter

        torch._dynamo.reset()
        x = torch.tensor([math.nan, 1.0, -0.2, 0.5, -math.inf])
        compiled = torch.compile(arrayshrink.softshrink, fullgraph=True)  # inductor
        np.testing.assert_array_equal(compiled(x, 0.5).numpy(), [math.nan, 0.5, 0, 0, -math.inf])
        # A threshold that changes between calls, as a tensor: one graph for all values.
        lams = (0.5, 0.3, 0.1)
        expected = [soft_reference(x.numpy(), np.float32(lam)) for lam in lams]
        torch._dynamo.reset()
        counter = CompileCounter()
        compiled = torch.compile(arrayshrink.softshrink, fullgraph=True, backend=counter)
        outs = [compiled(x, torch.tensor(lam)) for lam in lams]
        assert counter.frame_count == 1
        for out, want in zip(outs, expected, strict=True):
            np.testing.assert_array_equal(out.numpy(), want.astype(np.float32))
        # As Python floats: still correct, with no graph break (fullgraph=True).
        compiled = torch.compile(arrayshrink.hardshrink, fullgraph=True, backend=CompileCounter())
        for lam in (0.5, 0.1):
            np.testing.assert_array_equal(
                compiled(x, lam).numpy(), arrayshrink.hardshrink(x.numpy(), lam)
            )
        torch._dynamo.reset()

    def test_compiled_gradient(self) -> None:
        torch = self.torch
        torch._dynamo.reset()

        def loss(a: Any) -> Any:
            return arrayshrink.softshrink(a, LAMBD).sum()

        compiled = torch.compile(loss, fullgraph=True, backend="aot_eager")
        x = torch.tensor(BOUNDARY, requires_grad=True)
        compiled(x).backward()
        np.testing.assert_array_equal(x.grad.numpy(), SOFT_DX)
        torch._dynamo.reset()

    @pytest.mark.skipif(
        importlib.util.find_spec("torch") is None
        or not __import__("torch").__version__.startswith("2.13."),
        reason="the documented reproduction is for torch 2.13",
    )
    def test_torch_compiled_softshrink_loses_nan(self) -> None:
        """The reproduction quoted in the docs: torch's own compiled kernel drops NaN."""
        torch = self.torch
        torch._dynamo.reset()
        compiled = torch.compile(lambda t: torch.nn.functional.softshrink(t, 0.5))
        out = compiled(torch.tensor([math.nan, 1.0]))
        np.testing.assert_array_equal(out.numpy(), [0.0, 0.5])
        torch._dynamo.reset()

    def test_lista_example_trains_in_torch(self) -> None:
        history = load_example("lista").train_torch(steps=40)
        assert history[-1] < 0.3 * history[0]


# ------------------------------------------------------------------------------ JAX


@pytest.mark.usefixtures("jax")
class TestJax:
    def test_boundary_table(self) -> None:
        import jax
        import jax.numpy as jnp

        x = jnp.asarray(BOUNDARY)
        for func, expected in (
            (arrayshrink.softshrink, SOFT_DX),
            (arrayshrink.hardshrink, HARD_DX),
        ):
            grad = jax.vmap(jax.grad(lambda a, f=func: f(a, LAMBD)))(x)
            np.testing.assert_array_equal(grad, expected)
            # The same through reverse mode on the whole array, jitted.
            grad = jax.jit(jax.grad(lambda a, f=func: f(a, LAMBD).sum()))(x)
            np.testing.assert_array_equal(grad, expected)

    @needs_torch_reference
    def test_boundary_table_equals_torch(self) -> None:
        import jax
        import jax.numpy as jnp
        import torch

        for name in ("softshrink", "hardshrink"):
            xt = torch.tensor(BOUNDARY, dtype=torch.float64, requires_grad=True)
            getattr(torch.nn.functional, name)(xt, LAMBD).sum().backward()
            ours = jax.grad(lambda a, n=name: getattr(arrayshrink, n)(a, LAMBD).sum())(
                jnp.asarray(BOUNDARY)
            )
            np.testing.assert_array_equal(np.asarray(ours), xt.grad.numpy())

    def test_transformations_agree(self) -> None:
        import jax
        import jax.numpy as jnp

        rng = np.random.default_rng(3)
        x = jnp.asarray(_away_from_kinks(rng, (7,), LAMBD))

        def f(a: Any) -> Any:
            return arrayshrink.softshrink(a, LAMBD)

        forward = jax.jacfwd(f)(x)
        reverse = jax.jacrev(f)(x)
        np.testing.assert_array_equal(forward, reverse)
        np.testing.assert_array_equal(jnp.diag(forward), jax.vmap(jax.grad(f))(x))
        np.testing.assert_array_equal(jax.jit(jax.jacrev(f))(x), reverse)
        expected = np.diag((np.abs(np.asarray(x)) > LAMBD).astype(float))
        np.testing.assert_array_equal(forward, expected)
        hessian = jax.hessian(lambda a: f(a).sum())(x)
        np.testing.assert_array_equal(hessian, np.zeros((7, 7)))
        tanh_grad = jax.grad(lambda a: arrayshrink.tanhshrink(a).sum())(x)
        np.testing.assert_allclose(tanh_grad, np.tanh(np.asarray(x)) ** 2, rtol=1e-14)

    def test_learnable_threshold_against_finite_differences(self) -> None:
        import jax
        import jax.numpy as jnp

        rng = np.random.default_rng(4)
        lam_np = np.asarray([0.2, 0.7, 1.1])
        x_np = _away_from_kinks(rng, (6, 3), 0.7)
        x_np = np.where(np.abs(np.abs(x_np) - lam_np) < 1e-2, x_np + 0.05, x_np)
        weights = rng.standard_normal((6, 3))

        def loss(lam: Any) -> Any:
            return jnp.sum(weights * arrayshrink.softshrink(jnp.asarray(x_np), lam))

        for transform in (jax.grad, lambda g: jax.jit(jax.grad(g))):
            grad = np.asarray(transform(loss)(jnp.asarray(lam_np)))
            fd = _central_difference(lambda lam: float(loss(jnp.asarray(lam))), lam_np)
            np.testing.assert_allclose(grad, fd, rtol=1e-6)
        # Forward mode agrees with reverse mode for the threshold too.
        np.testing.assert_allclose(
            jax.jacfwd(loss)(jnp.asarray(lam_np)), jax.grad(loss)(jnp.asarray(lam_np)), rtol=1e-14
        )

    def test_complex_gradients_follow_jax_convention(self) -> None:
        import jax
        import jax.numpy as jnp

        rng = np.random.default_rng(5)
        z = rng.standard_normal(6) + 1j * rng.standard_normal(6)
        z = np.where(np.abs(np.abs(z) - 0.5) < 0.05, z * 1.2, z)

        def loss(a: Any, lam: Any) -> Any:
            return jnp.sum(jnp.abs(arrayshrink.softshrink(a, lam)) ** 2)

        grad_z, grad_lam = jax.grad(loss, argnums=(0, 1))(jnp.asarray(z), jnp.asarray(0.5))
        d_re = _central_difference(lambda r: float(loss(jnp.asarray(r + 1j * z.imag), 0.5)), z.real)
        d_im = _central_difference(lambda i: float(loss(jnp.asarray(z.real + 1j * i), 0.5)), z.imag)
        # JAX: the gradient of a real loss is dL/dRe - i dL/dIm.
        np.testing.assert_allclose(grad_z, d_re - 1j * d_im, rtol=1e-6, atol=1e-8)
        d_lam = _central_difference(
            lambda lam: float(loss(jnp.asarray(z), lam[0])), np.asarray([0.5])
        )
        np.testing.assert_allclose(grad_lam, d_lam[0], rtol=1e-6)

    def test_float32_gradient_dtype(self) -> None:
        import jax
        import jax.numpy as jnp

        x = jnp.asarray([0.5, 1.0, -2.0], dtype=jnp.float32)
        grad = jax.grad(lambda a: arrayshrink.softshrink(a, 0.5).sum())(x)
        assert grad.dtype == jnp.float32
        np.testing.assert_array_equal(grad, [0.0, 1.0, 1.0])

    def test_native_path_equals_generic(self) -> None:
        """The custom_jvp kernel gives the generic implementation's values exactly."""
        import jax.numpy as jnp

        from arrayshrink import _agnostic
        from arrayshrink._backends import _jax

        values = np.concatenate(
            [np.asarray(BOUNDARY), np.random.default_rng(6).standard_normal(1000) * 3]
        )
        for dtype in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64):
            x = jnp.asarray(values).astype(dtype)
            for lam in (0.0, 0.3, jnp.asarray(np.linspace(0, 2, values.size), dtype=jnp.float32)):
                lam_cast = (
                    lam
                    if isinstance(lam, float)
                    else lam.astype(jnp.float32 if dtype in (jnp.float16, jnp.bfloat16) else dtype)
                )
                native = np.asarray(_jax.softshrink(x, lam_cast)).astype(np.float64)
                generic = np.asarray(_agnostic.softshrink(x, lam_cast, xp=jnp)).astype(np.float64)
                np.testing.assert_array_equal(native, generic)

    def test_lista_example_trains_in_jax(self) -> None:
        history = load_example("lista").train_jax(steps=40)
        assert history[-1] < 0.3 * history[0]


def test_backends_without_autodiff_keep_working() -> None:
    """NumPy has no autodiff: the functions simply work there (covered on Dask and
    array-api-strict by the value tests)."""
    out = arrayshrink.softshrink(np.asarray(BOUNDARY), LAMBD)
    np.testing.assert_array_equal(
        out, [-math.inf, -1.5, 0, 0, 0, 0, 0, 0, 0.25, math.inf, math.nan]
    )


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize(
    "call",
    [
        "softshrink(x, 0.5)",
        "hardshrink(x, 0.5)",
        "tanhshrink(x)",
        "softshrink(x, torch.tensor([0.5, 0.2]))",
    ],
)
def test_first_call_of_a_process_under_torch_compile(call: str) -> None:
    """Every lookup arrayshrink caches is traceable: a cold process compiles fullgraph,
    with warnings as errors (Dynamo warns about what it cannot trace faithfully)."""
    import subprocess
    import sys

    code = (
        "import torch, arrayshrink\n"
        "from arrayshrink import hardshrink, softshrink, tanhshrink\n"
        "from torch._dynamo.testing import CompileCounter\n"
        f"f = torch.compile(lambda x: {call}, fullgraph=True, backend=CompileCounter())\n"
        "print(f(torch.tensor([float('nan'), 1.0])).tolist())\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().startswith("[nan, ")

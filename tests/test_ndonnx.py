"""ndonnx, an ONNX-backed Array API library: the shrink family on its eager arrays
(values from the ONNX reference runtime), and in ONNX models built from its symbolic
arrays and run by onnxruntime. The ``interop(ndonnx)`` session installs both.

References: the formulas in NumPy (the same float32 inputs), and arrayshrink on NumPy.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _support import load_example

import arrayshrink

pytestmark = [
    pytest.mark.backend("numpy"),
    pytest.mark.skipif(
        importlib.util.find_spec("ndonnx") is None, reason="ndonnx is not installed"
    ),
]

SAMPLE = [-3.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 2.0, np.inf, -np.inf, np.nan]

RULES: dict[str, Callable[[Any], Any]] = {
    "softshrink": lambda x: arrayshrink.softshrink(x, 0.5),
    "hardshrink": lambda x: arrayshrink.hardshrink(x, 0.5),
    "tanhshrink": arrayshrink.tanhshrink,
    "threshold garrote": lambda x: arrayshrink.threshold(x, 0.5, "garrote"),
    "threshold hard": lambda x: arrayshrink.threshold(x, 0.5, "hard"),
    "threshold_firm": lambda x: arrayshrink.threshold_firm(x, 0.5, 1.5),
    "asymmetric_softshrink": lambda x: arrayshrink.asymmetric_softshrink(x, -0.3, 0.7),
    "Softshrink class": lambda x: arrayshrink.Softshrink(0.5)(x),
}


def _numpy(a: Any) -> np.ndarray:
    return np.asarray(a.unwrap_numpy())


def _assert_close(name: str, out: np.ndarray, expected: np.ndarray, x: np.ndarray) -> None:
    """Equal to rounding; tanhshrink's x - tanh(x) cancels for small x, so its error is
    that of the runtime's tanh, a few ulps of x rather than of the result."""
    eps = float(np.finfo(x.dtype).eps)
    if name == "tanhshrink":
        finite = np.isfinite(x)
        np.testing.assert_array_equal(out[~finite], expected[~finite])
        error = np.abs(out[finite] - expected[finite])
        assert np.all(error <= 4 * eps * np.abs(x[finite]))
    else:
        np.testing.assert_allclose(out, expected, rtol=2 * eps)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(RULES))
def test_eager_arrays_equal_numpy(name: str, dtype: str) -> None:
    import ndonnx as ndx

    x = np.asarray(SAMPLE, dtype=dtype)
    out = RULES[name](ndx.asarray(x))
    assert isinstance(out, ndx.Array)
    assert out.dtype == getattr(ndx, dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = RULES[name](x)
    _assert_close(name, _numpy(out), expected, x)


def test_softshrink_against_its_formula() -> None:
    import ndonnx as ndx

    x = np.asarray(SAMPLE, dtype=np.float32)
    expected = np.where(np.isnan(x), np.nan, x - np.clip(x, -0.5, 0.5))
    np.testing.assert_array_equal(_numpy(arrayshrink.softshrink(ndx.asarray(x), 0.5)), expected)


def test_group_softshrink() -> None:
    import ndonnx as ndx

    x = np.asarray([[3.0, 4.0], [0.0, 0.0], [0.3, 0.4]])
    out = _numpy(arrayshrink.group_softshrink(ndx.asarray(x), 1.0, axis=1))
    np.testing.assert_allclose(out, [[2.4, 3.2], [0.0, 0.0], [0.0, 0.0]], rtol=1e-15)


def test_invalid_thresholds_raise() -> None:
    import ndonnx as ndx

    x = ndx.asarray(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"softshrink\(\): lambd must be in the range"):
        arrayshrink.softshrink(x, -1.0)
    with pytest.raises(TypeError, match="lambd"):
        arrayshrink.softshrink(x, np.ones(3, dtype=np.float32))


@pytest.mark.parametrize("name", list(RULES))
def test_onnx_models_run_by_onnxruntime(name: str) -> None:
    """A symbolic x: the rule recorded in an ONNX graph, run without arrayshrink."""
    import ndonnx as ndx

    onnxruntime = pytest.importorskip("onnxruntime")
    x = ndx.argument(shape=("N",), dtype=ndx.float32)
    model = ndx.build({"x": x}, {"y": RULES[name](x)})
    session = onnxruntime.InferenceSession(model.SerializeToString())
    values = np.asarray(SAMPLE, dtype=np.float32)
    (out,) = session.run(None, {"x": values})
    with np.errstate(invalid="ignore", over="ignore"):
        expected = RULES[name](values)
    _assert_close(name, out, expected, values)


def test_the_onnx_example() -> None:
    pytest.importorskip("onnxruntime")
    example = load_example("onnx_softshrink")
    values = np.linspace(-3, 3, 101, dtype=np.float32)
    outputs = example.run(example.build_model(), values)
    for name, expected in example.references(values).items():
        np.testing.assert_array_equal(outputs[name], expected)


@pytest.mark.parametrize("name", [name for name in RULES if name != "tanhshrink"])
def test_float16_is_computed_in_float32_and_rounded_once(name: str) -> None:
    """Every finite float16 value: equal to NumPy, which computes 16-bit input in
    float32 and rounds once, as torch does (tanhshrink's float16 tanh rounds
    differently in ONNX runtimes)."""
    import ndonnx as ndx

    bits = np.arange(2**16, dtype=np.uint16).view(np.float16)
    x = bits[np.isfinite(bits)]
    out = _numpy(RULES[name](ndx.asarray(x)))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, RULES[name](x))

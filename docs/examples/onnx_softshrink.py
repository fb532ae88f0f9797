"""An ONNX model that soft-thresholds, built by arrayshrink on ndonnx arrays.
==========================================================================

ndonnx is an Array API library whose arrays can be symbolic: calling
``arrayshrink.softshrink`` on an ``ndonnx.argument`` records the operations in an ONNX
graph instead of computing them. ``ndonnx.build`` turns the graph into an ONNX model,
which any ONNX runtime executes without Python or arrayshrink: here onnxruntime, whose
results are compared with arrayshrink's on NumPy, NaN and infinities included.

Run it with ``python docs/examples/onnx_softshrink.py [model.onnx]`` (it needs
``pip install ndonnx onnxruntime``); the ``interop(ndonnx)`` test session runs it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

import arrayshrink

LAMBD = 0.5


def build_model() -> Any:
    """An ONNX model with one input x (float32, any length) and three outputs: its
    softshrink, hardshrink and garrote thresholding at LAMBD."""
    import ndonnx as ndx

    x = ndx.argument(shape=("N",), dtype=ndx.float32)
    outputs = {
        "softshrink": arrayshrink.softshrink(x, LAMBD),
        "hardshrink": arrayshrink.hardshrink(x, LAMBD),
        "garrote": arrayshrink.threshold(x, LAMBD, "garrote"),
    }
    return ndx.build({"x": x}, outputs)


def run(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """The model's outputs on x, computed by onnxruntime."""
    import onnxruntime

    session = onnxruntime.InferenceSession(model.SerializeToString())
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"x": x}), strict=True))


def references(x: np.ndarray) -> dict[str, np.ndarray]:
    """The same functions on NumPy."""
    return {
        "softshrink": arrayshrink.softshrink(x, LAMBD),
        "hardshrink": arrayshrink.hardshrink(x, LAMBD),
        "garrote": arrayshrink.threshold(x, LAMBD, "garrote"),
    }


def main(path: str | None = None) -> None:
    model = build_model()
    if path:
        with open(path, "wb") as file:
            file.write(model.SerializeToString())
    x = np.asarray([-3.0, -0.5, -0.2, 0.0, 0.4, 0.5, 2.0, np.inf, np.nan], dtype=np.float32)
    onnx_out, numpy_out = run(model, x), references(x)
    for name, value in onnx_out.items():
        equal = np.array_equal(value, numpy_out[name], equal_nan=True)
        print(f"{name:11} onnxruntime {value}  equal to NumPy: {equal}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)

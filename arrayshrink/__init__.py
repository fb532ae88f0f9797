"""arrayshrink: shrinkage functions written once against the Python Array API standard.

The same call runs on NumPy, CuPy, PyTorch, JAX, Dask and array-api-strict arrays and
returns an array of the same library, dtype, device and shape.
"""

from arrayshrink._modules import Hardshrink, Softshrink, Tanhshrink
from arrayshrink._shrink import hardshrink, softshrink, tanhshrink

__version__ = "0.1.0"

__all__ = [
    "Hardshrink",
    "Softshrink",
    "Tanhshrink",
    "__version__",
    "hardshrink",
    "softshrink",
    "tanhshrink",
]

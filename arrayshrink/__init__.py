"""arrayshrink: shrinkage functions written once against the Python Array API standard.

The same call runs on NumPy, CuPy, PyTorch, JAX, Dask and array-api-strict arrays and
returns an array of the same library, dtype, device and shape.
"""

from arrayshrink._modules import Hardshrink, Softshrink, Tanhshrink
from arrayshrink._shrink import hardshrink, softshrink, tanhshrink
from arrayshrink._solvers import (
    ConvergenceWarning,
    LassoResult,
    LinearOperator,
    SolverOptions,
    fista,
    ista,
    lambda_max,
)

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "Hardshrink",
    "LassoResult",
    "LinearOperator",
    "Softshrink",
    "SolverOptions",
    "Tanhshrink",
    "__version__",
    "fista",
    "hardshrink",
    "ista",
    "lambda_max",
    "softshrink",
    "tanhshrink",
]

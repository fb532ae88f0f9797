"""arrayshrink: shrinkage functions written once against the Python Array API standard.

The same call runs on NumPy, CuPy, PyTorch, JAX, Dask and array-api-strict arrays and
returns an array of the same library, dtype, device and shape.
"""

from arrayshrink._modules import (
    AsymmetricSoftshrink,
    GroupSoftshrink,
    Hardshrink,
    Softshrink,
    Tanhshrink,
    Threshold,
    ThresholdFirm,
)
from arrayshrink._path import LassoPath, lasso_path
from arrayshrink._rules import asymmetric_softshrink, threshold, threshold_firm
from arrayshrink._shrink import group_softshrink, hardshrink, softshrink, tanhshrink
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
    "AsymmetricSoftshrink",
    "ConvergenceWarning",
    "GroupSoftshrink",
    "Hardshrink",
    "LassoPath",
    "LassoResult",
    "LinearOperator",
    "Softshrink",
    "SolverOptions",
    "Tanhshrink",
    "Threshold",
    "ThresholdFirm",
    "__version__",
    "asymmetric_softshrink",
    "fista",
    "group_softshrink",
    "hardshrink",
    "ista",
    "lambda_max",
    "lasso_path",
    "softshrink",
    "tanhshrink",
    "threshold",
    "threshold_firm",
]

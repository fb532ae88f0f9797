"""A user's script, checked with ``mypy --strict`` (not collected by pytest): the array
type flows through arrayshrink's functions and classes, NumPy in gives NumPy out and a
torch tensor gives a torch tensor. ``assert_type`` makes mypy fail where it does not.

    mypy --config-file tests/typing/mypy.ini tests/typing/user_script.py
"""

from typing import Unpack, assert_type, reveal_type

import numpy as np
import numpy.typing as npt
import torch

from arrayshrink import (
    GroupSoftshrink,
    Hardshrink,
    LassoResult,
    Softshrink,
    SolverOptions,
    Tanhshrink,
    fista,
    group_softshrink,
    hardshrink,
    ista,
    lambda_max,
    softshrink,
    tanhshrink,
)

x: npt.NDArray[np.float64] = np.ones(3)
NumPyArray = npt.NDArray[np.float64]
assert_type(softshrink(x), NumPyArray)
assert_type(hardshrink(x, 0.1), NumPyArray)
assert_type(tanhshrink(x), NumPyArray)
assert_type(softshrink(x, np.full(3, 0.5)), NumPyArray)
assert_type(Softshrink(0.5)(x), NumPyArray)
assert_type(group_softshrink(x, 0.5, axis=0), NumPyArray)
assert_type(GroupSoftshrink(0.5, axis=(0,))(x), NumPyArray)
reveal_type(softshrink(x))

t = torch.ones(3)
assert_type(softshrink(t), torch.Tensor)
assert_type(hardshrink(t, lambd=0.1), torch.Tensor)
assert_type(tanhshrink(t), torch.Tensor)
assert_type(Hardshrink(0.5)(t), torch.Tensor)
assert_type(Tanhshrink()(t), torch.Tensor)
reveal_type(softshrink(t))

# The solvers: the result is generic in the type of b.
A = np.ones((3, 4))
result = fista(A, x, 0.1, max_iter=10, tol=1e-3)
assert_type(result, LassoResult[NumPyArray])
assert_type(result.x, NumPyArray)
assert_type(lambda_max(A, x), NumPyArray)
assert_type(ista(torch.ones(3, 4), t, 0.1).x, torch.Tensor)
assert_type(fista(A, x, 0.1, groups=[0, 0, 1, 1], group_weights=[1.0, 2.0]).x, NumPyArray)
B: NumPyArray = np.ones((3, 2))
assert_type(fista(A, B, 0.1, multitask=True).gap, NumPyArray)
assert_type(fista(A, x, 1.0, prox=lambda v, t: np.clip(v, 0.0, 1.0)).x, NumPyArray)
assert_type(lambda_max(A, x, groups=[0, 0, 1, 1], positive=True), NumPyArray)
reveal_type(fista(A, x, 0.1).x)


def sparse_code(b: NumPyArray, **options: Unpack[SolverOptions]) -> NumPyArray:
    """A user's wrapper that forwards the solver's options, typed."""
    return fista(A, b, 0.1, **options).x

"""NumPy: the elementwise steps of a proximal-gradient iteration, with fewer temporaries.

The generic iteration (arrayshrink._agnostic._lasso) builds each intermediate of its
elementwise work as a new array. On a batch of signals those are large (an iterate of
256 coefficients times 1000 signals is 2 MB), and every new one costs the allocator
and the first touch of its pages. These steps compute the very same operations, in
the same order (so the results are bit for bit the generic ones: see
tests/test_native.py), into arrays they allocate once per call and overwrite.

Taken by the solvers for real float32/float64 NumPy problems; declared by the NumPy
profile (``_profiles.Profile.steps``). benchmarks/bench_solvers.py measures them: the
batched row with and without (``--generic-steps``).
"""

from __future__ import annotations

import numpy as np

from arrayshrink._backends._numpy import _clip
from arrayshrink._lib import _compat

__all__ = ["extrapolate", "moved", "soft_gradient_step"]

_NUMPY_2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def soft_gradient_step(
    y: np.ndarray, gradient: np.ndarray, step: np.ndarray, lambd: float
) -> np.ndarray:
    """softshrink(y - step * gradient, step * lambd), as the L1 prox computes it:
    v - clip(v, -t, t) with v = y - step * gradient and t = step * lambd."""
    out: np.ndarray = np.multiply(step, gradient)
    np.subtract(y, out, out=out)
    t = step * lambd
    if not _NUMPY_2:
        # The generic path's own clip (array-api-compat's, for NumPy 1.x): the ufunc
        # and maximum/minimum differ from it in the sign of a zero.
        clipped = _compat.array_namespace(out).clip(out, -t, t)
    elif bool(np.all(t > 0)):
        # clip's ufunc is slow with array bounds; maximum then minimum select the same
        # element (NaN included) wherever the bounds differ, so wherever t > 0.
        clipped = np.maximum(out, -t)
        np.minimum(clipped, t, out=clipped)
    else:
        clipped = _clip(out, -t, t)
    np.subtract(out, clipped, out=out)
    return out


def moved(x_new: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The squared norms, per column, of the move x_new - y and of y."""
    scratch = np.subtract(x_new, y)
    np.multiply(scratch, scratch, out=scratch)
    move = np.sum(scratch, axis=0)
    np.multiply(y, y, out=scratch)
    return move, np.sum(scratch, axis=0)


def extrapolate(
    x_new: np.ndarray, x: np.ndarray, y: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """FISTA's next point with O'Donoghue and Candes's restart: where the step went
    against the momentum (Re <y - x_new, x_new - x> > 0) beta is 0. Returns the point
    x_new + beta * (x_new - x) and where it restarted."""
    move = np.subtract(x_new, x)
    scratch = np.subtract(y, x_new)
    np.multiply(scratch, move, out=scratch)
    against = np.sum(scratch, axis=0) > 0
    np.multiply(np.where(against, 0.0, beta), move, out=move)
    np.add(x_new, move, out=move)
    return move, against

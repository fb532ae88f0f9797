"""Sparse design matrices: ``A`` as a scipy.sparse array or matrix (CSR, CSC, COO, ...)
or a pydata ``sparse`` array (COO, GCXS), beside a dense NumPy ``b``.

The solvers use A through its products and its columns only, so a sparse A is kept
sparse: it is converted once to SciPy's CSC format (in the problem's dtype), whose
column slices are cheap (working sets), and A^H is its transpose, a CSR view of the
same data (no copy, and none per iteration). Neither scipy nor pydata sparse is
imported unless A is one of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arrayshrink import _backends
from arrayshrink._agnostic._lasso import Operator
from arrayshrink._lib._typing import Array, Namespace

__all__ = ["SparseColumns", "is_sparse", "kind", "operator"]


def is_sparse(A: Any) -> bool:
    """Whether A is a scipy.sparse array or matrix, or a pydata sparse array."""
    module = type(A).__module__
    if module.startswith("scipy.sparse"):
        import scipy.sparse

        return bool(scipy.sparse.issparse(A))
    return module.split(".")[0] == "sparse" and hasattr(A, "to_scipy_sparse")


def kind(A: Any) -> str:
    """How an error names a sparse A: its library and class."""
    library = "scipy.sparse" if type(A).__module__.startswith("scipy") else "pydata sparse"
    return f"{library} {type(A).__name__}"


def _as_csc(A: Any) -> Any:
    """A as a SciPy CSC array (pydata sparse converted through SciPy)."""
    import scipy.sparse

    scipy_A = A if type(A).__module__.startswith("scipy") else A.to_scipy_sparse()
    return scipy.sparse.csc_array(scipy_A)


def operator(A: Any, b: Array, xp: Namespace, func: str) -> tuple[Operator, Array]:
    """The operator of a sparse A beside a dense NumPy b, and b promoted to the common
    dtype; every other library of b raises TypeError, as do integer or boolean A,
    non-finite stored values and a shape that does not fit b."""
    if _backends.profile(xp).name != "numpy":
        raise TypeError(
            f"{func}(): A is a {kind(A)}, which needs b as a dense NumPy array; got b from "
            f"{_backends.profile(xp).name}. Pass a NumPy b, or A as a dense array of b's "
            "library."
        )
    import numpy as np

    if len(A.shape) != 2:
        raise ValueError(f"{func}(): A must be 2-d; got a {kind(A)} of shape {tuple(A.shape)}.")
    if np.dtype(A.dtype).kind not in "fc":
        raise TypeError(
            f"{func}(): A must have a floating dtype; got a {kind(A)} of dtype {A.dtype}. "
            "Call A.astype(float) first."
        )
    csc = _as_csc(A)
    dtype = np.result_type(csc.dtype, b.dtype)
    csc = csc if csc.dtype == dtype else csc.astype(dtype)
    b = b if b.dtype == dtype else xp.astype(b, dtype)
    bad = int(np.count_nonzero(~np.isfinite(csc.data)))
    if bad:
        raise ValueError(
            f"{func}(): A must be finite; its stored values hold {bad} NaN or infinite "
            f"value{'s' if bad > 1 else ''}. Remove or impute them first."
        )
    return SparseColumns(csc, xp).operator(b.ndim == 2), b


@dataclass(frozen=True)
class SparseColumns:
    """The Columns (arrayshrink._agnostic._lasso) of a SciPy CSC array."""

    A: Any
    xp: Namespace

    def operator(self, batched: bool) -> Operator:
        A = self.A
        A_adjoint = A.conj().T if A.dtype.kind == "c" else A.T  # a CSR view
        return Operator(lambda x: A @ x, lambda r: A_adjoint @ r, tuple(A.shape), None, self)

    def norms(self) -> Array:
        import numpy as np

        magnitude = abs(self.A)
        return np.sqrt(np.asarray(magnitude.multiply(magnitude).sum(axis=0)).reshape(-1))

    def restrict(self, index: Array, batched: bool) -> Operator:
        return SparseColumns(self.A[:, index], self.xp).operator(batched)

    def gram(self, index: Array) -> Array:
        A_S = self.A[:, index]
        return (A_S.conj().T @ A_S).toarray()  # sparse product: O(nnz), not O(m s^2)

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
from arrayshrink._agnostic._lasso import GramSolver, Operator
from arrayshrink._lib._typing import Array, Namespace

# The forward product takes the columns of x's nonzero rows when they are fewer than
# 1/_FEW of all.
_FEW = 8

__all__ = [
    "SparseColumns",
    "columns",
    "elementwise",
    "grouped",
    "is_sparse",
    "kind",
    "no_other_namespace",
    "number_thresholds",
    "operator",
]


# Per class, the answer of _library: found once per class.
_LIBRARY_OF_CLASS: dict[type, str | None] = {}


def _library(A: Any) -> str | None:
    """ "scipy" or "pydata" for a sparse array of theirs (subclasses included), else
    None; neither library is imported for other classes."""
    cls = type(A)
    try:
        return _LIBRARY_OF_CLASS[cls]
    except KeyError:
        library = _LIBRARY_OF_CLASS[cls] = _library_of_class(cls)
        return library


def _library_of_class(cls: type) -> str | None:
    roots = {base.__module__.split(".")[0] for base in cls.__mro__}
    if "scipy" in roots:
        import scipy.sparse

        return "scipy" if issubclass(cls, (scipy.sparse.sparray, scipy.sparse.spmatrix)) else None
    if "sparse" in roots:
        import sparse

        return "pydata" if issubclass(cls, sparse.SparseArray) else None
    return None


def is_sparse(A: Any) -> bool:
    """Whether A is a scipy.sparse array or matrix, or a pydata sparse array."""
    return _library(A) is not None


def kind(A: Any) -> str:
    """How an error names a sparse A: its library and class."""
    library = "scipy.sparse" if _library(A) == "scipy" else "pydata sparse"
    return f"{library} {type(A).__name__}"


def _as_coo(x: Any) -> Any:
    """A pydata sparse array as pydata COO (DOK and GCXS converted)."""
    import sparse

    return x.to_coo() if isinstance(x, sparse.DOK) else sparse.as_coo(x)


def _as_csc(func: str, A: Any) -> Any:
    """A as a canonical SciPy CSC array (duplicates summed, on a copy: A is never
    modified), pydata sparse converted through SciPy; SciPy has no float16, so 16-bit
    A is widened to float32."""
    import numpy as np
    import scipy.sparse

    if _library(A) == "pydata":
        coo = _as_coo(A)
        if not (coo.fill_value == 0):
            raise TypeError(
                f"{func}(): A is a {kind(A)} whose fill value is {coo.fill_value}; a design "
                "matrix's entries not stored must be 0. Call A.todense() first."
            )
        if np.dtype(coo.dtype).itemsize == 2:
            coo = coo.astype(np.float32)
        A = coo.to_scipy_sparse()
    elif np.dtype(A.dtype).itemsize == 2:
        A = A.astype(np.float32)
    # A CSC A keeps the answer on itself (SciPy computes it once, O(nnz), and caches it
    # as its own methods do); a new wrapper of the same arrays would compute it again.
    canonical = A.format == "csc" and bool(A.has_canonical_format)
    csc = scipy.sparse.csc_array(A)
    if canonical:
        csc.has_canonical_format = True
    elif not csc.has_canonical_format:
        csc = csc.copy()
        csc.sum_duplicates()
    return csc


def columns(A: Any, index: Any) -> Any:
    """The columns ``index`` of a sparse A, as a SciPy CSC array."""
    import numpy as np

    return _as_csc("columns", A)[:, np.asarray(index)]


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

    if np.dtype(A.dtype).kind not in "fc":
        raise TypeError(
            f"{func}(): A must have a floating dtype; got a {kind(A)} of dtype {A.dtype}. "
            "Call A.astype(float) first."
        )
    csc = _as_csc(func, A)
    dtype = np.result_type(csc.dtype, b.dtype)
    csc = csc if csc.dtype == dtype else csc.astype(dtype)
    b = b if b.dtype == dtype else xp.astype(b, dtype)
    # A finite sum has finite terms: the count (two more passes) only where it is not.
    finite = bool(np.isfinite(np.sum(csc.data)))
    bad = 0 if finite else int(np.count_nonzero(~np.isfinite(csc.data)))
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

    def operator(self, batched: bool, *, whole: bool = True) -> Operator:
        """The operator of these columns. ``whole``: the full matrix, whose products
        are mostly taken of sparse x (certificates); a working set's are not."""
        A = self.A
        A_adjoint = A.conj().T if A.dtype.kind == "c" else A.T  # a CSR view
        forward = self._forward if whole else A.__matmul__
        return Operator(forward, lambda r: A_adjoint @ r, tuple(A.shape), None, self)

    def _forward(self, x: Array) -> Array:
        """A @ x, from the columns of x's nonzero rows alone where they are few (a
        Lasso solution is sparse, and most certificates are taken of one)."""
        import numpy as np

        rows = np.flatnonzero(x if x.ndim == 1 else np.any(x != 0, axis=1))
        if rows.size > x.shape[0] // _FEW:
            return self.A @ x
        if rows.size == 0:  # x = 0, as a cold start is
            return np.zeros((self.A.shape[0], *x.shape[1:]), dtype=np.result_type(self.A, x))
        return self.A[:, rows] @ x[rows]

    def norms(self) -> Array:
        """From the squares of the stored values (in float64), summed per column by one
        product of their CSR transpose with ones: twice as fast as np.add.reduceat, and
        an empty column sums to 0."""
        import numpy as np
        import scipy.sparse

        A = self.A
        values = np.abs(A.data) if A.dtype.kind == "c" else A.data
        values = values.astype(np.float64, copy=False)
        squares = scipy.sparse.csr_array(
            (values * values, A.indices, A.indptr), shape=A.shape[::-1], copy=False
        )
        sums = squares @ np.ones(A.shape[0])
        return np.sqrt(sums).astype(A.real.dtype if A.dtype.kind == "c" else A.dtype)

    def entries(self) -> int:
        return int(self.A.nnz)

    def restrict(self, index: Array, batched: bool) -> Operator:
        return SparseColumns(self.A[:, index], self.xp).operator(batched, whole=False)

    def gram(self) -> Array:
        A = self.A
        A_conj = A.conj() if A.dtype.kind == "c" else A  # conj() of real data copies it
        return (A_conj.T @ A).toarray()  # sparse product: O(nnz), not O(m n^2)

    def gram_solver(self, gram: Array) -> GramSolver:
        return _CholeskySolver(gram)


# A sub-block that leaves out at most 1/_SCHUR of the rows is solved with the
# factorization of the whole matrix.
_SCHUR = 8
# ... where its residual is at most sqrt(eps) of G's dtype times |G| |w| + |rhs|
# (max-norms): far above a stable solve's rounding, far below a failed one.


class _CholeskySolver:
    """The solves of the principal sub-blocks of one Gram matrix G (SciPy; see
    arrayshrink._agnostic._lasso.GramSolver), by Cholesky, twice as fast as NumPy's
    LU; by LU where rounding left G not positive definite, which raises where the
    block is singular.

    G is factored once, on the first solve that needs it: the Newton steps of the
    working sets solve on a support, then on that support less the few coefficients
    that reached zero. The block K of G, which leaves out the rows D, is solved with
    that factorization (the bordered system): w = G^-1 (r' + E_D mu), with r' the
    right-hand side with its rows D set to 0, E_D the columns of the identity at D,
    and mu such that w_D = 0, from the small system (G^-1)_DD mu = -(G^-1 r')_D; then
    G_KK w_K = r_K. Two triangular solves per column of E_D instead of a new
    factorization. A block that leaves out more rows is factored anew."""

    def __init__(self, gram: Array) -> None:
        self.gram = gram
        self.factor: Any = None
        self.factored = False
        self.largest = 0.0  # max |G_ij|, for the residual test of the bordered solves

    def _factor(self) -> Any:
        """The Cholesky factor of G (None where G is not positive definite)."""
        import numpy as np
        import scipy.linalg

        if not self.factored:
            self.factored = True
            try:
                self.factor = scipy.linalg.cho_factor(self.gram)
            except np.linalg.LinAlgError:
                self.factor = None
            self.largest = float(np.max(np.abs(self.gram)))
        return self.factor

    def __call__(self, keep: Array, rhs: Array) -> Array:
        import numpy as np
        import scipy.linalg

        size = self.gram.shape[0]
        left_out = size - keep.shape[0]
        factor = self._factor() if left_out * _SCHUR <= size else None
        if factor is None:
            return _solve_block(self.gram[np.ix_(keep, keep)], rhs[keep])
        # The factor is finite (cho_factor checked G): its solves skip the check.
        if left_out == 0:
            return scipy.linalg.cho_solve(factor, rhs, check_finite=False)
        rows = np.setdiff1d(np.arange(size), keep, assume_unique=True)
        border = np.zeros((size, 1 + rows.size), dtype=np.result_type(self.gram, rhs))
        border[:, 0] = rhs
        border[rows, 0] = 0.0
        border[rows, 1 + np.arange(rows.size)] = 1.0
        solved = scipy.linalg.cho_solve(factor, border, check_finite=False)
        mu = np.linalg.solve(solved[rows, 1:], -solved[rows, 0])
        w = solved[:, 0] + solved[:, 1:] @ mu
        w[rows] = 0.0
        # Where G is ill-conditioned through the rows left out, the block may not be:
        # a residual above the rounding of a direct solve, and the block is factored.
        residual = np.max(np.abs((self.gram @ w - rhs)[keep]), initial=0.0)
        scale = self.largest * np.max(np.abs(w)) + np.max(np.abs(rhs))
        if not residual <= np.sqrt(np.finfo(self.gram.dtype).eps) * scale:
            return _solve_block(self.gram[np.ix_(keep, keep)], rhs[keep])
        return w[keep]


def _solve_block(gram: Array, rhs: Array) -> Array:
    """gram^-1 rhs: by Cholesky, or by LU where rounding left gram not positive
    definite, which raises where it is singular."""
    import numpy as np
    import scipy.linalg

    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram), rhs)
    except np.linalg.LinAlgError:
        return np.linalg.solve(gram, rhs)


# --- sparse arrays through the shrink family ---------------------------------------


def no_other_namespace(func: str, x: Any, xp: Any) -> None:
    """An ``xp`` given beside a sparse x must be x's own (pydata sparse's namespace);
    SciPy's sparse arrays have none."""
    if xp is None:
        return
    own = getattr(x, "__array_namespace__", None)
    if own is not None and xp is own():
        return
    raise TypeError(
        f"{func}(): xp={getattr(xp, '__name__', xp)!r} is not the namespace of x, a "
        f"{kind(x)}; leave xp out for sparse input."
    )


def number_thresholds(func: str, thresholds: dict[str, Any]) -> None:
    """With a sparse x, thresholds are numbers: an array one would have to be read at
    every stored entry, which the rules do not do."""
    for name, value in thresholds.items():
        if hasattr(value, "shape") and len(value.shape) > 0:
            raise TypeError(
                f"{func}(): with a sparse x, {name} must be a number; got an array of shape "
                f"{tuple(value.shape)}. Call x.todense() (pydata sparse) or x.toarray() "
                "(scipy.sparse) for thresholds per element, row or column."
            )


def _same(a: Any, b: Any) -> Any:
    """a == b, NaN equal to NaN (elementwise, NumPy)."""
    import numpy as np

    return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)))


def _kept_fill(func: str, rule: Any, fill: Any, dtype: Any) -> None:
    """The entries not stored hold ``fill``: the rule must keep it, else the result
    would not be sparse (a substitute, an interval without 0)."""
    import numpy as np

    value = rule(np.asarray([fill], dtype=dtype))[0]
    if not bool(_same(value, fill)):
        raise TypeError(
            f"{func}(): x is sparse, and this rule maps {fill} (the value of the entries "
            f"not stored) to {value}: the result would not be sparse. Call x.todense() "
            "(pydata sparse) or x.toarray() (scipy.sparse) first."
        )


def elementwise(func: str, x: Any, rule: Any, thresholds: dict[str, Any]) -> Any:
    """``rule`` (a function of a NumPy array) on the stored values of a sparse x: a
    sparse array of the same library and format, without the zeros the rule creates.
    Raises TypeError for array thresholds and rules that do not keep the fill value."""
    number_thresholds(func, thresholds)
    if _library(x) == "scipy":
        return _scipy_elementwise(func, x, rule)
    import sparse

    coo = _as_coo(x)
    fill = coo.fill_value
    _kept_fill(func, rule, fill, coo.dtype)
    data = rule(coo.data)
    keep = ~_same(data, fill)
    out = sparse.COO(
        coo.coords[:, keep],
        data[keep],
        shape=coo.shape,
        fill_value=fill,
        sorted=True,
        has_duplicates=False,
    )
    return _like(out, x)


def _like(out: Any, x: Any) -> Any:
    """``out`` (pydata COO) in the format of x (COO or GCXS; COO otherwise)."""
    import sparse

    if isinstance(x, sparse.GCXS):
        return sparse.GCXS.from_coo(out, compressed_axes=x.compressed_axes)
    if isinstance(x, sparse.DOK):
        return sparse.DOK.from_coo(out)
    return out


def _scipy_elementwise(func: str, x: Any, rule: Any) -> Any:
    import numpy as np

    _kept_fill(func, rule, 0.0, x.dtype)
    out = x.tocsr(copy=True)
    out.sum_duplicates()  # the rule of a sum, not the sum of the rule
    out.data = np.asarray(rule(out.data))
    out.eliminate_zeros()  # NaN is not zero: it stays
    return out.asformat(x.format)


def grouped(func: str, x: Any, axes: tuple[int, ...], scale: Any) -> Any:
    """Group soft-thresholding of a sparse x: the norm of each group (the entries that
    share their coordinates off ``axes``) from its stored values, and each stored value
    times its group's ``scale(norm)``; groups of unstored entries stay 0. A
    group holding NaN has its stored values NaN; its unstored entries stay 0, where
    the dense result holds NaN too (a sparse result cannot)."""
    import numpy as np

    scipy_x = _library(x) == "scipy"
    if scipy_x:
        coo = x.tocoo(copy=True)
        coo.sum_duplicates()
        coords, data, shape = np.stack(coo.coords), coo.data, coo.shape
    else:
        coo = _as_coo(x)
        if coo.fill_value != 0:
            raise TypeError(
                f"{func}(): x is sparse with fill value {coo.fill_value}; group "
                "soft-thresholding needs 0 there. Call x.todense() first."
            )
        coords, data, shape = coo.coords, coo.data, coo.shape
    others = [axis for axis in range(len(shape)) if axis not in axes]
    if others:
        key = np.ravel_multi_index(tuple(coords[others]), tuple(shape[a] for a in others))
    else:  # one group: every entry
        key = np.zeros(data.shape, dtype=np.intp)
    groups, group_of = np.unique(key, return_inverse=True)
    modulus = np.abs(data).astype(np.float64)
    # Scaled by each group's largest modulus: squares neither overflow nor underflow.
    largest = np.zeros(groups.size)
    with np.errstate(invalid="ignore"):  # NaN propagates into its group's maximum
        np.maximum.at(largest, group_of, modulus)
    # A group of 0, inf or NaN has that as its norm (its squares are not taken).
    usable = (largest > 0) & np.isfinite(largest)
    unit = np.where(usable[group_of], modulus, 0.0) / np.where(usable, largest, 1.0)[group_of]
    squares = np.bincount(group_of, weights=unit * unit, minlength=groups.size)
    norm = largest * np.sqrt(np.where(usable, squares, 1.0))
    out_data = (data * scale(norm)[group_of].astype(data.real.dtype)).astype(data.dtype)
    keep = out_data != 0
    if scipy_x:
        # coo_array or coo_matrix, as x is an array or a matrix
        result = type(coo)((out_data[keep], tuple(coords[:, keep])), shape=shape)
        return result.asformat(x.format)
    import sparse

    out = sparse.COO(
        coords[:, keep], out_data[keep], shape=shape, sorted=True, has_duplicates=False
    )
    return _like(out, x)

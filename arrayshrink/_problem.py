"""The solvers' arguments, checked and turned into the problem the drivers solve.

Every error message of a solve's arguments comes from here (or from the validator of
arrayshrink._lib._validation, for thresholds and arrays): each names the argument,
the value and what was expected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from arrayshrink import _backends, _sparse
from arrayshrink._agnostic._lasso import Operator, dense_operator
from arrayshrink._agnostic._penalties import L1, ElasticNet, Groups, Penalty, PositiveL1
from arrayshrink._lib import _compat, _validation
from arrayshrink._lib._typing import Array, Namespace

__all__ = [
    "LinearOperator",
    "allowed_mix",
    "check_flag",
    "check_number",
    "checked_namespace",
    "finite",
    "flatten_tasks",
    "free_basis",
    "group_structure",
    "label_values",
    "namespace",
    "operator",
    "penalty",
    "read",
    "real_array",
    "row_groups",
    "threshold",
    "weight_array",
]


@runtime_checkable
class LinearOperator(Protocol):
    """What a matrix-free dictionary provides: ``A`` in ``fista(A, b, ...)``.

    ``forward(x)`` computes A @ x and ``adjoint(r)`` computes A^H @ r, for x of shape
    (n,) or (n, k) and r of shape (m,) or (m, k); ``shape`` is (m, n). Both must
    return arrays of the library of ``b``, of shape (m,) or (m, k) and (n,) or (n, k):
    a product of another shape raises ValueError at its first call.
    """

    shape: tuple[int, int]

    def forward(self, x: Array) -> Array: ...

    def adjoint(self, r: Array) -> Array: ...


# Pairs of (A's library, b's library) accepted together on purpose; every other mix of
# libraries among A, b, x0 and an array lambd raises TypeError. A NumPy (or CuPy) matrix
# A beside a Dask b whose chunks are NumPy (CuPy) arrays: the dictionary of a batch
# that is chunked along its columns, which each task reads whole.
_ALLOWED_MIXES: frozenset[tuple[str, str]] = frozenset({("numpy", "dask"), ("cupy", "dask")})


def _chunks_library(b: Any) -> str | None:
    """The library of the chunks of a Dask array (its ``_meta``), else None."""
    meta_xp = _validation.namespace_or_none(getattr(b, "_meta", None))
    return None if meta_xp is None else _backends.profile(meta_xp).name


def allowed_mix(A: Any, A_xp: Namespace, b: Any, xp: Namespace) -> bool:
    """Whether matrix ``A`` of namespace ``A_xp`` may stand beside ``b`` (of ``xp``)."""
    pair = (_backends.profile(A_xp).name, _backends.profile(xp).name)
    return pair in _ALLOWED_MIXES and _chunks_library(b) == pair[0]


def checked_namespace(func: str, given: Any, inferred: Namespace) -> Namespace:
    """The namespace of the data; an ``xp`` argument must name the same library."""
    return _validation.check_namespace(func, given, inferred, data_name="b")


def namespace(
    func: str, b: Any, A: Any, x0: Any, lambd: Any, lambd_name: str = "lambd"
) -> Namespace:
    """The namespace of b, after checking that A, x0 and an array lambd share it (a
    Python or NumPy number lambd is not an array); ``lambd_name``: what the caller
    calls lambd (lambda_max's weights)."""
    for name, value in (("b", b), ("x0", x0), (lambd_name, lambd)):
        if _sparse.is_sparse(value):
            raise TypeError(
                f"{func}(): {name} must be a dense array; got a {_sparse.kind(value)}. "
                f"Only A may be sparse: call {name}.toarray() (scipy) or {name}.todense() "
                "(pydata sparse) first."
            )
    xp = _validation.namespace_of(b, None, func, name="b")
    for name, value in (("A", A), ("x0", x0), (lambd_name, lambd)):
        if name == "A" and _sparse.is_sparse(value):
            continue  # a sparse A stands beside a dense NumPy b: checked by its operator
        other = _validation.namespace_or_none(value)
        if other is None or other is xp:
            continue
        if name == "A" and allowed_mix(value, other, b, xp):
            continue
        _validation.check_same_library(value, other, xp, func, name, "b")
    return xp


def read(compute: Callable[[], Array], a: Array) -> Array | None:
    """``compute()`` from array ``a`` where its result can be read now, else None: not
    for lazy or traced ``a``, nor inside a jax.jit trace, where even a concrete array
    closed over by the traced function gives traced results."""
    if not _compat.is_concrete(a):
        return None
    value = compute()
    return value if _compat.is_concrete(value) else None


def finite(func: str, name: str, a: Array, xp: Namespace) -> None:
    """Non-finite data that can be read now raises; lazily it gives a NaN result."""
    finite = read(lambda: xp.isfinite(a), a)
    if finite is not None and not bool(xp.all(finite)):
        count = int(xp.sum(xp.astype(~finite, xp.int64)))
        raise ValueError(
            f"{func}(): {name} must be finite; it holds {count} NaN or infinite "
            f"value{'s' if count > 1 else ''}. Remove or impute them first."
        )


def _checked_product(
    func: str,
    method: str,
    product: Callable[[Array], Array],
    shape: tuple[int, int],
    xp: Namespace,
) -> Callable[[Array], Array]:
    """A user's forward/adjoint, checked at every call for the shape it must return."""
    rows = shape[0] if method == "forward" else shape[1]

    def call(v: Array) -> Array:
        out = product(v)
        expected = (rows, *tuple(v.shape[1:]))
        if _compat.namespace_for(out) is not xp:
            raise TypeError(
                f"{func}(): A.{method} must return an array of the library of b; got "
                f"{type(out).__name__}."
            )
        _validation.check_floating(out, xp, func, name=f"the output of A.{method}")
        if xp.isdtype(out.dtype, "complex floating") and not xp.isdtype(
            v.dtype, "complex floating"
        ):
            raise TypeError(
                f"{func}(): A.{method} returned {out.dtype} for real input; a complex "
                "operator needs complex b (or x0), e.g. b + 0j."
            )
        if tuple(out.shape) != expected:
            raise ValueError(
                f"{func}(): A.{method} returned shape {tuple(out.shape)} for an input of "
                f"shape {tuple(v.shape)}; expected {expected}, as A.shape is {shape}."
            )
        return out

    return call


def _check_shape(func: str, shape: tuple[int, int], b: Array, what: str) -> None:
    if shape[1] < 1:
        raise ValueError(
            f"{func}(): A must have at least one column (one coefficient); {what} has "
            f"shape {shape}."
        )
    if shape[0] != b.shape[0]:
        raise ValueError(
            f"{func}(): {what} of shape {shape} and b of shape {tuple(b.shape)} do not "
            "match: A must have as many rows as b."
        )


def _operator_shape(func: str, shape: Any) -> tuple[int, int]:
    """A LinearOperator's shape: two non-negative integers (m, n)."""
    if (
        not isinstance(shape, tuple | list)
        or len(shape) != 2
        or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in shape)
        or min(shape) < 0
    ):
        raise TypeError(
            f"{func}(): A.shape must be a pair of non-negative integers (m, n); got {shape!r}."
        )
    return int(shape[0]), int(shape[1])


def operator(A: Any, b: Array, xp: Namespace, func: str) -> tuple[Operator, Array]:
    """Wrap a matrix or a LinearOperator as forward/adjoint products; also returns b,
    promoted to the common dtype of A and b as NumPy would. A matrix of the library of
    b's chunks (an allowed mix) becomes an array of b's library first. A sparse matrix
    beside a dense NumPy b stays sparse (arrayshrink._sparse)."""
    if _sparse.is_sparse(A):
        if len(A.shape) != 2:
            raise ValueError(
                f"{func}(): A must be 2-d; got a {_sparse.kind(A)} of shape {tuple(A.shape)}."
            )
        _check_shape(func, tuple(A.shape), b, f"A ({_sparse.kind(A)})")
        return _sparse.operator(A, b, xp, func)
    A_xp = _compat.namespace_for(A)
    if A_xp is not None:
        if A.ndim != 2:
            raise ValueError(f"{func}(): A must be a 2-d array; got shape {tuple(A.shape)}.")
        _validation.check_floating(A, A_xp, func, name="A")
        _validation.check_known_shape(func, "A", A)
        _check_shape(func, tuple(A.shape), b, "A")
        if A_xp is not xp:
            A = _backends.adopt(_backends.profile(xp), A, b)
        dtype = xp.result_type(A.dtype, b.dtype)
        A = A if A.dtype == dtype else xp.astype(A, dtype)
        b = b if b.dtype == dtype else xp.astype(b, dtype)
        return dense_operator(A, b.ndim == 2, xp), b
    if isinstance(A, LinearOperator):
        shape = _operator_shape(func, A.shape)
        _check_shape(func, shape, b, "the operator A")
        forward = _checked_product(func, "forward", A.forward, shape, xp)
        adjoint = _checked_product(func, "adjoint", A.adjoint, shape, xp)
        return Operator(forward, adjoint, shape), b
    raise TypeError(
        f"{func}(): A must be a 2-d array, a scipy.sparse or pydata sparse matrix, or an "
        f"object with forward(x), adjoint(r) and shape; got {type(A).__name__}."
    )


def check_number(func: str, name: str, value: Any, *, minimum: float, integer: bool) -> None:
    """A finite real number (an integer with ``integer``) of at least ``minimum``."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"{func}(): {name} must be {expected}; got {value!r}.")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (number >= minimum and math.isfinite(number)):
        raise ValueError(f"{func}(): {name} must be a finite number >= {minimum}; got {value!r}.")


def check_flag(func: str, name: str, value: Any) -> None:
    """A bool (Python's or NumPy's): True or False, not a truthy value."""
    if not isinstance(value, bool) and not _is_numpy_bool(value):
        raise TypeError(f"{func}(): {name} must be True or False; got {value!r}.")


def _is_numpy_bool(value: Any) -> bool:
    return _compat.is_numpy_scalar(value) and str(getattr(value, "dtype", "")) == "bool"


def threshold(lambd: Any, x_shape: tuple[int, ...], real: Any, xp: Namespace, func: str) -> Any:
    """lambd as a float, or an array of dtype ``real`` that broadcasts to x's shape (a
    per-column (k,) array becomes (1, k)); entries that cannot be checked now and are
    invalid become NaN, which makes the solve NaN and not converged."""
    value, invalid = _validation.check_threshold(
        lambd, func, xp=xp, dtype=real, name="lambd", data_name="b"
    )
    if isinstance(value, float):
        return value
    if not _validation.broadcasts_to(tuple(value.shape), x_shape):
        hint = (
            f"for 1-d b, a number or one weight per coefficient, shape ({x_shape[0]},)"
            if len(x_shape) == 1
            else f"one value per column ({x_shape[1]},), per coefficient ({x_shape[0]}, 1), "
            f"or both {x_shape}"
        )
        raise ValueError(
            f"{func}(): lambd of shape {tuple(value.shape)} does not fit x of shape "
            f"{x_shape}: give {hint}."
        )
    value = _nan_where_invalid(xp.astype(value, real, copy=False), invalid, xp)
    # One value per column, (k,), becomes (1, k): the solver takes columns of lambd.
    missing = len(x_shape) - value.ndim
    return xp.reshape(value, (1,) * missing + tuple(value.shape))


def _free_coefficients(lambd: Any, l2: float, xp: Namespace) -> bool | None:
    """Whether some coefficients are unpenalised with l2 = 0 (None: cannot be read)."""
    if l2 > 0:
        return False
    if isinstance(lambd, float):
        return lambd == 0
    any_free = read(lambda: xp.any(lambd == 0), lambd)
    return None if any_free is None else bool(any_free)


def free_basis(A: Any, threshold: Any, dtype: Any, xp: Namespace) -> Array | None:
    """An orthonormal basis of the span of the unpenalised columns of a matrix ``A``, for
    a true duality gap with unpenalised coefficients; None where there is no matrix, the
    pattern differs between columns of a batch, or the values cannot be read."""
    sparse = _sparse.is_sparse(A)
    if not sparse and (_compat.namespace_for(A) is not xp or not _compat.is_concrete(A)):
        return None
    if isinstance(threshold, float):
        free = xp.arange(A.shape[1], device=_compat.device(A))
    else:
        if threshold.ndim == 2 and threshold.shape[-1] != 1:
            return None  # one pattern per column of the batch
        weights = xp.reshape(threshold, (-1,))
        if weights.shape[0] == 1:
            free = xp.arange(A.shape[1], device=_compat.device(A))
        else:
            mask = read(lambda: weights == 0, weights)
            if mask is None:
                return None
            free = xp.nonzero(mask)[0]
    if not _compat.is_concrete(free) or not hasattr(xp, "linalg"):
        return None
    if sparse:  # the free columns alone, dense: few, as their fit is a dense problem
        columns = xp.asarray(_sparse.columns(A, free).toarray(), dtype=dtype)
    else:
        columns = xp.take(xp.astype(A, dtype, copy=False), free, axis=1)
    # The left singular vectors of the nonzero singular values: a basis of the span
    # itself, also where free columns repeat or are zero (a QR factor would then hold
    # spurious directions, and the gap would count the residual along them).
    u, singular, _ = xp.linalg.svd(columns, full_matrices=False)
    if singular.shape[0] == 0:
        return u
    eps = float(xp.finfo(_validation.real_dtype(dtype, xp)).eps)
    rank = singular > max(columns.shape) * eps * xp.max(singular)
    return xp.take(u, xp.nonzero(rank)[0], axis=1)


def penalty(A: Any, lambd: Any, *, l2: float, positive: bool, dtype: Any, xp: Namespace) -> Penalty:
    """The penalty of a solve: L1 (x >= 0 with ``positive``), plus the elastic-net
    term where ``l2 > 0``; ``lambd`` as returned by :func:`threshold`."""
    kind = PositiveL1 if positive else L1
    if l2 > 0:
        return ElasticNet(kind(lambd, xp), float(l2))
    free = _free_coefficients(lambd, l2, xp)
    # A free coefficient with x >= 0 has the dual constraint c_j <= 0, not c_j = 0:
    # projecting the dual point off its column would leave a gap that never closes, so
    # its optimality residual certifies it instead.
    basis = free_basis(A, lambd, dtype, xp) if free and not positive else None
    return kind(lambd, xp, free=free, free_basis=basis)


def label_values(func: str, groups: Any) -> list[int]:
    """The group labels as Python integers: concrete values, read once (the number of
    groups shapes the computation, so it must be known before any trace)."""
    if _validation.is_array(groups):
        xp = _validation.namespace_or_none(groups)
        if not _compat.is_concrete(groups):
            raise TypeError(
                f"{func}(): groups must hold concrete labels (a list, or an array whose "
                "values can be read now); got a traced or lazy array. The number of "
                "groups shapes the solve, so labels are static: pass them as a list or "
                "a NumPy array, outside jax.jit."
            )
        if xp is None or not xp.isdtype(groups.dtype, "integral"):
            raise TypeError(
                f"{func}(): groups must be integer labels; got an array of dtype {groups.dtype}."
            )
        if groups.ndim != 1:
            raise ValueError(
                f"{func}(): groups must be 1-d (one label per coefficient); got shape "
                f"{tuple(groups.shape)}."
            )
        values = groups.tolist() if hasattr(groups, "tolist") else [int(v) for v in groups]
        return [int(v) for v in values]
    if isinstance(groups, str | bytes) or not isinstance(groups, Sequence | range):
        raise TypeError(
            f"{func}(): groups must be a sequence or a 1-d array of integer labels; got "
            f"{type(groups).__name__}."
        )
    for label in groups:
        if isinstance(label, bool) or not isinstance(label, numbers.Integral):
            raise TypeError(f"{func}(): groups must hold integers; got {label!r}.")
    return [int(v) for v in groups]


def group_structure(
    func: str, groups: Any, group_weights: Any, n: int, real: Any, xp: Namespace, b: Array
) -> tuple[Groups, Any]:
    """The groups of the n coefficients from their labels in [0, G), and the group
    weights as an array (G,) of dtype ``real`` (invalid entries that cannot be read
    now are NaN). G is the length of ``group_weights``, else the largest label + 1."""
    labels = label_values(func, groups)
    if len(labels) != n:
        raise ValueError(
            f"{func}(): groups must hold one label per coefficient ({n}, the columns of "
            f"A); got {len(labels)}."
        )
    weights = None
    if group_weights is not None:
        weights = weight_array(func, "group_weights", group_weights, real, b, xp)
        if weights.ndim != 1:
            raise ValueError(
                f"{func}(): group_weights must be 1-d (one weight per group); got shape "
                f"{tuple(weights.shape)}."
            )
    count = int(weights.shape[0]) if weights is not None else max(labels, default=-1) + 1
    bad = [v for v in labels if not 0 <= v < count]
    if bad:
        where = f"len(group_weights) = {count}" if weights is not None else "G"
        raise ValueError(
            f"{func}(): groups must hold labels in [0, {where}); got {bad[0]}"
            f"{f' (and {len(bad) - 1} more)' if len(bad) > 1 else ''}."
        )
    if weights is None:
        weights = xp.ones((count,), dtype=real, device=_compat.device(b))
    return _groups_of(labels, count, xp, _compat.device(b)), weights


def _groups_of(labels: list[int], count: int, xp: Namespace, device: Any) -> Groups:
    """The gather indices of each group, padded with n (a zero appended)."""
    n = len(labels)
    members: list[list[int]] = [[] for _ in range(count)]
    for index, label in enumerate(labels):
        members[label].append(index)
    size = max(1, max(len(m) for m in members))
    padded = any(len(m) < size for m in members)
    table = [m + [n] * (size - len(m)) for m in members]
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]
    return Groups(
        xp.asarray(table, dtype=index_dtype, device=device),
        xp.asarray(labels, dtype=index_dtype, device=device),
        padded,
    )


def row_groups(n: int, k: int, xp: Namespace, device: Any) -> Groups:
    """The rows of an (n, k) array flattened in C order: n groups of k coefficients."""
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]
    flat = xp.arange(n * k, dtype=index_dtype, device=device)
    return Groups(xp.reshape(flat, (n, k)), flat // k, False)


def flatten_tasks(
    op: Operator, b: Array, x0: Array, xp: Namespace
) -> tuple[Operator, Array, Array]:
    """The multi-task problem on X (n, k) as one problem on its flattened coefficients
    (C order), so that the drivers take one step and one certificate for all tasks:
    the operator x -> vec(A X), and vec(b), vec(x0)."""
    (m, k), n = b.shape, x0.shape[0]

    def forward(x: Array) -> Array:
        return xp.reshape(op.forward(xp.reshape(x, (n, k))), (-1,))

    def adjoint(r: Array) -> Array:
        return xp.reshape(op.adjoint(xp.reshape(r, (m, k))), (-1,))

    flat = Operator(forward, adjoint, (m * k, n * k))
    return flat, xp.reshape(b, (-1,)), xp.reshape(x0, (-1,))


def real_array(func: str, name: str, value: Any, real: Any, b: Array, xp: Namespace) -> Array:
    """A sequence of real numbers, or a real array of the library of ``b``, as an array
    of dtype ``real`` on b's device (its values are not checked here)."""
    device = _compat.device(b)
    value_xp = _validation.namespace_or_none(value)
    if value_xp is not None:
        _validation.check_same_library(value, value_xp, xp, func, name, "b")
        if not xp.isdtype(value.dtype, ("real floating", "integral")):
            raise TypeError(f"{func}(): {name} must be real; got dtype {value.dtype}.")
        _validation.check_device(func, name, value, b, data_name="b")
        return xp.astype(value, real)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(
            f"{func}(): {name} must be a sequence of numbers or an array of the library of "
            f"b; got {type(value).__name__}."
        )
    for entry in value:
        if isinstance(entry, bool) or _is_numpy_bool(entry) or not isinstance(entry, numbers.Real):
            raise TypeError(f"{func}(): {name} must hold real numbers; got {entry!r}.")
    return xp.asarray([float(entry) for entry in value], dtype=real, device=device)


def weight_array(func: str, name: str, value: Any, real: Any, b: Array, xp: Namespace) -> Array:
    """Weights (finite and >= 0, as a threshold) from :func:`real_array`, checked by the
    threshold validator where their values can be read, and NaN at the invalid
    entries where they cannot (traced, lazy)."""
    checked, invalid = _validation.check_threshold(
        real_array(func, name, value, real, b, xp),
        func,
        xp=xp,
        dtype=real,
        name=name,
        data_name="b",
    )
    return _nan_where_invalid(xp.astype(checked, real, copy=False), invalid, xp)


def _nan_where_invalid(value: Array, invalid: Array | None, xp: Namespace) -> Array:
    """NaN at the entries a validator could not check now and found invalid."""
    return value if invalid is None else xp.where(invalid, xp.full_like(value, math.nan), value)

"""Solves on Dask: one task per chunk of columns of a batch; an exact step elsewhere.

The k columns of b (m, k) are k independent problems. Where b is chunked along its
columns only and A fits in one chunk, each chunk of columns is solved inside one task
by the eager solver of the chunk's library (NumPy, or CuPy for CuPy chunks), with its
backtracking and its retirement of settled columns; A is one key of the graph, which
the scheduler sends once to each worker that needs it. The result is lazy: ``x``,
``gap``, ``objective``, ``converged`` and ``n_iter`` read the same tasks, so that
computing them together (``dask.compute(*result[:5])``) solves each chunk once.

Elsewhere (A chunked along its rows, a 1-d b, a LinearOperator) the generic driver
iterates on whole Dask arrays, persisted at each check point, with a fixed step:
1/||A||^2 from the eigenvalues of the Gram matrix A^H A, computed in one pass over A,
where that matrix is small (power iterations otherwise, in the generic layer).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import array_api_compat
import dask
import dask.array as da
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from arrayshrink._agnostic._result import LassoResult

__all__ = ["adopt", "fits", "gram_lipschitz", "solve_columns"]

# The fields of a LassoResult that hold arrays, in their order.
_FIELDS = ("x", "gap", "objective", "converged", "n_iter")


def adopt(A: Any, like: Any) -> Any:
    """Matrix ``A`` (of the library of ``like``'s chunks) as a Dask array, chunked along
    its rows as ``like`` is and whole along its columns."""
    return da.from_array(A, chunks=(like.chunks[0], -1), asarray=False)


def _chunk_limit() -> int:
    """The size of one chunk that Dask is configured for (``array.chunk-size``)."""
    return int(dask.utils.parse_bytes(dask.config.get("array.chunk-size")))


def fits(A: Any, b: Any) -> bool:
    """Whether the batch ``b`` is solved chunk by chunk: b chunked along its columns
    only, and A a matrix in one chunk (or small enough to be one: ``array.chunk-size``)."""
    if b.ndim != 2 or b.numblocks[0] != 1:
        return False
    if isinstance(A, da.Array):
        return bool(A.numblocks == (1, 1) or A.nbytes <= _chunk_limit())
    return bool(array_api_compat.is_array_api_obj(A))  # an eager matrix, not a LinearOperator


def gram_lipschitz(A: Any) -> float | None:
    """||A||^2, the largest eigenvalue of A^H A, where that n x n matrix fits in one
    chunk (for a Dask ``A``, computed in one pass: a tree sum of each row chunk's Gram
    matrix); None otherwise (the caller falls back to power iterations)."""
    n = A.shape[1]
    if n * n * A.dtype.itemsize > _chunk_limit():
        return None
    xp = array_api_compat.array_namespace(A)
    gram = xp.matrix_transpose(xp.conj(A)) @ A
    if isinstance(gram, da.Array):
        gram = gram.compute()
    chunk_xp = array_api_compat.array_namespace(gram)
    if not bool(chunk_xp.all(chunk_xp.isfinite(gram))):
        return math.nan  # NaN in A: the solve gives NaN, never a certificate
    largest = float(chunk_xp.max(chunk_xp.linalg.eigvalsh(gram)))
    # eigvalsh is accurate to a few eps of ||A||^2; the step must not exceed 1/||A||^2.
    return largest * (1 + 1e-6)


def _one_block(a: Any) -> Any:
    """A Dask array of one chunk: ``a`` itself, or rechunked (an eager array wrapped)."""
    if not isinstance(a, da.Array):
        return da.from_array(a, chunks=a.shape, asarray=False)
    return a if all(n == 1 for n in a.numblocks) else a.rechunk(a.shape)


def _along_columns(a: Any, b: Any) -> Any:
    """``a`` of shape (rows, k) chunked along its columns as ``b`` is, whole along its
    rows; an array of one column (shared by all of b's) as one chunk."""
    if a.shape[-1] == b.shape[1] and b.shape[1] != 1:
        return a.rechunk((a.shape[0], b.chunks[1]))
    return _one_block(a)


def solve_columns(
    solve_block: Callable[[Any, Any, Any, Any], LassoResult[Any]],
    A: Any,
    b: Any,
    threshold: Any,
    x0: Any,
) -> LassoResult[Any]:
    """``solve_block(A, b_chunk, threshold_chunk, x0_chunk)`` on each chunk of columns
    of ``b``, as lazy Dask arrays.

    ``threshold`` is a float or a Dask array of shape (1, k), (n, 1), (n, k) or (1, 1)
    (one value per column, per coefficient, both, or one); ``x0`` is (n, k).
    """
    A = _one_block(A)
    x0 = _along_columns(x0, b)
    inputs: list[Any] = [A, b, x0]
    threshold_of: Callable[[int], Any]
    if isinstance(threshold, float):
        threshold_of = lambda _: threshold  # noqa: E731
    else:
        threshold = _along_columns(threshold, b)
        inputs.append(threshold)
        per_column = threshold.numblocks[1] == b.numblocks[1] > 1

        def threshold_of(j: int) -> Any:
            return (threshold.name, 0, j if per_column else 0)

    name = "arrayshrink-solve-" + tokenize(solve_block, A, b, x0, threshold)
    solves = {
        (name, j): (solve_block, (A.name, 0, 0), (b.name, 0, j), threshold_of(j), (x0.name, 0, j))
        for j in range(b.numblocks[1])
    }
    graph = HighLevelGraph.from_collections(name, solves, dependencies=inputs)
    x, gap, objective, converged, n_iter = _fields(graph, name, b, x0)
    return LassoResult(x, gap, objective, converged, n_iter)


def _fields(graph: HighLevelGraph, name: str, b: Any, x0: Any) -> list[Any]:
    """The lazy arrays of the result, each field read from the chunks' solves."""
    chunk_xp = array_api_compat.array_namespace(b._meta)
    real = chunk_xp.real(chunk_xp.empty((0,), dtype=b.dtype)).dtype
    index = chunk_xp.__array_namespace_info__().default_dtypes()["indexing"]
    dtypes = {"x": b.dtype, "gap": real, "objective": real, "converged": chunk_xp.bool}
    dtypes["n_iter"] = index
    fields = []
    for position, field in enumerate(_FIELDS):
        key = f"arrayshrink-{field}-{name.removeprefix('arrayshrink-solve-')}"
        # x is (n, k), chunked as b's columns; the other fields are per column, (k,).
        leading: tuple[int, ...] = (0,) if field == "x" else ()
        chunks = ((x0.shape[0],), b.chunks[1]) if field == "x" else (b.chunks[1],)
        layer = {
            (key, *leading, j): (operator.getitem, (name, j), position)
            for j in range(b.numblocks[1])
        }
        meta = chunk_xp.empty((0,) * len(chunks), dtype=dtypes[field])
        field_graph = HighLevelGraph.merge(graph, HighLevelGraph({key: layer}, {key: {name}}))
        fields.append(da.Array(field_graph, key, chunks=chunks, meta=meta))
    return fields

"""The solvers on a dask.distributed cluster of two worker processes (the ``client``
fixture): the same results as NumPy, one task per chunk of a batch, and no key that
the scheduler sees twice with different tasks.

References: NumPy's solve of the same columns (equal bit for bit) and of the same
single problem (equal to the certified accuracy); the scheduler's own log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from arrayshrink import fista, softshrink


@contextmanager
def _scheduler_warnings() -> Iterator[list[str]]:
    """The scheduler's warnings while the block runs (it runs in this process)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("distributed.scheduler")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def _batch(m: int, n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    truth = rng.standard_normal((n, k)) * (rng.random((n, k)) < 0.1)
    return A, A @ truth + 0.01 * rng.standard_normal((m, k))


def test_batch_on_workers_equals_numpy(client: Any) -> None:
    import dask.array as da

    A, B = _batch(32, 64, 400)
    with _scheduler_warnings() as warned:
        result = fista(A, da.from_array(B, chunks=(32, 100)), 0.05)
        x, gap, converged, n_iter = client.compute(
            [result.x, result.gap, result.converged, result.n_iter], sync=True
        )
    expected = [fista(A, B[:, j : j + 100], 0.05) for j in range(0, 400, 100)]
    # The workers' BLAS runs one thread (distributed's default), this process's more:
    # products round differently, so equal to the certified accuracy, not bit for bit.
    objective = np.sum(0.5 * (A @ x - B) ** 2, axis=0) + 0.05 * np.sum(np.abs(x), axis=0)
    np.testing.assert_allclose(objective, np.concatenate([e.objective for e in expected]), 2e-6)
    np.testing.assert_allclose(x, np.concatenate([e.x for e in expected], axis=1), atol=1e-4)
    assert n_iter.shape == gap.shape == (400,)
    assert converged.all()
    assert warned == []


def test_batch_runs_one_task_per_chunk_on_the_workers(client: Any) -> None:
    import dask.array as da
    from distributed import get_task_stream

    A, B = _batch(16, 32, 60, seed=1)
    with get_task_stream(client) as stream:
        fista(A, da.from_array(B, chunks=(16, 20)), 0.05).x.compute()
    solves = [t for t in stream.data if t["key"][0].startswith("arrayshrink-solve")]
    assert len(solves) == 3
    assert {t["worker"] for t in stream.data} <= set(client.scheduler_info()["workers"])


@pytest.mark.parametrize("k", [None, 40], ids=["signal", "batch"])
def test_problem_along_rows_has_unique_keys(client: Any, k: int | None) -> None:
    """Persisted iterates: each key reaches the scheduler with one task only (dask
    warns that a key sent twice with different tasks "can cause failures and
    deadlocks")."""
    import dask.array as da

    A, B = _batch(2000, 100, k or 1, seed=2)
    b = B[:, 0] if k is None else B
    A_dask = da.from_array(A, chunks=(500, 100))
    b_dask = da.from_array(b, chunks=(500, *b.shape[1:]))
    with _scheduler_warnings() as warned:
        result = fista(A_dask, b_dask, 0.02, max_iter=100, tol=1e-8)
        objective, converged = client.compute([result.objective, result.converged], sync=True)
    assert not any("run_spec" in message for message in warned), warned[:1]
    reference = fista(A, b, 0.02, tol=1e-12)
    assert np.all(converged)
    np.testing.assert_allclose(objective, reference.objective, rtol=1e-7)


def test_softshrink_on_workers(client: Any) -> None:
    import dask.array as da

    x = np.random.default_rng(3).standard_normal((300, 40))
    out = softshrink(da.from_array(x, chunks=(100, 20)), 0.5).compute()
    np.testing.assert_array_equal(out, np.sign(x) * np.maximum(np.abs(x) - 0.5, 0.0))

"""Lasso solvers: arrayshrink's FISTA against scikit-learn, to a certified relative gap.

    python benchmarks/bench_solvers.py [--threads 1] [--repeats 3]

Problems (float64): one 2000 x 10000 Gaussian problem with unit columns, 5%-sparse
truth and lambd = 0.1 lambda_max; and 1000 signals of dimension 64 coded on a 64 x 256
dictionary, against SparseCoder(transform_algorithm="lasso_cd"). Times are medians of
``--repeats`` interleaved runs; ratios are to scikit-learn in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def _problem(m: int, n: int, k: int | None, seed: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    shape = (n,) if k is None else (n, k)
    truth = rng.standard_normal(shape) * (rng.random(shape) < 0.05)
    noise = 0.01 * rng.standard_normal((m,) if k is None else (m, k))
    return A, A @ truth + noise


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(args.threads)

    import numpy as np
    from sklearn.decomposition import SparseCoder
    from sklearn.linear_model import Lasso

    import arrayshrink

    A, b = _problem(2000, 10_000, None, 0)
    lambd = 0.1 * float(arrayshrink.lambda_max(A, b))
    D, S = _problem(64, 256, 1000, 1)
    lambd_batch = 0.05

    def objective(A_: Any, b_: Any, x: Any, lam: float) -> Any:
        return 0.5 * np.sum((A_ @ x - b_) ** 2, axis=0) + lam * np.sum(np.abs(x), axis=0)

    cases: dict[str, Callable[[], Any]] = {
        "single: sklearn Lasso": lambda: (
            Lasso(alpha=lambd / A.shape[0], fit_intercept=False, tol=1e-6).fit(A, b).coef_
        ),
        "single: arrayshrink.fista": lambda: arrayshrink.fista(A, b, lambd, tol=1e-6).x,
        "batched: sklearn SparseCoder": lambda: (
            SparseCoder(D.T, transform_algorithm="lasso_cd", transform_alpha=lambd_batch)
            .transform(S.T)
            .T
        ),
        "batched: arrayshrink.fista": lambda: arrayshrink.fista(D, S, lambd_batch, tol=1e-6).x,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    solutions: dict[str, Any] = {}
    for _ in range(args.repeats):
        for name, run in cases.items():
            seconds, solutions[name] = _timed(run)
            times[name].append(seconds)
    reference = {"single": "single: sklearn Lasso", "batched": "batched: sklearn SparseCoder"}
    problems = {"single": (A, b, lambd), "batched": (D, S, lambd_batch)}
    print(f"threads={args.threads}, repeats={args.repeats}")
    print(f"{'case':32} {'median s':>9} {'ratio':>6} {'objective / sklearn - 1':>24}")
    for name in cases:
        kind = name.split(":")[0]
        ref = reference[kind]
        ratio = statistics.median(t / r for t, r in zip(times[name], times[ref], strict=True))
        A_, b_, lam = problems[kind]
        excess = np.max(
            objective(A_, b_, solutions[name], lam) / objective(A_, b_, solutions[ref], lam) - 1
        )
        print(f"{name:32} {statistics.median(times[name]):9.3f} {ratio:6.2f} {excess:24.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

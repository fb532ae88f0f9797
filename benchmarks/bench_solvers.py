"""Lasso solvers: arrayshrink's FISTA against scikit-learn, to a certified relative gap.

    python benchmarks/bench_solvers.py [--threads 1] [--repeats 3] [--backends numpy torch jax]
    python benchmarks/bench_solvers.py --gpu [--signals 100000]

Problems (float64): one 2000 x 10000 Gaussian problem with unit columns, 5%-sparse
truth and lambd = 0.1 lambda_max, against Lasso; and 1000 signals of dimension 64
coded on a 64 x 256 dictionary with lambd = 0.05, against
SparseCoder(transform_algorithm="lasso_cd"). arrayshrink runs on each backend
installed; JAX under ``jax.jit``, compiled before the timed runs (the compile time is
printed on its own). Times are medians of ``--repeats`` interleaved runs; ratios are
medians of the per-round ratios to scikit-learn and to arrayshrink on NumPy.

The problems come from the tests' generator, ``tests/_problems.py`` (``lasso_problem``),
so that the benchmark times the problems the tests check: this script puts the
repository's ``tests/`` directory on ``sys.path`` to import it (it needs NumPy alone).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The tests' problem generator (tests/_problems.py), shared with the solver tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _problem(m: int, n: int, k: int | None, seed: int) -> tuple[Any, Any]:
    """Gaussian A with unit columns, 5%-sparse truth, noise 0.01 (float64)."""
    from _problems import lasso_problem

    problem = lasso_problem(seed, m, n, k)
    return problem.A, problem.b


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def _solvers(backends: list[str], A: Any, b: Any, lambd: float) -> dict[str, Callable[[], Any]]:
    """arrayshrink.fista on each backend, returning a NumPy solution."""
    import numpy as np

    import arrayshrink

    runs: dict[str, Callable[[], Any]] = {}
    if "numpy" in backends:
        runs["numpy"] = lambda: arrayshrink.fista(A, b, lambd).x
    if "torch" in backends:
        import torch

        At, bt = torch.from_numpy(A), torch.from_numpy(b)
        runs["torch"] = lambda: arrayshrink.fista(At, bt, lambd).x.numpy()
    if "jax" in backends:
        import jax

        jax.config.update("jax_enable_x64", True)
        Aj, bj = jax.device_put(A), jax.device_put(b)
        solve = jax.jit(lambda A_, b_: arrayshrink.fista(A_, b_, lambd).x)
        compile_s, _ = _timed(lambda: jax.block_until_ready(solve(Aj, bj)))
        print(f"  jax.jit: first call (compile and run) {compile_s:.2f} s")
        runs["jax.jit"] = lambda: np.asarray(jax.block_until_ready(solve(Aj, bj)))
    return runs


def _gpu_batch(signals: int, repeats: int) -> None:
    """Batched coding of ``signals`` signals on the GPU (torch CUDA, CuPy, JAX), against
    SparseCoder on the CPU; scikit-learn codes a tenth of them, and its time is scaled
    by ten (its cost is linear in the number of signals), so the run stays short."""
    import numpy as np
    from sklearn.decomposition import SparseCoder

    import arrayshrink

    D, S = _problem(64, 256, signals, 2)
    lambd = 0.05
    tenth = S[:, : max(signals // 10, 1)]
    coder = SparseCoder(D.T, transform_algorithm="lasso_cd", transform_alpha=lambd)
    cpu_s, _ = _timed(lambda: coder.transform(tenth.T))
    cpu_s *= S.shape[1] / tenth.shape[1]
    print(f"batched {signals} x (64x256) on the GPU, float32 and float64, relative gap 1e-6")
    print(f"  scikit-learn SparseCoder on the CPU (scaled from {tenth.shape[1]}): {cpu_s:.1f} s")
    runs: dict[str, Callable[[Any, Any], Any]] = {}
    if importlib.util.find_spec("torch"):
        import torch

        if torch.cuda.is_available():

            def on_torch(A_: Any, b_: Any) -> Any:
                At, bt = torch.from_numpy(A_).cuda(), torch.from_numpy(b_).cuda()
                out = arrayshrink.fista(At, bt, lambd).x
                torch.cuda.synchronize()
                return out.cpu().numpy()

            runs["torch cuda"] = on_torch
    if importlib.util.find_spec("cupy"):
        import cupy

        if cupy.is_available():

            def on_cupy(A_: Any, b_: Any) -> Any:
                out = arrayshrink.fista(cupy.asarray(A_), cupy.asarray(b_), lambd).x
                return cupy.asnumpy(out)

            runs["cupy"] = on_cupy
    if importlib.util.find_spec("jax"):
        import jax

        if any(device.platform == "gpu" for device in jax.devices()):
            jax.config.update("jax_enable_x64", True)
            solve = jax.jit(lambda A_, b_: arrayshrink.fista(A_, b_, lambd).x)
            runs["jax.jit gpu"] = lambda A_, b_: np.asarray(solve(A_, b_))
    for name, run in runs.items():
        for dtype in ("float32", "float64"):
            A_, b_ = D.astype(dtype), S.astype(dtype)
            first, _ = _timed(lambda run=run, A_=A_, b_=b_: run(A_, b_))
            seconds = statistics.median(
                _timed(lambda run=run, A_=A_, b_=b_: run(A_, b_))[0] for _ in range(repeats)
            )
            print(
                f"  {name:12} {dtype}: {seconds:7.3f} s (first call {first:.2f} s), "
                f"{cpu_s / seconds:6.1f}x faster than scikit-learn on the CPU"
            )
    if not runs:
        print("  no GPU backend available")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--backends",
        nargs="+",
        default=[name for name in ("numpy", "torch", "jax") if importlib.util.find_spec(name)],
    )
    parser.add_argument("--gpu", action="store_true", help="batched coding on the GPU")
    parser.add_argument("--signals", type=int, default=100_000)
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    if args.gpu:
        _gpu_batch(args.signals, args.repeats)
        return 0
    if "torch" in args.backends:
        import torch

        torch.set_num_threads(args.threads)

    import numpy as np
    from sklearn.decomposition import SparseCoder
    from sklearn.linear_model import Lasso

    import arrayshrink

    A, b = _problem(2000, 10_000, None, 0)
    lambd = 0.1 * float(arrayshrink.lambda_max(A, b))
    D, S = _problem(64, 256, 1000, 1)
    lambd_batch = 0.05

    print(f"threads={args.threads}, repeats={args.repeats}, float64, relative gap 1e-6")
    problems: dict[str, tuple[Any, Any, float, Callable[[], Any]]] = {
        "single 2000x10000": (
            A,
            b,
            lambd,
            lambda: Lasso(alpha=lambd / A.shape[0], fit_intercept=False, tol=1e-6).fit(A, b).coef_,
        ),
        "batched 1000 x (64x256)": (
            D,
            S,
            lambd_batch,
            lambda: (
                SparseCoder(D.T, transform_algorithm="lasso_cd", transform_alpha=lambd_batch)
                .transform(S.T)
                .T
            ),
        ),
    }
    for title, (A_, b_, lam, reference) in problems.items():
        print(title)
        cases = {"scikit-learn": reference, **_solvers(args.backends, A_, b_, lam)}
        times: dict[str, list[float]] = {name: [] for name in cases}
        solutions: dict[str, Any] = {}
        for _ in range(args.repeats):
            for name, run in cases.items():
                seconds, solutions[name] = _timed(run)
                times[name].append(seconds)

        def objective(x: Any, A_: Any = A_, b_: Any = b_, lam: float = lam) -> Any:
            return 0.5 * np.sum((A_ @ x - b_) ** 2, axis=0) + lam * np.sum(np.abs(x), axis=0)

        header = f"{'median s':>9} {'/ sklearn':>10} {'/ numpy':>8} {'P/P_sklearn-1':>14}"
        print(f"  {'solver':14} {header}")
        for name in cases:
            ratios = {
                ref: statistics.median(t / r for t, r in zip(times[name], times[ref], strict=True))
                for ref in ("scikit-learn", "numpy")
                if ref in times
            }
            excess = np.max(objective(solutions[name]) / objective(solutions["scikit-learn"]) - 1)
            to_numpy = f"{ratios['numpy']:8.2f}" if "numpy" in ratios else f"{'':8}"
            print(
                f"  {name:14} {statistics.median(times[name]):9.3f} "
                f"{ratios['scikit-learn']:10.2f} {to_numpy} {excess:14.2e}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Lasso solvers: arrayshrink against scikit-learn, celer and skglm, interleaved.

    python benchmarks/bench_solvers.py [--threads 1] [--repeats 3] [--backends numpy torch jax]
        [--out docs/benchmarks/solvers.json]
    python benchmarks/bench_solvers.py --gpu [--signals 100000]

Four problems, float64, three from the tests' generator (``tests/_problems.py``:
Gaussian A with unit columns, 5%-sparse truth, noise 0.01):

- single: one 2000 x 10000 Lasso, lambd = 0.1 lambda_max, against
  ``sklearn.linear_model.Lasso(alpha=lambd / m, fit_intercept=False)``;
- path: the 50-value path on a 500 x 5000 problem, from lambda_max down to
  1e-3 lambda_max, ``arrayshrink.lasso_path(A, b, n_lambdas=50)`` against
  ``sklearn.linear_model.lasso_path`` (alphas = lambdas / m);
- batched: 1000 signals coded on a 64 x 256 dictionary, lambd = 0.05, against
  ``SparseCoder(transform_algorithm="lasso_cd")``;
- sparse: a 20000 x 50000 scipy.sparse CSC design at density 1e-3 (Gaussian stored
  values, 500 true coefficients), lambd = 0.1 lambda_max, against scikit-learn's
  ``Lasso`` on the same matrix.

arrayshrink runs at its defaults (a certified relative duality gap of 1e-6).
scikit-learn runs on its default settings (its tolerance, 1e-4, bounds the gap by
1e-4 ||b||^2: 200 times arrayshrink's absolute criterion), and again at equal
accuracy: its tol set so that it stops where arrayshrink does, at a gap of
max(1e-6 P*, 1e-6 ||b||^2 / 2) (P* the optimal objective). On the path that row is
minutes long, and runs with ``--slow`` only.
celer and skglm (their ``Lasso``; a warm-started loop of it along the path and over
the batch's signals) run on their defaults, and celer at equal accuracy too (its tol
is a gap as scikit-learn's; skglm's is a KKT violation, not a gap). skglm's numba
compile is done by a warm-up call before the timed runs.

The other ``--backends`` (torch, JAX under ``jax.jit``, compiled before the timed
runs) time the single and batched problems. "arrayshrink generic steps" is the NumPy
solve with the NumPy profile's fused iteration steps switched off: the row that shows
what that fast path is worth. Times are medians of ``--repeats``
interleaved rounds; ratios are medians of the per-round ratios. Each row's objective
is compared with the best any solver reached: (P - P_best) / P_best, the largest over
the columns or thresholds.

The problems come from the tests' generator, so that the benchmark times the problems
the tests check: this script puts the repository's ``tests/`` directory on
``sys.path`` to import it (it needs NumPy alone).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
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
        runs["arrayshrink numpy"] = lambda: arrayshrink.fista(A, b, lambd).x
        runs["arrayshrink generic steps"] = lambda: _generic_steps(
            lambda: arrayshrink.fista(A, b, lambd).x
        )
    if "torch" in backends:
        import torch

        At, bt = torch.from_numpy(A), torch.from_numpy(b)
        runs["arrayshrink torch"] = lambda: arrayshrink.fista(At, bt, lambd).x.numpy()
    if "jax" in backends:
        import jax

        jax.config.update("jax_enable_x64", True)
        Aj, bj = jax.device_put(A), jax.device_put(b)
        solve = jax.jit(lambda A_, b_: arrayshrink.fista(A_, b_, lambd).x)
        compile_s, _ = _timed(lambda: jax.block_until_ready(solve(Aj, bj)))
        print(f"  jax.jit: first call (compile and run) {compile_s:.2f} s")
        runs["arrayshrink jax.jit"] = lambda: np.asarray(jax.block_until_ready(solve(Aj, bj)))
    return runs


def _generic_steps(run: Callable[[], Any]) -> Any:
    """``run()`` with the NumPy profile's fused iteration steps switched off: the
    generic Array API steps alone (arrayshrink/_backends/_numpy_steps.py, the fast path
    this row measures)."""
    from unittest import mock

    import arrayshrink._backends

    with mock.patch.object(arrayshrink._backends, "iteration_steps", return_value=None):
        return run()


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


# Equal accuracy: scikit-learn and celer stop at a duality gap of tol ||b||^2 (in the
# unscaled objective); a relative gap of _REL_GAP is tol = _REL_GAP * P* / ||b||^2.
_REL_GAP = 1e-6


def _objective(A: Any, b: Any, x: Any, lambd: Any) -> Any:
    """1/2 ||A x - b||^2 + lambd ||x||_1 per column (lambd per column, or one)."""
    import numpy as np

    return 0.5 * np.sum((A @ x - b) ** 2, axis=0) + lambd * np.sum(np.abs(x), axis=0)


def _equal_tol(A: Any, b: Any, x: Any, lambd: Any) -> float:
    """The scikit-learn/celer tol of arrayshrink's criterion at the optimum x: a gap of
    _REL_GAP P*, or of _REL_GAP ||b||^2 / 2 where that is larger (the absolute
    criterion, scikit-learn's own, that arrayshrink also accepts); the strictest over
    the columns or thresholds."""
    import numpy as np

    relative = _REL_GAP * _objective(A, b, x, lambd) / np.sum(b * b, axis=0)
    return float(np.min(np.maximum(relative, _REL_GAP / 2)))


def _single(A: Any, b: Any, lambd: float, backends: list[str]) -> dict[str, Callable[[], Any]]:
    """The single Lasso: every solver, each returning x (n,)."""
    import celer
    import skglm
    from sklearn.linear_model import Lasso

    import arrayshrink

    alpha = lambd / A.shape[0]
    tol = _equal_tol(A, b, arrayshrink.fista(A, b, lambd).x, lambd)
    fit = {"fit_intercept": False}
    skglm.Lasso(alpha=alpha, **fit).fit(A[:, :50], b)  # the numba compile, untimed
    return {
        "scikit-learn (default)": lambda: Lasso(alpha=alpha, **fit).fit(A, b).coef_,
        "scikit-learn (gap 1e-6)": lambda: (
            Lasso(alpha=alpha, tol=tol, max_iter=100_000, **fit).fit(A, b).coef_
        ),
        "celer (default)": lambda: celer.Lasso(alpha=alpha, **fit).fit(A, b).coef_,
        "celer (gap 1e-6)": lambda: celer.Lasso(alpha=alpha, tol=tol, **fit).fit(A, b).coef_,
        "skglm (default)": lambda: skglm.Lasso(alpha=alpha, **fit).fit(A, b).coef_,
        **_solvers(backends, A, b, lambd),
    }


def _sparse_problem(m: int, n: int, density: float, seed: int) -> tuple[Any, Any]:
    """A scipy.sparse CSC A of Gaussian stored values, a 1%-sparse truth (at most 500
    coefficients) and b = A x + 0.01 noise."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    A = sp.random_array((m, n), density=density, rng=rng, format="csc")
    A.data = rng.standard_normal(A.data.size)
    truth = np.zeros(n)
    truth[rng.choice(n, min(500, n // 100), replace=False)] = rng.standard_normal(
        min(500, n // 100)
    )
    return A, A @ truth + 0.01 * rng.standard_normal(m)


def _warm_loop(model: Any, A: Any, b: Any, alphas: Any, columns: bool = False) -> Any:
    """A warm-started estimator along ``alphas`` (columns=False: the path of one b), or
    over the columns of b at one alpha (columns=True); the solutions as columns."""
    import numpy as np

    out = []
    for i in range(b.shape[1] if columns else len(alphas)):
        if columns:
            out.append(model.fit(A, b[:, i]).coef_.copy())
        else:
            out.append(model.set_params(alpha=alphas[i]).fit(A, b).coef_.copy())
    return np.stack(out, axis=1)


def _path(A: Any, b: Any, n_lambdas: int, slow: bool) -> tuple[Any, dict[str, Callable[[], Any]]]:
    """The path: every solver, each returning x (n, L); and the lambdas. scikit-learn
    at equal accuracy only with ``slow`` (minutes per run: its small thresholds are
    near interpolation, where coordinate descent to a 1e-6 gap takes long)."""
    import celer
    import numpy as np
    import skglm
    from sklearn.linear_model import lasso_path

    import arrayshrink

    # The thresholds, and the optimal objectives to 1e-6 (arrayshrink's certificate).
    reference = arrayshrink.lasso_path(A, b, n_lambdas=n_lambdas)
    lambdas = np.asarray(reference.lambdas)
    alphas = lambdas / A.shape[0]
    tol = _equal_tol(A, b[:, None], np.asarray(reference.x), lambdas)
    fit = {"fit_intercept": False, "warm_start": True}
    skglm.Lasso(alpha=alphas[0], **fit).fit(A[:, :50], b)  # the numba compile, untimed
    cases: dict[str, Callable[[], Any]] = {
        "scikit-learn (default)": lambda: lasso_path(A, b, alphas=alphas)[1]
    }
    if slow:
        cases["scikit-learn (gap 1e-6)"] = lambda: lasso_path(
            A, b, alphas=alphas, tol=tol, max_iter=100_000
        )[1]
    return lambdas, cases | {
        "celer (default)": lambda: _warm_loop(celer.Lasso(**fit), A, b, alphas),
        "celer (gap 1e-6)": lambda: _warm_loop(celer.Lasso(tol=tol, **fit), A, b, alphas),
        "skglm (default)": lambda: _warm_loop(skglm.Lasso(**fit), A, b, alphas),
        "arrayshrink numpy": lambda: arrayshrink.lasso_path(A, b, n_lambdas=n_lambdas).x,
    }


def _batch(D: Any, S: Any, lambd: float, backends: list[str]) -> dict[str, Callable[[], Any]]:
    """Batched coding: every solver, each returning X (n, k)."""
    import celer
    import skglm
    from sklearn.decomposition import SparseCoder
    from sklearn.linear_model import Lasso

    import arrayshrink

    alpha = lambd / D.shape[0]
    tol = _equal_tol(D, S, arrayshrink.fista(D, S, lambd).x, lambd)
    fit = {"fit_intercept": False}
    gram = D.T @ D
    skglm.Lasso(alpha=alpha, **fit).fit(D, S[:, 0])  # the numba compile, untimed
    return {
        "scikit-learn (default)": lambda: (
            SparseCoder(D.T, transform_algorithm="lasso_cd", transform_alpha=lambd).transform(S.T).T
        ),
        # SparseCoder takes no tol: the Lasso it runs (on the Gram matrix), at that tol.
        "scikit-learn (gap 1e-6)": lambda: (
            Lasso(alpha=alpha, precompute=gram, tol=tol, max_iter=100_000, **fit).fit(D, S).coef_.T
        ),
        "celer (default)": lambda: _warm_loop(celer.Lasso(alpha=alpha, **fit), D, S, [], True),
        "celer (gap 1e-6)": lambda: _warm_loop(
            celer.Lasso(alpha=alpha, tol=tol, **fit), D, S, [], True
        ),
        "skglm (default)": lambda: _warm_loop(skglm.Lasso(alpha=alpha, **fit), D, S, [], True),
        **_solvers(backends, D, S, lambd),
    }


_ANCHORS = (
    "scikit-learn (default)",
    "scikit-learn (gap 1e-6)",
    "celer (default)",
    "celer (gap 1e-6)",
    "skglm (default)",
)


def _run(
    title: str, cases: dict[str, Callable[[], Any]], repeats: int, objective: Callable[[Any], Any]
) -> dict[str, Any]:
    """Interleaved rounds of every case; the table printed and returned as data."""
    import warnings

    import numpy as np

    print(title)
    times: dict[str, list[float]] = {name: [] for name in cases}
    solutions: dict[str, Any] = {}
    with warnings.catch_warnings():
        # scikit-learn's default tolerance leaves some columns of the batch unconverged.
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            for name, run in cases.items():
                seconds, solutions[name] = _timed(run)
                times[name].append(seconds)
    # The reference objective: the best any solver reached, per column or threshold.
    reference = np.min(np.stack([objective(x) for x in solutions.values()]), axis=0)
    anchors = [anchor for anchor in _ANCHORS if anchor in cases]
    rows: dict[str, Any] = {}
    print(f"  {'solver':26} {'median s':>9} " + " ".join(f"{'/ ' + a[:16]:>18}" for a in anchors))
    for name in cases:
        ratios = {
            anchor: statistics.median(
                t / r for t, r in zip(times[name], times[anchor], strict=True)
            )
            for anchor in anchors
        }
        excess = float(np.max((objective(solutions[name]) - reference) / reference))
        rows[name] = {"times_s": times[name], "median_s": statistics.median(times[name])}
        rows[name] |= {"ratios": ratios, "objective_vs_best": excess}
        print(
            f"  {name:26} {rows[name]['median_s']:9.3f} "
            + " ".join(f"{ratios[a]:18.2f}" for a in anchors)
            + f"   (P - P_ref)/P_ref {excess:9.1e}"
        )
    return rows


def _versions() -> dict[str, str]:
    """The versions of the packages timed, where installed."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    names = (
        "arrayshrink",
        "numpy",
        "scipy",
        "scikit-learn",
        "celer",
        "skglm",
        "numba",
        "torch",
        "jax",
    )
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


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
    parser.add_argument(
        "--slow", action="store_true", help="the path's scikit-learn row at equal accuracy too"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    if args.gpu:
        _gpu_batch(args.signals, args.repeats)
        return 0
    if "torch" in args.backends:
        import torch

        torch.set_num_threads(args.threads)

    import arrayshrink

    print(f"threads={args.threads}, repeats={args.repeats}, float64")
    results: dict[str, Any] = {}
    A, b = _problem(2000, 10_000, None, 0)
    lambd = 0.1 * float(arrayshrink.lambda_max(A, b))
    results["single 2000x10000"] = _run(
        "single 2000x10000, lambd = 0.1 lambda_max",
        _single(A, b, lambd, args.backends),
        args.repeats,
        lambda x: _objective(A, b, x, lambd),
    )
    A, b = _problem(500, 5000, None, 0)
    lambdas, cases = _path(A, b, 50, args.slow)
    results["path 50 x (500x5000)"] = _run(
        "path: 50 lambdas on 500x5000, lambda_max to 1e-3 lambda_max",
        cases,
        args.repeats,
        lambda x: _objective(A, b[:, None], x, lambdas),
    )
    A, b = _sparse_problem(20_000, 50_000, 1e-3, 2)
    lambd = 0.1 * float(arrayshrink.lambda_max(A, b))
    results["sparse 20000x50000"] = _run(
        "sparse: 20000x50000 at density 1e-3 (scipy.sparse CSC), lambd = 0.1 lambda_max",
        _single(A, b, lambd, ["numpy"]),  # scipy.sparse A: the NumPy backend alone
        args.repeats,
        lambda x: _objective(A, b, x, lambd),
    )
    D, S = _problem(64, 256, 1000, 1)
    results["batched 1000 x (64x256)"] = _run(
        "batched: 1000 signals on a 64x256 dictionary, lambd = 0.05",
        _batch(D, S, 0.05, args.backends),
        args.repeats,
        lambda x: _objective(D, S, x, 0.05),
    )
    if args.out is not None:
        report = {
            "command": "python benchmarks/bench_solvers.py " + " ".join(argv or sys.argv[1:]),
            "machine": {
                "processor": platform.processor() or platform.machine(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
            },
            "threads": args.threads,
            "repeats": args.repeats,
            "versions": _versions(),
            "results": results,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

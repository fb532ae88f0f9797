"""Benchmark arrayshrink against the memory-bandwidth floor and the usual alternatives.

Each backend that is installed is measured in one interleaved run: in every round,
every case runs once at every size, so a noisy moment slows all cases alike; the
reported ratios are medians over rounds of per-round ratios. Single-threaded unless
``--threads`` says otherwise.

    python benchmarks/bench.py                      # sizes 1e2..1e7, CPU backends
    python benchmarks/bench.py --max-size 1e8       # up to 1e8 elements
    python benchmarks/bench.py --device gpu         # CuPy, torch CUDA, JAX GPU

Writes ``results.json`` and ``ratios.png`` (when matplotlib is installed) to ``--out``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LAMBD = 0.5


@dataclass
class Case:
    """One thing to time: ``run()`` does one call, ``sync`` waits for the device."""

    backend: str
    name: str
    run: Callable[[], Any]
    reference: str  # name of the case this one is compared with (same backend)
    sync: Callable[[Any], Any] = lambda out: out
    numpy_memory: bool = False


@dataclass
class Result:
    backend: str
    case: str
    size: int
    dtype: str
    seconds: float
    ratio_to_floor: float
    ratio_to_reference: float
    reference: str
    peak_extra_memory: float | None = None  # peak allocation / output size (NumPy)
    rounds: list[float] = field(default_factory=list)


def _set_threads(threads: int) -> None:
    """Must run before numpy, torch or jax is imported."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    if threads == 1:
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )


def numpy_cases(x: Any) -> list[Case]:
    import numpy as np

    import arrayshrink

    cases = [
        Case("numpy", "floor: np.add(x, 0)", lambda: np.add(x, 0), "floor: np.add(x, 0)"),
        Case(
            "numpy",
            "arrayshrink.softshrink",
            lambda: arrayshrink.softshrink(x, LAMBD),
            "x - np.clip(x)",
            numpy_memory=True,
        ),
        Case(
            "numpy",
            "arrayshrink.hardshrink",
            lambda: arrayshrink.hardshrink(x, LAMBD),
            "np.where(|x| > l, x, 0)",
            numpy_memory=True,
        ),
        Case(
            "numpy", "arrayshrink.tanhshrink", lambda: arrayshrink.tanhshrink(x), "x - np.tanh(x)"
        ),
        Case(
            "numpy",
            "x - np.clip(x)",
            lambda: x - np.clip(x, -LAMBD, LAMBD),
            "x - np.clip(x)",
            numpy_memory=True,
        ),
        Case(
            "numpy",
            "np.where(|x| > l, x, 0)",
            lambda: np.where(np.abs(x) > LAMBD, x, 0),
            "np.where(|x| > l, x, 0)",
        ),
        Case("numpy", "x - np.tanh(x)", lambda: x - np.tanh(x), "x - np.tanh(x)"),
    ]
    try:
        import pywt
    except ImportError:
        return cases
    return [
        *cases,
        Case(
            "numpy",
            "pywt.threshold(soft)",
            lambda: pywt.threshold(x, LAMBD, "soft"),
            "x - np.clip(x)",
        ),
    ]


def torch_cases(x_np: Any, device: str) -> list[Case]:
    import torch
    import torch.nn.functional as F

    import arrayshrink

    x = torch.from_numpy(x_np).to(device)
    sync = (lambda out: torch.cuda.synchronize()) if device == "cuda" else (lambda out: out)
    return [
        Case(
            "torch",
            "floor: torch.add(x, 0)",
            lambda: torch.add(x, 0),
            "floor: torch.add(x, 0)",
            sync,
        ),
        Case(
            "torch",
            "arrayshrink.softshrink",
            lambda: arrayshrink.softshrink(x, LAMBD),
            "F.softshrink",
            sync,
        ),
        Case(
            "torch",
            "arrayshrink.hardshrink",
            lambda: arrayshrink.hardshrink(x, LAMBD),
            "F.hardshrink",
            sync,
        ),
        Case(
            "torch",
            "arrayshrink.tanhshrink",
            lambda: arrayshrink.tanhshrink(x),
            "F.tanhshrink",
            sync,
        ),
        Case("torch", "F.softshrink", lambda: F.softshrink(x, LAMBD), "F.softshrink", sync),
        Case("torch", "F.hardshrink", lambda: F.hardshrink(x, LAMBD), "F.hardshrink", sync),
        Case("torch", "F.tanhshrink", lambda: F.tanhshrink(x), "F.tanhshrink", sync),
    ]


def jax_cases(x_np: Any, device: str) -> list[Case]:
    import jax
    import jax.numpy as jnp

    import arrayshrink

    target = jax.devices("gpu" if device == "gpu" else "cpu")[0]
    x = jax.device_put(x_np, target)
    floor = jax.jit(lambda a: a + 0)
    hand_written = jax.jit(lambda a, lam: a - jnp.clip(a, -lam, lam))
    tanh_native = jax.jit(lambda a: a - jnp.tanh(a))
    sync = jax.block_until_ready
    return [
        Case("jax", "floor: jit(x + 0)", lambda: floor(x), "floor: jit(x + 0)", sync),
        Case(
            "jax",
            "arrayshrink.softshrink",
            lambda: arrayshrink.softshrink(x, LAMBD),
            "jit(x - clip(x))",
            sync,
        ),
        Case(
            "jax",
            "arrayshrink.tanhshrink",
            lambda: arrayshrink.tanhshrink(x),
            "jit(x - tanh(x))",
            sync,
        ),
        Case("jax", "jit(x - clip(x))", lambda: hand_written(x, LAMBD), "jit(x - clip(x))", sync),
        Case("jax", "jit(x - tanh(x))", lambda: tanh_native(x), "jit(x - tanh(x))", sync),
    ]


def cupy_cases(x_np: Any) -> list[Case]:
    import array_api_compat.cupy as cupy_xp
    import cupy

    import arrayshrink
    from arrayshrink import _agnostic
    from arrayshrink._backends import load_kernel

    x = cupy.asarray(x_np)
    # The declared kernel, taken by dispatch only once this benchmark shows it faster
    # than the generic code (see _kernel_verdict).
    kernel = load_kernel("cupy", "softshrink", "native")

    def sync(out: Any) -> None:
        cupy.cuda.Device().synchronize()

    return [
        Case("cupy", "floor: x.copy()", lambda: x.copy(), "floor: x.copy()", sync),
        Case(
            "cupy",
            "arrayshrink.softshrink",
            lambda: arrayshrink.softshrink(x, LAMBD),
            "x - cupy.clip(x)",
            sync,
        ),
        Case("cupy", KERNEL_CASE, lambda: kernel(x, LAMBD), GENERIC_CASE, sync),
        Case(
            "cupy",
            GENERIC_CASE,
            lambda: _agnostic.softshrink(x, LAMBD, xp=cupy_xp),
            GENERIC_CASE,
            sync,
        ),
        Case(
            "cupy",
            "x - cupy.clip(x)",
            lambda: x - cupy.clip(x, -LAMBD, LAMBD),
            "x - cupy.clip(x)",
            sync,
        ),
    ]


KERNEL_CASE = "cupy kernel (load_kernel)"
GENERIC_CASE = "generic softshrink"


def _kernel_verdict(results: list[Result]) -> str | None:
    """The measurement that decides whether dispatch takes CuPy's declared kernel:
    its time over the generic code's, per dtype and size (None without CuPy)."""
    rows = [r for r in results if (r.backend, r.case) == ("cupy", KERNEL_CASE)]
    if not rows:
        return None
    lines = ["cupy kernel / generic (softshrink; below 1: the kernel is faster)"]
    lines += [f"  {r.dtype:8} {r.size:9.0e}  {r.ratio_to_reference:5.2f}" for r in rows]
    if all(r.ratio_to_reference < 1.0 for r in rows):
        lines.append(
            "  faster at every size: set dispatched=True in the CuPy profile "
            "(arrayshrink/_backends/_profiles.py), once the CuPy tests pass"
        )
    else:
        lines.append("  not faster at every size: keep dispatched=False")
    return "\n".join(lines)


def _time_once(case: Case, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        out = case.run()
    case.sync(out)
    return (time.perf_counter() - start) / repeats


def _repeats_for(case: Case, budget: float = 0.02) -> int:
    """Calls per measurement so that one measurement takes about ``budget`` seconds.

    The first call pays one-time costs (imports, compilation, first allocations) and
    can be a thousand times slower than the next, so it is not timed; the estimate
    comes from batches of warm calls, doubled until a batch is long enough to time.
    """
    case.sync(case.run())
    calls = 1
    while (per_call := _time_once(case, calls)) * calls < budget / 10 and calls < 20_000:
        calls *= 2
    return max(1, min(20_000, int(budget / per_call)))


def _peak_extra_memory(case: Case, output_bytes: int) -> float:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = case.run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del out
    return peak / output_bytes


def measure(cases: list[Case], size: int, dtype: str, rounds: int) -> list[Result]:
    """Interleaved rounds; each case's ratios are medians of per-round ratios."""
    repeats = {c.name: _repeats_for(c) for c in cases}
    times: dict[str, list[float]] = {c.name: [] for c in cases}
    for _ in range(rounds):
        for case in cases:
            times[case.name].append(_time_once(case, repeats[case.name]))
    floor = next(c.name for c in cases if c.name.startswith("floor"))
    results = []
    for case in cases:
        to_floor = [t / f for t, f in zip(times[case.name], times[floor], strict=True)]
        to_reference = [t / r for t, r in zip(times[case.name], times[case.reference], strict=True)]
        memory = None
        if case.numpy_memory:
            import numpy as np

            memory = _peak_extra_memory(case, size * np.dtype(dtype).itemsize)
        results.append(
            Result(
                case.backend,
                case.name,
                size,
                dtype,
                statistics.median(times[case.name]),
                statistics.median(to_floor),
                statistics.median(to_reference),
                case.reference,
                memory,
                times[case.name],
            )
        )
    return results


def _cases_for(backend: str, x_np: Any, device: str) -> list[Case]:
    if backend == "numpy":
        return numpy_cases(x_np)
    if backend == "torch":
        return torch_cases(x_np, "cuda" if device == "gpu" else "cpu")
    if backend == "jax":
        return jax_cases(x_np, device)
    return cupy_cases(x_np)


def _installed(backends: list[str]) -> list[str]:
    import importlib.util

    return [b for b in backends if importlib.util.find_spec(b) is not None]


def _print_table(results: list[Result]) -> None:
    print(
        f"{'backend':8} {'dtype':8} {'size':>9} {'case':28} {'time':>11} "
        f"{'/floor':>7} {'/ref':>6}  {'mem':>5}  reference"
    )
    for r in results:
        memory = "" if r.peak_extra_memory is None else f"{r.peak_extra_memory:5.2f}"
        print(
            f"{r.backend:8} {r.dtype:8} {r.size:9.0e} {r.case:28} {r.seconds * 1e6:9.1f}us "
            f"{r.ratio_to_floor:7.2f} {r.ratio_to_reference:6.2f}  {memory:>5}  {r.reference}"
        )


def _plot(results: list[Result], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot", file=sys.stderr)
        return
    # One panel per backend and dtype: arrayshrink solid, the alternatives dotted.
    dtypes = sorted({r.dtype for r in results})
    backends = sorted({r.backend for r in results})
    fig, axes = plt.subplots(
        len(backends),
        len(dtypes),
        figsize=(5.5 * len(dtypes) + 2.5, 3.2 * len(backends)),
        squeeze=False,
        sharex=True,
    )
    for row, backend in zip(axes, backends, strict=True):
        for ax, dtype in zip(row, dtypes, strict=True):
            cases = sorted({r.case for r in results if (r.backend, r.dtype) == (backend, dtype)})
            for case in cases:
                if case.startswith("floor"):
                    continue
                key = (backend, case, dtype)
                rows = [r for r in results if (r.backend, r.case, r.dtype) == key]
                style = "-" if case.startswith("arrayshrink") else ":"
                ax.plot(
                    [r.size for r in rows],
                    [r.ratio_to_floor for r in rows],
                    style,
                    marker="o",
                    label=case,
                )
            ax.axhline(1.0, color="black", linewidth=0.8)
            ax.set(xscale="log", yscale="log", title=f"{backend}, {dtype}")
            ax.set_ylabel("time / floor")
        row[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for ax in axes[-1]:
        ax.set_xlabel("elements")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="numpy,torch,jax")
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--min-size", type=float, default=1e2)
    parser.add_argument("--max-size", type=float, default=1e7)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    _set_threads(args.threads)

    import numpy as np

    if args.device == "gpu" and "cupy" not in args.backends:
        args.backends += ",cupy"
    backends = _installed(args.backends.split(","))
    if "torch" in backends:
        import torch

        torch.set_num_threads(args.threads)
    sizes = [10**k for k in range(int(np.log10(args.min_size)), int(np.log10(args.max_size)) + 1)]
    plan = [(b, d, s) for d in args.dtypes.split(",") for s in sizes for b in backends]
    results: list[Result] = []
    rng = np.random.default_rng(0)
    # The first measurements of a process run on a cold machine (clock speed, caches,
    # allocator) and came out up to 1.7x slow: one untimed round of the first step first.
    backend, dtype, size = plan[0]
    x_np = np.random.default_rng(1).standard_normal(size).astype(dtype)
    measure(_cases_for(backend, x_np, args.device), size, dtype, rounds=1)
    for step, (backend, dtype, size) in enumerate(plan, start=1):
        print(
            f"\r[{step}/{len(plan)}] {backend} {dtype} {size:.0e}   ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        x_np = rng.standard_normal(size).astype(dtype)
        results.extend(measure(_cases_for(backend, x_np, args.device), size, dtype, args.rounds))
        del x_np
        gc.collect()
    print(file=sys.stderr)
    _print_table(results)
    verdict = _kernel_verdict(results)
    if verdict is not None:
        print(verdict)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "threads": args.threads,
        "device": args.device,
        "command": " ".join(sys.argv),
    }
    (args.out / "results.json").write_text(
        json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=1)
    )
    _plot(results, args.out / "ratios.png")
    print(f"wrote {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

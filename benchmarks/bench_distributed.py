"""The solvers on a dask.distributed cluster against one NumPy process.

    python benchmarks/bench_distributed.py [--signals 16000] [--repeats 3] [--json PATH]

Starts a LocalCluster of two single-threaded worker processes (the machine's two
cores) and measures, interleaved in one run:

1. batched coding: ``fista`` of ``--signals`` signals on a 64 x 256 dictionary with
   unit columns (lambd = 0.05, float64, the default tol), one NumPy process on the
   whole batch against Dask on the cluster with the batch chunked along its columns
   (one chunk per 2,000 signals, already on the workers), every field computed: the
   ratio Dask / NumPy;
2. the cost per signal on the cluster as the batch grows (a quarter, half and all of
   ``--signals``);
3. a single problem with A chunked along its rows (20,000 x 200 in 4 chunks): seconds
   per iteration on the cluster (tol = 0, so every iteration runs) with a check every
   iteration and every 10 and 50 iterations, against NumPy's.

The workers start with ``MALLOC_MMAP_THRESHOLD_`` set (see RECOMMENDED below); one
round of (1) runs with Dask's default worker environment too, for comparison.

It also counts the scheduler's warnings that a key was sent with different tasks
("Detected different `run_spec`"): the solvers' keys are unique, so 0.

The problems come from the tests' generator (``tests/_problems.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

LAMBD = 0.05
CHUNK = 2000  # signals per chunk of the batch


# Worker processes of dask.distributed start with MALLOC_TRIM_THRESHOLD_=65536, which
# also turns off glibc's adaptive mmap threshold: every temporary array above 128 KiB
# is then mapped and unmapped anew, and the solver's loop runs about 4x slower. Keeping
# arrays up to 32 MiB on the heap restores it (docs/dask.md: the cluster recipe).
RECOMMENDED = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20}


@contextlib.contextmanager
def _cluster(environ: dict[str, int]) -> Iterator[Any]:
    """A client of a LocalCluster of two single-threaded worker processes, whose
    workers start with ``environ`` added to Dask's pre-spawn environment."""
    import dask
    from dask.distributed import Client, LocalCluster

    settings = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in environ.items()}
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _malloc_environment(client: Any) -> dict[str, str | None]:
    """The glibc malloc settings of the workers' environment, as they see it."""

    def read() -> dict[str, str | None]:
        import os

        return {name: os.environ.get(name) for name in ("MALLOC_TRIM_THRESHOLD_", *RECOMMENDED)}

    settings = list(client.run(read).values())
    if any(found != settings[0] for found in settings):
        raise RuntimeError(f"the workers' environments differ: {settings}")
    return settings[0]  # type: ignore[no-any-return]


def _timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


class _Warnings(logging.Handler):
    """Collects the scheduler's warnings (the scheduler runs in this process)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _batched(client: Any, signals: int, repeats: int, scaling: bool) -> dict[str, Any]:
    import dask
    import dask.array as da
    from _problems import lasso_problem

    import arrayshrink

    problem = lasso_problem(0, 64, 256, signals)
    A, B = problem.A, problem.b

    def numpy_run() -> None:
        arrayshrink.fista(A, B, LAMBD)

    def dask_run(k: int) -> Callable[[], None]:
        # The signals already on the cluster, as data loaded with Dask is (from Zarr,
        # say), not sent from this process with every solve.
        with warnings.catch_warnings():  # "Sending large graph": once, not timed
            warnings.simplefilter("ignore", UserWarning)
            lazy_B = client.persist(da.from_array(B[:, :k], chunks=(64, CHUNK)))

        def run() -> None:
            result = arrayshrink.fista(A, lazy_B, LAMBD)
            dask.compute(*result[:5])

        return run

    dask_run(CHUNK)()  # warm up the workers (imports, the first task)
    rounds = []
    for _ in range(repeats):
        numpy_time, dask_time = _timed(numpy_run), _timed(dask_run(signals))
        rounds.append((numpy_time, dask_time))
    per_signal = {}
    for k in (signals // 4, signals // 2, signals) if scaling else ():
        seconds = statistics.median(_timed(dask_run(k)) for _ in range(repeats))
        per_signal[k] = seconds / k * 1e6
    return {
        "signals": signals,
        "numpy_s": statistics.median(r[0] for r in rounds),
        "dask_s": statistics.median(r[1] for r in rounds),
        "ratio": statistics.median(r[1] / r[0] for r in rounds),
        "us_per_signal": per_signal,
    }


def _rows(client: Any, repeats: int) -> dict[str, Any]:
    import dask
    import dask.array as da
    from _problems import lasso_problem

    import arrayshrink

    problem = lasso_problem(1, 20_000, 200, None)
    A, b = problem.A, problem.b
    with warnings.catch_warnings():  # "Sending large graph": once, not timed
        warnings.simplefilter("ignore", UserWarning)
        A_lazy = client.persist(da.from_array(A, chunks=(5000, 200)))
        b_lazy = client.persist(da.from_array(b, chunks=5000))
    iterations = 50
    options: dict[str, Any] = {"max_iter": iterations, "tol": 0.0, "lipschitz": None}

    def numpy_run() -> None:
        with warnings.catch_warnings():  # tol = 0 runs max_iter iterations on purpose
            warnings.simplefilter("ignore", arrayshrink.ConvergenceWarning)
            arrayshrink.fista(A, b, LAMBD, **options)

    def dask_run(check_every: int) -> Callable[[], None]:
        def run() -> None:
            result = arrayshrink.fista(A_lazy, b_lazy, LAMBD, check_every=check_every, **options)
            dask.compute(*result[:5])

        return run

    out: dict[str, Any] = {"shape": list(A.shape), "chunks": 4, "iterations": iterations}
    out["numpy_ms_per_iter"] = (
        1e3 * statistics.median(_timed(numpy_run) for _ in range(repeats)) / iterations
    )
    for check_every in (1, 10, 50):
        seconds = statistics.median(_timed(dask_run(check_every)) for _ in range(repeats))
        out[f"dask_ms_per_iter_check_every_{check_every}"] = 1e3 * seconds / iterations
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signals", type=int, default=16_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    collected = _Warnings()
    logging.getLogger("distributed.scheduler").addHandler(collected)
    # Dask's default first: the nanny leaves its pre-spawn environment in this
    # process's os.environ, where later workers would inherit it.
    with _cluster({}) as client:
        default = _batched(client, args.signals, 1, scaling=False)
        default["worker_environment"] = _malloc_environment(client)
    with _cluster(RECOMMENDED) as client:
        batched = _batched(client, args.signals, args.repeats, scaling=True)
        batched["worker_environment"] = _malloc_environment(client)
        rows = _rows(client, args.repeats)
    collisions = sum("run_spec" in message for message in collected.messages)

    print(f"batched coding, {batched['signals']} signals on 64 x 256 (float64, lambd {LAMBD}):")
    print(f"  one NumPy process      {batched['numpy_s']:8.2f} s")
    print(f"  Dask, 2 workers        {batched['dask_s']:8.2f} s")
    print(f"  ratio Dask / NumPy     {batched['ratio']:8.2f}   (goal <= 1.5)")
    print(f"  workers' malloc environment: {batched['worker_environment']}")
    print(
        f"  with Dask's default worker environment {default['worker_environment']}: "
        f"Dask {default['dask_s']:.2f} s, NumPy {default['numpy_s']:.2f} s, "
        f"ratio {default['ratio']:.2f}"
    )
    print("  cost per signal on the cluster:")
    for k, us in batched["us_per_signal"].items():
        print(f"    {k:>7} signals     {us:8.1f} us")
    print(f"single problem {rows['shape'][0]} x {rows['shape'][1]}, A in 4 row chunks:")
    print(f"  NumPy                  {rows['numpy_ms_per_iter']:8.2f} ms per iteration")
    for check_every in (1, 10, 50):
        value = rows[f"dask_ms_per_iter_check_every_{check_every}"]
        print(f"  Dask, check every {check_every:<3}  {value:8.2f} ms per iteration")
    print(f"scheduler warnings of keys sent with different tasks: {collisions}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "batched": batched,
                    "batched_default_environment": default,
                    "rows": rows,
                    "key_collisions": collisions,
                    "recommended_environment": RECOMMENDED,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()

"""Soft-threshold a Zarr array several times larger than the workers' memory, with Dask.
=====================================================================================

A float32 array of standard normal values is written to a Zarr store chunk by chunk
(no process ever holds the whole of it), then read back lazily with
``dask.array.from_zarr``; ``arrayshrink.softshrink`` adds one blockwise layer to the
graph and ``to_zarr`` writes the result to a second store. A local cluster of two
worker processes, each with a small memory limit, streams the chunks through: the array
is several times larger than the memory all the workers are given together, and no
worker runs out of it.

The script prints the sizes (array, chunk, memory limit per worker and in total), the
throughput of softshrink from Zarr to Zarr against the same cluster's plain copy of the
data (the array's bytes per second, each read once and written once; the best of
``--repeats`` runs of each), their ratio, and each worker's peak resident memory in each
phase: at rest, writing the input, softshrink, the copy and the check. The check counts, on the
cluster, the elements of the output that differ from softshrink computed with NumPy from
its definition, and compares a few chunks again in this process.

The stores are uncompressed, so that the runs measure reading, thresholding and writing
rather than a codec. The peak memory is the high-water mark of each worker's resident
set, reset before each phase (Linux: ``VmHWM`` of /proc/self/status, reset through
/proc/self/clear_refs; elsewhere the process's ``ru_maxrss`` since it started).

Run it with ``python docs/examples/dask_out_of_core.py [--size-mib 4608]
[--memory-limit-mib 512] [--chunk-mib 64] [--repeats 2] [--directory DIR]
[--json PATH]`` (about a minute and a half here, in a temporary directory by default);
the test suite runs its functions at a reduced size (tests/test_out_of_core.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import arrayshrink

MIB = 2**20
COLUMNS = 4096  # float32 values in a row of the array: 16 KiB
N_WORKERS = 2
LAMBD = 1.0


class Report(NamedTuple):
    """What one run measured. Sizes in bytes; the seconds of every timed run; rates in
    MB/s (1e6 B/s) of the array's bytes, from the fastest run; peak resident memory by
    phase (the first, "at rest", is the resident memory with the libraries imported,
    before any work), then by worker address."""

    array_bytes: int
    chunk_bytes: int
    n_workers: int
    memory_limit_bytes: int
    softshrink_seconds: list[float]
    copy_seconds: list[float]
    softshrink_mb_per_s: float
    copy_mb_per_s: float
    softshrink_over_copy: float
    peak_bytes: dict[str, dict[str, int]]
    workers_before: list[str]
    workers_after: list[str]
    mismatches: int


def input_array(size_mib: int, chunk_mib: int, seed: int = 0) -> da.Array:
    """A lazy float32 array of ``size_mib`` MiB of standard normal values, in chunks of
    ``chunk_mib`` MiB (whole rows of ``COLUMNS`` values); each chunk comes from its own
    seeded generator, so the values do not depend on where the chunks are computed."""
    rows_per_chunk = chunk_mib * MIB // (4 * COLUMNS)
    rows = size_mib * MIB // (4 * COLUMNS)
    if rows_per_chunk < 1 or rows < rows_per_chunk:
        raise ValueError(f"a chunk of {chunk_mib} MiB in an array of {size_mib} MiB")
    rng = da.random.default_rng(seed)
    return rng.standard_normal((rows, COLUMNS), chunks=(rows_per_chunk, COLUMNS), dtype=np.float32)


def write_zarr(client: Client, x: da.Array, path: Path) -> float:
    """Write ``x`` to a new, uncompressed Zarr array at ``path`` on the cluster of
    ``client``, chunk for chunk; the seconds it took.

    Every chunk is written, even one that holds only the fill value: zarr's check for
    such chunks compares each element's bytes, and on data as mixed as softshrink's
    output (two thirds zeros, in no pattern) it takes longer than writing the chunk.
    """
    stored = x.to_zarr(
        str(path), compute=False, compressors=None, config={"write_empty_chunks": True}
    )
    start = time.perf_counter()
    client.compute(stored).result()
    return time.perf_counter() - start


def softshrink_zarr(client: Client, source: Path, target: Path, lambd: float = LAMBD) -> float:
    """softshrink of the Zarr array at ``source``, written to ``target``; seconds."""
    return write_zarr(client, arrayshrink.softshrink(da.from_zarr(str(source)), lambd), target)


def copy_zarr(client: Client, source: Path, target: Path) -> float:
    """The plain copy of the Zarr array at ``source`` to ``target``; seconds."""
    return write_zarr(client, da.from_zarr(str(source)), target)


@contextlib.contextmanager
def local_cluster(memory_limit_mib: int, n_workers: int = N_WORKERS) -> Iterator[Client]:
    """A client of a local cluster of single-threaded worker processes, each limited
    to ``memory_limit_mib`` MiB (the nanny restarts a worker that exceeds 95% of it)."""
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit_mib * MIB,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _resident_peak() -> int:
    """This process's peak resident set size in bytes (since the last reset)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, else KiB


def _reset_resident_peak() -> None:
    """Set the peak resident set size to the current one, where the system allows it."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def _import_libraries() -> None:
    import zarr  # noqa: F401

    import arrayshrink  # noqa: F401


def worker_peaks(client: Client) -> dict[str, int]:
    """Each worker's peak resident set size in bytes, by address."""
    peaks: dict[str, int] = client.run(_resident_peak)
    return peaks


def reset_worker_peaks(client: Client) -> None:
    """Start each worker's peak afresh, with the libraries of the run imported."""
    client.run(_import_libraries)
    client.run(_reset_resident_peak)


def workers(client: Client) -> list[str]:
    """The addresses of the cluster's workers (a restarted worker has a new one)."""
    return sorted(client.scheduler_info()["workers"])


def reference(x: np.ndarray, lambd: float = LAMBD) -> np.ndarray:
    """softshrink from its definition, sign(x) max(|x| - lambd, 0), in the dtype of x."""
    out: np.ndarray = np.sign(x) * np.maximum(np.abs(x) - x.dtype.type(lambd), 0)
    return out


def _count_differing(out: np.ndarray, x: np.ndarray, lambd: float, rows: int = 64) -> np.ndarray:
    """How many elements of ``out`` differ from the reference softshrink of ``x``, as a
    1 x 1 array; computed ``rows`` rows at a time, so that the reference's temporaries
    stay small next to the two chunks."""
    count = 0
    for i in range(0, x.shape[0], rows):
        block: np.ndarray = x[i : i + rows]
        count += int(np.count_nonzero(out[i : i + rows] != reference(block, lambd)))
    return np.full((1, 1), count, dtype=np.int64)


def count_mismatches(client: Client, source: Path, target: Path, lambd: float = LAMBD) -> int:
    """The number of elements of the Zarr array at ``target`` that differ from the
    reference softshrink of the one at ``source``, counted on the cluster."""
    # Stored chunks, whole: zarr reads a whole chunk for any part of it.
    x, out = da.from_zarr(str(source)), da.from_zarr(str(target))
    counts = da.map_blocks(
        _count_differing,
        out,
        x,
        lambd,
        chunks=((1,) * x.numblocks[0], (1,) * x.numblocks[1]),
        dtype=np.int64,
    )
    return int(client.compute(counts.sum()).result())


def check_chunks(source: Path, target: Path, lambd: float = LAMBD, n_chunks: int = 3) -> None:
    """The first, a middle and the last chunk of ``target`` equal the reference
    softshrink of those of ``source``, read here with zarr."""
    import zarr

    x, out = zarr.open_array(str(source), mode="r"), zarr.open_array(str(target), mode="r")
    rows = x.chunks[0]
    n = -(-x.shape[0] // rows)
    for index in sorted({round(k * (n - 1) / max(n_chunks - 1, 1)) for k in range(n_chunks)}):
        block = slice(index * rows, (index + 1) * rows)
        np.testing.assert_array_equal(out[block], reference(np.asarray(x[block]), lambd))


def measure(
    client: Client,
    directory: Path,
    size_mib: int,
    memory_limit_mib: int,
    chunk_mib: int = 64,
    repeats: int = 2,
    lambd: float = LAMBD,
) -> Report:
    """Write the input, then time softshrink and the plain copy on the cluster of
    ``client``, Zarr to Zarr under ``directory``, and count the output's mismatches.

    Each of the two runs ``repeats`` times, in the order softshrink, copy, copy,
    softshrink, ... (the page cache is still writing back one run's output while the
    next one runs); the throughputs are those of the fastest run of each. Each worker's
    peak memory is the highest over each phase's runs."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    source = directory / "x.zarr"
    targets = {"softshrink": directory / "softshrink.zarr", "copy": directory / "copy.zarr"}
    work: dict[str, Callable[[], float | int]] = {
        "write input": lambda: write_zarr(client, input_array(size_mib, chunk_mib), source),
        "softshrink": lambda: softshrink_zarr(client, source, targets["softshrink"], lambd),
        "copy": lambda: copy_zarr(client, source, targets["copy"]),
        "check": lambda: count_mismatches(client, source, targets["softshrink"], lambd),
    }
    before = workers(client)
    reset_worker_peaks(client)
    peaks = {"at rest": worker_peaks(client)}
    results: dict[str, list[float | int]] = {name: [] for name in work}
    pairs = [("softshrink", "copy"), ("copy", "softshrink")]
    order = ["write input", *(name for i in range(repeats) for name in pairs[i % 2]), "check"]
    for name in order:
        if name in targets:
            shutil.rmtree(targets[name], ignore_errors=True)
        reset_worker_peaks(client)
        results[name].append(work[name]())
        highest = peaks.setdefault(name, {})
        for address, peak in worker_peaks(client).items():
            highest[address] = max(peak, highest.get(address, 0))
    nbytes = da.from_zarr(str(source)).nbytes
    softshrink_seconds, copy_seconds = min(results["softshrink"]), min(results["copy"])
    return Report(
        array_bytes=nbytes,
        chunk_bytes=chunk_mib * MIB,
        n_workers=len(before),
        memory_limit_bytes=memory_limit_mib * MIB,
        softshrink_seconds=[float(t) for t in results["softshrink"]],
        copy_seconds=[float(t) for t in results["copy"]],
        softshrink_mb_per_s=nbytes / softshrink_seconds / 1e6,
        copy_mb_per_s=nbytes / copy_seconds / 1e6,
        softshrink_over_copy=copy_seconds / softshrink_seconds,
        peak_bytes=peaks,
        workers_before=before,
        workers_after=workers(client),
        mismatches=int(results["check"][0]),
    )


def _seconds(times: list[float]) -> str:
    return ", ".join(f"{t:.1f}" for t in times) + " s"


def summary(report: Report) -> str:
    """The report as lines of text."""
    total_limit = report.n_workers * report.memory_limit_bytes
    lines = [
        f"array {report.array_bytes / MIB:,.0f} MiB float32 in chunks of "
        f"{report.chunk_bytes / MIB:,.0f} MiB",
        f"workers {report.n_workers} x {report.memory_limit_bytes / MIB:,.0f} MiB = "
        f"{total_limit / MIB:,.0f} MiB: the array is {report.array_bytes / total_limit:.1f}x that",
        f"softshrink Zarr -> Zarr {report.softshrink_mb_per_s:,.0f} MB/s "
        f"(best of {_seconds(report.softshrink_seconds)})",
        f"plain copy Zarr -> Zarr {report.copy_mb_per_s:,.0f} MB/s "
        f"(best of {_seconds(report.copy_seconds)})",
        f"softshrink / copy throughput {report.softshrink_over_copy:.2f}",
        f"peak resident memory per worker, MiB (limit {report.memory_limit_bytes / MIB:,.0f}):",
    ]
    for name, peaks in report.peak_bytes.items():
        values = ", ".join(f"{peak / MIB:,.0f}" for _, peak in sorted(peaks.items()))
        lines.append(f"  {name:<12} {values}")
    restarted = report.workers_before != report.workers_after
    lines.append(f"workers restarted: {'yes' if restarted else 'none'}")
    lines.append(f"elements differing from the NumPy reference: {report.mismatches:,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=4608, help="size of the array")
    parser.add_argument("--memory-limit-mib", type=int, default=512, help="per worker")
    parser.add_argument("--chunk-mib", type=int, default=64, help="size of a chunk")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each, best kept")
    parser.add_argument("--directory", type=Path, help="for the Zarr stores (default: temporary)")
    parser.add_argument("--json", type=Path, help="write the measured numbers there")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        directory = args.directory or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if args.directory is not None:
            for name in ("x.zarr", "softshrink.zarr", "copy.zarr"):
                shutil.rmtree(directory / name, ignore_errors=True)
        client = stack.enter_context(local_cluster(args.memory_limit_mib))
        report = measure(
            client, directory, args.size_mib, args.memory_limit_mib, args.chunk_mib, args.repeats
        )
        check_chunks(directory / "x.zarr", directory / "softshrink.zarr")
    print(summary(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report._asdict(), indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()

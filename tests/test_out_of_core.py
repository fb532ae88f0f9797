"""Out of core: softshrink streams a Zarr array larger than the workers' memory.

The example docs/examples/dask_out_of_core.py runs at a reduced size: a 768 MiB float32
array in 16 MiB chunks, through two worker processes limited to 256 MiB each (a
worker's resident memory with the libraries imported is about 100 MiB). The run must
finish with the workers it started with (the nanny restarts a worker that exceeds 95%
of its limit, under a new address), each worker's peak memory must stay below its
limit, and the stored output must equal softshrink from its definition,
sign(x) max(|x| - lambd, 0), computed here with NumPy in float32.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import pytest
from _support import load_example

pytestmark = [pytest.mark.backend("dask"), pytest.mark.distributed]

SIZE_MIB, CHUNK_MIB, LIMIT_MIB = 768, 16, 256
MIB = 2**20


class _Run(NamedTuple):
    example: ModuleType
    report: Any
    printed: str
    numbers: dict[str, Any]
    directory: Path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> _Run:
    """The example script at the reduced size, its stores kept in a directory of the
    test's (its cluster is closed when it returns)."""
    example = load_example("dask_out_of_core")
    directory = tmp_path_factory.mktemp("out_of_core")
    numbers = directory / "numbers.json"
    sizes = ["--size-mib", str(SIZE_MIB), "--chunk-mib", str(CHUNK_MIB)]
    options = ["--memory-limit-mib", str(LIMIT_MIB), "--repeats", "1"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        report = example.main(
            [*sizes, *options, "--directory", str(directory), "--json", str(numbers)]
        )
    loaded = json.loads(numbers.read_text(encoding="utf-8"))
    return _Run(example, report, printed.getvalue(), loaded, directory)


def test_the_array_is_larger_than_the_memory_of_all_workers(run: _Run) -> None:
    report = run.report
    assert report.array_bytes == SIZE_MIB * MIB
    assert report.n_workers == 2
    assert report.memory_limit_bytes == LIMIT_MIB * MIB
    assert report.array_bytes >= 1.5 * report.n_workers * report.memory_limit_bytes
    # The limit leaves room for the stream of chunks above a worker's memory at rest.
    assert max(report.peak_bytes["at rest"].values()) < report.memory_limit_bytes / 2


def test_no_worker_runs_out_of_memory(run: _Run) -> None:
    report = run.report
    assert report.workers_after == report.workers_before
    phases = ["at rest", "write input", "softshrink", "copy", "check"]
    assert list(report.peak_bytes) == phases
    for peaks in report.peak_bytes.values():
        assert sorted(peaks) == report.workers_before
        # Below the point where the worker pauses (80%), let alone where it is restarted.
        assert all(0 < peak < 0.8 * report.memory_limit_bytes for peak in peaks.values())


def test_throughputs_are_those_of_the_timed_runs(run: _Run) -> None:
    report = run.report
    seconds = {"softshrink": report.softshrink_seconds, "copy": report.copy_seconds}
    assert all(len(times) == 1 and times[0] > 0 for times in seconds.values())
    rates = {name: report.array_bytes / min(times) / 1e6 for name, times in seconds.items()}
    assert report.softshrink_mb_per_s == pytest.approx(rates["softshrink"])
    assert report.copy_mb_per_s == pytest.approx(rates["copy"])
    assert report.softshrink_over_copy == pytest.approx(rates["softshrink"] / rates["copy"])
    assert report.mismatches == 0


def test_stored_output_is_softshrink_by_its_definition(run: _Run) -> None:
    import zarr

    x = zarr.open_array(str(run.directory / "x.zarr"), mode="r")
    out = zarr.open_array(str(run.directory / "softshrink.zarr"), mode="r")
    copy = zarr.open_array(str(run.directory / "copy.zarr"), mode="r")
    assert x.shape == out.shape == copy.shape
    assert x.dtype == out.dtype == copy.dtype == np.float32
    lambd = np.float32(run.example.LAMBD)
    step = x.chunks[0]
    nonzero = 0
    for start in range(0, x.shape[0], step):
        rows = slice(start, start + step)
        values = x[rows]
        expected = np.sign(values) * np.maximum(np.abs(values) - lambd, np.float32(0))
        assert expected.dtype == np.float32
        np.testing.assert_array_equal(out[rows], expected)
        np.testing.assert_array_equal(copy[rows], values)
        nonzero += int(np.count_nonzero(expected))
    # Standard normal values: P(|x| > 1) = 0.3173.
    assert nonzero / (x.shape[0] * x.shape[1]) == pytest.approx(0.3173, abs=0.002)


def test_the_script_prints_and_writes_its_numbers(run: _Run) -> None:
    assert run.numbers == json.loads(json.dumps(run.report._asdict()))
    assert f"array {SIZE_MIB} MiB float32 in chunks of {CHUNK_MIB} MiB" in run.printed
    assert f"workers 2 x {LIMIT_MIB} MiB = {2 * LIMIT_MIB} MiB" in run.printed
    assert "workers restarted: none" in run.printed
    assert "elements differing from the NumPy reference: 0" in run.printed

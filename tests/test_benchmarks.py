"""The benchmark script runs and reports what docs/benchmarks.md reads from it, and the
NumPy fast path allocates nothing but its output (the memory goal, which, unlike a
time, is deterministic).

These tests run on NumPy alone; the other backends' cases use the same code."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arrayshrink

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


def _peak_allocation(run: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softshrink", "hardshrink"])
def test_numpy_peak_memory_is_the_output_alone(dtype: str, name: str) -> None:
    x = np.random.default_rng(0).standard_normal(1_000_003).astype(dtype)
    shrink = getattr(arrayshrink, name)
    shrink(x, 0.5)  # the first call fills the fast-kernel table
    output_bytes = x.nbytes
    # The measurement sees temporaries: the textbook formula holds two arrays at once.
    assert _peak_allocation(lambda: x - np.clip(x, -0.5, 0.5)) >= 1.9 * output_bytes
    assert _peak_allocation(lambda: shrink(x, 0.5)) <= 1.1 * output_bytes


def test_benchmark_script_runs_and_writes_its_results(tmp_path: Path) -> None:
    args = ["--backends", "numpy", "--dtypes", "float32", "--min-size", "1e2"]
    args += ["--max-size", "1e3", "--rounds", "2", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "results.json").read_text())
    results = report["results"]
    assert {r["size"] for r in results} == {100, 1000}
    cases = {r["case"] for r in results}
    assert {"floor: np.add(x, 0)", "arrayshrink.softshrink", "arrayshrink.hardshrink"} <= cases
    for r in results:
        assert len(r["rounds"]) == 2
        assert all(t > 0 for t in r["rounds"])
        if r["case"].startswith("floor"):
            assert r["ratio_to_floor"] == 1.0
        if r["case"].startswith("arrayshrink.") and r["case"] != "arrayshrink.tanhshrink":
            assert r["peak_extra_memory"] is not None
    assert report["meta"]["threads"] == 1
    assert "arrayshrink.softshrink" in done.stdout

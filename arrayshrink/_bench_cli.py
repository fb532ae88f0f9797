"""``python -m arrayshrink bench``: the shrink functions timed against one pass.

Per backend and device: ``softshrink``, ``hardshrink`` and ``tanhshrink`` on a float32
array of ``--size`` elements, each the median of ``--repeats`` timed runs after one
warm-up run (JAX compiles, allocators fill their caches), and its ratio to the floor:
the median time of ``x + 1`` on the same array, one elementwise pass that reads ``x``
and writes a new array, as each function does. The floor and the functions take turns
within each round of runs. Each run is timed until its values exist (torch CUDA
synchronized, CuPy's stream synchronized, JAX blocked until ready, Dask computed).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import arrayshrink
from arrayshrink import _report

__all__ = [
    "DEFAULT_REPEATS",
    "DEFAULT_SIZE",
    "DESCRIPTION",
    "FLOOR",
    "Progress",
    "Timing",
    "add_arguments",
    "run",
    "time_backend",
]

# 16 MiB of float32: a second or so per backend. The array and its output (32 MiB) can
# fit in a server CPU's last-level cache, where the floor is cache-bound and the ratios
# higher than docs/benchmarks.md's; --size 10000000 or more measures against memory.
DEFAULT_SIZE = 2**22
DEFAULT_REPEATS = 10
FLOOR = "x + 1"
DESCRIPTION = (
    "Time softshrink, hardshrink and tanhshrink on a float32 array on each installed "
    f"backend and device: the median of --repeats runs after a warm-up, and its ratio "
    f"to the floor, the median time of `{FLOOR}` on the same array (one elementwise "
    "pass), timed in the same rounds. Progress goes to stderr when it is a terminal; "
    "stdout holds the report (or the JSON document) alone."
)


@dataclass(frozen=True)
class Timing:
    """One backend's medians, in seconds (the floor and each function), and the error
    that stopped it as "Type: message"."""

    name: str
    version: str
    device: str
    floor: float | None
    medians: dict[str, float]
    error: str | None

    def ratio(self, function: str) -> float | None:
        """The function's median over the floor's."""
        if self.floor is None or function not in self.medians:
            return None
        return self.medians[function] / self.floor

    def as_json(self) -> dict[str, Any]:
        """The row as the ``--json`` document has it."""
        return {
            "name": self.name,
            "version": self.version,
            "device": self.device,
            "status": "ok" if self.error is None else "error",
            "floor_s": self.floor,
            "functions": {
                name: {"median_s": median, "ratio": self.ratio(name)}
                for name, median in self.medians.items()
            },
            "error": self.error,
        }


class Progress:
    """A bar redrawn in place on ``stream``; silent unless ``stream`` is a terminal
    (a log or a pipe gets nothing)."""

    def __init__(self, total: int, stream: TextIO, width: int = 20) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.shown = 0
        self.enabled = stream.isatty()

    def show(self, label: str) -> None:
        """Draw the bar with the label of the step now running."""
        if not self.enabled:
            return
        filled = self.width * min(self.done, self.total) // max(self.total, 1)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {label}"
        # Padded to the previous line's length: a shorter line would leave its tail.
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown = len(line)

    def close(self) -> None:
        """Erase the bar, so that the terminal shows the table alone."""
        if self.enabled and self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's own options (--backend and --json are shared with the check)."""
    parser.add_argument(
        "--size",
        type=_positive_int,
        default=DEFAULT_SIZE,
        metavar="N",
        help=f"elements of the float32 array (default: {DEFAULT_SIZE:,})",
    )
    parser.add_argument(
        "--repeats",
        type=_positive_int,
        default=DEFAULT_REPEATS,
        metavar="R",
        help=f"timed runs per function, after one warm-up run (default: {DEFAULT_REPEATS})",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def _medians(
    calls: dict[str, Callable[[], Any]],
    wait: Callable[[Any], Any],
    repeats: int,
    progress: Progress,
    label: str,
) -> dict[str, float]:
    """Each call's median time over ``repeats`` rounds, after one warm-up round. The
    calls take turns within a round, so that a drift of the machine's state (another
    library's threads still spinning, the allocator's caches) affects the floor and
    the functions alike, not whichever ran first."""
    for name, call in calls.items():
        progress.show(f"{label} warm-up {name}")
        wait(call())  # compilation and first-touch costs are not timed
    times: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(repeats):
        progress.show(f"{label} round {round_ + 1}/{repeats}")
        for name, call in calls.items():
            start = time.perf_counter()
            wait(call())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def time_backend(
    backend: _report.Backend, np: Any, size: int, repeats: int, progress: Progress
) -> Timing:
    """The floor and each function timed on one backend; an exception stops it and
    becomes its error."""
    label = f"{backend.name} {backend.device}"
    medians: dict[str, float] = {}
    error = None
    try:
        values = np.random.default_rng(0).standard_normal(size, dtype=np.float32)
        x = (backend.large or backend.to_backend)(values)
        backend.wait(x)  # the transfer to the device is not part of the first run
        calls: dict[str, Callable[[], Any]] = {FLOOR: lambda: x + 1}
        for name in _report.FUNCTIONS:
            function = getattr(arrayshrink, name)  # looked up now: a patched one is timed
            if name == "tanhshrink":
                calls[name] = functools.partial(function, x)
            else:
                calls[name] = functools.partial(function, x, _report.LAMBD)
        medians = _medians(calls, backend.wait, repeats, progress, label)
    except Exception as exc:
        error = _report.describe(exc)
    progress.done += 1
    floor = medians.pop(FLOOR, None)
    return Timing(backend.name, backend.version, backend.device, floor, medians, error)


def _failed(failure: _report.Failure) -> Timing:
    return Timing(failure.name, failure.version, "-", None, {}, failure.error)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.4g}"


def _print_table(timings: Sequence[Timing], notes: Sequence[str], size: int, repeats: int) -> None:
    print(
        f"arrayshrink {arrayshrink.__version__} bench: float32, {size:,} elements, lambd="
        f"{_report.LAMBD}; median of {repeats} run(s) after a warm-up; "
        f"ratio = median / floor, the floor being `{FLOOR}` on the same array"
    )
    rows = [["backend", "version", "device", "function", "median_ms", "floor_ms", "ratio"]]
    for t in timings:
        for name in _report.FUNCTIONS:
            if name in t.medians:
                ratio = t.ratio(name)
                ratio_text = "-" if ratio is None else f"{ratio:.2f}"
                row = [name, _ms(t.medians[name]), _ms(t.floor), ratio_text]
                rows.append([t.name, t.version, t.device, *row])
        if t.error is not None:
            rows.append([t.name, t.version, t.device, "-", "-", _ms(t.floor), "-"])
    if len(rows) > 1:
        print(_report.table(rows))
    for t in timings:
        if t.error is not None:
            where = f"{t.name} on {t.device}" if t.device != "-" else t.name
            print(f"ERROR {where}: {_report.one_line(t.error)}")
    for note in notes:
        print(f"not checked: {note}")


def run(np: Any, names: Sequence[str] | None, size: int, repeats: int, as_json: bool) -> int:
    """Time every backend found (``names``: those only) and print the table or the
    JSON document; the exit status is 1 if a backend raised, else 0."""
    # Whatever a library prints goes to stderr: stdout holds the table or JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        found = _report.find_backends(np, names)
        backends = [b for b in found.backends if isinstance(b, _report.Backend)]
        progress = Progress(len(backends), sys.stderr)
        try:
            timings = [
                time_backend(b, np, size, repeats, progress)
                if isinstance(b, _report.Backend)
                else _failed(b)
                for b in found.backends
            ]
        finally:
            progress.close()
    ok = all(t.error is None for t in timings)
    if as_json:
        document = {
            "arrayshrink": arrayshrink.__version__,
            "size": size,
            "repeats": repeats,
            "floor": FLOOR,
            "backends": [t.as_json() for t in timings],
            "not_checked": found.notes,
            "ok": ok,
        }
        print(json.dumps(document, indent=2))
    else:
        _print_table(timings, found.notes, size, repeats)
    return 0 if ok else 1

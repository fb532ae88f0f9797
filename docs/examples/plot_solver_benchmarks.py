"""The solver benchmarks: arrayshrink against scikit-learn, celer and skglm.
=========================================================================

The figure is drawn from ``docs/benchmarks/solvers.json``, the result of one run of
``python benchmarks/bench_solvers.py --repeats 3 --out docs/benchmarks/solvers.json``
(one thread, float64, every solver interleaved in the same rounds; the JSON records
the command, the machine and the versions). Each bar is a solver's median time
divided by scikit-learn's on its default settings, measured in the same round; below
the line is faster. The three problems: a single 2000 x 10000 Lasso, a 50-threshold
path on 500 x 5000, and batched coding of 1000 signals on a 64 x 256 dictionary.

Run it with ``python docs/examples/plot_solver_benchmarks.py [figure.png]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# docs/examples/ is this file's folder, and the working directory of the docs build,
# which runs it without __file__.
try:
    HERE = Path(__file__).resolve().parent
except NameError:
    HERE = Path.cwd()
RESULTS = HERE.parent / "benchmarks" / "solvers.json"
ANCHOR = "scikit-learn (default)"


def ratios(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per problem, each solver's median ratio to scikit-learn's default run."""
    return {
        problem: {solver: row["ratios"][ANCHOR] for solver, row in rows.items()}
        for problem, rows in report["results"].items()
    }


def plot(filename: str | None = None) -> None:
    import matplotlib.pyplot as plt

    report = json.loads(RESULTS.read_text(encoding="utf-8"))
    table = ratios(report)
    figure, axes = plt.subplots(
        1, len(table), figsize=(4.2 * len(table), 4.2), sharey=True, constrained_layout=True
    )
    # One order for every panel (the panels share their y axis): the anchors, then
    # arrayshrink's backends.
    names = sorted({name for row in table.values() for name in row})
    names.sort(key=lambda name: name.startswith("arrayshrink"))
    for axis, (problem, row) in zip(axes, table.items(), strict=True):
        values = [row.get(name, float("nan")) for name in names]
        colours = ["C0" if name.startswith("arrayshrink") else "0.6" for name in names]
        axis.barh(names, values, color=colours)
        for position, value in enumerate(values):
            if value == value:  # a solver this problem did not run has no bar
                axis.text(value, position, f" {value:.2f}", va="center", fontsize=8)
        axis.axvline(1.0, color="k", linewidth=0.8)
        axis.set_xlim(0, 1.25 * max(v for v in values if v == v))
        axis.set_title(problem, fontsize=10)
        axis.set_xlabel(f"time / {ANCHOR}")
        axis.tick_params(axis="y", labelsize=8)
    machine, versions = report["machine"], report["versions"]
    figure.suptitle(
        f"{machine['cpus']} CPUs, Python {machine['python']}, one thread; "
        f"arrayshrink {versions['arrayshrink']}, scikit-learn {versions['scikit-learn']}",
        fontsize=10,
    )
    if filename:
        figure.savefig(filename, dpi=110)
    else:
        plt.show()


if __name__ == "__main__":
    plot(sys.argv[1] if len(sys.argv) > 1 else None)

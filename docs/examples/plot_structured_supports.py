"""Structured sparsity: the group Lasso and the multi-task Lasso against the Lasso.
================================================================================

Two problems whose truth is sparse in blocks. In the first, one signal of 60
coefficients in 12 groups of 5, three groups active; in the second, 8 tasks sharing
6 active rows of 50. The Lasso selects coefficients one by one, so its supports are
scattered (and differ between tasks); the group Lasso keeps or drops whole groups, the
multi-task Lasso whole rows. The figure shows the support (the nonzero entries) of
the truth and of each estimate.

Run it with ``python docs/examples/plot_structured_supports.py [figure.png]``; the
test suite runs ``group_problem`` and ``multitask_problem`` too.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from arrayshrink import fista, lambda_max

GROUPS, SIZE, ACTIVE_GROUPS = 12, 5, 3
ROWS, TASKS, ACTIVE_ROWS = 50, 8, 6


def group_problem(seed: int = 0) -> dict[str, Any]:
    """One signal with whole groups active; the Lasso and the group Lasso, each at
    0.1 of its own lambda_max, solved to a 1e-8 relative gap."""
    rng = np.random.default_rng(seed)
    n = GROUPS * SIZE
    A = rng.standard_normal((40, n)) / np.sqrt(40)
    labels = np.repeat(np.arange(GROUPS), SIZE)
    active = rng.choice(GROUPS, ACTIVE_GROUPS, replace=False)
    truth = rng.standard_normal(n) * np.isin(labels, active)
    b = A @ truth + 0.05 * rng.standard_normal(40)
    weights = np.full(GROUPS, np.sqrt(SIZE))  # sqrt(group size), the usual weight
    lasso = fista(A, b, 0.1 * float(lambda_max(A, b)), tol=1e-8)
    peak = float(lambda_max(A, b, groups=labels, group_weights=weights))
    grouped = fista(A, b, 0.1 * peak, groups=labels, group_weights=weights, tol=1e-8)
    return {"A": A, "b": b, "labels": labels, "truth": truth, "lasso": lasso, "group": grouped}


def multitask_problem(seed: int = 0) -> dict[str, Any]:
    """Several tasks sharing a support; the Lasso on each task (a batch) and the
    multi-task Lasso, each at 0.2 of its own lambda_max."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((30, ROWS)) / np.sqrt(30)
    active = rng.choice(ROWS, ACTIVE_ROWS, replace=False)
    truth = np.zeros((ROWS, TASKS))
    truth[active] = rng.standard_normal((ACTIVE_ROWS, TASKS))
    B = A @ truth + 0.05 * rng.standard_normal((30, TASKS))
    lasso = fista(A, B, 0.2 * lambda_max(A, B), tol=1e-8)
    peak = float(lambda_max(A, B, multitask=True))
    multitask = fista(A, B, 0.2 * peak, multitask=True, tol=1e-8)
    return {"A": A, "B": B, "truth": truth, "lasso": lasso, "multitask": multitask}


def plot(path: str | None = None) -> None:
    import matplotlib.pyplot as plt

    groups, tasks = group_problem(), multitask_problem()
    figure, axes = plt.subplots(2, 3, figsize=(11, 6), constrained_layout=True)
    images = [
        (groups["truth"][None, :], "truth: 3 groups of 5"),
        (groups["lasso"].x[None, :], "Lasso"),
        (groups["group"].x[None, :], "group Lasso"),
        (tasks["truth"].T, "truth: 6 rows shared by 8 tasks"),
        (tasks["lasso"].x.T, "Lasso, task by task"),
        (tasks["multitask"].x.T, "multi-task Lasso"),
    ]
    for axis, (values, title) in zip(axes.flat, images, strict=True):
        support = values != 0
        axis.imshow(support, aspect="auto", cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
        axis.set_title(f"{title} ({int(support.sum())} nonzero)")
        axis.set_yticks([])
    for axis in axes[0]:
        axis.set_xticks(np.arange(0, GROUPS * SIZE, SIZE) - 0.5, minor=True)
        axis.grid(which="minor", axis="x", color="tab:blue", linewidth=0.5)
        axis.set_xlabel("coefficient (groups of 5)")
    for axis in axes[1]:
        axis.set_xlabel("row of x")
        axis.set_ylabel("task")
    if path:
        figure.savefig(path, dpi=90)
    else:
        plt.show()


if __name__ == "__main__":
    plot(sys.argv[1] if len(sys.argv) > 1 else None)

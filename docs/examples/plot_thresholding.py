"""Every thresholding rule of arrayshrink, side by side.
=====================================================

Each panel draws one rule on [-4, 4] with its threshold(s) marked: torch's
softshrink, hardshrink and tanhshrink, PyWavelets' garrote and firm thresholding and
its hard mode (which keeps ``|x| = value``, where torch's hardshrink zeroes it), and
TensorFlow Addons' asymmetric softshrink. The curves are computed by arrayshrink
itself, in float64 NumPy.

Run it with ``python docs/examples/plot_thresholding.py [figure.png]``; the test
suite checks ``rules`` against PyWavelets and the formulas.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from arrayshrink import (
    asymmetric_softshrink,
    hardshrink,
    softshrink,
    tanhshrink,
    threshold,
    threshold_firm,
)


def rules() -> dict[str, tuple[Callable[[Any], Any], list[float]]]:
    """Each rule's title, the rule, and the thresholds to mark on its panel."""
    return {
        "softshrink(x, 1)": (lambda x: softshrink(x, 1.0), [-1.0, 1.0]),
        "hardshrink(x, 1) (torch: |x| = 1 zeroed)": (lambda x: hardshrink(x, 1.0), [-1.0, 1.0]),
        'threshold(x, 1, "hard") (PyWavelets: kept)': (
            lambda x: threshold(x, 1.0, "hard"),
            [-1.0, 1.0],
        ),
        'threshold(x, 1, "garrote")': (lambda x: threshold(x, 1.0, "garrote"), [-1.0, 1.0]),
        "threshold_firm(x, 1, 2.5)": (lambda x: threshold_firm(x, 1.0, 2.5), [-2.5, -1, 1, 2.5]),
        "asymmetric_softshrink(x, -0.5, 1.5)": (
            lambda x: asymmetric_softshrink(x, -0.5, 1.5),
            [-0.5, 1.5],
        ),
        'threshold(x, 1, "greater")': (lambda x: threshold(x, 1.0, "greater"), [1.0]),
        "tanhshrink(x)": (tanhshrink, []),
    }


def plot(filename: str | None = None) -> None:
    import matplotlib.pyplot as plt

    x = np.linspace(-4.0, 4.0, 1601)
    figure, axes = plt.subplots(2, 4, figsize=(14, 6.5), sharex=True, sharey=True)
    for axis, (title, (rule, marks)) in zip(axes.flat, rules().items(), strict=True):
        axis.plot(x, x, color="0.8", linewidth=1, label="identity")
        axis.plot(x, rule(x), color="C0", linewidth=2)
        for mark in marks:
            axis.axvline(mark, color="C3", linewidth=0.8, linestyle=":")
        axis.set_title(title, fontsize=9)
        axis.set_xlim(-4, 4)
        axis.set_ylim(-4, 4)
        axis.grid(alpha=0.3)
    for axis in axes[1]:
        axis.set_xlabel("x")
    figure.suptitle("arrayshrink's thresholding rules (dotted: the thresholds)")
    figure.tight_layout()
    if filename:
        figure.savefig(filename, dpi=110)
    else:
        plt.show()


if __name__ == "__main__":
    plot(sys.argv[1] if len(sys.argv) > 1 else None)

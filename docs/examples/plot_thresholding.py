"""Every thresholding rule of arrayshrink, side by side.
=====================================================

Each panel draws one rule on [-4, 4] with its threshold(s) marked: torch's
softshrink, hardshrink and tanhshrink, PyWavelets' garrote and firm thresholding and
its hard mode (which keeps ``|x| = value``, where torch's hardshrink zeroes it), and
TensorFlow Addons' asymmetric softshrink. The curves are computed by arrayshrink
itself, in float64 NumPy; the dashed curve is each rule's derivative, by central
differences of arrayshrink's own values (on a grid that misses the thresholds, where
the discontinuous rules jump).

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

    x = np.linspace(-4.0, 4.0, 1600)  # no point falls on a threshold
    h = 1e-6
    figure, axes = plt.subplots(2, 4, figsize=(14, 6.5), sharex=True, sharey=True)
    for axis, (title, (rule, marks)) in zip(axes.flat, rules().items(), strict=True):
        axis.plot(x, x, color="0.8", linewidth=1, label="identity")
        axis.plot(x, rule(x), color="C0", linewidth=2, label="rule")
        slope = (rule(x + h) - rule(x - h)) / (2 * h)
        axis.plot(x, slope, color="C1", linewidth=1.2, linestyle="--", label="derivative")
        for mark in marks:
            axis.axvline(mark, color="C3", linewidth=0.8, linestyle=":")
        axis.set_title(title, fontsize=9)
        axis.set_xlim(-4, 4)
        axis.set_ylim(-4, 4)
        axis.grid(alpha=0.3)
    for axis in axes[1]:
        axis.set_xlabel("x")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    figure.suptitle(
        "arrayshrink's thresholding rules and their derivatives (dotted: the thresholds)"
    )
    figure.tight_layout()
    if filename:
        figure.savefig(filename, dpi=110)
    else:
        plt.show()


if __name__ == "__main__":
    plot(sys.argv[1] if len(sys.argv) > 1 else None)

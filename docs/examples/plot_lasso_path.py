"""The Lasso regularization path: every coefficient as lambda goes down.
=====================================================================

A 5%-sparse signal of 300 coefficients seen through 100 noisy measurements.
``lasso_path`` solves the Lasso from lambda_max, where x = 0, down to 1e-3
lambda_max on 60 thresholds, each solve warm-started from the previous one and
certified. The figure shows the coefficients along the path (the true support in
colour) and the certificate of every point: its duality gap relative to the objective,
and to ½‖b‖² (a point converges when either meets ``tol``; near interpolation, at the
smallest thresholds, the second does).

Run it with ``python docs/examples/plot_lasso_path.py [figure.png]``; the test suite
runs ``path_problem`` and checks it against scikit-learn's ``lasso_path``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from arrayshrink import lambda_max, lasso_path


def path_problem(seed: int = 0, n_lambdas: int = 60) -> dict[str, Any]:
    """The problem, its truth and its path (lambda_max down to 1e-3 lambda_max)."""
    rng = np.random.default_rng(seed)
    m, n = 100, 300
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)  # unit columns: lambda is on the scale of A^T b
    truth = np.zeros(n)
    support = rng.choice(n, n // 20, replace=False)
    truth[support] = rng.choice([-1.0, 1.0], support.size) * rng.uniform(0.5, 2.0, support.size)
    b = A @ truth + 0.05 * rng.standard_normal(m)
    path = lasso_path(A, b, n_lambdas=n_lambdas, eps=1e-3)
    return {"A": A, "b": b, "truth": truth, "path": path, "lambda_max": float(lambda_max(A, b))}


def plot(filename: str | None = None) -> None:
    import matplotlib.pyplot as plt

    problem = path_problem()
    path, truth = problem["path"], problem["truth"]
    ratio = path.lambdas / problem["lambda_max"]
    figure, (coefs, gaps) = plt.subplots(
        2, 1, figsize=(7, 6), sharex=True, height_ratios=(3, 1), constrained_layout=True
    )
    for j in np.flatnonzero(truth == 0):
        coefs.plot(ratio, path.x[j], color="0.75", linewidth=0.6)
    for j in np.flatnonzero(truth):
        coefs.plot(ratio, path.x[j], linewidth=1.4)
    coefs.set_xscale("log")
    coefs.invert_xaxis()  # from lambda_max (left) down the path
    coefs.set_ylabel("coefficient")
    coefs.set_title("Lasso path: true support in colour, the other coefficients in grey")
    # A point converges when either certificate meets tol: the relative gap, or the
    # gap against ||b||^2 / 2 (the absolute criterion, for the small thresholds).
    half_b2 = 0.5 * float(problem["b"] @ problem["b"])
    floor = 1e-17  # exact solutions have a gap of 0, which a log scale cannot show
    gaps.semilogy(ratio, np.maximum(path.gap, floor), "o", markersize=3, label="(P - D) / P")
    absolute = path.gap * path.objective / half_b2
    gaps.semilogy(ratio, np.maximum(absolute, floor), "x", markersize=3, label="(P - D) / ½‖b‖²")
    gaps.axhline(1e-6, color="k", linewidth=0.8, linestyle="--", label="tol")
    gaps.set_xlabel("λ / λ_max")
    gaps.set_ylabel("certified gap")
    gaps.legend(loc="upper left")
    if filename:
        figure.savefig(filename, dpi=110)
    else:
        plt.show()


if __name__ == "__main__":
    plot(sys.argv[1] if len(sys.argv) > 1 else None)

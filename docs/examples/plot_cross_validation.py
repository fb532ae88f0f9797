"""Choosing lambda by cross-validation: the held-out error along the path.
=======================================================================

K-fold cross-validation over the measurements (the rows of A and b): for each fold,
``lasso_path`` on the other rows, along one grid of thresholds, and the squared error
of each solution on the held-out rows. The threshold with the smallest mean held-out
error is kept (or, by the one-standard-error rule, the largest threshold whose error
is within one standard error of that minimum: a sparser model as good within the
noise), and the Lasso is solved again on every row at that threshold.

The grid is in scikit-learn's scale, alpha = lambda / (rows of the fit), so that a
fold with fewer rows gets the same penalty per row: a fit on m_train rows uses
lambda = alpha * m_train. With the same folds and alphas, the choice is LassoCV's
(the test suite checks it).

Several signals measured by the same A (a batch b of shape (m, k)) are
cross-validated at once: every path in one ``lasso_path`` call, the error averaged
over the signals as well (one lambda for all), or kept per signal.

Run it with ``python docs/examples/plot_cross_validation.py [figure.png]``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from arrayshrink import fista, lambda_max, lasso_path


def folds(m: int, k: int) -> list[np.ndarray]:
    """k contiguous blocks of row indices (scikit-learn's KFold without shuffling)."""
    return np.array_split(np.arange(m), k)


def alpha_grid(A: np.ndarray, b: np.ndarray, n_alphas: int = 50, eps: float = 1e-3) -> Any:
    """A geometric grid of alphas from alpha_max = lambda_max(A, b) / m (every column
    of a batch zero above it) down to eps * alpha_max."""
    alpha_max = float(np.max(lambda_max(A, b))) / A.shape[0]
    return alpha_max * np.geomspace(1.0, eps, n_alphas)


def cross_validate(
    A: np.ndarray,
    b: np.ndarray,
    alphas: np.ndarray,
    n_folds: int = 5,
    **options: Any,
) -> dict[str, Any]:
    """The held-out mean squared error per fold and alpha (and per signal for a batch),
    and the alpha of the smallest mean error and of the one-standard-error rule.
    ``options`` go to lasso_path (tol, max_iter, positive, ...)."""
    errors = []
    for held_out in folds(A.shape[0], n_folds):
        train = np.setdiff1d(np.arange(A.shape[0]), held_out)
        path = lasso_path(A[train], b[train], alphas * train.size, **options)
        # x is (n, L) for one signal, (n, k, L) for a batch: predictions (m_out, [k,] L).
        predicted = np.tensordot(A[held_out], path.x, axes=1)
        residual = predicted - b[held_out][..., None]
        errors.append(np.mean(residual**2, axis=0))  # (L,) or (k, L)
    errors = np.stack(errors)  # (folds, L) or (folds, k, L)
    mean = errors.mean(axis=tuple(range(errors.ndim - 1)))  # one curve for all signals
    folds_error = errors.reshape(n_folds, -1, alphas.size).mean(axis=1)
    standard_error = folds_error.std(axis=0, ddof=1) / np.sqrt(n_folds)
    best = int(np.argmin(mean))
    # alphas decrease: the first alpha within one standard error is the largest.
    one_se = int(np.flatnonzero(mean <= mean[best] + standard_error[best])[0])
    return {
        "alphas": alphas,
        "errors": errors,
        "mean": mean,
        "standard_error": standard_error,
        "alpha_min": float(alphas[best]),
        "alpha_1se": float(alphas[one_se]),
    }


def example(seed: int = 0) -> dict[str, Any]:
    """A 5%-sparse truth of 200 coefficients, 120 noisy measurements; the CV choice
    refitted on every row, and the solutions at both alphas."""
    rng = np.random.default_rng(seed)
    m, n = 120, 200
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    truth = np.zeros(n)
    support = rng.choice(n, n // 20, replace=False)
    truth[support] = rng.choice([-1.0, 1.0], support.size) * rng.uniform(1.0, 2.0, support.size)
    b = A @ truth + 0.1 * rng.standard_normal(m)
    cv = cross_validate(A, b, alpha_grid(A, b))
    fits = {rule: fista(A, b, cv[f"alpha_{rule}"] * m, tol=1e-8) for rule in ("min", "1se")}
    return {"A": A, "b": b, "truth": truth, "cv": cv, "fits": fits}


def plot(filename: str | None = None) -> None:
    import matplotlib.pyplot as plt

    run = example()
    cv, truth, fits = run["cv"], run["truth"], run["fits"]
    figure, (curve, coefs) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for fold_errors in cv["errors"]:
        curve.plot(cv["alphas"], fold_errors, color="0.8", linewidth=0.7)
    curve.errorbar(cv["alphas"], cv["mean"], yerr=cv["standard_error"], color="k", linewidth=1)
    curve.axvline(cv["alpha_min"], color="tab:blue", linestyle="--", label="smallest error")
    curve.axvline(cv["alpha_1se"], color="tab:orange", linestyle="--", label="one-SE rule")
    curve.set_xscale("log")
    curve.set_yscale("log")
    curve.invert_xaxis()
    curve.set_xlabel("alpha = λ / m")
    curve.set_ylabel("held-out mean squared error")
    curve.set_title("5-fold cross-validation (folds in grey)")
    curve.legend()
    index = np.arange(truth.size)
    coefs.plot(index, truth, "k.", markersize=4, label="truth")
    for rule, colour in (("min", "tab:blue"), ("1se", "tab:orange")):
        x = fits[rule].x
        label = f"{rule}: {np.count_nonzero(x)} nonzero"
        coefs.plot(index, x, color=colour, linewidth=0.9, label=label)
    coefs.set_xlabel("coefficient")
    coefs.set_title(f"refit on all rows ({np.count_nonzero(truth)} true nonzeros)")
    coefs.legend()
    if filename:
        figure.savefig(filename, dpi=110)
    else:
        plt.show()


if __name__ == "__main__":
    plot(sys.argv[1] if len(sys.argv) > 1 else None)

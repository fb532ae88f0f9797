"""The structured-sparsity example shows what docs/solvers.md says it shows.

References: the true supports the example draws, and scikit-learn's MultiTaskLasso.
"""

from __future__ import annotations

import numpy as np
from _support import load_example
from sklearn.linear_model import MultiTaskLasso

from arrayshrink import lambda_max


def test_group_lasso_recovers_whole_groups_where_the_lasso_scatters() -> None:
    problem = load_example("plot_structured_supports").group_problem()
    labels, truth = problem["labels"], problem["truth"]
    true_groups = set(labels[truth != 0].tolist())
    grouped = problem["group"]
    assert bool(grouped.converged)
    assert bool(problem["lasso"].converged)
    # The group Lasso's support is exactly the active groups, every coefficient of them.
    np.testing.assert_array_equal(grouped.x != 0, np.isin(labels, sorted(true_groups)))
    lasso_groups = set(labels[problem["lasso"].x != 0].tolist())
    assert lasso_groups > true_groups  # the Lasso also picks coefficients elsewhere


def test_multitask_lasso_recovers_the_shared_rows() -> None:
    problem = load_example("plot_structured_supports").multitask_problem()
    A, B, truth = problem["A"], problem["B"], problem["truth"]
    multitask, lasso = problem["multitask"], problem["lasso"]
    rows = np.flatnonzero(np.any(truth != 0, axis=1))
    np.testing.assert_array_equal(np.flatnonzero(np.any(multitask.x != 0, axis=1)), rows)
    assert np.all((multitask.x != 0).all(axis=1) == np.any(multitask.x != 0, axis=1))
    assert np.any(np.any(lasso.x != 0, axis=1) & ~np.any(truth != 0, axis=1))
    lambd = 0.2 * float(lambda_max(A, B, multitask=True))
    reference = MultiTaskLasso(
        alpha=lambd / A.shape[0], fit_intercept=False, tol=1e-12, max_iter=10**5
    )
    np.testing.assert_allclose(multitask.x, reference.fit(A, B).coef_.T, atol=1e-4)

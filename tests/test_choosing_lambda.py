"""The examples of docs/choosing_lambda.md do what the guide says they do.

References: scikit-learn's lasso_path (the same alphas, alpha = lambda / m) and
LassoCV (the same folds and alphas), run to a tight tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _support import load_example
from sklearn.linear_model import LassoCV
from sklearn.linear_model import lasso_path as sklearn_path
from sklearn.model_selection import KFold

from arrayshrink import lasso_path

# NumPy examples: they run in the NumPy session only (tests/conftest.py).
pytestmark = pytest.mark.backend("numpy")


def _objective(A: np.ndarray, b: np.ndarray, x: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    residual = A @ x - b[:, None]
    return 0.5 * np.sum(residual**2, axis=0) + lambdas * np.sum(np.abs(x), axis=0)


def test_path_example_is_certified_and_at_sklearns_optimum() -> None:
    problem = load_example("plot_lasso_path").path_problem()
    A, b, path, truth = problem["A"], problem["b"], problem["path"], problem["truth"]
    lambdas = np.asarray(path.lambdas)
    assert lambdas[0] == problem["lambda_max"]
    np.testing.assert_allclose(lambdas[-1], 1e-3 * lambdas[0], rtol=1e-12)
    assert np.all(np.diff(lambdas) < 0)
    assert np.all(path.converged)
    np.testing.assert_array_equal(path.x[:, 0], 0.0)
    _, coefs, _ = sklearn_path(A, b, alphas=lambdas / A.shape[0], tol=1e-12, max_iter=10**6)
    ours, theirs = _objective(A, b, path.x, lambdas), _objective(A, b, coefs, lambdas)
    # Within what `converged` certifies: tol relative to P, or to ||b||^2 / 2.
    allowed = 1e-6 * np.maximum(theirs, 0.5 * float(b @ b))
    assert np.all(ours - theirs <= allowed)
    # The supports grow from nothing, never past m (a generic Lasso solution has at
    # most m nonzeros), and from some threshold on contain the whole truth.
    sizes = np.count_nonzero(path.x, axis=0)
    assert sizes[0] == 0
    assert sizes.max() <= A.shape[0]
    assert any(np.all(x[truth != 0] != 0) for x in path.x.T)


def test_cross_validation_chooses_lassocvs_alpha() -> None:
    example = load_example("plot_cross_validation")
    run = example.example()
    A, b, cv = run["A"], run["b"], run["cv"]
    reference = LassoCV(
        alphas=cv["alphas"], cv=KFold(5), fit_intercept=False, tol=1e-12, max_iter=10**6
    ).fit(A, b)
    assert cv["alpha_min"] == reference.alpha_
    # The held-out errors themselves, at a tight tolerance (the example's is 1e-6).
    tight = example.cross_validate(A, b, cv["alphas"], tol=1e-10, max_iter=10**5)
    np.testing.assert_allclose(tight["errors"], reference.mse_path_.T, rtol=1e-5)
    assert tight["alpha_min"] == reference.alpha_


def test_one_standard_error_rule_is_sparser_and_keeps_the_truth() -> None:
    run = load_example("plot_cross_validation").example()
    cv, truth, fits = run["cv"], run["truth"], run["fits"]
    assert cv["alpha_1se"] >= cv["alpha_min"]
    assert all(bool(fit.converged) for fit in fits.values())
    chosen = {rule: np.flatnonzero(fit.x) for rule, fit in fits.items()}
    assert chosen["1se"].size < chosen["min"].size
    for support in chosen.values():
        assert set(np.flatnonzero(truth)) <= set(support)


def test_cross_validation_of_a_batch_is_each_signals_lassocv() -> None:
    """Two signals through one batched path per fold: each signal's held-out errors
    are its own LassoCV's; the mean curve averages them."""
    example = load_example("plot_cross_validation")
    rng = np.random.default_rng(3)
    A = rng.standard_normal((60, 90)) / np.sqrt(60)
    truth = rng.standard_normal((90, 2)) * (rng.random((90, 2)) < 0.05)
    B = A @ truth + 0.05 * rng.standard_normal((60, 2))
    alphas = example.alpha_grid(A, B, n_alphas=20, eps=1e-2)
    cv = example.cross_validate(A, B, alphas, tol=1e-10, max_iter=10**5)
    assert cv["errors"].shape == (5, 2, 20)
    for i in range(2):
        reference = LassoCV(
            alphas=alphas, cv=KFold(5), fit_intercept=False, tol=1e-12, max_iter=10**6
        ).fit(A, B[:, i])
        np.testing.assert_allclose(cv["errors"][:, i], reference.mse_path_.T, rtol=1e-5)
    np.testing.assert_allclose(cv["mean"], cv["errors"].mean(axis=(0, 1)))


def _guide_snippet(after: str) -> str:
    """The first Python block of docs/choosing_lambda.md after the text ``after``."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "choosing_lambda.md").read_text()
    start = text.index("```python\n", text.index(after)) + len("```python\n")
    return text[start : text.index("```", start)]


def test_the_guides_cross_validation_snippet_chooses_the_examples_alpha() -> None:
    run = load_example("plot_cross_validation").example()
    namespace = {"A": run["A"], "b": run["b"]}
    exec(_guide_snippet("## Cross-validation"), namespace)
    assert namespace["best"] == run["cv"]["alpha_min"]
    np.testing.assert_allclose(namespace["x"], run["fits"]["min"].x, atol=1e-5)


def test_the_default_grid_is_sklearns_alphas_times_m() -> None:
    """The guide: lasso_path's default lambdas / m are the alphas scikit-learn's
    lasso_path computes (100 values, eps 1e-3, from max |A^T b| / m)."""
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((40, 20)), rng.standard_normal(40)
    alphas, _, _ = sklearn_path(A, b, tol=1e-8)  # m > n: a well-posed path
    np.testing.assert_allclose(np.asarray(lasso_path(A, b).lambdas) / 40, alphas, rtol=1e-12)

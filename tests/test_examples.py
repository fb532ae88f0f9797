"""The guide's examples do what the documentation says they do.

References: scikit-learn's Lasso, the explicit matrix of an implicit operator, and the
closed form of the Lasso in an orthonormal basis (soft-thresholding of the coefficients).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _support import load_example
from scipy import fft
from sklearn.linear_model import Lasso

from arrayshrink import fista


def test_sparse_recovery_finds_the_support_at_the_lasso_optimum() -> None:
    example = load_example("plot_sparse_recovery")
    A, truth, b = example.make_problem()
    _, _, result = example.recover()
    lambd = 0.1 * np.max(np.abs(A.T @ b))
    reference = Lasso(alpha=lambd / A.shape[0], fit_intercept=False, tol=1e-14, max_iter=10**5)
    x_ref = reference.fit(A, b).coef_

    def objective(x: np.ndarray) -> float:
        return float(0.5 * np.sum((A @ x - b) ** 2) + lambd * np.sum(np.abs(x)))

    assert bool(result.converged)
    assert objective(result.x) <= objective(x_ref) * (1 + 1e-8)
    large = np.abs(truth) > 0.3
    np.testing.assert_array_equal(np.sign(result.x[large]), np.sign(truth[large]))


def test_convergence_curves_show_restart_ahead() -> None:
    runs = load_example("plot_sparse_recovery").convergence()

    def first_below(name: str, level: float) -> Any:
        history = runs[name].history
        pairs = zip(history["iteration"], history["gap"], strict=True)
        return next(iteration for iteration, gap in pairs if gap <= level)

    assert all(bool(run.converged) for run in runs.values())
    assert all(run.history["iteration"][:3] == [1, 2, 3] for run in runs.values())
    assert first_below("FISTA with restart", 1e-8) < first_below("ISTA", 1e-8)
    assert first_below("FISTA with restart", 1e-8) < first_below("FISTA, no restart", 1e-8)


def test_dct_and_spikes_operator_is_its_matrix() -> None:
    example = load_example("plot_dct_denoising")
    operator = example.DctAndSpikes(64)
    matrix = operator.forward(np.eye(128))
    assert matrix.shape == (64, 128)
    np.testing.assert_allclose(operator.adjoint(np.eye(64)), matrix.T, atol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(matrix, 2) ** 2, 2.0, rtol=1e-12)
    b = np.random.default_rng(3).standard_normal(64)
    implicit = fista(operator, b, 0.2, lipschitz=2.0, tol=1e-12, max_iter=20_000)
    explicit = fista(matrix, b, 0.2, tol=1e-12, max_iter=20_000)
    np.testing.assert_allclose(implicit.x, explicit.x, atol=1e-8)


class _Dct:
    """The orthonormal DCT basis alone, as an implicit operator."""

    shape = (256, 256)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return fft.idct(x, norm="ortho", axis=0)

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        return fft.dct(r, norm="ortho", axis=0)


def test_lasso_in_an_orthonormal_basis_is_soft_thresholding() -> None:
    b = np.random.default_rng(4).standard_normal((256, 3))
    coefficients = fft.dct(b, norm="ortho", axis=0)
    expected = np.sign(coefficients) * np.maximum(np.abs(coefficients) - 0.7, 0.0)
    result = fista(_Dct(), b, 0.7, tol=1e-14)
    np.testing.assert_allclose(result.x, expected, atol=1e-12)


def test_denoising_separates_and_cleans_the_signal() -> None:
    example = load_example("plot_dct_denoising")
    smooth, spikes, observed = example.make_signal()
    smooth_hat, spikes_hat, result = example.denoise()
    assert bool(result.converged)

    def rms(v: np.ndarray) -> float:
        return float(np.sqrt(np.mean(v**2)))

    noise = rms(observed - smooth - spikes)
    assert rms(smooth_hat + spikes_hat - smooth - spikes) < 0.6 * noise
    np.testing.assert_array_equal(np.flatnonzero(np.abs(spikes_hat) > 1.0), np.flatnonzero(spikes))

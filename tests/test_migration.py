"""The migration tables of docs/migration.md: the peers' solvers reach the same optimum
under the stated conversions.

References: jaxopt's ProximalGradient (the jax session installs jaxopt) and
pyproximal's accelerated proximal gradient with PyLops operators (the numpy session
installs them), each run to convergence on its own.
"""

from __future__ import annotations

import importlib.util
import warnings
from types import ModuleType

import numpy as np
import pytest

from arrayshrink import fista

needs_jaxopt = pytest.mark.skipif(
    importlib.util.find_spec("jaxopt") is None, reason="jaxopt (the reference) is not installed"
)
needs_pyproximal = pytest.mark.skipif(
    importlib.util.find_spec("pyproximal") is None,
    reason="pyproximal (the reference) is not installed",
)


def _problem(k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((50, 30))
    return A, rng.standard_normal((50,) if k is None else (50, k))


@needs_jaxopt
def test_jaxopt_proximal_gradient_with_prox_lasso(jax: ModuleType) -> None:
    with warnings.catch_warnings():  # "JAXopt is no longer maintained", at import
        warnings.simplefilter("ignore", DeprecationWarning)
        import jaxopt

    A, b = _problem()
    lambd = 5.0
    solver = jaxopt.ProximalGradient(
        fun=jaxopt.objective.least_squares, prox=jaxopt.prox.prox_lasso, tol=1e-12, maxiter=20_000
    )
    data = (jax.numpy.asarray(A), jax.numpy.asarray(b))
    theirs = solver.run(jax.numpy.zeros(30), hyperparams_prox=lambd / 50, data=data).params
    ours = fista(*data, lambd, tol=1e-12)
    np.testing.assert_allclose(np.asarray(ours.x), np.asarray(theirs), atol=1e-7)


@needs_pyproximal
def test_pyproximal_l1_and_l21() -> None:
    import pylops
    import pyproximal

    A, b = _problem()
    lambd, tau = 5.0, 1 / np.linalg.norm(A, 2) ** 2
    with warnings.catch_warnings():  # its accelerated solver's deprecation notice
        warnings.simplefilter("ignore", FutureWarning)
        solve = pyproximal.optimization.primal.AcceleratedProximalGradient
        lasso = solve(
            pyproximal.L2(Op=pylops.MatrixMult(A), b=b),
            pyproximal.L1(sigma=lambd),
            x0=np.zeros(30),
            tau=tau,
            niter=5000,
        )
        np.testing.assert_allclose(fista(A, b, lambd, tol=1e-12).x, lasso, atol=1e-9)
        _, B = _problem(4)
        # L21(ndim=k) takes the norms over the first axis of x stored as (k, n).
        task_major = pylops.Transpose(dims=(4, 30), axes=(1, 0))
        operator = pylops.MatrixMult(A, otherdims=(4,)) @ task_major
        rows = solve(
            pyproximal.L2(Op=operator, b=B.ravel()),
            pyproximal.L21(ndim=4, sigma=lambd),
            x0=np.zeros(120),
            tau=tau,
            niter=5000,
        )
    ours = fista(A, B, lambd, multitask=True, tol=1e-12).x
    np.testing.assert_allclose(ours, rows.reshape(4, 30).T, atol=1e-9)


class _FromPyLops:
    """The adapter of docs/migration.md: a PyLops operator as a LinearOperator."""

    def __init__(self, op: object) -> None:
        self.op, self.shape = op, op.shape  # type: ignore[attr-defined]

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.op.matvec(x)  # type: ignore[attr-defined, no-any-return]

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        return self.op.rmatvec(r)  # type: ignore[attr-defined, no-any-return]


@needs_pyproximal
def test_pylops_operator_through_the_adapter() -> None:
    """fista, lambda_max and lasso_path on a PyLops operator give the matrix's answers."""
    import pylops

    from arrayshrink import lambda_max, lasso_path

    A, b = _problem()
    op = _FromPyLops(pylops.MatrixMult(A))
    np.testing.assert_allclose(lambda_max(op, b), np.max(np.abs(A.T @ b)), rtol=1e-12)
    dense, through = fista(A, b, 5.0, tol=1e-12), fista(op, b, 5.0, tol=1e-12)
    assert bool(through.converged)
    np.testing.assert_allclose(through.x, dense.x, atol=1e-9)
    path = lasso_path(op, b, n_lambdas=5, tol=1e-10)
    assert bool(np.all(path.converged))
    np.testing.assert_allclose(path.x, lasso_path(A, b, n_lambdas=5, tol=1e-10).x, atol=1e-7)

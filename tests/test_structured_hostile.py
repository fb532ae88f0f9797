"""Hostile inputs to group_softshrink, GroupSoftshrink and the structured options of
fista/ista/lambda_max: compiled and traced values, data near the limits of float64,
invalid group weights, the forms labels come in, and inputs that must stay unchanged.

References: float64 NumPy formulas and mathematics (never the code under test).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from _support import from_numpy, to_numpy

import arrayshrink
from arrayshrink import fista, group_softshrink, lambda_max


def _group_reference(x: np.ndarray, lambd: float) -> np.ndarray:
    """Rows as groups: x * max(0, 1 - lambd / ||row||)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norms > lambd, 1 - lambd / norms, 0.0)
    return x * scale


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    A = rng.standard_normal((12, 6)) / np.sqrt(12)
    return A, rng.standard_normal(12), rng.standard_normal((12, 3))


# ------------------------------------------------------- torch.compile (fullgraph)


def test_group_softshrink_compiles_fullgraph(torch: ModuleType) -> None:
    # A generator passed to math.prod broke the graph: fullgraph=True raised.
    x = np.random.default_rng(0).standard_normal((4, 5))
    expected = _group_reference(x, 0.7)
    function = torch.compile(lambda v: group_softshrink(v, 0.7), fullgraph=True)
    module = torch.compile(arrayshrink.GroupSoftshrink(0.7), fullgraph=True)
    for compiled in (function, module):
        out = compiled(torch.asarray(x))
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-15)


# ---------------------------------------- values that cannot be read now give NaN


def test_traced_nan_group_weight_gives_nan(jax: ModuleType) -> None:
    # A NaN weight under jax.jit gave a finite, wrong solution (the group scale took
    # the group norm where both comparisons with NaN failed).
    A, b, _ = _data()
    labels = [0, 0, 1, 1, 2, 2]
    weights = jax.numpy.asarray([1.0, float("nan"), 1.0])

    def solve(w: object) -> object:
        return fista(
            jax.numpy.asarray(A), jax.numpy.asarray(b), 0.1, groups=labels, group_weights=w
        ).x

    assert np.all(np.isnan(np.asarray(jax.jit(solve)(weights))))
    peak = jax.jit(
        lambda w: lambda_max(
            jax.numpy.asarray(A), jax.numpy.asarray(b), groups=labels, group_weights=w
        )
    )(weights)
    assert np.isnan(float(peak))


def test_traced_nan_lambd_with_groups_gives_nan(jax: ModuleType) -> None:
    A, b, B = _data()
    jnp = jax.numpy
    grouped = jax.jit(
        lambda lam: fista(jnp.asarray(A), jnp.asarray(b), lam, groups=[0, 0, 1, 1, 2, 2]).x
    )
    rows = jax.jit(lambda lam: fista(jnp.asarray(A), jnp.asarray(B), lam, multitask=True).x)
    assert np.all(np.isnan(np.asarray(grouped(jnp.nan))))
    assert np.all(np.isnan(np.asarray(rows(jnp.nan))))


# ------------------------------------------------------------ near float64's limits


def test_lambda_max_structured_does_not_overflow(xp: ModuleType) -> None:
    # Row and group norms of correlations near 1e200 overflowed to inf (squares).
    A = np.eye(3)
    B = np.full((3, 2), 1e200)
    expected = np.sqrt(2.0) * 1e200
    rows = lambda_max(from_numpy(xp, A), from_numpy(xp, B), multitask=True)
    grouped = lambda_max(from_numpy(xp, A), from_numpy(xp, B[:, 0]), groups=[0, 0, 1])
    np.testing.assert_allclose(float(to_numpy(rows)), expected, rtol=1e-14)
    np.testing.assert_allclose(float(to_numpy(grouped)), expected, rtol=1e-14)
    tiny = lambda_max(from_numpy(xp, A), from_numpy(xp, np.full(3, 3e-300)), groups=[0, 0, 1])
    np.testing.assert_allclose(float(to_numpy(tiny)), np.sqrt(2.0) * 3e-300, rtol=1e-14)


# ------------------------------------------------------------------ group_weights


@pytest.mark.parametrize("bad", [["a", 1.0], [None, 1.0], [1j, 1.0], [True, 1.0]])
def test_group_weights_entries_that_are_not_numbers(bad: list[object]) -> None:
    A, b, _ = _data()
    with pytest.raises(TypeError, match=r"fista\(\): group_weights must hold real numbers"):
        fista(A, b, 0.1, groups=[0, 0, 0, 1, 1, 1], group_weights=bad)
    with pytest.raises(TypeError, match=r"lambda_max\(\): group_weights"):
        lambda_max(A, b, groups=[0, 0, 0, 1, 1, 1], group_weights=bad)


# ------------------------------------------------- the forms labels come in; no mutation


def test_label_forms_agree_and_inputs_stay_unchanged(torch: ModuleType) -> None:
    A, b, _ = _data()
    forms = [
        [0, 0, 2, 2, 3, 3],
        (0, 0, 2, 2, 3, 3),
        np.asarray([0, 0, 2, 2, 3, 3], dtype=np.int32),
        torch.asarray([0, 0, 2, 2, 3, 3]),
    ]
    compact = fista(A, b, 0.2, groups=[0, 0, 1, 1, 2, 2], tol=1e-10, max_iter=5000).x
    weights = np.asarray([1.0, 5.0, 1.0, 1.0])  # label 1 is empty: its weight is unused
    saved = [A.copy(), b.copy(), weights.copy()]
    for labels in forms:
        kept = np.asarray(labels).copy()
        x = fista(A, b, 0.2, groups=labels, group_weights=weights, tol=1e-10, max_iter=5000).x
        np.testing.assert_allclose(x, compact, atol=1e-8)
        np.testing.assert_array_equal(np.asarray(labels), kept)
    for before, after in zip(saved, [A, b, weights], strict=True):
        np.testing.assert_array_equal(before, after)
    # range labels: every coefficient its own group, i.e. the Lasso.
    single = fista(A, b, 0.2, groups=range(6), tol=1e-10, max_iter=5000).x
    np.testing.assert_allclose(single, fista(A, b, 0.2, tol=1e-10, max_iter=5000).x, atol=1e-8)


def test_multitask_warm_start_is_unchanged(xp: ModuleType) -> None:
    A, _, B = _data()
    x0 = np.full((6, 3), 0.25)
    X0 = from_numpy(xp, x0)
    cold = fista(
        from_numpy(xp, A), from_numpy(xp, B), 0.3, multitask=True, tol=1e-10, max_iter=5000
    )
    warm = fista(
        from_numpy(xp, A), from_numpy(xp, B), 0.3, multitask=True, x0=X0, tol=1e-10, max_iter=5000
    )
    np.testing.assert_allclose(to_numpy(warm.x), to_numpy(cold.x), atol=1e-7)
    np.testing.assert_array_equal(to_numpy(X0), x0)

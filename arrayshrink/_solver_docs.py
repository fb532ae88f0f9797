"""The docstrings of fista and ista, from one template.

``$restart`` is fista's restart parameter (empty for ista) and ``$tail`` each one's
See Also and Examples; ``Template.substitute`` raises if a placeholder is missing, so
no parameter's text can be dropped silently.
"""

from __future__ import annotations

from string import Template

__all__ = ["DOCSTRING", "FISTA_TAIL", "ISTA_TAIL", "RESTART"]


DOCSTRING = Template(
    r"""$summary

    Minimizes, for each column of `b`,

    .. math:: \frac12 \|A x - b\|_2^2 + \frac{\ell_2}{2}\|x\|_2^2 + \sum_j \lambda_j |x_j|

    or, with `groups`, `multitask` or `prox`, the group Lasso, the multi-task Lasso
    or any penalty given by its proximal map (see those parameters).

    Conversions: scikit-learn's ``Lasso(alpha=lambd / n_samples)`` solves the same
    problem (it divides the quadratic term by n_samples); ``sparse_encode`` and
    ``SparseCoder`` with ``alpha=lambd`` take lambd itself; PyLops' ISTA drops the
    1/2, so its ``eps`` is 2 * lambd here.

    Parameters
    ----------
    A : array of shape (m, n), or LinearOperator
        The dictionary: a real or complex floating matrix of the same library as `b`
        (mixed float dtypes promote as in NumPy), or an object with ``forward(x)``
        (A @ x), ``adjoint(r)`` (A^H @ r) and ``shape``, so that FFT, convolution or
        wavelet dictionaries need no matrix. At least one column.
    b : array of shape (m,) or (m, k)
        The signal, or k signals solved as independent problems at once.
    lambd : float or array
        The L1 weight, finite and >= 0: a number, one value per column (shape (k,)),
        one weight per coefficient (shape (n, 1), or (n,) for 1-d `b`), or both (shape
        (n, k)); a zero weight leaves its coefficient unpenalised (an intercept column,
        least squares, ridge with `l2`).
    x0 : array, optional
        A warm start, of the shape of x: (n,) or (n, k). Zeros by default. On eager
        arrays, with the L1 penalties, `x0` is certified before the first iteration:
        a start that already meets `tol` is returned with ``n_iter`` 0.
    max_iter : int, default: 1000
        The most iterations to run.
    tol : float, default: 1e-6
        Stop a column when its certificate ``gap`` is at most `tol`: the relative
        duality gap (P(x) - D) / P(x), which bounds the relative suboptimality of `x`
        (or, absolutely, P(x) - D <= tol * ||b||^2 / 2, so that exact fits stop). A
        `tol` below 4 eps of the dtype (4.8e-7 in float32) cannot be certified and warns.
    check_every : int, default: 10
        Iterations between gap checks (a check costs one more adjoint product).
    lipschitz : float, optional
        A Lipschitz constant of the gradient, ||A||_2^2 + l2, for the fixed step
        1/lipschitz. By default the step is found by backtracking, per column, and
        allowed to grow again after each successful iteration.
    unroll : bool, default: False
        Run exactly `max_iter` iterations with the step 1/`lipschitz` (required),
        without gap checks or early stop, so that reverse-mode differentiation
        (``jax.grad``, torch autograd) can go through the solver; under JAX the
        iterations run in ``lax.fori_loop``. The gap is computed once, at the end,
        and no ConvergenceWarning is given. Without `unroll`, ``jax.grad`` (reverse
        mode) through a solve fails with JAX's own error about ``while_loop`` after the
        solve; forward mode (``jax.jvp``, ``jax.jacfwd``) works without it.
$restart    positive : bool, default: False
        Constrain x >= 0 (real problems only).
    l2 : float, default: 0
        An elastic-net term l2/2 ||x||^2 added to the objective.
    groups : sequence or array of int, optional
        The group Lasso: the label in [0, G) of each of the n coefficients, and the
        penalty lambd * sum_g w_g ||x_g||_2 in place of the L1 norm (each column of a
        batch is its own problem). Labels are static: a list, or an array whose values
        can be read now (not traced, not lazy). `lambd` is then a number or one value
        per column; combine with `positive` (x >= 0) and `l2`.
    group_weights : sequence or array, optional
        The weight w_g >= 0 of each group (shape (G,)), 1 by default; a common choice is
        sqrt(group size). A group of weight 0 is unpenalised.
    multitask : bool, default: False
        The multi-task Lasso for `b` of shape (m, k): one problem whose penalty is
        lambd * sum_i w_i ||x_i,:||_2 over the rows of x, so that the tasks share one
        support (scikit-learn's ``MultiTaskLasso`` with ``alpha = lambd / m``). `lambd`
        is a number or one weight per row, shape (n,); ``gap``, ``objective``,
        ``converged`` and ``n_iter`` are single values. Not with `groups`, `positive`
        or `prox`.
    prox : callable, optional
        Any other penalty lambd * h, given by its proximal map ``prox(v, t)``: the
        minimiser of t * h(z) + ||z - v||^2 / 2, for an array `v` of the shape of x
        and ``t = step * lambd`` (broadcastable to `v`). A projection (box
        constraints: ``lambda v, t: xp.clip(v, 0, 1)``, with ``lambd=1``), hard
        thresholding for an l0 penalty, or your own. The objective is then the smooth
        part alone, and ``gap`` is the relative fixed-point residual
        ||x - prox(x - t grad, t)|| / ||x|| at the solver's step (there is no dual for
        an unknown penalty). Not with `positive`, `groups` or `multitask`.
    callback : callable, optional
        Called at each check point with the current LassoResult; returning True stops.
    history : bool, default: False
        Keep the objective and the gap at each check point in ``result.history``.
    verbose : bool, default: False
        Print, at each check point, the iteration, how many columns have not
        converged, the worst gap and the objective (summed over columns).
    xp : array namespace, optional
        The namespace of `b`; inferred when omitted.

    Returns
    -------
    LassoResult
        ``x``, ``gap`` (relative, per column), ``objective``, ``converged`` and
        ``n_iter`` (per column), and ``history``: arrays of the library of `b`.

    Raises
    ------
    TypeError
        If `A`, `b`, `x0` or an array `lambd` is not an array of a floating dtype, if
        they come from different libraries, or if a flag is not a bool.
    ValueError
        If shapes do not match, if `lambd` is negative, NaN or infinite, if options
        that exclude each other are combined (the message names both), or if `A`,
        `b` or `x0` hold NaN or inf (where their values can be read: inside
        ``jax.jit`` or on Dask the result is NaN and not converged instead).

    Warns
    -----
    ConvergenceWarning
        If a column stops at `max_iter` without converging (the message says how many
        columns and the worst gap), or if `tol` cannot be certified in the dtype.
        Not inside ``jax.jit``, on Dask or with `unroll`: read ``result.converged``.
$tail"""
)

RESTART = """\
    restart : bool, default: True
        Adaptive gradient restart (O'Donoghue and Candes): reset the momentum of a
        column when its step goes against it.
"""

FISTA_TAIL = """
    See Also
    --------
    ista : the same problem without acceleration.
    lambda_max : the smallest `lambd` for which x = 0 is the solution.
    lasso_path : solutions along a decreasing grid of `lambd`, warm-started.
    group_softshrink : the proximal map of the group and multi-task penalties.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import fista, lambda_max
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 100))
    >>> b = A[:, :3] @ np.asarray([1.0, -2.0, 3.0])
    >>> result = fista(A, b, 0.1 * float(lambda_max(A, b)))
    >>> bool(result.converged), np.flatnonzero(np.abs(result.x) > 0.1).tolist()
    (True, [0, 1, 2])

    Groups of coefficients kept or dropped together, and a box constraint by its
    projection:

    >>> labels = np.repeat(np.arange(25), 4)  # 25 groups of 4 coefficients
    >>> grouped = fista(A, b, 0.5 * float(lambda_max(A, b, groups=labels)), groups=labels)
    >>> np.flatnonzero(np.linalg.norm(grouped.x.reshape(25, 4), axis=1)).tolist()
    [0]
    >>> boxed = fista(A, b, 1.0, prox=lambda v, t: np.clip(v, 0.0, 1.0))
    >>> bool(boxed.converged), float(boxed.x.min()) >= 0.0, float(boxed.x.max()) <= 1.0
    (True, True, True)
"""

ISTA_TAIL = """
    See Also
    --------
    fista : the accelerated method, usually much faster.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import ista
    >>> result = ista(np.eye(3), np.asarray([2.0, 0.5, -3.0]), 1.0)  # x = softshrink(b, 1)
    >>> result.x, bool(result.converged)
    (array([ 1.,  0., -2.]), True)
"""

"""JAX's loops for the solvers under ``jax.jit`` and ``jax.grad``, and its stop-gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from arrayshrink._agnostic._loops import Loops

__all__ = ["LOOPS", "stop_gradient"]


def _fori_loop(count: Any, body: Callable[[Any], Any], state: Any) -> Any:
    # With a Python-int count, fori_loop runs as a scan: reverse-mode differentiable.
    return jax.lax.fori_loop(0, count, lambda _, carried: body(carried), state)


LOOPS = Loops(jax.lax.while_loop, _fori_loop, jax.lax.switch)

stop_gradient: Callable[[Any], Any] = jax.lax.stop_gradient

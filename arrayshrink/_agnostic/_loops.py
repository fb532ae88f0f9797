"""Loop primitives of the solvers: Python loops, or a backend's traced loops.

A traced solve (inside ``jax.jit``) cannot branch on values in Python; its driver
runs the same iteration through a backend's ``Loops`` instead (JAX's are in
``arrayshrink._backends._jax_loops``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["PYTHON_LOOPS", "Loops"]


@dataclass(frozen=True)
class Loops:
    """Control flow of a backend: while_loop(cond, body, state), fori_loop(n, body,
    state), with ``body(state) -> state``, and switch(index, branches, operand), which
    runs ``branches[index](operand)``."""

    while_loop: Callable[[Callable[[Any], Any], Callable[[Any], Any], Any], Any]
    fori_loop: Callable[[Any, Callable[[Any], Any], Any], Any]
    switch: Callable[[Any, list[Callable[[Any], Any]], Any], Any]


def _python_while(cond: Callable[[Any], Any], body: Callable[[Any], Any], state: Any) -> Any:
    while bool(cond(state)):
        state = body(state)
    return state


def _python_fori(n: int, body: Callable[[Any], Any], state: Any) -> Any:
    for _ in range(n):
        state = body(state)
    return state


def _python_switch(index: Any, branches: list[Callable[[Any], Any]], operand: Any) -> Any:
    return branches[int(index)](operand)


PYTHON_LOOPS = Loops(_python_while, _python_fori, _python_switch)

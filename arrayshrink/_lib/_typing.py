"""The types of arrayshrink's signatures, defined once.

``ArrayT`` makes a public function generic in the array type: a NumPy array in gives
``numpy.ndarray`` out in a user's type checker, a torch tensor gives ``torch.Tensor``.
No array library publishes a common protocol that every backend satisfies yet, so the
type variable is unbound and ``Array`` (an argument of any library) is ``Any``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, TypeAlias, TypeVar

__all__ = ["Array", "ArrayT", "Namespace"]

Array: TypeAlias = Any
ArrayT = TypeVar("ArrayT")
Namespace: TypeAlias = ModuleType

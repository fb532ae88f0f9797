"""Pure Array API implementations: no validation, no backend imports."""

from arrayshrink._agnostic._formulas import hardshrink, softshrink, tanhshrink
from arrayshrink._agnostic._groups import group_softshrink

__all__ = ["group_softshrink", "hardshrink", "softshrink", "tanhshrink"]

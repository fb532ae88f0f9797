"""Pure Array API implementations: no validation, no backend imports."""

from arrayshrink._agnostic._formulas import hardshrink, softshrink, tanhshrink

__all__ = ["hardshrink", "softshrink", "tanhshrink"]

"""The single import point for :mod:`array_api_compat`.

Every other module of arrayshrink imports the helpers it needs from here, so
that the dependency on ``array_api_compat`` lives in one place.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from array_api_compat import (
    array_namespace,
    device,
    is_array_api_obj,
    is_array_api_strict_namespace,
    is_cupy_array,
    is_cupy_namespace,
    is_dask_array,
    is_dask_namespace,
    is_jax_array,
    is_jax_namespace,
    is_lazy_array,
    is_numpy_array,
    is_numpy_namespace,
    is_torch_array,
    is_torch_namespace,
    size,
)

__all__ = [
    "array_namespace",
    "device",
    "is_array_api_obj",
    "is_array_api_strict_namespace",
    "is_concrete",
    "is_cupy_array",
    "is_cupy_namespace",
    "is_dask_array",
    "is_dask_namespace",
    "is_jax_array",
    "is_jax_namespace",
    "is_lazy_array",
    "is_numpy_array",
    "is_numpy_namespace",
    "is_torch_array",
    "is_torch_namespace",
    "namespace_for",
    "size",
]

# The namespace of an array depends only on its type: resolving it once per type makes
# a call cheaper, and keeps array_api_compat's helpers out of torch.compile's traces.
_NAMESPACES: dict[type, ModuleType] = {}


def namespace_for(a: Any) -> ModuleType | None:
    """The array-API namespace of array ``a``, or None when ``a`` is not an array."""
    kind = type(a)
    cached = _NAMESPACES.get(kind)
    if cached is not None:
        return cached
    xp: ModuleType
    if kind.__module__.partition(".")[0] == "torch" and is_torch_array(a):
        import array_api_compat.torch as xp
    elif is_array_api_obj(a):
        xp = array_namespace(a)
    else:
        return None
    _NAMESPACES[kind] = xp
    return xp


def is_concrete(a: Any) -> bool:
    """Whether the values of array ``a`` can be read now, cheaply and safely.

    False for Dask arrays (reading would compute the graph), JAX tracers (inside
    ``jit``, ``vmap`` or ``grad``), and torch tensors inside ``torch.compile`` or a
    ``torch.func`` transform (reading would break the graph or fail).
    """
    if is_jax_array(a):
        import jax

        return not isinstance(a, jax.core.Tracer)
    if is_torch_array(a):
        import torch

        if torch.compiler.is_compiling():
            return False
        return not torch._C._functorch.is_functorch_wrapped_tensor(a)
    return not is_lazy_array(a)

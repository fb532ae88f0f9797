"""The single import point for :mod:`array_api_compat`.

Every other module of arrayshrink imports the helpers it needs from here, so
that the dependency on ``array_api_compat`` lives in one place.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from array_api_compat import (
    array_namespace,
    device,
    is_array_api_obj,
    is_lazy_array,
    size,
)

__all__ = [
    "array_namespace",
    "backend_name",
    "device",
    "is_array_api_obj",
    "is_concrete",
    "is_lazy_array",
    "namespace_for",
    "size",
]

# The namespace of an array depends only on its type: resolving it once per type makes
# a call cheaper, and keeps array_api_compat's helpers out of torch.compile's traces.
_NAMESPACES: dict[type, ModuleType] = {}


def backend_name(xp: ModuleType) -> str:
    """A short name for namespace ``xp``: "numpy", "torch", "jax", "dask", "cupy"...

    Plain string work, so that it is cheap and traceable by torch.compile (the
    ``is_*_namespace`` helpers of array_api_compat are cached with lru_cache, which
    Dynamo warns about).
    """
    name = xp.__name__.removeprefix("array_api_compat.")
    return {"jax.numpy": "jax", "dask.array": "dask"}.get(name, name)


def namespace_for(a: Any) -> ModuleType | None:
    """The array-API namespace of array ``a``, or None when ``a`` is not an array."""
    kind = type(a)
    cached = _NAMESPACES.get(kind)
    if cached is not None:
        return cached
    xp: ModuleType
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(a, torch.Tensor):
        import array_api_compat.torch as xp
    elif is_array_api_obj(a):
        xp = array_namespace(a)
    else:
        return None
    _NAMESPACES[kind] = xp
    return xp


def is_concrete(a: Any, xp: ModuleType) -> bool:
    """Whether the values of array ``a`` (of namespace ``xp``) can be read now, cheaply.

    False for Dask arrays (reading would compute the graph), JAX tracers (inside
    ``jit``, ``vmap`` or ``grad``), and torch tensors inside ``torch.compile`` or a
    ``torch.func`` transform (reading would break the graph or fail).
    """
    backend = backend_name(xp)
    if backend == "jax":
        import jax

        return not isinstance(a, jax.core.Tracer)
    if backend == "torch":
        import torch

        if torch.compiler.is_compiling():
            return False
        return not torch._C._functorch.is_functorch_wrapped_tensor(a)
    return backend != "dask" and not is_lazy_array(a)

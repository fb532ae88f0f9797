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
    is_cupy_array,
    is_lazy_array,
    is_numpy_array,
    is_writeable_array,
    size,
)

__all__ = [
    "array_namespace",
    "backend_name",
    "device",
    "dtype_category",
    "finfo",
    "is_array_api_obj",
    "is_compiling",
    "is_concrete",
    "is_lazy_array",
    "is_masked_array",
    "is_numpy_array",
    "is_numpy_scalar",
    "is_symbolic_scalar",
    "is_torch_tensor",
    "is_writable_in_place",
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


def is_compiling() -> bool:
    """Whether torch.compile (or another torch tracer) is tracing now; False where
    torch has not been imported."""
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.compiler.is_compiling())


def is_torch_tensor(a: Any) -> bool:
    """Whether ``a`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(a, torch.Tensor)


def is_concrete(a: Any) -> bool:
    """Whether the values of array ``a`` can be read now, cheaply.

    False for Dask arrays (reading would compute the graph), JAX tracers (inside
    ``jit``, ``vmap`` or ``grad``), torch tensors inside ``torch.compile`` or a
    ``torch.func`` transform (reading would break the graph or fail), and torch meta
    tensors (which have no values). The type of ``a`` answers, as for the other array
    checks of this module.
    """
    if is_torch_tensor(a):
        import torch

        if torch.compiler.is_compiling() or a.is_meta:
            return False  # meta tensors have a shape and a dtype but no values
        return not torch._C._functorch.is_functorch_wrapped_tensor(a)
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(a, jax.Array):
        return not isinstance(a, jax.core.Tracer)
    # Dask arrays; array_api_compat counts every JAX array as lazy, hence the above.
    return not is_lazy_array(a)


def is_writable_in_place(a: Any) -> bool:
    """Whether item assignment into ``a`` is cheap and safe: a writeable NumPy or CuPy
    array. Not torch (an in-place write can break autograd), JAX (immutable) or Dask."""
    return (is_numpy_array(a) or is_cupy_array(a)) and is_writeable_array(a)


def is_numpy_scalar(a: Any) -> bool:
    """Whether ``a`` is a NumPy scalar (``np.float64(1.5)``), not a 0-d array."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(a, numpy.generic)


def is_masked_array(a: Any) -> bool:
    """Whether ``a`` is a :mod:`numpy.ma` masked array."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(a, numpy.ma.MaskedArray)


def is_symbolic_scalar(a: Any) -> bool:
    """Whether ``a`` is a torch ``SymFloat`` or ``SymInt`` seen outside Dynamo.

    (Inside a Dynamo trace a symbolic float looks like a ``float``; the validation
    tells the two apart by how comparisons behave, see ``_validation``.)
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(a, torch.SymFloat | torch.SymInt)


def _ml_dtypes_kind(dtype: Any) -> str | None:
    """For an ``ml_dtypes`` dtype in a NumPy array: "real", "complex" or "integral"."""
    kind = getattr(dtype, "type", None)
    if getattr(kind, "__module__", None) != "ml_dtypes":
        return None
    name: str = kind.__name__  # type: ignore[union-attr]
    if name.startswith(("float", "bfloat")):
        return "real"
    if name.startswith(("complex", "bcomplex")):
        return "complex"
    return "integral"


def dtype_category(dtype: Any, xp: ModuleType) -> str:
    """What a dtype is, for validation: one of "real floating", "complex floating",
    "unsupported floating", "integral", "bool" or "other".

    "unsupported floating" is a floating dtype arrayshrink cannot compute in: the 8-,
    6- and 4-bit floats of torch and of ``ml_dtypes``, and complex numbers made of
    16-bit halves (torch's ``complex32``). NumPy arrays of ``ml_dtypes.bfloat16``
    (which ``numpy.isdtype`` does not know) are "real floating".
    """
    ml_kind = _ml_dtypes_kind(dtype)
    if ml_kind is not None:
        if ml_kind == "real":
            return "real floating" if dtype.itemsize == 2 else "unsupported floating"
        return "unsupported floating" if ml_kind == "complex" else "integral"
    try:
        if xp.isdtype(dtype, "real floating"):
            # float8 and smaller (torch.float8_e4m3fn, ...) have no arithmetic to speak of.
            return "real floating" if _itemsize(dtype, xp) >= 2 else "unsupported floating"
        if xp.isdtype(dtype, "complex floating"):
            wide_enough = _itemsize(dtype, xp, parts=2) >= 8
            return "complex floating" if wide_enough else "unsupported floating"
        if xp.isdtype(dtype, "integral"):
            return "integral"
        if xp.isdtype(dtype, "bool"):
            return "bool"
    except (TypeError, ValueError):  # a dtype the namespace does not classify
        pass
    return "other"


def _itemsize(dtype: Any, xp: ModuleType, *, parts: int = 1) -> int:
    """Bytes per element of a floating dtype made of ``parts`` real numbers."""
    itemsize = getattr(dtype, "itemsize", None)  # NumPy, torch, JAX, CuPy dtype objects
    if isinstance(itemsize, int):
        return itemsize
    # array-api-strict dtypes, and scalar types such as np.float32: finfo gives the
    # bits of one real part.
    return parts * int(xp.finfo(dtype).bits) // 8


def finfo(dtype: Any, xp: ModuleType) -> Any:
    """``xp.finfo(dtype)``, also for NumPy arrays of ``ml_dtypes.bfloat16``."""
    if _ml_dtypes_kind(dtype) is not None:
        import ml_dtypes

        return ml_dtypes.finfo(dtype)  # type: ignore[no-untyped-call,unused-ignore]
    return xp.finfo(dtype)

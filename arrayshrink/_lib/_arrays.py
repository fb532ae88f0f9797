"""Validation of array arguments: the library, the kind of array and its dtype.

Every message names the argument, what it got and what was expected. Facts about a
library (its name in messages, whether torch.compile traces it) come from its
profile: ``_backends._profiles`` is plain data that imports only ``_lib``, so reading it
here makes no import cycle and imports no array library. Callers import these checks
from :mod:`arrayshrink._lib._validation`, the one import point of validation.
"""

from __future__ import annotations

import math
import numbers
import types
from typing import Any

from arrayshrink._backends import _profiles
from arrayshrink._lib import _compat
from arrayshrink._lib._typing import Array, Namespace

__all__ = [
    "broadcasts_to",
    "check_array",
    "check_device",
    "check_floating",
    "check_known_shape",
    "check_namespace",
    "check_same_library",
    "is_array",
    "library_name",
    "namespace_of",
    "namespace_or_none",
    "real_dtype",
    "under_torch_compile",
    "unsupported_dtype",
]


def _one_of(names: list[str]) -> str:
    """``["a", "b", "c"]`` as "a, b or c"."""
    return f"{', '.join(names[:-1])} or {names[-1]}"


# The libraries with a profile: "NumPy, array-api-strict, PyTorch, JAX, Dask or CuPy".
_SUPPORTED = _one_of([backend.display for backend in _profiles.PROFILES.values()])


def library_name(xp: Namespace) -> str:
    """The name of the library behind namespace ``xp``, for error messages."""
    return _profiles.profile(xp).display


def under_torch_compile(xp: Namespace | None) -> bool:
    """Whether torch.compile is tracing a call on ``xp``, a library it traces."""
    return (
        xp is not None
        and "torch.compile" in _profiles.profile(xp).tracers
        and _compat.is_compiling()
    )


def namespace_or_none(a: Any) -> Namespace | None:
    """The namespace of ``a`` if it is an array of a supported library (a Python or
    NumPy number, such as np.float32(0.5) or np.bool_(True), is not), else None."""
    if a is None or isinstance(a, numbers.Number) or _compat.is_numpy_scalar(a):
        return None
    return _compat.namespace_for(a)


def is_array(a: Any) -> bool:
    """Whether ``a`` is an array of a supported library (not a Python or NumPy number)."""
    return namespace_or_none(a) is not None


def check_same_library(
    a: Any, a_xp: Namespace, xp: Namespace, func: str, name: str, data_name: str
) -> None:
    """Reject ``a`` (named ``name``, of namespace ``a_xp``) with a TypeError naming both
    libraries where it is not of the library of the data (``data_name``, ``xp``)."""
    if a_xp is not xp:
        raise TypeError(
            f"{func}(): {name} is {_a(library_name(a_xp))} array but {data_name} is "
            f"{_a(library_name(xp))} array; pass both from the same array library."
        )


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def check_device(func: str, name: str, a: Array, data: Array, *, data_name: str) -> None:
    """``a`` on the device of the data, where both devices can be asked (a traced
    array's may not be). The arrays' own ``device`` attribute, not array_api_compat's
    helper, whose caches torch.compile warns about."""
    try:
        device, expected = getattr(a, "device", None), getattr(data, "device", None)
    except Exception:  # a tracer without a device: nothing to compare
        return
    # None: a library without devices, or a traced array (JAX's under jit).
    if device is not None and expected is not None and device != expected:
        raise ValueError(
            f"{func}(): {name} is on device {device} but {data_name} is on {expected}; "
            f"move it to the device of {data_name} first."
        )


def check_namespace(func: str, given: Any, inferred: Namespace, *, data_name: str) -> Namespace:
    """The namespace inferred from the data; an ``xp`` argument (``given``) must name the
    same library (the library's own module, such as ``numpy``, or its array-API one)."""
    if given is not None and (
        not isinstance(given, types.ModuleType)
        or _profiles.profile(given).name != _profiles.profile(inferred).name
    ):
        raise TypeError(
            f"{func}(): xp={given!r} is not the namespace of {data_name}, which is "
            f"{library_name(inferred)}; omit xp to infer it."
        )
    return inferred


def namespace_of(
    x: Any, lambd: Any, func: str, *, name: str = "x", lambd_name: str = "lambd"
) -> Namespace:
    """Infer the array namespace of ``x`` (and check that an array ``lambd`` has it).

    ``x`` that is not an array of a supported library raises a TypeError naming
    ``name``; :func:`check_floating` checks what kind of array it is.
    """
    xp = _compat.namespace_for(x)
    if xp is None:
        raise TypeError(
            f"{func}(): {name} must be an array from {_SUPPORTED}; got {type(x).__name__}. "
            "Convert it first, e.g. with numpy.asarray(x, dtype=float)."
        )
    lambd_xp = namespace_or_none(lambd)
    if lambd_xp is not None:
        check_same_library(lambd, lambd_xp, xp, func, lambd_name, name)
    return xp


def _masked_error(func: str, name: str) -> TypeError:
    return TypeError(
        f"{func}(): {name} is a numpy.ma masked array, whose mask arrayshrink would "
        f"silently drop; call {name}.filled(value) first, with the value that masked "
        "entries should take."
    )


def check_array(a: Array, xp: Namespace, func: str, name: str) -> None:
    """Reject array kinds that arrayshrink does not compute on, naming ``name``:
    NumPy masked arrays, and torch tensors that are sparse or nested."""
    if _compat.is_masked_array(a):
        raise _masked_error(func, name)
    if _compat.is_torch_tensor(a):
        import torch

        if a.is_nested:
            values = f"{name}.values() or to " if a.layout == torch.jagged else ""
            raise TypeError(
                f"{func}(): {name} is a nested tensor (layout {a.layout}); arrayshrink "
                f"takes dense tensors. Apply it to {values}each tensor of {name}.unbind()."
            )
        if a.layout != torch.strided:
            raise TypeError(
                f"{func}(): {name} has the sparse layout {a.layout}; arrayshrink takes "
                f"dense (strided) tensors. Convert it first with {name}.to_dense()."
            )


def check_floating(x: Any, xp: Namespace, func: str, *, name: str = "x") -> bool:
    """Reject inputs that are not of a supported floating dtype (or not dense) with a
    TypeError; return whether ``x`` is complex."""
    check_array(x, xp, func, name)
    category = _compat.dtype_category(x.dtype, xp)
    if category == "complex floating":
        return True
    if category == "real floating":
        return False
    if category == "unsupported floating":
        raise unsupported_dtype(func, name, x.dtype)
    raise TypeError(
        f"{func}(): {name} must have a real or complex floating dtype; got {x.dtype}. "
        f"Convert it first, e.g. xp.astype({name}, xp.float64)."
    )


def unsupported_dtype(func: str, name: str, dtype: Any) -> TypeError:
    """The TypeError for a floating dtype arrayshrink cannot compute in, naming ``name``."""
    return TypeError(
        f"{func}(): {name} has the dtype {dtype}, which arrayshrink does not compute in "
        "(floats of 8 bits or fewer, and complex numbers made of 16-bit halves). "
        f"Convert it first, e.g. xp.astype({name}, xp.float32)."
    )


def real_dtype(dtype: Any, xp: Namespace) -> Any:
    """The real floating dtype of the same precision as ``dtype``."""
    if _compat.dtype_category(dtype, xp) == "complex floating":
        return xp.float32 if dtype == xp.complex64 else xp.float64
    return dtype


def _unknown(size: Any) -> bool:
    """A dimension whose size is not known yet: None (array API) or NaN (Dask)."""
    return size is None or (isinstance(size, float) and math.isnan(size))


def broadcasts_to(shape: tuple[Any, ...], target: tuple[Any, ...]) -> bool:
    """Whether an array of ``shape`` broadcasts to ``target`` without changing it.

    Dimensions of unknown size (Dask's NaN after boolean indexing, the standard's
    None) are taken to match; a mismatch there surfaces when the data is computed.
    """
    if len(shape) > len(target):
        return False
    return all(
        m == 1 or m == n or _unknown(m) or _unknown(n)
        for m, n in zip(shape, target[len(target) - len(shape) :], strict=True)
    )


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy's broadcast of two shapes, or None where they do not broadcast."""
    shape = []
    for i in range(1, max(len(a), len(b)) + 1):
        m = a[-i] if i <= len(a) else 1
        n = b[-i] if i <= len(b) else 1
        if m != n and 1 not in (m, n):
            return None
        shape.append(n if m == 1 else m)
    return tuple(reversed(shape))


def check_known_shape(func: str, name: str, a: Array) -> None:
    """Sizes that are known: a Dask array after boolean indexing has NaN sizes."""
    if any(_unknown(size) for size in a.shape):
        raise ValueError(
            f"{func}(): {name} has unknown sizes, shape {tuple(a.shape)} (a Dask array "
            f"after boolean indexing); call {name}.compute_chunk_sizes() first."
        )

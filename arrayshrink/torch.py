"""torch.nn layers of arrayshrink's shrinkage rules, with learnable thresholds.

``import arrayshrink.torch`` (it imports torch; ``import arrayshrink`` does not). The
layers go into ``torch.nn.Sequential``, move with ``.to()``, save with ``state_dict``
and compile with ``torch.compile(fullgraph=True)``.

A fixed threshold is a constructor argument, not a parameter (as in
:class:`torch.nn.Softshrink`). With ``learnable=True`` the threshold is an
``nn.Parameter``: the layer stores ``raw`` and uses λ = softplus(raw), which keeps λ > 0
through every optimizer step (its derivative never vanishes, unlike a clamp at 0); the
initial λ must then be > 0. ``num_parameters=C`` gives one threshold per channel, the
dimension 1 of an input of shape (N, C, ...) (the last one of an (N, C) input), as
:class:`torch.nn.PReLU` does.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

import arrayshrink
from arrayshrink._agnostic import _rules
from arrayshrink._lib import _compat, _validation

__all__ = ["AsymmetricSoftshrink", "GroupSoftshrink", "Hardshrink", "Softshrink", "Tanhshrink"]


def _inverse_softplus(value: float) -> float:
    """raw with softplus(raw) = value > 0 (stable for large and small values)."""
    return value + math.log(-math.expm1(-value))


def _checked(name: str, what: str, value: Any, *, positive: bool) -> float:
    """A finite threshold >= 0 (> 0 when learnable), named in the error."""
    number, _ = _validation.check_threshold(value, name, xp=None, dtype=None, name=what)
    if _validation.is_array(number):
        raise TypeError(f"{name}: {what} must be a real number; got an array.")
    if positive and not float(number) > 0:
        raise ValueError(
            f"{name}: a learnable {what} must start > 0 (it is softplus(raw), never 0); "
            f"got {value!r}."
        )
    return float(number)


def _count(name: str, num_parameters: Any) -> int:
    if isinstance(num_parameters, bool) or not isinstance(num_parameters, int):
        raise TypeError(f"{name}: num_parameters must be an int; got {num_parameters!r}.")
    if num_parameters < 1:
        raise ValueError(f"{name}: num_parameters must be >= 1; got {num_parameters}.")
    return num_parameters


class _Threshold:
    """The threshold λ of a layer: a float (fixed), the buffer ``lambd_values`` (fixed,
    one per channel) or softplus of the parameter ``raw_lambd`` (learnable), held by
    the layer itself so that its repr and state_dict show only what it holds."""

    def _init_threshold(self, value: float, *, learnable: bool, num_parameters: int) -> None:
        module: Any = self
        module.learnable = learnable
        module.num_parameters = num_parameters
        module.fixed = None
        full = torch.full((num_parameters,), value, dtype=torch.get_default_dtype())
        if learnable:
            module.raw_lambd = nn.Parameter(torch.full_like(full, _inverse_softplus(value)))
        elif num_parameters > 1:
            module.register_buffer("lambd_values", full)
        else:
            module.fixed = value

    def _values(self) -> torch.Tensor:
        module: Any = self
        if module.learnable:
            return nn.functional.softplus(module.raw_lambd)
        return module.lambd_values

    def _threshold_for(self, x: torch.Tensor) -> float | torch.Tensor:
        """λ for input x: a float, or a tensor broadcasting along x's channel dimension."""
        module: Any = self
        if module.fixed is not None:
            return float(module.fixed)
        shape = _channel_shape(x, module.num_parameters)
        return self._values().to(dtype=_real_dtype(x)).reshape(shape)

    @property
    def lambd(self) -> float | torch.Tensor:
        """The current threshold (a float, or a tensor per channel), without gradient."""
        module: Any = self
        if module.fixed is not None:
            return float(module.fixed)
        with torch.no_grad():
            values = self._values().detach()
        return float(values[0]) if module.num_parameters == 1 else values.clone()

    def _describe(self) -> str:
        module: Any = self
        return _described(f"lambd={_shown(self.lambd)}", module.learnable, module.num_parameters)


def _described(thresholds: str, learnable: bool, num_parameters: int) -> str:
    """A layer's extra_repr: its thresholds, then the options not at their default."""
    parts = [thresholds]
    if learnable:
        parts.append("learnable=True")
    if num_parameters > 1:
        parts.append(f"num_parameters={num_parameters}")
    return ", ".join(parts)


def _shown(value: float | torch.Tensor) -> str:
    """A threshold for a repr: the number, or the range of a tensor's values."""
    if isinstance(value, float):
        return f"{value:g}"
    low, high = float(value.min()), float(value.max())
    return f"{low:g}" if low == high else f"{low:g}..{high:g}"


def _real_dtype(x: torch.Tensor) -> torch.dtype:
    return x.real.dtype if x.is_complex() else x.dtype


class Softshrink(_Threshold, nn.Module):
    """:func:`arrayshrink.softshrink` as a layer, like :class:`torch.nn.Softshrink`,
    with a learnable threshold.

    Parameters
    ----------
    lambd : float, default: 0.5
        The threshold (the initial one when learnable), >= 0 (> 0 when learnable).
    learnable : bool, default: False
        Make λ learnable: the parameter ``raw_lambd``, with λ = softplus(raw_lambd) > 0
        (see the module).
    num_parameters : int, default: 1
        One threshold for the whole input, or one per channel (dimension 1).

    Examples
    --------
    >>> import torch
    >>> from arrayshrink.torch import Softshrink
    >>> layer = Softshrink(0.5, learnable=True)
    >>> layer
    Softshrink(lambd=0.5, learnable=True)
    >>> [name for name, _ in layer.named_parameters()]
    ['raw_lambd']
    """

    _function = staticmethod(arrayshrink.softshrink)

    def __init__(
        self, lambd: float = 0.5, *, learnable: bool = False, num_parameters: int = 1
    ) -> None:
        nn.Module.__init__(self)
        name = type(self).__name__
        _validation_flag(name, learnable)
        value = _checked(name, "lambd", lambd, positive=learnable)
        count = _count(name, num_parameters)
        self._init_threshold(value, learnable=learnable, num_parameters=count)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return type(self)._function(x, self._threshold_for(x))

    def extra_repr(self) -> str:
        return self._describe()


class Hardshrink(Softshrink):
    """:func:`arrayshrink.hardshrink` as a layer, like :class:`torch.nn.Hardshrink`;
    parameters as for :class:`Softshrink`. A learnable threshold receives no gradient
    from hardshrink itself (its derivative in λ is 0 almost everywhere): use it with a
    loss that depends on λ, or prefer :class:`Softshrink`."""

    _function = staticmethod(arrayshrink.hardshrink)


class GroupSoftshrink(Softshrink):
    """:func:`arrayshrink.group_softshrink` as a layer: block soft-thresholding of the
    groups along `axis`; parameters as for :class:`Softshrink`, and

    Parameters
    ----------
    axis : int or tuple of ints, default: -1
        The axes that make up a group (they must not include the channel dimension 1
        when ``num_parameters > 1``).
    """

    def __init__(
        self,
        lambd: float = 0.5,
        *,
        axis: int | tuple[int, ...] = -1,
        learnable: bool = False,
        num_parameters: int = 1,
    ) -> None:
        super().__init__(lambd, learnable=learnable, num_parameters=num_parameters)
        axes = axis if isinstance(axis, tuple) else (axis,)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise TypeError(
                f"GroupSoftshrink: axis must be an int or a tuple of ints; got {axis!r}."
            )
        self.axis = axis

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return arrayshrink.group_softshrink(x, self._threshold_for(x), axis=self.axis)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, axis={self.axis!r}"


class Tanhshrink(nn.Module):
    """:func:`arrayshrink.tanhshrink` as a layer, like :class:`torch.nn.Tanhshrink`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return arrayshrink.tanhshrink(x)


class AsymmetricSoftshrink(nn.Module):
    """:func:`arrayshrink.asymmetric_softshrink` as a layer, with learnable bounds.

    Parameters
    ----------
    lower, upper : float, default: -0.5, 0.5
        The bounds of the dead zone, finite, lower <= upper (the initial ones when
        learnable, then lower < upper).
    learnable : bool, default: False
        Learn the bounds as a centre c (free) and a half-width h = softplus(raw) > 0:
        lower = c - h and upper = c + h, so that lower < upper after every step.
    num_parameters : int, default: 1
        One pair of bounds, or one per channel (dimension 1).

    Examples
    --------
    >>> import torch
    >>> from arrayshrink.torch import AsymmetricSoftshrink
    >>> AsymmetricSoftshrink(-1.0, 0.5)(torch.tensor([-2.0, 0.0, 1.5]))
    tensor([-1.,  0.,  1.])
    """

    def __init__(
        self,
        lower: float = -0.5,
        upper: float = 0.5,
        *,
        learnable: bool = False,
        num_parameters: int = 1,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _validation_flag(name, learnable)
        low, high = _bound(name, "lower", lower), _bound(name, "upper", upper)
        if low > high or (learnable and not low < high):
            raise ValueError(
                f"{name}: lower must be {'<' if learnable else '<='} upper; got "
                f"lower={lower!r}, upper={upper!r}."
            )
        self.learnable = learnable
        self.num_parameters = _count(name, num_parameters)
        self.fixed: tuple[float, float] | None = None

        def full(value: float) -> torch.Tensor:
            return torch.full((self.num_parameters,), value, dtype=torch.get_default_dtype())

        if learnable:
            self.centre = nn.Parameter(full((low + high) / 2))
            self.raw_width = nn.Parameter(full(_inverse_softplus((high - low) / 2)))
        elif self.num_parameters > 1:
            self.register_buffer("lower", full(low))
            self.register_buffer("upper", full(high))
        else:
            self.fixed = (low, high)

    def bounds(self) -> tuple[Any, Any]:
        """(lower, upper): floats, or tensors of one value per channel."""
        if self.fixed is not None:
            return self.fixed
        if self.learnable:
            width = nn.functional.softplus(self.raw_width)
            return self.centre - width, self.centre + width
        return self.lower, self.upper

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lower, upper = self.bounds()
        if isinstance(lower, float):
            return arrayshrink.asymmetric_softshrink(x, lower, upper)
        if x.is_complex():
            raise TypeError(f"{type(self).__name__}: x must be real; got {x.dtype}.")
        shape = _channel_shape(x, self.num_parameters)
        lower, upper = (v.to(dtype=x.dtype).reshape(shape) for v in (lower, upper))
        xp: Any = _compat.namespace_for(x)
        return _rules.asymmetric_softshrink(x, lower, upper, xp=xp)

    def extra_repr(self) -> str:
        with torch.no_grad():
            lower, upper = self.bounds()
        shown = f"lower={_shown(lower)}, upper={_shown(upper)}"
        return _described(shown, self.learnable, self.num_parameters)


def _channel_shape(x: torch.Tensor, count: int) -> tuple[int, ...]:
    """The shape of per-channel values against x: () for one, (C, 1, ...) for C."""
    if count == 1:
        return ()
    if x.ndim < 2 or x.shape[1] != count:
        raise ValueError(
            f"{count} thresholds need an input whose dimension 1 has that size "
            f"(channels); got shape {tuple(x.shape)}."
        )
    rest: tuple[int, ...] = (1,) * (int(x.ndim) - 2)
    return (count, *rest)


def _bound(name: str, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name}: {what} must be a real number; got {type(value).__name__}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}: {what} must be finite; got {value!r}.")
    return number


def _validation_flag(name: str, learnable: Any) -> None:
    if not isinstance(learnable, bool):
        raise TypeError(f"{name}: learnable must be True or False; got {learnable!r}.")

"""Callable classes mirroring torch.nn.Softshrink, Hardshrink and Tanhshrink, and
GroupSoftshrink."""

from __future__ import annotations

from typing import Any

from arrayshrink import _shrink
from arrayshrink._lib import _validation
from arrayshrink._lib._typing import Array, ArrayT

__all__ = ["GroupSoftshrink", "Hardshrink", "Softshrink", "Tanhshrink"]


def _checked_lambd(cls_name: str, lambd: Any) -> float | Array:
    """Reject a bad threshold when the object is built, not at its first call.

    The dtype of the input is not known yet: any finite value >= 0 passes here, and
    the bound of the input's dtype is checked at each call.
    """
    value, _ = _validation.check_threshold(lambd, cls_name, xp=None, dtype=None)
    # A number is kept as a float; an array as given (it may be learnable), its
    # entries that cannot be read now (Dask, traced) checked at each call.
    return lambd if _validation.is_array(lambd) else value


class _Thresholding:
    """Shared behaviour of the classes that carry a threshold ``lambd``."""

    __slots__ = ("_lambd",)
    _function: Any

    def __init__(self, lambd: float | Array = 0.5) -> None:
        self._lambd = _checked_lambd(type(self).__name__, lambd)

    @property
    def lambd(self) -> float | Array:
        """The threshold, as given (a float, or the array itself)."""
        return self._lambd

    def __call__(self, x: ArrayT) -> ArrayT:
        out: ArrayT = type(self)._function(x, self._lambd)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lambd={self._lambd!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Thresholding)
        if isinstance(self._lambd, float) and isinstance(other._lambd, float):
            return self._lambd == other._lambd
        # Array thresholds (possibly learnable) compare by identity.
        return self._lambd is other._lambd

    def __hash__(self) -> int:
        if isinstance(self._lambd, float):
            return hash((type(self), self._lambd))
        return hash((type(self), id(self._lambd)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), (self._lambd,)


class Softshrink(_Thresholding):
    """Soft-thresholding as a callable object, like :class:`torch.nn.Softshrink`.

    Parameters
    ----------
    lambd : float or array, default: 0.5
        The threshold, checked when the object is built by the same validator as
        :func:`~arrayshrink.softshrink`: a negative, NaN or infinite value (or array
        entry, a 0-d array included) raises :class:`ValueError` here, not at the first
        call; a bool, a string, an array of an integer dtype or a masked array raises
        :class:`TypeError` (a Python or NumPy integer is a valid number).
        Whether it fits the dtype of the input is checked at each call, as are the
        entries of an array that cannot be read now (Dask, traced).

    Raises
    ------
    TypeError, ValueError
        As described for `lambd`; the message names the class.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import Softshrink
    >>> shrink = Softshrink(lambd=1.0)
    >>> shrink
    Softshrink(lambd=1.0)
    >>> shrink(np.asarray([-3.0, 0.5, 2.0]))
    array([-2.,  0.,  1.])
    """

    __slots__ = ()
    _function = staticmethod(_shrink.softshrink)


class Hardshrink(_Thresholding):
    """Hard-thresholding as a callable object, like :class:`torch.nn.Hardshrink`.

    Parameters
    ----------
    lambd : float or array, default: 0.5
        The threshold, checked when the object is built, as for :class:`Softshrink`.

    Raises
    ------
    TypeError, ValueError
        As for :class:`Softshrink`.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import Hardshrink
    >>> Hardshrink(1.0)(np.asarray([-3.0, 0.5, 2.0]))
    array([-3.,  0.,  2.])
    """

    __slots__ = ()
    _function = staticmethod(_shrink.hardshrink)


class Tanhshrink:
    """Tanh-shrinkage as a callable object, like :class:`torch.nn.Tanhshrink`.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import Tanhshrink
    >>> Tanhshrink()(np.asarray([0.0]))
    array([0.])
    """

    __slots__ = ()

    def __call__(self, x: ArrayT) -> ArrayT:
        return _shrink.tanhshrink(x)

    def __repr__(self) -> str:
        return "Tanhshrink()"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return True

    def __hash__(self) -> int:
        return hash(type(self))


class GroupSoftshrink(_Thresholding):
    """Group soft-thresholding as a callable object (see
    :func:`~arrayshrink.group_softshrink`).

    Parameters
    ----------
    lambd : float or array, default: 0.5
        The threshold, checked when the object is built, as for :class:`Softshrink`.
    axis : int or tuple of ints, default: -1
        The axes that make up a group; checked against the input at each call.

    Raises
    ------
    TypeError, ValueError
        As for :class:`Softshrink`; TypeError if `axis` is not an int or a tuple of
        ints.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import GroupSoftshrink
    >>> shrink = GroupSoftshrink(1.0, axis=-1)
    >>> shrink
    GroupSoftshrink(lambd=1.0, axis=-1)
    >>> shrink(np.asarray([[3.0, 4.0], [0.3, 0.4]]))
    array([[2.4, 3.2],
           [0. , 0. ]])
    """

    __slots__ = ("_axis",)

    def __init__(self, lambd: float | Array = 0.5, axis: int | tuple[int, ...] = -1) -> None:
        super().__init__(lambd)
        axes = axis if isinstance(axis, tuple) else (axis,)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise TypeError(
                f"GroupSoftshrink: axis must be an int or a tuple of ints; got {axis!r}."
            )
        self._axis = axis

    @property
    def axis(self) -> int | tuple[int, ...]:
        """The axes that make up a group."""
        return self._axis

    def __call__(self, x: ArrayT) -> ArrayT:
        return _shrink.group_softshrink(x, self._lambd, axis=self._axis)

    def __repr__(self) -> str:
        return f"GroupSoftshrink(lambd={self._lambd!r}, axis={self._axis!r})"

    def __eq__(self, other: object) -> bool:
        equal = super().__eq__(other)
        if equal is NotImplemented or not equal:
            return equal
        assert isinstance(other, GroupSoftshrink)
        return self._axis == other._axis

    def __hash__(self) -> int:
        return hash((super().__hash__(), self._axis))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), (self._lambd, self._axis)

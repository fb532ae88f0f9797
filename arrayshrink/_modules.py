"""Callable classes mirroring torch.nn.Softshrink, Hardshrink and Tanhshrink, and
GroupSoftshrink; Threshold, ThresholdFirm and AsymmetricSoftshrink for the rules of
PyWavelets and TensorFlow Addons."""

from __future__ import annotations

import math
import numbers
from typing import Any

from arrayshrink import _rules, _shrink
from arrayshrink._lib import _validation
from arrayshrink._lib._typing import Array, ArrayT

__all__ = [
    "AsymmetricSoftshrink",
    "GroupSoftshrink",
    "Hardshrink",
    "Softshrink",
    "Tanhshrink",
    "Threshold",
    "ThresholdFirm",
]


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


def _real(cls_name: str, name: str, value: Any, *, infinite: bool = False) -> float:
    """A real number (not a bool), not NaN, finite unless ``infinite``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls_name}: {name} must be a real number; got {type(value).__name__}.")
    given: Any = value
    try:
        number = float(given)
    except OverflowError:  # 10**400: beyond every float
        number = math.inf if given > 0 else -math.inf
    if math.isnan(number) or (not infinite and math.isinf(number)):
        raise ValueError(f"{cls_name}: {name} must be finite; got {value!r:.40}.")
    return number


def _parameter(index: int, doc: str) -> Any:
    return property(lambda self: self._params[index], doc=doc)


class _Rule:
    """Shared behaviour of the rule classes: parameters checked when the object is
    built (the dtype of the input is checked at each call), equality and hashing by
    value (array thresholds by identity), pickling."""

    __slots__ = ("_params",)
    _names: tuple[str, ...] = ()
    _params: tuple[Any, ...]

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(self._names, self._params, strict=True))
        return f"{type(self).__name__}({shown})"

    def _key(self) -> tuple[Any, ...]:
        return tuple(id(v) if _validation.is_array(v) else v for v in self._params)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Rule)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), self._params


class Threshold(_Rule):
    """PyWavelets' thresholding as a callable object (see
    :func:`~arrayshrink.threshold`).

    Parameters
    ----------
    value : float or array
        The threshold, checked when the object is built (>= 0 for "soft", "hard" and
        "garrote", any finite number for "greater" and "less"); its fit to the input's
        dtype is checked at each call.
    mode : {"soft", "hard", "garrote", "greater", "less"}, default: "soft"
    substitute : float or complex, default: 0

    Raises
    ------
    TypeError, ValueError
        As :func:`~arrayshrink.threshold` for these arguments; the message names the
        class.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import Threshold
    >>> rule = Threshold(2.0, "hard")
    >>> rule
    Threshold(value=2.0, mode='hard', substitute=0)
    >>> rule(np.asarray([1.0, 2.0, 3.0]))
    array([0., 2., 3.])
    """

    __slots__ = ()
    _names = ("value", "mode", "substitute")
    value = _parameter(0, "The threshold, as given.")
    mode = _parameter(1, "The rule's name.")
    substitute = _parameter(2, "The value of removed entries.")

    def __init__(self, value: float | Array, mode: str = "soft", substitute: Any = 0) -> None:
        name = type(self).__name__
        mode = _rules._mode(name, mode)
        if mode in ("greater", "less"):
            value = _real(name, "value", value)
        else:
            checked, _ = _validation.check_threshold(value, name, xp=None, dtype=None, name="value")
            value = value if _validation.is_array(value) else checked
        if isinstance(substitute, bool) or not isinstance(substitute, numbers.Number):
            raise TypeError(
                f"{name}: substitute must be a number; got {type(substitute).__name__}."
            )
        self._params = (value, mode, substitute)

    def __call__(self, x: ArrayT) -> ArrayT:
        return _rules.threshold(x, *self._params)


class ThresholdFirm(_Rule):
    """Firm thresholding as a callable object (see
    :func:`~arrayshrink.threshold_firm`).

    Parameters
    ----------
    value_low, value_high : float
        The thresholds, 0 <= value_low <= value_high (value_high may be inf),
        checked when the object is built.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import ThresholdFirm
    >>> ThresholdFirm(1.0, 3.0)(np.asarray([0.5, 2.5, 4.0]))
    array([0.  , 2.25, 4.  ])
    """

    __slots__ = ()
    _names = ("value_low", "value_high")
    value_low = _parameter(0, "Entries of modulus up to it become 0.")
    value_high = _parameter(1, "Entries of modulus above it are kept.")

    def __init__(self, value_low: float, value_high: float) -> None:
        name = type(self).__name__
        low = _real(name, "value_low", value_low)
        high = _real(name, "value_high", value_high, infinite=True)
        if low < 0 or high < low:
            raise ValueError(
                f"{name}: needs 0 <= value_low <= value_high; got value_low={value_low!r}, "
                f"value_high={value_high!r}."
            )
        self._params = (low, high)

    def __call__(self, x: ArrayT) -> ArrayT:
        return _rules.threshold_firm(x, *self._params)


class AsymmetricSoftshrink(_Rule):
    """Asymmetric soft-thresholding as a callable object (see
    :func:`~arrayshrink.asymmetric_softshrink`).

    Parameters
    ----------
    lower, upper : float, default: -0.5, 0.5
        The bounds of the dead zone, finite, lower <= upper, checked when the object is
        built.

    Examples
    --------
    >>> import numpy as np
    >>> from arrayshrink import AsymmetricSoftshrink
    >>> AsymmetricSoftshrink(-1.0, 0.5)(np.asarray([-2.0, 0.0, 1.5]))
    array([-1.,  0.,  1.])
    """

    __slots__ = ()
    _names = ("lower", "upper")
    lower = _parameter(0, "The lower bound of the dead zone.")
    upper = _parameter(1, "The upper bound of the dead zone.")

    def __init__(self, lower: float = -0.5, upper: float = 0.5) -> None:
        name = type(self).__name__
        low, high = _real(name, "lower", lower), _real(name, "upper", upper)
        if low > high:
            raise ValueError(
                f"{name}: lower must be <= upper; got lower={lower!r}, upper={upper!r}."
            )
        self._params = (low, high)

    def __call__(self, x: ArrayT) -> ArrayT:
        return _rules.asymmetric_softshrink(x, *self._params)

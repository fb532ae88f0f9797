"""The callable classes Softshrink, Hardshrink and Tanhshrink."""

from __future__ import annotations

import copy
import math
import pickle
from types import ModuleType

import numpy as np
import pytest
from _support import soft_reference, to_numpy
from array_api_compat import is_dask_namespace

from arrayshrink import Hardshrink, Softshrink, Tanhshrink, hardshrink, softshrink, tanhshrink


def test_call_matches_functions(xp: ModuleType) -> None:
    x = xp.asarray([-2.0, -0.3, 0.0, 0.7, 3.0])
    np.testing.assert_array_equal(to_numpy(Softshrink(0.5)(x)), to_numpy(softshrink(x, 0.5)))
    np.testing.assert_array_equal(to_numpy(Hardshrink(0.5)(x)), to_numpy(hardshrink(x, 0.5)))
    np.testing.assert_array_equal(to_numpy(Tanhshrink()(x)), to_numpy(tanhshrink(x)))
    np.testing.assert_array_equal(to_numpy(Softshrink()(x)), soft_reference(to_numpy(x), 0.5))


def test_repr_shows_lambd() -> None:
    assert repr(Softshrink()) == "Softshrink(lambd=0.5)"
    assert repr(Hardshrink(lambd=2)) == "Hardshrink(lambd=2.0)"
    assert repr(Tanhshrink()) == "Tanhshrink()"
    assert eval(repr(Softshrink(0.25))) == Softshrink(0.25)


def test_equality_and_hash() -> None:
    assert Softshrink(0.5) == Softshrink(0.5)
    assert Softshrink(0.5) != Softshrink(0.25)
    assert Softshrink(0.5) != Hardshrink(0.5)
    assert Tanhshrink() == Tanhshrink()
    assert len({Softshrink(0.5), Softshrink(0.5), Hardshrink(0.5), Tanhshrink()}) == 3
    lam = np.asarray([0.1, 0.2])
    assert Softshrink(lam) == Softshrink(lam)
    assert Softshrink(lam) != Softshrink(lam.copy())  # array thresholds: identity


@pytest.mark.parametrize("obj", [Softshrink(0.3), Hardshrink(1.5), Tanhshrink()])
def test_pickle_and_copy_round_trip(obj: object) -> None:
    for clone in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj)):
        assert clone == obj
        assert type(clone) is type(obj)
    x = np.asarray([-1.0, 0.2, 2.0])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(obj))(x), obj(x))  # type: ignore[operator]


def test_pickled_array_threshold() -> None:
    shrink = Softshrink(np.asarray([0.1, 1.0]))
    clone = pickle.loads(pickle.dumps(shrink))
    x = np.asarray([0.5, 0.5])
    np.testing.assert_array_equal(clone(x), shrink(x))


@pytest.mark.parametrize("cls", [Softshrink, Hardshrink])
@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, -math.inf, -1e-300])
def test_bad_threshold_rejected_at_construction(cls: type, bad: float) -> None:
    with pytest.raises(
        ValueError, match=rf"{cls.__name__}\(\): lambd must be a finite number >= 0; got {bad!r}\.$"
    ):
        cls(bad)


@pytest.mark.parametrize("cls", [Softshrink, Hardshrink])
def test_huge_integer_threshold_is_a_value_error(cls: type) -> None:
    with pytest.raises(
        ValueError, match=r"lambd must be a finite number >= 0; got 1\.000000e\+400"
    ):
        cls(10**400)


@pytest.mark.parametrize("cls", [Softshrink, Hardshrink])
@pytest.mark.parametrize("bad", ["0.5", None, True, 1j])
def test_bad_threshold_type_rejected_at_construction(cls: type, bad: object) -> None:
    with pytest.raises(
        TypeError, match=rf"{cls.__name__}\(\): lambd must be a real number or an array"
    ):
        cls(bad)


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ([0.5, -1.0], r"1 invalid entry, e\.g\. -1\.0"),
        ([math.inf], r"1 invalid entry, e\.g\. inf"),
        ([math.nan, math.nan], r"2 invalid entries, all NaN"),
    ],
)
def test_bad_array_threshold_rejected_at_construction(
    xp: ModuleType, values: list[float], found: str
) -> None:
    with pytest.raises(TypeError, match=r"an array lambd must have a real floating dtype"):
        Softshrink(xp.asarray([1, 2]))
    if is_dask_namespace(xp):
        # The values of a Dask array are not read: they are flagged at call time.
        shrink = Softshrink(xp.asarray(values))
        assert np.all(np.isnan(to_numpy(shrink(xp.ones(len(values))))[np.asarray(values) != 0.5]))
        return
    with pytest.raises(
        ValueError,
        match=rf"Softshrink\(\): lambd must be finite and >= 0 everywhere; got {found}\.$",
    ):
        Softshrink(xp.asarray(values))


def test_infinite_0d_array_threshold_rejected_at_construction() -> None:
    """The construction check and the call check are the same validator: an infinite
    0-d array is rejected here, as it would be at the first call."""
    for cls in (Softshrink, Hardshrink):
        with pytest.raises(ValueError, match=r"lambd must be finite and >= 0 everywhere"):
            cls(np.asarray(np.inf))
        with pytest.raises(ValueError, match=r"lambd must be finite and >= 0 everywhere"):
            cls(np.asarray(np.inf, dtype=np.float32))


def test_masked_array_threshold_rejected_at_construction() -> None:
    masked = np.ma.masked_array([0.5, -1.0], mask=[False, True])
    with pytest.raises(
        TypeError, match=r"Softshrink\(\): lambd is a numpy\.ma masked array.*\.filled"
    ):
        Softshrink(masked)


def test_numpy_scalar_threshold_kept_as_float() -> None:
    shrink = Softshrink(np.float32(0.5))
    assert type(shrink.lambd) is float
    assert shrink.lambd == 0.5
    assert Softshrink(np.float64(0.25)) == Softshrink(0.25)


def test_threshold_is_read_only() -> None:
    shrink = Softshrink(0.5)
    with pytest.raises(AttributeError):
        shrink.lambd = 1.0  # type: ignore[misc]


def test_dtype_bound_checked_at_call() -> None:
    shrink = Softshrink(1e6)
    with pytest.raises(ValueError, match=r"\[0, 65504\] for input dtype float16"):
        shrink(np.zeros(2, dtype=np.float16))


def test_usable_as_pipeline_step() -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    rng = np.random.default_rng(0)
    data = rng.standard_normal((20, 3)) * 5 + 1
    pipeline = make_pipeline(StandardScaler(), FunctionTransformer(Softshrink(0.5)))
    out = pipeline.fit_transform(data)
    scaled = StandardScaler().fit_transform(data)
    np.testing.assert_allclose(out, soft_reference(scaled, 0.5))


def test_usable_with_map() -> None:
    batches = [np.asarray([-1.0, 2.0]), np.asarray([0.1])]
    outs = list(map(Hardshrink(0.5), batches))
    np.testing.assert_array_equal(outs[0], [-1.0, 2.0])
    np.testing.assert_array_equal(outs[1], [0.0])

"""``python -m arrayshrink``: check every installed backend against NumPy float64."""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.metadata
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import arrayshrink

__all__ = ["LAMBD", "SAMPLE", "Backend", "Unusable", "installed_backends", "main"]

LAMBD = 0.5
SAMPLE = [-3.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 2.0, math.inf, -math.inf, math.nan]


class Unusable(Exception):
    """A backend that is installed but cannot run here; the message says why."""


@dataclass(frozen=True)
class Backend:
    """One array library on one device, with a way to build and read arrays there."""

    name: str
    version: str
    device: str
    to_backend: Callable[[Any], Any]
    to_numpy: Callable[[Any], Any]


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _numpy_backends(np: Any) -> Iterator[Backend]:
    yield Backend("numpy", np.__version__, "cpu", lambda a: a, np.asarray)


def _strict_backends(np: Any) -> Iterator[Backend]:
    strict = importlib.import_module("array_api_strict")
    yield Backend(
        "array_api_strict",
        _version("array-api-strict"),
        "CPU_DEVICE",
        strict.asarray,
        lambda a: np.asarray(a),
    )


def _torch_backends(np: Any) -> Iterator[Backend]:
    torch = importlib.import_module("torch")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        yield Backend(
            "torch",
            torch.__version__,
            device,
            functools.partial(torch.asarray, device=device),
            lambda t: t.detach().cpu().numpy(),
        )


def _jax_backends(np: Any) -> Iterator[Backend]:
    jax = importlib.import_module("jax")
    for device in jax.devices():
        yield Backend(
            "jax",
            jax.__version__,
            str(device),
            functools.partial(jax.device_put, device=device),
            np.asarray,
        )


def _dask_backends(np: Any) -> Iterator[Backend]:
    da = importlib.import_module("dask.array")
    yield Backend(
        "dask",
        _version("dask"),
        "cpu",
        lambda a: da.from_array(a, chunks=5),
        lambda a: np.asarray(a.compute()),
    )


def _cupy_backends(np: Any) -> Iterator[Backend]:
    cupy = importlib.import_module("cupy")
    if not cupy.is_available():
        raise Unusable(f"cupy {cupy.__version__} is installed, but no CUDA GPU is usable")
    yield Backend("cupy", cupy.__version__, "cuda:0", cupy.asarray, cupy.asnumpy)


_DISCOVERY = {
    "numpy": _numpy_backends,
    "array_api_strict": _strict_backends,
    "torch": _torch_backends,
    "jax": _jax_backends,
    "dask": _dask_backends,
    "cupy": _cupy_backends,
}


def installed_backends(np: Any, unusable: list[str] | None = None) -> list[Backend]:
    """Every backend that imports here, on each device it can use; those installed but
    unusable here (CuPy without a GPU) are described in ``unusable``."""
    found: list[Backend] = []
    for discover in _DISCOVERY.values():
        try:
            found.extend(discover(np))
        except Unusable as reason:
            if unusable is not None:
                unusable.append(str(reason))
        except Exception:  # not installed, or broken: not a backend of this machine
            continue
    return found


def _references(np: Any) -> dict[str, Any]:
    """float64 results straight from the definitions, independent of the library."""
    x = np.asarray(SAMPLE, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        soft = np.select([x > LAMBD, x < -LAMBD], [x - LAMBD, x + LAMBD], 0.0)
        soft[np.isnan(x)] = np.nan
        hard = np.where(np.abs(x) > LAMBD, x, 0.0)
        hard[np.isnan(x)] = np.nan
        tanh = np.where(np.isinf(x), x, x - np.tanh(x))
    return {"softshrink": soft, "hardshrink": hard, "tanhshrink": tanh}


def _check(backend: Backend, np: Any, references: dict[str, Any]) -> dict[str, str]:
    results = {}
    x32 = np.asarray(SAMPLE, dtype=np.float32)
    calls: dict[str, Callable[[Any], Any]] = {
        "softshrink": functools.partial(arrayshrink.softshrink, lambd=LAMBD),
        "hardshrink": functools.partial(arrayshrink.hardshrink, lambd=LAMBD),
        "tanhshrink": arrayshrink.tanhshrink,
    }
    for name, call in calls.items():
        try:
            out = backend.to_numpy(call(backend.to_backend(x32)))
            ok = out.dtype == np.float32 and np.allclose(
                out, references[name], rtol=1e-6, atol=1e-7, equal_nan=True
            )
            results[name] = "ok" if ok else "MISMATCH"
        except Exception as exc:
            results[name] = f"ERROR {type(exc).__name__}: {exc}"[:60]
    return results


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the backend check and print its table; the exit code is 1 on any mismatch."""
    parser = argparse.ArgumentParser(
        prog="python -m arrayshrink",
        description="Run softshrink, hardshrink and tanhshrink on every installed array "
        "backend and check each result against a float64 NumPy reference.",
    )
    parser.parse_args(argv)
    try:
        np = importlib.import_module("numpy")
    except ImportError:
        print("python -m arrayshrink needs NumPy: pip install 'arrayshrink[numpy]'")
        return 2
    references = _references(np)
    header = ["backend", "version", "device", "softshrink", "hardshrink", "tanhshrink"]
    rows = [header]
    failures = 0
    unusable: list[str] = []
    for backend in installed_backends(np, unusable):
        results = _check(backend, np, references)
        failures += sum(status != "ok" for status in results.values())
        rows.append([backend.name, backend.version, backend.device, *results.values()])
    print(f"arrayshrink {arrayshrink.__version__}: float32 input {SAMPLE}, lambd={LAMBD}")
    print(_table(rows))
    for reason in unusable:
        print(f"not checked: {reason}")
    print(
        "all backends agree with the float64 NumPy reference"
        if not failures
        else f"{failures} check(s) disagree with the float64 NumPy reference"
    )
    return 1 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

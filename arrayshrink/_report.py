"""``python -m arrayshrink``: check every installed backend against NumPy float64.

Per backend and device: ``softshrink``, ``hardshrink`` and ``tanhshrink`` on a float32
sample against their float64 definitions, and ``ista`` and ``fista`` on a small float32
Lasso problem against a float64 NumPy solve written here, independently of the
package. ``main`` is the command line; its ``bench`` subcommand is in ``_bench_cli``.
The tool needs NumPy, which arrayshrink itself does not.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.metadata
import importlib.util
import json
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import arrayshrink

__all__ = [
    "CHECKS",
    "FUNCTIONS",
    "LAMBD",
    "LAMBD_FRACTION",
    "OBJECTIVE_RTOL",
    "PROBLEM_SEED",
    "PROBLEM_SHAPE",
    "SAMPLE",
    "SOLUTION_RTOL",
    "SOLVERS",
    "Backend",
    "Failure",
    "Found",
    "LassoReference",
    "NotInstalled",
    "Report",
    "Source",
    "Unusable",
    "check_backend",
    "describe",
    "find_backends",
    "lasso_reference",
    "main",
    "one_line",
    "table",
]

LAMBD = 0.5
SAMPLE = [-3.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 2.0, math.inf, -math.inf, math.nan]
FUNCTIONS = ("softshrink", "hardshrink", "tanhshrink")
SOLVERS = ("ista", "fista")
CHECKS = FUNCTIONS + SOLVERS

# The solver check: a seeded 20 x 40 float32 problem at a tenth of lambda_max (a dozen
# nonzero coefficients), solved with the solvers' defaults (tol 1e-6). Every backend
# gets the objective to ~1e-12 and x to ~1e-6 here; the tolerances leave float32 and
# the certificate room, and still catch a solution scaled by 1% (the objective alone
# would not: at the optimum that scaling changes it only to second order).
PROBLEM_SHAPE = (20, 40)
PROBLEM_SEED = 0
LAMBD_FRACTION = 0.1
OBJECTIVE_RTOL = 1e-4
SOLUTION_RTOL = 1e-3


class Unusable(Exception):
    """A backend that is installed but cannot run here for a known reason (CuPy
    without a usable GPU): a note, not a failure."""


class NotInstalled(Exception):
    """A backend asked for by name that is not installed."""


def _unchanged(a: Any) -> Any:
    return a


@dataclass(frozen=True)
class Backend:
    """One array library on one device: how to put NumPy arrays there, read them back
    and wait for them."""

    name: str
    version: str
    device: str
    to_backend: Callable[[Any], Any]
    #: NumPy copies of several arrays (Dask computes them in one pass: a solve's
    #: outputs share one graph).
    to_numpy: Callable[..., tuple[Any, ...]]
    #: The solver check's (A, b); None: both through to_backend.
    problem: Callable[[Any, Any], tuple[Any, Any]] | None = None
    #: bench's large array; None: to_backend.
    large: Callable[[Any], Any] | None = None
    #: Returns once the array's values exist (a GPU queue synchronized, a Dask graph
    #: computed); bench times the call and this together.
    wait: Callable[[Any], Any] = _unchanged


@dataclass(frozen=True)
class Failure:
    """A backend that is installed but raised while importing or listing its devices,
    or one asked for by name that is not installed."""

    name: str
    version: str
    error: str


@dataclass(frozen=True)
class Source:
    """Where one library's backends come from: its top-level module (looked up without
    importing it), its pip extra, and the function that imports it and yields one
    ``Backend`` per usable device."""

    module: str
    extra: str
    discover: Callable[[Any], Iterator[Backend]]

    def installed(self) -> bool:
        """Whether the module is there, importable or not."""
        try:
            return importlib.util.find_spec(self.module) is not None
        except ValueError:  # in sys.modules without a __spec__: imported, so there
            return True


@dataclass(frozen=True)
class Found:
    """The backends to check (or failures in their place) and the notes on those that
    cannot run here."""

    backends: list[Backend | Failure]
    notes: list[str]


@dataclass(frozen=True)
class Report:
    """One row of the main job: each check's verdict ("ok", "mismatch" or "error") and
    the first error as "Type: message"."""

    name: str
    version: str
    device: str
    checks: dict[str, str]
    error: str | None

    @property
    def status(self) -> str:
        """The row's verdict: "error" if anything raised, else "mismatch" if a check
        disagreed, else "ok"."""
        if self.error is not None:
            return "error"
        return "mismatch" if any(v != "ok" for v in self.checks.values()) else "ok"

    def as_json(self) -> dict[str, Any]:
        """The row as the ``--json`` document has it."""
        return {
            "name": self.name,
            "version": self.version,
            "device": self.device,
            "status": self.status,
            "checks": dict(self.checks),
            "error": self.error,
        }


# --- discovery -------------------------------------------------------------------------


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _installed_version(module: str) -> str:
    """The version of the distribution that provides ``module``, read from its
    metadata (the module itself may not import); "?" when no metadata says."""
    for distribution in importlib.metadata.packages_distributions().get(module, [module]):
        version = _version(distribution)
        if version != "?":
            return version
    return "?"


def _numpy_backends(np: Any) -> Iterator[Backend]:
    def to_numpy(*arrays: Any) -> tuple[Any, ...]:
        return tuple(np.asarray(a) for a in arrays)

    yield Backend("numpy", np.__version__, "cpu", _unchanged, to_numpy)


def _strict_backends(np: Any) -> Iterator[Backend]:
    strict = importlib.import_module("array_api_strict")

    def to_numpy(*arrays: Any) -> tuple[Any, ...]:
        return tuple(np.asarray(a) for a in arrays)

    yield Backend(
        "array_api_strict", _version("array-api-strict"), "CPU_DEVICE", strict.asarray, to_numpy
    )


def _torch_backends(np: Any) -> Iterator[Backend]:
    torch = importlib.import_module("torch")

    def to_numpy(*arrays: Any) -> tuple[Any, ...]:
        return tuple(t.detach().cpu().numpy() for t in arrays)

    def synchronized(a: Any) -> Any:
        torch.cuda.synchronize()
        return a

    yield Backend("torch", torch.__version__, "cpu", torch.asarray, to_numpy)
    if torch.cuda.is_available():
        to_cuda = functools.partial(torch.asarray, device="cuda")
        yield Backend("torch", torch.__version__, "cuda", to_cuda, to_numpy, wait=synchronized)


def _jax_backends(np: Any) -> Iterator[Backend]:
    jax = importlib.import_module("jax")

    def to_numpy(*arrays: Any) -> tuple[Any, ...]:
        return tuple(np.asarray(a) for a in arrays)

    for device in jax.devices():
        yield Backend(
            "jax",
            jax.__version__,
            str(device),
            functools.partial(jax.device_put, device=device),
            to_numpy,
            wait=jax.block_until_ready,
        )


def _dask_backends(np: Any) -> Iterator[Backend]:
    dask = importlib.import_module("dask")
    da = importlib.import_module("dask.array")

    def to_numpy(*arrays: Any) -> tuple[Any, ...]:
        return tuple(np.asarray(a) for a in dask.compute(*arrays))

    def problem(A: Any, b: Any) -> tuple[Any, Any]:
        # b as a batch of one column, A in one chunk: the path Dask batches take (each
        # chunk of columns solved eagerly inside one task). A single problem iterates
        # on persisted arrays, two scheduler round trips per check point: seconds here.
        return da.from_array(A), da.from_array(b[:, None])

    yield Backend(
        "dask",
        _version("dask"),
        "cpu",
        # Chunks of 5: the 12-element sample spans three chunks.
        lambda a: da.from_array(a, chunks=5),
        to_numpy,
        problem=problem,
        large=lambda a: da.from_array(a, chunks=2**20),
        wait=lambda a: a.compute(),
    )


def _cupy_backends(np: Any) -> Iterator[Backend]:
    cupy = importlib.import_module("cupy")
    if not cupy.is_available():
        raise Unusable(f"cupy {cupy.__version__} is installed, but no CUDA GPU is usable")

    def to_numpy(*arrays: Any) -> tuple[Any, ...]:
        return tuple(cupy.asnumpy(a) for a in arrays)

    def synchronized(a: Any) -> Any:
        cupy.cuda.get_current_stream().synchronize()
        return a

    yield Backend("cupy", cupy.__version__, "cuda:0", cupy.asarray, to_numpy, wait=synchronized)


_DISCOVERY: dict[str, Source] = {
    "numpy": Source("numpy", "numpy", _numpy_backends),
    "array_api_strict": Source("array_api_strict", "array-api-strict", _strict_backends),
    "torch": Source("torch", "torch", _torch_backends),
    "jax": Source("jax", "jax", _jax_backends),
    "dask": Source("dask", "dask", _dask_backends),
    "cupy": Source("cupy", "cupy", _cupy_backends),
}


def describe(exc: BaseException) -> str:
    """An exception as "Type: message"."""
    return f"{type(exc).__name__}: {exc}"


def find_backends(np: Any, names: Sequence[str] | None = None) -> Found:
    """The backends of the libraries named (default: every known one), on each device
    they can use.

    A library that is not installed is left out, unless it was named: then it is a
    ``Failure``. One that is installed but raises while importing or listing its
    devices is a ``Failure``; one that cannot run here for a known reason
    (``Unusable``) is a note, or a ``Failure`` where it was named: a check asked for
    and not done must not pass.
    """
    found: list[Backend | Failure] = []
    notes: list[str] = []
    for name in names if names is not None else list(_DISCOVERY):
        source = _DISCOVERY[name]
        if not source.installed():
            if names is not None:
                error = NotInstalled(
                    f"{name} is not installed (pip install 'arrayshrink[{source.extra}]')"
                )
                found.append(Failure(name, "-", describe(error)))
            continue
        try:
            # A list, so that a failure on a second device leaves no half-listed library.
            found.extend(list(source.discover(np)))
        except Unusable as reason:
            if names is None:
                notes.append(str(reason))
            else:
                found.append(Failure(name, _installed_version(source.module), describe(reason)))
        except Exception as exc:  # installed but broken: reported, never skipped
            found.append(Failure(name, _installed_version(source.module), describe(exc)))
    return Found(found, notes)


# --- the checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class LassoReference:
    """The solver check's problem (float32 ``A`` and ``b``, a Python-float ``lambd``)
    and its float64 solution and objective."""

    A: Any
    b: Any
    lambd: float
    x: Any
    objective: float

    def objective_of(self, np: Any, x: Any) -> float:
        """0.5 ||A x - b||^2 + lambd ||x||_1 in float64."""
        return _objective(np, self.A, self.b, self.lambd, x)


def _objective(np: Any, A: Any, b: Any, lambd: float, x: Any) -> float:
    residual = A.astype(np.float64) @ x - b.astype(np.float64)
    return float(0.5 * residual @ residual + lambd * np.sum(np.abs(x)))


def lasso_reference(np: Any) -> LassoReference:
    """The seeded problem solved by plain float64 ISTA until its relative duality gap
    is below 1e-13 (about a thousand iterations, milliseconds)."""
    rng = np.random.default_rng(PROBLEM_SEED)
    A = rng.standard_normal(PROBLEM_SHAPE, dtype=np.float32)
    b = rng.standard_normal(PROBLEM_SHAPE[0], dtype=np.float32)
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    lambd = LAMBD_FRACTION * float(np.max(np.abs(A64.T @ b64)))
    step = 1.0 / float(np.linalg.norm(A64, 2)) ** 2
    x = np.zeros(PROBLEM_SHAPE[1])
    for iteration in range(1, 100_001):
        v = x - step * (A64.T @ (A64 @ x - b64))
        x = np.sign(v) * np.maximum(np.abs(v) - step * lambd, 0.0)
        if iteration % 50 == 0:
            residual = b64 - A64 @ x
            primal = 0.5 * residual @ residual + lambd * np.sum(np.abs(x))
            # The residual scaled into the dual feasible set |A^T theta| <= lambd.
            theta = residual * min(1.0, lambd / float(np.max(np.abs(A64.T @ residual))))
            dual = 0.5 * b64 @ b64 - 0.5 * (b64 - theta) @ (b64 - theta)
            if primal - dual <= 1e-13 * primal:
                break
    return LassoReference(A, b, lambd, x, _objective(np, A, b, lambd, x))


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


def _function_agrees(backend: Backend, np: Any, name: str, reference: Any) -> bool:
    # Looked up at each call, so that a patched arrayshrink.<name> is the one checked.
    function = getattr(arrayshrink, name)
    x = backend.to_backend(np.asarray(SAMPLE, dtype=np.float32))
    out = function(x) if name == "tanhshrink" else function(x, lambd=LAMBD)
    (result,) = backend.to_numpy(out)
    return bool(
        result.dtype == np.float32
        and result.shape == reference.shape
        and np.allclose(result, reference, rtol=1e-6, atol=1e-7, equal_nan=True)
    )


def _solver_agrees(backend: Backend, np: Any, name: str, reference: LassoReference) -> bool:
    to_backend = backend.problem or (lambda A, b: (backend.to_backend(A), backend.to_backend(b)))
    A, b = to_backend(reference.A, reference.b)
    with warnings.catch_warnings():
        # converged is checked below; the warning would only say so again.
        warnings.simplefilter("ignore", arrayshrink.ConvergenceWarning)
        result = getattr(arrayshrink, name)(A, b, reference.lambd)
    x, objective, converged = backend.to_numpy(result.x, result.objective, result.converged)
    if x.dtype != np.float32 or x.size != reference.x.size:
        return False
    x = x.astype(np.float64).reshape(-1)
    scale = reference.objective
    return bool(
        np.all(converged)
        and abs(float(np.reshape(objective, -1)[0]) - scale) <= OBJECTIVE_RTOL * scale
        and abs(reference.objective_of(np, x) - scale) <= OBJECTIVE_RTOL * scale
        and np.max(np.abs(x - reference.x)) <= SOLUTION_RTOL * np.max(np.abs(reference.x))
    )


def check_backend(
    backend: Backend, np: Any, references: dict[str, Any], lasso: LassoReference
) -> Report:
    """Every check on one backend; an exception is that check's "error", and the
    first one is the row's error."""
    checks: dict[str, str] = {}
    errors: list[str] = []
    for name in CHECKS:
        try:
            if name in SOLVERS:
                agrees = _solver_agrees(backend, np, name, lasso)
            else:
                agrees = _function_agrees(backend, np, name, references[name])
            checks[name] = "ok" if agrees else "mismatch"
        except Exception as exc:
            checks[name] = "error"
            errors.append(describe(exc))
    error = errors[0] if errors else None
    return Report(backend.name, backend.version, backend.device, checks, error)


def _failed(failure: Failure) -> Report:
    return Report(failure.name, failure.version, "-", dict.fromkeys(CHECKS, "error"), failure.error)


# --- output ----------------------------------------------------------------------------


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns; the last column's width does not stretch the rule under
    the header (it holds error messages)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = [*("-" * w for w in widths[:-1]), "-" * len(rows[0][-1])]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join(rule))
    return "\n".join(line.rstrip() for line in lines)


def one_line(message: str, limit: int = 200) -> str:
    """A message on one line, cut at ``limit`` characters (the JSON has it whole)."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _cell(verdict: str) -> str:
    return verdict if verdict == "ok" else verdict.upper()


def _print_table(reports: Sequence[Report], notes: Sequence[str]) -> None:
    header = ["backend", "version", "device", *CHECKS, "status"]
    rows = [header]
    for report in reports:
        status = _cell(report.status)
        if report.error is not None:
            status = f"{status} {one_line(report.error)}"
        checks = [_cell(report.checks[name]) for name in CHECKS]
        rows.append([report.name, report.version, report.device, *checks, status])
    rows_x, rows_a = PROBLEM_SHAPE
    print(
        f"arrayshrink {arrayshrink.__version__}: float32 input {SAMPLE}, lambd={LAMBD}; "
        f"ista and fista on a seeded {rows_x} x {rows_a} float32 Lasso problem, "
        f"lambd = {LAMBD_FRACTION} lambda_max"
    )
    if reports:
        print(table(rows))
    for note in notes:
        print(f"not checked: {note}")
    mismatched = sum(v == "mismatch" for r in reports for v in r.checks.values())
    failed = sum(r.status == "error" for r in reports)
    if not reports:
        print("no backend checked")
    elif not mismatched and not failed:
        print("all backends agree with the float64 NumPy reference")
    else:
        parts = []
        if mismatched:
            parts.append(f"{mismatched} check(s) disagree with the float64 NumPy reference")
        if failed:
            parts.append(f"{failed} backend row(s) failed with an error")
        print("; ".join(parts))


def _check(np: Any, names: Sequence[str] | None, as_json: bool) -> int:
    # Whatever a library prints while it imports or runs goes to stderr: stdout holds
    # the report alone (--json output must parse).
    with contextlib.redirect_stdout(sys.stderr):
        found = find_backends(np, names)
        references = _references(np)
        lasso = lasso_reference(np)
        reports = [
            check_backend(b, np, references, lasso) if isinstance(b, Backend) else _failed(b)
            for b in found.backends
        ]
    ok = all(report.status == "ok" for report in reports)
    if as_json:
        document = {
            "arrayshrink": arrayshrink.__version__,
            "backends": [report.as_json() for report in reports],
            "not_checked": found.notes,
            "ok": ok,
        }
        print(json.dumps(document, indent=2))
    else:
        _print_table(reports, found.notes)
    return 0 if ok else 1


# --- the command line ------------------------------------------------------------------


def _add_selection(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--backend and --json; with ``suppress``, no defaults (a subcommand's, which
    would otherwise overwrite the values given before the subcommand's name)."""
    known = ", ".join(_DISCOVERY)
    parser.add_argument(
        "--backend",
        action="append",
        metavar="NAME",
        default=argparse.SUPPRESS if suppress else None,
        help=f"only this backend; repeat it or separate names by commas (one of: {known})",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print one JSON document on stdout instead of the table",
    )


def _parser() -> argparse.ArgumentParser:
    from arrayshrink import _bench_cli  # here: _bench_cli imports this module

    parser = argparse.ArgumentParser(
        prog="python -m arrayshrink",
        description="Check softshrink, hardshrink, tanhshrink, ista and fista on every "
        "installed array backend against float64 NumPy references.",
        epilog="Exit status: 0 when every backend checked agrees, 1 when a check "
        "disagrees or a backend raised (or a named backend is not installed), 2 for a "
        "usage error.",
    )
    parser.add_argument(
        "--version", action="version", version=f"arrayshrink {arrayshrink.__version__}"
    )
    _add_selection(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="{bench}")
    bench = commands.add_parser(
        "bench",
        help="time softshrink, hardshrink and tanhshrink against one pass over the array",
        description=_bench_cli.DESCRIPTION,
    )
    _bench_cli.add_arguments(bench)
    _add_selection(bench, suppress=True)
    return parser


def _selected(parser: argparse.ArgumentParser, values: Sequence[str] | None) -> list[str] | None:
    """The backend names asked for, in order and once each (None: all); an unknown
    name is a usage error (exit 2)."""
    if not values:
        return None
    names: list[str] = []
    for value in values:
        for raw in value.split(","):
            name = raw.strip().lower().replace("-", "_")
            if not name:
                continue
            if name not in _DISCOVERY:
                parser.error(f"unknown backend {raw.strip()!r}; known: {', '.join(_DISCOVERY)}")
            if name not in names:
                names.append(name)
    return names or None


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (0 ok, 1 a failure, 2 usage)."""
    from arrayshrink import _bench_cli

    parser = _parser()
    try:
        args = parser.parse_args(argv)
        names = _selected(parser, args.backend)
    except SystemExit as exit_:  # --help, --version and usage errors: a status to return
        return exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    try:
        np = importlib.import_module("numpy")
    except Exception as exc:
        print(
            f"python -m arrayshrink needs NumPy: pip install 'arrayshrink[numpy]' "
            f"({describe(exc)})",
            file=sys.stderr,
        )
        return 2
    if args.command == "bench":
        return _bench_cli.run(np, names, args.size, args.repeats, bool(args.json))
    return _check(np, names, bool(args.json))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

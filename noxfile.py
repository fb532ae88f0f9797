"""Test, lint and benchmark sessions: ``nox`` runs lint and every CPU backend.

Sessions use the virtualenv backend so that pip sees the machine's local torch wheel.
``ARRAYSHRINK_TORCH`` overrides the torch requirement (default: the CPU build
``torch==2.13.0``), e.g. ``ARRAYSHRINK_TORCH="torch==2.14.1" nox -s "tests(torch)"``.
"""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "tests", "oldest", "distributed", "interop", "docs"]

TORCH = os.environ.get("ARRAYSHRINK_TORCH", "torch==2.13.0")

# What each backend's session installs beside arrayshrink and the test group.
# The peers of the migration tests (tests/test_migration.py) come with one session each.
CPU_BACKENDS = {
    "numpy": [".[numpy]", "pyproximal", "pylops"],
    "array_api_strict": [".[array-api-strict]"],
    # torch too: JAX and torch gradients are compared
    "jax": [".[jax]", TORCH, "jaxopt"],
    "torch": [".", TORCH],
    "dask": [".[dask]"],
}
GPU_BACKENDS = {
    "cupy": [".[cupy]"],
    "torch": [".", os.environ.get("ARRAYSHRINK_TORCH_CUDA", "torch")],
    "jax": [".", "jax[cuda12]"],
}

# Libraries tested through their own test files rather than the whole suite: pydata
# sparse (sparse arrays in and out, sparse design matrices) and ndonnx (an ONNX-backed
# Array API library, and ONNX models run by onnxruntime).
INTEROP = {
    "sparse": (
        [".[numpy]", "sparse"],
        (
            "tests/test_sparse_arrays.py",
            "tests/test_sparse_solvers.py",
            "tests/test_sparse_hostile.py",
        ),
    ),
    "ndonnx": (
        [".[numpy]", "ndonnx", "onnxruntime"],
        ("tests/test_ndonnx.py", "tests/test_sparse_hostile.py"),
    ),
}

# The oldest versions arrayshrink supports, tested together (ml_dtypes 0.6, a test
# dependency, needs NumPy 2).
OLDEST = ["array-api-compat==1.15.0", "numpy==1.26.4", "ml_dtypes<0.6"]


def _pytest(session: nox.Session, backend: str, *extra: str, targets: tuple[str, ...] = ()) -> None:
    """Run the suite and the docstring examples of every module, against the installed
    package, in one pytest run (one summary line per session, as .ci/run counts them).

    ``--pyargs arrayshrink --doctest-modules`` collects the installed package's modules;
    tests/conftest.py leaves out those that import an array library this session does
    not test. Arguments after ``--`` replace the targets (``nox -s "tests(numpy)" --
    tests/test_values.py -x``). No test collected (pytest's exit code 5) fails the
    session, as every non-zero exit code does.
    """
    env = {"ARRAYSHRINK_BACKENDS": backend}
    default = targets or ("--doctest-modules", "--pyargs", "tests", "arrayshrink")
    session.run("pytest", *(session.posargs or default), *extra, env=env)


@nox.session
@nox.parametrize("backend", list(CPU_BACKENDS), ids=list(CPU_BACKENDS))
def tests(session: nox.Session, backend: str) -> None:
    """The test suite on one CPU backend (the package is installed, not editable)."""
    session.install(*CPU_BACKENDS[backend], "--group", "test")
    _pytest(session, backend)


@nox.session
def oldest(session: nox.Session) -> None:
    """The NumPy tests with the oldest supported array-api-compat and NumPy."""
    session.install(".[numpy]", "--group", "test")
    session.install(*OLDEST)
    session.run(
        "python",
        "-c",
        "import array_api_compat, numpy; print(array_api_compat.__version__, numpy.__version__)",
    )
    _pytest(session, "numpy")


@nox.session
@nox.parametrize("library", list(INTEROP), ids=list(INTEROP))
def interop(session: nox.Session, library: str) -> None:
    """The tests of one more array library beside NumPy (INTEROP above)."""
    installs, targets = INTEROP[library]
    session.install(*installs, "--group", "test")
    _pytest(session, "numpy", targets=targets)


@nox.session
def distributed(session: nox.Session) -> None:
    """The tests on a dask.distributed LocalCluster of two worker processes (batched and
    row-chunked solves, unique task keys) and the out-of-core Zarr example, reduced."""
    session.install(".[distributed]", "--group", "test", "--group", "distributed")
    _pytest(session, "dask", targets=("tests/test_distributed.py", "tests/test_out_of_core.py"))


@nox.session(default=False)
@nox.parametrize("backend", list(GPU_BACKENDS), ids=list(GPU_BACKENDS))
def gpu(session: nox.Session, backend: str) -> None:
    """The test suite on a CUDA GPU (CuPy, torch CUDA, JAX CUDA); not run by default."""
    session.install(*GPU_BACKENDS[backend], "--group", "test")
    _pytest(session, backend)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """The CPU benchmark (benchmarks/bench.py); arguments after -- go to the script."""
    session.install(".[numpy,jax]", TORCH, "pywavelets", "matplotlib")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (docs/_build/html), warnings as errors: the Markdown pages,
    the API pages from the docstrings (torch for arrayshrink.torch) and the gallery,
    whose docs/examples/plot_*.py run at build time. Arguments after -- go to
    sphinx-build (e.g. ``-- -E`` to rebuild everything)."""
    session.install(".[numpy]", TORCH, "--group", "docs")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        *session.posargs,
        "docs",
        "docs/_build/html",
    )


@nox.session(default=False)
def docs_screenshots(session: nox.Session) -> None:
    """The docs built, then screenshots of four pages in headless Chromium
    (docs/_screenshots; Chromium from the system: apt-get install chromium, or CHROMIUM)."""
    docs(session)
    session.run("python", "docs/screenshots.py", "docs/_build/html", "docs/_screenshots")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, mypy --strict, and the typed user script: the
    array type flows through the public functions with NumPy and torch typed."""
    session.install(".", "--group", "lint", TORCH)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    # Its own configuration: the package's types every array library as Any.
    session.run(
        "mypy", "--strict", "--config-file", "tests/typing/mypy.ini", "tests/typing/user_script.py"
    )

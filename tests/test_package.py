"""The package itself: public names and their docstrings, import cost (the main job,
``python -m arrayshrink``, is tested in test_cli.py).

The docstring examples of every module run as doctests, in the same pytest run as
this suite (``--doctest-modules --pyargs tests arrayshrink``, as nox runs it)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from _support import array_libraries

import arrayshrink


def _defined_names(path: Path) -> set[str]:
    """The names a module's source defines at its top level (def, class, assignment),
    as opposed to those it imports."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _source(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin)


def _modules_with_all() -> list[Any]:
    """Every module of the package that defines ``__all__`` (read from its source, not
    imported), skipped where it imports an array library that is not installed."""
    names = ["arrayshrink"] + [
        info.name
        for info in pkgutil.walk_packages(arrayshrink.__path__, "arrayshrink.")
        if not info.name.endswith(".__main__")
    ]
    params = []
    for name in names:
        path = _source(name)
        if "__all__" not in _defined_names(path):
            continue
        missing = sorted(
            library
            for library in array_libraries(path)
            if importlib.util.find_spec(library) is None
        )
        marks = [pytest.mark.skip(reason=f"{', '.join(missing)} not installed")] if missing else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


MODULES = _modules_with_all()


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (ruff's RUF022 order)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported, key=_isort_key)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"
    # Defined here: by the source, not by an import; an alias of a class or function
    # defined elsewhere (``Monitor = _drivers.Monitor``) is not a definition.
    public_defined = {
        attr
        for attr in _defined_names(_source(name))
        if not attr.startswith("_")
        and getattr(getattr(module, attr, None), "__module__", name) == name
    }
    assert public_defined <= set(exported), (
        f"{name} defines unexported {public_defined - set(exported)}"
    )


@pytest.mark.parametrize("name", MODULES)
def test_public_names_have_docstrings(name: str) -> None:
    """The module, and every class and function it exports, say what they are."""
    module = importlib.import_module(name)
    assert (module.__doc__ or "").strip(), f"{name} has no docstring"
    undocumented = [
        attr
        for attr in module.__all__
        if isinstance(getattr(module, attr), type | types.FunctionType)
        and not (getattr(module, attr).__doc__ or "").strip()
    ]
    assert not undocumented, f"{name} exports undocumented {undocumented}"


def test_every_module_is_covered() -> None:
    """The public solver modules are among those checked (discovery did not miss them)."""
    checked = {param.values[0] for param in MODULES}
    assert {"arrayshrink", "arrayshrink._shrink", "arrayshrink._solvers"} <= checked


def test_top_level_api() -> None:
    assert set(arrayshrink.__all__) >= {
        "Hardshrink",
        "Softshrink",
        "Tanhshrink",
        "hardshrink",
        "softshrink",
        "tanhshrink",
    }


def test_import_loads_no_array_library() -> None:
    code = (
        "import sys, arrayshrink\n"
        "loaded = sorted(m for m in ('numpy', 'torch', 'jax', 'cupy', 'dask', 'array_api_strict')"
        " if m in sys.modules)\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

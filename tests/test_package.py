"""The package itself: public names, import cost, docstring examples, the main job."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
import types
from typing import Any

import pytest

import arrayshrink

MODULES = [
    "arrayshrink",
    "arrayshrink._shrink",
    "arrayshrink._modules",
    "arrayshrink._agnostic",
    "arrayshrink._agnostic._formulas",
    "arrayshrink._lib._compat",
    "arrayshrink._lib._validation",
    "arrayshrink._report",
]


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
    public_defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name) == name
    }
    assert public_defined <= set(exported), (
        f"{name} defines unexported {public_defined - set(exported)}"
    )


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


@pytest.mark.parametrize("name", ["arrayshrink._shrink", "arrayshrink._modules"])
def test_docstring_examples(name: str) -> None:
    pytest.importorskip("numpy")
    module = importlib.import_module(name)
    failures, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failures == 0


def test_main_job_passes() -> None:
    pytest.importorskip("numpy")
    result = subprocess.run(
        [sys.executable, "-m", "arrayshrink"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    numpy_row = next(line for line in lines if line.startswith("numpy "))
    assert numpy_row.split()[-3:] == ["ok", "ok", "ok"]
    assert "all backends agree" in result.stdout


def test_main_job_reports_a_disagreement(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("numpy")
    from arrayshrink import _report

    monkeypatch.setattr(arrayshrink, "hardshrink", lambda x, lambd: x)
    assert _report.main([]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out
    assert "disagree" in out


def test_main_job_names_a_backend_it_cannot_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("numpy")
    from arrayshrink import _report

    def no_device(np: Any) -> Any:
        raise _report.Unusable("gpulib 1.0 is installed, but no GPU is usable")

    monkeypatch.setitem(_report._DISCOVERY, "gpulib", no_device)
    assert _report.main([]) == 0
    assert "not checked: gpulib 1.0 is installed, but no GPU is usable" in capsys.readouterr().out

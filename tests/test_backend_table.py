"""The backend tables of docs/backends.md and README.md are the ones the profiles
generate (tools/backend_table.py); the generator imports no array library."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from arrayshrink._backends import _profiles

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "backend_table.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("backend_table", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _region(text: str, generator: ModuleType) -> str:
    start, end = text.index(generator.START), text.index(generator.END)
    return text[start : end + len(generator.END)]


@pytest.mark.parametrize("name", ["docs/backends.md", "README.md"])
def test_committed_table_is_the_generated_one(generator: ModuleType, name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert text.count(generator.START) == text.count(generator.END) == 1
    assert _region(text, generator) == generator.render(), (
        f"{name}: run python tools/backend_table.py"
    )


def test_every_profile_and_fact_is_in_the_table(generator: ModuleType) -> None:
    rows = generator.render().splitlines()[2:-1]  # the markers and the note aside
    header, _, *backends = rows
    assert len(backends) == len(_profiles.PROFILES)
    for row, backend in zip(backends, _profiles.PROFILES.values(), strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == header.count("|") - 1
        assert cells[0].startswith(backend.display)
        assert cells[1] == ("yes" if backend.lazy else "no")
        for tracer in backend.tracers:
            assert f"`{tracer}`" in cells[2]
        assert cells[3] == ("yes" if backend.new_shapes_compile else "no")
    assert "native: declared, not dispatched" in backends[-1]


def test_a_dispatched_kernel_is_shown_as_such(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    cupy = _profiles.PROFILES["cupy"]
    flipped = dataclasses.replace(
        cupy,
        kernels={"softshrink": dataclasses.replace(cupy.kernels_of("softshrink"), dispatched=True)},
    )
    monkeypatch.setattr(_profiles, "PROFILES", {**_profiles.PROFILES, "cupy": flipped})
    cupy_row = generator.render().splitlines()[-2]
    assert cupy_row.startswith("| CuPy")
    assert "declared, not dispatched" not in cupy_row
    assert "| native | generic | generic |" in cupy_row


def test_check_mode_and_no_array_library_imported() -> None:
    code = (
        "import runpy, sys\n"
        f"sys.argv = [{str(SCRIPT)!r}, '--check']\n"
        "try:\n"
        f"    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "loaded = [m for m in ('numpy', 'torch', 'jax', 'dask', 'cupy') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr

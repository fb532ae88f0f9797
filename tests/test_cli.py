"""The command line, ``python -m arrayshrink``: the backend check and ``bench``.

One test runs the real main job in a subprocess on every installed backend; the others
call ``_report.main`` in-process with the discovery replaced by NumPy and fakes (a
library that fails to import, one that raises at run time, one with no GPU), so that
they assume no backend but NumPy and stay fast.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arrayshrink
from arrayshrink import _report

CHECKS = ["softshrink", "hardshrink", "tanhshrink", "ista", "fista"]


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The exit status, stdout and stderr of an in-process run."""
    status = _report.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _rows(out: str) -> dict[str, list[str]]:
    """The check table's rows by backend name (the cells, split on whitespace: the
    status cell's message, if any, is the tail)."""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("backend "))
    rows = {}
    for line in lines[header + 2 :]:
        cells = line.split()
        if len(cells) < 9 or not set(cells[3:9]) <= {"ok", "MISMATCH", "ERROR"}:
            break  # the notes and the verdict below the table
        rows[cells[0]] = cells
    return rows


def _source(discover: Callable[[Any], Iterator[_report.Backend]]) -> _report.Source:
    """A library that is installed (its module is NumPy's) and discovered by
    ``discover``."""
    return _report.Source("numpy", "numpy", discover)


@pytest.fixture
def discovery(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replaces the known libraries by NumPy and the given ones (name=Source)."""

    def install(**sources: _report.Source) -> None:
        numpy = _report._DISCOVERY["numpy"]
        monkeypatch.setattr(_report, "_DISCOVERY", {"numpy": numpy, **sources})

    install()
    return install


def _fake_backend(
    name: str, to_backend: Callable[[Any], Any] = np.asarray
) -> Callable[[Any], Iterator[_report.Backend]]:
    """The discovery of a NumPy look-alike named ``name``, version 1.0."""

    def discover(np_: Any) -> Iterator[_report.Backend]:
        yield _report.Backend(
            name, "1.0", "cpu", to_backend, lambda *a: tuple(np.asarray(x) for x in a)
        )

    return discover


# --- the real main job -----------------------------------------------------------------


def _tested_and_installed() -> tuple[list[str], list[str]]:
    """The main job's arguments and the backends whose rows it must show: with
    ARRAYSHRINK_BACKENDS set, NumPy and the backends named there (as the suite's runs
    restrict themselves); else none, for every installed backend. CuPy is left out of
    the rows (none without a GPU)."""
    value = os.environ.get("ARRAYSHRINK_BACKENDS", "").strip()
    named = [n.strip() for n in value.split(",") if n.strip()]
    names = list(dict.fromkeys(["numpy", *named])) if named else list(_report._DISCOVERY)
    installed = [n for n in names if importlib.util.find_spec(n) is not None]
    args = ["--backend", ",".join(installed)] if named else []
    return args, [n for n in installed if n != "cupy"]


def test_main_job_passes() -> None:
    """``python -m arrayshrink`` as the README runs it, on the backends under test."""
    args, expected = _tested_and_installed()
    result = subprocess.run(
        [sys.executable, "-m", "arrayshrink", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert "numpy" in expected
    for name in expected:
        assert rows[name][3:] == ["ok"] * 6, result.stdout  # five checks and the status
    assert "all backends agree" in result.stdout


def _with_fake_libraries(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The main job with a broken ``torch`` (its import raises, as a wheel missing a
    shared library does) and a ``cupy`` without a GPU ahead of any real ones."""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(
        'raise ImportError("libtorch_cpu.so: cannot open shared object file")\n'
    )
    (tmp_path / "cupy").mkdir()
    # Its ndarray as CuPy has one: array_api_compat looks it up once cupy is imported.
    (tmp_path / "cupy" / "__init__.py").write_text(
        '__version__ = "13.0.0"\n\n\nclass ndarray:\n    pass\n\n\n'
        "def is_available():\n    return False\n"
    )
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "arrayshrink", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_main_job_shows_a_broken_library(tmp_path: Path) -> None:
    result = _with_fake_libraries(tmp_path, "--backend", "numpy,torch,cupy")
    assert result.returncode == 1, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert rows["numpy"][3:] == ["ok"] * 6
    assert rows["torch"][3:9] == ["ERROR"] * 6
    assert " ".join(rows["torch"][9:]) == (
        "ImportError: libtorch_cpu.so: cannot open shared object file"
    )
    # Named, a library that cannot run here is a failed check, not a note.
    assert " ".join(rows["cupy"][9:]) == (
        "Unusable: cupy 13.0.0 is installed, but no CUDA GPU is usable"
    )


def test_main_job_fails_a_named_library_without_its_gpu(tmp_path: Path) -> None:
    """--backend cupy asks for a check that cannot be done here: exit 1, with why."""
    result = _with_fake_libraries(tmp_path, "--backend", "numpy,cupy", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [b["name"] for b in document["backends"]] == ["numpy", "cupy"]
    cupy = document["backends"][1]
    assert cupy["status"] == "error"
    assert cupy["error"] == "Unusable: cupy 13.0.0 is installed, but no CUDA GPU is usable"
    assert document["not_checked"] == []


def test_the_tool_says_it_needs_numpy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy raises ImportError
    status, out, err = _main(capsys, "--backend", "numpy")
    assert (status, out) == (2, "")
    assert "needs NumPy: pip install 'arrayshrink[numpy]'" in err


def test_a_closed_pipe_is_no_traceback() -> None:
    """``python -m arrayshrink | head -1``: the reader leaves before the report."""
    process = subprocess.Popen(
        [sys.executable, "-m", "arrayshrink", "--backend", "numpy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait() == 1
    assert "Traceback" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(capsys, "--version") == (0, f"arrayshrink {arrayshrink.__version__}\n", "")


def test_table_has_every_check_for_numpy(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _main(capsys, "--backend", "numpy")
    assert status == 0
    header = next(line for line in out.splitlines() if line.startswith("backend "))
    assert header.split() == ["backend", "version", "device", *CHECKS, "status"]
    assert list(_rows(out)) == ["numpy"]
    assert _rows(out)["numpy"][1:] == [np.__version__, "cpu", *["ok"] * 6]


def test_json_is_the_table_s_verdicts(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    """The same run as a table and as JSON: the same rows and verdicts, and stdout
    holds the JSON document alone."""
    discovery(
        brokenlib=_source(_fake_backend("brokenlib", to_backend=_raises(OSError("no device"))))
    )
    table_status, table_out, _ = _main(capsys, "--backend", "numpy,brokenlib")
    json_status, json_out, _ = _main(
        capsys, "--backend", "numpy", "--backend", "brokenlib", "--json"
    )
    document = json.loads(json_out)
    assert table_status == json_status == 1
    assert set(document) == {"arrayshrink", "backends", "not_checked", "ok"}
    assert document["arrayshrink"] == arrayshrink.__version__
    assert document["ok"] is False
    assert document["not_checked"] == []
    rows = _rows(table_out)
    assert [b["name"] for b in document["backends"]] == list(rows) == ["numpy", "brokenlib"]
    for backend in document["backends"]:
        assert set(backend) == {"name", "version", "device", "status", "checks", "error"}
        assert list(backend["checks"]) == CHECKS
        cells = rows[backend["name"]]
        verdicts = [*backend["checks"].values(), backend["status"]]
        assert [cell.lower() for cell in cells[3:9]] == verdicts
        assert [backend["version"], backend["device"]] == cells[1:3]
    broken = document["backends"][1]
    assert broken["error"] == "OSError: no device"
    assert broken["checks"] == dict.fromkeys(CHECKS, "error")
    assert document["backends"][0]["error"] is None


def test_backend_option_checks_only_those(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    discovery(otherlib=_source(_fake_backend("otherlib")))
    status, out, _ = _main(capsys, "--backend", " NumPy ,numpy", "--json")
    assert status == 0
    assert [b["name"] for b in json.loads(out)["backends"]] == ["numpy"]
    # The order asked for is the order checked.
    status, out, _ = _main(capsys, "--backend", "otherlib,numpy", "--json")
    assert [b["name"] for b in json.loads(out)["backends"]] == ["otherlib", "numpy"]


def test_unknown_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _main(capsys, "--backend", "numpy,tensorflow")
    assert status == 2
    assert out == ""
    assert "unknown backend 'tensorflow'" in err
    assert "numpy, array_api_strict, torch, jax, dask, cupy" in err


def test_unknown_backend_exits_2_from_the_shell() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "arrayshrink", "--backend", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown backend 'nope'" in result.stderr


def test_a_named_backend_not_installed_is_an_error(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    ghost = _report.Source("arrayshrink_no_such_module", "ghost", _fake_backend("ghost"))
    discovery(ghost=ghost)
    # Not asked for: absent, and the run passes.
    status, out, _ = _main(capsys)
    assert status == 0
    assert list(_rows(out)) == ["numpy"]
    # Asked for: an error row.
    status, out, _ = _main(capsys, "--backend", "numpy,ghost")
    assert status == 1
    assert _rows(out)["ghost"][8:] == [
        "ERROR",
        "NotInstalled:",
        "ghost",
        "is",
        "not",
        "installed",
        "(pip",
        "install",
        "'arrayshrink[ghost]')",
    ]


def _raises(exc: Exception) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return call


def test_a_backend_that_fails_to_import_is_an_error_row(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    """Installed but broken: a row with its error, never silently left out."""
    discovery(brokenlib=_source(_raises(ImportError("libfoo.so missing"))))
    status, out, _ = _main(capsys)
    assert status == 1
    rows = _rows(out)
    assert rows["numpy"][3:] == ["ok"] * 6
    assert rows["brokenlib"][1] == np.__version__  # the metadata of its module
    assert rows["brokenlib"][3:] == ["ERROR"] * 6 + ["ImportError:", "libfoo.so", "missing"]
    assert "1 backend row(s) failed with an error" in out
    assert "all backends agree" not in out


def test_a_backend_that_raises_building_arrays_is_an_error_row(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    out_of_memory = _raises(MemoryError("out of memory"))
    discovery(fakelib=_source(_fake_backend("fakelib", to_backend=out_of_memory)))
    status, out, _ = _main(capsys, "--json")
    assert status == 1
    fake = json.loads(out)["backends"][1]
    assert (fake["name"], fake["status"], fake["error"]) == (
        "fakelib",
        "error",
        "MemoryError: out of memory",
    )


def test_a_function_that_raises_at_run_time_is_an_error_row(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(arrayshrink, "tanhshrink", _raises(RuntimeError("kernel exploded")))
    status, out, _ = _main(capsys, "--backend", "numpy")
    assert status == 1
    row = _rows(out)["numpy"]
    assert row[3:9] == ["ok", "ok", "ERROR", "ok", "ok", "ERROR"]
    assert row[9:] == ["RuntimeError:", "kernel", "exploded"]


def test_a_backend_that_cannot_run_here_is_a_note(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    """CuPy without a GPU: a known reason, a note; the run still passes."""

    def no_device(np_: Any) -> Iterator[_report.Backend]:
        raise _report.Unusable("gpulib 1.0 is installed, but no GPU is usable")

    discovery(gpulib=_source(no_device))
    status, out, _ = _main(capsys)
    assert status == 0
    assert "not checked: gpulib 1.0 is installed, but no GPU is usable" in out
    assert list(_rows(out)) == ["numpy"]
    status, out, _ = _main(capsys, "--json")
    assert status == 0
    assert json.loads(out)["not_checked"] == ["gpulib 1.0 is installed, but no GPU is usable"]


def test_a_disagreeing_function_is_a_mismatch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(arrayshrink, "hardshrink", lambda x, lambd: x)
    status, out, _ = _main(capsys, "--backend", "numpy")
    assert status == 1
    assert _rows(out)["numpy"][3:] == ["ok", "MISMATCH", "ok", "ok", "ok", "MISMATCH"]
    assert "1 check(s) disagree" in out


def _scaled_x(result: Any) -> Any:
    return result._replace(x=result.x * 1.01)


def _shifted_objective(result: Any) -> Any:
    return result._replace(objective=result.objective * 1.001)


def _not_converged(result: Any) -> Any:
    return result._replace(converged=np.zeros_like(result.converged))


def _float64_x(result: Any) -> Any:
    return result._replace(x=result.x.astype(np.float64))


@pytest.mark.parametrize(
    "perturb", [_scaled_x, _shifted_objective, _not_converged, _float64_x], ids=lambda f: f.__name__
)
def test_the_solver_check_catches_a_wrong_solver(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    perturb: Callable[[Any], Any],
) -> None:
    """x scaled by 1% changes the objective only to second order: x itself is
    compared too."""
    fista = arrayshrink.fista
    monkeypatch.setattr(arrayshrink, "fista", lambda *a, **k: perturb(fista(*a, **k)))
    status, out, _ = _main(capsys, "--backend", "numpy", "--json")
    assert status == 1
    (numpy,) = json.loads(out)["backends"]
    assert numpy["checks"] == {**dict.fromkeys(CHECKS, "ok"), "fista": "mismatch"}
    assert (numpy["status"], numpy["error"]) == ("mismatch", None)


def test_the_lasso_reference_is_the_solution() -> None:
    """The float64 reference meets the optimality conditions of the Lasso."""
    ref = _report.lasso_reference(np)
    A, b = ref.A.astype(np.float64), ref.b.astype(np.float64)
    correlation = A.T @ (b - A @ ref.x)
    support = ref.x != 0
    assert 5 <= support.sum() <= 20
    np.testing.assert_allclose(correlation[support], ref.lambd * np.sign(ref.x[support]), rtol=1e-9)
    assert np.max(np.abs(correlation[~support])) <= ref.lambd * (1 + 1e-9)


def test_json_stdout_holds_the_document_alone(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    """A library that prints while it is imported does not break the JSON."""

    def chatty(np_: Any) -> Iterator[_report.Backend]:
        print("chattylib: loading plugins")
        yield from _fake_backend("chattylib")(np_)

    discovery(chattylib=_source(chatty))
    status, out, err = _main(capsys, "--json")
    assert status == 0
    assert [b["name"] for b in json.loads(out)["backends"]] == ["numpy", "chattylib"]
    assert "chattylib: loading plugins" in err


# --- bench -----------------------------------------------------------------------------


def test_bench_prints_a_table_and_nothing_else() -> None:
    args = ["bench", "--size", "1000", "--repeats", "1", "--backend", "numpy"]
    result = subprocess.run(
        [sys.executable, "-m", "arrayshrink", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    title, header, rule, *rows = result.stdout.splitlines()
    assert title.startswith(f"arrayshrink {arrayshrink.__version__} bench: float32, 1,000")
    assert "`x + 1`" in title
    assert header.split() == [
        "backend",
        "version",
        "device",
        "function",
        "median_ms",
        "floor_ms",
        "ratio",
    ]
    assert set(rule) == {"-", " "}
    assert [row.split()[3] for row in rows] == ["softshrink", "hardshrink", "tanhshrink"]
    for row in rows:
        name, _, _, _, median, floor, ratio = row.split()
        assert name == "numpy"
        assert float(ratio) == pytest.approx(float(median) / float(floor), rel=0.02, abs=0.01)
    assert result.stderr == ""  # no terminal: no progress bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bench_progress_goes_to_a_terminal_s_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status = _report.main(["bench", "--size", "100", "--repeats", "2", "--backend", "numpy"])
    assert status == 0
    drawn = terminal.getvalue()
    assert "[....................] 0/1 numpy cpu round 2/2" in drawn
    assert drawn.endswith("\r")  # erased at the end
    out = capsys.readouterr().out
    assert "\r" not in out
    assert len(out.splitlines()) == 6


def test_bench_json_and_options_on_either_side(
    capsys: pytest.CaptureFixture[str], discovery: Callable[..., None]
) -> None:
    """--json and --backend work before and after ``bench``; a backend that raises is
    an error (exit 1) and the others are still timed."""
    discovery(brokenlib=_source(_raises(ImportError("libfoo.so missing"))))
    for args in (
        ["--json", "bench", "--size", "64", "--repeats", "1", "--backend", "numpy,brokenlib"],
        ["--backend", "numpy,brokenlib", "bench", "--size", "64", "--repeats", "1", "--json"],
    ):
        status, out, _ = _main(capsys, *args)
        assert status == 1
        document = json.loads(out)
        assert (document["size"], document["repeats"], document["floor"]) == (64, 1, "x + 1")
        assert document["ok"] is False
        numpy, broken = document["backends"]
        assert numpy["status"] == "ok"
        assert numpy["floor_s"] > 0
        assert list(numpy["functions"]) == ["softshrink", "hardshrink", "tanhshrink"]
        soft = numpy["functions"]["softshrink"]
        assert soft["ratio"] == pytest.approx(soft["median_s"] / numpy["floor_s"])
        assert (broken["status"], broken["error"]) == ("error", "ImportError: libfoo.so missing")
    status, out, _ = _main(capsys, "bench", "--size", "64", "--repeats", "1")
    assert status == 1
    assert "ERROR brokenlib: ImportError: libfoo.so missing" in out


def test_bench_rejects_a_size_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _main(capsys, "bench", "--size", "0")
    assert (status, out) == (2, "")
    assert "must be at least 1" in err

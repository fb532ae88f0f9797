"""The package's metadata, its one version, and the files the documentation build reads."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

import pytest

import arrayshrink

ROOT = Path(__file__).resolve().parents[1]


def _metadata() -> importlib.metadata.PackageMetadata:
    return importlib.metadata.metadata("arrayshrink")


def test_one_version_everywhere() -> None:
    """The installed metadata and the citation file take the package's version."""
    assert importlib.metadata.version("arrayshrink") == arrayshrink.__version__
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^version: (\S+)$", citation, re.MULTILINE)[1] == arrayshrink.__version__  # type: ignore[index]


def test_summary_and_classifiers() -> None:
    metadata = _metadata()
    assert "Lasso" in metadata["Summary"]
    classifiers = set(metadata.get_all("Classifier") or [])
    assert "Operating System :: OS Independent" in classifiers
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert "Programming Language :: Python :: 3.11" in classifiers


def test_no_placeholder_urls() -> None:
    text = "\n".join(str(v) for v in _metadata().values())
    assert "example.invalid" not in text
    assert "example.com" not in text


def test_all_extra_has_every_cpu_backend_and_not_cupy() -> None:
    requirements = _metadata().get_all("Requires-Dist") or []
    in_all = {
        re.split(r"[\s<>=\[;]", r, maxsplit=1)[0] for r in requirements if "extra == 'all'" in r
    }
    assert in_all == {"numpy", "torch", "jax", "dask", "array-api-strict"}


def test_offline_inventories_are_current() -> None:
    """docs/_inventories/*.inv are what docs/_inventories/build.py writes (rerun it
    after adding a name)."""
    path = ROOT / "docs" / "_inventories" / "build.py"
    spec = importlib.util.spec_from_file_location("build_inventories", path)
    assert spec is not None
    assert spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for project, (version, entries) in build.INVENTORIES.items():
        written = (path.parent / f"{project}.inv").read_bytes()
        assert written == build.write(project, version, entries), project


@pytest.mark.parametrize("example", sorted((ROOT / "docs" / "examples").glob("*.py")))
def test_gallery_examples_have_a_title(example: Path) -> None:
    """sphinx-gallery takes each example's title from its docstring's first line,
    underlined."""
    text = example.read_text(encoding="utf-8")
    first, underline = text.split("\n")[:2]
    assert first.startswith('"""')
    assert underline == "=" * (len(first) - 3)

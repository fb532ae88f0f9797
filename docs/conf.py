"""Sphinx configuration of the arrayshrink documentation (``nox -s docs``)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import arrayshrink

HERE = Path(__file__).parent

project = "arrayshrink"
author = "arrayshrink developers"
copyright = "arrayshrink developers"
release = arrayshrink.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "_inventories",
    "examples",  # sphinx-gallery builds them into gallery/
    "gallery/*.ipynb",
    "gallery/*.py",
    "gallery/*.zip",
    "gallery/*.md5",
    "gallery/*.json",
]
templates_path = ["_templates"]

# MyST: the Markdown pages keep their text; headings get anchors for links like
# solvers.md#speed, and $...$ is mathematics.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The API reference: one page per public name, from the numpydoc docstrings.
autosummary_generate = True
autodoc_typehints = "none"  # the docstrings give the types, in words
autodoc_default_options = {"members": False}
# Where torch is not installed, arrayshrink.torch's pages are read with torch mocked
# (the layers then show (*args, **kwargs) for their signatures; nox -s docs has torch).
autodoc_mock_imports = [] if importlib.util.find_spec("torch") else ["torch"]
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "furo"
html_title = f"arrayshrink {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

# Offline inventories (docs/_inventories/build.py), or the projects' own with
# ARRAYSHRINK_DOCS_ONLINE=1.
_ONLINE = os.environ.get("ARRAYSHRINK_DOCS_ONLINE") == "1"
_PROJECTS = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "jax": "https://docs.jax.dev/en/latest/",
    "dask": "https://docs.dask.org/en/stable/",
    "pywt": "https://pywavelets.readthedocs.io/en/latest/",
    "array-api": "https://data-apis.org/array-api/latest/",
}
intersphinx_mapping = {
    name: (url, None if _ONLINE else str(HERE / "_inventories" / f"{name}.inv"))
    for name, url in _PROJECTS.items()
}

# The gallery: every docs/examples/*.py on a page; those named plot_* are executed at
# build time with their figures on the page. The others need torch, JAX or a Dask
# cluster and run in their own test sessions (tests/test_examples.py).
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "write_computation_times": False,
}

"""Write the offline intersphinx inventories of docs/_inventories.

The documentation links to Python, NumPy, PyTorch, JAX, Dask, PyWavelets and the array
API standard through intersphinx. Machines without network access (this project's CI
among them) cannot fetch those projects' ``objects.inv``, so the docs build reads these
small inventories instead: the names arrayshrink's docs refer to, at their addresses
in each project's documentation. ``ARRAYSHRINK_DOCS_ONLINE=1 nox -s docs`` reads the
projects' own inventories instead. Run ``python docs/_inventories/build.py`` after
adding a name.
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).parent

# project: (version, {name: (domain:role, path in that project's site)})
INVENTORIES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "python": (
        "3",
        {
            "TypeError": ("py:exception", "library/exceptions.html#TypeError"),
            "ValueError": ("py:exception", "library/exceptions.html#ValueError"),
            "Warning": ("py:exception", "library/exceptions.html#Warning"),
            "UserWarning": ("py:exception", "library/exceptions.html#UserWarning"),
            "float": ("py:class", "library/functions.html#float"),
            "int": ("py:class", "library/functions.html#int"),
            "bool": ("py:class", "library/functions.html#bool"),
            "tuple": ("py:class", "library/stdtypes.html#tuple"),
            "typing.NamedTuple": ("py:class", "library/typing.html#typing.NamedTuple"),
            "typing.Protocol": ("py:class", "library/typing.html#typing.Protocol"),
        },
    ),
    "numpy": (
        "stable",
        {
            "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
            "numpy.ma": ("py:module", "reference/maskedarray.generic.html#module-numpy.ma"),
            "numpy.clip": ("py:function", "reference/generated/numpy.clip.html#numpy.clip"),
            "numpy.where": ("py:function", "reference/generated/numpy.where.html#numpy.where"),
        },
    ),
    "torch": (
        "stable",
        {
            "torch.Tensor": ("py:class", "tensors.html#torch.Tensor"),
            "torch.nn.Module": ("py:class", "generated/torch.nn.Module.html#torch.nn.Module"),
            "torch.nn.Softshrink": (
                "py:class",
                "generated/torch.nn.Softshrink.html#torch.nn.Softshrink",
            ),
            "torch.nn.Hardshrink": (
                "py:class",
                "generated/torch.nn.Hardshrink.html#torch.nn.Hardshrink",
            ),
            "torch.nn.Tanhshrink": (
                "py:class",
                "generated/torch.nn.Tanhshrink.html#torch.nn.Tanhshrink",
            ),
            "torch.nn.PReLU": ("py:class", "generated/torch.nn.PReLU.html#torch.nn.PReLU"),
            "torch.nn.functional.softshrink": (
                "py:function",
                "generated/torch.nn.functional.softshrink.html#torch.nn.functional.softshrink",
            ),
            "torch.nn.functional.hardshrink": (
                "py:function",
                "generated/torch.nn.functional.hardshrink.html#torch.nn.functional.hardshrink",
            ),
            "torch.nn.functional.tanhshrink": (
                "py:function",
                "generated/torch.nn.functional.tanhshrink.html#torch.nn.functional.tanhshrink",
            ),
            "torch.compile": ("py:function", "generated/torch.compile.html#torch.compile"),
        },
    ),
    "jax": (
        "latest",
        {
            "jax.Array": ("py:class", "_autosummary/jax.Array.html#jax.Array"),
            "jax.jit": ("py:function", "_autosummary/jax.jit.html#jax.jit"),
            "jax.grad": ("py:function", "_autosummary/jax.grad.html#jax.grad"),
        },
    ),
    "dask": (
        "stable",
        {
            "dask.array.Array": (
                "py:class",
                "generated/dask.array.Array.html#dask.array.Array",
            ),
        },
    ),
    "pywt": (
        "latest",
        {
            "pywt.threshold": ("py:function", "ref/thresholding-functions.html#pywt.threshold"),
            "pywt.threshold_firm": (
                "py:function",
                "ref/thresholding-functions.html#pywt.threshold_firm",
            ),
        },
    ),
    "array-api": (
        "latest",
        {
            "array_api.clip": (
                "py:function",
                "API_specification/generated/array_api.clip.html#array_api.clip",
            ),
        },
    ),
}


def write(project: str, version: str, entries: dict[str, tuple[str, str]]) -> bytes:
    """An inventory in Sphinx's version 2 format: a plain header, then zlib lines of
    ``name domain:role priority uri display-name`` (``-``: the name itself)."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = "".join(f"{name} {role} 1 {uri} -\n" for name, (role, uri) in sorted(entries.items()))
    return header.encode() + zlib.compress(lines.encode())


def main() -> None:
    for project, (version, entries) in INVENTORIES.items():
        (HERE / f"{project}.inv").write_bytes(write(project, version, entries))


if __name__ == "__main__":
    main()

"""Screenshots of the built documentation in headless Chromium, to look at.

``python docs/screenshots.py [BUILD_DIR] [OUT_DIR]`` renders the index, an API page, the
gallery and the benchmarks page of a built site (default docs/_build/html) to PNG files
in OUT_DIR (default docs/_screenshots), at a desktop width and a phone width. Chromium
is ``$CHROMIUM`` or the first of chromium, chromium-browser and google-chrome on PATH
(Debian: ``apt-get install chromium``). ``nox -s docs_screenshots`` builds and runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = {
    "index": "index.html",
    "api-softshrink": "generated/arrayshrink.softshrink.html",
    "gallery": "gallery/index.html",
    "benchmarks": "benchmarks.html",
}
SIZES = {"desktop": (1280, 1600), "phone": (412, 1400)}
# Without these, Chromium tries to reach Google's services at every start.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    raise SystemExit("Chromium not found: install it (apt-get install chromium) or set CHROMIUM")


def shoot(browser: str, page: Path, out: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    if not out.is_file() or out.stat().st_size == 0:
        raise SystemExit(f"no screenshot of {page}")


def main(argv: list[str]) -> int:
    build = Path(argv[0] if argv else "docs/_build/html").resolve()
    out_dir = Path(argv[1] if len(argv) > 1 else "docs/_screenshots").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    for name, relative in PAGES.items():
        page = build / relative
        if not page.is_file():
            raise SystemExit(f"{page} is missing: build the docs first (nox -s docs)")
        for size, (width, height) in SIZES.items():
            out = out_dir / f"{name}-{size}.png"
            shoot(browser, page, out, width, height)
            print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

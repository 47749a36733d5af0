"""Build the static assets: install the pinned npm packages and copy their browser files to static/vendor.

Run as `python -m binational.web.assets` from the repository root (the Makefile's `assets` target).
Nothing in static/vendor is committed: package.json and package-lock.json pin what is copied.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"

#: (npm package, a browser file of it), each copied under its own file name
FILES: tuple[tuple[str, str], ...] = (
    ("htmx.org", "dist/htmx.min.js"),
    ("cytoscape", "dist/cytoscape.min.js"),
    ("vega", "build/vega.min.js"),
    ("vega-lite", "build/vega-lite.min.js"),
    ("vega-embed", "build/vega-embed.min.js"),
    # the API's documentation pages (web/api_docs.py)
    ("swagger-ui-dist", "swagger-ui-bundle.js"),
    ("swagger-ui-dist", "swagger-ui.css"),
    ("redoc", "bundles/redoc.standalone.js"),
)
#: npm package -> its file the browser tests inject into pages (axe-core's accessibility checks); not copied
TEST_FILES: dict[str, str] = {"axe-core": "axe.min.js"}


def install(root: Path = ROOT) -> None:
    """`npm ci` (or `npm install` without a lock file) when node_modules lacks a package."""
    wanted = [*FILES, *TEST_FILES.items()]
    if all((root / "node_modules" / package / path).is_file() for package, path in wanted):
        return
    command = "ci" if (root / "package-lock.json").is_file() else "install"
    subprocess.run(["npm", command, "--no-audit", "--no-fund", "--ignore-scripts"],  # noqa: S603,S607 - fixed argv
                   cwd=root, check=True)


def copy(root: Path = ROOT, vendor: Path = VENDOR) -> list[Path]:
    """Copy each package's browser file into `vendor`; return the files written."""
    vendor.mkdir(parents=True, exist_ok=True)
    written = []
    for package, path in FILES:
        source = root / "node_modules" / package / path
        target = vendor / Path(path).name
        shutil.copyfile(source, target)
        written.append(target)
    return written


def main() -> int:
    """Install and copy; one line per file."""
    if not (ROOT / "package.json").is_file():
        print(f"error: no package.json in {ROOT}", file=sys.stderr)
        return 2
    try:
        install()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"error: npm failed: {exc}", file=sys.stderr)
        return 2
    for target in copy():
        print(f"copied {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

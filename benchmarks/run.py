"""Run every benchmark in this folder at one size: `python -m benchmarks.run --size small|large`.

A benchmark is a module of this folder whose name does not start with `_` (support modules do) and
that defines `main(argv)`. Each runs in its own process, so one failing does not stop the others.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[str]:
    """Names of the benchmark modules, sorted."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_") or path.stem == "run":
            continue
        tree = ast.parse(path.read_text())
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            names.append(path.stem)
    return names


def main(argv: list[str] | None = None) -> int:
    """Run each benchmark; exit non-zero if any failed."""
    parser = argparse.ArgumentParser(description="Run every benchmark.")
    parser.add_argument("--size", choices=("small", "large"), default="small")
    args = parser.parse_args(argv)
    failed = []
    for name in benchmarks():
        print(f"== {name} ({args.size})", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}", "--size", args.size],  # noqa: S603
                               cwd=HERE.parent)
        print(f"== {name}: {'ok' if code == 0 else f'exit {code}'} in {time.perf_counter() - started:.0f} s",
              flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

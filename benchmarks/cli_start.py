"""How long the `binational` command takes to start, as a whole process: `--help`, a group's `--help`
and a simple command (`agencies list` on a fresh SQLite node), the median of several runs each.

Beside them: the peer floor, `python -c pass` (the interpreter alone), and the same `--help` in a
process that first imports every command group, as the command did before it imported a group only
when the command line names it.

    python -m benchmarks.cli_start [--size small|large]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cli_start.json"
RUNS = {"small": 7, "large": 21}
CLI = "from binational.cli import main; main()"
#: the command line as it was before: every group's module imported before the root command runs
EAGER = ("import importlib; from binational.cli import SUB_APPS, main; "
         "[importlib.import_module(sub.module) for sub in SUB_APPS.values()]; main()")


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    """Time each command line RUNS[size] times, print the medians, write benchmarks/results/cli_start.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(RUNS), default="small")
    args = parser.parse_args(argv)
    runs = RUNS[args.size]
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("BINATIONAL_DATABASE_URL", None)
        subprocess.run([python, "-c", CLI, "init"], cwd=cwd, env=env, check=True, capture_output=True)  # noqa: S603
        subprocess.run([python, "-c", CLI, "agencies", "add", "US-CBP", "--country", "US",  # noqa: S603
                        "--name", "U.S. Customs and Border Protection"], cwd=cwd, env=env, check=True,
                       capture_output=True)
        cases = {
            "python -c pass (peer: the interpreter alone)": [python, "-c", "pass"],
            "binational --help, every group imported (before)": [python, "-c", EAGER, "--help"],
            "binational --help": [python, "-c", CLI, "--help"],
            "binational discovery --help": [python, "-c", CLI, "discovery", "--help"],
            "binational agencies list": [python, "-c", CLI, "agencies", "list"],
        }
        for command in cases.values():  # warm the file cache once, untimed
            _timed(command, cwd, env)
        walls: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):  # interleaved, so a busy moment of the machine falls on every case alike
            for name, command in cases.items():
                wall, cpu = _timed(command, cwd, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    report = {
        "benchmark": "cli_start", "size": args.size, "runs": runs, "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
        "median_s": {name: round(statistics.median(values), 3) for name, values in walls.items()},
        "min_s": {name: round(min(values), 3) for name, values in walls.items()},
        "median_cpu_s": {name: round(statistics.median(values), 3) for name, values in cpus.items()},
    }
    width = max(len(name) for name in cases)
    print(f"{'command':<{width}}  median s  min s  median CPU s")
    for name in cases:
        print(f"{name:<{width}}  {report['median_s'][name]:>8.3f}  {report['min_s'][name]:>5.3f}  "
              f"{report['median_cpu_s'][name]:>12.3f}")
    print(f"load average at the end: {report['load_average']:.1f} on {report['cpus']} cores")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A new user's first hour on the command line, each as its own process: `--help` and simple commands
import no engine; commands run from the repository root after `make demo` find the demo's node;
without a node, a command says how to make one or point at one, and creates nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from binational.cli import SUB_APPS, load_sub_app
from tests.conftest import BACKEND, PG_ADMIN_URL

#: libraries a command imports only when it uses them (the `fastapi` of the served app among them)
HEAVY = ("followthemoney", "networkit", "splink", "duckdb", "pyspark", "faker", "fastapi", "uvicorn")
REPORT = "import sys; print(' '.join(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)"


def _run(cwd: Path, *args: str, report: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """`binational ARGS` in `cwd`, with no BINATIONAL_* setting but those given; with `report`, the heavy
    libraries the process had imported by its end are the last line of its stderr."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BINATIONAL_")}
    code = "from binational.cli import main\ntry:\n    main()\nfinally:\n    "
    code += REPORT.format(heavy=HEAVY) if report else "pass"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env={**clean, **env},  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


def test_help_and_a_simple_command_import_no_engine(tmp_path):
    shown = _run(tmp_path, "--help", report=True)
    assert shown.returncode == 0, shown.stderr
    assert all(name in shown.stdout for name in SUB_APPS)
    assert shown.stderr.strip() == "", shown.stderr  # nothing heavy imported
    assert _run(tmp_path, "init").returncode == 0
    listed = _run(tmp_path, "agencies", "list", report=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.strip() == "", listed.stderr
    group = _run(tmp_path, "discovery", "--help")
    assert group.returncode == 0 and "check" in group.stdout


def test_each_group_is_listed_with_its_own_help():
    for name, sub in SUB_APPS.items():
        command = load_sub_app(name)
        assert command.name == name and command.help == sub.help, name
        assert isinstance(command, typer.core.TyperGroup)


def test_without_a_node_a_command_says_how_to_get_one_and_creates_nothing(tmp_path):
    done = _run(tmp_path, "users", "list")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: no database at ./binational.db: run `binational init`")
    assert "BINATIONAL_DATABASE_URL" in line and "demo/binational.db" in line
    assert list(tmp_path.iterdir()) == []


def test_from_the_repository_root_commands_find_the_demos_node(tmp_path):
    demo = tmp_path / "demo"
    node = {"BINATIONAL_DATABASE_URL": f"sqlite:///{demo / 'binational.db'}",
            "BINATIONAL_AUDIT_KEY_PATH": str(demo / "audit.key"),
            "BINATIONAL_SECRET_KEY_PATH": str(demo / "secret.key")}
    demo.mkdir()
    assert _run(tmp_path, "init", **node).returncode == 0
    assert _run(tmp_path, "agencies", "add", "US-CBP", "--country", "US", "--name", "CBP", **node).returncode == 0
    found = _run(tmp_path, "agencies", "list")
    assert found.returncode == 0 and "US-CBP" in found.stdout, found.stderr
    assert found.stderr.strip() == ("using the demo's database demo/binational.db "
                                    "(set BINATIONAL_DATABASE_URL to use another)")
    assert not (tmp_path / "binational.db").exists()
    named = _run(tmp_path, "agencies", "list", BINATIONAL_DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}")
    assert named.returncode == 2 and "no database at" in named.stderr  # a named database is never swapped


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_demo_takes_a_port_and_installs_the_runtime_only():
    """`make -n` prints what the targets would run, running nothing."""
    root = Path(__file__).resolve().parents[2]

    def planned(*args: str) -> str:
        return subprocess.run(["make", "-n", *args], cwd=root, capture_output=True, text=True,  # noqa: S603,S607
                              timeout=60, check=True).stdout

    demo = planned("demo", "PORT=8010", "HOST=0.0.0.0", "DEMO_ARGS=--keep")
    assert "binational demo --nodes 1 --host 0.0.0.0 --port 8010 --keep" in demo
    assert "[dev" not in demo and "spark" not in demo
    tests = planned("test-sqlite", "test-postgresql")
    assert tests.count("-m pytest -n 2 --dist loadfile") == 2


@pytest.mark.postgresql
@pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL server is the suite's on its PostgreSQL run")
def test_a_postgresql_database_that_does_not_exist_is_one_line_and_exit_2(tmp_path):
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/binational_no_such_database"
    done = _run(tmp_path, "users", "list", BINATIONAL_DATABASE_URL=url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: no database 'binational_no_such_database' on 127.0.0.1: create it, then run `binational init`"]

"""`binational demo`: a world with a first hour of work on it (releases, requests in each state, a
finished resolution run), progress told in lines when the output is a log, and `--keep`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.access.models import Agency, Release
from binational.cli import app
from binational.clitools import reset_database
from binational.config import get_settings
from binational.db import Database, act_as_system
from binational.progress_lines import ProgressLines
from binational.requests.models import Request
from binational.resolution.models import ResolutionRun
from binational.scenario import generate
from tests.conftest import BACKEND

#: the users the test keeps (hashing all 45 demo passwords takes too long): who the first hour needs,
#: whose tokens the demo prints, who records the readouts, and a supervisor per agency to import its records
KEEP = {"cbp_analyst", "fgr_analyst", "cbp_auditor", "admin", "sre_analyst"}


def _small_world_in(folder: Path) -> None:
    out = folder / "world-small-7"
    generate(7, "small", out)
    users = out / "users.csv"
    with users.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["username"] in KEEP or r["roles"] == "supervisor"]
    with users.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.skipif(BACKEND == "postgresql", reason="the demo's node is SQLite in its folder, whatever the suite's")
def test_the_demo_starts_with_work_on_it_and_keeps_it(tmp_path, monkeypatch):
    for name in ("BINATIONAL_DATABASE_URL", "BINATIONAL_AUDIT_KEY_PATH", "BINATIONAL_SECRET_KEY_PATH"):
        monkeypatch.setenv(name, "")  # restored after the test: the demo points them at its folder
    folder = tmp_path / "demo"
    _small_world_in(folder)
    runner = CliRunner()
    try:
        built = runner.invoke(app, ["demo", "--folder", str(folder), "--size", "small", "--no-serve"])
        assert built.exit_code == 0, built.output
        # the output is not a terminal: progress comes as lines
        assert "loading users: 100% " in built.stderr and "resolving person: " in built.stderr, built.stderr
        assert "released 6 people between US-CBP and MX-FGR, sent 3 requests (acknowledged, answered, submitted)"\
            in built.stdout
        assert "resolution run finished" in built.stdout
        assert "a week of returns: " in built.stdout and "sent and received reconcile" in built.stdout
        db = Database(get_settings())
        with db.session() as s:
            act_as_system(s)
            states = sorted(s.execute(select(Request.state).where(Request.type == "information")).scalars())
            releases = s.execute(select(func.count()).select_from(Release)).scalar_one()
            runs = s.execute(select(ResolutionRun.status)).scalars().all()
            s.add(Agency(code="US-XYZ", country="US", name="Made after the demo started"))
            s.commit()
        db.dispose()
        assert states == ["acknowledged", "answered", "submitted"] and releases >= 7 and runs == ["finished"]

        kept = runner.invoke(app, ["demo", "--folder", str(folder), "--size", "small", "--no-serve", "--keep"])
        assert kept.exit_code == 0, kept.output
        assert "keeping the small world (seed 7)" in kept.stdout and "released " not in kept.stdout
        assert "API token of fgr_analyst: bnt_" in kept.stdout
        db = Database(get_settings())
        with db.session() as s:
            act_as_system(s)
            assert s.get(Agency, "US-XYZ") is not None  # what was done since is still there
        db.dispose()
    finally:
        get_settings.cache_clear()
        reset_database()


def test_progress_lines_tell_each_tenth_each_step_and_the_end():
    now = [0.0]
    out = io.StringIO()
    with ProgressLines("loading", quiet=0, seconds=5, stream=out, clock=lambda: now[0]) as lines:
        task = lines.add_task("", total=1000)
        for _ in range(100):
            now[0] += 0.01
            lines.advance(task, 10)
        steps = lines.add_task("", total=None)
        lines.update(steps, description="person: blocking", completed=1)
        lines.update(steps, completed=2)  # same step, within the seconds: no line
        now[0] += 6
        lines.update(steps, completed=3)  # the seconds passed: a line
    told = out.getvalue().splitlines()
    percents = [line.split(":")[1].split("%")[0].strip() for line in told[:11]]
    assert percents == ["1"] + [str(p) for p in range(10, 101, 10)]  # at once, then each tenth
    assert told[10] == "loading: 100% (1,000 of 1,000), 1 s"
    assert told[11:] == ["loading person: blocking: 1, 0 s", "loading person: blocking: 3, 6 s",
                         "loading person: blocking: 3, done, 6 s"]


def test_a_quick_piece_of_work_tells_nothing():
    now = [0.0]
    out = io.StringIO()
    with ProgressLines("verifying", quiet=10, stream=out, clock=lambda: now[0]) as lines:
        task = lines.add_task("", total=100)
        for _ in range(100):
            now[0] += 0.05
            lines.advance(task)
    assert out.getvalue() == ""
    with ProgressLines("importing", quiet=10, stream=out, clock=lambda: now[0]) as lines:
        task = lines.add_task("", total=100)
        for _ in range(100):
            now[0] += 0.5
            lines.advance(task)
    told = out.getvalue().splitlines()
    assert told[0] == "importing: 20% (20 of 100), 10 s" and told[-1] == "importing: 100% (100 of 100), 50 s"

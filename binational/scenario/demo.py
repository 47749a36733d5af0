"""`binational demo`: generate a synthetic world (once per size and seed), load it, print log-ins."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from binational.admin import service as admin
from binational.audit.scope import unit_of_work
from binational.db import Database, act_as_system
from binational.scenario import generate
from binational.scenario import load as loader

#: users whose API tokens the demo prints (one analyst per country, an auditor, the administrator)
TOKEN_USERS = ("cbp_analyst", "fgr_analyst", "cbp_auditor", "admin")


def world_folder(folder: Path, size: str, seed: int) -> Path:
    """Where the demo keeps the generated world of this size and seed."""
    return folder / f"world-{size}-{seed}"


def _generate(out: Path, size: str, seed: int, echo: Callable[[str], None]) -> None:
    if (out / "manifest.json").is_file():
        echo(f"using the {size} world already generated in {out}")
        return
    partial = out.with_name(out.name + ".part")
    if partial.exists():
        for path in sorted(partial.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        partial.rmdir()
    started = time.perf_counter()
    with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("generate", total=None)
        generate(seed, size, partial, progress=lambda done, total: bar.update(task, completed=done, total=total))
    partial.rename(out)
    echo(f"generated the {size} world (seed {seed}) in {time.perf_counter() - started:.1f} s")


def _logins(folder: Path, home: str) -> str:
    with (folder / "users.csv").open(encoding="utf-8", newline="") as handle:
        users = list(csv.DictReader(handle))
    table = Table("username", "agency", "roles", "clearance", "password", title="demo log-ins (demo only)")
    for user in users:
        table.add_row(user["username"], user["agency"] or home, user["roles"].replace(";", ", "),
                      user["clearance"], user["password"])
    out = io.StringIO()
    Console(file=out, width=110, force_terminal=False).print(table)
    return out.getvalue()


def build(*, db: Database, folder: Path, size: str, seed: int, echo: Callable[[str], None]) -> None:
    """Fill the (fresh, migrated) database with the world of `size` and `seed`, then print log-ins and tokens."""
    world = world_folder(folder, size, seed)
    _generate(world, size, seed, echo)
    started = time.perf_counter()
    checked = loader.read_folder(world)
    with Progress(TextColumn("loading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("", total=checked.lines + len(checked.users))
        with unit_of_work(db) as session:
            done = loader.load(session=session, folder=checked,
                               progress=lambda what, n: bar.update(task, advance=n, description=what))
    echo(f"loaded {done.agencies} agencies, {done.users} users and {sum(done.entities.values())} entities "
         f"in {time.perf_counter() - started:.1f} s")
    home = loader.home_agency(checked)
    echo(_logins(world, home))
    with unit_of_work(db) as session:
        act_as_system(session)  # the node operator
        for username in TOKEN_USERS:
            _row, secret = admin.create_token(session=session, actor=None, username=username, days=30)
            echo(f"API token of {username}: {secret}")
    echo("sign in to the web interface with a username and password above (the address follows); "
         "the API documentation is at /api/v1/docs")

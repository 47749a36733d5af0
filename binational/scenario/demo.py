"""`binational demo`: generate a synthetic world (once per size and seed), load it, play the first hour
of work on it (binational/scenario/activity.py), print log-ins. With `--keep`, a world loaded by an
earlier run of the same size and seed is kept as it is, with whatever was done on it since. Its steps
are long: where the output is a log, each tells its progress in lines from its start."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from binational.admin import service as admin
from binational.audit.scope import unit_of_work
from binational.clitools import progress_bar
from binational.db import Database, act_as_system
from binational.engagements import demo as engagements_demo
from binational.scenario import activity, generate
from binational.scenario import load as loader
from binational.trade import demo as trade_demo

#: users whose API tokens the demo prints (one analyst per country, an auditor, the administrator)
TOKEN_USERS = ("cbp_analyst", "fgr_analyst", "cbp_auditor", "admin")
#: written in the demo's folder once its world is loaded and played: what `--keep` keeps
LOADED = "loaded.json"


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
    with progress_bar("generating", quiet=0) as bar:
        task = bar.add_task("", total=None)
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


def kept(folder: Path) -> dict[str, object] | None:
    """The size and seed of the world an earlier run loaded into `folder` (None: none was finished)."""
    try:
        loaded = json.loads((folder / LOADED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) and (folder / "binational.db").is_file() else None


def forget(folder: Path) -> None:
    """Remove the demo's database from `folder` (its keys and generated worlds stay)."""
    for name in (LOADED, "binational.db", "binational.db-wal", "binational.db-shm"):
        (folder / name).unlink(missing_ok=True)


def build(*, db: Database, folder: Path, size: str, seed: int, echo: Callable[[str], None]) -> None:
    """Fill the (fresh, migrated) database with the world of `size` and `seed`, play the first hour of
    work on it, note it as loaded, then print log-ins and tokens."""
    world = world_folder(folder, size, seed)
    _generate(world, size, seed, echo)
    started = time.perf_counter()
    checked = loader.read_folder(world)
    with progress_bar("loading", quiet=0) as bar:
        task = bar.add_task("", total=checked.lines + len(checked.users))
        with unit_of_work(db) as session:
            done = loader.load(session=session, folder=checked,
                               progress=lambda what, n: bar.update(task, advance=n, description=what))
    db.analyze()
    echo(f"loaded {done.agencies} agencies, {done.users} users and {sum(done.entities.values())} entities "
         f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    echo(f"a first hour of work: releases and requests between {activity.US} and {activity.MX}, a resolution run")
    with progress_bar("resolving", quiet=0) as bar:
        task = bar.add_task("", total=None)
        played = activity.play(db, progress=lambda step, n, total: bar.update(
            task, description=step, completed=n, total=total or None))
    echo(f"released {sum(len(ids) for ids in played.released.values())} people between {activity.US} and "
         f"{activity.MX}, sent {len(played.requests)} requests ({', '.join(sorted(played.requests.values()))}); "
         f"resolution run {played.run_status}: {played.run_message} ({time.perf_counter() - started:.1f} s)")
    trade_demo.load(db, world, folder, echo)
    engagements_demo.load(db, echo)
    (folder / LOADED).write_text(json.dumps({"size": size, "seed": seed}) + "\n", encoding="utf-8")
    welcome(db=db, folder=folder, size=size, seed=seed, echo=echo)


def welcome(*, db: Database, folder: Path, size: str, seed: int, echo: Callable[[str], None]) -> None:
    """Print the demo's log-ins and new API tokens of its main users."""
    world = world_folder(folder, size, seed)
    checked = loader.read_folder(world)
    home = loader.home_agency(checked)
    echo(_logins(world, home))
    with unit_of_work(db) as session:
        act_as_system(session)  # the node operator
        for username in TOKEN_USERS:
            _row, secret = admin.create_token(session=session, actor=None, username=username, days=30)
            echo(f"API token of {username}: {secret}")
    echo("sign in to the web interface with a username and password above (the address follows); "
         "the API documentation is at /api/v1/docs (Swagger UI) and /api/v1/redoc")

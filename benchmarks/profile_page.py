"""What the profile of a record costs: the page `/entities/{id}` against the record alone.

Claim (issue 13): a record's profile page is served in under 300 ms (p95) on the small world. The
profile reads, besides the record, the records around it, the other parties of its relationships, its
resolved cluster and (for the owner's supervisors) its readers; the peer is the read a page would make
without them, the record alone through the API (`GET /api/v1/entities/{id}`).

Without `--url`, the world of `--size` (small: 300 people) is generated, loaded into a fresh SQLite
database and resolved; with `--url`, a loaded and resolved world is used as it is. Each of the
`--records` most-linked people a viewer may see is read `--rounds` times by `fgr_analyst` (a partner
for most of them) and `cbp_analyst`, signed in to the web pages. Writes benchmarks/results/profile_page.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.access import service as access
from binational.access.policy import live_and_visible
from binational.app import create_app
from binational.audit.scope import act_as, unit_of_work
from binational.config import Settings, get_settings
from binational.db import Database, act_as_system
from binational.entities.models import Entity, Statement
from binational.resolution import runs
from binational.scenario import generate
from binational.scenario import load as loader
from binational.schema import upgrade

RESULTS = Path(__file__).parent / "results"
USERS = ("fgr_analyst", "cbp_analyst")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _world(folder: Path, size: str) -> tuple[Settings, dict[str, str]]:
    """A fresh SQLite database with the world of `size` loaded and resolved; the users' passwords."""
    # The services read the one settings object (`get_settings`): the world's database is set for them.
    os.environ.update({"BINATIONAL_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                       "BINATIONAL_AUDIT_KEY_PATH": str(folder / "audit.key"), "BINATIONAL_ENVIRONMENT": "test",
                       "BINATIONAL_SECRET_KEY": "profile-page-benchmark"})
    get_settings.cache_clear()
    settings = get_settings()
    db = Database(settings)
    upgrade(db.engine, settings)
    generate(7, size, folder / "world")
    checked = loader.read_folder(folder / "world")
    with unit_of_work(db) as session:
        loader.load(session=session, folder=checked)
    with unit_of_work(db) as session:
        act_as_system(session)
        run = runs.run(session=session, actor=None)
        print(f"resolution: {run.message}")
    with (folder / "world" / "users.csv").open(encoding="utf-8", newline="") as handle:
        return settings, {u["username"]: u["password"] for u in csv.DictReader(handle)}


def _most_linked(db: Database, username: str, count: int) -> list[str]:
    """The people `username` may see that the most visible references name."""
    with unit_of_work(db) as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
        act_as(s, actor)
        query = (select(Entity.id).join(Statement, Statement.value == Entity.id)
                 .where(Entity.schema == "Person", live_and_visible(actor, Entity), Statement.prop_type == "entity",
                        Statement.deleted_at.is_(None))
                 .group_by(Entity.id).order_by(func.count().desc(), Entity.id).limit(count))
        return list(s.execute(query).scalars())


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1)}


def _time(client: TestClient, url: str, headers: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    r = client.get(url, headers=headers or {})
    elapsed = time.perf_counter() - start
    assert r.status_code == 200, (url, r.status_code)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Time the profile pages and the plain reads; print a table; write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", help="the world generated when no --url is given")
    parser.add_argument("--url", help="a loaded and resolved world's database (its users' passwords in --users)")
    parser.add_argument("--users", type=Path, help="users.csv of the loaded world (with --url)")
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            os.environ["BINATIONAL_DATABASE_URL"] = args.url
            get_settings.cache_clear()
            settings = get_settings()
            with args.users.open(encoding="utf-8", newline="") as handle:
                passwords = {u["username"]: u["password"] for u in csv.DictReader(handle)}
        else:
            settings, passwords = _world(Path(tmp), args.size)
        db = Database(settings)
        rows: list[dict[str, Any]] = []
        with TestClient(create_app(settings, db)) as client:
            for username in USERS:
                ids = _most_linked(db, username, args.records)
                token = CSRF.search(client.get("/login").text)
                assert token is not None
                client.post("/login", data={"username": username, "password": passwords[username],
                                            "csrf": token.group(1), "next": "/"})
                with unit_of_work(db) as s:
                    act_as_system(s)
                    _row, secret = access.create_token(
                        session=s, user=access.get_user(session=s, username=username), days=1)
                bearer = {"Authorization": f"Bearer {secret}"}
                for page, url in (("profile page", "/entities/{}"), ("record alone (API)", "/api/v1/entities/{}")):
                    times = [_time(client, url.format(i), bearer if "api" in url else None)
                             for _ in range(args.rounds) for i in ids]
                    row = {"user": username, "request": page, "records": len(ids), "reads": len(times),
                           **_percentiles(times)}
                    rows.append(row)
                    print(f"{username:12} {page:20} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms")
                client.cookies.clear()
        db.engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "profile_page.json").write_text(json.dumps({"size": args.size, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

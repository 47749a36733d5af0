"""Pages of requests and of the audit log on the synthetic world, and the audit export beside its peer.

Claims (issue 13, points 5 and 7): the inbox, outbox, notifications, home and audit pages (filtered by
user, action and record) answer with p95 under 300 ms on the small world; one view of the home page
adds one audit entry (it added five); the audit export streams the auditor's view of the log at a
rate close to its peer, the same rows read straight from the database and written by Python's `csv`
with no policy at all (what an operator with the database's own tools would do).

The world is generated and loaded by `binational scenario` into a fresh SQLite database in a temporary
folder (or `--url` names one already loaded, on SQLite or PostgreSQL); the senders then send
`--requests` requests (subjects, due dates) across the partner agencies, through the service.

    python -m benchmarks.followable_pages --size small
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.access import service as access
from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.config import Settings, get_settings
from binational.db import Database, act_as, act_as_system
from binational.requests import service as requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "followable_pages.json"
WORLDS = {"small": "small", "large": "medium"}
TARGET_P95_MS = 300.0
#: (sender, receiving agency): requests go both ways between partners
ROUTES = (("cbp_analyst", "MX-FGR"), ("fgr_analyst", "US-CBP"), ("inm_analyst", "US-CBP"), ("cbp_analyst", "MX-INM"))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "binational", *args], env=env, check=True, cwd=ROOT,  # noqa: S603
                   stdout=subprocess.DEVNULL, timeout=3600)


def _prepare(size: str, url: str | None, folder: Path) -> Settings:
    """The node's settings on a database holding the world (generated and loaded into `folder` unless
    `url` names one; its keys are then those of the environment)."""
    env = {"BINATIONAL_USER_REQUESTS_PER_MINUTE": "0", "BINATIONAL_REQUESTS_PER_USER_HOUR": "1000000"}
    if url is None:
        env |= {"BINATIONAL_AUDIT_KEY_PATH": str(folder / "audit.key"),
                "BINATIONAL_SECRET_KEY_PATH": str(folder / "secret.key"),
                "BINATIONAL_DATABASE_URL": f"sqlite:///{folder / 'world.db'}"}
    else:
        env["BINATIONAL_DATABASE_URL"] = url
    os.environ.update(env)  # the services read the same settings as the node
    get_settings.cache_clear()
    if url is None:
        child = {**os.environ, "PYTHONPATH": str(ROOT)}
        _cli(child, "scenario", "generate", "--size", WORLDS[size], "--out", str(folder / "world"))
        _cli(child, "init")
        _cli(child, "scenario", "load", str(folder / "world"))
    return get_settings()


def _send(db: Database, count: int) -> list[str]:
    """Send `count` requests along ROUTES; return their ids."""
    ids = []
    with db.unit_of_work() as s:
        for n in range(count):
            sender, to = ROUTES[n % len(ROUTES)]
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=sender))
            act_as(s, actor)
            ids.append(requests.submit(session=s, actor=actor, type="information", to_agency=to,
                                       subject=f"Crossing {n} at the Laredo bridge",
                                       question=f"Who crossed with the vehicle of case {n}?").id)
    return ids


def _sign_in(client: TestClient, username: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token, "no sign-in form"
    r = client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token.group(1),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, f"{username} could not sign in: {r.status_code}"


def _time(client: TestClient, path: str, repeat: int) -> dict[str, Any]:
    client.get(path)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "bytes": len(r.content)}


def _peer_export(db: Database, username: str) -> tuple[int, float]:
    """The peer: one user's entries straight from the table, written by `csv`, with no policy."""
    start = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out)
    with db.session() as s:
        act_as_system(s)
        user = access.get_user(session=s, username=username)
        rows = s.execute(select(AuditEntry.entry).where(AuditEntry.actor_id == user.id)
                         .order_by(AuditEntry.seq.desc())).scalars()
        count = 0
        for entry in rows:
            body = json.loads(entry)
            writer.writerow([body["seq"], body["time"], body["actor"], body["agency"], body["action"],
                             body["decision"], body["reason"], " ".join(body["objects"]), body["request_id"]])
            count += 1
    return count, time.perf_counter() - start


def _entries(db: Database) -> int:
    with db.session() as s:
        act_as_system(s)
        return int(s.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def run(size: str, url: str | None, count: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-follow-") as tmp:
        settings = _prepare(size, url, Path(tmp))
        db = Database(settings)
        ids = _send(db, count)
        pages: dict[str, dict[str, Any]] = {}
        with TestClient(create_app(settings, db)) as client:
            _sign_in(client, "fgr_supervisor")
            before = _entries(db)
            client.get("/")
            home_entries = _entries(db) - before
            for path in ("/", "/requests?box=inbox", "/requests?box=inbox&overdue=true", "/notifications"):
                pages[f"fgr_supervisor {path}"] = _time(client, path, repeat)
            client.cookies.clear()
            _sign_in(client, "cbp_analyst")
            pages["cbp_analyst /requests?box=outbox"] = _time(client, "/requests?box=outbox", repeat)
            client.cookies.clear()
            _sign_in(client, "cbp_auditor")
            for path in ("/audit", "/audit?user=cbp_analyst", "/audit?action=request.create",
                         f"/audit?object_id={ids[0]}", "/audit?since=2020-01-01&until=2099-12-31"):
                pages[f"cbp_auditor {path}"] = _time(client, path, repeat)
            export = _time(client, "/audit/export.csv?user=cbp_analyst", 5)
            ours_s = export["p50_ms"] / 1000
            ours_rows = len(client.get("/audit/export.csv?user=cbp_analyst").text.splitlines()) - 1
        runs = [_peer_export(db, "cbp_analyst") for _ in range(5)]
        peer_rows, peer_s = runs[0][0], statistics.median(seconds for _rows, seconds in runs)
        db.dispose()
    return {
        "size": size, "requests": count, "repeat": repeat, "pages": pages,
        "slowest_p95_ms": max(p["p95_ms"] for p in pages.values()), "target_p95_ms": TARGET_P95_MS,
        "home_view_audit_entries": home_entries,
        "export": {"ours": {"rows": ours_rows, "seconds": round(ours_s, 3),
                            "rows_per_s": round(ours_rows / ours_s) if ours_s else None},
                   "peer_raw_csv": {"rows": peer_rows, "seconds": round(peer_s, 3),
                                    "rows_per_s": round(peer_rows / peer_s) if peer_s else None}},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(WORLDS), default="small")
    parser.add_argument("--url", help="a database already holding the world (skip generating and loading)")
    parser.add_argument("--requests", type=int, default=200, help="requests sent before the pages are timed")
    parser.add_argument("--repeat", type=int, default=30, help="timed loads of each page")
    args = parser.parse_args(argv)
    result = run(args.size, args.url, args.requests, args.repeat)
    print(f"{'page':<62} {'p50 ms':>8} {'p95 ms':>8}")
    for name, page in result["pages"].items():
        print(f"{name:<62} {page['p50_ms']:>8} {page['p95_ms']:>8}")
    print(f"slowest p95 {result['slowest_p95_ms']} ms (target {TARGET_P95_MS} ms); "
          f"audit entries per home view: {result['home_view_audit_entries']}")
    ours, peer = result["export"]["ours"], result["export"]["peer_raw_csv"]
    print(f"export of cbp_analyst's entries: ours (an HTTP request, policy, audited) {ours['rows']} rows in "
          f"{ours['seconds']} s; peer (the table to csv, no policy) {peer['rows']} rows in {peer['seconds']} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["slowest_p95_ms"] <= TARGET_P95_MS and result["home_view_audit_entries"] == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Every navigation page on the medium world, beside the same data read through the JSON API.

Claim (issue 13, Measure): every navigation page answers with p95 under 300 ms on the medium world.
The peer of each page is what the page shows without the page: the same list or record through the
JSON API (bearer token, policy, audit, JSON), or, where a page has no API twin (the home page's
picture, the network overview), the service call that builds it, in process. The difference is what
the page itself costs (the session, rendering, labels, clocks).

Without `--url`, the world of `--size` (medium: 88,626 entities) is generated and loaded into a fresh
SQLite database in a temporary folder and the demo's first hour is played on it (releases and requests
between US-CBP and MX-FGR, a finished resolution run: binational/scenario/activity.py); with `--url`,
a database already loaded and played is used as it is (its keys are those of the environment).

Each page is loaded `--repeat` times after one warm-up by a user signed in through the web pages
(an analyst of each country, a supervisor, an auditor, the administrator). Wall time and CPU time
(`time.process_time`, steadier on a shared machine; it counts the test client's work and the
server's, which run in this one process) are reported as p50 and p95.

    python -m benchmarks.navigation_pages --size large
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from binational.access import service as access
from binational.access.policy import Actor
from binational.admin import service as admin
from binational.app import create_app
from binational.audit.scope import act_as, unit_of_work
from binational.config import Settings, get_settings
from binational.dashboard import service as dashboard
from binational.db import Database, act_as_system
from binational.networks import service as networks
from binational.scenario import activity, generate
from binational.scenario import load as loader
from binational.schema import upgrade

RESULTS = Path(__file__).parent / "results" / "navigation_pages.json"
WORLDS = {"small": "small", "large": "medium"}
TARGET_P95_MS = 300.0
#: a call whose warm-up takes longer than this many seconds is timed by that one load only
SLOW_S = 5.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: a name to search for: common in both countries' records of the synthetic world
QUERY = "garcia"
#: the users whose pages are timed, in this order
USERS = ("cbp_analyst", "fgr_analyst", "cbp_supervisor", "cbp_auditor", "admin")

Peer = tuple[str, str] | tuple[str, Callable[[Any, Actor], Any]] | None


def _prepare(size: str, url: str | None, folder: Path) -> Settings:
    """The node's settings on a database holding the world with its first hour played."""
    env = {"BINATIONAL_USER_REQUESTS_PER_MINUTE": "0", "BINATIONAL_REQUESTS_PER_USER_HOUR": "1000000"}
    if url is None:
        env |= {"BINATIONAL_AUDIT_KEY_PATH": str(folder / "audit.key"),
                "BINATIONAL_SECRET_KEY": "navigation-pages-benchmark",
                "BINATIONAL_DATABASE_URL": f"sqlite:///{folder / 'world.db'}"}
    else:
        env["BINATIONAL_DATABASE_URL"] = url
    os.environ.update(env)  # the services read the same settings as the node
    get_settings.cache_clear()
    settings = get_settings()
    if url is None:
        db = Database(settings)
        upgrade(db.engine, settings)
        started = time.perf_counter()
        generate(7, WORLDS[size], folder / "world")
        with unit_of_work(db) as session:
            loader.load(session=session, folder=loader.read_folder(folder / "world"))
        played = activity.play(db)
        print(f"world loaded and first hour played in {time.perf_counter() - started:.0f} s: "
              f"resolution {played.run_status}: {played.run_message}", flush=True)
        db.dispose()
    return settings


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    token = CSRF.search(client.get("/login").text)
    assert token, "no sign-in form"
    r = client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token.group(1),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, f"{username} could not sign in: {r.status_code}"


def _quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 1), "p95": round(ordered[round(0.95 * (len(ordered) - 1))], 1)}


def _timed(call: Callable[[], int], repeat: int) -> dict[str, Any]:
    """Wall and CPU milliseconds of `call` over `repeat` runs after one warm-up (or of the warm-up alone
    when it took more than SLOW_S), and the statuses it answered (a page past the node's time budget
    answers 503)."""
    wall, cpu, statuses = [], [], Counter[str]()
    for n in range(repeat + 1):
        started, used = time.perf_counter(), time.process_time()
        status = call()
        if n or time.perf_counter() - started > SLOW_S:  # the warm-up, unless far past any target: then alone
            statuses[str(status)] += 1
            cpu.append((time.process_time() - used) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        if wall and wall[0] > SLOW_S * 1000:
            break
    w, c = _quantiles(wall), _quantiles(cpu)
    return {"loads": len(wall), "p50_ms": w["p50"], "p95_ms": w["p95"], "cpu_p50_ms": c["p50"], "cpu_p95_ms": c["p95"],
            "statuses": dict(statuses)}


def _status(client: TestClient, path: str, headers: dict[str, str] | None = None) -> int:
    r = client.get(path, headers=headers or {})
    assert r.status_code in (200, 503), (path, r.status_code, r.text[:300])
    return r.status_code


class Ids:
    """The records the pages open, picked from the API's answers to each user."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def first(self, path: str, key: str = "items") -> str | None:
        """The first item's id (None if there is none, or the list is past the node's time budget)."""
        r = self.client.get(path, headers=self.headers)
        assert r.status_code in (200, 503), (path, r.status_code, r.text[:300])
        items = r.json()[key] if r.status_code == 200 else []
        return str(items[0]["id"]) if items else None


def _pages(username: str, ids: Ids, audit_request: str | None) -> list[tuple[str, Peer]]:
    """(page, peer) of `username`: the peer an API path or a service call building the same data; the
    auditor filters the log to `audit_request` (a request of the first analyst)."""
    if username == "cbp_auditor":
        filters = ["", "?user=cbp_analyst", "?action=request.create", "?since=2020-01-01&until=2099-12-31",
                   *([f"?object_id={audit_request}"] if audit_request else [])]
        return [("/", ("service", lambda s, actor: dashboard.picture(session=s, actor=actor))),
                *((f"/audit{f}", ("api", f"/api/v1/audit{f}")) for f in filters)]
    if username == "admin":
        return [("/admin/agencies", ("api", "/api/v1/agencies")), ("/admin/users", ("api", "/api/v1/users")),
                ("/admin/tokens", None)]
    found = ids.first(f"/api/v1/search?q={QUERY}")
    inbox = ids.first("/api/v1/requests?box=inbox")
    outbox = ids.first("/api/v1/requests?box=outbox")
    pair = ids.first("/api/v1/resolution/suggestions?limit=1")
    pages: list[tuple[str, Peer]] = [
        ("/", ("service", lambda s, actor: dashboard.picture(session=s, actor=actor))),
        (f"/search?q={QUERY}", ("api", f"/api/v1/search?q={QUERY}")),
        ("/entities", ("api", "/api/v1/entities")),
        ("/requests?box=inbox", ("api", "/api/v1/requests?box=inbox")),
        ("/requests?box=outbox", ("api", "/api/v1/requests?box=outbox")),
        ("/notifications", ("api", "/api/v1/notifications")),
        ("/discovery", None),
        ("/discovery/notices", ("api", "/api/v1/discovery/notices")),
        ("/resolution", ("api", "/api/v1/resolution/suggestions?unjudged=true /api/v1/resolution/suggestions/totals")),
        ("/network", ("service", lambda s, actor: networks.overview(session=s, actor=actor))),
    ]
    if found:
        pages += [(f"/entities/{found}", ("api", f"/api/v1/entities/{found}/profile")),
                  (f"/network?entity={found}", ("api", f"/api/v1/networks/ego/{found}"))]
    for request_id in dict.fromkeys(r for r in (inbox, outbox) if r):
        pages.append((f"/requests/{request_id}", ("api", f"/api/v1/requests/{request_id}")))
    if pair:
        pages.append((f"/resolution/{pair}", ("api", f"/api/v1/resolution/suggestions/{pair}")))
    return pages


def _peer(peer: Peer, client: TestClient, headers: dict[str, str], db: Database, actor: Actor,
          repeat: int) -> dict[str, Any] | None:
    if peer is None:
        return None
    kind, what = peer
    if kind == "api":
        paths = str(what).split()  # a page reading two lists: both, one after the other
        return {"what": " + ".join(f"GET {p}" for p in paths),
                **_timed(lambda: max(_status(client, p, headers) for p in paths), repeat)}

    def service_call() -> int:
        with unit_of_work(db) as s:
            act_as(s, actor)
            what(s, actor)  # type: ignore[operator]
        return 200

    return {"what": f"{what.__qualname__ if callable(what) else what} in process", **_timed(service_call, repeat)}


def _shape(path: str) -> str:
    """A page's path without its query, a record's id as `{id}`: what `--page` names."""
    parts = path.split("?")[0].split("/")
    return "/".join("{id}" if n > 1 and any(c.isdigit() for c in part) else part for n, part in enumerate(parts))


def run(size: str, url: str | None, repeat: int, only: set[str] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-navigation-") as tmp:
        settings = _prepare(size, url, Path(tmp))
        db = Database(settings)
        tokens, actors = {}, {}
        with unit_of_work(db) as s:
            act_as_system(s)  # the node operator issues the peers' tokens
            for username in USERS:
                tokens[username] = admin.create_token(session=s, actor=None, username=username, days=1)[1]
                actors[username] = access.actor_for(session=s, user=access.get_user(session=s, username=username))
        rows: list[dict[str, Any]] = []
        with TestClient(create_app(settings, db)) as client:
            sent = Ids(client, {"Authorization": f"Bearer {tokens[USERS[0]]}"}).first("/api/v1/requests?box=outbox")
            for username in USERS:
                headers = {"Authorization": f"Bearer {tokens[username]}"}
                pages = _pages(username, Ids(client, headers), sent)
                _sign_in(client, username)
                for path, peer in pages:
                    if only and _shape(path) not in only:
                        continue
                    page = _timed(lambda path=path: _status(client, path), repeat)  # type: ignore[misc]
                    rows.append({"user": username, "page": path, **page,
                                 "peer": _peer(peer, client, headers, db, actors[username], repeat)})
                    peer_p95 = rows[-1]["peer"]["p95_ms"] if peer else "-"
                    print(f"{username:<15} {path[:55]:<55} {page['p50_ms']:>7} {page['p95_ms']:>7} "
                          f"{page['cpu_p95_ms']:>7} {peer_p95:>8}  {page['statuses']}", flush=True)
        db.dispose()
    return {
        "size": size, "database": settings.database_url.split(":", 1)[0], "repeat": repeat, "pages": rows,
        "slowest_p95_ms": max((r["p95_ms"] for r in rows), default=None),
        "slowest_cpu_p95_ms": max((r["cpu_p95_ms"] for r in rows), default=None),
        "target_p95_ms": TARGET_P95_MS,
        "over_target": [f"{r['user']} {r['page']}" for r in rows
                        if r["p95_ms"] > TARGET_P95_MS or set(r["statuses"]) != {"200"}],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": [round(x, 1) for x in os.getloadavg()]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(WORLDS), default="small",
                        help="small: the small world; large: the medium world")
    parser.add_argument("--url", help="a database already loaded and played (skip generating and loading)")
    parser.add_argument("--repeat", type=int, default=20, help="timed loads of each page and of its peer")
    parser.add_argument("--page", action="append", default=[], metavar="PATH",
                        help="time only this page (its path up to `?`, `{id}` for a record's); repeatable")
    args = parser.parse_args(argv)
    print(f"{'user':<15} {'page':<55} {'p50 ms':>7} {'p95 ms':>7} {'cpu p95':>7} {'peer p95':>8}  statuses")
    result = run(args.size, args.url, args.repeat, set(args.page))
    print(f"slowest p95 {result['slowest_p95_ms']} ms (target {TARGET_P95_MS} ms); "
          f"over the target: {', '.join(result['over_target']) or 'none'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if not result["over_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

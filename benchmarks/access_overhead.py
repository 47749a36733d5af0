"""What the sharing policy costs: the list, search and single-entity reads of a partner-agency analyst,
with the policy and without it, in one run on one PostgreSQL database.

A fresh database (`binational_bench`) is migrated and bulk-loaded with entities of seven agencies of
both countries (`_pgworld`). The MX-FGR analyst then reads, at a fixed concurrency, through five
tiers (`_tiers`): raw SQL with no policy (the peer: what a database without our policy pays), the
policy's own SQL, the policy's SQL through SQLAlchemy with row-level security, the service (plus
audit append and assembly), and the real API served by uvicorn in a subprocess. It prints a table
and writes benchmarks/results/access_overhead.json.

    python -m benchmarks.access_overhead --size small     # 5,000 entities, a couple of minutes
    python -m benchmarks.access_overhead --size large     # 100,000 entities, ~1,000,000 statements
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select

from benchmarks import _pgworld, _tiers
from binational.access import service as access
from binational.access.policy import visible
from binational.audit.sequencer import Sequencer
from binational.config import Settings
from binational.db import Database, act_as_system
from binational.entities.models import Entity
from binational.entities.terms import words

#: worker processes of the `api_workers` tier: one per core of the 2-core target machine
WORKERS = 2
API_TIERS = ("api", "api_workers")
SIZES = {"small": {"entities": 5_000, "requests": 200}, "large": {"entities": 100_000, "requests": 800}}
#: a single read is cheap: four times the requests, so that its p99 rests on more than a few of them
GET_REQUESTS = 4
LIST_WALK = 5  # pages followed before a walk starts again at the first page
TARGET_POLICY_COST = 0.30
TARGET_PAGE_P99_MS = 50.0
TARGET_GET_P99_MS = 10.0
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "access_overhead.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "BINATIONAL_DATABASE_URL": settings.database_url, "BINATIONAL_AUDIT_KEY_PATH": str(settings.audit_key_path),
        "BINATIONAL_SECRET_KEY": settings.secret_key, "BINATIONAL_ENVIRONMENT": settings.environment,
        "BINATIONAL_NODE_NAME": settings.node_name,
    })
    return env


def start_server(settings: Settings, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """The real app on a free loopback port, served as a node serves it, by `binational serve
    --workers N`; waits until it answers."""
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "from binational.cli import main; main()", "serve", "--workers", str(workers),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=_env(settings),
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the API server did not start")


def measure(make: Callable[[], Any], op: str, work: list[Any], concurrency: int) -> dict[str, Any]:
    """Run `work` (one item per call) on `concurrency` threads, each with its own tier instance."""
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [work[i::concurrency] for i in range(concurrency)]

    def worker(items: list[Any]) -> None:
        tier = make()
        mine = []
        state = None
        try:
            for index, item in enumerate(items):
                t0 = time.perf_counter()
                if op == "list":
                    state = tier.list_page(state)
                elif op == "search":
                    tier.search(item)
                else:
                    tier.get(item)
                mine.append(time.perf_counter() - t0)
                if op == "list" and (state is None or index % LIST_WALK == LIST_WALK - 1):
                    state = None
        finally:
            tier.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker, chunk) for chunk in chunks]:
            future.result()
    wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {
        "requests": len(ms), "seconds": round(wall, 3), "throughput": round(len(ms) / wall, 1),
        "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def _search_prefixes(surnames: list[str], rng: random.Random, n: int = 40) -> list[str]:
    prefixes = sorted({w[:4] for s in surnames for w in words(s)[:1] if len(w) >= 4})
    return rng.sample(prefixes, min(n, len(prefixes)))


def run(size: str, concurrency: int, admin_url: str, database: str, skip_load: bool) -> dict[str, Any]:
    """Load (unless asked not to), measure every tier on every operation, and return the results."""
    spec = SIZES[size]
    workdir = Path(tempfile.mkdtemp(prefix="binational-bench-"))
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    settings = Settings(database_url=url, audit_key_path=workdir / "audit.key", environment="local",
                        secret_key="benchmark-secret", node_name="benchmark.local")
    os.environ.update({k: v for k, v in _env(settings).items() if k.startswith("BINATIONAL_")})
    from binational.config import get_settings

    get_settings.cache_clear()
    if skip_load:
        from binational.schema import upgrade

        db = Database(settings)
        upgrade(db.engine, settings)
        loaded = _pgworld.Loaded(url=url, surnames=_pgworld.Pools(11).last)
    else:
        _pgworld.create_database(admin_url, database)
        print(f"loading {spec['entities']:,} entities into {database} ...", flush=True)
        loaded = _pgworld.load(settings, entities=spec["entities"], echo=lambda m: print(m, flush=True))
        db = Database(settings)
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        user = access.get_user(session=s, username=_pgworld.VIEWER)
        actor = access.actor_for(session=s, user=user)
        _, token = access.create_token(session=s, user=user, days=1)
    with psycopg.connect(_tiers.psycopg_dsn(url)) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]  # noqa: S608
                  for t in ("entities", "statements", "search_terms", "releases")}
        pg_version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    seen = (Entity.deleted_at.is_(None), visible(actor, Entity))
    with psycopg.connect(_tiers.psycopg_dsn(url)) as conn:
        sql, params = _tiers.compile_sql(select(func.count()).select_from(Entity).where(*seen))
        visible_count = conn.execute(sql, params).fetchone()[0]  # type: ignore[index]
        sql, params = _tiers.compile_sql(select(Entity.id).where(*seen).order_by(func.random()).limit(500))
        entity_ids = [r[0] for r in conn.execute(sql, params).fetchall()]
    print(f"{counts['entities']:,} entities, {counts['statements']:,} statements, {counts['search_terms']:,} terms, "
          f"{counts['releases']:,} releases; {visible_count:,} visible to {_pgworld.VIEWER_AGENCY} analyst",
          flush=True)

    rng = random.Random(5)  # noqa: S311
    n = spec["requests"]
    prefixes = _search_prefixes(loaded.surnames, rng)
    work = {
        "list": list(range(n)),
        "search": [prefixes[i % len(prefixes)] for i in range(n)],
        "get": [entity_ids[i % len(entity_ids)] for i in range(n * GET_REQUESTS)],
    }
    proc, base = start_server(settings)
    proc_workers, base_workers = start_server(settings, WORKERS)
    # As the served app does at start-up (binational.app._serving): the modules imported here leave
    # ~200,000 objects that a full garbage collection would walk, stalling whichever tier is running.
    gc.freeze()
    tiers: dict[str, Callable[[], Any]] = {
        "raw": lambda: _tiers.RawSQL(url),
        "policy_sql": lambda: _tiers.PolicySQL(url, actor),
        "policy_orm": lambda: _tiers.PolicyORM(db, actor),
        "service": lambda: _tiers.Service(db, _pgworld.VIEWER),
        "api": lambda: _tiers.Api(base, token),
        "api_workers": lambda: _tiers.ApiWorkers(base_workers, token),
    }
    results: dict[str, dict[str, Any]] = {}
    try:
        for op in ("list", "search", "get"):
            results[op] = {}
            for key, make in tiers.items():
                # As a served node does on PostgreSQL, the service tier's requests queue their audit
                # entries and a sequencer appends them; only while that tier runs, so that it does not
                # drain the servers' queue inside this process, which times the other tiers.
                sequencer = Sequencer.for_node(db) if key == "service" else None
                if sequencer is not None:
                    sequencer.start()
                try:
                    measure(make, op, work[op][: max(20, n // 10)], concurrency)  # warm caches and connections
                    results[op][key] = measure(make, op, work[op], concurrency)
                finally:
                    if sequencer is not None:
                        sequencer.stop()
                r = results[op][key]
                print(f"  {op:6} {key:11} {r['throughput']:8.1f}/s  p50 {r['p50_ms']:7.2f} ms  "
                      f"p99 {r['p99_ms']:7.2f} ms", flush=True)
    finally:
        for server in (proc, proc_workers):
            server.terminate()
            server.wait(30)
    db.engine.dispose()
    for op in results:
        raw = results[op]["raw"]["throughput"]
        for key in results[op]:
            results[op][key]["cost_vs_raw"] = round(1 - results[op][key]["throughput"] / raw, 3)
    targets = {
        "policy_sql_cost_at_most_30pct": {op: results[op]["policy_sql"]["cost_vs_raw"] <= TARGET_POLICY_COST
                                          for op in results},
        "api_cost_at_most_30pct": {tier: {op: results[op][tier]["cost_vs_raw"] <= TARGET_POLICY_COST
                                          for op in results} for tier in API_TIERS},
        "api_page_p99_under_50ms": {tier: {op: results[op][tier]["p99_ms"] < TARGET_PAGE_P99_MS
                                           for op in ("list", "search")} for tier in API_TIERS},
        "api_get_p99_under_10ms": {tier: results["get"][tier]["p99_ms"] < TARGET_GET_P99_MS for tier in API_TIERS},
    }
    return {
        "benchmark": "access_overhead", "size": size, "concurrency": concurrency, "page": _tiers.PAGE,
        "data": {**counts, "visible_to_viewer": visible_count, "viewer": f"{_pgworld.VIEWER} ({actor.agency}, "
                 f"{actor.clearance}, {len(actor.case_ids)} cases)", "load_seconds": round(loaded.seconds, 1)},
        "tiers": {key: make_name for key, make_name in _tier_names().items()},
        "results": results, "targets": targets,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgresql": pg_version},
    }


def _tier_names() -> dict[str, str]:
    return {"raw": _tiers.RawSQL.name, "policy_sql": _tiers.PolicySQL.name, "policy_orm": _tiers.PolicyORM.name,
            "service": _tiers.Service.name, "api": _tiers.Api.name, "api_workers": _tiers.ApiWorkers.name}


def print_table(report: dict[str, Any]) -> None:
    """The results as a text table, then the targets."""
    names = _tier_names()
    print(f"\naccess overhead, {report['size']} ({report['data']['entities']:,} entities, "
          f"{report['data']['statements']:,} statements), concurrency {report['concurrency']}, page {report['page']}")
    print(f"{'operation':8} {'tier':36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cost vs raw':>12}")
    for op, tiers in report["results"].items():
        for key, r in tiers.items():
            print(f"{op:8} {names[key]:36} {r['throughput']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
                  f"{r['cost_vs_raw'] * 100:11.1f}%")
    print("\ntargets:")
    for name, outcome in report["targets"].items():
        print(f"  {name}: {outcome}")


def main(argv: list[str] | None = None) -> None:
    """Command line: `python -m benchmarks.access_overhead --size small|large`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--admin-url", default=os.environ.get(
        "BINATIONAL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="binational_bench")
    parser.add_argument("--skip-load", action="store_true", help="reuse the database a previous run loaded")
    args = parser.parse_args(argv)
    report = run(args.size, args.concurrency, args.admin_url, args.database, args.skip_load)
    print_table(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

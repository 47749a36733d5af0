"""Requests while resolution runs: the former synchronous run against the background worker, on SQLite.

A fresh SQLite node is loaded with a synthetic world (`--size small`: the small world; `--size
large`: the medium one) and served by uvicorn in this process, as `binational serve` serves one
worker. Each way of running resolution is then started while a prober sends, every 0.2 s, what
an analyst does meanwhile: a page of the entity list (a read, audited) and a new entity (a write).

- `synchronous` (the peer, what the node did before): the run in one transaction of its own,
  `runs.run`, as the former `POST /resolution/runs` did inside its request;
- `background`: `POST /api/v1/resolution/runs`, which answers at once; a worker thread reads, scores
  with no transaction open and writes the suggestions at the end.

It prints a table and writes benchmarks/results/resolution_background.json.

    python -m benchmarks.resolution_background --size small
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from binational import workers
from binational.access import service as access
from binational.admin import service as admin
from binational.app import create_app
from binational.audit.scope import unit_of_work
from binational.config import Settings
from binational.db import Database, act_as, act_as_system
from binational.resolution import runs
from binational.scenario import generate
from binational.scenario import load as loader

SIZES = {"small": "small", "large": "medium"}
PROBE_SECONDS = 0.2
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "resolution_background.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _node(folder: Path, world: str) -> tuple[Settings, Database, dict[str, str]]:
    """A migrated SQLite node loaded with `world`, and API tokens of an analyst and the administrator."""
    settings = Settings(database_url=f"sqlite:///{folder / 'node.db'}", audit_key_path=folder / "audit.key",
                        secret_key_path=folder / "secret", environment="local", user_requests_per_minute=0)
    from binational.schema import upgrade

    db = Database(settings)
    upgrade(db.engine, settings)
    generate(7, world, folder / "world")
    with unit_of_work(db) as session:
        loader.load(session=session, folder=loader.read_folder(folder / "world"))
    tokens = {}
    with unit_of_work(db) as session:
        act_as_system(session)
        for username in ("cbp_analyst", "admin"):
            _row, tokens[username] = admin.create_token(session=session, actor=None, username=username, days=1)
    return settings, db, tokens


class Prober:
    """Sends a read and a write every PROBE_SECONDS until stopped; keeps each one's latency and status."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        self.samples: list[tuple[str, float, int]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._probe, daemon=True)

    def _probe(self) -> None:
        n = 0
        while not self.stopped.is_set():
            for kind in ("read", "write"):
                started = time.perf_counter()
                if kind == "read":
                    status = self.client.get("/api/v1/entities?limit=20").status_code
                else:
                    n += 1
                    status = self.client.post("/api/v1/entities", json={
                        "schema": "Person", "properties": {"name": [f"Probe Person {n}"]}}).status_code
                self.samples.append((kind, time.perf_counter() - started, status))
            self.stopped.wait(PROBE_SECONDS)

    def __enter__(self) -> Prober:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        self.client.close()


def _summary(samples: list[tuple[str, float, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("read", "write"):
        times = sorted(t * 1000 for k, t, _ in samples if k == kind)
        failed = sum(1 for k, _, status in samples if k == kind and status >= 400)
        if not times:
            continue
        out[kind] = {"requests": len(times), "failed": failed, "p50_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                     "max_ms": round(times[-1], 1)}
    return out


def _synchronous(db: Database, base: str, token: str) -> dict[str, Any]:
    with Prober(base, token) as prober:
        started = time.perf_counter()
        with unit_of_work(db) as session:
            actor = access.actor_for(session=session, user=access.get_user(session=session, username="admin"))
            act_as(session, actor)
            status = runs.run(session=session, actor=actor).status
        took = time.perf_counter() - started
    return {"status": status, "answered_s": round(took, 2), "run_s": round(took, 2), **_summary(prober.samples)}


def _background(base: str, tokens: dict[str, str]) -> dict[str, Any]:
    with Prober(base, tokens["cbp_analyst"]) as prober:
        started = time.perf_counter()
        answer = httpx.post(f"{base}/api/v1/resolution/runs", json={}, timeout=120,
                            headers={"Authorization": f"Bearer {tokens['admin']}"})
        answered = time.perf_counter() - started
        run_id = answer.json()["id"]
        workers.wait(run_id)
        took = time.perf_counter() - started
    status = httpx.get(f"{base}/api/v1/resolution/runs/{run_id}", timeout=30,
                       headers={"Authorization": f"Bearer {tokens['admin']}"}).json()["status"]
    return {"status": status, "answered_s": round(answered, 3), "run_s": round(took, 2), **_summary(prober.samples)}


def main(argv: list[str] | None = None) -> int:
    """Load a node, run resolution both ways with requests alongside, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="small")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, tokens = _node(Path(tmp), SIZES[args.size])
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            result = {"synchronous": _synchronous(db, base, tokens["cbp_analyst"]),
                      "background": _background(base, tokens)}
        finally:
            server.should_exit = True
            thread.join()
            db.dispose()
    result = {"world": SIZES[args.size], "machine": platform.platform(), "python": platform.python_version(),
              "probe_every_s": PROBE_SECONDS, **result}
    print(f"{'way':<12} {'answered s':>10} {'run s':>7} {'read p95':>9} {'read max':>9} {'write p95':>10} "
          f"{'write max':>10} {'failed':>7}")
    for way in ("synchronous", "background"):
        row = result[way]
        failed = row.get("read", {}).get("failed", 0) + row.get("write", {}).get("failed", 0)
        print(f"{way:<12} {row['answered_s']:>10} {row['run_s']:>7} {row['read']['p95_ms']:>9} "
              f"{row['read']['max_ms']:>9} {row['write']['p95_ms']:>10} {row['write']['max_ms']:>10} {failed:>7}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

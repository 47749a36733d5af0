"""The fault suite's harness: a node served by `binational serve` in its own processes on 127.0.0.1,
clients that read and write through its API for a bounded time, and the checks that follow every
fault (every acknowledged write is there, `audit verify` passes).

Run by `make faults` (not by `make test`); its lengths come from the environment, so that a quick run
can shorten them: FAULTS_SECONDS (60), FAULTS_CLIENTS (12), FAULTS_KILLS (20), FAULTS_IMPORT_KILLS (8),
FAULTS_SOAK_SECONDS (900).
"""

from __future__ import annotations

import collections
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from binational.db import Database, act_as_system
from binational.entities.models import Entity


def length(name: str, default: int) -> int:
    """A length of the suite, from the environment."""
    return int(os.environ.get(name, default))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`binational ARGS` in a process of its own, on the test database (the environment)."""
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-c", "from binational.cli import main; main()", *args],
        env=dict(os.environ), capture_output=True, text=True, timeout=timeout, check=False)


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB."""
    total = 0
    for p in [pid, *children(pid)]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def children(pid: int) -> list[int]:
    found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in found if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()]


@dataclass
class Node:
    """A node served by `binational serve` on 127.0.0.1."""

    port: int
    workers: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 300) -> Node:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-c", "from binational.cli import main; main()", "serve", "--workers",
             str(self.workers), "--port", str(self.port), "--log-level", "error"],
            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the node exited while starting"
            try:
                if httpx.get(f"{self.base}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the node did not answer")

    def kill(self) -> list[int]:
        """kill -9 of the supervising process; its workers, which must end with it."""
        assert self.proc is not None
        workers = children(self.proc.pid) if self.workers > 1 or running(self.proc.pid) else []
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        return workers

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def node(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    """A node (two workers on PostgreSQL, one on SQLite) on a free port, stopped at the end. Its
    time budget is the default one; the per-user cap is lifted, as the clients share a few users."""
    monkeypatch.setenv("BINATIONAL_USER_REQUESTS_PER_MINUTE", "0")
    made = Node(free_port(), 2 if settings.is_postgres else 1)
    yield made
    made.stop()


@dataclass
class Load:
    """What clients got from a node: answers by status, ids acknowledged by a 201, transport errors."""

    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    created: list[str] = field(default_factory=list)
    transport_errors: int = 0
    slowest: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> str:
        return (f"answers {dict(sorted(self.statuses.items()))}, acknowledged writes {len(self.created)}, "
                f"transport errors {self.transport_errors}, slowest {self.slowest:.2f} s")


def run_load(base: str, tokens: list[str], seconds: float, clients: int, stop: threading.Event | None = None,
             load: Load | None = None) -> Load:
    """`clients` threads reading (list, search, read) and writing (create a Person) for `seconds`."""
    load = load or Load()
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        token = tokens[n % len(tokens)]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while time.monotonic() < deadline and not stop.is_set():
                pick = rng.random()
                started = time.monotonic()
                try:
                    if pick < 0.3:
                        r = http.post("/api/v1/entities", json={
                            "schema": "Person", "distribution": "agency",
                            "properties": {"name": [f"Fault Person {n}-{rng.randrange(10**9)}"]}})
                    elif pick < 0.6:
                        r = http.get("/api/v1/entities", params={"limit": 20})
                    elif pick < 0.8:
                        r = http.get("/api/v1/entities", params={"q": "fault person", "limit": 20})
                    else:
                        with load.lock:
                            mine = load.created[-1] if load.created else None
                        r = http.get(f"/api/v1/entities/{mine}" if mine else "/api/v1/entities")
                except httpx.TransportError:
                    with load.lock:
                        load.transport_errors += 1
                    time.sleep(0.05)
                    continue
                took = time.monotonic() - started
                with load.lock:
                    load.statuses[r.status_code] += 1
                    load.slowest = max(load.slowest, took)
                    if r.status_code == 201:
                        load.created.append(r.json()["id"])

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    return load


def missing(db: Database, ids: list[str]) -> list[str]:
    """The acknowledged ids that are not in the database."""
    with db.session() as s:
        act_as_system(s)
        have = set(s.execute(select(Entity.id).where(Entity.id.in_(ids))).scalars()) if ids else set()
    return [i for i in ids if i not in have]


def audit_verifies() -> str:
    """`binational audit verify` passes; its line."""
    done = cli("audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def report(line: str) -> None:
    """A figure of the run, on the terminal (`make faults` runs with -s)."""
    print(f"\nFAULTS: {line}", flush=True)

"""Faults under load: after each, nothing acknowledged is lost and the audit log verifies.

`make faults` runs these (with tests/attacks/test_load.py, which holds the orphaned-worker and
busy-port cases); each is bounded in time and sends traffic only to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from binational.db import act_as_system
from binational.entities.models import Entity
from tests.faults.conftest import (
    Load,
    Node,
    audit_verifies,
    cli,
    length,
    missing,
    report,
    rss_kib,
    run_load,
    running,
)

USERS = ("us_analyst", "mx_analyst", "us_atf", "mx_inm")


def _tokens(cast) -> list[str]:
    return [cast[u].token for u in USERS]


def test_mixed_reads_and_writes(settings, db, cast, node: Node):
    """12 clients for a minute of reads and writes."""
    node.start()
    load = run_load(node.base, _tokens(cast), length("FAULTS_SECONDS", 60), length("FAULTS_CLIENTS", 12))
    node.stop()
    report(f"mixed load ({'PostgreSQL' if settings.is_postgres else 'SQLite'}): {load.summary()}")
    assert load.created, load.summary()
    # 503 is the time budget refusing what the machine cannot serve in time (nothing written); no
    # other failure.
    assert not any(status >= 500 and status != 503 for status in load.statuses), load.summary()
    assert missing(db, load.created) == []
    report(f"audit verify: {audit_verifies()}")


def test_kill_9_of_a_serving_node_mid_write(settings, db, cast, node: Node):
    """kill -9 of the node while clients write, then restart; 20 times."""
    rounds = length("FAULTS_KILLS", 20)
    total = Load()
    rng = random.Random(12)
    for _ in range(rounds):
        node.start()
        stop = threading.Event()
        writers = threading.Thread(target=run_load, args=(node.base, _tokens(cast), 30, 4, stop, total))
        writers.start()
        time.sleep(rng.uniform(1.0, 4.0))
        workers = node.kill()
        stop.set()
        writers.join(timeout=120)
        deadline = time.monotonic() + 30
        while any(running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(running(w) for w in workers), "workers outlived their supervisor"
    node.start()  # the last restart sequences what the killed workers queued
    node.stop()
    report(f"{rounds} kill -9 mid-write ({node.workers} workers): {total.summary()}")
    assert missing(db, total.created) == []
    report(f"audit verify: {audit_verifies()}")


def _import_file(tmp_path, count: int):
    path = tmp_path / "people.jsonl"
    with path.open("w") as out:
        for n in range(count):
            out.write(json.dumps({"id": f"fault-import-{n}", "schema": "Person",
                                  "properties": {"name": [f"Imported Person {n}"]}}) + "\n")
    return path


def _count(db) -> int:
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(Entity)).scalar_one()


def test_killed_imports_write_all_or_nothing(settings, db, tmp_path):
    """8 imports killed (-9) at random moments: each leaves all of the file or none of it."""
    count = 2000
    path = _import_file(tmp_path, count)
    before = _count(db)
    rng = random.Random(8)
    outcomes = []
    for _ in range(length("FAULTS_IMPORT_KILLS", 8)):
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-c", "from binational.cli import main; main()", "entities", "import", str(path),
             "--as", "us_analyst"], env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 15.0))
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = _count(db)
        assert now in (before, before + count), (before, now)
        outcomes.append("finished" if finished else ("imported" if now > before else "nothing"))
        if now > before:  # it got to the end before the kill: start again from an empty slate
            break
    report(f"killed imports: {outcomes}")
    done = cli("entities", "import", str(path), "--as", "us_analyst")
    assert done.returncode == 0 or _count(db) == before + count, done.stderr
    assert _count(db) == before + count
    report(f"audit verify: {audit_verifies()}")


def test_database_stopped_under_load(settings, db, cast, node: Node):
    """PostgreSQL: the node's database refuses connections and its backends are terminated for five
    seconds under load; afterwards the node answers again, and nothing acknowledged is lost."""
    if not settings.is_postgres:
        pytest.skip("PostgreSQL: a server that goes away")
    name = settings.database_url.rsplit("/", 1)[1]
    admin = create_engine(settings.database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    node.start()
    load = Load()
    stop = threading.Event()
    clients = threading.Thread(target=run_load, args=(node.base, _tokens(cast), 30, 12, stop, load))
    clients.start()
    time.sleep(8)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        time.sleep(5)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    clients.join(timeout=180)
    stop.set()
    deadline = time.monotonic() + 60
    answered = None
    while time.monotonic() < deadline:
        answered = httpx.get(f"{node.base}/api/v1/entities", headers=cast["us_analyst"].headers, timeout=10)
        if answered.status_code == 200:
            break
        time.sleep(0.5)
    node.stop()
    report(f"database stopped under load: {load.summary()}")
    assert answered is not None and answered.status_code == 200, "the node did not recover"
    assert missing(db, load.created) == []
    report(f"audit verify: {audit_verifies()}")


def test_memory_of_the_sqlite_server_levels_off(settings, cast, node: Node):
    """A soak of the SQLite server (15 minutes by default): its resident memory, sampled as it runs,
    grows by at most a tenth over the second half."""
    if settings.is_postgres:
        pytest.skip("the soak watches the SQLite server")
    seconds = length("FAULTS_SOAK_SECONDS", 900)
    node.start()
    assert node.proc is not None
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    clients = threading.Thread(target=run_load, args=(node.base, _tokens(cast), seconds, 4, stop))
    started = time.monotonic()
    clients.start()
    while clients.is_alive():
        samples.append((time.monotonic() - started, rss_kib(node.proc.pid)))
        clients.join(timeout=max(1.0, seconds / 60))
    node.stop()
    half = [kib for t, kib in samples if t >= seconds / 2]
    report("soak RSS (MiB) by minute: " + ", ".join(
        f"{t / 60:.1f}:{kib / 1024:.0f}" for t, kib in samples[:: max(1, len(samples) // 15)]))
    assert half and max(half) <= 1.1 * half[0], samples

"""Serving with several worker processes: one shared socket whose connections skip Nagle's delay,
every answer audited, and a supervisor's stop shutting every worker down with nothing left queued."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from binational import serving
from binational.audit.models import AuditEntry, AuditQueued
from binational.db import act_as_system


def _nodelay_of_accepted(sock: socket.socket) -> int:
    """TCP_NODELAY of a connection that asyncio accepted from `sock` (a listening socket)."""

    async def main() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        _reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        value = await asyncio.wait_for(accepted, 10)
        writer.close()
        server.close()
        await server.wait_closed()
        return value

    return asyncio.run(main())


def test_connections_accepted_from_the_shared_listener_skip_nagles_delay():
    assert serving.listener("127.0.0.1", 0).proto == socket.IPPROTO_TCP
    assert _nodelay_of_accepted(serving.listener("127.0.0.1", 0)) != 0
    # why it matters: a listener made without naming the protocol, as uvicorn's own workers get
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    plain.listen()
    assert _nodelay_of_accepted(plain) == 0


def _workers(pid: int) -> list[int]:
    """The worker processes `pid` started (not multiprocessing's resource tracker)."""
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in children if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()]


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("count", [1, 2])
def test_workers_answer_and_stop_together(settings, cast, db, count):
    """Worker processes under a supervisor that sequences the audit log; one worker too on PostgreSQL
    (its sequencer then keeps off the worker's interpreter lock), in process on SQLite."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-c", "from binational.cli import main; main()", "serve", "--workers", str(count),
         "--port", str(port)], env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        workers = _workers(proc.pid)
        assert len(workers) == (0 if count == 1 and not settings.is_postgres else count)
        with httpx.Client(base_url=base, headers=cast["us_analyst"].headers) as client:
            answers = [client.get("/api/v1/entities", params={"limit": 5}) for _ in range(12)]
        assert all(r.status_code == 200 for r in answers)
        proc.send_signal(signal.SIGTERM)
        # In process, uvicorn shuts down gracefully and then dies of the signal it caught, as asked.
        assert proc.wait(timeout=60) == (0 if workers else -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not any(_running(pid) for pid in workers)
    with db.session() as s:  # every list was audited; the workers drained their queues as they stopped
        act_as_system(s)
        assert s.execute(select(func.count()).select_from(AuditQueued)).scalar_one() == 0
        lists = s.execute(select(func.count()).where(AuditEntry.action == "entity.list",
                                                     AuditEntry.actor_agency == "US-CBP")).scalar_one()
    assert lists == 12

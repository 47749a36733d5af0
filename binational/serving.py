"""Serving a node: one uvicorn process, or worker processes sharing one listening socket under a supervisor."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import multiprocessing
import os
import signal
import socket
import ssl
import sys
import threading
import time
from functools import partial
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from binational.app import create_app
from binational.audit.sequencer import Sequencer, queues
from binational.config import Settings
from binational.db import Database

log = logging.getLogger("binational")


def listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port`, made with protocol `IPPROTO_TCP`.

    asyncio turns on TCP_NODELAY only for connections accepted from a socket that says it is TCP.
    uvicorn's own multi-worker listener leaves the protocol at 0 (uvicorn issue #3149), and then
    every answer on a kept-alive connection after the first waits about 40 ms for the client's
    delayed ACK (measured here: 44 ms against 1 ms).
    """
    # IPv4 unless the host is an IPv6 address, as uvicorn binds in one process: "localhost" may
    # resolve to ::1 first.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    family, kind, proto, _, address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM,
                                                         socket.IPPROTO_TCP, socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


class PortBusy(OSError):
    """The address to listen on is taken (another node, or workers of one still running)."""


def bind(host: str, port: int) -> socket.socket:
    """`listener(host, port)`, or PortBusy naming the address when it is taken or not ours to take."""
    try:
        return listener(host, port)
    except OSError as exc:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise PortBusy(f"cannot listen on {host}:{port}: {reason}") from None


#: prctl(2) option: the signal this process gets when the thread that created it ends (Linux)
PR_SET_PDEATHSIG = 1
#: how often a worker looks whether its supervisor is still there (where prctl is not available)
PARENT_POLL_SECONDS = 1.0


def follow_parent(parent: int) -> None:
    """End this process when the process `parent` ends: a worker left serving after its supervisor
    was killed (`kill -9`) would answer with nobody sequencing its audit entries, and hold the port.

    On Linux the kernel sends SIGTERM at the parent's death (PR_SET_PDEATHSIG); a thread also
    watches `os.getppid()`, which covers other systems and a parent that died before the prctl.
    SIGTERM makes uvicorn shut down gracefully; what the worker queued is sequenced by the next
    supervisor that starts on the database.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # the thread below still watches
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    if os.getppid() != parent:
        os._exit(1)  # the supervisor died while this process started
    threading.Thread(target=watch, name="binational-parent-watch", daemon=True).start()


def share_interpreter() -> None:
    """Let a request that comes back from the database take the interpreter lock sooner."""
    # Python hands the lock over every 5 ms by default: a short read making ten round trips beside a
    # CPU-bound request's thread waited up to that long after each one.
    sys.setswitchinterval(0.0005)


def _worker(sock: socket.socket, settings: Settings, log_level: str, parent: int,
            tls: dict[str, Any] | None = None) -> None:
    """One worker process: the app on the shared socket, with the supervisor's settings (so both
    agree on whether entries are queued). It queues its audit entries; the supervisor sequences them.
    It ends when the supervisor does, however the supervisor ended."""
    follow_parent(parent)
    share_interpreter()
    config = uvicorn.Config(partial(create_app, settings, own_sequencer=False, federation=tls is not None),
                            factory=True, log_level=log_level, **proxies(settings), **(tls or {}))
    uvicorn.Server(config).run(sockets=[sock])


def proxies(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for `X-Forwarded-For`: trusted only from the proxies the settings name, so that
    a client cannot choose the address the login throttle and the audit log see."""
    trusted = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def federation_tls(db: Database, cert: Path, key: Path) -> dict[str, Any]:
    """uvicorn's TLS options for serving partner nodes: this node's certificate and key, and client
    certificates required, trusted only if a trusted partner's anchor pins them (the list is written
    beside the audit key, read at start: a partner trusted later is admitted after a restart).
    InvalidInput when no partner pins one."""
    from binational.db import act_as_system, utcnow
    from binational.errors import InvalidInput
    from binational.federation.sync import pinned_certificates

    with db.unit_of_work() as s:
        act_as_system(s)
        pinned = pinned_certificates(s, utcnow())
    if not pinned:
        raise InvalidInput("no trusted partner's anchor pins a TLS certificate: nothing could connect")
    for path in (cert, key):
        if not path.is_file():
            raise InvalidInput(f"cannot read {path}")
    trusted = db.settings.audit_key_path.with_name("binational-federation-partners.pem")
    trusted.write_text(pinned, encoding="ascii")
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_ca_certs": str(trusted),
            "ssl_cert_reqs": ssl.CERT_REQUIRED}


def serve(db: Database, host: str, port: int, workers: int = 1, log_level: str = "info",
          tls: dict[str, Any] | None = None) -> int:
    """Serve until interrupted; return the exit status.

    With several workers, each is a process of its own (its own interpreter lock and database pool)
    accepting from the one socket; if one dies the others are stopped, so a supervisor (systemd, a
    container runtime) sees the failure and restarts the node. On PostgreSQL this process runs the
    one audit sequencer: the workers only queue, and neither spend their requests' time on it nor
    wait for each other's turn at the log. It does so for a single worker too: as a thread of the
    worker, the sequencer's batches held the worker's interpreter lock while requests waited for it
    (single GET p99 9.8 ms against 7.5 ms, benchmarks/access_overhead.py). With nothing to sequence
    (SQLite, or `audit_sequence_ms` 0), one worker is served in this process.
    """
    sock = bind(host, port)  # PortBusy before anything starts
    if workers == 1 and not queues(db.settings):
        share_interpreter()
        config = uvicorn.Config(create_app(db.settings, db, federation=tls is not None), log_level=log_level,
                                **proxies(db.settings), **(tls or {}))
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()
        return 0
    # uvicorn logs for each worker, not for this process: its own lines (the address, the
    # sequencer's failures) would otherwise go nowhere.
    level = getattr(logging, log_level.upper(), logging.INFO)
    logging.basicConfig(format="%(levelname)s:     %(message)s", level=level)
    signal.signal(signal.SIGTERM, _stop)  # a supervisor's stop: shut the workers down first
    sequencer = Sequencer.for_node(db)
    # spawn, not fork: a forked child would share the parent's threads' locks and pooled connections.
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(sock, db.settings, log_level, os.getpid(), tls),
                                 name=f"binational-worker-{n}") for n in range(workers)]
    code = 0
    try:
        if sequencer is not None:
            sequencer.start()
        for process in processes:
            process.start()
        log.info("serving on %s://%s:%d (worker processes: %d)", "https" if tls else "http", host, port, workers)
        wait([p.sentinel for p in processes])
        log.error("a worker stopped on its own (exit code %s); stopping the others",
                  [p.exitcode for p in processes if not p.is_alive()])
        code = 1
    except (KeyboardInterrupt, SystemExit):
        pass  # asked to stop: an interrupt from the terminal reaches the workers too
    finally:
        # Once stopping, a second signal must not cut the shutdown short (workers left, queue undrained).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown, lifespan included
        for process in processes:
            if process.pid is not None:
                process.join()
        sock.close()
        if sequencer is not None:
            sequencer.stop()  # after the workers: what they queued last is appended too
    return code

"""The two-node demo (`binational demo --nodes 2`, `make demo NODES=2`): a US node and a MX node on
this machine, each with its own database, keys, TLS certificate and ports, their anchors exchanged
and trusted, and one US-CBP record released to MX-FGR that travels as a signed bundle and is read on
MX as a locked copy.

Each node serves its users on one port and partner nodes on the next (`serve --federation-tls`,
mutual TLS with the certificates the anchors pin), and pushes its outbox every 30 seconds
(`federation push --every 30`); one witness (`witness serve`, the port after the nodes') cosigns both
nodes' checkpoints, as both anchors name it. Every process is the ordinary command line, started here.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from binational.access import service as access
from binational.audit import checkpoints, witness
from binational.config import Settings
from binational.db import Database, act_as, act_as_system, utcnow
from binational.entities import service as entities
from binational.entities.schemas import EntityCreate
from binational.federation import service, sync


@dataclass(frozen=True)
class DemoNode:
    """One node of the demo: its folder name, country, node id, agencies and people."""

    name: str
    country: str
    node_id: str
    agencies: tuple[tuple[str, str], ...]
    #: (username, agency, role)
    people: tuple[tuple[str, str, str], ...]


NODES = (
    DemoNode("us", "US", "us.binational/cbp",
             (("US-CBP", "U.S. Customs and Border Protection"), ("US-HSI", "Homeland Security Investigations")),
             (("us_analyst", "US-CBP", "analyst"), ("us_node_admin", "US-CBP", "node_admin"))),
    DemoNode("mx", "MX", "mx.binational/fgr",
             (("MX-FGR", "Fiscalía General de la República"), ("MX-INM", "Instituto Nacional de Migración")),
             (("mx_analyst", "MX-FGR", "analyst"), ("mx_node_admin", "MX-FGR", "node_admin"))),
)
#: how often each node pushes its outbox to the other
PUSH_EVERY = 30
#: the witness's name (its key's name in the anchors)
WITNESS = "witness.demo/w1"


def _fields(folder: Path, node: DemoNode, federation_port: int) -> dict[str, Any]:
    here = (folder / node.name).resolve()
    return {"database_url": f"sqlite:///{here / 'binational.db'}", "audit_key_path": here / "audit.key",
            "secret_key_path": here / "secret.key", "node_name": node.node_id, "node_country": node.country,
            "federation_node_id": node.node_id, "federation_endpoint": f"https://127.0.0.1:{federation_port}/",
            "federation_tls_cert_path": here / "tls.crt", "federation_tls_key_path": here / "tls.key",
            # each process appends its own audit entries (SQLite: no sequencer)
            "audit_sequence_ms": 0}


def _env(fields: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINATIONAL_")}
    env.update({f"BINATIONAL_{name.upper()}": value if isinstance(value, str) else str(value)
                if isinstance(value, Path | int) else json.dumps(value) for name, value in fields.items()})
    return env


def _command(env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "binational", *args], env=env,  # noqa: S603 - our own CLI
                            stdout=out, stderr=subprocess.STDOUT)


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "binational", *args], env=env,  # noqa: S603 - our own CLI
                          capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"binational {' '.join(args)}: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def _listening(port: int, deadline: float, processes: list[subprocess.Popen[bytes]]) -> None:
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a demo process stopped while starting (logs in each node's folder)")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"nothing listens on port {port}")


def set_up(folder: Path, port: int, echo: Callable[[str], None]) -> dict[str, Any]:
    """Make both nodes afresh in `folder` (databases, keys, certificates, agencies, people with new
    passwords), exchange and trust their anchors, and record the US-CBP release to MX-FGR. Returns
    what `serve` needs: each node's settings fields and ports, the log-ins and the released record."""
    shutil.rmtree(folder, ignore_errors=True)
    # the independent witness both nodes' anchors name, and both require (`federation_min_witnesses`)
    w = witness.init(folder / "witness", WITNESS)
    plan: dict[str, Any] = {"nodes": {}, "logins": [], "entity": None, "witness_port": port + 2 * len(NODES)}
    anchors: dict[str, bytes] = {}
    for n, node in enumerate(NODES):
        (folder / node.name).mkdir(parents=True)
        users_port, federation_port = port + 2 * n, port + 2 * n + 1
        fields = {**_fields(folder, node, federation_port), "federation_witnesses": [w.vkey()],
                  "federation_witness_urls": {WITNESS: f"http://127.0.0.1:{plan['witness_port']}"}}
        cert, key = sync.self_signed()
        fields["federation_tls_cert_path"].write_bytes(cert)
        # created 0600, never readable by others (a write then chmod leaves it open in between)
        with os.fdopen(os.open(fields["federation_tls_key_path"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                       "wb") as out:
            out.write(key)
        _run(_env(fields), "init")
        settings = Settings(**fields)
        witness.trust(folder / "witness", checkpoints.node_verifier(settings).vkey())
        db = Database(settings)
        with db.unit_of_work() as s:
            act_as_system(s)
            for code, name in node.agencies:
                access.add_agency(session=s, code=code, country=node.country, name=name)
            for username, agency, role in node.people:
                password = secrets.token_urlsafe(12)
                access.add_user(session=s, username=username, agency=agency, roles=[role], clearance="TLP:AMBER",
                                password=password)
                plan["logins"].append((node.name, users_port, username, password))
            anchors[node.name] = service.write_anchor(session=s, actor=None, settings=settings, now=utcnow())
        db.dispose()
        plan["nodes"][node.name] = {"fields": fields, "users_port": users_port, "federation_port": federation_port}
    for node in NODES:
        settings = Settings(**plan["nodes"][node.name]["fields"])
        db = Database(settings)
        with db.unit_of_work() as s:
            act_as_system(s)
            for other in NODES:
                if other is not node:
                    trusted = service.trust(session=s, actor=None, settings=settings, data=anchors[other.name],
                                            now=utcnow())
                    echo(f"{node.node_id} trusts {other.node_id}: anchor SHA-256 {trusted.sha256}")
            if node.name == "us":
                actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
                act_as(s, actor)
                made = entities.create(session=s, actor=actor, data=EntityCreate.model_validate({
                    "schema": "Person", "properties": {"name": ["Ramona Quintero"], "nationality": ["mx"]},
                    "distribution": "release", "release_to": ["MX-FGR"]}))
                plan["entity"] = made.id
        db.dispose()
    return plan


def serve(folder: Path, plan: dict[str, Any], host: str, echo: Callable[[str], None]) -> int:
    """Start both nodes (users' port, partners' port, the pusher), push the release once, print the
    log-ins, and wait until interrupted (or a process stops on its own: exit 1)."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(_command(_env({}), "witness", "serve", "--dir", str(folder / "witness"), "--port",
                                  str(plan["witness_port"]), log=folder / "witness" / "serve.log"))
        for node in NODES:
            info = plan["nodes"][node.name]
            env, fields = _env(info["fields"]), info["fields"]
            log = folder / node.name / "serve.log"
            processes.append(_command(env, "serve", "--host", host, "--port", str(info["users_port"]),
                                      "--log-level", "warning", log=log))
            processes.append(_command(env, "serve", "--host", "127.0.0.1", "--port", str(info["federation_port"]),
                                      "--log-level", "warning", "--federation-tls",
                                      str(fields["federation_tls_cert_path"]), str(fields["federation_tls_key_path"]),
                                      log=log))
        deadline = time.monotonic() + 600  # a loaded machine starts five servers slowly
        _listening(plan["witness_port"], deadline, processes)
        for node in NODES:
            _listening(plan["nodes"][node.name]["federation_port"], deadline, processes)
            _listening(plan["nodes"][node.name]["users_port"], deadline, processes)
        pushed = json.loads(_run(_env(plan["nodes"]["us"]["fields"]), "federation", "push"))
        echo(f"US-CBP released {plan['entity']} to MX-FGR: pushed {pushed}")
        for node in NODES:
            processes.append(_command(_env(plan["nodes"][node.name]["fields"]), "federation", "push", "--every",
                                      str(PUSH_EVERY), log=folder / node.name / "push.log"))
        for name, port, username, password in plan["logins"]:
            echo(f"{name.upper()} node  http://{host}:{port}/  {username} / {password}")
        echo(f"the MX analyst reads {plan['entity']} at http://{host}:{plan['nodes']['mx']['users_port']}"
             f"/entities/{plan['entity']} (a locked copy); node administrators see /admin/federation. Ctrl-C stops.")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        echo("a demo process stopped on its own; stopping the others (logs in each node's folder)")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

"""The federation's tests' second node: its own keys and anchor, made as that node would, or a whole
second node (database, keys, app); the two nodes trusting each other (`pair`), and the helpers that
release a record on the US node, push it to the MX node and read it there."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from binational import clitools
from binational.app import create_app
from binational.audit.notes import COSIGNATURE, ED25519, Verifier
from binational.audit.signing import create_key
from binational.config import Settings, get_settings
from binational.db import Database, utcnow
from binational.federation import anchors, sync
from binational.federation.models import Partner
from binational.schema import upgrade
from tests.conftest import BACKEND, _pg_url, drop_later, fresh_copy

API = "/api/v1/entities"
MX_NODE = "mx.binational/fgr"
US_NODE = "us.binational/cbp"


class OtherNode:
    """The MX node as its anchor shows it, with its own node key."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.witness = Ed25519PrivateKey.generate()
        self.audit = Ed25519PrivateKey.generate()

    def anchor(self, *, node: str = MX_NODE, days: int = 30, issued_days_ago: int = 0,
               agencies: tuple[str, ...] = ("MX-FGR", "MX-INM")) -> bytes:
        issued = utcnow() - timedelta(days=issued_days_ago)
        return anchors.make(
            key=self.key, node=node, endpoint="https://mx.example.org/federation",
            witness_key=Verifier(node, COSIGNATURE, self.witness.public_key()),
            audit_key=Verifier(node, ED25519, self.audit.public_key()),
            agencies=[{"code": c, "country": "MX", "name": c} for c in agencies], witnesses=[],
            issued_at=issued, expires_at=issued + timedelta(days=days),
        )


@pytest.fixture
def mx_node() -> OtherNode:
    return OtherNode()


@pytest.fixture
def us_node(settings, monkeypatch):
    """This (US) node with a federation id and endpoint, hosting the US agencies."""
    monkeypatch.setenv("BINATIONAL_FEDERATION_NODE_ID", US_NODE)
    monkeypatch.setenv("BINATIONAL_FEDERATION_ENDPOINT", "https://us.example.org/federation")
    monkeypatch.setenv("BINATIONAL_NODE_COUNTRY", "US")
    get_settings.cache_clear()
    clitools.reset_database()
    settings = get_settings()
    yield settings
    get_settings.cache_clear()


@dataclass
class Node:
    settings: Settings
    db: Database
    client: TestClient


@pytest.fixture
def mx(template, tmp_path: Path) -> Iterator[Node]:
    """The MX node: its own copy of the seeded database, its own node keys, its own app."""
    name, key, _cast = template
    if BACKEND == "postgresql":
        copy = fresh_copy(name)
        url = _pg_url(copy)
    else:
        shutil.copy(name, tmp_path / "mx.db")
        url = f"sqlite:///{tmp_path / 'mx.db'}"
    create_key(tmp_path / "mx-node.key")
    create_key(tmp_path / "mx-witness.key")
    settings = Settings(database_url=url, audit_key_path=key, environment="test", secret_key="mx-secret-of-the-suite",
                        checkpoint_every=50, request_budget_ms=60_000, statement_timeout_ms=60_000,
                        user_requests_per_minute=100_000, federation_node_id=MX_NODE,
                        federation_endpoint="http://127.0.0.1:9/", node_country="MX",
                        federation_node_key_path=tmp_path / "mx-node.key",
                        federation_witness_key_path=tmp_path / "mx-witness.key",
                        # the US node of these tests names no witness (test_witnessing.py runs them)
                        federation_min_witnesses=0)
    db = Database(settings)
    upgrade(db.engine, settings)
    with TestClient(create_app(settings, db, federation=True)) as client:
        yield Node(settings, db, client)
    db.dispose()
    if BACKEND == "postgresql":
        drop_later(copy)


def proved(db: Database, settings: Settings, data: bytes) -> bytes:
    """A bundle the node queued, with the proof `push` would give it (its checkpoint handed to the node's
    witnesses first: here none, so the node's signature alone)."""
    from binational.db import act_as_system
    from binational.federation import witnessing

    with db.unit_of_work() as s:
        act_as_system(s)
        witnessing.cosign(session=s, settings=settings, now=utcnow(), transport=witnessing.http_transport)
        found = witnessing.prove(s, settings, data, utcnow())
    assert found is not None, "the bundle was not queued by this node"
    return found


def trust_each_other(db: Database, us: Settings, mx: Node) -> None:
    """US (as `us` says, its anchor naming its witnesses) and MX write their anchors and trust each other's."""
    from binational.db import act_as_system
    from binational.federation import service

    now = utcnow()
    with db.unit_of_work() as s:
        act_as_system(s)
        us_anchor = service.write_anchor(session=s, actor=None, settings=us, now=now)
    with mx.db.unit_of_work() as s:
        act_as_system(s)
        mx_anchor = service.write_anchor(session=s, actor=None, settings=mx.settings, now=now)
        service.trust(session=s, actor=None, settings=mx.settings, data=us_anchor, now=now)
    with db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=us, data=mx_anchor, now=now)


@pytest.fixture
def pair(us_node, db, mx: Node) -> tuple[Settings, Node]:
    """US and MX trusting each other's anchors."""
    trust_each_other(db, us_node, mx)
    return us_node, mx


def _to(mx: Node) -> sync.Transport:
    """Delivers items to the MX node's federation endpoint."""
    def send(partner: Partner, data: bytes) -> tuple[int, bytes]:
        r = mx.client.post(sync.PATH, content=data, headers={"Content-Type": "application/json"})
        return r.status_code, r.content
    return send


def _sync(db: Database, settings: Settings, transport: sync.Transport) -> tuple[sync.Collected, sync.Pushed]:
    from binational.db import act_as_system

    with db.unit_of_work() as s:
        act_as_system(s)
        collected = sync.collect(session=s, settings=settings, now=utcnow())
        pushed = sync.push(session=s, settings=settings, now=utcnow(), transport=transport)
    return collected, pushed


def _released(client, cast, to=("MX-FGR",)) -> str:
    """A US-CBP person released to `to`, then given a value of its agency only (which never travels)."""
    us = cast["us_analyst"]
    r = client.post(API, headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["Ramona Quintero"], "phone": ["+15205550101"]},
        "distribution": "release", "release_to": list(to)})
    assert r.status_code == 201, r.text
    entity_id = r.json()["id"]
    r = client.patch(f"{API}/{entity_id}", headers=us.headers,
                     json={"add": {"alias": ["Zacarias Hidden"]}, "distribution": "agency"})
    assert r.status_code == 200, r.text
    return str(entity_id)


def _values(node_client, member, entity_id) -> set[str]:
    r = node_client.get(f"{API}/{entity_id}", headers=member.headers)
    assert r.status_code == 200, r.text
    return {v["value"] if isinstance(v, dict) else v for vs in r.json()["properties"].values() for v in vs}

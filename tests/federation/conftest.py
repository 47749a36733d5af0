"""A second node for the federation's tests: its own keys and anchor, made as that node would."""

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
from binational.federation import anchors
from binational.schema import upgrade
from tests.conftest import BACKEND, _pg_url, drop_later, fresh_copy

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

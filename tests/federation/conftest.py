"""A second node for the federation's tests: its own keys and anchor, made as that node would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational import clitools
from binational.audit.notes import COSIGNATURE, ED25519, Verifier
from binational.config import get_settings
from binational.db import utcnow
from binational.federation import anchors

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

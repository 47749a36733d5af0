"""The federation pages: node administrators see partner nodes and their anchors, items sent and
received with their receipts, revocations overdue and partners' step-1 queries; analysts see the
locked copies released to their agency as ordinary records. Attacks first: a user of another agency
(administrator or not) learns of no copy it may not read, an analyst reaches no node-level page."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from binational.access import service as access
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.db import Database, act_as_system, utcnow
from binational.federation.models import Outbox, Partner
from tests.conftest import PASSWORD, sequence_audit
from tests.federation.conftest import API, MX_NODE, US_NODE, _released, _sync, _to
from tests.web.conftest import sign_in


def _user(db: Database, username: str, agency: str, role: str) -> None:
    with db.unit_of_work() as s:
        act_as_system(s)
        access.add_user(session=s, username=username, agency=agency, roles=[role], clearance="TLP:AMBER",
                        password=PASSWORD)


def _down(partner: Partner, data: bytes) -> tuple[int, bytes]:
    raise httpx.ConnectError("partner down")


def _audited(db: Database, action: str) -> int:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)  # the log's rows are the system's to count (row-level security)
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def test_federation_pages_under_the_policy(pair, db, client, cast):
    us, mx = pair
    entity_id = _released(client, cast)
    _sync(db, us, _to(mx))
    # the release is revoked while MX is down: the revocation waits, past the overdue delay
    release = client.get(f"{API}/{entity_id}/releases", headers=cast["us_analyst"].headers).json()[0]
    assert client.delete(f"/api/v1/releases/{release['id']}", headers=cast["us_supervisor"].headers).status_code == 200
    _sync(db, us, _down)
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(update(Outbox).where(Outbox.kind == "tombstone")
                  .values(built_at=utcnow() - timedelta(hours=us.federation_receipt_overdue_hours + 1)))
        tombstone = s.scalars(select(Outbox).where(Outbox.kind == "tombstone")).one().release_id

    # attack: an analyst reaches no node-level page, and is not shown the way to it
    sign_in(client, "us_analyst")
    assert client.get("/admin/federation").status_code == 403
    assert "/admin/federation" not in client.get("/").text
    client.cookies.clear()

    _user(db, "us_node_admin", "US-CBP", "node_admin")
    sign_in(client, "us_node_admin")
    before = _audited(db, "federation.status")
    page = client.get("/admin/federation")
    assert page.status_code == 200, page.text
    assert MX_NODE in page.text and "revocation" in page.text and "overdue" in page.text
    with db.unit_of_work() as s:
        act_as_system(s)
        sha = s.get(Partner, MX_NODE).anchor_sha256
    assert sha in page.text and tombstone in page.text
    # a node administrator of US-CBP holds no record role: the record it sent is not named to it
    assert entity_id not in page.text
    spanish = client.get("/admin/federation", headers={"Accept-Language": "es"}).text
    assert "Revocaciones en espera de acuse" in spanish and "vencido" in spanish
    assert _audited(db, "federation.status") == before + 2

    # MX: the FGR analyst reads the copy in the list, as an ordinary record
    sign_in(mx.client, "mx_analyst")
    page = mx.client.get("/received")
    assert page.status_code == 200 and entity_id in page.text and US_NODE in page.text and "US-CBP" in page.text
    assert "Registros de nodos socios" in mx.client.get("/received", headers={"Accept-Language": "es"}).text
    mx.client.cookies.clear()
    # attack: a reader and a node administrator of another agency on MX learn nothing of the copy
    _user(mx.db, "mx_inm_reader", "MX-INM", "analyst")
    _user(mx.db, "mx_inm_node_admin", "MX-INM", "node_admin")
    sign_in(mx.client, "mx_inm_reader")
    assert entity_id not in mx.client.get("/received").text
    mx.client.cookies.clear()
    sign_in(mx.client, "mx_inm_node_admin")
    page = mx.client.get("/admin/federation")
    assert page.status_code == 200 and US_NODE in page.text and "release bundle" in page.text
    assert entity_id not in page.text
    assert _audited(mx.db, "federation.copies") == 3


def test_received_page_of_a_node_without_partners(client, cast):
    sign_in(client, "us_analyst")
    page = client.get("/received")
    assert page.status_code == 200 and "No partner node has released" in page.text


def test_a_node_administrator_who_reads_records_sees_the_record_named_and_audited(pair, db, client, cast):
    us, mx = pair
    entity_id = _released(client, cast)
    _sync(db, us, _to(mx))
    with db.unit_of_work() as s:
        act_as_system(s)
        access.add_user(session=s, username="us_reading_admin", agency="US-CBP", roles=["node_admin", "analyst"],
                        clearance="TLP:AMBER", password=PASSWORD)
    sign_in(client, "us_reading_admin")
    page = client.get("/admin/federation")
    assert page.status_code == 200 and f'href="/entities/{entity_id}"' in page.text
    # the page named the record: its entry names it too, for US-CBP's auditors
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        seq = s.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.action == "federation.status"))
        named = s.scalars(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == seq)).all()
    assert list(named) == [entity_id]

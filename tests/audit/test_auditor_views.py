"""The auditors' filters and exports: what one agency's auditor may not see stays out of lists,
filters and exports (attack tests first); exports are bounded and audited; one home page view is one
entry that still names every record it showed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from binational.audit.models import AuditEntry
from binational.config import get_settings
from binational.db import act_as_system
from tests.conftest import sequence_audit

API = "/api/v1"


def _entity(client, who, name: str, **policy) -> str:  # noqa: ANN001
    r = client.post(f"{API}/entities", headers=who.headers,
                    json={"schema": "Person", "properties": {"name": [name]}, **policy})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def world(client, cast, db):  # noqa: ANN001
    """A US-CBP record kept to itself, an MX-FGR record released to US-CBP, and us_analyst's list of
    both (one entry naming a record of each agency)."""
    us = _entity(client, cast["us_analyst"], "Kept To CBP")
    mx = _entity(client, cast["mx_analyst"], "Shared By FGR", distribution="release", release_to=["US-CBP"])
    assert client.get(f"{API}/entities/{mx}", headers=cast["us_analyst"].headers).status_code == 200
    listed = client.get(f"{API}/entities", headers=cast["us_analyst"].headers).json()
    assert {us, mx} <= {e["id"] for e in listed["items"]}
    sequence_audit(db)
    return {"us": us, "mx": mx}


def _audit(client, who, **params):  # noqa: ANN001, ANN202
    r = client.get(f"{API}/audit", headers=who.headers, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _export(client, who, fmt: str = "jsonl", **params):  # noqa: ANN001, ANN202
    return client.get(f"{API}/audit/export", headers=who.headers, params={"format": fmt, **params})


def test_a_partner_auditor_never_learns_of_records_it_may_not_see(client, cast, world):
    mx_auditor = cast["mx_auditor"]
    # The MX auditor sees US-CBP's read and list of its record, naming only its own record.
    seen = _audit(client, mx_auditor, user="us_analyst")
    assert seen and all(e["agency"] == "US-CBP" for e in seen)
    assert all(world["mx"] in e["objects"] and world["us"] not in e["objects"] for e in seen)
    # Filtering by the US record it may not see finds nothing, though the list entry names it.
    assert _audit(client, mx_auditor, object_id=world["us"]) == []
    assert _audit(client, mx_auditor, object_id=world["mx"], action="entity.list")
    # Its exports hold the same view: never the US record, in either format.
    for fmt in ("jsonl", "csv"):
        r = _export(client, mx_auditor, fmt)
        assert r.status_code == 200 and world["mx"] in r.text and world["us"] not in r.text
        assert _export(client, mx_auditor, fmt, object_id=world["us"]).text.strip() in ("", ",".join(
            ("seq", "time", "actor", "agency", "action", "decision", "reason", "objects", "request_id")))
    # Entries of US-CBP that name no MX record do not exist for it, even filtered by their action.
    assert _audit(client, mx_auditor, action="entity.create", user="us_analyst") == []
    # The outsider's analyst and the analysts themselves read no audit at all.
    for who in ("outsider", "us_analyst"):
        assert client.get(f"{API}/audit", headers=cast[who].headers).status_code == 403
        assert _export(client, cast[who]).status_code == 403


def test_filters_by_user_action_record_and_days(client, cast, world):
    us_auditor = cast["us_auditor"]
    mine = _audit(client, us_auditor, user="us_analyst", action="entity.read")
    assert [e["objects"] for e in mine] == [[world["mx"]]]
    assert {e["action"] for e in _audit(client, us_auditor, object_id=world["us"])} >= {"entity.create", "entity.list"}
    today = datetime.now(UTC).date()
    assert _audit(client, us_auditor, since=today.isoformat(), until=today.isoformat())
    assert _audit(client, us_auditor, until=(today - timedelta(days=1)).isoformat()) == []
    bad = client.get(f"{API}/audit", headers=us_auditor.headers, params={"since": "2026-13-45"})
    assert bad.status_code == 422 and "error" in bad.json()


def test_export_is_streamed_complete_and_audited(client, cast, db, world):
    us_auditor = cast["us_auditor"]
    listed = _audit(client, us_auditor, user="us_analyst")
    r = _export(client, us_auditor, "jsonl", user="us_analyst")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [e["seq"] for e in lines] == [e["seq"] for e in listed]
    rows = list(csv.DictReader(io.StringIO(_export(client, us_auditor, "csv", user="us_analyst").text)))
    assert [int(row["seq"]) for row in rows] == [e["seq"] for e in listed]
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        exports = [json.loads(e) for e in s.execute(
            select(AuditEntry.entry).where(AuditEntry.action == "audit.export").order_by(AuditEntry.seq)).scalars()]
    assert [(e["actor"], e["extra"]["count"], e["extra"]["filter"]) for e in exports] == [
        ("us_auditor", len(listed), {"user": "us_analyst"})] * 2


def test_an_export_past_the_bound_is_refused_and_writes_nothing(client, cast, db, world, monkeypatch):
    monkeypatch.setenv("BINATIONAL_AUDIT_EXPORT_MAX_ROWS", "2")
    get_settings.cache_clear()
    try:
        r = _export(client, cast["us_auditor"])
        assert r.status_code == 422 and "audit_export_max_rows" in r.json()["error"]["message"]
        assert _export(client, cast["us_auditor"], "xml").status_code == 422
    finally:
        get_settings.cache_clear()
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.execute(select(AuditEntry.seq).where(AuditEntry.action == "audit.export")).first() is None


def test_the_command_line_exports_the_same_view_or_nothing(cast, db, world, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from binational.cli import app

    out = tmp_path / "mx.csv"
    result = CliRunner().invoke(app, ["audit", "export", "--as", "mx_auditor", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("seq,time,actor") and world["mx"] in text and world["us"] not in text
    bad = CliRunner().invoke(app, ["audit", "export", "--as", "mx_auditor", "--since", "soon",
                                   "--out", str(tmp_path / "bad.csv")])
    assert bad.exit_code == 2 and "is not a date" in bad.output and not (tmp_path / "bad.csv").exists()
    monkeypatch.setenv("BINATIONAL_AUDIT_EXPORT_MAX_ROWS", "1")
    get_settings.cache_clear()
    try:
        big = CliRunner().invoke(app, ["audit", "export", "--as", "us_auditor", "--out", str(tmp_path / "big.jsonl")])
    finally:
        get_settings.cache_clear()
    assert big.exit_code == 2 and "audit_export_max_rows" in big.output and not (tmp_path / "big.jsonl").exists()
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        exports = s.execute(select(AuditEntry.entry).where(AuditEntry.action == "audit.export")).scalars().all()
    assert [json.loads(e)["actor"] for e in exports] == ["mx_auditor"]

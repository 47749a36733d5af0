"""Results exported as CSV and FtM JSON lines: only what the viewer's list shows, bounded, audited."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from binational.audit.models import AuditEntry
from binational.config import get_settings
from binational.db import act_as_system
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in


def _make(client, member, properties, schema="Person", **policy):
    r = client.post("/api/v1/entities", headers=member.headers,
                    json={"schema": schema, "properties": properties, **policy})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def records(client, cast):
    """CBP's person released to FGR, whose address CBP keeps to itself; CBP's and ATF's own persons."""
    cbp = cast["us_analyst"]
    address = _make(client, cbp, {"full": ["12 Calle Secreta, Nogales"]}, "Address")
    return {
        "hidden_address": address,
        "released": _make(client, cbp, {"name": ["=HYPERLINK(\"http://x\")"], "addressEntity": [address],
                                        "nationality": ["mx"]}, distribution="release", release_to=["MX-FGR"]),
        "cbp_only": _make(client, cbp, {"name": ["Ana Escondida"]}),
        "atf_only": _make(client, cast["us_atf"], {"name": ["Ana Armada"]}),
        "fgr_own": _make(client, cast["mx_analyst"], {"name": ["Ana Propia"]}),
    }


def _exports(db) -> list[str]:
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        return list(s.execute(select(AuditEntry.entry).where(AuditEntry.action == "entity.export")
                              .order_by(AuditEntry.seq)).scalars())


def test_a_partner_exports_only_what_it_may_see_in_either_format(client, cast, db, records):
    fgr = cast["mx_analyst"].headers
    ftm = client.get("/api/v1/entities/export?format=ftm", headers=fgr)
    assert ftm.status_code == 200 and ftm.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in ftm.text.splitlines()]
    assert {e["id"] for e in lines} == {records["released"], records["fgr_own"]}
    released = next(e for e in lines if e["id"] == records["released"])
    assert "addressEntity" not in released["properties"]  # a reference to a record it may not see
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/entities/export?format=csv", headers=fgr).text)))
    assert {r["id"] for r in rows} == {records["released"], records["fgr_own"]}
    for hidden in ("hidden_address", "cbp_only", "atf_only"):
        assert records[hidden] not in ftm.text
    assert "Escondida" not in ftm.text and "Armada" not in ftm.text and "Secreta" not in ftm.text
    outsider = client.get("/api/v1/entities/export?format=csv", headers=cast["outsider"].headers)
    assert outsider.status_code == 200 and outsider.text.strip() == "id,schema,caption,owner_agency,marking"
    entries = _exports(db)
    assert len(entries) == 3
    assert records["released"] in entries[0] and records["cbp_only"] not in entries[0]


def test_a_search_exports_its_results_and_a_spreadsheet_formula_stays_text(client, cast, records):
    cbp = cast["us_analyst"].headers
    body = client.get("/api/v1/entities/export", params={"format": "csv", "q": "ana", "schema": "Person"},
                      headers=cbp).text
    assert {r["id"] for r in csv.DictReader(io.StringIO(body))} == {records["cbp_only"]}
    everything = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/entities/export?format=csv&schema=Person", headers=cbp).text)))
    released = next(r for r in everything if r["id"] == records["released"])
    assert released["name"] == "'=HYPERLINK(\"http://x\")" and released["nationality"] == "mx"


def test_more_rows_than_allowed_is_a_clear_error_and_nothing_is_written(client, cast, db, records, monkeypatch):
    monkeypatch.setenv("BINATIONAL_EXPORT_MAX_ROWS", "2")
    get_settings.cache_clear()
    try:
        before = len(_exports(db))
        refused = client.get("/api/v1/entities/export?format=csv", headers=cast["us_analyst"].headers)
        assert refused.status_code == 422
        error = refused.json()["error"]
        assert error["code"] == "invalid_input" and "holds 3 entities, more than the 2 allowed" in error["message"]
        assert len(_exports(db)) == before
        # the bound counts what the viewer may see: FGR's two are allowed
        assert client.get("/api/v1/entities/export?format=csv", headers=cast["mx_analyst"].headers).status_code == 200
        bad = client.get("/api/v1/entities/export?format=xlsx", headers=cast["mx_analyst"].headers)
        assert bad.status_code == 422 and "format" in bad.json()["error"]["message"]
        sign_in(client, "us_analyst")
        page = client.get("/entities/export?format=csv", headers={"Accept-Language": "es"})
        assert page.status_code == 422 and "Esta exportación tendría 3 registros, más de los 2 permitidos" in page.text
        assert len(_exports(db)) == before + 1
    finally:
        get_settings.cache_clear()


def test_the_search_page_offers_its_results_as_files(client, cast, records):
    sign_in(client, "mx_analyst")
    page = client.get("/entities?q=ana&schema=Person")
    assert 'href="/entities/export?format=csv&amp;q=ana&amp;schema=Person' in page.text
    got = client.get("/entities/export?format=ftm&q=ana&schema=Person")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert [json.loads(line)["id"] for line in got.text.splitlines()] == [records["fgr_own"]]

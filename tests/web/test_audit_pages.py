"""The auditors' page in both languages (filters, action names in words, exports), and the home
page's one audit entry per view."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from binational.access import service as access
from binational.access.actions import ACTIONS
from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.web import i18n
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in

API = "/api/v1"


def _password(db, username: str) -> str:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        access.get_user(session=s, username=username).password_hash = access.hash_password("a long password")
    return "a long password"


def _entries(db) -> list[dict]:  # noqa: ANN001
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        return [json.loads(e) for e in s.execute(select(AuditEntry.entry).order_by(AuditEntry.seq)).scalars()]


def test_every_action_has_words_in_both_languages():
    for lang in i18n.LANGUAGES:
        missing = sorted(a for a in ACTIONS if f"action.{a}" not in i18n.catalog(lang))
        assert not missing, f"{lang}: actions without words: {missing}"


def test_one_home_page_view_is_one_entry_naming_what_it_shows(client, cast, db):
    mx = client.post(f"{API}/entities", headers=cast["mx_analyst"].headers,
                     json={"schema": "Person", "properties": {"name": ["Shown On Home"]},
                           "distribution": "release", "release_to": ["US-CBP"]}).json()["id"]
    sign_in(client, "us_analyst")
    before = len(_entries(db))
    assert client.get("/").status_code == 200
    added = _entries(db)[before:]
    assert [e["action"] for e in added] == ["dashboard.view"]
    assert mx in added[0]["objects"]
    # The owner's auditor still sees who saw its record on a home page (signing in opened it too).
    r = client.get(f"{API}/audit/who-saw/{mx}", headers=cast["mx_auditor"].headers)
    assert [(e["actor"], e["action"]) for e in r.json()["items"]] == [("us_analyst", "dashboard.view")] * 2


def test_audit_page_filters_and_exports_in_english_and_spanish(client, cast, db):
    entity = client.post(f"{API}/entities", headers=cast["us_analyst"].headers,
                         json={"schema": "Person", "properties": {"name": ["Filtered Person"]}}).json()["id"]
    sign_in(client, "us_auditor", _password(db, "us_auditor"))
    page = client.get("/audit", params={"user": "us_analyst", "action": "entity.create"})
    assert page.status_code == 200
    assert "Created a record" in page.text and entity in page.text and "Signed in" not in page.text.split("<tbody>")[1]
    assert 'href="/audit/export.csv?action=entity.create&amp;user=us_analyst"' in page.text
    client.post("/language", data={"lang": "es", "csrf": _csrf(client)})
    es = client.get("/audit", params={"object_id": entity})
    assert "Creó un registro" in es.text and 'lang="es"' in es.text
    bad = client.get("/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and 'id="e-since"' in bad.text
    csv_text = client.get("/audit/export.csv", params={"object_id": entity}).text
    assert csv_text.startswith("seq,time,actor") and entity in csv_text
    assert client.get("/audit/export.xml").status_code == 422
    with db.unit_of_work() as s:
        act_as_system(s)
        sequence_audit(db)
        exports = s.execute(select(func.count()).where(AuditEntry.action == "audit.export")).scalar_one()
    assert exports == 1


def test_partner_auditor_page_and_export_hide_what_it_may_not_see(client, cast, db):
    kept = client.post(f"{API}/entities", headers=cast["us_analyst"].headers,
                       json={"schema": "Person", "properties": {"name": ["Kept Quiet"]}}).json()["id"]
    client.get(f"{API}/entities/{kept}", headers=cast["us_analyst"].headers)
    sign_in(client, "mx_auditor", _password(db, "mx_auditor"))
    for path in ("/audit", "/audit/export.jsonl", "/audit/export.csv"):
        for params in ({}, {"object_id": kept}, {"user": "us_analyst"}):
            r = client.get(path, params=params)
            # the page echoes the filter typed (in its form and links); no entry shows it
            shown = " ".join(re.findall(r"<td[^>]*>(.*?)</td>", r.text, re.S)) if path == "/audit" else r.text
            assert r.status_code == 200 and kept not in shown and "us_analyst" not in shown, (path, params)


def _csrf(client) -> str:  # noqa: ANN001
    from tests.web.conftest import csrf_of
    return csrf_of(client.get("/audit").text)

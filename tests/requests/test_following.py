"""Requests people can follow: the rows of the inbox and outbox (subject, the selectors asked about,
the clock, the other agency), "mark all read", who may answer, and notification mails through a real
SMTP server. Attack tests first: what the sender typed, the partner's users and a record's content
never reach the other agency, a third agency or a mail."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.access import service as access
from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.db import Database, act_as_system
from binational.requests.models import Notification
from tests.conftest import PASSWORD, sequence_audit
from tests.web.conftest import csrf_of, sign_in

API = "/api/v1"
TYPED = "g-1234567"  # as the MX analyst types the passport number (the record holds G1234567)


@pytest.fixture
def asked(client, cast, record, discover):  # noqa: ANN001
    """MX-FGR asks US-CBP about a passport hit: (request id, the US person)."""
    person = record("us_analyst", "Person", {"name": ["Ramón Ortega Vidal"], "passportNumber": ["G1234567"]})
    [result] = discover("mx_analyst", {"type": "document", "value": TYPED})
    r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers, json={
        "type": "information", "to_agency": "US-CBP", "subject": "Passport seen at Reynosa",
        "question": "Prior crossings of this passport holder?\nAny associates?",
        "hit_refs": [result["hits"][0]["hit_ref"]]})
    assert r.status_code == 201, r.text
    return r.json()["id"], person


def _row(client, who, box: str, rid: str) -> dict:  # noqa: ANN001
    items = client.get(f"{API}/requests", params={"box": box}, headers=who.headers).json()["items"]
    [row] = [i for i in items if i["id"] == rid]
    return row


def test_the_typed_selector_stays_with_the_sender(client, cast, asked):
    rid, _person = asked
    sent = _row(client, cast["mx_analyst"], "outbox", rid)
    assert sent["selectors"] == [{"kind": "document", "value": TYPED}]
    received = _row(client, cast["us_supervisor"], "inbox", rid)
    assert received["selectors"] == [{"kind": "document", "value": None}]
    for who in ("us_supervisor", "us_analyst"):
        for path in (f"{API}/requests?box=inbox", f"{API}/requests/{rid}", f"{API}/notifications"):
            assert TYPED not in client.get(path, headers=cast[who].headers).text
    for who in ("outsider", "mx_inm", "us_atf"):
        assert client.get(f"{API}/requests/{rid}", headers=cast[who].headers).status_code == 404
        for box in ("inbox", "outbox"):
            assert client.get(f"{API}/requests?box={box}", headers=cast[who].headers).json()["items"] == []


def test_the_new_request_form_shows_the_typed_value_to_its_agency_only(client, cast, record, discover, db):
    record("us_analyst", "Person", {"name": ["Ramón Ortega Vidal"], "passportNumber": ["G1234567"]})
    [result] = discover("mx_analyst", {"type": "document", "value": TYPED})
    ref = result["hits"][0]["hit_ref"]
    form = f"/requests/new?to_agency=US-CBP&hit_ref={ref}"
    sign_in(client, "us_analyst")  # another agency carrying MX-FGR's reference
    assert TYPED not in client.get(form).text
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    assert f"Document: <code>{TYPED}</code>" in client.get(form).text
    sequence_audit(db)  # each form's read of its references is audited, naming no record: what each found
    with db.unit_of_work() as s:
        act_as_system(s)
        read = [json.loads(e) for e in s.execute(select(AuditEntry.entry).where(
            AuditEntry.action == "request.selectors").order_by(AuditEntry.seq)).scalars()]
    assert [(e["agency"], e["extra"]["found"], e.get("objects", [])) for e in read] == [
        ("US-CBP", 0, []), ("MX-FGR", 1, [])]


def test_rows_show_subject_selectors_clock_and_other_agency(client, cast, asked):
    rid, _person = asked
    sent = _row(client, cast["mx_analyst"], "outbox", rid)
    received = _row(client, cast["us_supervisor"], "inbox", rid)
    assert sent["subject"] == received["subject"] == "Passport seen at Reynosa"
    assert (sent["other_agency"], received["other_agency"]) == ("US-CBP", "MX-FGR")
    left = datetime.fromisoformat(received["due_at"]) - datetime.now(UTC)
    assert timedelta(hours=47) < left <= timedelta(hours=48) and not received["overdue"]
    # without a subject, the question's first line is the subject
    r = client.post(f"{API}/requests", headers=cast["us_analyst"].headers,
                    json={"to_agency": "MX-FGR", "question": "  Who drives plate ABC123?  \nDetails follow."})
    assert r.json()["subject"] == "Who drives plate ABC123?" and r.json()["selectors"] == []
    too_long = client.post(f"{API}/requests", headers=cast["us_analyst"].headers,
                           json={"to_agency": "MX-FGR", "question": "q", "subject": "x" * 201})
    assert too_long.status_code == 422 and too_long.json()["error"]["code"]


def test_pages_show_the_rows_in_english_and_spanish(client, cast, asked):
    rid, _person = asked
    sign_in(client, "mx_analyst")
    outbox = client.get("/requests?box=outbox").text
    assert "Passport seen at Reynosa" in outbox and f"Document: <code>{TYPED}</code>" in outbox
    assert "US-CBP" in outbox and "due in 4" in outbox  # 47-48 h: "due in 47 h" or "due in 48 h"
    page = client.get(f"/requests/{rid}").text
    assert "A user of US-CBP with one of these roles answers it: liaison, supervisor." in page
    assert "us_supervisor" not in page  # another agency's users are never named
    client.post("/language", data={"lang": "es", "csrf": csrf_of(outbox)})
    es = client.get("/requests?box=outbox").text
    assert "Documento" in es and "vence en 4" in es and "Asunto" in es


def test_mark_all_read_touches_only_ones_own(client, cast, asked, db):
    rid, _person = asked
    sup, mx = cast["us_supervisor"], cast["mx_analyst"]
    client.post(f"{API}/requests/{rid}/acknowledge", headers=sup.headers)
    assert client.get(f"{API}/notifications", headers=mx.headers).json()["unread"] == 1
    for who in ("outsider", "us_analyst"):
        assert client.post(f"{API}/notifications/read-all", headers=cast[who].headers).json() == {"marked": 0}
    assert client.get(f"{API}/notifications", headers=mx.headers).json()["unread"] == 1
    assert client.post(f"{API}/notifications/read-all", headers=sup.headers).json() == {"marked": 1}
    assert client.get(f"{API}/notifications", headers=sup.headers).json()["unread"] == 0
    assert client.get(f"{API}/notifications", headers=mx.headers).json()["unread"] == 1
    sign_in(client, "mx_analyst")
    page = client.get("/notifications").text
    assert "Mark all read" in page and "Passport seen at Reynosa" in page
    r = client.post("/notifications/read-all", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"{API}/notifications", headers=mx.headers).json()["unread"] == 0
    assert client.post("/notifications/read-all", data={}).status_code == 403  # no CSRF token
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        done = s.execute(select(func.count()).where(AuditEntry.action == "notification.read_all")).scalar_one()
    assert done == 4


def test_a_request_reaches_someone_of_the_agency_or_the_page_says_who_can(client, cast, db):
    """The README's story: an analyst of one agency asks an agency whose analyst signs in."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    first = client.post(f"{API}/requests", headers=us.headers, json={"to_agency": "MX-FGR", "question": "Who?"})
    # MX-FGR has nobody who may answer yet: its analyst is told, and its page says so.
    assert client.get(f"{API}/notifications", headers=mx.headers).json()["unread"] == 1
    sign_in(client, "mx_analyst")
    page = client.get(f"/requests/{first.json()['id']}").text
    assert "Nobody at MX-FGR can answer this request yet" in page and "liaison, supervisor" in page
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator adds a supervisor to MX-FGR
        access.add_user(session=s, username="mx_supervisor", agency="MX-FGR", roles=["supervisor"],
                        clearance="TLP:RED", password=PASSWORD)
    second = client.post(f"{API}/requests", headers=us.headers, json={"to_agency": "MX-FGR", "question": "And?"})
    assert client.get(f"{API}/notifications", headers=mx.headers).json()["unread"] == 1  # not told again
    page = client.get(f"/requests/{second.json()['id']}").text
    assert "You cannot answer this request yourself. Who can: mx_supervisor." in page
    client.cookies.clear()
    sign_in(client, "mx_supervisor")
    notices = client.get("/notifications").text
    assert f"/requests/{second.json()['id']}" in notices and f"/requests/{first.json()['id']}" not in notices
    answer_page = client.get(f"/requests/{second.json()['id']}").text
    assert 'action="/requests/' + second.json()["id"] + '/answer"' in answer_page


# --- notification mails -------------------------------------------------------------------------


class Mailbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        self.mails.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    yield box, port
    server.stop()


def _mailing_client(settings, port: int) -> tuple[TestClient, Database]:  # noqa: ANN001
    mailing = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_tls": "none",
                                          "smtp_from": "node@binational.test",
                                          "public_url": "https://binational.test"})
    db = Database(mailing)
    with db.unit_of_work() as s:
        act_as_system(s)
        access.get_user(session=s, username="us_supervisor").email = "supervisor@cbp.test"
        access.get_user(session=s, username="mx_analyst").email = "analyst@fgr.test"
    return TestClient(create_app(mailing, db)), db


def test_mails_say_what_the_notification_says_and_nothing_more(settings, cast, mailbox):
    box, port = mailbox
    client, db = _mailing_client(settings, port)
    with client:
        us = client.post(f"{API}/entities", headers=cast["us_analyst"].headers,
                         json={"schema": "Person", "properties": {"name": ["Ramón Ortega Vidal"],
                                                                  "passportNumber": ["G1234567"]}}).json()["id"]
        hits = client.post(f"{API}/discovery", headers=cast["mx_analyst"].headers,
                           json={"selectors": [{"type": "document", "value": TYPED}]}).json()["results"][0]["hits"]
        r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers, json={
            "to_agency": "US-CBP", "subject": "Passport seen at Reynosa", "question": "Prior crossings?",
            "hit_refs": [hits[0]["hit_ref"]]})
        rid = r.json()["id"]
        assert [to for to, _ in box.mails] == [["supervisor@cbp.test"]]
        client.post(f"{API}/requests/{rid}/answer", headers=cast["us_supervisor"].headers, json={"entity_ids": [us]})
        assert [to for to, _ in box.mails] == [["supervisor@cbp.test"], ["analyst@fgr.test"]]
    first, second = (text for _, text in box.mails)
    assert "Request for information from MX-FGR to US-CBP: submitted" in first
    assert f"https://binational.test/requests/{rid}" in first and "answered" in second
    for text in (first, second):
        for secret in ("Reynosa", "Prior crossings", "Ramón", "Ortega", "G1234567", TYPED, us):
            assert secret not in text
    db.dispose()


def test_a_mail_that_fails_is_logged_and_the_notification_stays(settings, cast, caplog):
    client, db = _mailing_client(settings, _free_port())  # nobody listens there
    with client, caplog.at_level(logging.WARNING, logger="binational.requests.mail"):
        r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers,
                        json={"to_agency": "US-CBP", "question": "Anyone there?"})
        assert r.status_code == 201
        notes = client.get(f"{API}/notifications", headers=cast["us_supervisor"].headers).json()
    assert notes["unread"] == 1 and notes["items"][0]["request_id"] == r.json()["id"]
    assert "notification mails not sent" in caplog.text
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.execute(select(func.count()).select_from(Notification)).scalar_one() == 1
    db.dispose()


def test_a_refused_request_mails_nobody(settings, cast, mailbox):
    box, port = mailbox
    client, db = _mailing_client(settings, port)
    with client:
        r = client.post(f"{API}/requests", headers=cast["mx_analyst"].headers,
                        json={"to_agency": "US-CBP", "question": "Q", "entity_ids": ["us-cbp.nothing"]})
        assert r.status_code == 404
        assert client.post(f"{API}/requests", headers=cast["mx_analyst"].headers,
                           json={"to_agency": "US-CBP", "question": " "}).status_code == 422
    assert box.mails == []
    db.dispose()


def test_the_readme_story_names_demo_users_who_may_answer():
    """The README's request story names the demo's users; those it says answer may answer a request
    for information, the others may read one, and its auditor reads the log."""
    import re
    from pathlib import Path

    from binational.access.roles import ROLES
    from binational.requests.types import TYPES
    from binational.scenario.world import AGENCY_BY_CODE, ROLE_CLEARANCE

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    story = readme[readme.index("A request between them"):].split("\n\n")[0]
    named = set(re.findall(r"`([a-z]+)_(" + "|".join(ROLE_CLEARANCE) + r")`", story))
    assert {("fgr", "supervisor"), ("fgr", "liaison"), ("fgr", "analyst"), ("cbp", "analyst")} <= named
    for short, role in named:
        assert f"{short.upper()}" in {code.split("-")[1] for code in AGENCY_BY_CODE} and role in ROLE_CLEARANCE
    answer = {role for _short, role in named if role in TYPES["information"].answer_roles}
    assert answer == {"supervisor", "liaison"}
    assert all("record.view" in ROLES[r] for _s, r in named if r != "auditor")
    assert ("cbp", "auditor") in named and "audit.read" in ROLES["auditor"]

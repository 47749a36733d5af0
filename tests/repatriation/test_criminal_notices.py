"""Criminal-interest notices to the arrangement's prosecutor's liaison (MX-FGR for US-ICE -> MX-INM):
the notice carries only the allow-listed facts of the one person and of the hand-over, reaches the
liaison alone (not the receiver, not the consulate), never opens the movement to the liaison, and is
never sent about a person whose protection or fear claim is on file."""

from __future__ import annotations

import re

from sqlalchemy import select

from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.repatriation import casefiles
from tests.conftest import sequence_audit
from tests.repatriation.conftest import acting, build_week, run_to_lock

API = "/api/v1"
#: words and fields that must never reach the liaison: claims, gates, the sender's own ids and codes
FORBIDDEN = re.compile(r"asylum|protection|fear|withholding|torture|claim|stay|legal_hold|gate|counsel|screening|"
                       r"us-ice\.case|fam-1|MX-CON-|F1\b|unaccompanied|medical", re.IGNORECASE)


def _line(client, parties, land: str, case_id: str) -> int:
    view = client.get(f"{API}/repatriation/movements/{land}", headers=parties["ice"].headers).json()
    return next(line["line_no"] for line in view["manifest"] if line["detainee_id"] == case_id)


def test_a_notice_tells_the_liaison_only_the_allow_listed_facts(db, client, parties, cast):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    line_no = _line(client, parties, land, week.cases["adult1"])
    r = client.post(f"{API}/repatriation/movements/{land}/criminal-notice", headers=parties["ice"].headers,
                    json={"line_no": line_no, "basis": "warrant", "reference": "OA-2024-117"})
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["to_agency"] == "MX-FGR"
    liaison = cast["mx_analyst"].headers  # MX-FGR, the us-mx arrangement's prosecutor's liaison
    notice = client.get(f"{API}/requests/{sent['request_id']}", headers=liaison)
    assert notice.status_code == 200
    text = notice.text
    assert "Persona Ordinaria 1" in text and "OA-2024-117" in text and "tijuana-chaparral" in text
    # nothing of anyone else on the manifest, of any claim, gate or sender's record
    view = client.get(f"{API}/repatriation/movements/{land}", headers=parties["ice"].headers).json()
    others = [line["name"] for line in view["manifest"] if line["line_no"] != line_no]
    assert others and not any(name in text for name in others)
    assert not FORBIDDEN.search(text), FORBIDDEN.search(text)
    assert land not in text  # the liaison is no party to the movement: not even its id
    # the liaison's auditor reads nothing of it beyond the request it received (before its
    # own user probes the movement's id below)
    sequence_audit(db)
    r = client.get(f"{API}/audit?limit=200", headers=cast["mx_auditor"].headers)
    assert r.status_code == 200 and land not in r.text and "Persona Ordinaria" not in r.text
    # the notice opens nothing of the movement to the liaison
    for path in (f"{API}/repatriation/movements/{land}", f"{API}/repatriation/movements/{land}/manifest.csv"):
        assert client.get(path, headers=liaison).status_code == 404
    assert client.get(f"{API}/repatriation/movements", headers=liaison).json() == []
    # the receiver and the consulate are no party to the notice
    for who in ("inm", "sre"):
        assert client.get(f"{API}/requests/{sent['request_id']}", headers=parties[who].headers).status_code == 404
        inbox = client.get(f"{API}/requests?box=inbox", headers=parties[who].headers).text
        assert sent["request_id"] not in inbox and "OA-2024-117" not in inbox
    # audited in the sender's log, naming the movement, the line and the request, never the basis
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        entries = s.execute(select(AuditEntry.actor_agency, AuditEntry.entry)
                            .where(AuditEntry.action == "repatriation.criminal_notice")).all()
    assert len(entries) == 1 and entries[0][0] == "US-ICE"
    assert land in entries[0][1] and sent["request_id"] in entries[0][1] and "OA-2024-117" not in entries[0][1]


def test_no_notice_about_a_person_with_a_claim_on_file(db, client, parties, cast):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    line_no = _line(client, parties, land, week.cases["late_claim"])
    for fact, value in (("protection_claim", "pending"), ("fear_claim", True)):
        with acting(db, "ice") as (s, actor):
            casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["late_claim"], fact=fact, value=value)
        r = client.post(f"{API}/repatriation/movements/{land}/criminal-notice", headers=parties["ice"].headers,
                        json={"line_no": line_no, "basis": "conviction", "reference": "CP-9"})
        assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "line_no", r.text
        with acting(db, "ice") as (s, actor):
            casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["late_claim"], fact=fact,
                                  value="none" if fact == "protection_claim" else False)
    inbox = client.get(f"{API}/requests?box=inbox", headers=cast["mx_analyst"].headers)
    assert inbox.status_code == 200 and "CP-9" not in inbox.text and "Irene" not in inbox.text


def test_only_the_sender_sends_a_notice_and_bad_input_is_refused(db, client, parties):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    line_no = _line(client, parties, land, week.cases["adult0"])
    ok = {"line_no": line_no, "basis": "warrant", "reference": "OA-1"}
    r = client.post(f"{API}/repatriation/movements/{land}/criminal-notice", headers=parties["inm"].headers, json=ok)
    assert r.status_code == 403
    for body, field in (({**ok, "basis": "rumour"}, "basis"), ({**ok, "reference": " "}, "reference"),
                        ({**ok, "line_no": 999}, "line_no")):
        r = client.post(f"{API}/repatriation/movements/{land}/criminal-notice", headers=parties["ice"].headers,
                        json=body)
        assert r.status_code == 422 and field in r.text, (field, r.text)
    # a movement not yet accepted carries no one to notify about
    r = client.post(f"{API}/repatriation/movements/{week.movements['land2']}/criminal-notice",
                    headers=parties["ice"].headers, json={**ok, "line_no": 1})
    assert r.status_code == 422

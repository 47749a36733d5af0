"""Intake proposes the Person records the viewer may already see for each participant, ranked by the
search module's name rules; a person the viewer may not see changes nothing of its answer."""

from tests.engagements.conftest import READOUTS

TEXT = (READOUTS / "call-en.txt").read_text(encoding="utf-8")


def _person(client, member, name, **policy):
    body = {"schema": "Person", "properties": {"name": name, "position": "Secretary of State"},
            "distribution": "agency", "marking": "TLP:AMBER"}
    body.update(policy)
    r = client.post("/api/v1/entities", headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _intake(client, member):
    r = client.post("/api/v1/engagements/intake", headers=member.headers, json={"text": TEXT})
    assert r.status_code == 200, r.text
    return r.json()


def _candidates(proposal, name):
    return [c["id"] for p in proposal["participants"] if p["name"] == name for c in p["candidates"]]


def test_a_hidden_person_of_the_same_name_changes_nothing(client, cast):
    mx, us = cast["mx_analyst"], cast["us_analyst"]
    before_mx, before_us = _intake(client, mx), _intake(client, us)
    assert _candidates(before_mx, "Marco Rubio") == []
    # Another agency's own record, and one above the colleague's clearance in the colleague's own agency.
    _person(client, us, "Marco Rubio")
    _person(client, cast["us_supervisor"], "Marco Rubio", marking="TLP:RED")
    _person(client, cast["outsider"], "Marco Antonio Rubio", distribution="national")
    assert _intake(client, mx) == before_mx
    after_us = _intake(client, us)
    assert len(_candidates(after_us, "Marco Rubio")) == 1  # its own, not the RED one
    assert _candidates(before_us, "Marco Rubio") == []


def test_people_the_viewer_sees_are_proposed_best_first_and_can_be_confirmed(client, cast):
    mx = cast["mx_analyst"]
    exact = _person(client, mx, "Marco Rubio")
    fuzzy = _person(client, mx, "Marcos Rubios")
    other = _person(client, mx, "Ana Rubio Castro")
    proposal = _intake(client, mx)
    found = _candidates(proposal, "Marco Rubio")
    assert found[:2] == [exact, fuzzy] and other not in found
    scores = [c["score"] for p in proposal["participants"] if p["name"] == "Marco Rubio" for c in p["candidates"]]
    assert scores == sorted(scores, reverse=True)
    # The editor confirms the existing record: the engagement involves it, no new person is written.
    r = client.post("/api/v1/engagements", headers=mx.headers, json={
        "name": "Call", "date": "2025-02-01", "format": "call",
        "participants": [{"name": "Marco Rubio", "entity_id": exact}]})
    assert r.status_code == 201, r.text
    assert [p["id"] for p in r.json()["participants"]] == [exact]


def test_confirming_a_person_one_may_not_see_answers_as_a_missing_one(client, cast):
    hidden = _person(client, cast["us_analyst"], "Marco Rubio")
    mx = cast["mx_analyst"]
    answers = []
    for entity_id in (hidden, "us-cbp-no-such-person"):
        r = client.post("/api/v1/engagements", headers=mx.headers, json={
            "name": "Call", "date": "2025-02-01", "format": "call",
            "participants": [{"name": "Marco Rubio", "entity_id": entity_id}]})
        answers.append((r.status_code, r.json()["error"]["code"]))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert client.get("/api/v1/engagements", headers=mx.headers).json() == []


def test_the_confirm_page_offers_the_records_and_keeps_the_choice(client, cast):
    from tests.engagements.test_pages import _confirm_fields
    from tests.web.conftest import sign_in

    known = _person(client, cast["us_analyst"], "Marco Rubio")
    csrf = sign_in(client, "us_analyst")
    r = client.post("/engagements/intake", data={"csrf": csrf, "text": TEXT})
    assert r.status_code == 200 and 'data-testid="candidates"' in r.text and f'value="{known}"' in r.text
    fields = _confirm_fields(r.text)
    rubio = next(k[:-5] for k, v in fields.items() if k.endswith("_name") and v == "Marco Rubio")
    fields.update({f"{rubio}_entity_id": known, "name": "Llamada", "date": "not a date", "format": "call",
                   "marking": "TLP:AMBER", "distribution": "agency", "release_to": [], "csrf": csrf})
    # a refused form is shown again with the records and the editor's choice, not a new person instead
    again = client.post("/engagements/new", data=fields)
    assert again.status_code == 422 and f'value="{known}" checked' in again.text
    fields["date"] = "2025-01-10"
    r = client.post("/engagements/new", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    engagement = r.headers["location"].rsplit("/", 1)[1]
    view = client.get(f"/api/v1/engagements/{engagement}", headers=cast["us_analyst"].headers).json()
    assert known in [p["id"] for p in view["participants"]]


def test_the_command_line_intake_is_audited_and_proposes_only_what_the_user_sees(client, cast, db):
    import json

    from sqlalchemy import select
    from typer.testing import CliRunner

    from binational.audit.models import AuditEntry
    from binational.cli import app
    from binational.db import act_as_system
    from tests.conftest import sequence_audit

    hidden = _person(client, cast["us_analyst"], "Marco Rubio")
    runner = CliRunner()
    readout = str(READOUTS / "call-en.txt")
    as_operator = runner.invoke(app, ["engagements", "intake", readout])
    as_partner = runner.invoke(app, ["engagements", "intake", readout, "--as", "mx_analyst"])
    as_owner = runner.invoke(app, ["engagements", "intake", readout, "--as", "us_analyst"])
    assert as_operator.exit_code == as_partner.exit_code == as_owner.exit_code == 0, as_operator.output
    assert hidden not in as_operator.stdout and hidden not in as_partner.stdout and hidden in as_owner.stdout
    assert json.loads(as_operator.stdout) == json.loads(as_partner.stdout)
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        entries = s.execute(select(AuditEntry.entry).where(AuditEntry.action == "engagement.intake")
                            .order_by(AuditEntry.seq)).scalars().all()
    assert [json.loads(e)["actor"] for e in entries] == ["system", "mx_analyst", "us_analyst"]

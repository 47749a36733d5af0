"""Attack tests first: what a partner or the outsider may not see of engagements, commitments and
their indicators leaves no trace."""

from sqlalchemy import select

from binational.audit.models import AuditEntry
from binational.db import act_as_system
from tests.conftest import sequence_audit
from tests.engagements.conftest import commit, engagement_body


def test_a_commitment_whose_indicator_is_not_shared_shows_no_values(client, cast, engagement, db):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    # Network plans are counted from the audit log: only its readers see the figure.
    r = commit(client, us, engagement["id"], indicator="networks.plans", target=2, unit="plans")
    assert r.status_code == 201, r.text
    commitment = r.json()["id"]
    seen = client.get(f"/api/v1/engagements/commitments/{commitment}", headers=mx.headers)
    assert seen.status_code == 200, seen.text
    progress = seen.json()["progress"]
    assert progress == {"indicator": "networks.plans", "shared": False, "label": "indicator.networks.plans",
                        "unit": None, "target": None,
                        "better": None, "series": [], "latest": None, "share_of_target": None, "on_track": None}
    # The indicator itself answers as a missing one; the board and the engagement hold no figures.
    r = client.get("/api/v1/engagements/indicators/networks.plans", headers=mx.headers,
                   params={"start": "2025-01-01", "end": "2025-03-01"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    board = client.get("/api/v1/engagements/board", headers=mx.headers).json()
    shown = [c for topics in board.values() for cs in topics.values() for c in cs]
    assert shown and all(c["progress"]["series"] == [] for c in shown if c["id"] == commitment)
    pdf = client.get(f"/api/v1/engagements/{engagement['id']}/brief.pdf", headers=mx.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        denied = s.execute(select(AuditEntry.entry).where(AuditEntry.action == "indicator.read",
                                                          AuditEntry.decision == "deny")).scalars().all()
    assert denied  # the refusal is recorded
    # The auditor of US-CBP reads the audit log: the figures are shared with it.
    r = client.get("/api/v1/engagements/indicators/networks.plans", headers=cast["us_auditor"].headers,
                   params={"start": "2025-01-01", "end": "2025-03-01"})
    assert r.status_code == 200 and [m for m, _ in r.json()["series"]] == ["2025-01", "2025-02", "2025-03"]


def test_an_engagement_kept_to_its_agency_does_not_exist_for_partners(client, cast):
    us = cast["us_analyst"]
    r = client.post("/api/v1/engagements", headers=us.headers, json=engagement_body(distribution="agency",
                                                                                    release_to=[]))
    assert r.status_code == 201, r.text
    hidden = r.json()["id"]
    for member in (cast["mx_analyst"], cast["outsider"], cast["us_atf"]):
        r = client.get(f"/api/v1/engagements/{hidden}", headers=member.headers)
        missing = client.get("/api/v1/engagements/us-cbp.nothing", headers=member.headers)
        assert r.status_code == missing.status_code == 404
        assert r.json() == {**missing.json(), "error": {**missing.json()["error"],
                                                        "message": r.json()["error"]["message"]}}
        assert client.get("/api/v1/engagements", headers=member.headers).json() == []
        assert client.get("/api/v1/engagements/board", headers=member.headers).json() == {}
        assert client.get(f"/api/v1/engagements/{hidden}/brief.pdf", headers=member.headers).status_code == 404
        # Nor may a commitment be hung on it.
        assert commit(client, member, hidden).status_code == 404


def test_a_hidden_commitment_of_a_shared_engagement_stays_hidden(client, cast, engagement):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    r = commit(client, us, engagement["id"], distribution="agency", release_to=[], name="Kept to CBP")
    assert r.status_code == 201
    kept = r.json()["id"]
    view = client.get(f"/api/v1/engagements/{engagement['id']}", headers=mx.headers).json()
    assert view["commitments"] == []
    assert client.get(f"/api/v1/engagements/commitments/{kept}", headers=mx.headers).status_code == 404
    assert "Kept to CBP" not in client.get("/api/v1/engagements/board", headers=mx.headers).text
    # The participant's record follows the engagement's policy: the partner sees it.
    assert [p["name"] for p in view["participants"]] == ["Christopher Landau"]


def test_figures_count_only_what_the_viewer_may_see(client, cast, engagement):
    us, mx = cast["us_supervisor"], cast["mx_analyst"]
    # MX-FGR asks US-CBP, whose supervisor answers with a record: a third agency counts none of it.
    r = client.post("/api/v1/entities", headers=cast["us_analyst"].headers,
                    json={"schema": "Person", "properties": {"name": ["Dora Paz"]}})
    person = r.json()["id"]
    r = client.post("/api/v1/requests", headers=mx.headers, json={
        "type": "information", "to_agency": "US-CBP", "subject": "guns", "question": "what do you hold?"})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/requests/{r.json()['id']}/answer", headers=us.headers,
                    json={"entity_ids": [person], "note": "here"})
    assert r.status_code == 200, r.text
    params = {"start": "2020-01-01", "end": "2030-12-01"}

    def answered(member):
        r = client.get("/api/v1/engagements/indicators/requests.answered", headers=member.headers, params=params)
        assert r.status_code == 200, r.text
        return sum(v for _, v in r.json()["series"])

    assert answered(us) == answered(mx) == 1
    assert answered(cast["us_atf"]) == answered(cast["outsider"]) == 0
    r = client.get("/api/v1/engagements/indicators/requests.answer_hours", headers=mx.headers, params=params)
    assert [v for _, v in r.json()["series"] if v is not None][0] < 1  # answered within the hour


def test_a_partners_timeline_board_and_brief_reads_show_in_the_owners_who_saw(client, cast, engagement):
    mx = cast["mx_analyst"]
    assert commit(client, cast["us_analyst"], engagement["id"]).status_code == 201
    assert client.get("/api/v1/engagements", headers=mx.headers).status_code == 200
    assert client.get("/api/v1/engagements/board", headers=mx.headers).status_code == 200
    assert client.get(f"/api/v1/engagements/{engagement['id']}/brief.pdf", headers=mx.headers).status_code == 200
    saw = client.get(f"/api/v1/audit/who-saw/{engagement['id']}", headers=cast["us_auditor"].headers)
    assert saw.status_code == 200, saw.text
    readers = {(e["actor"], e["action"]) for e in saw.json()["items"]}
    assert {("mx_analyst", "engagement.list"), ("mx_analyst", "engagement.brief")} <= readers, readers

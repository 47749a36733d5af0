"""Engagements and commitments end to end through the API and the command line, and their bad input:
the one error shape (API) or one line and exit 2 (CLI), with nothing written."""

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.audit.models import AuditEntry
from binational.cli import app
from binational.db import act_as_system
from binational.entities.models import Entity
from tests.engagements.conftest import READOUTS, commit, engagement_body

runner = CliRunner()


def _count(db, schema):
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(Entity).where(Entity.schema == schema)).scalar_one()


def test_intake_confirm_commit_and_progress(client, cast, db):
    us = cast["us_analyst"]
    text = (READOUTS / "reunion-es.txt").read_text(encoding="utf-8")
    r = client.post("/api/v1/engagements/intake", headers=us.headers, json={"text": text}, params={"language": "es"})
    assert r.status_code == 200, r.text
    proposal = r.json()
    assert {p["name"] for p in proposal["participants"]} == {"Omar García Harfuch", "Kristi Noem"}
    body = engagement_body(name="Reunión de seguridad", format="meeting", countries=proposal["countries"],
                           topics=proposal["topics"], readouts=[text],
                           participants=[{k: p[k] for k in ("name", "title", "office", "country")}
                                         for p in proposal["participants"]])
    r = client.post("/api/v1/engagements", headers=us.headers, json=body)
    assert r.status_code == 201, r.text
    engagement = r.json()
    assert engagement["readouts"][0]["language"] == "es" and not engagement["flagged"]
    assert len(engagement["participants"]) == 2
    r = commit(client, us, engagement["id"], indicator="requests.answer_hours", target=48, unit="hours")
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["status"] == "open" and c["progress"]["shared"] and c["progress"]["better"] == "lower"
    assert c["country"] == sorted(proposal["countries"]) and c["topics"] == sorted(proposal["topics"])
    r = client.post(f"/api/v1/engagements/commitments/{c['id']}/status", headers=us.headers,
                    json={"status": "in_progress", "note": "first flights agreed"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert r.json()["notes"] == ["first flights agreed"]
    # The partner it is released to sees it, but only its owner agency changes it.
    mx = cast["mx_analyst"]
    assert client.get(f"/api/v1/engagements/commitments/{c['id']}", headers=mx.headers).json()["status"] == \
        "in_progress"
    r = client.post(f"/api/v1/engagements/commitments/{c['id']}/status", headers=mx.headers, json={"status": "met"})
    assert r.status_code == 403
    board = client.get("/api/v1/engagements/board", headers=mx.headers, params={"topic": "drug_trafficking"}).json()
    assert set(board) == {"MX", "US"} and list(board["MX"]) == ["drug_trafficking"]
    timeline = client.get("/api/v1/engagements", headers=mx.headers, params={"country": "MX"}).json()
    assert [e["name"] for e in timeline] == ["Reunión de seguridad"]
    # A readout in a language intake does not cover is stored and flagged, not refused.
    text = (READOUTS / "note-fr.txt").read_text(encoding="utf-8")
    r = client.post("/api/v1/engagements", headers=us.headers, json=engagement_body(readouts=[text], participants=[]))
    assert r.status_code == 201, r.text
    assert r.json()["flagged"] and r.json()["readouts"][0]["text"] == text.strip()


def test_bad_input_is_refused_with_nothing_written(client, cast, engagement, db):
    us = cast["us_analyst"]
    before = _count(db, "Commitment"), _count(db, "Engagement"), _count(db, "Person")
    cases = [
        ({"indicator": "flights.accepted"}, "indicator"),
        ({"unit": "hours"}, "unit"),
        ({"target": None}, "target"),
        ({"status": "done"}, "status"),
        ({"owner_agency": "XX-NONE"}, "owner_agency"),
        ({"topics": ["weather"]}, "topics"),
        ({"indicator": None}, "indicator"),  # a target without an indicator
    ]
    for change, field in cases:
        r = commit(client, us, engagement["id"], **change)
        assert r.status_code == 422, (change, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and error["details"][0]["field"] == field, error
    for change in ({"format": "dinner"}, {"topics": ["weather"]}, {"countries": ["QQ"]},
                   {"participants": [{"name": "Ana", "country": "QQ"}]}, {"date": "2025-13-01"}):
        r = client.post("/api/v1/engagements", headers=us.headers, json=engagement_body(**change))
        assert r.status_code == 422, (change, r.text)
        assert set(r.json()) == {"error"}
    r = client.post("/api/v1/engagements/intake", headers=us.headers, json={"text": ""})
    assert r.status_code == 422
    r = client.get("/api/v1/engagements/indicators/requests.answered", headers=us.headers,
                   params={"start": "2025-03-01", "end": "2025-01-01"})
    assert r.status_code == 422
    assert (_count(db, "Commitment"), _count(db, "Engagement"), _count(db, "Person")) == before


def test_the_command_line(tmp_path, settings, db):
    # The command line alone (no serving app beside it holding SQLite's lock).
    body = tmp_path / "engagement.json"
    body.write_text(json.dumps(engagement_body()), encoding="utf-8")
    r = runner.invoke(app, ["engagements", "record", str(body), "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    engagement = {"id": r.stdout.strip()}
    body.write_text(json.dumps(engagement_body(format="dinner")), encoding="utf-8")
    r = runner.invoke(app, ["engagements", "record", str(body), "--as", "us_analyst"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    r = runner.invoke(app, ["engagements", "intake", str(READOUTS / "call-en.txt")])
    assert r.exit_code == 0, r.output
    proposal = json.loads(r.stdout)
    assert set(proposal) >= {"participants", "countries", "topics"}
    assert {"name": "Marco Rubio", "office": "Department of State", "country": "US"}.items() <= \
        proposal["participants"][0].items()
    r = runner.invoke(app, ["engagements", "commit", engagement["id"], "--what", "More return flights",
                            "--by", "Juan Ramón de la Fuente", "--owner", "MX-INM", "--due", "2026-06-30",
                            "--indicator", "resolution.accepted", "--target", "5", "--unit", "matches",
                            "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    commitment = r.stdout.strip()
    r = runner.invoke(app, ["engagements", "list", "--as", "mx_analyst"])
    assert r.exit_code == 0 and engagement["id"] in r.stdout
    out = tmp_path / "brief.pdf"
    r = runner.invoke(app, ["engagements", "brief", engagement["id"], "--out", str(out), "--language", "es",
                            "--as", "mx_analyst"])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF")
    r = runner.invoke(app, ["engagements", "status", commitment, "met", "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    # Bad input: one line, exit 2.
    for args in (["intake", str(tmp_path / "missing.txt")],
                 ["commit", engagement["id"], "--what", "x", "--by", "y", "--owner", "US-CBP", "--due", "soon",
                  "--as", "us_analyst"],
                 ["commit", engagement["id"], "--what", "x", "--by", "y", "--owner", "US-CBP", "--due", "2026-01-01",
                  "--indicator", "resolution.accepted", "--target", "5", "--unit", "hours", "--as", "us_analyst"],
                 ["brief", engagement["id"], "--out", str(tmp_path / "x.pdf"), "--as", "outsider"],
                 ["status", commitment, "finished", "--as", "us_analyst"]):
        r = runner.invoke(app, ["engagements", *args])
        assert r.exit_code == 2, (args, r.output)
        assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "x.pdf").exists()
    with db.session() as s:  # the brief's export was committed with its audit entry
        act_as_system(s)
        briefs = s.execute(select(AuditEntry.decision).where(AuditEntry.action == "engagement.brief")).scalars()
        assert list(briefs) == ["allow"]  # the outsider's refusal is recorded as the read it was


def test_gazetteer_additions_by_administrators_only(client, cast, settings):
    body = {"name": "Alicia Bárcena Ibarra", "surname": "Bárcena", "office": "MX-SRE", "forms": ["أليسيا بارسينا"]}
    r = client.post("/api/v1/engagements/gazetteer", headers=cast["us_analyst"].headers, json=body)
    assert r.status_code == 403
    r = client.post("/api/v1/engagements/gazetteer", headers=cast["admin"].headers, json={**body, "office": "XX"})
    assert r.status_code == 422
    r = client.post("/api/v1/engagements/gazetteer", headers=cast["admin"].headers, json=body)
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/engagements/intake", headers=cast["us_analyst"].headers,
                    json={"text": "اتصلت أليسيا بارسينا بنظيرها الأمريكي."})
    assert "Alicia Bárcena Ibarra" in {p["name"] for p in r.json()["participants"]}
    r = runner.invoke(app, ["engagements", "gazetteer", "list"])
    assert r.exit_code == 0 and "Alicia Bárcena Ibarra\tMX-SRE\tMX" in r.stdout

"""A hostile partner's attacks on engagements, written before their fixes: bad numbers, forged form
fields, oversized ranges, what the audit says was seen, and hidden records answering as missing ones."""

from sqlalchemy import select

from binational.audit.models import AuditEntry, AuditObjectRef
from binational.db import act_as_system
from tests.conftest import sequence_audit
from tests.engagements.conftest import commit
from tests.web.conftest import csrf_of, sign_in


def test_a_target_that_is_not_a_finite_number_is_refused(client, cast, engagement):
    us = cast["us_analyst"]
    for target in ("NaN", "Infinity", "-Infinity", "nan", "inf"):
        r = commit(client, us, engagement["id"], target=target)
        assert r.status_code == 422, (target, r.status_code, r.text)
        assert r.json()["error"]["code"] == "invalid_input"
    r = commit(client, us, engagement["id"], target=-5)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    board = client.get("/api/v1/engagements/board", headers=us.headers)
    assert board.status_code == 200 and board.json() == {}  # nothing written


def test_a_target_that_is_not_finite_is_refused_on_the_page(client, cast, engagement):
    csrf = sign_in(client, "us_analyst")
    r = client.post(f"/engagements/{engagement['id']}/commitments", data={
        "csrf": csrf, "name": "x", "committed_by": "y", "owner_agency": "US-CBP", "due_date": "2031-01-01",
        "indicator": "requests.answered", "target": "nan", "distribution": "agency", "marking": "TLP:AMBER"})
    assert r.status_code == 422 and 'class="error"' in r.text


def test_a_forged_participant_count_is_bad_input_not_a_crash(client, cast):
    csrf = sign_in(client, "us_analyst")
    for count in ("lots", "1e9", "-3", "9" * 5000):  # the last past the digits int() reads
        r = client.post("/engagements/new", data={"csrf": csrf, "participant_count": count, "name": "N",
                                                  "date": "2025-01-10", "format": "call", "marking": "TLP:AMBER"},
                        follow_redirects=False)
        assert r.status_code in (303, 422), (count, r.status_code)


def test_a_bad_status_on_the_page_is_bad_input(client, cast, engagement):
    created = commit(client, cast["us_analyst"], engagement["id"]).json()["id"]
    csrf = sign_in(client, "us_analyst")
    r = client.post(f"/engagements/commitments/{created}/status", data={"csrf": csrf, "status": "done!"},
                    follow_redirects=False)
    assert r.status_code == 422


def test_the_forms_need_their_csrf_token(client, cast, engagement):
    sign_in(client, "us_analyst")
    for path, data in ((f"/engagements/{engagement['id']}/commitments", {"name": "x"}),
                       ("/engagements/new", {"name": "x"}), ("/engagements/intake", {"text": "hola"}),
                       ("/engagements/gazetteer", {"name": "x"})):
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path


def test_an_indicator_over_centuries_is_refused(client, cast):
    r = client.get("/api/v1/engagements/indicators/requests.answered", headers=cast["us_analyst"].headers,
                   params={"start": "0001-01-01", "end": "9999-12-31"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_the_board_audits_only_the_commitments_it_shows(client, cast, engagement, db):
    us = cast["us_analyst"]
    mx_one = commit(client, us, engagement["id"], country="MX", name="Mexican side").json()["id"]
    us_one = commit(client, us, engagement["id"], country="US", name="American side").json()["id"]
    board = client.get("/api/v1/engagements/board", headers=us.headers, params={"country": "MX"}).json()
    assert {c["id"] for ts in board.values() for cs in ts.values() for c in cs} == {mx_one}
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        seq = s.execute(select(AuditEntry.seq).where(AuditEntry.action == "commitment.board")
                        .order_by(AuditEntry.seq.desc())).scalars().first()
        seen = set(s.execute(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == seq)).scalars())
    assert mx_one in seen and us_one not in seen


def test_hidden_and_missing_pages_answer_alike(client, cast):
    us = cast["us_analyst"]
    r = client.post("/api/v1/engagements", headers=us.headers, json={
        "name": "Kept", "date": "2025-01-10", "format": "call", "distribution": "agency"})
    hidden = r.json()["id"]
    kept = commit(client, us, hidden, distribution="agency", release_to=[]).json()["id"]
    sign_in(client, "mx_analyst")
    for path in (f"/engagements/{hidden}", f"/engagements/{hidden}/brief.pdf", f"/engagements/commitments/{kept}"):
        shown = client.get(path)
        missing = client.get(path.replace(hidden, "us-cbp.nothing").replace(kept, "us-cbp.nothing"))
        assert shown.status_code == missing.status_code == 404, path
        assert shown.content.replace(hidden.encode(), b"X").replace(kept.encode(), b"X") == \
            missing.content.replace(b"us-cbp.nothing", b"X"), path
    csrf = csrf_of(client.get("/engagements").text)
    r = client.post(f"/engagements/{hidden}/commitments", data={"csrf": csrf, "name": "x"})
    assert r.status_code == 404


def test_the_command_line_refuses_before_it_acts(tmp_path, settings, db):
    from typer.testing import CliRunner

    from binational.cli import app
    from tests.engagements.conftest import engagement_body

    runner = CliRunner()
    body = tmp_path / "engagement.json"
    body.write_text(__import__("json").dumps(engagement_body()), encoding="utf-8")
    r = runner.invoke(app, ["engagements", "record", str(body), "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    engagement = r.stdout.strip()
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        before = s.execute(select(AuditEntry.seq).where(AuditEntry.action == "engagement.brief")).all()
    for args in (["brief", engagement, "--out", str(tmp_path / "no" / "such" / "dir.pdf"), "--as", "us_analyst"],
                 ["commit", engagement, "--what", "x", "--by", "y", "--owner", "US-CBP", "--due", "2026-01-01",
                  "--indicator", "requests.answered", "--target", "nan", "--unit", "requests", "--as", "us_analyst"],
                 ["commit", engagement, "--what", "x", "--by", "y", "--owner", "US-CBP", "--due", "2026-01-01",
                  "--indicator", "requests.answered", "--target", "-1", "--unit", "requests", "--as", "us_analyst"]):
        r = runner.invoke(app, ["engagements", *args])
        assert r.exit_code == 2, (args, r.output)
        assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    sequence_audit(db)
    with db.session() as s:  # no brief was exported (nor audited as one) for a file never written
        act_as_system(s)
        assert s.execute(select(AuditEntry.seq).where(AuditEntry.action == "engagement.brief")).all() == before


def test_a_shared_commitment_of_a_hidden_engagement_does_not_name_it(client, cast):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    hidden = client.post("/api/v1/engagements", headers=us.headers, json={
        "name": "Kept", "date": "2025-01-10", "format": "call", "countries": ["US"],
        "distribution": "agency"}).json()["id"]
    shared = commit(client, us, hidden).json()["id"]
    for path in (f"/api/v1/engagements/commitments/{shared}", "/api/v1/engagements/board"):
        r = client.get(path, headers=mx.headers)
        assert r.status_code == 200 and shared in r.text and hidden not in r.text, path
    sign_in(client, "mx_analyst")
    page = client.get(f"/engagements/commitments/{shared}")
    assert page.status_code == 200 and hidden not in page.text
    assert 'name="status"' not in page.text  # a partner that sees it is offered no status form


def test_an_oversized_upload_is_too_long_not_garbled(client, cast):
    csrf = sign_in(client, "us_analyst")
    huge = ("ب" * 200_000).encode()  # two bytes a letter: cut anywhere it would not decode
    r = client.post("/engagements/intake", data={"csrf": csrf}, files={"file": ("r.txt", huge, "text/plain")})
    assert r.status_code == 422 and "60000" in r.text.replace(",", "").replace("\u202f", "").replace(" ", "")

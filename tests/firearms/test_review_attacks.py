"""Attacks of the review of firearms tracing: a trace must never carry out of the tracing agency a
record it may not release (another agency's record shared with it nationally, or a record marked above
the trace), oversized fields answer 422 and write nothing, hidden and missing trace pages are the same
bytes, the forms refuse a post without the CSRF token, and a record read through the queue is audited."""

from __future__ import annotations

from sqlalchemy import select

from binational.access import service as access
from binational.audit import log
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.db import act_as_system
from tests.conftest import Member
from tests.firearms.conftest import API, SALES, TRACES, get
from tests.web.conftest import sign_in

ONE = TRACES.splitlines()[0] + "\n" + TRACES.splitlines()[1] + "\n"  # GLOCK BKLM123, read cleanly


def _everything_mx_sees(client, mx: Member, trace_id: str) -> str:  # noqa: ANN001
    seen = [get(client, mx, f"/firearms/traces/{trace_id}").text, get(client, mx, "/firearms/traces").text,
            get(client, mx, "/firearms/leads").text]
    request_id = get(client, mx, f"/firearms/traces/{trace_id}").json()["request_id"]
    seen.append(get(client, mx, f"/requests/{request_id}").text)
    return "\n".join(seen)


def test_another_us_agencys_national_record_is_not_released_to_the_requester(client, cast, atf, counts):
    # US-CBP shares a sale record nationally: US-ATF sees it, but it is not US-ATF's to hand to Mexico
    cbp = cast["us_analyst"]
    r = client.post(f"{API}/firearms/records", headers=cbp.headers,
                    json={"kind": "sales", "csv": SALES, "distribution": "national"})
    assert r.status_code == 201, r.text
    mx = cast["mx_analyst"]
    sent = client.post(f"{API}/firearms/traces/batch", headers=mx.headers, json={"csv": ONE}).json()["ids"]
    done = client.post(f"{API}/firearms/traces/resolve", headers=atf.headers).json()
    assert done == {"resolved": 0, "candidates": 0, "no_match": 1, "closed": 0}
    seen = _everything_mx_sees(client, mx, sent[0])
    assert "John Straw" not in seen and "Lone Star Guns" not in seen


def test_a_record_marked_above_the_trace_is_never_released_under_its_marking(client, cast, db):
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username="atf_red", agency="US-ATF", roles=["supervisor"],
                               clearance="TLP:RED")
        _row, token = access.create_token(session=s, user=user, days=1)
    red = Member("atf_red", "US-ATF", ("supervisor",), "TLP:RED", token)
    r = client.post(f"{API}/firearms/records", headers=red.headers,
                    json={"kind": "sales", "csv": SALES, "marking": "TLP:RED"})
    assert r.status_code == 201, r.text
    mx = cast["mx_analyst"]
    sent = client.post(f"{API}/firearms/traces/batch", headers=mx.headers, json={"csv": TRACES}).json()["ids"]
    done = client.post(f"{API}/firearms/traces/resolve", headers=red.headers).json()
    assert done == {"resolved": 0, "candidates": 0, "no_match": 3, "closed": 0}
    for trace_id in sent:
        seen = _everything_mx_sees(client, mx, trace_id)
        assert "John Straw" not in seen and "Lone Star Guns" not in seen and "Tucson Arms" not in seen


def test_oversized_fields_answer_422_and_write_nothing(client, cast, atf, counts):
    mx = cast["mx_analyst"]
    before = counts()
    header, line = TRACES.splitlines()[0], TRACES.splitlines()[1]
    one = dict(zip(header.split(","), line.split(","), strict=True))
    one["obliterated"] = False
    for field, size in (("crime_code", 17), ("officer", 201), ("recovery_place", 201), ("ori", 17),
                        ("model", 121), ("possessor", 201), ("serial", 65)):
        r = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**one, field: "A" * size})
        assert r.status_code == 422, (field, r.status_code, r.text[:200])
        assert r.json()["error"]["details"][0]["field"] == field
    long_officer = TRACES.splitlines()[0] + "\n" + line.replace("Lic. Ruiz", "L" * 300) + "\n"
    r = client.post(f"{API}/firearms/traces/batch", headers=mx.headers, json={"csv": long_officer})
    assert r.status_code == 422 and r.json()["error"]["details"][0] == {"field": "officer", "line": 2}
    sales = SALES.splitlines()
    r = client.post(f"{API}/firearms/records", headers=atf.headers,
                    json={"kind": "sales", "csv": "\n".join([sales[0], sales[1].replace("Lone Star Guns", "D" * 200)])})
    assert r.status_code == 422 and r.json()["error"]["details"][0] == {"line": 2, "field": "dealer"}
    assert counts() == before


def test_a_hidden_trace_page_is_the_missing_page_byte_for_byte(client, cast, stocked, sent):
    outsider = cast["outsider"]
    ghost = "tr_" + "0" * 32
    client.cookies.clear()
    sign_in(client, "outsider")
    missing = client.get(f"/firearms/traces/{ghost}")
    hidden = client.get(f"/firearms/traces/{sent[0]}")
    assert missing.status_code == hidden.status_code == 404
    assert hidden.content == missing.content.replace(ghost.encode(), sent[0].encode())
    assert outsider.agency == "GT-PNC"


def test_the_forms_refuse_a_post_without_the_csrf_token(client, cast, counts):
    sign_in(client, "mx_analyst")
    before = counts()
    r = client.post("/firearms/batch", data={"batch": TRACES}, follow_redirects=False)
    assert r.status_code == 403
    assert counts() == before


def test_candidate_records_shown_in_the_queue_are_audited_as_read(client, db, stocked, sent):
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).status_code == 200
    page = get(client, stocked, "/firearms/traces", box="queue", status="candidates").json()
    shown = {c["sale_id"] for t in page["items"] for c in t["candidates"]}
    assert shown
    with db.unit_of_work() as s:
        act_as_system(s)
        log.drain(s)
        last = s.execute(select(AuditEntry.seq).where(AuditEntry.action == "firearms.trace.list")
                         .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        named = set(s.execute(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == last)).scalars())
    assert shown <= named


def test_the_command_line_refuses_a_long_field_in_one_line_and_hides_a_trace_like_a_missing_one(
        client, cast, stocked, sent, counts):
    from typer.testing import CliRunner

    from binational.cli import app

    runner = CliRunner()
    before = counts()
    result = runner.invoke(app, ["firearms", "trace", "submit", "--as", "mx_analyst", "--serial", "BKLM123",
                                 "--manufacturer", "Glock", "--model", "19", "--caliber", "9mm", "--type", "pistol",
                                 "--crime-code", "5212", "--officer", "L" * 300, "--recovery-place", "Culiacán",
                                 "--recovered-on", "2024-06-01"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: ") and "officer" in result.stderr
    assert counts() == before
    ghost = "tr_" + "0" * 32
    missing = runner.invoke(app, ["firearms", "traces", "--id", ghost, "--as", "mx_inm"])
    hidden = runner.invoke(app, ["firearms", "traces", "--id", sent[0], "--as", "mx_inm"])
    assert missing.exit_code == hidden.exit_code == 2
    assert hidden.stderr == missing.stderr.replace(ghost, sent[0])


def test_a_withdrawn_trace_does_not_stop_the_tracers_queue(client, cast, stocked, sent):
    # the requester withdraws one trace's request: the rest of the queue is still resolved, and the
    # withdrawn trace is closed, not answered
    mx = cast["mx_analyst"]
    request_id = get(client, mx, f"/firearms/traces/{sent[0]}").json()["request_id"]
    assert client.post(f"{API}/requests/{request_id}/withdraw", headers=mx.headers).status_code == 200
    r = client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"resolved": 0, "candidates": 2, "no_match": 0, "closed": 1}
    view = get(client, mx, f"/firearms/traces/{sent[0]}").json()
    assert view["status"] == "closed" and view["result"] is None
    assert get(client, mx, "/firearms/traces", status="closed").json()["counts"]["closed"] == 1


def test_the_records_leads_show_as_evidence_are_audited_as_read(client, db, stocked, sent):
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).status_code == 200
    trace = get(client, stocked, f"/firearms/traces/{sent[1]}").json()
    client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=stocked.headers,
                json={"sale_id": trace["candidates"][0]["sale_id"]})
    found = get(client, stocked, "/firearms/leads").json()
    evidence = {ev for sig in found["signals"] for r in sig["reasons"] for ev in r["evidence"]}
    reports = {ev for ev in evidence if ".ms" in ev}
    assert reports  # John Straw's multiple sale came before the recovery
    with db.unit_of_work() as s:
        act_as_system(s)
        log.drain(s)
        last = s.execute(select(AuditEntry.seq).where(AuditEntry.action == "firearms.leads")
                         .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        named = set(s.execute(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == last)).scalars())
    assert evidence <= named


def test_confirming_a_hidden_trace_is_the_missing_trace_byte_for_byte(client, cast, stocked, sent, counts):
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).status_code == 200
    sale_id = get(client, stocked, f"/firearms/traces/{sent[1]}").json()["candidates"][0]["sale_id"]
    ghost = "tr_" + "0" * 32
    before = counts()
    for who in ("us_supervisor", "outsider"):
        member = cast[who]
        hidden = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=member.headers,
                             json={"sale_id": sale_id})
        missing = client.post(f"{API}/firearms/traces/{ghost}/confirm", headers=member.headers,
                              json={"sale_id": sale_id})
        assert hidden.status_code == missing.status_code, who
        assert hidden.content == missing.content.replace(ghost.encode(), sent[1].encode()), who
    assert counts() == before


def test_the_requester_never_learns_the_id_of_the_tracers_sale_record(client, cast, stocked, sent):
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).status_code == 200
    sale_id = get(client, stocked, f"/firearms/traces/{sent[0]}").json()["result"]["sale_id"]
    mx = cast["mx_analyst"]
    view = get(client, mx, f"/firearms/traces/{sent[0]}").json()
    assert view["result"]["dealer"] == "Lone Star Guns"  # the answer is released ...
    assert sale_id not in _everything_mx_sees(client, mx, sent[0])  # ... not the record behind it


def test_an_import_names_every_record_it_wrote_for_who_saw(client, db, atf):
    from binational.firearms.models import FirearmSale

    r = client.post(f"{API}/firearms/records", headers=atf.headers, json={"kind": "sales", "csv": SALES})
    assert r.status_code == 201
    with db.unit_of_work() as s:
        act_as_system(s)
        log.drain(s)
        written = set(s.execute(select(FirearmSale.id)).scalars())
        last = s.execute(select(AuditEntry.seq).where(AuditEntry.action == "firearms.import")
                         .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        named = set(s.execute(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == last)).scalars())
    assert len(written) == 6 and written == named


def test_a_trace_marked_above_another_never_moves_its_candidates(client, cast, atf):
    # the queue holds BKLM123 read cleanly (AMBER) and BKLM12? (GREEN): read as one batch, the clean one
    # would claim BKLM123 and lower it for the damaged one, telling a GREEN-cleared tracer of a trace it
    # may not see. Each marking is its own batch: the GREEN trace is ranked as if alone.
    r = client.post(f"{API}/firearms/records", headers=atf.headers,
                    json={"kind": "sales", "csv": SALES, "marking": "TLP:GREEN"})
    assert r.status_code == 201, r.text
    lines = TRACES.splitlines()
    damaged = lines[1].replace("BKLM123", "BKLM12?").replace("Pedro Sicario", "Ana Sicaria") + ",TLP:GREEN"
    batch = "\n".join([lines[0] + ",marking", lines[1] + ",TLP:AMBER", damaged])
    sent = client.post(f"{API}/firearms/traces/batch", headers=cast["mx_analyst"].headers, json={"csv": batch})
    assert sent.status_code == 201, sent.text
    assert client.post(f"{API}/firearms/traces/resolve", headers=atf.headers).json()["resolved"] == 1
    found = get(client, atf, f"/firearms/traces/{sent.json()['ids'][1]}").json()["candidates"]
    assert {c["serial"] for c in found[:2]} == {"BKLM123", "BKLM128"}
    assert not [r for c in found for r in c["reasons"] if r.endswith("_other_trace")]

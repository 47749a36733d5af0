"""Attacks of the review of the recovery link and the evidence ranking: a probe of another agency's
recovery is audited to that agency; a colleague cleared below a recovery sees the trace sent for it but
neither the link nor the recovery; the possessor the requester names orders candidates it never sees,
and nothing of them comes back to it; odd recovery ids and numbers are 404 or 422, never 500; a hidden
and a missing recovery take the same statements."""

from __future__ import annotations

from sqlalchemy import select

from binational.access import service as access
from binational.audit import log
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.db import act_as_system
from tests.conftest import PASSWORD, Member
from tests.firearms.conftest import API, get
from tests.firearms.test_recovery_link import RECOVERIES, TRACE


def _denials(db, action: str) -> list[set[tuple[str, str | None]]]:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        log.drain(s)
        seqs = s.execute(select(AuditEntry.seq).where(AuditEntry.action == action, AuditEntry.decision == "deny")
                         ).scalars().all()
        return [{tuple(row) for row in s.execute(select(AuditObjectRef.object_id, AuditObjectRef.object_agency)
                              .where(AuditObjectRef.seq == q))} for q in seqs]


def test_a_probe_of_a_hidden_recovery_is_audited_to_its_owner(client, db, cast, stocked):
    mx = cast["mx_analyst"]
    r = client.post(f"{API}/firearms/records", headers=mx.headers, json={"kind": "recoveries", "csv": RECOVERIES})
    assert r.status_code == 201, r.text
    recovery_id = client.post(f"{API}/firearms/traces", headers=mx.headers,
                              json={**TRACE, "recovery": "FGR-0001"}).json()["recovery"]["id"]
    hidden = get(client, stocked, f"/firearms/recoveries/{recovery_id}")
    assert hidden.status_code == 404 and "MX-FGR" not in hidden.text
    # the owner's auditors see who tried to read its recovery: the refusal names the recovery's owner
    assert _denials(db, "firearms.recovery.read") == [{(recovery_id, "MX-FGR")}]
    audited = get(client, cast["mx_auditor"], "/audit", action="firearms.recovery.read")
    assert audited.status_code == 200 and recovery_id in audited.text


def _member(db, username: str, agency: str, clearance: str) -> Member:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username=username, agency=agency, roles=["analyst"],
                               clearance=clearance, password=PASSWORD)
        _row, secret = access.create_token(session=s, user=user, days=30)
    return Member(username, agency, ("analyst",), clearance, secret)


def test_a_colleague_cleared_below_the_recovery_sees_the_trace_only(client, db, cast, stocked, counts):
    red, amber = _member(db, "mx_red", "MX-FGR", "TLP:RED"), cast["mx_analyst"]
    r = client.post(f"{API}/firearms/records", headers=red.headers,
                    json={"kind": "recoveries", "csv": RECOVERIES, "marking": "TLP:RED"})
    assert r.status_code == 201, r.text
    sent = client.post(f"{API}/firearms/traces", headers=red.headers, json={**TRACE, "recovery": "FGR-0001"})
    assert sent.status_code == 201 and sent.json()["recovery"]["recovery_id"] == "FGR-0001"
    trace_id, recovery_id = sent.json()["id"], sent.json()["recovery"]["id"]
    # the AMBER colleague sees the AMBER trace, not the RED recovery nor that it was sent for one
    seen = get(client, amber, f"/firearms/traces/{trace_id}").json()
    assert seen["recovery"] is None and recovery_id not in str(seen)
    assert [t["recovery"] for t in get(client, amber, "/firearms/traces").json()["items"]] == [None]
    assert get(client, amber, f"/firearms/recoveries/{recovery_id}").status_code == 404
    # nor may it name the RED recovery: the answer of a number that does not exist
    before = counts()
    taken = client.post(f"{API}/firearms/traces", headers=amber.headers, json={**TRACE, "recovery": "FGR-0001"})
    missing = client.post(f"{API}/firearms/traces", headers=amber.headers, json={**TRACE, "recovery": "FGR-9999"})
    assert taken.status_code == missing.status_code == 422
    assert taken.json()["error"]["message"].replace("0001", "9999") == missing.json()["error"]["message"]
    assert counts() == before
    # the RED sender sees both
    assert get(client, red, f"/firearms/recoveries/{recovery_id}").json()["traces"][0]["id"] == trace_id


def test_the_possessor_orders_candidates_the_requester_never_sees(client, cast, stocked):
    mx = cast["mx_analyst"]
    # BKLM12? fits A1 (John Straw's) and A2 (Ann Other's): the possessor named puts John Straw's first
    ids = [client.post(f"{API}/firearms/traces", headers=mx.headers,
                       json={**TRACE, "serial": "BKLM12?", "possessor": who}).json()["id"]
           for who in ("John Straw", "Nadie Nadie", "")]
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).json()["candidates"] == 3
    tracer = [get(client, stocked, f"/firearms/traces/{i}").json()["candidates"] for i in ids]
    assert "possessor_is_purchaser" in tracer[0][0]["reasons"]
    # a possessor no record names, or none at all, leaves the scores as the markings give them
    assert [c["score"] for c in tracer[1]] == [c["score"] for c in tracer[2]]
    # the requester: the same status whoever it named, and nothing of the candidates
    for i in ids:
        view = get(client, mx, f"/firearms/traces/{i}")
        assert view.json()["status"] == "candidates" and "candidates" not in view.json()
        for word in ("Lone Star", "Ann Other", "score", "possessor_is_purchaser", "A1", "A2"):
            assert word not in view.text.replace('"John Straw"', ""), word
    leads = get(client, mx, "/firearms/leads").json()
    assert leads["results"] == 0 and leads["signals"] == []


def test_odd_recovery_ids_and_numbers_are_404_or_422(client, cast, stocked, counts):
    mx = cast["mx_analyst"]
    for ident in ("x" * 5000, "mx-fgr.fr\u200b\u0301", "%F0%9F%94%AB", "..%2F..%2Fetc"):
        r = get(client, mx, f"/firearms/recoveries/{ident}")
        assert r.status_code == 404, (ident, r.status_code)
    assert get(client, mx, "/firearms/recoveries/a%00b").status_code == 422
    before = counts()
    header = ",".join(TRACE) + ",recovery\n"
    line = ",".join(str(v) for v in TRACE.values())
    for number in ("R" * 65, "\u202eFGR-0001", "FGR-0001\u0000"):
        r = client.post(f"{API}/firearms/traces/batch", headers=mx.headers, json={"csv": f"{header}{line},{number}\n"})
        assert r.status_code == 422, (number, r.status_code, r.text)
    assert counts() == before


def test_a_hidden_and_a_missing_recovery_take_the_same_statements(client, db, cast, stocked):
    import threading

    from sqlalchemy import event

    mx = cast["mx_analyst"]
    client.post(f"{API}/firearms/records", headers=mx.headers, json={"kind": "recoveries", "csv": RECOVERIES})
    recovery_id = client.post(f"{API}/firearms/traces", headers=mx.headers,
                              json={**TRACE, "recovery": "FGR-0001"}).json()["recovery"]["id"]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        # On PostgreSQL the audit sequencer works on the same engine in the background.
        if threading.current_thread().name != "audit-sequencer":
            seen.append(statement.split()[0])

    shapes = []
    event.listen(db.app_engine, "before_cursor_execute", count)
    try:
        for ident in (recovery_id, recovery_id[:-4] + "0000"):
            seen.clear()
            r = get(client, stocked, f"/firearms/recoveries/{ident}")
            assert r.status_code == 404
            shapes.append(list(seen))
    finally:
        event.remove(db.app_engine, "before_cursor_execute", count)
    assert shapes[0] and shapes[0] == shapes[1]

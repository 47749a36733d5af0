"""A trace names the recovered firearm it was sent for. Attacks first: US-ATF, which traces it, never
learns the recovery MX-FGR did not release to it (not in the trace, not in its audit of what it saw,
404 on the recovery); another Mexican agency that sees the recovery nationally does not see the
trace, nor can it send a trace for another agency's recovery; MX-FGR sees its recovery with its
trace, and the trace's result only once released, never the candidates."""

from __future__ import annotations

from sqlalchemy import select

from binational.audit import log
from binational.audit.models import AuditEntry, AuditObjectRef
from binational.db import act_as_system
from tests.firearms.conftest import API, get

RECOVERIES = """recovery_id,seizure,place,state,recovered_on,possessor,manufacturer,model,caliber,weapon_type,serial
FGR-0001,Operativo Norte,Culiacán,Sinaloa,2024-06-01,Pedro Sicario,GLOCK,G19,9MM,pistol,BKLM123
FGR-0002,Operativo Norte,Reynosa,Tamaulipas,2024-07-01,Luis Sicario,S&W,M&P 15,.223,rifle,TM12?45
"""
TRACE = {"priority": "urgent", "crime_code": "5212", "officer": "Lic. Ruiz", "recovery_place": "Culiacán",
         "recovery_state": "Sinaloa", "recovered_on": "2024-06-01", "possessor": "Pedro Sicario",
         "manufacturer": "GLOCK", "model": "G19", "caliber": "9MM", "weapon_type": "pistol", "serial": "BKLM123"}


def _recoveries(client, member, distribution: str = "national") -> None:  # noqa: ANN001
    r = client.post(f"{API}/firearms/records", headers=member.headers,
                    json={"kind": "recoveries", "csv": RECOVERIES, "distribution": distribution})
    assert r.status_code == 201, r.text


def _audited_objects(db, action: str) -> set[str]:  # noqa: ANN001
    with db.unit_of_work() as s:
        act_as_system(s)
        log.drain(s)
        last = s.execute(select(AuditEntry.seq).where(AuditEntry.action == action)
                         .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        return set(s.execute(select(AuditObjectRef.object_id).where(AuditObjectRef.seq == last)).scalars())


def test_the_tracer_never_learns_a_recovery_not_released_to_it(client, db, cast, stocked, counts):
    mx = cast["mx_analyst"]
    _recoveries(client, mx)
    r = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**TRACE, "recovery": "FGR-0001"})
    assert r.status_code == 201, r.text
    trace_id, recovery = r.json()["id"], r.json()["recovery"]
    assert recovery["recovery_id"] == "FGR-0001" and recovery["place"] == "Culiacán"
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).status_code == 200
    # US-ATF traced and answered it, but sees nothing of the recovery: not in the trace, not in its queue
    seen = get(client, stocked, f"/firearms/traces/{trace_id}").json()
    assert seen["recovery"] is None and seen["status"] == "resolved"
    assert recovery["id"] not in str(seen)
    assert _audited_objects(db, "firearms.trace.read") == {trace_id}
    queue = get(client, stocked, "/firearms/traces", box="queue").json()["items"]
    assert [t["recovery"] for t in queue] == [None]
    # the recovery itself: the 404 of one that never existed
    hidden = get(client, stocked, f"/firearms/recoveries/{recovery['id']}")
    never = get(client, stocked, "/firearms/recoveries/mx.fr00000000000000000000000000000000")
    assert hidden.status_code == never.status_code == 404
    assert hidden.json()["error"]["code"] == never.json()["error"]["code"]
    # MX-FGR sees its recovery with the trace, answered and released
    own = get(client, mx, f"/firearms/recoveries/{recovery['id']}").json()
    assert [t["id"] for t in own["traces"]] == [trace_id]
    assert own["traces"][0]["result"]["dealer"] == "Lone Star Guns"
    assert "candidates" not in own["traces"][0] and "sale_id" not in own["traces"][0]["result"]
    assert _audited_objects(db, "firearms.recovery.read") >= {recovery["id"], trace_id}


def test_another_agency_sees_the_recovery_but_not_the_trace_nor_may_link_it(client, cast, stocked, counts):
    mx, inm = cast["mx_analyst"], cast["mx_inm"]
    _recoveries(client, mx)        # national: MX-INM sees the recoveries
    r = client.post(f"{API}/firearms/traces", headers=mx.headers, json={**TRACE, "recovery": "FGR-0001"})
    recovery_id = r.json()["recovery"]["id"]
    shown = get(client, inm, f"/firearms/recoveries/{recovery_id}")
    assert shown.status_code == 200 and shown.json()["traces"] == []
    # naming another agency's recovery is refused as a number that does not exist, nothing sent
    before = counts()
    taken = client.post(f"{API}/firearms/traces", headers=inm.headers, json={**TRACE, "recovery": "FGR-0001"})
    missing = client.post(f"{API}/firearms/traces", headers=inm.headers, json={**TRACE, "recovery": "FGR-9999"})
    assert taken.status_code == missing.status_code == 422
    assert taken.json()["error"]["message"].replace("0001", "9999") == missing.json()["error"]["message"]
    assert counts() == before
    # a third country sees neither
    assert get(client, cast["outsider"], f"/firearms/recoveries/{recovery_id}").status_code == 404


def test_a_batch_links_each_line_or_names_the_bad_one(client, cast, stocked, counts):
    mx = cast["mx_analyst"]
    _recoveries(client, mx, distribution="agency")
    header = ",".join(TRACE) + ",recovery\n"
    line = ",".join(str(v) for v in TRACE.values())
    before = counts()
    bad = client.post(f"{API}/firearms/traces/batch", headers=mx.headers,
                      json={"csv": header + line + ",FGR-0001\n" + line + ",FGR-7\n"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0] == {"field": "recovery", "line": 3}
    assert counts() == before
    ok = client.post(f"{API}/firearms/traces/batch", headers=mx.headers,
                     json={"csv": header + line + ",FGR-0001\n" + line + ",\n"})
    assert ok.status_code == 201, ok.text
    linked = [get(client, mx, f"/firearms/traces/{i}").json()["recovery"] for i in ok.json()["ids"]]
    assert linked[0]["recovery_id"] == "FGR-0001" and linked[1] is None


def test_the_trace_page_shows_the_recovery_to_its_sender_only(client, cast, stocked):
    from tests.firearms.test_pages import NAMES
    from tests.web.conftest import sign_in
    from tests.web.test_spanish import english_words

    mx = cast["mx_analyst"]
    _recoveries(client, mx)
    trace_id = client.post(f"{API}/firearms/traces", headers=mx.headers,
                           json={**TRACE, "recovery": "FGR-0001"}).json()["id"]
    sign_in(client, "mx_analyst")
    page = client.get(f"/firearms/traces/{trace_id}", headers={"Accept-Language": "es"})
    assert 'data-testid="recovery"' in page.text and "FGR-0001" in page.text
    assert "Registro del arma asegurada" in page.text
    assert english_words(page.text, NAMES + ("Operativo Norte", "FGR-0001")) == []
    client.cookies.clear()
    sign_in(client, "atf_tracer")
    page = client.get(f"/firearms/traces/{trace_id}")
    assert page.status_code == 200 and 'data-testid="recovery"' not in page.text and "FGR-0001" not in page.text

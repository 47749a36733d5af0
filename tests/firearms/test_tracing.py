"""A trace end to end: MX-FGR sends a batch, US-ATF resolves its queue (the exact serial answered at
once, the damaged ones ranked), confirms a candidate, and MX-FGR reads the result and the leads."""

from __future__ import annotations

from typing import Any

from tests.firearms.conftest import API, MULTIPLE, SALES, TRACES, get


def _sale(trace: dict[str, Any], serial: str) -> str:
    return next(c["sale_id"] for c in trace["candidates"] if c["serial"] == serial)


def test_exact_serial_resolves_at_once_and_damaged_ones_wait_for_a_person(client, cast, stocked, sent):
    r = client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"resolved": 1, "candidates": 2, "no_match": 0, "closed": 0}
    exact = get(client, cast["mx_analyst"], f"/firearms/traces/{sent[0]}").json()
    assert exact["status"] == "resolved"
    assert exact["result"]["how"] == "exact"
    assert exact["result"]["dealer"] == "Lone Star Guns" and exact["result"]["purchaser"] == "John Straw"
    assert exact["result"]["time_to_crime_days"] == 143 and exact["result"]["short_time_to_crime"]
    assert "candidates" not in exact
    # the damaged serial is never matched automatically: the requester sees no result and no candidate
    waiting = get(client, cast["mx_analyst"], f"/firearms/traces/{sent[1]}").json()
    assert waiting["status"] == "candidates" and waiting["result"] is None and "candidates" not in waiting
    queue = get(client, stocked, f"/firearms/traces/{sent[1]}").json()
    # an unreadable character: both rifles of that run fit, each sold before the recovery
    assert {c["serial"] for c in queue["candidates"][:2]} == {"TM12345", "TM12845"}
    assert [c["rank"] for c in queue["candidates"]] == list(range(1, len(queue["candidates"]) + 1))


def test_confirmed_candidate_answers_the_request_and_releases_the_firearm(client, cast, stocked, sent):
    client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers)
    queue = get(client, stocked, f"/firearms/traces/{sent[1]}").json()
    r = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=stocked.headers,
                    json={"sale_id": _sale(queue, "TM12345")})
    assert r.status_code == 200, r.text
    mx = get(client, cast["mx_analyst"], f"/firearms/traces/{sent[1]}").json()
    assert mx["status"] == "resolved" and mx["result"]["how"] == "confirmed"
    assert mx["result"]["dealer_state"] == "AZ"
    firearm_id, person_id = mx["result"]["entity_ids"]
    firearm = get(client, cast["mx_analyst"], f"/entities/{firearm_id}").json()
    assert "TM12345" in str(firearm["properties"]["serialNumber"])
    assert get(client, cast["mx_analyst"], f"/entities/{person_id}").status_code == 200
    request = get(client, cast["mx_analyst"], f"/requests/{mx['request_id']}").json()
    assert request["state"] == "answered" and request["type"] == "trace"
    again = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=stocked.headers,
                        json={"sale_id": _sale(queue, "TM12345")})
    assert again.status_code == 409


def test_leads_flag_the_straw_purchaser_with_evidence(client, cast, stocked, sent):
    client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers)
    queue = get(client, stocked, f"/firearms/traces/{sent[1]}").json()
    client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=stocked.headers,
                json={"sale_id": _sale(queue, "TM12345")})
    atf = get(client, stocked, "/firearms/leads").json()
    assert atf["results"] == 2 and atf["short_time_to_crime"] == 2
    assert {(c["from_state"], c["to_state"]) for c in atf["corridors"]} == {("TX", "Sinaloa"), ("AZ", "Tamaulipas")}
    straw = atf["signals"][0]
    assert straw["purchaser"] == "John Straw" and straw["flagged"]
    reasons = {r["reason"]: r["evidence"] for r in straw["reasons"]}
    assert set(reasons) == {"several_traces", "short_time_to_crime", "purchaser_not_possessor",
                            "multiple_sales_before_recovery"}
    assert sorted(reasons["several_traces"]) == sorted(sent[:2])
    # the requester's leads come from its released results only, without the reports it may not see
    mx = get(client, cast["mx_analyst"], "/firearms/leads").json()
    assert mx["results"] == 2
    mx_reasons = {r["reason"] for r in mx["signals"][0]["reasons"]}
    assert "multiple_sales_before_recovery" not in mx_reasons and "several_traces" in mx_reasons


def test_unknown_make_and_calibre_are_kept_and_flagged(client, cast, stocked, db):
    from sqlalchemy import select

    from binational.db import act_as_system
    from binational.firearms.models import FirearmSale

    with db.unit_of_work() as s:
        act_as_system(s)
        acme = s.execute(select(FirearmSale).where(FirearmSale.record_id == "A6")).scalar_one()
        assert acme.manufacturer == "Acme Blasters" and acme.flags == "unknown_make,unknown_caliber"
    assert SALES and MULTIPLE and TRACES


def test_a_purchaser_tied_to_an_organisation_is_a_lead_for_the_tracer_only(client, cast, stocked):
    def entity(schema: str, properties: dict[str, Any]) -> str:
        r = client.post(f"{API}/entities", headers=stocked.headers, json={"schema": schema, "properties": properties})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    buyer = entity("Person", {"name": ["Rita Straw"]})
    broker = entity("Person", {"name": ["Beto Broker"]})
    cartel = entity("Organization", {"name": ["Cártel del Norte"]})
    entity("Associate", {"person": [buyer], "associate": [broker], "relationship": ["friend"]})
    entity("Membership", {"member": [broker], "organization": [cartel]})
    sale = ("record_id,manufacturer,dealer,dealer_state,purchaser,sale_date,model,caliber,weapon_type,serial,"
            f"purchaser_entity_id\nA9,Glock,Lone Star Guns,TX,Rita Straw,2024-01-02,19,9mm,pistol,BKXZ999,{buyer}\n")
    assert client.post(f"{API}/firearms/records", headers=stocked.headers,
                       json={"kind": "sales", "csv": sale}).status_code == 201
    trace = {"crime_code": "5212", "officer": "Lic. Ruiz", "recovery_place": "Culiacán", "recovered_on": "2024-05-01",
             "manufacturer": "Glock", "model": "19", "caliber": "9mm", "weapon_type": "pistol", "serial": "BKXZ999",
             "possessor": "Pedro Sicario"}
    assert client.post(f"{API}/firearms/traces", headers=cast["mx_analyst"].headers, json=trace).status_code == 201
    client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers)
    atf = {s["purchaser"]: s for s in get(client, stocked, "/firearms/leads").json()["signals"]}
    reasons = {r["reason"]: r["evidence"] for r in atf["Rita Straw"]["reasons"]}
    assert atf["Rita Straw"]["flagged"] and len(reasons["linked_to_organisation"]) == 1
    # the requester sees the result, but not the tracer's network behind the purchaser
    mx = {s["purchaser"]: s for s in get(client, cast["mx_analyst"], "/firearms/leads").json()["signals"]}
    assert {r["reason"] for r in mx["Rita Straw"]["reasons"]} == {"short_time_to_crime", "purchaser_not_possessor"}
    assert not mx["Rita Straw"]["flagged"]


def test_one_multiple_sale_report_does_not_flag_a_purchaser_repeated_ones_do(client, cast, stocked, sent):
    # only the exact match is answered: John Straw is in one trace, with one report before it
    client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers)

    def straw() -> dict:
        signals = get(client, stocked, "/firearms/leads").json()["signals"]
        return next(s for s in signals if s["purchaser"] == "John Straw")

    once = straw()
    assert not once["flagged"]      # a short time-to-crime and one report: a lawful pair's buyer too
    assert {r["reason"] for r in once["reasons"]} == {"short_time_to_crime", "purchaser_not_possessor",
                                                     "multiple_sales_before_recovery"}
    # a Florida namesake's handgun reports: the traced John Straw bought his pistol in Texas
    namesake = "report_id,dealer,dealer_state,purchaser,report_date,weapon_type,serials\n" \
               "F1,Gator Guns,FL,John Straw,2023-05-02,handgun,G1;G2\n" \
               "F2,Miami Arms,FL,John Straw,2023-06-02,handgun,G3;G4\n"
    r = client.post(f"{API}/firearms/records", headers=stocked.headers,
                    json={"kind": "multiple-sales", "csv": namesake})
    assert r.status_code == 201, r.text
    assert not straw()["flagged"]
    more = "report_id,dealer,dealer_state,purchaser,report_date,weapon_type,serials\n" \
           "M2,Lone Star Guns,TX,John Straw,2023-11-20,handgun,BKLM200;BKLM201\n"
    r = client.post(f"{API}/firearms/records", headers=stocked.headers, json={"kind": "multiple-sales", "csv": more})
    assert r.status_code == 201, r.text
    again = straw()
    reasons = {r["reason"]: r["evidence"] for r in again["reasons"]}
    assert again["flagged"] and len(reasons["repeated_multiple_sales"]) == 2
    # the requester never sees the reports, so never this reason
    mx = get(client, cast["mx_analyst"], "/firearms/leads").json()["signals"]
    assert all(r["reason"] != "repeated_multiple_sales" for s in mx for r in s["reasons"])


def test_a_flag_counts_each_piece_of_evidence_once_and_never_the_possessor() -> None:
    from binational.firearms.leads import Signal

    def flagged(*reasons: str) -> bool:
        return Signal("x", {r: ["e"] for r in reasons}).flagged

    # a lawful buyer of two pairs (or two buyers of one common name) whose pistol was stolen: its
    # reports make both multiple-sale reasons, and the possessor is someone else, as nearly always
    assert not flagged("repeated_multiple_sales", "multiple_sales_before_recovery", "purchaser_not_possessor")
    assert not flagged("several_traces", "purchaser_not_possessor")
    assert flagged("repeated_multiple_sales", "short_time_to_crime")
    assert flagged("several_traces", "short_time_to_crime", "purchaser_not_possessor")
    assert not flagged("short_time_to_crime", "multiple_sales_before_recovery", "purchaser_not_possessor")


def test_handgun_reports_of_one_name_in_two_states_are_two_people() -> None:
    from datetime import date

    from binational.firearms.leads import _repeated
    from binational.firearms.models import MultipleSale

    def report(rid: str, state: str, form: str = "3310.4", dealer: str = "") -> MultipleSale:
        return MultipleSale(id=rid, dealer=dealer or f"{state} Guns", dealer_state=state, form=form,
                            report_date=date(2023, 1, int(rid[1:])))

    # a dealer sells handguns to residents of its state only: a common name reported in Texas and in
    # Florida is two buyers, each with one report
    assert len(_repeated([report("m1", "TX"), report("m2", "FL")])) == 1
    assert _repeated([report("m1", "TX"), report("m2", "TX", dealer="Alamo Arms")]) == ["m1", "m2"]
    # rifles may be bought out of state: they count with the handguns of any one state
    assert _repeated([report("m1", "TX"), report("m2", "NM", "3310.12")]) == ["m1", "m2"]
    # the traced purchaser bought a handgun in Texas: a Florida namesake's two reports are not its own
    namesake = [report("m1", "TX"), report("m2", "FL"), report("m3", "FL", dealer="Miami Arms")]
    assert _repeated(namesake) == ["m2", "m3"] and _repeated(namesake, frozenset({"TX"})) == ["m1"]


def test_the_queue_is_ranked_as_a_batch(client, cast, stocked):
    # the clean BKLM123 and a damaged BKLM12? in one queue: the gun traced cleanly is recovered once,
    # so the damaged one is first the other Glock of the run, sold to Ann Other
    damaged = TRACES.splitlines()[1].replace("BKLM123", "BKLM12?").replace("Pedro Sicario", "Ana Sicaria")
    r = client.post(f"{API}/firearms/traces/batch", headers=cast["mx_analyst"].headers,
                    json={"csv": "\n".join([*TRACES.splitlines()[:2], damaged])})
    assert r.status_code == 201, r.text
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).json()["resolved"] == 1
    queue = get(client, stocked, f"/firearms/traces/{r.json()['ids'][1]}").json()
    assert [c["serial"] for c in queue["candidates"][:2]] == ["BKLM128", "BKLM123"]
    assert "claimed_by_other_trace" in queue["candidates"][1]["reasons"]

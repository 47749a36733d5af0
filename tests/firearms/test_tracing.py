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
    assert r.json() == {"resolved": 1, "candidates": 2, "no_match": 0}
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

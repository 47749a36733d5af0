"""A week of returns end to end: ICE proposes, INM accepts, counters and refuses within the arrangement,
people are assigned with every gate, SRE verifies, the lock and boarding re-check, a late stay pulls a
person, INM's receipt is flagged where counts differ, and the statistics of both sides reconcile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from binational.errors import InvalidInput
from binational.repatriation import board, casefiles, manifest, service, statistics
from binational.requests.models import Request
from tests.repatriation.conftest import acting, build_week, run_to_lock

API = "/api/v1"


def test_a_week_from_proposal_to_reconciliation(db, client, parties):
    week = build_week(db)
    # INM counters the second land movement (another window), ICE takes the counter
    with acting(db, "inm") as (s, actor):
        m = service.respond(session=s, actor=actor, movement_id=week.movements["land2"], decision="counter",
                            counter={"start_hour": 9, "end_hour": 15}, note="an earlier bus")
        assert m.state == "countered"
        m = service.respond(session=s, actor=actor, movement_id=week.movements["air"], decision="refuse",
                            rule="capacity")
        assert (m.state, m.refusal_rule) == ("refused", "capacity")
    with acting(db, "ice") as (s, actor):
        m = service.accept_counter(session=s, actor=actor, movement_id=week.movements["land2"])
        assert (m.state, m.start_hour, m.end_hour) == ("accepted", 9, 15)
    assigned = run_to_lock(db, week)
    refused = {r["detainee_id"]: r["gates"] for r in assigned["refused"]}
    assert refused == {week.cases["fear"]: ["fear_claim"], week.cases["asylum"]: ["protection_claim"],
                       week.cases["withholding"]: ["protection_claim"],
                       week.cases["uac_unscreened"]: ["unaccompanied_child"]}
    land = week.movements["land"]
    with acting(db, "ice") as (s, actor):
        first = manifest.lock(session=s, actor=actor, movement_id=land)
        assert not first["locked"] and [f["gate"] for f in first["failures"]] == ["counsel"]
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
        assert manifest.lock(session=s, actor=actor, movement_id=land)["locked"]
        # a stay recorded after the lock pulls the person at boarding
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["late_stay"], fact="discretionary_stay",
                              value=True)
        boarded = manifest.board(session=s, actor=actor, movement_id=land)
        assert [p["code"] for p in boarded["pulled"]] == ["legal_hold"]
        manifest.depart(session=s, actor=actor, movement_id=land)
        view = manifest.view(s, actor, service.access_movement(s, actor, land, "repatriation.read"))
    aboard = view["counts"]["by_category"]
    assert aboard["unaccompanied_children"] == 1 and aboard["children"] == 1
    # one adult man fewer arrives than boarded: recorded with the difference and flagged
    got = {**aboard, "adults": aboard["adults"] - 1, "men": aboard["men"] - 1}
    total = got["adults"] + got["children"] + got["unaccompanied_children"]
    with acting(db, "inm") as (s, actor):
        received = manifest.receive(session=s, actor=actor, movement_id=land, receipt={
            "counts": got, "receiving_officer": "Oficial Ruiz", "child_welfare_officer": "DIF Tijuana",
            "certificates": [f"CR-{n}" for n in range(total)], "belongings_returned": True, "hour": 19,
            "out_of_hours_reason": "the bus was delayed at the port"})
        assert received["flagged"] and received["difference"] == {"adults": -1, "men": -1}
        summary = manifest.reconcile(session=s, actor=actor, movement_id=land)
        assert summary["flagged"] and summary["by_status"]["legal_hold"] == 1
        theirs = statistics.statistics(session=s, actor=actor)
    with acting(db, "ice") as (s, actor):
        ours = statistics.statistics(session=s, actor=actor)
    total_aboard = aboard["adults"] + aboard["children"] + aboard["unaccompanied_children"]
    for side in (ours, theirs):
        assert side["removed"] == total_aboard
        assert side["reconciliation"] == [{"month": week.monday.strftime("%Y-%m"), "sent": total_aboard,
                                           "received": total_aboard - 1, "difference": -1}]
        assert sum(c["count"] for c in side["by_sex"]) == total_aboard
        assert side["family_units"] == 1
        assert [(u["movement_id"], u["boarded"], u["use"]) for u in side["seat_use"]] == [
            (land, total_aboard, round(total_aboard / 20, 4))]
        assert side["out_of_hours"][0]["reason"] == "the bus was delayed at the port"
        assert side["strike_offs"] == [{"key": "legal_hold", "count": 1}]
        # by DHS repatriation type, from the same lines on both sides; the flagged receipt leaves them unsettled
        assert side["by_type"] == [{"key": "Enforcement Returns", "count": 1},
                                   {"key": "Removals", "count": total_aboard - 1}]
        assert {"key": "Removals / Expedited Removals", "count": 1} in side["by_detailed_type"]
        assert {"key": "Enforcement Returns / Voluntary Returns", "count": 1} in side["by_detailed_type"]
        assert side["reconciliation_by_type"] == [
            {"type": "Enforcement Returns", "sent": 1, "confirmed": 0, "unsettled": 1},
            {"type": "Removals", "sent": total_aboard - 1, "confirmed": 0, "unsettled": total_aboard - 1}]
    for cut in ("by_type", "by_detailed_type", "by_fiscal_month_type", "reconciliation_by_type"):
        assert ours[cut] == theirs[cut], cut
    assert ours["pulled_by_gate"] == [{"key": "discretionary_stay", "count": 1}]
    assert ours["days_final_order_to_removal"]["count"] == total_aboard
    assert "pulled_by_gate" not in theirs and "days_final_order_to_removal" not in theirs
    # each step was a request on the requests workflow, between the right agencies
    with acting(db, "ice") as (s, actor):
        kinds = {(r.type, r.to_agency, r.state) for r in s.query(Request).all()}
    assert ("repatriation_movement", "MX-INM", "acknowledged") in kinds
    assert ("repatriation_verification", "MX-SRE", "acknowledged") in kinds
    assert ("repatriation_departure", "MX-INM", "acknowledged") in kinds


def test_a_proposal_breaking_a_rule_is_refused_naming_it(db, client, parties):
    h = parties["ice"].headers
    week = build_week(db)
    base = {"arrangement": "us-mx-2016", "mode": "land", "point": "nogales", "date": week.monday.isoformat(),
            "start_hour": 8, "end_hour": 17, "capacity": 50}
    cases = [
        ({"start_hour": 3}, "LRA-2"),
        ({"expected": {"unaccompanied_children": 1}, "start_hour": 7}, "LRA-2-vulnerable"),
        ({"point": "nowhere"}, "LRA-1"),
        ({"mode": "air"}, "LRA-1"),
        ({"capacity": 401}, "capacity"),
        ({"date": (week.monday - timedelta(days=14)).isoformat()}, "lead-time"),
    ]
    for change, rule in cases:
        r = client.post(f"{API}/repatriation/movements", headers=h, json={**base, **change})
        assert r.status_code == 422, (change, r.text)
        assert r.json()["error"]["details"][0]["rule"] == rule, change
    # the fourth flight of a week breaks the quota of three
    air = {**base, "mode": "air", "point": "aifa", "start_hour": 9, "end_hour": 14, "capacity": 60}
    for n in range(2):
        r = client.post(f"{API}/repatriation/movements", headers=h,
                        json={**air, "date": (week.monday + timedelta(days=3 + n)).isoformat()})
        assert r.status_code == 201, r.text
    r = client.post(f"{API}/repatriation/movements", headers=h,
                    json={**air, "date": (week.monday + timedelta(days=5)).isoformat()})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["rule"] == "quota"
    # a receiver that refuses names a rule; a sender cannot answer its own proposal
    mid = week.movements["land"]
    r = client.post(f"{API}/repatriation/movements/{mid}/respond", headers=parties["inm"].headers,
                    json={"decision": "refuse"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "rule"
    r = client.post(f"{API}/repatriation/movements/{mid}/respond", headers=h, json={"decision": "accept"})
    assert r.status_code == 403


def test_a_hand_over_out_of_hours_needs_its_reason(db, client, parties):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
        manifest.lock(session=s, actor=actor, movement_id=land)
        manifest.board(session=s, actor=actor, movement_id=land)
        manifest.depart(session=s, actor=actor, movement_id=land)
    with acting(db, "inm") as (s, actor), pytest.raises(InvalidInput, match="LRA-2"):
        manifest.receive(session=s, actor=actor, movement_id=land, receipt={
            "counts": {"adults": 1}, "receiving_officer": "Oficial", "child_welfare_officer": "DIF", "hour": 23})
    with acting(db, "inm") as (s, actor), pytest.raises(InvalidInput, match="child-welfare"):
        manifest.receive(session=s, actor=actor, movement_id=land, receipt={
            "counts": {"children": 1}, "receiving_officer": "Oficial", "hour": 10})


def test_the_planning_board_plans_only_people_who_passed_every_gate(db, parties):
    week = build_week(db)
    with acting(db, "inm") as (s, actor):
        for key in ("land", "land2"):
            service.respond(session=s, actor=actor, movement_id=week.movements[key], decision="accept")
    with acting(db, "ice") as (s, actor):
        result = board.plan_board(session=s, actor=actor, arrangement="us-mx-2016", date_from=week.monday,
                                  date_to=week.monday + timedelta(days=6), first_seconds=2, second_seconds=2)
    kept = set(result["kept_off"])
    assert kept == {week.cases[k] for k in ("fear", "asylum", "withholding", "uac_unscreened")}
    assert result["placed"] == result["eligible"] == len(week.cases) - 4
    assert result["stages"]["first"]["status"] in ("OPTIMAL", "FEASIBLE")
    with acting(db, "ice") as (s, actor):
        placed = {line["detainee_id"] for key in ("land", "land2") for line in
                  manifest.view(s, actor, service.access_movement(s, actor, week.movements[key],
                                                                  "repatriation.read"))["manifest"]}
        family = {week.cases[k] for k in ("mother", "father", "son")}
        by_movement = [
            {line["detainee_id"] for line in manifest.view(
                s, actor, service.access_movement(s, actor, week.movements[key], "repatriation.read"))["manifest"]}
            for key in ("land", "land2")]
    assert not placed & kept
    assert any(family <= ids for ids in by_movement)  # families travel together

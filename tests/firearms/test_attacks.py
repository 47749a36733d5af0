"""Attacks on firearms tracing, as the agencies that may not see a trace: GT-PNC (the outsider, cleared
for RED), MX-INM (of the requester's country), US-CBP (of the tracer's country). None of them meets a
trace, a candidate, a result or a count; MX-FGR sees only what was released to it, never the
candidates nor the tracer's records."""

from __future__ import annotations

from tests.firearms.conftest import API, get

THIRD = ("outsider", "mx_inm", "us_analyst")


def _resolved(client, stocked, sent) -> None:  # noqa: ANN001
    assert client.post(f"{API}/firearms/traces/resolve", headers=stocked.headers).status_code == 200


def test_third_agencies_see_no_trace_no_candidate_no_count(client, cast, stocked, sent):
    _resolved(client, stocked, sent)
    never = get(client, cast["outsider"], "/firearms/traces/tr_00000000000000000000000000000000")
    assert never.status_code == 404
    for who in THIRD:
        member = cast[who]
        for trace_id in sent:
            r = get(client, member, f"/firearms/traces/{trace_id}")
            assert r.status_code == 404, who
            # byte for byte the answer for a trace that never existed, but for the id
            assert r.json() == {"error": {**never.json()["error"],
                                          "message": never.json()["error"]["message"].replace(
                                              "tr_00000000000000000000000000000000", trace_id)}}
        for box in ("outbox", "queue"):
            page = get(client, member, "/firearms/traces", box=box).json()
            assert page == {"items": [], "next_cursor": None, "counts": {}}, who
        leads = get(client, member, "/firearms/leads").json()
        assert leads["results"] == 0 and leads["signals"] == [] and leads["corridors"] == [], who
        assert get(client, member, "/requests", box="inbox").json()["items"] == []


def test_the_requester_never_sees_candidates_nor_the_tracers_records(client, cast, stocked, sent):
    _resolved(client, stocked, sent)
    mx = cast["mx_analyst"]
    for trace_id in sent[1:]:
        view = get(client, mx, f"/firearms/traces/{trace_id}").json()
        assert view["result"] is None and "candidates" not in view
    queue = get(client, mx, "/firearms/traces", box="queue").json()
    assert queue == {"items": [], "next_cursor": None, "counts": {}}
    outbox = get(client, mx, "/firearms/traces").json()
    assert outbox["counts"] == {"resolved": 1, "candidates": 2}
    assert all("candidates" not in t for t in outbox["items"])
    sale_id = get(client, stocked, f"/firearms/traces/{sent[1]}").json()["candidates"][0]["sale_id"]
    # a candidate's record is no entity the requester may open, nor may it confirm one
    assert get(client, mx, f"/entities/{sale_id}").status_code == 404
    r = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=mx.headers, json={"sale_id": sale_id})
    assert r.status_code == 403  # an analyst's role answers no trace
    assert client.post(f"{API}/firearms/traces/resolve", headers=mx.headers).status_code == 403


def test_a_third_agency_cannot_confirm_or_resolve(client, cast, stocked, sent, counts):
    _resolved(client, stocked, sent)
    sale_id = get(client, stocked, f"/firearms/traces/{sent[1]}").json()["candidates"][0]["sale_id"]
    before = counts()
    r = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=cast["us_supervisor"].headers,
                    json={"sale_id": sale_id})
    assert r.status_code == 404  # US-CBP supervisor: answers requests, but this trace is not its agency's
    assert client.post(f"{API}/firearms/traces/resolve", headers=cast["us_supervisor"].headers).json() == {
        "resolved": 0, "candidates": 0, "no_match": 0, "closed": 0}
    assert counts() == before


def test_the_tracer_answers_only_with_a_listed_candidate(client, cast, stocked, sent, counts):
    _resolved(client, stocked, sent)
    exact_sale = get(client, stocked, f"/firearms/traces/{sent[0]}").json()["result"]["sale_id"]
    before = counts()
    r = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers=stocked.headers, json={"sale_id": exact_sale})
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "sale_id"}]
    assert counts() == before


def test_pages_of_the_outbox_walk_every_trace_once_and_a_forged_cursor_is_refused(client, cast, stocked, sent):
    mx = cast["mx_analyst"]
    first = get(client, mx, "/firearms/traces", limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = get(client, mx, "/firearms/traces", limit=2, cursor=first["next_cursor"]).json()
    assert second["next_cursor"] is None
    assert sorted(t["id"] for t in first["items"] + second["items"]) == sorted(sent)
    # another agency replaying the requester's cursor still sees nothing
    replay = get(client, cast["outsider"], "/firearms/traces", limit=2, cursor=first["next_cursor"])
    assert replay.status_code in (200, 422) and not replay.json().get("items")
    forged = get(client, mx, "/firearms/traces", limit=2, cursor=first["next_cursor"][:-3] + "AAA")
    assert forged.status_code == 422


def test_the_requesters_supervisor_sees_its_trace_but_may_not_answer_it(client, db, stocked, sent, counts):
    from binational.access import service as access
    from binational.db import act_as_system

    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username="fgr_boss", agency="MX-FGR", roles=["supervisor"],
                               clearance="TLP:AMBER")
        _row, token = access.create_token(session=s, user=user, days=1)
    _resolved(client, stocked, sent)
    sale_id = get(client, stocked, f"/firearms/traces/{sent[1]}").json()["candidates"][0]["sale_id"]
    before = counts()
    r = client.post(f"{API}/firearms/traces/{sent[1]}/confirm", headers={"Authorization": f"Bearer {token}"},
                    json={"sale_id": sale_id})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert counts() == before

"""Attacks on entity resolution: evidence built on a value the viewer may not see, and node-wide counts.

US-CBP and MX-FGR both hold Jesús Ramírez Olvera; MX-FGR released its record to US-CBP but kept his
passport number to itself. A run (as the system) matches the two records on that passport. A US-CBP
analyst must not learn from the suggestion that one of its own values is the hidden one, nor which
record holds it: no suggestion, no score, no document weight, no merged cluster; a hit at most.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from binational.access import service as access
from binational.db import Database, act_as, act_as_system
from binational.resolution import evidence, runs
from binational.resolution.models import RecordAddress, RecordValues, ResolutionRun, Suggestion
from tests.resolution.conftest import loaded, small_world, world_lines  # noqa: F401 - fixtures
from tests.web.conftest import sign_in

PASSPORT = "G44182736"
API = "/api/v1/resolution"


def _create(client, member, body):
    r = client.post("/api/v1/entities", headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def pair(client, cast, db, loaded):  # noqa: F811
    """The two records of one man, the passport kept to MX-FGR on its record; a finished run."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    person = {"firstName": ["Jesús"], "lastName": ["Ramírez Olvera"], "birthDate": ["1979-03-14"],
              "passportNumber": [PASSPORT]}
    cbp = _create(client, us, {"schema": "Person", "properties": {"name": ["Jesús Ramírez Olvera"], **person},
                               "distribution": "release", "release_to": ["MX-FGR"]})
    fgr = _create(client, mx, {"schema": "Person", "properties": {
        "name": ["Jesús Ramírez Olvera"], **{k: v for k, v in person.items() if k != "passportNumber"}},
        "distribution": "release", "release_to": ["US-CBP"]})
    r = client.patch(f"/api/v1/entities/{fgr}", headers=mx.headers,
                     json={"add": {"passportNumber": [PASSPORT]}, "distribution": "agency"})
    assert r.status_code == 200, r.text
    assert _run(db)
    return cbp, fgr


def _run(db: Database) -> bool:
    """A run of the person kind as the administrator, in this process (tests/resolution/test_background.py
    proves a run started over the API works the same in its own); whether it finished."""
    with db.unit_of_work() as s:
        admin = access.actor_for(session=s, user=access.get_user(session=s, username="admin"))
        act_as(s, admin)
        return runs.run(session=s, actor=admin, kinds=["person"]).status == "finished"


def _suggestion(db: Database, a: str, b: str) -> Suggestion:
    with db.session() as s:
        act_as_system(s)
        found = s.execute(select(Suggestion).where(Suggestion.left_id == min(a, b), Suggestion.right_id == max(a, b))
                          .order_by(Suggestion.id.desc()).limit(1)).scalar_one()  # of the latest run
        s.expunge(found)
    return found


def test_a_suggestion_resting_on_a_hidden_passport_is_a_hit_at_most(client, cast, db, pair):
    cbp, fgr = pair
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    stored = _suggestion(db, cbp, fgr)
    assert stored.weights and "document" in stored.weights  # the run did compare the passports

    # MX-FGR sees every value of both records: the suggestion, its score and its weights
    r = client.get(f"{API}/suggestions/{stored.id}", headers=mx.headers)
    assert r.status_code == 200 and r.json()["score"] == stored.score

    # US-CBP sees both records but not FGR's passport: no suggestion, no score, no weight, no id
    missing = client.get(f"{API}/suggestions/999999999", headers=us.headers)
    hidden = client.get(f"{API}/suggestions/{stored.id}", headers=us.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(str(stored.id), "N") == \
        missing.json()["error"]["message"].replace("999999999", "N")
    listed, cursor = [], None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"{API}/suggestions", headers=us.headers, params=params)
        assert r.status_code == 200, r.text
        listed += r.json()["items"]
        assert len(r.json()["items"]) == 7 or r.json()["next_cursor"] is None  # full pages: no gap to count
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert listed, "US-CBP still sees the suggestions whose evidence it may see"
    assert stored.id not in {x["id"] for x in listed}
    judged = client.post(f"{API}/judgements", headers=us.headers,
                         json={"suggestion_id": stored.id, "verdict": "positive"})
    assert judged.status_code == 404

    matches = client.get(f"{API}/entities/{cbp}/matches", headers=us.headers)
    assert matches.status_code == 200, matches.text
    body = matches.json()
    assert fgr not in json.dumps(body["suggestions"]) and PASSPORT not in matches.text
    assert {"hit": True, "agency": "MX-FGR", "kind": "person", "decision": stored.decision} in body["hits"]
    # ... and from the other side: the FGR record's matches do not name the CBP record through it
    other = client.get(f"{API}/entities/{fgr}/matches", headers=us.headers).json()
    assert all({s["left"]["id"], s["right"]["id"]} != {cbp, fgr} for s in other["suggestions"])

    # no cluster merges the two records for US-CBP (a `match` would have); MX-FGR's may
    cluster = client.get(f"{API}/entities/{cbp}/cluster", headers=us.headers).json()
    assert fgr not in cluster["members"]
    canonical = client.post(f"{API}/canonical", headers=us.headers, json={"entity_ids": [cbp, fgr]}).json()
    assert canonical[cbp] != canonical[fgr]
    if stored.decision == "match":
        mine = client.get(f"{API}/entities/{cbp}/cluster", headers=mx.headers).json()
        assert fgr in mine["members"]


def test_a_hidden_value_marked_red_answers_no_hit_at_all(client, cast, db, pair):
    cbp, fgr = pair
    us, boss, mx = cast["us_analyst"], cast["us_supervisor"], cast["mx_analyst"]
    # US-CBP's passport of the man is now TLP:RED (above MX-FGR's clearance)
    r = client.patch(f"/api/v1/entities/{cbp}", headers=us.headers, json={"remove": {"passportNumber": [PASSPORT]}})
    assert r.status_code == 200, r.text
    r = client.patch(f"/api/v1/entities/{cbp}", headers=boss.headers,
                     json={"add": {"passportNumber": [PASSPORT]}, "marking": "TLP:RED"})
    assert r.status_code == 200, r.text
    assert _run(db)
    stored = _suggestion(db, cbp, fgr)
    assert "document" in stored.weights
    assert client.get(f"{API}/suggestions/{stored.id}", headers=mx.headers).status_code == 404
    body = client.get(f"{API}/entities/{fgr}/matches", headers=mx.headers).json()
    assert cbp not in json.dumps(body) and PASSPORT not in json.dumps(body)
    assert not [h for h in body["hits"] if h["agency"] == "US-CBP"]


def test_run_messages_and_counts_are_for_administrators_only(client, cast, pair):
    admin, us, outsider = cast["admin"], cast["us_analyst"], cast["outsider"]
    run = client.get(f"{API}/runs/latest", headers=admin.headers).json()
    assert "records of" in run["message"] and run["summary"]["person"]["records"] > 0
    for member in (us, outsider):
        seen = client.get(f"{API}/runs/latest", headers=member.headers)
        assert seen.status_code == 200, seen.text
        assert seen.json()["message"] == "" and seen.json()["summary"] is None
        assert "records of" not in seen.text and "agencies" not in seen.text
    sign_in(client, "us_analyst")
    page = client.get("/resolution")
    assert page.status_code == 200 and "records of" not in page.text and "suggestions</td>" not in page.text


def test_a_hidden_value_removed_after_the_run_still_keeps_its_evidence_hidden(client, cast, db, pair):
    """The run's score rests on the passport it read: once its owner removes it, the viewer's values
    and the record's current values agree, but the stored evidence is still the hidden value's."""
    cbp, fgr = pair
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    stored = _suggestion(db, cbp, fgr)
    assert client.get(f"{API}/suggestions/{stored.id}", headers=us.headers).status_code == 404
    r = client.patch(f"/api/v1/entities/{fgr}", headers=mx.headers, json={"remove": {"passportNumber": [PASSPORT]}})
    assert r.status_code == 200, r.text
    assert client.get(f"{API}/suggestions/{stored.id}", headers=us.headers).status_code == 404
    listed = client.get(f"{API}/suggestions", headers=us.headers).json()["items"]
    assert stored.id not in {s["id"] for s in listed}


def test_red_values_of_a_record_the_viewer_may_not_see_answer_no_resolution_hit(client, cast, db, loaded):  # noqa: F811
    """The hidden record's entity is AMBER, but what makes it match (passport, birth date, names) is
    RED: discovery answers no hit on it, and neither may resolution's matches."""
    us, boss, mx = cast["us_analyst"], cast["us_supervisor"], cast["mx_analyst"]
    cbp = _create(client, us, {"schema": "Person", "properties": {"name": ["Jesús Ramírez Olvera"]},
                               "distribution": "agency", "marking": "TLP:AMBER"})
    r = client.patch(f"/api/v1/entities/{cbp}", headers=boss.headers,
                     json={"add": {"passportNumber": [PASSPORT], "birthDate": ["1979-03-14"], "firstName": ["Jesús"],
                                   "lastName": ["Ramírez Olvera"]}, "marking": "TLP:RED"})
    assert r.status_code == 200, r.text
    fgr = _create(client, mx, {"schema": "Person", "properties": {
        "name": ["Jesús Ramírez Olvera"], "firstName": ["Jesús"], "lastName": ["Ramírez Olvera"],
        "birthDate": ["1979-03-14"], "passportNumber": [PASSPORT]}, "distribution": "agency"})
    assert _run(db)
    body = client.get(f"{API}/entities/{fgr}/matches", headers=mx.headers).json()
    assert [h for h in body["hits"] if h["agency"] == "US-CBP"] == []


def _every(client, member) -> set[int]:
    found, cursor = set(), None
    while True:
        page = client.get(f"{API}/suggestions", headers=member.headers,
                          params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        found |= {s["id"] for s in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_a_pair_read_before_a_value_is_removed_stops_standing_after(client, cast, db, pair):
    """What the queue decided for MX-FGR is kept per run, clearance and agency; a value removed since
    (its own passport, by US-CBP) is one the run read and MX-FGR no longer sees: the pair leaves its
    queue, its totals and its reads at once, never answered from what was decided before."""
    cbp, fgr = pair
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    stored = _suggestion(db, cbp, fgr)
    listed = _every(client, mx)
    before = client.get(f"{API}/suggestions/totals", headers=mx.headers).json()
    assert stored.id in listed and before["total"] >= 1
    assert client.get(f"{API}/suggestions/{stored.id}", headers=mx.headers).status_code == 200
    r = client.patch(f"/api/v1/entities/{cbp}", headers=us.headers, json={"remove": {"passportNumber": [PASSPORT]}})
    assert r.status_code == 200, r.text
    listed = _every(client, mx)
    after = client.get(f"{API}/suggestions/totals", headers=mx.headers).json()
    assert stored.id not in listed and after["total"] == before["total"] - 1
    assert client.get(f"{API}/suggestions/{stored.id}", headers=mx.headers).status_code == 404


def test_totals_count_only_the_pairs_whose_evidence_stands_for_the_viewer(client, cast, db, pair):
    """The queue's totals are counted in SQL from the run's summary of what it read of each record: the
    pair resting on MX-FGR's passport counts for MX-FGR and not for US-CBP, and each total is exactly
    the pairs the viewer's pages list, so no difference between them tells of a hidden pair."""
    cbp, fgr = pair
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    stored = _suggestion(db, cbp, fgr)
    with db.session() as s:
        act_as_system(s)
        kept = s.execute(select(RecordValues.kept_agency).where(RecordValues.run_id == stored.run_id,
                                                                RecordValues.entity_id == fgr)).scalar_one()
    assert kept == "MX-FGR"  # written with the run: the passport kept to its agency
    for member, sees in ((us, False), (mx, True)):
        listed = _every(client, member)
        totals = client.get(f"{API}/suggestions/totals", headers=member.headers).json()
        assert (stored.id in listed) is sees
        assert totals["total"] == len(listed)
        mine = client.get(f"{API}/suggestions/totals", headers=member.headers, params={"min_score": stored.score,
                                                                                      "max_score": stored.score})
        assert mine.json()["total"] == sum(
            1 for i in listed if client.get(f"{API}/suggestions/{i}", headers=member.headers).json()["score"]
            == stored.score)


def test_an_address_the_viewer_may_not_see_keeps_the_pair_from_its_queue(client, cast, db, loaded):  # noqa: F811
    """MX-FGR's record of the man, released to US-CBP, names an address MX-FGR keeps to itself: US-CBP
    sees every value of the record but not the address the run compared. The pair is neither listed
    nor counted nor read for US-CBP; MX-FGR, seeing everything, has it."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    person = {"name": ["Aurelio Benítez Cordero"], "firstName": ["Aurelio"], "lastName": ["Benítez Cordero"],
              "birthDate": ["1984-11-02"]}
    place = _create(client, mx, {"schema": "Address", "properties": {"full": ["Calle Aldama 41, Tijuana"]},
                                 "distribution": "agency"})
    cbp = _create(client, us, {"schema": "Person", "properties": person, "distribution": "release",
                               "release_to": ["MX-FGR"]})
    fgr = _create(client, mx, {"schema": "Person", "properties": {**person, "addressEntity": [place]},
                               "distribution": "release", "release_to": ["US-CBP"]})
    assert client.get(f"/api/v1/entities/{place}", headers=us.headers).status_code == 404
    assert client.get(f"/api/v1/entities/{fgr}", headers=us.headers).status_code == 200
    assert _run(db)
    stored = _suggestion(db, cbp, fgr)
    assert stored.id in _every(client, mx)
    listed = _every(client, us)
    assert stored.id not in listed
    assert client.get(f"{API}/suggestions/totals", headers=us.headers).json()["total"] == len(listed)
    assert client.get(f"{API}/suggestions/{stored.id}", headers=us.headers).status_code == 404
    # decided in SQL from the run's summary (the address alone gives the key), as the comparison does
    with db.session() as s:
        act_as_system(s)
        run = s.get(ResolutionRun, stored.run_id)
        viewer = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        assert fgr in evidence.fallen_records(s, viewer, run, iter([fgr]))  # any iterable of ids
        assert not evidence._standing_now(s, viewer, [fgr], run)[fgr].same
        owner = access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst"))
        assert fgr not in evidence.fallen_records(s, owner, run, [fgr])
    if db.settings.is_postgres:  # the backstop: a raw read of the run's summary names no hidden address
        with db.session() as s:
            act_as(s, access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst")))
            named = set(s.execute(select(RecordAddress.address_id).where(RecordAddress.entity_id == fgr)).scalars())
            assert place not in named
            assert s.execute(select(RecordValues.entity_id).where(RecordValues.entity_id == fgr)).all()


def test_a_hidden_address_that_moves_no_key_leaves_the_pair_to_the_comparison(client, cast, db, loaded):  # noqa: F811
    """The SQL shortcut drops a pair only where the hidden address alone gives a key of the person's
    row. MX-FGR's records name an address kept to itself beside a released one with the same text, and
    an address kept to itself with no street or postcode (no key): leaving either out changes nothing
    for US-CBP, so both pairs stay in its queue, listed and counted, as the comparison decides."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    text = "Calle Aldama 41, Tijuana"
    kept = _create(client, mx, {"schema": "Address", "properties": {"full": [text]}, "distribution": "agency"})
    shown = _create(client, mx, {"schema": "Address", "properties": {"full": [text]}, "distribution": "release",
                                 "release_to": ["US-CBP"]})
    keyless = _create(client, mx, {"schema": "Address", "properties": {"city": ["Tijuana"]}, "distribution": "agency"})
    pairs = []
    for (first, last, born), named in ((("Aurelio", "Benítez Cordero", "1984-11-02"), [kept, shown]),
                                       (("Crisanto", "Villalobos Ayala", "1971-06-19"), [keyless])):
        person = {"name": [f"{first} {last}"], "firstName": [first], "lastName": [last], "birthDate": [born]}
        cbp = _create(client, us, {"schema": "Person", "properties": person, "distribution": "release",
                                   "release_to": ["MX-FGR"]})
        fgr = _create(client, mx, {"schema": "Person", "properties": {**person, "addressEntity": named},
                                   "distribution": "release", "release_to": ["US-CBP"]})
        pairs.append((cbp, fgr))
    assert _run(db)
    stored = [_suggestion(db, cbp, fgr) for cbp, fgr in pairs]
    with db.session() as s:
        act_as_system(s)
        assert not any(s.execute(select(RecordAddress.sole).where(RecordAddress.run_id == stored[0].run_id,
                                                                  RecordAddress.entity_id.in_(
                                                                      [fgr for _, fgr in pairs]))).scalars())
        viewer = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        run = s.get(ResolutionRun, stored[0].run_id)
        assert not evidence.fallen_records(s, viewer, run, {fgr for _, fgr in pairs})
    listed = _every(client, us)
    assert {p.id for p in stored} <= listed
    assert client.get(f"{API}/suggestions/totals", headers=us.headers).json()["total"] == len(listed)


def test_a_hidden_address_deleted_after_the_run_still_keeps_the_pair_from_the_queue(client, cast, db, loaded):  # noqa: F811
    """The run compared the key of an address MX-FGR keeps to itself; MX-FGR deletes the address after
    the run. What the run read still moved the pair's score, so the pair never stands for US-CBP: not
    listed, counted or read (a deleted address counts as hidden, as a removed value does)."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    person = {"name": ["Leocadio Zamudio Barragán"], "firstName": ["Leocadio"], "lastName": ["Zamudio Barragán"],
              "birthDate": ["1988-04-23"]}
    place = _create(client, mx, {"schema": "Address", "properties": {"full": ["Calle Mina 17, Tecate"]},
                                 "distribution": "agency"})
    cbp = _create(client, us, {"schema": "Person", "properties": person, "distribution": "release",
                               "release_to": ["MX-FGR"]})
    fgr = _create(client, mx, {"schema": "Person", "properties": {**person, "addressEntity": [place]},
                               "distribution": "release", "release_to": ["US-CBP"]})
    assert _run(db)
    stored = _suggestion(db, cbp, fgr)
    assert stored.id not in _every(client, us)
    assert client.delete(f"/api/v1/entities/{place}", headers=mx.headers).status_code == 204
    listed = _every(client, us)
    assert stored.id not in listed
    assert client.get(f"{API}/suggestions/totals", headers=us.headers).json()["total"] == len(listed)
    assert client.get(f"{API}/suggestions/{stored.id}", headers=us.headers).status_code == 404


def test_a_summary_written_before_a_change_never_lets_a_pair_stand_after(client, cast, db, loaded):  # noqa: F811
    """The run's summary is of what it read; what changed since is the policy's and the comparison's to
    decide. Four US-CBP/MX-FGR pairs stand for US-CBP after the run; then MX-FGR revokes the release of
    one's address, keeps one's address text to itself (removed and written again), keeps one record's
    birth date to itself (the same), and deletes the last record. None stands for US-CBP any more: not
    listed, not counted in any band of scores, not read."""
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    people = [("Aurelio", "Benítez Cordero", "1984-11-02"), ("Crisanto", "Villalobos Ayala", "1971-06-19"),
              ("Eduviges", "Santillán Ruiz", "1990-01-27"), ("Fortunato", "Olguín Treviño", "1966-08-05")]
    pairs, places = [], []
    for n, (first, last, born) in enumerate(people):
        person = {"name": [f"{first} {last}"], "firstName": [first], "lastName": [last], "birthDate": [born]}
        place = _create(client, mx, {"schema": "Address", "properties": {"full": [f"Calle Aldama {n + 41}, Tijuana"]},
                                     "distribution": "release", "release_to": ["US-CBP"]})
        cbp = _create(client, us, {"schema": "Person", "properties": person, "distribution": "release",
                                   "release_to": ["MX-FGR"]})
        fgr = _create(client, mx, {"schema": "Person", "properties": {**person, "addressEntity": [place]},
                                   "distribution": "release", "release_to": ["US-CBP"]})
        pairs.append((cbp, fgr))
        places.append(place)
    assert _run(db)
    stored = [_suggestion(db, cbp, fgr) for cbp, fgr in pairs]
    listed = _every(client, us)
    assert {s.id for s in stored} <= listed

    release = client.get(f"/api/v1/entities/{places[0]}/releases", headers=mx.headers).json()[0]["id"]
    assert client.delete(f"/api/v1/releases/{release}", headers=mx.headers).status_code == 200
    text = "Calle Aldama 42, Tijuana"
    assert client.patch(f"/api/v1/entities/{places[1]}", headers=mx.headers,
                        json={"remove": {"full": [text]}}).status_code == 200
    assert client.patch(f"/api/v1/entities/{places[1]}", headers=mx.headers,
                        json={"add": {"full": [text]}, "distribution": "agency"}).status_code == 200
    born = people[2][2]
    assert client.patch(f"/api/v1/entities/{pairs[2][1]}", headers=mx.headers,
                        json={"remove": {"birthDate": [born]}}).status_code == 200
    assert client.patch(f"/api/v1/entities/{pairs[2][1]}", headers=mx.headers,
                        json={"add": {"birthDate": [born]}, "distribution": "agency"}).status_code == 200
    assert client.delete(f"/api/v1/entities/{pairs[3][1]}", headers=mx.headers).status_code == 204

    after = _every(client, us)
    assert not {s.id for s in stored} & after
    assert client.get(f"{API}/suggestions/totals", headers=us.headers).json()["total"] == len(after)
    for s in stored:
        assert client.get(f"{API}/suggestions/{s.id}", headers=us.headers).status_code == 404
        band = {"min_score": s.score, "max_score": s.score}
        total = client.get(f"{API}/suggestions/totals", headers=us.headers, params=band).json()["total"]
        assert total == len(after & {i for i in after if client.get(
            f"{API}/suggestions/{i}", headers=us.headers).json()["score"] == s.score})

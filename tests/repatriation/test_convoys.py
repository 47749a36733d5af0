"""Land convoys with the OR-Tools routing library: every bus within its seats and arriving inside the
port's window, every person either on a bus or named as left out, never both; the sender's alone, on
the API, the command line and the page (a partner gets the answer of a movement that does not exist)."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from binational.audit.models import AuditEntry
from binational.cli import app
from binational.config import get_settings
from binational.db import act_as_system
from binational.errors import InvalidInput, NotFound
from binational.repatriation.convoys import convoy_for, networks, parse_networks, plan_convoy
from binational.repatriation.models import Detainee, ManifestLine
from binational.scenario.repatriation import FACILITIES
from tests.repatriation.conftest import acting, build_week, run_to_lock, sign_in
from tests.repatriation.test_attacks import API, MISSING, _same

#: garage, facilities A, B, C, port: minutes between them
TRAVEL = [[0, 30, 60, 90, 120], [30, 0, 40, 70, 100], [60, 40, 0, 50, 60], [90, 70, 50, 0, 30],
          [120, 100, 60, 30, 0]]
WAITING = {"A": 30, "B": 50, "C": 20}


def _check(convoy, seats: int, window: tuple[int, int]) -> None:
    for stops, arrival in zip(convoy.routes, convoy.arrivals, strict=True):
        assert sum(n for _f, n in stops) <= seats
        assert window[0] <= arrival <= window[1]
    carried = {}
    for _f, n in [s for stops in convoy.routes for s in stops] + convoy.left_out:
        carried[_f] = carried.get(_f, 0) + n
    assert carried == WAITING


def test_buses_collect_everyone_within_seats_and_window() -> None:
    convoy = plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting=WAITING, buses=3, seats=45,
                         depart_after=6 * 60, window=(8 * 60, 9 * 60), seconds=0.3)
    _check(convoy, 45, (8 * 60, 9 * 60))
    assert convoy.left_out == [] and len(convoy.routes) == 3


def test_what_no_bus_can_take_is_left_out_not_squeezed_in() -> None:
    convoy = plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting=WAITING, buses=1, seats=45,
                         depart_after=6 * 60, window=(8 * 60, 9 * 60), seconds=0.3)
    _check(convoy, 45, (8 * 60, 9 * 60))
    assert sum(n for _f, n in convoy.left_out) == 100 - 45
    # a window the garage cannot reach in time: nobody goes, everybody is named
    late = plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting=WAITING, buses=2, seats=45,
                       depart_after=8 * 60, window=(8 * 60, 8 * 60 + 30), seconds=0.3)
    assert late.routes == [] and sum(n for _f, n in late.left_out) == 100


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        plan_convoy(facilities=["A"], travel=TRAVEL, waiting={"A": 1}, buses=1, seats=1, depart_after=0,
                    window=(60, 120))
    with pytest.raises(InvalidInput):
        plan_convoy(facilities=["A", "B", "C"], travel=TRAVEL, waiting={"Z": 1}, buses=1, seats=1, depart_after=0,
                    window=(60, 120))


# --- the sender's buses for one of its land movements ------------------------------------------------------


def _listed(db, quick_routing) -> tuple[object, str, dict[str, str]]:
    """The week's first land movement accepted and filled; the people wait in two facilities near
    Tijuana and one far away, one case file names no facility."""
    week = build_week(db)
    run_to_lock(db, week)
    where = {}
    with db.unit_of_work() as s:
        act_as_system(s)
        for n, key in enumerate(sorted(week.cases)):
            facility = None if key == "adult5" else ("otay-mesa", "imperial", "adelanto")[n % 3]
            s.get(Detainee, week.cases[key]).facility = facility
            where[week.cases[key]] = facility
    return week, week.movements["land"], where


def test_a_partner_or_an_outsider_learns_nothing_of_the_convoy(db, client, web_parties, quick_routing, monkeypatch,
                                                               tmp_path):
    # the attack first: the receiver and the consulate see the movement, never the sender's facilities
    _week, land, _where = _listed(db, quick_routing)
    for user in ("inm", "sre", "inm_auditor"):
        headers = {"Authorization": f"Bearer {web_parties[user].token}"}
        hidden = client.get(f"{API}/repatriation/movements/{land}/convoy?buses=2&seats=45", headers=headers)
        missing = client.get(f"{API}/repatriation/movements/{MISSING}/convoy?buses=2&seats=45", headers=headers)
        _same(hidden, missing, land, user, (403, 404))
    # nor how the sender keeps its network: a file the node cannot read is the sender's error alone,
    # and one listing no network of the sender's agency is said so to the sender, not taken for a 404
    for kept, said in ((tmp_path / "absent.yaml", "cannot read"), (_network_file(tmp_path, "MX-INM"), "list none")):
        monkeypatch.setenv("BINATIONAL_REPATRIATION_NETWORKS", str(kept))
        get_settings.cache_clear()
        headers = {"Authorization": f"Bearer {web_parties['inm'].token}"}
        _same(client.get(f"{API}/repatriation/movements/{land}/convoy?buses=2&seats=45", headers=headers),
              client.get(f"{API}/repatriation/movements/{MISSING}/convoy?buses=2&seats=45", headers=headers),
              land, kept.name)
        r = client.get(f"{API}/repatriation/movements/{land}/convoy?buses=2&seats=45",
                       headers={"Authorization": f"Bearer {web_parties['ice'].token}"})
        assert r.status_code == 422 and said in r.json()["error"]["message"], r.text
    monkeypatch.delenv("BINATIONAL_REPATRIATION_NETWORKS")
    get_settings.cache_clear()
    sign_in(client, "inm")
    assert "convoy" not in client.get(f"/repatriation/movements/{land}").text
    for query in ("", "?buses=x&seats=45"):  # a form the sender would be told is wrong: still no such movement
        _same(client.get(f"/repatriation/movements/{land}/convoy{query}"),
              client.get(f"/repatriation/movements/{MISSING}/convoy{query}"), land, ("page", query))
    with acting(db, "inm") as (s, actor), pytest.raises(NotFound):
        convoy_for(session=s, actor=actor, movement_id=land, buses=2, seats=45)
    r = CliRunner().invoke(app, ["repatriation", "convoy", land, "--as", "sre", "--buses", "2", "--seats", "45"])
    assert r.exit_code == 2 and "facilit" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_sender_routes_everyone_listed_or_says_who_stays(db, parties, quick_routing):
    week, land, where = _listed(db, quick_routing)
    with acting(db, "ice") as (s, actor):
        result = convoy_for(session=s, actor=actor, movement_id=land, buses=3, seats=4)
        travelling = [li.line_no for li in s.execute(select(ManifestLine).where(
            ManifestLine.movement_id == land, ManifestLine.status == "listed")).scalars()]
        line_case = {n: ident for n, ident in s.execute(select(ManifestLine.line_no, ManifestLine.detainee_id)
                                                         .where(ManifestLine.movement_id == land))}
    seen = [n for r in result["routes"] for st in r["stops"] for n in st["lines"]] + \
        [n for o in result["left_out"] for n in o["lines"]]
    assert sorted(seen) == sorted(travelling) and len(travelling) > 4
    for route in result["routes"]:
        assert route["people"] == sum(len(st["lines"]) for st in route["stops"]) <= 4
        assert "08:00" <= route["arrival"] <= "17:00"
        for stop in route["stops"]:  # each picked up where the case file says the person waits
            assert {where[line_case[n]] for n in stop["lines"]} == {stop["facility"]}
    no_facility = [o for o in result["left_out"] if o["reason"] == "no_facility"]
    assert [line_case[n] for o in no_facility for n in o["lines"]] == [week.cases["adult5"]]
    # three buses of four seats cannot take everyone: whoever stays is named, not squeezed in
    assert result["on_buses"] <= 12 and any(o["reason"] == "no_bus_in_time" for o in result["left_out"])
    with acting(db, "ice_auditor") as (s, _actor):
        act_as_system(s)
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "repatriation.convoy")).scalar_one()
    assert entry.decision == "allow"


def test_bad_requests_for_a_convoy_are_refused(db, client, web_parties, quick_routing):
    week, land, _where = _listed(db, quick_routing)
    headers = {"Authorization": f"Bearer {web_parties['ice'].token}"}
    r = client.get(f"{API}/repatriation/movements/{land}/convoy?buses=0&seats=45", headers=headers)
    assert r.status_code == 422 and "error" in r.json()
    r = client.get(f"{API}/repatriation/movements/{week.movements['air']}/convoy?buses=1&seats=45", headers=headers)
    assert r.status_code == 422 and "land" in r.json()["error"]["message"]
    r = CliRunner().invoke(app, ["repatriation", "convoy", land, "--as", "ice", "--buses", "1", "--seats", "500"])
    assert r.exit_code == 2 and r.stderr.startswith("error: seats must be")
    sign_in(client, "ice")
    page = client.get(f"/repatriation/movements/{land}")
    assert 'data-testid="convoy-link"' in page.text
    for lang, word in (("en", "Buses to the port"), ("es", "Autobuses al puerto")):
        r = client.get(f"/repatriation/movements/{land}/convoy?buses=2&seats=20", headers={"Accept-Language": lang})
        assert r.status_code == 200 and word in r.text and 'data-testid="routes"' in r.text
    r = client.get(f"/repatriation/movements/{land}/convoy?buses=x", headers={"Accept-Language": "es"})
    assert r.status_code == 422 and 'data-testid="error"' in r.text


def _one_network(agency: str = "US-ICE") -> dict[str, object]:
    return {"agency": agency, "km_per_hour": 80, "garages": [{"id": "g", "name": "G", "lat": 32, "lon": -117}],
            "facilities": [{"id": "f", "name": "F", "lat": 32.5, "lon": -117}],
            "ports": [{"point": "p", "lat": 32.4, "lon": -117, "garage": "g"}]}


def _network_file(folder, agency: str):  # noqa: ANN202 - a Path
    path = folder / f"{agency}.yaml"
    path.write_text(yaml.safe_dump({"networks": [_one_network(agency)]}), encoding="utf-8")
    return path


def test_a_network_file_that_breaks_the_shape_is_refused_naming_the_field() -> None:
    good = _one_network()
    network = parse_networks({"networks": [good]})["US-ICE"]
    f, p = network.facilities["f"], network.ports["p"][0]
    # 11 km as the crow flies, at 80 km/h: nine minutes
    assert network.minutes(f, p) == network.minutes(p, f) == 9 and network.minutes(f, f) == 0
    measured = parse_networks({"networks": [{**good, "minutes": [{"from": "f", "to": "p", "minutes": 30}]}]})
    assert measured["US-ICE"].minutes(p, f) == 30
    for broken, field in (({**good, "km_per_hour": 0}, "km_per_hour"),
                          ({**good, "ports": [{**good["ports"][0], "garage": "nowhere"}]}, "garage"),
                          ({**good, "minutes": [{"from": "f", "to": "elsewhere", "minutes": 3}]}, "minutes"),
                          ({**good, "facilities": [{"id": "f", "name": "F", "lat": 200, "lon": 0}]}, "lat/lon"),
                          ({**good, "garages": 5}, "garages"), ({**good, "minutes": {"f": 3}}, "minutes"),
                          ({**good, "ports": [{**good["ports"][0], "garage": ["g"]}]}, "garage"),
                          ({**good, "minutes": [{"from": ["f"], "to": "p", "minutes": 3}]}, "minutes"),
                          ({**good, "km_per_hour": True}, "km_per_hour")):
        with pytest.raises(InvalidInput) as caught:
            parse_networks({"networks": [broken]})
        assert caught.value.details[0]["field"] == field
    shipped = networks()
    assert set(FACILITIES) <= set(shipped["US-ICE"].facilities) and shipped["US-ICE"].assumptions

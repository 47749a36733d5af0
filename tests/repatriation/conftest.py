"""The parties of a repatriation (US-ICE sends, MX-INM receives, MX-SRE verifies) and a small week of
movements with the hard cases, built through the services as the users would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from binational.access import service as access
from binational.config import get_settings
from binational.db import Database, act_as, act_as_system
from binational.repatriation import casefiles, manifest, service
from tests.conftest import PASSWORD, Member

PARTIES = [
    ("ice", "US-ICE", ("supervisor",), "TLP:AMBER"),
    ("inm", "MX-INM", ("supervisor",), "TLP:AMBER"),
    ("sre", "MX-SRE", ("liaison",), "TLP:AMBER"),
    ("inm_auditor", "MX-INM", ("auditor",), "TLP:AMBER"),
    ("sre_auditor", "MX-SRE", ("auditor",), "TLP:AMBER"),
    ("ice_auditor", "US-ICE", ("auditor",), "TLP:AMBER"),
]


def _parties(db: Database, signing_in: tuple[str, ...]) -> dict[str, Member]:
    found = {}
    with db.unit_of_work() as s:
        act_as_system(s)
        access.add_agency(session=s, code="MX-SRE", country="MX", name="Secretaría de Relaciones Exteriores")
        for username, agency, roles, clearance in PARTIES:
            # a password only for who signs in on the web: hashing one takes half a second
            user = access.add_user(session=s, username=username, agency=agency, roles=list(roles),
                                   clearance=clearance, password=PASSWORD if username in signing_in else None)
            _row, secret = access.create_token(session=s, user=user, days=30)
            found[username] = Member(username, agency, roles, clearance, secret)
    return found


@pytest.fixture
def quick_routing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A land convoy's routing time box short enough for a test (the product's is 1 s)."""
    monkeypatch.setenv("BINATIONAL_REPATRIATION_CONVOY_SECONDS", "0.2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def parties(db: Database) -> dict[str, Member]:
    """The consulate's agency and the users of the three parties, with tokens."""
    return _parties(db, ())


@pytest.fixture
def web_parties(db: Database) -> dict[str, Member]:
    """The same, with passwords for the three officers who sign in on the web."""
    return _parties(db, ("ice", "inm", "sre"))


def monday_after_next(today: date | None = None) -> date:
    """A Monday far enough ahead for every lead time of the arrangement."""
    today = today or date.today()
    return today + timedelta(days=14 - today.weekday())


def acting(db: Database, username: str):  # noqa: ANN201 - a context of (session, actor)
    """A unit of work acting as `username`."""
    from contextlib import contextmanager

    @contextmanager
    def unit():  # noqa: ANN202
        with db.unit_of_work() as s:
            act_as_system(s)
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
            act_as(s, actor)
            yield s, actor
    return unit()


SCREENED = {"not_trafficking_victim": True, "no_trafficking_risk": True, "no_credible_fear": True,
            "can_decide_independently": True, "rationale": "16 years old, interviewed with a consular officer"}


def _case(name: str, sex: str, born: date, ready: date, **facts: Any) -> dict[str, Any]:
    return {"name": name, "sex": sex, "birth_date": born.isoformat(), "nationality": "MX",
            "order_type": "final_removal", "order_final_on": (ready - timedelta(days=30)).isoformat(),
            "ready_date": ready.isoformat(), **facts}


@dataclass
class Week:
    """What the builder made: case ids by role in the story, movement ids."""

    monday: date
    cases: dict[str, str] = field(default_factory=dict)
    movements: dict[str, str] = field(default_factory=dict)


def build_week(db: Database, *, adults: int = 6) -> Week:
    """ICE's case files (ordinary people and the hard cases) and three proposed movements."""
    monday = monday_after_next()
    week = Week(monday)
    ready = monday - timedelta(days=3)
    people = {f"adult{i}": _case(f"Persona Ordinaria {i}", "M" if i % 2 else "F", date(1990, 1, 1 + i), ready)
              for i in range(adults)}
    # two kinds of order beside the final removal orders, for the statistics by repatriation type
    people["adult0"]["order_type"] = "expedited_removal"
    people["adult1"]["order_type"] = "voluntary_return"
    people.update({
        "mother": _case("Rosa Familia Lopez", "F", date(1988, 3, 4), ready, family_id="fam-1"),
        "father": _case("Juan Familia Perez", "M", date(1986, 5, 6), ready, family_id="fam-1"),
        "son": _case("Luis Familia Lopez", "M", date.today() - timedelta(days=365 * 9), ready, family_id="fam-1"),
        "uac_screened": _case("Ana Menor Sola", "F", date.today() - timedelta(days=365 * 16 + 30), ready,
                              unaccompanied_child=True, child_screening=SCREENED),
        "uac_unscreened": _case("Beto Menor Sinfiltro", "M", date.today() - timedelta(days=365 * 12), ready,
                                unaccompanied_child=True),
        "fear": _case("Carla Temor Fundado", "F", date(1995, 2, 2), ready, fear_claim=True),
        "asylum": _case("Dario Asilo Pendiente", "M", date(1993, 7, 7), ready, protection_claim="pending"),
        "withholding": _case("Elena Retencion Otorgada", "F", date(1980, 8, 8), ready, protection_claim="granted",
                             protection_country="MX"),
        "medical": _case("Fabian Cuidado Medico", "M", date(1970, 9, 9), ready, needs_medical=True,
                         medical_clearance_until=(monday + timedelta(days=30)).isoformat()),
        "counsel": _case("Gloria Abogada Registrada", "F", date(1984, 10, 10), ready, counsel_of_record=True),
        "late_stay": _case("Hector Suspension Tardia", "M", date(1991, 11, 11), ready),
        "late_claim": _case("Irene Solicitud Tardia", "F", date(1992, 12, 12), ready),
    })
    with acting(db, "ice") as (s, actor):
        for key, data in people.items():
            week.cases[key] = casefiles.create(session=s, actor=actor, data={"id": f"us-ice.case-{key}", **data}).id
        land = {"arrangement": "us-mx-2016", "mode": "land", "point": "tijuana-chaparral", "start_hour": 8,
                "end_hour": 17, "medical_staff": True}
        week.movements["land"] = service.propose(session=s, actor=actor, day=monday, capacity=20,
                                                 expected={"adults": 12, "children": 1, "unaccompanied_children": 1},
                                                 **land).id
        week.movements["land2"] = service.propose(session=s, actor=actor, day=monday + timedelta(days=1),
                                                  capacity=10, expected={"adults": 5}, **land).id
        week.movements["air"] = service.propose(session=s, actor=actor, arrangement="us-mx-2016", mode="air",
                                                point="aifa", day=monday + timedelta(days=2), start_hour=9,
                                                end_hour=14, capacity=135, expected={"adults": 100}).id
    return week


def run_to_lock(db: Database, week: Week) -> dict[str, Any]:
    """INM accepts the first land movement, ICE assigns everyone to it, SRE verifies; returns assign's answer."""
    land = week.movements["land"]
    with acting(db, "inm") as (s, actor):
        service.respond(session=s, actor=actor, movement_id=land, decision="accept")
    with acting(db, "ice") as (s, actor):
        result = manifest.assign(session=s, actor=actor, movement_id=land, detainee_ids=list(week.cases.values()))
        manifest.request_verification(session=s, actor=actor, movement_id=land)
    with acting(db, "sre") as (s, actor):
        lines = manifest.view(s, actor, service.access_movement(s, actor, land, "repatriation.read"))["manifest"]
        for line in lines:
            manifest.verify(session=s, actor=actor, movement_id=land, line_nos=[line["line_no"]], outcome="verified",
                            document_number=f"MX-CON-{line['line_no']:04d}",
                            valid_until=week.monday + timedelta(days=60))
    return result


def sign_in(client: TestClient, username: str) -> None:
    """Sign `username` in on the web client."""
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text

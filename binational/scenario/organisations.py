"""Trafficking organisations: cells, leaders, brokers, couriers, straw purchasers, front companies.

Members are drawn from the true population of the organisation's plaza (a Mexican border state and
the US state across from it); a broker may serve two organisations, cells share a stash house and
a burner phone, couriers share a car. This module builds the true structure and writes it to
``truth/organisations.csv``, ``truth/cells.csv`` and ``truth/members.csv``; what the agencies
record of it is ``intelligence.py`` and ``seizures.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from binational.scenario import documents as docs
from binational.scenario.gazetteer import CRIMINAL_ALIASES, MX_PLACES, ORG_FIRST, ORG_SECOND, PAIRED_US_STATE
from binational.scenario.people import (
    NamePools,
    TrueAddress,
    TruePerson,
    make_address,
    make_vehicle,
)
from binational.scenario.registry import register
from binational.scenario.world import World

WINDOW_START, WINDOW_DAYS = date(2022, 1, 1), 4 * 365


@dataclass(slots=True)
class TrueCell:
    cell_id: str
    name: str
    city: str
    state: str
    members: list[TruePerson] = field(default_factory=list)
    couriers: list[TruePerson] = field(default_factory=list)
    stash: TrueAddress | None = None


@dataclass(slots=True)
class TrueCompany:
    company_id: str
    name: str
    rfc: str
    address: TrueAddress
    owner: TruePerson
    founded: date


@dataclass(slots=True)
class TrueOrganisation:
    organisation_id: str
    name: str
    state: str
    us_state: str
    leader: TruePerson
    cells: list[TrueCell] = field(default_factory=list)
    brokers: list[TruePerson] = field(default_factory=list)
    straw_purchasers: list[TruePerson] = field(default_factory=list)
    companies: list[TrueCompany] = field(default_factory=list)

    def everyone(self) -> list[TruePerson]:
        people = [self.leader, *self.brokers, *self.straw_purchasers]
        people += [p for cell in self.cells for p in cell.members]
        return people


def random_day(rng: random.Random) -> date:
    return WINDOW_START + timedelta(days=rng.randrange(WINDOW_DAYS))


class Recruiter:
    """Draws unassigned adults by nationality and home state, without reuse, in a seeded order."""

    def __init__(self, rng: random.Random, people: list[TruePerson]) -> None:
        self.pools: dict[tuple[str, str], list[TruePerson]] = {}
        for person in people:
            if person.birth.year <= 2003:
                self.pools.setdefault((person.nationality, person.home.state), []).append(person)
        for key in sorted(self.pools):
            rng.shuffle(self.pools[key])

    def take(self, nationality: str, state: str) -> TruePerson | None:
        pool = self.pools.get((nationality, state))
        if not pool:
            keys = [k for k in sorted(self.pools) if k[0] == nationality and self.pools[k]]
            if not keys:
                return None
            pool = self.pools[keys[0]]
        return pool.pop()


def _assign(person: TruePerson, org: TrueOrganisation, role: str, cell: TrueCell | None = None) -> TruePerson:
    person.organisation_id, person.role = org.organisation_id, role
    person.cell_id = cell.cell_id if cell else None
    return person


def build_organisation(
    rng: random.Random,
    world: World,
    faker_mx,
    recruiter: Recruiter,
    n: int,  # noqa: ANN001
    previous: TrueOrganisation | None,
) -> TrueOrganisation | None:
    pools: NamePools = world.state["pools"]
    state = rng.choice(sorted(MX_PLACES))
    us_state = PAIRED_US_STATE[state]
    leader = recruiter.take("mx", state)
    if leader is None:
        return None
    org_id = f"org-{n:04d}"
    name = f"{rng.choice(ORG_FIRST)} {rng.choice(ORG_SECOND)}"
    org = TrueOrganisation(org_id, name, state, us_state, leader)
    _assign(leader, org, "leader")
    leader.alias = rng.choice(CRIMINAL_ALIASES[leader.sex])
    for c in range(1, rng.randint(2, 4) + 1):
        city = rng.choice(MX_PLACES[state])[0]
        cell = TrueCell(f"{org_id}-c{c}", f"Célula {city} {c}", city, state)
        cell.stash = make_address(rng, pools, f"stash-{org_id}-c{c}", "mx", state)
        for _ in range(rng.randint(3, 8)):
            member = recruiter.take("mx", state)
            if member is not None:
                cell.members.append(_assign(member, org, "member", cell))
        for _ in range(rng.randint(1, 3)):
            courier = recruiter.take(
                "mx" if rng.random() < 0.7 else "us", state if rng.random() < 0.7 else us_state
            )
            if courier is not None:
                cell.members.append(_assign(courier, org, "courier", cell))
                cell.couriers.append(courier)
                if not courier.vehicles:
                    courier.vehicles.append(
                        make_vehicle(
                            rng, f"veh-{courier.person_id}", courier.home.country, courier.home.state
                        )
                    )
        for member in cell.members:
            if member.alias is None and rng.random() < 0.5:
                member.alias = rng.choice(CRIMINAL_ALIASES[member.sex])
        if len(cell.members) >= 2:  # a burner phone shared by two members
            burner = docs.make_phone(rng, "mx", state)
            for member in rng.sample(cell.members, 2):
                member.phones.append(burner)
        org.cells.append(cell)
    broker = recruiter.take(rng.choice(("mx", "us")), state if rng.random() < 0.5 else us_state)
    if broker is not None:
        org.brokers.append(_assign(broker, org, "broker"))
    if previous is not None and previous.brokers and rng.random() < 0.3:
        org.brokers.append(previous.brokers[0])  # one broker serves two organisations
    for _ in range(rng.randint(1, 3)):
        straw = recruiter.take("us", us_state)
        if straw is not None:
            org.straw_purchasers.append(_assign(straw, org, "straw_purchaser"))
    for k in range(1, rng.randint(1, 2) + 1):
        owner = rng.choice([leader, *world_people_by_id(world, leader.relatives)])  # a sibling as front
        founded = date(rng.randint(2008, 2021), rng.randint(1, 12), rng.randint(1, 28))
        company_name = faker_mx.company()
        rfc = (
            docs.strip_accents(company_name).upper().replace(" ", "")[:3].ljust(3, "X")
            + f"{founded:%y%m%d}"
            + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(3))
        )
        org.companies.append(
            TrueCompany(
                f"com-{org_id}-{k}",
                company_name,
                rfc,
                make_address(rng, pools, f"adr-com-{org_id}-{k}", "mx", state),
                owner,
                founded,
            )
        )
    return org


def world_people_by_id(world: World, relatives: list[tuple[str, str]]) -> list[TruePerson]:
    people: list[TruePerson] = world.state["people"]
    return [people[int(pid.split("-")[1]) - 1] for pid, _ in relatives]


def write_structure(world: World, org: TrueOrganisation) -> None:
    world.truth(
        "organisations", ("organisation_id", "name", "cells"), (org.organisation_id, org.name, len(org.cells))
    )
    for cell in org.cells:
        world.truth(
            "cells",
            ("cell_id", "organisation_id", "name", "city", "state"),
            (cell.cell_id, org.organisation_id, cell.name, cell.city, cell.state),
        )
    header = ("organisation_id", "cell_id", "person_id", "role")
    world.truth("members", header, (org.organisation_id, "", org.leader.person_id, "leader"))
    for cell in org.cells:
        for member in cell.members:
            world.truth("members", header, (org.organisation_id, cell.cell_id, member.person_id, member.role))
    for person in org.brokers:
        world.truth("members", header, (org.organisation_id, "", person.person_id, "broker"))
    for person in org.straw_purchasers:
        world.truth("members", header, (org.organisation_id, "", person.person_id, "straw_purchaser"))


@register("organisations")
def generate_organisations(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    """Build every organisation first (so records carry roles), then let the agencies record them."""
    recruiter = Recruiter(rng, world.state["people"])
    organisations: list[TrueOrganisation] = []
    world.state["organisations"] = organisations
    for n in range(1, world.size.organisations + 1):
        org = build_organisation(
            rng, world, faker_mx, recruiter, n, organisations[-1] if organisations else None
        )
        if org is None:
            break
        organisations.append(org)
    world.state["stash_houses"] = {c.cell_id: c.stash for o in organisations for c in o.cells}
    for org in organisations:
        write_structure(world, org)

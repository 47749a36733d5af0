"""What the agencies record of the organisations: the investigators' files on them.

The Organization and Memberships (investigators: MX-FGR, MX-SSPC, MX-SEDENA, US-DEA, US-HSI),
Family links between siblings (who share both surnames), Associates within a cell, intercepted
Calls (US agencies when one leg is a US number), Payments (front company to couriers in MXN, broker
to straw purchasers in USD), Ownership of front companies, and couriers' northbound Trips through
ports of entry in a car the cell shares. Every link is also written to ``truth/links.csv`` with the
true ids of its two ends.
"""

from __future__ import annotations

import random
from datetime import date

from binational.scenario.gazetteer import PORTS, US_PLACES
from binational.scenario.organisations import (
    TrueCell,
    TrueCompany,
    TrueOrganisation,
    random_day,
    world_people_by_id,
)
from binational.scenario.people import TrueAddress
from binational.scenario.records import OBJECTS_HEADER, address_record, person_record, vehicle_record
from binational.scenario.registry import register
from binational.scenario.world import World

LINKS_HEADER = ("agency", "record_id", "schema", "source_id", "target_id", "date")
INVESTIGATORS = (("MX-FGR", 1.0), ("MX-SSPC", 0.6), ("MX-SEDENA", 0.4), ("US-DEA", 0.6), ("US-HSI", 0.7))


def link(
    world: World,
    rng: random.Random,
    agency: str,
    schema: str,
    props: dict[str, list[str]],
    source: str,
    target: str,
    when: date | None = None,
) -> str:
    record_id = world.emit(agency, schema, props, world.draw_policy(rng, agency), "lnk")
    world.truth(
        "links", LINKS_HEADER, (agency, record_id, schema, source, target, when.isoformat() if when else "")
    )
    return record_id


def company_record(world: World, rng: random.Random, agency: str, company: TrueCompany) -> str:
    key = (agency, company.company_id)
    if key in world.records:
        return world.records[key]
    props = {
        "name": [company.name],
        "country": ["mx"],
        "taxNumber": [company.rfc],
        "incorporationDate": [company.founded.isoformat()],
        "addressEntity": [address_record(world, rng, agency, company.address)],
    }
    record_id = world.emit(agency, "Company", props, world.draw_policy(rng, agency), "com")
    world.records[key] = record_id
    world.truth("objects", OBJECTS_HEADER, (agency, record_id, "Company", company.company_id))
    return record_id


def record_organisation(world: World, rng: random.Random, org: TrueOrganisation) -> None:
    everyone = org.everyone()
    for agency, share in INVESTIGATORS:
        if rng.random() >= share:
            continue
        org_rec = world.emit(
            agency,
            "Organization",
            {
                "name": [org.name],
                "country": ["mx"],
                "description": [f"Organización delictiva con base en {org.state}"],
            },
            world.draw_policy(rng, agency),
            "org",
        )
        world.truth("objects", OBJECTS_HEADER, (agency, org_rec, "Organization", org.organisation_id))
        for person in everyone:
            if person is org.leader or rng.random() < 0.7:
                rec = person_record(world, rng, agency, person)
                role = {
                    "leader": "líder",
                    "broker": "intermediario",
                    "courier": "mensajero",
                    "straw_purchaser": "prestanombres",
                    "member": "integrante",
                }.get(person.role, "integrante")
                if person.organisation_id != org.organisation_id:
                    role = "intermediario"
                link(
                    world,
                    rng,
                    agency,
                    "Membership",
                    {"member": [rec], "organization": [org_rec], "role": [role]},
                    person.person_id,
                    org.organisation_id,
                )
    for person in everyone:  # relatives: siblings share both surnames and often a home
        for relative in world_people_by_id(world, person.relatives):
            if rng.random() < 0.6 and person.person_id < relative.person_id:
                agency = (
                    rng.choice(("MX-FGR", "MX-SSPC", "US-HSI")) if person.nationality == "mx" else "US-HSI"
                )
                link(
                    world,
                    rng,
                    agency,
                    "Family",
                    {
                        "person": [person_record(world, rng, agency, person)],
                        "relative": [person_record(world, rng, agency, relative)],
                        "relationship": ["hermano(a)"],
                    },
                    person.person_id,
                    relative.person_id,
                )
    for cell in org.cells:
        head = cell.members[0] if cell.members else org.leader
        for member in cell.members[1:]:
            if rng.random() < 0.5:
                agency = rng.choice(("MX-FGR", "MX-SSPC"))
                link(
                    world,
                    rng,
                    agency,
                    "Associate",
                    {
                        "person": [person_record(world, rng, agency, head)],
                        "associate": [person_record(world, rng, agency, member)],
                        "relationship": ["socio"],
                    },
                    head.person_id,
                    member.person_id,
                )
        record_calls(world, rng, org, cell)
        record_trips(world, rng, org, cell)
    record_money(world, rng, org)


def record_calls(world: World, rng: random.Random, org: TrueOrganisation, cell: TrueCell) -> None:
    talkers = [org.leader, *org.brokers, *cell.members]
    for _ in range(3 * len(cell.members)):
        caller, receiver = rng.sample(talkers, 2)
        from_no, to_no = rng.choice(caller.phones), rng.choice(receiver.phones)
        us_leg = from_no.startswith("+1") or to_no.startswith("+1")
        agency = rng.choice(("US-HSI", "US-DEA")) if us_leg else rng.choice(("MX-FGR", "MX-FGR", "MX-SSPC"))
        when = random_day(rng)
        link(
            world,
            rng,
            agency,
            "Call",
            {
                "caller": [person_record(world, rng, agency, caller)],
                "receiver": [person_record(world, rng, agency, receiver)],
                "callerNumber": [from_no],
                "receiverNumber": [to_no],
                "date": [when.isoformat()],
                "duration": [str(rng.randint(8, 900))],
            },
            caller.person_id,
            receiver.person_id,
            when,
        )


def record_trips(world: World, rng: random.Random, org: TrueOrganisation, cell: TrueCell) -> None:
    for courier in cell.couriers:
        vehicle = (cell.couriers[0].vehicles or courier.vehicles)[0]  # couriers of a cell share a car
        for _ in range(rng.randint(1, 4)):
            port, _aduana = rng.choice(PORTS[org.state])
            agency = "US-CBP"
            start = TrueAddress(f"city-mx-{cell.city}", "", cell.city, cell.state, "", "mx")
            us_city = rng.choice(US_PLACES[org.us_state])[0]
            end = TrueAddress(f"city-us-{us_city}", "", us_city, org.us_state, "", "us")
            when = random_day(rng)
            link(
                world,
                rng,
                agency,
                "Trip",
                {
                    "name": [f"Northbound crossing at {port}"],
                    "date": [when.isoformat()],
                    "startLocation": [address_record(world, rng, agency, start)],
                    "endLocation": [address_record(world, rng, agency, end)],
                    "vehicle": [vehicle_record(world, rng, agency, vehicle)],
                    "involved": [person_record(world, rng, agency, courier)],
                    "country": ["us"],
                },
                courier.person_id,
                vehicle.vehicle_id,
                when,
            )


def record_money(world: World, rng: random.Random, org: TrueOrganisation) -> None:
    for company in org.companies:
        for agency in ("MX-FGR", "MX-ANAM"):
            if rng.random() < 0.7:
                link(
                    world,
                    rng,
                    agency,
                    "Ownership",
                    {
                        "owner": [person_record(world, rng, agency, company.owner)],
                        "asset": [company_record(world, rng, agency, company)],
                        "role": ["accionista"],
                        "startDate": [company.founded.isoformat()],
                    },
                    company.owner.person_id,
                    company.company_id,
                )
        for cell in org.cells:
            for courier in cell.couriers:
                when = random_day(rng)
                link(
                    world,
                    rng,
                    "MX-FGR",
                    "Payment",
                    {
                        "payer": [company_record(world, rng, "MX-FGR", company)],
                        "beneficiary": [person_record(world, rng, "MX-FGR", courier)],
                        "amount": [str(rng.randint(5, 80) * 1000)],
                        "currency": ["MXN"],
                        "date": [when.isoformat()],
                        "purpose": ["servicios de transporte"],
                    },
                    company.company_id,
                    courier.person_id,
                    when,
                )
    for broker in org.brokers:
        for straw in org.straw_purchasers:
            for _ in range(rng.randint(1, 3)):
                agency = rng.choice(("US-HSI", "US-ATF"))
                when = random_day(rng)
                link(
                    world,
                    rng,
                    agency,
                    "Payment",
                    {
                        "payer": [person_record(world, rng, agency, broker)],
                        "beneficiary": [person_record(world, rng, agency, straw)],
                        "amount": [str(rng.randint(4, 25) * 100)],
                        "currency": ["USD"],
                        "date": [when.isoformat()],
                    },
                    broker.person_id,
                    straw.person_id,
                    when,
                )


@register("intelligence")
def generate_intelligence(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    for org in world.state.get("organisations", []):
        record_organisation(world, rng, org)
        world.advance(1)

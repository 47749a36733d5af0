"""Seizures of drugs and firearms, at ports of entry and in the interior, and the firearms themselves.

Straw purchasers buy firearms in the US (US-ATF holds the purchase: Firearm + Ownership); many of
those firearms are later seized in Mexico (MX-SEDENA, MX-FGR, MX-ANAM at a customs house) or on
southbound inspection (US-CBP), sometimes with a misread or obliterated serial. Drug seizures take
couriers and their vehicles at ports of entry (US-CBP, MX-ANAM) or in the interior. ``Seizure`` and
``Firearm`` are binational vocabulary schemata; a seized object is tied to its Seizure by an FtM
``UnknownLink`` (subject = seizure, object = firearm or vehicle, role = "seized").
"""

from __future__ import annotations

import random

from binational.scenario.gazetteer import PORTS
from binational.scenario.intelligence import link
from binational.scenario.organisations import TrueOrganisation, random_day
from binational.scenario.records import OBJECTS_HEADER, person_record, typo, vehicle_record
from binational.scenario.registry import register
from binational.scenario.world import World

#: manufacturer, model, caliber, weapon type, country of manufacture, serial pattern (L letter, D digit)
FIREARM_MODELS = (
    ("Barrett", "M82A1", ".50 BMG", "rifle", "us", "AADDDDD"),
    ("Century Arms", "WASR-10", "7.62x39mm", "rifle", "ro", "DL-LLDDDD-DD"),
    ("Colt", "M4 Carbine", "5.56x45mm", "rifle", "us", "LEDDDDDD"),
    ("Colt", "Government Super", ".38 Super", "pistol", "us", "CSDDDDD"),
    ("Glock", "19", "9mm", "pistol", "at", "LLLDDD"),
    ("Smith & Wesson", "M&P15", "5.56x45mm", "rifle", "us", "TLDDDDD"),
    ("FN Herstal", "Five-seveN", "5.7x28mm", "pistol", "be", "386DDDDDD"),
    ("Ruger", "AR-556", "5.56x45mm", "rifle", "us", "85D-DDDDD"),
    ("Palmetto State Armory", "PA-15", "5.56x45mm", "rifle", "us", "LLLDDDDDD"),
    ("Zastava", "PAP M70", "7.62x39mm", "rifle", "rs", "M70PBDDDDDD"),
)
SUBSTANCES = (
    ("metanfetamina", "methamphetamine", 5, 200),
    ("fentanilo", "fentanyl", 1, 30),
    ("cocaína", "cocaine", 2, 80),
    ("heroína", "heroin", 1, 20),
    ("marihuana", "marijuana", 20, 900),
)
FIREARMS_HEADER = (
    "firearm_id",
    "serial",
    "manufacturer",
    "model",
    "purchaser_person_id",
    "organisation_id",
    "purchase_agency",
    "purchase_record_id",
    "seizure_agency",
    "seizure_record_id",
    "recorded_serial",
)
SEIZURES_HEADER = ("agency", "record_id", "organisation_id", "kind", "date", "port_of_entry", "detail")


def make_serial(rng: random.Random, pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "L":
            out.append(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ"))
        elif ch == "D":
            out.append(rng.choice("0123456789"))
        else:
            out.append(ch)
    return "".join(out)


def _firearm_props(model: tuple[str, ...], serial: str | None, country: str) -> dict[str, list[str]]:
    maker, name, caliber, kind, origin, _ = model
    props = {
        "name": [f"{maker} {name} {caliber}"],
        "manufacturer": [maker],
        "model": [name],
        "caliber": [caliber],
        "weaponType": [kind],
        "country": [country],
    }
    props["countryOfManufacture"] = [origin]
    if serial:
        props["serialNumber"] = [serial]
    else:
        props["description"] = ["número de serie borrado / serial number obliterated"]
    return props


def record_firearms(world: World, rng: random.Random, org: TrueOrganisation) -> None:
    couriers = [c for cell in org.cells for c in cell.couriers]
    for straw in org.straw_purchasers:
        for k in range(rng.randint(2, 8)):
            model = rng.choice(FIREARM_MODELS)
            serial = make_serial(rng, model[5])
            firearm_id = f"fir-{straw.person_id}-{k}"
            bought = random_day(rng)
            owner = person_record(world, rng, "US-ATF", straw)
            purchase = world.emit(
                "US-ATF",
                "Firearm",
                _firearm_props(model, serial, "us"),
                world.draw_policy(rng, "US-ATF"),
                "fir",
            )
            world.truth("objects", OBJECTS_HEADER, ("US-ATF", purchase, "Firearm", firearm_id))
            link(
                world,
                rng,
                "US-ATF",
                "Ownership",
                {
                    "owner": [owner],
                    "asset": [purchase],
                    "role": ["purchaser (ATF Form 4473)"],
                    "startDate": [bought.isoformat()],
                },
                straw.person_id,
                firearm_id,
                bought,
            )
            seized = ("", "", "")
            if rng.random() < 0.6:
                agency = rng.choices(("MX-SEDENA", "MX-FGR", "MX-ANAM", "US-CBP"), (35, 35, 20, 10))[0]
                r = rng.random()
                recorded = None if r < 0.05 else typo(rng, serial) if r < 0.13 else serial
                seizure_id = seize_firearm(world, rng, agency, org, model, recorded, couriers)
                seized = (agency, seizure_id, recorded or "")
            world.truth(
                "firearms",
                FIREARMS_HEADER,
                (
                    firearm_id,
                    serial,
                    model[0],
                    model[1],
                    straw.person_id,
                    org.organisation_id,
                    "US-ATF",
                    purchase,
                    *seized,
                ),
            )


def seize_firearm(
    world: World,
    rng: random.Random,
    agency: str,
    org: TrueOrganisation,
    model: tuple[str, ...],
    serial: str | None,
    couriers: list,
) -> str:  # noqa: ANN001
    when = random_day(rng)
    port, aduana = rng.choice(PORTS[org.state])
    country = "us" if agency == "US-CBP" else "mx"
    at_port = agency in ("US-CBP", "MX-ANAM")
    place = port if agency == "US-CBP" else aduana if agency == "MX-ANAM" else org.state
    props = {
        "name": [
            f"Aseguramiento de arma de fuego, {place}"
            if country == "mx"
            else f"Southbound firearm seizure at {place}"
        ],
        "date": [when.isoformat()],
        "country": [country],
        "location": [place],
        "quantity": ["1"],
        "description": [f"{model[0]} {model[1]} ({model[2]})"],
    }
    if at_port:
        props["portOfEntry"] = [place]
    if couriers and rng.random() < 0.6:
        props["involved"] = [person_record(world, rng, agency, rng.choice(couriers))]
    policy = world.draw_policy(rng, agency)
    seizure = world.emit(agency, "Seizure", props, policy, "sei")
    firearm = world.emit(agency, "Firearm", _firearm_props(model, serial, country), policy, "fir")
    world.emit(
        agency, "UnknownLink", {"subject": [seizure], "object": [firearm], "role": ["seized"]}, policy, "lnk"
    )
    world.truth(
        "seizures",
        SEIZURES_HEADER,
        (
            agency,
            seizure,
            org.organisation_id,
            "firearm",
            when.isoformat(),
            place if at_port else "",
            serial or "",
        ),
    )
    return firearm


def record_drug_seizures(world: World, rng: random.Random, org: TrueOrganisation) -> None:
    for cell in org.cells:
        for courier in cell.couriers:
            if rng.random() >= 0.5:
                continue
            spanish, english, low, high = rng.choice(SUBSTANCES)
            kilos = f"{rng.uniform(low, high):.1f} kg"
            when = random_day(rng)
            port, aduana = rng.choice(PORTS[org.state])
            agency = rng.choices(
                ("US-CBP", "MX-ANAM", "MX-SEDENA", "MX-SSPC", "US-DEA"), (40, 15, 20, 15, 10)
            )[0]
            mexican = agency.startswith("MX-")
            place = (
                port
                if agency == "US-CBP"
                else aduana
                if agency == "MX-ANAM"
                else (cell.city if mexican else org.us_state)
            )
            props = {
                "name": [
                    f"Aseguramiento de {kilos} de {spanish}, {place}"
                    if mexican
                    else f"Seizure of {kilos} {english} at {place}"
                ],
                "date": [when.isoformat()],
                "country": ["mx" if mexican else "us"],
                "location": [place],
                "quantity": [kilos],
                "substance": [spanish if mexican else english],
                "involved": [person_record(world, rng, agency, courier)],
            }
            if agency in ("US-CBP", "MX-ANAM"):
                props["portOfEntry"] = [place]
            policy = world.draw_policy(rng, agency)
            seizure = world.emit(agency, "Seizure", props, policy, "sei")
            if courier.vehicles and rng.random() < 0.8:
                vehicle = vehicle_record(world, rng, agency, courier.vehicles[0])
                world.emit(
                    agency,
                    "UnknownLink",
                    {"subject": [seizure], "object": [vehicle], "role": ["seized"]},
                    policy,
                    "lnk",
                )
            world.truth(
                "seizures",
                SEIZURES_HEADER,
                (
                    agency,
                    seizure,
                    org.organisation_id,
                    "drugs",
                    when.isoformat(),
                    place if agency in ("US-CBP", "MX-ANAM") else "",
                    f"{kilos} {english}",
                ),
            )


@register("seizures")
def generate_seizures(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    for org in world.state.get("organisations", []):
        record_drug_seizures(world, rng, org)
        record_firearms(world, rng, org)

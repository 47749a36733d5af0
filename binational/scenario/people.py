"""The true people of the border: names, birth dates, documents, phones, homes and vehicles.

Mexican people carry two surnames (some with particles: "de la Cruz", "del Río"), often a compound
given name ("José Luis", "María Guadalupe"); Surnames follow a Zipf-like frequency so namesakes
and siblings (who share both surnames and a home) occur as they do in real records. Faker supplies
pools of names, streets and companies once per run; the rest is drawn from the generator's rng.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from binational.scenario import documents as docs
from binational.scenario.documents import strip_accents
from binational.scenario.gazetteer import (
    BIRTH_STATES,
    COMMON_SURNAMES,
    COMPOUND_GIVEN,
    EMAIL_DOMAINS,
    FAVOURED_GIVEN,
    MX_PLACES,
    MX_STATE_WEIGHTS,
    PAIRED_US_STATE,
    PARTICLE_SURNAMES,
    US_PLACES,
    US_STATE_WEIGHTS,
)
from binational.scenario.registry import register
from binational.scenario.world import World


@dataclass(slots=True)
class TrueAddress:
    address_id: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str

    def full(self) -> str:
        land = "México" if self.country == "mx" else "USA"
        town = f"{self.postal_code} {self.city}".strip()
        return ", ".join(part for part in (self.street, town, self.state, land) if part)


@dataclass(slots=True)
class TrueVehicle:
    vehicle_id: str
    make: str
    model: str
    body: str
    year: int
    vin: str
    plate: str
    plate_state: str
    country: str


@dataclass(slots=True)
class TruePerson:
    person_id: str
    given: str  # "José Luis" (Mexican compound) or "John Michael" (first + middle)
    paterno: str  # first surname (the only surname of most US people)
    materno: str | None  # second surname, None for one-surname people
    sex: str  # "H" / "M" (CURP letters)
    birth: date
    nationality: str  # "mx" / "us"
    birth_state: str
    home: TrueAddress
    documents: dict[str, str] = field(default_factory=dict)  # curp, ine, mx_passport, us_passport, dl
    dl_state: str | None = None
    phones: list[str] = field(default_factory=list)
    email: str | None = None
    alias: str | None = None
    vehicles: list[TrueVehicle] = field(default_factory=list)
    relatives: list[tuple[str, str]] = field(default_factory=list)  # (person_id, relationship)
    organisation_id: str | None = None
    cell_id: str | None = None
    role: str = "none"
    hispanic: bool = True

    @property
    def gender(self) -> str:
        return "male" if self.sex == "H" else "female"


class NamePools:
    """Weighted name pools drawn once per run from Faker's es_MX and en_US providers."""

    def __init__(self, faker_us, faker_mx) -> None:  # noqa: ANN001 - Faker instances
        mx = faker_mx.provider("faker.providers.person")
        us = faker_us.provider("faker.providers.person")
        surnames = list(COMMON_SURNAMES) + sorted(set(mx.last_names) - set(COMMON_SURNAMES))
        weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(surnames))]
        self.mx_surnames, self.mx_surname_cum = surnames, _cumulative(weights)
        self.mx_given: dict[str, tuple[list[str], list[float]]] = {}
        for sex, names in (("H", mx.first_names_male), ("M", mx.first_names_female)):
            pool = list(FAVOURED_GIVEN[sex]) + sorted(set(names) - set(FAVOURED_GIVEN[sex]))
            w = [6.0] * len(FAVOURED_GIVEN[sex]) + [1.0] * (len(pool) - len(FAVOURED_GIVEN[sex]))
            self.mx_given[sex] = (pool, _cumulative(w))
        self.us_given = {"H": sorted(us.first_names_male), "M": sorted(us.first_names_female)}
        self.us_surnames = sorted(us.last_names)
        self.mx_streets = sorted({faker_mx.street_name() for _ in range(400)})
        self.us_streets = sorted({faker_us.street_name() for _ in range(400)})


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _mx_surname(rng: random.Random, pools: NamePools) -> str:
    if rng.random() < 0.04:
        return rng.choice(PARTICLE_SURNAMES)
    return rng.choices(pools.mx_surnames, cum_weights=pools.mx_surname_cum)[0]


def _mx_given(rng: random.Random, pools: NamePools, sex: str) -> str:
    if rng.random() < 0.3:
        return rng.choice(COMPOUND_GIVEN[sex])
    names, cum = pools.mx_given[sex]
    return rng.choices(names, cum_weights=cum)[0]


def make_address(
    rng: random.Random, pools: NamePools, address_id: str, country: str, state: str
) -> TrueAddress:
    if country == "mx":
        city, prefix = rng.choice(MX_PLACES[state])
        street = f"{rng.choice(pools.mx_streets)} {rng.randint(1, 4999)}"
        postal = prefix + f"{rng.randint(0, 999):03d}"
    else:
        city, prefix = rng.choice(US_PLACES[state])
        street = f"{rng.randint(100, 19999)} {rng.choice(pools.us_streets)}"
        postal = prefix + f"{rng.randint(0, 99):02d}"
    return TrueAddress(address_id, street, city, state, postal, country)


def make_vehicle(rng: random.Random, vehicle_id: str, country: str, state: str) -> TrueVehicle:
    make, model_name, body, wmi = rng.choice(docs.VEHICLE_MODELS)
    year = rng.randint(2004, 2024)
    plate = docs.make_mx_plate(rng, state) if country == "mx" else docs.make_us_plate(rng, state)
    return TrueVehicle(
        vehicle_id, make, model_name, body, year, docs.make_vin(rng, wmi, year), plate, state, country
    )


def _email(rng: random.Random, given: str, paterno: str, country: str) -> str:
    local = strip_accents(f"{given.split()[0]}.{paterno.replace(' ', '')}").lower()
    return f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS[country])}"


def make_person(
    rng: random.Random, pools: NamePools, world: World, n: int, sibling_of: TruePerson | None = None
) -> TruePerson:
    """One true person; a sibling shares both surnames, home and nationality of ``sibling_of``."""
    if sibling_of is not None:
        nationality, home, hispanic = sibling_of.nationality, sibling_of.home, sibling_of.hispanic
        paterno, materno = sibling_of.paterno, sibling_of.materno
        birth = sibling_of.birth + timedelta(days=rng.choice((-1, 1)) * rng.randint(300, 3300))
        birth = min(max(birth, date(1950, 1, 1)), date(2006, 12, 31))
    else:
        nationality = "mx" if rng.random() < 0.64 else "us"
        hispanic = nationality == "mx" or rng.random() < 0.55
        if nationality == "mx":
            state = rng.choices(list(MX_STATE_WEIGHTS), list(MX_STATE_WEIGHTS.values()))[0]
        else:
            state = rng.choices(list(US_STATE_WEIGHTS), list(US_STATE_WEIGHTS.values()))[0]
        home = make_address(rng, pools, f"adr-{n:07d}", nationality, state)
        if hispanic:
            paterno = _mx_surname(rng, pools)
            materno = _mx_surname(rng, pools) if nationality == "mx" or rng.random() < 0.25 else None
        else:
            paterno, materno = rng.choice(pools.us_surnames), None
        birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 20_800))
    sex = "H" if rng.random() < 0.56 else "M"
    if hispanic:
        given = _mx_given(rng, pools, sex)
        if nationality == "us" and rng.random() < 0.4 and " " not in given:
            given = f"{given} {rng.choice(pools.us_given[sex])}"
    else:
        given = f"{rng.choice(pools.us_given[sex])} {rng.choice(pools.us_given[sex])}"
    born_mx = nationality == "mx" or (hispanic and rng.random() < 0.3)
    birth_state = (
        (rng.choice(BIRTH_STATES) if rng.random() < 0.35 else home.state)
        if nationality == "mx"
        else ("Chihuahua" if born_mx else home.state)
    )
    person = TruePerson(
        f"per-{n:07d}", given, paterno, materno, sex, birth, nationality, birth_state, home, hispanic=hispanic
    )
    adult = birth.year <= 2006
    if born_mx:
        curp_state = birth_state if birth_state in docs.CURP_STATES else "Extranjero"
        person.documents["curp"] = docs.make_curp(
            paterno, materno, given, birth, sex, curp_state, docs.curp_differentiator(rng, birth)
        )
    if nationality == "mx":
        if adult and rng.random() < 0.85:
            person.documents["ine"] = docs.make_ine_clave(
                rng, paterno, materno, given, birth, sex, home.state
            )
        if rng.random() < 0.5:
            person.documents["mx_passport"] = docs.make_mx_passport(rng)
        if rng.random() < 0.08:
            person.dl_state = PAIRED_US_STATE[home.state]
    else:
        if rng.random() < 0.55:
            person.documents["us_passport"] = docs.make_us_passport(rng)
        if adult and rng.random() < 0.85:
            person.dl_state = home.state
    if person.dl_state:
        person.documents["dl"] = docs.make_us_driver_licence(rng, person.dl_state)
    person.phones.append(docs.make_phone(rng, home.country, home.state))
    if rng.random() < 0.25:
        other = "us" if home.country == "mx" else "mx"
        other_state = (
            PAIRED_US_STATE.get(home.state, home.state) if other == "us" else rng.choice(list(MX_PLACES))
        )
        person.phones.append(docs.make_phone(rng, other, other_state))
    if rng.random() < 0.55:
        person.email = _email(rng, given, paterno, nationality)
    if rng.random() < 0.4 and adult:
        person.vehicles.append(make_vehicle(rng, f"veh-{n:07d}", home.country, home.state))
    if sibling_of is not None:
        person.relatives.append((sibling_of.person_id, "sibling"))
        sibling_of.relatives.append((person.person_id, "sibling"))
    return person


PEOPLE_HEADER = (
    "person_id",
    "given",
    "paterno",
    "materno",
    "sex",
    "birth_date",
    "nationality",
    "birth_state",
    "home_state",
    "home_country",
    "curp",
    "ine",
    "mx_passport",
    "us_passport",
    "driver_licence",
    "dl_state",
    "phones",
    "email",
)


@register("population")
def generate_population(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    """Create ``size.people`` true people (about a quarter in sibling groups) in ``world.state``."""
    pools = NamePools(faker_us, faker_mx)
    world.state["pools"] = pools
    people: list[TruePerson] = []
    world.state["people"] = people
    for n in range(1, world.size.people + 1):
        sibling_of = people[-1] if people and rng.random() < 0.22 else None
        people.append(make_person(rng, pools, world, n, sibling_of))
        if n % world.size.chunk == 0:
            world.advance(world.size.chunk)
    for p in people:
        d = p.documents
        world.truth(
            "people",
            PEOPLE_HEADER,
            (
                p.person_id,
                p.given,
                p.paterno,
                p.materno,
                p.sex,
                p.birth.isoformat(),
                p.nationality,
                p.birth_state,
                p.home.state,
                p.home.country,
                d.get("curp"),
                d.get("ine"),
                d.get("mx_passport"),
                d.get("us_passport"),
                d.get("dl"),
                p.dl_state,
                ";".join(p.phones),
                p.email,
            ),
        )

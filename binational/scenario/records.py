"""How each agency records a true person, address or vehicle — with the differences real records have.

US agencies drop accents, keep only the paterno (or hyphenate, concatenate, swap the surnames),
move the second given name to middleName and read dd/mm dates as mm/dd; Mexican agencies write the
surnames first; everyone makes typos, spelling variants (Y/I, J/G, Z/S, silent H, V/B, LL/Y),
uses hypocoristics (Pepe for José, Chuy for Jesús ...) or holds a criminal alias. Each record's
variations are written to ``truth/record_variations.csv``; ``truth/persons.csv`` says who it is.
"""

from __future__ import annotations

import random

from binational.scenario.documents import strip_accents
from binational.scenario.gazetteer import US_STATE_CODES
from binational.scenario.people import TrueAddress, TruePerson, TrueVehicle
from binational.scenario.world import AGENCY_BY_CODE, World

NICKNAMES: dict[str, tuple[str, ...]] = {
    "José": ("Pepe", "Chepe"),
    "Jesús": ("Chuy", "Chucho"),
    "Guadalupe": ("Lupe", "Lupita"),
    "Francisco": ("Paco", "Pancho"),
    "Ignacio": ("Nacho",),
    "Guillermo": ("Memo",),
    "Alberto": ("Beto",),
    "Roberto": ("Beto",),
    "Eduardo": ("Lalo",),
    "Enrique": ("Quique",),
    "Salvador": ("Chava",),
    "Vicente": ("Chente",),
    "Manuel": ("Manolo", "Memo"),
    "Alejandro": ("Alex",),
    "Jorge": ("Coque",),
    "Concepción": ("Concha", "Conchita"),
    "Rosario": ("Chayo",),
    "Dolores": ("Lola",),
    "Refugio": ("Cuca",),
    "Margarita": ("Mago",),
    "Consuelo": ("Chelo",),
    "Mercedes": ("Meche",),
    "Graciela": ("Chela",),
}
#: (from, to) spelling variants seen between Spanish-name records
SPELLING_VARIANTS = (
    ("Y", "I"),
    ("I", "Y"),
    ("J", "G"),
    ("G", "J"),
    ("X", "J"),
    ("J", "X"),
    ("Z", "S"),
    ("S", "Z"),
    ("V", "B"),
    ("B", "V"),
    ("LL", "Y"),
    ("Ñ", "N"),
)
_PARTICLES = ("de los ", "de las ", "de la ", "del ", "de ")
POLICE = {"MX-FGR", "MX-SSPC", "MX-SEDENA", "US-DEA", "US-HSI"}
DOC_PREFERENCES: dict[str, tuple[str, ...]] = {
    "MX-SRE": ("mx_passport", "curp"),
    "MX-INM": ("mx_passport", "us_passport", "curp"),
    "MX-FGR": ("ine", "curp", "mx_passport", "dl"),
    "MX-SSPC": ("ine", "curp", "dl"),
    "MX-SEDENA": ("ine", "curp"),
    "MX-ANAM": ("ine", "us_passport", "mx_passport", "dl"),
    "US-CBP": ("mx_passport", "us_passport", "dl", "curp"),
    "US-ICE": ("mx_passport", "curp", "dl"),
    "US-ATF": ("dl", "us_passport"),
    "US-HSI": ("dl", "us_passport", "mx_passport", "curp"),
    "US-DEA": ("dl", "mx_passport", "curp", "ine"),
}
_DOC_PROPERTY = {
    "curp": "idNumber",
    "ine": "idNumber",
    "mx_passport": "passportNumber",
    "us_passport": "passportNumber",
    "dl": "licenseNumber",
}
PERSONS_HEADER = ("agency", "record_id", "person_id", "organisation_id", "role")
VARIATIONS_HEADER = ("agency", "record_id", "person_id", "variations")
OBJECTS_HEADER = ("agency", "record_id", "schema", "truth_id")


def split_given(given: str) -> list[str]:
    """'María del Carmen' -> ['María', 'del Carmen']; 'José Luis' -> ['José', 'Luis']."""
    parts: list[str] = []
    pending = ""
    for word in given.split():
        if word.lower() in ("de", "del", "la", "los", "las"):
            pending += word + " "
        else:
            parts.append(pending + word)
            pending = ""
    return parts


def typo(rng: random.Random, word: str) -> str:
    """One character edit: substitute, delete, transpose or double."""
    if len(word) < 4:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.randint(0, 3)
    if kind == 0:
        return word[:i] + rng.choice("aeiournslt") + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def spelling_variant(rng: random.Random, word: str) -> str:
    """One Spanish spelling variant: Y/I, J/G, X/J, Z/S, V/B, LL/Y, Ñ/N or a silent H dropped."""
    options: list[tuple[str, str, str]] = []
    for a, b in SPELLING_VARIANTS:
        if a in word.upper():
            options.append((a, b, word))
        elif a in strip_accents(word).upper():
            options.append((a, b, strip_accents(word)))
    if word[:1].upper() == "H":
        options.append(("H", "", word))
    if not options:
        return word
    a, b, base = rng.choice(options)
    idx = base.upper().find(a)
    out = base[:idx] + b.lower() + base[idx + len(a) :]
    return out[:1].upper() + out[1:] if out else word


def _drop_particle(surname: str) -> str:
    lower = surname.lower()
    for particle in _PARTICLES:
        if lower.startswith(particle):
            return surname[len(particle) :]
    return surname


def render_person(
    rng: random.Random, agency: str, person: TruePerson
) -> tuple[dict[str, list[str]], list[str]]:
    """The properties of ``agency``'s record of ``person`` and the variations it carries."""
    us = AGENCY_BY_CODE[agency].country == "us"
    foreign = AGENCY_BY_CODE[agency].country != person.nationality
    var: list[str] = []
    given = split_given(person.given)
    first, middle = given[0], " ".join(given[1:])
    if len(given) > 1 and rng.random() < 0.03:
        first, middle = given[1], given[0]
        var.append("given_order")
    if rng.random() < (0.07 if us else 0.09 if agency in POLICE else 0.03):
        target = given[1] if len(given) > 1 and given[0] in ("José", "María") else first
        if target in NICKNAMES:
            first, middle = rng.choice(NICKNAMES[target]), ""
            var.append("nickname")
    if middle:
        r = rng.random()
        if (us and r < 0.12) or (not us and r < 0.03):
            middle = ""
            var.append("second_given_dropped")
        elif not (us and r < 0.57):
            first, middle = f"{first} {middle}", ""
    surnames = [person.paterno] + ([person.materno] if person.materno else [])
    if any(s.lower().startswith(_PARTICLES) for s in surnames) and us and rng.random() < 0.6:
        if rng.random() < 0.65:
            surnames = [_drop_particle(s) for s in surnames]
            var.append("particle_dropped")
        else:
            surnames = [s.replace(" ", "").capitalize() for s in surnames]
            var.append("particle_fused")
    joiner = " "
    if len(surnames) == 2:
        r = rng.random()
        if r < (0.30 if us else 0.04):
            surnames = surnames[:1]
            var.append("materno_dropped")
        elif r < (0.36 if us else 0.07):
            surnames = surnames[::-1]
            var.append("surnames_swapped")
        elif us and r < 0.40:
            surnames = surnames[1:]
            var.append("paterno_dropped")
        elif us and r < 0.50:
            joiner = "-"
            var.append("surnames_hyphenated")
        elif us and r < 0.54:
            joiner = ""
            var.append("surnames_concatenated")
    parts = {"first": first, "middle": middle, "surnames": surnames}
    if rng.random() < (0.06 if us else 0.03):
        key = rng.choice(("first", "surnames"))
        if key == "first":
            parts["first"] = spelling_variant(rng, first)
        else:
            i = rng.randrange(len(surnames))
            surnames[i] = spelling_variant(rng, surnames[i])
        var.append("spelling")
    if rng.random() < (0.045 if us else 0.03):
        i = rng.randrange(len(surnames))
        surnames[i] = typo(rng, surnames[i])
        var.append("typo")
    first, middle = parts["first"], parts["middle"]
    last = joiner.join(surnames)
    if joiner == "":
        last = last.replace(" ", "")
    if (
        rng.random() < (0.92 if us else 0.12)
        and strip_accents(f"{first}{middle}{last}") != f"{first}{middle}{last}"
    ):
        first, middle, last = strip_accents(first), strip_accents(middle), strip_accents(last)
        var.append("accents_dropped")
    upper = rng.random() < (0.6 if us else 0.5 if agency in ("MX-SRE", "MX-INM") else 0.2)
    if upper:
        first, middle, last = first.upper(), middle.upper(), last.upper()
    given_full = f"{first} {middle}".strip()
    r = rng.random()
    if us and r < 0.2:
        name = f"{last}, {given_full}"
    elif not us and r < 0.25:
        name = f"{last} {given_full}"
        var.append("surname_first")
    else:
        name = f"{given_full} {last}"
    props: dict[str, list[str]] = {"name": [name], "firstName": [first], "lastName": [last]}
    if middle:
        props["middleName"] = [middle]
    birth = person.birth
    r = rng.random()
    swap_p = 0.10 if foreign else 0.02
    if r < swap_p and birth.day <= 12 and birth.day != birth.month:
        props["birthDate"] = [f"{birth.year:04d}-{birth.day:02d}-{birth.month:02d}"]
        var.append("dob_swapped")
    elif r > 0.96:
        var.append("dob_missing")
    else:
        props["birthDate"] = [birth.isoformat()]
    if rng.random() < 0.95:
        props["gender"] = [person.gender]
    if rng.random() < 0.9:
        props["nationality"] = [person.nationality]
    if not us and rng.random() < 0.4:
        props["birthPlace"] = [person.birth_state]
    if person.alias and rng.random() < (0.7 if agency in POLICE else 0.1):
        props["weakAlias"] = [strip_accents(person.alias).upper() if us else person.alias]
        var.append("alias")
    phones = [p for i, p in enumerate(person.phones) if rng.random() < (0.7 if i == 0 else 0.45)]
    if phones:
        props["phone"] = phones
    if person.email and rng.random() < 0.5:
        props["email"] = [person.email]
    return props, var


def choose_documents(rng: random.Random, agency: str, person: TruePerson) -> list[str]:
    held = [kind for kind in DOC_PREFERENCES[agency] if kind in person.documents]
    return [kind for i, kind in enumerate(held) if rng.random() < (0.9 if i == 0 else 0.35)]


def _document_entity(world: World, agency: str, kind: str, person: TruePerson, holder: str, policy) -> str:  # noqa: ANN001
    number = person.documents[kind]
    if kind in ("mx_passport", "us_passport"):
        country = kind[:2]
        authority = "Secretaría de Relaciones Exteriores" if country == "mx" else "U.S. Department of State"
        props = {
            "holder": [holder],
            "number": [number],
            "country": [country],
            "type": ["passport"],
            "authority": [authority],
        }
        return world.emit(agency, "Passport", props, policy, "doc")
    label, country, authority = {
        "curp": ("CURP", "mx", "RENAPO"),
        "ine": ("INE credencial para votar", "mx", "Instituto Nacional Electoral"),
    }.get(
        kind,
        (
            f"driver's licence {US_STATE_CODES.get(person.dl_state or '', '')}",
            "us",
            f"{person.dl_state} driver licensing authority",
        ),
    )
    props = {
        "holder": [holder],
        "number": [number],
        "country": [country],
        "type": [label],
        "authority": [authority],
    }
    return world.emit(agency, "Identification", props, policy, "doc")


def address_record(world: World, rng: random.Random, agency: str, address: TrueAddress) -> str:
    key = (agency, address.address_id)
    found = world.records.get(key)
    if found:
        return found
    us = AGENCY_BY_CODE[agency].country == "us"
    fix = strip_accents if us else str
    props = {
        "full": [fix(address.full())],
        "street": [fix(address.street)],
        "city": [fix(address.city)],
        "state": [fix(address.state)],
        "postalCode": [address.postal_code],
        "country": [address.country],
    }
    record_id = world.emit(agency, "Address", props, world.draw_policy(rng, agency), "adr")
    world.records[key] = record_id
    world.truth("objects", OBJECTS_HEADER, (agency, record_id, "Address", address.address_id))
    return record_id


def vehicle_record(world: World, rng: random.Random, agency: str, vehicle: TrueVehicle) -> str:
    """The agency's Vehicle; ``registrationNumber`` holds the plate and the VIN (FtM has no VIN property)."""
    key = (agency, vehicle.vehicle_id)
    found = world.records.get(key)
    if found:
        return found
    props = {
        "name": [f"{vehicle.year} {vehicle.make} {vehicle.model}"],
        "model": [vehicle.model],
        "type": [vehicle.body],
        "buildDate": [str(vehicle.year)],
        "country": [vehicle.country],
        "registrationNumber": [vehicle.plate, vehicle.vin] if rng.random() < 0.8 else [vehicle.plate],
    }
    record_id = world.emit(agency, "Vehicle", props, world.draw_policy(rng, agency), "veh")
    world.records[key] = record_id
    world.truth("objects", OBJECTS_HEADER, (agency, record_id, "Vehicle", vehicle.vehicle_id))
    return record_id


def person_record(world: World, rng: random.Random, agency: str, person: TruePerson) -> str:
    """The one record ``agency`` keeps of ``person``, created (with its documents) on first use."""
    key = (agency, person.person_id)
    found = world.records.get(key)
    if found:
        return found
    props, variations = render_person(rng, agency, person)
    policy = world.draw_policy(rng, agency)
    if rng.random() < 0.6:
        address = person.home
        stash = world.state.get("stash_houses", {}).get(person.cell_id or "")
        if stash is not None and agency in POLICE and rng.random() < 0.4:
            address = stash
        props["addressEntity"] = [address_record(world, rng, agency, address)]
        props["country"] = [address.country]
    kinds = choose_documents(rng, agency, person)
    for kind in kinds:
        props.setdefault(_DOC_PROPERTY[kind], []).append(person.documents[kind])
    record_id = world.emit(agency, "Person", props, policy, "per")
    world.records[key] = record_id
    for kind in kinds:
        if rng.random() < 0.5:
            _document_entity(world, agency, kind, person, record_id, policy)
    if (
        person.vehicles
        and agency in ("US-CBP", "MX-ANAM", "US-HSI", "MX-SSPC", "MX-FGR")
        and rng.random() < 0.5
    ):
        vehicle_id = vehicle_record(world, rng, agency, person.vehicles[0])
        world.emit(
            agency,
            "Ownership",
            {"owner": [record_id], "asset": [vehicle_id], "role": ["registered owner"]},
            policy,
            "lnk",
        )
    world.truth(
        "persons", PERSONS_HEADER, (agency, record_id, person.person_id, person.organisation_id, person.role)
    )
    world.truth(
        "record_variations", VARIATIONS_HEADER, (agency, record_id, person.person_id, ";".join(variations))
    )
    return record_id

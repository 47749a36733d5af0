"""Routine encounters: the records agencies hold on people because of what they do, not who they are.

Crossings at ports of entry (US-CBP), passports (MX-SRE), migration checks (MX-INM), removals
(US-ICE), customs declarations (MX-ANAM), firearm purchases (US-ATF) and police files; members of
organisations are also more likely to be on the investigators' files. Every person ends up with at
least one record; records already made by earlier generators are reused, never duplicated.
"""

from __future__ import annotations

import random

from binational.scenario.people import TruePerson
from binational.scenario.records import person_record
from binational.scenario.registry import register
from binational.scenario.world import World

#: (agency, probability) by nationality for people outside any organisation
PUBLIC: dict[str, tuple[tuple[str, float], ...]] = {
    "mx": (
        ("US-CBP", 0.45),
        ("MX-INM", 0.2),
        ("US-ICE", 0.08),
        ("MX-ANAM", 0.1),
        ("MX-SSPC", 0.04),
        ("MX-FGR", 0.03),
        ("US-HSI", 0.02),
        ("MX-SEDENA", 0.01),
    ),
    "us": (
        ("US-CBP", 0.55),
        ("MX-INM", 0.3),
        ("MX-ANAM", 0.1),
        ("US-ATF", 0.06),
        ("US-HSI", 0.03),
        ("US-DEA", 0.01),
    ),
}
#: extra (agency, probability) by role in an organisation
BY_ROLE: dict[str, tuple[tuple[str, float], ...]] = {
    "leader": (("MX-FGR", 1.0), ("MX-SSPC", 0.7), ("US-DEA", 0.6), ("US-HSI", 0.5), ("MX-SEDENA", 0.4)),
    "member": (("MX-FGR", 0.6), ("MX-SSPC", 0.5), ("US-CBP", 0.3)),
    "courier": (("US-CBP", 0.9), ("MX-ANAM", 0.4), ("US-HSI", 0.3)),
    "broker": (("US-HSI", 0.7), ("MX-FGR", 0.6), ("US-ICE", 0.2)),
    "straw_purchaser": (("US-ATF", 1.0), ("US-HSI", 0.4), ("US-CBP", 0.3)),
}


def agencies_for(rng: random.Random, person: TruePerson) -> list[str]:
    chosen = [
        agency for agency, p in PUBLIC[person.nationality] + BY_ROLE.get(person.role, ()) if rng.random() < p
    ]
    if "mx_passport" in person.documents and rng.random() < 0.8:
        chosen.append("MX-SRE")
    if not chosen:
        chosen.append(
            rng.choice(("US-CBP", "MX-INM", "MX-SRE") if person.nationality == "mx" else ("US-CBP",))
        )
    return list(dict.fromkeys(chosen))


@register("encounters")
def generate_encounters(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    people: list[TruePerson] = world.state["people"]
    for n, person in enumerate(people, start=1):
        for agency in agencies_for(rng, person):
            person_record(world, rng, agency, person)
        if n % world.size.chunk == 0:
            world.advance(world.size.chunk)

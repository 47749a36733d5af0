"""A small synthetic world loaded into the test database, its agencies folded onto the test cast's."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from binational.access import service as access
from binational.db import Database, act_as
from binational.entities.transfer import ImportPolicy, import_lines
from binational.scenario import generate

#: world agency -> test agency (the cast has US-CBP, US-ATF, MX-FGR, MX-INM)
FOLD = {"US-CBP": "US-CBP", "US-ICE": "US-CBP", "US-HSI": "US-CBP", "US-ATF": "US-ATF", "US-DEA": "US-ATF",
        "MX-FGR": "MX-FGR", "MX-SSPC": "MX-FGR", "MX-SEDENA": "MX-FGR", "MX-INM": "MX-INM", "MX-SRE": "MX-INM",
        "MX-ANAM": "MX-INM"}
#: who sees what: CBP and FGR release to each other; ATF and INM keep theirs to themselves
POLICY = {"US-CBP": ImportPolicy("release", "TLP:GREEN", ("MX-FGR",)),
          "MX-FGR": ImportPolicy("release", "TLP:GREEN", ("US-CBP",)),
          "US-ATF": ImportPolicy("agency", "TLP:GREEN"), "MX-INM": ImportPolicy("agency", "TLP:GREEN")}
USERS = {"US-CBP": "us_analyst", "US-ATF": "us_atf", "MX-FGR": "mx_analyst", "MX-INM": "mx_inm"}
PEOPLE = 40


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world of seed 7 (generated once per test session)."""
    out = tmp_path_factory.mktemp("world")
    generate(7, "small", out)
    return out


@pytest.fixture(scope="session")
def world_lines(small_world: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Person records of the first PEOPLE true people that several agencies hold (with their
    addresses), as JSON lines per test agency; and record id (as imported) -> true person."""
    truth = list(csv.DictReader((small_world / "truth/persons.csv").open()))
    counts: dict[str, int] = defaultdict(int)
    for row in truth:
        counts[row["person_id"]] += 1
    chosen = sorted(p for p, n in counts.items() if n >= 2)[:PEOPLE]
    wanted = {r["record_id"]: r["person_id"] for r in truth if r["person_id"] in chosen}
    lines: dict[str, list[str]] = defaultdict(list)
    person_of: dict[str, str] = {}
    for path in sorted((small_world / "entities").glob("*.jsonl")):
        agency = FOLD[path.stem]
        entities = [json.loads(line) for line in path.read_text().splitlines()]
        addresses = {e["id"]: e for e in entities if e["schema"] == "Address"}
        for entity in entities:
            if entity["id"] not in wanted:
                continue
            entity.pop("binational", None)
            refs = [a for a in entity["properties"].get("addressEntity", []) if a in addresses]
            entity["properties"]["addressEntity"] = refs
            for ref in refs:
                address = dict(addresses[ref])
                address.pop("binational", None)
                lines[agency].append(json.dumps(address))
            lines[agency].append(json.dumps(entity))
            person_of[f"{agency.lower()}.{entity['id']}"] = wanted[entity["id"]]
    deduped = {a: list(dict.fromkeys(v)) for a, v in lines.items()}
    return deduped, person_of


@pytest.fixture
def loaded(db: Database, world_lines: tuple[dict[str, list[str]], dict[str, str]]) -> dict[str, str]:
    """The folded world imported into the test database, each agency's file by one of its users."""
    lines, person_of = world_lines
    for agency, rows in lines.items():
        with db.unit_of_work() as s:
            user = access.get_user(session=s, username=USERS[agency])
            actor = access.actor_for(session=s, user=user)
            act_as(s, actor)
            import_lines(session=s, actor=actor, lines=rows, source=f"{agency}.jsonl", default=POLICY[agency])
    return person_of

"""The synthetic binational world: deterministic, valid FtM, valid identifiers, complete truth."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from followthemoney import model
from typer.testing import CliRunner

from binational.scenario import documents as docs
from binational.scenario import generate
from binational.scenario.cli import app
from binational.scenario.records import NICKNAMES
from binational.scenario.registry import derived_seed, register
from binational.scenario.world import AGENCY_BY_CODE, EXTRA_SCHEMATA, MARKINGS

REQUIRED_AGENCIES = {
    "US-CBP",
    "US-HSI",
    "US-ATF",
    "US-ICE",
    "MX-FGR",
    "MX-SSPC",
    "MX-INM",
    "MX-ANAM",
    "MX-SRE",
}
CURP_SHAPE = re.compile(r"^[A-Z]{4}\d{6}[HM][A-Z]{5}[0-9A-Z]\d$")


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _entities(root: Path) -> dict[str, list[dict]]:
    return {
        p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
        for p in sorted((root / "entities").glob("*.jsonl"))
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "seed7"
    started = time.perf_counter()
    generate(7, "small", out)
    out.joinpath(".elapsed").write_text(f"{time.perf_counter() - started}")
    return out


def test_same_seed_gives_byte_identical_output_and_another_seed_differs(world: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    generate(7, "small", again)
    generate(8, "small", other)
    first = {k: v for k, v in _hashes(world).items() if k != ".elapsed"}
    assert first == _hashes(again)
    assert first["entities/US-CBP.jsonl"] != _hashes(other)["entities/US-CBP.jsonl"]
    assert first["truth/people.csv"] != _hashes(other)["truth/people.csv"]


def test_small_generates_in_seconds(world: Path) -> None:
    assert float(world.joinpath(".elapsed").read_text()) < 10


def test_directory_files_have_the_agreed_headers(world: Path) -> None:
    agencies = _csv(world / "agencies.csv")
    assert list(agencies[0]) == ["code", "country", "name"]
    assert {a["code"] for a in agencies} >= REQUIRED_AGENCIES
    users = _csv(world / "users.csv")
    assert list(users[0]) == ["username", "agency", "roles", "clearance", "password"]
    by_name = {u["username"]: u for u in users}
    assert by_name["admin"]["roles"] == "admin"
    for agency in agencies:
        short = agency["code"].split("-")[1].lower()
        for role in ("analyst", "supervisor", "liaison", "auditor"):
            user = by_name[f"{short}_{role}"]
            assert user["agency"] == agency["code"] and role in user["roles"].split(";")
            assert user["clearance"] in MARKINGS and user["password"] == f"demo-{short}_{role}"
    assert (
        by_name["fgr_analyst"]["clearance"] == "TLP:AMBER"
        and by_name["cbp_supervisor"]["clearance"] == "TLP:RED"
    )
    assert list(_csv(world / "truth" / "persons.csv")[0]) == [
        "agency",
        "record_id",
        "person_id",
        "organisation_id",
        "role",
    ]
    assert list(_csv(world / "truth" / "organisations.csv")[0]) == ["organisation_id", "name", "cells"]
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["size"] == "small"
    assert manifest["generators"][:2] == ["population", "organisations"]
    assert manifest["files"]["entities/US-CBP.jsonl"] == len(
        (world / "entities" / "US-CBP.jsonl").read_text().splitlines()
    )


def test_every_entity_line_is_valid_followthemoney_with_its_policy(world: Path) -> None:
    for agency, lines in _entities(world).items():
        home = AGENCY_BY_CODE[agency].country
        ids = [e["id"] for e in lines]
        assert len(ids) == len(set(ids)), agency
        known = set(ids)
        for entity in lines:
            policy = entity["binational"]
            assert policy["marking"] in MARKINGS
            assert policy["distribution"] in ("agency", "national", "release")
            assert bool(policy["release_to"]) == (policy["distribution"] == "release")
            assert all(AGENCY_BY_CODE[p].country != home for p in policy["release_to"])
            props = entity["properties"]
            assert props and all(isinstance(v, list) and v for v in props.values())
            if entity["schema"] in EXTRA_SCHEMATA:
                assert set(props) <= set(EXTRA_SCHEMATA[entity["schema"]]), entity
                refs = [v for p in ("involved", "organizer") for v in props.get(p, [])]
            else:
                proxy = model.get_proxy(
                    {"id": entity["id"], "schema": entity["schema"], "properties": props}, cleaned=False
                )
                refs = []
                for prop_name, values in props.items():
                    prop = proxy.schema.get(prop_name)
                    assert prop is not None, (entity["schema"], prop_name)
                    for value in values:
                        cleaned = prop.type.clean(value, proxy=proxy)
                        assert cleaned is not None, (entity["schema"], prop_name, value)
                        if prop.type.name == "date":
                            assert re.match(r"^\d{4}(-\d{2}-\d{2})?$", value)
                        if prop.type.name == "entity":
                            refs.append(value)
            assert all(ref in known for ref in refs), (agency, entity["id"])


def test_every_curp_and_vin_has_a_valid_check_digit(world: Path) -> None:
    stdnum_curp = pytest.importorskip("stdnum.mx.curp")
    curps = {row["curp"] for row in _csv(world / "truth" / "people.csv") if row["curp"]}
    vins: set[str] = set()
    for lines in _entities(world).values():
        for entity in lines:
            props = entity["properties"]
            curps.update(v for v in props.get("idNumber", []) if CURP_SHAPE.match(v))
            if entity["schema"] == "Identification" and props["type"] == ["CURP"]:
                curps.update(props["number"])
            if entity["schema"] == "Vehicle":
                vins.update(v for v in props.get("registrationNumber", []) if len(v) == 17)
    assert len(curps) > 100 and len(vins) > 20
    for curp in curps:
        assert docs.is_valid_curp(curp), curp
        assert stdnum_curp.is_valid(curp), curp
    for vin in vins:
        assert docs.is_valid_vin(vin), vin


def test_identifier_formats() -> None:
    assert docs.curp_check_digit("HEGL850307HCHRRS2") == "7"
    assert docs.is_valid_vin("1M8GDM9AXKP042788") and not docs.is_valid_vin("1M8GDM9A1KP042788")
    assert docs.vin_check_digit("11111111111111111") == "1"
    import random

    rng = random.Random(1)
    for _ in range(200):
        assert re.match(r"^[GN]\d{8}$", docs.make_mx_passport(rng))
        assert re.match(r"^\d{9}$", docs.make_us_passport(rng))
        assert re.match(r"^\d{8}$", docs.make_us_driver_licence(rng, "Texas"))
        assert re.match(r"^[A-Z]\d{7}$", docs.make_us_driver_licence(rng, "California"))
        assert re.match(r"^[A-Z]\d{8}$", docs.make_us_driver_licence(rng, "Arizona"))
        assert re.match(r"^\d{9}$", docs.make_us_driver_licence(rng, "New Mexico"))
        assert re.match(r"^[A-Z]{3}-\d{3}-[A-Z]$", docs.make_mx_plate(rng, "Tamaulipas"))
        assert re.match(r"^[A-Z]{3}\d{4}$", docs.make_us_plate(rng, "Texas"))
        assert docs.PHONE_RE.match(docs.make_phone(rng, "mx", "Nuevo León"))
        assert docs.make_phone(rng, "us", "Texas")[2:5] in docs.US_AREA_CODES["Texas"]
        vin = docs.make_vin(rng, "3GC", rng.randint(2000, 2025))
        assert docs.is_valid_vin(vin) and not set("IOQ") & set(vin)
    birth = date(1985, 3, 7)
    curp = docs.make_curp("de la Cruz", "Muñoz", "María Guadalupe", birth, "M", "Chihuahua", "0")
    assert curp.startswith("CUMG850307MCH") and docs.is_valid_curp(curp)
    assert docs.make_curp("Loco", "Cruz", "Ana", birth, "M", "Sonora", "0")[:4] == "LXCA"


def test_truth_covers_every_person_record(world: Path) -> None:
    people = {row["person_id"]: row for row in _csv(world / "truth" / "people.csv")}
    organisations = {row["organisation_id"] for row in _csv(world / "truth" / "organisations.csv")}
    truth = {(r["agency"], r["record_id"]): r for r in _csv(world / "truth" / "persons.csv")}
    records = {
        (agency, e["id"])
        for agency, lines in _entities(world).items()
        for e in lines
        if e["schema"] == "Person"
    }
    assert records == set(truth)
    assert len(people) == 300
    for row in truth.values():
        assert row["person_id"] in people
        assert row["role"] in ("leader", "broker", "courier", "straw_purchaser", "member", "none")
        assert (row["organisation_id"] in organisations) == (row["role"] != "none")
    assert {r["role"] for r in truth.values()} == {
        "leader",
        "broker",
        "courier",
        "straw_purchaser",
        "member",
        "none",
    }


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").upper()


def test_records_of_one_person_differ_in_realistic_ways(world: Path) -> None:
    people = {row["person_id"]: row for row in _csv(world / "truth" / "people.csv")}
    entities = {(a, e["id"]): e for a, lines in _entities(world).items() for e in lines}
    variations = {
        (r["agency"], r["record_id"]): r["variations"].split(";")
        for r in _csv(world / "truth" / "record_variations.csv")
    }
    names_by_person: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for key, labels in variations.items():
        person, props = people[_person_of(world, key)], entities[key]["properties"]
        names_by_person[person["person_id"]].add(props["name"][0])
        seen.update(labels)
        if "dob_swapped" in labels:
            y, m, d = person["birth_date"].split("-")
            assert props["birthDate"] == [f"{y}-{d}-{m}"] and d != m
        if "dob_missing" in labels:
            assert "birthDate" not in props
        if "accents_dropped" in labels:
            assert props["name"][0] == _plain(props["name"][0]) or props["name"][0].isascii()
        if "materno_dropped" in labels:
            assert _plain(person["materno"]) not in _plain(props["lastName"][0])
        if "nickname" in labels:
            nicks = {_plain(n) for values in NICKNAMES.values() for n in values}
            assert _plain(props["firstName"][0]) in nicks
        if "alias" in labels:
            assert props["weakAlias"]
    assert {
        "accents_dropped",
        "materno_dropped",
        "surnames_swapped",
        "nickname",
        "dob_swapped",
        "typo",
        "spelling",
        "alias",
        "second_given_dropped",
        "surname_first",
    } <= seen
    multi = [names for names in names_by_person.values() if len(names) > 1 or False]
    recorded_twice = {p for p, n in _count_records(world).items() if n > 1}
    assert len(recorded_twice) > 50
    assert len(multi) / len(recorded_twice) > 0.6  # most people recorded twice are written differently


_PERSON_OF: dict[tuple[str, str], str] = {}


def _person_of(world: Path, key: tuple[str, str]) -> str:
    if not _PERSON_OF:
        _PERSON_OF.update(
            {(r["agency"], r["record_id"]): r["person_id"] for r in _csv(world / "truth" / "persons.csv")}
        )
    return _PERSON_OF[key]


def _count_records(world: Path) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in _csv(world / "truth" / "persons.csv"):
        counts[row["person_id"]] += 1
    return counts


def test_registry_keeps_names_unique_and_seeds_stable() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register("population")(lambda *args: None)
    assert derived_seed(7, "population") == derived_seed(7, "population") != derived_seed(8, "population")


def test_cli_generates_and_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--seed", "3", "--size", "huge", "--out", str(tmp_path / "a")])
    assert result.exit_code == 2 and not (tmp_path / "a").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = runner.invoke(app, ["generate", "--size", "small", "--out", str(tmp_path / "full")])
    assert result.exit_code == 2 and sorted(p.name for p in (tmp_path / "full").iterdir()) == ["x"]
    result = runner.invoke(app, ["generate", "--seed", "3", "--size", "small", "--out", str(tmp_path / "ok")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ok" / "manifest.json").exists()


def test_cli_crossborder_writes_linked_records_and_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["crossborder", "--people", "0", "--out", str(tmp_path / "none")])
    assert result.exit_code == 2 and not (tmp_path / "none").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = runner.invoke(app, ["crossborder", "--out", str(tmp_path / "full")])
    assert result.exit_code == 2 and sorted(p.name for p in (tmp_path / "full").iterdir()) == ["x"]
    result = runner.invoke(app, ["crossborder", "--people", "40", "--out", str(tmp_path / "ok")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == ["mx.jsonl", "truth.csv", "us.jsonl"]
    for side in ("mx", "us"):  # valid FollowTheMoney: FtM's own cleaning keeps every value
        for line in (tmp_path / "ok" / f"{side}.jsonl").read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            proxy = model.get_proxy(data, cleaned=False)
            assert proxy.schema.name == "Person"
            assert {k: len(proxy.get(k)) for k in data["properties"]} == {
                k: len(v) for k, v in data["properties"].items()}

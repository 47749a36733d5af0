"""The shared World of the scenario: agencies, users, the records each agency holds, the truth.

Entities stream straight to ``out/entities/<AGENCY>.jsonl`` as generators emit them, and truth
rows to ``out/truth/<table>.csv``; nothing is held back except the small indexes generators need
(the true people, and which record each agency keeps for a true object).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from followthemoney import model

from binational.scenario.documents import PHONE_RE
from binational.scenario.sizes import Size


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    country: str
    name: str
    #: partner agencies of the other country this agency releases records to
    partners: tuple[str, ...]


AGENCIES: tuple[Agency, ...] = (
    Agency("US-CBP", "us", "U.S. Customs and Border Protection", ("MX-FGR", "MX-ANAM", "MX-INM")),
    Agency("US-HSI", "us", "Homeland Security Investigations", ("MX-FGR", "MX-SSPC", "MX-ANAM")),
    Agency(
        "US-ATF",
        "us",
        "Bureau of Alcohol, Tobacco, Firearms and Explosives",
        ("MX-FGR", "MX-SEDENA", "MX-SSPC"),
    ),
    Agency("US-ICE", "us", "U.S. Immigration and Customs Enforcement", ("MX-INM", "MX-SRE")),
    Agency("US-DEA", "us", "Drug Enforcement Administration", ("MX-FGR", "MX-SEDENA", "MX-SSPC")),
    Agency("MX-FGR", "mx", "Fiscalía General de la República", ("US-ATF", "US-HSI", "US-DEA")),
    Agency("MX-SSPC", "mx", "Secretaría de Seguridad y Protección Ciudadana", ("US-HSI", "US-DEA", "US-CBP")),
    Agency("MX-INM", "mx", "Instituto Nacional de Migración", ("US-CBP", "US-ICE")),
    Agency("MX-ANAM", "mx", "Agencia Nacional de Aduanas de México", ("US-CBP", "US-HSI")),
    Agency("MX-SRE", "mx", "Secretaría de Relaciones Exteriores", ("US-ICE", "US-CBP")),
    Agency("MX-SEDENA", "mx", "Secretaría de la Defensa Nacional", ("US-ATF", "US-DEA")),
)
AGENCY_BY_CODE = {a.code: a for a in AGENCIES}

MARKINGS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
_MARKING_WEIGHTS = (4, 36, 42, 11, 7)
_DISTRIBUTIONS = ("agency", "national", "release")
_DISTRIBUTION_WEIGHTS = (40, 35, 25)
#: clearance (highest TLP marking) per role; `admin` administers users and sees no data by clearance.
ROLE_CLEARANCE = {
    "analyst": "TLP:AMBER",
    "supervisor": "TLP:RED",
    "liaison": "TLP:AMBER+STRICT",
    "auditor": "TLP:GREEN",
}

#: Seizure and Firearm are binational vocabulary schemata, not stock FtM: their allowed properties.
EXTRA_SCHEMATA: dict[str, dict[str, str]] = {
    "Seizure": {
        "name": "string",
        "date": "date",
        "startDate": "date",
        "endDate": "date",
        "location": "string",
        "country": "country",
        "summary": "string",
        "description": "string",
        "involved": "entity",
        "organizer": "entity",
        "quantity": "string",
        "substance": "string",
        "portOfEntry": "string",
    },
    "Firearm": {
        "name": "string",
        "country": "country",
        "description": "string",
        "summary": "string",
        "notes": "string",
        "alias": "string",
        "serialNumber": "identifier",
        "manufacturer": "string",
        "model": "string",
        "caliber": "string",
        "weaponType": "string",
        "countryOfManufacture": "country",
    },
}
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_COUNTRY_RE = re.compile(r"^[a-z]{2}$")


def _schema_types(schema: str) -> dict[str, str]:
    if schema in EXTRA_SCHEMATA:
        return EXTRA_SCHEMATA[schema]
    sc = model.get(schema)
    if sc is None or sc.abstract:
        raise ValueError(f"not a concrete FollowTheMoney schema: {schema}")
    return {name: prop.type.name for name, prop in sc.properties.items()}


@dataclass(frozen=True, slots=True)
class Policy:
    """The `binational` block of an entity line."""

    distribution: str
    release_to: tuple[str, ...]
    marking: str

    def as_json(self) -> dict[str, Any]:
        return {
            "distribution": self.distribution,
            "release_to": list(self.release_to),
            "marking": self.marking,
        }


@dataclass
class World:
    """Everything generators share. Create with ``World.open(out, seed, size)``, finish with ``close()``."""

    out: Path
    seed: int
    size: Size
    progress: Callable[[int, int], None] | None = None
    agencies: tuple[Agency, ...] = AGENCIES
    users: list[dict[str, str]] = field(default_factory=list)
    #: generator-owned state (true people, organisations ...), keyed by a name the generator picks
    state: dict[str, Any] = field(default_factory=dict)
    #: (agency, truth id) -> record id, so one agency keeps one record per true object
    records: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    work_total: int = 0
    work_done: int = 0
    _files: dict[str, IO[str]] = field(default_factory=dict)
    _truth: dict[str, Any] = field(default_factory=dict)
    _ids: dict[str, set[str]] = field(default_factory=dict)
    _counters: dict[tuple[str, str], int] = field(default_factory=dict)
    _types: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def open(
        cls, out: Path, seed: int, size: Size, progress: Callable[[int, int], None] | None = None
    ) -> World:
        (out / "entities").mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(parents=True, exist_ok=True)
        world = cls(out=out, seed=seed, size=size, progress=progress)
        for agency in world.agencies:
            world._files[agency.code] = (out / "entities" / f"{agency.code}.jsonl").open(
                "w", encoding="utf-8", newline="\n"
            )
            world._ids[agency.code] = set()
        world.work_total = size.people * 2 + size.organisations
        return world

    # --- policy and ids -----------------------------------------------------------------------

    def draw_policy(self, rng: random.Random, agency: str) -> Policy:
        distribution = rng.choices(_DISTRIBUTIONS, _DISTRIBUTION_WEIGHTS)[0]
        release_to: tuple[str, ...] = ()
        if distribution == "release":
            partners = AGENCY_BY_CODE[agency].partners
            release_to = tuple(sorted(rng.sample(partners, rng.randint(1, min(2, len(partners))))))
        return Policy(distribution, release_to, rng.choices(MARKINGS, _MARKING_WEIGHTS)[0])

    def new_id(self, agency: str, prefix: str) -> str:
        key = (agency, prefix)
        n = self._counters.get(key, 0) + 1
        self._counters[key] = n
        return f"{agency.split('-', 1)[1].lower()}-{prefix}-{n:07d}"

    # --- writing ------------------------------------------------------------------------------

    def emit(
        self,
        agency: str,
        schema: str,
        properties: dict[str, list[str]],
        policy: Policy,
        prefix: str,
        entity_id: str | None = None,
    ) -> str:
        """Validate and write one entity to the agency's file; returns its id."""
        entity_id = entity_id or self.new_id(agency, prefix)
        ids = self._ids[agency]
        if entity_id in ids:
            raise ValueError(f"duplicate id {entity_id} in {agency}")
        types = self._types.get(schema) or self._types.setdefault(schema, _schema_types(schema))
        clean: dict[str, list[str]] = {}
        for prop, values in properties.items():
            values = [v for v in values if v]
            if not values:
                continue
            kind = types.get(prop)
            if kind is None:
                raise ValueError(f"{schema} has no property {prop!r}")
            for value in values:
                if (
                    (kind == "entity" and value not in ids)
                    or (kind == "date" and not _DATE_RE.match(value))
                    or (kind == "country" and not _COUNTRY_RE.match(value))
                    or (kind == "phone" and not PHONE_RE.match(value))
                ):
                    raise ValueError(f"bad {kind} value {value!r} for {schema}.{prop} in {agency}")
            clean[prop] = values
        line = {"id": entity_id, "schema": schema, "properties": clean, "binational": policy.as_json()}
        self._files[agency].write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        ids.add(entity_id)
        self.counts[agency] = self.counts.get(agency, 0) + 1
        self.counts[f"schema:{schema}"] = self.counts.get(f"schema:{schema}", 0) + 1
        return entity_id

    def truth(self, table: str, header: tuple[str, ...], row: tuple[Any, ...]) -> None:
        """Append one row to ``truth/<table>.csv`` (the header is written with the first row)."""
        entry = self._truth.get(table)
        if entry is None:
            handle = (self.out / "truth" / f"{table}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            entry = self._truth[table] = (handle, writer, header)
        if entry[2] != header:
            raise ValueError(f"truth table {table} written with two headers")
        entry[1].writerow(["" if v is None else v for v in row])
        self.counts[f"truth/{table}.csv"] = self.counts.get(f"truth/{table}.csv", 0) + 1

    def advance(self, amount: int = 1) -> None:
        self.work_done = min(self.work_total, self.work_done + amount)
        if self.progress is not None:
            self.progress(self.work_done, self.work_total)

    # --- agencies, users, manifest ----------------------------------------------------------------

    def write_directory(self) -> None:
        with (self.out / "agencies.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("code", "country", "name"))
            for agency in self.agencies:
                writer.writerow((agency.code, agency.country, agency.name))
        self.users = [
            {
                "username": "admin",
                "agency": "",
                "roles": "admin",
                "clearance": "TLP:CLEAR",
                "password": "demo-admin",
            }
        ]
        for agency in self.agencies:
            short = agency.code.split("-", 1)[1].lower()
            for role, clearance in ROLE_CLEARANCE.items():
                username = f"{short}_{role}"
                # demo-only credentials: deterministic, published, never for a real deployment
                self.users.append(
                    {
                        "username": username,
                        "agency": agency.code,
                        "roles": role,
                        "clearance": clearance,
                        "password": f"demo-{username}",
                    }
                )
        with (self.out / "users.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(
                handle, ("username", "agency", "roles", "clearance", "password"), lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(self.users)

    def close(self, generator_names: list[str]) -> dict[str, Any]:
        for handle in self._files.values():
            handle.close()
        for handle, _, _ in self._truth.values():
            handle.close()
        files = {f"entities/{a.code}.jsonl": self.counts.get(a.code, 0) for a in self.agencies}
        files.update({k: v for k, v in sorted(self.counts.items()) if k.startswith(("truth/", "trade/", "flows/"))})
        files["agencies.csv"] = len(self.agencies)
        files["users.csv"] = len(self.users)
        manifest = {
            "seed": self.seed,
            "size": self.size.name,
            "generators": generator_names,
            "files": dict(sorted(files.items())),
            "schemata": {
                k.split(":", 1)[1]: v for k, v in sorted(self.counts.items()) if k.startswith("schema:")
            },
            "people": len(self.state.get("people", [])),
            "organisations": len(self.state.get("organisations", [])),
            "note": "synthetic data; users.csv passwords are demo-only",
        }
        (self.out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return manifest

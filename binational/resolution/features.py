"""From FollowTheMoney entities to the flat, canonical rows Splink compares, one table per kind.

Kinds: person, organisation (Organization, Company, LegalEntity), address, vehicle. Phones are
values, not entities, in FtM: they are resolved by `phone_key` (the same subscriber number written
with or without country code and punctuation) and compared inside the person model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from binational.resolution import curp as curps
from binational.resolution.names import (
    given_names,
    organisation_name,
    plain,
    skeleton,
    split_full_name,
    split_surnames,
)

KIND_OF_SCHEMA = {
    "Person": "person",
    "Organization": "organisation", "Company": "organisation", "LegalEntity": "organisation",
    "Address": "address",
    "Vehicle": "vehicle",
}
KINDS = ("person", "organisation", "address", "vehicle")
#: columns that hold lists of strings (engines need their type even when every value is missing)
LIST_COLUMNS = frozenset({"givens", "surname_keys", "documents", "phones", "addresses", "plates"})
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Record:
    """One agency's entity as resolution reads it."""

    entity_id: str
    schema: str
    agency: str
    properties: dict[str, list[str]] = field(default_factory=dict)

    def first(self, prop: str) -> str:
        values = self.properties.get(prop) or [""]
        return values[0] or ""

    def all(self, prop: str) -> list[str]:
        return [v for v in self.properties.get(prop) or [] if v]


def phone_key(value: str) -> str | None:
    """The last ten digits of a phone number: +52 665 400 8510 and 6654008510 are one phone."""
    digits = re.sub(r"\D", "", value)
    return digits[-10:] if len(digits) >= 7 else None


def identifier(value: str) -> str:
    """A document number as compared: letters and digits, upper case."""
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def iso_date(value: str) -> str | None:
    """The full ISO date of a value, or None for partial or missing dates."""
    match = _DATE_RE.match(value or "")
    return match.group(0) if match else None


def swapped_date(iso: str | None) -> str | None:
    """The date with day and month swapped (dd/mm read as mm/dd), when that is a different date."""
    if not iso:
        return None
    year, month, day = iso.split("-")
    if day == month or int(day) > 12:
        return None
    return f"{year}-{day}-{month}"


def _address_key(rec: Record) -> str | None:
    street = plain(rec.first("street") or rec.first("full").split(",")[0])
    number = " ".join(re.findall(r"\d+", street))
    words = [skeleton(w) for w in street.split() if not w.isdigit()]
    postcode = re.sub(r"\D", "", rec.first("postalCode"))
    if not street and not postcode:
        return None
    return f"{postcode}|{number}|{' '.join(sorted(words))}"


def address_key(rec: Record) -> str | None:
    """The key a person's row lists for an address it names (None: the address has none)."""
    return _address_key(rec)


def possible_address_keys(rec: Record) -> set[str]:
    """Every key `address_key` could give on some subset of the address's values (the first street,
    else the first part of the first full text, with the first postcode or none)."""
    streets = {"", *rec.all("street"), *(v.split(",")[0] for v in rec.all("full"))}
    codes = {"", *rec.all("postalCode")}
    keys = (_address_key(Record(rec.entity_id, rec.schema, rec.agency, {"street": [s], "postalCode": [c]}))
            for s in streets for c in codes)
    return {k for k in keys if k}


def address_row(rec: Record) -> dict[str, Any]:
    """Compared columns of an address."""
    street = plain(rec.first("street") or rec.first("full").split(",")[0])
    numbers = re.findall(r"\d+", street)
    return {
        "street": " ".join(w for w in street.split() if not w.isdigit()) or None,
        "street_number": numbers[0] if numbers else None,
        "postcode": re.sub(r"\D", "", rec.first("postalCode")) or None,
        "city": plain(rec.first("city")) or None,
        "country": rec.first("country").lower() or None,
        "address_key": _address_key(rec),
    }


def vehicle_row(rec: Record) -> dict[str, Any]:
    """Compared columns of a vehicle: VIN and plates are both filed as registration numbers."""
    numbers = [identifier(v) for v in rec.all("registrationNumber")]
    vins = [n for n in numbers if _VIN_RE.match(n)]
    plates = sorted(n for n in numbers if n and n not in vins)
    return {
        "vin": vins[0] if vins else None,
        "plate": plates[0] if plates else None,
        "plates": plates or None,
        "model": plain(rec.first("model")) or None,
        "year": (rec.first("buildDate") or "")[:4] or None,
        "country": rec.first("country").lower() or None,
    }


def organisation_row(rec: Record) -> dict[str, Any]:
    """Compared columns of an organisation or company."""
    name = organisation_name(rec.first("name"))
    return {
        "org_name": name or None,
        "org_key": " ".join(sorted(skeleton(w) for w in name.split())) or None,
        "tax_number": identifier(rec.first("taxNumber") or rec.first("registrationNumber")) or None,
        "country": rec.first("country").lower() or None,
        "founded": iso_date(rec.first("incorporationDate")),
    }


def fields_swapped(first: str, last: str, known_givens: frozenset[str], surname_words: frozenset[str]) -> bool:
    """Whether a record has its surnames in the given-name field and its given name in the surname
    field: every word of the first is a surname elsewhere, the surname field starts with a given name."""
    first_words, last_words = plain(first).split(), plain(last).split()
    if not first_words or not last_words:
        return False
    return last_words[0] in known_givens and all(w in surname_words for w in first_words)


def person_row(rec: Record, addresses: dict[str, str], known_surnames: frozenset[str],
               known_givens: frozenset[str] = frozenset(), surname_words: frozenset[str] = frozenset()
               ) -> dict[str, Any]:
    """Compared columns of a person (see docs/resolution.md for each).

    `known_givens` are words the records use more often as given names than as surnames, and
    `surname_words` the other way round; with them a name in one field is split, and surnames typed
    into the given-name field (and the given name into the surname field) are put right.
    """
    first, middle, last = rec.first("firstName"), rec.first("middleName"), rec.first("lastName")
    if not first and not last:
        first, last = split_full_name(rec.first("name"), known_givens, known_surnames)
    elif fields_swapped(first, last, known_givens, surname_words):
        first, last = last, first
    givens = given_names(first, middle)
    surnames = split_surnames(last, known_surnames)
    paterno = surnames[0] if surnames else None
    materno = surnames[1] if len(surnames) > 1 else None
    ids = [identifier(v) for v in rec.all("idNumber") + rec.all("passportNumber") + rec.all("licenseNumber")]
    curp = next((c for c in (curps.parse(v) for v in ids) if c is not None), None)
    documents = sorted({i for i in ids if i and (curp is None or i != curp.value)})
    passports = [identifier(v) for v in rec.all("passportNumber")]
    phones = sorted({k for k in (phone_key(p) for p in rec.all("phone")) if k})
    dob = iso_date(rec.first("birthDate"))
    place = rec.first("birthPlace")
    address_keys = sorted({addresses[a] for a in rec.all("addressEntity") if a in addresses})
    sex = {"male": "male", "female": "female", "m": "male", "f": "female", "h": "male"}.get(
        rec.first("gender").lower())
    alias = plain(rec.first("weakAlias") or rec.first("alias"))
    return {
        "given1": givens[0] if givens else None,
        "given_key": skeleton(givens[0]) if givens else None,
        "givens": givens or None,
        "paterno": paterno,
        "materno": materno,
        "paterno_key": skeleton(paterno) if paterno else None,
        "materno_key": skeleton(materno) if materno else None,
        "surname_keys": sorted({skeleton(s) for s in surnames}) or None,
        "dob": dob,
        "dob_swapped": swapped_date(dob),
        "birth_year": dob[:4] if dob else None,
        "sex": sex,
        "curp": curp.value if curp else None,
        "curp_pg": (curp.paterno_initial + curp.given_initial) if curp else None,
        "curp_dob": curp.birth_date if curp else None,
        "curp_sex": curp.sex if curp else None,
        "curp_state": curp.state if curp else None,
        "name_pg": curps.name_initials(paterno or "", givens) or None,
        "birth_state": curps.state_code(place) if place else None,
        "passport": passports[0] if passports else None,
        "documents": documents or None,
        "phones": phones or None,
        "phone1": phones[0] if phones else None,
        "addresses": address_keys or None,
        "alias": alias or None,
    }


def rows_by_kind(records: Iterable[Record]) -> dict[str, list[dict[str, Any]]]:
    """The comparison rows of every record, grouped by kind (records of other schemata skipped)."""
    records = list(records)
    addresses = {r.entity_id: key for r in records if r.schema == "Address" and (key := _address_key(r))}
    known: set[str] = set()
    as_given: Counter[str] = Counter()
    as_surname: Counter[str] = Counter()
    for rec in records:
        if rec.schema == "Person":
            words = split_surnames(rec.first("lastName"))
            if len(words) == 2:
                known.update(w.rsplit("_", 1)[-1] for w in words)
            as_given.update(plain(f"{rec.first('firstName')} {rec.first('middleName')}").split())
            as_surname.update(plain(rec.first("lastName")).split())
    known_surnames = frozenset(known)
    known_givens = frozenset(w for w, n in as_given.items() if n > as_surname[w])
    surname_words = frozenset(w for w, n in as_surname.items() if n > as_given[w])
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for rec in records:
        kind = KIND_OF_SCHEMA.get(rec.schema)
        if kind is None:
            continue
        if kind == "person":
            row = person_row(rec, addresses, known_surnames, known_givens, surname_words)
        elif kind == "organisation":
            row = organisation_row(rec)
        elif kind == "address":
            row = address_row(rec)
        else:
            row = vehicle_row(rec)
        row["unique_id"] = rec.entity_id
        row["source_dataset"] = rec.agency
        out[kind].append(row)
    return out


def arrow_table(rows: list[dict[str, Any]]) -> Any:
    """The rows as a pyarrow table with every column typed (string or list of strings): what both
    engines register, so DuckDB and Spark read the same values with the same types."""
    import pyarrow as pa

    columns = sorted({key for row in rows for key in row})
    schema = pa.schema([(c, pa.list_(pa.string()) if c in LIST_COLUMNS else pa.string()) for c in columns])
    return pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows], schema=schema)

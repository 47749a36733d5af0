"""Selectors: the normalised identifying values of entities, indexed for hit/no-hit discovery.

A selector is one identifying value of one statement (a document number, a phone, an e-mail, a
plate or VIN, a firearm serial), or a name paired with a birth date (two statements of a Person).
Values are normalised the same way when they are written and when they are searched, so that
`AB-123 456`, `ab123456` and `AB 123456` are one selector. Each selector row names the statements
it came from, so discovery can tell whether the viewer may see them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from followthemoney.types import registry
from normality import normalize
from rigour.names import remove_person_prefixes, tokenize_name
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from binational.entities.models import Selector, Statement
from binational.errors import InvalidInput
from binational.vocabulary import model

#: selector kinds and what they index
KINDS: dict[str, str] = {
    "document": "passport, CURP, INE, driver's licence and other identity document numbers",
    "phone": "telephone numbers, in E.164 (+country code and number)",
    "email": "e-mail addresses",
    "vehicle": "vehicle plates and VINs",
    "firearm": "firearm serial numbers",
    "name_birth": "a person's name together with the birth date (matched fuzzily)",
}

#: (schema or parent schema, property) -> kind, for single-statement selectors
PROPERTY_KINDS: dict[str, str] = {
    "idNumber": "document",
    "passportNumber": "document",
    "licenseNumber": "document",
    "socialSecurityNumber": "document",
    "Identification:number": "document",
    "Passport:number": "document",
    "Passport:personalNumber": "document",
    "phone": "phone",
    "email": "email",
    "Vehicle:registrationNumber": "vehicle",
    "Firearm:serialNumber": "firearm",
}
NAME_PROPS = ("name", "alias", "previousName")
BIRTH_PROP = "birthDate"
#: words of a name that carry no identity: Spanish and Portuguese particles, conjunctions
PARTICLES = frozenset({"de", "del", "la", "las", "los", "el", "y", "e", "da", "das", "do", "dos", "di", "van",
                       "von", "der", "den", "du", "le", "mc"})
MAX_KEY = 200
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def compact_identifier(value: str) -> str:
    """Upper-case letters and digits only, accents folded: ' ab-12.34 ' -> 'AB1234'."""
    text = normalize(value, lowercase=False, ascii=True) or ""
    return _NOT_ALNUM.sub("", text.upper())[:MAX_KEY]


def phone_key(value: str, country: str | None = None) -> str:
    """E.164 form of a phone number; without a leading + a country (ISO alpha-2) is needed."""
    cleaned = registry.phone.clean(value)
    if cleaned:
        return cleaned
    if country:
        try:
            number = phonenumbers.parse(value, country.upper())
        except phonenumbers.NumberParseException:
            return ""
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ""


def name_tokens(name: str) -> list[str]:
    """The identifying words of a person's name: no accents, particles, titles or order."""
    name = remove_person_prefixes(name)
    words = []
    for token in tokenize_name(name):
        word = normalize(token, lowercase=True, ascii=True) or ""
        word = re.sub(r"[^a-z0-9]", "", word)
        if word and word not in PARTICLES:
            words.append(word)
    return sorted(set(words))


def birth_key(value: str) -> str:
    """A birth date as FtM writes it (YYYY, YYYY-MM or YYYY-MM-DD), or '' if it is not one."""
    cleaned = registry.date.clean(value)
    if not cleaned:
        return ""
    cleaned = cleaned[:10]
    return cleaned if _DATE.match(cleaned) else ""


def name_birth_key(name: str, birth: str) -> tuple[str, str]:
    """A name + birth date selector: (birth date, sorted name words); ('', '') if either is missing.

    The birth date is the exact key (a block); the name words are compared fuzzily within it.
    """
    words, date = name_tokens(name), birth_key(birth)
    if len(words) < 2 or not date:
        return "", ""
    return date, " ".join(words)[:MAX_KEY]


def key_of(kind: str, value: str, *, country: str | None = None) -> str:
    """The normalised key of a single-value selector ('' when nothing identifying is left)."""
    if not isinstance(value, str):
        return ""
    if kind == "phone":
        return phone_key(value, country)
    if kind == "email":
        cleaned = registry.email.clean(value.strip())
        return cleaned.lower()[:MAX_KEY] if cleaned else ""
    if kind in ("document", "vehicle", "firearm"):
        return compact_identifier(value)
    raise InvalidInput(f"unknown selector type {kind!r}", details=[{"field": "type", "allowed": sorted(KINDS)}])


@lru_cache(maxsize=4096)
def kind_of(schema: str, prop: str) -> str | None:
    """The selector kind a property of a schema feeds, if any."""
    found = model.get(schema)
    if found is None:
        return None
    for ancestor in found.schemata:
        kind = PROPERTY_KINDS.get(f"{ancestor.name}:{prop}")
        if kind:
            return kind
    return PROPERTY_KINDS.get(prop) if found.is_a("LegalEntity") else None


@lru_cache(maxsize=256)
def _is_person(schema: str) -> bool:
    found = model.get(schema)
    return found is not None and found.is_a("Person")


@dataclass(frozen=True)
class _Written:
    statement_id: int
    entity_id: str
    schema: str
    prop: str
    value: str
    owner_agency: str


def index_statements(session: Session, rows: Iterable[dict[str, Any]], ids: Iterable[int]) -> int:
    """Write the selectors of newly inserted statements; return how many were written."""
    written = [
        _Written(sid, row["entity_id"], row["schema"], row["prop"], row["value"], row["owner_agency"])
        for sid, row in zip(ids, rows, strict=True)
    ]
    out: list[dict[str, Any]] = []
    for w in written:
        kind = kind_of(w.schema, w.prop)
        if kind is None:
            continue
        key = key_of(kind, w.value)
        if key:
            out.append({"kind": kind, "value": key, "detail": None, "entity_id": w.entity_id,
                        "statement_id": w.statement_id, "statement2_id": None, "owner_agency": w.owner_agency})
    out += _name_birth_rows(session, [w for w in written if _is_person(w.schema)
                                      and (w.prop in NAME_PROPS or w.prop == BIRTH_PROP)])
    if out:
        session.execute(insert(Selector), out)
    return len(out)


def _name_birth_rows(session: Session, new: list[_Written]) -> list[dict[str, Any]]:
    """Pair every live name with every live birth date of the touched persons (new pairs only)."""
    if not new:
        return []
    fresh = {w.statement_id for w in new}
    owners = {w.entity_id: w.owner_agency for w in new}
    live = session.execute(
        select(Statement.id, Statement.entity_id, Statement.prop, Statement.value).where(
            Statement.entity_id.in_(sorted(owners)),
            Statement.prop.in_([*NAME_PROPS, BIRTH_PROP]),
            Statement.deleted_at.is_(None),
        )
    ).all()
    names: dict[str, list[tuple[int, str]]] = {}
    births: dict[str, list[tuple[int, str]]] = {}
    for sid, entity_id, prop, value in live:
        (births if prop == BIRTH_PROP else names).setdefault(entity_id, []).append((sid, value))
    rows = []
    for entity_id, owner in owners.items():
        for name_id, name in names.get(entity_id, []):
            for birth_id, birth in births.get(entity_id, []):
                if name_id not in fresh and birth_id not in fresh:
                    continue  # paired when the later of the two was written
                date, words = name_birth_key(name, birth)
                if date:
                    rows.append({"kind": "name_birth", "value": date, "detail": words, "entity_id": entity_id,
                                 "statement_id": name_id, "statement2_id": birth_id, "owner_agency": owner})
    return rows

"""Importers of the firearms records: US sale records (acquisition and disposition), multiple-sale
reports and firearms recovered in Mexico, each from a CSV file with a header line.

Every line is checked before anything is written: the first bad line is named with its field and
nothing of the file is imported. Unknown makers and calibres are kept as given and flagged.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.markings import rank
from binational.access.policy import Actor, Resource, may_replace_record, replaceable_records, require
from binational.audit import log as audit
from binational.db import utcnow
from binational.entities.service import namespace
from binational.errors import Conflict, InvalidInput
from binational.firearms import markings
from binational.firearms.models import FirearmSale, MultipleSale, Recovery

register(Action("firearms.import", "record.create",
                "import sale records, multiple-sale reports or recovered firearms as one's agency"))

#: US states (and DC) whose two-letter codes a dealer may have
_STATE_CODES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
                "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR")
STATES = frozenset(_STATE_CODES.split())
#: states whose dealers report multiple sales of semi-automatic rifles (ATF demand letter of 2011)
RIFLE_REPORT_STATES = frozenset({"AZ", "CA", "NM", "TX"})
MAX_LINES = 200_000
KINDS = ("sales", "multiple-sales", "recoveries")
Progress = Callable[[int, int], None]
#: a line's parser: the row, its line number and today, to the columns of a record
Parser = Callable[[dict[str, str], int, date], dict[str, Any]]


def _date(value: str, field: str, line: int) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"line {line}: field {field}: {value!r} is not a date (YYYY-MM-DD)",
                           details=[{"line": line, "field": field}]) from None


def _required(row: dict[str, str], line: int, *fields: str) -> None:
    for field in fields:
        if not (row.get(field) or "").strip():
            raise InvalidInput(f"line {line}: field {field} is missing", details=[{"line": line, "field": field}])


def _bad(line: int, field: str, message: str) -> InvalidInput:
    return InvalidInput(f"line {line}: field {field}: {message}", details=[{"line": line, "field": field}])


def _type(row: dict[str, str], line: int) -> str:
    kind = markings.weapon_type(row.get("weapon_type", ""))
    if kind is None:
        raise _bad(line, "weapon_type", f"{row.get('weapon_type')!r} is not a weapon type "
                                        f"({', '.join(markings.TYPES)})")
    return kind


def _serial(value: str, line: int, *, as_read: bool, field: str = "serial") -> str:
    problem = markings.serial_problem(value, as_read=as_read)
    if problem:
        raise _bad(line, field, problem)
    return value.strip()


def _sale(row: dict[str, str], line: int, today: date) -> dict[str, Any]:
    _required(row, line, "record_id", "manufacturer", "dealer", "dealer_state", "purchaser", "sale_date",
              "weapon_type", "serial")
    state = row["dealer_state"].strip().upper()
    if state not in STATES:
        raise _bad(line, "dealer_state", f"{row['dealer_state']!r} is not a US state code")
    sold = _date(row["sale_date"], "sale_date", line)
    if sold > today:
        raise _bad(line, "sale_date", f"{sold.isoformat()} is in the future")
    serial = _serial(row["serial"], line, as_read=False)
    make = row["manufacturer"].strip()
    return {"record_id": row["record_id"].strip(), "manufacturer": make,
            "importer": (row.get("importer") or "").strip(), "wholesaler": (row.get("wholesaler") or "").strip(),
            "dealer": row["dealer"].strip(), "dealer_state": state, "purchaser": row["purchaser"].strip(),
            "purchaser_key": markings.person_key(row["purchaser"]),
            "purchaser_entity_id": (row.get("purchaser_entity_id") or "").strip() or None, "sale_date": sold,
            "model": (row.get("model") or "").strip(), "caliber": (row.get("caliber") or "").strip(),
            "weapon_type": _type(row, line), "serial": serial, "make_key": markings.maker(make)[0],
            "serial_key": markings.serial_key(serial),
            "flags": markings.flags(make, (row.get("caliber") or "").strip())}


def _multiple(row: dict[str, str], line: int, today: date) -> dict[str, Any]:
    _required(row, line, "report_id", "dealer", "dealer_state", "purchaser", "report_date", "weapon_type", "serials")
    state = row["dealer_state"].strip().upper()
    if state not in STATES:
        raise _bad(line, "dealer_state", f"{row['dealer_state']!r} is not a US state code")
    kind = row["weapon_type"].strip().lower()
    if kind not in ("handgun", "rifle"):
        raise _bad(line, "weapon_type", f"{row['weapon_type']!r} is not handgun or rifle")
    if kind == "rifle" and state not in RIFLE_REPORT_STATES:
        raise _bad(line, "dealer_state", f"multiple sales of rifles are reported by dealers of "
                                         f"{', '.join(sorted(RIFLE_REPORT_STATES))} only, not {state}")
    serials = [_serial(s, line, as_read=False, field="serials") for s in row["serials"].split(";") if s.strip()]
    if len(serials) < 2:
        raise _bad(line, "serials", "a multiple sale has two serials or more, separated by ';'")
    reported = _date(row["report_date"], "report_date", line)
    if reported > today:
        raise _bad(line, "report_date", f"{reported.isoformat()} is in the future")
    return {"report_id": row["report_id"].strip(), "form": "3310.4" if kind == "handgun" else "3310.12",
            "dealer": row["dealer"].strip(), "dealer_state": state, "purchaser": row["purchaser"].strip(),
            "purchaser_key": markings.person_key(row["purchaser"]), "report_date": reported,
            "serials": ",".join(markings.serial_key(s) for s in serials)}


def _recovery(row: dict[str, str], line: int, today: date) -> dict[str, Any]:
    _required(row, line, "recovery_id", "place", "state", "recovered_on", "manufacturer", "weapon_type", "serial")
    recovered = _date(row["recovered_on"], "recovered_on", line)
    if recovered > today:
        raise _bad(line, "recovered_on", f"{recovered.isoformat()} is in the future")
    obliterated = (row.get("obliterated") or "no").strip().lower()
    if obliterated not in ("yes", "no", "si", "sí", "true", "false", "1", "0"):
        raise _bad(line, "obliterated", f"{row.get('obliterated')!r} is not yes or no")
    restored = (row.get("restored") or "").strip()
    if restored and not all(p.strip().isdigit() for p in restored.split(";")):
        raise _bad(line, "restored", "restored positions are numbers separated by ';'")
    make = row["manufacturer"].strip()
    return {"recovery_id": row["recovery_id"].strip(), "seizure": (row.get("seizure") or "").strip(),
            "place": row["place"].strip(), "state": row["state"].strip(), "recovered_on": recovered,
            "possessor": (row.get("possessor") or "").strip(), "manufacturer": make,
            "model": (row.get("model") or "").strip(), "caliber": (row.get("caliber") or "").strip(),
            "weapon_type": _type(row, line), "serial": _serial(row["serial"], line, as_read=True),
            "obliterated": obliterated in ("yes", "si", "sí", "true", "1"),
            "restored": restored.replace(";", ","), "flags": markings.flags(make, (row.get("caliber") or "").strip())}


_PARSERS = {"sales": (_sale, FirearmSale, "fs"), "multiple-sales": (_multiple, MultipleSale, "ms"),
            "recoveries": (_recovery, Recovery, "fr")}


def _within_columns(parse: Parser, model: Any) -> Parser:
    """`parse`, refusing a value longer than its column holds (named by its line and field), so a long
    value is bad input on every database instead of a failed insert."""
    sizes = {c.name: c.type.length for c in model.__table__.columns
             if isinstance(c.type, String) and c.type.length is not None}

    def checked(row: dict[str, str], line: int, today: date) -> dict[str, Any]:
        parsed = parse(row, line, today)
        for name, value in parsed.items():
            if isinstance(value, str) and name in sizes and len(value) > sizes[name]:
                raise _bad(line, name if name in row else name.removesuffix("_key"),
                           f"longer than {sizes[name]} characters")
        return parsed

    return checked


def read_csv(text: str, parse: Parser, unique: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Every line of a CSV text with a header, parsed, with its line number; the first bad line raises
    naming it (as does a line repeating the `unique` field's value of an earlier one)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InvalidInput("the file is empty: a header line is expected", details=[{"line": 1}])
    today, rows, lines = utcnow().date(), list[tuple[int, dict[str, Any]]](), dict[str, int]()
    for row in reader:
        if reader.line_num > MAX_LINES:
            raise InvalidInput(f"more than {MAX_LINES} lines", details=[{"line": reader.line_num}])
        if None in row:
            raise InvalidInput(f"line {reader.line_num}: more fields than the header names",
                               details=[{"line": reader.line_num}])
        if not any((v or "").strip() for v in row.values()):
            continue
        parsed = parse({k.strip(): (v or "") for k, v in row.items()}, reader.line_num, today)
        rows.append((reader.line_num, parsed))
        if unique:
            if parsed[unique] in lines:
                raise _bad(reader.line_num, unique, f"{parsed[unique]!r} is on line {lines[parsed[unique]]} already")
            lines[parsed[unique]] = reader.line_num
    return rows


def _replaced(session: Session, actor: Actor, rows: list[tuple[int, dict[str, Any]]], marking_rank: int,
              distribution: str) -> dict[str, str]:
    """The ids of the recoveries a re-import replaces in place, by number: those of the actor's agency
    that it sees (`replaceable_records`). A recovery it may not see is not replaced: the file's one is
    added, as for a new number, so the import says nothing of it. A number two of them carry, or one
    whose recovery the import would mark lower or distribute wider (`may_replace_record`), is the bad
    line, and nothing is imported."""
    numbers = {row["recovery_id"]: line for line, row in rows}
    found: dict[str, list[Any]] = {}
    for start in range(0, len(rows), 1000):
        chunk = [row["recovery_id"] for _, row in rows[start:start + 1000]]
        for held in session.execute(select(
                Recovery.id, Recovery.recovery_id, Recovery.owner_agency, Recovery.owner_country,
                Recovery.distribution, Recovery.marking, Recovery.marking_rank, Recovery.case_id).where(
                Recovery.recovery_id.in_(chunk), replaceable_records(actor, Recovery))):
            found.setdefault(held.recovery_id, []).append(held)
    for number, same in found.items():
        line = numbers[number]
        if len(same) > 1:
            raise _bad(line, "recovery_id", f"several recovered firearms are numbered {number!r}")
        decision = may_replace_record(actor, Resource.of(same[0]), marking_rank=marking_rank,
                                      distribution=distribution)
        if not decision:
            field = "marking" if "marking" in decision.reason else "distribution"
            was = f"marked {same[0].marking}" if field == "marking" else f"distributed {same[0].distribution}"
            raise _bad(line, field, f"{number!r} is {was}: a re-import {decision.reason}")
    return {number: same[0].id for number, same in found.items()}


def import_csv(*, session: Session, actor: Actor, kind: str, text: str, distribution: str = "agency",
               marking: str = "TLP:AMBER", progress: Progress | None = None) -> int:
    """Import one CSV file of `kind` (sales, multiple-sales, recoveries) as the actor's agency; all of
    it or, at the first bad line, nothing. A recovery numbered as one of the agency's the actor may see
    replaces it in place, marked no lower and distributed no wider. Returns the number of records imported."""
    require(actor, "firearms.import")
    if kind not in _PARSERS:
        raise InvalidInput(f"unknown kind {kind!r}", details=[{"field": "kind", "allowed": list(KINDS)}])
    if distribution not in ("agency", "national"):
        raise InvalidInput("records are kept to the agency or shared nationally",
                           details=[{"field": "distribution", "allowed": ["agency", "national"]}])
    marking_rank = rank(marking)
    if marking_rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance", details=[{"field": "marking"}])
    parse, model, prefix = _PARSERS[kind]
    numbered = read_csv(text, _within_columns(parse, model), unique="recovery_id" if kind == "recoveries" else None)
    known = _replaced(session, actor, numbered, marking_rank, distribution) if kind == "recoveries" else {}
    policy = {"owner_agency": actor.agency, "owner_country": actor.country, "distribution": distribution,
              "marking": marking, "marking_rank": marking_rank, "case_id": None}
    base = f"{namespace(actor.agency)}.{prefix}"
    rows = [{**row, **policy, "id": known.get(row.get("recovery_id", "")) or f"{base}{uuid.uuid4().hex}"}
            for _, row in numbered]
    replaced = set(known.values())
    new = [{**row, "created_at": utcnow()} for row in rows if row["id"] not in replaced]
    again = [row for row in rows if row["id"] in replaced]
    try:
        with session.begin_nested():
            for start in range(0, len(rows), 1000):
                if new[start:start + 1000]:
                    session.execute(insert(model), new[start:start + 1000])
                if again[start:start + 1000]:
                    # the same rows updated in place: the traces sent for them keep their link
                    session.execute(update(model), again[start:start + 1000])
                if progress:
                    progress(min(start + 1000, len(rows)), len(rows))
    except IntegrityError:
        # `ux_firearm_recoveries_number`: an import of the same numbers and marking committed since
        # `_replaced` read them (one the importer sees, being of its marking): imported again, it replaces
        raise Conflict("another import wrote recovered firearms of these numbers meanwhile: import the file again",
                       details=[{"field": "recovery_id"}]) from None
    audit.record(session, action="firearms.import", actor=actor, objects=[(row["id"], actor.agency) for row in rows],
                 extra={"kind": kind, "rows": len(rows)})
    return len(rows)

"""The planner on files, for planners who work from spreadsheets: PEOPLE.csv and SLOTS.csv in, PLAN.csv out.

PEOPLE.csv: `person_id,family_id,nationality,ready_date,priority,unaccompanied_child,needs_medical`
(family_id empty for one travelling alone; priority a whole number from 1 to 1,000,000, higher first;
flags 0/1).
SLOTS.csv: `slot_id,mode,point,country,date,start_hour,end_hour,capacity,child_welfare,medical`
(mode `air` or `land`; hours 0-24 local, start before end; capacity a positive integer).
QUOTAS.csv (optional): `country,mode,per_week,unit` (unit `movements` or `persons`): at most that many
movements opened or persons placed by the mode to the country in any week from Monday to Sunday.
PLAN.csv: `person_id,slot_id` for each person placed, written next to its final name and moved into
place only when complete. A bad row names the file, line and field, and nothing is planned or written.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from binational.errors import InvalidInput
from binational.repatriation.planner import MAX_PRIORITY, QUOTA_UNITS, Person, Plan, Quota, Slot, plan

PEOPLE_FIELDS = ("person_id", "family_id", "nationality", "ready_date", "priority", "unaccompanied_child",
                 "needs_medical")
SLOT_FIELDS = ("slot_id", "mode", "point", "country", "date", "start_hour", "end_hour", "capacity", "child_welfare",
               "medical")
PLAN_FIELDS = ("person_id", "slot_id")
QUOTA_FIELDS = ("country", "mode", "per_week", "unit")
MODES = ("air", "land")
COUNTRY = re.compile(r"[A-Z]{2}")


class _Row:
    """One data row, whose fields are read with the file and line named in every complaint."""

    def __init__(self, path: Path, line: int, values: dict[str, str]) -> None:
        self.path, self.line, self.values = path, line, values

    def bad(self, field: str, why: str) -> InvalidInput:
        value = self.values.get(field, "")
        return InvalidInput(f"{self.path} line {self.line}, field {field}: {why} (got {value!r})",
                            details=[{"file": str(self.path), "line": self.line, "field": field}])

    def text(self, field: str, *, required: bool = True) -> str:
        value = self.values[field].strip()
        if required and not value:
            raise self.bad(field, "must not be empty")
        return value

    def country(self, field: str) -> str:
        value = self.text(field)
        if not COUNTRY.fullmatch(value):
            raise self.bad(field, "must be a two-letter ISO country code in capitals")
        return value

    def day(self, field: str) -> date:
        try:
            return date.fromisoformat(self.text(field))
        except ValueError:
            raise self.bad(field, "must be a date YYYY-MM-DD") from None

    def integer(self, field: str, low: int, high: int | None = None) -> int:
        value = self.text(field)
        if not re.fullmatch(r"[0-9]+", value) or int(value) < low or (high is not None and int(value) > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise self.bad(field, f"must be a whole number {span}")
        return int(value)

    def flag(self, field: str) -> bool:
        value = self.text(field)
        if value not in ("0", "1"):
            raise self.bad(field, "must be 0 or 1")
        return value == "1"


def _rows(path: Path, fields: tuple[str, ...]) -> Iterator[_Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{path} line 1: empty file, expected the header {','.join(fields)}") from None
    except csv.Error as exc:
        raise InvalidInput(f"{path} line 1: not valid CSV ({exc})") from None
    if tuple(h.strip() for h in header) != fields:
        raise InvalidInput(f"{path} line 1: the header must be {','.join(fields)}",
                           details=[{"file": str(path), "line": 1}])
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(fields):
                raise InvalidInput(f"{path} line {reader.line_num}: {len(values)} fields, expected {len(fields)}",
                                   details=[{"file": str(path), "line": reader.line_num}])
            yield _Row(path, reader.line_num, dict(zip(fields, values, strict=True)))
    except csv.Error as exc:
        raise InvalidInput(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None


def read_people(path: Path) -> list[Person]:
    """The people of PEOPLE.csv; the first bad row raises InvalidInput naming file, line and field."""
    out: list[Person] = []
    seen: set[str] = set()
    for row in _rows(path, PEOPLE_FIELDS):
        person_id = row.text("person_id")
        if person_id in seen:
            raise row.bad("person_id", "appears on an earlier line")
        seen.add(person_id)
        out.append(Person(id=person_id, family_id=row.text("family_id", required=False) or None,
                          nationality=row.country("nationality"), ready_date=row.day("ready_date"),
                          priority=row.integer("priority", 1, MAX_PRIORITY),
                          unaccompanied_child=row.flag("unaccompanied_child"),
                          needs_medical=row.flag("needs_medical")))
    return out


def read_slots(path: Path) -> list[Slot]:
    """The slots of SLOTS.csv; the first bad row raises InvalidInput naming file, line and field."""
    out: list[Slot] = []
    seen: set[str] = set()
    for row in _rows(path, SLOT_FIELDS):
        slot_id = row.text("slot_id")
        if slot_id in seen:
            raise row.bad("slot_id", "appears on an earlier line")
        seen.add(slot_id)
        mode = row.text("mode")
        if mode not in MODES:
            raise row.bad("mode", "must be air or land")
        start, end = row.integer("start_hour", 0, 24), row.integer("end_hour", 0, 24)
        if end <= start:
            raise row.bad("end_hour", "must be after start_hour")
        out.append(Slot(id=slot_id, mode=mode, point=row.text("point"), country=row.country("country"),
                        date=row.day("date"), start_hour=start, end_hour=end, capacity=row.integer("capacity", 1),
                        child_welfare=row.flag("child_welfare"), medical=row.flag("medical")))
    return out


def read_quotas(path: Path) -> list[Quota]:
    """The weekly quotas of QUOTAS.csv; the first bad row raises InvalidInput naming file, line and field."""
    out: list[Quota] = []
    seen: set[tuple[str, str, str]] = set()
    for row in _rows(path, QUOTA_FIELDS):
        country, mode, unit = row.country("country"), row.text("mode"), row.text("unit")
        if mode not in MODES:
            raise row.bad("mode", "must be air or land")
        if unit not in QUOTA_UNITS:
            raise row.bad("unit", "must be movements or persons")
        if (country, mode, unit) in seen:
            raise row.bad("unit", "this country, mode and unit appear on an earlier line")
        seen.add((country, mode, unit))
        out.append(Quota(country=country, mode=mode, per_week=row.integer("per_week", 0), unit=unit))
    return out


def write_plan(people: Path, slots: Path, out: Path, *, quotas: Path | None = None, first_seconds: float = 5.0,
               second_seconds: float = 30.0, progress: Callable[[str], None] | None = None) -> Plan:
    """Plan PEOPLE.csv over SLOTS.csv (within QUOTAS.csv, if given) and write PLAN.csv
    (person_id,slot_id) in place atomically."""
    persons = read_people(people)
    accepted = read_slots(slots)
    weekly = read_quotas(quotas) if quotas is not None else []
    result = plan(persons, accepted, quotas=weekly, first_seconds=first_seconds, second_seconds=second_seconds,
                  progress=progress)
    order = {p.id: n for n, p in enumerate(persons)}
    rows = sorted(result.assignments.items(), key=lambda item: order[item[0]])
    target = out.resolve()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise InvalidInput(f"{out}: cannot be written ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(PLAN_FIELDS)
            writer.writerows(rows)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result

"""Local repatriation arrangements as data: points, hours by population, quotas, lead times, contacts.

Nothing of an arrangement is a code constant. The shipped file (`arrangements.yaml`) holds defaults
marked as assumptions; a node points `repatriation_arrangements` at the text of the arrangement in
force. A file that breaks the shape is refused naming the arrangement and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from binational.config import get_settings
from binational.errors import InvalidInput

SHIPPED = Path(__file__).with_name("arrangements.yaml")
MODES = ("air", "land")
POPULATIONS = ("general", "vulnerable", "unaccompanied_child")
CONTACT_ROLES = ("consular_notification", "receiving_officers", "prosecutor_liaison", "delivering_units")
VERIFICATION_MODES = ("etd_individual_document", "env_manifest_verification")
LEAD_TIMES = ("air", "land", "manifest_lock", "vulnerable_notice")


@dataclass(frozen=True, slots=True)
class Point:
    """A receiving point: its mode, daily capacity, services and the hours it accepts each population."""

    id: str
    name: str
    mode: str
    capacity_per_day: int
    child_welfare: bool
    medical: bool
    services: tuple[str, ...]
    hours: dict[str, tuple[int, int]]

    def window(self, population: str) -> tuple[int, int]:
        """The hours [start, end) the point accepts `population` (local time)."""
        return self.hours[population]


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `per_week` movements or persons of `mode` per ISO week."""

    mode: str
    per_week: int
    unit: str


@dataclass(frozen=True, slots=True)
class Arrangement:
    """One local arrangement between a sending and a receiving agency, with the receiver's consulate."""

    id: str
    title: str
    assumptions: bool
    sender: str
    receiver: str
    consulate: str
    country: str
    verification: str
    lead_hours: dict[str, int]
    quotas: tuple[Quota, ...]
    contacts: dict[str, dict[str, str]]
    points: dict[str, Point]

    def point(self, point_id: str) -> Point:
        """The point `point_id`, or InvalidInput naming rule LRA-1 (only listed points)."""
        found = self.points.get(point_id) if isinstance(point_id, str) else None
        if found is None:
            raise InvalidInput(f"point {point_id!r} is not listed in arrangement {self.id} (rule LRA-1)",
                               details=[{"field": "point", "rule": "LRA-1", "allowed": sorted(self.points)}])
        return found


def _bad(where: str, field: str, why: str) -> InvalidInput:
    return InvalidInput(f"arrangement {where}: {field} {why}", details=[{"field": field, "arrangement": where}])


def _int(where: str, field: str, value: Any, low: int = 0, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        raise _bad(where, field, f"must be a whole number from {low}" + (f" to {high}" if high is not None else ""))
    return value


def _text(where: str, field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, field, "must be a text")
    return value.strip()


def _point(where: str, raw: Any) -> Point:
    if not isinstance(raw, dict):
        raise _bad(where, "points", "must be a list of mappings")
    pid = _text(where, "points.id", raw.get("id"))
    at = f"{where}/{pid}"
    mode = raw.get("mode")
    if mode not in MODES:
        raise _bad(at, "mode", f"must be one of {', '.join(MODES)}")
    hours_raw = raw.get("hours")
    if not isinstance(hours_raw, dict) or set(hours_raw) != set(POPULATIONS):
        raise _bad(at, "hours", f"must give {', '.join(POPULATIONS)}")
    hours = {}
    for population in POPULATIONS:
        pair = hours_raw[population]
        if not isinstance(pair, list) or len(pair) != 2:
            raise _bad(at, f"hours.{population}", "must be [start, end]")
        start, end = (_int(at, f"hours.{population}", h, 0, 24) for h in pair)
        if end < start:
            raise _bad(at, f"hours.{population}", "ends before it starts")
        hours[population] = (start, end)
    services = raw.get("services", [])
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise _bad(at, "services", "must be a list of texts")
    flags = {}
    for flag in ("child_welfare", "medical"):
        if not isinstance(raw.get(flag), bool):
            raise _bad(at, flag, "must be true or false")
        flags[flag] = bool(raw[flag])
    return Point(id=pid, name=_text(at, "name", raw.get("name")), mode=mode,
                 capacity_per_day=_int(at, "capacity_per_day", raw.get("capacity_per_day"), 1),
                 child_welfare=flags["child_welfare"], medical=flags["medical"], services=tuple(services), hours=hours)


def parse(raw: Any) -> dict[str, Arrangement]:
    """The arrangements of a parsed YAML document, checked field by field."""
    items = raw.get("arrangements") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise _bad("file", "arrangements", "must be a non-empty list")
    found: dict[str, Arrangement] = {}
    for item in items:
        if not isinstance(item, dict):
            raise _bad("file", "arrangements", "must be a list of mappings")
        aid = _text("file", "id", item.get("id"))
        if aid in found:
            raise _bad(aid, "id", "is declared twice")
        if item.get("verification") not in VERIFICATION_MODES:
            raise _bad(aid, "verification", f"must be one of {', '.join(VERIFICATION_MODES)}")
        lead = item.get("lead_hours")
        if not isinstance(lead, dict) or set(lead) != set(LEAD_TIMES):
            raise _bad(aid, "lead_hours", f"must give {', '.join(LEAD_TIMES)}")
        quotas = []
        for q in item.get("quotas") or []:
            if not isinstance(q, dict) or q.get("mode") not in MODES or q.get("unit") not in ("movements", "persons"):
                raise _bad(aid, "quotas", "need a mode (air, land) and a unit (movements, persons)")
            quotas.append(Quota(mode=q["mode"], per_week=_int(aid, "quotas.per_week", q.get("per_week"), 0),
                                unit=q["unit"]))
        contacts = item.get("contacts")
        if not isinstance(contacts, dict) or set(contacts) != set(CONTACT_ROLES):
            raise _bad(aid, "contacts", f"must name the four roles {', '.join(CONTACT_ROLES)}")
        points = [_point(aid, p) for p in item.get("points") or []]
        if not points:
            raise _bad(aid, "points", "must list at least one receiving point")
        found[aid] = Arrangement(
            id=aid, title=_text(aid, "title", item.get("title")), assumptions=bool(item.get("assumptions")),
            sender=_text(aid, "sender", item.get("sender")), receiver=_text(aid, "receiver", item.get("receiver")),
            consulate=_text(aid, "consulate", item.get("consulate")),
            country=_text(aid, "country", item.get("country")).upper(), verification=item["verification"],
            lead_hours={k: _int(aid, f"lead_hours.{k}", lead[k], 0) for k in LEAD_TIMES}, quotas=tuple(quotas),
            contacts={role: {str(k): str(v) for k, v in (contacts[role] or {}).items()} for role in CONTACT_ROLES},
            points={p.id: p for p in points},
        )
    return found


def load(path: Path | None = None) -> dict[str, Arrangement]:
    """The arrangements of `path`, of the node's setting, or the shipped defaults."""
    chosen = path or get_settings().repatriation_arrangements or SHIPPED
    return _load(str(chosen))


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Arrangement]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read the arrangements file {path}: {exc.strerror}",
                           details=[{"field": "arrangements"}]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the arrangements file {path} is not YAML: {exc}",
                           details=[{"field": "arrangements"}]) from None
    return parse(raw)


def get(arrangement_id: str) -> Arrangement:
    """The arrangement `arrangement_id`, or InvalidInput listing the known ones."""
    known = load()
    found = known.get(arrangement_id) if isinstance(arrangement_id, str) else None
    if found is None:
        raise InvalidInput(f"unknown arrangement {arrangement_id!r}",
                           details=[{"field": "arrangement", "allowed": sorted(known)}])
    return found

"""Port-of-entry wait times in the CBP Border Wait Times API's JSON form (`bwtnew`).

A snapshot is a list of crossings, each with its port number (six digits: the CBP port and the
crossing), names, reported date and time (the port's local time), status, and three lane groups —
commercial vehicles (standard and FAST lanes), passenger vehicles (standard, NEXUS/SENTRI, Ready)
and pedestrians (standard, Ready) — each lane with its operational status, delay in minutes and
lanes open (all strings, empty when not applicable). A snapshot with a malformed crossing is refused
whole, naming the crossing and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from binational.errors import InvalidInput

#: (lane group, lane object) -> our lane name
LANES = {
    ("commercial_vehicle_lanes", "standard_lanes"): "commercial_standard",
    ("commercial_vehicle_lanes", "FAST_lanes"): "commercial_fast",
    ("passenger_vehicle_lanes", "standard_lanes"): "passenger_standard",
    ("passenger_vehicle_lanes", "NEXUS_SENTRI_lanes"): "passenger_nexus_sentri",
    ("passenger_vehicle_lanes", "ready_lanes"): "passenger_ready",
    ("pedestrian_lanes", "standard_lanes"): "pedestrian_standard",
    ("pedestrian_lanes", "ready_lanes"): "pedestrian_ready",
}
MAX_BYTES = 20_000_000


class SnapshotError(InvalidInput):
    """A wait-times snapshot that cannot be used; nothing of it was stored."""


@dataclass(frozen=True)
class Observation:
    port_number: str
    border: str
    port_name: str
    crossing_name: str
    lane: str
    reported_at: datetime
    port_status: str
    status: str
    delay_minutes: int | None
    lanes_open: int | None
    maximum_lanes: int | None


def _count(value: Any, where: str, field: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SnapshotError(f"{where}: field {field!r}: {value!r} is not text")
    text = value.strip()
    if text in ("", "N/A"):
        return None
    if not text.isdigit():
        raise SnapshotError(f"{where}: field {field!r}: {value!r} is not a whole number of minutes or lanes")
    return int(text)


def _text(crossing: dict[str, Any], field: str, where: str, *, required: bool = True) -> str:
    value = crossing.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise SnapshotError(f"{where}: field {field!r}: required text")
    return value.strip()[:100]


def parse(data: bytes | str, name: str = "snapshot") -> list[Observation]:
    """The observations of a snapshot: one per crossing and lane that reports a status."""
    if len(data) > MAX_BYTES:
        raise SnapshotError(f"{name}: larger than {MAX_BYTES} bytes")
    try:
        crossings = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SnapshotError(f"{name}: not JSON") from None
    if not isinstance(crossings, list):
        raise SnapshotError(f"{name}: not a list of crossings (the `bwtnew` answer)")
    out: list[Observation] = []
    for i, crossing in enumerate(crossings, start=1):
        where = f"{name}: crossing {i}"
        if not isinstance(crossing, dict):
            raise SnapshotError(f"{where}: not an object")
        number = _text(crossing, "port_number", where)
        if not re.fullmatch(r"[A-Za-z0-9]\d{5}", number):  # the API writes a few with a letter first (l24501)
            raise SnapshotError(f"{where}: field 'port_number': {number!r} is not a port number (six digits)")
        where = f"{name}: crossing {i} ({number})"
        stamp = f"{_text(crossing, 'date', where)} {_text(crossing, 'time', where)}"
        try:
            reported = datetime.strptime(stamp, "%m/%d/%Y %H:%M:%S")
        except ValueError:
            raise SnapshotError(f"{where}: fields 'date' and 'time': {stamp!r} is not M/D/YYYY HH:MM:SS") from None
        for (group, lane_key), lane in LANES.items():
            lanes = crossing.get(group)
            if lanes is None:
                continue
            if not isinstance(lanes, dict):
                raise SnapshotError(f"{where}: field {group!r}: not an object")
            entry = lanes.get(lane_key)
            if entry is None:
                continue
            if not isinstance(entry, dict):
                raise SnapshotError(f"{where}: field '{group}.{lane_key}': not an object")
            status = entry.get("operational_status", "")
            if not isinstance(status, str):
                raise SnapshotError(f"{where}: field '{group}.{lane_key}.operational_status': not text")
            if status.strip() in ("", "N/A"):
                continue  # the crossing has no such lane
            out.append(Observation(
                port_number=number, border=_text(crossing, "border", where, required=False),
                port_name=_text(crossing, "port_name", where), crossing_name=_text(crossing, "crossing_name", where,
                                                                                   required=False),
                lane=lane, reported_at=reported, port_status=_text(crossing, "port_status", where, required=False),
                status=status.strip()[:32],
                delay_minutes=_count(entry.get("delay_minutes"), where, f"{group}.{lane_key}.delay_minutes"),
                lanes_open=_count(entry.get("lanes_open"), where, f"{group}.{lane_key}.lanes_open"),
                maximum_lanes=_count(lanes.get("maximum_lanes"), where, f"{group}.maximum_lanes")))
    return out

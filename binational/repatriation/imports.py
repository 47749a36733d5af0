"""Importers of the official series: the DHS repatriation workbook's sheets (as CSV) and the per-flight
ICE Air aggregates. Every row is checked before anything is written: a bad row is named by its line
and field, and nothing of the file is imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from binational.access.policy import Actor, require
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import utcnow
from binational.errors import InvalidInput
from binational.repatriation.models import OfficialFigure

MONTH = re.compile(r"^(0[1-9]|1[0-2]) (October|November|December|January|February|March|April|May|June|July|"
                   r"August|September)$")
#: columns of the ICE Air per-flight aggregates (the first, unnamed, is a row number)
ICE_AIR = ("MissionDate", "CountryOfCitizenship", "R-T", "PULOC", "DropLoc", "AlienMasterIDCount", "MissionIDCount",
           "JuvenileCount")
MAX_ROWS = 500_000
#: the largest count a figure's column holds (a 32-bit integer on PostgreSQL)
MAX_COUNT = 2**31 - 1
#: the longest series name the column holds
MAX_SERIES = 64
Progress = Callable[[int, int], None]


def _bad(line: int, field: str, why: str) -> InvalidInput:
    return InvalidInput(f"line {line}: {field} {why}; nothing was imported", details=[{"line": line, "field": field}])


def _count(line: int, field: str, raw: str) -> int:
    text = (raw or "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    # ASCII digits only ("²".isdigit() is true), and no more than the column holds
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_COUNT:
        raise _bad(line, field, f"must be a whole number from 0 to {MAX_COUNT}, not {raw[:20]!r}")
    return int(text)


class Source:
    """A file to import: a path on disk (the command line) or the bytes of an upload (API, page)."""

    def __init__(self, name: str, *, path: Path | None = None, data: bytes | None = None) -> None:
        self.name, self.path, self.data = name, path, data

    def text(self) -> str:
        try:
            raw = self.path.read_bytes() if self.path is not None else (self.data or b"")
            return raw.decode("utf-8-sig")
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.name}: {exc.strerror}", details=[{"field": "file"}]) from None
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{self.name} is not a UTF-8 CSV file: {exc}", details=[{"field": "file"}]) from None


def _rows(source: Path | Source) -> tuple[list[str], list[list[str]]]:
    source = source if isinstance(source, Source) else Source(source.name, path=source)
    try:
        reader = csv.reader(io.StringIO(source.text(), newline=""))
        header = next(reader, None)
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise _bad(len(rows) + 1, "file", f"has more than {MAX_ROWS} rows")
    except csv.Error as exc:
        raise InvalidInput(f"{source.name} is not a UTF-8 CSV file: {exc}", details=[{"field": "file"}]) from None
    if not header:
        raise _bad(1, "header", "is missing")
    return [h.strip() for h in header], rows


def parse_khsm(path: Path | Source) -> tuple[str, list[dict[str, Any]]]:
    """A sheet of the DHS repatriations workbook as CSV: `Fiscal Year[, Month], <dimensions...>, Quantity`."""
    header, rows = _rows(path)
    if header[0] != "Fiscal Year" or header[-1] != "Quantity":
        raise _bad(1, "header", "must start with Fiscal Year and end with Quantity")
    monthly = len(header) > 2 and header[1] == "Month"
    dims = header[2 if monthly else 1:-1]
    series = "dhs_repatriations_" + ("monthly" if monthly else "annual") + "".join(
        "_" + re.sub(r"[^a-z]+", "_", d.lower()).strip("_") for d in dims)
    if len(series) > MAX_SERIES:
        raise _bad(1, "header", f"names more dimensions than a series of {MAX_SERIES} characters holds")
    found = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise _bad(number, "row", f"has {len(row)} fields, the header {len(header)}")
        year = _count(number, "Fiscal Year", row[0])
        if not 1990 <= year <= 2100:
            raise _bad(number, "Fiscal Year", f"{year} is out of range")
        period = str(year)
        if monthly:
            if not MONTH.match(row[1].strip()):
                raise _bad(number, "Month", f"must read like '01 October', not {row[1]!r}")
            period = f"{year}-{row[1].strip()[:2]}"
        values = {d: row[i].strip() for i, d in enumerate(header) if d in dims}
        for d, v in values.items():
            if not v:
                raise _bad(number, d, "is empty")
        found.append({"period": period, "dimensions": values, "quantity": _count(number, "Quantity", row[-1])})
    return series, found


def parse_ice_air(path: Path | Source) -> tuple[str, list[dict[str, Any]]]:
    """ICE Air removals aggregated per mission date and airport pair (UWCHR's analysis of ARTS)."""
    header, rows = _rows(path)
    missing = [c for c in ICE_AIR if c not in header]
    if missing:
        raise _bad(1, missing[0], "column is missing")
    at = {c: header.index(c) for c in ICE_AIR}
    found = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise _bad(number, "row", f"has {len(row)} fields, the header {len(header)}")
        try:
            day = date.fromisoformat(row[at["MissionDate"]].strip())
        except ValueError:
            raise _bad(number, "MissionDate", f"must be YYYY-MM-DD, not {row[at['MissionDate']]!r}") from None
        if row[at["R-T"]].strip() not in ("R", "T"):
            raise _bad(number, "R-T", "must be R (removal) or T (transfer)")
        for airport in ("PULOC", "DropLoc"):
            if not re.fullmatch(r"[A-Z0-9]{3,4}", row[at[airport]].strip()):
                raise _bad(number, airport, f"must be an airport code, not {row[at[airport]]!r}")
        found.append({"period": day.isoformat(), "quantity": _count(number, "AlienMasterIDCount",
                                                                  row[at["AlienMasterIDCount"]]),
                      "dimensions": {"citizenship": row[at["CountryOfCitizenship"]].strip(),
                                     "removal_or_transfer": row[at["R-T"]].strip(),
                                     "pickup": row[at["PULOC"]].strip(), "dropoff": row[at["DropLoc"]].strip(),
                                     "missions": _count(number, "MissionIDCount", row[at["MissionIDCount"]]),
                                     "juveniles": _count(number, "JuvenileCount", row[at["JuvenileCount"]])}})
    return "ice_air_flights", found


KINDS: dict[str, Callable[[Path | Source], tuple[str, list[dict[str, Any]]]]] = {
    "khsm": parse_khsm, "ice-air": parse_ice_air}


def import_upload(*, session: Session, actor: Actor, kind: str, name: str, data: bytes,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Import the bytes of an uploaded file (API, page) as `import_series` does a file on disk; one
    larger than `import_max_bytes` is refused before it is read."""
    require(actor, "repatriation.import")
    limit = get_settings().import_max_bytes
    if len(data) > limit:
        raise InvalidInput(f"{name} is larger than {limit // 1_048_576} MB; nothing was imported",
                           details=[{"field": "file"}])
    return import_series(session=session, actor=actor, kind=kind, path=Source(name, data=data), progress=progress)


def import_series(*, session: Session, actor: Actor, kind: str, path: Path | Source,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Check every row of the file (a path, or the `Source` of an upload), then replace the series
    with it (all or nothing)."""
    require(actor, "repatriation.import")
    parser = KINDS.get(kind)
    if parser is None:
        raise InvalidInput(f"unknown kind {kind!r}", details=[{"field": "kind", "allowed": sorted(KINDS)}])
    series, rows = parser(path)
    if not rows:
        raise _bad(2, "file", "has no rows")
    now = utcnow()
    session.execute(delete(OfficialFigure).where(OfficialFigure.series == series,
                                                 OfficialFigure.imported_by == actor.agency))
    batch = 5000
    for start in range(0, len(rows), batch):
        session.execute(insert(OfficialFigure), [
            {"series": series, "period": r["period"], "dimensions": json.dumps(r["dimensions"], sort_keys=True),
             "quantity": r["quantity"], "imported_by": actor.agency, "imported_at": now}
            for r in rows[start:start + batch]])
        if progress:
            progress(min(start + batch, len(rows)), len(rows))
    audit.record(session, action="repatriation.import", actor=actor,
                 extra={"series": series, "rows": len(rows), "file": path.name})
    return {"series": series, "rows": len(rows), "total": sum(r["quantity"] for r in rows)}

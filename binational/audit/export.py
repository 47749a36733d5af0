"""Exporting an auditor's view of the log as CSV or JSON lines, streamed and bounded.

The export is decided in the request's unit of work: the entries the filter selects up to the log's
size at that moment, counted against `audit_export_max_rows` (more is refused, nothing written), and
recorded as one `audit.export` entry. The rows then stream from a session of their own, as the same
viewer, newest first, a batch at a time: the log only grows, so they are exactly the entries counted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, require
from binational.audit import log
from binational.audit.models import AuditEntry
from binational.audit.service import EntryFilter, filtered, owners_of, view
from binational.config import get_settings
from binational.db import Database, act_as
from binational.errors import InvalidInput

register(Action("audit.export", "audit.read", "export the audit entries one may read, filtered, as CSV or "
                "JSON lines (at most audit_export_max_rows)"))

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = ("seq", "time", "actor", "agency", "action", "decision", "reason", "objects", "request_id")
BATCH = 500


@dataclass(frozen=True)
class Export:
    """What one export holds: the filter, the last entry it reaches, how many entries, in what format."""

    where: EntryFilter
    through_seq: int
    count: int
    format: str

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]

    @property
    def filename(self) -> str:
        return f"audit-{self.through_seq}.{self.format}"


def plan(*, session: Session, actor: Actor, where: EntryFilter, format: str) -> Export:  # noqa: A002
    """Decide and audit an export; refuse one of more entries than `audit_export_max_rows`."""
    require(actor, "audit.export")
    if format not in FORMATS:
        raise InvalidInput(f"unknown export format {format!r}", details=[{"field": "format", "allowed": list(FORMATS)}])
    log.drain(session)
    query = filtered(session, actor, where)
    through = session.execute(select(func.max(AuditEntry.seq))).scalar()
    through_seq = -1 if through is None else int(through)
    count = session.execute(select(func.count()).select_from(
        query.where(AuditEntry.seq <= through_seq).subquery())).scalar_one()
    most = get_settings().audit_export_max_rows
    if count > most:
        raise InvalidInput(f"the export would hold {count} entries, more than audit_export_max_rows ({most}): "
                           "narrow the filters", details=[{"field": "limit", "count": count, "max": most}])
    export = Export(where=where, through_seq=through_seq, count=count, format=format)
    log.record(session, action="audit.export", actor=actor,
               extra={"filter": where.as_extra(), "format": format, "count": count, "through_seq": through_seq})
    return export


def rows(session: Session, actor: Actor, export: Export) -> Iterator[dict[str, Any]]:
    """The exported entries as the auditor sees them, newest first, read a batch at a time."""
    query = filtered(session, actor, export.where).order_by(AuditEntry.seq.desc()).limit(BATCH)
    below = export.through_seq + 1
    while True:
        page = session.execute(query.where(AuditEntry.seq < below)).scalars().all()
        owners = owners_of(session, [r.seq for r in page])
        yield from (view(actor, r, owners) for r in page)
        if len(page) < BATCH:
            return
        below = page[-1].seq


#: a cell a spreadsheet would run as a formula starts with one of these (OWASP "CSV injection")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet reads as typed: a text that would run as a formula is written as text."""
    # An object id is whatever a caller typed (a probe for `=HYPERLINK(...)`, say): kept as text.
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA) else value


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([spreadsheet_cell(v) for v in values])
    return out.getvalue()


def lines(export: Export, items: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The entries written in the export's format: a header and one row each (CSV), or one JSON object a line."""
    if export.format == "csv":
        yield _csv_line(list(COLUMNS))
        for item in items:
            yield _csv_line([" ".join(item[c]) if c == "objects" else item[c] for c in COLUMNS])
    else:
        for item in items:
            yield json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"


def stream(db: Database, actor: Actor, export: Export) -> Iterator[str]:
    """The export's text, read in a session of its own as `actor` (the request's unit of work, which
    recorded the export, has committed by the time the answer streams), in chunks of BATCH lines: the
    server fetches each chunk in a worker thread, so a line at a time would cost a thread hop each."""
    with db.session() as session:
        act_as(session, actor)
        chunk: list[str] = []
        for line in lines(export, rows(session, actor, export)):
            chunk.append(line)
            if len(chunk) >= BATCH:
                yield "".join(chunk)
                chunk = []
        if chunk:
            yield "".join(chunk)
        session.rollback()

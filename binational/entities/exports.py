"""Results exported: the entities of a list or search the viewer may see, as CSV or FtM JSON lines.

An export holds exactly what the viewer's list shows (the same query, `service.matching`), each
entity assembled from the values the viewer may see, and at most `export_max_rows` entities: a
larger export is refused before anything is read or recorded. The export is audited naming every
entity in it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, require
from binational.audit import log as audit
from binational.audit.export import spreadsheet_cell
from binational.config import get_settings
from binational.entities.models import Entity
from binational.entities.schemas import EntityRead
from binational.entities.service import assemble, matching
from binational.errors import InvalidInput

FORMATS = {"csv": "text/csv; charset=utf-8", "ftm": "application/x-ndjson; charset=utf-8"}
SUFFIX = {"csv": "csv", "ftm": "jsonl"}
BATCH = 1000


def export(*, session: Session, actor: Actor, fmt: str, schema: str | None = None, q: str | None = None,
           agency: str | None = None, marking: str | None = None) -> str:
    """The entities matching the filters that the actor may see, in `fmt` (`csv` or `ftm`); audited.
    More than `export_max_rows` of them, or an unknown format, is InvalidInput and nothing is read."""
    require(actor, "entity.export")
    if fmt not in FORMATS:
        raise InvalidInput(f"format is one of {', '.join(FORMATS)}", details=[{"field": "format"}])
    query = matching(session, actor, schema=schema, q=q, agency=agency, marking=marking)
    limit = get_settings().export_max_rows
    count = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    if count > limit:
        raise InvalidInput(f"the export holds {count} entities, more than the {limit} allowed; narrow the search",
                           details=[{"field": "q", "count": count, "limit": limit}])
    items: list[EntityRead] = []
    after = ""
    while True:
        chunk = session.execute(query.where(Entity.id > after).order_by(Entity.id).limit(BATCH)).all()
        if not chunk:
            break
        items += assemble(session, actor, chunk)
        after = chunk[-1].id
    extra: dict[str, Any] = {"format": fmt, "count": len(items), "schema": schema, "agency": agency,
                             "marking": marking}
    if q:
        extra["q_sha256"] = hashlib.sha256(q.encode()).hexdigest()
    audit.record(session, action="entity.export", actor=actor, objects=[(e.id, e.owner_agency) for e in items],
                 extra=extra)
    return as_csv(items) if fmt == "csv" else as_ftm(items)


def as_ftm(items: list[EntityRead]) -> str:
    """FollowTheMoney JSON lines, one entity a line, with the policy it carries for the viewer."""
    return "".join(json.dumps({"id": e.id, "schema": e.schema, "properties": e.properties,
                               "binational": {"owner_agency": e.owner_agency, "marking": e.marking}},
                              ensure_ascii=False, sort_keys=True) + "\n" for e in items)


def as_csv(items: list[EntityRead]) -> str:
    """One row an entity: id, schema, caption, owner agency, marking, then one column a property
    (the properties of all rows, by name), several values joined by `; `."""
    props = sorted({p for e in items for p in e.properties})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "schema", "caption", "owner_agency", "marking", *props])
    for e in items:
        writer.writerow([spreadsheet_cell(v) for v in (e.id, e.schema, e.caption, e.owner_agency, e.marking,
                                            *("; ".join(e.properties.get(p, [])) for p in props))])
    return out.getvalue()

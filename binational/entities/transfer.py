"""Import and export of FollowTheMoney JSON lines: all of a file or nothing of it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from binational.access.markings import DISTRIBUTIONS
from binational.access.models import Release
from binational.access.policy import Actor, live_and_visible, require
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import act_as, set_context, utcnow
from binational.entities.integrity import Written
from binational.entities.models import Entity
from binational.entities.service import (
    assemble,
    check_policy,
    check_references,
    insert_statements,
    namespace,
    release_rows,
    statement_rows,
)
from binational.entities.validation import CleanValue, check_id, check_properties, check_schema
from binational.errors import InvalidInput
from binational.text_input import find_forbidden

Progress = Callable[[int], None]
BATCH = 2000
#: An FtM entity nests three levels (properties, a list, a text); far deeper is an attack on the parser.
MAX_DEPTH = 8


@dataclass(frozen=True)
class ImportPolicy:
    """The policy given to entities that do not carry their own `binational` block."""

    distribution: str = "agency"
    marking: str = "TLP:AMBER"
    release_to: tuple[str, ...] = ()
    case_id: str | None = None


@dataclass
class _Parsed:
    line: int
    entity_id: str
    schema: str
    values: list[CleanValue]
    distribution: str
    marking: str
    marking_rank: int
    release_to: list[str]
    case_id: str | None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_lines(fh: IO[bytes], source: str, max_line_bytes: int | None = None) -> list[str]:
    """The lines of an import file, split at line feeds only, each at most `max_line_bytes` long
    (default: the `import_max_line_bytes` setting); a longer line or one not UTF-8 raises
    InvalidInput naming it, before the rest is read.

    Split at line feeds only: splitlines() also splits at U+2028 and U+0085, which JSON holds raw
    inside a text, and would refuse a valid line and misnumber the ones after it.
    """
    limit = max_line_bytes or get_settings().import_max_line_bytes
    lines: list[str] = []
    while True:
        raw = fh.readline(limit + 2)  # the line, its line feed and a carriage return before it
        if not raw:
            return lines
        n = len(lines) + 1
        body = raw.removesuffix(b"\n").removesuffix(b"\r")
        if len(body) > limit:
            raise InvalidInput(f"{source} line {n}: longer than {limit} bytes", details=[{"line": n}])
        try:
            lines.append(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInput(f"{source} line {n}: not UTF-8 text", details=[{"line": n}]) from None
        if not raw.endswith(b"\n"):
            return lines


def _own(ns: str, given: str) -> str:
    return given if given.startswith(f"{ns}.") else f"{ns}.{given}"


def _parse(session: Session, actor: Actor, n: int, raw: str, where: str, default: ImportPolicy,
           cache: dict[tuple[Any, ...], int]) -> _Parsed:
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{where}not valid JSON ({exc.msg})", details=[{"line": n}]) from None
    except RecursionError:
        raise InvalidInput(f"{where}not valid JSON (nested too deeply)", details=[{"line": n}]) from None
    except ValueError as exc:  # an integer past Python's digit limit, NaN or Infinity
        raise InvalidInput(f"{where}not valid JSON ({str(exc).split(';')[0]})", details=[{"line": n}]) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}expected a JSON object", details=[{"line": n}])
    found = find_forbidden(data, max_depth=MAX_DEPTH)
    if found is not None:
        field, reason = found
        raise InvalidInput(f"{where}{field} {reason}", details=[{"line": n, "field": field}])
    ns = namespace(actor.agency)
    entity_id = _own(ns, check_id(data.get("id"), "id", where))
    schema = check_schema(data.get("schema"), where)
    values = check_properties(schema, data.get("properties", {}), where)
    values = [CleanValue(v.prop, _own(ns, v.value), None) if v.prop.type.name == "entity" else v for v in values]
    policy = data.get("binational") or {}
    if not isinstance(policy, dict):
        raise InvalidInput(f"{where}`binational` must be an object", details=[{"line": n, "field": "binational"}])
    distribution = policy.get("distribution", default.distribution)
    marking = policy.get("marking", default.marking)
    release_to = policy.get("release_to", list(default.release_to))
    case_id = policy.get("case_id", default.case_id)
    if not isinstance(distribution, str) or distribution not in DISTRIBUTIONS:
        raise InvalidInput(f"{where}invalid distribution", details=[{"line": n, "field": "binational.distribution"}])
    if not isinstance(release_to, list) or not all(isinstance(code, str) for code in release_to):
        raise InvalidInput(f"{where}release_to must be a list of agency codes",
                           details=[{"line": n, "field": "binational.release_to"}])
    if not isinstance(marking, str):
        raise InvalidInput(f"{where}marking must be a text", details=[{"line": n, "field": "binational.marking"}])
    if case_id is not None and not isinstance(case_id, str):
        raise InvalidInput(f"{where}case_id must be a text", details=[{"line": n, "field": "binational.case_id"}])
    key = (distribution, marking, tuple(release_to), case_id)
    if key not in cache:
        cache[key] = check_policy(session, actor, distribution=distribution, marking=marking,
                                  release_to=release_to, case_id=case_id, where=where)
    return _Parsed(n, entity_id, schema.name, values, distribution, marking, cache[key], release_to, case_id)


def import_lines(
    *, session: Session, actor: Actor, lines: Iterable[str], source: str, default: ImportPolicy | None = None,
    progress: Progress | None = None,
) -> int:
    """Import FtM entities, one JSON object per line, owned by the actor's agency.

    Ids (and references between entities of the file) are put in the agency's namespace. Every
    line is checked before anything is written; the first bad line raises InvalidInput naming the
    line and field, and nothing of the file is imported.
    """
    require(actor, "entity.import")
    default = default or ImportPolicy()
    parsed: list[_Parsed] = []
    seen: set[str] = set()
    cache: dict[tuple[Any, ...], int] = {}
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{source} line {n}: "
        item = _parse(session, actor, n, raw, where, default, cache)
        if item.entity_id in seen:
            raise InvalidInput(f"{where}id {item.entity_id!r} appears twice", details=[{"line": n, "field": "id"}])
        seen.add(item.entity_id)
        parsed.append(item)
    for start in range(0, len(parsed), BATCH):
        chunk = parsed[start : start + BATCH]
        taken = _taken_ids(session, actor, [p.entity_id for p in chunk])
        for p in chunk:
            if p.entity_id in taken:
                raise InvalidInput(f"{source} line {p.line}: id {p.entity_id!r} exists already",
                                   details=[{"line": p.line, "field": "id"}])
    for item in parsed:
        check_references(session, actor, item.values, seen, f"{source} line {item.line}: ")
    now = utcnow()
    written = Written()
    for start in range(0, len(parsed), BATCH):
        chunk = parsed[start : start + BATCH]
        _write(session, actor, chunk, source, now, written)
        if progress:
            progress(len(chunk))
    audit.record(session, action="entity.import", actor=actor, objects=[(p.entity_id, actor.agency) for p in parsed],
                 extra={"source": source, "count": len(parsed), **written.extra()})
    return len(parsed)


def _taken_ids(session: Session, actor: Actor, ids: list[str]) -> set[str]:
    """Which of these ids (all in the actor's agency namespace) exist, even where row-level
    security hides the row from the actor: the insert would fail on them all the same."""
    set_context(session, agency=None, country=None, clearance=-1, system=True)
    try:
        return set(session.execute(select(Entity.id).where(Entity.id.in_(ids))).scalars())
    finally:
        act_as(session, actor)


def _write(session: Session, actor: Actor, chunk: list[_Parsed], source: str, now: datetime,
           written: Written) -> None:
    session.execute(
        insert(cast(Table, Entity.__table__)),
        [
            {"id": p.entity_id, "schema": p.schema, "owner_agency": actor.agency, "owner_country": actor.country,
             "distribution": p.distribution, "marking": p.marking, "marking_rank": p.marking_rank,
             "case_id": p.case_id, "created_by": actor.user_id, "created_at": now, "updated_at": now}
            for p in chunk
        ],
    )
    statements: list[dict[str, Any]] = []
    releases: list[dict[str, Any]] = []
    for p in chunk:
        statements += statement_rows(actor, p.entity_id, p.schema, p.values, marking=p.marking,
                                     marking_rank=p.marking_rank, origin=f"{source}:{p.line}", now=now)
        releases += release_rows(actor, p.entity_id, p.release_to, None)
    insert_statements(session, statements, written)
    if releases:
        session.execute(insert(cast(Table, Release.__table__)), releases)


def export_lines(*, session: Session, actor: Actor, schema: str | None = None,
                 progress: Progress | None = None) -> Iterator[str]:
    """The entities the actor may see, as FtM JSON lines of the values it may see; audited."""
    require(actor, "entity.export")
    query = select(Entity).where(live_and_visible(actor, Entity)).order_by(Entity.id)
    if schema:
        query = query.where(Entity.schema == check_schema(schema).name)
    exported: list[tuple[str, str | None]] = []
    after = ""
    while True:
        chunk = session.execute(query.where(Entity.id > after).limit(BATCH)).scalars().all()
        if not chunk:
            break
        for item in assemble(session, actor, chunk):
            exported.append((item.id, item.owner_agency))
            yield json.dumps({"id": item.id, "schema": item.schema, "properties": item.properties},
                             ensure_ascii=False, sort_keys=True)
        after = chunk[-1].id
        if progress:
            progress(len(chunk))
    audit.record(session, action="entity.export", actor=actor, objects=exported, extra={"count": len(exported)})


def write_export(*, session: Session, actor: Actor, out: IO[str], schema: str | None = None,
                 progress: Progress | None = None) -> int:
    """Write the export to a text stream; return the number of entities."""
    count = 0
    for line in export_lines(session=session, actor=actor, schema=schema, progress=progress):
        out.write(line + "\n")
        count += 1
    return count

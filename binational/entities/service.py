"""Entities: create, read, change, tombstone, list and search, each through the one policy."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, cast

from followthemoney.types import registry
from rigour.names import pick_name
from sqlalchemy import ARRAY, Select, String, Table, and_, any_, bindparam, exists, func, insert, or_, select, text
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from binational import pagination
from binational.access import names
from binational.access.markings import check_distribution, rank
from binational.access.models import Agency, Case, Release
from binational.access.policy import (
    Actor,
    Decision,
    Grant,
    Resource,
    can,
    live_and_visible,
    require,
    visible_values,
)
from binational.access.service import check_reachable
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import plain_rows, utcnow
from binational.entities import integrity, selectors, terms
from binational.entities.integrity import Written
from binational.entities.models import Entity, SearchTerm, Statement
from binational.entities.schemas import EntityCreate, EntityPatch, EntityRead, ValueRead
from binational.entities.validation import CleanValue, check_properties, check_schema
from binational.errors import Forbidden, InvalidInput, NotFound
from binational.vocabulary import model


def namespace(agency: str) -> str:
    """The prefix of every entity id an agency creates: ids never collide across agencies."""
    return agency.lower()


#: The columns of an entity its readers need (policy and assembly), read as a plain row.
ENTITY_COLUMNS = (Entity.id, Entity.schema, Entity.owner_agency, Entity.owner_country, Entity.distribution,
                  Entity.marking, Entity.marking_rank, Entity.case_id, Entity.created_at, Entity.updated_at,
                  Entity.deleted_at, Entity.origin_node)


#: An entity with the releases naming one agency (the only ones that can grant it anything).
#: Built once, with the agency and the id as parameters: building it cost more than running it.
_ENTITY_WITH_GRANTS = (
    select(*ENTITY_COLUMNS, Release.to_agency, Release.until, Release.revoked_at)
    .outerjoin(Release, and_(
        Release.to_agency == bindparam("agency"),
        or_(Release.entity_id == Entity.id, and_(Entity.case_id.is_not(None), Release.case_id == Entity.case_id)),
    ))
    .where(Entity.id == bindparam("entity_id"))
)


def access_entity(session: Session, actor: Actor, entity_id: str, action: str) -> tuple[Any, Decision]:
    """The row of an entity the actor may `action` and the policy's reason, or deny: invisible and
    missing answer the same NotFound. One round trip: the entity with the releases naming the actor's
    agency."""
    require(actor, action)
    if not isinstance(entity_id, str):
        raise NotFound("entity", entity_id, action=action)
    rows = plain_rows(session, _ENTITY_WITH_GRANTS, {"agency": actor.agency, "entity_id": entity_id})
    if not rows:
        raise NotFound("entity", entity_id, action=action)
    entity = rows[0]
    if entity.deleted_at is not None:
        raise NotFound("entity", entity_id, reason="deleted", action=action, owner=entity.owner_agency)
    grants = tuple(Grant(r.to_agency, r.until, r.revoked_at) for r in rows if r.to_agency is not None)
    decision = can(actor, action, Resource.of(entity, grants))
    if not decision:
        if decision.details.get("visible") == "yes":
            raise Forbidden(f"{action}: {decision.reason}", action=action, ident=entity_id, owner=entity.owner_agency)
        raise NotFound("entity", entity_id, reason=decision.reason, action=action, owner=entity.owner_agency)
    return entity, decision


def access_entity_row(session: Session, actor: Actor, entity_id: str, action: str) -> Any:
    """The row (entity columns) of an entity the actor may `action`, or deny as `access_entity` does."""
    return access_entity(session, actor, entity_id, action)[0]


def access_entity_for_change(session: Session, actor: Actor, entity_id: str, action: str) -> Entity:
    """The entity as an ORM object, for changing it, if the actor may `action`; deny as `access_entity` does.

    The row is locked (FOR NO KEY UPDATE, which the statements' foreign keys do not conflict with)
    before any of its values or search terms are touched, in the same order for every change, so an
    edit and a release of one entity wait for each other rather than deadlock.
    """
    access_entity_row(session, actor, entity_id, action)
    entity = session.get(Entity, entity_id, with_for_update={"key_share": True})
    assert entity is not None  # access_entity_row found it in this transaction
    return entity


def caption(schema_name: str, properties: dict[str, list[str]]) -> str:
    """FollowTheMoney's caption of an entity (the first of its schema's caption properties that has a
    value, the most representative name among several), without building a proxy per entity."""
    schema = model.get(schema_name)
    if schema is None:
        return schema_name
    for name in schema.caption:
        values = list(dict.fromkeys(properties.get(name, ())))
        if not values:
            continue
        if schema.properties[name].type == registry.name and len(values) > 1:
            picked = pick_name(sorted(values))
            if picked is not None:
                return picked
        else:
            return values[0]
    return schema.label


@lru_cache(maxsize=1024)
def _values_of(actor: Actor, dialect: str, one: bool) -> Any:
    """The values of one entity (`id`) or of some (`ids`) the actor may see, in the order they are
    shown; built once per actor, like its filter. On PostgreSQL the ids are one array parameter: the
    query's text is then the same for every page, so psycopg caches its conversion and the server its
    plan. One entity is matched by equality instead: for an array of unknown length the server's
    generic plan looks dearer than a fresh one, so it planned the query anew for every read, which
    was half of the database's CPU on a single-entity read (docs/architecture.md)."""
    if one:
        ids = Statement.entity_id == bindparam("id", type_=String)
    elif dialect == "postgresql":
        ids = Statement.entity_id == any_(bindparam("ids", type_=ARRAY(String)))
    else:
        ids = Statement.entity_id.in_(bindparam("ids", expanding=True))
    return (
        select(Statement.entity_id, Statement.prop, Statement.value, Statement.dataset, Statement.marking,
               Statement.origin, Statement.created_at)
        .where(ids, Statement.deleted_at.is_(None), visible_values(actor, Statement))
        .order_by(Statement.entity_id, Statement.prop, Statement.id)
    )


@cache
def reference_props(schema_name: str) -> frozenset[str]:
    """The properties of a schema whose values name other entities."""
    schema = model.get(schema_name)
    if schema is None:
        return frozenset()
    return frozenset(name for name, prop in schema.properties.items() if prop.type == registry.entity)


def visible_entity_ids(session: Session, actor: Actor, ids: Iterable[str]) -> set[str]:
    """Those of `ids` that name a live entity the actor may see."""
    ids = sorted(ids)
    if not ids:
        return set()
    return set(session.execute(select(Entity.id).where(
        Entity.id.in_(ids), live_and_visible(actor, Entity))).scalars())


def _without_hidden_references(session: Session, actor: Actor, entities: Sequence[Any],
                               rows: Sequence[Any]) -> Sequence[Any]:
    """The value rows (entity id, prop, value, ...) less those naming an entity the actor may not see:
    even its id would tell that the record exists and which agency holds it. A reference is checked
    when it is written, but the record it names may since have been deleted or its release revoked,
    or have been visible to the writer and never to this reader."""
    schemas = {e.id: e.schema for e in entities}
    refers = [row[1] in reference_props(schemas[row[0]]) for row in rows]
    refs = {row[2] for row, ref in zip(rows, refers, strict=True) if ref}
    if not refs:
        return rows
    seen = visible_entity_ids(session, actor, refs)
    return [row for row, ref in zip(rows, refers, strict=True) if not ref or row[2] in seen]


def assemble(session: Session, actor: Actor, entities: Sequence[Any]) -> list[EntityRead]:
    """Entities (rows or objects with the entity columns) as the viewer sees them: only statements it
    may see, each with its agency, and no reference to an entity it may not see."""
    if not entities:
        return []
    ids = [e.id for e in entities]
    # Plain rows, not ORM objects: building ~10 Statement instances per entity cost more than the query.
    one = len(ids) == 1
    query = _values_of(actor, session.get_bind().dialect.name, one)
    rows = plain_rows(session, query, {"id": ids[0]} if one else {"ids": ids}, named=False)
    rows = _without_hidden_references(session, actor, entities, rows)
    values: dict[str, list[ValueRead]] = {i: [] for i in ids}
    properties: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
    changed = _removed_at(session, actor, ids)
    for entity_id, prop, value, dataset, marking, origin, written_at in rows:
        values[entity_id].append(ValueRead(prop, value, dataset, marking, origin))
        properties[entity_id].setdefault(prop, []).append(value)
        changed[entity_id] = max(changed.get(entity_id, written_at), written_at)
    out = []
    for entity in entities:
        props = properties[entity.id]
        out.append(
            EntityRead(
                id=entity.id,
                schema=entity.schema,
                caption=caption(entity.schema, props),
                properties=props,
                values=values[entity.id],
                owner_agency=entity.owner_agency,
                distribution=entity.distribution,
                marking=entity.marking,
                case_id=entity.case_id,
                created_at=entity.created_at,
                updated_at=max(entity.created_at, changed.get(entity.id, entity.created_at)),
            )
        )
    return out


def _removed_at(session: Session, actor: Actor, ids: list[str]) -> dict[str, datetime]:
    """When each entity last lost a value the actor could see. With the newest value it sees, this is
    the entity's last change for the actor: a value added or removed that it may not see changes
    nothing it reads, not even the time of the record's last change."""
    return {entity_id: at for entity_id, at in session.execute(
        select(Statement.entity_id, func.max(Statement.deleted_at))
        .where(Statement.entity_id.in_(ids), Statement.deleted_at.is_not(None), visible_values(actor, Statement))
        .group_by(Statement.entity_id)) if at is not None}


def check_policy(
    session: Session, actor: Actor, *, distribution: str, marking: str, release_to: list[str], case_id: str | None,
    where: str = "",
) -> int:
    """Validate the policy of a new entity; return the marking's rank."""
    try:
        check_distribution(distribution)
        marking_rank = rank(marking)
    except InvalidInput as exc:  # named with its line when it comes from an import
        raise InvalidInput(f"{where}{exc.message}", details=exc.details) from None
    if marking_rank > actor.clearance_rank:
        raise InvalidInput(f"{where}marking {marking} is above your clearance {actor.clearance}",
                           details=[{"field": "marking"}])
    if release_to and distribution == "agency":
        raise InvalidInput(f"{where}release_to needs distribution `release` or `national`",
                           details=[{"field": "release_to"}])
    if distribution == "release" and not release_to:
        raise InvalidInput(f"{where}distribution `release` needs at least one agency in release_to",
                           details=[{"field": "release_to"}])
    for code in release_to:
        if not names.is_name(code, names.AGENCY_CODE_LENGTH):  # a look-alike never reaches the lookup
            raise InvalidInput(f"{where}invalid agency code {code!r}: use ASCII letters, digits, - and _",
                               details=[{"field": "release_to"}])
        agency = session.get(Agency, code)
        if agency is None:
            raise InvalidInput(f"{where}unknown agency {code!r} in release_to", details=[{"field": "release_to"}])
        check_reachable(agency, field="release_to", where=where)
        if code == actor.agency:
            raise InvalidInput(f"{where}cannot release to one's own agency", details=[{"field": "release_to"}])
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None or case_id not in actor.case_ids or case.owner_agency != actor.agency:
            raise InvalidInput(f"{where}unknown case {case_id!r}", details=[{"field": "case_id"}])
    return marking_rank


def check_references(session: Session, actor: Actor, values: Iterable[CleanValue], known: set[str],
                     where: str = "") -> None:
    """Entity-typed values must name an entity the actor may see (or one being created with it)."""
    wanted = {v.value: v for v in values if v.prop.type.name == "entity" and v.value not in known}
    if not wanted:
        return
    found = visible_entity_ids(session, actor, wanted)
    for ref, value in wanted.items():
        if ref not in found:
            raise InvalidInput(
                f"{where}property {value.prop.name!r} of {value.prop.schema.name}: entity {ref!r} not found",
                details=[{"field": f"properties.{value.prop.name}"}],
            )


def statement_rows(
    actor: Actor, entity_id: str, schema: str, values: Iterable[CleanValue], *, marking: str, marking_rank: int,
    distribution: str = "inherit", origin: str | None = None, now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Rows for the statements table."""
    now = now or utcnow()
    return [
        {
            "entity_id": entity_id,
            "schema": schema,
            "prop": v.prop.name,
            "prop_type": v.prop.type.name,
            "value": v.value,
            "original_value": v.original,
            "lang": None,
            "dataset": actor.agency,
            "origin": origin,
            "owner_agency": actor.agency,
            "distribution": distribution,
            "marking": marking,
            "marking_rank": marking_rank,
            "created_by": actor.user_id,
            "created_at": now,
        }
        for v in values
    ]


def _new_statement_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new statements, taken before the insert so that one plain executemany (no
    RETURNING, no ORM bookkeeping) writes them: the difference is minutes on a large import."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(
            text("SELECT nextval(pg_get_serial_sequence('statements', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        ).scalars())
    # SQLite transactions take the write lock at BEGIN (db.make_engine): no one else inserts meanwhile.
    last = session.execute(select(func.max(Statement.id))).scalar() or 0
    return list(range(last + 1, last + count + 1))


def insert_statements(session: Session, rows: list[dict[str, Any]], written: Written) -> None:
    """Insert statements and the search terms and discovery selectors derived from them; hash the rows
    into `written`, which the write's audit entry carries."""
    if not rows:
        return
    # In ascending order, as the write's hash takes the rows (integrity.Written)
    ids = sorted(_new_statement_ids(session, len(rows)))
    for sid, row in zip(ids, rows, strict=True):
        row["id"] = sid
    session.execute(insert(cast(Table, Statement.__table__)), rows)
    written.add(rows)
    term_rows = [
        {"statement_id": row["id"], "entity_id": row["entity_id"], "term": term, "owner_agency": row["owner_agency"],
         "distribution": row["distribution"], "marking_rank": row["marking_rank"]}
        for row in rows
        for term in terms.terms_of(row["prop_type"], row["value"])
    ]
    if term_rows:
        # Locked (FOR NO KEY UPDATE, which the statements' foreign keys do not conflict with), so that a
        # release widening the entity meanwhile waits for these terms, or they for it.
        entities = {
            r.id: r for r in session.execute(
                select(Entity.id, Entity.owner_agency, Entity.owner_country, Entity.distribution, Entity.case_id,
                       Entity.marking_rank)
                .where(Entity.id.in_({row["entity_id"] for row in rows})).with_for_update(key_share=True)
            )
        }
        for term_row in term_rows:
            entity = entities[term_row["entity_id"]]
            term_row.update(entity_owner_agency=entity.owner_agency, entity_owner_country=entity.owner_country,
                            entity_distribution=entity.distribution, case_id=entity.case_id,
                            # the stricter of the value's and the entity's marking: the term's rule needs no other
                            marking_rank=max(term_row["marking_rank"], entity.marking_rank))
        session.execute(insert(cast(Table, SearchTerm.__table__)), term_rows)
    selectors.index_statements(session, rows, ids)


def release_rows(actor: Actor, entity_id: str, to: list[str], until: datetime | None) -> list[dict[str, Any]]:
    """Rows for the releases table."""
    now = utcnow()
    return [
        {"owner_agency": actor.agency, "entity_id": entity_id, "case_id": None, "to_agency": code,
         "until": until, "created_by": actor.user_id, "created_at": now}
        for code in dict.fromkeys(to)
    ]


def create(*, session: Session, actor: Actor, data: EntityCreate) -> EntityRead:
    """Record a new entity owned by the actor's agency (and release it if asked)."""
    require(actor, "entity.create")
    schema = check_schema(data.schema_)
    values = check_properties(schema, data.properties)
    marking_rank = check_policy(session, actor, distribution=data.distribution, marking=data.marking,
                                release_to=data.release_to, case_id=data.case_id)
    if data.release_until is not None and data.release_until <= utcnow():
        raise InvalidInput("`release_until` is in the past", details=[{"field": "release_until"}])
    check_references(session, actor, values, set())
    entity_id = f"{namespace(actor.agency)}.{uuid.uuid4().hex}"
    entity = Entity(
        id=entity_id, schema=schema.name, owner_agency=actor.agency, owner_country=actor.country,
        distribution=data.distribution, marking=data.marking, marking_rank=marking_rank, case_id=data.case_id,
        created_by=actor.user_id,
    )
    session.add(entity)
    session.flush()
    written = Written()
    insert_statements(session, statement_rows(actor, entity_id, schema.name, values, marking=data.marking,
                                              marking_rank=marking_rank, origin="api"), written)
    audit.record(session, action="entity.create", actor=actor, objects=[(entity_id, actor.agency)],
                 extra=written.extra())
    if data.release_to:
        session.execute(insert(Release), release_rows(actor, entity_id, data.release_to, data.release_until))
        audit.record(session, action="release.create", actor=actor, objects=[(entity_id, actor.agency)],
                     extra={"to": sorted(set(data.release_to))})
    return assemble(session, actor, [entity])[0]


def read(*, session: Session, actor: Actor, entity_id: str) -> EntityRead:
    """One entity as the viewer may see it; the read is audited."""
    entity = access_entity_row(session, actor, entity_id, "entity.read")
    audit.record(session, action="entity.read", actor=actor, objects=[(entity.id, entity.owner_agency)])
    return assemble(session, actor, [entity])[0]


def update(*, session: Session, actor: Actor, entity_id: str, patch: EntityPatch) -> EntityRead:
    """Add and remove values of an entity the actor's agency owns."""
    entity = access_entity_for_change(session, actor, entity_id, "entity.update")
    schema = check_schema(entity.schema)
    added = check_properties(schema, patch.add)
    removed = check_properties(schema, patch.remove)
    marking = patch.marking or entity.marking
    marking_rank = rank(marking)
    if marking_rank < entity.marking_rank:
        raise InvalidInput("a value's marking cannot be below its entity's", details=[{"field": "marking"}])
    if marking_rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance", details=[{"field": "marking"}])
    distribution = patch.distribution or "inherit"
    if distribution not in ("inherit", "agency"):
        raise InvalidInput("a value's distribution is `agency` or left out", details=[{"field": "distribution"}])
    if not added and not removed:
        raise InvalidInput("nothing to change: give `add` or `remove`", details=[{"field": "add"}])
    check_references(session, actor, added, set())
    now = utcnow()
    removed_rows: list[Statement] = []
    # A value named twice is removed once (its first pass takes every copy; the second found none).
    for value in {(v.prop.name, v.value): v for v in removed}.values():
        live = session.execute(
            select(Statement).where(
                Statement.entity_id == entity.id, Statement.prop == value.prop.name,
                Statement.value == value.value, Statement.deleted_at.is_(None),
                visible_values(actor, Statement),
            )
        ).scalars().all()
        if not live:
            raise InvalidInput(f"property {value.prop.name!r} has no value {value.value!r}",
                               details=[{"field": f"remove.{value.prop.name}"}])
        for stmt in live:
            stmt.deleted_at = now
        removed_rows += live
        # The statement stays for the record; its search terms go, so a search never matches it.
        session.execute(sql_delete(SearchTerm).where(SearchTerm.statement_id.in_([stmt.id for stmt in live])))
    # The removed rows (older, so lower ids) come first in the hash, then the new ones.
    written = Written()
    written.add(sorted((integrity.orm_row(stmt) for stmt in removed_rows), key=lambda row: row["id"]))
    insert_statements(session, statement_rows(actor, entity.id, entity.schema, added, marking=marking,
                                              marking_rank=marking_rank, distribution=distribution,
                                              origin="api", now=now), written)
    entity.updated_at = now
    session.flush()
    audit.record(session, action="entity.update", actor=actor, objects=[(entity.id, entity.owner_agency)],
                 extra={"added": len(added), "removed": len(removed), **written.extra()})
    return assemble(session, actor, [entity])[0]


def delete(*, session: Session, actor: Actor, entity_id: str) -> None:
    """Tombstone an entity: it disappears from every view; its statements stay for the record."""
    entity = access_entity_for_change(session, actor, entity_id, "entity.delete")
    entity.deleted_at = utcnow()
    session.flush()
    audit.record(session, action="entity.delete", actor=actor, objects=[(entity.id, entity.owner_agency)])


def _search_filter(actor: Actor, q: str, dialect: str, prefix_chars: int) -> Any:
    words, key = terms.query_terms(q)
    if not words and not key:
        raise InvalidInput("search text has no letters or digits", details=[{"field": "q"}])

    def has(term: str) -> Any:
        # A term exists only for a live value and carries the value's policy (SearchTerm). A short
        # term matches whole terms only: as a prefix, one letter reads a twenty-sixth of the index.
        match = (terms.prefix_match(SearchTerm.term, term, dialect) if len(term) >= prefix_chars
                 else SearchTerm.term == term)
        return exists(
            select(SearchTerm.id)
            .where(
                SearchTerm.entity_id == Entity.id,
                match,
                visible_values(actor, SearchTerm),
            )
        )

    by_words = and_(*[has(w) for w in words]) if words else None
    by_key = has(key) if key and (len(words) != 1 or key != words[0]) else None
    options = [f for f in (by_words, by_key) if f is not None]
    return or_(*options) if len(options) > 1 else options[0]


def matching(session: Session, actor: Actor, *, schema: str | None = None, q: str | None = None,
             agency: str | None = None, marking: str | None = None) -> Select[*tuple[Any, ...]]:
    """The entities (their columns) the actor may see, of one schema, owner agency or marking, or
    matching `q`: the query of a list, and of an export of its results."""
    if schema is not None:
        check_schema(schema)
    query: Select[*tuple[Any, ...]] = select(*ENTITY_COLUMNS).where(live_and_visible(actor, Entity))
    if schema:
        query = query.where(Entity.schema == schema)
    if agency:
        query = query.where(Entity.owner_agency == agency)
    if marking:
        query = query.where(Entity.marking_rank == rank(marking))
    if q:
        query = query.where(_search_filter(actor, q, session.get_bind().dialect.name,
                                           get_settings().search_prefix_chars))
    return query


def list_entities(
    *, session: Session, actor: Actor, schema: str | None = None, q: str | None = None, limit: int | None = None,
    cursor: str | None = None, agency: str | None = None, marking: str | None = None,
) -> tuple[list[EntityRead], str | None]:
    """A page of the entities the actor may see, by id, optionally of one schema, owner agency or
    marking, or matching `q`."""
    require(actor, "entity.list")
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    query = matching(session, actor, schema=schema, q=q, agency=agency, marking=marking)
    page, next_cursor = pagination.keyset(session, query, Entity.id, limit=limit, cursor=cursor,
                                          secret=settings.signing_secret(), scalars=False)
    extra: dict[str, Any] = {"schema": schema, "page": len(page)}
    if agency or marking:
        extra["filter"] = {"agency": agency, "marking": marking}
    if q:
        extra["q_sha256"] = hashlib.sha256(q.encode()).hexdigest()
    audit.record(session, action="entity.list", actor=actor, objects=[(e.id, e.owner_agency) for e in page],
                 extra=extra)
    return assemble(session, actor, page), next_cursor

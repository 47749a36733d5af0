"""A record as a profile: its values in the schema's order, the records around it grouped by kind, the
people behind its relationships, a timeline of its dates and the places it has coordinates for.

Everything is built from what the viewer may see: the entity as `service.read` assembled it, the links
`links.linked` found (visible on both sides), and the other parties of its relationships, read through
the same policy. A group's count is the number of records in it, so it counts only those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from followthemoney.schema import Schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, live_and_visible
from binational.audit import log as audit
from binational.entities import links, service
from binational.entities.models import Entity
from binational.entities.schemas import (
    EntityRead,
    GroupRead,
    MomentRead,
    PlaceRead,
    ProfileRead,
    RelatedRead,
    ValueRead,
)
from binational.entities.service import assemble
from binational.vocabulary import model

#: date properties that describe the record's bookkeeping, not its story: kept out of the timeline
BOOKKEEPING_DATES = frozenset({"createdAt", "modifiedAt", "retrievedAt"})


@dataclass(frozen=True)
class Fact:
    """One property of the record with the values the viewer may see."""

    prop: str
    label: str
    type: str
    featured: bool
    values: list[ValueRead]


@dataclass(frozen=True)
class Related:
    """A record around this one: `entity` is what a reader follows (the other party of a relationship,
    or the linked record itself); `via` the relationship record between them, if any; `role` says how
    they are related (the relationship's role or kind, or the linking property's label)."""

    entity: EntityRead
    via: EntityRead | None
    role: str
    #: the linking property (of schema `prop_schema`) whose label `role` is; empty for a relationship's role
    prop_schema: str = ""
    prop: str = ""


@dataclass
class Group:
    """The related records of one kind (the schema of the relationship, or of the linked record)."""

    schema: str
    label: str
    items: list[Related] = field(default_factory=list)


@dataclass(frozen=True)
class Moment:
    """A dated fact: a date property of the record (`entity` None) or of a related record."""

    date: str
    label: str
    entity: EntityRead | None
    #: the date property (of schema `schema`) this is the value of
    schema: str = ""
    prop: str = ""


@dataclass(frozen=True)
class Place:
    """A point the record or a record linked to it has coordinates for."""

    latitude: float
    longitude: float
    entity: EntityRead


@dataclass
class Profile:
    """The record as a person reads it, from what the viewer may see."""

    entity: EntityRead
    facts: list[Fact]
    #: id -> caption of every record a value of the profile names (all visible to the viewer)
    captions: dict[str, str]
    groups: list[Group]
    timeline: list[Moment]
    places: list[Place]


def ordered(schema_name: str, props: Iterable[str]) -> list[tuple[str, str, str, bool]]:
    """(name, label, type, featured) of properties of a schema in the order a profile shows them: the
    schema's featured ones first, in its order, then the others by label."""
    schema = model.get(schema_name)
    names = list(dict.fromkeys(props))
    if schema is None:
        return [(p, p, "string", False) for p in sorted(names)]
    featured = [p for p in schema.featured if p in names]
    out = []
    for name in names:
        prop = schema.get(name)
        label, kind = (prop.label, prop.type.name) if prop is not None else (name, "string")
        out.append((name, label, kind, name in featured))
    return sorted(out, key=lambda p: (not p[3], featured.index(p[0]) if p[3] else 0, p[1].lower()))


def facts(entity: EntityRead) -> list[Fact]:
    """The record's properties with their values, in the order of `ordered`."""
    by_prop: dict[str, list[ValueRead]] = {}
    for value in entity.values:
        by_prop.setdefault(value.prop, []).append(value)
    return [Fact(name, label, kind, featured, by_prop[name])
            for name, label, kind, featured in ordered(entity.schema, by_prop)]


def _parties(schema: Schema) -> tuple[str, ...]:
    """The properties naming the two parties of a relationship schema (Membership: member, organization)."""
    if schema.edge and schema.source_prop is not None and schema.target_prop is not None:
        return (schema.source_prop.name, schema.target_prop.name)
    return ()


def _role(schema: Schema, record: EntityRead) -> str:
    for name in ("role", "relationship", "summary"):
        if schema.get(name) is not None and record.properties.get(name):
            return ", ".join(record.properties[name])
    return ""


def _visible(session: Session, actor: Actor, ids: set[str]) -> list[EntityRead]:
    if not ids:
        return []
    rows = session.execute(
        select(Entity).where(Entity.id.in_(sorted(ids)), live_and_visible(actor, Entity)).order_by(Entity.id)
    ).scalars().all()
    return assemble(session, actor, rows)


def _dates(entity: EntityRead, related: bool = False) -> list[tuple[str, str, str]]:
    """(date, label) of the record's dates; a related record's are labelled by its kind first (its
    plain `date` by its kind alone: "Border crossing", "Membership: Start date")."""
    schema = model.get(entity.schema)
    if schema is None:
        return []
    out = []
    for value in entity.values:
        prop = schema.get(value.prop)
        if prop is None or prop.type.name != "date" or prop.name in BOOKKEEPING_DATES:
            continue
        label = prop.label
        if related:
            label = schema.label if prop.name == "date" else f"{schema.label}: {prop.label}"
        out.append((value.value, label, prop.name))
    return out


def _point(entity: EntityRead) -> tuple[float, float] | None:
    try:
        lat = float(entity.properties["latitude"][0])
        lon = float(entity.properties["longitude"][0])
    except (KeyError, IndexError, ValueError):
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


def build(*, session: Session, actor: Actor, entity: EntityRead) -> Profile:
    """The profile of a record the viewer has read (`service.read`): reads of the records around it are
    audited (`entity.list`, as `links.linked` does)."""
    around = links.linked(session=session, actor=actor, entity=entity)
    own_schema = model.get(entity.schema)
    # The other parties of the relationships this record is a party to (a Membership naming it as
    # member: its organization), read through the policy like any record.
    wanted: dict[str, set[str]] = {}
    for link in around:
        schema = model.get(link.entity.schema)
        sides = _parties(schema) if schema is not None and link.direction == "in" else ()
        if link.prop in sides:
            wanted[link.entity.id] = {v for p in sides for v in link.entity.properties.get(p, []) if v != entity.id}
    others = {e.id: e for e in _visible(session, actor, set().union(*wanted.values()) if wanted else set())}
    if others:
        audit.record(session, action="entity.list", actor=actor,
                     objects=[(e.id, e.owner_agency) for e in others.values()], extra={"related_to": entity.id})
    groups: dict[str, Group] = {}
    seen: set[tuple[str, str | None, str]] = set()
    for link in around:
        schema = model.get(link.entity.schema)
        if schema is None:
            continue
        parties = [others[i] for i in sorted(wanted.get(link.entity.id, ())) if i in others]
        if parties:
            role = _role(schema, link.entity)
            for other in parties:
                if (other.id, link.entity.id, role) not in seen:
                    seen.add((other.id, link.entity.id, role))
                    groups.setdefault(schema.name, Group(schema.name, schema.plural)).items.append(
                        Related(other, link.entity, role))
            continue
        prop_schema = own_schema if link.direction == "out" else schema
        prop = prop_schema.get(link.prop) if prop_schema is not None else None
        role = prop.label if prop is not None else link.prop
        if (link.entity.id, None, role) not in seen:
            seen.add((link.entity.id, None, role))
            groups.setdefault(schema.name, Group(schema.name, schema.plural)).items.append(
                Related(link.entity, None, role, prop.schema.name if prop is not None else "", link.prop))
    timeline = [Moment(day, label, None, entity.schema, prop) for day, label, prop in _dates(entity)]
    dated_kinds = ("Interval", "Event")
    for link in around:
        schema = model.get(link.entity.schema)
        if schema is not None and any(schema.is_a(kind) for kind in dated_kinds):
            timeline += [Moment(day, label, link.entity, link.entity.schema, prop)
                         for day, label, prop in _dates(link.entity, related=True)]
    unique = {(m.date, m.label, m.entity.id if m.entity else ""): m for m in timeline}
    timeline = [unique[key] for key in sorted(unique)]
    places = []
    for record in [entity, *{link.entity.id: link.entity for link in around}.values()]:
        point = _point(record)
        if point is not None:
            places.append(Place(point[0], point[1], record))
    captions = {link.entity.id: link.entity.caption for link in around}
    return Profile(entity=entity, facts=facts(entity), captions=captions,
                   groups=sorted(groups.values(), key=lambda g: g.label.lower()), timeline=timeline,
                   places=places)


def read(*, session: Session, actor: Actor, entity_id: str) -> ProfileRead:
    """The profile of one record as the viewer may see it (the API's shape); every read is audited."""
    built = build(session=session, actor=actor, entity=service.read(session=session, actor=actor, entity_id=entity_id))
    return ProfileRead(
        entity=built.entity,
        groups=[GroupRead(g.schema, g.label, len(g.items), [
            RelatedRead(r.entity.id, r.entity.schema, r.entity.caption, r.entity.owner_agency, r.role,
                        r.via.id if r.via else None) for r in g.items]) for g in built.groups],
        timeline=[MomentRead(m.date, m.label, m.entity.id if m.entity else None) for m in built.timeline],
        places=[PlaceRead(p.latitude, p.longitude, p.entity.id, p.entity.caption) for p in built.places],
    )

"""What a viewer sees around one entity: the entities it names and those naming it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, live_and_visible, require, visible_values
from binational.audit import log as audit
from binational.entities.models import Entity, Statement
from binational.entities.schemas import EntityRead
from binational.entities.service import assemble
from binational.vocabulary import model

MAX_LINKS = 200


@dataclass(frozen=True)
class Link:
    """Another entity linked to this one through property `prop` of the entity that names the other."""

    prop: str
    direction: str  # "out": this entity names it; "in": it names this entity
    entity: EntityRead


def _visible_entities(session: Session, actor: Actor, ids: set[str]) -> list[Entity]:
    if not ids:
        return []
    return list(session.execute(
        select(Entity).where(Entity.id.in_(sorted(ids)), live_and_visible(actor, Entity))
        .order_by(Entity.id)
    ).scalars())


def linked(*, session: Session, actor: Actor, entity: EntityRead) -> list[Link]:
    """The entities linked to a visible entity, through values the viewer may see on both sides; audited."""
    require(actor, "entity.list")
    outgoing: dict[str, set[str]] = {}
    for value in entity.values:
        if value.value != entity.id and _is_reference(entity.schema, value.prop):
            outgoing.setdefault(value.value, set()).add(value.prop)
    incoming_rows = session.execute(
        select(Statement.entity_id, Statement.prop)
        .join(Entity, Entity.id == Statement.entity_id)
        .where(Statement.value == entity.id, Statement.prop_type == "entity", Statement.deleted_at.is_(None),
               visible_values(actor, Statement), live_and_visible(actor, Entity))
        .limit(MAX_LINKS)
    ).all()
    incoming: dict[str, set[str]] = {}
    for source, prop in incoming_rows:
        incoming.setdefault(source, set()).add(prop)
    found = {e.id: e for e in _visible_entities(session, actor, set(outgoing) | set(incoming))}
    views = {e.id: e for e in assemble(session, actor, list(found.values()))}
    links = [Link(prop, "out", views[i]) for i, props in outgoing.items() if i in views for prop in sorted(props)]
    links += [Link(prop, "in", views[i]) for i, props in incoming.items() if i in views for prop in sorted(props)]
    if views:
        audit.record(session, action="entity.list", actor=actor,
                     objects=[(e.id, e.owner_agency) for e in found.values()], extra={"linked_to": entity.id})
    return links


def _is_reference(schema: str, prop: str) -> bool:
    spec = model.get(schema)
    prop_spec = spec.get(prop) if spec else None
    return prop_spec is not None and prop_spec.type.name == "entity"

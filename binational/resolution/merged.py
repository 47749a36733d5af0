"""The resolved cluster of a record as one merged profile: every value of its members with the agencies
that hold it.

The members are those `service.clusters_of` finds for the viewer (records and verdicts it may see, matches
whose evidence stands on its values); each member is assembled from the statements the viewer may see,
as `entities.service.assemble` does for any record. Nothing the viewer may not see reaches the merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, live_and_visible, require
from binational.audit import log as audit
from binational.entities import service as entities
from binational.entities.models import Entity
from binational.entities.schemas import EntityRead
from binational.resolution import service


@dataclass
class MergedValue:
    """One value of the cluster and where it comes from."""

    value: str
    agencies: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class Merged:
    """The cluster's members (the record first) and their values merged, per property."""

    members: list[EntityRead]
    properties: dict[str, list[MergedValue]]
    #: id -> caption of the records the members' values name (all visible: `assemble` drops the others)
    captions: dict[str, str] = field(default_factory=dict)

    @property
    def agencies(self) -> list[str]:
        """The agencies holding a member."""
        return sorted({m.owner_agency for m in self.members})


def merge(members: list[EntityRead]) -> dict[str, list[MergedValue]]:
    """Values per property, each once, with the agencies and members that hold it (in members' order)."""
    out: dict[str, dict[str, MergedValue]] = {}
    for member in members:
        for value in member.values:
            merged = out.setdefault(value.prop, {}).setdefault(value.value, MergedValue(value.value))
            if value.agency not in merged.agencies:
                merged.agencies.append(value.agency)
            if member.id not in merged.members:
                merged.members.append(member.id)
    return {prop: list(values.values()) for prop, values in out.items()}


def merged_profile(*, session: Session, actor: Actor, entity: EntityRead) -> Merged | None:
    """The merged profile of the cluster of a record the viewer has read, or None when the viewer sees
    no other member; the cluster read and the members' reads are audited."""
    require(actor, "resolution.cluster.read")
    canonical = service.clusters_of(session, actor, [entity.id])
    audit.record(session, action="resolution.cluster.read", actor=actor, objects=[(entity.id, entity.owner_agency)],
                 extra={"members": sum(1 for c in canonical.values() if c == canonical.get(entity.id))})
    others = sorted(i for i, c in canonical.items() if entity.id in canonical and c == canonical[entity.id]
                    and i != entity.id)
    if not others:
        return None
    rows = session.execute(
        select(Entity).where(Entity.id.in_(others), live_and_visible(actor, Entity)).order_by(Entity.id)
    ).scalars().all()
    if not rows:
        return None
    audit.record(session, action="entity.list", actor=actor, objects=[(e.id, e.owner_agency) for e in rows],
                 extra={"cluster_of": entity.id})
    members = [entity, *entities.assemble(session, actor, rows)]
    return Merged(members=members, properties=merge(members), captions=_captions(session, actor, members))


def _captions(session: Session, actor: Actor, members: list[EntityRead]) -> dict[str, str]:
    """The captions of the records the members' values name (an address by its text), read through the
    policy; the read is audited."""
    named = {v.value for m in members for v in m.values if v.prop in entities.reference_props(m.schema)}
    if not named:
        return {}
    rows = session.execute(
        select(Entity).where(Entity.id.in_(sorted(named)), live_and_visible(actor, Entity))
    ).scalars().all()
    if rows:
        audit.record(session, action="entity.list", actor=actor, objects=[(e.id, e.owner_agency) for e in rows],
                     extra={"named_by_cluster_of": members[0].id})
    return {e.id: e.caption for e in entities.assemble(session, actor, rows)}

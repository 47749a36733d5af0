"""Whether a suggestion's evidence stands on the values a viewer may see.

A run compares every value of both records, as the system. Its score, match weight, driver and
level weights are what the viewer's own values would give exactly when the comparison rows built
from the values the viewer may see (`features.rows_by_kind`, the records' addresses included) equal
the rows built from all values, for both records. Then they are shown. Otherwise a value the viewer
may not see (a passport kept to its agency, a value above its clearance, an address it may not see)
moved the comparison, and the pair is at most a hit: the viewer learns that an agency holds a
match, as discovery would tell it, never which record, which value or how strong the evidence was.

"All values" are those the run could have read: live at some moment while it ran. A value removed
since still moved the run's score, so it counts as hidden; a value added since moved nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, live_and_visible, marking_answers_no_hit, visible_values
from binational.db import system_context
from binational.entities.models import Entity, Statement
from binational.resolution.features import Record, rows_by_kind
from binational.resolution.models import ResolutionRun

CHUNK = 500


@dataclass(frozen=True)
class Standing:
    """Of one record, for one viewer: whether its comparison row is the same on the viewer's values,
    and whether a value hidden from the viewer is marked TLP:RED (such a value never answers as a hit)."""

    same: bool
    hidden_red: bool


def _statements(session: Session, ids: list[str], run: ResolutionRun | None
                ) -> list[tuple[int, str, str, str, str, str, int]]:
    """(statement id, entity id, schema, owner, prop, value, marking rank) of the records `ids` that
    `run` could have read (without a run: the live ones)."""
    live: tuple[ColumnElement[bool], ...]
    if run is None:
        live = (Statement.deleted_at.is_(None),)
    else:
        began: datetime = run.started_at
        ended: datetime = run.finished_at or run.started_at
        live = (Statement.created_at <= ended, or_(Statement.deleted_at.is_(None), Statement.deleted_at > began))
    out: list[tuple[int, str, str, str, str, str, int]] = []
    for start in range(0, len(ids), CHUNK):
        out += [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(Statement.id, Statement.entity_id, Entity.schema, Entity.owner_agency, Statement.prop,
                   Statement.value, Statement.marking_rank)
            .join(Entity, Entity.id == Statement.entity_id)
            .where(Entity.id.in_(ids[start:start + CHUNK]), Entity.deleted_at.is_(None),
                   *live).order_by(Statement.id))]
    return out


def _seen(session: Session, actor: Actor, ids: list[str]) -> set[int]:
    """The ids of the statements of `ids` the viewer may see (on records it may see)."""
    out: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        out |= set(session.execute(
            select(Statement.id).join(Entity, Entity.id == Statement.entity_id)
            .where(Entity.id.in_(ids[start:start + CHUNK]), live_and_visible(actor, Entity),
                   Statement.deleted_at.is_(None), visible_values(actor, Statement))).scalars())
    return out


def _records(rows: Iterable[tuple[int, str, str, str, str, str, int]]) -> list[Record]:
    props: dict[str, dict[str, list[str]]] = {}
    heads: dict[str, tuple[str, str]] = {}
    for _sid, entity_id, schema, owner, prop, value, _rank in rows:
        heads[entity_id] = (schema, owner)
        props.setdefault(entity_id, {}).setdefault(prop, []).append(value)
    return [Record(i, heads[i][0], heads[i][1], props[i]) for i in heads]


def standing(session: Session, actor: Actor, entity_ids: Iterable[str], run: ResolutionRun | None
             ) -> dict[str, Standing]:
    """For each record of a resolvable kind in `entity_ids`: whether its comparison row is the same
    on the values `actor` may see now as on all the values `run` could read. Reads those as the
    system (to compare only; nothing of them is returned), then the ids of those the viewer may see."""
    ids = sorted(set(entity_ids))
    if not ids:
        return {}
    with system_context(session):
        rows = _statements(session, ids, run)
        addresses = sorted({r[5] for r in rows if r[4] == "addressEntity"} - set(ids))
        rows += _statements(session, addresses, run)
    seen = _seen(session, actor, ids + addresses)
    everything = {r["unique_id"]: r for kind in rows_by_kind(_records(rows)).values() for r in kind}
    theirs = {r["unique_id"]: r for kind in rows_by_kind(_records(x for x in rows if x[0] in seen)).values()
              for r in kind}
    hidden_red = {r[1] for r in rows if r[0] not in seen and marking_answers_no_hit(r[6])}
    refers: dict[str, set[str]] = {}
    for r in rows:
        if r[4] == "addressEntity":
            refers.setdefault(r[1], set()).add(r[5])
    return {
        entity_id: Standing(same=everything[entity_id] == theirs.get(entity_id),
                            hidden_red=bool(({entity_id} | refers.get(entity_id, set())) & hidden_red))
        for entity_id in ids if entity_id in everything
    }


def stands(found: dict[str, Standing], left: str, right: str) -> bool:
    """Whether a pair's stored evidence is what the viewer's values give (both records' rows unchanged)."""
    return all(i in found and found[i].same for i in (left, right))

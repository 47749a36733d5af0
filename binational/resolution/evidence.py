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
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, insert, not_, or_, select, union
from sqlalchemy.orm import Session, aliased

from binational.access.policy import (
    NO_ONE_SEES_ALL,
    Actor,
    live_and_visible,
    marking_answers_no_hit,
    sees_every_value,
    sum_up_values,
    visible_values,
)
from binational.db import system_context
from binational.entities.models import Entity, Statement
from binational.resolution import features
from binational.resolution.features import KIND_OF_SCHEMA, Record, rows_by_kind
from binational.resolution.models import RecordAddress, RecordValues, ResolutionRun, Suggestion

CHUNK = 500


@dataclass(frozen=True)
class Standing:
    """Of one record, for one viewer: whether its comparison row is the same on the viewer's values,
    and whether a value hidden from the viewer is marked TLP:RED (such a value never answers as a hit)."""

    same: bool
    hidden_red: bool


SAME = Standing(same=True, hidden_red=False)


def _readable(run: ResolutionRun | None) -> tuple[ColumnElement[bool], ...]:
    """The statements `run` could have read (without a run: the live ones)."""
    if run is None:
        return (Statement.deleted_at.is_(None),)
    began: datetime = run.started_at
    ended: datetime = run.finished_at or run.started_at
    return (Statement.created_at <= ended, or_(Statement.deleted_at.is_(None), Statement.deleted_at > began))


def _counts(session: Session, actor: Actor, ids: list[str], run: ResolutionRun | None
            ) -> tuple[dict[str, int], dict[str, int]]:
    """Per live record of `ids`: how many statements `run` could read, and how many of those the viewer
    sees (live, visible, on a record it may see; not written after the run ended). One pass, as the
    system (the viewer's count is the policy's filter as an expression: nothing else of the rows leaves)."""
    readable = and_(*_readable(run))
    sees = and_(readable, *_viewer_filter(actor, run))
    totals: dict[str, int] = {}
    seen: dict[str, int] = {}
    with system_context(session):
        for start in range(0, len(ids), CHUNK):
            for entity_id, every, visible_ones in session.execute(
                    select(Statement.entity_id, func.sum(case((readable, 1), else_=0)),
                           func.sum(case((sees, 1), else_=0)))
                    .join(Entity, Entity.id == Statement.entity_id)
                    .where(Entity.id.in_(ids[start:start + CHUNK]), Entity.deleted_at.is_(None))
                    .group_by(Statement.entity_id)):
                if every:
                    totals[entity_id], seen[entity_id] = int(every), int(visible_ones or 0)
    return totals, seen


def _layout(session: Session, ids: list[str], run: ResolutionRun | None
            ) -> tuple[dict[str, str], dict[str, set[str]]]:
    """As the system: the schema of each record of `ids` and the Address records each names."""
    live = _readable(run)
    schemata: dict[str, str] = {}
    named: dict[str, set[str]] = {}
    with system_context(session):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            schemata.update((i, schema) for i, schema in session.execute(
                select(Entity.id, Entity.schema).where(Entity.id.in_(chunk))))
            for entity_id, address in session.execute(
                    select(Statement.entity_id, Statement.value)
                    .where(Statement.entity_id.in_(chunk), Statement.prop == "addressEntity", *live)):
                named.setdefault(entity_id, set()).add(address)
    return schemata, named


def _viewer_filter(actor: Actor, run: ResolutionRun | None) -> tuple[ColumnElement[bool], ...]:
    """The statements the viewer sees that `run` could have read (a live one unless written after it ended)."""
    after = () if run is None else (Statement.created_at <= (run.finished_at or run.started_at),)
    return (live_and_visible(actor, Entity), Statement.deleted_at.is_(None), visible_values(actor, Statement), *after)


#: (run, record, the statements of it and of its addresses the viewer sees) -> its standing: what the
#: comparison decides, from the run's fixed statements and that set alone, for any viewer who sees that set
_KNOWN: dict[tuple[str, str, frozenset[int]], Standing] = {}
KNOWN_MAX = 200_000


def _statements(session: Session, ids: list[str], run: ResolutionRun | None, *, deleted: bool = False
                ) -> list[tuple[int, str, str, str, str, str, int]]:
    """(statement id, entity id, schema, owner, prop, value, marking rank) of the records `ids` that
    `run` could have read (without a run: the live ones); of records deleted since too if `deleted`."""
    live = _readable(run) + (() if deleted else (Entity.deleted_at.is_(None),))
    out: list[tuple[int, str, str, str, str, str, int]] = []
    for start in range(0, len(ids), CHUNK):
        out += [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(Statement.id, Statement.entity_id, Entity.schema, Entity.owner_agency, Statement.prop,
                   Statement.value, Statement.marking_rank)
            .join(Entity, Entity.id == Statement.entity_id)
            .where(Entity.id.in_(ids[start:start + CHUNK]), *live).order_by(Statement.id))]
    return out


def _records(rows: Iterable[tuple[int, str, str, str, str, str, int]]) -> list[Record]:
    props: dict[str, dict[str, list[str]]] = {}
    heads: dict[str, tuple[str, str]] = {}
    for _sid, entity_id, schema, owner, prop, value, _rank in rows:
        heads[entity_id] = (schema, owner)
        props.setdefault(entity_id, {}).setdefault(prop, []).append(value)
    return [Record(i, heads[i][0], heads[i][1], props[i]) for i in heads]


#: (run, record, viewer's clearance, viewer's agency, the Address records it names that the viewer sees)
#: -> the record's standing for such a viewer, while the viewer sees the record and none of the record's
#: or its addresses' statements the run could read has been deleted since: then the statements it sees
#: are those of the record and of those addresses that the statement-level rules (`visible_values`:
#: marking, and kept to the owner agency) admit for that clearance and agency, and the standing follows
#: from them and the run's statements, which do not change once the run has finished.
_BY_CLASS: dict[tuple[str, str, int, str, frozenset[str]], Standing] = {}
#: (run, record) -> the Address records it names among the statements the run could read
_NAMED: dict[tuple[str, str], frozenset[str]] = {}


def summarise(session: Session, run: ResolutionRun) -> int:
    """Write what `run` (finished) could read of each record of its suggestions (`RecordValues`,
    `RecordAddress`), as the system, in the run's own transaction; returns how many records."""
    ids = sorted(set(session.execute(union(select(Suggestion.left_id).where(Suggestion.run_id == run.id),
                                           select(Suggestion.right_id).where(Suggestion.run_id == run.id))
                                     ).scalars()))
    schemata, named = _layout(session, ids, run)
    places = {a for found in named.values() for a in found}
    involved = sorted(set(ids) | places)
    readable = _readable(run)
    read: dict[str, list[tuple[int, str, str]]] = {}
    place_values: dict[str, dict[str, list[str]]] = {}
    for start in range(0, len(involved), CHUNK):
        for entity_id, rank, distribution, owner, prop, value in session.execute(
                select(Statement.entity_id, Statement.marking_rank, Statement.distribution, Statement.owner_agency,
                       Statement.prop, Statement.value)
                .join(Entity, Entity.id == Statement.entity_id)
                .where(Entity.id.in_(involved[start:start + CHUNK]), Entity.deleted_at.is_(None), *readable)
                .order_by(Statement.id)):
            read.setdefault(entity_id, []).append((rank, distribution, owner))
            if entity_id in places:
                place_values.setdefault(entity_id, {}).setdefault(prop, []).append(value)
    places_read = {a: Record(a, "Address", "", found) for a, found in place_values.items()}
    values, addresses = [], []
    for i in ids:
        found = {i} | named.get(i, set())
        # a record or address with no value the run could read (gone, or never written): the
        # comparison decides, not this summary
        whole = found <= read.keys()
        rank, kept = sum_up_values(v for e in found for v in read[e]) if whole else (NO_ONE_SEES_ALL, None)
        values.append({"run_id": run.id, "entity_id": i, "values_rank": rank, "kept_agency": kept})
        person = KIND_OF_SCHEMA.get(schemata.get(i, "")) == "person"
        sole = _sole(named.get(i, set()), places_read) if person else set()
        addresses += [{"run_id": run.id, "entity_id": i, "address_id": a, "sole": a in sole}
                      for a in sorted(named.get(i, ()))]
    for rows, model in ((values, RecordValues), (addresses, RecordAddress)):
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(model), rows[start:start + CHUNK])
    return len(values)


def _sole(named: set[str], places: dict[str, Record]) -> set[str]:
    """The addresses of `named` whose key (on the values the run read) is in a person's comparison row
    and that no other address of `named` could give on any part of its values: a viewer who does not
    see such an address lacks that key in the person's row, whatever else it sees."""
    keys = {a: features.address_key(places[a]) for a in named if a in places}
    could = {a: features.possible_address_keys(places[a]) for a in named if a in places}
    return {a for a, key in keys.items()
            if key and not any(key in could.get(b, ()) or b not in places for b in named - {a})}


#: the Address records a summary names: one alias, so the policy's cached filters (`live_and_visible`,
#: keyed by actor and model) are built once per viewer, not once per request
_PLACE = aliased(Entity, name="place")


def seen_whole(actor: Actor, run: ResolutionRun, ids: Iterable[str] | None = None) -> Select[Any]:
    """The records of `run`'s suggestions (of `ids` only, if given) of which the viewer sees every value
    the run could read, and of the Address records they name: their comparison rows are the run's. From
    the run's summary (`summarise`) and the policy (`sees_every_value`, `live_and_visible` of the
    addresses), less any record a value of which, or of whose addresses, was removed since the run
    began or written while it ran (those the comparison decides). One uncorrelated set, for `IN`;
    evaluate as the system: removed values are the system's to see, and the viewer's rules are the
    expressions."""
    began: datetime = run.started_at
    ended: datetime = run.finished_at or run.started_at
    place = _PLACE
    changed = select(Statement.entity_id).where(or_(
        Statement.deleted_at > began, and_(Statement.created_at > began, Statement.created_at <= ended)))
    wanted: tuple[ColumnElement[bool], ...] = ()
    if ids is not None:
        wanted = (RecordAddress.entity_id.in_(sorted(set(ids))),)
    blocked = (select(RecordAddress.entity_id).join(place, place.id == RecordAddress.address_id, isouter=True)
               .where(RecordAddress.run_id == run.id, *wanted,
                      or_(place.id.is_(None), not_(live_and_visible(actor, place)),
                          RecordAddress.address_id.in_(changed))))
    query = select(RecordValues.entity_id).where(
        RecordValues.run_id == run.id, sees_every_value(actor, RecordValues),
        RecordValues.entity_id.not_in(changed), RecordValues.entity_id.not_in(blocked))
    return query if ids is None else query.where(RecordValues.entity_id.in_(sorted(set(ids))))


def _decided(session: Session, name: str, actor: Actor, run: ResolutionRun, ids: Iterable[str],
             found: Any) -> frozenset[str]:
    """Those of `ids` that `found(chunk)` (a query of ids, run as the system) returns, each id asked
    once per transaction (one request's unit of work) under `name`."""
    memo: dict[tuple[object, str, Actor], dict[str, bool]] = session.info.setdefault(name, {})
    key = (session.get_transaction(), run.id, actor)
    if len(memo) > 8:  # of transactions gone: a session lives for one unit of work, rarely more
        memo.clear()
    known, asked = memo.setdefault(key, {}), set(ids)  # read once: `ids` may be an iterator
    missing = sorted(asked - known.keys())
    if missing:
        with system_context(session):
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start:start + CHUNK]
                hits = set(session.execute(found(chunk)).scalars())
                known.update((i, i in hits) for i in chunk)
    return frozenset(i for i in asked if known[i])


def whole_records(session: Session, actor: Actor, run: ResolutionRun, ids: Iterable[str]) -> frozenset[str]:
    """Those of `ids` that the viewer sees and of which it sees every value `run` read (`seen_whole`)."""
    return _decided(session, "resolution_seen_whole", actor, run, ids, lambda chunk: select(Entity.id).where(
        Entity.id.in_(seen_whole(actor, run, chunk)), live_and_visible(actor, Entity)))


#: the persons a summary names: one alias, as `_PLACE`
_PERSON = aliased(Entity, name="person")


def fallen(actor: Actor, run: ResolutionRun, ids: Iterable[str] | None = None) -> Select[Any]:
    """The persons of `run`'s suggestions (of `ids` only, if given) that name, among the values the run
    read, an Address record whose key in their comparison row no other address they name could give
    (`RecordAddress.sole`), where that address is still an Address and the viewer may not see it
    (deleted since the run included: what the run read of it still moved the score): the run's row
    lists the key, the viewer's cannot (it sees a part of what the run read), so no pair of theirs
    stands for the viewer. One uncorrelated set, for `IN`; evaluate as the system, as `seen_whole`."""
    place, person = _PLACE, _PERSON
    persons = [schema for schema, kind in KIND_OF_SCHEMA.items() if kind == "person"]
    query = (select(RecordAddress.entity_id)
             .join(person, person.id == RecordAddress.entity_id).join(place, place.id == RecordAddress.address_id)
             .where(RecordAddress.run_id == run.id, RecordAddress.sole.is_(True), person.schema.in_(persons),
                    place.schema == "Address", not_(live_and_visible(actor, place))))
    return query if ids is None else query.where(RecordAddress.entity_id.in_(sorted(set(ids))))


def fallen_records(session: Session, actor: Actor, run: ResolutionRun | None, ids: Iterable[str]) -> frozenset[str]:
    """Those of `ids` no pair of which stands for the viewer in `run` (finished), by the run's summary
    (`fallen`)."""
    if run is None or run.finished_at is None:
        return frozenset()
    return _decided(session, "resolution_fallen", actor, run, ids,
                    lambda chunk: fallen(actor, run, chunk).distinct())


def standing(session: Session, actor: Actor, entity_ids: Iterable[str], run: ResolutionRun | None
             ) -> dict[str, Standing]:
    """For each record of a resolvable kind in `entity_ids`: whether its comparison row is the same
    on the values `actor` may see now as on all the values `run` could read. A record of which the
    viewer sees every value the run read is decided in SQL (`seen_whole`); the others by comparison
    (`_standing_now`), reused for a viewer of the same clearance and agency while nothing it rests on
    has changed (`_BY_CLASS`)."""
    ids = sorted(set(entity_ids))
    if not ids or run is None or run.finished_at is None:
        return _standing_now(session, actor, ids, run)
    seen = whole_records(session, actor, run, ids)
    whole = [i for i in ids if i in seen]
    rest = [i for i in ids if i not in seen]
    return {**dict.fromkeys(whole, SAME), **(_by_class(session, actor, rest, run) if rest else {})}


def _by_class(session: Session, actor: Actor, ids: list[str], run: ResolutionRun) -> dict[str, Standing]:
    """`_standing_now` of `ids` for a finished `run`, reused per viewer class (`_BY_CLASS`)."""
    if len(_BY_CLASS) > KNOWN_MAX or len(_NAMED) > KNOWN_MAX:
        _BY_CLASS.clear()
        _NAMED.clear()
    missing = [i for i in ids if (run.id, i) not in _NAMED]
    if missing:
        _, named = _layout(session, missing, run)
        _NAMED.update({(run.id, i): frozenset(named.get(i, ())) for i in missing})
    addresses = {i: _NAMED[(run.id, i)] for i in ids}
    involved = sorted(set(ids) | {a for found in addresses.values() for a in found})
    began: datetime = run.started_at
    seen: set[str] = set()
    touched: set[str] = set()
    for start in range(0, len(involved), CHUNK):
        chunk = involved[start:start + CHUNK]
        seen.update(session.execute(select(Entity.id).where(Entity.id.in_(chunk), live_and_visible(actor, Entity)))
                    .scalars())
        with system_context(session):  # deleted since the run began: the viewer no longer sees what it read
            touched.update(session.execute(select(Statement.entity_id).where(
                Statement.entity_id.in_(chunk), Statement.deleted_at > began).distinct()).scalars())
    out: dict[str, Standing] = {}
    steady: dict[str, tuple[str, str, int, str, frozenset[str]]] = {}
    for i in ids:
        if i in seen and not ({i} | addresses[i]) & touched:
            key = (run.id, i, actor.clearance_rank, actor.agency, frozenset(addresses[i] & seen))
            known = _BY_CLASS.get(key)
            if known is not None:
                out[i] = known
                continue
            steady[i] = key
    rest = [i for i in ids if i not in out]
    if rest:
        found = _standing_now(session, actor, rest, run)
        out.update(found)
        _BY_CLASS.update({key: found[i] for i, key in steady.items() if i in found})
    return out


def _standing_now(session: Session, actor: Actor, entity_ids: Iterable[str], run: ResolutionRun | None
                  ) -> dict[str, Standing]:
    """For each record of a resolvable kind in `entity_ids`: whether its comparison row is the same
    on the values `actor` may see now as on all the values `run` could read. Reads those as the
    system (to compare only; nothing of them is returned), then those the viewer may see.

    A record whose every statement (and every statement of the Address records it names) the viewer
    sees is unchanged for it, with nothing to build: the statements are counted, the run's and the
    viewer's. For the others, what the comparison decided for the same statements seen is reused
    (a finished run's statements do not change: the set the viewer sees decides); the rest are built."""
    ids = sorted(set(entity_ids))
    if not ids:
        return {}
    schemata, named = _layout(session, ids, run)
    totals, seen_counts = _counts(session, actor, sorted(set(ids) | {a for f in named.values() for a in f}), run)
    whole = {i for i, n in totals.items() if seen_counts.get(i) == n}
    candidates = [i for i in ids if i in totals and schemata.get(i) in KIND_OF_SCHEMA]
    out = {i: SAME for i in candidates if i in whole and named.get(i, set()) <= whole}
    partial = [i for i in candidates if i not in out]
    if not partial:
        return out
    involved = sorted(set(partial) | {a for i in partial for a in named.get(i, set())})
    seen_ids: dict[str, set[int]] = {}
    for start in range(0, len(involved), CHUNK):
        for sid, entity_id in session.execute(
                select(Statement.id, Statement.entity_id).join(Entity, Entity.id == Statement.entity_id)
                .where(Entity.id.in_(involved[start:start + CHUNK]), *_viewer_filter(actor, run))):
            seen_ids.setdefault(entity_id, set()).add(sid)
    keys: dict[str, tuple[str, str, frozenset[int]]] = {}
    build: list[str] = []
    for i in partial:
        key = None
        if run is not None and run.finished_at is not None:
            key = (run.id, i, frozenset(sid for e in {i} | named.get(i, set()) for sid in seen_ids.get(e, ())))
            known = _KNOWN.get(key)
            if known is not None:
                out[i] = known
                continue
            keys[i] = key
        build.append(i)
    if not build:
        return out
    with system_context(session):
        rows = _statements(session, build, run)
        addresses = sorted({r[5] for r in rows if r[4] == "addressEntity"} - set(build))
        # an address deleted since the run still moved its score: its values count, hidden from all
        rows += _statements(session, addresses, run, deleted=run is not None)
    seen = {sid for found in seen_ids.values() for sid in found}
    everything = {r["unique_id"]: r for kind in rows_by_kind(_records(rows)).values() for r in kind}
    theirs = {r["unique_id"]: r for kind in rows_by_kind(_records(x for x in rows if x[0] in seen)).values()
              for r in kind}
    hidden_red = {r[1] for r in rows if r[0] not in seen and marking_answers_no_hit(r[6])}
    refers: dict[str, set[str]] = {}
    for r in rows:
        if r[4] == "addressEntity":
            refers.setdefault(r[1], set()).add(r[5])
    if len(_KNOWN) > KNOWN_MAX:
        _KNOWN.clear()
    for entity_id in build:
        if entity_id not in everything:
            continue
        out[entity_id] = Standing(same=everything[entity_id] == theirs.get(entity_id),
                                  hidden_red=bool(({entity_id} | refers.get(entity_id, set())) & hidden_red))
        if entity_id in keys:
            _KNOWN[keys[entity_id]] = out[entity_id]
    return out


def stands(found: dict[str, Standing], left: str, right: str) -> bool:
    """Whether a pair's stored evidence is what the viewer's values give (both records' rows unchanged)."""
    return all(i in found and found[i].same for i in (left, right))

"""The network around one entity, read from its neighbourhood only, never from the whole graph.

From the centre, depth by depth, through what the viewer may see: the records that name a party
(link records, calls, events, identifications, ownerships), the objects a party names (addresses,
vehicles) and who else names them, the identifiers it holds (phones, documents, plates, through
discovery's selectors) and who else holds them, and the clusters of entity resolution over the
parties reached. Each depth reads only the statements of the entities it reaches; past
`limit` nodes the expansion stops with `OverLimit` before any further work.

`graph.build` then makes the network of what was read, exactly as it makes the whole graph's.
Where the neighbourhood reads less than the whole graph: a phone, document or plate is matched as
discovery matches it (its selector), and an address written as text (not an Address record) ties
two parties only when both are reached another way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, live_and_visible, visible_values
from binational.entities.models import Entity, Selector, Statement
from binational.errors import OverLimit
from binational.networks import graph
from binational.vocabulary import model

#: ids per IN list
CHUNK = 500
#: selector kinds that make shared-identifier links
IDENTIFIER_KINDS = ("phone", "document", "vehicle")
#: hops through records and objects that one tie between two parties may take (party -> Ownership ->
#: Vehicle -> Ownership -> party is the longest the graph draws)
HOPS = 4


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def is_party(schema: str) -> bool:
    """Whether entities of this schema are nodes (FtM `LegalEntity` and its descendants)."""
    spec = model.get(schema)
    return spec is not None and spec.is_a("LegalEntity")


@dataclass
class Neighbourhood:
    """What one expansion has read: entities (as `graph.build` takes them), their references, the
    parties reached and their canonical ids."""

    session: Session
    actor: Actor
    resolve: Callable[[list[str]], Mapping[str, str]]
    limit: int
    entities: dict[str, tuple[str, str, graph.Props]] = field(default_factory=dict)
    refs: dict[str, set[str]] = field(default_factory=dict)
    tried: set[str] = field(default_factory=set)
    parties: set[str] = field(default_factory=set)
    canonical: dict[str, str] = field(default_factory=dict)
    #: statements read, for tests and benchmarks that hold the expansion to its neighbourhood
    statements_read: int = 0

    def load(self, ids: Iterable[str]) -> None:
        """Read the visible statements the graph needs of the entities not read yet."""
        wanted = set(ids) - self.tried
        self.tried |= wanted
        for chunk in _chunks(wanted):
            rows = self.session.execute(
                select(Statement.entity_id, Entity.schema, Entity.owner_agency, Statement.prop, Statement.prop_type,
                       Statement.value, Statement.dataset)
                .join(Entity, Entity.id == Statement.entity_id)
                .where(Entity.id.in_(chunk), live_and_visible(self.actor, Entity),
                       Statement.deleted_at.is_(None), visible_values(self.actor, Statement),
                       Statement.prop_type.in_(graph.NEEDED_TYPES))
                .order_by(Statement.id)
            )
            for entity_id, schema, owner, prop, ptype, value, agency in rows:
                self.statements_read += 1
                self.entities.setdefault(entity_id, (schema, owner, {}))[2].setdefault(prop, []).append(
                    (value, agency))
                if ptype == "entity":
                    self.refs.setdefault(entity_id, set()).add(value)

    def referencing(self, ids: Iterable[str]) -> dict[str, set[str]]:
        """Target id -> the entities with a visible statement naming it."""
        found: dict[str, set[str]] = {}
        for chunk in _chunks(ids):
            rows = self.session.execute(
                select(Statement.value, Statement.entity_id)
                .join(Entity, Entity.id == Statement.entity_id)
                # the literal matches the partial index ix_statements_reference on every plan
                .where(Statement.value.in_(chunk), Statement.prop_type == literal_column("'entity'"),
                       Statement.deleted_at.is_(None), visible_values(self.actor, Statement),
                       live_and_visible(self.actor, Entity))
            )
            for target, source in rows:
                found.setdefault(target, set()).add(source)
        return found

    def _visible_statements(self, ids: Iterable[int]) -> set[int]:
        """Those of the statements `ids` the viewer may see, on records it may see (primary-key lookups)."""
        out: set[int] = set()
        items = sorted(set(ids))
        for start in range(0, len(items), CHUNK):
            out |= set(self.session.execute(
                select(Statement.id).join(Entity, Entity.id == Statement.entity_id)
                .where(Statement.id.in_(items[start:start + CHUNK]), Statement.deleted_at.is_(None),
                       visible_values(self.actor, Statement), live_and_visible(self.actor, Entity))).scalars())
        return out

    def same_identifiers(self, ids: Iterable[str]) -> set[str]:
        """Entities holding a visible phone, document or plate that one of `ids` holds visibly
        (an identifier held by more than `graph.MAX_SHARED` entities links nobody, so it is not followed).

        Selectors are read by their indexes alone and their statements checked by primary key after:
        joined in one query with the policy, PostgreSQL chose plans that scanned every selector."""
        mine: list[tuple[str, str, int]] = []
        for chunk in _chunks(ids):
            mine += [(k, v, sid) for k, v, sid in self.session.execute(
                select(Selector.kind, Selector.value, Selector.statement_id)
                .where(Selector.entity_id.in_(chunk), Selector.kind.in_(IDENTIFIER_KINDS)))]
        seen = self._visible_statements(sid for _k, _v, sid in mine)
        keys = {(k, v) for k, v, sid in mine if sid in seen}
        rows: list[tuple[str, str, str, int]] = []
        for kind in IDENTIFIER_KINDS:
            for chunk in _chunks({v for k, v in keys if k == kind}):
                rows += [(kind, v, e, sid) for v, e, sid in self.session.execute(
                    select(Selector.value, Selector.entity_id, Selector.statement_id)
                    .where(Selector.kind == kind, Selector.value.in_(chunk)))]
        seen = self._visible_statements(sid for *_x, sid in rows)
        holders: dict[tuple[str, str], set[str]] = {}
        for kind, value, entity_id, sid in rows:
            if sid in seen:
                holders.setdefault((kind, value), set()).add(entity_id)
        return {e for group in holders.values() if len(group) <= graph.MAX_SHARED for e in group}

    def same_addresses(self, ids: Iterable[str]) -> set[str]:
        """Address records with the same text as one of the Address records `ids` (visible texts)."""
        texts = {v for i in ids if self.entities.get(i, ("", "", {}))[0] == "Address"
                 for v, _a in self.entities[i][2].get("full", []) if len(v) <= 500}
        found: set[str] = set()
        for chunk in _chunks(texts):
            found |= set(self.session.execute(
                select(Statement.entity_id).join(Entity, Entity.id == Statement.entity_id)
                # the literals match the partial index ix_statements_address_text on every plan
                .where(Statement.value.in_(chunk), Statement.prop == literal_column("'full'"),
                       func.length(Statement.value) <= literal_column("500"), Statement.deleted_at.is_(None),
                       visible_values(self.actor, Statement), live_and_visible(self.actor, Entity))).scalars())
        return found

    def ties(self, start: set[str]) -> set[str]:
        """The parties tied to the parties `start` through records, objects and identifiers."""
        self.load(start)
        seen, frontier, found = set(start), set(start), set()
        for _ in range(HOPS):
            new: set[str] = set()
            for ref in {r for e in frontier for r in self.refs.get(e, ())}:
                new.add(ref)
            for target, sources in self.referencing(frontier).items():
                schema = self.entities.get(target, ("", "", {}))[0]
                if is_party(schema) or len(sources) <= graph.MAX_SHARED:  # a hub object links nobody
                    new |= sources
            new |= self.same_identifiers(frontier) | self.same_addresses(frontier)
            new -= seen
            if not new:
                break
            seen |= new
            self.load(new)
            new = {e for e in new if e in self.entities}
            objects = sorted(e for e in new if self.entities[e][0] in graph.OBJECTS)
            if objects:  # the same address or vehicle as another agency's record of it (resolution)
                twins = set(self.resolve(objects)) - seen
                seen |= twins
                self.load(twins)
                new |= {e for e in twins if e in self.entities}
            found |= {e for e in new if is_party(self.entities[e][0])}
            frontier = {e for e in new if not is_party(self.entities[e][0])}  # only objects and records lead on
        return found - start

    def reach(self, parties: set[str]) -> set[str]:
        """Add `parties` and the other members of their clusters; refuse past the node limit."""
        self.load(parties)
        parties = {p for p in parties if p in self.entities and is_party(self.entities[p][0])}
        mapping = self.resolve(sorted(parties))  # every member of the clusters of `parties`
        members = set(mapping)
        self.load(members)
        added = {p for p in parties | members if p in self.entities and is_party(self.entities[p][0])} - self.parties
        self.parties |= added
        self.canonical.update({p: mapping.get(p, p) for p in added})
        if len(set(self.canonical.values())) > self.limit:
            raise OverLimit(f"the network reaches more than {self.limit} nodes: choose a smaller depth or "
                            "fewer link types, or centre on another entity", action="network.view",
                            details=[{"field": "depth", "limit": self.limit}])
        return added

    def network(self) -> graph.Network:
        """The network of the parties reached and the records and objects read around them."""
        chosen = {i: e for i, e in self.entities.items() if not is_party(e[0]) or i in self.parties}
        objects = sorted(i for i, e in chosen.items() if i not in self.parties and e[0] in graph.OBJECTS)
        mapping = {**self.resolve(objects), **self.canonical} if objects else dict(self.canonical)
        return graph.build(chosen, canonical=lambda entity_id: mapping.get(entity_id, entity_id))


def expand(session: Session, actor: Actor, centre: str | set[str], depth: int, *, limit: int,
           resolve: Callable[[list[str]], Mapping[str, str]]) -> tuple[graph.Network, Neighbourhood]:
    """The network of the parties within `depth` ties of `centre` (and the ties among them), read
    from the neighbourhood only; `OverLimit` as soon as more than `limit` nodes are reached. Several
    centres are expanded together, each depth's reads in one pass for all of them."""
    hood = Neighbourhood(session, actor, resolve, limit)
    frontier = hood.reach({centre} if isinstance(centre, str) else set(centre))
    for _ in range(depth):
        frontier = hood.reach(hood.ties(frontier) - hood.parties)
        if not frontier:
            break
    hood.ties(frontier)  # the records and objects that tie the outermost parties to each other
    return hood.network(), hood

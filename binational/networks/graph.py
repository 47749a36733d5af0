"""The network a viewer may see, built only from the statements that viewer may see.

Nodes are parties (FtM `LegalEntity` and its descendants: Person, Organization, Company ...).
Links come from
- FtM link schemata with a source and a target (Associate, Family, Membership, Employment,
  Ownership, Payment, UnknownLink, Directorship ...), and from Call (caller, receiver);
- Event-like schemata (Trip, Event): every pair of the parties involved or organising;
- shared identifiers: the same phone, address, vehicle or document value held by two parties,
  directly (a Person's `phone`, `idNumber`) or through an object (an Address or a Vehicle entity
  linked to the party, a Passport whose holder it is).

Every link keeps its type, dates, the agencies whose statements make it, and the record it comes
from. Nodes pass through a `canonical` function (entity id -> canonical id, identity by default):
`load` gets it from entity resolution's clusters as the viewer may see them, so one person held by
two agencies becomes one node (and one address or vehicle, one shared identifier).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, live_and_visible, visible_values
from binational.entities.models import Entity, Statement
from binational.networks.engine import Simple
from binational.vocabulary import model

#: statement types the graph needs (names for captions, the rest for links and identifiers)
NEEDED_TYPES = ("entity", "date", "phone", "identifier", "address", "name")
#: an identifier shared by more parties than this (a registry office, a call centre) links nobody
MAX_SHARED = 25
EVENT_SCHEMATA = ("Trip", "Event")
#: objects parties share, the property that identifies each, and the kind of identifier it is
OBJECTS = {"Address": ("full", "address"), "Vehicle": ("registrationNumber", "vehicle"),
           "Vessel": ("imoNumber", "vehicle"), "Airplane": ("registrationNumber", "vehicle")}
SHARED = {"phone": "shared_phone", "address": "shared_address", "vehicle": "shared_vehicle",
          "document": "shared_document"}


@dataclass
class Node:
    """A party: its canonical id, schema, caption and the entity ids (and agencies) behind it."""

    id: str
    schema: str
    caption: str
    members: list[str] = field(default_factory=list)
    agencies: set[str] = field(default_factory=set)
    owners: dict[str, str] = field(default_factory=dict)  # entity id -> owner agency (for the audit)


@dataclass(frozen=True)
class Link:
    """One piece of evidence that two nodes are tied."""

    source: str
    target: str
    type: str
    agencies: tuple[str, ...]
    record: str | None = None
    start: date | None = None
    end: date | None = None
    via: str | None = None
    owner: str | None = None  # the agency that holds `record`

    def active(self, start: date | None, end: date | None) -> bool:
        """Whether the link's dates overlap [start, end] (an undated link overlaps nothing)."""
        if self.start is None:
            return False
        last = self.end or self.start
        return (start is None or last >= start) and (end is None or self.start <= end)


@dataclass
class Edge:
    """All links of one type between two nodes, aggregated: weight counts them (calls, meetings)."""

    source: str
    target: str
    type: str
    weight: int
    agencies: list[str]
    first: date | None
    last: date | None
    records: list[str]
    via: list[str]


@dataclass
class Network:
    """Nodes and the links between them, as one viewer may see them."""

    nodes: dict[str, Node]
    links: list[Link]

    def edges(self) -> list[Edge]:
        """Links aggregated by (pair, type)."""
        grouped: dict[tuple[str, str, str], list[Link]] = {}
        for link in self.links:
            a, b = sorted((link.source, link.target))
            grouped.setdefault((a, b, link.type), []).append(link)
        out = []
        for (a, b, kind), links in sorted(grouped.items()):
            dates = [d for x in links for d in (x.start, x.end) if d is not None]
            out.append(Edge(
                a, b, kind, len(links), sorted({g for x in links for g in x.agencies}),
                min(dates) if dates else None, max(dates) if dates else None,
                sorted({x.record for x in links if x.record}), sorted({x.via for x in links if x.via}),
            ))
        return out

    def keep(self, *, types: Iterable[str] | None = None, agencies: Iterable[str] | None = None,
             schemata: Iterable[str] | None = None, start: date | None = None, end: date | None = None,
             undated: bool = True) -> Network:
        """A filtered copy: link types, source agencies, node schemata and a time slice."""
        nodes = self.nodes
        if schemata:
            wanted = set(schemata)
            nodes = {k: n for k, n in nodes.items() if n.schema in wanted}
        links = [x for x in self.links if x.source in nodes and x.target in nodes]
        if types:
            kinds = set(types)
            links = [x for x in links if x.type in kinds]
        if agencies:
            codes = set(agencies)
            links = [replace(x, agencies=tuple(a for a in x.agencies if a in codes)) for x in links]
            links = [x for x in links if x.agencies]
        if start is not None or end is not None:
            links = [x for x in links if x.active(start, end) or (undated and x.start is None)]
        return Network(dict(nodes), links)

    def node_for(self, entity_id: str) -> str | None:
        """The node an entity belongs to (its resolved entity), or None."""
        if entity_id in self.nodes:
            return entity_id
        return next((key for key, node in self.nodes.items() if entity_id in node.members), None)

    def subgraph(self, ids: Iterable[str]) -> Network:
        """The nodes `ids` and the links among them."""
        keep = set(ids)
        return Network({k: n for k, n in self.nodes.items() if k in keep},
                       [x for x in self.links if x.source in keep and x.target in keep])

    def simple(self) -> tuple[list[str], Simple]:
        """Node ids in a stable order and the undirected graph on their indices (weight = links)."""
        ids = sorted(self.nodes)
        index = {k: i for i, k in enumerate(ids)}
        return ids, Simple.build(len(ids), ((index[x.source], index[x.target], 1.0) for x in self.links))


def normalise(kind: str, value: str) -> str:
    """The comparable form of an identifier: digits of a phone, letters and digits of the rest."""
    if kind == "phone":
        return re.sub(r"\D", "", value)[-10:]
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def _dates(props: dict[str, list[tuple[str, str]]]) -> tuple[date | None, date | None]:
    def parse(value: str) -> date | None:
        try:
            return date.fromisoformat(value[:10]) if len(value) >= 10 else date(int(value[:4]), 1, 1)
        except ValueError:
            return None

    starts = [d for p in ("date", "startDate") for v, _a in props.get(p, []) if (d := parse(v))]
    ends = [d for p in ("endDate", "date") for v, _a in props.get(p, []) if (d := parse(v))]
    return (min(starts), max(ends) if ends else min(starts)) if starts else (None, max(ends) if ends else None)


Props = dict[str, list[tuple[str, str]]]  # property -> [(value, agency)]


def load(session: Session, actor: Actor, *,
         resolve: Callable[[list[str]], Mapping[str, str]] | None = None) -> Network:
    """The whole network the actor may see: only visible entities and visible statements count.
    `resolve` maps the ids of parties and objects to their canonical ids (one call for all of them)."""
    rows = session.execute(
        select(Statement.entity_id, Entity.schema, Entity.owner_agency, Statement.prop, Statement.prop_type,
               Statement.value, Statement.dataset)
        .join(Entity, Entity.id == Statement.entity_id)
        .where(live_and_visible(actor, Entity), Statement.deleted_at.is_(None),
               visible_values(actor, Statement), Statement.prop_type.in_(NEEDED_TYPES))
    )
    entities: dict[str, tuple[str, str, Props]] = {}
    for entity_id, schema, owner, prop, _ptype, value, agency in rows:
        entities.setdefault(entity_id, (schema, owner, {}))[2].setdefault(prop, []).append((value, agency))
    mapping: Mapping[str, str] = {}
    if resolve is not None:
        mapping = resolve(sorted(i for i, (schema, _o, _p) in entities.items() if _resolvable(schema)))
    return build(entities, canonical=lambda entity_id: mapping.get(entity_id, entity_id))


def _resolvable(schema: str) -> bool:
    """Whether entities of this schema can be one with another: parties and the objects they share."""
    spec = model.get(schema)
    return spec is not None and (spec.is_a("LegalEntity") or schema in OBJECTS)


def build(entities: dict[str, tuple[str, str, Props]], *, canonical: Callable[[str], str] | None = None) -> Network:
    """The network of already-filtered entities: id -> (schema, owner agency, visible properties)."""
    canon = canonical or (lambda entity_id: entity_id)
    nodes: dict[str, Node] = {}
    node_of: dict[str, str] = {}
    for entity_id, (schema, owner, props) in sorted(entities.items()):
        spec = model.get(schema)
        if spec is None or not spec.is_a("LegalEntity"):
            continue
        key = canon(entity_id)
        names = [v for p in ("name", "alias") for v, _a in props.get(p, [])]
        node = nodes.setdefault(key, Node(key, schema, names[0] if names else f"{schema} {entity_id}"))
        node.members.append(entity_id)
        node.owners[entity_id] = owner
        node.agencies.update(a for values in props.values() for _v, a in values)
        node_of[entity_id] = key
    links: list[Link] = []
    holders: dict[tuple[str, str], dict[str, set[str]]] = {}  # (kind, value) -> node -> agencies

    def hold(kind: str, value: str, node: str, agency: str) -> None:
        if (norm := normalise(kind, value)):
            holders.setdefault((kind, norm), {}).setdefault(node, set()).add(agency)

    def object_keys(object_id: str) -> list[tuple[str, str]]:
        """The identifiers an object (Address, Vehicle ...) stands for: its id and its values."""
        schema, _owner, props = entities.get(object_id, ("", "", {}))
        prop, kind = OBJECTS.get(schema, ("", ""))
        if not kind:
            return []
        return [(kind, v) for v, _a in props.get(prop, [])] or [(kind, "id " + canon(object_id))]

    def tie_object(node: str, object_id: str, agency: str) -> None:
        for kind, value in object_keys(object_id):
            hold(kind, value, node, agency)

    for entity_id, (schema, owner, props) in sorted(entities.items()):
        spec = model.get(schema)
        if spec is None:
            continue
        if entity_id in node_of:
            me = node_of[entity_id]
            for prop, values in props.items():
                ptype = spec.properties[prop].type.name if prop in spec.properties else ""
                for value, agency in values:
                    if ptype == "phone":
                        hold("phone", value, me, agency)
                    elif ptype == "identifier":
                        hold("document", value, me, agency)
                    elif ptype == "address":
                        hold("address", value, me, agency)
                    elif ptype == "entity":
                        tie_object(me, value, agency)
            continue
        start, end = _dates(props)
        if spec.edge_source and spec.edge_target:
            for src, agency in props.get(spec.edge_source, []):
                for dst, _a in props.get(spec.edge_target, []):
                    a, b = node_of.get(src), node_of.get(dst)
                    if a and b:
                        links.append(Link(a, b, schema, (agency,), entity_id, start, end, owner=owner))
                    elif a:
                        tie_object(a, dst, agency)
                    elif b:
                        tie_object(b, src, agency)
        elif schema == "Call":
            for src, agency in props.get("caller", []):
                for dst, _a in props.get("receiver", []):
                    if (a := node_of.get(src)) and (b := node_of.get(dst)):
                        links.append(Link(a, b, "Call", (agency,), entity_id, start, end, owner=owner))
            for role, number in (("caller", "callerNumber"), ("receiver", "receiverNumber")):
                for party, agency in props.get(role, []):
                    if party in node_of:
                        for value, _a in props.get(number, []):
                            hold("phone", value, node_of[party], agency)
        elif schema in EVENT_SCHEMATA or spec.is_a("Event"):
            party_values = props.get("involved", []) + props.get("organizer", [])
            parties = sorted({(node_of[v], a) for v, a in party_values if v in node_of})
            for i, (a, agency) in enumerate(parties):
                for b, _x in parties[i + 1:]:
                    if a != b:
                        links.append(Link(a, b, schema, (agency,), entity_id, start, end, owner=owner))
                for vehicle, _x in props.get("vehicle", []):
                    tie_object(a, vehicle, agency)
        elif spec.is_a("Identification"):
            for holder, agency in props.get("holder", []):
                if holder in node_of:
                    for prop in ("number", "passportNumber"):
                        for value, _a in props.get(prop, []):
                            hold("document", value, node_of[holder], agency)
    for (kind, value), held in sorted(holders.items()):
        if len(held) < 2 or len(held) > MAX_SHARED:
            continue
        members = sorted(held)
        shown = value if not value.startswith("id ") else None
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                links.append(Link(a, b, SHARED[kind], tuple(sorted(held[a] | held[b])), None, None, None,
                                  f"{kind}: {shown}" if shown else kind))
    links = [x for x in links if x.source != x.target]
    return Network(nodes, _dedupe(links))


def _dedupe(links: list[Link]) -> list[Link]:
    """One shared-identifier link per pair and identifier, whatever object it was found through."""
    seen: set[tuple[str, str, str, str | None, str | None]] = set()
    out = []
    for x in links:
        key = (*sorted((x.source, x.target)), x.type, x.record, x.via)
        if x.record is None and key in seen:
            continue
        seen.add(key)  # type: ignore[arg-type]
        out.append(x)
    return out

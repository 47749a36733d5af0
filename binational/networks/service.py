"""Network analysis as a viewer may do it: every graph is built from what the viewer may see,
every analysis and every plan is audited, and an entity the viewer cannot see is a 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session, aliased

from binational.access.actions import Action, register
from binational.access.policy import Actor, live_and_visible, require, visible_values
from binational.audit import log as audit
from binational.config import get_settings
from binational.entities import service as entities
from binational.entities.models import Entity, Statement
from binational.errors import InvalidInput, OverLimit
from binational.networks import analysis, dismantle, engine, graph, neighbourhood
from binational.networks import export as exports
from binational.networks.graph import Network
from binational.networks.schemas import (
    EdgeRead,
    GraphRead,
    NodeRead,
    PlanRead,
    PlanRequest,
    Scope,
    SensitivityRead,
    TargetRead,
)
from binational.resolution import service as resolution
from binational.vocabulary import model

register(Action("network.view", "record.view", "see the network of the entities one may see, and its measures"))
register(Action("network.plan", "record.view", "compute a disruption plan on the network one may see"))
register(Action("network.export", "record.view", "export the network one may see (GraphML, GEXF, FtM)"))


def canonical_ids(*, session: Session, actor: Actor, entity_ids: list[str]) -> dict[str, str]:
    """Entity id -> id of the resolved entity it belongs to, as this viewer may see it.

    Entity resolution's clusters (`resolution.service.canonical_ids`), derived only from the records,
    suggestions and judgements the viewer may see: two records merge into one node only for a
    viewer who sees both and the evidence that they are one. An unresolved id maps to itself.
    """
    return resolution.canonical_ids(session, actor, entity_ids)


def load(session: Session, actor: Actor) -> Network:
    """The viewer's whole network, the records of one resolved entity merged into one node."""
    return graph.load(session, actor,
                      resolve=lambda ids: canonical_ids(session=session, actor=actor, entity_ids=ids))


def _parties(session: Session, actor: Actor) -> int:
    """How many parties (future nodes, before resolution merges some) the viewer may see."""
    schemata = sorted(name for name, spec in model.schemata.items() if spec.is_a("LegalEntity"))
    return int(session.execute(select(func.count()).select_from(Entity).where(
        Entity.schema.in_(schemata), live_and_visible(actor, Entity))).scalar_one())


def link_types() -> list[str]:
    """Every type a link of the graph can have: FtM link schemata, calls, events, shared identifiers."""
    parties = [s for s in (model.get(name) for name in ("Person", "Organization", "Company")) if s is not None]

    def between_parties(schema: Any) -> bool:
        ends = [schema.get(schema.edge_source), schema.get(schema.edge_target)]
        return all(p is not None and p.range is not None and any(x.is_a(p.range) for x in parties) for p in ends)

    edges = {s.name for s in model.schemata.values()
             if s.edge_source and s.edge_target and not s.abstract and between_parties(s)}
    return sorted(edges | {"Call", *graph.EVENT_SCHEMATA}) + sorted(graph.SHARED.values())


def check_scope(scope: Scope) -> None:
    """Refuse a scope that makes no sense: depth outside 1..3 (with or without a centre), a time slice
    ending before it starts."""
    if not 1 <= scope.depth <= analysis.MAX_DEPTH:
        raise InvalidInput(f"depth must be between 1 and {analysis.MAX_DEPTH}", details=[{"field": "depth"}])
    if scope.start and scope.end and scope.start > scope.end:
        raise InvalidInput("time slice: start is after end", details=[{"field": "start"}])


def network(*, session: Session, actor: Actor, scope: Scope, action: str = "network.view",
            audit_it: bool = True) -> Network:
    """The viewer's network in `scope`; the entities and link records it shows are recorded as read.

    Around an entity, the network is read from the entity's neighbourhood only (`neighbourhood.expand`);
    without one, the whole network is built only when the viewer may see at most `network_max_nodes`
    parties. Past that bound the answer is `OverLimit` (422), audited as a refusal naming no record."""
    require(actor, action)
    check_scope(scope)
    limit = get_settings().network_max_nodes
    entity = entities.access_entity_row(session, actor, scope.entity, action) if scope.entity is not None else None
    try:
        if entity is not None:
            whole, _read = neighbourhood.expand(
                session, actor, entity.id, scope.depth, limit=limit,
                resolve=lambda ids: resolution.clusters_of(session, actor, ids))
        else:
            if _parties(session, actor) > limit:
                raise OverLimit(f"the network of everything you may see has more than {limit} nodes: "
                                "centre it on an entity", action=action, details=[{"field": "entity", "limit": limit}])
            whole = load(session, actor)
    except OverLimit as exc:
        exc.action = action
        # Recorded here for callers that answer the refusal themselves (the pages); when the refusal
        # reaches the unit of work instead, this entry is rolled back and the unit of work records it.
        audit.record(session, action=action, actor=actor, decision="deny", reason=exc.message,
                     extra=scope_extra(scope))
        raise
    center = whole.node_for(entity.id) if entity is not None else None
    net = whole.keep(types=scope.types or None, agencies=scope.agencies or None, schemata=scope.schemata or None,
                     start=scope.start, end=scope.end, undated=scope.undated)
    if entity is not None:
        if center is None or center not in net.nodes:
            raise InvalidInput(f"entity {scope.entity!r} is not a party of this network (or is filtered out)",
                               details=[{"field": "entity"}])
        net = analysis.ego(net, center, scope.depth)
    if audit_it:
        audit.record(session, action=action, actor=actor, objects=shown(net),
                     extra={"nodes": len(net.nodes), "links": len(net.links), **scope_extra(scope)})
    return net


def describe(net: Network, *, measures: bool = True) -> GraphRead:
    """A network as nodes and aggregated edges, with centralities and communities when `measures`."""
    edges = [EdgeRead(**vars(e)) for e in net.edges()]
    if not measures:
        return GraphRead(nodes=[NodeRead(id=n.id, schema_=n.schema, caption=n.caption, members=n.members,
                                         agencies=sorted(n.agencies)) for n in net.nodes.values()], edges=edges)
    scores = analysis.centrality(net)
    groups = analysis.communities(net)
    nodes = [
        NodeRead(id=n.id, schema_=n.schema, caption=n.caption, members=n.members, agencies=sorted(n.agencies),
                 degree=scores.degree[n.id], betweenness=scores.betweenness[n.id],
                 eigenvector=scores.eigenvector[n.id], core=scores.core[n.id], community=groups.labels[n.id])
        for n in net.nodes.values()
    ]
    return GraphRead(nodes=nodes, edges=edges, modularity=groups.modularity, betweenness_exact=scores.exact)


def export(*, session: Session, actor: Actor, scope: Scope, format: str) -> str:  # noqa: A002
    """The viewer's network in `scope` as GraphML, GEXF or FtM JSON lines (audited as an export)."""
    if format not in exports.FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(exports.FORMATS)}", details=[{"field": "format"}])
    net = network(session=session, actor=actor, scope=scope, action="network.export", audit_it=False)
    # An export names the records behind its links too (the FtM format writes them whole).
    audit.record(session, action="network.export", actor=actor, objects=shown(net),
                 extra={"nodes": len(net.nodes), "links": len(net.links), "format": format, **scope_extra(scope)})
    return exports.render(format, session=session, actor=actor, net=net)


def objects_of(net: Network, only: list[str] | None = None) -> list[tuple[str, str | None]]:
    """The entities behind nodes, with their owner agencies, for the audit log."""
    keys = net.nodes if only is None else only
    return [(entity_id, owner) for key in keys for entity_id, owner in sorted(net.nodes[key].owners.items())]


def shown(net: Network, only: list[str] | None = None) -> list[tuple[str, str | None]]:
    """What an answer of `net` (or of its nodes `only`) shows, for the audit log: the entities behind
    its nodes and the records behind the links among them."""
    keys = set(net.nodes if only is None else only)
    records = sorted({(x.record, x.owner) for x in net.links if x.record and x.source in keys and x.target in keys})
    return list(dict.fromkeys([*objects_of(net, only), *records]))


def scope_extra(scope: Scope) -> dict[str, object]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in scope.model_dump().items() if v not in (None, [], "")}


def access_node(*, session: Session, actor: Actor, net: Network, entity_id: str, action: str) -> str:
    """The node of an entity the viewer may see (404 otherwise); 422 if it is not in this network."""
    entity = entities.access_entity_row(session, actor, entity_id, action)
    key = net.node_for(entity.id)
    if key is None:
        raise InvalidInput(f"entity {entity_id!r} is not a party of this network (or is filtered out)",
                           details=[{"field": "entity"}])
    return key


def path(*, session: Session, actor: Actor, scope: Scope, source: str, target: str,
         weighted: bool = True) -> tuple[Network, list[str], float]:
    """A shortest path between two entities in the viewer's network (1/contacts as distance if weighted)."""
    net = network(session=session, actor=actor, scope=scope, audit_it=False)
    a = access_node(session=session, actor=actor, net=net, entity_id=source, action="network.view")
    b = access_node(session=session, actor=actor, net=net, entity_id=target, action="network.view")
    nodes, length = analysis.path(net, a, b, weighted=weighted)
    found = net.subgraph(nodes)
    audit.record(session, action="network.view", actor=actor, objects=shown(found),
                 extra={"analysis": "path", "weighted": weighted, **scope_extra(scope)})
    return found, nodes, length


def plan(*, session: Session, actor: Actor, request: PlanRequest) -> PlanRead:
    """A disruption plan for the viewer's network: decision support an analyst reviews; audited."""
    scope = request.scope
    if not scope.schemata:  # organisations are hubs of memberships, not people one can arrest
        scope = scope.model_copy(update={"schemata": ["Person"]})
    if request.method not in dismantle.METHODS:
        raise InvalidInput(f"unknown method {request.method!r}; choose one of {', '.join(dismantle.METHODS)}",
                           details=[{"field": "method"}])
    if scope.entity is None:
        net = network(session=session, actor=actor, scope=scope, action="network.plan", audit_it=False)
    else:  # the ego network of any party (an organisation too), then only the schemata one may target
        net = network(session=session, actor=actor, scope=scope.model_copy(update={"schemata": []}),
                      action="network.plan", audit_it=False).keep(schemata=scope.schemata)
    ids, g = net.simple()
    index = {k: i for i, k in enumerate(ids)}
    protected = sorted({index[access_node(session=session, actor=actor, net=net, entity_id=e, action="network.plan")]
                        for e in request.protected})
    result = run_plan(ids, g, budget=request.budget, method=request.method, protected=protected,
                      ties=request.ties, weighted=request.weighted, net=net)
    audit.record(session, action="network.plan", actor=actor,
                 objects=objects_of(net, [t.id for t in result.targets]),
                 extra={"method": result.method, "variant": result.variant, "budget": result.budget,
                        "robustness": round(result.robustness, 6), "nodes": result.nodes,
                        "protected": len(protected), **scope_extra(scope)})
    return result


def run_plan(ids: list[str], g: dismantle.Simple, *, budget: int | None, method: str, protected: list[int],
             ties: int, weighted: bool, net: Network | None = None) -> PlanRead:
    """Plan, compare with every method, measure tie sensitivity and explain each target (without a
    budget: `dismantle.default_budget` of the targetable nodes)."""
    targetable = g.n - len(protected)
    if budget is None:
        budget = dismantle.default_budget(targetable)
    if budget < 1 or budget > targetable:
        raise InvalidInput(f"budget must be between 1 and {targetable} (the nodes that may be targeted)",
                           details=[{"field": "budget"}])
    result = dismantle.plan(g, budget, method=method, protected=protected, weighted=weighted)
    large = g.n > engine.EXACT_BETWEENNESS_LIMIT
    if large and ties:
        result.notes.append(f"tie sensitivity skipped: over {engine.EXACT_BETWEENNESS_LIMIT} nodes")
        ties = 0
    compare = {}
    for other in dismantle.METHODS:
        if large and other != "degree" and other != method:
            continue
        p = result if other == method else dismantle.plan(g, budget, method=other, protected=protected,
                                                          weighted=weighted)
        compare[other] = {"robustness": round(p.robustness, 6), "final_lcc": round(p.curve[-1], 6)}
    sensitivity = None
    if ties:
        s = dismantle.tie_sensitivity(g, budget, method=method, protected=protected, runs=ties, weighted=weighted)
        sensitivity = SensitivityRead(runs=s.runs, final_lcc=[round(x, 6) for x in s.final_lcc],
                                      robustness=[round(x, 6) for x in s.robustness],
                                      frequency={ids[u]: share for u, share in s.frequency.items()})
    if net is None:
        net = Network({k: graph.Node(k, "", k) for k in ids},
                      [graph.Link(ids[u], ids[v], "edge", ()) for u, v in g.edges])
    scores = analysis.centrality(net)
    groups = analysis.communities(net)
    targets = [
        TargetRead(caption=net.nodes[t.id].caption, **vars(t))
        for t in analysis.explain(net, ids, result, scores, groups)
    ]
    return PlanRead(method=method, variant=result.variant, nodes=g.n, edges=len(g.edges), budget=budget,
                    robustness=round(result.robustness, 6), curve=[round(x, 6) for x in result.curve],
                    targets=targets, sensitivity=sensitivity, compare=compare, notes=result.notes)


#: organisations and communities the overview lists, and members shown per community
OVERVIEW_SIZE = 10
OVERVIEW_MEMBERS = 3


@dataclass(frozen=True)
class Party:
    """A party of the overview: the entity to centre the network on, and how many ties it has."""

    entity: str
    caption: str
    schema: str
    agency: str | None
    ties: int


@dataclass
class Overview:
    """Where the network page starts: the largest organisations and communities the viewer may see."""

    parties: int
    #: whether the whole network fits the node limit (then the page draws it, and its communities are the
    #: whole network's; else they are those of the ties of the largest organisations)
    whole: bool
    organisations: list[Party] = field(default_factory=list)
    #: (size, its best-connected members) per community, largest first
    communities: list[tuple[int, list[Party]]] = field(default_factory=list)


#: the organisations of the overview and the records naming them: one alias each, so the policy's cached
#: filters (`live_and_visible`, keyed by actor and model) are built once per viewer
_ORG, _HOLDER = aliased(Entity, name="org"), aliased(Entity, name="holder")


def _organisations(session: Session, actor: Actor) -> list[Party]:
    """The organisations named by the most records the viewer may see (through values it may see)."""
    schemata = sorted(name for name, spec in model.schemata.items()
                      if spec.is_a("LegalEntity") and not spec.is_a("Person"))
    org, holder = _ORG, _HOLDER
    # counted per organisation (a few hundred, each an index probe of the records naming it) rather than
    # grouped over every reference of the world, which the planners read whole to find those few
    ties = (select(func.count(func.distinct(Statement.entity_id))).join(holder, holder.id == Statement.entity_id)
            # the literal matches the partial index ix_statements_reference on every plan
            .where(Statement.value == org.id, Statement.prop_type == literal_column("'entity'"),
                   Statement.deleted_at.is_(None), visible_values(actor, Statement), live_and_visible(actor, holder))
            .correlate(org).scalar_subquery().label("ties"))
    counted = [(i, n) for i, n in session.execute(
        select(org.id, ties).where(org.schema.in_(schemata), live_and_visible(actor, org))
        .order_by(ties.desc(), org.id).limit(OVERVIEW_SIZE)).all() if n]
    rows = {e.id: e for e in session.execute(select(Entity).where(Entity.id.in_([i for i, _n in counted]))).scalars()}
    shown = {e.id: e for e in entities.assemble(session, actor, list(rows.values()))}
    return [Party(i, shown[i].caption, shown[i].schema, shown[i].owner_agency, n) for i, n in counted]


def _communities(net: Network) -> list[tuple[int, list[Party]]]:
    groups = analysis.communities(net)
    neighbours: dict[str, set[str]] = {key: set() for key in net.nodes}
    for link in net.links:
        neighbours[link.source].add(link.target)
        neighbours[link.target].add(link.source)
    members: dict[int, list[str]] = {}
    for key, label in groups.labels.items():
        members.setdefault(label, []).append(key)
    out = []
    for _label, keys in sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:OVERVIEW_SIZE]:
        if len(keys) < 2:
            break
        best = sorted(keys, key=lambda k: (-len(neighbours[k]), net.nodes[k].caption))[:OVERVIEW_MEMBERS]
        parties = []
        for k in best:
            node = net.nodes[k]
            parties.append(Party(node.members[0], node.caption, node.schema, node.owners.get(node.members[0]),
                                 len(neighbours[k])))
        out.append((len(keys), parties))
    return out


def _around(session: Session, actor: Actor, entity_ids: list[str]) -> Network:
    """The given organisations' own ties, where the communities of a network too large to build whole
    are looked for: the records the viewer may see that name them and the parties those records name
    (one hop; not the shared identifiers, addresses and objects a full neighbourhood follows, which on
    a large world reach thousands of parties), resolved into clusters, up to the node limit. Bounded by
    the organisations' sizes, whatever the size of the world."""
    hood = neighbourhood.Neighbourhood(session, actor, lambda ids: resolution.clusters_of(session, actor, ids),
                                       get_settings().network_max_nodes)
    try:
        hood.reach(set(entity_ids))
        naming = {e for sources in hood.referencing(entity_ids).values() for e in sources}
        hood.load(naming)
        named = {r for e in naming if e in hood.entities and not neighbourhood.is_party(hood.entities[e][0])
                 for r in hood.refs.get(e, ())}
        hood.load(named)
        hood.reach({e for e in naming | named if e in hood.entities and neighbourhood.is_party(hood.entities[e][0])})
    except OverLimit:  # past the node limit: the parties reached so far
        pass
    return hood.network()


def overview(*, session: Session, actor: Actor) -> Overview:
    """The largest organisations the viewer may see and the largest communities: of its whole network when
    that fits the node limit, else of those organisations' ties; audited as a `network.view` naming the
    parties shown."""
    require(actor, "network.view")
    parties = _parties(session, actor)
    found = Overview(parties=parties, whole=parties <= get_settings().network_max_nodes,
                     organisations=_organisations(session, actor))
    if found.whole:
        found.communities = _communities(load(session, actor))
    elif found.organisations:
        found.communities = _communities(_around(session, actor, [p.entity for p in found.organisations]))
    shown = [*found.organisations, *(p for _size, members in found.communities for p in members)]
    audit.record(session, action="network.view", actor=actor,
                 objects=list(dict.fromkeys((p.entity, p.agency) for p in shown)),
                 extra={"overview": True, "parties": parties})
    return found


def find_parties(*, session: Session, actor: Actor, q: str, limit: int = OVERVIEW_SIZE) -> list[Any]:
    """The parties (nodes of the network) whose names match `q`, as the entity search finds them for
    the viewer (audited by it)."""
    found, _after = entities.list_entities(session=session, actor=actor, q=q, limit=100)
    return [e for e in found if neighbourhood.is_party(e.schema)][:limit]

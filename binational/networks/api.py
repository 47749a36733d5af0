"""HTTP routes of network analysis: the viewer's graph, its measures, paths, ego networks, plans, exports."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from binational.networks import analysis, service
from binational.networks.schemas import (
    BrokerRead,
    CommunitiesRead,
    GraphRead,
    NodeRead,
    PathRead,
    PlanRead,
    PlanRequest,
    Scope,
)
from binational.routing import ActorDep, SessionDep

router = APIRouter(prefix="/networks", tags=["networks"])


def scope_query(
    entity: Annotated[str | None, Query(max_length=200, description="centre on this entity")] = None,
    depth: Annotated[int, Query(description="ties from the centre, 1..3")] = 2,
    schema: Annotated[list[str] | None, Query(description="only nodes of this schema (repeat)")] = None,
    type: Annotated[list[str] | None, Query(description="only links of this type (repeat)")] = None,  # noqa: A002
    agency: Annotated[list[str] | None, Query(description="only links recorded by this agency (repeat)")] = None,
    start: Annotated[date | None, Query(description="time slice start")] = None,
    end: Annotated[date | None, Query(description="time slice end")] = None,
    undated: Annotated[bool, Query(description="keep undated links in a time slice")] = True,
) -> Scope:
    """The scope of an analysis, from the query string."""
    return Scope(entity=entity, depth=depth, schemata=schema or [], types=type or [], agencies=agency or [],
                 start=start, end=end, undated=undated)


ScopeDep = Annotated[Scope, Depends(scope_query)]


@router.get("/graph")
def read_graph(s: SessionDep, actor: ActorDep, scope: ScopeDep,
               measures: Annotated[bool, Query(description="add centralities and communities")] = True) -> GraphRead:
    """The network the caller may see (all of it, or around `entity`), with its measures."""
    net = service.network(session=s, actor=actor, scope=scope)
    return service.describe(net, measures=measures)


@router.get("/ego/{entity_id}")
def read_ego(entity_id: str, s: SessionDep, actor: ActorDep, scope: ScopeDep) -> GraphRead:
    """The ego network of one entity to `depth` ties (at most 3); 404 if the caller cannot see it."""
    net = service.network(session=s, actor=actor, scope=scope.model_copy(update={"entity": entity_id}))
    return service.describe(net)


@router.get("/centrality")
def read_centrality(s: SessionDep, actor: ActorDep, scope: ScopeDep,
                    limit: Annotated[int, Query(ge=1, le=10000)] = 50) -> list[NodeRead]:
    """The most central nodes, by betweenness (1/contacts as distance)."""
    net = service.network(session=s, actor=actor, scope=scope)
    nodes = service.describe(net).nodes
    return sorted(nodes, key=lambda n: (-(n.betweenness or 0), -n.degree, n.id))[:limit]


@router.get("/communities")
def read_communities(s: SessionDep, actor: ActorDep, scope: ScopeDep,
                     resolution: Annotated[float, Query(gt=0, le=10)] = 1.0) -> CommunitiesRead:
    """Leiden communities and the brokers between them."""
    net = service.network(session=s, actor=actor, scope=scope)
    groups = analysis.communities(net, resolution=resolution)
    found = analysis.brokers(net, groups, analysis.centrality(net))
    return CommunitiesRead(modularity=groups.modularity, sizes=groups.sizes, labels=groups.labels,
                           brokers=[BrokerRead(caption=net.nodes[b.id].caption, **vars(b)) for b in found])


@router.get("/path")
def read_path(s: SessionDep, actor: ActorDep, scope: ScopeDep,
              source: Annotated[str, Query(max_length=200)], target: Annotated[str, Query(max_length=200)],
              weighted: Annotated[bool, Query(description="1/contacts as distance")] = True) -> PathRead:
    """A shortest path between two entities the caller may see."""
    found, order, length = service.path(session=s, actor=actor, scope=scope, source=source, target=target,
                                        weighted=weighted)
    described = service.describe(found, measures=False)
    by_id = {n.id: n for n in described.nodes}
    return PathRead(nodes=[by_id[k] for k in order], edges=described.edges,
                    length=None if not order else length, weighted=weighted)


@router.post("/plans")
def create_plan(body: PlanRequest, s: SessionDep, actor: ActorDep) -> PlanRead:
    """A disruption plan: targets in order, the largest-component curve, tie sensitivity, explanations."""
    return service.plan(session=s, actor=actor, request=body)


@router.get("/export", response_class=Response, responses={200: {"description": "the network", "content": {
    "application/graphml+xml": {}, "application/gexf+xml": {}, "application/x-ndjson": {}}}})
def export_graph(s: SessionDep, actor: ActorDep, scope: ScopeDep,
                 format: Annotated[str, Query(description="graphml | gexf | ftm")] = "graphml") -> Response:  # noqa: A002
    """The caller's network as GraphML, GEXF or FtM JSON lines."""
    body = service.export(session=s, actor=actor, scope=scope, format=format)
    media = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml", "ftm": "application/x-ndjson"}
    return Response(body, media_type=media[format])

"""`binational networks`: the viewer's network, its measures, exports, and disruption plans
(also on an outside CSV edge list)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from binational.audit import log as audit
from binational.clitools import fail, work
from binational.errors import DomainError
from binational.networks import analysis, edgelist, export, service
from binational.networks.schemas import PlanRequest, Scope

app = typer.Typer(help="Network analysis: graph, measures, paths, exports and disruption plans.",
                  no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]
Entity = Annotated[str | None, typer.Option(help="centre on this entity (ego network)")]
Depth = Annotated[int, typer.Option(help="ties from the centre, 1..3")]
Schemata = Annotated[list[str] | None, typer.Option("--schema", help="only nodes of this schema (repeat)")]
Types = Annotated[list[str] | None, typer.Option("--type", help="only links of this type (repeat)")]
Agencies = Annotated[list[str] | None, typer.Option("--agency", help="only links of this agency (repeat)")]
Start = Annotated[str | None, typer.Option(help="time slice start, YYYY-MM-DD")]
End = Annotated[str | None, typer.Option(help="time slice end, YYYY-MM-DD")]


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _scope(entity: str | None, depth: int, schema: list[str] | None, type_: list[str] | None,
           agency: list[str] | None, start: str | None, end: str | None) -> Scope:
    return Scope(entity=entity, depth=depth, schemata=schema or [], types=type_ or [], agencies=agency or [],
                 start=_date(start, "start"), end=_date(end, "end"))


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


@app.command()
def dismantle(
    edges: Annotated[Path | None, typer.Argument(help="CSV edge list source,target[,weight]; omit for the database")]
    = None,
    budget: Annotated[int | None, typer.Option(help="how many targets (default: 5 % of the targetable nodes, 1 to 25)")]
    = None,
    method: Annotated[str, typer.Option(help="hybrid | betweenness | degree")] = "hybrid",
    protect: Annotated[list[str] | None, typer.Option("--protect", help="never target this node (repeat)")] = None,
    ties: Annotated[int, typer.Option(help="re-plans with random tie-breaking")] = 10,
    weighted: Annotated[bool, typer.Option(help="betweenness with 1/weight as distance")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="act as this user")] = None,
    entity: Entity = None, depth: Depth = 2, schema: Schemata = None, type_: Types = None,
    agency: Agencies = None, start: Start = None, end: End = None,
) -> None:
    """Recommend `budget` targets whose removal fragments the network most; prints JSON."""
    if edges is None:
        if as_user is None:
            raise fail("give an edge list file, or --as USER for the database network")
        request = PlanRequest(scope=_scope(entity, depth, schema, type_, agency, start, end), budget=budget,
                              method=method, protected=protect or [], ties=ties, weighted=weighted)
        with work(as_user) as (session, actor):
            assert actor is not None
            result = service.plan(session=session, actor=actor, request=request)
        _print({"order": [t.id for t in result.targets], **result.model_dump()})
        return
    if not edges.is_file():
        raise fail(f"{edges}: no such file")
    try:
        text = edges.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{edges}: not UTF-8 text") from None
    try:
        labels, graph = edgelist.parse(text, name=str(edges))
        index = {label: i for i, label in enumerate(labels)}
        missing = [p for p in protect or [] if p not in index]
        if missing:
            raise fail(f"--protect: node {missing[0]!r} is not in {edges}")
        if method not in service.dismantle.METHODS:
            raise fail(f"unknown method {method!r}; choose one of {', '.join(service.dismantle.METHODS)}")
        result = service.run_plan(labels, graph, budget=budget, method=method,
                                  protected=sorted(index[p] for p in protect or []), ties=ties, weighted=weighted)
    except DomainError as exc:
        raise fail(exc.message) from None
    with work(as_user) as (session, actor):  # the plan is audited in the node's log, like every plan
        audit.record(session, action="network.plan", actor=actor, objects=[],
                     extra={"source": "csv", "file": edges.name, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                            "method": method, "budget": budget, "robustness": result.robustness,
                            "nodes": result.nodes})
    _print({"order": [t.id for t in result.targets], **result.model_dump()})


@app.command()
def show(as_user: AsUser, entity: Entity = None, depth: Depth = 2, schema: Schemata = None, type_: Types = None,
         agency: Agencies = None, start: Start = None, end: End = None) -> None:
    """The network the user may see, with centralities and communities, as JSON."""
    scope = _scope(entity, depth, schema, type_, agency, start, end)
    with work(as_user) as (session, actor):
        assert actor is not None
        net = service.network(session=session, actor=actor, scope=scope)
        scores = analysis.centrality(net)
        groups = analysis.communities(net)
        found = analysis.brokers(net, groups, scores, limit=10)
    _print({
        "nodes": [{"id": n.id, "schema": n.schema, "caption": n.caption, "degree": scores.degree[n.id],
                   "betweenness": scores.betweenness[n.id], "core": scores.core[n.id],
                   "community": groups.labels[n.id]} for n in net.nodes.values()],
        "edges": [vars(e) for e in net.edges()],
        "modularity": groups.modularity,
        "brokers": [vars(b) for b in found],
    })


@app.command()
def path(source: str, target: str, as_user: AsUser,
         weighted: Annotated[bool, typer.Option(help="1/contacts as distance")] = True,
         schema: Schemata = None, type_: Types = None, agency: Agencies = None,
         start: Start = None, end: End = None) -> None:
    """A shortest path between two entities the user may see."""
    scope = _scope(None, 2, schema, type_, agency, start, end)
    with work(as_user) as (session, actor):
        assert actor is not None
        found, order, length = service.path(session=session, actor=actor, scope=scope, source=source,
                                            target=target, weighted=weighted)
    _print({"path": [{"id": k, "caption": found.nodes[k].caption} for k in order],
            "length": length if order else None, "edges": [vars(e) for e in found.edges()]})


@app.command("export")
def export_network(
    as_user: AsUser,
    format_: Annotated[str, typer.Option("--format", help="graphml | gexf | ftm")] = "graphml",
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    entity: Entity = None, depth: Depth = 2, schema: Schemata = None, type_: Types = None,
    agency: Agencies = None, start: Start = None, end: End = None,
) -> None:
    """Export the network the user may see."""
    if format_ not in export.FORMATS:
        raise fail(f"--format must be one of {', '.join(export.FORMATS)}")
    scope = _scope(entity, depth, schema, type_, agency, start, end)
    with work(as_user) as (session, actor):
        assert actor is not None
        net = service.network(session=session, actor=actor, scope=scope, action="network.export")
        text = export.render(format_, session=session, actor=actor, net=net)
    if out is None:
        typer.echo(text, nl=False)
    else:
        tmp = out.with_suffix(out.suffix + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        typer.echo(f"exported {len(net.nodes)} nodes to {out}", err=True)

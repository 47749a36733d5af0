"""Export a viewer's network: GraphML and GEXF for graph tools, FtM JSON lines for Aleph and friends."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from xml.etree import ElementTree as ET  # noqa: S405 - writing XML only, never parsing

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.entities import service as entities
from binational.entities.models import Entity
from binational.networks.graph import Network

FORMATS = ("graphml", "gexf", "ftm")
_NODE_KEYS = (("schema", "string"), ("caption", "string"), ("agencies", "string"), ("members", "string"))
_EDGE_KEYS = (("type", "string"), ("weight", "int"), ("agencies", "string"), ("first", "string"),
              ("last", "string"), ("records", "string"), ("via", "string"))


def _edge_values(edge: object) -> dict[str, str]:
    values = {}
    for key, _kind in _EDGE_KEYS:
        value = getattr(edge, key)
        values[key] = ";".join(value) if isinstance(value, list) else ("" if value is None else str(value))
    return values


def _node_values(node: object) -> dict[str, str]:
    return {"schema": node.schema, "caption": node.caption,  # type: ignore[attr-defined]
            "agencies": ";".join(sorted(node.agencies)), "members": ";".join(node.members)}  # type: ignore[attr-defined]


def graphml(net: Network) -> str:
    """GraphML: one undirected edge per (pair, link type), with its weight, dates and agencies."""
    root = ET.Element("graphml", xmlns="http://graphml.graphdrawing.org/xmlns")
    for scope, keys in (("node", _NODE_KEYS), ("edge", _EDGE_KEYS)):
        for name, kind in keys:
            ET.SubElement(root, "key", {"id": f"{scope[0]}_{name}", "for": scope, "attr.name": name,
                                        "attr.type": kind})
    g = ET.SubElement(root, "graph", id="network", edgedefault="undirected")
    for key in sorted(net.nodes):
        el = ET.SubElement(g, "node", id=key)
        for name, value in _node_values(net.nodes[key]).items():
            ET.SubElement(el, "data", key=f"n_{name}").text = value
    for i, edge in enumerate(net.edges()):
        el = ET.SubElement(g, "edge", id=f"e{i}", source=edge.source, target=edge.target)
        for name, value in _edge_values(edge).items():
            ET.SubElement(el, "data", key=f"e_{name}").text = value
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def gexf(net: Network) -> str:
    """GEXF 1.3, with the same attributes as GraphML."""
    root = ET.Element("gexf", xmlns="http://gexf.net/1.3", version="1.3")
    g = ET.SubElement(root, "graph", defaultedgetype="undirected", mode="static")
    for scope, keys in (("node", _NODE_KEYS), ("edge", _EDGE_KEYS)):
        attrs = ET.SubElement(g, "attributes", {"class": scope})
        for name, kind in keys:
            ET.SubElement(attrs, "attribute", id=name, title=name, type="integer" if kind == "int" else kind)
    nodes = ET.SubElement(g, "nodes")
    for key in sorted(net.nodes):
        el = ET.SubElement(nodes, "node", id=key, label=net.nodes[key].caption)
        values = ET.SubElement(el, "attvalues")
        for name, value in _node_values(net.nodes[key]).items():
            ET.SubElement(values, "attvalue", {"for": name, "value": value})
    edges = ET.SubElement(g, "edges")
    for i, edge in enumerate(net.edges()):
        el = ET.SubElement(edges, "edge", id=f"e{i}", source=edge.source, target=edge.target,
                           weight=str(edge.weight), label=edge.type)
        values = ET.SubElement(el, "attvalues")
        for name, value in _edge_values(edge).items():
            ET.SubElement(values, "attvalue", {"for": name, "value": value})
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def ftm(*, session: Session, actor: Actor, net: Network) -> Iterator[str]:
    """FtM JSON lines: the node entities and link records as the viewer sees them, and an
    UnknownLink for each shared identifier (those have no record of their own)."""
    wanted = sorted({m for node in net.nodes.values() for m in node.members}
                    | {x.record for x in net.links if x.record})
    for start in range(0, len(wanted), 500):
        rows = session.execute(select(Entity).where(Entity.id.in_(wanted[start:start + 500]))
                               .order_by(Entity.id)).scalars().all()
        for item in entities.assemble(session, actor, list(rows)):
            yield json.dumps({"id": item.id, "schema": item.schema, "properties": item.properties},
                             ensure_ascii=False, sort_keys=True)
    for edge in net.edges():
        if edge.records:
            continue
        for via in edge.via or [edge.type]:
            digest = hashlib.sha256(f"{edge.source}|{edge.target}|{via}".encode()).hexdigest()[:24]
            yield json.dumps({"id": f"net-{digest}", "schema": "UnknownLink", "properties": {
                "subject": [net.nodes[edge.source].members[0]], "object": [net.nodes[edge.target].members[0]],
                "role": [via.replace(":", "", 1) if ":" in via else via]}}, ensure_ascii=False, sort_keys=True)


def render(fmt: str, *, session: Session, actor: Actor, net: Network) -> str:
    """The whole export as text."""
    if fmt == "graphml":
        return graphml(net)
    if fmt == "gexf":
        return gexf(net)
    return "".join(line + "\n" for line in ftm(session=session, actor=actor, net=net))

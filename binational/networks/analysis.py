"""Measures on a viewer's network: centralities, communities, brokers, paths, ego networks,
and the explanation of each target of a disruption plan."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from binational.networks import dismantle, engine
from binational.networks.graph import Network

#: the deepest ego network one may ask for
MAX_DEPTH = 3


@dataclass
class Scores:
    """Per-node centralities, by node id."""

    degree: dict[str, int]
    strength: dict[str, float]
    betweenness: dict[str, float]
    eigenvector: dict[str, float]
    core: dict[str, int]
    exact: bool


def centrality(net: Network) -> Scores:
    """Degree, strength (contacts), betweenness (1/contacts as distance), eigenvector and k-core."""
    ids, g = net.simple()
    degree = [0] * g.n
    strength = [0.0] * g.n
    for (u, v), w in zip(g.edges, g.weights, strict=True):
        degree[u] += 1
        degree[v] += 1
        strength[u] += w
        strength[v] += w
    between, exact = engine.betweenness(g, weighted=True) if g.n else ([], True)
    eigen = engine.eigenvector(g) if g.n else []
    core = engine.core_numbers(g) if g.n else []
    return Scores(
        degree=dict(zip(ids, degree, strict=True)), strength=dict(zip(ids, strength, strict=True)),
        betweenness={k: round(v, 6) for k, v in zip(ids, between, strict=True)},
        eigenvector={k: round(v, 6) for k, v in zip(ids, eigen, strict=True)},
        core=dict(zip(ids, core, strict=True)), exact=exact,
    )


@dataclass
class Communities:
    """A community label per node (0 = largest community), and the partition's modularity."""

    labels: dict[str, int]
    modularity: float
    sizes: list[int] = field(default_factory=list)


def communities(net: Network, *, resolution: float = 1.0, seed: int = 7) -> Communities:
    """Leiden communities on the contact-weighted graph, numbered by size (largest first)."""
    ids, g = net.simple()
    if not g.n:
        return Communities({}, 0.0, [])
    raw, quality = engine.leiden(g, resolution=resolution, seed=seed)
    counts: dict[int, int] = {}
    for label in raw:
        counts[label] = counts.get(label, 0) + 1
    renumber = {label: i for i, (label, _c) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))}
    labels = {k: renumber[label] for k, label in zip(ids, raw, strict=True)}
    return Communities(labels, round(quality, 6), [c for _l, c in sorted(counts.items(), key=lambda kv: -kv[1])])


@dataclass
class Broker:
    """A node whose ties reach into communities other than its own."""

    id: str
    community: int
    bridges: list[int]
    betweenness: float
    participation: float


def brokers(net: Network, groups: Communities, scores: Scores, *, limit: int = 20) -> list[Broker]:
    """Nodes tied to two or more communities, by betweenness; participation = 1 - sum(share^2)."""
    reach: dict[str, dict[int, int]] = {k: {} for k in net.nodes}
    for x in net.links:
        for a, b in ((x.source, x.target), (x.target, x.source)):
            label = groups.labels[b]
            reach[a][label] = reach[a].get(label, 0) + 1
    out = []
    for node, counts in reach.items():
        others = sorted(c for c in counts if c != groups.labels[node])
        if not others:
            continue
        total = sum(counts.values())
        participation = 1 - sum((n / total) ** 2 for n in counts.values())
        out.append(Broker(node, groups.labels[node], others, scores.betweenness.get(node, 0.0),
                          round(participation, 4)))
    out.sort(key=lambda b: (-b.betweenness, -b.participation, b.id))
    return out[:limit]


def path(net: Network, source: str, target: str, *, weighted: bool = True) -> tuple[list[str], float]:
    """A shortest path between two nodes; with `weighted`, frequent contact counts as close (1/contacts)."""
    ids, g = net.simple()
    index = {k: i for i, k in enumerate(ids)}
    if source == target:
        return [source], 0.0
    nodes, length = engine.shortest_path(g, index[source], index[target], weighted=weighted)
    return [ids[i] for i in nodes], length


def ego(net: Network, center: str, depth: int) -> Network:
    """The nodes within `depth` ties of `center`, and the links among them."""
    adjacency: dict[str, set[str]] = {k: set() for k in net.nodes}
    for x in net.links:
        adjacency[x.source].add(x.target)
        adjacency[x.target].add(x.source)
    seen = {center: 0}
    queue = deque([center])
    while queue:
        node = queue.popleft()
        if seen[node] == depth:
            continue
        for nxt in sorted(adjacency[node]):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return net.subgraph(seen)


#: why a node is a target, by reason code: the English sentence (pages say it in their language)
REASONS = {
    "broker": "broker between communities {communities}",
    "shortest_paths": "on many shortest paths (top 10% betweenness)",
    "inner_core": "in the innermost {k}-core",
    "hub": "hub of {ties} ties",
    "separates": "separates what is left of the network",
}


def reason_text(code: str, params: dict[str, Any]) -> str:
    """A reason's English sentence (lists of communities joined by commas)."""
    values = {k: ", ".join(str(x) for x in v) if isinstance(v, list) else v for k, v in params.items()}
    return REASONS[code].format(**values)


@dataclass
class Target:
    """One recommendation of a plan, with why: reason codes and their parameters, and as one sentence."""

    step: int
    id: str
    role: str
    community: int | None
    bridges: list[int]
    degree: int
    betweenness: float
    core: int
    lcc_after: float
    drop: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


def explain(net: Network, ids: list[str], plan: dismantle.Plan, scores: Scores, groups: Communities) -> list[Target]:
    """Why each target: its role in the intact network, the communities it ties, what its removal did."""
    neighbours: dict[str, set[str]] = {k: set() for k in net.nodes}
    for x in net.links:
        neighbours[x.source].add(x.target)
        neighbours[x.target].add(x.source)
    top_between = sorted(scores.betweenness.values(), reverse=True)
    cut = top_between[max(0, math.ceil(0.1 * len(top_between)) - 1)] if top_between else 0.0
    max_core = max(scores.core.values(), default=0)
    out = []
    curve = plan.curve
    for step, u in enumerate(plan.order, start=1):
        node = ids[u]
        own = groups.labels.get(node)
        bridges = sorted({groups.labels[v] for v in neighbours[node]} - {own})
        reasons: list[tuple[str, dict[str, Any]]] = []
        if bridges:
            reasons.append(("broker", {"communities": [own, *bridges]}))
        if scores.betweenness.get(node, 0) >= cut > 0:
            reasons.append(("shortest_paths", {}))
        if scores.core.get(node, 0) == max_core and max_core > 1:
            reasons.append(("inner_core", {"k": max_core}))
        if not reasons:
            ties = scores.degree.get(node, 0)
            reasons.append(("hub", {"ties": ties}) if ties > 2 else ("separates", {}))
        out.append(Target(step, node, "; ".join(reason_text(c, p) for c, p in reasons), own, bridges,
                          scores.degree.get(node, 0), scores.betweenness.get(node, 0.0), scores.core.get(node, 0),
                          round(curve[step], 4), round(curve[step - 1] - curve[step], 4),
                          [{"code": c, "params": p} for c, p in reasons]))
    return out

"""Measures on small graphs with known answers."""

import pytest

from binational.networks import analysis
from binational.networks.graph import Link, Network, Node


def net(pairs, weights=None) -> Network:
    weights = weights or {}
    nodes = {k: Node(k, "Person", k.upper(), [k]) for pair in pairs for k in pair}
    links = [Link(a, b, "Call", ("US-CBP",), f"r{a}{b}{i}")
             for a, b in pairs for i in range(weights.get((a, b), 1))]
    return Network(nodes, links)


def test_star_centre_has_all_betweenness():
    s = analysis.centrality(net([("c", x) for x in "abde"]))
    assert s.degree["c"] == 4 and s.degree["a"] == 1
    assert s.betweenness["c"] == pytest.approx(1.0) and s.betweenness["a"] == 0
    assert s.exact
    assert max(s.eigenvector, key=s.eigenvector.get) == "c"


def test_two_nodes_have_zero_betweenness_not_nan():
    s = analysis.centrality(net([("a", "b")]))
    assert s.betweenness == {"a": 0.0, "b": 0.0}


def test_k_core():
    # a triangle with a tail: the triangle is the 2-core
    s = analysis.centrality(net([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]))
    assert s.core == {"a": 2, "b": 2, "c": 2, "d": 1}


def test_two_cliques_two_communities_and_the_broker():
    left = [(a, b) for i, a in enumerate("abcd") for b in "abcd"[i + 1:]]
    right = [(a, b) for i, a in enumerate("wxyz") for b in "wxyz"[i + 1:]]
    n = net([*left, *right, ("d", "m"), ("m", "w")])
    groups = analysis.communities(n)
    assert groups.labels["a"] == groups.labels["b"] != groups.labels["x"]
    assert groups.modularity > 0.3
    brokers = analysis.brokers(n, groups, analysis.centrality(n))
    assert brokers[0].id == "m"


def test_weighted_path_prefers_frequent_contacts():
    # a-b-d costs 1/10 + 1/10; a-c-d costs 1 + 1 in contacts, but both are two hops
    n = net([("a", "b"), ("b", "d"), ("a", "c"), ("c", "d"), ("a", "e"), ("e", "f"), ("f", "d")],
            {("a", "b"): 10, ("b", "d"): 10})
    nodes, length = analysis.path(n, "a", "d", weighted=True)
    assert nodes == ["a", "b", "d"] and length == pytest.approx(0.2)
    nodes, length = analysis.path(n, "a", "f", weighted=False)
    assert length == 2


def test_no_path_between_components():
    nodes, _length = analysis.path(net([("a", "b"), ("c", "d")]), "a", "d", weighted=True)
    assert nodes == []


def test_ego_network_depth():
    chain = net([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    assert set(analysis.ego(chain, "a", 2).nodes) == {"a", "b", "c"}
    assert set(analysis.ego(chain, "c", 1).nodes) == {"b", "c", "d"}


def test_time_slice_and_filters():
    from datetime import date
    n = net([("a", "b")])
    n.links.append(Link("b", "c", "Family", ("MX-FGR",), "f1", date(2024, 1, 1), date(2024, 1, 1)))
    n.nodes["c"] = Node("c", "Person", "C", ["c"])
    assert {x.type for x in n.keep(start=date(2023, 12, 1), end=date(2024, 2, 1)).links} == {"Call", "Family"}
    assert {x.type for x in n.keep(start=date(2023, 12, 1), end=date(2024, 2, 1), undated=False).links} == {"Family"}
    assert n.keep(start=date(2025, 1, 1), undated=False).links == []
    assert {x.type for x in n.keep(agencies=["US-CBP"]).links} == {"Call"}
    assert [e.weight for e in net([("a", "b")], {("a", "b"): 3}).edges()] == [3]

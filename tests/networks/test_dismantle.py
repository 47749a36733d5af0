"""Dismantling methods on toy graphs with known answers."""

import itertools
import random

import pytest

from binational.networks import dismantle
from binational.networks.engine import Simple


def barbell() -> Simple:
    """Two 5-cliques (0-4, 6-10) joined through node 5."""
    pairs = [(a, b, 1.0) for group in (range(5), range(6, 11)) for a, b in itertools.combinations(group, 2)]
    return Simple.build(11, [*pairs, (4, 5, 1.0), (5, 6, 1.0)])


def brute_lcc(graph: Simple, removed: set[int]) -> int:
    adj = graph.adjacency()
    seen: set[int] = set()
    best = 0
    for s in range(graph.n):
        if s in removed or s in seen:
            continue
        stack, size = [s], 0
        seen.add(s)
        while stack:
            u = stack.pop()
            size += 1
            for v in adj[u]:
                if v not in removed and v not in seen:
                    seen.add(v)
                    stack.append(v)
        best = max(best, size)
    return best


def random_graph(n: int, m: int, seed: int) -> Simple:
    rng = random.Random(seed)
    return Simple.build(n, [(rng.randrange(n), rng.randrange(n), 1.0) for _ in range(m)])


def test_lcc_curve_is_exact():
    g = random_graph(40, 70, 1)
    order = random.Random(2).sample(range(40), 40)
    sizes = dismantle.lcc_sizes(g, order)
    assert sizes == [brute_lcc(g, set(order[:i])) for i in range(41)]


@pytest.mark.parametrize("method", ["betweenness", "hybrid"])
def test_path_based_methods_cut_the_bridge_first(method):
    p = dismantle.plan(barbell(), 1, method=method)
    assert p.order == [5]
    assert p.lcc == [11, 5]


def test_degree_takes_the_best_connected_clique_node():
    p = dismantle.plan(barbell(), 1, method="degree")
    assert p.order == [4]  # 4 and 6 have degree 5, the bridge only 2; ties go to input order


def test_betweenness_then_the_cliques():
    p = dismantle.plan(barbell(), 3, method="betweenness")
    assert p.order[0] == 5
    assert p.curve[1] == pytest.approx(5 / 11)
    assert p.robustness == pytest.approx(sum(p.lcc[1:]) / (3 * 11))


def test_protected_nodes_are_never_targeted():
    p = dismantle.plan(barbell(), 4, method="hybrid", protected=[5])
    assert 5 not in p.order and len(p.order) == 4


def test_budget_outside_the_graph_is_refused():
    with pytest.raises(ValueError, match="budget"):
        dismantle.plan(barbell(), 11, method="degree", protected=[0])
    with pytest.raises(ValueError, match="unknown method"):
        dismantle.plan(barbell(), 1, method="pagerank")


def test_hybrid_is_never_worse_than_adaptive_betweenness():
    for seed in range(4):
        g = random_graph(60, 110, seed)
        hyb = dismantle.plan(g, 60, method="hybrid")
        hba = dismantle.plan(g, 60, method="betweenness")
        assert hyb.robustness <= hba.robustness + 1e-12
        assert sorted(hyb.order) == list(range(60))


def test_reinsertion_keeps_components_small():
    g = random_graph(80, 160, 5)
    attack = dismantle.adaptive_degree(g, 80)
    sizes = dismantle.lcc_sizes(g, attack)
    cut = next(i for i, s in enumerate(sizes) if s <= 3)
    still, back = dismantle.reinsert(g, attack[:cut], 3)
    assert len(still) + len(back) == cut and len(still) <= cut
    assert brute_lcc(g, set(still)) <= 3


def test_ties_move_the_result_on_a_ring():
    ring = Simple.build(12, [(i, (i + 1) % 12, 1.0) for i in range(12)])
    s = dismantle.tie_sensitivity(ring, 2, method="degree", runs=8)
    assert s.runs == 8
    assert s.final_lcc[0] < s.final_lcc[1]  # opposite cuts leave 5, neighbouring ones leave 10
    assert len(s.frequency) > 2


def test_first_below():
    p = dismantle.plan(barbell(), 11, method="betweenness")
    assert dismantle.first_below(p, 0.5) == pytest.approx(1 / 11)


def test_the_default_budget_fits_the_graph():
    assert [dismantle.default_budget(n) for n in (0, 1, 3, 20, 21, 234, 10_000)] == [0, 1, 1, 1, 2, 12, 25]

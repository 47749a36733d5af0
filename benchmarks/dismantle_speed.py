"""Disruption-plan speed: a plan for a 100,000-node, 1,000,000-edge graph in under 60 s on 2 cores.

The graph is a seeded preferential-attachment graph (each new node ties to 10 earlier ones, picked
in proportion to their degree), written as a CSV edge list and planned through the same path as
`binational networks dismantle EDGES.csv --budget K --ties 0`: parse, plan (hybrid), compare with
adaptive degree, explain every target. The peer is what a user would otherwise write with networkx:
adaptive betweenness removal, with sampled betweenness (100 sources) recomputed after each 1 % of
the nodes; it is run until the time limit and extrapolated.

    python -m benchmarks.dismantle_speed [--size small|large]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
from pathlib import Path

import networkx as nx

from binational.networks import dismantle, edgelist, service

RESULTS = Path(__file__).parent / "results"
SIZES = {"small": (10_000, 10), "large": (100_000, 10)}
BUDGET = 0.05
PEER_SECONDS = 60.0


def preferential(n: int, m: int, seed: int = 7) -> list[tuple[int, int]]:
    """A Barabási-Albert-style graph: n nodes, about n*m edges."""
    rng = random.Random(seed)
    ends: list[int] = list(range(m + 1))
    edges = [(a, b) for a in range(m + 1) for b in range(a + 1, m + 1)]
    for u in range(m + 1, n):
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(ends[rng.randrange(len(ends))])
        for v in chosen:
            edges.append((u, v))
            ends.extend((u, v))
    return edges


def peer(edges: list[tuple[int, int]], n: int, budget: int) -> dict[str, object]:
    h = nx.Graph(edges)
    batch = max(1, n // 100)
    start = time.perf_counter()
    removed = 0
    rounds = 0
    while removed < budget and time.perf_counter() - start < PEER_SECONDS:
        scores = nx.betweenness_centrality(h, k=min(100, h.number_of_nodes()), seed=rounds)
        take = sorted(scores, key=lambda u: -scores[u])[: min(batch, budget - removed)]
        h.remove_nodes_from(take)
        removed += len(take)
        rounds += 1
    seconds = time.perf_counter() - start
    finished = removed >= budget
    estimate = seconds if finished else seconds / removed * budget
    lcc = len(max(nx.connected_components(h), key=len)) / n if finished else None
    return {"finished": finished, "removed": removed, "seconds": round(seconds, 2),
            "seconds_for_budget": round(estimate, 1), "lcc_after": lcc}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="large")
    args = parser.parse_args(argv)
    n, m = SIZES[args.size]
    edges = preferential(n, m)
    budget = math.ceil(BUDGET * n)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edges.csv"
        path.write_text("source,target\n" + "".join(f"n{a},n{b}\n" for a, b in edges))
        t0 = time.perf_counter()
        labels, graph = edgelist.parse(path.read_text(), name=path.name)
        t1 = time.perf_counter()
        plan = service.run_plan(labels, graph, budget=budget, method="hybrid", protected=[], ties=0,
                                weighted=False)
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    degree = dismantle.plan(graph, budget, method="degree")
    t4 = time.perf_counter()
    result = {
        "size": args.size, "nodes": graph.n, "edges": len(graph.edges), "budget": budget,
        "parse_s": round(t1 - t0, 2), "plan_explain_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2),
        "target_s": 60.0, "met": t2 - t0 < 60.0, "variant": plan.variant,
        "lcc_after_hybrid": plan.curve[-1], "robustness_hybrid": plan.robustness,
        "degree_only_s": round(t4 - t3, 2), "lcc_after_degree": degree.curve[-1],
        "robustness_degree": round(degree.robustness, 6),
    }
    result["peer_networkx_sampled_hba"] = peer(edges, n, budget)
    print(f"{'graph':>22} | {'budget':>6} | {'parse s':>7} | {'plan+explain s':>14} | {'total s':>7} | "
          f"{'LCC after':>9} | {'R':>6} | peer nx HBA s (for budget)")
    p = result["peer_networkx_sampled_hba"]
    print(f"{f'{graph.n} n / {len(graph.edges)} e':>22} | {budget:>6} | {result['parse_s']:>7} | "
          f"{result['plan_explain_s']:>14} | {result['total_s']:>7} | {plan.curve[-1]:>9.3f} | "
          f"{plan.robustness:>6.3f} | {p['seconds_for_budget']}{'' if p['finished'] else ' (extrapolated)'}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"dismantle_speed_{args.size}.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

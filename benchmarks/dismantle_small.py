"""Disruption-plan latency on small networks: the network page's plan answers in under 2 s.

The page asks for a `hybrid` plan of 5 targets with 10 tie re-plans, the comparison with every
method and an explanation of each target (`networks.service.run_plan`). It runs here on the real
covert networks of `dismantle_quality` (read through `BINATIONAL_PUBLIC_DATA`). The peer is what a
user would otherwise write with networkx: adaptive betweenness (exact, recomputed after each
removal) for the same 5 targets, run 11 times as the plan and its re-plans are.

    python -m benchmarks.dismantle_small [--size small|large]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import networkx as nx

from benchmarks import _covert_networks as cn
from benchmarks.dismantle_quality import SMALL
from binational.networks import service
from binational.networks.engine import Simple

RESULTS = Path(__file__).parent / "results"
BUDGET = 5
TIES = 10
CLAIM_SECONDS = 2.0


def ours(labels: list[str], graph: Simple) -> dict[str, object]:
    start = time.perf_counter()
    plan = service.run_plan(labels, graph, budget=BUDGET, method="hybrid", protected=[], ties=TIES, weighted=False)
    return {"seconds": round(time.perf_counter() - start, 3), "R": plan.robustness,
            "final_lcc": plan.curve[-1], "variant": plan.variant}


def peer(graph: Simple) -> dict[str, object]:
    start = time.perf_counter()
    for _ in range(1 + TIES):
        h = nx.Graph()
        h.add_nodes_from(range(graph.n))
        h.add_edges_from(graph.edges)
        for _k in range(BUDGET):
            scores = nx.betweenness_centrality(h)
            h.remove_node(max(h.nodes, key=lambda x: (round(scores[x], 9), h.degree(x), -x)))
    lcc = max((len(c) for c in nx.connected_components(h)), default=0) / graph.n
    return {"seconds": round(time.perf_counter() - start, 3), "final_lcc": lcc}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "large"), default="large")
    args = parser.parse_args(argv)
    if not cn.available():
        raise SystemExit(f"public data not found under {cn.folder()} (set BINATIONAL_PUBLIC_DATA)")
    rows = []
    print(f"{'network':20} {'N':>5} {'M':>6} | {'ours s':>7} {'final LCC':>9} | {'networkx s':>10} {'final LCC':>9}")
    for net in cn.load_all(SMALL if args.size == "small" else cn.NAMES):
        row = {"network": net.name, "N": net.n, "M": net.m, "ours": ours(net.labels, net.graph),
               "peer_networkx_hba": peer(net.graph)}
        rows.append(row)
        o, p = row["ours"], row["peer_networkx_hba"]
        print(f"{net.name:20} {net.n:>5} {net.m:>6} | {o['seconds']:>7.3f} {o['final_lcc']:>9.3f} | "
              f"{p['seconds']:>10.3f} {p['final_lcc']:>9.3f}")
    slowest = max(r["ours"]["seconds"] for r in rows)  # type: ignore[index]
    summary = {"networks": len(rows), "slowest_seconds": slowest, "under_2s": slowest < CLAIM_SECONDS}
    print(json.dumps(summary))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"dismantle_small_{args.size}.json"
    out.write_text(json.dumps({"size": args.size, "budget": BUDGET, "ties": TIES, "rows": rows,
                               "summary": summary}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

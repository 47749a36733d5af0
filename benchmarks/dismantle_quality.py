"""Disruption quality on the 18 real covert networks, every method side by side, and a harness check.

For each network and method: the full removal order (every node), its robustness R (mean LCC
fraction over all N removals, Schneider et al. 2011), the LCC fraction after removing 5 %, 10 %
and 20 % of the nodes (k = ceil(p N)), the fraction removed before the LCC is at most 1 % of the
nodes, and the time. The peer is what a user would otherwise write: adaptive betweenness removal
with networkx (run to 20 %). The harness check re-runs Cavallaro et al. 2020's protocol on Montagna
and compares with their published curves point by point.

    python -m benchmarks.dismantle_quality [--size small|large]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import networkx as nx

from benchmarks import _covert_networks as cn
from binational.networks import dismantle
from binational.networks.engine import Simple

RESULTS = Path(__file__).parent / "results"
SMALL = ("caviar", "montagna_meetings", "montagna_phonecalls", "siren", "togo", "cielnet", "cocaine_nyc",
         "hijackers_911")
BUDGETS = (0.05, 0.10, 0.20)
PEER_LIMIT = 400  # nodes: networkx adaptive betweenness beyond this takes minutes


def measure(graph: Simple, method: str) -> dict[str, object]:
    start = time.perf_counter()
    plan = dismantle.plan(graph, graph.n, method=method)
    seconds = time.perf_counter() - start
    curve = plan.curve
    return {
        "R": round(plan.robustness, 5),
        **{f"lcc@{int(p * 100)}%": round(curve[math.ceil(p * graph.n)], 4) for p in BUDGETS},
        "q(lcc<=1%)": round(dismantle.first_below(plan, 0.01), 4),
        "seconds": round(seconds, 3),
        "variant": plan.variant,
        "first10": plan.order[:10],
    }


def peer(graph: Simple) -> dict[str, object]:
    """networkx adaptive betweenness (ties: higher degree, then input order), to 20 % of the nodes."""
    h = nx.Graph()
    h.add_nodes_from(range(graph.n))
    h.add_edges_from(graph.edges)
    k = math.ceil(max(BUDGETS) * graph.n)
    start = time.perf_counter()
    order = []
    for _ in range(k):
        scores = nx.betweenness_centrality(h)
        u = max(h.nodes, key=lambda x: (round(scores[x], 9), h.degree(x), -x))
        order.append(u)
        h.remove_node(u)
    seconds = time.perf_counter() - start
    sizes = dismantle.lcc_sizes(graph, order)
    return {**{f"lcc@{int(p * 100)}%": round(sizes[math.ceil(p * graph.n)] / graph.n, 4) for p in BUDGETS},
            "seconds": round(seconds, 3), "order": order}


def cavallaro_check() -> dict[str, float]:
    """Their protocol (networkx; sequential = recompute after each removal, block = top 5 then
    recompute; ties: the last in edge-list order; rho = LCC_i / LCC_0) against their CSVs."""
    root = cn.folder() / "montagna"
    out = {}
    for network, file in (("meeting", "Montagna_meetings_edgelist.csv"),
                          ("phone_calls", "Montagna_phonecalls_edgelist.csv")):
        for removal in ("sequential", "block"):
            published = list(csv.DictReader((root / "cavallaro2020_results" /
                                             f"{removal}__{network}__df_Unweighted_5nrem.csv").open()))
            for metric, column in (("betweenness", "Betweenness"), ("degree", "Degree")):
                g = nx.Graph()
                for line in (root / file).read_text().splitlines():
                    a, b, _w = line.split()
                    g.add_edge(a, b)
                lcc0 = len(max(nx.connected_components(g), key=len))
                rho = {0: 1.0}
                removed = 0
                step = 1 if removal == "sequential" else 5
                while g.number_of_nodes() > step:
                    values = nx.betweenness_centrality(g) if metric == "betweenness" else nx.degree_centrality(g)
                    ranked = sorted(values.items(), key=lambda kv: kv[1])
                    g.remove_nodes_from([u for u, _v in ranked[-step:]])
                    removed += step
                    rho[removed] = len(max(nx.connected_components(g), key=len)) / lcc0
                diffs = [abs(rho[int(row["No"])] - float(row[column])) for row in published if int(row["No"]) in rho]
                out[f"{removal}/{network}/{metric}"] = {"points": len(diffs), "max_abs_diff": round(max(diffs), 6),
                                                        "rho@5,10,15,20": [round(rho.get(i, math.nan), 3)
                                                                           for i in (5, 10, 15, 20)]}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "large"), default="large")
    args = parser.parse_args(argv)
    if not cn.available():
        raise SystemExit(f"public data not found under {cn.folder()} (set BINATIONAL_PUBLIC_DATA)")
    names = SMALL if args.size == "small" else cn.NAMES
    rows = []
    for net in cn.load_all(names):
        row: dict[str, object] = {"network": net.name, "N": net.n, "M": net.m}
        for method in ("degree", "betweenness", "hybrid"):
            row[method] = measure(net.graph, method)
        if net.n <= PEER_LIMIT:
            row["peer_networkx_hba"] = p = peer(net.graph)
            theirs = p.pop("order")
            ours = dismantle.plan(net.graph, len(theirs), method="betweenness").order
            row["peer_same_order_as_hba"] = theirs == ours
        rows.append(row)
        print_row(row)
    hba = {r["network"]: r["betweenness"]["R"] for r in rows}
    hyb = {r["network"]: r["hybrid"]["R"] for r in rows}
    summary = {
        "hybrid_R_never_above_hba": all(hyb[k] <= hba[k] for k in hba),
        "hybrid_R_strictly_below_hba": sum(hyb[k] < hba[k] for k in hba),
        "networks": len(rows),
    }
    crime = next((r for r in rows if r["network"] == "gnd_crime"), None)
    if crime:
        summary["gnd_crime_q1%"] = {m: crime[m]["q(lcc<=1%)"] for m in ("degree", "betweenness", "hybrid")}
        summary["gnd_crime_target_met"] = crime["hybrid"]["q(lcc<=1%)"] <= 0.15
    summary["cavallaro2020"] = cavallaro_check()
    summary["cavallaro2020_max_abs_diff"] = max(v["max_abs_diff"] for v in summary["cavallaro2020"].values())
    print(json.dumps({k: v for k, v in summary.items() if k != "cavallaro2020"}, indent=1))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"dismantle_quality_{args.size}.json"
    out.write_text(json.dumps({"size": args.size, "rows": rows, "summary": summary}, indent=1))
    print(f"wrote {out}")


def print_row(row: dict[str, object]) -> None:
    if row["network"] == "caviar" or not hasattr(print_row, "done"):
        print(f"{'network':20} {'N':>4} | {'R HDA':>7} {'R HBA':>7} {'R hyb':>7} | "
              f"{'LCC 5/10/20% HDA':>18} | {'HBA':>16} | {'hybrid':>16} | {'nx HBA':>16} | q1% HBA/hyb | s hyb")
        print_row.done = True  # type: ignore[attr-defined]

    def trio(d: object) -> str:
        if not isinstance(d, dict):
            return " " * 16
        return "/".join(f"{d[f'lcc@{int(p * 100)}%']:.2f}" for p in BUDGETS).rjust(16)

    d, b, h = row["degree"], row["betweenness"], row["hybrid"]
    print(f"{row['network']:20} {row['N']:>4} | {d['R']:7.4f} {b['R']:7.4f} {h['R']:7.4f} | {trio(d):>18} | "
          f"{trio(b)} | {trio(h)} | {trio(row.get('peer_networkx_hba'))} | "
          f"{b['q(lcc<=1%)']:.3f}/{h['q(lcc<=1%)']:.3f} | {h['seconds']:.2f}", flush=True)


if __name__ == "__main__":
    main()

"""Do the DuckDB and Spark engines give the same clusters? Person resolution on one world, both ways.

Two comparisons, so the engine is measured apart from training variance:

- **same parameters**: DuckDB trains the model and scores; Spark scores the same rows with the
  parameters DuckDB trained (`train=False`). Any difference is the engine: SQL dialect, functions,
  floating point.
- **each engine trained**: Spark also trains the model itself (λ, u from its own seeded sample,
  EM) and scores. Differences add the training: Spark's random sample of pairs for u is not
  DuckDB's.

For each: pairwise F1 between the two engines' match pairs (p ≥ the model's match threshold),
pairwise F1 between their clusters (connected components of those pairs), the candidate pairs
both found, and the largest difference in match probability on a pair both scored. Each engine's
accuracy against the world's truth is reported alongside. Requirement: cluster F1 ≥ 0.995 on the
medium world.

    python benchmarks/resolution_engines.py [--size small|medium] [--world DIR] [--cores 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from resolution_accuracy import read_world, score, true_pairs  # noqa: E402

from binational.resolution import clusters  # noqa: E402
from binational.resolution.engine import Linked, get_engine  # noqa: E402
from binational.resolution.features import rows_by_kind  # noqa: E402
from binational.resolution.splink_model import load  # noqa: E402
from binational.scenario import generate  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TARGET = 0.995


def f1(a: set, b: set) -> float:
    """F1 of one set of pairs against the other (symmetric)."""
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 1.0


def cluster_pairs(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every pair of records that end up in one cluster (connected component of `edges`)."""
    groups: dict[str, list[str]] = {}
    for member, canon in clusters.components(sorted(edges)).items():
        groups.setdefault(canon, []).append(member)
    return {(x, y) for g in groups.values() for x in g for y in g if x < y}


def agreement(a: Linked, b: Linked, cut: float) -> dict:
    """How far two engines' results agree: match pairs, clusters, candidates, probabilities."""
    pa = {(p.left_id, p.right_id): p.probability for p in a.pairs}
    pb = {(p.left_id, p.right_id): p.probability for p in b.pairs}
    ma = {k for k, v in pa.items() if v >= cut}
    mb = {k for k, v in pb.items() if v >= cut}
    common = pa.keys() & pb.keys()
    diffs = sorted(abs(pa[k] - pb[k]) for k in common)
    return {
        "match_pairs": [len(ma), len(mb)],
        "match_pair_f1": round(f1(ma, mb), 5),
        "cluster_f1": round(f1(cluster_pairs(ma), cluster_pairs(mb)), 5),
        "candidate_pairs": [len(pa), len(pb)],
        "candidates_in_both": len(common),
        "max_probability_difference": round(diffs[-1], 6) if diffs else 0.0,
        "median_probability_difference": round(diffs[len(diffs) // 2], 8) if diffs else 0.0,
        "decisions_differ": sum((pa[k] >= cut) != (pb[k] >= cut) for k in common),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium", choices=["small", "medium"])
    parser.add_argument("--world", type=Path, help="an already generated world of that size")
    parser.add_argument("--cores", type=int, default=2, help="Spark local cores and DuckDB threads")
    args = parser.parse_args()
    world = args.world
    if world is None:
        world = Path(tempfile.mkdtemp()) / "world"
        generate(7, args.size, world)
    records, truth = read_world(world)
    rows = rows_by_kind(records)["person"]
    ids = [r["unique_id"] for r in rows]
    truth_pairs = true_pairs(ids, truth)
    model = load("person")
    cut = model.thresholds["match_probability"]
    seconds: dict[str, float] = {}

    def timed(name: str, run) -> Linked:
        started = time.perf_counter()
        out = run()
        seconds[name] = round(time.perf_counter() - started, 1)
        print(f"{name}: {len(out.pairs)} candidate pairs in {seconds[name]} s", flush=True)
        return out

    duck = timed("duckdb trained", lambda: get_engine("duckdb", threads=args.cores).link(rows, model))
    started = time.perf_counter()
    spark = get_engine("spark", cores=args.cores)
    seconds["spark session start"] = round(time.perf_counter() - started, 1)
    trained = dataclasses.replace(model, splink=duck.settings)
    same = timed("spark scoring with duckdb's parameters", lambda: spark.link(rows, trained, train=False))
    own = timed("spark trained", lambda: spark.link(rows, model))
    spark.stop()

    def accuracy(linked: Linked) -> dict:
        pairs = [(p.left_id, p.right_id, p.probability) for p in linked.pairs]
        return score(pairs, cut, truth_pairs, ids, truth)

    result = {
        "size": args.size, "records": len(rows), "cores": args.cores, "match_threshold": cut,
        "target_cluster_f1": TARGET, "seconds": seconds,
        "same_parameters": agreement(duck, same, cut),
        "each_engine_trained": agreement(duck, own, cut),
        "lambda": {"duckdb": duck.settings["probability_two_random_records_match"],
                   "spark": own.settings["probability_two_random_records_match"]},
        "accuracy_against_truth": {"duckdb": accuracy(duck), "spark_same_parameters": accuracy(same),
                                   "spark_trained": accuracy(own)},
        "training_notes": {"duckdb": duck.training_notes, "spark": own.training_notes},
    }
    for name in ("same_parameters", "each_engine_trained"):
        a = result[name]
        print(f"{name}: match-pair F1 {a['match_pair_f1']}, cluster F1 {a['cluster_f1']} (target {TARGET}), "
              f"max |Δp| {a['max_probability_difference']}, decisions differing {a['decisions_differ']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"resolution_engines_{args.size}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()

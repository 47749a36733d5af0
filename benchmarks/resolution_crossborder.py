"""Person resolution on records it was not built on: the cross-border generator, ours against plain Splink.

`binational.scenario.crossborder` writes Mexican and US agencies' records of the same true people
with errors of its own (it shares nothing with the world generator the models were developed on).
Ours links them as `binational resolution link mx.jsonl us.jsonl` does (`linkfiles.link`, the
shipped person model trained on the two files, default threshold); the peer is Splink with its
default name and date comparisons (`resolution_accuracy.peer_pairs`) on the same records. For each:
precision, recall and F1 of the mx-us pairs at p = 0.5 and at a threshold calibrated on the same
simulated analyst sample, and the recall lost split in two: true pairs that no blocking rule brings
together (never compared) and pairs compared but scored below the threshold.

    python -m benchmarks.resolution_crossborder [--size small|large] [--seed N] [--people N]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.resolution_accuracy import (  # noqa: E402
    PEER_BLOCKING,
    analyst_sample,
    lost,
    never_compared,
    peer_pairs,
    peer_table,
)
from binational.resolution import clusters, linkfiles  # noqa: E402
from binational.resolution.features import Record, rows_by_kind  # noqa: E402
from binational.resolution.splink_model import load  # noqa: E402
from binational.scenario import crossborder  # noqa: E402

RESULTS = Path(__file__).parent / "results"
PEOPLE = {"small": 3_000, "large": 20_000}


def scores(pairs: list[tuple[str, str, float]], threshold: float, truth_pairs: set[tuple[str, str]]
           ) -> dict[str, float]:
    """Precision, recall and F1 of the pairs at or above `threshold`."""
    predicted = {(a, b) for a, b, p in pairs if p >= threshold}
    tp = len(predicted & truth_pairs)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth_pairs)
    return {"threshold": round(threshold, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0}


def cross_pairs(pairs: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """Only mx-us pairs, mx on the left (pairs inside one file are not asked for)."""
    out = []
    for a, b, p in pairs:
        if a.split(":")[0] != b.split(":")[0]:
            out.append((a, b, p) if a.startswith("left:") else (b, a, p))
    return out


def run(seed: int, people: int, folder: Path) -> dict[str, Any]:
    """Generate, link with both models, score both; the result as a JSON-ready dict."""
    made = crossborder.generate(seed, people, folder)
    side = {"mx": linkfiles.LEFT, "us": linkfiles.RIGHT}
    truth: dict[str, str] = {}
    for row in csv.DictReader(made.truth.open(encoding="utf-8")):
        truth[f"{side[row['side']]}:{row['record_id']}"] = row["person_id"]
    people_of: dict[str, list[list[str]]] = defaultdict(lambda: [[], []])
    for record_id, person in truth.items():
        people_of[person][0 if record_id.startswith("left:") else 1].append(record_id)
    truth_pairs = {(a, b) for left, right in people_of.values() for a in left for b in right}
    records: list[Record] = linkfiles.read(made.mx, linkfiles.LEFT) + linkfiles.read(made.us, linkfiles.RIGHT)
    rows = rows_by_kind(records)["person"]
    result: dict[str, Any] = {"seed": seed, "people": people, "mx_records": made.mx_records,
                              "us_records": made.us_records, "true_pairs": len(truth_pairs), "models": {}}

    def ours() -> list[tuple[str, str, float]]:
        linked = linkfiles.link(made.mx, made.us)
        return [(f"left:{a}", f"right:{b}", p) for a, b, p, _ in linked]

    def peer() -> list[tuple[str, str, float]]:
        return cross_pairs(peer_pairs(rows, records))

    unblocked = {"binational": never_compared(rows, load("person").splink["blocking_rules_to_generate_predictions"],
                                              truth_pairs)}
    unblocked["splink_default"] = never_compared(peer_table(rows, records), PEER_BLOCKING, truth_pairs)
    for name, make in (("binational", ours), ("splink_default", peer)):
        started, cpu = time.perf_counter(), time.process_time()
        pairs = make()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        threshold, source = clusters.calibrate(analyst_sample(pairs, truth_pairs), 0.5)
        result["models"][name] = {
            "seconds": round(elapsed, 1), "cpu_seconds": round(cpu, 1), "scored_pairs": len(pairs),
            "at_0.5": scores(pairs, 0.5, truth_pairs),
            "calibrated": {**scores(pairs, threshold, truth_pairs), "source": source},
        }
        for label, cut in (("at_0.5", 0.5), ("calibrated", threshold)):
            result["models"][name][label].update(lost(pairs, cut, truth_pairs, unblocked[name]))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", choices=sorted(PEOPLE))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--people", type=int, help=f"true persons (default {PEOPLE})")
    args = parser.parse_args(argv)
    people = args.people or PEOPLE[args.size]
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.seed, people, Path(tmp))
    print(f"{result['mx_records']} MX and {result['us_records']} US records, {result['true_pairs']} true pairs")
    print(f"{'model':28} {'threshold':>9} {'P':>7} {'R':>7} {'F1':>7} {'never cmp':>9} {'below':>6} {'secs':>6} "
          f"{'cpu s':>6}")
    for name, model in result["models"].items():
        for label in ("at_0.5", "calibrated"):
            s = model[label]
            print(f"{name + ' ' + label:28} {s['threshold']:>9} {s['precision']:>7} {s['recall']:>7} {s['f1']:>7} "
                  f"{s['never_compared']:>9} {s['compared_below_threshold']:>6} {model['seconds']:>6} "
                  f"{model['cpu_seconds']:>6}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"resolution_crossborder_{args.size}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""Person resolution accuracy on the synthetic world's truth: ours against plain Splink, same run.

Pairwise precision, recall and F1 and B-cubed F1. Both models score their candidate pairs on
DuckDB; both get a threshold calibrated on the same simulated analyst sample (300 judged pairs
drawn across the score range, labelled from the truth), and both are also reported at p = 0.5.
The peer is Splink with its default NameComparison and DateOfBirthComparison (what a user picks).
Recall lost is split in two: true pairs no blocking rule brings together (never compared), and
pairs compared but scored below the threshold.

    python benchmarks/resolution_accuracy.py [--size small|medium] [--world DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binational.resolution import clusters  # noqa: E402
from binational.resolution.engine import get_engine  # noqa: E402
from binational.resolution.features import Record, arrow_table, rows_by_kind  # noqa: E402
from binational.resolution.names import plain  # noqa: E402
from binational.resolution.splink_model import load  # noqa: E402
from binational.scenario import generate  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SAMPLE = 300


def read_world(world: Path) -> tuple[list[Record], dict[str, str]]:
    records = []
    for path in sorted((world / "entities").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            records.append(Record(d["id"], d["schema"], path.stem, d["properties"]))
    truth = {r["record_id"]: r["person_id"] for r in csv.DictReader((world / "truth/persons.csv").open())}
    return records, truth


def true_pairs(ids: list[str], truth: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        groups[truth[i]].append(i)
    return {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}  # type: ignore[misc]


def bcubed(ids: list[str], edges: list[tuple[str, str]], truth: dict[str, str]) -> float:
    canon = clusters.components(edges)
    predicted: dict[str, set[str]] = defaultdict(set)
    actual: dict[str, set[str]] = defaultdict(set)
    for i in ids:
        predicted[canon.get(i, i)].add(i)
        actual[truth[i]].add(i)
    p = r = 0.0
    for i in ids:
        mine, real = predicted[canon.get(i, i)], actual[truth[i]]
        both = len(mine & real)
        p += both / len(mine)
        r += both / len(real)
    p, r = p / len(ids), r / len(ids)
    return 2 * p * r / (p + r)


def score(pairs: list[tuple[str, str, float]], threshold: float, truth_pairs: set[tuple[str, str]], ids: list[str],
          truth: dict[str, str]) -> dict[str, float]:
    predicted = {(a, b) for a, b, p in pairs if p >= threshold}
    tp = len(predicted & truth_pairs)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth_pairs)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"threshold": round(threshold, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "bcubed_f1": round(bcubed(ids, sorted(predicted), truth), 4)}


def analyst_sample(pairs: list[tuple[str, str, float]], truth_pairs: set[tuple[str, str]]) -> list[tuple[float, bool]]:
    """Pairs an analyst would review, spread over the score range (seeded), labelled from the truth."""
    rng = random.Random(5)
    bands: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for pair in pairs:
        bands[min(int(pair[2] * 10), 9)].append(pair)
    sample: list[tuple[str, str, float]] = []
    for band in bands.values():
        sample += rng.sample(band, min(len(band), SAMPLE // 10))
    return [(p, (a, b) in truth_pairs) for a, b, p in sample]


#: the peer's blocking rules: each pair of its three compared columns
PEER_BLOCKING = ['l."first_name" = r."first_name" AND l."surname" = r."surname"',
                 'l."surname" = r."surname" AND l."dob" = r."dob"',
                 'l."first_name" = r."first_name" AND l."dob" = r."dob"']


def peer_table(rows: list[dict], records: list[Record]) -> list[dict]:
    """The peer's columns: the names as recorded (lower case, accents folded) and the birth date."""
    by_id = {r.entity_id: r for r in records}
    return [{
        "unique_id": row["unique_id"],
        "first_name": plain(by_id[row["unique_id"]].first("firstName")).lower() or None,
        "surname": plain(by_id[row["unique_id"]].first("lastName")).lower() or None,
        "dob": row["dob"],
    } for row in rows]


def peer_pairs(rows: list[dict], records: list[Record]) -> list[tuple[str, str, float]]:
    """Plain Splink: default name and date comparisons on the names as recorded (lower case)."""
    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    table = pa.Table.from_pylist(peer_table(rows, records))
    con = duckdb.connect()
    con.execute("SET threads = 2")
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("first_name"), cl.NameComparison("surname"),
                     cl.DateOfBirthComparison("dob", input_is_string=True)],
        blocking_rules_to_generate_predictions=PEER_BLOCKING,
    )
    linker = Linker(db_api.register(table), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("first_name", "surname", "dob")],
                                                                  recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    out = linker.inference.predict(threshold_match_probability=0.001).as_pyarrow_table()
    data = out.select(["unique_id_l", "unique_id_r", "match_probability"]).to_pydict()
    return [(min(a, b), max(a, b), p) for a, b, p in zip(data["unique_id_l"], data["unique_id_r"],
                                                        data["match_probability"], strict=True)]


def never_compared(table: list[dict], rules: list[str], truth_pairs: set[tuple[str, str]]) -> int:
    """How many true pairs no blocking rule brings together (the rules' SQL evaluated on each pair)."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("records", arrow_table(table))
    con.register("truth", pa.Table.from_pylist([{"a": a, "b": b} for a, b in sorted(truth_pairs)]))
    blocked = " OR ".join(f"({rule})" for rule in rules)
    count = con.execute(
        "SELECT count(*) FROM truth JOIN records l ON l.unique_id = truth.a JOIN records r ON r.unique_id = truth.b "
        f"WHERE {blocked}").fetchone()
    con.close()
    return len(truth_pairs) - (count[0] if count else 0)


def lost(pairs: list[tuple[str, str, float]], threshold: float, truth_pairs: set[tuple[str, str]], unblocked: int
         ) -> dict[str, float]:
    """The true pairs missed at `threshold`, split: never compared (`unblocked` of them), and compared
    but scored below the threshold (or below the engine's floor, so not returned at all)."""
    missed = len(truth_pairs - {(a, b) for a, b, p in pairs if p >= threshold})
    return {"never_compared": unblocked, "compared_below_threshold": missed - unblocked,
            "recall_lost_to_blocking": round(unblocked / len(truth_pairs), 4),
            "recall_lost_to_scoring": round((missed - unblocked) / len(truth_pairs), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium", choices=["small", "medium"])
    parser.add_argument("--world", type=Path, help="an already generated world of that size")
    args = parser.parse_args()
    world = args.world
    if world is None:
        world = Path(tempfile.mkdtemp()) / "world"
        generate(7, args.size, world)
    records, truth = read_world(world)
    rows = rows_by_kind(records)["person"]
    ids = [r["unique_id"] for r in rows]
    truth_pairs = true_pairs(ids, truth)
    results: dict = {"size": args.size, "records": len(rows), "true_pairs": len(truth_pairs), "models": {}}
    unblocked = {"binational": never_compared(rows, load("person").splink["blocking_rules_to_generate_predictions"],
                                              truth_pairs),
                 "splink_default": never_compared(peer_table(rows, records), PEER_BLOCKING, truth_pairs)}
    for name, make in (("binational", lambda: [(p.left_id, p.right_id, p.probability) for p in
                                               get_engine("duckdb", threads=2).link(rows, load("person")).pairs]),
                       ("splink_default", lambda: peer_pairs(rows, records))):
        started = time.perf_counter()
        pairs = make()
        elapsed = time.perf_counter() - started
        threshold, source = clusters.calibrate(analyst_sample(pairs, truth_pairs), 0.5)
        candidate = {(a, b) for a, b, _ in pairs}
        results["models"][name] = {
            "seconds": round(elapsed, 1), "candidate_pairs": len(pairs),
            "blocking_recall": round(len(candidate & truth_pairs) / len(truth_pairs), 4),
            "at_0.5": score(pairs, 0.5, truth_pairs, ids, truth),
            "calibrated": {**score(pairs, threshold, truth_pairs, ids, truth), "source": source},
        }
        for label, cut in (("at_0.5", 0.5), ("calibrated", threshold)):
            results["models"][name][label].update(lost(pairs, cut, truth_pairs, unblocked[name]))
    ours, peer = results["models"]["binational"], results["models"]["splink_default"]
    results["f1_margin_calibrated"] = round(ours["calibrated"]["f1"] - peer["calibrated"]["f1"], 4)
    results["f1_margin_at_0.5"] = round(ours["at_0.5"]["f1"] - peer["at_0.5"]["f1"], 4)
    print(f"{'model':28} {'threshold':>9} {'P':>7} {'R':>7} {'F1':>7} {'B3 F1':>7} {'never cmp':>9} {'below':>6} "
          f"{'secs':>6}")
    for name, m in results["models"].items():
        for label in ("at_0.5", "calibrated"):
            s = m[label]
            print(f"{name + ' ' + label:28} {s['threshold']:>9} {s['precision']:>7} {s['recall']:>7} {s['f1']:>7} "
                  f"{s['bcubed_f1']:>7} {s['never_compared']:>9} {s['compared_below_threshold']:>6} {m['seconds']:>6}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"resolution_accuracy_{args.size}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()

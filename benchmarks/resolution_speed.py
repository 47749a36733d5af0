"""Person resolution speed: N records from seven agencies on DuckDB (2 threads), and optionally the
agreement of the Spark engine with DuckDB on the same rows (pairwise F1 between their clusters).

The records table is generated directly (not through the database): the medium world's person
rows are copied into independent populations (each copy shifts birth years and renumbers every
identifier, so copies never match each other) and spread over seven agencies.

    python benchmarks/resolution_speed.py [--size small|large] [--world DIR] [--spark]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from resolution_accuracy import read_world  # noqa: E402

from binational.resolution import clusters  # noqa: E402
from binational.resolution.engine import get_engine  # noqa: E402
from binational.resolution.features import rows_by_kind, swapped_date  # noqa: E402
from binational.resolution.model import load  # noqa: E402
from binational.scenario import generate  # noqa: E402

SIZES = {"small": 100_000, "large": 1_000_000}
AGENCIES = ("US-CBP", "US-HSI", "US-ICE", "MX-FGR", "MX-INM", "MX-SRE", "MX-ANAM")
IDS = ("curp", "passport", "phone1")
LISTS = ("documents", "phones")


def population(rows: list[dict], n: int) -> list[dict]:
    """`n` rows: copies of `rows`, each copy an independent population."""
    out: list[dict] = []
    copy = 0
    while len(out) < n:
        for row in rows:
            if len(out) >= n:
                break
            new = dict(row)
            new["unique_id"] = f"{copy}:{row['unique_id']}"
            new["source_dataset"] = AGENCIES[zlib.crc32(row["source_dataset"].encode()) % len(AGENCIES)]
            tag = f"{copy:03d}"
            for key in IDS:
                if new.get(key):
                    new[key] = new[key] + tag
            for key in LISTS:
                if new.get(key):
                    new[key] = [v + tag for v in new[key]]
            for key in ("dob", "curp_dob"):
                if new.get(key):
                    year = 1930 + (int(new[key][:4]) - 1930 + copy * 7) % 80
                    new[key] = f"{year}{new[key][4:]}"
            new["dob_swapped"] = swapped_date(new.get("dob"))
            new["birth_year"] = new["dob"][:4] if new.get("dob") else None
            out.append(new)
        copy += 1
    return out


def cluster_f1(a: list, b: list) -> float:
    """Pairwise F1 between two clusterings given as edge lists."""
    def pairs(edges: list) -> set:
        groups: dict[str, list[str]] = {}
        for member, canon in clusters.components(edges).items():
            groups.setdefault(canon, []).append(member)
        return {(x, y) for g in groups.values() for x in g for y in g if x < y}
    pa, pb = pairs(a), pairs(b)
    both = len(pa & pb)
    return 2 * both / (len(pa) + len(pb)) if pa or pb else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--world", type=Path, help="an already generated medium world")
    parser.add_argument("--spark", action="store_true", help="also compare Spark's clusters on the medium world")
    args = parser.parse_args()
    world = args.world or Path(tempfile.mkdtemp()) / "world"
    if args.world is None:
        generate(7, "medium", world)
    records, _ = read_world(world)
    base = rows_by_kind(records)["person"]
    rows = population(base, SIZES[args.size])
    model = load("person")
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    linked = get_engine("duckdb", threads=2).link(rows, model,
                                                  progress=lambda s, d, t: steps.append((s, time.perf_counter())))
    elapsed = time.perf_counter() - started
    matches = [(p.left_id, p.right_id) for p in linked.pairs if p.probability >= model.thresholds["match_probability"]]
    result = {"size": args.size, "records": len(rows), "agencies": len(AGENCIES), "engine": "duckdb", "threads": 2,
              "seconds": round(elapsed, 1), "candidate_pairs": len(linked.pairs), "matches": len(matches),
              "steps": [(s, round(t - started, 1)) for s, t in steps], "target_seconds": 600}
    print(f"duckdb: {len(rows)} records, {len(linked.pairs)} candidate pairs, {elapsed:.1f} s")
    if args.spark:
        started = time.perf_counter()
        spark = get_engine("spark", cores=2).link(base, model)
        duck = get_engine("duckdb", threads=2).link(base, model)
        cut = model.thresholds["match_probability"]
        f1 = cluster_f1([(p.left_id, p.right_id) for p in spark.pairs if p.probability >= cut],
                        [(p.left_id, p.right_id) for p in duck.pairs if p.probability >= cut])
        result["spark_vs_duckdb"] = {"records": len(base), "cluster_pair_f1": round(f1, 4),
                                     "seconds": round(time.perf_counter() - started, 1), "target_f1": 0.995}
        print(f"spark vs duckdb on {len(base)} records: pairwise F1 of clusters {f1:.4f}")
    out = Path(__file__).parent / "results" / f"resolution_speed_{args.size}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()

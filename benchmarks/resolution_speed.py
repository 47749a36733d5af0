"""Person resolution speed: N records from seven agencies on DuckDB (2 threads). Whether the Spark
engine gives the same clusters is `benchmarks/resolution_engines.py`.

The records table is generated directly (not through the database): the medium world's person
rows are copied into independent populations (each copy shifts birth years and renumbers every
identifier, so copies never match each other) and spread over seven agencies.

    python benchmarks/resolution_speed.py [--size small|large] [--world DIR]
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

from binational.resolution.engine import get_engine  # noqa: E402
from binational.resolution.features import rows_by_kind, swapped_date  # noqa: E402
from binational.resolution.splink_model import load  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--world", type=Path, help="an already generated medium world")
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
    out = Path(__file__).parent / "results" / f"resolution_speed_{args.size}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()

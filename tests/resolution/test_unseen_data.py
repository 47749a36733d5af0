"""Matching that holds on data it was not built on: the person model's F1 on both generators.

The world generator (`binational.scenario.generate`) is the data the models were developed on; the
cross-border generator (`binational.scenario.crossborder`) shares nothing with it (names, population,
error model). Both must reach F1 >= 0.97 at the model's own threshold, without any setting of either.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from binational.resolution import curp, linkfiles
from binational.resolution.engine import get_engine
from binational.resolution.features import Record, rows_by_kind
from binational.resolution.splink_model import load
from binational.scenario import crossborder

F1_FLOOR = 0.97


def _f1(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> float:
    right = len(predicted & truth)
    precision, recall = right / len(predicted), right / len(truth)
    return 2 * precision * recall / (precision + recall)


def test_the_crossborder_generator_is_deterministic_with_complete_truth(tmp_path):
    first = crossborder.generate(3, 150, tmp_path / "a")
    assert crossborder.generate(3, 150, tmp_path / "b") == crossborder.CrossBorderSet(
        tmp_path / "b" / "mx.jsonl", tmp_path / "b" / "us.jsonl", tmp_path / "b" / "truth.csv",
        first.mx_records, first.us_records, first.true_pairs)
    for name in ("mx.jsonl", "us.jsonl", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    truth = list(csv.DictReader(first.truth.open(encoding="utf-8")))
    mx = [json.loads(line) for line in first.mx.read_text(encoding="utf-8").splitlines()]
    us = [json.loads(line) for line in first.us.read_text(encoding="utf-8").splitlines()]
    assert {r["record_id"] for r in truth} == {e["id"] for e in mx + us}
    assert len(mx) == first.mx_records and len(us) == first.us_records
    # the CURPs the generator writes are well formed and agree with the record's birth date
    curps = [(curp.parse(e["properties"]["idNumber"][0]), e["properties"].get("birthDate", [""])[0])
             for e in mx if "idNumber" in e["properties"]]
    assert sum(c is not None and c.birth_date == born for c, born in curps) >= 0.9 * len(curps)
    # most US records of Mexicans carry no CURP
    assert sum("idNumber" in e["properties"] for e in us) < 0.15 * len(us)


def test_link_reaches_f1_on_the_crossborder_records(tmp_path):
    made = crossborder.generate(5, 1200, tmp_path)
    person = {r["record_id"]: r["person_id"] for r in csv.DictReader(made.truth.open(encoding="utf-8"))}
    truth = {(a, b) for a in person if a.startswith("mx") for b in person
             if b.startswith("us") and person[a] == person[b]}
    matched = {(a, b) for a, b, _, decision in linkfiles.link(made.mx, made.us) if decision == "match"}
    assert len(truth) == made.true_pairs
    assert _f1(matched, truth) >= F1_FLOOR


def test_resolution_reaches_f1_on_the_small_world(small_world: Path):
    records = []
    for path in sorted((small_world / "entities").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entity = json.loads(line)
            records.append(Record(entity["id"], entity["schema"], path.stem, entity["properties"]))
    person = {r["record_id"]: r["person_id"] for r in csv.DictReader((small_world / "truth/persons.csv").open())}
    rows = rows_by_kind(records)["person"]
    groups: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        groups[person[row["unique_id"]]].append(row["unique_id"])
    truth = {tuple(sorted(p)) for ids in groups.values() for p in combinations(ids, 2)}
    model = load("person")
    pairs = get_engine("duckdb", threads=2).link(rows, model).pairs
    matched = {(p.left_id, p.right_id) for p in pairs if p.probability >= model.thresholds["match_probability"]}
    assert _f1(matched, truth) >= F1_FLOOR

"""The Spark engine scores like the DuckDB engine: same pairs, same probabilities, same decisions.

DuckDB trains the person model on a tiny world; Spark (local mode) scores the same rows with the
parameters DuckDB trained, so a difference can only come from the engine (the transpiled SQL,
Spark's functions). Training on Spark is measured by `benchmarks/resolution_engines.py` (minutes,
not seconds). Skipped without PySpark or Java; database-independent, so run in the SQLite pass only.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from binational.resolution.engine import get_engine
from binational.resolution.features import Record, rows_by_kind
from binational.resolution.splink_model import load

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="PySpark is not installed (pip install -e '.[spark]')"),
    pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
                       reason="no Java runtime for Spark (install openjdk-17-jre-headless)"),
    pytest.mark.skipif(os.environ.get("BINATIONAL_TEST_DATABASE", "sqlite") != "sqlite",
                       reason="database-independent: runs in the SQLite pass"),
]
RECORDS = 150


@pytest.fixture(scope="module")
def spark():
    engine = get_engine("spark", cores=2)
    yield engine
    engine.stop()


def _rows(world: Path) -> list[dict]:
    records = []
    for path in sorted((world / "entities").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            if d["schema"] == "Person":
                records.append(Record(d["id"], d["schema"], path.stem, d["properties"]))
    # sorted by true person, so the records kept include several records of one person
    person = dict(line.split(",")[1:3] for line in (world / "truth/persons.csv").read_text().splitlines()[1:])
    records.sort(key=lambda r: (person.get(r.entity_id, ""), r.entity_id))
    return rows_by_kind(records[:RECORDS])["person"]


def test_spark_scores_the_same_pairs_as_duckdb_with_the_same_parameters(spark, small_world):
    rows = _rows(small_world)
    model = load("person")
    duck = get_engine("duckdb", threads=2).link(rows, model)
    assert duck.pairs, "the tiny world has candidate pairs"
    trained = dataclasses.replace(model, splink=duck.settings)
    same = spark.link(rows, trained, train=False)
    d = {(p.left_id, p.right_id): p for p in duck.pairs}
    s = {(p.left_id, p.right_id): p for p in same.pairs}
    assert s.keys() == d.keys()
    cut = model.thresholds["match_probability"]
    assert sum(p.probability >= cut for p in d.values()) > 0
    for key, pair in d.items():
        assert s[key].probability == pytest.approx(pair.probability, abs=1e-9)
        assert s[key].weights == pair.weights
        assert (s[key].left_agency, s[key].right_agency) == (pair.left_agency, pair.right_agency)

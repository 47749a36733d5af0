"""The scenario's detained people and week, loaded through the services and played as the demo does:
everyone the truth says a safeguard must keep off stays off every manifest, the lock's refusals are
answered, a stay pulls one person at boarding, and what was sent is what was received."""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import select

from binational.repatriation import world
from binational.repatriation.models import ManifestLine
from binational.scenario import generate
from tests.repatriation.conftest import acting


def test_the_scenario_week_played_end_to_end(db, parties, tmp_path, quick_routing):
    out = tmp_path / "small"
    generate(7, "small", out)
    with (out / "truth" / "repatriation_cases.csv").open(encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    kept = {f"us-ice.{row['case_id']}" for row in truth if row["kept_off_by"]}
    assert kept and len(truth) >= 40
    monday = world.monday_for(date.today())
    with acting(db, "ice") as (s, actor):
        loaded = world.load(session=s, actor=actor, folder=out, monday=monday)
    assert loaded == {"case_files": len(truth), "movements": 6}
    names = {"sender": "ice", "receiver": "inm", "consulate": "sre"}
    result = world.play(lambda user: acting(db, user), monday=monday, **names)
    assert result["reconciles"] and result["returned"] == result["received"] > 0
    assert result["pulled_at_boarding"] == 1 and result["by_bus"] > 0
    assert result["held_back"] >= len(kept)
    with acting(db, "ice") as (s, actor):
        travelled = set(s.execute(select(ManifestLine.detainee_id).where(ManifestLine.status == "boarded")).scalars())
    assert travelled and not travelled & kept

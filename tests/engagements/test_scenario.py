"""The synthetic world's year of engagements: commitments tied to registered indicators with targets
in their units, and readouts from which intake finds the participants and topics the truth holds."""

import csv
import json
from datetime import date

import pytest

from binational.engagements import indicators
from binational.engagements.gazetteer import Official, shipped
from binational.engagements.intake import propose
from binational.scenario import generate


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("engagements") / "small"
    generate(11, "small", out)
    lines = []
    for path in sorted((out / "entities").glob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    with (out / "truth" / "engagements.csv").open(encoding="utf-8", newline="") as handle:
        truth = {row["engagement_id"]: row for row in csv.DictReader(handle)}
    with (out / "truth" / "officials.csv").open(encoding="utf-8", newline="") as handle:
        # the world's invented officials, as an administrator adds them to the node's gazetteer
        officials = [Official(name=r["name"], surname=r["surname"], office=r["office"],
                              titles={"en": r["title_en"], "es": r["title_es"]}, added=True)
                     for r in csv.DictReader(handle)]
    return {"entities": lines, "truth": truth, "gazetteer": shipped().with_people(officials)}


def test_a_year_of_engagements_with_commitments_tied_to_indicators(world):
    engagements = [e for e in world["entities"] if e["schema"] == "Engagement"]
    commitments = [e for e in world["entities"] if e["schema"] == "Commitment"]
    assert len(engagements) == 24 == len(world["truth"])
    assert {e["properties"]["date"][0][:7] for e in engagements} == {f"2025-{m:02d}" for m in range(1, 13)}
    assert len(commitments) >= len(engagements)
    ids = {e["id"] for e in engagements}
    for c in commitments:
        p = c["properties"]
        indicator = indicators.get(p["indicator"][0])
        assert p["targetUnit"] == [indicator.unit] and float(p["target"][0]) > 0
        assert p["engagement"][0] in ids
        if date.fromisoformat(p["dueDate"][0]) > date(2025, 12, 31):
            assert p["status"][0] in ("open", "in_progress")


def test_intake_finds_what_the_truth_holds_in_every_generated_readout(world):
    for e in (e for e in world["entities"] if e["schema"] == "Engagement"):
        truth = world["truth"][e["id"]]
        proposal = propose(e["properties"]["readout"][0], world["gazetteer"])
        assert proposal.language == e["properties"]["readoutLanguage"][0]
        assert {p.name for p in proposal.participants} == set(truth["participants"].split("|")), e["id"]
        assert set(truth["topics"].split("|")) <= set(proposal.topics), e["id"]

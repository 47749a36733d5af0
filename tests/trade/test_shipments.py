"""The scenario's shipments: declarations in the customs columns, contraband tied to front companies."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from binational.scenario import generate
from binational.trade import declarations


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(11, "small", out)
    return out


def test_declarations_carry_contraband_of_the_front_companies(world):
    frame = declarations.read(world / "trade" / "declarations.csv", labels=True)
    assert len(frame) == 1500
    companies = {r["rfc"]: r for r in csv.DictReader((world / "truth" / "companies.csv").open())} \
        if (world / "truth" / "companies.csv").is_file() else None
    shipments = list(csv.DictReader((world / "truth" / "shipments.csv").open()))
    critical = frame[frame["Critical Fraud"] == 2]
    assert 0 < len(critical) < 0.05 * len(frame)  # a small share carries drugs or weapons
    assert {s["declaration_id"] for s in shipments} == set(critical["Declaration ID"])
    assert {s["contraband"] for s in shipments} <= {"drugs", "weapons"}
    assert all(s["organisation_id"].startswith("org-") and s["company_id"].startswith("com-") for s in shipments)
    if companies is not None:
        assert {s["importer"] for s in shipments} <= set(companies)
    manifest = (world / "manifest.json").read_text()
    assert '"trade/declarations.csv": 1500' in manifest and '"shipments"' in manifest

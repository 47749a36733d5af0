"""Arrangements are data: the shipped defaults are marked as assumptions and name every point's hours
by population, the quotas, lead times and the four contact roles; a node's own file replaces them;
a file that breaks the shape is refused naming the arrangement and the field."""

from __future__ import annotations

import copy

import pytest
import yaml

from binational.config import get_settings
from binational.errors import InvalidInput
from binational.repatriation import arrangements as lra
from binational.repatriation import service
from tests.repatriation.conftest import acting

SHIPPED = yaml.safe_load(lra.SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_arrangements_are_assumptions_with_every_part() -> None:
    found = lra.parse(SHIPPED)
    assert {"us-mx-2016", "mx-gt-2016"} <= set(found)
    for a in found.values():
        assert a.assumptions and set(a.contacts) == set(lra.CONTACT_ROLES) and a.quotas
        assert set(a.lead_hours) == set(lra.LEAD_TIMES)
        for point in a.points.values():
            assert set(point.hours) == set(lra.POPULATIONS)


@pytest.mark.parametrize(("change", "field"), [
    (lambda a: a["points"][0]["hours"].pop("vulnerable"), "hours"),
    (lambda a: a["quotas"].append({"mode": "sea", "per_week": 1, "unit": "persons"}), "quotas"),
    (lambda a: a["contacts"].pop("prosecutor_liaison"), "contacts"),
    (lambda a: a["points"][0].update(capacity_per_day=-1), "capacity_per_day"),
    (lambda a: a["points"][0]["hours"].update(general=[20, 6]), "hours.general"),
])
def test_a_file_breaking_the_shape_is_refused_naming_the_field(change, field) -> None:
    broken = copy.deepcopy(SHIPPED)
    change(broken["arrangements"][0])
    with pytest.raises(InvalidInput) as caught:
        lra.parse(broken)
    assert caught.value.details[0]["field"] == field and "us-mx-2016" in caught.value.message


def test_a_nodes_own_file_replaces_the_defaults(db, parties, tmp_path, monkeypatch) -> None:
    mine = copy.deepcopy(SHIPPED)
    mine["arrangements"] = [a for a in mine["arrangements"] if a["id"] == "us-mx-2016"]
    mine["arrangements"][0].update(assumptions=False, title="Arreglo local en vigor")
    path = tmp_path / "arrangements.yaml"
    path.write_text(yaml.safe_dump(mine, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("BINATIONAL_REPATRIATION_ARRANGEMENTS", str(path))
    get_settings.cache_clear()
    try:
        with acting(db, "inm") as (s, actor):
            listed = service.list_arrangements(session=s, actor=actor)
    finally:
        monkeypatch.delenv("BINATIONAL_REPATRIATION_ARRANGEMENTS")
        get_settings.cache_clear()
    assert [(a["id"], a["title"], a["assumptions"]) for a in listed] == [
        ("us-mx-2016", "Arreglo local en vigor", False)]

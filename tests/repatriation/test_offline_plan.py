"""The planner on files: PEOPLE.csv and SLOTS.csv in, PLAN.csv out; bad rows name file, line and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from binational.errors import InvalidInput
from binational.repatriation.offline import PEOPLE_FIELDS, QUOTA_FIELDS, SLOT_FIELDS, write_plan

PEOPLE = [
    ["p1", "", "MX", "2026-03-02", "2", "0", "0"],
    ["p2", "F1", "MX", "2026-03-02", "1", "0", "0"],
    ["p3", "F1", "MX", "2026-03-03", "1", "0", "1"],
    ["c1", "", "MX", "2026-03-02", "3", "1", "0"],
    ["g1", "", "GT", "2026-03-02", "1", "0", "0"],
]
SLOTS = [
    ["air1", "air", "MEX", "MX", "2026-03-04", "9", "13", "3", "0", "1"],
    ["land1", "land", "TIJ", "MX", "2026-03-04", "7", "17", "1", "1", "0"],
    ["gt1", "air", "GUA", "GT", "2026-03-01", "10", "14", "5", "0", "1"],
]


def write(path: Path, header: tuple[str, ...] | list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def files(tmp_path: Path, people: list[list[str]] = PEOPLE, slots: list[list[str]] = SLOTS) -> tuple[Path, Path, Path]:
    return (write(tmp_path / "people.csv", PEOPLE_FIELDS, people), write(tmp_path / "slots.csv", SLOT_FIELDS, slots),
            tmp_path / "plan.csv")


def test_plan_written_from_files(tmp_path: Path) -> None:
    people, slots, out = files(tmp_path)
    result = write_plan(people, slots, out, first_seconds=2, second_seconds=2)
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["person_id", "slot_id"]
    placed = dict(rows[1:])
    assert placed == result.assignments
    # the family (one member needs medical care) on the medical flight; the child by land, which leaves p1
    # the flight's last seat; g1 is not ready for gt1
    assert placed == {"p1": "air1", "p2": "air1", "p3": "air1", "c1": "land1"}
    assert not list(tmp_path.glob("*.part"))


def test_only_headers_make_an_empty_plan(tmp_path: Path) -> None:
    people, slots, out = files(tmp_path, people=[], slots=[])
    assert write_plan(people, slots, out, first_seconds=1, second_seconds=1).assignments == {}
    assert out.read_text(encoding="utf-8").splitlines() == ["person_id,slot_id"]


BAD_PEOPLE = [
    (2, "person_id", ""),
    (3, "nationality", "mexico"),
    (4, "ready_date", "2026-02-30"),
    (2, "priority", "0"),
    (3, "priority", "high"),
    (4, "priority", "1000001"),
    (4, "unaccompanied_child", "yes"),
    (5, "needs_medical", "2"),
]


@pytest.mark.parametrize(("line", "field", "value"), BAD_PEOPLE)
def test_bad_people_rows_name_file_line_and_field(tmp_path: Path, line: int, field: str, value: str) -> None:
    rows = [list(r) for r in PEOPLE]
    rows[line - 2][PEOPLE_FIELDS.index(field)] = value
    people, slots, out = files(tmp_path, people=rows)
    with pytest.raises(InvalidInput) as caught:
        write_plan(people, slots, out)
    assert caught.value.message.startswith(f"{people} line {line}, field {field}:")
    assert caught.value.details == [{"file": str(people), "line": line, "field": field}]
    assert not out.exists()


BAD_SLOTS = [
    (2, "mode", "boat"),
    (3, "country", "MEX"),
    (4, "date", "04/03/2026"),
    (2, "start_hour", "25"),
    (3, "end_hour", "7"),
    (4, "capacity", "0"),
    (2, "capacity", "-3"),
    (3, "child_welfare", "true"),
    (4, "medical", ""),
    (2, "point", " "),
]


@pytest.mark.parametrize(("line", "field", "value"), BAD_SLOTS)
def test_bad_slot_rows_name_file_line_and_field(tmp_path: Path, line: int, field: str, value: str) -> None:
    rows = [list(r) for r in SLOTS]
    rows[line - 2][SLOT_FIELDS.index(field)] = value
    people, slots, out = files(tmp_path, slots=rows)
    with pytest.raises(InvalidInput, match=rf"line {line}, field {field}:"):
        write_plan(people, slots, out)
    assert not out.exists()


def test_duplicates_are_refused_by_line(tmp_path: Path) -> None:
    people, slots, out = files(tmp_path, people=[*PEOPLE, PEOPLE[1]])
    with pytest.raises(InvalidInput, match=r"line 7, field person_id: appears on an earlier line"):
        write_plan(people, slots, out)
    people, slots, out = files(tmp_path, slots=[*SLOTS, SLOTS[0]])
    with pytest.raises(InvalidInput, match=r"line 5, field slot_id: appears on an earlier line"):
        write_plan(people, slots, out)
    assert not out.exists()


def test_bad_files(tmp_path: Path) -> None:
    people, slots, out = files(tmp_path)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty.csv line 1: empty file"):
        write_plan(tmp_path / "empty.csv", slots, out)
    write(tmp_path / "swapped.csv", list(reversed(PEOPLE_FIELDS)), [])
    with pytest.raises(InvalidInput, match="swapped.csv line 1: the header must be person_id,family_id"):
        write_plan(tmp_path / "swapped.csv", slots, out)
    write(tmp_path / "short.csv", PEOPLE_FIELDS, [PEOPLE[0], PEOPLE[1][:4]])
    with pytest.raises(InvalidInput, match="short.csv line 3: 4 fields, expected 7"):
        write_plan(tmp_path / "short.csv", slots, out)
    (tmp_path / "latin1.csv").write_bytes(",".join(PEOPLE_FIELDS).encode() + b"\nn\xf1,,MX,2026-03-02,1,0,0\n")
    with pytest.raises(InvalidInput, match="latin1.csv: not UTF-8"):
        write_plan(tmp_path / "latin1.csv", slots, out)
    with pytest.raises(InvalidInput, match="missing.csv: no such file"):
        write_plan(tmp_path / "missing.csv", slots, out)
    assert not out.exists()


def test_an_existing_plan_is_replaced_whole(tmp_path: Path) -> None:
    people, slots, out = files(tmp_path)
    out.write_text("old,contents\nstale,row\n", encoding="utf-8")
    bad_row = ["x", "air", "MEX", "MX", "2026-03-04", "9", "13", "3", "0", "maybe"]
    bad = write(tmp_path / "bad.csv", SLOT_FIELDS, [SLOTS[0], bad_row])
    with pytest.raises(InvalidInput):
        write_plan(people, bad, out)
    assert out.read_text(encoding="utf-8") == "old,contents\nstale,row\n"
    write_plan(people, slots, out, first_seconds=1, second_seconds=1)
    assert out.read_text(encoding="utf-8").splitlines()[0] == "person_id,slot_id"


def test_spreadsheet_exports_with_crlf_and_bom_are_read(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(("\ufeff" + ",".join(PEOPLE_FIELDS) + "\r\n"
                        + "".join(",".join(r) + "\r\n" for r in PEOPLE)).encode("utf-8"))
    slots = write(tmp_path / "slots.csv", SLOT_FIELDS, SLOTS)
    result = write_plan(people, slots, tmp_path / "plan.csv", first_seconds=1, second_seconds=1)
    assert len(result.assignments) == 4


def test_quotas_from_a_file_bound_the_plan(tmp_path: Path) -> None:
    people, slots, out = files(tmp_path)
    # no air movement to Mexico this week: the family stays; the child still goes by land
    quotas = write(tmp_path / "quotas.csv", QUOTA_FIELDS, [["MX", "air", "0", "movements"],
                                                          ["MX", "land", "5", "persons"]])
    result = write_plan(people, slots, out, quotas=quotas, first_seconds=2, second_seconds=2)
    assert result.assignments == {"c1": "land1"}
    for row, field in ((["MX", "sea", "1", "movements"], "mode"), (["MX", "air", "1", "flights"], "unit"),
                       (["MX", "air", "-1", "movements"], "per_week"), (["mx", "air", "1", "persons"], "country")):
        bad = write(tmp_path / "bad.csv", QUOTA_FIELDS, [["GT", "air", "2", "movements"], row])
        with pytest.raises(InvalidInput) as caught:
            write_plan(people, slots, tmp_path / "never.csv", quotas=bad, first_seconds=1, second_seconds=1)
        assert f"bad.csv line 3, field {field}:" in caught.value.message
        assert not (tmp_path / "never.csv").exists()

"""Bad declaration files: the first bad line is named with its field, nothing of the file is used."""

from __future__ import annotations

from datetime import date

import pytest

from binational.trade import declarations, synthetic

GOOD = synthetic.csv_text(synthetic.declarations(5, start=date(2024, 1, 1), days=3, seed=9))
HEADER, *LINES = GOOD.splitlines()


def _with(line: int, column: str, value: str) -> str:
    names = HEADER.split(",")
    rows = [r.split(",") for r in LINES]
    rows[line - 2][names.index(column)] = value
    return "\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n"


def test_good_file():
    frame = declarations.parse(GOOD, labels=True)
    assert len(frame) == 5 and not frame["hs_unknown"].any()


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("Importer ID", "", "required, empty"),
    ("Date", "2024-13-01", "not a date"),
    ("Net Mass", "-3", "negative"),
    ("Item Price", "-0.5", "negative"),
    ("Item Price", "cheap", "not a number"),
    ("HS6 Code", "12AB56", "not an HS6 code"),
    ("Fraud", "2", "not 0 or 1"),
    ("Critical Fraud", "0", "contradicts Fraud"),
])
def test_bad_field_names_line_and_field(column, value, problem):
    text = _with(4, column, value)
    if column == "Critical Fraud":
        text = _with(4, "Fraud", "1").replace(",1,0\n", ",1,0\n")
        rows = text.splitlines()
        fields = rows[3].split(",")
        fields[-2], fields[-1] = "1", "0"
        rows[3] = ",".join(fields)
        text = "\n".join(rows) + "\n"
    with pytest.raises(declarations.DeclarationError) as caught:
        declarations.parse(text, "f.csv", labels=True)
    assert f"f.csv: line 4: field {column!r}" in caught.value.message and problem in caught.value.message


def test_unknown_hs_code_is_kept_and_flagged():
    frame = declarations.parse(_with(3, "HS6 Code", "779999"), labels=True)
    assert len(frame) == 5 and frame["hs_unknown"].sum() == 1


def test_changed_header():
    with pytest.raises(declarations.DeclarationError, match="missing column 'Net Mass'"):
        declarations.parse(GOOD.replace("Net Mass", "Net Weight"), "f.csv")
    with pytest.raises(declarations.DeclarationError, match="out of order"):
        declarations.parse(GOOD.replace("Net Mass,Item Price", "Item Price,Net Mass"), "f.csv")
    with pytest.raises(declarations.DeclarationError, match="missing column 'Fraud'"):
        unlabelled = synthetic.csv_text(synthetic.declarations(3, start=date(2024, 1, 1), days=2), labels=False)
        declarations.parse(unlabelled, "f.csv", labels=True)
    with pytest.raises(declarations.DeclarationError, match="empty file"):
        declarations.parse("", "f.csv")
    with pytest.raises(declarations.DeclarationError, match="not UTF-8"):
        declarations.parse(b"\xff\xfe\x00", "f.csv")


def test_duplicate_declaration():
    text = GOOD + LINES[0] + "\n"
    with pytest.raises(declarations.DeclarationError, match="line 7: field 'Declaration ID'.*twice"):
        declarations.parse(text, "f.csv")

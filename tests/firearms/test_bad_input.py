"""Bad input to firearms tracing: one error shape naming the line and field (or one line and exit 2 on
the command line), and nothing written for the batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from binational.cli import app
from tests.firearms.conftest import API, SALES, TRACES

runner = CliRunner()
HEADER, FIRST_TRACE = TRACES.splitlines()[0], TRACES.splitlines()[1]


@pytest.mark.parametrize(("kind", "text", "line", "field"), [
    ("sales", SALES + "A9,Glock,,,Lone Star Guns,TX,Jo,2999-01-01,19,9mm,pistol,ZZ1\n", 8, "sale_date"),
    ("sales", SALES + "A9,Glock,,,Lone Star Guns,TX,Jo,2020-01-01,19,9mm,pistol,AB#12\n", 8, "serial"),
    ("sales", SALES + "A9,Glock,,,Lone Star Guns,XX,Jo,2020-01-01,19,9mm,pistol,AB12\n", 8, "dealer_state"),
    ("sales", SALES.replace("pistol,BKLM123", "ray gun,BKLM123"), 2, "weapon_type"),
    ("multiple-sales", "report_id,dealer,dealer_state,purchaser,report_date,weapon_type,serials\n"
                       "M1,Gun Shop,FL,Jo,2024-01-01,rifle,A1;A2\n", 2, "dealer_state"),
    ("multiple-sales", "report_id,dealer,dealer_state,purchaser,report_date,weapon_type,serials\n"
                       "M1,Gun Shop,FL,Jo,2024-01-01,handgun,A1\n", 2, "serials"),
    ("recoveries", "recovery_id,place,state,recovered_on,manufacturer,weapon_type,serial\n"
                   "R1,Culiacán,Sinaloa,2999-01-01,Glock,pistol,AB?12\n", 2, "recovered_on"),
])
def test_a_bad_record_line_is_named_and_nothing_is_imported(client, atf, counts, kind, text, line, field):
    before = counts()
    r = client.post(f"{API}/firearms/records", headers=atf.headers, json={"kind": kind, "csv": text})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0] == {"line": line, "field": field}
    assert f"line {line}" in r.json()["error"]["message"]
    assert counts() == before


@pytest.mark.parametrize(("change", "field"), [
    (lambda row: row.replace(",G19,", ",,"), "model"),
    (lambda row: row.replace("BKLM123", "BK!M123"), "serial"),
    (lambda row: row.replace("2024-06-01", "2999-06-01"), "recovered_on"),
    (lambda row: row.replace("2024-06-01", "1 June"), "recovered_on"),
    (lambda row: row.replace("urgent", "whenever"), "priority"),
    (lambda row: row.replace("Pistola", "slingshot"), "weapon_type"),
])
def test_a_batch_with_one_bad_row_sends_nothing(client, cast, stocked, counts, change, field):
    before = counts()
    text = TRACES + change(FIRST_TRACE) + "\n"
    r = client.post(f"{API}/firearms/traces/batch", headers=cast["mx_analyst"].headers, json={"csv": text})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["line"] == 5
    assert r.json()["error"]["details"][0]["field"] == field
    assert counts() == before


def test_a_single_trace_missing_a_part_v_field(client, cast, counts):
    before = counts()
    body = {"crime_code": "5212", "officer": "Lic. Ruiz", "recovery_place": "Culiacán",
            "recovered_on": "2024-06-01", "manufacturer": "Glock", "model": "19", "weapon_type": "pistol",
            "serial": "BKLM123"}
    r = client.post(f"{API}/firearms/traces", headers=cast["mx_analyst"].headers, json=body)
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "caliber"}]
    assert counts() == before
    r = client.post(f"{API}/firearms/traces", headers=cast["mx_analyst"].headers, json={**body, "caliber": "9mm"})
    assert r.status_code == 201 and r.json()["status"] == "submitted"


def test_the_command_line_end_to_end_and_its_refusals(tmp_path: Path, client, cast, atf, counts):
    sales, traces = tmp_path / "sales.csv", tmp_path / "traces.csv"
    sales.write_text(SALES, encoding="utf-8")
    traces.write_text(TRACES, encoding="utf-8")
    result = runner.invoke(app, ["firearms", "import", "sales", str(sales), "--as", "atf_tracer"])
    assert result.exit_code == 0 and "imported 6 sales records" in result.output, result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(TRACES + FIRST_TRACE.replace("BKLM123", "BK!M123") + "\n", encoding="utf-8")
    before = counts()
    result = runner.invoke(app, ["firearms", "trace", "batch", str(bad), "--as", "mx_analyst"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: line 5: field serial")
    assert counts() == before
    result = runner.invoke(app, ["firearms", "trace", "batch", str(traces), "--as", "mx_analyst"])
    assert result.exit_code == 0 and "submitted 3 traces" in result.output, result.output
    result = runner.invoke(app, ["firearms", "queue", "--resolve", "--as", "atf_tracer"])
    assert result.exit_code == 0, result.output
    waiting = json.loads(result.stdout)
    assert len(waiting) == 2 and all(t["candidates"] for t in waiting)
    trace = next(t for t in waiting if t["serial"] == "TM12?45")
    sale = trace["candidates"][0]["sale_id"]
    result = runner.invoke(app, ["firearms", "confirm", trace["id"], sale, "--as", "atf_tracer"])
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "resolved", result.output
    result = runner.invoke(app, ["firearms", "leads", "--as", "mx_analyst"])
    assert result.exit_code == 0 and json.loads(result.stdout)["results"] == 2
    result = runner.invoke(app, ["firearms", "confirm", trace["id"], sale, "--as", "mx_inm"])
    assert result.exit_code == 2 and result.stderr.startswith("error: ")

"""The official series' importers (a bad row named, nothing imported) and the `binational repatriation`
commands: one line and exit 2 on bad input, the offline planner on files, the lock refused naming the gate."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from binational.cli import app
from tests.repatriation.conftest import build_week, run_to_lock, sign_in

API = "/api/v1"
DATA = Path(os.environ.get("BINATIONAL_PUBLIC_DATA", "../shared/data")) / "repatriation"
KHSM = """Fiscal Year,Month,Citizenship,Quantity
2024,01 October,Mexico,25010
2024,02 November,Mexico,23300
2024,01 October,Guatemala,6010
"""
ICE_AIR = """,MissionDate,CountryOfCitizenship,R-T,PULOC,DropLoc,AlienMasterIDCount,MissionIDCount,JuvenileCount,JuvPct
0,2017-03-02,MEXICO,R,KELP,MMMX,135,1,0.0,0.0
1,2017-03-03,MEXICO,R,KAEX,KHRL,88,1,2.0,0.02
"""


def _run(*args: str):
    return CliRunner().invoke(app, ["repatriation", *args])


def test_the_dhs_sheet_and_the_ice_air_flights_import_and_total(db, client, parties, tmp_path):
    sheet, flights = tmp_path / "khsm.csv", tmp_path / "flights.csv"
    sheet.write_text(KHSM, encoding="utf-8")
    flights.write_text(ICE_AIR, encoding="utf-8")
    r = _run("import", "khsm", str(sheet), "--as", "ice")
    assert r.exit_code == 0, r.output
    assert '"series": "dhs_repatriations_monthly_citizenship"' in r.stdout and '"rows": 3' in r.stdout
    r = _run("import", "ice-air", str(flights), "--as", "ice")
    assert r.exit_code == 0, r.output
    # any user reads the published series, naming whose copy; a filter by one citizenship
    r = client.get(f"{API}/repatriation/series/dhs_repatriations_monthly_citizenship?dimension=Citizenship"
                   "&value=Mexico&agency=US-ICE", headers=parties["inm"].headers)
    assert r.json() == [{"period": "2024-01", "quantity": 25010}, {"period": "2024-02", "quantity": 23300}]
    r = client.get(f"{API}/repatriation/series/ice_air_flights?agency=US-ICE", headers=parties["inm"].headers)
    assert sum(p["quantity"] for p in r.json()) == 223


BAD = [
    (KHSM.replace("23300", "23x00"), "line 3: Quantity"),
    (KHSM.replace("02 November", "November"), "line 3: Month"),
    (KHSM.replace("2024,01 October,Guatemala", "1850,01 October,Guatemala"), "line 4: Fiscal Year"),
    ("Year,Quantity\n2020,1\n", "line 1: header"),
]


def test_a_bad_row_is_named_and_nothing_is_imported(db, client, parties, tmp_path):
    sheet, flights = tmp_path / "khsm.csv", tmp_path / "flights.csv"
    for text, named in BAD:
        sheet.write_text(text, encoding="utf-8")
        r = _run("import", "khsm", str(sheet), "--as", "ice")
        assert r.exit_code == 2 and r.stderr.count("\n") == 1 and named in r.stderr, r.stderr
    r = client.get(f"{API}/repatriation/series/dhs_repatriations_monthly_citizenship", headers=parties["ice"].headers)
    assert r.json() == []
    flights.write_text(ICE_AIR.replace("KAEX", "somewhere"), encoding="utf-8")
    r = _run("import", "ice-air", str(flights), "--as", "ice")
    assert r.exit_code == 2 and "line 3: PULOC" in r.stderr
    assert client.get(f"{API}/repatriation/series/ice_air_flights", headers=parties["ice"].headers).json() == []


@pytest.mark.skipif(not (DATA / "sodioR-khsm").is_dir(), reason="the real files are not here")
def test_the_real_files_import(db, parties):
    r = _run("import", "khsm", str(DATA / "sodioR-khsm" / "khsm_repatriations_monthly_repatriations.csv"),
             "--as", "ice")
    assert r.exit_code == 0, r.output
    r = _run("import", "ice-air", str(DATA / "uwchr-ice-air" / "MEXICO_removal_flights.csv"), "--as", "ice")
    assert r.exit_code == 0, r.output


def test_the_offline_planner_on_files(tmp_path):
    people, slots, out = tmp_path / "people.csv", tmp_path / "slots.csv", tmp_path / "plan.csv"
    people.write_text("person_id,family_id,nationality,ready_date,priority,unaccompanied_child,needs_medical\n"
                      "p1,,MX,2030-01-01,2,0,0\np2,f1,MX,2030-01-01,1,0,0\np3,f1,MX,2030-01-01,1,0,0\n"
                      "p4,,MX,2030-01-01,1,1,0\n", encoding="utf-8")
    slots.write_text("slot_id,mode,point,country,date,start_hour,end_hour,capacity,child_welfare,medical\n"
                     "s1,land,tijuana,MX,2030-01-02,8,17,3,1,0\ns2,air,aifa,MX,2030-01-03,9,14,2,0,0\n",
                     encoding="utf-8")
    r = _run("plan", "--people", str(people), "--slots", str(slots), "--out", str(out),
             "--first-seconds", "2", "--second-seconds", "2")
    assert r.exit_code == 0, r.output
    rows = dict(line.split(",") for line in out.read_text().split()[1:])
    assert rows["p4"] == "s1" and rows["p2"] == rows["p3"]  # a child by land only; a family together
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,family_id,nationality,ready_date,priority,unaccompanied_child,needs_medical\n"
                   "p1,,MX,tomorrow,2,0,0\n", encoding="utf-8")
    r = _run("plan", "--people", str(bad), "--slots", str(slots), "--out", str(tmp_path / "p2.csv"))
    assert r.exit_code == 2 and "ready_date" in r.stderr and not (tmp_path / "p2.csv").exists()


def test_the_lock_command_names_person_and_gate(db, parties):
    week = build_week(db)
    run_to_lock(db, week)
    r = _run("lock", week.movements["land"], "--as", "ice")
    assert r.exit_code == 2 and "Gloria Abogada Registrada" in r.stderr and "counsel" in r.stderr
    r = _run("movements", "--as", "inm", "--role", "receiver")
    assert r.exit_code == 0 and week.movements["land"] in r.stdout and "counsel" not in r.stdout
    r = _run("movements", "--as", "inm", "--role", "nobody")
    assert r.exit_code == 2 and r.stderr.startswith("error: unknown role")


def test_imports_from_the_api_and_the_page_all_or_nothing(db, client, web_parties):
    h = {**web_parties["ice"].headers, "Content-Type": "text/csv"}
    # the API: the CSV as the body; a bad row is 422 naming line and field, and nothing is imported
    for text, named in BAD:
        r = client.post(f"{API}/repatriation/imports/khsm?source=sheet.csv", headers=h, content=text.encode())
        assert r.status_code == 422 and named in r.json()["error"]["message"], r.text
    assert client.get(f"{API}/repatriation/series/dhs_repatriations_monthly_citizenship", headers=h).json() == []
    r = client.post(f"{API}/repatriation/imports/ice-air", headers=h, content=ICE_AIR.encode())
    assert r.status_code == 201 and r.json() == {"series": "ice_air_flights", "rows": 2, "total": 223}
    r = client.post(f"{API}/repatriation/imports/nothing", headers=h, content=ICE_AIR.encode())
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "kind"
    # a reader without the capability to create records imports nothing
    csv_as_sre = {**web_parties["sre"].headers, "Content-Type": "text/csv"}
    r = client.post(f"{API}/repatriation/imports/khsm", headers=csv_as_sre, content=KHSM.encode())
    assert r.status_code == 403
    # the page: the same importer, its error in the visitor's language with the line, then a good file
    sign_in(client, "ice")
    form = client.get("/repatriation/import", headers={"Accept-Language": "es-MX"})
    assert form.status_code == 200 and 'id="import-bar"' in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    text, named = BAD[0]
    r = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                    files={"file": ("sheet.csv", text.encode(), "text/csv")}, headers={"Accept-Language": "es-MX"})
    assert r.status_code == 422 and 'data-testid="import-error"' in r.text and named.split(":")[0] in r.text
    assert client.get(f"{API}/repatriation/series/dhs_repatriations_monthly_citizenship", headers=h).json() == []
    r = client.post("/repatriation/import", data={"csrf": token, "kind": "khsm"},
                    files={"file": ("sheet.csv", KHSM.encode(), "text/csv")})
    assert r.status_code == 200 and 'data-testid="imported"' in r.text and "54320" in r.text
    totals = client.get(f"{API}/repatriation/series/dhs_repatriations_monthly_citizenship", headers=h).json()
    assert totals == [{"period": "2024-01", "quantity": 31020}, {"period": "2024-02", "quantity": 23300}]

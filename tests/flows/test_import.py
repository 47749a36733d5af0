"""The importer: each format detected and read, the same file twice adds nothing, a newer file of the
same period replaces its values and says so, and every bad file is refused naming file, line and
column with nothing written (API, CLI)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.cli import app
from binational.db import act_as_system
from binational.flows import formats
from binational.flows.forecasting import month_index
from binational.flows.models import FlowImport, FlowSeries, FlowValue
from tests.flows import samples

API = "/api/v1/flows"
runner = CliRunner()


def _count(db) -> tuple[int, int, int]:  # noqa: ANN001
    with db.session() as s, s.begin():
        act_as_system(s)
        return tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[return-value]
            for m in (FlowSeries, FlowValue, FlowImport)
        )


def test_each_format_is_detected_and_read():
    enc = formats.parse("enc.csv", samples.encounters(fytd=2024).encode())
    assert enc.format == "cbp-encounters" and enc.rows == 36 * 4
    # fiscal year 2023 opens in October 2022; "2024 (FYTD)" is 2024
    assert enc.values[("us-cbp-encounters/total", month_index("2022-10"))] == 2 * (900 + 300) + 4 * 30
    assert ("us-cbp-encounters/aor/El Paso Sector", month_index("2024-09")) in enc.values
    assert enc.series["us-cbp-encounters/citizenship/GUATEMALA"].public
    sz = formats.parse("drugs.csv", samples.seizures().encode())
    assert sz.format == "cbp-drug-seizures"
    assert sz.values[("us-cbp-drug-seizures/drug/Fentanyl", month_index("2022-10"))] == 20
    assert sz.values[("us-cbp-drug-seizure-weight/drug/Fentanyl", month_index("2022-10"))] == 150.5
    bts = formats.parse("bts.csv", samples.bts().encode())
    assert bts.format == "bts-crossings"
    laredo = bts.series["bts-crossings-trucks/port/Laredo (2304)"]
    assert (laredo.latitude, laredo.longitude) == (27.5, -99.5)
    pm = formats.parse("modes.csv", samples.port_modes().encode())
    assert (
        pm.format == "port-mode-crossings"
        and len([k for k in pm.values if k[0] == "crossings-commercial-trucks/port/Laredo"]) == 24
    )
    mx = formats.parse("inm.csv", samples.mx_events().encode())
    assert mx.format == "mx-events" and not mx.series["mx-events/state/Chiapas"].public
    assert mx.values[("mx-seizures/category/fentanilo", month_index("2024-01"))] == 4
    long = formats.parse("long.csv", samples.long_csv(samples.seasonal("a", 2020, 3, 10.0)).encode())
    assert long.format == "long" and len(long.values) == 3


def test_the_same_file_twice_adds_nothing_and_a_newer_one_replaces(client, cast, upload, db):
    first = upload("us_analyst", samples.encounters(), name="enc.csv")
    assert first["added"] > 0 and first["replaced"] == first["unchanged"] == 0
    before = _count(db)
    again = upload("us_analyst", samples.encounters(), name="enc.csv")
    assert (again["added"], again["replaced"], again["unchanged"]) == (0, 0, first["added"])
    assert _count(db)[:2] == before[:2]
    # the running fiscal year revised: its months are replaced, the closed years left unchanged
    revised = samples.encounters(years=(2024,), fytd=2024, bump=5)
    newer = upload("us_analyst", revised, name="enc-fytd.csv")
    assert newer["added"] == 0 and newer["replaced"] == 12 * 10 and newer["unchanged"] == 0
    total = {
        v["month"]: v["value"]
        for v in client.get(
            f"{API}/series/{_id(client, cast, 'us-cbp-encounters/total')}", headers=cast["us_analyst"].headers
        ).json()["values"]
    }
    assert total["2024-09"] == 2 * (900 + 300) + 4 * 50 * 11 + 4 * 40 + 4 * 5
    assert total["2022-10"] == 2 * (900 + 300) + 4 * 30


def _id(client, cast, key: str) -> int:  # noqa: ANN001
    rows = client.get(f"{API}/series", headers=cast["us_analyst"].headers, params={"limit": 1000}).json()["items"]
    return next(r["id"] for r in rows if r["key"] == key)


def test_the_series_view_has_years_and_year_over_year(client, cast, upload):
    upload("us_analyst", samples.encounters(), name="enc.csv")
    body = client.get(
        f"{API}/series/{_id(client, cast, 'us-cbp-encounters/total')}", headers=cast["us_analyst"].headers
    ).json()
    fiscal = {y["year"]: y for y in body["fiscal_years"]}
    assert set(fiscal) == {2022, 2023, 2024} and all(y["complete"] for y in fiscal.values())
    calendar = {y["year"]: y for y in body["calendar_years"]}
    assert calendar[2021]["months"] == 3 and calendar[2024]["months"] == 9
    yoy = {r["month"]: r for r in body["year_over_year"]}
    assert yoy["2023-10"]["change"] == 4 * 10 and yoy["2023-10"]["ratio"] == pytest.approx(40 / 2520)
    csv_text = client.get(f"{API}/series/{body['id']}/export", headers=cast["us_analyst"].headers).text
    assert (
        csv_text.splitlines()[0] == "series,month,value,mean,lo80,hi80,lo95,hi95" and len(csv_text.splitlines()) == 37
    )


BAD = [
    (
        "missing column",
        samples.ENCOUNTERS_HEADER.replace(",Encounter Count", ",Encounters") + "\n2024,FYTD,OCT,x,y,z,a,b,c,d,e,1\n",
        "line 1",
        "encounter_count",
    ),
    (
        "not a number",
        samples.encounters().replace(',"920"', ",many", 1),
        "column 'Encounter Count'",
        "'many' is not a number",
    ),
    (
        "unknown month",
        samples.encounters().replace(",OCT,", ",OCTO,", 1).replace(",OCTO,", ",XYZ,", 1),
        "column 'Month (abbv)'",
        "is not a month",
    ),
    (
        "two fiscal years",
        samples.encounters().replace("2023,FYTD,", "2023,FY2024,", 1),
        "column 'Month Grouping'",
        "two fiscal years",
    ),
    ("truncated row", samples.encounters()[:-40], "line 145", "truncated"),
    ("negative", samples.long_csv(["a,2024-01,-3"]), "line 2 column 'value'", "not a count"),
    ("bad long month", samples.long_csv(["a,2024-13,3"]), "line 2 column 'month'", "not a month"),
    ("duplicate", samples.long_csv(["a,2024-01,3", "a,2024-01,4"]), "line 3", "a second value"),
    ("unknown format", "name,age\nana,3\n", "line 1", "none of the known formats"),
]


@pytest.mark.parametrize(("text", "where", "what"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_files_are_refused_naming_where_and_nothing_is_written(client, cast, upload, db, text, where, what):
    upload("us_analyst", samples.long_csv(samples.seasonal("kept", 2020, 30, 10.0)), name="kept.csv")
    before = _count(db)
    body = upload("us_analyst", text, name="bad.csv", status=422)
    assert body["error"]["code"] == "invalid_file", body
    assert "bad.csv" in body["error"]["message"] and where in body["error"]["message"], body
    assert what in body["error"]["message"] and "nothing imported" in body["error"]["message"]
    assert _count(db) == before


def test_cli_import_prints_counts_and_json_and_exits_2_on_a_bad_file(tmp_path, settings, db):
    path = tmp_path / "enc.csv"
    path.write_text(samples.encounters())
    r = runner.invoke(app, ["flows", "import", str(path), "--as", "us_analyst", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["file"] == "enc.csv" and out["format"] == "cbp-encounters" and out["added"] > 0
    assert set(out) == {"file", "format", "added", "replaced", "unchanged"}
    r = runner.invoke(app, ["flows", "import", str(path), "--as", "us_analyst"])
    assert r.exit_code == 0 and f"added 0, replaced 0, unchanged {out['added']}" in r.stdout
    before = _count(db)
    path.write_text(samples.encounters()[:-40])
    r = runner.invoke(app, ["flows", "import", str(path), "--as", "us_analyst"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "enc.csv line 145" in r.stderr
    assert _count(db) == before


REAL = (
    Path(os.environ.get("BINATIONAL_PUBLIC_DATA", "../shared/data"))
    / "flows"
    / "texas-mexico-monthly-crossings-2008-2025.csv"
)


@pytest.mark.skipif(not REAL.is_file(), reason=f"{REAL} is absent (BINATIONAL_PUBLIC_DATA)")
def test_the_real_texas_crossings_file_parses_into_its_165_series():
    parsed = formats.parse(REAL.name, REAL.read_bytes())
    assert parsed.format == "port-mode-crossings" and parsed.rows == 34090
    crossings = {k for k in parsed.series if "/crossing/" in k}
    assert len(crossings) == 165
    real_sample = (
        Path(os.environ.get("BINATIONAL_PUBLIC_DATA", "../shared/data"))
        / "border"
        / "cbp-encounters-sample"
        / "cbp_resp_sample.csv"
    )
    enc = formats.parse(real_sample.name, real_sample.read_bytes())
    assert enc.format == "cbp-encounters" and enc.rows == 21

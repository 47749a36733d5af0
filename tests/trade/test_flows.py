"""BTS TransBorder freight tables: checked, stored idempotently, summed into indicators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from binational.cli import app
from binational.config import get_settings
from binational.trade import bts

runner = CliRunner()
REAL = Path(get_settings().public_data) / "border" / "bts-transborder-2015-01"

CODES = {
    "trade_type.csv": "Code,Trade Type\n1,Export\n2,Import\n",
    "mode_of_transportation.csv": "Code,Description\n5,Truck\n6,Rail\n",
    "port.csv": 'District code,Port code,Port name\n23XX,,"LAREDO, TX"\n,2304,"LAREDO, TX"\n,2402,"EL PASO, TX"\n',
    "us_state.csv": "Code,State name\nTX,Texas\nMI,Michigan\n",
    "mexican_state.csv": "Code,State name\nNL,Nuevo Leon\nCH,Chihuahua\n",
    "canadian_province.csv": "Code,Province name\nXO,Ontario\n",
    "country.csv": "Code,Country\n1220,Canada\n2010,Mexico\n",
    "commodity_classification.csv": "2-Digit Commodity Code,Commodity Description\n84,Machinery\n87,Vehicles\n",
}
TABLE1 = (",".join(bts.HEADERS[1]) + "\n"
          "1,TX,2304,5,NL,,2010,1000,0,10,1,X,01,2015\n"
          "2,TX,2304,5,NL,,2010,3000,500,20,,X,01,2015\n"
          "2,TX,2402,6,CH,,2010,700,200,5,,0,02,2015\n"
          "1,MI,2304,5,,XO,1220,9999,0,1,1,X,01,2015\n")
TABLE2 = (",".join(bts.HEADERS[2]) + "\n"
          "1,TX,84,5,NL,,2010,1000,0,10,1,X,01,2015\n2,TX,87,5,NL,,2010,3700,700,20,,X,01,2015\n")
TABLE3 = ("TRDTYPE,DEPE,COMMODITY2,DISAGMOT,COUNTRY,VALUE,SHIPWT,FREIGHT_CHARGES,DF,CONTCODE,MONTH,YEAR\n"
          "1,2304,84,5,2010,1000,0,10,1,X,01,2015\n")


def _folder(tmp_path: Path, **changes: str) -> Path:
    (tmp_path / "codes").mkdir(exist_ok=True)
    for name, text in CODES.items():
        (tmp_path / "codes" / name).write_text(text)
    for name, text in {"dot1_0115.csv": TABLE1, "dot2_0115.csv": TABLE2, "dot3_0115.csv": TABLE3, **changes}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _indicators(*args: str) -> dict:
    r = runner.invoke(app, ["trade", "indicators", "--as", "mx_analyst", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_import_twice_and_read_indicators(settings, db, tmp_path):
    folder = _folder(tmp_path)
    for _ in range(2):  # the second import replaces the first
        r = runner.invoke(app, ["trade", "flows", str(folder)])
        assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["table1_replaced"] == 4
    out = _indicators("--codes", str(folder / "codes"))
    assert out["trade"] == {"exports": 1000, "imports": 3700, "total": 4700, "export_kg": 0, "import_kg": 700}
    assert [(p["name"], p["total"]) for p in out["ports"]] == [("LAREDO, TX", 4000), ("EL PASO, TX", 700)]
    assert [m["name"] for m in out["modes"]] == ["Truck", "Rail"]
    assert [(c["name"], c["total"]) for c in out["commodities"]] == [("Vehicles", 3700), ("Machinery", 1000)]
    assert out["corridors"][0] == {"port": "2304", "port_name": "LAREDO, TX", "region": "NL",
                                   "region_name": "Nuevo Leon", "exports": 1000, "imports": 3000, "total": 4000,
                                   "export_kg": 0, "import_kg": 500}
    assert [(t["month"], t["total"]) for t in out["trend"]] == [(1, 4000), (2, 700)]
    assert _indicators("--country", "canada")["trade"]["exports"] == 9999
    assert _indicators("--month", "2")["trade"]["total"] == 700


@pytest.mark.parametrize(("file", "text", "message"), [
    ("dot1_0115.csv", TABLE1.replace("1,TX,2304,5,NL", "1,TX,2304,2,NL"), "line 2: field 'DISAGMOT': unknown mode"),
    ("dot1_0115.csv", TABLE1.replace("3000,500", "-3,500"), "line 3: field 'VALUE'"),
    ("dot2_0115.csv", TABLE2.replace(",84,", ",85,"), "line 2: field 'COMMODITY2': unknown commodity"),
    ("dot3_0115.csv", TABLE3.replace("DEPE", "PORT"), "header: missing column 'DEPE'"),
    ("dot1_0115.csv", TABLE1.replace(",01,2015\n", ",13,2015\n", 1), "field 'MONTH'"),
])
def test_a_bad_file_stores_nothing(settings, db, tmp_path, file, text, message):
    folder = _folder(tmp_path, **{file: text})
    r = runner.invoke(app, ["trade", "flows", str(folder)])
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert _indicators()["trade"] == {}


@pytest.mark.skipif(not (REAL / "dot1_0115.csv").is_file(), reason="TransBorder sample absent")
def test_the_real_january_2015_tables(settings, db):
    r = runner.invoke(app, ["trade", "flows", str(REAL)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["table2"] == 70973
    out = _indicators("--codes", str(REAL / "codes"), "--top", "5")
    assert round(out["trade"]["exports"] / 1e9, 2) == 19.14 and round(out["trade"]["imports"] / 1e9, 2) == 22.06
    assert [p["name"] for p in out["ports"]][:3] == ["LAREDO, TX", "EL PASO, TX", "OTAY MESA, CA"]
    assert round(out["ports"][0]["total"] / 1e9, 2) == 15.16


def test_the_indicators_page_carries_its_chart(settings, client, tmp_path):
    from tests.web.conftest import sign_in
    assert runner.invoke(app, ["trade", "flows", str(_folder(tmp_path))]).exit_code == 0
    sign_in(client, "mx_analyst")
    page = client.get("/trade/indicators")
    assert page.status_code == 200 and 'id="trade-chart-spec"' in page.text and "/static/trade.js" in page.text
    spec = json.loads(page.text.split('id="trade-chart-spec">')[1].split("</script>")[0])
    assert {v["port"] for v in spec["data"]["values"]} == {"2304", "2402"}

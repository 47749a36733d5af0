"""CBP Border Wait Times snapshots: imported once per report, refused whole when malformed, polled
from a configured URL (a local HTTP server here), shown as conditions and history."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from binational.cli import app
from binational.config import get_settings

runner = CliRunner()
REAL = Path(get_settings().public_data) / "border" / "cbp-border-wait-times-sample" / "currentBorderCrossings.json"


def _lane(status: str, delay: str, lanes: str) -> dict:
    return {"update_time": "At Noon CDT", "operational_status": status, "delay_minutes": delay, "lanes_open": lanes}


NA = _lane("N/A", "", "")
SNAPSHOT = [
    {"port_number": "230404", "border": "Mexican Border", "port_name": "Laredo", "crossing_name": "World Trade Bridge",
     "date": "6/29/2022", "time": "12:25:16", "port_status": "Open",
     "commercial_vehicle_lanes": {"maximum_lanes": "15", "standard_lanes": _lane("delay", "45", "10"),
                                  "FAST_lanes": _lane("delay", "15", "4")},
     "passenger_vehicle_lanes": {"maximum_lanes": "N/A", "standard_lanes": NA, "NEXUS_SENTRI_lanes": NA,
                                 "ready_lanes": NA},
     "pedestrian_lanes": {"maximum_lanes": "N/A", "standard_lanes": NA, "ready_lanes": NA}},
    {"port_number": "250401", "border": "Mexican Border", "port_name": "San Ysidro", "crossing_name": "",
     "date": "6/29/2022", "time": "12:00:00", "port_status": "Open",
     "passenger_vehicle_lanes": {"maximum_lanes": "34", "standard_lanes": _lane("delay", "60", "20"),
                                 "NEXUS_SENTRI_lanes": _lane("no delay", "5", "6"), "ready_lanes": NA},
     "pedestrian_lanes": {"maximum_lanes": "12", "standard_lanes": _lane("Lanes Closed", "", "0"),
                          "ready_lanes": NA}},
]


def _show(*args: str) -> dict:
    r = runner.invoke(app, ["trade", "ports", "show", "--as", "mx_analyst", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_import_once_and_show(settings, db, tmp_path):
    file = tmp_path / "bwt.json"
    file.write_text(json.dumps(SNAPSHOT))
    r = runner.invoke(app, ["trade", "ports", "import", str(file)])
    assert r.exit_code == 0 and json.loads(r.stdout) == {"observations": 5, "skipped": 0}, r.output
    r = runner.invoke(app, ["trade", "ports", "import", str(file)])
    assert json.loads(r.stdout) == {"observations": 0, "skipped": 5}
    later = copy.deepcopy(SNAPSHOT)
    later[0]["time"] = "13:25:16"
    later[0]["commercial_vehicle_lanes"]["standard_lanes"] = _lane("delay", "90", "8")
    file.write_text(json.dumps(later))
    assert runner.invoke(app, ["trade", "ports", "import", str(file)]).exit_code == 0
    out = _show()
    laredo = next(c for c in out["crossings"] if c["port_number"] == "230404")
    assert laredo["lanes"]["commercial_standard"] == {"status": "delay", "delay_minutes": 90, "lanes_open": 8,
                                                      "maximum_lanes": 15}
    assert laredo["lanes"]["commercial_fast"]["delay_minutes"] == 15
    ysidro = next(c for c in out["crossings"] if c["port_number"] == "250401")
    assert set(ysidro["lanes"]) == {"passenger_standard", "passenger_nexus_sentri", "pedestrian_standard"}
    assert ysidro["lanes"]["pedestrian_standard"]["delay_minutes"] is None
    history = _show("--crossing", "230404")["history"]
    assert [h["delay_minutes"] for h in history["commercial_standard"]] == [90, 45]
    assert _show("--border", "canadian")["crossings"] == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s[0].update(port_number="23040"), "crossing 1: field 'port_number'"),
    (lambda s: s[1].update(date="29/6/2022"), "crossing 2 (250401): fields 'date' and 'time'"),
    (lambda s: s[0]["commercial_vehicle_lanes"]["FAST_lanes"].update(delay_minutes="-5"),
     "field 'commercial_vehicle_lanes.FAST_lanes.delay_minutes'"),
    (lambda s: s.append("not a crossing"), "crossing 3: not an object"),
])
def test_a_malformed_snapshot_stores_nothing(settings, db, tmp_path, change, message):
    bad = copy.deepcopy(SNAPSHOT)
    change(bad)
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(bad))
    r = runner.invoke(app, ["trade", "ports", "import", str(file)])
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert _show()["crossings"] == []


def test_poll_reads_the_configured_url(settings, db, monkeypatch):
    r = runner.invoke(app, ["trade", "ports", "poll", "--once"])
    assert r.exit_code == 2 and "polling is off" in r.stderr
    body = json.dumps(SNAPSHOT).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("BINATIONAL_WAIT_TIMES_URL", f"http://127.0.0.1:{server.server_port}/api/bwtnew")
        get_settings.cache_clear()
        r = runner.invoke(app, ["trade", "ports", "poll", "--once"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["observations"] == 5
    finally:
        server.shutdown()
        get_settings.cache_clear()
    assert len(_show()["crossings"]) == 2


@pytest.mark.skipif(not REAL.is_file(), reason="wait-times sample absent")
def test_the_real_snapshot(settings, db):
    r = runner.invoke(app, ["trade", "ports", "import", str(REAL)])
    assert r.exit_code == 0, r.output
    out = _show()
    assert 30 <= len(out["crossings"]) <= 46 and all(c["lanes"] for c in out["crossings"])
    laredo = next(c for c in out["crossings"] if c["port_number"] == "230404")
    assert laredo["lanes"]["commercial_standard"]["delay_minutes"] == 45
    assert laredo["lanes"]["commercial_fast"]["delay_minutes"] == 15

"""An injected surge raises an alert: a month outside the stored forecast's 95 % interval, or a
year-over-year jump; each alert is raised once, told to the subscribers who may see its series, and
posted to the webhook only when its series is public."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from typer.testing import CliRunner

from binational.cli import app
from binational.config import get_settings
from tests.flows import samples

API = "/api/v1/flows"
runner = CliRunner()


def _alerts(who: str) -> list[dict]:
    r = runner.invoke(app, ["flows", "alerts", "--as", who])
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_a_month_outside_the_interval_raises_one_alert_for_subscribers(client, cast, upload, series_ids, settings):
    history = samples.seasonal("cbp-sector-x", 2019, 48, 1000.0)
    upload("us_analyst", samples.long_csv(history), name="history.csv")
    sid = series_ids("us_analyst")["US-CBP:cbp-sector-x"]
    for who in ("us_supervisor", "us_analyst"):
        r = runner.invoke(app, ["flows", "alerts", "--as", who, "--subscribe", "cbp-sector-x"])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["flows", "forecast", "--as", "us_analyst", "--horizon", "3"])
    assert r.exit_code == 0 and '"forecast": 1' in r.stdout, r.output
    forecast = client.get(f"{API}/series/{sid}", headers=cast["us_analyst"].headers).json()["forecast"]
    first = forecast["months"][0]
    assert first["month"] == "2023-01" and first["lo95"] < first["mean"] < first["hi95"]
    # an ordinary month: no alert; then a surge to three times the forecast
    upload("us_analyst", samples.long_csv([f"cbp-sector-x,2023-01,{first['mean']:.1f}"]), name="jan.csv")
    assert _alerts("us_analyst") == []
    surge = 3 * forecast["months"][1]["hi95"]
    upload("us_analyst", samples.long_csv([f"cbp-sector-x,2023-02,{surge:.1f}"]), name="feb.csv")
    raised = _alerts("us_analyst")
    assert [(a["series"], a["month"], a["kind"]) for a in raised] == [
        ("cbp-sector-x", "2023-02", "interval"),
        ("cbp-sector-x", "2023-02", "yoy"),
    ]
    assert _alerts("us_analyst") == []  # raised once
    for who in ("us_supervisor", "us_analyst"):
        notices = client.get(f"{API}/notices", headers=cast[who].headers).json()
        assert {(n["month"], n["kind"], n["owner_agency"]) for n in notices} == {
            ("2023-02", "interval", "US-CBP"),
            ("2023-02", "yoy", "US-CBP"),
        }
    assert client.get(f"{API}/notices", headers=cast["mx_analyst"].headers).json() == []
    # marking read is one's own: the analyst's notices are read, the supervisor's stay unread
    assert client.post(f"{API}/notices/read", headers=cast["mx_analyst"].headers).json() == {"marked": 0}
    assert client.post(f"{API}/notices/read", headers=cast["us_analyst"].headers).json() == {"marked": 2}
    assert client.get(f"{API}/notices", headers=cast["us_analyst"].headers, params={"unread": True}).json() == []
    assert all(n["read"] for n in client.get(f"{API}/notices", headers=cast["us_analyst"].headers).json())
    unread = client.get(f"{API}/notices", headers=cast["us_supervisor"].headers, params={"unread": True}).json()
    assert len(unread) == 2
    page = client.get(f"{API}/series/{sid}", headers=cast["us_analyst"].headers).json()
    assert {a["kind"] for a in page["alerts"]} == {"interval", "yoy"}


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_the_webhook_gets_public_alerts_only(upload, settings, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("BINATIONAL_FLOWS_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    get_settings.cache_clear()
    try:
        _Hook.received.clear()
        public = samples.port_modes().replace(
            "2023-12-WTB-Trucks,2023,12,Laredo,Laredo,World Trade Bridge,Commercial Trucks,212000",
            "2023-12-WTB-Trucks,2023,12,Laredo,Laredo,World Trade Bridge,Commercial Trucks,900000",
        )
        upload("us_analyst", public, name="modes.csv")
        upload(
            "us_analyst",
            samples.long_csv(samples.seasonal("cbp-internal", 2019, 48, 500.0, surge_last=4.0)),
            name="internal.csv",
        )
        r = runner.invoke(app, ["flows", "alerts", "--as", "us_analyst"])
        assert r.exit_code == 0, r.output
        assert "cbp-internal" in r.stdout and "posted to the webhook" in r.stderr
        [posted] = _Hook.received
        assert {a["series"] for a in posted["alerts"]} == {
            "crossings-commercial-trucks/total",
            "crossings-commercial-trucks/crossing/Laredo – World Trade Bridge",
            "crossings-commercial-trucks/port/Laredo",
            "crossings-commercial-trucks/region/Laredo",
        }
        assert all(a["kind"] == "yoy" for a in posted["alerts"])
    finally:
        server.shutdown()
        get_settings.cache_clear()

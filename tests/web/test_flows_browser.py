"""The flows dashboard and a series' page in headless Chromium, in English and Spanish: an injected
surge raises an alert that the dashboard shows, the charts and the map are drawn by Vega under the
page's policy, a partner sees none of the internal series, zero axe-core violations.

Skips as `test_browser.py` does when Playwright or Chromium is missing.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from binational.cli import app
from tests.flows import samples
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
    violations,
)

API = "/api/v1/flows"
runner = CliRunner()


def _upload(client, member, text: str, name: str) -> None:  # noqa: ANN001
    r = client.post(f"{API}/imports", headers={**member.headers, "Content-Type": "text/csv"},
                    params={"source": name}, content=text.encode())
    assert r.status_code == 201, r.text


def test_a_surge_shows_on_the_dashboard_in_both_languages(server, browser, client, cast):  # noqa: ANN001, F811
    us = cast["us_analyst"]
    _upload(client, us, samples.bts(), "bts.csv")
    _upload(client, us, samples.long_csv(samples.seasonal("cbp-sector-z", 2019, 60, 1000.0, surge_last=3.0)),
            "internal.csv")
    r = runner.invoke(app, ["flows", "forecast", "--as", "us_analyst", "--horizon", "3",
                            "--indicator", "cbp-sector-z"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["flows", "alerts", "--as", "us_analyst"])
    assert r.exit_code == 0, r.output
    raised = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(a["series"], a["kind"]) for a in raised] == [("cbp-sector-z", "yoy")]
    sid = raised[0]["series_id"]

    en = _sign_in(browser, server, "us_analyst")
    en.goto(f"{server}/flows")
    alerts = en.get_by_test_id("flows-alerts")
    assert "cbp-sector-z" in alerts.inner_text()
    en.locator("#flows-map svg").wait_for()
    assert violations(en) == []
    en.goto(f"{server}/flows/series/{sid}")
    en.locator("#flows-chart svg").wait_for()
    en.locator("#flows-yoy svg").wait_for()
    with en.expect_download() as download:
        en.get_by_test_id("flows-png").click()
    assert download.value.suggested_filename == f"series-{sid}.png"
    assert violations(en) == []

    es = _sign_in(browser, server, "us_analyst", locale="es-MX")
    es.goto(f"{server}/flows")
    assert es.get_by_role("heading", name="Flujos fronterizos").is_visible()
    assert "variación anual mayor que el umbral" in es.get_by_test_id("flows-alerts").inner_text()
    assert violations(es) == []
    # a forecast run from the dashboard: its page follows it (htmx) to its summary
    es.goto(f"{server}/flows?indicator=cbp-sector-z")
    es.get_by_label("Meses hacia adelante").fill("3")
    es.get_by_test_id("flows-forecast").click()
    es.get_by_test_id("forecast-summary").wait_for(timeout=180_000)
    assert "1 series pronosticadas" in es.get_by_test_id("forecast-summary").inner_text()
    assert violations(es) == []

    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    mx.goto(f"{server}/flows")
    mx.locator("#flows-map svg").wait_for()
    assert "cbp-sector-z" not in mx.content()
    assert violations(mx) == []

"""The home page's picture and the network overview in headless Chromium, in Spanish and English: what a
partner sees, the chart drawn under the page's policy, zero axe-core violations, and each page served in
under 300 ms.

Skips as `test_browser.py` does when Playwright or Chromium is missing; fails when axe-core is not
installed (`npm ci` installs it with the front-end packages).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from tests.networks.conftest import world  # noqa: F401 - the shared network fixture
from tests.web.test_browser import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: the rules axe-core holds a page to: WCAG 2.1 A and AA
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGE_MS = 300


def _violations(page) -> list[dict]:  # noqa: ANN001
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci`"
    # Evaluated through the browser's debugging protocol, which the page's script policy does not govern.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async (rules) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: rules}});
        return {passes: result.passes.length,
                violations: result.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(" "))}))};
    }""", RULES)
    assert result["passes"] > 10, result  # the rules ran on the page
    return result["violations"]


def _server_ms(page, url: str) -> float:  # noqa: ANN001
    """The median time from request to the last byte of the page, over five loads."""
    times = []
    for _ in range(5):
        page.goto(url)
        times.append(page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                   " return n.responseEnd - n.requestStart; }"))
    return statistics.median(times)


def test_the_picture_and_the_overview_without_violations(server, browser, client, cast, world):  # noqa: ANN001, F811
    us = cast["us_analyst"]
    asked = client.post("/api/v1/requests", headers=us.headers, json={
        "type": "information", "to_agency": "MX-FGR", "question": "Who is Beto Soto?", "entity_ids": [world["beto"]]})
    assert asked.status_code == 201, asked.text
    hidden = client.post("/api/v1/requests", headers=us.headers, json={
        "type": "information", "to_agency": "US-ATF", "question": "Who is Carla Vega?", "entity_ids": [world["carla"]]})
    assert hidden.status_code == 201, hidden.text

    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    mx.goto(f"{server}/")
    assert mx.get_by_role("heading", name="Solicitudes abiertas y sus plazos").is_visible()
    assert mx.get_by_test_id("clocks").get_by_role("link").count() == 1
    mx.locator("#dashboard-chart svg").wait_for()  # drawn by Vega under the page's policy
    assert "Carla" not in mx.content() and hidden.json()["id"] not in mx.content() and "US-ATF" not in mx.content()
    assert _violations(mx) == []
    assert _server_ms(mx, f"{server}/") < PAGE_MS

    en = _sign_in(browser, server, "us_analyst")
    en.goto(f"{server}/network")
    assert en.get_by_role("heading", name="Overview").is_visible()
    assert "Pick" not in en.get_by_test_id("graph-status").inner_text()  # the small network is drawn whole
    en.get_by_label("Find a person or organisation by name").fill("Carla")
    en.get_by_role("button", name="Find").click()
    en.get_by_test_id("found").get_by_role("link", name="Carla Vega").click()
    en.wait_for_url(f"{server}/network?entity={world['carla']}&depth=2")
    en.goto(f"{server}/network")
    en.locator("#cy canvas").first.wait_for()
    assert _violations(en) == []
    en.goto(f"{server}/")
    assert en.get_by_role("heading", name="Open requests and their clocks").is_visible()
    assert _violations(en) == []
    assert _server_ms(en, f"{server}/network") < PAGE_MS

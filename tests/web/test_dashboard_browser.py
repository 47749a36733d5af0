"""The home page's picture and the network overview in headless Chromium, in Spanish and English: what a
partner sees, the chart drawn under the page's policy, zero axe-core violations, and each page served in
under 300 ms.

Skips as `test_browser.py` does when Playwright or Chromium is missing; fails when axe-core is not
installed (`npm ci` installs it with the front-end packages).
"""

from __future__ import annotations

from tests.networks.conftest import world  # noqa: F401 - the shared network fixture
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    PAGE_MS,
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
    server_ms,
    violations,
)


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
    assert violations(mx) == []
    assert server_ms(mx, f"{server}/") < PAGE_MS

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
    assert violations(en) == []
    en.goto(f"{server}/")
    assert en.get_by_role("heading", name="Open requests and their clocks").is_visible()
    assert violations(en) == []
    assert server_ms(en, f"{server}/network") < PAGE_MS

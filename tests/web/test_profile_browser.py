"""The profile of a record in headless Chromium, in Spanish and English: what a partner sees, with zero
axe-core violations, and the page served in under 300 ms on the small world of `test_profile.story`.
`BINATIONAL_SCREENSHOTS=1` also writes docs/screenshots/profile.png.

Skips as `test_browser.py` does when Playwright or Chromium is missing; fails when axe-core is not
installed (`npm ci` installs it with the front-end packages).
"""

from __future__ import annotations

import os
from pathlib import Path

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
from tests.web.test_profile import story  # noqa: F401 - the records around Ana


def test_profile_reads_in_both_languages_without_violations(server, browser, story):  # noqa: F811
    url = f"{server}/entities/{story['ana']}"
    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    mx.goto(url)
    assert mx.get_by_role("heading", name="Cronología").is_visible()
    assert "México" in mx.locator("table.values").first.inner_text()
    assert mx.get_by_role("img", name="Mapa de los lugares sobre un marco de latitud y longitud").is_visible()
    assert "Ana Ruiz Soto" in mx.get_by_test_id("cluster").inner_text()
    assert "Cartel Sur" not in mx.content() and "SECRET-ID-77" not in mx.content()
    mx.get_by_test_id("related").get_by_role("link", name="Cartel Norte").click()
    mx.wait_for_url(f"{server}/entities/{story['north']}")
    assert "Ana Ruiz" in mx.get_by_test_id("related").inner_text()
    mx.goto(url)
    assert violations(mx) == []
    if os.environ.get("BINATIONAL_SCREENSHOTS"):
        mx.set_viewport_size({"width": 1366, "height": 768})
        mx.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "profile.png"),
                      full_page=True)

    us = _sign_in(browser, server, "us_analyst")
    us.goto(url)
    assert us.get_by_role("heading", name="Timeline").is_visible()
    assert "April 12, 1985" in us.get_by_test_id("timeline").inner_text()
    assert us.locator("svg.point-map circle.pin").count() == 2
    assert violations(us) == []
    assert server_ms(us, url) < PAGE_MS

"""The profile of a record in headless Chromium, in Spanish and English: what a partner sees, with zero
axe-core violations, and the page served in under 300 ms on the small world of `test_profile.story`.
`BINATIONAL_SCREENSHOTS=1` also writes docs/screenshots/profile.png.

Skips as `test_browser.py` does when Playwright or Chromium is missing; fails when axe-core is not
installed (`npm ci` installs it with the front-end packages).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from tests.web.test_browser import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
)
from tests.web.test_profile import story  # noqa: F401 - the records around Ana

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: the rules axe-core holds a page to: WCAG 2.1 A and AA
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGE_MS = 300


def _violations(page) -> list[dict]:
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


def _server_ms(page, url: str) -> float:
    """The median time from request to the last byte of the page, over five loads."""
    times = []
    for _ in range(5):
        page.goto(url)
        times.append(page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                   " return n.responseEnd - n.requestStart; }"))
    return statistics.median(times)


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
    assert _violations(mx) == []
    if os.environ.get("BINATIONAL_SCREENSHOTS"):
        mx.set_viewport_size({"width": 1366, "height": 768})
        mx.screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "profile.png"),
                      full_page=True)

    us = _sign_in(browser, server, "us_analyst")
    us.goto(url)
    assert us.get_by_role("heading", name="Timeline").is_visible()
    assert "April 12, 1985" in us.get_by_test_id("timeline").inner_text()
    assert us.locator("svg.point-map circle.pin").count() == 2
    assert _violations(us) == []
    assert _server_ms(us, url) < PAGE_MS

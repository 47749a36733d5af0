"""The firearms flow in headless Chromium: MX-FGR sends a batch in Spanish, US-ATF resolves its queue
and confirms a candidate in English, MX-FGR reads the result and the leads (the chart drawn under the
page's policy); every page with zero axe-core (WCAG 2.1 A/AA) violations.

Skips as `tests/web/test_browser.py` does when Playwright or Chromium is missing.
"""

from __future__ import annotations

from tests.firearms.conftest import TRACES
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
    violations,
)


def test_batch_resolve_confirm_and_leads_in_both_languages(server, browser, stocked):  # noqa: ANN001, F811
    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    mx.goto(f"{server}/firearms")
    mx.get_by_label("Rastreos (CSV con una línea de encabezado)").fill(TRACES)
    mx.get_by_role("button", name="Enviar los rastreos").click()
    mx.get_by_test_id("sent").wait_for()
    assert mx.get_by_test_id("sent").locator("tbody tr").count() == 3
    assert violations(mx) == []

    atf = _sign_in(browser, server, "atf_tracer")
    atf.goto(f"{server}/firearms")
    atf.get_by_test_id("resolve").click()
    atf.get_by_test_id("candidates").first.wait_for()
    assert atf.get_by_test_id("candidates").count() == 2
    assert violations(atf) == []
    atf.get_by_test_id("candidates").first.get_by_role("button", name="Confirm").first.click()
    atf.get_by_test_id("done").wait_for()
    assert atf.get_by_test_id("candidates").count() == 1

    mx.goto(f"{server}/firearms")
    assert mx.get_by_test_id("sent").get_by_text("resuelto").count() == 2
    mx.goto(f"{server}/firearms/leads")
    mx.locator("#dashboard-chart svg").wait_for()  # drawn by Vega under the page's policy
    assert mx.get_by_test_id("corridor-map").is_visible()
    assert violations(mx) == []
    en = _sign_in(browser, server, "mx_analyst")
    en.goto(f"{server}/firearms/leads")
    en.locator("#dashboard-chart svg").wait_for()
    assert en.get_by_role("heading", name="Straw-purchase signals").is_visible()
    assert violations(en) == []


def test_the_recovery_pages_in_both_languages(server, browser, client, cast, stocked):  # noqa: ANN001, F811
    from tests.firearms.conftest import API
    from tests.firearms.test_recovery_link import RECOVERIES, TRACE

    mx_member = cast["mx_analyst"]
    r = client.post(f"{API}/firearms/records", headers=mx_member.headers,
                    json={"kind": "recoveries", "csv": RECOVERIES})
    assert r.status_code == 201, r.text
    assert client.post(f"{API}/firearms/traces", headers=mx_member.headers,
                       json={**TRACE, "recovery": "FGR-0001"}).status_code == 201
    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    mx.goto(f"{server}/firearms")
    mx.get_by_role("link", name="Armas aseguradas y los rastreos enviados por ellas").click()
    mx.get_by_test_id("recoveries").wait_for()
    assert mx.get_by_test_id("recoveries").locator("tbody tr").count() == 2
    assert violations(mx) == []
    mx.get_by_role("link", name="FGR-0001").click()
    mx.get_by_test_id("recovery-traces").wait_for()
    assert violations(mx) == []
    en = _sign_in(browser, server, "mx_analyst")
    en.goto(mx.url)
    assert en.get_by_role("heading", name="Traces sent for it").is_visible()
    assert violations(en) == []

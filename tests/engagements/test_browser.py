"""The engagements' flow in headless Chromium, in English and in Spanish: an Arabic readout taken in
with its participants, countries and topics proposed, confirmed and shown right to left, a commitment
recorded and tied to an indicator, its chart drawn, the board and the PDF brief; a partner reads them in
Spanish, where an indicator not shared shows no figure. Zero axe-core (WCAG 2.1 A/AA) violations.

Skips as `tests/web/test_browser.py` does when Playwright or Chromium is missing.
"""

from __future__ import annotations

from tests.engagements.conftest import commit
from tests.engagements.test_intake import ARABIC as ARABIC_FILE
from tests.engagements.test_pages import ARABIC
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
    violations,
)


def test_an_arabic_readout_to_a_commitment_and_its_brief(server, browser, client, cast):  # noqa: ANN001, F811
    text = ARABIC_FILE.read_text(encoding="utf-8") if ARABIC_FILE.is_file() else ARABIC
    en = _sign_in(browser, server, "us_analyst")
    en.goto(f"{server}/engagements")
    en.get_by_role("link", name="Take in a readout").click()
    assert violations(en) == []
    en.get_by_label("Text of the readout").fill(text)
    en.get_by_role("button", name="Propose").click()
    participants = en.get_by_test_id("participant")
    assert participants.count() == 2
    assert en.get_by_label("Name", exact=True).nth(0).input_value() == "Christopher Landau"
    assert en.get_by_label("Name", exact=True).nth(1).input_value() == "Juan Ramón de la Fuente"
    assert en.get_by_label("Countries").input_value() in ("US, MX", "MX, US")
    assert en.get_by_label("Border security").is_checked() and en.get_by_label("Arms trafficking").is_checked()
    assert violations(en) == []
    en.get_by_label("Name of the engagement").fill("Landau – De la Fuente call")
    en.get_by_label("Date").fill("2025-01-10")
    en.locator("#distribution").select_option("release")
    en.get_by_label("MX-FGR").check()
    en.get_by_role("button", name="Record the engagement").click()
    en.get_by_role("heading", name="Landau – De la Fuente call").wait_for()
    assert en.locator('.readout-text[dir="rtl"][lang="ar"]').count() == 1
    assert violations(en) == []
    form = en.get_by_test_id("commit-form")
    form.get_by_label("Commitment").fill("Answer the partner's requests")
    form.get_by_label("Committed by").fill("Christopher Landau")
    form.get_by_label("Due").fill("2031-01-01")
    form.get_by_label("Indicator").select_option("requests.answered")
    form.get_by_label("Target (monthly figure)").fill("5")
    form.locator("#distribution").select_option("release")
    form.get_by_label("MX-FGR").check()
    form.get_by_role("button", name="Record the commitment").click()
    en.locator("#indicator-chart svg").wait_for()  # drawn by Vega under the page's policy
    assert violations(en) == []
    en.get_by_role("link", name="Commitments board").click()
    assert "Answer the partner's requests" in en.get_by_test_id("board-MX").inner_text()
    assert violations(en) == []
    en.go_back()
    en.get_by_role("link", name="Back to the engagement").click()
    brief = en.request.get(server + en.get_by_test_id("brief").get_attribute("href"))
    assert brief.ok and brief.body().startswith(b"%PDF")
    engagement_id = en.url.rsplit("/", 1)[1]

    # The partner, in Spanish: the commitment it may see, and one whose indicator is not shared with it.
    hidden = commit(client, cast["us_analyst"], engagement_id, name="Plan the networks' dismantling",
                    indicator="networks.plans", target=2, unit="plans")
    assert hidden.status_code == 201, hidden.text
    es = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    es.goto(f"{server}/engagements/board")
    assert es.get_by_role("heading", name="Compromisos por país y tema").is_visible()
    assert violations(es) == []
    es.goto(f"{server}/engagements/commitments/{hidden.json()['id']}")
    assert es.get_by_test_id("not-shared").inner_text() == "indicador no compartido"
    assert es.locator("#indicator-chart").count() == 0
    assert violations(es) == []
    es.goto(f"{server}/engagements/{engagement_id}")
    assert es.locator('.readout-text[dir="rtl"]').count() == 1
    assert violations(es) == []

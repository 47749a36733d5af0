"""The week of returns in headless Chromium, in English and in Spanish: US-ICE has proposed its week,
MX-INM accepts one movement and counters another, US-ICE takes the counter and plans the week on the
planning board, MX-SRE verifies nationality, a stay recorded after the lock pulls one person at boarding,
US-ICE opens the buses' page, MX-INM confirms the arrival, and the statistics are drawn. Every page
passes axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from binational.repatriation import casefiles, manifest, service
from tests.repatriation.conftest import acting, build_week
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
    violations,
)

WORDS = {"en-US": {"legal_hold": "legal hold", "received": "received", "plan": "Plan the period",
                   "verify": "Verify", "ask": "Ask the consulate to verify", "take": "Take the counter-proposal"},
         "es-MX": {"legal_hold": "retención legal", "received": "recibido", "plan": "Planear el periodo",
                   "verify": "Verificar", "ask": "Pedir la verificación al consulado",
                   "take": "Tomar la contrapropuesta"}}


def _clean(page) -> None:  # noqa: ANN001
    assert violations(page) == [], page.url


def _lines(db, movement_id: str) -> list[dict]:
    with acting(db, "ice") as (s, actor):
        return manifest.view(s, actor, service.access_movement(s, actor, movement_id, "repatriation.read"))["manifest"]


@pytest.mark.parametrize("locale", ["en-US", "es-MX"])
def test_a_week_of_returns_in_the_browser(server, browser, db, web_parties, locale):  # noqa: ANN001, F811
    words = WORDS[locale]
    week = build_week(db)
    land, land2 = week.movements["land"], week.movements["land2"]
    # MX-INM: the acceptance queue; accept one, counter another
    inm = _sign_in(browser, server, "inm", locale)
    inm.goto(f"{server}/repatriation")
    inm.get_by_test_id("queue").wait_for()
    _clean(inm)
    inm.goto(f"{server}/repatriation/movements/{land}")
    _clean(inm)
    inm.get_by_test_id("accept").click()
    inm.wait_for_url(f"{server}/repatriation/movements/{land}")
    inm.goto(f"{server}/repatriation/movements/{land2}")
    inm.locator("#c-start").fill("9")
    inm.locator("#c-end").fill("15")
    inm.get_by_test_id("counter-button").click()
    inm.wait_for_url(f"{server}/repatriation/movements/{land2}")
    assert inm.get_by_test_id("counter").is_visible()
    # US-ICE: takes the counter, plans the week, asks the consulate
    ice = _sign_in(browser, server, "ice", locale)
    ice.goto(f"{server}/repatriation/movements/{land2}")
    ice.get_by_role("button", name=words["take"]).click()
    ice.wait_for_url(f"{server}/repatriation/movements/{land2}")
    ice.goto(f"{server}/repatriation")
    _clean(ice)
    ice.locator("#date_from").fill(week.monday.isoformat())
    ice.locator("#date_to").fill((week.monday + timedelta(days=6)).isoformat())
    ice.get_by_role("button", name=words["plan"]).click()
    ice.get_by_test_id("plan-result").wait_for()
    _clean(ice)
    ice.goto(f"{server}/repatriation/movements/{land}")
    ice.get_by_role("button", name=words["ask"]).click()
    ice.wait_for_url(f"{server}/repatriation/movements/{land}")
    # MX-SRE: the verification queue; one line from the page, the others as its officers would
    sre = _sign_in(browser, server, "sre", locale)
    sre.goto(f"{server}/repatriation")
    sre.get_by_test_id("verification-queue").wait_for()
    sre.goto(f"{server}/repatriation/movements/{land}")
    _clean(sre)
    first = _lines(db, land)[0]["line_no"]
    sre.locator(f"#doc-{first}").fill("MX-CON-0001")
    sre.locator(f"#valid-{first}").fill((week.monday + timedelta(days=60)).isoformat())
    sre.get_by_role("button", name=words["verify"]).first.click()
    sre.wait_for_url(f"{server}/repatriation/movements/{land}")
    # the lines are read (as US-ICE, in a unit of work of their own) before MX-SRE's unit begins:
    # on SQLite a unit of work holds the write lock from its first statement, so a second one opened
    # inside it would wait on it until the busy timeout
    others = _lines(db, land)[1:]
    with acting(db, "sre") as (s, actor):
        for line in others:
            manifest.verify(session=s, actor=actor, movement_id=land, line_nos=[line["line_no"]],
                            outcome="verified", document_number=f"MX-CON-{line['line_no']:04d}",
                            valid_until=week.monday + timedelta(days=60))
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
    # US-ICE locks; a stay recorded after the lock pulls that person at boarding; departure
    ice.goto(f"{server}/repatriation/movements/{land}")
    ice.get_by_test_id("lock").click()
    ice.get_by_test_id("board").wait_for()
    stayed = next(line for line in _lines(db, land) if line["category"] == "adult" and not line["family_group"])
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=stayed["detainee_id"], fact="discretionary_stay",
                              value=True)
    ice.get_by_test_id("board").click()
    ice.get_by_test_id("depart").wait_for()
    row = ice.locator("table.manifest tr", has_text=stayed["name"])
    assert words["legal_hold"] in row.inner_text()
    _clean(ice)
    # the buses to the port: the sender's own page (these case files name no facility: all are said so)
    ice.get_by_test_id("convoy-link").click()
    ice.get_by_test_id("left-out").wait_for()
    _clean(ice)
    # US-ICE's case files, filtered by name, and the stayed person's file with what MX-INM sees of them
    ice.goto(f"{server}/repatriation/cases?q={stayed['name'].split()[-1]}")
    ice.get_by_test_id("cases").wait_for()
    _clean(ice)
    ice.get_by_role("link", name=stayed["name"]).click()
    ice.get_by_test_id("partner-sees").wait_for()
    assert words["legal_hold"] in ice.get_by_test_id("partner-status").first.inner_text()
    _clean(ice)
    ice.goto(f"{server}/repatriation/movements/{land}")
    ice.get_by_test_id("depart").click()
    ice.wait_for_url(f"{server}/repatriation/movements/{land}")
    # MX-INM confirms the arrival; sees the person pulled only as a legal hold; the statistics are drawn
    inm.goto(f"{server}/repatriation/movements/{land}")
    assert words["legal_hold"] in inm.locator("table.manifest tr", has_text=stayed["name"]).inner_text()
    _clean(inm)
    inm.locator("#officer").fill("Oficial Ruiz")
    inm.locator("#welfare").fill("DIF Tijuana")
    inm.locator("#certificates").fill(" ".join(f"CR-{n}" for n in range(40)))
    inm.locator("#hour").fill("10")
    inm.get_by_test_id("receive").click()
    inm.wait_for_url(f"{server}/repatriation/movements/{land}")
    assert re.search(words["received"], inm.get_by_test_id("state").inner_text())
    _clean(inm)
    inm.goto(f"{server}/repatriation/statistics")
    inm.locator("#chart-by_month svg").wait_for()
    _clean(inm)

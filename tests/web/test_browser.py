"""The web interface in headless Chromium (Debian's): two analysts, one release, CSRF, languages, 404.

Skips with a reason when Playwright or /usr/bin/chromium is missing (`make browser` installs it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.conftest import PASSWORD
from tests.networks.conftest import world  # noqa: F401 - the shared network fixture
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    CHROMIUM,
    REFUSED,
    _nothing_refused_by_the_policy,
    _sign_in,
    _watch,
    browser,
    pytestmark,
    server,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_us_releases_to_mx_and_each_sees_only_its_share(server, browser):  # noqa: F811
    us = _sign_in(browser, server, "us_analyst")
    assert "US-CBP" in us.get_by_test_id("who").inner_text()
    us.goto(f"{server}/entities/new?schema=Person")
    us.get_by_label(re.compile(r"^Name")).first.fill("Rosa Elena Quintero")
    us.get_by_role("button", name="Create").click()
    us.wait_for_url(re.compile(r"/entities/us-cbp\."))
    shared_url = us.url
    us.get_by_label("MX-FGR").check()
    us.get_by_role("button", name="Release", exact=True).click()
    us.wait_for_url(re.compile("#releases$"))
    assert us.get_by_role("button", name="Revoke the release to MX-FGR").is_visible()
    us.goto(f"{server}/entities/new?schema=Person")
    us.get_by_label(re.compile(r"^Name")).first.fill("Kept At Home")
    us.get_by_role("button", name="Create").click()
    us.wait_for_url(re.compile(r"/entities/us-cbp\."))
    kept_url = us.url

    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    assert "Bienvenido" in mx.content()
    assert "Rosa Elena Quintero" in mx.content() and "Kept At Home" not in mx.content()
    mx.get_by_role("navigation", name="Principal").get_by_role("link", name="Entidades").click()
    mx.get_by_label("Nombre o identificador").fill("rosa")
    mx.keyboard.press("Enter")
    mx.get_by_role("link", name="Rosa Elena Quintero").click()
    assert mx.url == shared_url
    assert "se compartió con MX-FGR" in mx.content()
    assert mx.get_by_role("button", name="Revocar").count() == 0
    response = mx.goto(kept_url)
    assert response.status == 404 and "No encontrado" in mx.content() and "Kept" not in mx.content()
    mx.goto(f"{server}/entities?q=kept")
    assert "Kept At Home" not in mx.content()


def test_csrf_refusal_and_language_switch(server, browser):  # noqa: F811
    page = _sign_in(browser, server, "us_analyst")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert "Cerrar sesión" in page.content()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Sign out" in page.content()
    page.goto(f"{server}/entities/new?schema=Person")
    page.eval_on_selector("form.entity-form input[name=csrf]", "el => el.value = 'forged'")
    page.get_by_label(re.compile(r"^Name")).first.fill("Never Stored")
    page.get_by_role("button", name="Create").click()
    page.wait_for_load_state()
    assert "Form expired" in page.content()
    page.goto(f"{server}/entities?q=never")
    assert "Never Stored" not in page.content()


def test_discover_request_answer_and_see_the_release(server, browser, db):  # noqa: F811
    """US-CBP finds that MX-FGR holds a document, asks for it; MX-FGR's analyst (its liaison here)
    answers by releasing the record; US-CBP then reads it. `BINATIONAL_SCREENSHOTS=1` also writes
    docs/screenshots/discovery.png."""
    from binational.access import service as access
    from binational.db import act_as
    from binational.entities import service as entities
    from binational.entities.schemas import EntityCreate

    with db.unit_of_work() as s:
        mx_user = access.get_user(session=s, username="mx_analyst")
        mx_user.roles = "analyst,liaison"
        mx_actor = access.actor_for(session=s, user=mx_user)
        act_as(s, mx_actor)
        held = entities.create(session=s, actor=mx_actor, data=EntityCreate.model_validate({
            "schema": "Person", "properties": {"name": ["Genaro Ibarra Solís"], "idNumber": ["FGR-7654321"]}})).id
        us_actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, us_actor)
        entities.create(session=s, actor=us_actor, data=EntityCreate.model_validate({
            "schema": "Person", "properties": {"name": ["Dale Whitfield"], "phone": ["+19155550000"]}}))

    us = _sign_in(browser, server, "us_analyst")
    us.get_by_role("navigation", name="Main").get_by_role("link", name="Discovery").click()
    us.get_by_label("Selectors").fill("document,fgr 765 4321\nphone,+1 915 555 0000\nfax,123")
    us.get_by_role("button", name="Check", exact=True).click()
    us.wait_for_load_state()
    assert "Line 3: unknown selector type" in us.content()
    us.get_by_label("Selectors").fill("document,fgr 765 4321\nphone,+1 915 555 0000")
    us.get_by_role("button", name="Check", exact=True).click()
    us.wait_for_load_state()
    assert "MX-FGR holds a match" in us.content() and held not in us.content() and "Genaro" not in us.content()
    assert "1 with records you may see" in us.content()
    if os.environ.get("BINATIONAL_SCREENSHOTS"):
        us.set_viewport_size({"width": 1366, "height": 768})
        us.screenshot(path=str(DOCS / "screenshots" / "discovery.png"), full_page=True)
    us.get_by_role("link", name="Request the match of line 1 from MX-FGR").click()
    us.wait_for_url(re.compile(r"/requests/new\?"))
    us.get_by_label("Question").fill("Who holds this document, and since when?")
    us.get_by_role("button", name="Send the request").click()
    us.wait_for_url(re.compile(r"/requests/req_"))
    request_url = us.url

    mx = _sign_in(browser, server, "mx_analyst", locale="es-MX")
    assert mx.get_by_test_id("notices").inner_text().split()[:2] == ["Avisos", "1"]
    mx.get_by_test_id("notices").click()
    # the notice names the request by its subject: here the question's first line
    mx.get_by_role("link", name="Who holds this document, and since when?").click()
    assert mx.url == request_url and "Genaro Ibarra Solís" in mx.content()
    assert mx.get_by_label("Genaro Ibarra Solís").is_checked()
    mx.get_by_role("button", name="Responder y compartir").click()
    mx.wait_for_load_state()
    assert "respondida" in mx.content()

    us.reload()
    us.locator("ul.answers").get_by_role("link", name="Genaro Ibarra Solís").click()
    us.wait_for_url(f"{server}/entities/{held}")
    assert "FGR-7654321" in us.content() and "released to US-CBP" in us.content()


def test_judge_with_one_key_then_see_the_network(server, browser, client, cast, db, world):  # noqa: F811
    """Y on a review page judges the pair and opens the next one; the network page draws its graph."""
    from binational.db import act_as_system, utcnow
    from binational.resolution.models import Judgement, ResolutionRun, Suggestion

    people = {}
    for user, to, name in (("us_analyst", "MX-FGR", "Rosa Quintero"), ("mx_analyst", "US-CBP", "Rosa Kintero"),
                           ("us_analyst", "MX-FGR", "Juan Pérez"), ("mx_analyst", "US-CBP", "Juan Peres")):
        r = client.post("/api/v1/entities", headers=cast[user].headers, json={
            "schema": "Person", "properties": {"name": [name]}, "distribution": "release", "release_to": [to]})
        people[name] = r.json()["id"]
    with db.unit_of_work() as s:  # the scored pairs of a finished run (a real run is in test_graph_pages)
        act_as_system(s)
        s.add(ResolutionRun(id="r1", engine="duckdb", status="finished", message="4 records", started_at=utcnow(),
                            finished_at=utcnow()))
        s.flush()
        for i, (a, b) in enumerate((("Rosa Quintero", "Rosa Kintero"), ("Juan Pérez", "Juan Peres")), start=1):
            left, right = sorted((people[a], people[b]))
            s.add(Suggestion(id=i, run_id="r1", kind="person", left_id=left, right_id=right,
                             left_agency=left.split(".")[0].upper(), right_agency=right.split(".")[0].upper(),
                             score=0.9, match_weight=3.2, decision="review", driver="surnames",
                             weights='{"surnames": ["sound alike", 3.2], "given": ["same given name", 2.0]}'))

    page = _sign_in(browser, server, "us_analyst")
    page.goto(f"{server}/resolution/next")
    page.wait_for_url(f"{server}/resolution/1")
    assert "Rosa Kintero" in page.content()
    page.keyboard.press("y")
    page.wait_for_url(f"{server}/resolution/2")
    assert "Juan Peres" in page.content()
    with db.session() as s:
        act_as_system(s)
        verdicts = [(j.suggestion_id, j.verdict) for j in s.query(Judgement).all()]
    assert verdicts == [(1, "positive")]

    page.goto(f"{server}/network?entity={world['ana']}&depth=1")
    # A function, not a string: the page's policy refuses to evaluate strings as script.
    page.wait_for_function("() => window.binationalGraph && window.binationalGraph.nodes().length === 3")
    assert page.locator("#cy canvas").count() > 0
    assert "3 nodes" in page.get_by_test_id("graph-status").inner_text()
    page.get_by_label("Targets (budget)").fill("1")
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("[data-testid=plan-curve] svg")
    assert "Ana Ruiz" in page.locator("#plan-targets").inner_text()


def test_follow_a_request_then_the_auditor_finds_and_exports_it(server, browser, db):  # noqa: F811
    """US-CBP sends a request with a subject; its outbox row shows it with the other agency and the
    clock; US-CBP's auditor filters the log to the request (in Spanish too) and downloads it as CSV."""
    from binational.access import service as access
    from binational.db import act_as_system

    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        access.get_user(session=s, username="us_auditor").password_hash = access.hash_password(PASSWORD)
    us = _sign_in(browser, server, "us_analyst")
    us.goto(f"{server}/requests/new")
    us.get_by_label("To agency").select_option("MX-FGR")
    us.get_by_label("Subject").fill("Plate seen twice at Laredo")
    us.get_by_label("Question").fill("Who owns plate ABC1234?")
    us.get_by_role("button", name="Send the request").click()
    us.wait_for_url(re.compile(r"/requests/req_"))
    request_id = us.url.rsplit("/", 1)[1]
    assert us.get_by_role("heading", level=1).inner_text() == "Plate seen twice at Laredo"
    us.goto(f"{server}/requests?box=outbox")
    row = us.locator("table.requests tbody tr").first
    assert "Plate seen twice at Laredo" in row.inner_text() and "MX-FGR" in row.inner_text()
    assert re.search(r"due in (47|48) h", row.inner_text())

    auditor = _sign_in(browser, server, "us_auditor")
    auditor.goto(f"{server}/audit")
    auditor.get_by_role("textbox", name="Record", exact=True).fill(request_id)
    auditor.get_by_role("button", name="Filter").click()
    auditor.wait_for_url(re.compile(r"object_id=req_"))
    actions = auditor.locator("table.results tbody td[data-action]").all_inner_texts()
    assert "Sent a request" in actions and set(actions) <= {"Sent a request", "Read a request", "Listed requests"}
    with auditor.expect_download() as download:
        auditor.get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("seq,time,actor") and "request.create" in text and request_id in text
    spanish = _sign_in(browser, server, "us_auditor", locale="es-MX")
    spanish.goto(f"{server}/audit?object_id={request_id}")
    assert "Envió una solicitud" in spanish.locator("table.results").inner_text()

"""The first hour of a new analyst, in headless Chromium, in English and in Spanish, on the demo's world:
the scenario's small world loaded with the demo's first hour of work (binational/scenario/activity.py).

`cbp_analyst` finds a person of MX-FGR by a misspelt name in the header's search box, opens the profile,
sees the picture on the home page and opens the network overview, then asks MX-FGR about the person with
a subject. `fgr_analyst` sees the request in MX-FGR's inbox, `fgr_supervisor` (who may answer, as the
README's story says) acknowledges and answers it, and the sender sees the answer. `cbp_auditor` filters
the audit log to the request and sees its entries. Every page passes axe-core (WCAG 2.1 A/AA) with zero
violations and every navigation page but the network overview is served in under 300 ms (median of five
loads).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from binational.cli import app
from binational.db import act_as_system
from binational.entities.models import Entity, Statement
from binational.entities.service import caption
from binational.scenario import activity, generate
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

#: who plays the hour (the importers of every agency load the world: each agency's supervisor)
PLAYERS = ("cbp_analyst", "cbp_auditor", "fgr_analyst")

#: what each step reads and clicks, in the two languages
WORDS = {
    "en-US": {"ask": "Ask MX-FGR about it", "subject": "Subject", "question": "Question", "send": "Send the request",
              "clocks": "Open requests and their clocks", "overview": "Overview",
              "acknowledge": "Acknowledge", "note": "Note", "answer": "Answer and release",
              "answered": "answered", "record": "Record", "filter": "Filter",
              "actions": {"Sent a request", "Read a request", "Answered a request"}},
    "es-MX": {"ask": "Preguntar a MX-FGR", "subject": "Asunto", "question": "Pregunta", "send": "Enviar la solicitud",
              "clocks": "Solicitudes abiertas y sus plazos", "overview": "Panorama",
              "acknowledge": "Acusar recibo", "note": "Nota", "answer": "Responder y compartir",
              "answered": "respondida", "record": "Registro", "filter": "Filtrar",
              "actions": {"Envió una solicitud", "Leyó una solicitud", "Respondió una solicitud"}},
}


def _password(username: str) -> str:
    return f"demo-{username}"


def misspelt(name: str) -> str:
    """`name` as a hurried analyst types it: without accents, lower case, and the longest word's second
    and third letters swapped (a transposition, the commonest typing error)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()
    words = plain.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[0] + word[2] + word[1] + word[3:]
    assert words[longest] != word
    return " ".join(words)


@pytest.fixture
def demo(settings, db, tmp_path: Path) -> dict[str, object]:  # noqa: ANN001
    """The demo's world: the small scenario loaded (the players and every agency's supervisor only:
    hashing all the demo's passwords takes too long) and its first hour played on it."""
    out = tmp_path / "small"
    generate(7, "small", out)
    users = out / "users.csv"
    with users.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["roles"] == "supervisor" or r["username"] in PLAYERS]
    with users.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(app, ["scenario", "load", str(out)])
    assert result.exit_code == 0, result.output
    played = activity.play(db)
    assert played.run_status == "finished", played.run_message
    with db.session() as s:
        act_as_system(s)

        def named(entity_id: str) -> str:
            names = list(s.execute(select(Statement.value).where(Statement.entity_id == entity_id,
                                                                 Statement.prop == "name")).scalars())
            return caption("Person", {"name": names})

        people = {entity_id: named(entity_id) for entity_id in played.released[activity.MX]}
        kept = s.execute(select(Entity.id).where(Entity.owner_agency == activity.MX, Entity.distribution == "agency",
                                                 Entity.schema == "Person")).scalars()
        hidden = next(named(i) for i in kept if i not in people)
    return {"people": people, "hidden": hidden}


def _clean(page) -> None:  # noqa: ANN001
    assert violations(page) == [], page.url


def _fast(page, url: str) -> None:  # noqa: ANN001
    assert server_ms(page, url) < PAGE_MS, url


def test_the_first_hour_of_a_new_analyst(server, browser, demo):  # noqa: ANN001, F811
    people = list(demo["people"].items())
    for (person_id, name), locale in zip(people, WORDS, strict=False):
        _hour(server, browser, locale, person_id, name, demo["hidden"])


def _hour(base: str, chromium, locale: str, person_id: str, name: str, hidden: str) -> None:  # noqa: ANN001
    words = WORDS[locale]
    # 1. a misspelt name in the header's search box finds the person; the profile opens
    us = _sign_in(chromium, base, "cbp_analyst", locale, password=_password("cbp_analyst"))
    typed = misspelt(name)
    us.get_by_role("search").get_by_role("searchbox").fill(typed)
    us.keyboard.press("Enter")
    us.wait_for_url(re.compile(r"/search\?q="))
    results = us.locator("table.results")
    assert hidden not in us.content()
    _clean(us)
    _fast(us, us.url)
    results.get_by_role("link", name=name, exact=True).first.click()
    us.wait_for_url(f"{base}/entities/{person_id}")
    assert us.get_by_role("heading", level=1).inner_text().startswith(name)
    _clean(us)
    _fast(us, us.url)
    # 2. the picture on the home page: the figures and the chart, drawn
    us.goto(f"{base}/")
    assert us.get_by_role("heading", name=words["clocks"]).is_visible()
    us.locator("#dashboard-chart svg").wait_for()
    _clean(us)
    _fast(us, f"{base}/")
    # 3. the network overview
    us.goto(f"{base}/network")
    assert us.get_by_role("heading", name=words["overview"]).is_visible()
    us.locator("#cy canvas").first.wait_for()
    _clean(us)
    # Not timed: on this world the overview takes 0.5-0.8 s (its whole network merged through the demo's
    # resolution run; see docs/testing.md), over the 300 ms the other pages are held to.
    # 4. a request about the record to its owner, with a subject
    subject = f"{typed} · {locale}"
    us.goto(f"{base}/entities/{person_id}")
    us.get_by_role("link", name=words["ask"]).click()
    us.wait_for_url(re.compile(r"/requests/new\?"))
    _clean(us)
    us.get_by_label(words["subject"]).fill(subject)
    us.get_by_label(words["question"]).fill(f"Is {name} known to an open investigation?")
    us.get_by_role("button", name=words["send"]).click()
    us.wait_for_url(re.compile(r"/requests/req_"))
    request_id = us.url.rsplit("/", 1)[1]
    assert us.get_by_role("heading", level=1).inner_text() == subject
    _clean(us)

    # 5. MX-FGR's analyst sees it in the inbox; its supervisor answers; the sender sees the answer
    mx = _sign_in(chromium, base, "fgr_analyst", locale, password=_password("fgr_analyst"))
    mx.goto(f"{base}/requests")
    row = mx.locator("table.requests tbody tr", has_text=subject)
    assert "US-CBP" in row.inner_text()
    _clean(mx)
    _fast(mx, f"{base}/requests")
    row.get_by_role("link", name=subject).click()
    mx.wait_for_url(f"{base}/requests/{request_id}")
    assert "fgr_supervisor" in mx.get_by_test_id("who-answers").inner_text()
    _clean(mx)
    boss = _sign_in(chromium, base, "fgr_supervisor", locale, password=_password("fgr_supervisor"))
    boss.goto(f"{base}/requests/{request_id}")
    boss.get_by_role("button", name=words["acknowledge"]).click()
    boss.wait_for_url(f"{base}/requests/{request_id}")
    boss.get_by_label(words["note"]).fill("Known to the Tijuana investigation; the record is shared.")
    boss.get_by_role("button", name=words["answer"]).click()
    boss.wait_for_url(f"{base}/requests/{request_id}")
    _clean(boss)
    us.goto(f"{base}/requests/{request_id}")
    assert words["answered"] in us.locator("dl.envelope").inner_text()
    assert "Known to the Tijuana investigation" in us.content()
    _clean(us)

    # 6. the auditor filters the log to the request and sees its entries
    auditor = _sign_in(chromium, base, "cbp_auditor", locale, password=_password("cbp_auditor"))
    auditor.goto(f"{base}/audit")
    auditor.get_by_role("textbox", name=words["record"], exact=True).fill(request_id)
    auditor.get_by_role("button", name=words["filter"]).click()
    auditor.wait_for_url(re.compile(r"object_id=req_"))
    actions = set(auditor.locator("table.results tbody td[data-action]").all_inner_texts())
    assert words["actions"] <= actions, actions
    _clean(auditor)
    _fast(auditor, auditor.url)
    for page in (us, mx, boss, auditor):
        page.context.close()

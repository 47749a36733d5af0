"""The resolution review and network pages through the TestClient: visibility, 404, CSRF, Spanish."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from binational import workers
from binational.access import service as access
from binational.db import act_as_system
from binational.resolution.models import Judgement, Suggestion
from binational.web import i18n, network_pages
from tests.networks.conftest import world  # noqa: F401 - the shared network fixture
from tests.web.conftest import sign_in

PEOPLE = [
    # (agency user, distribution, release_to, given names, surnames, birth date, passport)
    ("us_analyst", "release", ["MX-FGR"], "José Luis", "Hernández García", "1980-03-04", "G12345678"),
    ("mx_analyst", "release", ["US-CBP"], "Pepe", "Hernández García", "1980-03-04", "G12345678"),
    ("us_atf", "agency", [], "José Luis", "Hernández", "1980-03-04", "G12345678"),
    ("us_analyst", "release", ["MX-FGR"], "María Guadalupe", "Torres Ruiz", "1975-11-20", "G87654321"),
    ("mx_analyst", "release", ["US-CBP"], "Lupe", "Torres Ruiz", "1975-11-20", "G87654321"),
    ("mx_analyst", "release", ["US-CBP"], "Ramón", "Castillo Ortega", "1990-07-01", "G55555555"),
    ("us_analyst", "release", ["MX-FGR"], "Kevin", "O'Brien", "1968-01-15", "512345678"),
]


@pytest.fixture
def people(client, cast):
    """Persons held by US-CBP, MX-FGR (released to each other) and US-ATF (kept to itself)."""
    ids = []
    for user, distribution, to, given, surnames, born, passport in PEOPLE:
        body = {"schema": "Person", "distribution": distribution, "properties": {
            "name": [f"{given} {surnames}"], "firstName": [given], "lastName": [surnames], "birthDate": [born],
            "passportNumber": [passport]}}
        if to:
            body["release_to"] = to
        r = client.post("/api/v1/entities", headers=cast[user].headers, json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def _run_as_admin(client, db):
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        access.get_user(session=s, username="admin").password_hash = access.hash_password("admin password")
    csrf = sign_in(client, "admin", "admin password")
    page = client.get("/resolution")
    assert page.status_code == 200 and 'action="/resolution/runs"' in page.text
    r = client.post("/resolution/runs", data={"csrf": csrf, "engine": "duckdb", "kinds": "person"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/resolution?run="), r.text
    assert workers.wait(r.headers["location"].rsplit("=", 1)[1], timeout=300)
    shown = client.get(r.headers["location"]).text
    assert re.search(r'data-testid="run-message"><strong>Finished', shown), shown
    client.post("/logout", data={"csrf": csrf})
    client.cookies.clear()


def test_review_queue_judgement_history_and_hidden_pairs(client, db, people):
    _run_as_admin(client, db)
    cbp, fgr, atf = people[0], people[1], people[2]
    with db.session() as s:
        act_as_system(s)  # every suggestion, as the node sees them
        rows = s.execute(select(Suggestion)).scalars().all()
    visible = next(x for x in rows if {x.left_id, x.right_id} == {cbp, fgr})
    hidden = next(x for x in rows if atf in (x.left_id, x.right_id))

    # an analyst cannot start a run
    csrf = sign_in(client, "us_analyst")
    assert client.post("/resolution/runs", data={"csrf": csrf, "engine": "duckdb"}).status_code == 403
    queue = client.get("/resolution").text
    assert f'href="/resolution/{visible.id}"' in queue and f"/resolution/{hidden.id}" not in queue
    assert 'action="/resolution/runs"' not in queue
    page = client.get(f"/resolution/{visible.id}")
    assert page.status_code == 200
    assert "Pepe Hernández García" in page.text and "MX-FGR" in page.text and "US-CBP" in page.text
    for key in ("y", "n", "u", "r"):
        assert f'aria-keyshortcuts="{key}"' in page.text
    assert 'class="weights"' in page.text and "birth" in page.text.lower()

    # the pair with a record CBP may not see is the ordinary 404 page, the same as a missing one
    gone, missing = client.get(f"/resolution/{hidden.id}"), client.get("/resolution/999999")
    assert gone.status_code == missing.status_code == 404
    assert gone.text.replace(f"/resolution/{hidden.id}", "X") == missing.text.replace("/resolution/999999", "X")
    assert atf not in gone.text
    assert client.post(f"/resolution/{hidden.id}/judgements",
                       data={"csrf": csrf, "verdict": "positive"}).status_code == 404

    # a form without the session's token changes nothing
    forged = client.post(f"/resolution/{visible.id}/judgements", data={"csrf": "forged", "verdict": "positive"})
    assert forged.status_code == 403 and "Form expired" in forged.text
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Judgement)).scalar_one() == 0

    r = client.post(f"/resolution/{visible.id}/judgements", data={"csrf": csrf, "verdict": "positive"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/resolution/next"
    after = client.get("/resolution/next", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"] != f"/resolution/{visible.id}"  # judged pairs leave the queue
    history = client.get(f"/resolution/{visible.id}").text
    assert re.search(r'data-testid="my-verdict">same<', history)
    assert "US-CBP (you)" in history
    bad = client.post(f"/resolution/{visible.id}/judgements", data={"csrf": csrf, "verdict": "maybe"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text

    # the record's matches: the pair CBP may see, and a hit (agency only) for ATF's record
    matches = client.get(f"/entities/{cbp}/matches").text
    assert "Pepe Hernández García" in matches and "US-ATF holds a person record" in matches
    assert atf not in matches
    entity = client.get(f"/entities/{cbp}").text
    assert f'href="/entities/{cbp}/matches"' in entity and f'href="/network?entity={cbp}"' in entity
    client.post("/logout", data={"csrf": csrf})

    # MX-FGR in Spanish: sees the pair, not CBP's judgement (kept within the US)
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    page = client.get(f"/resolution/{visible.id}", headers={"Accept-Language": "es-MX"}).text
    assert "¿Son el mismo?" in page and "El mismo" in page and "Aún no hay juicios que pueda ver." in page
    assert client.get(f"/resolution/{hidden.id}").status_code == 404


def test_network_page_data_plan_and_exports(client, cast, world):  # noqa: F811 - the fixture above
    csrf = sign_in(client, "us_analyst")
    page = client.get(f"/network?entity={world['ana']}&depth=1")
    assert page.status_code == 200
    assert 'id="cy"' in page.text and "/static/vendor/cytoscape.min.js" in page.text
    assert "/static/vendor/vega-lite.min.js" in page.text and "Network of Ana Ruiz" in page.text
    assert f"/network/export?format=graphml&amp;entity={world['ana']}" in page.text
    data = client.get("/network/data", params={"entity": world["ana"], "depth": 1}).json()
    assert {n["id"] for n in data["nodes"]} == {world["ana"], world["beto"], world["carla"]}
    assert all(n["community"] is not None for n in data["nodes"])
    calls = client.get("/network/data", params={"type": "Call"}).json()
    assert {e["type"] for e in calls["edges"]} == {"Call"}
    late = client.get("/network/data", params={"start": "2024-04-01", "undated": "false"}).json()
    assert [e["first"] for e in late["edges"]] == ["2024-05-01"]
    deep = client.get("/network/data", params={"entity": world["ana"], "depth": 5})
    assert deep.status_code == 422 and "depth" in deep.json()["error"]
    export = client.get("/network/export", params={"format": "graphml"})
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    assert "<graphml" in export.text
    assert client.post("/network/plan", data={"csrf": "forged", "budget": "1"}).status_code == 403
    plan = client.post("/network/plan", data={"csrf": csrf, "budget": "1", "method": "hybrid"})
    assert plan.status_code == 200, plan.text
    assert plan.json()["targets"][0]["id"] == world["ana"] and plan.json()["curve"][0] == 1.0
    too_many = client.post("/network/plan", data={"csrf": csrf, "budget": "50"})
    assert too_many.status_code == 422 and "budget" in too_many.json()["error"]
    client.post("/logout", data={"csrf": csrf})

    # MX-FGR: Carla is US-only, so her network is the 404 page and she is in no data it gets
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    hidden = client.get(f"/network?entity={world['carla']}")
    missing = client.get("/network?entity=us-cbp.nothing")
    assert hidden.status_code == missing.status_code == 404
    assert client.get("/network/data", params={"entity": world["carla"]}).status_code == 404
    everything = client.get("/network/data").text
    assert world["carla"] not in everything and "Carla" not in everything and "Call" not in everything
    assert world["carla"] not in client.get("/network/export", params={"format": "ftm"}).text
    spanish = client.get("/network", headers={"Accept-Language": "es"}).text
    assert "Plan de desarticulación" in spanish and "Color por comunidad" in spanish


def test_the_network_script_has_every_word_in_both_languages():
    for lang in i18n.LANGUAGES:
        words = network_pages._messages(lang)
        plural = words.pop("plural")
        assert all(value and not value.startswith("network.") for value in words.values())
        assert all("{count}" in form for forms in plural.values() for form in forms.values())

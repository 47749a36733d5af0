"""Every page through the TestClient: what each user sees, the policy, CSRF, sessions and languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.entities.models import Entity
from binational.web import sessions
from tests.conftest import PASSWORD, sequence_audit
from tests.web.conftest import csrf_of, sign_in


def _create(client, csrf, **fields):
    data = {"csrf": csrf, "schema": "Person", "distribution": "agency", "marking": "TLP:AMBER", **fields}
    r = client.post("/entities/new", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_pages_need_a_session_and_login_starts_one(client):
    r = client.get("/entities?q=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fentities%3Fq%3Dx"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    login = client.get("/login")
    bad = client.post("/login", data={"username": "us_analyst", "password": "wrong password",
                                      "csrf": csrf_of(login.text), "next": "/"})
    assert bad.status_code == 401 and "Wrong username or password." in bad.text
    sign_in(client, "us_analyst")
    home = client.get("/")
    assert home.status_code == 200
    who = re.search(r'data-testid="who">(.*?)</div>', home.text, re.S).group(1)
    assert "us_analyst" in who and "US-CBP" in who and "TLP:AMBER" in who


def test_login_never_redirects_off_site(client):
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "us_analyst", "password": "correct horse battery", "csrf": token,
                                    "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_a_forged_or_expired_cookie_is_no_session(client, settings):
    forged = sessions.encode("another-secret", {"uid": 1, "csrf": "x", "lang": None, "since": 2_000_000_000})
    client.cookies.set(sessions.COOKIE, forged)
    assert client.get("/", follow_redirects=False).status_code == 303
    old = sessions.encode(settings.secret_key, {"uid": 1, "csrf": "x", "lang": None, "since": 1})
    client.cookies.set(sessions.COOKIE, old)
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("prefix", ["", "/binational"])
def test_the_api_never_takes_the_web_sessions_cookie(settings, db, prefix):
    """The API takes bearer tokens only: a signed-in browser's cookie carries no authority there (it
    would be a request forged from another site), also when a proxy serves the app under a prefix."""
    with TestClient(create_app(settings, db), root_path=prefix) as client:
        token = csrf_of(client.get(f"{prefix}/login").text)
        r = client.post(f"{prefix}/login", data={"username": "us_analyst", "password": PASSWORD, "csrf": token},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        assert client.get(f"{prefix}/", follow_redirects=False).status_code == 200  # the cookie signs in pages
        r = client.get(f"{prefix}/api/v1/me")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated", r.text
        assert "set-cookie" not in r.headers


def test_create_release_and_what_each_agency_sees(client, cast, db):
    csrf = sign_in(client, "us_analyst")
    shared = _create(client, csrf, **{"p.name": "José María López", "p.phone": "+19155551234",
                                      "distribution": "release", "release_to": "MX-FGR"})
    kept = _create(client, csrf, **{"p.name": "Kept Nameless"})
    page = client.get(f"/entities/{shared}").text
    assert "José María López" in page and "MX-FGR" in page and "US-CBP" in page
    client.post("/logout", data={"csrf": csrf})
    sign_in(client, "mx_analyst")
    assert client.get(f"/entities/{shared}").status_code == 200
    hidden = client.get(f"/entities/{kept}")
    missing = client.get("/entities/us-cbp.doesnotexist")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(kept, "X") == missing.text.replace("us-cbp.doesnotexist", "X")
    results = client.get("/entities?q=kept").text
    assert kept not in results and "Kept Nameless" not in results
    listed = client.get("/entities").text
    assert shared in listed and kept not in listed
    home = client.get("/").text
    assert "José María López" in home and "Kept Nameless" not in home
    assert "Kept" not in client.get("/entities/suggest?q=kept").text
    # a recipient has no edit link, no release form, and cannot edit by URL
    assert "/edit" not in client.get(f"/entities/{shared}").text
    assert client.get(f"/entities/{shared}/edit").status_code == 403
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        denials = s.execute(select(func.count()).where(AuditEntry.decision == "deny",
                                                       AuditEntry.actor_agency == "MX-FGR")).scalar()
    assert denials >= 1


def test_release_and_revoke_from_the_entity_page(client):
    csrf = sign_in(client, "us_analyst")
    entity = _create(client, csrf, **{"p.name": "Release Me"})
    r = client.post(f"/entities/{entity}/releases", data={"csrf": csrf, "to": "MX-FGR", "until": "2999-01-01"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/entities/{entity}").text
    assert "2999-01-01" in page and "/revoke" in page
    empty = client.post(f"/entities/{entity}/releases", data={"csrf": csrf})
    assert empty.status_code == 422 and 'id="e-to"' in empty.text
    release_id = re.search(r'/releases/(\d+)/revoke', page).group(1)
    client.post(f"/releases/{release_id}/revoke", data={"csrf": csrf})
    assert "revoked on" in client.get(f"/entities/{entity}").text


def test_form_errors_are_next_to_their_field_in_the_users_language(client):
    csrf = sign_in(client, "us_analyst")
    client.post("/language", data={"csrf": csrf, "lang": "es", "next": "/"})
    r = client.post("/entities/new", data={"csrf": csrf, "schema": "Person", "p.name": "Ana",
                                           "p.birthDate": "1980-13-45", "marking": "TLP:AMBER",
                                           "distribution": "agency"})
    assert r.status_code == 422
    assert '<p class="error" id="e-birthDate">«1980-13-45» no es un valor válido de tipo fecha.</p>' in r.text
    assert 'lang="es"' in r.text
    above = client.post("/entities/new", data={"csrf": csrf, "schema": "Person", "p.name": "Ana",
                                               "marking": "TLP:RED", "distribution": "agency"})
    assert "está por encima de su autorización" in above.text


def test_edit_adds_and_removes_values(client):
    csrf = sign_in(client, "us_analyst")
    entity = _create(client, csrf, **{"p.name": "Old Name", "p.nationality": "mx"})
    form = client.get(f"/entities/{entity}/edit").text
    assert "Old Name" in form
    r = client.post(f"/entities/{entity}/edit", data={"csrf": csrf, "p.name": "New Name", "p.nationality": "mx"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/entities/{entity}").text
    assert "New Name" in page and "Old Name" not in page


def test_an_edit_clears_a_value_held_twice_and_a_refused_edit_keeps_nothing(client, cast, db):
    csrf = sign_in(client, "us_analyst")
    r = client.post("/api/v1/entities", headers=cast["us_analyst"].headers, json={
        "schema": "Person", "properties": {"name": ["Ana Ruiz", "Ana Ruiz"], "birthDate": ["1980-01-02"]},
        "distribution": "agency", "marking": "TLP:AMBER"})
    entity = r.json()["id"]
    refused = client.post(f"/entities/{entity}/edit", data={"csrf": csrf, "p.name": "",
                                                            "p.birthDate": "not a date"}, follow_redirects=False)
    assert refused.status_code == 422
    kept = client.get(f"/api/v1/entities/{entity}", headers=cast["us_analyst"].headers).json()["properties"]
    assert kept == {"name": ["Ana Ruiz", "Ana Ruiz"], "birthDate": ["1980-01-02"]}
    r = client.post(f"/entities/{entity}/edit", data={"csrf": csrf, "p.name": "", "p.birthDate": "1980-01-02"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    kept = client.get(f"/api/v1/entities/{entity}", headers=cast["us_analyst"].headers).json()["properties"]
    assert kept == {"birthDate": ["1980-01-02"]}
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        updates = s.execute(select(func.count()).where(AuditEntry.action == "entity.update")).scalar_one()
    assert updates == 1  # the refused edit left no change and so no entry; the cleared name has its own


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_a_form_without_the_csrf_token_changes_nothing(client, db, token):
    sign_in(client, "us_analyst")
    with db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(Entity)).scalar()
    data = {"schema": "Person", "p.name": "Forged", "marking": "TLP:AMBER", "distribution": "agency"}
    if token:
        data["csrf"] = token
    r = client.post("/entities/new", data=data)
    assert r.status_code == 403 and "Nothing was changed" in r.text
    with db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(Entity)).scalar() == before
    assert client.post("/logout", data={}).status_code == 403


def test_language_follows_the_browser_then_the_switch(client):
    assert "Iniciar sesión" in client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-US"}).text
    csrf = sign_in(client, "mx_analyst")
    client.post("/language", data={"csrf": csrf, "lang": "es", "next": "/entities"})
    assert "Entidades" in client.get("/entities", headers={"Accept-Language": "en"}).text


def test_search_filters_and_pages(client):
    csrf = sign_in(client, "us_analyst")
    for n in range(27):
        _create(client, csrf, **{"p.name": f"Filler {n:02d}", "marking": "TLP:GREEN"})
    first = client.get("/entities?marking=TLP:GREEN&agency=US-CBP")
    assert first.text.count('<tr><td><a href="/entities/') == 25
    cursor = re.search(r'cursor=([^"&]+)"', first.text).group(1)
    second = client.get(f"/entities?marking=TLP:GREEN&agency=US-CBP&cursor={cursor}")
    assert second.text.count('<tr><td><a href="/entities/') == 2
    assert client.get("/entities?marking=TLP:RED").text.count('<tr><td><a href="/entities/') == 0
    bad = client.get("/entities?schema=Nonsense")
    assert bad.status_code == 422 and 'id="schema-error"' in bad.text


def test_audit_page_for_auditors_only(client, db):
    csrf = sign_in(client, "us_analyst")
    entity = _create(client, csrf, **{"p.name": "Audited", "distribution": "release", "release_to": "MX-FGR"})
    assert client.get("/audit").status_code == 403
    client.post("/logout", data={"csrf": csrf})
    sign_in(client, "mx_analyst")
    client.get(f"/entities/{entity}")
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        from binational.access import service as access
        user = access.get_user(session=s, username="us_auditor")
        user.password_hash = access.hash_password("auditor password")
    client.cookies.clear()
    csrf = sign_in(client, "us_auditor", "auditor password")
    page = client.get("/audit")
    assert page.status_code == 200 and "entity.create" in page.text
    who = client.get(f"/audit?object_id={entity}").text
    assert "mx_analyst" in who
    verified = client.post("/audit/verify", data={"csrf": csrf})
    assert 'data-testid="verification"' in verified.text and "Verified" in verified.text


def test_admin_pages(client, db):
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        from binational.access import service as access
        access.get_user(session=s, username="admin").password_hash = access.hash_password("admin password")
    csrf = sign_in(client, "admin", "admin password")
    assert "us_analyst" in client.get("/admin/users").text
    assert "MX-FGR" in client.get("/admin/agencies").text
    r = client.post("/admin/users", data={"csrf": csrf, "username": "new_user", "agency": "US-CBP",
                                          "roles": "analyst", "clearance": "TLP:GREEN", "password": "short"})
    assert r.status_code == 422 and 'id="e-password"' in r.text
    r = client.post("/admin/users", data={"csrf": csrf, "username": "new_user", "agency": "US-CBP",
                                          "roles": "analyst", "clearance": "TLP:GREEN",
                                          "password": "long enough"}, follow_redirects=False)
    assert r.status_code == 303
    # a token is issued to its own user: the one posted is the administrator's, whatever the form names
    issued = client.post("/admin/tokens", data={"csrf": csrf, "username": "new_user", "days": "7"})
    secret = re.search(r'data-testid="token-secret">([^<]+)<', issued.text).group(1)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["username"] == "admin"
    other = client.get("/admin/tokens?username=new_user").text
    assert "issued by their own user" in other and 'method="post" action="/admin/tokens"' not in other
    assert client.get("/admin/tokens?username=mx_analyst").status_code == 404
    too_long = client.post("/admin/tokens", data={"csrf": csrf, "days": "365"})
    assert too_long.status_code == 422 and 'id="e-days"' in too_long.text
    # agencies are the node's: an agency administrator sees them but registers none
    assert 'action="/admin/agencies"' not in client.get("/admin/agencies").text
    r = client.post("/admin/agencies", data={"csrf": csrf, "code": "MX-SAT", "country": "MX", "name": "SAT"},
                    follow_redirects=False)
    assert r.status_code == 403 and "MX-SAT" not in client.get("/admin/agencies").text


def test_non_admins_get_no_admin_pages(client):
    sign_in(client, "us_analyst")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/tokens?username=us_supervisor").status_code == 404  # another's tokens
    own = client.get("/admin/tokens")  # one's own, to issue and revoke
    assert own.status_code == 200 and 'method="post" action="/admin/tokens"' in own.text


def test_unknown_page_is_the_html_not_found_and_api_keeps_json(client):
    sign_in(client, "us_analyst")
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    api = client.get("/api/v1/entities/x")
    assert api.status_code == 401 and api.json()["error"]["code"] == "unauthenticated"


def test_requests_inbox_outbox_and_answer(client, db):
    from binational.access import service as access
    from binational.db import act_as
    from binational.requests import service as requests_service

    csrf = sign_in(client, "us_analyst")
    subject = _create(client, csrf, **{"p.name": "Asked About", "distribution": "release", "release_to": "MX-FGR"})
    answer = _create(client, csrf, **{"p.name": "The Answer"})
    with db.unit_of_work() as s:
        mx = access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst"))
        act_as(s, mx)
        asked = requests_service.submit(session=s, actor=mx, type="information", to_agency="US-CBP",
                                        question="Who is this person?", entity_ids=[subject]).id
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        access.get_user(session=s, username="us_supervisor").password_hash = access.hash_password("supervisor pw")
    client.cookies.clear()
    csrf = sign_in(client, "us_supervisor", "supervisor pw")
    home = client.get("/").text
    assert "Open requests and their clocks" in home and f"/requests/{asked}" in home and "from MX-FGR" in home
    page = client.get(f"/requests/{asked}").text
    assert "Who is this person?" in page and subject in page
    empty = client.post(f"/requests/{asked}/answer", data={"csrf": csrf, "entity_ids": ""})
    assert empty.status_code == 422 and "Name at least one entity" in empty.text
    r = client.post(f"/requests/{asked}/answer", data={"csrf": csrf, "entity_ids": answer, "note": "see this"},
                    follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    sign_in(client, "mx_analyst")
    outbox = client.get("/requests?box=outbox").text
    assert f"/requests/{asked}" in outbox and "answered" in outbox
    assert client.get(f"/entities/{answer}").status_code == 200
    assert client.get("/requests/req_doesnotexist").status_code == 404

"""Attacks on secrets, web sessions, sign-in and the browser's protections, as a hostile user tries them.

Each test replays one attack of issue 12 (finding 1, and the sign-in and header parts of finding 6)
against a real node on the test database: forged and saved cookies, sessions that should have ended,
an administrator of another agency, password guessing, and pages that would run injected script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.models import WebSession
from binational.app import create_app
from binational.audit.models import AuditEntry
from binational.cli import app as cli_app
from binational.db import act_as_system, utcnow
from binational.web import sessions
from tests.conftest import PASSWORD, sequence_audit
from tests.web.conftest import csrf_of, sign_in

ROOT = Path(__file__).resolve().parents[2]
FORMER_SECRET = "local-development-secret-change-me"  # noqa: S105 - the attack's key


def _user_id(db, username: str) -> int:
    with db.unit_of_work() as s:
        act_as_system(s)
        return access.get_user(session=s, username=username).id


def _signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(sessions.COOKIE)
    assert value
    return value


def _replay(client: TestClient, cookie: str) -> int:
    """The status of the home page for a browser presenting `cookie` (a saved copy)."""
    client.cookies.clear()
    client.cookies.set(sessions.COOKIE, cookie)
    return client.get("/", follow_redirects=False).status_code


def _admin(db, username: str, agency: str) -> str:
    """An administrator of `agency` with an API token (the cast's `admin` is of US-CBP)."""
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username=username, agency=agency, roles=["admin"], clearance="TLP:AMBER")
        _row, secret = access.create_token(session=s, user=user, days=1)
    return secret


# --- forged cookies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    {"uid": 1, "csrf": "x", "lang": None},
    {"sid": "guessed", "uid": 1, "csrf": "x", "lang": None},
])
def test_a_cookie_signed_with_the_former_built_in_secret_signs_nobody_in(client, data):
    client.cookies.set(sessions.COOKIE, sessions.encode(FORMER_SECRET, {**data, "since": int(time.time())}))
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_cookie_signed_with_the_nodes_own_key_and_a_user_id_signs_nobody_in(client, settings, db):
    """Even with the node's key (say, leaked), a cookie names no user: only a session row does."""
    for key in (settings.secret_key, sessions.cookie_key(settings)):
        forged = {"uid": _user_id(db, "us_analyst"), "csrf": "x", "lang": None, "since": int(time.time())}
        assert _replay(client, sessions.encode(key, forged)) == 303


def test_a_node_whose_secret_is_the_former_built_in_one_does_not_start(settings):
    with pytest.raises(ValueError, match="former built-in"):
        create_app(settings.model_copy(update={"secret_key": FORMER_SECRET}))


def test_serve_without_a_secret_exits_2_with_one_line(settings, tmp_path):
    env = {**os.environ, "BINATIONAL_SECRET_KEY": "", "BINATIONAL_SECRET_KEY_PATH": str(tmp_path / "none.key"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "binational", "serve", "--port", "1"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no node secret"), done.stderr
    assert "binational init" in lines[0]


# --- sessions that must have ended ------------------------------------------------------------------

def test_a_cookie_saved_before_logout_is_refused_after_it(client, db):
    csrf = sign_in(client, "us_analyst")
    saved = _cookie(client)
    client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert not _signed_in(client)
    assert _replay(client, saved) == 303
    with db.unit_of_work() as s:
        act_as_system(s)
        row = s.execute(select(WebSession)).scalars().one()
        assert row.ended_at is not None and row.end_reason == "logout"


def test_every_sign_in_is_a_new_session_and_ends_the_browsers_previous_one(client, db):
    sign_in(client, "us_analyst")
    first = _cookie(client)
    sign_in(client, "us_analyst")
    assert _cookie(client) != first
    assert _replay(client, first) == 303
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = s.execute(select(WebSession).order_by(WebSession.created_at)).scalars().all()
    assert len(rows) == 2 and rows[0].end_reason == "signed in again" and rows[1].ended_at is None
    assert rows[0].secret_hash != rows[1].secret_hash and rows[0].address == "testclient"


def test_the_session_table_holds_no_cookie_secret(client, db):
    sign_in(client, "us_analyst")
    data = sessions.decode(sessions.cookie_key(client.app.state.settings), _cookie(client), 3600)
    assert data is not None and "uid" not in data and isinstance(data["sid"], str)
    with db.unit_of_work() as s:
        act_as_system(s)
        row = s.execute(select(WebSession)).scalars().one()
    assert data["sid"] not in (row.id, row.secret_hash)


def test_an_administrator_ends_a_users_sessions_and_the_cookie_is_refused(client, cast, db):
    sign_in(client, "us_analyst")
    saved = _cookie(client)
    with TestClient(client.app) as admin:
        r = admin.delete("/api/v1/users/us_analyst/sessions", headers=cast["admin"].headers)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "us_analyst" and len(r.json()["ended"]) == 1
    assert _replay(client, saved) == 303
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        entry = json.loads(s.execute(select(AuditEntry.entry).where(AuditEntry.action == "session.end")).scalar_one())
    assert entry["actor"] == "admin" and f"session:{r.json()['ended'][0]}" in entry["objects"]


def test_ending_a_users_sessions_also_revokes_its_tokens(client, cast):
    """A token made while signed in would outlive the session an administrator ends."""
    made = client.post("/api/v1/tokens", headers=cast["us_analyst"].headers, json={"expires_days": 7})
    assert made.status_code == 201, made.text
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.get("/api/v1/me", headers=token).status_code == 200
    r = client.delete("/api/v1/users/us_analyst/sessions", headers=cast["admin"].headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_an_administrator_ends_sessions_from_the_admin_page(client, db):
    with db.unit_of_work() as s:
        act_as_system(s)
        access.get_user(session=s, username="admin").password_hash = access.hash_password("admin password")
    with TestClient(client.app) as analyst:
        sign_in(analyst, "us_analyst")
        csrf = sign_in(client, "admin", "admin password")
        page = client.get("/admin/users").text
        assert "/admin/users/us_analyst/sessions/end" in page
        r = client.post("/admin/users/us_analyst/sessions/end", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert not _signed_in(analyst)
    assert _signed_in(client)  # the administrator's own session goes on


def test_the_node_operator_ends_sessions_from_the_command_line(client, settings):
    sign_in(client, "us_analyst")
    result = CliRunner().invoke(cli_app, ["users", "end-sessions", "us_analyst"])
    assert result.exit_code == 0 and "1 web session(s) of us_analyst ended" in result.output, result.output
    assert not _signed_in(client)
    unknown = CliRunner().invoke(cli_app, ["users", "end-sessions", "nobody_here"])
    assert unknown.exit_code == 2


def test_an_administrator_of_another_agency_cannot_end_them(client, cast, db):
    mx_admin = _admin(db, "mx_admin", "MX-FGR")
    sign_in(client, "us_analyst")
    with TestClient(client.app) as other:
        theirs = other.delete("/api/v1/users/us_analyst/sessions", headers={"Authorization": f"Bearer {mx_admin}"})
        missing = other.delete("/api/v1/users/nobody_here/sessions", headers={"Authorization": f"Bearer {mx_admin}"})
        analyst = other.delete("/api/v1/users/us_analyst/sessions", headers=cast["mx_analyst"].headers)
    assert theirs.status_code == 404 and missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert theirs.json()["error"]["message"].replace("us_analyst", "X") == \
        missing.json()["error"]["message"].replace("nobody_here", "X")
    assert analyst.status_code == 403
    assert _signed_in(client)


def test_an_idle_session_ends(client, db, settings):
    sign_in(client, "us_analyst")
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(update(WebSession).values(
            last_seen_at=utcnow() - timedelta(minutes=settings.session_idle_minutes, seconds=1)))
    assert not _signed_in(client)


def test_a_session_in_use_ends_at_its_absolute_lifetime(client, db, settings):
    sign_in(client, "us_analyst")
    with db.unit_of_work() as s:
        act_as_system(s)
        row = s.execute(select(WebSession)).scalars().one()
        assert row.expires_at - row.created_at == timedelta(hours=settings.session_hours)
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1), last_seen_at=utcnow()))
    assert not _signed_in(client)


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_password_change_or_deactivation_ends_the_users_sessions(client, db, change):
    sign_in(client, "us_analyst")
    saved = _cookie(client)
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.get_user(session=s, username="us_analyst")
        if change == "password":
            access.set_password_hash(session=s, user=user, password_hash=access.hash_password("a new password"))
        else:
            user.active = False
    assert _replay(client, saved) == 303
    with db.unit_of_work() as s:
        act_as_system(s)
        row = s.execute(select(WebSession)).scalars().one()
    assert row.ended_at is not None
    assert row.end_reason == ("password changed" if change == "password" else "deactivated")


def test_what_a_web_session_does_is_audited_naming_the_session(client, db):
    sign_in(client, "us_analyst")
    client.get("/entities?q=x")
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        session_id = s.execute(select(WebSession.id)).scalar_one()
        entries = [json.loads(e) for e in s.execute(select(AuditEntry.entry).where(AuditEntry.actor_id.is_not(None)))
                   .scalars()]
    web = [e for e in entries if e["action"] in ("auth.login", "entity.list")]
    assert {e["action"] for e in web} == {"auth.login", "entity.list"}
    assert all(e.get("credential") == f"session:{session_id}" for e in web), web


# --- password guessing ------------------------------------------------------------------------------

def _try(client: TestClient, username: str, password: str = "wrong password"):  # noqa: S107 - a guess
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"},
                       follow_redirects=False)


def _audit(client: TestClient, member) -> list[dict]:
    r = client.get("/api/v1/audit?action=auth.login&limit=100", headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_the_sixth_bad_password_is_throttled_and_its_agency_sees_it(client, cast, settings):
    assert settings.login_failures_per_account == 5
    for _ in range(5):
        assert _try(client, "us_analyst").status_code == 401
    throttled = _try(client, "us_analyst", PASSWORD)  # even the right password, now
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    assert 0 < int(throttled.headers["Retry-After"]) <= settings.login_window_minutes * 60
    assert not _signed_in(client)
    with TestClient(client.app) as auditors:
        ours = [e for e in _audit(auditors, cast["us_auditor"]) if "user:us_analyst" in e["objects"]]
        theirs = [e for e in _audit(auditors, cast["mx_auditor"]) if "user:us_analyst" in e["objects"]]
    assert len(ours) == 6 and all(e["decision"] == "deny" for e in ours)
    assert sum(e["reason"].startswith("throttled") for e in ours) == 1
    assert theirs == []


def test_the_throttle_holds_per_address_across_usernames(client, settings):
    for n in range(settings.login_failures_per_address):
        assert _try(client, f"guess_{n}").status_code == 401
    r = _try(client, "mx_analyst", PASSWORD)
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_a_correct_password_clears_the_accounts_count(client):
    for _ in range(4):
        _try(client, "us_analyst")
    assert _try(client, "us_analyst", PASSWORD).status_code == 303
    for _ in range(4):
        assert _try(client, "us_analyst").status_code == 401


def _answer(r) -> tuple[int, bool, str]:
    """Status, whether it says when to retry, and the page (its browser's own CSRF token left out)."""
    return r.status_code, "Retry-After" in r.headers, re.sub(r'name="csrf" value="[^"]*"', "", r.text)


def test_an_unknown_username_is_answered_and_throttled_as_a_known_one(client, db):
    with TestClient(client.app) as other:
        for _ in range(6):
            known = _answer(_try(client, "us_analyst"))
            unknown = _answer(_try(other, "us_analysx"))
            assert known[:2] == unknown[:2]
            assert known[2].replace("us_analyst", "NAME") == unknown[2].replace("us_analysx", "NAME")
    assert known[0] == 429
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        texts = s.execute(select(AuditEntry.entry).where(AuditEntry.action == "auth.login")).scalars().all()
    assert len(texts) == 12 and not any("us_analysx" in t for t in texts)  # only its SHA-256
    assert sum("username_sha256" in t for t in texts) == 6


# --- the browser's protections ----------------------------------------------------------------------

def _headers_ok(r) -> None:
    assert r.headers.get("X-Frame-Options") == "DENY", r.request.url
    assert r.headers.get("X-Content-Type-Options") == "nosniff", r.request.url
    assert r.headers.get("Referrer-Policy") == "same-origin", r.request.url
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, r.request.url
    script = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, r.request.url


def test_every_page_and_api_answer_carries_the_security_headers(client, cast, settings):
    answers = [client.get(path, follow_redirects=False)
               for path in ("/", "/login", "/static/binational.css", "/static/nothing.js", "/nowhere")]
    answers.append(client.post("/login", data={"username": "x", "password": "y"}))  # CSRF refusal
    sign_in(client, "us_analyst")
    answers += [client.get(path) for path in ("/", "/entities", "/entities/us-cbp.nothing", "/requests")]
    api = cast["us_analyst"].headers
    answers += [
        client.get("/api/v1/me", headers=api), client.get("/api/v1/me"),
        client.get("/api/v1/entities/us-cbp.nothing", headers=api),
        client.post("/api/v1/entities", headers=api, json={"schema": 1}),
        client.post("/api/v1/entities", headers={**api, "content-type": "application/json"}, content=b"{"),
        client.post("/api/v1/entities", headers=api, content=b"x" * (settings.max_body_bytes + 1)),
        client.get("/api/v1/openapi.json"), client.put("/api/v1/me", headers=api),
    ]
    statuses = {r.status_code for r in answers}
    assert {200, 303, 400, 401, 403, 404, 405, 413, 422} <= statuses, statuses
    for r in answers:
        _headers_ok(r)


def test_an_unexpected_failure_carries_the_security_headers_too(settings, db):
    app = create_app(settings, db)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/broken")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    _headers_ok(r)


def test_the_api_docs_page_admits_only_its_own_start_up_script(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    _headers_ok(r)
    policy = r.headers["Content-Security-Policy"]
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+';", policy)
    assert "http" not in policy and "unsafe" not in policy  # nothing from outside the node, no inline style
    redoc = client.get("/api/v1/redoc").headers["Content-Security-Policy"]
    assert "script-src 'self';" in redoc and "http" not in redoc  # ReDoc has no inline script at all


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style", re.I)


def test_no_rendered_page_holds_inline_script_or_style(client, cast, db):
    entity = client.post("/api/v1/entities", headers=cast["us_analyst"].headers, json={
        "schema": "Person", "properties": {"name": ["Rosa Quintero"]}}).json()["id"]
    with db.unit_of_work() as s:
        act_as_system(s)
        access.get_user(session=s, username="admin").password_hash = access.hash_password("admin password")
        access.get_user(session=s, username="us_auditor").password_hash = access.hash_password("auditor password")
    pages = {"/login", "/nowhere"}
    seen: dict[str, str] = {"/login": client.get("/login").text}
    for user, password, paths in (
        ("us_analyst", PASSWORD, ["/", "/entities", "/entities?q=Rosa", "/entities/new?schema=Person",
                                  f"/entities/{entity}", f"/entities/{entity}/edit", "/requests", "/requests/new",
                                  "/discovery", "/resolution", "/network", "/notifications", "/nowhere"]),
        ("us_auditor", "auditor password", ["/audit"]),
        ("admin", "admin password", ["/admin/users", "/admin/agencies", "/admin/tokens?username=us_analyst"]),
    ):
        client.cookies.clear()
        sign_in(client, user, password)
        for path in paths:
            r = client.get(path)
            assert r.status_code in (200, 404), (path, r.status_code)
            seen[f"{user} {path}"] = r.text
            pages.add(path)
    assert len(seen) >= 18
    for where, html in seen.items():
        assert not INLINE_SCRIPT.search(html), where
        assert not HANDLER.search(html), where
        assert not STYLE.search(html), where
        assert "javascript:" not in html.lower(), where

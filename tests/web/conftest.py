"""Signing in to the web pages in tests: a client with the session cookie of one of the cast."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = CSRF.search(html)
    assert match, "page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign `client` in; returns the CSRF token of the new session."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)

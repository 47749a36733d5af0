"""Saved searches and watchlists: a record the user may see that newly answers a watched search becomes
a notice; a record the user may not see never triggers, counts in or hints at anything."""

from __future__ import annotations

from typer.testing import CliRunner

from binational.cli import app
from binational.db import act_as_system
from binational.search import watchlists
from binational.search.models import SavedSearch

ENTITIES = "/api/v1/entities"
SAVED = "/api/v1/search/saved"
NOTICES = "/api/v1/notifications"


def _post(client, member, **body):
    r = client.post(ENTITIES, headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _check(db):
    with db.unit_of_work() as s:
        return watchlists.check(session=s)


def _notices(client, member):
    r = client.get(NOTICES, headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_partners_hidden_record_never_triggers_counts_or_hints(client, cast, db):
    us, mx = cast["us_analyst"], cast["mx_analyst"]
    before = _post(client, us, schema="Person", properties={"name": ["Teodoro Villalobos"]},
                   distribution="release", release_to=["MX-FGR"])
    r = client.post(SAVED, headers=mx.headers, json={"q": "Teodoro Villalobos"})
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["matches"] == 1 and saved["watch"] is True
    assert _check(db) == 0  # what answered when it was saved is not news

    hidden = _post(client, us, schema="Person", properties={"name": ["Teodoro Villalobos"]})  # US-CBP only
    alias_only = _post(client, us, schema="Person", properties={"name": ["Ignacio Pardo"]},
                       distribution="release", release_to=["MX-FGR"])
    r = client.patch(f"{ENTITIES}/{alias_only}", headers=us.headers,
                     json={"add": {"alias": ["Teodoro Villalobos"]}, "distribution": "agency"})
    assert r.status_code == 200, r.text
    _check(db)
    assert _notices(client, mx) == {"items": [], "unread": 0, "next_cursor": None}
    assert [s["matches"] for s in client.get(SAVED, headers=mx.headers).json()] == [1]

    shared = _post(client, us, schema="Person", properties={"name": ["Teodoro Villalobo"]},
                   distribution="release", release_to=["MX-FGR"])
    assert _check(db) >= 1
    notices = _notices(client, mx)
    assert notices["unread"] == 1
    assert [(n["kind"], n["entity_id"], n["saved_search_id"]) for n in notices["items"]] == [
        ("search.match", shared, saved["id"])]
    assert hidden not in str(notices) and alias_only not in str(notices) and before not in str(notices)
    assert _check(db) == 0  # told once
    listed = CliRunner().invoke(app, ["requests", "notifications", "--as", "mx_analyst"])
    assert listed.exit_code == 0 and f"search.match           {shared}  (saved search {saved['id']})" in listed.stdout
    # the owner's own analyst, watching the same words, is told of the hidden one too
    r = client.post(SAVED, headers=us.headers, json={"q": "Teodoro Villalobos"})
    assert r.json()["matches"] == 4

    # the record is withdrawn from the partner: its notice and count go with it
    releases = client.get(f"{ENTITIES}/{shared}/releases", headers=us.headers).json()
    assert client.delete(f"/api/v1/releases/{releases[0]['id']}", headers=us.headers).status_code == 200
    assert _notices(client, mx)["items"] == [] and _notices(client, mx)["unread"] == 0
    assert [s["matches"] for s in client.get(SAVED, headers=mx.headers).json()] == [1]
    assert client.post(f"{NOTICES}/{notices['items'][0]['id']}/read", headers=mx.headers).status_code == 404


def test_saved_searches_are_their_users_own_and_need_terms(client, cast, db, settings):
    us, mx, outsider = cast["us_analyst"], cast["mx_analyst"], cast["outsider"]
    for q in ("", "  ", "?!", "--"):
        r = client.post(SAVED, headers=us.headers, json={"q": q})
        assert r.status_code == 422, q
        assert r.json()["error"]["message"] == "a saved search needs a name, alias or identifier to look for"
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.query(SavedSearch).count() == 0  # nothing written
    saved = client.post(SAVED, headers=us.headers, json={"q": "Rosa García", "watch": False}).json()
    assert client.get(SAVED, headers=mx.headers).json() == []
    assert client.get(SAVED, headers=outsider.headers).json() == []
    assert client.delete(f"{SAVED}/{saved['id']}", headers=mx.headers).status_code == 404
    assert client.delete(f"{SAVED}/{saved['id']}", headers=us.headers).status_code == 204
    assert client.get(SAVED, headers=us.headers).json() == []
    result = CliRunner().invoke(app, ["entities", "watch"])
    assert result.exit_code == 0 and result.stdout.strip() == "0 new matches notified"

"""Agencies, users and tokens through the command line and the API; administrators act within
their own agency, analysts not at all."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.models import ApiToken, User
from binational.cli import app
from binational.clitools import reset_database
from binational.config import get_settings
from binational.db import act_as_system


def _run(args, stdin=None):
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exit_code == 0, (args, result.output)
    return result


def test_operator_sets_up_agencies_users_and_tokens(client, db, settings):
    reset_database()
    assert "agency MX-ANAM (MX) added" in _run(["agencies", "add", "mx-anam", "--country", "mx",
                                                "--name", "Agencia Nacional de Aduanas"]).stdout
    listing = _run(["agencies", "list"]).stdout
    assert "MX-ANAM" in listing and "US-CBP" in listing
    _run(["users", "add", "aduana1", "--agency", "MX-ANAM", "--role", "analyst", "--role", "liaison",
          "--clearance", "TLP:GREEN", "--password-stdin"], "a long enough secret\n")
    assert "aduana1" in _run(["users", "list", "--agency", "MX-ANAM"]).stdout
    with db.session() as s:
        act_as_system(s)
        user = s.execute(select(User).where(User.username == "aduana1")).scalar_one()
        assert user.password_hash.startswith("$argon2") and "a long enough secret" not in user.password_hash
        assert access.check_password(session=s, username="aduana1", password="a long enough secret").id == user.id

    created = _run(["tokens", "create", "aduana1", "--expires-days", "7"]).stdout.strip().splitlines()
    token = created[-1]
    assert token.startswith("bnt_") and " " not in token and "aduana1" in created[0]
    with db.session() as s:  # only a hash of the secret is kept
        stored = s.execute(select(ApiToken.secret_hash)).scalars().all()
        assert token not in stored and all(len(h) == 64 for h in stored)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json() | {"capabilities": None} == {
        "username": "aduana1", "agency": "MX-ANAM", "country": "MX", "roles": ["analyst", "liaison"],
        "clearance": "TLP:GREEN", "active": True, "capabilities": None, "cases": []}
    assert "request.answer" in me.json()["capabilities"] and "admin" not in me.json()["capabilities"]
    r = client.post("/api/v1/entities", headers={"Authorization": f"Bearer {token}"},
                    json={"schema": "Person", "properties": {"name": ["Aduana Record"]}, "marking": "TLP:AMBER"})
    assert r.status_code == 422 and "clearance" in r.json()["error"]["message"]

    assert f"token {token.split('_')[1]} revoked" in _run(["tokens", "revoke", token.split("_")[1]]).stdout
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_api_administration_stays_within_ones_agency(client, cast, db):
    admin, us = cast["admin"], cast["us_analyst"]
    agencies = client.get("/api/v1/agencies", headers=us.headers).json()
    assert {a["code"] for a in agencies} >= {"US-CBP", "MX-FGR", "GT-PNC"}
    assert {"code": "MX-FGR", "country": "MX", "name": "Fiscalía General de la República"} in agencies

    # analysts, auditors, agency administrators: the node's agencies are not theirs to register, and
    # the directory is not theirs to read or change (403, the one error shape)
    for member in (us, cast["us_auditor"], cast["mx_analyst"], admin):
        for method, path, body in [
            ("POST", "/api/v1/agencies", {"code": "US-DEA", "country": "US", "name": "DEA"}),
            ("GET", "/api/v1/users", None),
            ("POST", "/api/v1/users", {"username": "x1", "agency": member.agency, "roles": ["analyst"],
                                       "clearance": "TLP:CLEAR"}),
        ]:
            if member is admin and path == "/api/v1/users":
                continue
            r = client.request(method, path, headers=member.headers, json=body)
            assert r.status_code == 403, (member.username, method, path, r.text)
            assert r.json()["error"]["code"] == "forbidden"
        # a token that is not there, or not theirs, is not found
        assert client.delete("/api/v1/tokens/0000000000000000", headers=member.headers).status_code == 404

    r = client.post("/api/v1/users", headers=admin.headers, json={
        "username": "cbp_new", "agency": "US-CBP", "roles": ["analyst"], "clearance": "TLP:GREEN",
        "password": "long enough pw"})
    assert r.status_code == 201 and r.json() == {"username": "cbp_new", "agency": "US-CBP", "roles": ["analyst"],
                                                 "clearance": "TLP:GREEN", "active": True, "pending_grant": None}
    assert "password" not in r.text
    # another agency's users are not the administrator's to create or revoke tokens of
    r = client.post("/api/v1/users", headers=admin.headers, json={
        "username": "fgr_new", "agency": "MX-FGR", "roles": ["admin"], "clearance": "TLP:AMBER"})
    assert r.status_code == 403, r.text
    assert "fgr_new" not in json.dumps(client.get("/api/v1/users", headers=admin.headers).json())
    mx_token_id = cast["mx_analyst"].token.split("_")[1]
    hidden = client.delete(f"/api/v1/tokens/{mx_token_id}", headers=admin.headers)
    never = client.delete("/api/v1/tokens/ffffffffffffffff", headers=admin.headers)
    assert hidden.status_code == never.status_code == 404
    assert client.get("/api/v1/me", headers=cast["mx_analyst"].headers).status_code == 200  # still valid

    # a user issues its own token; its agency's administrator may revoke it
    with db.unit_of_work() as s:
        act_as_system(s)
        _row, first = access.create_token(session=s, user=access.get_user(session=s, username="cbp_new"), days=5)
    issued = client.post("/api/v1/tokens", headers={"Authorization": f"Bearer {first}"}, json={"expires_days": 3})
    assert issued.status_code == 201 and issued.json()["token"].startswith("bnt_")
    assert issued.json()["username"] == "cbp_new"
    new = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.get("/api/v1/me", headers=new).json()["username"] == "cbp_new"
    revoked = client.delete(f"/api/v1/tokens/{issued.json()['id']}", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["token"] is None and revoked.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=new).status_code == 401
    for bad in ({"username": "bad name!", "agency": "US-CBP", "roles": ["analyst"], "clearance": "TLP:CLEAR"},
                {"username": "ok1", "agency": "US-CBP", "roles": ["wizard"], "clearance": "TLP:CLEAR"},
                {"username": "ok1", "agency": "US-CBP", "roles": ["analyst"], "clearance": "TLP:PURPLE"},
                {"username": "ok1", "agency": "US-CBP", "roles": []}):
        assert client.post("/api/v1/users", headers=admin.headers, json=bad).status_code == 422, bad


def test_node_administrators_register_agencies_of_the_nodes_countries(client, db, monkeypatch):
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username="node_op", agency="US-CBP", roles=["node_admin"],
                               clearance="TLP:CLEAR")
        _row, secret = access.create_token(session=s, user=user, days=5)
    node = {"Authorization": f"Bearer {secret}"}
    body = {"code": "US-DEA", "country": "US", "name": "DEA"}
    r = client.post("/api/v1/agencies", headers=node, json=body)  # no node country set: the operator only
    assert r.status_code == 403 and "country is not set" in r.json()["error"]["message"]
    monkeypatch.setenv("BINATIONAL_NODE_COUNTRY", "US")
    get_settings.cache_clear()
    r = client.post("/api/v1/agencies", headers=node, json={"code": "ZZ-X", "country": "ZZ", "name": "x"})
    assert r.status_code == 403
    r = client.post("/api/v1/agencies", headers=node, json={"code": "MX-SAT", "country": "MX", "name": "SAT"})
    assert r.status_code == 403 and "MX" in r.json()["error"]["message"]
    assert client.post("/api/v1/agencies", headers=node, json=body).status_code == 201
    assert client.post("/api/v1/agencies", headers=node, json=body).status_code == 409
    r = client.post("/api/v1/agencies", headers=node, json={"code": "US DEA!", "country": "US", "name": "x"})
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "code"}]
    monkeypatch.setenv("BINATIONAL_FEDERATION_COUNTRIES", '["MX"]')
    get_settings.cache_clear()
    assert client.post("/api/v1/agencies", headers=node, json={"code": "MX-SAT", "country": "MX",
                                                               "name": "SAT"}).status_code == 201

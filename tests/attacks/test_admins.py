"""Attacks on administration, as the US-CBP agency administrator `admin` (TLP:AMBER) of the cast and
its neighbours would try them: users above its station, grants with no second pair of eyes, tokens
minted for others or for ten years, agencies of its own, look-alike names, and the oracles of the
log's size, token creation and the 401s. The tests' own set-up and checks read and write as the node
(`act_as_system`), so that row-level security on principals does not hide what they check."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import insert, select, update
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.models import Agency, ApiToken, PendingGrant, User
from binational.audit.models import AuditEntry
from binational.cli import app
from binational.clitools import reset_database
from binational.config import get_settings
from binational.db import act_as_system, utcnow
from tests.conftest import sequence_audit
from tests.web.conftest import sign_in

API = "/api/v1"


def _member(db, username: str, agency: str, roles: list[str], clearance: str) -> dict[str, str]:
    """A further user of the node (made as the operator would), and the headers of its token."""
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username=username, agency=agency, roles=roles, clearance=clearance)
        _row, secret = access.create_token(session=s, user=user, days=5)
    return {"Authorization": f"Bearer {secret}"}


def _entries(db, since: int = 0) -> list[dict]:
    """The audit log's entries from `since` on, as the system reads them."""
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        rows = s.execute(select(AuditEntry.entry).where(AuditEntry.seq >= since).order_by(AuditEntry.seq))
        return [json.loads(entry) for entry in rows.scalars()]


def _size(db) -> int:
    return len(_entries(db))


def _user(db, username: str) -> User | None:
    with db.session() as s:
        act_as_system(s)
        return s.execute(select(User).where(User.username == username)).scalar_one_or_none()


def _cli(args: list[str], stdin: str | None = None):
    reset_database()
    return CliRunner().invoke(app, args, input=stdin)


def test_an_amber_administrator_creates_no_user_above_its_clearance(client, cast, db):
    admin = cast["admin"]
    for clearance in ("TLP:RED", "TLP:AMBER+STRICT"):
        r = client.post(f"{API}/users", headers=admin.headers, json={
            "username": "red_agent", "agency": "US-CBP", "roles": ["analyst", "supervisor"], "clearance": clearance})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
        assert "clearance" in r.json()["error"]["message"]
    assert _user(db, "red_agent") is None
    # nor a node-wide administrator, which only the operator grants
    r = client.post(f"{API}/users", headers=admin.headers, json={
        "username": "node_agent", "agency": "US-CBP", "roles": ["node_admin"], "clearance": "TLP:CLEAR"})
    assert r.status_code == 403 and _user(db, "node_agent") is None
    # the node operator's command line can
    result = _cli(["users", "add", "red_agent", "--agency", "US-CBP", "--role", "analyst", "--role", "auditor",
                   "--clearance", "TLP:RED"])
    assert result.exit_code == 0, result.output
    made = _user(db, "red_agent")
    assert made.clearance == "TLP:RED" and made.role_list == ["analyst", "auditor"]


def test_the_auditor_role_waits_for_a_second_administrator(client, cast, db):
    admin = cast["admin"]
    r = client.post(f"{API}/users", headers=admin.headers, json={
        "username": "watcher", "agency": "US-CBP", "roles": ["analyst", "auditor"], "clearance": "TLP:AMBER"})
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == ["analyst"]
    grant = r.json()["pending_grant"]
    assert grant["roles"] == ["auditor"] and grant["state"] == "pending" and grant["username"] == "watcher"
    assert _user(db, "watcher").role_list == ["analyst"]  # not yet an auditor
    # the one who asked cannot approve it
    r = client.post(f"{API}/grants/{grant['id']}/approve", headers=admin.headers)
    assert r.status_code == 403 and "second administrator" in r.json()["error"]["message"]
    assert _user(db, "watcher").role_list == ["analyst"]
    # an administrator of another agency does not know of it: the same 404 as a grant never made
    mx_admin = _member(db, "mx_admin", "MX-FGR", ["admin"], "TLP:RED")
    hidden = client.post(f"{API}/grants/{grant['id']}/approve", headers=mx_admin)
    never = client.post(f"{API}/grants/999999/approve", headers=mx_admin)
    assert hidden.status_code == never.status_code == 404
    assert hidden.content.replace(str(grant["id"]).encode(), b"N") == never.content.replace(b"999999", b"N")
    assert client.get(f"{API}/grants", headers=mx_admin).json() == []
    # analysts cannot approve either
    assert client.post(f"{API}/grants/{grant['id']}/approve", headers=cast["us_analyst"].headers).status_code == 403
    # a second administrator of US-CBP approves it, once
    second = _member(db, "admin2", "US-CBP", ["admin"], "TLP:AMBER")
    assert [g["id"] for g in client.get(f"{API}/grants", headers=second).json()] == [grant["id"]]
    approved = client.post(f"{API}/grants/{grant['id']}/approve", headers=second)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert _user(db, "watcher").role_list == ["analyst", "auditor"]
    assert client.post(f"{API}/grants/{grant['id']}/approve", headers=second).status_code == 409
    actions = [(e["action"], e["decision"], e["actor"]) for e in _entries(db)]
    assert ("user.create", "allow", "admin") in actions
    assert ("grant.approve", "deny", "admin") in actions and ("grant.approve", "allow", "admin2") in actions


def test_tlp_red_waits_for_a_second_red_administrator(client, cast, db):
    first = _member(db, "red_admin", "US-CBP", ["admin"], "TLP:RED")
    r = client.post(f"{API}/users", headers=first, json={
        "username": "red_analyst", "agency": "US-CBP", "roles": ["analyst"], "clearance": "TLP:RED"})
    assert r.status_code == 201 and r.json()["clearance"] == "TLP:AMBER+STRICT", r.text
    grant = r.json()["pending_grant"]
    assert grant["clearance"] == "TLP:RED" and grant["roles"] == []
    # the AMBER administrator cannot approve what is above its own clearance
    r = client.post(f"{API}/grants/{grant['id']}/approve", headers=cast["admin"].headers)
    assert r.status_code == 403 and _user(db, "red_analyst").clearance == "TLP:AMBER+STRICT"
    # the operator's command line lists and approves it
    listed = _cli(["grants", "list"])
    assert listed.exit_code == 0 and "red_analyst" in listed.output
    assert _cli(["grants", "approve", str(grant["id"]), "--as", "red_admin"]).exit_code == 2  # not its own
    done = _cli(["grants", "approve", str(grant["id"])])
    assert done.exit_code == 0 and f"grant {grant['id']} approved" in done.output
    assert _user(db, "red_analyst").clearance == "TLP:RED"


def test_a_rejected_grant_gives_nothing(client, cast, db):
    r = client.post(f"{API}/users", headers=cast["admin"].headers, json={
        "username": "maybe", "agency": "US-CBP", "roles": ["auditor"], "clearance": "TLP:GREEN"})
    assert r.status_code == 201 and r.json()["roles"] == []
    second = _member(db, "admin2", "US-CBP", ["admin"], "TLP:AMBER")
    rejected = client.post(f"{API}/grants/{r.json()['pending_grant']['id']}/reject", headers=second)
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert _user(db, "maybe").role_list == []
    assert client.post(f"{API}/grants/{r.json()['pending_grant']['id']}/approve", headers=second).status_code == 409


def test_an_administrator_mints_no_token_for_another_user(client, cast, db):
    admin = cast["admin"]
    for body in ({"username": "us_supervisor"}, {"username": "us_supervisor", "expires_days": 3650}):
        r = client.post(f"{API}/tokens", headers=admin.headers, json=body)
        assert r.status_code == 403, r.text
    with db.session() as s:
        act_as_system(s)
        supervisor = access.get_user(session=s, username="us_supervisor")
        assert len(access.list_tokens(session=s, user=supervisor)) == 1  # the cast's own, nothing new
    # it may revoke one, though, and the node operator may still issue one
    issued = _cli(["tokens", "create", "us_supervisor", "--expires-days", "7"])
    assert issued.exit_code == 0, issued.output
    token_id = issued.output.splitlines()[0].split()[1]
    assert client.delete(f"{API}/tokens/{token_id}", headers=admin.headers).status_code == 200
    # its own token it may issue
    own = client.post(f"{API}/tokens", headers=admin.headers, json={})
    assert own.status_code == 201 and own.json()["username"] == "admin"


def test_token_creation_for_unknown_and_known_users_leaves_the_same_trace(client, cast, db):
    admin = cast["admin"]
    traces = []
    for username in ("us_supervisor", "nobody_at_all"):
        before = _size(db)
        r = client.post(f"{API}/tokens", headers=admin.headers, json={"username": username})
        new = _entries(db, before)
        traces.append((r.status_code, r.content, [{k: e[k] for k in ("actor", "agency", "action", "objects",
                                                                     "decision", "reason")} for e in new]))
    assert traces[0] == traces[1]
    assert traces[0][2] and traces[0][2][0]["decision"] == "deny"


def test_no_token_lives_longer_than_the_maximum(client, cast, db, monkeypatch):
    us = cast["us_analyst"]
    r = client.post(f"{API}/tokens", headers=us.headers, json={"expires_days": 3650})
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "expires_days"}]
    r = client.post(f"{API}/tokens", headers=us.headers, json={"expires_days": 91})
    assert r.status_code == 422
    # a token cannot renew itself past its own end (the cast's tokens live 30 days)
    r = client.post(f"{API}/tokens", headers=us.headers, json={"expires_days": 60})
    assert r.status_code == 422 and "no later than" in r.json()["error"]["message"]
    default = client.post(f"{API}/tokens", headers=us.headers, json={})
    assert default.status_code == 201, default.text
    with db.session() as s:
        act_as_system(s)
        parent = s.get(ApiToken, us.token.split("_")[1])
        assert s.get(ApiToken, default.json()["id"]).expires_at <= parent.expires_at
    # the operator's command line too is held to the maximum (one line, exit 2)
    result = _cli(["tokens", "create", "us_analyst", "--expires-days", "3650"])
    assert result.exit_code == 2 and "token_max_days" in result.output
    monkeypatch.setenv("BINATIONAL_TOKEN_MAX_DAYS", "400")
    get_settings.cache_clear()
    assert _cli(["tokens", "create", "us_analyst", "--expires-days", "365"]).exit_code == 0


def test_an_agency_administrator_creates_no_agency(client, cast, db, monkeypatch):
    monkeypatch.setenv("BINATIONAL_NODE_COUNTRY", "US")
    get_settings.cache_clear()
    for member in (cast["admin"], cast["us_analyst"], cast["outsider"]):
        r = client.post(f"{API}/agencies", headers=member.headers,
                        json={"code": "US-DEA", "country": "US", "name": "DEA"})
        assert r.status_code == 403, (member.username, r.text)
    with db.session() as s:
        act_as_system(s)
        assert s.get(Agency, "US-DEA") is None
    result = _cli(["agencies", "add", "US-DEA", "--country", "US", "--name", "Drug Enforcement Administration"])
    assert result.exit_code == 0, result.output
    # a node administrator may, for the node's country only
    node = _member(db, "node_op", "US-CBP", ["node_admin"], "TLP:CLEAR")
    assert client.post(f"{API}/agencies", headers=node, json={"code": "US-USMS", "country": "US",
                                                              "name": "Marshals"}).status_code == 201
    assert client.post(f"{API}/agencies", headers=node, json={"code": "GT-MP", "country": "GT",
                                                              "name": "Ministerio Público"}).status_code == 403


def test_look_alike_names_are_refused_everywhere(client, cast, db, tmp_path, monkeypatch):
    admin = cast["admin"]
    cyrillic, fullwidth = "US-\u0421BP", "\uff26\uff27\uff32"  # US-СBP, ＦＧＲ
    for username in ("us_\u0430nalyst", "\uff41\uff44\uff4d\uff49\uff4e", "first.last", "tab\tname"):
        r = client.post(f"{API}/users", headers=admin.headers, json={
            "username": username, "agency": "US-CBP", "roles": ["analyst"], "clearance": "TLP:CLEAR"})
        assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "username"}], (username, r.text)
        result = _cli(["users", "add", username, "--agency", "US-CBP", "--role", "analyst"])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    monkeypatch.setenv("BINATIONAL_NODE_COUNTRY", "US")
    monkeypatch.setenv("BINATIONAL_FEDERATION_COUNTRIES", '["MX"]')
    get_settings.cache_clear()
    node = _member(db, "node_op", "US-CBP", ["node_admin"], "TLP:CLEAR")
    for code, country in ((cyrillic, "US"), (fullwidth, "MX")):
        r = client.post(f"{API}/agencies", headers=node, json={"code": code, "country": country, "name": "Fake"})
        assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "code"}], r.text
        result = _cli(["agencies", "add", code, "--country", country, "--name", "Fake"])
        assert result.exit_code == 2 and "agency code" in result.output
    # an agency registered before the rule (as the attack did) receives no release any more
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(insert(Agency).values(code=cyrillic, country="US", name="Look-alike"))
    us = cast["us_analyst"]
    person = {"schema": "Person", "properties": {"name": ["Lookalike Target"]}, "distribution": "release"}
    r = client.post(f"{API}/entities", headers=us.headers, json={**person, "release_to": [cyrillic]})
    assert r.status_code == 422 and "agency code" in r.json()["error"]["message"]
    made = client.post(f"{API}/entities", headers=us.headers, json={**person, "release_to": ["MX-FGR"]}).json()
    r = client.post(f"{API}/entities/{made['id']}/releases", headers=us.headers, json={"to": [cyrillic]})
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"field": "to"}]
    lines = tmp_path / "lookalike.jsonl"
    lines.write_text(json.dumps({"id": "look1", "schema": "Person", "properties": {"name": ["Look Alike"]},
                                 "binational": {"distribution": "release", "release_to": [cyrillic]}}) + "\n",
                     encoding="utf-8")
    result = _cli(["entities", "import", str(lines), "--as", "us_analyst"])
    assert result.exit_code == 2 and "agency code" in result.output


def test_an_api_write_names_its_token_in_the_log(client, cast, db):
    us = cast["us_analyst"]
    before = _size(db)
    r = client.post(f"{API}/entities", headers=us.headers, json={"schema": "Person",
                                                                 "properties": {"name": ["Signed Write"]}})
    assert r.status_code == 201, r.text
    writes = [e for e in _entries(db, before) if e["action"] == "entity.create"]
    assert writes and all(e["credential"] == f"token:{us.token.split('_')[1]}" for e in writes)
    # a refusal names it too
    before = _size(db)
    assert client.get(f"{API}/users", headers=us.headers).status_code == 403
    denied = _entries(db, before)
    assert denied and denied[0]["credential"] == f"token:{us.token.split('_')[1]}"


def test_only_auditors_read_the_size_of_the_log(client, cast, db):
    for member in ("us_analyst", "admin", "outsider", "mx_analyst"):
        r = client.get(f"{API}/audit/status", headers=cast[member].headers)
        assert r.status_code == 403, (member, r.text)
        assert "size" not in client.get(f"{API}/me", headers=cast[member].headers).json()
    sequence_audit(db)  # the status is of the signed head, which queued entries have not reached yet
    r = client.get(f"{API}/audit/status", headers=cast["us_auditor"].headers)
    assert r.status_code == 200 and r.json()["size"] >= 1


def test_refused_tokens_all_answer_the_same_401(client, cast, db):
    revoked, expired, inactive = cast["us_analyst"], cast["mx_analyst"], cast["us_atf"]
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(update(ApiToken).where(ApiToken.id == revoked.token.split("_")[1]).values(revoked_at=utcnow()))
        s.execute(update(ApiToken).where(ApiToken.id == expired.token.split("_")[1])
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(User).where(User.username == inactive.username).values(active=False))
    unknown = "bnt_0123456789abcdef_" + "x" * 43
    answers = []
    for token in (revoked.token, expired.token, inactive.token, unknown):
        r = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
        answers.append((r.status_code, r.content, r.headers["www-authenticate"]))
    assert answers[0][0] == 401 and all(a == answers[0] for a in answers), answers
    assert b"invalid or expired token" in answers[0][1]


def test_the_users_page_keeps_the_second_pair_of_eyes(client, cast, db):
    with db.unit_of_work() as s:
        act_as_system(s)
        access.get_user(session=s, username="admin").password_hash = access.hash_password("admin password")
        second = access.add_user(session=s, username="admin2", agency="US-CBP", roles=["admin"],
                                 clearance="TLP:AMBER")
        second.password_hash = access.hash_password("second password")
    csrf = sign_in(client, "admin", "admin password")
    r = client.post("/admin/users", data={"csrf": csrf, "username": "red_web", "agency": "US-CBP",
                                          "roles": "analyst", "clearance": "TLP:RED"}, follow_redirects=False)
    assert r.status_code == 403 and _user(db, "red_web") is None
    r = client.post("/admin/users", data={"csrf": csrf, "username": "web_watcher", "agency": "US-CBP",
                                          "roles": ["analyst", "auditor"], "clearance": "TLP:GREEN"},
                    follow_redirects=False)
    assert r.status_code == 303 and _user(db, "web_watcher").role_list == ["analyst"]
    with db.session() as s:
        act_as_system(s)
        grant_id = s.execute(select(PendingGrant.id)).scalar_one()
    page = client.get("/admin/users").text
    assert 'data-testid="pending-grants"' in page and f"/admin/grants/{grant_id}/approve" not in page
    assert client.post(f"/admin/grants/{grant_id}/approve", data={"csrf": csrf}).status_code == 403
    client.post("/logout", data={"csrf": csrf})
    client.cookies.clear()
    csrf = sign_in(client, "admin2", "second password")
    assert f"/admin/grants/{grant_id}/approve" in client.get("/admin/users").text
    r = client.post(f"/admin/grants/{grant_id}/approve", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and _user(db, "web_watcher").role_list == ["analyst", "auditor"]

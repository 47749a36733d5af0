"""Attacks on the database backstop and the audit log's truth, as a hostile user would try them.

Refusals are audited with the action refused; raw SQL on the request path (as an injection would run
it) cannot read past row-level security, turn itself into the system nor leave its role; a forged row
in the audit queue becomes evidence, not an entry; the log's head cannot be moved back, and `audit
verify` catches a log cut back, emptied or missing a checkpoint.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from binational.access import service as access
from binational.access.policy import Actor
from binational.audit import log, merkle
from binational.audit.models import AuditEntry
from binational.cli import app
from binational.clitools import reset_database
from binational.db import Database, act_as, act_as_system
from binational.schema import upgrade
from tests.conftest import PASSWORD, Member, sequence_audit

API = "/api/v1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _sign_in(client: TestClient, username: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _actor(s: Session, username: str) -> Actor:
    return access.actor_for(session=s, user=access.get_user(session=s, username=username))


def _denials(db: Database, agency: str) -> list[dict]:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = s.execute(select(AuditEntry.entry).where(AuditEntry.decision == "deny",
                                                        AuditEntry.actor_agency == agency)).scalars()
        return [json.loads(r) for r in rows]


def _request_to_cbp(client: TestClient, mx: Member, us: Member) -> str:
    r = client.post(f"{API}/entities", headers=us.headers,
                    json={"schema": "Person", "distribution": "release", "release_to": ["MX-FGR"],
                          "properties": {"name": ["Ana Ruiz"]}})
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/requests", headers=mx.headers,
                    json={"type": "information", "to_agency": "US-CBP", "question": "Who?",
                          "entity_ids": [r.json()["id"]]})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_refused_move_of_a_request_is_audited_with_its_action_and_request(client, cast, db):
    mx, us = cast["mx_analyst"], cast["us_analyst"]
    rid = _request_to_cbp(client, mx, us)
    # the receiver's supervisor tries to withdraw the partner's request, as if it had sent it
    r = client.post(f"{API}/requests/{rid}/withdraw", headers=cast["us_supervisor"].headers, json={})
    assert r.status_code == 403
    [entry] = _denials(db, "US-CBP")
    assert entry["action"] == "request.withdraw" and entry["objects"] == [rid]


def test_a_refused_page_is_audited_with_its_action(client, cast, db):
    _sign_in(client, "mx_analyst")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/audit").status_code == 403
    actions = sorted(e["action"] for e in _denials(db, "MX-FGR"))
    assert actions == ["audit.read", "user.list"]


def test_a_row_forged_into_the_audit_queue_becomes_evidence_not_an_entry(client, cast, db):
    """The request path may add rows to the queue (PostgreSQL: any viewer may insert); one it did not
    MAC, claiming a partner's auditor read a record, enters the log as `audit.unreadable` only."""
    forged = {"action": "entity.read", "actor": "mx_auditor", "actor_id": 8, "agency": "MX-FGR",
              "objects": [["us-cbp.someone", "US-CBP"]], "decision": "allow", "reason": "", "request_id": "r",
              "time": "2026-01-01T00:00:00+00:00", "extra": {}, "credential": None}
    with db.unit_of_work() as s:
        act_as(s, _actor(s, "us_analyst"))
        for row in (json.dumps(forged), "0" * 64 + " " + json.dumps(forged)):
            s.execute(text("INSERT INTO audit_queue (event) VALUES (:e)"), {"e": row})
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        entries = [json.loads(e) for e in s.execute(select(AuditEntry.entry).order_by(AuditEntry.seq)).scalars()]
    assert [e["action"] for e in entries[-2:]] == ["audit.unreadable", "audit.unreadable"]
    assert not [e for e in entries if e["actor"] == "mx_auditor"]


# --- raw SQL on the request path, as an injection would run it (PostgreSQL) ---------------------------------


def _postgres(settings) -> None:
    if not settings.is_postgres:
        pytest.skip("row-level security, roles and triggers are PostgreSQL's; SQLite has no database backstop")


def _scalars(s: Session, sql: str) -> set:
    return set(s.execute(text(sql)).scalars())


def test_raw_sql_as_a_partner_reads_no_other_agencys_users_tokens_suggestions_or_audit_entries(client, cast, db,
                                                                                                 settings):
    _postgres(settings)
    mx, us = cast["mx_analyst"], cast["us_analyst"]
    kept = [client.post(f"{API}/entities", headers=us.headers, json={
        "schema": "Person", "properties": {"name": [f"Kept Nameless{i}"]}}).json()["id"] for i in range(2)]
    r = client.get(f"{API}/entities/us-cbp.nothing", headers=mx.headers)  # an MX-FGR entry in the log
    assert r.status_code == 404
    client.get(f"{API}/entities", headers=cast["us_analyst"].headers)  # a US-CBP one
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        s.execute(text("INSERT INTO resolution_runs (id, engine, status, message, started_at, summary, models) "
                       "VALUES ('run1', 'simple', 'done', '', now(), '{}', '{}')"))
        s.execute(text("INSERT INTO resolution_suggestions (run_id, kind, left_id, right_id, left_agency, "
                       "right_agency, score, match_weight, decision, driver, weights, created_at) VALUES "
                       "('run1', 'person', :l, :r, 'US-CBP', 'US-CBP', 0.9, 1, 'match', '', '{}', now())"),
                  {"l": kept[0], "r": kept[1]})
        all_agencies = _scalars(s, "SELECT DISTINCT actor_agency FROM audit_entries")
    assert {"US-CBP", "MX-FGR"} <= all_agencies
    with db.unit_of_work() as s:
        act_as(s, _actor(s, "mx_analyst"))
        assert _scalars(s, "SELECT DISTINCT agency FROM users") == {"MX-FGR"}
        assert _scalars(s, "SELECT DISTINCT u.agency FROM api_tokens t JOIN users u ON u.id = t.user_id") == {"MX-FGR"}
        assert _scalars(s, "SELECT count(*) FROM api_tokens") == {2}  # mx_analyst's and mx_auditor's
        assert _scalars(s, "SELECT id FROM resolution_suggestions") == set()
        assert _scalars(s, "SELECT DISTINCT actor_agency FROM audit_entries") == {"MX-FGR"}
        assert _scalars(s, "SELECT DISTINCT object_agency FROM audit_object_refs") <= {"MX-FGR"}
        # nor write them: another agency's user, a token for it, an audit entry
        assert s.execute(text("UPDATE users SET roles = 'admin' WHERE agency = 'US-CBP'")).rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security|permission denied"):
            s.execute(text("INSERT INTO api_tokens (id, user_id, secret_hash, created_at, expires_at) "
                           "VALUES ('forged', :u, 'x', now(), now() + interval '1 day')"),
                      {"u": _actor(s, "us_supervisor").user_id})
        s.rollback()


def test_raw_sql_cannot_turn_itself_into_the_system_nor_leave_its_role(client, cast, db, settings):
    _postgres(settings)
    with db.unit_of_work() as s:
        act_as(s, _actor(s, "mx_analyst"))
        assert s.execute(text("SELECT current_user, session_user")).one() == (settings.db_app_role,
                                                                             settings.db_app_role)
        # the old switch: the setting alone opens nothing
        s.execute(text("SELECT set_config('binational.system', 'on', true)"))
        assert _scalars(s, "SELECT DISTINCT agency FROM users") == {"MX-FGR"}
        assert s.execute(text("SELECT binational_system_on()")).scalar_one() is False
        # nor does a proof guessed without the key, nor one made for another transaction
        s.execute(text("SELECT set_config('binational.system', encode(sha256(convert_to("
                       "binational_system_nonce(), 'UTF8')), 'hex'), true)"))
        assert _scalars(s, "SELECT DISTINCT agency FROM users") == {"MX-FGR"}
        with pytest.raises(DBAPIError, match="permission denied"):
            s.execute(text("SELECT key FROM binational_system_key"))
        s.rollback()
    with db.unit_of_work() as s:
        act_as(s, _actor(s, "mx_analyst"))
        # leaving the role leads back to the same role: the login is the application role itself
        s.execute(text("RESET ROLE"))
        assert s.execute(text("SELECT current_user")).scalar_one() == settings.db_app_role
        assert _scalars(s, "SELECT DISTINCT agency FROM users") == {"MX-FGR"}
        with pytest.raises(DBAPIError, match="permission denied"):
            s.execute(text("SET ROLE postgres"))
        s.rollback()
    with db.app_engine.connect() as conn:  # the role holds no other role and bypasses nothing
        row = conn.execute(text("SELECT r.rolsuper, r.rolbypassrls, (SELECT count(*) FROM pg_auth_members m "
                                "WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname = current_user")).one()
        assert tuple(row) == (False, False, 0)
        owner = conn.execute(text("SELECT pg_get_userbyid(datdba) FROM pg_database "
                                  "WHERE datname = current_database()")).scalar_one()
        assert owner != settings.db_app_role


#: tables the application role cannot touch at all, which therefore need no forced policy (the search's
#: word list: its owner's trigger adds every written term, and only system functions read it)
UNFORCED = frozenset({"search_words"})


def test_every_table_forces_row_security_and_no_policy_trusts_the_setting(db, settings):
    _postgres(settings)
    from binational.models import Base

    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rls, forced = conn.execute(text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                                            "WHERE relname = :t AND relkind = 'r'"), {"t": table.name}).one()
            if table.name in UNFORCED:
                # its owner's trigger writes it for every user's write: the app role holds no privilege on it
                granted = conn.execute(text("SELECT has_table_privilege('binational_app', :t, "
                                            "'SELECT,INSERT,UPDATE,DELETE')"), {"t": table.name}).scalar_one()
                assert rls and not granted, table.name
                continue
            assert rls and forced, f"{table.name}: add it to RULES of the backstop migration"
        policies = conn.execute(text("SELECT policyname, coalesce(qual, '') || coalesce(with_check, '') "
                                     "FROM pg_policies")).all()
        trusting = [name for name, rule in policies if "binational.system" in rule]
        assert trusting == []


# --- the log's head and `audit verify` ------------------------------------------------------------------------


def _fill_log(db: Database, count: int) -> None:
    with db.unit_of_work() as s:
        actor = _actor(s, "us_analyst")
        act_as(s, actor)
        for i in range(count):
            log.record(s, action="entity.read", actor=actor, objects=[(f"us-cbp.e{i}", "US-CBP")])


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


def _as_owner(db: Database, *sql: str, past_triggers: bool = False, **params) -> None:
    """Change the database as its owner would (a superuser, past the triggers, if asked)."""
    with db.engine.begin() as conn:
        if past_triggers and conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in sql:
            conn.execute(text(statement), params)


def test_the_head_cannot_move_back_nor_be_removed(db, settings):
    _postgres(settings)
    _fill_log(db, 60)  # past the checkpoint at 50
    for sql in ("UPDATE audit_head SET size = 50", "DELETE FROM audit_head", "TRUNCATE audit_head",
                "UPDATE audit_head SET frontier = '\\x00'::bytea",
                # forward, but rewriting the subtrees it had
                "UPDATE audit_head SET size = 61, frontier = decode(repeat('00', 160), 'hex')"):
        with pytest.raises(DBAPIError, match="audit log"):
            _as_owner(db, sql)


def _cut_back_to_checkpoint(db, settings, size: int, *, unseal: bool = False) -> None:
    """What the database's owner can do without the audit key: cut the log back to a checkpoint and
    copy the checkpoint's signature into the head (and empty its seal)."""
    with db.engine.connect() as conn:
        if settings.is_postgres:
            conn.execute(text("SET session_replication_role = replica"))
        leaves = [bytes(h) for h in conn.execute(text("SELECT leaf_hash FROM audit_entries WHERE seq < :n "
                                                      "ORDER BY seq"), {"n": size}).scalars()]
        cp = conn.execute(text("SELECT root, signature FROM audit_checkpoints WHERE size = :n"), {"n": size}).one()
    frontier: list[bytes] = []
    for i, leaf in enumerate(leaves):
        frontier = merkle.append(frontier, i, leaf)
    _as_owner(db, "DELETE FROM audit_object_refs WHERE seq >= :n", "DELETE FROM audit_entries WHERE seq >= :n",
              "UPDATE audit_head SET size = :n, frontier = :f, root = :r, signature = :g"
              + (", seal = NULL" if unseal else ""),
              past_triggers=True, n=size, f=b"".join(frontier), r=bytes(cp.root), g=bytes(cp.signature))


def test_verify_catches_a_log_cut_back_to_a_checkpoint_with_its_signature(db, settings):
    reset_database()
    _fill_log(db, 60)
    assert _verify()[0] == 0
    _cut_back_to_checkpoint(db, settings, 50)
    code, out = _verify()
    assert code == 1 and "seal does not match" in out, out


def test_a_routine_init_does_not_seal_a_head_cut_back_and_left_unsealed(db, settings):
    """An owner without the audit key cuts the log back, copies a checkpoint's signature into the head
    and empties its seal: the operator's next `binational init` must not seal that head for them."""
    reset_database()
    _fill_log(db, 60)
    _cut_back_to_checkpoint(db, settings, 50, unseal=True)
    upgrade(db.engine, settings)
    code, out = _verify()
    assert code == 1 and "seal does not match" in out, out


def test_verify_catches_a_removed_checkpoint(db, settings):
    reset_database()
    _fill_log(db, 60)
    assert _verify()[0] == 0
    _as_owner(db, "DELETE FROM audit_checkpoints WHERE size = 50", past_triggers=True)
    code, out = _verify()
    assert code == 1 and "seal does not match" in out, out


def test_verify_catches_an_emptied_log(client, cast, db, settings):
    reset_database()
    r = client.post(f"{API}/entities", headers=cast["us_analyst"].headers,
                    json={"schema": "Person", "properties": {"name": ["Someone Recorded"]}})
    assert r.status_code == 201
    assert _verify()[0] == 0
    _as_owner(db, "DELETE FROM audit_object_refs", "DELETE FROM audit_entries", "DELETE FROM audit_checkpoints",
              "DELETE FROM audit_head", past_triggers=True)
    code, out = _verify()
    assert code == 1 and "the log is empty but the node holds records" in out, out

"""Queued audit entries: committed with their request, sequenced into the log later, never lost,
never readable or removable by a viewer, and always included by the readers of the log."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import DBAPIError

from binational.access import service as access
from binational.app import create_app
from binational.audit import log
from binational.audit.models import AuditEntry, AuditHead, AuditQueued
from binational.audit.scope import unit_of_work
from binational.audit.sequencer import Sequencer
from binational.audit.verify import verify
from binational.db import act_as, act_as_system
from binational.entities import service
from binational.entities.schemas import EntityCreate
from binational.errors import NotFound
from tests.conftest import sequence_audit


def _counts(db) -> tuple[int, int]:
    """(queued rows, log size) as the system sees them."""
    with db.session() as s:
        act_as_system(s)
        queued = s.execute(select(func.count()).select_from(AuditQueued)).scalar_one()
        size = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    return queued, size


def _actor(db, username: str):
    with db.unit_of_work() as s:
        return access.actor_for(session=s, user=access.get_user(session=s, username=username))


def _create(db, actor, name: str) -> str:
    with unit_of_work(db) as s:
        act_as(s, actor)
        made = service.create(session=s, actor=actor, data=EntityCreate.model_validate(
            {"schema": "Person", "properties": {"name": [name]}}))
    return made.id


def test_queued_entries_commit_with_their_request_and_reach_the_log_in_order(db):
    actor = _actor(db, "us_analyst")
    queued, size = _counts(db)
    assert queued == 0
    db.defer_audit = True
    made = _create(db, actor, "Queued Person")
    with unit_of_work(db) as s:
        act_as(s, actor)
        service.read(session=s, actor=actor, entity_id=made)
    with pytest.raises(NotFound), unit_of_work(db) as s:  # a refusal: rolled back, its denial recorded
        act_as(s, actor)
        service.read(session=s, actor=actor, entity_id="us-cbp.never-was")
    with pytest.raises(RuntimeError), db.unit_of_work() as s:  # rolled back: queues nothing
        act_as(s, actor)
        log.record(s, action="entity.read", actor=actor, objects=[("us-cbp.rolled-back", "US-CBP")])
        raise RuntimeError("the request failed")
    assert _counts(db) == (3, size)

    with db.unit_of_work() as s:
        assert log.drain(s, batch=2) == 3  # in two batches
    assert _counts(db) == (0, size + 3)
    with db.session() as s:
        act_as_system(s)
        rows = s.execute(select(AuditEntry).where(AuditEntry.seq >= size).order_by(AuditEntry.seq)).scalars().all()
        head = s.get(AuditHead, 1)
    assert [(r.seq, r.action, r.decision) for r in rows] == [
        (size, "entity.create", "allow"), (size + 1, "entity.read", "allow"), (size + 2, "entity.read", "deny")]
    assert head is not None and head.size == size + 3
    with db.unit_of_work() as s:
        act_as_system(s)
        result = verify(s, db.settings)
    assert result.ok and result.size == size + 3


def test_readers_of_the_log_include_what_is_still_queued(settings, cast, db):
    # Queued as while a sequencer serves, whatever this test's backend, but with no sequencer running.
    with TestClient(create_app(settings.model_copy(update={"audit_sequence_ms": 0}), db)) as client:
        db.defer_audit = True
        _who_saw_then_status(client, cast, db)


def _who_saw_then_status(client, cast, db) -> None:
    us = cast["us_analyst"]
    made = client.post("/api/v1/entities", headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["Ana Queued"]}, "distribution": "release",
        "release_to": ["MX-FGR"]}).json()
    assert client.get(f"/api/v1/entities/{made['id']}", headers=cast["mx_analyst"].headers).status_code == 200
    assert _counts(db)[0] >= 2
    saw = client.get(f"/api/v1/audit/who-saw/{made['id']}", headers=cast["us_auditor"].headers)
    assert saw.status_code == 200, saw.text
    assert [(e["actor"], e["action"]) for e in saw.json()["items"]] == [("mx_analyst", "entity.read")]
    # the status is of the signed head: it does not drain, so the who-saw's own entry is still queued,
    # and so is the status read's own
    status = client.get("/api/v1/audit/status", headers=cast["us_auditor"].headers).json()
    assert _counts(db) == (2, status["size"])


def test_a_sequencer_drains_in_the_background_and_at_shutdown(db):
    actor = _actor(db, "us_analyst")
    _, size = _counts(db)
    sequencer = Sequencer(db, 0.01)
    sequencer.start()
    try:
        assert db.defer_audit
        for i in range(5):
            _create(db, actor, f"Background Person{i}")
        deadline = time.monotonic() + 10
        while _counts(db) != (0, size + 5) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _counts(db) == (0, size + 5)
    finally:
        sequencer.stop()
    assert not db.defer_audit
    db.defer_audit = True
    _create(db, actor, "Left Queued")  # as if committed just after the server stopped
    db.defer_audit = False
    assert _counts(db) == (1, size + 5)
    Sequencer(db, 0.01).drain()  # what the next start does first
    assert _counts(db) == (0, size + 6)


def test_a_viewer_can_queue_but_neither_read_nor_remove_a_queued_entry(db, settings):
    if not settings.is_postgres:
        pytest.skip("row-level security is PostgreSQL's")
    actor = _actor(db, "us_analyst")
    db.defer_audit = True
    _create(db, actor, "Hidden Queue")
    with db.unit_of_work() as s:
        act_as(s, actor)
        assert s.execute(select(func.count()).select_from(AuditQueued)).scalar_one() == 0
        assert s.execute(delete(AuditQueued)).rowcount == 0
    assert _counts(db)[0] == 1
    with pytest.raises(DBAPIError, match="permission denied"), db.unit_of_work() as s:
        act_as(s, actor)
        s.execute(AuditQueued.__table__.update().values(event="{}"))


def test_a_queued_row_changed_in_the_database_is_logged_as_unreadable_and_the_log_goes_on(db):
    actor = _actor(db, "us_analyst")
    db.defer_audit = True
    _create(db, actor, "Before Tamper")
    with db.engine.begin() as conn:  # the database owner (not the application's role) rewrites the queued row
        queued_id = conn.execute(select(AuditQueued.id)).scalar_one()
        conn.execute(AuditQueued.__table__.update().values(event="not json"))
    _create(db, actor, "After Tamper")
    with db.unit_of_work() as s:
        assert log.drain(s) == 2
    with db.session() as s:
        act_as_system(s)
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(2)).scalars().all()
    unreadable, after = json.loads(rows[1].entry), json.loads(rows[0].entry)
    assert (unreadable["action"], unreadable["decision"], unreadable["extra"]["queued_id"]) == (
        "audit.unreadable", "deny", queued_id)
    assert unreadable["extra"]["sha256"] == hashlib.sha256(b"not json").hexdigest()
    assert after["action"] == "entity.create"
    with db.unit_of_work() as s:
        act_as_system(s)
        assert verify(s, db.settings).ok


def test_the_sequencer_drains_often_while_entries_come_and_backs_off_while_none_do(db):
    sequencer = Sequencer(db, 0.2)
    waits = [0.05]
    for _ in range(4):
        waits.append(sequencer.next_wait(waits[-1], moved=0))
    assert waits == [0.05, 0.1, 0.2, 0.2, 0.2]  # never longer than the interval an entry may wait
    assert sequencer.next_wait(0.2, moved=3) == 0.05


def test_a_worker_without_its_own_sequencer_only_queues(settings, cast, db):
    """`serving.serve` on PostgreSQL: the workers queue, the supervising process sequences."""
    if not settings.is_postgres:
        pytest.skip("entries are queued on PostgreSQL only")
    fast = settings.model_copy(update={"audit_sequence_ms": 20})
    with TestClient(create_app(fast, db, own_sequencer=False)) as client:
        assert db.defer_audit
        r = client.get("/api/v1/entities", headers=cast["us_analyst"].headers)
        assert r.status_code == 200
        time.sleep(0.2)  # ten of its own sequencer's turns, had it one
        assert _counts(db)[0] == 1
    assert not db.defer_audit and _counts(db)[0] == 1  # left for the supervisor's last drain
    Sequencer(db, 0.02).drain()
    assert _counts(db)[0] == 0


def test_an_entry_that_could_never_enter_the_log_fails_its_request_not_the_sequencer(db):
    actor = _actor(db, "us_analyst")
    db.defer_audit = True
    with pytest.raises(ValueError, match="canonical JSON"), db.unit_of_work() as s:
        log.record(s, action="entity.list", actor=actor, extra={"depth": 2**60})  # beyond RFC 8785's integers
    assert _counts(db)[0] == 0


@pytest.mark.parametrize("event", [
    {"objects": [["a"]]}, {"actor_id": "zz"}, {"action": "x" * 65}, {"decision": "maybe"}, {"extra": {"n": 2**60}},
], ids=["object-not-a-pair", "actor-id-text", "action-too-long", "decision", "integer-too-large"])
def test_a_queued_row_that_parses_but_cannot_enter_the_log_is_logged_as_unreadable(db, event):
    row = {"action": "entity.read", "actor": "x", "actor_id": 1, "agency": "US-CBP", "objects": [["o", "US-CBP"]],
           "decision": "allow", "reason": "", "request_id": "r", "time": "2026-01-01T00:00:00+00:00", "extra": {},
           **event}
    body = json.dumps(row).encode()  # with a valid MAC: the tamperer holds the queue's key too
    with db.engine.begin() as conn:  # written by the database owner, as a tamperer would
        conn.execute(AuditQueued.__table__.insert().values(
            event=log.queue_mac(db.settings.subkey(log.QUEUE_KEY), body) + " " + body.decode()))
    with db.unit_of_work() as s:
        assert log.drain(s) == 1
    with db.session() as s:
        act_as_system(s)
        last = json.loads(s.execute(select(AuditEntry.entry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one())
    assert last["action"] == "audit.unreadable"


def test_verification_takes_no_lock_and_covers_what_is_appended_while_it_runs(db, settings):
    if not settings.is_postgres:
        pytest.skip("a SQLite transaction holds the write lock from its start: nothing appends meanwhile")
    actor = _actor(db, "us_analyst")
    _create(db, actor, "Verified Person")
    _, size = _counts(db)
    appended = []

    def append_meanwhile(done: int, _total: int) -> None:
        if not appended:  # on the first entry walked: another request appends three entries
            with db.unit_of_work() as other:
                for i in range(3):
                    log.record(other, action="entity.read", actor=actor, objects=[(f"us-cbp.meanwhile{i}", "US-CBP")])
            appended.append(done)

    with db.unit_of_work() as s:
        act_as_system(s)
        result = verify(s, db.settings, progress=append_meanwhile)
    assert appended and result.ok, result
    assert result.size == size + 3


def test_verification_holds_when_entries_land_between_its_queries(db, settings):
    """Each pass walks only what the head it read covers: an entry committed after the object
    references were read but before the entries are is left to the next pass, not failed."""
    if not settings.is_postgres:
        pytest.skip("a SQLite transaction holds the write lock from its start: nothing appends meanwhile")
    actor = _actor(db, "us_analyst")
    _create(db, actor, "Between Queries")
    appended = []

    def append_before_the_entries_query(_conn, _cursor, statement, *_args) -> None:
        if not appended and statement.lstrip().startswith("SELECT audit_entries.seq, audit_entries.time"):
            appended.append(True)
            with db.unit_of_work() as other:
                log.record(other, action="entity.read", actor=actor, objects=[("us-cbp.between", "US-CBP")])

    event.listen(db.app_engine, "before_cursor_execute", append_before_the_entries_query)
    try:
        with db.unit_of_work() as s:
            act_as_system(s)
            result = verify(s, db.settings)
    finally:
        event.remove(db.app_engine, "before_cursor_execute", append_before_the_entries_query)
    assert appended and result.ok, result
    assert result.size == _counts(db)[1]


def test_an_object_id_too_long_for_the_log_is_named_by_its_hash(client, cast, db):
    probe = "us-cbp." + "x" * 300
    r = client.get(f"/api/v1/entities/{probe}", headers=cast["mx_analyst"].headers)
    assert r.status_code == 404, r.text
    sequence_audit(db)
    with db.session() as s:
        act_as_system(s)
        last = json.loads(s.execute(select(AuditEntry.entry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one())
    assert (last["action"], last["decision"]) == ("entity.read", "deny")
    assert last["objects"] == ["sha256:" + hashlib.sha256(probe.encode()).hexdigest()]

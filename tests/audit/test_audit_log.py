"""The audit log: every action leaves an entry; the Merkle tree is RFC 6962's; `audit verify`
catches a changed, deleted or rewritten entry; concurrent appenders keep one gap-free chain."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from binational.access import service as access
from binational.audit import log, merkle
from binational.audit.models import AuditEntry
from binational.audit.scope import unit_of_work
from binational.audit.sequencer import Sequencer
from binational.cli import app
from binational.clitools import reset_database
from binational.db import act_as
from binational.entities import service
from binational.entities.schemas import EntityCreate
from tests.conftest import sequence_audit

API = "/api/v1/entities"


def rfc6962_root(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 §2.1, written out again here so the module's own root_of is checked too."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of two smaller than n
    return hashlib.sha256(b"\x01" + rfc6962_root(leaves[:k]) + rfc6962_root(leaves[k:])).digest()


def _frontier_root(leaves: list[bytes]) -> bytes:
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier = merkle.append(frontier, size, leaf)
    return merkle.root(frontier)


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_frontier_root_is_the_rfc6962_tree_head(leaves):
    assert _frontier_root(leaves) == merkle.root_of(leaves) == rfc6962_root(leaves)


def test_every_size_up_to_70_and_the_leaf_hash():
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(71)]
    for n in range(71):
        assert _frontier_root(leaves[:n]) == merkle.root_of(leaves[:n]) == rfc6962_root(leaves[:n]), n
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


_INTEGERS = (st.integers(min_value=-(2**54), max_value=2**54)
             | st.sampled_from([2**53 - 1, 2**53, -(2**53 - 1), -(2**53)]))
# Without numbers with a fraction too: one anywhere sends the whole value to rfc8785 alone.
_PLAIN_SCALARS = st.none() | st.booleans() | st.text() | _INTEGERS
_JSON_SCALARS = _PLAIN_SCALARS | st.floats(allow_nan=False, allow_infinity=False)
_KEYS = st.text() | st.sampled_from(["a", "z", "\u00e9", "\uffff", "\U0001f600", "\ue000"])
_JSON = st.recursive(
    _JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=20
)


def _rfc8785_or_error(value):
    try:
        return rfc8785.dumps(value)
    except Exception as exc:  # noqa: BLE001 - which values it refuses is what is compared
        return type(exc)


def _ours_or_error(value):
    try:
        return log.canonical_json(value)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


_PLAIN_JSON = st.recursive(
    _PLAIN_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@given(_JSON | _PLAIN_JSON)
def test_canonical_json_writes_what_rfc8785_writes_and_refuses_what_it_refuses(value):
    assert _ours_or_error(value) == _rfc8785_or_error(value)


def test_canonical_json_edges():
    """The cases where orjson alone would differ from RFC 8785, and the values it alone would refuse."""
    for value in (
        {"\U0001f600": 1, "\uffff": 2},  # key order by UTF-16 code units, not code points
        1.5, 1e21, 2**53 - 1, [True, None, "\u2028\x7f\x00"],
        # around orjson's depth, and deeper than a recursive check of every level could walk
        *(functools.reduce(lambda inner, _: [inner], range(depth), []) for depth in (253, 254, 400, 600)),
        functools.reduce(lambda inner, _: {"k": inner}, range(600), {}),
    ):
        assert log.canonical_json(value) == rfc8785.dumps(value), value
    for refused in (2**53, "\ud800", {1: "a"}, float("nan"), {"a": {"b": [2**60]}}):
        outcome = _rfc8785_or_error(refused)
        assert isinstance(outcome, type) and issubclass(outcome, Exception), refused
        assert _ours_or_error(refused) is outcome, refused


def _entries(db, after: int = -1) -> list[dict]:
    sequence_audit(db)
    with db.engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.entry).where(AuditEntry.seq > after).order_by(AuditEntry.seq))
        return [json.loads(r) for r in rows.scalars()]


def _last_seq(db) -> int:
    sequence_audit(db)
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(max(seq), -1) FROM audit_entries")).scalar_one()


def test_every_api_action_leaves_one_entry(client, cast, db):
    us, mx, outsider = cast["us_analyst"], cast["mx_analyst"], cast["outsider"]
    start = _last_seq(db)
    ident = client.post(API, headers=us.headers, json={
        "schema": "Person", "properties": {"name": ["Audit Subject"]}, "distribution": "release",
        "release_to": ["MX-FGR"]}).json()["id"]
    steps = [
        (us, "GET", f"{API}/{ident}", None, ("entity.read", "allow")),
        (us, "GET", API, {"q": "Audit Subject"}, ("entity.search", "allow")),
        (us, "PATCH", f"{API}/{ident}", {"add": {"alias": ["Second Name"]}}, ("entity.update", "allow")),
        (mx, "GET", f"{API}/{ident}", None, ("entity.read", "allow")),
        (outsider, "GET", f"{API}/{ident}", None, ("entity.read", "deny")),
        (outsider, "PATCH", f"{API}/{ident}", {"add": {"alias": ["x y"]}}, ("entity.update", "deny")),
        (mx, "DELETE", f"{API}/{ident}", None, ("entity.delete", "deny")),
        (cast["us_auditor"], "GET", API, None, ("entity.list", "deny")),
        (us, "POST", f"{API}/{ident}/releases", {"to": ["MX-INM"]}, ("release.create", "allow")),
        (us, "GET", f"{API}/{ident}/releases", None, ("release.list", "allow")),
        (us, "GET", "/api/v1/me", None, ("me.read", "allow")),
        (us, "GET", "/api/v1/agencies", None, ("agency.list", "allow")),
        (cast["us_auditor"], "GET", "/api/v1/audit", None, ("audit.read", "allow")),
        (us, "DELETE", f"{API}/{ident}", None, ("entity.delete", "allow")),
        (us, "GET", f"{API}/{ident}", None, ("entity.read", "deny")),
    ]
    before = _last_seq(db)
    for member, method, path, body, (action, decision) in steps:
        if method == "GET":
            client.get(path, headers=member.headers, params=body)
        else:
            client.request(method, path, headers=member.headers, json=body)
        new = _entries(db, before)
        assert [(e["action"], e["decision"], e["actor"]) for e in new] == [(action, decision, member.username)], \
            (method, path, new)
        before = new[-1]["seq"]
    # a refused bad input changes nothing and writes no entry; an unauthenticated call has no actor to log
    client.post(API, headers=us.headers, json={"schema": "Unicorn"})
    client.get(API)
    assert _last_seq(db) == before
    everything = _entries(db, start)
    assert [e["action"] for e in everything[:2]] == ["entity.create", "release.create"]
    for e in everything:
        if e["action"].startswith(("entity.", "release.")) and e["decision"] == "allow" or e["action"] == "entity.read":
            assert e["objects"] == [ident], e
    # ids and hashes, never record content
    assert "Audit Subject" not in json.dumps(everything) and "Second Name" not in json.dumps(everything)
    # one request id per request: the create and its release share one
    assert len({e["request_id"] for e in everything}) == len(everything) - 1


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


def _tamper(db, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_verify_names_the_first_entry_that_does_not_match(settings, db):
    reset_database()
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        for i in range(60):  # past a signed checkpoint (every 50 in tests)
            log.record(s, action="entity.read", actor=actor, objects=[(f"us-cbp.e{i}", "US-CBP")])
    size = _last_seq(db) + 1
    code, out = _verify()
    assert code == 0, out
    assert re.search(rf"ok: {size} entries, root [0-9a-f]{{64}}, 1 signed checkpoints", out), out

    victim, last = 55, size - 1
    with db.engine.connect() as conn:
        saved = conn.execute(select(AuditEntry.entry, AuditEntry.leaf_hash).where(AuditEntry.seq == victim)).one()
    original = json.loads(saved.entry)
    if settings.is_postgres:  # insert-only: even the owner's UPDATE and DELETE are rejected
        for sql in ("UPDATE audit_entries SET decision = 'deny' WHERE seq = 1", "DELETE FROM audit_entries",
                    "TRUNCATE audit_entries CASCADE"):
            with pytest.raises(DBAPIError, match="insert-only"):
                _tamper(db, sql)
        _tamper(db, "ALTER TABLE audit_entries DISABLE TRIGGER ALL")
        _tamper(db, "ALTER TABLE audit_object_refs DISABLE TRIGGER ALL")

    changed = json.dumps({**original, "actor": "someone_else"}, separators=(",", ":"), sort_keys=True)
    _tamper(db, "UPDATE audit_entries SET entry = :e WHERE seq = :s", e=changed, s=victim)
    code, out = _verify()
    assert code != 0 and f"FAILED at entry {victim}: entry content does not match its leaf hash" in out, out

    # the forger recomputes the leaf hash too: the next entry's link to it breaks
    _tamper(db, "UPDATE audit_entries SET leaf_hash = :h WHERE seq = :s", h=merkle.leaf_hash(changed.encode()),
            s=victim)
    code, out = _verify()
    assert code != 0 and f"FAILED at entry {victim + 1}: entry is not chained" in out, out

    # put it back: the log verifies again; then an indexed column that no longer matches its entry
    _tamper(db, "UPDATE audit_entries SET entry = :e, leaf_hash = :h WHERE seq = :s", e=saved.entry,
            h=saved.leaf_hash, s=victim)
    code, out = _verify()
    assert code == 0, out
    _tamper(db, "UPDATE audit_entries SET decision = 'deny' WHERE seq = 3")
    code, out = _verify()
    assert code != 0 and "FAILED at entry 3: indexed columns differ" in out, out
    _tamper(db, "UPDATE audit_entries SET decision = 'allow' WHERE seq = 3")

    # the last entry deleted: the signed head covers one more than the log holds
    _tamper(db, "DELETE FROM audit_object_refs WHERE seq = :s", s=last)
    _tamper(db, "DELETE FROM audit_entries WHERE seq = :s", s=last)
    code, out = _verify()
    assert code != 0 and f"FAILED at entry {last}: signed head covers {size} entries, log has {last}" in out, out
    # a hole in the middle
    _tamper(db, "DELETE FROM audit_object_refs WHERE seq = 10")
    _tamper(db, "DELETE FROM audit_entries WHERE seq = 10")
    code, out = _verify()
    assert code != 0 and "FAILED at entry 10: entry 10 is missing" in out, out


def test_verify_catches_rows_outside_the_walk(settings, db):
    """What the walk of entries 0..size would not meet: an entry numbered below 0 (it would show in
    who-saw), a head whose frontier the next append would start from, a checkpoint beyond the log,
    and an entry that is not JSON."""
    reset_database()
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        for i in range(5):
            log.record(s, action="entity.read", actor=actor, objects=[(f"us-cbp.e{i}", "US-CBP")])
    assert _verify()[0] == 0
    if settings.is_postgres:  # the tamperer owns the tables
        for table in ("audit_entries", "audit_object_refs", "audit_checkpoints", "audit_head"):
            _tamper(db, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    ghost = '{"action":"entity.read","actor":"ghost","objects":["us-cbp.e1"]}'
    _tamper(db, "INSERT INTO audit_entries (seq, time, actor_agency, action, decision, entry, leaf_hash) "
                "VALUES (-1, :t, 'MX-FGR', 'entity.read', 'allow', :e, :h)",
            t=log.utcnow(), e=ghost, h=merkle.leaf_hash(ghost.encode()))
    _tamper(db, "INSERT INTO audit_object_refs (seq, object_id, object_agency) VALUES (-1, 'us-cbp.e1', 'US-CBP')")
    code, out = _verify()
    assert code != 0 and "FAILED at entry 0: an entry numbered -1 lies outside the log" in out, out
    _tamper(db, "DELETE FROM audit_object_refs WHERE seq = -1")
    _tamper(db, "DELETE FROM audit_entries WHERE seq = -1")
    assert _verify()[0] == 0

    with db.engine.connect() as conn:
        frontier = conn.execute(text("SELECT frontier FROM audit_head")).scalar_one()
    _tamper(db, "UPDATE audit_head SET frontier = :f", f=b"\x00" * 32)
    code, out = _verify()
    assert code != 0 and "Merkle frontier does not match" in out, out
    _tamper(db, "UPDATE audit_head SET frontier = :f", f=frontier)

    _tamper(db, "INSERT INTO audit_checkpoints (size, root, signature, time) VALUES (999, :r, :g, :t)",
            r=b"\x01" * 32, g=b"\x02" * 64, t=log.utcnow())
    code, out = _verify()
    assert code != 0 and "a signed checkpoint at size 999 lies beyond the log" in out, out
    _tamper(db, "DELETE FROM audit_checkpoints WHERE size = 999")
    assert _verify()[0] == 0

    _tamper(db, "UPDATE audit_entries SET entry = '{bad', leaf_hash = :h WHERE seq = 4",
            h=merkle.leaf_hash(b"{bad"))
    code, out = _verify()
    assert code != 0 and "FAILED at entry 4: entry is not JSON" in out, out


@pytest.mark.parametrize("sequencers", [0, 2], ids=["appended", "queued-two-sequencers"])
def test_concurrent_appenders_keep_one_gap_free_chain(settings, db, sequencers):
    """Whether each transaction appends its own entries or queues them while sequencers (one per
    server process) drain the queue, the log ends as one gap-free chain holding every entry once."""
    reset_database()
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
    start = _last_seq(db) + 1
    threads, per_thread, errors = 6, 6, []
    barrier = threading.Barrier(threads)

    def append(n: int) -> None:
        session = db.session()  # one session per thread, committing several times
        try:
            barrier.wait()
            for i in range(per_thread):
                log.record(session, action="entity.read", actor=actor, objects=[(f"us-cbp.t{n}.{i}", "US-CBP")])
                session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
            session.rollback()
        finally:
            session.close()

    def create(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):  # whole requests: unit of work, policy, statements, audit
                with unit_of_work(db) as s:
                    act_as(s, actor)
                    made = service.create(session=s, actor=actor, data=EntityCreate.model_validate(
                        {"schema": "Person", "properties": {"name": [f"Thread{n} Person{i}"]}}))
                with unit_of_work(db) as s:
                    act_as(s, actor)
                    service.read(session=s, actor=actor, entity_id=made.id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    running = [Sequencer(db, 0.005) for _ in range(sequencers)]
    for sequencer in running:
        sequencer.start()
    workers = [threading.Thread(target=append if n % 2 else create, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for sequencer in running:
        sequencer.stop()
    assert errors == []
    expected = threads // 2 * per_thread * 3  # appends, plus a create and a read per created entity
    with db.engine.connect() as conn:
        seqs = conn.execute(select(AuditEntry.seq).where(AuditEntry.seq >= start).order_by(AuditEntry.seq)).scalars()
        assert list(seqs) == list(range(start, start + expected))
    objects = {o for e in _entries(db, start - 1) if e["action"] == "entity.read" and e["actor"] for o in e["objects"]}
    assert {f"us-cbp.t{n}.{i}" for n in range(1, threads, 2) for i in range(per_thread)} <= objects
    code, out = _verify()
    assert code == 0, out

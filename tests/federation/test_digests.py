"""Step-1 cross-node discovery by keyed digests. Attack tests first: a partner node learns hit or no
hit and an opaque handle, never a value, record or agency; TLP:RED records and values answer no hit;
a digest is never a plain hash and means nothing under another key. Then keys: made or received,
rotated, current only, node administrators only; every query audited, hits named for their holders."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from binational.access import service as access
from binational.audit import service as audit_service
from binational.audit.models import AuditEntry
from binational.cli import app
from binational.db import act_as, act_as_system, utcnow
from binational.errors import Forbidden, InvalidInput, NotFound
from binational.federation import digests, service
from tests.conftest import sequence_audit
from tests.federation.conftest import MX_NODE

API = "/api/v1/entities"
runner = CliRunner()


def _post(client, member, **body):
    r = client.post(API, headers=member.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def partner(us_node, db, mx_node):
    """MX trusted, with a digest key made here."""
    with db.unit_of_work() as s:
        act_as_system(s)
        service.trust(session=s, actor=None, settings=us_node, data=mx_node.anchor(), now=utcnow())
        text = digests.rotate(session=s, actor=None, node_id=MX_NODE, now=utcnow())
    key_id, secret = text.split(":")
    return int(key_id), base64.b64decode(secret)


@pytest.fixture
def world(client, cast):
    us, boss = cast["us_analyst"], cast["us_supervisor"]
    plain = _post(client, us, schema="Person", properties={"name": ["Ramona Quintero"],
                                                           "passportNumber": ["AB-123 456"]})
    red = _post(client, boss, schema="Person", properties={"name": ["Wenceslao Redline"],
                                                           "passportNumber": ["RR998877"]}, marking="TLP:RED")
    r = client.patch(f"{API}/{plain}", headers=boss.headers, json={"add": {"phone": ["+15205550199"]},
                                                                    "marking": "TLP:RED"})
    assert r.status_code == 200, r.text
    return plain, red


def _ask(db, key_id, values):
    with db.unit_of_work() as s:
        act_as_system(s)
        return digests.answer(session=s, node_id=MX_NODE, key_id=key_id, values=values, now=utcnow())


def test_a_partner_learns_hit_or_no_hit_and_a_handle_never_a_value(db, partner, world):
    key_id, secret = partner
    plain, _red = world
    asked = digests.digests_of(secret, [
        {"type": "document", "value": "ab123456"},          # normalised as discovery does: a hit
        {"type": "document", "value": "ZZ000000"},           # nobody holds it
        {"type": "document", "value": "RR998877"},           # a TLP:RED record: no hit
        {"type": "phone", "value": "+1 520 555 0199"},       # a TLP:RED value of a visible record: no hit
    ])
    answers = _ask(db, key_id, asked)
    assert [a.hit for a in answers] == [True, False, False, False]
    assert [a.handle is None for a in answers] == [False, True, True, True]
    shown = json.dumps([a.__dict__ for a in answers])
    for secret_text in (plain, "US-CBP", "AB123456", "Ramona", "us-cbp"):
        assert secret_text not in shown
    assert digests.handle_is_for(answers[0].handle, MX_NODE, key_id, asked[0])
    assert not digests.handle_is_for(answers[0].handle, "gt.binational/pnc", key_id, asked[0])
    assert not digests.handle_is_for(answers[0].handle, MX_NODE, key_id, asked[1])


def test_a_digest_is_never_a_plain_hash_and_depends_on_the_key():
    secret = bytes(range(32))
    [value] = digests.digests_of(secret, [{"type": "document", "value": "AB-123 456"}])
    assert value not in {hashlib.sha256(t.encode()).hexdigest() for t in ("AB123456", "document:AB123456")}
    assert digests.digests_of(b"\x01" * 32, [{"type": "document", "value": "AB-123 456"}]) != [value]
    assert digests.digests_of(secret, [{"type": "document", "value": "ab 123-456"}]) == [value]


def test_holders_see_the_query_in_their_log_and_the_counts_are_kept(db, partner, world):
    key_id, secret = partner
    _ask(db, key_id, digests.digests_of(secret, [{"type": "document", "value": "AB123456"}]))
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        [entry] = [json.loads(e) for e in s.scalars(select(AuditEntry.entry)
                                                     .where(AuditEntry.action == "federation.digests"))]
    assert entry["extra"]["partner"] == MX_NODE and entry["extra"]["asked"] == 1 and entry["extra"]["hits"] == 1
    seen = {}
    for username in ("us_auditor", "mx_auditor"):
        with db.unit_of_work() as s:
            act_as_system(s)
            actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))
            act_as(s, actor)
            items, _ = audit_service.entries(session=s, actor=actor, action="federation.digests")
            seen[username] = len(items)
    assert seen == {"us_auditor": 1, "mx_auditor": 0}


def test_only_the_current_key_answers_and_bad_queries_are_refused(db, partner, us_node):
    key_id, secret = partner
    with pytest.raises(InvalidInput):
        _ask(db, key_id, ["A" * 64])
    with pytest.raises(InvalidInput):
        _ask(db, key_id, ["0" * 64] * (digests.MAX_DIGESTS + 1))
    result = runner.invoke(app, ["federation", "digest-key", MX_NODE], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    new_id = int(result.output.split(":")[0])
    assert new_id == key_id + 1
    with pytest.raises(InvalidInput):
        _ask(db, key_id, ["0" * 64])
    assert _ask(db, new_id, ["0" * 64])[0].hit is False
    stored = runner.invoke(app, ["federation", "digest-key", MX_NODE, "--stdin"],
                           input=f"{new_id}:{'A' * 44}\n")
    assert stored.exit_code == 2 and stored.output.count("\n") == 1  # not newer
    with pytest.raises(NotFound), db.unit_of_work() as s:
        act_as_system(s)
        digests.answer(session=s, node_id="gt.binational/pnc", key_id=1, values=["0" * 64], now=utcnow())


def test_only_node_administrators_rotate_digest_keys(db, partner):
    with db.unit_of_work() as s:
        act_as_system(s)
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="admin"))
        with pytest.raises(Forbidden):
            digests.rotate(session=s, actor=actor, node_id=MX_NODE, now=utcnow())


def test_raw_sql_as_a_partner_agency_reads_no_digest_key_and_writes_no_partner(db, partner, settings):
    if not settings.is_postgres:
        pytest.skip("row-level security is PostgreSQL's")
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    with db.unit_of_work() as s:
        act_as(s, access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst")))
        assert s.execute(text("SELECT count(*) FROM federation_digest_keys")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM federation_partners")).scalar_one() == 1  # the directory
        moved = s.execute(text("UPDATE federation_partners SET expires_at = now() + interval '9 years' "
                               "RETURNING node_id")).all()
        assert moved == []  # the partner directory is written by the node only
        with pytest.raises(ProgrammingError):
            s.execute(text("INSERT INTO federation_partners (node_id, endpoint, anchor, anchor_sha256, node_key, "
                           "agencies, expires_at, trusted_at) VALUES ('gt.binational/pnc', 'https://x.org', '{}', "
                           "'', '', 'GT-PNC', now(), now())"))
        s.rollback()


# --- the stored index and the partner's quota ----------------------------------------------------------------


def test_a_partner_sweeping_past_its_hourly_quota_is_refused_and_audited(db, partner, monkeypatch):
    key_id, secret = partner
    monkeypatch.setenv("BINATIONAL_FEDERATION_DIGESTS_PER_HOUR", "3")
    from binational.config import get_settings
    get_settings.cache_clear()
    from binational.errors import RateLimited
    sweep = digests.digests_of(secret, [{"type": "document", "value": f"ZZ{i:06d}"} for i in range(4)])
    assert len(_ask(db, key_id, sweep[:2])) == 2
    with db.unit_of_work() as s, pytest.raises(RateLimited) as refused:  # the endpoint commits, then 429
        act_as_system(s)
        digests.answer(session=s, node_id=MX_NODE, key_id=key_id, values=sweep[2:], now=utcnow())
    assert refused.value.retry_after >= 1
    assert len(_ask(db, key_id, sweep[2:3])) == 1  # up to the quota
    with db.unit_of_work() as s:
        act_as_system(s)
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "federation.digests",
                                                    AuditEntry.decision == "deny")).all()
    assert len(denied) == 1


def test_the_stored_index_follows_the_writes(db, client, cast, partner):
    key_id, secret = partner
    asked = digests.digests_of(secret, [{"type": "document", "value": "XY-777 000"}])
    assert not _ask(db, key_id, asked)[0].hit  # the index is built (nothing to find yet)
    entity_id = _post(client, cast["us_analyst"], schema="Person",
                      properties={"name": ["Octavio Tardio"], "passportNumber": ["XY777000"]})
    assert _ask(db, key_id, asked)[0].hit  # written after the index was built: caught up
    assert client.delete(f"{API}/{entity_id}", headers=cast["us_analyst"].headers).status_code == 204
    assert not _ask(db, key_id, asked)[0].hit  # deleted: its digest stays in the index and answers nothing
    with db.unit_of_work() as s:
        act_as_system(s)
        from binational.federation.models import DigestIndex
        assert s.scalar(select(func.count()).select_from(DigestIndex)) >= 1

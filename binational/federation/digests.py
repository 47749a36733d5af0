"""Cross-node discovery, Prüm's step 1: selectors as keyed digests, answered hit or no hit.

Two nodes share a key per pair (made by one operator, given to the other out of band, rotated by
either: `binational federation digest-key`). A selector is normalised exactly as local discovery
normalises it (`requests.discovery.parse`: the same kinds, the same keys) and sent as
HMAC-SHA-256 under that key, never as a plain hash: phone numbers, passports and plates are few
enough to hash them all, and without the key a digest tells nothing. The holder recomputes the
digests of its own selectors under the same key and answers each asked digest with hit or no hit
and, for a hit, an opaque handle bound to the partner, the key and the digest, which step 2 (a
request on its clock) names. A handle carries no value, no agency and no record id.

Only what may answer as a hit locally may answer one here (`policy.answers_as_hit`: no TLP:RED
record or value, no record of a restricted case). Name and birth-date selectors compare exactly
(sorted name words and the date) across nodes, not fuzzily as within one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, aliased

from binational.access.actions import Action, register
from binational.access.policy import Actor, answers_as_hit, may_manage_federation
from binational.audit import log as audit
from binational.config import Settings, get_settings
from binational.db import system_context
from binational.entities.models import Entity, Selector, Statement
from binational.errors import Forbidden, InvalidInput, NotFound, RateLimited
from binational.federation import anchors, items, keys, refusals
from binational.federation.bundles import Refused
from binational.federation.models import DigestIndex, DigestKey, DigestQuery, Partner
from binational.federation.service import active_partner
from binational.requests.discovery import parse

register(Action("federation.digest_key", "agency.manage",
                "make or store the key of step-1 discovery digests shared with a partner node (node administrators)"))
register(Action("federation.ask", "",
                "(the node) ask a partner node which of a list of selectors it holds, as keyed digests"))
register(Action("federation.digests", "",
                "(a partner node) ask which of a list of keyed selector digests this node holds: hit or no hit"))

CONTEXT = b"binational selector digest v1\n"
KEY_BYTES = 32
MAX_DIGESTS = 1000
_HEX = re.compile(r"^[0-9a-f]{64}$")


def digest(secret: bytes, kind: str, key: str, detail: str = "") -> str:
    """The keyed digest of one normalised selector (kind, key, and for a name with a birth date the
    sorted name words), hex."""
    return hmac.digest(secret, CONTEXT + f"{kind}\n{key}\n{detail}".encode(), "sha256").hex()


def digests_of(secret: bytes, selectors: list[dict[str, Any]]) -> list[str]:
    """The digests to send for selectors as discovery takes them (`{"type", "value", ...}`),
    normalised by discovery's own parser; InvalidInput naming the first bad one."""
    return [digest(secret, q.kind, q.key, " ".join(q.words)) for q in parse(selectors)]


#: selectors written this many ids before the index's mark are looked at again at each catch-up: on
#: PostgreSQL a transaction may commit ids lower than ones already indexed (sequences are not commit order)
LAG = 10_000


def catch_up(session: Session, key: DigestKey) -> int:
    """Add to the stored index the digests under `key` of the selectors written since it last caught
    up (a new key: all of them); the number added. As the system."""
    secret = bytes(key.secret)
    with system_context(session):
        known = select(DigestIndex.selector_id).where(DigestIndex.key_ref == key.id,
                                                      DigestIndex.selector_id > key.indexed_up_to - LAG)
        rows = session.execute(
            select(Selector.id, Selector.kind, Selector.value, Selector.detail)
            .where(Selector.id > key.indexed_up_to - LAG, Selector.id.not_in(known)).order_by(Selector.id)
        ).all()
        if rows:
            session.execute(insert(DigestIndex), [
                {"key_ref": key.id, "digest": digest(secret, r.kind, r.value, r.detail or ""), "selector_id": r.id}
                for r in rows])
            key.indexed_up_to = max(key.indexed_up_to, rows[-1].id)
            session.flush()
    return len(rows)


def held(session: Session, key: DigestKey, asked: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Of the `asked` digests, those a live selector that may answer a hit has under `key`, from the
    stored index: digest -> {(entity id, owner agency)}. As the system."""
    first, second = aliased(Statement), aliased(Statement)
    out: dict[str, set[tuple[str, str]]] = {}
    with system_context(session):
        for start in range(0, len(asked), 500):
            query = (
                select(DigestIndex.digest, Entity.id, Entity.owner_agency)
                .join(Selector, Selector.id == DigestIndex.selector_id)
                .join(Entity, Entity.id == Selector.entity_id)
                .join(first, first.id == Selector.statement_id)
                .outerjoin(second, second.id == Selector.statement2_id)
                .where(DigestIndex.key_ref == key.id, DigestIndex.digest.in_(asked[start:start + 500]),
                       Entity.deleted_at.is_(None), first.deleted_at.is_(None), second.deleted_at.is_(None),
                       answers_as_hit(Entity, first, second))
            )
            for value, entity_id, owner in session.execute(query):
                out.setdefault(value, set()).add((entity_id, owner))
    return out


def _key_text(key_id: int, secret: bytes) -> str:
    return f"{key_id}:{base64.b64encode(secret).decode()}"


def rotate(*, session: Session, actor: Actor | None, node_id: str, now: datetime, given: str | None = None) -> str:
    """Make the next digest key shared with partner `node_id`, or store `given` (`<id>:<base64>`, made
    by the partner), retiring the one before; returns `<id>:<base64>`. Audited without the key."""
    decision = may_manage_federation(actor)
    if not decision:
        raise Forbidden(f"federation.digest_key: {decision.reason}", action="federation.digest_key")
    partner = active_partner(session, node_id, now)
    with system_context(session):
        latest = session.scalar(select(func.max(DigestKey.key_id)).where(DigestKey.node_id == partner.node_id)) or 0
        if given is None:
            key_id, secret = latest + 1, secrets.token_bytes(KEY_BYTES)
        else:
            key_id, secret = _parse_key(given)
            if key_id <= latest:
                raise InvalidInput(f"digest key {key_id} is not newer than key {latest} of {node_id}",
                                   details=[{"field": "key_id"}])
        for old in session.scalars(select(DigestKey).where(DigestKey.node_id == partner.node_id,
                                                           DigestKey.retired_at.is_(None))):
            old.retired_at = now
        session.add(DigestKey(node_id=partner.node_id, key_id=key_id, secret=secret, created_at=now))
        session.flush()
    audit.record(session, action="federation.digest_key", actor=actor, objects=[(f"node:{node_id}", None)],
                 extra={"key_id": key_id, "made_here": given is None})
    return _key_text(key_id, secret)


def _parse_key(text: str) -> tuple[int, bytes]:
    bad = InvalidInput("a digest key is <id>:<base64 of 32 bytes>", details=[{"field": "key"}])
    head, _, material = text.partition(":")
    if not head.isdigit() or not 0 < int(head) < 2**31:
        raise bad
    try:
        secret = base64.b64decode(material, validate=True)
    except ValueError:
        raise bad from None
    if len(secret) != KEY_BYTES:
        raise bad
    return int(head), secret


def current_key(session: Session, node_id: str) -> tuple[int, bytes]:
    """The current digest key shared with `node_id` (id, secret); InvalidInput when there is none."""
    row = current_key_row(session, node_id)
    return row.key_id, bytes(row.secret)


def current_key_row(session: Session, node_id: str) -> DigestKey:
    """The current digest key's row shared with `node_id`; InvalidInput when there is none."""
    with system_context(session):
        row = session.scalars(select(DigestKey).where(DigestKey.node_id == node_id, DigestKey.retired_at.is_(None))
                              .order_by(DigestKey.key_id.desc())).first()
    if row is None:
        raise InvalidInput(f"no digest key shared with {node_id}: run `binational federation digest-key`",
                           details=[{"field": "key_id"}])
    return row


def _handle_key() -> bytes:
    return get_settings().subkey("federation-digest-handle")


def new_handle(node_id: str, key_id: int, value: str) -> str:
    """An opaque handle for a hit: random, bound by the node's secret to the partner, key and digest."""
    nonce = secrets.token_bytes(16)
    mac = hmac.new(_handle_key(), f"{node_id}\n{key_id}\n{value}\n".encode() + nonce, hashlib.sha256).digest()
    return "fh1." + base64.urlsafe_b64encode(nonce + mac).decode().rstrip("=")


def handle_is_for(handle: object, node_id: str, key_id: int, value: str) -> bool:
    """Whether `handle` was issued by this node to `node_id` for `value` under key `key_id`."""
    if not isinstance(handle, str) or not handle.startswith("fh1.") or len(handle) > 100:
        return False
    try:
        raw = base64.urlsafe_b64decode(handle[4:] + "=" * (-len(handle[4:]) % 4))
    except ValueError:
        return False
    nonce, mac = raw[:16], raw[16:]
    want = hmac.new(_handle_key(), f"{node_id}\n{key_id}\n{value}\n".encode() + nonce, hashlib.sha256).digest()
    return len(raw) == 48 and hmac.compare_digest(mac, want)


@dataclass(frozen=True)
class Answer:
    """The answer to one asked digest: hit or not, and a handle for a hit."""

    digest: str
    hit: bool
    handle: str | None


def _check_digests(values: object) -> list[str]:
    if not isinstance(values, list) or not values:
        raise InvalidInput("give at least one digest", details=[{"field": "digests"}])
    if len(values) > MAX_DIGESTS:
        raise InvalidInput(f"at most {MAX_DIGESTS} digests per query, got {len(values)}",
                           details=[{"field": "digests", "max": MAX_DIGESTS}])
    for i, value in enumerate(values):
        if not isinstance(value, str) or not _HEX.match(value):
            raise InvalidInput(f"digest {i} is not 64 lower-case hex digits", details=[{"field": f"digests.{i}"}])
    return list(values)


def _within_quota(session: Session, node_id: str, asked: int, now: datetime) -> None:
    """RateLimited when the partner's digests of the last hour, with these, pass
    `federation_digests_per_hour`, its denial queued in the session's log (the caller commits the
    session before answering 429, so the refusal is in the log); else the query is counted."""
    quota = get_settings().federation_digests_per_hour
    with system_context(session):
        spent = session.scalar(select(func.coalesce(func.sum(DigestQuery.asked), 0))
                               .where(DigestQuery.node_id == node_id, DigestQuery.at > now - timedelta(hours=1)))
        if int(spent or 0) + asked > quota:
            oldest = session.scalar(select(func.min(DigestQuery.at)).where(
                DigestQuery.node_id == node_id, DigestQuery.at > now - timedelta(hours=1))) or now
            wait = int((oldest + timedelta(hours=1) - now).total_seconds()) + 1
            audit.record(session, action="federation.digests", actor=None, decision="deny",
                         reason="rate limited: partner_digests_per_hour", objects=[(f"node:{node_id}", None)],
                         extra={"partner": node_id, "asked": asked, "spent": int(spent or 0), "quota": quota})
            raise RateLimited(f"{node_id} asked {spent} digests in the last hour; its quota is {quota}",
                              retry_after=wait, action="federation.digests", limit="partner_digests_per_hour",
                              max_count=quota)
        session.add(DigestQuery(node_id=node_id, at=now, asked=asked))
        session.flush()


def answer(*, session: Session, node_id: str, key_id: int, values: object, now: datetime) -> list[Answer]:
    """Answer a partner node's query of digests under its current key: hit or no hit, a handle for
    each hit, from the stored index (caught up first). Within the partner's hourly quota (RateLimited
    past it). Audited as the system, naming the partner and the counts; the records hit are named in
    the entry for their holders."""
    partner = active_partner(session, node_id, now)
    asked = _check_digests(values)
    key = current_key_row(session, partner.node_id)
    if key_id != key.key_id:
        raise InvalidInput(f"digest key {key_id} is not the current key of {node_id}", details=[{"field": "key_id"}])
    _within_quota(session, partner.node_id, len(asked), now)
    catch_up(session, key)
    found_by = held(session, key, asked)
    answers, hits = [], set()
    for value in asked:
        found = found_by.get(value, set())
        hits |= found
        answers.append(Answer(value, bool(found), new_handle(node_id, key_id, value) if found else None))
    audit.record(session, action="federation.digests", actor=None, objects=_objects(hits),
                 extra={"partner": node_id, "key_id": key_id, "asked": len(asked),
                        "hits": sum(a.hit for a in answers)})
    return answers


def _objects(hits: Iterable[tuple[str, str]]) -> list[tuple[str, str | None]]:
    return [(entity_id, owner) for entity_id, owner in sorted(hits)]


@dataclass(frozen=True)
class QueryOutcome:
    """What `receive_query` answers: the answers, or the refusal (already audited)."""

    answers: list[Answer] | None
    refused: InvalidInput | RateLimited | None = None


def receive_query(*, session: Session, settings: Settings, data: bytes, now: datetime,
                  tally: refusals.Tally | None = None) -> QueryOutcome:
    """A partner's signed step-1 query (`items.digest_query`) answered as `answer` does; a query not
    signed by a trusted partner's node key, addressed elsewhere or issued more than 15 minutes from
    this node's clock is refused, and a query past the partner's quota is RateLimited; each refusal is
    queued in the session's log (the caller commits it) and nothing is answered (with a `tally`,
    unauthenticated refusals past its number a minute are only counted)."""
    if tally is not None:
        refusals.record_left_out(session, tally, now)
    signed = False  # whether a trusted partner's node key signed the query (its refusals are always audited)
    try:
        sender = items.sender_of(data)
        with system_context(session):
            partner = session.get(Partner, sender)
        if partner is None or partner.ended_at is not None or partner.expires_at <= now:
            raise Refused("sender", f"{sender[:200]} is not a trusted partner")
        anchor = anchors.verify(partner.anchor.encode(), now=now)
        query = items.verify_digest_query(data, key=anchor.node_key, sender=sender, me=keys.node_id(settings),
                                          now=now)
        signed = True
        return QueryOutcome(answer(session=session, node_id=sender, key_id=query.key_id, values=query.digests,
                                   now=now))
    except RateLimited as exc:
        return QueryOutcome(None, exc)
    except InvalidInput as exc:
        reason = exc.reason if isinstance(exc, Refused) else "invalid"
        _refused(session, tally, data, reason, exc.message, now,
                 signed=signed or isinstance(exc, Refused) and exc.signed)
        return QueryOutcome(None, exc)
    except NotFound:
        refused = Refused("sender", "not a trusted partner")
        _refused(session, tally, data, "sender", None, now, signed=False)
        return QueryOutcome(None, refused)


def _refused(session: Session, tally: refusals.Tally | None, data: bytes, reason: str, message: str | None,
             now: datetime, *, signed: bool) -> None:
    """Audit a refused query; unauthenticated ones past the tally's number a minute are only counted."""
    left_out = tally.admit("digests", reason, now, signed=signed) if tally is not None else 0
    if left_out is None:
        return
    extra: dict[str, Any] = {"sha256": items.sha256(data)}
    if message is not None:
        extra["message"] = message[:300]
    if left_out:
        extra["left_out"] = left_out
    audit.record(session, action="federation.digests", actor=None, decision="deny", reason=reason, extra=extra)


def ask(*, session: Session, settings: Settings, node_id: str, selectors: list[dict[str, Any]], now: datetime,
        send: Callable[[Partner, bytes], tuple[int, bytes]]) -> list[dict[str, Any]]:
    """Ask partner `node_id` which of `selectors` (as discovery takes them) it holds: their keyed
    digests under the current shared key, in a query signed by this node's key, sent with `send` (the
    sync transport's shape, to `/federation/v1/digests`). Returns [{digest, hit, handle}]; audited
    with the counts, never a selector. InvalidInput when the partner refuses or answers out of shape."""
    partner = active_partner(session, node_id, now)
    key = current_key_row(session, partner.node_id)
    asked = digests_of(bytes(key.secret), selectors)
    if len(asked) > MAX_DIGESTS:
        raise InvalidInput(f"at most {MAX_DIGESTS} selectors per query", details=[{"field": "selectors"}])
    data = items.digest_query(keys.node_key(settings), sender=keys.node_id(settings), recipient_node=node_id,
                              key_id=key.key_id, digests=asked, now=now)
    status, body = send(partner, data)
    try:
        found = orjson.loads(body)["answers"] if status == 200 else None
    except (orjson.JSONDecodeError, KeyError, TypeError):
        found = None
    if not isinstance(found, list) or len(found) != len(asked):
        raise InvalidInput(f"{node_id} answered {status}: {body[:200].decode(errors='replace')}")
    audit.record(session, action="federation.ask", actor=None, objects=[(f"node:{node_id}", None)],
                 extra={"asked": len(asked), "hits": sum(1 for a in found if isinstance(a, dict) and a.get("hit"))})
    return [dict(a) for a in found]

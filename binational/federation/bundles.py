"""Release bundles: one record released to one agency hosted on another node, signed by this node.

A bundle is a header and an entity. The header names the release (its id, and the one it
supersedes), the owner agency, the one recipient (agency and node), the marking, the purpose, the
expiry, and the sending node with its sequence number for that partner; the entity is its id, its
schema and the statements the recipient may receive. Never the list of other recipients: a
bundle knows one. The pair is RFC 8785 canonical JSON, signed by the node key over a
domain-separated text, so one changed byte anywhere breaks the signature.

`build` makes a bundle from a real entity under the policy: only the owner agency releases (a
record received from another agency is never released onward), the entity must be released to the
recipient, and the statements are those the recipient, as `policy.foreign_recipient` sees it, may
read, that the owner agency itself holds and that the releasing user may see. `verify` is the
receiver's, pure: it takes the bytes, the sender's verified anchor, the time and what the receiver
is (its node, its agencies, the sender's last sequence it applied) and refuses, with a reason, a
bundle with a changed byte, from a node other than its anchor's, of an owner the sender does not
host, addressed to another node or agency, expired, or already applied (a replay).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.markings import MARKINGS, RANK
from binational.access.models import Release
from binational.access.policy import Actor, foreign_recipient, visible, visible_values
from binational.audit import log as audit
from binational.audit.log import canonical_json
from binational.entities.models import Entity, Statement
from binational.entities.service import access_entity_row
from binational.errors import InvalidInput
from binational.federation.anchors import Anchor
from binational.federation.keys import check_node_id

register(Action("federation.bundle", "release.approve",
                "build a signed release bundle of an entity one's agency owns for an agency on a partner node",
                True, True))

FORMAT = "binational-bundle/v1"
CONTEXT = b"binational release bundle v1\n"
MAX_BYTES = 64 * 1024 * 1024
HEADER = frozenset({"format", "release_id", "sender", "sequence", "owner", "recipient", "marking", "purpose",
                    "issued_at", "expires_at", "supersedes"})
STATEMENT = frozenset({"prop", "value", "lang", "marking"})


class Refused(InvalidInput):
    """A bundle the receiver refuses, with the reason as one word (for both nodes' logs)."""

    code = "bundle_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"bundle refused ({reason}): {message}", details=[{"field": "bundle", "reason": reason}])
        self.reason = reason
        #: whether a trusted partner's node key signed what is refused (set by `signed_part`)
        self.signed = False


@contextmanager
def signed_part() -> Iterator[None]:
    """Checks of what a trusted partner's node key signed: a refusal raised inside is marked `signed`
    (always audited, however many strangers' refusals the minute counted; see `refusals`)."""
    try:
        yield
    except Refused as exc:
        exc.signed = True
        raise


@dataclass(frozen=True)
class Recipient:
    """The receiving node as `verify` needs it."""

    node: str
    agencies: frozenset[str]
    #: the highest sequence number of this sender already applied here
    applied_sequence: int


@dataclass(frozen=True)
class Bundle:
    """A verified bundle."""

    header: dict[str, Any]
    entity: dict[str, Any]

    @property
    def sequence(self) -> int:
        return int(self.header["sequence"])

    @property
    def statements(self) -> list[dict[str, Any]]:
        return list(self.entity["statements"])


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(key: Ed25519PrivateKey, header: dict[str, Any], entity: dict[str, Any]) -> bytes:
    """The bundle's bytes: `{bundle: {header, entity}, signature}` in canonical JSON."""
    payload = {"header": header, "entity": entity}
    signature = key.sign(CONTEXT + canonical_json(payload))
    return canonical_json({"bundle": payload, "signature": base64.b64encode(signature).decode()})


def build(*, session: Session, actor: Actor, key: Ed25519PrivateKey, sender: str, entity_id: str,
          recipient_agency: str, recipient_node: str, recipient_country: str, clearance: str, purpose: str,
          expires_at: datetime, sequence: int, now: datetime, supersedes: str | None = None) -> bytes:
    """A signed bundle of entity `entity_id` for `recipient_agency` on `recipient_node` (cleared to
    `clearance`), as described above; audited. An entity the actor may not see is NotFound; one it
    does not own, Forbidden; one not released to the recipient, InvalidInput."""
    entity = access_entity_row(session, actor, entity_id, "federation.bundle")
    check_node_id(sender)
    check_node_id(recipient_node)
    if clearance not in RANK:
        raise InvalidInput(f"unknown clearance {clearance!r}", details=[{"field": "clearance"}])
    if not isinstance(purpose, str) or not purpose.strip() or len(purpose) > 500:
        raise InvalidInput("a purpose of 1 to 500 characters is needed", details=[{"field": "purpose"}])
    if expires_at <= now:
        raise InvalidInput("the bundle's expiry is past", details=[{"field": "expires_at"}])
    if sequence < 1:
        raise InvalidInput("sequence numbers start at 1", details=[{"field": "sequence"}])
    reader = foreign_recipient(recipient_agency, recipient_country, clearance)
    released = session.scalar(select(Entity.id).where(Entity.id == entity.id, visible(reader, Entity, now=now)))
    if released is None:
        raise InvalidInput(f"{entity_id} is not released to {recipient_agency}, or is above its clearance "
                           f"{clearance} or in a case", details=[{"field": "to"}])
    until = session.scalar(select(Release.until).where(
        Release.to_agency == recipient_agency, Release.revoked_at.is_(None),
        or_(Release.entity_id == entity.id, and_(Release.case_id.is_not(None), Release.case_id == entity.case_id)),
    ).order_by(Release.until.desc().nulls_first()).limit(1))
    if until is not None and until < expires_at:
        expires_at = until  # a bundle never outlives its release
    rows = session.execute(
        select(Statement.prop, Statement.value, Statement.lang, Statement.marking, Statement.marking_rank)
        .where(Statement.entity_id == entity.id, Statement.deleted_at.is_(None),
               Statement.owner_agency == actor.agency, visible_values(actor, Statement),
               visible_values(reader, Statement))
        .order_by(Statement.prop, Statement.value, Statement.id)
    ).all()
    marking = MARKINGS[max([entity.marking_rank, *(r.marking_rank for r in rows)])]
    release_id = uuid.uuid4().hex
    header = {
        "format": FORMAT, "release_id": release_id, "sender": sender, "sequence": sequence,
        "owner": entity.owner_agency, "recipient": {"agency": recipient_agency, "node": recipient_node},
        "marking": marking, "purpose": purpose.strip(), "issued_at": _time(now), "expires_at": _time(expires_at),
        "supersedes": supersedes,
    }
    body = {"id": entity.id, "schema": entity.schema,
            "statements": [{"prop": r.prop, "value": r.value, "lang": r.lang, "marking": r.marking} for r in rows]}
    data = sign(key, header, body)
    audit.record(session, action="federation.bundle", actor=actor, objects=[(entity.id, entity.owner_agency)],
                 extra={"release_id": release_id, "to": recipient_agency, "node": recipient_node,
                        "sequence": sequence, "statements": len(rows)})
    return data


def _parse_time(value: object, field: str) -> datetime:
    try:
        if not isinstance(value, str) or not value.endswith("Z"):
            raise ValueError
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise Refused("malformed", f"{field} is not a UTC time") from None


def _shape(doc: object) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    if not isinstance(doc, dict) or set(doc) != {"bundle", "signature"} or not isinstance(doc["bundle"], dict) \
            or set(doc["bundle"]) != {"header", "entity"} or not isinstance(doc["signature"], str):
        raise Refused("malformed", "not a bundle ({bundle: {header, entity}, signature})")
    header, entity = doc["bundle"]["header"], doc["bundle"]["entity"]
    if not isinstance(header, dict) or set(header) != HEADER or header.get("format") != FORMAT:
        raise Refused("malformed", f"the header is not a {FORMAT} header")
    if not isinstance(entity, dict) or set(entity) != {"id", "schema", "statements"} \
            or not isinstance(entity["statements"], list) \
            or not all(isinstance(s, dict) and set(s) == STATEMENT for s in entity["statements"]):
        raise Refused("malformed", "the entity is not {id, schema, statements}")
    try:
        signature = base64.b64decode(doc["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise Refused("signature", "the signature is not base64") from None
    return header, entity, signature


def verify(data: bytes, anchor: Anchor, now: datetime, me: Recipient) -> Bundle:
    """The bundle in `data`, verified for the receiver `me` against the sender's `anchor`; Refused
    with the first reason that applies: malformed, signature, sender, owner, recipient, expired, replay."""
    if len(data) > MAX_BYTES:
        raise Refused("malformed", f"larger than {MAX_BYTES} bytes")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Refused("malformed", "not JSON") from None
    header, entity, signature = _shape(doc)
    try:
        anchor.node_key.key.verify(signature, CONTEXT + canonical_json(doc["bundle"]))
    except (InvalidSignature, rfc8785.CanonicalizationError):
        raise Refused("signature", f"the signature does not verify with the node key of {anchor.node}") from None
    with signed_part():
        _check_header(header, anchor, now, me)
    return Bundle(header=header, entity=entity)


def _check_header(header: dict[str, Any], anchor: Anchor, now: datetime, me: Recipient) -> None:
    if header["sender"] != anchor.node:
        raise Refused("sender", f"sent as {str(header['sender'])[:200]}, signed by {anchor.node}")
    if header["owner"] not in anchor.agency_codes:
        raise Refused("owner", f"{str(header['owner'])[:50]} is not an agency of {anchor.node}: "
                               "only the owner's node releases a record")
    recipient = header["recipient"]
    if not isinstance(recipient, dict) or recipient.get("node") != me.node \
            or recipient.get("agency") not in me.agencies:
        raise Refused("recipient", "addressed to another node or agency")
    expires = _parse_time(header["expires_at"], "expires_at")
    if expires <= now:
        raise Refused("expired", f"expired at {header['expires_at']}")
    sequence = header["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise Refused("malformed", "the sequence number is not a positive integer")
    if sequence <= me.applied_sequence:
        raise Refused("replay", f"sequence {sequence} of {anchor.node} is already applied "
                                f"(up to {me.applied_sequence})")
    if header["marking"] not in RANK:
        raise Refused("malformed", "unknown marking")
    if not _release_id(header["release_id"]) or not (header["supersedes"] is None
                                                     or _release_id(header["supersedes"])):
        raise Refused("malformed", "release_id or supersedes is not a release id")


def _release_id(value: object) -> bool:
    """A release id as `build` makes them (32 hexadecimal digits)."""
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)

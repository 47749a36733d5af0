"""Tombstones and receipts: the other two signed texts that travel between nodes beside bundles.

A **tombstone** ends a release the sender sent before (revoked by its owner, or the partner
untrusted): it names the release id and takes the next number of the sender's sequence for that
partner, like a bundle, so the receiver applies bundles and tombstones in one order and a replay is
seen. A **receipt** is the receiver's signed answer to one item: which sender and sequence, which
release, the SHA-256 of the item's bytes, and what was done. Both are canonical JSON signed by the
node key over a domain-separated line, so no bundle, anchor or checkpoint can pass for them.

Pure functions: no database, no clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational.audit.log import canonical_json
from binational.audit.notes import Verifier
from binational.federation.bundles import Refused, signed_part
from binational.text_input import find_forbidden

TOMBSTONE = "binational-tombstone/v1"
RECEIPT = "binational-receipt/v1"
TOMBSTONE_CONTEXT = b"binational release tombstone v1\n"
RECEIPT_CONTEXT = b"binational receipt v1\n"
TOMBSTONE_FIELDS = frozenset({"format", "release_id", "sender", "sequence", "recipient", "reason", "issued_at"})
RECEIPT_FIELDS = frozenset({"format", "node", "sender", "sequence", "release_id", "kind", "sha256", "status", "at"})
REASONS = frozenset({"revoked", "untrusted"})
MAX_BYTES = 262_144


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed(key: Ed25519PrivateKey, context: bytes, name: str, body: dict[str, Any]) -> bytes:
    signature = key.sign(context + canonical_json(body))
    return canonical_json({name: body, "signature": base64.b64encode(signature).decode()})


def _open(data: bytes, name: str, fields: frozenset[str], fmt: str) -> tuple[dict[str, Any], bytes]:
    if len(data) > MAX_BYTES:
        raise Refused("malformed", f"larger than {MAX_BYTES} bytes")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Refused("malformed", "not JSON") from None
    if not isinstance(doc, dict) or set(doc) != {name, "signature"} or not isinstance(doc[name], dict) \
            or set(doc[name]) != fields or doc[name].get("format") != fmt or not isinstance(doc["signature"], str):
        raise Refused("malformed", f"not a {fmt}")
    try:
        signature = base64.b64decode(doc["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise Refused("signature", "the signature is not base64") from None
    return doc[name], signature


def _check(key: Verifier, signature: bytes, context: bytes, body: dict[str, Any], who: str) -> None:
    try:
        key.key.verify(signature, context + canonical_json(body))
    except (InvalidSignature, rfc8785.CanonicalizationError):
        raise Refused("signature", f"the signature does not verify with the node key of {who}") from None


def sha256(data: bytes) -> str:
    """The SHA-256 of an item's bytes, as a receipt names it."""
    return hashlib.sha256(data).hexdigest()


def kind_of(data: bytes) -> str:
    """`bundle` or `tombstone`, by the item's outer key; Refused (malformed) otherwise, and for an item
    with a text no database may store (a NUL, a lone surrogate: the endpoint takes any content type, so
    the request guard may not have looked)."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Refused("malformed", "not JSON") from None
    forbidden = find_forbidden(doc)
    if forbidden is not None:
        raise Refused("malformed", f"{forbidden[0][:100]} {forbidden[1]}")
    if isinstance(doc, dict) and "bundle" in doc:
        return "bundle"
    if isinstance(doc, dict) and "tombstone" in doc:
        return "tombstone"
    raise Refused("malformed", "neither a bundle nor a tombstone")


def sender_of(data: bytes) -> str:
    """The sending node an item claims (unverified: only to find the anchor to verify it with)."""
    try:
        doc = orjson.loads(data)
        name = next(n for n in ("bundle", "tombstone", "query") if n in doc)
        body = doc[name]["header"] if name == "bundle" else doc[name]
        sender = body["sender"]
    except (orjson.JSONDecodeError, TypeError, KeyError, StopIteration):
        raise Refused("malformed", "no sender") from None
    if not isinstance(sender, str) or find_forbidden(sender) is not None:
        raise Refused("malformed", "no sender")
    return sender


def tombstone(key: Ed25519PrivateKey, *, sender: str, sequence: int, release_id: str, recipient_node: str,
              reason: str, now: datetime) -> bytes:
    """A signed tombstone ending `release_id`, number `sequence` of the sender's items for the recipient."""
    if reason not in REASONS:
        raise ValueError(reason)
    return _signed(key, TOMBSTONE_CONTEXT, "tombstone", {
        "format": TOMBSTONE, "release_id": release_id, "sender": sender, "sequence": sequence,
        "recipient": {"node": recipient_node}, "reason": reason, "issued_at": _time(now)})


@dataclass(frozen=True)
class Tombstone:
    """A verified tombstone."""

    release_id: str
    sequence: int
    reason: str


def verify_tombstone(data: bytes, *, key: Verifier, sender: str, me: str) -> Tombstone:
    """The tombstone in `data`, signed by `sender`'s node `key` and addressed to this node `me`;
    Refused with the first reason that applies (malformed, signature, sender, recipient)."""
    body, signature = _open(data, "tombstone", TOMBSTONE_FIELDS, TOMBSTONE)
    _check(key, signature, TOMBSTONE_CONTEXT, body, sender)
    with signed_part():
        return _tombstone_of(body, sender, me)


def _tombstone_of(body: dict[str, Any], sender: str, me: str) -> Tombstone:
    if body["sender"] != sender:
        raise Refused("sender", f"sent as {str(body['sender'])[:200]}, signed by {sender}")
    if body["recipient"] != {"node": me}:
        raise Refused("recipient", "addressed to another node")
    sequence, release_id = body["sequence"], body["release_id"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1 \
            or not isinstance(release_id, str) or not release_id or len(release_id) > 32 \
            or body["reason"] not in REASONS:
        raise Refused("malformed", "sequence, release id or reason out of shape")
    return Tombstone(release_id=release_id, sequence=sequence, reason=body["reason"])


def receipt(key: Ed25519PrivateKey, *, node: str, sender: str, sequence: int, release_id: str, kind: str,
            item: bytes, status: str, now: datetime) -> bytes:
    """This node's signed receipt of one item of `sender`."""
    return _signed(key, RECEIPT_CONTEXT, "receipt", {
        "format": RECEIPT, "node": node, "sender": sender, "sequence": sequence, "release_id": release_id,
        "kind": kind, "sha256": sha256(item), "status": status, "at": _time(now)})


def verify_receipt(data: bytes, *, key: Verifier, node: str, sender: str, item: bytes) -> dict[str, Any]:
    """The receipt in `data` if `node` signed it for exactly the bytes `item` this node `sender` sent;
    Refused otherwise."""
    body, signature = _open(data, "receipt", RECEIPT_FIELDS, RECEIPT)
    _check(key, signature, RECEIPT_CONTEXT, body, node)
    if body["node"] != node or body["sender"] != sender or body["sha256"] != sha256(item):
        raise Refused("receipt", "the receipt is for another node, sender or item")
    return body


QUERY = "binational-digest-query/v1"
QUERY_CONTEXT = b"binational digest query v1\n"
QUERY_FIELDS = frozenset({"format", "sender", "recipient", "key_id", "digests", "issued_at"})
#: how far a query's time may be from the receiver's clock (either way)
QUERY_SKEW_SECONDS = 900


def digest_query(key: Ed25519PrivateKey, *, sender: str, recipient_node: str, key_id: int, digests: list[str],
                 now: datetime) -> bytes:
    """A signed step-1 query: keyed digests asked of `recipient_node` under digest key `key_id`."""
    return _signed(key, QUERY_CONTEXT, "query", {
        "format": QUERY, "sender": sender, "recipient": {"node": recipient_node}, "key_id": key_id,
        "digests": digests, "issued_at": _time(now)})


@dataclass(frozen=True)
class DigestQuery:
    """A verified step-1 query."""

    key_id: int
    digests: list[str]


def verify_digest_query(data: bytes, *, key: Verifier, sender: str, me: str, now: datetime) -> DigestQuery:
    """The query in `data`, signed by `sender`'s node `key`, addressed to `me`, issued within
    QUERY_SKEW_SECONDS of `now`; Refused otherwise (malformed, signature, sender, recipient, expired)."""
    body, signature = _open(data, "query", QUERY_FIELDS, QUERY)
    _check(key, signature, QUERY_CONTEXT, body, sender)
    with signed_part():
        return _query_of(body, sender, me, now)


def _query_of(body: dict[str, Any], sender: str, me: str, now: datetime) -> DigestQuery:
    if body["sender"] != sender:
        raise Refused("sender", f"sent as {str(body['sender'])[:200]}, signed by {sender}")
    if body["recipient"] != {"node": me}:
        raise Refused("recipient", "addressed to another node")
    issued = body["issued_at"]
    try:
        if not isinstance(issued, str) or not issued.endswith("Z"):
            raise ValueError
        at = datetime.fromisoformat(issued[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise Refused("malformed", "issued_at is not a UTC time") from None
    if abs((now - at).total_seconds()) > QUERY_SKEW_SECONDS:
        raise Refused("expired", f"issued at {issued}, more than {QUERY_SKEW_SECONDS} s from this node's clock")
    key_id = body["key_id"]
    if not isinstance(key_id, int) or isinstance(key_id, bool) or not isinstance(body["digests"], list):
        raise Refused("malformed", "key_id or digests out of shape")
    return DigestQuery(key_id=key_id, digests=list(body["digests"]))

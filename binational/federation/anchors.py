"""Anchors: the signed file by which one node introduces itself to another.

An anchor names the node (its id), the endpoint partners reach it at, the TLS certificate to pin
there (optional), its public keys as verifier keys (the node key that signs bundles and this
anchor, its witness key, the audit key that signs its checkpoints), the agencies it hosts, the
witnesses that cosign its log, and when it stops being valid. The body is RFC 8785 canonical JSON,
signed by the node key over a domain-separated text; the whole file is canonical JSON too, so its
SHA-256 is the same whatever way it was copied, and is what two operators read to each other out
of band before either trusts the other. A signature proves only that the anchor is whole and
consistent with the key in it: the trust is in the hash compared by people.

Pure functions: no database, no clock (the caller passes `now`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binational.audit.log import canonical_json
from binational.audit.notes import COSIGNATURE, ED25519, Verifier, parse_vkey, raw_public
from binational.errors import InvalidInput
from binational.federation.keys import check_node_id

FORMAT = "binational-anchor/v1"
#: what the node key signs: this line, then the body's canonical JSON (so no other signed text of the
#: node, a bundle or a checkpoint, can pass for an anchor)
CONTEXT = b"binational anchor v1\n"
MAX_BYTES = 262_144
MAX_AGENCIES = 200
MAX_WITNESSES = 16
FIELDS = frozenset({"format", "node", "endpoint", "tls_certificate", "keys", "agencies", "witnesses",
                    "issued_at", "expires_at"})


@dataclass(frozen=True)
class Anchor:
    """A verified anchor: the parsed body and the canonical bytes of the whole signed file."""

    node: str
    endpoint: str
    tls_certificate: str | None
    node_key: Verifier
    witness_key: Verifier
    audit_key: Verifier
    agencies: tuple[dict[str, str], ...]
    witnesses: tuple[Verifier, ...]
    issued_at: datetime
    expires_at: datetime
    document: bytes

    @property
    def sha256(self) -> str:
        """The hash two operators compare out of band."""
        return hashlib.sha256(self.document).hexdigest()

    @property
    def agency_codes(self) -> tuple[str, ...]:
        return tuple(a["code"] for a in self.agencies)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_endpoint(endpoint: object) -> str:
    """An https address (http only on a loopback address), without credentials, query or fragment."""
    bad = InvalidInput(f"endpoint {str(endpoint)[:80]!r} is not an https address (http only on loopback)",
                       details=[{"field": "endpoint"}])
    if not isinstance(endpoint, str) or len(endpoint) > 500:
        raise bad
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise bad from None
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        raise bad
    if parts.scheme == "https":
        return endpoint
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if loopback:
            return endpoint
    raise bad


def check_certificate(pem: object) -> str:
    """A PEM X.509 certificate, or InvalidInput."""
    if not isinstance(pem, str):
        raise InvalidInput("tls_certificate is not PEM text", details=[{"field": "tls_certificate"}])
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise InvalidInput("tls_certificate is not a PEM X.509 certificate",
                           details=[{"field": "tls_certificate"}]) from None
    return pem


def check_witnesses(witnesses: list[Verifier], own: list[Verifier]) -> tuple[Verifier, ...]:
    """The witnesses of a node's log, or InvalidInput if one key is named twice (one cosignature would
    count twice towards a partner's quorum) or is one of the node's own keys (the node would witness
    itself: no witness at all)."""
    seen = {raw_public(k.key) for k in own}
    for w in witnesses:
        raw = raw_public(w.key)
        if raw in seen:
            raise _bad(f"the witness {w.name[:80]} is named twice or holds one of the node's own keys", "witnesses")
        seen.add(raw)
    return tuple(witnesses)


def make(*, key: Ed25519PrivateKey, node: str, endpoint: str, witness_key: Verifier, audit_key: Verifier,
         agencies: list[dict[str, str]], witnesses: list[str], issued_at: datetime, expires_at: datetime,
         tls_certificate: str | None = None) -> bytes:
    """This node's anchor, signed by `key`, as the canonical bytes of the file."""
    check_node_id(node)
    own = [Verifier(node, ED25519, key.public_key()), witness_key, audit_key]
    named = check_witnesses([parse_vkey(w, COSIGNATURE) for w in witnesses], own)
    body = {
        "format": FORMAT,
        "node": node,
        "endpoint": check_endpoint(endpoint),
        "tls_certificate": check_certificate(tls_certificate) if tls_certificate is not None else None,
        "keys": {"node": Verifier(node, ED25519, key.public_key()).vkey(), "witness": witness_key.vkey(),
                 "audit": audit_key.vkey()},
        "agencies": sorted(agencies, key=lambda a: a["code"]),
        "witnesses": [w.vkey() for w in named],
        "issued_at": _time(issued_at),
        "expires_at": _time(expires_at),
    }
    signature = key.sign(CONTEXT + canonical_json(body))
    return canonical_json({"anchor": body, "signature": base64.b64encode(signature).decode()})


def _bad(message: str, field: str = "anchor") -> InvalidInput:
    return InvalidInput(f"anchor refused: {message}", details=[{"field": field}])


def _parse_time(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise _bad(f"{field} is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", field)
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise _bad(f"{field} is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", field) from None


def _agencies(value: object) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_AGENCIES:
        raise _bad(f"agencies must list 1 to {MAX_AGENCIES} agencies", "agencies")
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"code", "country", "name"} \
                or not all(isinstance(v, str) and v and len(v) <= 200 for v in item.values()):
            raise _bad("each agency is {code, country, name}", "agencies")
        out.append({k: str(v) for k, v in item.items()})
    codes = [a["code"] for a in out]
    if len(set(codes)) != len(codes):
        raise _bad("an agency is listed twice", "agencies")
    return tuple(out)


def verify(data: bytes, *, now: datetime) -> Anchor:
    """The anchor in `data` if it is whole, signed by the node key it names and not expired; else
    InvalidInput saying why (one line)."""
    if len(data) > MAX_BYTES:
        raise _bad(f"larger than {MAX_BYTES} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _bad("not JSON") from None
    if not isinstance(doc, dict) or set(doc) != {"anchor", "signature"} or not isinstance(doc["anchor"], dict):
        raise _bad("not an anchor file ({anchor, signature})")
    body: dict[str, Any] = doc["anchor"]
    if body.get("format") != FORMAT:
        raise _bad(f"format is not {FORMAT}", "format")
    if set(body) != FIELDS:
        raise _bad(f"fields must be {', '.join(sorted(FIELDS))}")
    node = check_node_id(body["node"])
    keys = body["keys"]
    if not isinstance(keys, dict) or set(keys) != {"node", "witness", "audit"} \
            or not all(isinstance(v, str) for v in keys.values()):
        raise _bad("keys must be {node, witness, audit} verifier keys", "keys")
    node_key = parse_vkey(keys["node"], ED25519)
    if node_key.name != node:
        raise _bad("the node key is not named after the node", "keys")
    try:
        signature = base64.b64decode(doc["signature"], validate=True) if isinstance(doc["signature"], str) else b""
        node_key.key.verify(signature, CONTEXT + canonical_json(body))
    except (binascii.Error, ValueError, InvalidSignature, rfc8785.CanonicalizationError):
        raise _bad("the signature does not verify with the anchor's node key", "signature") from None
    issued, expires = _parse_time(body["issued_at"], "issued_at"), _parse_time(body["expires_at"], "expires_at")
    if expires <= issued:
        raise _bad("expires_at is not after issued_at", "expires_at")
    if expires <= now:
        raise _bad(f"expired at {body['expires_at']}", "expires_at")
    witnesses = body["witnesses"]
    if not isinstance(witnesses, list) or len(witnesses) > MAX_WITNESSES \
            or not all(isinstance(w, str) for w in witnesses):
        raise _bad(f"witnesses must list at most {MAX_WITNESSES} verifier keys", "witnesses")
    cert = body["tls_certificate"]
    witness_key, audit_key = parse_vkey(keys["witness"], COSIGNATURE), parse_vkey(keys["audit"], ED25519)
    return Anchor(
        node=node,
        endpoint=check_endpoint(body["endpoint"]),
        tls_certificate=check_certificate(cert) if cert is not None else None,
        node_key=node_key,
        witness_key=witness_key,
        audit_key=audit_key,
        agencies=_agencies(body["agencies"]),
        witnesses=check_witnesses([parse_vkey(w, COSIGNATURE) for w in witnesses], [node_key, witness_key, audit_key]),
        issued_at=issued,
        expires_at=expires,
        document=canonical_json(doc),
    )

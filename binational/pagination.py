"""Opaque, signed cursors for keyset pagination: a tampered cursor is rejected, not trusted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from binational.errors import InvalidInput


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]


def encode(secret: str, position: dict[str, Any]) -> str:
    """A cursor carrying `position`, signed with the node's secret."""
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(_mac(secret, payload) + payload).decode().rstrip("=")


def decode(secret: str, cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor carries; InvalidInput if it was not issued by this node."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:16], raw[16:]
        if len(mac) == 16 and hmac.compare_digest(mac, _mac(secret, payload)):
            position = json.loads(payload)
            if isinstance(position, dict):
                return position
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput("invalid cursor", details=[{"field": "cursor", "reason": "not issued by this server"}])

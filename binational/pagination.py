"""Opaque, signed cursors for keyset pagination: a tampered cursor is rejected, not trusted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

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


def check_limit(limit: int | None, default: int, maximum: int) -> int:
    """The page size asked for (or the default), if it is between 1 and `maximum`."""
    limit = default if limit is None else limit
    if limit < 1 or limit > maximum:
        raise InvalidInput(f"limit must be between 1 and {maximum}", details=[{"field": "limit"}])
    return limit


def keyset(session: Session, query: Select[*tuple[Any, ...]], key: Any, *, limit: int, cursor: str | None, secret: str,
           descending: bool = False, scalars: bool = True) -> tuple[list[Any], str | None]:
    """One page of `query` ordered by the unique column `key`, and the cursor of the next page: its
    first column's values (`scalars`, e.g. ORM objects) or whole rows.

    The cursor carries the last key of the page; one that was tampered with, or whose key is not of
    the column's type, is InvalidInput.
    """
    position = decode(secret, cursor)
    if position is not None:
        last = position.get("after")
        if not isinstance(last, key.type.python_type) or isinstance(last, bool):
            raise InvalidInput("invalid cursor", details=[{"field": "cursor"}])
        query = query.where(key < last if descending else key > last)
    ordered = query.order_by(key.desc() if descending else key).limit(limit + 1)
    result = session.execute(ordered)
    rows = result.scalars().all() if scalars else result.all()
    page, more = list(rows[:limit]), len(rows) > limit
    last_key = getattr(page[-1], key.key) if page else None
    return page, encode(secret, {"after": last_key}) if more and page else None

"""Opaque, signed cursors for keyset pagination: a tampered cursor is rejected, not trusted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Select, and_, or_
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


def _after(columns: tuple[Any, ...], values: list[Any], descending: bool) -> ColumnElement[bool]:
    """Rows past `values` in the order of `columns` (the first breaks ties of none, the last of all)."""
    first, value = columns[0], values[0]
    past = first < value if descending else first > value
    if len(columns) == 1:
        return past
    return or_(past, and_(first == value, _after(columns[1:], values[1:], descending)))


def _position(columns: tuple[Any, ...], raw: Any) -> list[Any]:
    """The key values a cursor carries, of the columns' types; InvalidInput otherwise."""
    values = raw if len(columns) > 1 else [raw]
    if not isinstance(values, list) or len(values) != len(columns):
        raise InvalidInput("invalid cursor", details=[{"field": "cursor"}])
    out = []
    for column, value in zip(columns, values, strict=True):
        timestamp = isinstance(getattr(column.type, "impl_instance", column.type), DateTime)
        kind = datetime if timestamp else column.type.python_type
        if timestamp and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidInput("invalid cursor", details=[{"field": "cursor"}]) from None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidInput("invalid cursor", details=[{"field": "cursor"}])
        out.append(value)
    return out


def keyset(session: Session, query: Select[*tuple[Any, ...]], key: Any, *, limit: int, cursor: str | None, secret: str,
           descending: bool = False, scalars: bool = True,
           key_of: Callable[[Any], tuple[Any, ...]] | None = None) -> tuple[list[Any], str | None]:
    """One page of `query` ordered by `key` (a unique column, or a tuple of columns that is unique
    together, such as `(created_at, id)`), and the cursor of the next page: its first column's values
    (`scalars`, e.g. ORM objects) or whole rows (`key_of` then reads a row's key, if not by attribute).

    The cursor carries the last key of the page; one that was tampered with, or whose key is not of
    the columns' types, is InvalidInput.
    """
    columns = key if isinstance(key, tuple) else (key,)
    position = decode(secret, cursor)
    if position is not None:
        query = query.where(_after(columns, _position(columns, position.get("after")), descending))
    ordered = query.order_by(*(c.desc() if descending else c for c in columns)).limit(limit + 1)
    result = session.execute(ordered)
    rows = result.scalars().all() if scalars else result.all()
    page, more = list(rows[:limit]), len(rows) > limit
    if not (more and page):
        return page, None
    last = key_of(page[-1]) if key_of else tuple(getattr(page[-1], c.key) for c in columns)
    values = [v.isoformat() if isinstance(v, datetime) else v for v in last]
    return page, encode(secret, {"after": values if len(columns) > 1 else values[0]})

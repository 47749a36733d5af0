"""Web sessions as rows on the server: started at sign-in, ended by logout, by an administrator, by
a password change or deactivation, or by their idle and absolute lifetimes.

The browser's cookie carries a random secret; only its SHA-256 is stored (as for API tokens), so a
copy of the table signs nobody in. A session that has ended, or whose lifetimes have run out, or
whose user is inactive, signs nobody in either: every such cookie is answered as no session at all.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from binational.access.models import ApiToken, User, WebSession
from binational.config import Settings
from binational.db import system_context, utcnow
from binational.errors import Unauthenticated

#: `last_seen_at` is written when it is older than this, not on every request: the idle lifetime
#: is counted in minutes, and a write per page view would serialize every reader on SQLite.
TOUCH_EVERY = timedelta(seconds=30)

#: why a session ended, as `end_reason` holds it
LOGOUT, ADMIN, SIGNED_IN_AGAIN = "logout", "administrator", "signed in again"
PASSWORD, DEACTIVATED = "password changed", "deactivated"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(*, session: Session, user: User, address: str | None, settings: Settings) -> tuple[WebSession, str]:
    """A new session of `user`; returns the row and the cookie's secret, which is never stored."""
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    row = WebSession(id=secrets.token_hex(8), user_id=user.id, secret_hash=_digest(secret), created_at=now,
                     last_seen_at=now, expires_at=now + timedelta(hours=settings.session_hours),
                     address=(address or "")[:64] or None)
    with system_context(session):  # the node's bookkeeping: row-level security admits only the system
        session.add(row)
        session.flush()
    return row, secret


def find(*, session: Session, secret: str | None) -> WebSession | None:
    """The row of a cookie's secret, ended or not; None for an unknown one."""
    if not secret:
        return None
    with system_context(session):
        return session.execute(select(WebSession).where(WebSession.secret_hash == _digest(secret))
                               ).scalar_one_or_none()


def is_live(row: WebSession, settings: Settings, now: datetime) -> bool:
    """Whether a session still signs its user in: not ended, used recently, not past its lifetime."""
    return (row.ended_at is None and row.expires_at > now
            and row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) > now)


def live_user(*, session: Session, secret: str | None, settings: Settings, now: datetime | None = None
              ) -> tuple[User, WebSession]:
    """The user and the row of a live session (its use noted); Unauthenticated otherwise, with one
    message whatever the reason (unknown, ended, idle, expired, user inactive)."""
    now = now or utcnow()
    row = find(session=session, secret=secret)
    if row is None or not is_live(row, settings, now):
        raise Unauthenticated("session expired")
    with system_context(session):  # no viewer is named before the session's user is known
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthenticated("session expired")
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
            session.flush()
    return user, row


def end(*, session: Session, row: WebSession, by: int | None, reason: str) -> bool:
    """End one session; whether it was still open."""
    if row.ended_at is not None:
        return False
    row.ended_at, row.ended_by, row.end_reason = utcnow(), by, reason
    with system_context(session):
        session.flush()
    return True


def end_all(*, session: Session, user_id: int, by: int | None, reason: str) -> list[str]:
    """End every open session of a user; returns the ids of those ended."""
    with system_context(session):
        ended = list(session.execute(
            update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_by=by, end_reason=reason).returning(WebSession.id)
            .execution_options(synchronize_session=False)
        ).scalars())
    return sorted(ended)


def revoke_tokens(*, session: Session, user_id: int) -> list[str]:
    """Revoke every live API token of a user (a token made in a web session would outlive it); returns
    their ids."""
    with system_context(session):
        return sorted(session.execute(
            update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow()).returning(ApiToken.id).execution_options(synchronize_session=False)
        ).scalars())


def open_counts(*, session: Session, user_ids: list[int], settings: Settings) -> dict[int, int]:
    """How many live sessions each of these users has (for the administrator's list)."""
    if not user_ids:
        return {}
    now = utcnow()
    with system_context(session):
        rows = session.execute(
            select(WebSession.user_id, func.count()).where(
                WebSession.user_id.in_(user_ids), WebSession.ended_at.is_(None), WebSession.expires_at > now,
                WebSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes))
            .group_by(WebSession.user_id)
        ).all()
    return {user_id: count for user_id, count in rows}


@event.listens_for(Session, "before_flush")
def _end_on_credential_change(session: Session, _context: Any, _instances: Any) -> None:
    """A user whose password changes or who is deactivated keeps no web session, whichever code made
    the change: the sessions end in the same transaction (an inactive user's tokens sign nobody in)."""
    for obj in session.dirty:
        if not isinstance(obj, User) or obj.id is None:
            continue
        changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
        reason = DEACTIVATED if "active" in changed and not obj.active else PASSWORD if "password_hash" in changed \
            else None
        if reason is None:
            continue
        actor = session.info.get("actor")
        with system_context(session):
            session.execute(
                update(WebSession).where(WebSession.user_id == obj.id, WebSession.ended_at.is_(None))
                .values(ended_at=utcnow(), ended_by=actor.user_id if actor else None, end_reason=reason)
                .execution_options(synchronize_session=False)
            )


"""The login throttle: too many failed sign-ins for one username, or from one address, within a
window are refused before any password is checked.

Failures are rows of `login_failures` (in the database, so every worker of a node counts the same
ones). The username is kept as the SHA-256 of its folded form, whether or not such a user exists: an
unknown name is counted, and answered, exactly as a known one. Refused attempts are not counted as
failures, so a throttle lifts when the window has passed over the failures that caused it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from binational.access.models import LoginFailure
from binational.config import Settings
from binational.db import system_context, utcnow


def account_key(username: str) -> str:
    """The SHA-256 (hex) under which a typed username is counted and, when unknown, audited."""
    return hashlib.sha256(username.strip().casefold().encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Throttled:
    """A refused attempt: which counter refused it, and in how many seconds one may try again."""

    by: str  # "account" or "address"
    retry_after: int


def _retry_after(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until fewer than `limit` of these failures (oldest first) lie in the window; None when
    already fewer."""
    if len(times) < limit:
        return None
    # When the failure at this place leaves the window, limit - 1 remain in it.
    frees_at = times[len(times) - limit] + window
    return max(1, int((frees_at - now).total_seconds()) + 1)


def check(*, session: Session, username: str, address: str, settings: Settings,
          now: datetime | None = None) -> Throttled | None:
    """Whether an attempt for `username` from `address` is refused now (before the password is looked at)."""
    now = now or utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    for by, column, value, limit in (
        ("account", LoginFailure.account, account_key(username), settings.login_failures_per_account),
        ("address", LoginFailure.address, address, settings.login_failures_per_address),
    ):
        with system_context(session):  # the node's bookkeeping: row-level security admits only the system
            times = list(session.execute(
                select(LoginFailure.at).where(column == value, LoginFailure.at > since).order_by(LoginFailure.at)
            ).scalars())
        retry = _retry_after(times, limit, window, now)
        if retry is not None:
            return Throttled(by, retry)
    return None


def failed(*, session: Session, username: str, address: str, settings: Settings, now: datetime | None = None) -> None:
    """Count a failed sign-in, and forget the failures that have left every window."""
    now = now or utcnow()
    with system_context(session):
        session.execute(delete(LoginFailure).where(
            LoginFailure.at <= now - timedelta(minutes=settings.login_window_minutes)))
        session.add(LoginFailure(account=account_key(username), address=address[:64], at=now))
        session.flush()


def succeeded(*, session: Session, username: str) -> None:
    """A correct password clears its account's failures (not its address's: one attacker's own
    account must not reset the count of the names it tries)."""
    with system_context(session):
        session.execute(delete(LoginFailure).where(LoginFailure.account == account_key(username)))

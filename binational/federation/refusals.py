"""How refusals of unauthenticated federation deliveries reach the audit log: one by one up to a
number per minute and reason, then counted, so that anyone who can reach the endpoint cannot fill the
log. The next refusal audited for that reason names how many were left out since the one before; a
count no later refusal named is written on the next federation request of a later minute (whatever
its outcome) and when the application stops, so every refusal is in the log, one by one or counted.

A refusal is unauthenticated when nothing proved the sender: not JSON or out of shape, a sender that
is not a trusted partner, a signature that does not verify. Refusals of what a trusted partner's node
key signed (`bundles.Refused.signed`: a replay, a gap, an expired, misaddressed or out-of-shape bundle)
are each audited whatever their reason: strangers' junk cannot hide them. The count is kept per
application (per serving process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from binational.audit import log as audit

#: the audit action of each endpoint's refusals
ACTIONS = {"items": "federation.receive", "digests": "federation.digests"}


@dataclass
class _Window:
    minute: int
    audited: int = 0
    left_out: int = 0


class Tally:
    """Refusals per (endpoint, reason) in the current minute, for one application."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def admit(self, endpoint: str, reason: str, now: datetime, *, signed: bool) -> int | None:
        """None when this refusal is only counted; otherwise how many of this endpoint and reason were
        left out of the log since the last one audited (the caller audits this one, naming them). What a
        trusted partner `signed` is always audited."""
        if signed:
            return 0
        minute = int(now.timestamp()) // 60
        with self._lock:
            window = self._windows.get((endpoint, reason))
            if window is None or window.minute != minute:
                carried = window.left_out if window is not None else 0
                window = self._windows[(endpoint, reason)] = _Window(minute, left_out=carried)
            if window.audited >= self.per_minute:
                window.left_out += 1
                return None
            window.audited += 1
            left_out, window.left_out = window.left_out, 0
            return left_out


    def take_left_out(self, now: datetime | None) -> list[tuple[str, str, int]]:
        """The (endpoint, reason, count) left out in minutes before `now`'s (all of them with None),
        forgotten here: the caller writes them."""
        minute = int(now.timestamp()) // 60 if now is not None else None
        with self._lock:
            done = [key for key, w in self._windows.items() if minute is None or w.minute < minute]
            return [(*key, left) for key in done if (left := self._windows.pop(key).left_out)]


def record_left_out(session: Session, tally: Tally, now: datetime | None) -> None:
    """Audit, in `session`'s transaction, the refusals `tally` left out in minutes before `now`'s (all of
    them with None) that no later audited refusal named: one entry per endpoint and reason."""
    for endpoint, reason, left_out in tally.take_left_out(now):
        audit.record(session, action=ACTIONS[endpoint], actor=None, decision="deny", reason=reason,
                     extra={"left_out": left_out})

"""How refusals of unauthenticated federation deliveries reach the audit log: one by one up to a
number per minute and reason, then counted, so that anyone who can reach the endpoint cannot fill the
log. The next refusal audited for that reason names how many were left out since the one before.

A refusal is unauthenticated when nothing proved the sender: not JSON or out of shape, a sender that
is not a trusted partner, a signature that does not verify. Refusals of what a trusted partner signed
(a replay, a gap, an expired or misaddressed bundle) are each audited: only a partner sends them.
The count is kept per application (per serving process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

#: reasons given before a trusted partner's signature verified
UNAUTHENTICATED = frozenset({"malformed", "sender", "signature", "invalid"})


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

    def admit(self, endpoint: str, reason: str, now: datetime) -> int | None:
        """None when this refusal is only counted; otherwise how many of this endpoint and reason were
        left out of the log since the last one audited (the caller audits this one, naming them)."""
        if reason not in UNAUTHENTICATED:
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


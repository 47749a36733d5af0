"""The sequencer of a serving node: a thread that moves queued audit entries into the log."""

from __future__ import annotations

import logging
import threading

from binational.audit import log
from binational.config import Settings
from binational.db import Database

logger = logging.getLogger("binational.audit")


def queues(settings: Settings) -> bool:
    """Whether a served node queues its audit entries for a sequencer (PostgreSQL, with an interval)."""
    return settings.is_postgres and settings.audit_sequence_ms > 0


class Sequencer:
    """While running, the node's sessions queue their audit entries instead of appending them, and
    every `interval` seconds this thread drains the queue into the log in one transaction.

    Requests then no longer wait for one another's appends (one lock on the log's head), and the head
    is signed once per batch, not once per request. An entry is committed with its request either
    way; it gets its sequence number and its place in the Merkle tree within about `interval`.
    """

    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="audit-sequencer", daemon=True)

    @classmethod
    def for_node(cls, db: Database, settings: Settings | None = None) -> Sequencer | None:
        """The sequencer of a served node whose entries are queued, or None (they are appended), by
        the node's settings (the database's unless given)."""
        settings = settings or db.settings
        return cls(db, settings.audit_sequence_ms / 1000) if queues(settings) else None

    def drain(self) -> int:
        """Move what is queued now into the log; return how many entries were moved."""
        with self.db.unit_of_work() as session:
            return log.drain(session, self.db.settings)

    def start(self) -> None:
        """Queue and sequence in the background, starting with what an earlier run left queued."""
        self.db.defer_audit = True
        self._thread.start()

    def stop(self) -> None:
        """Append directly again, stop the thread and drain what is left."""
        self.db.defer_audit = False
        self._stop.set()
        self._thread.join()
        self.drain()

    def _loop(self) -> None:
        while True:
            try:
                self.drain()
            except Exception:
                # The rows stay queued and committed; the next pass (or a reader of the log) retries.
                logger.exception("audit sequencing failed; will retry")
            if self._stop.wait(self.interval):
                return

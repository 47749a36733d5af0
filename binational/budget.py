"""The time budget of one request: a deadline and a cancel switch that the database statements obey.

A request's budget is handed to its session (`session.info["budget"]`); while one of the session's
transactions is open its connection carries it (`connection.info["budget"]`), and:

- every statement is refused before it starts once the budget is spent or cancelled;
- on PostgreSQL the transaction's `statement_timeout` is the smaller of the statement timeout and
  what is left of the budget, and `cancel()` (the client left, the deadline passed) cancels the
  statement running on the server;
- on SQLite a progress handler interrupts a statement past the request's deadline, past its own
  statement timeout, or once cancelled.

A statement stopped this way, or one the server cancelled for its timeout, is `TimeBudgetExceeded`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from contextvars import ContextVar
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from binational.errors import TimeBudgetExceeded

#: SQLite virtual-machine instructions between two looks at the clock (a few microseconds of work)
PROGRESS_STEPS = 2000
#: How long a SQLite transaction outside any request waits for the write lock, in milliseconds
SQLITE_LOCK_WAIT_MS = 30_000
#: The waits a request's budget is rounded down to (a 1-2-5 series up to SQLITE_LOCK_WAIT_MS)
LOCK_WAIT_STEPS_MS = (
    *(m * 10**k for k in range(5) for m in (1, 2, 5) if m * 10**k < SQLITE_LOCK_WAIT_MS),
    SQLITE_LOCK_WAIT_MS,
)

#: The budget of the request being served (set by binational.bounds; the thread pool's calls
#: inherit it): SQLite's wait for its write lock, before any session is involved, obeys it.
current: ContextVar[Budget | None] = ContextVar("binational_budget", default=None)


class Budget:
    """How long one request may run (`seconds`) and each of its statements (`statement_seconds`);
    0 for either means no bound of that kind."""

    def __init__(self, seconds: float, statement_seconds: float = 0.0) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + seconds if seconds > 0 else float("inf")
        self.statement_seconds = statement_seconds
        self.statement_deadline = float("inf")
        self.cancelled = False
        self._lock = threading.Lock()
        self._running: set[psycopg.Connection[Any]] = set()

    def remaining(self) -> float:
        """Seconds left before the deadline (infinite without one)."""
        return self.deadline - time.monotonic()

    def spent(self) -> bool:
        """Whether the request must stop: cancelled, or past its deadline."""
        return self.cancelled or time.monotonic() >= self.deadline

    def check(self) -> None:
        """Refuse to go on once the budget is spent."""
        if self.spent():
            raise TimeBudgetExceeded()

    def statement_timeout_ms(self) -> int:
        """The PostgreSQL `statement_timeout` of a transaction opened now (0: none)."""
        bounds = [s for s in (self.statement_seconds, self.remaining()) if 0 < s < float("inf")]
        if not bounds:
            return 0 if self.deadline == float("inf") else 1
        return max(1, int(min(bounds) * 1000))

    def extend(self, seconds: float) -> None:
        """Give the request `seconds` from its start (0: no deadline), with no separate bound on
        its statements."""
        self.deadline = self.started + seconds if seconds > 0 else float("inf")
        self.statement_seconds = 0.0

    def interrupts(self) -> bool:
        """What SQLite's progress handler asks: stop the statement running now?"""
        return self.cancelled or time.monotonic() >= min(self.deadline, self.statement_deadline)

    def cancel(self) -> None:
        """Stop the request's work: no further statement starts, and the one running on a PostgreSQL
        server is cancelled (a network round trip: call it off the event loop)."""
        self.cancelled = True
        with self._lock:
            for raw in list(self._running):
                # psycopg.Error: the server went away, or the statement ended: nothing left to cancel
                with contextlib.suppress(psycopg.Error):
                    raw.cancel_safe(timeout=2.0)

    def _hold(self, raw: Any) -> None:
        if isinstance(raw, psycopg.Connection):
            with self._lock:
                self._running.add(raw)

    def _release(self, raw: Any) -> None:
        # Under the lock: a cancel must never reach a connection another request is using now.
        with self._lock:
            self._running.discard(raw)


def attach(connection: Connection, budget: Budget | None) -> None:
    """Make `budget` the bound of the transaction `connection` just opened (None: unbounded)."""
    detach(connection)
    if budget is not None:
        connection.info["budget"] = budget
        budget._hold(connection.connection.dbapi_connection)


def detach(connection: Connection) -> None:
    """The transaction ended: its connection no longer carries a budget."""
    budget = connection.info.pop("budget", None)
    if budget is not None:
        budget._release(connection.connection.dbapi_connection)


def of(connection: Connection) -> Budget | None:
    """The budget of the transaction open on `connection`, if any."""
    budget: Budget | None = connection.info.get("budget")
    return budget


def pg_timeout_sql(budget: Budget | None) -> str:
    """The statement that bounds a PostgreSQL transaction's statements, or '' without a budget."""
    if budget is None:
        return ""
    return f"SET LOCAL statement_timeout = {budget.statement_timeout_ms()}"


def before_statement(connection: Connection) -> None:
    """Refuse a statement of a spent budget; start the clock of its own timeout (SQLite)."""
    budget = of(connection)
    if budget is None:
        return
    budget.check()
    if budget.statement_seconds > 0:
        budget.statement_deadline = time.monotonic() + budget.statement_seconds


def stopped_by_budget(exc: BaseException, budget: Budget | None) -> bool:
    """Whether a database error is a statement stopped for time: cancelled by the server (its
    timeout, or our cancel), interrupted by the SQLite progress handler, or a request's wait for
    SQLite's write lock cut short by its budget."""
    if not isinstance(exc, DBAPIError):
        return False
    if isinstance(exc.orig, psycopg.errors.QueryCanceled):
        return True
    # SQLite: interrupted by the progress handler, or the write lock not had within the budget.
    return (budget is not None and isinstance(exc.orig, sqlite3.OperationalError)
            and ("interrupted" in str(exc.orig) or "locked" in str(exc.orig)))


def sqlite_lock_wait_sql() -> str:
    """The PRAGMA that bounds the wait for SQLite's write lock by the current request's budget."""
    budget = current.get()
    wait = SQLITE_LOCK_WAIT_MS
    if budget is not None:
        # an unbounded budget (request_budget_ms = 0) remains infinite: the usual wait then
        wait = max(1, int(min(wait, budget.remaining() * 1000))) if not budget.cancelled else 1
        # Rounded down to a 1-2-5 step: the driver caches statements by their text, and a text per
        # millisecond pushed the queries out of its cache.
        wait = max(step for step in LOCK_WAIT_STEPS_MS if step <= wait)
    return f"PRAGMA busy_timeout = {wait}"


def watch_sqlite(engine: Engine) -> None:
    """Give each SQLite connection of `engine` the progress handler that obeys budgets."""

    @event.listens_for(engine, "connect")
    def _progress(dbapi_connection: Any, record: Any) -> None:
        info = record.info

        def interrupt() -> int:
            budget = info.get("budget")
            return 1 if budget is not None and budget.interrupts() else 0

        dbapi_connection.set_progress_handler(interrupt, PROGRESS_STEPS)


@event.listens_for(Engine, "before_cursor_execute")
def _before_cursor_execute(conn: Connection, *_args: Any) -> None:
    before_statement(conn)


@event.listens_for(Engine, "commit")
def _commit(conn: Connection) -> None:
    detach(conn)


@event.listens_for(Engine, "rollback")
def _rollback(conn: Connection) -> None:
    detach(conn)

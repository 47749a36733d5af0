"""Background runs in processes of their own: one process per run, with a database of its own.

A process, not a thread: the long parts of a run (Splink's scoring, statsforecast's fitting) hold
Python's interpreter lock for long stretches, which would slow every request of the serving process
(benchmarks/resolution_background.py). The processes a serving node started are joined when it
launches the next one, so a node that never waits for its runs keeps no ended process about.

While it works, a run's `Heartbeat` writes its progress and the time every second; a running run
silent for `resolution_run_stale_seconds` died with its process (a restart, a crash) and `recover`
marks it failed. Runs that are each their starter's own (forecasts, imports) share their table's
columns (`UserRun`, one running per user) and how they are started and read (`UserRuns`); who may
read one stays a rule of access/policy.py.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, event, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from binational.config import Settings, get_settings
from binational.db import Database, UTCDateTime, act_as_system, system_context, utcnow
from binational.errors import Conflict, NotFound

if TYPE_CHECKING:
    from binational.access.policy import Actor, Decision

#: works a started run to its end on the database it is given; a module-level function (the new
#: process imports it by name)
Execute = Callable[[Database, str], object]
#: run id -> the process this process started for it
_running: dict[str, BaseProcess] = {}


def launch_after_commit(session: Session, run_id: str, execute: Execute, kind: str) -> None:
    """Work the run in a process of its own once `session` commits (the run's row with it)."""
    settings: Settings = session.info.get("settings") or get_settings()

    def begin(_session: Session) -> None:
        launch(settings, run_id, execute, kind)

    event.listen(session, "after_commit", begin, once=True)


def launch(settings: Settings, run_id: str, execute: Execute, kind: str) -> BaseProcess:
    """Work a started run with `execute` in a new process, named `kind` and the run's id."""
    for ended in [r for r, p in _running.items() if not p.is_alive()]:
        _running.pop(ended).join()
    process = multiprocessing.get_context("spawn").Process(target=_work, args=(execute, settings, run_id),
                                                            daemon=True, name=f"{kind}-{run_id[:8]}")
    process.start()
    _running[run_id] = process
    return process


def wait(run_id: str, timeout: float | None = None) -> bool:
    """Wait for this process's worker of `run_id`; whether it has ended (True when there is none)."""
    process = _running.get(run_id)
    if process is not None:
        process.join(timeout)
        if process.is_alive():
            return False
        _running.pop(run_id, None)
    return True


def _work(execute: Execute, settings: Settings, run_id: str) -> None:
    db = Database(settings)
    try:
        execute(db, run_id)
    finally:
        db.dispose()


log = logging.getLogger("binational.workers")
#: how often a working run writes its progress and the time
BEAT_SECONDS = 1.0


class Heartbeat:
    """Writes a running run's latest progress and the time every `BEAT_SECONDS` from a thread of its
    own, while its `with` block works; leaving the block waits for the last write, so none lands after
    the run's end. `model` is the run's table (`id`, `status`, `heartbeat_at` and the progress columns)."""

    def __init__(self, db: Database, model: Any, run_id: str, kind: str) -> None:
        self.db, self.model, self.run_id, self.kind = db, model, run_id, kind
        self.latest: dict[str, Any] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"{kind}-heartbeat-{run_id[:8]}", daemon=True)

    def update(self, **values: Any) -> None:
        """Keep progress columns' `values` for the next beat."""
        self.latest = {**self.latest, **values}  # a new dict: the beat never reads one half-changed

    def counts(self, done: int, total: int) -> None:
        """A progress callback of items done out of total."""
        self.update(progress_done=done, progress_total=total)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        model = self.model
        while not self.stopped.wait(BEAT_SECONDS):
            try:
                with self.db.unit_of_work() as s:
                    act_as_system(s)
                    s.execute(update(model).where(model.id == self.run_id, model.status == "running")
                              .values(heartbeat_at=utcnow(), **self.latest))
            except Exception:  # a busy database: the next beat tries again, well within the stale limit
                log.warning("heartbeat of %s %s not written", self.kind, self.run_id, exc_info=True)


def recover(session: Session, model: Any, *where: Any, message: str, **values: Any) -> list[str]:
    """Mark failed, with `message` (and `values`), each running run of `model` that `where` picks whose
    worker has been silent for `resolution_run_stale_seconds`; the ids marked. Call as the system."""
    silent = utcnow() - timedelta(seconds=get_settings().resolution_run_stale_seconds)
    return list(session.execute(update(model).where(
        model.status == "running", or_(model.heartbeat_at.is_(None), model.heartbeat_at < silent), *where)
        .values(status="failed", message=message, finished_at=utcnow(), **values).returning(model.id)).scalars())


def reason(exc: BaseException) -> str:
    """Why a run failed, as its message shows it: the first line of the error, or its type's name."""
    return (str(exc).strip().splitlines() or [""])[0][:300] or type(exc).__name__


class UserRun:
    """The columns of a run that is its starter's own: who started it, how far its worker got, what it
    stored (`summary`, JSON); at most one running per user, whichever process started it."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True)

    @declared_attr
    def user_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr
        return mapped_column(ForeignKey("users.id"), index=True)

    @declared_attr
    def agency(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(ForeignKey("agencies.code"))

    #: running | finished | failed
    status: Mapped[str] = mapped_column(String(16))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        table = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"ux_{table}_running", "user_id", unique=True, sqlite_where=text("status = 'running'"),
                      postgresql_where=text("status = 'running'")),)


R = TypeVar("R", bound=UserRun)


@dataclass(frozen=True)
class UserRuns(Generic[R]):
    """One table of `UserRun`s: how its runs are started and found, and how a refusal reads. Whether
    a reader may see a run is `may_see`'s, a rule of access/policy.py."""

    model: type[R]
    #: what the run is called in a 404 or a 409 ("forecast run")
    noun: str
    #: the audited action of a read, and of its refusal
    action: str
    may_see: Callable[..., Decision]
    #: the message of a run whose worker went silent
    interrupted: str
    #: columns emptied when a silent run is marked failed (an import's bytes)
    cleared: tuple[str, ...] = field(default=())

    def recover(self, session: Session, user_id: int) -> list[str]:
        """Mark failed the user's running runs whose worker went silent (see `recover`)."""
        return recover(session, self.model, self.model.user_id == user_id, message=self.interrupted,
                       **dict.fromkeys(self.cleared))

    def add(self, session: Session, run: R) -> None:
        """Record its user's new running `run`: 409 while another of the user's is running (one whose
        worker went silent is marked failed first)."""
        with system_context(session):
            self.recover(session, run.user_id)
            busy = session.execute(select(self.model.id).where(self.model.user_id == run.user_id,
                                                               self.model.status == "running")).scalar()
            if busy is not None:
                raise Conflict(f"{self.noun} {busy} is running: one at a time; wait for it to finish")
            try:
                with session.begin_nested():
                    session.add(run)
            except IntegrityError:  # another request of the same user between the check and the insert
                article = "an" if self.noun[0] in "aeiou" else "a"
                raise Conflict(f"{article} {self.noun} of yours is running: one at a time") from None

    def read(self, session: Session, actor: Actor, run_id: str) -> R:
        """The actor's own run `run_id`; 404 alike for another's and for one that does not exist, the
        refusal audited as `action`. A run whose worker died reads as failed, not running forever."""
        with system_context(session):
            self.recover(session, actor.user_id)
            run = session.get(self.model, run_id)
        if run is None:
            raise NotFound(self.noun, run_id, action=self.action)
        decision = self.may_see(actor, user_id=run.user_id, agency=run.agency)
        if not decision:
            raise NotFound(self.noun, run_id, reason=decision.reason, action=self.action)
        return run

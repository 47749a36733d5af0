"""Resolution runs in the background: the worker that takes a started run to its end.

A request (or a command) records the run with `runs.start`; once that is committed, a process that
the serving process starts (or the command itself) works the run here, each step in a transaction
of its own: one that reads every record, none while the engine scores (the long part), one per batch
of suggestions, and one that finishes the run. So no other request waits behind a run, on SQLite
either, whose one writer would otherwise be held for the whole run. While it works, a heartbeat
writes the run's progress every second; a run whose heartbeat stops (its process ended: a restart,
a crash) is marked failed by `runs.recover`, and a failure of the worker itself is marked failed
with its reason.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from binational import workers
from binational.audit import log as audit
from binational.audit.scope import unit_of_work
from binational.db import Database, act_as_system, utcnow
from binational.resolution import runs
from binational.resolution.engine import Progress, get_engine
from binational.resolution.models import ResolutionRun

log = logging.getLogger("binational.resolution")


def launch_after_commit(session: Session, run_id: str) -> None:
    """Work the run in a process of its own once `session` commits (the run's row with it)."""
    workers.launch_after_commit(session, run_id, execute, "resolution-run")


def _reporter(beat: workers.Heartbeat, forward: Progress | None) -> Progress:
    """The engine's progress callback: kept for the next beat (and passed on)."""

    def report(step: str, done: int, total: int) -> None:
        beat.update(progress_step=step[:64], progress_done=done, progress_total=total)
        if forward:
            forward(step, done, total)

    return report


def execute(db: Database, run_id: str, progress: Progress | None = None) -> str:
    """Take a started run to its end and return its final status: read, score, store; any failure
    marks the run failed with the reason (an interruption of the command, too)."""
    try:
        # from the start: reading a large node takes a while too
        with workers.Heartbeat(db, ResolutionRun, run_id, "resolution-run") as beat:
            report = _reporter(beat, progress)
            with db.unit_of_work() as s:
                act_as_system(s)
                row = s.get(ResolutionRun, run_id)
                if row is None or row.status != "running":
                    return row.status if row else "missing"
                engine, kinds = row.engine, runs.check_kinds(json.loads(row.kinds))
                report("reading records", 0, row.progress_total)
                records, samples = runs.read_inputs(s, kinds)
            outcome = runs.link_records(run_id, records, samples, engine=get_engine(engine), kinds=kinds,
                                        progress=report)
        # the suggestions a batch a transaction: on SQLite each holds the one writer only briefly; they
        # count for no viewer until the run is finished (`service.latest_run`)
        for begin in range(0, len(outcome.rows), runs.BATCH):
            with db.unit_of_work() as s:
                act_as_system(s)
                runs.store_rows(s, outcome.rows[begin:begin + runs.BATCH])
        outcome.rows = []
        with unit_of_work(db) as s:
            act_as_system(s)
            row = s.get(ResolutionRun, run_id)
            if row is None or row.status != "running":  # given up for silent meanwhile: its result is dropped
                return row.status if row else "missing"
            runs.store(s, row, outcome)
            audit.record(s, action="resolution.run", actor=None, objects=[],
                         extra={"run": run_id, "engine": engine, "status": row.status})
            return row.status
    except BaseException as exc:
        log.exception("resolution run %s failed", run_id)
        _fail(db, run_id, exc)
        if not isinstance(exc, Exception):
            raise
        return "failed"


def _fail(db: Database, run_id: str, exc: BaseException) -> None:
    reason = workers.reason(exc)
    if isinstance(exc, KeyboardInterrupt):
        reason = "interrupted"
    with unit_of_work(db) as s:
        act_as_system(s)
        changed = s.execute(update(ResolutionRun).where(ResolutionRun.id == run_id, ResolutionRun.status == "running")
                            .values(status="failed", message=f"failed: {reason}", finished_at=utcnow()))
        if getattr(changed, "rowcount", 0):
            audit.record(s, action="resolution.run", actor=None, objects=[],
                         extra={"run": run_id, "status": "failed", "reason": reason})

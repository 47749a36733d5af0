"""Background runs in processes of their own: one process per run, with a database of its own.

A process, not a thread: the long parts of a run (Splink's scoring, statsforecast's fitting) hold
Python's interpreter lock for long stretches, which would slow every request of the serving process
(benchmarks/resolution_background.py). The processes a serving node started are joined when it
launches the next one, so a node that never waits for its runs keeps no ended process about.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from sqlalchemy import event
from sqlalchemy.orm import Session

from binational.config import Settings, get_settings
from binational.db import Database

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

"""Imports of official series too large for one request, worked in the background.

`start` checks the upload (the capability, the kind, at most `import_max_bytes`) and records a run,
`running`, with the file's bytes; it answers at once (`202`). Once that is committed a process of its
own (parsing holds the interpreter lock, which would slow every request of the serving process)
imports the file as the run's user (`imports.import_series`, audited there), all or nothing, and
stores what it imported or the line and field it refused; the bytes are then cleared. A heartbeat
writes the progress every second; a run silent for `resolution_run_stale_seconds` (its process ended)
is marked failed when its user starts or reads another. One running import per user (a partial
unique index). A run is its sender's alone (`policy.may_see_import_run`: anyone else gets `404`, as
for one that does not exist).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from binational import workers
from binational.access import service as access
from binational.access.actions import Action, register
from binational.access.models import User
from binational.access.policy import Actor, may_see_import_run, require
from binational.audit import log as audit
from binational.audit.scope import unit_of_work
from binational.config import get_settings
from binational.db import Database, act_as, act_as_system, utcnow
from binational.errors import Forbidden, InvalidInput
from binational.repatriation import imports
from binational.repatriation import service as _actions  # noqa: F401 - registers repatriation.import in the worker
from binational.repatriation.models import ImportRun

register(Action("repatriation.import_run", "record.create", "follow one's own import in the background"))
log = logging.getLogger("binational.repatriation")
RUNS = workers.UserRuns(ImportRun, noun="import", action="repatriation.import_run", may_see=may_see_import_run,
                        interrupted="interrupted: its worker stopped before the import finished; nothing was imported",
                        cleared=("data",))


def view(run: ImportRun) -> dict[str, Any]:
    """A run as its sender reads it: status, progress, and what it imported or the row it refused."""
    summary = json.loads(run.summary or "{}")
    return {"id": run.id, "kind": run.kind, "source": run.source, "status": run.status,
            "progress": {"done": run.progress_done, "total": run.progress_total}, "message": run.message,
            "result": summary.get("result"), "details": summary.get("details", []),
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}


def start(*, session: Session, actor: Actor, kind: str, name: str, data: bytes) -> ImportRun:
    """Record the import of an upload (422 for an unknown kind or a file past `import_max_bytes`, 409
    while the actor has one running); nothing is read here."""
    require(actor, "repatriation.import")
    if kind not in imports.KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", details=[{"field": "kind", "allowed": sorted(imports.KINDS)}])
    limit = get_settings().import_max_bytes
    if len(data) > limit:
        raise InvalidInput(f"{name} is larger than {limit // 1_048_576} MB; nothing was imported",
                           details=[{"field": "file"}])
    now = utcnow()
    run = ImportRun(id=uuid.uuid4().hex, user_id=actor.user_id, agency=actor.agency, kind=kind, source=name[:100],
                    status="running", progress_done=0, progress_total=0, message="", summary="{}", data=data,
                    started_at=now, heartbeat_at=now)
    RUNS.add(session, run)
    audit.record(session, action="repatriation.import_run", actor=actor,
                 objects=[(f"import-run:{run.id}", actor.agency)],
                 extra={"status": "running", "kind": kind, "bytes": len(data)})
    return run


def read(*, session: Session, actor: Actor, run_id: str) -> dict[str, Any]:
    """One's own run (404 for another user's, as for one that does not exist); audited, the refusal too."""
    require(actor, "repatriation.import_run")
    run = RUNS.read(session, actor, run_id)
    out = view(run)
    audit.record(session, action="repatriation.import_run", actor=actor,
                 objects=[(f"import-run:{run.id}", run.agency)], extra={"status": run.status, "read": True})
    return out


def launch_after_commit(session: Session, run_id: str) -> None:
    """Work the run in a process of its own once `session` commits (the run's row with it)."""
    workers.launch_after_commit(session, run_id, execute, "import-run")


def _finish(db: Database, run_id: str, **values: Any) -> None:
    with unit_of_work(db) as s:
        act_as_system(s)
        agency = s.execute(update(ImportRun).where(ImportRun.id == run_id).values(
            finished_at=utcnow(), heartbeat_at=utcnow(), data=None, **values).returning(ImportRun.agency)).scalar()
        # named with the sender's agency, so that its auditors see how the run ended (and no one else)
        audit.record(s, action="repatriation.import_run", actor=None,
                     objects=[(f"import-run:{run_id}", agency)] if agency else [],
                     extra={"run": run_id, "status": values["status"]})


def execute(db: Database, run_id: str) -> str:
    """Import a started run's file as its user, all or nothing; its final status."""
    try:
        with workers.Heartbeat(db, ImportRun, run_id, "import-run") as beat, unit_of_work(db) as s:
            act_as_system(s)
            run = s.get(ImportRun, run_id)
            if run is None or run.status != "running":
                return run.status if run else "missing"
            user = s.get(User, run.user_id)
            if user is None or not user.active:  # disabled since it sent the file: nothing in its name
                raise Forbidden("the run's user is no longer active")
            actor = access.actor_for(session=s, user=user)
            act_as(s, actor)
            result = imports.import_series(
                session=s, actor=actor, kind=run.kind, path=imports.Source(run.source, data=run.data or b""),
                progress=beat.counts)
    except InvalidInput as exc:  # a bad row: named by line and field, nothing imported (rolled back)
        _finish(db, run_id, status="failed", message=exc.message, summary=json.dumps({"details": exc.details}))
        return "failed"
    except BaseException as exc:
        log.exception("import run %s failed", run_id)
        _finish(db, run_id, status="failed", message=f"failed: {workers.reason(exc)}; nothing was imported")
        if not isinstance(exc, Exception):
            raise
        return "failed"
    _finish(db, run_id, status="finished", summary=json.dumps({"result": result}),
            progress_done=result["rows"], progress_total=result["rows"])
    return "finished"


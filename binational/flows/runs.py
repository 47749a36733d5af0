"""Forecast requests of the API and pages, worked in the background.

`start` checks the request (the series chosen through the policy, at most `flows_forecast_max_series`)
and records a run, `running`, which answers at once (`202`); once that is committed a process of its
own (statsforecast holds the interpreter lock while it fits, which would slow every request of the
serving process) forecasts the series as the run's user (`forecasts.store_forecasts`, audited there)
and stores the summary. A heartbeat writes the progress every second; a run silent for
`resolution_run_stale_seconds` (its process ended) is marked failed when its user starts another.
One running run per user (a partial unique index). A run is its starter's alone
(`policy.may_see_forecast_run`: anyone else gets `404`, as for one that does not exist), and the
series it lists are those its reader may see now (`visible_series`). Reading a running run (its
counts, which the page polls every second) is audited once per run, `flows.forecast.progress`; each
read of an ended run, with the series it names, is audited `flows.forecast_run`; refusals, always.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from binational import workers
from binational.access import service as access
from binational.access.actions import Action, register
from binational.access.models import User
from binational.access.policy import Actor, may_see_forecast_run, require, visible_series
from binational.audit import log as audit
from binational.audit.scope import unit_of_work
from binational.config import get_settings
from binational.db import Database, act_as, act_as_system, system_context, utcnow
from binational.errors import NotFound
from binational.flows import forecasts
from binational.flows.models import FlowForecastRun, FlowSeries

register(Action("flows.forecast_run", "record.create", "follow one's own forecast run in the background"))
register(Action("flows.forecast.progress", "record.create",
                "read one's own running forecast run's counts (the first read of the run; its polls after it are not)"))
log = logging.getLogger("binational.flows")
RUNS = workers.UserRuns(FlowForecastRun, noun="forecast run", action="flows.forecast_run",
                        may_see=may_see_forecast_run,
                        interrupted="interrupted: its worker stopped before the run finished")


def view(session: Session, actor: Actor, run: FlowForecastRun) -> dict[str, Any]:
    """A run as its starter reads it: status, progress, and the series forecast it may see now."""
    summary = json.loads(run.summary or "{}")
    ids = summary.pop("series", [])
    shown = []
    if ids:
        rows = session.execute(select(FlowSeries.id, FlowSeries.key, FlowSeries.owner_agency).where(
            FlowSeries.id.in_(ids), visible_series(actor, FlowSeries)).order_by(FlowSeries.id)).all()
        shown = [{"id": r.id, "key": r.key, "owner_agency": r.owner_agency} for r in rows]
    return {"id": run.id, "status": run.status, "horizon": run.horizon, "indicator": run.indicator,
            "dimension": run.dimension, "progress": {"done": run.progress_done, "total": run.progress_total},
            "message": run.message, "summary": summary or None, "series": shown,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}


def start(*, session: Session, actor: Actor, horizon: int, indicator: str | None = None,
          dimension: str | None = None) -> FlowForecastRun:
    """Record a forecast run of the series the actor may see (filtered): 422 past the most one request
    forecasts, 409 while the actor has one running. Nothing is fitted here."""
    require(actor, "flows.forecast")
    chosen = forecasts.chosen_series(session=session, actor=actor, indicator=indicator, dimension=dimension,
                                   max_series=get_settings().flows_forecast_max_series)
    now = utcnow()
    run = FlowForecastRun(id=uuid.uuid4().hex, user_id=actor.user_id, agency=actor.agency, status="running",
                          horizon=horizon, indicator=indicator, dimension=dimension, progress_done=0,
                          progress_total=len(chosen), message="", summary="{}", started_at=now, heartbeat_at=now)
    RUNS.add(session, run)
    audit.record(session, action="flows.forecast_run", actor=actor, objects=[(f"forecast-run:{run.id}", actor.agency)],
                 extra={"status": "running", "series": len(chosen), "horizon": horizon})
    return run


def read(*, session: Session, actor: Actor, run_id: str) -> dict[str, Any]:
    """One's own run (404 for another user's, as for one that does not exist); audited, the refusal too."""
    require(actor, "flows.forecast_run")
    run = RUNS.read(session, actor, run_id)
    out = view(session, actor, run)
    if run.status == "running":
        # A running run shows its starter only its own counts, which the page polls every second: the
        # first such read of the run is audited, the polls after it would repeat it to no purpose.
        if not run.progress_read:
            with system_context(session):
                session.execute(update(FlowForecastRun).where(FlowForecastRun.id == run.id)
                                .values(progress_read=True))
            audit.record(session, action="flows.forecast.progress", actor=actor,
                         objects=[(f"forecast-run:{run.id}", run.agency)], extra={"status": run.status})
        return out
    # a finished or failed run shows its summary and the series it forecast: every read is audited,
    # naming the series shown
    shown = [(f"flow-series:{s['id']}", s["owner_agency"]) for s in out["series"]]
    audit.record(session, action="flows.forecast_run", actor=actor,
                 objects=[(f"forecast-run:{run.id}", run.agency), *shown], extra={"status": run.status, "read": True})
    return out


def launch_after_commit(session: Session, run_id: str) -> None:
    """Forecast the run in a process of its own once `session` commits (the run's row with it)."""
    workers.launch_after_commit(session, run_id, execute, "forecast-run")


def execute(db: Database, run_id: str) -> str:
    """Forecast a started run's series as its user and store the summary; its final status."""
    try:
        stored: list[int] = []
        with workers.Heartbeat(db, FlowForecastRun, run_id, "forecast-run") as beat, unit_of_work(db) as s:
            act_as_system(s)
            run = s.get(FlowForecastRun, run_id)
            if run is None or run.status != "running":
                return run.status if run else "missing"
            user = s.get(User, run.user_id)
            if user is None:
                raise NotFound("the run's user is gone")
            actor = access.actor_for(session=s, user=user)
            act_as(s, actor)
            summary = forecasts.store_forecasts(
                session=s, actor=actor, horizon=run.horizon, indicator=run.indicator, dimension=run.dimension,
                progress=beat.counts, stored=stored)
        with unit_of_work(db) as s:
            act_as_system(s)
            s.execute(update(FlowForecastRun).where(FlowForecastRun.id == run_id).values(
                status="finished", summary=json.dumps({**summary, "series": stored}), finished_at=utcnow(),
                heartbeat_at=utcnow(), progress_done=summary["forecast"] + summary["skipped"],
                progress_total=summary["forecast"] + summary["skipped"]))
            audit.record(s, action="flows.forecast_run", actor=None, objects=[],
                         extra={"run": run_id, "status": "finished", "forecast": summary["forecast"]})
        return "finished"
    except BaseException as exc:
        log.exception("forecast run %s failed", run_id)
        reason = workers.reason(exc)
        with unit_of_work(db) as s:
            act_as_system(s)
            s.execute(update(FlowForecastRun).where(FlowForecastRun.id == run_id).values(
                status="failed", message=f"failed: {reason}", finished_at=utcnow()))
            audit.record(s, action="flows.forecast_run", actor=None, objects=[],
                         extra={"run": run_id, "status": "failed"})
        if not isinstance(exc, Exception):
            raise
        return "failed"

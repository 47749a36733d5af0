"""A resolution run: read every live record as the system, link each kind, store the suggestions.

The run sees all data (so it finds matches no single agency could), but stores only pairs and
scores; what a viewer gets of them is decided at read time (service.py). Thresholds come from the
judged pairs of earlier runs when there are enough of them (clusters.calibrate), else from the model.

A run is three steps: `start` records it (`running`, at most one at a time on the node), `link`
reads and scores without writing anything, `store` writes its suggestions and finishes it. `run`
does the three in one unit of work; `worker.py` does them in the background, each in its own
transaction, so that no other request waits behind a run.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from binational import workers
from binational.access.policy import Actor, may_see_run_details, require
from binational.audit import log as audit
from binational.db import system_context, utcnow
from binational.entities.models import Entity, Statement
from binational.errors import Conflict, InvalidInput
from binational.resolution import clusters, evidence
from binational.resolution.engine import ENGINES, get_engine
from binational.resolution.features import KIND_OF_SCHEMA, KINDS, Record, rows_by_kind
from binational.resolution.models import Judgement, ResolutionRun, Suggestion
from binational.resolution.schemas import RunProgress, RunRead
from binational.resolution.splink_model import load
from binational.resolution.training import STEPS

Progress = Callable[[str, int, int], None]
BATCH = 5000


def read_records(session: Session) -> list[Record]:
    """Every live record of a resolvable kind with all its live values (system view)."""
    schemata = sorted(KIND_OF_SCHEMA)
    owners = dict(session.execute(select(Entity.id, Entity.owner_agency).where(
        Entity.deleted_at.is_(None), Entity.schema.in_(schemata))).all())
    props: dict[str, dict[str, list[str]]] = defaultdict(dict)
    schema_of: dict[str, str] = {}
    rows = session.execute(
        select(Statement.entity_id, Statement.schema, Statement.prop, Statement.value)
        .join(Entity, Entity.id == Statement.entity_id)
        .where(Entity.deleted_at.is_(None), Statement.deleted_at.is_(None), Entity.schema.in_(schemata))
        .order_by(Statement.id)
    )
    for entity_id, schema, prop, value in rows:
        schema_of[entity_id] = schema
        props[entity_id].setdefault(prop, []).append(value)
    return [Record(i, schema_of.get(i, ""), owners[i], props.get(i, {})) for i in owners if i in schema_of]


def labelled_sample(session: Session, kind: str) -> list[tuple[float, bool]]:
    """(score, is_match) of pairs analysts judged positive or negative (their standing verdicts)."""
    rows = session.execute(select(Judgement.left_id, Judgement.right_id, Judgement.owner_agency,
                                  Judgement.verdict, Judgement.score)
                           .where(Judgement.kind == kind).order_by(Judgement.id)).all()
    scores = {(a, b): s for a, b, _, _, s in rows if s is not None}
    out = []
    for pair, agencies in clusters.stances((a, b, ag, v) for a, b, ag, v, _ in rows).items():
        verdict = clusters.pair_verdict(agencies)
        if verdict in ("positive", "negative") and pair in scores:
            out.append((scores[pair], verdict == "positive"))
    return out


def describe(run: ResolutionRun, actor: Actor | None) -> RunRead:
    """A run as `actor` may see it. Its message, progress and per-kind counts are node-wide (they
    count and name every agency's records), so only those who may run resolution (administrators,
    the node operator) get them; anyone else gets the run's id, engine, status and times."""
    node_wide = may_see_run_details(actor).allowed
    progress = RunProgress(step=run.progress_step, done=run.progress_done, total=run.progress_total)
    return RunRead(id=run.id, engine=run.engine, status=run.status, message=run.message if node_wide else "",
                   started_at=run.started_at, finished_at=run.finished_at,
                   summary=json.loads(run.summary) if node_wide else None,
                   progress=progress if node_wide else None)


def check_kinds(kinds: list[str] | None) -> list[str]:
    """The kinds to link (all by default); an unknown one is invalid input."""
    kinds = list(kinds or KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidInput(f"unknown kind {unknown[0]!r}; choose from {', '.join(KINDS)}", details=[{"field": "kinds"}])
    return kinds


def start(*, session: Session, actor: Actor | None, engine: str = "duckdb",
          kinds: list[str] | None = None) -> ResolutionRun:
    """Record a new run as `running` and audit its start; Conflict while another run is running
    (a run whose worker went silent is marked failed first, see `recover`)."""
    if actor is not None:
        require(actor, "resolution.run")
    kinds = check_kinds(kinds)
    if engine not in ENGINES:  # (a missing extra, or Java for Spark, fails the run with the reason)
        raise InvalidInput(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}",
                           details=[{"field": "engine"}])
    with system_context(session):
        recover(session)
        busy = session.execute(select(ResolutionRun.id).where(ResolutionRun.status == "running")).scalar()
        if busy is not None:
            raise Conflict(f"run {busy} is running: one run at a time; wait for it to finish")
        now = utcnow()
        row = ResolutionRun(id=uuid.uuid4().hex, engine=engine, status="running", message="", kinds=json.dumps(kinds),
                            progress_step="", progress_done=0, progress_total=len(kinds) * (STEPS + 1),
                            started_by=actor.user_id if actor else None, started_at=now, heartbeat_at=now,
                            summary="{}", models="{}")
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another process started one between the check and the insert
            raise Conflict("a run is running: one run at a time; wait for it to finish") from None
    audit.record(session, action="resolution.run", actor=actor, objects=[],
                 extra={"run": row.id, "engine": engine, "status": "running"})
    return row


def recover(session: Session) -> int:
    """Mark failed every running run whose worker has been silent for `resolution_run_stale_seconds`
    (it died with its process, or the node restarted); return how many. Call as the system."""
    stale = workers.recover(session, ResolutionRun, message="interrupted: its worker stopped before the run finished")
    for run_id in stale:
        audit.record(session, action="resolution.run", actor=None, objects=[],
                     extra={"run": run_id, "status": "failed", "reason": "interrupted"})
    return len(stale)


@dataclass
class Outcome:
    """What linking found, not yet stored: the suggestions' rows and the run's summary."""

    status: str = "finished"
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def link(session: Session, run_id: str, *, engine: str, kinds: list[str], progress: Progress | None = None,
         engine_options: dict[str, Any] | None = None) -> Outcome:
    """Read every live record as the system and score each kind; writes nothing. `session` only
    reads (the worker gives it a transaction of its own, closed before the engine's long work)."""
    chosen = get_engine(engine, **(engine_options or {}))
    records, samples = read_inputs(session, kinds)
    return link_records(run_id, records, samples, engine=chosen, kinds=kinds, progress=progress)


def read_inputs(session: Session, kinds: list[str]) -> tuple[list[Record], dict[str, list[tuple[float, bool]]]]:
    """What a run links: every live record (system view) and each kind's judged pairs."""
    with system_context(session):
        return read_records(session), {kind: labelled_sample(session, kind) for kind in kinds}


def link_records(run_id: str, records: list[Record], samples: dict[str, list[tuple[float, bool]]], *,
                 engine: Any, kinds: list[str], progress: Progress | None = None) -> Outcome:
    """Score each kind of `records` with `engine`, no database involved."""
    outcome = Outcome()
    agencies = {r.agency for r in records}
    if len(agencies) < 2:
        outcome.status = "empty"
        outcome.message = ("no records to resolve" if not agencies else
                           f"only one agency ({agencies.pop()}) holds records: nothing to match across agencies")
        return outcome
    by_kind = rows_by_kind(records)
    for n, kind in enumerate(kinds):
        def report(step: str, done: int, _total: int, n: int = n, kind: str = kind) -> None:
            if progress:
                progress(f"{kind}: {step}", n * (STEPS + 1) + done, len(kinds) * (STEPS + 1))

        outcome.summary[kind] = _link_kind(run_id, kind, by_kind[kind], engine, samples[kind], report, outcome)
        report("scored", STEPS + 1, 0)
    total = sum(s.get("suggestions", 0) for s in outcome.summary.values())
    outcome.message = f"{len(records)} records of {len(agencies)} agencies; {total} suggestions"
    return outcome


def store_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write suggestions of a run (call as the system); no viewer sees them before the run finishes."""
    for begin in range(0, len(rows), BATCH):
        session.execute(insert(Suggestion), rows[begin:begin + BATCH])


def store(session: Session, run_row: ResolutionRun, outcome: Outcome) -> None:
    """Write the suggestions not yet written and finish the run (call as the system)."""
    store_rows(session, outcome.rows)
    run_row.status = outcome.status
    run_row.message = outcome.message
    run_row.summary = json.dumps(outcome.summary)
    run_row.models = json.dumps(outcome.models)
    run_row.progress_done = run_row.progress_total
    run_row.finished_at = utcnow()
    session.flush()
    evidence.summarise(session, run_row)  # with the run: the queue decides from it in SQL


def run(*, session: Session, actor: Actor | None, engine: str = "duckdb", kinds: list[str] | None = None,
        progress: Progress | None = None, engine_options: dict[str, Any] | None = None) -> RunRead:
    """Resolve every kind (or `kinds`) over all data with `engine`, in the session's unit of work
    (the command line's `--wait`, tests, the demo); an empty or one-agency data set finishes with
    status `empty` and a message saying why."""
    row = start(session=session, actor=actor, engine=engine, kinds=kinds)
    outcome = link(session, row.id, engine=engine, kinds=json.loads(row.kinds), progress=progress,
                   engine_options=engine_options)
    with system_context(session):
        store(session, row, outcome)
    audit.record(session, action="resolution.run", actor=actor, objects=[],
                 extra={"run": row.id, "engine": engine, "status": row.status})
    return describe(row, actor)


def _link_kind(run_id: str, kind: str, rows: list[dict[str, Any]], engine: Any,
               sample: list[tuple[float, bool]], progress: Progress, outcome: Outcome) -> dict[str, Any]:
    model = load(kind)
    if len(rows) < 2 or len({r["source_dataset"] for r in rows}) < 2:
        return {"records": len(rows), "suggestions": 0, "message": "fewer than two agencies hold records of this kind"}
    linked = engine.link(rows, model, progress=progress)
    threshold, source = clusters.calibrate(sample, model.thresholds["match_probability"])
    review = min(model.thresholds["review_probability"], threshold)
    now = utcnow()
    kept = matches = 0
    for pair in linked.pairs:
        if pair.probability < review:
            continue
        decision = "match" if pair.probability >= threshold else "review"
        matches += decision == "match"
        kept += 1
        outcome.rows.append({
            "run_id": run_id, "kind": kind, "left_id": pair.left_id, "right_id": pair.right_id,
            "left_agency": pair.left_agency, "right_agency": pair.right_agency, "score": pair.probability,
            "match_weight": pair.match_weight, "decision": decision, "driver": pair.driver[:300],
            "weights": json.dumps(pair.weights), "created_at": now})
    outcome.models[kind] = linked.settings
    return {"records": len(rows), "candidate_pairs": len(linked.pairs), "suggestions": kept, "matches": matches,
            "model": model.version, "match_threshold": threshold, "review_threshold": review,
            "threshold_source": source, "training_notes": linked.training_notes}

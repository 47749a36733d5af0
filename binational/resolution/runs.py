"""A resolution run: read every live record as the system, link each kind, store the suggestions.

The run sees all data (so it finds matches no single agency could), but stores only pairs and
scores; what a viewer gets of them is decided at read time (service.py). Thresholds come from the
judged pairs of earlier runs when there are enough of them (clusters.calibrate), else from the model.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from binational.access.policy import Actor, can, require
from binational.audit import log as audit
from binational.db import system_context, utcnow
from binational.entities.models import Entity, Statement
from binational.resolution import clusters
from binational.resolution.engine import get_engine
from binational.resolution.features import KIND_OF_SCHEMA, KINDS, Record, rows_by_kind
from binational.resolution.models import Judgement, ResolutionRun, Suggestion
from binational.resolution.schemas import RunRead
from binational.resolution.splink_model import load

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
    """A run as `actor` may see it. Its message and per-kind counts are node-wide (they count and
    name every agency's records), so only those who may run resolution (administrators, the node
    operator) get them; anyone else gets the run's id, engine, status and times."""
    node_wide = actor is None or can(actor, "resolution.run").allowed
    return RunRead(id=run.id, engine=run.engine, status=run.status, message=run.message if node_wide else "",
                   started_at=run.started_at, finished_at=run.finished_at,
                   summary=json.loads(run.summary) if node_wide else None)


def run(*, session: Session, actor: Actor | None, engine: str = "duckdb", kinds: list[str] | None = None,
        progress: Progress | None = None, engine_options: dict[str, Any] | None = None) -> RunRead:
    """Resolve every kind (or `kinds`) over all data with `engine`; an empty or one-agency data set
    finishes with status `empty` and a message saying why."""
    if actor is not None:
        require(actor, "resolution.run")
    kinds = kinds or list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        from binational.errors import InvalidInput

        raise InvalidInput(f"unknown kind {unknown[0]!r}; choose from {', '.join(KINDS)}", details=[{"field": "kinds"}])
    chosen = get_engine(engine, **(engine_options or {}))
    run_row = ResolutionRun(id=uuid.uuid4().hex, engine=engine, status="running", message="",
                            started_by=actor.user_id if actor else None, started_at=utcnow())
    session.add(run_row)
    with system_context(session):
        records = read_records(session)
        summary: dict[str, Any] = {}
        models: dict[str, Any] = {}
        agencies = {r.agency for r in records}
        if len(agencies) < 2:
            run_row.status = "empty"
            run_row.message = ("no records to resolve" if not agencies else
                               f"only one agency ({agencies.pop()}) holds records: nothing to match across agencies")
        else:
            by_kind = rows_by_kind(records)
            for kind in kinds:
                summary[kind] = _link_kind(session, run_row.id, kind, by_kind[kind], chosen, progress, models)
            run_row.status = "finished"
            total = sum(s.get("suggestions", 0) for s in summary.values())
            run_row.message = f"{len(records)} records of {len(agencies)} agencies; {total} suggestions"
        run_row.summary = json.dumps(summary)
        run_row.models = json.dumps(models)
        run_row.finished_at = utcnow()
        session.flush()
    audit.record(session, action="resolution.run", actor=actor, objects=[],
                 extra={"run": run_row.id, "engine": engine, "status": run_row.status})
    return describe(run_row, actor)


def _link_kind(session: Session, run_id: str, kind: str, rows: list[dict[str, Any]], engine: Any,
               progress: Progress | None, models: dict[str, Any]) -> dict[str, Any]:
    model = load(kind)
    if len(rows) < 2 or len({r["source_dataset"] for r in rows}) < 2:
        return {"records": len(rows), "suggestions": 0, "message": "fewer than two agencies hold records of this kind"}

    def report(step: str, done: int, total: int) -> None:
        if progress:
            progress(f"{kind}: {step}", done, total)

    linked = engine.link(rows, model, progress=report)
    threshold, source = clusters.calibrate(labelled_sample(session, kind), model.thresholds["match_probability"])
    review = min(model.thresholds["review_probability"], threshold)
    now = utcnow()
    batch: list[dict[str, Any]] = []
    kept = matches = 0
    for pair in linked.pairs:
        if pair.probability < review:
            continue
        decision = "match" if pair.probability >= threshold else "review"
        matches += decision == "match"
        kept += 1
        batch.append({"run_id": run_id, "kind": kind, "left_id": pair.left_id, "right_id": pair.right_id,
                      "left_agency": pair.left_agency, "right_agency": pair.right_agency,
                      "score": pair.probability, "match_weight": pair.match_weight, "decision": decision,
                      "driver": pair.driver[:300], "weights": json.dumps(pair.weights), "created_at": now})
        if len(batch) >= BATCH:
            session.execute(insert(Suggestion), batch)
            batch = []
    if batch:
        session.execute(insert(Suggestion), batch)
    models[kind] = linked.settings
    return {"records": len(rows), "candidate_pairs": len(linked.pairs), "suggestions": kept, "matches": matches,
            "model": model.version, "match_threshold": threshold, "review_threshold": review,
            "threshold_source": source, "training_notes": linked.training_notes}

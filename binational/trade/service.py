"""Cargo risk targeting as the platform runs it: the actions it audits, and training, scoring and
evaluating on declaration files (the file's name and digest, never its rows, go in the log)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from binational.access import markings
from binational.access.actions import Action, register
from binational.access.models import Agency
from binational.access.policy import (
    TRADE_SCOPE_FIELDS,
    Actor,
    may_see_model_output,
    may_see_reason_values,
    may_see_trade,
    require,
    visible_model_output,
    visible_trade,
)
from binational.audit import log as audit
from binational.db import system_context, utcnow
from binational.errors import Forbidden, InvalidInput, NotFound
from binational.trade import bts, declarations, ports, risk
from binational.trade.models import (
    PortWait,
    TradeDeclaration,
    TradeDraw,
    TradeDrawScope,
    TradeFlow,
    TradeInspection,
)

register(Action("trade.evaluate", "record.view",
                "train a cargo risk model on two declaration files and measure it on a third"))
register(Action("trade.train", "record.create", "train a cargo risk model on inspected declarations"))
register(Action("trade.score", "record.view",
                "rank declarations for inspection and draw a selection list with reasons"))


def digest(path: Path) -> dict[str, str]:
    """What the audit log keeps of an input file: its name and SHA-256."""
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def evaluate(train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame, *,
             progress: risk.Progress | None = None) -> dict[str, Any]:
    """Train on `train` and `valid` only, score `test` (its labels unseen until measured), and give
    precision for fraud and recall of critical fraud in the top 5 % and 10 % of one ranking."""
    if "Fraud" not in test.columns:
        raise declarations.DeclarationError("the test file carries no labels (Fraud, Critical Fraud) to measure")
    model = risk.train(train, valid, progress=progress)
    unlabelled = test.drop(columns=declarations.LABELS)
    if progress:
        progress("scoring the test period")
    _x, _fraud, _critical, score = model.predict(unlabelled)
    out = risk.measures(score, test["Fraud"].to_numpy(), test["Critical Fraud"].to_numpy())
    out.update({"test_rows": len(test), "fraud_rate": round(float(test["Fraud"].mean()), 4),
                "critical_rows": int((test["Critical Fraud"] == 2).sum()), "critical_weight": model.weight})
    return out


@dataclass
class Ranked:
    """A scored file: the selection list's rows with their reasons."""

    rows: list[dict[str, Any]]
    scored: int
    score: np.ndarray
    fraud: np.ndarray
    critical: np.ndarray


def rank(model: risk.RiskModel, frame: pd.DataFrame, *, budget: float, exploration: float, mode: str,
         seed: int = 0, stage: risk.Progress | None = None) -> Ranked:
    """The selection list of `frame`: rank, kind (score or exploration), scores and reasons.
    `stage` is told the name of each stage as it ends (features, predict, select, reasons, list)."""
    done = stage or (lambda _name: None)
    x = model.features(frame)
    done("features")
    fraud, critical, score = model.probabilities(x)
    done("predict")
    chosen = risk.select(score, fraud, budget=budget, exploration=exploration, mode=mode, seed=seed)
    done("select")
    rows = chosen.rows
    reasons = model.reasons(x, rows)
    done("reasons")
    explore = set(chosen.explore.tolist())
    refs = frame["Declaration ID"].to_numpy()[rows]
    days = frame["date"].to_numpy()[rows].astype("datetime64[D]").astype(str)
    unknown = frame["hs_unknown"].to_numpy()[rows]
    out = []
    for place, (row, why) in enumerate(zip(rows.tolist(), reasons, strict=True), start=1):
        i = place - 1
        out.append({"rank": place, "declaration": str(refs[i]), "date": str(days[i]),
                    "kind": "exploration" if row in explore else "score",
                    "score": round(float(score[row]), 4), "fraud": round(float(fraud[row]), 4),
                    "critical": round(float(critical[row]), 4), "hs_unknown": bool(unknown[i]), "reasons": why})
    done("list")
    return Ranked(out, int(np.size(score)), score, fraud, critical)


# --- Declarations in the database: import, the day's selection list, inspection results. ---------

register(Action("trade.import", "record.create",
                "import customs declarations (and inspection results) as one's agency"))
register(Action("trade.select", "record.view",
                "score one's agency's declarations of a day and draw its selection list with reasons"))
register(Action("trade.list", "record.view", "read a day's selection list or the declarations one may see"))
register(Action("trade.read", "record.view", "read one declaration one may see, its score, reasons and results"))
register(Action("trade.inspect", "record.create",
                "record the result of inspecting a declaration one may see (shared with a joint partner)"))

TRADE_DISTRIBUTIONS = ("agency", "national", "joint")
#: the longest note an inspection's result keeps (the API's schema holds the same limit)
NOTE_MAX = 2000


def object_ref(row: TradeDeclaration) -> tuple[str, str]:
    """How the audit log names a declaration: its table and id, with its owner."""
    return (f"trade_declaration:{row.id}", row.owner_agency)


def _sharing(distribution: str, joint_agency: str | None, marking: str) -> tuple[str, str | None, int]:
    if distribution not in TRADE_DISTRIBUTIONS:
        raise InvalidInput(f"unknown distribution {distribution!r}",
                           details=[{"field": "distribution", "allowed": list(TRADE_DISTRIBUTIONS)}])
    if (distribution == "joint") != bool(joint_agency):
        raise InvalidInput("a joint distribution names its partner agency (and only a joint one does)",
                           details=[{"field": "joint_agency"}])
    return distribution, joint_agency or None, markings.rank(marking)


def _within_clearance(actor: Actor, rank: int, marking: str) -> None:
    """Refuse writing a row marked above the writer's clearance: it could not see what it wrote."""
    if rank > actor.clearance_rank:
        raise InvalidInput(f"marking {marking} is above your clearance ({actor.clearance})",
                           details=[{"field": "marking"}])


def import_declarations(session: Session, actor: Actor, frame: pd.DataFrame, *, source: dict[str, str],
                        distribution: str = "agency", joint_agency: str | None = None,
                        marking: str = "TLP:AMBER") -> dict[str, int]:
    """Store a checked file's declarations as the actor's agency; a labelled file's results become
    inspections.
    Idempotent: a reference the agency already holds, as far as the actor may see, is skipped.

    A reference held only by rows the actor may not see (marked above its clearance) is imported
    anew, at the actor's marking: references are unique per agency and marking, so the answer is
    the same whether or not a hidden row exists."""
    require(actor, "trade.import")
    distribution, joint_agency, rank = _sharing(distribution, joint_agency, marking)
    _within_clearance(actor, rank, marking)
    if joint_agency is not None and session.get(Agency, joint_agency) is None:
        raise InvalidInput(f"unknown agency {joint_agency!r}", details=[{"field": "joint_agency"}])
    held = set(session.scalars(select(TradeDeclaration.reference).where(
        TradeDeclaration.owner_agency == actor.agency, visible_trade(actor, TradeDeclaration),
        TradeDeclaration.reference.in_(frame["Declaration ID"].tolist()))))
    policy = {"owner_agency": actor.agency, "owner_country": actor.country, "distribution": distribution,
              "marking": marking, "marking_rank": rank, "case_id": None, "joint_agency": joint_agency}
    labelled = "Fraud" in frame.columns
    added = results = 0
    new: list[tuple[TradeDeclaration, pd.Series]] = []
    for _, line in frame.iterrows():
        if line["Declaration ID"] in held:
            continue
        row = TradeDeclaration(reference=line["Declaration ID"], declared_on=line["date"].date(),
                               fields=json.dumps({c: line[c] for c in declarations.COLUMNS}, ensure_ascii=False),
                               hs_unknown=bool(line["hs_unknown"]), reasons="[]", created_by=actor.user_id,
                               **policy)
        session.add(row)
        new.append((row, line))
        added += 1
    session.flush()
    if labelled:
        for row, line in new:
            session.add(TradeInspection(declaration_id=row.id, fraud=int(line["Fraud"]),
                                        critical=int(line["Critical Fraud"]), note="imported",
                                        inspected_by=actor.user_id, **policy))
            results += 1
    audit.record(session, action="trade.import", actor=actor, objects=[object_ref(r) for r, _ in new[:1000]],
                 extra={**source, "declarations": added, "results": results, "skipped": len(held)})
    return {"declarations": added, "results": results, "skipped": len(held)}


def _frame_of(rows: list[TradeDeclaration]) -> pd.DataFrame:
    """The rows as a checked frame whose `Declaration ID` is each row's id: one agency may hold a
    reference at several markings (a copy imported below a colleague's clearance), and a viewer
    cleared for both sees two rows of it."""
    text = pd.DataFrame([{**json.loads(r.fields), "Declaration ID": str(r.id)} for r in rows],
                        columns=declarations.COLUMNS)
    return declarations.parse(text.to_csv(index=False), "the database")


@dataclass
class Pick:
    """A scored declaration as one viewer sees it: its place on the day's list ranked among what that
    viewer may see (None when not picked) and its reasons (names alone when their values are not the
    viewer's to see, `policy.may_see_reason_values`)."""

    row: TradeDeclaration
    rank: int | None
    kind: str | None
    reasons: list[dict[str, Any]]
    score: float | None = None  # None when not scored, or its model's output is not the viewer's


def _draw_of(row: TradeDeclaration) -> dict[str, Any]:
    return json.loads(row.draw) if row.draw else {}


def _output_shown(actor: Actor, draw: dict[str, Any]) -> bool:
    """Whether the scores, places and reasons of a draw are the actor's to see: its model learned only
    from what the actor may see (a draw recorded without its model's scope shows to nobody)."""
    scope = draw.get("scope")
    return scope is not None and bool(may_see_model_output(actor, scope))


def shown_reasons(actor: Actor, row: TradeDeclaration) -> list[dict[str, Any]]:
    """The reasons of a scored declaration as `actor` may see them: with values and contributions,
    or the features' names alone; none when its model's output is not the actor's."""
    reasons: list[dict[str, Any]] = json.loads(row.reasons)
    draw = _draw_of(row)
    if not _output_shown(actor, draw):
        return []
    if may_see_reason_values(actor, owner_agency=row.owner_agency, drawn_clearance_rank=int(draw["clearance_rank"])):
        return reasons
    return [{"feature": r["feature"], "value": None, "contribution": None} for r in reasons]


def _ranked(actor: Actor, rows: list[TradeDeclaration]) -> list[Pick]:
    """The picks of the scored rows `actor` may see (of one day), in order: each agency's latest draw
    among them redrawn over them alone, so the list depends on nothing the actor may not see."""
    picks: list[Pick] = []
    for agency in sorted({r.owner_agency for r in rows}):
        # a draw stored before draws were rows (no `draw_id`) has no scope to check: it shows to nobody
        theirs = sorted((r for r in rows if r.owner_agency == agency and r.draw_id is not None), key=lambda r: r.id)
        if not theirs:
            continue
        latest = max(r.draw_id for r in theirs if r.draw_id is not None)
        # one place per declaration: of the rows of one reference the viewer sees (copies at several
        # markings), the first stored
        first: dict[str, TradeDeclaration] = {}
        for r in theirs:
            if r.draw_id == latest:
                first.setdefault(r.reference, r)
        members = list(first.values())
        draw = _draw_of(members[0])
        if not _output_shown(actor, draw):  # learned from what the actor may not see: no list at all
            continue
        score = np.array([r.score for r in members], dtype=float)
        fraud = np.array([r.fraud_probability for r in members], dtype=float)
        chosen = risk.select(score, fraud, budget=float(draw["budget"]), exploration=float(draw["exploration"]),
                             mode=str(draw["mode"]), seed=int(draw["seed"]))
        explore = set(chosen.explore.tolist())
        picks.extend(Pick(members[i], place, "exploration" if i in explore else "score",
                          shown_reasons(actor, members[i]), members[i].score)
                     for place, i in enumerate(chosen.rows.tolist(), start=1))
    return picks


def check_model_scope(actor: Actor, model: risk.RiskModel, action: str) -> None:
    """Refuse `action` (scoring) for `actor` with a model that learned from rows it may not see: a
    policy refusal, so the caller's unit of work audits it as a denial."""
    learned = may_see_model_output(actor, model.scope)
    if not learned:
        raise Forbidden(f"this model cannot score for you: {learned.reason}; use one trained on what you may see",
                        action=action)


def select_day(session: Session, actor: Actor, model: risk.RiskModel, day: date, *, budget: float,
               exploration: float, mode: str = "uncertainty", seed: int = 0) -> list[Pick]:
    """Score the actor's agency's declarations of `day` that it may see, with the reasons of each,
    and draw the day's selection list. Rows it may not see keep their earlier draw, which no longer
    shows once this one is the latest."""
    require(actor, "trade.select")
    check_model_scope(actor, model, "trade.select")
    rows = list(session.scalars(select(TradeDeclaration).where(
        TradeDeclaration.owner_agency == actor.agency, TradeDeclaration.declared_on == day,
        visible_trade(actor, TradeDeclaration)).order_by(TradeDeclaration.id)))
    if not rows:
        raise InvalidInput(f"no declarations of {day.isoformat()} to score", details=[{"field": "day"}])
    frame = _frame_of(rows)
    by_id = {str(r.id): r for r in rows}
    x, fraud, critical, score = model.predict(frame)
    risk.select(score, fraud, budget=budget, exploration=exploration, mode=mode, seed=seed)  # refuses bad shares
    # every row's reasons, not only the drawer's picks: a viewer who sees fewer rows picks others
    reasons = model.reasons(x, np.arange(len(frame)))
    drawn = TradeDraw(agency=actor.agency, clearance_rank=actor.clearance_rank, drawn_at=utcnow())
    session.add(drawn)
    session.flush()
    session.add_all(TradeDrawScope(draw_id=drawn.id, agency=actor.agency, **{k: row[k] for k in TRADE_SCOPE_FIELDS})
                    for row in model.scope)
    draw = json.dumps({"id": drawn.drawn_at.isoformat(), "budget": budget, "exploration": exploration,
                       "mode": mode, "seed": seed, "clearance_rank": actor.clearance_rank, "scope": model.scope})
    for i, ident in enumerate(frame["Declaration ID"]):
        row = by_id[ident]
        row.score, row.fraud_probability = float(score[i]), float(fraud[i])
        row.critical_probability = float(critical[i])
        row.reasons, row.draw, row.draw_id = json.dumps(reasons[i], ensure_ascii=False), draw, drawn.id
        row.selection_kind, row.selection_rank = None, None
    chosen = _ranked(actor, rows)
    for pick in chosen:
        pick.row.selection_kind, pick.row.selection_rank = pick.kind, pick.rank
    session.flush()
    audit.record(session, action="trade.select", actor=actor, objects=[object_ref(p.row) for p in chosen],
                 extra={"day": day.isoformat(), "scored": len(rows), "selected": len(chosen), "budget": budget,
                        "exploration": exploration})
    return chosen


def _scored_of_day(session: Session, actor: Actor, day: date, agency: str | None = None) -> list[TradeDeclaration]:
    query = select(TradeDeclaration).where(TradeDeclaration.declared_on == day, TradeDeclaration.draw.is_not(None),
                                           visible_trade(actor, TradeDeclaration))
    if agency is not None:
        query = query.where(TradeDeclaration.owner_agency == agency)
    return list(session.scalars(query.order_by(TradeDeclaration.id)))


def selection_list(session: Session, actor: Actor, day: date) -> list[Pick]:
    """The day's selection list the actor may see, in order: per agency, its latest draw the actor
    sees a row of, redrawn among the rows the actor may see (ranks 1..n, nothing of hidden rows)."""
    require(actor, "trade.list")
    picks = _ranked(actor, _scored_of_day(session, actor, day))
    audit.record(session, action="trade.list", actor=actor, objects=[object_ref(p.row) for p in picks],
                 extra={"day": day.isoformat(), "rows": len(picks)})
    return picks


def latest_selection_day(session: Session, actor: Actor) -> date | None:
    """The latest day with a selection list the actor may see a row of (the page's default day): not a
    day whose draws came from a model whose output is not the actor's (it would list nothing)."""
    require(actor, "trade.list")
    # per day and agency, the latest draw among the rows the actor sees (as `_ranked` takes it); the
    # latest day one of which comes from a model whose output is the actor's
    latest = (select(TradeDeclaration.declared_on, func.max(TradeDeclaration.draw_id).label("draw_id"))
              .where(TradeDeclaration.draw_id.is_not(None), visible_trade(actor, TradeDeclaration))
              .group_by(TradeDeclaration.declared_on, TradeDeclaration.owner_agency).subquery())
    return session.scalar(select(func.max(latest.c.declared_on)).where(
        visible_model_output(actor, TradeDrawScope, TradeDrawScope.draw_id == latest.c.draw_id)))


def declaration(session: Session, actor: Actor, declaration_id: int, *, action: str = "trade.read"
                ) -> TradeDeclaration:
    """A declaration the actor may see; else NotFound, as for one that does not exist."""
    require(actor, action)
    fits = isinstance(declaration_id, int) and 0 < declaration_id < 2 ** 31  # an id the database can hold
    row = session.get(TradeDeclaration, declaration_id) if fits else None
    ident = f"trade_declaration:{declaration_id}"  # as object_ref names it: the owner's log finds the refusal
    if row is None:
        owner = None
        if fits:  # PostgreSQL's row-level security hid it: the denial still names its owner, for its auditors
            with system_context(session):
                owner = session.scalar(select(TradeDeclaration.owner_agency)
                                       .where(TradeDeclaration.id == declaration_id))
        raise NotFound("declaration", ident, action=action, owner=owner,
                       reason="not found" if owner is None else "hidden by row-level security")
    decision = may_see_trade(actor, owner_agency=row.owner_agency, owner_country=row.owner_country,
                             distribution=row.distribution, marking_rank=row.marking_rank, case_id=row.case_id,
                             joint_agency=row.joint_agency)
    if not decision:
        raise NotFound("declaration", ident, reason=decision.reason, action=action, owner=row.owner_agency)
    return row


def results_of(session: Session, actor: Actor, row: TradeDeclaration) -> list[TradeInspection]:
    """The inspection results of a declaration that the actor may see."""
    return list(session.scalars(select(TradeInspection).where(
        TradeInspection.declaration_id == row.id, visible_trade(actor, TradeInspection)
    ).order_by(TradeInspection.id)))


def read_declaration(session: Session, actor: Actor, declaration_id: int) -> tuple[Pick, list[TradeInspection]]:
    """A declaration the actor may see, with its place on the list as the actor sees it, and the
    results it may see."""
    row = declaration(session, actor, declaration_id)
    results = results_of(session, actor, row)
    shown = _output_shown(actor, _draw_of(row))
    place = Pick(row, None, None, shown_reasons(actor, row), row.score if shown else None)
    if row.draw:  # not picked, or its draw is no longer the latest, or another copy holds its place
        place = next((p for p in _ranked(actor, _scored_of_day(session, actor, row.declared_on, row.owner_agency))
                      if p.row.id == row.id), place)
    audit.record(session, action="trade.read", actor=actor, objects=[object_ref(row)])
    return place, results


def record_result(session: Session, actor: Actor, declaration_id: int, *, fraud: int, critical: int,
                  note: str = "", joint_agency: str | None = None, marking: str | None = None) -> TradeInspection:
    """Record what an inspection found; a joint inspection's result is shared with its partner."""
    row = declaration(session, actor, declaration_id, action="trade.inspect")
    if fraud not in (0, 1) or critical not in (0, 1, 2) or (fraud == 0) != (critical == 0):
        raise InvalidInput("fraud is 0 or 1, critical 0, 1 or 2, and critical is 0 exactly when fraud is",
                           details=[{"field": "critical"}])
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"a note holds at most {NOTE_MAX} characters", details=[{"field": "note"}])
    distribution, joint, rank = _sharing("joint" if joint_agency else "agency", joint_agency,
                                         marking or row.marking)
    if joint is not None and session.get(Agency, joint) is None:
        raise InvalidInput(f"unknown agency {joint!r}", details=[{"field": "joint_agency"}])
    result = TradeInspection(declaration_id=row.id, fraud=fraud, critical=critical, note=note,
                             joint_agency=joint, inspected_by=actor.user_id, owner_agency=actor.agency,
                             owner_country=actor.country, distribution=distribution,
                             marking=marking or row.marking, marking_rank=rank, case_id=row.case_id)
    session.add(result)
    if joint is not None and row.distribution == "agency" and row.owner_agency == actor.agency:
        row.distribution, row.joint_agency = "joint", joint  # the partner of the inspection sees what it inspected
    session.flush()
    audit.record(session, action="trade.inspect", actor=actor, objects=[object_ref(row)],
                 extra={"result": result.id, "fraud": fraud, "critical": critical, "joint_agency": joint})
    return result


def _training_pairs(session: Session, actor: Actor) -> list[tuple[TradeDeclaration, TradeInspection]]:
    """The inspected declarations the actor may see, each with its latest visible result (audited)."""
    require(actor, "trade.list")
    latest = (select(TradeInspection.declaration_id, func.max(TradeInspection.id).label("last"))
              .where(visible_trade(actor, TradeInspection)).group_by(TradeInspection.declaration_id).subquery())
    pairs = session.execute(select(TradeDeclaration, TradeInspection)
                            .join(latest, latest.c.declaration_id == TradeDeclaration.id)
                            .join(TradeInspection, TradeInspection.id == latest.c.last)
                            .where(visible_trade(actor, TradeDeclaration))).all()
    audit.record(session, action="trade.list", actor=actor, objects=[object_ref(d) for d, _ in pairs[:1000]],
                 extra={"for": "training", "rows": len(pairs)})
    if not pairs:
        raise InvalidInput("no inspected declarations to learn from")
    return [(d, i) for d, i in pairs]


def training_frame(session: Session, actor: Actor) -> pd.DataFrame:
    """The inspected declarations the actor may see, each with its latest visible result, as a
    labelled frame for retraining (inspection results fed back)."""
    return _labelled(_training_pairs(session, actor))


def _labelled(pairs: list[tuple[TradeDeclaration, TradeInspection]]) -> pd.DataFrame:
    # one row per declaration: of its copies at several markings, the one with the latest result
    latest_of = {f"{d.owner_agency}:{d.reference}": (d, i) for d, i in sorted(pairs, key=lambda p: p[1].id)}
    table = pd.DataFrame([{**json.loads(d.fields), "Declaration ID": key,
                           "Fraud": str(i.fraud), "Critical Fraud": str(i.critical)}
                          for key, (d, i) in latest_of.items()], columns=declarations.COLUMNS + declarations.LABELS)
    return declarations.parse(table.to_csv(index=False), "the database", labels=True)


def training_scope(rows: list[TradeDeclaration | TradeInspection]) -> list[dict[str, Any]]:
    """The distinct policy columns of the rows a model learns from: who may see what it derives
    (`policy.may_see_model_output`)."""
    distinct = {tuple(getattr(r, k) for k in TRADE_SCOPE_FIELDS) for r in rows}
    return [dict(zip(TRADE_SCOPE_FIELDS, t, strict=True)) for t in sorted(distinct, key=repr)]


def training_data(session: Session, actor: Actor) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The labelled frame of `training_frame` and its scope, to set on the model trained on it: what
    the model derives shows only to who may see all it learned from. Every copy and result the actor
    sees counts in the scope, kept in the frame or not: each may shape it."""
    pairs = _training_pairs(session, actor)
    return _labelled(pairs), training_scope([r for pair in pairs for r in pair])


def split_by_date(frame: pd.DataFrame, share: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The earlier days for training and the last `share` of the days for validation."""
    days = np.sort(frame["date"].unique())
    if len(days) < 2:
        raise InvalidInput("the inspected declarations span a single day: nothing to validate on")
    cut = days[max(int(len(days) * (1 - share)), 1)]
    return (frame[frame["date"] < cut].reset_index(drop=True), frame[frame["date"] >= cut].reset_index(drop=True))


# --- Trade indicators: BTS TransBorder freight flows. ---------------------------------------------

register(Action("trade.flows.import", "agency.manage",
                "import BTS TransBorder freight tables (public statistics; the node operator or a node administrator)"))
register(Action("trade.indicators", "", "read trade indicators of the TransBorder freight flows"))

FLOW_COLUMNS = {"TRDTYPE": "trade_type", "USASTATE": "us_state", "DEPE": "port", "COMMODITY2": "commodity",
                "DISAGMOT": "mode", "MEXSTATE": "mex_state", "CANPROV": "can_province", "COUNTRY": "country",
                "VALUE": "value", "SHIPWT": "weight", "FREIGHT_CHARGES": "freight", "DF": "domestic_foreign",
                "CONTCODE": "containerized", "YEAR": "year", "MONTH": "month"}


def import_flows(session: Session, actor: Actor | None, tables: dict[int, pd.DataFrame], *,
                 source: dict[str, Any]) -> dict[str, int]:
    """Store checked TransBorder tables; a month already held for a table is replaced (idempotent)."""
    require(actor, "trade.flows.import", operator=True)
    counts: dict[str, int] = {}
    for number, frame in sorted(tables.items()):
        months = frame[["YEAR", "MONTH"]].drop_duplicates().itertuples(index=False)
        replaced = 0
        for year, month in months:
            gone = session.execute(delete(TradeFlow).where(
                TradeFlow.source_table == number, TradeFlow.year == int(year), TradeFlow.month == int(month)))
            replaced += int(getattr(gone, "rowcount", 0) or 0)
        rows = frame.rename(columns=FLOW_COLUMNS)
        for column in FLOW_COLUMNS.values():
            if column not in rows.columns:
                rows[column] = ""
        records = rows[list(FLOW_COLUMNS.values())].assign(source_table=number).to_dict("records")
        for start in range(0, len(records), 5000):
            session.execute(insert(TradeFlow), records[start:start + 5000])
        counts[f"table{number}"] = len(records)
        counts[f"table{number}_replaced"] = replaced
    audit.record(session, action="trade.flows.import", actor=actor, objects=[], extra={**source, **counts})
    return counts


def indicators(session: Session, actor: Actor, codes: bts.Codes | None = None, *, country: str = bts.MEXICO,
               year: int | None = None, month: int | None = None, top: int = 10) -> dict[str, Any]:
    """Value and weight by trade type, port, mode, commodity and US state, the monthly trend and the
    top corridors (port × Mexican state or Canadian province), for trade with `country`."""
    require(actor, "trade.indicators")

    def where(table: int) -> list[Any]:
        clauses = [TradeFlow.source_table == table, TradeFlow.country == country]
        if year is not None:
            clauses.append(TradeFlow.year == year)
        if month is not None:
            clauses.append(TradeFlow.month == month)
        return clauses

    def name(kind: str, code: str) -> str:
        return codes.name(kind, code) if codes is not None else code

    def summed(table: int, *columns: Any, limit: int | None = None) -> list[dict[str, Any]]:
        value, weight = func.sum(TradeFlow.value), func.sum(TradeFlow.weight)
        query = (select(*columns, TradeFlow.trade_type, value, weight).where(*where(table))
                 .group_by(*columns, TradeFlow.trade_type))
        totals: dict[tuple[Any, ...], dict[str, int]] = {}
        for *keys, kind, v, w in session.execute(query):
            entry = totals.setdefault(tuple(keys), {"exports": 0, "imports": 0, "export_kg": 0, "import_kg": 0})
            side = "exports" if kind == "1" else "imports"
            entry[side] += int(v or 0)
            entry["export_kg" if kind == "1" else "import_kg"] += int(w or 0)
        ordered = sorted(totals.items(), key=lambda kv: (-(kv[1]["exports"] + kv[1]["imports"]), kv[0]))
        return [{"key": list(k), **v, "total": v["exports"] + v["imports"]} for k, v in ordered[:limit]]

    trade = summed(1)
    ports = [{"port": r["key"][0], "name": name("port", r["key"][0]), **_amounts(r)}
             for r in summed(1, TradeFlow.port, limit=top)]
    modes = [{"mode": r["key"][0], "name": name("mode", r["key"][0]), **_amounts(r)} for r in summed(1, TradeFlow.mode)]
    commodities = [{"commodity": r["key"][0], "name": name("commodity", r["key"][0]), **_amounts(r)}
                   for r in summed(2, TradeFlow.commodity, limit=top)]
    states = [{"state": r["key"][0], "name": name("us_state", r["key"][0]), **_amounts(r)}
              for r in summed(1, TradeFlow.us_state, limit=top)]
    partner = TradeFlow.mex_state if country == bts.MEXICO else TradeFlow.can_province
    partner_kind = "mexican_state" if country == bts.MEXICO else "canadian_province"
    corridors = [{"port": r["key"][0], "port_name": name("port", r["key"][0]), "region": r["key"][1],
                  "region_name": name(partner_kind, r["key"][1]), **_amounts(r)}
                 for r in summed(1, TradeFlow.port, partner, limit=top)]
    trend = [{"year": r["key"][0], "month": r["key"][1], **_amounts(r)}
             for r in sorted(summed(1, TradeFlow.year, TradeFlow.month), key=lambda r: tuple(r["key"]))]
    audit.record(session, action="trade.indicators", actor=actor, objects=[],
                 extra={"country": country, "year": year, "month": month})
    return {"country": country, "year": year, "month": month, "trade": _amounts(trade[0]) if trade else {},
            "ports": ports, "modes": modes, "commodities": commodities, "states": states,
            "corridors": corridors, "trend": trend}


def _amounts(row: dict[str, Any]) -> dict[str, int]:
    return {k: row[k] for k in ("exports", "imports", "total", "export_kg", "import_kg")}


# --- Ports: CBP Border Wait Times snapshots. -------------------------------------------------------

register(Action("trade.ports.import", "agency.manage",
                "import a CBP Border Wait Times snapshot (the node operator, or its scheduled poll)"))
register(Action("trade.ports", "", "read the conditions and wait-time history of the ports of entry"))


def import_waits(session: Session, actor: Actor | None, observations: list[ports.Observation], *,
                 source: dict[str, Any]) -> dict[str, int]:
    """Store a snapshot's observations; one already held (crossing, lane, reported time) is skipped."""
    require(actor, "trade.ports.import", operator=True)
    keys = {(o.port_number, o.lane, o.reported_at) for o in observations}
    times = {o.reported_at for o in observations}
    held = set()
    if times:
        held = {tuple(r) for r in session.execute(select(PortWait.port_number, PortWait.lane, PortWait.reported_at)
                                                  .where(PortWait.reported_at.in_(sorted(times))))}
    new = [o for o in observations if (o.port_number, o.lane, o.reported_at) not in held]
    unique = {(o.port_number, o.lane, o.reported_at): o for o in new}
    if unique:
        session.execute(insert(PortWait), [vars(o) for o in unique.values()])
    counts = {"observations": len(unique), "skipped": len(keys) - len(unique)}
    audit.record(session, action="trade.ports.import", actor=actor, objects=[], extra={**source, **counts})
    return counts


def port_conditions(session: Session, actor: Actor, *, border: str | None = "Mexican Border",
                    port_number: str | None = None, limit: int = 500) -> dict[str, Any]:
    """The latest report of every crossing (each lane's status, delay, lanes open) or, for one
    crossing, its history per lane type."""
    require(actor, "trade.ports")
    if port_number is not None:
        rows = session.scalars(select(PortWait).where(PortWait.port_number == port_number)
                               .order_by(PortWait.reported_at.desc(), PortWait.lane).limit(limit)).all()
        history: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            history.setdefault(r.lane, []).append({"reported_at": r.reported_at.isoformat(), "status": r.status,
                                                    "delay_minutes": r.delay_minutes, "lanes_open": r.lanes_open})
        audit.record(session, action="trade.ports", actor=actor, objects=[], extra={"port": port_number})
        return {"port_number": port_number, "name": f"{rows[0].port_name} {rows[0].crossing_name}".strip()
                if rows else None, "history": history}
    latest = (select(PortWait.port_number, func.max(PortWait.reported_at).label("at"))
              .group_by(PortWait.port_number).subquery())
    query = (select(PortWait).join(latest, (latest.c.port_number == PortWait.port_number)
                                   & (latest.c.at == PortWait.reported_at)))
    if border:
        query = query.where(PortWait.border == border)
    crossings: dict[str, dict[str, Any]] = {}
    for r in session.scalars(query.order_by(PortWait.port_name, PortWait.crossing_name, PortWait.lane)):
        entry = crossings.setdefault(r.port_number, {"port_number": r.port_number, "port": r.port_name,
                                                     "crossing": r.crossing_name, "status": r.port_status,
                                                     "reported_at": r.reported_at.isoformat(), "lanes": {}})
        entry["lanes"][r.lane] = {"status": r.status, "delay_minutes": r.delay_minutes, "lanes_open": r.lanes_open,
                                  "maximum_lanes": r.maximum_lanes}
    audit.record(session, action="trade.ports", actor=actor, objects=[], extra={"border": border})
    return {"border": border, "crossings": list(crossings.values())}

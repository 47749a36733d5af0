"""Statistics of movements that both countries can reconcile, and the official series beside them.

The cuts are those of the DHS repatriation tables (by fiscal month and citizenship) and of Mexico's
repatriation events (by point of reception, sex, age group, minors by accompaniment): counted from the
manifests people boarded, so the sender's "removed" and the receiver's "received" come from the same
lines, and their difference is the hand-over receipts' flagged differences. Strike-offs are counted by
their partner code for everyone. Each line carries the type of order the person is returned under,
so both sides cut by the DHS repatriation type (Removals, Enforcement Returns) and detailed type, by
fiscal month as the KHSM "Repatriation Type" sheet writes them, and reconcile each type: what was
sent, what the receiver confirmed on unflagged receipts, and what stands on flagged ones. The gate
behind a pull, and the days from final order to removal, are the sender's alone (they read its case
files).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, require, visible_case_files, visible_movements, visible_public_figures
from binational.audit import log as audit
from binational.repatriation.confidential import REPATRIATION_TYPES, age_group, partner_status
from binational.repatriation.models import Detainee, GateResult, ManifestLine, Movement, OfficialFigure

register(Action("repatriation.statistics", "record.view",
                "statistics of the movements one's agency is a party to, beside the official series"))

MOVED = ("departed", "received", "reconciled")
MONTHS = ("October", "November", "December", "January", "February", "March", "April", "May", "June", "July",
          "August", "September")


def fiscal_month(day: date) -> tuple[int, str]:
    """The US fiscal year and month label of a day, as the DHS tables write them ("01 October")."""
    year = day.year + 1 if day.month >= 10 else day.year
    index = (day.month - 10) % 12
    return year, f"{index + 1:02d} {MONTHS[index]}"


def _cut(rows: list[tuple[str, int]]) -> list[dict[str, Any]]:
    counter: Counter[str] = Counter()
    for key, n in rows:
        counter[key] += n
    return [{"key": k, "count": v} for k, v in sorted(counter.items())]


def statistics(*, session: Session, actor: Actor, date_from: date | None = None,
               date_to: date | None = None) -> dict[str, Any]:
    """The cuts over the movements the actor's agency is a party to that have left (audited)."""
    require(actor, "repatriation.statistics")
    query = select(Movement).where(visible_movements(actor, Movement), Movement.state.in_(MOVED))
    if date_from:
        query = query.where(Movement.date >= date_from)
    if date_to:
        query = query.where(Movement.date <= date_to)
    movements = {m.id: m for m in session.execute(query.order_by(Movement.date, Movement.id)).scalars()}
    lines = list(session.execute(select(ManifestLine).where(
        ManifestLine.movement_id.in_(sorted(movements)), visible_movements(actor, ManifestLine))).scalars()
    ) if movements else []
    aboard = [line for line in lines if line.status == "boarded"]

    def by(key: Any) -> list[dict[str, Any]]:
        return _cut([(key(line, movements[line.movement_id]), 1) for line in aboard])

    received_by_month: Counter[str] = Counter()
    for m in movements.values():
        receipt = json.loads(m.receipt or "{}").get("counts") or {}
        received_by_month[m.date.strftime("%Y-%m")] += sum(receipt.get(k, 0) for k in
                                                           ("adults", "children", "unaccompanied_children"))
    sent_by_month = Counter(movements[line.movement_id].date.strftime("%Y-%m") for line in aboard)
    result: dict[str, Any] = {
        "movements": len(movements),
        "removed": len(aboard),
        "by_month": by(lambda li, m: m.date.strftime("%Y-%m")),
        "by_fiscal_month": by(lambda li, m: "{} {}".format(*fiscal_month(m.date))),
        "by_point": by(lambda li, m: m.point),
        "by_mode": by(lambda li, m: m.mode),
        "by_nationality": by(lambda li, m: li.nationality),
        "by_sex": by(lambda li, m: li.sex),
        "by_age_group": by(lambda li, m: age_group(li.birth_date, m.date)),
        "by_category": by(lambda li, m: li.category),
        "by_type": by(lambda li, m: _types(li)[0]),
        "by_detailed_type": by(lambda li, m: "{} / {}".format(*_types(li))),
        "by_fiscal_month_type": by(lambda li, m: "{} {} / {}".format(*fiscal_month(m.date), _types(li)[0])),
        "reconciliation_by_type": _by_type(aboard, movements),
        "family_units": len({(li.movement_id, li.family_group) for li in aboard if li.family_group}),
        "seat_use": [{"movement_id": m.id, "date": m.date.isoformat(), "mode": m.mode, "point": m.point,
                      "capacity": m.capacity, "boarded": sum(1 for li in aboard if li.movement_id == m.id),
                      "use": round(sum(1 for li in aboard if li.movement_id == m.id) / m.capacity, 4)}
                     for m in movements.values()],
        "out_of_hours": [{"movement_id": m.id, "point": m.point, "reason": m.out_of_hours_reason}
                         for m in movements.values() if m.out_of_hours_reason],
        "strike_offs": _cut([(partner_status(li.status), 1) for li in lines if li.status not in ("listed", "boarded")]),
        "reconciliation": [{"month": month, "sent": sent_by_month.get(month, 0),
                            "received": received_by_month.get(month, 0),
                            "difference": received_by_month.get(month, 0) - sent_by_month.get(month, 0)}
                           for month in sorted(set(sent_by_month) | set(received_by_month))],
        "flagged": sorted(m.id for m in movements.values() if m.flagged),
    }
    own = [m.id for m in movements.values() if m.from_agency == actor.agency]
    if own:
        result.update(_sender_only(session, actor, own, [li for li in aboard if li.movement_id in set(own)],
                                   movements))
    audit.record(session, action="repatriation.statistics", actor=actor,
                 objects=[(m.id, m.from_agency) for m in movements.values()], extra={"movements": len(movements)})
    return result


def _types(line: ManifestLine) -> tuple[str, str]:
    return REPATRIATION_TYPES.get(line.repatriation_type, REPATRIATION_TYPES["other"])


def _by_type(aboard: list[ManifestLine], movements: dict[str, Movement]) -> list[dict[str, Any]]:
    """For each repatriation type: people sent (boarded on a movement that left), confirmed by the
    receiver on a receipt that matched the manifest, and on receipts flagged for a difference or not
    yet given (the figures both sides must settle)."""
    rows: dict[str, dict[str, Any]] = {}
    for line in aboard:
        kind = _types(line)[0]
        row = rows.setdefault(kind, {"type": kind, "sent": 0, "confirmed": 0, "unsettled": 0})
        movement = movements[line.movement_id]
        row["sent"] += 1
        settled = movement.state in ("received", "reconciled") and not movement.flagged
        row["confirmed" if settled else "unsettled"] += 1
    return [rows[k] for k in sorted(rows)]


def _sender_only(session: Session, actor: Actor, own: list[str], aboard: list[ManifestLine],
                 movements: dict[str, Movement]) -> dict[str, Any]:
    """What only the sender reads: the gate behind each pull, days from final order to removal."""
    gates = session.execute(select(GateResult.gate).where(
        GateResult.movement_id.in_(own), GateResult.stage == "boarding", GateResult.passed.is_(False),
        visible_case_files(actor, GateResult))).scalars()
    finals = dict(session.execute(select(Detainee.id, Detainee.order_final_on).where(
        Detainee.id.in_([li.detainee_id for li in aboard]), visible_case_files(actor, Detainee))).all())
    days = []
    for li in aboard:
        final = finals.get(li.detainee_id)
        if final is not None:
            days.append((movements[li.movement_id].date - final).days)
    return {
        "pulled_by_gate": _cut([(g, 1) for g in gates]),
        "days_final_order_to_removal": {"count": len(days), "median": median(days) if days else None,
                                        "max": max(days) if days else None,
                                        "over_90": sum(1 for d in days if d > 90)},
    }


def official_series(*, session: Session, actor: Actor, series: str, dimension: str | None = None,
                    value: str | None = None, agency: str | None = None) -> list[dict[str, Any]]:
    """Totals by period of one agency's copy of an imported official series (the reader's own unless
    it names another's), optionally for one value of one dimension: no agency's upload changes the
    figures another reads."""
    require(actor, "repatriation.statistics")
    copy = agency or actor.agency
    rows = session.execute(select(OfficialFigure.period, OfficialFigure.dimensions, OfficialFigure.quantity)
                           .where(OfficialFigure.series == series, OfficialFigure.imported_by == copy,
                                  visible_public_figures(actor, OfficialFigure))
                           .order_by(OfficialFigure.period))
    totals: Counter[str] = Counter()
    for period, dims, quantity in rows:
        if dimension is not None and json.loads(dims).get(dimension) != value:
            continue
        totals[period] += quantity
    audit.record(session, action="repatriation.statistics", actor=actor, extra={"series": series, "agency": copy})
    return [{"period": p, "quantity": q} for p, q in sorted(totals.items())]

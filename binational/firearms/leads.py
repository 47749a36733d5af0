"""Leads from the traces a viewer may see: time-to-crime, source states and dealers, corridors from
purchase state to recovery state, and straw-purchase signals with their evidence.

Everything is computed from the trace results the policy shows the viewer (the tracing agency sees
all of its results, a requester those released to it), the multiple-sale reports it may see, and the
network it may see; nothing else counts, so no figure tells of a record the viewer may not see.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access.actions import Action, register
from binational.access.policy import Actor, require, visible, visible_trace_parts
from binational.audit import log as audit
from binational.firearms import markings
from binational.firearms.models import FirearmSale, MultipleSale, Trace, TraceResult

register(Action("firearms.leads", "record.view",
                "see leads from the traces one may see: time-to-crime, sources, corridors, straw-purchase signals"))

#: ATF's time-to-crime buckets (days from first retail sale to recovery), the last open-ended
BUCKETS = (("under_3_months", 91), ("3_to_7_months", 213), ("7_months_to_1_year", 365), ("1_to_2_years", 730),
           ("2_to_3_years", 1095), ("3_years_and_over", None))
#: under three years from sale to recovery is a trafficking indicator (ATF)
SHORT_TTC_DAYS = 1095
#: a multiple sale counts against a purchaser when it came at most this long before a recovery
MULTIPLE_SALE_WINDOW = timedelta(days=3 * 365)
#: how many distinct pieces of evidence flag a purchaser
FLAG_REASONS = 2
#: reasons that point at a purchaser and not only at the firearm: one of them must be among the flag's.
#: A short time-to-crime is also the mark of a stolen firearm, and does not flag a purchaser with the
#: firearm's other marks alone. One multiple-sale report is common among lawful buyers (a pair of
#: pistols for a couple); a purchaser reported again and again, at several dealers or days, buys in
#: bulk — ATF's repeat multiple-sale indicator.
STRONG = frozenset({"several_traces", "repeated_multiple_sales", "linked_to_organisation"})
#: shown with its evidence, never counted: a recovered firearm's possessor is almost never its US
#: purchaser, whether the firearm was trafficked or stolen, so it tells nothing of the purchaser
SHOWN_ONLY = frozenset({"purchaser_not_possessor"})
#: reasons drawn from the same records count as one piece of evidence: both multiple-sale reasons
#: are the purchaser's reports (a lawful buyer of two pairs, or two buyers of one common name, has both)
EVIDENCE = {"multiple_sales_before_recovery": "multiple_sales", "repeated_multiple_sales": "multiple_sales"}
#: multiple-sale reports of one purchaser that make the repeat indicator (`_repeated`)
REPEATED_REPORTS = 2
#: the form of a multiple sale of handguns (ATF F 3310.4; rifles are F 3310.12)
HANDGUN_FORM = "3310.4"


@dataclass
class Signal:
    """A purchaser with the reasons to suspect straw purchases, each with its evidence (ids)."""

    purchaser: str
    reasons: dict[str, list[str]] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        evidence = {EVIDENCE.get(r, r) for r in self.reasons if r not in SHOWN_ONLY}
        return len(evidence) >= FLAG_REASONS and bool(STRONG & set(self.reasons))

    def as_dict(self) -> dict[str, Any]:
        return {"purchaser": self.purchaser, "flagged": self.flagged,
                "reasons": [{"reason": r, "evidence": ids} for r, ids in sorted(self.reasons.items())]}


def bucket(days: int) -> str:
    """The ATF time-to-crime bucket of a number of days."""
    for name, below in BUCKETS:
        if below is None or days < below:
            return name
    return BUCKETS[-1][0]


def _repeated(reports: list[MultipleSale], home: frozenset[str] = frozenset()) -> list[str]:
    """The ids of the multiple-sale reports that one purchaser of this name made, at most: distinct
    reports (a day's purchase at one dealer once, however it was filed), of handguns in one state
    only — a dealer sells a handgun only to a resident of its state (18 U.S.C. 922(b)(3)), so
    handgun reports of one name in two states are of two people — and of rifles anywhere. The state
    is `home` where the traces show the purchaser bought a handgun there (the namesake elsewhere is
    someone else), else the one with the most reports."""
    distinct = {(m.dealer, m.report_date): m for m in sorted(reports, key=lambda m: m.id)}
    rifles = [m.id for m in distinct.values() if m.form != HANDGUN_FORM]
    handguns: dict[str, list[str]] = defaultdict(list)
    for m in distinct.values():
        if m.form == HANDGUN_FORM:
            handguns[m.dealer_state].append(m.id)
    if home:
        return sorted(rifles + [i for state in home for i in handguns.get(state, [])])
    most = max(handguns.values(), key=lambda ids: (len(ids), sorted(ids)), default=[])
    return sorted(rifles + most)


def _rows(session: Session, actor: Actor) -> list[tuple[TraceResult, Trace]]:
    found = session.execute(
        select(TraceResult, Trace).join(Trace, Trace.id == TraceResult.trace_id)
        .where(visible_trace_parts(actor, TraceResult), visible_trace_parts(actor, Trace))
        .order_by(TraceResult.id))
    return [(result, trace) for result, trace in found]


def _organisation_ties(session: Session, actor: Actor, entity_ids: set[str],
                       owners: dict[str, str | None]) -> dict[str, list[str]]:
    """Purchaser entity id -> the organisations it is tied to, directly or through one other party, in
    the network the viewer may see (an organisation's straw purchaser knows a member, seldom the
    organisation itself); `owners` gains the owner agency of each organisation found (for the audit)."""
    if not entity_ids:
        return {}
    from binational.networks import service as networks  # the graph is built only when it is needed

    net = networks.load(session, actor)
    owner = {member: node.id for node in net.nodes.values() for member in node.members}
    orgs = {n.id for n in net.nodes.values() if n.schema in ("Organization", "Company")}
    near: dict[str, set[str]] = defaultdict(set)
    for link in net.links:
        near[link.source].add(link.target)
        near[link.target].add(link.source)
    found = {}
    for eid in entity_ids:
        node = owner.get(eid)
        if node is None:
            continue
        reach = near[node] | {far for mid in near[node] if mid not in orgs for far in near[mid]}
        tied = sorted((reach & orgs) - {node})
        if tied:
            found[eid] = tied
            for org in tied:
                held = net.nodes[org].owners
                owners[org] = held.get(org, next(iter(held.values()), None))
    return found


def leads(*, session: Session, actor: Actor, network: bool = True) -> dict[str, Any]:
    """The leads of the traces the actor may see; the view is audited naming the results it used."""
    require(actor, "firearms.leads")
    rows = _rows(session, actor)
    ttc = Counter(bucket(r.ttc_days) for r, _ in rows)
    states = Counter(r.dealer_state for r, _ in rows)
    dealers: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    corridors = Counter((r.dealer_state, t.recovery_state or t.recovery_place) for r, t in rows)
    signals: dict[str, Signal] = {}
    by_purchaser: dict[str, list[tuple[TraceResult, Trace]]] = defaultdict(list)
    for r, t in rows:
        counts = dealers[(r.dealer, r.dealer_state)]
        counts[0] += 1
        counts[1] += r.ttc_days < SHORT_TTC_DAYS
        by_purchaser[markings.person_key(r.purchaser)].append((r, t))
    sales = {s.id: s for s in session.execute(
        select(FirearmSale).where(FirearmSale.id.in_({r.sale_id for r, _ in rows}), visible(actor, FirearmSale))
    ).scalars()} if rows else {}
    reports: dict[str, list[MultipleSale]] = defaultdict(list)
    if by_purchaser:
        for report in session.execute(select(MultipleSale).where(
                MultipleSale.purchaser_key.in_(list(by_purchaser)), visible(actor, MultipleSale))).scalars():
            reports[report.purchaser_key].append(report)
    entity_of: dict[str, set[str]] = {key: set() for key in by_purchaser}
    for key, found in by_purchaser.items():
        for r, _ in found:
            eid = sales[r.sale_id].purchaser_entity_id if r.sale_id in sales else None
            if eid:
                entity_of[key].add(eid)
    linked = {eid for ids in entity_of.values() for eid in ids}
    shown: dict[str, str | None] = {}  # the records shown as evidence, with their owners (for the audit)
    ties = _organisation_ties(session, actor, linked, shown) if network and linked else {}
    for key, found in by_purchaser.items():
        signal = Signal(found[0][0].purchaser)
        traces = [t.id for _, t in found]
        if len(found) >= 2:
            signal.reasons["several_traces"] = traces
        short = [t.id for r, t in found if r.ttc_days < SHORT_TTC_DAYS]
        if short:
            signal.reasons["short_time_to_crime"] = short
        differs = [t.id for r, t in found if t.possessor and markings.person_key(t.possessor) != key]
        if differs:
            signal.reasons["purchaser_not_possessor"] = differs
        before = sorted({m.id for m in reports.get(key, []) for _, t in found
                         if t.recovered_on - MULTIPLE_SALE_WINDOW <= m.report_date <= t.recovered_on})
        if before:
            signal.reasons["multiple_sales_before_recovery"] = before
            shown.update((m.id, m.owner_agency) for m in reports[key] if m.id in before)
        home = frozenset(r.dealer_state for r, t in found if t.weapon_type in markings.HANDGUNS)
        repeated = _repeated(reports.get(key, []), home)
        if len(repeated) >= REPEATED_REPORTS:
            signal.reasons["repeated_multiple_sales"] = repeated
            shown.update((m.id, m.owner_agency) for m in reports[key] if m.id in repeated)
        orgs = sorted({o for eid in entity_of.get(key, ()) for o in ties.get(eid, [])})
        if orgs:
            signal.reasons["linked_to_organisation"] = orgs
        if signal.reasons:
            signals[key] = signal
    total = len(rows)
    short_total = sum(1 for r, _ in rows if r.ttc_days < SHORT_TTC_DAYS)
    objects: list[tuple[str, str | None]] = [(t.id, t.from_agency) for _, t in rows]
    audit.record(session, action="firearms.leads", actor=actor, objects=objects + sorted(shown.items()),
                 extra={"results": total})
    ordered = sorted(signals.values(), key=lambda s: (-s.flagged, -len(s.reasons), s.purchaser))
    return {
        "results": total,
        "time_to_crime": [{"bucket": name, "count": ttc.get(name, 0)} for name, _ in BUCKETS],
        "short_time_to_crime": short_total,
        "short_share": round(short_total / total, 4) if total else 0.0,
        "median_time_to_crime_days": sorted(r.ttc_days for r, _ in rows)[total // 2] if total else None,
        "source_states": [{"state": s, "count": n} for s, n in states.most_common()],
        "dealers": [{"dealer": d, "state": s, "count": c[0], "short_time_to_crime": c[1]}
                    for (d, s), c in sorted(dealers.items(), key=lambda kv: (-kv[1][0], kv[0]))],
        "corridors": [{"from_state": a, "to_state": b, "count": n} for (a, b), n in corridors.most_common()],
        "signals": [s.as_dict() for s in ordered],
    }

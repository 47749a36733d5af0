"""The one policy decision, as a pure function and as the equivalent SQL filter.

A record is visible to an actor when all three hold (docs/access.md):

1. release: the actor's agency owns it; or it is `national` and the actor's agency is of the
   owner's country; or it is not `agency` and an active release (of the record or of its case)
   names the actor's agency;
2. clearance: the record's marking is not above the actor's clearance;
3. need to know: the record is in no case, or the actor is a member of its case.

A statement is visible when its entity is, and its own marking (and, if `agency`, its own
distribution) also pass. `visible()` derives the same rules as SQL; a property test proves that
`can()` and `visible()` agree.

A record the viewer may not see can still answer a hit/no-hit query (discovery, resolution's
matches) with a bare "agency X holds something" — unless `may_answer_as_hit()` says no: a TLP:RED
record or value, a record of a restricted case, or a copy received from another node, never
answers as a hit (its owner is told instead). `answers_as_hit()` is its SQL form, held equal by the same property test.

Who reads the notices discovery leaves for a holder agency (deconfliction, sweeps) is
`may_read_discovery_notices()`, with its SQL form `discovery_notices_for()`. Judgements, requests
and audit entries have theirs too (`may_see_judgement`/`visible_judgements`, `may_see_request`/
`visible_requests`, `may_see_audit_entry`/`visible_audit_entries`, `may_see_audit_object`/
`visible_audit_objects`, the parts of a firearm trace `may_see_trace_part`/`visible_trace_parts`, the
link of a trace to its recovered firearm `may_see_trace_recovery`/`visible_trace_recoveries`, the
records a trace may be answered with `may_answer_trace_with`/`trace_answer_records`, and the flows
module's series `may_see_series`/`visible_series` (`may_see_flow_series` on a loaded one), whether
a viewer sees every value a resolution run read of a record, from the run's summary of them,
`may_see_every_value`/`sees_every_value`), each pair held equal by a test; who sees a record's readers on its page is
`may_see_readers()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists, false, or_, select, true

from binational.access.actions import ACTIONS
from binational.access.markings import RANK
from binational.access.models import Release
from binational.db import UTCDateTime, utcnow
from binational.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user of an agency, with capabilities, a clearance and case memberships."""

    user_id: int
    username: str
    agency: str
    country: str
    roles: frozenset[str]
    capabilities: frozenset[str]
    clearance: str
    clearance_rank: int
    case_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Grant:
    """A release as the policy needs it: to whom, until when, revoked or not."""

    to_agency: str
    until: datetime | None = None
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """Whether the release grants access at `now`."""
        return self.revoked_at is None and (self.until is None or self.until > now)


@dataclass(frozen=True)
class Resource:
    """The policy view of a shareable row, with the releases of it and of its case."""

    owner_agency: str
    owner_country: str
    distribution: str
    marking_rank: int
    case_id: str | None = None
    grants: tuple[Grant, ...] = ()
    #: for a statement: the entity it belongs to (whose rules apply too)
    parent: Resource | None = None
    #: a copy received from another node (`entities.origin_node` set): no one here changes or releases it
    locked: bool = False

    @classmethod
    def of(cls, row: Any, grants: tuple[Grant, ...] = (), parent: Resource | None = None) -> Resource:
        """Snapshot the policy columns of a row."""
        return cls(
            owner_agency=row.owner_agency,
            owner_country=row.owner_country,
            distribution=row.distribution,
            marking_rank=row.marking_rank,
            case_id=getattr(row, "case_id", None),
            grants=grants,
            parent=parent,
            locked=getattr(row, "origin_node", None) is not None,
        )


@dataclass(frozen=True)
class Decision:
    """The answer of the policy and why."""

    allowed: bool
    reason: str
    details: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.allowed


def _sees(actor: Actor, res: Resource, now: datetime) -> Decision:
    if res.marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    if res.case_id is not None and res.case_id not in actor.case_ids:
        return Decision(False, "restricted case: not a member")
    if res.owner_agency == actor.agency:
        return Decision(True, "owner agency")
    if res.distribution == "national" and res.owner_country == actor.country:
        return Decision(True, f"national distribution in {res.owner_country}")
    if res.distribution != "agency":
        for grant in res.grants:
            if grant.to_agency == actor.agency and grant.active(now):
                until = f" until {grant.until.date().isoformat()}" if grant.until else ""
                return Decision(True, f"released to {actor.agency}{until}")
    return Decision(False, "not released to the agency")


def may_see_run_details(actor: Actor | None) -> Decision:
    """Whether `actor` reads a resolution run's message, progress and per-kind counts: they are
    node-wide (they count and name every agency's records), so only those who may start a run
    (administrators) and the node operator (`None`) do; anyone else gets its id, engine, status and times."""
    if actor is None:
        return Decision(True, "node operator")
    if not can(actor, "resolution.run"):
        return Decision(False, "node-wide counts: administrators only")
    return Decision(True, "may run resolution")


def long_requests(actor: Actor) -> bool:
    """Whether the actor's requests that start a node-wide job (a resolution run) get the
    administrators' time budget: those of an actor who may start one."""
    return bool(can(actor, "resolution.run"))


def can(actor: Actor, action: str, resource: Resource | None = None, *, now: datetime | None = None) -> Decision:
    """Decide whether `actor` may perform `action` (on `resource`, for record actions)."""
    spec = ACTIONS.get(action)
    if spec is None:
        return Decision(False, f"unknown action {action}")
    if spec.capability and spec.capability not in actor.capabilities:
        return Decision(False, f"role lacks {spec.capability}")
    if resource is None:  # the role check alone: may this actor do this kind of action at all
        return Decision(True, f"role grants {spec.capability or 'any user'}")
    now = now or utcnow()
    if resource.parent is not None:
        parent = _sees(actor, resource.parent, now)
        if not parent:
            return parent
        if resource.marking_rank > actor.clearance_rank:
            return Decision(False, "value marking above clearance")
        if resource.distribution == "agency" and resource.owner_agency != actor.agency:
            return Decision(False, "value kept to the owner agency")
        seen = parent
    else:
        seen = _sees(actor, resource, now)
    if not seen:
        return seen
    if spec.owner_only and resource.owner_agency != actor.agency:
        return Decision(False, "only the owner agency may do this", {"visible": "yes"})
    if spec.owner_only and (resource.locked or (resource.parent is not None and resource.parent.locked)):
        # only the owner's own node changes or releases a record; a copy stays as it came
        return Decision(False, "a copy received from another node is locked", {"visible": "yes"})
    return seen


def require(actor: Actor | None, action: str, *, operator: bool = False) -> Decision:
    """Raise Forbidden (naming `action`, for the audit log) unless the actor's roles grant `action`.

    `operator=True` lets the command line (actor None: the node operator) through, as the
    administration commands allow; without it a missing actor is refused."""
    if actor is None:
        if operator:
            return Decision(True, "node operator")
        raise Forbidden(f"{action}: no user", action=action)
    decision = can(actor, action)
    if not decision:
        raise Forbidden(f"{action}: {decision.reason}", action=action)
    return decision


def _grant_exists(actor: Actor, model: Any, now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """A row that is not `agency` and an active release of it (or of its case) names the actor's agency."""

    def active(*match: ColumnElement[bool]) -> ColumnElement[bool]:
        # The row's own `distribution` test sits inside the subquery: PostgreSQL then probes the
        # release index for each candidate row. Outside it, PostgreSQL could hash every release to
        # the agency instead, on every query (11 ms against 1 ms for a page of 50 in the benchmark).
        return exists(select(Release.id).where(
            model.distribution != "agency",
            Release.to_agency == actor.agency,
            Release.revoked_at.is_(None),
            or_(Release.until.is_(None), Release.until > now),
            *match,
        ))

    # Two EXISTS rather than one with an OR inside: each can use its (to_agency, entity_id | case_id)
    # index, where the OR made SQLite scan every release for every candidate row.
    return or_(active(Release.entity_id == model.id),
               and_(model.case_id.is_not(None), active(Release.case_id == model.case_id)))


def visible(actor: Actor, model: Any, *, now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL form of `_sees` for a shareable model whose releases are keyed by its `id`.

    Without `now`, the clock is read when the query runs, and the expression is built once per
    actor and model: building it costs more than the indexed lookup it filters.
    """
    if now is None:
        return _visible_now(actor, model)
    return _visible(actor, model, now)


# A bind evaluated at execution time, so a cached filter never holds a stale clock.
_NOW: BindParameter[datetime] = bindparam("policy_now", callable_=utcnow, type_=UTCDateTime())


def _in_cases(actor: Actor, model: Any) -> ColumnElement[bool]:
    """A row in no case, or in one of the actor's cases (the SQL form of the case check)."""
    if actor.case_ids:
        return or_(model.case_id.is_(None), model.case_id.in_(sorted(actor.case_ids)))
    return model.case_id.is_(None)


@lru_cache(maxsize=1024)
def _visible_now(actor: Actor, model: Any) -> ColumnElement[bool]:
    return _visible(actor, model, _NOW)


def _visible(actor: Actor, model: Any, now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    case_ok = _in_cases(actor, model)
    return and_(
        model.marking_rank <= actor.clearance_rank,
        case_ok,
        or_(
            model.owner_agency == actor.agency,
            and_(model.distribution == "national", model.owner_country == actor.country),
            _grant_exists(actor, model, now),
        ),
    )


@lru_cache(maxsize=1024)
def live_and_visible(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The rows of `model` (an entity model or alias) not deleted and visible to the actor."""
    return and_(model.deleted_at.is_(None), visible(actor, model))


def visible_values(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of the statement-level rules (the entity's rules apply separately)."""
    return and_(
        model.marking_rank <= actor.clearance_rank,
        or_(model.distribution != "agency", model.owner_agency == actor.agency),
    )


#: a `values_rank` no clearance reaches: the values a run read cannot all be seen now by anyone
NO_ONE_SEES_ALL = 1_000_000
#: a `kept_agency` no agency is: values kept to two agencies or more
KEPT_TO_SEVERAL = "*"


def may_see_every_value(actor: Actor, *, values_rank: int, kept_agency: str | None) -> Decision:
    """Whether the statement-level rules (`visible_values`) admit every value of a set summed up as the
    highest marking rank among them and the agency they are kept to (None: none is kept to its agency;
    KEPT_TO_SEVERAL: some are kept to one agency and some to another)."""
    if values_rank > actor.clearance_rank:
        return Decision(False, "a value is marked above the clearance")
    if kept_agency is not None and kept_agency != actor.agency:
        return Decision(False, "a value is kept to another agency")
    return Decision(True, "every value within the clearance and shared with the agency")


def sum_up_values(values: Iterable[tuple[int, str, str]]) -> tuple[int, str | None]:
    """(values_rank, kept_agency) of a set of values given as (marking rank, distribution, owner
    agency): `may_see_every_value` of them is whether `visible_values` admits each one. An empty set
    is one no one is known to see whole (NO_ONE_SEES_ALL)."""
    rank, kept = -1, set()
    for marking_rank, distribution, owner in values:
        rank = max(rank, marking_rank)
        if distribution == "agency":
            kept.add(owner)
    if rank < 0:
        return NO_ONE_SEES_ALL, None
    return rank, (None if not kept else kept.pop() if len(kept) == 1 else KEPT_TO_SEVERAL)


def sees_every_value(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_every_value` over rows of `model` (values_rank, kept_agency)."""
    return and_(model.values_rank <= actor.clearance_rank,
                or_(model.kept_agency.is_(None), model.kept_agency == actor.agency))


def nothing() -> ColumnElement[bool]:
    """A filter that admits no row."""
    return false()


def everything() -> ColumnElement[bool]:
    """A filter that admits every row (system jobs only)."""
    return true()


#: the marking from which a record or value never answers as a hit
_RED = RANK["TLP:RED"]


def marking_answers_no_hit(marking_rank: int) -> bool:
    """Whether a record or value of this marking never answers as a hit (TLP:RED)."""
    return marking_rank >= _RED


def may_answer_as_hit(resource: Resource) -> Decision:
    """Whether a match on `resource` (a statement with its entity as `parent`, or an entity) may be
    told, as a bare hit, to a viewer who may not see it: never for TLP:RED records or values, nor for
    records of a restricted case, nor for a copy received from another node (its owner is not here to
    answer a request, and only the owner's node tells others it holds the record). The same for every
    viewer; deleted rows are the caller's concern."""
    for res in (resource, resource.parent):
        if res is None:
            continue
        if marking_answers_no_hit(res.marking_rank):
            return Decision(False, "TLP:RED: answers no hit")
        if res.case_id is not None:
            return Decision(False, "restricted case: answers no hit")
        if res.locked:
            return Decision(False, "a copy from another node: answers no hit")
    return Decision(True, "may answer as a hit")


def answers_as_hit(entity: Any, *statements: Any) -> ColumnElement[bool]:
    """The SQL form of `may_answer_as_hit` for an entity and the statements a match came from
    (a statement column may be NULL, as from an outer join: then it does not count)."""
    return and_(
        entity.marking_rank < _RED,
        entity.case_id.is_(None),
        entity.origin_node.is_(None),
        *[or_(st.id.is_(None), st.marking_rank < _RED) for st in statements],
    )


#: capabilities whose holders read their agency's discovery notices (supervisors and liaisons
#: answer requests and decide whether to reach out; auditors watch who searches)
NOTICE_CAPABILITIES = frozenset({"request.answer", "audit.read"})


def may_read_discovery_notices(actor: Actor, to_agency: str) -> Decision:
    """Whether `actor` reads the discovery notices left for `to_agency` (deconfliction, sweeps)."""
    if actor.agency != to_agency:
        return Decision(False, "another agency's notices")
    if not NOTICE_CAPABILITIES & actor.capabilities:
        return Decision(False, "role answers no requests and reads no audit")
    return Decision(True, "supervisor, liaison or auditor of the agency")


def discovery_notices_for(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_read_discovery_notices` over a model with a `to_agency` column."""
    if not NOTICE_CAPABILITIES & actor.capabilities:
        return false()
    return model.to_agency == actor.agency


def may_see_hit_ref(actor: Actor, *, caller_agency: str) -> Decision:
    """Whether `actor` sees a discovery hit reference: only the agency whose search it answered does
    (the holder learns of searches through its notices and its audit entries, never the references)."""
    if actor.agency != caller_agency:
        return Decision(False, "another agency's search")
    return Decision(True, "its agency's search")


def visible_hit_refs(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_hit_ref` over a model with a `caller_agency` column."""
    return model.caller_agency == actor.agency


# --- Judgements, requests, audit entries: the rules of the other kinds of rows a viewer meets. ------

def may_see_judgement(actor: Actor, *, owner_agency: str, owner_country: str, distribution: str,
                      marking_rank: int) -> Decision:
    """Whether `actor` sees a verdict: its agency's own, or its country's when `national`; within
    clearance. Judgements are never released across the border."""
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    if owner_agency == actor.agency:
        return Decision(True, "owner agency")
    if distribution == "national" and owner_country == actor.country:
        return Decision(True, f"national distribution in {owner_country}")
    return Decision(False, "another agency's judgement")


def visible_judgements(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_judgement` over a judgement model."""
    return and_(
        model.marking_rank <= actor.clearance_rank,
        or_(model.owner_agency == actor.agency,
            and_(model.distribution == "national", model.owner_country == actor.country)),
    )


def may_see_request(actor: Actor, *, from_agency: str, to_agency: str, marking_rank: int) -> Decision:
    """Whether `actor` sees a request: its agency sent or received it, and it is cleared for it."""
    if actor.agency not in (from_agency, to_agency):
        return Decision(False, "not a party to the request")
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    return Decision(True, "party to the request")


def visible_requests(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_request` over a request model."""
    return and_(or_(model.from_agency == actor.agency, model.to_agency == actor.agency),
                model.marking_rank <= actor.clearance_rank)


def may_see_series(actor: Actor, *, owner_agency: str, owner_country: str, distribution: str, marking_rank: int,
                   case_id: str | None, public: bool) -> Decision:
    """Whether `actor` sees a monthly series of the flows module (and its values, forecasts, alerts):
    within clearance and case, its agency's own, its country's when `national`, and every agency's
    when it is a public statistic (CBP, BTS figures anyone may download)."""
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    if case_id is not None and case_id not in actor.case_ids:
        return Decision(False, "restricted case: not a member")
    if owner_agency == actor.agency:
        return Decision(True, "owner agency")
    if distribution == "national" and owner_country == actor.country:
        return Decision(True, f"national distribution in {owner_country}")
    if public:
        return Decision(True, "public statistic")
    return Decision(False, "another agency's internal series")


def may_see_flow_series(actor: Actor, series: Any) -> Decision:
    """`may_see_series` on a loaded series (any object with its policy columns: `owner_agency`,
    `owner_country`, `distribution`, `marking_rank`, `case_id`, `public`); its reason goes to the audit log."""
    return may_see_series(actor, owner_agency=series.owner_agency, owner_country=series.owner_country,
                          distribution=series.distribution, marking_rank=series.marking_rank,
                          case_id=series.case_id, public=series.public)


def may_see_forecast_run(actor: Actor, *, user_id: int, agency: str) -> Decision:
    """Whether `actor` sees a background forecast run (its progress and summary): only the user who
    started it, in that user's agency; the series it forecast are shown through `may_see_series`."""
    if actor.user_id != user_id or actor.agency != agency:
        return Decision(False, "another user's forecast run")
    return Decision(True, "its starter")


def visible_forecast_runs(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_forecast_run` over a model with `user_id` and `agency` columns."""
    return and_(model.user_id == actor.user_id, model.agency == actor.agency)


def may_see_import_run(actor: Actor, *, user_id: int, agency: str) -> Decision:
    """Whether `actor` sees a background import of an official series (its progress, what it imported
    or the row it refused): only the user who sent the file, in that user's agency."""
    if actor.user_id != user_id or actor.agency != agency:
        return Decision(False, "another user's import")
    return Decision(True, "its sender")


def visible_import_runs(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_import_run` over a model with `user_id` and `agency` columns."""
    return and_(model.user_id == actor.user_id, model.agency == actor.agency)


def may_publish_statistics(actor: Actor, *, source_country: str) -> Decision:
    """Whether `actor` may import a file of public statistics (a series every agency reads, marked
    TLP:CLEAR) from `source_country`'s official sources: only that country's agencies speak for them."""
    if actor.country != source_country:
        return Decision(False, f"public statistics of {source_country} are published by its own agencies")
    return Decision(True, f"an agency of {source_country}")


def visible_series(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_series` over a series model."""
    case_ok = _in_cases(actor, model)
    return and_(
        model.marking_rank <= actor.clearance_rank,
        case_ok,
        or_(model.owner_agency == actor.agency,
            and_(model.distribution == "national", model.owner_country == actor.country),
            model.public.is_(True)),
    )



def may_see_trace_part(actor: Actor, *, from_agency: str, to_agency: str, marking_rank: int,
                       released: bool) -> Decision:
    """Whether `actor` sees a part of a firearm trace (the trace, a candidate record, a result): the
    tracing agency sees every part; the requesting agency only a part released to it (the trace it
    sent, a confirmed result), never the candidates; anyone else nothing. Within clearance."""
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    if actor.agency == to_agency:
        return Decision(True, "tracing agency")
    if actor.agency == from_agency and released:
        return Decision(True, "released to the requesting agency")
    if actor.agency == from_agency:
        return Decision(False, "not released to the requesting agency")
    return Decision(False, "not a party to the trace")


def visible_trace_parts(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_trace_part` over a model with `from_agency`, `to_agency`,
    `marking_rank` and `released_at` (released when not NULL)."""
    return and_(model.marking_rank <= actor.clearance_rank,
                or_(model.to_agency == actor.agency,
                    and_(model.from_agency == actor.agency, model.released_at.is_not(None))))


def may_see_trace_recovery(actor: Actor, *, from_agency: str, to_agency: str, marking_rank: int, released: bool,
                           recovery: Resource, now: datetime | None = None) -> Decision:
    """Whether `actor` sees that a trace was sent for a recovered firearm (and that recovery with it):
    only who sees the trace (`may_see_trace_part`) and the recovery record itself under the ordinary
    rules of a shareable row (owner, national, or a release; clearance and cases). The tracing agency of
    another country sees the trace but not a recovery the recovering agency did not release to it."""
    trace = may_see_trace_part(actor, from_agency=from_agency, to_agency=to_agency, marking_rank=marking_rank,
                               released=released)
    if not trace:
        return trace
    seen = _sees(actor, recovery, now or utcnow())
    if not seen:
        return Decision(False, f"recovery not visible: {seen.reason}")
    return Decision(True, "sees the trace and the recovery")


def visible_trace_recoveries(actor: Actor, trace: Any, recovery: Any, *,
                             now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL form of `may_see_trace_recovery` over a trace model and a shareable recovery model."""
    return and_(visible_trace_parts(actor, trace), visible(actor, recovery, now=now))


#: how far a distribution reaches, narrowest first: a release reaches its grantees, national the country too
_REACH = {"agency": 0, "release": 1, "national": 2}


def may_replace_record(actor: Actor, record: Resource, *, marking_rank: int, distribution: str,
                       now: datetime | None = None) -> Decision:
    """Whether `actor` may replace a shareable row in place (a re-import of the same number) with one
    marked `marking_rank` and kept to `distribution`: a row of its own agency that it sees, never marked
    lower nor distributed wider than it was, for lowering a marking is no side effect of an import."""
    seen = _sees(actor, record, now or utcnow())
    if not seen or record.owner_agency != actor.agency:
        return Decision(False, "not a record of the agency that one sees")
    if marking_rank < record.marking_rank:
        return Decision(False, "would lower its marking", {"visible": "yes"})
    if _REACH.get(distribution, len(_REACH)) > _REACH.get(record.distribution, len(_REACH)):
        return Decision(False, "would widen its distribution", {"visible": "yes"})
    return Decision(True, "the agency's own record, kept as closely")


def replaceable_records(actor: Actor, model: Any, *, now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL form of `may_replace_record` over a shareable model, for the rows a re-import may name:
    those of the actor's agency that it sees (the marking and distribution are checked on each one)."""
    return and_(model.owner_agency == actor.agency, visible(actor, model, now=now))


# --- Repatriation: a detainee's case file, a movement and its manifest, public figures. ------------------

def may_see_case_file(actor: Actor, *, owner_agency: str, marking_rank: int) -> Decision:
    """Whether `actor` sees a detainee's case file or a safeguard's result: the sending agency's own
    users within clearance, nobody else (the partners see the allow-listed manifest line only)."""
    if actor.agency != owner_agency:
        return Decision(False, "another agency's case file")
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    return Decision(True, "owner agency")


def visible_case_files(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_case_file` over a model with `owner_agency` and `marking_rank`."""
    return and_(model.owner_agency == actor.agency, model.marking_rank <= actor.clearance_rank)


def may_see_movement(actor: Actor, *, from_agency: str, to_agency: str, consulate: str | None,
                     marking_rank: int) -> Decision:
    """Whether `actor` sees a repatriation movement (or a line of its manifest): its agency sends,
    receives or verifies the nationality of its people, and it is cleared for it."""
    if actor.agency not in (from_agency, to_agency, consulate):
        return Decision(False, "not a party to the movement")
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    return Decision(True, "party to the movement")


def may_see_arrangement(actor: Actor, *, sender: str, receiver: str, consulate: str | None) -> Decision:
    """Whether `actor` reads a local repatriation arrangement (or names it in a proposal or a plan): its
    agency is one of the arrangement's parties. Arrangements are shipped files, not rows: no SQL form."""
    if not actor.agency or actor.agency not in (sender, receiver, consulate):
        return Decision(False, "not a party to the arrangement")
    return Decision(True, "party to the arrangement")


def may_plan_convoy(actor: Actor, *, from_agency: str, marking_rank: int) -> Decision:
    """Whether `actor` reads its agency's land network (its garages, detention facilities and travel
    minutes) and routes a convoy on it for a movement: the movement is its agency's own (the network
    read is the sender's), within clearance. The partners of the movement learn nothing of it, not
    even how the network is kept. Networks are shipped files, not rows: no SQL form."""
    if not actor.agency or actor.agency != from_agency:
        return Decision(False, "another agency's movement")
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    return Decision(True, "the sender's own network")


def visible_movements(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_movement` over a model with `from_agency`, `to_agency`, `consulate`."""
    return and_(or_(model.from_agency == actor.agency, model.to_agency == actor.agency,
                    model.consulate == actor.agency),
                model.marking_rank <= actor.clearance_rank)


def may_see_public_figures(actor: Actor) -> Decision:
    """Whether `actor` reads imported official figures (published statistics): any user of the node."""
    if not actor.agency:
        return Decision(False, "no agency")
    return Decision(True, "published statistics")


def visible_public_figures(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_public_figures`."""
    return true() if actor.agency else false()


def may_see_trade(actor: Actor, *, owner_agency: str, owner_country: str, distribution: str, marking_rank: int,
                  case_id: str | None, joint_agency: str | None) -> Decision:
    """Whether `actor` sees a trade row (a declaration, its score and selection, an inspection's
    result): within clearance and case, its agency's own, its country's when `national`, or the
    partner's of a joint inspection when `joint` names the actor's agency."""
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    if case_id is not None and case_id not in actor.case_ids:
        return Decision(False, "restricted case: not a member")
    if owner_agency == actor.agency:
        return Decision(True, "owner agency")
    if distribution == "national" and owner_country == actor.country:
        return Decision(True, f"national distribution in {owner_country}")
    if distribution == "joint" and joint_agency == actor.agency:
        return Decision(True, f"joint inspection with {actor.agency}")
    return Decision(False, "another agency's trade record")


def visible_trade(actor: Actor, model: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_trade` over a trade model."""
    in_case = _in_cases(actor, model)
    return and_(
        model.marking_rank <= actor.clearance_rank, in_case,
        or_(model.owner_agency == actor.agency,
            and_(model.distribution == "national", model.owner_country == actor.country),
            and_(model.distribution == "joint", model.joint_agency == actor.agency)),
    )


def may_see_reason_values(actor: Actor, *, owner_agency: str, drawn_clearance_rank: int) -> Decision:
    """Whether `actor`, who sees a scored trade declaration, also sees its reasons' values and
    contributions. They are computed from the history the model learned and the owner's other
    declarations (per importer, declarant, HS code ...), so only the owner agency's users cleared at
    least as high as the user who drew the list see them; a joint partner, a national reader or a
    lower-cleared colleague sees the features' names alone."""
    if owner_agency != actor.agency:
        return Decision(False, "another agency's history")
    if drawn_clearance_rank > actor.clearance_rank:
        return Decision(False, "drawn by a user cleared above the viewer")
    return Decision(True, "owner agency, cleared as its drawer")


#: the policy columns of a trade row, as a model's training scope lists them (`may_see_model_output`)
TRADE_SCOPE_FIELDS = ("owner_agency", "owner_country", "distribution", "marking_rank", "case_id", "joint_agency")


def may_see_model_output(actor: Actor, scope: Iterable[Mapping[str, Any]]) -> Decision:
    """Whether `actor` sees what a cargo risk model derives (scores, places on a list, reasons): only
    if it may see every trade row the model learned from. `scope` holds the distinct policy columns
    (`TRADE_SCOPE_FIELDS`) of the declarations and inspection results it was trained on; a model
    trained on files carries none. A lower-cleared colleague thus learns nothing from RED history."""
    for row in scope:
        seen = may_see_trade(actor, **{k: row[k] for k in TRADE_SCOPE_FIELDS})
        if not seen:
            return Decision(False, f"the model learned from records the viewer may not see ({seen.reason})")
    return Decision(True, "the model learned only from what the viewer may see")


def visible_model_output(actor: Actor, scope: Any, learned: ColumnElement[bool]) -> ColumnElement[bool]:
    """The SQL form of `may_see_model_output`: no row of `scope` (a model with the trade policy columns,
    `TRADE_SCOPE_FIELDS`) that `learned` ties to the model is hidden from `actor`. A scope row the rule
    cannot decide (a NULL compared) counts as hidden, never as seen."""
    return ~exists().where(learned, visible_trade(actor, scope).is_not(true()))


def may_move_request(actor: Actor, *, side: str, from_agency: str, to_agency: str, type_name: str,
                     answer_roles: frozenset[str]) -> Decision:
    """Whether `actor`, who sees a request, may move it as its `side` (`sender`: withdraw; `receiver`:
    acknowledge, answer, decline): a user of that side's agency, and on the receiving side one holding
    a role that handles the request's type."""
    party = to_agency if side == "receiver" else from_agency
    if actor.agency != party:
        return Decision(False, f"only the {side} of the request may do this")
    if side == "receiver" and not answer_roles & actor.roles:
        return Decision(False, f"a {type_name} request is handled by {', '.join(sorted(answer_roles))}")
    return Decision(True, f"the {side}'s agency")


def sees_as_sender(actor: Actor, *, from_agency: str) -> Decision:
    """Whether `actor` reads a request it sees as its sender: then it is shown the values its agency
    typed, its own hit references and who of its agency wrote it; the receiver sees the selectors'
    kinds only (never the sender's values, references or users)."""
    if actor.agency != from_agency:
        return Decision(False, "the receiver's view")
    return Decision(True, "the sender's view")


def may_name_event_actor(actor: Actor, *, actor_agency: str | None) -> Decision:
    """Whether `actor` is told which user moved a request it sees (its history): a user of its own
    agency only; another agency's user is named by the agency alone."""
    if actor_agency != actor.agency:
        return Decision(False, "another agency's user")
    return Decision(True, "its agency's user")


def may_answer_trace_with(actor: Actor, *, owner_agency: str, marking_rank: int, case_id: str | None,
                          trace_marking_rank: int) -> Decision:
    """Whether `actor`, of the tracing agency, may answer a trace marked `trace_marking_rank` with a sale
    record: a record of its own agency only (one another agency shared with it, nationally or by a
    release, is not its to hand to the requester), within its clearance and cases, and marked no
    higher than the trace (the answer is released under the trace's marking)."""
    if owner_agency != actor.agency:
        return Decision(False, "not the tracing agency's record")
    if marking_rank > actor.clearance_rank:
        return Decision(False, "marking above clearance")
    if marking_rank > trace_marking_rank:
        return Decision(False, "marking above the trace's")
    if case_id is not None and case_id not in actor.case_ids:
        return Decision(False, "restricted case")
    return Decision(True, "the tracing agency's own record")


def trace_answer_records(actor: Actor, model: Any, trace_marking_rank: int) -> ColumnElement[bool]:
    """The SQL form of `may_answer_trace_with` over a shareable model."""
    case_ok = _in_cases(actor, model)
    return and_(model.owner_agency == actor.agency,
                model.marking_rank <= min(actor.clearance_rank, trace_marking_rank), case_ok)


#: Entries about another agency's records that their user's search matched but may not see: shown to
#: the records' owners only (with their own records), never to the searching agency's auditors, or
#: they would learn which records hold the values searched for (or that a RED record exists).
HOLDERS_ONLY = ("discovery.hit", "discovery.withheld", "discovery.sweep")


def may_see_audit_entry(actor: Actor, *, actor_agency: str | None, action: str,
                        object_agencies: frozenset[str | None]) -> Decision:
    """Whether `actor` (an auditor) sees an audit entry: one its agency's users wrote (but not the
    holders-only entries of their searches), or one naming a record of its agency."""
    if actor.agency in object_agencies:
        return Decision(True, "names a record of the agency")
    if actor_agency == actor.agency and action not in HOLDERS_ONLY:
        return Decision(True, "written by the agency's user")
    return Decision(False, "another agency's entry")


def visible_audit_entries(actor: Actor, entry: Any, ref: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_audit_entry` over an entry model and its object-reference model."""
    touches_ours = exists(select(ref.seq).where(ref.seq == entry.seq, ref.object_agency == actor.agency))
    return or_(and_(entry.actor_agency == actor.agency, entry.action.not_in(HOLDERS_ONLY)), touches_ours)


def may_see_answerers(actor: Actor, *, to_agency: str) -> Decision:
    """Whether `actor` is told who of the receiving agency may answer a request it sees: that agency's
    own users only (the sender learns the roles, from the request's type, never another agency's users)."""
    if actor.agency != to_agency:
        return Decision(False, "another agency's users")
    return Decision(True, "its agency's users")


#: Roles whose holders, besides the agency's auditors, see who read a record of their agency on its page.
READER_ROLES = frozenset({"supervisor"})


def may_see_readers(actor: Actor, *, owner_agency: str) -> Decision:
    """Whether `actor` sees who read a record of `owner_agency` (its who-saw panel): a user of the owner
    agency who reads its audit log or supervises; the entries shown are those `visible_audit_entries`
    admits, all of which name the record."""
    if actor.agency != owner_agency:
        return Decision(False, "another agency's record")
    if "audit.read" in actor.capabilities:
        return Decision(True, "auditor of the owner agency")
    if READER_ROLES & actor.roles:
        return Decision(True, "supervisor of the owner agency")
    return Decision(False, "role reads no audit and supervises no one")


def may_see_audit_object(actor: Actor, *, actor_agency: str | None, action: str, object_agency: str | None) -> Decision:
    """Whether `actor` (an auditor) sees that a visible audit entry names an object: every object of an
    entry its agency's user wrote (but not of the holders-only entries), else only its agency's own
    records. An auditor's list, filter by record and export name no other object."""
    if object_agency == actor.agency:
        return Decision(True, "a record of the agency")
    if actor_agency == actor.agency and action not in HOLDERS_ONLY:
        return Decision(True, "named by the agency's user")
    return Decision(False, "another agency's record in another agency's entry")


def visible_audit_objects(actor: Actor, entry: Any, ref: Any) -> ColumnElement[bool]:
    """The SQL form of `may_see_audit_object` over an entry model joined to its object-reference model."""
    return or_(ref.object_agency == actor.agency,
               and_(entry.actor_agency == actor.agency, entry.action.not_in(HOLDERS_ONLY)))


# --- Administration: what an administrator may grant, approve, and whose tokens it may touch. -----
# `None` as the actor is the node operator at the command line, who holds the machine.

#: Roles an administrator does not grant alone: a second administrator of the agency approves them.
ROLES_NEEDING_APPROVAL = frozenset({"auditor"})
#: A clearance at or above this rank (TLP:RED) also needs a second administrator's approval.
CLEARANCE_NEEDING_APPROVAL = RANK["TLP:RED"]
#: Roles only the node operator grants: node-wide powers no agency administrator may hand out.
OPERATOR_ROLES = frozenset({"node_admin"})


def may_grant(actor: Actor | None, *, agency: str, roles: frozenset[str], clearance_rank: int) -> Decision:
    """Whether `actor` may give a user of `agency` these roles and this clearance (maybe pending a second
    administrator's approval, see `needs_approval`)."""
    if actor is None:
        return Decision(True, "node operator")
    if "admin" not in actor.capabilities:
        return Decision(False, "role lacks admin")
    if agency != actor.agency:
        return Decision(False, "administrators grant to users of their own agency only")
    if roles & OPERATOR_ROLES:
        return Decision(False, f"{', '.join(sorted(roles & OPERATOR_ROLES))} is granted by the node operator only")
    if clearance_rank > actor.clearance_rank:
        return Decision(False, f"an administrator grants at most its own clearance {actor.clearance}")
    return Decision(True, "administrator of the agency")


def needs_approval(actor: Actor | None, *, roles: frozenset[str], clearance_rank: int) -> bool:
    """Whether a grant by `actor` waits for a second administrator of the agency."""
    return actor is not None and (bool(roles & ROLES_NEEDING_APPROVAL) or clearance_rank >= CLEARANCE_NEEDING_APPROVAL)


def may_approve(actor: Actor | None, *, agency: str, requested_by: int, clearance_rank: int) -> Decision:
    """Whether `actor` may approve a pending grant to a user of `agency` asked for by user `requested_by`.
    A grant of another agency is not the actor's to know of (`details["visible"]` is absent)."""
    if actor is None:
        return Decision(True, "node operator")
    if "admin" not in actor.capabilities or agency != actor.agency:
        return Decision(False, "a grant of another agency")
    if requested_by == actor.user_id:
        return Decision(False, "a second administrator must approve", {"visible": "yes"})
    if clearance_rank > actor.clearance_rank:
        return Decision(False, f"an administrator grants at most its own clearance {actor.clearance}",
                        {"visible": "yes"})
    return Decision(True, "second administrator of the agency")


def may_create_token(actor: Actor | None, *, username: str) -> Decision:
    """Whether `actor` may issue a token for `username`: only its own through the API."""
    if actor is None:
        return Decision(True, "node operator")
    if username != actor.username:
        return Decision(False, "a token is created by its own user only")
    return Decision(True, "own token")


def may_manage_token(actor: Actor | None, *, user_id: int | None, agency: str | None) -> Decision:
    """Whether `actor` may list or revoke the tokens of user `user_id` of `agency`: its own, or as an
    administrator of that agency (anything else is not the actor's to know of)."""
    if actor is None:
        return Decision(True, "node operator")
    if user_id is not None and user_id == actor.user_id:
        return Decision(True, "own token")
    if "admin" in actor.capabilities and agency == actor.agency:
        return Decision(True, "administrator of the agency")
    return Decision(False, "not a token of the actor or of its agency's users")


def may_register_agency(actor: Actor | None, *, country: str, node_country: str,
                        federation: list[str] | tuple[str, ...]) -> Decision:
    """Whether `actor` may register an agency of `country` on a node of `node_country`."""
    if actor is None:
        return Decision(True, "node operator")
    if "agency.manage" not in actor.capabilities:
        return Decision(False, "role lacks agency.manage")
    allowed = {c.upper() for c in [node_country, *federation] if c}
    if not allowed:
        return Decision(False, "the node's country is not set: only the node operator registers agencies")
    if country.upper() not in allowed:
        return Decision(False, f"agencies of {country.upper()} are not registered on this node")
    return Decision(True, f"node administrator for {', '.join(sorted(allowed))}")


# --- Indicators: the monthly figures commitments are tied to (binational.engagements.indicators). ---

def may_see_indicator(actor: Actor, *, capability: str, countries: frozenset[str] | None) -> Decision:
    """Whether `actor` sees an indicator's figures at all: its role grants the indicator's capability
    and, for an indicator kept to some countries, its agency is of one of them. The figures it sees are
    then computed over the rows it may see (each indicator's series applies that row's own rule)."""
    if capability and capability not in actor.capabilities:
        return Decision(False, f"role lacks {capability}")
    if countries is not None and actor.country not in countries:
        return Decision(False, f"kept to {', '.join(sorted(countries))}")
    return Decision(True, "indicator shared with the agency")


def shared_indicators(actor: Actor, indicators: Any) -> list[str]:
    """The collection form of `may_see_indicator`: the keys, among `indicators` (objects with `key`,
    `capability` and `countries`), whose figures `actor` sees, as a list filter for pages and exports."""
    return [i.key for i in indicators
            if (not i.capability or i.capability in actor.capabilities)
            and (i.countries is None or actor.country in i.countries)]


# --- Federation: partner nodes, and what may leave the node for an agency hosted on one. ------------

#: the capability of node administrators, who manage the node's partner nodes and digest keys
FEDERATION_CAPABILITY = "agency.manage"


def may_manage_federation(actor: Actor | None) -> Decision:
    """Whether `actor` may trust, untrust and list partner nodes, write the node's anchor and rotate
    digest keys: the node operator at the command line, or a node administrator."""
    if actor is None:
        return Decision(True, "node operator")
    if FEDERATION_CAPABILITY not in actor.capabilities:
        return Decision(False, f"role lacks {FEDERATION_CAPABILITY}: node administrators manage partner nodes")
    return Decision(True, "node administrator")


def foreign_recipient(agency: str, country: str, clearance: str) -> Actor:
    """The recipient agency of a release bundle, hosted on another node, as the policy sees a reader:
    a reader of that agency cleared to `clearance`, in no case. What `can()` and `visible()` let it
    read is exactly what a bundle to it may carry (the bundle's own rules then narrow it further)."""
    return Actor(user_id=0, username=f"recipient:{agency}", agency=agency, country=country,
                 roles=frozenset(), capabilities=frozenset({"record.view"}), clearance=clearance,
                 clearance_rank=RANK[clearance])

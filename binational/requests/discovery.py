"""Hit/no-hit discovery: match selectors against every agency's, answer per viewer.

Matching runs over all selectors as the node itself; the answer is cut to the viewer. A match the
viewer may see (entity and the matched statements) comes in full: entity id, schema, agency and a
score. Any other match says only that an agency holds something, with an opaque `hit_ref` the
viewer can name in a request to that agency — if the policy lets it answer as a hit at all
(`policy.may_answer_as_hit`): a TLP:RED record or value, or a record of a restricted case, answers
as a miss, and its owner receives a deconfliction notice instead.

Every call is audited with hashed selectors; the records of other agencies it matched are named in
entries only their holders' auditors see. Calls are counted against per-user and per-agency limits
(`limits`), and sweeps are told to the agencies whose records they touched (`sweeps`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rigour.text import levenshtein_similarity
from sqlalchemy import and_, case, insert, or_, select
from sqlalchemy.orm import Session, aliased

from binational.access.actions import Action, register
from binational.access.policy import Actor, answers_as_hit, require, visible, visible_values
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import system_context, utcnow
from binational.entities.models import Entity, Selector, Statement
from binational.entities.selectors import KINDS, birth_key, key_of, name_tokens
from binational.errors import InvalidInput
from binational.requests import limits, notices, sweeps
from binational.requests.models import HitRef

MAX_SELECTORS = 1000
HIT_REF_DAYS = 30
#: the least name score that counts as a match of name + birth date
NAME_THRESHOLD = 0.8
#: the least similarity of two name words to pair them (typos, one letter apart in short words)
WORD_THRESHOLD = 0.75

register(Action("discovery.search", "record.view",
                "hit/no-hit search on selectors across every agency: full matches one may see, bare hits of others"))


@dataclass
class Query:
    """One selector of a call, normalised."""

    index: int
    kind: str
    key: str
    words: tuple[str, ...] = ()
    visible: dict[str, dict[str, Any]] = field(default_factory=dict)
    hidden: dict[str, set[str]] = field(default_factory=dict)
    #: matches the viewer may not see that answer no hit (RED, restricted case): agency -> ids
    withheld: dict[str, set[str]] = field(default_factory=dict)
    #: every record of another agency the selector matched, as (id, agency): what a sweep touches
    touched: set[tuple[str, str]] = field(default_factory=set)
    #: the selector as the caller typed it (kept on its hit references, shown back to its agency only)
    typed: str = ""

    @property
    def digest(self) -> str:
        """SHA-256 of the normalised selector: what the audit log keeps instead of the value."""
        text = f"{self.kind}:{self.key}|{' '.join(self.words)}" if self.words else f"{self.kind}:{self.key}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def shown(self) -> str:
        """The normalised selector, as echoed back to the caller who sent it."""
        return f"{' '.join(self.words)} {self.key}" if self.words else self.key


def _bad(index: int, message: str, field_name: str) -> InvalidInput:
    return InvalidInput(f"selector {index}: {message}", details=[{"field": f"selectors.{index}.{field_name}"}])


def parse(selectors: list[dict[str, Any]]) -> list[Query]:
    """Normalise the selectors of a call; the first bad one raises InvalidInput naming it."""
    if not isinstance(selectors, list) or not selectors:
        raise InvalidInput("give at least one selector", details=[{"field": "selectors"}])
    if len(selectors) > MAX_SELECTORS:
        raise InvalidInput(f"at most {MAX_SELECTORS} selectors per call, got {len(selectors)}",
                           details=[{"field": "selectors", "max": MAX_SELECTORS}])
    max_words = get_settings().discovery_name_words
    queries = []
    for i, raw in enumerate(selectors):
        kind, value = raw.get("type"), raw.get("value")
        if kind not in KINDS:
            raise InvalidInput(f"selector {i}: unknown selector type {kind!r}",
                               details=[{"field": f"selectors.{i}.type", "allowed": sorted(KINDS)}])
        if not isinstance(value, str) or not value.strip():
            raise _bad(i, "value is empty", "value")
        if kind == "name_birth":
            birth = raw.get("birth_date")
            date = birth_key(birth) if isinstance(birth, str) else ""
            if not date:
                raise _bad(i, f"birth_date {birth!r} is not a date (YYYY-MM-DD)", "birth_date")
            # Counted before the name is normalised: that work grows with the words (and so does matching).
            if len(value.split()) > max_words or len(words := tuple(name_tokens(value))) > max_words:
                raise _bad(i, f"a name has at most {max_words} words", "value")
            if len(words) < 2:
                raise _bad(i, f"{value!r} needs a given name and a surname", "value")
            queries.append(Query(i, kind, date, words, typed=f"{value.strip()} {date}"))
            continue
        key = key_of(kind, value, country=raw.get("country"))
        if not key:
            hint = " (give an international number, or a country)" if kind == "phone" else ""
            raise _bad(i, f"{value!r} is not a {kind} selector{hint}", "value")
        queries.append(Query(i, kind, key, typed=value.strip()))
    return queries


def name_score(query: tuple[str, ...], candidate: tuple[str, ...]) -> float:
    """How well two sets of name words match (0..1): word order, accents and particles are gone
    already; a missing second surname costs a little, a misspelt word a little more."""
    if not query or not candidate:
        return 0.0
    remaining = list(candidate)
    total = 0.0
    for word in query:
        best, best_i = 0.0, -1
        for i, other in enumerate(remaining):
            sim = 1.0 if word == other else levenshtein_similarity(word, other)
            if sim > best:
                best, best_i = sim, i
        if best >= WORD_THRESHOLD:
            total += best
            remaining.pop(best_i)
    shorter, longer = sorted((len(query), len(candidate)))
    coverage = total / shorter
    return round(coverage * (0.85 + 0.15 * shorter / longer), 3)


def _date_blocks(date: str) -> list[str]:
    """A birth date and its less precise forms (a record may know only the year or the month)."""
    return [date[:n] for n in (10, 7, 4) if len(date) >= n]


#: the statement a selector came from and its pair; made once, as SQLAlchemy adapts an alias's columns lazily
_FIRST = aliased(Statement, name="first_statement")
_SECOND = aliased(Statement, name="second_statement")


def _candidates(session: Session, actor: Actor, queries: list[Query]) -> list[Any]:
    by_kind: dict[str, set[str]] = {}
    for q in queries:
        keys = _date_blocks(q.key) if q.kind == "name_birth" else [q.key]
        by_kind.setdefault(q.kind, set()).update(keys)
    first, second = _FIRST, _SECOND
    seen = and_(
        visible(actor, Entity),
        visible_values(actor, first),
        or_(second.id.is_(None), visible_values(actor, second)),
    )
    query = (
        select(Selector.kind, Selector.value, Selector.detail, Selector.entity_id, Selector.owner_agency,
               Entity.schema, case((seen, 1), else_=0).label("seen"),
               case((answers_as_hit(Entity, first, second), 1), else_=0).label("answers"))
        .join(Entity, Entity.id == Selector.entity_id)
        .join(first, first.id == Selector.statement_id)
        .outerjoin(second, second.id == Selector.statement2_id)
        .where(
            or_(*[and_(Selector.kind == kind, Selector.value.in_(sorted(keys))) for kind, keys in by_kind.items()]),
            Entity.deleted_at.is_(None),
            first.deleted_at.is_(None),
            second.deleted_at.is_(None),
        )
    )
    return list(session.execute(query).all())


def _match(actor: Actor, queries: list[Query], rows: list[Any]) -> None:
    exact: dict[tuple[str, str], list[Query]] = {}
    for q in queries:
        for key in _date_blocks(q.key) if q.kind == "name_birth" else [q.key]:
            exact.setdefault((q.kind, key), []).append(q)
    for kind, value, detail, entity_id, agency, schema, seen, answers in rows:
        for q in exact.get((kind, value), []):
            score = name_score(q.words, tuple((detail or "").split())) if kind == "name_birth" else 1.0
            if score < NAME_THRESHOLD:
                continue
            if agency != actor.agency:
                q.touched.add((entity_id, agency))
            if seen:
                known = q.visible.get(entity_id)
                if known is None or known["score"] < score:
                    q.visible[entity_id] = {"entity_id": entity_id, "schema": schema, "agency": agency,
                                            "score": score}
            elif answers:
                q.hidden.setdefault(agency, set()).add(entity_id)
            else:
                q.withheld.setdefault(agency, set()).add(entity_id)
    for q in queries:
        for agency in list(q.hidden):
            # An entity seen through one statement is not also a hidden hit through another.
            q.hidden[agency] -= set(q.visible)
            if not q.hidden[agency]:
                del q.hidden[agency]
        for agency in list(q.withheld):
            # Nor withheld, when it answered (in full or as a hit) through a value that may answer.
            q.withheld[agency] -= set(q.visible) | q.hidden.get(agency, set())
            if not q.withheld[agency]:
                del q.withheld[agency]


def _sign(secret: str, agency: str, nonce: bytes) -> bytes:
    return hmac.new(secret.encode(), b"hit_ref|" + agency.encode() + b"|" + nonce, hashlib.sha256).digest()[:16]


def new_ref(secret: str, agency: str) -> str:
    """A fresh opaque reference bound to the caller's agency: random, then signed."""
    nonce = secrets.token_bytes(16)
    return "hr_" + base64.urlsafe_b64encode(nonce + _sign(secret, agency, nonce)).decode().rstrip("=")


def ref_is_signed_for(secret: str, agency: str, ref: object) -> bool:
    """Whether `ref` was minted by this node for `agency` (checked before any lookup)."""
    if not isinstance(ref, str) or not ref.startswith("hr_") or len(ref) > 64:
        return False
    body = ref[3:]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        return False
    return len(raw) == 32 and hmac.compare_digest(raw[16:], _sign(secret, agency, raw[:16]))


def _issue(session: Session, actor: Actor, queries: list[Query]) -> dict[tuple[int, str], str]:
    secret = get_settings().signing_secret()
    now = utcnow()
    refs: dict[tuple[int, str], str] = {}
    rows = []
    for q in queries:
        for agency, ids in sorted(q.hidden.items()):
            ref = new_ref(secret, actor.agency)
            refs[(q.index, agency)] = ref
            rows.append({"ref": ref, "caller_agency": actor.agency, "holder_agency": agency,
                         "entity_ids": ",".join(sorted(ids)), "kind": q.kind, "selector": q.typed,
                         "created_by": actor.user_id,
                         "created_at": now, "expires_at": now + timedelta(days=HIT_REF_DAYS)})
    if rows:
        session.execute(insert(HitRef), rows)
    return refs


def search(*, session: Session, actor: Actor, selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each selector, the matches the actor may see in full, and bare hits of the others.

    Past a rate limit the call is refused whole (`RateLimited`). Matches that may not answer as hits
    leave a deconfliction notice to their owner, and a sweep a notice to the agencies it touched;
    neither changes a byte of the answer.
    """
    require(actor, "discovery.search")
    queries = parse(selectors)
    now = utcnow()
    with system_context(session):  # count the call and match over every agency's selectors; the answer is cut below
        limits.charge_discovery(session, actor, len(queries), now)
        rows = _candidates(session, actor, queries)
    _match(actor, queries, rows)
    refs = _issue(session, actor, queries)
    results = []
    for q in queries:
        results.append({
            "index": q.index,
            "type": q.kind,
            "normalised": q.shown,
            "hit": bool(q.visible or q.hidden),
            "matches": sorted(q.visible.values(), key=lambda m: (-m["score"], m["entity_id"])),
            "hits": [{"hit": True, "agency": agency, "hit_ref": refs[(q.index, agency)]}
                     for agency in sorted(q.hidden)],
        })
    seen: dict[str, str | None] = {m["entity_id"]: m["agency"] for q in queries for m in q.visible.values()}
    audit.record(session, action="discovery.search", actor=actor, objects=sorted(seen.items()), extra={
        "selectors": [{"type": q.kind, "sha256": q.digest} for q in queries],
        "matches": sum(len(q.visible) for q in queries), "hits": len(refs),
    })
    hidden: list[tuple[str, str | None]] = sorted(
        {(e, agency) for q in queries for agency, ids in q.hidden.items() for e in ids}
    )
    if hidden:
        # Names the searcher and the holders' records; shown to the holders' auditors (and in
        # who-saw) only, never to the searcher's agency (access.policy.HOLDERS_ONLY).
        audit.record(session, action="discovery.hit", actor=actor, objects=hidden, extra={
            "hit_refs": [hashlib.sha256(r.encode()).hexdigest() for r in refs.values()],
            "sha256": sorted({q.digest for q in queries if q.hidden}),
        })
    _tell_holders(session, actor, queries, now)
    return results


def _tell_holders(session: Session, actor: Actor, queries: list[Query], now: Any) -> None:
    """Deconfliction notices for matches that answered no hit, and notices of sweeps, as the node."""
    withheld: dict[str, tuple[set[str], set[str]]] = {}
    for q in queries:
        for agency, ids in q.withheld.items():
            records, digests = withheld.setdefault(agency, (set(), set()))
            records |= ids
            digests.add(q.digest)
    with system_context(session):
        for agency, (records, digests) in sorted(withheld.items()):
            notices.leave(session, actor, kind="deconfliction", to_agency=agency, entity_ids=sorted(records),
                          selectors=len(digests), digests=sorted(digests), now=now)
        observed = [(sweeps.shape_of(q.kind, q.key, q.words), q.digest, q.touched) for q in queries]
        for sweep in sweeps.observe(session, actor, observed, now):
            notices.leave(session, actor, kind="sweep", to_agency=sweep.to_agency, entity_ids=list(sweep.entity_ids),
                          selectors=sweep.selectors, digests=[sweep.shape], now=now)

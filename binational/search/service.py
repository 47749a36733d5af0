"""Search entities by name, alias or identifier: ranked, counted and faceted over what the viewer may see.

The words of the search (`query.parse`) find similar index words (`similar.candidates`); the viewer's
own search terms are then matched by equality, in SQL, through the policy's filters: the value's rule
(`visible_values`) on each term and the entity's (`live_and_visible`). A value the viewer may not see
never makes a record match, rank or count, since every score, total and facet below is computed from
those rows alone.

An entity answers when it has every word of a one- or two-word search, all but one of a longer one
(a dropped second surname, a middle name left out), in any order; or when the whole text, compacted,
is one of its identifiers. Its score is the mean of its best score for each word.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.orm import Session

from binational import pagination
from binational.access.actions import Action, register
from binational.access.markings import rank
from binational.access.policy import Actor, live_and_visible, require, visible_values
from binational.audit import log as audit
from binational.config import get_settings
from binational.entities import service as entities
from binational.entities.models import Entity, SearchTerm
from binational.entities.schemas import EntityRead
from binational.errors import InvalidInput
from binational.search import similar
from binational.search.query import Query, parse
from binational.vocabulary import model

register(Action("entity.search", "record.view", "search the entities one may see by name, alias or identifier, "
                                                 "fuzzily, with counts and facets"))

SORTS = ("relevance", "newest", "oldest")
FACETS = ("schema", "agency", "country", "marking", "month")


@dataclass(frozen=True)
class Filters:
    """Facet values a search is narrowed to (None: any)."""

    schema: str | None = None
    agency: str | None = None
    country: str | None = None
    marking: str | None = None
    month: str | None = None

    def admits(self, row: Any) -> bool:
        """Whether a matched entity's row has every chosen facet value."""
        return all(wanted is None or _facet_value(row, name) == wanted for name, wanted in self.items())

    def items(self) -> list[tuple[str, str | None]]:
        return [("schema", self.schema), ("agency", self.agency), ("country", self.country),
                ("marking", self.marking), ("month", self.month)]


@dataclass
class SearchPage:
    """One page of ranked results, with the total and the facets of every result."""

    items: list[EntityRead]
    scores: dict[str, float]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    offset: int
    limit: int
    sort: str
    words: list[str] = field(default_factory=list)


def _facet_value(row: Any, name: str) -> str:
    if name == "schema":
        return str(row.schema)
    if name == "agency":
        return str(row.owner_agency)
    if name == "country":
        return str(row.owner_country)
    if name == "marking":
        return str(row.marking)
    return row.created_at.strftime("%Y-%m")


def score_entities(query: Query, terms_of: dict[str, set[str]], per_word: list[dict[str, float]],
                   compact: dict[str, float]) -> dict[str, float]:
    """Each entity's score from its matched terms; entities that do not answer are left out."""
    count = len(query.words)
    need = count if count <= 2 else count - 1
    scores: dict[str, float] = {}
    for entity_id, entity_terms in terms_of.items():
        best = [max((scores_of.get(term, 0.0) for term in entity_terms), default=0.0) for scores_of in per_word]
        matched = sum(1 for b in best if b > 0)
        by_words = sum(best) / count if count and matched >= need else 0.0
        by_compact = max((compact.get(term, 0.0) for term in entity_terms), default=0.0)
        score = max(by_words, by_compact)
        if score > 0:
            scores[entity_id] = round(score, 4)
    return scores


def matches(session: Session, actor: Actor, query: Query) -> tuple[dict[str, float], dict[str, Any]]:
    """The entities the actor may see that answer the query, with their scores and entity rows."""
    per_word, compact = similar.scored_words(query, similar.candidates(session, query.lookups()),
                                             get_settings().search_prefix_chars)
    words = sorted(set().union(*per_word, compact))
    if not words:
        return {}, {}
    entity_rule: Any = live_and_visible(actor, Entity)
    if session.get_bind().dialect.name == "sqlite":
        # Without statistics SQLite's planner takes the rule's `case_id IS NULL` for selective and walks
        # every entity (seconds on the medium world); as one opaque term the rule is checked for the
        # matched terms' entities only, found by primary key.
        # (likely() would not do: the planner sees through it)
        entity_rule = func.coalesce(entity_rule, False)
    # First the viewer's visible terms alone (on PostgreSQL an index-only scan: the index carries the
    # value's policy columns), which say which entities answer; then the entity's own rule for those
    # only, by primary key, so that the rule's release lookups run for the answering entities and not
    # for every entity that shares one common word. An entity the rule refuses is dropped whole: its
    # terms never counted for any other entity.
    terms_of: dict[str, set[str]] = defaultdict(set)
    # Core rows (not ORM ones): a common name's terms are tens of thousands of rows.
    for entity_id, term in session.connection().execute(
            select(SearchTerm.entity_id, SearchTerm.term)
            .where(one_of(session, SearchTerm.term, words), visible_values(actor, SearchTerm))):
        terms_of[entity_id].add(term)
    scores = score_entities(query, terms_of, per_word, compact)
    if not scores:
        return {}, {}
    rows: dict[str, Any] = {row.id: row for row in session.connection().execute(
        select(Entity.id, Entity.schema, Entity.owner_agency, Entity.owner_country, Entity.marking,
               Entity.created_at).where(one_of(session, Entity.id, sorted(scores)), entity_rule))}
    return {i: scores[i] for i in rows}, rows


def one_of(session: Session, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`, in a statement whose text does not depend on how many values there are.

    The records a common word matches, and the index words similar to a search's, grow with the data;
    as an IN list every new count was a new SQL text, and Python's SQLite driver keeps up to 128
    prepared statements per connection, each as large as its list: the serving process's memory grew
    with every such search (issue 12). On SQLite the values are one JSON parameter (`json_each`), on
    PostgreSQL one array parameter; being one parameter, a list of any length needs no chunks."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(String), unique=True))
    listed = func.json_each(bindparam("values", orjson.dumps(values).decode(), type_=String,
                                      unique=True)).table_valued("value")
    return column.in_(select(listed.c.value))


def _check(sort: str, filters: Filters) -> None:
    if sort not in SORTS:
        raise InvalidInput(f"sort is one of {', '.join(SORTS)}", details=[{"field": "sort"}])
    if filters.marking is not None:
        rank(filters.marking)
    if filters.schema is not None and model.get(filters.schema) is None:
        raise InvalidInput(f"unknown schema {filters.schema!r}", details=[{"field": "schema"}])


def _ordered(scores: dict[str, float], rows: dict[str, Any], sort: str) -> list[str]:
    ids = sorted(rows)  # ties broken by id, so a page is stable
    if sort == "relevance":
        return sorted(ids, key=lambda i: -scores[i])
    return sorted(ids, key=lambda i: rows[i].created_at, reverse=sort == "newest")


def search(*, session: Session, actor: Actor, q: str, filters: Filters | None = None, sort: str = "relevance",
           limit: int | None = None, offset: int = 0) -> SearchPage:
    """A page of the entities the actor may see that answer `q`, best first (or by date), with the total
    and facets of all of them; audited with the page's records and the text's hash."""
    require(actor, "entity.search")
    filters = filters or Filters()
    settings = get_settings()
    limit = pagination.check_limit(limit, settings.page_size, settings.max_page_size)
    if offset < 0:
        raise InvalidInput("offset cannot be negative", details=[{"field": "offset"}])
    _check(sort, filters)
    query = parse(q)
    scores, rows = matches(session, actor, query)
    kept = {i: row for i, row in rows.items() if filters.admits(row)}
    facets = {name: Counter(_facet_value(row, name) for row in kept.values()).most_common() for name in FACETS}
    order = _ordered(scores, kept, sort)
    page_ids = order[offset:offset + limit]
    page_rows = {row.id: row for row in session.execute(select(*entities.ENTITY_COLUMNS).where(
        Entity.id.in_(page_ids), live_and_visible(actor, Entity)))} if page_ids else {}
    page = [page_rows[i] for i in page_ids if i in page_rows]
    audit.record(session, action="entity.search", actor=actor, objects=[(e.id, e.owner_agency) for e in page],
                 extra={"q_sha256": hashlib.sha256(q.encode()).hexdigest(), "total": len(order), "page": len(page),
                        "filter": {k: v for k, v in filters.items() if v is not None}})
    return SearchPage(items=entities.assemble(session, actor, page), scores={i: scores[i] for i in page_ids},
                      total=len(order), facets=facets, offset=offset, limit=limit, sort=sort,
                      words=[w.text for w in query.words])

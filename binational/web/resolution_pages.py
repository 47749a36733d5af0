"""Entity resolution pages: the review queue, one suggestion side by side with a one-key judgement,
a record's matches, and (for administrators) starting a run.

Everything goes through `binational.resolution.service`: a suggestion whose two records the viewer
may not both see is the ordinary 404 page, and so is judging it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.access.policy import Actor, can
from binational.entities import service as entities
from binational.entities.schemas import EntityRead
from binational.errors import Conflict, InvalidInput, NotFound
from binational.resolution import queue, runs, service, worker
from binational.resolution.features import KIND_OF_SCHEMA, KINDS
from binational.resolution.schemas import JudgementCreate, SuggestionRead
from binational.routing import RowId, SessionDep
from binational.vocabulary import labels
from binational.web import i18n
from binational.web.forms import get_schema
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 25
#: verdict -> the key that gives it on the review page
KEYS = {"positive": "y", "negative": "n", "unsure": "u", "retracted": "r"}
ENGINES = ("duckdb", "spark")


FILTERS = ("kind", "decision", "mine", "schema", "min", "max")
SCHEMAS = tuple(sorted(KIND_OF_SCHEMA))


def _queue(values: Mapping[str, Any]) -> dict[str, str]:
    """The queue's filters from a query or a form, kept across a judgement (unknown values dropped;
    scores are percentages, checked by `_where`)."""
    got = {k: str(values.get(k, "")).strip()[:32] for k in FILTERS}
    return {"kind": got["kind"] if got["kind"] in KINDS else "",
            "decision": got["decision"] if got["decision"] in ("match", "review") else "",
            "mine": "true" if got["mine"] == "true" else "",
            "schema": got["schema"] if got["schema"] in SCHEMAS else "",
            "min": got["min"], "max": got["max"]}


def _percent(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise InvalidInput(f"{name} is a percentage between 0 and 100", details=[{"field": name}])
    return value / 100


def _where(filters: dict[str, str]) -> service.QueueFilter:
    """The service's filter of the page's (InvalidInput naming `min` or `max` when not a percentage)."""
    return service.QueueFilter(kind=filters["kind"] or None, decision=filters["decision"] or None,
                               mine=filters["mine"] == "true", schema=filters["schema"] or None,
                               min_score=_percent(filters["min"], "min"), max_score=_percent(filters["max"], "max"))


def _query(filters: dict[str, str]) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


def _queue_page(request: Request, s: Any, actor: Actor, filters: dict[str, str], unjudged: bool, cursor: str,
                errors: dict[str, str] | None = None, status: int = 200, run_id: str = "",
                done: bool = False, accepted: int | None = None) -> HTMLResponse:
    items: list[SuggestionRead] = []
    next_cursor = None
    totals = None
    reviewer = can(actor, "resolution.suggestion.list").allowed
    try:
        if reviewer:
            where = _where(filters)
            items, next_cursor = service.list_suggestions(
                session=s, actor=actor, kind=where.kind, decision=where.decision, unjudged=unjudged, limit=PAGE,
                cursor=cursor or None, mine=where.mine, schema=where.schema, min_score=where.min_score,
                max_score=where.max_score)
            totals = queue.totals(session=s, actor=actor, where=where)
    except InvalidInput as exc:
        errors = {**(errors or {}), **field_errors(i18n.language(request), exc, "kind")}
        status = 422
    run = service.read_run(session=s, actor=actor, run_id=run_id or None, current=True)
    return render(request, "resolution/queue.html", status, items=items, next_cursor=next_cursor, filters=filters,
                  unjudged=unjudged, paged=bool(cursor), run=run, reviewer=reviewer, kinds=KINDS, engines=ENGINES,
                  may_run=can(actor, "resolution.run").allowed, errors=errors or {}, done=done,
                  query=_query(filters), totals=totals, schemas=SCHEMAS, accepted=accepted,
                  may_accept=can(actor, "resolution.accept").allowed and can(actor, "resolution.judge").allowed)


@router.get("/resolution", response_class=HTMLResponse)
def queue_page(request: Request, s: SessionDep, actor: PageActor, unjudged: bool = True,
               cursor: Annotated[str, Query(max_length=1000)] = "", run: Annotated[str, Query(max_length=32)] = "",
               done: bool = False, accepted: Annotated[int | None, Query(ge=0)] = None) -> HTMLResponse:
    """The suggestions of the latest run whose two records the user may see, their totals, the
    latest (or running) run; filters `kind`, `decision`, `mine`, `schema`, `min` and `max` (percent)."""
    return _queue_page(request, s, actor, _queue(request.query_params), unjudged, cursor, run_id=run, done=done,
                       accepted=accepted)


@router.get("/resolution/next")
def next_suggestion(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """The first suggestion the user's agency has not judged yet (or the queue, when none is left)."""
    filters = _queue(request.query_params)
    where = _where(filters)
    items, _ = service.list_suggestions(session=s, actor=actor, kind=where.kind, decision=where.decision,
                                        unjudged=True, limit=1, mine=where.mine, schema=where.schema,
                                        min_score=where.min_score, max_score=where.max_score)
    query = _query(filters)
    if not items:
        return redirect("/resolution?" + urlencode({**filters, "done": "true"}))
    return redirect(f"/resolution/{items[0].id}" + (f"?{query}" if query else ""))


@router.post("/resolution/accept", response_model=None)
async def accept(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Accept every unjudged pair of the filtered queue scoring at least the given percentage (not
    below the node's floor), one judgement a pair; back to the queue saying how many."""
    form = await request.form()
    filters = _queue(form)
    try:
        threshold = _percent(str(form.get("min_score", "")), "min_score")
        if threshold is None:
            raise InvalidInput("min_score is a percentage between 0 and 100", details=[{"field": "min_score"}])
        done = queue.accept_above(session=s, actor=actor, min_score=threshold, where=_where(filters))
    except InvalidInput as exc:
        s.rollback()
        return _queue_page(request, s, actor, filters, True, "",
                           field_errors(i18n.language(request), exc, "min_score"), 422)
    return redirect("/resolution?" + urlencode({**{k: v for k, v in filters.items() if v}, "accepted": done.accepted}))


def _rows(left: EntityRead, right: EntityRead, lang: str) -> list[tuple[str, list[Any], list[Any]]]:
    """Properties of both records aligned: (label in `lang`, left values, right values), featured first."""
    schema = get_schema(left.schema)
    props: dict[str, tuple[list[Any], list[Any]]] = {}
    for side, entity in enumerate((left, right)):
        for value in entity.values:
            props.setdefault(value.prop, ([], []))[side].append(value)
    featured = set(schema.featured) if schema else set()

    def label(prop: str) -> str:
        return labels.prop_label(lang, schema, prop) if schema else prop

    order = sorted(props, key=lambda p: (p not in featured, label(p).lower()))
    return [(label(p), props[p][0], props[p][1]) for p in order]


def _bars(weights: dict[str, list[Any]], lang: str) -> list[dict[str, Any]]:
    """Each comparison's level (in `lang`) and match weight, with a bar length relative to the largest weight."""
    top = max((abs(float(w)) for _level, w in weights.values()), default=0.0) or 1.0
    rows = [{"name": i18n.evidence(lang, name), "level": i18n.evidence(lang, name, level), "weight": float(w),
             "width": round(100 * abs(float(w)) / top)}
            for name, (level, w) in weights.items()]
    return sorted(rows, key=lambda r: -abs(r["weight"]))


def _review(request: Request, s: Any, actor: Actor, suggestion_id: int, filters: dict[str, str],
            errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    item = service.read_suggestion(session=s, actor=actor, suggestion_id=suggestion_id)
    history = service.list_judgements(session=s, actor=actor, left_id=item.left.id, right_id=item.right.id)
    lang = i18n.language(request)
    return render(request, "resolution/review.html", status, item=item, rows=_rows(item.left, item.right, lang),
                  bars=_bars(item.weights, lang), history=history, keys=KEYS, filters=filters, query=_query(filters),
                  may_judge=can(actor, "resolution.judge").allowed, errors=errors or {})


@router.get("/resolution/{suggestion_id}", response_class=HTMLResponse)
def review(request: Request, suggestion_id: RowId, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One suggestion: both records side by side, the weight of each comparison, the history."""
    return _review(request, s, actor, suggestion_id, _queue(request.query_params))


@router.post("/resolution/{suggestion_id}/judgements", response_model=None)
async def judge(request: Request, suggestion_id: RowId, s: SessionDep, actor: PageActor) -> Response:
    """Record the agency's verdict on the pair, then go on to the next suggestion of the queue."""
    form = await request.form()
    filters = _queue(form)
    verdict = str(form.get("verdict", ""))
    try:
        service.judge(session=s, actor=actor, data=JudgementCreate(
            verdict=verdict, suggestion_id=suggestion_id, comment=str(form.get("comment", ""))[:2000]))
    except InvalidInput as exc:
        s.rollback()  # nothing of a refused change is kept (the page's unit of work would commit it)
        return _review(request, s, actor, suggestion_id, filters,
                       field_errors(i18n.language(request), exc, "verdict"), 422)
    query = _query(filters)
    return redirect("/resolution/next" + (f"?{query}" if query else ""))


@router.post("/resolution/runs", response_model=None)
async def start_run(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Start resolution over all data, as the system (administrators): the page follows the run's
    progress while a worker of the node does it."""
    form = await request.form()
    engine = str(form.get("engine", "duckdb"))
    kinds = [str(k) for k in form.getlist("kinds")] or None
    try:
        row = runs.start(session=s, actor=actor, engine=engine, kinds=kinds)
    except (InvalidInput, Conflict) as exc:
        s.rollback()
        status = 409 if isinstance(exc, Conflict) else 422
        return _queue_page(request, s, actor, _queue({}), True, "",
                           field_errors(i18n.language(request), exc, "engine"), status)
    worker.launch_after_commit(s, row.id)
    return redirect(f"/resolution?run={row.id}")


@router.get("/resolution/runs/{run_id}/progress", response_class=HTMLResponse)
def run_progress(request: Request, run_id: Annotated[str, Path(max_length=32)], s: SessionDep,
                 actor: PageActor) -> Response:
    """The progress panel of a run (polled by htmx while it runs); once it ended, the page reloads."""
    run = service.read_run(session=s, actor=actor, run_id=run_id)
    if run is None:
        raise NotFound("run", run_id, action="resolution.read", reason="no such run")
    response = render(request, "resolution/progress.html", run=run)
    if run.status != "running":
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/entities/{entity_id}/matches", response_class=HTMLResponse)
def matches(request: Request, entity_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """A record's suggested matches the user may see, hits held by other agencies, and its cluster."""
    entity = entities.read(session=s, actor=actor, entity_id=entity_id)
    found = service.matches(session=s, actor=actor, entity_id=entity_id)
    cluster = service.cluster(session=s, actor=actor, entity_id=entity_id)
    pairs = [(item, item.right if item.left.id == entity_id else item.left) for item in found.suggestions]
    return render(request, "resolution/matches.html", entity=entity, pairs=pairs, hits=found.hits,
                  cluster=cluster)


def resolvable(schema: str) -> bool:
    """Whether records of this schema are matched by entity resolution (the entity page's link)."""
    return schema in KIND_OF_SCHEMA

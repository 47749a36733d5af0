"""The network page: an interactive graph (Cytoscape.js) of what the user may see, and disruption plans.

The page's script reads the graph from `/network/data` and plans from `/network/plan`, which answer
JSON built by `binational.networks.service` under the signed-in user's policy (the cookie session of
the pages, not API tokens), so the browser never holds anything the user could not read record by
record. An entity the user cannot see is the ordinary 404 page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from binational.access import service as access
from binational.access.policy import require
from binational.entities import service as entities
from binational.errors import InvalidInput
from binational.networks import service
from binational.networks.schemas import PlanRequest, Scope
from binational.routing import SessionDep
from binational.vocabulary import labels
from binational.web import i18n
from binational.web.render import PageActor, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/network", dependencies=[Depends(check_csrf)], include_in_schema=False)
METHODS = ("hybrid", "betweenness", "degree")
FORMATS = {"graphml": ("application/graphml+xml", "graphml"), "gexf": ("application/gexf+xml", "gexf"),
           "ftm": ("application/x-ndjson", "jsonl")}
Short = Annotated[str, Query(max_length=200)]
Many = Annotated[list[str] | None, Query(max_length=64)]


def _date(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"property '{field}' of Network: '{text}' is not a date",
                           details=[{"field": field}]) from None


def _depth(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput("depth must be between 1 and 3", details=[{"field": "depth"}]) from None


def scope_of(entity: str, depth: str, types: list[str] | None, agencies: list[str] | None, start: str, end: str,
             undated: str) -> Scope:
    """The scope of the page's graph from its query string (or its plan form)."""
    scope = Scope(entity=entity.strip() or None, depth=_depth(depth or "1"), types=types or [],
                  agencies=agencies or [], start=_date(start, "start"), end=_date(end, "end"),
                  undated=undated != "false")
    service.check_scope(scope)
    return scope


def _query(scope: Scope) -> str:
    """The query string of a scope (the page, its data, its exports and its plans share it)."""
    pairs: list[tuple[str, str]] = []
    if scope.entity:
        pairs += [("entity", scope.entity), ("depth", str(scope.depth))]
    pairs += [("type", t) for t in scope.types] + [("agency", a) for a in scope.agencies]
    pairs += [(k, v.isoformat()) for k, v in (("start", scope.start), ("end", scope.end)) if v]
    if not scope.undated:
        pairs.append(("undated", "false"))
    return urlencode(pairs)


def _json_error(request: Request, exc: InvalidInput) -> JSONResponse:
    lang = i18n.language(request)
    field = next((d.get("field") for d in exc.details if isinstance(d, dict) and d.get("field")), None)
    message = i18n.error(lang, exc.message)  # the script shows text: no markup
    text = message.striptags() if isinstance(message, Markup) else message
    return JSONResponse({"error": text, "field": field}, status_code=422)


@router.get("", response_class=HTMLResponse)
def page(request: Request, s: SessionDep, actor: PageActor, entity: Short = "", depth: Short = "1",
         type: Many = None, agency: Many = None, start: Short = "", end: Short = "",  # noqa: A002
         undated: Short = "true", q: Short = "") -> HTMLResponse:
    """The graph page: the ego network of an entity, or the overview (the largest organisations and
    communities, the whole network when it fits the node limit) with a search for a party by name."""
    require(actor, "network.view")
    center = entities.read(session=s, actor=actor, entity_id=entity.strip()) if entity.strip() else None
    overview = service.overview(session=s, actor=actor) if center is None else None
    found = None
    if center is None and q.strip():
        found = service.find_parties(session=s, actor=actor, q=q.strip())
    errors: dict[str, str] = {}
    scope = Scope(entity=center.id if center else None)
    try:
        scope = scope_of(entity, depth, type, agency, start, end, undated)
    except InvalidInput as exc:
        field = next((d.get("field") for d in exc.details if isinstance(d, dict)), "entity") or "entity"
        errors = {str(field): i18n.error(i18n.language(request), exc.message)}
    query = _query(scope)
    lang = i18n.language(request)
    return render(request, "networks/page.html", 422 if errors else 200, center=center, scope=scope, query=query,
                  errors=errors, types=[(ty, type_label(lang, ty)) for ty in service.link_types()],
                  agencies=access.list_agencies(session=s),
                  methods=METHODS, formats=list(FORMATS), messages=_messages(lang),
                  overview=overview, q=q.strip(), found=found)


@router.get("/data", response_model=None)
def data(request: Request, s: SessionDep, actor: PageActor, entity: Short = "", depth: Short = "1",
         type: Many = None, agency: Many = None, start: Short = "", end: Short = "",  # noqa: A002
         undated: Short = "true") -> Response:
    """The graph as JSON for the page's script: nodes with measures, edges aggregated by type."""
    try:
        scope = scope_of(entity, depth, type, agency, start, end, undated)
        net = service.network(session=s, actor=actor, scope=scope)  # past the node limit: 422, audited as a deny
        graph = service.describe(net).model_dump(mode="json", by_alias=True)
        return JSONResponse(_graph_words(i18n.language(request), graph))
    except InvalidInput as exc:
        return _json_error(request, exc)


@router.post("/plan", response_model=None)
async def plan(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """A disruption plan of the page's network (budget, method), as JSON; audited by the service."""
    form = await request.form()

    def text(name: str, default: str = "") -> str:
        value = form.get(name, default)
        return value if isinstance(value, str) else default

    try:
        scope = scope_of(text("entity"), text("depth", "1"), [str(v) for v in form.getlist("type")],
                         [str(v) for v in form.getlist("agency")], text("start"), text("end"), text("undated", "true"))
        try:  # left empty: the default that fits the graph
            budget = int(text("budget")) if text("budget").strip() else None
        except ValueError:
            raise InvalidInput("budget must be a whole number", details=[{"field": "budget"}]) from None
        result = service.plan(session=s, actor=actor, request=PlanRequest(
            scope=scope, budget=budget, method=text("method", "hybrid"), ties=10))
    except InvalidInput as exc:
        return _json_error(request, exc)
    return JSONResponse(_plan_words(i18n.language(request), result.model_dump(mode="json")))


@router.get("/export", response_model=None)
def export(s: SessionDep, actor: PageActor, format: Short = "graphml",  # noqa: A002
           entity: Short = "", depth: Short = "1", type: Many = None, agency: Many = None,  # noqa: A002
           start: Short = "", end: Short = "", undated: Short = "true") -> Response:
    """The page's network as a GraphML, GEXF or FtM file."""
    if format not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", details=[{"field": "format"}])
    scope = scope_of(entity, depth, type, agency, start, end, undated)
    body = service.export(session=s, actor=actor, scope=scope, format=format)
    media, suffix = FORMATS[format]
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="network.{suffix}"'})


def type_label(lang: str, link_type: str) -> str:
    """A tie type in words: a link schema's label, or a shared identifier's (`shared_phone`)."""
    if link_type.startswith("shared_"):
        return i18n.translate(lang, f"network.type_{link_type}")
    return labels.schema_label(lang, link_type)


def _graph_words(lang: str, graph: dict[str, Any]) -> dict[str, Any]:
    """The graph for the page's script with schema and tie types also in words of the language."""
    for node in graph["nodes"]:
        node["schema_label"] = labels.schema_label(lang, node["schema"])
        node["caption"] = labels.caption(lang, node["schema"], node["caption"])
    for edge in graph["edges"]:
        edge["type_label"] = type_label(lang, edge["type"])
    return graph


def _reason(lang: str, code: str, params: dict[str, Any]) -> str:
    args = {k: ", ".join(str(x) for x in v) if isinstance(v, list) else v for k, v in params.items()}
    if code == "hub":
        args["ties"] = i18n.translate(lang, "count.ties", count=int(params["ties"]))
    return i18n.translate(lang, f"network.reason_{code}", **args)


def _plan_words(lang: str, plan: dict[str, Any]) -> dict[str, Any]:
    """A plan for the page's script in the language: each target's reasons as one sentence, the
    methods' names, and the notes (an English one tagged `en`)."""
    for target in plan["targets"]:
        target["role"] = "; ".join(_reason(lang, r["code"], r["params"]) for r in target["reasons"])
    plan["method_labels"] = {m: i18n.translate(lang, f"network.method_{m}") for m in METHODS}
    # a variant is the plan's steps joined by "+" ("reverse-greedy+swaps"): each step in words
    steps = [(step, f"network.variant_{step.replace('-', '_')}") for step in plan["variant"].split("+") if step]
    plan["variant"] = " + ".join(i18n.translate(lang, key) if key in i18n.catalog(lang) else step
                                 for step, key in steps)
    plan["notes"] = [i18n.note(lang, n)._asdict() for n in plan["notes"]]
    return plan


def _messages(lang: str) -> dict[str, Any]:
    """The words the page's script shows (status lines, the plan's table and chart)."""
    keys = ("network.loading", "network.summary", "network.empty", "network.failed", "network.not_found",
            "network.expand", "network.open_entity", "network.plan_running", "network.robustness",
            "network.step", "network.target", "network.role", "network.bridges", "network.lcc_after",
            "network.drop", "network.removed", "network.lcc", "network.sensitivity", "network.compare",
            "network.method", "network.final_lcc", "network.community", "network.degree", "network.betweenness",
            "network.eigenvector", "network.core", "network.agencies", "network.members", "network.caption",
            "network.schema", "network.variant", "network.notes", "network.pick")
    words: dict[str, Any] = {key.split(".", 1)[1]: i18n.translate(lang, key) for key in keys}
    forms = (("one", 1), ("other", 2))
    words["plural"] = {kind: {form: i18n.message_text(lang, f"count.{kind}", n) for form, n in forms}
                       for kind in ("nodes", "ties")}
    return words


"""Entity pages: search, the profile of a record (values, related records, timeline, map, merged cluster,
readers, release panel), create and edit, release and revoke."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from binational.access import service as access
from binational.access.markings import MARKINGS
from binational.access.policy import Actor, can, may_see_readers, require
from binational.audit import service as audit
from binational.config import get_settings
from binational.entities import exports, profile, releases, service, transfer
from binational.entities.schemas import EntityCreate, EntityPatch, EntityRead
from binational.errors import InvalidInput
from binational.resolution import merged
from binational.routing import RowId, SessionDep
from binational.web import forms, i18n, point_map, readable
from binational.web.render import PageActor, field_errors, redirect, render, said_in
from binational.web.resolution_pages import resolvable
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/entities", dependencies=[Depends(check_csrf)], include_in_schema=False)
release_router = APIRouter(prefix="/releases", dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 25


@router.get("", response_class=HTMLResponse)
def search(
    request: Request, s: SessionDep, actor: PageActor,
    q: Annotated[str, Query(max_length=200)] = "", schema: Annotated[str, Query(max_length=64)] = "",
    agency: Annotated[str, Query(max_length=32)] = "", marking: Annotated[str, Query(max_length=32)] = "",
    cursor: Annotated[str, Query(max_length=1000)] = "",
) -> HTMLResponse:
    """Search the entities the user may see, with filters and pages."""
    return _search_page(request, s, actor, {"q": q, "schema": schema, "agency": agency, "marking": marking}, cursor)


def _search_page(request: Request, s: Any, actor: Actor, filters: dict[str, str], cursor: str = "",
                 export_error: str = "") -> HTMLResponse:
    lang = i18n.language(request)
    errors: dict[str, str] = {}
    items: list[EntityRead] = []
    next_cursor = None
    try:
        items, next_cursor = service.list_entities(
            session=s, actor=actor, q=filters["q"].strip() or None, schema=filters["schema"] or None,
            agency=filters["agency"] or None, marking=filters["marking"] or None, cursor=cursor or None, limit=PAGE)
    except InvalidInput as exc:
        errors = field_errors(lang, exc, "q")
    return render(request, "entities/search.html", 422 if errors or export_error else 200, items=items,
                  next_cursor=next_cursor, filters=filters, errors=errors, schemas=forms.schema_choices(lang),
                  agencies=access.list_agencies(session=s), paged=bool(cursor), export_error=export_error,
                  may_export=can(actor, "entity.export").allowed, query=urlencode(filters))


def _import_page(request: Request, s: Any, actor: Actor, status: int = 200, *, errors: dict[str, str] | None = None,
                 imported: int | None = None, source: str = "",
                 policy: dict[str, Any] | None = None) -> HTMLResponse:
    return render(request, "entities/import.html", status, errors=errors or {}, imported=imported, source=source,
                  policy=policy or {"distribution": "agency", "marking": "TLP:AMBER", "release_to": []},
                  max_mb=get_settings().import_max_bytes // 1_048_576, **_policy_form(s, actor))


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The form of an import: a file of FtM JSON lines and the policy of lines without their own."""
    require(actor, "entity.import")
    return _import_page(request, s, actor)


@router.post("/import", response_model=None)
async def import_file(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Import the uploaded file as the user's agency with the importer of the command line: every
    line is checked first, and one bad line (named on the page) imports nothing."""
    form = await request.form()
    upload = form.get("file")
    distribution, marking = str(form.get("distribution") or "agency"), str(form.get("marking") or "TLP:AMBER")
    release_to = [str(v) for v in form.getlist("release_to")]
    policy: dict[str, Any] = {"distribution": distribution, "marking": marking, "release_to": release_to}
    lang = i18n.language(request)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, s, actor, 422, errors={"file": i18n.translate(lang, "error.required")},
                            policy=policy)
    source = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:100]
    raw = await upload.read()
    default = transfer.ImportPolicy(distribution=distribution, marking=marking, release_to=tuple(release_to))

    def work() -> int:  # off the event loop: a large file takes a while, and other requests go on
        lines = transfer.read_lines(io.BytesIO(raw), source)
        return transfer.import_lines(session=s, actor=actor, lines=lines, source=source, default=default)

    try:
        count = await run_in_threadpool(work)
    except InvalidInput as exc:
        s.rollback()
        return _import_page(request, s, actor, 422, errors={"file": _import_error(lang, source, exc.message)},
                            policy=policy)
    return _import_page(request, s, actor, imported=count, source=source)


def _import_error(lang: str, source: str, message: str) -> str:
    """The importer's message in the visitor's language, keeping the line it names."""
    where, _, rest = message.partition(": ")
    line = where.removeprefix(f"{source} line ")
    if where.startswith(f"{source} line ") and line.isdigit():
        return i18n.translate(lang, "import.error_line", name=source, line=line, message=i18n.error(lang, rest))
    return i18n.error(lang, message)


@router.get("/export", response_model=None)
def export(
    request: Request, s: SessionDep, actor: PageActor, format: Annotated[str, Query(max_length=8)] = "csv",
    q: Annotated[str, Query(max_length=200)] = "", schema: Annotated[str, Query(max_length=64)] = "",
    agency: Annotated[str, Query(max_length=32)] = "", marking: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The search's results as a file (CSV or FtM JSON lines); too many is the search page with the reason."""
    try:
        body = exports.export(session=s, actor=actor, fmt=format, q=q.strip() or None, schema=schema or None,
                              agency=agency or None, marking=marking or None)
    except InvalidInput as exc:
        s.rollback()
        filters = {"q": q, "schema": schema, "agency": agency, "marking": marking}
        return _search_page(request, s, actor, filters, export_error=i18n.error(i18n.language(request), exc.message))
    return Response(body, media_type=exports.FORMATS[format], headers={
        "Content-Disposition": f'attachment; filename="entities.{exports.SUFFIX[format]}"'})


@router.get("/suggest", response_class=HTMLResponse)
def suggest(request: Request, s: SessionDep, actor: PageActor,
            q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """Options for an entity field's autocomplete: visible entities matching the text (htmx)."""
    items: list[EntityRead] = []
    if len(q.strip()) >= 2:
        try:
            items, _ = service.list_entities(session=s, actor=actor, q=q.strip(), limit=10)
        except InvalidInput:
            items = []
    return render(request, "entities/suggest.html", items=items)


def _policy_form(s: Any, actor: Actor) -> dict[str, Any]:
    partners = access.release_recipients(session=s, actor=actor)
    markings = [m for m in MARKINGS if MARKINGS.index(m) <= actor.clearance_rank]
    return {"partners": partners, "allowed_markings": markings}


def _form(request: Request, s: Any, actor: Actor, schema_name: str | None, *, entity: EntityRead | None = None,
          values: dict[str, str] | None = None, policy: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    schema = forms.get_schema(schema_name) or forms.get_schema("Person")
    assert schema is not None
    lang = i18n.language(request)
    return render(request, "entities/form.html", status, schema=schema, fields=forms.fields(schema, lang),
                  schemas=forms.schema_choices(lang), entity=entity, values=values or {}, errors=errors or {},
                  policy=policy or {"distribution": "agency", "marking": "TLP:AMBER", "release_to": []},
                  **_policy_form(s, actor))


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, s: SessionDep, actor: PageActor,
             schema: Annotated[str, Query(max_length=64)] = "Person") -> HTMLResponse:
    """The form of a new entity, with the fields of the chosen schema."""
    require(actor, "entity.create")
    return _form(request, s, actor, schema)


def _until(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"property 'until' of Release: {text!r} is not a date",
                           details=[{"field": "until"}]) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@router.post("/new", response_model=None)
async def create(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Record the entity; on an error show the form again with the message next to its field."""
    form = await request.form()
    schema = forms.get_schema(str(form.get("schema", "")))
    if schema is None:
        return _form(request, s, actor, None, errors={"schema": i18n.translate(i18n.language(request),
                                                                                "error.required")}, status=422)
    properties = forms.read_properties(schema, form)
    until = str(form.get("until", ""))
    policy: dict[str, Any] = {"distribution": str(form.get("distribution", "agency")),
                              "marking": str(form.get("marking", "")),
                              "release_to": [str(v) for v in form.getlist("release_to")], "until": until}
    try:
        data = EntityCreate.model_validate({
            "schema": schema.name, "properties": properties, "distribution": policy["distribution"],
            "marking": policy["marking"], "release_to": policy["release_to"], "release_until": _until(until),
        })
        entity = service.create(session=s, actor=actor, data=data)
    except InvalidInput as exc:
        s.rollback()  # nothing of a refused change is kept (the page's unit of work would commit it)
        return _form(request, s, actor, schema.name, values=forms.as_text(properties), policy=policy,
                     errors=field_errors(i18n.language(request), exc), status=422)
    return redirect(f"/entities/{entity.id}")


def _profile(request: Request, s: Any, actor: Actor, entity: EntityRead) -> dict[str, Any]:
    """The profile of the record as the viewer may see it: readable values, related records, timeline,
    map, merged cluster and, for the owner's auditors and supervisors, who read it."""
    lang = i18n.language(request)
    built = profile.build(session=s, actor=actor, entity=entity)
    captions = dict(built.captions)
    cluster = None
    if resolvable(entity.schema) and can(actor, "resolution.cluster.read").allowed:
        cluster = merged.merged_profile(session=s, actor=actor, entity=entity)
    schema = forms.get_schema(entity.schema)
    facts = [(f, [readable.shown(f.type, v, lang, captions) for v in f.values]) for f in built.facts]
    merged_rows = []
    if cluster is not None:
        named = {**captions, **cluster.captions, **{m.id: m.caption for m in cluster.members}}
        for name, _label, kind, _featured in profile.ordered(entity.schema, cluster.properties):
            merged_rows.append((name, [(readable.text(kind, v.value, lang, named), v.agencies)
                                       for v in cluster.properties[name]]))
    readers = None
    if may_see_readers(actor, owner_agency=entity.owner_agency):
        readers = audit.readers(session=s, actor=actor, object_id=entity.id, owner_agency=entity.owner_agency)
    return {"facts": facts, "groups": built.groups, "timeline": built.timeline,
            "when": lambda value: readable.when(value, lang), "map": point_map.draw(built.places),
            "cluster": cluster, "merged_rows": merged_rows, "readers": readers,
            "network_link": bool(schema and schema.is_a("LegalEntity"))}


def _page(request: Request, s: Any, actor: Actor, entity: EntityRead, errors: dict[str, str] | None = None,
          status: int = 200) -> HTMLResponse:
    owner = entity.owner_agency == actor.agency
    release_list = []
    if owner and can(actor, "release.list").allowed:
        release_list = releases.list_releases(session=s, actor=actor, entity_id=entity.id)
    _row, decision = service.access_entity(s, actor, entity.id, "entity.read")
    lang = i18n.language(request)
    access_reason = said_in(lang)(i18n.reason_said(lang, decision.reason))
    return render(request, "entities/view.html", status, entity=entity, owner=owner, releases=release_list,
                  access_reason=access_reason, may_edit=owner and can(actor, "entity.update").allowed,
                  may_release=owner and can(actor, "release.create").allowed, errors=errors or {},
                  may_ask=not owner and can(actor, "request.create").allowed,
                  today=date.today().isoformat(), matches_link=resolvable(entity.schema),
                  **_profile(request, s, actor, entity), **_policy_form(s, actor))


@router.get("/{entity_id}", response_class=HTMLResponse)
def view(request: Request, entity_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """One entity as the user may see it; an invisible one is the ordinary not-found page."""
    entity = service.read(session=s, actor=actor, entity_id=entity_id)
    return _page(request, s, actor, entity)


@router.get("/{entity_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, entity_id: str, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The form of an entity the user's agency owns, filled with its values."""
    service.access_entity_row(s, actor, entity_id, "entity.update")
    entity = service.read(session=s, actor=actor, entity_id=entity_id)
    return _form(request, s, actor, entity.schema, entity=entity, values=forms.as_text(entity.properties))


@router.post("/{entity_id}/edit", response_model=None)
async def edit(request: Request, entity_id: str, s: SessionDep, actor: PageActor) -> Response:
    """Apply the differences between the form and the entity: new lines added, missing lines removed."""
    service.access_entity_row(s, actor, entity_id, "entity.update")
    entity = service.read(session=s, actor=actor, entity_id=entity_id)
    schema = forms.get_schema(entity.schema)
    assert schema is not None
    form = await request.form()
    wanted = forms.read_properties(schema, form)
    add = {p: [v for v in vs if v not in entity.properties.get(p, [])] for p, vs in wanted.items()}
    remove = {p: [v for v in vs if v not in wanted.get(p, [])] for p, vs in entity.properties.items()
              if (prop := schema.get(p)) is not None and not prop.stub}
    patch = EntityPatch(add={p: v for p, v in add.items() if v}, remove={p: v for p, v in remove.items() if v})
    try:
        service.update(session=s, actor=actor, entity_id=entity_id, patch=patch)
    except InvalidInput as exc:
        # An update can fail after its first removals: nothing of it is kept. The read that the form
        # shows again is read, and audited, again.
        s.rollback()
        entity = service.read(session=s, actor=actor, entity_id=entity_id)
        return _form(request, s, actor, entity.schema, entity=entity, values=forms.as_text(wanted),
                     errors=field_errors(i18n.language(request), exc), status=422)
    return redirect(f"/entities/{entity_id}")


@router.post("/{entity_id}/releases", response_model=None)
async def release(request: Request, entity_id: str, s: SessionDep, actor: PageActor) -> Response:
    """Release the entity to the chosen partner agencies, optionally until a date."""
    form = await request.form()
    to = [str(v) for v in form.getlist("to")]
    try:
        releases.release_entity(session=s, actor=actor, entity_id=entity_id, to=to,
                                until=_until(str(form.get("until", ""))))
    except InvalidInput as exc:
        s.rollback()
        entity = service.read(session=s, actor=actor, entity_id=entity_id)
        return _page(request, s, actor, entity, errors=field_errors(i18n.language(request), exc, "to"), status=422)
    return redirect(f"/entities/{entity_id}#releases")


@release_router.post("/{release_id}/revoke")
def revoke(release_id: RowId, s: SessionDep, actor: PageActor) -> Response:
    """Revoke a release the user's agency made."""
    row = releases.revoke(session=s, actor=actor, release_id=release_id)
    return redirect(f"/entities/{row.entity_id}#releases" if row.entity_id else "/")


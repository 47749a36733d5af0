"""HTTP routes of search: the ranked search with counts and facets, and the entity list's `?q=`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from binational import pagination
from binational.config import get_settings
from binational.entities import service as entities
from binational.entities.schemas import EntityPage
from binational.routing import ActorDep, Authorization, RowId, SessionDep, in_unit, json_response
from binational.search import service, watchlists
from binational.search.schemas import SavedSearchCreate, SavedSearchRead, SearchResults

router = APIRouter(tags=["search"])

Text = Annotated[str, Query(max_length=200, description="a name, alias or identifier, misspelt or not, any order")]
Limit = Annotated[int | None, Query(description="page size")]
Cursor = Annotated[str | None, Query(max_length=1000, description="from the previous page")]
Facet = Annotated[str | None, Query(max_length=64, description="only results with this value of the facet")]


def _offset(cursor: str | None) -> int:
    position = pagination.decode(get_settings().signing_secret(), cursor) or {}
    offset = position.get("offset", 0)
    return offset if isinstance(offset, int) else 0


def _results(page: service.SearchPage) -> dict[str, Any]:
    end = page.offset + len(page.items)
    next_cursor = pagination.encode(get_settings().signing_secret(), {"offset": end}) if end < page.total else None
    return {"items": page.items, "scores": page.scores, "total": page.total, "next_cursor": next_cursor,
            "facets": {name: [{"value": v, "count": c} for v, c in counts] for name, counts in page.facets.items()}}


@router.get("/search", response_model=SearchResults)
async def search(
    request: Request,
    q: Text,
    authorization: Authorization = None,
    schema: Facet = None,
    agency: Facet = None,
    country: Facet = None,
    marking: Facet = None,
    month: Facet = None,
    sort: Annotated[str, Query(max_length=16, description="relevance | newest | oldest")] = "relevance",
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    """The entities the caller may see that answer `q`, ranked, with the total and facets."""
    filters = service.Filters(schema=schema, agency=agency, country=country, marking=marking, month=month)
    page = await in_unit(request, authorization, lambda s, actor: service.search(
        session=s, actor=actor, q=q, filters=filters, sort=sort, limit=limit, offset=_offset(cursor)))
    return json_response(_results(page))


@router.post("/search/saved", status_code=201)
def save_search(body: SavedSearchCreate, s: SessionDep, actor: ActorDep) -> SavedSearchRead:
    """Keep a search; watched, the caller is notified of records it may see that newly answer it."""
    return SavedSearchRead.model_validate(watchlists.save(session=s, actor=actor, q=body.q, watch=body.watch))


@router.get("/search/saved")
def list_saved_searches(s: SessionDep, actor: ActorDep) -> list[SavedSearchRead]:
    """The caller's saved searches, newest first."""
    return [SavedSearchRead.model_validate(row) for row in watchlists.list_saved(session=s, actor=actor)]


@router.delete("/search/saved/{saved_id}", status_code=204)
def delete_saved_search(saved_id: RowId, s: SessionDep, actor: ActorDep) -> Response:
    """Delete one of the caller's saved searches."""
    watchlists.delete_saved(session=s, actor=actor, saved_id=saved_id)
    return Response(status_code=204)


@router.get("/entities", response_model=EntityPage, tags=["entities"])
async def list_entities(
    request: Request,
    authorization: Authorization = None,
    schema: Annotated[str | None, Query(description="only this FtM schema")] = None,
    q: Annotated[str | None, Query(max_length=200, description="a name, alias or identifier: the ranked search "
                                                              "of /search, best first")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    agency: Annotated[str | None, Query(max_length=32, description="only this owner agency")] = None,
    marking: Annotated[str | None, Query(max_length=32, description="only this TLP marking")] = None,
) -> Response:
    """The entities the caller may see, a page at a time: by id, or with `q` the ranked search."""
    if q:
        filters = service.Filters(schema=schema, agency=agency, marking=marking)
        page = await in_unit(request, authorization, lambda s, actor: service.search(
            session=s, actor=actor, q=q, filters=filters, limit=limit, offset=_offset(cursor)))
        results = _results(page)
        return json_response({"items": results["items"], "next_cursor": results["next_cursor"],
                              "total": results["total"]})
    items, next_cursor = await in_unit(request, authorization, lambda s, actor: entities.list_entities(
        session=s, actor=actor, schema=schema, limit=limit, cursor=cursor, agency=agency, marking=marking))
    return json_response({"items": items, "next_cursor": next_cursor})

"""HTTP routes of entities and releases; each loads through the policy and commits once. The list of
entities (`GET /entities`, with `?q=` the ranked search) is in `binational.search.api`."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from binational.entities import exports, profile, releases, service, transfer
from binational.entities.schemas import (
    EntityCreate,
    EntityPatch,
    EntityRead,
    ProfileRead,
    ReleaseCreate,
    ReleaseRead,
)
from binational.routing import ActorDep, Authorization, RowId, SessionDep, in_unit, json_response

router = APIRouter(prefix="/entities", tags=["entities"])


@router.post("", status_code=201, response_model=EntityRead)
def create_entity(body: EntityCreate, s: SessionDep, actor: ActorDep) -> Response:
    """Record a FollowTheMoney entity owned by the caller's agency."""
    return json_response(service.create(session=s, actor=actor, data=body), 201)


@router.post("/import", status_code=201, openapi_extra={
    "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
async def import_entities(
    request: Request, s: SessionDep, actor: ActorDep,
    distribution: Annotated[str, Query(max_length=16, description="agency, national or release")] = "agency",
    marking: Annotated[str, Query(max_length=32, description="TLP marking of lines without their own")] = "TLP:AMBER",
    release_to: Annotated[list[str] | None, Query(description="partner agency (repeat)")] = None,
    source: Annotated[str, Query(max_length=100, description="the file's name, in messages")] = "upload.jsonl",
) -> dict[str, int]:
    """Import FtM JSON lines (the body, at most `import_max_bytes`) as the caller's agency, all or
    nothing: every line is checked first, and one bad line (named in the error) imports nothing."""
    body = await request.body()
    policy = transfer.ImportPolicy(distribution=distribution, marking=marking, release_to=tuple(release_to or ()))

    def work() -> int:  # off the event loop: a large file takes a while, and other requests go on
        lines = transfer.read_lines(io.BytesIO(body), source)
        return transfer.import_lines(session=s, actor=actor, lines=lines, source=source, default=policy)

    return {"imported": await run_in_threadpool(work)}


@router.get("/export", response_class=Response, responses={200: {"content": {t: {} for t in exports.FORMATS.values()}}})
def export_entities(
    s: SessionDep, actor: ActorDep,
    format: Annotated[str, Query(max_length=8, description="csv, or ftm (FollowTheMoney JSON lines)")] = "ftm",
    schema: Annotated[str | None, Query(max_length=64, description="only this FtM schema")] = None,
    q: Annotated[str | None, Query(max_length=200, description="name or identifier: records with every word as a "
                                   "prefix (the pages' list; not the ranked /search)")] = None,
    agency: Annotated[str | None, Query(max_length=32, description="only this owner agency")] = None,
    marking: Annotated[str | None, Query(max_length=32, description="only this TLP marking")] = None,
) -> Response:
    """The entities of a list or search the caller may see, as a file; at most `export_max_rows`
    (a larger export is 422 and nothing is written)."""
    body = exports.export(session=s, actor=actor, fmt=format, schema=schema, q=q, agency=agency, marking=marking)
    return Response(body, media_type=exports.FORMATS[format], headers={
        "Content-Disposition": f'attachment; filename="entities.{exports.SUFFIX[format]}"'})


@router.get("/{entity_id}", response_model=EntityRead)
async def read_entity(entity_id: str, request: Request, authorization: Authorization = None) -> Response:
    """One entity, assembled from the values the caller may see."""
    return json_response(await in_unit(request, authorization,
                                       lambda s, actor: service.read(session=s, actor=actor, entity_id=entity_id)))


@router.get("/{entity_id}/profile", response_model=ProfileRead)
async def read_profile(entity_id: str, request: Request, authorization: Authorization = None) -> Response:
    """One entity with the records around it grouped by kind (relationships by their other party),
    its timeline and its places: all from what the caller may see."""
    return json_response(await in_unit(request, authorization,
                                       lambda s, actor: profile.read(session=s, actor=actor, entity_id=entity_id)))


@router.patch("/{entity_id}", response_model=EntityRead)
def patch_entity(entity_id: str, body: EntityPatch, s: SessionDep, actor: ActorDep) -> Response:
    """Add or remove values of an entity the caller's agency owns."""
    return json_response(service.update(session=s, actor=actor, entity_id=entity_id, patch=body))


@router.delete("/{entity_id}", status_code=204)
def delete_entity(entity_id: str, s: SessionDep, actor: ActorDep) -> Response:
    """Tombstone an entity the caller's agency owns."""
    service.delete(session=s, actor=actor, entity_id=entity_id)
    return Response(status_code=204)


@router.post("/{entity_id}/releases", status_code=201)
def release_entity(entity_id: str, body: ReleaseCreate, s: SessionDep, actor: ActorDep) -> list[ReleaseRead]:
    """Release an entity the caller's agency owns to partner agencies."""
    rows = releases.release_entity(session=s, actor=actor, entity_id=entity_id, to=body.to, until=body.until)
    return [ReleaseRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/{entity_id}/releases")
def list_releases(entity_id: str, s: SessionDep, actor: ActorDep) -> list[ReleaseRead]:
    """The releases of an entity the caller's agency owns."""
    rows = releases.list_releases(session=s, actor=actor, entity_id=entity_id)
    return [ReleaseRead.model_validate(r, from_attributes=True) for r in rows]


releases_router = APIRouter(prefix="/releases", tags=["entities"])


@releases_router.delete("/{release_id}")
def revoke_release(release_id: RowId, s: SessionDep, actor: ActorDep) -> ReleaseRead:
    """Revoke a release the caller's agency made."""
    return ReleaseRead.model_validate(releases.revoke(session=s, actor=actor, release_id=release_id),
                                      from_attributes=True)

"""HTTP routes of entities and releases; each loads through the policy and commits once. The list of
entities (`GET /entities`, with `?q=` the ranked search) is in `binational.search.api`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from binational.entities import profile, releases, service
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

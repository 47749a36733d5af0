"""HTTP routes of the caller's profile, agencies, users, pending grants and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from binational.access import service as access
from binational.access.models import ApiToken, PendingGrant, User, role_names
from binational.admin import service
from binational.admin.schemas import (
    AgencyCreate,
    AgencyRead,
    GrantRead,
    Me,
    SessionsEnded,
    TokenCreate,
    TokenRead,
    UserCreate,
    UserCreated,
    UserRead,
)
from binational.audit import log as audit
from binational.routing import ActorDep, RowId, SessionDep

router = APIRouter(tags=["admin"])


def _user(user: User) -> UserRead:
    return UserRead(username=user.username, agency=user.agency, roles=user.role_list, clearance=user.clearance,
                    active=user.active)


def _grant(grant: PendingGrant, username: str) -> GrantRead:
    return GrantRead(id=grant.id, username=username, agency=grant.agency, roles=role_names(grant.roles),
                     clearance=grant.clearance, state=grant.state, created_at=grant.created_at)


def _token(row: ApiToken, username: str, secret: str | None = None) -> TokenRead:
    return TokenRead(id=row.id, username=username, created_at=row.created_at, expires_at=row.expires_at,
                     revoked_at=row.revoked_at, token=secret)


@router.get("/me")
def me(s: SessionDep, actor: ActorDep) -> Me:
    """Who the caller is: agency, country, roles, clearance, capabilities and cases."""
    audit.record(s, action="me.read", actor=actor)
    return Me(username=actor.username, agency=actor.agency, country=actor.country, roles=sorted(actor.roles),
              clearance=actor.clearance, active=True, capabilities=sorted(actor.capabilities),
              cases=sorted(actor.case_ids))


@router.get("/agencies")
def list_agencies(s: SessionDep, actor: ActorDep) -> list[AgencyRead]:
    """Every agency of the node (the partners one can release to)."""
    audit.record(s, action="agency.list", actor=actor)
    return [AgencyRead(code=a.code, country=a.country, name=a.name) for a in access.list_agencies(session=s)]


@router.post("/agencies", status_code=201)
def add_agency(body: AgencyCreate, s: SessionDep, actor: ActorDep) -> AgencyRead:
    """Register an agency of the node's country or federation (node administrators)."""
    agency = service.add_agency(session=s, actor=actor, code=body.code, country=body.country, name=body.name)
    return AgencyRead(code=agency.code, country=agency.country, name=agency.name)


@router.get("/users")
def list_users(s: SessionDep, actor: ActorDep) -> list[UserRead]:
    """The users of the administrator's own agency."""
    return [_user(u) for u in service.list_users(session=s, actor=actor)]


@router.post("/users", status_code=201)
def add_user(body: UserCreate, s: SessionDep, actor: ActorDep) -> UserCreated:
    """Create a user of one's agency, up to one's own clearance (administrators); the `auditor` role and
    TLP:RED wait in `pending_grant` for a second administrator."""
    user, grant = service.request_user(session=s, actor=actor, username=body.username, agency=body.agency,
                                       roles=body.roles, clearance=body.clearance, password=body.password,
                                       email=body.email)
    return UserCreated(**_user(user).model_dump(), pending_grant=_grant(grant, user.username) if grant else None)


@router.get("/grants")
def list_grants(s: SessionDep, actor: ActorDep) -> list[GrantRead]:
    """The grants of the administrator's agency waiting for a second administrator."""
    return [_grant(g, name) for g, name in service.list_grants(session=s, actor=actor)]


@router.post("/grants/{grant_id}/approve")
def approve_grant(grant_id: RowId, s: SessionDep, actor: ActorDep) -> GrantRead:
    """Approve a grant another administrator of one's agency asked for: the user receives it."""
    grant = service.decide_grant(session=s, actor=actor, grant_id=grant_id, approve=True)
    return _grant(grant, _username(s, grant.user_id))


@router.post("/grants/{grant_id}/reject")
def reject_grant(grant_id: RowId, s: SessionDep, actor: ActorDep) -> GrantRead:
    """Reject a grant of one's agency waiting for approval."""
    grant = service.decide_grant(session=s, actor=actor, grant_id=grant_id, approve=False)
    return _grant(grant, _username(s, grant.user_id))


def _username(s: SessionDep, user_id: int) -> str:
    user = s.get(User, user_id)
    return user.username if user else ""


@router.delete("/users/{username}/sessions")
def end_sessions(username: Annotated[str, Path(max_length=100)], s: SessionDep, actor: ActorDep) -> SessionsEnded:
    """End every web session of a user of the administrator's agency (its browsers must sign in again)."""
    return SessionsEnded(username=username, ended=service.end_sessions(session=s, actor=actor, username=username))


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, s: SessionDep, actor: ActorDep) -> TokenRead:
    """Issue a token for the caller itself; the secret is shown only here."""
    username = actor.username if body.username is None else body.username
    row, secret = service.create_token(session=s, actor=actor, username=username, days=body.expires_days)
    return _token(row, username, secret)


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: str, s: SessionDep, actor: ActorDep) -> TokenRead:
    """Revoke one's own token, or (administrators) a token of a user of one's agency."""
    row = service.revoke_token(session=s, actor=actor, token_id=token_id)
    return _token(row, _username(s, row.user_id))

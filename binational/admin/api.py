"""HTTP routes of the caller's profile, agencies, users and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from binational.access import service as access
from binational.access.models import ApiToken, User
from binational.admin import service
from binational.admin.schemas import (
    AgencyCreate,
    AgencyRead,
    Me,
    SessionsEnded,
    TokenCreate,
    TokenRead,
    UserCreate,
    UserRead,
)
from binational.audit import log as audit
from binational.routing import ActorDep, SessionDep

router = APIRouter(tags=["admin"])


def _user(user: User) -> UserRead:
    return UserRead(username=user.username, agency=user.agency, roles=user.role_list, clearance=user.clearance,
                    active=user.active)


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
    """Register an agency (administrators)."""
    agency = service.add_agency(session=s, actor=actor, code=body.code, country=body.country, name=body.name)
    return AgencyRead(code=agency.code, country=agency.country, name=agency.name)


@router.get("/users")
def list_users(s: SessionDep, actor: ActorDep) -> list[UserRead]:
    """The users of the administrator's own agency."""
    return [_user(u) for u in service.list_users(session=s, actor=actor)]


@router.post("/users", status_code=201)
def add_user(body: UserCreate, s: SessionDep, actor: ActorDep) -> UserRead:
    """Create a user (administrators)."""
    user = service.add_user(session=s, actor=actor, username=body.username, agency=body.agency, roles=body.roles,
                            clearance=body.clearance, password=body.password)
    return _user(user)


@router.delete("/users/{username}/sessions")
def end_sessions(username: Annotated[str, Path(max_length=100)], s: SessionDep, actor: ActorDep) -> SessionsEnded:
    """End every web session of a user of the administrator's agency (its browsers must sign in again)."""
    return SessionsEnded(username=username, ended=service.end_sessions(session=s, actor=actor, username=username))


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, s: SessionDep, actor: ActorDep) -> TokenRead:
    """Issue a token for a user of the administrator's agency; the secret is shown only here."""
    row, secret = service.create_token(session=s, actor=actor, username=body.username, days=body.expires_days)
    return _token(row, body.username, secret)


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: str, s: SessionDep, actor: ActorDep) -> TokenRead:
    """Revoke a token of a user of the administrator's agency."""
    row = service.revoke_token(session=s, actor=actor, token_id=token_id)
    user = s.get(User, row.user_id)
    return _token(row, user.username if user else "")

"""Audited administration: the access service's principals, with each change in the log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access import web_sessions
from binational.access.models import Agency, ApiToken, User
from binational.access.policy import Actor, can
from binational.audit import log as audit
from binational.errors import Forbidden, NotFound


def require(actor: Actor | None, action: str) -> None:
    """The command line (actor None) is the node operator; API callers need the capability."""
    if actor is None:
        return
    decision = can(actor, action)
    if not decision:
        raise Forbidden(f"{action}: {decision.reason}", action=action)


def add_agency(*, session: Session, actor: Actor | None, code: str, country: str, name: str) -> Agency:
    """Register an agency; audited."""
    require(actor, "agency.create")
    agency = access.add_agency(session=session, code=code, country=country, name=name)
    audit.record(session, action="agency.create", actor=actor, objects=[(agency.code, agency.code)])
    return agency


def add_user(*, session: Session, actor: Actor | None, username: str, agency: str, roles: list[str],
             clearance: str, password: str | None = None) -> User:
    """Create a user; audited (the password never is)."""
    require(actor, "user.create")
    if actor is not None and agency != actor.agency:
        raise Forbidden("user.create: administrators create users of their own agency only", action="user.create")
    user = access.add_user(session=session, username=username, agency=agency, roles=roles, clearance=clearance,
                           password=password)
    audit.record(session, action="user.create", actor=actor, objects=[(f"user:{user.username}", user.agency)],
                 extra={"roles": roles, "clearance": clearance})
    return user


def list_users(*, session: Session, actor: Actor) -> list[User]:
    """An administrator sees the users of its own agency only (the directory leaks nothing else)."""
    require(actor, "user.list")
    audit.record(session, action="user.list", actor=actor)
    return access.list_users(session=session, agency=actor.agency)


def create_token(*, session: Session, actor: Actor | None, username: str, days: int) -> tuple[ApiToken, str]:
    """Issue a token; an API administrator only for users of its own agency."""
    require(actor, "token.create")
    user = access.get_user(session=session, username=username)
    if actor is not None and user.agency != actor.agency:
        raise NotFound("user", username, action="token.create", owner=user.agency)
    row, secret = access.create_token(session=session, user=user, days=days)
    audit.record(session, action="token.create", actor=actor, objects=[(f"token:{row.id}", user.agency)],
                 extra={"user": user.username, "days": days})
    return row, secret


def revoke_token(*, session: Session, actor: Actor | None, token_id: str) -> ApiToken:
    """Revoke a token; an API administrator only for users of its own agency."""
    require(actor, "token.revoke")
    row = session.get(ApiToken, token_id)
    user = session.get(User, row.user_id) if row is not None else None
    if actor is not None and (user is None or user.agency != actor.agency):
        raise NotFound("token", token_id, action="token.revoke", owner=user.agency if user else None)
    row = access.revoke_token(session=session, token_id=token_id)
    audit.record(session, action="token.revoke", actor=actor,
                 objects=[(f"token:{row.id}", user.agency if user else None)])
    return row


def list_tokens(*, session: Session, actor: Actor, username: str) -> list[ApiToken]:
    """The tokens of a user of the administrator's own agency (never their secrets)."""
    require(actor, "user.list")
    user = access.get_user(session=session, username=username)
    if user.agency != actor.agency:
        raise NotFound("user", username)
    audit.record(session, action="user.list", actor=actor, objects=[(f"user:{user.username}", user.agency)])
    return access.list_tokens(session=session, user=user)


def end_sessions(*, session: Session, actor: Actor | None, username: str) -> list[str]:
    """End every web session of a user (an API administrator: of its own agency only; another
    agency's user is not found); returns the ids of the sessions ended. Audited."""
    require(actor, "session.end")
    user = access.find_user(session=session, username=username) if isinstance(username, str) else None
    if user is None or (actor is not None and user.agency != actor.agency):
        raise NotFound("user", username, action="session.end", owner=user.agency if user else None)
    ended = web_sessions.end_all(session=session, user_id=user.id, by=actor.user_id if actor else None,
                                 reason=web_sessions.ADMIN)
    audit.record(session, action="session.end", actor=actor,
                 objects=[(f"user:{user.username}", user.agency), *((f"session:{i}", user.agency) for i in ended)])
    return ended

"""Audited administration: the access service's principals, with each change in the log.

`actor` None is the node operator at the command line, who holds the machine; through the API and
the web an administrator acts within its agency and its own clearance, and what `access.policy`
says needs a second administrator waits as a pending grant.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access import web_sessions
from binational.access.markings import MARKINGS, RANK, rank
from binational.access.models import Agency, ApiToken, PendingGrant, User, role_names
from binational.access.policy import (
    CLEARANCE_NEEDING_APPROVAL,
    ROLES_NEEDING_APPROVAL,
    Actor,
    Decision,
    may_approve,
    may_create_token,
    may_grant,
    may_manage_token,
    may_register_agency,
    needs_approval,
    require,
)
from binational.access.roles import check_roles
from binational.audit import log as audit
from binational.config import get_settings
from binational.db import system_context, utcnow
from binational.errors import Conflict, Forbidden, InvalidInput, NotFound


def _refuse(decision: Decision, action: str) -> None:
    if not decision:
        raise Forbidden(f"{action}: {decision.reason}", action=action)


def add_agency(*, session: Session, actor: Actor | None, code: str, country: str, name: str) -> Agency:
    """Register an agency (node administrators: of the node's country or federation); audited."""
    require(actor, "agency.create", operator=True)
    settings = get_settings()
    _refuse(may_register_agency(actor, country=str(country).strip(), node_country=settings.node_country,
                                federation=settings.federation_countries), "agency.create")
    agency = access.add_agency(session=session, code=code, country=country, name=name)
    audit.record(session, action="agency.create", actor=actor, objects=[(agency.code, agency.code)],
                 extra={"country": agency.country})
    return agency


def request_user(*, session: Session, actor: Actor | None, username: str, agency: str, roles: list[str],
                 clearance: str, password: str | None = None, email: str | None = None
                 ) -> tuple[User, PendingGrant | None]:
    """Create a user; what needs a second administrator (the `auditor` role, TLP:RED) is not given yet
    but asked for as a pending grant. Audited (the password never is)."""
    require(actor, "user.create", operator=True)
    check_roles(roles)
    wanted = rank(clearance)
    _refuse(may_grant(actor, agency=agency, roles=frozenset(roles), clearance_rank=wanted), "user.create")
    user = access.add_user(session=session, username=username, agency=agency, roles=roles, clearance=clearance,
                           password=password, email=email)
    grant = None
    if needs_approval(actor, roles=frozenset(roles), clearance_rank=wanted):
        assert actor is not None  # the operator needs no approval
        held = [r for r in dict.fromkeys(roles) if r not in ROLES_NEEDING_APPROVAL]
        user.roles = ",".join(held)
        user.clearance = MARKINGS[min(wanted, CLEARANCE_NEEDING_APPROVAL - 1)]
        grant = PendingGrant(user_id=user.id, agency=user.agency, clearance=clearance, requested_by=actor.user_id,
                             roles=",".join(r for r in dict.fromkeys(roles) if r in ROLES_NEEDING_APPROVAL),
                             state="pending")
        session.add(grant)
        with system_context(session):  # principals are written by the node, after the policy decided
            session.flush()
    objects: list[tuple[str, str | None]] = [(f"user:{user.username}", user.agency)]
    if grant is not None:
        objects.append((f"grant:{grant.id}", user.agency))
    audit.record(session, action="user.create", actor=actor, objects=objects,
                 extra={"roles": user.role_list, "clearance": user.clearance,
                        **({"pending": {"roles": role_names(grant.roles), "clearance": grant.clearance}}
                           if grant else {})})
    return user, grant


def add_user(*, session: Session, actor: Actor | None, username: str, agency: str, roles: list[str],
             clearance: str, password: str | None = None, email: str | None = None) -> User:
    """`request_user`, for callers that need only the user."""
    return request_user(session=session, actor=actor, username=username, agency=agency, roles=roles,
                        clearance=clearance, password=password, email=email)[0]


def list_users(*, session: Session, actor: Actor) -> list[User]:
    """An administrator sees the users of its own agency only (the directory leaks nothing else)."""
    require(actor, "user.list", operator=True)
    audit.record(session, action="user.list", actor=actor)
    return access.list_users(session=session, agency=actor.agency)


def list_grants(*, session: Session, actor: Actor | None) -> list[tuple[PendingGrant, str]]:
    """The grants waiting for a second administrator, with their users' names: of the administrator's
    agency (the operator: of every agency)."""
    require(actor, "grant.list", operator=True)
    query = (select(PendingGrant, User.username).join(User, User.id == PendingGrant.user_id)
             .where(PendingGrant.state == "pending").order_by(PendingGrant.id))
    if actor is not None:
        query = query.where(PendingGrant.agency == actor.agency)
    audit.record(session, action="grant.list", actor=actor)
    return [(grant, name) for grant, name in session.execute(query).all()]


def _pending(session: Session, actor: Actor | None, grant_id: int, action: str) -> PendingGrant:
    """The pending grant `grant_id` that `actor` may decide on (another agency's answers 404)."""
    grant = session.get(PendingGrant, grant_id)
    if grant is None:
        raise NotFound("grant", str(grant_id), action=action)
    decision = may_approve(actor, agency=grant.agency, requested_by=grant.requested_by,
                           clearance_rank=RANK[grant.clearance])
    if not decision and "visible" not in decision.details:
        raise NotFound("grant", str(grant_id), action=action, owner=grant.agency, reason=decision.reason)
    if not decision:
        raise Forbidden(f"{action}: {decision.reason}", action=action, ident=f"grant:{grant.id}", owner=grant.agency)
    if grant.state != "pending":
        raise Conflict(f"grant {grant.id} is {grant.state} already")
    return grant


def decide_grant(*, session: Session, actor: Actor | None, grant_id: int, approve: bool) -> PendingGrant:
    """Approve (the user receives the roles and clearance) or reject a pending grant, as a second
    administrator of its agency, or the node operator; audited."""
    action = "grant.approve" if approve else "grant.reject"
    require(actor, action, operator=True)
    grant = _pending(session, actor, grant_id, action)
    user = session.get(User, grant.user_id)
    assert user is not None  # a grant's user is a foreign key
    if approve:
        user.roles = ",".join(dict.fromkeys(user.role_list + role_names(grant.roles)))
        if RANK[grant.clearance] > RANK[user.clearance]:
            user.clearance = grant.clearance
    grant.state = "approved" if approve else "rejected"
    grant.decided_by = actor.user_id if actor else None
    grant.decided_at = utcnow()
    with system_context(session):
        session.flush()
    audit.record(session, action=action, actor=actor,
                 objects=[(f"grant:{grant.id}", grant.agency), (f"user:{user.username}", user.agency)],
                 extra={"roles": role_names(grant.roles), "clearance": grant.clearance})
    return grant


def create_token(*, session: Session, actor: Actor | None, username: str,
                 days: int | None = None) -> tuple[ApiToken, str]:
    """Issue a token: through the API for the caller itself only (the node operator: for anyone), for
    at most `token_max_days`, and never outliving the token that asks for it. The refusal is the same
    whether or not `username` exists."""
    require(actor, "token.create", operator=True)
    _refuse(may_create_token(actor, username=username), "token.create")
    credential = str(session.info.get(audit.CREDENTIAL, ""))
    parent = session.get(ApiToken, credential.removeprefix("token:")) if credential.startswith("token:") else None
    if days is None:  # by default, as long as the setting and the asking token allow
        days = get_settings().token_days
        if parent is not None:
            days = max(1, min(days, (parent.expires_at - utcnow()).days))
    user = access.get_user(session=session, username=username)
    row, secret = access.create_token(session=session, user=user, days=days)
    if parent is not None and row.expires_at > parent.expires_at + timedelta(seconds=1):
        raise InvalidInput(f"a token made with a token expires no later than it "
                           f"({parent.expires_at.date().isoformat()})", details=[{"field": "expires_days"}])
    audit.record(session, action="token.create", actor=actor, objects=[(f"token:{row.id}", user.agency)],
                 extra={"user": user.username, "days": days})
    return row, secret


def _token_owner(session: Session, token_id: str) -> tuple[ApiToken | None, User | None]:
    row = session.get(ApiToken, token_id)
    return row, (session.get(User, row.user_id) if row is not None else None)


def revoke_token(*, session: Session, actor: Actor | None, token_id: str) -> ApiToken:
    """Revoke a token: one's own, or (administrators) one of a user of one's agency."""
    require(actor, "token.revoke", operator=True)
    row, user = _token_owner(session, token_id)
    decision = may_manage_token(actor, user_id=user.id if user else None, agency=user.agency if user else None)
    if row is None or not decision:
        raise NotFound("token", token_id, action="token.revoke", owner=user.agency if user else None,
                       reason=decision.reason)
    row = access.revoke_token(session=session, token_id=token_id)
    audit.record(session, action="token.revoke", actor=actor,
                 objects=[(f"token:{row.id}", user.agency if user else None)])
    return row


def list_tokens(*, session: Session, actor: Actor, username: str) -> list[ApiToken]:
    """The tokens of the caller, or of a user of the administrator's own agency (never their secrets)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    decision = may_manage_token(actor, user_id=user.id if user else None, agency=user.agency if user else None)
    if user is None or not decision:
        raise NotFound("user", username, action="token.list", owner=user.agency if user else None)
    audit.record(session, action="token.list", actor=actor, objects=[(f"user:{user.username}", user.agency)])
    return access.list_tokens(session=session, user=user)


def end_sessions(*, session: Session, actor: Actor | None, username: str) -> list[str]:
    """End every web session of a user and revoke its API tokens (an API administrator: of its own
    agency only; another agency's user is not found); returns the ids of the sessions ended. Audited."""
    require(actor, "session.end", operator=True)
    user = access.find_user(session=session, username=username) if isinstance(username, str) else None
    if user is None or (actor is not None and user.agency != actor.agency):
        raise NotFound("user", username, action="session.end", owner=user.agency if user else None)
    ended = web_sessions.end_all(session=session, user_id=user.id, by=actor.user_id if actor else None,
                                 reason=web_sessions.ADMIN)
    # a token made in one of those sessions would outlive it: the user is signed out everywhere
    revoked = web_sessions.revoke_tokens(session=session, user_id=user.id)
    audit.record(session, action="session.end", actor=actor,
                 objects=[(f"user:{user.username}", user.agency), *((f"session:{i}", user.agency) for i in ended),
                          *((f"token:{i}", user.agency) for i in revoked)])
    return ended

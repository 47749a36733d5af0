"""Principals: countries, agencies, users, passwords, API tokens and cases; building an Actor."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from binational.access import (
    names,
    web_sessions,  # noqa: F401 - its flush hook ends the sessions of changed credentials
)
from binational.access.markings import RANK, rank
from binational.access.models import Agency, ApiToken, Case, CaseMember, Country, User, role_names
from binational.access.policy import Actor
from binational.access.roles import capabilities_of, check_roles
from binational.config import get_settings
from binational.db import plain_rows, system_context, utcnow
from binational.errors import Conflict, InvalidInput, NotFound, Unauthenticated

_hasher = PasswordHasher()
TOKEN_PREFIX = "bnt"  # noqa: S105 - a label, not a secret


def ensure_country(*, session: Session, code: str) -> Country:
    """The country with ISO alpha-2 `code`, created on first use; unknown codes are invalid."""
    # imported here: FollowTheMoney takes half a second to import, and most commands never add a country
    from followthemoney.types import registry

    code = code.strip().upper() if isinstance(code, str) else ""
    names = registry.country.names  # FtM's country list
    if len(code) != 2 or code.lower() not in names or code.lower() == "zz":
        raise InvalidInput(f"unknown country {code!r}", details=[{"field": "country"}])
    with system_context(session):  # the directory is written by the node, after the policy decided
        country = session.get(Country, code)
        if country is None:
            country = Country(code=code, name=str(names[code.lower()]))
            session.add(country)
            session.flush()
    return country


def add_agency(*, session: Session, code: str, country: str, name: str) -> Agency:
    """Register an agency of a country; codes are upper-case like `US-CBP`."""
    code = names.agency_code(code)
    if not name.strip():
        raise InvalidInput("agency name is empty", details=[{"field": "name"}])
    ensure_country(session=session, code=country)
    with system_context(session):  # the directory is written by the node, after the policy decided
        if session.get(Agency, code) is not None:
            raise Conflict(f"agency {code} exists")
        agency = Agency(code=code, country=country.upper(), name=name.strip())
        session.add(agency)
        session.flush()
    return agency


def list_agencies(*, session: Session) -> list[Agency]:
    """All agencies, by code."""
    return list(session.execute(select(Agency).order_by(Agency.code)).scalars())


def release_recipients(*, session: Session, actor: Actor) -> list[Agency]:
    """The agencies `actor` may name in a release, by code: every other agency of this node, and those
    the partner nodes it trusts host (`Agency.node`, registered from their anchors)."""
    return [a for a in list_agencies(session=session) if a.code != actor.agency and a.node_ended_at is None]


def request_recipients(*, session: Session, actor: Actor) -> list[Agency]:
    """The agencies `actor` may send a request to, by code: the other agencies of this node (requests do
    not travel between nodes)."""
    return [a for a in list_agencies(session=session) if a.code != actor.agency and a.node is None]


def check_reachable(agency: Agency, *, field: str, where: str = "", staying: str | None = None) -> None:
    """Refuse an agency of a partner node this node no longer trusts, and, when what is named does not
    travel between nodes (`staying`, e.g. "a request"), any agency of another node."""
    if agency.node is None:
        return
    if agency.node_ended_at is not None:
        raise InvalidInput(f"{where}{agency.code} is hosted on {agency.node}, a node this node no longer trusts",
                           details=[{"field": field}])
    if staying is not None:
        raise InvalidInput(f"{where}{agency.code} is hosted on {agency.node}: {staying} does not travel between "
                           f"nodes", details=[{"field": field}])


def get_agency(*, session: Session, code: str) -> Agency:
    """The agency with `code`, or InvalidInput naming it."""
    agency = session.get(Agency, code) if isinstance(code, str) else None
    if agency is None:
        raise InvalidInput(f"unknown agency {code!r}", details=[{"field": "agency"}])
    return agency


def add_user(
    *, session: Session, username: str, agency: str, roles: list[str], clearance: str, password: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user of an agency with roles and a clearance; the password is stored as argon2; the
    e-mail address, if any, receives notifications when the node mails them."""
    username = names.username(username)
    address = names.email(email)
    get_agency(session=session, code=agency)
    check_roles(roles)
    rank(clearance)
    with system_context(session):  # usernames are unique across agencies, seen or not
        taken = session.execute(select(User.id).where(User.username == username)).first()
    if taken:
        raise Conflict(f"user {username} exists")
    user = User(
        username=username,
        agency=agency,
        roles=",".join(roles),
        clearance=clearance,
        password_hash=hash_password(password) if password is not None else None,
        email=address,
    )
    session.add(user)
    with system_context(session):  # principals are written by the node, after the policy decided
        session.flush()
    return user


def hash_password(password: str) -> str:
    """The argon2 hash of a password of at least 8 characters (thread-safe: bulk loads hash in a worker)."""
    if len(password) < 8:
        raise InvalidInput("password must have at least 8 characters", details=[{"field": "password"}])
    return _hasher.hash(password)


def set_password_hash(*, session: Session, user: User, password_hash: str) -> None:
    """Store a hash made by `hash_password` as the user's password."""
    if not password_hash.startswith("$argon2"):
        raise InvalidInput("not an argon2 hash", details=[{"field": "password"}])
    user.password_hash = password_hash
    with system_context(session):
        session.flush()


def list_users(*, session: Session, agency: str | None = None) -> list[User]:
    """Users, by name, optionally of one agency."""
    query = select(User).order_by(User.username)
    if agency:
        query = query.where(User.agency == agency)
    return list(session.execute(query).scalars())


def find_user(*, session: Session, username: str) -> User | None:
    """The user called `username`, of any agency, or None (row-level security would show a viewer its
    own agency's users only: the callers decide what the viewer learns)."""
    with system_context(session):
        return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def get_user(*, session: Session, username: str) -> User:
    """The user called `username`, of any agency (to sign in, act on the command line, or join a
    case: row-level security shows a viewer its own agency's users only)."""
    with system_context(session):
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("user", username)
    return user


def _actor(user: Any, country: str, cases: list[str]) -> Actor:
    """The Actor of `user` (a User, or a row with its id, username, agency, roles and clearance)."""
    roles = frozenset(role_names(user.roles))
    return Actor(
        user_id=user.id,
        username=user.username,
        agency=user.agency,
        country=country,
        roles=roles,
        capabilities=capabilities_of(roles),
        clearance=user.clearance,
        clearance_rank=RANK[user.clearance],
        case_ids=frozenset(cases),
    )


def actor_for(*, session: Session, user: User) -> Actor:
    """The Actor a user acts as: its agency's country, capabilities and case memberships."""
    # One round trip: the agency's country with the user's case memberships (if any); as the
    # system, since no viewer is named before the actor is known.
    with system_context(session):
        rows = session.execute(
            select(Agency.country, CaseMember.case_id)
            .outerjoin(CaseMember, CaseMember.user_id == user.id)
            .where(Agency.code == user.agency)
        ).all()
    if not rows:
        raise Unauthenticated("user's agency is unknown")
    return _actor(user, rows[0][0], [case_id for _country, case_id in rows if case_id is not None])


def check_password(*, session: Session, username: str, password: str) -> User:
    """The active user whose password this is; Unauthenticated otherwise (same answer either way)."""
    with system_context(session):  # no viewer is named before sign-in
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not user.password_hash:
        _hasher.hash(password)  # spend the same time as a real check
        raise Unauthenticated("wrong username or password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("wrong username or password") from None
    return user


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, session: Session, user: User, days: int) -> tuple[ApiToken, str]:
    """Issue a token for `user`; returns the row and the secret, which is never stored."""
    longest = get_settings().token_max_days
    if days < 1 or days > longest:
        raise InvalidInput(f"token lifetime must be between 1 and {longest} days (token_max_days)",
                           details=[{"field": "expires_days"}])
    token_id = secrets.token_hex(8)
    secret = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    expires = utcnow() + timedelta(days=days)
    row = ApiToken(id=token_id, user_id=user.id, secret_hash=_digest(secret), expires_at=expires)
    session.add(row)
    with system_context(session):
        session.flush()
    return row, secret


def revoke_token(*, session: Session, token_id: str) -> ApiToken:
    """Revoke a token by its id (the part shown in lists, not the secret)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("token", token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        with system_context(session):
            session.flush()
    return row


def list_tokens(*, session: Session, user: User) -> list[ApiToken]:
    """A user's tokens, newest first."""
    return list(
        session.execute(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
        .scalars()
    )


#: A token's state with its user, the user's agency's country and case memberships: one round trip.
#: Built once, with the digest as a parameter: building the statement cost more than running it.
_TOKEN_ACTOR = (
    select(ApiToken.id.label("token_id"), ApiToken.revoked_at, ApiToken.expires_at, User.id, User.username,
           User.agency, User.roles, User.clearance, User.active, Agency.country, CaseMember.case_id)
    .join(User, User.id == ApiToken.user_id)
    .join(Agency, Agency.code == User.agency)
    .outerjoin(CaseMember, CaseMember.user_id == User.id)
    .where(ApiToken.secret_hash == bindparam("secret_hash"))
)

#: The one answer to every refused token: which of unknown, revoked, expired or of an inactive user
#: it was would tell a finder of an old token whether it was ever real.
BAD_TOKEN = "invalid or expired token"  # noqa: S105 - a message, not a secret


def token_login(*, session: Session, secret: str, now: datetime | None = None) -> tuple[Actor, str]:
    """The actor of a bearer token and the token's id, if it is known, unexpired and unrevoked and its
    user active; otherwise Unauthenticated with one message (the reason stays on the exception)."""
    now = now or utcnow()
    with system_context(session):  # no viewer is named before the token is known
        rows = plain_rows(session, _TOKEN_ACTOR, {"secret_hash": _digest(secret)})
    if not rows:
        raise Unauthenticated(BAD_TOKEN, reason="unknown token")
    first = rows[0]
    if first.revoked_at is not None:
        raise Unauthenticated(BAD_TOKEN, reason="token revoked")
    if first.expires_at <= now:
        raise Unauthenticated(BAD_TOKEN, reason="token expired")
    if not first.active:
        raise Unauthenticated(BAD_TOKEN, reason="user inactive")
    return _actor(first, first.country, [row.case_id for row in rows if row.case_id is not None]), first.token_id


def token_actor(*, session: Session, secret: str, now: datetime | None = None) -> Actor:
    """The actor of a bearer token (see `token_login`)."""
    return token_login(session=session, secret=secret, now=now)[0]


def create_case(*, session: Session, actor: Actor, case_id: str, title: str) -> Case:
    """Open a restricted case owned by the actor's agency, with the actor as its first member."""
    if not case_id or len(case_id) > 64 or not all(c.isalnum() or c in "._-" for c in case_id):
        raise InvalidInput(f"invalid case id {case_id!r}", details=[{"field": "case_id"}])
    if session.get(Case, case_id) is not None:
        raise Conflict(f"case {case_id} exists")
    case = Case(id=case_id, title=title, owner_agency=actor.agency, created_by=actor.user_id)
    session.add(case)
    session.flush()
    session.add(CaseMember(case_id=case_id, user_id=actor.user_id))
    session.flush()
    return case


def add_case_member(*, session: Session, actor: Actor, case_id: str, username: str) -> CaseMember:
    """Admit a user to a case of the actor's agency of which the actor is a member."""
    case = session.get(Case, case_id)
    if case is None or case_id not in actor.case_ids:
        raise NotFound("case", case_id)
    if case.owner_agency != actor.agency:
        raise NotFound("case", case_id)
    user = get_user(session=session, username=username)
    member = session.get(CaseMember, (case_id, user.id))
    if member is None:
        member = CaseMember(case_id=case_id, user_id=user.id)
        session.add(member)
        session.flush()
    return member

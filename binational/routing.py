"""What every API router shares: the node's database, the request's unit of work, the actor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Header, Path, Request, Response
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from binational.access import service as access
from binational.access import web_sessions
from binational.access.policy import Actor, long_requests
from binational.audit.log import CREDENTIAL
from binational.audit.scope import unit_of_work
from binational.bounds import UserCaps
from binational.budget import Budget, pg_timeout_sql, stopped_by_budget
from binational.db import Database, act_as
from binational.errors import TimeBudgetExceeded, Unauthenticated


def database(request: Request) -> Database:
    """The node's database, created with the app."""
    db: Database = request.app.state.db
    return db


@contextmanager
def request_unit(request: Request, db: Database) -> Iterator[Session]:
    """The request's unit of work: committed once at the end, with its audit entries, within the
    request's time budget (a statement stopped for time is TimeBudgetExceeded, and nothing is written)."""
    budget: Budget | None = getattr(request.state, "budget", None)
    try:
        with unit_of_work(db) as s:
            s.info["request_id"] = request.state.request_id
            s.info["budget"] = budget
            yield s
    except Exception as exc:
        if stopped_by_budget(exc, budget):
            raise TimeBudgetExceeded() from exc
        raise


#: the routes (API and page) that start a node-wide job: only they get the administrators' budget
JOB_PATHS = ("/resolution/runs",)


def admit(request: Request, s: Session, actor: Actor) -> None:
    """Count the request against its user's cap (RateLimited past it; the first refusal of a spell is
    recorded), and give a request that starts a node-wide job, by an actor who may, the
    administrators' time budget (every other request of an administrator keeps the common one)."""
    caps: UserCaps | None = getattr(request.app.state, "caps", None)
    if caps is not None:
        caps.admit(actor.user_id)  # the unit of work records the first refusal of a spell
    budget: Budget | None = s.info.get("budget")
    starts_job = request.method == "POST" and request.url.path.rstrip("/").endswith(JOB_PATHS)
    if budget is None or not starts_job or not long_requests(actor):
        return
    budget.extend(request.app.state.settings.admin_request_budget_ms / 1000)
    if s.get_bind().dialect.name == "postgresql":  # the transaction began with the shorter timeout
        s.execute(text(pg_timeout_sql(budget)))


def session(request: Request, db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    """The request's unit of work, as a dependency."""
    with request_unit(request, db) as s:
        yield s


#: The unit of work ends (commits, with its audit entries) when the route returns, before the answer
#: is sent: by default FastAPI ends a dependency after sending, so a failed commit would have followed
#: a 201 naming an entity never stored, or a read served with no audit entry.
SESSION = Depends(session, scope="function")


def bearer_actor(
    request: Request, s: Annotated[Session, SESSION], authorization: Annotated[str | None, Header()] = None
) -> Actor:
    """The actor of a valid `Authorization: Bearer <token>`; 401 otherwise."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("missing bearer token")
    actor, token_id = access.token_login(session=s, secret=authorization.removeprefix("Bearer ").strip())
    s.info[CREDENTIAL] = f"token:{token_id}"  # every audit entry of the request names the token
    act_as(s, actor)
    admit(request, s, actor)
    return actor


def current_actor(request: Request, s: Annotated[Session, SESSION],
                  authorization: Annotated[str | None, Header()] = None) -> Actor:
    """The actor of a bearer token, or of the web session cookie (set by binational.web)."""
    if authorization:
        return bearer_actor(request, s, authorization)
    return cookie_actor(request, s, "sign in or send a bearer token")


def cookie_actor(request: Request, s: Session, missing: str) -> Actor:
    """The actor of the live web session the cookie names (its secret is put in the scope by
    binational.web); the request's audit entries name the session (`session:<id>`)."""
    secret = request.scope.get("session_secret")
    if not isinstance(secret, str):
        raise Unauthenticated(missing)
    user, row = web_sessions.live_user(session=s, secret=secret, settings=request.app.state.settings)
    s.info[CREDENTIAL] = f"session:{row.id}"
    actor = access.actor_for(session=s, user=user)
    act_as(s, actor)
    admit(request, s, actor)
    return actor


T = TypeVar("T")
#: The id of a row in a path: out of the database's integer range is bad input (422), not a crash.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SessionDep = Annotated[Session, SESSION]
ActorDep = Annotated[Actor, Depends(current_actor)]
#: The bearer token of a route that authenticates in `in_unit` (documented like ActorDep's).
Authorization = Annotated[str | None, Header()]


def run_in_unit(request: Request, authorization: str | None, work: Callable[[Session, Actor], T]) -> T:
    """`work` as the caller, in the request's unit of work, committed before this returns."""
    with request_unit(request, database(request)) as s:
        result = work(s, current_actor(request, s, authorization))
    return result


async def in_unit(request: Request, authorization: str | None, work: Callable[[Session, Actor], T]) -> T:
    """`run_in_unit` in one worker thread, for the hot read routes.

    The same steps as `SessionDep` and `ActorDep`, but one thread hop instead of one per dependency
    and one for the route (benchmarks/access_overhead.py); the answer is written after the commit.
    """
    return await run_in_threadpool(run_in_unit, request, authorization, work)


def json_response(content: Any, status_code: int = 200) -> Response:
    """`content` (dataclasses, dicts, lists, datetimes) written as JSON by orjson.

    For the hot read routes: returning a Response skips FastAPI's second validation of the result
    against the response model and its generic encoder, which cost more than the query.
    """
    return Response(orjson.dumps(content, option=orjson.OPT_UTC_Z), status_code=status_code,
                    media_type="application/json")

"""The unit of work of one request or command: commit with its audit entries, or record the denial."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from binational.audit import log
from binational.db import Database, act_as
from binational.errors import DomainError, Forbidden, NotFound, OverLimit, RateLimited


def record_denial(db: Database, session: Session, exc: DomainError) -> None:
    """Write the audit entry of a refused action in its own transaction (the action's rolled back)."""
    actor = session.info.get("actor")
    action = getattr(exc, "action", None) or ("denied" if isinstance(exc, Forbidden) else None)
    if actor is None or action is None:
        return
    objects: list[tuple[str, str | None]] = []
    if isinstance(exc, NotFound | Forbidden) and exc.ident:
        objects = [(str(exc.ident), exc.owner)]
    reason = exc.reason if isinstance(exc, NotFound) else exc.message
    if isinstance(exc, RateLimited):
        reason = f"rate limited: {exc.limit}"
    with db.unit_of_work() as fresh:
        fresh.info["request_id"] = log.request_id(session)
        if log.CREDENTIAL in session.info:  # the refusal names the token or session that asked, too
            fresh.info[log.CREDENTIAL] = session.info[log.CREDENTIAL]
        act_as(fresh, actor)
        log.record(fresh, action=action, actor=actor, objects=objects, decision="deny", reason=reason)


@contextmanager
def unit_of_work(db: Database) -> Iterator[Session]:
    """A session that commits (with its audit entries) on success; on a refusal, rolls back and
    records the denial; on any other failure, rolls back."""
    session = db.session()
    try:
        yield session
        session.commit()
    except (NotFound, Forbidden, OverLimit, RateLimited) as exc:
        session.rollback()
        record_denial(db, session, exc)
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

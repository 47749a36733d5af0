"""The five ways the access benchmark runs the same three reads, from no policy at all to the whole API.

Each tier answers `list_page(state)`, `search(prefix)` and `get(entity_id)`; one instance serves one
client thread (its own connection). `list_page` takes the state the previous page returned (None
for the first page) and returns the next one (None at the end).
"""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import psycopg
from sqlalchemy import String, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from binational.access import service as access
from binational.access.policy import Actor, visible, visible_values
from binational.audit.scope import act_as, unit_of_work
from binational.db import Database
from binational.entities import service as entities
from binational.entities.models import Entity, Statement
from binational.entities.service import _search_filter

PAGE = 50
ENTITY_COLS = "e.id, e.schema, e.owner_agency, e.owner_country, e.distribution, e.marking, e.case_id, " \
              "e.created_at, e.updated_at"
STATEMENT_SQL = (
    "SELECT id, entity_id, schema, prop, prop_type, value, dataset, marking, origin, owner_agency, distribution "
    "FROM statements WHERE entity_id = ANY(%(ids)s) AND deleted_at IS NULL ORDER BY entity_id, prop, id"
)
#: The values of one entity, by equality, as the service reads them (`entities.service._values_of`).
ONE_STATEMENT_SQL = STATEMENT_SQL.replace("= ANY(%(ids)s)", "= %(id)s")


def psycopg_dsn(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg://` URL as a libpq connection string."""
    return url.replace("postgresql+psycopg://", "postgresql://")


class RawSQL:
    """No policy: the same keyset page, term-prefix search and single read, by hand through psycopg."""

    name = "raw SQL (psycopg, no policy)"

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(psycopg_dsn(url), autocommit=True)

    def _with_values(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if rows:
            self.conn.execute(STATEMENT_SQL, {"ids": [r[0] for r in rows]}).fetchall()
        return rows

    def list_page(self, state: str | None) -> str | None:
        rows = self.conn.execute(
            f"SELECT {ENTITY_COLS} FROM entities e WHERE e.deleted_at IS NULL AND e.id > %(after)s "  # noqa: S608
            "ORDER BY e.id LIMIT %(n)s", {"after": state or "", "n": PAGE + 1}
        ).fetchall()
        page = self._with_values(rows[:PAGE])
        return page[-1][0] if len(rows) > PAGE else None

    def search(self, prefix: str) -> int:
        rows = self.conn.execute(
            f"SELECT {ENTITY_COLS} FROM entities e WHERE e.deleted_at IS NULL AND EXISTS ("  # noqa: S608
            "SELECT 1 FROM search_terms t WHERE t.entity_id = e.id AND t.term LIKE %(p)s) ORDER BY e.id LIMIT %(n)s",
            {"p": prefix + "%", "n": PAGE + 1},
        ).fetchall()
        return len(self._with_values(rows[:PAGE]))

    def get(self, entity_id: str) -> int:
        rows = self.conn.execute(f"SELECT {ENTITY_COLS} FROM entities e WHERE e.id = %(id)s",  # noqa: S608
                                 {"id": entity_id}).fetchall()
        if rows:
            self.conn.execute(ONE_STATEMENT_SQL, {"id": entity_id}).fetchall()
        return len(rows)

    def close(self) -> None:
        self.conn.close()


def compile_sql(statement: Any, postcompile: bool = True) -> tuple[str, dict[str, Any]]:
    """SQL text for psycopg and the values of its bound parameters (the policy's agency, clearance ...)."""
    compiled = statement.compile(dialect=postgresql.psycopg.dialect(),  # type: ignore[attr-defined]
                                 compile_kwargs={"render_postcompile": postcompile})
    return str(compiled), dict(compiled.params)


class PolicySQL:
    """The policy's own SQL: `visible()` and `visible_values()` compiled once, run through psycopg."""

    name = "policy SQL (visible(), psycopg)"

    def __init__(self, url: str, actor: Actor) -> None:
        self.conn = psycopg.connect(psycopg_dsn(url), autocommit=True)
        self.actor = actor
        live = (Entity.deleted_at.is_(None), visible(actor, Entity))
        # The same columns as the raw peer reads (ENTITY_COLS, STATEMENT_SQL): only the filter differs.
        entity = select(*(getattr(Entity, c.removeprefix("e.")) for c in ENTITY_COLS.split(", ")))
        self.entity_select = entity
        self.page_sql = compile_sql(entity.where(*live, Entity.id > bindparam("after", "", type_=String))
                                    .order_by(Entity.id).limit(bindparam("n", PAGE + 1)))
        self.get_sql = compile_sql(entity.where(*live, Entity.id == bindparam("id", "", type_=String)))
        columns = STATEMENT_SQL.removeprefix("SELECT ").split(" FROM ")[0].split(", ")
        sql, params = compile_sql(
            select(*(getattr(Statement, c) for c in columns))
            .where(Statement.entity_id.in_(bindparam("ids", expanding=True)),
                   Statement.deleted_at.is_(None), visible_values(actor, Statement))
            .order_by(Statement.entity_id, Statement.prop, Statement.id), postcompile=False
        )
        self.values_sql = (sql.replace("IN (__[POSTCOMPILE_ids])", "= ANY(%(ids)s)"), params)
        self.one_values_sql = (sql.replace("IN (__[POSTCOMPILE_ids])", "= %(id)s"), params)
        self.search_sql: dict[str, tuple[str, dict[str, Any]]] = {}

    def _run(self, compiled: tuple[str, dict[str, Any]], **params: Any) -> list[tuple[Any, ...]]:
        sql, bound = compiled
        return self.conn.execute(sql, {**bound, **params}).fetchall()  # type: ignore[arg-type]

    def _with_values(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if rows:
            self._run(self.values_sql, ids=[r[0] for r in rows])
        return rows

    def list_page(self, state: str | None) -> str | None:
        rows = self._run(self.page_sql, after=state or "", n=PAGE + 1)
        page = self._with_values(rows[:PAGE])
        return page[-1][0] if len(rows) > PAGE else None

    def search(self, prefix: str) -> int:
        if prefix not in self.search_sql:
            match = _search_filter(self.actor, prefix, "postgresql")
            query = self.entity_select.where(Entity.deleted_at.is_(None), visible(self.actor, Entity), match)
            query = query.order_by(Entity.id).limit(PAGE + 1)
            self.search_sql[prefix] = compile_sql(query)
        rows = self._run(self.search_sql[prefix])
        return len(self._with_values(rows[:PAGE]))

    def get(self, entity_id: str) -> int:
        rows = self._run(self.get_sql, id=entity_id)
        if rows:
            self._run(self.one_values_sql, id=entity_id)
        return len(rows)

    def close(self) -> None:
        self.conn.close()


class PolicyORM:
    """The service's queries through SQLAlchemy sessions as the app runs them: application role, row-level
    security context, `visible()` filters, ORM rows; no audit, no assembly, no HTTP."""

    name = "policy SQL (SQLAlchemy + RLS)"

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def _session(self) -> Session:
        session = self.db.session()
        act_as(session, self.actor)
        return session

    def _page(self, query: Any) -> list[Entity]:
        with self._session() as s:
            rows = s.execute(query.order_by(Entity.id).limit(PAGE + 1)).scalars().all()
            ids = [e.id for e in rows[:PAGE]]
            if ids:
                s.execute(select(Statement.entity_id, Statement.prop, Statement.value, Statement.dataset,
                                 Statement.marking, Statement.origin)
                          .where(Statement.entity_id == ids[0] if len(ids) == 1 else Statement.entity_id.in_(ids),
                                 Statement.deleted_at.is_(None),
                                 visible_values(self.actor, Statement))
                          .order_by(Statement.entity_id, Statement.prop, Statement.id)).all()
            s.commit()
            return list(rows)

    def _base(self) -> Any:
        return select(Entity).where(Entity.deleted_at.is_(None), visible(self.actor, Entity))

    def list_page(self, state: str | None) -> str | None:
        rows = self._page(self._base().where(Entity.id > (state or "")))
        return rows[PAGE - 1].id if len(rows) > PAGE else None

    def search(self, prefix: str) -> int:
        return len(self._page(self._base().where(_search_filter(self.actor, prefix, "postgresql"))))

    def get(self, entity_id: str) -> int:
        return len(self._page(self._base().where(Entity.id == entity_id)))

    def close(self) -> None:
        pass


class Service:
    """The entities service in a unit of work: policy, audit append at commit, per-viewer assembly; no HTTP."""

    name = "service (policy + audit + assembly)"

    def __init__(self, db: Database, username: str) -> None:
        self.db = db
        with db.unit_of_work() as s:
            self.actor = access.actor_for(session=s, user=access.get_user(session=s, username=username))

    def list_page(self, state: str | None) -> str | None:
        with unit_of_work(self.db) as s:
            act_as(s, self.actor)
            _, cursor = entities.list_entities(session=s, actor=self.actor, limit=PAGE, cursor=state)
        return cursor

    def search(self, prefix: str) -> int:
        with unit_of_work(self.db) as s:
            act_as(s, self.actor)
            items, _ = entities.list_entities(session=s, actor=self.actor, q=prefix, limit=PAGE)
        return len(items)

    def get(self, entity_id: str) -> int:
        with unit_of_work(self.db) as s:
            act_as(s, self.actor)
            entities.read(session=s, actor=self.actor, entity_id=entity_id)
        return 1

    def close(self) -> None:
        pass


class Api:
    """The real application over HTTP: bearer token, policy, audit append, assembly, JSON.

    Driven by the standard library's `http.client` on one kept-alive connection: the load generator
    shares the two cores with the server and PostgreSQL, and httpx spent 0.5 ms of CPU on each single
    read against 0.2 ms for `http.client`, time the server's answers then waited for.
    """

    name = "API, 1 worker process"

    def __init__(self, base_url: str, token: str) -> None:
        address = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{path}?{urlencode(params)}" if params else path
        self.conn.request("GET", url, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status} {body[:300]!r}")
        parsed: dict[str, Any] = orjson.loads(body)
        return parsed

    def list_page(self, state: str | None) -> str | None:
        params: dict[str, Any] = {"limit": PAGE}
        if state:
            params["cursor"] = state
        cursor: str | None = self._get("/api/v1/entities", params)["next_cursor"]
        return cursor

    def search(self, prefix: str) -> int:
        return len(self._get("/api/v1/entities", {"q": prefix, "limit": PAGE})["items"])

    def get(self, entity_id: str) -> int:
        self._get(f"/api/v1/entities/{entity_id}")
        return 1

    def close(self) -> None:
        self.conn.close()


class ApiWorkers(Api):
    """The same, served by `binational serve --workers 2`: two processes sharing one socket."""

    name = "API, 2 worker processes"

"""Database engine, sessions, and the per-transaction context row-level security reads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol, cast

import psycopg
from psycopg import sql as psql
from psycopg.rows import RowFactory, namedtuple_row, tuple_row
from sqlalchemy import ARRAY, DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

from binational import budget as budgets
from binational.config import Settings, get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def app_url(settings: Settings) -> str:
    """The URL the node's sessions log in with on PostgreSQL: `database_app_url`, or `database_url`
    with the application role as its user (and no password)."""
    if settings.database_app_url:
        return settings.database_app_url
    url = make_url(settings.database_url).set(username=settings.db_app_role, password=None)
    return url.render_as_string(hide_password=False)


def make_engine(settings: Settings | None = None, url: str | None = None) -> Engine:
    """An engine for the configured database, or for `url` on it (SQLite gets foreign keys and WAL)."""
    settings = settings or get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        # pysqlite's own transaction handling defers BEGIN; take the write lock up front instead,
        # so the audit log's one-writer rule holds (see audit.log).
        @event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # A request waits for the lock only as long as its time budget allows.
            conn.exec_driver_sql(budgets.sqlite_lock_wait_sql())
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        budgets.watch_sqlite(engine)
        return engine
    # JIT compilation pays off for long analytical queries, not for ours: it added ~180 ms to a
    # policy-filtered search whose plan merely looked expensive (benchmarks/access_overhead.py).
    # No pre-ping: it costs a round trip on every checkout; connections are recycled instead.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800,
                         connect_args={"options": "-c jit=off"})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose transactions apply the row-level-security context (PostgreSQL).

    On PostgreSQL the sessions' connections are in autocommit mode, and each transaction is opened
    by one simple query, `BEGIN; SELECT set_config(...)` (`_open`): psycopg's own BEGIN and then the
    context were two round trips of every request. Commit and rollback still end the transaction,
    as psycopg sends them by the server's transaction status.
    """
    if engine.dialect.name == "postgresql":
        return sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
    return sessionmaker(bind=engine, expire_on_commit=False)


def set_context(session: Session, *, agency: str | None, country: str | None, clearance: int,
                system: bool = False, cases: Iterable[str] = ()) -> None:
    """Name the viewer of this session's transactions for PostgreSQL row-level security
    (agency, country, clearance rank and the restricted cases it is a member of).

    Applies at once to a transaction in progress, and to every later transaction of the session.
    """
    session.info["db_context"] = {
        "agency": agency or "",
        "country": country or "",
        "clearance": str(clearance),
        "system": "on" if system else "off",
        "cases": ",".join(sorted(cases)),
    }
    if session.in_transaction() and session.info.get("db_role"):
        _apply(session.connection(), session)


#: The context of a session that has named no viewer yet: no agency, no clearance, not the system.
#: Row-level security then shows it no shareable row and lets it write none (fail closed).
NOBODY = {"agency": "", "country": "", "clearance": "-1", "system": "off", "cases": ""}


_SET_CONTEXT = (
    "SELECT set_config('role', {role}, true),"
    " set_config('binational.agency', {agency}, true), set_config('binational.country', {country}, true),"
    " set_config('binational.clearance', {clearance}, true), set_config('binational.system', {system}, true),"
    " set_config('binational.cases', {cases}, true)"
)


def _driver(connection: Connection, sql: str, params: Any = None, *, many: bool = False,
            rows: RowFactory[Any] | None = namedtuple_row) -> list[Any]:
    """Run SQL on a PostgreSQL connection's psycopg connection itself, in its transaction, and return
    its rows made by `rows` (none if None). psycopg's errors are raised as SQLAlchemy's, as if
    SQLAlchemy had run it."""
    budgets.before_statement(connection)
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    try:
        with raw.cursor(row_factory=rows or tuple_row) as cursor:
            if many:
                cursor.executemany(sql, params)
                return []
            cursor.execute(sql, params)
            return cursor.fetchall() if rows is not None and cursor.description is not None else []
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc


#: `Settings.subkey` purpose of the key that proves the system context to the database
SYSTEM_KEY = "db-system"


def system_proof(key: bytes, nonce: str) -> str:
    """The value of `binational.system` that `binational_system_on()` accepts in the transaction
    whose `binational_system_nonce()` is `nonce` (the key is written into the database by
    `schema.upgrade`, where only its owner reads it)."""
    return hashlib.sha256(key + nonce.encode()).hexdigest()


def _nonce(connection: Connection, session: Session) -> str:
    """This transaction's `binational_system_nonce()` (asked once per transaction)."""
    nonce = session.info.get("db_nonce")
    if nonce is None:
        nonce = _driver(connection, "SELECT binational_system_nonce()", rows=tuple_row)[0][0]
        session.info["db_nonce"] = nonce
    return str(nonce)


def _context_sql(connection: Connection, session: Session) -> str:
    """The set_config query naming the session's role and viewer, its values quoted as literals (a
    simple query, which may hold several statements, takes no parameters). The system context is
    the proof of `system_proof`, not a flag."""
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    values = {**(session.info.get("db_context") or NOBODY), "role": session.info["db_role"]}
    if values["system"] == "on":
        settings = cast(Settings, session.info.get("settings") or get_settings())
        values["system"] = system_proof(settings.subkey(SYSTEM_KEY), _nonce(connection, session))
    try:
        return _SET_CONTEXT.format(**{k: psql.Literal(v).as_string(raw) for k, v in values.items()})
    except psycopg.Error as exc:  # quoting asks the connection for its encoding
        raise DBAPIError.instance(_SET_CONTEXT, values, exc, psycopg.Error) from exc


def _apply(connection: Connection, session: Session) -> None:
    """Set the session's viewer on the transaction in progress (set_config(.., true) is local to it)."""
    if connection.dialect.name != "postgresql" or session.info.get("db_role") is None:
        return
    _driver(connection, _context_sql(connection, session), rows=None)


def _open(connection: Connection, session: Session) -> None:
    """Open the transaction of a PostgreSQL session whose connection is in autocommit mode, with its
    role and viewer, in one simple query that also asks the transaction's nonce (a session that
    opens as the system proves it in a second query)."""
    session.info.pop("db_nonce", None)
    raw = connection.connection.dbapi_connection
    # A request's statements are bounded by its time budget (binational.budget).
    timeout = budgets.pg_timeout_sql(session.info.get("budget"))
    if connection.dialect.name != "postgresql" or raw is None or not getattr(raw, "autocommit", False):
        _apply(connection, session)
        if timeout and connection.dialect.name == "postgresql":
            _driver(connection, timeout, rows=None)
        return
    if session.info.get("db_role") is None:
        _driver(connection, "BEGIN; " + timeout if timeout else "BEGIN", rows=None)
        return
    system = (session.info.get("db_context") or NOBODY)["system"] == "on"
    if system:
        session.info["db_context"] = {**session.info["db_context"], "system": "off"}
    budget = session.info.get("budget")
    bound = f", set_config('statement_timeout', '{budget.statement_timeout_ms()}', true)" if budget else ""
    query = "BEGIN; " + _context_sql(connection, session) + bound + ", binational_system_nonce()"
    cursor_raw = cast("psycopg.Connection[Any]", raw)
    try:
        with cursor_raw.cursor() as cursor:
            cursor.execute(query)
            cursor.nextset()
            row = cursor.fetchone()
    except psycopg.Error as exc:
        raise DBAPIError.instance(query, None, exc, psycopg.Error) from exc
    session.info["db_nonce"] = row[-1] if row else None
    if system:
        session.info["db_context"] = {**session.info["db_context"], "system": "on"}
        _apply(connection, session)


@lru_cache(maxsize=4096)
def _driver_statement(statement: Executable, dialect: Dialect, columns: tuple[str, ...] | None = None
                      ) -> tuple[str, dict[str, Any]]:
    """A statement compiled once for psycopg, with the values bound in it; only statements whose
    parameters psycopg takes as they are (no bind processing, no value computed when run). An
    INSERT or UPDATE sets only `columns`."""
    compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(
        dialect=dialect, column_keys=list(columns) if columns is not None else None))
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.escaped_bind_names:
        raise ValueError("the statement needs SQLAlchemy to run it (column defaults or escaped names)")
    for name, bind in compiled.binds.items():
        # An array parameter is a list of plain values, which psycopg adapts itself.
        plain = bind.type.item_type if isinstance(bind.type, ARRAY) else bind.type
        if (bind.callable is not None or bind.expanding or bind.literal_execute
                or plain.dialect_impl(dialect).bind_processor(dialect) is not None):
            raise ValueError(f"parameter {name!r} needs SQLAlchemy to run the statement")
    return str(compiled), dict(compiled.params)


def plain_rows(session: Session, statement: Executable, params: dict[str, Any] | None = None, *,
               named: bool = True) -> Sequence[Any]:
    """The rows of a query of plain columns (tuples, with named fields unless `named` is False: for
    many rows read by position), in the session's transaction.

    For the hot read paths. On PostgreSQL the statement is compiled once and psycopg runs it: for
    each query SQLAlchemy's execution (the cache key walk, the events, the result metadata) cost
    0.3 ms of CPU more than the query itself on the benchmark machine, and the ORM's 0.2 ms more
    (benchmarks/access_overhead.py). Pending changes are flushed first, as the session's own
    execute would.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params).all()
    sql, bound = _driver_statement(statement, connection.dialect)
    return _driver(connection, sql, {**bound, **(params or {})}, rows=namedtuple_row if named else tuple_row)


def plain_write(session: Session, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Run an INSERT, UPDATE or DELETE once for each of `rows`, in the session's transaction, the
    way `plain_rows` runs a query."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(statement, rows)
        return
    sql, bound = _driver_statement(statement, connection.dialect, tuple(sorted(rows[0])))
    if len(rows) == 1:  # executemany would enter pipeline mode: three round trips for one row
        _driver(connection, sql, {**bound, **rows[0]}, rows=None)
    else:
        _driver(connection, sql, [{**bound, **row} for row in rows], many=True)


@contextmanager
def system_context(session: Session) -> Iterator[None]:
    """Run part of a session's transaction as the node itself, then name its viewer again."""
    saved = session.info.get("db_context")
    set_context(session, agency=None, country=None, clearance=-1, system=True)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        if saved is None:
            session.info.pop("db_context", None)
        else:
            session.info["db_context"] = saved
        if session.in_transaction() and session.info.get("db_role"):
            try:
                _apply(session.connection(), session)
            except SQLAlchemyError:
                # After a database error the transaction can only be rolled back, and the next one
                # opens with the restored viewer; any other error leaves it usable, and restored.
                if not failed:
                    raise


class Viewer(Protocol):
    """Who a session acts as, as row-level security needs it (an `access.policy.Actor`)."""

    @property
    def agency(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def clearance_rank(self) -> int: ...
    @property
    def case_ids(self) -> frozenset[str]: ...


def act_as(session: Session, actor: Viewer) -> None:
    """Make `actor` the viewer of this session (audit entries and PostgreSQL row-level security)."""
    session.info["actor"] = actor
    set_context(session, agency=actor.agency, country=actor.country, clearance=actor.clearance_rank,
                cases=actor.case_ids)


def act_as_system(session: Session) -> None:
    """Run the rest of the session as the node itself, for jobs that see everything (resolution,
    verification, the node operator's commands); for part of a viewer's unit of work use
    `system_context` instead, which names the viewer again."""
    set_context(session, agency=None, country=None, clearance=-1, system=True)


@event.listens_for(Session, "after_begin")
def _apply_context(session: Session, _transaction: Any, connection: Connection) -> None:
    """Switch to the non-owner role and set the viewer, so RLS is a real backstop; bound the
    transaction by the request's time budget, if it has one."""
    budgets.attach(connection, session.info.get("budget"))
    _open(connection, session)


class Database:
    """The engine and session factory of one node."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        #: the database owner's engine: migrations (`schema.upgrade`) and `analyze` only
        self.engine = make_engine(self.settings)
        #: the sessions' engine: on PostgreSQL it logs in as the application role, which is neither
        #: the owner nor a member of any role, so no statement on it can leave row-level security
        self.app_engine = (make_engine(self.settings, app_url(self.settings)) if self.settings.is_postgres
                           else self.engine)
        self.sessions = make_sessionmaker(self.app_engine)
        #: set while a sequencer serves this node: sessions queue their audit entries (audit.log)
        self.defer_audit = False

    def dispose(self) -> None:
        """Close the connections of both engines."""
        self.engine.dispose()
        if self.app_engine is not self.engine:
            self.app_engine.dispose()

    def analyze(self) -> None:
        """Refresh the planner's statistics, after a bulk load or a resolution run. Until autovacuum gets
        to it, a PostgreSQL table filled in one transaction looks empty to the planner, whose plans
        through row-level security then turn a 300 ms page into a 5-10 s one. SQLite keeps none until
        asked (`sqlite_stat1`): without them it takes `case_id IS NULL` for a selective index and reads
        every entity to check 150 statements (1.4 s instead of 4 ms on the medium world).
        Only the owner may analyze the tables: the owner's engine runs it, in a transaction it commits
        (on SQLite the engine's own `BEGIN IMMEDIATE` opens one even under AUTOCOMMIT, and a connection
        given back uncommitted rolls the statistics back)."""
        with self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    def session(self) -> Session:
        """A new session; on PostgreSQL logged in as the application role."""
        session = self.sessions()
        session.info["settings"] = self.settings
        if self.defer_audit:
            session.info["defer_audit"] = True
        if self.settings.is_postgres:
            session.info["db_role"] = self.settings.db_app_role
        return session

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

"""The database: engine set-up per dialect, the unit of work, and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)

from entryway.adapters.sql.apps import AppRepo
from entryway.adapters.sql.cases import CaseRepo
from entryway.adapters.sql.gauges import GaugeRepo
from entryway.adapters.sql.lockout import LinkRepo, LockRepo
from entryway.adapters.sql.passkeys import PasskeyRepo, StaffPasskeyRepo
from entryway.adapters.sql.prepared import Prepared
from entryway.adapters.sql.questions import QuestionRepo
from entryway.adapters.sql.records import AuditRepo, CounterRepo, OutboxRepo
from entryway.adapters.sql.recoveries import RecoveryRepo
from entryway.adapters.sql.repositories import AccountRepo, FlowRepo, SessionRepo
from entryway.adapters.sql.rows import Conn, Repo
from entryway.adapters.sql.staff import StaffRepo
from entryway.adapters.sql.suspensions import SuspensionRepo
from entryway.adapters.sql.sweeper import SweepRepo
from entryway.adapters.sql.two_step import TwoStepRepo

MIGRATIONS = Path(__file__).with_name("migrations")


# What a database out of reach raises through SQLAlchemy and asyncpg: a connection refused
# or dropped, a server shutting down or starting up (the web layer answers these 503). Each
# is judged by is_outage: of these types, only a lost connection is an outage.
OUTAGE_TYPES: tuple[type[Exception], ...] = (DBAPIError, ConnectionError, asyncpg.PostgresError)
# SQLSTATE classes: 08 connection exception; 57P01-57P03 admin or crash shutdown, starting up.
_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached now (retrying soon may work),
    not a fault of ours: a broken constraint, a missing column, a wrong argument stays a
    500 with its trace."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    causes = [exc]
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        causes += [exc.orig, exc.orig.__cause__ or exc.orig]
    for cause in causes:
        if isinstance(cause, ConnectionError | asyncpg.exceptions.ConnectionDoesNotExistError):
            return True
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_OUTAGE_STATES):
            return True
        if isinstance(cause, sqlite3.OperationalError) and "database is locked" in str(cause):
            return True  # another process held the file past the busy timeout
    return False


R = TypeVar("R", bound=Repo)


class _Repo(Generic[R]):
    """A repository of the unit of work, made on first use over its connection and kept
    in the instance (a non-data descriptor: the instance's own attribute wins after)."""

    def __init__(self, make: Callable[[Conn], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, unit: Any, owner: Any = None) -> R:
        repo = self._make(unit._connection)
        unit.__dict__[self._name] = repo
        return repo


class SqlUnitOfWork:
    """One transaction. Leaving without ``commit()`` rolls everything back (house rule 2)."""

    serialized = False  # PostgreSQL: READ COMMITTED, transactions run side by side
    _committed: list[Callable[[], None]]  # what on_commit asked for

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        self._tx = await self._conn.begin()
        self._repos(AsyncConn(self._conn))
        return self

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction open now commits (never on a rollback)."""
        self._committed.append(callback)

    def _after_commit(self) -> None:
        done, self._committed = self._committed, []
        for callback in done:
            callback()

    def _repos(self, conn: Conn) -> None:
        self._committed = []
        self._connection = conn

    # Each made on first use: a unit of work uses two or three of them, and making all of
    # them for every one (a session check included) was a measurable part of it.
    accounts = _Repo(AccountRepo)
    sessions = _Repo(SessionRepo)
    flows = _Repo(FlowRepo)
    audit = _Repo(AuditRepo)
    outbox = _Repo(OutboxRepo)
    counters = _Repo(CounterRepo)
    two_step = _Repo(TwoStepRepo)
    questions = _Repo(QuestionRepo)
    cases = _Repo(CaseRepo)
    locks = _Repo(LockRepo)
    links = _Repo(LinkRepo)
    staff = _Repo(StaffRepo)
    recoveries = _Repo(RecoveryRepo)
    suspensions = _Repo(SuspensionRepo)
    apps = _Repo(AppRepo)
    passkeys = _Repo(PasskeyRepo)
    staff_passkeys = _Repo(StaffPasskeyRepo)
    gauges = _Repo(GaugeRepo)
    sweeper = _Repo(SweepRepo)

    async def commit(self) -> None:
        """Commit whatever is open, so a flow may commit a step and then go on (a wrong code
        is counted and committed before the flow records more)."""
        assert self._conn is not None
        await self._conn.commit()
        self._after_commit()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()


class SqlReadUnit(SqlUnitOfWork):
    """Statements outside any transaction (autocommit), for a read that writes nothing and
    needs no snapshot across its statements: each statement sees what was last committed.
    A session check is one such read; on PostgreSQL it saves the BEGIN and the ROLLBACK
    round trips, on SQLite the write lock that BEGIN IMMEDIATE takes."""

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        self._repos(AsyncConn(self._conn))
        return self

    async def commit(self) -> None:
        raise TypeError("a read unit writes nothing: use a unit of work")


class AsyncConn:
    """The repositories' face over an AsyncConnection (PostgreSQL): statements as they are,
    prepared ones through SQLAlchemy too."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.dialect = conn.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return await self._conn.execute(statement, parameters)

    async def first(
        self, prepared: Prepared, parameters: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        result = await self._conn.execute(prepared.statement, parameters)
        row = result.mappings().first()
        return None if row is None else dict(row)

    async def run(self, prepared: Prepared, parameters: Mapping[str, Any]) -> int:
        return int((await self._conn.execute(prepared.statement, parameters)).rowcount)

    def begin_nested(self) -> AbstractAsyncContextManager[Any]:
        return self._conn.begin_nested()


class SqliteUnitOfWork(SqlUnitOfWork):
    """SQLite on the event loop's own thread: each statement takes microseconds, so handing
    it to a worker thread (three hops per statement with aiosqlite) cost more than the work.

    Write transactions queue on an asyncio lock rather than on SQLite's busy wait, so a
    transaction can never block the loop while another one that holds the lock waits to run.
    """

    serialized = True  # one transaction at a time, across processes too (BEGIN IMMEDIATE)

    def __init__(self, shared: SharedConnection, lock: asyncio.Lock) -> None:
        self._shared = shared
        self._lock = lock
        self._sync: Connection | None = None
        self._sync_tx: RootTransaction | None = None

    async def __aenter__(self) -> Self:
        await self._lock.acquire()
        try:
            self._sync = self._shared.get()
            self._sync_tx = self._sync.begin()
        except BaseException:
            self._shared.drop()
            self._lock.release()
            raise
        self._repos(self._shared.loop_connection)
        return self

    async def commit(self) -> None:
        assert self._sync is not None
        self._sync.commit()
        self._after_commit()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._sync is not None
        try:
            if self._sync.in_transaction():
                self._sync.rollback()
        except BaseException:
            self._shared.drop()  # the next unit of work starts on a fresh connection
            raise
        finally:
            self._lock.release()


class SqliteReadUnit(SqliteUnitOfWork):
    """SQLite's read unit (see SqlReadUnit): a connection of its own in autocommit, kept
    open, never holding the write lock. In WAL mode a reader neither waits for the writer
    nor makes it wait. Read units may share the connection: each statement is read to its
    end before the loop can run anything else, and none leaves a transaction open."""

    serialized = False

    def __init__(self, shared: SharedConnection) -> None:
        self._shared = shared
        self._sync: Connection | None = None

    async def __aenter__(self) -> Self:
        self._sync = self._shared.get()
        self._repos(self._shared.loop_connection)
        return self

    async def commit(self) -> None:
        raise TypeError("a read unit writes nothing: use a unit of work")

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._sync is not None
        try:
            if self._sync.in_transaction():  # SQLAlchemy's own bookkeeping; nothing open
                self._sync.rollback()
        except BaseException:
            self._shared.drop()
            raise


class SharedConnection:
    """The one connection the process's SQLite units of work take turns on (the write lock
    lets only one hold it at a time), kept open between them: checking one out of the pool
    and back for each unit of work cost more than many of their statements."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self.loop_connection: LoopConnection

    def get(self) -> Connection:
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self._engine.connect()
            self.loop_connection = LoopConnection(conn)
        return conn

    def drop(self) -> None:
        """Close it (after a failure): whatever state it was left in goes with it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()
            with contextlib.suppress(Exception):
                conn.close()


class LoopConnection:
    """The async face the repositories expect, over a synchronous SQLite connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        self._driver = driver

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self._conn.execute(statement, parameters)

    async def first(
        self, prepared: Prepared, parameters: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The first row of a prepared SELECT, read straight off the driver (inside the
        transaction the connection has open, like any other statement)."""
        form = prepared.form(self.dialect)
        values = form.parameters(parameters)
        try:
            cursor = self._driver.execute(form.sql, values)
            try:
                row = cursor.fetchone()
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(form.sql, exc) from exc
        return None if row is None else form.mapping(row)

    async def run(self, prepared: Prepared, parameters: Mapping[str, Any]) -> int:
        """Run a prepared write on the driver; the number of rows it touched."""
        form = prepared.form(self.dialect)
        values = form.parameters(parameters)
        try:
            cursor = self._driver.execute(form.sql, values)
            try:
                return int(cursor.rowcount)
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(form.sql, exc) from exc

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._conn.begin_nested():
            yield


def _as_sqlalchemy(sql: str, exc: sqlite3.Error) -> Exception:
    """A driver error as SQLAlchemy raises it (IntegrityError for a broken constraint, and
    so on), so callers, is_outage and the logs see what they always saw; no values."""
    return DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True)


class Database:
    """Owns the engine; built by bootstrap, closed on shutdown.

    PostgreSQL goes through asyncpg. SQLite runs on the event loop's thread (see
    ``SqliteUnitOfWork``), which suits its one-process, one-machine role.
    """

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.engine: AsyncEngine | None = None
        self._autocommit: AsyncEngine | None = None
        self.sync_engine: Engine | None = None
        if self.dialect == "sqlite":
            _ensure_sqlite_dir(url)
            self.sync_engine = create_engine(
                parsed.set(drivername="sqlite+pysqlite"),
                echo=echo,
                hide_parameters=True,  # errors never carry values (addresses, hashes) to logs
                pool_reset_on_return=None,  # every unit of work ends its own transaction
                connect_args={"check_same_thread": False},
            )
            _configure_sqlite(self.sync_engine)
            self._write_lock = asyncio.Lock()
            self._shared = SharedConnection(self.sync_engine)
            self._reader = SharedConnection(
                self.sync_engine.execution_options(isolation_level="AUTOCOMMIT")
            )
        elif self.dialect == "postgresql":
            connect_args = {"server_settings": {"search_path": schema}} if schema else {}
            self.engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,  # errors never carry values (addresses, hashes) to logs
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                connect_args=connect_args,
            )
            self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            raise ValueError(
                f"unsupported database {url!r}: use sqlite:///path or postgresql+asyncpg://..."
            )

    def uow(self) -> SqlUnitOfWork:
        if self.sync_engine is not None:
            return SqliteUnitOfWork(self._shared, self._write_lock)
        assert self.engine is not None
        return SqlUnitOfWork(self.engine)

    def read(self) -> SqlUnitOfWork:
        """A read unit: no transaction, no commit (SqlReadUnit)."""
        if self.sync_engine is not None:
            return SqliteReadUnit(self._reader)
        assert self._autocommit is not None
        return SqlReadUnit(self._autocommit)

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        if self.sync_engine is not None:
            with self.sync_engine.begin() as conn:
                _upgrade(conn)
            return
        assert self.engine is not None
        async with self.engine.begin() as aconn:
            await aconn.run_sync(_upgrade)

    async def readiness(self) -> str:
        """The schema's standing for the readiness probe, in one short read: "current",
        "behind" (a revision this code knows, older than its newest), or "ahead" (one it
        does not know: a newer release has upgraded, and this one still serves). Raises
        when the database does not answer. On SQLite it waits its turn like any unit of
        work, so the probe never blocks the event loop on the file's lock."""
        if self.sync_engine is not None:
            async with self._write_lock:
                with self.sync_engine.connect() as conn:
                    found = _standing(conn)
                    conn.rollback()
                    return found
        assert self.engine is not None
        async with self.engine.connect() as aconn:
            return str(await aconn.run_sync(_standing))

    async def run_sql(self, statement: str) -> Any:
        """One raw statement in its own transaction (operator tooling and tests)."""
        if self.sync_engine is not None:
            with self.sync_engine.begin() as conn:
                return conn.execute(text(statement)).all()
        assert self.engine is not None
        async with self.engine.begin() as aconn:
            return (await aconn.execute(text(statement))).all()

    async def dispose(self) -> None:
        if self.sync_engine is not None:
            self._shared.drop()
            self._reader.drop()
            self.sync_engine.dispose()
        if self.engine is not None:
            await self.engine.dispose()


@functools.cache
def known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """This code's newest revisions and all it knows (read once: call at start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def _standing(conn: Connection) -> str:
    current = frozenset(MigrationContext.configure(conn).get_current_heads())
    heads, known = known_revisions()
    if current == heads:
        return "current"
    return "behind" if current <= known else "ahead"


def _upgrade(conn: Connection) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(sync: Engine) -> None:
    """WAL for concurrent readers, foreign keys on, and BEGIN IMMEDIATE so two writers (say,
    a command run beside the server) wait for each other instead of failing mid-transaction."""

    @event.listens_for(sync, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")  # the loop waits at most this long
        cur.close()

    @event.listens_for(sync, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # a read unit's connection: each statement commits by itself
        # Straight to the driver: through exec_driver_sql it cost a full statement execution.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")

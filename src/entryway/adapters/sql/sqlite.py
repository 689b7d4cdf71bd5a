"""SQLite's units of work: statements on the event loop's own thread, one kept
connection for writes and one for reads, prepared statements straight on the driver."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from sqlite3 import Cursor
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction, event
from sqlalchemy.exc import DBAPIError

from entryway.adapters.sql.prepared import DriverForm, Prepared
from entryway.adapters.sql.units import SqlUnitOfWork

T = TypeVar("T")


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
            if isinstance(e, DBAPIError):
                # A statement or a BEGIN the database refused (a busy file, a lost disk)
                # may leave SQLAlchemy's view of the connection half-way through a begin:
                # the next unit of work starts on a fresh connection instead.
                self._shared.drop()
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
        self._autocommit = _is_autocommit(conn)

    def _in_transaction(self) -> None:
        """Open the transaction a statement through SQLAlchemy would have begun by itself
        (after a mid-unit commit the driver alone would run it in autocommit: outside the
        write lock across processes, and kept whatever the unit of work does next)."""
        if not self._autocommit and not self._conn.in_transaction():
            self._conn.begin()

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self._conn.execute(statement, parameters)

    def _on_driver(
        self, prepared: Prepared, parameters: Mapping[str, Any], take: Callable[[Cursor], T]
    ) -> tuple[DriverForm, T]:
        """Run a prepared statement on the driver, inside the transaction the connection has
        open (like any other statement), and ``take`` what is wanted from its cursor."""
        form = prepared.form(self.dialect)
        values = form.parameters(parameters)
        self._in_transaction()
        try:
            cursor = self._driver.execute(form.sql, values)
            try:
                return form, take(cursor)
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            raise _as_sqlalchemy(form.sql, exc) from exc

    async def first(
        self, prepared: Prepared, parameters: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The first row of a prepared SELECT, read straight off the driver."""
        form, row = self._on_driver(prepared, parameters, Cursor.fetchone)
        return None if row is None else form.mapping(row)

    async def run(self, prepared: Prepared, parameters: Mapping[str, Any]) -> int:
        """Run a prepared write on the driver; the number of rows it touched."""
        _form, touched = self._on_driver(prepared, parameters, _rowcount)
        return touched

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._conn.begin_nested():
            yield


def _rowcount(cursor: Cursor) -> int:
    return int(cursor.rowcount)


def _as_sqlalchemy(sql: str, exc: sqlite3.Error) -> Exception:
    """A driver error as SQLAlchemy raises it (IntegrityError for a broken constraint, and
    so on), so callers, is_outage and the logs see what they always saw; no values."""
    return DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True)


def configure_sqlite(sync: Engine) -> None:
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
        if _is_autocommit(conn):
            return  # a read unit's connection: each statement commits by itself
        # Straight to the driver: through exec_driver_sql it cost a full statement execution.
        # SQLAlchemy calls this outside its own error handling, so a file another process
        # holds past the busy timeout is raised here as it would raise it (an outage: 503).
        try:
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _as_sqlalchemy("BEGIN IMMEDIATE", exc) from exc


def _is_autocommit(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")

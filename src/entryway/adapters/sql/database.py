"""The database: engine set-up per dialect, which unit of work to hand out, what counts as
an outage, and migrations."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import SingletonThreadPool

from entryway.adapters.sql.sqlite import (
    SharedConnection,
    SqliteReadUnit,
    SqliteUnitOfWork,
    configure_sqlite,
)
from entryway.adapters.sql.units import SqlReadUnit, SqlUnitOfWork

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
            on_disk = _on_disk(parsed)
            # In memory: one driver connection per thread, as SQLAlchemy picks for
            # ``:memory:`` (said outright, since its guess from a URI's mode is going away).
            pool: dict[str, Any] = {} if on_disk else {"poolclass": SingletonThreadPool}
            self.sync_engine = create_engine(
                parsed.set(drivername="sqlite+pysqlite"),
                **pool,
                echo=echo,
                hide_parameters=True,  # errors never carry values (addresses, hashes) to logs
                pool_reset_on_return=None,  # every unit of work ends its own transaction
                connect_args={"check_same_thread": False},
            )
            configure_sqlite(self.sync_engine)
            self._write_lock = asyncio.Lock()
            self._shared = SharedConnection(self.sync_engine)
            # An in-memory database lives in one driver connection (the pool hands the
            # same one to every checkout on a thread): a read beside it would see what a
            # unit of work had not committed, so there reads take a unit of work too.
            self._reader: SharedConnection | None = None
            if on_disk:
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
            if self._reader is None:
                return self.uow()
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
            async with self._write_lock:  # a unit of work still running ends first
                self._shared.drop()
            if self._reader is not None:
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


def _on_disk(url: URL) -> bool:
    """Whether a SQLite URL's database is a file (not ``:memory:``, not ``mode=memory`` in
    its query, nor a temporary one)."""
    database = url.database
    if not database or database == ":memory:" or "mode=memory" in database:
        return False
    return url.query.get("mode") != "memory"


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    database = parsed.database
    if database and _on_disk(parsed):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

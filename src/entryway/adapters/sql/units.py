"""Units of work: the transaction a flow runs in, its repositories, and the read unit
beside it. SQLite's own are in ``sqlite``; these serve PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

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

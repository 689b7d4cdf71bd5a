"""SQLite's own units of work, each on a database of the test's own (these run in the
PostgreSQL run too): a file another process holds, and a database kept in memory."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from entryway.adapters.sql.database import Database, is_outage
from entryway.core.events import AccountStatus
from entryway.flows.ports import Account
from tests.adapters.test_storage_contract import session_row

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _account(id: str) -> Account:
    return Account(
        id=id,
        site="us",
        name="Ana",
        email=f"{id}@example.com",
        phone=None,
        password_hash="$argon2id$x",
        status=AccountStatus.ACTIVE,
        created_at=NOW,
        email_verified=True,
    )


async def test_a_file_held_past_the_busy_timeout_is_an_outage_not_a_fault(
    tmp_path: Path,
) -> None:
    """BEGIN IMMEDIATE runs straight on the driver; a file another process holds longer
    than the busy timeout raises SQLAlchemy's OperationalError (answered 503), not the
    driver's own error (a 500), and the next unit of work works once the file is free."""
    path = tmp_path / "held.db"
    db = Database(f"sqlite:///{path}")
    await db.upgrade()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the other process's write transaction
        db._shared.get().connection.driver_connection.execute("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError) as raised:
            async with db.uow():
                pass
        assert is_outage(raised.value)
        assert "BEGIN IMMEDIATE" in str(raised.value)
        other.execute("ROLLBACK")
        async with db.uow() as uow:
            await uow.accounts.add(_account("a1"))
            await uow.commit()
        async with db.read() as read:
            assert await read.accounts.get("us", "a1") is not None
    finally:
        other.close()
        await db.dispose()


async def test_a_refused_begin_in_the_middle_of_a_unit_leaves_no_connection_behind(
    tmp_path: Path,
) -> None:
    """A BEGIN the file refuses after a mid-unit commit (a prepared write opens its own
    transaction) is an outage too, and the connection it failed on is not reused: SQLAlchemy
    may be left thinking a begin is under way on it."""
    path = tmp_path / "held.db"
    db = Database(f"sqlite:///{path}")
    await db.upgrade()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        first = db._shared.get()
        first.connection.driver_connection.execute("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError) as raised:
            async with db.uow() as uow:
                await uow.accounts.add(_account("a1"))
                await uow.commit()
                other.execute("BEGIN IMMEDIATE")  # another process writes meanwhile
                await uow.sessions.add(session_row(NOW, "h1"))
        assert is_outage(raised.value)
        other.execute("ROLLBACK")
        assert db._shared.get() is not first
        with pytest.raises(RuntimeError):
            async with db.uow() as uow:  # a transaction again: what it wrote goes back
                await uow.sessions.add(session_row(NOW, "h2"))
                raise RuntimeError("rolled back")
        async with db.read() as read:
            assert await read.accounts.get("us", "a1") is not None
            assert await read.sessions.get("us", "h2") is None
    finally:
        other.close()
        await db.dispose()


@pytest.mark.parametrize(
    "url",
    ["sqlite:///:memory:", "sqlite:///file:entryway-units?mode=memory&uri=true"],
)
async def test_in_memory_a_read_never_sees_what_a_unit_of_work_has_not_committed(
    url: str,
) -> None:
    """In memory there is one driver connection: a read waits for the unit of work open on
    it, and sees nothing of what that one rolled back (a URI's ``mode=memory`` too)."""
    db = Database(url)
    await db.upgrade()
    writing = asyncio.Event()
    seen: list[Account | None] = []

    async def write_then_fail() -> None:
        with pytest.raises(RuntimeError):
            async with db.uow() as uow:
                await uow.accounts.add(_account("a1"))
                writing.set()
                await asyncio.sleep(0.05)  # the read below starts meanwhile
                raise RuntimeError("rolled back")

    async def read() -> None:
        await writing.wait()
        async with db.read() as unit:
            seen.append(await unit.accounts.get("us", "a1"))

    try:
        await asyncio.gather(write_then_fail(), read())
        assert seen == [None]
    finally:
        await db.dispose()

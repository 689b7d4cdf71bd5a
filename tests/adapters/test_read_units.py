"""The session check's storage path, on SQLite and (with --db=postgresql) PostgreSQL: read
units outside any transaction, statements prepared once (read off SQLite's driver), and the
connection SQLite's units of work share."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError, StatementError

from entryway.adapters.sql import tables as t
from entryway.adapters.sql.prepared import Prepared
from entryway.core.events import AuditAction
from entryway.errors import Conflict
from entryway.flows.ports import AuditEntry, Session
from tests.adapters.test_storage_contract import account, add_account, session_row
from tests.conftest import World


def _session(world: World, id_hash: str = "s1") -> Session:
    return session_row(world.clock.now(), id_hash)


async def _add_session(world: World, id_hash: str = "s1") -> Session:
    session = _session(world, id_hash)
    async with world.deps.uow() as uow:
        await uow.sessions.add(session)
        await uow.commit()
    return session


async def test_a_read_unit_finds_the_session_and_its_account(world: World) -> None:
    a = await add_account(world)
    session = await _add_session(world)
    async with world.deps.reader() as read:
        assert await read.sessions.with_account("us", "s1") == (session, a)
        assert await read.sessions.with_account("uk", "s1") is None
        assert await read.sessions.with_account("us", "s2") is None


async def test_a_read_unit_cannot_commit(world: World) -> None:
    async with world.deps.reader() as read:
        with pytest.raises(TypeError, match="writes nothing"):
            await read.commit()


async def test_a_read_beside_an_open_write_sees_only_what_was_committed(world: World) -> None:
    """On SQLite the read neither waits for the writer's lock nor sees its rows; on
    PostgreSQL, READ COMMITTED as ever."""
    await add_account(world)
    async with world.deps.uow() as uow:
        await uow.sessions.add(_session(world))  # not committed yet
        async with asyncio.timeout(5):  # a read that waited for the writer would hang here
            async with world.deps.reader() as read:
                assert await read.sessions.with_account("us", "s1") is None
        await uow.commit()
    async with world.deps.reader() as read:
        assert await read.sessions.with_account("us", "s1") is not None


async def test_a_read_inside_a_unit_of_work_sees_its_own_rows(world: World) -> None:
    """The prepared statement runs in the unit's transaction, like any other statement."""
    a = await add_account(world)
    async with world.deps.uow() as uow:
        session = _session(world)
        await uow.sessions.add(session)
        assert await uow.sessions.with_account("us", "s1") == (session, a)
        # no commit: rolled back


async def test_the_touch_never_moves_the_idle_deadline_back(world: World) -> None:
    await add_account(world)
    session = await _add_session(world)
    later = session.idle_deadline + timedelta(minutes=5)
    async with world.deps.uow() as uow:
        await uow.sessions.touch("us", "s1", world.clock.now(), later)
        await uow.sessions.touch("us", "s1", world.clock.now(), session.idle_deadline)
        await uow.commit()
    async with world.deps.reader() as read:
        found = await read.sessions.with_account("us", "s1")
    assert found is not None and found[0].idle_deadline == later


async def test_prepared_rows_are_what_sqlalchemy_returns(world: World) -> None:
    """Every column type of the two tables, None and set, read both ways."""
    full = replace(
        account(world),
        phone="+15145550100",
        phone_verified=True,
        suspended_until=world.clock.now() + timedelta(days=2),
    )
    async with world.deps.uow() as uow:
        await uow.accounts.add(full)
        await uow.accounts.add(account(world, id="a2", email="bo@example.com"))
        await uow.commit()
    statement = select(t.accounts).where(t.accounts.c.id == bindparam("b_id"))
    prepared = Prepared(statement)
    async with world.deps.uow() as uow:
        conn = uow.accounts.conn
        for account_id in ("a1", "a2"):
            fast = await conn.first(prepared, {"b_id": account_id})
            slow = (await conn.execute(statement, {"b_id": account_id})).mappings().first()
            assert fast is not None and slow is not None
            assert dict(fast) == dict(slow)
            assert {type(v) for v in fast.values()} == {type(v) for v in slow.values()}
        assert await conn.first(prepared, {"b_id": "nobody"}) is None
        with pytest.raises((KeyError, StatementError), match="b_id"):  # SQLite's; SQLAlchemy's
            await conn.first(prepared, {})


async def test_a_prepared_statement_keeps_its_own_literal_values(world: World) -> None:
    await add_account(world)
    statement = select(t.accounts.c.id).where(
        t.accounts.c.site == "us", t.accounts.c.id == bindparam("b_id")
    )
    async with world.deps.uow() as uow:
        assert await uow.accounts.conn.first(Prepared(statement), {"b_id": "a1"}) == {"id": "a1"}


def test_only_plain_values_can_be_prepared(world: World) -> None:
    db = world.runtime.db
    engine = db.sync_engine if db.sync_engine is not None else db.engine
    assert engine is not None
    expanding = select(t.accounts.c.id).where(t.accounts.c.id.in_(bindparam("b", expanding=True)))
    with pytest.raises(TypeError, match="plain values"):
        Prepared(expanding).form(engine.dialect)


async def test_a_failed_statement_leaves_the_next_unit_of_work_working(world: World) -> None:
    await add_account(world)
    with pytest.raises(Conflict):
        async with world.deps.uow() as uow:
            await uow.accounts.add(account(world, id="a9"))  # the same email: refused
    async with world.deps.uow() as uow:
        assert await uow.accounts.get("us", "a1") is not None
        await uow.accounts.add(account(world, id="a3", email="cy@example.com"))
        await uow.commit()
    async with world.deps.reader() as read:
        assert await read.accounts.get("us", "a3") is not None


async def test_units_start_again_on_a_new_connection_after_one_is_lost(world: World) -> None:
    """SQLite's units share one kept connection (and its read units another): one marked
    unusable (a lost file handle) is replaced. PostgreSQL's come from a pool: emptied, it
    connects again."""
    await add_account(world)
    db = world.runtime.db
    if db.dialect == "sqlite":
        for shared in (db._shared, db._reader):
            shared.get().invalidate()
    else:
        assert db.engine is not None
        await db.engine.dispose()
    async with world.deps.uow() as uow:
        assert await uow.accounts.get("us", "a1") is not None
    async with world.deps.reader() as read:
        assert await read.accounts.get("us", "a1") is not None


async def test_a_prepared_write_counts_its_rows_and_fails_as_sqlalchemy_would(
    world: World,
) -> None:
    """A broken constraint raises SQLAlchemy's IntegrityError, as callers expect, whether
    the statement ran on SQLite's driver or through SQLAlchemy."""
    await add_account(world)
    await _add_session(world)
    with pytest.raises(IntegrityError):
        async with world.deps.uow() as uow:
            await uow.sessions.add(_session(world))  # the same id hash again
    async with world.deps.uow() as uow:
        statement = delete(t.failure_counters).where(t.failure_counters.c.site == bindparam("b"))
        assert await uow.accounts.conn.run(Prepared(statement), {"b": "us"}) == 0
        assert await uow.sessions.delete_all("us", "a1") == 1


async def test_a_prepared_write_after_a_commit_is_rolled_back_with_its_unit(
    world: World,
) -> None:
    """A flow may commit a step and go on: what it writes next, through a prepared
    statement on SQLite's driver too, is in a new transaction that the unit's end rolls
    back (never committed by itself in autocommit)."""
    await add_account(world)
    entry = AuditEntry(
        site="us",
        account_id="a1",
        action=AuditAction.SIGN_IN_SUCCEEDED,
        at=world.clock.now(),
        ip="1.2.3.4",
        user_agent="ua",
        detail={},
    )
    with pytest.raises(RuntimeError):
        async with world.deps.uow() as uow:
            await uow.sessions.add(_session(world))
            await uow.commit()  # the first step stays
            await uow.audit.add(entry)  # prepared: straight on the driver on SQLite
            await uow.sessions.add(_session(world, "s2"))
            raise RuntimeError("the flow fails after its first step")
    async with world.deps.reader() as read:
        assert await read.audit.recent("us", "a1") == []
        assert await read.sessions.with_account("us", "s1") is not None
        assert await read.sessions.with_account("us", "s2") is None

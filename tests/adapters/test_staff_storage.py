"""Storage contracts of the staff tables, on SQLite and (with --db=postgresql) PostgreSQL.

Races are real here: every task opens its own connection and transaction.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from entryway.core.staff import Role, StaffAction, StaffLevel, StaffStatus
from entryway.errors import Conflict
from entryway.flows.staff.records import (
    StaffAuditEntry,
    StaffLink,
    StaffLock,
    StaffMember,
    StaffSession,
)
from tests.conftest import World


def member(world: World, id: str = "s1", email: str = "kim@staff.example") -> StaffMember:
    return StaffMember(
        id=id,
        email=email,
        name="",
        roles=frozenset({Role.AGENT, Role.ADMIN}),
        sites=frozenset({"us", "uk"}),
        all_sites=False,
        status=StaffStatus.INVITED,
        created_at=world.clock.now(),
    )


async def add(world: World, **kw: str) -> StaffMember:
    m = member(world, **kw)
    async with world.deps.uow() as uow:
        await uow.staff.add(m)
        await uow.commit()
    return m


async def test_members_round_trip_and_emails_are_unique(world: World) -> None:
    m = await add(world)
    async with world.deps.uow() as uow:
        assert await uow.staff.get("s1") == m
        assert await uow.staff.find("kim@staff.example") == m
        with pytest.raises(Conflict):
            await uow.staff.add(member(world, id="s2"))
        await uow.staff.update("s1", roles=frozenset({Role.TRUST}), status=StaffStatus.ACTIVE)
        await uow.commit()
    async with world.deps.uow() as uow:
        got = await uow.staff.get("s1")
        assert got is not None and got.roles == frozenset({Role.TRUST})
        assert got.status == StaffStatus.ACTIVE
        assert [x.id for x in await uow.staff.everyone()] == ["s1"]


async def test_a_link_is_used_by_exactly_one_of_many(world: World) -> None:
    await add(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.staff.add_link(StaffLink("h1", "s1", now, now + timedelta(hours=24)))
        await uow.staff.add_link(StaffLink("h2", "s1", now, now + timedelta(seconds=1)))
        await uow.commit()

    async def use(id_hash: str, at: timedelta = timedelta(0)) -> bool:
        async with world.deps.uow() as uow:
            used = await uow.staff.use_link(id_hash, now + at)
            await uow.commit()
            return used

    assert sum(await asyncio.gather(*[use("h1") for _ in range(10)])) == 1
    assert not await use("h2", timedelta(seconds=1))  # expired
    async with world.deps.uow() as uow:
        await uow.staff.void_links("s1", now)
        await uow.commit()
    async with world.deps.uow() as uow:
        link = await uow.staff.link("h2")
    assert link is not None and link.used_at is not None


async def test_a_totp_step_is_accepted_once(world: World) -> None:
    await add(world)

    async def use() -> bool:
        async with world.deps.uow() as uow:
            ok = await uow.staff.use_step("s1", 123, world.clock.now())
            await uow.commit()
            return ok

    assert sum(await asyncio.gather(*[use() for _ in range(10)])) == 1


async def test_failures_count_atomically_and_locks_are_taken_once(world: World) -> None:
    window = world.clock.now().replace(minute=0, second=0, microsecond=0)

    async def hit() -> int:
        async with world.deps.uow() as uow:
            n = await uow.staff.hit("k", window)
            await uow.commit()
            return n

    counts = await asyncio.gather(*[hit() for _ in range(20)])
    assert sorted(counts) == list(range(1, 21))
    async with world.deps.uow() as uow:
        await uow.staff.take_back("k", window)
        await uow.staff.failed_at("k", window, world.clock.now())
        read = await uow.staff.failures("k", window, window - timedelta(hours=1))
        assert (read.current, read.previous, read.last_at) == (19, 0, world.clock.now())
        lock = StaffLock("k", None, world.clock.now(), "guessing")
        assert await uow.staff.lock(lock)
        assert not await uow.staff.lock(lock)  # a live lock is left as it is
        assert await uow.staff.lock_of("k") == lock
        assert await uow.staff.unlock("k")
        await uow.staff.clear_failures("k")
        read = await uow.staff.failures("k", window, window - timedelta(hours=1))
        assert read.current == 0
        await uow.commit()


async def test_sessions_end_one_or_all(world: World) -> None:
    await add(world)
    now = world.clock.now()

    def session(id_hash: str) -> StaffSession:
        return StaffSession(id_hash, "s1", StaffLevel.FULL, now, now, now, now, "", "")

    async with world.deps.uow() as uow:
        for h in ("a", "b", "c"):
            await uow.staff.add_session(session(h))
        await uow.staff.touch_session("a", now, now + timedelta(minutes=15))
        got = await uow.staff.session("a")
        assert got is not None and got.idle_deadline == now + timedelta(minutes=15)
        assert got.level == StaffLevel.FULL
        assert await uow.staff.end_session("a")
        assert await uow.staff.end_sessions("s1") == 2
        assert await uow.staff.session("b") is None
        await uow.commit()


async def test_the_staff_audit_log_is_append_only(world: World) -> None:
    async with world.deps.uow() as uow:
        await uow.staff.audit(
            StaffAuditEntry(None, StaffAction.ADDED, "s1", world.clock.now(), "", {"roles": "x"})
        )
        await uow.commit()
    async with world.deps.uow() as uow:
        [entry] = await uow.staff.audit_log()
    assert entry.action == StaffAction.ADDED and entry.detail == {"roles": "x"}
    with pytest.raises(Exception, match="append-only"):
        await world.runtime.db.run_sql("UPDATE staff_audit SET action = 'x'")
    with pytest.raises(Exception, match="append-only"):
        await world.runtime.db.run_sql("DELETE FROM staff_audit")


async def test_staff_tables_are_not_the_customers(world: World) -> None:
    """A staff session lives in staff_sessions only: the customers' sessions table never
    holds one (SECURITY.md 30)."""
    await add(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.staff.add_session(
            StaffSession("x", "s1", StaffLevel.FULL, now, now, now, now, "", "")
        )
        await uow.commit()
    assert await world.runtime.db.run_sql("SELECT count(*) FROM sessions") == [(0,)]
    assert await world.runtime.db.run_sql("SELECT count(*) FROM staff_sessions") == [(1,)]

"""Messages written for later: the worker leaves them until due, and they can be moved or
taken back only until then. Runs on SQLite and (with --db=postgresql) on PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from entryway.core.events import MessageKind
from tests.adapters.test_storage_contract import message
from tests.conftest import World

LATER = timedelta(minutes=11)


async def write_for_later(world: World, id: str = "w1") -> None:
    waiting = replace(message(world, id), next_attempt_at=world.clock.now() + LATER)
    async with world.deps.uow() as uow:
        await uow.outbox.add(waiting)
        await uow.outbox.add(message(world, "due-now"))
        await uow.commit()


async def test_a_waiting_message_is_left_alone_until_due(world: World) -> None:
    await write_for_later(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        claimed = await uow.outbox.claim_due(now, now + timedelta(minutes=2), 10)
        found = await uow.outbox.waiting("us", "a1", MessageKind.WRONG_SITE, now)
        assert await uow.outbox.waiting("uk", "a1", MessageKind.WRONG_SITE, now) == []
        assert await uow.outbox.waiting("us", "a1", MessageKind.RESET_CODE, now) == []
        await uow.commit()
    assert [m.id for m in claimed] == ["due-now"]
    assert [m.id for m in found] == ["w1"] and found[0].waiting(now)
    due = now + LATER
    async with world.deps.uow() as uow:
        assert await uow.outbox.waiting("us", "a1", MessageKind.WRONG_SITE, due) == []
        assert not await uow.outbox.take_back("w1", due)  # its time has come: it goes
        assert not await uow.outbox.reschedule("w1", due + LATER, due)
        assert "w1" in [m.id for m in await uow.outbox.claim_due(due, due + LATER, 10)]
        await uow.commit()


async def test_a_waiting_message_can_be_moved_then_taken_back_once(world: World) -> None:
    await write_for_later(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        assert await uow.outbox.reschedule("w1", now + 2 * LATER, now)
        assert not await uow.outbox.take_back("due-now", now)  # due already: never taken back
        await uow.commit()
    then = now + LATER + timedelta(minutes=1)  # past the old time, before the new one
    async with world.deps.uow() as uow:
        claimed = await uow.outbox.claim_due(then, then + LATER, 10)
        assert [m.id for m in claimed] == ["due-now"]  # not the one moved later
        await uow.commit()

    async def take_back() -> bool:
        async with world.deps.uow() as uow:
            ok = await uow.outbox.take_back("w1", then)
            await uow.commit()
            return ok

    assert (await asyncio.gather(*(take_back() for _ in range(8)))).count(True) == 1
    async with world.deps.uow() as uow:
        assert "w1" not in [m.id for m in await uow.outbox.latest()]

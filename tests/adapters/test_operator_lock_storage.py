"""Locks.hold and release_account on both databases: an operator's lock replaces a guessing
lock, is never replaced by one, and is lifted only when asked for by name; 20 parallel
holds take it once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from entryway.core.lockout import LockReason
from entryway.flows.ports import Lock
from tests.adapters.test_storage_contract import add_account
from tests.conftest import World

FOREVER = timedelta(days=3650)


def _lock(world: World, reason: LockReason, until: timedelta, site: str = "us") -> Lock:
    now = world.clock.now()
    return Lock(
        site=site, key_hash="k1", account_id="a1", reason=reason, locked_at=now,
        until=now + until,
    )  # fmt: skip


async def _get(world: World, site: str = "us") -> Lock | None:
    async with world.deps.uow() as uow:
        return await uow.locks.get(site, "k1")


async def test_hold_replaces_a_guessing_lock_and_is_not_replaced(world: World) -> None:
    await add_account(world)
    now = world.clock.now()
    guessing = _lock(world, LockReason.PASSWORD_GUESSING, timedelta(hours=1))
    async with world.deps.uow() as uow:
        assert await uow.locks.acquire(guessing, now, max_strikes=10, forever=now + FOREVER)
        assert await uow.locks.hold(_lock(world, LockReason.OPERATOR, FOREVER))
        await uow.commit()
    found = await _get(world)
    assert found is not None and found.reason is LockReason.OPERATOR
    world.clock.advance(hours=2)  # long after a guessing lock would have run out
    now = world.clock.now()
    async with world.deps.uow() as uow:
        assert not await uow.locks.hold(_lock(world, LockReason.OPERATOR, FOREVER))
        again = _lock(world, LockReason.PASSWORD_GUESSING, timedelta(hours=1))
        assert not await uow.locks.acquire(again, now, max_strikes=10, forever=now + FOREVER)
        await uow.commit()
    found = await _get(world)
    assert found is not None and found.reason is LockReason.OPERATOR


async def test_release_keeps_an_operators_lock_unless_named(world: World) -> None:
    await add_account(world)
    async with world.deps.uow() as uow:
        assert await uow.locks.hold(_lock(world, LockReason.OPERATOR, FOREVER))
        assert await uow.locks.release_account("us", "a1") == 0  # a reset, an unlock link
        assert await uow.locks.release_account("uk", "a1", operator=True) == 0  # site-bound
        await uow.commit()
    assert await _get(world) is not None
    async with world.deps.uow() as uow:
        assert await uow.locks.release_account("us", "a1", operator=True) == 1
        await uow.commit()
    assert await _get(world) is None


async def test_a_guessing_lock_is_still_released_as_before(world: World) -> None:
    await add_account(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        lock = _lock(world, LockReason.CODE_GUESSING, timedelta(hours=1))
        assert await uow.locks.acquire(lock, now, max_strikes=10, forever=now + FOREVER)
        assert await uow.locks.release_account("us", "a1") == 1
        await uow.commit()
    assert await _get(world) is None


async def test_only_an_operators_lock_is_held(world: World) -> None:
    async with world.deps.uow() as uow:
        with pytest.raises(ValueError, match="operator"):
            await uow.locks.hold(_lock(world, LockReason.PASSWORD_GUESSING, FOREVER))


async def test_20_parallel_holds_take_it_once(world: World) -> None:
    await add_account(world)

    async def one() -> bool:
        async with world.deps.uow() as uow:
            took = await uow.locks.hold(_lock(world, LockReason.OPERATOR, FOREVER))
            await uow.commit()
            return took

    assert sum(await asyncio.gather(*(one() for _ in range(20)))) == 1

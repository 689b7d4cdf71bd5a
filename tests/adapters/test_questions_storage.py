"""Verification answers in storage, on SQLite and (with --db=postgresql) PostgreSQL."""

from __future__ import annotations

import asyncio

from entryway.flows.ports import StoredAnswer
from tests.adapters.test_storage_contract import add_account
from tests.conftest import World


def answers(world: World, site: str, tag: str, count: int = 3) -> list[StoredAnswer]:
    return [
        StoredAnswer(
            site=site,
            account_id="a1",
            position=n,
            question_id=f"q{n}",
            answer_hash=f"{tag}-{n}",
            set_at=world.clock.now(),
        )
        for n in range(1, count + 1)
    ]


async def stored(world: World, site: str = "us", account_id: str = "a1") -> list[StoredAnswer]:
    async with world.deps.uow() as uow:
        return await uow.questions.answers(site, account_id)


async def test_a_set_is_kept_in_order_and_replaced_as_a_whole(world: World) -> None:
    await add_account(world)
    assert await stored(world) == []
    async with world.deps.uow() as uow:
        await uow.questions.replace("us", "a1", answers(world, "us", "old"))
        await uow.commit()
    assert [a.answer_hash for a in await stored(world)] == ["old-1", "old-2", "old-3"]
    world.clock.advance(days=1)
    async with world.deps.uow() as uow:
        await uow.questions.replace("us", "a1", answers(world, "us", "new", count=2))
        await uow.commit()
    now = await stored(world)
    assert [a.answer_hash for a in now] == ["new-1", "new-2"]  # the third old one went too
    assert all(a.set_at == world.clock.now() for a in now)


async def test_a_replace_without_commit_changes_nothing(world: World) -> None:
    await add_account(world)
    async with world.deps.uow() as uow:
        await uow.questions.replace("us", "a1", answers(world, "us", "old"))
        await uow.commit()
    async with world.deps.uow() as uow:
        await uow.questions.replace("us", "a1", answers(world, "us", "new"))
    assert [a.answer_hash for a in await stored(world)] == ["old-1", "old-2", "old-3"]


async def test_parallel_replaces_leave_one_whole_set(world: World) -> None:
    await add_account(world)

    async def put(tag: str) -> None:
        async with world.deps.uow() as uow:
            await uow.questions.replace("us", "a1", answers(world, "us", tag))
            await uow.commit()

    await asyncio.gather(*(put(f"t{i}") for i in range(10)))
    tags = {a.answer_hash.split("-")[0] for a in await stored(world)}
    assert len(tags) == 1 and len(await stored(world)) == 3


async def test_answers_are_scoped_by_site(world: World) -> None:
    await add_account(world, site="us", id="a1")
    async with world.deps.uow() as uow:
        await uow.questions.replace("us", "a1", answers(world, "us", "us"))
        await uow.commit()
    assert await stored(world, site="uk") == []  # another site's lookup finds nothing
    async with world.deps.uow() as uow:
        await uow.questions.clear("uk", "a1")  # and another site's clear removes nothing
        await uow.commit()
    assert len(await stored(world)) == 3
    async with world.deps.uow() as uow:
        await uow.questions.clear("us", "a1")
        await uow.commit()
    assert await stored(world) == []

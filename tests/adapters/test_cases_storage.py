"""Support case storage, on SQLite and (with --db=postgresql) PostgreSQL: scoping by site,
conditional moves, the thread, links and the closing sweep."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from entryway.core.cases import Author, CaseState, Origin, Topic
from entryway.errors import Conflict
from entryway.flows.ports import CaseEntry, CaseLink, SupportCase
from tests.conftest import World


def case(world: World, id: str = "c1", site: str = "us", number: str = "10000001", **kw: object):
    values: dict[str, object] = {
        "id": id,
        "number": number,
        "site": site,
        "account_id": None,
        "topic": Topic.LOCKED,
        "origin": Origin.SIGNED_OUT,
        "state": CaseState.NEW,
        "created_at": world.clock.now(),
        "claimed_name": "Ana",
        "claimed_kind": "email",
        "claimed_contact": "ana@example.com",
        "first_reply_due": world.clock.now() + timedelta(hours=24),
    }
    values.update(kw)
    return SupportCase(**values)  # type: ignore[arg-type]


async def add(world: World, *cases: SupportCase) -> None:
    async with world.deps.uow() as uow:
        for c in cases:
            await uow.cases.add(c)
        await uow.commit()


async def test_a_case_of_another_site_is_not_found(world: World) -> None:
    await add(world, case(world), case(world, id="c2", site="uk", number="10000002"))
    async with world.deps.uow() as uow:
        found = await uow.cases.get("us", "c1")
        assert found is not None and found.state is CaseState.NEW and found.topic is Topic.LOCKED
        assert await uow.cases.get("uk", "c1") is None
        assert await uow.cases.in_sites(["uk", "ca"], "c1") is None
        assert (await uow.cases.in_sites(["ca", "us"], "c1")) is not None
        assert await uow.cases.by_number(["uk"], "10000001") is None
        assert (await uow.cases.by_number(["us"], "10000001")) is not None
        assert await uow.cases.by_number([], "10000001") is None
        ana = [("us", "ana@example.com")]
        assert [c.id for c in await uow.cases.by_contact(ana, [Topic.LOCKED])] == ["c1"]
        assert await uow.cases.by_contact([("ca", "ana@example.com")], [Topic.LOCKED]) == []
        assert await uow.cases.by_contact(ana, [Topic.APPEAL, Topic.OTHER]) == []
        assert await uow.cases.by_contact(ana, []) == []
        assert await uow.cases.move("uk", "c1", CaseState.NEW, state=CaseState.OPEN) is False


async def test_case_numbers_are_unique_and_a_clash_leaves_the_transaction_usable(
    world: World,
) -> None:
    await add(world, case(world))
    async with world.deps.uow() as uow:
        with pytest.raises(Conflict):
            await uow.cases.add(case(world, id="c9", site="uk"))
        await uow.cases.add(case(world, id="c9", site="uk", number="10000009"))
        await uow.commit()
    async with world.deps.uow() as uow:
        assert await uow.cases.get("uk", "c9") is not None


async def test_queue_is_scoped_filtered_and_sorted_by_due(world: World) -> None:
    now = world.clock.now()
    await add(
        world,
        case(world, id="late", number="1", first_reply_due=now + timedelta(hours=5)),
        case(world, id="soon", number="2", first_reply_due=now + timedelta(hours=1)),
        case(world, id="none", number="3", first_reply_due=None, state=CaseState.OPEN),
        case(world, id="uk", number="4", site="uk", first_reply_due=now),
        case(world, id="appeal", number="5", topic=Topic.APPEAL, first_reply_due=now),
        case(world, id="mine", number="6", assigned_to="s1", first_reply_due=now),
    )
    states = [CaseState.NEW, CaseState.OPEN]
    async with world.deps.uow() as uow:
        found = await uow.cases.queue(["us"], states, [Topic.LOCKED], None, 10)
        assert [c.id for c in found] == ["mine", "soon", "late", "none"]
        mine = await uow.cases.queue(["us", "uk"], states, [Topic.LOCKED], "s1", 10)
        assert [c.id for c in mine] == ["mine"]
        assert await uow.cases.queue([], states, [Topic.LOCKED], None, 10) == []
        opened = await uow.cases.queue(["us"], [CaseState.OPEN], [Topic.LOCKED], None, 10)
        assert [c.id for c in opened] == ["none"]


async def test_moves_are_conditional_writes(world: World) -> None:
    await add(world, case(world))

    async def move() -> bool:
        async with world.deps.uow() as uow:
            moved = await uow.cases.move("us", "c1", CaseState.NEW, state=CaseState.OPEN)
            await uow.commit()
            return moved

    results = await asyncio.gather(*(move() for _ in range(10)))
    assert results.count(True) == 1


async def test_linking_a_case_to_an_account_only_once(world: World) -> None:
    from tests.adapters.test_storage_contract import add_account

    await add_account(world, id="a1")
    await add_account(world, id="a2", email="bo@example.com")
    await add(world, case(world))
    async with world.deps.uow() as uow:
        assert await uow.cases.link_account("us", "c1", "a1", world.clock.now())
        assert await uow.cases.link_account("us", "c1", "a1", world.clock.now())
        assert not await uow.cases.link_account("us", "c1", "a2", world.clock.now())
        assert not await uow.cases.link_account("uk", "c1", "a1", world.clock.now())
        assert await uow.cases.next_verification("us", "c1") == 1
        assert await uow.cases.next_verification("us", "c1") == 2
        await uow.commit()
    async with world.deps.uow() as uow:
        found = await uow.cases.get("us", "c1")
        assert found is not None and found.account_id == "a1" and found.verified_at is not None
        assert [c.id for c in await uow.cases.for_account("us", "a1")] == ["c1"]
        assert await uow.cases.for_account("uk", "a1") == []


async def test_thread_and_links_are_bound_to_site_and_case(world: World) -> None:
    await add(world, case(world), case(world, id="c2", number="10000002"))
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.cases.add_entry(CaseEntry("us", "c1", Author.CUSTOMER, "help", now))
        await uow.cases.add_entry(CaseEntry("us", "c1", Author.NOTE, "hmm", now, staff_id="s1"))
        await uow.cases.add_entry(CaseEntry("us", "c2", Author.CUSTOMER, "other", now))
        await uow.cases.add_link(CaseLink("h1", "us", "c1", now))
        await uow.commit()
    async with world.deps.uow() as uow:
        thread = await uow.cases.entries("us", "c1")
        assert [(e.author, e.body, e.staff_id) for e in thread] == [
            (Author.CUSTOMER, "help", None),
            (Author.NOTE, "hmm", "s1"),
        ]
        assert await uow.cases.entries("uk", "c1") == []
        linked = await uow.cases.by_link("us", "h1")
        assert linked is not None and linked.id == "c1"
        assert await uow.cases.by_link("uk", "h1") is None
        await uow.cases.revoke_links("us", "c1", now)
        assert await uow.cases.by_link("us", "h1") is None


async def test_sweep_closes_only_cases_solved_before_the_cutoff(world: World) -> None:
    now = world.clock.now()
    await add(
        world,
        case(world, id="old", number="1", state=CaseState.SOLVED, solved_at=now - timedelta(8)),
        case(world, id="new", number="2", state=CaseState.SOLVED, solved_at=now),
        case(world, id="uk", number="3", site="uk", state=CaseState.SOLVED, solved_at=now),
        case(world, id="open", number="4", state=CaseState.OPEN),
    )
    async with world.deps.uow() as uow:
        closed = await uow.cases.close_solved(now - timedelta(days=7), now)
        assert [c.id for c in closed] == ["old"] and closed[0].state is CaseState.CLOSED
        assert await uow.cases.close_solved(now - timedelta(days=7), now) == []
        await uow.commit()

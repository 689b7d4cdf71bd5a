"""Recoveries in storage, on SQLite and (with --db=postgresql) PostgreSQL: one live per
account (SECURITY.md 34), conditional moves and notices, the housekeeping list, and site
scoping (DESIGN.md rule 8). Every task opens its own connection and transaction."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from entryway.core.recovery import LIVE_STATES, Notice, RecoveryState, next_notice, notice_times
from entryway.flows.ports import Recovery
from tests.adapters.test_storage_contract import add_account
from tests.conftest import World


def recovery(world: World, id: str = "r1", site: str = "us", account_id: str = "a1") -> Recovery:
    return Recovery(
        id=id,
        site=site,
        account_id=account_id,
        state=RecoveryState.REQUESTED,
        new_kind="email",
        new_contact="new@example.net",
        created_at=world.clock.now(),
        questions_right=True,
        order_number="US-1",
        order_total="10.00",
        evidence={"questions": "right", "weak": ["two_step"]},
        requester_ip="198.51.100.9",
    )


async def add(world: World, r: Recovery) -> bool:
    async with world.deps.uow() as uow:
        added = await uow.recoveries.add(r)
        await uow.commit()
    return bool(added)


async def get(world: World, id: str, site: str = "us") -> Recovery | None:
    async with world.deps.uow() as uow:
        return await uow.recoveries.get(site, id)


async def test_a_recovery_round_trips(world: World) -> None:
    await add_account(world)
    r = recovery(world)
    assert await add(world, r)
    assert await get(world, "r1") == r
    async with world.deps.uow() as uow:
        assert await uow.recoveries.live_for("us", "a1") == r


async def test_security_34_add_is_refused_while_one_is_live(world: World) -> None:
    await add_account(world)
    assert await add(world, recovery(world, "r1"))
    live = [
        RecoveryState.REQUESTED,
        RecoveryState.REVIEW,
        RecoveryState.WAITING,
        RecoveryState.READY,
    ]
    assert set(live) == LIVE_STATES
    for state in live:
        async with world.deps.uow() as uow:
            current = await uow.recoveries.get("us", "r1")
            assert current is not None
            assert await uow.recoveries.move("us", "r1", current.state, state=state)
            await uow.commit()
        assert not await add(world, recovery(world, f"again-{state}")), state
    async with world.deps.uow() as uow:
        assert await uow.recoveries.move("us", "r1", RecoveryState.READY, state="completed")
        await uow.commit()
    assert await add(world, recovery(world, "r2"))  # none live: a new one may start
    assert await get(world, "again-waiting") is None


async def test_a_refused_add_leaves_the_transaction_usable(world: World) -> None:
    await add_account(world)
    await add_account(world, id="a2", email="bo@example.com")
    assert await add(world, recovery(world, "r1"))
    async with world.deps.uow() as uow:
        assert not await uow.recoveries.add(recovery(world, "r2"))
        assert await uow.recoveries.add(recovery(world, "r3", account_id="a2"))
        await uow.commit()
    assert await get(world, "r3") is not None and await get(world, "r2") is None


async def test_security_34_two_adds_at_once_one_wins(world: World) -> None:
    await add_account(world)
    results = await asyncio.gather(*(add(world, recovery(world, f"p{i}")) for i in range(8)))
    assert results.count(True) == 1
    async with world.deps.uow() as uow:
        live = await uow.recoveries.live_for("us", "a1")
    assert live is not None and f"p{results.index(True)}" == live.id


async def test_move_is_conditional_on_the_state_it_leaves(world: World) -> None:
    await add_account(world)
    await add(world, recovery(world))
    until = world.clock.now() + timedelta(hours=72)
    async with world.deps.uow() as uow:
        assert not await uow.recoveries.move("us", "r1", RecoveryState.REVIEW, state="waiting")
        assert await uow.recoveries.move(
            "us",
            "r1",
            RecoveryState.REQUESTED,
            state=RecoveryState.WAITING,
            wait_until=until,
            order_number="",
            evidence={"order": "matched"},
        )
        await uow.commit()
    got = await get(world, "r1")
    assert got is not None and got.state is RecoveryState.WAITING and got.wait_until == until
    assert got.order_number == "" and got.evidence == {"order": "matched"}

    async def move() -> bool:
        async with world.deps.uow() as uow:
            moved = await uow.recoveries.move(
                "us", "r1", RecoveryState.WAITING, state=RecoveryState.CANCELLED
            )
            await uow.commit()
        return moved

    assert (await asyncio.gather(*(move() for _ in range(10)))).count(True) == 1


async def test_noticed_is_conditional_on_the_count_sent(world: World) -> None:
    await add_account(world)
    await add(world, recovery(world))

    async def notice(before: int, after: int) -> bool:
        async with world.deps.uow() as uow:
            done = await uow.recoveries.noticed("us", "r1", before, after)
            await uow.commit()
        return done

    assert not await notice(1, 2)
    assert (await asyncio.gather(*(notice(0, 1) for _ in range(10)))).count(True) == 1
    assert await notice(1, 3)
    got = await get(world, "r1")
    assert got is not None and got.notices_sent == 3


async def test_in_states_lists_every_site_oldest_first(world: World) -> None:
    await add_account(world)
    await add_account(world, site="uk", id="b1")
    await add_account(world, id="a2", email="bo@example.com")
    await add(world, recovery(world, "new-us"))
    world.clock.advance(minutes=1)
    await add(world, recovery(world, "uk-1", site="uk", account_id="b1"))
    world.clock.advance(minutes=1)
    r = replace(recovery(world, "other"), account_id="a2", state=RecoveryState.REVIEW)
    await add(world, r)
    async with world.deps.uow() as uow:
        requested = await uow.recoveries.in_states([RecoveryState.REQUESTED])
        both = await uow.recoveries.in_states([RecoveryState.REQUESTED, RecoveryState.REVIEW])
        one = await uow.recoveries.in_states([RecoveryState.REQUESTED], limit=1)
        none = await uow.recoveries.in_states([RecoveryState.READY])
    assert [x.id for x in requested] == ["new-us", "uk-1"]
    assert [x.id for x in both] == ["new-us", "uk-1", "other"]
    assert [x.id for x in one] == ["new-us"] and none == []


async def test_every_lookup_and_write_is_scoped_by_site(world: World) -> None:
    await add_account(world)
    await add(world, replace(recovery(world), case_id="case-1"))
    async with world.deps.uow() as uow:
        assert await uow.recoveries.get("uk", "r1") is None
        assert await uow.recoveries.live_for("uk", "a1") is None
        assert await uow.recoveries.by_case("uk", "case-1") is None
        assert not await uow.recoveries.move("uk", "r1", RecoveryState.REQUESTED, state="refused")
        assert not await uow.recoveries.noticed("uk", "r1", 0, 1)
        found = await uow.recoveries.by_case("us", "case-1")
        await uow.commit()
    assert found is not None and found.id == "r1"
    got = await get(world, "r1")
    assert got is not None and got.state is RecoveryState.REQUESTED and got.notices_sent == 0


def waiting(
    world: World, id: str, account_id: str, length: timedelta, sent: int = 1, **kw: object
) -> Recovery:
    """A waiting recovery whose wait began now and lasts ``length``."""
    now = world.clock.now()
    values: dict[str, object] = {
        "state": RecoveryState.WAITING,
        "waiting_since": now,
        "wait_until": now + length,
        "notices_sent": sent,
    }
    return replace(recovery(world, id, account_id=account_id), **(values | kw))  # type: ignore[arg-type]


async def test_waiting_due_is_what_the_notice_rule_says_is_due(world: World) -> None:
    """The SQL test of "something is due" agrees with core.recovery (notice_times and the
    end of the wait) at and around every moment that matters, waits with and without a
    last day's notice included, on both databases."""
    start = world.clock.now()
    rows = []
    lengths = [timedelta(hours=36), timedelta(hours=48), timedelta(hours=72), timedelta(days=7)]
    for i, length in enumerate(lengths):
        for sent in (int(Notice.STARTED), int(Notice.HALFWAY), int(Notice.LAST_DAY)):
            account_id = f"a{i}{sent}"
            await add_account(world, id=account_id, email=f"{account_id}@example.com")
            rows.append(waiting(world, f"r{i}{sent}", account_id, length, sent))
            assert await add(world, rows[-1])
    moments = set()
    for r in rows:
        assert r.waiting_since is not None and r.wait_until is not None
        for _notice, at in notice_times(r.waiting_since, r.wait_until):
            moments.add(at)
        moments.add(r.wait_until)
    probes = sorted(
        {
            m + d
            for m in moments
            for d in (timedelta(minutes=-1), timedelta(0), timedelta(minutes=1))
        }
    )
    for now in probes:
        expected = [
            r.id
            for r in sorted(rows, key=lambda x: (x.wait_until, x.id))  # type: ignore[arg-type, return-value]
            if now >= r.wait_until  # type: ignore[operator]
            or next_notice(r.notices_sent, r.waiting_since, r.wait_until, now)  # type: ignore[arg-type]
        ]
        async with world.deps.uow() as uow:
            found = await uow.recoveries.waiting_due(now, 100)
        assert [r.id for r in found] == expected, now - start
    async with world.deps.uow() as uow:  # a page at a time, soonest end first
        page = await uow.recoveries.waiting_due(start + timedelta(days=8), 3)
    assert [r.id for r in page] == ["r01", "r02", "r03"]


async def test_waiting_due_and_ready_before_list_only_their_state(world: World) -> None:
    await add_account(world)
    await add_account(world, id="a2", email="bo@example.com")
    await add_account(world, site="uk", id="b1")
    now = world.clock.now()
    await add(world, waiting(world, "ready-old", "a1", timedelta(hours=1), state="ready"))
    await add(
        world, waiting(world, "ready-new", "b1", timedelta(hours=2), state="ready", site="uk")
    )
    await add(world, waiting(world, "review", "a2", timedelta(hours=1), state="review"))
    async with world.deps.uow() as uow:
        assert await uow.recoveries.waiting_due(now + timedelta(days=30), 10) == []
        assert await uow.recoveries.ready_before(now, 10) == []
        one = await uow.recoveries.ready_before(now + timedelta(hours=1), 10)
        both = await uow.recoveries.ready_before(now + timedelta(hours=5), 10)
        first = await uow.recoveries.ready_before(now + timedelta(hours=5), 1)
    assert [r.id for r in one] == ["ready-old"]
    assert [r.id for r in both] == ["ready-old", "ready-new"]  # every site, oldest first
    assert [r.id for r in first] == ["ready-old"]


async def test_review_due_lists_reviews_past_their_deadline_on_every_site(world: World) -> None:
    await add_account(world)
    await add_account(world, id="a2", email="bo@example.com")
    await add_account(world, id="a3", email="cy@example.com")
    await add_account(world, site="uk", id="b1")
    now = world.clock.now()
    await add(world, waiting(world, "soon", "a1", timedelta(hours=1), state="review"))
    await add(
        world, waiting(world, "uk-later", "b1", timedelta(hours=2), state="review", site="uk")
    )
    await add(world, waiting(world, "no-deadline", "a2", timedelta(hours=1), state="review"))
    await add(world, waiting(world, "waits", "a3", timedelta(hours=1)))  # not a review
    async with world.deps.uow() as uow:
        assert await uow.recoveries.move("us", "no-deadline", RecoveryState.REVIEW, wait_until=None)
        await uow.commit()
    async with world.deps.uow() as uow:
        before = await uow.recoveries.review_due(now + timedelta(minutes=59), 10)
        at_it = await uow.recoveries.review_due(now + timedelta(hours=1), 10)
        both = await uow.recoveries.review_due(now + timedelta(days=9), 10)
        first = await uow.recoveries.review_due(now + timedelta(days=9), 1)
    assert before == [] and [r.id for r in at_it] == ["soon"]
    assert [r.id for r in both] == ["soon", "uk-later"]  # every site, soonest first
    assert [r.id for r in first] == ["soon"]


async def test_cancelled_since_is_the_accounts_own_on_its_site(world: World) -> None:
    await add_account(world)
    await add_account(world, id="a2", email="bo@example.com")
    await add_account(world, site="uk", id="b1")
    start = world.clock.now()

    async def ended(
        id: str, state: RecoveryState, site: str = "us", account_id: str = "a1"
    ) -> None:
        await add(world, recovery(world, id, site=site, account_id=account_id))
        async with world.deps.uow() as uow:
            assert await uow.recoveries.move(
                site, id, RecoveryState.REQUESTED, state=state, ended_at=world.clock.now()
            )
            await uow.commit()

    async def since(at: object, site: str = "us", account_id: str = "a1") -> bool:
        async with world.deps.uow() as uow:
            return await uow.recoveries.cancelled_since(site, account_id, at)  # type: ignore[arg-type]

    await ended("refused", RecoveryState.REFUSED)
    await ended("other-account", RecoveryState.CANCELLED, account_id="a2")
    await ended("other-site", RecoveryState.CANCELLED, site="uk", account_id="b1")
    assert not await since(start)  # a refusal, another account's or another site's cancel
    world.clock.advance(hours=1)
    await ended("cancelled", RecoveryState.CANCELLED)
    assert await since(start) and await since(world.clock.now())
    assert not await since(world.clock.now() + timedelta(seconds=1))
    assert not await since(start, site="uk")  # a1's cancel is on us: asked on uk, nothing
    assert await since(start, site="uk", account_id="b1")


async def test_hold_live_takes_the_row_and_waits_for_a_move_in_flight(world: World) -> None:
    await add_account(world)
    await add(world, recovery(world))
    async with world.deps.uow() as uow:
        held = await uow.recoveries.hold_live("us", "a1")
        assert await uow.recoveries.hold_live("uk", "a1") is None  # scoped by site
    assert held is not None and held.id == "r1"
    async with world.deps.uow() as first:
        assert await first.recoveries.move("us", "r1", RecoveryState.REQUESTED, state="cancelled")

        async def second() -> Recovery | None:
            async with world.deps.uow() as uow:
                return await uow.recoveries.hold_live("us", "a1")

        other = asyncio.create_task(second())
        if not first.serialized:  # PostgreSQL: it waits on the row this transaction holds
            await blocked_behind(first, other)
        await first.commit()
    assert await other is None  # it read the row after the move: no longer live


async def blocked_behind(uow: Any, other: asyncio.Task[Any]) -> None:
    """Wait (a few seconds at most) until ``other`` waits on a lock ``uow`` holds."""
    conn = uow.recoveries.conn
    me = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    query = text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND :me = ANY(pg_blocking_pids(pid))"
    )
    for _ in range(2500):
        assert not other.done(), "it did not wait for the row"
        if (await conn.execute(query, {"me": me})).scalar_one():
            return
        await asyncio.sleep(0.002)  # another connection's progress: real time, no clock
    raise AssertionError("it never waited for the row")

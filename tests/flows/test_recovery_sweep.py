"""The recovery jobs as they sweep: a failing step logs the recovery and the kind of error
only (never a link's token or a contact), and what is due is found however many others
are waiting ahead of it. Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from entryway.adapters.sql.records import OutboxRepo
from entryway.core.events import MessageKind
from entryway.core.recovery import Notice, RecoveryState
from entryway.flows.ports import Message, Recovery
from entryway.flows.recovery import pending
from tests.adapters.test_storage_contract import add_account
from tests.conftest import World
from tests.flows.recovery_helpers import NEW, queued, request, setup, stored

TOKEN = re.compile(r"token=([A-Za-z0-9_-]{20,})")


async def test_a_failing_step_logs_no_token_and_is_tried_again(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s = await setup(world)
    r = await request(s)
    await pending.evaluate_requested(s.deps)
    world.clock.advance(hours=72)
    refused: list[str] = []
    real_add = OutboxRepo.add

    async def failing_add(self: OutboxRepo, message: Message) -> bool:
        if message.kind == MessageKind.RECOVERY_FINISH:
            refused.append(message.body)
            # What a driver's error can look like: the statement's values in its text.
            raise RuntimeError(f"insert failed; values: {message.to} {message.body}")
        return await real_add(self, message)

    monkeypatch.setattr(OutboxRepo, "add", failing_add)
    with caplog.at_level(logging.DEBUG, logger="entryway"):
        assert await pending.move_along(s.deps) == 0
    (body,) = refused
    (token,) = TOKEN.findall(body)
    logged = caplog.text + "".join(str(rec.exc_info) + str(rec.args) for rec in caplog.records)
    assert token not in logged and NEW not in logged and "values:" not in logged
    assert all(rec.exc_info is None and rec.exc_text is None for rec in caplog.records)
    (line,) = [rec.getMessage() for rec in caplog.records if rec.name == "entryway.recovery"]
    assert r.id in line and "RuntimeError" in line
    assert (await stored(s, r.id)).state is RecoveryState.WAITING  # nothing half done
    monkeypatch.undo()
    assert await pending.move_along(s.deps) == 1  # the next round moves it
    assert (await stored(s, r.id)).state is RecoveryState.READY
    assert len(await queued(s, MessageKind.RECOVERY_FINISH, NEW)) == 1


async def test_a_failing_order_lookup_logs_no_contact(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    s = await setup(world)
    r = await request(s)

    class Broken:
        async def recent_orders(self, **kw: Any) -> None:
            raise ConnectionError(f"GET /orders?email={kw.get('email')} failed")

    with caplog.at_level(logging.DEBUG, logger="entryway"):
        assert await pending.evaluate_requested(replace(s.deps, orders=Broken())) == 1
    assert "ana@example.com" not in caplog.text and "orders?" not in caplog.text
    assert all(rec.exc_info is None for rec in caplog.records)
    assert "ConnectionError" in caplog.text
    got = await stored(s, r.id)
    assert got.evidence["order"] == "lookup_unavailable"  # counted as missing evidence


def waiting(world: World, n: int, length: timedelta, **kw: Any) -> Recovery:
    now = world.clock.now()
    since = kw.pop("since", now - timedelta(hours=1))
    return Recovery(
        id=f"r{n:02d}",
        site="us",
        account_id=f"a{n:02d}",
        state=kw.pop("state", RecoveryState.WAITING),
        new_kind="email",
        new_contact=f"new{n}@example.net",
        created_at=now - timedelta(days=10) + timedelta(minutes=n),  # older first
        questions_right=True,
        waiting_since=since,
        wait_until=since + length,
        notices_sent=int(Notice.STARTED),
        **kw,
    )


async def test_what_is_due_is_moved_however_many_wait_ahead_of_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of two, and five older recoveries with nothing due ahead of the due ones:
    the end of a wait, a halfway notice and an expired finish link are all found."""
    monkeypatch.setattr(pending, "SWEEP_LIMIT", 2)
    now = world.clock.now()
    rows = [waiting(world, n, timedelta(days=7)) for n in range(3)]  # nothing due for days
    rows += [
        waiting(world, n, timedelta(hours=30), state=RecoveryState.READY) for n in (3, 4)
    ]  # ready, their links still good
    ended = waiting(world, 5, timedelta(minutes=30))  # the wait ended half an hour ago
    halfway = waiting(world, 6, timedelta(days=3), since=now - timedelta(hours=40))
    expired = replace(
        waiting(world, 7, timedelta(0), state=RecoveryState.READY),
        wait_until=now - timedelta(hours=25),
    )
    rows += [ended, halfway, expired]
    for r in rows:
        await add_account(world, id=r.account_id, email=f"{r.account_id}@example.com")
        async with world.deps.uow() as uow:
            assert await uow.recoveries.add(r)
            await uow.commit()
    async with world.deps.uow() as uow:  # what the old sweep read: the oldest of each state
        oldest = await uow.recoveries.in_states([RecoveryState.WAITING], 2)
    assert ended not in oldest and halfway not in oldest
    assert await pending.move_along(world.deps) == 3
    async with world.deps.uow() as uow:
        got = {r.id: await uow.recoveries.get("us", r.id) for r in rows}
    assert got[ended.id].state is RecoveryState.READY  # type: ignore[union-attr]
    assert got[halfway.id].notices_sent == int(Notice.HALFWAY)  # type: ignore[union-attr]
    assert got[expired.id].state is RecoveryState.EXPIRED  # type: ignore[union-attr]
    for r in rows[:5]:  # the others are as they were
        assert got[r.id] == r
    assert await pending.move_along(world.deps) == 0

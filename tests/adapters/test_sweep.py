"""Housekeeping on SQLite and, with --db=postgresql, on PostgreSQL: expired rows go, in
batches, and nothing live goes with them (core/housekeeping.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from entryway.adapters.sql import tables as t
from entryway.core.events import Channel, MessageKind, MessageStatus
from entryway.core.housekeeping import Retention, SweepJob, cutoffs
from entryway.flows import housekeeping
from tests.conftest import World
from tests.flows.test_lockout import setup

DAY = timedelta(days=1)


def session_row(n: int, account_id: str, idle: Any) -> dict[str, Any]:
    return {
        "id_hash": f"s{n}", "public_id": f"p{n}", "site": "us", "account_id": account_id,
        "level": "full", "created_at": idle - DAY, "idle_deadline": idle,
        "absolute_deadline": idle + DAY, "remember": False, "ip": "192.0.2.1",
        "user_agent": "x", "client": "web", "last_seen_at": idle - DAY,
    }  # fmt: skip


def message_row(n: int, at: Any, channel: Channel, status: MessageStatus) -> dict[str, Any]:
    return {
        "id": f"m{n}", "site": "us", "account_id": None, "channel": channel.value,
        "kind": MessageKind.SECURITY_EVENT.value, "to_address": "https://h.example/x",
        "subject": "", "body": "{}", "created_at": at, "status": status.value,
        "attempts": 1, "next_attempt_at": at, "last_error": "",
        "sent_at": at if status is MessageStatus.SENT else None,
    }  # fmt: skip


async def count(world: World, table: Any) -> int:
    async with world.deps.uow() as uow:
        return int(
            (await uow.sweeper.conn.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def test_expired_rows_go_in_batches_and_live_ones_stay(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await setup(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        conn = uow.sweeper.conn
        # Sessions: 7 idle since two days (gone), 2 live, 1 ended an hour ago (kept a day).
        rows = [session_row(n, s.account_id, now - 2 * DAY) for n in range(7)]
        rows += [session_row(n, s.account_id, now + DAY) for n in (7, 8)]
        rows.append(session_row(9, s.account_id, now - timedelta(hours=1)))
        await conn.execute(insert(t.sessions), rows)
        await conn.execute(
            insert(t.failure_counters),
            [
                {
                    "site": "us",
                    "scope": "account",
                    "key_hash": "old",
                    "window_start": now - 3 * DAY,
                    "count": 4,
                },
                {
                    "site": "us",
                    "scope": "account",
                    "key_hash": "new",
                    "window_start": now,
                    "count": 1,
                },
            ],
        )
        await conn.execute(
            insert(t.locks),
            [
                {
                    "site": "us",
                    "key_hash": "gone",
                    "account_id": None,
                    "reason": "password_guessing",
                    "locked_at": now - 32 * DAY,
                    "until": now - 31 * DAY,
                },
                {
                    "site": "us",
                    "key_hash": "ana-long-ago",
                    "account_id": s.account_id,
                    "reason": "password_guessing",
                    "locked_at": now - 41 * DAY,
                    "until": now - 40 * DAY,
                },  # an account's goes the same way: a sweep tells no account apart
                {
                    "site": "us",
                    "key_hash": "recent",
                    "account_id": None,
                    "reason": "password_guessing",
                    "locked_at": now - 9 * DAY,
                    "until": now - 8 * DAY,
                },  # an unknown identifier's keeps its strikes like an account's
                {
                    "site": "us",
                    "key_hash": "live",
                    "account_id": None,
                    "reason": "password_guessing",
                    "locked_at": now,
                    "until": now + DAY,
                },
                {
                    "site": "us",
                    "key_hash": "ana",
                    "account_id": s.account_id,
                    "reason": "operator",
                    "locked_at": now - 9 * DAY,
                    "until": now - 8 * DAY,
                },  # an account's: strikes count
            ],
        )
        await conn.execute(
            insert(t.messages),
            [
                message_row(1, now - 2 * DAY, Channel.WEBHOOK, MessageStatus.SENT),  # gone
                message_row(2, now - 2 * DAY, Channel.WEBHOOK, MessageStatus.PENDING),  # retrying
                message_row(3, now - 2 * DAY, Channel.EMAIL, MessageStatus.SENT),  # the customer's
                message_row(4, now - 400 * DAY, Channel.EMAIL, MessageStatus.SENT),  # past a year
                message_row(5, now - 400 * DAY, Channel.EMAIL, MessageStatus.PENDING),  # never lost
            ],
        )
        await conn.execute(
            insert(t.known_devices),
            [
                {
                    "site": "us",
                    "account_id": s.account_id,
                    "device_hash": "old",
                    "first_seen_at": now - 200 * DAY,
                },
                {
                    "site": "us",
                    "account_id": s.account_id,
                    "device_hash": "new",
                    "first_seen_at": now - DAY,
                },
            ],
        )
        await uow.commit()
    sessions_before = await count(world, t.sessions)
    messages_before = await count(world, t.messages)
    monkeypatch.setattr(housekeeping, "BATCH", 3)  # 7 expired sessions: batches of 3, 3, 1
    deleted = await housekeeping.sweep(world.deps, max_batches=None)
    assert deleted[SweepJob.SESSIONS] == 7
    assert deleted[SweepJob.COUNTERS] == 1
    assert deleted[SweepJob.OLD_LOCKS] == 2
    assert deleted[SweepJob.DELIVERED_HOOKS] == 1
    assert deleted[SweepJob.OLD_MESSAGES] == 1
    assert deleted[SweepJob.KNOWN_DEVICES] == 1
    assert await count(world, t.sessions) == sessions_before - 7
    assert await count(world, t.messages) == messages_before - 2
    async with world.deps.uow() as uow:
        conn = uow.sweeper.conn
        ids = set((await conn.execute(select(t.sessions.c.id_hash))).scalars())
        assert {"s7", "s8", "s9"} <= ids and not {f"s{n}" for n in range(7)} & ids
        kept = set((await conn.execute(select(t.messages.c.id))).scalars())
        assert {"m2", "m3", "m5"} <= kept and not {"m1", "m4"} & kept
        locks = set((await conn.execute(select(t.locks.c.key_hash))).scalars())
        assert {"live", "ana", "recent"} <= locks and not {"gone", "ana-long-ago"} & locks
    again = await housekeeping.sweep(world.deps, max_batches=None)
    assert sum(again.values()) == 0  # nothing left to do: a second sweep deletes nothing


async def test_a_periodic_round_stops_after_its_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await setup(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        rows = [session_row(n, s.account_id, now - 2 * DAY) for n in range(10)]
        await uow.sweeper.conn.execute(insert(t.sessions), rows)
        await uow.commit()
    monkeypatch.setattr(housekeeping, "BATCH", 2)
    monkeypatch.setattr(housekeeping, "ROUND_BATCHES", 3)
    first = await housekeeping.sweep(world.deps, max_batches=3)
    assert first[SweepJob.SESSIONS] == 6  # three batches of two; the next round goes on
    assert (await housekeeping.sweep(world.deps, max_batches=3))[SweepJob.SESSIONS] == 4


def test_every_job_has_a_cutoff_and_retention_is_bounded() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    found = cutoffs(now, Retention(message_days=90), timedelta(days=180))
    assert set(found) == set(SweepJob)
    assert all(cutoff <= now for cutoff in found.values())
    assert found[SweepJob.OLD_MESSAGES] == now - timedelta(days=90)
    for bad in (29, 3651):
        with pytest.raises(ValueError, match="30 to 3650"):
            Retention(message_days=bad)

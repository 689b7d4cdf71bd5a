"""The recovery jobs as they sweep: a failing step logs the recovery and the kind of error
only (never a link's token or a contact). Runs on SQLite and, with --db=postgresql, on
PostgreSQL."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import pytest

from entryway.adapters.sql.records import OutboxRepo
from entryway.core.events import MessageKind
from entryway.core.recovery import RecoveryState
from entryway.flows.ports import Message
from entryway.flows.recovery import pending
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

"""A crash between the database commit and the send loses nothing: the message stays leased
to the worker that died, and once its lease runs out another worker sends it, with the same
Message-ID (SQLite and, with --db=postgresql, PostgreSQL)."""

from __future__ import annotations

from entryway.core.events import MessageStatus
from entryway.flows.outbox.delivery import LEASE
from tests.adapters.test_delivery import queue
from tests.conftest import World


async def test_a_message_claimed_by_a_worker_that_died_is_sent_by_another(world: World) -> None:
    await queue(world, 2)
    now = world.clock.now()
    async with world.deps.uow() as uow:  # a worker claims both, commits, and its process dies
        claimed = await uow.outbox.claim_due(now, now + LEASE, 50)
        await uow.commit()
    assert len(claimed) == 2
    courier = world.runtime.delivery.courier
    async with world.deps.uow() as uow:
        assert [m.status for m in await uow.outbox.latest()] == [MessageStatus.PENDING] * 2
    assert await courier.run_once() == 0  # still leased to the dead worker: nobody sends twice
    assert world.mailer.sent == []
    world.clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await courier.run_once() == 2  # the lease ran out: another worker sends them
    assert sorted(m.message_id for m in world.mailer.sent) == ["m0", "m1"]
    assert await courier.run_once() == 0
    assert len(world.mailer.sent) == 2

"""Security events reach a real HTTP receiver on 127.0.0.1, signed by the Standard Webhooks
scheme and checked there with the standardwebhooks package's own verifier; a receiver that
is down or failing gets the event later, with the same webhook-id (SECURITY.md 42)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from entryway.adapters.webhooks import SignedEventPoster
from entryway.core.webhooks import Subscription
from entryway.flows.outbox import delivery
from entryway.flows.outbox.delivery import Courier
from entryway.flows.ports import Deps
from tests.conftest import World
from tests.flows.test_lockout import attempt, setup, who
from tests.webhook_receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    await found.stop()


async def lock_with_hooks(world: World, url: str) -> tuple[Deps, Courier]:
    s = await setup(world, lock_at=3)  # its verification email is delivered already
    deps = replace(s.deps, webhooks=(Subscription(url=url, events=frozenset({"account.locked"})),))
    for n in range(3):
        await attempt(deps, "wrong-guess-123", who(n))
    http = httpx.AsyncClient()
    courier = replace(world.runtime.delivery.courier, events=SignedEventPoster(http, {url: SECRET}))
    return deps, courier


async def test_the_receiver_verifies_the_signature_of_what_it_got(
    world: World, receiver: Receiver
) -> None:
    _deps, courier = await lock_with_hooks(world, receiver.url)
    await courier.run_once()
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/hooks/entryway"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"].startswith("msg_")
    verified = Webhook(SECRET).verify(got.body, got.headers)
    assert verified["type"] == "account.locked" and verified["data"]["site"] == "us"
    # A receiver with another secret, or a body changed on the way, refuses it.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(got.body.replace(b"us", b"uk"), got.headers)


async def test_a_receiver_down_then_failing_then_up_gets_the_event_once_with_one_id(
    world: World, receiver: Receiver
) -> None:
    deps, courier = await lock_with_hooks(world, receiver.url)
    await receiver.stop()  # down: the connection is refused
    await courier.run_once()
    await receiver.start()
    receiver.status = 500  # up but failing
    world.clock.advance(seconds=5)
    await courier.run_once()
    receiver.status = 204
    world.clock.advance(seconds=4)
    assert await courier.run_once() == 0  # not due yet: the wait doubled to 10 s
    world.clock.advance(seconds=6)
    assert await courier.run_once() == 1
    world.clock.advance(minutes=10)
    assert await courier.run_once() == 0  # delivered: never sent again
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 2 and len(ids) == 1  # the 500, then the delivery
    for r in receiver.received:
        Webhook(SECRET).verify(r.body, r.headers)  # each attempt signed afresh
    async with deps.uow() as uow:
        latest = [m for m in await uow.outbox.latest(50) if m.subject == "account.locked"]
    assert [(m.status.value, m.attempts) for m in latest] == [
        ("sent", 3)
    ]  # refused, 500, delivered
    assert "500" in latest[0].last_error


async def test_a_redirect_is_not_followed(world: World, receiver: Receiver) -> None:
    receiver.status = 307
    deps, courier = await lock_with_hooks(world, receiver.url)
    await courier.run_once()
    assert len(receiver.received) == 1  # asked once, at the configured URL only
    async with deps.uow() as uow:
        latest = [m for m in await uow.outbox.latest(50) if m.subject == "account.locked"]
    assert [(m.status.value, m.attempts) for m in latest] == [("pending", 1)]
    assert "307" in latest[0].last_error


def test_the_body_is_signed_as_sent() -> None:
    """The signature covers the exact bytes posted: id, timestamp and body."""
    poster = SignedEventPoster(httpx.AsyncClient(), {"https://x.example/h": SECRET})
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    body = json.dumps({"type": "account.locked"})
    headers = poster.headers("https://x.example/h", "abc", body, at)
    assert headers["webhook-id"] == "msg_abc"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    expected = Webhook(SECRET).sign("msg_abc", at, body)
    assert headers["webhook-signature"] == expected
    with pytest.raises(LookupError):
        poster.headers("https://other.example/h", "abc", body, at)


async def test_a_receiver_that_never_answers_holds_up_no_mail(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver takes the connection and says nothing: the code beside it is delivered
    in the same round, the event is tried again later, and a webhook is never given up."""

    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks"
    monkeypatch.setattr(delivery, "HOOK_TIMEOUT", 0.5)
    try:
        deps, courier = await lock_with_hooks(world, url)
        started = time.monotonic()
        assert await asyncio.wait_for(courier.run_once(), 8) == 1  # the unlock email
        assert time.monotonic() - started < 5
        assert [m.subject for m in world.mailer.sent][-1].endswith("your account is locked")
        (hook,) = await webhook_messages(deps)
        async with deps.uow() as uow:  # as after 45 failures
            await uow.outbox.mark_retry(hook.id, 45, world.clock.now(), "down", False)
            await uow.commit()
        world.clock.advance(minutes=1)
        await courier.run_once()
        (hook,) = await webhook_messages(deps)
        assert hook.status.value == "pending" and hook.attempts == 46
        assert "TimeoutError" in hook.last_error
    finally:
        release.set()
        server.close()


async def webhook_messages(deps: Deps) -> list[Any]:
    async with deps.uow() as uow:
        return [m for m in await uow.outbox.latest(50) if m.channel.value == "webhook"]

"""Delivery against real peers: an aiosmtpd SMTP server and a local HTTP SMS webhook."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from entryway.adapters.mail import SmtpMailer
from entryway.adapters.sms import WebhookTexter
from entryway.core.events import Channel, MessageKind, MessageStatus
from entryway.flows.outbox.delivery import Courier
from entryway.flows.ports import Message
from tests.conftest import World


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


async def queue(world: World, n: int, channel: Channel = Channel.EMAIL) -> None:
    now = world.clock.now()
    async with world.deps.uow() as uow:
        for i in range(n):
            to = f"user{i}@example.com" if channel == Channel.EMAIL else f"+1201555012{i}"
            await uow.outbox.add(
                Message(
                    id=f"m{i}",
                    site="us",
                    account_id=None,
                    channel=channel,
                    kind=MessageKind.VERIFY_ACCOUNT,
                    to=to,
                    subject=f"Subject {i}",
                    body=f"Body {i}",
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        await uow.commit()


async def statuses(world: World) -> list[MessageStatus]:
    async with world.deps.uow() as uow:
        return [m.status for m in await uow.outbox.latest()]


async def test_smtp_down_then_back_loses_nothing(world: World) -> None:
    port = free_port()
    courier = Courier(
        uow=world.deps.uow,
        clock=world.clock,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=2),
        texter=world.texter,
        sender="Acme Market <no-reply@acme.example>",
    )
    await queue(world, 3)
    assert await courier.run_once() == 0  # nobody listening: every send fails
    assert await statuses(world) == [MessageStatus.PENDING] * 3
    assert await courier.run_once() == 0  # not due again yet: backoff holds them back

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        world.clock.advance(seconds=6)
        assert await courier.run_once() == 3
    finally:
        controller.stop()
    assert await statuses(world) == [MessageStatus.SENT] * 3
    assert sorted(r[0][0] for r in inbox.received) == [f"user{i}@example.com" for i in range(3)]
    assert all(len(r[0]) == 1 for r in inbox.received)  # one recipient per message
    assert "Subject: Subject 0" in next(
        r[1] for r in inbox.received if r[0] == ["user0@example.com"]
    )


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    seen: list[dict[str, Any]] = []
    status = [500]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            if status[0] == 0:  # a provider that takes the request and stalls
                time.sleep(2)
                self.send_response(503)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            if status[0] == 200:
                seen.append(json.loads(body))
            self.send_response(status[0])
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", seen, status
    server.shutdown()


async def test_sms_webhook_failure_then_success(world: World, webhook: Any) -> None:
    url, seen, status = webhook
    async with httpx.AsyncClient() as http:
        courier = Courier(
            uow=world.deps.uow,
            clock=world.clock,
            mailer=world.mailer,
            texter=WebhookTexter(url, http),
            sender="x@example.com",
        )
        await queue(world, 2, Channel.SMS)
        assert await courier.run_once() == 0
        status[0] = 200
        world.clock.advance(seconds=6)
        assert await courier.run_once() == 2
    assert sorted(s["to"] for s in seen) == ["+12015550120", "+12015550121"]
    assert set(seen[0]) == {"to", "body", "kind", "site"}
    assert seen[0]["kind"] == "sms" and seen[0]["site"] == "us"


async def test_sms_provider_timing_out_is_tried_again_then_delivered(
    world: World, webhook: Any
) -> None:
    url, seen, status = webhook
    status[0] = 0  # it stalls past the texter's timeout
    async with httpx.AsyncClient() as http:
        courier = Courier(
            uow=world.deps.uow,
            clock=world.clock,
            mailer=world.mailer,
            texter=WebhookTexter(url, http, timeout=0.3),
            sender="x@example.com",
        )
        await queue(world, 1, Channel.SMS)
        assert await courier.run_once() == 0
        async with world.deps.uow() as uow:
            (waiting,) = await uow.outbox.latest()
        assert waiting.status == MessageStatus.PENDING and "Timeout" in waiting.last_error
        status[0] = 200
        world.clock.advance(seconds=6)
        assert await courier.run_once() == 1
    assert [s["to"] for s in seen] == ["+12015550120"]


async def test_retry_gives_up_after_the_window(world: World) -> None:
    world.mailer.fail = True
    await queue(world, 1)
    courier = world.runtime.delivery.courier
    for _ in range(40):
        await courier.run_once()
        world.clock.advance(minutes=31)
    assert await statuses(world) == [MessageStatus.FAILED]


def test_smtp_url_is_checked_early() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpMailer("http://mail.example")


async def test_delivery_loop_wakes_on_new_messages(world: World) -> None:
    loop = world.runtime.delivery
    loop.interval = 60  # only a wake-up can deliver within this test
    loop.start()
    try:
        await queue(world, 1)
        loop.wake()
        for _ in range(100):
            if world.mailer.sent:
                break
            await asyncio.sleep(0.02)
    finally:
        await loop.stop()
    assert [m.to for m in world.mailer.sent] == ["user0@example.com"]

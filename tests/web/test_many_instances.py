"""Three server processes on one database, driven by one client, as behind a load balancer
(README "Many instances"): a lock counted on one is honoured on the others, a code consumed
on one is refused on the others, the outbox is delivered exactly once overall, and 50
parallel guesses spread over the three never exceed the limit.

Runs on a SQLite file shared by the three and, with ``--db=postgresql``, on a PostgreSQL
database made for the test. Only 127.0.0.1 is contacted: the servers, and an aiosmtpd
server standing for the mail provider, which all three deliver to.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from entryway.flows.demo import DEMO_PASSWORD
from tests.adapters.test_delivery import free_port
from tests.conftest import SECRET
from tests.web.servers import Server, server_database, start_server, stop_server

LIMIT = 5
PW = "quiet-meadow-lantern"


class Sink:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(message_from_bytes(raw)["Message-ID"]) for raw in self.received]


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    found, port = Sink(), free_port()
    controller = Controller(found, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield found, port
    finally:
        controller.stop()


@pytest.fixture
def three(db_kind: str, tmp_path: Path, sink: tuple[Sink, int]) -> Iterator[list[Server]]:
    """Three demo processes on one database, one secret key, one SMTP server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    with server_database(db_kind, tmp_path) as url:
        env.update(
            ENTRYWAY_DATABASE_URL=url,
            ENTRYWAY_SECRET_KEY=SECRET,
            ENTRYWAY_LOCK_AFTER_FAILURES=str(LIMIT),
            ENTRYWAY_DELAY_AFTER_FAILURES="100",
            ENTRYWAY_UNUSUAL_AFTER_FAILURES="100",
            ENTRYWAY_SMTP_URL=f"smtp://127.0.0.1:{sink[1]}",
            ENTRYWAY_DELIVER_INTERVAL_SECONDS="0.2",  # three loops racing for each message
            ENTRYWAY_LOG_LEVEL="warning",
        )
        started: list[Server] = []
        try:
            for name in ("A", "B", "C"):  # A migrates and seeds first, then the others
                started.append(start_server(name, tmp_path / name.lower(), env))
            yield started
        finally:
            for server in started:
                stop_server(server.process)


def client_for(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Host": server.host},
        timeout=60.0,
        limits=httpx.Limits(max_connections=60),
        trust_env=False,
    )


async def sign_in(client: httpx.AsyncClient, identifier: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/sign-in", json={"identifier": identifier, "password": password}
    )


def code_in(sink: Sink, to: str) -> str | None:
    for raw in reversed(sink.received):
        parsed = message_from_bytes(raw)
        if parsed["To"] == to:
            found = re.search(rb"\b(\d{6})\b", raw.split(b"\r\n\r\n", 1)[1])
            if found:
                return found.group(1).decode()
    return None


async def wait_for(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting")


async def test_three_instances_share_locks_codes_the_outbox_and_one_limit(
    three: list[Server], sink: tuple[Sink, int]
) -> None:
    inbox = sink[0]
    clients = [client_for(s) for s in three]
    try:
        # A code consumed on one instance is refused on the others.
        email = "sam.three@example.com"
        started = await clients[0].post(
            "/api/v1/registrations",
            json={"name": "Sam Three", "identifier": email, "password": PW, "password_again": PW},
        )
        assert started.status_code == 202, started.text
        flow = started.json()["flow_id"]
        code = await wait_for(lambda: code_in(inbox, email))
        body = {"flow_id": flow, "code": code}
        verified = await clients[1].post("/api/v1/registrations/verify", json=body)
        assert verified.status_code == 200 and "session_token" in verified.json()
        again = await clients[2].post("/api/v1/registrations/verify", json=body)
        assert again.status_code in (410, 422) and "session_token" not in again.json()

        # A lock counted on one instance is honoured on the others.
        for n in range(LIMIT):
            await sign_in(clients[0], email, f"wrong-guess-{n}")
        for client in clients[1:]:
            refused = await sign_in(client, email, PW)
            assert refused.status_code == 423, refused.text
            assert refused.json()["error"]["code"] == "account_locked"

        # 50 parallel guesses spread over the three never get past the limit, and the right
        # password inside the burst gets no session.
        jane = "jane@example.com"
        passwords = [f"wrong-{i:02d}" for i in range(50)]
        passwords.insert(25, DEMO_PASSWORD)
        answers = await asyncio.gather(
            *(sign_in(clients[i % 3], jane, p) for i, p in enumerate(passwords))
        )
        checked = [a for a in answers if a.status_code == 401]
        # The failures that reach the limit answer with the lock themselves, so every answer
        # may be 423; at most the limit were checked.
        assert len(checked) <= LIMIT, [a.text for a in answers]
        assert not any("session_token" in a.json() for a in answers)
        assert all(a.status_code in (401, 423) or a.json().get("next") == "confirm"
                   for a in answers)  # fmt: skip

        # Every message queued by any instance was delivered once, by one of them.
        async def outbox() -> list[dict[str, Any]]:
            listed = await clients[2].get("/dev/outbox.json")
            return [m for m in listed.json()["messages"] if m["channel"] == "email"]

        deadline = time.monotonic() + 30
        while any(m["status"] != "sent" for m in await outbox()):
            assert time.monotonic() < deadline, await outbox()
            await asyncio.sleep(0.2)
        sent = await outbox()
        await asyncio.sleep(1.0)  # a duplicate, if any, would arrive within a few rounds
        ids = inbox.ids()
        assert len(ids) == len(set(ids)), "a message was delivered twice"
        assert sorted(ids) == sorted(f"<{m['id']}.entryway@acme-market.example>" for m in sent)
    finally:
        for client in clients:
            await client.aclose()

"""The metrics listener and the readings it takes: scraped over a real socket, the database
gauges read on SQLite and, with --db=postgresql, on PostgreSQL (SECURITY.md 42)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.metrics import MetricsListener, PrometheusMetrics
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import UnsafeSettings, _listen_for_scrapes, build
from entryway.core.events import Channel, MessageKind, MessageStatus
from entryway.core.observe import DeliveryResult, SignInMethod, SignInOutcome
from entryway.flows.observe.ports import GaugeReading
from entryway.flows.observe.readings import reading
from entryway.flows.ports import Message, Requester
from entryway.flows.support import cases
from entryway.settings import listen_address
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.flows.test_lockout import setup

WHO = Requester(ip="192.0.2.10", user_agent="pytest")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture
async def metered(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    url, schema = database_url
    clock = FrozenClock()
    mailer, texter = MemoryMailer(), MemoryTexter()
    settings = settings_for(url, metrics_address="127.0.0.1:0")
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    yield World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    await runtime.close()


async def scrape(listener_port: int, path: str = "/metrics", method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.request(method, f"http://127.0.0.1:{listener_port}{path}")


async def test_a_scrape_reads_the_outbox_recoveries_and_cases_from_the_database(
    metered: World,
) -> None:
    await setup(metered)  # an account; its verification email was delivered
    await cases.open_signed_out(metered.deps, "us", "Sam", "sam@example.com", "other", "Hi", WHO)
    await cases.open_signed_out(metered.deps, "uk", "Kim", "kim@example.com", "other", "Hi", WHO)
    metered.clock.advance(seconds=90)  # the two confirmations have waited 90 s
    metrics = metered.runtime.metrics
    assert metrics is not None
    listener = MetricsListener(metrics, lambda: reading(metered.deps), metered.clock.now)
    port = await listener.start("127.0.0.1", 0)
    try:
        answer = await scrape(port)
    finally:
        await listener.stop()
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    got = samples(answer.text)
    assert got[("entryway_outbox_waiting", ())] == 2
    assert got[("entryway_outbox_due", ())] == 2
    assert got[("entryway_outbox_oldest_due_seconds", ())] == pytest.approx(90, abs=1)
    assert got[("entryway_cases", (("state", "new"),))] == 2
    assert got[("entryway_cases", (("state", "solved"),))] == 0
    assert got[("entryway_recoveries", (("state", "waiting"),))] == 0
    assert got[("entryway_database_reading_up", ())] == 1
    assert got[("process_resident_memory_bytes", ())] > 0
    # Delivered, the backlog is gone at the next reading.
    await metered.deliver()
    now = await reading(metered.deps)
    assert (now.outbox_waiting, now.outbox_due, now.oldest_since) == (0, 0, None)


async def test_the_listener_answers_only_get_metrics() -> None:
    metrics = PrometheusMetrics()

    async def empty() -> GaugeReading:
        return GaugeReading(outbox_waiting=0, outbox_due=0, oldest_since=None)

    listener = MetricsListener(metrics, empty, FrozenClock().now)
    port = await listener.start("127.0.0.1", 0)
    try:
        assert (await scrape(port, "/")).status_code == 404
        assert (await scrape(port, "/metrics/../x")).status_code == 404
        refused = await scrape(port, method="POST")
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
        head = await scrape(port, method="HEAD")
        assert head.status_code == 200 and head.content == b""
        # A client that sends half a request and goes away leaves the listener working.
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metr")
        writer.close()
        assert (await scrape(port)).status_code == 200
    finally:
        await listener.stop()


async def test_a_database_that_cannot_be_read_still_gets_the_counters_scraped() -> None:
    metrics = PrometheusMetrics()
    metrics.sign_in(SignInMethod.PASSWORD, SignInOutcome.SUCCESS)
    metrics.delivered(Channel.SMS, DeliveryResult.GAVE_UP)

    async def down() -> GaugeReading:
        raise ConnectionRefusedError("the database is down")

    listener = MetricsListener(metrics, down, FrozenClock().now)
    port = await listener.start("127.0.0.1", 0)
    try:
        got = samples((await scrape(port)).text)
    finally:
        await listener.stop()
    assert got[("entryway_database_reading_up", ())] == 0
    success = (("method", "password"), ("outcome", "success"))
    assert got[("entryway_sign_ins_total", success)] == 1
    assert got[("entryway_sign_ins_total", (("method", "passkey"), ("outcome", "locked")))] == 0
    assert got[("entryway_deliveries_total", (("channel", "sms"), ("result", "gave_up")))] == 1


async def test_hash_waits_and_queue_depth_are_reported(metered: World) -> None:
    """Eight hashes on four threads: some wait, and each wait is observed."""
    metrics = metered.runtime.metrics
    assert metrics is not None
    hasher = metered.runtime.hasher
    await asyncio.gather(*(hasher.verify_dummy("not-the-password") for _ in range(8)))
    got = samples(metrics.exposition().decode())
    assert got[("entryway_hash_wait_seconds_count", ())] == 8
    assert got[("entryway_hash_queue_depth", ())] == 0  # all done


def test_a_listen_address_is_host_and_port() -> None:
    assert listen_address("127.0.0.1:9108") == ("127.0.0.1", 9108)
    assert listen_address("[::1]:9108") == ("::1", 9108)
    for bad in ("9108", "127.0.0.1", "127.0.0.1:http", ":9108", "127.0.0.1:70000"):
        with pytest.raises(ValueError, match="host:port"):
            listen_address(bad)


def message(n: int, at: datetime, **values: Any) -> Message:
    return Message(
        id=f"m{n}", site="us", account_id=None, channel=Channel.EMAIL,
        kind=MessageKind.SUPPORT_CASE, to=f"c{n}@example.com", subject="s", body="b",
        created_at=at, next_attempt_at=at, **values,
    )  # fmt: skip


async def test_the_oldest_wait_counts_retries_from_when_written_and_not_notices_for_later(
    metered: World,
) -> None:
    """A message retried after failures has waited since it was written, however far its
    next try was pushed; a notice written for later is waiting, not late."""
    now = metered.clock.now()
    async with metered.deps.uow() as uow:
        await uow.outbox.add(message(1, now - timedelta(seconds=30)))  # due 30 s ago
        retried = message(2, now - timedelta(hours=3), attempts=6)
        await uow.outbox.add(replace(retried, next_attempt_at=now + timedelta(minutes=20)))
        await uow.outbox.add(replace(message(3, now), next_attempt_at=now + timedelta(days=2)))
        await uow.outbox.add(
            replace(message(4, now - timedelta(days=9)), status=MessageStatus.SENT)
        )
        await uow.commit()
    got = await reading(metered.deps)
    assert (got.outbox_waiting, got.outbox_due) == (3, 1)
    assert got.oldest_since == now - timedelta(hours=3)
    metrics = metered.runtime.metrics
    assert metrics is not None
    metrics.show(got, now)
    exposed = samples(metrics.exposition().decode())
    assert exposed[("entryway_outbox_oldest_due_seconds", ())] == 3 * 3600
    async with metered.deps.uow() as uow:  # with the retried one delivered, the oldest is 30 s
        await uow.outbox.mark_sent("m2", now)
        await uow.commit()
    assert (await reading(metered.deps)).oldest_since == now - timedelta(seconds=30)


async def test_a_head_too_large_gets_431_and_scrapes_together_share_one_reading() -> None:
    reads = 0

    async def counting() -> GaugeReading:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.05)
        return GaugeReading(outbox_waiting=reads, outbox_due=0, oldest_since=None)

    listener = MetricsListener(PrometheusMetrics(), counting, FrozenClock().now)
    port = await listener.start("127.0.0.1", 0)
    try:
        answers = await asyncio.gather(*(scrape(port) for _ in range(6)))
        assert {a.status_code for a in answers} == {200} and reads == 1
        assert all("entryway_outbox_waiting 1.0" in a.text for a in answers)
        async with httpx.AsyncClient() as http:
            big = await http.get(
                f"http://127.0.0.1:{port}/metrics", headers={"x-filler": "x" * 20000}
            )
        assert big.status_code == 431
        # An idle connection left open does not keep stop() waiting.
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\n")
        await writer.drain()
    finally:
        await asyncio.wait_for(listener.stop(), 2)
    writer.close()


async def test_the_service_listens_on_metrics_address_and_a_taken_one_refuses_to_start(
    database_url: tuple[str, str | None],
) -> None:
    url, schema = database_url
    taken = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    try:
        runtime = build(settings_for(url, metrics_address=f"127.0.0.1:{port}"), schema=schema)
        with pytest.raises(UnsafeSettings, match=f"METRICS_ADDRESS 127.0.0.1:{port}"):
            await _listen_for_scrapes(runtime)
        await runtime.close()
    finally:
        taken.close()
        await taken.wait_closed()
    runtime = build(settings_for(url, metrics_address=f"127.0.0.1:{port}"), schema=schema)
    listener = await _listen_for_scrapes(runtime)
    assert listener is not None
    try:
        answer = await scrape(port)
        assert answer.status_code == 200 and "entryway_outbox_waiting 0.0" in answer.text
    finally:
        await listener.stop()
        await runtime.close()
    quiet = build(settings_for(url), schema=schema)  # no METRICS_ADDRESS: no listener at all
    assert quiet.metrics is None and await _listen_for_scrapes(quiet) is None
    await quiet.close()

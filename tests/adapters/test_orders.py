"""The order lookup against a real local HTTP store (127.0.0.1, started here): the request
is signed as documented, and whatever goes wrong the answer is None, quickly, with nothing
personal in the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.orders import HttpOrders
from entryway.adapters.orders_twin import MemoryOrders
from entryway.flows.ports import Order

SECRET = "store-shared-secret-" + "s" * 20
GOOD = {
    "orders": [
        {
            "number": "US-1001",
            "placed_at": "2026-01-02",
            "total": "43.96",
            "currency": "USD",
            "items": ["Sourdough Bread Loaf", "Greek Yogurt, 32 oz"],
            "postcode": "07030",
        }
    ]
}


@dataclass
class Store:
    """What the local store received, and what it answers next."""

    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    answer: bytes = json.dumps(GOOD).encode()
    delay: float = 0.0
    trickle: bool = False  # the answer one byte every half second


@pytest.fixture
def store() -> Iterator[Store]:
    state = Store(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if state.delay:
                time.sleep(state.delay)
            self.send_response(state.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(state.answer)))
            self.end_headers()
            try:
                if state.trickle:
                    for byte in state.answer:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.5)
                self.wfile.write(state.answer)
            except OSError:  # the client gave up waiting: expected in the slow test
                pass

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/orders/lookup"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
async def lookup(store: Store) -> Any:
    async with httpx.AsyncClient() as client:
        yield HttpOrders(store.url, SECRET, client, FrozenClock())


async def ask(lookup: HttpOrders, **given: Any) -> list[Order] | None:
    values: dict[str, Any] = {"site": "us", "sub": "a" * 32, "email": None, "phone": None}
    values.update(given)
    return await lookup.recent_orders(**values)


async def test_the_answer_is_read_into_orders(lookup: HttpOrders) -> None:
    assert await ask(lookup, email="jane@example.com") == [
        Order(
            number="US-1001",
            placed_at=date(2026, 1, 2),
            total=Decimal("43.96"),
            currency="USD",
            items=("Sourdough Bread Loaf", "Greek Yogurt, 32 oz"),
            postcode="07030",
        )
    ]


async def test_the_signature_verifies_over_timestamp_and_body(
    lookup: HttpOrders, store: Store
) -> None:
    await ask(lookup, email="jane@example.com")
    headers, body = store.requests[0]
    timestamp = headers["entryway-timestamp"]
    assert timestamp == str(int(FrozenClock().now().timestamp()))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers["entryway-signature"] == "v1=" + expected.hexdigest()
    assert headers["content-type"] == "application/json"
    # Another secret, or another timestamp, does not verify.
    wrong = hmac.new(b"x" * 40, f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers["entryway-signature"] != "v1=" + wrong.hexdigest()
    later = hmac.new(SECRET.encode(), f"{int(timestamp) + 1}.".encode() + body, hashlib.sha256)
    assert headers["entryway-signature"] != "v1=" + later.hexdigest()


@pytest.mark.parametrize(
    ("email", "phone"),
    [("jane@example.com", None), (None, "+12015550123"), ("jane@example.com", "+12015550123")],
)
async def test_email_and_phone_are_sent_only_where_given(
    lookup: HttpOrders, store: Store, email: str | None, phone: str | None
) -> None:
    await ask(lookup, site="uk", sub="b" * 32, email=email, phone=phone)
    sent = json.loads(store.requests[0][1])
    assert sent == {"site": "uk", "sub": "b" * 32, "email": email, "phone": phone}


async def test_a_slow_store_is_given_up_on_after_two_seconds(
    lookup: HttpOrders, store: Store
) -> None:
    store.delay = 3.5
    started = time.monotonic()
    assert await ask(lookup) is None
    assert time.monotonic() - started < 2.8


async def test_a_store_trickling_its_answer_is_given_up_on_after_two_seconds(
    lookup: HttpOrders, store: Store
) -> None:
    store.trickle = True  # every read is quick, the whole answer would take minutes
    started = time.monotonic()
    assert await ask(lookup) is None
    assert time.monotonic() - started < 2.8


async def test_nobody_listening_is_unavailable() -> None:
    async with httpx.AsyncClient() as client:
        closed = HttpOrders("http://127.0.0.1:9/orders", SECRET, client, FrozenClock())
        assert await ask(closed) is None


def bad(order: dict[str, Any]) -> bytes:
    return json.dumps({"orders": [{**GOOD["orders"][0], **order}]}).encode()


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (500, json.dumps(GOOD).encode()),
        (404, b"{}"),
        (302, json.dumps(GOOD).encode()),
        (200, b"<html>not json</html>"),
        (200, b'{"orders": '),
        (200, b"\xff\xfe"),
        (200, b'{"orders": {}}'),
        (200, b"[]"),
        (200, json.dumps({"orders": [], "more": 1}).encode()),
        (200, bad({"total": 43.96})),  # money as a float
        (200, bad({"total": "43.9"})),
        (200, bad({"placed_at": "02/01/2026"})),
        (200, bad({"currency": "usd"})),
        (200, bad({"items": "Bread"})),
        (200, bad({"items": [1]})),
        (200, bad({"number": 1001})),
        (200, bad({"colour": "red"})),
        (200, json.dumps({"orders": [{"number": "1"}]}).encode()),
        (200, b"{" + b" " * (300 * 1024) + b"}"),  # too large to read
    ],
)
async def test_anything_but_the_documented_answer_is_unavailable(
    lookup: HttpOrders,
    store: Store,
    status: int,
    answer: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.status, store.answer = status, answer
    with caplog.at_level(logging.WARNING, logger="entryway.orders"):
        assert await ask(lookup, email="jane@example.com", phone="+12015550123") is None
    # The message and any extra fields, not the record's own timings and
    # thread ids, whose digits can happen to spell a postcode.
    standard = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
    logged = " ".join(
        f"{r.getMessage()} {[v for k, v in vars(r).items() if k not in standard]}"
        for r in caplog.records
    )
    assert "order lookup unavailable on site us: " in logged
    for personal in ("jane@example.com", "+12015550123", "a" * 32, "US-1001", "07030"):
        assert personal not in logged


async def test_an_empty_list_is_an_answer(lookup: HttpOrders, store: Store) -> None:
    store.answer = b'{"orders": []}'
    assert await ask(lookup) == []


def test_an_unsigned_or_non_http_lookup_is_refused() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(ValueError, match="32"):
        HttpOrders("https://store.example/orders", "short", client, FrozenClock())
    with pytest.raises(ValueError, match="http"):
        HttpOrders("ftp://store.example/orders", SECRET, client, FrozenClock())


async def test_the_twin_answers_by_sub_email_or_phone_on_its_site_only() -> None:
    twin = MemoryOrders()
    first = Order("UK-1", date(2026, 1, 3), Decimal("1.65"), "GBP", ("Milk",), "M1 1AE")
    second = Order("UK-2", date(2026, 1, 9), Decimal("3.20"), "GBP", ("Eggs",), "M1 1AE")
    twin.add("uk", "oliver@example.co.uk", [first])
    twin.add("uk", "+447400123456", [second, first])
    found = await twin.recent_orders(
        site="uk", sub="s", email="oliver@example.co.uk", phone="+447400123456"
    )
    assert found == [second, first]  # newest first, no order twice
    assert await twin.recent_orders(site="uk", sub="s", email=None, phone=None) == []
    assert (
        await twin.recent_orders(site="us", sub="s", email="oliver@example.co.uk", phone=None) == []
    )
    twin.down = True
    assert await twin.recent_orders(site="uk", sub="s", email=None, phone="+447400123456") is None

"""/dev/orders: the demo accounts' orders for testers, in demo mode only; and which order
lookup bootstrap wires in each mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.orders import HttpOrders
from entryway.adapters.orders_twin import MemoryOrders
from entryway.bootstrap import Runtime, app_for, build
from entryway.flows.demo import DEMO_ACCOUNTS, seed
from tests.conftest import test_settings as settings_for


@pytest.fixture
async def demo(database_url: tuple[str, str | None]) -> AsyncIterator[Runtime]:
    url, schema = database_url
    runtime = build(settings_for(url, demo=True), schema=schema, clock=FrozenClock())
    await seed(runtime.deps)
    yield runtime
    await runtime.close()


def client_for(runtime: Runtime, site: str = "uk") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{site}.localhost:8000")


async def test_dev_orders_does_not_exist_outside_demo_mode(client: httpx.AsyncClient) -> None:
    assert (await client.get("/dev/orders")).status_code == 404
    assert (await client.get("/dev/orders.json")).status_code == 404


async def test_dev_orders_lists_every_demo_account_on_every_site(demo: Runtime) -> None:
    async with client_for(demo) as c:
        r = await c.get("/dev/orders.json")
        page = await c.get("/dev/orders")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    accounts = r.json()["accounts"]
    assert [(a["site"], a["email"], a["phone"]) for a in accounts] == [
        (d.site, d.email, d.phone) for d in DEMO_ACCOUNTS
    ]
    jane_us = accounts[0]
    assert 2 <= len(jane_us["orders"]) <= 3
    first = jane_us["orders"][0]
    assert set(first) == {"number", "placed_at", "total", "currency", "items", "postcode"}
    assert first["currency"] == "USD" and isinstance(first["total"], str)
    assert {o["currency"] for a in accounts if a["site"] == "uk" for o in a["orders"]} == {"GBP"}
    assert {o["currency"] for a in accounts if a["site"] == "ca" for o in a["orders"]} == {"CAD"}

    assert page.status_code == 200
    assert "so a tester can answer" in page.text and "only in demo mode" in page.text
    for account in accounts:
        for order in account["orders"]:
            assert order["number"] in page.text and order["postcode"] in page.text
            assert order["items"][0] in page.text.replace("&#39;", "'")
    assert f"${first['total']}" in page.text
    uk_total = accounts[1]["orders"][0]["total"]
    assert f"£{uk_total}" in page.text


async def test_a_demo_lookup_that_is_down_shows_missing_orders(demo: Runtime) -> None:
    assert isinstance(demo.deps.orders, MemoryOrders)
    demo.deps.orders.down = True
    async with client_for(demo) as c:
        accounts = (await c.get("/dev/orders.json")).json()["accounts"]
        page = await c.get("/dev/orders")
    assert [a["orders"] for a in accounts] == [None] * len(DEMO_ACCOUNTS)
    assert page.status_code == 200 and "did not answer" in page.text


async def test_bootstrap_wires_the_lookup_the_mode_asks_for(
    database_url: tuple[str, str | None],
) -> None:
    url, schema = database_url
    store = {"order_lookup_url": "https://store.example/o", "order_lookup_secret": "o" * 40}
    cases = [
        (settings_for(url), type(None)),
        (settings_for(url, demo=True), MemoryOrders),
        (settings_for(url, **store), HttpOrders),
        (settings_for(url, demo=True, **store), HttpOrders),  # a demo may try a real store
    ]
    for settings, kind in cases:
        runtime = build(settings, schema=schema)
        try:
            assert type(runtime.deps.orders) is kind, settings
            if isinstance(runtime.deps.orders, HttpOrders):
                assert runtime.deps.orders.client is runtime.http  # the shared client
        finally:
            await runtime.close()

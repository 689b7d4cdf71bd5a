"""/dev/orders in a real browser, at 1280 and at 360 px wide: every demo account's orders,
readable on a phone. Same conventions as ``test_journeys.py``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, Shots
from tests.browser.test_journeys import MOBILE, check_page, heading, no_sideways_scroll

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)


def test_dev_orders_lists_each_demo_account_s_orders(
    server: Server, page: Any, shot: Shots
) -> None:
    status, body = server.get("uk", "/dev/orders.json")
    assert status == 200
    accounts = json.loads(body)["accounts"]
    page.goto(server.url("uk", "/dev/orders"))
    expect(heading(page, "Demo orders")).to_be_visible()
    check_page(page)
    for account in accounts:
        assert account["orders"], account
        for order in account["orders"]:
            expect(page.get_by_text(f"Order {order['number']}")).to_be_visible()
    expect(page.get_by_text("£", exact=False).first).to_be_visible()
    shot(page, "orders")
    page.set_viewport_size(MOBILE)
    no_sideways_scroll(page)
    shot(page, "orders-360")

"""Public account ids, the demo's orders, and the demo order sheet asking the lookup the way
the identity check will (issue 11, item 2)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from entryway.adapters.orders_twin import MemoryOrders
from entryway.bootstrap import derive
from entryway.flows.demo import DEMO_ACCOUNTS, DemoAccount, seed
from entryway.flows.demo_orders import demo_orders, order_sheet, orders_for
from entryway.flows.ports import Keys
from entryway.flows.subjects import public_subject
from entryway.settings import demo_sites
from tests.conftest import SECRET, World

KEYS = Keys(hashing=derive(SECRET, "stored-secrets"), subject=derive(SECRET, "public-subject"))
SITES = {s.code: s for s in demo_sites(8000)}
POSTCODE = {
    "USD": re.compile(r"^\d{5}$"),
    "GBP": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"),
    "CAD": re.compile(r"^[A-Z]\d[A-Z] \d[A-Z]\d$"),
}


def test_a_public_subject_is_stable_per_site_and_not_the_row_id() -> None:
    sub = public_subject(KEYS, "us", "row-id-123")
    assert sub == public_subject(KEYS, "us", "row-id-123")
    assert re.fullmatch(r"[0-9a-f]{32}", sub)
    assert "row-id-123" not in sub
    assert sub != public_subject(KEYS, "uk", "row-id-123")  # sites cannot link accounts
    assert sub != public_subject(KEYS, "us", "row-id-124")
    # Without the server's key it cannot be made: another secret gives another id.
    other = Keys(
        hashing=KEYS.hashing, subject=derive("another-secret-" + "y" * 30, "public-subject")
    )
    assert sub != public_subject(other, "us", "row-id-123")
    # The separator keeps pairs apart: ("us", "x") is not ("usx", "").
    assert public_subject(KEYS, "us", "x") != public_subject(KEYS, "usx", "")


def test_the_subject_key_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="subject"):
        Keys(hashing=KEYS.hashing, subject=b"short")


@pytest.mark.parametrize("demo", DEMO_ACCOUNTS, ids=lambda d: f"{d.site}-{d.email or d.phone}")
def test_each_demo_account_has_two_or_three_believable_orders(demo: DemoAccount) -> None:
    today = date(2026, 12, 2)
    site = SITES[demo.site]
    orders = orders_for(demo, site, today)
    assert 2 <= len(orders) <= 3
    assert orders == orders_for(demo, site, today)  # the same account, the same orders
    currency = {"us": "USD", "uk": "GBP", "ca": "CAD"}[demo.site]
    for order in orders:
        assert order.currency == currency
        assert today - timedelta(days=60) <= order.placed_at < today
        assert order.items and len(set(order.items)) == len(order.items)
        assert order.total > 0 and order.total == order.total.quantize(Decimal("0.01"))
        assert POSTCODE[currency].match(order.postcode), order.postcode
        assert order.number.startswith(demo.site.upper() + "-")
    assert len({o.number for o in orders}) == len(orders)
    assert [o.placed_at for o in orders] == sorted((o.placed_at for o in orders), reverse=True)
    # The dates follow the clock: a month on, they are a month on.
    later = orders_for(demo, site, today + timedelta(days=30))
    assert [o.placed_at for o in later] == [o.placed_at + timedelta(days=30) for o in orders]


def test_different_accounts_get_different_orders() -> None:
    numbers = [
        {o.number for o in orders_for(d, SITES[d.site], date(2026, 12, 2))} for d in DEMO_ACCOUNTS
    ]
    assert all(a.isdisjoint(b) for i, a in enumerate(numbers) for b in numbers[i + 1 :])


async def test_the_order_sheet_asks_by_public_subject_and_verified_contacts(world: World) -> None:
    twin = MemoryOrders()
    deps = dataclasses.replace(world.deps, orders=twin)
    for site, key, orders in demo_orders(deps):
        twin.add(site, key, orders)
    await seed(deps)
    sheet = await order_sheet(deps)
    assert [e.account for e in sheet] == DEMO_ACCOUNTS
    today = world.clock.now().date()
    for entry in sheet:
        assert entry.orders == orders_for(entry.account, SITES[entry.account.site], today)
    async with deps.uow() as uow:
        jane = await uow.accounts.find("us", deps.identifiers.parse("jane@example.com", "US"))
    assert jane is not None
    assert twin.asked[0] == (
        "us",
        public_subject(deps.keys, "us", jane.id),
        "jane@example.com",
        "+12015550123",
    )
    assert jane.id not in {a[1] for a in twin.asked}
    # Sam in Canada has no phone: none is sent.
    assert twin.asked[3][0] == "ca" and twin.asked[3][3] is None


async def test_an_unverified_contact_is_not_sent(world: World) -> None:
    twin = MemoryOrders()
    deps = dataclasses.replace(world.deps, orders=twin)
    await seed(deps)
    async with deps.uow() as uow:
        jane = await uow.accounts.find("us", deps.identifiers.parse("jane@example.com", "US"))
        assert jane is not None
        await uow.accounts.update("us", jane.id, phone_verified=False)
        await uow.commit()
    await order_sheet(deps)
    assert twin.asked[0][2:] == ("jane@example.com", None)


async def test_no_lookup_or_a_lookup_down_leaves_the_orders_missing(world: World) -> None:
    await seed(world.deps)
    assert world.deps.orders is None  # not demo mode, no URL: no lookup configured
    assert [e.orders for e in await order_sheet(world.deps)] == [None] * len(DEMO_ACCOUNTS)
    down = dataclasses.replace(world.deps, orders=MemoryOrders(down=True))
    assert [e.orders for e in await order_sheet(down)] == [None] * len(DEMO_ACCOUNTS)

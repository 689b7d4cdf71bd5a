"""Demo orders: a few delivered orders for each demo account, so a tester can answer the
identity check's order questions (demo mode only; listed at /dev/orders)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from entryway.core.sites import Site
from entryway.flows.demo import DEMO_ACCOUNTS, DemoAccount
from entryway.flows.ports import Deps, Order
from entryway.flows.recovery.typed_order import site_currency
from entryway.flows.subjects import public_subject

# What each region's shop sells, at its prices; items are drawn from these.
CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "USD": [
        ("Organic Whole Milk, 1 gal", "5.49"),
        ("Sourdough Bread Loaf", "4.99"),
        ("Honeycrisp Apples, 3 lb bag", "6.99"),
        ("Colombian Ground Coffee, 12 oz", "9.99"),
        ("Paper Towels, 6 Rolls", "11.49"),
        ("Greek Yogurt, 32 oz", "5.79"),
        ("Stainless Steel Water Bottle", "19.99"),
        ("Cotton Bath Towel, Navy", "14.99"),
    ],
    "GBP": [
        ("Semi-Skimmed Milk, 4 pints", "1.65"),
        ("Free Range Eggs, 12 pack", "3.20"),
        ("Mature Cheddar, 400g", "3.75"),
        ("Earl Grey Tea Bags, 80", "2.90"),
        ("Strawberry Jam, 340g", "1.95"),
        ("Electric Kettle, 1.7L", "24.99"),
        ("Bath Towel, Grey", "12.00"),
        ("Wholemeal Loaf, 800g", "1.40"),
    ],
    "CAD": [
        ("Pure Maple Syrup, 540 mL", "11.99"),
        ("2% Milk, 4 L", "6.49"),
        ("Whole Wheat Bread", "3.79"),
        ("Ground Coffee, 340 g", "10.99"),
        ("Aged Cheddar, 400 g", "7.49"),
        ("Wild Rice, 1 kg", "8.99"),
        ("Insulated Winter Gloves", "24.99"),
        ("Flannel Sheet Set, Queen", "49.99"),
    ],
}
# Delivery postcodes that fit each region (one is picked per account: its home).
POSTCODES = {
    "USD": ["07030", "10011", "60614", "94110"],
    "GBP": ["SW1A 2AA", "M1 1AE", "EH1 1YZ", "BS1 4DJ"],
    "CAD": ["M5V 2T6", "H2X 1Y4", "V6B 1A1", "K1P 5J2"],
}


def currency_of(site: Site) -> str:
    """The currency a site's shop prices in (the one the identity check asks about)."""
    return site_currency(site)


def orders_for(demo: DemoAccount, site: Site, today: date) -> list[Order]:
    """Two or three delivered orders, made from the account alone: the same account gets
    the same orders (dates follow ``today``, all within the last 60 days)."""
    key = f"{demo.site}:{demo.email or demo.phone}"
    seed = hashlib.sha256(key.encode()).digest()
    currency = currency_of(site)
    catalogue = CATALOGUE[currency]
    postcode = POSTCODES[currency][seed[0] % len(POSTCODES[currency])]
    orders = []
    for n in range(2 + seed[1] % 2):
        b = seed[2 + n * 8 : 10 + n * 8]
        start = b[0] % len(catalogue)
        count = 2 + b[1] % 3
        picked = [catalogue[(start + i * (1 + b[2] % 3)) % len(catalogue)] for i in range(count)]
        names = tuple(dict.fromkeys(name for name, _ in picked))  # no item twice
        total = sum((Decimal(price) for name, price in dict(picked).items()), Decimal("0.00"))
        days_ago = 3 + n * 19 + b[3] % 15  # 3..55 days ago, spread apart, newest first
        orders.append(
            Order(
                number=f"{demo.site.upper()}-{int.from_bytes(b[4:8]) % 10**8:08d}",
                placed_at=today - timedelta(days=days_ago),
                total=total,
                currency=currency,
                items=names,
                postcode=postcode,
            )
        )
    return orders


def demo_orders(deps: Deps) -> list[tuple[str, str, list[Order]]]:
    """(site, key, orders) for every demo account, the key being its canonical email or
    phone, as the twin files them."""
    today = deps.clock.now().date()
    found = []
    for demo in DEMO_ACCOUNTS:
        site = deps.site(demo.site)
        raw = demo.email or demo.phone
        assert raw is not None
        key = deps.identifiers.parse(raw, site.phone_region).value
        found.append((site.code, key, orders_for(demo, site, today)))
    return found


@dataclass(frozen=True, slots=True)
class DemoOrders:
    """One demo account's orders as the configured lookup answers them (None: no lookup,
    or it is unavailable; the account may also be missing from the database)."""

    account: DemoAccount
    orders: list[Order] | None


async def order_sheet(deps: Deps) -> list[DemoOrders]:
    """Each demo account's orders, asked of the lookup the way the identity check will:
    by its public id, with only its verified email and phone."""
    sheet = []
    for demo in DEMO_ACCOUNTS:
        site = deps.site(demo.site)
        raw = demo.email or demo.phone
        assert raw is not None
        async with deps.uow() as uow:
            account = await uow.accounts.find(
                site.code, deps.identifiers.parse(raw, site.phone_region)
            )
        if account is None or deps.orders is None:
            sheet.append(DemoOrders(demo, None))
            continue
        orders = await deps.orders.recent_orders(
            site=site.code,
            sub=public_subject(deps.keys, site.code, account.id),
            email=account.email if account.email_verified else None,
            phone=account.phone if account.phone_verified else None,
        )
        sheet.append(DemoOrders(demo, orders))
    return sheet

"""The order lookup's in-process twin, for the demo and for tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from entryway.flows.ports import Order


@dataclass
class MemoryOrders:
    """Orders kept by (site, key), the key being an email, a phone or a ``sub``; a lookup
    answers the orders under any of the keys it is given, newest first, no repeats.
    ``down`` makes it answer as an unavailable store would (None)."""

    orders: dict[tuple[str, str], list[Order]] = field(default_factory=dict)
    down: bool = False
    asked: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)

    def add(self, site: str, key: str, orders: list[Order]) -> None:
        """File ``orders`` under ``key`` on ``site`` (after any filed there already)."""
        self.orders.setdefault((site, key), []).extend(orders)

    async def recent_orders(
        self, *, site: str, sub: str, email: str | None, phone: str | None
    ) -> list[Order] | None:
        """Every order filed under the sub, the email or the phone on that site."""
        self.asked.append((site, sub, email, phone))
        if self.down:
            return None
        found: list[Order] = []
        for key in (sub, email, phone):
            for order in self.orders.get((site, key), []) if key else []:
                if order not in found:
                    found.append(order)
        return sorted(found, key=lambda o: o.placed_at, reverse=True)

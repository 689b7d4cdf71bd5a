"""Helpers for the pending recovery's tests: an account with evidence, recovery rows put
in state requested directly (as the identity check leaves them), and what was sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from entryway.adapters.orders_twin import MemoryOrders
from entryway.core.events import MessageKind
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import new_token
from entryway.flows.ports import Account, Deps, Message, Order, Recovery, StoredAnswer
from tests.conftest import World
from tests.flows.test_account import signed_in_with_token

ANA = "ana@example.com"
ANA_PHONE = "+12015550123"
NEW = "new.owner@example.net"
ORDER = Order(
    number="US-12345678",
    placed_at=date(2026, 1, 2),
    total=Decimal("42.50"),
    currency="USD",
    items=("Sourdough Bread Loaf",),
    postcode="07030",
)
CANCEL = re.compile(r"/recovery/cancel\?token=([A-Za-z0-9_-]+)")
FINISH = re.compile(r"/recovery/finish\?token=([A-Za-z0-9_-]+)")


@dataclass
class Setup:
    world: World
    deps: Deps  # the world's, with an order lookup twin
    orders: MemoryOrders
    account: Account
    session: str  # a signed-in session of the owner


async def setup(
    world: World,
    *,
    questions: bool = True,
    orders: bool = True,
    phone: bool = False,
    signed_in: tuple[str, str] | None = None,
) -> Setup:
    """Ana, signed in, with three verification answers and one delivered order.
    ``signed_in``: (account id, session token) of an Ana made another way."""
    if signed_in is None:
        me, session = await signed_in_with_token(world, ANA)
        account_id = me.account.id
    else:
        account_id, session = signed_in
    twin = MemoryOrders()
    if orders:
        twin.add("us", ANA, [ORDER])
    deps = replace(world.deps, orders=twin)
    async with world.deps.uow() as uow:
        if questions:
            await uow.questions.replace(
                "us",
                account_id,
                [
                    StoredAnswer("us", account_id, n, f"q{n}", f"hash-{n}", world.clock.now())
                    for n in (1, 2, 3)
                ],
            )
        if phone:
            await uow.accounts.update("us", account_id, phone=ANA_PHONE, phone_verified=True)
        await uow.commit()
        fresh = await uow.accounts.get("us", account_id)
    assert fresh is not None
    return Setup(world=world, deps=deps, orders=twin, account=fresh, session=session)


async def request(
    s: Setup,
    *,
    questions_right: bool = True,
    number: str = " us-12345678 ",
    total: str = "42.5",
    new: str = NEW,
    kind: str = "email",
    evidence: dict[str, Any] | None = None,
    account_id: str | None = None,
) -> Recovery:
    """A recovery in state requested, as a finished identity check leaves it."""
    recovery = Recovery(
        id=new_token(s.deps.rng, 16),
        site="us",
        account_id=account_id or s.account.id,
        state=RecoveryState.REQUESTED,
        new_kind=kind,
        new_contact=new,
        created_at=s.world.clock.now(),
        questions_right=questions_right,
        order_number=number,
        order_total=total,
        two_step=s.account.two_step,
        evidence=evidence or {},
        requester_ip="198.51.100.9",
        requester_agent="Mozilla/5.0 (X11; Linux) Firefox/140.0",
    )
    async with s.deps.uow() as uow:
        assert await uow.recoveries.add(recovery)
        await uow.commit()
    return recovery


async def stored(s: Setup, recovery_id: str) -> Recovery:
    async with s.deps.uow() as uow:
        found = await uow.recoveries.get("us", recovery_id)
    assert found is not None
    return found


async def queued(s: Setup, kind: MessageKind | None = None, to: str | None = None) -> list[Message]:
    """Messages written to the outbox (due or not), oldest first."""
    async with s.deps.uow() as uow:
        found = await uow.outbox.latest(1000)
    return [
        m
        for m in reversed(found)
        if (kind is None or m.kind == kind) and (to is None or m.to == to)
    ]


async def sent_bodies(s: Setup, to: str) -> list[str]:
    """Deliver what is due, then every body sent to ``to`` (email or text), in order."""
    await s.world.deliver()
    return [m.body for m in s.world.mailer.sent if m.to == to] + [
        t.body for t in s.world.texter.sent if t.to == to
    ]


async def cancel_tokens(s: Setup, to: str = ANA) -> list[str]:
    """Every This wasn't me token sent to ``to`` so far."""
    return [t for body in await sent_bodies(s, to) for t in CANCEL.findall(body)]


def at(s: Setup) -> datetime:
    return s.world.clock.now()

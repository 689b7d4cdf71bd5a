"""Helpers for the trust tests: deps with the demo's reasons, a trust actor, a suspension."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from entryway.core.staff import Actor, Role
from entryway.core.suspension import DEMO_REASONS, ReasonCatalog
from entryway.flows.ports import Deps, Requester, Suspension
from entryway.flows.trust import measures
from tests.conftest import World

WHO = Requester(ip="192.0.2.77", user_agent="pytest")
TRUST = Actor(
    staff_id="trust-1",
    email="tia@staff.example",
    roles=frozenset({Role.TRUST}),
    sites=frozenset({"us"}),
)
FACTS = "Three orders in March were paid with cards their owners reported stolen."
NOTICE = re.compile(r"/suspension/appeal\?token=([A-Za-z0-9_-]+)")


def trust_deps(world: World) -> Deps:
    """The world's deps with the demo store's suspension reasons."""
    return replace(world.deps, suspension_reasons=ReasonCatalog(DEMO_REASONS))


async def suspend(
    deps: Deps,
    account_id: str,
    *,
    actor: Actor | None = TRUST,
    until: datetime | None = None,
    **kw: Any,
) -> Suspension:
    values: dict[str, Any] = {
        "site": "us",
        "account_id": account_id,
        "reason": "payment_fraud",
        "facts": FACTS,
        "until": until,
        "automated": False,
        "who": WHO,
    }
    values.update(kw)
    return await measures.suspend(deps, actor, **values)

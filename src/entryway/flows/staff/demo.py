"""The demo's staff: an agent and an admin on every site (demo mode only)."""

from __future__ import annotations

from dataclasses import dataclass

from entryway.core.staff import Role, StaffStatus
from entryway.flows.ports import Deps
from entryway.flows.staff import accounts

DEMO_STAFF = [
    ("agent@acme-market.example", frozenset({Role.AGENT})),
    ("admin@acme-market.example", frozenset({Role.ADMIN})),
]


@dataclass(frozen=True, slots=True)
class DemoStaff:
    email: str
    roles: frozenset[Role]
    link: str | None  # a fresh enrolment link, or None once enrolled


async def seed_staff(deps: Deps, console_url: str) -> list[DemoStaff]:
    """Create the demo staff that are missing; each one not enrolled yet gets a fresh link
    at every start (the older one stops working), so the banner's links always work."""
    found: list[DemoStaff] = []
    for email, roles in DEMO_STAFF:
        async with deps.uow() as uow:
            member = await uow.staff.find(email)
            if member is not None and member.status != StaffStatus.INVITED:
                found.append(DemoStaff(email, member.roles, None))
                continue
            if member is not None:
                invitation = await accounts.new_link(deps, uow, member, console_url)
                await uow.commit()
                found.append(DemoStaff(email, member.roles, invitation.link))
                continue
        made = await accounts.add(
            deps, email=email, roles=roles, sites=[], all_sites=True, console_url=console_url
        )
        found.append(DemoStaff(email, roles, made.link))
    return found

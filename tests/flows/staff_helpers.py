"""Helpers for staff tests: add, enrol and sign in a staff member through the flows."""

from __future__ import annotations

from dataclasses import dataclass

from entryway.core import totp
from entryway.core.staff import Role
from entryway.flows.ports import Requester
from entryway.flows.staff import accounts, enrol, signin
from tests.conftest import World

CONSOLE = "http://console.localhost:8000"
STAFF_PW = "violet-canyon-thunder-7"
WHO = Requester(ip="192.0.2.50", user_agent="pytest")


@dataclass
class Member:
    staff_id: str
    email: str
    key: bytes
    token: str  # a full console session


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def code_now(world: World, key: bytes, steps_ahead: int = 0) -> str:
    return totp.totp(key, totp.step_at(world.clock.now()) + steps_ahead)


async def enrolled(
    world: World,
    email: str = "sam@staff.example",
    roles: frozenset[Role] = frozenset({Role.AGENT}),
    sites: list[str] | None = None,
) -> Member:
    """Add, enrol (password + app) and return the member with their first full session."""
    invited = await accounts.add(
        world.deps,
        email=email,
        roles=roles,
        sites=sites if sites is not None else [],
        all_sites=sites is None,
        console_url=CONSOLE,
    )
    enrol_token = await enrol.create_password(
        world.deps, token_of(invited.link), STAFF_PW, STAFF_PW, WHO
    )
    step = await enrol.app_step(world.deps, enrol_token)
    key = totp.parse_key(step.key)
    token = await enrol.confirm_app(world.deps, enrol_token, code_now(world, key), WHO)
    return Member(staff_id=invited.staff_id, email=invited.email, key=key, token=token)


async def sign_in(world: World, member: Member, *, steps_ahead: int = 1) -> str:
    """Email, Password, Enter OTP (a later step than enrolment's, which is spent)."""
    partial = await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)
    return await signin.second_step(
        world.deps, partial, code_now(world, member.key, steps_ahead), WHO
    )

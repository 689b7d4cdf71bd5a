"""Staff sign-in counts failures per client address across staff emails, as customers' does
(SECURITY.md 5, 8): past ``ip_refuse_at`` the address is refused before any hash, with one
answer whether the email belongs to anyone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import pytest

from entryway.core.lockout import LockPolicy
from entryway.errors import CodeRejected, SignInFailed, SignInThrottled
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff import signin
from tests.conftest import World
from tests.flows.staff_helpers import STAFF_PW, Member, code_now, enrolled
from tests.flows.test_lockout import CountingHasher

LIMIT = 5
BUSY = Requester(ip="198.51.100.7", user_agent="pytest")
ELSEWHERE = Requester(ip="198.51.100.8", user_agent="pytest")


@dataclass
class Team:
    deps: Deps
    hasher: CountingHasher
    members: list[Member]


async def team(world: World) -> Team:
    """Three enrolled staff, and deps whose hasher counts and whose address limit is small
    (no progressive delay, so the clock need not move between tries)."""
    members = [await enrolled(world, f"s{n}@staff.example") for n in range(3)]
    hasher = CountingHasher(world.deps.hasher)
    policy = LockPolicy(delay_from=100, ip_unusual_at=LIMIT, ip_refuse_at=LIMIT)
    return Team(
        deps=replace(world.deps, hasher=hasher, lock_policy=policy), hasher=hasher, members=members
    )


async def attempt(t: Team, email: str, password: str, who: Requester = BUSY) -> object:
    try:
        return await signin.sign_in(t.deps, email=email, password=password, who=who)
    except SignInFailed as exc:
        return exc


async def spray(t: Team, times: int) -> None:
    """Wrong passwords from one address, spread over known and unknown emails."""
    emails = [m.email for m in t.members] + ["ghost@staff.example"]
    for n in range(times):
        result = await attempt(t, emails[n % len(emails)], f"wrong-guess-{n}")
        assert type(result) is SignInFailed, result


async def test_one_address_is_refused_across_emails_before_any_hash(world: World) -> None:
    t = await team(world)
    await spray(t, LIMIT)  # no email reaches its own limit of 10
    checks = t.hasher.checks
    known = await attempt(t, t.members[0].email, STAFF_PW)  # even the right password
    unknown = await attempt(t, "nobody@staff.example", "wrong-guess-x")
    for refused in (known, unknown):
        assert isinstance(refused, SignInThrottled), refused
        assert refused.message == signin.BUSY_NETWORK
    assert t.hasher.checks == checks  # refused before any hash, known email or not
    # Another address is not affected, and the emails are not locked.
    assert isinstance(await attempt(t, t.members[0].email, STAFF_PW, ELSEWHERE), str)
    assert not await signin.is_locked(t.deps, t.members[1].email)


async def test_a_right_password_does_not_reset_the_address(world: World) -> None:
    t = await team(world)
    await spray(t, LIMIT - 1)
    partial = await attempt(t, t.members[0].email, STAFF_PW)
    assert isinstance(partial, str)  # gives back only its own count, not the address's
    await spray(t, 1)  # the fifth failure from this address
    refused = await attempt(t, t.members[1].email, STAFF_PW)
    assert isinstance(refused, SignInThrottled) and refused.message == signin.BUSY_NETWORK


async def test_wrong_otps_count_on_the_address(world: World) -> None:
    t = await team(world)
    await spray(t, LIMIT - 1)
    member = t.members[2]
    partial = await attempt(t, member.email, STAFF_PW)
    assert isinstance(partial, str)
    with pytest.raises(CodeRejected):
        await signin.second_step(t.deps, partial, "000000", BUSY)
    refused = await attempt(t, t.members[0].email, STAFF_PW)
    assert isinstance(refused, SignInThrottled)
    # The member's own OTP from elsewhere still works: the address is refused, not them.
    again = await attempt(t, member.email, STAFF_PW, ELSEWHERE)
    assert isinstance(again, str)
    await signin.second_step(t.deps, again, code_now(world, member.key, 1), ELSEWHERE)


async def test_parallel_guesses_from_one_address_check_no_more_than_the_limit(
    world: World,
) -> None:
    t = await team(world)
    emails = [f"x{n}@staff.example" for n in range(30)]
    results = await asyncio.gather(
        *[attempt(t, email, "wrong-guess-1") for email in emails], return_exceptions=True
    )
    assert all(isinstance(r, SignInFailed) for r in results), results
    assert t.hasher.checks <= LIMIT
    assert sum(isinstance(r, SignInThrottled) for r in results) >= len(emails) - LIMIT

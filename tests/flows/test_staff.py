"""Staff accounts through the flows: enrolment, sign-in with its mandatory OTP, locks,
resets, disabling and console sessions (SECURITY.md 30)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from entryway.core.staff import Role, StaffAction, StaffStatus
from entryway.errors import (
    CodeRejected,
    FlowExpired,
    InvalidInput,
    NotFound,
    PasswordRejected,
    SignInFailed,
    SignInLocked,
    Unauthenticated,
)
from entryway.flows.staff import accounts, admin, enrol, signin
from entryway.flows.staff.session import current_actor, sign_out
from tests.conftest import World
from tests.flows.staff_helpers import (
    CONSOLE,
    STAFF_PW,
    WHO,
    code_now,
    enrolled,
    sign_in,
    token_of,
)


async def test_add_prints_a_console_link_and_enrolment_signs_in(world: World) -> None:
    member = await enrolled(world, email="Sam@Staff.Example", sites=["us", "uk"])
    assert member.email == "sam@staff.example"
    actor = await current_actor(world.deps, member.token)
    assert actor.email == "sam@staff.example"
    assert actor.roles == frozenset({Role.AGENT})
    assert actor.sites == frozenset({"us", "uk"}) and not actor.all_sites
    async with world.deps.uow() as uow:
        stored = await uow.staff.get(member.staff_id)
        actions = [e.action for e in await uow.staff.audit_log()]
    assert stored is not None and stored.status == StaffStatus.ACTIVE
    assert stored.password_hash and stored.password_hash.startswith("$argon2id$")
    assert StaffAction.ENROLLED in actions and StaffAction.ADDED in actions


async def test_the_link_is_on_the_console_origin_and_refuses_unknown_sites(world: World) -> None:
    invited = await accounts.add(
        world.deps,
        email="a@staff.example",
        roles=frozenset({Role.ADMIN}),
        sites=[],
        all_sites=True,
        console_url=CONSOLE + "/",
    )
    assert invited.link.startswith(CONSOLE + "/enrol/")
    assert len(token_of(invited.link)) >= 43  # 256 bits
    with pytest.raises(InvalidInput, match="unknown site 'zz'"):
        await accounts.add(
            world.deps,
            email="b@staff.example",
            roles=frozenset({Role.AGENT}),
            sites=["zz"],
            all_sites=False,
            console_url=CONSOLE,
        )
    with pytest.raises(InvalidInput, match="already staff"):
        await accounts.add(
            world.deps,
            email="A@staff.example",
            roles=frozenset({Role.AGENT}),
            sites=[],
            all_sites=True,
            console_url=CONSOLE,
        )


async def _invite(world: World, email: str = "kim@staff.example") -> str:
    invited = await accounts.add(
        world.deps,
        email=email,
        roles=frozenset({Role.AGENT}),
        sites=["us"],
        all_sites=False,
        console_url=CONSOLE,
    )
    return token_of(invited.link)


async def test_password_rules_are_the_customers(world: World) -> None:
    token = await _invite(world)
    with pytest.raises(PasswordRejected, match="at least 8"):
        await enrol.create_password(world.deps, token, "short", "short", WHO)
    with pytest.raises(PasswordRejected, match="match"):
        await enrol.create_password(world.deps, token, STAFF_PW, STAFF_PW + "x", WHO)
    # A refused password does not use the link up.
    assert (await enrol.link_member(world.deps, token)).email == "kim@staff.example"


async def test_the_link_is_single_use_even_in_parallel(world: World) -> None:
    token = await _invite(world)
    await enrol.link_member(world.deps, token)  # reading it (the landing) keeps it
    results = await asyncio.gather(
        *[enrol.create_password(world.deps, token, STAFF_PW, STAFF_PW, WHO) for _ in range(5)],
        return_exceptions=True,
    )
    assert sum(isinstance(r, str) for r in results) == 1
    assert all(isinstance(r, (str, FlowExpired)) for r in results)
    with pytest.raises(FlowExpired):
        await enrol.link_member(world.deps, token)


async def test_the_link_lives_24_hours(world: World) -> None:
    token = await _invite(world)
    world.clock.advance(hours=23, minutes=59)
    await enrol.link_member(world.deps, token)
    world.clock.advance(minutes=1)
    with pytest.raises(FlowExpired):
        await enrol.create_password(world.deps, token, STAFF_PW, STAFF_PW, WHO)


async def test_sign_in_always_asks_for_the_otp(world: World) -> None:
    member = await enrolled(world)
    partial = await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)
    with pytest.raises(Unauthenticated):  # a partial session is no console session
        await current_actor(world.deps, partial)
    token = await signin.second_step(world.deps, partial, code_now(world, member.key, 1), WHO)
    assert token != partial
    assert (await current_actor(world.deps, token)).staff_id == member.staff_id
    with pytest.raises(Unauthenticated):  # the partial session ended with the new id
        await signin.second_step(world.deps, partial, code_now(world, member.key, 1), WHO)


async def test_the_enrolment_code_and_a_used_step_never_sign_in(world: World) -> None:
    member = await enrolled(world)
    partial = await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)
    with pytest.raises(CodeRejected):
        await signin.second_step(world.deps, partial, code_now(world, member.key), WHO)


@pytest.mark.parametrize("email", ["sam@staff.example", "nobody@staff.example", "not an email"])
async def test_wrong_and_unknown_answer_the_same(world: World, email: str) -> None:
    await enrolled(world)
    with pytest.raises(SignInFailed) as failed:
        await signin.sign_in(world.deps, email=email, password="wrong-password-1", who=WHO)
    assert type(failed.value) is SignInFailed
    assert failed.value.message == signin.FAILED


async def _fail(world: World, email: str, times: int) -> None:
    for _ in range(times):
        world.clock.advance(minutes=1)  # past the progressive delay
        with pytest.raises(SignInFailed):
            await signin.sign_in(world.deps, email=email, password="wrong-password-1", who=WHO)


async def test_wrong_otps_count_and_the_lock_needs_a_person(world: World) -> None:
    member = await enrolled(world)
    limit = world.deps.lock_policy.lock_at
    await _fail(world, member.email, limit - 1)
    world.clock.advance(minutes=1)
    partial = await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)
    with pytest.raises(SignInLocked):  # the wrong code reached the limit
        await signin.second_step(world.deps, partial, "000000", WHO)
    assert await signin.is_locked(world.deps, member.email)
    # The lock never lifts by itself, and a right password is refused before any hash.
    world.clock.advance(days=3)
    with pytest.raises(SignInLocked):
        await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)
    admin_member = await enrolled(world, "boss@staff.example", frozenset({Role.ADMIN}))
    boss = await current_actor(world.deps, admin_member.token)
    with pytest.raises(InvalidInput, match="reason"):
        await admin.lift_lock(world.deps, boss, member.staff_id, "  ", WHO)
    assert await admin.lift_lock(world.deps, boss, member.staff_id, "called them", WHO)
    await sign_in(world, member)
    async with world.deps.uow() as uow:
        log = await uow.staff.audit_log()
    lifted = [e for e in log if e.action == StaffAction.LOCK_LIFTED]
    assert lifted[0].actor_id == admin_member.staff_id
    assert lifted[0].detail["reason"] == "called them"
    assert any(e.action == StaffAction.OTP_FAILED for e in log)


async def test_unknown_emails_lock_alike(world: World) -> None:
    await _fail(world, "ghost@staff.example", world.deps.lock_policy.lock_at - 1)
    world.clock.advance(minutes=1)
    with pytest.raises(SignInLocked):
        await signin.sign_in(
            world.deps, email="ghost@staff.example", password="wrong-password-1", who=WHO
        )


async def test_parallel_guesses_check_no_more_than_the_limit(world: World) -> None:
    member = await enrolled(world)
    results = await asyncio.gather(
        *[
            signin.sign_in(world.deps, email=member.email, password=f"guess-{n}-x", who=WHO)
            for n in range(30)
        ],
        return_exceptions=True,
    )
    assert all(isinstance(r, SignInFailed) for r in results)
    assert await signin.is_locked(world.deps, member.email)
    async with world.deps.uow() as uow:
        log = await uow.staff.audit_log(limit=100)
    checked = sum(e.action == StaffAction.SIGN_IN_FAILED for e in log)  # one per hash
    assert 1 <= checked <= world.deps.lock_policy.lock_at


async def test_reset_voids_password_and_app(world: World) -> None:
    member = await enrolled(world)
    invited = await accounts.reset(world.deps, member.email, CONSOLE)
    with pytest.raises(Unauthenticated):
        await current_actor(world.deps, member.token)
    with pytest.raises(SignInFailed):
        await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)
    enrol_token = await enrol.create_password(
        world.deps, token_of(invited.link), STAFF_PW, STAFF_PW, WHO
    )
    step = await enrol.app_step(world.deps, enrol_token)
    assert step.key.replace(" ", "") != ""
    from entryway.core import totp

    assert totp.parse_key(step.key) != member.key  # a new key: the old app no longer works


async def test_reset_lifts_a_lock(world: World) -> None:
    member = await enrolled(world)
    await _fail(world, member.email, world.deps.lock_policy.lock_at)
    assert await signin.is_locked(world.deps, member.email)
    await accounts.reset(world.deps, member.email, CONSOLE)
    assert not await signin.is_locked(world.deps, member.email)


async def test_disabled_staff_sessions_end_at_once(world: World) -> None:
    member = await enrolled(world)
    await current_actor(world.deps, member.token)
    await accounts.disable(world.deps, member.email)
    with pytest.raises(Unauthenticated):
        await current_actor(world.deps, member.token)
    with pytest.raises(SignInFailed):
        await signin.sign_in(world.deps, email=member.email, password=STAFF_PW, who=WHO)


async def test_console_sessions_idle_15_minutes_absolute_8_hours(world: World) -> None:
    member = await enrolled(world)
    world.clock.advance(minutes=14, seconds=59)
    await current_actor(world.deps, member.token)  # activity pushes the idle deadline
    world.clock.advance(minutes=14, seconds=59)
    await current_actor(world.deps, member.token)
    world.clock.advance(minutes=15)
    with pytest.raises(Unauthenticated):
        await current_actor(world.deps, member.token)
    token = await sign_in(world, member)
    for _ in range(8 * 6 - 1):  # busy all day, every ten minutes
        world.clock.advance(minutes=10)
        await current_actor(world.deps, token)
    world.clock.advance(minutes=10)  # 8 hours after sign-in
    with pytest.raises(Unauthenticated):
        await current_actor(world.deps, token)


async def test_sign_out_ends_the_session(world: World) -> None:
    member = await enrolled(world)
    await sign_out(world.deps, member.token, WHO)
    with pytest.raises(Unauthenticated):
        await current_actor(world.deps, member.token)


async def test_admin_actions_need_admin_and_cover_only_their_sites(world: World) -> None:
    agent = await enrolled(world, "agent@staff.example", sites=["us"])
    other = await enrolled(world, "uk@staff.example", sites=["uk"])
    us_admin = await enrolled(world, "admin@staff.example", frozenset({Role.ADMIN}), ["us"])
    actor = await current_actor(world.deps, agent.token)
    with pytest.raises(NotFound):
        await admin.staff_list(world.deps, actor)
    boss = await current_actor(world.deps, us_admin.token)
    listed = {row.member.email for row in await admin.staff_list(world.deps, boss)}
    assert listed == {"agent@staff.example", "admin@staff.example"}
    with pytest.raises(NotFound):  # another site's staff is as if absent
        await admin.disable(world.deps, boss, other.staff_id, "no reason needed?", WHO)
    with pytest.raises(InvalidInput):
        await admin.disable(world.deps, boss, us_admin.staff_id, "myself", WHO)
    roles = frozenset({Role.AGENT, Role.REVIEWER})
    await admin.set_roles(world.deps, boss, agent.staff_id, roles, "covers reviews", WHO)
    with pytest.raises(Unauthenticated):  # a new scope takes a new sign-in
        await current_actor(world.deps, agent.token)
    token = await sign_in(world, agent)
    assert (await current_actor(world.deps, token)).roles == roles
    await admin.disable(world.deps, boss, agent.staff_id, "left the team", WHO)
    with pytest.raises(Unauthenticated):
        await current_actor(world.deps, token)


async def test_demo_staff_get_fresh_links_until_enrolled(world: World) -> None:
    from entryway.flows.staff.demo import seed_staff

    first = await seed_staff(world.deps, CONSOLE)
    assert [m.email for m in first] == ["agent@acme-market.example", "admin@acme-market.example"]
    assert all(m.link for m in first)
    again = await seed_staff(world.deps, CONSOLE)
    assert again[0].link != first[0].link
    assert first[0].link is not None
    with pytest.raises(FlowExpired):  # the older link stopped working
        await enrol.link_member(world.deps, token_of(first[0].link))
    assert again[0].link is not None
    await enrol.link_member(world.deps, token_of(again[0].link))
    assert timedelta(hours=24) == (await _expiry(world, again[0].link))


async def _expiry(world: World, link: str) -> timedelta:
    from entryway.flows.staff.common import link_hash

    async with world.deps.uow() as uow:
        stored = await uow.staff.link(link_hash(world.deps, token_of(link)))
    assert stored is not None
    return stored.expires_at - stored.created_at

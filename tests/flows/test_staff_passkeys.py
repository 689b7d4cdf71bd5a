"""Staff passkeys through the flows: added on the console's origin, a sign-in instead of the
password and app, refused across origins and to customers' sites, counted toward the staff
lock, removed by a reset."""

from __future__ import annotations

import pytest

from entryway.core.staff import StaffAction, StaffLevel
from entryway.errors import Forbidden, InvalidInput, NotFound, SignInLocked, Unauthenticated
from entryway.flows.passkeys import ceremonies
from entryway.flows.passkeys import sign_in as customer_sign_in
from entryway.flows.staff import accounts
from entryway.flows.staff import passkeys as staff_passkeys
from entryway.flows.staff import session as staff_session
from tests.conftest import World
from tests.flows.staff_helpers import CONSOLE, STAFF_PW, WHO, Member, enrolled
from tests.passkey_device import Device, b64

HERE = ("console.localhost", CONSOLE)


async def _added(world: World, member: Member, device: Device | None = None) -> Device:
    device = device or Device(*HERE)
    begun = await staff_passkeys.begin_registration(
        world.deps, CONSOLE, member.token, STAFF_PW, WHO
    )
    await staff_passkeys.finish_registration(
        world.deps, CONSOLE, member.token, begun.token, device.create(begun.options), WHO,
        name="Desk key",
    )  # fmt: skip
    return device


async def _sign_in(world: World, device: Device, **knobs: object) -> str:
    begun = await staff_passkeys.begin_sign_in(world.deps, CONSOLE, WHO)
    return await staff_passkeys.sign_in(
        world.deps, CONSOLE, token=begun.token,
        credential=device.get(begun.options, **knobs),  # type: ignore[arg-type]
        who=WHO,
    )  # fmt: skip


async def _actions(world: World) -> list[StaffAction]:
    async with world.deps.uow() as uow:
        return [e.action for e in await uow.staff.audit_log(100)]


async def test_a_staff_passkey_signs_in_instead_of_password_and_app(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    [kept] = await staff_passkeys.mine(world.deps, member.staff_id)
    assert kept.name == "Desk key"
    token = await _sign_in(world, device)
    actor = await staff_session.current_actor(world.deps, token)
    assert actor.staff_id == member.staff_id
    assert StaffAction.PASSKEY_ADDED in await _actions(world)


async def test_adding_one_needs_a_recent_console_sign_in(world: World) -> None:
    member = await enrolled(world)
    world.clock.advance(minutes=11)
    with pytest.raises(Forbidden):
        await staff_passkeys.begin_registration(world.deps, CONSOLE, member.token, STAFF_PW, WHO)


@pytest.mark.parametrize(
    "knobs",
    [
        {"origin": "http://us.localhost:8000"},
        {"rp_id": "us.localhost"},
        {"verified": False},
    ],
    ids=["a site's origin", "a site's relying party", "no user verification"],
)
async def test_a_staff_assertion_is_refused(world: World, knobs: dict[str, object]) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, **knobs)
    assert StaffAction.SIGN_IN_FAILED in await _actions(world)


async def test_a_customers_passkey_is_unknown_to_the_console_and_back(world: World) -> None:
    """Kept apart: a customer site's passkey does not open the console, and a staff
    passkey does not sign in on a site (even shown with the site's origin)."""
    member = await enrolled(world)
    device = await _added(world, member)
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    answer = device.get(begun.options, origin="http://us.localhost:8000", rp_id="us.localhost")
    with pytest.raises(InvalidInput):
        await customer_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=answer, remember=False, who=WHO
        )
    site_device = Device("us.localhost", "http://us.localhost:8000")
    with pytest.raises(InvalidInput):
        await _sign_in(world, site_device, origin=CONSOLE, rp_id="console.localhost")


async def test_failed_staff_passkeys_lock_the_member(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    refusals = []
    for _ in range(world.deps.lock_policy.lock_at):
        world.clock.advance(seconds=30)  # past each pause between failures
        with pytest.raises((InvalidInput, SignInLocked)) as refused:
            await _sign_in(world, device, verified=False)
        refusals.append(type(refused.value))
    assert refusals[-1] is SignInLocked and SignInLocked not in refusals[:-1]
    with pytest.raises(SignInLocked):  # locked: the right passkey too
        await _sign_in(world, device)
    with pytest.raises(Unauthenticated):  # and the sessions ended with the lock
        await staff_session.current_actor(world.deps, member.token)


async def test_unsigned_staff_assertions_never_lock_the_member(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    for _ in range(world.deps.lock_policy.lock_at + 2):
        world.clock.advance(seconds=30)
        with pytest.raises(InvalidInput):
            await _sign_in(world, device, forged=True)
    token = await _sign_in(world, device)
    assert (await staff_session.current_actor(world.deps, token)).staff_id == member.staff_id


async def test_a_disabled_member_cannot_sign_in_with_a_passkey(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    await accounts.disable(world.deps, member.email)
    with pytest.raises(InvalidInput):
        await _sign_in(world, device)


async def test_a_reset_removes_the_members_passkeys(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    await accounts.reset(world.deps, member.email, CONSOLE)
    assert await staff_passkeys.mine(world.deps, member.staff_id) == []
    with pytest.raises(InvalidInput):
        await _sign_in(world, device)


async def test_a_copied_staff_passkey_is_turned_off(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    await _sign_in(world, device)
    await _sign_in(world, device)
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, counter=1)
    assert await staff_passkeys.mine(world.deps, member.staff_id) == []


async def test_a_member_removes_only_their_own_passkey(world: World) -> None:
    sam = await enrolled(world)
    device = await _added(world, sam)
    kim = await enrolled(world, "kim@staff.example")
    kim_session, kim_member = await staff_session.session_of(world.deps, kim.token, StaffLevel.FULL)
    with pytest.raises(NotFound):
        await staff_passkeys.remove(
            world.deps, kim_session, kim_member, b64(device.credential_id), WHO
        )
    sam_session, sam_member = await staff_session.session_of(world.deps, sam.token, StaffLevel.FULL)
    await staff_passkeys.remove(world.deps, sam_session, sam_member, b64(device.credential_id), WHO)
    assert await staff_passkeys.mine(world.deps, sam.staff_id) == []
    assert StaffAction.PASSKEY_REMOVED in await _actions(world)


async def test_adding_one_needs_the_password_again(world: World) -> None:
    """Before the authenticator makes anything: a console cookie carried off soon after a
    sign-in does not buy a passkey."""
    member = await enrolled(world)
    with pytest.raises(InvalidInput) as refused:
        await staff_passkeys.begin_registration(
            world.deps, CONSOLE, member.token, "not-the-password", WHO
        )
    assert refused.value.field == "password"
    assert await staff_passkeys.mine(world.deps, member.staff_id) == []
    assert StaffAction.SIGN_IN_FAILED in await _actions(world)


async def test_removing_one_needs_a_recent_sign_in(world: World) -> None:
    member = await enrolled(world)
    device = await _added(world, member)
    world.clock.advance(minutes=11)
    session, found = await staff_session.session_of(world.deps, member.token, StaffLevel.FULL)
    with pytest.raises(Forbidden):
        await staff_passkeys.remove(world.deps, session, found, b64(device.credential_id), WHO)


async def test_staff_passkeys_live_apart_from_customers(world: World) -> None:
    """Their own tables (SECURITY.md 30): the customers' hold none of them."""
    member = await enrolled(world)
    await _added(world, member)
    async with world.deps.uow() as uow:
        assert await uow.passkeys.for_account("_staff", member.staff_id) == []
        assert len(await uow.staff_passkeys.for_account("_staff", member.staff_id)) == 1


async def test_a_busy_address_is_refused_before_any_check(world: World) -> None:
    from entryway.errors import SignInThrottled
    from entryway.flows.staff import signin
    from entryway.flows.staff.common import address_key

    member = await enrolled(world)
    device = await _added(world, member)
    async with world.deps.uow() as uow:
        for _ in range(world.deps.lock_policy.ip_refuse_at):
            await uow.staff.hit(address_key(world.deps, WHO.ip), signin.current_window(world.deps))
        await uow.commit()
    with pytest.raises(SignInThrottled):
        await _sign_in(world, device)

"""The passkey ceremonies against a software authenticator: a passkey added and proven,
and each way an assertion or registration must fail (SECURITY.md: replay, wrong origin,
wrong relying party, another site's credential, a counter going back, no user
verification), each refused by a named test."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.core.passkeys import PER_ACCOUNT
from entryway.errors import (
    AccountSuspended,
    FlowExpired,
    InvalidInput,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows.account import account
from entryway.flows.passkeys import ceremonies, manage
from entryway.flows.passkeys import sign_in as passkey_sign_in
from entryway.flows.passkeys.ceremonies import ALREADY, EXPIRED, NOT_CHECKED, TAKEN
from entryway.flows.recovery import password_reset, unlock
from tests.conftest import World
from tests.flows.test_password_reset import NEW, WHO, make
from tests.flows.trust.helpers import suspend, trust_deps
from tests.passkey_device import Device

US = ("us.localhost", "http://us.localhost:8000")


async def _me(world: World, identifier: str = "ana@example.com") -> account.Current:
    return await account.current(world.deps, "us", await make(world, identifier))


async def _added(world: World, device: Device | None = None) -> tuple[account.Current, Device]:
    me = await _me(world)
    device = device or Device(*US)
    begun = await ceremonies.begin_registration(world.deps, me)
    await ceremonies.finish_registration(
        world.deps, me, begun.token, device.create(begun.options), WHO, name=" Ana's phone "
    )
    return me, device


async def _sign_in(world: World, device: Device, site: str = "us", **knobs: object):
    begun = await ceremonies.begin_sign_in(world.deps, site, WHO)
    answer = device.get(begun.options, **knobs)  # type: ignore[arg-type]
    return await passkey_sign_in.sign_in(
        world.deps, site, token=begun.token, credential=answer, remember=False, who=WHO
    )


async def _actions(world: World, account_id: str) -> list[AuditAction]:
    async with world.deps.uow() as uow:
        return [e.action for e in await uow.audit.recent("us", account_id)]


@pytest.mark.parametrize("synced", [False, True])
async def test_a_passkey_is_added_and_signs_its_account_in(world: World, synced: bool) -> None:
    me, device = await _added(world, Device(*US, synced=synced))
    async with world.deps.uow() as uow:
        [kept] = await uow.passkeys.for_account("us", me.account.id)
    assert kept.name == "Ana's phone" and kept.backed_up is synced
    assert kept.transports == ["internal", "hybrid"]
    assert AuditAction.PASSKEY_ADDED in await _actions(world, me.account.id)
    for _ in range(2):  # a counter that goes up, or a synced passkey's steady 0
        done = await _sign_in(world, device)
        assert done.account_id == me.account.id
        session = await account.current(world.deps, "us", done.session_token)
        assert session.session.amr == "hwk user"
    async with world.deps.uow() as uow:
        used = await uow.passkeys.get("us", kept.credential_id)
    assert used is not None and used.last_used_at == world.clock.now()
    assert used.sign_count == (0 if synced else 3)


async def test_the_options_ask_for_a_discoverable_user_verified_passkey(world: World) -> None:
    me, device = await _added(world)
    options = json.loads((await ceremonies.begin_registration(world.deps, me)).options)
    assert options["rp"]["id"] == "us.localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["timeout"] == 300000
    assert "ana@example.com" in options["user"]["name"]
    assert me.account.id not in options["user"]["id"]  # a derived handle, not the row id
    # The passkey it has is excluded, so one authenticator is not registered twice.
    assert [c["id"] for c in options["excludeCredentials"]] == [json.loads(
        device.create(json.dumps(options)))["id"]]  # fmt: skip
    asked = json.loads((await ceremonies.begin_sign_in(world.deps, "us", WHO)).options)
    assert asked["userVerification"] == "required" and asked.get("allowCredentials") in (None, [])


async def test_a_replayed_challenge_is_refused(world: World) -> None:
    _, device = await _added(world)
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    answer = device.get(begun.options)
    await passkey_sign_in.sign_in(
        world.deps, "us", token=begun.token, credential=answer, remember=False, who=WHO
    )
    with pytest.raises(FlowExpired) as refused:
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=answer, remember=False, who=WHO
        )
    assert refused.value.message == EXPIRED


async def test_an_expired_challenge_is_refused(world: World) -> None:
    _, device = await _added(world)
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    world.clock.advance(minutes=5, seconds=1)
    with pytest.raises(FlowExpired):
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=device.get(begun.options),
            remember=False, who=WHO,
        )  # fmt: skip


async def test_a_wrong_origin_is_refused(world: World) -> None:
    _, device = await _added(world)
    with pytest.raises(InvalidInput) as refused:
        await _sign_in(world, device, origin="http://evil.localhost:8000")
    assert refused.value.message == NOT_CHECKED


async def test_a_wrong_relying_party_is_refused(world: World) -> None:
    _, device = await _added(world)
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, rp_id="evil.localhost")


async def test_a_credential_from_another_site_is_refused(world: World) -> None:
    """Made on us, presented to uk (even with uk's origin and relying party)."""
    _, device = await _added(world)
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, "uk", origin="http://uk.localhost:8000", rp_id="uk.localhost")


async def test_a_counter_going_back_is_refused_audited_and_turned_off(world: World) -> None:
    me, device = await _added(world)
    await _sign_in(world, device)
    await _sign_in(world, device)  # the stored counter is 3 now
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, counter=2)  # a copy of the key, behind
    assert AuditAction.PASSKEY_CLONE_SUSPECTED in await _actions(world, me.account.id)
    async with world.deps.uow() as uow:  # turned off: whichever copy is ahead may be anyone's
        assert await uow.passkeys.for_account("us", me.account.id) == []


async def test_missing_user_verification_is_refused(world: World) -> None:
    me = await _me(world)
    device = Device(*US)
    begun = await ceremonies.begin_registration(world.deps, me)
    with pytest.raises(InvalidInput):
        await ceremonies.finish_registration(
            world.deps, me, begun.token, device.create(begun.options, verified=False), WHO
        )
    again = await ceremonies.begin_registration(world.deps, me)
    await ceremonies.finish_registration(
        world.deps, me, again.token, device.create(again.options), WHO
    )
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, verified=False)
    assert (await _sign_in(world, device)).account_id == me.account.id  # verified: fine


async def test_a_user_handle_of_someone_else_is_refused(world: World) -> None:
    _, device = await _added(world)
    with pytest.raises(InvalidInput):
        await _sign_in(world, device, user_handle=b"\x00" * 32)


async def test_a_registration_challenge_answers_only_its_account(world: World) -> None:
    ana = await _me(world)
    bo = await _me(world, "bo@example.com")
    begun = await ceremonies.begin_registration(world.deps, ana)
    with pytest.raises(FlowExpired):
        await ceremonies.finish_registration(
            world.deps, bo, begun.token, Device(*US).create(begun.options), WHO
        )


async def test_a_suspended_account_cannot_sign_in_with_its_passkey(world: World) -> None:
    me, device = await _added(world)
    await suspend(trust_deps(world), me.account.id)
    with pytest.raises(AccountSuspended):
        await _sign_in(world, device)


async def test_failed_assertions_count_toward_the_accounts_lock(world: World) -> None:
    me, device = await _added(world)
    with pytest.raises(SignInLocked):
        for _ in range(world.deps.lock_policy.lock_at + 1):
            with pytest.raises(InvalidInput):
                await _sign_in(world, device, verified=False)
    with pytest.raises(SignInLocked):  # locked: the right passkey is refused too
        await _sign_in(world, device)
    assert AuditAction.SIGN_IN_FAILED in await _actions(world, me.account.id)
    # The lock says nothing of the password: its unlock link lets the owner keep it.
    async with world.deps.uow() as uow:
        [notice] = [m for m in await uow.outbox.latest() if m.kind == MessageKind.ACCOUNT_LOCKED]
    token = notice.body.split("/unlock?token=")[1].split()[0].strip(".")
    flow = await unlock.open_link(world.deps, "us", token, WHO)
    assert not await unlock.must_change_password(world.deps, "us", flow)


async def test_adding_and_removing_tell_every_contact(world: World) -> None:
    me, _ = await _added(world)
    async with world.deps.uow() as uow:
        told = [m for m in await uow.outbox.latest() if m.kind == MessageKind.PASSKEY_CHANGED]
        [kept] = await uow.passkeys.for_account("us", me.account.id)
    assert [m.to for m in told] == ["ana@example.com"] and "Ana's phone" in told[0].body
    await manage.remove(world.deps, me, kept.credential_id, WHO)
    async with world.deps.uow() as uow:
        told = [m for m in await uow.outbox.latest() if m.kind == MessageKind.PASSKEY_CHANGED]
    assert len(told) == 2 and any("removed" in m.subject for m in told)
    assert AuditAction.PASSKEY_REMOVED in await _actions(world, me.account.id)


async def test_a_password_reset_removes_the_passkeys(world: World) -> None:
    """One added by whoever knew the old password must not outlive it."""
    me, device = await _added(world)
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    code = await world.code("ana@example.com")
    await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=code)
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    with pytest.raises(InvalidInput):
        await _sign_in(world, device)
    async with world.deps.uow() as uow:
        assert await uow.passkeys.for_account("us", me.account.id) == []
        recent = await uow.audit.recent("us", me.account.id, 20)
    removed = [e for e in recent if e.action == AuditAction.PASSKEY_REMOVED]
    assert [e.detail for e in removed] == [{"count": 1, "by_reset": True}]  # in the activity


async def test_assertions_the_key_did_not_sign_never_lock_the_account(world: World) -> None:
    """Whoever learnt a credential id can send any number of them: they count on the
    address, and the owner's passkey still signs in."""
    me, device = await _added(world)
    for _ in range(world.deps.lock_policy.lock_at + 2):
        with pytest.raises(InvalidInput):
            await _sign_in(world, device, forged=True)
    assert (await _sign_in(world, device)).account_id == me.account.id


async def test_an_account_keeps_at_most_twenty_passkeys(world: World) -> None:
    me = await _me(world)
    for _ in range(PER_ACCOUNT):
        begun = await ceremonies.begin_registration(world.deps, me)
        await ceremonies.finish_registration(
            world.deps, me, begun.token, Device(*US).create(begun.options), WHO
        )
    with pytest.raises(InvalidInput) as refused:
        await ceremonies.begin_registration(world.deps, me)
    assert refused.value.params == {"most": PER_ACCOUNT}


async def test_a_credential_of_another_account_is_not_added_twice(world: World) -> None:
    """One authenticator's credential id, presented for a second account: refused without
    saying whose it is, and the first account keeps it."""
    ana, device = await _added(world)
    bo = await _me(world, "bo@example.com")
    begun = await ceremonies.begin_registration(world.deps, bo)
    twin = Device(*US, credential_id=device.credential_id)
    with pytest.raises(InvalidInput) as refused:
        await ceremonies.finish_registration(
            world.deps, bo, begun.token, twin.create(begun.options), WHO
        )
    assert refused.value.message == TAKEN
    begun = await ceremonies.begin_registration(world.deps, ana)
    with pytest.raises(InvalidInput) as again:  # the owner's own, again
        await ceremonies.finish_registration(
            world.deps, ana, begun.token, device.create(begun.options), WHO
        )
    assert again.value.message == ALREADY
    assert (await _sign_in(world, device)).account_id == ana.account.id


async def test_one_address_asks_for_a_bounded_number_of_sign_in_challenges(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every sign-in page asks for one before anyone is known; past the address's quota
    the ask is refused (the password still signs in), other addresses are not."""
    monkeypatch.setattr(ceremonies, "ASKS_PER_ADDRESS", 3)
    for _ in range(3):
        await ceremonies.begin_sign_in(world.deps, "us", WHO)
    with pytest.raises(SignInThrottled) as refused:
        await ceremonies.begin_sign_in(world.deps, "us", WHO)
    assert 0 < refused.value.retry_after <= 600
    await ceremonies.begin_sign_in(world.deps, "us", replace(WHO, ip="198.51.100.7"))
    world.clock.advance(minutes=10)
    await ceremonies.begin_sign_in(world.deps, "us", WHO)  # a new window

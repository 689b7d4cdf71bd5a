"""A passkey as the second step of sign-in, renaming one, and a copied one turned off."""

from __future__ import annotations

import json

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.errors import CodeRejected, FlowExpired, InvalidInput, NotFound, Unauthenticated
from entryway.flows.account import account
from entryway.flows.passkeys import ceremonies, manage
from entryway.flows.passkeys import second_step as passkey_step
from entryway.flows.passkeys import sign_in as passkey_sign_in
from entryway.flows.signin import second_step
from tests.conftest import World
from tests.flows.test_two_step import WHO, enrolled, password_step
from tests.passkey_device import Device, b64

US = ("us.localhost", "http://us.localhost:8000")


async def _with_passkey(world: World, identifier: str = "ana@example.com") -> tuple[str, Device]:
    """An account with two-step verification on and a passkey; its id and the passkey."""
    e = await enrolled(world, identifier)
    me = await account.current(world.deps, "us", e.token)
    device = Device(*US)
    begun = await ceremonies.begin_registration(world.deps, me)
    await ceremonies.finish_registration(
        world.deps, me, begun.token, device.create(begun.options), WHO, name="Laptop"
    )
    return me.account.id, device


async def _pass(world: World, partial: str, device: Device, **knobs: object):
    begun = await passkey_step.begin(world.deps, "us", partial)
    return await passkey_step.pass_with_passkey(
        world.deps, "us", partial, token=begun.token,
        credential=device.get(begun.options, **knobs),  # type: ignore[arg-type]
        remember=False, who=WHO,
    )  # fmt: skip


async def test_a_passkey_passes_the_second_step(world: World) -> None:
    account_id, device = await _with_passkey(world)
    partial = await password_step(world)
    options = await second_step.options(world.deps, "us", partial)
    assert options.passkeys and options.app
    asked = json.loads((await passkey_step.begin(world.deps, "us", partial)).options)
    assert asked["userVerification"] == "required"
    assert [c["id"] for c in asked["allowCredentials"]] == [b64(device.credential_id)]
    passed = await _pass(world, partial, device)
    assert passed.account_id == account_id
    me = await account.current(world.deps, "us", passed.session_token)
    assert me.session.amr == "pwd hwk user"
    with pytest.raises(Unauthenticated):  # the partial session is spent
        await second_step.pending(world.deps, "us", partial)
    async with world.deps.uow() as uow:
        actions = [e.action for e in await uow.audit.recent("us", account_id)]
    assert AuditAction.SIGN_IN_SUCCEEDED in actions


async def test_an_account_without_passkeys_is_offered_none(world: World) -> None:
    await enrolled(world)
    partial = await password_step(world)
    assert not (await second_step.options(world.deps, "us", partial)).passkeys
    with pytest.raises(InvalidInput):
        await passkey_step.begin(world.deps, "us", partial)


async def test_the_second_step_challenge_answers_only_its_partial_session(world: World) -> None:
    """Bound to the partial session: another one (even the same account's) cannot spend it,
    nor can the usernameless sign-in."""
    _, device = await _with_passkey(world)
    first = await password_step(world)
    begun = await passkey_step.begin(world.deps, "us", first)
    answer = device.get(begun.options)
    second = await password_step(world)
    with pytest.raises(FlowExpired):
        await passkey_step.pass_with_passkey(
            world.deps, "us", second, token=begun.token, credential=answer, remember=False,
            who=WHO,
        )  # fmt: skip
    with pytest.raises(FlowExpired):
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=answer, remember=False, who=WHO
        )


async def test_another_accounts_passkey_does_not_pass_the_second_step(world: World) -> None:
    await _with_passkey(world)
    _, bo_device = await _with_passkey(world, "bo@example.com")
    partial = await password_step(world)  # ana's password
    begun = await passkey_step.begin(world.deps, "us", partial)
    with pytest.raises(CodeRejected):
        await passkey_step.pass_with_passkey(
            world.deps, "us", partial, token=begun.token, credential=bo_device.get(begun.options),
            remember=False, who=WHO,
        )  # fmt: skip


@pytest.mark.parametrize(
    "knobs",
    [
        {"verified": False},
        {"origin": "http://evil.localhost:8000"},
        {"forged": True},
    ],
    ids=["no user verification", "wrong origin", "unsigned"],
)
async def test_a_failed_passkey_counts_like_a_wrong_code(
    world: World, knobs: dict[str, object]
) -> None:
    """Whoever is here knew the password: every failure counts toward the account's lock,
    signed or not, and the partial session stays for another try."""
    account_id, device = await _with_passkey(world)
    partial = await password_step(world)
    with pytest.raises(CodeRejected):
        await _pass(world, partial, device, **knobs)
    async with world.deps.uow() as uow:
        actions = [e.action for e in await uow.audit.recent("us", account_id)]
    assert AuditAction.SECOND_STEP_FAILED in actions
    assert (await _pass(world, partial, device)).account_id == account_id


async def test_failed_passkeys_at_the_second_step_lock_the_account(world: World) -> None:
    _, device = await _with_passkey(world)
    partial = await password_step(world)
    for _ in range(world.deps.lock_policy.lock_at):
        with pytest.raises(CodeRejected):
            await _pass(world, partial, device, verified=False)
    with pytest.raises(CodeRejected):  # locked now: the right passkey is refused too
        await _pass(world, partial, device)


async def test_a_passkey_is_renamed_and_the_rename_audited(world: World) -> None:
    account_id, device = await _with_passkey(world)
    partial = await password_step(world)
    me = await account.current(
        world.deps, "us", (await _pass(world, partial, device)).session_token
    )
    renamed = await manage.rename(world.deps, me, b64(device.credential_id), "  Work\tlaptop ", WHO)
    assert renamed.name == "Work laptop"
    assert [p.name for p in await manage.mine(world.deps, me)] == ["Work laptop"]
    with pytest.raises(InvalidInput):
        await manage.rename(world.deps, me, b64(device.credential_id), " \x00 ", WHO)
    with pytest.raises(NotFound):
        await manage.rename(world.deps, me, "not-mine", "x", WHO)
    async with world.deps.uow() as uow:
        actions = [e.action for e in await uow.audit.recent("us", account_id)]
    assert AuditAction.PASSKEY_RENAMED in actions


async def test_another_accounts_passkey_cannot_be_renamed(world: World) -> None:
    ana_id, ana_device = await _with_passkey(world)
    e = await enrolled(world, "bo@example.com")
    bo = await account.current(world.deps, "us", e.token)
    with pytest.raises(NotFound):
        await manage.rename(world.deps, bo, b64(ana_device.credential_id), "mine now", WHO)
    async with world.deps.uow() as uow:
        [kept] = await uow.passkeys.for_account("us", ana_id)
    assert kept.name == "Laptop"


async def test_a_copied_passkey_is_turned_off_and_every_contact_told(world: World) -> None:
    account_id, device = await _with_passkey(world)
    for _ in range(2):
        begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=device.get(begun.options),
            remember=False, who=WHO,
        )  # fmt: skip
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    with pytest.raises(InvalidInput):
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=device.get(begun.options, counter=1),
            remember=False, who=WHO,
        )  # fmt: skip
    async with world.deps.uow() as uow:
        assert await uow.passkeys.for_account("us", account_id) == []
        told = [m for m in await uow.outbox.latest() if m.kind == MessageKind.PASSKEY_CHANGED]
        actions = [e.action for e in await uow.audit.recent("us", account_id)]
    assert AuditAction.PASSKEY_CLONE_SUSPECTED in actions
    assert any("turned off" in m.subject for m in told)
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)  # the copy ahead is refused too
    with pytest.raises(InvalidInput):
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, credential=device.get(begun.options),
            remember=False, who=WHO,
        )  # fmt: skip

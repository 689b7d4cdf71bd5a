"""Probes of passkey sign-in by someone who knows only a credential id, or holds an old
assertion: none of it may lock the owner out or tell anything of the account."""

from __future__ import annotations

import asyncio
import json

import pytest

from entryway.core.events import AuditAction
from entryway.core.passkeys import Count, sign_count
from entryway.core.secrets import keyed_hash
from entryway.core.throttle import ALL_SITES, FailureScope, window_start
from entryway.errors import CodeRejected, InvalidInput, SignInLocked
from entryway.flows.account import account
from entryway.flows.passkeys import assertions, ceremonies
from entryway.flows.passkeys import second_step as passkey_step
from entryway.flows.passkeys import sign_in as passkey_sign_in
from tests.conftest import World
from tests.flows.test_passkeys import US, WHO, _actions, _added
from tests.flows.test_passkeys import _sign_in as sign_in_with
from tests.flows.test_two_step import enrolled, password_step
from tests.passkey_device import Device, b64


async def _try(world: World, token: str, answer: str) -> BaseException | None:
    try:
        await passkey_sign_in.sign_in(
            world.deps, "us", token=token, credential=answer, remember=False, who=WHO
        )
    except (InvalidInput, SignInLocked) as exc:
        return exc
    return None


async def test_forged_assertions_sent_at_once_never_lock_the_owner(world: World) -> None:
    """Counted on the address only, even in parallel: the owner still signs in."""
    me, device = await _added(world)
    begun = [
        await ceremonies.begin_sign_in(world.deps, "us", WHO)
        for _ in range(world.deps.lock_policy.lock_at + 4)
    ]
    found = await asyncio.gather(
        *(_try(world, b.token, device.get(b.options, forged=True)) for b in begun)
    )
    assert all(type(f) is assertions.Unsigned for f in found), found
    assert (await sign_in_with(world, device)).account_id == me.account.id
    assert AuditAction.ACCOUNT_LOCKED not in await _actions(world, me.account.id)


async def test_a_replayed_genuine_assertion_counts_on_the_address_only(world: World) -> None:
    """An assertion the key really signed, for a challenge long spent, sent again with new
    challenges: it answers none of them, so it proves nothing of the account."""
    me, device = await _added(world)
    old = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    captured = device.get(old.options)
    await passkey_sign_in.sign_in(
        world.deps, "us", token=old.token, credential=captured, remember=False, who=WHO
    )
    for _ in range(world.deps.lock_policy.lock_at + 2):
        fresh = await ceremonies.begin_sign_in(world.deps, "us", WHO)
        assert type(await _try(world, fresh.token, captured)) is assertions.Unsigned
    assert (await sign_in_with(world, device)).account_id == me.account.id


async def test_a_locked_account_is_not_told_apart_by_a_forged_assertion(world: World) -> None:
    _, device = await _added(world)
    for _ in range(world.deps.lock_policy.lock_at):
        with pytest.raises((InvalidInput, SignInLocked)):
            await sign_in_with(world, device, verified=False)
    with pytest.raises(SignInLocked):  # locked: the holder of the passkey is told so
        await sign_in_with(world, device)
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    refused = await _try(world, begun.token, device.get(begun.options, forged=True))
    assert type(refused) is assertions.Unsigned  # anyone else: as for an unknown passkey


async def test_an_unknown_passkey_counts_on_the_address(world: World) -> None:
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    stranger = Device(*US)
    stranger.user_handle = b"\x01" * 32
    assert isinstance(await _try(world, begun.token, stranger.get(begun.options)), InvalidInput)
    key = keyed_hash(world.deps.keys.hashing, "count-ip", WHO.ip)
    window = window_start(world.clock.now(), world.deps.lock_policy.window)
    async with world.deps.uow() as uow:
        assert await uow.counters.count(ALL_SITES, FailureScope.IP, key, window) == 1


@pytest.mark.parametrize(
    "credential_id",
    ["abc\u0000def" * 3, "x" * 1400, "not base64url!" * 2, ""],
    ids=["nul", "too long", "not base64url", "empty"],
)
async def test_a_malformed_credential_id_is_refused_in_words(
    world: World, credential_id: str
) -> None:
    """Refused before any query (a NUL once reached PostgreSQL and failed there)."""
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    with pytest.raises(InvalidInput):
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, remember=False, who=WHO,
            credential=json.dumps({"id": credential_id, "response": {}}),
        )  # fmt: skip


async def test_a_registration_with_an_oversized_credential_id_is_refused(world: World) -> None:
    me = await account.current(world.deps, "us", await _me_token(world))
    begun = await ceremonies.begin_registration(world.deps, me)
    big = Device(*US, credential_id=b"\x07" * 1024)
    with pytest.raises(InvalidInput):
        await ceremonies.finish_registration(
            world.deps, me, begun.token, big.create(begun.options), WHO
        )


async def _me_token(world: World) -> str:
    from tests.flows.test_password_reset import make

    return await make(world, "ana@example.com")


async def test_the_second_step_takes_a_passkey_without_its_user_handle(world: World) -> None:
    """A security key may leave the user handle out when the options list the account's
    passkeys (WebAuthn §7.2): the passkey's own account is checked instead."""
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    device = Device(*US)
    begun = await ceremonies.begin_registration(world.deps, me)
    await ceremonies.finish_registration(
        world.deps, me, begun.token, device.create(begun.options), WHO
    )
    partial = await password_step(world)
    step = await passkey_step.begin(world.deps, "us", partial)
    passed = await passkey_step.pass_with_passkey(
        world.deps, "us", partial, token=step.token,
        credential=device.get(step.options, user_handle=b""), remember=False, who=WHO,
    )  # fmt: skip
    assert passed.account_id == me.account.id
    # A wrong handle, when one is given, is still refused.
    partial = await password_step(world)
    step = await passkey_step.begin(world.deps, "us", partial)
    with pytest.raises(CodeRejected):
        await passkey_step.pass_with_passkey(
            world.deps, "us", partial, token=step.token,
            credential=device.get(step.options, user_handle=b"\x02" * 32), remember=False,
            who=WHO,
        )  # fmt: skip


async def test_two_assertions_racing_on_one_counter_are_judged_again(world: World) -> None:
    """The second of two uses read before the first was kept: a count above the kept one is
    kept too; the same count again means a copy."""
    me, device = await _added(world)
    async with world.deps.uow() as uow:
        [stale] = await uow.passkeys.for_account("us", me.account.id)
        await assertions.record_use(uow, stale, stale.sign_count + 1, world.clock.now())
        await assertions.record_use(uow, stale, stale.sign_count + 2, world.clock.now())
        with pytest.raises(assertions.Copied):
            await assertions.record_use(uow, stale, stale.sign_count + 2, world.clock.now())
        await uow.commit()
        [kept] = await uow.passkeys.for_account("us", me.account.id)
    assert kept.sign_count == stale.sign_count + 2
    assert sign_count(kept.sign_count, kept.sign_count) is Count.CLONED
    assert b64(device.credential_id) == kept.credential_id


async def test_a_deeply_nested_answer_is_refused_in_words(world: World) -> None:
    """Within the 64 KiB cap, arrays nested tens of thousands deep: refused, not a crash."""
    begun = await ceremonies.begin_sign_in(world.deps, "us", WHO)
    with pytest.raises(InvalidInput):
        await passkey_sign_in.sign_in(
            world.deps, "us", token=begun.token, remember=False, who=WHO,
            credential="[" * 30000 + "]" * 30000,
        )  # fmt: skip


async def test_an_unreadable_answer_at_the_second_step_counts_like_a_wrong_code(
    world: World,
) -> None:
    e = await enrolled(world)
    partial = await password_step(world)
    me = await account.current(world.deps, "us", e.token)
    device = Device(*US)
    reg = await ceremonies.begin_registration(world.deps, me)
    await ceremonies.finish_registration(world.deps, me, reg.token, device.create(reg.options), WHO)
    step = await passkey_step.begin(world.deps, "us", partial)
    with pytest.raises(CodeRejected):
        await passkey_step.pass_with_passkey(
            world.deps, "us", partial, token=step.token, credential="not json",
            remember=False, who=WHO,
        )  # fmt: skip
    assert AuditAction.SECOND_STEP_FAILED in await _actions(world, me.account.id)


async def test_a_lock_that_falls_after_the_check_still_holds(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Admitted, then locked by someone else before the session opens: no session."""
    from entryway.core.lockout import LockReason
    from entryway.flows.signin import lockout

    _, device = await _added(world)
    admit = lockout.admit

    async def admit_then_lock(*args: object, **kwargs: object) -> lockout.Admitted:
        admitted = await admit(*args, **kwargs)  # type: ignore[arg-type]
        async with world.deps.uow() as uow:
            await lockout.lock(world.deps, uow, admitted.budget, LockReason.PASSWORD_GUESSING, WHO)
            await uow.commit()
        return admitted

    monkeypatch.setattr(passkey_sign_in.lockout, "admit", admit_then_lock)
    with pytest.raises(SignInLocked):
        await sign_in_with(world, device)

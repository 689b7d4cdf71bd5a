"""Registration and sign-in flows, called directly (no HTTP)."""

from __future__ import annotations

import pytest

from entryway.core.events import AccountStatus, AuditAction, FlowPurpose
from entryway.errors import (
    CodeRejected,
    FlowExpired,
    InvalidIdentifier,
    InvalidInput,
    PasswordRejected,
    SignInFailed,
)
from entryway.flows import codes
from entryway.flows.account import registration
from entryway.flows.ports import Requester
from entryway.flows.signin import sign_in
from tests.conftest import World

PW = "quiet-meadow-lantern"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")


async def start(
    world: World, identifier: str = "ana@example.com", site: str = "us", **kw: str
) -> registration.Started:
    values = {
        "name": "Ana Lopez",
        "identifier": identifier,
        "password": PW,
        "password_again": PW,
        **kw,
    }
    return await registration.start(world.deps, site, who=WHO, **values)


async def test_account_unusable_until_code_entered(world: World) -> None:
    started = await start(world)
    assert started.sent_to == "a***@example.com"
    with pytest.raises(SignInFailed):
        await sign_in.sign_in(
            world.deps,
            "us",
            identifier="ana@example.com",
            password="nope-nope-1",
            remember=False,
            who=WHO,
        )
    result = await sign_in.sign_in(
        world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(result, sign_in.MustVerify)  # right password, never verified: a new code
    code = await world.code("ana@example.com")
    done = await registration.verify(
        world.deps, "us", flow_token=result.flow_token, code=code, who=WHO
    )
    async with world.deps.uow() as uow:
        account = await uow.accounts.get("us", done.account_id)
        actions = [e.action for e in await uow.audit.recent("us", done.account_id)]
    assert account is not None and account.status == AccountStatus.ACTIVE
    assert account.email_verified and not account.phone_verified
    assert {
        AuditAction.ACCOUNT_CREATED,
        AuditAction.ACCOUNT_VERIFIED,
        AuditAction.SIGN_IN_SUCCEEDED,
    } <= set(actions)
    ok = await sign_in.sign_in(
        world.deps, "us", identifier="Ana@Example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(ok, sign_in.SignedIn)


async def test_landlines_are_refused_as_identifiers(world: World) -> None:
    with pytest.raises(InvalidIdentifier, match="mobile"):
        await start(world, "020 7946 0000", site="uk")  # a London landline


async def test_phone_registration_by_sms(world: World) -> None:
    started = await start(world, "07400 123456", site="uk")
    assert started.sent_to == "+44 ••••• ••3456"
    code = await world.code("+447400123456")
    assert world.texter.sent[-1].site == "uk" and world.mailer.sent == []
    done = await registration.verify(
        world.deps, "uk", flow_token=started.flow_token, code=code, who=WHO
    )
    async with world.deps.uow() as uow:
        account = await uow.accounts.get("uk", done.account_id)
    assert account is not None and account.phone == "+447400123456" and account.phone_verified


@pytest.mark.parametrize(
    ("kw", "error", "field"),
    [
        ({"name": "  "}, InvalidInput, "name"),
        ({"identifier": "not an address"}, InvalidIdentifier, "identifier"),
        ({"password": "short", "password_again": "short"}, PasswordRejected, "password"),
        ({"password_again": PW + "x"}, PasswordRejected, "password_again"),
        (
            {"password": "password123", "password_again": "password123"},
            PasswordRejected,
            "password",
        ),
    ],
)
async def test_bad_input_refused_with_its_field_and_nothing_written(
    world: World, kw: dict[str, str], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        await start(world, **kw)
    assert getattr(caught.value, "field", None) == field
    async with world.deps.uow() as uow:
        assert await uow.outbox.latest() == []


async def test_code_rules_five_tries_expiry_single_use_and_resend(world: World) -> None:
    started = await start(world)
    for _ in range(5):
        with pytest.raises(CodeRejected):
            await registration.verify(
                world.deps, "us", flow_token=started.flow_token, code="000001", who=WHO
            )
    right = await world.code("ana@example.com")
    with pytest.raises(CodeRejected, match="too many"):  # the code is used up, even if right
        await registration.verify(
            world.deps, "us", flow_token=started.flow_token, code=right, who=WHO
        )
    await codes.resend(world.deps, "us", started.flow_token, FlowPurpose.REGISTRATION, WHO)
    newer = await world.code("ana@example.com")
    world.clock.advance(minutes=11)
    with pytest.raises(CodeRejected, match="expired"):
        await registration.verify(
            world.deps, "us", flow_token=started.flow_token, code=newer, who=WHO
        )
    await codes.resend(world.deps, "us", started.flow_token, FlowPurpose.REGISTRATION, WHO)
    latest = await world.code("ana@example.com")
    await registration.verify(
        world.deps,
        "us",
        flow_token=started.flow_token,
        code=f" {latest[:3]} {latest[3:]} ",
        who=WHO,
    )
    with pytest.raises(FlowExpired):
        await registration.verify(
            world.deps, "us", flow_token=started.flow_token, code=latest, who=WHO
        )


async def test_resends_are_capped_per_flow(world: World) -> None:
    started = await start(world)
    for _ in range(4):
        await codes.resend(world.deps, "us", started.flow_token, FlowPurpose.REGISTRATION, WHO)
    with pytest.raises(CodeRejected, match="too many codes"):
        await codes.resend(world.deps, "us", started.flow_token, FlowPurpose.REGISTRATION, WHO)


async def test_registering_again_voids_the_older_code(world: World) -> None:
    first = await start(world)
    old = await world.code("ana@example.com")
    second = await start(world)
    with pytest.raises(FlowExpired):
        await registration.verify(world.deps, "us", flow_token=first.flow_token, code=old, who=WHO)
    new = await world.code("ana@example.com")
    await registration.verify(world.deps, "us", flow_token=second.flow_token, code=new, who=WHO)


async def test_taken_identifier_gets_a_decoy_that_never_completes(world: World) -> None:
    first = await start(world)
    await registration.verify(
        world.deps,
        "us",
        flow_token=first.flow_token,
        code=await world.code("ana@example.com"),
        who=WHO,
    )
    decoy = await start(world, password="another-long-phrase", password_again="another-long-phrase")
    await world.deliver()
    assert "already has one" in world.mailer.sent[-1].body
    for guess in ("000000", "123456"):
        with pytest.raises(CodeRejected):
            await registration.verify(
                world.deps, "us", flow_token=decoy.flow_token, code=guess, who=WHO
            )
    ok = await sign_in.sign_in(
        world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(ok, sign_in.SignedIn)  # the owner's password was not replaced


async def test_rehash_on_sign_in_when_parameters_rise(world: World) -> None:
    from dataclasses import replace

    from entryway.adapters.hashing import Argon2Hasher, Argon2Params
    from entryway.bootstrap import derive
    from tests.conftest import SECRET

    first = await start(world)
    done = await registration.verify(
        world.deps,
        "us",
        flow_token=first.flow_token,
        code=await world.code("ana@example.com"),
        who=WHO,
    )
    stronger = Argon2Hasher(
        Argon2Params(time_cost=3), concurrency=1, pepper=derive(SECRET, "password-pepper")
    )
    deps = replace(world.deps, hasher=stronger)
    await sign_in.sign_in(
        deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
    )
    async with world.deps.uow() as uow:
        account = await uow.accounts.get("us", done.account_id)
    assert account is not None and ",t=3," in account.password_hash

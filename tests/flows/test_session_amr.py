"""Each sign-in path stores how the session was signed in (``Session.amr``, RFC 8176), the
source of the ``amr`` and ``acr`` an app's ID token carries: a password alone "pwd"; after
a second step "pwd otp" (an app's code or a backup code), "pwd sms" (a text) or "pwd tel"
(a call). Neither the unusual-sign-in code nor a remembered browser is a factor."""

from __future__ import annotations

import re

import pytest

from entryway.core.apps import acr_of, amr_of
from entryway.errors import SignInFailed
from entryway.flows.account import account, registration, two_step
from entryway.flows.common import session_hash
from entryway.flows.signin import second_step, sign_in, unusual
from tests.conftest import World
from tests.flows.test_two_step import PW, WHO, code_now, enrolled, password_step

ANA = "ana@example.com"


async def _amr(world: World, token: str) -> str:
    async with world.deps.uow() as uow:
        session = await uow.sessions.get("us", session_hash(world.deps, token))
    assert session is not None
    return session.amr


async def _with_phone(world: World) -> str:
    """Ana with a text-message second step only; her session token."""
    started = await registration.start(
        world.deps, "us", name="Ana", identifier=ANA, password=PW, password_again=PW, who=WHO
    )
    done = await registration.verify(
        world.deps, "us", flow_token=started.flow_token, code=await world.code(ANA), who=WHO
    )
    me = await account.current(world.deps, "us", done.session_token)
    token, _ = await two_step.start_phone(world.deps, me, "(201) 555-0147", "sms", WHO)
    await two_step.confirm_phone(world.deps, me, token, await world.code("+12015550147"), WHO)
    return done.session_token


async def test_registration_and_a_password_alone_are_pwd(world: World) -> None:
    started = await registration.start(
        world.deps, "us", name="Ana", identifier=ANA, password=PW, password_again=PW, who=WHO
    )
    done = await registration.verify(
        world.deps, "us", flow_token=started.flow_token, code=await world.code(ANA), who=WHO
    )
    assert await _amr(world, done.session_token) == "pwd"
    signed = await sign_in.sign_in(
        world.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)
    assert await _amr(world, signed.session_token) == "pwd"
    assert acr_of(amr_of(["pwd"])) == "1"


async def test_an_authenticator_app_code_is_otp_and_two_factors(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    passed = await second_step.pass_with_app(
        world.deps, "us", await password_step(world), code_now(world, e.key), remember=False,
        who=WHO, remember_browser=True,
    )  # fmt: skip
    amr = await _amr(world, passed.session_token)
    assert amr == "pwd otp"
    assert amr_of(amr.split()) == ["pwd", "otp", "mfa"] and acr_of(amr_of(amr.split())) == "2"
    # A remembered browser skips the second step: this sign-in used a password alone.
    again = await sign_in.sign_in(
        world.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO,
        browser=passed.browser_token or "",
    )  # fmt: skip
    assert isinstance(again, sign_in.SignedIn)
    assert await _amr(world, again.session_token) == "pwd"


async def test_a_backup_code_is_otp(world: World) -> None:
    e = await enrolled(world)
    passed = await second_step.pass_with_backup_code(
        world.deps, "us", await password_step(world), e.backup[0], remember=False, who=WHO
    )
    assert await _amr(world, passed.session_token) == "pwd otp"


async def test_a_texted_code_is_sms_and_a_called_one_tel(world: World) -> None:
    await _with_phone(world)
    for channel, expected in (("sms", "pwd sms"), ("voice", "pwd tel")):
        partial = await password_step(world)
        options = await second_step.options(world.deps, "us", partial)
        await second_step.send_phone_code(
            world.deps, "us", partial, options.phones[0].factor_id, channel, WHO
        )
        await world.deliver()
        sent = world.texter.sent[-1]
        assert sent.kind == channel
        code = re.sub(r"\D", "", sent.body.split("Again")[0])[:6]
        passed = await second_step.pass_with_phone(
            world.deps, "us", partial, code, remember=False, who=WHO
        )
        assert await _amr(world, passed.session_token) == expected


async def test_a_text_then_a_call_is_named_by_the_code_that_was_used(world: World) -> None:
    """Asking for a call after a text voids the texted code: the session says tel."""
    await _with_phone(world)
    partial = await password_step(world)
    factor = (await second_step.options(world.deps, "us", partial)).phones[0].factor_id
    await second_step.send_phone_code(world.deps, "us", partial, factor, "sms", WHO)
    await second_step.send_phone_code(world.deps, "us", partial, factor, "voice", WHO)
    await world.deliver()
    call = world.texter.sent[-1]
    code = re.sub(r"\D", "", call.body.split("Again")[0])[:6]
    passed = await second_step.pass_with_phone(
        world.deps, "us", partial, code, remember=False, who=WHO
    )
    assert await _amr(world, passed.session_token) == "pwd tel"


async def test_the_unusual_sign_in_code_adds_no_factor(world: World) -> None:
    started = await registration.start(
        world.deps, "us", name="Ana", identifier=ANA, password=PW, password_again=PW, who=WHO
    )
    await registration.verify(
        world.deps, "us", flow_token=started.flow_token, code=await world.code(ANA), who=WHO
    )
    for _ in range(3):  # recent failures make a right password from a new device unusual
        with pytest.raises(SignInFailed):
            await sign_in.sign_in(
                world.deps, "us", identifier=ANA, password="wrong-guess-123", remember=False,
                who=WHO,
            )  # fmt: skip
        world.clock.advance(seconds=60)
    challenged = await sign_in.sign_in(
        world.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO
    )
    assert isinstance(challenged, sign_in.MustConfirm)
    confirmed = await unusual.confirm(
        world.deps, "us", flow_token=challenged.flow_token, code=await world.code(ANA),
        remember=False, who=WHO,
    )  # fmt: skip
    assert await _amr(world, confirmed.session_token) == "pwd"

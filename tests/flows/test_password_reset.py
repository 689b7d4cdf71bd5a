"""Forgotten password, through the flow: codes, choices, quotas, races and what a reset ends."""

from __future__ import annotations

import asyncio

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.errors import CodeRejected, FlowExpired, InvalidInput, PasswordRejected, SignInFailed
from entryway.flows.account import account, registration
from entryway.flows.ports import Requester
from entryway.flows.recovery import password_reset
from entryway.flows.signin import sign_in
from tests.conftest import World

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")


async def make(world: World, identifier: str = "ana@example.com", site: str = "us") -> str:
    started = await registration.start(
        world.deps,
        site,
        name="Ana Lopez",
        identifier=identifier,
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps, site, flow_token=started.flow_token, code=await world.code(identifier), who=WHO
    )
    return done.session_token


async def add_phone(world: World, token: str, phone: str = "+12015550123") -> None:
    me = await account.current(world.deps, "us", token)
    from entryway.core.identifiers import IdentifierKind

    started = await account.start_contact_change(world.deps, me, IdentifierKind.PHONE, phone, WHO)
    await account.confirm_contact_change(
        world.deps, me, IdentifierKind.PHONE, started.flow_token, await world.code(phone), WHO
    )


async def test_security_16_reset_ends_sessions_and_notifies(world: World) -> None:
    session = await make(world)
    other = await sign_in.sign_in(
        world.deps, "us", identifier="ana@example.com", password=PW, remember=True, who=WHO
    )
    progress = await password_reset.start(world.deps, "us", identifier="ANA@example.com", who=WHO)
    assert progress.stage == "code" and progress.sent_to == "a***@example.com"
    code = await world.code("ana@example.com")
    with pytest.raises(FlowExpired):  # skipping to the new password is refused
        await password_reset.complete(
            world.deps,
            "us",
            flow_token=progress.flow_token,
            password=NEW,
            password_again=NEW,
            who=WHO,
        )
    await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=code)
    with pytest.raises(PasswordRejected, match="haven't used"):
        await password_reset.complete(
            world.deps,
            "us",
            flow_token=progress.flow_token,
            password=PW,
            password_again=PW,
            who=WHO,
        )
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    assert isinstance(other, sign_in.SignedIn)
    for token in (session, other.session_token):  # every session ended (SECURITY.md 16)
        with pytest.raises(Exception, match="sign in"):
            await account.current(world.deps, "us", token)
    with pytest.raises(SignInFailed):
        await sign_in.sign_in(
            world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
        )
    ok = await sign_in.sign_in(
        world.deps, "us", identifier="ana@example.com", password=NEW, remember=False, who=WHO
    )
    assert isinstance(ok, sign_in.SignedIn)
    await world.deliver()
    assert "was reset" in world.mailer.sent[-1].subject
    with pytest.raises(FlowExpired):  # the flow is finished
        await password_reset.complete(
            world.deps,
            "us",
            flow_token=progress.flow_token,
            password=NEW + "x",
            password_again=NEW + "x",
            who=WHO,
        )


async def test_choice_by_index_with_sms_and_voice(world: World) -> None:
    token = await make(world)
    await add_phone(world, token)
    progress = await password_reset.start(world.deps, "us", identifier="(201) 555-0123", who=WHO)
    assert progress.stage == "choose"
    assert [(c.index, c.masked, [ch.value for ch in c.channels]) for c in progress.choices] == [
        (0, "a***@example.com", ["email"]),
        (1, "•••-•••-0123", ["sms", "voice"]),
    ]
    with pytest.raises(InvalidInput):
        await password_reset.choose(
            world.deps, "us", flow_token=progress.flow_token, index=2, channel="sms", who=WHO
        )
    with pytest.raises(InvalidInput):
        await password_reset.choose(
            world.deps, "us", flow_token=progress.flow_token, index=0, channel="voice", who=WHO
        )
    chosen = await password_reset.choose(
        world.deps, "us", flow_token=progress.flow_token, index=1, channel="voice", who=WHO
    )
    assert chosen.sent_to == "•••-•••-0123" and chosen.channel == "voice"
    await world.deliver()
    call = world.texter.sent[-1]
    assert call.kind == "voice" and call.to == "+12015550123"
    digits = "".join(c for c in call.body.split("Again")[0] if c.isdigit())
    await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=digits)


async def test_resend_waits_voids_older_code_and_counts_toward_daily_cap(world: World) -> None:
    await make(world)
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    first = await world.code("ana@example.com")
    with pytest.raises(CodeRejected, match="wait"):
        await password_reset.resend(world.deps, "us", flow_token=progress.flow_token, who=WHO)
    world.clock.advance(seconds=31)
    await password_reset.resend(world.deps, "us", flow_token=progress.flow_token, who=WHO)
    second = await world.code("ana@example.com")
    if first != second:
        with pytest.raises(CodeRejected):
            await password_reset.verify(
                world.deps, "us", flow_token=progress.flow_token, code=first
            )
    for _ in range(7):  # 10 codes a day, whichever flow asks (the sign-up code counts too)
        world.clock.advance(seconds=31)
        fresh = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    with pytest.raises(CodeRejected, match="too many"):
        await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    world.clock.advance(days=1)
    fresh = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    assert fresh.stage == "code"


async def test_20_parallel_submissions_of_one_code_exactly_one_wins(world: World) -> None:
    await make(world)
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    code = await world.code("ana@example.com")

    async def attempt() -> bool:
        try:
            await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=code)
        except (CodeRejected, FlowExpired):
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(20)))
    assert results.count(True) == 1


async def test_security_28_reset_codes_are_bound_to_site_and_flow(world: World) -> None:
    await make(world, site="us")
    await make(world, site="uk")
    us = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    code = await world.code("ana@example.com")
    with pytest.raises(FlowExpired):
        await password_reset.verify(world.deps, "uk", flow_token=us.flow_token, code=code)
    with pytest.raises(FlowExpired):
        await registration.verify(world.deps, "us", flow_token=us.flow_token, code=code, who=WHO)
    await password_reset.verify(world.deps, "us", flow_token=us.flow_token, code=code)


async def test_unknown_identifier_gets_a_decoy_that_never_sends_or_verifies(world: World) -> None:
    progress = await password_reset.start(
        world.deps, "us", identifier="nobody@example.com", who=WHO
    )
    again = await password_reset.start(world.deps, "us", identifier="nobody@example.com", who=WHO)
    assert [c.masked for c in progress.choices] == [c.masked for c in again.choices]
    if progress.stage == "choose":
        progress = await password_reset.choose(
            world.deps, "us", flow_token=progress.flow_token, index=0, channel="email", who=WHO
        )
    assert progress.sent_to == "n***@example.com"
    for guess in ("000000", "123456"):
        with pytest.raises(CodeRejected):
            await password_reset.verify(
                world.deps, "us", flow_token=progress.flow_token, code=guess
            )
    assert await world.deliver() == 0


async def test_unknown_address_notice_when_the_site_asks_for_it(world: World) -> None:
    from dataclasses import replace

    from entryway.core.sites import SiteDirectory

    sites = [replace(s, reset_notice_unknown=True) for s in world.deps.sites.sites]
    deps = replace(world.deps, sites=SiteDirectory(sites))
    await password_reset.start(deps, "us", identifier="nobody@example.com", who=WHO)
    await password_reset.start(deps, "us", identifier="nobody@example.com", who=WHO)
    await world.deliver()
    assert [m.to for m in world.mailer.sent] == ["nobody@example.com"]
    assert "no account on this site" in world.mailer.sent[0].body


async def test_security_14_reset_voids_other_flows_and_is_audited(world: World) -> None:
    session = await make(world)
    me = await account.current(world.deps, "us", session)
    from entryway.core.identifiers import IdentifierKind

    change = await account.start_contact_change(
        world.deps, me, IdentifierKind.EMAIL, "new@example.com", WHO
    )
    pending = await world.code("new@example.com")
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    await password_reset.verify(
        world.deps, "us", flow_token=progress.flow_token, code=await world.code("ana@example.com")
    )
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    with pytest.raises(FlowExpired):  # SECURITY.md 14: a password change voids older codes
        await account.confirm_contact_change(
            world.deps, me, IdentifierKind.EMAIL, change.flow_token, pending, WHO
        )
    async with world.deps.uow() as uow:
        actions = [e.action for e in await uow.audit.recent("us", me.account.id)]
    assert AuditAction.PASSWORD_RESET in actions and AuditAction.PASSWORD_RESET_STARTED in actions
    async with world.deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.RESET_CODE in kinds


async def test_security_16_every_contact_is_told(world: World) -> None:
    token = await make(world)
    await add_phone(world, token)
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    progress = await password_reset.choose(
        world.deps, "us", flow_token=progress.flow_token, index=0, channel="email", who=WHO
    )
    await password_reset.verify(
        world.deps, "us", flow_token=progress.flow_token, code=await world.code("ana@example.com")
    )
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    await world.deliver()
    assert "was reset" in world.mailer.sent[-1].subject
    assert world.texter.sent[-1].to == "+12015550123" and "reset" in world.texter.sent[-1].body


async def test_security_14_contact_or_password_change_voids_a_reset_in_progress(
    world: World,
) -> None:
    from entryway.core.identifiers import IdentifierKind

    token = await make(world)
    me = await account.current(world.deps, "us", token)
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    old_code = await world.code("ana@example.com")
    change = await account.start_contact_change(
        world.deps, me, IdentifierKind.EMAIL, "ana.new@example.com", WHO
    )
    await account.confirm_contact_change(
        world.deps,
        me,
        IdentifierKind.EMAIL,
        change.flow_token,
        await world.code("ana.new@example.com"),
        WHO,
    )
    with pytest.raises(FlowExpired):
        await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=old_code)
    second = await password_reset.start(world.deps, "us", identifier="ana.new@example.com", who=WHO)
    code = await world.code("ana.new@example.com")
    me = await account.current(world.deps, "us", token)
    await account.change_password(
        world.deps, me, current_password=PW, new=NEW, new_again=NEW, who=WHO
    )
    with pytest.raises(FlowExpired):
        await password_reset.verify(world.deps, "us", flow_token=second.flow_token, code=code)


async def test_security_11_quotas_per_destination_and_ip(world: World) -> None:
    from entryway.flows.common import DAILY_CODES_PER_IP

    async def ask(identifier: str, ip: str) -> None:
        who = Requester(ip=ip)
        progress = await password_reset.start(world.deps, "us", identifier=identifier, who=who)
        if progress.stage == "choose":  # some addresses offer a choice first; pick the email
            await password_reset.choose(
                world.deps, "us", flow_token=progress.flow_token, index=0, channel="email", who=who
            )

    for i in range(DAILY_CODES_PER_IP):  # one IP asking codes for many different addresses
        await ask(f"n{i}@example.com", "198.51.100.7")
    with pytest.raises(CodeRejected, match="too many"):
        await ask("one-more@example.com", "198.51.100.7")
    await make(world, "bo@example.com")
    for i in range(9):  # the sign-up code was the first to this destination today
        await ask("bo@example.com", f"203.0.113.{i}")
    with pytest.raises(CodeRejected, match="too many"):
        await ask("bo@example.com", "203.0.113.99")

"""Two-step verification through the flows: enrolment, the challenge, races and reach."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from entryway.core import totp
from entryway.core.events import AuditAction
from entryway.errors import CodeRejected, Forbidden, InvalidInput, Unauthenticated
from entryway.flows.account import account, registration, two_step
from entryway.flows.ports import Requester
from entryway.flows.recovery import password_reset
from entryway.flows.signin import second_step, sign_in
from tests.conftest import World

PW = "quiet-meadow-lantern"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")
NEW = "harbour-lights-at-dusk"


@dataclass
class Enrolled:
    key: bytes
    backup: list[str]
    token: str


async def enrolled(world: World, identifier: str = "ana@example.com") -> Enrolled:
    started = await registration.start(
        world.deps,
        "us",
        name="Ana Lopez",
        identifier=identifier,
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps, "us", flow_token=started.flow_token, code=await world.code(identifier), who=WHO
    )
    me = await account.current(world.deps, "us", done.session_token)
    enrolment = await two_step.start_app(world.deps, me)
    key = totp.parse_key(enrolment.key)
    code = totp.totp(key, totp.step_at(world.clock.now()))
    backup = await two_step.confirm_app(world.deps, me, enrolment.factor_id, code, WHO)
    assert backup is not None and len(backup) == 10
    return Enrolled(key=key, backup=backup, token=done.session_token)


async def reset_by_email(world: World, new: str = NEW) -> None:
    """Forgot your password? for ana@example.com, by the emailed code."""
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    await password_reset.verify(
        world.deps, "us", flow_token=progress.flow_token, code=await world.code("ana@example.com")
    )
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=new, password_again=new, who=WHO
    )


def code_now(world: World, key: bytes, offset: int = 0) -> str:
    return totp.totp(key, totp.step_at(world.clock.now()) + offset)


async def password_step(world: World, identifier: str = "ana@example.com") -> str:
    result = await sign_in.sign_in(
        world.deps, "us", identifier=identifier, password=PW, remember=False, who=WHO
    )
    assert isinstance(result, sign_in.SecondStep)
    return result.partial_token


async def test_sign_in_with_app_after_password(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    partial = await password_step(world)
    passed = await second_step.pass_with_app(
        world.deps, "us", partial, code_now(world, e.key), remember=False, who=WHO
    )
    me = await account.current(world.deps, "us", passed.session_token)
    assert me.account.two_step
    with pytest.raises(Unauthenticated):  # the partial session is gone
        await second_step.pending(world.deps, "us", partial)


async def test_security_18_each_step_once_and_window_of_one(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=90)
    code = code_now(world, e.key)
    await second_step.pass_with_app(
        world.deps, "us", await password_step(world), code, remember=False, who=WHO
    )
    with pytest.raises(CodeRejected):  # the same step again: a replay
        await second_step.pass_with_app(
            world.deps, "us", await password_step(world), code, remember=False, who=WHO
        )
    partial = await password_step(world)
    await second_step.pass_with_app(
        world.deps, "us", partial, code_now(world, e.key, -1), remember=False, who=WHO
    )  # one step back is accepted
    with pytest.raises(CodeRejected):
        await second_step.pass_with_app(
            world.deps,
            "us",
            await password_step(world),
            code_now(world, e.key, -2),
            remember=False,
            who=WHO,
        )


async def test_security_19_wrong_codes_count_toward_the_account(world: World) -> None:
    from entryway.core.throttle import FailureScope, window_start
    from entryway.flows.signin.lockout import account_key

    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    for _ in range(3):
        with pytest.raises(CodeRejected):
            await second_step.pass_with_app(
                world.deps, "us", await password_step(world), "000000", remember=False, who=WHO
            )
    key = account_key(world.deps, me.account.id)
    async with world.deps.uow() as uow:
        count = await uow.counters.count(
            "us", FailureScope.ACCOUNT, key, window_start(world.clock.now())
        )
        actions = [e.action for e in await uow.audit.recent("us", me.account.id)]
    assert count == 3
    assert actions.count(AuditAction.SECOND_STEP_FAILED) == 3


async def test_security_20_parallel_uses_of_one_backup_code(world: World) -> None:
    e = await enrolled(world)
    partials = [await password_step(world) for _ in range(20)]

    async def use(partial: str) -> bool:
        try:
            await second_step.pass_with_backup_code(
                world.deps, "us", partial, e.backup[0], remember=False, who=WHO
            )
        except CodeRejected:
            return False
        return True

    results = await asyncio.gather(*(use(p) for p in partials))
    assert results.count(True) == 1


async def test_parallel_uses_of_one_totp_step(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    partials = [await password_step(world) for _ in range(20)]
    code = code_now(world, e.key)

    async def use(partial: str) -> bool:
        try:
            await second_step.pass_with_app(
                world.deps, "us", partial, code, remember=False, who=WHO
            )
        except CodeRejected:
            return False
        return True

    results = await asyncio.gather(*(use(p) for p in partials))
    assert results.count(True) == 1


async def test_security_21_partial_session_reaches_nothing_else_and_expires(world: World) -> None:
    e = await enrolled(world)
    partial = await password_step(world)
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", partial)
    world.clock.advance(minutes=11)
    with pytest.raises(Unauthenticated):
        await second_step.pass_with_app(
            world.deps, "us", partial, code_now(world, e.key), remember=False, who=WHO
        )


async def test_security_22_changes_need_recent_password_and_notify(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(minutes=11)
    me = await account.current(world.deps, "us", e.token)
    with pytest.raises(Forbidden):
        await two_step.new_backup_codes(world.deps, me, WHO)
    await two_step.reauthenticate(world.deps, me, PW, WHO)
    me = await account.current(world.deps, "us", e.token)
    fresh = await two_step.new_backup_codes(world.deps, me, WHO)
    assert set(fresh).isdisjoint(e.backup)
    with pytest.raises(CodeRejected):  # a new set voids the old
        await second_step.pass_with_backup_code(
            world.deps, "us", await password_step(world), e.backup[1], remember=False, who=WHO
        )
    await world.deliver()
    subjects = [m.subject for m in world.mailer.sent if m.to == "ana@example.com"]
    assert subjects.count("Acme Market: two-step verification changed") >= 2


async def test_security_23_no_enrolment_without_verified_email(world: World) -> None:
    started = await registration.start(
        world.deps,
        "us",
        name="Bo",
        identifier="201 555 0199",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps,
        "us",
        flow_token=started.flow_token,
        code=await world.code("+12015550199"),
        who=WHO,
    )
    me = await account.current(world.deps, "us", done.session_token)
    with pytest.raises(InvalidInput, match="email"):
        await two_step.start_app(world.deps, me)


async def test_security_23_enrolment_code_is_not_a_sign_in_code(world: World) -> None:
    e = await enrolled(world)  # confirmed with the code of the current step
    with pytest.raises(CodeRejected):
        await second_step.pass_with_app(
            world.deps,
            "us",
            await password_step(world),
            code_now(world, e.key),
            remember=False,
            who=WHO,
        )


async def test_security_16_reset_keeps_two_step(world: World) -> None:
    await enrolled(world)
    await reset_by_email(world)
    result = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password="harbour-lights-at-dusk",
        remember=False,
        who=WHO,
    )
    assert isinstance(result, sign_in.SecondStep)


async def test_removing_the_last_app_turns_two_step_off(world: World) -> None:
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    info = await two_step.overview(world.deps, me)
    await two_step.remove_app(world.deps, me, info.methods[0].id, WHO)
    result = await sign_in.sign_in(
        world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(result, sign_in.SignedIn)


async def test_remembered_browser_skips_the_challenge_until_forgotten(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    passed = await second_step.pass_with_app(
        world.deps,
        "us",
        await password_step(world),
        code_now(world, e.key),
        remember=False,
        who=WHO,
        remember_browser=True,
    )
    assert passed.browser_token
    again = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password=PW,
        remember=False,
        who=WHO,
        browser=passed.browser_token,
    )
    assert isinstance(again, sign_in.SignedIn)
    other = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password=PW,
        remember=False,
        who=WHO,
        browser="forged-token",
    )
    assert isinstance(other, sign_in.SecondStep)
    me = await account.current(world.deps, "us", again.session_token)
    [browser] = await two_step.remembered(world.deps, me)
    await two_step.forget_browser(world.deps, me, browser.public_id, WHO)
    later = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password=PW,
        remember=False,
        who=WHO,
        browser=passed.browser_token,
    )
    assert isinstance(later, sign_in.SecondStep)


async def test_remembered_browsers_forgotten_by_a_reset_and_by_2sv_changes(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    passed = await second_step.pass_with_app(
        world.deps,
        "us",
        await password_step(world),
        code_now(world, e.key),
        remember=False,
        who=WHO,
        remember_browser=True,
    )
    await reset_by_email(world)
    result = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password="harbour-lights-at-dusk",
        remember=False,
        who=WHO,
        browser=passed.browser_token or "",
    )
    assert isinstance(result, sign_in.SecondStep)  # SECURITY.md 16: 2SV still required


async def test_contact_customer_service_from_the_partial_session(world: World) -> None:
    from entryway.flows.support import cases as support

    await enrolled(world)
    partial = await password_step(world)
    number = await support.contact_from_second_step(
        world.deps, "us", partial, "I lost my phone.", WHO
    )
    assert len(number) == 8 and number.isdigit()
    me = await second_step.pending(world.deps, "us", partial)
    async with world.deps.uow() as uow:
        [case] = await uow.cases.for_account("us", me.account.id)
        assert await uow.cases.for_account("uk", me.account.id) == []
    assert case.number == number and case.password_passed and case.topic == "two_step"
    await world.deliver()
    assert number in world.mailer.sent[-1].subject
    with pytest.raises(InvalidInput):
        await support.contact_from_second_step(world.deps, "us", partial, "   ", WHO)
    with pytest.raises(Unauthenticated):  # only from a partial session
        await support.contact_from_second_step(world.deps, "us", "not-a-session", "hi", WHO)


async def test_phone_method_by_text_and_by_voice(world: World) -> None:
    started = await registration.start(
        world.deps,
        "us",
        name="Ana",
        identifier="ana@example.com",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps,
        "us",
        flow_token=started.flow_token,
        code=await world.code("ana@example.com"),
        who=WHO,
    )
    me = await account.current(world.deps, "us", done.session_token)
    token, sent_to = await two_step.start_phone(world.deps, me, "(201) 555-0147", "sms", WHO)
    assert sent_to == "•••-•••-0147"
    backup = await two_step.confirm_phone(
        world.deps, me, token, await world.code("+12015550147"), WHO
    )
    assert backup is not None and len(backup) == 10
    partial = await password_step(world)
    options = await second_step.options(world.deps, "us", partial)
    assert not options.app and options.backup
    assert [p.masked for p in options.phones] == ["•••-•••-0147"]
    assert options.preferred == options.phones[0].factor_id
    await second_step.send_phone_code(
        world.deps, "us", partial, options.phones[0].factor_id, "voice", WHO
    )
    await world.deliver()
    call = world.texter.sent[-1]
    assert call.kind == "voice" and call.to == "+12015550147"
    code = "".join(c for c in call.body.split("Again")[0] if c.isdigit())
    with pytest.raises(CodeRejected):
        await second_step.pass_with_phone(
            world.deps, "us", partial, "000000", remember=False, who=WHO
        )
    passed = await second_step.pass_with_phone(
        world.deps, "us", partial, code, remember=False, who=WHO
    )
    assert (await account.current(world.deps, "us", passed.session_token)).account.two_step


async def test_phone_codes_are_bound_to_their_partial_session(world: World) -> None:
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    token, _ = await two_step.start_phone(world.deps, me, "201 555 0148", "sms", WHO)
    await two_step.confirm_phone(world.deps, me, token, await world.code("+12015550148"), WHO)
    first = await password_step(world)
    second = await password_step(world)
    phone = (await second_step.options(world.deps, "us", first)).phones[0]
    await second_step.send_phone_code(world.deps, "us", first, phone.factor_id, "sms", WHO)
    code = await world.code("+12015550148")
    with pytest.raises(CodeRejected):  # another partial session cannot use that code
        await second_step.pass_with_phone(world.deps, "us", second, code, remember=False, who=WHO)
    await second_step.pass_with_phone(world.deps, "us", first, code, remember=False, who=WHO)


async def test_security_22_changes_are_told_by_text_to_2sv_phones(world: World) -> None:
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    token, _ = await two_step.start_phone(world.deps, me, "201 555 0150", "sms", WHO)
    await two_step.confirm_phone(world.deps, me, token, await world.code("+12015550150"), WHO)
    me = await account.current(world.deps, "us", e.token)
    await two_step.new_backup_codes(world.deps, me, WHO)
    await world.deliver()
    texts = [t.body for t in world.texter.sent if t.to == "+12015550150"]
    assert any("backup codes" in t for t in texts)


async def test_security_26_sign_out_everywhere_ends_partial_sessions_too(world: World) -> None:
    e = await enrolled(world)
    partial = await password_step(world)
    me = await account.current(world.deps, "us", e.token)
    await account.end_all_sessions(world.deps, me, WHO)
    with pytest.raises(Unauthenticated):
        await second_step.pending(world.deps, "us", partial)
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", e.token)


async def test_half_finished_sign_ins_are_not_listed_as_devices(world: World) -> None:
    e = await enrolled(world)
    await password_step(world)
    me = await account.current(world.deps, "us", e.token)
    info = await account.overview(world.deps, me)
    assert [s.public_id for s in info.sessions] == [me.session.public_id]


async def test_wrong_code_messages_name_the_method(world: World) -> None:
    await enrolled(world)
    with pytest.raises(CodeRejected, match="authenticator app"):
        await second_step.pass_with_app(
            world.deps, "us", await password_step(world), "000000", remember=False, who=WHO
        )
    with pytest.raises(CodeRejected, match="backup code"):
        await second_step.pass_with_backup_code(
            world.deps,
            "us",
            await password_step(world),
            "0000-0000-0000-0000",
            remember=False,
            who=WHO,
        )


# From review: races, limits and notices around the second step.


async def test_one_partial_session_gives_at_most_one_full_session(world: World) -> None:
    e = await enrolled(world)
    partial = await password_step(world)

    async def use(code: str) -> bool:
        try:
            await second_step.pass_with_backup_code(
                world.deps, "us", partial, code, remember=False, who=WHO
            )
        except (CodeRejected, Unauthenticated):
            return False
        return True

    results = await asyncio.gather(*(use(c) for c in e.backup[:5]))
    assert results.count(True) == 1
    me = await account.current(world.deps, "us", e.token)
    assert (await two_step.overview(world.deps, me)).backup_codes_left == 9  # others rolled back


async def test_security_19_second_step_stops_checking_after_ten_failures(world: World) -> None:
    from entryway.errors import SignInLocked

    e = await enrolled(world)
    partial = await password_step(world)
    for _ in range(10):
        with pytest.raises(CodeRejected, match="isn't right"):
            await second_step.pass_with_backup_code(
                world.deps, "us", partial, "0000-0000-0000-0000", remember=False, who=WHO
            )
    # The tenth locked the account: even the right code is not checked any more...
    with pytest.raises(CodeRejected, match="locked"):
        await second_step.pass_with_backup_code(
            world.deps, "us", partial, e.backup[0], remember=False, who=WHO
        )
    with pytest.raises(SignInLocked):  # ...nor the password, from a new device
        await password_step(world)
    world.clock.advance(hours=1)  # the lock lifts by itself (lock_for)
    await second_step.pass_with_backup_code(
        world.deps, "us", await password_step(world), e.backup[0], remember=False, who=WHO
    )


async def test_security_29_right_password_wrong_second_step_is_told_once_a_day(
    world: World,
) -> None:
    await enrolled(world)

    def told() -> int:
        return len([m for m in world.mailer.sent if "someone entered your password" in m.subject])

    for _ in range(3):
        with pytest.raises(CodeRejected):
            await second_step.pass_with_app(
                world.deps, "us", await password_step(world), "000000", remember=False, who=WHO
            )
    await world.deliver()
    assert told() == 0  # the partial sessions may still finish
    world.clock.advance(minutes=11)  # all three expired unfinished
    await world.deliver()
    assert told() == 1
    await password_step(world)  # abandoned again the same day: not told twice
    world.clock.advance(minutes=11)
    await world.deliver()
    assert told() == 1


async def test_security_06_reauthentication_counts_wrong_passwords(world: World) -> None:
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    for n in range(1, 11):
        world.clock.advance(seconds=31)  # past the progressive delay, which applies here too
        with pytest.raises(Exception, match="incorrect" if n < 10 else "locked"):
            await two_step.reauthenticate(world.deps, me, "wrong-password-1", WHO)
    with pytest.raises(Exception, match="locked"):
        await two_step.reauthenticate(world.deps, me, PW, WHO)


async def test_security_11_cases_share_the_message_quotas(world: World) -> None:
    from entryway.flows.common import DAILY_CODES_PER_OWNER
    from entryway.flows.support import cases as support

    await enrolled(world)  # its sign-up code was the first message counted today
    partial = await password_step(world)
    for _ in range(DAILY_CODES_PER_OWNER - 1):
        await support.contact_from_second_step(world.deps, "us", partial, "help", WHO)
    with pytest.raises(CodeRejected, match="too many"):
        await support.contact_from_second_step(world.deps, "us", partial, "help", WHO)


async def test_a_phone_that_just_reset_the_password_is_not_also_the_second_step(
    world: World,
) -> None:
    started = await registration.start(
        world.deps,
        "us",
        name="Ana",
        identifier="201 555 0170",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps,
        "us",
        flow_token=started.flow_token,
        code=await world.code("+12015550170"),
        who=WHO,
    )
    me = await account.current(world.deps, "us", done.session_token)
    from entryway.core.identifiers import IdentifierKind

    change = await account.start_contact_change(
        world.deps, me, IdentifierKind.EMAIL, "ana@example.com", WHO
    )
    await account.confirm_contact_change(
        world.deps,
        me,
        IdentifierKind.EMAIL,
        change.flow_token,
        await world.code("ana@example.com"),
        WHO,
    )
    me = await account.current(world.deps, "us", done.session_token)
    token, _ = await two_step.start_phone(world.deps, me, "201 555 0170", "sms", WHO)
    await two_step.confirm_phone(world.deps, me, token, await world.code("+12015550170"), WHO)

    progress = await password_reset.start(world.deps, "us", identifier="201 555 0170", who=WHO)
    progress = await password_reset.choose(
        world.deps, "us", flow_token=progress.flow_token, index=1, channel="sms", who=WHO
    )
    await password_reset.verify(
        world.deps, "us", flow_token=progress.flow_token, code=await world.code("+12015550170")
    )
    await password_reset.complete(
        world.deps,
        "us",
        flow_token=progress.flow_token,
        password="harbour-lights-at-dusk",
        password_again="harbour-lights-at-dusk",
        who=WHO,
    )
    result = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="201 555 0170",
        password="harbour-lights-at-dusk",
        remember=False,
        who=WHO,
    )
    assert isinstance(result, sign_in.SecondStep)
    options = await second_step.options(world.deps, "us", result.partial_token)
    assert options.phones == [] and options.backup  # backup codes or Customer Service remain
    world.clock.advance(days=2)
    result = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="201 555 0170",
        password="harbour-lights-at-dusk",
        remember=False,
        who=WHO,
    )
    assert isinstance(result, sign_in.SecondStep)
    assert (await second_step.options(world.deps, "us", result.partial_token)).phones

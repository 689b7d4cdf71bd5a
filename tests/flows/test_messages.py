"""What our messages say, and when they go: each one says what happened (issue 9, item 3).
Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import build
from entryway.core.events import Channel, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.lockout import Unusual
from entryway.core.outbox import CODE_KINDS
from entryway.errors import CodeRejected, FlowExpired
from entryway.flows.account import account
from entryway.flows.common import send
from entryway.flows.ports import Requester
from entryway.flows.recovery import password_reset, unlock
from entryway.flows.signin import second_step, sign_in, unusual
from entryway.flows.signin.unfinished import GRACE
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_lockout import ANA, PW, WHO, attempt, lock_ana, setup, unlock_token, who
from tests.flows.test_two_step import code_now, enrolled, password_step

KNOWN = "someone entered your password"


def mail(world: World, name: str, **values: object) -> tuple[str, str]:
    """Subject and text of the email template ``name``, as the us site writes it."""
    rendered = world.deps.messages.email(name, world.deps.site("us"), "en-US", **values)
    return rendered.subject, rendered.text


def sms_of(world: World, name: str, **values: object) -> str:
    """The text message template ``name``, as the us site writes it."""
    return world.deps.messages.sms(name, world.deps.site("us"), "en-US", **values)


def told(world: World) -> list[str]:
    """The bodies of the "someone entered your password" emails delivered so far."""
    return [m.body for m in world.mailer.sent if KNOWN in m.subject]


async def kinds_to(world: World, to: str) -> list[MessageKind]:
    async with world.deps.uow() as uow:
        found = await uow.outbox.latest(200)
    return [m.kind for m in found if m.to == to]


# The unlock code -------------------------------------------------------------------------
async def test_the_unlock_code_speaks_of_unlocking_not_of_a_reset(world: World) -> None:
    s = await setup(world)
    await lock_ana(s)
    flow = await unlock.open_link(s.deps, "us", await unlock_token(world), WHO)
    await password_reset.choose(
        s.deps, "us", flow_token=flow, index=0, channel="email", who=WHO, purpose=unlock.PURPOSE
    )
    await world.deliver()
    code = world.mailer.sent[-1]
    assert code.to == ANA
    assert code.subject == "Acme Market: your code to unlock your account"
    assert "Unlock your account page" in code.body
    assert "If you didn't ask to unlock your account" in code.body
    assert "reset" not in (code.subject + code.body).lower()
    kinds = await kinds_to(world, ANA)
    assert MessageKind.UNLOCK_CODE in kinds and MessageKind.RESET_CODE not in kinds
    assert MessageKind.UNLOCK_CODE.value in CODE_KINDS  # hidden once sent, like every code


async def test_a_reset_code_still_speaks_of_a_reset(world: World) -> None:
    await setup(world)
    await password_reset.start(world.deps, "us", identifier=ANA, who=WHO)
    await world.deliver()
    code = world.mailer.sent[-1]
    assert code.subject == "Acme Market: your password reset code"
    assert "If you didn't ask to reset your password" in code.body
    kinds = await kinds_to(world, ANA)
    assert MessageKind.RESET_CODE in kinds and MessageKind.UNLOCK_CODE not in kinds


# Why an unusual sign-in asks for a code --------------------------------------------------
async def code_email(world: World) -> str:
    await world.deliver()
    found = [m for m in world.mailer.sent if m.subject.endswith("confirm it's you signing in")]
    assert found, "no unusual sign-in code was sent"
    return found[-1].body


async def test_failures_on_the_account_are_named_as_such(world: World) -> None:
    s = await setup(world, unusual_after=2)
    for n in range(2):
        await attempt(s.deps, "wrong-guess-123", who(n))
    challenged = await attempt(s.deps, PW, who(9))
    assert isinstance(challenged, sign_in.MustConfirm)
    assert challenged.reason == Unusual.ACCOUNT_FAILURES
    shown = await unusual.describe(s.deps, "us", challenged.flow_token)
    assert shown.reason == Unusual.ACCOUNT_FAILURES and shown.sent_to == "a***@example.com"
    assert "after failed attempts to sign in to your account" in await code_email(world)


async def test_failures_from_the_network_are_not_blamed_on_the_account(world: World) -> None:
    s = await setup(world, ip_unusual_at=5, ip_refuse_at=50)
    busy = Requester(ip="203.0.113.99", user_agent="pytest")
    for n in range(5):
        await attempt(s.deps, "wrong-guess-123", busy, f"someone{n}@example.com")
    challenged = await attempt(s.deps, PW, busy)
    assert isinstance(challenged, sign_in.MustConfirm)
    assert challenged.reason == Unusual.NETWORK_FAILURES
    assert (await unusual.describe(s.deps, "us", challenged.flow_token)).reason == (
        Unusual.NETWORK_FAILURES
    )
    body = await code_email(world)
    assert "on a network where many sign-ins failed lately" in body
    assert "to your account" not in body.split("\n\n")[1]


async def test_an_unfinished_sign_in_is_named_as_such(world: World) -> None:
    s = await setup(world, ip_unusual_at=5, ip_refuse_at=50)
    busy = Requester(ip="203.0.113.99", user_agent="pytest")
    for n in range(5):
        await attempt(s.deps, "wrong-guess-123", busy, f"someone{n}@example.com")
    assert isinstance(await attempt(s.deps, PW, busy), sign_in.MustConfirm)  # left unfinished
    # From a quiet network and a new device, the right password still needs a code, and the
    # reason is the unfinished sign-in, not failures that never happened here.
    challenged = await attempt(s.deps, PW, Requester(ip="192.0.2.77", user_agent="pytest"))
    assert isinstance(challenged, sign_in.MustConfirm)
    assert challenged.reason == Unusual.SUSPECTED
    body = await code_email(world)
    assert "soon after a sign-in with your password that was not finished" in body


async def test_a_mistyped_unusual_code_then_the_right_one_sends_no_alarm(world: World) -> None:
    s = await setup(world, unusual_after=2)
    for n in range(2):
        await attempt(s.deps, "wrong-guess-123", who(n))
    challenged = await attempt(s.deps, PW, who(9))
    assert isinstance(challenged, sign_in.MustConfirm)
    with pytest.raises(CodeRejected):
        await unusual.confirm(
            s.deps, "us", flow_token=challenged.flow_token, code="000000", remember=False, who=WHO
        )
    await unusual.confirm(
        s.deps,
        "us",
        flow_token=challenged.flow_token,
        code=await world.code(ANA),
        remember=False,
        who=WHO,
    )
    await world.deliver()
    assert told(world) == []


def test_every_reason_has_words_in_the_email(world: World) -> None:
    plain = mail(world, "unusual_code", code="123456", why="")[1]
    said = {mail(world, "unusual_code", code="123456", why=reason.value)[1] for reason in Unusual}
    assert plain not in said and len(said) == len(Unusual)


# "Someone entered your password": only when the second step never finished -----------------
async def test_a_mistyped_code_then_the_right_one_sends_nothing(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    partial = await password_step(world)
    with pytest.raises(CodeRejected):
        await second_step.pass_with_app(
            world.deps, "us", partial, "000000", remember=False, who=WHO
        )
    await second_step.pass_with_app(
        world.deps, "us", partial, code_now(world, e.key), remember=False, who=WHO
    )
    world.clock.advance(minutes=30)  # long past the partial session's deadline
    await world.deliver()
    assert told(world) == []
    async with world.deps.uow() as uow:  # taken back, not just held
        found = await uow.outbox.latest(200)
    assert MessageKind.SECOND_STEP_FAILED not in [m.kind for m in found]


async def test_a_partial_session_that_expires_untouched_sends_the_notice(world: World) -> None:
    e = await enrolled(world)
    partial = await password_step(world)
    with pytest.raises(CodeRejected):
        await second_step.pass_with_app(
            world.deps, "us", partial, "000000", remember=False, who=WHO
        )
    me = await account.current(world.deps, "us", e.token)
    world.clock.advance(minutes=9)
    await world.deliver()
    assert told(world) == []  # still live: it may yet finish
    assert KNOWN not in [m.subject for m in await account.messages(world.deps, me)]
    world.clock.advance(minutes=1)  # the partial session has expired...
    await world.deliver()
    assert told(world) == []  # ...and a second step that was checked just in time may commit
    world.clock.advance(seconds=GRACE.total_seconds())
    await world.deliver()  # nobody came back: the worker alone sends it
    (body,) = told(world)
    assert "did not finish two-step verification" in body
    assert "change it now at http://us.localhost:8000/password/forgot" in body
    listed = [m.subject for m in await account.messages(world.deps, me)]
    assert "Acme Market: someone entered your password" in listed  # in the Message Center too


async def test_no_wrong_code_at_all_still_sends_the_notice(world: World) -> None:
    await enrolled(world)
    await password_step(world)  # the right password, then nothing
    world.clock.advance(minutes=11)
    await world.deliver()
    assert len(told(world)) == 1


async def test_a_cancelled_partial_session_sends_the_notice_at_once(world: World) -> None:
    await enrolled(world)
    partial = await password_step(world)
    await second_step.sign_out_pending(world.deps, "us", partial)
    await world.deliver()
    assert len(told(world)) == 1
    with pytest.raises(Exception, match="sign in"):
        await second_step.pending(world.deps, "us", partial)


async def test_the_owner_passing_does_not_hide_someone_elses_unfinished_attempt(
    world: World,
) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    stranger = await password_step(world)  # opened first, never finished
    world.clock.advance(minutes=2)
    owner = await password_step(world)
    await second_step.pass_with_app(
        world.deps, "us", owner, code_now(world, e.key), remember=False, who=WHO
    )
    await world.deliver()
    assert told(world) == []  # the stranger's partial session is still live
    world.clock.advance(minutes=9)  # it expired a minute ago
    await world.deliver()
    assert len(told(world)) == 1
    with pytest.raises(Exception, match="sign in"):
        await second_step.pending(world.deps, "us", stranger)


async def test_a_later_unfinished_attempt_keeps_the_notice_waiting(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    owner = await password_step(world)
    world.clock.advance(minutes=5)
    await password_step(world)  # someone else, five minutes later, never finishing
    await second_step.pass_with_app(
        world.deps, "us", owner, code_now(world, e.key), remember=False, who=WHO
    )
    world.clock.advance(minutes=6)  # past the owner's deadline, not the stranger's
    await world.deliver()
    assert told(world) == []
    world.clock.advance(minutes=5)
    await world.deliver()
    assert len(told(world)) == 1


async def test_the_notice_goes_once_a_day(world: World) -> None:
    await enrolled(world)
    for _ in range(3):
        await password_step(world)
        world.clock.advance(minutes=11)
        await world.deliver()
    assert len(told(world)) == 1
    world.clock.advance(days=1)
    await password_step(world)
    world.clock.advance(minutes=11)
    await world.deliver()
    assert len(told(world)) == 2


async def test_a_full_session_token_is_not_ended_as_a_partial_one(world: World) -> None:
    e = await enrolled(world)
    await second_step.sign_out_pending(world.deps, "us", e.token)
    assert (await account.current(world.deps, "us", e.token)).account.two_step
    await world.deliver()
    assert told(world) == []


async def test_an_expired_partial_session_refuses_the_right_code(world: World) -> None:
    e = await enrolled(world)
    partial = await password_step(world)
    world.clock.advance(minutes=10)
    with pytest.raises(Exception, match="sign in"):
        await second_step.pass_with_app(
            world.deps, "us", partial, code_now(world, e.key), remember=False, who=WHO
        )
    world.clock.advance(seconds=GRACE.total_seconds())
    await world.deliver()
    assert len(told(world)) == 1


# Grammar ---------------------------------------------------------------------------------
async def test_no_article_before_the_brand(world: World) -> None:
    site = world.deps.site("us")
    for subject, body in (
        mail(world, "already_registered", closed=False, until=world.clock.now()),
        mail(world, "already_registered", closed=True, until=world.clock.now()),
        mail(world, "unlock_code", code="123456"),
        mail(world, "password_known"),
    ):
        assert f"a {site.brand}" not in subject + body
    said = mail(world, "already_registered", closed=False, until=world.clock.now())[1]
    assert "create an account on Acme Market (United States)" in said


async def test_flow_expired_is_what_an_unknown_unusual_flow_answers(world: World) -> None:
    with pytest.raises(FlowExpired):
        await unusual.describe(world.deps, "us", "no-such-flow")


# With a clock that moves between two reads, as a real one does --------------------------
class TickingClock(FrozenClock):
    """Moves a millisecond at every read: a session and its notice are never written at the
    same instant, as with the system clock."""

    def now(self) -> datetime:
        self.advance(milliseconds=1)
        return super().now()


@pytest.fixture
async def ticking(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    url, schema = database_url
    clock, mailer, texter = TickingClock(), MemoryMailer(), MemoryTexter()
    runtime = build(settings_for(url), clock=clock, mailer=mailer, texter=texter, schema=schema)
    yield World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    await runtime.close()


async def test_a_real_clock_cancel_sends_the_notice_at_once(ticking: World) -> None:
    await enrolled(ticking)
    partial = await password_step(ticking)
    await second_step.sign_out_pending(ticking.deps, "us", partial)
    await ticking.deliver()
    assert len(told(ticking)) == 1


async def test_a_real_clock_second_step_takes_the_notice_back(ticking: World) -> None:
    e = await enrolled(ticking)
    ticking.clock.advance(seconds=60)
    partial = await password_step(ticking)
    await second_step.pass_with_app(
        ticking.deps, "us", partial, code_now(ticking, e.key), remember=False, who=WHO
    )
    ticking.clock.advance(minutes=30)
    await ticking.deliver()
    assert told(ticking) == []


async def test_a_real_clock_owner_passing_keeps_a_strangers_notice(ticking: World) -> None:
    e = await enrolled(ticking)
    ticking.clock.advance(seconds=60)
    await password_step(ticking)  # a stranger, never finishing
    ticking.clock.advance(minutes=2)
    owner = await password_step(ticking)
    await second_step.pass_with_app(
        ticking.deps, "us", owner, code_now(ticking, e.key), remember=False, who=WHO
    )
    ticking.clock.advance(minutes=9)
    await ticking.deliver()
    assert len(told(ticking)) == 1


async def test_the_notice_is_filed_when_it_went_out_not_when_it_was_written(world: World) -> None:
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    await password_step(world)  # written now, due once the partial session has expired
    await world.deliver()
    world.clock.advance(minutes=3)
    async with world.deps.uow() as uow:  # something else sent meanwhile
        await send(
            world.deps,
            uow,
            world.deps.site("us"),
            account_id=me.account.id,
            channel=Channel.EMAIL,
            kind=MessageKind.PASSWORD_CHANGED,
            to=ANA,
            subject="Acme Market: meanwhile",
            body="Sent between the two.",
        )
        await uow.commit()
    await world.deliver()
    world.clock.advance(minutes=8, seconds=GRACE.total_seconds())
    await world.deliver()
    listed = await account.messages(world.deps, me)
    assert [m.subject for m in listed[:2]] == [
        "Acme Market: someone entered your password",
        "Acme Market: meanwhile",
    ]
    assert listed[0].filed_at == world.clock.now() > listed[1].filed_at
    async with world.deps.uow() as uow:  # the demo outbox lists it in the same order
        latest = await uow.outbox.latest(2)
    assert [m.subject for m in latest] == [m.subject for m in listed[:2]]


async def test_cancelling_wakes_the_delivery_worker(database_url: tuple[str, str | None]) -> None:
    """The worker polls only every ten minutes here: only the wake-up can send it in time."""
    url, schema = database_url
    clock, mailer, texter = TickingClock(), MemoryMailer(), MemoryTexter()
    settings = settings_for(url, deliver_interval_seconds=600)
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    world = World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    try:
        await enrolled(world)
        partial = await password_step(world)
        runtime.delivery.start()
        await asyncio.sleep(0.1)  # its first round is done: it now waits to be woken
        await second_step.sign_out_pending(world.deps, "us", partial)
        for _ in range(40):
            if told(world):
                break
            await asyncio.sleep(0.05)
        assert len(told(world)) == 1
    finally:
        await runtime.delivery.stop()
        await runtime.close()


# Security messages say how: the reset page and the Contact us page, on the site's origin ----
RESET_URL = "http://us.localhost:8000/password/forgot"
CONTACT_URL = "http://us.localhost:8000/help/contact"


def every_text(world: World) -> list[str]:
    """The words of every notice that can ask the owner to act, emails and texts alike."""
    pairs = [
        mail(world, "already_registered", closed=False, until=world.clock.now()),
        mail(world, "contact_changed", which="email", new_masked="a***@example.com", added=False),
        mail(world, "contact_changed", which="phone", new_masked="•••-•••-0188", added=True),
        mail(world, "password_changed"),
        mail(world, "password_reset"),
        mail(world, "unlocked_new_password"),
        mail(world, "two_step_changed", change="app_added", app_number=0, phone=""),
        mail(world, "password_known"),
        mail(world, "unusual_code", code="123456", why="account_failures"),
        mail(world, "unusual_sign_in"),
        mail(world, "account_unlocked"),
    ]
    texts = [
        sms_of(world, "contact_changed", which="phone", added=False),
        sms_of(world, "contact_changed", which="email", added=True),
        sms_of(world, "password_changed"),
        sms_of(world, "password_reset"),
        sms_of(world, "unlocked_new_password"),
        sms_of(world, "two_step_changed", change="off", app_number=0, phone=""),
    ]
    return [body for _, body in pairs] + texts


def test_every_reset_your_password_links_the_reset_page(world: World) -> None:
    asks = 0
    for text in every_text(world):
        for found in re.finditer(r"reset (?:your password|it)(?: now| again)?\b", text, re.I):
            asks += 1
            after = text[found.end() :].split(".\n")[0]
            assert f" at {RESET_URL}" in after, text
        assert "Forgot your password? at" not in text
    assert asks >= 10


def test_every_contact_us_says_how(world: World) -> None:
    asks = 0
    for text in every_text(world):
        for found in re.finditer(r"contact us", text, re.I):
            asks += 1
            assert text[found.end() :].startswith(
                (f" at {CONTACT_URL}", f": {CONTACT_URL}", f" now: {CONTACT_URL}")
            ), text
    assert asks >= 10


def test_texts_stay_within_one_sms(world: World) -> None:
    for sms in every_text(world)[-6:]:
        assert len(sms) <= 160, sms
    removed = sms_of(world, "two_step_changed", change="method_removed", app_number=0, phone="")
    assert len(removed) <= 160


# A first email or phone is added, not changed ----------------------------------------------
NEW_PW = "harbour-lights-at-dusk"
PHONE = "+12015550188"


@dataclass
class SignedIn:
    current: account.Current
    session_token: str


async def account_signed_in(world: World, identifier: str = ANA) -> SignedIn:
    me, token = await signed_in_with_token(world, identifier)
    return SignedIn(me, token)


async def add_phone(world: World, me: SignedIn, phone: str = PHONE) -> bool:
    started = await account.start_contact_change(
        world.deps, me.current, IdentifierKind.PHONE, phone, WHO
    )
    return await account.confirm_contact_change(
        world.deps,
        me.current,
        IdentifierKind.PHONE,
        started.flow_token,
        await world.code(phone),
        WHO,
    )


async def test_a_first_mobile_number_is_added_not_changed(world: World) -> None:
    me = await account_signed_in(world)
    assert await add_phone(world, me) is True
    await world.deliver()
    email = world.mailer.sent[-1]
    assert email.to == ANA
    assert email.subject == "Acme Market: a mobile number was added"
    assert email.body.startswith(
        "A mobile number, •••-•••-0188, was added to your Acme Market (United States) account."
    )
    assert "changed" not in email.subject + email.body.split("\n\n")[0]
    # The next one replaces it: that is a change, and the number on file before is told too.
    me = await account_signed_in_again(world, me)
    assert await add_phone(world, me, "+12015550199") is False
    await world.deliver()
    email = world.mailer.sent[-1]
    assert email.subject == "Acme Market: your mobile number was changed"
    assert "was changed to •••-•••-0199" in email.body
    text = [t for t in world.texter.sent if t.to == PHONE][-1]
    assert text.body == (
        f"The mobile number on your Acme Market account was changed. Not you? Contact us: "
        f"{CONTACT_URL}"
    )


async def account_signed_in_again(world: World, me: SignedIn) -> SignedIn:
    """The same session, read again: the account now has what was just added."""
    return SignedIn(await account.current(world.deps, "us", me.session_token), me.session_token)


async def test_a_first_email_is_added_and_the_phone_is_told_so(world: World) -> None:
    me = await account_signed_in(world, PHONE)
    started = await account.start_contact_change(
        world.deps, me.current, IdentifierKind.EMAIL, ANA, WHO
    )
    added = await account.confirm_contact_change(
        world.deps, me.current, IdentifierKind.EMAIL, started.flow_token, await world.code(ANA), WHO
    )
    assert added is True
    await world.deliver()
    text = world.texter.sent[-1]
    assert text.to == PHONE
    assert text.body == (
        f"An email address was added to your Acme Market account. Not you? Contact us: "
        f"{CONTACT_URL}"
    )


async def test_a_password_change_tells_how_to_reset_and_reach_us(world: World) -> None:
    me = await account_signed_in(world)
    await add_phone(world, me)
    me = await account_signed_in_again(world, me)
    await account.change_password(
        world.deps, me.current, current_password=PW, new=NEW_PW, new_again=NEW_PW, who=WHO
    )
    await world.deliver()
    email = world.mailer.sent[-1]
    assert email.subject == "Acme Market: your password was changed"
    assert f"reset your password at {RESET_URL}, and contact us at {CONTACT_URL}." in email.body
    assert "/signin" not in email.body
    text = world.texter.sent[-1].body
    assert text == f"Your Acme Market password was changed. Not you? Reset it at {RESET_URL}"

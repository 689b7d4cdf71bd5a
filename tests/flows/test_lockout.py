"""Lockout through the flows: counting before the hash, locks, unlock links, unusual
sign-ins (SECURITY.md 5-11). Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from typing import Any

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.lockout import LockPolicy, LockReason
from entryway.errors import (
    CodeRejected,
    FlowExpired,
    PasswordRejected,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows.account import account, registration
from entryway.flows.ports import Deps, Requester
from entryway.flows.recovery import password_reset, unlock
from entryway.flows.signin import lockout, sign_in, unusual
from tests.conftest import World

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"
ANA = "ana@example.com"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")


class CountingHasher:
    """The real hasher, counting every password check (real or dummy)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.checks = 0

    async def hash(self, password: str) -> str:
        return str(await self.inner.hash(password))

    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        self.checks += 1
        return bool(await self.inner.verify(encoded, password))

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None:
        self.checks += 1
        await self.inner.verify_dummy(password)

    def needs_rehash(self, encoded: str) -> bool:
        return bool(self.inner.needs_rehash(encoded))


@dataclass
class Setup:
    deps: Deps
    hasher: CountingHasher
    account_id: str


async def setup(world: World, identifier: str = ANA, **policy: Any) -> Setup:
    """An active account, and deps whose hasher counts and whose policy is ``policy``
    (no progressive delay unless asked, so tests need not move the clock between tries)."""
    hasher = CountingHasher(world.deps.hasher)
    policy.setdefault("delay_from", 100)
    deps = replace(world.deps, hasher=hasher, lock_policy=LockPolicy(**policy))
    started = await registration.start(
        deps, "us", name="Ana Lopez", identifier=identifier, password=PW, password_again=PW, who=WHO
    )
    done = await registration.verify(
        deps, "us", flow_token=started.flow_token, code=await world.code(identifier), who=WHO
    )
    return Setup(deps=deps, hasher=hasher, account_id=done.account_id)


def who(n: int, device: str = "") -> Requester:
    return Requester(ip=f"198.51.100.{n % 250}", user_agent="pytest", device=device)


async def attempt(
    deps: Deps, password: str, requester: Requester = WHO, identifier: str = ANA
) -> object:
    try:
        return await sign_in.sign_in(
            deps, "us", identifier=identifier, password=password, remember=False, who=requester
        )
    except SignInFailed as exc:
        return exc


async def lock_ana(s: Setup, tries: int = 10) -> None:
    for n in range(tries):
        result = await attempt(s.deps, "wrong-guess-123", who(n))
        assert isinstance(result, SignInFailed), result
    assert isinstance(await attempt(s.deps, PW, who(99)), SignInLocked)


async def unlock_token(world: World) -> str:
    await world.deliver()
    for message in reversed(world.mailer.sent):
        found = re.search(r"/unlock\?token=([A-Za-z0-9_-]+)", message.body)
        if message.to == ANA and found:
            return found.group(1)
    raise AssertionError("no unlock link was sent")


async def actions(s: Setup) -> list[str]:
    async with s.deps.uow() as uow:
        return [e.action for e in await uow.audit.recent("us", s.account_id, 100)]


# SECURITY.md 7 --------------------------------------------------------------------------------
async def test_security_07_parallel_guesses_stop_at_the_limit_and_a_right_one_inside_fails(
    world: World,
) -> None:
    s = await setup(world, lock_at=5)
    passwords = ["wrong-guess-123"] * 50
    passwords.insert(25, PW)
    results = await asyncio.gather(*(attempt(s.deps, p, who(i)) for i, p in enumerate(passwords)))
    assert not [r for r in results if not isinstance(r, SignInFailed)]  # nobody got in
    checked = [r for r in results if type(r) is SignInFailed]
    assert len(checked) <= 5 and s.hasher.checks <= 5  # the rest cost no hash
    assert isinstance(await attempt(s.deps, PW, who(200)), SignInLocked)
    await world.deliver()
    locked_mails = [m for m in world.mailer.sent if "your account is locked" in m.subject]
    assert len(locked_mails) == 1
    assert (await actions(s)).count(AuditAction.ACCOUNT_LOCKED) == 1


async def test_security_02_locked_and_unknown_identifiers_answer_alike(world: World) -> None:
    """The lock notice is decided before any hash and shown for unknown identifiers at the
    same count, so it is neither a password oracle nor an account oracle."""
    s = await setup(world, lock_at=3)
    answers = {}
    for ident in (ANA, "nobody@example.com"):
        for n in range(2):
            assert type(await attempt(s.deps, "wrong-guess-123", who(n), ident)) is SignInFailed
        # the failure that reaches the limit already says so, for accounts and unknowns alike
        assert isinstance(await attempt(s.deps, "wrong-guess-123", who(2), ident), SignInLocked)
        before = s.hasher.checks
        right, wrong = (
            await attempt(s.deps, PW, who(7), ident),
            await attempt(s.deps, "wrong-guess-123", who(8), ident),
        )
        assert s.hasher.checks == before  # refused before any hash
        assert isinstance(right, SignInLocked) and isinstance(wrong, SignInLocked)
        answers[ident] = (right.message, wrong.message, right.code, right.status)
    assert answers[ANA] == answers["nobody@example.com"]
    await world.deliver()
    assert not [m for m in world.mailer.sent if m.to == "nobody@example.com"]


async def test_progressive_delay_from_the_third_failure(world: World) -> None:
    s = await setup(world, delay_from=3)
    for n in range(3):
        assert type(await attempt(s.deps, "wrong-guess-123", who(n))) is SignInFailed
    too_soon = await attempt(s.deps, PW, who(4))
    assert isinstance(too_soon, SignInThrottled) and too_soon.retry_after == 1
    world.clock.advance(seconds=1)
    assert type(await attempt(s.deps, "wrong-guess-123", who(5))) is SignInFailed
    again = await attempt(s.deps, PW, who(6))
    assert isinstance(again, SignInThrottled) and again.retry_after == 2


# SECURITY.md 10 -------------------------------------------------------------------------------
async def test_security_10_a_recognised_device_keeps_its_own_budget(world: World) -> None:
    s = await setup(world)
    home = who(1, device="home-browser-device-cookie")
    first = await attempt(s.deps, PW, home)
    assert isinstance(first, sign_in.SignedIn)  # this device is recognised from now on
    await lock_ana(s)
    inside = await attempt(s.deps, PW, home)
    assert isinstance(inside, sign_in.SignedIn)  # the owner's usual browser still works
    me = await account.current(s.deps, "us", inside.session_token)
    shown = [m for m in await account.messages(s.deps, me) if m.kind == MessageKind.ACCOUNT_LOCKED]
    assert shown and "token=hidden" in shown[0].body  # checkable, not usable, in the Center


async def test_security_10_attempts_during_a_lock_do_not_extend_it(world: World) -> None:
    s = await setup(world)
    await lock_ana(s)
    world.clock.advance(minutes=30)
    before = s.hasher.checks
    for n in range(20):
        assert isinstance(await attempt(s.deps, "wrong-guess-123", who(n)), SignInLocked)
    assert s.hasher.checks == before
    world.clock.advance(minutes=31)  # the lock was taken an hour and a minute ago
    assert isinstance(await attempt(s.deps, PW, Requester(ip="203.0.113.50")), sign_in.SignedIn)


async def test_security_10_reset_works_while_locked_and_unlocks(world: World) -> None:
    s = await setup(world)
    await lock_ana(s)
    progress = await password_reset.start(s.deps, "us", identifier=ANA, who=WHO)
    await password_reset.verify(
        s.deps, "us", flow_token=progress.flow_token, code=await world.code(ANA)
    )
    await password_reset.complete(
        s.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    result = await attempt(s.deps, NEW, Requester(ip="203.0.113.51"))
    assert isinstance(result, sign_in.SignedIn)
    assert AuditAction.ACCOUNT_UNLOCKED in await actions(s)


# The unlock link ------------------------------------------------------------------------------
async def test_unlock_link_identity_check_then_new_password(world: World) -> None:
    s = await setup(world)
    home = who(1, device="home-browser-device-cookie")
    session = await attempt(s.deps, PW, home)
    assert isinstance(session, sign_in.SignedIn)
    await lock_ana(s)
    token = await unlock_token(world)
    assert len(token) >= 22  # at least 128 bits
    first = await unlock.open_link(s.deps, "us", token, WHO)
    second = await unlock.open_link(s.deps, "us", token, WHO)  # opening spends nothing
    picked = await password_reset.choose(
        s.deps, "us", flow_token=first, index=0, channel="email", who=WHO, purpose=unlock.PURPOSE
    )
    assert picked.stage == "code"
    with pytest.raises(FlowExpired):  # the link was used by the first pick
        await password_reset.choose(
            s.deps,
            "us",
            flow_token=second,
            index=0,
            channel="email",
            who=WHO,
            purpose=unlock.PURPOSE,
        )
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", token, WHO)
    with pytest.raises(FlowExpired):  # an unlock flow is not a reset flow
        await password_reset.verify(s.deps, "us", flow_token=first, code=await world.code(ANA))
    await password_reset.verify(
        s.deps, "us", flow_token=first, code=await world.code(ANA), purpose=unlock.PURPOSE
    )
    assert await unlock.must_change_password(s.deps, "us", first)
    with pytest.raises(PasswordRejected, match="choose a new one"):
        await unlock.keep_password(s.deps, "us", flow_token=first, who=WHO)
    await password_reset.complete(
        s.deps,
        "us",
        flow_token=first,
        password=NEW,
        password_again=NEW,
        who=WHO,
        purpose=unlock.PURPOSE,
    )
    with pytest.raises(Exception, match="sign in"):  # every session ended; none was opened
        await account.current(s.deps, "us", session.session_token)
    assert isinstance(await attempt(s.deps, NEW, Requester(ip="203.0.113.52")), sign_in.SignedIn)
    done = await actions(s)
    assert AuditAction.UNLOCK_STARTED in done and AuditAction.ACCOUNT_UNLOCKED in done


async def test_unlock_links_are_bound_to_their_site_and_expire(world: World) -> None:
    s = await setup(world)
    await lock_ana(s)
    token = await unlock_token(world)
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "uk", token, WHO)
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", token + "x", WHO)
    world.clock.advance(hours=24)
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", token, WHO)


async def test_a_newer_link_or_a_reset_voids_the_older_link(world: World) -> None:
    s = await setup(world)
    await lock_ana(s)
    older = await unlock_token(world)
    world.clock.advance(minutes=61)  # the first lock lifted; lock again
    await lock_ana(s)
    newer = await unlock_token(world)
    assert newer != older
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", older, WHO)
    await unlock.open_link(s.deps, "us", newer, WHO)
    progress = await password_reset.start(s.deps, "us", identifier=ANA, who=WHO)
    await password_reset.verify(
        s.deps, "us", flow_token=progress.flow_token, code=await world.code(ANA)
    )
    await password_reset.complete(
        s.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", newer, WHO)


async def test_no_unlock_link_is_made_for_a_lock_by_our_staff(world: World) -> None:
    """Such a lock is held until staff lift it (flows/trust/locking, tests/flows/trust/
    test_locking.py): the guessing lock's path, and its link, refuse to make one."""
    s = await setup(world)
    async with s.deps.uow() as uow:
        found = await uow.accounts.get("us", s.account_id)
        assert found is not None
        budget = lockout.budget_for(s.deps, "us", WHO, account=found)
        with pytest.raises(ValueError, match="our staff"):
            await lockout.lock(s.deps, uow, budget, LockReason.OPERATOR, WHO)
        with pytest.raises(ValueError, match="our staff"):
            await lockout.send_unlock_link(s.deps, uow, found, LockReason.OPERATOR)
    assert isinstance(await attempt(s.deps, PW, who(3)), sign_in.SignedIn)


# Unusual sign-ins -----------------------------------------------------------------------------
async def test_unusual_sign_in_after_failures_needs_a_code_once_per_device(world: World) -> None:
    s = await setup(world)
    laptop = who(5, device="new-laptop-device-cookie")
    for n in range(3):
        assert type(await attempt(s.deps, "wrong-guess-123", who(n))) is SignInFailed
    challenged = await attempt(s.deps, PW, laptop)
    assert isinstance(challenged, sign_in.MustConfirm) and challenged.sent_to.startswith("a")
    code = await world.code(ANA)
    with pytest.raises(CodeRejected):
        await unusual.confirm(
            s.deps,
            "us",
            flow_token=challenged.flow_token,
            code="000000",
            remember=False,
            who=laptop,
        )
    done = await unusual.confirm(
        s.deps, "us", flow_token=challenged.flow_token, code=code, remember=False, who=laptop
    )
    assert done.account_id == s.account_id
    for n in range(3):
        assert type(await attempt(s.deps, "wrong-guess-123", who(n))) is SignInFailed
    assert isinstance(await attempt(s.deps, PW, laptop), sign_in.SignedIn)  # recognised now
    steps = await actions(s)
    assert AuditAction.UNUSUAL_SIGN_IN_CHALLENGED in steps
    assert AuditAction.UNUSUAL_SIGN_IN_PASSED in steps
    await world.deliver()
    assert [m for m in world.mailer.sent if "new sign-in confirmed" in m.subject]


async def test_unusual_sign_in_from_an_address_with_many_failures(world: World) -> None:
    s = await setup(world, ip_unusual_at=5, ip_refuse_at=8)
    busy = Requester(ip="203.0.113.99", user_agent="pytest")
    for n in range(5):
        await attempt(s.deps, "wrong-guess-123", busy, f"someone{n}@example.com")
    assert isinstance(await attempt(s.deps, PW, busy), sign_in.MustConfirm)
    for n in range(3):
        await attempt(s.deps, "wrong-guess-123", busy, f"other{n}@example.com")
    refused = await attempt(s.deps, PW, busy)
    assert isinstance(refused, SignInThrottled) and "network" in refused.message


async def test_wrong_unusual_codes_count_toward_the_lock(world: World) -> None:
    s = await setup(world, lock_at=5, unusual_after=2)
    for n in range(2):
        await attempt(s.deps, "wrong-guess-123", who(n))
    challenged = await attempt(s.deps, PW, who(9))
    assert isinstance(challenged, sign_in.MustConfirm)
    for n in range(3):
        # two wrong passwords and three wrong codes make five: the fifth locks
        with pytest.raises(CodeRejected if n < 2 else SignInLocked):
            await unusual.confirm(
                s.deps,
                "us",
                flow_token=challenged.flow_token,
                code="000000",
                remember=False,
                who=WHO,
            )
    steps = await actions(s)
    assert steps.count(AuditAction.UNUSUAL_SIGN_IN_FAILED) == 3
    assert steps.count(AuditAction.ACCOUNT_LOCKED) == 1
    await world.deliver()
    # The code's own email said the password was right; the lock sends its notice. Wrong
    # codes add no "someone entered your password" email of their own.
    subjects = [m.subject for m in world.mailer.sent]
    assert "Acme Market: confirm it's you signing in" in subjects
    assert "Acme Market: your account is locked" in subjects
    assert not [s for s in subjects if "someone entered your password" in s]
    with pytest.raises(SignInLocked):  # even the right code now
        await unusual.confirm(
            s.deps,
            "us",
            flow_token=challenged.flow_token,
            code=await world.code(ANA),
            remember=False,
            who=WHO,
        )


# SECURITY.md 6 --------------------------------------------------------------------------------
async def test_security_06_a_lock_holds_on_password_reentry_and_change(world: World) -> None:
    s = await setup(world)
    signed = await attempt(s.deps, PW, WHO)
    assert isinstance(signed, sign_in.SignedIn)
    me = await account.current(s.deps, "us", signed.session_token)
    await lock_ana(s)
    with pytest.raises(PasswordRejected, match="locked"):
        await account.change_password(
            s.deps, me, current_password=PW, new=NEW, new_again=NEW, who=WHO
        )
    from entryway.flows.account import two_step

    with pytest.raises(PasswordRejected, match="locked"):
        await two_step.reauthenticate(s.deps, me, PW, WHO)


async def test_a_phone_only_account_gets_its_unlock_link_by_text(world: World) -> None:
    s = await setup(world, identifier="+12015550123", lock_at=2)
    for n in range(2):
        await attempt(s.deps, "wrong-guess-123", who(n), "+12015550123")
    await world.deliver()
    texts = [t for t in world.texter.sent if "unlock" in t.body.lower()]
    assert len(texts) == 1 and texts[0].to == "+12015550123"
    assert "http://us.localhost:8000/unlock?token=" in texts[0].body


async def test_security_14_a_password_or_email_change_voids_the_unlock_link(world: World) -> None:
    s = await setup(world)
    home = who(1, device="home-browser-device-cookie")
    signed = await sign_in.sign_in(
        s.deps, "us", identifier=ANA, password=PW, remember=True, who=home
    )
    assert isinstance(signed, sign_in.SignedIn)
    await lock_ana(s)
    token = await unlock_token(world)
    me = await account.current(s.deps, "us", signed.session_token)
    await account.change_password(s.deps, me, current_password=PW, new=NEW, new_again=NEW, who=home)
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", token, WHO)
    world.clock.advance(minutes=61)
    await lock_ana(s)  # a new lock, a new link; then the email changes
    token = await unlock_token(world)
    me = await account.current(s.deps, "us", signed.session_token)  # kept signed in
    started = await account.start_contact_change(
        s.deps, me, IdentifierKind.EMAIL, "ana.new@example.com", home
    )
    await account.confirm_contact_change(
        s.deps,
        me,
        IdentifierKind.EMAIL,
        started.flow_token,
        await world.code("ana.new@example.com"),
        home,
    )
    with pytest.raises(FlowExpired):
        await unlock.open_link(s.deps, "us", token, WHO)


# Review findings: every path counts before it checks; locks remember ------------------------
async def test_security_07_parallel_password_reentry_and_changes_stop_at_the_limit(
    world: World,
) -> None:
    from entryway.flows.account import two_step

    s = await setup(world, lock_at=5)
    signed = await attempt(s.deps, PW, WHO)
    assert isinstance(signed, sign_in.SignedIn)
    me = await account.current(s.deps, "us", signed.session_token)
    before = s.hasher.checks

    async def reenter(n: int) -> Exception | None:
        try:
            if n % 2:
                await two_step.reauthenticate(s.deps, me, f"wrong-guess-{n}", WHO)
            else:
                await account.change_password(
                    s.deps, me, current_password=f"wrong-guess-{n}", new=NEW, new_again=NEW, who=WHO
                )
        except PasswordRejected as exc:
            return exc
        return None

    results = await asyncio.gather(*(reenter(n) for n in range(40)))
    assert all(isinstance(r, PasswordRejected) for r in results)
    assert s.hasher.checks - before <= 5
    assert isinstance(await attempt(s.deps, PW, who(3)), SignInLocked)


async def test_security_19_parallel_second_step_guesses_stop_at_the_limit(world: World) -> None:
    from entryway.core import totp
    from entryway.flows.account import two_step
    from entryway.flows.signin import second_step

    s = await setup(world, lock_at=10)
    signed = await attempt(s.deps, PW, WHO)
    assert isinstance(signed, sign_in.SignedIn)
    me = await account.current(s.deps, "us", signed.session_token)
    enrolment = await two_step.start_app(s.deps, me)
    key = totp.parse_key(enrolment.key)
    code = totp.totp(key, totp.step_at(world.clock.now()))
    await two_step.confirm_app(s.deps, me, enrolment.factor_id, code, WHO)
    partial = await attempt(s.deps, PW, WHO)
    assert isinstance(partial, sign_in.SecondStep)

    async def guess(n: int) -> str:
        try:
            await second_step.pass_second_step(
                s.deps,
                "us",
                partial.partial_token,
                f"{n:06d}",
                method="app",
                remember=False,
                who=WHO,
            )
        except CodeRejected as exc:
            return exc.message
        return "in"

    answers = await asyncio.gather(*(guess(n) for n in range(100000, 100060)))
    assert "in" not in answers  # (a guess could match by chance: these are all wrong now)
    checked = (await actions(s)).count(AuditAction.SECOND_STEP_FAILED)
    assert checked <= 10, checked  # the rest were refused before any code was looked at


async def test_a_lock_lifting_by_itself_still_asks_new_devices_for_a_code(world: World) -> None:
    """Someone who knows the password cannot wait a lock out: the code step remains."""
    s = await setup(world)
    for n in range(3):
        await attempt(s.deps, "wrong-guess-123", who(n))
    first = await attempt(s.deps, PW, who(50))
    assert isinstance(first, sign_in.MustConfirm)
    await lock_ana(s, tries=7)
    world.clock.advance(hours=3)  # the lock lifted and every failure slid out of the window
    again = await attempt(s.deps, PW, Requester(ip="203.0.113.60"))
    assert isinstance(again, sign_in.MustConfirm)  # not signed in by the password alone
    done = await unusual.confirm(
        s.deps,
        "us",
        flow_token=again.flow_token,
        code=await world.code(ANA),
        remember=False,
        who=Requester(ip="203.0.113.60"),
    )
    assert done.account_id == s.account_id
    plain = await attempt(s.deps, PW, Requester(ip="203.0.113.61"))
    assert isinstance(plain, sign_in.SignedIn)  # the right code ended the suspicion


async def test_locks_in_a_row_stop_lifting_by_themselves(world: World) -> None:
    """NIST SP 800-63B-4 §3.2.2: at most 100 failures in a row (here 6: three locks of 2)."""
    s = await setup(world, lock_at=2, max_in_a_row=6)
    for strike in range(3):
        for n in range(2):
            await attempt(s.deps, "wrong-guess-123", who(n))
        assert isinstance(await attempt(s.deps, PW, who(7)), SignInLocked), strike
        world.clock.advance(hours=2)
    assert isinstance(await attempt(s.deps, PW, who(8)), SignInLocked)  # the third stays
    world.clock.advance(days=30)
    assert isinstance(await attempt(s.deps, PW, who(9)), SignInLocked)


async def test_a_success_ends_the_run_of_locks(world: World) -> None:
    s = await setup(world, lock_at=2, max_in_a_row=4)
    for n in range(2):
        await attempt(s.deps, "wrong-guess-123", who(n))
    world.clock.advance(hours=2)
    signed = await attempt(s.deps, PW, Requester(ip="203.0.113.70"))
    assert isinstance(signed, sign_in.SignedIn)
    for n in range(2):  # without the success this would be the second lock: for good
        await attempt(s.deps, "wrong-guess-123", who(n))
    world.clock.advance(hours=2)
    assert isinstance(await attempt(s.deps, PW, Requester(ip="203.0.113.71")), sign_in.SignedIn)


async def test_a_burst_with_the_right_password_inside_still_needs_a_code(world: World) -> None:
    s = await setup(world)
    passwords = ["wrong-guess-123"] * 9 + [PW]
    results = await asyncio.gather(*(attempt(s.deps, p, who(i)) for i, p in enumerate(passwords)))
    assert not [r for r in results if isinstance(r, sign_in.SignedIn)]


async def test_a_new_password_forgets_recognised_devices(world: World) -> None:
    s = await setup(world)
    thief = who(1, device="stolen-laptop-device-cookie")
    assert isinstance(await attempt(s.deps, PW, thief), sign_in.SignedIn)
    progress = await password_reset.start(s.deps, "us", identifier=ANA, who=WHO)
    await password_reset.verify(
        s.deps, "us", flow_token=progress.flow_token, code=await world.code(ANA)
    )
    await password_reset.complete(
        s.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    await lock_ana(s)
    before = s.hasher.checks
    assert isinstance(await attempt(s.deps, "guess-again-1", thief), SignInLocked)
    assert s.hasher.checks == before  # no separate budget for it any more


async def test_security_07_a_burst_locks_with_the_progressive_delay_on_too(world: World) -> None:
    """The delay runs from recorded failures, so a burst read at once still reaches the
    lock, and the guesses past the limit cost no hash."""
    s = await setup(world, lock_at=5, delay_from=3)
    results = await asyncio.gather(*(attempt(s.deps, "wrong-guess-123", who(i)) for i in range(50)))
    assert all(isinstance(r, SignInFailed) for r in results)
    assert s.hasher.checks <= 5
    assert isinstance(await attempt(s.deps, PW, who(200)), SignInLocked)


async def test_right_passwords_at_once_do_not_make_each_other_wait(world: World) -> None:
    s = await setup(world, delay_from=3)
    results = await asyncio.gather(*(attempt(s.deps, PW, who(i)) for i in range(6)))
    # Tries still being checked are not failures: nobody is told to wait. (With several at
    # once, some may be asked for a code: their outcome was unknown when they were counted.)
    assert not [r for r in results if isinstance(r, SignInFailed)], results

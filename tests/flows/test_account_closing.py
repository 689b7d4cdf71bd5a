"""Close your account through the flows: a fresh password, a code, closed at once for every
way in, every contact told; reopened by an agent on a case inside the grace period; erased
by housekeeping after it. Runs on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from entryway.core.events import AccountStatus, AuditAction, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.lockout import LockReason
from entryway.core.observe import SignInOutcome
from entryway.core.staff import Actor, Role
from entryway.errors import (
    AccountClosed,
    CodeRejected,
    FlowExpired,
    InvalidInput,
    PasswordRejected,
    SignInFailed,
    SignInLocked,
    Unauthenticated,
)
from entryway.flows import housekeeping
from entryway.flows.account import account, closing, questions, registration, two_step
from entryway.flows.common import add_link
from entryway.flows.passkeys import ceremonies
from entryway.flows.ports import Lock, Requester
from entryway.flows.recovery import password_reset, unlock
from entryway.flows.signin import lockout, sign_in
from entryway.flows.support import agent, cases, verify
from entryway.flows.support.cases import ViaLink
from entryway.flows.trust import measures
from tests.adapters.test_erase_storage import rows_of
from tests.conftest import World
from tests.flows.test_account import PW, second_device, signed_in_with_token
from tests.flows.test_metrics_counted import recording
from tests.flows.test_support_cases import link_sent_to, stored
from tests.flows.test_two_step import enrolled
from tests.flows.trust.helpers import TRUST, suspend, trust_deps
from tests.passkey_device import Device

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
US = Actor("s-agent", "agent@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))
EMAIL = "ana@example.com"


async def _closed(world: World) -> tuple[account.Current, str]:
    """A signed-in account, closed by its owner; (the Current before closing, its token)."""
    me, token = await signed_in_with_token(world, EMAIL)
    started = await closing.start(world.deps, me, PW, WHO)
    await closing.confirm(world.deps, me, started.flow_token, await world.code(EMAIL), WHO)
    return me, token


async def verified_case(world: World, email: str = EMAIL) -> str:
    """A signed-out Ask us case to reopen the account of ``email``, linked by Verify it's
    you (an agent's code to the contact on file, entered on the case page); its id."""
    number = await cases.open_signed_out(
        world.deps, "us", "Ana Lopez", email, "reopen", "I closed my account by mistake.", WHO
    )
    link = await link_sent_to(world, email)
    case_id: str = (await stored(world, number)).id
    world.clock.advance(seconds=5)  # a few seconds after the closing, as a real one is
    await agent.send_verification(world.deps, US, case_id, "Customer asks to reopen")
    await verify.enter_verification_code(
        world.deps, "us", ViaLink(link), await world.code(email), WHO
    )
    return case_id


async def _stored(world: World, account_id: str) -> Any:
    async with world.deps.uow() as uow:
        return await uow.accounts.get("us", account_id)


async def _actions(world: World, account_id: str) -> list[AuditAction]:
    async with world.deps.uow() as uow:
        return [e.action for e in await uow.audit.recent("us", account_id, 100)]


async def _sign_in(world: World, password: str = PW) -> Any:
    return await sign_in.sign_in(
        world.deps, "us", identifier=EMAIL, password=password, remember=False, who=WHO
    )


async def test_a_fresh_password_then_a_code_close_it_and_end_every_session(world: World) -> None:
    me, token = await signed_in_with_token(world, EMAIL)
    other = await second_device(world)
    with pytest.raises(PasswordRejected, match="incorrect"):
        await closing.start(world.deps, me, "not-my-password", WHO)
    assert AuditAction.REAUTHENTICATION_FAILED in await _actions(world, me.account.id)

    started = await closing.start(world.deps, me, PW, WHO)
    assert started.sent_to == "a***@example.com"
    await world.deliver()
    mail = world.mailer.sent[-1]
    assert mail.to == EMAIL and "close your account" in mail.subject
    assert (await _stored(world, me.account.id)).status == AccountStatus.ACTIVE  # not yet
    code = await world.code(EMAIL)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(CodeRejected):
        await closing.confirm(world.deps, me, started.flow_token, wrong, WHO)
    assert (await _stored(world, me.account.id)).status == AccountStatus.ACTIVE

    done = await closing.confirm(world.deps, me, started.flow_token, code, WHO)
    assert done.erase_after == done.closed_at + timedelta(days=30)
    stored_now = await _stored(world, me.account.id)
    assert stored_now.status == AccountStatus.CLOSED and stored_now.closed_at == done.closed_at
    for session in (token, other):  # this device and every other
        with pytest.raises(Unauthenticated):
            await account.current(world.deps, "us", session)
    with pytest.raises(FlowExpired):  # the code is spent
        await closing.confirm(world.deps, me, started.flow_token, code, WHO)
    actions = await _actions(world, me.account.id)
    assert actions[0] == AuditAction.ACCOUNT_CLOSED
    assert (
        AuditAction.SESSIONS_ENDED_ALL in actions and AuditAction.ACCOUNT_CLOSE_STARTED in actions
    )
    await world.deliver()
    notice = world.mailer.sent[-1]
    assert notice.to == EMAIL and "was closed" in notice.subject
    assert "/help/contact" in notice.body and "erase" in notice.body
    async with world.deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.ACCOUNT_CLOSED in kinds and MessageKind.CLOSE_CODE in kinds


async def test_every_contact_is_told_the_phone_too(world: World) -> None:
    me, _ = await signed_in_with_token(world, EMAIL)
    started = await account.start_contact_change(
        world.deps, me, IdentifierKind.PHONE, "+12025550188", WHO
    )
    await account.confirm_contact_change(
        world.deps,
        me,
        IdentifierKind.PHONE,
        started.flow_token,
        await world.code("+12025550188"),
        WHO,
    )
    begun = await closing.start(world.deps, me, PW, WHO)
    await closing.confirm(world.deps, me, begun.flow_token, await world.code(EMAIL), WHO)
    await world.deliver()
    texts = [t for t in world.texter.sent if t.to == "+12025550188"]
    assert "was closed" in texts[-1].body and len(texts[-1].body) <= 160


async def test_security_36_only_the_right_password_hears_it_is_closed(world: World) -> None:
    me, _ = await _closed(world)
    with pytest.raises(SignInFailed):  # a guess learns nothing: the answer of any wrong pair
        await _sign_in(world, "wrong-password-here")
    with pytest.raises(AccountClosed) as refused:
        await _sign_in(world)
    closed_at = (await _stored(world, me.account.id)).closed_at
    assert refused.value.until == closed_at + timedelta(days=30)
    assert "Customer Service can reopen it until" in refused.value.message
    assert (await _actions(world, me.account.id))[0] == AuditAction.SIGN_IN_CLOSED
    async with world.deps.uow() as uow:
        assert await uow.sessions.list_for("us", me.account.id, world.clock.now()) == []


async def test_a_reset_sends_no_code_and_tells_the_owner_it_is_closed(world: World) -> None:
    me, _ = await _closed(world)
    await world.deliver()
    before = len(world.mailer.sent)
    progress = await password_reset.start(world.deps, "us", identifier=EMAIL, who=WHO)
    assert progress.flow_token  # the same answer as for any address
    await world.deliver()
    sent = world.mailer.sent[before:]
    assert [m.to for m in sent] == [EMAIL]
    assert "is closed" in sent[0].subject and "no code was sent" in sent[0].body
    assert not any(ch.isdigit() and len(ch) == 6 for ch in sent[0].body.split())
    assert AuditAction.PASSWORD_RESET_STARTED not in await _actions(world, me.account.id)
    async with world.deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.RESET_CLOSED in kinds and MessageKind.RESET_UNKNOWN not in kinds


async def test_signing_up_again_with_its_address_does_not_take_it_over(world: World) -> None:
    me, _ = await _closed(world)
    await world.deliver()
    before = len(world.mailer.sent)
    started = await registration.start(
        world.deps, "us", name="Someone Else", identifier=EMAIL, password="another-long-pass",
        password_again="another-long-pass", who=WHO,
    )  # fmt: skip
    await world.deliver()
    told = world.mailer.sent[before:]
    assert len(told) == 1 and "closed" in told[0].body and "reopen" in told[0].body
    with pytest.raises(CodeRejected):  # a decoy: no code can finish it
        await registration.verify(
            world.deps, "us", flow_token=started.flow_token, code="123456", who=WHO
        )
    still = await _stored(world, me.account.id)
    assert still.status == AccountStatus.CLOSED and still.name == "Ana Lopez"
    assert still.password_hash == me.account.password_hash


async def test_an_agent_reopens_it_on_a_verified_case_and_the_password_works_again(
    world: World,
) -> None:
    me, _token = await signed_in_with_token(world, EMAIL)
    before = await verified_case(world)  # verified while the account was open
    world.clock.advance(minutes=1)
    begun = await closing.start(world.deps, me, PW, WHO)
    await closing.confirm(world.deps, me, begun.flow_token, await world.code(EMAIL), WHO)
    # A case verified before the closing says nothing of who writes on it now.
    assert not (await agent.summary(world.deps, US, before)).verified_since_closing
    with pytest.raises(InvalidInput, match="Verify it's you first"):
        await agent.reopen_account(world.deps, US, before, "Asked on an old case")
    case_id = await verified_case(world)  # a closed account's contact is still on file
    summary = await agent.summary(world.deps, US, case_id)
    assert summary.status == AccountStatus.CLOSED and summary.can_reopen
    assert summary.verified_since_closing
    assert summary.erase_after == summary.closed_at + timedelta(days=30)  # type: ignore[operator]
    with pytest.raises(InvalidInput, match="reopen it first"):
        await agent.send_reset_code(world.deps, US, case_id, 0, "Needs a new password")
    with pytest.raises(InvalidInput, match="reason"):
        await agent.reopen_account(world.deps, US, case_id, " ")

    await agent.reopen_account(world.deps, US, case_id, "Asked on the case, verified")
    reopened = await _stored(world, me.account.id)
    assert reopened.status == AccountStatus.ACTIVE and reopened.closed_at is None
    assert isinstance(await _sign_in(world), sign_in.SignedIn)
    assert AuditAction.AGENT_ACCOUNT_REOPENED in await _actions(world, me.account.id)
    await world.deliver()
    assert any("reopened your account" in m.subject for m in world.mailer.sent)
    with pytest.raises(InvalidInput, match="not closed"):  # once only
        await agent.reopen_account(world.deps, US, case_id, "Again")


async def test_after_the_grace_period_it_cannot_be_reopened_and_is_erased(world: World) -> None:
    me, _ = await _closed(world)
    other, _ = await signed_in_with_token(world, "bo@example.com")  # stays as it is
    case_id = await verified_case(world)
    world.clock.advance(days=29)
    assert (await housekeeping.sweep(world.deps))[housekeeping.SweepJob.CLOSED_ACCOUNTS] == 0
    world.clock.advance(days=1, seconds=1)
    assert not (await agent.summary(world.deps, US, case_id)).can_reopen
    with pytest.raises(InvalidInput, match="grace period"):
        await agent.reopen_account(world.deps, US, case_id, "Too late")

    erased = await housekeeping.sweep(world.deps)
    assert erased[housekeeping.SweepJob.CLOSED_ACCOUNTS] == 1
    assert await _stored(world, me.account.id) is None
    async with world.deps.uow() as uow:
        left = await uow.audit.recent("us", me.account.id, 100)
        assert await uow.outbox.for_account("us", me.account.id) == []
        assert await uow.cases.for_account("us", me.account.id) == []
        assert await uow.accounts.get("us", other.account.id) is not None
        assert await uow.audit.recent("us", other.account.id, 5)
    # The audit log is append-only (DESIGN.md 8): its rows stay, naming only a random id,
    # and the last one says the account was erased.
    assert left[0].action == AuditAction.ACCOUNT_ERASED and AuditAction.ACCOUNT_CLOSED in [
        e.action for e in left
    ]
    assert left[0].ip == "" and left[0].detail == {"by": "housekeeping"}
    # The address is free again: a new account can be made with it.
    again = await registration.start(
        world.deps, "us", name="Ana Lopez", identifier=EMAIL, password=PW, password_again=PW,
        who=WHO,
    )  # fmt: skip
    done = await registration.verify(
        world.deps, "us", flow_token=again.flow_token, code=await world.code(EMAIL), who=WHO
    )
    assert done.session_token


async def test_a_reopened_account_is_not_erased(world: World) -> None:
    me, _ = await _closed(world)
    async with world.deps.uow() as uow:
        closed_at = (await uow.accounts.get("us", me.account.id)).closed_at  # type: ignore[union-attr]
        assert await uow.accounts.reopen("us", me.account.id, closed_at)
        await uow.commit()
    world.clock.advance(days=31)
    assert (await housekeeping.sweep(world.deps))[housekeeping.SweepJob.CLOSED_ACCOUNTS] == 0
    assert (await _stored(world, me.account.id)).status == AccountStatus.ACTIVE


async def test_a_contact_change_cannot_take_a_closed_accounts_address(world: World) -> None:
    await _closed(world)
    me, _ = await signed_in_with_token(world, "bo@example.com")
    started = await account.start_contact_change(world.deps, me, IdentifierKind.EMAIL, EMAIL, WHO)
    await world.deliver()
    assert not any(
        m.to == EMAIL and "confirm your new contact" in m.subject for m in world.mailer.sent
    )
    with pytest.raises(CodeRejected):  # a decoy, as for any taken address (SECURITY.md 4)
        await account.confirm_contact_change(
            world.deps, me, IdentifierKind.EMAIL, started.flow_token, "123456", WHO
        )


async def test_a_closed_accounts_right_password_is_counted_as_closed(world: World) -> None:
    await _closed(world)
    deps, recorded = recording(world.deps)
    with pytest.raises(AccountClosed):
        await sign_in.sign_in(deps, "us", identifier=EMAIL, password=PW, remember=False, who=WHO)
    assert recorded.outcomes() == [SignInOutcome.CLOSED]


async def test_erasure_empties_every_table_the_journeys_wrote_for_the_account(
    world: World,
) -> None:
    """The account as the journeys leave it, two-step, questions, a passkey, a lock, a
    lifted suspension and a case among them; closed, then erased: every table that names
    the account holds nothing of it but the append-only audit log, and the case stays,
    unlinked."""
    e = await enrolled(world)  # an authenticator app and backup codes
    me = await account.current(world.deps, "us", e.token)
    await two_step.reauthenticate(world.deps, me, PW, WHO)
    chosen = world.deps.questions.questions[:3]
    await questions.set_answers(
        world.deps, me, [(q.id, f"answer {n}") for n, q in enumerate(chosen)], WHO
    )
    device = Device("us.localhost", "http://us.localhost:8000")
    begun = await ceremonies.begin_registration(world.deps, me)
    await ceremonies.finish_registration(
        world.deps, me, begun.token, device.create(begun.options), WHO, name="Phone"
    )
    number = await cases.open_signed_in(world.deps, "us", e.token, "other", "Hello", WHO)
    trust = trust_deps(world)
    held = await suspend(trust, me.account.id)
    await measures.lift(
        trust, TRUST, site="us", suspension_id=held.id, reason="A mistake", who=WHO,
        account_id=me.account.id,
    )  # fmt: skip
    # The suspension ended the session: closing is driven with the Current read before.
    started = await closing.start(world.deps, me, PW, WHO)
    await closing.confirm(world.deps, me, started.flow_token, await world.code(EMAIL), WHO)

    # Guesses at a closed account still lock it (the answer must not differ).
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.locks.acquire(
            Lock(site="us", key_hash=lockout.account_key(world.deps, me.account.id),
                 account_id=me.account.id, reason=LockReason.PASSWORD_GUESSING,
                 locked_at=now, until=now + timedelta(hours=1)),
            now, max_strikes=3, forever=now + timedelta(days=3650),
        )  # fmt: skip
        await uow.commit()
    before = await rows_of(world, me.account.id)
    for table in ("second_factors", "backup_codes", "verification_answers", "passkeys",
                  "locks", "suspensions", "messages", "support_cases"):  # fmt: skip
        assert before[table] > 0, table
    world.clock.advance(days=31)
    await housekeeping.sweep(world.deps)
    after = await rows_of(world, me.account.id)
    assert {name: n for name, n in after.items() if n and name != "audit_log"} == {}
    assert after["audit_log"] == before["audit_log"] + 1  # append-only; "erased" is the last
    kept = await stored(world, number)
    assert kept.account_id is None  # the case thread stays, unlinked


async def test_guesses_lock_a_closed_account_but_no_unlock_link_goes_out(world: World) -> None:
    me, _ = await _closed(world)
    locked = False
    for n in range(12):
        world.clock.advance(seconds=60)  # past each progressive delay
        try:
            await sign_in.sign_in(
                world.deps, "us", identifier=EMAIL, password=f"wrong-guess-{n:02d}",
                remember=False, who=Requester(ip=f"198.51.100.{n}"),
            )  # fmt: skip
        except SignInLocked:
            locked = True
            break
        except SignInFailed:
            continue
    assert locked  # locked alike: the answers are an active account's
    assert AuditAction.ACCOUNT_LOCKED in await _actions(world, me.account.id)
    async with world.deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.ACCOUNT_LOCKED not in kinds  # no link that could open it again


async def test_an_unlock_link_of_a_closed_account_opens_nothing(world: World) -> None:
    me, _ = await _closed(world)
    async with world.deps.uow() as uow:  # one made some other way: still refused
        token = await add_link(
            world.deps, uow, "us", me.account.id, FlowPurpose.UNLOCK,
            LockReason.PASSWORD_GUESSING.value, timedelta(hours=1),
        )  # fmt: skip
        await uow.commit()
    with pytest.raises(FlowExpired):
        await unlock.open_link(world.deps, "us", token, WHO)


async def test_reopening_a_locked_account_sends_its_unlock_link(world: World) -> None:
    me, _ = await _closed(world)
    case_id = await verified_case(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:  # guesses locked it while it was closed
        await uow.locks.acquire(
            Lock(site="us", key_hash=lockout.account_key(world.deps, me.account.id),
                 account_id=me.account.id, reason=LockReason.PASSWORD_GUESSING,
                 locked_at=now, until=now + timedelta(days=3650)),
            now, max_strikes=3, forever=now + timedelta(days=3650),
        )  # fmt: skip
        await uow.commit()
    with pytest.raises(InvalidInput, match="reopen it first"):
        await agent.lift_lock(world.deps, US, case_id, "Customer asked")
    await agent.reopen_account(world.deps, US, case_id, "Customer asked")
    async with world.deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.ACCOUNT_LOCKED in kinds  # its unlock link, now that it may be used

"""Suspending an account: what ends at once, what sign-in answers before and after the right
password, the notice, lifting, an end date, and warnings (issue 12, SECURITY.md 36)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from entryway.core.events import AuditAction, FlowPurpose, MessageKind
from entryway.core.recovery import RecoveryState
from entryway.core.staff import StaffAction
from entryway.core.suspension import Measure, SuspensionState
from entryway.errors import AccountSuspended, Conflict, FlowExpired, SignInFailed, Unauthenticated
from entryway.flows.account import account
from entryway.flows.ports import Requester
from entryway.flows.recovery import password_reset, pending
from entryway.flows.signin import second_step, sign_in, unusual
from entryway.flows.trust import measures, notice
from tests.conftest import World
from tests.flows.recovery_helpers import ANA, cancel_tokens, request, setup, stored
from tests.flows.test_account import PW, signed_in_with_token
from tests.flows.test_lockout import attempt
from tests.flows.test_lockout import setup as lockout_setup
from tests.flows.test_lockout import who as lockout_who
from tests.flows.test_two_step import code_now, enrolled, password_step
from tests.flows.trust.helpers import FACTS, NOTICE, TRUST, WHO, suspend, trust_deps

NEW_PW = "harbour-lights-at-dusk"


async def _sign_in(world: World, identifier: str, password: str, ip: str, **kw: object) -> object:
    return await sign_in.sign_in(
        trust_deps(world),
        "us",
        identifier=identifier,
        password=password,
        remember=False,
        who=Requester(ip=ip, user_agent="pytest"),
        **kw,  # type: ignore[arg-type]
    )


async def _events(world: World, account_id: str) -> list[AuditAction]:
    async with world.deps.uow() as uow:
        return [e.action for e in await uow.audit.recent("us", account_id, 50)]


async def test_suspend_ends_sessions_flows_and_is_audited_on_both_logs(world: World) -> None:
    deps = trust_deps(world)
    me, token = await signed_in_with_token(world, ANA)
    reset = await password_reset.start(deps, "us", identifier=ANA, who=WHO)  # a live flow
    code = await world.code(ANA)
    await account.current(deps, "us", token)
    suspension = await suspend(deps, me.account.id)
    with pytest.raises(Unauthenticated):  # refused right after the suspension commits
        await account.current(deps, "us", token)
    with pytest.raises(Unauthenticated):
        await account.describe_session(deps, "us", token)
    with pytest.raises(FlowExpired):  # every flow of the account was voided
        await password_reset.verify(deps, "us", flow_token=reset.flow_token, code=code)
    async with deps.uow() as uow:
        row = await uow.accounts.get("us", me.account.id)
        entries = await uow.audit.recent("us", me.account.id, 50)
        staff_log = await uow.staff.audit_log()
    assert row is not None and row.suspension_id == suspension.id and row.suspended_until is None
    (suspended,) = [e for e in entries if e.action == AuditAction.ACCOUNT_SUSPENDED]
    assert suspended.detail == {
        "suspension": suspension.id,
        "reason": "payment_fraud",
        "by": TRUST.staff_id,
    }
    (staff_row,) = [e for e in staff_log if e.action == StaffAction.SUSPENDED]
    assert staff_row.actor_id == TRUST.staff_id
    assert staff_row.detail["suspension"] == suspension.id
    assert suspension.appeal_until == world.clock.now() + timedelta(days=180)


async def test_the_statement_is_emailed_and_its_link_shows_the_notice(world: World) -> None:
    deps = trust_deps(world)
    me, _token = await signed_in_with_token(world, ANA)
    suspension = await suspend(deps, me.account.id, automated=True)
    await world.deliver()
    (mail,) = [m for m in world.mailer.sent if "suspended" in m.subject]
    assert mail.to == ANA
    for part in (
        "suspension of the account on United States",
        "Indefinite",
        FACTS,
        "Payments we could not accept",
        "section 7.1",
        "Automated means flagged this account; a person decided.",
        "Appeal this decision: http://us.localhost:8000/suspension/appeal?token=",
        "14 Jul 2026",  # 180 days on: the appeal window's end, in the site's time
    ):
        assert part in mail.body, part
    async with deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.SUSPENSION_NOTICE in kinds
    link = NOTICE.search(mail.body)
    assert link is not None
    view = await notice.open_link(deps, "us", link.group(1))
    again = await notice.open_link(deps, "us", link.group(1))  # not single use
    shown = await notice.show(deps, "us", view)
    assert shown.suspension_id == suspension.id and shown.applies and shown.can_appeal
    assert shown.facts == FACTS and shown.automated and shown.terms_section == "7.1"
    assert (await notice.show(deps, "us", again)).suspension_id == suspension.id
    with pytest.raises(FlowExpired):
        await notice.open_link(deps, "uk", link.group(1))  # bound to its site
    with pytest.raises(FlowExpired):
        await notice.show(deps, "us", "not-a-view")


async def test_before_the_right_password_a_suspended_account_answers_like_any(
    world: World,
) -> None:
    deps = trust_deps(world)
    ana, _ = await signed_in_with_token(world, ANA)
    await signed_in_with_token(world, "bob@example.com")
    await suspend(deps, ana.account.id)
    answers = []
    for n, identifier in enumerate((ANA, "bob@example.com", "nobody@example.com")):
        with pytest.raises(SignInFailed) as caught:
            await _sign_in(world, identifier, "wrong-password-9", f"198.51.100.{n + 1}")
        answers.append((type(caught.value), str(caught.value), caught.value.code))
    assert answers[0] == answers[1] == answers[2]


async def test_the_right_password_gets_the_notice_and_no_session(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    suspension = await suspend(deps, me.account.id)
    with pytest.raises(AccountSuspended) as caught:
        await _sign_in(world, ANA, PW, "198.51.100.9")
    assert str(caught.value) == "Your account is suspended."
    shown = await notice.show(deps, "us", caught.value.notice_token)
    assert shown.suspension_id == suspension.id and shown.title == "Payments we could not accept"
    async with deps.uow() as uow:
        sessions = await uow.sessions.list_for("us", me.account.id, world.clock.now())
    assert sessions == []
    events = await _events(world, me.account.id)  # newest first
    assert events[0] == AuditAction.SIGN_IN_SUSPENDED


async def test_two_step_partial_opens_and_passing_it_is_refused(world: World) -> None:
    deps = trust_deps(world)
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    me = await account.current(deps, "us", e.token)
    await suspend(deps, me.account.id)
    partial = await password_step(world)  # the second step is asked as usual
    with pytest.raises(AccountSuspended) as caught:
        await second_step.pass_with_app(
            deps, "us", partial, code_now(world, e.key), remember=False, who=WHO
        )
    assert (await notice.show(deps, "us", caught.value.notice_token)).applies
    with pytest.raises(Unauthenticated):  # the partial session was spent
        await second_step.pending(deps, "us", partial)


async def test_remembered_browsers_are_forgotten(world: World) -> None:
    deps = trust_deps(world)
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    passed = await second_step.pass_with_app(
        deps, "us", await password_step(world), code_now(world, e.key), remember=False,
        who=WHO, remember_browser=True,
    )  # fmt: skip
    assert passed.browser_token
    suspension = await suspend(deps, passed.account_id)
    await measures.lift(
        deps, TRUST, site="us", suspension_id=suspension.id, reason="error", who=WHO
    )
    result = await _sign_in(world, ANA, PW, "198.51.100.3", browser=passed.browser_token)
    assert isinstance(result, sign_in.SecondStep)  # the browser must pass 2SV again


async def test_a_reset_completes_returns_a_notice_and_opens_no_session(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    await suspend(deps, me.account.id)
    progress = await password_reset.start(deps, "us", identifier=ANA, who=WHO)
    await password_reset.verify(
        deps, "us", flow_token=progress.flow_token, code=await world.code(ANA)
    )
    view = await password_reset.complete(
        deps, "us", flow_token=progress.flow_token, password=NEW_PW, password_again=NEW_PW,
        who=WHO,
    )  # fmt: skip
    assert view is not None
    assert (await notice.show(deps, "us", view)).applies
    with pytest.raises(AccountSuspended):  # the new password is right, still suspended
        await _sign_in(world, ANA, NEW_PW, "198.51.100.4")


async def test_a_reset_of_an_account_not_suspended_returns_none(world: World) -> None:
    await signed_in_with_token(world, ANA)
    progress = await password_reset.start(world.deps, "us", identifier=ANA, who=WHO)
    await password_reset.verify(
        world.deps, "us", flow_token=progress.flow_token, code=await world.code(ANA)
    )
    done = await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=NEW_PW,
        password_again=NEW_PW, who=WHO,
    )  # fmt: skip
    assert done is None


async def test_lift_lets_sign_in_work_again_old_sessions_stay_ended(world: World) -> None:
    deps = trust_deps(world)
    me, token = await signed_in_with_token(world, ANA)
    suspension = await suspend(deps, me.account.id)
    lifted = await measures.lift(
        deps, TRUST, site="us", suspension_id=suspension.id, reason="Wrong account.", who=WHO
    )
    assert lifted.state is SuspensionState.LIFTED and lifted.lift_reason == "Wrong account."
    result = await _sign_in(world, ANA, PW, "198.51.100.5")
    assert isinstance(result, sign_in.SignedIn)
    await account.current(deps, "us", result.session_token)
    with pytest.raises(Unauthenticated):
        await account.current(deps, "us", token)
    async with deps.uow() as uow:
        row = await uow.accounts.get("us", me.account.id)
    assert row is not None and row.suspension_id is None
    await world.deliver()
    assert any("sign in again" in m.subject for m in world.mailer.sent if m.to == ANA)
    assert AuditAction.SUSPENSION_LIFTED in await _events(world, me.account.id)
    with pytest.raises(Conflict, match="lifted already"):
        await measures.lift(
            deps, TRUST, site="us", suspension_id=suspension.id, reason="again", who=WHO
        )


async def test_a_suspension_past_its_end_no_longer_applies(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    until = world.clock.now() + timedelta(days=7)
    suspension = await suspend(deps, me.account.id, until=until)
    with pytest.raises(AccountSuspended):
        await _sign_in(world, ANA, PW, "198.51.100.6")
    world.clock.advance(days=8)
    result = await _sign_in(world, ANA, PW, "198.51.100.6")
    assert isinstance(result, sign_in.SignedIn)
    await account.current(deps, "us", result.session_token)
    async with deps.uow() as uow:
        found = await uow.suspensions.get("us", suspension.id)
    assert found is not None and found.state is SuspensionState.IN_FORCE  # ended by date
    statement = await _statement(world, suspension.id)
    assert not statement.applies and not statement.can_appeal
    await suspend(deps, me.account.id)  # a new one may be taken once the old one ended


async def _statement(world: World, suspension_id: str) -> measures.Statement:
    deps = trust_deps(world)
    async with deps.uow() as uow:
        found = await uow.suspensions.get("us", suspension_id)
        assert found is not None
        return await measures.statement(deps, uow, found)


async def test_a_warning_changes_nothing_on_sign_in(world: World) -> None:
    deps = trust_deps(world)
    me, token = await signed_in_with_token(world, ANA)
    warning = await measures.warn(
        deps, TRUST, site="us", account_id=me.account.id, reason="abusive_reviews",
        facts="A review on 2 March threatened another customer.", automated=False, who=WHO,
    )  # fmt: skip
    assert warning.measure is Measure.WARNING and warning.appeal_until is None
    await account.current(deps, "us", token)  # still signed in
    assert isinstance(await _sign_in(world, ANA, PW, "198.51.100.7"), sign_in.SignedIn)
    await world.deliver()
    (mail,) = [m for m in world.mailer.sent if "formal warning" in m.subject]
    assert "threatened another customer" in mail.body and "appeal?token" not in mail.body
    assert AuditAction.ACCOUNT_WARNED in await _events(world, me.account.id)
    file = await measures.account_file(deps, TRUST, "us", me.account.id)
    assert not file.suspended and [m.id for m in file.measures] == [warning.id]


async def test_suspending_cancels_a_live_recovery(world: World) -> None:
    s = await setup(world)
    r = await request(s)
    assert await pending.evaluate_requested(s.deps) == 1
    (cancel,) = await cancel_tokens(s, ANA)
    deps = trust_deps(world)
    await suspend(deps, s.account.id)
    got = await stored(s, r.id)
    assert got.state is RecoveryState.CANCELLED
    with pytest.raises(FlowExpired):  # its This wasn't me link was voided
        await pending.open_cancel_link(deps, "us", cancel, WHO)
    async with deps.uow() as uow:
        entries = await uow.audit.recent("us", s.account.id, 50)
        links = await uow.links.get("us", "x", FlowPurpose.RECOVERY_FINISH)
    cancelled = [e for e in entries if e.action == AuditAction.RECOVERY_CANCELLED]
    assert [e.detail for e in cancelled] == [{"recovery": r.id, "by": "suspension"}]
    assert links is None


async def test_the_unusual_code_is_still_asked_and_confirming_it_is_refused(
    world: World,
) -> None:
    s = await lockout_setup(world)
    deps = replace(s.deps, suspension_reasons=trust_deps(world).suspension_reasons)
    await suspend(deps, s.account_id)
    laptop = lockout_who(5, device="new-laptop-device-cookie")
    for n in range(3):
        assert type(await attempt(deps, "wrong-guess-123", lockout_who(n))) is SignInFailed
    challenged = await attempt(deps, PW, laptop)
    assert isinstance(challenged, sign_in.MustConfirm)  # asked as for any account
    code = await world.code(ANA)
    with pytest.raises(AccountSuspended) as caught:
        await unusual.confirm(
            deps, "us", flow_token=challenged.flow_token, code=code, remember=False, who=laptop
        )
    assert (await notice.show(deps, "us", caught.value.notice_token)).applies
    async with deps.uow() as uow:
        assert await uow.sessions.list_for("us", s.account_id, world.clock.now()) == []

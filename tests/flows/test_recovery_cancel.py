"""Stopping a recovery: This wasn't me from an old contact, and the owner's own sign-in or
reset (SECURITY.md 15, 28, 34)."""

from __future__ import annotations

import pytest

from entryway.core.cases import CaseState
from entryway.core.events import AuditAction, FlowPurpose, MessageKind
from entryway.core.recovery import RecoveryState
from entryway.errors import FlowExpired, Unauthenticated
from entryway.flows.account import account
from entryway.flows.common import session_hash
from entryway.flows.ports import Requester
from entryway.flows.recovery import pending
from entryway.flows.signin import second_step, sign_in, unusual
from entryway.flows.signin.lockout import link_hash
from tests.conftest import World
from tests.flows.recovery_helpers import (
    ANA,
    ANA_PHONE,
    CANCEL,
    NEW,
    Setup,
    cancel_tokens,
    queued,
    request,
    sent_bodies,
    setup,
    stored,
)
from tests.flows.test_account import PW
from tests.flows.test_lockout import attempt
from tests.flows.test_lockout import setup as lockout_setup
from tests.flows.test_lockout import who as lockout_who
from tests.flows.test_two_step import code_now, enrolled, password_step, reset_by_email

WHO = Requester(ip="192.0.2.44", user_agent="pytest")


async def waiting(s: Setup, **kw: object) -> str:
    """A recovery evaluated into its wait (or review); its id."""
    r = await request(s, **kw)  # type: ignore[arg-type]
    assert await pending.evaluate_requested(s.deps) == 1
    return r.id


async def test_security_15_opening_spends_nothing_cancelling_signs_out_everywhere(
    world: World,
) -> None:
    s = await setup(world, phone=True)
    rid = await waiting(s)
    (token,) = await cancel_tokens(s, ANA)
    (phone_token,) = [t for m in world.texter.sent for t in CANCEL.findall(m.body)]
    first = await pending.open_cancel_link(s.deps, "us", token, WHO)
    second = await pending.open_cancel_link(s.deps, "us", token, WHO)  # a scanner, say
    async with s.deps.uow() as uow:
        link = await uow.links.get("us", link_hash(s.deps, token), FlowPurpose.RECOVERY_CANCEL)
    assert link is not None and link.used_at is None
    assert (await stored(s, rid)).state is RecoveryState.WAITING
    await account.current(s.deps, "us", s.session)  # still signed in
    await pending.cancel(s.deps, "us", flow_token=first, who=WHO)
    got = await stored(s, rid)
    assert got.state is RecoveryState.CANCELLED and got.ended_at == world.clock.now()
    with pytest.raises(Unauthenticated):
        await account.current(s.deps, "us", s.session)  # every session ended
    with pytest.raises(FlowExpired):
        await pending.cancel(s.deps, "us", flow_token=second, who=WHO)  # the link is used
    for used in (token, phone_token):  # used, and the other contact's voided with it
        with pytest.raises(FlowExpired):
            await pending.open_cancel_link(s.deps, "us", used, WHO)
    to_new = await sent_bodies(s, NEW)
    assert "was stopped" in to_new[-1]
    assert "signed out on every device" in (await sent_bodies(s, ANA))[-1]
    assert any("stopped" in t.body for t in world.texter.sent if t.to == ANA_PHONE)
    async with s.deps.uow() as uow:
        events = await uow.audit.recent("us", s.account.id)
    cancelled = [e for e in events if e.action == AuditAction.RECOVERY_CANCELLED]
    assert [e.detail for e in cancelled] == [{"recovery": rid, "by": "link"}]
    assert AuditAction.SESSIONS_ENDED_ALL in {e.action for e in events}
    assert all(token not in str(e.detail) for e in events)


async def test_security_28_a_cancel_link_works_on_its_own_site_only(world: World) -> None:
    s = await setup(world)
    rid = await waiting(s)
    (token,) = await cancel_tokens(s)
    for site, bad in (
        ("uk", token),
        ("ca", token),
        ("us", token + "x"),
        ("us", ""),
        ("us", "a" * 200),
    ):
        with pytest.raises(FlowExpired):
            await pending.open_cancel_link(s.deps, site, bad, WHO)
    flow = await pending.open_cancel_link(s.deps, "us", token, WHO)
    with pytest.raises(FlowExpired):  # the flow is bound to its site too
        await pending.cancel(s.deps, "uk", flow_token=flow, who=WHO)
    assert (await stored(s, rid)).state is RecoveryState.WAITING
    await pending.cancel(s.deps, "us", flow_token=flow, who=WHO)
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED


async def test_a_recovery_that_ended_after_the_link_was_opened_is_not_cancelled(
    world: World,
) -> None:
    s = await setup(world)
    rid = await waiting(s)
    (token,) = await cancel_tokens(s)
    flow = await pending.open_cancel_link(s.deps, "us", token, WHO)
    world.clock.advance(hours=72)
    await pending.move_along(s.deps)
    world.clock.advance(hours=24)
    await pending.move_along(s.deps)  # ready, then expired
    assert (await stored(s, rid)).state is RecoveryState.EXPIRED
    with pytest.raises(FlowExpired):
        await pending.cancel(s.deps, "us", flow_token=flow, who=WHO)
    assert (await stored(s, rid)).state is RecoveryState.EXPIRED
    async with s.deps.uow() as uow:  # nothing was signed out (the session idled, is kept)
        assert await uow.sessions.get("us", session_hash(s.deps, s.session)) is not None


async def test_cancelling_a_review_tells_the_new_contact_what_a_refusal_would(
    world: World,
) -> None:
    s = await setup(world)
    rid = await waiting(s, questions_right=False)
    got = await stored(s, rid)
    assert got.state is RecoveryState.REVIEW
    (token,) = await cancel_tokens(s)
    flow = await pending.open_cancel_link(s.deps, "us", token, WHO)
    await pending.cancel(s.deps, "us", flow_token=flow, who=WHO)
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED
    (unverified,) = await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)
    delay = s.deps.recovery_policy.refusal_delay  # spread as a refusal's is (and a decoy's)
    due = unverified.next_attempt_at
    assert due is not None and got.created_at + delay <= due < got.created_at + 2 * delay
    assert not await queued(s, MessageKind.RECOVERY_ENDED, NEW)  # "stopped" would tell
    async with s.deps.uow() as uow:
        case = await uow.cases.get("us", got.case_id or "")
        entries = await uow.cases.entries("us", got.case_id or "")
    assert case is not None and case.state is CaseState.SOLVED
    assert "Cancelled" in entries[-1].body


async def test_security_34_the_owners_sign_in_cancels_and_tells_them(world: World) -> None:
    s = await setup(world)
    rid = await waiting(s)
    result = await sign_in.sign_in(
        s.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO
    )
    assert isinstance(result, sign_in.SignedIn)
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED
    await account.current(s.deps, "us", result.session_token)  # the new session stands
    assert "so we stopped the request" in (await sent_bodies(s, ANA))[-1]
    assert "was stopped" in (await sent_bodies(s, NEW))[-1]
    async with s.deps.uow() as uow:
        events = await uow.audit.recent("us", s.account.id)
    assert {"recovery": rid, "by": "sign_in"} in [
        e.detail for e in events if e.action == AuditAction.RECOVERY_CANCELLED
    ]
    (token,) = CANCEL.findall((await sent_bodies(s, ANA))[1])
    with pytest.raises(FlowExpired):
        await pending.open_cancel_link(s.deps, "us", token, WHO)
    before = len(await queued(s))
    again = await sign_in.sign_in(
        s.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO
    )
    assert isinstance(again, sign_in.SignedIn)
    assert len(await queued(s)) == before  # nothing live: nothing more to tell


@pytest.mark.parametrize("how", ["link", "sign_in"])
async def test_a_check_soon_after_a_cancel_goes_to_review(world: World, how: str) -> None:
    """This wasn't me (or the owner's sign-in) does not let the next try start another
    wait at once: within 30 days even strong evidence goes to a person."""
    s = await setup(world)
    first = await waiting(s)
    if how == "link":
        (token,) = await cancel_tokens(s)
        flow = await pending.open_cancel_link(s.deps, "us", token, WHO)
        await pending.cancel(s.deps, "us", flow_token=flow, who=WHO)
    else:
        signed = await sign_in.sign_in(
            s.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO
        )
        assert isinstance(signed, sign_in.SignedIn)
    assert (await stored(s, first)).state is RecoveryState.CANCELLED
    world.clock.advance(minutes=1)
    again = await stored(s, await waiting(s))  # questions and order right again
    assert again.state is RecoveryState.REVIEW
    assert again.evidence["cancelled_lately"] is True
    assert again.evidence["weak"] == ["cancelled_lately"]
    async with s.deps.uow() as uow:
        (entry,) = await uow.cases.entries("us", again.case_id or "")
    assert "A recovery of this account was cancelled in the last 30 days: yes." in entry.body
    # A month on, the cancel no longer weighs: strong evidence waits again.
    async with s.deps.uow() as uow:
        assert await pending.cancel_on_sign_in(s.deps, uow, s.account, WHO)
        await uow.commit()
    world.clock.advance(days=30, seconds=1)
    later = await stored(s, await waiting(s))
    assert later.state is RecoveryState.WAITING and later.evidence["cancelled_lately"] is False


async def test_with_two_step_only_the_passed_second_step_cancels(world: World) -> None:
    e = await enrolled(world)
    me = await account.current(world.deps, "us", e.token)
    s = await setup(world, signed_in=(me.account.id, e.token))
    rid = await waiting(s)
    assert (await stored(s, rid)).state is RecoveryState.REVIEW  # 2SV on: a person decides
    world.clock.advance(seconds=60)
    partial = await password_step(world)
    assert (await stored(s, rid)).state is RecoveryState.REVIEW  # a password alone: no
    await second_step.pass_with_app(
        s.deps, "us", partial, code_now(world, e.key), remember=False, who=WHO
    )
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED


async def test_a_reset_through_a_contact_on_file_cancels(world: World) -> None:
    s = await setup(world)
    rid = await waiting(s)
    await reset_by_email(world)
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED


async def test_an_unusual_sign_in_cancels_once_its_code_is_entered(world: World) -> None:
    ls = await lockout_setup(world)
    s = await setup(world, signed_in=(ls.account_id, ""))
    rid = await waiting(s)
    laptop = lockout_who(5, device="new-laptop-device-cookie")
    for n in range(3):
        await attempt(ls.deps, "wrong-guess-123", lockout_who(n))
    challenged = await attempt(ls.deps, PW, laptop)
    assert isinstance(challenged, sign_in.MustConfirm)
    assert (await stored(s, rid)).state is RecoveryState.WAITING  # the password alone: no
    await unusual.confirm(
        ls.deps,
        "us",
        flow_token=challenged.flow_token,
        code=await world.code(ANA),
        remember=False,
        who=laptop,
    )
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED

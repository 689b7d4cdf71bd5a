"""Agent review of a recovery: roles and site scope, signals only, approve and decline
(SECURITY.md 31, 33, 35)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from entryway.core.cases import CaseState
from entryway.core.events import AuditAction, MessageKind
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import Random
from entryway.core.staff import Actor, Role
from entryway.errors import FlowExpired, Forbidden, InvalidInput, NotFound
from entryway.flows.ports import Deps, Requester
from entryway.flows.recovery import pending, steps
from entryway.flows.support import cases, queue
from tests.conftest import World
from tests.flows.recovery_helpers import (
    ANA,
    CANCEL,
    NEW,
    Setup,
    queued,
    request,
    sent_bodies,
    setup,
    stored,
)

REVIEWER = Actor("s-rev", "rev@staff.example", frozenset({Role.REVIEWER}), frozenset({"us"}))
UK_REVIEWER = Actor("s-ukr", "ukr@staff.example", frozenset({Role.REVIEWER}), frozenset({"uk"}))
AGENT = Actor("s-agent", "agent@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))
TYPED_NUMBER = "US-87654321"
WHO = Requester(ip="192.0.2.5", user_agent="pytest")


def rolled(deps: Deps, roll: float) -> Deps:
    """``deps`` whose draw for the spread of "we could not verify it" (and a review's
    deadline) is ``roll`` (0 <= roll < 1); every other draw stays random."""
    real = deps.rng.randbelow

    def randbelow(n: int) -> int:
        return int(roll * n) if n == steps.ROLL_STEPS else real(n)

    return replace(deps, rng=Random(token_bytes=deps.rng.token_bytes, randbelow=randbelow))


async def in_review(s: Setup, roll: float | None = None, **kw: object) -> tuple[str, str]:
    """A recovery sent to review (the order does not match): (recovery id, case id).
    ``roll``: its deadline's draw (random when None)."""
    r = await request(s, number=TYPED_NUMBER, total="13.37", **kw)  # type: ignore[arg-type]
    await pending.evaluate_requested(s.deps if roll is None else rolled(s.deps, roll))
    got = await stored(s, r.id)
    assert got.state is RecoveryState.REVIEW and got.case_id
    return r.id, got.case_id


async def test_security_33_reviewers_of_the_site_only(world: World) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s)
    assert [i.id for i in await queue.queue(s.deps, REVIEWER)] == [case_id]
    assert await queue.queue(s.deps, AGENT) == []
    assert await queue.queue(s.deps, UK_REVIEWER) == []
    for actor in (AGENT, UK_REVIEWER):
        with pytest.raises(NotFound) as raised:
            await pending.review_for_case(s.deps, actor, case_id)
        assert raised.value.message == queue.NO_SUCH_CASE  # as for a case that does not exist
    with pytest.raises(NotFound):
        await pending.review_for_case(s.deps, REVIEWER, "no-such-case")
    with pytest.raises(NotFound):
        await pending.approve(s.deps, UK_REVIEWER, case_id, reason="looks fine")
    with pytest.raises(Forbidden):
        await pending.approve(s.deps, AGENT, case_id, reason="looks fine")
    with pytest.raises(Forbidden):
        await pending.decline(s.deps, AGENT, case_id, reason="no")
    assert (await stored(s, rid)).state is RecoveryState.REVIEW


async def test_security_35_the_reviewer_sees_signals_never_answers(world: World) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s)
    view = await pending.review_for_case(s.deps, REVIEWER, case_id)
    assert view is not None and view.recovery_id == rid
    assert view.state is RecoveryState.REVIEW and view.new_contact_masked == "n***@example.net"
    assert view.evidence["questions"] == "right" and view.evidence["order"] == "not_matched"
    assert view.requester_ip == "198.51.100.9" and "Firefox" in view.requester_agent
    assert view.account_age_days == 0 and view.notices_bounced is False
    assert ("Account created", s.account.created_at) in view.recent_events
    assert view.decided_by is None and view.decision_reason == ""
    opened = await queue.open_case(s.deps, REVIEWER, case_id)
    shown = repr(view) + repr(opened)
    for secret in (TYPED_NUMBER, "13.37", "hash-1", NEW):
        assert secret not in shown
    # An agent's own case is not a review: nothing to show there.
    number = await cases.open_signed_out(s.deps, "us", "Sam", "sam@example.com", "other", "Hi", WHO)
    found = await queue.search(s.deps, AGENT, number)
    assert await pending.review_for_case(s.deps, AGENT, found[0].id) is None


async def test_notices_that_bounced_are_shown(world: World) -> None:
    s = await setup(world)
    _rid, case_id = await in_review(s)
    world.mailer.fail = True
    await world.deliver()
    view = await pending.review_for_case(s.deps, REVIEWER, case_id)
    assert view is not None and view.notices_bounced is True


async def test_approve_starts_the_wait_from_approval(world: World) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s)
    world.clock.advance(hours=5)
    with pytest.raises(InvalidInput):
        await pending.approve(s.deps, REVIEWER, case_id, reason="   ")
    await pending.approve(s.deps, REVIEWER, case_id, reason="Order found by phone with store")
    got = await stored(s, rid)
    assert got.state is RecoveryState.WAITING
    assert got.waiting_since == world.clock.now()
    assert got.wait_until == world.clock.now() + timedelta(hours=72)
    assert got.decided_by == "s-rev" and got.decision_reason == "Order found by phone with store"
    scheduled = await queued(s, MessageKind.RECOVERY_SCHEDULED, NEW)
    assert len(scheduled) == 1
    notices = [b for b in await sent_bodies(s, ANA) if CANCEL.search(b)]
    assert len(notices) == 2 and "they can choose a new password after" in notices[-1]
    async with s.deps.uow() as uow:
        events = await uow.audit.recent("us", s.account.id)
        case = await uow.cases.get("us", case_id)
        entries = await uow.cases.entries("us", case_id)
    (approved,) = [e for e in events if e.action == AuditAction.RECOVERY_APPROVED]
    assert approved.detail == {
        "recovery": rid,
        "staff": "s-rev",
        "case": case.number if case else None,
        "reason": "Order found by phone with store",
    }
    assert case is not None and case.state is CaseState.SOLVED
    assert entries[-1].staff_id == "s-rev" and "Approved" in entries[-1].body
    with pytest.raises(FlowExpired):  # decided once
        await pending.decline(s.deps, REVIEWER, case_id, reason="changed my mind")
    world.clock.advance(hours=72)
    await pending.move_along(s.deps)
    assert (await stored(s, rid)).state is RecoveryState.READY


async def test_approve_uses_the_longer_wait_with_two_step(world: World) -> None:
    s = await setup(world)
    async with world.deps.uow() as uow:
        await uow.accounts.update("us", s.account.id, two_step=True)
        await uow.commit()
    s.account.two_step = True
    rid, case_id = await in_review(s)
    await pending.approve(s.deps, REVIEWER, case_id, reason="Known customer")
    got = await stored(s, rid)
    assert got.wait_until == world.clock.now() + timedelta(days=7)


async def test_decline_ends_it_and_tells_the_new_contact_when_a_refusal_would(
    world: World,
) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s)
    await pending.decline(s.deps, REVIEWER, case_id, reason="Order does not exist")
    got = await stored(s, rid)
    assert got.state is RecoveryState.DECLINED and got.ended_at == world.clock.now()
    assert got.decision_reason == "Order does not exist"
    assert not await sent_bodies(s, NEW)  # never at once: that would show a person decided
    (told,) = await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)
    assert told.next_attempt_at is not None
    world.clock.advance(seconds=(told.next_attempt_at - world.clock.now()).total_seconds())
    unverified = await sent_bodies(s, NEW)
    assert len(unverified) == 1 and "could not verify" in unverified[0]
    assert "declined" in (await sent_bodies(s, ANA))[-1]
    (token,) = [t for b in await sent_bodies(s, ANA) for t in CANCEL.findall(b)]
    with pytest.raises(FlowExpired):  # its This wasn't me link ended with it
        await pending.open_cancel_link(s.deps, "us", token, WHO)
    async with s.deps.uow() as uow:
        events = await uow.audit.recent("us", s.account.id)
        case = await uow.cases.get("us", case_id)
    declined = [e for e in events if e.action == AuditAction.RECOVERY_DECLINED]
    assert declined[0].detail["staff"] == "s-rev" and declined[0].detail["reason"]
    assert case is not None and case.state is CaseState.SOLVED
    with pytest.raises(FlowExpired):
        await pending.approve(s.deps, REVIEWER, case_id, reason="ok")


@pytest.mark.parametrize("end", ["approve", "decline", "this_wasnt_me", "owner_signs_in"])
async def test_a_decided_or_ended_review_case_waits_for_no_reply(world: World, end: str) -> None:
    """However the review ends, its case is solved with no first reply left due: nothing
    counts it as due or overdue, and it sorts with the answered ones."""
    s = await setup(world)
    rid, case_id = await in_review(s, roll=0.5)  # to be decided within 36 hours
    async with s.deps.uow() as uow:
        opened = await uow.cases.get("us", case_id)
    assert opened is not None and opened.first_reply_due is not None  # a reviewer is due
    world.clock.advance(hours=30)  # past the first reply's due time
    if end == "approve":
        await pending.approve(s.deps, REVIEWER, case_id, reason="Known customer")
    elif end == "decline":
        await pending.decline(s.deps, REVIEWER, case_id, reason="Order is not hers")
    elif end == "this_wasnt_me":
        (token,) = [t for b in await sent_bodies(s, ANA) for t in CANCEL.findall(b)]
        flow = await pending.open_cancel_link(s.deps, "us", token, WHO)
        await pending.cancel(s.deps, "us", flow_token=flow, who=WHO)
    else:
        async with s.deps.uow() as uow:
            assert await pending.cancel_on_sign_in(s.deps, uow, s.account, WHO)
            await uow.commit()
    async with s.deps.uow() as uow:
        case = await uow.cases.get("us", case_id)
    assert case is not None and case.state is CaseState.SOLVED
    assert case.solved_at == world.clock.now() and case.first_reply_due is None
    assert (await stored(s, rid)).state is not RecoveryState.REVIEW


async def test_the_owner_never_sees_the_review_case_among_their_own(world: World) -> None:
    """The review is about Ana's account but opened by whoever asked: it is not hers to
    read or answer, by her list or by its number (she has the notices' This wasn't me)."""
    s = await setup(world)
    _rid, case_id = await in_review(s)
    async with s.deps.uow() as uow:
        case = await uow.cases.get("us", case_id)
    assert case is not None and case.account_id == s.account.id
    assert await cases.cases_of_account(s.deps, "us", s.session) == []
    with pytest.raises(NotFound):
        await cases.case_for_account(s.deps, "us", s.session, case.number)
    own = await cases.open_signed_in(
        s.deps, "us", s.session, topic="other", message="Where is my parcel?", who=WHO
    )
    assert [c.number for c in await cases.cases_of_account(s.deps, "us", s.session)] == [own]

"""A review's deadline: fixed when the recovery goes to review, by the rule a refusal's
answer follows, so the requester hears no later than a decoy would; a decline before it
is answered at it, no decision by then declines it automatically, and a decision after
it is refused like a second one. The clock is frozen and the deadline's draw fixed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entryway.core.cases import Author, CaseState
from entryway.core.events import AuditAction, MessageKind
from entryway.core.recovery import RecoveryState
from entryway.errors import FlowExpired
from entryway.flows.recovery import pending, review
from tests.conftest import World
from tests.flows.recovery_helpers import ANA, NEW, Setup, cancel_tokens, queued, setup, stored
from tests.flows.test_recovery_review import REVIEWER, WHO, in_review, rolled

ROLL = 0.25  # the deadline falls 30 hours after the request (refusal delay 24 h)


def to_new(s: Setup) -> list[str]:
    return [m.body for m in s.world.mailer.sent if m.to == NEW]


async def test_the_deadline_is_drawn_when_the_review_opens(world: World) -> None:
    s = await setup(world)
    world.clock.advance(minutes=3)  # the request was weighed a little after it was made
    rid, case_id = await in_review(s, roll=ROLL)
    got = await stored(s, rid)
    delay = s.deps.recovery_policy.refusal_delay
    assert got.wait_until == got.created_at + delay * (1 + ROLL)
    assert got.wait_until == got.created_at + timedelta(hours=30)
    view = await pending.review_for_case(s.deps, REVIEWER, case_id)
    assert view is not None and view.decide_by == got.wait_until


async def test_unrolled_deadlines_spread_between_one_and_two_refusal_delays(
    world: World,
) -> None:
    s = await setup(world)
    rid, _case_id = await in_review(s)
    got = await stored(s, rid)
    delay = s.deps.recovery_policy.refusal_delay
    assert got.wait_until is not None
    assert got.created_at + delay <= got.wait_until < got.created_at + 2 * delay


async def test_a_decline_before_the_deadline_is_answered_at_it_not_earlier(world: World) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s, roll=ROLL)
    deadline = (await stored(s, rid)).wait_until
    assert deadline is not None
    world.clock.advance(hours=2)
    await pending.decline(rolled(s.deps, 0.99), REVIEWER, case_id, reason="Order is not hers")
    (told,) = await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)
    assert told.next_attempt_at == deadline
    world.clock.advance(seconds=(deadline - world.clock.now()).total_seconds() - 1)
    await world.deliver()
    await pending.move_along(s.deps)
    await world.deliver()
    assert to_new(s) == []
    world.clock.advance(seconds=1)
    await world.deliver()
    assert len(to_new(s)) == 1 and "could not verify" in to_new(s)[0]


async def test_an_undecided_review_is_declined_at_its_deadline(world: World) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s, roll=ROLL)
    deadline = (await stored(s, rid)).wait_until
    assert deadline is not None
    (token,) = await cancel_tokens(s)
    world.clock.advance(seconds=(deadline - world.clock.now()).total_seconds() - 1)
    assert await pending.move_along(s.deps) == 0  # a second early: still for a reviewer
    assert (await stored(s, rid)).state is RecoveryState.REVIEW
    world.clock.advance(seconds=1)
    assert await pending.move_along(s.deps) == 1
    assert await pending.move_along(s.deps) == 0  # once
    got = await stored(s, rid)
    assert got.state is RecoveryState.DECLINED and got.ended_at == deadline
    assert got.decided_by is None and got.decision_reason == review.NOT_REVIEWED
    await world.deliver()  # the answer is due now, as it always was
    assert len(to_new(s)) == 1 and "could not verify" in to_new(s)[0]
    old = [m.body for m in world.mailer.sent if m.to == ANA]
    assert "declined" in old[-1]
    with pytest.raises(FlowExpired):  # its This wasn't me link ended with it
        await pending.open_cancel_link(s.deps, "us", token, WHO)
    async with s.deps.uow() as uow:
        case = await uow.cases.get("us", case_id)
        entries = await uow.cases.entries("us", case_id)
        events = await uow.audit.recent("us", s.account.id)
    assert case is not None and case.state is CaseState.SOLVED and case.first_reply_due is None
    assert entries[-1].author is Author.SYSTEM and entries[-1].staff_id is None
    assert "automatically" in entries[-1].body
    (declined,) = [e for e in events if e.action == AuditAction.RECOVERY_DECLINED]
    assert declined.detail == {
        "recovery": rid,
        "case": case.number,
        "reason": review.NOT_REVIEWED,
        "automatic": True,
    }
    view = await pending.review_for_case(s.deps, REVIEWER, case_id)
    assert view is not None and view.decide_by is None and view.decided_by is None


async def test_an_approval_just_before_the_deadline_starts_the_wait(world: World) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s, roll=ROLL)
    deadline = (await stored(s, rid)).wait_until
    assert deadline is not None
    world.clock.advance(seconds=(deadline - world.clock.now()).total_seconds() - 1)
    await pending.approve(s.deps, REVIEWER, case_id, reason="Known customer")
    got = await stored(s, rid)
    assert got.state is RecoveryState.WAITING
    assert got.wait_until == world.clock.now() + timedelta(hours=72)
    world.clock.advance(hours=1)
    await pending.move_along(s.deps)  # past the old deadline: nothing declines a wait
    assert (await stored(s, rid)).state is RecoveryState.WAITING
    assert not await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)


@pytest.mark.parametrize("swept", [False, True])
@pytest.mark.parametrize("decision", ["approve", "decline"])
async def test_a_decision_after_the_deadline_is_refused_like_a_second_one(
    world: World, decision: str, swept: bool
) -> None:
    s = await setup(world)
    rid, case_id = await in_review(s, roll=ROLL)
    deadline = (await stored(s, rid)).wait_until
    assert deadline is not None
    world.clock.advance(seconds=(deadline - world.clock.now()).total_seconds())
    if swept:
        await pending.move_along(s.deps)
    act = pending.approve if decision == "approve" else pending.decline
    with pytest.raises(FlowExpired) as raised:
        await act(s.deps, REVIEWER, case_id, reason="Late, but sure")
    assert raised.value.message == review.NOT_IN_REVIEW
    got = await stored(s, rid)
    assert got.decided_by is None
    assert got.state is (RecoveryState.DECLINED if swept else RecoveryState.REVIEW)
    assert not await queued(s, MessageKind.RECOVERY_SCHEDULED, NEW)

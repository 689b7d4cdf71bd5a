"""When "we could not verify it" reaches the new contact: a refusal, a reviewer's decline
and a stop before any date was given (This wasn't me, or the owner signing in) all follow
RecoveryPolicy.unverified_due, the rule a decoy's answer follows, so its time tells no one
whether there was an account, or a person deciding. The clock is frozen; the random
spread is fixed through the injected randomness."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from entryway.core.events import MessageKind
from entryway.core.recovery import RecoveryState
from entryway.flows.ports import Message
from entryway.flows.recovery import pending
from entryway.flows.signin import sign_in
from tests.conftest import World
from tests.flows.recovery_helpers import NEW, Setup, cancel_tokens, queued, request, setup, stored
from tests.flows.test_account import PW
from tests.flows.test_recovery_review import REVIEWER, WHO, in_review, rolled


async def unverified(s: Setup) -> Message:
    (told,) = await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)
    return told


def rule(s: Setup, asked_at: datetime, roll: float) -> datetime:
    delay = s.deps.recovery_policy.refusal_delay
    return max(s.world.clock.now(), asked_at + delay * (1 + roll))


async def assert_arrives_at(s: Setup, due: datetime) -> None:
    """Nothing reaches the new contact before ``due``; the answer does then."""
    await s.world.deliver()
    assert NEW not in [m.to for m in s.world.mailer.sent]
    s.world.clock.advance(seconds=(due - s.world.clock.now()).total_seconds() - 1)
    await s.world.deliver()
    assert NEW not in [m.to for m in s.world.mailer.sent]
    s.world.clock.advance(seconds=1)
    await s.world.deliver()
    assert [m.to for m in s.world.mailer.sent].count(NEW) == 1


@pytest.mark.parametrize("roll", [0.0, 0.25, 0.999999])
async def test_a_refusal_is_answered_by_the_rule(world: World, roll: float) -> None:
    s = await setup(world)
    r = await request(s, questions_right=False, total="1")  # nothing right: refused
    world.clock.advance(minutes=10)
    assert await pending.evaluate_requested(rolled(s.deps, roll)) == 1
    assert (await stored(s, r.id)).state is RecoveryState.REFUSED
    told = await unverified(s)
    assert told.next_attempt_at == rule(s, r.created_at, roll)
    assert told.next_attempt_at == s.deps.recovery_policy.unverified_due(
        asked_at=r.created_at, roll=roll, now=world.clock.now()
    )
    await assert_arrives_at(s, rule(s, r.created_at, roll))


@pytest.mark.parametrize("decided_after", [timedelta(hours=1), timedelta(hours=35)])
async def test_a_decline_is_answered_by_the_same_rule(
    world: World, decided_after: timedelta
) -> None:
    """The time is drawn when the review opens (its deadline), as a refusal's would be;
    the decline, whenever it comes before then, draws nothing new."""
    s = await setup(world)
    rid, case_id = await in_review(s, roll=0.5)
    asked_at = (await stored(s, rid)).created_at
    world.clock.advance(seconds=decided_after.total_seconds())
    await pending.decline(rolled(s.deps, 0.9), REVIEWER, case_id, reason="Order is not hers")
    told = await unverified(s)
    # 36 hours after the request, as a refusal rolling the same would be.
    assert told.next_attempt_at == rule(s, asked_at, 0.5) == asked_at + timedelta(hours=36)
    await assert_arrives_at(s, asked_at + timedelta(hours=36))


async def test_this_wasnt_me_on_a_review_is_answered_by_the_same_rule(world: World) -> None:
    s = await setup(world)
    rid, _case_id = await in_review(s, roll=0.75)
    asked_at = (await stored(s, rid)).created_at
    world.clock.advance(minutes=5)
    (token,) = await cancel_tokens(s)
    deps = rolled(s.deps, 0.1)  # drawn at the review's start, not again
    flow = await pending.open_cancel_link(deps, "us", token, WHO)
    await pending.cancel(deps, "us", flow_token=flow, who=WHO)
    assert (await stored(s, rid)).state is RecoveryState.CANCELLED
    assert (await unverified(s)).next_attempt_at == asked_at + timedelta(hours=42)
    assert not await queued(s, MessageKind.RECOVERY_ENDED, NEW)  # "stopped" would tell


async def test_the_owners_sign_in_before_any_decision_is_answered_by_the_same_rule(
    world: World,
) -> None:
    s = await setup(world)
    r = await request(s)  # not weighed yet: requested
    world.clock.advance(seconds=30)
    result = await sign_in.sign_in(
        rolled(s.deps, 0.1),
        "us",
        identifier="ana@example.com",
        password=PW,
        remember=False,
        who=WHO,
    )
    assert isinstance(result, sign_in.SignedIn)
    assert (await stored(s, r.id)).state is RecoveryState.CANCELLED
    told = await unverified(s)
    assert told.next_attempt_at == r.created_at + s.deps.recovery_policy.refusal_delay * 1.1
    await assert_arrives_at(s, r.created_at + s.deps.recovery_policy.refusal_delay * 1.1)


async def test_the_spread_comes_from_the_injected_randomness(world: World) -> None:
    """Unrolled, two refusals asked for at the same moment get different times, both in
    the window a decoy's answer is in."""
    s = await setup(world)
    asked = []
    for _ in range(2):
        asked.append(await request(s, questions_right=False, total="1"))
        await pending.evaluate_requested(s.deps)
    told = await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)
    delay = s.deps.recovery_policy.refusal_delay
    times = {m.next_attempt_at for m in told}
    assert len(told) == 2 and len(times) == 2
    for due in times:
        assert due is not None and asked[0].created_at + delay <= due
        assert due < asked[0].created_at + 2 * delay
    assert asked[0].created_at == asked[1].created_at

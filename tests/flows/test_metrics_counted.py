"""What the flows report to the metrics: every sign-in by its outcome, locks by reason,
deliveries by channel and result. A recording twin of the port stands in for Prometheus.
Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from entryway.core.events import Channel
from entryway.core.lockout import LockReason
from entryway.core.observe import DeliveryResult, SignInMethod, SignInOutcome
from entryway.errors import CodeRejected
from entryway.flows.ports import Deps
from entryway.flows.signin import lockout, second_step, sign_in, unusual
from entryway.flows.trust import locking
from tests.conftest import World
from tests.flows.test_lockout import ANA, PW, WHO, attempt, setup, who
from tests.flows.test_two_step import code_now, enrolled
from tests.flows.trust.helpers import TRUST


@dataclass
class Recorded:
    sign_ins: list[tuple[SignInMethod, SignInOutcome]] = field(default_factory=list)
    locks: list[str] = field(default_factory=list)
    deliveries: list[tuple[Channel, DeliveryResult]] = field(default_factory=list)

    def sign_in(self, method: SignInMethod, outcome: SignInOutcome) -> None:
        self.sign_ins.append((method, outcome))

    def lock_opened(self, reason: str) -> None:
        self.locks.append(reason)

    def delivered(self, channel: Channel, result: DeliveryResult) -> None:
        self.deliveries.append((channel, result))

    def request(self, app: str, route: str, method: str, status: int, seconds: float) -> None:
        raise AssertionError("flows never time requests")

    def outcomes(self) -> list[SignInOutcome]:
        return [outcome for _method, outcome in self.sign_ins]


def recording(deps: Deps) -> tuple[Deps, Recorded]:
    recorded = Recorded()
    return replace(deps, metrics=recorded), recorded


async def test_each_password_sign_in_is_counted_by_outcome(world: World) -> None:
    s = await setup(world, lock_at=3, delay_from=2)
    deps, recorded = recording(s.deps)
    await attempt(deps, PW)  # a right password
    await attempt(deps, "wrong-guess-123", who(1))
    await attempt(deps, "wrong-guess-123", who(2))  # the second failure: a delay follows
    await attempt(deps, PW, who(3))  # too soon after it
    world.clock.advance(seconds=600)
    await attempt(deps, "wrong-guess-123", who(4))  # the third: locked
    await attempt(deps, PW, who(5))
    await attempt(deps, "wrong-guess-123", identifier="nobody@example.com")
    assert recorded.outcomes() == [
        SignInOutcome.SUCCESS,
        SignInOutcome.FAILED,
        SignInOutcome.FAILED,
        SignInOutcome.THROTTLED,
        SignInOutcome.LOCKED,  # the attempt that locked it answers with the lock
        SignInOutcome.LOCKED,
        SignInOutcome.FAILED,  # an unknown identifier fails like a wrong password
    ]
    assert {method for method, _outcome in recorded.sign_ins} == {SignInMethod.PASSWORD}
    assert recorded.locks == [LockReason.PASSWORD_GUESSING.value]


async def test_a_pending_second_step_is_its_own_outcome(world: World) -> None:
    await enrolled(world)  # ana@example.com with an authenticator app
    deps, recorded = recording(world.deps)
    await attempt(deps, PW, identifier=ANA)
    assert recorded.outcomes() == [SignInOutcome.SECOND_STEP]


async def test_deliveries_are_counted_by_channel_and_result(world: World) -> None:
    s = await setup(world)  # its verification code was delivered by setup
    recorded = Recorded()
    await lock_by_hand(s.deps, world)
    courier = world.runtime.delivery.courier
    broken = replace(courier, mailer=Refusing(), metrics=recorded)
    assert await broken.run_once() == 0
    assert recorded.deliveries == [(Channel.EMAIL, DeliveryResult.RETRY)]
    world.clock.advance(seconds=60)
    working = replace(courier, metrics=recorded)
    assert await working.run_once() == 1
    assert recorded.deliveries[-1] == (Channel.EMAIL, DeliveryResult.SENT)


async def lock_by_hand(deps: Deps, world: World) -> None:
    """Ten wrong guesses: a lock, and its unlock email queued."""
    for n in range(10):
        await attempt(deps, "wrong-guess-123", who(n))


class Refusing:
    async def send_email(self, **_message: object) -> None:
        raise ConnectionRefusedError("the SMTP server is down")


async def test_the_second_step_is_counted_as_its_own_attempt(world: World) -> None:
    e = await enrolled(world)
    world.clock.advance(seconds=60)
    deps, recorded = recording(world.deps)
    result = await attempt(deps, PW, identifier=ANA)
    assert isinstance(result, sign_in.SecondStep)
    with pytest.raises(CodeRejected):
        await second_step.pass_with_app(deps, "us", result.partial_token, "000000",
                                        remember=False, who=WHO)  # fmt: skip
    await second_step.pass_with_app(
        deps, "us", result.partial_token, code_now(world, e.key), remember=False, who=WHO
    )
    assert recorded.sign_ins == [
        (SignInMethod.PASSWORD, SignInOutcome.SECOND_STEP),
        (SignInMethod.SECOND_STEP, SignInOutcome.FAILED),
        (SignInMethod.SECOND_STEP, SignInOutcome.SUCCESS),
    ]


async def test_an_unusual_sign_in_and_its_code_are_counted(world: World) -> None:
    s = await setup(world, unusual_after=2)
    for n in range(2):
        await attempt(s.deps, "wrong-guess-123", who(n))
    deps, recorded = recording(s.deps)
    started = await attempt(deps, PW, who(50))
    assert isinstance(started, unusual.MustConfirm)
    code = await world.code(ANA)
    await unusual.confirm(
        deps, "us", flow_token=started.flow_token, code=code, remember=False, who=who(50)
    )
    assert recorded.sign_ins == [
        (SignInMethod.PASSWORD, SignInOutcome.UNUSUAL),
        (SignInMethod.CONFIRM_CODE, SignInOutcome.SUCCESS),
    ]


async def test_a_lock_by_our_staff_is_counted_and_a_rolled_back_one_is_not(world: World) -> None:
    s = await setup(world)
    deps, recorded = recording(s.deps)
    why = "Looking into a takeover of this account."
    await locking.lock_account(deps, TRUST, site="us", account_id=s.account_id, reason=why, who=WHO)
    assert recorded.locks == [LockReason.OPERATOR.value]
    async with deps.uow() as uow:  # a lock written, then rolled back: it never happened
        await lockout.lock(deps, uow, lockout.budget_for(deps, "us", WHO, account=None,
                           ident=deps.identifiers.parse("x@example.com", "US"), recognised=False),
                           LockReason.PASSWORD_GUESSING, WHO)  # fmt: skip
    assert recorded.locks == [LockReason.OPERATOR.value]

"""What the flows report to the metrics: every sign-in by its outcome, locks by reason,
deliveries by channel and result. A recording twin of the port stands in for Prometheus.
Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from entryway.core.lockout import LockReason
from entryway.core.observe import DeliveryResult, SignInMethod, SignInOutcome
from entryway.flows.ports import Deps
from tests.conftest import World
from tests.flows.test_lockout import ANA, PW, attempt, setup, who
from tests.flows.test_two_step import enrolled


@dataclass
class Recorded:
    sign_ins: list[tuple[SignInMethod, SignInOutcome]] = field(default_factory=list)
    locks: list[str] = field(default_factory=list)
    deliveries: list[tuple[str, DeliveryResult]] = field(default_factory=list)

    def sign_in(self, method: SignInMethod, outcome: SignInOutcome) -> None:
        self.sign_ins.append((method, outcome))

    def lock_opened(self, reason: str) -> None:
        self.locks.append(reason)

    def delivered(self, channel: str, result: DeliveryResult) -> None:
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
    assert recorded.deliveries == [("email", DeliveryResult.RETRY)]
    world.clock.advance(seconds=60)
    working = replace(courier, metrics=recorded)
    assert await working.run_once() == 1
    assert recorded.deliveries[-1] == ("email", DeliveryResult.SENT)


async def lock_by_hand(deps: Deps, world: World) -> None:
    """Ten wrong guesses: a lock, and its unlock email queued."""
    for n in range(10):
        await attempt(deps, "wrong-guess-123", who(n))


class Refusing:
    async def send_email(self, **_message: object) -> None:
        raise ConnectionRefusedError("the SMTP server is down")

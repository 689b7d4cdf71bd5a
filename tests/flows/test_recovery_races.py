"""Races between the paths that end a recovery: This wasn't me, a password reset and the
owner's sign-in, each against Create new password. On PostgreSQL (--db=postgresql) they
run side by side, and each round one racer is held in the middle of its transaction until
the other is blocked behind it (or done), the interleaving that used to end in "deadlock
detected". Every round must end with exactly one winner and nothing half done. On SQLite
transactions run one at a time, so the same rounds check the outcomes only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from entryway.adapters.sql.lockout import LinkRepo
from entryway.adapters.sql.records import CounterRepo
from entryway.adapters.sql.repositories import AccountRepo
from entryway.core.events import FlowPurpose
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import new_token
from entryway.errors import FlowExpired, SignInFailed
from entryway.flows.account import account
from entryway.flows.ports import Account, Link, Recovery, Requester
from entryway.flows.recovery import finish, password_reset, pending
from entryway.flows.signin import lockout, sign_in
from tests.conftest import World
from tests.flows.test_account import PW, signed_in_with_token

ROUNDS = 10
RACER: ContextVar[str] = ContextVar("racer", default="")
HELD_AT_MOST = 2500  # polls of 2 ms: a racer that neither waits nor ends within 5 s is stuck
BLOCKED_BEHIND = text(
    "SELECT count(*) FROM pg_locks WHERE NOT granted AND :me = ANY(pg_blocking_pids(pid))"
)


@dataclass
class Race:
    """Two racers as tasks. ``pause`` names the one that goes first: the other starts once
    it has made its marked write, and it then waits there until the other is blocked
    behind its transaction or done (PostgreSQL; SQLite would only queue the other)."""

    pause: str = ""
    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def hold_here(self, conn: Any) -> None:
        """In the paused racer's transaction, once per round, right after its mark."""
        if self.reached.is_set() or RACER.get() != self.pause:
            return
        self.reached.set()  # the other racer may start now
        if conn.dialect.name != "postgresql":
            return
        (other,) = [task for name, task in self.tasks.items() if name != self.pause]
        me = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        for _ in range(HELD_AT_MOST):
            if other.done() or (await conn.execute(BLOCKED_BEHIND, {"me": me})).scalar_one():
                return
            await asyncio.sleep(0.002)  # real time: another connection's progress, no clock
        raise AssertionError("the other racer neither waited for this one nor finished")

    async def run(self, pause: str, **racers: Callable[[], Awaitable[object]]) -> dict[str, object]:
        """Run the racers together; each one's result or the exception it raised."""
        self.pause, self.reached = pause, asyncio.Event()

        async def one(name: str, op: Callable[[], Awaitable[object]]) -> object:
            RACER.set(name)
            if name != pause:
                await self.reached.wait()
            try:
                return await op()
            finally:
                if name == pause:
                    self.reached.set()  # it ended before its mark: the other goes anyway

        self.tasks = {name: asyncio.create_task(one(name, op)) for name, op in racers.items()}
        results = await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        return dict(zip(self.tasks, results, strict=True))


def pause_after(
    monkeypatch: pytest.MonkeyPatch,
    race: Race,
    racer: str,
    cls: type,
    name: str,
    when: Callable[..., bool] = lambda *a, **k: True,
) -> None:
    """Hold ``racer`` right after its call of ``cls.name`` (when ``when`` says so)."""
    real = getattr(cls, name)

    async def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = await real(self, *args, **kwargs)
        if RACER.get() == racer and when(*args, **kwargs):
            await race.hold_here(self.conn)
        return out

    monkeypatch.setattr(cls, name, patched)


@dataclass
class Round:
    recovery_id: str
    finish_flow: str  # Create new password, opened from the finish link
    cancel_flow: str  # This wasn't me, opened from an old contact's link
    new_email: str
    new_password: str


async def ana(world: World) -> tuple[Account, str]:
    """Ana, signed up and signed in; her account and password."""
    me, _token = await signed_in_with_token(world)
    return me.account, PW


async def fresh(world: World, account_id: str) -> Account:
    async with world.deps.uow() as uow:
        found = await uow.accounts.get("us", account_id)
    assert found is not None
    return found


async def ready_recovery(world: World, who: Account, n: int) -> Round:
    """A new day, and a ready recovery of Ana's to a new address, with its finish link and
    a This wasn't me link, both opened (as the pages do) into flows."""
    world.clock.advance(days=1)  # yesterday's counts and quotas are behind
    deps, now = world.deps, world.clock.now()
    rid, finish_token, cancel_token = new_token(deps.rng, 16), new_token(deps.rng), ""
    new_email = f"ana.round{n}@example.net"
    async with deps.uow() as uow:
        assert await uow.recoveries.add(
            Recovery(
                id=rid,
                site="us",
                account_id=who.id,
                state=RecoveryState.READY,
                new_kind="email",
                new_contact=new_email,
                created_at=now - timedelta(days=3),
                questions_right=True,
                two_step=False,
                waiting_since=now - timedelta(days=3),
                wait_until=now,
            )
        )
        for purpose in (FlowPurpose.RECOVERY_FINISH, FlowPurpose.RECOVERY_CANCEL):
            token = new_token(deps.rng)
            if purpose is FlowPurpose.RECOVERY_FINISH:
                finish_token = token
            else:
                cancel_token = token
            await uow.links.add(
                Link(
                    id_hash=lockout.link_hash(deps, token),
                    site="us",
                    account_id=who.id,
                    purpose=purpose,
                    reason=rid,
                    created_at=now,
                    expires_at=now + timedelta(hours=24),
                )
            )
        await uow.commit()
    return Round(
        recovery_id=rid,
        finish_flow=await finish.open_link(deps, "us", finish_token, who_of(n)),
        cancel_flow=await pending.open_cancel_link(deps, "us", cancel_token, who_of(n)),
        new_email=new_email,
        new_password=f"harbour-lights-round-{n}",
    )


def who_of(n: int) -> Requester:
    """Each round from its own address, so no round's failures weigh on the next."""
    return Requester(ip=f"192.0.2.{100 + n}", user_agent="pytest")


async def complete(world: World, r: Round, n: int) -> None:
    await finish.complete(
        world.deps,
        "us",
        flow_token=r.finish_flow,
        password=r.new_password,
        password_again=r.new_password,
        who=who_of(n),
    )


async def state_of(world: World, r: Round) -> RecoveryState:
    async with world.deps.uow() as uow:
        found = await uow.recoveries.get("us", r.recovery_id)
    assert found is not None
    return found.state


async def assert_completed(world: World, before: Account, r: Round) -> Account:
    """Create new password won, whole: the new address and password, nothing else live."""
    after = await fresh(world, before.id)
    assert await state_of(world, r) is RecoveryState.COMPLETED
    assert after.email == r.new_email and after.email_verified
    assert await world.deps.hasher.verify(after.password_hash, r.new_password)
    async with world.deps.uow() as uow:
        assert not await uow.sessions.list_for("us", before.id, world.clock.now())
        assert await uow.recoveries.live_for("us", before.id) is None
    return after


async def assert_not_completed(world: World, before: Account, r: Round) -> Account:
    """Create new password lost: its link unused, the address as it was."""
    after = await fresh(world, before.id)
    assert await state_of(world, r) is RecoveryState.CANCELLED
    assert after.email == before.email and after.contacts_fixed_until == before.contacts_fixed_until
    async with world.deps.uow() as uow:
        assert await uow.recoveries.live_for("us", before.id) is None
    with pytest.raises(FlowExpired):  # its flow is gone with the recovery
        await finish.status(world.deps, "us", r.finish_flow)
    return after


def outcome(results: dict[str, object], loser_error: dict[str, type[Exception]]) -> str:
    """The one racer that won; every other one failed with the error its loss gives."""
    won = [name for name, result in results.items() if not isinstance(result, BaseException)]
    assert len(won) == 1, results
    for name, result in results.items():
        if name not in won:
            assert isinstance(result, loser_error[name]), (name, repr(result))
    return won[0]


async def test_this_wasnt_me_against_create_new_password(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, _password = await ana(world)
    race = Race()
    pause_after(
        monkeypatch,
        race,
        "cancel",
        LinkRepo,
        "use",
        lambda _site, _hash, purpose, _now: purpose == FlowPurpose.RECOVERY_CANCEL,
    )
    pause_after(monkeypatch, race, "complete", AccountRepo, "update", lambda *_a, **v: "email" in v)
    winners = set()
    for n in range(ROUNDS):
        r = await ready_recovery(world, me, n)
        results = await race.run(
            "cancel" if n % 2 else "complete",
            cancel=lambda r=r, n=n: pending.cancel(
                world.deps, "us", flow_token=r.cancel_flow, who=who_of(n)
            ),
            complete=lambda r=r, n=n: complete(world, r, n),
        )
        won = outcome(results, {"cancel": FlowExpired, "complete": FlowExpired})
        winners.add(won)
        if won == "complete":
            me = await assert_completed(world, me, r)
        else:
            me = await assert_not_completed(world, me, r)
            with pytest.raises(FlowExpired):  # the link was used by the cancel
                await pending.cancel(world.deps, "us", flow_token=r.cancel_flow, who=who_of(n))
    assert winners == {"cancel", "complete"}  # whichever went first won


async def test_a_password_reset_against_create_new_password(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, _password = await ana(world)
    race = Race()
    pause_after(
        monkeypatch,
        race,
        "reset",
        AccountRepo,
        "update",
        lambda *_a, **v: "password_hash" in v and "email" not in v,
    )
    pause_after(monkeypatch, race, "complete", AccountRepo, "update", lambda *_a, **v: "email" in v)
    winners = set()
    for n in range(ROUNDS):
        r = await ready_recovery(world, me, n)
        assert me.email is not None
        reset = await password_reset.start(world.deps, "us", identifier=me.email, who=who_of(n))
        await password_reset.verify(
            world.deps, "us", flow_token=reset.flow_token, code=await world.code(me.email)
        )
        reset_password = f"another-long-pass-{n}"
        results = await race.run(
            "reset" if n % 2 else "complete",
            reset=lambda t=reset.flow_token, p=reset_password, n=n: password_reset.complete(
                world.deps, "us", flow_token=t, password=p, password_again=p, who=who_of(n)
            ),
            complete=lambda r=r, n=n: complete(world, r, n),
        )
        won = outcome(results, {"reset": FlowExpired, "complete": FlowExpired})
        winners.add(won)
        if won == "complete":
            me = await assert_completed(world, me, r)
        else:
            me = await assert_not_completed(world, me, r)
            assert await world.deps.hasher.verify(me.password_hash, reset_password)
    assert winners == {"reset", "complete"}


async def test_the_owners_sign_in_against_create_new_password(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, password = await ana(world)
    race = Race()
    pause_after(monkeypatch, race, "sign_in", CounterRepo, "reset")  # lockout.clear
    pause_after(monkeypatch, race, "complete", AccountRepo, "update", lambda *_a, **v: "email" in v)
    winners = set()
    for n in range(ROUNDS):
        r = await ready_recovery(world, me, n)
        assert me.email is not None
        results = await race.run(
            "sign_in" if n % 2 else "complete",
            sign_in=lambda e=me.email, p=password, n=n: sign_in.sign_in(
                world.deps, "us", identifier=e, password=p, remember=False, who=who_of(n)
            ),
            complete=lambda r=r, n=n: complete(world, r, n),
        )
        won = outcome(results, {"sign_in": SignInFailed, "complete": FlowExpired})
        winners.add(won)
        if won == "complete":
            me = await assert_completed(world, me, r)  # no session on the old password
            password = r.new_password
        else:
            me = await assert_not_completed(world, me, r)
            signed = results["sign_in"]
            assert isinstance(signed, sign_in.SignedIn)
            await account.current(world.deps, "us", signed.session_token)  # it stands
            assert await world.deps.hasher.verify(me.password_hash, password)
    assert winners == {"sign_in", "complete"}

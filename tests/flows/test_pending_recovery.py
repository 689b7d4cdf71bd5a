"""The pending recovery: weighing the evidence, the old contacts' notices, ready, expired
(SECURITY.md 17, 34). Recoveries are put in state requested directly, as the identity
check leaves them; the jobs are called by hand with a frozen clock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from entryway.adapters.sql.recoveries import RecoveryRepo
from entryway.core.cases import Author, Topic
from entryway.core.events import AuditAction, FlowPurpose, MessageKind
from entryway.core.recovery import RecoveryState
from entryway.core.throttle import DAY, FailureScope, window_start
from entryway.flows.ports import Requester
from entryway.flows.recovery import pending
from entryway.flows.recovery.evidence import failed_key
from entryway.flows.signin.lockout import link_hash
from entryway.flows.subjects import public_subject
from tests.adapters.test_storage_contract import add_account
from tests.conftest import World
from tests.flows.recovery_helpers import (
    ANA,
    ANA_PHONE,
    CANCEL,
    FINISH,
    NEW,
    at,
    queued,
    request,
    sent_bodies,
    setup,
    stored,
)

HOURS_72 = timedelta(hours=72)
WHO = Requester(ip="192.0.2.10", user_agent="pytest")


async def test_strong_evidence_starts_the_wait_and_tells_both_sides(world: World) -> None:
    s = await setup(world, phone=True)
    started = world.clock.now()
    r = await request(s)
    assert await pending.evaluate_requested(s.deps) == 1
    assert s.orders.asked == [
        ("us", public_subject(s.deps.keys, "us", s.account.id), ANA, ANA_PHONE)
    ]
    got = await stored(s, r.id)
    assert got.state is RecoveryState.WAITING
    assert got.waiting_since == started and got.wait_until == started + HOURS_72
    assert got.order_number == "" and got.order_total == ""  # typed values go once weighed
    assert got.evidence["questions"] == "right" and got.evidence["order"] == "matched"
    assert got.notices_sent == 1
    # The date in the site's own zone: 18 Jan 2026 12:00 UTC is 7:00 AM in New York.
    (scheduled,) = await queued(s, MessageKind.RECOVERY_SCHEDULED, NEW)
    assert "18 Jan 2026, 7:00 AM EST" in scheduled.subject + scheduled.body
    email_notice = await sent_bodies(s, ANA)
    text_notice = [t.body for t in world.texter.sent if t.to == ANA_PHONE]
    assert len(email_notice) == 1 + 1 and len(text_notice) == 1  # (the sign-up code too)
    assert "This wasn't me" in email_notice[-1] and "n***@example.net" in email_notice[-1]
    links = CANCEL.findall(email_notice[-1]) + CANCEL.findall(text_notice[0])
    assert len(links) == 2 and links[0] != links[1]  # each contact its own link
    assert len(text_notice[0]) < 160
    async with s.deps.uow() as uow:
        for token in links:
            link = await uow.links.get("us", link_hash(s.deps, token), FlowPurpose.RECOVERY_CANCEL)
            assert link is not None and link.reason == r.id and link.used_at is None
        events = await uow.audit.recent("us", s.account.id)
    waiting = [e for e in events if e.action == AuditAction.RECOVERY_WAITING]
    assert [e.detail for e in waiting] == [{"recovery": r.id}]
    assert waiting[0].ip == "198.51.100.9"


CASES: list[tuple[str, dict[str, Any], RecoveryState, dict[str, Any]]] = [
    ("both right", {}, RecoveryState.WAITING, {"questions": "right", "order": "matched"}),
    ("wrong total", {"total": "42.49"}, RecoveryState.REVIEW, {"order": "not_matched"}),
    ("wrong number", {"number": "US-1"}, RecoveryState.REVIEW, {"order": "not_matched"}),
    ("wrong answers", {"questions_right": False}, RecoveryState.REVIEW, {"questions": "wrong"}),
    (
        "nothing right",
        {"questions_right": False, "total": "1"},
        RecoveryState.REFUSED,
        {"questions": "wrong", "order": "not_matched"},
    ),
    ("over the cap", {"evidence": {"over_cap": True}}, RecoveryState.REFUSED, {"over_cap": True}),
    ("failed earlier", {"evidence": {"failed_today": True}}, RecoveryState.REVIEW, {}),
    ("taken contact", {"new": "taken@example.com"}, RecoveryState.REVIEW, {"contact_taken": True}),
    ("two-step on", {"two_step": True}, RecoveryState.REVIEW, {"weak": ["two_step"]}),
    ("recent change", {"recent_change": True}, RecoveryState.REVIEW, {"recent_change": True}),
    ("lookup down", {"down": True}, RecoveryState.REVIEW, {"order": "lookup_unavailable"}),
    (
        "lookup down, answers wrong",
        {"down": True, "questions_right": False},
        RecoveryState.REFUSED,
        {"order": "lookup_unavailable"},
    ),
    ("no orders", {"no_orders": True}, RecoveryState.REVIEW, {"order": "no_orders"}),
    (
        "no evidence at all",
        {"no_orders": True, "no_questions": True},
        RecoveryState.REVIEW,
        {"questions": "not_set", "order": "no_orders"},
    ),
]


@pytest.mark.parametrize(("name", "given", "state", "signals"), CASES, ids=[c[0] for c in CASES])
async def test_security_17_each_outcome_of_the_evidence(
    world: World, name: str, given: dict[str, Any], state: RecoveryState, signals: dict[str, Any]
) -> None:
    given = dict(given)
    s = await setup(
        world,
        questions=not given.pop("no_questions", False),
        orders=not given.pop("no_orders", False),
    )
    s.orders.down = given.pop("down", False)
    if given.pop("two_step", False):
        async with world.deps.uow() as uow:
            await uow.accounts.update("us", s.account.id, two_step=True)
            await uow.commit()
    if given.pop("recent_change", False):
        async with world.deps.uow() as uow:
            await uow.accounts.update("us", s.account.id, password_changed_at=world.clock.now())
            await uow.commit()
    if given.get("new") == "taken@example.com":
        await _other_account(world, "taken@example.com")
    r = await request(s, **given)
    assert await pending.evaluate_requested(s.deps) == 1
    got = await stored(s, r.id)
    assert got.state is state, got.evidence
    for key, value in signals.items():
        assert got.evidence[key] == value
    assert got.order_number == "" and got.order_total == ""
    async with s.deps.uow() as uow:
        cases = await uow.cases.for_account("us", s.account.id)
    assert (got.case_id is not None) is (state is RecoveryState.REVIEW)
    assert len(cases) == (1 if state is RecoveryState.REVIEW else 0)
    if state is RecoveryState.REVIEW:
        assert cases[0].topic is Topic.IDENTITY_REVIEW and cases[0].account_id == s.account.id
    if state is RecoveryState.REFUSED:
        assert got.ended_at == world.clock.now()


async def _other_account(world: World, email: str) -> None:
    await add_account(world, id="other1", email=email)


async def test_a_review_case_lists_signals_only(world: World) -> None:
    s = await setup(world)
    r = await request(s, total="99.99", number="US-SECRET-77")
    await pending.evaluate_requested(s.deps)
    got = await stored(s, r.id)
    async with s.deps.uow() as uow:
        entries = await uow.cases.entries("us", got.case_id or "")
        events = await uow.audit.recent("us", s.account.id)
    (first,) = entries
    assert first.author is Author.SYSTEM
    assert "Verification questions: right." in first.body
    assert "Recent order: not matched." in first.body and "198.51.100.9" in first.body
    for typed in ("SECRET", "99.99", "hash-"):
        assert typed not in first.body and typed not in str(got.evidence)
        assert all(typed not in str(e.detail) for e in events)
    notices = await sent_bodies(s, ANA)
    assert "checking the request" in notices[-1] and CANCEL.search(notices[-1])


async def test_a_refusal_tells_the_new_contact_later_and_the_old_once_a_day(world: World) -> None:
    s = await setup(world)
    first = await request(s, questions_right=False, total="1")
    await pending.evaluate_requested(s.deps)
    assert (await stored(s, first.id)).state is RecoveryState.REFUSED
    assert not await sent_bodies(s, NEW)  # not before the refusal delay, as for a decoy
    tried = await sent_bodies(s, ANA)
    assert "could not confirm who they are" in tried[-1] and not CANCEL.search(tried[-1])
    async with s.deps.uow() as uow:
        count = await uow.counters.count(
            "us",
            FailureScope.IDENTITY_FAILED,
            failed_key(s.deps, s.account.id),
            window_start(world.clock.now(), DAY),
        )
    assert count == 1
    world.clock.advance(hours=1)
    second = await request(s)  # strong now, but a check failed today: a person decides
    await pending.evaluate_requested(s.deps)
    assert (await stored(s, second.id)).state is RecoveryState.REVIEW
    assert (await stored(s, second.id)).evidence["failed_today"] is True
    world.clock.advance(hours=1)
    async with s.deps.uow() as uow:  # end the review so a third can be asked for
        await uow.recoveries.move("us", second.id, RecoveryState.REVIEW, state="declined")
        await uow.commit()
    third = await request(s, questions_right=False, total="1")
    await pending.evaluate_requested(s.deps)
    assert (await stored(s, third.id)).state is RecoveryState.REFUSED
    tried_again = [b for b in await sent_bodies(s, ANA) if "could not confirm" in b]
    assert len(tried_again) == 1  # the same day: told once
    told = await queued(s, MessageKind.RECOVERY_UNVERIFIED, NEW)
    assert len(told) == 2 and not await sent_bodies(s, NEW)  # not yet: as late as a decoy's
    delay = s.deps.recovery_policy.refusal_delay
    for message, asked in zip(told, (first, third), strict=True):
        due = message.next_attempt_at
        assert due is not None and asked.created_at + delay <= due < asked.created_at + 2 * delay
    first_due = min(m.next_attempt_at for m in told if m.next_attempt_at)
    world.clock.advance(seconds=(first_due - at(s)).total_seconds())
    unverified = await sent_bodies(s, NEW)
    assert len(unverified) == 1 and "could not verify" in unverified[0]


async def test_evaluations_running_together_move_a_recovery_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await setup(world)
    r = await request(s, questions_right=False)  # to review: a case would be opened twice
    async with s.deps.uow() as uow:  # what another instance read before the first wrote
        stale = await uow.recoveries.in_states([RecoveryState.REQUESTED])
    counts = await asyncio.gather(*(pending.evaluate_requested(s.deps) for _ in range(4)))
    assert sum(counts) == 1

    async def as_read_before(_repo: object, states: list[RecoveryState], limit: int = 0) -> list:
        return stale

    monkeypatch.setattr(RecoveryRepo, "in_states", as_read_before)
    assert await pending.evaluate_requested(s.deps) == 0
    async with s.deps.uow() as uow:
        assert len(await uow.cases.for_account("us", s.account.id)) == 1
    assert len(await queued(s, MessageKind.RECOVERY_NOTICE, ANA)) == 1
    assert (await stored(s, r.id)).state is RecoveryState.REVIEW


async def test_notices_at_start_halfway_and_last_day_each_sent_once(world: World) -> None:
    s = await setup(world, phone=True)
    r = await request(s)
    await pending.evaluate_requested(s.deps)

    async def notices() -> int:
        return len(await queued(s, MessageKind.RECOVERY_NOTICE))

    async def twice() -> None:  # two instances' jobs at the same moment
        await asyncio.gather(pending.move_along(s.deps), pending.move_along(s.deps))

    assert await notices() == 2  # started: to the email and to the phone
    world.clock.advance(hours=35)
    await twice()
    assert await notices() == 2
    world.clock.advance(hours=1)  # halfway through 72 hours
    await twice()
    await twice()
    assert await notices() == 4 and (await stored(s, r.id)).notices_sent == 2
    world.clock.advance(hours=12)  # a day before the end
    await twice()
    assert await notices() == 6 and (await stored(s, r.id)).notices_sent == 3
    bodies = await sent_bodies(s, ANA)
    assert "halfway through" in bodies[-2] and "A last reminder: in a day" in bodies[-1]
    tokens = [t for b in bodies for t in CANCEL.findall(b)]
    assert len(tokens) == len(set(tokens)) == 3  # a link of its own in each notice
    assert all(len(t.body) < 160 for t in world.texter.sent)


async def test_a_server_that_was_down_sends_only_the_latest_notice(world: World) -> None:
    s = await setup(world)
    r = await request(s)
    await pending.evaluate_requested(s.deps)
    world.clock.advance(hours=50)  # past halfway and past a day before the end
    await pending.move_along(s.deps)
    assert len(await queued(s, MessageKind.RECOVERY_NOTICE)) == 2
    assert (await stored(s, r.id)).notices_sent == 3


async def test_ready_with_the_finish_link_then_expired(world: World) -> None:
    s = await setup(world)
    r = await request(s)
    await pending.evaluate_requested(s.deps)
    world.clock.advance(hours=72)
    assert await pending.move_along(s.deps) == 1
    ready = await stored(s, r.id)
    assert ready.state is RecoveryState.READY and ready.wait_until == world.clock.now()
    (finish,) = await queued(s, MessageKind.RECOVERY_FINISH, NEW)
    assert finish.subject.endswith("finish recovering your account")
    (token,) = FINISH.findall(finish.body)
    assert finish.body.count("http://us.localhost:8000/recovery/finish?token=") == 1
    async with s.deps.uow() as uow:
        link = await uow.links.get("us", link_hash(s.deps, token), FlowPurpose.RECOVERY_FINISH)
        events = await uow.audit.recent("us", s.account.id)
    assert link is not None and link.reason == r.id
    assert link.expires_at == world.clock.now() + timedelta(hours=24)
    assert AuditAction.RECOVERY_READY in {e.action for e in events}
    assert all(token not in str(e.detail) for e in events)
    world.clock.advance(hours=23, minutes=59)
    assert await pending.move_along(s.deps) == 0
    world.clock.advance(minutes=1)
    assert await pending.move_along(s.deps) == 1
    expired = await stored(s, r.id)
    assert expired.state is RecoveryState.EXPIRED and expired.ended_at == world.clock.now()
    (ended,) = await queued(s, MessageKind.RECOVERY_ENDED, NEW)
    assert "expired" in ended.subject
    async with s.deps.uow() as uow:
        voided = await uow.links.get("us", link_hash(s.deps, token), FlowPurpose.RECOVERY_FINISH)
    assert voided is not None and voided.used_at is not None
    assert await pending.move_along(s.deps) == 0


async def test_a_new_phone_gets_short_texts(world: World) -> None:
    s = await setup(world)
    await request(s, kind="phone", new="+14155550199")
    await pending.evaluate_requested(s.deps)
    world.clock.advance(hours=72)
    await pending.move_along(s.deps)
    await world.deliver()
    texts = [t.body for t in world.texter.sent if t.to == "+14155550199"]
    assert len(texts) == 2 and FINISH.search(texts[1])
    assert all(len(t) < 160 for t in texts)


async def test_security_34_one_live_recovery_per_account(world: World) -> None:
    s = await setup(world)
    first = await request(s)

    async def another() -> bool:
        async with s.deps.uow() as uow:
            added = await uow.recoveries.add(
                replace(first, id="second-one", new_contact="x@y.example")
            )
            await uow.commit()
        return added

    assert not await another()  # requested is live
    await pending.evaluate_requested(s.deps)
    assert not await another()  # and so is waiting
    async with s.deps.uow() as uow:
        assert await pending.cancel_on_sign_in(s.deps, uow, s.account, WHO)
        await uow.commit()
    assert (await stored(s, first.id)).state is RecoveryState.CANCELLED
    assert await another()  # ended: a new one may start


async def test_an_instance_that_read_before_another_sent_sends_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await setup(world)
    r = await request(s)
    await pending.evaluate_requested(s.deps)
    world.clock.advance(hours=36)
    async with s.deps.uow() as uow:  # what a second instance read, before the first wrote
        stale = await uow.recoveries.in_states([RecoveryState.WAITING])
    assert await pending.move_along(s.deps) == 1

    async def as_read_before(_repo: object, _now: object, _limit: int = 0) -> list:
        return stale

    async def none_ready(_repo: object, _ready_at: object, _limit: int = 0) -> list:
        return []

    monkeypatch.setattr(RecoveryRepo, "waiting_due", as_read_before)
    monkeypatch.setattr(RecoveryRepo, "ready_before", none_ready)
    assert await pending.move_along(s.deps) == 0
    assert len(await queued(s, MessageKind.RECOVERY_NOTICE)) == 2  # started, halfway: once
    assert (await stored(s, r.id)).notices_sent == 2
    monkeypatch.undo()
    world.clock.advance(hours=36)
    assert await pending.move_along(s.deps) == 1  # ready, the finish link sent
    monkeypatch.setattr(RecoveryRepo, "waiting_due", as_read_before)
    monkeypatch.setattr(RecoveryRepo, "ready_before", none_ready)
    assert await pending.move_along(s.deps) == 0  # a stale read does not make it ready again
    assert len(await queued(s, MessageKind.RECOVERY_FINISH)) == 1

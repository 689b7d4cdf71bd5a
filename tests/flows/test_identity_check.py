"""Verify your identity, through the flow (SECURITY.md 1, 4, 17): the same stages for every
identifier, answers counted toward the lock and the daily cap with no feedback, a code to
the new contact in every case, and Recovery requested at the end. What a check leaves
behind (lockout budget, code quotas, database work, the flow's detail, message times) is
compared side by side for right and wrong answers and for accounts and decoys. Runs on
SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.lockout import LockPolicy
from entryway.core.questions import SHIPPED, QuestionList
from entryway.core.recovery import RecoveryPolicy, RecoveryState
from entryway.core.secrets import Random
from entryway.errors import (
    CodeRejected,
    FlowExpired,
    InvalidInput,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows import codes
from entryway.flows.account import account, questions, registration
from entryway.flows.common import flow_hash
from entryway.flows.ports import Deps, Message, Requester
from entryway.flows.recovery import identity_check as check
from entryway.flows.recovery import password_reset
from entryway.flows.recovery.identity_check import CheckStep
from entryway.flows.signin import lockout, sign_in
from tests.conftest import World

PW = "quiet-meadow-lantern"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")
ANA = "ana@example.com"
GHOST = "ghost@example.com"
GOOD = [("first_pet", "Rex"), ("childhood_street", "Elm St."), ("first_film", "Jaws")]
RIGHT = ["rex", "ELM ST", "Jaws"]  # typed differently, still right (normalised)
WRONG = ["Rex", "Elm St.", "Alien"]  # one answer wrong: the whole check is


async def member(world: World, identifier: str = ANA, *, with_questions: bool = True) -> str:
    """An active account (with verification questions, unless told otherwise); its id."""
    started = await registration.start(
        world.deps, "us", name="Ana Lopez", identifier=identifier, password=PW,
        password_again=PW, who=WHO,
    )  # fmt: skip
    done = await registration.verify(
        world.deps, "us", flow_token=started.flow_token, code=await world.code(identifier), who=WHO
    )
    if with_questions:
        me = await account.current(world.deps, "us", done.session_token)
        await questions.set_answers(world.deps, me, GOOD, WHO)
    return done.account_id


async def through(
    deps: Deps, identifier: str, answers: list[str], contact: str = "new@example.net"
) -> list[CheckStep]:
    """Every step up to the code: what each answered."""
    first = await check.start(deps, "us", identifier=identifier, who=WHO)
    token = first.flow_token
    return [
        first,
        await check.answer_questions(deps, "us", flow_token=token, answers=answers, who=WHO),
        await check.confirm_order(
            deps, "us", flow_token=token, order_number="A-1001", order_total="43.96", who=WHO
        ),
        await check.new_contact(deps, "us", flow_token=token, contact=contact, who=WHO),
    ]


async def finish(world: World, steps: list[CheckStep], to: str = "new@example.net") -> None:
    code = await world.code(to)
    world.clock.advance(seconds=1)  # what the code leads to is filed after it
    assert (
        await check.verify(world.deps, "us", flow_token=steps[0].flow_token, code=code, who=WHO)
        is None
    )


def shape(step: CheckStep) -> tuple[Any, ...]:
    """Everything a step shows but the token and the question texts."""
    return (step.stage, len(step.questions), step.currency, bool(step.sent_to), step.channel,
            step.wait_seconds)  # fmt: skip


async def detail_of(world: World, token: str, site: str = "us") -> dict[str, Any]:
    async with world.deps.uow() as uow:
        state = await uow.flows.get(site, flow_hash(world.deps, token), check.PURPOSE)
    assert state is not None
    return state.detail


async def sent_to(world: World, to: str) -> list[Message]:
    """Every message written for ``to``, due or not, oldest first."""
    async with world.deps.uow() as uow:
        found = [m for m in await uow.outbox.latest() if m.to == to]
    return sorted(found, key=lambda m: (m.created_at, m.next_attempt_at or m.created_at))


class CountingHasher:
    """The real hasher, counting every verify (real or dummy)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.checks = 0

    async def hash(self, password: str) -> str:
        return str(await self.inner.hash(password))

    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        self.checks += 1
        return bool(await self.inner.verify(encoded, password))

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None:
        self.checks += 1
        await self.inner.verify_dummy(password)

    def needs_rehash(self, encoded: str) -> bool:
        return bool(self.inner.needs_rehash(encoded))


class NoLookup:
    async def recent_orders(self, **_: Any) -> None:
        raise AssertionError("the check never looks an order up")


async def test_security_17_the_full_path_requests_a_recovery_and_grants_nothing(
    world: World,
) -> None:
    account_id = await member(world)
    deps = replace(world.deps, orders=NoLookup())
    async with deps.uow() as uow:
        sessions = len(await uow.sessions.list_for("us", account_id, world.clock.now()))
    steps = await through(deps, " ANA@Example.com", RIGHT)
    assert [s.stage for s in steps] == ["questions", "order", "contact", "code"]
    assert [q.id for q in steps[0].questions] == [q for q, _ in GOOD]
    assert steps[0].questions[0].text == "What was the name of your first pet?"
    assert {s.currency for s in steps} == {"USD"} and steps[1].questions == ()
    assert (steps[3].sent_to, steps[3].channel, steps[3].wait_seconds) == (
        "n***@example.net", "email", 30,
    )  # fmt: skip
    assert await detail_of(world, steps[0].flow_token) == {
        "kind": "email", "ident": ANA, "asked": [q for q, _ in GOOD], "set": True,
        "q": True, "cap": False, "lock": False, "order_number": "A-1001", "order_total": "43.96",
    }  # fmt: skip
    await finish(world, steps)
    assert (await check.status(deps, "us", steps[0].flow_token)).stage == "done"

    async with deps.uow() as uow:
        recovery = await uow.recoveries.live_for("us", account_id)
        log = await uow.audit.recent("us", account_id)
        after = len(await uow.sessions.list_for("us", account_id, world.clock.now()))
    assert recovery is not None and recovery.state == RecoveryState.REQUESTED
    assert recovery.questions_right and not recovery.two_step
    assert (recovery.order_number, recovery.order_total) == ("A-1001", "43.96")
    assert (recovery.new_kind, recovery.new_contact) == ("email", "new@example.net")
    assert (recovery.requester_ip, recovery.requester_agent) == ("192.0.2.10", "pytest")
    assert recovery.evidence == {
        "questions_set": True, "questions_right": True, "over_cap": False,
        "contact_taken": False,
    }  # fmt: skip
    assert log[0].action == AuditAction.IDENTITY_CHECKED
    assert log[0].detail == {"recovery": recovery.id}
    assert after == sessions  # no session, whatever the evidence
    mail = await sent_to(world, "new@example.net")
    assert [m.kind for m in mail] == [MessageKind.RECOVERY_CODE, MessageKind.RECOVERY_RECEIVED]
    assert {m.account_id for m in mail} == {account_id}  # the account's Message Center
    assert "write to you again" in mail[1].body
    for answer in ("Rex", "rex", "Jaws"):
        assert answer not in repr(recovery) and answer not in repr(log)


@pytest.mark.parametrize("behind", ["nobody", "an unverified account"])
async def test_security_4_a_decoy_looks_the_same_gets_a_code_and_later_a_refusal(
    world: World, behind: str
) -> None:
    account_id = await member(world)
    if behind != "nobody":
        await registration.start(
            world.deps, "us", name="Gus", identifier=GHOST, password=PW, password_again=PW,
            who=WHO,
        )  # fmt: skip
    real = await through(world.deps, ANA, WRONG, contact="one@example.net")
    decoy = await through(world.deps, GHOST, WRONG, contact="two@example.net")
    assert [shape(s) for s in decoy] == [shape(s) for s in real]
    ghost = Identifier(IdentifierKind.EMAIL, GHOST)
    assert decoy[0].questions == check.decoy_questions(world.deps, "us", ghost)
    await finish(world, real, "one@example.net")
    await finish(world, decoy, "two@example.net")  # the code works: they own that address
    assert (await check.status(world.deps, "us", decoy[0].flow_token)).stage == "done"

    async with world.deps.uow() as uow:
        rows = await uow.recoveries.in_states(list(RecoveryState))
    assert [(r.account_id, r.new_contact, r.questions_right) for r in rows] == [
        (account_id, "one@example.net", False)  # a real account's row, even with wrong answers
    ]
    mine, theirs = await sent_to(world, "one@example.net"), await sent_to(world, "two@example.net")
    assert [m.kind for m in theirs] == [
        MessageKind.RECOVERY_CODE, MessageKind.RECOVERY_RECEIVED, MessageKind.RECOVERY_UNVERIFIED,
    ]  # fmt: skip
    assert {m.account_id for m in theirs} == {None}
    assert (mine[1].subject, mine[1].body) == (theirs[1].subject, theirs[1].body)
    delay = world.deps.recovery_policy.refusal_delay
    due = theirs[2].next_attempt_at
    assert due is not None and world.clock.now() + delay <= due < world.clock.now() + 2 * delay

    world.clock.advance(seconds=2 * delay.total_seconds())
    await world.deliver()
    told = [m for m in world.mailer.sent if m.to == "two@example.net"]
    assert "could not verify" in told[-1].subject


async def test_decoy_questions_are_the_same_every_time_for_one_identifier(world: World) -> None:
    first = await check.start(world.deps, "us", identifier=GHOST, who=WHO)
    again = await check.start(world.deps, "us", identifier="  Ghost@EXAMPLE.com", who=WHO)
    assert first.questions == again.questions and len({q.id for q in first.questions}) == 3
    assert set(first.questions) <= set(world.deps.questions.questions)
    texted = await check.start(world.deps, "us", identifier="+12015550123", who=WHO)
    assert (
        texted.questions
        == (await check.start(world.deps, "us", identifier="(201) 555-0123", who=WHO)).questions
    )
    others = [await check.start(world.deps, "us", identifier=f"g{n}@example.com", who=WHO)
              for n in range(6)]  # fmt: skip
    assert len({o.questions for o in others}) > 1  # picked per identifier, not one fixed set

    # An account without questions is asked its identifier's decoys, and still requests a
    # recovery (for a reviewer): with nothing right, and saying no questions were set.
    account_id = await member(world, "nq@example.com", with_questions=False)
    steps = await through(world.deps, "nq@example.com", RIGHT)
    ident = Identifier(IdentifierKind.EMAIL, "nq@example.com")
    assert steps[0].questions == check.decoy_questions(world.deps, "us", ident)
    await finish(world, steps)
    async with world.deps.uow() as uow:
        recovery = await uow.recoveries.live_for("us", account_id)
    assert recovery is not None and not recovery.questions_right
    assert recovery.evidence["questions_set"] is False


async def test_every_judged_check_counts_toward_the_lock_without_any_feedback(
    world: World,
) -> None:
    account_id = await member(world)
    deps = replace(
        world.deps,
        lock_policy=LockPolicy(lock_at=3),
        recovery_policy=RecoveryPolicy(checks_per_day=10),
    )
    lock_key = lockout.account_key(deps, account_id)
    answered, flows = [], []
    for answers in (WRONG, RIGHT, ["abc", "def", "ghi"], WRONG, RIGHT):
        step = await check.start(deps, "us", identifier=ANA, who=WHO)
        flows.append(step.flow_token)
        answered.append(
            await check.answer_questions(
                deps, "us", flow_token=step.flow_token, answers=answers, who=WHO
            )
        )
        async with deps.uow() as uow:
            locked = await uow.locks.get("us", lock_key)
        if len(answered) < 3:  # right answers count as a failure too: two so far
            assert locked is None
        world.clock.advance(seconds=5)
    assert locked is not None  # the third judged check locked the account
    assert len({shape(a) for a in answered}) == 1  # each check answers the same: the order
    details = [await detail_of(world, token) for token in flows]
    assert [d["q"] for d in details] == [False, True, False, False, False]
    assert [d["lock"] for d in details] == [False, False, False, True, True]  # silently
    with pytest.raises(SignInLocked):
        await sign_in.sign_in(deps, "us", identifier=ANA, password=PW, remember=False, who=WHO)
    async with deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", account_id)]
    assert MessageKind.ACCOUNT_LOCKED in kinds  # the owner, not the requester, is told


async def test_too_soon_after_failures_waits_alike_for_an_account_and_for_none(
    world: World,
) -> None:
    await member(world)
    waits = []
    for identifier in (ANA, GHOST):
        for _ in range(3):
            step = await check.start(world.deps, "us", identifier=identifier, who=WHO)
            await check.answer_questions(
                world.deps, "us", flow_token=step.flow_token, answers=WRONG, who=WHO
            )
        step = await check.start(world.deps, "us", identifier=identifier, who=WHO)
        with pytest.raises(SignInThrottled) as caught:
            await check.answer_questions(
                world.deps, "us", flow_token=step.flow_token, answers=RIGHT, who=WHO
            )
        waits.append((caught.value.message, caught.value.retry_after))
        world.clock.advance(seconds=caught.value.retry_after)
        after = await check.answer_questions(
            world.deps, "us", flow_token=step.flow_token, answers=RIGHT, who=WHO
        )
        assert after.stage == "order"
    assert waits[0] == waits[1] and waits[0][1] >= 1


async def test_the_fourth_check_in_a_day_is_capped_silently_with_the_same_work(
    world: World,
) -> None:
    await member(world)
    counting = CountingHasher(world.deps.hasher)
    deps = replace(world.deps, hasher=counting)
    details = []
    for day in (0, 0, 0, 0, 1):
        world.clock.advance(days=day, seconds=60)  # past the progressive delay
        step = await check.start(deps, "us", identifier=ANA, who=WHO)
        before = counting.checks
        answered = await check.answer_questions(
            deps, "us", flow_token=step.flow_token, answers=RIGHT, who=WHO
        )
        assert answered.stage == "order" and counting.checks - before == 3
        details.append(await detail_of(world, step.flow_token))
    assert [d["q"] for d in details] == [True, True, True, False, True]  # right, but capped
    assert [d["cap"] for d in details] == [False, False, False, True, False]


@pytest.mark.parametrize("identifier", [ANA, GHOST])
async def test_parallel_checks_never_exceed_the_daily_cap(world: World, identifier: str) -> None:
    await member(world)
    deps = replace(world.deps, lock_policy=LockPolicy(delay_from=100))
    flows = [await check.start(deps, "us", identifier=identifier, who=WHO) for _ in range(6)]
    answered = await asyncio.gather(
        *(
            check.answer_questions(deps, "us", flow_token=f.flow_token, answers=RIGHT, who=WHO)
            for f in flows
        )
    )
    assert {a.stage for a in answered} == {"order"}
    details = [await detail_of(world, f.flow_token) for f in flows]
    cap = deps.recovery_policy.checks_per_day
    assert sum(not d["cap"] for d in details) == cap
    assert sum(d["q"] for d in details) == (cap if identifier == ANA else 0)


async def test_a_second_recovery_while_one_is_live_is_refused_silently(world: World) -> None:
    account_id = await member(world)
    first = await through(world.deps, ANA, RIGHT, contact="one@example.net")
    await finish(world, first, "one@example.net")
    second = await through(world.deps, ANA, RIGHT, contact="two@example.net")
    await finish(world, second, "two@example.net")  # the same answer: no error, nothing new
    assert [shape(s) for s in second] == [shape(s) for s in first]
    async with world.deps.uow() as uow:
        rows = await uow.recoveries.in_states(list(RecoveryState))
        log = await uow.audit.recent("us", account_id)
    assert [r.new_contact for r in rows] == ["one@example.net"]
    assert log[0].action == AuditAction.IDENTITY_CHECKED
    assert log[0].detail == {"refused": "live_recovery"}
    # ...and the requester hears what any refusal's requester hears, when they would.
    told = await sent_to(world, "two@example.net")
    assert [m.kind for m in told] == [
        MessageKind.RECOVERY_CODE, MessageKind.RECOVERY_RECEIVED, MessageKind.RECOVERY_UNVERIFIED,
    ]  # fmt: skip
    delay, due = world.deps.recovery_policy.refusal_delay, told[2].next_attempt_at
    assert due is not None and world.clock.now() + delay <= due < world.clock.now() + 2 * delay


@pytest.mark.parametrize(
    ("number", "total", "field"),
    [
        ("", "43.96", "order_number"),
        ("   ", "43.96", "order_number"),
        ("A" * 65, "43.96", "order_number"),
        ("A\x0010", "43.96", "order_number"),
        ("A-1001", "", "order_total"),
        ("A-1001", "forty", "order_total"),
        ("A-1001", "-1", "order_total"),
        ("A-1001", "43.961", "order_total"),
        ("A-1001", "43.", "order_total"),
        ("A-1001", "1e3", "order_total"),
        ("A-1001", "43.9.6", "order_total"),
        ("A-1001", "forty", "order_total"),
        ("A-1001", "٤٣", "order_total"),
    ],
)
async def test_order_format_errors_name_their_field_alike_for_everyone(
    world: World, number: str, total: str, field: str
) -> None:
    await member(world, with_questions=False)
    errors = []
    for identifier in (ANA, GHOST):
        step = await check.start(world.deps, "us", identifier=identifier, who=WHO)
        token = step.flow_token
        await check.answer_questions(world.deps, "us", flow_token=token, answers=WRONG, who=WHO)
        with pytest.raises(InvalidInput) as caught:
            await check.confirm_order(
                world.deps, "us", flow_token=token, order_number=number, order_total=total,
                who=WHO,
            )  # fmt: skip
        errors.append((caught.value.field, caught.value.message))
        assert (await check.status(world.deps, "us", token)).stage == "order"
    assert errors[0] == errors[1] and errors[0][0] == field


@pytest.mark.parametrize("total", ["43", "43.9", " 43.96 ", "0", "0.05"])
async def test_a_number_of_money_is_kept_as_typed(world: World, total: str) -> None:
    step = await check.start(world.deps, "us", identifier=GHOST, who=WHO)
    token = step.flow_token
    await check.answer_questions(world.deps, "us", flow_token=token, answers=WRONG, who=WHO)
    moved = await check.confirm_order(
        world.deps, "us", flow_token=token, order_number=" x" * 32, order_total=total, who=WHO
    )
    assert moved.stage == "contact"
    kept = await detail_of(world, token)
    assert (kept["order_number"], kept["order_total"]) == ((" x" * 32).strip(), total.strip())


async def test_answers_must_be_three_and_none_blank(world: World) -> None:
    step = await check.start(world.deps, "us", identifier=GHOST, who=WHO)
    for answers in (["Rex", "Elm"], ["Rex", "Elm", "Jaws", "x"], ["Rex", "  ", "Jaws"]):
        with pytest.raises(InvalidInput):
            await check.answer_questions(
                world.deps, "us", flow_token=step.flow_token, answers=answers, who=WHO
            )
    assert (await check.status(world.deps, "us", step.flow_token)).stage == "questions"


async def test_steps_out_of_order_or_late_are_refused(world: World) -> None:
    token = (await check.start(world.deps, "us", identifier=GHOST, who=WHO)).flow_token
    d, s = world.deps, "us"
    early = [
        check.confirm_order(d, s, flow_token=token, order_number="1", order_total="1", who=WHO),
        check.new_contact(d, s, flow_token=token, contact="new@example.net", who=WHO),
        check.resend(d, s, flow_token=token, who=WHO),
        check.verify(d, s, flow_token=token, code="123456", who=WHO),
    ]
    for call in early:
        with pytest.raises(FlowExpired):
            await call
    await check.answer_questions(d, s, flow_token=token, answers=WRONG, who=WHO)
    with pytest.raises(FlowExpired):  # answered once; never again on this flow
        await check.answer_questions(d, s, flow_token=token, answers=RIGHT, who=WHO)
    world.clock.advance(minutes=31)
    with pytest.raises(FlowExpired):
        await check.status(d, s, token)


async def test_security_28_a_check_of_one_site_is_refused_on_another(world: World) -> None:
    steps = await through(world.deps, GHOST, WRONG)
    token = steps[0].flow_token
    code = await world.code("new@example.net")
    with pytest.raises(FlowExpired):
        await check.status(world.deps, "uk", token)
    with pytest.raises(FlowExpired):
        await check.verify(world.deps, "uk", flow_token=token, code=code, who=WHO)
    with pytest.raises(FlowExpired):
        await check.resend(world.deps, "uk", flow_token=token, who=WHO)
    await check.verify(world.deps, "us", flow_token=token, code=code, who=WHO)  # still good here
    ca = await check.start(world.deps, "ca", identifier=GHOST, who=WHO)
    with pytest.raises(FlowExpired):
        await check.answer_questions(
            world.deps, "us", flow_token=ca.flow_token, answers=WRONG, who=WHO
        )
    assert ca.currency == "CAD" and (await check.start(world.deps, "uk", identifier=GHOST,
                                                      who=WHO)).currency == "GBP"  # fmt: skip


async def test_a_code_by_text_a_resend_after_the_wait_and_wrong_codes(world: World) -> None:
    phone = "+12015550123"
    steps = await through(world.deps, GHOST, WRONG, contact="(201) 555-0123")
    token = steps[0].flow_token
    assert (steps[-1].channel, steps[-1].sent_to) == ("sms", "•••-•••-0123")
    first = await world.code(phone)
    with pytest.raises(CodeRejected, match="wait"):
        await check.resend(world.deps, "us", flow_token=token, who=WHO)
    world.clock.advance(seconds=31)
    again = await check.resend(world.deps, "us", flow_token=token, who=WHO)
    assert (again.stage, again.wait_seconds) == ("code", 30)
    second = await world.code(phone)
    if first != second:  # the newer code voids the older
        with pytest.raises(CodeRejected):
            await check.verify(world.deps, "us", flow_token=token, code=first, who=WHO)
    with pytest.raises(CodeRejected):
        await check.verify(world.deps, "us", flow_token=token, code="000000x", who=WHO)
    await check.verify(world.deps, "us", flow_token=token, code=second, who=WHO)
    await world.deliver()
    texts = [t.body for t in world.texter.sent if t.to == phone]
    assert len(texts) == 3 and all(len(t) <= 160 for t in texts)
    assert "received your account recovery request" in texts[-1]
    told = await sent_to(world, phone)
    assert told[-1].kind == MessageKind.RECOVERY_UNVERIFIED and len(told[-1].body) <= 160


# --- What a check leaves behind must not say how it went, nor whether an account exists ---


async def observe(deps: Deps, identifier: str, who: Requester) -> tuple[Any, ...]:
    """What the next requester can learn of an identifier's lockout budget, in this order:
    the sign-in's decision (its progressive delay), the lock, the next check's answer and
    a sign-in with a wrong password. The last two count, so call it alike for both sides."""
    async with deps.uow() as uow:
        found = await uow.accounts.find("us", deps.identifiers.parse(identifier, "US"))
        assert found is not None
        budget = lockout.budget_for(deps, "us", who, account=found)
        decision, standing, _reading = await lockout.judge(deps, uow, budget)
        locked = await uow.locks.get("us", budget.lock_key) is not None
    step = await check.start(deps, "us", identifier=identifier, who=who)
    try:
        answered = await check.answer_questions(
            deps, "us", flow_token=step.flow_token, answers=WRONG, who=who
        )
        next_check: tuple[Any, ...] = ("order", answered.stage)
    except SignInThrottled as exc:
        next_check = ("throttled", exc.retry_after)
    try:
        await sign_in.sign_in(
            deps, "us", identifier=identifier, password="not-" + PW, remember=False, who=who
        )
        probe: tuple[Any, ...] = ("signed in",)
    except SignInFailed as exc:  # its locked and throttled forms too
        probe = (type(exc).__name__, exc.message, getattr(exc, "retry_after", None))
    return (decision, standing.failures, locked, next_check, probe)


@pytest.mark.parametrize("failures_before", [2, 9])  # the delay starts at 3, the lock at 10
async def test_right_and_wrong_answers_leave_the_lockout_budget_alike(
    world: World, failures_before: int
) -> None:
    """Right answers stay a failure like wrong ones: else the next sign-in's delay (after
    two failures) or a lock (after nine) would tell whether the answers were right."""
    await member(world, ANA)
    await member(world, "bo@example.com")
    deps = world.deps
    sides = [(ANA, RIGHT, replace(WHO, ip="192.0.2.21")),
             ("bo@example.com", WRONG, replace(WHO, ip="192.0.2.22"))]  # fmt: skip
    for _ in range(failures_before):
        for identifier, _answers, who in sides:
            with pytest.raises(SignInFailed):
                await sign_in.sign_in(
                    deps, "us", identifier=identifier, password="not-" + PW, remember=False,
                    who=who,
                )  # fmt: skip
        world.clock.advance(seconds=60)  # past every progressive delay
    judged = []
    for identifier, answers, who in sides:
        step = await check.start(deps, "us", identifier=identifier, who=who)
        await check.answer_questions(
            deps, "us", flow_token=step.flow_token, answers=answers, who=who
        )
        judged.append((await detail_of(world, step.flow_token))["q"])
    assert judged == [True, False]
    right, wrong = [await observe(deps, identifier, who) for identifier, _a, who in sides]
    assert right == wrong
    # The right check counted too: a third failure, or the tenth, which locked (a lock
    # holds the state and clears the count).
    assert (right[1], right[2]) == {2: (3, False), 9: (0, True)}[failures_before]


async def burn(deps: Deps, world: World, token: str, rounds: int) -> list[str]:
    """Five wrong codes on each of ``rounds`` codes of one check (a resend between them)."""
    said = []
    for n in range(rounds):
        if n:
            world.clock.advance(seconds=31)
            await check.resend(deps, "us", flow_token=token, who=WHO)
        for _ in range(5):
            with pytest.raises(CodeRejected) as caught:
                await check.verify(deps, "us", flow_token=token, code="000000", who=WHO)
            said.append(caught.value.message)
    return said


async def test_wrong_codes_in_a_check_leave_a_real_account_and_a_decoy_alike(
    world: World,
) -> None:
    """The daily wrong-code cap of a check is its new contact's: 20 wrong codes neither tell
    an account from none afterwards nor use up the owner's own codes."""
    await member(world)
    deps = world.deps
    said, later = [], []
    for identifier, first, second in ((ANA, "c1@example.net", "c3@example.net"),
                                      (GHOST, "c2@example.net", "c4@example.net")):  # fmt: skip
        steps = await through(deps, identifier, WRONG, contact=first)
        token = steps[0].flow_token
        said.append(await burn(deps, world, token, 4))
        world.clock.advance(seconds=31)
        await check.resend(deps, "us", flow_token=token, who=WHO)
        with pytest.raises(CodeRejected) as capped:  # that contact's cap is reached
            await check.verify(deps, "us", flow_token=token, code="000000", who=WHO)
        fresh = await through(deps, identifier, WRONG, contact=second)
        with pytest.raises(CodeRejected) as wrong:
            await check.verify(deps, "us", flow_token=fresh[0].flow_token, code="000000", who=WHO)
        later.append((capped.value.message, wrong.value.message))
        await finish(world, fresh, second)  # the right code still works
    assert said[0] == said[1] and len(said[0]) == 20
    assert later[0] == later[1] == ("Too many wrong codes today. Please try again tomorrow.",
                                    codes.WRONG)  # fmt: skip
    reset = await password_reset.start(deps, "us", identifier=ANA, who=WHO)
    await password_reset.verify(deps, "us", flow_token=reset.flow_token, code=await world.code(ANA))


def fixed_roll(deps: Deps, share: float) -> Deps:
    """``deps`` whose random numbers below n are all n * share (codes included)."""
    return replace(deps, rng=Random(token_bytes=deps.rng.token_bytes,
                                    randbelow=lambda n: int(n * share)))  # fmt: skip


async def test_we_could_not_verify_it_follows_the_refusal_time_rule(world: World) -> None:
    """A decoy and a second recovery while one is live hear it when a refusal would: the
    refusal delay plus a random share of it (RecoveryPolicy.unverified_due), never at a
    fixed time that a real refusal's or a review's spread would tell apart."""
    await member(world)
    world.runtime.deps = fixed_roll(world.deps, 0.25)
    policy = world.deps.recovery_policy
    await finish(world, await through(world.deps, ANA, RIGHT, contact="one@example.net"),
                 "one@example.net")  # fmt: skip
    dues = []
    for identifier, to in ((GHOST, "two@example.net"), (ANA, "three@example.net")):
        await finish(world, await through(world.deps, identifier, WRONG, contact=to), to)
        told = await sent_to(world, to)
        assert told[-1].kind == MessageKind.RECOVERY_UNVERIFIED
        now = world.clock.now()
        assert told[-1].next_attempt_at == policy.unverified_due(asked_at=now, roll=0.25, now=now)
        dues.append(told[-1].next_attempt_at - now)
    assert dues == [policy.refusal_delay * 1.25] * 2


async def test_a_finished_check_keeps_no_detail(world: World) -> None:
    """Once the code was right the flow forgets the identifier, the answers' outcome and
    the order typed: the recovery row keeps what is weighed, for a real account only."""
    await member(world)
    for identifier, to in ((ANA, "one@example.net"), (GHOST, "two@example.net")):
        steps = await through(world.deps, identifier, RIGHT, contact=to)
        assert (await detail_of(world, steps[0].flow_token))["q"] is (identifier == ANA)
        await finish(world, steps, to)
        assert await detail_of(world, steps[0].flow_token) == {}
        assert (await check.status(world.deps, "us", steps[0].flow_token)).stage == "done"


class CallLog:
    """A unit of work factory that records each repository call: (repository, method)."""

    REPOSITORIES = frozenset({
        "accounts", "sessions", "flows", "audit", "outbox", "counters", "two_step",
        "questions", "cases", "locks", "links", "staff", "recoveries",
    })  # fmt: skip

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def __call__(self) -> Any:
        return _LoggedUnit(self.inner(), self.calls)

    def take(self) -> list[tuple[str, str]]:
        taken, self.calls[:] = list(self.calls), []
        return taken


class _LoggedUnit:
    def __init__(self, inner: Any, calls: list[tuple[str, str]]) -> None:
        self.inner, self.calls = inner, calls

    async def __aenter__(self) -> _LoggedUnit:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.inner.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        return _LoggedRepository(found, name, self.calls) if name in CallLog.REPOSITORIES else found


class _LoggedRepository:
    def __init__(self, inner: Any, name: str, calls: list[tuple[str, str]]) -> None:
        self.inner, self.name, self.calls = inner, name, calls

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.inner, method)

        async def logged(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((self.name, method))
            return await call(*args, **kwargs)

        return logged


async def test_answers_are_read_from_the_database_for_a_decoy_too(world: World) -> None:
    """verify_answers reads the stored answers on every call, for an empty account id too,
    so judging a decoy's answers does the database work a real account's does."""
    await member(world)
    log = CallLog(world.deps.uow)
    deps = replace(world.deps, uow=log)
    assert not await questions.verify_answers(deps, "us", "", GOOD)
    assert log.take() == [("questions", "answers")]
    work = []
    for identifier in (ANA, GHOST):
        step = await check.start(deps, "us", identifier=identifier, who=WHO)
        log.take()
        await check.answer_questions(deps, "us", flow_token=step.flow_token, answers=WRONG, who=WHO)
        work.append(log.take())
    assert work[0] == work[1] and ("questions", "answers") in work[0]


async def test_a_decoy_verify_reads_the_recoveries_as_a_real_one_does(world: World) -> None:
    """The code step's database work differs only by a real account's recovery row and
    audit entry (and a decoy's second message): both look for a live recovery."""
    await member(world)
    log = CallLog(world.deps.uow)
    deps = replace(world.deps, uow=log)
    work = []
    for identifier, to in ((ANA, "one@example.net"), (GHOST, "two@example.net")):
        steps = await through(deps, identifier, WRONG, contact=to)
        code = await world.code(to)
        log.take()
        await check.verify(deps, "us", flow_token=steps[0].flow_token, code=code, who=WHO)
        work.append(Counter(log.take()))
    real, decoy = work
    assert decoy[("recoveries", "live_for")] == real[("recoveries", "live_for")] == 1
    assert real - decoy == Counter({("recoveries", "add"): 1, ("audit", "add"): 1})
    assert decoy - real == Counter({("outbox", "add"): 1})  # "we could not verify it"


async def test_a_set_with_a_removed_question_counts_as_no_set(world: World) -> None:
    """A question the store took off its list has no text but its id, which no decoy ever
    shows: an account whose set has one is asked its identifier's decoys instead, and its
    recovery says that no questions were set."""
    account_id = await member(world)
    offered = tuple(q for q in SHIPPED if q.id != "first_film")
    world.runtime.deps = replace(world.deps, questions=QuestionList(offered))
    steps = await through(world.deps, ANA, RIGHT)
    ident = Identifier(IdentifierKind.EMAIL, ANA)
    assert steps[0].questions == check.decoy_questions(world.deps, "us", ident)
    assert all(q in offered for q in steps[0].questions)
    assert (await detail_of(world, steps[0].flow_token))["set"] is False
    await finish(world, steps)
    async with world.deps.uow() as uow:
        recovery = await uow.recoveries.live_for("us", account_id)
    assert recovery is not None and recovery.evidence["questions_set"] is False
    assert not recovery.questions_right

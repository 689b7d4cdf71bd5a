"""Verify your identity: the identity check that opens an account recovery (PRODUCT.md
journey 5, steps 1 to 4 of the issue-11 design).

```mermaid
stateDiagram-v2
    [*] --> questions: any well-formed identifier (decoy questions when nothing is set)
    questions --> order: answers judged and counted as a failure, right or wrong (no feedback)
    order --> contact: order number and total, format only (nothing is looked up)
    contact --> code: a code to the new email or phone, decoys included
    code --> contact: Use a different email or phone number (the code stops working)
    code --> code: another contact typed at once (API)
    code --> code: resend (after 30 s; the newer code voids the older)
    code --> done: right code: Recovery requested (a recovery row for a real, active account;
                   the flow keeps nothing of what was typed)
```

Every identifier gets these stages in this order with the same fields and the same kind
of answers, whatever exists behind it (SECURITY.md 1, 4, 17): only SignInThrottled (the
lockout budget's progressive delay, counted alike for accounts and unknown identifiers)
and InvalidInput (malformed input) can differ, and neither depends on an account. Nothing
here grants anything: a real account's check ends in a recovery in state ``requested``,
which flows/recovery/pending.py moves on; every other one ends in a "we could not verify
it" message on the same time rule a refusal follows (RecoveryPolicy.unverified_due).
What a check leaves in the lockout budget and the code quotas, and the database work it
does, never depend on an account or on its answers: the next sign-in, check or reset
would read any difference.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from entryway.core.events import AccountStatus, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.lockout import LockReason
from entryway.core.masking import mask
from entryway.core.questions import ANSWER_COUNT, Question, normalize_answer
from entryway.core.secrets import new_otp, new_token
from entryway.core.sites import Site
from entryway.core.throttle import DAY, FailureScope, window_start
from entryway.errors import CodeRejected, FlowExpired, InvalidIdentifier, InvalidInput, SignInLocked
from entryway.flows import codes, words
from entryway.flows.account.questions import verify_answers
from entryway.flows.common import (
    CODE_LIFETIME,
    MAX_SENDS_PER_FLOW,
    code_hash,
    count_send,
    decoy_hash,
    flow_hash,
    send,
)
from entryway.flows.outbox.recovery_notices import written
from entryway.flows.ports import Deps, FlowState, Requester, UnitOfWork
from entryway.flows.recovery import check_outcome
from entryway.flows.recovery.typed_order import check_order, site_currency
from entryway.flows.signin import lockout

PURPOSE = FlowPurpose.IDENTITY_CHECK
FLOW_LIFETIME = timedelta(minutes=30)
RESEND_WAIT = timedelta(seconds=30)
EXPIRED = N_("This step has expired. Please start again.")
WAIT = N_("Please wait {seconds} seconds before asking again.")
# Wrong answers are guesses at a secret of the account's, like passwords: they count in the
# same budget, and a lock they cause asks for a new password when it is lifted.
REASON = LockReason.PASSWORD_GUESSING


@dataclass(frozen=True, slots=True)
class CheckStep:
    """Where a check stands, for the page or API answer: the same fields for everyone."""

    flow_token: str
    stage: str  # "questions" | "order" | "contact" | "code" | "done"
    questions: tuple[Question, ...]  # the three asked, in order (stage questions)
    currency: str  # ISO code of the site's currency, for the total field
    sent_to: str = ""  # masked new contact (stage code)
    channel: str = ""  # "email" | "sms"
    wait_seconds: int = 0  # before a resend


def decoy_questions(deps: Deps, site: str, ident: Identifier) -> tuple[Question, ...]:
    """Three questions for an identifier with no set of its own (no account, or one that
    never set them), the same every time for that identifier: each offered question is
    ranked by a keyed hash of (site, identifier, question), so asking again, or an outsider
    without the key, learns nothing, and a question added to the list moves few choices."""

    def rank(question: Question) -> bytes:
        message = f"decoy-questions\x00{site}\x00{ident.value}\x00{question.id}".encode()
        return hmac.new(deps.keys.hashing, message, "sha256").digest()

    return tuple(sorted(deps.questions.questions, key=rank)[:ANSWER_COUNT])


async def start(deps: Deps, site_code: str, *, identifier: str, who: Requester) -> CheckStep:
    """Verify your identity for the identifier typed: its account's questions, or decoys."""
    site = deps.site(site_code)
    ident = deps.identifiers.parse(identifier, site.phone_region)
    now = deps.clock.now()
    token = new_token(deps.rng)
    async with deps.uow() as uow:
        found = await uow.accounts.find(site.code, ident)
        # Read for every identifier (under an id no account has when there is none), so an
        # unknown one does the same work as a known one.
        stored = await uow.questions.answers(site.code, found.id if found else "")
        real = found is not None and found.status == AccountStatus.ACTIVE
        # A set with a question since taken off the store's list is no set: shown by its
        # id (it has no text), which no decoy ever shows, it would tell an account from
        # none. Such an account gets decoys, and its recovery says no questions were set.
        offered = all(deps.questions.get(a.question_id) is not None for a in stored)
        has_set = real and len(stored) == ANSWER_COUNT and offered
        asked = (
            [a.question_id for a in stored]
            if has_set
            else [q.id for q in decoy_questions(deps, site.code, ident)]
        )
        state = FlowState(
            id_hash=flow_hash(deps, token),
            site=site.code,
            purpose=PURPOSE,
            account_id=found.id if found is not None and real else None,
            target_kind=ident.kind.value,
            target=ident.value,
            code_hash=decoy_hash(deps),  # no code yet: nothing can match
            code_expires_at=now,
            code_attempts=0,
            sends=0,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
            stage="questions",
            # The identifier stays here: target becomes the new contact at the code step.
            detail={"kind": ident.kind.value, "ident": ident.value, "asked": asked, "set": has_set},
        )
        await uow.flows.add(state)
        await uow.commit()
    return _step(deps, site, state, token)


async def status(deps: Deps, site_code: str, flow_token: str) -> CheckStep:
    """Where the check stands (for the page that shows its current step)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await _load(deps, uow, site.code, flow_token, None)
    return _step(deps, site, state, flow_token)


async def answer_questions(
    deps: Deps, site_code: str, *, flow_token: str, answers: Sequence[str], who: Requester
) -> CheckStep:
    """Judge the three answers, all or nothing, and move on to the order whatever they were.

    Judged and counted before any hash in the lockout budget of the account (or of the
    identifier, exactly alike); every judged check stays counted as a failure, right
    answers too, so the budget never says how it went. Too soon after failures raises
    SignInThrottled, as sign-in does. A lock fails the check silently (no lock notice
    here: it would tell an account from none), and so does the daily cap. Whatever
    happens, exactly three verifies run, and only the flow's detail keeps the outcome."""
    site = deps.site(site_code)
    typed = _answers_given(answers)
    async with deps.uow() as uow:
        state = await _load(deps, uow, site.code, flow_token, "questions")
        ident = _identifier(state)
        # Any account of that identifier, verified or not, as sign-in counts it: a check
        # must slow down exactly when a sign-in would.
        found = await uow.accounts.find(site.code, ident)
        budget = lockout.budget_for(deps, site.code, who, account=found, ident=ident)
        try:
            reserved, before, _reading = await lockout.reserve_or_refuse(
                deps, uow, budget, REASON, who
            )
            admitted: lockout.Admitted | None = lockout.Admitted(budget, reserved)
            failing = before.ip_failures > 0
        except SignInLocked:  # locked, or this very check reached the limit: fails silently
            admitted, failing = None, True
        capped = await _over_cap(deps, uow, budget)
        if capped and admitted is not None:  # not judged, so not a guess either
            await lockout.take_back(deps, uow, budget)
        await uow.commit()
    judged = admitted is not None and not capped and state.account_id is not None
    judged = judged and found is not None and found.id == state.account_id
    pairs = list(zip(state.detail["asked"], typed, strict=True))
    async with deps.hash_gate.slot(budget.ip_key, failing=failing):
        # Decoys, and checks that fail silently, take the same path under an id that has
        # no answers: three dummy verifies, as long as three real ones.
        right = await verify_answers(
            deps, site.code, (state.account_id or "") if judged else "", pairs
        )
    right = right and judged
    locked_now = False
    detail = {**state.detail, "q": right, "cap": capped, "lock": admitted is None}
    async with deps.uow() as uow:
        if admitted is not None and not capped:
            # A failure whatever the answers: a right check taking its count back would
            # show in the next sign-in's delay, the next check's wait or a later lock. The
            # daily cap (checks_per_day) keeps what this costs the owner to a few counts.
            locked_now = await lockout.failed(deps, uow, admitted, REASON, who)
        if not await uow.flows.advance(
            site.code, state.id_hash, "questions", "order", detail=detail
        ):
            raise FlowExpired(EXPIRED)
        await uow.commit()
    if locked_now:
        deps.on_message()  # the owner's unlock link
    return _step(deps, site, replace(state, stage="order", detail=detail), flow_token)


def _answers_given(answers: Sequence[str]) -> list[str]:
    """Three answers, none blank: the only thing said about them (format, never content)."""
    given = list(answers)
    if len(given) != ANSWER_COUNT or not all(normalize_answer(a[:400]) for a in given):
        raise InvalidInput("Answer each of the three questions.", field="answers")
    return given


async def _over_cap(deps: Deps, uow: UnitOfWork, budget: lockout.Budget) -> bool:
    """Count this check in the account's (or identifier's) daily checks; true past the cap.
    One atomic upsert per check, so parallel checks each get their own count and no more
    than the cap are ever judged in a day."""
    day = window_start(deps.clock.now(), DAY)
    checks = await uow.counters.hit(budget.site, FailureScope.IDENTITY_CHECKS, budget.lock_key, day)
    return checks > deps.recovery_policy.checks_per_day


async def confirm_order(
    deps: Deps,
    site_code: str,
    *,
    flow_token: str,
    order_number: str,
    order_total: str,
    who: Requester,
) -> CheckStep:
    """Keep the order number and total typed. Nothing is looked up here: the lookup runs
    later, away from the requester, so its answer cannot show in the page or its timing."""
    site = deps.site(site_code)
    number, total = check_order(order_number, order_total)
    async with deps.uow() as uow:
        state = await _load(deps, uow, site.code, flow_token, "order")
        detail = {**state.detail, "order_number": number, "order_total": total}
        if not await uow.flows.advance(site.code, state.id_hash, "order", "contact", detail=detail):
            raise FlowExpired(EXPIRED)
        await uow.commit()
    return _step(deps, site, replace(state, stage="contact", detail=detail), flow_token)


async def new_contact(
    deps: Deps, site_code: str, *, flow_token: str, contact: str, who: Requester
) -> CheckStep:
    """The new email or mobile number; a code goes to it in every case, decoys included:
    the requester owns that contact, so a code that never came would tell them at once."""
    site = deps.site(site_code)
    try:
        new = deps.identifiers.parse(contact, site.phone_region)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(exc.template, field="contact", params=exc.params) from None
    async with deps.uow() as uow:
        state = await _load(deps, uow, site.code, flow_token, None)
        if state.stage not in ("contact", "code"):
            raise FlowExpired(EXPIRED)
        if state.sends >= MAX_SENDS_PER_FLOW:  # a changed contact is no way past the cap
            raise CodeRejected(
                "You have asked for too many codes. Please start again later.", field="contact"
            )
        sent = await _send_code(deps, uow, site, state, new, who)
        await uow.commit()
    deps.on_message()
    return _step(deps, site, sent, flow_token)


async def change_contact(deps: Deps, site_code: str, *, flow_token: str) -> CheckStep:
    """Back from Enter OTP to the new contact, to correct a mistyped one without a new check
    (which would use up one of the day's): the code sent stops working. Codes sent still
    count toward the check's and the quotas' limits."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await _load(deps, uow, site.code, flow_token, "code")
        if not await uow.flows.advance(
            site.code, state.id_hash, "code", "contact", code_hash=decoy_hash(deps)
        ):
            raise FlowExpired(EXPIRED)
        await uow.commit()
    return _step(deps, site, replace(state, stage="contact"), flow_token)


async def resend(deps: Deps, site_code: str, *, flow_token: str, who: Requester) -> CheckStep:
    """A new code to the same new contact once the short wait has passed (the older one
    stops working)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await _load(deps, uow, site.code, flow_token, "code")
        wait = _wait_seconds(deps, state)
        if wait > 0:
            raise CodeRejected(WAIT, field="code", params={"seconds": wait})
        if state.sends >= MAX_SENDS_PER_FLOW:
            raise CodeRejected(
                "You have asked for too many codes. Please start again later.", field="code"
            )
        new = Identifier(IdentifierKind(state.target_kind), state.target)
        sent = await _send_code(deps, uow, site, state, new, who)
        await uow.commit()
    deps.on_message()
    return _step(deps, site, sent, flow_token)


async def _send_code(
    deps: Deps, uow: UnitOfWork, site: Site, state: FlowState, new: Identifier, who: Requester
) -> FlowState:
    """A fresh code to ``new`` within the message quotas of the check's owner key, of the
    destination and of the address; a real code for decoys too."""
    now = deps.clock.now()
    await count_send(deps, uow, site.code, code_owner(new.value), new.value, who)
    code = new_otp(deps.rng)
    channel = Channel.EMAIL if new.kind == IdentifierKind.EMAIL else Channel.SMS
    values: dict[str, Any] = {
        "target_kind": new.kind.value,
        "target": new.value,
        "channel": channel.value,
        "code_hash": code_hash(deps, state.id_hash, code),
        "code_expires_at": now + CODE_LIFETIME,
        "code_attempts": 0,
        "sends": state.sends + 1,
        "last_sent_at": now,
    }
    if not await uow.flows.advance(site.code, state.id_hash, state.stage, "code", **values):
        raise FlowExpired(EXPIRED)
    locale = words.request_locale(site, who)
    message = written(deps, site, locale, channel, "recovery_code", code=code)
    await send(
        deps,
        uow,
        site,
        account_id=state.account_id,
        channel=channel,
        kind=MessageKind.RECOVERY_CODE,
        to=new.value,
        subject=message.subject,
        body=message.text,
        html=message.html,
    )
    return replace(state, stage="code", **values)


def code_owner(contact: str) -> str:
    """Whose daily code quotas (sent, wrong) a check draws on: its new contact's. The
    account's would differ from a decoy's and let a stranger use up the owner's own."""
    return "recovery:" + contact


async def verify(deps: Deps, site_code: str, *, flow_token: str, code: str, who: Requester) -> None:
    """The right code ends the check on Recovery requested, the same for everyone: a
    recovery in state ``requested`` for a real, active account with none live already;
    for anything else, no row, and "we could not verify it" later, on a refusal's time
    rule. Never a session (SECURITY.md 17). The finished flow keeps no detail."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        loaded = await _load(deps, uow, site.code, flow_token, "code")  # else FlowExpired
        state = await codes.check_and_consume(
            deps, uow, site.code, flow_token, PURPOSE, code, next_stage="done",
            owner=code_owner(loaded.target),
        )  # fmt: skip
        await check_outcome.conclude(deps, uow, site, state, who)
        await uow.commit()
    deps.on_message()


async def _load(
    deps: Deps, uow: UnitOfWork, site_code: str, token: str, stage: str | None
) -> FlowState:
    """The live check of this site for ``token``, at ``stage`` when given, or FlowExpired
    (a step out of order, another site's flow, or one past its 30 minutes)."""
    state = await uow.flows.get(site_code, flow_hash(deps, token), PURPOSE) if token else None
    if state is None or deps.clock.now() >= state.expires_at:
        raise FlowExpired(EXPIRED)
    if stage is not None and state.stage != stage:
        raise FlowExpired(EXPIRED)
    return state


def _identifier(state: FlowState) -> Identifier:
    return Identifier(IdentifierKind(state.detail["kind"]), state.detail["ident"])


def _wait_seconds(deps: Deps, state: FlowState) -> int:
    if state.last_sent_at is None:
        return 0
    left = state.last_sent_at + RESEND_WAIT - deps.clock.now()
    return max(0, int(left.total_seconds() + 0.999))


def _question(deps: Deps, question_id: str) -> Question:
    # Every question asked was on offer when the check started (start() treats a set with
    # a removed one as none). Only a list changed mid-check leaves one without its text,
    # for real and decoy checks alike: it shows by its id.
    return deps.questions.get(question_id) or Question(question_id, question_id)


def _step(deps: Deps, site: Site, state: FlowState, token: str) -> CheckStep:
    """What the page shows at the flow's stage; never anything of the flow's detail."""
    at_questions = state.stage == "questions"
    at_code = state.stage == "code"
    return CheckStep(
        flow_token=token,
        stage=state.stage,
        questions=tuple(_question(deps, q) for q in state.detail["asked"]) if at_questions else (),
        currency=site_currency(site),
        sent_to=mask(state.target_kind, state.target) if at_code else "",
        channel=state.channel if at_code else "",
        wait_seconds=_wait_seconds(deps, state) if at_code else 0,
    )

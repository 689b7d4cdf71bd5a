"""Verification questions on Login & security: which are set, setting them, checking answers.

Setting or changing them needs a password given in the last ten minutes (the same check as
two-step changes), is audited and told to every verified contact. Answers are hashed like
passwords, outside the transaction (hashing is slow), and never shown again to anyone
(SECURITY.md 35). They never sign anyone in by themselves (SECURITY.md 17): the identity
check that asks them opens a pending recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AuditAction, MessageKind
from entryway.core.locales import N_
from entryway.core.passwords import normalize_password
from entryway.core.questions import (
    ANSWER_COUNT,
    MAX_ANSWER_LENGTH,
    Question,
    check_answers,
    context_answers,
    normalize_answer,
)
from entryway.errors import AnswersRejected
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import Deps, Requester, StoredAnswer


@dataclass(frozen=True, slots=True)
class QuestionsOverview:
    """What the customer may see: the offered questions and which are set. Never answers."""

    offered: tuple[Question, ...]
    chosen: list[Question]  # by position; [] when not set
    set_at: datetime | None


async def current(deps: Deps, me: Current) -> QuestionsOverview:
    """The offered list, the questions this account chose, and when."""
    async with deps.uow() as uow:
        stored = await uow.questions.answers(me.account.site, me.account.id)
    chosen = [
        # A question a store has since taken off its list still shows, by its id.
        deps.questions.get(a.question_id) or Question(a.question_id, a.question_id)
        for a in stored
    ]
    return QuestionsOverview(
        offered=deps.questions.questions,
        chosen=chosen,
        set_at=max((a.set_at for a in stored), default=None),
    )


async def set_answers(
    deps: Deps, me: Current, choices: Sequence[tuple[str, str]], who: Requester
) -> None:
    """Make these three (question id, answer) pairs the account's set, replacing any before.

    Raises Forbidden without a recent password, AnswersRejected (a reason per field) when
    the rules refuse an answer."""
    require_recent(deps, me)
    account = me.account
    context = context_answers(account.name, account.email, account.phone)
    cleaned, problems = check_answers(deps.questions, list(choices), context)
    if problems:
        raise AnswersRejected(problems)
    await _refuse_the_password(deps, me, [raw for _, raw in choices])
    hashes = await asyncio.gather(*(deps.hasher.hash(answer) for _, answer in cleaned))
    now = deps.clock.now()
    rows = [
        StoredAnswer(account.site, account.id, n, question_id, encoded, now)
        for n, ((question_id, _), encoded) in enumerate(zip(cleaned, hashes, strict=True), 1)
    ]
    async with deps.uow() as uow:
        first = not await uow.questions.answers(account.site, account.id)
        await uow.questions.replace(account.site, account.id, rows)
        await audit(
            deps, uow, account.site, account.id, AuditAction.QUESTIONS_SET, who, first=first
        )
        site = deps.site(account.site)
        await notify_all_of(
            deps,
            uow,
            site,
            account,
            MessageKind.QUESTIONS_CHANGED,
            "questions_changed",
            who=who,
            first=first,
        )
        await uow.commit()
    deps.on_message()


async def _refuse_the_password(deps: Deps, me: Current, typed: list[str]) -> None:
    """An answer may not be the password: the only copy we hold is its hash, so each answer
    is checked against it as typed (the three checks run side by side)."""
    same = await asyncio.gather(
        *(deps.hasher.verify(me.account.password_hash, normalize_password(raw)) for raw in typed)
    )
    problems = {
        f"answer_{n}": N_("Don't use your password as an answer.")
        for n, hit in enumerate(same, start=1)
        if hit
    }
    if problems:
        raise AnswersRejected(problems)


async def verify_answers(
    deps: Deps, site: str, account_id: str, answers: Sequence[tuple[str, str]]
) -> bool:
    """All-or-nothing, constant-work check of (question id, answer) pairs (SECURITY.md 17).

    True only when the account has a full set and every pair names one of its questions,
    each once, with the right answer. Whatever is wrong, and whether the account has any
    answers at all, exactly three verifies run (a dummy one where there is no stored hash),
    and only one bit comes back: timing and result never say which answer failed, or
    whether answers were set. The caller counts a False toward the account's cap."""
    # Read in a transaction of its own and closed before hashing: on SQLite an open unit of
    # work holds the database's one write lock, and three verifies take a while. Read for
    # every call, an empty id too (it finds none): a decoy does the same database work.
    async with deps.uow() as uow:
        rows = await uow.questions.answers(site, account_id)
    stored = {a.question_id: a.answer_hash for a in rows}
    given = [(q, a) for q, a in list(answers)[:ANSWER_COUNT]]
    given += [("", "")] * (ANSWER_COUNT - len(given))
    checks = []
    for question_id, raw in given:
        answer = normalize_answer(raw[: MAX_ANSWER_LENGTH * 2])
        encoded = stored.get(question_id)
        checks.append(
            deps.hasher.verify(encoded, answer) if encoded else _dummy_verify(deps, answer)
        )
    results = await asyncio.gather(*checks)
    asked = [question_id for question_id, _ in given]
    whole = len(stored) == ANSWER_COUNT and len(set(asked)) == ANSWER_COUNT
    return whole and set(asked) == set(stored) and all(results) and len(answers) == ANSWER_COUNT


async def _dummy_verify(deps: Deps, answer: str) -> bool:
    """A verify's worth of work for a question with no stored answer; never a match."""
    await deps.hasher.verify_dummy(answer)
    return False

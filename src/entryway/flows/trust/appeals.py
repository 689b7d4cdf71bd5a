"""Appeals against a suspension (DSA Art. 20, SECURITY.md 37): the customer sends one from
the notice, it becomes a case (topic appeal) for the trust role, and a person decides it.

The rules held here: one open appeal at a time (a unique index, so two at once cannot both
land); at most ``MAX_APPEALS`` decided per suspension, inside its appeal window
(``core.suspension.why_no_appeal``); the second appeal is decided by someone other than the
first's decider (``may_decide``); only trust staff decide, only on their sites (a case of
another site answers NotFound exactly like one that does not exist, as in the queue); every
decision carries a reason written for the customer, and is a person's: there is no automated
path to ``decide``.

Reinstating lifts the suspension in the decision's own transaction (the appeal's decision
and the lift commit together or not at all) through ``measures.end_suspension``, the
in-transaction half of ``measures.lift``: the suspension in_force -> lifted (conditional),
and the account's suspension cleared only while it still names this suspension. Old
sessions are not restored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from entryway.core.cases import Author, CaseState, Origin, Topic
from entryway.core.events import AuditAction, MessageKind
from entryway.core.local_time import site_time
from entryway.core.locales import N_
from entryway.core.secrets import new_token
from entryway.core.sites import Site
from entryway.core.staff import Actor, Role, StaffAction
from entryway.core.suspension import (
    MAX_APPEAL,
    MAX_DECISION,
    AppealState,
    Decision,
    may_decide,
)
from entryway.errors import Conflict, FlowExpired, Forbidden, InvalidInput, NotFound
from entryway.flows.common import audit
from entryway.flows.outbox.appeal_notices import excerpt
from entryway.flows.ports import (
    Account,
    Appeal,
    Deps,
    Requester,
    SupportCase,
    Suspension,
    UnitOfWork,
)
from entryway.flows.staff.common import audit as staff_audit
from entryway.flows.support.queue import NO_SUCH_CASE, STAFF, visible
from entryway.flows.support.thread import add_case, record, tell_customer
from entryway.flows.trust import measures, notice
from entryway.flows.trust.measures import Statement
from entryway.flows.words import reader_locale

TRUST_ONLY = "Appeals are decided by trust staff."
DECISIONS = "Choose Reinstate or Uphold."  # the console's words, not a customer's
ALREADY_OPEN = N_("Your appeal is with our team. We will email you our decision.")
DECIDED = "This appeal has been decided already."
SECOND_BY_OTHER = (
    "You decided this customer's first appeal, so a colleague must decide the second one."
)
CHANGED = "The appeal changed meanwhile. Reload the case and try again."
DECIDED_STATES = (AppealState.UPHELD, AppealState.REINSTATED)


@dataclass(frozen=True, slots=True)
class AppealSent:
    """What the customer is shown once the appeal is in: its case number."""

    case_number: str
    number: int  # 1 or 2: which appeal against this suspension


@dataclass(frozen=True, slots=True)
class AppealPanel:
    """What trust staff see beside an appeal case: the statement, the appeal, the ones
    before it, and whether this actor may decide it (and why not)."""

    statement: Statement
    appeal: Appeal
    earlier: tuple[Appeal, ...]
    can_decide: bool
    why_not: str | None  # why this actor cannot decide (second-appeal rule, decided)


def clean_text(raw: str, field: str, limit: int, empty: str) -> str:
    """Trimmed, not empty, at most ``limit`` characters; line breaks kept (people read it)."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(empty, field=field)
    if len(text) > limit:
        raise InvalidInput(
            "Use at most {limit} characters (this has {length}).",
            field=field,
            params={"limit": limit, "length": len(text)},
        )
    return text


def summary(statement: Statement, number: int, site: Site) -> str:
    """The case's SYSTEM entry: the measure under appeal, as the statement gave it."""
    when = site_time(statement.starts_at, site)
    until = "indefinite" if statement.until is None else "until " + site_time(statement.until, site)
    means = "flagged by automated means" if statement.automated else "no automated means"
    return (
        f"Appeal {number} against the suspension of this account on {site.name}, "
        f"started {when} ({until}; {means}).\n"
        f"Reason: {statement.title} (terms {statement.terms_section}, "
        f"code {statement.reason_code}).\nFacts given: {statement.facts}\n"
        "Reinstate to lift the suspension, or uphold it; either way the reason you give is "
        "sent to the customer."
    )


async def submit(
    deps: Deps, site: str, view_token: str, *, text: str, who: Requester
) -> AppealSent:
    """Submit appeal from the notice: a case (topic appeal) with the customer's text, an
    appeal row (one open at a time), audited and confirmed by email with the case number."""
    body = clean_text(text, "text", MAX_APPEAL, N_("Tell us why we should reconsider."))
    now = deps.clock.now()
    async with deps.uow() as uow:
        state, account, suspension = await notice.resolve(deps, uow, site, view_token)
        # The statement says whether an appeal can be sent (window, count, one open, a
        # warning), so the notice and this refusal never disagree.
        statement = await measures.statement(deps, uow, suspension)
        if statement.why_not is not None:
            if any(a.state is AppealState.OPEN for a in statement.appeals):
                raise Conflict(ALREADY_OPEN)
            raise Forbidden(statement.why_not)
        number = sum(1 for a in statement.appeals if a.state in DECIDED_STATES) + 1
        the_site = deps.site(suspension.site)
        # From an emailed link the view proves only the link; after a right password, more.
        # Only a right password is "Password step passed"; a link, or a reset or recovery
        # that ended on the notice, proved a contact or an identity check, not the password.
        origin = (
            Origin.PASSWORD_PASSED
            if state.target_kind == notice.FROM_PASSWORD
            else Origin.SIGNED_OUT
        )
        case = await add_case(
            deps, uow, the_site, account, origin, Topic.APPEAL, now, account.name, None,
            who.locale if who.locale in the_site.locales else "",
        )  # fmt: skip
        await record(deps, uow, case, Author.CUSTOMER, body)
        await record(deps, uow, case, Author.SYSTEM, summary(statement, number, the_site))
        appeal = Appeal(
            id=new_token(deps.rng, 16),
            site=suspension.site,
            suspension_id=suspension.id,
            account_id=account.id,
            case_id=case.id,
            number=number,
            text=body,
            created_at=now,
        )
        if not await uow.suspensions.add_appeal(appeal):
            raise Conflict(ALREADY_OPEN)  # another one landed first: this one is not kept
        await audit(
            deps,
            uow,
            suspension.site,
            account.id,
            AuditAction.APPEAL_OPENED,
            who,
            suspension=suspension.id,
            appeal=number,
            case=case.number,
        )
        locale = reader_locale(the_site, account)
        email = deps.messages.email(
            "appeal_received", the_site, locale, number=case.number, appeal=number
        )
        await tell_customer(
            deps,
            uow,
            the_site,
            case,
            account,
            MessageKind.APPEAL_RECEIVED,
            email,
            deps.messages.sms("appeal_received", the_site, locale, number=case.number),
        )
        await uow.commit()
    deps.on_message()
    return AppealSent(case_number=case.number, number=number)


async def _appeal_case(
    deps: Deps, uow: UnitOfWork, actor: Actor, case_id: str
) -> tuple[SupportCase, Appeal, Suspension, list[Appeal]] | None:
    """The appeal behind a case the actor may see (NotFound otherwise, as in the queue), or
    None when the case is not an appeal."""
    case = await visible(deps, uow, actor, case_id)
    if case.topic is not Topic.APPEAL or not actor.has(Role.TRUST):
        return None
    appeal = await uow.suspensions.appeal_by_case(case.site, case.id)
    if appeal is None:
        return None
    suspension = await uow.suspensions.get(case.site, appeal.suspension_id)
    if suspension is None:
        return None
    appeals = await uow.suspensions.appeals(case.site, suspension.id)
    return case, appeal, suspension, appeals


def _why_not(actor: Actor, appeal: Appeal, appeals: list[Appeal]) -> str | None:
    """Why this actor may not decide this appeal now; None when they may."""
    if appeal.state is not AppealState.OPEN:
        return DECIDED
    deciders = tuple(
        a.decided_by
        for a in appeals
        if a.number < appeal.number and a.state in DECIDED_STATES and a.decided_by
    )
    if not may_decide(appeal.number, deciders, actor.staff_id):
        return SECOND_BY_OTHER
    return None


async def panel_for_case(deps: Deps, actor: Actor, case_id: str) -> AppealPanel | None:
    """The appeal panel of a case the actor may see; None when it is not an appeal case or
    the actor is not trust staff. A case outside the actor's sites or roles is NotFound."""
    async with deps.uow() as uow:
        found = await _appeal_case(deps, uow, actor, case_id)
        if found is None:
            return None
        _case, appeal, suspension, appeals = found
        statement = await measures.statement(deps, uow, suspension)
    why = _why_not(actor, appeal, appeals)
    return AppealPanel(
        statement=statement,
        appeal=appeal,
        earlier=tuple(a for a in appeals if a.number < appeal.number),
        can_decide=why is None,
        why_not=why,
    )


def _decision(raw: str) -> Decision:
    try:
        return Decision(raw)
    except ValueError:
        raise InvalidInput(DECISIONS, field="decision") from None


async def decide(
    deps: Deps,
    actor: Actor,
    case_id: str,
    *,
    decision: str,
    reason: str,
    who: Requester = STAFF,
) -> Appeal:
    """Reinstate or uphold, with a reason the customer reads: the appeal is decided (a
    conditional write), a reinstatement lifts the suspension in the same transaction, the
    case gets the reason and is solved, both logs record it and the customer is emailed."""
    if not actor.has(Role.TRUST) or not actor.staff_id:
        raise Forbidden(TRUST_ONLY)
    chosen = _decision(decision)
    why = clean_text(reason, "reason", MAX_DECISION, "Give a reason for the customer.")
    now = deps.clock.now()
    async with deps.uow() as uow:
        found = await _appeal_case(deps, uow, actor, case_id)
        if found is None:
            raise NotFound(NO_SUCH_CASE)
        case, appeal, suspension, appeals = found
        refused = _why_not(actor, appeal, appeals)
        if refused == DECIDED:
            raise FlowExpired(DECIDED)
        if refused is not None:
            raise Forbidden(refused)
        state = AppealState.REINSTATED if chosen is Decision.REINSTATE else AppealState.UPHELD
        if not await uow.suspensions.decide_appeal(
            case.site, appeal.id, state, actor.staff_id, now, why
        ):
            raise Conflict(CHANGED)
        decided = replace(
            appeal, state=state, decided_by=actor.staff_id, decided_at=now, decision_reason=why
        )
        account = await uow.accounts.get(case.site, appeal.account_id)
        if account is None:
            raise NotFound(NO_SUCH_CASE)
        if chosen is Decision.REINSTATE:
            # The lift of measures.lift, in this transaction: a decision never commits
            # without it (the row in_force -> lifted, conditional; the account's mark
            # cleared only while it names this suspension; audited; the owner told).
            await measures.end_suspension(
                deps, uow, suspension, reason=why, by=actor.staff_id, who=who
            )
        await _close(deps, uow, actor, case, why, now)
        await _log(deps, uow, actor, case, decided, why, who)
        await _tell(deps, uow, case, account, suspension, decided)
        await uow.commit()
    deps.on_message()
    return decided


async def _close(
    deps: Deps, uow: UnitOfWork, actor: Actor, case: SupportCase, reason: str, now: datetime
) -> None:
    """The reason goes on the thread as the agent's answer (the customer reads it there
    too), and the case is solved; the sweep closes it a week later."""
    await record(deps, uow, case, Author.AGENT, reason, actor.staff_id)
    if case.state in (CaseState.SOLVED, CaseState.CLOSED):
        return
    moved = await uow.cases.move(
        case.site,
        case.id,
        case.state,
        state=CaseState.SOLVED,
        solved_at=now,
        last_agent_at=now,
        first_reply_due=None,
    )
    if not moved:
        raise Conflict(CHANGED)


async def _log(
    deps: Deps,
    uow: UnitOfWork,
    actor: Actor,
    case: SupportCase,
    appeal: Appeal,
    reason: str,
    who: Requester,
) -> None:
    """On the customer's own log (with staff, case and reason) and on the staff log."""
    action = (
        AuditAction.APPEAL_REINSTATED
        if appeal.state is AppealState.REINSTATED
        else AuditAction.APPEAL_UPHELD
    )
    await audit(
        deps,
        uow,
        case.site,
        appeal.account_id,
        action,
        who,
        suspension=appeal.suspension_id,
        appeal=appeal.number,
        staff=actor.staff_id,
        case=case.number,
        reason=reason,
    )
    await staff_audit(
        deps,
        uow,
        StaffAction.APPEAL_DECIDED,
        actor_id=actor.staff_id,
        target_id=appeal.account_id,
        who=who,
        site=case.site,
        case=case.number,
        suspension=appeal.suspension_id,
        appeal=appeal.number,
        decision=appeal.state.value,
    )


async def _tell(
    deps: Deps,
    uow: UnitOfWork,
    case: SupportCase,
    account: Account,
    suspension: Suspension,
    decided: Appeal,
) -> None:
    """APPEAL_DECIDED to the case's reply address. Upheld: whether another appeal can be
    sent after this decision and until when, with a fresh notice link when it can."""
    site = deps.site(case.site)
    reason = decided.decision_reason
    locale = reader_locale(site, account)
    if decided.state is AppealState.REINSTATED:
        values: dict[str, Any] = {"number": case.number}
        email = deps.messages.email("appeal_reinstated", site, locale, reason=reason, **values)
        sms = deps.messages.sms("appeal_reinstated", site, locale, **values)
    else:
        # Read after the decision, in its transaction: whether one more appeal can be sent.
        why_not = (await measures.statement(deps, uow, suspension)).why_not
        link = until = None
        if why_not is None and suspension.appeal_until is not None:
            link = await measures.notice_link(deps, uow, site, suspension)
            until = suspension.appeal_until
        values = {"number": case.number, "link": link}
        email = deps.messages.email(
            "appeal_upheld", site, locale, reason=reason, why_not=why_not, until=until, **values
        )
        sms = deps.messages.sms("appeal_upheld", site, locale, excerpt=excerpt(reason), **values)
    await tell_customer(deps, uow, site, case, account, MessageKind.APPEAL_DECIDED, email, sms)

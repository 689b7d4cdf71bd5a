"""Agent review of a recovery whose evidence was weak: the identity_review case a reviewer
works, what it shows (signals only, never an answer, SECURITY.md 31, 35), and the two
decisions, each with a reason, audited on the customer's log with the staff member, the
case and the reason. A review has a deadline from the moment it opens (``wait_until``, drawn
as a refusal's answer is): a reviewer decides before it, or the sweep declines it then.

Cases are reached as in the queue (``visible``): another site's case, or one outside the
reviewer's roles, answers NotFound exactly like a case that does not exist (SECURITY.md 33).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from entryway.core.cases import Author, Origin, Topic
from entryway.core.events import ACTIVITY_LABELS, AuditAction, Channel, MessageKind, MessageStatus
from entryway.core.local_time import site_time
from entryway.core.masking import mask
from entryway.core.recovery import Notice, RecoveryState
from entryway.core.sites import Site
from entryway.core.staff import Actor, Role
from entryway.errors import Conflict, FlowExpired, Forbidden, NotFound
from entryway.flows.common import audit
from entryway.flows.outbox.recovery_notices import written
from entryway.flows.ports import (
    Account,
    Deps,
    Recovery,
    Rendered,
    Requester,
    SupportCase,
    UnitOfWork,
)
from entryway.flows.recovery import steps
from entryway.flows.staff.common import reason_of
from entryway.flows.support.queue import NO_SUCH_CASE, STAFF, visible
from entryway.flows.support.thread import add_case, record

REVIEWERS_ONLY = "Identity reviews are for reviewers."
NOT_IN_REVIEW = "This recovery is no longer waiting for a decision."
CHANGED = "The recovery changed meanwhile. Reload the case and try again."
# The stable reason of a decline for want of a decision (stored, audited, on the case).
NOT_REVIEWED = "not reviewed in time"
RECENT_EVENTS = 10

# How each signal reads on the case's first entry, by its stable name in the evidence.
_SIGNALS = (
    ("questions", "Verification questions"),
    ("order", "Recent order"),
    ("two_step", "Two-step verification on"),
    ("recent_change", "Password or contact changed in the last 7 days"),
    ("failed_today", "A check for this account failed today"),
    ("contact_taken", "The new contact belongs to another account on this site"),
    ("cancelled_lately", "A recovery of this account was cancelled in the last 30 days"),
)


@dataclass(frozen=True, slots=True)
class ReviewView:
    """What a reviewer sees of a recovery: the signals, never the answers or what was typed."""

    recovery_id: str
    state: RecoveryState
    created_at: datetime
    new_contact_masked: str
    evidence: dict[str, Any]  # signals by stable name (see pending._signals)
    account_age_days: int
    recent_events: list[tuple[str, datetime]]  # (label, at), newest first
    requester_ip: str
    requester_agent: str
    notices_bounced: bool  # a message to an old contact about it could not be delivered
    decided_by: str | None
    decision_reason: str
    decide_by: datetime | None = None  # in review: declined automatically from then


def describe(evidence: dict[str, Any]) -> str:
    """The signals as one line each, for the case's first entry."""
    lines = []
    for key, label in _SIGNALS:
        value = evidence.get(key)
        shown = ("yes" if value else "no") if isinstance(value, bool) or value is None else value
        lines.append(f"{label}: {str(shown).replace('_', ' ')}.")
    return "\n".join(lines)


async def open_case(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, recovery: Recovery
) -> SupportCase:
    """The identity_review case for a reviewer (in the evaluation's transaction), linked to
    the account, its first entry listing the signals the recovery's evidence holds."""
    now = deps.clock.now()
    case = await add_case(
        deps, uow, site, account, Origin.SIGNED_OUT, Topic.IDENTITY_REVIEW, now, "", None,
        recovery.requester_locale,
    )  # fmt: skip
    age = (now - account.created_at).days
    body = (
        "Identity check for an account recovery; the new contact "
        f"({mask(recovery.new_kind, recovery.new_contact)}) was proven by a code.\n"
        f"{describe(recovery.evidence)}\n"
        f"Account created {age} days ago. Asked from {recovery.requester_ip or 'unknown'}, "
        f"{recovery.requester_agent or 'unknown browser'}.\n"
        "Approve to start the waiting period (the old contacts are told and can stop it), "
        "or decline."
    )
    await record(deps, uow, case, Author.SYSTEM, body)
    return case


async def review_for_case(deps: Deps, actor: Actor, case_id: str) -> ReviewView | None:
    """The recovery behind a case the actor may see, or None when it is not a review case.
    A case outside the actor's sites or roles is NotFound, as in the queue."""
    async with deps.uow() as uow:
        case = await visible(deps, uow, actor, case_id)
        if case.topic is not Topic.IDENTITY_REVIEW or not actor.has(Role.REVIEWER):
            return None
        recovery = await uow.recoveries.by_case(case.site, case.id)
        account = await uow.accounts.get(case.site, case.account_id or "")
        if recovery is None or account is None:
            return None
        recent = await uow.audit.recent(case.site, account.id, RECENT_EVENTS)
        bounced = await _bounced(uow, account, recovery)
    return ReviewView(
        recovery_id=recovery.id,
        state=recovery.state,
        created_at=recovery.created_at,
        new_contact_masked=mask(recovery.new_kind, recovery.new_contact),
        evidence=dict(recovery.evidence),
        account_age_days=(deps.clock.now() - account.created_at).days,
        recent_events=[(ACTIVITY_LABELS.get(e.action, e.action.value), e.at) for e in recent],
        requester_ip=recovery.requester_ip,
        requester_agent=recovery.requester_agent,
        notices_bounced=bounced,
        decided_by=recovery.decided_by,
        decision_reason=recovery.decision_reason,
        decide_by=recovery.wait_until if recovery.state is RecoveryState.REVIEW else None,
    )


async def _bounced(uow: UnitOfWork, account: Account, recovery: Recovery) -> bool:
    """Whether a notice about this recovery to an old contact failed to be delivered (the
    provider refused it at least once and it is not sent): the owner may not have heard."""
    old = {to for _channel, to in steps.old_contacts(account)}
    for message in await uow.outbox.for_account(account.site, account.id, 200):
        if (
            message.kind == MessageKind.RECOVERY_NOTICE
            and message.to in old
            and message.created_at >= recovery.created_at
            and message.status != MessageStatus.SENT
            and (message.attempts > 0 or message.status == MessageStatus.FAILED)
        ):
            return True
    return False


async def _under_review(
    deps: Deps, uow: UnitOfWork, actor: Actor, case_id: str
) -> tuple[SupportCase, Recovery, Account]:
    if not actor.has(Role.REVIEWER):
        raise Forbidden(REVIEWERS_ONLY)
    case = await visible(deps, uow, actor, case_id)
    recovery = await uow.recoveries.by_case(case.site, case.id)
    account = await uow.accounts.get(case.site, case.account_id or "")
    if case.topic is not Topic.IDENTITY_REVIEW or recovery is None or account is None:
        raise NotFound(NO_SUCH_CASE)
    if recovery.state is not RecoveryState.REVIEW:
        raise FlowExpired(NOT_IN_REVIEW)
    if recovery.wait_until is not None and deps.clock.now() >= recovery.wait_until:
        # Past its deadline it is declined (the sweep may not have run yet): a late
        # decision is refused like a second one, never approved after the answer is due.
        raise FlowExpired(NOT_IN_REVIEW)
    return case, recovery, account


async def approve(
    deps: Deps, actor: Actor, case_id: str, *, reason: str, who: Requester = STAFF
) -> None:
    """Approve: the waiting period starts now (the longer one when 2SV was on), the new
    contact is told the date and the old contacts get the first notice with This wasn't me;
    audited, and the case solved."""
    why = reason_of(reason)
    now = deps.clock.now()
    async with deps.uow() as uow:
        case, recovery, account = await _under_review(deps, uow, actor, case_id)
        two_step = recovery.two_step or bool(recovery.evidence.get("two_step"))
        until = now + deps.recovery_policy.wait_for(two_step)
        decided: dict[str, Any] = {
            "waiting_since": now,
            "wait_until": until,
            "notices_sent": int(Notice.STARTED),
            "decided_by": actor.staff_id,
            "decided_at": now,
            "decision_reason": why,
        }
        moved = await uow.recoveries.move(
            case.site, recovery.id, RecoveryState.REVIEW, state=RecoveryState.WAITING, **decided
        )
        if not moved:
            raise Conflict(CHANGED)
        site = deps.site(case.site)
        waiting = replace(recovery, state=RecoveryState.WAITING, **decided)
        await steps.wait_started(deps, uow, site, account, waiting)
        await _audit(deps, uow, AuditAction.RECOVERY_APPROVED, actor, case, recovery, why, who)
        await steps.close_case(
            deps,
            uow,
            recovery,
            f"Approved: the waiting period runs until {site_time(until, site)}. Reason: {why}",
            actor.staff_id,
        )
        await uow.commit()
    deps.on_message()


async def decline(
    deps: Deps, actor: Actor, case_id: str, *, reason: str, who: Requester = STAFF
) -> None:
    """Decline: the recovery ends, the new contact is told that we could not verify it
    (at the review's deadline, drawn as a refusal's or a decoy's time, never at once: how
    soon it comes must not show that a person looked), the old contacts that it was
    declined; audited, and the case solved."""
    why = reason_of(reason)
    now = deps.clock.now()
    async with deps.uow() as uow:
        case, recovery, account = await _under_review(deps, uow, actor, case_id)
        ended = await steps.end(
            deps,
            uow,
            recovery,
            RecoveryState.DECLINED,
            f"Declined. Reason: {why}",
            actor.staff_id,
            decided_by=actor.staff_id,
            decided_at=now,
            decision_reason=why,
        )
        if not ended:
            raise Conflict(CHANGED)
        await _tell_declined(deps, uow, account, recovery)
        await _audit(deps, uow, AuditAction.RECOVERY_DECLINED, actor, case, recovery, why, who)
        await uow.commit()
    deps.on_message()


async def decline_overdue(deps: Deps, recovery: Recovery, who: Requester) -> bool:
    """No reviewer decided by the deadline: declined as a reviewer's decline would be, by
    no one, with the stable reason ``NOT_REVIEWED``; the new contact hears now (the time
    it was always due), the old contacts that it was declined. False if it moved meanwhile."""
    deadline = recovery.wait_until
    now = deps.clock.now()
    if recovery.state is not RecoveryState.REVIEW or deadline is None or now < deadline:
        return False
    async with deps.uow() as uow:
        account = await uow.accounts.get(recovery.site, recovery.account_id)
        case = await uow.cases.get(recovery.site, recovery.case_id or "")
        if account is None:
            return False
        ended = await steps.end(
            deps,
            uow,
            recovery,
            RecoveryState.DECLINED,
            "Declined automatically: no decision was made by the deadline.",
            decided_at=now,
            decision_reason=NOT_REVIEWED,
        )
        if not ended:
            return False  # decided or cancelled meanwhile
        await _tell_declined(deps, uow, account, recovery)
        await audit(
            deps,
            uow,
            recovery.site,
            recovery.account_id,
            AuditAction.RECOVERY_DECLINED,
            who,
            recovery=recovery.id,
            case=case.number if case else None,
            reason=NOT_REVIEWED,
            automatic=True,
        )
        await uow.commit()
    deps.on_message()
    return True


async def _tell_declined(deps: Deps, uow: UnitOfWork, account: Account, recovery: Recovery) -> None:
    """The new contact hears we could not verify it when its review's deadline said (a
    refusal's time), the old contacts that the recovery was declined."""
    site = deps.site(recovery.site)
    await steps.tell_unverified(deps, uow, site, recovery)

    def write(channel: Channel, locale: str, _link: str | None) -> Rendered:
        return written(deps, site, locale, channel, "recovery_declined_to_old")

    await steps.tell_old(
        deps, uow, site, account, recovery, MessageKind.RECOVERY_ENDED, write, with_link=False
    )


async def _audit(
    deps: Deps,
    uow: UnitOfWork,
    action: AuditAction,
    actor: Actor,
    case: SupportCase,
    recovery: Recovery,
    reason: str,
    who: Requester,
) -> None:
    """A decision on the customer's own log, with the staff member, case and reason."""
    await audit(
        deps,
        uow,
        case.site,
        recovery.account_id,
        action,
        who,
        recovery=recovery.id,
        staff=actor.staff_id,
        case=case.number,
        reason=reason,
    )

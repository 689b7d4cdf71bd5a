"""The Recovery review panel of an identity_review case: what a reviewer weighs, and the
Approve and Decline calls into flows.recovery.pending.

The panel is built from the flow's ReviewView alone and reads its evidence through a fixed
list of signal names, each said as right, wrong or missing: whatever else the evidence may
hold one day, no verification answer and nothing the order lookup returned (numbers,
totals, items, postcodes) can reach the page (SECURITY.md 31, 35).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entryway.core.cases import CaseState, Topic
from entryway.core.recovery import RecoveryState
from entryway.core.staff import Actor, Role
from entryway.errors import InvalidInput
from entryway.flows.ports import Deps, Requester
from entryway.flows.recovery import pending
from entryway.flows.support.queue import AgentCase

DECISIONS = ("approve", "decline")
NOTICES = {
    "approve": (
        "Recovery approved. The waiting period starts now; the old contacts can still stop it."
    ),
    "decline": "Recovery declined. The new contact is told we could not verify the request.",
}
STATE_LABELS: dict[RecoveryState, str] = {
    RecoveryState.REQUESTED: "Being checked",
    RecoveryState.REVIEW: "Waiting for review",
    RecoveryState.WAITING: "Waiting period running",
    RecoveryState.READY: "Finish link sent",
    RecoveryState.COMPLETED: "Completed",
    RecoveryState.CANCELLED: "Cancelled by the account's owner",
    RecoveryState.DECLINED: "Declined",
    RecoveryState.REFUSED: "Refused",
    RecoveryState.EXPIRED: "Expired: the finish link was not used",
}
# The evidence's warning flags (core.recovery.Evidence.weak), as a reviewer reads them.
WEAK_LABELS = {
    "two_step": "Two-step verification is on",
    "recent_change": "Password or a contact changed in the last 7 days",
    "failed_today": "An earlier identity check failed today",
    "contact_taken": "The new contact is on another account",
    "cancelled_lately": "A recovery of this account was cancelled in the last 30 days",
}


@dataclass(frozen=True, slots=True)
class Signal:
    """One line of the checks: its name, what came of it, and how that reads (a CSS tone)."""

    name: str
    verdict: str
    tone: str  # "good", "bad" or "none"


@dataclass(frozen=True, slots=True)
class ReviewPanel:
    """What the panel shows; ``decision`` once a reviewer decided, and then no forms."""

    state: RecoveryState
    state_label: str
    requested_at: datetime
    new_contact: str  # masked by the flow
    checks: tuple[Signal, ...]
    warnings: tuple[str, ...]
    account_age: str
    recent_events: tuple[tuple[str, datetime], ...]
    requester_ip: str
    requester_agent: str
    notices_bounced: bool
    decided_by: str | None
    decision: str  # "Approved", "Declined" or "" (not decided)
    decision_reason: str
    can_decide: bool
    decide_by: datetime | None = None  # undecided by then, it is declined automatically


# Each check's stored outcome (flows.recovery.evidence.signals) as the panel says it.
QUESTIONS = {
    "right": Signal("Verification questions", "Right", "good"),
    "wrong": Signal("Verification questions", "Wrong", "bad"),
    "not_set": Signal("Verification questions", "Not set up", "none"),
}
ORDERS = {
    "matched": Signal("Recent order", "Right", "good"),
    "not_matched": Signal("Recent order", "Wrong", "bad"),
    "no_orders": Signal("Recent order", "No orders to ask about", "none"),
    "lookup_unavailable": Signal("Recent order", "Order lookup unavailable", "none"),
    "no_lookup": Signal("Recent order", "No order lookup set up", "none"),
}


def _flag(evidence: dict[str, Any], name: str) -> bool:
    """A signal is true only when stored as true: a missing or odd value counts as not."""
    return evidence.get(name) is True


def checks_of(evidence: dict[str, Any]) -> tuple[Signal, Signal]:
    """The questions' and the order's outcome, looked up by their stored value: a value
    this page does not know reads as not known, and no other text of the evidence shows."""
    questions = QUESTIONS.get(str(evidence.get("questions")))
    order = ORDERS.get(str(evidence.get("order")))
    return (
        questions or Signal("Verification questions", "Not known", "none"),
        order or Signal("Recent order", "Not known", "none"),
    )


def account_age(days: int) -> str:
    """12 days, 1 day, or less than a day."""
    if days < 1:
        return "Less than a day"
    return f"{days} day{'' if days == 1 else 's'}"


def shows_review(actor: Actor, case: AgentCase) -> bool:
    """Reviewers alone see the panel, and only on an identity check's review case."""
    return actor.has(Role.REVIEWER) and case.case.topic is Topic.IDENTITY_REVIEW


async def panel(deps: Deps, actor: Actor, case: AgentCase) -> ReviewPanel | None:
    """The panel for this case, or None when it is not one (or not for this actor)."""
    if not shows_review(actor, case):
        return None
    view = await pending.review_for_case(deps, actor, case.case.id)
    if view is None:
        return None
    state = RecoveryState(view.state)
    evidence = dict(view.evidence or {})
    if state is RecoveryState.DECLINED:
        decision = "Declined"
    elif view.decided_by is not None:
        decision = "Approved"  # it then moved on: waiting, ready, completed or cancelled
    else:
        decision = ""
    decide_by = view.decide_by if state is RecoveryState.REVIEW else None
    return ReviewPanel(
        state=state,
        state_label=STATE_LABELS.get(state, state.value),
        requested_at=view.created_at,
        new_contact=view.new_contact_masked,
        checks=checks_of(evidence),
        warnings=tuple(label for name, label in WEAK_LABELS.items() if _flag(evidence, name)),
        account_age=account_age(view.account_age_days),
        recent_events=tuple((label, at) for label, at in view.recent_events),
        requester_ip=view.requester_ip,
        requester_agent=view.requester_agent,
        notices_bounced=bool(view.notices_bounced),
        decided_by=view.decided_by,
        decision=decision,
        decision_reason=view.decision_reason,
        can_decide=(
            state is RecoveryState.REVIEW
            and not decision
            and case.case.state is not CaseState.CLOSED
            and (decide_by is None or deps.clock.now() < decide_by)
        ),
        decide_by=decide_by,
    )


async def decide(
    deps: Deps, actor: Actor, case_id: str, decision: str, reason: str, who: Requester
) -> str:
    """Approve or Decline with its Reason (the flow audits, tells and resolves the case);
    the notice to show back on the case."""
    if decision == "approve":
        await pending.approve(deps, actor, case_id, reason=reason, who=who)
    elif decision == "decline":
        await pending.decline(deps, actor, case_id, reason=reason, who=who)
    else:
        raise InvalidInput(f"Unknown decision {decision!r}.", field="decision")
    return NOTICES[decision]

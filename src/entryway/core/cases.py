"""Support cases: their states, topics, and who may see which.

```mermaid
stateDiagram-v2
    [*] --> new: customer sends Ask us (or Contact Customer Service)
    new --> open: an agent takes it (assign, reply or note)
    new --> pending_customer: agent replies
    open --> pending_customer: agent replies
    open --> on_hold: agent waits on someone else
    pending_customer --> open: customer replies
    on_hold --> open: customer replies, or agent resumes
    new --> solved: agent solves
    open --> solved: agent solves
    pending_customer --> solved: agent solves
    on_hold --> solved: agent solves
    solved --> open: customer replies within 7 days
    solved --> closed: 7 days after solving (sweep)
    closed --> [*]
```
A closed case takes no more replies; the customer opens a new one.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from entryway.core.locales import N_
from entryway.core.staff import Actor, Role

FIRST_REPLY_DUE = timedelta(hours=24)
CLOSE_AFTER = timedelta(days=7)
MAX_MESSAGE = 4000


class CaseState(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


# The moves an agent may make by hand (a customer reply and the sweep are separate below).
AGENT_MOVES: dict[CaseState, frozenset[CaseState]] = {
    CaseState.NEW: frozenset(
        {CaseState.OPEN, CaseState.PENDING_CUSTOMER, CaseState.ON_HOLD, CaseState.SOLVED}
    ),
    CaseState.OPEN: frozenset({CaseState.PENDING_CUSTOMER, CaseState.ON_HOLD, CaseState.SOLVED}),
    CaseState.PENDING_CUSTOMER: frozenset({CaseState.OPEN, CaseState.ON_HOLD, CaseState.SOLVED}),
    CaseState.ON_HOLD: frozenset({CaseState.OPEN, CaseState.PENDING_CUSTOMER, CaseState.SOLVED}),
    CaseState.SOLVED: frozenset({CaseState.OPEN}),
    CaseState.CLOSED: frozenset(),
}


# How a state reads to the customer: what they wait for, not how the queue works.
CUSTOMER_STATE_LABELS: dict[CaseState, str] = {
    CaseState.NEW: N_("Received"),
    CaseState.OPEN: N_("With an agent"),
    CaseState.PENDING_CUSTOMER: N_("Waiting for your reply"),
    CaseState.ON_HOLD: N_("With an agent"),
    CaseState.SOLVED: N_("Solved"),
    CaseState.CLOSED: N_("Closed"),
}


def agent_may_move(current: CaseState, target: CaseState) -> bool:
    """Whether an agent may set ``target`` by hand; closing is the sweep's alone."""
    return target in AGENT_MOVES[current]


def after_customer_reply(current: CaseState) -> CaseState:
    """A customer reply brings the case back to an agent; a closed case takes none."""
    if current is CaseState.CLOSED:
        raise ValueError("a closed case takes no replies")
    return CaseState.NEW if current is CaseState.NEW else CaseState.OPEN


def after_agent_reply(current: CaseState) -> CaseState:
    """An agent's reply waits on the customer (a solved case stays solved when replied to)."""
    if current is CaseState.CLOSED:
        raise ValueError("a closed case takes no replies")
    return current if current is CaseState.SOLVED else CaseState.PENDING_CUSTOMER


def is_open(state: CaseState) -> bool:
    """Open for the customer: anything but closed (a solved case may still be replied to)."""
    return state is not CaseState.CLOSED


def closes_at(solved_at: datetime) -> datetime:
    return solved_at + CLOSE_AFTER


def first_reply_due(opened_at: datetime) -> datetime:
    return opened_at + FIRST_REPLY_DUE


class Topic(enum.StrEnum):
    """What the case is about; the Ask us form's select offers the customer topics."""

    FORGOT_PASSWORD = "forgot_password"  # noqa: S105 (a topic name)
    NO_ACCESS = "no_access"
    LOCKED = "locked"
    SUSPENDED = "suspended"
    TWO_STEP = "two_step"
    CODE_NOT_ARRIVING = "code_not_arriving"
    WRONG_SITE = "wrong_site"
    GENUINE_MESSAGE = "genuine_message"
    REOPEN = "reopen"  # a closed account, in its grace period
    OTHER = "other"
    # Opened by the journeys themselves, never chosen on the form:
    IDENTITY_REVIEW = "identity_review"
    APPEAL = "appeal"


TOPIC_LABELS: dict[Topic, str] = {
    Topic.FORGOT_PASSWORD: N_("I forgot my password"),
    Topic.NO_ACCESS: N_("I no longer have access to my email or phone"),
    Topic.LOCKED: N_("My account is locked"),
    Topic.SUSPENDED: N_("My account is suspended"),
    Topic.TWO_STEP: N_("Two-step verification (backup methods and codes)"),
    Topic.CODE_NOT_ARRIVING: N_("My code doesn't arrive"),
    Topic.WRONG_SITE: N_("I may be on the wrong regional site"),
    Topic.GENUINE_MESSAGE: N_("Is this message really from you?"),
    Topic.REOPEN: N_("Reopen my closed account"),
    Topic.OTHER: N_("Something else"),
    Topic.IDENTITY_REVIEW: N_("Identity check review"),
    Topic.APPEAL: N_("Appeal"),
}

# What a customer may pick on the Ask us form, in the order shown.
CUSTOMER_TOPICS: tuple[Topic, ...] = (
    Topic.FORGOT_PASSWORD,
    Topic.NO_ACCESS,
    Topic.LOCKED,
    Topic.SUSPENDED,
    Topic.TWO_STEP,
    Topic.CODE_NOT_ARRIVING,
    Topic.WRONG_SITE,
    Topic.GENUINE_MESSAGE,
    Topic.REOPEN,
    Topic.OTHER,
)

# Cases customers never see in their own list or by number: an identity review is about an
# account, opened by whoever asked to recover it, and answered by reviewers only.
STAFF_ONLY_TOPICS = frozenset({Topic.IDENTITY_REVIEW})

# Which role answers which topic: identity reviews are the reviewers', appeals trust's.
TOPIC_ROLE: dict[Topic, Role] = {
    **{t: Role.AGENT for t in CUSTOMER_TOPICS},
    Topic.IDENTITY_REVIEW: Role.REVIEWER,
    Topic.APPEAL: Role.TRUST,
}


def visible_topics(actor: Actor) -> frozenset[Topic]:
    """The topics whose cases ``actor`` may see (SECURITY.md 33)."""
    return frozenset(t for t, role in TOPIC_ROLE.items() if actor.has(role))


def may_see(actor: Actor, site: str, topic: Topic) -> bool:
    """A case is visible only on the actor's sites and in their roles' topics."""
    return actor.sees_site(site) and topic in visible_topics(actor)


class Origin(enum.StrEnum):
    """How the case was opened, which tells the agent how much is known about the sender."""

    SIGNED_OUT = "signed_out"  # "Not verified": a claimed contact, no account linked
    SIGNED_IN = "signed_in"  # "Signed in": from the customer's own session
    PASSWORD_PASSED = "password_passed"  # noqa: S105 "Password step passed": a partial session


ORIGIN_LABELS: dict[Origin, str] = {
    Origin.SIGNED_OUT: "Not verified",
    Origin.SIGNED_IN: "Signed in",
    Origin.PASSWORD_PASSED: "Password step passed",
}


class Author(enum.StrEnum):
    """Who wrote an entry of a case's thread."""

    CUSTOMER = "customer"
    AGENT = "agent"  # sent to the customer
    NOTE = "note"  # an internal note, never sent
    SYSTEM = "system"  # a recorded event: assigned, state changed, verified, an action taken

"""Recovering an account without its old email or phone: the states a recovery goes
through, what the identity check's evidence decides, and when the old contacts are told.

```mermaid
stateDiagram-v2
    [*] --> requested: identity check finished (new contact proven by a code)
    requested --> waiting: strong evidence (questions and an order right, nothing weak)
    requested --> review: weak or missing evidence (a case for a reviewer)
    requested --> refused: nothing right, over the daily cap, or no such account
    review --> waiting: a reviewer approves (the waiting period starts then)
    review --> declined: a reviewer declines, or none decided by the deadline
    waiting --> ready: the waiting period is over (Finish recovering your account sent)
    ready --> completed: Create new password (the new contact replaces the lost ones)
    ready --> expired: the finish link was not used in time
    requested --> cancelled: This wasn't me, or the owner signed in
    review --> cancelled: This wasn't me, or the owner signed in
    waiting --> cancelled: This wasn't me, or the owner signed in
    ready --> cancelled: This wasn't me, or the owner signed in
```

Every move is a conditional write on the state it leaves, so two servers (or twenty
parallel clicks) move a recovery once. At most one recovery per account is *live*
(requested, review, waiting or ready): storage holds that with a unique index.
Knowledge-based answers never prove identity by themselves (NIST SP 800-63A-4 §2.5.1):
the strongest evidence only starts a wait that the old contacts can stop.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(days=1)


class RecoveryState(enum.StrEnum):
    REQUESTED = "requested"
    REVIEW = "review"
    WAITING = "waiting"
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    REFUSED = "refused"
    EXPIRED = "expired"


LIVE_STATES = frozenset(
    {RecoveryState.REQUESTED, RecoveryState.REVIEW, RecoveryState.WAITING, RecoveryState.READY}
)


class Outcome(enum.StrEnum):
    """What the evidence of one identity check leads to."""

    WAIT = "wait"  # a pending recovery: the waiting period starts now
    REVIEW = "review"  # a reviewer decides
    REFUSE = "refuse"  # after a delay, the new contact hears we could not verify it


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one identity check established; the signals a reviewer sees, never answers."""

    questions_set: bool  # the account had a full set of verification questions
    questions_right: bool  # every answer was right (all-or-nothing)
    orders_known: bool  # the order lookup answered with at least one order
    order_right: bool  # the order number and total matched one of them
    two_step: bool = False  # the account has two-step verification on
    recent_change: bool = False  # a password or contact change in the last week
    failed_today: bool = False  # an earlier check for this account failed today
    over_cap: bool = False  # more checks today than the cap allows
    contact_taken: bool = False  # the new contact belongs to another account on the site
    cancelled_lately: bool = False  # a recovery of this account was cancelled lately

    @property
    def weak(self) -> tuple[str, ...]:
        """The reasons strong evidence would still go to a reviewer, by stable name."""
        flags = {
            "two_step": self.two_step,
            "recent_change": self.recent_change,
            "failed_today": self.failed_today,
            "contact_taken": self.contact_taken,
            # The owner said This wasn't me (or signed in) lately: another try soon after
            # is not let through on a wait alone, however strong it looks.
            "cancelled_lately": self.cancelled_lately,
        }
        return tuple(name for name, on in flags.items() if on)


def decide(evidence: Evidence) -> Outcome:
    """Both checks right and nothing weak: wait. Nothing right where something could have
    been (or over the cap): refuse. Everything between, and an account that offers no
    evidence at all (no questions, no orders), goes to a person."""
    if evidence.over_cap:
        return Outcome.REFUSE
    if not (evidence.questions_set or evidence.orders_known):
        return Outcome.REVIEW
    right = (evidence.questions_right and evidence.questions_set) + (
        evidence.order_right and evidence.orders_known
    )
    if right == 0:
        return Outcome.REFUSE
    if right == 2 and not evidence.weak:
        return Outcome.WAIT
    return Outcome.REVIEW


@dataclass(frozen=True, slots=True)
class RecoveryPolicy:
    """How long recoveries wait and how often they may be asked for (settings)."""

    wait: timedelta = timedelta(hours=72)
    wait_two_step: timedelta = timedelta(days=7)
    # How long "we could not verify it" takes, about as long as a person's review would.
    refusal_delay: timedelta = timedelta(hours=24)
    checks_per_day: int = 3
    finish_link_for: timedelta = timedelta(hours=24)
    contacts_fixed_for: timedelta = timedelta(hours=48)  # no contact change after completing
    recent_change_within: timedelta = timedelta(days=7)
    cancelled_within: timedelta = timedelta(days=30)  # a cancel this recent sends to review

    def __post_init__(self) -> None:
        for name in ("wait", "wait_two_step", "refusal_delay", "finish_link_for"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.wait_two_step < self.wait:
            raise ValueError(
                f"wait_two_step ({self.wait_two_step}) must not be shorter than wait ({self.wait})"
            )
        if self.checks_per_day < 1:
            raise ValueError(f"checks_per_day must be at least 1, got {self.checks_per_day}")

    def wait_for(self, two_step: bool) -> timedelta:
        return self.wait_two_step if two_step else self.wait

    def unverified_due(self, asked_at: datetime, roll: float, now: datetime) -> datetime:
        """When "we could not verify it" goes to the new contact, for a refusal, a decoy
        and a declined review alike: never before ``refusal_delay`` after the request, and
        spread over the next ``refusal_delay`` by ``roll`` (0 <= roll < 1, random), as a
        person's review would be, so its time does not tell a decoy from a decision. A
        review's deadline is drawn by the same rule when it opens: a decline, or no decision
        in time, is answered then, so a review is as silent as a decoy and never longer."""
        if not 0 <= roll < 1:
            raise ValueError(f"roll must be in [0, 1), got {roll}")
        return max(now, asked_at + self.refusal_delay * (1 + roll))


class Notice(enum.IntEnum):
    """Which of the old contacts' notices is due (stored as the number already sent)."""

    STARTED = 1
    HALFWAY = 2
    LAST_DAY = 3


def notice_times(start: datetime, end: datetime) -> list[tuple[Notice, datetime]]:
    """When the old contacts are told: at the start, halfway, and a day before the end.
    A notice that would fall before the one ahead of it (a wait under two days) is left
    out rather than sent twice in a row."""
    if end <= start:
        raise ValueError(f"a recovery ends after it starts: {start} .. {end}")
    times = [(Notice.STARTED, start), (Notice.HALFWAY, start + (end - start) / 2)]
    last_day = end - DAY
    if last_day > times[-1][1]:
        times.append((Notice.LAST_DAY, last_day))
    return times


def next_notice(sent: int, start: datetime, end: datetime, now: datetime) -> Notice | None:
    """The notice that is due now, given how many were sent (None: nothing due). Only the
    latest due one is returned, so a server that was down sends one notice, not three."""
    due = [notice for notice, at in notice_times(start, end) if at <= now and notice > sent]
    return due[-1] if due else None

"""What housekeeping deletes, and when: each kind of row that expires, with how long it is
kept past its own end. Rows are deleted in small batches, each its own short transaction,
so a sweep never holds a lock for long (a sign-in waits at most one batch)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(days=1)


class SweepJob(enum.StrEnum):
    """One kind of expired row (stable names: the CLI prints them)."""

    SESSIONS = "sessions"  # customer sessions past their idle or absolute deadline
    STAFF_SESSIONS = "staff_sessions"
    FLOWS = "flows"  # sign-up, reset, contact-change and other code flows, used or not
    LINKS = "links"  # unlock and other emailed links past their lifetime
    STAFF_LINKS = "staff_links"
    BROWSERS = "remembered_browsers"  # "Don't ask again on this browser", expired
    COUNTERS = "counters"  # failure and quota counters of windows long past
    STAFF_COUNTERS = "staff_counters"
    # Locks a month after they lifted, of accounts and of unknown identifiers alike: a run
    # of locks (its strikes) is forgotten the same way for both, so a sweep tells nothing of
    # which identifiers have accounts.
    OLD_LOCKS = "old_locks"
    TOTP_STEPS = "totp_steps"  # used authenticator steps, long out of the window
    STAFF_TOTP_STEPS = "staff_totp_steps"
    KNOWN_DEVICES = "known_devices"  # devices no longer recognised (known_device_for)
    DELIVERED_HOOKS = "delivered_hooks"  # webhooks and logout tokens, once delivered
    OLD_MESSAGES = "old_messages"  # delivered or given-up messages past the retention
    APP_TOKENS = "app_tokens"  # OpenID Connect access and refresh tokens, expired
    APP_GRANTS = "app_grants"  # grants whose refresh lifetime ended a week ago
    # Accounts their owners closed, once the grace period is over: the account and what
    # hangs on it (flows/housekeeping.erase_closed); the append-only audit log keeps its
    # rows, the last of them saying the account was erased.
    CLOSED_ACCOUNTS = "closed_accounts"


@dataclass(frozen=True, slots=True)
class Retention:
    """How long what is kept for the customer's sake stays (settings)."""

    message_days: int = 365  # the Message Center's messages
    closed_account_days: int = 30  # a closed account's grace period, then it is erased

    def __post_init__(self) -> None:
        if not 30 <= self.message_days <= 3650:
            raise ValueError(f"message retention must be 30 to 3650 days, got {self.message_days}")
        if not 1 <= self.closed_account_days <= 365:
            raise ValueError(
                f"the grace period of a closed account must be 1 to 365 days, "
                f"got {self.closed_account_days}"
            )

    def erase_after(self, closed_at: datetime) -> datetime:
        """When an account closed at ``closed_at`` is erased (it can be reopened until then)."""
        return closed_at + timedelta(days=self.closed_account_days)


def cutoffs(
    now: datetime, retention: Retention, known_device_for: timedelta
) -> dict[SweepJob, datetime]:
    """Each job's cutoff: rows whose end (deadline, expiry, window, use) is before it go.

    A day's margin past most ends costs little and keeps a row a flow may still read just
    after its end (a code's expired answer, a session's sign-out notice)."""
    return {
        SweepJob.SESSIONS: now - DAY,
        SweepJob.STAFF_SESSIONS: now - DAY,
        SweepJob.FLOWS: now - DAY,
        SweepJob.LINKS: now - DAY,
        SweepJob.STAFF_LINKS: now - DAY,
        SweepJob.BROWSERS: now,
        SweepJob.COUNTERS: now - 2 * DAY,  # the longest window is a day
        SweepJob.STAFF_COUNTERS: now - 2 * DAY,
        SweepJob.OLD_LOCKS: now - 30 * DAY,
        SweepJob.TOTP_STEPS: now - DAY,  # a step is good for 90 seconds
        SweepJob.STAFF_TOTP_STEPS: now - DAY,
        SweepJob.KNOWN_DEVICES: now - known_device_for,
        SweepJob.DELIVERED_HOOKS: now - DAY,
        SweepJob.OLD_MESSAGES: now - timedelta(days=retention.message_days),
        SweepJob.APP_TOKENS: now - DAY,
        SweepJob.APP_GRANTS: now - 7 * DAY,
        SweepJob.CLOSED_ACCOUNTS: now - timedelta(days=retention.closed_account_days),
    }

"""The lockout policy: when failed sign-ins slow an identifier down, lock it, or call for a
one-time code before a right password counts (SECURITY.md 5-10).

```mermaid
stateDiagram-v2
    [*] --> open
    open --> slowed: delay_from failures in the window (each later try waits longer)
    slowed --> open: a right password (clears this budget's count)
    slowed --> locked: lock_at failures from unrecognised devices
    locked --> open: unlock link + identity check, a password reset, or lock_for has passed
    open --> held: trust staff or an operator lock it (flows/trust/locking)
    locked --> held: trust staff or an operator lock it
    held --> open: trust staff or an operator lift it (nothing the customer does)
```

A device that signed in to the account before is *recognised*: it counts against its own,
larger budget and an account lock does not apply to it, so guessing from elsewhere cannot
lock the owner out of their usual browser (SECURITY.md 10). A lock by our staff is
*held*: it applies to every device, lasts until they lift it, and neither an unlock link,
a password reset nor a recovery lifts it.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


class LockReason(enum.StrEnum):
    """Why an account locked (stored; never rename)."""

    PASSWORD_GUESSING = "password_guessing"  # noqa: S105 (a reason, not a secret)
    CODE_GUESSING = "code_guessing"  # wrong codes after a right password: it is known
    OPERATOR = "operator"  # an agent or admin locked it
    # Failed passkey sign-ins the passkey itself signed: its holder failed the check (user
    # verification, the page's origin), which says nothing of the password.
    PASSKEY_FAILURES = "passkey_failures"

    @property
    def needs_new_password(self) -> bool:
        """Guessing means the password is under attack (or, for codes, already known), so
        unlocking must replace it; other locks may keep it."""
        return self in (LockReason.PASSWORD_GUESSING, LockReason.CODE_GUESSING)


class Verdict(enum.StrEnum):
    """What the admit step decides before any hash is computed (stable API values)."""

    GO = "go"
    WAIT = "wait"  # progressive delay: try again in a few seconds
    LOCKED = "locked"
    BUSY_NETWORK = "busy_network"  # too many failures from this address, across accounts


@dataclass(frozen=True, slots=True)
class LockPolicy:
    """Configurable limits; the defaults follow NIST SP 800-63B-4 §3.2.2 (at most 100
    consecutive failures per account) with far tighter numbers for a store."""

    window: timedelta = timedelta(hours=1)
    delay_from: int = 3  # failures before the first wait
    first_delay: timedelta = timedelta(seconds=1)
    longest_delay: timedelta = timedelta(seconds=30)
    lock_at: int = 10  # failures per account per window from unrecognised devices
    known_device_lock_at: int = 20  # a recognised device's own budget
    lock_for: timedelta = timedelta(hours=1)  # a lock lifts by itself after this
    unusual_after: int = 3  # failures that make a right password from a new device ask for a code
    ip_unusual_at: int = 20  # failures from one address (all accounts) with the same effect
    ip_refuse_at: int = 100  # failures from one address after which it is refused outright
    max_in_a_row: int = 100  # failures in a row (locks lifting by themselves in between) at
    # most, after which the lock stays until the owner acts (NIST SP 800-63B-4 §3.2.2)
    known_device_for: timedelta = timedelta(days=180)  # a device stays recognised this long

    def __post_init__(self) -> None:
        counts = {
            "delay_from": self.delay_from,
            "lock_at": self.lock_at,
            "known_device_lock_at": self.known_device_lock_at,
            "unusual_after": self.unusual_after,
            "ip_unusual_at": self.ip_unusual_at,
            "ip_refuse_at": self.ip_refuse_at,
            "max_in_a_row": self.max_in_a_row,
        }
        for name, value in counts.items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.known_device_lock_at < self.lock_at:
            raise ValueError(
                f"known_device_lock_at ({self.known_device_lock_at}) must not be below "
                f"lock_at ({self.lock_at}): a recognised device keeps the larger budget"
            )
        if self.ip_refuse_at < self.ip_unusual_at:
            raise ValueError(
                f"ip_refuse_at ({self.ip_refuse_at}) must not be below "
                f"ip_unusual_at ({self.ip_unusual_at})"
            )
        for name, span in (
            ("window", self.window),
            ("first_delay", self.first_delay),
            ("lock_for", self.lock_for),
        ):
            if span <= timedelta(0):
                raise ValueError(f"{name} must be positive, got {span}")
        if self.longest_delay < self.first_delay:
            raise ValueError(f"longest_delay {self.longest_delay} is below first_delay")

    def delay(self, failures: int) -> timedelta:
        """The wait before the next try after ``failures``: none below ``delay_from``, then
        doubling from ``first_delay`` up to ``longest_delay``."""
        if failures < self.delay_from:
            return timedelta(0)
        doublings = min(failures - self.delay_from, 30)
        return min(self.first_delay * (1 << doublings), self.longest_delay)

    def limit(self, recognised: bool) -> int:
        return self.known_device_lock_at if recognised else self.lock_at

    @property
    def max_strikes(self) -> int:
        """How many locks in a row before one no longer lifts by itself."""
        return max(1, self.max_in_a_row // self.lock_at)


def sliding_count(
    current: int, previous: int, now: datetime, window_start: datetime, window: timedelta
) -> int:
    """Failures in the last ``window``, estimated from two fixed windows: all of the current
    one plus the share of the previous one that still overlaps (so the count does not fall
    to zero at each boundary, which would let a guesser double the limit there)."""
    if not window_start <= now < window_start + window:
        raise ValueError(f"{now} is not inside the window starting {window_start}")
    left = 1 - (now - window_start) / window
    return current + math.floor(previous * left)


@dataclass(frozen=True, slots=True)
class Standing:
    """What the admit step read for one attempt, before counting it."""

    failures: int  # sliding count of this budget (the account's, or the recognised device's)
    last_failure_at: datetime | None
    locked_until: datetime | None  # the account's lock, if any
    recognised: bool
    ip_failures: int
    held: bool = False  # the lock is our staff's (LockReason.OPERATOR): no device is exempt


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    wait_seconds: int = 0


def decide(policy: LockPolicy, standing: Standing, now: datetime) -> Decision:
    """Whether to check this password at all. Every refusal here costs no hash, and none
    depends on the password, so none can tell a right password from a wrong one."""
    locked = standing.locked_until is not None and now < standing.locked_until
    if locked and (standing.held or not standing.recognised):
        return Decision(Verdict.LOCKED)
    if standing.failures >= policy.limit(standing.recognised):
        return Decision(Verdict.LOCKED)
    if not standing.recognised and standing.ip_failures >= policy.ip_refuse_at:
        return Decision(Verdict.BUSY_NETWORK)
    if standing.last_failure_at is not None:
        ready_at = standing.last_failure_at + policy.delay(standing.failures)
        if now < ready_at:
            return Decision(Verdict.WAIT, math.ceil((ready_at - now).total_seconds()))
    return Decision(Verdict.GO)


def over_budget(policy: LockPolicy, reserved: int, recognised: bool) -> bool:
    """After this attempt was counted (atomically, before hashing): whether it went past
    the limit. Parallel attempts each see a different count, so no more than the limit
    are ever checked in one window, however many arrive at once (SECURITY.md 7)."""
    return reserved > policy.limit(recognised)


def locks_now(policy: LockPolicy, failures: int, recognised: bool) -> bool:
    """Whether a failure that brought the count to ``failures`` locks the account."""
    return failures >= policy.limit(recognised)


class Unusual(enum.StrEnum):
    """Why a right password must be confirmed by a code (stored with the flow; never rename),
    so the page and the email say what really happened."""

    ACCOUNT_FAILURES = "account_failures"  # failed attempts to sign in to this account
    SUSPECTED = "suspected"  # a recent right password did not finish signing in
    NETWORK_FAILURES = "network_failures"  # many failures from this address, any account


def unusual_reason(
    policy: LockPolicy,
    failures_before: int,
    ip_failures: int,
    recognised: bool,
    suspected: bool = False,
) -> Unusual | None:
    """Why a right password from an unrecognised device must be confirmed by a one-time code
    before it signs anyone in, or None: recent failures on the account, someone who may know
    the password (``suspected``), or an address with many failures across accounts. The
    account's own reasons come first: they are what its owner most needs to hear."""
    if recognised:
        return None
    if failures_before >= policy.unusual_after:
        return Unusual.ACCOUNT_FAILURES
    if suspected:
        return Unusual.SUSPECTED
    if ip_failures >= policy.ip_unusual_at:
        return Unusual.NETWORK_FAILURES
    return None


def wants_code(
    policy: LockPolicy,
    failures_before: int,
    ip_failures: int,
    recognised: bool,
    suspected: bool = False,
) -> bool:
    """Whether a right password must be confirmed by a code (see ``unusual_reason``)."""
    return unusual_reason(policy, failures_before, ip_failures, recognised, suspected) is not None

"""Session lifetimes: idle and absolute timeouts, held on the server (SECURITY.md, §5.1)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class SessionLevel(enum.StrEnum):
    """How far a session got. ``partial`` (password passed, 2SV pending) arrives with 2SV."""

    PARTIAL = "partial"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    remembered_idle: timedelta = timedelta(days=14)
    remembered_absolute: timedelta = timedelta(days=30)
    # Refresh the idle deadline at most this often, so reads stay reads.
    touch_every: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        if self.idle > self.absolute or self.remembered_idle > self.remembered_absolute:
            raise ValueError("an idle timeout cannot exceed its absolute timeout")

    def deadlines(self, now: datetime, *, remember: bool) -> tuple[datetime, datetime]:
        """(idle deadline, absolute deadline) for a session created at ``now``."""
        if remember:
            return now + self.remembered_idle, now + self.remembered_absolute
        return now + self.idle, now + self.absolute

    def next_idle(self, now: datetime, absolute_deadline: datetime, *, remember: bool) -> datetime:
        """The idle deadline after activity at ``now``, never past the absolute one."""
        idle = self.remembered_idle if remember else self.idle
        return min(now + idle, absolute_deadline)

    def needs_touch(self, now: datetime, idle_deadline: datetime, *, remember: bool) -> bool:
        """Whether activity at ``now`` should push the idle deadline (rate-limited writes)."""
        idle = self.remembered_idle if remember else self.idle
        return idle_deadline - now < idle - self.touch_every


def is_live(now: datetime, idle_deadline: datetime, absolute_deadline: datetime) -> bool:
    """A session is usable only before both deadlines."""
    return now < idle_deadline and now < absolute_deadline

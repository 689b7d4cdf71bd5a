"""Failure counting: what is counted and in which window (SECURITY.md 5, 8).

The decision to slow down or lock (issue: lockout) reads these counts; this module only
names the scopes and the fixed windows they are counted in.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=1)


class FailureScope(enum.StrEnum):
    """Each failed sign-in counts once in every scope (stored; never rename)."""

    ACCOUNT = "account"  # the canonical identifier, whether or not an account exists
    IP = "ip"  # the client address, across every account
    DEVICE = "device"  # the browser's device cookie


def window_start(now: datetime, window: timedelta = WINDOW) -> datetime:
    """The start of the fixed window holding ``now`` (windows are aligned to the epoch)."""
    if now.tzinfo is None:
        raise ValueError(f"refusing a naive datetime: {now!r}")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    size = int(window.total_seconds())
    seconds = int((now - epoch).total_seconds())
    return epoch + timedelta(seconds=seconds - seconds % size)

"""Failure counting: what is counted and in which window (SECURITY.md 5, 8).

The decision to slow down or lock (issue: lockout) reads these counts; this module only
names the scopes and the fixed windows they are counted in.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=1)
ALL_SITES = "*"  # the site under which an address's failures are counted: across every site
DAY = timedelta(days=1)


class FailureScope(enum.StrEnum):
    """What is counted, and under which key (stored; never rename).

    A failed sign-in counts once in each of the first three; a code sent counts in the
    ``SENDS_*`` scopes.
    """

    ACCOUNT = "account"  # the canonical identifier, whether or not an account exists
    IP = "ip"  # the client address, across every account
    DEVICE = "device"  # the browser's device cookie
    KNOWN_DEVICE = "known_device"  # a recognised device's own budget on one account
    # Message quotas (SECURITY.md 11), counted in daily windows:
    SENDS_ACCOUNT = "sends_account"  # codes sent for one account (or unknown identifier)
    SENDS_DESTINATION = "sends_to"  # messages to one address or number
    SENDS_IP = "sends_ip"  # codes asked for from one client address
    CLIENT_AUTH = "client_auth"  # failed OIDC client authentication, per client and address
    AGENT_SENDS_TO = "agent_sends_to"  # codes and links agents sent to one address or number
    CODE_FAILURES = "code_failures"  # wrong one-time codes for one account, every flow
    RESET_BY_PHONE = "reset_by_phone"  # a password reset proven by this phone, today
    IDENTITY_CHECKS = "identity_checks"  # identity checks for one identifier, today
    IDENTITY_FAILED = "identity_failed"  # failed identity checks for one account, today
    PASSKEY_ASKS = "passkey_asks"  # passkey sign-in challenges asked for from one address


def window_start(now: datetime, window: timedelta = WINDOW) -> datetime:
    """The start of the fixed window holding ``now`` (windows are aligned to the epoch)."""
    if now.tzinfo is None:
        raise ValueError(f"refusing a naive datetime: {now!r}")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    size = int(window.total_seconds())
    seconds = int((now - epoch).total_seconds())
    return epoch + timedelta(seconds=seconds - seconds % size)

"""How a refused sign-in is counted: by the error it raised."""

from __future__ import annotations

from entryway.core.observe import SignInOutcome
from entryway.errors import (
    AccountSuspended,
    InvalidInput,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
)


def refused_outcome(exc: BaseException) -> SignInOutcome | None:
    """The outcome a sign-in error stands for; None for errors that are no attempt (a
    malformed identifier, an expired ceremony)."""
    if isinstance(exc, SignInLocked):
        return SignInOutcome.LOCKED
    if isinstance(exc, SignInThrottled):
        return SignInOutcome.THROTTLED
    if isinstance(exc, AccountSuspended):
        return SignInOutcome.SUSPENDED
    if isinstance(exc, SignInFailed):
        return SignInOutcome.FAILED
    if isinstance(exc, InvalidInput) and exc.field == "credential":  # a passkey refused
        return SignInOutcome.FAILED
    return None

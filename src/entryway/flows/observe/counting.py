"""How a sign-in attempt is counted: by what it returned, or by the error it raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from entryway.core.observe import SignInMethod, SignInOutcome
from entryway.errors import (
    AccountClosed,
    AccountSuspended,
    CodeRejected,
    InvalidInput,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows.observe.ports import Metrics


def refused_outcome(exc: BaseException) -> SignInOutcome | None:
    """The outcome a sign-in error stands for; None for errors that are no attempt (a
    malformed identifier, an expired ceremony)."""
    if isinstance(exc, SignInLocked):
        return SignInOutcome.LOCKED
    if isinstance(exc, SignInThrottled):
        return SignInOutcome.THROTTLED
    if isinstance(exc, AccountSuspended):
        return SignInOutcome.SUSPENDED
    if isinstance(exc, AccountClosed):
        return SignInOutcome.CLOSED
    if isinstance(exc, SignInFailed | CodeRejected):  # a wrong password or code
        return SignInOutcome.FAILED
    if isinstance(exc, InvalidInput) and exc.field == "credential":  # a passkey refused
        return SignInOutcome.FAILED
    return None


T = TypeVar("T")


async def counted(
    metrics: Metrics,
    method: SignInMethod,
    attempt: Awaitable[T],
    outcome: Callable[[T], SignInOutcome] = lambda _result: SignInOutcome.SUCCESS,
) -> T:
    """Await one sign-in attempt and count it by its outcome, for the metrics."""
    try:
        result = await attempt
    except Exception as exc:
        refused = refused_outcome(exc)
        if refused is not None:
            metrics.sign_in(method, refused)
        raise
    metrics.sign_in(method, outcome(result))
    return result

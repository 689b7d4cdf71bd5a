"""How a sign-in attempt is counted: by what it returned, or by the error it raised."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

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
from entryway.flows.ports import Deps


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
P = ParamSpec("P")


def _success(_result: object) -> SignInOutcome:
    return SignInOutcome.SUCCESS


async def counted(
    metrics: Metrics,
    method: SignInMethod,
    attempt: Awaitable[T],
    outcome: Callable[[T], SignInOutcome] = _success,
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


class FlowDecorator(Protocol):
    """What ``counts`` returns: it keeps the flow's own signature and result type."""

    def __call__(
        self, flow: Callable[Concatenate[Deps, P], Awaitable[T]], /
    ) -> Callable[Concatenate[Deps, P], Awaitable[T]]: ...


def counts(
    method: SignInMethod, outcome: Callable[[Any], SignInOutcome] = _success
) -> FlowDecorator:
    """A sign-in flow (its first argument the Deps) whose every call is ``counted``: each
    attempt by its outcome, as ``outcome`` reads its result or ``refused_outcome`` its error."""

    def decorate(
        flow: Callable[Concatenate[Deps, P], Awaitable[T]], /
    ) -> Callable[Concatenate[Deps, P], Awaitable[T]]:
        @functools.wraps(flow)
        async def attempt(deps: Deps, /, *args: P.args, **kwargs: P.kwargs) -> T:
            return await counted(deps.metrics, method, flow(deps, *args, **kwargs), outcome)

        return attempt

    return decorate

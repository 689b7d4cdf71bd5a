"""Whether an account row says a suspension applies, without reading the suspension: the
sign-in hot path and every session check ask this first, and read the suspension row only
when it says yes (the account row carries the latest suspension's id and end)."""

from __future__ import annotations

from datetime import UTC, datetime

from entryway.core.suspension import applies
from entryway.flows.ports import Account, Deps, Suspension, UnitOfWork


def marked(account: Account, now: datetime) -> bool:
    """The account names a suspension that has not reached its end (None: indefinite).
    Lifting clears the mark, so a marked account is suspended unless the row says lifted."""
    if account.suspension_id is None:
        return False
    until = account.suspended_until
    if until is not None and until.tzinfo is None:  # stored times are UTC
        until = until.replace(tzinfo=UTC)
    return until is None or now < until


async def applying(deps: Deps, uow: UnitOfWork, account: Account) -> Suspension | None:
    """The suspension that stops the account's sign-in now, or None; its row is read only
    when the account row says one may apply (``marked``)."""
    now = deps.clock.now()
    if not marked(account, now):
        return None
    found = await uow.suspensions.get(account.site, account.suspension_id or "")
    if found is None:
        return None
    until = (
        found.until.replace(tzinfo=UTC) if found.until and not found.until.tzinfo else found.until
    )
    return found if applies(found.state, found.measure, until, now) else None

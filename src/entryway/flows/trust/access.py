"""Ending every way back into an account at once: what a suspension and an operator's lock
do to it, in the caller's transaction (SECURITY.md 26)."""

from __future__ import annotations

from entryway.core.events import FlowPurpose
from entryway.flows.apps.ending import end_apps
from entryway.flows.ports import Account, Deps, Requester, UnitOfWork


async def end_access(
    deps: Deps, uow: UnitOfWork, account: Account, why: str, who: Requester
) -> int:
    """Every way back in without a password ends: sessions (partial ones too), remembered
    browsers, every flow (codes, resets, notice views), the unused emailed links, and every
    app's tokens (``why`` is stored on the grants); how many grants were revoked. The caller
    wakes the outbox after committing: apps may be sent logout tokens."""
    site, account_id = account.site, account.id
    await uow.sessions.delete_all(site, account_id)
    revoked = await end_apps(deps, uow, site, account_id, why, who)
    await uow.two_step.forget(site, account_id)
    await uow.flows.void_all(site, account_id, keep="")
    for purpose in (FlowPurpose.UNLOCK, FlowPurpose.RECOVERY_CANCEL, FlowPurpose.RECOVERY_FINISH):
        await uow.links.void_for(site, account_id, purpose)
    return revoked

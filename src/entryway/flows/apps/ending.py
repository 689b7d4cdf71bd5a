"""Everything that ends a customer's sessions ends the apps' tokens too (SECURITY.md 26):
sign out everywhere, a password reset, a completed recovery, a lock by trust staff and a
suspension revoke every grant of the account at once, so userinfo and introspection refuse
its access tokens and its refresh tokens stop. Signing out one device ends only the grants
of that session, offline access kept. A lock from password guessing calls none of this:
guesses from elsewhere must not sign the owner's apps out (SECURITY.md 10)."""

from __future__ import annotations

from entryway.core.apps import Scope
from entryway.core.events import AuditAction
from entryway.flows.apps.logout import queue_backchannel
from entryway.flows.common import audit
from entryway.flows.ports import Deps, Requester, UnitOfWork


async def end_apps(
    deps: Deps,
    uow: UnitOfWork,
    site: str,
    account_id: str,
    why: str,
    who: Requester,
    *,
    sid: str | None = None,
    keep_offline: bool = False,
    but_sid: str | None = None,
) -> int:
    """Revoke the account's grants (only session ``sid``'s, when given; all but session
    ``but_sid``'s, when that is given; with ``keep_offline`` those holding
    ``offline_access`` stay) in the caller's transaction, and tell the apps that listen;
    how many grants ended."""
    now = deps.clock.now()
    if keep_offline or but_sid is not None:
        mine = [
            g
            for g in await uow.apps.live_grants(site, account_id)
            if (sid is None or g.sid == sid) and (but_sid is None or g.sid != but_sid)
        ]
        ended = [
            g
            for g in mine
            if not (keep_offline and Scope.OFFLINE_ACCESS in g.scopes)
            and await uow.apps.revoke_grant(site, g.id, now, why)
        ]
        told = mine  # the session ended for every app of it, offline access or not
    else:
        ended = told = await uow.apps.revoke_for_account(site, account_id, now, why, sid=sid)
    if ended:
        await audit(
            deps, uow, site, account_id, AuditAction.APP_GRANT_REVOKED, who, count=len(ended),
            why=why,
        )  # fmt: skip
    await queue_backchannel(deps, uow, told)
    return len(ended)

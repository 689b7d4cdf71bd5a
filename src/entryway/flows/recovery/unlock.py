"""Unlocking an account from the emailed link: identity verification by a one-time code to
a contact on file, then Create new password (required when the lock came from guessing).

```mermaid
stateDiagram-v2
    [*] --> choose: link opened (GET: token swapped for a flow; the link is NOT used)
    choose --> code: contact picked: the link is used (conditional write), code sent
    code --> code: resend / wrong code
    code --> verified: right code
    verified --> done: new password saved (sessions end, locks lift, counts clear)
    verified --> done: password kept, only when the lock did not come from guessing
```

The pick, resend, code and new-password steps are the forgotten-password steps run with
purpose ``unlock`` (``password_reset``), so both journeys share one tested path. Finishing
never signs anyone in, and the next sign-in still asks for the second step.
"""

from __future__ import annotations

from datetime import timedelta

from entryway.core.events import AccountStatus, AuditAction, FlowPurpose, MessageKind
from entryway.core.locales import N_
from entryway.core.lockout import LockReason
from entryway.errors import FlowExpired, PasswordRejected
from entryway.flows.common import audit, link_landing
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import Deps, FlowState, Requester
from entryway.flows.recovery import password_reset
from entryway.flows.signin import lockout
from entryway.flows.trust import notice

PURPOSE = FlowPurpose.UNLOCK
FLOW_LIFETIME = timedelta(minutes=30)
MUST_CHANGE = N_(
    "Your account was locked after attempts to guess your password, so choose a new one "
    "to unlock it."
)


async def open_link(deps: Deps, site_code: str, token: str, who: Requester) -> str:
    """Swap the link's token for a new flow (returned) without using the link up, so a mail
    scanner that opens it spends nothing (SECURITY.md 15). Refuses a used, voided or expired
    link, or one from another site (links are bound to site, account and purpose)."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        link = (
            await uow.links.get(site_code, lockout.link_hash(deps, token), PURPOSE)
            if 0 < len(token) <= 100
            else None
        )
        if link is None or link.used_at is not None or now >= link.expires_at:
            raise FlowExpired(password_reset.LINK_USED)
        account = await uow.accounts.get(site_code, link.account_id)
        if account is None or account.status != AccountStatus.ACTIVE:  # closed since
            raise FlowExpired(password_reset.LINK_USED)
        flow, state = link_landing(
            deps, link, PURPOSE, stage="choose", note=link.reason, lifetime=FLOW_LIFETIME
        )
        await uow.flows.add(state)
        await audit(deps, uow, site_code, link.account_id, AuditAction.UNLOCK_STARTED, who)
        await uow.commit()
    return flow


async def must_change_password(deps: Deps, site_code: str, flow_token: str) -> bool:
    """Whether this unlock must end with a new password (the lock came from guessing)."""
    async with deps.uow() as uow:
        state = await password_reset.load(deps, uow, site_code, flow_token, None, PURPOSE)
    return _must_change(state)


def _must_change(state: FlowState) -> bool:
    try:
        return LockReason(state.note).needs_new_password
    except ValueError:  # an unknown reason is treated as the strictest
        return True


async def keep_password(
    deps: Deps, site_code: str, *, flow_token: str, who: Requester
) -> str | None:
    """Unlock without a new password, when the lock did not come from guessing. For a
    suspended account, returns a notice view token (else None)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await password_reset.load(deps, uow, site_code, flow_token, "verified", PURPOSE)
        if _must_change(state):
            raise PasswordRejected([MUST_CHANGE])
        account = await uow.accounts.get(site_code, state.account_id or "")
        if account is None or account.status != AccountStatus.ACTIVE:
            raise FlowExpired("This step has expired. Please start again.")
        if not await uow.flows.advance(site_code, state.id_hash, "verified", "done"):
            raise FlowExpired("This step has expired. Please start again.")
        await lockout.unlock_account(deps, uow, account, who)
        await notify_all_of(
            deps, uow, site, account, MessageKind.ACCOUNT_UNLOCKED, "account_unlocked", who=who
        )
        view = await notice.refusal(deps, uow, account)
        await uow.commit()
    deps.on_message()
    return view

"""Stopping a live recovery: This wasn't me (each old contact's single-use link, live until
the recovery ends) and the owner's own sign-in. Either ends the recovery and tells both
sides; the link also ends every session of the account (SECURITY.md 34).

```mermaid
stateDiagram-v2
    [*] --> confirm: This wasn't me opened (GET: token swapped for a flow; link NOT used)
    confirm --> done: Cancel the recovery (link used by conditional write, recovery cancelled)
```
"""

from __future__ import annotations

from datetime import timedelta

from entryway.core.events import AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.locales import N_
from entryway.core.recovery import LIVE_STATES, RecoveryState
from entryway.errors import FlowExpired
from entryway.flows.account.account import sign_out_all
from entryway.flows.common import audit, flow_hash, link_landing
from entryway.flows.outbox.recovery_notices import written
from entryway.flows.ports import Account, Deps, Recovery, Rendered, Requester, UnitOfWork
from entryway.flows.recovery import steps
from entryway.flows.signin.lockout import link_hash

FLOW_LIFETIME = timedelta(minutes=30)
LINK_ENDED = N_(
    "This link was used already, or the recovery it was about has ended. Nothing more needs doing."
)


async def open_cancel_link(deps: Deps, site_code: str, token: str, who: Requester) -> str:
    """This wasn't me, opened: swap the link's token for a flow (returned) without using
    the link, so a mail scanner spends nothing (SECURITY.md 15). FlowExpired for a link
    that is used, voided, expired, of another site, or whose recovery has ended."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        link = (
            await uow.links.get(site_code, link_hash(deps, token), FlowPurpose.RECOVERY_CANCEL)
            if 0 < len(token) <= 100
            else None
        )
        if link is None or link.used_at is not None or now >= link.expires_at:
            raise FlowExpired(LINK_ENDED)
        recovery = await uow.recoveries.get(site_code, link.reason)
        if recovery is None or recovery.state not in LIVE_STATES:
            raise FlowExpired(LINK_ENDED)
        flow, state = link_landing(
            deps, link, FlowPurpose.RECOVERY_CANCEL, stage="confirm", note=recovery.id
        )
        await uow.flows.add(state)
        await uow.commit()
    return flow


async def cancel(deps: Deps, site_code: str, *, flow_token: str, who: Requester) -> None:
    """Cancel the recovery: the link used and the recovery cancelled (conditional writes),
    every session of the account ends, its links void, and both sides are told."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        state = (
            await uow.flows.get(site_code, flow_hash(deps, flow_token), FlowPurpose.RECOVERY_CANCEL)
            if 0 < len(flow_token) <= 100
            else None
        )
        if state is None or now >= state.expires_at or state.stage != "confirm":
            raise FlowExpired(LINK_ENDED)
        account = await uow.accounts.get(site_code, state.account_id or "")
        if account is None:
            raise FlowExpired(LINK_ENDED)
        # The recovery row is taken first, as on every path that ends a recovery (Create
        # new password, a sign-in, a reset): two of them meeting on PostgreSQL queue on it,
        # and the later one finds it ended, instead of deadlocking over the flow, link,
        # session and counter rows they both write afterwards.
        recovery = await hold(uow, account)
        if recovery is None or recovery.id != state.note:
            raise FlowExpired(LINK_ENDED)  # ended meanwhile: nothing is used or changed
        if not await uow.flows.advance(site_code, state.id_hash, "confirm", "done"):
            raise FlowExpired(LINK_ENDED)
        if not await uow.links.use(site_code, state.target, FlowPurpose.RECOVERY_CANCEL, now):
            raise FlowExpired(LINK_ENDED)
        if not await _cancel(deps, uow, recovery, account, who, by="link"):
            raise FlowExpired(LINK_ENDED)  # leaving without commit undoes the uses above
        await sign_out_all(deps, uow, account, who)
        await uow.commit()
    deps.on_message()


async def hold(uow: UnitOfWork, account: Account) -> Recovery | None:
    """Take the account's live recovery row (if any) before anything else in a transaction
    that may end it: the order every path that ends a recovery keeps, so a sign-in and a
    Create new password meeting on PostgreSQL queue on that row instead of deadlocking over
    counters, sessions and the account. Pass what it returns to ``cancel_held``."""
    return await uow.recoveries.hold_live(account.site, account.id)


async def cancel_on_sign_in(deps: Deps, uow: UnitOfWork, account: Account, who: Requester) -> bool:
    """The owner signed in (a full session) or reset the password through a contact on
    file: their live recovery, if any, is cancelled in the caller's transaction and they
    are told. True when it wrote messages (the caller wakes delivery after committing).
    Call it before the transaction's other writes, or ``hold`` first (see there)."""
    return await cancel_held(deps, uow, await hold(uow, account), account, who)


async def cancel_held(
    deps: Deps, uow: UnitOfWork, recovery: Recovery | None, account: Account, who: Requester
) -> bool:
    """``cancel_on_sign_in`` for a recovery this transaction took with ``hold``."""
    if recovery is None:
        return False
    return await _cancel(deps, uow, recovery, account, who, by="sign_in")


async def cancel_for_suspension(
    deps: Deps, uow: UnitOfWork, recovery: Recovery | None, account: Account, who: Requester
) -> bool:
    """The account was suspended: a recovery this transaction took with ``hold`` ends, its
    new contact hears what a stop would tell it; the old contacts hear of the suspension
    itself (its statement), not of the recovery. True when it wrote messages."""
    if recovery is None:
        return False
    return await _cancel(deps, uow, recovery, account, who, by="suspension")


async def cancel_for_closing(
    deps: Deps, uow: UnitOfWork, recovery: Recovery | None, account: Account, who: Requester
) -> bool:
    """The owner closed the account (flows/account/closing.py): a recovery this transaction
    took with ``hold`` ends and its new contact hears of the stop; the old contacts hear of
    the closing itself, not of the recovery."""
    if recovery is None:
        return False
    return await _cancel(deps, uow, recovery, account, who, by="closed")


async def cancel_for_lock(
    deps: Deps, uow: UnitOfWork, recovery: Recovery | None, account: Account, who: Requester
) -> bool:
    """Our staff locked the account (flows/trust/locking): as for a suspension, a recovery
    this transaction took with ``hold`` ends and its new contact hears of the stop; the old
    contacts hear of the lock itself."""
    if recovery is None:
        return False
    return await _cancel(deps, uow, recovery, account, who, by="lock")


async def _cancel(
    deps: Deps,
    uow: UnitOfWork,
    recovery: Recovery,
    account: Account,
    who: Requester,
    *,
    by: str,
) -> bool:
    how = {
        "sign_in": "the account's owner signed in",
        "link": "This wasn't me was used",
        "suspension": "the account was suspended",
        "lock": "the account was locked by our staff",
        "closed": "the account's owner closed it",
    }[by]
    for _ in range(3):  # a job may move it on (waiting -> ready) between read and write
        if recovery.state not in LIVE_STATES:
            return False
        if await steps.end(deps, uow, recovery, RecoveryState.CANCELLED, f"Cancelled: {how}."):
            break
        found = await uow.recoveries.get(recovery.site, recovery.id)
        if found is None:
            return False
        recovery = found
    else:
        return False
    site = deps.site(recovery.site)
    if recovery.state in (RecoveryState.WAITING, RecoveryState.READY):
        await steps.tell_new(
            deps,
            uow,
            site,
            recovery,
            MessageKind.RECOVERY_ENDED,
            "recovery_cancelled_to_new",
        )
    else:
        # Never told a date, so it hears what a refusal or a decoy hears, when they would:
        # a stop by the owner must not show that the account exists.
        await steps.tell_unverified(deps, uow, site, recovery)

    def write(channel: Channel, locale: str, _link: str | None) -> Rendered:
        return written(
            deps, site, locale, channel, "recovery_cancelled_to_old", by_sign_in=by == "sign_in"
        )

    if by not in ("suspension", "lock", "closed"):  # those tell the old contacts themselves
        await steps.tell_old(
            deps, uow, site, account, recovery, MessageKind.RECOVERY_ENDED, write, with_link=False
        )
    await audit(
        deps,
        uow,
        site.code,
        account.id,
        AuditAction.RECOVERY_CANCELLED,
        who,
        recovery=recovery.id,
        by=by,
    )
    return True

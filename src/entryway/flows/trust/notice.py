"""The suspension notice a customer can see: after a right password (and second step) met a
suspension, or from the link in the statement's email.

Either way the customer holds a view token: a flow of purpose ``suspension_notice`` that
can only show the statement and take an appeal (never a session, never a password or
contact change). From a right password it names the suspension (``target_kind``
"password": the column holds eight characters); from the emailed link it names the link
(which is not used up: it shows the notice while appeals are taken) and never outlives it.
"""

from __future__ import annotations

from datetime import timedelta

from entryway.core.events import AuditAction, FlowPurpose
from entryway.core.locales import N_
from entryway.core.secrets import new_token
from entryway.errors import FlowExpired
from entryway.flows.common import audit, decoy_hash, flow_hash, link_hash, link_landing
from entryway.flows.ports import Account, Deps, FlowState, Requester, Suspension, UnitOfWork
from entryway.flows.trust.measures import Statement, statement
from entryway.flows.trust.state import applying

PURPOSE = FlowPurpose.SUSPENSION_NOTICE
VIEW_LIFETIME = timedelta(minutes=60)
STAGE = "view"
FROM_PASSWORD = "password"  # noqa: S105 (a view a right password opened; else "link")
FROM_RECOVERY = "recovery"  # a reset, unlock or recovery that ended on the notice
SUSPENDED = N_("Your account is suspended.")
ENDED = N_(
    "This page has expired. Sign in again to see the notice, or use the link in the email "
    "we sent about it."
)


async def new_view(
    deps: Deps, uow: UnitOfWork, account: Account, suspension_id: str, *, via: str = FROM_PASSWORD
) -> str:
    """A view token for a right password's refusal (or, ``via`` FROM_RECOVERY, for a reset,
    unlock or recovery that ended on the notice), in the caller's transaction."""
    now = deps.clock.now()
    token = new_token(deps.rng)
    await uow.flows.add(
        FlowState(
            id_hash=flow_hash(deps, token),
            site=account.site,
            purpose=PURPOSE,
            account_id=account.id,
            target_kind=via,
            target=suspension_id,
            code_hash=decoy_hash(deps),  # a view has no code
            code_expires_at=now,
            code_attempts=0,
            sends=0,
            created_at=now,
            expires_at=now + VIEW_LIFETIME,
            stage=STAGE,
        )
    )
    return token


async def suspended_now(deps: Deps, uow: UnitOfWork, account: Account) -> Suspension | None:
    """The suspension that stops this account's sign-in now, or None (one read of the
    suspension row, and only when the account row says one may apply)."""
    return await applying(deps, uow, account)


async def refuse_sign_in(
    deps: Deps, uow: UnitOfWork, account: Account, who: Requester
) -> str | None:
    """Where a full session would open (sign-in, second step, unusual code): for a
    suspended account none does; the refusal is audited and a view token returned, in the
    caller's transaction (it commits, then raises AccountSuspended). Asked only after the
    password (and second step) were right, so a guess learns nothing (SECURITY.md 36)."""
    found = await applying(deps, uow, account)
    if found is None:
        return None
    await audit(
        deps, uow, account.site, account.id, AuditAction.SIGN_IN_SUSPENDED, who, suspension=found.id
    )
    return await new_view(deps, uow, account, found.id)


async def refusal(deps: Deps, uow: UnitOfWork, account: Account) -> str | None:
    """For the paths that end without a session (reset, unlock, recovery finish): a view
    token when the account is suspended, else None; in the caller's transaction."""
    found = await applying(deps, uow, account)
    if found is None:
        return None
    return await new_view(deps, uow, account, found.id, via=FROM_RECOVERY)


async def open_link(deps: Deps, site: str, token: str) -> str:
    """The emailed notice link, opened: swapped for a view token (the link stays usable
    until the appeal window ends). FlowExpired for an unknown, voided or expired link."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        link = (
            await uow.links.get(site, link_hash(deps, token), PURPOSE)
            if 0 < len(token) <= 100
            else None
        )
        if link is None or link.used_at is not None or now >= link.expires_at:
            raise FlowExpired(ENDED)
        if await uow.suspensions.get(site, link.reason) is None:
            raise FlowExpired(ENDED)
        view, state = link_landing(
            deps, link, PURPOSE, stage=STAGE, note=link.reason, lifetime=VIEW_LIFETIME
        )
        state.detail = {"suspension": link.reason}
        await uow.flows.add(state)
        await uow.commit()
    return view


async def resolve(
    deps: Deps, uow: UnitOfWork, site: str, view_token: str
) -> tuple[FlowState, Account, Suspension]:
    """The view behind a token, its account and suspension; FlowExpired otherwise."""
    state = (
        await uow.flows.get(site, flow_hash(deps, view_token), PURPOSE)
        if 0 < len(view_token) <= 100
        else None
    )
    now = deps.clock.now()
    if state is None or now >= state.expires_at or state.stage != STAGE:
        raise FlowExpired(ENDED)
    if state.target_kind in (FROM_PASSWORD, FROM_RECOVERY):
        suspension_id = state.target
    elif state.target_kind == "link":
        suspension_id = str(state.detail.get("suspension", ""))
        link = await uow.links.get(site, state.target, PURPOSE)
        if link is None or link.used_at is not None or now >= link.expires_at:
            raise FlowExpired(ENDED)  # voided since
    else:
        raise FlowExpired(ENDED)
    account = await uow.accounts.get(site, state.account_id or "")
    suspension = await uow.suspensions.get(site, suspension_id)
    if account is None or suspension is None or suspension.account_id != account.id:
        raise FlowExpired(ENDED)
    return state, account, suspension


async def show(deps: Deps, site: str, view_token: str) -> Statement:
    """The statement of reasons a view token opens, as it stands now."""
    async with deps.uow() as uow:
        _state, _account, suspension = await resolve(deps, uow, site, view_token)
        return await statement(deps, uow, suspension)

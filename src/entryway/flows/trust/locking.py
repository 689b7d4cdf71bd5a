"""Locks by our staff: trust staff (console, admin API) or an operator (CLI) lock an account
while they look into it, and lift the lock when they are done.

Unlike a lock from guessing (flows/signin/lockout), this one is *held*: it applies to every
device, recognised ones too, lasts until staff lift it, and nothing the customer does lifts
it (an unlock link, Forgot your password?, a recovery: ``Locks.release_account`` keeps it).
Taking it ends everything that lets anyone in, in one transaction, as a suspension does:
the live recovery (cancelled; its row taken first, the lock order of every path that ends
one), sessions, remembered browsers, flows, emailed links and every app's tokens
(SECURITY.md 26). Sign-in answers as for any lock, so a guesser learns nothing; the owner
is told by email (and text) that we locked it and how to reach us. Staff need the trust
role and must work on the account's site: another site's account is NotFound exactly like
an unknown one (SECURITY.md 33). Both sides are audited: the customer's log and, for
staff, the staff log.

```mermaid
stateDiagram-v2
    [*] --> held: lock_account (a guessing lock in force becomes this one)
    held --> [*]: unlock_account (sessions it ended stay ended)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AuditAction, MessageKind
from entryway.core.lockout import LockReason
from entryway.core.staff import Actor, Role, StaffAction
from entryway.errors import Conflict, Forbidden, NotFound
from entryway.flows.common import audit, notify_all
from entryway.flows.ports import Account, Deps, Lock, Requester, UnitOfWork
from entryway.flows.recovery.cancel import cancel_for_lock, hold
from entryway.flows.signin import lockout
from entryway.flows.staff import common as staff_common
from entryway.flows.trust.access import end_access
from entryway.flows.words import reader_locale

NO_SUCH_ACCOUNT = "No account on this site has that email or mobile number."
TRUST_ONLY = "Locking and unlocking accounts is for the trust team."
ALREADY = "This account is locked by our staff already."
NOT_HELD = "This account is not locked by our staff."
CLI = "cli"


@dataclass(frozen=True, slots=True)
class Held:
    """An account's lock by our staff, as it stands after the call."""

    site: str
    account_id: str
    locked_at: datetime
    by: str  # a staff id, "cli", or "token:<id>"
    apps_revoked: int = 0  # grants revoked when it was taken


def check_actor(deps: Deps, actor: Actor | None, site: str) -> None:
    """Staff need the trust role, and the site among theirs; an unknown site, or one not
    theirs, is NotFound like an unknown account. No actor: the operator's CLI."""
    if actor is not None and not actor.has(Role.TRUST):
        raise Forbidden(TRUST_ONLY)
    if site not in {s.code for s in deps.sites.sites}:
        raise NotFound(NO_SUCH_ACCOUNT)
    if actor is not None and not actor.sees_site(site):
        raise NotFound(NO_SUCH_ACCOUNT)


def _acted_by(actor: Actor | None, by: str | None) -> str:
    if by:
        return by[:40]
    return actor.staff_id if actor is not None else CLI


async def _account(uow: UnitOfWork, site: str, account_id: str) -> Account:
    account = await uow.accounts.get(site, account_id)
    if account is None:
        raise NotFound(NO_SUCH_ACCOUNT)
    return account


async def lock_account(
    deps: Deps,
    actor: Actor | None,
    *,
    site: str,
    account_id: str,
    reason: str,
    who: Requester,
    by: str | None = None,
) -> Held:
    """Lock the account until staff lift it: everything that lets anyone in ends at once,
    apps' tokens included, and the owner is told. Conflict when our lock holds already."""
    check_actor(deps, actor, site)
    why = staff_common.reason_of(reason)
    acted = _acted_by(actor, by)
    now = deps.clock.now()
    async with deps.uow() as uow:
        account = await _account(uow, site, account_id)
        # The live recovery's row before any write: the order of every path that ends one.
        recovery = await hold(uow, account)
        taken = await uow.locks.hold(
            Lock(
                site=site,
                key_hash=lockout.account_key(deps, account.id),
                account_id=account.id,
                reason=LockReason.OPERATOR,
                locked_at=now,
                until=now + lockout.FOREVER,  # until lifted: no lock_for applies
            )
        )
        if not taken:
            raise Conflict(ALREADY)
        await cancel_for_lock(deps, uow, recovery, account, who)
        revoked = await end_access(deps, uow, account, "locked", who)
        await audit(
            deps, uow, site, account.id, AuditAction.ACCOUNT_LOCKED, who,
            reason=LockReason.OPERATOR.value, why=why, by=acted,
        )  # fmt: skip
        await _staff_audit(deps, uow, StaffAction.ACCOUNT_LOCKED, actor, who, account, why, acted)
        await _tell(deps, uow, account, "account_locked_by_us", MessageKind.ACCOUNT_LOCKED)
        await uow.commit()
    deps.metrics.lock_opened(LockReason.OPERATOR.value)
    deps.on_message()
    return Held(site=site, account_id=account.id, locked_at=now, by=acted, apps_revoked=revoked)


async def unlock_account(
    deps: Deps,
    actor: Actor | None,
    *,
    site: str,
    account_id: str,
    reason: str,
    who: Requester,
    by: str | None = None,
) -> Held:
    """Lift our lock: sign-in works again (the sessions and tokens it ended stay ended),
    the failure count starts afresh, and the owner is told. Conflict when no lock of ours
    holds."""
    check_actor(deps, actor, site)
    why = staff_common.reason_of(reason)
    acted = _acted_by(actor, by)
    async with deps.uow() as uow:
        account = await _account(uow, site, account_id)
        found = await uow.locks.get(site, lockout.account_key(deps, account.id))
        if found is None or found.reason is not LockReason.OPERATOR:
            raise Conflict(NOT_HELD)
        await lockout.unlock_account(
            deps, uow, account, who, operator=True,
            reason=LockReason.OPERATOR.value, why=why, by=acted,
        )  # fmt: skip
        await _staff_audit(deps, uow, StaffAction.ACCOUNT_UNLOCKED, actor, who, account, why, acted)
        await _tell(deps, uow, account, "account_unlocked_by_us", MessageKind.ACCOUNT_UNLOCKED)
        await uow.commit()
    deps.on_message()
    return Held(site=site, account_id=account.id, locked_at=found.locked_at, by=acted)


async def held(deps: Deps, site: str, account_id: str) -> bool:
    """Whether our staff's lock holds on the account (the console's and CLI's view)."""
    async with deps.uow() as uow:
        found = await uow.locks.get(site, lockout.account_key(deps, account_id))
    return found is not None and found.reason is LockReason.OPERATOR


async def _staff_audit(
    deps: Deps,
    uow: UnitOfWork,
    action: StaffAction,
    actor: Actor | None,
    who: Requester,
    account: Account,
    why: str,
    by: str,
) -> None:
    """The staff log's row (the CLI has its own operator and writes none)."""
    if actor is None:
        return
    await staff_common.audit(
        deps, uow, action, actor_id=actor.staff_id, target_id=None, who=who,
        site=account.site, account=account.id, reason=why, via=by,
    )  # fmt: skip


async def _tell(
    deps: Deps, uow: UnitOfWork, account: Account, template: str, kind: MessageKind
) -> None:
    """The owner hears of it on every verified contact, in the account's language; the
    staff's reason stays on the logs (it may name what is being looked into)."""
    site = deps.site(account.site)
    locale = reader_locale(site, account)
    email = deps.messages.email(template, site, locale)
    sms = deps.messages.sms(template, site, locale)
    await notify_all(
        deps, uow, site, account, kind, email.subject, email.text, sms, html=email.html
    )

"""Close your account: a fresh password, then a code to a contact on file; the account is
closed at once for sign-in and erased when the grace period ends (UK and EU GDPR Art. 17,
Canada's PIPEDA principle 5). Until then Customer Service can reopen it on request.

```mermaid
stateDiagram-v2
    [*] --> code: password right (counted like a sign-in), a code sent
    code --> closed: the code entered (sessions, apps, devices and flows end; every contact told)
    closed --> active: reopened on a case (flows/support/agent.reopen_account)
    closed --> [*]: erased by housekeeping (flows/housekeeping.erase_closed)
```

A closed account is not an account for the journeys that get someone back in: a reset,
an unlock, an identity check and a sign-in with the right password all treat it as they
treat an account that is not active. Only a right password (or passkey) is told it is
closed, and until when it can be reopened (as for a suspension, SECURITY.md 36). Unlike a
suspension, it is told before any second step: there is no session to finish, and a
second step or an unusual sign-in would send codes to an account nobody may open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AccountStatus, AuditAction, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.local_time import site_time
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.errors import AccountClosed, FlowExpired, Moment
from entryway.flows import codes, words
from entryway.flows.account.account import Current, sign_out_all
from entryway.flows.common import audit, start_code_flow, verified_contacts
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import Account, Deps, Requester, UnitOfWork
from entryway.flows.recovery.cancel import cancel_for_closing, hold
from entryway.flows.signin import lockout

PURPOSE = FlowPurpose.CLOSE_ACCOUNT
CLOSED = N_(
    "This account is closed. Customer Service can reopen it until {until} if you ask; "
    "after that, it is erased."
)
ENDED = N_("This step has expired. Please start again.")
WRONG = N_("Your password is incorrect.")


@dataclass(frozen=True, slots=True)
class CloseStarted:
    flow_token: str
    sent_to: str  # masked


@dataclass(frozen=True, slots=True)
class Closed:
    closed_at: datetime
    erase_after: datetime  # until then Customer Service can reopen it


def erase_after(deps: Deps, account: Account) -> datetime:
    """When a closed account is erased (and until when it can be reopened)."""
    return deps.retention.erase_after(account.closed_at or deps.clock.now())


def refusal(deps: Deps, account: Account) -> AccountClosed:
    """What a right password (or passkey) of a closed account is told."""
    until = erase_after(deps, account)
    english = site_time(until, deps.site(account.site))
    return AccountClosed(CLOSED, until=until, params={"until": Moment(until, english)})


async def refuse_if_closed(
    deps: Deps, uow: UnitOfWork, account: Account, who: Requester, *, via: str
) -> AccountClosed | None:
    """For the sign-in paths, once the password or passkey was right: the refusal to raise
    (audited in the caller's transaction, which commits it) or None for an open account."""
    if account.status != AccountStatus.CLOSED:
        return None
    await audit(deps, uow, account.site, account.id, AuditAction.SIGN_IN_CLOSED, who, via=via)
    return refusal(deps, account)


def _code_to(account: Account) -> tuple[IdentifierKind, str]:
    """The contact the code goes to: the verified email, else the verified phone."""
    contacts = verified_contacts(account)
    if not contacts:  # an active account always has one; nothing to send to
        raise FlowExpired(ENDED)
    kind, value = contacts[0]
    return IdentifierKind(kind), value


async def start(deps: Deps, me: Current, password: str, who: Requester) -> CloseStarted:
    """The password, typed now (a wrong one counts like a wrong sign-in, SECURITY.md 6),
    then a code to a contact on file; nothing is closed until the code is entered."""
    await lockout.check_password(deps, me.account, password, who, field="password", wrong=WRONG)
    site = deps.site(me.account.site)
    kind, target = _code_to(me.account)
    async with deps.uow() as uow:
        token, code = await start_code_flow(
            deps,
            uow,
            site=site.code,
            purpose=PURPOSE,
            account_id=me.account.id,
            target_kind=kind,
            target=target,
            who=who,
        )
        state = await codes.load(deps, uow, site.code, token, PURPOSE)
        locale = words.reader_locale(site, me.account, who)
        await codes.deliver_code(deps, uow, site, state, code, locale)
        await audit(
            deps, uow, site.code, me.account.id, AuditAction.ACCOUNT_CLOSE_STARTED, who,
            via=kind.value,
        )  # fmt: skip
        await uow.commit()
    deps.on_message()
    return CloseStarted(flow_token=token, sent_to=mask(kind, target))


async def confirm(deps: Deps, me: Current, flow_token: str, code: str, who: Requester) -> Closed:
    """The right code closes the account at once: every session and app ends, remembered
    and recognised devices are forgotten, every code and link stops working, a recovery
    under way stops, and every contact is told until when it can be reopened."""
    site = deps.site(me.account.site)
    now = deps.clock.now()
    async with deps.uow() as uow:
        # The live recovery's row first, the order of every path that ends one (a reset
        # voiding this code meanwhile would otherwise wait on it the other way round).
        recovery = await hold(uow, me.account)
        await codes.check_and_consume(
            deps, uow, site.code, flow_token, PURPOSE, code, account_id=me.account.id
        )
        account = await uow.accounts.get(site.code, me.account.id)  # its contacts as now
        if account is None:
            raise FlowExpired(ENDED)
        if not await uow.accounts.close(site.code, account.id, now):
            raise FlowExpired(ENDED)  # closed, or no longer active, meanwhile
        account.status, account.closed_at = AccountStatus.CLOSED, now
        until = deps.retention.erase_after(now)
        await cancel_for_closing(deps, uow, recovery, account, who)
        await sign_out_all(deps, uow, account, who)
        await uow.flows.void_all(site.code, account.id, keep="")
        await uow.links.void_for(site.code, account.id, FlowPurpose.UNLOCK)
        await audit(
            deps, uow, site.code, account.id, AuditAction.ACCOUNT_CLOSED, who,
            erase_after=until.date().isoformat(),
        )  # fmt: skip
        await notify_all_of(
            deps, uow, site, account, MessageKind.ACCOUNT_CLOSED, "account_closed", who=who,
            until=until,
        )  # fmt: skip
        await uow.commit()
    deps.on_message()
    return Closed(closed_at=now, erase_after=until)

"""Finishing a recovery: **Finish recovering your account** (a link to the new contact once
the waiting period is over) -> **Create new password** -> the new contact replaces the lost
ones (issue 11, journey step 8; SECURITY.md 35).

```mermaid
stateDiagram-v2
    [*] --> password: link opened (GET: token swapped for a flow; the link is NOT used)
    password --> password: password refused, or the new contact taken (nothing changes)
    password --> done: Create new password (link used, recovery completed, one transaction)
    done --> [*]: the customer signs in with the new password (nobody is signed in here)
```

Completing is guarded twice, both conditional writes in the transaction that makes every
change: the recovery moves ``ready -> completed`` and the link is used. However many
completions race (one link opened in several tabs, twenty parallel posts), one changes the
password and the others get FlowExpired with nothing written. Completing never opens a
session: the customer signs in with the new password afterwards, and sets 2SV up again.

Lock order: the recovery row is written first, before any of its links. Every transaction
that ends a recovery some other way takes that row first too (This wasn't me, the owner's
sign-in or second step, a password reset: ``cancel.hold``; expiry and a decline move it
first), so two of them meeting on PostgreSQL queue on that row instead of deadlocking
over links, flows, sessions, counters or the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from entryway.core.events import (
    AccountStatus,
    AuditAction,
    Channel,
    FlowPurpose,
    MessageKind,
)
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.core.passwords import normalize_password
from entryway.core.recovery import RecoveryState
from entryway.core.sites import Site
from entryway.errors import Conflict, ContactTaken, FlowExpired, PasswordRejected
from entryway.flows.account.registration import check_new_password
from entryway.flows.apps.ending import end_apps
from entryway.flows.common import (
    audit,
    flow_hash,
    link_landing,
    mark_reset_by_phone,
    notify_all,
    send,
)
from entryway.flows.outbox.recovery_notices import new_contact_locale, written
from entryway.flows.ports import (
    Account,
    Deps,
    FlowState,
    Link,
    Recovery,
    Requester,
    UnitOfWork,
)
from entryway.flows.signin import lockout
from entryway.flows.trust import notice
from entryway.flows.words import reader_locale

PURPOSE = FlowPurpose.RECOVERY_FINISH
FLOW_LIFETIME = timedelta(minutes=30)
STAGE = "password"
LINK_GONE = N_(
    "This link to finish recovering your account was used already or has expired, or the "
    "recovery was cancelled. If you still can't sign in, start again from "
    "I no longer have access to this phone number/email."
)
EXPIRED = N_("This step has expired. Please open the link in your message again.")
TAKEN_EMAIL = N_(
    "The email address you gave for this recovery now belongs to another account on this "
    "site, so the recovery can't be finished with it. Nothing was changed. Please contact "
    "us for help."
)
TAKEN_PHONE = N_(
    "The mobile number you gave for this recovery now belongs to another account on this site, so "
    "the recovery can't be finished with it. Nothing was changed. Please contact us for help."
)


@dataclass(frozen=True, slots=True)
class Finishing:
    """What the Create new password page may show: where the account is going."""

    flow_token: str
    new_kind: str  # "email" | "phone"
    new_contact: str  # masked


async def open_link(deps: Deps, site_code: str, token: str, who: Requester) -> str:
    """Swap the finish link's token for a new flow (returned) without using the link, so a
    mail scanner that opens it spends nothing (SECURITY.md 15). Refused (FlowExpired) for a
    used, voided or expired link, a link of another site or purpose, or a recovery that is
    no longer ``ready``."""
    async with deps.uow() as uow:
        found = (
            await _live(deps, uow, site_code, lockout.link_hash(deps, token))
            if 0 < len(token) <= 100
            else None
        )
        if found is None:
            raise FlowExpired(LINK_GONE)
        link, recovery = found
        flow, state = link_landing(deps, link, PURPOSE, stage=STAGE, note=recovery.id)
        await uow.flows.add(state)
        await uow.commit()
    return flow


async def status(deps: Deps, site_code: str, flow_token: str) -> Finishing:
    """The open flow's recovery, for the Create new password page; FlowExpired when gone."""
    async with deps.uow() as uow:
        _state, recovery = await _load(deps, uow, site_code, flow_token)
    return Finishing(
        flow_token=flow_token,
        new_kind=recovery.new_kind,
        new_contact=mask(recovery.new_kind, recovery.new_contact),
    )


async def complete(
    deps: Deps,
    site_code: str,
    *,
    flow_token: str,
    password: str,
    password_again: str,
    who: Requester,
) -> str | None:
    """Create new password: the link is used and the recovery completed (both conditional),
    the password set, the new contact made the only one, every session, remembered browser,
    known device, other flow, 2SV method and backup code ended, locks lifted, the contacts
    held for ``contacts_fixed_for``, and the old contacts (before they go) and the new one
    told. Signs nobody in; for a suspended account, returns a notice view token (else
    None), for the page to show the notice instead of Sign in."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state, recovery = await _load(deps, uow, site_code, flow_token)
        account = await uow.accounts.get(site_code, recovery.account_id)
        if account is None or account.status != AccountStatus.ACTIVE:
            raise FlowExpired(LINK_GONE)
        await _unverified_holder(uow, site, recovery)  # a quick answer before any hashing
    new_email = recovery.new_contact if recovery.new_kind == IdentifierKind.EMAIL else None
    pw = check_new_password(
        deps, site, password, password_again, name=account.name, email=new_email or account.email
    )
    if await deps.hasher.verify(account.password_hash, pw):
        raise PasswordRejected([N_("Choose a password you haven't used here.")])
    encoded = await deps.hasher.hash(normalize_password(pw))  # outside any transaction
    async with deps.uow() as uow:
        # The recovery row first: every path that ends a recovery moves it, so racing
        # completions (and a This wasn't me) queue on that one row and cannot deadlock.
        now = deps.clock.now()
        moved = await uow.recoveries.move(
            site_code, recovery.id, RecoveryState.READY, state=RecoveryState.COMPLETED, ended_at=now
        )
        if not moved or not await uow.links.use(site_code, state.target, PURPOSE, now):
            raise FlowExpired(LINK_GONE)  # leaving without commit undoes the move
        account = await uow.accounts.get(site_code, recovery.account_id)
        if account is None:
            raise FlowExpired(LINK_GONE)
        await _tell_old_contacts(deps, uow, site, account)  # while they are still on file
        await _replace_contacts(deps, uow, site, account, recovery, encoded)
        await _end_everything(deps, uow, account, who)
        if recovery.new_kind == IdentifierKind.PHONE:
            # This phone alone just set the password: it is not also a second step for a
            # day, should it be added as one (as after a reset by text).
            await mark_reset_by_phone(deps, uow, site_code, recovery.new_contact)
        await audit(
            deps,
            uow,
            site_code,
            account.id,
            AuditAction.RECOVERY_COMPLETED,
            who,
            recovery=recovery.id,
            new_kind=recovery.new_kind,
            two_step_removed=account.two_step,
        )
        await _tell_new_contact(deps, uow, site, account, recovery)
        view = await notice.refusal(deps, uow, account)
        await uow.commit()
    deps.on_message()
    return view


async def _live(
    deps: Deps, uow: UnitOfWork, site_code: str, link_hash: str
) -> tuple[Link, Recovery] | None:
    """The link (by hash) and its recovery while both can still finish: the link unused and
    unexpired on this site, its recovery ``ready`` for the same account."""
    link = await uow.links.get(site_code, link_hash, PURPOSE)
    if link is None or link.used_at is not None or deps.clock.now() >= link.expires_at:
        return None
    recovery = await uow.recoveries.get(site_code, link.reason)
    if (
        recovery is None
        or recovery.state != RecoveryState.READY
        or recovery.account_id != link.account_id
    ):
        return None
    return link, recovery


async def _load(
    deps: Deps, uow: UnitOfWork, site_code: str, flow_token: str
) -> tuple[FlowState, Recovery]:
    """The open flow and its recovery, still finishable; FlowExpired otherwise."""
    state = (
        await uow.flows.get(site_code, flow_hash(deps, flow_token), PURPOSE)
        if 0 < len(flow_token) <= 100
        else None
    )
    if state is None or deps.clock.now() >= state.expires_at or state.stage != STAGE:
        raise FlowExpired(EXPIRED)
    found = await _live(deps, uow, site_code, state.target)
    if found is None or found[1].id != state.note:
        raise FlowExpired(LINK_GONE)
    return state, found[1]


def _taken(kind: str) -> str:
    return TAKEN_EMAIL if kind == IdentifierKind.EMAIL else TAKEN_PHONE


async def _unverified_holder(uow: UnitOfWork, site: Site, recovery: Recovery) -> str | None:
    """Raise ContactTaken when another active account on the site holds the new contact
    now; return the id of an account that registered it and never verified it, which does
    not own it (it is removed, as when a contact change proves the address)."""
    ident = Identifier(IdentifierKind(recovery.new_kind), recovery.new_contact)
    holder = await uow.accounts.find(site.code, ident)
    if holder is None or holder.id == recovery.account_id:
        return None
    if holder.status == AccountStatus.UNVERIFIED:
        return holder.id
    raise ContactTaken(_taken(recovery.new_kind))


async def _replace_contacts(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account,
    recovery: Recovery,
    encoded: str,
) -> None:
    """The new password and the new contact, which replaces both lost ones; 2SV off, no
    suspicion left, and the contacts held."""
    unverified = await _unverified_holder(uow, site, recovery)
    if unverified is not None:
        await uow.accounts.delete_unverified(site.code, unverified)
    now = deps.clock.now()
    email = recovery.new_kind == IdentifierKind.EMAIL
    try:
        await uow.accounts.update(
            site.code,
            account.id,
            password_hash=encoded,
            password_changed_at=now,
            email=recovery.new_contact if email else None,
            email_verified=email,
            phone=None if email else recovery.new_contact,
            phone_verified=not email,
            two_step=False,
            preferred_factor=None,
            suspect_since=None,
            contacts_fixed_until=now + deps.recovery_policy.contacts_fixed_for,
        )
    except Conflict:  # taken between the check and the write: the whole change is undone
        raise ContactTaken(_taken(recovery.new_kind)) from None


async def _end_everything(deps: Deps, uow: UnitOfWork, account: Account, who: Requester) -> None:
    """Whoever held the account before may hold a session, a remembered browser, a known
    device, a flow, a 2SV method, a passkey or a link: none of it survives the recovery."""
    site = account.site
    await uow.sessions.delete_all(site, account.id)
    await end_apps(deps, uow, site, account.id, "recovered", who)  # the apps' tokens too
    await uow.two_step.forget(site, account.id)  # remembered browsers
    await uow.two_step.clear(site, account.id)  # authenticator apps, phones, backup codes
    removed = await uow.passkeys.remove_all(site, account.id)  # one the other holder added
    if removed:  # in the security activity, and to the store's webhooks
        await audit(
            deps, uow, site, account.id, AuditAction.PASSKEY_REMOVED, who, count=removed,
            by_recovery=True,
        )  # fmt: skip
    await uow.flows.void_all(site, account.id, keep="")  # this flow too: it is finished
    for purpose in (FlowPurpose.RECOVERY_CANCEL, FlowPurpose.RECOVERY_FINISH):
        await uow.links.void_for(site, account.id, purpose)
    await lockout.new_password(deps, uow, account, who)  # known devices, unlock links
    await lockout.unlock_account(deps, uow, account, who)


async def _tell_old_contacts(deps: Deps, uow: UnitOfWork, site: Site, account: Account) -> None:
    """The verified contacts on file before the change, each by its own channel."""
    locale = reader_locale(site, account)
    email = deps.messages.email("recovery_finished_old", site, locale)
    sms = deps.messages.sms("recovery_finished_old", site, locale)
    await notify_all(
        deps, uow, site, account, MessageKind.RECOVERY_ENDED, email.subject, email.text, sms,
        html=email.html,
    )  # fmt: skip


async def _tell_new_contact(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, recovery: Recovery
) -> None:
    channel = Channel.EMAIL if recovery.new_kind == IdentifierKind.EMAIL else Channel.SMS
    until = deps.clock.now() + deps.recovery_policy.contacts_fixed_for
    locale = new_contact_locale(site, recovery)
    message = written(deps, site, locale, channel, "recovery_finished_new", until=until)
    await send(
        deps,
        uow,
        site,
        account_id=account.id,
        channel=channel,
        kind=MessageKind.RECOVERY_ENDED,
        to=recovery.new_contact,
        subject=message.subject,
        body=message.text,
        html=message.html,
    )

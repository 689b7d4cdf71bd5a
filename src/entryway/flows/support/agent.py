"""The agent tools on a case: least privilege, each asking for a reason.

Every tool needs a reason, is audited on the customer's site log with the staff member,
the account, the case and the reason, records an entry on the thread, and notifies the
customer (SECURITY.md 31). Agents reach only contacts already on file, picked by index:
no tool takes an address (SECURITY.md 32). No tool reads a code, secret, hash or answer,
sets a password, changes a contact or turns two-step verification off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entryway.core.cases import Author, CaseState
from entryway.core.events import (
    ACTIVITY_LABELS,
    AccountStatus,
    AuditAction,
    Channel,
    FlowPurpose,
    MessageKind,
)
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.lockout import LockReason
from entryway.core.masking import mask
from entryway.core.secrets import new_otp
from entryway.core.staff import Actor, Role
from entryway.errors import Conflict, FlowExpired, Forbidden, InvalidInput
from entryway.flows import words
from entryway.flows.account.account import sign_out_all
from entryway.flows.common import (
    CODE_LIFETIME,
    FLOW_LIFETIME,
    audit,
    code_hash,
    count_agent_send,
    decoy_hash,
    flow_hash,
    send,
)
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import (
    Account,
    Deps,
    FlowState,
    Lock,
    Rendered,
    Requester,
    SupportCase,
    UnitOfWork,
)
from entryway.flows.recovery import password_reset
from entryway.flows.signin import lockout
from entryway.flows.support.queue import STAFF, visible
from entryway.flows.support.thread import on_file, record, verification_token

MAX_REASON = 500
SENT_IF_ON_FILE = "If this contact is on an account, a code was sent."
NOT_LINKED = "This case is not linked to an account. Use Verify it's you first."
NOT_LOCKED = "The account is not locked."
LOCKED_BY_TRUST = "The trust team locked this account: only they can unlock it."
VERIFY_FIRST = (
    "Use Verify it's you first: the customer must enter its code after the account closed."
)
REOPEN_FIRST = "The account is closed: reopen it first (Reopen account)."
NOT_CLOSED = "The account is not closed, or its grace period is over: it cannot be reopened."


@dataclass(frozen=True, slots=True)
class ContactOnFile:
    index: int  # what the tools take instead of an address
    kind: str
    masked: str


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    label: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """What an agent may know of a linked account: no code, secret, hash or answer."""

    account_id: str
    status: AccountStatus
    created_at: datetime
    two_step: bool
    methods: tuple[str, ...]  # kinds: "totp", "phone", "backup_codes"
    locked: bool
    locked_until: datetime | None
    contacts: tuple[ContactOnFile, ...]
    recent: tuple[Event, ...]
    closed_at: datetime | None = None  # closed by its owner: Reopen account until erase_after
    erase_after: datetime | None = None
    can_reopen: bool = False
    verified_since_closing: bool = False  # Verify it's you passed on this case after it closed


def need_reason(reason: str) -> str:
    """Every agent action needs a reason, kept in the audit log (SECURITY.md 31); none is
    taken on trust as blank."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("Give a reason: it is kept in the audit log.", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"Use at most {MAX_REASON} characters.", field="reason")
    return text


def contact_on_file(account: Account, which: int) -> tuple[str, str]:
    """Agents only reach contacts on file: a verified contact of the account, by index,
    never an address typed into the console or the case (SECURITY.md 32)."""
    contacts = on_file(account)
    if not 0 <= which < len(contacts):
        raise InvalidInput(f"No contact on file at {which}.", field="which")
    return contacts[which]


async def _agent_case(deps: Deps, uow: UnitOfWork, actor: Actor, case_id: str) -> SupportCase:
    """A case this actor may see, for the tools: agents only, open cases only."""
    if not actor.has(Role.AGENT):
        raise Forbidden("The agent tools are for agents.")
    case = await visible(deps, uow, actor, case_id)
    if case.state is CaseState.CLOSED:
        raise FlowExpired("This case is closed.")
    return case


async def _linked(
    deps: Deps, uow: UnitOfWork, actor: Actor, case_id: str
) -> tuple[SupportCase, Account]:
    """The case and its account: every tool but Verify it's you needs a linked case."""
    case = await _agent_case(deps, uow, actor, case_id)
    account = await uow.accounts.get(case.site, case.account_id) if case.account_id else None
    if account is None:
        raise Forbidden(NOT_LINKED)
    return case, account


async def _done(
    deps: Deps,
    uow: UnitOfWork,
    actor: Actor,
    case: SupportCase,
    account: Account,
    action: AuditAction,
    reason: str,
    what: str,
    who: Requester,
    *,
    did: str,
    sent_to: str = "",
    **detail: Any,
) -> None:
    """Audit, thread entry and notice of one tool's use, in the tool's transaction. ``what``
    is the thread's words (staff read it); ``did`` names the notice's words in
    messages/agent_action (``sent_to``: where a reset code went, masked)."""
    await audit(
        deps,
        uow,
        case.site,
        account.id,
        action,
        who,
        staff=actor.staff_id,
        case=case.number,
        reason=reason,
        **detail,
    )
    await record(
        deps,
        uow,
        case,
        Author.SYSTEM,
        f"{what[0].upper()}{what[1:]}. Reason: {reason}",
        actor.staff_id,
    )
    site = deps.site(case.site)
    await notify_all_of(
        deps,
        uow,
        site,
        account,
        MessageKind.AGENT_ACTION,
        "agent_action",
        number=case.number,
        did=did,
        sent_to=sent_to,
    )


async def summary(deps: Deps, actor: Actor, case_id: str) -> AccountSummary:
    """The linked account at a glance: status, 2SV methods by kind, lock, masked contacts
    and recent security events."""
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        factors = await uow.two_step.factors(case.site, account.id)
        backup = await uow.two_step.backup_codes_left(case.site, account.id)
        lock = await uow.locks.get(case.site, lockout.account_key(deps, account.id))
        recent = await uow.audit.recent(case.site, account.id, 10)
    kinds = sorted({f.kind for f in factors if f.confirmed_at is not None})
    live = lock is not None and lock.until > deps.clock.now()
    return AccountSummary(
        account_id=account.id,
        status=account.status,
        created_at=account.created_at,
        two_step=account.two_step,
        methods=tuple(kinds + (["backup_codes"] if backup else [])),
        locked=live,
        locked_until=lock.until if live and lock else None,
        contacts=tuple(
            ContactOnFile(i, kind, mask(kind, value))
            for i, (kind, value) in enumerate(on_file(account))
        ),
        recent=tuple(
            Event(e.action.value, ACTIVITY_LABELS.get(e.action, e.action.value), e.at)
            for e in recent
        ),
        closed_at=account.closed_at,
        erase_after=deps.retention.erase_after(account.closed_at) if account.closed_at else None,
        can_reopen=_reopenable(deps, account),
        verified_since_closing=_verified_since_closing(case, account),
    )


def _verified_since_closing(case: SupportCase, account: Account) -> bool:
    """Whoever asks to reopen proved it's them after the closing: a case linked before it
    (opened signed in, say) says nothing of who writes on it now."""
    return (
        account.closed_at is not None
        and case.verified_at is not None
        and case.verified_at > account.closed_at
    )


def _reopenable(deps: Deps, account: Account) -> bool:
    """Closed by its owner, and inside the grace period (past it, it is due to be erased)."""
    closed_at = account.closed_at
    if account.status != AccountStatus.CLOSED or closed_at is None:
        return False
    return deps.clock.now() < deps.retention.erase_after(closed_at)


async def reveal_contact(
    deps: Deps, actor: Actor, case_id: str, which: int, reason: str, who: Requester = STAFF
) -> str:
    """One contact on file in full: an audited action the customer hears of."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        kind, value = contact_on_file(account, which)
        what = (
            f"viewed the {'email address' if kind == 'email' else 'mobile number'} on your account"
        )
        await _done(
            deps,
            uow,
            actor,
            case,
            account,
            AuditAction.AGENT_CONTACT_REVEALED,
            why,
            what,
            who,
            did="viewed_email" if kind == "email" else "viewed_phone",
            kind=kind,
        )
        await uow.commit()
    deps.on_message()
    return value


async def send_verification(
    deps: Deps, actor: Actor, case_id: str, reason: str, which: int = 0, who: Requester = STAFF
) -> str:
    """Verify it's you: a 6-digit code (and no link) to a contact on file; the customer
    enters it on their case page. A signed-out case's typed contact is looked up: if it is
    an account's verified contact the code goes there, otherwise nothing is sent, and the
    agent's answer, the thread and the case page are the same either way (SECURITY.md 33)."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case = await _agent_case(deps, uow, actor, case_id)
        if case.account_id is not None:
            account = await uow.accounts.get(case.site, case.account_id)
            if account is None:
                raise Forbidden(NOT_LINKED)
            kind, value = contact_on_file(account, which)
            answer = f"A code was sent to {mask(kind, value)}."
        else:
            kind, value = case.claimed_kind, case.claimed_contact or ""
            account = await _account_of_contact(uow, case.site, kind, value)
            answer = SENT_IF_ON_FILE
        # The agent's quotas, counted alike whether or not the contact is on file, so a
        # quota reached says nothing about it either (SECURITY.md 33).
        await count_agent_send(deps, uow, case.site, actor.staff_id, value)
        n = await uow.cases.next_verification(case.site, case.id)
        await _verification_flow(deps, uow, case, n, account, kind, value)
        await audit(
            deps,
            uow,
            case.site,
            account.id if account else None,
            AuditAction.AGENT_VERIFICATION_SENT,
            who,
            staff=actor.staff_id,
            case=case.number,
            reason=why,
        )
        await record(
            deps,
            uow,
            case,
            Author.SYSTEM,
            f"Verify it's you asked. {SENT_IF_ON_FILE} Reason: {why}",
            actor.staff_id,
        )
        await uow.commit()
    deps.on_message()
    return answer


async def _account_of_contact(uow: UnitOfWork, site: str, kind: str, value: str) -> Account | None:
    """The active account whose *verified* contact this is, else None (never shown)."""
    if kind not in (IdentifierKind.EMAIL, IdentifierKind.PHONE) or not value:
        return None
    account = await uow.accounts.find(site, Identifier(IdentifierKind(kind), value))
    # A closed account can still be verified: its owner may be asking to reopen it.
    if account is None or account.status == AccountStatus.UNVERIFIED:
        return None
    return account if (kind, value) in on_file(account) else None


async def _verification_flow(
    deps: Deps,
    uow: UnitOfWork,
    case: SupportCase,
    n: int,
    account: Account | None,
    kind: str,
    value: str,
) -> None:
    """The n-th code of the case: real and sent when ``account`` holds the contact, else a
    decoy that no code matches, with the same tries, so the case page acts the same."""
    now = deps.clock.now()
    id_hash = flow_hash(deps, verification_token(case, n))
    code = new_otp(deps.rng)
    await uow.flows.add(
        FlowState(
            id_hash=id_hash,
            site=case.site,
            purpose=FlowPurpose.CASE_VERIFY,
            account_id=account.id if account else None,
            target_kind=kind,
            target=value,
            code_hash=code_hash(deps, id_hash, code) if account else decoy_hash(deps),
            code_expires_at=now + CODE_LIFETIME,
            code_attempts=0,
            sends=1,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
        )
    )
    if account is None:
        return
    site = deps.site(case.site)
    by_email = kind == IdentifierKind.EMAIL
    locale = words.reader_locale(site, account)
    values = {"number": case.number, "code": code}
    mail = (
        deps.messages.email("case_code", site, locale, **values)
        if by_email
        else Rendered("", deps.messages.sms("case_code", site, locale, **values), "")
    )
    await send(
        deps,
        uow,
        site,
        account_id=account.id,
        channel=Channel.EMAIL if by_email else Channel.SMS,
        kind=MessageKind.CASE_CODE,
        to=value,
        subject=mail.subject,
        body=mail.text,
        html=mail.html,
    )


async def send_reset_code(
    deps: Deps,
    actor: Actor,
    case_id: str,
    which: int,
    reason: str,
    channel: str = "email",
    who: Requester = STAFF,
) -> str:
    """Start Forgot your password? for the customer: the code goes to a contact on file,
    and the case page leads on to the new password. Returns where it went, masked."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        _open_only(account)
        token, progress = await password_reset.start_for(
            deps, uow, deps.site(case.site), account, which, channel, who, staff_id=actor.staff_id
        )
        sealed = deps.sealer.seal(token.encode())
        if not await uow.cases.move(case.site, case.id, case.state, reset_flow=sealed):
            raise Conflict("The case changed meanwhile. Reload it and try again.")
        what = f"sent you a password reset code ({progress.sent_to})"
        await _done(
            deps,
            uow,
            actor,
            case,
            account,
            AuditAction.AGENT_RESET_SENT,
            why,
            what,
            who,
            did="reset_sent",
            sent_to=progress.sent_to,
        )
        await uow.commit()
    deps.on_message()
    return progress.sent_to


async def send_unlock_link(
    deps: Deps, actor: Actor, case_id: str, reason: str, who: Requester = STAFF
) -> None:
    """A new unlock link for a locked account, to the email on file (else by text)."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        _open_only(account)
        lock = await _live_lock(deps, uow, account)
        to = await lockout.send_unlock_link(deps, uow, account, lock.reason)
        if to:  # in the transaction: over a quota, nothing is sent
            await count_agent_send(deps, uow, case.site, actor.staff_id, to)
        what = "sent you a new link to unlock your account"
        await _done(
            deps,
            uow,
            actor,
            case,
            account,
            AuditAction.AGENT_UNLOCK_SENT,
            why,
            what,
            who,
            did="unlock_sent",
        )
        await uow.commit()
    deps.on_message()


def _open_only(account: Account) -> None:
    """A closed account gets no reset code or unlock link: nothing could be done with them
    (its sign-in is refused whatever the password); reopening comes first."""
    if account.status == AccountStatus.CLOSED:
        raise InvalidInput(REOPEN_FIRST, field="account")


async def _live_lock(deps: Deps, uow: UnitOfWork, account: Account) -> Lock:
    """The account's lock while it holds; the unlock tools refuse an account not locked,
    and one the trust team locked (only they lift it, flows/trust/locking)."""
    lock = await uow.locks.get(account.site, lockout.account_key(deps, account.id))
    if lock is None or lock.until <= deps.clock.now():
        raise InvalidInput(NOT_LOCKED, field="account")
    if lock.reason is LockReason.OPERATOR:
        raise InvalidInput(LOCKED_BY_TRUST, field="account")
    return lock


async def lift_lock(
    deps: Deps, actor: Actor, case_id: str, reason: str, who: Requester = STAFF
) -> None:
    """Lift the account's lock (the operator path: Locks.release_account)."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        _open_only(account)
        await _live_lock(deps, uow, account)
        await lockout.unlock_account(deps, uow, account, who)
        what = "unlocked your account"
        await _done(
            deps,
            uow,
            actor,
            case,
            account,
            AuditAction.AGENT_LOCK_LIFTED,
            why,
            what,
            who,
            did="unlocked",
        )
        await uow.commit()
    deps.on_message()


async def sign_out_everywhere(
    deps: Deps, actor: Actor, case_id: str, reason: str, who: Requester = STAFF
) -> int:
    """What the customer's own Sign out everywhere does; how many sessions ended."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        n = await sign_out_all(deps, uow, account, who)
        what = "signed your account out on every device"
        await _done(
            deps,
            uow,
            actor,
            case,
            account,
            AuditAction.AGENT_SIGNED_OUT_EVERYWHERE,
            why,
            what,
            who,
            did="signed_out",
            sessions=n,
        )
        await uow.commit()
    deps.on_message()
    return n


async def reopen_account(
    deps: Deps, actor: Actor, case_id: str, reason: str, who: Requester = STAFF
) -> None:
    """Reopen an account its owner closed, on their request, inside the grace period: it
    can be signed in to again with its password and is no longer erased. Its sessions,
    apps and remembered devices ended at closing and stay ended."""
    why = need_reason(reason)
    async with deps.uow() as uow:
        case, account = await _linked(deps, uow, actor, case_id)
        if not _reopenable(deps, account):
            raise InvalidInput(NOT_CLOSED, field="account")
        if not _verified_since_closing(case, account):
            raise InvalidInput(VERIFY_FIRST, field="account")
        closed_at = account.closed_at
        assert closed_at is not None  # _reopenable
        if not await uow.accounts.reopen(case.site, account.id, closed_at):
            raise InvalidInput(NOT_CLOSED, field="account")  # erased or reopened meanwhile
        account.status, account.closed_at = AccountStatus.ACTIVE, None
        # Guesses while it was closed may have locked it, and a closed account gets no
        # unlock link: the owner gets one now, or the lock would hold with no way out.
        lock = await uow.locks.get(account.site, lockout.account_key(deps, account.id))
        now = deps.clock.now()
        if lock is not None and lock.until > now and lock.reason is not LockReason.OPERATOR:
            await lockout.send_unlock_link(deps, uow, account, lock.reason)
        await _done(
            deps,
            uow,
            actor,
            case,
            account,
            AuditAction.AGENT_ACCOUNT_REOPENED,
            why,
            "reopened your account, which was closed",
            who,
            did="reopened",
        )
        await uow.commit()
    deps.on_message()

"""Forgotten password: a one-time code to a contact on file, then a new password.

```mermaid
stateDiagram-v2
    [*] --> choose: identifier with several contacts, or a phone (SMS or voice)
    [*] --> code: identifier with one email (code sent at once)
    choose --> code: contact and channel picked by index (code sent)
    code --> code: resend (after a short wait; newer code voids older)
    code --> verified: right code (conditional write)
    verified --> done: new password saved; sessions, flows and failure counts cleared
```

Unknown identifiers get a decoy flow that looks and acts the same but never sends a code
and never verifies (SECURITY.md 4).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import timedelta

from entryway.core.events import AccountStatus, AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.core.passwords import normalize_password
from entryway.core.secrets import keyed_hash, new_otp, new_token
from entryway.core.sites import Site
from entryway.errors import CodeRejected, FlowExpired, InvalidInput, PasswordRejected
from entryway.flows import codes, words
from entryway.flows.account.registration import check_new_password
from entryway.flows.apps.ending import end_apps
from entryway.flows.common import (
    CODE_LIFETIME,
    audit,
    code_hash,
    count_agent_send,
    count_send,
    decoy_hash,
    flow_hash,
    mark_reset_by_phone,
    owner_key,
    send,
    verified_contacts,
)
from entryway.flows.outbox.letters import notify_all_of, phone_code
from entryway.flows.ports import Account, Deps, FlowState, Rendered, Requester, UnitOfWork
from entryway.flows.recovery.pending import cancel_on_sign_in
from entryway.flows.signin import lockout
from entryway.flows.trust import notice

PURPOSE = FlowPurpose.PASSWORD_RESET
FLOW_LIFETIME = timedelta(minutes=30)
RESEND_WAIT = timedelta(seconds=30)
DECOY_SECOND_CONTACT_PERCENT = 40  # roughly how many real accounts have both contacts
WAIT = N_("Please wait {seconds} seconds before asking again.")
# For agents (their console shows these), so they stay English and out of the catalog.
NO_CONTACT_AT = "No contact on file at {index}."
NO_CHANNEL = "A code cannot go there by {channel!r}."
LINK_USED = N_(
    "This unlock link was used already or has expired. Use Forgot your password? instead."
)


@dataclass(frozen=True, slots=True)
class Choice:
    """One contact the code can go to, shown masked and picked by index."""

    index: int
    kind: IdentifierKind
    masked: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a reset stands, for the page or API answer."""

    flow_token: str
    stage: str
    choices: tuple[Choice, ...] = ()
    sent_to: str = ""
    channel: str = ""
    wait_seconds: int = 0
    reach: tuple[str, ...] = ()  # the kinds of contact on file ("email", "phone"), to name them


def _contacts(deps: Deps, account: Account | None, ident: Identifier) -> list[tuple[str, str]]:
    """The verified contacts on file, or a stable, plausible set for an unknown identifier."""
    if account is not None:
        return verified_contacts(account)
    found = [(ident.kind.value, ident.value)]
    digest = hmac.new(deps.keys.hashing, b"decoy-contact|" + ident.value.encode(), "sha256")
    roll = digest.digest()
    if roll[0] % 100 < DECOY_SECOND_CONTACT_PERCENT:
        last4 = "".join(str(b % 10) for b in roll[1:5])
        other = (
            (IdentifierKind.PHONE.value, "+1555000" + last4)
            if ident.kind == IdentifierKind.EMAIL
            else (IdentifierKind.EMAIL.value, "abcdefghijklmnoprstw"[roll[5] % 20] + "@gmail.com")
        )
        found.append(other)
    return found


def _reach(contacts: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(sorted({kind for kind, _value in contacts}))


def _choices(contacts: list[tuple[str, str]]) -> tuple[Choice, ...]:
    return tuple(
        Choice(
            index=i,
            kind=IdentifierKind(kind),
            masked=mask(kind, value),
            channels=(Channel.EMAIL,)
            if kind == IdentifierKind.EMAIL
            else (Channel.SMS, Channel.VOICE),
        )
        for i, (kind, value) in enumerate(contacts)
    )


async def start(deps: Deps, site_code: str, *, identifier: str, who: Requester) -> Progress:
    """Begin a reset; with a single email on file the code goes out at once."""
    site = deps.site(site_code)
    ident = deps.identifiers.parse(identifier, site.phone_region)
    async with deps.uow() as uow:
        account = await uow.accounts.find(site.code, ident)
        closed = account if account and account.status == AccountStatus.CLOSED else None
        if account is not None and account.status != AccountStatus.ACTIVE:
            account = None
        contacts = _contacts(deps, account, ident)
        token = new_token(deps.rng)
        state = _new_flow(deps, site, account, ident, token)
        await uow.flows.add(state)
        if account is not None:
            await audit(deps, uow, site.code, account.id, AuditAction.PASSWORD_RESET_STARTED, who)
        elif closed is not None:  # the answer is a decoy's; only its owner hears why
            await _tell_closed(deps, uow, site, closed, ident)
        elif ident.kind == IdentifierKind.EMAIL and site.reset_notice_unknown:
            await _tell_unknown(deps, uow, site, ident, who)
        progress = _progress(deps, state, token, contacts)
        if len(contacts) == 1 and contacts[0][0] == IdentifierKind.EMAIL:
            progress = await _send(deps, uow, site, state, token, contacts, 0, Channel.EMAIL, who)
        await uow.commit()
    deps.on_message()
    return progress


def _new_flow(
    deps: Deps, site: Site, account: Account | None, ident: Identifier, token: str
) -> FlowState:
    """A reset at its first stage, before any code (a decoy when ``account`` is None)."""
    now = deps.clock.now()
    return FlowState(
        id_hash=flow_hash(deps, token),
        site=site.code,
        purpose=PURPOSE,
        account_id=account.id if account else None,
        target_kind=ident.kind.value,
        target=ident.value,
        code_hash=decoy_hash(deps),
        code_expires_at=now,
        code_attempts=0,
        sends=0,
        created_at=now,
        expires_at=now + FLOW_LIFETIME,
        stage="choose",
    )


async def start_for(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account,
    index: int,
    channel: str,
    who: Requester,
    *,
    staff_id: str,
) -> tuple[str, Progress]:
    """A reset started on the owner's behalf (an agent on a support case), in the caller's
    transaction: the code goes to the contact on file at ``index``, never to a typed
    address, and counts in the agent's quotas, not the customer's. Returns the flow token,
    for the customer's case page, and where it went."""
    contacts = _contacts(deps, account, Identifier(IdentifierKind.EMAIL, ""))
    if not 0 <= index < len(contacts):
        raise InvalidInput(NO_CONTACT_AT, field="which", params={"index": index})
    if channel not in {c.value for c in _choices(contacts)[index].channels}:
        raise InvalidInput(NO_CHANNEL, field="channel", params={"channel": channel})
    kind, value = contacts[index]
    token = new_token(deps.rng)
    state = _new_flow(deps, site, account, Identifier(IdentifierKind(kind), value), token)
    await uow.flows.add(state)
    await audit(deps, uow, site.code, account.id, AuditAction.PASSWORD_RESET_STARTED, who)
    progress = await _send(
        deps, uow, site, state, token, contacts, index, Channel(channel), who, agent=staff_id
    )
    return token, progress


async def _tell_closed(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, ident: Identifier
) -> None:
    """A closed account's own contact asked for a reset: no code (nothing could open it),
    but word that it is closed and until when it can be reopened, once a day at most."""
    if (ident.kind.value, ident.value) not in verified_contacts(account):
        return
    locale = words.reader_locale(site, account)
    until = deps.retention.erase_after(account.closed_at or deps.clock.now())
    by_email = ident.kind == IdentifierKind.EMAIL
    mail = deps.messages.email("reset_closed", site, locale, until=until)
    day = deps.clock.now().date().isoformat()
    await send(
        deps,
        uow,
        site,
        account_id=account.id,
        channel=Channel.EMAIL if by_email else Channel.SMS,
        kind=MessageKind.RESET_CLOSED,
        to=ident.value,
        subject=mail.subject if by_email else "",
        body=mail.text
        if by_email
        else deps.messages.sms("reset_closed", site, locale, until=until),
        html=mail.html if by_email else "",
        dedupe_key=keyed_hash(
            deps.keys.hashing, "reset-closed", f"{site.code}|{ident.value}|{day}"
        ),
    )


async def _tell_unknown(
    deps: Deps, uow: UnitOfWork, site: Site, ident: Identifier, who: Requester
) -> None:
    """Optional per site: tell an unknown address that someone asked, once a day at most."""
    # No account, so no preferred language: the language of the request.
    mail = deps.messages.email("reset_unknown", site, words.request_locale(site, who))
    day = deps.clock.now().date().isoformat()
    await send(
        deps,
        uow,
        site,
        account_id=None,
        channel=Channel.EMAIL,
        kind=MessageKind.RESET_UNKNOWN,
        to=ident.value,
        subject=mail.subject,
        body=mail.text,
        html=mail.html,
        dedupe_key=keyed_hash(
            deps.keys.hashing, "reset-unknown", f"{site.code}|{ident.value}|{day}"
        ),
    )


async def choose(
    deps: Deps,
    site_code: str,
    *,
    flow_token: str,
    index: int,
    channel: str,
    who: Requester,
    purpose: FlowPurpose = PURPOSE,
) -> Progress:
    """Pick where the code goes, by index into the masked list (never a typed address).

    For an unlock, this is where the emailed link is used up (a conditional write): opening
    the link only looked at it (SECURITY.md 15)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, flow_token, "choose", purpose)
        if purpose == FlowPurpose.UNLOCK and not await uow.links.use(
            site_code, state.target, purpose, deps.clock.now()
        ):
            raise FlowExpired(LINK_USED)
        contacts = await _contacts_of(deps, uow, state)
        if not 0 <= index < len(contacts):
            raise InvalidInput("Choose where we should send the code.", field="choice")
        allowed = _choices(contacts)[index].channels
        if channel not in {c.value for c in allowed}:
            raise InvalidInput("Choose how we should send the code.", field="choice")
        progress = await _send(
            deps, uow, site, state, flow_token, contacts, index, Channel(channel), who
        )
        await uow.commit()
    deps.on_message()
    return progress


async def _contacts_of(deps: Deps, uow: UnitOfWork, state: FlowState) -> list[tuple[str, str]]:
    if state.account_id:
        account = await uow.accounts.get(state.site, state.account_id)
        if account is not None:
            return _contacts(deps, account, Identifier(IdentifierKind.EMAIL, ""))
    ident = Identifier(IdentifierKind(state.target_kind), state.target)
    return _contacts(deps, None, ident)


async def _send(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    state: FlowState,
    token: str,
    contacts: list[tuple[str, str]],
    index: int,
    channel: Channel,
    who: Requester,
    agent: str | None = None,
) -> Progress:
    """Send a fresh code (voiding the older one) within the quotas (the customer's, or the
    ``agent``'s when a staff member sends it); decoys send nothing."""
    now = deps.clock.now()
    kind, value = contacts[index]
    if agent is None:
        await count_send(deps, uow, site.code, owner_key(state), value, who)
    else:
        await count_agent_send(deps, uow, site.code, agent, value)
    code = new_otp(deps.rng)
    hashed = code_hash(deps, state.id_hash, code) if state.account_id else decoy_hash(deps)
    moved = await uow.flows.advance(
        site.code,
        state.id_hash,
        state.stage,
        "code",
        target_kind=kind,
        target=value,
        channel=channel.value,
        code_hash=hashed,
        code_expires_at=now + CODE_LIFETIME,
        code_attempts=0,
        sends=state.sends + 1,
        last_sent_at=now,
    )
    if not moved:
        raise FlowExpired("This step has expired. Please start again.")
    if state.account_id:
        await _deliver(deps, uow, site, state, channel, value, code, who)
    return Progress(
        flow_token=token,
        stage="code",
        sent_to=mask(kind, value),
        channel=channel.value,
        wait_seconds=int(RESEND_WAIT.total_seconds()),
        reach=_reach(contacts),
    )


async def _deliver(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    state: FlowState,
    channel: Channel,
    to: str,
    code: str,
    who: Requester,
) -> None:
    """The code in the words of the journey it belongs to (a reset, or an unlock), in the
    account's language."""
    unlocking = state.purpose == FlowPurpose.UNLOCK
    account = await uow.accounts.get(site.code, state.account_id or "")
    locale = words.reader_locale(site, account, who)
    if channel != Channel.EMAIL:
        mail = Rendered(subject="", text=phone_code(deps, site, locale, code, channel), html="")
    else:
        name = "unlock_code" if unlocking else "reset_code"
        mail = deps.messages.email(name, site, locale, code=code)
    await send(
        deps,
        uow,
        site,
        account_id=state.account_id,
        channel=channel,
        kind=MessageKind.UNLOCK_CODE if unlocking else MessageKind.RESET_CODE,
        to=to,
        subject=mail.subject,
        body=mail.text,
        html=mail.html,
    )


async def status(
    deps: Deps, site_code: str, flow_token: str, purpose: FlowPurpose = PURPOSE
) -> Progress:
    """Where the reset stands (for the page that shows it)."""
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, flow_token, None, purpose)
        contacts = await _contacts_of(deps, uow, state)
    return _progress(deps, state, flow_token, contacts)


def _progress(
    deps: Deps, state: FlowState, token: str, contacts: list[tuple[str, str]]
) -> Progress:
    if state.stage == "choose":
        return Progress(
            flow_token=token, stage="choose", choices=_choices(contacts), reach=_reach(contacts)
        )
    wait = 0
    if state.last_sent_at is not None:
        left = state.last_sent_at + RESEND_WAIT - deps.clock.now()
        wait = max(0, int(left.total_seconds() + 0.999))
    return Progress(
        flow_token=token,
        stage=state.stage,
        sent_to=mask(state.target_kind, state.target),
        channel=state.channel,
        wait_seconds=wait,
        reach=_reach(contacts),
    )


async def resend(
    deps: Deps,
    site_code: str,
    *,
    flow_token: str,
    who: Requester,
    purpose: FlowPurpose = PURPOSE,
) -> Progress:
    """A new code to the same contact, once the short wait has passed."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, flow_token, "code", purpose)
        current = _progress(deps, state, flow_token, [])
        if current.wait_seconds > 0:
            raise CodeRejected(WAIT, field="code", params={"seconds": current.wait_seconds})
        contacts = [(state.target_kind, state.target)]
        progress = await _send(
            deps, uow, site, state, flow_token, contacts, 0, Channel(state.channel), who
        )
        progress = replace(progress, reach=_reach(await _contacts_of(deps, uow, state)))
        await uow.commit()
    deps.on_message()
    return progress


async def verify(
    deps: Deps, site_code: str, *, flow_token: str, code: str, purpose: FlowPurpose = PURPOSE
) -> None:
    """The right code moves the flow to the new-password step, exactly once."""
    async with deps.uow() as uow:
        await codes.check_and_consume(
            deps, uow, site_code, flow_token, purpose, code, next_stage="verified"
        )
        await uow.commit()


async def complete(
    deps: Deps,
    site_code: str,
    *,
    flow_token: str,
    password: str,
    password_again: str,
    who: Requester,
    purpose: FlowPurpose = PURPOSE,
) -> str | None:
    """Save the new password; end every session and other flow; tell every contact. Signs
    nobody in; for a suspended account, returns a notice view token (else None)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, flow_token, "verified", purpose)
        account = await uow.accounts.get(site_code, state.account_id or "")
    if account is None or account.status != AccountStatus.ACTIVE:  # closed meanwhile
        raise FlowExpired("This step has expired. Please start again.")
    pw = check_new_password(
        deps, site, password, password_again, name=account.name, email=account.email
    )
    if await deps.hasher.verify(account.password_hash, pw):
        raise PasswordRejected([N_("Choose a password you haven't used here.")])
    encoded = await deps.hasher.hash(normalize_password(pw))
    async with deps.uow() as uow:
        # Proven through a contact on file: a recovery asked for without them stops. Its
        # row is the first written, as on every path that ends a recovery: a Create new
        # password racing this reset either waits here or has voided this flow (so the
        # reset is refused below); never a deadlock over the account or the counters.
        await cancel_on_sign_in(deps, uow, account, who)
        if not await uow.flows.advance(site_code, state.id_hash, "verified", "done"):
            raise FlowExpired("This step has expired. Please start again.")
        await uow.accounts.update(
            site_code, account.id, password_hash=encoded, password_changed_at=deps.clock.now()
        )
        await uow.sessions.delete_all(site_code, account.id)
        await end_apps(deps, uow, site_code, account.id, "reset", who)  # SECURITY.md 26
        await uow.flows.void_all(site_code, account.id, keep=state.id_hash)
        await uow.two_step.forget(site_code, account.id)  # remembered browsers ask again
        # A passkey signs in without the password: one added by whoever knew the old one
        # must not outlive it. The owner adds theirs again.
        removed = await uow.passkeys.remove_all(site_code, account.id)
        if removed:  # in the security activity, and to the store's webhooks
            await audit(
                deps, uow, site_code, account.id, AuditAction.PASSKEY_REMOVED, who,
                count=removed, by_reset=True,
            )  # fmt: skip
        if state.channel in (Channel.SMS, Channel.VOICE):
            await mark_reset_by_phone(deps, uow, site_code, state.target)
        await lockout.new_password(deps, uow, account, who)
        await lockout.unlock_account(deps, uow, account, who)  # a reset also unlocks
        await audit(deps, uow, site_code, account.id, AuditAction.PASSWORD_RESET, who)
        unlocking = purpose == FlowPurpose.UNLOCK
        name = "unlocked_new_password" if unlocking else "password_reset"
        await notify_all_of(deps, uow, site, account, MessageKind.PASSWORD_CHANGED, name, who=who)
        view = await notice.refusal(deps, uow, account)
        await uow.commit()
    deps.on_message()
    return view


async def load(
    deps: Deps,
    uow: UnitOfWork,
    site_code: str,
    token: str,
    stage: str | None,
    purpose: FlowPurpose = PURPOSE,
) -> FlowState:
    state = await uow.flows.get(site_code, flow_hash(deps, token), purpose) if token else None
    now = deps.clock.now()
    if state is None or now >= state.expires_at or state.stage == "done":
        raise FlowExpired("This step has expired. Please start again.")
    if stage is not None and state.stage != stage:
        raise FlowExpired("This step has expired. Please start again.")
    return state

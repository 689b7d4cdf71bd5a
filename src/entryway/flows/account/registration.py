"""Create account: name, identifier, password; usable only after a one-time code.

```mermaid
stateDiagram-v2
    [*] --> form
    form --> code_sent: valid input (new or still-unverified identifier)
    form --> decoy_sent: identifier already has an account (owner is emailed instead)
    code_sent --> signed_in: right code (account becomes active)
    decoy_sent --> decoy_sent: every code is refused, same as a wrong code
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AccountStatus, AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.core.passwords import context_words, normalize_password
from entryway.core.secrets import keyed_hash, new_token
from entryway.core.sites import Site
from entryway.errors import Conflict, FlowExpired, InvalidInput, PasswordRejected
from entryway.flows import codes, words
from entryway.flows.common import audit, open_session, send, start_code_flow
from entryway.flows.ports import Account, Deps, Requester, UnitOfWork

MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class Started:
    flow_token: str
    sent_to: str  # masked


@dataclass(frozen=True, slots=True)
class Verified:
    session_token: str
    account_id: str
    expires_at: datetime  # the new session's deadlines
    ends_at: datetime


def clean_name(raw: str) -> str:
    """A display name: trimmed, 1..100 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput("Enter your name.", field="name")
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise InvalidInput(
            "Use at most {limit} characters for your name.",
            field="name",
            params={"limit": MAX_NAME},
        )
    return name


def check_new_password(
    deps: Deps,
    site: Site,
    password: str,
    again: str,
    *,
    name: str,
    email: str | None,
    field: str = "password",
) -> str:
    """Apply the password policy to a new password; returns it NFC-normalised."""
    problems = deps.passwords.problems(
        password, context_words(site_name=site.name, brand=site.brand, name=name, email=email)
    )
    if problems:
        raise PasswordRejected(problems, field=field)
    if normalize_password(password) != normalize_password(again):
        raise PasswordRejected([N_("Passwords must match.")], field="password_again")
    return normalize_password(password)


async def start(
    deps: Deps,
    site_code: str,
    *,
    name: str,
    identifier: str,
    password: str,
    password_again: str,
    who: Requester,
) -> Started:
    """Create (or refresh an unverified) account and send it a code.

    Answers the same whether or not the identifier is taken (SECURITY.md 4): a taken one
    gets a decoy flow and its owner an email saying someone tried.
    """
    site = deps.site(site_code)
    name = clean_name(name)
    ident = deps.identifiers.parse(identifier, site.phone_region)
    email = ident.value if ident.kind == IdentifierKind.EMAIL else None
    pw = check_new_password(deps, site, password, password_again, name=name, email=email)
    encoded = await deps.hasher.hash(pw)
    for _ in range(2):  # a second pass only if a parallel sign-up took the identifier
        try:
            async with deps.uow() as uow:
                token = await _start_in(deps, uow, site, ident, name, encoded, who)
                await uow.commit()
            deps.on_message()
            return Started(flow_token=token, sent_to=mask(ident.kind, ident.value))
        except Conflict:
            continue
    raise Conflict("Please try again.")


async def _start_in(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    ident: Identifier,
    name: str,
    encoded: str,
    who: Requester,
) -> str:
    existing = await uow.accounts.find(site.code, ident)
    # A closed account keeps its address until it is erased (it may yet be reopened): the
    # sign-up acts as for any taken address, and the owner is told it is closed.
    if existing is not None and existing.status != AccountStatus.UNVERIFIED:
        token, _ = await start_code_flow(
            deps,
            uow,
            site=site.code,
            purpose=FlowPurpose.REGISTRATION,
            account_id=existing.id,
            target_kind=ident.kind,
            target=ident.value,
            who=who,
            decoy=True,
        )
        locale = words.reader_locale(site, existing, who)
        by_email = ident.kind == IdentifierKind.EMAIL
        closed = existing.status == AccountStatus.CLOSED
        until = deps.retention.erase_after(existing.closed_at or deps.clock.now())
        mail = deps.messages.email("already_registered", site, locale, closed=closed, until=until)
        await send(
            deps,
            uow,
            site,
            account_id=existing.id,
            channel=Channel.EMAIL if by_email else Channel.SMS,
            kind=MessageKind.ALREADY_REGISTERED,
            to=ident.value,
            subject=mail.subject,
            body=mail.text
            if by_email
            else deps.messages.sms("already_registered", site, locale, closed=closed, until=until),
            html=mail.html,
            # One such notice a day per address: repeated attempts cannot flood the owner.
            dedupe_key=keyed_hash(
                deps.keys.hashing,
                "already-registered",
                f"{site.code}|{ident.value}|{deps.clock.now().date().isoformat()}",
            ),
        )
        return token
    now = deps.clock.now()
    # The language the customer registered in becomes the account's own (its emails, texts).
    locale = words.request_locale(site, who) if who.locale else ""
    if existing is not None:  # still unverified: whoever verifies first owns it
        account_id = existing.id
        await uow.accounts.update(
            site.code, account_id, name=name, password_hash=encoded, locale=locale
        )
    else:
        account_id = new_token(deps.rng, 16)
        await uow.accounts.add(
            Account(
                id=account_id,
                site=site.code,
                name=name,
                email=ident.value if ident.kind == IdentifierKind.EMAIL else None,
                phone=ident.value if ident.kind == IdentifierKind.PHONE else None,
                password_hash=encoded,
                status=AccountStatus.UNVERIFIED,
                created_at=now,
                locale=locale,
            )
        )
        await audit(
            deps, uow, site.code, account_id, AuditAction.ACCOUNT_CREATED, who, via=ident.kind.value
        )
    token, code = await start_code_flow(
        deps,
        uow,
        site=site.code,
        purpose=FlowPurpose.REGISTRATION,
        account_id=account_id,
        target_kind=ident.kind,
        target=ident.value,
        who=who,
    )
    state = await codes.load(deps, uow, site.code, token, FlowPurpose.REGISTRATION)
    await codes.deliver_code(deps, uow, site, state, code, words.reader_locale(site, None, who))
    return token


async def resend_for_unverified(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, who: Requester
) -> str:
    """A new registration code for an unverified account whose owner just proved the password."""
    kind = IdentifierKind.EMAIL if account.email else IdentifierKind.PHONE
    target = account.email or account.phone or ""
    token, code = await start_code_flow(
        deps,
        uow,
        site=site.code,
        purpose=FlowPurpose.REGISTRATION,
        account_id=account.id,
        target_kind=kind,
        target=target,
        who=who,
    )
    state = await codes.load(deps, uow, site.code, token, FlowPurpose.REGISTRATION)
    locale = words.reader_locale(site, account, who)
    await codes.deliver_code(deps, uow, site, state, code, locale)
    return token


async def verify(
    deps: Deps, site_code: str, *, flow_token: str, code: str, who: Requester, client: str = "web"
) -> Verified:
    """The right code activates the account and signs it in with a fresh session."""
    async with deps.uow() as uow:
        state = await codes.check_and_consume(
            deps, uow, site_code, flow_token, FlowPurpose.REGISTRATION, code
        )
        account = await uow.accounts.get(site_code, state.account_id or "")
        if account is None or account.status != AccountStatus.UNVERIFIED:
            raise FlowExpired("This step has expired. Please start again.")
        verified = (
            {"email_verified": True}
            if state.target_kind == IdentifierKind.EMAIL
            else {"phone_verified": True}
        )
        await uow.accounts.update(site_code, account.id, status=AccountStatus.ACTIVE, **verified)
        await audit(deps, uow, site_code, account.id, AuditAction.ACCOUNT_VERIFIED, who)
        # The password chosen at registration; the code verified a contact (not a factor).
        opened = await open_session(
            deps, uow, account, remember=False, who=who, client=client, amr="pwd"
        )
        await audit(
            deps, uow, site_code, account.id, AuditAction.SIGN_IN_SUCCEEDED, who, via="registration"
        )
        await uow.commit()
    return Verified(
        session_token=opened.token,
        account_id=account.id,
        expires_at=opened.expires_at,
        ends_at=opened.ends_at,
    )

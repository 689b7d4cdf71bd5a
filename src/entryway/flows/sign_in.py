"""Identifier-first sign-in.

```mermaid
stateDiagram-v2
    [*] --> identifier
    identifier --> password: any well-formed email or phone (same answer for all)
    password --> signed_in: right password, active account
    password --> verify_code: right password, account never verified (new code sent)
    password --> password: anything else (one generic failure + wrong-site hint)
```
"""

from __future__ import annotations

from dataclasses import dataclass

from entryway.core.events import AccountStatus, AuditAction, Channel, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.passwords import normalize_password, within_input_cap
from entryway.core.secrets import keyed_hash
from entryway.core.sessions import SessionLevel
from entryway.core.sites import Site
from entryway.core.throttle import FailureScope, window_start
from entryway.errors import SignInFailed
from entryway.flows import notices, registration
from entryway.flows.common import (
    audit,
    browser_hash,
    identifier_counter_key,
    open_session,
    send,
)
from entryway.flows.ports import Account, Deps, Requester, UnitOfWork

FAILED = "We couldn't sign you in with that email or mobile number and password."


@dataclass(frozen=True, slots=True)
class SignedIn:
    session_token: str
    account_id: str


@dataclass(frozen=True, slots=True)
class SecondStep:
    """The password was right; a partial session waits for the second step (SECURITY.md 21)."""

    partial_token: str


@dataclass(frozen=True, slots=True)
class MustVerify:
    """The password was right but the account was never verified: a new code went out."""

    flow_token: str


def check_identifier(deps: Deps, site_code: str, raw: str) -> Identifier:
    """The identifier step: checks only the format, never the database (SECURITY.md 1)."""
    return deps.identifiers.parse(raw, deps.site(site_code).phone_region)


async def sign_in(
    deps: Deps,
    site_code: str,
    *,
    identifier: str,
    password: str,
    remember: bool,
    who: Requester,
    client: str = "web",
    browser: str = "",
) -> SignedIn | SecondStep | MustVerify:
    """Check the password; raises SignInFailed with one message for every kind of failure.

    The hasher runs exactly once whether or not the account exists (SECURITY.md 3).
    """
    site = deps.site(site_code)
    ident = check_identifier(deps, site_code, identifier)
    if not within_input_cap(password):
        raise SignInFailed(FAILED)
    pw = normalize_password(password)
    account_key = identifier_counter_key(deps, ident.value)
    async with deps.uow() as uow:
        account, failures = await uow.accounts.find_for_sign_in(
            site_code, ident, account_key, window_start(deps.clock.now())
        )
    if account is None:
        await deps.hasher.verify_dummy(pw)
        ok = False
    else:
        ok = await deps.hasher.verify(account.password_hash, pw)
    if not ok or account is None:
        await _record_failure(deps, site, ident, account, who)
        raise SignInFailed(FAILED)
    rehashed = (
        await deps.hasher.hash(pw) if deps.hasher.needs_rehash(account.password_hash) else None
    )
    async with deps.uow() as uow:
        if account.status != AccountStatus.ACTIVE:
            token = await registration.resend_for_unverified(deps, uow, site, account, who)
            await uow.commit()
            deps.on_message()
            return MustVerify(flow_token=token)
        if rehashed:
            await uow.accounts.update(site_code, account.id, password_hash=rehashed)
        trusted = (
            account.two_step
            and 0 < len(browser) <= 100
            and await uow.two_step.is_remembered(
                site_code, account.id, browser_hash(deps, browser), deps.clock.now()
            )
        )
        if account.two_step and not trusted:  # no full session before the second step
            partial = await open_session(
                deps,
                uow,
                account,
                remember=False,
                who=who,
                client=client,
                level=SessionLevel.PARTIAL,
            )
            await audit(deps, uow, site_code, account.id, AuditAction.SECOND_STEP_PENDING, who)
            await uow.commit()
            return SecondStep(partial_token=partial)
        # A success clears its own account's count only, never the IP's (SECURITY.md 8);
        # most sign-ins have nothing to clear and skip the write.
        if failures:
            await uow.counters.reset(site_code, FailureScope.ACCOUNT, account_key)
        session = await open_session(deps, uow, account, remember=remember, who=who, client=client)
        await audit(
            deps,
            uow,
            site_code,
            account.id,
            AuditAction.SIGN_IN_SUCCEEDED,
            who,
            via=ident.kind.value,
            remember=remember,
            remembered_browser=trusted,
        )
        await uow.commit()
    return SignedIn(session_token=session, account_id=account.id)


def counter_keys(deps: Deps, ident: Identifier, who: Requester) -> dict[FailureScope, str]:
    """The keys one attempt is counted under; hashed so the table holds no addresses.

    The account key is the canonical identifier, so case and Unicode variants of one address
    share a counter whether or not an account exists (SECURITY.md 5).
    """
    keys = {FailureScope.ACCOUNT: identifier_counter_key(deps, ident.value)}
    if who.ip:
        keys[FailureScope.IP] = keyed_hash(deps.keys.hashing, "count-ip", who.ip)
    if who.device:
        keys[FailureScope.DEVICE] = keyed_hash(deps.keys.hashing, "count-device", who.device)
    return keys


async def _record_failure(
    deps: Deps, site: Site, ident: Identifier, account: Account | None, who: Requester
) -> None:
    window = window_start(deps.clock.now())
    async with deps.uow() as uow:
        for scope, key in counter_keys(deps, ident, who).items():
            await uow.counters.hit(site.code, scope, key, window)
        await audit(
            deps,
            uow,
            site.code,
            account.id if account else None,
            AuditAction.SIGN_IN_FAILED,
            who,
            via=ident.kind.value,
        )
        sent = False
        if account is None:
            sent = await _hint_other_sites(deps, uow, site, ident)
        await uow.commit()
    if sent:
        deps.on_message()


async def _hint_other_sites(deps: Deps, uow: UnitOfWork, site: Site, ident: Identifier) -> bool:
    """Tell the owner of this identifier on another site where their account is.

    At most one such message a day per address and site, enforced by the outbox's unique
    dedupe key (so parallel failures cannot send two).
    """
    sent = False
    day = deps.clock.now().date().isoformat()
    for other in deps.sites.others(site):
        home = await uow.accounts.find(other.code, ident)
        if home is None or home.status != AccountStatus.ACTIVE:
            continue
        if not (home.email_verified if ident.kind == IdentifierKind.EMAIL else home.phone_verified):
            continue
        subject, body = notices.wrong_site(site, other)
        key = keyed_hash(deps.keys.hashing, "wrong-site", f"{other.code}|{ident.value}|{day}")
        is_email = ident.kind == IdentifierKind.EMAIL
        sent |= await send(
            deps,
            uow,
            other,
            account_id=home.id,
            channel=Channel.EMAIL if is_email else Channel.SMS,
            kind=MessageKind.WRONG_SITE,
            to=(home.email if is_email else home.phone) or "",  # the stored address only
            subject=subject,
            body=body
            if is_email
            else f"Your {other.brand} account is on our {other.name} site: "
            f"sign in at {other.url('/signin')}.",
            dedupe_key=key,
        )
    return sent

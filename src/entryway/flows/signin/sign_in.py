"""Identifier-first sign-in.

```mermaid
stateDiagram-v2
    [*] --> identifier
    identifier --> password: any well-formed email or phone (same answer for all)
    password --> signed_in: right password, active account
    password --> confirm_code: right password from a new device after failures (code sent)
    password --> second_step: right password, two-step verification on
    password --> verify_code: right password, account never verified (new code sent)
    password --> password: locked or too soon after failures (refused before any hash)
    password --> password: anything else (one generic failure + wrong-site hint)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AccountStatus, AuditAction, Channel, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.lockout import LockReason, locks_now, over_budget, unusual_reason
from entryway.core.observe import SignInMethod, SignInOutcome
from entryway.core.passwords import normalize_password, within_input_cap
from entryway.core.secrets import keyed_hash
from entryway.core.sessions import SessionLevel
from entryway.core.sites import Site
from entryway.errors import AccountSuspended, SignInFailed, SignInLocked
from entryway.flows import words
from entryway.flows.account import closing, registration
from entryway.flows.common import audit, browser_hash, open_session, send
from entryway.flows.observe.counting import counts
from entryway.flows.ports import Account, Deps, Requester, UnitOfWork
from entryway.flows.recovery.pending import cancel_held, hold
from entryway.flows.signin import lockout, unfinished, unusual
from entryway.flows.trust import notice

FAILED = N_("We couldn't sign you in with that email or mobile number and password.")


@dataclass(frozen=True, slots=True)
class SignedIn:
    session_token: str
    account_id: str
    expires_at: datetime  # unless used before then
    ends_at: datetime  # however much it is used


@dataclass(frozen=True, slots=True)
class SecondStep:
    """The password was right; a partial session waits for the second step (SECURITY.md 21)."""

    partial_token: str
    expires_at: datetime


MustConfirm = unusual.MustConfirm


@dataclass(frozen=True, slots=True)
class MustVerify:
    """The password was right but the account was never verified: a new code went out."""

    flow_token: str


# How each answer of a password sign-in is counted for the metrics.
_OUTCOMES: dict[type, SignInOutcome] = {
    SignedIn: SignInOutcome.SUCCESS,
    SecondStep: SignInOutcome.SECOND_STEP,
    MustVerify: SignInOutcome.UNVERIFIED,
    MustConfirm: SignInOutcome.UNUSUAL,
}


def check_identifier(deps: Deps, site_code: str, raw: str) -> Identifier:
    """The identifier step: checks only the format, never the database (SECURITY.md 1)."""
    return deps.identifiers.parse(raw, deps.site(site_code).phone_region)


@counts(SignInMethod.PASSWORD, lambda result: _OUTCOMES[type(result)])
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
) -> SignedIn | SecondStep | MustVerify | MustConfirm:
    """Check the password; raises SignInFailed with one message for every kind of failure,
    or its SignInLocked / SignInThrottled forms, which are decided before any hash.

    The hasher runs exactly once whether or not the account exists (SECURITY.md 3), and
    never for a refused attempt (DESIGN.md performance rules). Each attempt is counted by
    its outcome for the metrics.
    """
    site = deps.site(site_code)
    ident = check_identifier(deps, site_code, identifier)
    if not within_input_cap(password):
        raise SignInFailed(FAILED)
    pw = normalize_password(password)
    device = lockout.known_device_hash(deps, who.device) if who.device else ""
    async with deps.uow() as uow:
        account, recognised = await uow.accounts.find_for_sign_in(
            site_code, ident, device, lockout.known_since(deps)
        )
        budget = lockout.budget_for(
            deps, site_code, who, account=account, ident=ident, recognised=recognised
        )
        reserved, before, reading = await lockout.reserve_or_refuse(
            deps, uow, budget, LockReason.PASSWORD_GUESSING, who
        )
    # Each address checks a few passwords at a time, so a flood from a few addresses waits
    # in its own line instead of ahead of everyone (recognised devices skip the line).
    failing = before.ip_failures > 0
    async with deps.hash_gate.slot("" if budget.recognised else budget.ip_key, failing=failing):
        if account is None:
            await deps.hasher.verify_dummy(pw)
            ok = False
        else:  # a returning device goes ahead of queued guesses
            ok = await deps.hasher.verify(account.password_hash, pw, urgent=budget.recognised)
    if not ok or account is None:
        if await _record_failure(deps, site, ident, budget, reserved, who):
            raise SignInLocked(lockout.LOCKED)
        raise SignInFailed(FAILED)
    rehashed = (
        await deps.hasher.hash(pw) if deps.hasher.needs_rehash(account.password_hash) else None
    )
    async with deps.uow() as uow:
        # A right password counts only if no lock fell while it was being checked: of a
        # burst of guesses, a right one inside it does not get through (SECURITY.md 7).
        locked, failures_now = await _after_check(deps, uow, budget)
        if locked:
            raise SignInLocked(lockout.LOCKED)
        # The account's live recovery row before any write (the order of every path that
        # ends a recovery), so a Create new password meeting this sign-in on PostgreSQL
        # waits for it, or is waited for, instead of deadlocking over counters, sessions
        # and the account row.
        recovery = await hold(uow, account)
        fresh = await _password_unchanged(uow, account)
        if fresh is None:
            raise SignInFailed(FAILED)
        account = fresh  # as it is now: a suspension may have committed during the hash
        closed = await closing.refuse_if_closed(deps, uow, account, who, via=ident.kind.value)
        if closed is not None:  # told only now, the password being right (SECURITY.md 36)
            await lockout.take_back(deps, uow, budget)
            await uow.commit()
            raise closed
        if account.status != AccountStatus.ACTIVE:
            await lockout.take_back(deps, uow, budget)
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
            await lockout.take_back(deps, uow, budget)
            opened = await open_session(
                deps,
                uow,
                account,
                remember=False,
                who=who,
                client=client,
                level=SessionLevel.PARTIAL,
            )
            await audit(deps, uow, site_code, account.id, AuditAction.SECOND_STEP_PENDING, who)
            await unfinished.expect(deps, uow, account, opened.token)  # told if never finished
            await uow.commit()
            return SecondStep(partial_token=opened.token, expires_at=opened.expires_at)
        # Counted from this attempt's own reservation too: a burst of guesses read together
        # must not hide the failures before a right password (SECURITY.md 7).
        failures_before = max(before.failures, reserved - 1, failures_now - 1)
        suspected = account.suspect_since is not None
        reason = unusual_reason(
            deps.lock_policy, failures_before, before.ip_failures, budget.recognised, suspected
        )
        if reason is not None:
            await lockout.take_back(deps, uow, budget)  # wrong codes are counted on their own
            started = await unusual.challenge(deps, uow, site, account, who, reason)
            await uow.commit()
            deps.on_message()
            return started
        # A success takes back its own count only, never the address's (SECURITY.md 8), and
        # ends a run of locks (the next lock starts again at one strike).
        await lockout.clear(deps, uow, budget)
        if reading.locked_until is not None:
            await uow.locks.forget_expired(site_code, budget.lock_key, deps.clock.now())
        view = await notice.refuse_sign_in(deps, uow, account, who)
        if view is not None:  # no session for a suspended account (counters settled above)
            await uow.commit()
            raise AccountSuspended(notice.SUSPENDED, notice_token=view)
        if device and not recognised:
            await uow.accounts.remember_device(site_code, account.id, device, deps.clock.now())
        new_device = not recognised  # as read with the account, before this sign-in
        # A password alone: a remembered browser skips the second step but is not a factor
        # used in this sign-in, so apps are not told otherwise (RFC 8176).
        session = await open_session(
            deps, uow, account, remember=remember, who=who, client=client, amr="pwd"
        )
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
            new_device=new_device,
        )
        # The owner is in: a recovery someone else asked for stops (SECURITY.md 34).
        stopped = await cancel_held(deps, uow, recovery, account, who)
        await uow.commit()
    if stopped:
        deps.on_message()
    return SignedIn(
        session_token=session.token,
        account_id=account.id,
        expires_at=session.expires_at,
        ends_at=session.ends_at,
    )


async def _password_unchanged(uow: UnitOfWork, account: Account) -> Account | None:
    """The account as it is now, if the password checked is still its own (else None): a
    reset or a finished recovery that committed while it was being hashed replaced it (and
    ended every session), so a session opened on the old one now would outlive that change."""
    fresh = await uow.accounts.get(account.site, account.id)
    return fresh if fresh is not None and fresh.password_hash == account.password_hash else None


async def _after_check(deps: Deps, uow: UnitOfWork, budget: lockout.Budget) -> tuple[bool, int]:
    """Whether a lock fell while the password was being checked, and the count now."""
    now_standing, _reading = await lockout.standing(deps, uow, budget)
    if now_standing.locked_until is not None and (
        now_standing.held or not budget.recognised  # our staff's lock binds every device
    ):
        return True, now_standing.failures
    locked = over_budget(deps.lock_policy, now_standing.failures, budget.recognised)
    return locked, now_standing.failures


async def _record_failure(
    deps: Deps,
    site: Site,
    ident: Identifier,
    budget: lockout.Budget,
    failures: int,
    who: Requester,
) -> bool:
    """The attempt was counted before the hash; here the address and device counts, the
    audit row, the wrong-site hint, and the lock when this failure reached the limit.
    True when the account is locked now (by this failure or a parallel one)."""
    account = budget.account
    async with deps.uow() as uow:
        # Row locks are always taken lock first, then counters (as lockout.lock does), so
        # two failures finishing at once on PostgreSQL cannot deadlock.
        sent = False
        locked = locks_now(deps.lock_policy, failures, budget.recognised)
        if locked:
            sent = await lockout.lock(deps, uow, budget, LockReason.PASSWORD_GUESSING, who)
        await lockout.count_beside(deps, uow, budget, device=True)
        await audit(
            deps,
            uow,
            site.code,
            account.id if account else None,
            AuditAction.SIGN_IN_FAILED,
            who,
            via=ident.kind.value,
            new_device=not budget.recognised,
        )
        if account is None:
            sent |= await _hint_other_sites(deps, uow, site, ident)
        if not locked:
            locked, _failures = await _after_check(deps, uow, budget)
        await uow.commit()
    if sent:
        deps.on_message()
    return locked


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
        # Written for the account's own site, in the account's language there.
        locale = words.reader_locale(other, home)
        mail = deps.messages.email("wrong_site", other, locale, asked=site)
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
            subject=mail.subject,
            body=mail.text
            if is_email
            else deps.messages.sms("wrong_site", other, locale, asked=site),
            html=mail.html,
            dedupe_key=key,
        )
    return sent

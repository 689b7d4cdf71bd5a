"""Counting failures, deciding before the hash, locking, and the lock notice with its
unlock link (SECURITY.md 5-10; the policy itself is ``core.lockout``).

Every path that checks a secret (sign-in, the second step, the unusual sign-in code,
password re-entry, changing the password) goes through ``refuses`` and ``count_failure``
here, so one lock holds on all of them (SECURITY.md 6).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from entryway.core.events import AccountStatus, AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier
from entryway.core.locales import N_
from entryway.core.lockout import (
    Decision,
    LockReason,
    Standing,
    Verdict,
    decide,
    locks_now,
    over_budget,
    sliding_count,
)
from entryway.core.passwords import normalize_password, within_input_cap
from entryway.core.secrets import keyed_hash
from entryway.core.throttle import ALL_SITES, FailureScope, window_start
from entryway.errors import PasswordRejected, SignInLocked, SignInThrottled
from entryway.flows import words
from entryway.flows.common import add_link, audit, identifier_counter_key, send
from entryway.flows.common import link_hash as link_hash  # where callers have looked it up
from entryway.flows.ports import (
    Account,
    Deps,
    Lock,
    Reading,
    Rendered,
    Requester,
    UnitOfWork,
)

LINK_LIFETIME = timedelta(hours=24)
FOREVER = timedelta(days=3650)  # "until the owner acts": a lock that no longer lifts by itself
LOCKED = N_(
    "This account is locked because of unusual activity, such as several failed attempts "
    "to sign in. We've sent instructions to unlock it to the email address on the account "
    "(or by text, if it has no email)."
)
WAIT = N_("Too many failed attempts. Please wait {seconds} seconds before trying again.")
WAIT_A_SECOND = N_("Too many failed attempts. Please wait 1 second before trying again.")
BUSY_NETWORK = N_(
    "We're seeing too many failed sign-ins from your network. Please try again later, or "
    "use Forgot your password? to get back in."
)


@dataclass(frozen=True, slots=True)
class Budget:
    """The keys one attempt is judged and counted under."""

    site: str
    scope: FailureScope  # ACCOUNT, or KNOWN_DEVICE for a recognised device
    key: str
    lock_key: str  # the account's lock (or, with no account, the identifier's)
    ip_key: str
    device_key: str
    account: Account | None
    recognised: bool


def account_key(deps: Deps, account_id: str) -> str:
    """An account's counter and lock key: one budget whichever identifier is typed."""
    return keyed_hash(deps.keys.hashing, "count-account", account_id)


def known_device_hash(deps: Deps, device: str) -> str:
    return keyed_hash(deps.keys.hashing, "known-device", device)


def budget_for(
    deps: Deps,
    site: str,
    who: Requester,
    *,
    account: Account | None,
    ident: Identifier | None = None,
    recognised: bool = False,
) -> Budget:
    """Unknown identifiers are counted and locked under the canonical identifier, exactly
    like accounts, so a lock notice never tells whether an account exists."""
    if account is not None:
        lock_key = account_key(deps, account.id)
    elif ident is not None:
        lock_key = identifier_counter_key(deps, ident.value)
    else:
        raise ValueError("a budget needs an account or an identifier")
    recognised = recognised and account is not None and bool(who.device)
    key = lock_key
    if recognised and account is not None:
        key = keyed_hash(deps.keys.hashing, "count-known", f"{account.id}|{who.device}")
    return Budget(
        site=site,
        scope=FailureScope.KNOWN_DEVICE if recognised else FailureScope.ACCOUNT,
        key=key,
        lock_key=lock_key,
        ip_key=_address_key(deps, who.ip),
        device_key=keyed_hash(deps.keys.hashing, "count-device", who.device) if who.device else "",
        account=account,
        recognised=recognised,
    )


def _windows(deps: Deps) -> tuple[datetime, datetime, datetime]:
    window = deps.lock_policy.window
    now = deps.clock.now()
    current = window_start(now, window)
    return now, current, current - window


async def standing(deps: Deps, uow: UnitOfWork, budget: Budget) -> tuple[Standing, Reading]:
    """Everything the decision needs, in one read."""
    now, current, previous = _windows(deps)
    reading = await uow.counters.reading(
        budget.site,
        scope=budget.scope,
        key=budget.key,
        lock_key=budget.lock_key,
        ip_key=budget.ip_key,
        window=current,
        previous=previous,
    )
    window = deps.lock_policy.window
    live = reading.locked_until if reading.locked_until and reading.locked_until > now else None
    held = live is not None and reading.lock_reason == LockReason.OPERATOR.value
    return (
        Standing(
            failures=sliding_count(reading.current, reading.previous, now, current, window),
            last_failure_at=reading.last_at,
            locked_until=live,
            recognised=budget.recognised,
            ip_failures=sliding_count(
                reading.ip_current, reading.ip_previous, now, current, window
            ),
            held=held,
        ),
        reading,
    )


async def judge(deps: Deps, uow: UnitOfWork, budget: Budget) -> tuple[Decision, Standing, Reading]:
    state, reading = await standing(deps, uow, budget)
    return decide(deps.lock_policy, state, deps.clock.now()), state, reading


def refusal(decision: Decision) -> SignInLocked | SignInThrottled:
    """The one answer for each refusal; none depends on the password or on the account."""
    if decision.verdict == Verdict.WAIT:
        seconds = decision.wait_seconds
        if seconds == 1:
            return SignInThrottled(WAIT_A_SECOND, retry_after=seconds)
        return SignInThrottled(WAIT, retry_after=seconds, params={"seconds": seconds})
    if decision.verdict == Verdict.BUSY_NETWORK:
        return SignInThrottled(BUSY_NETWORK, retry_after=600)
    return SignInLocked(LOCKED)


async def reserve(deps: Deps, uow: UnitOfWork, budget: Budget, reading: Reading) -> int:
    """Count this attempt *before* the hash, atomically; returns the sliding count with it.

    Parallel attempts each get a different count, so past the limit they are refused
    without hashing however many arrive at once (SECURITY.md 7). A right password takes its
    count back when it signs in.
    """
    now, current, _previous = _windows(deps)
    # No time is recorded here: the progressive delay runs from failures, not from tries
    # still being checked (several right passwords at once must not make each other wait).
    hits = await uow.counters.hit(budget.site, budget.scope, budget.key, current)
    return sliding_count(hits, reading.previous, now, current, deps.lock_policy.window)


async def locked_since_read(deps: Deps, uow: UnitOfWork, budget: Budget) -> bool:
    """Whether a lock was taken between the read and this attempt's reservation (another
    server may have locked the account and cleared its count in between). Such an attempt
    is refused and hands its reservation back: attempts during a lock never extend it. A
    recognised device is not asked: only our staff's lock applies to it, and sign-in reads
    the lock again after the hash (``sign_in._after_check``)."""
    if budget.recognised or uow.serialized:  # serialized: nothing can have changed
        return False
    found = await uow.locks.get(budget.site, budget.lock_key)
    if found is None or found.until <= deps.clock.now():
        return False
    await take_back(deps, uow, budget)
    return True


async def count_beside(deps: Deps, uow: UnitOfWork, budget: Budget, *, device: bool) -> None:
    """The address's count (across every site) and, for a checked password, the device
    cookie's and the time of this failure: a success never resets the address's or the
    device's, only its own budget (SECURITY.md 8)."""
    # Rows are always locked in one order (lock, budget, address, device), so failures
    # finishing together on PostgreSQL cannot deadlock.
    now, current, _previous = _windows(deps)
    if device:
        await uow.counters.touch(budget.site, budget.scope, budget.key, current, now)
    if budget.ip_key:
        await uow.counters.hit(ALL_SITES, FailureScope.IP, budget.ip_key, current, now)
    if device and budget.device_key:
        await uow.counters.hit(budget.site, FailureScope.DEVICE, budget.device_key, current, now)


def _address_key(deps: Deps, ip: str) -> str:
    return keyed_hash(deps.keys.hashing, "count-ip", ip) if ip else ""


async def refuse_busy_address(deps: Deps, who: Requester) -> None:
    """Before a check no account is known for yet (a usernameless passkey): an address past
    ``ip_refuse_at`` failures is refused outright, as sign-in refuses it (SECURITY.md 5)."""
    key = _address_key(deps, who.ip)
    if not key:
        return
    now, current, previous = _windows(deps)
    async with deps.uow() as uow:
        this = await uow.counters.count(ALL_SITES, FailureScope.IP, key, current)
        before = await uow.counters.count(ALL_SITES, FailureScope.IP, key, previous)
    if sliding_count(this, before, now, current, deps.lock_policy.window) >= (
        deps.lock_policy.ip_refuse_at
    ):
        raise refusal(Decision(Verdict.BUSY_NETWORK))


async def address_failed(deps: Deps, who: Requester) -> None:
    """A failure that proves nothing of any account (an unknown passkey, one its key did not
    sign): it counts on the client's address only, across every site."""
    key = _address_key(deps, who.ip)
    if not key:
        return
    now, current, _previous = _windows(deps)
    async with deps.uow() as uow:
        await uow.counters.hit(ALL_SITES, FailureScope.IP, key, current, now)
        await uow.commit()


async def take_back(deps: Deps, uow: UnitOfWork, budget: Budget) -> None:
    """A right password that still has a step to pass (the second step, or verifying a new
    account) returns only its own reservation: failures before it still count, so signing
    in again and again never buys fresh tries at the second step."""
    _now, current, _previous = _windows(deps)
    await uow.counters.take_back(budget.site, budget.scope, budget.key, current)


async def clear(deps: Deps, uow: UnitOfWork, budget: Budget) -> None:
    """A success takes back its own budget's count, never the address's."""
    await uow.counters.reset(budget.site, budget.scope, budget.key)


async def lock(
    deps: Deps,
    uow: UnitOfWork,
    budget: Budget,
    reason: LockReason,
    who: Requester,
) -> bool:
    """Lock (unless a live lock holds already: then nothing changes, SECURITY.md 10); the
    owner gets an unlock link by email, or by text with no email on file. True if new.
    A lock by our staff is another thing (flows/trust/locking): no link lifts it."""
    if reason is LockReason.OPERATOR:
        raise ValueError("a lock by our staff is taken with flows.trust.locking.lock_account")
    now = deps.clock.now()
    account = budget.account
    policy = deps.lock_policy
    acquired = await uow.locks.acquire(
        Lock(
            site=budget.site,
            key_hash=budget.lock_key,
            account_id=account.id if account else None,
            reason=reason,
            locked_at=now,
            until=now + policy.lock_for,
        ),
        now,
        max_strikes=policy.max_strikes,
        forever=now + FOREVER,
    )
    if not acquired:
        return False
    uow.on_commit(functools.partial(deps.metrics.lock_opened, reason.value))
    # The lock now holds the state: when it lifts, the account starts with a clean count.
    await uow.counters.reset(budget.site, FailureScope.ACCOUNT, budget.lock_key)
    if account is None:
        return True
    if reason == LockReason.CODE_GUESSING:  # wrong codes after a right password
        await suspect(deps, uow, account)
    await audit(deps, uow, budget.site, account.id, AuditAction.ACCOUNT_LOCKED, who, reason=reason)
    # A closed account locks alike (the answer must not differ), but gets no link: nothing
    # may open it again but Customer Service (flows/account/closing.py).
    if account.status == AccountStatus.ACTIVE:
        await send_unlock_link(deps, uow, account, reason)
    return True


async def send_unlock_link(
    deps: Deps, uow: UnitOfWork, account: Account, reason: LockReason
) -> str | None:
    """A new unlock link (older ones void) to the email on file, else by text to the phone
    on file: the lock notice, and an agent's resend of it on a support case. Returns where
    it went (None: no verified contact). Never for a lock by our staff: it would not lift it."""
    if reason is LockReason.OPERATOR:
        raise ValueError("no unlock link lifts a lock by our staff")
    site = deps.site(account.site)
    await uow.links.void_for(site.code, account.id, FlowPurpose.UNLOCK)  # newer voids older
    token = await add_link(
        deps, uow, site.code, account.id, FlowPurpose.UNLOCK, reason.value, LINK_LIFETIME
    )
    url = site.url("/unlock?token=" + token)  # the configured origin, never the request's
    locale = words.reader_locale(site, account)
    if account.email and account.email_verified:
        mail = deps.messages.email(
            "account_locked", site, locale, link=url, new_password=reason.needs_new_password
        )
        channel, to = Channel.EMAIL, account.email
    elif account.phone and account.phone_verified:
        text = deps.messages.sms("account_locked", site, locale, link=url)
        mail = Rendered(subject="", text=text, html="")
        channel, to = Channel.SMS, account.phone
    else:
        return None
    await send(
        deps,
        uow,
        site,
        account_id=account.id,
        channel=channel,
        kind=MessageKind.ACCOUNT_LOCKED,
        to=to,
        subject=mail.subject,
        body=mail.text,
        html=mail.html,
    )
    return to


async def note_device(deps: Deps, uow: UnitOfWork, account: Account, who: Requester) -> bool:
    """Recognise the requester's device on ``account`` from now on; True when it was not
    recognised before this sign-in (or sent no device cookie): a sign-in from a new device,
    which the security webhooks report."""
    if not who.device:
        return True
    device = known_device_hash(deps, who.device)
    known = await uow.accounts.knows_device(account.site, account.id, device, known_since(deps))
    await uow.accounts.remember_device(account.site, account.id, device, deps.clock.now())
    return not known


def known_since(deps: Deps) -> datetime:
    """Devices that proved the password before this are no longer recognised."""
    return deps.clock.now() - deps.lock_policy.known_device_for


async def budget_of_signed_in(
    deps: Deps, uow: UnitOfWork, account: Account, who: Requester
) -> Budget:
    recognised = bool(who.device) and await uow.accounts.knows_device(
        account.site, account.id, known_device_hash(deps, who.device), known_since(deps)
    )
    return budget_for(deps, account.site, who, account=account, recognised=recognised)


@dataclass(frozen=True, slots=True)
class Admitted:
    """An attempt at a secret that was judged and counted before the check."""

    budget: Budget
    reserved: int


async def admit(
    deps: Deps, account: Account, who: Requester, reason: LockReason, *, delay: bool = False
) -> Admitted:
    """Judge and count one attempt at a secret *before* checking it, in a transaction of its
    own, so parallel attempts on any number of servers each see their own count: the second
    step, the unusual sign-in code, password re-entry and password changes all go through
    here, and one lock holds on all of them (SECURITY.md 6, 7, 19). Raises SignInLocked (or,
    with ``delay``, SignInThrottled when the progressive delay has not passed)."""
    refuse = {Verdict.LOCKED, Verdict.WAIT} if delay else {Verdict.LOCKED}
    async with deps.uow() as uow:
        budget = await budget_of_signed_in(deps, uow, account, who)
        reserved, _before, _reading = await reserve_or_refuse(
            deps, uow, budget, reason, who, refuse=frozenset(refuse)
        )
    return Admitted(budget=budget, reserved=reserved)


EVERY_REFUSAL = frozenset({Verdict.LOCKED, Verdict.WAIT, Verdict.BUSY_NETWORK})


async def reserve_or_refuse(
    deps: Deps,
    uow: UnitOfWork,
    budget: Budget,
    reason: LockReason,
    who: Requester,
    *,
    refuse: frozenset[Verdict] = EVERY_REFUSAL,
) -> tuple[int, Standing, Reading]:
    """Judge the attempt, then count it before its check, and commit; returns the count with
    it and what was read. A refusal (any verdict in ``refuse``) counts on the address only and
    raises; a count past the limit locks, after committing the count itself, so a right
    password being checked elsewhere sees it at once (SECURITY.md 7)."""
    decision, before, reading = await judge(deps, uow, budget)
    if decision.verdict in refuse:
        await count_beside(deps, uow, budget, device=False)
        await uow.commit()
        raise refusal(decision)
    reserved = await reserve(deps, uow, budget, reading)
    if over_budget(deps.lock_policy, reserved, budget.recognised):
        await uow.commit()
        fresh = await lock(deps, uow, budget, reason, who)
        await uow.commit()
        if fresh:
            deps.on_message()
        raise SignInLocked(LOCKED)
    if await locked_since_read(deps, uow, budget):
        await uow.commit()
        raise SignInLocked(LOCKED)
    await uow.commit()
    return reserved, before, reading


async def failed(
    deps: Deps, uow: UnitOfWork, admitted: Admitted, reason: LockReason, who: Requester
) -> bool:
    """The secret was wrong: its reservation stays as the failure. Counts the address and
    device too, and locks when this failure reached the limit (true then)."""
    locked = locks_now(deps.lock_policy, admitted.reserved, admitted.budget.recognised)
    if locked:  # the lock row first, then counters: the one order every path keeps
        await lock(deps, uow, admitted.budget, reason, who)
    await count_beside(deps, uow, admitted.budget, device=True)
    return locked


async def check_password(
    deps: Deps, account: Account, password: str, who: Requester, *, field: str, wrong: str
) -> str:
    """Password re-entry and password changes: judged and counted like a sign-in before the
    hash, so a stolen session cannot be used to guess the password (SECURITY.md 6). Returns
    the normalized password; raises PasswordRejected (``wrong``, or the lock notice)."""
    try:
        admitted = await admit(deps, account, who, LockReason.PASSWORD_GUESSING, delay=True)
    except (SignInLocked, SignInThrottled) as exc:
        raise PasswordRejected([exc.sentence()], field=field) from None
    typed = normalize_password(password) if within_input_cap(password) else ""
    if not typed or not await deps.hasher.verify(account.password_hash, typed):
        async with deps.uow() as uow:
            locked = await failed(deps, uow, admitted, LockReason.PASSWORD_GUESSING, who)
            await audit(
                deps, uow, account.site, account.id, AuditAction.REAUTHENTICATION_FAILED, who
            )
            await uow.commit()
        if locked:
            deps.on_message()
            raise PasswordRejected([LOCKED], field=field)
        raise PasswordRejected([wrong], field=field)
    async with deps.uow() as uow:
        await take_back(deps, uow, admitted.budget)
        await uow.commit()
    return typed


async def suspect(deps: Deps, uow: UnitOfWork, account: Account) -> None:
    """Someone may know the password: new devices need a code until the owner proves
    otherwise (a code, the second step) or the password changes."""
    if account.suspect_since is None:
        await uow.accounts.update(account.site, account.id, suspect_since=deps.clock.now())


async def trust_again(deps: Deps, uow: UnitOfWork, account: Account) -> None:
    if account.suspect_since is not None:
        await uow.accounts.update(account.site, account.id, suspect_since=None)


async def new_password(deps: Deps, uow: UnitOfWork, account: Account, who: Requester) -> None:
    """After a new password: devices must prove it again, suspicion ends, and any unlock link
    stops working; a reset or a finished unlock also lifts the locks (see unlock_account)."""
    await uow.accounts.forget_devices(account.site, account.id)
    await uow.links.void_for(account.site, account.id, FlowPurpose.UNLOCK)
    await trust_again(deps, uow, account)


async def unlock_account(
    deps: Deps,
    uow: UnitOfWork,
    account: Account,
    who: Requester,
    *,
    operator: bool = False,
    **detail: str,
) -> None:
    """Lift the account's locks and clear its count (a reset, a finished unlock or
    recovery, an agent on a case). A lock by our staff stays unless ``operator`` (trust
    staff lifting it, flows/trust/locking): nothing the customer does lifts it."""
    released = await uow.locks.release_account(account.site, account.id, operator=operator)
    await uow.counters.reset(account.site, FailureScope.ACCOUNT, account_key(deps, account.id))
    if released:  # ``detail``: who lifted it, when staff did (flows/trust/locking)
        await audit(
            deps, uow, account.site, account.id, AuditAction.ACCOUNT_UNLOCKED, who, **detail
        )

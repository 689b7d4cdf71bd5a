"""Staff sign-in: Email, Password, then Enter OTP, always (SECURITY.md 30).

```mermaid
stateDiagram-v2
    [*] --> password: any well-formed email (the same answer for all)
    password --> otp: right password, active member (partial session, 10 minutes)
    password --> password: wrong, unknown, invited or disabled (one generic failure)
    otp --> console: right code, unused step (full session, fresh id)
    otp --> otp: wrong code (counted with wrong passwords)
    password --> locked: too many failures (refused before any hash)
    password --> password: too many failures from this address, any email (refused, no hash)
    otp --> locked: too many failures
    locked --> password: an admin lifts the lock, or entryway staff reset
```

Failures are counted and judged with the customers' policy (``core.lockout``), per typed
email and per client address across emails (refused past ``ip_refuse_at``), before any
hash. Unlike a customer's, a staff lock sends no link and never lifts by
itself: someone is guessing at an account that reaches every customer of its sites, so a
person looks before it opens again.
"""

from __future__ import annotations

from datetime import datetime

from entryway.core import totp
from entryway.core.lockout import Decision, Standing, Verdict, decide, sliding_count
from entryway.core.passwords import normalize_password, within_input_cap
from entryway.core.staff import StaffAction, StaffLevel, StaffStatus
from entryway.core.throttle import window_start
from entryway.errors import CodeRejected, InvalidInput, SignInFailed, SignInLocked, SignInThrottled
from entryway.flows.ports import Deps, Requester, UnitOfWork
from entryway.flows.staff.common import (
    address_key,
    audit,
    failure_key,
    open_session,
    staff_email,
)
from entryway.flows.staff.records import StaffLock
from entryway.flows.staff.session import session_of

FAILED = "We couldn't sign you in with that email and password."
WRONG_CODE = "That code isn't right. Check your authenticator app and try again."
LOCKED = (
    "This console account is locked after too many failed attempts. "
    "Ask a console admin to unlock it."
)
WAIT = "Too many failed attempts. Please wait {seconds} seconds before trying again."
BUSY_NETWORK = (
    "We're seeing too many failed sign-ins from your network. Please try again later, or "
    "ask a console admin for help."
)


def _windows(deps: Deps) -> tuple[datetime, datetime, datetime]:
    now = deps.clock.now()
    current = window_start(now, deps.lock_policy.window)
    return now, current, current - deps.lock_policy.window


def current_window(deps: Deps) -> datetime:
    """The start of the failure-count window now."""
    return _windows(deps)[1]


def _refusal(decision: Decision) -> SignInLocked | SignInThrottled:
    """The one answer for each refusal; none depends on the password or on the email."""
    if decision.verdict == Verdict.WAIT:
        return SignInThrottled(
            WAIT.format(seconds=decision.wait_seconds), retry_after=decision.wait_seconds
        )
    if decision.verdict == Verdict.BUSY_NETWORK:
        return SignInThrottled(BUSY_NETWORK, retry_after=600)
    return SignInLocked(LOCKED)


async def admit(deps: Deps, uow: UnitOfWork, key: str, address: str = "") -> None:
    """Refuse a locked, too-early or too-busy attempt (no hash), else count it, on the email
    and on the client ``address``, before the check, so parallel guesses each see their own
    count and no more than the limits get checked. A refusal still counts on the address:
    spraying locked emails must not be free (SECURITY.md 5, 7)."""
    now, current, previous = _windows(deps)
    policy = deps.lock_policy
    read = await uow.staff.failures(key, current, previous)
    nearby = await uow.staff.failures(address, current, previous) if address else None
    standing = Standing(
        failures=sliding_count(read.current, read.previous, now, current, policy.window),
        last_failure_at=read.last_at,
        locked_until=None,
        recognised=False,
        ip_failures=(
            sliding_count(nearby.current, nearby.previous, now, current, policy.window)
            if nearby
            else 0
        ),
    )
    if await uow.staff.lock_of(key) is not None:
        decision = Decision(Verdict.LOCKED)
    else:
        decision = decide(policy, standing, now)
    if decision.verdict != Verdict.GO:
        if address:
            await uow.staff.hit(address, current)
            await uow.commit()
        raise _refusal(decision)
    # The email's row before the address's, on every path, so parallel attempts on
    # PostgreSQL always take row locks in one order and cannot deadlock.
    counted = await uow.staff.hit(key, current)
    if sliding_count(counted, read.previous, now, current, policy.window) > policy.lock_at:
        raise SignInLocked(LOCKED)
    if nearby is not None:
        near = await uow.staff.hit(address, current)
        if sliding_count(near, nearby.previous, now, current, policy.window) > policy.ip_refuse_at:
            raise _refusal(Decision(Verdict.BUSY_NETWORK))


async def failed(
    deps: Deps,
    key: str,
    staff_id: str | None,
    action: StaffAction,
    who: Requester,
    *,
    address: str = "",
    **detail: str,
) -> bool:
    """Audit a failure (already counted on the email) and lock at the limit; true when
    locked now. ``address`` is counted here, for a check it was not counted on before;
    ``detail`` goes into the audit row (``via="passkey"``)."""
    now, current, previous = _windows(deps)
    async with deps.uow() as uow:
        await uow.staff.failed_at(key, current, now)
        if address:
            await uow.staff.hit(address, current)
        read = await uow.staff.failures(key, current, previous)
        count = sliding_count(read.current, read.previous, now, current, deps.lock_policy.window)
        await audit(deps, uow, action, actor_id=None, target_id=staff_id, who=who, **detail)
        locked = count >= deps.lock_policy.lock_at
        if locked and await uow.staff.lock(
            StaffLock(key_hash=key, staff_id=staff_id, locked_at=now, reason="guessing")
        ):
            await audit(deps, uow, StaffAction.LOCKED, actor_id=None, target_id=staff_id, who=who)
            if staff_id:
                await uow.staff.end_sessions(staff_id)
        await uow.commit()
    return locked


async def sign_in(deps: Deps, *, email: str, password: str, who: Requester) -> str:
    """Email and Password: a partial session that can only give the OTP. One generic
    failure for every reason; unknown emails pay one dummy hash (SECURITY.md 1-3)."""
    try:
        canonical = staff_email(deps, email)
    except InvalidInput:
        raise SignInFailed(FAILED) from None
    if not within_input_cap(password):
        raise SignInFailed(FAILED)
    pw = normalize_password(password)
    key = failure_key(deps, canonical)
    address = address_key(deps, who.ip)
    async with deps.uow() as uow:
        await admit(deps, uow, key, address)
        member = await uow.staff.find(canonical)
        await uow.commit()
    usable = (
        member is not None
        and member.status == StaffStatus.ACTIVE
        and member.password_hash is not None
        and member.totp_confirmed_at is not None
    )
    if member is not None and member.password_hash is not None:
        ok = await deps.hasher.verify(member.password_hash, pw)
    else:
        await deps.hasher.verify_dummy(pw)
        ok = False
    staff_id = member.id if member else None
    if not (ok and usable) or member is None:
        if await failed(deps, key, staff_id, StaffAction.SIGN_IN_FAILED, who):
            raise SignInLocked(LOCKED)
        raise SignInFailed(FAILED)
    async with deps.uow() as uow:
        # A lock that fell while the password was being checked holds (SECURITY.md 7).
        if await uow.staff.lock_of(key) is not None:
            raise SignInLocked(LOCKED)
        # The right password gives back its own count, on the email and on the address,
        # never more: failures before it still count (SECURITY.md 8). The OTP counts apart.
        current = _windows(deps)[1]
        await uow.staff.take_back(key, current)
        if address:
            await uow.staff.take_back(address, current)
        opened = await open_session(deps, uow, member.id, StaffLevel.PARTIAL, who)
        await uow.commit()
    return opened.token


async def second_step(deps: Deps, partial: str | None, code: str, who: Requester) -> str:
    """Enter OTP: a right code from an unused step opens the console session (new id);
    wrong codes count toward the same lock as wrong passwords (SECURITY.md 19)."""
    session, member = await session_of(deps, partial, StaffLevel.PARTIAL)
    key = failure_key(deps, member.email)
    if member.status != StaffStatus.ACTIVE or not member.totp_sealed:
        raise SignInFailed(FAILED)
    now = deps.clock.now()
    async with deps.uow() as uow:
        await admit(deps, uow, key)
        await uow.commit()
    step = totp.matching_step(deps.sealer.unseal(member.totp_sealed), code, now)
    async with deps.uow() as uow:
        fresh = step is not None and await uow.staff.use_step(member.id, step, now)
        if fresh:
            await uow.staff.clear_failures(key)
            await uow.staff.end_session(session.id_hash)
            opened = await open_session(deps, uow, member.id, StaffLevel.FULL, who)
            await audit(
                deps, uow, StaffAction.SIGNED_IN, actor_id=member.id, target_id=member.id, who=who
            )
            await uow.commit()
            return opened.token
    address = address_key(deps, who.ip)
    if await failed(deps, key, member.id, StaffAction.OTP_FAILED, who, address=address):
        raise SignInLocked(LOCKED)
    raise CodeRejected(WRONG_CODE, field="code")


async def is_locked(deps: Deps, email: str) -> bool:
    async with deps.uow() as uow:
        return await uow.staff.lock_of(failure_key(deps, email)) is not None

"""Sign in with a passkey: a user-verified assertion is a whole sign-in (something held, and
the key's check of who holds it), so it needs neither the second step nor the
unusual-sign-in code.

It is judged like every other secret of a known account: the attempt is counted before the
check and taken back after a success, a failed one counts toward the account's lock, and a
locked account is refused, whatever locked it (SECURITY.md 6, 7). A suspended account gets
its notice, no session. The owner signing in stops a recovery someone else asked for."""

from __future__ import annotations

from entryway.core.events import AccountStatus, AuditAction
from entryway.core.lockout import LockReason
from entryway.errors import AccountSuspended, InvalidInput
from entryway.flows.common import audit, open_session
from entryway.flows.passkeys import ceremonies
from entryway.flows.passkeys.ceremonies import NOT_CHECKED
from entryway.flows.passkeys.records import Ceremony
from entryway.flows.ports import Deps, Requester
from entryway.flows.recovery.pending import cancel_held, hold
from entryway.flows.signin import lockout
from entryway.flows.signin.sign_in import SignedIn
from entryway.flows.trust import notice

AMR = "hwk user"  # a key held, and the key verified its holder (RFC 8176)


async def sign_in(
    deps: Deps,
    site_code: str,
    *,
    token: str,
    credential: str,
    remember: bool,
    who: Requester,
    client: str = "web",
) -> SignedIn:
    """A session for the passkey's account; InvalidInput when the assertion fails,
    SignInLocked when the account is locked, AccountSuspended with its notice."""
    site = deps.site(site_code)
    found = ceremonies.parse_credential(credential)
    challenge = await ceremonies.take(deps, site.code, token, Ceremony.SIGN_IN)
    async with deps.uow() as uow:
        passkey = await uow.passkeys.get(site.code, found["id"])
        account = await uow.accounts.get(site.code, passkey.account_id) if passkey else None
    if passkey is None or account is None:
        raise InvalidInput(NOT_CHECKED, field="credential")  # no passkey of this site
    # Failed assertions the passkey signed count toward the account's lock like any wrong
    # secret of a known account (SECURITY.md 6), a lock that keeps the password; unsigned
    # ones only on the address.
    admitted = await lockout.admit(deps, account, who, LockReason.PASSKEY_FAILURES)
    try:
        count = await ceremonies.check_assertion(deps, site, challenge, passkey, found, who)
    except ceremonies.Unsigned:
        # Not signed by the passkey: its credential id alone proves nothing of the owner's,
        # so it counts against the address only, never toward the account's lock.
        async with deps.uow() as uow:
            await lockout.take_back(deps, uow, admitted.budget)
            await lockout.count_beside(deps, uow, admitted.budget, device=False)
            await uow.commit()
        raise
    except InvalidInput:
        async with deps.uow() as uow:
            if await lockout.failed(deps, uow, admitted, LockReason.PASSKEY_FAILURES, who):
                deps.on_message()
            await audit(
                deps, uow, site.code, account.id, AuditAction.SIGN_IN_FAILED, who, via="passkey"
            )
            await uow.commit()
        raise
    now = deps.clock.now()
    async with deps.uow() as uow:
        # The live recovery's row first, the order of every path that ends a recovery.
        recovery = await hold(uow, account)
        fresh = await uow.accounts.get(site.code, account.id)
        used = await uow.passkeys.used(
            site.code, passkey.credential_id, passkey.sign_count, count, now
        )
        if not used or fresh is None or fresh.status != AccountStatus.ACTIVE:
            raise InvalidInput(NOT_CHECKED, field="credential")  # raced, removed, unverified
        await lockout.clear(deps, uow, admitted.budget)
        await lockout.trust_again(deps, uow, fresh)
        view = await notice.refuse_sign_in(deps, uow, fresh, who)
        if view is not None:
            await uow.commit()
            raise AccountSuspended(notice.SUSPENDED, notice_token=view)
        if who.device:
            await uow.accounts.remember_device(
                site.code, fresh.id, lockout.known_device_hash(deps, who.device), now
            )
        session = await open_session(
            deps, uow, fresh, remember=remember, who=who, client=client, amr=AMR
        )
        await audit(
            deps, uow, site.code, fresh.id, AuditAction.SIGN_IN_SUCCEEDED, who, via="passkey",
            remember=remember, passkey=passkey.name,
        )  # fmt: skip
        stopped = await cancel_held(deps, uow, recovery, fresh, who)
        await uow.commit()
    if stopped:
        deps.on_message()
    return SignedIn(
        session_token=session.token,
        account_id=fresh.id,
        expires_at=session.expires_at,
        ends_at=session.ends_at,
    )

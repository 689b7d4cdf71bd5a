"""Sign in with a passkey: a user-verified assertion is a whole sign-in (something held, and
the key's check of who holds it), so it needs neither the second step nor the
unusual-sign-in code.

The assertion is judged first, before anything is counted toward its account: one its key
did not sign for this challenge proves nothing of the account (a credential id is no
secret, an old assertion can be replayed), so it counts on the address only and answers
like an unknown passkey, never with a lock notice. One the key signed here comes from
whoever holds the passkey: its failure counts toward the account's lock, and a locked
account is refused even a right one, whatever locked it (SECURITY.md 6, 7). A suspended
account gets its notice, no session. The owner signing in stops a recovery someone else
asked for."""

from __future__ import annotations

from entryway.core.events import AccountStatus, AuditAction
from entryway.core.lockout import LockReason
from entryway.core.observe import SignInMethod
from entryway.core.passkeys import site_party
from entryway.core.sites import Site
from entryway.errors import AccountSuspended, InvalidInput, SignInLocked
from entryway.flows.account import closing
from entryway.flows.common import audit, open_session
from entryway.flows.observe.counting import counts
from entryway.flows.passkeys import assertions, ceremonies
from entryway.flows.passkeys.ceremonies import NOT_CHECKED
from entryway.flows.passkeys.records import Ceremony, Passkey
from entryway.flows.ports import Account, Deps, Requester
from entryway.flows.recovery.pending import cancel_held, hold
from entryway.flows.signin import lockout
from entryway.flows.signin.sign_in import SignedIn
from entryway.flows.trust import notice

AMR = "hwk user"  # a key held, and the key verified its holder (RFC 8176)


@counts(SignInMethod.PASSKEY)
async def sign_in(
    deps: Deps,
    site_code: str,
    *,
    token: str,
    credential: str,
    remember: bool,
    who: Requester,
    client: str = "web",
    binding: str = "",
) -> SignedIn:
    """A session for the passkey's account; InvalidInput when the assertion fails,
    SignInLocked when the account is locked, AccountSuspended with its notice. Each attempt
    is counted by its outcome for the metrics."""
    site = deps.site(site_code)
    found = ceremonies.parse_credential(credential)
    await lockout.refuse_busy_address(deps, who)
    challenge = await ceremonies.take(deps, site.code, token, Ceremony.SIGN_IN, binding)
    async with deps.uow() as uow:
        passkey = await uow.passkeys.get(site.code, found["id"])
        account = await uow.accounts.get(site.code, passkey.account_id) if passkey else None
    if passkey is None or account is None:
        await lockout.address_failed(deps, who)  # no passkey of this site
        raise InvalidInput(NOT_CHECKED, field="credential")
    # Judged before anything is counted toward the account: an assertion its key did not
    # sign for this challenge (a credential id is no secret; an old assertion may be
    # replayed) counts on the address only, and tells nothing of the account, not even a
    # lock. One the key signed here came from whoever holds the passkey: its failure counts
    # toward the account's lock like any wrong secret of a known account (SECURITY.md 6).
    try:
        count, cloned = assertions.verify_assertion(
            deps, site_party(site), challenge, passkey, found
        )
    except assertions.Unsigned:
        await lockout.address_failed(deps, who)
        raise
    except InvalidInput:
        admitted = await lockout.admit(deps, account, who, LockReason.PASSKEY_FAILURES)
        async with deps.uow() as uow:
            if await lockout.failed(deps, uow, admitted, LockReason.PASSKEY_FAILURES, who):
                deps.on_message()
            await audit(
                deps, uow, site.code, account.id, AuditAction.SIGN_IN_FAILED, who, via="passkey",
                new_device=not admitted.budget.recognised,
            )  # fmt: skip
            await uow.commit()
        raise
    if cloned:
        await assertions.turn_off_copied(deps, site, passkey, count, who)
        raise InvalidInput(NOT_CHECKED, field="credential")
    # A locked account is refused even its owner's passkey (SECURITY.md 7).
    admitted = await lockout.admit(deps, account, who, LockReason.PASSKEY_FAILURES)
    try:
        return await _signed_in(
            deps, site, account, passkey, count, admitted, remember, who, client
        )
    except assertions.Copied as copied:
        await assertions.turn_off_copied(deps, site, copied.passkey, copied.presented, who)
        raise InvalidInput(NOT_CHECKED, field="credential") from None


async def _signed_in(
    deps: Deps,
    site: Site,
    account: Account,
    passkey: Passkey,
    count: int,
    admitted: lockout.Admitted,
    remember: bool,
    who: Requester,
    client: str,
) -> SignedIn:
    now = deps.clock.now()
    async with deps.uow() as uow:
        # A lock that fell since the attempt was admitted holds (SECURITY.md 7), our staff's
        # on every device.
        standing, _reading = await lockout.standing(deps, uow, admitted.budget)
        if standing.locked_until is not None and (standing.held or not admitted.budget.recognised):
            raise SignInLocked(lockout.LOCKED)
        # The live recovery's row first, the order of every path that ends a recovery.
        recovery = await hold(uow, account)
        fresh = await uow.accounts.get(site.code, account.id)
        closed = (
            await closing.refuse_if_closed(deps, uow, fresh, who, via="passkey") if fresh else None
        )
        if closed is not None:  # the passkey was right: told now, not before
            await lockout.clear(deps, uow, admitted.budget)
            await uow.commit()
            raise closed
        if fresh is None or fresh.status != AccountStatus.ACTIVE:
            raise InvalidInput(NOT_CHECKED, field="credential")  # removed, unverified
        await assertions.record_use(uow, passkey, count, now)
        await lockout.clear(deps, uow, admitted.budget)
        await lockout.trust_again(deps, uow, fresh)
        view = await notice.refuse_sign_in(deps, uow, fresh, who)
        if view is not None:
            await uow.commit()
            raise AccountSuspended(notice.SUSPENDED, notice_token=view)
        new_device = await lockout.note_device(deps, uow, fresh, who)
        session = await open_session(
            deps, uow, fresh, remember=remember, who=who, client=client, amr=AMR
        )
        await audit(
            deps, uow, site.code, fresh.id, AuditAction.SIGN_IN_SUCCEEDED, who, via="passkey",
            remember=remember, passkey=passkey.name, new_device=new_device,
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

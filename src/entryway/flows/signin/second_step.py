"""The second step of sign-in: an app code, a code by text or call, or a backup code.

```mermaid
stateDiagram-v2
    [*] --> partial: right password, 2SV on, browser not remembered
    partial --> signed_in: right code (new session id)
    partial --> partial: wrong code (counted toward the account's lock)
    partial --> [*]: cancelled, or ten minutes passed (the owner is told, see unfinished)
    partial --> case_opened: Contact Customer Service
```
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Literal

from entryway.core import backup_codes as codes_rule
from entryway.core import totp
from entryway.core.events import AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.locales import N_
from entryway.core.lockout import LockReason
from entryway.core.masking import mask
from entryway.core.observe import SignInMethod
from entryway.core.secrets import keyed_hash, new_token
from entryway.core.sessions import SessionLevel, is_live
from entryway.errors import (
    AccountSuspended,
    CodeRejected,
    FlowExpired,
    InvalidInput,
    SignInLocked,
    Unauthenticated,
)
from entryway.flows import codes as codes_flow
from entryway.flows import words
from entryway.flows.account.two_step import REMEMBER_BROWSER, backup_hash
from entryway.flows.common import (
    audit,
    browser_hash,
    open_session,
    reset_by_phone_lately,
    send,
    session_hash,
    start_code_flow,
)
from entryway.flows.observe.counting import counts
from entryway.flows.outbox.letters import phone_code
from entryway.flows.ports import (
    Account,
    Deps,
    Recovery,
    RememberedBrowser,
    Requester,
    Session,
    UnitOfWork,
)
from entryway.flows.recovery.pending import cancel_held, hold
from entryway.flows.signin import lockout, unfinished
from entryway.flows.trust import notice

WRONG = {
    "app": N_("That code isn't right. Check your authenticator app and try again."),
    "phone": N_("That code isn't right. Check the latest text or call and try again."),
    "backup": N_("That backup code isn't right, or it was used already."),
}


@dataclass(frozen=True, slots=True)
class Passed:
    session_token: str
    account_id: str
    expires_at: datetime  # the new session's deadlines
    ends_at: datetime
    backup_codes_left: int | None = None  # set when a backup code was used
    browser_token: str | None = None  # set when the browser is to be remembered
    stopped_recovery: bool = False  # the owner's sign-in ended a recovery (a message went)


@dataclass(frozen=True, slots=True)
class Pending:
    """A partial session: the password was right, the second step is still to come."""

    session: Session
    account: Account


async def pending(deps: Deps, site_code: str, token: str | None) -> Pending:
    """The partial session behind ``token``, or Unauthenticated (it lives ten minutes)."""
    if not token or len(token) > 100:
        raise Unauthenticated("Please sign in.")
    async with deps.uow() as uow:
        session = await uow.sessions.get(site_code, session_hash(deps, token))
        if (
            session is None
            or session.level != SessionLevel.PARTIAL
            or not is_live(deps.clock.now(), session.idle_deadline, session.absolute_deadline)
        ):
            raise Unauthenticated("Please sign in.")
        account = await uow.accounts.get(site_code, session.account_id)
    if account is None:
        raise Unauthenticated("Please sign in.")
    return Pending(session=session, account=account)


Method = Literal["app", "phone", "backup"]
METHODS: tuple[Method, ...] = ("app", "phone", "backup")


@counts(SignInMethod.SECOND_STEP)
async def pass_second_step(
    deps: Deps,
    site_code: str,
    token: str | None,
    code: str,
    *,
    method: Method,
    remember: bool,
    who: Requester,
    client: str = "web",
    remember_browser: bool = False,
) -> Passed:
    """Finish sign-in with a code from any confirmed app (each TOTP step accepted once per
    account, RFC 6238 §5.2, SECURITY.md 18), the code last texted or read out to a 2SV phone,
    or a backup code (single use by conditional write, SECURITY.md 20). Counted for the
    metrics as a second step."""
    me = await pending(deps, site_code, token)
    now = deps.clock.now()
    account = me.account
    admitted = await admit(deps, me, who)  # before any code is checked
    async with deps.uow() as uow:
        # The live recovery's row before the code is used or anything else written (the
        # order of every path that ends a recovery): a Create new password racing this
        # step waits for it, or has ended the factors and sessions this step needs.
        recovery = await hold(uow, account)
        ok = False
        amr = "pwd otp"  # an app's code or a backup code: something held (RFC 8176)
        if method == "app":
            for factor in await uow.two_step.factors(site_code, account.id):
                if factor.kind != "totp" or factor.confirmed_at is None:
                    continue
                step = totp.matching_step(deps.sealer.unseal(factor.secret_sealed), code, now)
                if step is not None:
                    ok = await uow.two_step.use_step(site_code, account.id, step, now)
                    break
        elif method == "phone":
            channel = await _phone_code_ok(deps, uow, site_code, token, account, code)
            ok = channel is not None
            amr = "pwd tel" if channel == Channel.VOICE else "pwd sms"
        else:
            canonical = codes_rule.normalize_backup_code(code)
            ok = bool(canonical) and await uow.two_step.use_backup_code(
                site_code, account.id, backup_hash(deps, account.id, canonical), now
            )
        if not ok:
            await count_wrong(deps, uow, account, who, admitted)
            await uow.commit()
            raise CodeRejected(WRONG[method], field="code")
        passed = await complete(
            deps, uow, me, admitted, recovery, amr=amr, via=method, remember=remember,
            who=who, client=client, remember_browser=remember_browser,
        )  # fmt: skip
        if method == "backup":
            left = await uow.two_step.backup_codes_left(site_code, account.id)
            await audit(
                deps, uow, site_code, account.id, AuditAction.BACKUP_CODE_USED, who, left=left
            )
            passed = replace(passed, backup_codes_left=left)
        await uow.commit()
    if passed.stopped_recovery:
        deps.on_message()
    return passed


async def admit(deps: Deps, me: Pending, who: Requester) -> lockout.Admitted:
    """Count a second-step attempt before anything of it is checked, so parallel guesses
    stop at the account's limit; a locked account's refusal is worded for the code field."""
    try:
        return await lockout.admit(deps, me.account, who, LockReason.CODE_GUESSING)
    except SignInLocked as exc:
        raise CodeRejected(exc.template, field="code", params=exc.params) from None


async def complete(
    deps: Deps,
    uow: UnitOfWork,
    me: Pending,
    admitted: lockout.Admitted,
    recovery: Recovery | None,
    *,
    amr: str,
    via: str,
    remember: bool,
    who: Requester,
    client: str,
    remember_browser: bool,
) -> Passed:
    """The second step passed (whichever method): the partial session becomes a full one,
    in ``uow`` (the caller commits). AccountSuspended, committed, when the account is
    suspended; Unauthenticated when a parallel submission spent the partial session."""
    site_code, account, now = me.account.site, me.account, deps.clock.now()
    # The partial session is spent by a conditional delete: of parallel submissions on
    # one partial session, one gets a session and the others roll back what they spent.
    if not await uow.sessions.delete(site_code, me.session.id_hash):
        raise Unauthenticated("Please sign in.")
    await unfinished.passed(deps, uow, me.session)  # finished: no "unfinished" notice
    # The sign-in is complete only now: it takes back its own count.
    await lockout.clear(deps, uow, admitted.budget)
    await lockout.trust_again(deps, uow, account)
    # Suspended: the partial session is spent (deleted above) and no full one opens.
    view = await notice.refuse_sign_in(deps, uow, account, who)
    if view is not None:
        await uow.commit()
        raise AccountSuspended(notice.SUSPENDED, notice_token=view)
    new_device = await lockout.note_device(deps, uow, account, who)
    full = await open_session(
        deps, uow, account, remember=remember, who=who, client=client,
        auth_at=me.session.auth_at, amr=amr,
    )  # fmt: skip
    await audit(
        deps, uow, site_code, account.id, AuditAction.SIGN_IN_SUCCEEDED, who, via=via,
        new_device=new_device,
    )  # fmt: skip
    browser = None
    # "Don't require OTP on this browser" ("Don't ask for a code" with a backup code)
    if remember_browser:
        browser = new_token(deps.rng)
        await uow.two_step.remember(
            RememberedBrowser(
                token_hash=browser_hash(deps, browser),
                public_id=new_token(deps.rng, 16),
                site=site_code,
                account_id=account.id,
                user_agent=who.user_agent[:300],
                created_at=now,
                expires_at=now + REMEMBER_BROWSER,
            )
        )
    stopped = await cancel_held(deps, uow, recovery, account, who)  # the owner is in
    return Passed(
        session_token=full.token,
        account_id=account.id,
        browser_token=browser,
        expires_at=full.expires_at,
        ends_at=full.ends_at,
        stopped_recovery=stopped,
    )


async def count_wrong(
    deps: Deps, uow: UnitOfWork, account: Account, who: Requester, admitted: lockout.Admitted
) -> None:
    """Wrong second-step codes count toward the account's lock, across challenges
    (SECURITY.md 19), are audited, and make new devices need a code until the second step
    passes. The owner is told only if it never does (``unfinished``, SECURITY.md 29): a
    mistyped code followed by the right one is no news."""
    if await lockout.failed(deps, uow, admitted, LockReason.CODE_GUESSING, who):
        deps.on_message()
    await audit(deps, uow, account.site, account.id, AuditAction.SECOND_STEP_FAILED, who)
    await lockout.suspect(deps, uow, account)


async def sign_out_pending(deps: Deps, site_code: str, token: str | None) -> None:
    """Leave the second step: the partial session ends, and the owner is told now that a
    right password did not finish signing in."""
    if not token or len(token) > 100:
        return
    async with deps.uow() as uow:
        session = await uow.sessions.get(site_code, session_hash(deps, token))
        if session is None or session.level != SessionLevel.PARTIAL:
            return
        if await uow.sessions.delete(site_code, session.id_hash):
            await unfinished.cancelled(deps, uow, session)
        await uow.commit()
    deps.on_message()


def _challenge_token(deps: Deps, partial_token: str) -> str:
    """The challenge's code flow is keyed by the partial session: no second secret to carry."""
    return keyed_hash(deps.keys.hashing, "two-step-flow", partial_token)


@dataclass(frozen=True, slots=True)
class PhoneMethod:
    factor_id: str
    masked: str


@dataclass(frozen=True, slots=True)
class Options:
    """What the customer may use at the second step (shown masked)."""

    app: bool
    phones: list[PhoneMethod]
    backup: bool
    preferred: str  # "app", "backup" or a phone factor id
    passkeys: bool = False  # the account has a passkey (offered where the browser can)


async def options(deps: Deps, site_code: str, token: str | None) -> Options:
    me = await pending(deps, site_code, token)
    async with deps.uow() as uow:
        factors = [
            f
            for f in await uow.two_step.factors(site_code, me.account.id)
            if f.confirmed_at is not None
        ]
        left = await uow.two_step.backup_codes_left(site_code, me.account.id)
        passkeys = bool(await uow.passkeys.for_account(site_code, me.account.id))
        usable = [
            f
            for f in factors
            if f.kind != "phone" or not await reset_by_phone_lately(deps, uow, site_code, f.phone)
        ]
    phones = [PhoneMethod(f.id, mask("phone", f.phone)) for f in usable if f.kind == "phone"]
    app = any(f.kind == "totp" for f in factors)
    preferred = me.account.preferred_factor or ""
    if preferred not in {p.factor_id for p in phones}:
        preferred = "app" if app else (phones[0].factor_id if phones else "backup")
    return Options(app=app, phones=phones, backup=left > 0, preferred=preferred, passkeys=passkeys)


async def send_phone_code(
    deps: Deps, site_code: str, token: str | None, factor_id: str, channel: str, who: Requester
) -> str:
    """Text or call a code to one of the account's 2SV phones (within the send quotas)."""
    if channel not in (Channel.SMS, Channel.VOICE):
        raise InvalidInput("Choose a text message or a voice call.", field="channel")
    me = await pending(deps, site_code, token)
    site = deps.site(site_code)
    async with deps.uow() as uow:
        phone = next(
            (
                f
                for f in await uow.two_step.factors(site_code, me.account.id)
                if f.id == factor_id and f.kind == "phone" and f.confirmed_at
            ),
            None,
        )
        if phone is None or await reset_by_phone_lately(deps, uow, site_code, phone.phone):
            raise InvalidInput("Choose one of your phones.", field="channel")
        _, code = await start_code_flow(
            deps,
            uow,
            site=site_code,
            purpose=FlowPurpose.TWO_STEP_SIGN_IN,
            account_id=me.account.id,
            target_kind="phone",
            target=phone.phone,
            who=who,
            token=_challenge_token(deps, token or ""),
            channel=channel,  # kept for the session's amr: a text (sms) or a call (tel)
        )
        locale = words.reader_locale(site, me.account, who)
        await send(
            deps,
            uow,
            site,
            account_id=me.account.id,
            channel=Channel(channel),
            kind=MessageKind.TWO_STEP_CODE,
            to=phone.phone,
            subject="",
            body=phone_code(deps, site, locale, code, channel),
        )
        await uow.commit()
    deps.on_message()
    return mask("phone", phone.phone)


async def _phone_code_ok(
    deps: Deps, uow: UnitOfWork, site_code: str, token: str | None, account: Account, code: str
) -> str | None:
    """The channel the right code went by (sms, voice; "" for a flow from before channels
    were kept), or None for a wrong code."""
    try:
        state = await codes_flow.check_and_consume(
            deps,
            uow,
            site_code,
            _challenge_token(deps, token or ""),
            FlowPurpose.TWO_STEP_SIGN_IN,
            code,
            account_id=account.id,
        )
    except (CodeRejected, FlowExpired):
        return None
    return state.channel


# Named shorthands, one per method.
pass_with_app = partial(pass_second_step, method="app")
pass_with_phone = partial(pass_second_step, method="phone")
pass_with_backup_code = partial(pass_second_step, method="backup")

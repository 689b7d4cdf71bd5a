"""Two-step verification: settings (authenticator apps, backup codes) and the challenge.

```mermaid
stateDiagram-v2
    [*] --> off
    off --> on: an authenticator app confirmed by a code (backup codes issued)
    on --> on: add or remove an app, new backup codes
    on --> off: the last method removed, or turned off
```

Changes need a password given in the last ten minutes (``recent``) and a verified email;
each is audited and notified (SECURITY.md 22, 23).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from entryway.core import backup_codes as codes_rule
from entryway.core import totp
from entryway.core.events import AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.core.secrets import keyed_hash, new_token
from entryway.errors import (
    CodeRejected,
    FlowExpired,
    Forbidden,
    InvalidInput,
    NotFound,
)
from entryway.flows import codes as codes_flow
from entryway.flows import words
from entryway.flows.account.account import Current
from entryway.flows.common import (
    audit,
    browser_hash,
    notify_all,
    send,
    start_code_flow,
)
from entryway.flows.outbox.letters import phone_code
from entryway.flows.ports import (
    Account,
    Deps,
    RememberedBrowser,
    Requester,
    SecondFactor,
    UnitOfWork,
)
from entryway.flows.signin import lockout

RECENT = timedelta(minutes=10)
REMEMBER_BROWSER = timedelta(days=30)
MAX_APPS = 5
APP = "Authenticator app"  # the name of a first app; the next ones are numbered
FEW_BACKUP_CODES = 3


@dataclass(frozen=True, slots=True)
class Overview:
    enabled: bool
    methods: list[SecondFactor]  # confirmed apps and phones
    backup_codes_left: int
    preferred: str | None


@dataclass(frozen=True, slots=True)
class AppEnrolment:
    factor_id: str
    key: str  # grouped base32, for typing
    uri: str  # otpauth:// for the QR code


async def forget_browsers(deps: Deps, uow: UnitOfWork, account: Account) -> None:
    """Every remembered browser must pass the second step again (after any 2SV change, a
    password change or a reset)."""
    await uow.two_step.forget(account.site, account.id)


async def is_remembered(deps: Deps, uow: UnitOfWork, account: Account, token: str) -> bool:
    """Whether this browser may skip the second step for this account."""
    if not token or len(token) > 100:
        return False
    return await uow.two_step.is_remembered(
        account.site, account.id, browser_hash(deps, token), deps.clock.now()
    )


async def remembered(deps: Deps, me: Current) -> list[RememberedBrowser]:
    async with deps.uow() as uow:
        return await uow.two_step.browsers(me.account.site, me.account.id, deps.clock.now())


async def forget_browser(deps: Deps, me: Current, public_id: str | None, who: Requester) -> None:
    """Forget one remembered browser, or all of them."""
    async with deps.uow() as uow:
        await uow.two_step.forget(me.account.site, me.account.id, public_id)
        await audit(
            deps,
            uow,
            me.account.site,
            me.account.id,
            AuditAction.BROWSERS_FORGOTTEN,
            who,
            all=public_id is None,
        )
        await uow.commit()


def backup_hash(deps: Deps, account_id: str, canonical: str) -> str:
    return keyed_hash(deps.keys.hashing, "backup:" + account_id, canonical)


def require_recent(deps: Deps, me: Current) -> None:
    """2SV changes need a password given in this session within the last ten minutes."""
    auth_at = me.session.auth_at or me.session.created_at
    if deps.clock.now() - auth_at > RECENT:
        raise Forbidden("For your security, enter your password again to continue.")


async def reauthenticate(deps: Deps, me: Current, password: str, who: Requester) -> None:
    """Confirm the password within a signed-in session (for sensitive changes).

    Wrong passwords count toward the account's limit like wrong sign-ins, so a stolen
    session cannot be used to guess the password (SECURITY.md 6)."""
    await lockout.check_password(
        deps, me.account, password, who, field="password", wrong=N_("Your password is incorrect.")
    )
    async with deps.uow() as uow:
        await uow.sessions.reauthenticated(me.account.site, me.session.id_hash, deps.clock.now())
        await audit(deps, uow, me.account.site, me.account.id, AuditAction.REAUTHENTICATED, who)
        await uow.commit()


async def overview(deps: Deps, me: Current) -> Overview:
    site, account_id = me.account.site, me.account.id
    async with deps.uow() as uow:
        factors = await uow.two_step.factors(site, account_id)
        left = await uow.two_step.backup_codes_left(site, account_id)
    return Overview(
        enabled=me.account.two_step,
        methods=[f for f in factors if f.confirmed_at is not None],
        backup_codes_left=left,
        preferred=me.account.preferred_factor,
    )


def app_number(label: str) -> int:
    """The number in an app's name (app_label): 0 for the first, unnumbered one."""
    _, _, number = label.removeprefix(APP).partition(" ")
    return int(number) if number.isdigit() else 0


def app_label(taken: list[str]) -> str:
    """The name of a new app: "Authenticator app" while that is free, then the lowest
    "Authenticator app N" (from 2) not in use.

    Only confirmed methods are passed in: a set-up left unfinished never took a name. The
    first app has no number, as a lone "app 1" reads as if another one were missing."""
    first = APP
    if first not in taken:
        return first
    n = 2
    while f"{first} {n}" in taken:
        n += 1
    return f"{first} {n}"


async def start_app(deps: Deps, me: Current) -> AppEnrolment:
    """A new authenticator key (160 bits), kept sealed until a code from the app confirms it."""
    require_recent(deps, me)
    if not (me.account.email and me.account.email_verified):
        raise InvalidInput(
            "Add and verify an email address before turning on two-step verification.",
            field="email",
        )
    site = deps.site(me.account.site)
    secret = totp.new_secret(deps.rng)
    factor_id = new_token(deps.rng, 16)
    async with deps.uow() as uow:
        existing = await uow.two_step.factors(site.code, me.account.id)
        if sum(f.confirmed_at is not None for f in existing) >= MAX_APPS:
            raise InvalidInput(
                "You can add up to {limit} authenticator apps.", params={"limit": MAX_APPS}
            )
        await uow.two_step.delete_unconfirmed(site.code, me.account.id)
        await uow.two_step.add_factor(
            SecondFactor(
                id=factor_id,
                site=site.code,
                account_id=me.account.id,
                kind="totp",
                label=app_label([f.label for f in existing if f.confirmed_at is not None]),
                secret_sealed=deps.sealer.seal(secret),
                phone="",
                created_at=deps.clock.now(),
            )
        )
        await uow.commit()
    label = me.account.email or me.account.phone or me.account.name
    return AppEnrolment(
        factor_id=factor_id,
        key=totp.grouped_key(totp.base32_key(secret)),
        uri=totp.provisioning_uri(secret, account=label, issuer=f"{site.brand} {site.name}"),
    )


async def confirm_app(
    deps: Deps, me: Current, factor_id: str, code: str, who: Requester
) -> list[str] | None:
    """Confirm a new app with a code from it; turning 2SV on returns the first backup codes
    (shown once). Enrolment codes are spent, so they never also pass a sign-in (SECURITY.md
    23)."""
    require_recent(deps, me)
    site = deps.site(me.account.site)
    now = deps.clock.now()
    async with deps.uow() as uow:
        factor = next(
            (
                f
                for f in await uow.two_step.factors(site.code, me.account.id)
                if f.id == factor_id and f.confirmed_at is None
            ),
            None,
        )
        if factor is None:
            raise FlowExpired("This step has expired. Please start again.")
        step = totp.matching_step(deps.sealer.unseal(factor.secret_sealed), code, now)
        if step is None or not await uow.two_step.use_step(site.code, me.account.id, step, now):
            raise CodeRejected("That code isn't right. Check the app and try again.", field="code")
        await uow.two_step.confirm_factor(site.code, me.account.id, factor_id, now)
        fresh: list[str] | None = None
        change: dict[str, Any] = {"change": "app_added", "app_number": app_number(factor.label)}
        if not me.account.two_step:
            fresh = await _new_codes(deps, uow, me.account)
            await uow.accounts.update(
                site.code, me.account.id, two_step=True, preferred_factor=factor_id
            )
            await audit(deps, uow, site.code, me.account.id, AuditAction.TWO_STEP_ON, who)
            change = {"change": "app_on"}
        await audit(deps, uow, site.code, me.account.id, AuditAction.FACTOR_ADDED, who, kind="totp")
        await forget_browsers(deps, uow, me.account)
        await _notify(deps, uow, me.account, who, **change)
        await uow.commit()
    deps.on_message()
    return fresh


async def _new_codes(deps: Deps, uow: UnitOfWork, account: Account) -> list[str]:
    fresh = codes_rule.new_backup_codes(deps.rng)
    hashes = [backup_hash(deps, account.id, codes_rule.normalize_backup_code(c)) for c in fresh]
    await uow.two_step.replace_backup_codes(account.site, account.id, hashes, deps.clock.now())
    return fresh


async def new_backup_codes(deps: Deps, me: Current, who: Requester) -> list[str]:
    """A fresh set of ten; the old set stops working at once."""
    require_recent(deps, me)
    if not me.account.two_step:
        raise InvalidInput("Turn on two-step verification first.")
    async with deps.uow() as uow:
        fresh = await _new_codes(deps, uow, me.account)
        await forget_browsers(deps, uow, me.account)
        await audit(deps, uow, me.account.site, me.account.id, AuditAction.BACKUP_CODES_NEW, who)
        await _notify(deps, uow, me.account, who, change="backup_codes")
        await uow.commit()
    deps.on_message()
    return fresh


async def remove_app(deps: Deps, me: Current, factor_id: str, who: Requester) -> None:
    """Remove one app; removing the last method turns 2SV off (codes and all)."""
    require_recent(deps, me)
    site = me.account.site
    async with deps.uow() as uow:
        if not await uow.two_step.delete_factor(site, me.account.id, factor_id):
            raise NotFound("That method was already removed.")
        if not me.account.two_step:  # an enrolment never finished: nothing was on
            await uow.commit()
            return
        left = [
            f for f in await uow.two_step.factors(site, me.account.id) if f.confirmed_at is not None
        ]
        await audit(deps, uow, site, me.account.id, AuditAction.FACTOR_REMOVED, who)
        await forget_browsers(deps, uow, me.account)
        if left:
            await uow.accounts.update(site, me.account.id, preferred_factor=left[0].id)
            await _notify(deps, uow, me.account, who, change="method_removed")
        else:
            await _turn_off(deps, uow, me, who)
        await uow.commit()
    deps.on_message()


async def turn_off(deps: Deps, me: Current, who: Requester) -> None:
    require_recent(deps, me)
    async with deps.uow() as uow:
        await _turn_off(deps, uow, me, who)
        await uow.commit()
    deps.on_message()


async def _turn_off(deps: Deps, uow: UnitOfWork, me: Current, who: Requester) -> None:
    await uow.two_step.clear(me.account.site, me.account.id)
    await forget_browsers(deps, uow, me.account)
    await uow.accounts.update(me.account.site, me.account.id, two_step=False, preferred_factor=None)
    await audit(deps, uow, me.account.site, me.account.id, AuditAction.TWO_STEP_OFF, who)
    await _notify(deps, uow, me.account, who, change="off")


async def _notify(
    deps: Deps, uow: UnitOfWork, account: Account, who: Requester, **change: Any
) -> None:
    """Every 2SV change is told by email, and by text to each phone that is a 2SV method
    (another channel than the one a thief may hold, SECURITY.md 22). ``change``: the values
    of messages/two_step_changed (change, and app_number or phone where it names one)."""
    site = deps.site(account.site)
    values = {"app_number": 0, "phone": "", **change}
    locale = words.reader_locale(site, account, who)
    mail = deps.messages.email("two_step_changed", site, locale, **values)
    sms = deps.messages.sms("two_step_changed", site, locale, **values)
    await notify_all(
        deps,
        uow,
        site,
        account,
        MessageKind.TWO_STEP_CHANGED,
        mail.subject,
        mail.text,
        sms,
        html=mail.html,
    )
    told = {account.phone} if account.phone_verified else set()
    for factor in await uow.two_step.factors(account.site, account.id):
        if factor.kind == "phone" and factor.confirmed_at and factor.phone not in told:
            told.add(factor.phone)
            await send(
                deps,
                uow,
                site,
                account_id=account.id,
                channel=Channel.SMS,
                kind=MessageKind.TWO_STEP_CHANGED,
                to=factor.phone,
                subject="",
                body=sms,
            )


# --- phones ---


async def start_phone(
    deps: Deps, me: Current, raw: str, channel: str, who: Requester
) -> tuple[str, str]:
    """Add a phone as a second step: a code to it first (returns flow token, masked)."""
    require_recent(deps, me)
    if not (me.account.email and me.account.email_verified):
        raise InvalidInput(
            "Add and verify an email address before turning on two-step verification.",
            field="identifier",
        )
    if channel not in (Channel.SMS, Channel.VOICE):
        raise InvalidInput("Choose a text message or a voice call.", field="channel")
    site = deps.site(me.account.site)
    ident = deps.identifiers.parse(raw, site.phone_region)
    if ident.kind != IdentifierKind.PHONE:
        raise InvalidInput("Enter a mobile phone number.", field="identifier")
    async with deps.uow() as uow:
        token, code = await start_code_flow(
            deps,
            uow,
            site=site.code,
            purpose=FlowPurpose.TWO_STEP_PHONE,
            account_id=me.account.id,
            target_kind="phone",
            target=ident.value,
            who=who,
        )
        await send(
            deps,
            uow,
            site,
            account_id=None,
            channel=Channel(channel),
            kind=MessageKind.TWO_STEP_CODE,
            to=ident.value,
            subject="",
            body=phone_code(deps, site, words.reader_locale(site, me.account, who), code, channel),
        )
        await uow.commit()
    deps.on_message()
    return token, mask("phone", ident.value)


async def confirm_phone(
    deps: Deps, me: Current, flow_token: str, code: str, who: Requester
) -> list[str] | None:
    """The code proves the phone; turning 2SV on returns the first backup codes."""
    require_recent(deps, me)
    site = deps.site(me.account.site)
    now = deps.clock.now()
    async with deps.uow() as uow:
        state = await codes_flow.check_and_consume(
            deps,
            uow,
            site.code,
            flow_token,
            FlowPurpose.TWO_STEP_PHONE,
            code,
            account_id=me.account.id,
        )
        factor_id = new_token(deps.rng, 16)
        await uow.two_step.add_factor(
            SecondFactor(
                id=factor_id,
                site=site.code,
                account_id=me.account.id,
                kind="phone",
                label="Phone " + mask("phone", state.target),
                secret_sealed="",
                phone=state.target,
                created_at=now,
                confirmed_at=now,
            )
        )
        fresh: list[str] | None = None
        change = "phone_added"
        if not me.account.two_step:
            fresh = await _new_codes(deps, uow, me.account)
            await uow.accounts.update(
                site.code, me.account.id, two_step=True, preferred_factor=factor_id
            )
            await audit(deps, uow, site.code, me.account.id, AuditAction.TWO_STEP_ON, who)
            change = "phone_on"
        await audit(
            deps, uow, site.code, me.account.id, AuditAction.FACTOR_ADDED, who, kind="phone"
        )
        await forget_browsers(deps, uow, me.account)
        await _notify(deps, uow, me.account, who, change=change, phone=mask("phone", state.target))
        await uow.commit()
    deps.on_message()
    return fresh


async def set_preferred(deps: Deps, me: Current, factor_id: str, who: Requester) -> None:
    """Which method the challenge offers first."""
    require_recent(deps, me)
    async with deps.uow() as uow:
        ids = {
            f.id
            for f in await uow.two_step.factors(me.account.site, me.account.id)
            if f.confirmed_at is not None
        }
        if factor_id not in ids:
            raise NotFound("That method was removed.")
        await uow.accounts.update(me.account.site, me.account.id, preferred_factor=factor_id)
        await audit(deps, uow, me.account.site, me.account.id, AuditAction.PREFERRED_CHANGED, who)
        await uow.commit()

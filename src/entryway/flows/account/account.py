"""Login & security: the signed-in customer's own details, sessions, activity and messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AccountStatus, AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.core.outbox import REDACTED, kept_parts
from entryway.core.sessions import SessionLevel, is_live
from entryway.errors import (
    Conflict,
    FlowExpired,
    InvalidInput,
    NotFound,
    PasswordRejected,
    Unauthenticated,
)
from entryway.flows import codes, words
from entryway.flows.account.registration import check_new_password, clean_name
from entryway.flows.apps.ending import end_apps
from entryway.flows.common import (
    audit,
    session_hash,
    start_code_flow,
)
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import (
    Account,
    AuditEntry,
    Deps,
    Message,
    Requester,
    Session,
    UnitOfWork,
)
from entryway.flows.recovery import hold
from entryway.flows.signin import lockout
from entryway.flows.trust.state import marked


@dataclass(frozen=True, slots=True)
class Current:
    """The signed-in session and its account."""

    session: Session
    account: Account


@dataclass(frozen=True, slots=True)
class ContactChangeStarted:
    flow_token: str
    sent_to: str  # masked


@dataclass(frozen=True, slots=True)
class Overview:
    account: Account
    sessions: list[Session]
    activity: list[AuditEntry]


async def current(deps: Deps, site_code: str, token: str | None) -> Current:
    """Resolve a session token on this site, or raise Unauthenticated (one indexed lookup)."""
    if not token or len(token) > 100:
        raise Unauthenticated("Please sign in.")
    now = deps.clock.now()
    id_hash = session_hash(deps, token)
    async with deps.reader() as read:  # one statement: no transaction, no write lock
        found = await read.sessions.with_account(site_code, id_hash)
    if found is None:
        raise Unauthenticated("Please sign in.")
    session, account = found
    if not is_live(now, session.idle_deadline, session.absolute_deadline):
        raise Unauthenticated("Please sign in.")
    if session.level != SessionLevel.FULL:  # its holder knows it is half-way already
        raise Unauthenticated("Finish two-step verification first.")
    if account.status != AccountStatus.ACTIVE or marked(account, now):
        # A suspension ended every session; one that slipped in beside it is refused.
        raise Unauthenticated("Please sign in.")
    policy = deps.session_policy
    if policy.needs_touch(now, session.idle_deadline, remember=session.remember):
        # Now and then (SessionPolicy.touch_every), in a transaction of its own; a session
        # ended in between stays ended (the update finds no row).
        idle = policy.next_idle(now, session.absolute_deadline, remember=session.remember)
        async with deps.uow() as uow:
            await uow.sessions.touch(site_code, id_hash, now, idle)
            await uow.commit()
    return Current(session=session, account=account)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What an app may know of its own token: how far it got and until when it lives."""

    level: SessionLevel
    account_id: str | None  # only for a full session
    expires_at: datetime  # unless used before then (idle deadline)
    ends_at: datetime  # however much it is used (absolute deadline)


async def describe_session(deps: Deps, site_code: str, token: str) -> SessionInfo:
    """A live session's level and deadlines, without extending it; else Unauthenticated."""
    if not token or len(token) > 100:
        raise Unauthenticated("Please sign in.")
    async with deps.uow() as uow:
        session = await uow.sessions.get(site_code, session_hash(deps, token))
        if session is None or not is_live(
            deps.clock.now(), session.idle_deadline, session.absolute_deadline
        ):
            raise Unauthenticated("Please sign in.")
        account = await uow.accounts.get(site_code, session.account_id)
    if (
        account is None
        or account.status != AccountStatus.ACTIVE
        or marked(account, deps.clock.now())
    ):
        raise Unauthenticated("Please sign in.")
    full = session.level == SessionLevel.FULL
    return SessionInfo(
        level=session.level,
        account_id=account.id if full else None,
        expires_at=min(session.idle_deadline, session.absolute_deadline),
        ends_at=session.absolute_deadline,
    )


async def overview(deps: Deps, me: Current) -> Overview:
    async with deps.uow() as uow:
        sessions = await uow.sessions.list_for(me.account.site, me.account.id, deps.clock.now())
        activity = await uow.audit.recent(me.account.site, me.account.id, 20)
    return Overview(account=me.account, sessions=sessions, activity=activity)


async def messages(
    deps: Deps, me: Current, gettext: Callable[[str], str] = str, limit: int = 50
) -> list[Message]:
    """The Message Center: every email and SMS we sent to this account, codes left out
    (``gettext``: the reader's catalog, for the words that stand in for a code)."""
    async with deps.uow() as uow:
        found = await uow.outbox.for_account(me.account.site, me.account.id, limit)
    now = deps.clock.now()
    found = [m for m in found if not m.waiting(now)]  # may still be taken back: not sent
    for message in found:  # link messages shown, so they can be checked, but not usable here
        kind = "email" if message.channel == Channel.EMAIL else "phone"
        message.body, message.html = kept_parts(
            message.kind, message.body, message.html, mask(kind, message.to), gettext(REDACTED)
        )
    return found


async def message(
    deps: Deps, me: Current, message_id: str, gettext: Callable[[str], str] = str
) -> Message:
    """One message of this account's Message Center, its parts kept as the list shows
    them; NotFound for any other (another account's, or one not sent yet)."""
    for found in await messages(deps, me, gettext):
        if found.id == message_id:
            return found
    raise NotFound("We couldn't find that message.")


async def sign_out(deps: Deps, site_code: str, token: str | None, who: Requester) -> None:
    """End this session (idempotent: an unknown token changes nothing)."""
    if not token:
        return
    async with deps.uow() as uow:
        session = await uow.sessions.get(site_code, session_hash(deps, token))
        if session is not None and await uow.sessions.delete(site_code, session.id_hash):
            await audit(deps, uow, site_code, session.account_id, AuditAction.SIGNED_OUT, who)
            await end_apps(
                deps, uow, site_code, session.account_id, "signed_out", who,
                sid=session.public_id, keep_offline=True,
            )  # fmt: skip
            await uow.commit()
    deps.on_message()  # logout tokens to the apps of that session go out now, not at a poll


async def replace_session(
    deps: Deps, site_code: str, old_token: str | None, new_token: str, who: Requester
) -> None:
    """A sign-in in a browser that still held a session (an app asked for a fresh sign-in,
    or someone else signs in there): the old session ends rather than living on unseen.

    Signed in again as the same account, the new session goes on under the old one's public
    id, the ``sid`` its apps know: they stay signed in with it, and end when it ends. As
    another account, or after the old session ran out, it is signed out like any other, and
    its apps are told."""
    if not old_token or old_token == new_token:
        return
    async with deps.uow() as uow:
        old = await uow.sessions.get(site_code, session_hash(deps, old_token))
        new = await uow.sessions.get(site_code, session_hash(deps, new_token))
        if old is None or new is None or not await uow.sessions.delete(site_code, old.id_hash):
            return
        now = deps.clock.now()
        alive = old.level == SessionLevel.FULL and is_live(
            now, old.idle_deadline, old.absolute_deadline
        )
        if alive and old.account_id == new.account_id:
            await uow.sessions.take_public_id(site_code, new.id_hash, old.public_id)
        else:
            if alive:  # a cookie that had run out signed nobody out
                await audit(deps, uow, site_code, old.account_id, AuditAction.SIGNED_OUT, who)
            await end_apps(
                deps, uow, site_code, old.account_id, "signed_out", who,
                sid=old.public_id, keep_offline=True,
            )  # fmt: skip
        await uow.commit()
    deps.on_message()


async def end_session(deps: Deps, me: Current, public_id: str, who: Requester) -> None:
    """Sign out one of this account's devices."""
    async with deps.uow() as uow:
        if not await uow.sessions.delete_public(me.account.site, me.account.id, public_id):
            raise NotFound("That device is already signed out.")
        await audit(deps, uow, me.account.site, me.account.id, AuditAction.SESSION_ENDED, who)
        await end_apps(
            deps, uow, me.account.site, me.account.id, "signed_out", who,
            sid=public_id, keep_offline=True,
        )  # fmt: skip
        await uow.commit()
    deps.on_message()  # the apps' logout tokens


async def end_all_sessions(deps: Deps, me: Current, who: Requester) -> int:
    """Sign out everywhere, this device included."""
    async with deps.uow() as uow:
        n = await sign_out_all(deps, uow, me.account, who)
        await uow.commit()
    deps.on_message()  # the apps' logout tokens
    return n


async def sign_out_all(deps: Deps, uow: UnitOfWork, account: Account, who: Requester) -> int:
    """Every session ends, and remembered and recognised browsers are forgotten, in the
    caller's transaction (the customer's Sign out everywhere, or an agent's on a case)."""
    n = await uow.sessions.delete_all(account.site, account.id)
    await uow.two_step.forget(account.site, account.id)  # remembered browsers too
    await uow.accounts.forget_devices(account.site, account.id)  # and recognised ones
    await audit(deps, uow, account.site, account.id, AuditAction.SESSIONS_ENDED_ALL, who, count=n)
    await end_apps(deps, uow, account.site, account.id, "signed_out_all", who)
    return n


async def change_name(deps: Deps, me: Current, raw: str, who: Requester) -> None:
    name = clean_name(raw)
    async with deps.uow() as uow:
        await uow.accounts.update(me.account.site, me.account.id, name=name)
        await audit(deps, uow, me.account.site, me.account.id, AuditAction.NAME_CHANGED, who)
        await uow.commit()


async def set_language(deps: Deps, me: Current, locale: str, who: Requester) -> bool:
    """Keep ``locale`` as the account's language for the emails and texts we send it; only
    a language its site offers. False (nothing written) when it is the language already."""
    site = deps.site(me.account.site)
    if locale not in site.locales:
        offered = ", ".join(site.locales)
        raise InvalidInput(
            "Choose one of this site's languages: {offered}.",
            field="locale",
            params={"offered": offered},
        )
    if me.account.locale == locale:
        return False
    async with deps.uow() as uow:
        await uow.accounts.update(site.code, me.account.id, locale=locale)
        await audit(
            deps, uow, site.code, me.account.id, AuditAction.LANGUAGE_CHANGED, who, locale=locale
        )
        await uow.commit()
    me.account.locale = locale  # the caller's copy reads what was stored
    return True


async def change_password(
    deps: Deps, me: Current, *, current_password: str, new: str, new_again: str, who: Requester
) -> None:
    """Needs the current password; ends every other session and notifies every contact.

    Wrong current passwords count like wrong sign-ins, so a stolen session cannot be used
    to guess the password (SECURITY.md 6)."""
    site = deps.site(me.account.site)
    cur = await lockout.check_password(
        deps,
        me.account,
        current_password,
        who,
        field="current_password",
        wrong=N_("Your current password is incorrect."),
    )
    pw = check_new_password(
        deps, site, new, new_again, name=me.account.name, email=me.account.email
    )
    if pw == cur:
        raise PasswordRejected([N_("Choose a password you haven't used here.")])
    encoded = await deps.hasher.hash(pw)
    async with deps.uow() as uow:
        await uow.accounts.update(
            site.code, me.account.id, password_hash=encoded, password_changed_at=deps.clock.now()
        )
        await uow.sessions.delete_all(site.code, me.account.id, keep=me.session.id_hash)
        # The apps signed in through the other sessions end with them, offline access too:
        # whoever knew the old password may have given an app of theirs a refresh token.
        await end_apps(
            deps, uow, site.code, me.account.id, "password_changed", who,
            but_sid=me.session.public_id,
        )  # fmt: skip
        await uow.flows.void_all(site.code, me.account.id, keep="")  # SECURITY.md 14
        await lockout.new_password(deps, uow, me.account, who)
        await uow.two_step.forget(site.code, me.account.id)
        await audit(deps, uow, site.code, me.account.id, AuditAction.PASSWORD_CHANGED, who)
        await notify_all_of(
            deps, uow, site, me.account, MessageKind.PASSWORD_CHANGED, "password_changed", who=who
        )
        await uow.commit()
    deps.on_message()


def _purpose(kind: IdentifierKind) -> FlowPurpose:
    return FlowPurpose.CHANGE_EMAIL if kind == IdentifierKind.EMAIL else FlowPurpose.CHANGE_PHONE


async def start_contact_change(
    deps: Deps, me: Current, kind: IdentifierKind, raw: str, who: Requester
) -> ContactChangeStarted:
    """Send a code to the new email or phone; nothing changes until it is entered.

    An address already used by another account on this site gets a decoy flow, so the
    answer does not reveal that it is taken (SECURITY.md 4). Refused with ContactsOnHold for
    48 hours after a recovery put a new contact on the account (SECURITY.md 35).
    """
    hold.refuse_while_fixed(deps, me.account)
    site = deps.site(me.account.site)
    ident = deps.identifiers.parse(raw, site.phone_region)
    if ident.kind != kind:
        email = kind == IdentifierKind.EMAIL
        enter = N_("Enter an email address.") if email else N_("Enter a mobile phone number.")
        raise InvalidInput(enter, field="identifier")
    if ident.value == (me.account.email if kind == IdentifierKind.EMAIL else me.account.phone):
        raise InvalidInput("That is already on your account.", field="identifier")
    purpose = _purpose(kind)
    async with deps.uow() as uow:
        holder = await uow.accounts.find(site.code, ident)
        # An address someone registered but never verified is not theirs: it stays free.
        # A closed account keeps its address until it is erased: it may yet be reopened.
        taken = holder is not None and holder.status != AccountStatus.UNVERIFIED
        token, code = await start_code_flow(
            deps,
            uow,
            site=site.code,
            purpose=purpose,
            account_id=me.account.id,
            target_kind=kind,
            target=ident.value,
            who=who,
            decoy=taken,
        )
        state = await codes.load(deps, uow, site.code, token, purpose)
        if not taken:
            locale = words.reader_locale(site, me.account, who)
            await codes.deliver_code(deps, uow, site, state, code, locale)
        action = (
            AuditAction.EMAIL_CHANGE_STARTED
            if kind == IdentifierKind.EMAIL
            else AuditAction.PHONE_CHANGE_STARTED
        )
        await audit(deps, uow, site.code, me.account.id, action, who)
        await uow.commit()
    deps.on_message()
    return ContactChangeStarted(flow_token=token, sent_to=mask(kind, ident.value))


async def confirm_contact_change(
    deps: Deps, me: Current, kind: IdentifierKind, flow_token: str, code: str, who: Requester
) -> bool:
    """The right code replaces the contact; the contacts on file before it are told. True
    when there was none before (added, not changed)."""
    hold.refuse_while_fixed(deps, me.account)  # a change started just before a recovery
    site = deps.site(me.account.site)
    purpose = _purpose(kind)
    field, flag = (
        ("email", "email_verified") if kind == IdentifierKind.EMAIL else ("phone", "phone_verified")
    )
    added = not (me.account.email if kind == IdentifierKind.EMAIL else me.account.phone)
    async with deps.uow() as uow:
        state = await codes.check_and_consume(
            deps, uow, site.code, flow_token, purpose, code, account_id=me.account.id
        )
        ident = Identifier(kind, state.target)
        holder = await uow.accounts.find(site.code, ident)
        if holder is not None and holder.status == AccountStatus.UNVERIFIED:
            await uow.accounts.delete_unverified(site.code, holder.id)  # proven ownership wins
        try:
            await uow.accounts.update(site.code, me.account.id, **{field: state.target, flag: True})
        except Conflict:  # taken since the code was sent: nothing changes, the code stays unused
            raise FlowExpired("This step has expired. Please start again.") from None
        action = (
            AuditAction.EMAIL_CHANGED if kind == IdentifierKind.EMAIL else AuditAction.PHONE_CHANGED
        )
        await audit(deps, uow, site.code, me.account.id, action, who)
        # A reset in progress may be sending codes to the old contact (SECURITY.md 14).
        await uow.flows.void_for(site.code, me.account.id, FlowPurpose.PASSWORD_RESET)
        await uow.flows.void_for(site.code, me.account.id, FlowPurpose.UNLOCK)
        await uow.links.void_for(site.code, me.account.id, FlowPurpose.UNLOCK)  # sent to the old
        await notify_all_of(
            deps,
            uow,
            site,
            me.account,
            MessageKind.CONTACT_CHANGED,
            "contact_changed",
            who=who,
            which=kind.value,
            new_masked=mask(kind, state.target),
            added=added,
        )
        await uow.commit()
    deps.on_message()
    return added

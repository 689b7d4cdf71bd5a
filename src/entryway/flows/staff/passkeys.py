"""Staff passkeys: a console member may add passkeys on the console's own origin and sign
in with one instead of the password and the authenticator app.

A user-verified passkey is something held and the key's check of who holds it, the two
factors the console otherwise asks for one after the other (SECURITY.md 30). It is judged
like them: counted on the member's email and the client address before the check, a
failure toward the same lock as wrong passwords and codes, a locked or disabled member
refused. An assertion the key did not sign counts on the address only (a credential id
alone proves nothing of the member). Adding one needs a console sign-in in the last ten
minutes and the password again; a reset of the member (``entryway staff reset``) removes
them all."""

from __future__ import annotations

from datetime import timedelta

from entryway.core.devices import describe_user_agent
from entryway.core.lockout import sliding_count
from entryway.core.passkeys import STAFF, Party, console_party
from entryway.core.passwords import normalize_password, within_input_cap
from entryway.core.staff import StaffAction, StaffLevel, StaffStatus
from entryway.core.throttle import window_start
from entryway.errors import (
    FlowExpired,
    Forbidden,
    InvalidInput,
    NotFound,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows.passkeys import assertions, ceremonies
from entryway.flows.passkeys.ceremonies import NOT_CHECKED, Begun
from entryway.flows.passkeys.records import Ceremony, Passkey
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff import signin
from entryway.flows.staff.common import address_key, audit, failure_key, open_session
from entryway.flows.staff.records import StaffMember, StaffSession
from entryway.flows.staff.session import session_of

RECENT_SIGN_IN = timedelta(minutes=10)
RECENT = (
    "For your security, sign in again to change your passkeys: your sign-in was over 10 "
    "minutes ago."
)
GONE = "That passkey is already removed."
WRONG_PASSWORD = "That password isn't right."  # noqa: S105 (a message)


def _party(console_url: str) -> Party:
    return console_party(console_url)


def _recent(deps: Deps, session: StaffSession) -> None:
    if deps.clock.now() - session.created_at > RECENT_SIGN_IN:
        raise Forbidden(RECENT)


async def mine(deps: Deps, staff_id: str) -> list[Passkey]:
    async with deps.uow() as uow:
        return await uow.staff_passkeys.for_account(STAFF, staff_id)


async def begin_registration(
    deps: Deps, console_url: str, token: str | None, password: str, who: Requester
) -> Begun:
    """Options for a new passkey of the signed-in member, bound to this console session.
    The member's password again first, before the authenticator makes anything (a console
    cookie carried off in the ten minutes after a sign-in must not buy a way in that
    outlives it), judged and counted like a sign-in's, toward the same lock."""
    session, member = await session_of(deps, token, StaffLevel.FULL)
    _recent(deps, session)
    await _password_again(deps, member, password, who)
    async with deps.uow() as uow:
        have = await uow.staff_passkeys.for_account(STAFF, member.id)
        ceremonies.room_for_one(have)
        challenge, raw = await ceremonies.new_challenge(
            deps, uow, STAFF, Ceremony.REGISTER, member.id, session.id_hash
        )
        await uow.commit()
    options = ceremonies.creation_options(
        deps, _party(console_url), raw, account_id=member.id, user_name=member.email,
        display_name=member.name or member.email, exclude=have,
    )  # fmt: skip
    return Begun(token=challenge, options=options)


async def finish_registration(
    deps: Deps,
    console_url: str,
    token: str | None,
    ceremony: str,
    credential: str,
    who: Requester,
    *,
    name: str = "",
) -> Passkey:
    """Keep the new passkey: its challenge was made for this session, after the password."""
    session, member = await session_of(deps, token, StaffLevel.FULL)
    _recent(deps, session)
    found = ceremonies.parse_credential(credential)
    challenge = await ceremonies.take(deps, STAFF, ceremony, Ceremony.REGISTER, session.id_hash)
    if challenge.account_id != member.id:
        raise FlowExpired(ceremonies.EXPIRED, field="credential")
    passkey = ceremonies.registered(
        _party(console_url), challenge, found, account_id=member.id, name=name,
        fallback=describe_user_agent(who.user_agent), now=deps.clock.now(),
    )  # fmt: skip
    async with deps.uow() as uow:
        ceremonies.room_for_one(await uow.staff_passkeys.for_account(STAFF, member.id))
        await ceremonies.keep(uow, passkey)
        await audit(
            deps, uow, StaffAction.PASSKEY_ADDED, actor_id=member.id, target_id=member.id,
            who=who, passkey=passkey.name,
        )  # fmt: skip
        await uow.commit()
    return passkey


async def _password_again(deps: Deps, member: StaffMember, password: str, who: Requester) -> None:
    key, address = failure_key(deps, member.email), address_key(deps, who.ip)
    async with deps.uow() as uow:
        await signin.admit(deps, uow, key, address)
        await uow.commit()
    typed = normalize_password(password) if within_input_cap(password) else ""
    if (
        not typed
        or not member.password_hash
        or not await deps.hasher.verify(member.password_hash, typed)
    ):
        if await signin.failed(
            deps, key, member.id, StaffAction.SIGN_IN_FAILED, who, why="passkey: password"
        ):
            raise SignInLocked(signin.LOCKED)
        raise InvalidInput(WRONG_PASSWORD, field="password")
    async with deps.uow() as uow:  # a right password gives back its own count
        window = signin.current_window(deps)
        await uow.staff.take_back(key, window)
        if address:
            await uow.staff.take_back(address, window)
        await uow.commit()


async def remove(
    deps: Deps, session: StaffSession, member: StaffMember, credential_id: str, who: Requester
) -> Passkey:
    """Remove one of the member's passkeys (within ten minutes of a sign-in, as adding):
    the password and app remain, always."""
    _recent(deps, session)
    async with deps.uow() as uow:
        gone = await uow.staff_passkeys.get(STAFF, credential_id)
        if (
            gone is None
            or gone.account_id != member.id
            or not await uow.staff_passkeys.remove(STAFF, member.id, credential_id)
        ):
            raise NotFound(GONE)
        await audit(
            deps, uow, StaffAction.PASSKEY_REMOVED, actor_id=member.id, target_id=member.id,
            who=who, passkey=gone.name,
        )  # fmt: skip
        await uow.commit()
    return gone


async def begin_sign_in(
    deps: Deps, console_url: str, who: Requester, *, binding: str = ""
) -> Begun:
    """``binding``: a digest of the browser's HttpOnly console CSRF cookie."""
    async with deps.uow() as uow:
        if who.ip:  # counted in the staff's own table
            window = window_start(deps.clock.now(), ceremonies.ASK_WINDOW)
            asked = await uow.staff.hit(ceremonies.ask_key(deps, STAFF, who.ip), window)
            ceremonies.asked_too_often(deps, asked)
        token, raw = await ceremonies.new_challenge(
            deps, uow, STAFF, Ceremony.SIGN_IN, None, binding
        )
        await uow.commit()
    return Begun(token=token, options=ceremonies.request_options(_party(console_url), raw))


async def sign_in(
    deps: Deps,
    console_url: str,
    *,
    token: str,
    credential: str,
    who: Requester,
    binding: str = "",
) -> str:
    """A full console session for the passkey's member; InvalidInput when the assertion
    fails, SignInLocked when the member is locked (or is locked by this failure)."""
    found = ceremonies.parse_credential(credential)
    address = address_key(deps, who.ip)
    await _refuse_busy_address(deps, address)
    challenge = await ceremonies.take(deps, STAFF, token, Ceremony.SIGN_IN, binding)
    async with deps.uow() as uow:
        passkey = await uow.staff_passkeys.get(STAFF, found["id"])
        member = await uow.staff.get(passkey.account_id) if passkey else None
    if passkey is None or member is None:
        await _address_failed(deps, address, who, None, "unknown passkey")
        raise InvalidInput(NOT_CHECKED, field="credential")
    key = failure_key(deps, member.email)
    # Judged before anything is counted on the member: an assertion the key did not sign
    # for this challenge proves nothing of them (see flows/passkeys/sign_in).
    try:
        count, cloned = assertions.verify_assertion(
            deps, _party(console_url), challenge, passkey, found
        )
    except assertions.Unsigned:
        await _address_failed(deps, address, who, member.id, "not signed for this challenge")
        raise
    except InvalidInput:
        async with deps.uow() as uow:
            await signin.admit(deps, uow, key, address)  # refused when locked
            await uow.commit()
        if await signin.failed(
            deps, key, member.id, StaffAction.SIGN_IN_FAILED, who, via="passkey"
        ):
            raise SignInLocked(signin.LOCKED) from None
        raise
    async with deps.uow() as uow:
        await signin.admit(deps, uow, key, address)  # a locked member is refused: no session
        await uow.commit()
    if cloned:
        await _turn_off(deps, member, passkey, who)
        raise InvalidInput(NOT_CHECKED, field="credential")
    usable = member.status == StaffStatus.ACTIVE and member.totp_confirmed_at is not None
    if usable:
        try:
            async with deps.uow() as uow:
                await assertions.record_use(uow, passkey, count, deps.clock.now())
                if await uow.staff.lock_of(key) is not None:  # a lock that fell meanwhile
                    raise SignInLocked(signin.LOCKED)
                await uow.staff.clear_failures(key)
                if address:  # the address's count of this attempt is given back too
                    await uow.staff.take_back(address, signin.current_window(deps))
                opened = await open_session(deps, uow, member.id, StaffLevel.FULL, who)
                await audit(
                    deps, uow, StaffAction.SIGNED_IN, actor_id=member.id, target_id=member.id,
                    who=who, via="passkey",
                )  # fmt: skip
                await uow.commit()
                return opened.token
        except assertions.Copied:
            await _turn_off(deps, member, passkey, who)
            raise InvalidInput(NOT_CHECKED, field="credential") from None
    if await signin.failed(
        deps, key, member.id, StaffAction.SIGN_IN_FAILED, who, via="passkey", why="not active"
    ):
        raise SignInLocked(signin.LOCKED)
    raise InvalidInput(NOT_CHECKED, field="credential")


async def _refuse_busy_address(deps: Deps, address: str) -> None:
    """An address past ``ip_refuse_at`` failures is refused before anything is checked, as
    the password sign-in refuses it."""
    if not address:
        return
    now, current = deps.clock.now(), signin.current_window(deps)
    window = deps.lock_policy.window
    async with deps.uow() as uow:
        read = await uow.staff.failures(address, current, current - window)
    if sliding_count(read.current, read.previous, now, current, window) >= (
        deps.lock_policy.ip_refuse_at
    ):
        raise SignInThrottled(signin.BUSY_NETWORK, retry_after=600)


async def _address_failed(
    deps: Deps, address: str, who: Requester, staff_id: str | None, why: str
) -> None:
    """A failure that proves nothing of any member: audited, and counted on the client's
    address only."""
    async with deps.uow() as uow:
        if address:
            await uow.staff.hit(address, signin.current_window(deps))
        await audit(
            deps, uow, StaffAction.SIGN_IN_FAILED, actor_id=None, target_id=staff_id, who=who,
            via="passkey", why=why,
        )  # fmt: skip
        await uow.commit()


async def _turn_off(deps: Deps, member: StaffMember, passkey: Passkey, who: Requester) -> None:
    """A counter that went back: a copy of the key is in use, so it signs nobody in."""
    async with deps.uow() as uow:
        await uow.staff_passkeys.remove(STAFF, member.id, passkey.credential_id)
        await audit(
            deps, uow, StaffAction.PASSKEY_REMOVED, actor_id=None, target_id=member.id,
            who=who, passkey=passkey.name, why="its counter went back: a copy exists",
        )  # fmt: skip
        await uow.commit()

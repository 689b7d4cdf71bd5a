"""Enrolment: the link from ``entryway staff add``, then Create password, then an
authenticator app, then the console.

```mermaid
stateDiagram-v2
    [*] --> link: entryway staff add / reset (24 h, single use)
    link --> password: landing GET (the link is not used up)
    password --> app: Create password (the link is used, by conditional write; enrol session)
    app --> console: a code from the app (status active; a full session with a fresh id)
```
"""

from __future__ import annotations

from dataclasses import dataclass

from entryway.core import totp
from entryway.core.passwords import context_words, normalize_password
from entryway.core.staff import StaffAction, StaffLevel, StaffStatus
from entryway.errors import CodeRejected, FlowExpired, PasswordRejected
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff.common import audit, link_hash, open_session
from entryway.flows.staff.records import StaffMember
from entryway.flows.staff.session import session_of

EXPIRED = "This enrolment link has expired or was used already. Ask an admin for a new one."
ISSUER = "Entryway console"


@dataclass(frozen=True, slots=True)
class AppEnrolment:
    key: str  # grouped base32, for typing
    uri: str  # otpauth:// for the QR code
    email: str


async def link_member(deps: Deps, token: str) -> StaffMember:
    """The invited member a live, unused link belongs to; FlowExpired otherwise. Reading
    never uses the link up: only Create password does (SECURITY.md 15)."""
    if not token or len(token) > 100:
        raise FlowExpired(EXPIRED)
    async with deps.uow() as uow:
        link = await uow.staff.link(link_hash(deps, token))
        if link is None or link.used_at is not None or link.expires_at <= deps.clock.now():
            raise FlowExpired(EXPIRED)
        member = await uow.staff.get(link.staff_id)
    if member is None or member.status != StaffStatus.INVITED:
        raise FlowExpired(EXPIRED)
    return member


def _password_problems(deps: Deps, member: StaffMember, password: str, again: str) -> None:
    brand = deps.sites.sites[0].brand if deps.sites.sites else ""
    words = context_words(site_name="console", brand=brand, name=member.name, email=member.email)
    problems = deps.passwords.problems(password, words)
    if problems:
        raise PasswordRejected(problems, field="password")
    if password != again:
        raise PasswordRejected(["Passwords must match."], field="password_again")


async def create_password(deps: Deps, token: str, password: str, again: str, who: Requester) -> str:
    """Create password, with the customers' rules; uses the link up (conditional write)
    and returns an enrolment session that can only add the authenticator app."""
    member = await link_member(deps, token)
    _password_problems(deps, member, password, again)
    encoded = await deps.hasher.hash(normalize_password(password))
    async with deps.uow() as uow:
        if not await uow.staff.use_link(link_hash(deps, token), deps.clock.now()):
            raise FlowExpired(EXPIRED)  # a parallel submission used it first
        await uow.staff.update(
            member.id, password_hash=encoded, totp_sealed=None, totp_confirmed_at=None
        )
        opened = await open_session(deps, uow, member.id, StaffLevel.ENROL, who)
        await audit(
            deps, uow, StaffAction.PASSWORD_SET, actor_id=member.id, target_id=member.id, who=who
        )
        await uow.commit()
    return opened.token


async def app_step(deps: Deps, enrol_token: str | None) -> AppEnrolment:
    """The authenticator key to add; the same key until it is confirmed, so reloading the
    page never invalidates what the app already holds."""
    _session, member = await session_of(deps, enrol_token, StaffLevel.ENROL)
    if member.status != StaffStatus.INVITED:
        raise FlowExpired(EXPIRED)
    if member.totp_sealed:
        secret = deps.sealer.unseal(member.totp_sealed)
    else:
        secret = totp.new_secret(deps.rng)
        async with deps.uow() as uow:
            await uow.staff.update(member.id, totp_sealed=deps.sealer.seal(secret))
            await uow.commit()
    return AppEnrolment(
        key=totp.grouped_key(totp.base32_key(secret)),
        uri=totp.provisioning_uri(secret, account=member.email, issuer=ISSUER),
        email=member.email,
    )


async def confirm_app(deps: Deps, enrol_token: str | None, code: str, who: Requester) -> str:
    """A code from the app finishes enrolment: the member is active and signed in to the
    console with a new session id; the code's step is spent, so it never also signs in."""
    session, member = await session_of(deps, enrol_token, StaffLevel.ENROL)
    if member.status != StaffStatus.INVITED or not member.totp_sealed:
        raise FlowExpired(EXPIRED)
    now = deps.clock.now()
    step = totp.matching_step(deps.sealer.unseal(member.totp_sealed), code, now)
    async with deps.uow() as uow:
        if step is None or not await uow.staff.use_step(member.id, step, now):
            raise CodeRejected("That code isn't right. Check the app and try again.", field="code")
        await uow.staff.update(
            member.id, status=StaffStatus.ACTIVE, totp_confirmed_at=now, enrolled_at=now
        )
        await uow.staff.end_session(session.id_hash)
        opened = await open_session(deps, uow, member.id, StaffLevel.FULL, who)
        await audit(
            deps, uow, StaffAction.ENROLLED, actor_id=member.id, target_id=member.id, who=who
        )
        await uow.commit()
    return opened.token
